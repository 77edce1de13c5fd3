// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reverse direction (backend -> client) through shunt_xdp and shunt_tc:
 * once a forward packet created the flow, the backend's reply comes out
 * with VIP:service-port as its source, correct checksums, forwarded to
 * the client side; replies without a flow pass untouched.
 */
#include "progtest.h"
#include "nodeaddr.h"

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

/*
 * A reply addressed to a frontend: the client is this node (its address
 * is a NodePort address) and its source port, 43100, is also a NodePort
 * of another service. The backend's reply to client:43100 must be
 * translated back from the VIP (the flow's REV entry comes first,
 * ct_rev_to_frontend), not balanced to the NodePort's backends. Both
 * families.
 */
static void test_reverse_to_frontend(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_frontend_key np;
	struct pg_spec fwd, reply, want;
	struct pg_addr ca;
	union shunt_ip cip;
	__u32 np_id, np_be;
	struct svc v;
	struct xmit x;
	int family, idx;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		idx = open_flow(h, &v, IPPROTO_TCP, 43100, &fwd);

		/* Then the NodePort, and the client's address a node's. */
		memset(&np, 0, sizeof(np));
		np.port = htons(43100);
		np.proto = IPPROTO_TCP;
		np.family = v.key.family;
		svc_apply_one("test/np", &np,
			      SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_NODEPORT,
			      v.be_addr[1 - idx], 0, &np_id, &np_be);
		ca = pg_addr(v.client);
		cip = penv_ip(&ca);
		assert_int_equal(
			shunt_node_addr_add(&penv.s, &cip, v.key.family), 0);

		reply_spec(&fwd, &reply, &v, idx);
		xmit(h, penv.if_be, &reply, &x);
		assert_verdict(&x, penv_redirect(h));
		reversed_spec(&reply, &want, &v);
		assert_frame(&x, &want);
		assert_csums_ok(&x);
		assert_counters(&x, SHUNT_C_CT_REV_TO_FRONTEND, 1,
				SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_REDIRECT, 1);

		/* A packet from elsewhere to that NodePort is balanced. */
		pg_spec_init(&fwd, PENV_BE2_4, 41000, v.client, 43100,
			     IPPROTO_TCP);
		if (family == 6)
			pg_spec_init(&fwd, PENV_BE2_6, 41000, v.client, 43100,
				     IPPROTO_TCP);
		xmit(h, penv.if_cli, &fwd, &x);
		assert_int_equal(x.after[SHUNT_C_CT_REV_TO_FRONTEND],
				 x.before[SHUNT_C_CT_REV_TO_FRONTEND]);
		assert_int_equal(x.after[SHUNT_C_CT_MISS] -
					 x.before[SHUNT_C_CT_MISS],
				 1);
		assert_int_equal(
			shunt_node_addr_del(&penv.s, &cip, v.key.family), 0);
	}
}

/*
 * One client address and port to two frontends that share a backend
 * (VIP4:80 and 10.96.0.11:80, both to BE1:8080): the second flow's
 * reply tuple is the first's. The second is refused (dropped,
 * ct_reply_clash) and the first's replies still come from VIP4; once the
 * first is closed, the second may have the tuple.
 */
static void test_reply_clash(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_frontend_key k2 =
		penv_svc_key("10.96.0.11", SVC_PORT, IPPROTO_TCP);
	struct pg_spec fwd, second, reply, want;
	__u32 id2, be2;
	__u16 sport;
	struct svc v;
	struct xmit x;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	svc_apply_one("test/second", &k2, 0, PENV_BE1_4, 0, &id2, &be2);
	/* A client port whose flow to VIP4 goes to BE1. */
	for (sport = 43300;; sport++) {
		pg_spec_init(&fwd, v.client, sport, v.vip, SVC_PORT,
			     IPPROTO_TCP);
		if (predict_idx(&v, &fwd) == 0)
			break;
	}
	assert_int_equal(open_flow(h, &v, IPPROTO_TCP, sport, &fwd), 0);

	pg_spec_init(&second, v.client, sport, "10.96.0.11", SVC_PORT,
		     IPPROTO_TCP);
	xmit(h, penv.if_cli, &second, &x);
	assert_verdict(&x, penv_drop(h));
	assert_int_equal(x.after[SHUNT_C_CT_REPLY_CLASH] -
				 x.before[SHUNT_C_CT_REPLY_CLASH],
			 1);
	assert_int_equal(x.after[SHUNT_C_NAT_FWD], x.before[SHUNT_C_NAT_FWD]);

	reply_spec(&fwd, &reply, &v, 0);
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_redirect(h));
	reversed_spec(&reply, &want, &v);
	assert_frame(&x, &want);

	/* The first flow reset: the tuple is free for the second. */
	reply.tcp_flags = PG_TCP_RST;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_redirect(h));
	xmit(h, penv.if_cli, &second, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.after[SHUNT_C_CT_REPLY_CLASH],
			 x.before[SHUNT_C_CT_REPLY_CLASH]);
	reply_spec(&second, &reply, &v, 0);
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_addr(&x.info.src, "10.96.0.11");
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
		PROG_TEST(test_reverse_to_frontend),
		PROG_TEST(test_reply_clash),
		PROG_TEST(test_reverse_ttl_exceeded),
		PROG_TEST(test_reverse_egress_not_xdp),
	};

	return cmocka_run_group_tests_name("prog_reverse", tests, penv_setup,
					   penv_teardown);
}
