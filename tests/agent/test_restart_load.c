// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Restart safety: HTTP load through a VIP in the veth topology (node
 * FORWARD policy DROP, so only shunt moves the traffic) while shuntd,
 * managing the node from a services file, is stopped, restarted and
 * restarted again. No request fails, a keep-alive connection held the
 * whole time keeps its backend, and no restart writes to the service.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentenv.h"
#include "httpc.h"
#include "netns.h"
#include "vethenv.h"

#define RESTARTS 5

static struct vethenv env;
static struct agent_proc agent;
static char file[160], ctl[4200];

struct load {
	volatile int stop;
	unsigned long ok, failed;
	char held_backend[32];
	unsigned long held_ok, held_failed, held_moved;
	char first_failure[128]; /* when and how, for the log's times */
};

static struct load load;

/* The first failure: what and when (UTC, as in shuntd's log). */
static void note_failure(struct load *l, const char *what, int err, int status)
{
	struct timespec ts;
	struct tm tm;

	if (l->first_failure[0])
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(l->first_failure, sizeof(l->first_failure),
		 "%s at %02d:%02d:%02d.%03ld: %s, status %d", what, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, strerror(-err),
		 status);
}

/* New connections to the VIP, one request each, and one keep-alive
 * connection asked again and again. */
static void *load_fn(void *arg)
{
	struct load *l = arg;
	struct http_conn held;
	char body[64];
	int status, err;

	err = http_connect(&held, env.client_ns, VETH_VIP4, 80,
			   VETH_TIMEOUT_MS);
	if (!err)
		err = http_get(&held, "/", 0, &status, l->held_backend,
			       sizeof(l->held_backend), VETH_TIMEOUT_MS);
	if (err) {
		l->held_failed++;
		note_failure(l, "first request", err, 0);
		return NULL;
	}
	while (!l->stop) {
		err = vethenv_which(&env, VETH_VIP4, 80, body, sizeof(body));
		if (!err)
			l->ok++;
		else
			l->failed++;
		if (err)
			note_failure(l, "new connection", err, 0);
		status = 0;
		err = http_get(&held, "/", 0, &status, body, sizeof(body),
			       VETH_TIMEOUT_MS);
		if (err || status != 200) {
			l->held_failed++;
			note_failure(l, "held connection", err, status);
		} else if (strcmp(body, l->held_backend))
			l->held_moved++;
		else
			l->held_ok++;
	}
	http_close(&held);
	return NULL;
}

static int start(void)
{
	const char *argv[] = {"--interfaces", "c0,b1,b2",   "--mode",
			      env.mode,	      "--cgroup",   "none",
			      "--pin-root",   env.pin_root, "--services-file",
			      file,	      NULL};

	return agent_start(&agent, argv, 20000);
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	if (vethenv_up(&env, "r", 2))
		return -1;
	snprintf(file, sizeof(file), "/tmp/shunt-restart-%d.yaml",
		 (int)getpid());
	snprintf(agent.log, sizeof(agent.log), "/tmp/shunt-restart-%d.log",
		 (int)getpid());
	snprintf(agent.netns, sizeof(agent.netns), "%s", env.node_ns);
	snprintf(agent.metrics, sizeof(agent.metrics), "127.0.0.1:9479");
	f = fopen(file, "w");
	if (!f)
		return -1;
	fprintf(f, "services:\n"
		   "  - {name: web, vip: 10.96.0.10, port: 80, backends: [\n"
		   "      {address: 10.200.11.2, port: 8080},\n"
		   "      {address: 10.200.12.2, port: 8080}]}\n");
	fclose(f);
	return start();
}

static int teardown(void **state)
{
	(void)state;
	agent_stop(&agent);
	vethenv_down(&env);
	unlink(file);
	unlink(agent.log);
	return 0;
}

static void test_restart_under_load(void **state)
{
	pthread_t th;
	int i;

	(void)state;
	memset(&load, 0, sizeof(load));
	assert_int_equal(pthread_create(&th, NULL, load_fn, &load), 0);
	for (i = 0; i < RESTARTS; i++) {
		usleep(300 * 1000);
		assert_int_equal(agent_stop(&agent), 0);
		usleep(300 * 1000); /* traffic runs with no agent at all */
		assert_int_equal(start(), 0);
	}
	usleep(300 * 1000);
	load.stop = 1;
	assert_int_equal(pthread_join(th, NULL), 0);
	print_message("requests: %lu ok, %lu failed; held connection: %lu ok, "
		      "%lu failed, %lu moved\n",
		      load.ok, load.failed, load.held_ok, load.held_failed,
		      load.held_moved);
	if (load.first_failure[0]) {
		print_message("first failure: %s\n", load.first_failure);
		agent_log_dump(&agent);
		agent_binary(ctl, sizeof(ctl), "shuntctl");
		run_cmdf("%s --pin-root %s stats >&2", ctl, env.pin_root);
	}
	assert_true(load.ok > 50);
	assert_int_equal(load.failed, 0);
	assert_true(load.held_ok > 50);
	assert_int_equal(load.held_failed, 0);
	assert_int_equal(load.held_moved, 0);
	assert_true(agent_log_has(&agent, "datapath reused"));
	/* Each restart found the file's service as it was: nothing written. */
	assert_int_equal(
		agent_log_count(
			&agent,
			"msg=synced source=file services=1 added=0 updated=0 removed=0 conflicts=0"),
		RESTARTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_under_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
