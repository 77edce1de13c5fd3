/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Conntrack garbage collection: the datapath only notices that a flow
 * expired when its next packet comes; GC removes the entries of flows that
 * are gone, so the LRU never has to evict live flows for dead ones.
 */
#ifndef SHUNT_CTGC_H
#define SHUNT_CTGC_H

#include <stdbool.h>
#include <stddef.h>
#include "shunt.h"

#define SHUNT_GC_NEAR_FULL_PCT 90

struct shunt_gc_result {
	size_t scanned; /* entries looked at (both directions) */
	size_t removed; /* entries deleted */
	size_t flows;	/* live flows (FWD entries) left */
	size_t by_state[SHUNT_CT_STATE_MAX]; /* live flows by state */
	size_t capacity;		     /* ct_map size */
	bool near_full; /* entries above SHUNT_GC_NEAR_FULL_PCT % */
};

/*
 * One pass: a FWD entry is dead when idle longer than its state's
 * lifetime (config_map), or when its backend no longer serves its service
 * (deleted services and backends leave their flows to GC: a delete costs
 * no conntrack walk); a REV entry when its own FWD entry is gone or dead
 * (a flow that only sends one way keeps its reply translation).
 * Deletes in batches of `batch` (0: a default), so the table is never
 * locked for long.
 */
int shunt_ct_gc(struct shunt *s, size_t batch, struct shunt_gc_result *r);

#endif /* SHUNT_CTGC_H */
