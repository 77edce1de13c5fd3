/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test helpers: sockets in named network namespaces, shell commands.
 */
#ifndef SHUNT_TEST_NETNS_H
#define SHUNT_TEST_NETNS_H

#include <stddef.h>

/*
 * Create a socket inside the named netns (/run/netns/NAME): the calling
 * thread switches there, creates the socket and switches back. The socket
 * stays in that namespace for its whole life. ns NULL or "" means the
 * current namespace. Returns the fd or -errno.
 */
int netns_socket(const char *ns, int domain, int type, int proto);

/*
 * Run a shell command (/bin/sh -c); its stdout and stderr go to the test's
 * stderr, its stdin is /dev/null. Returns its exit status (128 + signal if
 * it was killed) or -errno.
 */
int run_cmd(const char *cmd);
int run_cmdf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Like run_cmdf, but captures stdout into buf (NUL-terminated, truncated to
 * len - 1; the rest is read and dropped). Returns the exit status or -errno.
 * Waits for EOF on stdout: a background process the command leaves behind
 * must not keep it open.
 */
int run_capture(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* SHUNT_TEST_NETNS_H */
