// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A chained hash table of objects by "namespace/name". */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_cache.h"

#define MIN_BUCKETS 64

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

void k8s_cache_init(struct k8s_cache *c, void (*free_obj)(void *obj))
{
	memset(c, 0, sizeof(*c));
	c->free_obj = free_obj;
}

void k8s_cache_clear(struct k8s_cache *c)
{
	struct k8s_cache_entry *e, *next;
	size_t i;

	for (i = 0; i < c->n_buckets; i++) {
		for (e = c->buckets[i]; e; e = next) {
			next = e->next;
			c->free_obj(e->obj);
			free(e);
		}
	}
	free(c->buckets);
	c->buckets = NULL;
	c->n_buckets = 0;
	c->n = 0;
}

static struct k8s_cache_entry **slot(const struct k8s_cache *c, const char *key)
{
	struct k8s_cache_entry **p;

	if (!c->n_buckets)
		return NULL;
	p = &c->buckets[hash(key) & (c->n_buckets - 1)];
	while (*p && strcmp((*p)->key, key))
		p = &(*p)->next;
	return p;
}

/* Keep about one object per bucket. */
static int grow(struct k8s_cache *c)
{
	size_t n = c->n_buckets ? c->n_buckets * 2 : MIN_BUCKETS, i;
	struct k8s_cache_entry **b, *e, *next;

	if (c->n < c->n_buckets)
		return 0;
	b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (i = 0; i < c->n_buckets; i++) {
		for (e = c->buckets[i]; e; e = next) {
			next = e->next;
			e->next = b[hash(e->key) & (n - 1)];
			b[hash(e->key) & (n - 1)] = e;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = n;
	return 0;
}

int k8s_cache_put(struct k8s_cache *c, const char *key, void *obj)
{
	struct k8s_cache_entry **p, *e;
	size_t len = strlen(key);

	if (grow(c)) {
		c->free_obj(obj);
		return -ENOMEM;
	}
	p = slot(c, key);
	if (*p) {
		c->free_obj((*p)->obj);
		(*p)->obj = obj;
		return 0;
	}
	e = malloc(sizeof(*e) + len + 1);
	if (!e) {
		c->free_obj(obj);
		return -ENOMEM;
	}
	memcpy(e->key, key, len + 1);
	e->obj = obj;
	e->next = NULL;
	*p = e;
	c->n++;
	return 0;
}

bool k8s_cache_del(struct k8s_cache *c, const char *key)
{
	struct k8s_cache_entry **p = slot(c, key), *e;

	if (!p || !*p)
		return false;
	e = *p;
	*p = e->next;
	c->free_obj(e->obj);
	free(e);
	c->n--;
	return true;
}

void *k8s_cache_get(const struct k8s_cache *c, const char *key)
{
	struct k8s_cache_entry **p = slot(c, key);

	return p && *p ? (*p)->obj : NULL;
}

void k8s_cache_values(const struct k8s_cache *c, void **out)
{
	struct k8s_cache_entry *e;
	size_t i, n = 0;

	for (i = 0; i < c->n_buckets; i++)
		for (e = c->buckets[i]; e; e = e->next)
			out[n++] = e->obj;
}

void k8s_cache_swap(struct k8s_cache *a, struct k8s_cache *b)
{
	struct k8s_cache t = *a;

	*a = *b;
	*b = t;
}
