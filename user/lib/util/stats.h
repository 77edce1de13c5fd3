/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the datapath's per-CPU counters, summed over CPUs. */
#ifndef SHUNT_STATS_H
#define SHUNT_STATS_H

#include "shunt.h"

/* Name of a global counter ("ct_hit", ...), NULL when out of range. */
const char *shunt_counter_name(unsigned int c);

int shunt_stats_global(struct shunt *s, __u64 out[SHUNT_C_MAX]);
int shunt_stats_service(struct shunt *s, __u32 svc_id,
			struct shunt_traffic_stats *out);
int shunt_stats_backend(struct shunt *s, __u32 backend_id,
			struct shunt_traffic_stats *out);

/* Every entry of svc_stats_map or backend_stats_map (fd) in one pass:
 * (*out)[id] for ids 0..*n-1, summed over CPUs. Free *out. */
int shunt_stats_dump(int fd, struct shunt_traffic_stats **out, size_t *n);

#endif /* SHUNT_STATS_H */
