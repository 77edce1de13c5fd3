// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Conntrack (docs/datapath.md, "Conntrack"): the FWD/REV entry pair of a
 * flow and the TCP state machine as seen in ct_map, lifetimes and expiry,
 * backends that are removed or drained, services without backends and
 * ClientIP affinity. Each case runs through shunt_xdp and shunt_tc.
 */
#include "progtest.h"

/* The FWD or REV entry of the one flow in ct_map (exactly two entries). */
static void ct_pair(struct shunt_ct_info *fwd, struct shunt_ct_info *rev)
{
	struct shunt_ct_info *v;
	size_t n, i;
	int nf = 0, nr = 0;

	assert_int_equal(shunt_ct_list(&penv.s, &v, &n), 0);
	if (n != 2) {
		free(v);
		fail_msg("ct_map holds %zu entries, want 2", n);
	}
	for (i = 0; i < n; i++) {
		if (v[i].key.dir == SHUNT_CT_FWD) {
			*fwd = v[i];
			nf++;
		} else if (v[i].key.dir == SHUNT_CT_REV) {
			*rev = v[i];
			nr++;
		}
	}
	free(v);
	assert_int_equal(nf, 1);
	assert_int_equal(nr, 1);
}

/* The entry with exactly this key. */
static void ct_get(const struct shunt_ct_key *key, struct shunt_ct_entry *e)
{
	if (bpf_map_lookup_elem(penv.s.ct_map, key, e))
		fail_msg("no ct entry for the key");
}

static size_t ct_count(void)
{
	struct shunt_ct_info *v;
	size_t n;

	assert_int_equal(shunt_ct_list(&penv.s, &v, &n), 0);
	free(v);
	return n;
}

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

#define assert_state(e, want)                                                  \
	do {                                                                   \
		if ((e).state != (want))                                       \
			fail_msg("ct state %s, want %s",                       \
				 shunt_ct_state_name((e).state),               \
				 shunt_ct_state_name(want));                   \
	} while (0)

/* Both entries of the flow are in state with FIN/RST flags. */
static void expect_pair_state(__u8 state, __u8 flags)
{
	struct shunt_ct_info f, r;

	ct_pair(&f, &r);
	assert_state(f.e, state);
	assert_state(r.e, state);
	assert_int_equal(f.e.flags, flags);
	assert_int_equal(r.e.flags, flags);
}

/* A client packet of the flow of spec with these TCP flags. */
static void client_send(enum penv_hook h, struct pg_spec *spec, __u8 flags,
			struct xmit *x)
{
	spec->tcp_flags = flags;
	spec->seq++;
	xmit(h, penv.if_cli, spec, x);
	assert_verdict(x, penv_redirect(h));
}

/* A backend packet of the flow with these TCP flags. */
static void backend_send(enum penv_hook h, struct pg_spec *reply, __u8 flags,
			 struct xmit *x)
{
	reply->tcp_flags = flags;
	reply->seq++;
	xmit(h, penv.if_be, reply, x);
	assert_verdict(x, penv_redirect(h));
	assert_counters(x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
}

/* SYN: FWD and REV entries in SYN_SENT with the documented contents. */
static void test_ct_syn_entries(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_ct_info f, r;
	struct pg_spec spec;
	struct svc v;
	__u32 t0, t1;
	int family, idx;

	for (family = 4; family <= 6; family += 2) {
		union shunt_ip client, vip, be;

		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		t0 = shunt_ct_now();
		idx = open_flow(h, &v, IPPROTO_TCP, 49000, &spec);
		t1 = shunt_ct_now();
		ct_pair(&f, &r);
		client = penv_ip(&spec.src);
		vip = penv_ip(&spec.dst);
		{
			struct pg_addr a = pg_addr(v.be_addr[idx]);

			be = penv_ip(&a);
		}

		/* FWD: the packet as the client sent it. */
		assert_memory_equal(&f.key.src, &client, sizeof(client));
		assert_memory_equal(&f.key.dst, &vip, sizeof(vip));
		assert_int_equal(ntohs(f.key.sport), 49000);
		assert_int_equal(ntohs(f.key.dport), SVC_PORT);
		assert_int_equal(f.key.proto, IPPROTO_TCP);
		assert_int_equal(f.key.family,
				 family == 4 ? SHUNT_V4 : SHUNT_V6);
		assert_int_equal(f.key.pad, 0);
		assert_memory_equal(&f.e.nat_addr, &be, sizeof(be));
		assert_int_equal(ntohs(f.e.nat_port),
				 idx == 0 ? BE1_PORT : BE2_PORT);
		assert_int_equal(f.e.backend_id, v.be[idx]);
		assert_int_equal(f.e.svc_id, v.id);
		assert_state(f.e, SHUNT_CT_SYN_SENT);
		assert_int_equal(f.e.flags, 0);
		assert_in_range(f.e.created, t0, t1);
		assert_in_range(f.e.last_seen, t0, t1);

		/* REV: the reply as the backend will send it. */
		assert_memory_equal(&r.key.src, &be, sizeof(be));
		assert_memory_equal(&r.key.dst, &client, sizeof(client));
		assert_int_equal(ntohs(r.key.sport),
				 idx == 0 ? BE1_PORT : BE2_PORT);
		assert_int_equal(ntohs(r.key.dport), 49000);
		assert_int_equal(r.key.proto, IPPROTO_TCP);
		assert_int_equal(r.key.family, f.key.family);
		assert_memory_equal(&r.e.nat_addr, &vip, sizeof(vip));
		assert_int_equal(ntohs(r.e.nat_port), SVC_PORT);
		assert_int_equal(r.e.backend_id, v.be[idx]);
		assert_int_equal(r.e.svc_id, v.id);
		assert_state(r.e, SHUNT_CT_SYN_SENT);
		assert_int_equal(r.e.flags, 0);
		assert_in_range(r.e.created, t0, t1);
	}
}

/* SYN, SYN-ACK -> ESTABLISHED; client FIN -> FIN_WAIT; backend FIN ->
 * TIME_WAIT. */
static void test_ct_client_closes(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, reply;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, 49100, &spec);
	expect_pair_state(SHUNT_CT_SYN_SENT, 0);
	reply_spec(&spec, &reply, &v, idx);
	backend_send(h, &reply, PG_TCP_SYN | PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_ESTABLISHED, 0);
	client_send(h, &spec, PG_TCP_ACK, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_pair_state(SHUNT_CT_ESTABLISHED, 0);
	backend_send(h, &reply, PG_TCP_ACK | PG_TCP_PSH, &x);
	expect_pair_state(SHUNT_CT_ESTABLISHED, 0);

	client_send(h, &spec, PG_TCP_FIN | PG_TCP_ACK, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_pair_state(SHUNT_CT_FIN_WAIT, SHUNT_CT_F_FIN_FWD);
	backend_send(h, &reply, PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_FIN_WAIT, SHUNT_CT_F_FIN_FWD);
	backend_send(h, &reply, PG_TCP_FIN | PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_TIME_WAIT,
			  SHUNT_CT_F_FIN_FWD | SHUNT_CT_F_FIN_REV);
	client_send(h, &spec, PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_TIME_WAIT,
			  SHUNT_CT_F_FIN_FWD | SHUNT_CT_F_FIN_REV);
}

/* The backend sends FIN first: CLOSE_WAIT, then TIME_WAIT. */
static void test_ct_backend_closes(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, reply;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 6, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, 49200, &spec);
	reply_spec(&spec, &reply, &v, idx);
	backend_send(h, &reply, PG_TCP_SYN | PG_TCP_ACK, &x);
	client_send(h, &spec, PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_ESTABLISHED, 0);
	backend_send(h, &reply, PG_TCP_FIN | PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_CLOSE_WAIT, SHUNT_CT_F_FIN_REV);
	client_send(h, &spec, PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_CLOSE_WAIT, SHUNT_CT_F_FIN_REV);
	client_send(h, &spec, PG_TCP_FIN | PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_TIME_WAIT,
			  SHUNT_CT_F_FIN_FWD | SHUNT_CT_F_FIN_REV);
}

/* RST from either side: CLOSE. */
static void test_ct_rst(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, reply;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	/* Client resets an established flow. */
	idx = open_flow(h, &v, IPPROTO_TCP, 49300, &spec);
	reply_spec(&spec, &reply, &v, idx);
	backend_send(h, &reply, PG_TCP_SYN | PG_TCP_ACK, &x);
	client_send(h, &spec, PG_TCP_RST | PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_CLOSE, SHUNT_CT_F_RST);

	/* Backend refuses a SYN (another flow). */
	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, 49301, &spec);
	reply_spec(&spec, &reply, &v, idx);
	backend_send(h, &reply, PG_TCP_RST | PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_CLOSE, SHUNT_CT_F_RST);

	/* A RST during closing still closes. */
	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, 49302, &spec);
	reply_spec(&spec, &reply, &v, idx);
	backend_send(h, &reply, PG_TCP_SYN | PG_TCP_ACK, &x);
	client_send(h, &spec, PG_TCP_FIN | PG_TCP_ACK, &x);
	backend_send(h, &reply, PG_TCP_RST, &x);
	expect_pair_state(SHUNT_CT_CLOSE, SHUNT_CT_F_FIN_FWD | SHUNT_CT_F_RST);
}

/* Send spec (a client or backend packet, from ifindex) as a RST with
 * sequence number seq: forwarded either way. */
static void send_rst(enum penv_hook h, int ifindex, struct pg_spec *spec,
		     __u32 seq, struct xmit *x)
{
	spec->tcp_flags = PG_TCP_RST;
	spec->seq = seq;
	xmit(h, ifindex, spec, x);
	assert_verdict(x, penv_redirect(h));
}

/*
 * A RST closes a flow only inside the window of the other side's last
 * ACK (its window scaled by 2^7, at least 64 KiB, either way): a blind
 * RST, from either side, is forwarded but changes nothing
 * (ct_rst_out_of_window), not even the flow's liveness; the endpoint's
 * own RST, at the sequence number the peer acknowledged, closes it.
 */
static void test_ct_rst_window(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, reply;
	struct shunt_ct_info f, r;
	__u32 cseq, bseq, seen;
	struct svc v;
	struct xmit x;
	int idx, from_client;

	for (from_client = 0; from_client <= 1; from_client++) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, 4, IPPROTO_TCP, 1, 1);
		idx = open_flow(h, &v, IPPROTO_TCP, 49350, &spec);
		reply_spec(&spec, &reply, &v, idx);
		backend_send(h, &reply, PG_TCP_SYN | PG_TCP_ACK, &x);
		spec.ack = reply.seq + 1;
		client_send(h, &spec, PG_TCP_ACK, &x);
		reply.ack = spec.seq;
		backend_send(h, &reply, PG_TCP_ACK, &x);
		expect_pair_state(SHUNT_CT_ESTABLISHED, 0);
		cseq = spec.seq;      /* what the backend acknowledged */
		bseq = reply.seq + 1; /* what the client acknowledged */
		ct_pair(&f, &r);
		seen = f.e.last_seen;

		/* Blind: 100 MB off, and just outside the window. */
		if (from_client) {
			send_rst(h, penv.if_cli, &spec, cseq + 100000000, &x);
			assert_int_equal(
				x.after[SHUNT_C_CT_RST_IGNORED] -
					x.before[SHUNT_C_CT_RST_IGNORED],
				1);
			send_rst(h, penv.if_cli, &spec,
				 cseq - (65535u << 7) - 1, &x);
		} else {
			send_rst(h, penv.if_be, &reply, bseq + 100000000, &x);
			assert_int_equal(
				x.after[SHUNT_C_CT_RST_IGNORED] -
					x.before[SHUNT_C_CT_RST_IGNORED],
				1);
			send_rst(h, penv.if_be, &reply,
				 bseq + (65535u << 7) + 1, &x);
		}
		assert_int_equal(x.after[SHUNT_C_CT_RST_IGNORED] -
					 x.before[SHUNT_C_CT_RST_IGNORED],
				 1);
		expect_pair_state(SHUNT_CT_ESTABLISHED, 0);
		ct_pair(&f, &r);
		assert_int_equal(f.e.last_seen, seen);

		/* The endpoint's RST: at the acknowledged number (plus
		 * data in flight). */
		if (from_client)
			send_rst(h, penv.if_cli, &spec, cseq + 1400, &x);
		else
			send_rst(h, penv.if_be, &reply, bseq, &x);
		assert_int_equal(x.after[SHUNT_C_CT_RST_IGNORED],
				 x.before[SHUNT_C_CT_RST_IGNORED]);
		expect_pair_state(SHUNT_CT_CLOSE, SHUNT_CT_F_RST);
	}
}

/* The first packet seen is mid-stream (no SYN): balanced, but
 * unconfirmed (SYN_SENT, the short lifetime) until the backend answers,
 * so spoofed ACKs cannot fill the table with established entries. A
 * first packet with RST: CLOSE. UDP: UDP. */
static void test_ct_initial_states(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, reply;
	struct svc v;
	struct xmit x;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	pg_spec_init(&spec, PENV_CLIENT4, 49400, VIP4, SVC_PORT, IPPROTO_TCP);
	spec.tcp_flags = PG_TCP_ACK | PG_TCP_PSH;
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	expect_pair_state(SHUNT_CT_SYN_SENT, 0);
	/* The backend answers: confirmed. */
	reply_spec(&spec, &reply, &v, predict_idx(&v, &spec));
	backend_send(h, &reply, PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_ESTABLISHED, 0);

	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	spec.tcp_flags = PG_TCP_SYN | PG_TCP_ACK; /* not a plain SYN */
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	expect_pair_state(SHUNT_CT_SYN_SENT, 0);

	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	spec.tcp_flags = PG_TCP_RST;
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	expect_pair_state(SHUNT_CT_CLOSE, SHUNT_CT_F_RST);

	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 6, IPPROTO_UDP, 1, 1);
	pg_spec_init(&spec, PENV_CLIENT6, 49401, VIP6, SVC_PORT, IPPROTO_UDP);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	expect_pair_state(SHUNT_CT_UDP, 0);
}

/* UDP: both directions keep the UDP state. */
static void test_ct_udp(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, reply;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_UDP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_UDP, 49500, &spec);
	expect_pair_state(SHUNT_CT_UDP, 0);
	reply_spec(&spec, &reply, &v, idx);
	backend_send(h, &reply, 0, &x);
	expect_pair_state(SHUNT_CT_UDP, 0);
	xmit(h, penv.if_cli, &spec, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_pair_state(SHUNT_CT_UDP, 0);
}

/* A new SYN on a closing/closed flow starts a new flow. */
static void test_ct_reopen(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_ct_info f, r;
	struct pg_spec spec, reply;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, 49600, &spec);
	reply_spec(&spec, &reply, &v, idx);
	backend_send(h, &reply, PG_TCP_SYN | PG_TCP_ACK, &x);
	client_send(h, &spec, PG_TCP_FIN | PG_TCP_ACK, &x);
	backend_send(h, &reply, PG_TCP_FIN | PG_TCP_ACK, &x);
	expect_pair_state(SHUNT_CT_TIME_WAIT,
			  SHUNT_CT_F_FIN_FWD | SHUNT_CT_F_FIN_REV);

	client_send(h, &spec, PG_TCP_SYN, &x);
	assert_int_equal(x.after[SHUNT_C_CT_HIT], x.before[SHUNT_C_CT_HIT]);
	assert_int_equal(penv_svc_stats(v.id).new_flows, 2);
	ct_pair(&f, &r);
	assert_state(f.e, SHUNT_CT_SYN_SENT);
	assert_int_equal(f.e.flags, 0);
	assert_state(r.e, SHUNT_CT_SYN_SENT);
	/* Maglev: the same backend while the set is unchanged. */
	assert_addr(&x.info.dst, v.be_addr[idx]);
}

/* last_seen older than the state's lifetime: the next packet is counted
 * ct_expired and starts a new flow; younger: the flow lives on. */
static void test_ct_expiry(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_ct_entry e;
	struct shunt_ct_key key;
	struct pg_spec spec, reply;
	struct svc v;
	struct xmit x;
	__u32 now;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, 49700, &spec);
	fwd_key(&key, &spec);

	/* SYN_SENT lives 60 s: 30 s old is alive. */
	ct_get(&key, &e);
	now = shunt_ct_now();
	e.last_seen = now - 30;
	e.created = now - 30;
	assert_int_equal(
		bpf_map_update_elem(penv.s.ct_map, &key, &e, BPF_EXIST), 0);
	client_send(h, &spec, PG_TCP_SYN, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	ct_get(&key, &e);
	assert_true(e.created <= now - 30);
	assert_true(e.last_seen >= now);

	/* 61 s old: expired, a new flow (same backend: same table). */
	e.last_seen = now - (SHUNT_DEFAULT_CT_SYN + 1);
	e.created = e.last_seen;
	assert_int_equal(
		bpf_map_update_elem(penv.s.ct_map, &key, &e, BPF_EXIST), 0);
	client_send(h, &spec, PG_TCP_SYN, &x);
	assert_counters(&x, SHUNT_C_CT_EXPIRED, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	assert_addr(&x.info.dst, v.be_addr[idx]);
	assert_int_equal(penv_svc_stats(v.id).new_flows, 2);
	ct_get(&key, &e);
	assert_true(e.created >= now);
	assert_state(e, SHUNT_CT_SYN_SENT);

	/* ESTABLISHED lives 1200 s: a reply refreshes the FWD entry. */
	reply_spec(&spec, &reply, &v, idx);
	backend_send(h, &reply, PG_TCP_SYN | PG_TCP_ACK, &x);
	ct_get(&key, &e);
	assert_state(e, SHUNT_CT_ESTABLISHED);
	/* Both entries last seen 600 s ago: the next reply is the first
	 * of its second and refreshes both. */
	e.last_seen = now - 600;
	assert_int_equal(
		bpf_map_update_elem(penv.s.ct_map, &key, &e, BPF_EXIST), 0);
	{
		struct shunt_ct_info f, r;

		ct_pair(&f, &r);
		r.e.last_seen = now - 600;
		assert_int_equal(bpf_map_update_elem(penv.s.ct_map, &r.key,
						     &r.e, BPF_EXIST),
				 0);
	}
	backend_send(h, &reply, PG_TCP_ACK, &x);
	ct_get(&key, &e);
	if (e.last_seen < now)
		fail_msg("a reply did not refresh the FWD entry (last_seen "
			 "%u, now %u)",
			 e.last_seen, now);
	e.last_seen = now - (SHUNT_DEFAULT_CT_ESTABLISHED + 1);
	assert_int_equal(
		bpf_map_update_elem(penv.s.ct_map, &key, &e, BPF_EXIST), 0);
	client_send(h, &spec, PG_TCP_ACK, &x);
	assert_counters(&x, SHUNT_C_CT_EXPIRED, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	assert_int_equal(penv_svc_stats(v.id).new_flows, 3);

	/* UDP lives 30 s. */
	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 6, IPPROTO_UDP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_UDP, 49701, &spec);
	fwd_key(&key, &spec);
	ct_get(&key, &e);
	e.last_seen = now - (SHUNT_DEFAULT_CT_UDP + 1);
	assert_int_equal(
		bpf_map_update_elem(penv.s.ct_map, &key, &e, BPF_EXIST), 0);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_counters(&x, SHUNT_C_CT_EXPIRED, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	assert_addr(&x.info.dst, v.be_addr[idx]);
}

/* The flow's backend is removed: its next packet goes to the other. */
static void test_ct_backend_gone(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_ct_entry e;
	struct shunt_ct_key key;
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;
	int idx, family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		idx = open_flow(h, &v, IPPROTO_TCP, 49800, &spec);
		assert_int_equal(
			penv_backend_del(&v.key, v.be_addr[idx],
					 idx == 0 ? BE1_PORT : BE2_PORT),
			0);
		client_send(h, &spec, PG_TCP_ACK, &x);
		assert_counters(&x, SHUNT_C_CT_BACKEND_GONE, 1, SHUNT_C_NAT_FWD,
				1, SHUNT_C_REDIRECT, 1);
		forwarded_spec(&spec, &want, &v, 1 - idx);
		assert_frame(&x, &want);
		assert_int_equal(penv_svc_stats(v.id).new_flows, 2);
		fwd_key(&key, &spec);
		ct_get(&key, &e);
		assert_int_equal(e.backend_id, v.be[1 - idx]);
		assert_int_equal(ntohs(e.nat_port),
				 idx == 0 ? BE2_PORT : BE1_PORT);
		/* And stays there. */
		client_send(h, &spec, PG_TCP_ACK, &x);
		assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
		forwarded_spec(&spec, &want, &v, 1 - idx);
		assert_frame(&x, &want);
	}
}

/* The flow's backend id now names another address:port (the backend
 * was removed and its id given to a new one): the flow picks anew. The
 * id is re-pointed in backend_map directly, so the Maglev table still
 * sends the flow's hash to that id, now at port 9000. */
static void test_ct_backend_id_reused(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_backend be;
	struct shunt_ct_entry e;
	struct shunt_ct_key key;
	struct pg_spec spec;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_UDP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_UDP, 49850, &spec);
	assert_int_equal(penv_backend_get(v.be[idx], &be), 0);
	be.port = htons(9000);
	assert_int_equal(bpf_map_update_elem(penv.s.backend_map, &v.be[idx],
					     &be, BPF_EXIST),
			 0);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_counters(&x, SHUNT_C_CT_BACKEND_GONE, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	assert_int_equal(x.parsed, 0);
	assert_addr(&x.info.dst, v.be_addr[idx]);
	assert_int_equal(x.info.dport, 9000);
	assert_csums_ok(&x);
	assert_int_equal(penv_svc_stats(v.id).new_flows, 2);
	fwd_key(&key, &spec);
	ct_get(&key, &e);
	assert_int_equal(ntohs(e.nat_port), 9000);
	assert_int_equal(e.backend_id, v.be[idx]);
}

/* A draining backend keeps its flows and takes no new ones. */
static void test_ct_draining(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, other, want;
	struct svc v;
	struct xmit x;
	__u32 *table, m, i;
	int idx, n;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, 49900, &spec);
	assert_int_equal(penv_backend_state(&v.key, v.be_addr[idx],
					    idx == 0 ? BE1_PORT : BE2_PORT,
					    SHUNT_BE_DRAINING),
			 0);
	assert_int_equal(shunt_table_read(&penv.s, v.id, &table, &m), 0);
	for (i = 0; i < m; i++)
		assert_int_equal(table[i], v.be[1 - idx]);
	free(table);

	/* The open flow stays. */
	client_send(h, &spec, PG_TCP_ACK, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	forwarded_spec(&spec, &want, &v, idx);
	assert_frame(&x, &want);

	/* New flows never land on it. */
	for (n = 0; n < 200; n++) {
		pg_spec_init(&other, PENV_CLIENT4, (uint16_t)(50000 + n), VIP4,
			     SVC_PORT, IPPROTO_TCP);
		xmit(h, penv.if_cli, &other, &x);
		assert_verdict(&x, penv_redirect(h));
		forwarded_spec(&other, &want, &v, 1 - idx);
		assert_frame(&x, &want);
	}
	assert_int_equal(penv_backend_stats(v.be[idx]).new_flows, 1);
	assert_int_equal(penv_backend_stats(v.be[1 - idx]).new_flows, 200);
}

/* The RST that answers the TCP packet spec: from where it was sent,
 * back to the sender's MAC, window 0, no payload (RFC 793's reset). */
static void reset_spec(const struct pg_spec *in, struct pg_spec *rst)
{
	pg_spec_init(rst, "0.0.0.0", in->dport, "0.0.0.0", in->sport,
		     IPPROTO_TCP);
	rst->src = in->dst;
	rst->dst = in->src;
	memcpy(rst->smac, in->dmac, 6);
	memcpy(rst->dmac, in->smac, 6);
	rst->ip_id = 0;
	rst->tcp_win_zero = true;
	rst->payload_len = 0;
	if (in->tcp_flags & PG_TCP_ACK) {
		rst->tcp_flags = PG_TCP_RST;
		rst->seq = in->ack;
	} else {
		rst->tcp_flags = PG_TCP_RST | PG_TCP_ACK;
		rst->seq = 0;
		rst->ack = in->seq + in->payload_len +
			   !!(in->tcp_flags & PG_TCP_SYN);
	}
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* x's output is the ICMP port unreachable answering its UDP input: back
 * to the sender's MAC, from the VIP to the client, quoting the input's IP
 * header and first 8 bytes, checksums right. */
static void assert_port_unreachable(const struct xmit *x, bool v6)
{
	const uint8_t *in = x->in, *out = x->out, *icmp;
	size_t l3 = 14, iph = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	size_t soff = v6 ? 8 : 12, doff = soff + alen;
	uint32_t sum = 0;
	uint8_t ph[8] = {0};

	assert_int_equal(x->out_len, l3 + iph + 8 + iph + 8);
	assert_memory_equal(out, in + 6, 6);
	assert_memory_equal(out + 6, in, 6);
	assert_memory_equal(out + l3 + soff, in + l3 + doff, alen);
	assert_memory_equal(out + l3 + doff, in + l3 + soff, alen);
	icmp = out + l3 + iph;
	assert_memory_equal(icmp + 8, in + l3, iph + 8);
	if (!v6) {
		assert_int_equal(out[l3], 0x45);
		assert_int_equal(out[l3 + 9], IPPROTO_ICMP);
		assert_int_equal(get16(out + l3 + 10),
				 pg_ip4_csum(out + l3, 20));
		assert_int_equal(icmp[0], 3);
		assert_int_equal(icmp[1], 3);
	} else {
		assert_int_equal(out[l3] >> 4, 6);
		assert_int_equal(out[l3 + 6], IPPROTO_ICMPV6);
		assert_int_equal(icmp[0], 1);
		assert_int_equal(icmp[1], 4);
		sum = pg_sum(sum, out + l3 + 8, 32); /* pseudo-header */
		ph[3] = 8 + iph + 8;
		ph[7] = IPPROTO_ICMPV6;
		sum = pg_sum(sum, ph, 8);
	}
	assert_int_equal(pg_fold(pg_sum(sum, icmp, 8 + iph + 8)), 0xffff);
}

/* No active backend: TCP is answered with a RST from the VIP, UDP with
 * an ICMP port unreachable, sent back out of the interface it came in on
 * (kube-proxy's REJECT), counted reject_tcp / reject_udp and in the
 * service's no_backend; no conntrack state either way. */
static void test_ct_no_backend(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_frontend_key key;
	struct pg_spec spec, rst;
	struct svc v;
	struct xmit x;
	__u32 id;

	key = penv_svc_key(VIP4, SVC_PORT, IPPROTO_TCP);
	assert_int_equal(penv_service_add(&key, 1021, 0, &id), 0);
	pg_spec_init(&spec, PENV_CLIENT4, 50500, VIP4, SVC_PORT, IPPROTO_TCP);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, h == PENV_XDP ? XDP_TX : TC_ACT_REDIRECT);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_REJECT_TCP, 1);
	reset_spec(&spec, &rst);
	assert_frame(&x, &rst);
	assert_int_equal(penv_svc_stats(id).no_backend, 1);
	assert_int_equal(penv_svc_stats(id).fwd_packets, 0);
	assert_int_equal(ct_count(), 0);

	/* Mid-stream (ACK, with payload), IPv6: seq from its ack. */
	key = penv_svc_key(VIP6, SVC_PORT, IPPROTO_TCP);
	assert_int_equal(penv_service_add(&key, 1021, 0, &id), 0);
	pg_spec_init(&spec, PENV_CLIENT6, 50502, VIP6, SVC_PORT, IPPROTO_TCP);
	spec.tcp_flags = PG_TCP_ACK | PG_TCP_PSH;
	spec.ack = 777777;
	xmit(h, penv.if_cli, &spec, &x);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_CT_MISS_MIDSTREAM, 1,
			SHUNT_C_REJECT_TCP, 1);
	reset_spec(&spec, &rst);
	assert_frame(&x, &rst);
	assert_int_equal(ct_count(), 0);

	/* Every backend draining: the same, for new flows. */
	svc_two(&v, 6, IPPROTO_UDP, 1, 1);
	assert_int_equal(penv_backend_state(&v.key, v.be_addr[0], BE1_PORT,
					    SHUNT_BE_DRAINING),
			 0);
	assert_int_equal(penv_backend_state(&v.key, v.be_addr[1], BE2_PORT,
					    SHUNT_BE_DRAINING),
			 0);
	pg_spec_init(&spec, PENV_CLIENT6, 50501, VIP6, SVC_PORT, IPPROTO_UDP);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, h == PENV_XDP ? XDP_TX : TC_ACT_REDIRECT);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_REJECT_UDP, 1);
	assert_port_unreachable(&x, true);
	assert_int_equal(penv_svc_stats(v.id).no_backend, 1);
	assert_int_equal(ct_count(), 0);

	/* IPv4 UDP, a datagram shorter than the answer (it grows). */
	key = penv_svc_key(VIP4, SVC_PORT, IPPROTO_UDP);
	assert_int_equal(penv_service_add(&key, 1021, 0, &id), 0);
	pg_spec_init(&spec, PENV_CLIENT4, 50503, VIP4, SVC_PORT, IPPROTO_UDP);
	spec.payload_len = 0;
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, h == PENV_XDP ? XDP_TX : TC_ACT_REDIRECT);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_REJECT_UDP, 1);
	assert_port_unreachable(&x, false);
	assert_int_equal(ct_count(), 0);
}

/* ClientIP affinity: every connection of a client on one backend. */
static void test_ct_affinity(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_affinity_key akey;
	struct shunt_affinity aff;
	struct pg_spec spec, want;
	struct pg_addr client;
	struct svc v;
	struct xmit x;
	__u32 predicted;
	int idx, n, family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		memset(&v, 0, sizeof(v));
		v.vip = family == 4 ? VIP4 : VIP6;
		v.client = family == 4 ? PENV_CLIENT4 : PENV_CLIENT6;
		v.be_addr[0] = family == 4 ? PENV_BE1_4 : PENV_BE1_6;
		v.be_addr[1] = family == 4 ? PENV_BE2_4 : PENV_BE2_6;
		v.key = penv_svc_key(v.vip, SVC_PORT, IPPROTO_TCP);
		assert_int_equal(penv_service_add(&v.key, 1021, 60, &v.id), 0);
		assert_int_equal(penv_backend_add(&v.key, v.be_addr[0],
						  BE1_PORT, 1, &v.be[0]),
				 0);
		assert_int_equal(penv_backend_add(&v.key, v.be_addr[1],
						  BE2_PORT, 1, &v.be[1]),
				 0);
		client = pg_addr(v.client);
		predicted = penv_predict_client(v.id, &client);
		idx = be_index(&v, predicted);

		for (n = 0; n < 20; n++) {
			pg_spec_init(&spec, v.client, (uint16_t)(51000 + n),
				     v.vip, SVC_PORT, IPPROTO_TCP);
			xmit(h, penv.if_cli, &spec, &x);
			assert_verdict(&x, penv_redirect(h));
			forwarded_spec(&spec, &want, &v, idx);
			assert_frame(&x, &want);
			if (n == 0)
				assert_counters(&x, SHUNT_C_CT_MISS, 1,
						SHUNT_C_NAT_FWD, 1,
						SHUNT_C_REDIRECT, 1);
			else
				assert_counters(&x, SHUNT_C_CT_MISS, 1,
						SHUNT_C_AFFINITY_HIT, 1,
						SHUNT_C_NAT_FWD, 1,
						SHUNT_C_REDIRECT, 1);
		}
		memset(&akey, 0, sizeof(akey));
		akey.client = penv_ip(&client);
		akey.svc_id = v.id;
		akey.family = family == 4 ? SHUNT_V4 : SHUNT_V6;
		assert_int_equal(
			bpf_map_lookup_elem(penv.s.affinity_map, &akey, &aff),
			0);
		assert_int_equal(aff.backend_id, v.be[idx]);
		assert_int_equal(penv_backend_stats(v.be[idx]).new_flows, 20);

		/* Expired affinity (older than 60 s): Maglev by client
		 * again, no affinity_hit. */
		aff.last_seen = shunt_ct_now() - 61;
		assert_int_equal(bpf_map_update_elem(penv.s.affinity_map, &akey,
						     &aff, BPF_EXIST),
				 0);
		pg_spec_init(&spec, v.client, 51100, v.vip, SVC_PORT,
			     IPPROTO_TCP);
		xmit(h, penv.if_cli, &spec, &x);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
		forwarded_spec(&spec, &want, &v, idx);
		assert_frame(&x, &want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_ct_syn_entries),
		PROG_TEST(test_ct_client_closes),
		PROG_TEST(test_ct_backend_closes),
		PROG_TEST(test_ct_rst),
		PROG_TEST(test_ct_rst_window),
		PROG_TEST(test_ct_initial_states),
		PROG_TEST(test_ct_udp),
		PROG_TEST(test_ct_reopen),
		PROG_TEST(test_ct_expiry),
		PROG_TEST(test_ct_backend_gone),
		PROG_TEST(test_ct_backend_id_reused),
		PROG_TEST(test_ct_draining),
		PROG_TEST(test_ct_no_backend),
		PROG_TEST(test_ct_affinity),
	};

	return cmocka_run_group_tests_name("prog_conntrack", tests, penv_setup,
					   penv_teardown);
}
