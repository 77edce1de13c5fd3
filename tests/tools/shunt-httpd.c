/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * shunt-httpd: the backend server of the namespace tests, the demo and the
 * benchmarks. One thread, one epoll loop, non-blocking sockets.
 *
 *   shunt-httpd --name NAME [--port 8080] [--udp-port 5353] [--bind ADDR]
 *               [--no-pdeathsig]
 *
 * TCP, HTTP/1.1 (keep-alive, pipelining, "Connection: close"):
 *   GET /          200 "NAME\n"
 *   GET /whoami    200 "NAME IP:PORT\n", the peer as seen here ([IP]:PORT
 *                  for IPv6, IPv4-mapped shown as IPv4)
 *   GET /bytes/N   200, N bytes (N <= 64 MiB), byte i = (i * 7 + 13) & 0xff
 *   GET /slow/MS   200 "NAME\n" after MS milliseconds (timer, not blocking)
 *   POST /upload   200 "NAME N\n" once the whole N-byte body has arrived
 *   anything else  404
 * UDP: every datagram is answered to its sender, from the address it was
 * sent to, with "NAME " and the datagram's payload.
 *
 * Without --bind it listens on a dual-stack [::] socket. Port 0 picks a free
 * port; the line printed at start-up tells which. It dies with its parent
 * (PR_SET_PDEATHSIG) unless --no-pdeathsig is given, for callers such as
 * tests/lib/topo.sh that start it and exit. SIGTERM and SIGINT exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_NAME       128
#define IN_SIZE	       8192 /* also the largest request head accepted */
#define OUT_SIZE       8192
#define OUT_RESERVE    512 /* room one small response needs */
#define MAX_BYTES      (64u << 20)
#define MAX_SLOW_MS    3600000u
#define PAT_CHUNK      (256u << 10)
#define UDP_BUF	       65536
#define MAX_EVENTS     256
#define ACCEPT_BATCH   64
#define UDP_BATCH      64
#define LISTEN_BACKLOG 4096

#define container_of(ptr, type, member)                                        \
	((type *)((char *)(ptr)-offsetof(type, member)))

enum ev_kind {
	EV_LISTEN,
	EV_UDP,
	EV_SIGNAL,
	EV_CONN,
	EV_TIMER,
};

/* What an epoll event points at. */
struct ev {
	enum ev_kind kind;
	int fd;
};

struct conn {
	struct ev sock;
	struct ev timer; /* timerfd for /slow, fd -1 until first needed */
	uint32_t events; /* epoll interest currently registered */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	bool eof;	     /* peer sent FIN */
	bool closing;	     /* close once the output is sent */
	bool slow_pending;   /* a /slow response waits for its timer */
	bool slow_close;     /* ... and closes the connection */
	bool dead;	     /* closed, freed at the end of the event batch */
	size_t ipos, ilen;   /* unparsed input: in[ipos, ipos + ilen) */
	size_t discard;	     /* request body bytes still to skip */
	bool upload_pending; /* POST /upload: answer once the body is in */
	bool upload_keep_alive;
	uint64_t upload_len;
	size_t opos, olen; /* unsent output: out[opos, olen) */
	uint64_t pat_off;  /* /bytes body: offset and bytes left */
	uint64_t pat_left;
	struct conn *next_dead;
	char in[IN_SIZE];
	char out[OUT_SIZE];
};

struct request {
	const char *method;
	size_t method_len;
	const char *path;
	size_t path_len;
	bool keep_alive;
};

static struct {
	const char *name;
	size_t name_len;
	int tcp_port;
	int udp_port;
	const char *bind_addr;
	bool pdeathsig;
	int epfd;
	struct ev listen_ev;
	struct ev udp_ev;
	struct ev sig_ev;
	struct conn *dead;
} g = {
	.tcp_port = 8080,
	.udp_port = 5353,
	.pdeathsig = true,
	.epfd = -1,
};

static unsigned char pattern[PAT_CHUNK + 256];

static void pattern_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)((i * 7 + 13) & 0xff);
}

static int epoll_set(int op, struct ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	if (epoll_ctl(g.epfd, op, ev->fd, &e) < 0)
		return -errno;
	return 0;
}

/* ---- addresses ---- */

struct bind_spec {
	struct sockaddr_storage ss;
	socklen_t len;
	bool dual; /* [::], clear IPV6_V6ONLY */
};

static int bind_spec_parse(struct bind_spec *b, const char *addr, int port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&b->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&b->ss;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n;

	memset(b, 0, sizeof(*b));
	if (!addr || !strcmp(addr, "::")) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		b->len = sizeof(*s6);
		b->dual = true;
		return 0;
	}
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		b->len = sizeof(*s4);
		return 0;
	}
	n = strlen(addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']' &&
	    n - 2 < sizeof(buf)) {
		memcpy(buf, addr + 1, n - 2);
		buf[n - 2] = '\0';
		addr = buf;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		b->len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

/* "IP:PORT", "[IP6]:PORT"; IPv4-mapped IPv6 is shown as IPv4. */
static int sockaddr_fmt(char *buf, size_t len, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	char ip[INET6_ADDRSTRLEN];
	struct in_addr a4;

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		return snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	}
	if (sa->sa_family != AF_INET6)
		return snprintf(buf, len, "?:0");
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(&a4, &s6->sin6_addr.s6_addr[12], sizeof(a4));
		inet_ntop(AF_INET, &a4, ip, sizeof(ip));
		return snprintf(buf, len, "%s:%u", ip, ntohs(s6->sin6_port));
	}
	inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
	return snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
}

static int sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int sock_open(const struct bind_spec *b, int type)
{
	int one = 1, zero = 0;
	int fd, err;

	fd = socket(b->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err;
	if (b->dual &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		goto err;
	if (bind(fd, (const struct sockaddr *)&b->ss, b->len) < 0)
		goto err;
	return fd;
err:
	err = -errno;
	close(fd);
	return err;
}

static int tcp_listen(const struct bind_spec *b)
{
	int fd, err;

	fd = sock_open(b, SOCK_STREAM);
	if (fd < 0)
		return fd;
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int udp_open(const struct bind_spec *b)
{
	int one = 1;
	int fd, err;

	fd = sock_open(b, SOCK_DGRAM);
	if (fd < 0)
		return fd;
	/* To answer from the address each datagram was sent to. */
	if (b->ss.ss_family == AF_INET)
		err = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	else
		err = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				 sizeof(one));
	if (err < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* ---- connections ---- */

static void conn_kill(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	close(c->sock.fd);
	if (c->timer.fd >= 0)
		close(c->timer.fd);
	c->next_dead = g.dead;
	g.dead = c;
}

static void reap_dead(void)
{
	struct conn *c;

	while (g.dead) {
		c = g.dead;
		g.dead = c->next_dead;
		free(c);
	}
}

static bool conn_out_pending(const struct conn *c)
{
	return c->opos < c->olen || c->pat_left;
}

static void conn_update_events(struct conn *c)
{
	uint32_t want = 0;

	if (!c->eof && !c->closing && c->ilen < IN_SIZE)
		want |= EPOLLIN;
	if (conn_out_pending(c))
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	if (epoll_set(EPOLL_CTL_MOD, &c->sock, want) < 0) {
		conn_kill(c);
		return;
	}
	c->events = want;
}

static void conn_append(struct conn *c, const void *data, size_t len)
{
	if (len > OUT_SIZE - c->olen)
		len = OUT_SIZE - c->olen;
	memcpy(c->out + c->olen, data, len);
	c->olen += len;
}

static void conn_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void conn_printf(struct conn *c, const char *fmt, ...)
{
	size_t room = OUT_SIZE - c->olen;
	va_list ap;
	int n;

	if (!room)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->out + c->olen, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	c->olen += (size_t)n < room ? (size_t)n : room - 1;
}

static void conn_head(struct conn *c, int status, const char *ctype,
		      uint64_t len, bool keep_alive)
{
	const char *reason = status == 200   ? "OK"
			     : status == 404 ? "Not Found"
					     : "Bad Request";

	conn_printf(c,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		    "Content-Length: %llu\r\n%s\r\n",
		    status, reason, ctype, (unsigned long long)len,
		    keep_alive ? "" : "Connection: close\r\n");
	if (!keep_alive)
		c->closing = true;
}

static void conn_reply_text(struct conn *c, int status, const char *body,
			    size_t len, bool keep_alive)
{
	conn_head(c, status, "text/plain", len, keep_alive);
	conn_append(c, body, len);
}

static void conn_reply_name(struct conn *c, bool keep_alive)
{
	conn_head(c, 200, "text/plain", g.name_len + 1, keep_alive);
	conn_append(c, g.name, g.name_len);
	conn_append(c, "\n", 1);
}

static void conn_reply_upload(struct conn *c)
{
	char body[MAX_NAME + 32];
	int n;

	c->upload_pending = false;
	n = snprintf(body, sizeof(body), "%s %llu\n", g.name,
		     (unsigned long long)c->upload_len);
	conn_reply_text(c, 200, body, (size_t)n, c->upload_keep_alive);
}

static void conn_reply_whoami(struct conn *c, bool keep_alive)
{
	char peer[INET6_ADDRSTRLEN + 16];
	char body[MAX_NAME + sizeof(peer) + 4];
	int n;

	sockaddr_fmt(peer, sizeof(peer), (struct sockaddr *)&c->peer);
	n = snprintf(body, sizeof(body), "%s %s\n", g.name, peer);
	conn_reply_text(c, 200, body, (size_t)n, keep_alive);
}

static void conn_reply_bytes(struct conn *c, uint64_t n, bool keep_alive)
{
	conn_head(c, 200, "application/octet-stream", n, keep_alive);
	c->pat_off = 0;
	c->pat_left = n;
}

static int conn_arm_slow(struct conn *c, unsigned int ms, bool keep_alive)
{
	struct itimerspec its = {
		.it_value.tv_sec = ms / 1000,
		.it_value.tv_nsec = (long)(ms % 1000) * 1000000L,
	};
	int err;

	if (c->timer.fd < 0) {
		c->timer.fd = timerfd_create(CLOCK_MONOTONIC,
					     TFD_NONBLOCK | TFD_CLOEXEC);
		if (c->timer.fd < 0)
			return -errno;
		err = epoll_set(EPOLL_CTL_ADD, &c->timer, EPOLLIN);
		if (err) {
			close(c->timer.fd);
			c->timer.fd = -1;
			return err;
		}
	}
	if (timerfd_settime(c->timer.fd, 0, &its, NULL) < 0)
		return -errno;
	c->slow_pending = true;
	c->slow_close = !keep_alive;
	return 0;
}

/* Parse a decimal number with no sign, no leading junk and no overflow. */
static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 20)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

static bool path_prefix(const struct request *r, const char *prefix,
			const char **rest, size_t *rest_len)
{
	size_t n = strlen(prefix);

	if (r->path_len < n || memcmp(r->path, prefix, n))
		return false;
	*rest = r->path + n;
	*rest_len = r->path_len - n;
	return true;
}

static bool path_is(const struct request *r, const char *path)
{
	return r->path_len == strlen(path) &&
	       !memcmp(r->path, path, r->path_len);
}

static void conn_route(struct conn *c, const struct request *r)
{
	static const char not_found[] = "not found\n";
	const char *arg;
	size_t arg_len;
	uint64_t v;

	if (r->method_len != 3 || memcmp(r->method, "GET", 3))
		goto nf;
	if (path_is(r, "/"))
		return conn_reply_name(c, r->keep_alive);
	if (path_is(r, "/whoami"))
		return conn_reply_whoami(c, r->keep_alive);
	if (path_prefix(r, "/bytes/", &arg, &arg_len) &&
	    !parse_uint(arg, arg_len, MAX_BYTES, &v))
		return conn_reply_bytes(c, v, r->keep_alive);
	if (path_prefix(r, "/slow/", &arg, &arg_len) &&
	    !parse_uint(arg, arg_len, MAX_SLOW_MS, &v)) {
		if (!v || conn_arm_slow(c, (unsigned int)v, r->keep_alive))
			conn_reply_name(c, r->keep_alive);
		return;
	}
nf:
	conn_reply_text(c, 404, not_found, sizeof(not_found) - 1,
			r->keep_alive);
}

/* Case-insensitive search for a token in a header value. */
static bool value_has(const char *v, size_t len, const char *tok)
{
	size_t n = strlen(tok), i;

	for (i = 0; i + n <= len; i++)
		if (!strncasecmp(v + i, tok, n))
			return true;
	return false;
}

/* Header lines between the request line and the blank line. */
static int parse_headers(const char *p, const char *end, bool *keep_alive,
			 uint64_t *clen)
{
	const char *eol, *colon, *v;
	size_t nlen, vlen;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			continue;
		nlen = (size_t)(colon - p);
		v = colon + 1;
		vlen = (size_t)(eol - v);
		if (nlen == 10 && !strncasecmp(p, "connection", 10)) {
			if (value_has(v, vlen, "close"))
				*keep_alive = false;
			else if (value_has(v, vlen, "keep-alive"))
				*keep_alive = true;
		} else if (nlen == 14 &&
			   !strncasecmp(p, "content-length", 14)) {
			while (vlen && (*v == ' ' || *v == '\t'))
				v++, vlen--;
			while (vlen &&
			       (v[vlen - 1] == '\r' || v[vlen - 1] == ' ' ||
				v[vlen - 1] == '\t'))
				vlen--;
			if (parse_uint(v, vlen, UINT32_MAX, clen))
				return -EINVAL;
		} else if (nlen == 17 &&
			   !strncasecmp(p, "transfer-encoding", 17)) {
			return -EINVAL; /* no chunked request bodies */
		}
	}
	return 0;
}

/* The request line: METHOD SP TARGET SP HTTP/1.x */
static int parse_request_line(struct request *r, const char *p, const char *eol)
{
	const char *sp1, *sp2, *q;

	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp1)
		return -EINVAL;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || eol - sp2 < 9 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return -EINVAL;
	r->method = p;
	r->method_len = (size_t)(sp1 - p);
	r->path = sp1 + 1;
	r->path_len = (size_t)(sp2 - sp1 - 1);
	q = memchr(r->path, '?', r->path_len);
	if (q)
		r->path_len = (size_t)(q - r->path);
	r->keep_alive = sp2[8] != '0'; /* HTTP/1.1 default; 1.0 closes */
	return 0;
}

/* 1: one request handled, 0: need more input, -EINVAL: bad request. */
static int conn_one_request(struct conn *c)
{
	const char *buf = c->in + c->ipos, *end, *eol;
	struct request r;
	uint64_t clen = 0;
	size_t n;

	if (c->discard) {
		n = c->discard < c->ilen ? c->discard : c->ilen;
		c->ipos += n;
		c->ilen -= n;
		c->discard -= n;
		if (c->discard)
			return 0;
		if (c->upload_pending) {
			conn_reply_upload(c);
			return 1;
		}
		buf = c->in + c->ipos;
	}
	end = memmem(buf, c->ilen, "\r\n\r\n", 4);
	if (!end)
		return c->ilen == IN_SIZE ? -EINVAL : 0;
	eol = memchr(buf, '\n', (size_t)(end - buf) + 2);
	if (eol > buf && eol[-1] == '\r')
		eol--;
	if (parse_request_line(&r, buf, eol))
		return -EINVAL;
	if (parse_headers(eol, end + 2, &r.keep_alive, &clen))
		return -EINVAL;
	n = (size_t)(end + 4 - buf);
	c->ipos += n;
	c->ilen -= n;
	c->discard = clen;
	if (r.method_len == 4 && !memcmp(r.method, "POST", 4) &&
	    path_is(&r, "/upload")) {
		c->upload_len = clen;
		c->upload_keep_alive = r.keep_alive;
		c->upload_pending = true;
		if (!clen)
			conn_reply_upload(c);
		return 1;
	}
	conn_route(c, &r);
	return 1;
}

/* Queue responses for every complete request while they can go out in
 * order. Returns how many were handled. */
static int conn_handle_requests(struct conn *c)
{
	static const char bad[] = "bad request\n";
	int n = 0, r;

	while (!c->closing && !c->slow_pending && !c->pat_left &&
	       c->olen + OUT_RESERVE <= OUT_SIZE) {
		r = conn_one_request(c);
		if (r < 0) {
			conn_reply_text(c, 400, bad, sizeof(bad) - 1, false);
			return n + 1;
		}
		if (!r) {
			if (c->eof)
				c->closing = true;
			break;
		}
		n++;
	}
	if (!c->ilen)
		c->ipos = 0;
	return n;
}

/* 1: all output sent, 0: socket full, -errno: connection broken. */
static int conn_flush(struct conn *c)
{
	struct iovec iov[2];
	struct msghdr msg = {.msg_iov = iov};
	uint64_t chunk;
	size_t head;
	ssize_t n;

	while (conn_out_pending(c)) {
		msg.msg_iovlen = 0;
		head = c->olen - c->opos;
		if (head) {
			iov[0].iov_base = c->out + c->opos;
			iov[0].iov_len = head;
			msg.msg_iovlen = 1;
		}
		if (c->pat_left) {
			chunk = c->pat_left < PAT_CHUNK ? c->pat_left
							: PAT_CHUNK;
			iov[msg.msg_iovlen].iov_base =
				pattern + (c->pat_off & 0xff);
			iov[msg.msg_iovlen].iov_len = (size_t)chunk;
			msg.msg_iovlen++;
		}
		n = sendmsg(c->sock.fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if ((size_t)n < head) {
			c->opos += (size_t)n;
			continue;
		}
		c->opos = c->olen = 0;
		c->pat_off += (uint64_t)n - head;
		c->pat_left -= (uint64_t)n - head;
	}
	return 1;
}

static void conn_run(struct conn *c)
{
	bool pending;
	int progress, r;

	do {
		progress = conn_handle_requests(c);
		pending = conn_out_pending(c);
		r = conn_flush(c);
		if (r < 0) {
			conn_kill(c);
			return;
		}
		/* Sent everything: requests held back may go now. */
	} while (r > 0 && (progress > 0 || pending));
	if (r > 0 && c->closing && !c->slow_pending) {
		conn_kill(c);
		return;
	}
	conn_update_events(c);
}

static void conn_read(struct conn *c)
{
	ssize_t n;

	if (c->ipos && c->ipos + c->ilen == IN_SIZE) {
		memmove(c->in, c->in + c->ipos, c->ilen);
		c->ipos = 0;
	}
	if (c->ipos + c->ilen == IN_SIZE)
		return;
	n = recv(c->sock.fd, c->in + c->ipos + c->ilen,
		 IN_SIZE - c->ipos - c->ilen, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_kill(c);
		return;
	}
	if (!n)
		c->eof = true;
	c->ilen += (size_t)n;
}

static void conn_event(struct conn *c, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_kill(c);
		return;
	}
	if (events & EPOLLIN)
		conn_read(c);
	if (!c->dead)
		conn_run(c);
}

static void timer_event(struct conn *c)
{
	uint64_t ticks;

	if (read(c->timer.fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	if (!c->slow_pending)
		return;
	c->slow_pending = false;
	conn_reply_name(c, !c->slow_close);
	conn_run(c);
}

static void conn_new(int fd, const struct sockaddr_storage *peer,
		     socklen_t peerlen)
{
	struct conn *c;
	int one = 1;

	c = malloc(sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	memset(c, 0, offsetof(struct conn, in));
	c->sock.kind = EV_CONN;
	c->sock.fd = fd;
	c->timer.kind = EV_TIMER;
	c->timer.fd = -1;
	c->peer = *peer;
	c->peerlen = peerlen;
	c->events = EPOLLIN;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (epoll_set(EPOLL_CTL_ADD, &c->sock, c->events) < 0) {
		close(fd);
		free(c);
	}
}

static void listen_event(void)
{
	struct sockaddr_storage peer;
	socklen_t len;
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		len = sizeof(peer);
		fd = accept4(g.listen_ev.fd, (struct sockaddr *)&peer, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		conn_new(fd, &peer, len);
	}
}

/* ---- UDP ---- */

/* Turn the received destination address into the reply's source. */
static size_t udp_reply_ctl(struct msghdr *in, char *ctl, size_t len)
{
	struct in6_pktinfo *p6;
	struct in_pktinfo *p4;
	struct cmsghdr *cm, *out;

	memset(ctl, 0, len);
	out = (struct cmsghdr *)ctl;
	for (cm = CMSG_FIRSTHDR(in); cm; cm = CMSG_NXTHDR(in, cm)) {
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			p6 = (struct in6_pktinfo *)CMSG_DATA(out);
			memcpy(p6, CMSG_DATA(cm), sizeof(*p6));
			if (IN6_IS_ADDR_MULTICAST(&p6->ipi6_addr))
				return 0;
			if (!IN6_IS_ADDR_LINKLOCAL(&p6->ipi6_addr))
				p6->ipi6_ifindex = 0;
			out->cmsg_level = IPPROTO_IPV6;
			out->cmsg_type = IPV6_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(*p6));
			return CMSG_SPACE(sizeof(*p6));
		}
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			p4 = (struct in_pktinfo *)CMSG_DATA(out);
			memcpy(p4, CMSG_DATA(cm), sizeof(*p4));
			p4->ipi_ifindex = 0;
			p4->ipi_addr.s_addr = 0;
			out->cmsg_level = IPPROTO_IP;
			out->cmsg_type = IP_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(*p4));
			return CMSG_SPACE(sizeof(*p4));
		}
	}
	return 0;
}

/* Answer one datagram: "NAME " and its payload, back to its sender. */
static void udp_answer(struct msghdr *in, const char *payload, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct iovec iov[3] = {
		{.iov_base = (void *)g.name, .iov_len = g.name_len},
		{.iov_base = (void *)" ", .iov_len = 1},
		{.iov_base = (void *)payload, .iov_len = len},
	};
	struct msghdr out = {
		.msg_name = in->msg_name,
		.msg_namelen = in->msg_namelen,
		.msg_iov = iov,
		.msg_iovlen = 3,
		.msg_control = ctl,
	};

	out.msg_controllen = udp_reply_ctl(in, ctl, sizeof(ctl));
	if (!out.msg_controllen)
		out.msg_control = NULL;
	sendmsg(g.udp_ev.fd, &out, MSG_DONTWAIT);
}

static void udp_event(void)
{
	static char buf[UDP_BUF];
	char ctl[256];
	struct sockaddr_storage peer;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;
	int i;

	for (i = 0; i < UDP_BATCH; i++) {
		iov = (struct iovec){.iov_base = buf, .iov_len = sizeof(buf)};
		msg = (struct msghdr){
			.msg_name = &peer,
			.msg_namelen = sizeof(peer),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl,
			.msg_controllen = sizeof(ctl),
		};
		n = recvmsg(g.udp_ev.fd, &msg, 0);
		if (n < 0)
			return;
		udp_answer(&msg, buf, (size_t)n);
	}
}

/* ---- main ---- */

static int signals_open(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	/* A shell starting us in the background may have ignored these. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shunt-httpd --name NAME [--port 8080] "
		   "[--udp-port 5353] [--bind ADDR] [--no-pdeathsig]\n");
}

static int parse_port(const char *s, int *port)
{
	uint64_t v;

	if (parse_uint(s, strlen(s), 65535, &v))
		return -EINVAL;
	*port = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"port", required_argument, NULL, 'p'},
		{"udp-port", required_argument, NULL, 'u'},
		{"bind", required_argument, NULL, 'b'},
		{"no-pdeathsig", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int o;

	while ((o = getopt_long(argc, argv, "n:p:u:b:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			g.name = optarg;
			break;
		case 'p':
			if (parse_port(optarg, &g.tcp_port))
				return -EINVAL;
			break;
		case 'u':
			if (parse_port(optarg, &g.udp_port))
				return -EINVAL;
			break;
		case 'b':
			g.bind_addr = optarg;
			break;
		case 'D':
			g.pdeathsig = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || !g.name || !*g.name || strlen(g.name) > MAX_NAME)
		return -EINVAL;
	g.name_len = strlen(g.name);
	return 0;
}

static void die_with_parent(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		perror("shunt-httpd: prctl");
		exit(1);
	}
	/* The parent left before prctl(): we were handed to init. */
	if (getppid() == 1) {
		fprintf(stderr, "shunt-httpd: parent gone, exiting "
				"(use --no-pdeathsig to outlive it)\n");
		exit(1);
	}
}

static int setup(void)
{
	struct bind_spec tb, ub;
	int fd, err;

	if (bind_spec_parse(&tb, g.bind_addr, g.tcp_port) ||
	    bind_spec_parse(&ub, g.bind_addr, g.udp_port)) {
		fprintf(stderr, "shunt-httpd: bad --bind address %s\n",
			g.bind_addr);
		return -EINVAL;
	}
	g.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g.epfd < 0) {
		perror("shunt-httpd: epoll_create1");
		return -EIO;
	}
	fd = tcp_listen(&tb);
	if (fd < 0) {
		fprintf(stderr, "shunt-httpd: tcp port %d: %s\n", g.tcp_port,
			strerror(-fd));
		return fd;
	}
	g.listen_ev = (struct ev){.kind = EV_LISTEN, .fd = fd};
	fd = udp_open(&ub);
	if (fd < 0) {
		fprintf(stderr, "shunt-httpd: udp port %d: %s\n", g.udp_port,
			strerror(-fd));
		return fd;
	}
	g.udp_ev = (struct ev){.kind = EV_UDP, .fd = fd};
	fd = signals_open();
	err = fd < 0 ? fd : 0;
	g.sig_ev = (struct ev){.kind = EV_SIGNAL, .fd = fd};
	if (!err)
		err = epoll_set(EPOLL_CTL_ADD, &g.listen_ev, EPOLLIN);
	if (!err)
		err = epoll_set(EPOLL_CTL_ADD, &g.udp_ev, EPOLLIN);
	if (!err)
		err = epoll_set(EPOLL_CTL_ADD, &g.sig_ev, EPOLLIN);
	if (err)
		fprintf(stderr, "shunt-httpd: setup: %s\n", strerror(-err));
	return err;
}

static int dispatch(struct epoll_event *e)
{
	struct ev *ev = e->data.ptr;

	switch (ev->kind) {
	case EV_LISTEN:
		listen_event();
		break;
	case EV_UDP:
		udp_event();
		break;
	case EV_SIGNAL:
		return 1;
	case EV_CONN:
		conn_event(container_of(ev, struct conn, sock), e->events);
		break;
	case EV_TIMER:
		timer_event(container_of(ev, struct conn, timer));
		break;
	}
	return 0;
}

/* The connection an event belongs to, NULL for the shared sockets. */
static struct conn *ev_conn(struct ev *ev)
{
	if (ev->kind == EV_CONN)
		return container_of(ev, struct conn, sock);
	if (ev->kind == EV_TIMER)
		return container_of(ev, struct conn, timer);
	return NULL;
}

static int event_loop(void)
{
	struct epoll_event evs[MAX_EVENTS];
	struct conn *c;
	int i, n;

	for (;;) {
		n = epoll_wait(g.epfd, evs, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			c = ev_conn(evs[i].data.ptr);
			if (c && c->dead) /* closed earlier in this batch */
				continue;
			if (dispatch(&evs[i]))
				return 0;
		}
		reap_dead();
	}
}

int main(int argc, char **argv)
{
	int err;

	if (parse_args(argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (g.pdeathsig)
		die_with_parent();
	close_range(3, ~0U, 0); /* fds a test leaked to us */
	raise_nofile();
	pattern_init();
	if (setup())
		return 1;
	printf("shunt-httpd %s listening tcp %d udp %d\n", g.name,
	       sock_port(g.listen_ev.fd), sock_port(g.udp_ev.fd));
	fflush(stdout);
	err = event_loop();
	if (err) {
		fprintf(stderr, "shunt-httpd: epoll: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
