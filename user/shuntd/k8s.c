// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Kubernetes source: Services and EndpointSlices watched in two
 * threads, translated to desired services on request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "k8s.h"
#include "k8s_config.h"
#include "k8s_model.h"
#include "k8s_watch.h"
#include "log.h"
#include "parse.h"

enum { KIND_SERVICES, KIND_SLICES, N_KINDS };

struct k8s_source {
	struct k8s_config cfg;
	struct k8s_shared sh;
	struct k8s_watch watches[N_KINDS];
	char *node_name;
	struct k8s_ip *node_ips;
	size_t n_node_ips;
	bool curl_ready;
	bool shared_ready;
};

static int parse_service(struct json_object *obj, void **out, char *err,
			 size_t errlen)
{
	struct k8s_service *svc;
	int rc = k8s_service_parse(obj, &svc, err, errlen);

	if (!rc)
		*out = svc;
	return rc;
}

static void free_service(void *obj)
{
	k8s_service_free(obj);
}

static int parse_slice(struct json_object *obj, void **out, char *err,
		       size_t errlen)
{
	struct k8s_slice *sl;
	int rc = k8s_slice_parse(obj, &sl, err, errlen);

	if (!rc)
		*out = sl;
	return rc;
}

static void free_slice(void *obj)
{
	k8s_slice_free(obj);
}

static const struct k8s_kind kinds[N_KINDS] = {
	[KIND_SERVICES] =
		{
			.name = "services",
			.path = "/api/v1/services",
			.parse = parse_service,
			.free = free_service,
		},
	[KIND_SLICES] =
		{
			.name = "endpointslices",
			.path = "/apis/discovery.k8s.io/v1/endpointslices",
			.parse = parse_slice,
			.free = free_slice,
		},
};

static int load_config(struct k8s_source *src, const struct k8s_options *o)
{
	char err[512] = "";
	int rc;

	if (o->kubeconfig && *o->kubeconfig)
		rc = k8s_config_kubeconfig(&src->cfg, o->kubeconfig, err,
					   sizeof(err));
	else
		rc = k8s_config_in_cluster(&src->cfg, o->token_file, o->ca_file,
					   err, sizeof(err));
	if (rc)
		log_error("kubernetes configuration", "error",
			  err[0] ? err : strerror(-rc), NULL);
	return rc;
}

static int node_options(struct k8s_source *src, const struct k8s_options *o)
{
	struct k8s_ip *ip;
	char err[128];
	int i;

	if (o->node_name && *o->node_name) {
		src->node_name = strdup(o->node_name);
		if (!src->node_name)
			return -ENOMEM;
	}
	if (o->n_node_ips <= 0)
		return 0;
	src->node_ips = calloc(o->n_node_ips, sizeof(*src->node_ips));
	if (!src->node_ips)
		return -ENOMEM;
	for (i = 0; i < o->n_node_ips; i++) {
		ip = &src->node_ips[src->n_node_ips++];
		if (shunt_parse_ip(o->node_ips[i], &ip->addr, &ip->family, err,
				   sizeof(err))) {
			log_error("kubernetes node IP", "value", o->node_ips[i],
				  "error", err, NULL);
			return -EINVAL;
		}
	}
	return 0;
}

static int start_watches(struct k8s_source *src, int notify_fd)
{
	int rc, i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -ENOMEM;
	src->curl_ready = true;
	rc = k8s_shared_init(&src->sh, &src->cfg, notify_fd, N_KINDS);
	if (rc)
		return rc;
	src->shared_ready = true;
	for (i = 0; i < N_KINDS && !rc; i++)
		rc = k8s_watch_init(&src->watches[i], &kinds[i], &src->sh);
	for (i = 0; i < N_KINDS && !rc; i++)
		rc = k8s_watch_start(&src->watches[i]);
	return rc;
}

int k8s_source_start(const struct k8s_options *o, int notify_fd,
		     struct k8s_source **out)
{
	struct k8s_source *src;
	int rc;

	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	rc = node_options(src, o);
	if (!rc)
		rc = load_config(src, o);
	if (!rc)
		rc = start_watches(src, notify_fd);
	if (rc) {
		k8s_source_stop(src);
		return rc;
	}
	log_info("kubernetes source started", "server", src->cfg.server, NULL);
	*out = src;
	return 0;
}

static int collect(struct k8s_source *src, struct shunt_desired *out)
{
	const struct k8s_cache *svcs = &src->watches[KIND_SERVICES].cache;
	const struct k8s_cache *slices = &src->watches[KIND_SLICES].cache;
	struct k8s_model_opts o = {
		.node_name = src->node_name,
		.node_ips = src->node_ips,
		.n_node_ips = src->n_node_ips,
	};
	void **sv, **sl;
	int rc = -ENOMEM;

	sv = calloc(svcs->n + 1, sizeof(*sv));
	sl = calloc(slices->n + 1, sizeof(*sl));
	if (sv && sl) {
		k8s_cache_values(svcs, sv);
		k8s_cache_values(slices, sl);
		rc = k8s_model_desired((const struct k8s_service *const *)sv,
				       svcs->n,
				       (const struct k8s_slice *const *)sl,
				       slices->n, &o, out);
	}
	free(sv);
	free(sl);
	return rc;
}

int k8s_source_desired(struct k8s_source *src, struct shunt_desired *out)
{
	int rc;

	pthread_mutex_lock(&src->sh.lock);
	rc = collect(src, out);
	pthread_mutex_unlock(&src->sh.lock);
	return rc;
}

void k8s_source_stats(struct k8s_source *src, struct k8s_stats *st)
{
	pthread_mutex_lock(&src->sh.lock);
	*st = src->sh.stats;
	pthread_mutex_unlock(&src->sh.lock);
}

void k8s_source_stop(struct k8s_source *src)
{
	int i;

	if (!src)
		return;
	if (src->shared_ready) {
		k8s_shared_stop(&src->sh);
		for (i = 0; i < N_KINDS; i++)
			k8s_watch_join(&src->watches[i]);
		for (i = 0; i < N_KINDS; i++)
			k8s_watch_destroy(&src->watches[i]);
		k8s_shared_destroy(&src->sh);
	}
	if (src->curl_ready)
		curl_global_cleanup();
	k8s_config_free(&src->cfg);
	free(src->node_name);
	free(src->node_ips);
	free(src);
}
