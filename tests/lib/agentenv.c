// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Running shuntd in tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "httpc.h"
#include "netns.h"

int agent_replace_file(const char *path, const char *head, const char *tail)
{
	char tmp[4200];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	if (fputs(head, f) < 0 || fputs(tail, f) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	return err;
}

void agent_binary(char *buf, size_t len, const char *name)
{
	const char *src = getenv("SHUNT_SRC"), *build = getenv("BUILD");
	char cwd[4096];

	if (!src || !*src)
		src = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	if (!build || !*build)
		build = "build";
	if (build[0] == '/')
		snprintf(buf, len, "%s/%s", build, name);
	else
		snprintf(buf, len, "%s/%s/%s", src, build, name);
}

int agent_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

void agent_exec(const struct agent_proc *a, const char *const *argv)
{
	const char *args[64];
	char bin[4200];
	int i = 0, fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (a->netns[0]) {
		char path[128];

		snprintf(path, sizeof(path), "/run/netns/%s", a->netns);
		fd = open(path, O_RDONLY);
		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(127);
		close(fd);
	}
	fd = open(a->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	agent_binary(bin, sizeof(bin), "shuntd");
	args[i++] = bin;
	for (; *argv && i < 60; argv++)
		args[i++] = *argv;
	args[i++] = "--metrics-addr";
	args[i++] = a->metrics;
	args[i] = NULL;
	execv(bin, (char *const *)args);
	_exit(127);
}

int agent_get(const struct agent_proc *a, const char *path, int *status,
	      char *body, size_t len)
{
	char host[64];
	const char *colon = strrchr(a->metrics, ':');

	snprintf(host, sizeof(host), "%.*s", (int)(colon - a->metrics),
		 a->metrics);
	return http_get_once(a->netns[0] ? a->netns : NULL, host,
			     atoi(colon + 1), path, status, body, len, 1000);
}

int agent_start(struct agent_proc *a, const char *const *argv, int timeout_ms)
{
	struct timespec d = {.tv_nsec = 50 * 1000 * 1000};
	char body[256];
	int status, waited, i;

	a->pid = fork();
	if (a->pid < 0)
		return -1;
	if (a->pid == 0)
		agent_exec(a, argv);
	for (i = 0; i * 50 < timeout_ms; i++) {
		if (waitpid(a->pid, &waited, WNOHANG) == a->pid) {
			a->pid = -1; /* exited early */
			fprintf(stderr, "shuntd exited early: %s %d\n",
				WIFEXITED(waited) ? "status" : "signal",
				WIFEXITED(waited) ? WEXITSTATUS(waited)
						  : WTERMSIG(waited));
			agent_log_dump(a);
			return -1;
		}
		if (agent_get(a, "/readyz", &status, body, sizeof(body)) == 0 &&
		    status == 200)
			return 0;
		nanosleep(&d, NULL);
	}
	agent_stop(a);
	agent_log_dump(a);
	return -1;
}

int agent_stop(struct agent_proc *a)
{
	struct timespec d = {.tv_nsec = 20 * 1000 * 1000};
	char cmd[128];
	int st, i;

	if (a->pid <= 0)
		return -1;
	kill(a->pid, SIGTERM);
	/* Up to Kubernetes' default grace period: on a busy machine the
	 * kernel can take seconds to release an inotify fd (fsnotify waits
	 * for an SRCU grace period), and shuntd's exit waits for that. */
	for (i = 0; i * 20 < AGENT_STOP_MS; i++) {
		if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
			a->pid = -1;
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			fprintf(stderr, "shuntd died of signal %d\n",
				WTERMSIG(st));
			agent_log_dump(a);
			return -1;
		}
		nanosleep(&d, NULL);
	}
	fprintf(stderr, "shuntd still running %d ms after SIGTERM: killed\n",
		AGENT_STOP_MS);
	agent_log_dump(a);
	snprintf(cmd, sizeof(cmd),
		 "for t in /proc/%d/task/*; do echo $t; cat $t/stack; done >&2",
		 (int)a->pid);
	if (run_cmd(cmd))
		fprintf(stderr, "(no kernel stacks)\n");
	kill(a->pid, SIGKILL);
	waitpid(a->pid, &st, 0);
	a->pid = -1;
	return -1;
}

bool agent_log_has(const struct agent_proc *a, const char *needle)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen(a->log, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

int agent_log_count(const struct agent_proc *a, const char *needle)
{
	char line[4096];
	FILE *f = fopen(a->log, "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

bool agent_wait_log(const struct agent_proc *a, const char *needle,
		    int timeout_ms)
{
	struct timespec d = {.tv_nsec = 50 * 1000 * 1000};
	int i;

	for (i = 0; i * 50 <= timeout_ms; i++) {
		if (agent_log_has(a, needle))
			return true;
		nanosleep(&d, NULL);
	}
	fprintf(stderr, "not in the log: %s\n", needle);
	agent_log_dump(a);
	return false;
}

bool agent_wait_metric(const struct agent_proc *a, const char *needle,
		       char *body, size_t len, int timeout_ms)
{
	struct timespec d = {.tv_nsec = 100 * 1000 * 1000};
	int status, i;

	if (len)
		body[0] = '\0';
	for (i = 0; i * 100 <= timeout_ms; i++) {
		if (agent_get(a, "/metrics", &status, body, len) == 0 &&
		    status == 200 && strstr(body, needle))
			return true;
		nanosleep(&d, NULL);
	}
	fprintf(stderr, "not in /metrics: %s\n--- /metrics\n%.16384s--- end\n",
		needle, body);
	return false;
}

void agent_log_dump(const struct agent_proc *a)
{
	char line[4096];
	FILE *f = fopen(a->log, "r");

	if (!f)
		return;
	fprintf(stderr, "--- shuntd log %s\n", a->log);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fprintf(stderr, "--- end of log\n");
	fclose(f);
}
