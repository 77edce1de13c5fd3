// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Making the maps match a source's desired services, against the model. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "reconcile.h"

static void note_error(struct shunt_reconcile_result *res, const char *name,
		       const char *why)
{
	if (!res->first_error[0])
		snprintf(res->first_error, sizeof(res->first_error),
			 "service %s: %s", name, why);
}

static bool owned(const struct model_svc *svc, __u32 owner)
{
	return (svc->rec.flags & SHUNT_SVC_F_OWNERS) == owner;
}

static bool name_eq(const void *item, const void *key)
{
	return !strcmp(((const struct shunt_service_spec *)item)->name, key);
}

/* want by name; a second spec of one name is refused (failed). */
static int index_want(const struct shunt_desired *want, struct hindex *h,
		      bool *dup, struct shunt_reconcile_result *res)
{
	uint64_t hash;
	size_t i;
	int err;

	for (i = 0; i < want->n; i++) {
		hash = hindex_hash_str(want->svcs[i].name);
		if (hindex_get(h, hash, want->svcs[i].name, name_eq)) {
			dup[i] = true;
			res->failed++;
			note_error(res, want->svcs[i].name, "duplicate name");
			continue;
		}
		err = hindex_put(h, hash, &want->svcs[i]);
		if (err)
			return err;
	}
	return 0;
}

static void apply_one(struct shunt *s, struct apply_batch *b, __u32 owner,
		      const struct shunt_service_spec *spec,
		      struct shunt_reconcile_result *res)
{
	bool existed = model_svc_by_name(s->model, spec->name), changed;
	int err;

	err = apply_service(s, b, spec, owner, &changed);
	if (err == -EPERM) {
		res->conflicts++;
		note_error(res, spec->name, "owned by another source");
	} else if (err == -EBUSY) {
		res->conflicts++;
		note_error(res, spec->name,
			   "a frontend belongs to another service");
	} else if (err) {
		res->failed++;
		note_error(res, spec->name, strerror(-err));
	} else if (!existed) {
		res->added++;
	} else if (changed) {
		res->updated++;
	} else {
		res->unchanged++;
	}
}

/* Deletions and frontend hand-overs first, so that a frontend moving
 * from one service to another in this change is free when it is taken;
 * then every wanted service; then one flush. */
static int run(struct shunt *s, __u32 owner, const struct shunt_desired *want,
	       const bool *dup, struct model_svc **gone, size_t n_gone,
	       struct shunt_reconcile_result *res)
{
	struct apply_batch *b = apply_batch_new();
	struct model_svc *svc;
	size_t i;
	int err = 0;

	if (!b)
		return -ENOMEM;
	for (i = 0; !err && i < n_gone; i++) {
		err = apply_delete(s, b, gone[i]);
		res->removed += !err;
	}
	for (i = 0; !err && i < want->n; i++) {
		svc = model_svc_by_name(s->model, want->svcs[i].name);
		if (svc && !dup[i] && owned(svc, owner))
			err = apply_trim_frontends(s, b, svc, &want->svcs[i]);
	}
	for (i = 0; !err && i < want->n; i++) {
		if (!dup[i])
			apply_one(s, b, owner, &want->svcs[i], res);
		err = apply_batch_failed(b);
	}
	if (!err)
		err = apply_flush(s, b);
	apply_batch_free(b);
	return err;
}

static int reconcile(struct shunt *s, __u32 owner,
		     const struct shunt_desired *want, bool full,
		     const char *const *remove, size_t n_remove,
		     struct shunt_reconcile_result *res)
{
	struct model_svc **gone = NULL, *svc;
	struct shunt_model *m;
	struct hindex by_name;
	size_t n_gone = 0, i;
	bool *dup;
	__u32 id;
	int err;

	memset(res, 0, sizeof(*res));
	hindex_init(&by_name);
	err = model_get(s, &m);
	if (err)
		return err;
	dup = calloc(want->n + 1, sizeof(*dup));
	gone = calloc((full ? m->n_svcs : n_remove) + 1, sizeof(*gone));
	err = dup && gone ? index_want(want, &by_name, dup, res) : -ENOMEM;
	for (id = 1; !err && full && id <= m->cap.services; id++) {
		svc = m->svcs[id];
		if (svc && owned(svc, owner) &&
		    !hindex_get(&by_name, hindex_hash_str(svc->rec.name),
				svc->rec.name, name_eq))
			gone[n_gone++] = svc;
	}
	for (i = 0; !err && !full && i < n_remove; i++) {
		svc = model_svc_by_name(m, remove[i]);
		if (svc && owned(svc, owner) &&
		    !hindex_get(&by_name, hindex_hash_str(remove[i]), remove[i],
				name_eq))
			gone[n_gone++] = svc;
	}
	if (!err)
		err = run(s, owner, want, dup, gone, n_gone, res);
	hindex_free(&by_name);
	free(dup);
	free(gone);
	if (err)
		return err;
	return res->failed ? -EIO : 0;
}

int shunt_reconcile(struct shunt *s, __u32 owner,
		    const struct shunt_desired *want,
		    struct shunt_reconcile_result *res)
{
	return reconcile(s, owner, want, true, NULL, 0, res);
}

int shunt_reconcile_delta(struct shunt *s, __u32 owner,
			  const struct shunt_desired *upsert,
			  const char *const *remove, size_t n_remove,
			  struct shunt_reconcile_result *res)
{
	return reconcile(s, owner, upsert, false, remove, n_remove, res);
}
