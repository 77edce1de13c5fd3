// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Kubernetes source: Services and EndpointSlices watched in two
 * threads, and with --node-name this node's Node (its zone, for topology
 * hints) in a third. Events mark the Services they touch (a slice's
 * through its service-name label); a sync translates only those again and
 * hands the difference to the agent (k8s_state.h), so one endpoint change
 * costs one Service, not the cluster. A change of the node's zone
 * translates every Service again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "hindex.h"
#include "k8s.h"
#include "k8s_config.h"
#include "k8s_health.h"
#include "k8s_model.h"
#include "k8s_state.h"
#include "k8s_watch.h"
#include "log.h"
#include "parse.h"
#include "vec.h"

enum { KIND_SERVICES, KIND_SLICES, KIND_NODES, N_KINDS };

typedef VEC(char *) key_vec;

/* A Service's slices, by slice key. */
struct slice_set {
	char *svc; /* "namespace/name" */
	key_vec slices;
};

struct k8s_source {
	struct k8s_config cfg;
	struct k8s_shared sh;
	struct k8s_watch watches[N_KINDS];
	unsigned int n_kinds; /* KIND_NODES only with a node name */
	struct k8s_kind node_kind;
	char *node_selector; /* "metadata.name=<node>" */
	char *node_name;
	char *zone; /* this node's zone label, NULL: none (under sh.lock) */
	/* Its spec.podCIDRs, and whether the agent has not taken them yet
	 * (under sh.lock). */
	struct shunt_nodeport_addrs pod_cidrs;
	bool pod_cidrs_new;
	char *proxy_name; /* --service-proxy-name, NULL when unset */
	struct shunt_cidr *ext_cidrs; /* --external-ip-cidrs */
	size_t n_ext_cidrs;
	bool src_ranges_nodeport;	       /* --lb-source-ranges-nodeport */
	uint64_t refused[K8S_REFUSED_REASONS]; /* atomic */
	bool curl_ready;
	bool shared_ready;
	/* Under sh.lock: */
	struct hindex slices_of; /* Service key -> slice_set */
	struct hindex health;	 /* Service key -> k8s_health */
	struct hindex dirty_idx; /* Service keys to translate again */
	key_vec dirty;
	bool need_full; /* first sync, a relist, or lost track */
	/* Only the agent's thread: */
	struct k8s_state *state;
};

static bool str_eq(const void *item, const void *key)
{
	return !strcmp(item, key);
}

static bool set_eq(const void *item, const void *key)
{
	return !strcmp(((const struct slice_set *)item)->svc, key);
}

/* "namespace/name" of a slice's Service, or "" when it has none. */
static void slice_owner(const struct k8s_slice *sl, char *buf, size_t len)
{
	if (sl->service[0])
		snprintf(buf, len, "%s/%s", sl->ns, sl->service);
	else
		buf[0] = '\0';
}

static void mark(struct k8s_source *src, const char *svc)
{
	uint64_t h = hindex_hash_str(svc);
	char *copy;

	if (!*svc || hindex_get(&src->dirty_idx, h, svc, str_eq))
		return;
	copy = strdup(svc);
	if (!copy || vec_push(&src->dirty, copy)) {
		free(copy);
		src->need_full = true; /* lost track: translate everything */
		return;
	}
	/* In dirty (freed from there) even when the index cannot take it:
	 * then it may be translated twice, which is harmless. */
	if (hindex_put(&src->dirty_idx, h, copy))
		src->need_full = true;
}

static struct slice_set *set_get(struct k8s_source *src, const char *svc,
				 bool create)
{
	uint64_t h = hindex_hash_str(svc);
	struct slice_set *s = hindex_get(&src->slices_of, h, svc, set_eq);

	if (s || !create)
		return s;
	s = calloc(1, sizeof(*s));
	if (s)
		s->svc = strdup(svc);
	if (!s || !s->svc || hindex_put(&src->slices_of, h, s)) {
		if (s)
			free(s->svc);
		free(s);
		return NULL;
	}
	return s;
}

static void set_remove(struct k8s_source *src, const char *svc,
		       const char *slice)
{
	struct slice_set *s = set_get(src, svc, false);
	size_t i;

	for (i = 0; s && i < s->slices.n; i++) {
		if (strcmp(s->slices.v[i], slice))
			continue;
		free(s->slices.v[i]);
		s->slices.v[i] = s->slices.v[--s->slices.n];
		return;
	}
}

static void set_add(struct k8s_source *src, const char *svc, const char *slice)
{
	struct slice_set *s = set_get(src, svc, true);
	char *copy = strdup(slice);

	if (!s || !copy || vec_push(&s->slices, copy)) {
		free(copy);
		src->need_full = true;
	}
}

static void service_changed(void *owner, const char *key, const void *old,
			    const void *new)
{
	(void)old;
	(void)new;
	mark(owner, key);
}

static void slice_changed(void *owner, const char *key, const void *old,
			  const void *new)
{
	struct k8s_source *src = owner;
	char svc[2 * K8S_NAME_MAX];

	if (old) {
		slice_owner(old, svc, sizeof(svc));
		set_remove(src, svc, key);
		mark(src, svc);
	}
	if (new) {
		slice_owner(new, svc, sizeof(svc));
		if (*svc)
			set_add(src, svc, key);
		mark(src, svc);
	}
}

static void clear_sets(struct k8s_source *src)
{
	struct slice_set *s;
	size_t i, j;

	for (i = 0; i < src->slices_of.cap; i++) {
		if (!src->slices_of.slots[i].hash)
			continue;
		s = src->slices_of.slots[i].item;
		for (j = 0; j < s->slices.n; j++)
			free(s->slices.v[j]);
		vec_free(&s->slices);
		free(s->svc);
		free(s);
	}
	hindex_free(&src->slices_of);
}

static void services_relisted(void *owner, const struct k8s_cache *cache)
{
	(void)cache;
	((struct k8s_source *)owner)->need_full = true;
}

/* A relist of slices: the index is rebuilt from the new cache. */
static void slices_relisted(void *owner, const struct k8s_cache *cache)
{
	struct k8s_source *src = owner;
	struct k8s_cache_entry *e;
	size_t i;

	clear_sets(src);
	for (i = 0; i < cache->n_buckets; i++)
		for (e = cache->buckets[i]; e; e = e->next)
			slice_changed(src, e->key, NULL, e->obj);
	src->need_full = true;
}

/* This node's pod CIDRs, for the agent to take when they change. */
static void node_pod_cidrs(struct k8s_source *src, const struct k8s_node *n)
{
	struct shunt_nodeport_addrs none = {0};
	const struct shunt_nodeport_addrs *p = n ? &n->pod_cidrs : &none;

	if (p->n_cidrs == src->pod_cidrs.n_cidrs &&
	    !memcmp(p->cidrs, src->pod_cidrs.cidrs,
		    p->n_cidrs * sizeof(p->cidrs[0])))
		return;
	src->pod_cidrs = *p;
	src->pod_cidrs_new = true;
}

bool k8s_source_pod_cidrs(struct k8s_source *src,
			  struct shunt_nodeport_addrs *out)
{
	bool changed;

	pthread_mutex_lock(&src->sh.lock);
	changed = src->pod_cidrs_new;
	if (changed)
		*out = src->pod_cidrs;
	src->pod_cidrs_new = false;
	pthread_mutex_unlock(&src->sh.lock);
	return changed;
}

/* This node's zone: every Service again when it changes. */
static void node_changed(void *owner, const char *key, const void *old,
			 const void *new)
{
	struct k8s_source *src = owner;
	const struct k8s_node *n = new;
	const char *zone = n ? n->zone : NULL;

	(void)old;
	/* The field selector sends only this node; anything else is not. */
	if (key[0] != '/' || strcmp(key + 1, src->node_name))
		return;
	node_pod_cidrs(src, n);
	if (zone ? src->zone && !strcmp(zone, src->zone) : !src->zone)
		return;
	free(src->zone);
	src->zone = zone ? strdup(zone) : NULL;
	src->need_full = true;
	log_info("node zone", "node", src->node_name, "zone",
		 src->zone ? src->zone : "", NULL);
}

static void nodes_relisted(void *owner, const struct k8s_cache *cache)
{
	struct k8s_source *src = owner;
	char key[K8S_NAME_MAX + 1];

	snprintf(key, sizeof(key), "/%s", src->node_name);
	node_changed(src, key, NULL, k8s_cache_get(cache, key));
}

static int parse_node(struct json_object *obj, void **out, char *err,
		      size_t errlen)
{
	struct k8s_node *n;
	int rc = k8s_node_parse(obj, &n, err, errlen);

	if (!rc)
		*out = n;
	return rc;
}

static void free_node(void *obj)
{
	k8s_node_free(obj);
}

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
			.changed = service_changed,
			.relisted = services_relisted,
		},
	[KIND_SLICES] =
		{
			.name = "endpointslices",
			.path = "/apis/discovery.k8s.io/v1/endpointslices",
			.parse = parse_slice,
			.free = free_slice,
			.changed = slice_changed,
			.relisted = slices_relisted,
		},
	[KIND_NODES] =
		{
			.name = "nodes",
			.path = "/api/v1/nodes",
			.parse = parse_node,
			.free = free_node,
			.changed = node_changed,
			.relisted = nodes_relisted,
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
	if (!rc && !strncmp(src->cfg.server, "http://", 7) &&
	    !o->insecure_http) {
		snprintf(
			err, sizeof(err),
			"API server %s is plain HTTP: credentials would travel "
			"in cleartext; use https:// or pass --insecure-http",
			src->cfg.server);
		rc = -EINVAL;
	}
	if (rc)
		log_error("kubernetes configuration", "error",
			  err[0] ? err : strerror(-rc), NULL);
	return rc;
}

static int start_watches(struct k8s_source *src, int notify_fd)
{
	int rc, i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -ENOMEM;
	src->curl_ready = true;
	/* This node's Node only, when it has a name. */
	src->n_kinds = src->node_name ? N_KINDS : KIND_NODES;
	src->node_kind = kinds[KIND_NODES];
	if (src->node_name) {
		if (asprintf(&src->node_selector, "metadata.name=%s",
			     src->node_name) < 0) {
			src->node_selector = NULL;
			return -ENOMEM;
		}
		src->node_kind.field_selector = src->node_selector;
	}
	rc = k8s_shared_init(&src->sh, &src->cfg, notify_fd, src->n_kinds);
	if (rc)
		return rc;
	src->shared_ready = true;
	/* kube-proxy's selector: the API server leaves out other proxies'
	 * and headless Services. With --service-proxy-name the name is
	 * checked here instead (a selector cannot say "none or this"). */
	src->sh.label_selector = src->proxy_name ? "!" K8S_HEADLESS_LABEL
						 : K8S_NOT_OURS_SELECTOR;
	for (i = 0; i < (int)src->n_kinds && !rc; i++)
		rc = k8s_watch_init(&src->watches[i],
				    i == KIND_NODES ? &src->node_kind
						    : &kinds[i],
				    &src->sh, src);
	for (i = 0; i < (int)src->n_kinds && !rc; i++)
		rc = k8s_watch_start(&src->watches[i]);
	return rc;
}

/* A frontend refused to a Service: logged and counted. */
static void on_refused(void *arg, const char *service,
		       const struct shunt_frontend_key *k, enum k8s_refusal why,
		       const char *holder)
{
	struct k8s_source *src = arg;
	char fe[96];

	if ((unsigned int)why < K8S_REFUSED_REASONS)
		__atomic_fetch_add(&src->refused[why], 1, __ATOMIC_RELAXED);
	shunt_format_service(k, fe, sizeof(fe));
	log_warn("frontend refused to a service", "service", service,
		 "frontend", fe, "reason", k8s_refusal_name(why), "holder",
		 holder ? holder : "", NULL);
}

static struct k8s_model_opts model_opts(struct k8s_source *src)
{
	return (struct k8s_model_opts){
		.node_name = src->node_name,
		.zone = src->zone,
		.service_proxy_name = src->proxy_name,
		.external_ip_cidrs = src->ext_cidrs,
		.n_external_ip_cidrs = src->n_ext_cidrs,
		.src_ranges_nodeport = src->src_ranges_nodeport,
		.refused = on_refused,
		.refused_arg = src,
	};
}

int k8s_source_start(const struct k8s_options *o, int notify_fd,
		     struct k8s_source **out)
{
	struct k8s_source *src;
	int rc = -ENOMEM;

	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->need_full = true;
	src->src_ranges_nodeport = o->src_ranges_nodeport;
	src->state = k8s_state_new();
	if (src->state)
		k8s_state_on_refused(src->state, on_refused, src);
	if (o->n_external_ip_cidrs) {
		src->ext_cidrs =
			calloc(o->n_external_ip_cidrs, sizeof(*src->ext_cidrs));
		if (!src->ext_cidrs) {
			k8s_source_stop(src);
			return -ENOMEM;
		}
		memcpy(src->ext_cidrs, o->external_ip_cidrs,
		       o->n_external_ip_cidrs * sizeof(*src->ext_cidrs));
		src->n_ext_cidrs = o->n_external_ip_cidrs;
	}
	if (o->node_name && *o->node_name)
		src->node_name = strdup(o->node_name);
	if (o->service_proxy_name && *o->service_proxy_name)
		src->proxy_name = strdup(o->service_proxy_name);
	if (src->state && (!o->node_name || !*o->node_name || src->node_name) &&
	    (!o->service_proxy_name || !*o->service_proxy_name ||
	     src->proxy_name))
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

/* Tests only: not a sync, so refusals are not told twice. */
int k8s_source_desired(struct k8s_source *src, struct shunt_desired *out)
{
	const struct k8s_cache *svcs = &src->watches[KIND_SERVICES].cache;
	const struct k8s_cache *slices = &src->watches[KIND_SLICES].cache;
	struct k8s_model_opts o = model_opts(src);
	void **sv, **sl;
	int rc = -ENOMEM;

	o.refused = NULL;
	pthread_mutex_lock(&src->sh.lock);
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
	pthread_mutex_unlock(&src->sh.lock);
	free(sv);
	free(sl);
	return rc;
}

/* Translate Service key again into the state (under sh.lock). */
static int retranslate(struct k8s_source *src, const char *key)
{
	const struct k8s_cache *slices = &src->watches[KIND_SLICES].cache;
	const struct k8s_service *svc =
		k8s_cache_get(&src->watches[KIND_SERVICES].cache, key);
	struct k8s_model_opts o = model_opts(src);
	struct slice_set *set = set_get(src, key, false);
	const struct k8s_slice **sl = NULL;
	struct shunt_desired specs;
	size_t i, n = 0;
	int rc = 0;

	shunt_desired_init(&specs);
	if (svc) {
		sl = calloc(set ? set->slices.n + 1 : 1, sizeof(*sl));
		if (!sl)
			return -ENOMEM;
		for (i = 0; set && i < set->slices.n; i++) {
			sl[n] = k8s_cache_get(slices, set->slices.v[i]);
			n += !!sl[n];
		}
		rc = k8s_translate_service(svc, sl, n, &o, &specs);
	}
	if (!rc)
		rc = k8s_state_set(src->state, key,
				   svc ? svc->created : K8S_CREATED_UNKNOWN,
				   &specs);
	if (!rc)
		rc = k8s_health_set(&src->health, key, svc, sl, n,
				    src->node_name);
	shunt_desired_free(&specs);
	free(sl);
	return rc;
}

static void dirty_clear(struct k8s_source *src)
{
	size_t i;

	for (i = 0; i < src->dirty.n; i++)
		free(src->dirty.v[i]);
	src->dirty.n = 0;
	hindex_free(&src->dirty_idx);
}

/* Every Service of the cache into a fresh state. */
static int rebuild(struct k8s_source *src)
{
	const struct k8s_cache *svcs = &src->watches[KIND_SERVICES].cache;
	struct k8s_cache_entry *e;
	size_t i;
	int rc = 0;

	k8s_state_free(src->state);
	src->state = k8s_state_new();
	if (!src->state)
		return -ENOMEM;
	k8s_state_on_refused(src->state, on_refused, src);
	k8s_health_clear(&src->health);
	for (i = 0; i < svcs->n_buckets && !rc; i++)
		for (e = svcs->buckets[i]; e && !rc; e = e->next)
			rc = retranslate(src, e->key);
	return rc;
}

int k8s_source_changes(struct k8s_source *src, struct k8s_changes *out)
{
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&src->sh.lock);
	out->full = src->need_full;
	if (out->full)
		rc = rebuild(src);
	for (i = 0; !out->full && !rc && i < src->dirty.n; i++)
		rc = retranslate(src, src->dirty.v[i]);
	dirty_clear(src);
	src->need_full = rc != 0;
	pthread_mutex_unlock(&src->sh.lock);
	if (rc)
		return rc;
	if (out->full)
		rc = k8s_state_full(src->state, &out->want);
	else
		rc = k8s_state_delta(src->state, &out->want, &out->remove,
				     &out->n_remove);
	if (rc) {
		pthread_mutex_lock(&src->sh.lock);
		src->need_full = true;
		pthread_mutex_unlock(&src->sh.lock);
	}
	return rc;
}

void k8s_source_resync(struct k8s_source *src)
{
	pthread_mutex_lock(&src->sh.lock);
	src->need_full = true;
	pthread_mutex_unlock(&src->sh.lock);
}

void k8s_changes_free(struct k8s_changes *c)
{
	shunt_desired_free(&c->want);
	k8s_names_free(c->remove, c->n_remove);
	memset(c, 0, sizeof(*c));
}

void k8s_source_stats(struct k8s_source *src, struct k8s_stats *st)
{
	int i;

	pthread_mutex_lock(&src->sh.lock);
	*st = src->sh.stats;
	pthread_mutex_unlock(&src->sh.lock);
	for (i = 0; i < K8S_REFUSED_REASONS; i++)
		st->refused[i] =
			__atomic_load_n(&src->refused[i], __ATOMIC_RELAXED);
}

int k8s_source_health(struct k8s_source *src, struct k8s_health **out,
		      size_t *n)
{
	int rc;

	pthread_mutex_lock(&src->sh.lock);
	rc = k8s_health_list(&src->health, out, n);
	pthread_mutex_unlock(&src->sh.lock);
	return rc;
}

void k8s_source_stop(struct k8s_source *src)
{
	int i;

	if (!src)
		return;
	if (src->shared_ready) {
		k8s_shared_stop(&src->sh);
		for (i = 0; i < (int)src->n_kinds; i++)
			k8s_watch_join(&src->watches[i]);
		for (i = 0; i < (int)src->n_kinds; i++)
			k8s_watch_destroy(&src->watches[i]);
		k8s_shared_destroy(&src->sh);
	}
	if (src->curl_ready)
		curl_global_cleanup();
	k8s_config_free(&src->cfg);
	clear_sets(src);
	dirty_clear(src);
	vec_free(&src->dirty);
	k8s_state_free(src->state);
	free(src->node_name);
	free(src->node_selector);
	free(src->zone);
	free(src->proxy_name);
	free(src->ext_cidrs);
	k8s_health_clear(&src->health);
	free(src);
}
