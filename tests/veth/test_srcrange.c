// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Source ranges with real traffic: a service from a services file with
 * source_ranges answers a client address inside them and not one outside
 * (its SYNs are dropped, counted drop_src_range), IPv4 and IPv6; widening
 * the ranges with another apply lets the second address in.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "netns.h"
#include "vethenv.h"

#define IN4  "10.200.1.2" /* the topology's client address */
#define OUT4 "10.200.1.3" /* a second one, outside the ranges */
#define IN6  "fd00:200:1::2"
#define OUT6 "fd00:200:1::3"

static struct vethenv env;
static char dir[128], file[192];
static char out[4096];

/* GET / from source address src to url: the body (out), 0, or curl's
 * exit status. */
static int get(const char *src, const char *url)
{
	out[0] = '\0';
	return run_capture(out, sizeof(out),
			   "ip netns exec %s curl -s -g -m 2 --interface %s %s",
			   env.client_ns, src, url);
}

/* The services file: each family's service with these source ranges. */
static int apply(const char *ranges4, const char *ranges6)
{
	char b4[32], b6[64];
	FILE *f = fopen(file, "w");

	if (!f)
		return -1;
	vethenv_backend_ip4(b4, sizeof(b4), 1);
	vethenv_backend_ip6(b6, sizeof(b6), 1);
	fprintf(f,
		"services:\n"
		"  - {name: web4, vip: %s, port: 80, source_ranges: %s,\n"
		"     backends: [{address: \"%s\", port: %d}]}\n"
		"  - {name: web6, vip: \"%s\", port: 80, source_ranges: %s,\n"
		"     backends: [{address: \"%s\", port: %d}]}\n",
		VETH_VIP4, ranges4, b4, VETH_HTTP_PORT, VETH_VIP6, ranges6, b6,
		VETH_HTTP_PORT);
	if (fclose(f))
		return -1;
	return vethenv_ctl(&env, "apply -f %s", file);
}

static void test_inside_answered_outside_dropped(void **state)
{
	long long before;

	(void)state;
	assert_int_equal(apply("[10.200.1.2/32]", "[\"fd00:200:1::2/128\"]"),
			 0);
	before = vethenv_counter(&env, "drop_src_range");
	assert_true(before >= 0);
	assert_int_equal(get(IN4, "http://" VETH_VIP4 "/"), 0);
	assert_non_null(strstr(out, "be1"));
	assert_int_equal(get(IN6, "http://[" VETH_VIP6 "]/"), 0);
	assert_non_null(strstr(out, "be1"));
	/* curl 28: timed out; the SYNs never reached the backend. */
	assert_int_equal(get(OUT4, "http://" VETH_VIP4 "/"), 28);
	assert_int_equal(get(OUT6, "http://[" VETH_VIP6 "]/"), 28);
	/* At least one SYN of each, retransmissions perhaps. */
	assert_true(vethenv_counter(&env, "drop_src_range") >= before + 2);
}

static void test_widened(void **state)
{
	(void)state;
	assert_int_equal(apply("[10.200.1.0/24]", "[\"fd00:200:1::/64\"]"), 0);
	assert_int_equal(get(OUT4, "http://" VETH_VIP4 "/"), 0);
	assert_non_null(strstr(out, "be1"));
	assert_int_equal(get(OUT6, "http://[" VETH_VIP6 "]/"), 0);
	assert_non_null(strstr(out, "be1"));
	/* No ranges at all: everyone. */
	assert_int_equal(apply("[]", "[]"), 0);
	assert_int_equal(vethenv_ctl_capture(&env, out, sizeof(out),
					     "service show %s:80/tcp --json",
					     VETH_VIP4),
			 0);
	assert_non_null(strstr(out, "\"source_ranges\""));
	assert_null(strstr(out, "10.200.1.0/24"));
	assert_int_equal(get(OUT4, "http://" VETH_VIP4 "/"), 0);
}

static int setup(void **state)
{
	(void)state;
	if (vethenv_up(&env, "lbsr", 1))
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/shunt-test-lbsr-%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/services.yaml", dir);
	/* The node learns the second address's MAC (as it learnt the
	 * first's) by answering it (a RST from a closed port): XDP forwards
	 * only to a resolved neighbour. */
	if ((mkdir(dir, 0700) && errno != EEXIST) ||
	    run_cmdf("ip -n %s addr add %s/24 dev eth0 && "
		     "ip -n %s addr add %s/64 dev eth0 nodad",
		     env.client_ns, OUT4, env.client_ns, OUT6)) {
		vethenv_down(&env);
		run_cmdf("rm -rf %s", dir);
		return -1;
	}
	get(OUT4, "http://10.200.1.1:9/");
	get(OUT6, "http://[fd00:200:1::1]:9/");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vethenv_down(&env);
	run_cmdf("rm -rf %s", dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inside_answered_outside_dropped),
		cmocka_unit_test(test_widened),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
