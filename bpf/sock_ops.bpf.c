// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shunt TCP socket programs: sockops applies per-socket tuning and puts
 * both ends of opted-in node-local connections into sock_hash; sk_msg
 * then moves their payload straight to the peer socket's receive queue.
 * Anything it cannot pair takes the normal TCP path.
 */
#include "lib/policy.h"
#include "lib/sockkey.h"
#include "lib/stats.h"
#include "lib/tune.h"

#define TCP_SYN_SENT_ 2
#define TCP_CLOSE_    7

/* A connecting socket joins when its service or port is opted in, and
 * waits in sock_pending_map; an accepted one joins when it finds the
 * socket at the other end waiting there: both ends are on this node. */
SHUNT_INLINE void sockmap_join(struct bpf_sock_ops *skops,
			       struct shunt_sock_key *k, bool active)
{
	struct shunt_sock_key peer;
	__u64 cookie;

	if (active) {
		if (!policy_lookup(&sockmap_policy_map, skops, k, true))
			return;
		if (bpf_sock_hash_update(skops, &sock_hash, k, BPF_NOEXIST))
			return;
		cookie = bpf_get_socket_cookie(skops);
		bpf_map_update_elem(&sock_pending_map, k, &cookie, BPF_ANY);
		/* Told of its close, to leave sock_pending_map if unpaired. */
		bpf_sock_ops_cb_flags_set(skops,
					  skops->bpf_sock_ops_cb_flags |
						  BPF_SOCK_OPS_STATE_CB_FLAG);
		count(SHUNT_C_SOCKMAP_ADD);
		return;
	}
	sockkey_peer(&peer, k);
	if (bpf_map_delete_elem(&sock_pending_map, &peer))
		return;
	if (!bpf_sock_hash_update(skops, &sock_hash, k, BPF_NOEXIST)) {
		count(SHUNT_C_SOCKMAP_ADD);
		count(SHUNT_C_SOCKMAP_PAIRS);
	}
}

SEC("sockops")
int shunt_sockops(struct bpf_sock_ops *skops)
{
	struct shunt_sock_tune *t;
	struct shunt_sock_key k;
	bool active;

	if (!SOCKKEY_FILL(&k, skops))
		return 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		/* A connecting socket's SYN, or a listener's SYN-ACK. */
		active = skops->state == TCP_SYN_SENT_;
		t = policy_lookup(&tune_map, skops, &k, active);
		skops->reply = tune_syn_rto(t);
		return 1;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->args[1] == TCP_CLOSE_)
			bpf_map_delete_elem(&sock_pending_map, &k);
		return 1;
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		t = policy_lookup(&tune_map, skops, &k, true);
		if (t && skops->is_fullsock)
			tune_apply(skops, t);
		return 1;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		active = skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB;
		t = policy_lookup(&tune_map, skops, &k, active);
		if (t) {
			if (!active)
				tune_apply(skops, t);
			tune_established(skops, t);
		}
		sockmap_join(skops, &k, active);
		return 1;
	default:
		return 1;
	}
}

/*
 * Payload of a socket in sock_hash: straight into the peer's receive
 * queue. A socket that ever sent data the normal way (its peer had not
 * joined yet, or is gone) keeps doing so: bytes already on the TCP path
 * must not be overtaken by redirected ones.
 */
SEC("sk_msg")
int shunt_sk_msg(struct sk_msg_md *msg)
{
	struct shunt_sock_key k, peer;
	struct bpf_sock *sk = msg->sk;
	__u32 size = msg->size, *state;

	if (!sk || !SOCKKEY_FILL(&k, msg))
		return SK_PASS;
	state = bpf_sk_storage_get(&sock_state_map, sk, 0,
				   BPF_SK_STORAGE_GET_F_CREATE);
	if (!state || (*state & SHUNT_SOCK_F_TCP_ONLY))
		return SK_PASS;
	sockkey_peer(&peer, &k);
	if (bpf_msg_redirect_hash(msg, &sock_hash, &peer, BPF_F_INGRESS) !=
	    SK_PASS) {
		*state |= SHUNT_SOCK_F_TCP_ONLY;
		count(SHUNT_C_SOCKMAP_NO_PEER);
		return SK_PASS;
	}
	count(SHUNT_C_SOCKMAP_MSGS);
	count_add(SHUNT_C_SOCKMAP_BYTES, size);
	return SK_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
