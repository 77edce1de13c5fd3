// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A source's desired services (reconcile.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"
#include "vec.h"

void shunt_desired_init(struct shunt_desired *d)
{
	memset(d, 0, sizeof(*d));
}

void shunt_desired_free(struct shunt_desired *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		shunt_spec_free(&d->svcs[i]);
	free(d->svcs);
	shunt_desired_init(d);
}

static void *dup_array(const void *src, size_t n, size_t size, int *err)
{
	void *p;

	if (!n)
		return NULL;
	p = malloc(n * size);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(p, src, n * size);
	return p;
}

int shunt_desired_add(struct shunt_desired *d,
		      const struct shunt_service_spec *spec)
{
	struct shunt_service_spec *dst;
	int err = vec_reserve((void **)&d->svcs, &d->cap, d->n + 1,
			      sizeof(*d->svcs));

	if (err)
		return err;
	dst = &d->svcs[d->n];
	*dst = *spec;
	dst->frontends = dup_array(spec->frontends, spec->n_frontends,
				   sizeof(*spec->frontends), &err);
	dst->backends = dup_array(spec->backends, spec->n_backends,
				  sizeof(*spec->backends), &err);
	dst->src_ranges = dup_array(spec->src_ranges, spec->n_src_ranges,
				    sizeof(*spec->src_ranges), &err);
	if (err) {
		shunt_spec_free(dst);
		return err;
	}
	d->n++;
	return 0;
}

struct shunt_service_spec *shunt_desired_find(const struct shunt_desired *d,
					      const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->svcs[i].name, name))
			return &d->svcs[i];
	return NULL;
}

struct shunt_service_spec *
shunt_desired_find_frontend(const struct shunt_desired *d,
			    const struct shunt_frontend_key *key)
{
	size_t i, j;

	for (i = 0; i < d->n; i++)
		for (j = 0; j < d->svcs[i].n_frontends; j++)
			if (!memcmp(&d->svcs[i].frontends[j].key, key,
				    sizeof(*key)))
				return &d->svcs[i];
	return NULL;
}
