// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UDP through a VIP, IPv4 and IPv6, connected and unconnected sockets:
 * requests reach the backends and spread over them, replies come from the
 * VIP, with the node's FORWARD policy at DROP.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "httpc.h"
#include "vethenv.h"

#define QUERIES 30

static struct vethenv env;

static int setup(void **state)
{
	(void)state;
	if (vethenv_up(&env, "u", 2))
		return -1;
	if (vethenv_services(&env, 53, "udp", VETH_UDP_PORT)) {
		vethenv_down(&env);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vethenv_down(&env);
	return 0;
}

/* QUERIES queries, each from a new socket: all answered by a backend,
 * from the VIP, and both backends take some. */
static void queries(const char *vip, const char *expect_from, int connected)
{
	char reply[128], from[128], payload[32];
	int i, be1 = 0, be2 = 0;

	for (i = 0; i < QUERIES; i++) {
		snprintf(payload, sizeof(payload), "q%d", i);
		assert_int_equal(udp_query(env.client_ns, vip, 53, connected,
					   payload, reply, sizeof(reply), from,
					   sizeof(from), VETH_TIMEOUT_MS),
				 0);
		assert_string_equal(from, expect_from);
		if (!strncmp(reply, "be1 ", 4))
			be1++;
		else if (!strncmp(reply, "be2 ", 4))
			be2++;
		else
			fail_msg("unexpected reply '%s'", reply);
		assert_string_equal(reply + 4, payload);
	}
	print_message("%s %s: be1 %d, be2 %d\n", vip,
		      connected ? "connected" : "unconnected", be1, be2);
	assert_true(be1 > 0 && be2 > 0);
}

static void test_v4_unconnected(void **state)
{
	(void)state;
	queries(VETH_VIP4, VETH_VIP4 ":53", 0);
}

static void test_v4_connected(void **state)
{
	(void)state;
	queries(VETH_VIP4, VETH_VIP4 ":53", 1);
}

static void test_v6_unconnected(void **state)
{
	(void)state;
	queries(VETH_VIP6, "[" VETH_VIP6 "]:53", 0);
}

static void test_v6_connected(void **state)
{
	(void)state;
	queries(VETH_VIP6, "[" VETH_VIP6 "]:53", 1);
}

static void test_conntrack_has_udp_flows(void **state)
{
	static char buf[1 << 20];

	(void)state;
	assert_int_equal(vethenv_ctl_capture(&env, buf, sizeof(buf), "ct list"),
			 0);
	assert_non_null(strstr(buf, "udp   fwd UDP"));
	assert_true(vethenv_counter(&env, "nat_rev") >= 4 * QUERIES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_unconnected),
		cmocka_unit_test(test_v4_connected),
		cmocka_unit_test(test_v6_unconnected),
		cmocka_unit_test(test_v6_connected),
		cmocka_unit_test(test_conntrack_has_udp_flows),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
