// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Forward direction (client -> VIP) through shunt_xdp and shunt_tc:
 * DNAT to exactly the backend the shared hash and the published Maglev
 * table predict, checksums recomputed independently, TTL and MACs of a
 * forwarded packet, verdicts and counters, flow stickiness, weights.
 */
#include "progtest.h"

/* Send one new flow from client:sport to the VIP and check everything
 * about its first packet. Returns the backend index it went to. */
static int forward_new_flow(enum penv_hook h, const struct svc *v, __u8 proto,
			    __u16 sport, struct pg_spec *spec)
{
	struct shunt_traffic_stats svc_before, be_before, st;
	struct pg_spec want;
	struct xmit x;
	__u32 predicted;
	int idx;

	pg_spec_init(spec, v->client, sport, v->vip, SVC_PORT, proto);
	spec->ttl = 64;
	predicted = penv_predict_flow(v->id, &spec->src, sport, &spec->dst,
				      SVC_PORT, proto);
	idx = be_index(v, predicted);
	svc_before = penv_svc_stats(v->id);
	be_before = penv_backend_stats(predicted);

	xmit(h, penv.if_cli, spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	assert_addr(&x.info.dst, v->be_addr[idx]);
	assert_addr(&x.info.src, v->client);
	assert_int_equal(x.info.dport, idx == 0 ? BE1_PORT : BE2_PORT);
	assert_int_equal(x.info.sport, sport);
	assert_int_equal(x.info.ttl, 63);
	assert_mac_str(x.info.dmac, be_mac(idx));
	assert_mac(x.info.smac, penv.mac_be);
	assert_csums_ok(&x);
	forwarded_spec(spec, &want, v, idx);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);

	st = penv_svc_stats(v->id);
	assert_int_equal(st.fwd_packets - svc_before.fwd_packets, 1);
	assert_int_equal(st.fwd_bytes - svc_before.fwd_bytes, x.in_len);
	assert_int_equal(st.new_flows - svc_before.new_flows, 1);
	assert_int_equal(st.rev_packets, 0);
	st = penv_backend_stats(predicted);
	assert_int_equal(st.fwd_packets - be_before.fwd_packets, 1);
	assert_int_equal(st.new_flows - be_before.new_flows, 1);
	return idx;
}

/* The second packet of the flow goes to the same backend via conntrack. */
static void forward_same_flow(enum penv_hook h, const struct svc *v,
			      struct pg_spec *spec, int idx)
{
	struct shunt_traffic_stats before = penv_svc_stats(v->id), st;
	struct pg_spec want;
	struct xmit x;

	if (spec->proto == IPPROTO_TCP)
		spec->tcp_flags = PG_TCP_ACK;
	spec->seq++;
	spec->payload_len = 100;
	xmit(h, penv.if_cli, spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_csums_ok(&x);
	forwarded_spec(spec, &want, v, idx);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	st = penv_svc_stats(v->id);
	assert_int_equal(st.fwd_packets - before.fwd_packets, 1);
	assert_int_equal(st.fwd_bytes - before.fwd_bytes, x.in_len);
	assert_int_equal(st.new_flows, before.new_flows);
}

/* New flows until both backends were chosen, each checked in full. */
static void forward_case(void **state, int family, __u8 proto)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v;
	bool seen[2] = {false, false};
	__u16 sport;
	int idx;

	svc_two(&v, family, proto, 1, 1);
	for (sport = 40000; sport < 40064 && !(seen[0] && seen[1]); sport++) {
		idx = forward_new_flow(h, &v, proto, sport, &spec);
		seen[idx] = true;
		forward_same_flow(h, &v, &spec, idx);
	}
	assert_true(seen[0] && seen[1]);
}

static void test_forward_v4_tcp(void **state)
{
	forward_case(state, 4, IPPROTO_TCP);
}

static void test_forward_v4_udp(void **state)
{
	forward_case(state, 4, IPPROTO_UDP);
}

static void test_forward_v6_tcp(void **state)
{
	forward_case(state, 6, IPPROTO_TCP);
}

static void test_forward_v6_udp(void **state)
{
	forward_case(state, 6, IPPROTO_UDP);
}

/* An IPv4 UDP datagram without checksum keeps checksum 0. */
static void test_forward_udp_csum_zero(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;
	__u16 sport;
	int idx;

	svc_two(&v, 4, IPPROTO_UDP, 1, 1);
	for (sport = 5000; sport < 5016; sport++) {
		pg_spec_init(&spec, PENV_CLIENT4, sport, VIP4, SVC_PORT,
			     IPPROTO_UDP);
		spec.udp_csum_zero = true;
		idx = be_index(&v, penv_predict_flow(v.id, &spec.src, sport,
						     &spec.dst, SVC_PORT,
						     IPPROTO_UDP));
		xmit(h, penv.if_cli, &spec, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_int_equal(x.parsed, 0);
		assert_int_equal(x.info.l4_check, 0);
		assert_csums_ok(&x); /* the IP header checksum */
		forwarded_spec(&spec, &want, &v, idx);
		assert_frame(&x, &want);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
	}
}

/* Weights 1:3: the table and many distinct flows split about 1:3, and
 * every flow goes where the hash says. */
static void test_forward_weights(void **state)
{
	enum penv_hook h = hook_of(state);
	unsigned int slots[2] = {0, 0}, flows[2] = {0, 0};
	struct pg_spec spec;
	struct svc v;
	struct xmit x;
	__u32 *table, m, i, predicted;
	double share;
	int idx, n = 2000;

	svc_two(&v, 4, IPPROTO_TCP, 1, 3);
	assert_int_equal(shunt_table_read(&penv.s, v.id, &table, &m), 0);
	assert_int_equal(m, TABLE);
	for (i = 0; i < m; i++)
		slots[be_index(&v, table[i])]++;
	free(table);
	/* Maglev: each backend within a slot or two of its share. */
	assert_in_range(slots[1], TABLE * 3 / 4 - 2, TABLE * 3 / 4 + 2);

	for (i = 0; i < (__u32)n; i++) {
		/* Distinct clients and ports: 10.0.0.x:port. */
		char client[32];

		snprintf(client, sizeof(client), "10.0.0.%u", 10 + i % 200);
		pg_spec_init(&spec, client, (uint16_t)(20000 + i), VIP4,
			     SVC_PORT, IPPROTO_TCP);
		predicted = penv_predict_flow(v.id, &spec.src, spec.sport,
					      &spec.dst, SVC_PORT, IPPROTO_TCP);
		idx = be_index(&v, predicted);
		xmit(h, penv.if_cli, &spec, &x);
		/* 10.0.0.x has no neighbour: only the backend matters. */
		assert_int_equal(x.parsed, 0);
		assert_addr(&x.info.dst, v.be_addr[idx]);
		assert_int_equal(x.info.dport, idx == 0 ? BE1_PORT : BE2_PORT);
		flows[idx]++;
	}
	share = (double)flows[1] / n;
	print_message("weights 1:3 over %d flows: %u / %u (%.3f)\n", n,
		      flows[0], flows[1], share);
	assert_true(share > 0.70 && share < 0.80);
	assert_int_equal(penv_svc_stats(v.id).new_flows, n);
}

/* XDP: an egress that shunt does not drive in XDP mode gets the
 * translated packet through the stack; tc redirects regardless. */
static void test_forward_egress_not_xdp(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	assert_int_equal(penv_set_iface(penv.if_be, SHUNT_IFACE_F_TC), 0);
	pg_spec_init(&spec, PENV_CLIENT4, 41000, VIP4, SVC_PORT, IPPROTO_TCP);
	idx = be_index(&v, penv_predict_flow(v.id, &spec.src, 41000, &spec.dst,
					     SVC_PORT, IPPROTO_TCP));
	xmit(h, penv.if_cli, &spec, &x);
	assert_int_equal(x.parsed, 0);
	assert_addr(&x.info.dst, v.be_addr[idx]);
	assert_csums_ok(&x);
	if (h == PENV_XDP) {
		assert_verdict(&x, XDP_PASS);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_PASS_NO_XDP_TARGET, 1);
		/* Passed up: still addressed to this host, TTL untouched
		 * (the stack decrements it when it forwards). */
		assert_memory_equal(x.info.dmac, spec.dmac, 6);
		assert_memory_equal(x.info.smac, spec.smac, 6);
		assert_int_equal(x.info.ttl, spec.ttl ? spec.ttl : 64);
	} else {
		assert_verdict(&x, TC_ACT_REDIRECT);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
	}
}

/* tc: an egress veth whose peer is in another netns is entered with
 * bpf_redirect_peer; XDP ignores the flag. */
static void test_forward_peer_ns(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 6, IPPROTO_TCP, 1, 1);
	assert_int_equal(penv_set_iface(penv.if_be,
					SHUNT_IFACE_F_XDP | SHUNT_IFACE_F_TC |
						SHUNT_IFACE_F_PEER_NS),
			 0);
	pg_spec_init(&spec, PENV_CLIENT6, 41001, VIP6, SVC_PORT, IPPROTO_TCP);
	idx = be_index(&v, penv_predict_flow(v.id, &spec.src, 41001, &spec.dst,
					     SVC_PORT, IPPROTO_TCP));
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	forwarded_spec(&spec, &want, &v, idx);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
			h == PENV_TC ? SHUNT_C_REDIRECT_PEER : SHUNT_C_REDIRECT,
			1);
}

/* XDP: a packet that leaves through the interface it came in on is
 * XDP_TX; tc redirects. */
static void test_forward_hairpin_tx(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_UDP, 1, 1);
	/* A client on the backend side: 10.0.1.50 via be0. */
	pg_spec_init(&spec, "10.0.1.50", 41002, VIP4, SVC_PORT, IPPROTO_UDP);
	idx = be_index(&v, penv_predict_flow(v.id, &spec.src, 41002, &spec.dst,
					     SVC_PORT, IPPROTO_UDP));
	xmit(h, penv.if_be, &spec, &x);
	forwarded_spec(&spec, &want, &v, idx);
	assert_frame(&x, &want);
	if (h == PENV_XDP) {
		assert_verdict(&x, XDP_TX);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_XDP_TX, 1);
	} else {
		assert_verdict(&x, TC_ACT_REDIRECT);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
	}
}

/* A short packet padded to the Ethernet minimum: translated, the
 * padding (not covered by the IP length) left as it was. */
static void test_forward_padded(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t want[PG_MAX_FRAME];
	struct pg_spec spec, fwd;
	struct svc v;
	struct xmit x;
	size_t len;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	pg_spec_init(&spec, PENV_CLIENT4, 41100, VIP4, SVC_PORT, IPPROTO_TCP);
	spec.payload_len = 0; /* 54 bytes */
	idx = predict_idx(&v, &spec);
	x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
	assert_int_equal(x.in_len, 54);
	memset(x.in + 54, 0xa5, 6);
	x.in_len = 60;
	xmit_raw(h, penv.if_cli, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_csums_ok(&x);
	forwarded_spec(&spec, &fwd, &v, idx);
	len = pg_build(&fwd, want, sizeof(want), NULL);
	memset(want + len, 0xa5, 6);
	assert_bytes("padded frame", x.out, x.out_len, want, len + 6);
}

static int be_mtu_1500(void **state)
{
	(void)state;
	return penv_sh("ip link set " PENV_BE_IF " mtu 1500");
}

/* Frames beyond a page: XDP gets them as multi-buffer xdp_buffs
 * (xdp.frags), tc as one skb. The headers are translated and the L4
 * checksum, over the whole datagram, stays right. */
static void test_forward_large(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;
	int family, idx;
	__u8 proto;

	assert_int_equal(penv_sh("ip link set " PENV_BE_IF " mtu 9000"), 0);
	for (family = 4; family <= 6; family += 2) {
		for (proto = IPPROTO_TCP; proto <= IPPROTO_UDP;
		     proto = (__u8)(proto + IPPROTO_UDP - IPPROTO_TCP)) {
			assert_int_equal(penv_reset(NULL), 0);
			svc_two(&v, family, proto, 1, 1);
			pg_spec_init(&spec, v.client, 41200, v.vip, SVC_PORT,
				     proto);
			/* The test run takes skbs up to about a page. */
			spec.payload_len = h == PENV_XDP ? 8000 : 3000;
			idx = predict_idx(&v, &spec);
			xmit(h, penv.if_cli, &spec, &x);
			assert_verdict(&x, penv_redirect(h));
			assert_int_equal(x.out_len, x.in_len);
			assert_csums_ok(&x);
			forwarded_spec(&spec, &want, &v, idx);
			assert_frame(&x, &want);
			assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD,
					1, SHUNT_C_REDIRECT, 1);
			assert_int_equal(penv_svc_stats(v.id).fwd_bytes,
					 x.in_len);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_forward_v4_tcp),
		PROG_TEST(test_forward_v4_udp),
		PROG_TEST(test_forward_v6_tcp),
		PROG_TEST(test_forward_v6_udp),
		PROG_TEST(test_forward_udp_csum_zero),
		PROG_TEST(test_forward_weights),
		PROG_TEST(test_forward_egress_not_xdp),
		PROG_TEST(test_forward_peer_ns),
		PROG_TEST(test_forward_hairpin_tx),
		PROG_TEST(test_forward_padded),
		{"test_forward_large/xdp", test_forward_large, penv_reset,
		 be_mtu_1500, (void *)&penv_hooks[PENV_XDP]},
		{"test_forward_large/tc", test_forward_large, penv_reset,
		 be_mtu_1500, (void *)&penv_hooks[PENV_TC]},
	};

	return cmocka_run_group_tests_name("prog_forward", tests, penv_setup,
					   penv_teardown);
}
