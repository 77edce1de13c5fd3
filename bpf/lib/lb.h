/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Service lookup, Maglev backend choice and ClientIP affinity. */
#ifndef SHUNT_BPF_LB_H
#define SHUNT_BPF_LB_H

#include "maps.h"
#include "parse.h"

SHUNT_INLINE struct shunt_svc *lb_lookup_service(const struct pkt *p)
{
	struct shunt_svc_key key = {};

	key.vip = p->dst;
	key.port = p->dport;
	key.proto = p->proto;
	key.family = p->family;
	return bpf_map_lookup_elem(&svc_map, &key);
}

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

SHUNT_INLINE void lb_affinity_key(struct shunt_affinity_key *k,
				  const struct shunt_svc *svc,
				  const struct pkt *p)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->client = p->src;
	k->svc_id = svc->id;
	k->family = p->family;
}

/* A backend for a new flow of svc: the client's affinity entry while it
 * is fresh and its backend active, else Maglev. 0 when there is none. */
SHUNT_INLINE __u32 lb_select(const struct shunt_svc *svc, const struct pkt *p,
			     __u32 now)
{
	struct shunt_affinity_key akey;
	struct shunt_affinity *aff, fresh;
	struct shunt_backend *be;
	__u32 id;

	if (!(svc->flags & SHUNT_SVC_F_AFFINITY))
		return lb_maglev_pick(svc, shunt_flow_hash(&p->src, &p->dst,
							   p->sport, p->dport,
							   p->proto));
	lb_affinity_key(&akey, svc, p);
	aff = bpf_map_lookup_elem(&affinity_map, &akey);
	if (aff && now - aff->last_seen <= svc->affinity_timeout) {
		be = lb_backend(aff->backend_id, svc->id);
		if (be && be->state == SHUNT_BE_ACTIVE) {
			aff->last_seen = now;
			count(SHUNT_C_AFFINITY_HIT);
			return aff->backend_id;
		}
	}
	id = lb_maglev_pick(svc, shunt_client_hash(&p->src));
	if (id != SHUNT_BACKEND_NONE) {
		fresh.backend_id = id;
		fresh.last_seen = now;
		bpf_map_update_elem(&affinity_map, &akey, &fresh, BPF_ANY);
	}
	return id;
}

#endif /* SHUNT_BPF_LB_H */
