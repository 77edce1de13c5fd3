// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reverse direction (backend -> client) through shunt_xdp and shunt_tc:
 * once a forward packet created the flow, the backend's reply comes out
 * with VIP:service-port as its source, correct checksums, forwarded to
 * the client side; replies without a flow pass untouched.
 */
#include "progtest.h"

static void reverse_case(void **state, int family, __u8 proto)
{
	enum penv_hook h = hook_of(state);
	struct shunt_traffic_stats svc_before, st;
	struct pg_spec fwd, reply, want;
	struct svc v;
	struct xmit x;
	int idx, i;

	svc_two(&v, family, proto, 1, 1);
	for (i = 0; i < 4; i++) {
		__u16 sport = (__u16)(43000 + i);

		idx = open_flow(h, &v, proto, sport, &fwd);
		reply_spec(&fwd, &reply, &v, idx);
		reply.payload_len = 40 + (size_t)i;
		svc_before = penv_svc_stats(v.id);
		xmit(h, penv.if_be, &reply, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_int_equal(x.parsed, 0);
		assert_addr(&x.info.src, v.vip);
		assert_int_equal(x.info.sport, SVC_PORT);
		assert_addr(&x.info.dst, v.client);
		assert_int_equal(x.info.dport, sport);
		assert_int_equal(x.info.ttl, 63);
		assert_mac_str(x.info.dmac, PENV_CLIENT_MAC);
		assert_mac(x.info.smac, penv.mac_cli);
		assert_csums_ok(&x);
		reversed_spec(&reply, &want, &v);
		assert_frame(&x, &want);
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_REDIRECT, 1);
		st = penv_svc_stats(v.id);
		assert_int_equal(st.rev_packets - svc_before.rev_packets, 1);
		assert_int_equal(st.rev_bytes - svc_before.rev_bytes, x.in_len);
		assert_int_equal(st.new_flows, svc_before.new_flows);
		assert_int_equal(st.fwd_packets, svc_before.fwd_packets);

		/* A second reply (plain ACK / datagram) likewise. */
		if (proto == IPPROTO_TCP)
			reply.tcp_flags = PG_TCP_ACK;
		reply.seq += 1;
		xmit(h, penv.if_be, &reply, &x);
		assert_verdict(&x, penv_redirect(h));
		reversed_spec(&reply, &want, &v);
		assert_frame(&x, &want);
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_REDIRECT, 1);
	}
	st = penv_backend_stats(v.be[0]);
	assert_int_equal(
		st.rev_packets + penv_backend_stats(v.be[1]).rev_packets, 8);
}

static void test_reverse_v4_tcp(void **state)
{
	reverse_case(state, 4, IPPROTO_TCP);
}

static void test_reverse_v4_udp(void **state)
{
	reverse_case(state, 4, IPPROTO_UDP);
}

static void test_reverse_v6_tcp(void **state)
{
	reverse_case(state, 6, IPPROTO_TCP);
}

static void test_reverse_v6_udp(void **state)
{
	reverse_case(state, 6, IPPROTO_UDP);
}

/* An IPv4 UDP reply without checksum keeps checksum 0. */
static void test_reverse_udp_csum_zero(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec fwd, reply, want;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_UDP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_UDP, 43100, &fwd);
	reply_spec(&fwd, &reply, &v, idx);
	reply.udp_csum_zero = true;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.info.l4_check, 0);
	assert_csums_ok(&x);
	reversed_spec(&reply, &want, &v);
	assert_frame(&x, &want);
}

/* Replies that match no flow go to the stack untouched. */
static void test_reverse_no_flow(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec fwd, reply;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);

	/* No flow at all yet. */
	pg_spec_init(&fwd, PENV_CLIENT4, 43200, VIP4, SVC_PORT, IPPROTO_TCP);
	reply_spec(&fwd, &reply, &v, 0);
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, SHUNT_C_PASS_NOT_SERVICE, 1);

	/* A flow exists, but the reply comes from the other backend, from
	 * the right backend on another port, or to another client port. */
	idx = open_flow(h, &v, IPPROTO_TCP, 43201, &fwd);
	reply_spec(&fwd, &reply, &v, 1 - idx);
	reply.sport = idx == 0 ? BE1_PORT : BE2_PORT;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, SHUNT_C_PASS_NOT_SERVICE, 1);

	reply_spec(&fwd, &reply, &v, idx);
	reply.sport = 9999;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, SHUNT_C_PASS_NOT_SERVICE, 1);

	reply_spec(&fwd, &reply, &v, idx);
	reply.dport = 43202;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, SHUNT_C_PASS_NOT_SERVICE, 1);

	/* Same tuple, other protocol. */
	reply_spec(&fwd, &reply, &v, idx);
	reply.proto = IPPROTO_UDP;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, SHUNT_C_PASS_NOT_SERVICE, 1);
}

/* A reply with TTL 1 is left to the stack (Time Exceeded). */
static void test_reverse_ttl_exceeded(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec fwd, reply;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 6, IPPROTO_UDP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_UDP, 43300, &fwd);
	reply_spec(&fwd, &reply, &v, idx);
	reply.ttl = 1;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_PASS_TTL, 1);
}

/* XDP: the client-side interface not driven in XDP mode: translated and
 * passed to the stack. */
static void test_reverse_egress_not_xdp(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec fwd, reply;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, 43400, &fwd);
	assert_int_equal(penv_del_iface(penv.if_cli), 0);
	reply_spec(&fwd, &reply, &v, idx);
	xmit(h, penv.if_be, &reply, &x);
	assert_int_equal(x.parsed, 0);
	assert_addr(&x.info.src, VIP4);
	assert_int_equal(x.info.sport, SVC_PORT);
	assert_csums_ok(&x);
	if (h == PENV_XDP) {
		assert_verdict(&x, XDP_PASS);
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_PASS_NO_XDP_TARGET, 1);
	} else {
		assert_verdict(&x, TC_ACT_REDIRECT);
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_REDIRECT, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_reverse_v4_tcp),
		PROG_TEST(test_reverse_v4_udp),
		PROG_TEST(test_reverse_v6_tcp),
		PROG_TEST(test_reverse_v6_udp),
		PROG_TEST(test_reverse_udp_csum_zero),
		PROG_TEST(test_reverse_no_flow),
		PROG_TEST(test_reverse_ttl_exceeded),
		PROG_TEST(test_reverse_egress_not_xdp),
	};

	return cmocka_run_group_tests_name("prog_reverse", tests, penv_setup,
					   penv_teardown);
}
