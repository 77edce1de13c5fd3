/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-service and per-port policies for TCP sockets (sockmap_policy_map,
 * tune_map), keyed by struct shunt_frontend_key: a service, or a port alone
 * (vip zero, family 0). A connecting socket matches, in order, the
 * service it asked for (from sock_vip_map), that service's port, and the
 * port it is connected to; an accepted socket matches its local port.
 */
#ifndef SHUNT_BPF_POLICY_H
#define SHUNT_BPF_POLICY_H

#include "maps.h"
#include "sockkey.h"

SHUNT_INLINE void *policy_port(void *map, __u16 port)
{
	struct shunt_frontend_key key = {};

	key.port = bpf_htons(port);
	key.proto = IPPROTO_TCP;
	return bpf_map_lookup_elem(map, &key);
}

/* The policy of a socket from map, or NULL. k: the socket's own key. */
SHUNT_INLINE void *policy_lookup(void *map, struct bpf_sock_ops *skops,
				 const struct shunt_sock_key *k, bool active)
{
	struct shunt_frontend_key key = {};
	struct shunt_sock_rev *rev = NULL;
	struct shunt_sock_vip *sv;
	struct bpf_sock *sk;
	void *v;

	if (!active)
		return policy_port(map, k->lport);
	sk = skops->sk;
	if (sk) {
		sv = bpf_sk_storage_get(&sock_vip_map, sk, 0, 0);
		if (sv)
			rev = &sv->rev;
	}
	if (rev) {
		key.vip = rev->vip;
		key.port = rev->port;
		key.proto = IPPROTO_TCP;
		key.family = rev->family;
		v = bpf_map_lookup_elem(map, &key);
		if (v)
			return v;
		v = policy_port(map, bpf_ntohs(rev->port));
		if (v)
			return v;
	}
	return policy_port(map, k->rport);
}

#endif /* SHUNT_BPF_POLICY_H */
