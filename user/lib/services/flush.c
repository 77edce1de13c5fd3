// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The write path, second half: a batch written to the maps in the order
 * apply.h describes, each step with as few syscalls as the kernel allows
 * (batch updates and deletes, falling back to one entry at a time).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply_batch.h"
#include "sockdestroy.h"
#include "table.h"

/* Tables swapped per maglev_map batch update: open fds at once. */
#define TABLE_CHUNK 512
/* Entries per batch syscall elsewhere. */
#define MAP_CHUNK 8192

static int update_each(int fd, const char *keys, size_t ksize, const char *vals,
		       size_t vsize, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, keys + i * ksize, vals + i * vsize,
					BPF_ANY))
			return -errno;
	return 0;
}

/* Write n entries (keys and values packed). 0 or -errno. */
static int update_many(int fd, const void *keys, size_t ksize, const void *vals,
		       size_t vsize, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const char *k = keys, *v = vals;
	size_t done = 0;
	__u32 count;

	while (done < n) {
		count = n - done < MAP_CHUNK ? n - done : MAP_CHUNK;
		if (bpf_map_update_batch(fd, k + done * ksize, v + done * vsize,
					 &count, &opts)) {
			if (errno != EINVAL && errno != ENOTSUP &&
			    errno != EOPNOTSUPP)
				return -errno;
			return update_each(fd, k + done * ksize, ksize,
					   v + done * vsize, vsize, n - done);
		}
		done += count;
	}
	return 0;
}

/* Delete n keys; keys already gone are fine. 0 or -errno. */
static int delete_many(int fd, const void *keys, size_t ksize, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const char *k = keys;
	__u32 count = n;
	size_t i;

	if (!n || !bpf_map_delete_batch(fd, keys, &count, &opts))
		return 0;
	/* Some key was not there (or no batch support): one by one. */
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, k + i * ksize) && errno != ENOENT)
			return -errno;
	return 0;
}

/* Zeroed counters for ids[0..n-1] of a per-CPU array. */
static int reset_counters(int fd, const __u32 *ids, size_t n)
{
	int cpus = libbpf_num_possible_cpus();
	size_t chunk = n < MAP_CHUNK ? n : MAP_CHUNK, vsize, done;
	void *zero;
	int err = 0;

	if (!n)
		return 0;
	if (cpus < 1)
		cpus = 1;
	vsize = sizeof(struct shunt_traffic_stats) * cpus;
	zero = calloc(chunk, vsize);
	if (!zero)
		return -ENOMEM;
	for (done = 0; !err && done < n; done += chunk) {
		if (chunk > n - done)
			chunk = n - done;
		err = update_many(fd, ids + done, sizeof(*ids), zero, vsize,
				  chunk);
	}
	free(zero);
	return err;
}

static int write_backends(struct shunt *s, const __u32 *ids, size_t n,
			  bool zero)
{
	struct shunt_model *m = s->model;
	struct shunt_backend *v = calloc(n ? n : 1, sizeof(*v));
	size_t i;
	int err;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n && !zero; i++)
		v[i] = m->backends[ids[i]];
	err = update_many(s->backend_map, ids, sizeof(*ids), v, sizeof(*v), n);
	free(v);
	return err;
}

/* --- steps 3 and 4: tables and records ----------------------------- */

struct swap {
	__u32 ids[TABLE_CHUNK];
	int fds[TABLE_CHUNK];
	__u32 sizes[TABLE_CHUNK];
	__u64 hashes[TABLE_CHUNK];
	size_t n;
	/* Services left without an active backend: their table goes (the
	 * datapath finds none), as if they never had one. */
	__u32 drop[TABLE_CHUNK];
	__u64 drop_hashes[TABLE_CHUNK];
	size_t n_drop;
};

static void swap_close(struct swap *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		close(w->fds[i]);
	w->n = 0;
}

static __u32 active_count(const struct shunt_model *m,
			  const struct model_svc *svc)
{
	__u32 n = 0;
	size_t i;

	for (i = 0; i < svc->n_bes; i++)
		n += m->backends[svc->bes[i]].state == SHUNT_BE_ACTIVE;
	return n;
}

static int drop_tables(struct shunt *s, struct swap *w)
{
	struct model_svc *svc;
	size_t i;
	int err = delete_many(s->maglev_map, w->drop, sizeof(*w->drop),
			      w->n_drop);

	for (i = 0; !err && i < w->n_drop; i++) {
		svc = s->model->svcs[w->drop[i]];
		svc->has_table = false;
		svc->rec.live_size = 0;
		svc->rec.backend_count = 0;
		svc->rec.table_hash = w->drop_hashes[i];
		svc->rec.table_gen++;
		svc->pending |= APPLY_RECORD;
	}
	w->n_drop = 0;
	return err;
}

/* Swap the chunk's tables in with one update (one grace period). */
static int swap_tables(struct shunt *s, struct swap *w)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct shunt_model *m = s->model;
	struct model_svc *svc;
	__u32 count = w->n, i;
	int err = 0;

	if (w->n_drop)
		err = drop_tables(s, w);
	if (err || !w->n)
		return err;
	if (bpf_map_update_batch(s->maglev_map, w->ids, w->fds, &count, &opts))
		err = -errno;
	else if (count != w->n)
		err = -EIO;
	for (i = 0; i < count && i < w->n; i++) {
		svc = m->svcs[w->ids[i]];
		svc->has_table = true;
		svc->rec.live_size = w->sizes[i];
		svc->rec.table_hash = w->hashes[i];
		svc->rec.table_gen++;
		svc->rec.backend_count = active_count(m, svc);
		svc->pending |= APPLY_RECORD;
	}
	swap_close(w);
	return err;
}

/* Queue svc's new table when what it is built from changed. */
static int queue_table(struct shunt *s, struct swap *w, struct model_svc *svc)
{
	struct shunt_model *m = s->model;
	__u32 size = table_size_of(m, svc);
	__u64 hash = table_hash_of(m, svc, size);
	int fd;

	if ((svc->has_table || !size) && hash == svc->rec.table_hash &&
	    size == svc->rec.live_size)
		return 0;
	if (!size && !svc->has_table) {
		/* No table yet and none needed: the datapath finds none. */
		svc->rec.live_size = 0;
		svc->rec.table_hash = hash;
		svc->rec.backend_count = 0;
		svc->pending |= APPLY_RECORD;
		return 0;
	}
	if (!size) {
		w->drop[w->n_drop] = svc->id;
		w->drop_hashes[w->n_drop++] = hash;
		return w->n_drop == TABLE_CHUNK ? swap_tables(s, w) : 0;
	}
	fd = table_build(m, svc, size, svc->rec.table_gen + 1, hash);
	if (fd < 0)
		return fd;
	w->ids[w->n] = svc->id;
	w->fds[w->n] = fd;
	w->sizes[w->n] = size;
	w->hashes[w->n] = hash;
	w->n++;
	return w->n == TABLE_CHUNK ? swap_tables(s, w) : 0;
}

static int write_records(struct shunt *s, const __u32 *ids, size_t n)
{
	struct shunt_model *m = s->model;
	struct shunt_service *v = calloc(n ? n : 1, sizeof(*v));
	__u32 *k = calloc(n ? n : 1, sizeof(*k));
	size_t i, cnt = 0;
	int err;

	if (!v || !k) {
		free(v);
		free(k);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct model_svc *svc = m->svcs[ids[i]];

		if (!svc || !(svc->pending & APPLY_RECORD))
			continue;
		k[cnt] = svc->id;
		v[cnt++] = svc->rec;
	}
	err = update_many(s->service_map, k, sizeof(*k), v, sizeof(*v), cnt);
	free(v);
	free(k);
	return err;
}

static int publish(struct shunt *s, struct apply_batch *b)
{
	struct shunt_model *m = s->model;
	struct model_svc *svc;
	struct swap *w = calloc(1, sizeof(*w));
	size_t i;
	int err = 0;

	if (!w)
		return -ENOMEM;
	for (i = 0; !err && i < b->dirty.n; i++) {
		svc = m->svcs[b->dirty.v[i]];
		if (svc && (svc->pending & APPLY_TABLE))
			err = queue_table(s, w, svc);
	}
	if (!err && (w->n || w->n_drop))
		err = swap_tables(s, w);
	swap_close(w);
	free(w);
	if (!err)
		err = write_records(s, b->dirty.v, b->dirty.n);
	for (i = 0; i < b->dirty.n; i++) {
		svc = m->svcs[b->dirty.v[i]];
		if (svc)
			svc->pending = 0;
	}
	return err;
}

/* --- source ranges ------------------------------------------------- */

/* Does the model give service k->svc_id the CIDR of key k? */
static bool range_wanted(const struct shunt_model *m,
			 const struct shunt_src_range_key *k)
{
	const struct model_svc *svc;
	struct shunt_src_range r;
	size_t i;

	if (!k->svc_id || k->svc_id > m->cap.services ||
	    !shunt_src_range_of_key(k, &r))
		return false;
	svc = m->svcs[k->svc_id];
	for (i = 0; svc && i < svc->n_ranges; i++)
		if (!shunt_src_range_cmp(&svc->ranges[i], &r))
			return true;
	return false;
}

/* An LPM trie has no batch operations: one entry at a time. Only keys
 * the model (still) wants are written, only keys it no longer has are
 * deleted, whatever the order of changes in the batch was. */
static int write_ranges(struct shunt *s, struct apply_batch *b)
{
	const struct shunt_src_range_key *k;
	__u32 one = 1;
	size_t i;

	for (i = 0; i < b->sr_add.n; i++) {
		k = &b->sr_add.v[i];
		if (range_wanted(s->model, k) &&
		    bpf_map_update_elem(s->src_range_map, k, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int delete_ranges(struct shunt *s, struct apply_batch *b)
{
	const struct shunt_src_range_key *k;
	size_t i;

	for (i = 0; i < b->sr_del.n; i++) {
		k = &b->sr_del.v[i];
		if (!range_wanted(s->model, k) &&
		    bpf_map_delete_elem(s->src_range_map, k) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* --- steps 5 and 6 ------------------------------------------------- */

static int write_frontends(struct shunt *s, struct apply_batch *b)
{
	struct shunt_model *m = s->model;
	struct shunt_frontend_key *k = calloc(b->fe_write.n + 1, sizeof(*k));
	struct shunt_frontend *v = calloc(b->fe_write.n + 1, sizeof(*v));
	struct model_fe *fe;
	size_t i, n = 0;
	int err;

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < b->fe_write.n; i++) {
		fe = model_fe_get(m, &b->fe_write.v[i]);
		if (!fe)
			continue; /* added and dropped again */
		k[n] = fe->key;
		v[n++] = fe->val;
	}
	err = update_many(s->frontend_map, k, sizeof(*k), v, sizeof(*v), n);
	for (i = 0; !err && i < n; i++)
		model_fe_get(m, &k[i])->published = true;
	free(k);
	free(v);
	return err;
}

static int free_services(struct shunt *s, const __u32 *ids, size_t n)
{
	struct shunt_service *zero = calloc(n ? n : 1, sizeof(*zero));
	int err;

	if (!zero)
		return -ENOMEM;
	err = delete_many(s->maglev_map, ids, sizeof(*ids), n);
	if (!err)
		err = update_many(s->service_map, ids, sizeof(*ids), zero,
				  sizeof(*zero), n);
	free(zero);
	return err;
}

/* A backend that left its service: its sockets are ended after the
 * flush. Out of memory only loses that. */
static void note_gone(struct apply_batch *b, const struct shunt_backend *be)
{
	struct shunt_sock_target t = {
		.addr = be->addr,
		.port = be->port,
		.family = be->family,
		.svc_id = be->svc_id,
	};

	if (be->family)
		vec_push(&b->gone, t);
}

static int free_all(struct shunt *s, struct apply_batch *b)
{
	size_t i;
	int err;

	err = delete_ranges(s, b);
	if (!err)
		err = write_backends(s, b->be_free.v, b->be_free.n, true);
	if (!err)
		err = free_services(s, b->svc_free.v, b->svc_free.n);
	if (err)
		return err;
	for (i = 0; i < b->be_free.n; i++) {
		note_gone(b, &s->model->backends[b->be_free.v[i]]);
		model_backend_free(s->model, b->be_free.v[i]);
	}
	model_release_held(s->model);
	return 0;
}

static void batch_clear(struct apply_batch *b)
{
	b->sr_add.n = b->sr_del.n = 0;
	b->new_svcs.n = b->new_bes.n = b->fe_del.n = b->be_write.n = 0;
	b->dirty.n = b->fe_write.n = b->be_free.n = b->svc_free.n = 0;
	b->gone.n = 0;
	b->failed = 0;
}

/* Step 1: frontends that go away. One that changes hands in this batch
 * (dropped from one service, taken by another) is not deleted: step 5
 * overwrites it, so it serves its old service until then instead of
 * nothing. */
static int delete_frontends(struct shunt *s, struct apply_batch *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->fe_del.n; i++)
		if (!model_fe_get(s->model, &b->fe_del.v[i]))
			b->fe_del.v[n++] = b->fe_del.v[i];
	b->fe_del.n = n;
	return delete_many(s->frontend_map, b->fe_del.v, sizeof(*b->fe_del.v),
			   b->fe_del.n);
}

int apply_flush(struct shunt *s, struct apply_batch *b)
{
	bool any = b->new_svcs.n || b->fe_del.n || b->be_write.n ||
		   b->dirty.n || b->fe_write.n || b->be_free.n ||
		   b->svc_free.n || b->sr_add.n || b->sr_del.n;
	int err = b->failed;

	if (!err && !any)
		return 0;
	if (!err)
		err = reset_counters(s->svc_stats_map, b->new_svcs.v,
				     b->new_svcs.n);
	if (!err)
		err = reset_counters(s->backend_stats_map, b->new_bes.v,
				     b->new_bes.n);
	if (!err)
		err = delete_frontends(s, b);
	if (!err)
		err = write_ranges(s, b);
	if (!err)
		err = write_backends(s, b->be_write.v, b->be_write.n, false);
	if (!err)
		err = publish(s, b);
	if (!err)
		err = write_frontends(s, b);
	if (!err)
		err = free_all(s, b);
	if (!b->failed)
		model_written(s);
	if (err && s->model)
		s->model->stale = true;
	/* No longer in any table: their stale sockets go (never fails). */
	if (!err)
		shunt_sock_destroy_after_apply(s, b->gone.v, b->gone.n);
	batch_clear(b);
	return err;
}
