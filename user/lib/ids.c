// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Service and backend ids (1..max). Which ids are taken is read from the
 * maps themselves, so any process holding the pin root allocates safely
 * (under the writer lock).
 */
#include <errno.h>
#include <bpf/bpf.h>

#include <shunt/hash.h>
#include "ids.h"

/* Take a free service id in svc_id_map: open addressing from a hash of
 * the key, O(1) however many services exist. */
int ids_alloc_service(struct shunt *s, const struct shunt_svc_key *key,
		      __u32 *id)
{
	__u32 start = shunt_hash_ip(&key->vip, key->port << 8 | key->proto,
				    key->family) %
		      SHUNT_MAX_SERVICES;
	__u32 i, cand;

	for (i = 0; i < SHUNT_MAX_SERVICES; i++) {
		cand = (start + i) % SHUNT_MAX_SERVICES + 1;
		if (bpf_map_update_elem(s->svc_id_map, &cand, key,
					BPF_NOEXIST) == 0) {
			*id = cand;
			return 0;
		}
		if (errno != EEXIST)
			return errno == E2BIG ? -ENOSPC : -errno;
	}
	return -ENOSPC;
}

/* A free backend id: open addressing over backend_map from a hash of the
 * service and address, O(1) however many backends exist. */
int ids_alloc_backend(struct shunt *s, __u32 svc_id, const union shunt_ip *addr,
		      __be16 port, __u32 *id)
{
	struct shunt_backend be;
	__u32 start = shunt_hash_ip(addr, port, svc_id) % SHUNT_MAX_BACKENDS;
	__u32 i, cand;

	for (i = 0; i < SHUNT_MAX_BACKENDS; i++) {
		cand = (start + i) % SHUNT_MAX_BACKENDS + 1;
		if (bpf_map_lookup_elem(s->backend_map, &cand, &be) == 0)
			continue;
		if (errno != ENOENT)
			return -errno;
		*id = cand;
		return 0;
	}
	return -ENOSPC;
}
