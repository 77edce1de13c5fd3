// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shunt socket-level load balancer: cgroup sock_addr programs. connect()
 * and UDP sendmsg() to a service VIP go to a backend; getpeername() and
 * UDP recvmsg() show the VIP. No packet of such a socket is translated.
 */
#include "lib/sock.h"

/* connect() and sendmsg(): the destination, translated. */
SHUNT_INLINE int translate4(struct bpf_sock_addr *ctx, bool connect)
{
	struct sock_addr a;

	sock_read4(ctx, &a);
	switch (sock_translate(ctx, &a, connect)) {
	case SOCK_REFUSED:
		return SYS_REJECT;
	case SOCK_TRANSLATED:
		sock_write4(ctx, &a.ip, a.port);
		count(connect ? SHUNT_C_SOCK_CONNECT : SHUNT_C_SOCK_SENDMSG);
		break;
	}
	return SYS_PROCEED;
}

SHUNT_INLINE int translate6(struct bpf_sock_addr *ctx, bool connect)
{
	struct sock_addr a, orig;

	sock_read6(ctx, &a);
	orig = a;
	switch (sock_translate(ctx, &a, connect)) {
	case SOCK_REFUSED:
		return SYS_REJECT;
	case SOCK_TRANSLATED:
		sock_write6(ctx, &orig, &a.ip, a.port);
		count(connect ? SHUNT_C_SOCK_CONNECT : SHUNT_C_SOCK_SENDMSG);
		break;
	}
	return SYS_PROCEED;
}

/* getpeername() and recvmsg(): a backend address, back to the VIP. */
SHUNT_INLINE int untranslate4(struct bpf_sock_addr *ctx, enum shunt_counter c)
{
	struct sock_addr a;

	sock_read4(ctx, &a);
	if (sock_untranslate(ctx, &a)) {
		sock_write4(ctx, &a.ip, a.port);
		count(c);
	}
	return SYS_PROCEED;
}

SHUNT_INLINE int untranslate6(struct bpf_sock_addr *ctx, enum shunt_counter c)
{
	struct sock_addr a, orig;

	sock_read6(ctx, &a);
	orig = a;
	if (sock_untranslate(ctx, &a)) {
		sock_write6(ctx, &orig, &a.ip, a.port);
		count(c);
	}
	return SYS_PROCEED;
}

SEC("cgroup/connect4")
int shunt_connect4(struct bpf_sock_addr *ctx)
{
	return translate4(ctx, true);
}

SEC("cgroup/connect6")
int shunt_connect6(struct bpf_sock_addr *ctx)
{
	return translate6(ctx, true);
}

SEC("cgroup/sendmsg4")
int shunt_sendmsg4(struct bpf_sock_addr *ctx)
{
	return translate4(ctx, false);
}

SEC("cgroup/sendmsg6")
int shunt_sendmsg6(struct bpf_sock_addr *ctx)
{
	return translate6(ctx, false);
}

SEC("cgroup/recvmsg4")
int shunt_recvmsg4(struct bpf_sock_addr *ctx)
{
	return untranslate4(ctx, SHUNT_C_SOCK_RECVMSG_REV);
}

SEC("cgroup/recvmsg6")
int shunt_recvmsg6(struct bpf_sock_addr *ctx)
{
	return untranslate6(ctx, SHUNT_C_SOCK_RECVMSG_REV);
}

SEC("cgroup/getpeername4")
int shunt_getpeername4(struct bpf_sock_addr *ctx)
{
	return untranslate4(ctx, SHUNT_C_SOCK_PEERNAME_REV);
}

SEC("cgroup/getpeername6")
int shunt_getpeername6(struct bpf_sock_addr *ctx)
{
	return untranslate6(ctx, SHUNT_C_SOCK_PEERNAME_REV);
}

char _license[] SEC("license") = "Dual BSD/GPL";
