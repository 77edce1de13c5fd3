/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The declarative services file (YAML or JSON) of shuntd and
 * `shuntctl apply -f`:
 *
 *   services:
 *     - name: web              # optional
 *       vip: 10.96.0.10        # IPv4 or IPv6
 *       port: 80
 *       protocol: tcp          # tcp (default) or udp
 *       table_size: 16381      # optional, a prime
 *       affinity: 10800        # optional, ClientIP affinity seconds
 *       backends:
 *         - address: 10.0.1.5
 *           port: 8080
 *           weight: 1          # optional, 1..65535
 *           state: active      # optional: active or draining
 *
 * The whole file is checked before anything is used; the first problem
 * is reported as "FILE:LINE: reason".
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
