// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Maglev tables in the datapath. A change never edits a live table: a new
 * inner map is filled completely, then one update of maglev_map swaps it
 * in, so a packet sees the old table or the new one, never a mix.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "maglev.h"
#include "service.h"
#include "table.h"

/* The active ones of b[0..n-1] as Maglev input. */
static struct maglev_backend *
active_backends(const struct shunt_backend_info *b, size_t n, size_t *nactive)
{
	struct maglev_backend *mb = calloc(n ? n : 1, sizeof(*mb));
	size_t i;

	*nactive = 0;
	for (i = 0; mb && i < n; i++) {
		if (b[i].be.state != SHUNT_BE_ACTIVE)
			continue;
		mb[*nactive].id = b[i].id;
		mb[*nactive].weight = b[i].be.weight;
		mb[*nactive].addr = b[i].be.addr;
		mb[*nactive].port = b[i].be.port;
		mb[*nactive].family = b[i].be.family;
		(*nactive)++;
	}
	return mb;
}

/* A new inner map holding table[0..m-1]. Returns its fd or -errno. An
 * mmap()ed array keeps each value in an 8-byte slot (the kernel rounds the
 * element size up to 8). */
static int table_create(const __u32 *table, __u32 m)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts,
		    .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	size_t len = (size_t)m * sizeof(__u64);
	char *slots;
	__u32 i;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "maglev_table", sizeof(__u32),
			    sizeof(__u32), m, &opts);
	if (fd < 0)
		return -errno;
	slots = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (slots == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	for (i = 0; i < m; i++)
		memcpy(slots + (size_t)i * sizeof(__u64), &table[i],
		       sizeof(table[i]));
	munmap(slots, len);
	return fd;
}

static void batch_clear(struct table_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		close(b->fds[i]);
	b->n = 0;
}

int table_batch_flush(struct shunt *s, struct table_batch *b,
		      table_batch_fail_fn fail, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = b->n, i;
	int err = 0;

	if (!b->n)
		return 0;
	/* One grace period for the whole batch; count = entries done. */
	if (bpf_map_update_batch(s->maglev_map, b->ids, b->fds, &count, &opts))
		err = -errno;
	else if (count != b->n)
		err = -EIO;
	for (i = 0; i < b->n; i++) {
		if (i < count)
			bpf_map_update_elem(s->svc_map, &b->keys[i],
					    &b->svcs[i], BPF_EXIST);
		else
			fail(ctx, &b->keys[i], err);
	}
	batch_clear(b);
	return err;
}

/* Queue fd as svc's next table (the batch owns fd from here on). */
static int batch_queue(struct shunt *s, const struct shunt_svc_key *key,
		       const struct shunt_svc *svc, __u32 nactive, int fd)
{
	struct table_batch *b = s->table_batch;

	if (b->n == TABLE_BATCH_MAX) {
		close(fd);
		return -ENOBUFS; /* the caller flushes before it is full */
	}
	b->ids[b->n] = svc->id;
	b->fds[b->n] = fd;
	b->keys[b->n] = *key;
	b->svcs[b->n] = *svc;
	b->svcs[b->n].backend_count = nactive;
	b->svcs[b->n].table_gen++;
	b->n++;
	return 0;
}

int table_publish(struct shunt *s, const struct shunt_svc_key *key,
		  struct shunt_svc *svc, const struct shunt_backend_info *b,
		  size_t n)
{
	struct maglev_backend *mb;
	__u32 *table;
	size_t nactive;
	int err, fd;

	mb = active_backends(b, n, &nactive);
	table = malloc(svc->table_size * sizeof(*table));
	if (!mb || !table) {
		err = -ENOMEM;
		goto out;
	}
	err = maglev_build(mb, nactive, svc->table_size, table);
	if (err)
		goto out;
	fd = table_create(table, svc->table_size);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	if (s->table_batch) {
		err = batch_queue(s, key, svc, nactive, fd);
		goto out;
	}
	err = bpf_map_update_elem(s->maglev_map, &svc->id, &fd, BPF_ANY);
	err = err ? -errno : 0;
	close(fd);
	if (err)
		goto out;
	/* The swap is the commit point. The counts below are for listings
	 * only; failing to store them must not undo a live table. */
	svc->backend_count = nactive;
	svc->table_gen++;
	bpf_map_update_elem(s->svc_map, key, svc, BPF_EXIST);
out:
	free(mb);
	free(table);
	return err;
}

int shunt_table_publish_as(struct shunt *s, const struct shunt_svc_key *key,
			   struct shunt_svc *next)
{
	struct shunt_backend_info *b;
	size_t n;
	int err;

	err = shunt_backend_list(s, next->id, &b, &n);
	if (err)
		return err;
	if (n > shunt_backend_capacity(next->table_size))
		err = -ENOSPC;
	else
		err = table_publish(s, key, next, b, n);
	free(b);
	return err;
}

int shunt_table_publish(struct shunt *s, const struct shunt_svc_key *key)
{
	struct shunt_backend_info *b;
	struct shunt_svc svc;
	size_t n;
	int err;

	err = shunt_service_get(s, key, &svc);
	if (!err)
		err = shunt_backend_list(s, svc.id, &b, &n);
	if (err)
		return err;
	err = table_publish(s, key, &svc, b, n);
	free(b);
	return err;
}

int shunt_table_read(struct shunt *s, __u32 svc_id, __u32 **table, __u32 *m)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct bpf_map_info info = {};
	__u32 inner_id, len = sizeof(info), count, out_batch;
	__u32 *t, *keys;
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
	t = calloc(info.max_entries, sizeof(*t));
	keys = calloc(info.max_entries, sizeof(*keys));
	if (!t || !keys) {
		err = -ENOMEM;
	} else {
		count = info.max_entries;
		if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, t, &count,
					 &opts) &&
		    errno != ENOENT)
			err = -errno;
		else if (count != info.max_entries)
			err = -EIO;
	}
	free(keys);
	if (err) {
		free(t);
		goto out;
	}
	*table = t;
	*m = info.max_entries;
out:
	close(fd);
	return err;
}
