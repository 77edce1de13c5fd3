/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Address and port rewriting with incremental checksum updates.
 * Forward direction rewrites the destination (VIP -> backend), reply
 * direction the source (backend -> VIP). Later fragments carry no L4
 * header: only the address changes.
 */
#ifndef SHUNT_BPF_NAT_H
#define SHUNT_BPF_NAT_H

#include "ctx.h"
#include "csum.h"
#include "parse.h"

enum nat_side {
	NAT_SRC = 0,
	NAT_DST = 1,
};

struct nat_offsets {
	__u32 addr;  /* address to rewrite */
	__u32 port;  /* port to rewrite */
	__u32 l4sum; /* L4 checksum */
	__u32 alen;  /* 4 or 16 */
};

SHUNT_INLINE void nat_offsets(const struct pkt *p, enum nat_side side,
			      struct nat_offsets *o)
{
	if (p->family == SHUNT_V4) {
		o->addr = p->l3_off + (side == NAT_DST
					       ? offsetof(struct iphdr, daddr)
					       : offsetof(struct iphdr, saddr));
		o->alen = 4;
	} else {
		o->addr = p->l3_off +
			  (side == NAT_DST ? offsetof(struct ipv6hdr, daddr)
					   : offsetof(struct ipv6hdr, saddr));
		o->alen = 16;
	}
	o->port = p->l4_off + (side == NAT_DST ? 2 : 0);
	o->l4sum = p->l4_off + (p->proto == IPPROTO_TCP
					? offsetof(struct tcphdr, check)
					: offsetof(struct udphdr, check));
}

#ifdef SHUNT_HOOK_XDP

SHUNT_INLINE int nat_write_addr(ctx_t *ctx, const struct pkt *p,
				const struct nat_offsets *o,
				const union shunt_ip *old,
				const union shunt_ip *new)
{
	if (p->family == SHUNT_V4) {
		__be32 *a = ctx_ptr(ctx, o->addr, 4);
		struct iphdr *ip = ctx_ptr(ctx, p->l3_off, sizeof(*ip));

		if (!a || !ip)
			return -1;
		*a = new->v4;
		ip->check =
			csum_apply(ip->check, csum_diff32(old->v4, new->v4));
	} else {
		__u32 *a = ctx_ptr(ctx, o->addr, 16);

		if (!a)
			return -1;
		__builtin_memcpy(a, new, 16);
	}
	return 0;
}

/* The L4 header may lie beyond what ctx_ptr() reaches (IPv6 extension
 * headers) or in a fragment of a multi-buffer frame: ctx_load() and
 * ctx_store() take the helpers there, as the parser did. */
SHUNT_INLINE int nat_write_l4(ctx_t *ctx, const struct pkt *p,
			      const struct nat_offsets *o,
			      const union shunt_ip *old_addr,
			      const union shunt_ip *new_addr, __be16 old_port,
			      __be16 new_port)
{
	__u16 sum;
	__u64 diff;

	if (ctx_load(ctx, o->l4sum, sum) || ctx_store(ctx, o->port, new_port))
		return -1;
	/* An IPv4 UDP checksum of 0 means "none" and stays 0. */
	if (p->proto == IPPROTO_UDP && sum == 0)
		return 0;
	diff = csum_diff_addr(old_addr->v6, new_addr->v6,
			      p->family == SHUNT_V6) +
	       csum_diff16(old_port, new_port);
	sum = csum_apply(sum, diff);
	if (p->proto == IPPROTO_UDP && sum == 0)
		sum = 0xffff;
	return ctx_store(ctx, o->l4sum, sum) ? -1 : 0;
}

#else /* SHUNT_HOOK_TC */

SHUNT_INLINE int nat_write_addr(ctx_t *ctx, const struct pkt *p,
				const struct nat_offsets *o,
				const union shunt_ip *old,
				const union shunt_ip *new)
{
	if (p->family == SHUNT_V4) {
		/* The IP checksum absorbs the change: skb->csum unchanged. */
		if (bpf_skb_store_bytes(ctx, o->addr, &new->v4, 4, 0) ||
		    bpf_l3_csum_replace(
			    ctx, p->l3_off + offsetof(struct iphdr, check),
			    old->v4, new->v4, 4))
			return -1;
		return 0;
	}
	/* No IPv6 header checksum: let skb->csum follow the bytes. */
	return bpf_skb_store_bytes(ctx, o->addr, new, 16, BPF_F_RECOMPUTE_CSUM)
		       ? -1
		       : 0;
}

SHUNT_INLINE int nat_write_l4(ctx_t *ctx, const struct pkt *p,
			      const struct nat_offsets *o,
			      const union shunt_ip *old_addr,
			      const union shunt_ip *new_addr, __be16 old_port,
			      __be16 new_port)
{
	__u64 mangled = p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	int rc;

	if (p->family == SHUNT_V4) {
		rc = bpf_l4_csum_replace(ctx, o->l4sum, old_addr->v4,
					 new_addr->v4,
					 BPF_F_PSEUDO_HDR | mangled | 4);
	} else {
		__s64 diff = bpf_csum_diff((__be32 *)old_addr, 16,
					   (__be32 *)new_addr, 16, 0);

		if (diff < 0)
			return -1;
		rc = bpf_l4_csum_replace(ctx, o->l4sum, 0, diff,
					 BPF_F_PSEUDO_HDR | mangled);
	}
	if (rc ||
	    bpf_l4_csum_replace(ctx, o->l4sum, old_port, new_port, mangled | 2))
		return -1;
	return bpf_skb_store_bytes(ctx, o->port, &new_port, 2, 0) ? -1 : 0;
}

#endif

/* Rewrite one side of the packet to addr:port and keep p in step. */
SHUNT_INLINE int nat_rewrite(ctx_t *ctx, struct pkt *p, enum nat_side side,
			     const union shunt_ip *addr, __be16 port)
{
	union shunt_ip *cur = side == NAT_DST ? &p->dst : &p->src;
	__be16 *cur_port = side == NAT_DST ? &p->dport : &p->sport;
	union shunt_ip old = *cur;
	struct nat_offsets o;

	nat_offsets(p, side, &o);
	if (p->frag != PKT_FRAG_LATER &&
	    nat_write_l4(ctx, p, &o, &old, addr, *cur_port, port))
		return -1;
	if (nat_write_addr(ctx, p, &o, &old, addr))
		return -1;
	*cur = *addr;
	if (p->frag != PKT_FRAG_LATER)
		*cur_port = port;
	return 0;
}

#endif /* SHUNT_BPF_NAT_H */
