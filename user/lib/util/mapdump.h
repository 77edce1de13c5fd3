/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading a whole hash map into memory. */
#ifndef SHUNT_MAPDUMP_H
#define SHUNT_MAPDUMP_H

#include <stddef.h>

struct map_dump {
	void *keys; /* n keys of ksize bytes */
	void *vals; /* n values of vsize bytes */
	size_t n;
	size_t ksize;
	size_t vsize;
};

/* Every entry of the (hash) map fd. 0 or -errno. */
int map_dump(int fd, size_t ksize, size_t vsize, struct map_dump *d);
void map_dump_free(struct map_dump *d);

/*
 * Every entry of fd as n records of rsize bytes each, the key copied to
 * offset koff and the value to voff of its record (a listing struct such
 * as { key; value; ... }, offsets by offsetof()). *out is calloc()ed, also
 * when n is 0. 0 or -errno.
 */
int map_dump_records(int fd, size_t ksize, size_t vsize, size_t rsize,
		     size_t koff, size_t voff, void **out, size_t *n);

static inline void *map_dump_key(const struct map_dump *d, size_t i)
{
	return (char *)d->keys + i * d->ksize;
}

static inline void *map_dump_val(const struct map_dump *d, size_t i)
{
	return (char *)d->vals + i * d->vsize;
}

#endif /* SHUNT_MAPDUMP_H */
