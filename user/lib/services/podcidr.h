/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This node's pod CIDRs in pod_cidr_map (shuntd --pod-cidrs): a packet
 * from one of them is a pod of this node, which kube-proxy's
 * short-circuit gives the cluster set of a Local policy's external
 * frontends (abi.h cluster_svc_id).
 */
#ifndef SHUNT_PODCIDR_H
#define SHUNT_PODCIDR_H

#include <stddef.h>
#include "nodeaddrs.h"
#include "shunt.h"

/* Make the map exactly cidrs[0..n-1]. -EINVAL for a bad family or
 * prefix, -ENOSPC beyond SHUNT_POD_CIDR_MAX; the map is then as it was
 * or holds only the wanted ones. */
int shunt_pod_cidrs_set(struct shunt *s, const struct shunt_cidr *cidrs,
			size_t n);
/* Every CIDR in the map, in no particular order. Free *out. */
int shunt_pod_cidrs_list(struct shunt *s, struct shunt_cidr **out, size_t *n);

#endif /* SHUNT_PODCIDR_H */
