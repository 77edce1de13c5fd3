/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Services and their backends, kept only in the pinned maps: any process
 * with the pin root sees the same state. Every change is all or nothing:
 * on error the maps are as they were.
 *
 * Errors: -EEXIST duplicate, -ENOENT unknown service or backend,
 * -EINVAL bad value, -EAFNOSUPPORT backend family differs from the VIP's,
 * -ENOSPC a table or a service's backend list is full.
 */
#ifndef SHUNT_SERVICE_H
#define SHUNT_SERVICE_H

#include <stddef.h>
#include <string.h>
#include "shunt.h"

struct shunt_service_info {
	struct shunt_svc_key key;
	struct shunt_svc svc;
};

struct shunt_backend_info {
	__u32 id;
	struct shunt_backend be;
};

int shunt_service_add(struct shunt *s, const struct shunt_svc_key *key,
		      __u32 table_size, __u32 affinity_timeout);
/* Create the service owned by owner (SHUNT_SVC_F_OWNER_*, 0: nobody),
 * or change the table size and affinity of the existing one (its Maglev
 * table is rebuilt when the size changes). -EEXIST: it exists with
 * another owner. */
int shunt_service_set(struct shunt *s, const struct shunt_svc_key *key,
		      __u32 table_size, __u32 affinity_timeout, __u32 owner);
int shunt_service_del(struct shunt *s, const struct shunt_svc_key *key);
int shunt_service_get(struct shunt *s, const struct shunt_svc_key *key,
		      struct shunt_svc *out);
/* All services, sorted by family, VIP, port, protocol. Free *out. */
int shunt_service_list(struct shunt *s, struct shunt_service_info **out,
		       size_t *n);

int shunt_backend_add(struct shunt *s, const struct shunt_svc_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family,
		      __u32 weight);
int shunt_backend_del(struct shunt *s, const struct shunt_svc_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family);
int shunt_backend_set_weight(struct shunt *s, const struct shunt_svc_key *key,
			     const union shunt_ip *addr, __be16 port,
			     __u8 family, __u32 weight);
int shunt_backend_set_state(struct shunt *s, const struct shunt_svc_key *key,
			    const union shunt_ip *addr, __be16 port,
			    __u8 family, enum shunt_backend_state state);
/* What a backend should be, for shunt_backend_sync(). */
struct shunt_backend_spec {
	union shunt_ip addr;
	__be16 port;
	__u8 family;
	__u8 state; /* enum shunt_backend_state */
	__u32 weight;
};

/* Make the service's backends exactly want[0..n-1] (declarative): new
 * ones added, changed ones updated, missing ones removed, with a single
 * Maglev table swap. Backends that stay keep their ids, so their open
 * flows are untouched. All or nothing. */
int shunt_backend_sync(struct shunt *s, const struct shunt_svc_key *key,
		       const struct shunt_backend_spec *want, size_t n);

/* Backends of one service (svc_id), or of all when svc_id is 0; sorted
 * by service id, then address and port. Free *out. */
int shunt_backend_list(struct shunt *s, __u32 svc_id,
		       struct shunt_backend_info **out, size_t *n);

/* Is be the backend at addr:port? (A backend's identity.) */
static inline bool shunt_backend_is(const struct shunt_backend *be,
				    const union shunt_ip *addr, __be16 port,
				    __u8 family)
{
	return be->family == family && be->port == port &&
	       !memcmp(&be->addr, addr, sizeof(*addr));
}

/* Most backends a service with this table size can have. */
__u32 shunt_backend_capacity(__u32 table_size);

/* Rebuild the service's Maglev table from its active backends and swap
 * it in. */
int shunt_table_publish(struct shunt *s, const struct shunt_svc_key *key);
/* The same for a service whose value (table size, flags) changes: the
 * new table is built for next->table_size, swapped in, then next stored. */
int shunt_table_publish_as(struct shunt *s, const struct shunt_svc_key *key,
			   struct shunt_svc *next);
/* The table the datapath uses now. Free *table. */
int shunt_table_read(struct shunt *s, __u32 svc_id, __u32 **table, __u32 *m);

#endif /* SHUNT_SERVICE_H */
