/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test helpers: a minimal HTTP/1.1 client and a UDP request/response, both
 * from a named network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"
#include "netns.h"

#define HEAD_MAX 8192
#define RECV_BUF 65536

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* What the response head says about the body. */
struct resp {
	int status;
	long long clen; /* -1: none, the body runs to EOF */
};

/* "10.0.0.1", "fd00::1" or "[fd00::1]" and a port. */
static int addr_parse(struct addr *a, const char *host, int port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	char buf[INET6_ADDRSTRLEN];
	size_t n;

	if (!host || port < 0 || port > 65535)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		a->len = sizeof(*s4);
		return 0;
	}
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
		return -EINVAL;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((unsigned short)port);
	a->len = sizeof(*s6);
	return 0;
}

static void addr_format(const struct sockaddr_storage *ss, char *buf,
			size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	char ip[INET6_ADDRSTRLEN];

	if (!buf || !len)
		return;
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (!n)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	ssize_t n;
	int err;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			err = wait_fd(fd, POLLOUT, deadline);
			if (err)
				return err;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Bytes read (> 0), 0 on EOF, or -errno. */
static ssize_t recv_some(int fd, void *buf, size_t len, long long deadline)
{
	ssize_t n;
	int err;

	for (;;) {
		n = recv(fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		err = wait_fd(fd, POLLIN, deadline);
		if (err)
			return err;
	}
}

static int connect_wait(int fd, const struct addr *a, long long deadline)
{
	socklen_t len = sizeof(int);
	int err, soerr = 0;

	if (!connect(fd, (const struct sockaddr *)&a->ss, a->len))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	err = wait_fd(fd, POLLOUT, deadline);
	if (err)
		return err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return -soerr;
}

int http_connect(struct http_conn *c, const char *ns, const char *host,
		 int port, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct addr a;
	int fd, err, one = 1;

	c->fd = -1;
	err = addr_parse(&a, host, port);
	if (err)
		return err;
	fd = netns_socket(ns, a.ss.ss_family,
			  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	err = connect_wait(fd, &a, deadline);
	if (err) {
		close(fd);
		return err;
	}
	c->fd = fd;
	return 0;
}

void http_close(struct http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Header value after "Name:", without surrounding blanks. */
static const char *header_value(const char *line, const char *eol,
				const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	const char *v;

	if ((size_t)(eol - line) <= n || strncasecmp(line, name, n) ||
	    line[n] != ':')
		return NULL;
	v = line + n + 1;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	while (eol > v && (eol[-1] == '\r' || eol[-1] == ' '))
		eol--;
	*vlen = (size_t)(eol - v);
	return v;
}

/* Status line and the headers that frame the body. */
static int parse_head(const char *head, size_t len, struct resp *r)
{
	const char *p, *eol, *end = head + len, *v;
	char num[24];
	size_t vlen;

	if (sscanf(head, "HTTP/1.%*d %d", &r->status) != 1)
		return -EPROTO;
	r->clen = -1;
	for (p = memchr(head, '\n', len); p && p + 1 < end; p = eol) {
		p++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		v = header_value(p, eol, "Transfer-Encoding", &vlen);
		if (v)
			return -EPROTO; /* chunked: not needed here */
		v = header_value(p, eol, "Content-Length", &vlen);
		if (!v)
			continue;
		if (!vlen || vlen >= sizeof(num))
			return -EPROTO;
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		r->clen = strtoll(num, NULL, 10);
		if (r->clen < 0)
			return -EPROTO;
	}
	if (r->status / 100 == 1 || r->status == 204 || r->status == 304)
		r->clen = 0; /* never a body */
	return 0;
}

/* Read up to the end of the response head. The body bytes that came with it
 * are left in head[*hdr_len, *got). */
static int read_head(int fd, char *head, size_t *hdr_len, size_t *got,
		     long long deadline)
{
	char *end;
	ssize_t n;

	*got = 0;
	for (;;) {
		if (*got == HEAD_MAX - 1)
			return -EMSGSIZE;
		n = recv_some(fd, head + *got, HEAD_MAX - 1 - *got, deadline);
		if (n < 0)
			return (int)n;
		if (!n)
			return -ECONNRESET;
		*got += (size_t)n;
		head[*got] = '\0';
		end = memmem(head, *got, "\r\n\r\n", 4);
		if (end) {
			*hdr_len = (size_t)(end + 4 - head);
			return 0;
		}
	}
}

/* The rest of the body after what came with the head. */
static int read_body(int fd, const struct resp *r, unsigned long long have,
		     http_sink_fn sink, void *arg, unsigned long long *total,
		     long long deadline)
{
	char *buf;
	size_t want;
	ssize_t n;
	int err = 0;

	buf = malloc(RECV_BUF);
	if (!buf)
		return -ENOMEM;
	while (r->clen < 0 || have < (unsigned long long)r->clen) {
		want = RECV_BUF;
		if (r->clen >= 0 && (unsigned long long)r->clen - have < want)
			want = (size_t)((unsigned long long)r->clen - have);
		n = recv_some(fd, buf, want, deadline);
		if (n <= 0) {
			/* EOF ends a body without Content-Length. */
			err = n < 0 ? (int)n : r->clen < 0 ? 0 : -ECONNRESET;
			break;
		}
		have += (unsigned long long)n;
		err = sink(buf, (size_t)n, arg);
		if (err)
			break;
	}
	free(buf);
	if (total)
		*total = have;
	return err;
}

int http_get_sink(struct http_conn *c, const char *path, int want_close,
		  int *status, http_sink_fn sink, void *arg,
		  unsigned long long *total, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	size_t hdr_len = 0, got = 0, extra;
	char head[HEAD_MAX];
	char req[1024];
	struct resp r;
	int n, err;

	if (c->fd < 0 || !path)
		return -EBADF;
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: shunt\r\n"
		     "User-Agent: shunt-httpc\r\n%s\r\n",
		     path, want_close ? "Connection: close\r\n" : "");
	if (n >= (int)sizeof(req))
		return -ENAMETOOLONG;
	err = send_all(c->fd, req, (size_t)n, deadline);
	if (!err)
		err = read_head(c->fd, head, &hdr_len, &got, deadline);
	if (!err)
		err = parse_head(head, hdr_len, &r);
	if (err)
		return err;
	if (status)
		*status = r.status;
	extra = got - hdr_len;
	if (r.clen >= 0 && extra > (unsigned long long)r.clen)
		return -EPROTO; /* bytes we did not ask for */
	if (extra) {
		err = sink(head + hdr_len, extra, arg);
		if (err)
			return err;
	}
	return read_body(c->fd, &r, extra, sink, arg, total, deadline);
}

/* A sink keeping the body, NUL-terminated, in a caller's buffer. */
struct buf_sink {
	char *buf;
	size_t len, used;
};

static int buf_sink(const void *data, size_t len, void *arg)
{
	struct buf_sink *b = arg;
	size_t room;

	if (!b->buf || !b->len)
		return 0;
	room = b->len - 1 - b->used;
	if (len > room)
		len = room;
	memcpy(b->buf + b->used, data, len);
	b->used += len;
	b->buf[b->used] = '\0';
	return 0;
}

int http_get(struct http_conn *c, const char *path, int want_close, int *status,
	     char *body, size_t bodylen, int timeout_ms)
{
	struct buf_sink b = {.buf = body, .len = bodylen};

	if (body && bodylen)
		body[0] = '\0';
	return http_get_sink(c, path, want_close, status, buf_sink, &b, NULL,
			     timeout_ms);
}

int http_backend_of(int status, const char *body, int nmax)
{
	int n;

	if (status != 200 || sscanf(body, "be%d", &n) != 1 || n < 1 || n > nmax)
		return -EPROTO;
	return n;
}

int http_get_backend(struct http_conn *c, int nmax, int timeout_ms)
{
	char body[64];
	int status, err;

	err = http_get(c, "/", 0, &status, body, sizeof(body), timeout_ms);
	return err ? err : http_backend_of(status, body, nmax);
}

int http_get_once(const char *ns, const char *host, int port, const char *path,
		  int *status, char *body, size_t bodylen, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct http_conn c;
	long long left;
	int err;

	err = http_connect(&c, ns, host, port, timeout_ms);
	if (err)
		return err;
	left = deadline - now_ms();
	err = http_get(&c, path, 1, status, body, bodylen,
		       left > 0 ? (int)left : 0);
	http_close(&c);
	return err;
}

/* Send the query, connected or not. */
static int udp_send(int fd, const struct addr *a, int connected,
		    const char *payload)
{
	size_t len = payload ? strlen(payload) : 0;
	ssize_t n;

	if (connected) {
		if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
			return -errno;
		n = send(fd, payload, len, 0);
	} else {
		n = sendto(fd, payload, len, 0, (const struct sockaddr *)&a->ss,
			   a->len);
	}
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Wait for one datagram; returns its length or -errno. */
static ssize_t udp_recv(int fd, char *buf, size_t len,
			struct sockaddr_storage *src, long long deadline)
{
	socklen_t slen;
	ssize_t n;
	int err;

	for (;;) {
		slen = sizeof(*src);
		n = recvfrom(fd, buf, len, 0, (struct sockaddr *)src, &slen);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		err = wait_fd(fd, POLLIN, deadline);
		if (err)
			return err;
	}
}

int udp_query(const char *ns, const char *host, int port, int connected,
	      const char *payload, char *reply, size_t replylen, char *from,
	      size_t fromlen, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct sockaddr_storage src;
	char dummy[1];
	struct addr a;
	ssize_t n;
	int fd, err;

	if (from && fromlen)
		from[0] = '\0';
	if (!reply || !replylen) {
		reply = dummy;
		replylen = sizeof(dummy);
	}
	reply[0] = '\0';
	err = addr_parse(&a, host, port);
	if (err)
		return err;
	fd = netns_socket(ns, a.ss.ss_family,
			  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	err = udp_send(fd, &a, connected, payload);
	if (!err) {
		memset(&src, 0, sizeof(src));
		n = udp_recv(fd, reply, replylen - 1, &src, deadline);
		if (n < 0) {
			err = (int)n;
		} else {
			reply[n] = '\0';
			addr_format(&src, from, fromlen);
		}
	}
	close(fd);
	return err;
}
