/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test helpers: sockets in named network namespaces, shell commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"

#define NETNS_RUN_DIR "/run/netns"

static int netns_open(const char *ns)
{
	char path[256];
	int fd;

	if (strchr(ns, '/'))
		return -EINVAL;
	if (snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", ns) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

int netns_socket(const char *ns, int domain, int type, int proto)
{
	int self, target, fd, err;

	if (!ns || !*ns) {
		fd = socket(domain, type, proto);
		return fd < 0 ? -errno : fd;
	}
	target = netns_open(ns);
	if (target < 0)
		return target;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		close(target);
		return err;
	}
	err = netns_enter(target);
	close(target);
	if (err) {
		close(self);
		return err;
	}
	fd = socket(domain, type, proto);
	if (fd < 0)
		fd = -errno;
	err = netns_enter(self);
	close(self);
	if (err) {
		/* The thread is stranded in the wrong namespace. */
		fprintf(stderr, "netns_socket: cannot return from %s: %s\n", ns,
			strerror(-err));
		abort();
	}
	return fd;
}

/* Child side: stdin from /dev/null, stdout to out_fd, then sh -c cmd. */
static void child_exec(const char *cmd, int out_fd)
{
	int null = open("/dev/null", O_RDONLY);

	if (null >= 0 && null != STDIN_FILENO) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	if (out_fd != STDOUT_FILENO && dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -ECHILD;
}

int run_cmd(const char *cmd)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child_exec(cmd, STDERR_FILENO);
	return wait_status(pid);
}

int run_cmdf(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int n, ret;

	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	ret = run_cmd(cmd);
	free(cmd);
	return ret;
}

/* Read fd to EOF into buf (at most len - 1 bytes kept, NUL-terminated). */
static int read_all(int fd, char *buf, size_t len)
{
	size_t used = 0;
	char drop[4096];
	ssize_t n;

	for (;;) {
		if (used + 1 < len)
			n = read(fd, buf + used, len - 1 - used);
		else
			n = read(fd, drop, sizeof(drop));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!n)
			break;
		if (used + 1 < len)
			used += (size_t)n;
	}
	if (len)
		buf[used] = '\0';
	return n < 0 ? -errno : 0;
}

static int capture(char *buf, size_t len, const char *cmd)
{
	int p[2], err, ret;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (!pid)
		child_exec(cmd, p[1]);
	close(p[1]);
	err = read_all(p[0], buf, len);
	close(p[0]);
	ret = wait_status(pid);
	return ret < 0 ? ret : err ? err : ret;
}

int run_capture(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int n, ret;

	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	ret = capture(buf, len, cmd);
	free(cmd);
	return ret;
}
