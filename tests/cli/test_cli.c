// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntctl as an operator meets it: every kind of bad input gets a
 * one-line error naming what was wrong and a non-zero exit, and changes
 * nothing (the listings and the maps are byte-identical before and
 * after). Also: all-or-nothing attach, listings in JSON, BTF on the maps.
 *
 * Runs in a private network namespace (unshare) with a veth pair and its
 * own pin root, both gone when the process ends.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <json-c/json.h>

#include <cmocka.h>

#include "config.h"
#include "netns.h"
#include "service.h"
#include "shunt.h"

/* The datapath is loaded with room for this many services, so filling
 * the table is quick (--max-services on the first command). */
#define CLI_MAX_SERVICES 256

static char ctl[4200];
static char pin_root[128];
static char out[1 << 20];

static int ctl_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run shuntctl; its stdout in out[]. */
static int ctl_run(const char *fmt, ...)
{
	char args[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return run_capture(out, sizeof(out), "%s --pin-root %s %s", ctl,
			   pin_root, args);
}

/* Run shuntctl expecting failure; its stderr in err[]. */
static int ctl_err(char *err, size_t len, const char *args)
{
	return run_capture(err, len, "%s --pin-root %s %s 2>&1 >/dev/null", ctl,
			   pin_root, args);
}

/* Everything an operator can see of the state, as one string. */
static char *snapshot(void)
{
	static const char *const listings[] = {
		"service list --json",	   "backend list --json",
		"iface list --json",	   "config show --json",
		"ct list --all --json",	   "sockmap list --json",
		"tune socket list --json", "cgroup list --json",
	};
	size_t cap = 1 << 20, used = 0, i;
	char *s = calloc(1, cap);

	assert_non_null(s);
	for (i = 0; i < sizeof(listings) / sizeof(listings[0]); i++) {
		assert_int_equal(ctl_run("%s", listings[i]), 0);
		used += snprintf(s + used, cap - used, "%s\n", out);
	}
	return s;
}

static int setup(void **state)
{
	const char *src = getenv("SHUNT_SRC"), *build = getenv("BUILD");
	char cwd[4096];

	(void)state;
	if (!src || !*src)
		src = getcwd(cwd, sizeof(cwd));
	if (!build || !*build)
		build = "build";
	if (build[0] == '/')
		snprintf(ctl, sizeof(ctl), "%s/shuntctl", build);
	else
		snprintf(ctl, sizeof(ctl), "%s/%s/shuntctl", src, build);
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/shunt-cli-%d",
		 (int)getpid());
	if (unshare(CLONE_NEWNET))
		return -1;
	if (run_cmd("ip link set lo up && "
		    "ip link add v0 type veth peer name v1 && "
		    "ip link set v0 up && ip link set v1 up"))
		return -1;
	/* A known state to compare against. */
	if (ctl_run("--max-services %d attach v0", CLI_MAX_SERVICES) ||
	    ctl_run("service add 10.96.0.1:80/tcp") ||
	    ctl_run("backend add 10.96.0.1:80/tcp 10.0.0.1:8080") ||
	    ctl_run("service add 10.96.0.2:80/tcp --table-size 7") ||
	    ctl_run("service add [fd00::1]:53/udp --affinity 30"))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	run_cmdf("%s --pin-root %s unload", ctl, pin_root);
	return 0;
}

struct bad_case {
	const char *args;
	const char *must_name; /* the error line must contain this */
};

static const struct bad_case bad_cases[] = {
	{"service add 10.0.0.300:80/tcp", "10.0.0.300"},
	{"service add 10.96.0.9:0/tcp", "port 0"},
	{"service add 10.96.0.9:70000/tcp", "70000"},
	{"service add 10.96.0.9:80/sctp", "sctp"},
	{"service add 10.96.0.9:80", "protocol"},
	{"service add fd00::9:80/tcp", "brackets"},
	{"service add 0.0.0.0:80/tcp", "0.0.0.0"},
	{"service add 10.96.0.1:80/tcp", "already exists"},
	{"service add 10.96.0.9:80/tcp --table-size 16383", "16383"},
	{"service add 10.96.0.9:80/tcp --table-size 262139", "262139"},
	{"service add 10.96.0.9:80/tcp --table-size abc", "abc"},
	{"service add 10.96.0.9:80/tcp --affinity 0", "affinity"},
	{"service add 10.96.0.9:80/tcp --affinity 999999", "999999"},
	{"service add 10.96.0.9:80/tcp --source-ranges 10.0.0.0/33",
	 "bad prefix length in CIDR '10.0.0.0/33'"},
	{"service add 10.96.0.9:80/tcp --source-ranges 10.0.0.1",
	 "'10.0.0.1' is not a CIDR"},
	{"service set 10.96.0.1:80/tcp --source-ranges ,",
	 "give CIDRs or none"},
	{"service set 10.96.0.9:80/tcp --source-ranges none",
	 "unknown service 10.96.0.9:80/tcp"},
	{"service del 10.96.0.9:80/tcp", "unknown service 10.96.0.9:80/tcp"},
	{"backend add 10.96.0.9:80/tcp 10.0.0.1:8080", "unknown service"},
	{"backend add 10.96.0.1:80/tcp 10.0.0.1:8080", "already"},
	{"backend add 10.96.0.1:80/tcp 10.0.0.2:0", "port 0"},
	{"backend add 10.96.0.1:80/tcp 10.0.0.2:8080 --weight 0", "weight"},
	{"backend add 10.96.0.1:80/tcp 10.0.0.2:8080 --weight 65536", "65536"},
	{"backend add 10.96.0.1:80/tcp [fd00::2]:8080", "IPv6"},
	{"backend add 10.96.0.1:80/tcp 10.0.0.256:8080", "10.0.0.256"},
	{"backend del 10.96.0.1:80/tcp 10.0.0.9:8080", "10.0.0.9:8080"},
	{"backend set 10.96.0.1:80/tcp 10.0.0.9:8080 --drain", "10.0.0.9:8080"},
	{"backend set 10.96.0.1:80/tcp 10.0.0.1:8080", "--weight"},
	{"backend set 10.96.0.1:80/tcp 10.0.0.1:8080 --weight 2 --drain",
	 "exactly one"},
	{"attach nosuch0", "nosuch0"},
	{"attach v1 nosuch0", "nosuch0"},
	{"attach v1 --mode fast", "fast"},
	{"detach v1", "v1"},
	{"config set ct-bogus-timeout 5", "ct-bogus-timeout"},
	{"config set ct-udp-timeout 0", "ct-udp-timeout"},
	{"config set ct-udp-timeout 12abc", "12abc"},
	{"config set lb-mode bogus", "lb-mode"},
	{"config set lb-mode", "KNOB VALUE"},
	{"frobnicate", "frobnicate"},
	{"service frob", "frob"},
	{"ct list --bogus", "--bogus"},
	{"sockmap enable 10.96.0.1:53/udp", "TCP"},
	{"sockmap enable 0", "port"},
	{"sockmap enable 70000", "70000"},
	{"sockmap disable 8080", "port 8080"},
	{"tune socket set 8080", "no option"},
	{"tune socket set 8080 --keepalive 0,1,1", "keepalive idle"},
	{"tune socket set 8080 --keepalive 10,1", "IDLE,INTVL,CNT"},
	{"tune socket set 8080 --congestion nosuch", "nosuch"},
	{"tune socket set 8080 --sndbuf 10", "sndbuf"},
	{"tune socket set 8080 --nodelay maybe", "maybe"},
	{"tune socket del 8080", "port 8080"},
	{"tune frob", "socket"},
	{"cgroup attach /nonexistent/cg", "/nonexistent/cg"},
	{"cgroup exclude /tmp", "/tmp"},
	{"cgroup include /tmp", "/tmp"},
	{"cgroup exclude", "PATH"},
	{"service add 10.96.0.9:80/tcp --node-port 0", "node port"},
	{"service add 10.96.0.9:80/tcp --node-port 70000", "70000"},
	{"service set 10.96.0.9:80/tcp --affinity 5", "unknown service"},
	{"service set 10.96.0.1:80/tcp", "--affinity or --source-ranges"},
	{"service set 10.96.0.1:80/tcp --table-size 100", "not a prime"},
	{"service set 10.96.0.1:80/tcp --node-port 30080", "frontend"},
	{"frontend add 10.96.0.9:80/tcp 10.96.0.10:80/tcp",
	 "unknown service 10.96.0.9:80/tcp"},
	{"frontend add 10.96.0.1:80/tcp 10.96.0.2:80/tcp", "10.96.0.2:80/tcp"},
	{"frontend add 10.96.0.1:80/tcp [fd00::7]:80/tcp", "family"},
	{"frontend add 10.96.0.1:80/tcp *:0/tcp", "port 0"},
	{"frontend add 10.96.0.1:80/tcp 10.96.0.7:80/tcp --bogus", "--bogus"},
	{"frontend del 10.96.0.1:80/tcp", "last"},
	{"frontend del 10.96.0.77:80/tcp", "unknown frontend"},
	{"node-address add 10.0.0.300", "10.0.0.300"},
	{"node-address del 192.0.2.77", "192.0.2.77"},
	{"node-address sync 10.0.0.0/33", "10.0.0.0/33"},
	{"--max-services 3 stats", "service capacity"},
};

static void test_bad_input_changes_nothing(void **state)
{
	char err[4096], *before, *after;
	size_t i;

	(void)state;
	before = snapshot();
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		int rc = ctl_err(err, sizeof(err), c->args);
		char *nl = strchr(err, '\n');

		print_message("  %-58s -> %d %s", c->args, rc, err);
		assert_int_not_equal(rc, 0);
		/* One line, naming what was wrong. */
		assert_non_null(nl);
		assert_int_equal(nl[1], '\0');
		assert_true(!strncmp(err, "shuntctl: ", 10));
		if (!strstr(err, c->must_name))
			fail_msg("'%s': error does not name '%s': %s", c->args,
				 c->must_name, err);
	}
	after = snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* A 7-slot table takes at most 7 backends; the 8th is refused. */
static void test_capacity_exceeded(void **state)
{
	char err[4096], *before, *after;
	int i;

	(void)state;
	for (i = 1; i <= 7; i++)
		assert_int_equal(ctl_run("backend add 10.96.0.2:80/tcp "
					 "10.0.1.%d:80",
					 i),
				 0);
	before = snapshot();
	assert_int_not_equal(
		ctl_err(err, sizeof(err),
			"backend add 10.96.0.2:80/tcp 10.0.1.8:80"),
		0);
	assert_non_null(strstr(err, "capacity exceeded"));
	after = snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* A full service table: a clear error, the others stay. */
static void test_service_table_full(void **state)
{
	struct shunt_frontend_key key = {.port = 80, .proto = 6, .family = 4};
	char err[4096];
	struct shunt s;
	__u32 i, added = 0;

	(void)state;
	assert_int_equal(shunt_open(&s, pin_root, SHUNT_OPEN_LOCK), 0);
	for (i = 0; i < CLI_MAX_SERVICES; i++) {
		key.vip.v4 = htonl(0x0b000000 + i);
		if (shunt_service_add(&s, &key, 7, 0) == 0)
			added++;
	}
	shunt_close(&s);
	/* Three services existed before. */
	assert_int_equal(added, CLI_MAX_SERVICES - 3);
	assert_int_not_equal(
		ctl_err(err, sizeof(err), "service add 10.96.0.99:80/tcp"), 0);
	assert_non_null(strstr(err, "service table full"));
	assert_int_equal(ctl_run("service show 10.96.0.1:80/tcp --json"), 0);
	assert_non_null(strstr(out, "10.0.0.1"));
}

/* attach IF1 IF2 where IF2 fails leaves IF1 as it was (unattached). */
static void test_attach_all_or_nothing(void **state)
{
	char err[4096];
	(void)state;
	assert_int_equal(run_cmd("ip link add w0 type veth peer name w1"), 0);
	assert_int_not_equal(ctl_err(err, sizeof(err), "attach w0 nosuch0"), 0);
	assert_int_equal(ctl_run("iface list --json"), 0);
	assert_null(strstr(out, "\"w0\""));
	assert_int_equal(ctl_run("attach w0 w1"), 0);
	assert_int_equal(ctl_run("iface list --json"), 0);
	assert_non_null(strstr(out, "\"w0\""));
	assert_non_null(strstr(out, "\"w1\""));
	assert_int_equal(ctl_run("detach w0 w1"), 0);
	assert_int_equal(ctl_run("iface list --json"), 0);
	assert_null(strstr(out, "\"w0\""));
	run_cmd("ip link del w0");
}

static void test_listing_json(void **state)
{
	struct json_object *arr, *svc, *v;

	(void)state;
	assert_int_equal(ctl_run("service show 10.96.0.1:80/tcp --json"), 0);
	arr = json_tokener_parse(out);
	assert_non_null(arr);
	assert_int_equal(json_object_array_length(arr), 1);
	svc = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(svc, "service", &v));
	assert_string_equal(json_object_get_string(v), "10.96.0.1:80/tcp");
	/* One backend: the smallest automatic size, all of it its own. */
	assert_true(json_object_object_get_ex(svc, "table_size", &v));
	assert_int_equal(json_object_get_int(v), 251);
	assert_true(json_object_object_get_ex(svc, "table_size_requested", &v));
	assert_int_equal(json_object_get_int(v), 0);
	assert_true(json_object_object_get_ex(svc, "frontends", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_true(json_object_object_get_ex(svc, "backends", &v));
	assert_int_equal(json_object_array_length(v), 1);
	v = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(v, "slots", &v));
	assert_int_equal(json_object_get_int(v), 251);
	json_object_put(arr);
}

/* Frontends: a NodePort wildcard and a second VIP share the service's
 * backends and table; listings show them; removing them leaves it. */
static void test_frontends(void **state)
{
	struct json_object *arr, *svc, *v;

	(void)state;
	assert_int_equal(ctl_run("service add 10.96.0.30:80/tcp --name web "
				 "--node-port 30080"),
			 0);
	assert_int_equal(ctl_run("frontend add 10.96.0.30:80/tcp "
				 "192.0.2.30:80/tcp --external"),
			 0);
	assert_int_equal(ctl_run("backend add *:30080/tcp 10.0.3.1:8080"), 0);
	assert_int_equal(ctl_run("service show 192.0.2.30:80/tcp --json"), 0);
	arr = json_tokener_parse(out);
	assert_non_null(arr);
	svc = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(svc, "service", &v));
	assert_string_equal(json_object_get_string(v), "web");
	assert_true(json_object_object_get_ex(svc, "frontends", &v));
	assert_int_equal(json_object_array_length(v), 3);
	assert_true(json_object_object_get_ex(svc, "backends", &v));
	assert_int_equal(json_object_array_length(v), 1);
	json_object_put(arr);
	assert_int_equal(ctl_run("frontend list --json"), 0);
	assert_non_null(strstr(out, "\"*:30080/tcp\""));
	assert_non_null(strstr(out, "nodeport external"));
	assert_int_equal(ctl_run("frontend del *:30080/tcp"), 0);
	assert_int_equal(ctl_run("frontend list 10.96.0.30:80/tcp --json"), 0);
	assert_null(strstr(out, "30080"));
	assert_int_equal(ctl_run("service del 192.0.2.30:80/tcp"), 0);
	assert_int_equal(ctl_run("frontend list --json"), 0);
	assert_null(strstr(out, "10.96.0.30"));
}

/* loadBalancerSourceRanges from a services file: listed with the service
 * (text and JSON), its frontends flagged; gone with the service. */
static void test_source_ranges(void **state)
{
	struct json_object *arr, *svc, *v;
	char path[64];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/shunt-cli-ranges-%d.yaml",
		 (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("services:\n"
	      "  - name: guarded\n"
	      "    vip: 10.96.0.40\n"
	      "    port: 80\n"
	      "    node_port: 30040\n"
	      "    source_ranges: [198.51.100.9/24, 10.0.0.0/8]\n"
	      "    backends: [{address: 10.0.4.1, port: 8080}]\n",
	      f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(ctl_run("apply -f %s", path), 0);
	assert_int_equal(ctl_run("service show 10.96.0.40:80/tcp --json"), 0);
	arr = json_tokener_parse(out);
	assert_non_null(arr);
	svc = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(svc, "source_ranges", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(v, 0)),
		"10.0.0.0/8");
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(v, 1)),
		"198.51.100.0/24");
	assert_true(json_object_object_get_ex(svc, "frontends", &v));
	v = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(v, "source_ranges", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(arr);
	assert_int_equal(ctl_run("service show 10.96.0.40:80/tcp"), 0);
	assert_non_null(
		strstr(out, "  source ranges: 10.0.0.0/8 198.51.100.0/24\n"));
	assert_int_equal(ctl_run("frontend list *:30040/tcp"), 0);
	assert_non_null(strstr(out, "nodeport external source-ranges"));
	/* Other services have none. */
	assert_int_equal(ctl_run("service show 10.96.0.1:80/tcp --json"), 0);
	arr = json_tokener_parse(out);
	assert_non_null(arr);
	assert_true(json_object_object_get_ex(json_object_array_get_idx(arr, 0),
					      "source_ranges", &v));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(arr);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("services: []\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(ctl_run("apply -f %s", path), 0);
	unlink(path);
	assert_int_equal(ctl_run("service list"), 0);
	assert_null(strstr(out, "guarded"));
	assert_null(strstr(out, "source ranges"));

	/* By hand: every frontend checks them, one added later too; none
	 * drops them and the flags. */
	assert_int_equal(ctl_run("service add 10.96.0.41:80/tcp --node-port "
				 "30041 --source-ranges 192.0.2.9/24"),
			 0);
	assert_int_equal(ctl_run("frontend add 10.96.0.41:80/tcp "
				 "203.0.113.41:80/tcp --external"),
			 0);
	assert_int_equal(ctl_run("frontend list 10.96.0.41:80/tcp"), 0);
	assert_non_null(strstr(out, "*:30041/tcp "));
	assert_non_null(strstr(out, "nodeport external source-ranges"));
	assert_non_null(strstr(out, "external source-ranges "));
	assert_int_equal(ctl_run("service set 203.0.113.41:80/tcp "
				 "--source-ranges 10.0.0.0/8,192.0.2.0/24"),
			 0);
	assert_int_equal(ctl_run("service show 10.96.0.41:80/tcp"), 0);
	assert_non_null(
		strstr(out, "  source ranges: 10.0.0.0/8 192.0.2.0/24\n"));
	assert_int_equal(
		ctl_run("service set 10.96.0.41:80/tcp --source-ranges none"),
		0);
	assert_int_equal(ctl_run("service show 10.96.0.41:80/tcp"), 0);
	assert_null(strstr(out, "source"));
	assert_int_equal(ctl_run("service del 10.96.0.41:80/tcp"), 0);
}

/* Usage against capacity, the capacity being what the first load got. */
static void test_stats_capacity(void **state)
{
	struct json_object *o, *t, *v;

	(void)state;
	assert_int_equal(ctl_run("stats --json"), 0);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "tables", &t));
	assert_true(json_object_object_get_ex(t, "services", &t));
	assert_true(json_object_object_get_ex(t, "capacity", &v));
	assert_int_equal(json_object_get_int(v), CLI_MAX_SERVICES);
	assert_true(json_object_object_get_ex(t, "used", &v));
	assert_int_equal(json_object_get_int(v), 3);
	json_object_put(o);
	assert_int_equal(ctl_run("service set 10.96.0.1:80/tcp --source-ranges "
				 "10.0.0.0/8,192.0.2.0/24"),
			 0);
	assert_int_equal(ctl_run("stats --json"), 0);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "tables", &t));
	assert_true(json_object_object_get_ex(t, "source_ranges", &t));
	assert_true(json_object_object_get_ex(t, "used", &v));
	assert_int_equal(json_object_get_int(v), 2);
	assert_true(json_object_object_get_ex(t, "capacity", &v));
	assert_int_equal(json_object_get_int(v), SHUNT_MAX_SRC_RANGES);
	json_object_put(o);
	assert_int_equal(
		ctl_run("service set 10.96.0.1:80/tcp --source-ranges none"),
		0);
}

/* Help everywhere, on stdout, exit 0. */
static void test_help(void **state)
{
	static const char *const cmds[] = {
		"-h",
		"attach -h",
		"detach -h",
		"iface -h",
		"service -h",
		"backend -h",
		"ct -h",
		"stats -h",
		"config -h",
		"unload -h",
		"service add -h",
		"service set -h",
		"backend add -h",
		"frontend -h",
		"frontend add -h",
		"node-address -h",
		"cgroup -h",
		"sockmap -h",
		"tune -h",
		"tune socket set -h",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(ctl_run("%s", cmds[i]), 0);
		assert_non_null(strstr(out, "Usage"));
	}
}

/* The value `config show` prints for knob, from its "KNOB VALUE" line. */
static const char *shown(const char *text, const char *knob)
{
	static char val[64];
	char name[64];
	const char *line = text;

	while (line && *line) {
		if (sscanf(line, "%63s %63s", name, val) == 2 &&
		    !strcmp(name, knob))
			return val;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	fail_msg("config show has no line for %s:\n%s", knob, out);
	return NULL;
}

/* lb-mode as config_map holds it. */
static __u32 map_lb_mode(void)
{
	struct shunt_config cfg;
	struct shunt s;

	assert_int_equal(shunt_open(&s, pin_root, 0), 0);
	assert_int_equal(shunt_config_get(&s, &cfg), 0);
	shunt_close(&s);
	return cfg.lb_mode;
}

static const char *json_lb_mode(void)
{
	static char val[64];
	struct json_object *o, *v;

	assert_int_equal(ctl_run("config show --json"), 0);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "lb-mode", &v));
	assert_true(json_object_is_type(v, json_type_string));
	snprintf(val, sizeof(val), "%s", json_object_get_string(v));
	json_object_put(o);
	return val;
}

/* The lb-mode knob: named values snat (the default) and dsr, shown by
 * name in text and JSON; anything else refused, naming the knob and the
 * value, changing nothing; config reset puts snat back. */
static void test_config_lb_mode(void **state)
{
	char err[4096], *before, *after;

	(void)state;
	assert_int_equal(ctl_run("config show"), 0);
	assert_string_equal(shown(out, "lb-mode"), "snat");
	assert_string_equal(json_lb_mode(), "snat");
	assert_int_equal(map_lb_mode(), SHUNT_LB_MODE_SNAT);
	before = snapshot();

	assert_int_equal(ctl_run("config set lb-mode dsr"), 0);
	assert_int_equal(ctl_run("config show"), 0);
	assert_string_equal(shown(out, "lb-mode"), "dsr");
	/* The other knobs are untouched. */
	assert_string_equal(shown(out, "ct-udp-timeout"), "30");
	assert_string_equal(json_lb_mode(), "dsr");
	assert_int_equal(map_lb_mode(), SHUNT_LB_MODE_DSR);

	/* Refused, one line naming lb-mode and the value; still dsr. */
	assert_int_not_equal(
		ctl_err(err, sizeof(err), "config set lb-mode bogus"), 0);
	assert_true(!strncmp(err, "shuntctl: ", 10));
	assert_non_null(strstr(err, "lb-mode"));
	assert_non_null(strstr(err, "bogus"));
	assert_int_not_equal(ctl_err(err, sizeof(err), "config set lb-mode 2"),
			     0);
	assert_non_null(strstr(err, "lb-mode"));
	assert_int_not_equal(
		ctl_err(err, sizeof(err), "config set lb-mode DSR"), 0);
	assert_non_null(strstr(err, "lb-mode"));
	assert_string_equal(json_lb_mode(), "dsr");
	assert_int_equal(map_lb_mode(), SHUNT_LB_MODE_DSR);

	assert_int_equal(ctl_run("config set lb-mode snat"), 0);
	assert_string_equal(json_lb_mode(), "snat");
	assert_int_equal(map_lb_mode(), SHUNT_LB_MODE_SNAT);

	/* reset: back to the default. */
	assert_int_equal(ctl_run("config set lb-mode dsr"), 0);
	assert_int_equal(ctl_run("config reset"), 0);
	assert_string_equal(json_lb_mode(), "snat");
	after = snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* bpftool prints the maps' named fields: the maps carry BTF. */
static void test_maps_have_btf(void **state)
{
	(void)state;
	assert_int_equal(run_capture(out, sizeof(out),
				     "bpftool map dump pinned %s/service_map",
				     pin_root),
			 0);
	assert_non_null(strstr(out, "\"backend_count\""));
	assert_non_null(strstr(out, "\"table_size\""));
	assert_int_equal(run_capture(out, sizeof(out),
				     "bpftool map dump pinned %s/backend_map",
				     pin_root),
			 0);
	assert_non_null(strstr(out, "\"weight\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input_changes_nothing),
		cmocka_unit_test(test_capacity_exceeded),
		cmocka_unit_test(test_attach_all_or_nothing),
		cmocka_unit_test(test_listing_json),
		cmocka_unit_test(test_stats_capacity),
		cmocka_unit_test(test_frontends),
		cmocka_unit_test(test_source_ranges),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_maps_have_btf),
		cmocka_unit_test(test_config_lb_mode),
		cmocka_unit_test(test_service_table_full),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
