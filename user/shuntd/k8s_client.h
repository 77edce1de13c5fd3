/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * GET requests to the Kubernetes API over libcurl, one at a time per
 * client (one client per worker thread). A request blocks until it ends
 * or until *stop is set and k8s_client_wake() is called from another
 * thread.
 */
#ifndef SHUNTD_K8S_CLIENT_H
#define SHUNTD_K8S_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <curl/curl.h>

#include "k8s_config.h"

#define K8S_ERRBODY_MAX (64 * 1024)

/* Body bytes of a 200 response as they arrive: 0, or a negative value
 * that aborts the request and is returned by k8s_client_get(). */
typedef int (*k8s_sink_fn)(const char *data, size_t len, void *arg);

struct k8s_client {
	const struct k8s_config *cfg;
	const atomic_bool *stop;
	CURLM *multi; /* keeps the connection between requests */
	/* Body of the last non-200 response (a Status), NUL-terminated. */
	char errbody[K8S_ERRBODY_MAX + 1];
	size_t errbody_len;
};

int k8s_client_init(struct k8s_client *c, const struct k8s_config *cfg,
		    const atomic_bool *stop);
void k8s_client_free(struct k8s_client *c);
/* Interrupt a blocked request (any thread); it returns -ECANCELED once
 * *stop is set. */
void k8s_client_wake(struct k8s_client *c);

/* Timeouts of a request, in seconds; 0: none. */
struct k8s_req_opts {
	long timeout; /* whole request */
	long idle;    /* abort when nothing arrives for this long */
};

/*
 * GET path_query (e.g. "/api/v1/services?limit=500"). A 200 response's
 * body goes to sink; any other status keeps its body in c->errbody.
 * Returns the HTTP status, the sink's error, -ECANCELED when stopped, or
 * another -errno for transport errors (message in err).
 */
int k8s_client_get(struct k8s_client *c, const char *path_query,
		   const struct k8s_req_opts *o, k8s_sink_fn sink, void *arg,
		   char *err, size_t errlen);

/* The message of an API Status body ("" when there is none). */
void k8s_status_message(const char *body, char *msg, size_t len);

#endif /* SHUNTD_K8S_CLIENT_H */
