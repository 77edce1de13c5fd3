/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Incremental Internet checksum updates (RFC 1624) for hooks without an
 * skb. The tc build uses the kernel's csum helpers instead, which also
 * keep skb->csum and CHECKSUM_PARTIAL packets right.
 */
#ifndef SHUNT_BPF_CSUM_H
#define SHUNT_BPF_CSUM_H

#include "common.h"

SHUNT_INLINE __u64 csum_diff32(__u32 old, __u32 new)
{
	return (__u64)(__u32)~old + new;
}

/* Diff of an address change: 1 word for IPv4, 4 for IPv6. */
SHUNT_INLINE __u64 csum_diff_addr(const __u32 *old, const __u32 *new, bool v6)
{
	__u64 sum = csum_diff32(old[0], new[0]);

	if (v6)
		sum += csum_diff32(old[1], new[1]) +
		       csum_diff32(old[2], new[2]) +
		       csum_diff32(old[3], new[3]);
	return sum;
}

SHUNT_INLINE __u64 csum_diff16(__u16 old, __u16 new)
{
	return (__u16)~old + (__u64) new;
}

SHUNT_INLINE __u16 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Apply a diff to a checksum field: HC' = ~(~HC + diff). */
SHUNT_INLINE __u16 csum_apply(__u16 check, __u64 diff)
{
	return (__u16)~csum_fold64((__u16)~check + diff);
}

#endif /* SHUNT_BPF_CSUM_H */
