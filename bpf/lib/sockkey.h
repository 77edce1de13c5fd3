/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A TCP socket's key in sock_hash: its own addresses and ports. An IPv4
 * peer of an IPv6 socket (::ffff:a.b.c.d) is keyed as IPv4, so both ends
 * of a connection find each other whatever their socket family.
 */
#ifndef SHUNT_BPF_SOCKKEY_H
#define SHUNT_BPF_SOCKKEY_H

#include "common.h"

SHUNT_INLINE bool sockkey_mapped(const __u32 *ip6)
{
	return ip6[0] == 0 && ip6[1] == 0 && ip6[2] == bpf_htonl(0xffff);
}

/* 127.0.0.0/8 or ::1: an address every network namespace has. */
SHUNT_INLINE bool sockkey_loopback(const struct shunt_sock_key *k)
{
	if (k->family == SHUNT_V4)
		return (bpf_ntohl(k->local.v4) >> 24) == 127;
	return !k->local.v6[0] && !k->local.v6[1] && !k->local.v6[2] &&
	       k->local.v6[3] == bpf_htonl(1);
}

/* From the fields sock_ops and sk_msg share. */
#define SOCKKEY_FILL(k, ctx)                                                   \
	({                                                                     \
		int __ok = 1;                                                  \
		__builtin_memset((k), 0, sizeof(*(k)));                        \
		(k)->lport = (ctx)->local_port;                                \
		(k)->rport = bpf_ntohl((ctx)->remote_port);                    \
		if ((ctx)->family == AF_INET) {                                \
			(k)->family = SHUNT_V4;                                \
			(k)->local.v4 = (ctx)->local_ip4;                      \
			(k)->remote.v4 = (ctx)->remote_ip4;                    \
		} else if ((ctx)->family == AF_INET6) {                        \
			__u32 __l[4] = {                                       \
				(ctx)->local_ip6[0], (ctx)->local_ip6[1],      \
				(ctx)->local_ip6[2], (ctx)->local_ip6[3]};     \
			__u32 __r[4] = {                                       \
				(ctx)->remote_ip6[0], (ctx)->remote_ip6[1],    \
				(ctx)->remote_ip6[2], (ctx)->remote_ip6[3]};   \
			if (sockkey_mapped(__l) && sockkey_mapped(__r)) {      \
				(k)->family = SHUNT_V4;                        \
				(k)->local.v4 = __l[3];                        \
				(k)->remote.v4 = __r[3];                       \
			} else {                                               \
				(k)->family = SHUNT_V6;                        \
				__builtin_memcpy(&(k)->local, __l, 16);        \
				__builtin_memcpy(&(k)->remote, __r, 16);       \
			}                                                      \
		} else {                                                       \
			__ok = 0;                                              \
		}                                                              \
		if (__ok && sockkey_loopback(k))                               \
			(k)->netns = bpf_get_netns_cookie(ctx);                \
		__ok;                                                          \
	})

/* The key of the socket at the other end of k's connection. */
SHUNT_INLINE void sockkey_peer(struct shunt_sock_key *peer,
			       const struct shunt_sock_key *k)
{
	__builtin_memset(peer, 0, sizeof(*peer));
	peer->local = k->remote;
	peer->remote = k->local;
	peer->lport = k->rport;
	peer->rport = k->lport;
	peer->family = k->family;
	peer->netns = k->netns;
}

#endif /* SHUNT_BPF_SOCKKEY_H */
