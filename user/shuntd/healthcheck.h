/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * healthCheckNodePort: for each LoadBalancer Service with
 * externalTrafficPolicy: Local, an HTTP listener on the node at the
 * Service's healthCheckNodePort that answers as kube-proxy does (200 with
 * local endpoints, 503 without), so cloud load balancers send the
 * Service's traffic only to nodes that have its pods.
 */
#ifndef SHUNTD_HEALTHCHECK_H
#define SHUNTD_HEALTHCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "k8s.h"

struct hc_server;

/* A thread serving the listeners hc_update() opens. 0 or -errno. */
int hc_start(struct hc_server **out);
/* Listen on exactly the ports of want[0..n-1] (opened, closed, their
 * answers updated). A port that cannot be opened is logged. */
void hc_update(struct hc_server *hc, const struct k8s_health *want, size_t n);
void hc_stop(struct hc_server *hc);

#endif /* SHUNTD_HEALTHCHECK_H */
