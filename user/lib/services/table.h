/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Maglev tables in the datapath: sizing, the content hash that says which
 * backends a published table was built from, and building a table as a
 * new inner map (header + slots, abi.h) ready to be swapped in.
 */
#ifndef SHUNT_TABLE_H
#define SHUNT_TABLE_H

#include "model.h"

/*
 * The automatic size: the smallest of 251, 509, 1021, 2039, 4093, 8191,
 * 16381, 32749, 65521, 131071 that gives every backend at least
 * TABLE_SLOTS_PER_UNIT slots per unit of weight (weights counted in units
 * of the smallest one), which keeps each backend's share within about 1%
 * of its weight; the largest when none does.
 */
#define TABLE_SLOTS_PER_UNIT 100
__u32 table_auto_size(const __u32 *weights, size_t n);

/* The size svc's table gets: its explicit size, or the automatic one for
 * its active backends; 0 when it has no active backend. */
__u32 table_size_of(const struct shunt_model *m, const struct model_svc *svc);

/* Content hash of what svc's table is built from: size and the active
 * backends (ids, identities, weights), in any order. */
__u64 table_hash_of(const struct shunt_model *m, const struct model_svc *svc,
		    __u32 size);

/* A new inner map holding svc's table for size (header: size, gen,
 * hash). Returns its fd or -errno. */
int table_build(const struct shunt_model *m, const struct model_svc *svc,
		__u32 size, __u32 gen, __u64 hash);

#endif /* SHUNT_TABLE_H */
