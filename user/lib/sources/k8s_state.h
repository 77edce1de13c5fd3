/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Kubernetes source's translated state, kept incrementally: each
 * Service's desired services (k8s_translate_service()), who claims which
 * frontend and which ClusterIP, and what changed since the last sync.
 * VIP ownership follows k8s_model_desired(): an externalIP or load
 * balancer IP that is another Service's ClusterIP is refused; a frontend
 * claimed by several Services stays with the first by (ClusterIP
 * frontends first, the older Service, namespace/name). When a claim or
 * a ClusterIP changes hands, every Service concerned is output again.
 * So one event costs what it changes, and the state a sync produces
 * equals a full translation of the same objects.
 */
#ifndef SHUNT_K8S_STATE_H
#define SHUNT_K8S_STATE_H

#include <stddef.h>
#include "k8s_model.h"
#include "reconcile.h"

struct k8s_state;

struct k8s_state *k8s_state_new(void);
void k8s_state_free(struct k8s_state *st);

/* Service key ("namespace/name"), created at created (its rank among
 * claimants, K8S_CREATED_UNKNOWN: the newest), now translates to specs,
 * which the state takes over (specs is left empty); an empty specs: the
 * Service is gone or serves nothing. 0 or -ENOMEM. */
int k8s_state_set(struct k8s_state *st, const char *key, __u64 created,
		  struct shunt_desired *specs);

/* Each frontend refused while a delta or full is made goes to fn. */
void k8s_state_on_refused(struct k8s_state *st, k8s_refused_fn *fn, void *arg);

/* What changed since the last delta or full: the services to apply (as
 * they are now, frontends claimed by an earlier Service left out) and
 * the names no longer produced (free with k8s_names_free). 0, -ENOMEM. */
int k8s_state_delta(struct k8s_state *st, struct shunt_desired *upsert,
		    char ***remove, size_t *n_remove);
/* Every service, sorted by name (a full reconcile). 0 or -ENOMEM. */
int k8s_state_full(struct k8s_state *st, struct shunt_desired *out);

void k8s_names_free(char **names, size_t n);

#endif /* SHUNT_K8S_STATE_H */
