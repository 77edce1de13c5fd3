// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Backends: add, delete and change one backend of a service, or make its
 * whole set what a caller wants. Each is the service's spec with that
 * change, applied through the one write path (apply.h): the table is
 * swapped once, backends that stay keep their ids and open flows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "service.h"

/* The spec of key's service, with room for one more backend. */
static int spec_get(struct shunt *s, const struct shunt_frontend_key *key,
		    struct shunt_service_spec *spec, __u32 *owner)
{
	struct shunt_backend_spec *grown;
	struct model_svc *svc;
	int err = model_find_frontend(s, key, &svc);

	if (err)
		return err;
	*owner = svc->rec.flags & SHUNT_SVC_F_OWNERS;
	err = shunt_service_spec_get(s, svc->rec.name, spec);
	if (err)
		return err;
	grown = realloc(spec->backends,
			(spec->n_backends + 1) * sizeof(*spec->backends));
	if (!grown) {
		shunt_spec_free(spec);
		return -ENOMEM;
	}
	spec->backends = grown;
	return 0;
}

static ssize_t spec_find(const struct shunt_service_spec *spec,
			 const union shunt_ip *addr, __be16 port, __u8 family)
{
	const struct shunt_backend_spec *b;
	size_t i;

	for (i = 0; i < spec->n_backends; i++) {
		b = &spec->backends[i];
		if (b->family == family && b->port == port &&
		    !memcmp(&b->addr, addr, sizeof(*addr)))
			return i;
	}
	return -1;
}

enum change { ADD, DEL, WEIGHT, STATE };

static int change(struct shunt *s, const struct shunt_frontend_key *key,
		  const union shunt_ip *addr, __be16 port, __u8 family,
		  enum change what, __u32 value)
{
	struct shunt_service_spec spec;
	struct shunt_backend_spec *b;
	__u32 owner;
	ssize_t i;
	int err;

	err = spec_get(s, key, &spec, &owner);
	if (err)
		return err;
	i = spec_find(&spec, addr, port, family);
	if (what == ADD && i >= 0)
		err = -EEXIST;
	else if (what != ADD && i < 0)
		err = -ENOENT;
	if (err)
		goto out;
	if (what == ADD) {
		b = &spec.backends[spec.n_backends++];
		memset(b, 0, sizeof(*b));
		b->addr = *addr;
		b->port = port;
		b->family = family;
		b->state = SHUNT_BE_ACTIVE;
		b->weight = value;
	} else if (what == DEL) {
		spec.backends[i] = spec.backends[--spec.n_backends];
	} else if (what == WEIGHT) {
		spec.backends[i].weight = value;
	} else {
		spec.backends[i].state = value;
	}
	err = shunt_service_apply(s, &spec, owner);
out:
	shunt_spec_free(&spec);
	return err;
}

int shunt_backend_add(struct shunt *s, const struct shunt_frontend_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family,
		      __u32 weight)
{
	return change(s, key, addr, port, family, ADD, weight);
}

int shunt_backend_del(struct shunt *s, const struct shunt_frontend_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family)
{
	return change(s, key, addr, port, family, DEL, 0);
}

int shunt_backend_set_weight(struct shunt *s,
			     const struct shunt_frontend_key *key,
			     const union shunt_ip *addr, __be16 port,
			     __u8 family, __u32 weight)
{
	if (weight < SHUNT_WEIGHT_MIN || weight > SHUNT_WEIGHT_MAX)
		return -EINVAL;
	return change(s, key, addr, port, family, WEIGHT, weight);
}

int shunt_backend_set_state(struct shunt *s,
			    const struct shunt_frontend_key *key,
			    const union shunt_ip *addr, __be16 port,
			    __u8 family, enum shunt_backend_state state)
{
	if (state != SHUNT_BE_ACTIVE && state != SHUNT_BE_DRAINING)
		return -EINVAL;
	return change(s, key, addr, port, family, STATE, state);
}

int shunt_backend_sync(struct shunt *s, const struct shunt_frontend_key *key,
		       const struct shunt_backend_spec *want, size_t n)
{
	struct shunt_service_spec spec;
	struct shunt_backend_spec *copy = NULL;
	__u32 owner;
	int err;

	err = spec_get(s, key, &spec, &owner);
	if (err)
		return err;
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy) {
			shunt_spec_free(&spec);
			return -ENOMEM;
		}
		memcpy(copy, want, n * sizeof(*copy));
	}
	free(spec.backends);
	spec.backends = copy;
	spec.n_backends = n;
	err = shunt_service_apply(s, &spec, owner);
	shunt_spec_free(&spec);
	return err;
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
	const struct model_svc *svc;
	struct shunt_model *m;
	size_t cnt = 0, i;
	__u32 id;
	int err = model_get(s, &m);

	if (err)
		return err;
	if (svc_id && (svc_id > m->cap.services || !m->svcs[svc_id])) {
		*out = calloc(1, sizeof(**out));
		*n = 0;
		return *out ? 0 : -ENOMEM;
	}
	v = calloc((svc_id ? m->svcs[svc_id]->n_bes : m->n_backends) + 1,
		   sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (id = svc_id ? svc_id : 1;
	     id <= (svc_id ? svc_id : m->cap.services); id++) {
		svc = m->svcs[id];
		for (i = 0; svc && i < svc->n_bes; i++) {
			v[cnt].id = svc->bes[i];
			v[cnt++].be = m->backends[svc->bes[i]];
		}
	}
	qsort(v, cnt, sizeof(*v), backend_cmp);
	*out = v;
	*n = cnt;
	return 0;
}
