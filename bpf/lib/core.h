/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The packet-processing core, compiled for XDP and for tc:
 *   parse -> (later fragment: ports from frag_map)
 *         -> frontend?  forward: conntrack, Maglev, DNAT (and SNAT
 *                       where the reply would not come back), forward
 *         -> else reply of a tracked flow?  reverse NAT, forward
 *         -> else pass to the stack untouched.
 */
#ifndef SHUNT_BPF_CORE_H
#define SHUNT_BPF_CORE_H

#include "ctx.h"
#include "ct.h"
#include "dsr.h"
#include "fwd.h"
#include "icmp.h"
#include "lb.h"
#include "maps.h"
#include "nat.h"
#include "parse.h"
#include "pmtu.h"
#include "reject.h"
#include "snat.h"
#include "srcrange.h"
#include "stats.h"

SHUNT_INLINE void frag_key(struct shunt_frag_key *k, const struct pkt *p)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->id = p->frag_id;
	k->proto = p->proto;
	k->family = p->family;
}

/* First fragment: remember the ports for the fragments that follow. */
SHUNT_INLINE void frag_learn(const struct pkt *p)
{
	struct shunt_frag_key k;
	struct shunt_frag f = {
		.sport = p->sport,
		.dport = p->dport,
	};

	if (p->frag != PKT_FRAG_FIRST)
		return;
	frag_key(&k, p);
	bpf_map_update_elem(&frag_map, &k, &f, BPF_ANY);
	count(SHUNT_C_FRAG_FIRST);
}

/* Later fragment: ports from its first fragment; 0, or -1 when they are
 * not known. */
SHUNT_GLOBAL int frag_recall(struct pkt *p)
{
	struct shunt_frag_key k;
	struct shunt_frag *f;

	if (!p)
		return -1;
	frag_key(&k, p);
	f = bpf_map_lookup_elem(&frag_map, &k);
	if (!f)
		return -1;
	p->sport = f->sport;
	p->dport = f->dport;
	count(SHUNT_C_FRAG_LATER);
	return 0;
}

/* A new flow of service svc_id: its backend, or 0 when it has none. */
SHUNT_INLINE __u32 lb_new_flow_backend(__u32 svc_id, const struct pkt *p,
				       __u32 now)
{
	struct shunt_service *svc = lb_service(svc_id);

	if (!svc)
		return SHUNT_BACKEND_NONE;
	return lb_select(
		svc_id, svc, &p->src, p->family,
		shunt_flow_hash(&p->src, &p->dst, p->sport, p->dport, p->proto),
		now);
}

/* What a packet to a service gets from conntrack. */
struct lb_flow {
	__u32 svc_id;
	__u32 id;	/* the backend, SHUNT_BACKEND_NONE: drop (counted when
			 * dropped) */
	__u32 fe_flags; /* SHUNT_FE_F_* */
	bool new_flow;
	bool refused; /* a new flow that could not be made (SNAT) */
	bool dsr;     /* sent to a remote backend by DSR (dsr.h) */
	struct ct_snat sn;
};

/* The packet's struct lb_flow lives in a per-CPU slot, not on the stack:
 * the frames of the functions along a call chain share 512 bytes. A
 * program run is neither preempted nor nested on its CPU. Not pinned:
 * each load has its own. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_flow);
} lb_flow_scratch SEC(".maps");

/* A new flow to be: by DSR, masqueraded or neither (snat.h), then its
 * entries. 0, or -1 when it must be dropped (counted). */
SHUNT_INLINE int lb_flow_create(ctx_t *ctx, const struct pkt *p,
				const struct shunt_frontend *fe,
				const struct shunt_ct_key *key, __u32 id,
				const struct shunt_backend *be, __u32 now,
				struct lb_flow *f)
{
	struct ct_snat *sn = &f->sn;

	sn->on = false;
	if (dsr_wanted(fe, be)) {
		f->dsr = true;
		if (dsr_flow_create(p, key, fe->svc_id, id, be, now))
			count(SHUNT_C_CT_CREATE_FAIL);
		return 0;
	}
	switch (snat_decide(ctx, p, fe, be, sn)) {
	case SNAT_DROP:
		return -1;
	case SNAT_DO:
		if (snat_new_flow(ctx, p, be, fe->svc_id, id, now, sn))
			return -1;
		break;
	default:
		break;
	}
	switch (ct_create(p, key, fe->svc_id, id, be, sn, now)) {
	case 0:
		return 0;
	case CT_CLASH:
		return -1;
	default:
		count(SHUNT_C_CT_CREATE_FAIL);
		return 0;
	}
}

/* An existing flow e of p, to backend be: its state, and a REV entry
 * lost to the LRU restored. False when the flow must start again
 * (its masqueraded tuple went to a newer flow). */
SHUNT_INLINE bool lb_flow_continue(ctx_t *ctx, const struct pkt *p,
				   struct shunt_ct_entry *e,
				   const struct shunt_backend *be,
				   struct lb_flow *f, __u32 now)
{
	struct shunt_ct_entry *rev;
	struct ct_snat *sn = &f->sn;

	ct_snat_of(e, sn);
	f->dsr = e->flags & SHUNT_CT_F_DSR;
	ct_note_ack(e, p);
	/* State changes and, once a second, a check that the reply entry
	 * is still there (the LRU may have taken it alone when the table
	 * was full). A DSR flow has none. */
	if (!ct_needs_update(e, p, SHUNT_CT_FWD) && e->last_seen == now)
		return true;
	if (f->dsr) {
		ct_update_pair(e, NULL, p, SHUNT_CT_FWD, now);
		return true;
	}
	rev = ct_rev_ensure(p, e, be);
	if (!rev && sn->on) {
		count(SHUNT_C_SNAT_REV_LOST);
		return false;
	}
	ct_update_pair(e, rev, p, SHUNT_CT_FWD, now);
	if (rev && sn->on && (p->tcp_flags & TCP_FLAG_FIN_))
		snat_note_fin(ctx, p, rev);
	return true;
}

/*
 * The frontend p is sent to and, through conntrack, the backend of its
 * flow, creating the flow when there is none, and how its source is
 * rewritten: LB_FLOW_OK with f filled (f->id SHUNT_BACKEND_NONE when no
 * backend is left or the flow cannot be made), LB_NOT_FRONTEND,
 * LB_FLOW_REPLY, LB_FLOW_DENIED (drop) or LB_FLOW_PASS (counted). A packet that
 * is the reply of a tracked flow is one even when it is addressed to a frontend
 * (a masqueraded or DSR tuple that is also a VIP:port): it is translated back,
 * never balanced as a new flow. A global function: it cannot hand back map
 * values, lb_forward() looks the backend up again by f->id.
 */
#define LB_FLOW_OK	0
#define LB_NOT_FRONTEND 1
#define LB_FLOW_PASS	2
#define LB_FLOW_REPLY	3 /* a tracked flow's reply: lb_reverse() */
#define LB_FLOW_DENIED	4 /* source outside the ranges (srcrange.h) */
SHUNT_GLOBAL int lb_flow_backend(ctx_t *ctx, const struct pkt *p,
				 struct lb_flow *f)
{
	__u32 svc_id, now = now_sec(), id;
	struct shunt_frontend *fe, own;
	struct shunt_ct_entry *e;
	struct shunt_ct_key key;
	struct shunt_backend *be;

	if (!p || !f)
		return LB_FLOW_PASS;
	fe = lb_frontend(&p->dst, p->dport, p->proto, p->family);
	if (!fe)
		return LB_NOT_FRONTEND;
	/* Always the copy: one kind of pointer for the verifier. */
	own = *fe;
	fe = &own;
	ct_key_from_pkt(&key, p, SHUNT_CT_REV);
	if (bpf_map_lookup_elem(&ct_map, &key)) {
		count(SHUNT_C_CT_REV_TO_FRONTEND);
		return LB_FLOW_REPLY;
	}
	/* The frontend's own ranges, before anything else (kube-proxy's
	 * firewall chain comes before its short-circuit too). */
	if (!src_range_allowed(p, fe))
		return LB_FLOW_DENIED;
	/* A pod of this node to a Local policy's external frontend: the
	 * cluster set, for every packet of the flow alike. */
	if ((own.flags & SHUNT_FE_F_LOCAL) &&
	    lb_from_local_pod(&p->src, p->family) && lb_short_circuit(&own))
		count(SHUNT_C_LOCAL_SHORT_CIRCUIT);
	/* Let the stack send Time Exceeded for the untranslated packet. */
	if (p->ttl <= 1) {
		count(SHUNT_C_PASS_TTL);
		return LB_FLOW_PASS;
	}
	svc_id = fe->svc_id;
	f->svc_id = svc_id;
	f->fe_flags = fe->flags;
	f->id = SHUNT_BACKEND_NONE;
	ct_key_from_pkt(&key, p, SHUNT_CT_FWD);
	e = bpf_map_lookup_elem(&ct_map, &key);
	if (e && !ct_expired(e, now) && !ct_is_reopen(e, p)) {
		be = lb_backend(e->backend_id, svc_id);
		if (be && be->port == e->nat_port &&
		    ip_equal(&be->addr, &e->nat_addr)) {
			count(SHUNT_C_CT_HIT);
			if (lb_flow_continue(ctx, p, e, be, f, now)) {
				f->id = e->backend_id;
				return LB_FLOW_OK;
			}
			/* Its masqueraded tuple went to a newer flow: this
			 * one starts again under another. */
		} else {
			count(SHUNT_C_CT_BACKEND_GONE);
		}
	} else if (e) {
		count(ct_is_reopen(e, p) ? SHUNT_C_CT_REOPEN
					 : SHUNT_C_CT_EXPIRED);
	} else {
		count(SHUNT_C_CT_MISS);
		/* Mid-stream TCP without an entry: evicted, flushed, or
		 * from before a restart. Maglev finds the same backend
		 * while the backend set is unchanged. */
		if (p->proto == IPPROTO_TCP && !(p->tcp_flags & TCP_FLAG_SYN_))
			count(SHUNT_C_CT_MISS_MIDSTREAM);
	}

	id = lb_new_flow_backend(svc_id, p, now);
	be = lb_backend(id, svc_id);
	if (!be)
		return LB_FLOW_OK;
	if (lb_flow_create(ctx, p, fe, &key, id, be, now, f)) {
		f->refused = true;
		return LB_FLOW_OK;
	}
	f->new_flow = true;
	f->id = id;
	return LB_FLOW_OK;
}

/* No backend for a packet of flow f: kube-proxy rejects, but drops for a
 * Local policy without local endpoints. */
SHUNT_INLINE int lb_no_backend(ctx_t *ctx, struct pkt *p,
			       const struct lb_flow *f)
{
	if (f->refused)
		return CTX_DROP;
	stats_no_backend(f->svc_id);
	if (!(f->fe_flags & SHUNT_FE_F_LOCAL))
		return reject_packet(ctx, p);
	count(SHUNT_C_DROP_NO_BACKEND);
	return CTX_DROP;
}

/* A packet of flow f (lb_flow_backend()): to its backend, translated. */
SHUNT_GLOBAL int lb_forward(ctx_t *ctx, struct pkt *p, const struct lb_flow *f)
{
	__u64 len = ctx_wire_len(ctx);
	struct shunt_backend *be;
	union shunt_ip vip;
	__u32 too_big = 0;
	int rc, grown = 0;
	__be16 vport;

	if (!p || !f)
		return CTX_PASS;
	be = lb_backend(f->id, f->svc_id);
	if (!be)
		return lb_no_backend(ctx, p, f);
	frag_learn(p);
	vip = p->dst;
	vport = p->dport;
	if (nat_rewrite(ctx, p, NAT_DST, &be->addr, be->port) ||
	    (f->sn.on &&
	     nat_rewrite(ctx, p, NAT_SRC, &f->sn.addr, f->sn.port))) {
		count(SHUNT_C_DROP_NAT_FAIL);
		return CTX_DROP;
	}
	if (f->dsr && dsr_needs_opt(p)) {
		grown = dsr_encode(ctx, p, &vip, vport);
		if (grown < 0)
			return CTX_DROP;
	}
	count(SHUNT_C_NAT_FWD);
	stats_add(&svc_stats_map, f->svc_id, len, true, f->new_flow);
	stats_add(&backend_stats_map, f->id, len, true, f->new_flow);
	rc = fwd_packet(ctx, p, &too_big);
	if (too_big)
		return pmtu_forward_too_big(ctx, p, be, &f->sn, &vip, vport,
					    grown, too_big);
	return rc;
}

/* A reply from a backend: translate the source back to the VIP. */
SHUNT_GLOBAL int lb_reverse(ctx_t *ctx, struct pkt *p)
{
	struct shunt_ct_key key;
	struct shunt_ct_entry *e;
	__u32 now, svc_id, backend_id, too_big = 0;
	__u64 len = ctx_wire_len(ctx);
	int rc;

	if (!p)
		return CTX_PASS;

	ct_key_from_pkt(&key, p, SHUNT_CT_REV);
	e = bpf_map_lookup_elem(&ct_map, &key);
	if (!e) {
		count(SHUNT_C_PASS_NOT_SERVICE);
		return CTX_PASS;
	}
	count(SHUNT_C_CT_REV_HIT);
	ct_note_ack(e, p);
	if (p->ttl <= 1) {
		count(SHUNT_C_PASS_TTL);
		return CTX_PASS;
	}
	now = now_sec();
	if (ct_needs_update(e, p, SHUNT_CT_REV) || e->last_seen != now) {
		/* State changes and, once a second, liveness go to the FWD
		 * entry too: it decides whether the flow is alive. */
		struct shunt_ct_key fk;

		ct_fwd_key_of_reply(&fk, p, e);
		ct_update_pair(e, bpf_map_lookup_elem(&ct_map, &fk), p,
			       SHUNT_CT_REV, now);
	}
	svc_id = e->svc_id;
	backend_id = e->backend_id;
	frag_learn(p);
	/* A masqueraded flow's reply goes back to the client too. */
	if (nat_rewrite(ctx, p, NAT_SRC, &e->nat_addr, e->nat_port) ||
	    ((e->flags & SHUNT_CT_F_SNAT) &&
	     nat_rewrite(ctx, p, NAT_DST, &e->snat_addr, e->snat_port))) {
		count(SHUNT_C_DROP_NAT_FAIL);
		return CTX_DROP;
	}
	count(SHUNT_C_NAT_REV);
	stats_add(&svc_stats_map, svc_id, len, false, false);
	stats_add(&backend_stats_map, backend_id, len, false, false);
	rc = fwd_packet(ctx, p, &too_big);
	if (too_big)
		return pmtu_reply_too_big(ctx, p, &key, too_big);
	return rc;
}

/* Parse; when headers looked truncated but more of the packet exists
 * outside the linear area (tc), pull it in and parse once more. */
SHUNT_INLINE int lb_parse(ctx_t *ctx, struct pkt *p)
{
	int rc = parse_packet(ctx, p);

	if ((rc == SHUNT_C_PASS_MALFORMED_L3 ||
	     rc == SHUNT_C_PASS_MALFORMED_L4) &&
	    ctx_pull_headers(ctx)) {
		__builtin_memset(p, 0, sizeof(*p));
		rc = parse_packet(ctx, p);
	}
	return rc;
}

SHUNT_INLINE int lb_process(ctx_t *ctx)
{
	struct pkt p = {};
	struct lb_flow *f;
	__u32 zero = 0;
	int rc;

	rc = lb_parse(ctx, &p);
	if (rc != PARSE_OK) {
		/* An ICMP error may be about a flow of ours. */
		if (rc == SHUNT_C_PASS_NOT_L4 && icmp_is_error(ctx, &p))
			return icmp_error(ctx, &p);
		count(rc);
		return CTX_PASS;
	}
	if (p.frag == PKT_FRAG_LATER && frag_recall(&p)) {
		count(SHUNT_C_PASS_FRAG_NO_STATE);
		return CTX_PASS;
	}
	f = bpf_map_lookup_elem(&lb_flow_scratch, &zero);
	if (!f)
		return CTX_PASS;
	__builtin_memset(f, 0, sizeof(*f));
	rc = lb_flow_backend(ctx, &p, f);
	if (rc == LB_FLOW_OK)
		return lb_forward(ctx, &p, f);
	if (rc == LB_FLOW_PASS)
		return CTX_PASS;
	if (rc == LB_FLOW_DENIED)
		return CTX_DROP;
	if (rc == LB_FLOW_REPLY)
		return lb_reverse(ctx, &p);
	if (p.dsr_off)
		return dsr_accept(ctx, &p);
	if (p.proto == IPPROTO_TCP &&
	    (p.tcp_flags & (TCP_FLAG_SYN_ | TCP_FLAG_ACK_)) == TCP_FLAG_SYN_)
		dsr_forget(&p);
	return lb_reverse(ctx, &p);
}

#endif /* SHUNT_BPF_CORE_H */
