/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Running shuntd in tests: start it with arguments, wait until /readyz
 * answers 200, stop it with SIGTERM and collect its exit status; its log
 * (stderr) goes to a file the test can search.
 */
#ifndef SHUNT_TEST_AGENTENV_H
#define SHUNT_TEST_AGENTENV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct agent_proc {
	pid_t pid;
	char log[256];	  /* its stderr */
	char metrics[64]; /* "127.0.0.1:PORT" */
	char netns[64];	  /* run in /run/netns/NAME ("" = ours) */
};

/* Path of a built binary: $SHUNT_SRC/$BUILD/name (defaults: cwd, build). */
void agent_binary(char *buf, size_t len, const char *name);
/* A free TCP port on 127.0.0.1 (in the current namespace). */
int agent_free_port(void);

/* Start shuntd with argv (NULL-terminated, without argv[0]) plus
 * --metrics-addr a->metrics. 0, or -1 when it did not become ready
 * within timeout_ms (it is then stopped). */
int agent_start(struct agent_proc *a, const char *const *argv, int timeout_ms);
/* In a forked child: what agent_start() runs there. Enter a->netns,
 * send stderr to a->log and exec shuntd with argv plus --metrics-addr
 * a->metrics; exits 127 when that fails. For a test that manages the
 * process itself (kills it at a random moment, ...). */
void agent_exec(const struct agent_proc *a, const char *const *argv)
	__attribute__((noreturn));
/* SIGTERM and wait (up to AGENT_STOP_MS); its exit status (-1 when it
 * died of a signal or had to be killed: then its log goes to stderr). */
#define AGENT_STOP_MS 30000
int agent_stop(struct agent_proc *a);
/* Does the log contain needle? */
bool agent_log_has(const struct agent_proc *a, const char *needle);
/* How many lines of the log contain needle. */
int agent_log_count(const struct agent_proc *a, const char *needle);
/* Poll (every 50 ms, up to timeout_ms) until the log contains needle;
 * the log goes to stderr when it does not. */
bool agent_wait_log(const struct agent_proc *a, const char *needle,
		    int timeout_ms);
/* Replace the file at path with head followed by tail (either may be
 * ""), as an editor or a ConfigMap update does: a new file renamed over
 * it, so inotify sees one change. 0 or -errno. */
int agent_replace_file(const char *path, const char *head, const char *tail);
/* Copy the log to stderr (for a failing test). */
void agent_log_dump(const struct agent_proc *a);
/* GET path from the metrics address: status and body. */
int agent_get(const struct agent_proc *a, const char *path, int *status,
	      char *body, size_t len);
/* /metrics is a snapshot rendered after each sync (at most once a
 * second): poll it (up to timeout_ms) until it contains needle. true when
 * it did; body holds the last answer either way (printed when not). */
bool agent_wait_metric(const struct agent_proc *a, const char *needle,
		       char *body, size_t len, int timeout_ms);

#endif /* SHUNT_TEST_AGENTENV_H */
