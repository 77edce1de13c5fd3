// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Backend and service changes under open connections, through a VIP with
 * the node's FORWARD policy at DROP:
 *  - a connection held open across a backend add keeps its backend;
 *  - a drained backend gets no new connection while its open one, with a
 *    request in flight, completes;
 *  - a removed backend gets no new connection;
 *  - deleting the service stops traffic to the VIP.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpc.h"
#include "vethenv.h"

#define SVC   VETH_VIP4 ":80/tcp"
#define FRESH 40

static struct vethenv env;

static int backend_cmd(const char *verb, int i, const char *extra)
{
	char b[64];

	vethenv_backend_ip4(b, sizeof(b), i);
	return vethenv_ctl(&env, "backend %s %s %s:%d %s", verb, SVC, b,
			   VETH_HTTP_PORT, extra);
}

/* Service with be1 and be2; be3 runs but is not in the service yet. */
static int setup(void **state)
{
	(void)state;
	if (vethenv_up(&env, "c", 3))
		return -1;
	if (vethenv_ctl(&env, "service add %s", SVC) ||
	    backend_cmd("add", 1, "") || backend_cmd("add", 2, "")) {
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

static void get_on(struct http_conn *c, char *name, size_t len)
{
	int status;

	assert_int_equal(
		http_get(c, "/", 0, &status, name, len, VETH_TIMEOUT_MS), 0);
	assert_int_equal(status, 200);
	name[strcspn(name, "\n")] = '\0';
}

/* How many of FRESH new connections each backend (1..3) took. */
static void fresh_spread(int counts[4])
{
	char name[64];
	int i, n;

	memset(counts, 0, 4 * sizeof(int));
	for (i = 0; i < FRESH; i++) {
		assert_int_equal(
			vethenv_which(&env, VETH_VIP4, 80, name, sizeof(name)),
			0);
		assert_int_equal(sscanf(name, "be%d", &n), 1);
		assert_true(n >= 1 && n <= 3);
		counts[n]++;
	}
	print_message("fresh connections: be1 %d, be2 %d, be3 %d\n", counts[1],
		      counts[2], counts[3]);
}

static void test_held_connection_survives_add(void **state)
{
	char first[64], name[64];
	struct http_conn c;
	int counts[4], i;

	(void)state;
	assert_int_equal(
		http_connect(&c, env.client_ns, VETH_VIP4, 80, VETH_TIMEOUT_MS),
		0);
	get_on(&c, first, sizeof(first));
	assert_int_equal(backend_cmd("add", 3, ""), 0);
	for (i = 0; i < 10; i++) {
		get_on(&c, name, sizeof(name));
		assert_string_equal(name, first);
	}
	http_close(&c);
	/* New connections do reach the new backend. */
	fresh_spread(counts);
	assert_true(counts[3] > 0);
}

struct inflight {
	struct http_conn *c;
	int err, status;
	char body[64];
};

static void *slow_get(void *arg)
{
	struct inflight *r = arg;

	r->err = http_get(r->c, "/slow/1500", 0, &r->status, r->body,
			  sizeof(r->body), 5000);
	return NULL;
}

static void test_drain(void **state)
{
	static struct inflight r;
	char held[64], name[64];
	struct http_conn c;
	int counts[4], n;
	pthread_t th;

	(void)state;
	assert_int_equal(
		http_connect(&c, env.client_ns, VETH_VIP4, 80, VETH_TIMEOUT_MS),
		0);
	get_on(&c, held, sizeof(held));
	assert_int_equal(sscanf(held, "be%d", &n), 1);

	/* A request in flight on the held connection while draining. */
	memset(&r, 0, sizeof(r));
	r.c = &c;
	assert_int_equal(pthread_create(&th, NULL, slow_get, &r), 0);
	usleep(200 * 1000);
	assert_int_equal(backend_cmd("set", n, "--drain"), 0);
	fresh_spread(counts);
	assert_int_equal(counts[n], 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.status, 200);
	r.body[strcspn(r.body, "\n")] = '\0';
	assert_string_equal(r.body, held);
	/* ... and the open connection keeps working. */
	get_on(&c, name, sizeof(name));
	assert_string_equal(name, held);
	http_close(&c);

	assert_int_equal(backend_cmd("set", n, "--activate"), 0);
	fresh_spread(counts);
	assert_true(counts[n] > 0);
}

static void test_removed_backend_gets_nothing(void **state)
{
	int counts[4];

	(void)state;
	assert_int_equal(backend_cmd("del", 2, ""), 0);
	fresh_spread(counts);
	assert_int_equal(counts[2], 0);
	assert_true(counts[1] > 0 && counts[3] > 0);
}

static void test_service_delete_stops_traffic(void **state)
{
	char body[64];
	int status;

	(void)state;
	assert_int_equal(vethenv_which(&env, VETH_VIP4, 80, body, sizeof(body)),
			 0);
	assert_int_equal(vethenv_ctl(&env, "service del %s", SVC), 0);
	assert_int_not_equal(http_get_once(env.client_ns, VETH_VIP4, 80, "/",
					   &status, body, sizeof(body), 1500),
			     0);
	/* And the service is gone from the listing. */
	assert_int_not_equal(vethenv_ctl(&env, "service show %s", SVC), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_connection_survives_add),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_removed_backend_gets_nothing),
		cmocka_unit_test(test_service_delete_stops_traffic),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
