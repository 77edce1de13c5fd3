// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shunt-pingpong: request/response rate between two local processes over
 * TCP, for the sockmap benchmark.
 *
 *   shunt-pingpong server ADDR PORT
 *   shunt-pingpong client ADDR PORT [--size BYTES] [--seconds S] [--conns N]
 *
 * The server echoes every message back. Each client connection sends a
 * message of --size bytes (default 1024), waits for the whole echo, and
 * repeats for --seconds (default 5); the client prints the round trips
 * per second over all --conns connections (default 1, one thread each)
 * and exits non-zero if any echo differed from what was sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct peer {
	struct sockaddr_storage addr;
	socklen_t len;
};

static int resolve(const char *host, const char *port, struct peer *p)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->addr;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&p->addr;
	int n = atoi(port);

	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(n);
		p->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(n);
		p->len = sizeof(*s6);
		return 0;
	}
	fprintf(stderr, "shunt-pingpong: '%s' is not an IP address\n", host);
	return -1;
}

static int full_io(int fd, void *buf, size_t len, int rd)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = rd ? read(fd, (char *)buf + done, len - done)
		       : write(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) /* tcp_bpf at EOF: retry */
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static void *echo_conn(void *arg)
{
	int fd = (int)(long)arg;
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || full_io(fd, buf, n, 0))
			break;
	}
	close(fd);
	return NULL;
}

static int server(const struct peer *p)
{
	int one = 1, ls, fd;
	pthread_t th;

	ls = socket(p->addr.ss_family, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, 4) ||
	    bind(ls, (const struct sockaddr *)&p->addr, p->len) ||
	    listen(ls, 1024)) {
		perror("shunt-pingpong: listen");
		return 1;
	}
	printf("shunt-pingpong listening\n");
	fflush(stdout);
	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&th, NULL, echo_conn, (void *)(long)fd))
			close(fd);
		else
			pthread_detach(th);
	}
}

struct client_arg {
	const struct peer *p;
	size_t size;
	double seconds;
	unsigned long trips;
	int bad;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *client_conn(void *arg)
{
	struct client_arg *c = arg;
	char *out = malloc(c->size), *in = malloc(c->size);
	int one = 1, fd;
	double end;
	size_t i;

	fd = socket(c->p->addr.ss_family, SOCK_STREAM, 0);
	if (!out || !in || fd < 0 ||
	    connect(fd, (const struct sockaddr *)&c->p->addr, c->p->len)) {
		c->bad = 1;
		goto out;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < c->size; i++)
		out[i] = (char)(i * 7 + 13);
	end = now() + c->seconds;
	while (now() < end) {
		out[0] = (char)c->trips;
		if (full_io(fd, out, c->size, 0) ||
		    full_io(fd, in, c->size, 1) || memcmp(in, out, c->size)) {
			c->bad = 1;
			break;
		}
		c->trips++;
	}
out:
	if (fd >= 0)
		close(fd);
	free(out);
	free(in);
	return NULL;
}

static int client(const struct peer *p, size_t size, double seconds, int conns)
{
	struct client_arg *args = calloc(conns, sizeof(*args));
	pthread_t *th = calloc(conns, sizeof(*th));
	unsigned long total = 0;
	int i, bad = 0;

	if (!args || !th)
		return 1;
	for (i = 0; i < conns; i++) {
		args[i] = (struct client_arg){
			.p = p, .size = size, .seconds = seconds};
		pthread_create(&th[i], NULL, client_conn, &args[i]);
	}
	for (i = 0; i < conns; i++) {
		pthread_join(th[i], NULL);
		total += args[i].trips;
		bad |= args[i].bad;
	}
	printf("%.0f\n", total / seconds);
	free(args);
	free(th);
	if (bad)
		fprintf(stderr, "shunt-pingpong: a connection failed or an "
				"echo differed\n");
	return bad;
}

int main(int argc, char **argv)
{
	double seconds = 5;
	size_t size = 1024;
	struct peer p;
	int i, conns = 1;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 4 || resolve(argv[2], argv[3], &p)) {
		fprintf(stderr, "usage: shunt-pingpong server|client ADDR PORT "
				"[--size B] [--seconds S] [--conns N]\n");
		return 2;
	}
	for (i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--size"))
			size = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--conns"))
			conns = atoi(argv[i + 1]);
	}
	if (!size || seconds <= 0 || conns <= 0)
		return 2;
	if (!strcmp(argv[1], "server"))
		return server(&p);
	return client(&p, size, seconds, conns);
}
