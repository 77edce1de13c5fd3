/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The socket-path selftests' world: see sockenv.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "netns.h"
#include "sockenv.h"

static struct sockenv *atexit_env;

long long sockenv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Write a short string to a file (cgroup.procs, cgroup.kill). */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_rf(const char *path)
{
	if (path[0])
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The process's cgroup v2 path ("/..." under the mount), from
 * /proc/self/cgroup's "0::" line. */
static int own_cgroup(char *buf, size_t len)
{
	char line[PATH_MAX + 16];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, len, "%.4000s", line + 3);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static void paths(struct sockenv *e)
{
	const char *src = getenv("SHUNT_SRC"), *build = getenv("BUILD");
	char cwd[PATH_MAX], dir[PATH_MAX];

	if (!src || !*src)
		src = getcwd(cwd, sizeof(cwd));
	if (!src)
		src = ".";
	if (!build || !*build)
		build = "build";
	snprintf(e->src, sizeof(e->src), "%s", src);
	if (build[0] == '/')
		snprintf(dir, sizeof(dir), "%s", build);
	else
		snprintf(dir, sizeof(dir), "%.2000s/%.2000s", src, build);
	snprintf(e->shuntctl, sizeof(e->shuntctl), "%.4000s/shuntctl", dir);
	snprintf(e->httpd, sizeof(e->httpd), "%.4000s/tools/shunt-httpd", dir);
}

/* Temporary directories of runs that were killed (their pid is gone):
 * /tmp/shunt-sock-TAG-PID-XXXXXX. */
static void sweep_tmp(const char *tag)
{
	char pattern[128], fmt[128];
	glob_t g;
	size_t i;
	int pid;

	snprintf(pattern, sizeof(pattern), "/tmp/shunt-sock-%s-*", tag);
	snprintf(fmt, sizeof(fmt), "/tmp/shunt-sock-%s-%%d-", tag);
	if (glob(pattern, GLOB_NOSORT, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc; i++) {
		if (sscanf(g.gl_pathv[i], fmt, &pid) == 1 && pid > 0 &&
		    kill(pid, 0) && errno == ESRCH)
			rm_rf(g.gl_pathv[i]);
	}
	globfree(&g);
}

static void down_at_exit(void)
{
	if (atexit_env)
		sockenv_down(atexit_env);
}

int sockenv_up(struct sockenv *e, const char *pin_tag, const char *cg_tag)
{
	static bool registered;
	int pid = (int)getpid();
	char path[PATH_MAX + 32];

	memset(e, 0, sizeof(*e));
	paths(e);
	if (access(e->shuntctl, X_OK)) {
		fprintf(stderr, "sockenv: no shuntctl at %s\n", e->shuntctl);
		return -1;
	}
	if (!registered) {
		atexit(down_at_exit);
		registered = true;
	}
	atexit_env = e;

	sweep_tmp(pin_tag);
	snprintf(e->tmpdir, sizeof(e->tmpdir), "/tmp/shunt-sock-%s-%d-XXXXXX",
		 pin_tag, pid);
	if (!mkdtemp(e->tmpdir)) {
		e->tmpdir[0] = '\0';
		goto fail;
	}
	if (unshare(CLONE_NEWNET)) {
		perror("sockenv: unshare(CLONE_NEWNET)");
		goto fail;
	}
	e->unshared = true;
	if (run_cmd("ip link set lo up"))
		goto fail;

	snprintf(e->pin_root, sizeof(e->pin_root),
		 "/sys/fs/bpf/shunt-sock-%s-%d", pin_tag, pid);
	e->pinned = true;

	if (shunt_cgroup_root(e->cg_root, sizeof(e->cg_root)) ||
	    own_cgroup(e->cg_home, sizeof(e->cg_home))) {
		fprintf(stderr, "sockenv: no cgroup v2\n");
		goto fail;
	}
	snprintf(e->cgroup, sizeof(e->cgroup), "%.3000s/shunt-test-%s-%d",
		 e->cg_root, cg_tag, pid);
	if (mkdir(e->cgroup, 0755)) {
		perror(e->cgroup);
		goto fail;
	}
	e->cg_made = true;
	if (sockenv_ctl(e, "cgroup attach %s", e->cgroup))
		goto fail;
	snprintf(path, sizeof(path), "%s/cgroup.procs", e->cgroup);
	if (write_file(path, "0")) {
		perror(path);
		goto fail;
	}
	e->cg_joined = true;
	return 0;
fail:
	sockenv_down(e);
	return -1;
}

static int join_home(struct sockenv *e)
{
	char path[PATH_MAX * 2 + 32];

	snprintf(path, sizeof(path), "%s%s/cgroup.procs", e->cg_root,
		 strcmp(e->cg_home, "/") ? e->cg_home : "");
	if (!write_file(path, "0"))
		return 0;
	/* the old place may be gone, or be no leaf any more */
	snprintf(path, sizeof(path), "%s/cgroup.procs", e->cg_root);
	return write_file(path, "0");
}

int sockenv_outside(struct sockenv *e, bool out)
{
	char path[PATH_MAX + 32];
	int err;

	if (!e->cg_made)
		return -ENOENT;
	if (out) {
		err = join_home(e);
		if (!err)
			e->cg_joined = false;
		return err;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", e->cgroup);
	err = write_file(path, "0");
	if (!err)
		e->cg_joined = true;
	return err;
}

/* Kill whatever is left in the test cgroup, wait until it is empty. */
static void empty_cgroup(struct sockenv *e)
{
	char path[PATH_MAX + 32], line[64];
	long long deadline = sockenv_now_ms() + 3000;
	bool empty;
	FILE *f;
	int pid;

	do {
		snprintf(path, sizeof(path), "%s/cgroup.procs", e->cgroup);
		f = fopen(path, "re");
		if (!f)
			return;
		empty = true;
		while (fgets(line, sizeof(line), f)) {
			pid = atoi(line);
			if (pid > 0 && pid != (int)getpid()) {
				kill(pid, SIGKILL);
				empty = false;
			}
		}
		fclose(f);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!empty)
			sleep_ms(20);
	} while (!empty && sockenv_now_ms() < deadline);
}

void sockenv_down(struct sockenv *e)
{
	while (e->nkids > 0) /* sockenv_kill() forgets it */
		sockenv_kill(e, e->kids[e->nkids - 1]);
	if (e->cg_joined) {
		if (join_home(e))
			perror("sockenv: leaving the test cgroup");
		e->cg_joined = false;
	}
	if (e->cg_made)
		empty_cgroup(e);
	if (e->pinned) {
		run_cmdf("%s --pin-root %s unload >/dev/null 2>&1", e->shuntctl,
			 e->pin_root);
		rm_rf(e->pin_root);
		e->pinned = false;
	}
	if (e->cg_made) {
		if (rmdir(e->cgroup) && errno != ENOENT)
			perror(e->cgroup);
		e->cg_made = false;
	}
	if (e->tmpdir[0]) {
		rm_rf(e->tmpdir);
		e->tmpdir[0] = '\0';
	}
	if (atexit_env == e)
		atexit_env = NULL;
}

static int vctl(struct sockenv *e, char *buf, size_t len, const char *redir,
		const char *fmt, va_list ap)
{
	char args[2048];

	vsnprintf(args, sizeof(args), fmt, ap);
	if (!buf)
		return run_cmdf("%s --pin-root %s %s", e->shuntctl, e->pin_root,
				args);
	return run_capture(buf, len, "%s --pin-root %s %s%s", e->shuntctl,
			   e->pin_root, args, redir);
}

int sockenv_ctl(struct sockenv *e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vctl(e, NULL, 0, "", fmt, ap);
	va_end(ap);
	return rc;
}

int sockenv_ctl_capture(struct sockenv *e, char *buf, size_t len,
			const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vctl(e, buf, len, "", fmt, ap);
	va_end(ap);
	return rc;
}

int sockenv_ctl_stderr(struct sockenv *e, char *buf, size_t len,
		       const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vctl(e, buf, len, " 2>&1 >/dev/null", fmt, ap);
	va_end(ap);
	return rc;
}

static long long json_counter(struct json_object *dp, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(dp, name, &v))
		return -1;
	return json_object_get_int64(v);
}

int sockenv_counters(struct sockenv *e, struct sockenv_counters *c)
{
	static char out[1 << 16];
	struct json_object *root, *dp;
	int err = -1;

	if (sockenv_ctl_capture(e, out, sizeof(out), "stats --json"))
		return -1;
	root = json_tokener_parse(out);
	if (!root)
		return -1;
	if (json_object_object_get_ex(root, "datapath", &dp)) {
		c->sockets = json_counter(dp, "sockmap_sockets");
		c->pairs = json_counter(dp, "sockmap_pairs");
		c->msgs = json_counter(dp, "sockmap_msgs");
		c->bytes = json_counter(dp, "sockmap_bytes");
		c->no_peer = json_counter(dp, "sockmap_no_peer");
		c->tune_applied = json_counter(dp, "tune_applied");
		c->tune_failed = json_counter(dp, "tune_failed");
		err = (c->sockets < 0 || c->pairs < 0 || c->msgs < 0 ||
		       c->bytes < 0 || c->no_peer < 0 || c->tune_applied < 0 ||
		       c->tune_failed < 0)
			      ? -1
			      : 0;
	}
	json_object_put(root);
	return err;
}

pid_t sockenv_spawn(struct sockenv *e, const char *log, char *const argv[])
{
	char path[PATH_MAX + 64];
	pid_t parent = getpid(), pid;
	sigset_t all;
	int fd;

	if (e->nkids >= SOCKENV_MAX_KIDS)
		return -ENOSPC;
	snprintf(path, sizeof(path), "%s/%s", e->tmpdir, log);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != STDIN_FILENO) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		/* The test's own sockets must not live on in the child. */
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execv(argv[0], argv);
		_exit(127);
	}
	e->kids[e->nkids++] = pid;
	return pid;
}

static void forget(struct sockenv *e, pid_t pid)
{
	int i;

	for (i = 0; i < e->nkids; i++) {
		if (e->kids[i] == pid) {
			e->kids[i] = e->kids[--e->nkids];
			return;
		}
	}
}

bool sockenv_alive(struct sockenv *e, pid_t pid)
{
	pid_t r = waitpid(pid, NULL, WNOHANG);

	if (r == pid || (r < 0 && errno == ECHILD)) {
		forget(e, pid);
		return false;
	}
	return true;
}

int sockenv_kill(struct sockenv *e, pid_t pid)
{
	long long deadline = sockenv_now_ms() + 2000;
	pid_t r;

	forget(e, pid);
	if (kill(pid, SIGTERM) && errno == ESRCH)
		goto reap;
	while (sockenv_now_ms() < deadline) {
		r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
reap:
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

pid_t sockenv_httpd(struct sockenv *e, const char *name, const char *addr,
		    int port)
{
	char p[16], log[96];
	char *argv[] = {e->httpd, "--name",	(char *)name,
			"--bind", (char *)addr, "--port",
			p,	  NULL};
	pid_t pid;

	snprintf(p, sizeof(p), "%d", port);
	snprintf(log, sizeof(log), "httpd-%s.log", name);
	pid = sockenv_spawn(e, log, argv);
	if (pid < 0)
		return pid;
	if (sockenv_wait_listen(addr, port, 5000)) {
		sockenv_kill(e, pid);
		return -ETIMEDOUT;
	}
	return pid;
}

static bool listening(const char *addr, int port)
{
	unsigned int laddr, lport, state;
	struct in_addr want;
	char line[512];
	bool found = false;
	FILE *f;

	if (inet_pton(AF_INET, addr, &want) != 1)
		return false;
	f = fopen("/proc/net/tcp", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %x:%x %*x:%*x %x", &laddr, &lport,
			   &state) != 3)
			continue;
		found = state == 0x0A && (int)lport == port &&
			(laddr == want.s_addr || laddr == 0);
	}
	fclose(f);
	return found;
}

int sockenv_wait_listen(const char *addr, int port, int timeout_ms)
{
	long long deadline = sockenv_now_ms() + timeout_ms;

	while (!listening(addr, port)) {
		if (sockenv_now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
	return 0;
}

int sockenv_nofile(unsigned long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= n)
		return 0;
	if (rl.rlim_max < n) {
		struct rlimit want = {.rlim_cur = n, .rlim_max = n};

		if (!setrlimit(RLIMIT_NOFILE, &want))
			return 0;
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		return -EPERM;
	}
	rl.rlim_cur = n;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/* --- sockets ------------------------------------------------------------ */

static int addr4(struct sockaddr_in *sa, const char *addr, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

int sockenv_listen(const char *addr, int port, int backlog)
{
	struct sockaddr_in sa;
	int fd, one = 1, err;

	if (addr4(&sa, addr, port))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, backlog)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int sockenv_connect_start(const char *addr, int port)
{
	struct sockaddr_in sa;
	int fd, err;

	if (addr4(&sa, addr, port))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int sockenv_connect(const char *addr, int port, int timeout_ms)
{
	int fd = sockenv_connect_start(addr, port), soerr = 0, rv;
	socklen_t len = sizeof(soerr);

	if (fd < 0)
		return fd;
	rv = sockenv_wait(fd, POLLOUT, timeout_ms);
	if (rv <= 0) {
		close(fd);
		return rv ? rv : -ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
		close(fd);
		return soerr ? -soerr : -EIO;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		rv = -errno;
		close(fd);
		return rv;
	}
	return fd;
}

int sockenv_accept(int lfd, int timeout_ms)
{
	int rv = sockenv_wait(lfd, POLLIN, timeout_ms), fd;

	if (rv <= 0)
		return rv ? rv : -ETIMEDOUT;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int port_of(int fd, bool local)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc = local ? getsockname(fd, (struct sockaddr *)&ss, &len)
		       : getpeername(fd, (struct sockaddr *)&ss, &len);

	if (rc)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int sockenv_local_port(int fd)
{
	return port_of(fd, true);
}

int sockenv_remote_port(int fd)
{
	return port_of(fd, false);
}

int sockenv_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	long long deadline = sockenv_now_ms() + timeout_ms, left;
	int n;

	for (;;) {
		left = deadline - sockenv_now_ms();
		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return p.revents;
		if (!n)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int sockenv_send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	long long deadline = sockenv_now_ms() + timeout_ms;
	const char *p = buf;
	ssize_t n;
	int rv;

	while (len) {
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		rv = sockenv_wait(fd, POLLOUT,
				  (int)(deadline - sockenv_now_ms()));
		if (rv < 0)
			return rv;
		if (!rv)
			return -ETIMEDOUT;
	}
	return 0;
}

ssize_t sockenv_recv_some(int fd, void *buf, size_t len, int timeout_ms)
{
	long long deadline = sockenv_now_ms() + timeout_ms;
	ssize_t n;
	int rv;

	for (;;) {
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		rv = sockenv_wait(fd, POLLIN,
				  (int)(deadline - sockenv_now_ms()));
		if (rv < 0)
			return rv;
		if (!rv)
			return -ETIMEDOUT;
	}
}

int sockenv_recv_full(int fd, void *buf, size_t len, size_t *got,
		      int timeout_ms)
{
	long long deadline = sockenv_now_ms() + timeout_ms;
	size_t have = 0;
	ssize_t n;
	int err = 0;

	while (have < len) {
		n = sockenv_recv_some(fd, (char *)buf + have, len - have,
				      (int)(deadline - sockenv_now_ms()));
		if (n <= 0) {
			err = n ? (int)n : -EPIPE;
			break;
		}
		have += (size_t)n;
	}
	if (got)
		*got = have;
	return err;
}

int sockenv_recv_eof(int fd, void *buf, size_t len, size_t *got, int timeout_ms)
{
	long long deadline = sockenv_now_ms() + timeout_ms;
	size_t have = 0;
	char extra[256];
	ssize_t n;
	int err = 0;

	for (;;) {
		if (have < len)
			n = sockenv_recv_some(
				fd, (char *)buf + have, len - have,
				(int)(deadline - sockenv_now_ms()));
		else
			n = sockenv_recv_some(
				fd, extra, sizeof(extra),
				(int)(deadline - sockenv_now_ms()));
		if (n < 0) {
			err = (int)n;
			break;
		}
		if (!n)
			break;
		if (have >= len) {
			err = -EMSGSIZE;
			break;
		}
		have += (size_t)n;
	}
	if (got)
		*got = have;
	return err;
}

/* --- data pattern ------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t pattern_word(uint64_t seed, uint64_t word)
{
	return mix64(seed * 0x9e3779b97f4a7c15ULL + word + 1);
}

uint8_t sockenv_pattern_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(pattern_word(seed, off >> 3) >> ((off & 7) * 8));
}

void sockenv_pattern_fill(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	uint8_t *p = buf;
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (i == 0 || (off & 7) == 0)
			w = pattern_word(seed, off >> 3);
		p[i] = (uint8_t)(w >> ((off & 7) * 8));
	}
}

size_t sockenv_pattern_check(const void *buf, size_t len, uint64_t seed,
			     uint64_t off)
{
	const uint8_t *p = buf;
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (i == 0 || (off & 7) == 0)
			w = pattern_word(seed, off >> 3);
		if (p[i] != (uint8_t)(w >> ((off & 7) * 8)))
			return i;
	}
	return len;
}

size_t sockenv_httpd_check(const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(((off + i) * 7 + 13) & 0xff))
			return i;
	return len;
}
