// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Backends: backend_map entries (one id per service and address) and the
 * Maglev table swap that makes a change visible to new flows. Open flows
 * keep their backend id in conntrack, so they are not moved.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "ids.h"
#include "mapdump.h"
#include "service.h"
#include "stats.h"
#include "table.h"

__u32 shunt_backend_capacity(__u32 table_size)
{
	return table_size < SHUNT_MAX_SVC_BACKENDS ? table_size
						   : SHUNT_MAX_SVC_BACKENDS;
}

static int backend_cmp(const void *a, const void *b)
{
	const struct shunt_backend_info *x = a, *y = b;
	int c;

	if (x->be.svc_id != y->be.svc_id)
		return x->be.svc_id < y->be.svc_id ? -1 : 1;
	c = memcmp(&x->be.addr, &y->be.addr, sizeof(x->be.addr));
	if (c)
		return c;
	return memcmp(&x->be.port, &y->be.port, sizeof(x->be.port));
}

int shunt_backend_list(struct shunt *s, __u32 svc_id,
		       struct shunt_backend_info **out, size_t *n)
{
	struct shunt_backend_info *v;
	struct shunt_backend *be;
	struct map_dump d;
	size_t i, cnt = 0;
	int err;

	err = map_dump(s->backend_map, sizeof(__u32), sizeof(*be), &d);
	if (err)
		return err;
	v = calloc(d.n ? d.n : 1, sizeof(*v));
	if (!v) {
		map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++) {
		be = map_dump_val(&d, i);
		if (svc_id && be->svc_id != svc_id)
			continue;
		v[cnt].id = *(__u32 *)map_dump_key(&d, i);
		v[cnt].be = *be;
		cnt++;
	}
	map_dump_free(&d);
	qsort(v, cnt, sizeof(*v), backend_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

/* A service, its backends, and which of them is at addr:port. */
struct svc_view {
	struct shunt_svc svc;
	struct shunt_backend_info *b; /* room for one more */
	size_t n;
	ssize_t found; /* index in b, or -1 */
};

static int view_get(struct shunt *s, const struct shunt_svc_key *key,
		    const union shunt_ip *addr, __be16 port, __u8 family,
		    struct svc_view *v)
{
	struct shunt_backend_info *grown;
	size_t i;
	int err;

	v->b = NULL;
	v->found = -1;
	err = shunt_service_get(s, key, &v->svc);
	if (!err)
		err = shunt_backend_list(s, v->svc.id, &v->b, &v->n);
	if (err)
		return err;
	grown = realloc(v->b, (v->n + 1) * sizeof(*v->b));
	if (!grown) {
		free(v->b);
		return -ENOMEM;
	}
	v->b = grown;
	for (i = 0; i < v->n; i++)
		if (shunt_backend_is(&v->b[i].be, addr, port, family))
			v->found = i;
	return 0;
}

int shunt_backend_add(struct shunt *s, const struct shunt_svc_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family,
		      __u32 weight)
{
	struct shunt_backend_info *nb;
	struct svc_view v;
	int err;

	if (weight < SHUNT_WEIGHT_MIN || weight > SHUNT_WEIGHT_MAX || !port)
		return -EINVAL;
	err = view_get(s, key, addr, port, family, &v);
	if (err)
		return err;
	if (family != key->family)
		err = -EAFNOSUPPORT;
	else if (v.found >= 0)
		err = -EEXIST;
	else if (v.n >= shunt_backend_capacity(v.svc.table_size))
		err = -ENOSPC;
	nb = &v.b[v.n];
	memset(nb, 0, sizeof(*nb));
	if (!err)
		err = ids_alloc_backend(s, v.svc.id, addr, port, &nb->id);
	if (err)
		goto out;
	nb->be.addr = *addr;
	nb->be.port = port;
	nb->be.family = family;
	nb->be.state = SHUNT_BE_ACTIVE;
	nb->be.svc_id = v.svc.id;
	nb->be.weight = weight;
	err = stats_reset(s->backend_stats_map, nb->id);
	if (err)
		goto out;
	if (bpf_map_update_elem(s->backend_map, &nb->id, &nb->be,
				BPF_NOEXIST)) {
		err = errno == E2BIG ? -ENOSPC : -errno;
		goto out;
	}
	err = table_publish(s, key, &v.svc, v.b, v.n + 1);
	if (err)
		bpf_map_delete_elem(s->backend_map, &nb->id);
out:
	free(v.b);
	return err;
}

int shunt_backend_del(struct shunt *s, const struct shunt_svc_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family)
{
	struct shunt_backend_info gone;
	struct svc_view v;
	int err;

	err = view_get(s, key, addr, port, family, &v);
	if (!err && v.found < 0)
		err = -ENOENT;
	if (err)
		goto out;
	/* Out of the table first, then out of the map: the table never
	 * names a backend that does not exist. */
	gone = v.b[v.found];
	v.b[v.found] = v.b[v.n - 1];
	err = table_publish(s, key, &v.svc, v.b, v.n - 1);
	if (!err && bpf_map_delete_elem(s->backend_map, &gone.id))
		err = -errno;
out:
	free(v.b);
	return err;
}

/* Change one backend's entry and swap the table; undo on failure. */
static int backend_update(struct shunt *s, const struct shunt_svc_key *key,
			  struct svc_view *v, const struct shunt_backend *new)
{
	struct shunt_backend_info *b = &v->b[v->found];
	struct shunt_backend old = b->be;
	int err;

	if (!memcmp(&old, new, sizeof(*new)))
		return 0;
	if (bpf_map_update_elem(s->backend_map, &b->id, new, BPF_EXIST))
		return -errno;
	b->be = *new;
	err = table_publish(s, key, &v->svc, v->b, v->n);
	if (err)
		bpf_map_update_elem(s->backend_map, &b->id, &old, BPF_EXIST);
	return err;
}

static int backend_modify(struct shunt *s, const struct shunt_svc_key *key,
			  const union shunt_ip *addr, __be16 port, __u8 family,
			  const __u32 *weight, const __u8 *state)
{
	struct shunt_backend be;
	struct svc_view v;
	int err;

	err = view_get(s, key, addr, port, family, &v);
	if (!err && v.found < 0)
		err = -ENOENT;
	if (!err) {
		be = v.b[v.found].be;
		if (weight)
			be.weight = *weight;
		if (state)
			be.state = *state;
		err = backend_update(s, key, &v, &be);
	}
	free(v.b);
	return err;
}

int shunt_backend_set_weight(struct shunt *s, const struct shunt_svc_key *key,
			     const union shunt_ip *addr, __be16 port,
			     __u8 family, __u32 weight)
{
	if (weight < SHUNT_WEIGHT_MIN || weight > SHUNT_WEIGHT_MAX)
		return -EINVAL;
	return backend_modify(s, key, addr, port, family, &weight, NULL);
}

int shunt_backend_set_state(struct shunt *s, const struct shunt_svc_key *key,
			    const union shunt_ip *addr, __be16 port,
			    __u8 family, enum shunt_backend_state state)
{
	__u8 st = state;

	if (state != SHUNT_BE_ACTIVE && state != SHUNT_BE_DRAINING)
		return -EINVAL;
	return backend_modify(s, key, addr, port, family, NULL, &st);
}
