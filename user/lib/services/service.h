/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Services, their frontends and their backends.
 *
 * A service is one backend set with one Maglev table; frontends
 * (VIP:port/proto, or the NodePort wildcard *:port/proto) point to it, and
 * all the frontends of a Kubernetes Service port share it. A service is
 * named by its source ("namespace/name:port", the services file's name);
 * one made by hand is named after its first frontend.
 *
 * Every change goes through one write path (apply.h) and is all or
 * nothing: bad input is refused before anything is written, and the maps
 * stay as they were. Reads come from the in-memory model (model.h).
 *
 * Errors: -EEXIST duplicate, -ENOENT unknown service, frontend or
 * backend, -EBUSY frontend of another service, -EINVAL bad value,
 * -EAFNOSUPPORT family differs from the service's, -ENOSPC a table (or a
 * service's backend list) is full.
 */
#ifndef SHUNT_SERVICE_H
#define SHUNT_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "shunt.h"

/* Who owns a service: bits in shunt_service.flags. Services made by hand
 * (shuntctl) have none and are never touched by a source. */
#define SHUNT_OWNER_FILE SHUNT_SVC_F_OWNER_FILE
#define SHUNT_OWNER_K8S	 SHUNT_SVC_F_OWNER_K8S

struct shunt_frontend_spec {
	struct shunt_frontend_key key;
	__u32 flags; /* SHUNT_FE_F_*; NODEPORT is implied by a zero VIP */
};

struct shunt_backend_spec {
	union shunt_ip addr;
	__be16 port;
	__u8 family;
	__u8 state; /* SHUNT_BE_ACTIVE or SHUNT_BE_DRAINING */
	__u32 weight;
	__u32 flags; /* SHUNT_BE_F_* */
};

/* A CIDR of loadBalancerSourceRanges: the clients a service's
 * SHUNT_FE_F_SRC_RANGES frontends serve (src_range_map). */
struct shunt_src_range {
	union shunt_ip addr; /* host bits zero */
	__u8 family;	     /* SHUNT_V4 or SHUNT_V6 */
	__u8 prefixlen;	     /* 0..32 or 0..128 */
	__u8 pad[2];
};

/* What one service should be. A frontend flagged SHUNT_FE_F_SRC_RANGES
 * of a service without source ranges serves every client (the flag is
 * dropped), as Kubernetes does with an empty list. */
struct shunt_service_spec {
	char name[SHUNT_NAME_MAX];
	__u32 table_size;	/* 0: sized from the backends */
	__u32 affinity_timeout; /* seconds, 0: none */
	struct shunt_frontend_spec *frontends;
	size_t n_frontends;
	struct shunt_backend_spec *backends;
	size_t n_backends;
	struct shunt_src_range *src_ranges; /* sorted, no duplicates */
	size_t n_src_ranges;		    /* <= SHUNT_MAX_SVC_SRC_RANGES */
};

/* --- source ranges (srcrange.c) ------------------------------------ */

/* Parse "ADDR/LEN" (IPv4 or IPv6); host bits are cleared, as Kubernetes
 * does. 0, or -EINVAL with the reason in err. */
int shunt_src_range_parse(const char *s, struct shunt_src_range *out, char *err,
			  size_t errlen);
/* "ADDR/LEN" into buf. */
const char *shunt_src_range_format(const struct shunt_src_range *r, char *buf,
				   size_t len);
int shunt_src_range_cmp(const struct shunt_src_range *a,
			const struct shunt_src_range *b);
/* Sort r[0..*n-1] and drop duplicates. */
void shunt_src_ranges_normalize(struct shunt_src_range *r, size_t *n);
/* Does r hold a valid, host-bits-clear CIDR? */
bool shunt_src_range_valid(const struct shunt_src_range *r);
/* Its src_range_map key for service svc_id. */
void shunt_src_range_key(__u32 svc_id, const struct shunt_src_range *r,
			 struct shunt_src_range_key *k);
/* The source range of a src_range_map key (false: not a valid one). */
bool shunt_src_range_of_key(const struct shunt_src_range_key *k,
			    struct shunt_src_range *r);
/* The source ranges of service svc_id, sorted (none: *n 0). 0, -ENOENT
 * or -errno. Free *out. */
int shunt_service_src_ranges(struct shunt *s, __u32 svc_id,
			     struct shunt_src_range **out, size_t *n);

struct shunt_service_info {
	__u32 id;
	struct shunt_service svc; /* service_map entry */
	size_t n_frontends;
	size_t n_backends; /* active and draining */
};

struct shunt_frontend_info {
	struct shunt_frontend_key key;
	struct shunt_frontend fe;
};

struct shunt_backend_info {
	__u32 id;
	struct shunt_backend be;
};

/* --- services ------------------------------------------------------ */

/* Read the maps into the handle's model now (done on first use anyway);
 * holding the lock, also repair what a writer killed half-way through a
 * change left behind. 0 or -errno. */
int shunt_model_load(struct shunt *s);
/* Forget the model: the next use reads the maps again (for callers that
 * changed maps behind libshunt's back, as tests do). */
void shunt_model_drop(struct shunt *s);

/* Make the service spec->name exactly spec (created when missing), owned
 * by owner. -EPERM when a service of that name has another owner. */
int shunt_service_apply(struct shunt *s, const struct shunt_service_spec *spec,
			__u32 owner);
/* The spec of the service named name (free with shunt_spec_free). */
int shunt_service_spec_get(struct shunt *s, const char *name,
			   struct shunt_service_spec *out);
void shunt_spec_free(struct shunt_service_spec *spec);

/* A service of its own for frontend key, named after it, no backends. */
int shunt_service_add(struct shunt *s, const struct shunt_frontend_key *key,
		      __u32 table_size, __u32 affinity_timeout);
/* Change the table size (0: automatic) and affinity of key's service. */
int shunt_service_set(struct shunt *s, const struct shunt_frontend_key *key,
		      __u32 table_size, __u32 affinity_timeout);
/* Make the source ranges of key's service r[0..n-1] (any order; n 0:
 * none), checked by every frontend it has, and by those added later. */
int shunt_service_set_src_ranges(struct shunt *s,
				 const struct shunt_frontend_key *key,
				 const struct shunt_src_range *r, size_t n);
/* Delete the service key belongs to, with all its frontends. */
int shunt_service_del(struct shunt *s, const struct shunt_frontend_key *key);
int shunt_service_del_by_name(struct shunt *s, const char *name);
int shunt_service_get(struct shunt *s, const struct shunt_frontend_key *key,
		      struct shunt_service_info *out);
int shunt_service_get_by_name(struct shunt *s, const char *name,
			      struct shunt_service_info *out);
/* How many services owner (SHUNT_OWNER_*, 0: made by hand) has. */
size_t shunt_service_count(struct shunt *s, __u32 owner);
/* All services, sorted by name. Free *out. */
int shunt_service_list(struct shunt *s, struct shunt_service_info **out,
		       size_t *n);

/* --- frontends ----------------------------------------------------- */

/* Add frontend key (flags SHUNT_FE_F_*) to the service of frontend svc;
 * when the service has source ranges, the frontend checks them too. */
int shunt_frontend_add(struct shunt *s, const struct shunt_frontend_key *svc,
		       const struct shunt_frontend_key *key, __u32 flags);
/* Remove one frontend; -EBUSY when it is its service's last one (delete
 * the service instead). */
int shunt_frontend_del(struct shunt *s, const struct shunt_frontend_key *key);
/* Frontends of service svc_id, or of all when 0; sorted by service, then
 * key. Free *out. */
int shunt_frontend_list(struct shunt *s, __u32 svc_id,
			struct shunt_frontend_info **out, size_t *n);

/* --- backends ------------------------------------------------------ */

int shunt_backend_add(struct shunt *s, const struct shunt_frontend_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family,
		      __u32 weight);
int shunt_backend_del(struct shunt *s, const struct shunt_frontend_key *key,
		      const union shunt_ip *addr, __be16 port, __u8 family);
int shunt_backend_set_weight(struct shunt *s,
			     const struct shunt_frontend_key *key,
			     const union shunt_ip *addr, __be16 port,
			     __u8 family, __u32 weight);
int shunt_backend_set_state(struct shunt *s,
			    const struct shunt_frontend_key *key,
			    const union shunt_ip *addr, __be16 port,
			    __u8 family, enum shunt_backend_state state);
/* Make the backends of key's service exactly want[0..n-1], with a single
 * table swap. Backends that stay keep their ids (and open flows). */
int shunt_backend_sync(struct shunt *s, const struct shunt_frontend_key *key,
		       const struct shunt_backend_spec *want, size_t n);

/* Backends of service svc_id, or of all when 0; sorted by service id,
 * then address and port. Free *out. */
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

/* Most backends a service with this table size (0: automatic) can have. */
__u32 shunt_backend_capacity(__u32 table_size);

/* The live Maglev table of a service: *m slots of backend ids. Free
 * *table. */
int shunt_table_read(struct shunt *s, __u32 svc_id, __u32 **table, __u32 *m);

#endif /* SHUNT_SERVICE_H */
