/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test helpers: a minimal HTTP/1.1 client and a UDP request/response, both
 * from a named network namespace (see netns.h). Hosts are IPv4 or IPv6
 * literals ("10.96.0.10", "fd00:96::10" or "[fd00:96::10]"). Every call has
 * a timeout in milliseconds and returns 0 or -errno (-ETIMEDOUT on timeout).
 */
#ifndef SHUNT_TEST_HTTPC_H
#define SHUNT_TEST_HTTPC_H

#include <stddef.h>

/* An HTTP/1.1 client over a connected socket, kept open across changes. */
struct http_conn {
	int fd;
};

/* Connect from netns `ns` (NULL: current one) to host:port. */
int http_connect(struct http_conn *c, const char *ns, const char *host,
		 int port, int timeout_ms);

/*
 * Send `GET path` (keep-alive unless close != 0), read the full response
 * (Content-Length framing, or up to EOF when the server sends none), put the
 * status in *status and the body, NUL-terminated and truncated to
 * bodylen - 1, into body (may be NULL). Bodies may hold NUL bytes (/bytes).
 */
int http_get(struct http_conn *c, const char *path, int close, int *status,
	     char *body, size_t bodylen, int timeout_ms);

/*
 * Like http_get, but the body is handed to sink() piece by piece instead of
 * being kept (large transfers); sink returns 0 or -errno, which aborts.
 * *total (may be NULL) gets the body's length.
 */
typedef int (*http_sink_fn)(const void *data, size_t len, void *arg);
int http_get_sink(struct http_conn *c, const char *path, int close, int *status,
		  http_sink_fn sink, void *arg, unsigned long long *total,
		  int timeout_ms);

/* The backend number N of a shunt-httpd "beN" answer (status 200, 1 <= N
 * <= nmax), or -EPROTO for anything else. */
int http_backend_of(int status, const char *body, int nmax);

/* GET / on c (keep-alive): the answering backend's number or -errno. */
int http_get_backend(struct http_conn *c, int nmax, int timeout_ms);

/* Close the socket (fd becomes -1); safe to call twice. */
void http_close(struct http_conn *c);

/* One-shot: connect, GET with "Connection: close", close. */
int http_get_once(const char *ns, const char *host, int port, const char *path,
		  int *status, char *body, size_t bodylen, int timeout_ms);

/*
 * UDP request/response from netns `ns`: send payload to host:port and wait
 * for one reply, NUL-terminated into reply (truncated to replylen - 1).
 * connected != 0 uses connect() + send/recv (so only the peer's answer is
 * taken, and an ICMP error gives -ECONNREFUSED), else sendto/recvfrom.
 * The reply's source is written to from (may be NULL) as "IP:PORT", or
 * "[IP6]:PORT" for IPv6.
 */
int udp_query(const char *ns, const char *host, int port, int connected,
	      const char *payload, char *reply, size_t replylen, char *from,
	      size_t fromlen, int timeout_ms);

#endif /* SHUNT_TEST_HTTPC_H */
