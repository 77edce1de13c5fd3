// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shunt socket destroy: TCP and UDP socket iterators that end the sockets
 * the socket path sent to a backend that has left its service, so that a
 * client which keeps its socket (a DNS forwarder's connected UDP socket)
 * notices and connects again, to a live backend. UDP: every connected
 * socket; TCP: only those still connecting (SYN_SENT), as established
 * connections drain. Run by user/lib/node/sockdestroy.c in each network
 * namespace (an iterator walks the namespace it was created in).
 */
#include "lib/sockdestroy.h"

/* Sockets ended since load, read by the control plane. */
__u64 destroyed_udp = 0;
__u64 destroyed_tcp = 0;
__u64 destroy_failed = 0;

SHUNT_INLINE void sd_count(__u64 *ok, int err)
{
	__sync_fetch_and_add(err ? &destroy_failed : ok, 1);
}

SEC("iter/udp")
int shunt_sock_destroy_udp(struct bpf_iter__udp *ctx)
{
	struct sock *sk = (struct sock *)ctx->udp_sk;

	if (!sk || !sd_wanted(sk, &sk->__sk_common))
		return 0;
	sd_count(&destroyed_udp, bpf_sock_destroy(&sk->__sk_common));
	return 0;
}

SEC("iter/tcp")
int shunt_sock_destroy_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct sock *sk;

	if (!skc || skc->skc_state != KS_TCP_SYN_SENT)
		return 0;
	sk = (struct sock *)bpf_skc_to_tcp_sock(skc);
	if (!sk || !sd_wanted(sk, skc))
		return 0;
	sd_count(&destroyed_tcp, bpf_sock_destroy(skc));
	return 0;
}

char _license[] SEC("license") = "Dual BSD/GPL";
