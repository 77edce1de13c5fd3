// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Making the maps match a source's desired services. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "reconcile.h"
#include "table.h"

void shunt_desired_init(struct shunt_desired *d)
{
	memset(d, 0, sizeof(*d));
}

void shunt_desired_free(struct shunt_desired *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->svcs[i].backends);
	free(d->svcs);
	shunt_desired_init(d);
}

int shunt_desired_add(struct shunt_desired *d,
		      const struct shunt_desired_service *svc)
{
	struct shunt_desired_service *grown, *dst;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;

		grown = realloc(d->svcs, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		d->svcs = grown;
		d->cap = cap;
	}
	dst = &d->svcs[d->n];
	*dst = *svc;
	dst->backends = NULL;
	if (svc->n_backends) {
		dst->backends =
			malloc(svc->n_backends * sizeof(*dst->backends));
		if (!dst->backends)
			return -ENOMEM;
		memcpy(dst->backends, svc->backends,
		       svc->n_backends * sizeof(*dst->backends));
	}
	d->n++;
	return 0;
}

struct shunt_desired_service *
shunt_desired_find(struct shunt_desired *d, const struct shunt_svc_key *key)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!memcmp(&d->svcs[i].key, key, sizeof(*key)))
			return &d->svcs[i];
	return NULL;
}

static void note_error(struct shunt_reconcile_result *res,
		       const struct shunt_svc_key *key, const char *what,
		       int err)
{
	char name[SHUNT_ADDRSTRLEN];

	res->failed++;
	if (res->first_error[0])
		return;
	snprintf(res->first_error, sizeof(res->first_error), "%s %s: %s", what,
		 shunt_format_service(key, name, sizeof(name)), strerror(-err));
}

/* Do the backends of svc_id already match want (same set, same weights
 * and states)? Then the table need not be swapped. */
static bool backends_match(struct shunt *s, __u32 svc_id,
			   const struct shunt_desired_service *want)
{
	struct shunt_backend_info *cur;
	bool same;
	size_t n, i, j;

	if (shunt_backend_list(s, svc_id, &cur, &n))
		return false;
	same = n == want->n_backends;
	for (i = 0; same && i < want->n_backends; i++) {
		const struct shunt_backend_spec *w = &want->backends[i];

		for (j = 0; j < n; j++)
			if (shunt_backend_is(&cur[j].be, &w->addr, w->port,
					     w->family))
				break;
		same = j < n && cur[j].be.weight == w->weight &&
		       cur[j].be.state == w->state;
	}
	free(cur);
	return same;
}

struct batch_ctx {
	struct shunt *s;
	struct shunt_reconcile_result *res;
};

/* A queued new service whose table did not go in: take it out again. */
static void batch_failed(void *ctx, const struct shunt_svc_key *key, int err)
{
	struct batch_ctx *c = ctx;

	note_error(c->res, key, "backends of", err);
	c->res->added--;
	shunt_service_del(c->s, key);
}

static void apply_one(struct shunt *s, __u32 owner,
		      const struct shunt_desired_service *want,
		      struct shunt_reconcile_result *res,
		      struct table_batch *batch)
{
	__u32 m = want->table_size ? want->table_size : SHUNT_MAGLEV_DEFAULT;
	struct shunt_svc before, after;
	bool existed;
	int err;

	existed = shunt_service_get(s, &want->key, &before) == 0;
	if (existed && (before.flags & SHUNT_SVC_F_OWNERS) != owner) {
		res->conflicts++;
		return;
	}
	err = shunt_service_set(s, &want->key, m, want->affinity_timeout,
				owner);
	if (err) {
		note_error(res, &want->key, "service", err);
		return;
	}
	shunt_service_get(s, &want->key, &after);
	if (existed && backends_match(s, after.id, want)) {
		if (!memcmp(&before, &after, sizeof(before)))
			res->unchanged++;
		else
			res->updated++;
		return;
	}
	/* A new service's table can wait for the batch swap. */
	s->table_batch = existed ? NULL : batch;
	err = shunt_backend_sync(s, &want->key, want->backends,
				 want->n_backends);
	s->table_batch = NULL;
	if (err) {
		note_error(res, &want->key, "backends of", err);
		if (!existed)
			shunt_service_del(s, &want->key);
		return;
	}
	if (existed)
		res->updated++;
	else
		res->added++;
}

int shunt_reconcile(struct shunt *s, __u32 owner,
		    const struct shunt_desired *want,
		    struct shunt_reconcile_result *res)
{
	struct shunt_desired *w = (struct shunt_desired *)want;
	struct batch_ctx ctx = {.s = s, .res = res};
	struct shunt_service_info *cur;
	struct table_batch *batch;
	size_t n, i;
	int err;

	memset(res, 0, sizeof(*res));
	err = shunt_service_list(s, &cur, &n);
	if (err)
		return err;
	/* Gone from the source: delete (only what this source owns). */
	for (i = 0; i < n; i++) {
		if ((cur[i].svc.flags & SHUNT_SVC_F_OWNERS) != owner ||
		    shunt_desired_find(w, &cur[i].key))
			continue;
		err = shunt_service_del(s, &cur[i].key);
		if (err)
			note_error(res, &cur[i].key, "delete", err);
		else
			res->removed++;
	}
	free(cur);
	batch = calloc(1, sizeof(*batch));
	for (i = 0; i < want->n; i++) {
		if (batch && batch->n == TABLE_BATCH_MAX)
			table_batch_flush(s, batch, batch_failed, &ctx);
		apply_one(s, owner, &want->svcs[i], res, batch);
	}
	if (batch)
		table_batch_flush(s, batch, batch_failed, &ctx);
	free(batch);
	return res->failed ? -EIO : 0;
}
