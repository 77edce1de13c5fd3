// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading a whole hash map: batched where the kernel can, else entry by
 * entry. Entries that vanish while we read are skipped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapdump.h"

#define DUMP_CHUNK 4096
/* The kernel's "no batch operations for this map type" (an LPM trie). */
#define KERNEL_ENOTSUPP 524

static int grow(struct map_dump *d, size_t want, size_t *cap)
{
	void *k, *v;
	size_t c = *cap;

	if (want <= c)
		return 0;
	while (c < want)
		c = c ? c * 2 : DUMP_CHUNK;
	k = realloc(d->keys, c * d->ksize);
	if (!k)
		return -ENOMEM;
	d->keys = k;
	v = realloc(d->vals, c * d->vsize);
	if (!v)
		return -ENOMEM;
	d->vals = v;
	*cap = c;
	return 0;
}

static int dump_batch(int fd, struct map_dump *d, size_t *cap)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	char in[256], out[256];
	bool first = true;
	__u32 count;
	int err;

	for (;;) {
		err = grow(d, d->n + DUMP_CHUNK, cap);
		if (err)
			return err;
		count = DUMP_CHUNK;
		err = bpf_map_lookup_batch(
			fd, first ? NULL : in, out, map_dump_key(d, d->n),
			map_dump_val(d, d->n), &count, &opts);
		if (err && errno != ENOENT)
			return -errno;
		d->n += count;
		if (err) /* ENOENT: that was the last batch */
			return 0;
		memcpy(in, out, d->ksize);
		first = false;
	}
}

static int dump_iter(int fd, struct map_dump *d, size_t *cap)
{
	char cur[256], next[256];
	bool first = true;
	int err;

	while (bpf_map_get_next_key(fd, first ? NULL : cur, next) == 0) {
		memcpy(cur, next, d->ksize);
		first = false;
		err = grow(d, d->n + 1, cap);
		if (err)
			return err;
		if (bpf_map_lookup_elem(fd, cur, map_dump_val(d, d->n)))
			continue;
		memcpy(map_dump_key(d, d->n), cur, d->ksize);
		d->n++;
	}
	return 0;
}

int map_dump(int fd, size_t ksize, size_t vsize, struct map_dump *d)
{
	size_t cap = 0;
	int err;

	memset(d, 0, sizeof(*d));
	if (ksize > 256)
		return -EINVAL;
	d->ksize = ksize;
	d->vsize = vsize;
	err = dump_batch(fd, d, &cap);
	if (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP ||
	    err == -KERNEL_ENOTSUPP) {
		d->n = 0;
		err = dump_iter(fd, d, &cap);
	}
	if (err)
		map_dump_free(d);
	return err;
}

void map_dump_free(struct map_dump *d)
{
	free(d->keys);
	free(d->vals);
	d->keys = d->vals = NULL;
	d->n = 0;
}

int map_dump_records(int fd, size_t ksize, size_t vsize, size_t rsize,
		     size_t koff, size_t voff, void **out, size_t *n)
{
	struct map_dump d;
	char *v;
	size_t i;
	int err;

	err = map_dump(fd, ksize, vsize, &d);
	if (err)
		return err;
	v = calloc(d.n ? d.n : 1, rsize);
	if (!v) {
		map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++) {
		memcpy(v + i * rsize + koff, map_dump_key(&d, i), ksize);
		memcpy(v + i * rsize + voff, map_dump_val(&d, i), vsize);
	}
	*n = d.n;
	*out = v;
	map_dump_free(&d);
	return 0;
}
