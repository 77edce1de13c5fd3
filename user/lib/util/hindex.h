/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A hash index: items (owned elsewhere) found by a key through a caller's
 * hash and equality. Open addressing with linear probing and
 * backward-shift deletion, grown at 50% load, so lookups and changes are
 * O(1) on average. Not thread-safe.
 */
#ifndef SHUNT_HINDEX_H
#define SHUNT_HINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hindex_slot {
	uint64_t hash; /* 0: empty (hashes are forced non-zero) */
	void *item;
};

struct hindex {
	struct hindex_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

/* Is item the one with key? */
typedef bool (*hindex_eq_fn)(const void *item, const void *key);

void hindex_init(struct hindex *h);
void hindex_free(struct hindex *h);
/* Add item under hash (the caller checked it is not there). 0, -ENOMEM. */
int hindex_put(struct hindex *h, uint64_t hash, void *item);
/* The item with key, or NULL. */
void *hindex_get(const struct hindex *h, uint64_t hash, const void *key,
		 hindex_eq_fn eq);
/* Remove item itself (pointer identity); false when it is not there. */
bool hindex_del(struct hindex *h, uint64_t hash, const void *item);

/* Hashes: bytes (FNV-1a, then a 64-bit finaliser) and C strings. */
uint64_t hindex_hash(const void *data, size_t len);
uint64_t hindex_hash_str(const char *s);

#endif /* SHUNT_HINDEX_H */
