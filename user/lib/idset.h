/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A set of small ids (a bitmap), for allocating service and backend ids. */
#ifndef SHUNT_IDSET_H
#define SHUNT_IDSET_H

#include <errno.h>
#include <stdlib.h>
#include <linux/types.h>

struct idset {
	__u64 *bits;
	__u32 size; /* ids 0..size-1 */
};

static inline int idset_init(struct idset *s, __u32 size)
{
	s->size = size;
	s->bits = calloc((size + 63) / 64, sizeof(__u64));
	return s->bits ? 0 : -ENOMEM;
}

static inline void idset_free(struct idset *s)
{
	free(s->bits);
	s->bits = NULL;
}

static inline void idset_add(struct idset *s, __u32 id)
{
	if (id < s->size)
		s->bits[id / 64] |= 1ULL << (id % 64);
}

/* The lowest id >= from not in the set: 0, or -ENOSPC when full. */
static inline int idset_first_free(const struct idset *s, __u32 from, __u32 *id)
{
	__u32 i;

	for (i = from; i < s->size; i++) {
		if (!(s->bits[i / 64] & (1ULL << (i % 64)))) {
			*id = i;
			return 0;
		}
	}
	return -ENOSPC;
}

#endif /* SHUNT_IDSET_H */
