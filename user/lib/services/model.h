/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The model: libshunt's in-memory picture of the services in the maps
 * (services with their names and records, frontends, backend sets), hash
 * indexed by name, frontend and backend address, built from one dump of
 * each map when a handle first needs it. Changes go to the model and to
 * the maps together (apply.h), so every operation costs what it changes,
 * and listings read the model instead of walking the maps.
 *
 * Another process may write the maps too (shuntctl next to shuntd): each
 * writer bumps ctl_map's write_gen under the pin root's lock, and a handle
 * whose model saw another generation rebuilds it when it takes the lock.
 *
 * Built under the lock, the model also repairs what a writer killed in
 * the middle of a change left behind (model_repair.c): a table that does
 * not match its service's backends is republished, ids no service owns
 * are freed.
 */
#ifndef SHUNT_MODEL_H
#define SHUNT_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "hindex.h"
#include "load.h"
#include "service.h"

struct model_svc;

struct model_fe {
	struct shunt_frontend_key key;
	struct shunt_frontend val;
	struct model_svc *svc;
	bool published; /* in frontend_map (false until a flush writes it) */
};

struct model_svc {
	__u32 id;
	struct shunt_service rec; /* its service_map entry */
	__u32 *bes;		  /* backend ids (active, draining) */
	size_t n_bes, cap_bes;
	struct model_fe **fes;
	size_t n_fes, cap_fes;
	struct shunt_src_range *ranges; /* src_range_map's, sorted */
	size_t n_ranges;
	bool has_table; /* maglev_map holds a table for it */
	__u8 pending;	/* APPLY_* work queued in the current batch */
};

#define MODEL_OWNER_IDX(flags) (((flags)&SHUNT_SVC_F_OWNERS) >> 8)

struct shunt_model {
	__u64 write_gen; /* ctl_map's write_gen this model matches */
	struct shunt_capacity cap;
	struct model_svc **svcs;	/* [0..cap.services]; NULL: free */
	struct shunt_backend *backends; /* [0..cap.backends]; family 0: free */
	bool *svc_held;			/* ids freed, reusable after flush */
	size_t n_svcs, n_held, n_backends, n_frontends, n_ranges;
	size_t n_owned[4]; /* services by owner: MODEL_OWNER_IDX(flags) */
	__u32 next_svc, next_backend; /* allocation cursors */
	struct hindex by_name;	      /* name -> model_svc */
	struct hindex by_frontend;    /* frontend key -> model_fe */
	struct hindex by_backend;     /* svc id + address -> backend */
	bool stale; /* maps may differ: rebuild before the next use */
	/* Found by the build, for model_repair(): entries no service owns. */
	struct shunt_frontend_key *orphan_fes;
	size_t n_orphan_fes;
	__u32 *orphan_tables;
	size_t n_orphan_tables;
	struct shunt_src_range_key *orphan_ranges;
	size_t n_orphan_ranges;
};

/* The handle's model, built (and, holding the lock, repaired) from the
 * maps when it has none or it is stale. 0 or -errno. */
int model_get(struct shunt *s, struct shunt_model **m);
void model_free(struct shunt *s);
/* Taking the lock: is the model still what the maps hold? */
void model_check_fresh(struct shunt *s);
/* After a change: bump ctl_map's write_gen and remember it. */
void model_written(struct shunt *s);

struct model_svc *model_svc_by_name(const struct shunt_model *m,
				    const char *name);
/* The same from a handle, its model built when needed: 0, -ENOENT when
 * there is no such service, or -errno. */
int model_find_name(struct shunt *s, const char *name, struct model_svc **out);
int model_find_frontend(struct shunt *s, const struct shunt_frontend_key *key,
			struct model_svc **out);
struct model_fe *model_fe_get(const struct shunt_model *m,
			      const struct shunt_frontend_key *key);
/* The id of svc's backend at addr:port, or 0. */
__u32 model_backend_find(const struct shunt_model *m, __u32 svc_id,
			 const union shunt_ip *addr, __be16 port, __u8 family);

/* --- changes, for apply.c and model_repair.c ----------------------- */

/* Change svc's flags (owner counts follow). */
void model_svc_set_flags(struct shunt_model *m, struct model_svc *svc,
			 __u32 flags);

/* A new service (id taken, indexed by name). -ENOSPC, -ENOMEM. */
int model_svc_new(struct shunt_model *m, const char *name,
		  struct model_svc **out);
/* Forget svc; its id is held until model_release_held(). */
void model_svc_drop(struct shunt_model *m, struct model_svc *svc);
void model_release_held(struct shunt_model *m);

/* A new backend id of svc with value be. -ENOSPC, -ENOMEM. */
int model_backend_new(struct shunt_model *m, struct model_svc *svc,
		      const struct shunt_backend *be, __u32 *id);
/* Take backend id out of svc's set (its entry stays, REMOVING, until
 * model_backend_free). */
void model_backend_unlink(struct shunt_model *m, struct model_svc *svc,
			  __u32 id);
void model_backend_free(struct shunt_model *m, __u32 id);

/* Make svc's source ranges a copy of r[0..n-1] (sorted). -ENOMEM. */
int model_svc_set_ranges(struct shunt_model *m, struct model_svc *svc,
			 const struct shunt_src_range *r, size_t n);

int model_fe_add(struct shunt_model *m, struct model_svc *svc,
		 const struct shunt_frontend_key *key, __u32 flags);
void model_fe_del(struct shunt_model *m, struct model_fe *fe);

/* Backend ids of svc in a stable order (by address, port). Free it. */
__u32 *model_svc_backends_sorted(const struct shunt_model *m,
				 const struct model_svc *svc);

/* Repair after build (model_repair.c): 0 or -errno. */
int model_repair(struct shunt *s, struct shunt_model *m);

#endif /* SHUNT_MODEL_H */
