// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Maglev table builder. See maglev.h for the algorithm.
 *
 * Rather than scanning every backend in every round, each backend's next
 * turn round is computed in closed form and the backends sit in a binary
 * min-heap ordered by (round, canonical index). Each turn claims exactly
 * one slot, so a build is m heap operations plus the permutation walks:
 * O(m log n + m log m) expected.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <shunt/hash.h>
#include "maglev.h"

/* family, 16 address bytes, 2 port bytes in network order */
#define MG_KEY_LEN 19

struct mg_entry {
	__u64 round; /* round of this backend's next turn */
	__u32 id;
	__u32 weight;
	__u32 pos; /* current position in its permutation */
	__u32 skip;
	__u32 turns; /* turns taken so far */
	__u8 key[MG_KEY_LEN];
};

bool maglev_is_prime(__u32 n)
{
	__u64 i;

	if (n < 2)
		return false;
	if (n < 4)
		return true;
	if (n % 2 == 0 || n % 3 == 0)
		return false;
	for (i = 5; i * i <= n; i += 6)
		if (n % i == 0 || n % (i + 2) == 0)
			return false;
	return true;
}

static int mg_check_backend(const struct maglev_backend *b)
{
	if (b->id == SHUNT_BACKEND_NONE)
		return -EINVAL;
	if (b->weight < SHUNT_WEIGHT_MIN || b->weight > SHUNT_WEIGHT_MAX)
		return -EINVAL;
	if (b->family != SHUNT_V4 && b->family != SHUNT_V6)
		return -EINVAL;
	return 0;
}

static int mg_check_args(const struct maglev_backend *backends, size_t n,
			 __u32 m, const __u32 *table)
{
	size_t i;
	int err;

	if (!table || m < SHUNT_MAGLEV_MIN || m > SHUNT_MAGLEV_MAX ||
	    !maglev_is_prime(m))
		return -EINVAL;
	if (n > m || (n && !backends))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		err = mg_check_backend(&backends[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Round of turn k (0-based) for weight w: ceil((k + 1) * W / w) - 1. */
static __u64 mg_turn_round(__u32 k, __u32 w, __u32 wmax)
{
	return ((__u64)(k + 1) * wmax - 1) / w;
}

static void mg_entry_init(struct mg_entry *e, const struct maglev_backend *b,
			  __u32 m)
{
	union shunt_ip addr;
	__u32 extra;

	memset(&addr, 0, sizeof(addr));
	if (b->family == SHUNT_V4)
		addr.v4 = b->addr.v4;
	else
		addr = b->addr;

	extra = ((__u32)b->port << 16) | b->family;
	e->pos = shunt_hash_ip(&addr, extra, SHUNT_MAGLEV_SEED_OFFSET) % m;
	e->skip =
		shunt_hash_ip(&addr, extra, SHUNT_MAGLEV_SEED_SKIP) % (m - 1) +
		1;
	e->id = b->id;
	e->weight = b->weight;
	e->turns = 0;
	e->round = 0;

	e->key[0] = b->family;
	memcpy(&e->key[1], addr.bytes, sizeof(addr.bytes));
	memcpy(&e->key[1 + sizeof(addr.bytes)], &b->port, sizeof(b->port));
}

static int mg_key_cmp(const void *a, const void *b)
{
	const struct mg_entry *x = a, *y = b;

	return memcmp(x->key, y->key, MG_KEY_LEN);
}

/* Sort by identity; -EINVAL if two backends share one. */
static int mg_sort(struct mg_entry *ents, size_t n)
{
	size_t i;

	qsort(ents, n, sizeof(*ents), mg_key_cmp);
	for (i = 1; i < n; i++)
		if (!mg_key_cmp(&ents[i - 1], &ents[i]))
			return -EINVAL;
	return 0;
}

static bool mg_before(const struct mg_entry *ents, __u32 a, __u32 b)
{
	if (ents[a].round != ents[b].round)
		return ents[a].round < ents[b].round;
	return a < b;
}

static void mg_sift_down(const struct mg_entry *ents, __u32 *heap, size_t n,
			 size_t i)
{
	size_t l, r, min;
	__u32 tmp;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		min = i;
		if (l < n && mg_before(ents, heap[l], heap[min]))
			min = l;
		if (r < n && mg_before(ents, heap[r], heap[min]))
			min = r;
		if (min == i)
			return;
		tmp = heap[i];
		heap[i] = heap[min];
		heap[min] = tmp;
		i = min;
	}
}

static __u32 mg_max_weight(const struct mg_entry *ents, size_t n)
{
	__u32 wmax = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (ents[i].weight > wmax)
			wmax = ents[i].weight;
	return wmax;
}

static bool mg_equal_weights(const struct mg_entry *ents, size_t n, __u32 wmax)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ents[i].weight != wmax)
			return false;
	return true;
}

static void mg_heap_init(struct mg_entry *ents, __u32 *heap, size_t n,
			 __u32 wmax)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ents[i].round = mg_turn_round(0, ents[i].weight, wmax);
		heap[i] = i;
	}
	for (i = n / 2; i-- > 0;)
		mg_sift_down(ents, heap, n, i);
}

static void mg_advance(struct mg_entry *e, __u32 m)
{
	e->pos += e->skip;
	if (e->pos >= m)
		e->pos -= m;
}

/*
 * Every permutation covers all m slots and slots are only ever filled, so
 * while one is free the walk below finds it within m steps.
 */
static void mg_fill(struct mg_entry *ents, __u32 *heap, size_t n, __u32 m,
		    __u32 *table)
{
	__u32 filled, wmax;
	struct mg_entry *e;

	wmax = mg_max_weight(ents, n);
	if (mg_equal_weights(ents, n, wmax)) {
		/* Every backend takes a turn every round, in canonical
		 * order: what the heap below yields, without it. */
		for (filled = 0; filled < m; filled++) {
			e = &ents[filled % n];
			while (table[e->pos] != SHUNT_BACKEND_NONE)
				mg_advance(e, m);
			table[e->pos] = e->id;
			mg_advance(e, m);
		}
		return;
	}
	mg_heap_init(ents, heap, n, wmax);

	for (filled = 0; filled < m; filled++) {
		e = &ents[heap[0]];
		while (table[e->pos] != SHUNT_BACKEND_NONE)
			mg_advance(e, m);
		table[e->pos] = e->id;
		mg_advance(e, m);
		e->turns++;
		e->round = mg_turn_round(e->turns, e->weight, wmax);
		mg_sift_down(ents, heap, n, 0);
	}
}

static void mg_fill_none(__u32 *table, __u32 m)
{
	__u32 i;

	for (i = 0; i < m; i++)
		table[i] = SHUNT_BACKEND_NONE;
}

int maglev_build(const struct maglev_backend *backends, size_t n, __u32 m,
		 __u32 *table)
{
	struct mg_entry *ents;
	__u32 *heap;
	size_t i;
	int err;

	err = mg_check_args(backends, n, m, table);
	if (err)
		return err;
	if (!n) {
		mg_fill_none(table, m);
		return 0;
	}

	ents = calloc(n, sizeof(*ents));
	heap = calloc(n, sizeof(*heap));
	if (!ents || !heap) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		mg_entry_init(&ents[i], &backends[i], m);
	err = mg_sort(ents, n);
	if (err)
		goto out;

	mg_fill_none(table, m);
	mg_fill(ents, heap, n, m, table);
out:
	free(heap);
	free(ents);
	return err;
}
