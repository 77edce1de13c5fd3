/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Connection tracking: one LRU table holding both directions of every
 * flow (FWD keyed as the client sends, REV keyed as the backend replies),
 * a small TCP state machine and per-state lifetimes from config_map.
 *
 * Liveness is decided on the FWD entry: an expired FWD entry makes the
 * next packet a new flow. REV entries only translate replies; a new flow
 * overwrites them, the LRU and the agent's GC reclaim them.
 */
#ifndef SHUNT_BPF_CT_H
#define SHUNT_BPF_CT_H

#include "maps.h"
#include "stats.h"
#include "parse.h"
#include "common.h"

SHUNT_INLINE __u32 cfg_or(__u32 v, __u32 dflt)
{
	return v ? v : dflt;
}

SHUNT_INLINE __u32 ct_lifetime(__u8 state)
{
	__u32 key = 0;
	const struct shunt_config *c = bpf_map_lookup_elem(&config_map, &key);
	struct shunt_config none = {};

	if (!c)
		c = &none;
	switch (state) {
	case SHUNT_CT_SYN_SENT:
		return cfg_or(c->ct_syn_timeout, SHUNT_DEFAULT_CT_SYN);
	case SHUNT_CT_ESTABLISHED:
		return cfg_or(c->ct_established_timeout,
			      SHUNT_DEFAULT_CT_ESTABLISHED);
	case SHUNT_CT_FIN_WAIT:
		return cfg_or(c->ct_fin_wait_timeout,
			      SHUNT_DEFAULT_CT_FIN_WAIT);
	case SHUNT_CT_CLOSE_WAIT:
		return cfg_or(c->ct_close_wait_timeout,
			      SHUNT_DEFAULT_CT_CLOSE_WAIT);
	case SHUNT_CT_TIME_WAIT:
		return cfg_or(c->ct_time_wait_timeout,
			      SHUNT_DEFAULT_CT_TIME_WAIT);
	case SHUNT_CT_CLOSE:
		return cfg_or(c->ct_close_timeout, SHUNT_DEFAULT_CT_CLOSE);
	default:
		return cfg_or(c->ct_udp_timeout, SHUNT_DEFAULT_CT_UDP);
	}
}

SHUNT_INLINE bool ct_expired(const struct shunt_ct_entry *e, __u32 now)
{
	/* Signed: another CPU may have stamped the entry a second after
	 * this packet read the clock. */
	return (__s32)(now - e->last_seen) > (__s32)ct_lifetime(e->state);
}

/* The packet's own tuple in direction dir. */
SHUNT_INLINE void ct_key_from_pkt(struct shunt_ct_key *k, const struct pkt *p,
				  __u8 dir)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->sport = p->sport;
	k->dport = p->dport;
	k->proto = p->proto;
	k->family = p->family;
	k->dir = dir;
}

/* A TCP flow starts unconfirmed (SYN_SENT, a short lifetime) until the
 * backend answers, also when its first packet here is mid-stream (after
 * a restart, a flush, an eviction): such a packet is still balanced
 * (Maglev finds the same backend), but a flood of spoofed ACKs leaves
 * entries that expire with the SYN lifetime, not the established one. */
SHUNT_INLINE __u8 ct_initial_state(const struct pkt *p)
{
	if (p->proto != IPPROTO_TCP)
		return SHUNT_CT_UDP;
	if (p->tcp_flags & TCP_FLAG_RST_)
		return SHUNT_CT_CLOSE;
	return SHUNT_CT_SYN_SENT;
}

/* Does this packet change the flow's state? Cheap test for the fast
 * path: only SYN/FIN/RST and the first reply do. */
SHUNT_INLINE bool ct_needs_update(const struct shunt_ct_entry *e,
				  const struct pkt *p, __u8 dir)
{
	if (p->proto != IPPROTO_TCP)
		return false;
	if (p->tcp_flags & (TCP_FLAG_FIN_ | TCP_FLAG_RST_))
		return true;
	/* A DSR flow sees no reply here: it stays unconfirmed, kept by
	 * its packets, and is picked up again if it idles out. */
	return dir == SHUNT_CT_REV && e->state == SHUNT_CT_SYN_SENT;
}

/* TCP state after this packet. flags accumulates FINs per direction. */
SHUNT_INLINE void ct_next_state(__u8 *state, __u8 *flags, const struct pkt *p,
				__u8 dir)
{
	if (p->tcp_flags & TCP_FLAG_RST_) {
		*flags |= SHUNT_CT_F_RST;
		*state = SHUNT_CT_CLOSE;
		return;
	}
	if (p->tcp_flags & TCP_FLAG_FIN_)
		*flags |= dir == SHUNT_CT_FWD ? SHUNT_CT_F_FIN_FWD
					      : SHUNT_CT_F_FIN_REV;
	if ((*flags & SHUNT_CT_F_FIN_FWD) && (*flags & SHUNT_CT_F_FIN_REV))
		*state = SHUNT_CT_TIME_WAIT;
	else if (*flags & SHUNT_CT_F_FIN_FWD)
		*state = SHUNT_CT_FIN_WAIT;
	else if (*flags & SHUNT_CT_F_FIN_REV)
		*state = SHUNT_CT_CLOSE_WAIT;
	else if (*state == SHUNT_CT_SYN_SENT && dir == SHUNT_CT_REV)
		*state = SHUNT_CT_ESTABLISHED;
}

/* TCP: remember what e's sender last acknowledged, and its window (a
 * store only when they changed). */
SHUNT_INLINE void ct_note_ack(struct shunt_ct_entry *e, const struct pkt *p)
{
	if (p->proto != IPPROTO_TCP ||
	    (p->tcp_flags & (TCP_FLAG_ACK_ | TCP_FLAG_RST_)) != TCP_FLAG_ACK_)
		return;
	if (e->ack_seen != p->tcp_ack)
		e->ack_seen = p->tcp_ack;
	if (e->win_seen != p->tcp_win)
		e->win_seen = p->tcp_win;
}

/* The window scale a RST's window is assumed to have (Linux's for the
 * default buffers); at least 64 KiB either way. */
#define CT_RST_WSCALE  7
#define CT_RST_WIN_MIN 65535

/*
 * Is RST p inside the window of the flow's other side, whose entry is
 * other: its sequence number within the window of other's sender's last
 * ACK? A blind RST must guess that (1 in ~32,000 at best); one sent by
 * the endpoint is there. Nothing seen from the other side yet (or no
 * other entry): believed.
 */
SHUNT_INLINE bool ct_rst_in_window(const struct shunt_ct_entry *other,
				   const struct pkt *p)
{
	__u32 win, d;

	if (!other || p->proto != IPPROTO_TCP ||
	    (!other->ack_seen && !other->win_seen))
		return true;
	win = (__u32)other->win_seen << CT_RST_WSCALE;
	if (win < CT_RST_WIN_MIN)
		win = CT_RST_WIN_MIN;
	d = p->tcp_seq - other->ack_seen;
	return d <= win || -d <= win;
}

/* A new SYN on a closing or closed entry starts a new connection. */
SHUNT_INLINE bool ct_is_reopen(const struct shunt_ct_entry *e,
			       const struct pkt *p)
{
	return p->proto == IPPROTO_TCP &&
	       (p->tcp_flags & (TCP_FLAG_SYN_ | TCP_FLAG_ACK_)) ==
		       TCP_FLAG_SYN_ &&
	       e->state >= SHUNT_CT_FIN_WAIT && e->state <= SHUNT_CT_CLOSE;
}

/* What a new flow's source becomes: on = false leaves it alone. */
struct ct_snat {
	union shunt_ip addr;
	__be16 port;
	bool on;
};

/* The REV key of a flow whose FWD packet (pre-NAT) is p, sent to the
 * backend at addr:port from the client, or from sn's tuple when the
 * flow is masqueraded. */
SHUNT_INLINE void ct_rev_key(struct shunt_ct_key *k, const struct pkt *p,
			     const union shunt_ip *addr, __be16 port,
			     const struct ct_snat *sn)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->src = *addr;
	k->dst = sn->on ? sn->addr : p->src;
	k->sport = port;
	k->dport = sn->on ? sn->port : p->sport;
	k->proto = p->proto;
	k->family = p->family;
	k->dir = SHUNT_CT_REV;
}

/* The SNAT choice recorded in a FWD entry. */
SHUNT_INLINE void ct_snat_of(const struct shunt_ct_entry *fwd,
			     struct ct_snat *sn)
{
	sn->on = fwd->flags & SHUNT_CT_F_SNAT;
	sn->addr = fwd->snat_addr;
	sn->port = fwd->snat_port;
}

/* The FWD key of a flow from its REV entry and a reply packet p. A
 * masqueraded reply is addressed to the SNAT tuple: the client is in
 * the entry. */
SHUNT_INLINE void ct_fwd_key_of_reply(struct shunt_ct_key *k,
				      const struct pkt *p,
				      const struct shunt_ct_entry *rev)
{
	bool snat = rev->flags & SHUNT_CT_F_SNAT;

	__builtin_memset(k, 0, sizeof(*k));
	k->src = snat ? rev->snat_addr : p->dst;
	k->dst = rev->nat_addr;
	k->sport = snat ? rev->snat_port : p->dport;
	k->dport = rev->nat_port;
	k->proto = p->proto;
	k->family = p->family;
	k->dir = SHUNT_CT_FWD;
}

/* A new flow's entry, before its direction's NAT fields. */
SHUNT_INLINE void ct_entry_init(struct shunt_ct_entry *e, const struct pkt *p,
				__u32 svc_id, __u32 backend_id, __u32 now)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->state = ct_initial_state(p);
	ct_next_state(&e->state, &e->flags, p, SHUNT_CT_FWD);
	e->backend_id = backend_id;
	e->svc_id = svc_id;
	e->created = now;
	e->last_seen = now;
}

/* The REV entry of a flow whose FWD packet (pre-NAT) is p: back to the
 * frontend p was sent to and, masqueraded, to the client. */
SHUNT_INLINE void ct_rev_entry(struct shunt_ct_entry *e, const struct pkt *p,
			       bool snat)
{
	e->nat_addr = p->dst;
	e->nat_port = p->dport;
	if (snat) {
		e->flags |= SHUNT_CT_F_SNAT;
		e->snat_addr = p->src;
		e->snat_port = p->sport;
	}
}

/* Does a REV entry translate the replies of the flow p belongs to? A
 * masqueraded flow's REV key may have been taken over by a newer flow
 * once the LRU dropped it. */
SHUNT_INLINE bool ct_rev_is_ours(const struct shunt_ct_entry *rev,
				 const struct pkt *p)
{
	if (!(rev->flags & SHUNT_CT_F_SNAT))
		return true;
	return ip_equal(&rev->snat_addr, &p->src) &&
	       rev->snat_port == p->sport &&
	       ip_equal(&rev->nat_addr, &p->dst) && rev->nat_port == p->dport;
}

/* Is old, the REV entry found under a new flow p's reply tuple, another
 * live flow's? Its replies go to another frontend (or client), and it
 * is neither expired nor closed. The same frontend's is this client's
 * connection starting again: taken over. */
SHUNT_INLINE bool ct_rev_clash(const struct shunt_ct_entry *old,
			       const struct pkt *p, __u32 now)
{
	if (ct_expired(old, now) || old->state == SHUNT_CT_CLOSE ||
	    old->state == SHUNT_CT_TIME_WAIT)
		return false;
	if ((old->flags & SHUNT_CT_F_SNAT) &&
	    (!ip_equal(&old->snat_addr, &p->src) || old->snat_port != p->sport))
		return true;
	return !ip_equal(&old->nat_addr, &p->dst) || old->nat_port != p->dport;
}

/* ct_create(): the reply tuple belongs to another live flow. */
#define CT_CLASH (-2)

/* Create both entries of a new flow. A masqueraded flow's REV entry was
 * written when its port was taken (snat.h): only FWD is left. 0, -1, or
 * CT_CLASH (counted) when the flow's reply tuple is another live flow's
 * (one client address and port to two frontends sharing a backend): the
 * flow must not be made, or the other's replies would be translated
 * from the wrong address. */
SHUNT_INLINE int ct_create(const struct pkt *p, const struct shunt_ct_key *fwd,
			   __u32 svc_id, __u32 backend_id,
			   const struct shunt_backend *be,
			   const struct ct_snat *sn, __u32 now)
{
	struct shunt_ct_entry e, *old;
	struct shunt_ct_key rev;

	ct_entry_init(&e, p, svc_id, backend_id, now);
	if (!sn->on) {
		/* REV first: a reply can only follow once FWD exists. */
		ct_rev_key(&rev, p, &be->addr, be->port, sn);
		ct_rev_entry(&e, p, false);
		if (bpf_map_update_elem(&ct_map, &rev, &e, BPF_NOEXIST)) {
			old = bpf_map_lookup_elem(&ct_map, &rev);
			if (old && ct_rev_clash(old, p, now)) {
				count(SHUNT_C_CT_REPLY_CLASH);
				return CT_CLASH;
			}
			if (bpf_map_update_elem(&ct_map, &rev, &e, BPF_ANY))
				return -1;
		}
	} else {
		e.flags |= SHUNT_CT_F_SNAT;
		e.snat_addr = sn->addr;
		e.snat_port = sn->port;
	}
	e.nat_addr = be->addr;
	e.nat_port = be->port;
	return bpf_map_update_elem(&ct_map, fwd, &e, BPF_ANY);
}

/* The REV entry of the flow whose FWD entry is fwd, recreated from fwd
 * when it is gone. NULL when it cannot be written or, for a masqueraded
 * flow, when its tuple now belongs to another flow. */
SHUNT_INLINE struct shunt_ct_entry *
ct_rev_ensure(const struct pkt *p, const struct shunt_ct_entry *fwd,
	      const struct shunt_backend *be)
{
	struct shunt_ct_entry *rev, e;
	struct shunt_ct_key rk;
	struct ct_snat sn;

	ct_snat_of(fwd, &sn);
	ct_rev_key(&rk, p, &be->addr, be->port, &sn);
	rev = bpf_map_lookup_elem(&ct_map, &rk);
	if (rev)
		return ct_rev_is_ours(rev, p) ? rev : NULL;
	e = *fwd;
	e.flags &= ~SHUNT_CT_F_SNAT;
	e.ack_seen = 0; /* the backend's, not the client's */
	e.win_seen = 0;
	ct_rev_entry(&e, p, sn.on);
	/* NOEXIST: never take a tuple over from a flow that got it. A
	 * packet of this flow on another CPU may have just restored it. */
	if (bpf_map_update_elem(&ct_map, &rk, &e, BPF_NOEXIST)) {
		rev = bpf_map_lookup_elem(&ct_map, &rk);
		return rev && ct_rev_is_ours(rev, p) ? rev : NULL;
	}
	count(SHUNT_C_CT_REV_RESTORED);
	return bpf_map_lookup_elem(&ct_map, &rk);
}

/* Apply a state change to both entries of a flow. other is the entry
 * found under the flow's other key: it belongs to this flow only while
 * it names the same backend (a moved flow leaves a stale REV entry). */
SHUNT_INLINE void ct_update_pair(struct shunt_ct_entry *self,
				 struct shunt_ct_entry *other,
				 const struct pkt *p, __u8 dir, __u32 now)
{
	__u8 state = self->state, flags = self->flags;

	/* A RST outside the window changes nothing, not even liveness:
	 * blind RSTs can neither close a flow nor keep it. */
	if ((p->tcp_flags & TCP_FLAG_RST_) &&
	    !ct_rst_in_window(other && other->backend_id == self->backend_id
				      ? other
				      : NULL,
			      p)) {
		count(SHUNT_C_CT_RST_IGNORED);
		return;
	}
	ct_next_state(&state, &flags, p, dir);
	self->state = state;
	self->flags = flags;
	self->last_seen = now;
	if (other && other->backend_id == self->backend_id) {
		other->state = state;
		other->flags = flags;
		other->last_seen = now;
	}
}

#endif /* SHUNT_BPF_CT_H */
