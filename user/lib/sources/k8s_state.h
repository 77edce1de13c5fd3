/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Kubernetes source's translated state, kept incrementally: each
 * Service's desired services (k8s_translate_service()), who claims which
 * frontend, and what changed since the last sync. A frontend claimed by
 * two Services stays with the first by namespace/name, as in
 * k8s_model_desired(); when a claim changes hands, both Services' output
 * changes. So one event costs what it changes, and the state a sync
 * produces equals a full translation of the same objects.
 */
#ifndef SHUNT_K8S_STATE_H
#define SHUNT_K8S_STATE_H

#include <stddef.h>
#include "reconcile.h"

struct k8s_state;

struct k8s_state *k8s_state_new(void);
void k8s_state_free(struct k8s_state *st);

/* Service key ("namespace/name") now translates to specs, which the
 * state takes over (specs is left empty); an empty specs: the Service is
 * gone or serves nothing. 0 or -ENOMEM. */
int k8s_state_set(struct k8s_state *st, const char *key,
		  struct shunt_desired *specs);

/* What changed since the last delta or full: the services to apply (as
 * they are now, frontends claimed by an earlier Service left out) and
 * the names no longer produced (free with k8s_names_free). 0, -ENOMEM. */
int k8s_state_delta(struct k8s_state *st, struct shunt_desired *upsert,
		    char ***remove, size_t *n_remove);
/* Every service, sorted by name (a full reconcile). 0 or -ENOMEM. */
int k8s_state_full(struct k8s_state *st, struct shunt_desired *out);

void k8s_names_free(char **names, size_t n);

#endif /* SHUNT_K8S_STATE_H */
