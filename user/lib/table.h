/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Maglev table publishing, for the service and backend code. */
#ifndef SHUNT_TABLE_H
#define SHUNT_TABLE_H

#include <stddef.h>
#include "service.h"

/* Build svc's table from the active ones of its backends b[0..n-1], swap
 * it in and store svc (backend count, generation) under key. */
int table_publish(struct shunt *s, const struct shunt_svc_key *key,
		  struct shunt_svc *svc, const struct shunt_backend_info *b,
		  size_t n);

#endif /* SHUNT_TABLE_H */
