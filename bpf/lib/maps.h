/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every shunt map, defined once. Maps are pinned by name under the pin
 * root (default /sys/fs/bpf/shunt), so the XDP and tc objects and every
 * shuntctl invocation share the same instances.
 */
#ifndef SHUNT_BPF_MAPS_H
#define SHUNT_BPF_MAPS_H

#include "common.h"

/* Frontends: VIP:port/proto (or the NodePort wildcard) -> service id.
 * Sized at first load (--max-frontends). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHUNT_MAX_FRONTENDS);
	__type(key, struct shunt_frontend_key);
	__type(value, struct shunt_frontend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} frontend_map SEC(".maps");

/* Services by id (1..--max-services; 0 unused): flags, affinity and the
 * control plane's record of the published table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHUNT_MAX_SERVICES + 1);
	__type(key, __u32);
	__type(value, struct shunt_service);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} service_map SEC(".maps");

/* Backends by id (1..--max-backends; family 0: free). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHUNT_MAX_BACKENDS + 1);
	__type(key, __u32);
	__type(value, struct shunt_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} backend_map SEC(".maps");

/* One Maglev table per service (abi.h: header, then the slots). A change
 * builds a new inner map and swaps it into maglev_map with one update, so
 * a packet sees the old table or the new one, each with its own size. */
struct maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHUNT_MAGLEV_ELEMS(SHUNT_MAGLEV_DEFAULT));
	__uint(map_flags, BPF_F_INNER_MAP);
	__type(key, __u32);
	/* struct shunt_maglev_elem, spelled as its slot array: clang gives
	 * BTF only a forward declaration of a struct that a map reaches
	 * through two pointers. */
	__type(value, __u32[SHUNT_MAGLEV_CHUNK]);
};

/* service id -> its Maglev table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SHUNT_MAX_SERVICES + 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct maglev_table);
} maglev_map SEC(".maps");

/* loadBalancerSourceRanges: the CIDRs clients of a SHUNT_FE_F_SRC_RANGES
 * frontend must come from, one trie per service (abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SHUNT_MAX_SRC_RANGES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shunt_src_range_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} src_range_map SEC(".maps");

/* This node's addresses: where NodePort frontends answer. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHUNT_MAX_NODE_ADDRS);
	__type(key, struct shunt_node_addr);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} node_addr_map SEC(".maps");

/* This node's pod CIDRs (abi.h struct shunt_pod_cidr_key). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SHUNT_POD_CIDR_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shunt_pod_cidr_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pod_cidr_map SEC(".maps");

/* Control plane state (abi.h struct shunt_ctl), one entry. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct shunt_ctl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ctl_map SEC(".maps");

/* Connection tracking, both directions of every flow. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHUNT_CT_MAX);
	__type(key, struct shunt_ct_key);
	__type(value, struct shunt_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ct_map SEC(".maps");

/* ClientIP session affinity. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHUNT_AFFINITY_MAX);
	__type(key, struct shunt_affinity_key);
	__type(value, struct shunt_affinity);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} affinity_map SEC(".maps");

/* Ports of fragmented datagrams, learnt from the first fragment. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHUNT_FRAG_MAX);
	__type(key, struct shunt_frag_key);
	__type(value, struct shunt_frag);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} frag_map SEC(".maps");

/* Datapath knobs (one entry). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct shunt_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config_map SEC(".maps");

/* Interfaces shunt is attached to: ifindex -> flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHUNT_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct shunt_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iface_map SEC(".maps");

/* Per-service and per-backend traffic, indexed by id (ids start at 1),
 * sized with service_map and backend_map. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHUNT_MAX_SERVICES + 1);
	__type(key, __u32);
	__type(value, struct shunt_traffic_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} svc_stats_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHUNT_MAX_BACKENDS + 1);
	__type(key, __u32);
	__type(value, struct shunt_traffic_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} backend_stats_map SEC(".maps");

/* Global counters, enum shunt_counter -> count. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHUNT_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} global_stats_map SEC(".maps");

/* --- socket-level path ------------------------------------------------ */

/* sock_vip_map: in its own header, which the socket destroy iterator
 * (bpf/sock_destroy.bpf.c) shares without the other maps. */
#include "sockvip.h"

/* Unconnected UDP sockets, which may send to several VIPs: (socket
 * cookie, backend) -> the VIP, LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHUNT_SOCK_REV_MAX);
	__type(key, struct shunt_sock_rev_key);
	__type(value, struct shunt_sock_rev);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sock_rev_map SEC(".maps");

/* cgroup id -> 1: subtrees the socket programs leave alone. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHUNT_CGROUP_EXCLUDE_MAX);
	__type(key, __u64);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cgroup_exclude_map SEC(".maps");

/* Node-local TCP sockets eligible for the sk_msg short-circuit. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SHUNT_SOCKHASH_MAX);
	__type(key, struct shunt_sock_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sock_hash SEC(".maps");

/* Connecting sockets in sock_hash whose peer has not joined yet: the
 * accepted end joins when it finds its peer here. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHUNT_SOCKHASH_MAX);
	__type(key, struct shunt_sock_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sock_pending_map SEC(".maps");

/* Per-socket state of sockets in sock_hash (SHUNT_SOCK_F_*). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sock_state_map SEC(".maps");

/* Services or ports whose connections join sock_hash (value 1). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHUNT_SOCK_POLICY_MAX);
	__type(key, struct shunt_frontend_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sockmap_policy_map SEC(".maps");

/* Services or ports -> socket options to apply. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHUNT_SOCK_POLICY_MAX);
	__type(key, struct shunt_frontend_key);
	__type(value, struct shunt_sock_tune);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tune_map SEC(".maps");

#endif /* SHUNT_BPF_MAPS_H */
