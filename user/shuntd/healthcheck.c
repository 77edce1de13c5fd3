// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* healthCheckNodePort listeners (see healthcheck.h): one thread, epoll
 * over the listening sockets, one short answer per connection. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "healthcheck.h"
#include "log.h"
#include "vec.h"

#define HC_REQUEST_MAX 4096
#define HC_READ_MS     500

struct hc_port {
	uint16_t port;
	int fd;
	char svc[2 * K8S_NAME_MAX]; /* "namespace/name" */
	uint32_t local_endpoints;
};

struct hc_server {
	pthread_mutex_t lock;
	VEC(struct hc_port) ports;
	int epfd, stopfd;
	pthread_t thread;
};

/* A dual-stack listener on port (IPv4 only where IPv6 is off). */
static int hc_listen(uint16_t port)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	int fd, one = 1, zero = 0;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (!bind(fd, (struct sockaddr *)&a6, sizeof(a6)) &&
		    !listen(fd, 64))
			return fd;
		close(fd);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a4, sizeof(a4)) || listen(fd, 64)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* kube-proxy's answer for svc with n local endpoints, into buf. */
static int hc_answer(char *buf, size_t len, const char *svc, uint32_t n)
{
	char body[3 * K8S_NAME_MAX];
	size_t ns_len = strcspn(svc, "/");
	int blen;

	blen = snprintf(body, sizeof(body),
			"{\"service\": {\"namespace\": \"%.*s\", \"name\": "
			"\"%s\"}, \"localEndpoints\": %u, "
			"\"serviceProxyHealthy\": true}\n",
			(int)ns_len, svc, svc[ns_len] ? svc + ns_len + 1 : "",
			n);
	return snprintf(buf, len,
			"HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
			"X-Content-Type-Options: nosniff\r\n"
			"Content-Length: %d\r\nConnection: close\r\n\r\n%s",
			n ? "200 OK" : "503 Service Unavailable", blen, body);
}

/* Read the request (up to its blank line, briefly), answer, close. */
static void hc_serve(int fd, const char *answer, size_t len)
{
	struct timeval tv = {.tv_usec = HC_READ_MS * 1000};
	char req[HC_REQUEST_MAX + 1];
	size_t got = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < HC_REQUEST_MAX) {
		n = recv(fd, req + got, HC_REQUEST_MAX - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	n = send(fd, answer, len, MSG_NOSIGNAL);
	(void)n;
	close(fd);
}

/* A connection on the listener of port: its answer, served. */
static void hc_event(struct hc_server *hc, uint16_t port)
{
	char answer[4 * K8S_NAME_MAX];
	int fd = -1, len = 0;
	size_t i;

	pthread_mutex_lock(&hc->lock);
	for (i = 0; i < hc->ports.n; i++)
		if (hc->ports.v[i].port == port) {
			fd = accept4(hc->ports.v[i].fd, NULL, NULL,
				     SOCK_CLOEXEC);
			len = hc_answer(answer, sizeof(answer),
					hc->ports.v[i].svc,
					hc->ports.v[i].local_endpoints);
			break;
		}
	pthread_mutex_unlock(&hc->lock);
	if (fd >= 0 && len > 0 && (size_t)len < sizeof(answer))
		hc_serve(fd, answer, (size_t)len);
	else if (fd >= 0)
		close(fd);
}

static void *hc_run(void *arg)
{
	struct hc_server *hc = arg;
	struct epoll_event ev[16];
	int n, i;

	for (;;) {
		n = epoll_wait(hc->epfd, ev, 16, -1);
		if (n < 0 && errno != EINTR)
			return NULL;
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == UINT32_MAX)
				return NULL; /* stop */
			hc_event(hc, (uint16_t)ev[i].data.u32);
		}
	}
}

int hc_start(struct hc_server **out)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	struct hc_server *hc = calloc(1, sizeof(*hc));
	int err;

	if (!hc)
		return -ENOMEM;
	pthread_mutex_init(&hc->lock, NULL);
	hc->epfd = epoll_create1(EPOLL_CLOEXEC);
	hc->stopfd = eventfd(0, EFD_CLOEXEC);
	if (hc->epfd < 0 || hc->stopfd < 0 ||
	    epoll_ctl(hc->epfd, EPOLL_CTL_ADD, hc->stopfd, &ev)) {
		err = -errno;
		goto fail;
	}
	err = -pthread_create(&hc->thread, NULL, hc_run, hc);
	if (err)
		goto fail;
	*out = hc;
	return 0;
fail:
	if (hc->epfd >= 0)
		close(hc->epfd);
	if (hc->stopfd >= 0)
		close(hc->stopfd);
	free(hc);
	return err;
}

static const struct k8s_health *wanted(const struct k8s_health *want, size_t n,
				       uint16_t port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (want[i].port == port)
			return &want[i];
	return NULL;
}

/* Open port for w (added to hc->ports); logged when it cannot be. */
static void hc_open(struct hc_server *hc, const struct k8s_health *w)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = w->port};
	struct hc_port p = {.port = w->port,
			    .local_endpoints = w->local_endpoints};
	char port[8];

	snprintf(p.svc, sizeof(p.svc), "%s", w->svc);
	snprintf(port, sizeof(port), "%u", w->port);
	p.fd = hc_listen(w->port);
	if (p.fd < 0 || epoll_ctl(hc->epfd, EPOLL_CTL_ADD, p.fd, &ev) ||
	    vec_push(&hc->ports, p)) {
		log_warn("cannot serve a healthCheckNodePort", "service",
			 w->svc, "port", port, "error",
			 strerror(p.fd < 0 ? -p.fd : errno), NULL);
		if (p.fd >= 0)
			close(p.fd);
		return;
	}
	log_info("serving a healthCheckNodePort", "service", w->svc, "port",
		 port, NULL);
}

void hc_update(struct hc_server *hc, const struct k8s_health *want, size_t n)
{
	const struct k8s_health *w;
	size_t i, j;

	if (!hc)
		return;
	pthread_mutex_lock(&hc->lock);
	for (i = 0; i < hc->ports.n;) {
		w = wanted(want, n, hc->ports.v[i].port);
		if (w) {
			snprintf(hc->ports.v[i].svc, sizeof(hc->ports.v[i].svc),
				 "%s", w->svc);
			hc->ports.v[i].local_endpoints = w->local_endpoints;
			i++;
			continue;
		}
		close(hc->ports.v[i].fd);
		hc->ports.v[i] = hc->ports.v[--hc->ports.n];
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < hc->ports.n; i++)
			if (hc->ports.v[i].port == want[j].port)
				break;
		if (i == hc->ports.n && want[j].port)
			hc_open(hc, &want[j]);
	}
	pthread_mutex_unlock(&hc->lock);
}

void hc_stop(struct hc_server *hc)
{
	uint64_t one = 1;
	size_t i;
	ssize_t n;

	if (!hc)
		return;
	n = write(hc->stopfd, &one, sizeof(one));
	(void)n;
	pthread_join(hc->thread, NULL);
	for (i = 0; i < hc->ports.n; i++)
		close(hc->ports.v[i].fd);
	vec_free(&hc->ports);
	close(hc->epfd);
	close(hc->stopfd);
	pthread_mutex_destroy(&hc->lock);
	free(hc);
}
