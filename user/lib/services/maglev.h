/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016), with weights.
 *
 * Every backend walks its own permutation of the table slots and claims
 * the next free one each time it takes a turn. The permutation depends
 * only on the backend's identity (address, port, family):
 *
 *   extra  = ((__u32)port << 16) | family
 *   offset = shunt_hash_ip(&addr, extra, SHUNT_MAGLEV_SEED_OFFSET) % m
 *   skip   = shunt_hash_ip(&addr, extra, SHUNT_MAGLEV_SEED_SKIP) % (m - 1) + 1
 *   slot j = (offset + j * skip) % m
 *
 * For IPv4 only addr.v4 counts; the other 12 bytes are taken as zero.
 *
 * Turns go in rounds r = 0, 1, 2, ... With W the largest weight, backend
 * i takes a turn in round r iff floor((r + 1) * w_i / W) > floor(r * w_i / W),
 * so the heaviest backends take one every round. Within a round backends
 * go in canonical order: family, then the 16 address bytes, then the port
 * bytes in network order (memcmp order). Building stops as soon as every
 * slot is taken, so a backend ends up within one slot of its share of the
 * rounds, and neither input order nor ids change which slots it owns.
 */
#ifndef SHUNT_MAGLEV_H
#define SHUNT_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <shunt/abi.h>

struct maglev_backend {
	__u32 id;	     /* written into the slots this backend owns */
	__u32 weight;	     /* SHUNT_WEIGHT_MIN..SHUNT_WEIGHT_MAX */
	union shunt_ip addr; /* identity: addr, port and family */
	__be16 port;
	__u8 family; /* SHUNT_V4 or SHUNT_V6 */
};

/* True iff n is a prime number. Any __u32 n. */
bool maglev_is_prime(__u32 n);

/*
 * Fill table[0..m-1] with backend ids. m must be a prime in
 * [SHUNT_MAGLEV_MIN, SHUNT_MAGLEV_MAX]. n == 0 fills every slot with
 * SHUNT_BACKEND_NONE (backends may then be NULL).
 *
 * Returns 0, -EINVAL (bad m, NULL table or backends, weight out of range,
 * id == SHUNT_BACKEND_NONE, family neither SHUNT_V4 nor SHUNT_V6, two
 * backends with the same identity, n > m) or -ENOMEM. On error the table
 * is left untouched.
 */
int maglev_build(const struct maglev_backend *backends, size_t n, __u32 m,
		 __u32 *table);

#endif /* SHUNT_MAGLEV_H */
