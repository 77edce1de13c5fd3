/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The declarative services file (YAML or JSON) of shuntd and
 * `shuntctl apply -f`:
 *
 *   services:
 *     - name: web              # optional, unique; default "VIP:PORT/PROTO"
 *       vip: 10.96.0.10        # IPv4 or IPv6
 *       port: 80
 *       protocol: tcp          # tcp (default) or udp
 *       node_port: 30080       # optional: also on every node address
 *       external_ips: [192.0.2.10]  # optional: also these, at port
 *       table_size: 1021       # optional, a prime; default: automatic
 *       affinity: 10800        # optional, ClientIP affinity seconds
 *       lb_mode: dsr           # optional: snat or dsr (external traffic)
 *       source_ranges: [198.51.100.0/24]  # optional: only these clients,
 *                              # on every frontend (the service's family)
 *       backends:
 *         - address: 10.0.1.5
 *           port: 8080
 *           weight: 1          # optional, 1..65535
 *           state: active      # optional: active or draining
 *
 * Each entry is one service (one backend set and Maglev table) with its
 * frontends: VIP:port, the NodePort wildcard *:node_port and the external
 * IPs. The whole file is checked before anything is used; the first
 * problem is reported as "FILE:LINE: reason".
 */
#ifndef SHUNT_SVCFILE_H
#define SHUNT_SVCFILE_H

#include <stddef.h>
#include "reconcile.h"

/* 0, or -EINVAL / -errno with err filled. */
int shunt_svcfile_load(const char *path, struct shunt_desired *out, char *err,
		       size_t errlen);
/* The same from memory (name for messages). */
int shunt_svcfile_parse(const char *name, const char *buf, size_t len,
			struct shunt_desired *out, char *err, size_t errlen);

#endif /* SHUNT_SVCFILE_H */
