// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Traffic that is not shunt's: to a non-VIP address, to a VIP on another
 * port or protocol, ARP and other non-IP frames, ICMP/ICMPv6/SCTP. Each
 * goes to the stack byte for byte, counted by its reason, and creates no
 * conntrack state.
 */
#include "progtest.h"

/* Services VIP4:80/tcp and VIP6:80/tcp with the standard backends. */
static void services(struct svc *v4, struct svc *v6)
{
	svc_two(v4, 4, IPPROTO_TCP, 1, 1);
	svc_two(v6, 6, IPPROTO_TCP, 1, 1);
}

static size_t ct_entries(void)
{
	struct shunt_ct_info *v;
	size_t n;

	assert_int_equal(shunt_ct_list(&penv.s, &v, &n), 0);
	free(v);
	return n;
}

/* spec goes through untouched, counted once as counter. */
static void expect_pass(enum penv_hook h, const struct pg_spec *spec,
			enum shunt_counter counter)
{
	struct xmit x;

	xmit(h, penv.if_cli, spec, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, counter, 1);
	assert_int_equal(ct_entries(), 0);
}

static void test_pass_not_vip(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;

	services(&v4, &v6);
	/* A backend's own address, another local-network host, the node. */
	pg_spec_init(&spec, PENV_CLIENT4, 44000, PENV_BE1_4, 80, IPPROTO_TCP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	pg_spec_init(&spec, PENV_CLIENT4, 44000, "10.96.0.11", 80, IPPROTO_UDP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	pg_spec_init(&spec, PENV_CLIENT4, 44000, "10.0.0.1", 22, IPPROTO_TCP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	pg_spec_init(&spec, PENV_CLIENT6, 44000, PENV_BE1_6, 80, IPPROTO_TCP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	pg_spec_init(&spec, PENV_CLIENT6, 44000, "fd00:ff::11", 80,
		     IPPROTO_UDP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	/* The v4 VIP's bytes as an IPv4-mapped IPv6 address. */
	pg_spec_init(&spec, PENV_CLIENT6, 44000, "::ffff:10.96.0.10", 80,
		     IPPROTO_TCP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
}

static void test_pass_vip_other_port(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;

	services(&v4, &v6);
	pg_spec_init(&spec, PENV_CLIENT4, 44001, VIP4, 81, IPPROTO_TCP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	pg_spec_init(&spec, PENV_CLIENT4, 44001, VIP4, 8080, IPPROTO_TCP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	/* Ports swapped: source port 80 to the VIP's port 44001. */
	pg_spec_init(&spec, PENV_CLIENT4, 80, VIP4, 44001, IPPROTO_TCP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	pg_spec_init(&spec, PENV_CLIENT6, 44001, VIP6, 443, IPPROTO_TCP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
}

static void test_pass_vip_other_proto(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;

	services(&v4, &v6); /* TCP only */
	pg_spec_init(&spec, PENV_CLIENT4, 44002, VIP4, SVC_PORT, IPPROTO_UDP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
	pg_spec_init(&spec, PENV_CLIENT6, 44002, VIP6, SVC_PORT, IPPROTO_UDP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_SERVICE);
}

/* An ARP request for the VIP, as raw bytes. */
static size_t arp_frame(uint8_t *b)
{
	static const uint8_t frame[] = {
		0xff,
		0xff,
		0xff,
		0xff,
		0xff,
		0xff, /* broadcast */
		0x02,
		0x00,
		0x00,
		0x00,
		0x00,
		0x02, /* client */
		0x08,
		0x06, /* ARP */
		0x00,
		0x01,
		0x08,
		0x00,
		6,
		4,
		0x00,
		0x01, /* request */
		0x02,
		0x00,
		0x00,
		0x00,
		0x00,
		0x02,
		10,
		0,
		0,
		2,
		0x00,
		0x00,
		0x00,
		0x00,
		0x00,
		0x00,
		10,
		96,
		0,
		10,
		/* padding to 60 bytes */
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
	};

	memcpy(b, frame, sizeof(frame));
	return sizeof(frame);
}

static void test_pass_not_ip(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;

	services(&v4, &v6);
	x.in_len = arp_frame(x.in);
	xmit_raw(h, penv.if_cli, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, SHUNT_C_PASS_NOT_IP, 1);

	/* LLDP, and a VIP-addressed IPv4 packet under another ethertype. */
	pg_spec_init(&spec, PENV_CLIENT4, 44003, VIP4, SVC_PORT, IPPROTO_TCP);
	spec.ethertype = 0x88cc;
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_IP);
	spec.ethertype = 0x8035; /* RARP */
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_IP);
	/* Behind one VLAN tag too. */
	spec.nvlan = 1;
	spec.vlan_tci[0] = 100;
	spec.ethertype = 0x0806;
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_IP);
}

static void test_pass_not_l4(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;

	services(&v4, &v6);
	/* ICMP echo and SCTP to the VIP. */
	pg_spec_init(&spec, PENV_CLIENT4, 0, VIP4, 0, IPPROTO_ICMP);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_L4);
	pg_spec_init(&spec, PENV_CLIENT4, 0, VIP4, 0, 132);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_L4);
	/* ICMPv6 echo request and neighbour solicitation to the VIP. */
	pg_spec_init(&spec, PENV_CLIENT6, 0, VIP6, 0, IPPROTO_ICMPV6);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_L4);
	spec.icmp_type = 135;
	spec.ttl = 255;
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_L4);
	/* ICMPv6 behind a hop-by-hop header (MLD-like). */
	spec.icmp_type = 143;
	spec.ttl = 1;
	spec.ext[0].type = PG_EXT_HOP;
	spec.next = 1;
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_L4);
	/* GRE to the v6 VIP. */
	pg_spec_init(&spec, PENV_CLIENT6, 0, VIP6, 0, 47);
	expect_pass(h, &spec, SHUNT_C_PASS_NOT_L4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_pass_not_vip),
		PROG_TEST(test_pass_vip_other_port),
		PROG_TEST(test_pass_vip_other_proto),
		PROG_TEST(test_pass_not_ip),
		PROG_TEST(test_pass_not_l4),
	};

	return cmocka_run_group_tests_name("prog_passthrough", tests,
					   penv_setup, penv_teardown);
}
