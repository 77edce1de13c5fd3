/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Socket-level load balancing: a node-local client's connect() (or UDP
 * sendmsg()) to VIP:port is sent to a backend instead, once per socket,
 * so its packets need no NAT at all. getpeername() and UDP recvmsg() show
 * the VIP again, from sock_rev_map.
 */
#ifndef SHUNT_BPF_SOCK_H
#define SHUNT_BPF_SOCK_H

#include "lb.h"
#include "maps.h"
#include "stats.h"

#ifndef ECONNREFUSED
#define ECONNREFUSED 111
#endif
#ifndef SOCK_STREAM
#define SOCK_STREAM 1
#endif
#ifndef SOCK_DGRAM
#define SOCK_DGRAM 2
#endif

#define SYS_REJECT  0
#define SYS_PROCEED 1

enum sock_verdict {
	SOCK_UNTOUCHED = 0,
	SOCK_TRANSLATED = 1,
	SOCK_REFUSED = 2,
};

/* An address as the socket programs see it: IPv4, IPv6, or IPv4 in an
 * IPv6 socket (::ffff:a.b.c.d), which is handled as IPv4. */
struct sock_addr {
	union shunt_ip ip;
	__be16 port;
	__u8 family; /* SHUNT_V4 or SHUNT_V6 */
	__u8 mapped; /* IPv4-mapped in an IPv6 socket */
};

SHUNT_INLINE bool sock_excluded(void)
{
	__u32 key = 0;
	struct shunt_config *cfg = bpf_map_lookup_elem(&config_map, &key);
	__u64 id;
	int level;

	if (!cfg || !(cfg->flags & SHUNT_CFG_F_EXCLUDES))
		return false;
	for (level = 0; level < SHUNT_CGROUP_MAX_DEPTH; level++) {
		id = bpf_get_current_ancestor_cgroup_id(level);
		if (!id)
			break;
		if (bpf_map_lookup_elem(&cgroup_exclude_map, &id)) {
			count(SHUNT_C_SOCK_EXCLUDED);
			return true;
		}
	}
	return false;
}

SHUNT_INLINE void sock_read4(const struct bpf_sock_addr *ctx,
			     struct sock_addr *a)
{
	__builtin_memset(a, 0, sizeof(*a));
	a->ip.v4 = ctx->user_ip4;
	a->port = (__be16)ctx->user_port;
	a->family = SHUNT_V4;
}

SHUNT_INLINE void sock_read6(const struct bpf_sock_addr *ctx,
			     struct sock_addr *a)
{
	__builtin_memset(a, 0, sizeof(*a));
	a->port = (__be16)ctx->user_port;
	if (ctx->user_ip6[0] == 0 && ctx->user_ip6[1] == 0 &&
	    ctx->user_ip6[2] == bpf_htonl(0xffff)) {
		a->ip.v4 = ctx->user_ip6[3];
		a->family = SHUNT_V4;
		a->mapped = 1;
		return;
	}
	a->ip.v6[0] = ctx->user_ip6[0];
	a->ip.v6[1] = ctx->user_ip6[1];
	a->ip.v6[2] = ctx->user_ip6[2];
	a->ip.v6[3] = ctx->user_ip6[3];
	a->family = SHUNT_V6;
}

SHUNT_INLINE void sock_write4(struct bpf_sock_addr *ctx,
			      const union shunt_ip *ip, __be16 port)
{
	ctx->user_ip4 = ip->v4;
	ctx->user_port = port;
}

SHUNT_INLINE void sock_write6(struct bpf_sock_addr *ctx,
			      const struct sock_addr *how,
			      const union shunt_ip *ip, __be16 port)
{
	if (how->mapped) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = ip->v4;
	} else {
		ctx->user_ip6[0] = ip->v6[0];
		ctx->user_ip6[1] = ip->v6[1];
		ctx->user_ip6[2] = ip->v6[2];
		ctx->user_ip6[3] = ip->v6[3];
	}
	ctx->user_port = port;
}

SHUNT_INLINE void sock_rev_key(struct shunt_sock_rev_key *k, __u64 cookie,
			       const union shunt_ip *addr, __be16 port,
			       __u8 family)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->cookie = cookie;
	k->addr = *addr;
	k->port = port;
	k->family = family;
}

/* Remember what a socket asked for: in its own storage when it connects
 * (one peer for its life), in sock_rev_map for unconnected UDP. */
SHUNT_INLINE void sock_remember(struct bpf_sock_addr *ctx, bool connect,
				__u64 cookie, const struct shunt_sock_rev *rev,
				const struct shunt_backend *be)
{
	struct shunt_sock_rev_key rk;
	struct shunt_sock_vip *v;

	if (connect && ctx->sk) {
		v = bpf_sk_storage_get(&sock_vip_map, ctx->sk, 0,
				       BPF_SK_STORAGE_GET_F_CREATE);
		if (v) {
			v->rev = *rev;
			v->backend = be->addr;
			v->backend_port = be->port;
			v->backend_family = be->family;
			return;
		}
	}
	sock_rev_key(&rk, cookie, &be->addr, be->port, be->family);
	bpf_map_update_elem(&sock_rev_map, &rk, rev, BPF_ANY);
}

/*
 * Translate a destination the socket asked for: VIP:port of a service
 * becomes one of its backends, written into *a. Affinity is per network
 * namespace; otherwise each socket hashes by its cookie. Returns
 * SOCK_TRANSLATED, SOCK_UNTOUCHED (not a service, excluded) or
 * SOCK_REFUSED (ECONNREFUSED set: the service has no backend).
 */
SHUNT_INLINE int sock_translate(struct bpf_sock_addr *ctx, struct sock_addr *a,
				bool connect)
{
	struct shunt_sock_rev rev = {};
	union shunt_ip netns = {};
	struct shunt_frontend *fe, own;
	struct shunt_service *svc;
	struct shunt_backend *be;
	__u32 svc_id, id;
	__u64 cookie;

	if (ctx->type != SOCK_STREAM && ctx->type != SOCK_DGRAM)
		return SOCK_UNTOUCHED;
	fe = lb_frontend(&a->ip, a->port, ctx->protocol, a->family);
	if (!fe || sock_excluded())
		return SOCK_UNTOUCHED;
	/* Sockets are this node's: a Local policy's external frontend
	 * gives them the cluster set (lb_short_circuit()). */
	own = *fe;
	if (lb_short_circuit(&own))
		count(SHUNT_C_LOCAL_SHORT_CIRCUIT);
	svc_id = own.svc_id;
	svc = lb_service(svc_id);

	cookie = bpf_get_socket_cookie(ctx);
	*(__u64 *)netns.v6 = bpf_get_netns_cookie(ctx);
	id = svc ? lb_select(svc_id, svc, &netns, 0,
			     shunt_hash_3words(cookie, cookie >> 32, svc_id,
					       SHUNT_FLOW_SEED),
			     now_sec())
		 : SHUNT_BACKEND_NONE;
	be = lb_backend(id, svc_id);
	if (!be) {
		stats_no_backend(svc_id);
		count(SHUNT_C_SOCK_NO_BACKEND);
		bpf_set_retval(-ECONNREFUSED);
		return SOCK_REFUSED;
	}
	rev.vip = a->ip;
	rev.port = a->port;
	rev.family = a->family;
	rev.svc_id = svc_id;
	sock_remember(ctx, connect, cookie, &rev, be);
	if (connect) {
		stats_add(&svc_stats_map, svc_id, 0, true, true);
		stats_add(&backend_stats_map, id, 0, true, true);
	}
	a->ip = be->addr;
	a->port = be->port;
	return SOCK_TRANSLATED;
}

/* A peer or source address the socket sees: a backend it was sent to
 * becomes the VIP it asked for. True when a was rewritten. */
SHUNT_INLINE bool sock_untranslate(struct bpf_sock_addr *ctx,
				   struct sock_addr *a)
{
	const struct shunt_sock_rev *rev = NULL;
	struct shunt_sock_rev_key rk;
	struct shunt_sock_vip *v;
	struct bpf_sock *sk = ctx->sk;

	if (sk) {
		v = bpf_sk_storage_get(&sock_vip_map, sk, 0, 0);
		if (v && v->backend_family == a->family &&
		    v->backend_port == a->port && ip_equal(&v->backend, &a->ip))
			rev = &v->rev;
	}
	if (!rev) {
		sock_rev_key(&rk, bpf_get_socket_cookie(ctx), &a->ip, a->port,
			     a->family);
		rev = bpf_map_lookup_elem(&sock_rev_map, &rk);
	}
	if (!rev)
		return false;
	a->ip = rev->vip;
	a->port = rev->port;
	return true;
}

#endif /* SHUNT_BPF_SOCK_H */
