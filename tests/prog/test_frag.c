// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fragments (docs/datapath.md, verdict table): a first fragment is
 * translated like any packet, its L4 checksum (over the whole datagram)
 * updated, its ports remembered in frag_map; later fragments of the same
 * datagram get the same address translation and are otherwise left
 * alone; a later fragment without its first fragment passes untouched.
 */
#include "progtest.h"

#define FRAG_ID 0xbeef

/* A datagram client:sport -> VIP:80 of 8-byte-aligned pieces: the first
 * fragment carries first_len bytes of upper layer, the rest follow. */
static void frag_spec(struct pg_spec *s, const struct svc *v, __u8 proto,
		      __u16 sport, uint32_t offset, uint32_t len, bool more)
{
	pg_spec_init(s, v->client, sport, v->vip, SVC_PORT, proto);
	s->payload_len = 100; /* 108 (UDP) or 120 (TCP) bytes in all */
	s->ip_id = FRAG_ID;
	s->frag = true;
	s->frag_offset = offset;
	s->frag_len = len;
	s->frag_more = more;
	s->frag_id = FRAG_ID;
	if (s->src.family == 6) {
		s->ext[0].type = PG_EXT_FRAGMENT;
		s->next = 1;
	}
}

/* The L4 checksum of the whole translated datagram, built unfragmented
 * from scratch. */
static uint16_t whole_datagram_csum(const struct pg_spec *first,
				    const struct svc *v, int idx)
{
	struct pg_spec whole;
	struct pg_info info;
	uint8_t buf[PG_MAX_FRAME];
	size_t len;

	forwarded_spec(first, &whole, v, idx);
	whole.frag = false;
	whole.next = 0;
	len = pg_build(&whole, buf, sizeof(buf), NULL);
	assert_true(len > 0);
	assert_int_equal(pg_parse(buf, len, &info), 0);
	assert_int_equal(pg_verify_csums(buf, len, NULL, 0), 0);
	return info.l4_check;
}

/* frag_map holds exactly one entry: this datagram's pre-NAT ports. */
static void assert_frag_map(const struct pg_spec *s)
{
	struct shunt_frag_key key, next;
	struct shunt_frag f;
	int n = 0;

	memset(&key, 0, sizeof(key));
	key.src = penv_ip(&s->src);
	key.dst = penv_ip(&s->dst);
	key.id = FRAG_ID;
	key.proto = s->proto;
	key.family = s->src.family == 4 ? SHUNT_V4 : SHUNT_V6;
	assert_int_equal(bpf_map_lookup_elem(penv.s.frag_map, &key, &f), 0);
	assert_int_equal(ntohs(f.sport), s->sport);
	assert_int_equal(ntohs(f.dport), SVC_PORT);
	while (bpf_map_get_next_key(penv.s.frag_map, n ? &next : NULL, &next) ==
	       0)
		n++;
	assert_int_equal(n, 1);
}

static void frag_case(void **state, int family, __u8 proto)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec first, later, want;
	struct svc v;
	struct xmit x;
	int idx;
	uint32_t first_len = 48;

	svc_two(&v, family, proto, 1, 1);
	frag_spec(&first, &v, proto, 48000, 0, first_len, true);
	idx = predict_idx(&v, &first);

	/* First fragment: DNAT, ports, checksum over the whole datagram. */
	xmit(h, penv.if_cli, &first, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	assert_true(x.info.is_frag && x.info.first_frag && x.info.frag_more);
	assert_addr(&x.info.dst, v.be_addr[idx]);
	assert_int_equal(x.info.dport, idx == 0 ? BE1_PORT : BE2_PORT);
	assert_int_equal(x.info.l4_check, whole_datagram_csum(&first, &v, idx));
	assert_csums_ok(&x); /* IPv4 header */
	forwarded_spec(&first, &want, &v, idx);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_FRAG_FIRST, 1,
			SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
	assert_frag_map(&first);

	/* A middle and the last fragment: the same address translation,
	 * the fragment data byte for byte. */
	frag_spec(&later, &v, proto, 48000, first_len, 32, true);
	xmit(h, penv.if_cli, &later, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	assert_true(x.info.is_frag && !x.info.first_frag);
	assert_addr(&x.info.dst, v.be_addr[idx]);
	assert_addr(&x.info.src, v.client);
	assert_csums_ok(&x);
	assert_bytes("fragment data", x.out + x.info.lay.l4_off,
		     x.out_len - x.info.lay.l4_off, x.in + x.lay.l4_off,
		     x.in_len - x.lay.l4_off);
	forwarded_spec(&later, &want, &v, idx);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_FRAG_LATER, 1, SHUNT_C_CT_HIT, 1,
			SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);

	frag_spec(&later, &v, proto, 48000, first_len + 32, 0, false);
	xmit(h, penv.if_cli, &later, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	assert_true(x.info.is_frag && !x.info.frag_more);
	assert_bytes("fragment data", x.out + x.info.lay.l4_off,
		     x.out_len - x.info.lay.l4_off, x.in + x.lay.l4_off,
		     x.in_len - x.lay.l4_off);
	forwarded_spec(&later, &want, &v, idx);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_FRAG_LATER, 1, SHUNT_C_CT_HIT, 1,
			SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
}

static void test_frag_v4_udp(void **state)
{
	frag_case(state, 4, IPPROTO_UDP);
}

static void test_frag_v4_tcp(void **state)
{
	frag_case(state, 4, IPPROTO_TCP);
}

static void test_frag_v6_udp(void **state)
{
	frag_case(state, 6, IPPROTO_UDP);
}

static void test_frag_v6_tcp(void **state)
{
	frag_case(state, 6, IPPROTO_TCP);
}

/* Later fragments whose first fragment was never seen: untouched. */
static void test_frag_no_state(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec first, later, want;
	struct svc v[2];
	struct xmit x;
	int family, idx;

	svc_two(&v[0], 4, IPPROTO_UDP, 1, 1);
	svc_two(&v[1], 6, IPPROTO_UDP, 1, 1);
	for (family = 4; family <= 6; family += 2) {
		const struct svc *s = &v[family == 6];

		frag_spec(&later, s, IPPROTO_UDP, 48100, 48, 0, false);
		xmit(h, penv.if_cli, &later, &x);
		assert_verdict(&x, penv_pass(h));
		assert_unchanged(&x);
		assert_counters(&x, SHUNT_C_PASS_FRAG_NO_STATE, 1);

		/* Reordered: the first fragment comes after all. */
		frag_spec(&first, s, IPPROTO_UDP, 48100, 0, 48, true);
		idx = predict_idx(s, &first);
		xmit(h, penv.if_cli, &first, &x);
		assert_verdict(&x, penv_redirect(h));
		forwarded_spec(&first, &want, s, idx);
		assert_frame(&x, &want);

		/* Another datagram id, another source, another protocol:
		 * still no state. */
		later.ip_id = later.frag_id = FRAG_ID + 1;
		xmit(h, penv.if_cli, &later, &x);
		assert_verdict(&x, penv_pass(h));
		assert_unchanged(&x);
		assert_counters(&x, SHUNT_C_PASS_FRAG_NO_STATE, 1);
		later.ip_id = later.frag_id = FRAG_ID;
		later.src = pg_addr(family == 4 ? "10.0.0.3" : "fd00:a::3");
		xmit(h, penv.if_cli, &later, &x);
		assert_verdict(&x, penv_pass(h));
		assert_unchanged(&x);
		assert_counters(&x, SHUNT_C_PASS_FRAG_NO_STATE, 1);
		later.src = pg_addr(s->client);
		later.proto = IPPROTO_TCP;
		xmit(h, penv.if_cli, &later, &x);
		assert_verdict(&x, penv_pass(h));
		assert_unchanged(&x);
		assert_counters(&x, SHUNT_C_PASS_FRAG_NO_STATE, 1);

		/* The right one now follows the first fragment. */
		later.proto = IPPROTO_UDP;
		xmit(h, penv.if_cli, &later, &x);
		assert_verdict(&x, penv_redirect(h));
		forwarded_spec(&later, &want, s, idx);
		assert_frame(&x, &want);
		assert_counters(&x, SHUNT_C_FRAG_LATER, 1, SHUNT_C_CT_HIT, 1,
				SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
	}
}

/* A fragmented reply from a backend: SNAT on every fragment. */
static void test_frag_reverse(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec fwd, reply, want;
	struct svc v;
	struct xmit x;
	int idx, family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_UDP, 1, 1);
		idx = open_flow(h, &v, IPPROTO_UDP, 48200, &fwd);

		reply_spec(&fwd, &reply, &v, idx);
		reply.payload_len = 100;
		reply.ip_id = FRAG_ID;
		reply.frag = true;
		reply.frag_id = FRAG_ID;
		reply.frag_more = true;
		reply.frag_len = 56;
		if (family == 6) {
			reply.ext[0].type = PG_EXT_FRAGMENT;
			reply.next = 1;
		}
		xmit(h, penv.if_be, &reply, &x);
		assert_verdict(&x, penv_redirect(h));
		reversed_spec(&reply, &want, &v);
		assert_frame(&x, &want);
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_FRAG_FIRST,
				1, SHUNT_C_NAT_REV, 1, SHUNT_C_REDIRECT, 1);

		reply.frag_offset = 56;
		reply.frag_len = 0;
		reply.frag_more = false;
		xmit(h, penv.if_be, &reply, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_int_equal(x.parsed, 0);
		assert_addr(&x.info.src, v.vip);
		assert_csums_ok(&x);
		reversed_spec(&reply, &want, &v);
		assert_frame(&x, &want);
		assert_counters(&x, SHUNT_C_FRAG_LATER, 1, SHUNT_C_CT_REV_HIT,
				1, SHUNT_C_NAT_REV, 1, SHUNT_C_REDIRECT, 1);
	}
}

/* IPv6 atomic fragment (offset 0, no more fragments): a whole datagram
 * behind a fragment header, translated like any packet. */
static void test_frag_v6_atomic(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 6, IPPROTO_TCP, 1, 1);
	frag_spec(&spec, &v, IPPROTO_TCP, 48300, 0, 0, false);
	idx = predict_idx(&v, &spec);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_csums_ok(&x);
	forwarded_spec(&spec, &want, &v, idx);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_frag_v4_udp),	PROG_TEST(test_frag_v4_tcp),
		PROG_TEST(test_frag_v6_udp),	PROG_TEST(test_frag_v6_tcp),
		PROG_TEST(test_frag_no_state),	PROG_TEST(test_frag_reverse),
		PROG_TEST(test_frag_v6_atomic),
	};

	return cmocka_run_group_tests_name("prog_frag", tests, penv_setup,
					   penv_teardown);
}
