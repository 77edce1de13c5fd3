/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Frontend lookup, Maglev backend choice and ClientIP affinity. */
#ifndef SHUNT_BPF_LB_H
#define SHUNT_BPF_LB_H

#include "maps.h"
#include "stats.h"

/*
 * The frontend a packet or connect() addressed: VIP:port/proto exactly,
 * else, when the address is one of this node's, the NodePort wildcard of
 * its family at that port. NULL when it is not service traffic.
 */
SHUNT_INLINE struct shunt_frontend *
lb_frontend(const union shunt_ip *dst, __be16 port, __u8 proto, __u8 family)
{
	struct shunt_frontend_key key = {};
	struct shunt_node_addr na = {};
	struct shunt_frontend *fe;

	key.vip = *dst;
	key.port = port;
	key.proto = proto;
	key.family = family;
	fe = bpf_map_lookup_elem(&frontend_map, &key);
	if (fe)
		return fe;
	na.addr = *dst;
	na.family = family;
	if (!bpf_map_lookup_elem(&node_addr_map, &na))
		return NULL;
	__builtin_memset(&key.vip, 0, sizeof(key.vip));
	return bpf_map_lookup_elem(&frontend_map, &key);
}

/* The service with this id, or NULL when the id is free. */
SHUNT_INLINE struct shunt_service *lb_service(__u32 svc_id)
{
	struct shunt_service *svc = bpf_map_lookup_elem(&service_map, &svc_id);

	return svc && (svc->flags & SHUNT_SVC_F_USED) ? svc : NULL;
}

/* Is addr one of this node's pods (pod_cidr_map)? */
SHUNT_INLINE bool lb_from_local_pod(const union shunt_ip *addr, __u8 family)
{
	struct shunt_pod_cidr_key k;

	k.prefixlen = 32 + (family == SHUNT_V4 ? 32 : 128);
	k.family = family;
	k.addr = *addr;
	return bpf_map_lookup_elem(&pod_cidr_map, &k) != NULL;
}

/* kube-proxy's short-circuit: a new flow from this node to an external
 * frontend of a Local policy takes the Service's cluster set, as an
 * internal flow would (no Local drop, no masquerade). fe becomes the
 * frontend as the flow sees it; false when it stays as it is. */
SHUNT_INLINE bool lb_short_circuit(struct shunt_frontend *fe)
{
	struct shunt_service *svc;

	if ((fe->flags & (SHUNT_FE_F_LOCAL | SHUNT_FE_F_EXTERNAL)) !=
	    (SHUNT_FE_F_LOCAL | SHUNT_FE_F_EXTERNAL))
		return false;
	svc = lb_service(fe->svc_id);
	if (!svc || !svc->cluster_svc_id)
		return false;
	fe->svc_id = svc->cluster_svc_id;
	fe->flags &= ~(SHUNT_FE_F_LOCAL | SHUNT_FE_F_EXTERNAL);
	return true;
}

/* The backend with this id if it (still) serves svc_id. */
SHUNT_INLINE struct shunt_backend *lb_backend(__u32 id, __u32 svc_id)
{
	struct shunt_backend *be;

	if (id == SHUNT_BACKEND_NONE)
		return NULL;
	be = bpf_map_lookup_elem(&backend_map, &id);
	if (!be || !be->family || be->svc_id != svc_id)
		return NULL;
	return be;
}

/* Maglev: slot hash % M of the service's current table, M read from the
 * table's own header. */
SHUNT_INLINE __u32 lb_maglev_pick(__u32 svc_id, __u32 hash)
{
	struct shunt_maglev_elem *e;
	__u32 key = 0, slot;
	void *table;

	table = bpf_map_lookup_elem(&maglev_map, &svc_id);
	if (!table)
		return SHUNT_BACKEND_NONE;
	e = bpf_map_lookup_elem(table, &key);
	if (!e || !e->hdr.size)
		return SHUNT_BACKEND_NONE;
	slot = hash % e->hdr.size;
	key = 1 + slot / SHUNT_MAGLEV_CHUNK;
	e = bpf_map_lookup_elem(table, &key);
	if (!e)
		return SHUNT_BACKEND_NONE;
	return e->slot[slot & (SHUNT_MAGLEV_CHUNK - 1)];
}

/* A backend for a new flow of service svc_id: the client's affinity
 * entry while it is fresh and its backend active, else Maglev (slot
 * flow_hash, or the client's hash for affinity services). client
 * identifies the client for ClientIP affinity: its address, or (family 0)
 * its network namespace. 0 when there is none. */
SHUNT_INLINE __u32 lb_select(__u32 svc_id, const struct shunt_service *svc,
			     const union shunt_ip *client, __u8 client_family,
			     __u32 flow_hash, __u32 now)
{
	struct shunt_affinity_key akey = {};
	struct shunt_affinity *aff, fresh;
	struct shunt_backend *be;
	__u32 id;

	if (!(svc->flags & SHUNT_SVC_F_AFFINITY))
		return lb_maglev_pick(svc_id, flow_hash);
	akey.client = *client;
	akey.svc_id = svc_id;
	akey.family = client_family;
	aff = bpf_map_lookup_elem(&affinity_map, &akey);
	if (aff &&
	    (__s32)(now - aff->last_seen) <= (__s32)svc->affinity_timeout) {
		be = lb_backend(aff->backend_id, svc_id);
		if (be && be->state == SHUNT_BE_ACTIVE) {
			aff->last_seen = now;
			count(SHUNT_C_AFFINITY_HIT);
			return aff->backend_id;
		}
	}
	id = lb_maglev_pick(svc_id, shunt_client_hash(client));
	if (id != SHUNT_BACKEND_NONE) {
		fresh.backend_id = id;
		fresh.last_seen = now;
		bpf_map_update_elem(&affinity_map, &akey, &fresh, BPF_ANY);
	}
	return id;
}

#endif /* SHUNT_BPF_LB_H */
