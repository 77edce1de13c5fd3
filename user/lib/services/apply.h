/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one write path. A change is checked whole against the model, then
 * made in the model and queued in a batch; apply_flush() writes the batch
 * to the maps in an order that keeps every packet's view consistent:
 *
 *   0. counters of new service and backend ids reset
 *   1. frontends that go away deleted (a removed VIP stops at once),
 *      new source ranges written
 *   2. new and changed backends written (leaving ones marked REMOVING)
 *   3. tables rebuilt for services whose backends changed, swapped in
 *      (one maglev_map batch update, one RCU grace period, per chunk)
 *   4. service records written (published size, count, gen, hash)
 *   5. new frontends written (they find a live table)
 *   6. left backends, services and their tables, source ranges that go
 *      away freed
 *   7. the socket path's sockets on left backends ended (sockdestroy.h;
 *      failures reported there, never the flush's)
 *
 * A writer killed anywhere in between leaves maps the next model build
 * repairs (model.h). A failing step stops the flush and marks the model
 * stale, so the next use rebuilds it from the maps.
 */
#ifndef SHUNT_APPLY_H
#define SHUNT_APPLY_H

#include "model.h"

/* model_svc.pending */
#define APPLY_TABLE  (1U << 0) /* its table may need rebuilding */
#define APPLY_RECORD (1U << 1) /* its service_map entry changed */

struct apply_batch;

struct apply_batch *apply_batch_new(void);
void apply_batch_free(struct apply_batch *b);
/* -errno when a change failed half-way (out of memory): the batch is void
 * and the model stale; 0 otherwise. */
int apply_batch_failed(const struct apply_batch *b);

/* Make the service named spec->name exactly spec (created when missing)
 * for owner. Nothing changes when it returns an error: -EPERM (a service
 * of that name has another owner), -EEXIST (a duplicate frontend or
 * backend), -EBUSY (a frontend of another service), -EINVAL,
 * -EAFNOSUPPORT, -ENOSPC, -ENAMETOOLONG, -ENOMEM. *changed (may be NULL)
 * tells whether anything differed. */
int apply_service(struct shunt *s, struct apply_batch *b,
		  const struct shunt_service_spec *spec, __u32 owner,
		  bool *changed);
/* Drop the frontends of svc that spec does not have (so that another
 * service of the same change can take them). */
int apply_trim_frontends(struct shunt *s, struct apply_batch *b,
			 struct model_svc *svc,
			 const struct shunt_service_spec *spec);
/* Delete svc, its frontends and backends. */
int apply_delete(struct shunt *s, struct apply_batch *b, struct model_svc *svc);
/* A service named "<name>/local" (a Local policy's) records the id of
 * "<name>" (its Service's cluster set) for the short-circuit of this
 * node's own flows (abi.h cluster_svc_id). Keep that so, svc being
 * either of the two, and gone (about to be deleted) or not. */
int apply_link_cluster(struct shunt_model *m, struct apply_batch *b,
		       struct model_svc *svc, bool gone);
/* Rebuild svc's table even when its hash matches (repair). */
void apply_republish(struct apply_batch *b, struct model_svc *svc);
/* Entries no service owns, found by the model build (repair). */
int apply_drop_frontend(struct apply_batch *b,
			const struct shunt_frontend_key *key);
int apply_drop_table(struct apply_batch *b, __u32 svc_id);
int apply_drop_range(struct apply_batch *b,
		     const struct shunt_src_range_key *key);
int apply_drop_backend(struct apply_batch *b, __u32 id);

/* Write the batch (see above); the batch is empty afterwards. 0 or the
 * first -errno. */
int apply_flush(struct shunt *s, struct apply_batch *b);

#endif /* SHUNT_APPLY_H */
