/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The few kernel socket types the socket iterators need, declared with
 * only the fields read. preserve_access_index makes every access a CO-RE
 * relocation: libbpf finds each field by name in the running kernel's
 * BTF (anonymous unions included), so no vmlinux.h is needed and the
 * layout here does not matter.
 */
#ifndef SHUNT_BPF_KERNSOCK_H
#define SHUNT_BPF_KERNSOCK_H

#include "common.h"

#define CORE __attribute__((preserve_access_index))

struct sock_common {
	__be32 skc_daddr;
	__be16 skc_dport;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
} CORE;

struct sock {
	struct sock_common __sk_common;
} CORE;

struct udp_sock;
struct tcp_sock;
struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} CORE;

struct bpf_iter__udp {
	struct bpf_iter_meta *meta;
	struct udp_sock *udp_sk;
	__u32 uid;
	int bucket;
} CORE;

struct bpf_iter__tcp {
	struct bpf_iter_meta *meta;
	struct sock_common *sk_common;
	__u32 uid;
} CORE;

#undef CORE

/* Kernel 6.5: ends a socket as `ss --kill` does (ECONNABORTED). Only in
 * the TCP and UDP socket iterators, which hold the socket's lock. */
extern int bpf_sock_destroy(struct sock_common *sk) __ksym;

#define KS_TCP_SYN_SENT 2

#endif /* SHUNT_BPF_KERNSOCK_H */
