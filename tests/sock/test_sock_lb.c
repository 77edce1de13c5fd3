// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The socket-level load balancer (bpf/sock_lb.bpf.c) as a process in a
 * cgroup meets it: connect() and UDP sendmsg() to a service VIP reach a
 * backend, getpeername() and recvfrom() show the VIP, a service without
 * an active backend refuses at once (ECONNREFUSED), drained and removed
 * backends take no new sockets, excluded cgroup subtrees and processes
 * outside the attached cgroup are left alone, detach stops it all.
 *
 * World: a private network namespace (unshare) with only lo, holding the
 * backends (shunt-httpd on 127.0.0.2/.3 and fd00:b::2/::3, TCP 8080, UDP
 * 5353), a private pin root /sys/fs/bpf/shunt-sock-lb-PID and a test
 * cgroup <cgroup2 root>/shunt-test-sock-lb-PID (with a child "excluded"
 * and a grandchild "excluded/nested") where shuntctl attaches the socket
 * programs. The VIPs are not routable
 * here: a socket the programs leave alone fails with ENETUNREACH.
 *
 * Client work runs in "agents": forked children that first move
 * themselves into a test cgroup, then do socket work on request (over a
 * SOCK_SEQPACKET socketpair) and report what they saw. The test process
 * itself stays outside the test cgroup.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include <cmocka.h>

#include "cgroup.h"
#include "httpc.h"
#include "netns.h"

#define VIP4	    "10.96.0.10"
#define VIP6	    "fd00:96::10"
#define VIP4_MAPPED "::ffff:10.96.0.10"
#define SVC4_TCP    VIP4 ":80/tcp"
#define SVC6_TCP    "[" VIP6 "]:80/tcp"
#define SVC4_UDP    VIP4 ":53/udp"
#define SVC6_UDP    "[" VIP6 "]:53/udp"
#define HTTP_PORT   8080
#define UDP_PORT    5353
#define TIMEOUT_MS  3000
#define FRESH	    40 /* new connections per spread check */
#define MAX_AGENTS  16
#define HOLD_SLOTS  4

/* ---- the world ---- */

static const struct {
	const char *name;
	const char *addr;
} servers[] = {
	{"v4-b2", "127.0.0.2"},
	{"v4-b3", "127.0.0.3"},
	{"v6-b2", "fd00:b::2"},
	{"v6-b3", "fd00:b::3"},
};
#define N_SERVERS (sizeof(servers) / sizeof(servers[0]))

static char ctl[4200];
static char httpd[4200];
static char pin_root[128];
static char cg_root[PATH_MAX];
static char cg_test[PATH_MAX];
static char cg_child[PATH_MAX];
static char cg_nested[PATH_MAX];
static pid_t server_pids[N_SERVERS];
static pid_t agent_pids[MAX_AGENTS];
static int agent_fds[MAX_AGENTS];
static bool cleaned = true;
static char out[1 << 16];

static int ctl_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run shuntctl with the test's pin root; its stdout in out[]. */
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

#define CTL_OK(...) assert_int_equal(ctl_run(__VA_ARGS__), 0)

/* A global datapath counter from `shuntctl stats --json`. */
static long long counter(const char *name)
{
	struct json_object *root, *dp, *v;
	long long n;

	assert_int_equal(ctl_run("stats --json"), 0);
	root = json_tokener_parse(out);
	assert_non_null(root);
	if (!json_object_object_get_ex(root, "datapath", &dp) ||
	    !json_object_object_get_ex(dp, name, &v))
		fail_msg("stats --json has no datapath counter %s", name);
	n = json_object_get_int64(v);
	json_object_put(root);
	return n;
}

/* The counters these tests look at, all at once. */
enum {
	C_CONNECT,
	C_SENDMSG,
	C_RECVMSG,
	C_PEERNAME,
	C_NO_BACKEND,
	C_EXCLUDED,
	C_AFFINITY,
	C_N,
};
static const char *const counter_names[C_N] = {
	"sock_connect",		"sock_sendmsg",	   "sock_recvmsg_rev",
	"sock_getpeername_rev", "sock_no_backend", "sock_excluded",
	"affinity_hit",
};

struct counters {
	long long v[C_N];
};

static void counters_read(struct counters *c)
{
	int i;

	for (i = 0; i < C_N; i++)
		c->v[i] = counter(counter_names[i]);
}

/* Every counter moved by exactly what want[] says (others: 0). */
static void counters_expect(const struct counters *before,
			    const long long want[C_N])
{
	struct counters now;
	bool bad = false;
	int i;

	counters_read(&now);
	for (i = 0; i < C_N; i++) {
		long long d = now.v[i] - before->v[i];

		if (d != want[i]) {
			print_error("counter %s: +%lld, expected +%lld\n",
				    counter_names[i], d, want[i]);
			bad = true;
		}
	}
	if (bad)
		fail_msg("counters moved unexpectedly");
}

/* ---- cleanup (group teardown and atexit) ---- */

static void reap(pid_t *pid, int sig)
{
	if (*pid <= 0)
		return;
	kill(*pid, sig);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Move every process of cgroup dir to the cgroup root. */
static void cgroup_empty(const char *dir)
{
	char path[PATH_MAX + 32], root_procs[PATH_MAX + 32], line[32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(root_procs, sizeof(root_procs), "%s/cgroup.procs", cg_root);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		write_str(root_procs, line);
	}
	fclose(f);
}

/* rmdir, waiting out a cgroup that is still draining exited tasks. */
static void cgroup_remove(const char *dir)
{
	int i;

	if (!dir[0])
		return;
	for (i = 0; i < 100; i++) {
		cgroup_empty(dir);
		if (!rmdir(dir) || errno == ENOENT)
			return;
		usleep(20000);
	}
	fprintf(stderr, "test_sock_lb: cannot remove %s: %s\n", dir,
		strerror(errno));
}

/* Agents a failed test left behind. */
static void agents_kill(void)
{
	size_t i;

	for (i = 0; i < MAX_AGENTS; i++) {
		if (!agent_pids[i])
			continue;
		close(agent_fds[i]);
		reap(&agent_pids[i], SIGKILL);
	}
}

static void cleanup(void)
{
	size_t i;

	if (cleaned)
		return;
	cleaned = true;
	agents_kill();
	for (i = 0; i < N_SERVERS; i++)
		reap(&server_pids[i], SIGTERM);
	if (ctl[0] && pin_root[0])
		run_cmdf("%s --pin-root %s unload >/dev/null 2>&1", ctl,
			 pin_root);
	cgroup_remove(cg_nested);
	cgroup_remove(cg_child);
	cgroup_remove(cg_test);
	if (!strncmp(pin_root, "/sys/fs/bpf/shunt-sock-lb-", 26))
		run_cmdf("rm -rf %s", pin_root);
}

/* Killed (a timeout): clean up through atexit. Should the cleanup hang
 * (the signal came in the middle of malloc), SIGALRM ends it; the test
 * runner's sweep removes what is left. */
static void on_signal(int sig)
{
	signal(sig, SIG_DFL);
	alarm(10);
	exit(1);
}

/* ---- backends ---- */

/* Start shunt-httpd NAME on ADDR; returns once it listens. It dies with
 * this process (PR_SET_PDEATHSIG) should the cleanup never run. */
static pid_t server_start(const char *name, const char *addr)
{
	char line[256] = "", port[16], uport[16], want[160];
	struct pollfd p;
	size_t used = 0;
	int pfd[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	snprintf(port, sizeof(port), "%d", HTTP_PORT);
	snprintf(uport, sizeof(uport), "%d", UDP_PORT);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		execl(httpd, "shunt-httpd", "--name", name, "--bind", addr,
		      "--port", port, "--udp-port", uport, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	p = (struct pollfd){.fd = pfd[0], .events = POLLIN};
	while (!strchr(line, '\n') && used < sizeof(line) - 1 &&
	       poll(&p, 1, 5000) > 0) {
		n = read(pfd[0], line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		line[used] = '\0';
	}
	close(pfd[0]);
	snprintf(want, sizeof(want), "shunt-httpd %s listening", name);
	if (strncmp(line, want, strlen(want))) {
		fprintf(stderr, "test_sock_lb: %s on %s did not start: '%s'\n",
			name, addr, line);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* ---- agents: client processes inside a test cgroup ---- */

enum op {
	OP_HTTP,       /* connect, GET path (close), close */
	OP_HOLD,       /* connect, GET path (keep-alive), keep in slot */
	OP_HOLD_GET,   /* GET path on the connection in slot */
	OP_HOLD_CLOSE, /* close slot */
	OP_CONNECT,    /* non-blocking TCP connect; what connect() said */
	OP_UDP,	       /* count queries on one socket, connected or not */
};

struct req {
	int op;
	int port;
	int slot;
	int connected; /* OP_UDP */
	int count;     /* OP_UDP: queries on the same socket */
	char host[64]; /* IP literal, no brackets */
	char path[64];
	char payload[64];
};

/* Which step failed (rc != 0). */
enum stage {
	ST_NONE,
	ST_SOCKET,
	ST_CONNECT,
	ST_SEND,
	ST_RECV,
	ST_HTTP,
};

struct rsp {
	int rc;		      /* 0 or -errno */
	int stage;	      /* enum stage of the failure */
	long long elapsed_ms; /* connect() (OP_CONNECT) */
	int status;	      /* HTTP status */
	int consistent; /* OP_UDP: every reply was the first one's, from the
			   same source */
	char body[256]; /* HTTP body, first UDP reply, or the agent's cgroup */
	char peer[80];	/* getpeername() */
	char local[80]; /* getsockname(), IPv4-mapped written as IPv4 */
	char from[80];	/* recvfrom() source of the (first) reply */
};

struct agent {
	pid_t pid;
	int fd;
	int idx; /* in agent_pids[] */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "IP:PORT" or "[IP6]:PORT"; plain: IPv4-mapped as "IP:PORT". */
static void fmt_addr(const struct sockaddr_storage *ss, bool plain, char *buf,
		     size_t len)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		if (plain && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip,
				  sizeof(ip));
			snprintf(buf, len, "%s:%u", ip, ntohs(s6->sin6_port));
			return;
		}
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "?family %d", ss->ss_family);
	}
}

static int parse_sa(const char *host, int port, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	struct sockaddr_in6 *s6 = (void *)ss;
	struct sockaddr_in *s4 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

static void sock_names(int fd, struct rsp *r)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	len = sizeof(ss);
	if (!getpeername(fd, (struct sockaddr *)&ss, &len))
		fmt_addr(&ss, false, r->peer, sizeof(r->peer));
	else
		snprintf(r->peer, sizeof(r->peer), "error %d", errno);
	memset(&ss, 0, sizeof(ss));
	len = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &len))
		fmt_addr(&ss, true, r->local, sizeof(r->local));
}

static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		n = poll(&p, 1, left > 0 ? (int)left : 0);
		if (n > 0)
			return 0;
		if (!n)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Non-blocking connect; r->rc is what connect() itself said. */
static int agent_connect(const struct req *q, struct rsp *r, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long long t0;
	int fd, family;

	family = parse_sa(q->host, q->port, &ss, &len);
	if (family < 0) {
		r->rc = -EINVAL;
		r->stage = ST_SOCKET;
		return -1;
	}
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r->rc = -errno;
		r->stage = ST_SOCKET;
		return -1;
	}
	t0 = now_ms();
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		r->rc = -errno;
		r->stage = ST_CONNECT;
	}
	r->elapsed_ms = now_ms() - t0;
	return fd;
}

/* Connect (waiting for the handshake) and GET path. */
static void agent_http(const struct req *q, struct rsp *r,
		       struct http_conn *keep)
{
	struct http_conn c;
	socklen_t len = sizeof(int);
	int soerr = 0;

	c.fd = agent_connect(q, r, SOCK_STREAM);
	if (c.fd < 0)
		return;
	if (r->rc == -EINPROGRESS) {
		r->rc = wait_fd(c.fd, POLLOUT, now_ms() + TIMEOUT_MS);
		if (!r->rc) {
			getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
			r->rc = -soerr;
		}
	}
	if (r->rc) {
		close(c.fd);
		return;
	}
	r->stage = ST_NONE;
	sock_names(c.fd, r);
	r->rc = http_get(&c, q->path, !keep, &r->status, r->body,
			 sizeof(r->body), TIMEOUT_MS);
	if (r->rc)
		r->stage = ST_HTTP;
	if (keep && !r->rc)
		*keep = c;
	else
		http_close(&c);
}

static void agent_udp(const struct req *q, struct rsp *r)
{
	struct sockaddr_storage ss, src;
	char first_from[80] = "", buf[256], from[80];
	socklen_t len, slen;
	int fd, family, i;
	ssize_t n;

	r->consistent = 1;
	family = parse_sa(q->host, q->port, &ss, &len);
	fd = family < 0 ? -1
			: socket(family,
				 SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r->rc = family < 0 ? -EINVAL : -errno;
		r->stage = ST_SOCKET;
		return;
	}
	if (q->connected) {
		if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
			r->rc = -errno;
			r->stage = ST_CONNECT;
			goto out;
		}
		sock_names(fd, r);
	}
	for (i = 0; i < (q->count > 0 ? q->count : 1); i++) {
		if (q->connected)
			n = send(fd, q->payload, strlen(q->payload), 0);
		else
			n = sendto(fd, q->payload, strlen(q->payload), 0,
				   (struct sockaddr *)&ss, len);
		if (n < 0) {
			r->rc = -errno;
			r->stage = ST_SEND;
			goto out;
		}
		for (;;) {
			memset(&src, 0, sizeof(src));
			slen = sizeof(src);
			n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
				     (struct sockaddr *)&src, &slen);
			if (n >= 0 || errno != EAGAIN)
				break;
			r->rc = wait_fd(fd, POLLIN, now_ms() + TIMEOUT_MS);
			if (r->rc) {
				r->stage = ST_RECV;
				goto out;
			}
		}
		if (n < 0) {
			r->rc = -errno;
			r->stage = ST_RECV;
			goto out;
		}
		buf[n] = '\0';
		fmt_addr(&src, false, from, sizeof(from));
		if (!i) {
			snprintf(r->body, sizeof(r->body), "%s", buf);
			snprintf(first_from, sizeof(first_from), "%s", from);
			snprintf(r->from, sizeof(r->from), "%s", from);
		} else if (strcmp(buf, r->body) || strcmp(from, first_from)) {
			r->consistent = 0;
		}
	}
out:
	close(fd);
}

/* The agent's cgroup v2 path, from /proc/self/cgroup ("0::PATH"). */
static void own_cgroup(char *buf, size_t len)
{
	char line[PATH_MAX + 8];
	FILE *f = fopen("/proc/self/cgroup", "re");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			n = strcspn(line + 3, "\n");
			if (n >= len)
				n = len - 1;
			memcpy(buf, line + 3, n);
			buf[n] = '\0';
		}
	}
	fclose(f);
}

static void __attribute__((noreturn))
agent_main(int fd, const char *cg, pid_t parent)
{
	struct http_conn held[HOLD_SLOTS];
	char procs[PATH_MAX + 32], pid[24];
	struct rsp r;
	struct req q;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Only our end of our socketpair: a copy of another agent's would
	 * keep that agent from seeing EOF when the test closes its end. */
	if (dup2(fd, 3) < 0)
		_exit(1);
	fd = 3;
	close_range(4, ~0U, 0);
	for (i = 0; i < HOLD_SLOTS; i++)
		held[i].fd = -1;
	/* Into the cgroup first: sockets belong to their creator's cgroup. */
	memset(&r, 0, sizeof(r));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	r.rc = write_str(procs, pid);
	own_cgroup(r.body, sizeof(r.body));
	if (send(fd, &r, sizeof(r), 0) != sizeof(r) || r.rc)
		_exit(1);
	while (recv(fd, &q, sizeof(q), 0) == sizeof(q)) {
		memset(&r, 0, sizeof(r));
		if (q.slot < 0 || q.slot >= HOLD_SLOTS)
			q.slot = 0;
		switch (q.op) {
		case OP_HTTP:
			agent_http(&q, &r, NULL);
			break;
		case OP_HOLD:
			http_close(&held[q.slot]);
			agent_http(&q, &r, &held[q.slot]);
			break;
		case OP_HOLD_GET:
			if (held[q.slot].fd >= 0)
				sock_names(held[q.slot].fd, &r);
			r.rc = http_get(&held[q.slot], q.path, 0, &r.status,
					r.body, sizeof(r.body), TIMEOUT_MS);
			if (r.rc)
				r.stage = ST_HTTP;
			break;
		case OP_HOLD_CLOSE:
			http_close(&held[q.slot]);
			break;
		case OP_CONNECT:
			i = agent_connect(&q, &r, SOCK_STREAM);
			if (i >= 0)
				close(i);
			break;
		case OP_UDP:
			agent_udp(&q, &r);
			break;
		default:
			r.rc = -EINVAL;
		}
		if (send(fd, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r))
			break;
	}
	_exit(0);
}

/* A new agent, already in cgroup cg (asserted). */
static void agent_start(struct agent *a, const char *cg)
{
	pid_t parent = getpid();
	struct rsp r;
	int sv[2], i;

	for (i = 0; i < MAX_AGENTS && agent_pids[i]; i++)
		;
	assert_true(i < MAX_AGENTS);
	assert_int_equal(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fflush(NULL);
	a->pid = fork();
	assert_true(a->pid >= 0);
	if (!a->pid) {
		close(sv[0]);
		agent_main(sv[1], cg, parent);
	}
	close(sv[1]);
	a->fd = sv[0];
	a->idx = i;
	agent_pids[i] = a->pid;
	agent_fds[i] = a->fd;
	assert_int_equal(recv(a->fd, &r, sizeof(r), 0), sizeof(r));
	assert_int_equal(r.rc, 0);
	/* /proc/self/cgroup is relative to the cgroup root. */
	assert_string_equal(r.body, cg + strlen(cg_root));
}

static void agent_stop(struct agent *a)
{
	close(a->fd);
	a->fd = -1;
	waitpid(a->pid, NULL, 0);
	agent_pids[a->idx] = 0;
}

static struct rsp agent_call(struct agent *a, const struct req *q)
{
	struct rsp r;

	assert_int_equal(send(a->fd, q, sizeof(*q), MSG_NOSIGNAL), sizeof(*q));
	assert_int_equal(recv(a->fd, &r, sizeof(r), 0), sizeof(r));
	return r;
}

static struct rsp do_http(struct agent *a, int op, const char *host, int port,
			  const char *path)
{
	struct req q = {.op = op, .port = port};

	snprintf(q.host, sizeof(q.host), "%s", host);
	snprintf(q.path, sizeof(q.path), "%s", path);
	return agent_call(a, &q);
}

static struct rsp do_connect(struct agent *a, const char *host, int port)
{
	struct req q = {.op = OP_CONNECT, .port = port};

	snprintf(q.host, sizeof(q.host), "%s", host);
	return agent_call(a, &q);
}

static struct rsp do_udp(struct agent *a, const char *host, int port,
			 int connected, int count, const char *payload)
{
	struct req q = {.op = OP_UDP,
			.port = port,
			.connected = connected,
			.count = count};

	snprintf(q.host, sizeof(q.host), "%s", host);
	snprintf(q.payload, sizeof(q.payload), "%s", payload);
	return agent_call(a, &q);
}

static const char *stage_name(int s)
{
	static const char *const n[] = {"-",	"socket", "connect",
					"send", "recv",	  "http"};

	return s >= 0 && s <= ST_HTTP ? n[s] : "?";
}

#define ASSERT_RSP_OK(r)                                                       \
	do {                                                                   \
		if ((r).rc)                                                    \
			fail_msg("agent: %s failed: %s",                       \
				 stage_name((r).stage), strerror(-(r).rc));    \
	} while (0)

static const char *errname(int rc)
{
	const char *n;

	if (!rc)
		return "success";
	n = strerrorname_np(-rc);
	return n ? n : "?";
}

/* rc (0 or -errno) is -want. */
#define ASSERT_ERRNO(rc, want)                                                 \
	do {                                                                   \
		int rc_ = (rc);                                                \
		if (rc_ != -(want))                                            \
			fail_msg("%s: %s, expected %s", #rc, errname(rc_),     \
				 errname(-(want)));                            \
	} while (0)

/* Split a /whoami body "NAME CLIENT\n". */
static void whoami_split(const char *body, char *name, size_t nlen,
			 char *client, size_t clen)
{
	const char *sp = strchr(body, ' '), *nl = strchr(body, '\n');

	if (!sp || !nl || nl < sp || nl[1])
		fail_msg("not a /whoami body: '%s'", body);
	snprintf(name, nlen, "%.*s", (int)(sp - body), body);
	snprintf(client, clen, "%.*s", (int)(nl - sp - 1), sp + 1);
}

/* Index of server name with prefix ("v4-"/"v6-"), or fail. */
static int server_index(const char *name, const char *prefix)
{
	size_t i;

	for (i = 0; i < N_SERVERS; i++)
		if (!strcmp(servers[i].name, name) &&
		    !strncmp(name, prefix, strlen(prefix)))
			return (int)i;
	fail_msg("'%s' is not a %s backend", name, prefix);
	return -1;
}

/*
 * A translated TCP connection to host:port: the body names a backend of
 * family prefix and shows the client's real address (its getsockname),
 * getpeername shows want_peer. Returns the backend's index.
 */
static int http_translated(struct agent *a, const char *host, int port,
			   const char *prefix, const char *want_peer)
{
	char name[64], client[80];
	struct rsp r = do_http(a, OP_HTTP, host, port, "/whoami");

	ASSERT_RSP_OK(r);
	assert_int_equal(r.status, 200);
	whoami_split(r.body, name, sizeof(name), client, sizeof(client));
	assert_string_equal(client, r.local);
	assert_string_equal(r.peer, want_peer);
	return server_index(name, prefix);
}

/* FRESH connections to host:port; how many each server took. */
static void spread(struct agent *a, const char *host, int port,
		   const char *prefix, const char *want_peer,
		   int counts[N_SERVERS])
{
	int i;

	memset(counts, 0, N_SERVERS * sizeof(int));
	for (i = 0; i < FRESH; i++)
		counts[http_translated(a, host, port, prefix, want_peer)]++;
}

/* ---- setup / teardown ---- */

static int setup_fail(const char *what)
{
	fprintf(stderr, "test_sock_lb setup: %s\n", what);
	cleanup();
	return -1;
}

static int setup(void **state)
{
	const char *src = getenv("SHUNT_SRC"), *build = getenv("BUILD");
	char cwd[4096], base[4200];
	size_t i;

	(void)state;
	if (!src || !*src)
		src = getcwd(cwd, sizeof(cwd));
	if (!build || !*build)
		build = "build";
	if (build[0] == '/')
		snprintf(base, sizeof(base), "%s", build);
	else
		snprintf(base, sizeof(base), "%s/%s", src, build);
	snprintf(ctl, sizeof(ctl), "%.4000s/shuntctl", base);
	snprintf(httpd, sizeof(httpd), "%.4000s/tools/shunt-httpd", base);
	if (access(ctl, X_OK) || access(httpd, X_OK))
		return setup_fail("build/shuntctl or build/tools/shunt-httpd "
				  "missing (run make)");
	if (shunt_cgroup_root(cg_root, sizeof(cg_root)))
		return setup_fail("no cgroup v2 mount");
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/shunt-sock-lb-%d",
		 (int)getpid());
	snprintf(cg_test, sizeof(cg_test), "%.3000s/shunt-test-sock-lb-%d",
		 cg_root, (int)getpid());
	snprintf(cg_child, sizeof(cg_child), "%.3500s/excluded", cg_test);
	snprintf(cg_nested, sizeof(cg_nested), "%.3800s/nested", cg_child);
	cleaned = false;
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	if (unshare(CLONE_NEWNET))
		return setup_fail("unshare(CLONE_NEWNET)");
	if (run_cmd("ip link set lo up && "
		    "ip -6 addr add fd00:b::2/128 dev lo nodad && "
		    "ip -6 addr add fd00:b::3/128 dev lo nodad"))
		return setup_fail("addresses on lo");
	if (mkdir(cg_test, 0755) || mkdir(cg_child, 0755) ||
	    mkdir(cg_nested, 0755))
		return setup_fail("test cgroups");
	for (i = 0; i < N_SERVERS; i++) {
		server_pids[i] = server_start(servers[i].name, servers[i].addr);
		if (server_pids[i] < 0) {
			server_pids[i] = 0;
			return setup_fail("backend servers");
		}
	}
	if (ctl_run("service add " SVC4_TCP) ||
	    ctl_run("backend add " SVC4_TCP " 127.0.0.2:8080") ||
	    ctl_run("backend add " SVC4_TCP " 127.0.0.3:8080") ||
	    ctl_run("service add " SVC6_TCP) ||
	    ctl_run("backend add " SVC6_TCP " [fd00:b::2]:8080") ||
	    ctl_run("backend add " SVC6_TCP " [fd00:b::3]:8080") ||
	    ctl_run("service add " SVC4_UDP) ||
	    ctl_run("backend add " SVC4_UDP " 127.0.0.2:5353") ||
	    ctl_run("backend add " SVC4_UDP " 127.0.0.3:5353") ||
	    ctl_run("service add " SVC6_UDP) ||
	    ctl_run("backend add " SVC6_UDP " [fd00:b::2]:5353") ||
	    ctl_run("backend add " SVC6_UDP " [fd00:b::3]:5353"))
		return setup_fail("services");
	if (ctl_run("cgroup attach %s", cg_test))
		return setup_fail("cgroup attach");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cleanup();
	return 0;
}

/* After each test, also a failed one: no agent left, nothing excluded. */
static int test_teardown(void **state)
{
	(void)state;
	agents_kill();
	ctl_run("cgroup include %s 2>/dev/null", cg_child);
	return 0;
}

/* ---- tests ---- */

/* 1. TCP over IPv4: a backend answers, the client's address is real, the
 * peer is the VIP, both backends take connections, counted. */
static void test_tcp4(void **state)
{
	int counts[N_SERVERS];
	struct counters c0;
	struct agent a;
	struct rsp r;

	(void)state;
	agent_start(&a, cg_test);
	counters_read(&c0);
	spread(&a, VIP4, 80, "v4-", VIP4 ":80", counts);
	print_message("  %s: v4-b2 %d, v4-b3 %d\n", SVC4_TCP, counts[0],
		      counts[1]);
	assert_int_equal(counts[0] + counts[1], FRESH);
	assert_true(counts[0] > 0);
	assert_true(counts[1] > 0);

	/* A backend dialled directly: untouched, its own address as peer
	 * (the reverse entries are per socket). */
	r = do_http(&a, OP_HTTP, "127.0.0.3", HTTP_PORT, "/");
	ASSERT_RSP_OK(r);
	assert_string_equal(r.body, "v4-b3\n");
	assert_string_equal(r.peer, "127.0.0.3:8080");
	/* The same port as a UDP service only: not a TCP service. */
	r = do_connect(&a, VIP4, 53);
	ASSERT_ERRNO(r.rc, ENETUNREACH);

	counters_expect(&c0,
			(const long long[C_N]){
				[C_CONNECT] = FRESH, [C_PEERNAME] = FRESH});
	agent_stop(&a);
}

/* 2. TCP over IPv6, and IPv4-mapped addresses on a dual-stack socket. */
static void test_tcp6_and_mapped(void **state)
{
	int counts[N_SERVERS], i, be;
	struct counters c0;
	struct agent a;
	struct rsp r;

	(void)state;
	agent_start(&a, cg_test);
	counters_read(&c0);
	spread(&a, VIP6, 80, "v6-", "[" VIP6 "]:80", counts);
	print_message("  %s: v6-b2 %d, v6-b3 %d\n", SVC6_TCP, counts[2],
		      counts[3]);
	assert_int_equal(counts[2] + counts[3], FRESH);
	assert_true(counts[2] > 0);
	assert_true(counts[3] > 0);

	/* AF_INET6 socket, ::ffff:10.96.0.10: an IPv4 backend, and the
	 * peer is the mapped VIP. */
	for (i = 0; i < 10; i++) {
		be = http_translated(&a, VIP4_MAPPED, 80, "v4-",
				     "[" VIP4_MAPPED "]:80");
		assert_true(be == 0 || be == 1);
	}
	r = do_http(&a, OP_HTTP, VIP4_MAPPED, 80, "/whoami");
	ASSERT_RSP_OK(r);
	/* The client is IPv4 (mapped) as the backend sees it. */
	assert_non_null(strstr(r.local, "127.0.0.1:"));

	counters_expect(
		&c0,
		(const long long[C_N]){
			[C_CONNECT] = FRESH + 11, [C_PEERNAME] = FRESH + 11});
	agent_stop(&a);
}

/* UDP queries to host:53, connected or not: a backend of prefix echoes,
 * the reply's source (and peer) is want_from, one backend per socket. */
static void udp_round(struct agent *a, const char *host, const char *prefix,
		      const char *want_from, int connected, int sockets,
		      int counts[N_SERVERS])
{
	char payload[32], name[64];
	const char *sp;
	struct rsp r;
	int i;

	for (i = 0; i < sockets; i++) {
		snprintf(payload, sizeof(payload), "ping-%c%d",
			 connected ? 'c' : 'u', i);
		r = do_udp(a, host, 53, connected, 3, payload);
		ASSERT_RSP_OK(r);
		sp = strchr(r.body, ' ');
		assert_non_null(sp);
		assert_string_equal(sp + 1, payload);
		snprintf(name, sizeof(name), "%.*s", (int)(sp - r.body),
			 r.body);
		counts[server_index(name, prefix)]++;
		assert_string_equal(r.from, want_from);
		if (connected)
			assert_string_equal(r.peer, want_from);
		/* Three queries on one socket: one backend. */
		assert_int_equal(r.consistent, 1);
	}
}

/* 3. UDP, connected and unconnected, IPv4, IPv6 and IPv4-mapped. */
static void test_udp(void **state)
{
	int counts[N_SERVERS] = {0};
	const int n = 12;
	struct counters c0;
	struct agent a;
	struct rsp r;

	(void)state;
	agent_start(&a, cg_test);
	counters_read(&c0);
	udp_round(&a, VIP4, "v4-", VIP4 ":53", 1, n, counts);
	udp_round(&a, VIP4, "v4-", VIP4 ":53", 0, n, counts);
	udp_round(&a, VIP6, "v6-", "[" VIP6 "]:53", 1, n, counts);
	udp_round(&a, VIP6, "v6-", "[" VIP6 "]:53", 0, n, counts);
	udp_round(&a, VIP4_MAPPED, "v4-", "[" VIP4_MAPPED "]:53", 0, 4, counts);
	print_message("  udp: v4-b2 %d, v4-b3 %d, v6-b2 %d, v6-b3 %d\n",
		      counts[0], counts[1], counts[2], counts[3]);
	assert_true(counts[0] > 0 && counts[1] > 0);
	assert_true(counts[2] > 0 && counts[3] > 0);
	/*
	 * Connected: connect() translated once, send() carries no address,
	 * every recvfrom() shows the VIP. Unconnected: every sendto()
	 * translated. 3 queries per socket.
	 */
	counters_expect(&c0, (const long long[C_N]){
				     [C_CONNECT] = 2 * n,
				     [C_SENDMSG] = 3 * (2 * n + 4),
				     [C_RECVMSG] = 3 * (4 * n + 4),
				     [C_PEERNAME] = 2 * n,
			     });
	/* The TCP service's port over UDP: not a service, untouched. */
	r = do_udp(&a, VIP4, 80, 0, 1, "x");
	ASSERT_ERRNO(r.rc, ENETUNREACH);
	assert_int_equal(r.stage, ST_SEND);
	agent_stop(&a);
}

#define DRAIN_SVC "10.96.0.11:80/tcp"
#define DRAIN_VIP "10.96.0.11"

/* 4. Drain: no new connections, the open one still works; activate:
 * taken again; remove: never chosen. */
static void test_drain_activate_remove(void **state)
{
	char name[64], client[80], held_client[80];
	int counts[N_SERVERS], be, other;
	struct agent a;
	struct req q = {.op = OP_HOLD_GET, .slot = 0};
	struct rsp r;

	(void)state;
	CTL_OK("service add " DRAIN_SVC);
	CTL_OK("backend add " DRAIN_SVC " 127.0.0.2:8080");
	CTL_OK("backend add " DRAIN_SVC " 127.0.0.3:8080");
	agent_start(&a, cg_test);

	/* A connection held open (keep-alive) on some backend. */
	r = do_http(&a, OP_HOLD, DRAIN_VIP, 80, "/whoami");
	ASSERT_RSP_OK(r);
	assert_string_equal(r.peer, DRAIN_VIP ":80");
	whoami_split(r.body, name, sizeof(name), held_client,
		     sizeof(held_client));
	be = server_index(name, "v4-");
	other = 1 - be;
	print_message("  held connection on %s\n", servers[be].name);

	CTL_OK("backend set " DRAIN_SVC " %s:8080 --drain", servers[be].addr);
	spread(&a, DRAIN_VIP, 80, "v4-", DRAIN_VIP ":80", counts);
	assert_int_equal(counts[be], 0);
	assert_int_equal(counts[other], FRESH);
	/* The held connection: the drained backend still answers on it. */
	snprintf(q.path, sizeof(q.path), "/whoami");
	r = agent_call(&a, &q);
	ASSERT_RSP_OK(r);
	assert_int_equal(r.status, 200);
	whoami_split(r.body, name, sizeof(name), client, sizeof(client));
	assert_string_equal(name, servers[be].name);
	assert_string_equal(client, held_client);
	assert_string_equal(r.peer, DRAIN_VIP ":80");

	CTL_OK("backend set " DRAIN_SVC " %s:8080 --activate",
	       servers[be].addr);
	spread(&a, DRAIN_VIP, 80, "v4-", DRAIN_VIP ":80", counts);
	print_message("  after activate: %s %d, %s %d\n", servers[be].name,
		      counts[be], servers[other].name, counts[other]);
	assert_true(counts[be] > 0);
	assert_true(counts[other] > 0);

	CTL_OK("backend del " DRAIN_SVC " %s:8080", servers[be].addr);
	spread(&a, DRAIN_VIP, 80, "v4-", DRAIN_VIP ":80", counts);
	assert_int_equal(counts[be], 0);
	assert_int_equal(counts[other], FRESH);

	q.op = OP_HOLD_CLOSE;
	agent_call(&a, &q);
	agent_stop(&a);
	CTL_OK("service del " DRAIN_SVC);
}

/* An immediate ECONNREFUSED from a non-blocking connect(). */
static void assert_refused(struct agent *a, const char *host, int port)
{
	struct rsp r = do_connect(a, host, port);

	if (r.rc != -ECONNREFUSED)
		fail_msg("connect %s port %d: %s (%s), expected ECONNREFUSED",
			 host, port, errname(r.rc), stage_name(r.stage));
	assert_int_equal(r.stage, ST_CONNECT);
	assert_true(r.elapsed_ms < 500);
}

/* 5. No active backend: refused at once, TCP and UDP, counted. */
static void test_no_backend(void **state)
{
	struct counters c0;
	struct agent a;
	struct rsp r;

	(void)state;
	CTL_OK("service add 10.96.0.12:80/tcp");
	CTL_OK("service add 10.96.0.12:53/udp");
	CTL_OK("service add [fd00:96::12]:80/tcp");
	CTL_OK("service add [fd00:96::12]:53/udp");
	CTL_OK("service add 10.96.0.13:80/tcp");
	CTL_OK("backend add 10.96.0.13:80/tcp 127.0.0.2:8080");
	CTL_OK("backend set 10.96.0.13:80/tcp 127.0.0.2:8080 --drain");
	agent_start(&a, cg_test);
	counters_read(&c0);

	assert_refused(&a, "10.96.0.12", 80);	     /* no backend at all */
	assert_refused(&a, "fd00:96::12", 80);	     /* the same, IPv6 */
	assert_refused(&a, "::ffff:10.96.0.12", 80); /* IPv4-mapped */
	assert_refused(&a, "10.96.0.13", 80);	     /* only one, drained */
	/* UDP: sendto() refused, and connect() too. */
	r = do_udp(&a, "10.96.0.12", 53, 0, 1, "x");
	ASSERT_ERRNO(r.rc, ECONNREFUSED);
	assert_int_equal(r.stage, ST_SEND);
	r = do_udp(&a, "10.96.0.12", 53, 1, 1, "x");
	ASSERT_ERRNO(r.rc, ECONNREFUSED);
	assert_int_equal(r.stage, ST_CONNECT);
	r = do_udp(&a, "fd00:96::12", 53, 0, 1, "x");
	ASSERT_ERRNO(r.rc, ECONNREFUSED);
	assert_int_equal(r.stage, ST_SEND);

	counters_expect(&c0, (const long long[C_N]){[C_NO_BACKEND] = 7});

	/* A backend again: served. */
	CTL_OK("backend set 10.96.0.13:80/tcp 127.0.0.2:8080 --activate");
	assert_int_equal(
		http_translated(&a, "10.96.0.13", 80, "v4-", "10.96.0.13:80"),
		0);
	agent_stop(&a);
	CTL_OK("service del 10.96.0.12:80/tcp");
	CTL_OK("service del 10.96.0.12:53/udp");
	CTL_OK("service del [fd00:96::12]:80/tcp");
	CTL_OK("service del [fd00:96::12]:53/udp");
	CTL_OK("service del 10.96.0.13:80/tcp");
}

/* Whether `cgroup list --json` lists path under section ("attached" or
 * "excluded"), with the right cgroup id; *progs: its program count. */
static bool cgroup_listed(const char *section, const char *path, int *progs)
{
	struct json_object *root, *arr, *o, *v;
	struct stat st;
	bool found = false;
	size_t i;

	assert_int_equal(stat(path, &st), 0);
	CTL_OK("cgroup list --json");
	root = json_tokener_parse(out);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, section, &arr));
	for (i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		assert_true(json_object_object_get_ex(o, "path", &v));
		if (strcmp(json_object_get_string(v), path))
			continue;
		found = true;
		assert_true(json_object_object_get_ex(o, "cgroup_id", &v));
		assert_true((unsigned long long)json_object_get_uint64(v) ==
			    (unsigned long long)st.st_ino);
		if (progs) {
			assert_true(
				json_object_object_get_ex(o, "programs", &v));
			*progs = json_object_get_int(v);
		}
	}
	json_object_put(root);
	return found;
}

/* The test process's own (untranslated) connect to the VIP. */
static int self_connect(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, family, err = 0;

	family = parse_sa(host, port, &ss, &len);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* 6. An excluded subtree is left alone (and counted), its parent is not;
 * include undoes it; the test process (outside) is never translated. */
static void test_exclude(void **state)
{
	struct agent in, ex, nested;
	struct counters c0;
	struct rsp r;

	(void)state;
	agent_start(&in, cg_test);
	agent_start(&ex, cg_child);
	agent_start(&nested, cg_nested);
	/* Inherited from the parent before any exclusion. */
	http_translated(&ex, VIP4, 80, "v4-", VIP4 ":80");

	CTL_OK("cgroup exclude %s", cg_child);
	assert_true(cgroup_listed("excluded", cg_child, NULL));
	assert_false(cgroup_listed("excluded", cg_test, NULL));
	counters_read(&c0);
	r = do_connect(&ex, VIP4, 80);
	ASSERT_ERRNO(r.rc, ENETUNREACH);
	r = do_connect(&ex, VIP6, 80);
	ASSERT_ERRNO(r.rc, ENETUNREACH);
	r = do_udp(&ex, VIP4, 53, 0, 1, "x");
	ASSERT_ERRNO(r.rc, ENETUNREACH);
	assert_int_equal(r.stage, ST_SEND);
	/* Not a service: no exclusion lookup, nothing counted. */
	r = do_connect(&ex, "10.96.0.99", 80);
	ASSERT_ERRNO(r.rc, ENETUNREACH);
	/* The whole subtree. */
	r = do_connect(&nested, VIP4, 80);
	ASSERT_ERRNO(r.rc, ENETUNREACH);
	counters_expect(&c0, (const long long[C_N]){[C_EXCLUDED] = 4});

	/* The parent cgroup: still translated. */
	counters_read(&c0);
	http_translated(&in, VIP4, 80, "v4-", VIP4 ":80");
	http_translated(&in, VIP6, 80, "v6-", "[" VIP6 "]:80");
	counters_expect(
		&c0, (const long long[C_N]){[C_CONNECT] = 2, [C_PEERNAME] = 2});

	CTL_OK("cgroup include %s", cg_child);
	assert_false(cgroup_listed("excluded", cg_child, NULL));
	counters_read(&c0);
	http_translated(&ex, VIP4, 80, "v4-", VIP4 ":80");
	http_translated(&ex, VIP6, 80, "v6-", "[" VIP6 "]:80");
	http_translated(&nested, VIP4, 80, "v4-", VIP4 ":80");
	counters_expect(
		&c0, (const long long[C_N]){[C_CONNECT] = 3, [C_PEERNAME] = 3});

	/* This process is outside the attached cgroup: untouched, and the
	 * programs do not even run (nothing counted). */
	counters_read(&c0);
	ASSERT_ERRNO(self_connect(VIP4, 80), ENETUNREACH);
	ASSERT_ERRNO(self_connect(VIP6, 80), ENETUNREACH);
	counters_expect(&c0, (const long long[C_N]){0});

	agent_stop(&in);
	agent_stop(&ex);
	agent_stop(&nested);
}

/* Changing the datapath knobs leaves an exclusion in force. */
static void test_exclude_survives_config(void **state)
{
	struct counters c0;
	struct agent ex;
	struct rsp r;

	(void)state;
	agent_start(&ex, cg_child);
	CTL_OK("cgroup exclude %s", cg_child);
	ASSERT_ERRNO(do_connect(&ex, VIP4, 80).rc, ENETUNREACH);

	CTL_OK("config set ct-udp-timeout 45");
	counters_read(&c0);
	ASSERT_ERRNO(do_connect(&ex, VIP4, 80).rc, ENETUNREACH);
	counters_expect(&c0, (const long long[C_N]){[C_EXCLUDED] = 1});

	CTL_OK("config reset");
	/* Still listed as excluded... */
	assert_true(cgroup_listed("excluded", cg_child, NULL));
	/* ... and still left alone. */
	counters_read(&c0);
	r = do_connect(&ex, VIP4, 80);
	if (r.rc != -ENETUNREACH)
		fail_msg("after `config reset`, connect from the excluded "
			 "cgroup to %s:80: %s (translated to a backend), "
			 "expected ENETUNREACH (left alone)",
			 VIP4, errname(r.rc));
	counters_expect(&c0, (const long long[C_N]){[C_EXCLUDED] = 1});
	agent_stop(&ex);
}

#define AFF_SVC "10.96.0.14:80/tcp"
#define AFF_VIP "10.96.0.14"

/* ClientIP affinity, per network namespace: every socket of this netns,
 * whatever its process or cgroup, goes to the same backend while it is
 * active; draining it moves the client, and the new choice sticks. */
static void test_affinity_per_netns(void **state)
{
	int i, first = -1, be, other;
	struct agent a, b;
	struct counters c0;
	const int n = 20;

	(void)state;
	CTL_OK("service add " AFF_SVC " --affinity 600");
	CTL_OK("backend add " AFF_SVC " 127.0.0.2:8080");
	CTL_OK("backend add " AFF_SVC " 127.0.0.3:8080");
	agent_start(&a, cg_test);
	agent_start(&b, cg_child);
	counters_read(&c0);
	for (i = 0; i < n; i++) {
		be = http_translated(i % 2 ? &b : &a, AFF_VIP, 80, "v4-",
				     AFF_VIP ":80");
		if (first < 0)
			first = be;
		assert_int_equal(be, first);
	}
	counters_expect(&c0, (const long long[C_N]){[C_CONNECT] = n,
						    [C_PEERNAME] = n,
						    [C_AFFINITY] = n - 1});

	other = 1 - first;
	CTL_OK("backend set " AFF_SVC " %s:8080 --drain", servers[first].addr);
	for (i = 0; i < n; i++)
		assert_int_equal(http_translated(i % 2 ? &b : &a, AFF_VIP, 80,
						 "v4-", AFF_VIP ":80"),
				 other);
	CTL_OK("backend set " AFF_SVC " %s:8080 --activate",
	       servers[first].addr);
	for (i = 0; i < n; i++)
		assert_int_equal(http_translated(i % 2 ? &b : &a, AFF_VIP, 80,
						 "v4-", AFF_VIP ":80"),
				 other);
	agent_stop(&a);
	agent_stop(&b);
	CTL_OK("service del " AFF_SVC);
}

/* The shunt programs the kernel has attached to cgroup path (bpftool),
 * each attach type at most once; how many. */
static int kernel_attached(const char *path)
{
	static const char *const types[] = {
		"cgroup_inet4_connect",	    "cgroup_inet6_connect",
		"cgroup_udp4_sendmsg",	    "cgroup_udp6_sendmsg",
		"cgroup_udp4_recvmsg",	    "cgroup_udp6_recvmsg",
		"cgroup_inet4_getpeername", "cgroup_inet6_getpeername",
		"cgroup_sock_ops",
	};
	int seen[sizeof(types) / sizeof(types[0])] = {0}, n = 0;
	struct json_object *arr, *o, *v;
	const char *type;
	size_t i, t;

	assert_int_equal(run_capture(out, sizeof(out),
				     "bpftool -j cgroup show %s", path),
			 0);
	if (!out[strspn(out, " \n")])
		return 0; /* nothing attached: no output at all */
	arr = json_tokener_parse(out);
	assert_non_null(arr);
	for (i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		assert_true(json_object_object_get_ex(o, "name", &v));
		if (strncmp(json_object_get_string(v), "shunt_", 6))
			continue;
		assert_true(json_object_object_get_ex(o, "attach_type", &v));
		type = json_object_get_string(v);
		for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			if (!strcmp(type, types[t]))
				break;
		if (t == sizeof(types) / sizeof(types[0]))
			fail_msg("shunt program on unexpected hook %s", type);
		if (seen[t]++)
			fail_msg("two shunt programs on %s", type);
		n++;
	}
	json_object_put(arr);
	return n;
}

/* 7. cgroup list shows the attachment (9 programs, as the kernel has
 * them); attaching again changes nothing; detach stops translation;
 * attach again brings it back. */
static void test_list_detach(void **state)
{
	struct counters c0;
	struct agent a;
	int progs = 0;

	(void)state;
	assert_true(cgroup_listed("attached", cg_test, &progs));
	assert_int_equal(progs, 9);
	assert_int_equal(kernel_attached(cg_test), 9);
	assert_false(cgroup_listed("attached", cg_child, NULL));
	assert_int_equal(kernel_attached(cg_child), 0);

	agent_start(&a, cg_test);
	/* A second attach: still one program per hook, counted once. */
	CTL_OK("cgroup attach %s", cg_test);
	assert_int_equal(kernel_attached(cg_test), 9);
	counters_read(&c0);
	http_translated(&a, VIP4, 80, "v4-", VIP4 ":80");
	counters_expect(
		&c0, (const long long[C_N]){[C_CONNECT] = 1, [C_PEERNAME] = 1});

	CTL_OK("cgroup detach %s", cg_test);
	assert_false(cgroup_listed("attached", cg_test, NULL));
	assert_int_equal(kernel_attached(cg_test), 0);
	counters_read(&c0);
	ASSERT_ERRNO(do_connect(&a, VIP4, 80).rc, ENETUNREACH);
	ASSERT_ERRNO(do_connect(&a, VIP6, 80).rc, ENETUNREACH);
	ASSERT_ERRNO(do_udp(&a, VIP4, 53, 0, 1, "x").rc, ENETUNREACH);
	counters_expect(&c0, (const long long[C_N]){0});

	CTL_OK("cgroup attach %s", cg_test);
	assert_true(cgroup_listed("attached", cg_test, &progs));
	assert_int_equal(progs, 9);
	assert_int_equal(kernel_attached(cg_test), 9);
	http_translated(&a, VIP4, 80, "v4-", VIP4 ":80");
	agent_stop(&a);
}

/* unload: the programs leave the cgroup, the pins go. */
static void test_unload(void **state)
{
	struct agent a;
	struct stat st;

	(void)state;
	agent_start(&a, cg_test);
	http_translated(&a, VIP4, 80, "v4-", VIP4 ":80");
	CTL_OK("unload");
	assert_int_equal(kernel_attached(cg_test), 0);
	assert_int_equal(stat(pin_root, &st), -1);
	ASSERT_ERRNO(do_connect(&a, VIP4, 80).rc, ENETUNREACH);
	ASSERT_ERRNO(do_udp(&a, VIP4, 53, 0, 1, "x").rc, ENETUNREACH);
	agent_stop(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tcp4, test_teardown),
		cmocka_unit_test_teardown(test_tcp6_and_mapped, test_teardown),
		cmocka_unit_test_teardown(test_udp, test_teardown),
		cmocka_unit_test_teardown(test_drain_activate_remove,
					  test_teardown),
		cmocka_unit_test_teardown(test_no_backend, test_teardown),
		cmocka_unit_test_teardown(test_exclude, test_teardown),
		cmocka_unit_test_teardown(test_exclude_survives_config,
					  test_teardown),
		cmocka_unit_test_teardown(test_affinity_per_netns,
					  test_teardown),
		cmocka_unit_test_teardown(test_list_detach, test_teardown),
		cmocka_unit_test_teardown(test_unload, test_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
