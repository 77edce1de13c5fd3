/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Declarative state: a source (the services file, the Kubernetes API)
 * describes the services it wants, by name; reconcile makes the maps
 * match, touching only services that source owns and only what differs,
 * so untouched services and their open flows are not disturbed. The diff
 * is against the in-memory model: it costs what the source gives (a full
 * state, or only what changed), and map writes cost what differs.
 */
#ifndef SHUNT_RECONCILE_H
#define SHUNT_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include "service.h"

/* A source's services: specs with their arrays owned by the container. */
struct shunt_desired {
	struct shunt_service_spec *svcs;
	size_t n, cap;
};

void shunt_desired_init(struct shunt_desired *d);
void shunt_desired_free(struct shunt_desired *d);
/* Append a copy of spec (its arrays copied too). 0 or -ENOMEM. */
int shunt_desired_add(struct shunt_desired *d,
		      const struct shunt_service_spec *spec);
/* The spec with this name, or with this frontend; NULL when none. */
struct shunt_service_spec *shunt_desired_find(const struct shunt_desired *d,
					      const char *name);
struct shunt_service_spec *
shunt_desired_find_frontend(const struct shunt_desired *d,
			    const struct shunt_frontend_key *key);

struct shunt_reconcile_result {
	size_t added, updated, removed, unchanged;
	size_t conflicts; /* a name or frontend of someone else: left alone */
	size_t failed;	  /* refused by the library (logged by the caller) */
	char first_error[256];
};

/*
 * Make the services owned by owner exactly want: add the missing ones,
 * delete the ones no longer wanted, change the others where they differ.
 * Each service is changed all or nothing; one failing service does not
 * stop the others (counted in failed, the first reason in first_error).
 * Returns 0 when nothing failed, -EIO when some service failed, another
 * -errno when the maps could not be written at all.
 */
int shunt_reconcile(struct shunt *s, __u32 owner,
		    const struct shunt_desired *want,
		    struct shunt_reconcile_result *res);

/*
 * The same for a part of the state: the services in upsert are made as
 * they say, the ones named in remove[0..n_remove-1] are deleted, every
 * other service of owner is left alone.
 */
int shunt_reconcile_delta(struct shunt *s, __u32 owner,
			  const struct shunt_desired *upsert,
			  const char *const *remove, size_t n_remove,
			  struct shunt_reconcile_result *res);

#endif /* SHUNT_RECONCILE_H */
