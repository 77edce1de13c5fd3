// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockmap: node-local TCP connections whose service or port is opted in
 * have their payload moved socket to socket (sockops puts both ends in
 * sock_hash, sk_msg redirects each sendmsg to the peer's ingress). Every
 * byte is checked against a pattern unique to its stream and offset, and
 * the counters must account for exactly what was sent: sockmap_bytes is
 * the proof that the bytes took the short cut and not the TCP path.
 *
 * The test process runs in a network namespace and a cgroup of its own
 * (tests/lib/sockenv.h), with a private pin root; its own client and
 * server sockets, nginx and shunt-httpd are all under the attached
 * programs. Readers are poll()-driven (like nginx), except in the test
 * that documents what a blocking reader sees (tcp_bpf's EAGAIN).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <json-c/json.h>

#include <cmocka.h>

#include "httpc.h"
#include "netns.h"
#include "sockenv.h"

/* Service VIP1 -> HOST1:8080, sockmap enabled for the service. */
#define VIP1	     "10.96.0.10"
#define VIP1_PORT    80
#define VIP1_BE_PORT 8080
/* Service VIP2 -> nginx (sendfile) at HOST1:8081, enabled. */
#define VIP2	       "10.96.0.20"
#define NGINX_FILE     8081
#define NGINX_PROXY    8082 /* nginx reverse proxy, port enabled */
#define HTTPD_PORT     8083 /* shunt-httpd behind it, port enabled */
#define MANY_PORT      9000 /* 1000 connections, port enabled */
#define QUEUED_PORT    9100 /* enabled while a connection has data queued */
#define DISABLE_PORT   9200 /* enabled, then disabled */
#define PLAIN_PORT     9300 /* never enabled */
#define OUTSIDE_PORT   9400 /* enabled, server outside the cgroup */
#define V6_PORT	       9500 /* enabled, IPv6 and v4-mapped sockets */
#define ORDER_PORT     9600 /* enabled, handshake ACK dropped */
#define EARLY_PORT     9700 /* enabled, clients send before accept */
#define LOOP_PORT      9900 /* enabled, loopback in two namespaces */
#define LOOP_CPORT     9901 /* the clients' source port */
#define VIP3	       "10.96.0.30" /* -> HOST2:VIP3_BE_PORT, not enabled */
#define VIP3_BE_PORT   9800
#define TIMEOUT_MS     10000
#define EVENT_MS       2000 /* "promptly" */
#define NCONN	       1000
#define NGINX_FILE_LEN (3U << 20)

static struct sockenv env;
static int vip1_lfd = -1;
static pid_t nginx_pid = -1, httpd_pid = -1;

/* --- helpers -------------------------------------------------------------- */

static void counters(struct sockenv_counters *c)
{
	assert_int_equal(sockenv_counters(&env, c), 0);
}

#define DELTA(a, b, f) ((b).f - (a).f)

static void print_delta(const char *what, const struct sockenv_counters *a,
			const struct sockenv_counters *b)
{
	print_message("  %-34s sockets +%lld pairs +%lld msgs +%lld bytes "
		      "+%lld no_peer +%lld\n",
		      what, DELTA(*a, *b, sockets), DELTA(*a, *b, pairs),
		      DELTA(*a, *b, msgs), DELTA(*a, *b, bytes),
		      DELTA(*a, *b, no_peer));
}

/* A connected pair through VIP1: *c the client, *s the accepted end. */
static void vip1_pair(int *c, int *s)
{
	*c = sockenv_connect(VIP1, VIP1_PORT, TIMEOUT_MS);
	assert_true(*c >= 0);
	*s = sockenv_accept(vip1_lfd, TIMEOUT_MS);
	assert_true(*s >= 0);
	assert_int_equal(sockenv_remote_port(*s), sockenv_local_port(*c));
}

static void pair_on(int lfd, const char *addr, int port, int *c, int *s)
{
	*c = sockenv_connect(addr, port, TIMEOUT_MS);
	assert_true(*c >= 0);
	*s = sockenv_accept(lfd, TIMEOUT_MS);
	assert_true(*s >= 0);
	assert_int_equal(sockenv_remote_port(*s), sockenv_local_port(*c));
}

/* Bounded blocking writes: a stuck write fails the test, it never hangs. */
static void send_timeout(int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000,
			     .tv_usec = (ms % 1000) * 1000};

	assert_int_equal(
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
}

/* Send len pattern bytes (seed, from offset off), poll-driven. */
static void send_pattern(int fd, size_t len, uint64_t seed, uint64_t off)
{
	uint8_t *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	sockenv_pattern_fill(buf, len, seed, off);
	assert_int_equal(sockenv_send_all(fd, buf, len, TIMEOUT_MS), 0);
	free(buf);
}

/* Receive exactly len bytes and check them against the pattern. */
static void recv_pattern(int fd, size_t len, uint64_t seed, uint64_t off)
{
	uint8_t *buf = malloc(len ? len : 1);
	size_t got = 0, bad;
	int err;

	assert_non_null(buf);
	err = sockenv_recv_full(fd, buf, len, &got, TIMEOUT_MS);
	if (err)
		fail_msg("received %zu of %zu bytes: %s", got, len,
			 strerror(-err));
	bad = sockenv_pattern_check(buf, len, seed, off);
	if (bad != len)
		fail_msg("byte %llu of the stream differs (got 0x%02x, want "
			 "0x%02x)",
			 (unsigned long long)(off + bad), buf[bad],
			 sockenv_pattern_byte(seed, off + bad));
	free(buf);
}

/* The peer sent FIN and nothing more: poll-driven read sees EOF. */
static void expect_eof(int fd)
{
	char c;
	size_t got = 0;
	int err = sockenv_recv_eof(fd, &c, 0, &got, TIMEOUT_MS);

	if (err)
		fail_msg("expected EOF: %s", strerror(-err));
	assert_int_equal(got, 0);
}

/* Clean shutdown in both directions: nothing extra arrived either way. */
static void close_both(int c, int s)
{
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	expect_eof(s);
	assert_int_equal(shutdown(s, SHUT_WR), 0);
	expect_eof(c);
	close(c);
	close(s);
}

/* Is target (a service or "port N") in `sockmap list --json`? */
static bool sockmap_listed(const char *target)
{
	static char out[1 << 16];
	struct json_object *root, *arr;
	bool found = false;
	size_t i;

	assert_int_equal(sockenv_ctl_capture(&env, out, sizeof(out),
					     "sockmap list --json"),
			 0);
	root = json_tokener_parse(out);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "enabled", &arr));
	for (i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(
				    json_object_array_get_idx(arr, i)),
			    target))
			found = true;
	json_object_put(root);
	return found;
}

/* --- setup ---------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	if (sockenv_nofile(4 * NCONN + 256))
		fprintf(stderr, "cannot raise RLIMIT_NOFILE\n");
	if (sockenv_up(&env, "map", "sockmap"))
		return -1;
	if (sockenv_ctl(&env, "service add %s:%d/tcp", VIP1, VIP1_PORT) ||
	    sockenv_ctl(&env, "backend add %s:%d/tcp %s:%d", VIP1, VIP1_PORT,
			SOCKENV_HOST1, VIP1_BE_PORT) ||
	    sockenv_ctl(&env, "sockmap enable %s:%d/tcp", VIP1, VIP1_PORT) ||
	    sockenv_ctl(&env, "service add %s:80/tcp", VIP2) ||
	    sockenv_ctl(&env, "backend add %s:80/tcp %s:%d", VIP2,
			SOCKENV_HOST1, NGINX_FILE) ||
	    sockenv_ctl(&env, "sockmap enable %s:80/tcp", VIP2) ||
	    sockenv_ctl(&env, "sockmap enable %d", MANY_PORT) ||
	    sockenv_ctl(&env, "sockmap enable %d", NGINX_PROXY) ||
	    sockenv_ctl(&env, "sockmap enable %d", HTTPD_PORT))
		goto fail;
	vip1_lfd = sockenv_listen(SOCKENV_HOST1, VIP1_BE_PORT, 128);
	if (vip1_lfd < 0)
		goto fail;
	return 0;
fail:
	sockenv_down(&env);
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	if (vip1_lfd >= 0)
		close(vip1_lfd);
	vip1_lfd = -1;
	sockenv_down(&env);
	return 0;
}

/* --- 1. data integrity ---------------------------------------------------- */

struct writer {
	int fd;
	const uint8_t *buf;
	size_t len;
	bool small;
	size_t written;
	long writes;
	int err;
	pthread_t th;
};

/* Sizes of the "many small writes", in turn. */
static const size_t small_chunks[] = {1, 7, 100, 1000, 1448, 3, 4096, 333, 65};
#define N_SMALL (sizeof(small_chunks) / sizeof(small_chunks[0]))

/* Blocking write()s: one for the whole buffer, or many small ones. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	size_t off = 0, i = 0, n;
	ssize_t r;

	while (off < w->len) {
		n = w->small ? small_chunks[i++ % N_SMALL] : w->len - off;
		if (n > w->len - off)
			n = w->len - off;
		r = write(w->fd, w->buf + off, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			w->err = errno;
			break;
		}
		w->writes++;
		off += (size_t)r;
	}
	w->written = off;
	return NULL;
}

struct reader {
	int fd;
	uint8_t *buf;
	size_t want, got;
	int err;
};

/* Both directions at once: each end writes from its own thread while
 * this thread reads both ends, poll()-driven. */
static void exchange(int c, int s, size_t len, bool small, uint64_t seed,
		     long *writes)
{
	struct writer w[2] = {
		{.fd = c, .len = len, .small = small},
		{.fd = s, .len = len, .small = small},
	};
	struct reader r[2] = {{.fd = s, .want = len}, {.fd = c, .want = len}};
	long long deadline = sockenv_now_ms() + 4 * TIMEOUT_MS;
	uint8_t *tx[2];
	struct pollfd p[2];
	size_t bad;
	ssize_t n;
	int i;

	for (i = 0; i < 2; i++) {
		tx[i] = malloc(len);
		r[i].buf = malloc(len);
		assert_non_null(tx[i]);
		assert_non_null(r[i].buf);
		sockenv_pattern_fill(tx[i], len, seed + i, 0);
		w[i].buf = tx[i];
		send_timeout(w[i].fd, TIMEOUT_MS);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&w[i].th, NULL, writer_main, &w[i]), 0);
	while ((r[0].got < len || r[1].got < len) &&
	       sockenv_now_ms() < deadline) {
		for (i = 0; i < 2; i++) {
			p[i].fd = r[i].got < len && !r[i].err ? r[i].fd : -1;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		if (p[0].fd < 0 && p[1].fd < 0)
			break;
		if (poll(p, 2, 200) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			if (!p[i].revents)
				continue;
			n = recv(r[i].fd, r[i].buf + r[i].got, len - r[i].got,
				 MSG_DONTWAIT);
			if (n > 0)
				r[i].got += (size_t)n;
			else if (!n)
				r[i].err = EPIPE;
			else if (errno != EAGAIN && errno != EINTR)
				r[i].err = errno;
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(w[i].th, NULL);
	for (i = 0; i < 2; i++) {
		const char *dir = i ? "server->client" : "client->server";

		if (w[i].err || w[i].written != len)
			fail_msg("%zu B %s: wrote %zu (%s)", len, dir,
				 w[i].written, strerror(w[i].err));
		if (!small && w[i].writes != 1)
			fail_msg("%zu B %s: one write() took %ld calls", len,
				 dir, w[i].writes);
		if (r[i].got != len)
			fail_msg("%zu B %s: received %zu (%s)", len, dir,
				 r[i].got,
				 r[i].err ? strerror(r[i].err) : "timeout");
		bad = sockenv_pattern_check(r[i].buf, len, seed + i, 0);
		if (bad != len)
			fail_msg("%zu B %s: byte %zu differs", len, dir, bad);
		free(tx[i]);
		free(r[i].buf);
	}
	*writes = w[0].writes + w[1].writes;
}

static void test_integrity(void **state)
{
	static const size_t sizes[] = {
		1, 2, 1000, 4096, 65535, 1U << 20, 4U << 20,
	};
	struct sockenv_counters a, b;
	uint64_t seed = 0x1000;
	long writes;
	size_t i;
	int c, s, small;

	(void)state;
	for (small = 0; small < 2; small++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			counters(&a);
			vip1_pair(&c, &s);
			exchange(c, s, sizes[i], small, seed, &writes);
			close_both(c, s);
			counters(&b);
			print_message("  %7zu B x2 %-6s %5ld writes: pairs "
				      "+%lld msgs +%lld bytes +%lld\n",
				      sizes[i], small ? "small" : "single",
				      writes, DELTA(a, b, pairs),
				      DELTA(a, b, msgs), DELTA(a, b, bytes));
			assert_int_equal(DELTA(a, b, pairs), 1);
			assert_int_equal(DELTA(a, b, sockets), 2);
			assert_int_equal(DELTA(a, b, no_peer), 0);
			assert_int_equal(DELTA(a, b, bytes), 2 * sizes[i]);
			/* every write() went through sk_msg at least once */
			assert_true(DELTA(a, b, msgs) >= writes);
			seed += 2;
		}
	}
}

/* --- 2. 1000 concurrent connections -------------------------------------- */

#define REQ_HDR 8

static size_t req_len(int i)
{
	return REQ_HDR + 16 + (size_t)(i * 37) % 2000;
}

static size_t resp_len(int i)
{
	return 100 + (size_t)(i * 7919) % 60000;
}

struct conn {
	int c, s;    /* client, accepted */
	size_t rx_s; /* request bytes the server has */
	size_t rx_c; /* response bytes the client has */
	uint8_t hdr[REQ_HDR];
	bool replied;
};

static void serve_requests(struct conn *v, int n)
{
	struct pollfd *p = calloc(n, sizeof(*p));
	long long deadline = sockenv_now_ms() + 3 * TIMEOUT_MS;
	uint8_t *buf = malloc(64 << 10), *resp = malloc(64 << 10);
	int i, left = n, id;
	uint32_t magic;
	size_t want, room;
	ssize_t r;

	assert_non_null(p);
	assert_non_null(buf);
	assert_non_null(resp);
	while (left && sockenv_now_ms() < deadline) {
		for (i = 0; i < n; i++) {
			p[i].fd = v[i].replied ? -1 : v[i].s;
			p[i].events = POLLIN;
		}
		if (poll(p, n, 200) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (!p[i].revents || v[i].replied)
				continue;
			want = req_len(i) - v[i].rx_s;
			room = want < (64U << 10) ? want : (64U << 10);
			r = recv(v[i].s, buf, room, MSG_DONTWAIT);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				fail_msg("conn %d: server recv: %s", i,
					 r ? strerror(errno) : "EOF");
			}
			/* header: magic, id; body: pattern of the id */
			if (v[i].rx_s < REQ_HDR) {
				size_t h = REQ_HDR - v[i].rx_s;

				if (h > (size_t)r)
					h = (size_t)r;
				memcpy(v[i].hdr + v[i].rx_s, buf, h);
				if (sockenv_pattern_check(
					    buf + h, (size_t)r - h, 0x20000 + i,
					    0) != (size_t)r - h)
					fail_msg("conn %d: request body "
						 "corrupt",
						 i);
			} else if (sockenv_pattern_check(
					   buf, (size_t)r, 0x20000 + i,
					   v[i].rx_s - REQ_HDR) != (size_t)r) {
				fail_msg("conn %d: request body corrupt at "
					 "%zu",
					 i, v[i].rx_s);
			}
			v[i].rx_s += (size_t)r;
			if (v[i].rx_s < req_len(i))
				continue;
			memcpy(&magic, v[i].hdr, 4);
			memcpy(&id, v[i].hdr + 4, 4);
			if (magic != 0x5348554eU || id != i)
				fail_msg("conn %d: request of conn %d arrived "
					 "(magic %08x)",
					 i, id, magic);
			sockenv_pattern_fill(resp, resp_len(i), 0x30000 + i, 0);
			assert_int_equal(sockenv_send_all(v[i].s, resp,
							  resp_len(i),
							  TIMEOUT_MS),
					 0);
			v[i].replied = true;
			left--;
		}
	}
	if (left)
		fail_msg("%d requests not served", left);
	free(p);
	free(buf);
	free(resp);
}

static void read_responses(struct conn *v, int n)
{
	struct pollfd *p = calloc(n, sizeof(*p));
	long long deadline = sockenv_now_ms() + 3 * TIMEOUT_MS;
	uint8_t *buf = malloc(64 << 10);
	int i, left = n;
	size_t room;
	ssize_t r;

	assert_non_null(p);
	assert_non_null(buf);
	while (left && sockenv_now_ms() < deadline) {
		for (i = 0; i < n; i++) {
			p[i].fd = v[i].rx_c < resp_len(i) ? v[i].c : -1;
			p[i].events = POLLIN;
		}
		if (poll(p, n, 200) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (!p[i].revents || v[i].rx_c >= resp_len(i))
				continue;
			room = resp_len(i) - v[i].rx_c;
			if (room > (64U << 10))
				room = 64U << 10;
			r = recv(v[i].c, buf, room, MSG_DONTWAIT);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				fail_msg("conn %d: client recv: %s", i,
					 r ? strerror(errno) : "EOF");
			}
			if (sockenv_pattern_check(buf, (size_t)r, 0x30000 + i,
						  v[i].rx_c) != (size_t)r)
				fail_msg("conn %d: response corrupt near %zu",
					 i, v[i].rx_c);
			v[i].rx_c += (size_t)r;
			if (v[i].rx_c == resp_len(i))
				left--;
		}
	}
	if (left)
		fail_msg("%d responses incomplete", left);
	free(p);
	free(buf);
}

static void test_thousand_connections(void **state)
{
	static int by_port[65536];
	struct sockenv_counters a, b;
	long long deadline, bytes = 0;
	struct conn *v = calloc(NCONN, sizeof(*v));
	uint8_t req[REQ_HDR + 4096];
	uint32_t magic = 0x5348554eU;
	int lfd, i, fd, accepted = 0, port;

	(void)state;
	assert_non_null(v);
	lfd = sockenv_listen(SOCKENV_HOST2, MANY_PORT, 2 * NCONN);
	assert_true(lfd >= 0);
	counters(&a);
	for (i = 0; i < NCONN; i++) {
		v[i].c = sockenv_connect_start(SOCKENV_HOST2, MANY_PORT);
		if (v[i].c < 0)
			fail_msg("connect %d: %s", i, strerror(-v[i].c));
		port = sockenv_local_port(v[i].c);
		assert_true(port > 0);
		by_port[port] = i + 1;
	}
	/* All of them established and accepted: all open at once. */
	deadline = sockenv_now_ms() + 3 * TIMEOUT_MS;
	while (accepted < NCONN && sockenv_now_ms() < deadline) {
		fd = sockenv_accept(lfd, 200);
		if (fd == -ETIMEDOUT)
			continue;
		assert_true(fd >= 0);
		port = sockenv_remote_port(fd);
		assert_true(port > 0 && by_port[port] > 0);
		i = by_port[port] - 1;
		assert_int_equal(v[i].s, 0);
		v[i].s = fd;
		accepted++;
	}
	assert_int_equal(accepted, NCONN);
	for (i = 0; i < NCONN; i++) {
		assert_int_equal(sockenv_wait(v[i].c, POLLOUT, TIMEOUT_MS) &
					 (POLLOUT | POLLERR | POLLHUP),
				 POLLOUT);
		memcpy(req, &magic, 4);
		memcpy(req + 4, &i, 4);
		sockenv_pattern_fill(req + REQ_HDR, req_len(i) - REQ_HDR,
				     0x20000 + i, 0);
		assert_int_equal(
			sockenv_send_all(v[i].c, req, req_len(i), TIMEOUT_MS),
			0);
		bytes += (long long)(req_len(i) + resp_len(i));
	}
	serve_requests(v, NCONN);
	read_responses(v, NCONN);
	for (i = 0; i < NCONN; i++) {
		by_port[sockenv_local_port(v[i].c)] = 0;
		close(v[i].c);
		close(v[i].s);
	}
	close(lfd);
	counters(&b);
	print_delta("1000 connections:", &a, &b);
	print_message("  %lld bytes exchanged\n", bytes);
	assert_int_equal(DELTA(a, b, pairs), NCONN);
	assert_int_equal(DELTA(a, b, sockets), 2 * NCONN);
	assert_int_equal(DELTA(a, b, no_peer), 0);
	assert_int_equal(DELTA(a, b, bytes), bytes);
	free(v);
}

/* --- 3. half-close ------------------------------------------------------- */

static void test_half_close(void **state)
{
	struct sockenv_counters a, b;
	const size_t req = 100000, resp = 200000;
	uint8_t *buf = malloc(resp + 1);
	size_t got;
	int c, s, err;

	(void)state;
	assert_non_null(buf);
	counters(&a);
	vip1_pair(&c, &s);
	send_pattern(c, req, 0x3001, 0);
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	/* The server reads the request to EOF ... */
	err = sockenv_recv_eof(s, buf, resp + 1, &got, TIMEOUT_MS);
	if (err)
		fail_msg("server read %zu then %s", got, strerror(-err));
	assert_int_equal(got, req);
	assert_int_equal(sockenv_pattern_check(buf, req, 0x3001, 0), req);
	/* ... then answers on its still open side, and closes. */
	send_pattern(s, resp, 0x3002, 0);
	assert_int_equal(close(s), 0);
	err = sockenv_recv_eof(c, buf, resp + 1, &got, TIMEOUT_MS);
	if (err)
		fail_msg("client read %zu then %s", got, strerror(-err));
	assert_int_equal(got, resp);
	assert_int_equal(sockenv_pattern_check(buf, resp, 0x3002, 0), resp);
	close(c);
	counters(&b);
	print_delta("half-close:", &a, &b);
	assert_int_equal(DELTA(a, b, pairs), 1);
	assert_int_equal(DELTA(a, b, bytes), req + resp);
	assert_int_equal(DELTA(a, b, no_peer), 0);
	free(buf);
}

/* --- 4. abrupt close, RST ------------------------------------------------- */

static void set_linger0(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)),
			 0);
}

/* Read what comes until EOF or an error, each wait bounded: the bytes
 * must be a correct prefix; returns 0 (EOF) or -errno. */
static int read_until_end(int fd, size_t max, uint64_t seed, size_t *got)
{
	uint8_t *buf = malloc(max + 1);
	ssize_t n;
	int rv;

	assert_non_null(buf);
	*got = 0;
	for (;;) {
		rv = sockenv_wait(fd, POLLIN, EVENT_MS);
		if (rv <= 0)
			fail_msg("no event within %d ms after %zu bytes "
				 "(poll %d)",
				 EVENT_MS, *got, rv);
		n = recv(fd, buf + *got, max + 1 - *got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		*got += (size_t)n;
		assert_true(*got <= max);
	}
	rv = n < 0 ? -errno : 0;
	assert_int_equal(sockenv_pattern_check(buf, *got, seed, 0), *got);
	free(buf);
	return rv;
}

static void test_abrupt_close(void **state)
{
	struct sockenv_counters a, b;
	size_t got;
	int c, s, rv, i;
	uint8_t x[4096];

	(void)state;
	/* (a) The server sends, then resets: the client gets a correct
	 * prefix, then ECONNRESET or EOF, promptly. */
	vip1_pair(&c, &s);
	send_pattern(s, 100000, 0x4001, 0);
	set_linger0(s);
	close(s);
	rv = read_until_end(c, 100000, 0x4001, &got);
	print_message("  server RST after 100000 B: client read %zu, then "
		      "%s\n",
		      got, rv ? strerror(-rv) : "EOF");
	assert_true(rv == 0 || rv == -ECONNRESET);
	close(c);

	/* (b) The client resets while the server waits for a request. */
	vip1_pair(&c, &s);
	set_linger0(c);
	close(c);
	rv = read_until_end(s, 0, 0, &got);
	print_message("  client RST, server waiting: %s\n",
		      rv ? strerror(-rv) : "EOF");
	assert_true(rv == 0 || rv == -ECONNRESET);
	close(s);

	/* (c) The client closes with unread data; the server keeps
	 * sending: its peer left sock_hash, so the server's socket goes
	 * TCP-only (one sockmap_no_peer), and its sends fail promptly. */
	vip1_pair(&c, &s);
	send_pattern(s, 10000, 0x4003, 0);
	counters(&a);
	close(c);
	rv = sockenv_wait(s, POLLIN, EVENT_MS);
	assert_true(rv > 0);
	rv = read_until_end(s, 0, 0, &got);
	print_message("  client closed with unread data: server reads %s\n",
		      rv ? strerror(-rv) : "EOF");
	assert_true(rv == 0 || rv == -ECONNRESET);
	memset(x, 'x', sizeof(x));
	for (i = 0; i < 100; i++) {
		rv = sockenv_send_all(s, x, sizeof(x), EVENT_MS);
		if (rv)
			break;
		usleep(10000);
	}
	print_message("  server send after peer close: %s after %d sends\n",
		      strerror(-rv), i);
	assert_true(rv == -EPIPE || rv == -ECONNRESET);
	close(s);
	counters(&b);
	print_delta("close with unread data:", &a, &b);
	assert_int_equal(DELTA(a, b, no_peer), 1);
	assert_int_equal(DELTA(a, b, bytes), 0);
}

/* --- 5. data queued before sockmap was enabled ------------------------------
 */

static void test_queued_before_enable(void **state)
{
	struct sockenv_counters a, b, c0;
	const size_t up = 65536, down = 32768, small = 10000;
	int lfd, c, s, c2, s2;
	char target[32];

	(void)state;
	snprintf(target, sizeof(target), "port %d", QUEUED_PORT);
	assert_false(sockmap_listed(target));
	lfd = sockenv_listen(SOCKENV_HOST2, QUEUED_PORT, 16);
	assert_true(lfd >= 0);
	counters(&c0);
	pair_on(lfd, SOCKENV_HOST2, QUEUED_PORT, &c, &s);
	/* Unread data in flight both ways. */
	send_pattern(c, up, 0x5001, 0);
	send_pattern(s, down, 0x5002, 0);
	usleep(50000);

	assert_int_equal(sockenv_ctl(&env, "sockmap enable %d", QUEUED_PORT),
			 0);
	assert_true(sockmap_listed(target));
	counters(&a);
	/* The old connection: more data, all of it in order, none of it
	 * on the short cut. */
	send_pattern(c, up, 0x5001, up);
	send_pattern(s, down, 0x5002, down);
	recv_pattern(s, 2 * up, 0x5001, 0);
	recv_pattern(c, 2 * down, 0x5002, 0);
	close_both(c, s);
	counters(&b);
	print_delta("connection from before enable:", &a, &b);
	assert_int_equal(DELTA(c0, b, sockets), 0);
	assert_int_equal(DELTA(c0, b, pairs), 0);
	assert_int_equal(DELTA(c0, b, msgs), 0);
	assert_int_equal(DELTA(c0, b, bytes), 0);
	assert_int_equal(DELTA(c0, b, no_peer), 0);

	/* A new one is paired now. */
	pair_on(lfd, SOCKENV_HOST2, QUEUED_PORT, &c2, &s2);
	send_pattern(c2, small, 0x5003, 0);
	send_pattern(s2, small, 0x5004, 0);
	recv_pattern(s2, small, 0x5003, 0);
	recv_pattern(c2, small, 0x5004, 0);
	close_both(c2, s2);
	counters(&a);
	print_delta("new connection:", &b, &a);
	assert_int_equal(DELTA(b, a, pairs), 1);
	assert_int_equal(DELTA(b, a, bytes), 2 * small);
	close(lfd);
	assert_int_equal(sockenv_ctl(&env, "sockmap disable %d", QUEUED_PORT),
			 0);
}

/* --- 6. nginx --------------------------------------------------------------
 */

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) || !ok ? -1 : 0;
}

static int nginx_setup(void **state)
{
	static char conf[40000];
	char path[PATH_MAX + 64], dir[PATH_MAX + 64];
	char *argv[] = {"/usr/sbin/nginx",
			"-p",
			env.tmpdir,
			"-c",
			path,
			"-e",
			dir,
			NULL};
	uint8_t *data;

	(void)state;
	if (access("/usr/sbin/nginx", X_OK)) {
		fprintf(stderr, "nginx not installed (make deps)\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/www", env.tmpdir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	data = malloc(NGINX_FILE_LEN);
	if (!data)
		return -1;
	sockenv_pattern_fill(data, NGINX_FILE_LEN, 0x6001, 0);
	snprintf(path, sizeof(path), "%s/www/file.bin", env.tmpdir);
	if (write_file(path, data, NGINX_FILE_LEN)) {
		free(data);
		return -1;
	}
	free(data);
	snprintf(conf, sizeof(conf),
		 "daemon off;\n"
		 "master_process off;\n"
		 "worker_processes 1;\n"
		 "pid %1$s/nginx.pid;\n"
		 "error_log %1$s/nginx-error.log warn;\n"
		 "events { worker_connections 1024; }\n"
		 "http {\n"
		 "  access_log off;\n"
		 "  default_type application/octet-stream;\n"
		 "  client_body_temp_path %1$s/body;\n"
		 "  proxy_temp_path %1$s/proxy;\n"
		 "  fastcgi_temp_path %1$s/fastcgi;\n"
		 "  uwsgi_temp_path %1$s/uwsgi;\n"
		 "  scgi_temp_path %1$s/scgi;\n"
		 "  sendfile on;\n"
		 "  keepalive_timeout 60;\n"
		 "  upstream be { server %2$s:%3$d; keepalive 4; }\n"
		 "  server {\n"
		 "    listen %4$s:%5$d;\n"
		 "    root %1$s/www;\n"
		 "    location / { }\n"
		 "  }\n"
		 "  server {\n"
		 "    listen %4$s:%6$d;\n"
		 "    location / {\n"
		 "      proxy_pass http://be;\n"
		 "      proxy_http_version 1.1;\n"
		 "      proxy_set_header Connection \"\";\n"
		 "    }\n"
		 "  }\n"
		 "}\n",
		 env.tmpdir, SOCKENV_HOST2, HTTPD_PORT, SOCKENV_HOST1,
		 NGINX_FILE, NGINX_PROXY);
	snprintf(path, sizeof(path), "%s/nginx.conf", env.tmpdir);
	if (write_file(path, conf, strlen(conf)))
		return -1;
	snprintf(dir, sizeof(dir), "%s/nginx-error.log", env.tmpdir);
	httpd_pid = sockenv_httpd(&env, "smap-be", SOCKENV_HOST2, HTTPD_PORT);
	if (httpd_pid < 0)
		return -1;
	nginx_pid = sockenv_spawn(&env, "nginx.out", argv);
	if (nginx_pid < 0 ||
	    sockenv_wait_listen(SOCKENV_HOST1, NGINX_FILE, 5000) ||
	    sockenv_wait_listen(SOCKENV_HOST1, NGINX_PROXY, 5000)) {
		run_cmdf("cat %s/nginx.out %s/nginx-error.log >&2", env.tmpdir,
			 env.tmpdir);
		return -1;
	}
	return 0;
}

static int nginx_teardown(void **state)
{
	(void)state;
	if (nginx_pid > 0)
		sockenv_kill(&env, nginx_pid);
	if (httpd_pid > 0)
		sockenv_kill(&env, httpd_pid);
	nginx_pid = httpd_pid = -1;
	return 0;
}

struct sink {
	uint64_t off;
	size_t bad;
	bool httpd; /* shunt-httpd's pattern, else ours (seed) */
	uint64_t seed;
};

static int check_sink(const void *data, size_t len, void *arg)
{
	struct sink *k = arg;
	size_t bad =
		k->httpd ? sockenv_httpd_check(data, len, k->off)
			 : sockenv_pattern_check(data, len, k->seed, k->off);

	if (bad != len && k->bad == (size_t)-1)
		k->bad = (size_t)(k->off + bad);
	k->off += len;
	return 0;
}

static void test_nginx_sendfile(void **state)
{
	struct sockenv_counters a, b;
	char out[256], path[PATH_MAX + 64];
	struct http_conn hc;
	struct sink k;
	unsigned long long total;
	uint8_t *data;
	FILE *f;
	size_t n;
	int status, i;

	(void)state;
	/* curl through the VIP. */
	snprintf(path, sizeof(path), "%s/curl.bin", env.tmpdir);
	counters(&a);
	assert_int_equal(run_capture(out, sizeof(out),
				     "curl -sS --noproxy '*' --max-time 20 "
				     "-o %s -w '%%{http_code} "
				     "%%{size_download}' http://%s/file.bin",
				     path, VIP2),
			 0);
	counters(&b);
	print_message("  curl: %s\n", out);
	print_delta("curl 3 MiB via VIP:", &a, &b);
	assert_string_equal(out, "200 3145728");
	data = malloc(NGINX_FILE_LEN + 1);
	assert_non_null(data);
	f = fopen(path, "re");
	assert_non_null(f);
	n = fread(data, 1, NGINX_FILE_LEN + 1, f);
	fclose(f);
	assert_int_equal(n, NGINX_FILE_LEN);
	assert_int_equal(sockenv_pattern_check(data, n, 0x6001, 0), n);
	free(data);
	assert_int_equal(DELTA(a, b, pairs), 1);
	assert_true(DELTA(a, b, bytes) >= NGINX_FILE_LEN);

	/* A keep-alive client of our own: three times over one connection. */
	counters(&a);
	assert_int_equal(http_connect(&hc, NULL, VIP2, 80, TIMEOUT_MS), 0);
	for (i = 0; i < 3; i++) {
		memset(&k, 0, sizeof(k));
		k.bad = (size_t)-1;
		k.seed = 0x6001;
		assert_int_equal(http_get_sink(&hc, "/file.bin", i == 2,
					       &status, check_sink, &k, &total,
					       TIMEOUT_MS),
				 0);
		assert_int_equal(status, 200);
		assert_int_equal(total, NGINX_FILE_LEN);
		if (k.bad != (size_t)-1)
			fail_msg("request %d: byte %zu differs", i, k.bad);
	}
	http_close(&hc);
	counters(&b);
	print_delta("3 x 3 MiB, one connection:", &a, &b);
	assert_int_equal(DELTA(a, b, pairs), 1);
	assert_true(DELTA(a, b, bytes) >= 3 * NGINX_FILE_LEN);
	assert_true(sockenv_alive(&env, nginx_pid));
}

static void test_nginx_proxy(void **state)
{
	static const unsigned long sizes[] = {
		0, 1, 1000, 65535, 65536, 1UL << 20, 3UL << 20, 7,
	};
	struct sockenv_counters a, b;
	unsigned long long total, body = 0;
	struct http_conn hc;
	char req[64];
	struct sink k;
	int status, round;
	size_t i;

	(void)state;
	counters(&a);
	for (round = 0; round < 2; round++) {
		assert_int_equal(http_connect(&hc, NULL, SOCKENV_HOST1,
					      NGINX_PROXY, TIMEOUT_MS),
				 0);
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			memset(&k, 0, sizeof(k));
			k.bad = (size_t)-1;
			k.httpd = true;
			snprintf(req, sizeof(req), "/bytes/%lu", sizes[i]);
			assert_int_equal(http_get_sink(&hc, req, 0, &status,
						       check_sink, &k, &total,
						       TIMEOUT_MS),
					 0);
			assert_int_equal(status, 200);
			assert_int_equal(total, sizes[i]);
			if (k.bad != (size_t)-1)
				fail_msg("%s: byte %zu differs", req, k.bad);
			body += sizes[i];
		}
		http_close(&hc);
	}
	counters(&b);
	print_delta("proxy, 2 x 8 requests:", &a, &b);
	/* client <-> nginx twice, nginx <-> backend once (kept alive and
	 * reused by all 16 requests); every body crossed both hops on the
	 * short cut. */
	assert_int_equal(DELTA(a, b, pairs), 3);
	assert_int_equal(DELTA(a, b, sockets), 6);
	assert_true(DELTA(a, b, bytes) >= (long long)(2 * body));
	assert_int_equal(DELTA(a, b, no_peer), 0);
	assert_true(sockenv_alive(&env, nginx_pid));
	assert_true(sockenv_alive(&env, httpd_pid));
}

/* --- 7. disabled ------------------------------------------------------------
 */

static void test_disabled(void **state)
{
	struct sockenv_counters a, b;
	const size_t len = 100000;
	int lfd, c1, s1, c2, s2;
	char target[32], err[512];

	(void)state;
	snprintf(target, sizeof(target), "port %d", DISABLE_PORT);
	lfd = sockenv_listen(SOCKENV_HOST2, DISABLE_PORT, 16);
	assert_true(lfd >= 0);
	assert_int_equal(sockenv_ctl(&env, "sockmap enable %d", DISABLE_PORT),
			 0);
	assert_true(sockmap_listed(target));
	counters(&a);
	pair_on(lfd, SOCKENV_HOST2, DISABLE_PORT, &c1, &s1);
	send_pattern(c1, len, 0x7001, 0);
	recv_pattern(s1, len, 0x7001, 0);
	counters(&b);
	assert_int_equal(DELTA(a, b, pairs), 1);
	assert_int_equal(DELTA(a, b, bytes), len);

	assert_int_equal(sockenv_ctl(&env, "sockmap disable %d", DISABLE_PORT),
			 0);
	assert_false(sockmap_listed(target));
	counters(&a);
	pair_on(lfd, SOCKENV_HOST2, DISABLE_PORT, &c2, &s2);
	send_pattern(c2, len, 0x7002, 0);
	send_pattern(s2, len, 0x7003, 0);
	recv_pattern(s2, len, 0x7002, 0);
	recv_pattern(c2, len, 0x7003, 0);
	close_both(c2, s2);
	counters(&b);
	print_delta("new connection after disable:", &a, &b);
	assert_int_equal(DELTA(a, b, sockets), 0);
	assert_int_equal(DELTA(a, b, pairs), 0);
	assert_int_equal(DELTA(a, b, msgs), 0);
	assert_int_equal(DELTA(a, b, bytes), 0);

	/* The pair from before keeps working. */
	counters(&a);
	send_pattern(s1, len, 0x7004, 0);
	recv_pattern(c1, len, 0x7004, 0);
	close_both(c1, s1);
	counters(&b);
	print_delta("pair from before disable:", &a, &b);
	close(lfd);
	/* Disabling what is not enabled is an error, naming it. */
	assert_int_not_equal(sockenv_ctl_stderr(&env, err, sizeof(err),
						"sockmap disable %d",
						DISABLE_PORT),
			     0);
	assert_non_null(strstr(err, target));
}

/* --- 8. blocking readers and tcp_bpf's EAGAIN ------------------------------
 */

/*
 * A socket in sock_hash reads through tcp_bpf_recvmsg(). A blocking
 * recv() asleep there that is woken with nothing queued for it returns
 * -1/EAGAIN, which a blocking socket without SO_RCVTIMEO never does on
 * the plain TCP path; the next recv() gives what plain TCP gives (the
 * data, 0, or ECONNRESET and then 0). What wakes it so, on 6.18:
 *
 *  - the peer's RST: EAGAIN, then ECONNRESET, then 0 (every time);
 *  - the ACK of the reader's own FIN, when it shut down its side first
 *    (shutdown(SHUT_WR), then waiting for the answer): EAGAIN, with or
 *    before the answer's data; with an RST later on, that makes two;
 *  - the peer's FIN itself: no, recv() returns 0, whether the reader's
 *    side is open or shut down.
 *
 * So a blocking reader must take EAGAIN as "try again" (at most one per
 * such event, never a timeout: the socket has no SO_RCVTIMEO for the
 * reader to have asked for one); poll()-driven readers (nginx, curl, all
 * the other tests here) never notice. The test asserts a retrying reader
 * gets every byte and the right end with no more EAGAINs than that, shows
 * how often each case happened, and checks that plain TCP never does it.
 */
enum peer_end { END_CLOSE, END_SHUTDOWN, END_RST, N_ENDS };

static const char *const end_names[N_ENDS] = {"close()", "shutdown(WR)", "RST"};

struct blocking_reader {
	int fd;
	size_t total;
	int eagain;	     /* EAGAIN returns */
	long long eagain_ms; /* the longest an EAGAIN recv() slept */
	bool reset;	     /* ECONNRESET, once */
	int err;	     /* anything else */
	bool eof;
	volatile bool waiting; /* in recv() */
	char log[256];	       /* what each recv() returned, after how long */
	size_t loglen;
	volatile pid_t tid;
	pthread_t th;
};

static void reader_log(struct blocking_reader *r, ssize_t n, int e,
		       long long ms)
{
	if (r->loglen >= sizeof(r->log) - 40)
		return;
	r->loglen +=
		(size_t)snprintf(r->log + r->loglen, sizeof(r->log) - r->loglen,
				 "%s%s(%lldms)", r->loglen ? " " : "",
				 n > 0	       ? "data"
				 : !n	       ? "0"
				 : e == EAGAIN ? "EAGAIN"
					       : strerror(e),
				 ms);
}

/* Blocking recv() until EOF; EAGAIN and one ECONNRESET are retried. */
static void *blocking_reader_main(void *arg)
{
	struct blocking_reader *r = arg;
	char buf[65536];
	long long t0, ms;
	ssize_t n;
	int e;

	__atomic_store_n(&r->tid, gettid(), __ATOMIC_SEQ_CST);
	for (;;) {
		t0 = sockenv_now_ms();
		__atomic_store_n(&r->waiting, true, __ATOMIC_SEQ_CST);
		n = recv(r->fd, buf, sizeof(buf), 0);
		e = errno;
		__atomic_store_n(&r->waiting, false, __ATOMIC_SEQ_CST);
		ms = sockenv_now_ms() - t0;
		reader_log(r, n, e, ms);
		if (n > 0) {
			__atomic_add_fetch(&r->total, (size_t)n,
					   __ATOMIC_SEQ_CST);
			continue;
		}
		if (!n) {
			r->eof = true;
			break;
		}
		if (e == EINTR)
			continue;
		if (e == EAGAIN && ++r->eagain <= 5) {
			if (ms > r->eagain_ms)
				r->eagain_ms = ms;
			continue;
		}
		if (e == ECONNRESET && !r->reset) {
			r->reset = true;
			continue;
		}
		r->err = e;
		break;
	}
	return NULL;
}

/* Thread state from /proc: 'S' while it sleeps in recv(). */
static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return '?';
	return p[2];
}

/*
 * One connection: a blocking reader on c (its own side shut down first
 * when half) gets len bytes, then the end chosen for s while it sleeps in
 * recv(). Returns its EAGAINs, at most one per wake-up without data: the
 * ACK of its FIN (half), the RST.
 */
static int blocking_read_at_end(int c, int s, size_t len, bool half,
				enum peer_end end)
{
	static struct blocking_reader r;
	struct timeval tv = {.tv_sec = 5};
	long long deadline;
	struct timespec ts;
	const char *how = half ? "shut down" : "open";

	/* a hang shows as an EAGAIN after 5 s, not as a hung test */
	assert_int_equal(
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (half) {
		assert_int_equal(shutdown(c, SHUT_WR), 0);
		expect_eof(s);
	}
	memset(&r, 0, sizeof(r));
	r.fd = c;
	assert_int_equal(pthread_create(&r.th, NULL, blocking_reader_main, &r),
			 0);
	send_pattern(s, len, 0x8001, 0);
	/* Until the reader has it all and sleeps in recv() again: the end
	 * must find it waiting. */
	deadline = sockenv_now_ms() + TIMEOUT_MS;
	while (sockenv_now_ms() < deadline &&
	       !(__atomic_load_n(&r.total, __ATOMIC_SEQ_CST) == len &&
		 __atomic_load_n(&r.waiting, __ATOMIC_SEQ_CST) &&
		 thread_state(__atomic_load_n(&r.tid, __ATOMIC_SEQ_CST)) ==
			 'S'))
		usleep(1000);
	usleep(20000);
	assert_int_equal(thread_state(r.tid), 'S');
	switch (end) {
	case END_CLOSE:
		assert_int_equal(close(s), 0);
		break;
	case END_SHUTDOWN:
		assert_int_equal(shutdown(s, SHUT_WR), 0);
		break;
	default:
		set_linger0(s);
		assert_int_equal(close(s), 0);
		break;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	if (pthread_timedjoin_np(r.th, NULL, &ts)) {
		shutdown(c, SHUT_RDWR); /* wake it for good */
		pthread_join(r.th, NULL);
		fail_msg("blocking reader (%s) hangs at %s (recv: %s)", how,
			 end_names[end], r.log);
	}
	if (end == END_SHUTDOWN)
		close(s);
	close(c);
	if (r.err || r.total != len || !r.eof || r.reset != (end == END_RST) ||
	    r.eagain > half + (end == END_RST) || r.eagain_ms >= 4000)
		fail_msg("blocking reader (%s) at %s: %zu of %zu bytes, "
			 "recv: %s",
			 how, end_names[end], r.total, len, r.log);
	return r.eagain;
}

static void test_blocking_reader_eagain(void **state)
{
	enum { ITER = 10, LEN = 100000 };
	int lfd, c, s, i, end, half, n, plain = 0;
	int seen[2][N_ENDS][3] = {{{0}}}; /* readers with 0, 1, 2 EAGAINs */

	(void)state;
	/* Plain TCP first: never an EAGAIN. */
	lfd = sockenv_listen(SOCKENV_HOST2, PLAIN_PORT, 16);
	assert_true(lfd >= 0);
	for (half = 0; half < 2; half++) {
		for (end = 0; end < N_ENDS; end++) {
			for (i = 0; i < 3; i++) {
				pair_on(lfd, SOCKENV_HOST2, PLAIN_PORT, &c, &s);
				plain += blocking_read_at_end(c, s, LEN, half,
							      end);
			}
		}
	}
	close(lfd);
	assert_int_equal(plain, 0);
	for (half = 0; half < 2; half++) {
		for (end = 0; end < N_ENDS; end++) {
			for (i = 0; i < ITER; i++) {
				vip1_pair(&c, &s);
				n = blocking_read_at_end(c, s, LEN, half, end);
				seen[half][end][n]++;
			}
		}
	}
	print_message("  blocking readers of a sockmap pair with 0/1/2 "
		      "EAGAINs (of %d), by the peer's end:\n",
		      ITER);
	for (half = 0; half < 2; half++) {
		print_message("    reader's side %-9s",
			      half ? "shut down:" : "open:");
		for (end = 0; end < N_ENDS; end++)
			print_message("  %s %d/%d/%d", end_names[end],
				      seen[half][end][0], seen[half][end][1],
				      seen[half][end][2]);
		print_message("\n");
	}
	print_message("    plain TCP: %d EAGAINs in %d connections\n", plain,
		      2 * N_ENDS * 3);
}

/* --- more: peer outside, IPv6, sending before accept -----------------------
 */

/* A connecting socket whose peer never joins (the server is outside the
 * attached cgroup): its first send finds no peer (one sockmap_no_peer),
 * it stays TCP-only, and everything arrives in order. */
static void test_peer_never_joins(void **state)
{
	struct sockenv_counters a, b;
	const size_t len = 1U << 20;
	uint8_t *buf = malloc(len);
	size_t off;
	int lfd, c, s;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(sockenv_outside(&env, true), 0);
	lfd = sockenv_listen(SOCKENV_HOST2, OUTSIDE_PORT, 16);
	assert_int_equal(sockenv_outside(&env, false), 0);
	assert_true(lfd >= 0);
	assert_int_equal(sockenv_ctl(&env, "sockmap enable %d", OUTSIDE_PORT),
			 0);
	counters(&a);
	pair_on(lfd, SOCKENV_HOST2, OUTSIDE_PORT, &c, &s);
	sockenv_pattern_fill(buf, len, 0x9001, 0);
	/* many sends: only the first one counts as no_peer */
	for (off = 0; off < len; off += 4096)
		assert_int_equal(
			sockenv_send_all(c, buf + off, 4096, TIMEOUT_MS), 0);
	recv_pattern(s, len, 0x9001, 0);
	send_pattern(s, len, 0x9002, 0);
	recv_pattern(c, len, 0x9002, 0);
	close_both(c, s);
	counters(&b);
	print_delta("peer outside the cgroup:", &a, &b);
	assert_int_equal(DELTA(a, b, sockets), 1);
	assert_int_equal(DELTA(a, b, pairs), 0);
	assert_int_equal(DELTA(a, b, bytes), 0);
	assert_int_equal(DELTA(a, b, no_peer), 1);
	close(lfd);
	assert_int_equal(sockenv_ctl(&env, "sockmap disable %d", OUTSIDE_PORT),
			 0);
	free(buf);
}

static int sock6(const char *addr, int port, bool listening)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
				  .sin6_port = htons((unsigned short)port)};
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), off = 0;

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET6, addr, &sa.sin6_addr), 1);
	assert_int_equal(
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)),
		0);
	if (listening) {
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &fd,
					    sizeof(fd)),
				 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		assert_int_equal(listen(fd, 16), 0);
	} else {
		assert_int_equal(
			connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	return fd;
}

/* Both ends IPv6, and IPv4 meeting an IPv6 socket (v4-mapped): each
 * pair finds its peer, whatever the families of its two sockets. */
static void test_ipv6_and_mapped(void **state)
{
	static const struct {
		const char *what, *listen, *connect;
		bool v4client;
	} cases[] = {
		{"IPv6 ::1", "::", "::1", false},
		{"IPv4 client, dual-stack server", "::", "127.0.0.3", true},
		{"v4-mapped client, IPv4 server", NULL, "::ffff:127.0.0.3",
		 false},
	};
	struct sockenv_counters a, b;
	const size_t len = 100000;
	int lfd, c, s;
	size_t i;

	(void)state;
	assert_int_equal(sockenv_ctl(&env, "sockmap enable %d", V6_PORT), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lfd = cases[i].listen
			      ? sock6(cases[i].listen, V6_PORT, true)
			      : sockenv_listen(SOCKENV_HOST2, V6_PORT, 16);
		assert_true(lfd >= 0);
		counters(&a);
		if (cases[i].v4client) {
			c = sockenv_connect(cases[i].connect, V6_PORT,
					    TIMEOUT_MS);
			assert_true(c >= 0);
		} else {
			c = sock6(cases[i].connect, V6_PORT, false);
		}
		s = sockenv_accept(lfd, TIMEOUT_MS);
		assert_true(s >= 0);
		assert_int_equal(sockenv_remote_port(s), sockenv_local_port(c));
		send_pattern(c, len, 0xa001 + 2 * i, 0);
		send_pattern(s, len, 0xa002 + 2 * i, 0);
		recv_pattern(s, len, 0xa001 + 2 * i, 0);
		recv_pattern(c, len, 0xa002 + 2 * i, 0);
		close_both(c, s);
		close(lfd);
		counters(&b);
		print_delta(cases[i].what, &a, &b);
		assert_int_equal(DELTA(a, b, pairs), 1);
		assert_int_equal(DELTA(a, b, bytes), 2 * len);
		assert_int_equal(DELTA(a, b, no_peer), 0);
	}
	assert_int_equal(sockenv_ctl(&env, "sockmap disable %d", V6_PORT), 0);
}

/*
 * Clients that send their request the moment connect() returns, as curl
 * does, before the server accepted: a request may find the accepted end
 * not joined yet and take the TCP path for good (a no_peer), but every
 * byte arrives in order, every connection ends up paired, and every
 * response (sent after accept) takes the short cut.
 */
static void test_send_before_accept(void **state)
{
	enum { N = 200 };
	struct sockenv_counters a, b;
	long long resp = 0, req = 0;
	static int by_port[65536];
	int lfd, c[N], s, i, k, port;
	uint8_t buf[4096];
	size_t len;

	(void)state;
	memset(by_port, 0, sizeof(by_port));
	lfd = sockenv_listen(SOCKENV_HOST2, EARLY_PORT, 2 * N);
	assert_true(lfd >= 0);
	assert_int_equal(sockenv_ctl(&env, "sockmap enable %d", EARLY_PORT), 0);
	counters(&a);
	for (i = 0; i < N; i++) {
		c[i] = sockenv_connect(SOCKENV_HOST2, EARLY_PORT, TIMEOUT_MS);
		assert_true(c[i] >= 0);
		len = 100 + (size_t)i * 13;
		sockenv_pattern_fill(buf, len, 0xb000 + i, 0);
		assert_int_equal(sockenv_send_all(c[i], buf, len, TIMEOUT_MS),
				 0);
		req += (long long)len;
		by_port[sockenv_local_port(c[i])] = i + 1;
	}
	for (i = 0; i < N; i++) {
		s = sockenv_accept(lfd, TIMEOUT_MS);
		assert_true(s >= 0);
		port = sockenv_remote_port(s);
		assert_true(port > 0 && by_port[port] > 0);
		k = by_port[port] - 1;
		recv_pattern(s, 100 + (size_t)k * 13, 0xb000 + k, 0);
		len = 1000 + (size_t)k * 17;
		send_pattern(s, len, 0xc000 + k, 0);
		resp += (long long)len;
		recv_pattern(c[k], len, 0xc000 + k, 0);
		close_both(c[k], s);
	}
	close(lfd);
	counters(&b);
	print_delta("200 x send before accept:", &a, &b);
	assert_int_equal(DELTA(a, b, pairs), N);
	assert_true(DELTA(a, b, no_peer) <= N);
	/* responses all redirected; requests that found their peer too */
	assert_true(DELTA(a, b, bytes) >= resp);
	assert_true(DELTA(a, b, bytes) <= resp + req);
	assert_int_equal(sockenv_ctl(&env, "sockmap disable %d", EARLY_PORT),
			 0);
}

/*
 * The TCP-only rule, made deterministic: the handshake's last ACK from
 * the client is dropped, so the client is established (and in sock_hash)
 * while the server end is not. The client's first send finds no peer and
 * takes the TCP path; its data completes the handshake and the server end
 * joins. Its next send must take the TCP path too: redirected, it would
 * overtake the first one, still in the server's TCP receive queue.
 */
static void test_tcp_only_keeps_order(void **state)
{
	char rule[256];
	struct sockenv_counters a, b;
	const size_t len = 1000;
	int lfd, c, s;

	(void)state;
	snprintf(rule, sizeof(rule),
		 "OUTPUT -o lo -p tcp -d %s --dport %d --tcp-flags "
		 "SYN,ACK,FIN,RST ACK -m length --length 0:64 -j DROP",
		 SOCKENV_HOST2, ORDER_PORT);
	lfd = sockenv_listen(SOCKENV_HOST2, ORDER_PORT, 16);
	assert_true(lfd >= 0);
	assert_int_equal(sockenv_ctl(&env, "sockmap enable %d", ORDER_PORT), 0);
	assert_int_equal(run_cmdf("iptables -A %s", rule), 0);
	counters(&a);
	c = sockenv_connect(SOCKENV_HOST2, ORDER_PORT, TIMEOUT_MS);
	assert_true(c >= 0);
	/* the server end is still a request: nothing to accept */
	assert_int_equal(sockenv_wait(lfd, POLLIN, 100), 0);
	send_pattern(c, len, 0xd001, 0);
	s = sockenv_accept(lfd, TIMEOUT_MS);
	assert_true(s >= 0);
	assert_int_equal(run_cmdf("iptables -D %s", rule), 0);
	send_pattern(c, len, 0xd001, len);
	send_pattern(c, len, 0xd001, 2 * len);
	recv_pattern(s, 3 * len, 0xd001, 0);
	/* the server's sends still take the short cut */
	send_pattern(s, len, 0xd002, 0);
	recv_pattern(c, len, 0xd002, 0);
	close_both(c, s);
	counters(&b);
	print_delta("client sent before its peer joined:", &a, &b);
	assert_int_equal(DELTA(a, b, pairs), 1);
	assert_int_equal(DELTA(a, b, no_peer), 1);
	assert_int_equal(DELTA(a, b, bytes), len);
	close(lfd);
	assert_int_equal(sockenv_ctl(&env, "sockmap disable %d", ORDER_PORT),
			 0);
}

/*
 * The three targets a connecting socket is matched against, in turn: the
 * service it asked for (VIP1 in the other tests), that service's port,
 * and the port it is connected to (the others). Here the service's port:
 * `sockmap enable 80` pairs connections to any VIP:80, but not direct
 * connections to the backend's port.
 */
static void test_service_port_target(void **state)
{
	struct sockenv_counters a, b;
	const size_t len = 50000;
	int lfd, c, s;

	(void)state;
	assert_int_equal(sockenv_ctl(&env, "service add %s:80/tcp", VIP3), 0);
	assert_int_equal(sockenv_ctl(&env, "backend add %s:80/tcp %s:%d", VIP3,
				     SOCKENV_HOST2, VIP3_BE_PORT),
			 0);
	lfd = sockenv_listen(SOCKENV_HOST2, VIP3_BE_PORT, 16);
	assert_true(lfd >= 0);
	assert_int_equal(sockenv_ctl(&env, "sockmap enable 80"), 0);
	assert_true(sockmap_listed("port 80"));
	counters(&a);
	pair_on(lfd, VIP3, 80, &c, &s);
	send_pattern(c, len, 0xe001, 0);
	recv_pattern(s, len, 0xe001, 0);
	close_both(c, s);
	counters(&b);
	print_delta("VIP:80 with port 80 enabled:", &a, &b);
	assert_int_equal(DELTA(a, b, pairs), 1);
	assert_int_equal(DELTA(a, b, bytes), len);
	/* straight to the backend: its port is not enabled */
	counters(&a);
	pair_on(lfd, SOCKENV_HOST2, VIP3_BE_PORT, &c, &s);
	send_pattern(c, len, 0xe002, 0);
	recv_pattern(s, len, 0xe002, 0);
	close_both(c, s);
	counters(&b);
	print_delta("its backend, directly:", &a, &b);
	assert_int_equal(DELTA(a, b, sockets), 0);
	assert_int_equal(DELTA(a, b, bytes), 0);
	assert_int_equal(sockenv_ctl(&env, "sockmap disable 80"), 0);
	counters(&a);
	pair_on(lfd, VIP3, 80, &c, &s);
	close_both(c, s);
	counters(&b);
	assert_int_equal(DELTA(a, b, sockets), 0);
	close(lfd);
}

/* --- loopback in two network namespaces ------------------------------------
 */

/* A connection 127.0.0.1:LOOP_CPORT -> 127.0.0.1:LOOP_PORT in this
 * network namespace: *c the client, *s the server's end (lfd listens). */
static int loop_connect(int *lfd, int *c, int *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int one = 1;

	*lfd = sockenv_listen("127.0.0.1", LOOP_PORT, 8);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*lfd < 0 || *c < 0)
		return -1;
	setsockopt(*c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(LOOP_CPORT);
	if (bind(*c, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	a.sin_port = htons(LOOP_PORT);
	if (connect(*c, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	*s = sockenv_accept(*lfd, TIMEOUT_MS);
	return *s < 0 ? -1 : 0;
}

/* tag's bytes from c to s and back: each end gets exactly them. */
static int loop_exchange(int c, int s, const char *tag)
{
	char buf[64];
	size_t len = strlen(tag), got = 0;

	if (sockenv_send_all(c, tag, len, TIMEOUT_MS) ||
	    sockenv_recv_full(s, buf, len, &got, TIMEOUT_MS) || got != len ||
	    memcmp(buf, tag, len))
		return -1;
	got = 0;
	if (sockenv_send_all(s, tag, len, TIMEOUT_MS) ||
	    sockenv_recv_full(c, buf, len, &got, TIMEOUT_MS) || got != len ||
	    memcmp(buf, tag, len))
		return -1;
	return 0;
}

/* In a child: a network namespace of its own with lo up. */
static int own_netns(void)
{
	struct ifreq ifr;
	int fd, rc;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!rc)
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return rc;
}

/*
 * Loopback addresses are every network namespace's own: two pods (here
 * this test and a child in a namespace of its own, one cgroup) each with
 * a connection 127.0.0.1:9901 -> 127.0.0.1:9900 have equal addresses and
 * ports. Both pairs join the sockmap, each keyed with its namespace's
 * cookie, and each end gets only its own namespace's bytes, redirected.
 */
static void test_loopback_per_netns(void **state)
{
	struct sockenv_counters a, b;
	int lfd, c, s, status;
	pid_t pid;

	(void)state;
	assert_int_equal(sockenv_ctl(&env, "sockmap enable %d", LOOP_PORT), 0);
	assert_int_equal(sockenv_counters(&env, &a), 0);
	assert_int_equal(loop_connect(&lfd, &c, &s), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int cl, cc, cs;

		if (own_netns() || loop_connect(&cl, &cc, &cs) ||
		    loop_exchange(cc, cs, "bytes of the child's namespace"))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(loop_exchange(c, s, "bytes of the test's namespace"),
			 0);
	assert_int_equal(sockenv_counters(&env, &b), 0);
	print_message("  two namespaces: pairs +%lld msgs +%lld\n",
		      b.pairs - a.pairs, b.msgs - a.msgs);
	assert_int_equal(b.pairs - a.pairs, 2);
	assert_true(b.msgs - a.msgs >= 4);
	close(c);
	close(s);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integrity),
		cmocka_unit_test(test_thousand_connections),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_abrupt_close),
		cmocka_unit_test(test_queued_before_enable),
		cmocka_unit_test_setup_teardown(test_nginx_sendfile,
						nginx_setup, nginx_teardown),
		cmocka_unit_test_setup_teardown(test_nginx_proxy, nginx_setup,
						nginx_teardown),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_blocking_reader_eagain),
		cmocka_unit_test(test_peer_never_joins),
		cmocka_unit_test(test_ipv6_and_mapped),
		cmocka_unit_test(test_send_before_accept),
		cmocka_unit_test(test_tcp_only_keeps_order),
		cmocka_unit_test(test_service_port_target),
		cmocka_unit_test(test_loopback_per_netns),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
