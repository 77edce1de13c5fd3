/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Path MTU through a VIP. A translated packet too big for the interface
 * it must leave by, that may not be fragmented (IPv4 with DF, IPv6), is
 * answered as a router on the path would answer it: ICMP Fragmentation
 * Needed (ICMPv6 Packet Too Big) with that interface's MTU, back to its
 * sender, from the address the sender sent to, quoting the packet as the
 * sender sent it (before translation), so that the sender's PMTU cache
 * finds its own flow. The stack could not: it would quote the translated
 * packet, or drop it (a reply translated to a NodePort carries one of the
 * node's own addresses as source).
 */
#ifndef SHUNT_BPF_PMTU_H
#define SHUNT_BPF_PMTU_H

#include "ct.h"
#include "reject.h"
#include "stats.h"

/* Answer the sender of p, a packet of flow o (as sent), too big for mtu. */
SHUNT_GLOBAL int pmtu_too_big(ctx_t *ctx, const struct pkt *p,
			      const struct icmp_orig *o, __u32 mtu)
{
	__u32 hdr;

	if (!p || !o)
		return CTX_DROP;
	hdr = p->family == SHUNT_V4 ? sizeof(struct iphdr)
				    : sizeof(struct ipv6hdr);

	/* The quote is the fixed header and the ports: only where those
	 * are all there is to restore. A DSR option the packet grew by
	 * comes off the quote and off the MTU the sender is told. */
	if (p->frag != PKT_FRAG_NONE || p->vlan ||
	    p->l4_off != p->l3_off + hdr + o->grown || mtu <= o->grown) {
		count(SHUNT_C_DROP_TOO_BIG);
		return CTX_DROP;
	}
	mtu -= o->grown;
	if (p->family == SHUNT_V4)
		return reject_icmp_v4(ctx, p, &o->dst, &o->src, 3, 4,
				      bpf_htonl(mtu & 0xffff), o,
				      SHUNT_C_ICMP_TOO_BIG);
	return reject_icmp_v6(ctx, p, &o->dst, &o->src, 2, 0, bpf_htonl(mtu), o,
			      SHUNT_C_ICMP_TOO_BIG);
}

/* A client's packet to vip:vport, translated to be (and masqueraded
 * when sn is on: the client is in the flow's REV entry), grown by a DSR
 * option of grown bytes. */
SHUNT_INLINE int pmtu_forward_too_big(ctx_t *ctx, const struct pkt *p,
				      const struct shunt_backend *be,
				      const struct ct_snat *sn,
				      const union shunt_ip *vip, __be16 vport,
				      __u32 grown, __u32 mtu)
{
	struct shunt_ct_entry *rev;
	struct icmp_orig o = {};
	struct shunt_ct_key rk;
	__u8 next;

	o.src = p->src;
	o.sport = p->sport;
	if (sn->on) {
		ct_rev_key(&rk, p, &be->addr, be->port, sn);
		rev = bpf_map_lookup_elem(&ct_map, &rk);
		if (!rev) {
			count(SHUNT_C_DROP_TOO_BIG);
			return CTX_DROP;
		}
		o.src = rev->snat_addr;
		o.sport = rev->snat_port;
	}
	o.dst = *vip;
	o.dport = vport;
	o.grown = grown;
	o.proto = p->proto;
	if (grown && p->family == SHUNT_V6) {
		if (ctx_load(ctx, p->l3_off + sizeof(struct ipv6hdr), next)) {
			count(SHUNT_C_DROP_TOO_BIG);
			return CTX_DROP;
		}
		o.nexthdr = next;
	}
	return pmtu_too_big(ctx, p, &o, mtu);
}

/* A backend's reply, sent as the REV key k says, translated. */
SHUNT_INLINE int pmtu_reply_too_big(ctx_t *ctx, const struct pkt *p,
				    const struct shunt_ct_key *k, __u32 mtu)
{
	struct icmp_orig o = {
		.src = k->src,
		.dst = k->dst,
		.sport = k->sport,
		.dport = k->dport,
		.proto = k->proto,
	};

	return pmtu_too_big(ctx, p, &o, mtu);
}

#endif /* SHUNT_BPF_PMTU_H */
