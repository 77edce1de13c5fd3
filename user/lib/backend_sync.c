// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Declarative backend sets: the whole desired list of a service applied
 * as one change, the primitive behind config files and the Kubernetes
 * source. Order: write new and changed backend_map entries, swap in the
 * table built from the desired set, then delete the backends that left.
 * A failure before the swap restores every entry it touched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "ids.h"
#include "service.h"
#include "stats.h"
#include "table.h"

struct sync_plan {
	struct shunt_backend_info *cur; /* current backends */
	size_t ncur;
	struct shunt_backend_info *next; /* desired, with ids */
	size_t n;
	bool *kept;		   /* per cur: still wanted */
	bool *written;		   /* per next: entry written by us */
	struct shunt_backend *old; /* per next: entry before, if it existed */
	bool *existed;
};

static int spec_cmp(const void *a, const void *b)
{
	const struct shunt_backend_spec *x = a, *y = b;
	int c = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->family - y->family;
}

static int check_specs(const struct shunt_svc_key *key,
		       const struct shunt_svc *svc,
		       const struct shunt_backend_spec *want, size_t n)
{
	struct shunt_backend_spec *sorted;
	size_t i;
	int err = 0;

	if (n > shunt_backend_capacity(svc->table_size))
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		if (want[i].family != key->family)
			return -EAFNOSUPPORT;
		if (!want[i].port || want[i].weight < SHUNT_WEIGHT_MIN ||
		    want[i].weight > SHUNT_WEIGHT_MAX ||
		    (want[i].state != SHUNT_BE_ACTIVE &&
		     want[i].state != SHUNT_BE_DRAINING))
			return -EINVAL;
	}
	if (n < 2)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, want, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), spec_cmp);
	for (i = 1; i < n && !err; i++)
		if (!spec_cmp(&sorted[i - 1], &sorted[i]))
			err = -EEXIST;
	free(sorted);
	return err;
}

static ssize_t find_cur(const struct sync_plan *p,
			const struct shunt_backend_spec *w)
{
	size_t i;

	for (i = 0; i < p->ncur; i++)
		if (shunt_backend_is(&p->cur[i].be, &w->addr, w->port,
				     w->family))
			return i;
	return -1;
}

/* Write entry i of the plan (new or changed). */
static int write_one(struct shunt *s, struct sync_plan *p, size_t i,
		     __u32 svc_id)
{
	struct shunt_backend_info *b = &p->next[i];
	int err;

	if (!p->existed[i]) {
		err = ids_alloc_backend(s, svc_id, &b->be.addr, b->be.port,
					&b->id);
		if (!err)
			err = stats_reset(s->backend_stats_map, b->id);
		if (err)
			return err;
		if (bpf_map_update_elem(s->backend_map, &b->id, &b->be,
					BPF_NOEXIST))
			return errno == E2BIG ? -ENOSPC : -errno;
	} else if (memcmp(&p->old[i], &b->be, sizeof(b->be))) {
		if (bpf_map_update_elem(s->backend_map, &b->id, &b->be,
					BPF_EXIST))
			return -errno;
	} else {
		return 0;
	}
	p->written[i] = true;
	return 0;
}

static void undo(struct shunt *s, struct sync_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (!p->written[i])
			continue;
		if (p->existed[i])
			bpf_map_update_elem(s->backend_map, &p->next[i].id,
					    &p->old[i], BPF_EXIST);
		else
			bpf_map_delete_elem(s->backend_map, &p->next[i].id);
	}
}

static int plan_alloc(struct sync_plan *p, size_t n)
{
	size_t m = n ? n : 1;

	p->n = n;
	p->next = calloc(m, sizeof(*p->next));
	p->written = calloc(m, sizeof(*p->written));
	p->old = calloc(m, sizeof(*p->old));
	p->existed = calloc(m, sizeof(*p->existed));
	p->kept = calloc(p->ncur ? p->ncur : 1, sizeof(*p->kept));
	return p->next && p->written && p->old && p->existed && p->kept
		       ? 0
		       : -ENOMEM;
}

static void plan_free(struct sync_plan *p)
{
	free(p->cur);
	free(p->next);
	free(p->written);
	free(p->old);
	free(p->existed);
	free(p->kept);
}

int shunt_backend_sync(struct shunt *s, const struct shunt_svc_key *key,
		       const struct shunt_backend_spec *want, size_t n)
{
	struct sync_plan p = {};
	struct shunt_svc svc;
	size_t i;
	ssize_t c;
	int err;

	err = shunt_service_get(s, key, &svc);
	if (!err)
		err = check_specs(key, &svc, want, n);
	/* A service that never had a table has no backends yet: no need to
	 * walk backend_map (it matters when thousands are created). */
	if (!err && svc.table_gen)
		err = shunt_backend_list(s, svc.id, &p.cur, &p.ncur);
	if (!err)
		err = plan_alloc(&p, n);
	for (i = 0; !err && i < n; i++) {
		struct shunt_backend *be = &p.next[i].be;

		be->addr = want[i].addr;
		be->port = want[i].port;
		be->family = want[i].family;
		be->state = want[i].state;
		be->weight = want[i].weight;
		be->svc_id = svc.id;
		c = find_cur(&p, &want[i]);
		if (c >= 0) {
			p.kept[c] = true;
			p.existed[i] = true;
			p.next[i].id = p.cur[c].id;
			p.old[i] = p.cur[c].be;
		}
		err = write_one(s, &p, i, svc.id);
	}
	if (!err)
		err = table_publish(s, key, &svc, p.next, n);
	if (err) {
		undo(s, &p);
		goto out;
	}
	for (i = 0; i < p.ncur; i++)
		if (!p.kept[i])
			bpf_map_delete_elem(s->backend_map, &p.cur[i].id);
out:
	plan_free(&p);
	return err;
}
