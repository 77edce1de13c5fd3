/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Includes and small definitions every shunt BPF file needs. */
#ifndef SHUNT_BPF_COMMON_H
#define SHUNT_BPF_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SHUNT_INLINE static __always_inline
/* A global function: the verifier checks it once, on its own, from its
 * argument types, instead of again on every path that calls it. Pointer
 * arguments may be NULL as far as it knows: test them first. Only for
 * the big branches of a program (docs/datapath.md, "Verifier cost"). */
#define SHUNT_GLOBAL __attribute__((noinline))
#include <shunt/abi.h>
#include <shunt/hash.h>

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

SHUNT_INLINE bool ip_equal(const union shunt_ip *a, const union shunt_ip *b)
{
	return ((a->v6[0] ^ b->v6[0]) | (a->v6[1] ^ b->v6[1]) |
		(a->v6[2] ^ b->v6[2]) | (a->v6[3] ^ b->v6[3])) == 0;
}

/* Seconds of CLOCK_MONOTONIC_COARSE: conntrack and affinity times. */
SHUNT_INLINE __u32 now_sec(void)
{
	return bpf_ktime_get_coarse_ns() / 1000000000ULL;
}

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif /* SHUNT_BPF_COMMON_H */
