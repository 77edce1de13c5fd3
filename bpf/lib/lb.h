/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Service lookup, Maglev backend choice and ClientIP affinity. */
#ifndef SHUNT_BPF_LB_H
#define SHUNT_BPF_LB_H

#include "maps.h"
#include "stats.h"

/* The backend with this id if it (still) serves svc_id. */
SHUNT_INLINE struct shunt_backend *lb_backend(__u32 id, __u32 svc_id)
{
	struct shunt_backend *be;

	if (id == SHUNT_BACKEND_NONE)
		return NULL;
	be = bpf_map_lookup_elem(&backend_map, &id);
	if (!be || be->svc_id != svc_id)
		return NULL;
	return be;
}

/* Maglev: slot hash % M of the service's current table. */
SHUNT_INLINE __u32 lb_maglev_pick(const struct shunt_svc *svc, __u32 hash)
{
	__u32 svc_id = svc->id, slot;
	__u32 *id;
	void *table;

	if (!svc->table_size)
		return SHUNT_BACKEND_NONE;
	table = bpf_map_lookup_elem(&maglev_map, &svc_id);
	if (!table)
		return SHUNT_BACKEND_NONE;
	slot = hash % svc->table_size;
	id = bpf_map_lookup_elem(table, &slot);
	return id ? *id : SHUNT_BACKEND_NONE;
}

/* A backend for a new flow of svc: the client's affinity entry while it
 * is fresh and its backend active, else Maglev (slot flow_hash, or the
 * client's hash for affinity services). client identifies the client for
 * ClientIP affinity: its address, or (family 0) its network namespace.
 * 0 when there is none. */
SHUNT_INLINE __u32 lb_select(const struct shunt_svc *svc,
			     const union shunt_ip *client, __u8 client_family,
			     __u32 flow_hash, __u32 now)
{
	struct shunt_affinity_key akey = {};
	struct shunt_affinity *aff, fresh;
	struct shunt_backend *be;
	__u32 id;

	if (!(svc->flags & SHUNT_SVC_F_AFFINITY))
		return lb_maglev_pick(svc, flow_hash);
	akey.client = *client;
	akey.svc_id = svc->id;
	akey.family = client_family;
	aff = bpf_map_lookup_elem(&affinity_map, &akey);
	if (aff && now - aff->last_seen <= svc->affinity_timeout) {
		be = lb_backend(aff->backend_id, svc->id);
		if (be && be->state == SHUNT_BE_ACTIVE) {
			aff->last_seen = now;
			count(SHUNT_C_AFFINITY_HIT);
			return aff->backend_id;
		}
	}
	id = lb_maglev_pick(svc, shunt_client_hash(client));
	if (id != SHUNT_BACKEND_NONE) {
		fresh.backend_id = id;
		fresh.last_seen = now;
		bpf_map_update_elem(&affinity_map, &akey, &fresh, BPF_ANY);
	}
	return id;
}

#endif /* SHUNT_BPF_LB_H */
