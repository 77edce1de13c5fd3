// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stale sockets of removed backends (bpf/sock_destroy.bpf.c, docs/
 * socket.md): when a backend leaves a service, the connected UDP sockets
 * and the connecting (SYN_SENT) TCP sockets the socket path sent to it
 * are ended (ECONNABORTED), so a client that keeps its socket, like a DNS
 * forwarder, notices and connects again, to a live backend. Left alone:
 * sockets connected to the backend's address directly, sockets another
 * service sent to the same backend, established TCP connections (they
 * drain). A socket in another network namespace (a pod) is found too;
 * without CAP_SYS_ADMIN only the caller's own namespace is walked. The
 * agent does the same when a services file change removes a backend;
 * `shuntctl sock destroy` does it by hand. Turned off
 * ($SHUNT_NO_SOCK_DESTROY, what a kernel before 6.5 gets), nothing is
 * ended and it is said once.
 *
 * The backends are sockets of the test process itself: UDP servers on
 * 127.0.0.2 and 127.0.0.3 (and [::1]) port 5353, a TCP listener on
 * 127.0.0.2:8080; 127.0.0.3:8081 is black-holed (iptables DROP), so a
 * connection to it stays in SYN-SENT. The test process runs in a network
 * namespace and a cgroup of its own (tests/lib/sockenv.h), with a private
 * pin root; every change goes through shuntctl.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "agentenv.h"
#include "netns.h"
#include "sockdestroy.h"
#include "sockenv.h"

#define UDP_PORT   5353
#define HOST6	   "::1"
#define TCP_PORT   8080
#define BH_PORT	   8081 /* black-holed on SOCKENV_HOST2 */
#define TIMEOUT_MS 3000
/* Waits on shuntd: up to 20 s, like the agent tests (an agent built with
 * the sanitizers on a busy machine takes its time over a reload). */
#define AGENT_WAIT_MS 20000
/* tcpi_state */
#define ST_ESTABLISHED 1
#define ST_SYN_SENT    2
#define ST_CLOSE       7

/* UDP servers: 127.0.0.2, 127.0.0.3, [::1]:5353, [::1]:5354. */
enum { SA, SB, S6A, S6B, N_SRV };
static int srv[N_SRV] = {-1, -1, -1, -1};
static struct sockenv env;
static int lfd = -1;
static char bh_rule[128];

struct pod {
	pid_t pid;
	int fd; /* socketpair end */
};

/* The running pod, killed if a test fails before it is done. */
static struct pod *live_pod;

/* The agent of test 6, stopped if that test fails. */
static struct agent_proc agent;

static void agent_reap(void)
{
	if (agent.pid > 0)
		agent_stop(&agent);
	agent.pid = 0;
}

static void pod_reap(void)
{
	if (!live_pod)
		return;
	kill(live_pod->pid, SIGKILL);
	waitpid(live_pod->pid, NULL, 0);
	close(live_pod->fd);
	live_pod = NULL;
}

/* --- sockets ----------------------------------------------------------- */

static int sa_make(const char *host, int port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *b = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a->sin_addr) == 1) {
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &b->sin6_addr) != 1)
		return -EINVAL;
	b->sin6_family = AF_INET6;
	b->sin6_port = htons(port);
	*len = sizeof(*b);
	return AF_INET6;
}

/* A UDP socket bound (server) or connected (client) to host:port. */
static int udp_socket(const char *host, int port, bool server)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = sa_make(host, port, &ss, &len), fd;

	if (fam < 0)
		return fam;
	fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((server ? bind(fd, (struct sockaddr *)&ss, len)
		    : connect(fd, (struct sockaddr *)&ss, len))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int udp_client(const char *host, int port)
{
	int fd = udp_socket(host, port, false);

	if (fd < 0)
		fail_msg("connect UDP %s:%d: %s", host, port, strerror(-fd));
	return fd;
}

/* The server that got msg (recvfrom, with send from cfd or sendto), its
 * answer back to the sender: that server's index, or -1 when none got
 * it in time. */
static int serve_one(const char *msg)
{
	struct pollfd p[N_SRV];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[64];
	ssize_t n;
	int i;

	for (i = 0; i < N_SRV; i++)
		p[i] = (struct pollfd){.fd = srv[i], .events = POLLIN};
	if (poll(p, N_SRV, TIMEOUT_MS) <= 0)
		return -1;
	for (i = 0; i < N_SRV && !(p[i].revents & POLLIN); i++)
		;
	if (i == N_SRV)
		return -1;
	n = recvfrom(srv[i], buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from,
		     &flen);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, msg);
	assert_true(sendto(srv[i], buf, n, 0, (struct sockaddr *)&from, flen) ==
		    n);
	return i;
}

/* The answer to what cfd sent comes back on cfd. */
static void expect_answer(int cfd, const char *msg)
{
	char buf[64];
	ssize_t n;

	assert_true(sockenv_wait(cfd, POLLIN, TIMEOUT_MS) > 0);
	n = recv(cfd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0)
		fail_msg("recv: %s", strerror(errno));
	buf[n] = '\0';
	assert_string_equal(buf, msg);
}

/* A round trip on a connected socket: which server answered. */
static int roundtrip(int cfd)
{
	static int seq;
	char msg[32];
	int i;

	snprintf(msg, sizeof(msg), "q%d", ++seq);
	if (send(cfd, msg, strlen(msg), 0) < 0)
		fail_msg("send: %s", strerror(errno));
	i = serve_one(msg);
	if (i < 0)
		fail_msg("no server got %s", msg);
	expect_answer(cfd, msg);
	return i;
}

/* The same with sendto() on an unconnected socket. */
static int roundtrip_to(int cfd, const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char msg[] = "unconnected";
	int i;

	assert_true(sa_make(host, port, &ss, &len) > 0);
	assert_true(sendto(cfd, msg, strlen(msg), 0, (struct sockaddr *)&ss,
			   len) > 0);
	i = serve_one(msg);
	assert_true(i >= 0);
	expect_answer(cfd, msg);
	return i;
}

/* A destroyed connected UDP socket: its next recv() says ECONNABORTED,
 * and it is no longer connected (send: EDESTADDRREQ). */
static void expect_aborted(int cfd)
{
	char buf[16];

	assert_int_equal(recv(cfd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	if (errno != ECONNABORTED)
		fail_msg("recv on a destroyed socket: %s, not ECONNABORTED",
			 strerror(errno));
	assert_int_equal(send(cfd, "x", 1, 0), -1);
	assert_int_equal(errno, EDESTADDRREQ);
}

/* A socket left alone: nothing pending, not even an error. */
static void expect_untouched(int cfd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	assert_int_equal(getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	if (err)
		fail_msg("socket has error %s", strerror(err));
}

/* --- world ------------------------------------------------------------- */

static int bind_servers(void)
{
	static const struct {
		const char *host;
		int port;
	} at[N_SRV] = {
		[SA] = {SOCKENV_HOST1, UDP_PORT},
		[SB] = {SOCKENV_HOST2, UDP_PORT},
		[S6A] = {HOST6, UDP_PORT},
		[S6B] = {HOST6, UDP_PORT + 1},
	};
	int i;

	for (i = 0; i < N_SRV; i++) {
		srv[i] = udp_socket(at[i].host, at[i].port, true);
		if (srv[i] < 0) {
			fprintf(stderr, "bind %s:%d: %s\n", at[i].host,
				at[i].port, strerror(-srv[i]));
			return -1;
		}
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (sockenv_up(&env, "destroy", "sockdestroy"))
		return -1;
	if (bind_servers())
		goto fail;
	lfd = sockenv_listen(SOCKENV_HOST1, TCP_PORT, 16);
	if (lfd < 0)
		goto fail;
	/* The namespace is the test's own: the rule goes with it. */
	snprintf(bh_rule, sizeof(bh_rule),
		 "OUTPUT -p tcp -d %s --dport %d -j DROP", SOCKENV_HOST2,
		 BH_PORT);
	if (run_cmdf("iptables -A %s", bh_rule))
		goto fail;
	return 0;
fail:
	sockenv_down(&env);
	return -1;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	pod_reap();
	agent_reap();
	for (i = 0; i < N_SRV; i++)
		if (srv[i] >= 0)
			close(srv[i]);
	if (lfd >= 0)
		close(lfd);
	lfd = -1;
	sockenv_down(&env);
	return 0;
}

#define CTL_OK(...) assert_int_equal(sockenv_ctl(&env, __VA_ARGS__), 0)

/* A service with one backend. */
static void service(const char *svc, const char *backend)
{
	CTL_OK("service add %s", svc);
	CTL_OK("backend add %s %s", svc, backend);
}

/* Before each test: no service left from another one. */
static int no_services(void **state)
{
	static const char *const svcs[] = {
		"10.96.0.10:53/udp",	"10.96.0.11:53/udp",
		"[fd00:96::10]:53/udp", "10.96.0.20:80/tcp",
		"10.96.0.21:80/tcp",	"10.96.0.30:53/udp",
	};
	size_t i;

	(void)state;
	pod_reap();
	agent_reap();
	for (i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++)
		sockenv_ctl(&env, "service del %s 2>/dev/null", svcs[i]);
	return 0;
}

static void skip_unsupported(void)
{
	if (!shunt_sock_destroy_supported()) {
		print_message("  kernel without bpf_sock_destroy(): skipped\n");
		skip();
	}
}

/* --- 1. connected UDP through the VIP: ended; others not -------------- */

static void test_udp_connected(void **state)
{
	int c4, cmapped, c6, cdirect, cunconn, cnew;

	(void)state;
	skip_unsupported();
	service("10.96.0.10:53/udp", SOCKENV_HOST1 ":5353");
	service("[fd00:96::10]:53/udp", "[::1]:5353");

	c4 = udp_client("10.96.0.10", 53);
	cmapped = udp_client("::ffff:10.96.0.10", 53);
	c6 = udp_client("fd00:96::10", 53);
	cdirect = udp_client(SOCKENV_HOST1, UDP_PORT);
	cunconn = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(cunconn >= 0);
	assert_int_equal(roundtrip(c4), SA);
	assert_int_equal(roundtrip(cmapped), SA);
	assert_int_equal(roundtrip(c6), S6A);
	assert_int_equal(roundtrip(cdirect), SA);
	assert_int_equal(roundtrip_to(cunconn, "10.96.0.10", 53), SA);

	/* A second backend, then the first one leaves. */
	CTL_OK("backend add 10.96.0.10:53/udp %s:5353", SOCKENV_HOST2);
	CTL_OK("backend add [fd00:96::10]:53/udp [::1]:5354");
	expect_untouched(c4);
	assert_int_equal(roundtrip(c4), SA); /* an added one changes nothing */
	CTL_OK("backend del 10.96.0.10:53/udp %s:5353", SOCKENV_HOST1);
	CTL_OK("backend del [fd00:96::10]:53/udp [::1]:5353");

	expect_aborted(c4);
	expect_aborted(cmapped);
	expect_aborted(c6);
	/* Not through the VIP: not the socket path's to end. */
	expect_untouched(cdirect);
	assert_int_equal(roundtrip(cdirect), SA);
	/* Unconnected: each datagram is balanced anew. */
	expect_untouched(cunconn);
	assert_int_equal(roundtrip_to(cunconn, "10.96.0.10", 53), SB);
	/* Connected again: the live backend. */
	cnew = udp_client("10.96.0.10", 53);
	assert_int_equal(roundtrip(cnew), SB);
	close(cnew);
	cnew = udp_client("fd00:96::10", 53);
	assert_int_equal(roundtrip(cnew), S6B);
	close(cnew);

	close(c4);
	close(cmapped);
	close(c6);
	close(cdirect);
	close(cunconn);
}

/* --- 2. the same backend in two services: only the one it left -------- */

static void test_udp_other_service(void **state)
{
	int c1, c2;

	(void)state;
	skip_unsupported();
	service("10.96.0.10:53/udp", SOCKENV_HOST1 ":5353");
	service("10.96.0.11:53/udp", SOCKENV_HOST1 ":5353");
	c1 = udp_client("10.96.0.10", 53);
	c2 = udp_client("10.96.0.11", 53);
	assert_int_equal(roundtrip(c1), SA);
	assert_int_equal(roundtrip(c2), SA);

	/* The whole service goes: its sockets too. */
	CTL_OK("service del 10.96.0.11:53/udp");
	expect_aborted(c2);
	expect_untouched(c1);
	assert_int_equal(roundtrip(c1), SA);
	close(c1);
	close(c2);
}

/* --- 3. TCP: connecting ones ended, established ones drain ------------ */

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_state;
}

/* A connect() that failed: SO_ERROR. */
static int so_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	return err;
}

static void test_tcp(void **state)
{
	int est, acc, syn, syn_direct, fresh, facc;
	char buf[8];

	(void)state;
	skip_unsupported();
	service("10.96.0.20:80/tcp", SOCKENV_HOST1 ":8080");
	service("10.96.0.21:80/tcp", SOCKENV_HOST2 ":8081");
	est = sockenv_connect("10.96.0.20", 80, TIMEOUT_MS);
	assert_true(est >= 0);
	acc = sockenv_accept(lfd, TIMEOUT_MS);
	assert_true(acc >= 0);
	syn = sockenv_connect_start("10.96.0.21", 80);
	syn_direct = sockenv_connect_start(SOCKENV_HOST2, BH_PORT);
	assert_true(syn >= 0 && syn_direct >= 0);
	assert_int_equal(tcp_state(syn), ST_SYN_SENT);
	assert_int_equal(tcp_state(syn_direct), ST_SYN_SENT);

	/* Both backends leave for others. */
	CTL_OK("backend add 10.96.0.20:80/tcp %s:8080", SOCKENV_HOST2);
	CTL_OK("backend del 10.96.0.20:80/tcp %s:8080", SOCKENV_HOST1);
	CTL_OK("backend add 10.96.0.21:80/tcp %s:8080", SOCKENV_HOST1);
	CTL_OK("backend del 10.96.0.21:80/tcp %s:8081", SOCKENV_HOST2);

	/* Connecting through the VIP: ended at once. */
	assert_true(sockenv_wait(syn, POLLOUT, 500) > 0);
	assert_int_equal(so_error(syn), ECONNABORTED);
	assert_int_equal(tcp_state(syn), ST_CLOSE);
	/* Connecting directly: still trying. */
	assert_int_equal(tcp_state(syn_direct), ST_SYN_SENT);
	assert_int_equal(so_error(syn_direct), 0);
	/* Established: goes on, both ways. */
	assert_int_equal(tcp_state(est), ST_ESTABLISHED);
	assert_int_equal(sockenv_send_all(est, "ping", 4, TIMEOUT_MS), 0);
	assert_int_equal(sockenv_recv_full(acc, buf, 4, NULL, TIMEOUT_MS), 0);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(sockenv_send_all(acc, "pong", 4, TIMEOUT_MS), 0);
	assert_int_equal(sockenv_recv_full(est, buf, 4, NULL, TIMEOUT_MS), 0);
	assert_memory_equal(buf, "pong", 4);
	/* Connecting again: the live backend. */
	fresh = sockenv_connect("10.96.0.21", 80, TIMEOUT_MS);
	assert_true(fresh >= 0);
	facc = sockenv_accept(lfd, TIMEOUT_MS);
	assert_true(facc >= 0);

	close(fresh);
	close(facc);
	close(est);
	close(acc);
	close(syn);
	close(syn_direct);
}

/* --- 4. a socket in another network namespace (a pod's) ----------------- */

/* The child: a namespace of its own (in the test cgroup still), its own
 * backend on its loopback, a connected socket through the VIP. Tells the
 * parent it is ready (1 byte), waits for the go, then answers with what
 * recv() said: 0 (nothing wrong) or an errno. */
static void __attribute__((noreturn)) pod(int cmd, const char *vip)
{
	char c = 0;
	int s, cl, res;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNET) || run_cmd("ip link set lo up"))
		_exit(2);
	s = udp_socket(SOCKENV_HOST1, UDP_PORT, true);
	cl = udp_socket(vip, 53, false);
	if (s < 0 || cl < 0 || send(cl, "p", 1, 0) != 1 ||
	    sockenv_wait(s, POLLIN, TIMEOUT_MS) <= 0 ||
	    write(cmd, &c, 1) != 1 || read(cmd, &c, 1) != 1)
		_exit(3);
	res = recv(cl, &c, 1, MSG_DONTWAIT) < 0 ? errno : 0;
	c = (char)res;
	_exit(write(cmd, &c, 1) == 1 ? 0 : 4);
}

/* A pod whose socket went through vip:53 (only backend: HOST1:5353). */
static void pod_start(struct pod *p, const char *vip)
{
	int sp[2];
	char c;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		close(sp[0]);
		pod(sp[1], vip);
	}
	close(sp[1]);
	p->fd = sp[0];
	live_pod = p;
	assert_true(sockenv_wait(p->fd, POLLIN, TIMEOUT_MS) > 0);
	assert_int_equal(read(p->fd, &c, 1), 1);
}

/* What the pod's recv() said after the change: 0 or an errno. */
static int pod_result(struct pod *p)
{
	int status;
	char c = 0;

	assert_int_equal(write(p->fd, &c, 1), 1);
	assert_true(sockenv_wait(p->fd, POLLIN, TIMEOUT_MS) > 0);
	assert_int_equal(read(p->fd, &c, 1), 1);
	close(p->fd);
	live_pod = NULL;
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return c;
}

static void test_other_netns(void **state)
{
	struct pod p;

	(void)state;
	skip_unsupported();
	service("10.96.0.30:53/udp", SOCKENV_HOST1 ":5353");
	pod_start(&p, "10.96.0.30");
	CTL_OK("backend add 10.96.0.30:53/udp %s:5353", SOCKENV_HOST2);
	CTL_OK("backend del 10.96.0.30:53/udp %s:5353", SOCKENV_HOST1);
	assert_int_equal(pod_result(&p), ECONNABORTED);
}

/* --- 5. by hand: shuntctl sock destroy -------------------------------- */

static void test_ctl_destroy(void **state)
{
	static char out[4096];
	int c, c2;

	(void)state;
	skip_unsupported();
	service("10.96.0.10:53/udp", SOCKENV_HOST1 ":5353");
	c = udp_client("10.96.0.10", 53);
	assert_int_equal(roundtrip(c), SA);
	assert_int_equal(sockenv_ctl_capture(&env, out, sizeof(out),
					     "sock destroy 10.96.0.10:53/udp "
					     "%s:5353",
					     SOCKENV_HOST1),
			 0);
	assert_non_null(strstr(out, "ended 1 UDP and 0 connecting TCP"));
	expect_aborted(c);
	/* The backend stays: a new socket may get it again. */
	c2 = udp_client("10.96.0.10", 53);
	assert_int_equal(roundtrip(c2), SA);
	/* Unknown service, bad backend. */
	assert_int_equal(sockenv_ctl(&env,
				     "sock destroy 10.96.9.9:53/udp "
				     "%s:5353 2>/dev/null",
				     SOCKENV_HOST1),
			 1);
	assert_int_equal(sockenv_ctl(&env, "sock destroy 10.96.0.10:53/udp "
					   "nonsense 2>/dev/null"),
			 2);
	expect_untouched(c2);
	close(c);
	close(c2);
}

/* --- 6. the agent: a services file change that removes a backend ------ */

static const char svc_file[] = "services:\n"
			       "  - vip: 10.96.0.40\n"
			       "    port: 53\n"
			       "    protocol: udp\n"
			       "    backends:\n"
			       "      - address: %s\n"
			       "        port: 5353\n";

static void write_services(const char *path, const char *backend)
{
	char text[512];

	snprintf(text, sizeof(text), svc_file, backend);
	assert_int_equal(agent_replace_file(path, text, ""), 0);
}

static void test_agent_sync(void **state)
{
	static char body[1 << 16];
	char path[PATH_MAX + 32];
	const char *argv[] = {
		"--cgroup",	   "none", "--pin-root", env.pin_root,
		"--services-file", path,   NULL};
	int c;

	(void)state;
	skip_unsupported();
	snprintf(path, sizeof(path), "%s/services.yaml", env.tmpdir);
	write_services(path, SOCKENV_HOST1);
	snprintf(agent.log, sizeof(agent.log), "%.200s/shuntd.log", env.tmpdir);
	snprintf(agent.metrics, sizeof(agent.metrics), "127.0.0.1:%d",
		 agent_free_port());
	assert_int_equal(agent_start(&agent, argv, 20000), 0);
	c = udp_client("10.96.0.40", 53);
	assert_int_equal(roundtrip(c), SA);
	write_services(path, SOCKENV_HOST2);
	assert_true(agent_wait_log(&agent, "ended sockets of removed backends",
				   AGENT_WAIT_MS));
	expect_aborted(c);
	close(c);
	assert_true(agent_wait_metric(
		&agent, "shunt_sock_destroyed_total{proto=\"udp\"} 1\n", body,
		sizeof(body), AGENT_WAIT_MS));
	c = udp_client("10.96.0.40", 53);
	assert_int_equal(roundtrip(c), SB);
	close(c);
	assert_int_equal(agent_stop(&agent), 0);
	agent.pid = 0;
}

/* --- 7. turned off (as on a kernel before 6.5): said once, nothing ended */

/* Until the agent's log has n lines with needle. */
static bool wait_log_count(const char *needle, int n)
{
	long long end = sockenv_now_ms() + AGENT_WAIT_MS;

	while (agent_log_count(&agent, needle) < n) {
		if (sockenv_now_ms() > end)
			return false;
		usleep(20 * 1000);
	}
	return true;
}

static void test_turned_off(void **state)
{
	static const char note[] = "stale sockets of removed backends are "
				   "not ended";
	static char out[4096];
	char path[PATH_MAX + 32];
	const char *argv[] = {
		"--cgroup",	   "none", "--pin-root", env.pin_root,
		"--services-file", path,   NULL};
	int c, rc;

	(void)state;
	service("10.96.0.10:53/udp", SOCKENV_HOST1 ":5353");
	c = udp_client("10.96.0.10", 53);
	assert_int_equal(roundtrip(c), SA);
	CTL_OK("backend add 10.96.0.10:53/udp %s:5353", SOCKENV_HOST2);
	assert_int_equal(
		run_capture(out, sizeof(out),
			    "SHUNT_NO_SOCK_DESTROY=1 %s --pin-root %s backend "
			    "del 10.96.0.10:53/udp %s:5353 2>&1",
			    env.shuntctl, env.pin_root, SOCKENV_HOST1),
		0);
	assert_non_null(
		strstr(out, "note: turned off by SHUNT_NO_SOCK_DESTROY"));
	/* Left stale: still connected to the backend that left. */
	expect_untouched(c);
	assert_int_equal(roundtrip(c), SA);
	close(c);

	/* The agent says it once, however many removals follow. */
	snprintf(path, sizeof(path), "%s/services.yaml", env.tmpdir);
	write_services(path, SOCKENV_HOST1);
	snprintf(agent.log, sizeof(agent.log), "%.200s/shuntd-off.log",
		 env.tmpdir);
	snprintf(agent.metrics, sizeof(agent.metrics), "127.0.0.1:%d",
		 agent_free_port());
	setenv(SHUNT_NO_SOCK_DESTROY_ENV, "1", 1);
	rc = agent_start(&agent, argv, 20000);
	unsetenv(SHUNT_NO_SOCK_DESTROY_ENV);
	assert_int_equal(rc, 0);
	/* Each write applied before the next: the start-up sync already
	 * removed a backend (the shuntctl change above left HOST2), and
	 * two writes inside one sync would be read as one. */
	write_services(path, SOCKENV_HOST2);
	assert_true(wait_log_count("synced", 2));
	write_services(path, SOCKENV_HOST1);
	assert_true(wait_log_count("synced", 3));
	write_services(path, SOCKENV_HOST2);
	assert_true(wait_log_count("synced", 4));
	assert_int_equal(agent_log_count(&agent, note), 1);
	assert_int_equal(agent_stop(&agent), 0);
	agent.pid = 0;
}

/* --- 8. without CAP_SYS_ADMIN: the caller's own namespace only ---------- */

static void test_without_sys_admin(void **state)
{
	static char err[4096];
	struct pod p;
	int c;

	(void)state;
	skip_unsupported();
	service("10.96.0.30:53/udp", SOCKENV_HOST1 ":5353");
	pod_start(&p, "10.96.0.30");
	c = udp_client("10.96.0.30", 53);
	assert_int_equal(roundtrip(c), SA);
	CTL_OK("backend add 10.96.0.30:53/udp %s:5353", SOCKENV_HOST2);
	assert_int_equal(
		run_capture(
			err, sizeof(err),
			"setpriv --bounding-set=-sys_admin %s --pin-root %s "
			"backend del 10.96.0.30:53/udp %s:5353 2>&1",
			env.shuntctl, env.pin_root, SOCKENV_HOST1),
		0);
	print_message("  %s", err);
	assert_non_null(
		strstr(err, "not entered (setns() needs CAP_SYS_ADMIN)"));
	expect_aborted(c);
	assert_int_equal(pod_result(&p), EAGAIN); /* nothing, no error */
	close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_udp_connected, no_services),
		cmocka_unit_test_setup(test_udp_other_service, no_services),
		cmocka_unit_test_setup(test_tcp, no_services),
		cmocka_unit_test_setup(test_other_netns, no_services),
		cmocka_unit_test_setup(test_without_sys_admin, no_services),
		cmocka_unit_test_setup(test_agent_sync, no_services),
		cmocka_unit_test_setup(test_ctl_destroy, no_services),
		cmocka_unit_test_setup(test_turned_off, no_services),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
