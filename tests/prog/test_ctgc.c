// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Conntrack garbage collection (user/lib/ctgc.h) against the real
 * datapath: flows are opened by shunt_xdp / shunt_tc (BPF_PROG_TEST_RUN)
 * or written into ct_map, aged by moving last_seen into the past, and
 * shunt_ct_gc() must remove exactly the entries of flows that are gone:
 * a FWD entry idle longer than its state's lifetime (config_map), a REV
 * entry whose FWD entry is gone, expired or names another backend. Live
 * flows, whatever their REV entry's age, stay byte for byte.
 */
#include <time.h>

#include "progtest.h"
#include "config.h"
#include "ctgc.h"

/* --- ct_map helpers ------------------------------------------------- */

static __u32 ct_capacity(void)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(penv.s.ct_map, &info, &len), 0);
	return info.max_entries;
}

static size_t ct_count(void)
{
	struct shunt_ct_info *v;
	size_t n;

	assert_int_equal(shunt_ct_list(&penv.s, &v, &n), 0);
	free(v);
	return n;
}

static bool ct_has(const struct shunt_ct_key *k, struct shunt_ct_entry *e)
{
	struct shunt_ct_entry tmp;

	return bpf_map_lookup_elem(penv.s.ct_map, k, e ? e : &tmp) == 0;
}

static void ct_put(const struct shunt_ct_key *k, const struct shunt_ct_entry *e)
{
	assert_int_equal(bpf_map_update_elem(penv.s.ct_map, k, e, BPF_ANY), 0);
}

/* Teardown of the tests that fill ct_map: delete entry by entry from a
 * listing (penv_reset's map_clear restarts every lookup at bucket 0,
 * which is quadratic on a big table). */
static int ct_empty(void **state)
{
	(void)state;
	return shunt_ct_flush(&penv.s, NULL) ? -1 : 0;
}

/* The FWD key of the flow of spec (the packet as the client sent it). */
static void fwd_key(struct shunt_ct_key *k, const struct pg_spec *s)
{
	memset(k, 0, sizeof(*k));
	k->src = penv_ip(&s->src);
	k->dst = penv_ip(&s->dst);
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
	k->family = s->src.family == 4 ? SHUNT_V4 : SHUNT_V6;
	k->dir = SHUNT_CT_FWD;
}

/* The REV key of that flow when it went to backend idx of v. */
static void rev_key(struct shunt_ct_key *k, const struct pg_spec *s,
		    const struct svc *v, int idx)
{
	struct pg_addr be = pg_addr(v->be_addr[idx]);

	memset(k, 0, sizeof(*k));
	k->src = penv_ip(&be);
	k->dst = penv_ip(&s->src);
	k->sport = htons(idx == 0 ? BE1_PORT : BE2_PORT);
	k->dport = htons(s->sport);
	k->proto = s->proto;
	k->family = s->src.family == 4 ? SHUNT_V4 : SHUNT_V6;
	k->dir = SHUNT_CT_REV;
}

/* Move the entry's last_seen (and created) age seconds into the past. */
static void ct_age(const struct shunt_ct_key *k, __u32 age)
{
	struct shunt_ct_entry e;

	if (!ct_has(k, &e))
		fail_msg("no ct entry to age");
	e.last_seen = shunt_ct_now() - age;
	if (e.created > e.last_seen)
		e.created = e.last_seen;
	assert_int_equal(bpf_map_update_elem(penv.s.ct_map, k, &e, BPF_EXIST),
			 0);
}

/* One opened flow: its spec, backend index and both keys. */
struct flow {
	struct pg_spec spec;
	struct pg_spec reply;
	int idx;
	struct shunt_ct_key fwd, rev;
};

static void flow_open(enum penv_hook h, const struct svc *v, __u8 proto,
		      __u16 sport, struct flow *f)
{
	f->idx = open_flow(h, v, proto, sport, &f->spec);
	reply_spec(&f->spec, &f->reply, v, f->idx);
	fwd_key(&f->fwd, &f->spec);
	rev_key(&f->rev, &f->spec, v, f->idx);
	assert_true(ct_has(&f->fwd, NULL));
	assert_true(ct_has(&f->rev, NULL));
}

static void client_send(enum penv_hook h, struct flow *f, __u8 flags)
{
	struct xmit x;

	f->spec.tcp_flags = flags;
	f->spec.seq++;
	xmit(h, penv.if_cli, &f->spec, &x);
	assert_verdict(&x, penv_redirect(h));
}

static void backend_send(enum penv_hook h, struct flow *f, __u8 flags)
{
	struct xmit x;

	f->reply.tcp_flags = flags;
	f->reply.seq++;
	xmit(h, penv.if_be, &f->reply, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
}

/* Age both entries of a flow. */
static void flow_age(const struct flow *f, __u32 age)
{
	ct_age(&f->fwd, age);
	ct_age(&f->rev, age);
}

static void assert_flow_state(const struct flow *f, __u8 state)
{
	struct shunt_ct_entry e;

	if (!ct_has(&f->fwd, &e))
		fail_msg("flow from port %u has no FWD entry", f->spec.sport);
	if (e.state != state)
		fail_msg("flow from port %u in %s, want %s", f->spec.sport,
			 shunt_ct_state_name(e.state),
			 shunt_ct_state_name(state));
}

static void assert_flow_present(const struct flow *f)
{
	if (!ct_has(&f->fwd, NULL) || !ct_has(&f->rev, NULL))
		fail_msg("flow from port %u: FWD %s, REV %s, want both kept",
			 f->spec.sport, ct_has(&f->fwd, NULL) ? "kept" : "gone",
			 ct_has(&f->rev, NULL) ? "kept" : "gone");
}

static void assert_flow_gone(const struct flow *f)
{
	if (ct_has(&f->fwd, NULL) || ct_has(&f->rev, NULL))
		fail_msg("flow from port %u: FWD %s, REV %s, want both removed",
			 f->spec.sport, ct_has(&f->fwd, NULL) ? "kept" : "gone",
			 ct_has(&f->rev, NULL) ? "kept" : "gone");
}

/* The next client packet of a flow is a conntrack hit: the datapath too
 * holds it alive. (ACK for TCP: no state change, no reopen.) */
static void assert_datapath_alive(enum penv_hook h, struct flow *f)
{
	struct xmit x;

	f->spec.tcp_flags = f->spec.proto == IPPROTO_TCP ? PG_TCP_ACK : 0;
	f->spec.seq++;
	xmit(h, penv.if_cli, &f->spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
}

/* --- GC result checks ----------------------------------------------- */

static void gc(size_t batch, struct shunt_gc_result *r)
{
	memset(r, 0xa5, sizeof(*r));
	assert_int_equal(shunt_ct_gc(&penv.s, batch, r), 0);
}

/* by_state wanted: pairs (state, count) ended by -1; others 0. */
static void assert_gc(const struct shunt_gc_result *r, size_t scanned,
		      size_t removed, size_t flows, ...)
{
	size_t want[SHUNT_CT_STATE_MAX] = {0};
	va_list ap;
	int st, i;

	va_start(ap, flows);
	while ((st = va_arg(ap, int)) >= 0)
		want[st] = (size_t)va_arg(ap, int);
	va_end(ap);
	if (r->scanned != scanned || r->removed != removed || r->flows != flows)
		fail_msg("gc: scanned %zu removed %zu flows %zu, want %zu %zu "
			 "%zu",
			 r->scanned, r->removed, r->flows, scanned, removed,
			 flows);
	for (i = 0; i < SHUNT_CT_STATE_MAX; i++)
		if (r->by_state[i] != want[i])
			fail_msg("gc: %zu flows in %s, want %zu",
				 r->by_state[i], shunt_ct_state_name((__u8)i),
				 want[i]);
	assert_int_equal(r->capacity, ct_capacity());
}

static void set_knob(const char *name, __u32 value)
{
	const struct shunt_knob *k = shunt_knob_find(name);

	assert_non_null(k);
	assert_int_equal(shunt_config_set(&penv.s, k, value), 0);
}

/* --- fresh flows ---------------------------------------------------- */

/* SYN_SENT, ESTABLISHED (after a reply) and UDP flows just opened: GC
 * removes nothing and leaves every entry byte for byte. */
static void test_gc_fresh_flows(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_ct_info *before, *after;
	struct shunt_gc_result r;
	struct flow a, b, c;
	struct svc tcp, udp;
	size_t nb, na;

	svc_two(&tcp, 4, IPPROTO_TCP, 1, 1);
	svc_two(&udp, 6, IPPROTO_UDP, 1, 1);
	flow_open(h, &tcp, IPPROTO_TCP, 40000, &a);
	flow_open(h, &tcp, IPPROTO_TCP, 40001, &b);
	backend_send(h, &b, PG_TCP_SYN | PG_TCP_ACK);
	flow_open(h, &udp, IPPROTO_UDP, 40002, &c);
	assert_flow_state(&a, SHUNT_CT_SYN_SENT);
	assert_flow_state(&b, SHUNT_CT_ESTABLISHED);
	assert_flow_state(&c, SHUNT_CT_UDP);

	assert_int_equal(shunt_ct_list(&penv.s, &before, &nb), 0);
	assert_int_equal(nb, 6);
	gc(0, &r);
	assert_gc(&r, 6, 0, 3, SHUNT_CT_SYN_SENT, 1, SHUNT_CT_ESTABLISHED, 1,
		  SHUNT_CT_UDP, 1, -1);
	assert_int_equal(r.capacity, SHUNT_CT_MAX);
	assert_false(r.near_full);
	assert_int_equal(shunt_ct_list(&penv.s, &after, &na), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(after, before, nb * sizeof(*before));
	free(after);

	/* The same with the smallest batch. */
	gc(1, &r);
	assert_gc(&r, 6, 0, 3, SHUNT_CT_SYN_SENT, 1, SHUNT_CT_ESTABLISHED, 1,
		  SHUNT_CT_UDP, 1, -1);
	assert_int_equal(shunt_ct_list(&penv.s, &after, &na), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(after, before, nb * sizeof(*before));
	free(after);
	free(before);

	/* An empty table. */
	assert_int_equal(penv_reset(NULL), 0);
	gc(0, &r);
	assert_gc(&r, 0, 0, 0, -1);
	assert_false(r.near_full);
}

/* --- expired FWD entries -------------------------------------------- */

/* An ESTABLISHED flow idle 1 s longer than its lifetime goes with both
 * entries; one idle 1 s less stays. The lifetime is config_map's: when
 * it is lowered, the survivor goes on the next pass. */
static void test_gc_expired_fwd(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_gc_result r;
	struct flow old, young;
	struct svc v;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	flow_open(h, &v, IPPROTO_TCP, 41000, &old);
	backend_send(h, &old, PG_TCP_SYN | PG_TCP_ACK);
	flow_open(h, &v, IPPROTO_TCP, 41001, &young);
	backend_send(h, &young, PG_TCP_SYN | PG_TCP_ACK);
	flow_age(&old, SHUNT_DEFAULT_CT_ESTABLISHED + 1);
	flow_age(&young, SHUNT_DEFAULT_CT_ESTABLISHED - 1);

	gc(0, &r);
	assert_gc(&r, 4, 2, 1, SHUNT_CT_ESTABLISHED, 1, -1);
	assert_flow_gone(&old);
	assert_flow_present(&young);
	assert_int_equal(ct_count(), 2);

	/* ct-established-timeout 600: 1199 s idle is now expired. */
	set_knob("ct-established-timeout", 600);
	gc(0, &r);
	assert_gc(&r, 2, 2, 0, -1);
	assert_flow_gone(&young);
	assert_int_equal(ct_count(), 0);

	/* Only the FWD entry old, the REV entry fresh: still expired (the
	 * FWD entry decides). */
	flow_open(h, &v, IPPROTO_TCP, 41002, &old);
	backend_send(h, &old, PG_TCP_SYN | PG_TCP_ACK);
	ct_age(&old.fwd, 601);
	gc(0, &r);
	assert_gc(&r, 2, 2, 0, -1);
	assert_flow_gone(&old);
}

/* --- REV entries ---------------------------------------------------- */

/* A client that only sends: its REV entry is never refreshed. The REV
 * entry lives as long as its FWD entry does. */
static void test_gc_rev_one_way(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_ct_entry rev_before, rev_after;
	struct shunt_gc_result r;
	struct svc v;
	struct flow f;

	svc_two(&v, 4, IPPROTO_UDP, 1, 1);
	flow_open(h, &v, IPPROTO_UDP, 42000, &f);
	ct_age(&f.rev, 100000);
	client_send(h, &f, 0); /* refreshes FWD only */
	assert_true(ct_has(&f.rev, &rev_before));
	assert_true(shunt_ct_now() - rev_before.last_seen >= 100000);

	gc(0, &r);
	assert_gc(&r, 2, 0, 1, SHUNT_CT_UDP, 1, -1);
	assert_flow_present(&f);
	assert_true(ct_has(&f.rev, &rev_after));
	assert_memory_equal(&rev_after, &rev_before, sizeof(rev_after));

	/* Now the FWD entry expires (UDP: 30 s): both go. */
	ct_age(&f.fwd, SHUNT_DEFAULT_CT_UDP + 1);
	gc(0, &r);
	assert_gc(&r, 2, 2, 0, -1);
	assert_flow_gone(&f);
}

/* A REV entry without its FWD entry goes; so does a stale REV entry
 * whose FWD key now names another backend (the flow moved when its
 * backend was removed), while the flow's new REV entry stays. */
static void test_gc_rev_orphans(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_ct_entry fwd, stale, cur;
	struct shunt_ct_key new_rev;
	struct shunt_gc_result r;
	struct svc v;
	struct flow f;
	int family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);

		/* No FWD entry at all. */
		flow_open(h, &v, IPPROTO_TCP, 43000, &f);
		assert_int_equal(bpf_map_delete_elem(penv.s.ct_map, &f.fwd), 0);
		gc(0, &r);
		assert_gc(&r, 1, 1, 0, -1);
		assert_int_equal(ct_count(), 0);

		/* The FWD entry names the other backend. */
		flow_open(h, &v, IPPROTO_TCP, 43001, &f);
		backend_send(h, &f, PG_TCP_SYN | PG_TCP_ACK);
		assert_int_equal(
			penv_backend_del(&v.key, v.be_addr[f.idx],
					 f.idx == 0 ? BE1_PORT : BE2_PORT),
			0);
		client_send(h, &f, PG_TCP_ACK);
		rev_key(&new_rev, &f.spec, &v, 1 - f.idx);
		assert_true(ct_has(&f.fwd, &fwd));
		assert_true(ct_has(&f.rev, &stale));
		assert_true(ct_has(&new_rev, &cur));
		assert_int_equal(fwd.backend_id, v.be[1 - f.idx]);
		assert_int_equal(stale.backend_id, v.be[f.idx]);
		assert_int_equal(cur.backend_id, v.be[1 - f.idx]);
		assert_int_equal(ct_count(), 3);

		/* The moved flow started again from a mid-stream ACK:
		 * unconfirmed until its new backend answers. */
		gc(0, &r);
		assert_gc(&r, 3, 1, 1, SHUNT_CT_SYN_SENT, 1, -1);
		assert_false(ct_has(&f.rev, NULL));
		assert_true(ct_has(&f.fwd, NULL));
		assert_true(ct_has(&new_rev, NULL));
	}

	/* The same written by hand: FWD re-pointed to the other backend,
	 * its REV entry left naming the old one. */
	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 4, IPPROTO_UDP, 1, 1);
	flow_open(h, &v, IPPROTO_UDP, 43002, &f);
	assert_true(ct_has(&f.fwd, &fwd));
	fwd.backend_id = v.be[1 - f.idx];
	{
		struct pg_addr other = pg_addr(v.be_addr[1 - f.idx]);

		fwd.nat_addr = penv_ip(&other);
		fwd.nat_port = htons(f.idx == 0 ? BE2_PORT : BE1_PORT);
	}
	ct_put(&f.fwd, &fwd);
	gc(0, &r);
	assert_gc(&r, 2, 1, 1, SHUNT_CT_UDP, 1, -1);
	assert_true(ct_has(&f.fwd, NULL));
	assert_false(ct_has(&f.rev, NULL));

	/* The backend gone from its service (deleted, or the service with
	 * it): GC takes the flow, FWD and REV, as a delete does not walk
	 * conntrack. */
	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	flow_open(h, &v, IPPROTO_TCP, 43003, &f);
	backend_send(h, &f, PG_TCP_SYN | PG_TCP_ACK);
	assert_int_equal(penv_backend_del(&v.key, v.be_addr[f.idx],
					  f.idx == 0 ? BE1_PORT : BE2_PORT),
			 0);
	gc(0, &r);
	assert_gc(&r, 2, 2, 0, -1);
	assert_flow_gone(&f);
	flow_open(h, &v, IPPROTO_TCP, 43004, &f);
	assert_int_equal(shunt_service_del(&penv.s, &v.key), 0);
	gc(0, &r);
	assert_gc(&r, 2, 2, 0, -1);
	assert_flow_gone(&f);
}

/* --- lifetimes per state -------------------------------------------- */

struct knobs {
	__u32 syn, est, fin, close_wait, time_wait, close, udp;
};

static __u32 lifetime_of(const struct knobs *k, __u8 state)
{
	switch (state) {
	case SHUNT_CT_SYN_SENT:
		return k->syn;
	case SHUNT_CT_ESTABLISHED:
		return k->est;
	case SHUNT_CT_FIN_WAIT:
		return k->fin;
	case SHUNT_CT_CLOSE_WAIT:
		return k->close_wait;
	case SHUNT_CT_TIME_WAIT:
		return k->time_wait;
	case SHUNT_CT_CLOSE:
		return k->close;
	default:
		return k->udp;
	}
}

/* Drive flow f (just opened) into state with real packets. */
static void drive_to(enum penv_hook h, struct flow *f, __u8 state)
{
	switch (state) {
	case SHUNT_CT_SYN_SENT:
	case SHUNT_CT_UDP:
		break;
	case SHUNT_CT_ESTABLISHED:
		backend_send(h, f, PG_TCP_SYN | PG_TCP_ACK);
		break;
	case SHUNT_CT_FIN_WAIT:
		backend_send(h, f, PG_TCP_SYN | PG_TCP_ACK);
		client_send(h, f, PG_TCP_FIN | PG_TCP_ACK);
		break;
	case SHUNT_CT_CLOSE_WAIT:
		backend_send(h, f, PG_TCP_SYN | PG_TCP_ACK);
		backend_send(h, f, PG_TCP_FIN | PG_TCP_ACK);
		break;
	case SHUNT_CT_TIME_WAIT:
		backend_send(h, f, PG_TCP_SYN | PG_TCP_ACK);
		client_send(h, f, PG_TCP_FIN | PG_TCP_ACK);
		backend_send(h, f, PG_TCP_FIN | PG_TCP_ACK);
		break;
	case SHUNT_CT_CLOSE:
		backend_send(h, f, PG_TCP_SYN | PG_TCP_ACK);
		client_send(h, f, PG_TCP_RST | PG_TCP_ACK);
		break;
	}
	assert_flow_state(f, state);
}

/*
 * Two flows in every state, one idle 1 s longer than its state's
 * lifetime, one 1 s less: GC removes exactly the first of each pair and
 * the datapath agrees that the second is alive. Once with the seed's
 * lifetimes, once with lifetimes far apart from each other (a state
 * read with another state's knob would be caught either way).
 */
static void test_gc_state_lifetimes(void **state)
{
	static const __u8 states[] = {
		SHUNT_CT_SYN_SENT,   SHUNT_CT_ESTABLISHED, SHUNT_CT_FIN_WAIT,
		SHUNT_CT_CLOSE_WAIT, SHUNT_CT_TIME_WAIT,   SHUNT_CT_CLOSE,
		SHUNT_CT_UDP,
	};
	static const struct knobs configs[] = {
		{SHUNT_DEFAULT_CT_SYN, SHUNT_DEFAULT_CT_ESTABLISHED,
		 SHUNT_DEFAULT_CT_FIN_WAIT, SHUNT_DEFAULT_CT_CLOSE_WAIT,
		 SHUNT_DEFAULT_CT_TIME_WAIT, SHUNT_DEFAULT_CT_CLOSE,
		 SHUNT_DEFAULT_CT_UDP},
		{100, 200, 300, 400, 500, 600, 700},
	};
	enum penv_hook h = hook_of(state);
	struct flow old[7], young[7];
	struct shunt_gc_result r;
	struct svc tcp, udp;
	size_t c, i;

	for (c = 0; c < 2; c++) {
		const struct knobs *k = &configs[c];

		assert_int_equal(penv_reset(NULL), 0);
		set_knob("ct-syn-timeout", k->syn);
		set_knob("ct-established-timeout", k->est);
		set_knob("ct-fin-wait-timeout", k->fin);
		set_knob("ct-close-wait-timeout", k->close_wait);
		set_knob("ct-time-wait-timeout", k->time_wait);
		set_knob("ct-close-timeout", k->close);
		set_knob("ct-udp-timeout", k->udp);
		svc_two(&tcp, 4, IPPROTO_TCP, 1, 1);
		svc_two(&udp, 6, IPPROTO_UDP, 1, 1);
		for (i = 0; i < 7; i++) {
			bool is_udp = states[i] == SHUNT_CT_UDP;
			const struct svc *v = is_udp ? &udp : &tcp;
			__u8 proto = is_udp ? IPPROTO_UDP : IPPROTO_TCP;

			flow_open(h, v, proto, (__u16)(44000 + 2 * i), &old[i]);
			drive_to(h, &old[i], states[i]);
			flow_open(h, v, proto, (__u16)(44001 + 2 * i),
				  &young[i]);
			drive_to(h, &young[i], states[i]);
		}
		for (i = 0; i < 7; i++) {
			__u32 life = lifetime_of(k, states[i]);

			flow_age(&old[i], life + 1);
			flow_age(&young[i], life - 1);
		}
		gc(0, &r);
		for (i = 0; i < 7; i++) {
			if (ct_has(&old[i].fwd, NULL) ||
			    ct_has(&old[i].rev, NULL))
				fail_msg("%s flow idle %u s (lifetime %u) "
					 "kept",
					 shunt_ct_state_name(states[i]),
					 lifetime_of(k, states[i]) + 1,
					 lifetime_of(k, states[i]));
			if (!ct_has(&young[i].fwd, NULL) ||
			    !ct_has(&young[i].rev, NULL))
				fail_msg("%s flow idle %u s (lifetime %u) "
					 "removed",
					 shunt_ct_state_name(states[i]),
					 lifetime_of(k, states[i]) - 1,
					 lifetime_of(k, states[i]));
		}
		assert_gc(&r, 28, 14, 7, SHUNT_CT_SYN_SENT, 1,
			  SHUNT_CT_ESTABLISHED, 1, SHUNT_CT_FIN_WAIT, 1,
			  SHUNT_CT_CLOSE_WAIT, 1, SHUNT_CT_TIME_WAIT, 1,
			  SHUNT_CT_CLOSE, 1, SHUNT_CT_UDP, 1, -1);
		for (i = 0; i < 7; i++)
			assert_datapath_alive(h, &young[i]);
	}
}

/*
 * A knob of 0 in config_map means the seed's default to the datapath
 * (cfg_or() in bpf/lib/ct.h). GC must not read it as "expire at once":
 * a flow the datapath still forwards as a conntrack hit must survive.
 */
static void test_gc_zero_knob_matches_datapath(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_config cfg;
	struct shunt_gc_result r;
	struct flow kept, probe;
	struct svc v;
	__u32 key = 0;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	flow_open(h, &v, IPPROTO_TCP, 45000, &kept);
	backend_send(h, &kept, PG_TCP_SYN | PG_TCP_ACK);
	flow_open(h, &v, IPPROTO_TCP, 45001, &probe);
	backend_send(h, &probe, PG_TCP_SYN | PG_TCP_ACK);
	assert_int_equal(shunt_config_get(&penv.s, &cfg), 0);
	cfg.ct_established_timeout = 0;
	assert_int_equal(
		bpf_map_update_elem(penv.s.config_map, &key, &cfg, BPF_EXIST),
		0);
	flow_age(&kept, 600);
	flow_age(&probe, 600);
	/* The datapath: 600 s idle of 1200 is alive. */
	assert_datapath_alive(h, &probe);

	gc(0, &r);
	if (!ct_has(&kept.fwd, NULL))
		fail_msg("GC removed an ESTABLISHED flow idle 600 s with "
			 "ct_established_timeout 0 in config_map, which the "
			 "datapath treats as the default %u s",
			 SHUNT_DEFAULT_CT_ESTABLISHED);
	assert_gc(&r, 4, 0, 2, SHUNT_CT_ESTABLISHED, 2, -1);
}

/* --- many flows ----------------------------------------------------- */

#define MANY 10000

/* The service behind the hand-written flows, one per family: VIP 80 ->
 * backend 8080 (GC keeps only flows whose backend still serves them). */
static void many_backend(bool v6, __u32 *svc_id, __u32 *backend_id)
{
	struct shunt_frontend_key key =
		penv_svc_key(v6 ? "fd00::10" : "10.96.0.10", 80, IPPROTO_TCP);
	const char *be = v6 ? "fd00::2" : "10.0.1.2";
	struct shunt_service_info info;

	if (shunt_service_get(&penv.s, &key, &info)) {
		assert_int_equal(penv_service_add(&key, 0, 0, NULL), 0);
		assert_int_equal(penv_backend_add(&key, be, 8080, 1, NULL), 0);
		assert_int_equal(shunt_service_get(&penv.s, &key, &info), 0);
	}
	*svc_id = info.id;
	{
		struct shunt_backend_info *b;
		size_t n;

		assert_int_equal(shunt_backend_list(&penv.s, info.id, &b, &n),
				 0);
		assert_int_equal(n, 1);
		*backend_id = b[0].id;
		free(b);
	}
}

/* Flow i of MANY, written straight into ct_map: FWD and REV entries as
 * the datapath writes them. Every third flow is IPv6. */
static void many_keys(int i, struct shunt_ct_key *fwd, struct shunt_ct_key *rev,
		      struct shunt_ct_entry *fe, struct shunt_ct_entry *re)
{
	bool v6 = i % 3 == 0;
	union shunt_ip client, vip, be;
	__be16 cport = htons((__u16)(1024 + i % 50000));

	memset(&client, 0, sizeof(client));
	memset(&vip, 0, sizeof(vip));
	memset(&be, 0, sizeof(be));
	if (v6) {
		client.bytes[0] = 0xfd;
		client.bytes[1] = 0x01;
		client.v6[3] = htonl((__u32)i);
		vip.bytes[0] = 0xfd;
		vip.bytes[15] = 0x10;
		be.bytes[0] = 0xfd;
		be.bytes[15] = 0x02;
	} else {
		client.v4 = htonl(0x0a010000U + (__u32)i);
		vip.v4 = htonl(0x0a60000aU);
		be.v4 = htonl(0x0a000102U);
	}
	memset(fwd, 0, sizeof(*fwd));
	fwd->src = client;
	fwd->dst = vip;
	fwd->sport = cport;
	fwd->dport = htons(80);
	fwd->proto = IPPROTO_TCP;
	fwd->family = v6 ? SHUNT_V6 : SHUNT_V4;
	fwd->dir = SHUNT_CT_FWD;
	memset(rev, 0, sizeof(*rev));
	rev->src = be;
	rev->dst = client;
	rev->sport = htons(8080);
	rev->dport = cport;
	rev->proto = IPPROTO_TCP;
	rev->family = fwd->family;
	rev->dir = SHUNT_CT_REV;

	memset(fe, 0, sizeof(*fe));
	fe->nat_addr = be;
	fe->nat_port = htons(8080);
	fe->state = SHUNT_CT_ESTABLISHED;
	many_backend(v6, &fe->svc_id, &fe->backend_id);
	*re = *fe;
	re->nat_addr = vip;
	re->nat_port = htons(80);
}

/*
 * The boundary, in every state: idle exactly its lifetime is alive,
 * one second more is expired (the datapath's rule: idle > lifetime).
 * Written by hand so the age is exact; a pass during which the clock's
 * second turned is repeated.
 */
static void test_gc_lifetime_boundary(void **state)
{
	static const __u8 states[] = {
		SHUNT_CT_SYN_SENT,   SHUNT_CT_ESTABLISHED, SHUNT_CT_FIN_WAIT,
		SHUNT_CT_CLOSE_WAIT, SHUNT_CT_TIME_WAIT,   SHUNT_CT_CLOSE,
		SHUNT_CT_UDP,
	};
	static const struct knobs seed = {
		SHUNT_DEFAULT_CT_SYN,	    SHUNT_DEFAULT_CT_ESTABLISHED,
		SHUNT_DEFAULT_CT_FIN_WAIT,  SHUNT_DEFAULT_CT_CLOSE_WAIT,
		SHUNT_DEFAULT_CT_TIME_WAIT, SHUNT_DEFAULT_CT_CLOSE,
		SHUNT_DEFAULT_CT_UDP,
	};
	struct shunt_ct_entry fe, re;
	struct shunt_ct_key fk, rk;
	struct shunt_gc_result r;
	__u32 now, life;
	size_t i;
	int extra, tries;

	(void)state;
	for (i = 0; i < sizeof(states); i++) {
		life = lifetime_of(&seed, states[i]);
		for (extra = 0; extra <= 1; extra++) {
			for (tries = 0; tries < 5; tries++) {
				assert_int_equal(shunt_ct_flush(&penv.s, NULL),
						 0);
				many_keys((int)i + 1, &fk, &rk, &fe, &re);
				fe.state = re.state = states[i];
				now = shunt_ct_now();
				fe.last_seen = re.last_seen =
					now - life - (__u32)extra;
				fe.created = re.created = fe.last_seen;
				ct_put(&fk, &fe);
				ct_put(&rk, &re);
				gc(0, &r);
				if (shunt_ct_now() == now)
					break;
			}
			assert_true(tries < 5);
			if (r.removed != (extra ? 2u : 0u))
				fail_msg("%s idle %u s (lifetime %u): %zu "
					 "entries removed, want %d",
					 shunt_ct_state_name(states[i]),
					 life + (__u32)extra, life, r.removed,
					 extra ? 2 : 0);
			assert_int_equal(r.flows, extra ? 0 : 1);
			assert_int_equal(ct_has(&fk, NULL), !extra);
			assert_int_equal(ct_has(&rk, NULL), !extra);
		}
	}
}

/* Odd flows expired (FWD and REV), even ones alive; of those every
 * fourth has a REV entry far older than any lifetime (one-way). */
static void many_fill(void)
{
	struct shunt_ct_entry fe, re;
	struct shunt_ct_key fk, rk;
	__u32 now = shunt_ct_now();
	int i;

	for (i = 0; i < MANY; i++) {
		many_keys(i, &fk, &rk, &fe, &re);
		if (i % 2) {
			fe.last_seen = now - (SHUNT_DEFAULT_CT_ESTABLISHED + 1);
			re.last_seen = fe.last_seen;
		} else {
			fe.last_seen = now - 5;
			re.last_seen = i % 4 ? now - 5 : now - 100000;
		}
		fe.created = re.created = now - 200000;
		ct_put(&fk, &fe);
		ct_put(&rk, &re);
	}
}

static void many_check(size_t batch)
{
	struct shunt_ct_entry fe, re, got;
	struct shunt_ct_key fk, rk;
	struct shunt_gc_result r;
	struct timespec t0, t1;
	int i;

	many_fill();
	assert_int_equal(ct_count(), 2 * MANY);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	gc(batch, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("gc of %d entries, batch %zu: %.0f ms\n", 2 * MANY, batch,
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_gc(&r, 2 * MANY, MANY, MANY / 2, SHUNT_CT_ESTABLISHED, MANY / 2,
		  -1);
	assert_false(r.near_full);
	for (i = 0; i < MANY; i++) {
		many_keys(i, &fk, &rk, &fe, &re);
		if (i % 2) {
			if (ct_has(&fk, NULL) || ct_has(&rk, NULL))
				fail_msg("batch %zu: expired flow %d kept",
					 batch, i);
			continue;
		}
		if (!ct_has(&fk, &got) || got.backend_id != fe.backend_id)
			fail_msg("batch %zu: live flow %d lost its FWD entry",
				 batch, i);
		if (!ct_has(&rk, &got) || got.backend_id != re.backend_id)
			fail_msg("batch %zu: live flow %d lost its REV entry",
				 batch, i);
	}
	assert_int_equal(ct_count(), MANY);
	assert_int_equal(shunt_ct_flush(&penv.s, NULL), 0);
}

/* 10,000 flows, half expired: exactly that half goes, with the default
 * batch, a batch of 100 and one that does not divide the count. */
static void test_gc_many_flows(void **state)
{
	(void)state;
	many_check(0);
	many_check(100);
	many_check(7);
}

/* --- near full ------------------------------------------------------ */

/* n FWD entries (no REV), idle age seconds, ESTABLISHED, from index
 * base on. Batched where the kernel can. */
static void fill(size_t base, size_t n, __u32 age)
{
	enum { CHUNK = 8192 };
	struct shunt_ct_key *k = calloc(CHUNK, sizeof(*k));
	struct shunt_ct_entry *e = calloc(CHUNK, sizeof(*e));
	__u32 now = shunt_ct_now(), cnt, svc_id, backend_id;
	size_t done = 0, i, idx;

	assert_non_null(k);
	assert_non_null(e);
	many_backend(false, &svc_id, &backend_id);
	while (done < n) {
		cnt = (__u32)(n - done < CHUNK ? n - done : CHUNK);
		for (i = 0; i < cnt; i++) {
			idx = base + done + i;
			memset(&k[i], 0, sizeof(k[i]));
			k[i].src.v4 = htonl(0x0b000000U + (__u32)idx);
			k[i].dst.v4 = htonl(0x0a60000aU);
			k[i].sport = htons(40000);
			k[i].dport = htons(80);
			k[i].proto = IPPROTO_TCP;
			k[i].family = SHUNT_V4;
			k[i].dir = SHUNT_CT_FWD;
			memset(&e[i], 0, sizeof(e[i]));
			e[i].nat_addr.v4 = htonl(0x0a000102U);
			e[i].nat_port = htons(8080);
			e[i].state = SHUNT_CT_ESTABLISHED;
			e[i].backend_id = backend_id;
			e[i].svc_id = svc_id;
			e[i].created = e[i].last_seen = now - age;
		}
		if (bpf_map_update_batch(penv.s.ct_map, k, e, &cnt, NULL)) {
			for (i = 0; i < cnt; i++)
				ct_put(&k[i], &e[i]);
		}
		done += cnt;
	}
	free(k);
	free(e);
}

/*
 * More than 90 % of ct_map in use after the pass: near_full. The real
 * map (SHUNT_CT_MAX entries) is filled; the flag is about what is left
 * after removal, so 91 % with 2 % expired is not near full.
 */
static void test_gc_near_full(void **state)
{
	struct shunt_gc_result r;
	size_t cap = ct_capacity(), n91 = cap * 91 / 100, n2 = cap * 2 / 100,
	       n89 = cap * 89 / 100;
	struct timespec t0, t1;
	double secs;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fill(0, n91, 10);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("filled %zu of %zu ct_map entries in %.2f s\n", n91, cap,
		      secs);
	if (secs > 60)
		skip(); /* too slow here to fill the real map */

	gc(0, &r);
	assert_gc(&r, n91, 0, n91, SHUNT_CT_ESTABLISHED, (int)n91, -1);
	assert_true(r.near_full);

	/* 89 %: not near full. */
	assert_int_equal(shunt_ct_flush(&penv.s, NULL), 0);
	fill(0, n89, 10);
	gc(0, &r);
	assert_gc(&r, n89, 0, n89, SHUNT_CT_ESTABLISHED, (int)n89, -1);
	assert_false(r.near_full);

	/* 89 % alive plus 2 % expired: 91 % before the pass, 89 % after. */
	fill(n89, n2, SHUNT_DEFAULT_CT_ESTABLISHED + 1);
	gc(0, &r);
	assert_gc(&r, n89 + n2, n2, n89, SHUNT_CT_ESTABLISHED, (int)n89, -1);
	assert_false(r.near_full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_gc_fresh_flows),
		PROG_TEST(test_gc_expired_fwd),
		PROG_TEST(test_gc_rev_one_way),
		PROG_TEST(test_gc_rev_orphans),
		PROG_TEST(test_gc_state_lifetimes),
		PROG_TEST(test_gc_zero_knob_matches_datapath),
		cmocka_unit_test_setup_teardown(test_gc_lifetime_boundary,
						penv_reset, ct_empty),
		cmocka_unit_test_setup_teardown(test_gc_many_flows, penv_reset,
						ct_empty),
		cmocka_unit_test_setup_teardown(test_gc_near_full, penv_reset,
						ct_empty),
	};

	return cmocka_run_group_tests_name("prog_ctgc", tests, penv_setup,
					   penv_teardown);
}
