/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Counters: global ones by reason, traffic per service and backend. */
#ifndef SHUNT_BPF_STATS_H
#define SHUNT_BPF_STATS_H

#include "maps.h"

SHUNT_INLINE void count_add(enum shunt_counter c, __u64 n)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&global_stats_map, &key);

	if (v)
		*v += n;
}

SHUNT_INLINE void count(enum shunt_counter c)
{
	count_add(c, 1);
}

/* Traffic of one service or backend (map: svc_stats_map or
 * backend_stats_map). */
SHUNT_INLINE void stats_add(void *map, __u32 id, __u64 bytes, bool fwd,
			    bool new_flow)
{
	struct shunt_traffic_stats *s = bpf_map_lookup_elem(map, &id);

	if (!s)
		return;
	if (fwd) {
		s->fwd_packets++;
		s->fwd_bytes += bytes;
	} else {
		s->rev_packets++;
		s->rev_bytes += bytes;
	}
	if (new_flow)
		s->new_flows++;
}

SHUNT_INLINE void stats_no_backend(__u32 svc_id)
{
	struct shunt_traffic_stats *s;

	s = bpf_map_lookup_elem(&svc_stats_map, &svc_id);
	if (s)
		s->no_backend++;
}

#endif /* SHUNT_BPF_STATS_H */
