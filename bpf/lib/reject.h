/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * REJECT for services without a usable backend, as kube-proxy's rule
 * does, so connect() and a connected UDP socket fail at once instead of
 * retrying: the answer is built in place of the packet, from the address
 * it was sent to, and sent back out of the interface it came in on.
 *   TCP: RFC 793's reset: to a segment with ACK, seq = its ack and no ACK
 *        flag; else seq 0, RST|ACK and ack = its seq + its length (SYN and
 *        FIN count one).
 *   UDP: ICMP destination unreachable / port unreachable (ICMPv6 type 1
 *        code 4), quoting the datagram's IP header and first 8 bytes.
 * Packets with IPv4 options or IPv6 extension headers are dropped
 * instead (their header would have to be rebuilt, not rewritten).
 *
 * Checksums are computed whole. On tc the headers are written with
 * BPF_F_RECOMPUTE_CSUM, so a CHECKSUM_COMPLETE skb keeps a valid
 * skb->csum; a CHECKSUM_PARTIAL one (a SYN of a pod on this node) goes
 * straight back into that pod's veth, where it is not checked again.
 */
#ifndef SHUNT_BPF_REJECT_H
#define SHUNT_BPF_REJECT_H

#include "csum.h"
#include "ctx.h"
#include "parse.h"
#include "stats.h"

struct reject_v4 {
	struct iphdr ip;
	struct tcphdr tcp;
};

struct reject_v6 {
	struct ipv6hdr ip;
	struct tcphdr tcp;
};

/* The TCP pseudo-header's sum for a header of 20 bytes, no payload. */
SHUNT_INLINE __s64 reject_pseudo_sum(const struct pkt *p)
{
	struct {
		union shunt_ip src, dst;
		__be32 len;
		__be32 proto;
	} ph = {};

	/* The reset goes from the packet's destination to its source. */
	if (p->family == SHUNT_V4) {
		ph.src.v6[0] = p->dst.v4;
		ph.src.v6[1] = p->src.v4;
		ph.src.v6[2] = bpf_htonl((IPPROTO_TCP << 16) | 20);
		return bpf_csum_diff(NULL, 0, (__be32 *)&ph, 12, 0);
	}
	ph.src = p->dst;
	ph.dst = p->src;
	ph.len = bpf_htonl(20);
	ph.proto = bpf_htonl(IPPROTO_TCP);
	return bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
}

/* The reset's TCP header for the segment th of p. */
SHUNT_INLINE int reject_tcp_hdr(const struct pkt *p, const struct tcphdr *th,
				struct tcphdr *rst)
{
	__u32 len = p->l4_len - th->doff * 4;
	__s64 sum;

	__builtin_memset(rst, 0, sizeof(*rst));
	rst->source = p->dport;
	rst->dest = p->sport;
	rst->doff = 5;
	rst->rst = 1;
	if (th->ack) {
		rst->seq = th->ack_seq;
	} else {
		rst->ack = 1;
		rst->ack_seq =
			bpf_htonl(bpf_ntohl(th->seq) + len + th->syn + th->fin);
	}
	sum = reject_pseudo_sum(p);
	if (sum < 0)
		return -1;
	sum = bpf_csum_diff(NULL, 0, (__be32 *)rst, sizeof(*rst), sum);
	if (sum < 0)
		return -1;
	rst->check = (__u16)~csum_fold64(sum);
	return 0;
}

/* Resize the packet to len bytes: shrink it, or grow it (a short
 * datagram quoted in an ICMP error). */
SHUNT_INLINE int reject_resize(ctx_t *ctx, __u32 len)
{
#ifdef SHUNT_HOOK_XDP
	return bpf_xdp_adjust_tail(ctx, (int)len - (int)ctx_wire_len(ctx));
#else
	return bpf_skb_change_tail(ctx, len, 0);
#endif
}

/* Write hdr (len bytes) at off of the (shrunk) packet. */
SHUNT_INLINE int reject_write(ctx_t *ctx, __u32 off, const void *hdr, __u32 len)
{
#ifdef SHUNT_HOOK_XDP
	return bpf_xdp_store_bytes(ctx, off, (void *)hdr, len);
#else
	return bpf_skb_store_bytes(ctx, off, hdr, len, BPF_F_RECOMPUTE_CSUM);
#endif
}

/* Swap the Ethernet addresses: the frame goes back where it came from. */
SHUNT_INLINE int reject_swap_macs(ctx_t *ctx)
{
	struct ethhdr *eth = ctx_ptr(ctx, 0, sizeof(*eth));
	__u8 tmp[ETH_ALEN];

	if (!eth)
		return -1;
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return 0;
}

SHUNT_INLINE int reject_send(ctx_t *ctx, enum shunt_counter c)
{
	if (reject_swap_macs(ctx))
		return CTX_DROP;
	count(c);
#ifdef SHUNT_HOOK_XDP
	return XDP_TX;
#else
	return bpf_redirect(ctx->ifindex, 0);
#endif
}

/* Put the answer hdr (len bytes from the IP header on) in place of the
 * packet and send it back, counted c. */
SHUNT_INLINE int reject_emit(ctx_t *ctx, const struct pkt *p, const void *hdr,
			     __u32 len, enum shunt_counter c)
{
	if (reject_resize(ctx, p->l3_off + len) ||
	    reject_write(ctx, p->l3_off, hdr, len))
		return CTX_DROP;
	return reject_send(ctx, c);
}

/* An ICMP checksum over msg (len bytes, a multiple of 4) on top of seed
 * (ICMPv6's pseudo-header sum, or 0). */
SHUNT_INLINE int reject_icmp_check(void *msg, __u32 len, __s64 seed,
				   __sum16 *check)
{
	__s64 sum = seed < 0 ? seed : bpf_csum_diff(NULL, 0, msg, len, seed);

	if (sum < 0)
		return -1;
	*check = (__u16)~csum_fold64(sum);
	return 0;
}

/* The answer's IPv4 header, from one address to another. */
SHUNT_INLINE int reject_ip4(struct iphdr *ip, const union shunt_ip *from,
			    const union shunt_ip *to, __u8 proto, __u16 len)
{
	__s64 sum;

	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = proto;
	ip->tot_len = bpf_htons(len);
	ip->saddr = from->v4;
	ip->daddr = to->v4;
	sum = bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0);
	if (sum < 0)
		return -1;
	ip->check = (__u16)~csum_fold64(sum);
	return 0;
}

/* The same for IPv6; len is the payload's. */
SHUNT_INLINE void reject_ip6(struct ipv6hdr *ip, const union shunt_ip *from,
			     const union shunt_ip *to, __u8 next, __u16 len)
{
	ip->version = 6;
	ip->payload_len = bpf_htons(len);
	ip->nexthdr = next;
	ip->hop_limit = 64;
	__builtin_memcpy(&ip->saddr, from, 16);
	__builtin_memcpy(&ip->daddr, to, 16);
}

SHUNT_INLINE int reject_tcp_v4(ctx_t *ctx, const struct pkt *p,
			       const struct tcphdr *th)
{
	struct reject_v4 r = {};

	if (reject_ip4(&r.ip, &p->dst, &p->src, IPPROTO_TCP, sizeof(r)) ||
	    reject_tcp_hdr(p, th, &r.tcp))
		return CTX_DROP;
	return reject_emit(ctx, p, &r, sizeof(r), SHUNT_C_REJECT_TCP);
}

SHUNT_INLINE int reject_tcp_v6(ctx_t *ctx, const struct pkt *p,
			       const struct tcphdr *th)
{
	struct reject_v6 r = {};

	reject_ip6(&r.ip, &p->dst, &p->src, IPPROTO_TCP, sizeof(r.tcp));
	if (reject_tcp_hdr(p, th, &r.tcp))
		return CTX_DROP;
	return reject_emit(ctx, p, &r, sizeof(r), SHUNT_C_REJECT_TCP);
}

/* ICMP port unreachable, IPv4: new header, ICMP header, the quote. */
struct reject_icmp4 {
	struct iphdr ip;
	__u8 type, code;
	__sum16 check;
	__be32 unused;
	__u8 quote[sizeof(struct iphdr) + 8];
};

struct reject_icmp6 {
	struct ipv6hdr ip;
	__u8 type, code;
	__sum16 check;
	__be32 unused;
	__u8 quote[sizeof(struct ipv6hdr) + 8];
};

/* What an ICMP error quotes of a translated packet: the packet as its
 * sender sent it. */
struct icmp_orig {
	union shunt_ip src, dst;
	__be16 sport, dport;
	__u8 grown;   /* bytes a DSR option added after the IP header */
	__u8 nexthdr; /* IPv6, grown: the next header before it */
	__u8 proto;   /* IPPROTO_UDP: the quoted checksum is restored too */
};

/* A quoted UDP checksum (in the 8 bytes quoted) back to what the sender
 * sent: the translation's diff undone; 0 (none) stays 0. */
SHUNT_INLINE void reject_quote_udp_sum(__u8 *l4, const struct icmp_orig *o,
				       const __u32 *saddr, const __u32 *daddr,
				       bool v6)
{
	__be16 *ports = (__be16 *)l4;
	__u16 *sum = (__u16 *)(l4 + 6);
	__u64 diff;

	if (o->proto != IPPROTO_UDP || !*sum)
		return;
	diff = csum_diff_addr(saddr, o->src.v6, v6) +
	       csum_diff_addr(daddr, o->dst.v6, v6) +
	       csum_diff16(ports[0], o->sport) +
	       csum_diff16(ports[1], o->dport);
	*sum = csum_apply(*sum, diff);
	if (!*sum)
		*sum = 0xffff;
}

/* Put the sender's addresses and ports back into a quote (an IPv4
 * header and 8 bytes of L4), with a valid header checksum. */
SHUNT_INLINE int reject_quote_restore4(__u8 *quote, const struct icmp_orig *o)
{
	struct iphdr *ip = (struct iphdr *)quote;
	__be16 *ports = (__be16 *)(quote + sizeof(*ip));
	__s64 sum;

	reject_quote_udp_sum((__u8 *)ports, o, &ip->saddr, &ip->daddr, false);
	ip->saddr = o->src.v4;
	ip->daddr = o->dst.v4;
	ip->ihl -= o->grown / 4;
	ip->tot_len = bpf_htons(bpf_ntohs(ip->tot_len) - o->grown);
	ip->check = 0;
	ports[0] = o->sport;
	ports[1] = o->dport;
	sum = bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0);
	if (sum < 0)
		return -1;
	ip->check = (__u16)~csum_fold64(sum);
	return 0;
}

SHUNT_INLINE void reject_quote_restore6(__u8 *quote, const struct icmp_orig *o)
{
	struct ipv6hdr *ip = (struct ipv6hdr *)quote;
	__be16 *ports = (__be16 *)(quote + sizeof(*ip));

	reject_quote_udp_sum((__u8 *)ports, o, (__u32 *)&ip->saddr,
			     (__u32 *)&ip->daddr, true);
	__builtin_memcpy(&ip->saddr, &o->src, 16);
	__builtin_memcpy(&ip->daddr, &o->dst, 16);
	if (o->grown) {
		ip->payload_len =
			bpf_htons(bpf_ntohs(ip->payload_len) - o->grown);
		ip->nexthdr = o->nexthdr;
	}
	ports[0] = o->sport;
	ports[1] = o->dport;
}

/* A quote: the fixed IP header (hdr bytes) and 8 bytes of L4, wherever
 * the L4 header is (behind a DSR option, say). */
SHUNT_INLINE int reject_quote_load(ctx_t *ctx, const struct pkt *p, __u8 *quote,
				   __u32 hdr)
{
	if (hdr == sizeof(struct iphdr))
		return ctx_load_bytes(ctx, p->l3_off, quote,
				      sizeof(struct iphdr)) ||
		       ctx_load_bytes(ctx, p->l4_off,
				      quote + sizeof(struct iphdr), 8);
	return ctx_load_bytes(ctx, p->l3_off, quote, sizeof(struct ipv6hdr)) ||
	       ctx_load_bytes(ctx, p->l4_off, quote + sizeof(struct ipv6hdr),
			      8);
}

/*
 * An ICMP error about packet p, from one address to another, quoting p's
 * IP header and 8 bytes (as they are, or with orig's tuple when p was
 * translated): type, code and the 4 bytes after the checksum (rest).
 */
SHUNT_INLINE int reject_icmp_v4(ctx_t *ctx, const struct pkt *p,
				const union shunt_ip *from,
				const union shunt_ip *to, __u8 type, __u8 code,
				__be32 rest, const struct icmp_orig *orig,
				enum shunt_counter c)
{
	struct reject_icmp4 r = {};

	if (reject_quote_load(ctx, p, r.quote, sizeof(struct iphdr)) ||
	    (orig && reject_quote_restore4(r.quote, orig)) ||
	    reject_ip4(&r.ip, from, to, IPPROTO_ICMP, sizeof(r)))
		return CTX_DROP;
	r.type = type;
	r.code = code;
	r.unused = rest;
	if (reject_icmp_check(&r.type, sizeof(r) - sizeof(r.ip), 0, &r.check))
		return CTX_DROP;
	return reject_emit(ctx, p, &r, sizeof(r), c);
}

SHUNT_INLINE int reject_icmp_v6(ctx_t *ctx, const struct pkt *p,
				const union shunt_ip *from,
				const union shunt_ip *to, __u8 type, __u8 code,
				__be32 rest, const struct icmp_orig *orig,
				enum shunt_counter c)
{
	struct reject_icmp6 r = {};
	struct {
		union shunt_ip src, dst;
		__be32 len;
		__be32 next;
	} ph = {};
	__s64 sum;

	if (reject_quote_load(ctx, p, r.quote, sizeof(struct ipv6hdr)))
		return CTX_DROP;
	if (orig)
		reject_quote_restore6(r.quote, orig);
	reject_ip6(&r.ip, from, to, IPPROTO_ICMPV6, sizeof(r) - sizeof(r.ip));
	r.type = type;
	r.code = code;
	r.unused = rest;
	ph.src = *from;
	ph.dst = *to;
	ph.len = bpf_htonl(sizeof(r) - sizeof(r.ip));
	ph.next = bpf_htonl(IPPROTO_ICMPV6);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	if (reject_icmp_check(&r.type, sizeof(r) - sizeof(r.ip), sum, &r.check))
		return CTX_DROP;
	return reject_emit(ctx, p, &r, sizeof(r), c);
}

/* ICMP port unreachable (ICMPv6: destination unreachable, port
 * unreachable) for a datagram to a frontend without a backend. */
SHUNT_INLINE int reject_udp(ctx_t *ctx, const struct pkt *p)
{
	if (p->family == SHUNT_V4)
		return reject_icmp_v4(ctx, p, &p->dst, &p->src, 3, 3, 0, NULL,
				      SHUNT_C_REJECT_UDP);
	return reject_icmp_v6(ctx, p, &p->dst, &p->src, 1, 4, 0, NULL,
			      SHUNT_C_REJECT_UDP);
}

/* Answer a packet to a frontend without a usable backend: TCP with a
 * RST, UDP with an ICMP port unreachable; what cannot be answered is
 * dropped. */
SHUNT_GLOBAL int reject_packet(ctx_t *ctx, const struct pkt *p)
{
	struct tcphdr th;
	__u32 hdr;

	if (!p)
		return CTX_DROP;
	hdr = p->family == SHUNT_V4 ? sizeof(struct iphdr)
				    : sizeof(struct ipv6hdr);

	if (p->frag != PKT_FRAG_NONE || p->vlan || p->l4_off != p->l3_off + hdr)
		goto drop;
	if (p->proto == IPPROTO_UDP) {
		if (p->l4_len < sizeof(struct udphdr))
			goto drop;
		return reject_udp(ctx, p);
	}
	if (p->proto != IPPROTO_TCP || (p->tcp_flags & TCP_FLAG_RST_) ||
	    ctx_load(ctx, p->l4_off, th) || th.doff < 5 ||
	    p->l4_len < th.doff * 4)
		goto drop;
	if (p->family == SHUNT_V4)
		return reject_tcp_v4(ctx, p, &th);
	return reject_tcp_v6(ctx, p, &th);
drop:
	count(SHUNT_C_DROP_NO_BACKEND);
	return CTX_DROP;
}

#endif /* SHUNT_BPF_REJECT_H */
