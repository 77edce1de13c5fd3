// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The in-memory model of the services in the maps (see model.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapdump.h"
#include "model.h"
#include "vec.h"

/* --- indexes ------------------------------------------------------- */

struct be_key {
	__u32 svc_id;
	union shunt_ip addr;
	__be16 port;
	__u8 family;
	__u8 pad;
};

static uint64_t be_hash(__u32 svc_id, const union shunt_ip *addr, __be16 port,
			__u8 family)
{
	struct be_key k = {
		.svc_id = svc_id,
		.addr = *addr,
		.port = port,
		.family = family,
	};

	return hindex_hash(&k, sizeof(k));
}

static bool be_eq(const void *item, const void *key)
{
	const struct shunt_backend *be = item;
	const struct be_key *k = key;

	return be->svc_id == k->svc_id &&
	       shunt_backend_is(be, &k->addr, k->port, k->family);
}

static bool name_eq(const void *item, const void *key)
{
	return !strcmp(((const struct model_svc *)item)->rec.name, key);
}

static bool fe_eq(const void *item, const void *key)
{
	return !memcmp(&((const struct model_fe *)item)->key, key,
		       sizeof(struct shunt_frontend_key));
}

struct model_svc *model_svc_by_name(const struct shunt_model *m,
				    const char *name)
{
	return hindex_get(&m->by_name, hindex_hash_str(name), name, name_eq);
}

int model_find_name(struct shunt *s, const char *name, struct model_svc **out)
{
	struct shunt_model *m;
	int err = model_get(s, &m);

	if (err)
		return err;
	*out = model_svc_by_name(m, name);
	return *out ? 0 : -ENOENT;
}

int model_find_frontend(struct shunt *s, const struct shunt_frontend_key *key,
			struct model_svc **out)
{
	struct shunt_model *m;
	struct model_fe *fe;
	int err = model_get(s, &m);

	if (err)
		return err;
	fe = model_fe_get(m, key);
	*out = fe ? fe->svc : NULL;
	return fe ? 0 : -ENOENT;
}

struct model_fe *model_fe_get(const struct shunt_model *m,
			      const struct shunt_frontend_key *key)
{
	return hindex_get(&m->by_frontend, hindex_hash(key, sizeof(*key)), key,
			  fe_eq);
}

__u32 model_backend_find(const struct shunt_model *m, __u32 svc_id,
			 const union shunt_ip *addr, __be16 port, __u8 family)
{
	struct be_key k = {
		.svc_id = svc_id,
		.addr = *addr,
		.port = port,
		.family = family,
	};
	struct shunt_backend *be;

	be = hindex_get(&m->by_backend, be_hash(svc_id, addr, port, family), &k,
			be_eq);
	return be ? (__u32)(be - m->backends) : 0;
}

/* --- services ------------------------------------------------------ */

static void svc_destroy(struct model_svc *svc)
{
	size_t i;

	for (i = 0; i < svc->n_fes; i++)
		free(svc->fes[i]);
	free(svc->fes);
	free(svc->bes);
	free(svc->ranges);
	free(svc);
}

/* A free service id: the first one after the last taken, so a freed id
 * is reused as late as possible. 0 when every id is taken. */
static __u32 svc_id_alloc(struct shunt_model *m)
{
	__u32 n = m->cap.services, i, id;

	for (i = 0; i < n; i++) {
		id = (m->next_svc + i) % n + 1;
		if (!m->svcs[id] && !m->svc_held[id]) {
			m->next_svc = id % n;
			return id;
		}
	}
	return 0;
}

static int svc_insert(struct shunt_model *m, struct model_svc *svc)
{
	int err = hindex_put(&m->by_name, hindex_hash_str(svc->rec.name), svc);

	if (err)
		return err;
	m->svcs[svc->id] = svc;
	m->n_svcs++;
	m->n_owned[MODEL_OWNER_IDX(svc->rec.flags)]++;
	return 0;
}

void model_svc_set_flags(struct shunt_model *m, struct model_svc *svc,
			 __u32 flags)
{
	m->n_owned[MODEL_OWNER_IDX(svc->rec.flags)]--;
	svc->rec.flags = flags;
	m->n_owned[MODEL_OWNER_IDX(flags)]++;
}

int model_svc_new(struct shunt_model *m, const char *name,
		  struct model_svc **out)
{
	struct model_svc *svc;
	__u32 id = svc_id_alloc(m);
	int err;

	if (!id)
		return -ENOSPC;
	if (strlen(name) >= SHUNT_NAME_MAX)
		return -ENAMETOOLONG;
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	svc->id = id;
	strcpy(svc->rec.name, name);
	svc->rec.flags = SHUNT_SVC_F_USED;
	err = svc_insert(m, svc);
	if (err) {
		free(svc);
		return err;
	}
	*out = svc;
	return 0;
}

void model_svc_drop(struct shunt_model *m, struct model_svc *svc)
{
	size_t i;

	while (svc->n_fes)
		model_fe_del(m, svc->fes[svc->n_fes - 1]);
	for (i = 0; i < svc->n_bes; i++)
		hindex_del(&m->by_backend,
			   be_hash(svc->id, &m->backends[svc->bes[i]].addr,
				   m->backends[svc->bes[i]].port,
				   m->backends[svc->bes[i]].family),
			   &m->backends[svc->bes[i]]);
	hindex_del(&m->by_name, hindex_hash_str(svc->rec.name), svc);
	m->n_owned[MODEL_OWNER_IDX(svc->rec.flags)]--;
	m->n_ranges -= svc->n_ranges;
	m->svcs[svc->id] = NULL;
	m->svc_held[svc->id] = true;
	m->n_held++;
	m->n_svcs--;
	svc_destroy(svc);
}

void model_release_held(struct shunt_model *m)
{
	memset(m->svc_held, 0, (m->cap.services + 1) * sizeof(*m->svc_held));
	m->n_held = 0;
}

int model_svc_set_ranges(struct shunt_model *m, struct model_svc *svc,
			 const struct shunt_src_range *r, size_t n)
{
	struct shunt_src_range *copy = NULL;

	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, r, n * sizeof(*copy));
	}
	m->n_ranges = m->n_ranges - svc->n_ranges + n;
	free(svc->ranges);
	svc->ranges = copy;
	svc->n_ranges = n;
	return 0;
}

/* --- backends ------------------------------------------------------ */

static __u32 backend_id_alloc(struct shunt_model *m)
{
	__u32 n = m->cap.backends, i, id;

	for (i = 0; i < n; i++) {
		id = (m->next_backend + i) % n + 1;
		if (!m->backends[id].family) {
			m->next_backend = id % n;
			return id;
		}
	}
	return 0;
}

static int backend_link(struct shunt_model *m, struct model_svc *svc, __u32 id)
{
	struct shunt_backend *be = &m->backends[id];
	int err;

	err = vec_reserve((void **)&svc->bes, &svc->cap_bes, svc->n_bes + 1,
			  sizeof(*svc->bes));
	if (!err)
		err = hindex_put(
			&m->by_backend,
			be_hash(svc->id, &be->addr, be->port, be->family), be);
	if (err)
		return err;
	svc->bes[svc->n_bes++] = id;
	return 0;
}

int model_backend_new(struct shunt_model *m, struct model_svc *svc,
		      const struct shunt_backend *be, __u32 *id)
{
	__u32 nid = backend_id_alloc(m);
	int err;

	if (!nid)
		return -ENOSPC;
	m->backends[nid] = *be;
	m->backends[nid].svc_id = svc->id;
	err = backend_link(m, svc, nid);
	if (err) {
		memset(&m->backends[nid], 0, sizeof(m->backends[nid]));
		return err;
	}
	m->n_backends++;
	*id = nid;
	return 0;
}

void model_backend_unlink(struct shunt_model *m, struct model_svc *svc,
			  __u32 id)
{
	struct shunt_backend *be = &m->backends[id];
	size_t i;

	for (i = 0; i < svc->n_bes && svc->bes[i] != id; i++)
		;
	if (i == svc->n_bes)
		return;
	svc->bes[i] = svc->bes[--svc->n_bes];
	hindex_del(&m->by_backend,
		   be_hash(svc->id, &be->addr, be->port, be->family), be);
	be->state = SHUNT_BE_REMOVING;
}

void model_backend_free(struct shunt_model *m, __u32 id)
{
	if (!m->backends[id].family)
		return;
	memset(&m->backends[id], 0, sizeof(m->backends[id]));
	m->n_backends--;
}

/* --- frontends ----------------------------------------------------- */

int model_fe_add(struct shunt_model *m, struct model_svc *svc,
		 const struct shunt_frontend_key *key, __u32 flags)
{
	struct model_fe *fe = calloc(1, sizeof(*fe));
	int err;

	if (!fe)
		return -ENOMEM;
	fe->key = *key;
	fe->val.svc_id = svc->id;
	fe->val.flags = flags;
	fe->svc = svc;
	err = vec_reserve((void **)&svc->fes, &svc->cap_fes, svc->n_fes + 1,
			  sizeof(*svc->fes));
	if (!err)
		err = hindex_put(&m->by_frontend,
				 hindex_hash(key, sizeof(*key)), fe);
	if (err) {
		free(fe);
		return err;
	}
	svc->fes[svc->n_fes++] = fe;
	m->n_frontends++;
	return 0;
}

void model_fe_del(struct shunt_model *m, struct model_fe *fe)
{
	struct model_svc *svc = fe->svc;
	size_t i;

	for (i = 0; i < svc->n_fes && svc->fes[i] != fe; i++)
		;
	if (i < svc->n_fes)
		svc->fes[i] = svc->fes[--svc->n_fes];
	hindex_del(&m->by_frontend, hindex_hash(&fe->key, sizeof(fe->key)), fe);
	m->n_frontends--;
	free(fe);
}

static int cmp_backend_ids(const void *a, const void *b, void *arg)
{
	const struct shunt_backend *bes = arg;
	const struct shunt_backend *x = &bes[*(const __u32 *)a];
	const struct shunt_backend *y = &bes[*(const __u32 *)b];
	int c = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	if (!c)
		c = memcmp(&x->port, &y->port, sizeof(x->port));
	return c;
}

__u32 *model_svc_backends_sorted(const struct shunt_model *m,
				 const struct model_svc *svc)
{
	__u32 *ids = malloc((svc->n_bes ? svc->n_bes : 1) * sizeof(*ids));

	if (!ids)
		return NULL;
	if (svc->n_bes)
		memcpy(ids, svc->bes, svc->n_bes * sizeof(*ids));
	qsort_r(ids, svc->n_bes, sizeof(*ids), cmp_backend_ids, m->backends);
	return ids;
}

/* --- building from the maps ---------------------------------------- */

static void model_destroy(struct shunt_model *m)
{
	__u32 i;

	if (!m)
		return;
	for (i = 0; m->svcs && i <= m->cap.services; i++)
		if (m->svcs[i])
			svc_destroy(m->svcs[i]);
	hindex_free(&m->by_name);
	hindex_free(&m->by_frontend);
	hindex_free(&m->by_backend);
	free(m->svcs);
	free(m->svc_held);
	free(m->backends);
	free(m->orphan_fes);
	free(m->orphan_tables);
	free(m->orphan_ranges);
	free(m);
}

static int load_services(struct shunt *s, struct shunt_model *m)
{
	struct shunt_service *rec;
	struct model_svc *svc;
	struct map_dump d;
	__u32 id;
	size_t i;
	int err;

	err = map_dump(s->service_map, sizeof(__u32), sizeof(*rec), &d);
	for (i = 0; !err && i < d.n; i++) {
		id = *(__u32 *)map_dump_key(&d, i);
		rec = map_dump_val(&d, i);
		if (!(rec->flags & SHUNT_SVC_F_USED) || !id ||
		    id > m->cap.services)
			continue;
		rec->name[SHUNT_NAME_MAX - 1] = '\0';
		svc = calloc(1, sizeof(*svc));
		if (!svc) {
			err = -ENOMEM;
			break;
		}
		svc->id = id;
		svc->rec = *rec;
		/* Two records with one name: only a bug could do that; the
		 * second is served but not found by name. */
		if (model_svc_by_name(m, rec->name)) {
			m->svcs[id] = svc;
			m->n_svcs++;
			continue;
		}
		err = svc_insert(m, svc);
		if (err)
			free(svc);
	}
	map_dump_free(&d);
	return err;
}

static int load_tables(struct shunt *s, struct shunt_model *m)
{
	struct map_dump d;
	__u32 id, inner;
	size_t i, cap = 0;
	int err;

	err = map_dump(s->maglev_map, sizeof(__u32), sizeof(__u32), &d);
	for (i = 0; !err && i < d.n; i++) {
		id = *(__u32 *)map_dump_key(&d, i);
		inner = *(__u32 *)map_dump_val(&d, i);
		if (!inner || id > m->cap.services)
			continue;
		if (m->svcs[id]) {
			m->svcs[id]->has_table = true;
			continue;
		}
		err = vec_reserve((void **)&m->orphan_tables, &cap,
				  m->n_orphan_tables + 1, sizeof(__u32));
		if (!err)
			m->orphan_tables[m->n_orphan_tables++] = id;
	}
	map_dump_free(&d);
	return err;
}

/* Backends of live services join their sets; the others (no service,
 * REMOVING) keep their ids taken until model_repair() frees them. */
static int load_backends(struct shunt *s, struct shunt_model *m)
{
	struct shunt_backend *be;
	struct map_dump d;
	struct model_svc *svc;
	__u32 id;
	size_t i;
	int err;

	err = map_dump(s->backend_map, sizeof(__u32), sizeof(*be), &d);
	for (i = 0; !err && i < d.n; i++) {
		id = *(__u32 *)map_dump_key(&d, i);
		be = map_dump_val(&d, i);
		if (!be->family || !id || id > m->cap.backends)
			continue;
		m->backends[id] = *be;
		m->n_backends++;
		svc = be->svc_id <= m->cap.services ? m->svcs[be->svc_id]
						    : NULL;
		if (svc && be->state != SHUNT_BE_REMOVING &&
		    !model_backend_find(m, svc->id, &be->addr, be->port,
					be->family))
			err = backend_link(m, svc, id);
	}
	map_dump_free(&d);
	return err;
}

static int load_frontends(struct shunt *s, struct shunt_model *m)
{
	struct shunt_frontend_key *key;
	struct shunt_frontend *fe;
	struct model_svc *svc;
	size_t i, cap = 0;
	struct map_dump d;
	int err;

	err = map_dump(s->frontend_map, sizeof(*key), sizeof(*fe), &d);
	for (i = 0; !err && i < d.n; i++) {
		key = map_dump_key(&d, i);
		fe = map_dump_val(&d, i);
		svc = fe->svc_id && fe->svc_id <= m->cap.services
			      ? m->svcs[fe->svc_id]
			      : NULL;
		if (svc) {
			err = model_fe_add(m, svc, key, fe->flags);
			if (!err)
				svc->fes[svc->n_fes - 1]->published = true;
			continue;
		}
		err = vec_reserve((void **)&m->orphan_fes, &cap,
				  m->n_orphan_fes + 1, sizeof(*key));
		if (!err)
			m->orphan_fes[m->n_orphan_fes++] = *key;
	}
	map_dump_free(&d);
	return err;
}

static int range_append(struct shunt_model *m, struct model_svc *svc,
			const struct shunt_src_range *r)
{
	size_t cap = svc->n_ranges;
	int err = vec_reserve((void **)&svc->ranges, &cap, svc->n_ranges + 1,
			      sizeof(*r));

	if (err)
		return err;
	svc->ranges[svc->n_ranges++] = *r;
	m->n_ranges++;
	return 0;
}

static int range_orphan(struct shunt_model *m,
			const struct shunt_src_range_key *k, size_t *cap)
{
	int err = vec_reserve((void **)&m->orphan_ranges, cap,
			      m->n_orphan_ranges + 1, sizeof(*k));

	if (!err)
		m->orphan_ranges[m->n_orphan_ranges++] = *k;
	return err;
}

static int cmp_range(const void *a, const void *b)
{
	return shunt_src_range_cmp(a, b);
}

/* Source ranges join their services; the others are orphans. */
static int load_ranges(struct shunt *s, struct shunt_model *m)
{
	struct shunt_src_range_key *k;
	struct shunt_src_range r;
	struct model_svc *svc;
	size_t i, cap = 0;
	struct map_dump d;
	__u32 id;
	int err;

	err = map_dump(s->src_range_map, sizeof(*k), sizeof(__u32), &d);
	for (i = 0; !err && i < d.n; i++) {
		k = map_dump_key(&d, i);
		svc = k->svc_id && k->svc_id <= m->cap.services
			      ? m->svcs[k->svc_id]
			      : NULL;
		if (svc && shunt_src_range_of_key(k, &r))
			err = range_append(m, svc, &r);
		else
			err = range_orphan(m, k, &cap);
	}
	map_dump_free(&d);
	for (id = 1; !err && id <= m->cap.services; id++)
		if (m->svcs[id] && m->svcs[id]->n_ranges > 1)
			qsort(m->svcs[id]->ranges, m->svcs[id]->n_ranges,
			      sizeof(struct shunt_src_range), cmp_range);
	return err;
}

static __u64 read_write_gen(struct shunt *s)
{
	struct shunt_ctl ctl = {};
	__u32 key = 0;

	bpf_map_lookup_elem(s->ctl_map, &key, &ctl);
	return ctl.write_gen;
}

static int model_build(struct shunt *s, struct shunt_model **out)
{
	struct shunt_model *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	err = shunt_capacity_read(s, &m->cap);
	if (err)
		goto fail;
	m->write_gen = read_write_gen(s);
	m->svcs = calloc(m->cap.services + 1, sizeof(*m->svcs));
	m->svc_held = calloc(m->cap.services + 1, sizeof(*m->svc_held));
	m->backends = calloc(m->cap.backends + 1, sizeof(*m->backends));
	if (!m->svcs || !m->svc_held || !m->backends) {
		err = -ENOMEM;
		goto fail;
	}
	err = load_services(s, m);
	if (!err)
		err = load_tables(s, m);
	if (!err)
		err = load_backends(s, m);
	if (!err)
		err = load_frontends(s, m);
	if (!err)
		err = load_ranges(s, m);
	if (err)
		goto fail;
	*out = m;
	return 0;
fail:
	model_destroy(m);
	return err;
}

int model_get(struct shunt *s, struct shunt_model **out)
{
	struct shunt_model *m;
	int err;

	if (s->model && !s->model->stale) {
		*out = s->model;
		return 0;
	}
	model_free(s);
	err = model_build(s, &m);
	if (err)
		return err;
	s->model = m;
	if (s->locked) {
		err = model_repair(s, m);
		if (err) {
			model_free(s);
			return err;
		}
	}
	*out = m;
	return 0;
}

void model_free(struct shunt *s)
{
	model_destroy(s->model);
	s->model = NULL;
}

void model_check_fresh(struct shunt *s)
{
	if (s->model && s->model->write_gen != read_write_gen(s))
		s->model->stale = true;
}

void model_written(struct shunt *s)
{
	struct shunt_ctl ctl = {};
	__u32 key = 0;

	ctl.write_gen = read_write_gen(s) + 1;
	bpf_map_update_elem(s->ctl_map, &key, &ctl, BPF_ANY);
	if (s->model)
		s->model->write_gen = ctl.write_gen;
}
