/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Kubernetes source's healthCheckNodePorts (struct k8s_health), kept
 * per Service as it is translated: a LoadBalancer Service with
 * externalTrafficPolicy: Local and a healthCheckNodePort, and how many
 * of its ready endpoints are on this node. The caller holds the lock.
 */
#ifndef SHUNTD_K8S_HEALTH_H
#define SHUNTD_K8S_HEALTH_H

#include "hindex.h"
#include "k8s.h"

/* Service key is now svc (NULL: gone) with slices sl[0..n-1]; node is
 * this node's name. 0 or -ENOMEM. */
int k8s_health_set(struct hindex *t, const char *key,
		   const struct k8s_service *svc,
		   const struct k8s_slice *const *sl, size_t n,
		   const char *node);
/* Every entry dropped (before a full rebuild, and at the end). */
void k8s_health_clear(struct hindex *t);
/* A copy of every entry, sorted by port. 0 or -ENOMEM. */
int k8s_health_list(const struct hindex *t, struct k8s_health **out, size_t *n);

#endif /* SHUNTD_K8S_HEALTH_H */
