// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntd keeps node_addr_map, the addresses a NodePort frontend (the
 * wildcard *:port) answers on, in step with the network namespace: in a
 * private namespace with veth interfaces and a services file with a
 * node_port service, an address added after shuntd started shows up in
 * the map and a removed one goes, within a couple of seconds (netlink
 * address events); loopback and link-local addresses never do;
 * --nodeport-addresses keeps only the addresses inside its CIDRs, and
 * 'primary' only the --node-ip ones, or without them the default routes'
 * source addresses as the routes change. Traffic to NodePorts is tested
 * in tests/veth.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
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
#include "netns.h"
#include "nodeaddr.h"
#include "parse.h"
#include "service.h"

#define FOLLOW_MS 2000 /* an address change reaches the map within this */

static char dir[64], file[128], root[128], ctl[4200], out[1 << 16];
static struct agent_proc agent;

static const char *const services_yaml =
	"services:\n"
	"  - name: np\n"
	"    vip: 10.96.0.30\n"
	"    port: 80\n"
	"    node_port: 30080\n"
	"    backends:\n"
	"      - {address: 10.0.3.3, port: 8080}\n";

/* node_addr_map as "ADDR ADDR ..." (sorted: IPv4 first), "" when empty. */
static void addrs_now(char *buf, size_t len)
{
	struct shunt_node_addr *v;
	char ip[SHUNT_ADDRSTRLEN];
	size_t n = 0, i, off = 0;
	struct shunt s;

	buf[0] = '\0';
	assert_int_equal(shunt_open(&s, root, 0), 0);
	assert_int_equal(shunt_node_addr_list(&s, &v, &n), 0);
	shunt_close(&s);
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "",
				shunt_format_ip(&v[i].addr, v[i].family, ip,
						sizeof(ip)));
	free(v);
}

/* Poll until node_addr_map is exactly want. */
static bool wait_addrs(const char *want)
{
	char now[1024];
	int i;

	for (i = 0; i * 50 <= FOLLOW_MS; i++) {
		addrs_now(now, sizeof(now));
		if (!strcmp(now, want))
			return true;
		usleep(50 * 1000);
	}
	fprintf(stderr, "node_addr_map: '%s', expected '%s'\n", now, want);
	agent_log_dump(&agent);
	return false;
}

static int start(const char *const *extra)
{
	const char *argv[32] = {"--cgroup",	   "none", "--pin-root", root,
				"--services-file", file,   NULL};
	size_t n = 6;

	agent_stop(&agent); /* one a failed test left running */
	while (extra && *extra && n < 30)
		argv[n++] = *extra++;
	argv[n] = NULL;
	return agent_start(&agent, argv, 20000);
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/shunt-npaddr-test-%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/services.yaml", dir);
	snprintf(root, sizeof(root), "/sys/fs/bpf/shunt-test-npaddr%d",
		 (int)getpid());
	snprintf(agent.log, sizeof(agent.log), "%s/shuntd.log", dir);
	agent_binary(ctl, sizeof(ctl), "shuntctl");
	if (unshare(CLONE_NEWNET) || mkdir(dir, 0700))
		return -1;
	/* d0 has an address before shuntd starts; lo's and the link-local
	 * ones are never NodePort addresses. */
	if (run_cmd("ip link set lo up && "
		    "ip link add d0 type veth peer name d0p && "
		    "ip link add d1 type veth peer name d1p && "
		    "ip addr add 10.50.0.1/24 dev d0 && "
		    "ip link set d0 up && ip link set d1 up && "
		    "ip link set d0p up && ip link set d1p up"))
		return -1;
	snprintf(agent.metrics, sizeof(agent.metrics), "127.0.0.1:%d",
		 agent_free_port());
	f = fopen(file, "w");
	if (!f)
		return -1;
	fputs(services_yaml, f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	agent_stop(&agent);
	run_cmdf("%s --pin-root %s unload", ctl, root);
	run_cmdf("rm -rf %s", dir);
	return 0;
}

/* The node_port service: one service, its VIP and the wildcard. */
static void test_nodeport_service(void **state)
{
	struct shunt_frontend_info *fe;
	struct shunt_service_info info;
	char ip[SHUNT_ADDRSTRLEN];
	size_t n, i, wild = 0;
	struct shunt s;

	(void)state;
	assert_int_equal(start(NULL), 0);
	assert_int_equal(shunt_open(&s, root, 0), 0);
	assert_int_equal(shunt_service_get_by_name(&s, "np", &info), 0);
	assert_int_equal(info.n_frontends, 2);
	assert_int_equal(shunt_frontend_list(&s, info.id, &fe, &n), 0);
	shunt_close(&s);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		shunt_format_ip(&fe[i].key.vip, SHUNT_V4, ip, sizeof(ip));
		if (strcmp(ip, "0.0.0.0"))
			continue;
		wild++;
		assert_int_equal(ntohs(fe[i].key.port), 30080);
		assert_true(fe[i].fe.flags & SHUNT_FE_F_NODEPORT);
	}
	free(fe);
	assert_int_equal(wild, 1);
	/* The address d0 had at start. */
	assert_true(wait_addrs("10.50.0.1"));
	assert_int_equal(agent_stop(&agent), 0);
}

/* Every address (but loopback and link-local) as it comes and goes. */
static void test_follow_addresses(void **state)
{
	(void)state;
	assert_int_equal(start(NULL), 0);
	assert_true(wait_addrs("10.50.0.1"));
	assert_true(agent_wait_metric(&agent, "shunt_nodeport_addresses 1\n",
				      out, sizeof(out), 5000));

	assert_int_equal(run_cmd("ip addr add 10.60.0.1/24 dev d1 && "
				 "ip addr add fd00:60::1/64 dev d1 nodad"),
			 0);
	assert_true(wait_addrs("10.50.0.1 10.60.0.1 fd00:60::1"));
	/* The same through shuntctl. */
	assert_int_equal(
		run_capture(out, sizeof(out),
			    "%s --pin-root %s node-address list --json", ctl,
			    root),
		0);
	assert_non_null(strstr(out, "\"10.50.0.1\""));
	assert_non_null(strstr(out, "\"10.60.0.1\""));
	assert_non_null(strstr(out, "\"fd00:60::1\""));
	assert_null(strstr(out, "127.0.0.1"));
	assert_null(strstr(out, "fe80:"));
	assert_true(agent_wait_metric(&agent, "shunt_nodeport_addresses 3\n",
				      out, sizeof(out), 5000));

	/* A second address on an interface (another subnet: removing the
	 * first address of a subnet takes its secondaries along), then
	 * removals. */
	assert_int_equal(run_cmd("ip addr add 10.51.0.2/24 dev d0"), 0);
	assert_true(wait_addrs("10.50.0.1 10.51.0.2 10.60.0.1 fd00:60::1"));
	assert_int_equal(run_cmd("ip addr del 10.50.0.1/24 dev d0"), 0);
	assert_true(wait_addrs("10.51.0.2 10.60.0.1 fd00:60::1"));
	assert_int_equal(run_cmd("ip addr del fd00:60::1/64 dev d1"), 0);
	assert_true(wait_addrs("10.51.0.2 10.60.0.1"));
	/* An interface going away takes its addresses along. */
	assert_int_equal(run_cmd("ip link del d1"), 0);
	assert_true(wait_addrs("10.51.0.2"));
	assert_true(agent_wait_metric(&agent, "shunt_nodeport_addresses 1\n",
				      out, sizeof(out), 5000));

	/* A restart starts from the namespace as it is now. */
	assert_int_equal(agent_stop(&agent), 0);
	assert_int_equal(run_cmd("ip link add d1 type veth peer name d1p && "
				 "ip link set d1 up && ip link set d1p up && "
				 "ip addr add 10.60.0.1/24 dev d1 && "
				 "ip addr add fd00:60::1/64 dev d1 nodad && "
				 "ip addr add 10.50.0.1/24 dev d0 && "
				 "ip addr del 10.51.0.2/24 dev d0"),
			 0);
	assert_int_equal(start(NULL), 0);
	assert_true(wait_addrs("10.50.0.1 10.60.0.1 fd00:60::1"));
	assert_int_equal(agent_stop(&agent), 0);
}

/* --nodeport-addresses CIDRs: only the addresses inside them. */
static void test_cidr_filter(void **state)
{
	const char *const extra[] = {"--nodeport-addresses",
				     "10.60.0.0/16,fd00:60::/64", NULL};

	(void)state;
	assert_int_equal(start(extra), 0);
	assert_true(wait_addrs("10.60.0.1 fd00:60::1"));
	/* Outside the CIDRs: left out. Then one inside: once it is in, the
	 * outside one has been seen (and left out) too. */
	assert_int_equal(run_cmd("ip addr add 10.70.0.1/24 dev d0 && "
				 "ip addr add fd00:70::1/64 dev d0 nodad"),
			 0);
	assert_int_equal(run_cmd("ip addr add 10.60.5.5/24 dev d0"), 0);
	assert_true(wait_addrs("10.60.0.1 10.60.5.5 fd00:60::1"));
	assert_int_equal(run_cmd("ip addr add fd00:60::2/64 dev d0 nodad"), 0);
	assert_true(wait_addrs("10.60.0.1 10.60.5.5 fd00:60::1 fd00:60::2"));
	assert_int_equal(run_cmd("ip addr del 10.60.5.5/24 dev d0 && "
				 "ip addr del fd00:60::2/64 dev d0"),
			 0);
	assert_true(wait_addrs("10.60.0.1 fd00:60::1"));
	assert_true(agent_wait_metric(&agent, "shunt_nodeport_addresses 2\n",
				      out, sizeof(out), 5000));
	assert_int_equal(agent_stop(&agent), 0);
	assert_int_equal(run_cmd("ip addr del 10.70.0.1/24 dev d0 && "
				 "ip addr del fd00:70::1/64 dev d0"),
			 0);
}

/* 'primary' with --node-ip: the node's primary addresses only (and a
 * CIDR next to it adds its own). */
static void test_primary(void **state)
{
	const char *const extra[] = {"--nodeport-addresses",
				     "primary",
				     "--node-ip",
				     "10.60.0.1",
				     "--node-ip",
				     "fd00:60::1",
				     NULL};
	const char *const both[] = {"--nodeport-addresses",
				    "primary,10.50.0.0/24", "--node-ip",
				    "10.60.0.1", NULL};

	(void)state;
	assert_int_equal(start(extra), 0);
	assert_true(wait_addrs("10.60.0.1 fd00:60::1"));
	assert_int_equal(run_cmd("ip addr add 10.60.0.9/24 dev d1"), 0);
	/* Another address of the same subnet is not a primary one. */
	usleep(500 * 1000);
	assert_true(wait_addrs("10.60.0.1 fd00:60::1"));
	assert_int_equal(agent_stop(&agent), 0);

	assert_int_equal(start(both), 0);
	assert_true(wait_addrs("10.50.0.1 10.60.0.1"));
	assert_int_equal(run_cmd("ip addr del 10.60.0.1/24 dev d1"), 0);
	assert_true(wait_addrs("10.50.0.1"));
	assert_int_equal(agent_stop(&agent), 0);
}

/* 'primary' without --node-ip: the default routes' source addresses,
 * which follow the routes. */
static void test_primary_routes(void **state)
{
	const char *const extra[] = {"--nodeport-addresses", "primary", NULL};

	(void)state;
	assert_int_equal(run_cmd("ip addr add 10.60.0.1/24 dev d1 && "
				 "ip route add default via 10.50.0.254 dev d0"),
			 0);
	assert_int_equal(start(extra), 0);
	assert_true(wait_addrs("10.50.0.1"));
	assert_int_equal(
		run_cmd("ip route replace default via 10.60.0.254 dev d1"), 0);
	assert_true(wait_addrs("10.60.0.1"));
	assert_int_equal(run_cmd("ip route del default"), 0);
	assert_true(wait_addrs(""));
	assert_int_equal(agent_stop(&agent), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodeport_service),
		cmocka_unit_test(test_follow_addresses),
		cmocka_unit_test(test_cidr_filter),
		cmocka_unit_test(test_primary),
		cmocka_unit_test(test_primary_routes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
