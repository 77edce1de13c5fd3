// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntd with a services file, in a private network namespace with a
 * veth pair and its own pin root: the file is applied as a diff (services
 * it does not change keep their table), an invalid file is reported with
 * file and line and changes nothing, /metrics /healthz /readyz answer,
 * SIGTERM leaves the datapath attached, a restart reuses it without
 * touching a table, --cleanup removes everything, bad settings are
 * refused by name.
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
#include "parse.h"
#include "service.h"

static char dir[64], file[128], root[128], ctl[4200], out[1 << 16];
static struct agent_proc agent;

static const char *const base_yaml =
	"services:\n"
	"  - name: web\n"
	"    vip: 10.96.0.10\n"
	"    port: 80\n"
	"    backends:\n"
	"      - {address: 10.0.1.5, port: 8080}\n"
	"      - {address: 10.0.1.6, port: 8080, weight: 2}\n"
	"  - name: dns\n"
	"    vip: fd00::10\n"
	"    port: 53\n"
	"    protocol: udp\n"
	"    backends:\n"
	"      - {address: \"fd00::5\", port: 5353}\n"
	"  - name: old\n"
	"    vip: 10.96.0.11\n"
	"    port: 443\n"
	"    backends:\n"
	"      - {address: 10.0.1.9, port: 8443}\n";

static void write_file(const char *text)
{
	char tmp[160];
	FILE *f;

	/* Like an editor or a ConfigMap: a new file renamed over. */
	snprintf(tmp, sizeof(tmp), "%s.new", file);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, file), 0);
}

static struct shunt_frontend_key key(const char *text)
{
	struct shunt_frontend_key k;
	char why[128];

	assert_int_equal(shunt_parse_service(text, &k, why, sizeof(why)), 0);
	return k;
}

/* The service's value, or -ENOENT. */
static int svc_get(const char *text, struct shunt_svc *svc)
{
	struct shunt_frontend_key k = key(text);
	struct shunt s;
	int err;

	if (shunt_open(&s, root, 0))
		return -ENOENT;
	err = shunt_service_get(&s, &k, svc);
	shunt_close(&s);
	return err;
}

static size_t backends_of(const char *text)
{
	struct shunt_backend_info *b;
	struct shunt_svc svc;
	struct shunt s;
	size_t n = 0;

	assert_int_equal(svc_get(text, &svc), 0);
	assert_int_equal(shunt_open(&s, root, 0), 0);
	assert_int_equal(shunt_backend_list(&s, svc.id, &b, &n), 0);
	free(b);
	shunt_close(&s);
	return n;
}

/* Wait (up to ~3 s) until the agent logged needle. */
static bool wait_log(const char *needle)
{
	int i;

	for (i = 0; i < 60; i++) {
		if (agent_log_has(&agent, needle))
			return true;
		usleep(50 * 1000);
	}
	agent_log_dump(&agent);
	return false;
}

static int start(void)
{
	const char *argv[] = {"--interfaces",
			      "v0",
			      "--cgroup",
			      "none",
			      "--pin-root",
			      root,
			      "--services-file",
			      file,
			      "--gc-interval",
			      "1",
			      NULL};

	return agent_start(&agent, argv, 5000);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/shunt-agent-test-%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/services.yaml", dir);
	snprintf(root, sizeof(root), "/sys/fs/bpf/shunt-test-agent%d",
		 (int)getpid());
	snprintf(agent.log, sizeof(agent.log), "%s/shuntd.log", dir);
	agent_binary(ctl, sizeof(ctl), "shuntctl");
	if (unshare(CLONE_NEWNET) || mkdir(dir, 0700))
		return -1;
	if (run_cmd("ip link set lo up && "
		    "ip link add v0 type veth peer name v1 && "
		    "ip link set v0 up && ip link set v1 up"))
		return -1;
	snprintf(agent.metrics, sizeof(agent.metrics), "127.0.0.1:%d",
		 agent_free_port());
	write_file(base_yaml);
	return start();
}

static int teardown(void **state)
{
	(void)state;
	agent_stop(&agent);
	run_cmdf("%s --pin-root %s unload", ctl, root);
	run_cmdf("rm -rf %s", dir);
	return 0;
}

static void test_file_applied(void **state)
{
	struct shunt_svc svc;

	(void)state;
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &svc), 0);
	assert_int_equal(svc.flags & SHUNT_SVC_F_OWNERS,
			 SHUNT_SVC_F_OWNER_FILE);
	assert_int_equal(backends_of("10.96.0.10:80/tcp"), 2);
	assert_int_equal(backends_of("[fd00::10]:53/udp"), 1);
	assert_int_equal(backends_of("10.96.0.11:443/tcp"), 1);
	assert_true(agent_log_has(&agent, "msg=synced source=file services=3 "
					  "added=3"));
}

static void test_metrics(void **state)
{
	int status;

	(void)state;
	assert_int_equal(
		agent_get(&agent, "/readyz", &status, out, sizeof(out)), 0);
	assert_int_equal(status, 200);
	assert_int_equal(
		agent_get(&agent, "/healthz", &status, out, sizeof(out)), 0);
	assert_int_equal(status, 200);
	assert_int_equal(
		agent_get(&agent, "/metrics", &status, out, sizeof(out)), 0);
	assert_int_equal(status, 200);
	assert_non_null(strstr(out, "shunt_service_backends{service=\"10.96.0."
				    "10:80/tcp\",name=\"web\",state=\"active\"}"
				    " 2\n"));
	assert_non_null(strstr(out, "shunt_source_services{source=\"file\"} "
				    "3\n"));
	assert_non_null(strstr(out, "shunt_sync_errors_total{source=\"file\"}"
				    " 0\n"));
	assert_non_null(strstr(out, "shunt_datapath_events_total{event=\"ct_"
				    "hit\"}"));
	assert_non_null(strstr(out, "# TYPE shunt_gc_runs_total counter"));
	assert_int_equal(agent_get(&agent, "/nope", &status, out, sizeof(out)),
			 0);
	assert_int_equal(status, 404);
}

/* Change one service, add one, drop one: the untouched one keeps its
 * table (same generation), so its open flows are not disturbed. */
static void test_diff_apply(void **state)
{
	struct shunt_svc web0, web1, dns0, dns1, svc;
	char text[2048];

	(void)state;
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &web0), 0);
	assert_int_equal(svc_get("[fd00::10]:53/udp", &dns0), 0);
	snprintf(text, sizeof(text),
		 "%.*s      - {address: \"fd00::6\", "
		 "port: 5353}\n"
		 "  - name: new\n"
		 "    vip: 10.96.0.12\n"
		 "    port: 80\n"
		 "    backends: []\n",
		 (int)(strstr(base_yaml, "  - name: old") - base_yaml),
		 base_yaml);
	write_file(text);
	assert_true(wait_log("added=1 updated=1 removed=1"));
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &web1), 0);
	assert_memory_equal(&web0, &web1, sizeof(web0));
	assert_int_equal(svc_get("[fd00::10]:53/udp", &dns1), 0);
	assert_int_equal(dns1.id, dns0.id);
	assert_int_equal(dns1.table_gen, dns0.table_gen + 1);
	assert_int_equal(backends_of("[fd00::10]:53/udp"), 2);
	assert_int_equal(svc_get("10.96.0.11:443/tcp", &svc), -ENOENT);
	assert_int_equal(svc_get("10.96.0.12:80/tcp", &svc), 0);
}

/* An invalid file is reported with file and line; nothing changes. */
static void test_invalid_file(void **state)
{
	struct shunt_svc before, after;
	char text[2048], where[256];
	int status;

	(void)state;
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &before), 0);
	snprintf(text, sizeof(text),
		 "services:\n"
		 "  - vip: 10.96.0.10\n"
		 "    port: 80\n"
		 "    backends:\n"
		 "      - {address: 10.0.1.5, port: 80800}\n");
	write_file(text);
	snprintf(where, sizeof(where), "%s:5: port: 80800 out of range", file);
	assert_true(wait_log(where));
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(svc_get("10.96.0.12:80/tcp", &after), 0);
	assert_int_equal(
		agent_get(&agent, "/metrics", &status, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "shunt_sync_errors_total{source=\"file\"}"
				    " 1\n"));
}

/* SIGTERM: the agent exits 0, the datapath stays; a restart reuses it
 * and swaps no table. */
static void test_restart(void **state)
{
	struct shunt_svc before, after;
	int old_id;

	(void)state;
	write_file(base_yaml);
	assert_true(wait_log("added=1 updated=1 removed=1 conflicts=0"));
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &before), 0);
	assert_int_equal(agent_stop(&agent), 0);
	assert_true(agent_log_has(&agent, "the datapath stays attached"));
	assert_int_equal(run_capture(out, sizeof(out),
				     "%s --pin-root %s iface list --json", ctl,
				     root),
			 0);
	assert_non_null(strstr(out, "\"iface\":\"v0\""));
	assert_int_equal(
		run_capture(out, sizeof(out), "tc filter show dev v0 ingress"),
		0);
	assert_non_null(strstr(out, "shunt_tc"));
	old_id = strstr(out, " id ") ? atoi(strstr(out, " id ") + 4) : 0;
	assert_true(old_id > 0);

	assert_int_equal(start(), 0);
	assert_true(agent_log_has(&agent, "msg=\"datapath reused\""));
	/* The restarted agent's own programs took over the filter. */
	assert_true(agent_log_has(&agent, "programs replaced in place"));
	assert_int_equal(
		run_capture(out, sizeof(out), "tc filter show dev v0 ingress"),
		0);
	assert_non_null(strstr(out, " id "));
	assert_int_not_equal(atoi(strstr(out, " id ") + 4), old_id);
	assert_true(wait_log("added=0 updated=0 removed=0"));
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
}

/* Settings are checked whatever their source; errors name it. */
static void test_bad_settings(void **state)
{
	char bin[4200];

	(void)state;
	agent_binary(bin, sizeof(bin), "shuntd");
	assert_int_equal(
		run_capture(out, sizeof(out), "%s --mode fast 2>&1", bin), 2);
	assert_non_null(strstr(out, "--mode 'fast'"));
	assert_int_equal(run_capture(out, sizeof(out),
				     "SHUNTD_GC_INTERVAL=0 %s 2>&1", bin),
			 2);
	assert_non_null(strstr(out, "SHUNTD_GC_INTERVAL '0'"));
	assert_int_equal(
		run_capture(out, sizeof(out),
			    "printf 'mode: tc\\nbogus: 1\\n' > %s/c.yaml"
			    " && %s --config %s/c.yaml 2>&1",
			    dir, bin, dir),
		2);
	assert_non_null(strstr(out, "c.yaml:2: bogus"));
	assert_int_equal(run_capture(out, sizeof(out),
				     "%s --conntrack nosuch=5 2>&1", bin),
			 2);
	assert_non_null(strstr(out, "nosuch=5"));
	assert_int_equal(run_capture(out, sizeof(out),
				     "%s --interfaces nosuch0 --pin-root %s-x "
				     "--cgroup none --metrics-addr none 2>&1",
				     bin, root),
			 1);
	assert_non_null(strstr(out, "interface=nosuch0"));
	run_cmdf("%s --pin-root %s-x unload", ctl, root);
}

/* --cleanup removes every program, link and pin. */
static void test_cleanup(void **state)
{
	char bin[4200];

	(void)state;
	assert_int_equal(agent_stop(&agent), 0);
	agent_binary(bin, sizeof(bin), "shuntd");
	assert_int_equal(run_cmdf("%s --cleanup --pin-root %s", bin, root), 0);
	assert_int_not_equal(access(root, F_OK), 0);
	assert_int_equal(
		run_capture(out, sizeof(out), "tc filter show dev v0 ingress"),
		0);
	assert_null(strstr(out, "shunt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_applied),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_diff_apply),
		cmocka_unit_test(test_invalid_file),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_cleanup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
