/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Hashing shared by the datapath and userspace: the datapath hashes a flow
 * to pick a Maglev slot, userspace (Maglev builder, tests) must reproduce
 * the same numbers. Bob Jenkins' lookup3 mixing on 32-bit words.
 */
#ifndef SHUNT_HASH_H
#define SHUNT_HASH_H

#include <linux/types.h>
#include "abi.h"

#ifndef SHUNT_INLINE
#define SHUNT_INLINE static inline __attribute__((always_inline))
#endif

#define SHUNT_HASH_INIT		 0xdeadbeefU
#define SHUNT_FLOW_SEED		 0x5348554eU /* "SHUN" */
#define SHUNT_MAGLEV_SEED_OFFSET 0x6d61676cU
#define SHUNT_MAGLEV_SEED_SKIP	 0x736b6970U

SHUNT_INLINE __u32 shunt_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

#define SHUNT_HASH_MIX(a, b, c)                                                \
	do {                                                                   \
		a -= c;                                                        \
		a ^= shunt_rol32(c, 4);                                        \
		c += b;                                                        \
		b -= a;                                                        \
		b ^= shunt_rol32(a, 6);                                        \
		a += c;                                                        \
		c -= b;                                                        \
		c ^= shunt_rol32(b, 8);                                        \
		b += a;                                                        \
		a -= c;                                                        \
		a ^= shunt_rol32(c, 16);                                       \
		c += b;                                                        \
		b -= a;                                                        \
		b ^= shunt_rol32(a, 19);                                       \
		a += c;                                                        \
		c -= b;                                                        \
		c ^= shunt_rol32(b, 4);                                        \
		b += a;                                                        \
	} while (0)

#define SHUNT_HASH_FINAL(a, b, c)                                              \
	do {                                                                   \
		c ^= b;                                                        \
		c -= shunt_rol32(b, 14);                                       \
		a ^= c;                                                        \
		a -= shunt_rol32(c, 11);                                       \
		b ^= a;                                                        \
		b -= shunt_rol32(a, 25);                                       \
		c ^= b;                                                        \
		c -= shunt_rol32(b, 16);                                       \
		a ^= c;                                                        \
		a -= shunt_rol32(c, 4);                                        \
		b ^= a;                                                        \
		b -= shunt_rol32(a, 14);                                       \
		c ^= b;                                                        \
		c -= shunt_rol32(b, 24);                                       \
	} while (0)

/* Hash of 3 words. */
SHUNT_INLINE __u32 shunt_hash_3words(__u32 a, __u32 b, __u32 c, __u32 seed)
{
	a += SHUNT_HASH_INIT + (3 << 2) + seed;
	b += SHUNT_HASH_INIT + (3 << 2) + seed;
	c += SHUNT_HASH_INIT + (3 << 2) + seed;
	SHUNT_HASH_FINAL(a, b, c);
	return c;
}

/* Hash of a 16-byte address, folded with an extra word. */
SHUNT_INLINE __u32 shunt_hash_ip(const union shunt_ip *ip, __u32 extra,
				 __u32 seed)
{
	__u32 a, b, c;

	a = b = c = SHUNT_HASH_INIT + (5 << 2) + seed;
	a += ip->v6[0];
	b += ip->v6[1];
	c += ip->v6[2];
	SHUNT_HASH_MIX(a, b, c);
	a += ip->v6[3];
	b += extra;
	SHUNT_HASH_FINAL(a, b, c);
	return c;
}

/*
 * Flow hash used to pick a Maglev slot: both addresses, both ports and
 * the protocol, so every connection of a client may land elsewhere.
 */
SHUNT_INLINE __u32 shunt_flow_hash(const union shunt_ip *src,
				   const union shunt_ip *dst, __be16 sport,
				   __be16 dport, __u8 proto)
{
	__u32 h = shunt_hash_ip(src, ((__u32)sport << 16) | dport,
				SHUNT_FLOW_SEED);

	return shunt_hash_ip(dst, proto, h);
}

/* Hash used for ClientIP affinity: the client address only. */
SHUNT_INLINE __u32 shunt_client_hash(const union shunt_ip *src)
{
	return shunt_hash_ip(src, 0, SHUNT_FLOW_SEED);
}

#endif /* SHUNT_HASH_H */
