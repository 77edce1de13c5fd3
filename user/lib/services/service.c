// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Services and frontends: thin wrappers over the write path (apply.h)
 * and reads of the model. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "model.h"
#include "parse.h"
#include "service.h"

/* Apply one spec as one batch. */
int shunt_service_apply(struct shunt *s, const struct shunt_service_spec *spec,
			__u32 owner)
{
	struct apply_batch *b = apply_batch_new();
	int err;

	if (!b)
		return -ENOMEM;
	err = apply_service(s, b, spec, owner, NULL);
	if (!err)
		err = apply_flush(s, b);
	apply_batch_free(b);
	return err;
}

void shunt_spec_free(struct shunt_service_spec *spec)
{
	free(spec->frontends);
	free(spec->backends);
	free(spec->src_ranges);
	spec->frontends = NULL;
	spec->backends = NULL;
	spec->src_ranges = NULL;
	spec->n_frontends = spec->n_backends = spec->n_src_ranges = 0;
}

static int spec_of(const struct shunt_model *m, const struct model_svc *svc,
		   struct shunt_service_spec *out)
{
	const struct shunt_backend *be;
	__u32 *ids = model_svc_backends_sorted(m, svc);
	size_t i;

	memset(out, 0, sizeof(*out));
	out->frontends = calloc(svc->n_fes + 1, sizeof(*out->frontends));
	out->backends = calloc(svc->n_bes + 1, sizeof(*out->backends));
	out->src_ranges = calloc(svc->n_ranges + 1, sizeof(*out->src_ranges));
	if (!ids || !out->frontends || !out->backends || !out->src_ranges) {
		free(ids);
		shunt_spec_free(out);
		return -ENOMEM;
	}
	strcpy(out->name, svc->rec.name);
	out->table_size = svc->rec.table_size;
	out->affinity_timeout = svc->rec.affinity_timeout;
	for (i = 0; i < svc->n_fes; i++) {
		out->frontends[i].key = svc->fes[i]->key;
		out->frontends[i].flags = svc->fes[i]->val.flags;
	}
	out->n_frontends = svc->n_fes;
	for (i = 0; i < svc->n_bes; i++) {
		be = &m->backends[ids[i]];
		out->backends[i].addr = be->addr;
		out->backends[i].port = be->port;
		out->backends[i].family = be->family;
		out->backends[i].state = be->state;
		out->backends[i].weight = be->weight;
		out->backends[i].flags = be->flags;
	}
	out->n_backends = svc->n_bes;
	if (svc->n_ranges)
		memcpy(out->src_ranges, svc->ranges,
		       svc->n_ranges * sizeof(*svc->ranges));
	out->n_src_ranges = svc->n_ranges;
	free(ids);
	return 0;
}

int shunt_service_spec_get(struct shunt *s, const char *name,
			   struct shunt_service_spec *out)
{
	struct model_svc *svc;
	int err = model_find_name(s, name, &svc);

	return err ? err : spec_of(s->model, svc, out);
}

/* The service frontend key belongs to, and its spec. */
static int spec_by_frontend(struct shunt *s,
			    const struct shunt_frontend_key *key,
			    struct shunt_service_spec *out, __u32 *owner)
{
	struct model_svc *svc;
	int err = model_find_frontend(s, key, &svc);

	if (err)
		return err;
	*owner = svc->rec.flags & SHUNT_SVC_F_OWNERS;
	return spec_of(s->model, svc, out);
}

int shunt_service_add(struct shunt *s, const struct shunt_frontend_key *key,
		      __u32 table_size, __u32 affinity_timeout)
{
	struct shunt_frontend_spec fe = {.key = *key};
	struct shunt_service_spec spec = {
		.table_size = table_size,
		.affinity_timeout = affinity_timeout,
		.frontends = &fe,
		.n_frontends = 1,
	};
	struct shunt_model *m;
	int err = model_get(s, &m);

	if (err)
		return err;
	shunt_format_service(key, spec.name, sizeof(spec.name));
	if (model_fe_get(m, key) || model_svc_by_name(m, spec.name))
		return -EEXIST;
	return shunt_service_apply(s, &spec, 0);
}

int shunt_service_set(struct shunt *s, const struct shunt_frontend_key *key,
		      __u32 table_size, __u32 affinity_timeout)
{
	struct shunt_service_spec spec;
	__u32 owner;
	int err;

	err = spec_by_frontend(s, key, &spec, &owner);
	if (err)
		return err;
	spec.table_size = table_size;
	spec.affinity_timeout = affinity_timeout;
	err = shunt_service_apply(s, &spec, owner);
	shunt_spec_free(&spec);
	return err;
}

int shunt_service_set_src_ranges(struct shunt *s,
				 const struct shunt_frontend_key *key,
				 const struct shunt_src_range *r, size_t n)
{
	struct shunt_service_spec spec;
	struct shunt_src_range *copy;
	__u32 owner;
	size_t i;
	int err;

	err = spec_by_frontend(s, key, &spec, &owner);
	if (err)
		return err;
	copy = calloc(n + 1, sizeof(*copy));
	if (!copy) {
		shunt_spec_free(&spec);
		return -ENOMEM;
	}
	if (n)
		memcpy(copy, r, n * sizeof(*r));
	shunt_src_ranges_normalize(copy, &n);
	free(spec.src_ranges);
	spec.src_ranges = copy;
	spec.n_src_ranges = n;
	/* Dropped again by the apply when there are none. */
	for (i = 0; i < spec.n_frontends; i++)
		spec.frontends[i].flags |= SHUNT_FE_F_SRC_RANGES;
	err = shunt_service_apply(s, &spec, owner);
	shunt_spec_free(&spec);
	return err;
}

static int delete_svc(struct shunt *s, struct model_svc *svc)
{
	struct apply_batch *b = apply_batch_new();
	int err;

	if (!b)
		return -ENOMEM;
	err = apply_delete(s, b, svc);
	if (!err)
		err = apply_flush(s, b);
	apply_batch_free(b);
	return err;
}

int shunt_service_del(struct shunt *s, const struct shunt_frontend_key *key)
{
	struct model_svc *svc;
	int err = model_find_frontend(s, key, &svc);

	return err ? err : delete_svc(s, svc);
}

int shunt_service_del_by_name(struct shunt *s, const char *name)
{
	struct model_svc *svc;
	int err = model_find_name(s, name, &svc);

	return err ? err : delete_svc(s, svc);
}

static void info_of(const struct model_svc *svc, struct shunt_service_info *out)
{
	out->id = svc->id;
	out->svc = svc->rec;
	out->n_frontends = svc->n_fes;
	out->n_backends = svc->n_bes;
}

int shunt_service_get(struct shunt *s, const struct shunt_frontend_key *key,
		      struct shunt_service_info *out)
{
	struct model_svc *svc;
	int err = model_find_frontend(s, key, &svc);

	if (!err)
		info_of(svc, out);
	return err;
}

int shunt_service_get_by_name(struct shunt *s, const char *name,
			      struct shunt_service_info *out)
{
	struct model_svc *svc;
	int err = model_find_name(s, name, &svc);

	if (!err)
		info_of(svc, out);
	return err;
}

int shunt_model_load(struct shunt *s)
{
	struct shunt_model *m;

	return model_get(s, &m);
}

void shunt_model_drop(struct shunt *s)
{
	model_free(s);
}

size_t shunt_service_count(struct shunt *s, __u32 owner)
{
	struct shunt_model *m;

	return model_get(s, &m) ? 0 : m->n_owned[MODEL_OWNER_IDX(owner)];
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct shunt_service_info *)a)->svc.name,
		      ((const struct shunt_service_info *)b)->svc.name);
}

int shunt_service_list(struct shunt *s, struct shunt_service_info **out,
		       size_t *n)
{
	struct shunt_service_info *v;
	struct shunt_model *m;
	size_t cnt = 0;
	__u32 id;
	int err = model_get(s, &m);

	if (err)
		return err;
	v = calloc(m->n_svcs + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (id = 1; id <= m->cap.services && cnt < m->n_svcs; id++)
		if (m->svcs[id])
			info_of(m->svcs[id], &v[cnt++]);
	qsort(v, cnt, sizeof(*v), info_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

/* --- frontends ----------------------------------------------------- */

int shunt_frontend_add(struct shunt *s, const struct shunt_frontend_key *svc,
		       const struct shunt_frontend_key *key, __u32 flags)
{
	struct shunt_frontend_spec *grown;
	struct shunt_service_spec spec;
	__u32 owner;
	int err;

	err = spec_by_frontend(s, svc, &spec, &owner);
	if (err)
		return err;
	grown = realloc(spec.frontends,
			(spec.n_frontends + 1) * sizeof(*spec.frontends));
	if (!grown) {
		shunt_spec_free(&spec);
		return -ENOMEM;
	}
	spec.frontends = grown;
	spec.frontends[spec.n_frontends].key = *key;
	spec.frontends[spec.n_frontends++].flags =
		flags | (spec.n_src_ranges ? SHUNT_FE_F_SRC_RANGES : 0);
	err = shunt_service_apply(s, &spec, owner);
	shunt_spec_free(&spec);
	return err;
}

int shunt_frontend_del(struct shunt *s, const struct shunt_frontend_key *key)
{
	struct shunt_service_spec spec;
	__u32 owner;
	size_t i;
	int err;

	err = spec_by_frontend(s, key, &spec, &owner);
	if (err)
		return err;
	if (spec.n_frontends == 1) {
		shunt_spec_free(&spec);
		return -EBUSY;
	}
	for (i = 0; i < spec.n_frontends; i++)
		if (!memcmp(&spec.frontends[i].key, key, sizeof(*key)))
			spec.frontends[i] = spec.frontends[--spec.n_frontends];
	err = shunt_service_apply(s, &spec, owner);
	shunt_spec_free(&spec);
	return err;
}

static int fe_info_cmp(const void *a, const void *b)
{
	const struct shunt_frontend_info *x = a, *y = b;

	if (x->fe.svc_id != y->fe.svc_id)
		return x->fe.svc_id < y->fe.svc_id ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

int shunt_frontend_list(struct shunt *s, __u32 svc_id,
			struct shunt_frontend_info **out, size_t *n)
{
	struct shunt_frontend_info *v;
	struct shunt_model *m;
	struct model_svc *svc;
	size_t cnt = 0, i;
	__u32 id, lo = svc_id ? svc_id : 1;
	int err = model_get(s, &m);

	if (err)
		return err;
	if (svc_id && (svc_id > m->cap.services || !m->svcs[svc_id]))
		return -ENOENT;
	v = calloc((svc_id ? m->svcs[svc_id]->n_fes : m->n_frontends) + 1,
		   sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (id = lo; id <= (svc_id ? svc_id : m->cap.services); id++) {
		svc = m->svcs[id];
		for (i = 0; svc && i < svc->n_fes; i++) {
			v[cnt].key = svc->fes[i]->key;
			v[cnt++].fe = svc->fes[i]->val;
		}
	}
	qsort(v, cnt, sizeof(*v), fe_info_cmp);
	*out = v;
	*n = cnt;
	return 0;
}
