/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * List + watch of one resource in its own thread, into a cache: a full
 * (paginated) list, then watches from the list's resourceVersion; 410
 * Gone relists, other failures retry with capped, jittered exponential
 * back-off. Malformed events are counted and skipped.
 */
#ifndef SHUNTD_K8S_WATCH_H
#define SHUNTD_K8S_WATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <json-c/json.h>

#include "k8s.h"
#include "k8s_cache.h"
#include "k8s_client.h"

#define K8S_BACKOFF_MIN_MS 200
#define K8S_BACKOFF_MAX_MS 10000
#define K8S_LIST_LIMIT	   500

/* A resource: where it is and how its objects are parsed. */
struct k8s_kind {
	const char *name; /* "services", for logs */
	const char *path; /* "/api/v1/services" */
	/* A field selector for its lists and watches ("metadata.name=n1"),
	 * in place of the source's label selector; NULL: that one. */
	const char *field_selector;
	int (*parse)(struct json_object *obj, void **out, char *err,
		     size_t errlen);
	void (*free)(void *obj);
	/* Under the shared lock, before the cache changes: object key goes
	 * from old to new (either may be NULL); relisted: the whole cache
	 * was replaced. Both optional; owner is k8s_watch_init()'s. */
	void (*changed)(void *owner, const char *key, const void *old,
			const void *new);
	void (*relisted)(void *owner, const struct k8s_cache *cache);
};

/* What the watchers of one source share. */
struct k8s_shared {
	pthread_mutex_t lock; /* the caches, stats, n_listed */
	struct k8s_stats stats;
	unsigned int n_kinds, n_listed;
	int notify_fd; /* eventfd, or -1 */
	const struct k8s_config *cfg;
	const char *label_selector; /* every list and watch; NULL: none */
	atomic_bool stop;
	pthread_mutex_t stop_lock; /* with stop_cond: back-off sleeps */
	pthread_cond_t stop_cond;  /* CLOCK_MONOTONIC */
};

struct k8s_watch {
	const struct k8s_kind *kind;
	void *owner; /* for the kind's callbacks */
	struct k8s_shared *sh;
	struct k8s_cache cache; /* under sh->lock */
	bool listed;		/* under sh->lock */
	struct k8s_client client;
	char rv[256];	    /* resourceVersion to watch from, "" to list */
	unsigned int fails; /* in a row, for the back-off */
	unsigned int seed;
	pthread_t thread;
	bool running;
};

int k8s_shared_init(struct k8s_shared *sh, const struct k8s_config *cfg,
		    int notify_fd, unsigned int n_kinds);
void k8s_shared_destroy(struct k8s_shared *sh);
/* Ask every watcher to stop (they still need waking and joining). */
void k8s_shared_stop(struct k8s_shared *sh);

int k8s_watch_init(struct k8s_watch *w, const struct k8s_kind *kind,
		   struct k8s_shared *sh, void *owner);
int k8s_watch_start(struct k8s_watch *w);
/* After k8s_shared_stop(): interrupt its request and join the thread. */
void k8s_watch_join(struct k8s_watch *w);
void k8s_watch_destroy(struct k8s_watch *w);

#endif /* SHUNTD_K8S_WATCH_H */
