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

/*
 * Swapping a table into maglev_map waits for an RCU grace period (about
 * 10 ms here), so a bulk change queues the tables of the services it
 * creates and swaps them in with one batch update per TABLE_BATCH_MAX.
 * Only for new services: their backends need no removal after the swap.
 */
#define TABLE_BATCH_MAX 256

struct table_batch {
	size_t n;
	__u32 ids[TABLE_BATCH_MAX];
	int fds[TABLE_BATCH_MAX];
	struct shunt_svc_key keys[TABLE_BATCH_MAX];
	struct shunt_svc svcs[TABLE_BATCH_MAX];
};

/* Called for each queued service whose table could not be swapped in. */
typedef void (*table_batch_fail_fn)(void *ctx, const struct shunt_svc_key *key,
				    int err);

/* Swap in the queued tables and store their services; the batch is empty
 * afterwards. Returns 0 or the first -errno (fail called for each). */
int table_batch_flush(struct shunt *s, struct table_batch *b,
		      table_batch_fail_fn fail, void *ctx);

#endif /* SHUNT_TABLE_H */
