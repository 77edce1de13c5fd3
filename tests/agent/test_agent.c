// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntd with a services file, in a private network namespace with a
 * veth pair and its own pin root: the file is applied as a diff (services
 * it does not change keep their table), an invalid file is reported with
 * file and line and changes nothing, SIGHUP reloads it, /metrics /healthz
 * /readyz answer (and keep answering, and the file keeps being applied,
 * while /metrics is scraped in a tight loop), SIGTERM leaves the datapath
 * attached, a restart reuses it without touching a table, --once applies
 * the file and exits, --max-* size the tables at first load, --cleanup
 * removes everything, bad settings are refused by name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentenv.h"
#include "load.h"
#include "netns.h"
#include "parse.h"
#include "service.h"

static char dir[64], file[128], root[128], ctl[4200], out[1 << 16];
static char big[1 << 20]; /* a whole /metrics with BULK services */
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
	assert_int_equal(agent_replace_file(file, text, ""), 0);
}

static struct shunt_frontend_key key(const char *text)
{
	struct shunt_frontend_key k;
	char why[128];

	assert_int_equal(shunt_parse_service(text, &k, why, sizeof(why)), 0);
	return k;
}

/* The service of a frontend, or -ENOENT. */
static int svc_get_root(const char *pin_root, const char *text,
			struct shunt_service_info *info)
{
	struct shunt_frontend_key k = key(text);
	struct shunt s;
	int err;

	if (shunt_open(&s, pin_root, 0))
		return -ENOENT;
	err = shunt_service_get(&s, &k, info);
	shunt_close(&s);
	return err;
}

static int svc_get(const char *text, struct shunt_service_info *info)
{
	return svc_get_root(root, text, info);
}

static size_t backends_of(const char *text)
{
	struct shunt_backend_info *b;
	struct shunt_service_info info;
	struct shunt s;
	size_t n = 0;

	assert_int_equal(svc_get(text, &info), 0);
	assert_int_equal(shunt_open(&s, root, 0), 0);
	assert_int_equal(shunt_backend_list(&s, info.id, &b, &n), 0);
	free(b);
	shunt_close(&s);
	return n;
}

/* The same service, table and all (field by field: the struct has
 * padding). */
static void assert_same(const struct shunt_service_info *a,
			const struct shunt_service_info *b)
{
	assert_int_equal(a->id, b->id);
	assert_memory_equal(&a->svc, &b->svc, sizeof(a->svc));
	assert_int_equal(a->n_frontends, b->n_frontends);
	assert_int_equal(a->n_backends, b->n_backends);
}

/* Wait (up to ~3 s) until the agent logged needle. */
static bool wait_log(const char *needle)
{
	return agent_wait_log(&agent, needle, 3000);
}

/* Wait (up to ~3 s) until the agent logged needle once more than the
 * before times it had. */
static bool wait_new_log(const char *needle, int before)
{
	int i;

	for (i = 0; i < 60; i++) {
		if (agent_log_count(&agent, needle) > before)
			return true;
		usleep(50 * 1000);
	}
	fprintf(stderr, "not logged again: %s\n", needle);
	agent_log_dump(&agent);
	return false;
}

/* Write the file and wait for the sync it causes to log needle. */
static bool apply(const char *text, const char *needle)
{
	int before = agent_log_count(&agent, needle);

	write_file(text);
	return wait_new_log(needle, before);
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

	return agent_start(&agent, argv, 20000);
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
	struct shunt_service_info info, named;
	struct shunt s;

	(void)state;
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &info), 0);
	assert_int_equal(info.svc.flags & SHUNT_SVC_F_OWNERS,
			 SHUNT_SVC_F_OWNER_FILE);
	assert_string_equal(info.svc.name, "web");
	assert_int_equal(info.n_frontends, 1);
	assert_int_equal(shunt_open(&s, root, 0), 0);
	assert_int_equal(shunt_service_get_by_name(&s, "dns", &named), 0);
	shunt_close(&s);
	assert_int_equal(backends_of("10.96.0.10:80/tcp"), 2);
	assert_int_equal(backends_of("[fd00::10]:53/udp"), 1);
	assert_int_equal(backends_of("10.96.0.11:443/tcp"), 1);
	assert_int_equal(svc_get("[fd00::10]:53/udp", &info), 0);
	assert_int_equal(info.id, named.id);
	assert_true(agent_log_has(
		&agent,
		"msg=synced source=file services=3 added=3 updated=0 removed=0 conflicts=0 seconds="));
	assert_false(agent_log_has(&agent, "first_error"));
}

static void test_metrics(void **state)
{
	static const char *const want[] = {
		"shunt_service_backends{service=\"web\",state=\"active\"} 2\n",
		"shunt_service_backends{service=\"web\",state=\"draining\"} 0\n",
		"shunt_service_backends{service=\"dns\",state=\"active\"} 1\n",
		"shunt_service_new_flows_total{service=\"old\"} 0\n",
		"shunt_source_services{source=\"file\"} 3\n",
		"shunt_sync_errors_total{source=\"file\"} 0\n",
		"shunt_syncs_total{source=\"file\"} 1\n",
		"shunt_service_conflicts{source=\"file\"} 0\n",
		"shunt_last_sync_duration_seconds{source=\"file\"} ",
		"shunt_table_entries{table=\"services\"} 3\n",
		"shunt_table_entries{table=\"frontends\"} 3\n",
		"shunt_table_entries{table=\"backends\"} 4\n",
		"shunt_table_capacity{table=\"services\"} ",
		"shunt_table_capacity{table=\"conntrack\"} ",
		"shunt_datapath_events_total{event=\"ct_hit\"}",
		"# TYPE shunt_gc_runs_total counter",
		"shunt_nodeport_addresses ",
	};
	size_t i;
	int status;

	(void)state;
	assert_int_equal(
		agent_get(&agent, "/readyz", &status, out, sizeof(out)), 0);
	assert_int_equal(status, 200);
	assert_int_equal(
		agent_get(&agent, "/healthz", &status, out, sizeof(out)), 0);
	assert_int_equal(status, 200);
	/* A snapshot rendered after the sync: it may take a moment. */
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(agent_wait_metric(&agent, want[i], out, sizeof(out),
					      5000));
	assert_null(strstr(out, "name=\""));
	assert_int_equal(agent_get(&agent, "/nope", &status, out, sizeof(out)),
			 0);
	assert_int_equal(status, 404);
}

/* Change one service, add one, drop one: the untouched one keeps its
 * table (same generation), so its open flows are not disturbed. */
static void test_diff_apply(void **state)
{
	struct shunt_service_info web0, web1, dns0, dns1, info;
	char text[2048];

	(void)state;
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &web0), 0);
	assert_int_equal(svc_get("[fd00::10]:53/udp", &dns0), 0);
	snprintf(text, sizeof(text),
		 "%.*s      - {address: \"fd00::6\", port: 5353}\n"
		 "  - vip: 10.96.0.12\n"
		 "    port: 80\n"
		 "    backends: []\n",
		 (int)(strstr(base_yaml, "  - name: old") - base_yaml),
		 base_yaml);
	assert_true(apply(text, "services=3 added=1 updated=1 removed=1"));
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &web1), 0);
	assert_same(&web0, &web1);
	assert_int_equal(svc_get("[fd00::10]:53/udp", &dns1), 0);
	assert_int_equal(dns1.id, dns0.id);
	assert_int_equal(dns1.svc.table_gen, dns0.svc.table_gen + 1);
	assert_int_equal(backends_of("[fd00::10]:53/udp"), 2);
	assert_int_equal(svc_get("10.96.0.11:443/tcp", &info), -ENOENT);
	/* Without a name, a service is named after its frontend. */
	assert_int_equal(svc_get("10.96.0.12:80/tcp", &info), 0);
	assert_string_equal(info.svc.name, "10.96.0.12:80/tcp");
	assert_int_equal(info.n_backends, 0);
	assert_true(agent_wait_metric(
		&agent,
		"shunt_service_backends{service=\"10.96.0.12:80/tcp\",state=\"active\"} 0\n",
		out, sizeof(out), 5000));
}

/* SIGHUP reads the file again (nothing changed: nothing written). */
static void test_sighup(void **state)
{
	const char *line =
		"msg=synced source=file services=3 added=0 updated=0 removed=0";
	int before = agent_log_count(&agent, line);
	struct shunt_service_info web0, web1;

	(void)state;
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &web0), 0);
	assert_int_equal(kill(agent.pid, SIGHUP), 0);
	assert_true(wait_log("SIGHUP: reloading"));
	assert_true(wait_new_log(line, before));
	usleep(200 * 1000);
	assert_int_equal(agent_log_count(&agent, line), before + 1);
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &web1), 0);
	assert_same(&web0, &web1);
}

/* An invalid file is reported with file and line; nothing changes. */
static void test_invalid_file(void **state)
{
	struct shunt_service_info before, after;
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
	assert_same(&before, &after);
	assert_int_equal(svc_get("10.96.0.12:80/tcp", &after), 0);
	assert_true(agent_wait_metric(
		&agent, "shunt_sync_errors_total{source=\"file\"} 1\n", out,
		sizeof(out), 5000));
	/* Still ready: the previous services stay in force. */
	assert_int_equal(
		agent_get(&agent, "/readyz", &status, out, sizeof(out)), 0);
	assert_int_equal(status, 200);
}

/* SIGTERM: the agent exits 0, the datapath stays; a restart reuses it
 * and swaps no table. */
static void test_restart(void **state)
{
	const char *resync = "services=3 added=0 updated=0 removed=0";
	struct shunt_service_info before, after;
	int old_id, synced;

	(void)state;
	assert_true(
		apply(base_yaml,
		      "services=3 added=1 updated=1 removed=1 conflicts=0"));
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

	synced = agent_log_count(&agent, resync);
	assert_int_equal(start(), 0);
	assert_true(agent_log_has(&agent, "msg=\"datapath reused\""));
	/* The restarted agent's own programs took over the filter. */
	assert_true(agent_log_has(&agent, "programs replaced in place"));
	assert_int_equal(
		run_capture(out, sizeof(out), "tc filter show dev v0 ingress"),
		0);
	assert_non_null(strstr(out, " id "));
	assert_int_not_equal(atoi(strstr(out, " id ") + 4), old_id);
	assert_true(wait_new_log(resync, synced));
	assert_int_equal(svc_get("10.96.0.10:80/tcp", &after), 0);
	assert_same(&before, &after);
}

#define BULK	     400 /* services, for a /metrics body worth scraping */
#define SCRAPERS     2
#define HEALTH_MS    300 /* /healthz answers within this, scrapes or not */
#define HEALTH_TRIES 40

struct scraper {
	pthread_t th;
	volatile int stop;
	unsigned long ok, failed;
	size_t last_len;
	char body[1 << 17];
};

static struct scraper scrapers[SCRAPERS];

static void *scrape(void *arg)
{
	struct scraper *sc = arg;
	int status;

	while (!sc->stop) {
		if (agent_get(&agent, "/metrics", &status, sc->body,
			      sizeof(sc->body)) == 0 &&
		    status == 200) {
			sc->ok++;
			sc->last_len = strlen(sc->body);
		} else {
			sc->failed++;
		}
	}
	return NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Apply the base file plus BULK services (and service web2 when
 * extra), waiting for needle. */
static bool write_bulk(bool extra, const char *needle)
{
	bool ok;
	size_t cap = 128 * 1024, off;
	char *text = malloc(cap);
	int i;

	assert_non_null(text);
	off = snprintf(text, cap, "%s", base_yaml);
	for (i = 0; i < BULK; i++)
		off += snprintf(
			text + off, cap - off,
			"  - {name: bulk-%d, vip: 10.97.%d.%d, port: 80, backends: [{address: 10.1.%d.%d, port: 80}, {address: 10.2.%d.%d, port: 80}]}\n",
			i, i / 250, i % 250 + 1, i / 250, i % 250 + 1, i / 250,
			i % 250 + 1);
	if (extra)
		off += snprintf(
			text + off, cap - off,
			"  - {name: web2, vip: 10.96.0.20, port: 80, backends: [{address: 10.0.1.7, port: 8080}]}\n");
	assert_true(off < cap);
	ok = apply(text, needle);
	free(text);
	return ok;
}

/* /metrics scraped in a tight loop by several clients blocks neither
 * /healthz and /readyz nor the event loop: a file change is still
 * applied at once. */
static void test_scrape_does_not_block(void **state)
{
	const char *synced = "msg=synced source=file";
	int status, i, before;
	long long t0, worst = 0;
	unsigned long total = 0;

	(void)state;
	assert_true(write_bulk(false,
			       "services=403 added=400 updated=0 removed=0"));
	assert_true(agent_wait_metric(
		&agent,
		"shunt_service_backends{service=\"bulk-399\",state=\"active\"} 2\n",
		big, sizeof(big), 5000));
	for (i = 0; i < SCRAPERS; i++) {
		memset(&scrapers[i], 0, sizeof(scrapers[i]));
		assert_int_equal(pthread_create(&scrapers[i].th, NULL, scrape,
						&scrapers[i]),
				 0);
	}
	usleep(200 * 1000);
	for (i = 0; i < HEALTH_TRIES; i++) {
		t0 = now_ms();
		assert_int_equal(agent_get(&agent,
					   i % 2 ? "/readyz" : "/healthz",
					   &status, out, sizeof(out)),
				 0);
		assert_int_equal(status, 200);
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		usleep(10 * 1000);
	}
	/* A change while the scrapes go on. */
	before = agent_log_count(&agent, synced);
	assert_true(
		write_bulk(true, "services=404 added=1 updated=0 removed=0"));
	assert_int_equal(agent_log_count(&agent, synced), before + 1);
	assert_int_equal(backends_of("10.96.0.20:80/tcp"), 1);
	assert_true(agent_wait_metric(
		&agent,
		"shunt_service_backends{service=\"web2\",state=\"active\"} 1\n",
		big, sizeof(big), 5000));
	for (i = 0; i < SCRAPERS; i++) {
		scrapers[i].stop = 1;
		assert_int_equal(pthread_join(scrapers[i].th, NULL), 0);
		total += scrapers[i].ok;
		assert_int_equal(scrapers[i].failed, 0);
		assert_true(scrapers[i].last_len > 50000);
	}
	print_message("%lu scrapes; slowest /healthz or /readyz: %lld ms\n",
		      total, worst);
	assert_true(total > 50);
	assert_true(worst < HEALTH_MS);
	assert_true(
		apply(base_yaml, "services=3 added=0 updated=0 removed=401"));
}

/* --once applies the file and exits: 0 when it was applied, 1 when not. */
static void test_once(void **state)
{
	struct shunt_service_info info;
	char bin[4200], once_root[160], bad[160];

	(void)state;
	agent_binary(bin, sizeof(bin), "shuntd");
	/* Named like the others, so that run-tests.sh's sweep finds it. */
	snprintf(once_root, sizeof(once_root),
		 "/sys/fs/bpf/shunt-test-agentonce%d", (int)getpid());
	snprintf(bad, sizeof(bad), "%s/bad.yaml", dir);
	assert_int_equal(
		run_capture(
			out, sizeof(out),
			"%s --once --pin-root %s --cgroup none --services-file %s 2>&1",
			bin, once_root, file),
		0);
	assert_non_null(
		strstr(out, "msg=synced source=file services=3 added=3"));
	/* No metrics server for a run that is over at once. */
	assert_null(strstr(out, "serving /metrics"));
	assert_int_equal(svc_get_root(once_root, "10.96.0.10:80/tcp", &info),
			 0);
	assert_string_equal(info.svc.name, "web");
	assert_int_equal(
		run_capture(
			out, sizeof(out),
			"printf 'services: [{vip: 1.2.3.4}]\\n' > %s && %s --once --pin-root %s --cgroup none --services-file %s 2>&1",
			bad, bin, once_root, bad),
		1);
	assert_non_null(strstr(out, "services file rejected"));
	/* The services from before stay. */
	assert_int_equal(svc_get_root(once_root, "10.96.0.10:80/tcp", &info),
			 0);
	run_cmdf("%s --pin-root %s unload", ctl, once_root);
}

/* --max-* and --ct-max size the tables at first load; a loaded datapath
 * keeps its sizes (and says so). */
static void test_capacity(void **state)
{
	struct shunt_capacity cap;
	char bin[4200], cap_root[160];
	struct shunt s;

	(void)state;
	agent_binary(bin, sizeof(bin), "shuntd");
	snprintf(cap_root, sizeof(cap_root),
		 "/sys/fs/bpf/shunt-test-agentcap%d", (int)getpid());
	assert_int_equal(
		run_capture(
			out, sizeof(out),
			"%s --once --pin-root %s --cgroup none --services-file %s --max-services 64 --max-frontends 128 --max-backends 256 --ct-max 8192 2>&1",
			bin, cap_root, file),
		0);
	assert_int_equal(shunt_open(&s, cap_root, 0), 0);
	assert_int_equal(shunt_capacity_read(&s, &cap), 0);
	shunt_close(&s);
	assert_int_equal(cap.services, 64);
	assert_int_equal(cap.frontends, 128);
	assert_int_equal(cap.backends, 256);
	assert_int_equal(cap.ct, 8192);
	assert_int_equal(
		run_capture(
			out, sizeof(out),
			"%s --once --pin-root %s --cgroup none --services-file %s --max-services 128 2>&1",
			bin, cap_root, file),
		0);
	assert_non_null(strstr(out, "apply at first load only"));
	assert_int_equal(shunt_open(&s, cap_root, 0), 0);
	assert_int_equal(shunt_capacity_read(&s, &cap), 0);
	shunt_close(&s);
	assert_int_equal(cap.services, 64);
	assert_int_equal(
		run_capture(out, sizeof(out), "%s --max-services 8 2>&1", bin),
		2);
	assert_non_null(strstr(out, "--max-services '8'"));
	run_cmdf("%s --pin-root %s unload", ctl, cap_root);
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

/* /readyz says 503 until the file has been applied: never while it
 * cannot be, however early it is asked. */
static void test_ready_after_sync(void **state)
{
	const char *argv[] = {"--cgroup",	 "none", "--pin-root", root,
			      "--services-file", file,	 NULL};
	int status, i, answers = 0;

	(void)state;
	write_file("services: [{vip: 10.96.0.10}]\n"); /* no port */
	agent.pid = fork();
	assert_true(agent.pid >= 0);
	if (agent.pid == 0)
		agent_exec(&agent, argv);
	/* Until 20 answers: the first comes once the programs are loaded,
	 * which takes longer under load (up to 20 s allowed). */
	for (i = 0; i < 4000 && answers < 20; i++) {
		if (agent_get(&agent, "/readyz", &status, out, sizeof(out)) ==
		    0) {
			assert_int_equal(status, 503);
			answers++;
		}
		usleep(5 * 1000);
	}
	assert_int_equal(answers, 20);
	assert_true(wait_log("services file rejected"));
	assert_int_equal(
		agent_get(&agent, "/readyz", &status, out, sizeof(out)), 0);
	assert_int_equal(status, 503);
	assert_non_null(strstr(out, "not ready"));
	write_file(base_yaml);
	for (i = 0; i < 60; i++) {
		if (agent_get(&agent, "/readyz", &status, out, sizeof(out)) ==
			    0 &&
		    status == 200)
			break;
		usleep(50 * 1000);
	}
	assert_int_equal(status, 200);
	assert_int_equal(backends_of("10.96.0.10:80/tcp"), 2);
	assert_int_equal(agent_stop(&agent), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_applied),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_diff_apply),
		cmocka_unit_test(test_sighup),
		cmocka_unit_test(test_invalid_file),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_scrape_does_not_block),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_cleanup),
		cmocka_unit_test(test_ready_after_sync),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
