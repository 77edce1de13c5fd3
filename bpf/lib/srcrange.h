/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * loadBalancerSourceRanges: a frontend flagged SHUNT_FE_F_SRC_RANGES
 * serves only clients whose source is in one of its service's CIDRs
 * (src_range_map). Every client packet to such a frontend is checked, of
 * new flows and of established ones alike, so a narrowed list cuts the
 * flows of sources it leaves out; replies are not (they come from
 * backends).
 */
#ifndef SHUNT_BPF_SRCRANGE_H
#define SHUNT_BPF_SRCRANGE_H

#include "maps.h"
#include "parse.h"
#include "stats.h"

/* May p's source use frontend fe? Counts the ones that may not. */
SHUNT_INLINE bool src_range_allowed(const struct pkt *p,
				    const struct shunt_frontend *fe)
{
	struct shunt_src_range_key k = {};

	if (!(fe->flags & SHUNT_FE_F_SRC_RANGES))
		return true;
	k.prefixlen = SHUNT_SRC_RANGE_BASE + (p->family == SHUNT_V4 ? 32 : 128);
	k.svc_id = fe->svc_id;
	k.family = p->family;
	k.addr = p->src;
	if (bpf_map_lookup_elem(&src_range_map, &k))
		return true;
	count(SHUNT_C_DROP_SRC_RANGE);
	return false;
}

#endif /* SHUNT_BPF_SRCRANGE_H */
