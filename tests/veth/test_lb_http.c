// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * HTTP through a VIP, IPv4 and IPv6, in the namespace topology with the
 * node's FORWARD policy at DROP: requests reach the backends, spread over
 * them, backends see the client's own address, large bodies arrive intact.
 * Mode from $SHUNT_TEST_MODE (tc, xdp, auto).
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

#define REQUESTS 40
#define BIG	 (8U << 20)

static struct vethenv env;

static int setup(void **state)
{
	(void)state;
	if (vethenv_up(&env, "h", 2))
		return -1;
	if (vethenv_services(&env, 80, "tcp", VETH_HTTP_PORT)) {
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

/* The proof that the stack is out of the way: it drops what it forwards. */
static void test_stack_forwarding_is_blocked(void **state)
{
	char b[64], body[64];
	int status;

	(void)state;
	vethenv_backend_ip4(b, sizeof(b), 1);
	assert_int_not_equal(http_get_once(env.client_ns, b, VETH_HTTP_PORT,
					   "/", &status, body, sizeof(body),
					   1000),
			     0);
	vethenv_backend_ip6(b, sizeof(b), 1);
	assert_int_not_equal(http_get_once(env.client_ns, b, VETH_HTTP_PORT,
					   "/", &status, body, sizeof(body),
					   1000),
			     0);
}

static void spread(const char *vip)
{
	char name[64];
	int i, be1 = 0, be2 = 0;

	for (i = 0; i < REQUESTS; i++) {
		assert_int_equal(
			vethenv_which(&env, vip, 80, name, sizeof(name)), 0);
		if (!strcmp(name, "be1"))
			be1++;
		else if (!strcmp(name, "be2"))
			be2++;
		else
			fail_msg("unexpected body '%s'", name);
	}
	print_message("%s: be1 %d, be2 %d of %d\n", vip, be1, be2, REQUESTS);
	assert_true(be1 > 0 && be2 > 0);
}

static void test_spread_v4(void **state)
{
	(void)state;
	spread(VETH_VIP4);
}

static void test_spread_v6(void **state)
{
	(void)state;
	spread(VETH_VIP6);
}

/* The backend sees the client's address, not the node's. */
static void whoami(const char *vip, const char *client)
{
	char body[128];
	int status;

	assert_int_equal(http_get_once(env.client_ns, vip, 80, "/whoami",
				       &status, body, sizeof(body),
				       VETH_TIMEOUT_MS),
			 0);
	assert_int_equal(status, 200);
	assert_non_null(strstr(body, client));
}

static void test_client_address_preserved(void **state)
{
	(void)state;
	whoami(VETH_VIP4, " 10.200.1.2:");
	whoami(VETH_VIP6, " [fd00:200:1::2]:");
}

struct pattern_check {
	unsigned long long off;
	int bad;
};

static int check_pattern(const void *data, size_t len, void *arg)
{
	struct pattern_check *p = arg;
	const unsigned char *d = data;
	size_t i;

	for (i = 0; i < len; i++, p->off++)
		if (d[i] != (unsigned char)((p->off * 7 + 13) & 0xff))
			p->bad++;
	return 0;
}

static void big_body(const char *vip)
{
	struct pattern_check pc = {};
	unsigned long long total = 0;
	struct http_conn c;
	char path[64];
	int status;

	snprintf(path, sizeof(path), "/bytes/%u", BIG);
	assert_int_equal(
		http_connect(&c, env.client_ns, vip, 80, VETH_TIMEOUT_MS), 0);
	assert_int_equal(http_get_sink(&c, path, 1, &status, check_pattern, &pc,
				       &total, 20000),
			 0);
	http_close(&c);
	assert_int_equal(status, 200);
	assert_int_equal(total, BIG);
	assert_int_equal(pc.bad, 0);
}

static void test_large_body_v4(void **state)
{
	(void)state;
	big_body(VETH_VIP4);
}

static void test_large_body_v6(void **state)
{
	(void)state;
	big_body(VETH_VIP6);
}

/* The packets were moved by shunt: translated both ways, redirected. */
static void test_counters(void **state)
{
	long long redirected;

	(void)state;
	assert_true(vethenv_counter(&env, "nat_fwd") > REQUESTS);
	assert_true(vethenv_counter(&env, "nat_rev") > REQUESTS);
	redirected = vethenv_counter(&env, "redirect") +
		     vethenv_counter(&env, "redirect_peer");
	assert_true(redirected > 4 * REQUESTS);
	assert_int_equal(vethenv_counter(&env, "drop_no_backend"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_forwarding_is_blocked),
		cmocka_unit_test(test_spread_v4),
		cmocka_unit_test(test_spread_v6),
		cmocka_unit_test(test_client_address_preserved),
		cmocka_unit_test(test_large_body_v4),
		cmocka_unit_test(test_large_body_v6),
		cmocka_unit_test(test_counters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
