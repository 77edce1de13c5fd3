// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * NodePort as one wildcard frontend (*:30080/tcp) answered on every
 * address of the node that shuntd keeps in node_addr_map:
 *  - the node's address on the client side serves the NodePort, IPv4 and
 *    IPv6, with the backends of the service's ClusterIP (one set);
 *  - an address added to the node after shuntd started serves it within
 *    a second; once removed it stops (the NodePort is not answered
 *    there, the client's connection fails);
 *  - a port without a NodePort frontend on a node address is left to
 *    the node's stack.
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

#include "agentenv.h"
#include "httpc.h"
#include "netns.h"
#include "vethenv.h"

#define NODE_IP4  "10.200.1.1"
#define NODE_IP6  "fd00:200:1::1"
#define EXTRA_IP4 "10.200.1.77"
#define EXTRA_IP6 "fd00:200:1::77"
#define NODEPORT  30080

static struct vethenv env;
static struct agent_proc agent;
static char dir[128];

/* The backend number answering host:port, or -errno. */
static int answer(const char *host, int port, int timeout_ms)
{
	char body[64];
	int status, rc;

	rc = http_get_once(env.client_ns, host, port, "/", &status, body,
			   sizeof(body), timeout_ms);
	return rc ? rc : http_backend_of(status, body, env.nbackends);
}

/* Poll until host:NODEPORT answers (want) or does not (!want). */
static bool wait_answer(const char *host, bool want)
{
	int i;

	for (i = 0; i < 30; i++) {
		if ((answer(host, NODEPORT, 300) > 0) == want)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

static void test_nodeport_on_node_addresses(void **state)
{
	(void)state;
	assert_true(answer(NODE_IP4, NODEPORT, 2000) > 0);
	assert_true(answer(NODE_IP6, NODEPORT, 2000) > 0);
	assert_true(answer(VETH_VIP4, 80, 2000) > 0);
	/* One set behind both frontends: the listing shows one service. */
	assert_int_equal(vethenv_ctl(&env, "service show *:%d/tcp", NODEPORT),
			 0);
	/* Another port of the node's address is not ours. */
	assert_true(answer(NODE_IP4, NODEPORT + 1, 500) < 0);
}

static void test_address_added_later(void **state)
{
	char out[4096];

	(void)state;
	/* Not a node address yet: nobody answers there. */
	assert_true(answer(EXTRA_IP4, NODEPORT, 300) < 0);
	assert_int_equal(run_cmdf("ip -n %s addr add %s/24 dev c0", env.node_ns,
				  EXTRA_IP4),
			 0);
	assert_int_equal(run_cmdf("ip -n %s addr add %s/64 dev c0 nodad",
				  env.node_ns, EXTRA_IP6),
			 0);
	assert_true(wait_answer(EXTRA_IP4, true));
	assert_true(wait_answer(EXTRA_IP6, true));
	assert_int_equal(vethenv_ctl_capture(&env, out, sizeof(out),
					     "node-address list --json"),
			 0);
	assert_non_null(strstr(out, EXTRA_IP4));

	assert_int_equal(run_cmdf("ip -n %s addr del %s/24 dev c0", env.node_ns,
				  EXTRA_IP4),
			 0);
	assert_int_equal(run_cmdf("ip -n %s addr del %s/64 dev c0", env.node_ns,
				  EXTRA_IP6),
			 0);
	assert_true(wait_answer(EXTRA_IP4, false));
	assert_true(wait_answer(EXTRA_IP6, false));
	assert_int_equal(vethenv_ctl_capture(&env, out, sizeof(out),
					     "node-address list --json"),
			 0);
	assert_null(strstr(out, EXTRA_IP4));
	/* The node's own address still serves. */
	assert_true(answer(NODE_IP4, NODEPORT, 2000) > 0);
}

static int write_services(const char *path)
{
	char b4[32], b6[64];
	FILE *f = fopen(path, "w");
	int i, fam;

	if (!f)
		return -1;
	fputs("services:\n", f);
	for (fam = 4; fam <= 6; fam += 2) {
		fprintf(f,
			"  - name: web%d\n    vip: %s\n    port: 80\n"
			"    node_port: %d\n    backends:\n",
			fam, fam == 4 ? VETH_VIP4 : VETH_VIP6, NODEPORT);
		for (i = 1; i <= env.nbackends; i++) {
			vethenv_backend_ip4(b4, sizeof(b4), i);
			vethenv_backend_ip6(b6, sizeof(b6), i);
			fprintf(f, "      - {address: \"%s\", port: %d}\n",
				fam == 4 ? b4 : b6, VETH_HTTP_PORT);
		}
	}
	return fclose(f);
}

static int setup(void **state)
{
	char file[192];
	const char *argv[] = {
		"--pin-root", env.pin_root, "--services-file", file,
		"--cgroup",   "none",	    "--gc-interval",   "3600",
		NULL};

	(void)state;
	if (vethenv_up(&env, "np", 2))
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/shunt-test-np-%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/services.yaml", dir);
	if ((mkdir(dir, 0700) && errno != EEXIST) || write_services(file))
		goto fail;
	memset(&agent, 0, sizeof(agent));
	snprintf(agent.log, sizeof(agent.log), "%s/shuntd.log", dir);
	snprintf(agent.netns, sizeof(agent.netns), "%s", env.node_ns);
	snprintf(agent.metrics, sizeof(agent.metrics), "127.0.0.1:9472");
	if (agent_start(&agent, argv, 20000))
		goto fail;
	return 0;
fail:
	vethenv_down(&env);
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	agent_stop(&agent);
	vethenv_down(&env);
	run_cmdf("rm -rf %s", dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodeport_on_node_addresses),
		cmocka_unit_test(test_address_added_later),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
