// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Maglev tables in the datapath. A change never edits a live table: a new
 * inner map is filled completely (one batch update), then one update of
 * maglev_map swaps it in, so a packet sees the old table or the new one,
 * each with the size in its own header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "hindex.h"
#include "maglev.h"
#include "service.h"
#include "table.h"

static const __u32 table_sizes[] = {
	251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071,
};

#define N_SIZES (sizeof(table_sizes) / sizeof(table_sizes[0]))

__u32 table_auto_size(const __u32 *weights, size_t n)
{
	__u64 units = 0, need;
	__u32 min = SHUNT_WEIGHT_MAX;
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (weights[i] && weights[i] < min)
			min = weights[i];
	/* Units of the smallest weight, rounded up per backend. */
	for (i = 0; i < n; i++)
		units += (weights[i] + min - 1) / min;
	need = units * TABLE_SLOTS_PER_UNIT;
	for (i = 0; i < N_SIZES; i++)
		if (table_sizes[i] >= need)
			return table_sizes[i];
	return table_sizes[N_SIZES - 1];
}

__u32 shunt_backend_capacity(__u32 table_size)
{
	if (table_size && table_size < SHUNT_MAX_SVC_BACKENDS)
		return table_size;
	return SHUNT_MAX_SVC_BACKENDS;
}

__u32 table_size_of(const struct shunt_model *m, const struct model_svc *svc)
{
	__u32 *w, size;
	size_t i, n = 0;

	for (i = 0; i < svc->n_bes; i++)
		n += m->backends[svc->bes[i]].state == SHUNT_BE_ACTIVE;
	if (!n)
		return 0;
	if (svc->rec.table_size)
		return svc->rec.table_size;
	w = malloc(n * sizeof(*w));
	if (!w)
		return SHUNT_MAGLEV_MAX; /* still a valid size */
	for (i = 0, n = 0; i < svc->n_bes; i++)
		if (m->backends[svc->bes[i]].state == SHUNT_BE_ACTIVE)
			w[n++] = m->backends[svc->bes[i]].weight;
	size = table_auto_size(w, n);
	free(w);
	return size;
}

struct hash_input {
	__u32 id;
	__u32 weight;
	union shunt_ip addr;
	__be16 port;
	__u8 family;
	__u8 pad;
};

__u64 table_hash_of(const struct shunt_model *m, const struct model_svc *svc,
		    __u32 size)
{
	const struct shunt_backend *be;
	struct hash_input in;
	__u64 sum = hindex_hash(&size, sizeof(size));
	size_t i;

	/* A sum of per-backend hashes: the same whatever the order. */
	for (i = 0; i < svc->n_bes; i++) {
		be = &m->backends[svc->bes[i]];
		if (be->state != SHUNT_BE_ACTIVE)
			continue;
		memset(&in, 0, sizeof(in));
		in.id = svc->bes[i];
		in.weight = be->weight;
		in.addr = be->addr;
		in.port = be->port;
		in.family = be->family;
		sum += hindex_hash(&in, sizeof(in));
	}
	return hindex_hash(&sum, sizeof(sum));
}

/* Maglev over svc's active backends into slots[0..size-1]. */
static int fill_slots(const struct shunt_model *m, const struct model_svc *svc,
		      __u32 size, __u32 *slots)
{
	struct maglev_backend *mb = calloc(svc->n_bes + 1, sizeof(*mb));
	const struct shunt_backend *be;
	size_t i, n = 0;
	int err;

	if (!mb)
		return -ENOMEM;
	for (i = 0; i < svc->n_bes; i++) {
		be = &m->backends[svc->bes[i]];
		if (be->state != SHUNT_BE_ACTIVE)
			continue;
		mb[n].id = svc->bes[i];
		mb[n].weight = be->weight;
		mb[n].addr = be->addr;
		mb[n].port = be->port;
		mb[n].family = be->family;
		n++;
	}
	err = maglev_build(mb, n, size, slots);
	free(mb);
	return err;
}

static int table_fill(int fd, __u32 size, __u32 gen, __u64 hash,
		      const __u32 *slots)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 n = SHUNT_MAGLEV_ELEMS(size), i, count = n;
	struct shunt_maglev_elem *elems = calloc(n, sizeof(*elems));
	__u32 *keys = calloc(n, sizeof(*keys));
	int err = 0;

	if (!elems || !keys) {
		err = -ENOMEM;
		goto out;
	}
	elems[0].hdr.size = size;
	elems[0].hdr.gen = gen;
	elems[0].hdr.hash = hash;
	for (i = 0; i < n; i++)
		keys[i] = i;
	for (i = 0; i < size; i++)
		elems[1 + i / SHUNT_MAGLEV_CHUNK].slot[i % SHUNT_MAGLEV_CHUNK] =
			slots[i];
	if (bpf_map_update_batch(fd, keys, elems, &count, &opts))
		err = -errno;
	else if (count != n)
		err = -EIO;
out:
	free(elems);
	free(keys);
	return err;
}

int table_build(const struct shunt_model *m, const struct model_svc *svc,
		__u32 size, __u32 gen, __u64 hash)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	__u32 *slots = NULL;
	int fd, err;

	if (size) {
		slots = malloc(size * sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		err = fill_slots(m, svc, size, slots);
		if (err) {
			free(slots);
			return err;
		}
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "maglev_table", sizeof(__u32),
			    sizeof(struct shunt_maglev_elem),
			    SHUNT_MAGLEV_ELEMS(size), &opts);
	if (fd < 0) {
		err = -errno;
	} else {
		err = table_fill(fd, size, gen, hash, slots);
		if (err)
			close(fd);
	}
	free(slots);
	return err ? err : fd;
}

int shunt_table_read(struct shunt *s, __u32 svc_id, __u32 **table, __u32 *m)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct bpf_map_info info = {};
	__u32 inner_id, len = sizeof(info), count, out_batch, i;
	struct shunt_maglev_elem *e = NULL;
	__u32 *keys = NULL, *t;
	int fd, err = 0;

	if (bpf_map_lookup_elem(s->maglev_map, &svc_id, &inner_id))
		return -errno;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	e = calloc(info.max_entries, sizeof(*e));
	keys = calloc(info.max_entries, sizeof(*keys));
	if (!e || !keys) {
		err = -ENOMEM;
		goto out;
	}
	count = info.max_entries;
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, e, &count,
				 &opts) &&
	    errno != ENOENT)
		err = -errno;
	else if (count != info.max_entries ||
		 SHUNT_MAGLEV_ELEMS(e[0].hdr.size) > info.max_entries)
		err = -EIO;
	if (err)
		goto out;
	t = calloc(e[0].hdr.size ? e[0].hdr.size : 1, sizeof(*t));
	if (!t) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < e[0].hdr.size; i++)
		t[i] = e[1 + i / SHUNT_MAGLEV_CHUNK]
			       .slot[i % SHUNT_MAGLEV_CHUNK];
	*table = t;
	*m = e[0].hdr.size;
out:
	free(e);
	free(keys);
	close(fd);
	return err;
}
