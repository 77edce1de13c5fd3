/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-socket tuning from tune_map through bpf_setsockopt(): TCP
 * keep-alive, TCP_NODELAY, congestion control, buffer sizes, initial
 * congestion window, SYN retransmission timeout. The seed's keep-alive
 * advice, applied in the kernel instead of in every proxy's config.
 */
#ifndef SHUNT_BPF_TUNE_H
#define SHUNT_BPF_TUNE_H

#include "maps.h"
#include "stats.h"

#define SOL_SOCKET_	1
#define SO_SNDBUF_	7
#define SO_RCVBUF_	8
#define SO_KEEPALIVE_	9
#define SOL_TCP_	6
#define TCP_NODELAY_	1
#define TCP_KEEPIDLE_	4
#define TCP_KEEPINTVL_	5
#define TCP_KEEPCNT_	6
#define TCP_CONGESTION_ 13
#define TCP_BPF_IW_	1001

/* The kernel's tick rate, for the SYN timeout (0 when unknown). */
extern unsigned int CONFIG_HZ __kconfig __weak;

SHUNT_INLINE int tune_int(struct bpf_sock_ops *skops, int level, int opt,
			  int val)
{
	return bpf_setsockopt(skops, level, opt, &val, sizeof(val));
}

/* Options that apply before and after the handshake alike. */
SHUNT_INLINE void tune_apply(struct bpf_sock_ops *skops,
			     const struct shunt_sock_tune *t)
{
	char cc[sizeof(t->congestion)];
	int err = 0;

	if (t->set & SHUNT_TUNE_F_KEEPALIVE) {
		err |= tune_int(skops, SOL_SOCKET_, SO_KEEPALIVE_, 1);
		err |= tune_int(skops, SOL_TCP_, TCP_KEEPIDLE_,
				t->keepalive_idle);
		err |= tune_int(skops, SOL_TCP_, TCP_KEEPINTVL_,
				t->keepalive_intvl);
		err |= tune_int(skops, SOL_TCP_, TCP_KEEPCNT_,
				t->keepalive_cnt);
	}
	if (t->set & SHUNT_TUNE_F_NODELAY)
		err |= tune_int(skops, SOL_TCP_, TCP_NODELAY_, t->nodelay);
	if (t->set & SHUNT_TUNE_F_SNDBUF)
		err |= tune_int(skops, SOL_SOCKET_, SO_SNDBUF_, t->sndbuf);
	if (t->set & SHUNT_TUNE_F_RCVBUF)
		err |= tune_int(skops, SOL_SOCKET_, SO_RCVBUF_, t->rcvbuf);
	if (t->set & SHUNT_TUNE_F_CONGESTION) {
		__builtin_memcpy(cc, t->congestion, sizeof(cc));
		cc[sizeof(cc) - 1] = '\0';
		err |= bpf_setsockopt(skops, SOL_TCP_, TCP_CONGESTION_, cc,
				      sizeof(cc));
	}
	count(err ? SHUNT_C_TUNE_FAILED : SHUNT_C_TUNE_APPLIED);
}

/* Once established, before any data: the initial congestion window. */
SHUNT_INLINE void tune_established(struct bpf_sock_ops *skops,
				   const struct shunt_sock_tune *t)
{
	if ((t->set & SHUNT_TUNE_F_INIT_CWND) &&
	    tune_int(skops, SOL_TCP_, TCP_BPF_IW_, t->init_cwnd))
		count(SHUNT_C_TUNE_FAILED);
}

/* BPF_SOCK_OPS_TIMEOUT_INIT: the SYN timeout in jiffies, or -1 for the
 * kernel's default. */
SHUNT_INLINE int tune_syn_rto(const struct shunt_sock_tune *t)
{
	if (!t || !(t->set & SHUNT_TUNE_F_SYN_RTO) || !CONFIG_HZ)
		return -1;
	return (t->syn_rto_ms * CONFIG_HZ + 999) / 1000;
}

#endif /* SHUNT_BPF_TUNE_H */
