/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sock_vip_map, on its own: the socket programs (maps.h) write it, the
 * socket destroy iterator (sock_destroy.bpf.c) reads it from the same pin
 * without taking the datapath's other maps along.
 */
#ifndef SHUNT_BPF_SOCKVIP_H
#define SHUNT_BPF_SOCKVIP_H

#include "common.h"

/* Connected sockets (TCP, connected UDP): the VIP they asked for, in
 * socket-local storage that goes away with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct shunt_sock_vip);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sock_vip_map SEC(".maps");

#endif /* SHUNT_BPF_SOCKVIP_H */
