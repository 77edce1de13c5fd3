// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A Maglev table changing size under traffic: while a client opens new
 * connections in a loop (IPv4 and IPv6), the service's table size goes
 * back and forth between explicit sizes and the automatic one, and
 * backends come and go so the automatic size changes too. The size
 * travels with the table in one swap, so no connection may fail.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpc.h"
#include "vethenv.h"

#define SIZE_CHANGES 24

static struct vethenv env;

struct client {
	const char *host;
	pthread_t thread;
	atomic_bool stop;
	int ok, failed;
};

static void *loop(void *arg)
{
	struct client *c = arg;
	char body[64];
	int status;

	while (!atomic_load(&c->stop)) {
		/* Under the 1 s SYN retransmission: a dropped SYN fails. */
		if (!http_get_once(env.client_ns, c->host, 80, "/", &status,
				   body, sizeof(body), 800) &&
		    http_backend_of(status, body, env.nbackends) > 0)
			c->ok++;
		else
			c->failed++;
	}
	return NULL;
}

static int resize(int i)
{
	static const char *const sizes[] = {"7",  "auto", "509",
					    "13", "auto", "65521"};
	const char *m = sizes[i % 6];

	return vethenv_ctl(&env, "service set %s:80/tcp --table-size %s",
			   VETH_VIP4, m) ||
	       vethenv_ctl(&env, "service set [%s]:80/tcp --table-size %s",
			   VETH_VIP6, m);
}

/* be4 joins (every third step) and leaves (the next): the automatic
 * size follows the backend count. It leaves as an endpoint leaves a
 * Kubernetes Service: draining first (its open connections finish),
 * then removed; a removed backend's flows move to another backend, so a
 * connection still open on it would fail (docs/datapath.md). */
static int churn(int i)
{
	char b4[32], b6[64];
	const char *verb = i % 2 ? "del" : "add";

	vethenv_backend_ip4(b4, sizeof(b4), 4);
	vethenv_backend_ip6(b6, sizeof(b6), 4);
	if (i % 2) {
		if (vethenv_ctl(&env, "backend set %s:80/tcp %s:%d --drain",
				VETH_VIP4, b4, VETH_HTTP_PORT) ||
		    vethenv_ctl(&env, "backend set [%s]:80/tcp [%s]:%d --drain",
				VETH_VIP6, b6, VETH_HTTP_PORT))
			return -1;
		usleep(100 * 1000);
	}
	return vethenv_ctl(&env, "backend %s %s:80/tcp %s:%d", verb, VETH_VIP4,
			   b4, VETH_HTTP_PORT) ||
	       vethenv_ctl(&env, "backend %s [%s]:80/tcp [%s]:%d", verb,
			   VETH_VIP6, b6, VETH_HTTP_PORT);
}

static void test_resize_under_traffic(void **state)
{
	struct client c4 = {.host = VETH_VIP4}, c6 = {.host = VETH_VIP6};
	long long drops = vethenv_counter(&env, "drop_no_backend") +
			  vethenv_counter(&env, "reject_tcp");
	int i, err = 0;

	(void)state;
	pthread_create(&c4.thread, NULL, loop, &c4);
	pthread_create(&c6.thread, NULL, loop, &c6);
	usleep(200 * 1000);
	for (i = 0; i < SIZE_CHANGES && !err; i++) {
		err = resize(i);
		if (!err && i % 3 == 0)
			err = churn(i / 3);
		usleep(100 * 1000);
	}
	usleep(200 * 1000);
	atomic_store(&c4.stop, true);
	atomic_store(&c6.stop, true);
	pthread_join(c4.thread, NULL);
	pthread_join(c6.thread, NULL);
	print_message(
		"%d size changes: IPv4 %d ok %d failed, IPv6 %d ok %d failed\n",
		i, c4.ok, c4.failed, c6.ok, c6.failed);
	drops = vethenv_counter(&env, "drop_no_backend") +
		vethenv_counter(&env, "reject_tcp") - drops;
	print_message("packets dropped or rejected for want of a backend: "
		      "%lld\n",
		      drops);
	assert_int_equal(err, 0);
	assert_int_equal(drops, 0);
	assert_int_equal(c4.failed, 0);
	assert_int_equal(c6.failed, 0);
	assert_true(c4.ok > 50 && c6.ok > 50);
}

static int setup(void **state)
{
	(void)state;
	if (vethenv_up(&env, "rs", 4))
		return -1;
	/* be1..be3 in the services; be4 joins and leaves. */
	env.nbackends = 3;
	if (vethenv_services(&env, 80, "tcp", VETH_HTTP_PORT)) {
		vethenv_down(&env);
		return -1;
	}
	env.nbackends = 4;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vethenv_down(&env);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resize_under_traffic),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
