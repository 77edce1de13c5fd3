/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The cached objects of one resource, by "namespace/name". Not locked:
 * the Kubernetes source holds its lock around every call.
 */
#ifndef SHUNTD_K8S_CACHE_H
#define SHUNTD_K8S_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct k8s_cache_entry {
	struct k8s_cache_entry *next;
	void *obj;
	char key[]; /* "namespace/name" */
};

struct k8s_cache {
	struct k8s_cache_entry **buckets;
	size_t n_buckets;
	size_t n; /* objects */
	void (*free_obj)(void *obj);
};

void k8s_cache_init(struct k8s_cache *c, void (*free_obj)(void *obj));
/* Drop every object (the cache stays usable). */
void k8s_cache_clear(struct k8s_cache *c);
/* Store obj under key, replacing (and freeing) the object there. The
 * cache owns obj from now on, even on error (-ENOMEM: obj freed). */
int k8s_cache_put(struct k8s_cache *c, const char *key, void *obj);
/* Remove and free the object under key; false when there was none. */
bool k8s_cache_del(struct k8s_cache *c, const char *key);
void *k8s_cache_get(const struct k8s_cache *c, const char *key);
/* Every object into out[0..c->n-1], in no particular order. */
void k8s_cache_values(const struct k8s_cache *c, void **out);
/* Exchange the contents of a and b (a relist replaces the cache). */
void k8s_cache_swap(struct k8s_cache *a, struct k8s_cache *b);

#endif /* SHUNTD_K8S_CACHE_H */
