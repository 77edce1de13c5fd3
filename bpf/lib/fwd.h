/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Forwarding after NAT: FIB lookup, TTL/hop-limit decrement, MAC rewrite
 * and redirect, without the stack. When the FIB cannot tell where to send
 * the packet, the (already translated) packet goes to the stack.
 */
#ifndef SHUNT_BPF_FWD_H
#define SHUNT_BPF_FWD_H

#include "ctx.h"
#include "csum.h"
#include "maps.h"
#include "stats.h"
#include "parse.h"

SHUNT_INLINE void fwd_fib_params(ctx_t *ctx, const struct pkt *p,
				 struct bpf_fib_lookup *fib)
{
	fib->ifindex = ctx_ingress_ifindex(ctx);
	fib->l4_protocol = p->proto;
	fib->sport = p->sport;
	fib->dport = p->dport;
#ifdef SHUNT_HOOK_XDP
	/* The whole IP packet, IPv6 extension headers included. */
	fib->tot_len = p->l3_len;
#else
	/* 0 lets the kernel do a GSO-aware MTU check. */
	fib->tot_len = 0;
#endif
	if (p->family == SHUNT_V4) {
		fib->family = AF_INET;
		fib->ipv4_src = p->src.v4;
		fib->ipv4_dst = p->dst.v4;
	} else {
		fib->family = AF_INET6;
		__builtin_memcpy(fib->ipv6_src, &p->src, 16);
		__builtin_memcpy(fib->ipv6_dst, &p->dst, 16);
	}
}

/* Decrement TTL / hop limit; the caller checked it is above 1. */
SHUNT_INLINE int fwd_dec_ttl(ctx_t *ctx, const struct pkt *p)
{
	if (p->family == SHUNT_V4) {
		struct iphdr *ip = ctx_ptr(ctx, p->l3_off, sizeof(*ip));
		__u32 check;

		if (!ip)
			return -1;
		check = ip->check;
		check += bpf_htons(0x0100);
		ip->check = (__u16)(check + (check >= 0xFFFF));
		ip->ttl--;
		return 0;
	} else {
		struct ipv6hdr *ip6 = ctx_ptr(ctx, p->l3_off, sizeof(*ip6));
		__u8 hl;

		if (!ip6)
			return -1;
		hl = ip6->hop_limit - 1;
#ifdef SHUNT_HOOK_TC
		/* No header checksum absorbs the change: keep a
		 * CHECKSUM_COMPLETE skb->csum in step with the byte. */
		return bpf_skb_store_bytes(
			       ctx,
			       p->l3_off + offsetof(struct ipv6hdr, hop_limit),
			       &hl, 1, BPF_F_RECOMPUTE_CSUM)
			       ? -1
			       : 0;
#else
		ip6->hop_limit = hl;
		return 0;
#endif
	}
}

SHUNT_INLINE int fwd_set_macs(ctx_t *ctx, const struct bpf_fib_lookup *fib)
{
	struct ethhdr *eth = ctx_ptr(ctx, 0, sizeof(*eth));

	if (!eth)
		return -1;
	__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
	return 0;
}

SHUNT_INLINE int fwd_fib_fail(int rc)
{
	switch (rc) {
	case BPF_FIB_LKUP_RET_NOT_FWDED:
	case BPF_FIB_LKUP_RET_FWD_DISABLED:
		/* Destination is local, or forwarding is off: the stack. */
		count(SHUNT_C_PASS_FIB_LOCAL);
		break;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		count(SHUNT_C_PASS_FIB_NO_NEIGH);
		break;
	default:
		count(SHUNT_C_PASS_FIB_FAIL);
		break;
	}
	return CTX_PASS;
}

#ifdef SHUNT_HOOK_XDP

/* Only devices shunt drives in XDP mode are known to accept XDP frames:
 * anything else goes to the stack, untouched but for the NAT. */
SHUNT_INLINE bool fwd_can_redirect(const struct shunt_iface *out)
{
	if (out && (out->flags & SHUNT_IFACE_F_XDP))
		return true;
	count(SHUNT_C_PASS_NO_XDP_TARGET);
	return false;
}

SHUNT_INLINE int fwd_redirect(ctx_t *ctx, const struct bpf_fib_lookup *fib,
			      const struct shunt_iface *out)
{
	(void)out;
	if (fib->ifindex == ctx->ingress_ifindex) {
		count(SHUNT_C_XDP_TX);
		return XDP_TX;
	}
	count(SHUNT_C_REDIRECT);
	return bpf_redirect(fib->ifindex, 0);
}

#else

SHUNT_INLINE bool fwd_can_redirect(const struct shunt_iface *out)
{
	(void)out;
	return true;
}

SHUNT_INLINE int fwd_redirect(ctx_t *ctx, const struct bpf_fib_lookup *fib,
			      const struct shunt_iface *out)
{
	(void)ctx;
	/* A local pod's veth: straight into the peer's ingress. */
	if (out && (out->flags & SHUNT_IFACE_F_PEER_NS)) {
		count(SHUNT_C_REDIRECT_PEER);
		return bpf_redirect_peer(fib->ifindex, 0);
	}
	count(SHUNT_C_REDIRECT);
	return bpf_redirect(fib->ifindex, 0);
}

/* No neighbour yet: let the kernel's neighbour layer resolve it. */
SHUNT_INLINE int fwd_redirect_neigh(const struct bpf_fib_lookup *fib)
{
	struct bpf_redir_neigh nh = {};

	nh.nh_family = fib->family;
	if (fib->family == AF_INET)
		nh.ipv4_nh = fib->ipv4_dst;
	else
		__builtin_memcpy(nh.ipv6_nh, fib->ipv6_dst, 16);
	count(SHUNT_C_REDIRECT_NEIGH);
	return bpf_redirect_neigh(fib->ifindex, &nh, sizeof(nh), 0);
}

#endif

/* May the stack fragment p? IPv4 without DF only. */
SHUNT_INLINE bool fwd_may_fragment(ctx_t *ctx, const struct pkt *p)
{
	struct iphdr ip;

	if (p->family != SHUNT_V4 || ctx_load(ctx, p->l3_off, ip))
		return false;
	return !(ip.frag_off & bpf_htons(0x4000));
}

/* Send a translated packet on its way. When it is too big for the
 * interface it must leave by and may not be fragmented, *too_big is set
 * to that interface's MTU and nothing else is done: the caller answers
 * the sender (pmtu.h). */
SHUNT_GLOBAL int fwd_packet(ctx_t *ctx, const struct pkt *p, __u32 *too_big)
{
	struct bpf_fib_lookup fib = {};
	struct shunt_iface *out;
	__u32 ifindex;
	int rc;

	if (!p || !too_big)
		return CTX_DROP;

	/* The stack owns VLAN devices: hand tagged traffic to it. */
	if (p->vlan) {
		count(SHUNT_C_PASS_VLAN_NAT);
		return CTX_PASS;
	}
	fwd_fib_params(ctx, p, &fib);
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
#ifdef SHUNT_HOOK_TC
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		if (fwd_dec_ttl(ctx, p)) {
			count(SHUNT_C_DROP_NAT_FAIL);
			return CTX_DROP;
		}
		return fwd_redirect_neigh(&fib);
	}
#endif
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED && !fwd_may_fragment(ctx, p)) {
		*too_big = fib.mtu_result;
		return CTX_DROP;
	}
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return fwd_fib_fail(rc);
	ifindex = fib.ifindex;
	out = bpf_map_lookup_elem(&iface_map, &ifindex);
	/* Decide before touching TTL and MACs: a frame passed up must still
	 * be addressed to this host. */
	if (!fwd_can_redirect(out))
		return CTX_PASS;
	if (fwd_dec_ttl(ctx, p) || fwd_set_macs(ctx, &fib)) {
		count(SHUNT_C_DROP_NAT_FAIL);
		return CTX_DROP;
	}
	return fwd_redirect(ctx, &fib, out);
}

#endif /* SHUNT_BPF_FWD_H */
