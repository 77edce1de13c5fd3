/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which sockets the destroy iterator ends: those the socket path
 * translated (they have sock_vip_map storage), still connected to the
 * backend it chose, for a (service, backend) pair in sock_destroy_map.
 * A socket that connected to a backend's address itself has no storage
 * and is left alone; so is one that re-connected elsewhere since.
 */
#ifndef SHUNT_BPF_SOCKDESTROY_H
#define SHUNT_BPF_SOCKDESTROY_H

#include "kernsock.h"
#include "sockvip.h"

/* The (service, backend) pairs to end, filled before each run. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHUNT_SOCK_DESTROY_MAX);
	__type(key, struct shunt_sock_target);
	__type(value, __u32);
} sock_destroy_map SEC(".maps");

/* Is the socket's peer the backend its storage says it went to? */
SHUNT_INLINE bool sd_peer_is(const struct sock_common *skc,
			     const struct shunt_sock_vip *v)
{
	if (skc->skc_dport != v->backend_port)
		return false;
	if (v->backend_family == SHUNT_V4)
		return skc->skc_daddr == v->backend.v4;
	if (v->backend_family != SHUNT_V6 || skc->skc_family != AF_INET6)
		return false;
	return skc->skc_v6_daddr.in6_u.u6_addr32[0] == v->backend.v6[0] &&
	       skc->skc_v6_daddr.in6_u.u6_addr32[1] == v->backend.v6[1] &&
	       skc->skc_v6_daddr.in6_u.u6_addr32[2] == v->backend.v6[2] &&
	       skc->skc_v6_daddr.in6_u.u6_addr32[3] == v->backend.v6[3];
}

/* sk: the socket as struct sock (storage), skc: its common part. */
SHUNT_INLINE bool sd_wanted(struct sock *sk, const struct sock_common *skc)
{
	struct shunt_sock_target t = {};
	struct shunt_sock_vip *v;

	v = bpf_sk_storage_get(&sock_vip_map, sk, 0, 0);
	if (!v || !sd_peer_is(skc, v))
		return false;
	t.addr = v->backend;
	t.port = v->backend_port;
	t.family = v->backend_family;
	t.svc_id = v->rev.svc_id;
	return bpf_map_lookup_elem(&sock_destroy_map, &t) != NULL;
}

#endif /* SHUNT_BPF_SOCKDESTROY_H */
