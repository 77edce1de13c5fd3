/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * SNAT (masquerade) of new flows, where kube-proxy masquerades:
 *   - traffic to an external frontend (NodePort, LoadBalancer IP,
 *     externalIP) whose traffic policy is Cluster, sent to a backend on
 *     another node (SHUNT_BE_F_REMOTE, from its EndpointSlice's
 *     nodeName): the backend's reply would go straight to the client,
 *     past the node that translated the request;
 *   - hairpin: a pod whose flow to a service picked the pod itself.
 * The new source is the egress interface's address (iface_map) and a
 * port of config_map's SNAT range, chosen so that no two live flows
 * have the same tuple towards one backend: the flow's REV entry, keyed
 * by that tuple, is written with BPF_NOEXIST, and a port whose entry
 * exists is skipped (taken over when its flow has expired, or has closed
 * both ways and the new flow starts with a SYN).
 *
 * A closed tuple may still be held by the backend's TIME_WAIT socket,
 * which accepts a new SYN on it only with a TCP timestamp later than the
 * last it saw (PAWS), and clients pick a random timestamp offset per
 * connection: so a tuple whose client sent a FIN with timestamp T (the
 * REV entry's fin_tsval) goes to a SYN only if its TSval is later than
 * T + SNAT_TS_MARGIN; else the next port is tried (snat_paws_skip).
 */
#ifndef SHUNT_BPF_SNAT_H
#define SHUNT_BPF_SNAT_H

#include "ct.h"
#include "fwd.h"
#include "maps.h"
#include "stats.h"
#include "tcpts.h"

/* Ports tried for one new flow, one after another from a random one. */
#define SNAT_TRIES 32

/* TSval ticks (milliseconds on Linux) between a closed flow's FIN and its
 * last ACK, which is what the backend's TIME_WAIT remembers. */
#define SNAT_TS_MARGIN 1000

enum snat_verdict {
	SNAT_NONE = 0, /* the source stays */
	SNAT_DO = 1,   /* masquerade behind sn->addr */
	SNAT_DROP = 2, /* masquerade, but no address to do it with */
};

/* The interface the FIB sends a packet from p's source to addr out of;
 * 0 when it does not know. */
SHUNT_INLINE __u32 snat_egress(ctx_t *ctx, const struct pkt *p,
			       const union shunt_ip *addr, __be16 port)
{
	struct bpf_fib_lookup fib = {};
	int rc;

	fwd_fib_params(ctx, p, &fib);
	fib.tot_len = 0;
	fib.dport = port;
	if (p->family == SHUNT_V4)
		fib.ipv4_dst = addr->v4;
	else
		__builtin_memcpy(fib.ipv6_dst, addr, 16);
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	/* Too big (tc checks the skb against the device): the interface
	 * is known all the same, and the packet gets its answer later. */
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH &&
	    rc != BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return 0;
	return fib.ifindex;
}

/* Does a new flow of frontend fe to backend be need masquerading, and
 * behind which address? */
SHUNT_INLINE enum snat_verdict snat_decide(ctx_t *ctx, const struct pkt *p,
					   const struct shunt_frontend *fe,
					   const struct shunt_backend *be,
					   struct ct_snat *sn)
{
	bool hairpin = ip_equal(&p->src, &be->addr);
	const union shunt_ip *addr;
	struct shunt_iface *out;
	__u32 ifindex;

	sn->on = false;
	if (!hairpin && (!(fe->flags & SHUNT_FE_F_EXTERNAL) ||
			 (fe->flags & SHUNT_FE_F_LOCAL) ||
			 !(be->flags & SHUNT_BE_F_REMOTE)))
		return SNAT_NONE;
	ifindex = snat_egress(ctx, p, &be->addr, be->port);
	if (!ifindex)
		return SNAT_NONE; /* the stack will decide where it goes */
	out = bpf_map_lookup_elem(&iface_map, &ifindex);
	if (!out) {
		count(SHUNT_C_DROP_SNAT_NO_ADDR);
		return SNAT_DROP;
	}
	addr = p->family == SHUNT_V4 ? &out->addr4 : &out->addr6;
	if (!addr->v6[0] && !addr->v6[1] && !addr->v6[2] && !addr->v6[3]) {
		count(SHUNT_C_DROP_SNAT_NO_ADDR);
		return SNAT_DROP;
	}
	sn->addr = *addr;
	sn->on = true;
	count(hairpin ? SHUNT_C_SNAT_HAIRPIN : SHUNT_C_SNAT_NEW);
	return SNAT_DO;
}

/* Would the backend's TIME_WAIT on old's tuple take a SYN with TSval
 * tsval (0: none, or unknown)? */
SHUNT_INLINE bool snat_paws_ok(const struct shunt_ct_entry *old, __u32 tsval)
{
	if (old->state != SHUNT_CT_TIME_WAIT || !old->fin_tsval || !tsval)
		return true;
	if ((__s32)(tsval - old->fin_tsval) > SNAT_TS_MARGIN)
		return true;
	count(SHUNT_C_SNAT_PAWS_SKIP);
	return false;
}

enum snat_reuse {
	SNAT_REUSE_NO = 0,
	SNAT_REUSE_YES = 1,
	SNAT_REUSE_PAWS = 2, /* closed, but the backend may refuse the SYN */
};

/* May a new flow p (a SYN's TSval: tsval) take the tuple of the flow
 * whose REV entry is old? */
SHUNT_INLINE enum snat_reuse snat_reusable(const struct shunt_ct_entry *old,
					   const struct pkt *p, __u32 now,
					   __u32 tsval)
{
	bool syn = p->proto == IPPROTO_TCP &&
		   (p->tcp_flags & (TCP_FLAG_SYN_ | TCP_FLAG_ACK_)) ==
			   TCP_FLAG_SYN_;

	if (syn && (old->state == SHUNT_CT_TIME_WAIT ||
		    old->state == SHUNT_CT_CLOSE || ct_expired(old, now)))
		return snat_paws_ok(old, tsval) ? SNAT_REUSE_YES
						: SNAT_REUSE_PAWS;
	return ct_expired(old, now) ? SNAT_REUSE_YES : SNAT_REUSE_NO;
}

/* A masqueraded flow's client sent a FIN: remember its TSval in the REV
 * entry, for whoever takes the tuple over. */
SHUNT_INLINE void snat_note_fin(ctx_t *ctx, const struct pkt *p,
				struct shunt_ct_entry *rev)
{
	__u32 ts = tcp_tsval(ctx, p);

	if (ts)
		rev->fin_tsval = ts;
}

/*
 * Take a port for a masqueraded new flow p to be and write the flow's
 * REV entry rev (ct_entry_init() and ct_rev_entry() made it) under it;
 * sn->port is set. -1 (counted) when every port tried is in use.
 */
SHUNT_INLINE int snat_alloc(ctx_t *ctx, const struct pkt *p,
			    const struct shunt_backend *be,
			    const struct shunt_ct_entry *rev,
			    struct ct_snat *sn)
{
	__u32 key = 0, span, first, i, port, tsval = 0, fallback = 0;
	const struct shunt_config *cfg;
	struct shunt_ct_entry *old;
	struct shunt_ct_key rk;
	enum snat_reuse r;
	__u32 now;

	now = rev->last_seen;

	cfg = bpf_map_lookup_elem(&config_map, &key);
	if (!cfg || !cfg->snat_port_min ||
	    cfg->snat_port_max < cfg->snat_port_min ||
	    cfg->snat_port_max > 65535)
		goto exhausted;
	span = cfg->snat_port_max - cfg->snat_port_min + 1;
	first = bpf_get_prandom_u32() % span;
	if (p->tcp_flags & TCP_FLAG_SYN_)
		tsval = tcp_tsval(ctx, p);
	for (i = 0; i < SNAT_TRIES && i < span; i++) {
		port = cfg->snat_port_min + (first + i) % span;
		sn->port = bpf_htons((__u16)port);
		ct_rev_key(&rk, p, &be->addr, be->port, sn);
		if (!bpf_map_update_elem(&ct_map, &rk, rev, BPF_NOEXIST))
			return 0;
		/* In use, unless its flow is over: expired and not collected
		 * yet, or closed both ways (TIME_WAIT, RST) and this is a new
		 * connection's SYN, which netfilter lets reuse a tuple too. */
		old = bpf_map_lookup_elem(&ct_map, &rk);
		r = old ? snat_reusable(old, p, now, tsval) : SNAT_REUSE_NO;
		if (r == SNAT_REUSE_YES &&
		    !bpf_map_update_elem(&ct_map, &rk, rev, BPF_EXIST))
			return 0;
		if (r == SNAT_REUSE_PAWS && !fallback)
			fallback = port;
		count(SHUNT_C_SNAT_RETRY);
	}
	/* Only closed tuples the backend may still hold: one of them
	 * rather than none (at worst the SYN is sent again). */
	if (fallback) {
		sn->port = bpf_htons((__u16)fallback);
		ct_rev_key(&rk, p, &be->addr, be->port, sn);
		if (!bpf_map_update_elem(&ct_map, &rk, rev, BPF_ANY))
			return 0;
	}
exhausted:
	count(SHUNT_C_DROP_SNAT_EXHAUSTED);
	return -1;
}

/* snat_alloc() for a new flow of svc_id to backend_id (be). */
SHUNT_INLINE int snat_new_flow(ctx_t *ctx, const struct pkt *p,
			       const struct shunt_backend *be, __u32 svc_id,
			       __u32 backend_id, __u32 now, struct ct_snat *sn)
{
	struct shunt_ct_entry rev;

	ct_entry_init(&rev, p, svc_id, backend_id, now);
	ct_rev_entry(&rev, p, true);
	return snat_alloc(ctx, p, be, &rev, sn);
}

#endif /* SHUNT_BPF_SNAT_H */
