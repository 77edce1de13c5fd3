/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Self-check of the namespace topology (tests/lib/topo.sh), shunt-httpd and
 * the C helpers, without shunt: the client talks to the backends' own
 * addresses, routed by the node.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpc.h"
#include "netns.h"

#define NBACKENDS  2
#define HTTP_PORT  8080
#define UDP_PORT   5353
#define TIMEOUT_MS 3000

static char src_dir[4096];
static char prefix[32];
static char client_ns[64];

static void backend_ip4(char *buf, size_t len, int i)
{
	snprintf(buf, len, "10.200.%d.2", 10 + i);
}

static void backend_ip6(char *buf, size_t len, int i)
{
	snprintf(buf, len, "fd00:200:%d::2", 10 + i);
}

static int topo_down(void)
{
	return run_cmdf("%s/tests/lib/topo.sh down %s", src_dir, prefix);
}

static int group_setup(void **state)
{
	const char *src = getenv("SHUNT_SRC");

	(void)state;
	if (src && *src)
		snprintf(src_dir, sizeof(src_dir), "%s", src);
	else if (!getcwd(src_dir, sizeof(src_dir)))
		return -1;
	snprintf(prefix, sizeof(prefix), "tsc%d", (int)getpid());
	snprintf(client_ns, sizeof(client_ns), "%sclient", prefix);
	if (run_cmdf("%s/tests/lib/topo.sh up %s %d", src_dir, prefix,
		     NBACKENDS)) {
		topo_down();
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return topo_down() ? -1 : 0;
}

/* GET / on every backend address answers exactly "beN\n". */
static void check_root(int v6)
{
	char ip[64], body[64], want[16];
	int i, status;

	for (i = 1; i <= NBACKENDS; i++) {
		if (v6)
			backend_ip6(ip, sizeof(ip), i);
		else
			backend_ip4(ip, sizeof(ip), i);
		snprintf(want, sizeof(want), "be%d\n", i);
		assert_int_equal(http_get_once(client_ns, ip, HTTP_PORT, "/",
					       &status, body, sizeof(body),
					       TIMEOUT_MS),
				 0);
		assert_int_equal(status, 200);
		assert_string_equal(body, want);
	}
}

static void test_http_root_v4(void **state)
{
	(void)state;
	check_root(0);
}

static void test_http_root_v6(void **state)
{
	(void)state;
	check_root(1);
}

/* The port after "PREFIX" in a /whoami body: "beN IP:PORT\n". */
static int whoami_port(const char *body, const char *prefix_str)
{
	size_t n = strlen(prefix_str);
	char *end;
	long port;

	if (strncmp(body, prefix_str, n))
		return -1;
	port = strtol(body + n, &end, 10);
	if (strcmp(end, "\n") || port <= 0 || port > 65535)
		return -1;
	return (int)port;
}

static void test_whoami(void **state)
{
	char body[128];
	int status;

	(void)state;
	assert_int_equal(http_get_once(client_ns, "10.200.11.2", HTTP_PORT,
				       "/whoami", &status, body, sizeof(body),
				       TIMEOUT_MS),
			 0);
	assert_int_equal(status, 200);
	assert_true(whoami_port(body, "be1 10.200.1.2:") > 0);

	assert_int_equal(http_get_once(client_ns, "[fd00:200:12::2]", HTTP_PORT,
				       "/whoami", &status, body, sizeof(body),
				       TIMEOUT_MS),
			 0);
	assert_int_equal(status, 200);
	assert_true(whoami_port(body, "be2 [fd00:200:1::2]:") > 0);
}

/* Three requests on one connection: same client port every time. */
static void test_keepalive(void **state)
{
	struct http_conn c;
	char body[128], first[128];
	int i, status;

	(void)state;
	assert_int_equal(http_connect(&c, client_ns, "10.200.12.2", HTTP_PORT,
				      TIMEOUT_MS),
			 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(http_get(&c, "/whoami", i == 2, &status, body,
					  sizeof(body), TIMEOUT_MS),
				 0);
		assert_int_equal(status, 200);
		assert_true(whoami_port(body, "be2 10.200.1.2:") > 0);
		if (!i)
			strcpy(first, body);
		assert_string_equal(body, first);
	}
	/* The last one asked the server to close. */
	assert_int_not_equal(
		http_get(&c, "/", 0, &status, body, sizeof(body), TIMEOUT_MS),
		0);
	http_close(&c);
	http_close(&c);
}

static void check_udp(int v6, int connected)
{
	char ip[64], reply[128], from[80], want[32], want_from[80];
	int i;

	for (i = 1; i <= NBACKENDS; i++) {
		if (v6) {
			backend_ip6(ip, sizeof(ip), i);
			snprintf(want_from, sizeof(want_from), "[%s]:%d", ip,
				 UDP_PORT);
		} else {
			backend_ip4(ip, sizeof(ip), i);
			snprintf(want_from, sizeof(want_from), "%s:%d", ip,
				 UDP_PORT);
		}
		snprintf(want, sizeof(want), "be%d hello", i);
		assert_int_equal(udp_query(client_ns, ip, UDP_PORT, connected,
					   "hello", reply, sizeof(reply), from,
					   sizeof(from), TIMEOUT_MS),
				 0);
		assert_string_equal(reply, want);
		assert_string_equal(from, want_from);
	}
}

static void test_udp(void **state)
{
	(void)state;
	check_udp(0, 1);
	check_udp(0, 0);
	check_udp(1, 1);
	check_udp(1, 0);
}

struct pattern_check {
	uint64_t off;
	int bad;
};

static int pattern_sink(const void *data, size_t len, void *arg)
{
	struct pattern_check *p = arg;
	const unsigned char *d = data;
	size_t i;

	for (i = 0; i < len; i++, p->off++)
		if (d[i] != (unsigned char)((p->off * 7 + 13) & 0xff))
			p->bad++;
	return 0;
}

static void test_bytes(void **state)
{
	struct pattern_check p = {0};
	unsigned long long total = 0;
	struct http_conn c;
	char body[16];
	int status;

	(void)state;
	assert_int_equal(http_connect(&c, client_ns, "fd00:200:11::2",
				      HTTP_PORT, TIMEOUT_MS),
			 0);
	assert_int_equal(http_get_sink(&c, "/bytes/3000001", 0, &status,
				       pattern_sink, &p, &total, TIMEOUT_MS),
			 0);
	assert_int_equal(status, 200);
	assert_int_equal(total, 3000001);
	assert_int_equal(p.bad, 0);
	/* Same connection: the framing held. */
	assert_int_equal(http_get(&c, "/bytes/0", 0, &status, body,
				  sizeof(body), TIMEOUT_MS),
			 0);
	assert_int_equal(status, 200);
	assert_string_equal(body, "");
	assert_int_equal(http_get(&c, "/nope", 0, &status, body, sizeof(body),
				  TIMEOUT_MS),
			 0);
	assert_int_equal(status, 404);
	http_close(&c);
}

struct slow_req {
	int err, status;
	volatile int done;
	char body[32];
};

static void *slow_thread(void *arg)
{
	struct slow_req *r = arg;

	r->err =
		http_get_once(client_ns, "10.200.11.2", HTTP_PORT, "/slow/2000",
			      &r->status, r->body, sizeof(r->body), TIMEOUT_MS);
	r->done = 1;
	return NULL;
}

/* A /slow request does not hold up the others. */
static void test_slow(void **state)
{
	static struct slow_req r; /* outlives a failed assertion */
	char body[32];
	pthread_t th;
	int status;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(pthread_create(&th, NULL, slow_thread, &r), 0);
	usleep(50 * 1000);
	assert_int_equal(http_get_once(client_ns, "10.200.11.2", HTTP_PORT, "/",
				       &status, body, sizeof(body), TIMEOUT_MS),
			 0);
	/* Served while the slow request is still pending. */
	assert_false(r.done);
	assert_string_equal(body, "be1\n");
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "be1\n");
}

static void test_helpers(void **state)
{
	char buf[64], tiny[4];

	(void)state;
	assert_int_equal(run_cmd("exit 5"), 5);
	assert_int_equal(run_cmdf("test %d -eq %d", 3, 3), 0);
	assert_int_equal(run_capture(buf, sizeof(buf), "echo %s; exit 3", "hi"),
			 3);
	assert_string_equal(buf, "hi\n");
	assert_int_equal(run_capture(tiny, sizeof(tiny), "seq 1000"), 0);
	assert_string_equal(tiny, "1\n2");
	assert_int_equal(run_capture(buf, sizeof(buf),
				     "ip netns exec %s "
				     "cat /sys/class/net/eth0/operstate",
				     client_ns),
			 0);
	assert_string_equal(buf, "up\n");
	assert_int_equal(
		netns_socket("no-such-netns-here", AF_INET, SOCK_STREAM, 0),
		-ENOENT);
}

static void test_env(void **state)
{
	char buf[4096], want[128];

	(void)state;
	assert_int_equal(run_capture(buf, sizeof(buf),
				     "%s/tests/lib/topo.sh env %s", src_dir,
				     prefix),
			 0);
	snprintf(want, sizeof(want), "\nCLIENT_NS=\"%s\"\n", client_ns);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "\nNODE_IFACES=\"c0 b1 b2\"\n"));
	assert_non_null(strstr(buf, "\nBACKEND_IP6_2=\"fd00:200:12::2\"\n"));
	assert_non_null(strstr(buf, "\nVIP4=\"10.96.0.10\"\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_root_v4),
		cmocka_unit_test(test_http_root_v6),
		cmocka_unit_test(test_whoami),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_slow),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_env),
	};

	return cmocka_run_group_tests_name("topo_selfcheck", tests, group_setup,
					   group_teardown);
}
