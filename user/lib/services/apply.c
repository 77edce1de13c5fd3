// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The write path, first half: check a service spec whole against the
 * model, then make it in the model and queue the map writes (apply.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "apply_batch.h"
#include "maglev.h"
#include "parse.h"
#include "table.h"

struct apply_batch *apply_batch_new(void)
{
	return calloc(1, sizeof(struct apply_batch));
}

void apply_batch_free(struct apply_batch *b)
{
	if (!b)
		return;
	vec_free(&b->new_svcs);
	vec_free(&b->new_bes);
	vec_free(&b->fe_del);
	vec_free(&b->be_write);
	vec_free(&b->dirty);
	vec_free(&b->fe_write);
	vec_free(&b->be_free);
	vec_free(&b->svc_free);
	vec_free(&b->gone);
	vec_free(&b->sr_add);
	vec_free(&b->sr_del);
	free(b);
}

int apply_batch_failed(const struct apply_batch *b)
{
	return b->failed;
}

int batch_mark(struct apply_batch *b, struct model_svc *svc, __u8 work)
{
	int err = 0;

	if (!svc->pending)
		err = vec_push(&b->dirty, svc->id);
	if (!err)
		svc->pending |= work;
	return err;
}

/* --- checking a spec ----------------------------------------------- */

static int cmp_fe_spec(const void *a, const void *b)
{
	return memcmp(&((const struct shunt_frontend_spec *)a)->key,
		      &((const struct shunt_frontend_spec *)b)->key,
		      sizeof(struct shunt_frontend_key));
}

static int cmp_be_spec(const void *a, const void *b)
{
	const struct shunt_backend_spec *x = a, *y = b;
	int c = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	if (!c)
		c = memcmp(&x->port, &y->port, sizeof(x->port));
	return c;
}

struct plan {
	struct shunt_frontend_spec *fes; /* sorted copies */
	struct shunt_backend_spec *bes;
	size_t new_fes, new_bes;
	size_t n_ranges; /* of spec */
	__u8 family;
};

static int check_family(struct plan *p, __u8 family)
{
	if (family != SHUNT_V4 && family != SHUNT_V6)
		return -EINVAL;
	if (p->family && p->family != family)
		return -EAFNOSUPPORT;
	p->family = family;
	return 0;
}

static int check_frontends(const struct shunt_model *m,
			   const struct model_svc *svc, struct plan *p,
			   size_t n)
{
	const struct shunt_frontend_spec *f;
	const struct model_fe *cur;
	size_t i;
	int err;

	qsort(p->fes, n, sizeof(*p->fes), cmp_fe_spec);
	for (i = 0; i < n; i++) {
		f = &p->fes[i];
		err = check_family(p, f->key.family);
		if (err)
			return err;
		if (!f->key.port || (f->key.proto != IPPROTO_TCP &&
				     f->key.proto != IPPROTO_UDP))
			return -EINVAL;
		if (i && !cmp_fe_spec(&p->fes[i - 1], f))
			return -EEXIST;
		cur = model_fe_get(m, &f->key);
		if (cur && cur->svc != svc)
			return -EBUSY;
		p->new_fes += !cur;
	}
	return 0;
}

static int check_backends(const struct shunt_model *m,
			  const struct model_svc *svc, struct plan *p, size_t n,
			  __u32 table_size)
{
	const struct shunt_backend_spec *b;
	size_t i;
	int err;

	if (n > shunt_backend_capacity(table_size))
		return -ENOSPC;
	qsort(p->bes, n, sizeof(*p->bes), cmp_be_spec);
	for (i = 0; i < n; i++) {
		b = &p->bes[i];
		err = check_family(p, b->family);
		if (err)
			return err;
		if (!b->port || b->weight < SHUNT_WEIGHT_MIN ||
		    b->weight > SHUNT_WEIGHT_MAX ||
		    (b->state != SHUNT_BE_ACTIVE &&
		     b->state != SHUNT_BE_DRAINING))
			return -EINVAL;
		if (i && !cmp_be_spec(&p->bes[i - 1], b))
			return -EEXIST;
		p->new_bes += !svc || !model_backend_find(m, svc->id, &b->addr,
							  b->port, b->family);
	}
	return 0;
}

static int check_ranges(const struct shunt_model *m,
			const struct model_svc *svc,
			const struct shunt_service_spec *spec, struct plan *p)
{
	const struct shunt_src_range *r = spec->src_ranges;
	size_t i, n = spec->n_src_ranges;
	int c;

	if (n > SHUNT_MAX_SVC_SRC_RANGES)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		if (!shunt_src_range_valid(&r[i]))
			return -EINVAL;
		c = i ? shunt_src_range_cmp(&r[i - 1], &r[i]) : -1;
		if (c >= 0) /* a duplicate, or not sorted */
			return c ? -EINVAL : -EEXIST;
	}
	if (m->n_ranges - (svc ? svc->n_ranges : 0) + n > SHUNT_MAX_SRC_RANGES)
		return -ENOSPC;
	p->n_ranges = n;
	return 0;
}

static int check_spec(const struct shunt_model *m, const struct model_svc *svc,
		      const struct shunt_service_spec *spec, struct plan *p)
{
	size_t len = strnlen(spec->name, SHUNT_NAME_MAX);
	int err;

	if (!len)
		return -EINVAL;
	if (len == SHUNT_NAME_MAX)
		return -ENAMETOOLONG;
	if (spec->table_size && (spec->table_size < SHUNT_MAGLEV_MIN ||
				 spec->table_size > SHUNT_MAGLEV_MAX ||
				 !maglev_is_prime(spec->table_size)))
		return -EINVAL;
	if (spec->affinity_timeout > SHUNT_AFFINITY_MAX_SECONDS)
		return -EINVAL;
	err = check_ranges(m, svc, spec, p);
	if (!err)
		err = check_frontends(m, svc, p, spec->n_frontends);
	if (!err)
		err = check_backends(m, svc, p, spec->n_backends,
				     spec->table_size);
	if (err)
		return err;
	if (!svc && m->n_svcs + m->n_held >= m->cap.services)
		return -ENOSPC;
	if (m->n_frontends + p->new_fes > m->cap.frontends ||
	    m->n_backends + p->new_bes > m->cap.backends)
		return -ENOSPC;
	return 0;
}

static int plan_init(struct plan *p, const struct shunt_service_spec *spec)
{
	memset(p, 0, sizeof(*p));
	p->fes = malloc((spec->n_frontends + 1) * sizeof(*p->fes));
	p->bes = malloc((spec->n_backends + 1) * sizeof(*p->bes));
	if (!p->fes || !p->bes)
		return -ENOMEM;
	if (spec->n_frontends)
		memcpy(p->fes, spec->frontends,
		       spec->n_frontends * sizeof(*p->fes));
	if (spec->n_backends)
		memcpy(p->bes, spec->backends,
		       spec->n_backends * sizeof(*p->bes));
	return 0;
}

static void plan_free(struct plan *p)
{
	free(p->fes);
	free(p->bes);
}

/* --- making it ----------------------------------------------------- */

static int set_params(struct shunt_model *m, struct apply_batch *b,
		      struct model_svc *svc,
		      const struct shunt_service_spec *spec, __u32 owner)
{
	__u32 flags = SHUNT_SVC_F_USED | owner |
		      (spec->affinity_timeout ? SHUNT_SVC_F_AFFINITY : 0);
	__u8 work = 0;

	if (svc->rec.flags != flags ||
	    svc->rec.affinity_timeout != spec->affinity_timeout)
		work |= APPLY_RECORD;
	if (svc->rec.table_size != spec->table_size)
		work |= APPLY_RECORD | APPLY_TABLE;
	model_svc_set_flags(m, svc, flags);
	svc->rec.affinity_timeout = spec->affinity_timeout;
	svc->rec.table_size = spec->table_size;
	return work ? batch_mark(b, svc, work) : 0;
}

/* --- a Local policy's service and its cluster set ------------------ */

#define LOCAL_SUFFIX "/local"

/* The service "<name>/local" of cluster set svc, or svc's cluster set
 * "<name>" when svc is a local one (local: which it was). */
static struct model_svc *peer_of(const struct shunt_model *m,
				 const struct model_svc *svc, bool *local)
{
	const char *name = svc->rec.name;
	size_t n = strlen(name), k = strlen(LOCAL_SUFFIX);
	char buf[SHUNT_NAME_MAX + sizeof(LOCAL_SUFFIX)];

	*local = n > k && !strcmp(name + n - k, LOCAL_SUFFIX);
	if (*local)
		snprintf(buf, sizeof(buf), "%.*s", (int)(n - k), name);
	else
		snprintf(buf, sizeof(buf), "%s%s", name, LOCAL_SUFFIX);
	return model_svc_by_name(m, buf);
}

static int set_cluster_id(struct apply_batch *b, struct model_svc *local,
			  __u32 id)
{
	if (local->rec.cluster_svc_id == id)
		return 0;
	local->rec.cluster_svc_id = id;
	return batch_mark(b, local, APPLY_RECORD);
}

/* Keep a local service's cluster_svc_id naming its cluster set, svc
 * being either of them; gone: the local one's is 0. */
int apply_link_cluster(struct shunt_model *m, struct apply_batch *b,
		       struct model_svc *svc, bool gone)
{
	bool local;
	struct model_svc *peer = peer_of(m, svc, &local);

	if (local)
		return gone ? 0 : set_cluster_id(b, svc, peer ? peer->id : 0);
	return peer ? set_cluster_id(b, peer, gone ? 0 : svc->id) : 0;
}

static __u32 fe_flags(const struct shunt_frontend_spec *f, const struct plan *p)
{
	__u32 flags = f->flags;

	if (!p->n_ranges)
		flags &= ~SHUNT_FE_F_SRC_RANGES;
	if (shunt_frontend_is_nodeport(&f->key))
		return flags | SHUNT_FE_F_NODEPORT;
	return flags & ~SHUNT_FE_F_NODEPORT;
}

static int drop_frontend(struct shunt_model *m, struct apply_batch *b,
			 struct model_fe *fe)
{
	int err = 0;

	if (fe->published)
		err = vec_push(&b->fe_del, fe->key);
	if (!err)
		model_fe_del(m, fe);
	return err;
}

static int set_frontends(struct shunt_model *m, struct apply_batch *b,
			 struct model_svc *svc, const struct plan *p, size_t n)
{
	const struct shunt_frontend_spec *f;
	struct model_fe *fe;
	size_t i;
	int err = 0;

	for (i = svc->n_fes; i-- > 0 && !err;) {
		fe = svc->fes[i];
		f = bsearch(&fe->key, p->fes, n, sizeof(*p->fes), cmp_fe_spec);
		if (!f)
			err = drop_frontend(m, b, fe);
		else if (fe->val.flags != fe_flags(f, p)) {
			fe->val.flags = fe_flags(f, p);
			err = vec_push(&b->fe_write, fe->key);
		}
	}
	for (i = 0; i < n && !err; i++) {
		f = &p->fes[i];
		if (model_fe_get(m, &f->key))
			continue;
		err = model_fe_add(m, svc, &f->key, fe_flags(f, p));
		if (!err)
			err = vec_push(&b->fe_write, f->key);
	}
	return err;
}

static int queue_range(struct apply_batch *b, bool del, __u32 svc_id,
		       const struct shunt_src_range *r)
{
	struct shunt_src_range_key k;

	shunt_src_range_key(svc_id, r, &k);
	return del ? vec_push(&b->sr_del, k) : vec_push(&b->sr_add, k);
}

/* Merge the sorted wanted source ranges with the sorted current ones. */
static int set_ranges(struct shunt_model *m, struct apply_batch *b,
		      struct model_svc *svc,
		      const struct shunt_service_spec *spec)
{
	const struct shunt_src_range *want = spec->src_ranges;
	size_t n = spec->n_src_ranges, i = 0, j = 0;
	bool changed = false;
	int err = 0, c;

	while (!err && (i < n || j < svc->n_ranges)) {
		c = i == n ? 1
		    : j == svc->n_ranges
			    ? -1
			    : shunt_src_range_cmp(&want[i], &svc->ranges[j]);
		if (c < 0)
			err = queue_range(b, false, svc->id, &want[i++]);
		else if (c > 0)
			err = queue_range(b, true, svc->id, &svc->ranges[j++]);
		else
			i++, j++;
		changed |= c != 0;
	}
	if (!err && changed)
		err = model_svc_set_ranges(m, svc, want, n);
	return err;
}

static int add_backend(struct shunt_model *m, struct apply_batch *b,
		       struct model_svc *svc,
		       const struct shunt_backend_spec *w)
{
	struct shunt_backend be = {
		.addr = w->addr,
		.port = w->port,
		.family = w->family,
		.state = w->state,
		.weight = w->weight,
		.flags = w->flags,
	};
	__u32 id;
	int err;

	err = model_backend_new(m, svc, &be, &id);
	if (!err)
		err = vec_push(&b->new_bes, id);
	if (!err)
		err = vec_push(&b->be_write, id);
	return err;
}

static int remove_backend(struct shunt_model *m, struct apply_batch *b,
			  struct model_svc *svc, __u32 id)
{
	int err;

	model_backend_unlink(m, svc, id);
	err = vec_push(&b->be_write, id);
	if (!err)
		err = vec_push(&b->be_free, id);
	return err;
}

static int change_backend(struct shunt_model *m, struct apply_batch *b,
			  __u32 id, const struct shunt_backend_spec *w,
			  bool *changed)
{
	struct shunt_backend *be = &m->backends[id];

	if (be->weight == w->weight && be->state == w->state &&
	    be->flags == w->flags)
		return 0;
	be->weight = w->weight;
	be->state = w->state;
	be->flags = w->flags;
	*changed = true;
	return vec_push(&b->be_write, id);
}

static int cmp_be_cur(const struct shunt_model *m, const struct plan *p,
		      size_t i, __u32 id)
{
	const struct shunt_backend *be = &m->backends[id];
	int c = memcmp(&p->bes[i].addr, &be->addr, sizeof(be->addr));

	if (!c)
		c = memcmp(&p->bes[i].port, &be->port, sizeof(be->port));
	return c;
}

/* Merge the sorted wanted backends with the sorted current ones. */
static int set_backends(struct shunt_model *m, struct apply_batch *b,
			struct model_svc *svc, const struct plan *p, size_t n)
{
	__u32 *cur = model_svc_backends_sorted(m, svc);
	size_t ncur = svc->n_bes, i = 0, j = 0;
	bool changed = false;
	int err = 0, c;

	if (!cur)
		return -ENOMEM;
	while (!err && (i < n || j < ncur)) {
		c = i == n ? 1 : j == ncur ? -1 : cmp_be_cur(m, p, i, cur[j]);
		if (c < 0) {
			err = add_backend(m, b, svc, &p->bes[i++]);
			changed = true;
		} else if (c > 0) {
			err = remove_backend(m, b, svc, cur[j++]);
			changed = true;
		} else {
			err = change_backend(m, b, cur[j++], &p->bes[i++],
					     &changed);
		}
	}
	free(cur);
	if (!err && changed)
		err = batch_mark(b, svc, APPLY_TABLE);
	return err;
}

static size_t queued(const struct apply_batch *b)
{
	return b->new_svcs.n + b->fe_del.n + b->be_write.n + b->dirty.n +
	       b->fe_write.n + b->be_free.n + b->svc_free.n + b->sr_add.n +
	       b->sr_del.n;
}

int apply_service(struct shunt *s, struct apply_batch *b,
		  const struct shunt_service_spec *spec, __u32 owner,
		  bool *changed)
{
	size_t before = queued(b);
	struct shunt_model *m;
	struct model_svc *svc;
	struct plan p;
	int err;

	err = model_get(s, &m);
	if (err)
		return err;
	svc = model_svc_by_name(m, spec->name);
	if (svc && (svc->rec.flags & SHUNT_SVC_F_OWNERS) != owner)
		return -EPERM;
	err = plan_init(&p, spec);
	if (!err)
		err = check_spec(m, svc, spec, &p);
	if (err) {
		plan_free(&p);
		return err;
	}
	/* From here on only -ENOMEM can fail: the batch is then void. */
	if (!svc) {
		err = model_svc_new(m, spec->name, &svc);
		if (!err)
			err = vec_push(&b->new_svcs, svc->id);
		if (!err)
			err = batch_mark(b, svc, APPLY_TABLE | APPLY_RECORD);
	}
	if (!err)
		err = set_params(m, b, svc, spec, owner);
	if (!err)
		err = apply_link_cluster(m, b, svc, false);
	if (!err)
		err = set_ranges(m, b, svc, spec);
	if (!err)
		err = set_frontends(m, b, svc, &p, spec->n_frontends);
	if (!err)
		err = set_backends(m, b, svc, &p, spec->n_backends);
	plan_free(&p);
	if (err) {
		b->failed = err;
		m->stale = true;
	}
	if (changed)
		*changed = queued(b) != before;
	return err;
}

int apply_delete(struct shunt *s, struct apply_batch *b, struct model_svc *svc)
{
	struct shunt_model *m = s->model;
	size_t i;
	int err;

	err = apply_link_cluster(m, b, svc, true);
	while (!err && svc->n_fes)
		err = drop_frontend(m, b, svc->fes[svc->n_fes - 1]);
	for (i = 0; !err && i < svc->n_bes; i++)
		err = vec_push(&b->be_free, svc->bes[i]);
	for (i = 0; !err && i < svc->n_ranges; i++)
		err = queue_range(b, true, svc->id, &svc->ranges[i]);
	if (!err)
		err = vec_push(&b->svc_free, svc->id);
	if (err) {
		b->failed = err;
		m->stale = true;
		return err;
	}
	svc->pending = 0;
	model_svc_drop(m, svc);
	return 0;
}

void apply_republish(struct apply_batch *b, struct model_svc *svc)
{
	svc->rec.table_hash = ~svc->rec.table_hash; /* forces a rebuild */
	svc->has_table = false;
	if (batch_mark(b, svc, APPLY_TABLE | APPLY_RECORD))
		b->failed = -ENOMEM;
}

int apply_drop_frontend(struct apply_batch *b,
			const struct shunt_frontend_key *key)
{
	return vec_push(&b->fe_del, *key);
}

int apply_drop_range(struct apply_batch *b,
		     const struct shunt_src_range_key *key)
{
	return vec_push(&b->sr_del, *key);
}

int apply_drop_table(struct apply_batch *b, __u32 svc_id)
{
	return vec_push(&b->svc_free, svc_id);
}

int apply_drop_backend(struct apply_batch *b, __u32 id)
{
	return vec_push(&b->be_free, id);
}

int apply_trim_frontends(struct shunt *s, struct apply_batch *b,
			 struct model_svc *svc,
			 const struct shunt_service_spec *spec)
{
	struct model_fe *fe;
	size_t i, j;
	int err = 0;

	for (i = svc->n_fes; i-- > 0 && !err;) {
		fe = svc->fes[i];
		for (j = 0; j < spec->n_frontends; j++)
			if (!memcmp(&spec->frontends[j].key, &fe->key,
				    sizeof(fe->key)))
				break;
		if (j == spec->n_frontends)
			err = drop_frontend(s->model, b, fe);
	}
	if (err) {
		b->failed = err;
		s->model->stale = true;
	}
	return err;
}
