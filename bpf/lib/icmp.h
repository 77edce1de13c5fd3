/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ICMP errors about translated flows: IPv4 destination unreachable (all
 * codes, fragmentation needed among them) and ICMPv6 destination
 * unreachable and packet too big. The quoted packet is one shunt
 * translated, so its sender would not recognise it; the error is turned
 * into the one the sender's own packet would have got, and forwarded:
 *   - quoting a reply (VIP -> client, sent back by the client's side):
 *     its flow's FWD entry gives the backend (and the SNAT tuple): the
 *     quote goes back to backend -> client (or -> SNAT tuple) and the
 *     error to the backend. DSR flows too: the balancing node holds the
 *     FWD entry and sends the error on to the backend's node.
 *   - quoting a request (client -> backend, sent back by the backend's
 *     side): its REV entry gives the VIP (and, masqueraded, the client):
 *     the quote becomes client -> VIP, the error goes to the client.
 * Every checksum that covers a rewritten byte follows: the outer IPv4
 * header's, the ICMP one (ICMPv6's pseudo-header too), the quoted IPv4
 * header's and the quoted L4 one when the quote holds it.
 */
#ifndef SHUNT_BPF_ICMP_H
#define SHUNT_BPF_ICMP_H

#include "csum.h"
#include "ct.h"
#include "ctx.h"
#include "fwd.h"
#include "parse.h"
#include "stats.h"

#define ICMP_DEST_UNREACH_   3
#define ICMPV6_DEST_UNREACH_ 1
#define ICMPV6_PKT_TOOBIG_   2

/* The quoted packet: where its parts are and what they say. */
struct icmp_quote {
	union shunt_ip src, dst;
	__be16 sport, dport;
	__u32 ip_off; /* quoted IP header */
	__u32 l4_off; /* quoted L4 header */
};

/* Is p (its proto set by the parser) an ICMP error this file handles? */
SHUNT_INLINE bool icmp_is_error(ctx_t *ctx, const struct pkt *p)
{
	__u8 type;

	if (p->frag != PKT_FRAG_NONE || p->vlan ||
	    ctx_load(ctx, p->l4_off, type))
		return false;
	if (p->family == SHUNT_V4)
		return p->proto == IPPROTO_ICMP && type == ICMP_DEST_UNREACH_;
	return p->proto == IPPROTO_ICMPV6 &&
	       (type == ICMPV6_DEST_UNREACH_ || type == ICMPV6_PKT_TOOBIG_);
}

/* The quote of an error: a fixed IP header (no options or extension
 * headers) of p's family, then TCP or UDP ports. */
SHUNT_INLINE int icmp_parse_quote(ctx_t *ctx, const struct pkt *p,
				  struct icmp_quote *q, __u8 *proto)
{
	struct {
		__be16 src, dst;
	} ports;

	__builtin_memset(q, 0, sizeof(*q)); /* IPv4: the rest of the key */
	q->ip_off = p->l4_off + 8;
	if (p->family == SHUNT_V4) {
		struct iphdr ip;

		if (ctx_load(ctx, q->ip_off, ip) || ip.version != 4 ||
		    ip.ihl != 5)
			return -1;
		*proto = ip.protocol;
		q->src.v4 = ip.saddr;
		q->dst.v4 = ip.daddr;
		q->l4_off = q->ip_off + sizeof(ip);
	} else {
		struct ipv6hdr ip6;

		if (ctx_load(ctx, q->ip_off, ip6) || ip6.version != 6)
			return -1;
		*proto = ip6.nexthdr;
		__builtin_memcpy(&q->src, &ip6.saddr, 16);
		__builtin_memcpy(&q->dst, &ip6.daddr, 16);
		q->l4_off = q->ip_off + sizeof(ip6);
	}
	if ((*proto != IPPROTO_TCP && *proto != IPPROTO_UDP) ||
	    ctx_load(ctx, q->l4_off, ports))
		return -1;
	q->sport = ports.src;
	q->dport = ports.dst;
	return 0;
}

#ifdef SHUNT_HOOK_TC
SHUNT_INLINE int icmp_store(ctx_t *ctx, __u32 off, const void *v, __u32 len)
{
	return bpf_skb_store_bytes(ctx, off, v, len, BPF_F_RECOMPUTE_CSUM);
}
#else
SHUNT_INLINE int icmp_store(ctx_t *ctx, __u32 off, const void *v, __u32 len)
{
	return bpf_xdp_store_bytes(ctx, off, (void *)v, len);
}
#endif

/* Write an address; *diff gathers the change for the checksums. */
SHUNT_INLINE int icmp_put_addr(ctx_t *ctx, const struct pkt *p, __u32 off,
			       const union shunt_ip *old,
			       const union shunt_ip *new, __u64 *diff)
{
	bool v6 = p->family == SHUNT_V6;

	*diff += csum_diff_addr(old->v6, new->v6, v6);
	return icmp_store(ctx, off, new, v6 ? 16 : 4);
}

SHUNT_INLINE int icmp_put16(ctx_t *ctx, __u32 off, __be16 old, __be16 new,
			    __u64 *diff)
{
	*diff += csum_diff16(old, new);
	return icmp_store(ctx, off, &new, 2);
}

/* Apply diff to the 16-bit checksum at off; the change goes to *outer
 * (NULL: none). A UDP checksum of 0 (none) stays 0. */
SHUNT_INLINE int icmp_fix_sum(ctx_t *ctx, __u32 off, __u64 diff, bool udp,
			      __u64 *outer)
{
	__u16 old, new;

	if (ctx_load(ctx, off, old))
		return 0; /* not in the quote: nothing to keep right */
	if (udp && !old)
		return 0;
	new = csum_apply(old, diff);
	if (udp && !new)
		new = 0xffff;
	if (outer)
		*outer += csum_diff16(old, new);
	return icmp_store(ctx, off, &new, 2);
}

/* Rewrite the quote to src:sport -> dst:dport and the error's
 * destination to to; p->dst follows. */
SHUNT_INLINE int icmp_rewrite(ctx_t *ctx, struct pkt *p,
			      const struct icmp_quote *q, __u8 proto,
			      const union shunt_ip *src, __be16 sport,
			      const union shunt_ip *dst, __be16 dport,
			      const union shunt_ip *to)
{
	bool v4 = p->family == SHUNT_V4, udp = proto == IPPROTO_UDP;
	__u32 saddr = v4 ? offsetof(struct iphdr, saddr)
			 : offsetof(struct ipv6hdr, saddr);
	__u32 daddr = v4 ? offsetof(struct iphdr, daddr)
			 : offsetof(struct ipv6hdr, daddr);
	__u64 addrs = 0, ports = 0, msg, outer = 0;

	if (icmp_put_addr(ctx, p, q->ip_off + saddr, &q->src, src, &addrs) ||
	    icmp_put_addr(ctx, p, q->ip_off + daddr, &q->dst, dst, &addrs) ||
	    icmp_put16(ctx, q->l4_off, q->sport, sport, &ports) ||
	    icmp_put16(ctx, q->l4_off + 2, q->dport, dport, &ports))
		return -1;
	msg = addrs + ports;
	/* The quoted headers' own checksums; their changes are part of
	 * the ICMP message too. */
	if ((v4 && icmp_fix_sum(ctx, q->ip_off + offsetof(struct iphdr, check),
				addrs, false, &msg)) ||
	    icmp_fix_sum(ctx,
			 q->l4_off + (udp ? offsetof(struct udphdr, check)
					  : offsetof(struct tcphdr, check)),
			 addrs + ports, udp, &msg))
		return -1;
	if (icmp_put_addr(ctx, p, p->l3_off + daddr, &p->dst, to, &outer))
		return -1;
	if (v4) {
		if (icmp_fix_sum(ctx, p->l3_off + offsetof(struct iphdr, check),
				 outer, false, NULL))
			return -1;
	} else {
		msg += outer; /* ICMPv6 covers the pseudo-header */
	}
	if (icmp_fix_sum(ctx, p->l4_off + 2, msg, false, NULL))
		return -1;
	p->dst = *to;
	return 0;
}

/*
 * An ICMP error to or through this node. Translated and forwarded when
 * it quotes a flow of ct_map; else passed to the stack untouched.
 */
SHUNT_GLOBAL int icmp_error(ctx_t *ctx, struct pkt *p)
{
	struct shunt_ct_entry *e;
	struct shunt_ct_key k;
	struct icmp_quote q;
	__u32 too_big = 0;
	__u8 proto;
	int rc;

	if (!p)
		return CTX_PASS;

	if (p->ttl <= 1 || icmp_parse_quote(ctx, p, &q, &proto))
		goto pass;
	/* The quote's flow, seen from its other end. */
	__builtin_memset(&k, 0, sizeof(k));
	k.src = q.dst;
	k.dst = q.src;
	k.sport = q.dport;
	k.dport = q.sport;
	k.proto = proto;
	k.family = p->family;
	k.dir = SHUNT_CT_FWD;
	e = bpf_map_lookup_elem(&ct_map, &k);
	if (e && ip_equal(&p->dst, &q.src)) {
		/* A reply of ours: back to the backend as it sent it. */
		bool snat = e->flags & SHUNT_CT_F_SNAT;

		rc = icmp_rewrite(ctx, p, &q, proto, &e->nat_addr, e->nat_port,
				  snat ? &e->snat_addr : &q.dst,
				  snat ? e->snat_port : q.dport, &e->nat_addr);
	} else {
		k.dir = SHUNT_CT_REV;
		e = bpf_map_lookup_elem(&ct_map, &k);
		if (!e || (e->flags & SHUNT_CT_F_DSR_IN))
			goto pass;
		/* A request of ours: back to the client as it sent it. */
		bool snat = e->flags & SHUNT_CT_F_SNAT;

		rc = icmp_rewrite(ctx, p, &q, proto,
				  snat ? &e->snat_addr : &q.src,
				  snat ? e->snat_port : q.sport, &e->nat_addr,
				  e->nat_port, snat ? &e->snat_addr : &p->dst);
	}
	if (rc) {
		count(SHUNT_C_DROP_NAT_FAIL);
		return CTX_DROP;
	}
	count(SHUNT_C_ICMP_TRANSLATED);
	rc = fwd_packet(ctx, p, &too_big);
	if (too_big) {
		count(SHUNT_C_DROP_TOO_BIG);
		return CTX_DROP;
	}
	return rc;
pass:
	count(SHUNT_C_PASS_NOT_L4);
	return CTX_PASS;
}

#endif /* SHUNT_BPF_ICMP_H */
