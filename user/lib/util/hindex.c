// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A hash index with open addressing (see hindex.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hindex.h"

#define MIN_CAP 64

static uint64_t finalise(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}

uint64_t hindex_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return finalise(h);
}

uint64_t hindex_hash_str(const char *s)
{
	return hindex_hash(s, strlen(s));
}

void hindex_init(struct hindex *h)
{
	memset(h, 0, sizeof(*h));
}

void hindex_free(struct hindex *h)
{
	free(h->slots);
	hindex_init(h);
}

static void place(struct hindex_slot *slots, size_t cap, uint64_t hash,
		  void *item)
{
	size_t i = hash & (cap - 1);

	while (slots[i].hash)
		i = (i + 1) & (cap - 1);
	slots[i].hash = hash;
	slots[i].item = item;
}

static int grow(struct hindex *h)
{
	size_t cap = h->cap ? h->cap * 2 : MIN_CAP, i;
	struct hindex_slot *s;

	if ((h->n + 1) * 2 <= h->cap)
		return 0;
	s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; i < h->cap; i++)
		if (h->slots[i].hash)
			place(s, cap, h->slots[i].hash, h->slots[i].item);
	free(h->slots);
	h->slots = s;
	h->cap = cap;
	return 0;
}

int hindex_put(struct hindex *h, uint64_t hash, void *item)
{
	int err = grow(h);

	if (err)
		return err;
	place(h->slots, h->cap, hash ? hash : 1, item);
	h->n++;
	return 0;
}

void *hindex_get(const struct hindex *h, uint64_t hash, const void *key,
		 hindex_eq_fn eq)
{
	size_t i;

	if (!h->cap)
		return NULL;
	hash = hash ? hash : 1;
	for (i = hash & (h->cap - 1); h->slots[i].hash;
	     i = (i + 1) & (h->cap - 1))
		if (h->slots[i].hash == hash && eq(h->slots[i].item, key))
			return h->slots[i].item;
	return NULL;
}

/* Close the gap at i: move back every later item of the run that may
 * live there (its home slot is not between i and its position). */
static void shift_back(struct hindex *h, size_t i)
{
	size_t mask = h->cap - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (!h->slots[j].hash)
			break;
		home = h->slots[j].hash & mask;
		if (((j - home) & mask) < ((j - i) & mask))
			continue;
		h->slots[i] = h->slots[j];
		i = j;
	}
	h->slots[i].hash = 0;
	h->slots[i].item = NULL;
}

bool hindex_del(struct hindex *h, uint64_t hash, const void *item)
{
	size_t i;

	if (!h->cap)
		return false;
	hash = hash ? hash : 1;
	for (i = hash & (h->cap - 1); h->slots[i].hash;
	     i = (i + 1) & (h->cap - 1)) {
		if (h->slots[i].item == item) {
			shift_back(h, i);
			h->n--;
			return true;
		}
	}
	return false;
}
