/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The socket-path selftests' world (tests/sock: sockmap, socket tuning):
 * the test process in a network namespace of its own (unshare, lo up;
 * servers on 127.0.0.2 and 127.0.0.3), a private pin root, and a test
 * cgroup under the cgroup v2 root with shunt's socket programs attached,
 * which the test process itself joins, so that its own client and server
 * sockets, and those of the servers it starts, are all covered.
 *
 * Teardown (sockenv_down, also run at exit) kills what was started,
 * unloads shunt, removes the pin root, the test cgroup (after moving the
 * process back where it came from) and the temporary directory. Names
 * carry the pid (shunt-sock-TAG-PID, shunt-test-CGTAG-PID) so that
 * tests/run-tests.sh can sweep what a killed run left behind.
 *
 * Also: poll-driven socket I/O with deadlines, and a data pattern that
 * tells every byte of every stream apart (misdelivery, loss, duplication
 * and reordering all show as a mismatch at a known offset).
 */
#ifndef SHUNT_TEST_SOCKENV_H
#define SHUNT_TEST_SOCKENV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOCKENV_HOST1	 "127.0.0.2"
#define SOCKENV_HOST2	 "127.0.0.3"
#define SOCKENV_MAX_KIDS 16

struct sockenv {
	char src[PATH_MAX];	 /* repository root */
	char shuntctl[PATH_MAX]; /* the binary under test */
	char httpd[PATH_MAX];	 /* tests/tools/shunt-httpd, built */
	char pin_root[128];
	char cg_root[PATH_MAX]; /* cgroup v2 mount */
	char cg_home[PATH_MAX]; /* the cgroup the process came from */
	char cgroup[PATH_MAX];	/* the test cgroup */
	char tmpdir[PATH_MAX];
	pid_t kids[SOCKENV_MAX_KIDS];
	int nkids;
	bool unshared, pinned, cg_made, cg_joined;
};

/*
 * Pin root /sys/fs/bpf/shunt-sock-PIN_TAG-PID, cgroup
 * <root>/shunt-test-CG_TAG-PID. 0, or -1 with everything undone.
 */
int sockenv_up(struct sockenv *e, const char *pin_tag, const char *cg_tag);
/* Idempotent; safe after a partial sockenv_up. */
void sockenv_down(struct sockenv *e);

/* Move the whole process out of the test cgroup (back where it came
 * from) or into it again: sockets created outside are not covered by the
 * socket programs. 0 or -errno. */
int sockenv_outside(struct sockenv *e, bool out);

/* shuntctl with the env's pin root: exit status; stdout to the test's
 * stderr, or captured into buf. */
int sockenv_ctl(struct sockenv *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sockenv_ctl_capture(struct sockenv *e, char *buf, size_t len,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* shuntctl's stderr (its stdout dropped) into buf: exit status. */
int sockenv_ctl_stderr(struct sockenv *e, char *buf, size_t len,
		       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The datapath counters the socket tests look at. */
struct sockenv_counters {
	long long sockets, pairs, msgs, bytes, no_peer;
	long long tune_applied, tune_failed;
};

/* From `shuntctl stats --json`: 0 or -1. */
int sockenv_counters(struct sockenv *e, struct sockenv_counters *c);

/* Start argv[0] (absolute path) as a child in the test cgroup, dying
 * with the test (PR_SET_PDEATHSIG), stdout and stderr appended to
 * tmpdir/LOG. Returns the pid or -errno. */
pid_t sockenv_spawn(struct sockenv *e, const char *log, char *const argv[]);
/* SIGTERM, then SIGKILL after 2 s; reaped. 0 or -errno. */
int sockenv_kill(struct sockenv *e, pid_t pid);
/* True while the child runs. */
bool sockenv_alive(struct sockenv *e, pid_t pid);

/* shunt-httpd --name NAME --bind ADDR --port PORT, listening before this
 * returns: its pid or -errno. */
pid_t sockenv_httpd(struct sockenv *e, const char *name, const char *addr,
		    int port);

/* Wait until something listens on TCP addr:port in this namespace (read
 * from /proc/net/tcp: no connection is made). 0 or -ETIMEDOUT. */
int sockenv_wait_listen(const char *addr, int port, int timeout_ms);

/* Raise RLIMIT_NOFILE to at least n (up to the hard limit, raising that
 * too when allowed). 0 or -errno. */
int sockenv_nofile(unsigned long n);

/* --- sockets ------------------------------------------------------------ */

long long sockenv_now_ms(void);

/* A listening IPv4 TCP socket (SO_REUSEADDR): fd or -errno. */
int sockenv_listen(const char *addr, int port, int backlog);
/* A connected IPv4 TCP socket (blocking fd, connected with a deadline):
 * fd or -errno. */
int sockenv_connect(const char *addr, int port, int timeout_ms);
/* Started, not waited for: fd (O_NONBLOCK) or -errno. */
int sockenv_connect_start(const char *addr, int port);
/* accept() within the deadline: blocking fd or -errno. */
int sockenv_accept(int lfd, int timeout_ms);
/* Local or remote port of a socket. */
int sockenv_local_port(int fd);
int sockenv_remote_port(int fd);

/* poll() fd for events: its revents, 0 on timeout, -errno. */
int sockenv_wait(int fd, short events, int timeout_ms);

/*
 * Poll-driven I/O that works on blocking fds too (MSG_DONTWAIT): never
 * blocks past the deadline. send: all of buf, or -errno (-ETIMEDOUT).
 * recv: up to len bytes, returning as soon as some arrived: count, 0 at
 * EOF, or -errno. recv_full: exactly len bytes (-EPIPE on an early EOF,
 * with *got telling how many came).
 */
int sockenv_send_all(int fd, const void *buf, size_t len, int timeout_ms);
ssize_t sockenv_recv_some(int fd, void *buf, size_t len, int timeout_ms);
int sockenv_recv_full(int fd, void *buf, size_t len, size_t *got,
		      int timeout_ms);
/* Read until EOF: 0 with *got bytes stored (at most len; more is an
 * error, -EMSGSIZE), or -errno. */
int sockenv_recv_eof(int fd, void *buf, size_t len, size_t *got,
		     int timeout_ms);

/* --- data pattern ------------------------------------------------------- */

/* Byte off of the stream with this seed. */
uint8_t sockenv_pattern_byte(uint64_t seed, uint64_t off);
void sockenv_pattern_fill(void *buf, size_t len, uint64_t seed, uint64_t off);
/* Index of the first byte that differs, or len when all match. */
size_t sockenv_pattern_check(const void *buf, size_t len, uint64_t seed,
			     uint64_t off);
/* shunt-httpd's /bytes/N: byte i = (i * 7 + 13) & 0xff. */
size_t sockenv_httpd_check(const void *buf, size_t len, uint64_t off);

#endif /* SHUNT_TEST_SOCKENV_H */
