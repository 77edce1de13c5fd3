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

#include "idset.h"
#include "mapdump.h"
#include "service.h"
#include "stats.h"

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

static bool same_addr(const struct shunt_backend *be, const union shunt_ip *a,
		      __be16 port, __u8 family)
{
	return be->family == family && be->port == port &&
	       !memcmp(&be->addr, a, sizeof(*a));
}

/* The service and, when it has one, its backend at addr:port. */
static int backend_find(struct shunt *s, const struct shunt_svc_key *key,
			const union shunt_ip *addr, __be16 port, __u8 family,
			struct shunt_svc *svc, struct shunt_backend_info *found)
{
	struct shunt_backend_info *v;
	size_t n, i;
	int err;

	err = shunt_service_get(s, key, svc);
	if (err)
		return err;
	err = shunt_backend_list(s, svc->id, &v, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n; i++) {
		if (same_addr(&v[i].be, addr, port, family)) {
			*found = v[i];
			err = 0;
			break;
		}
	}
	free(v);
	return err;
}

static int backend_alloc_id(struct shunt *s, __u32 *id)
{
	struct shunt_backend_info *v;
	struct idset used;
	size_t n, i;
	int err;

	err = shunt_backend_list(s, 0, &v, &n);
	if (err)
		return err;
	err = idset_init(&used, SHUNT_MAX_BACKENDS);
	for (i = 0; !err && i < n; i++)
		idset_add(&used, v[i].id);
	free(v);
	if (err)
		return err;
	err = idset_first_free(&used, 1, id);
	idset_free(&used);
	return err;
}

static __u32 count_backends(struct shunt *s, __u32 svc_id)
{
	struct shunt_backend_info *v;
	size_t n;

	if (shunt_backend_list(s, svc_id, &v, &n))
		return 0;
	free(v);
	return n;
}

int shunt_backend_add(struct shunt *s, const struct shunt_svc_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family,
		      __u32 weight)
{
	struct shunt_backend_info found;
	struct shunt_backend be = {};
	struct shunt_svc svc;
	__u32 id;
	int err;

	if (weight < SHUNT_WEIGHT_MIN || weight > SHUNT_WEIGHT_MAX || !port)
		return -EINVAL;
	err = backend_find(s, key, addr, port, family, &svc, &found);
	if (err != -ENOENT)
		return err ? err : -EEXIST;
	if (shunt_service_get(s, key, &svc))
		return -ENOENT;
	if (family != key->family)
		return -EAFNOSUPPORT;
	if (count_backends(s, svc.id) >= shunt_backend_capacity(svc.table_size))
		return -ENOSPC;
	err = backend_alloc_id(s, &id);
	if (err)
		return err;

	be.addr = *addr;
	be.port = port;
	be.family = family;
	be.state = SHUNT_BE_ACTIVE;
	be.svc_id = svc.id;
	be.weight = weight;
	err = stats_reset(s->backend_stats_map, id);
	if (err)
		return err;
	if (bpf_map_update_elem(s->backend_map, &id, &be, BPF_NOEXIST))
		return errno == E2BIG ? -ENOSPC : -errno;
	err = shunt_table_publish(s, key);
	if (err)
		bpf_map_delete_elem(s->backend_map, &id);
	return err;
}

int shunt_backend_del(struct shunt *s, const struct shunt_svc_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family)
{
	struct shunt_backend_info found;
	struct shunt_svc svc;
	int err;

	err = backend_find(s, key, addr, port, family, &svc, &found);
	if (err)
		return err;
	/* Out of the table first, then out of the map: the table never
	 * names a backend that does not exist. */
	found.be.state = SHUNT_BE_DRAINING;
	if (bpf_map_update_elem(s->backend_map, &found.id, &found.be,
				BPF_EXIST))
		return -errno;
	err = shunt_table_publish(s, key);
	if (err) {
		found.be.state = SHUNT_BE_ACTIVE;
		bpf_map_update_elem(s->backend_map, &found.id, &found.be,
				    BPF_EXIST);
		return err;
	}
	if (bpf_map_delete_elem(s->backend_map, &found.id))
		return -errno;
	return 0;
}

/* Change one backend's entry and swap the table; undo on failure. */
static int backend_update(struct shunt *s, const struct shunt_svc_key *key,
			  const struct shunt_backend_info *old,
			  const struct shunt_backend *new)
{
	int err;

	if (!memcmp(&old->be, new, sizeof(*new)))
		return 0;
	if (bpf_map_update_elem(s->backend_map, &old->id, new, BPF_EXIST))
		return -errno;
	err = shunt_table_publish(s, key);
	if (err)
		bpf_map_update_elem(s->backend_map, &old->id, &old->be,
				    BPF_EXIST);
	return err;
}

int shunt_backend_set_weight(struct shunt *s, const struct shunt_svc_key *key,
			     const union shunt_ip *addr, __be16 port,
			     __u8 family, __u32 weight)
{
	struct shunt_backend_info found;
	struct shunt_backend be;
	struct shunt_svc svc;
	int err;

	if (weight < SHUNT_WEIGHT_MIN || weight > SHUNT_WEIGHT_MAX)
		return -EINVAL;
	err = backend_find(s, key, addr, port, family, &svc, &found);
	if (err)
		return err;
	be = found.be;
	be.weight = weight;
	return backend_update(s, key, &found, &be);
}

int shunt_backend_set_state(struct shunt *s, const struct shunt_svc_key *key,
			    const union shunt_ip *addr, __be16 port,
			    __u8 family, enum shunt_backend_state state)
{
	struct shunt_backend_info found;
	struct shunt_backend be;
	struct shunt_svc svc;
	int err;

	if (state != SHUNT_BE_ACTIVE && state != SHUNT_BE_DRAINING)
		return -EINVAL;
	err = backend_find(s, key, addr, port, family, &svc, &found);
	if (err)
		return err;
	be = found.be;
	be.state = state;
	return backend_update(s, key, &found, &be);
}
