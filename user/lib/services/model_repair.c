// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Repairing what a writer killed in the middle of a change left behind,
 * when a model is built under the lock. The published record of each
 * service says which backends its live table was built from (a content
 * hash); a table whose service's backends no longer hash to it is
 * rebuilt. Frontends, tables, source ranges and backends that no service
 * owns, and backends that were leaving, are freed; a Local policy's
 * service is linked to its cluster set again. Then the maps hold exactly
 * what the model says, and a source's next reconcile starts from the truth.
 */
#include <errno.h>

#include "apply.h"
#include "table.h"

static int drop_orphans(struct shunt_model *m, struct apply_batch *b)
{
	struct shunt_backend *be;
	size_t i;
	__u32 id;
	int err = 0;

	for (i = 0; !err && i < m->n_orphan_fes; i++)
		err = apply_drop_frontend(b, &m->orphan_fes[i]);
	for (i = 0; !err && i < m->n_orphan_tables; i++)
		err = apply_drop_table(b, m->orphan_tables[i]);
	for (i = 0; !err && i < m->n_orphan_ranges; i++)
		err = apply_drop_range(b, &m->orphan_ranges[i]);
	for (id = 1; !err && id <= m->cap.backends; id++) {
		be = &m->backends[id];
		if (!be->family)
			continue;
		if (be->svc_id && be->svc_id <= m->cap.services &&
		    m->svcs[be->svc_id] &&
		    model_backend_find(m, be->svc_id, &be->addr, be->port,
				       be->family) == id)
			continue; /* in its service's set */
		err = apply_drop_backend(b, id);
	}
	m->n_orphan_fes = m->n_orphan_tables = m->n_orphan_ranges = 0;
	return err;
}

/* Does svc's live table match its backends? */
static bool table_ok(const struct shunt_model *m, const struct model_svc *svc)
{
	__u32 size = table_size_of(m, svc);

	return (svc->has_table || !size) && svc->rec.live_size == size &&
	       svc->rec.table_hash == table_hash_of(m, svc, size);
}

int model_repair(struct shunt *s, struct shunt_model *m)
{
	struct apply_batch *b = apply_batch_new();
	__u32 id;
	int err;

	if (!b)
		return -ENOMEM;
	err = drop_orphans(m, b);
	for (id = 1; !err && id <= m->cap.services; id++) {
		if (!m->svcs[id])
			continue;
		if (!table_ok(m, m->svcs[id]))
			apply_republish(b, m->svcs[id]);
		/* A writer killed between a cluster set and its local
		 * service's record. */
		err = apply_link_cluster(m, b, m->svcs[id], false);
	}
	if (!err)
		err = apply_flush(s, b);
	apply_batch_free(b);
	return err;
}
