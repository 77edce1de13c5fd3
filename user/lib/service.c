// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Services: svc_map entries, their ids, tables and counters. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ct.h"
#include "ids.h"
#include "maglev.h"
#include "mapdump.h"
#include "service.h"
#include "stats.h"

int shunt_service_get(struct shunt *s, const struct shunt_svc_key *key,
		      struct shunt_svc *out)
{
	return bpf_map_lookup_elem(s->svc_map, key, out) ? -errno : 0;
}

static int svc_key_cmp(const void *a, const void *b)
{
	const struct shunt_svc_key *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(x, y, sizeof(*x));
}

int shunt_service_list(struct shunt *s, struct shunt_service_info **out,
		       size_t *n)
{
	int err;

	err = map_dump_records(s->svc_map, sizeof(struct shunt_svc_key),
			       sizeof(struct shunt_svc), sizeof(**out),
			       offsetof(struct shunt_service_info, key),
			       offsetof(struct shunt_service_info, svc),
			       (void **)out, n);
	if (!err)
		qsort(*out, *n, sizeof(**out), svc_key_cmp);
	return err;
}

static int svc_check_args(__u32 table_size, __u32 affinity_timeout)
{
	if (table_size < SHUNT_MAGLEV_MIN || table_size > SHUNT_MAGLEV_MAX ||
	    !maglev_is_prime(table_size))
		return -EINVAL;
	if (affinity_timeout > SHUNT_AFFINITY_MAX_SECONDS)
		return -EINVAL;
	return 0;
}

static int service_create(struct shunt *s, const struct shunt_svc_key *key,
			  __u32 table_size, __u32 affinity_timeout, __u32 owner)
{
	struct shunt_svc svc = {};
	int err;

	err = ids_alloc_service(s, key, &svc.id);
	if (err)
		return err;
	svc.table_size = table_size;
	svc.affinity_timeout = affinity_timeout;
	svc.flags = (affinity_timeout ? SHUNT_SVC_F_AFFINITY : 0) | owner;

	/* Zeroed counters before the service exists. It has no Maglev
	 * table until its first backend: the datapath finds no backend. */
	err = stats_reset(s->svc_stats_map, svc.id);
	if (!err && bpf_map_update_elem(s->svc_map, key, &svc, BPF_NOEXIST))
		err = errno == E2BIG ? -ENOSPC : -errno;
	if (err)
		bpf_map_delete_elem(s->svc_id_map, &svc.id);
	return err;
}

int shunt_service_add(struct shunt *s, const struct shunt_svc_key *key,
		      __u32 table_size, __u32 affinity_timeout)
{
	struct shunt_svc svc;
	int err;

	err = svc_check_args(table_size, affinity_timeout);
	if (err)
		return err;
	if (shunt_service_get(s, key, &svc) == 0)
		return -EEXIST;
	return service_create(s, key, table_size, affinity_timeout, 0);
}

int shunt_service_set(struct shunt *s, const struct shunt_svc_key *key,
		      __u32 table_size, __u32 affinity_timeout, __u32 owner)
{
	struct shunt_svc svc, next;
	int err;

	err = svc_check_args(table_size, affinity_timeout);
	if (err)
		return err;
	if (shunt_service_get(s, key, &svc))
		return service_create(s, key, table_size, affinity_timeout,
				      owner);
	if ((svc.flags & SHUNT_SVC_F_OWNERS) != owner)
		return -EEXIST;
	next = svc;
	next.affinity_timeout = affinity_timeout;
	next.flags = (svc.flags & ~SHUNT_SVC_F_AFFINITY) |
		     (affinity_timeout ? SHUNT_SVC_F_AFFINITY : 0);
	next.table_size = table_size;
	if (next.table_size != svc.table_size)
		return shunt_table_publish_as(s, key, &next);
	if (!memcmp(&next, &svc, sizeof(svc)))
		return 0;
	return bpf_map_update_elem(s->svc_map, key, &next, BPF_EXIST) ? -errno
								      : 0;
}

/* Forget the ClientIP affinity entries of a service. */
static void affinity_flush(struct shunt *s, __u32 svc_id)
{
	struct shunt_affinity_key *k;
	struct map_dump d;
	size_t i;

	if (map_dump(s->affinity_map, sizeof(*k), sizeof(struct shunt_affinity),
		     &d))
		return;
	for (i = 0; i < d.n; i++) {
		k = map_dump_key(&d, i);
		if (k->svc_id == svc_id)
			bpf_map_delete_elem(s->affinity_map, k);
	}
	map_dump_free(&d);
}

int shunt_service_del(struct shunt *s, const struct shunt_svc_key *key)
{
	struct shunt_backend_info *b;
	struct shunt_svc svc;
	size_t n, i;
	int err;

	err = shunt_service_get(s, key, &svc);
	if (err)
		return err;
	err = shunt_backend_list(s, svc.id, &b, &n);
	if (err)
		return err;
	/* Gone from svc_map, the VIP gets no more service. */
	if (bpf_map_delete_elem(s->svc_map, key)) {
		free(b);
		return -errno;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(s->backend_map, &b[i].id);
	free(b);
	bpf_map_delete_elem(s->maglev_map, &svc.id);
	bpf_map_delete_elem(s->svc_id_map, &svc.id);
	shunt_ct_flush_service(s, svc.id);
	if (svc.flags & SHUNT_SVC_F_AFFINITY)
		affinity_flush(s, svc.id);
	return 0;
}
