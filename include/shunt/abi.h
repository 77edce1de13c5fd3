/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The shunt map ABI: every key, value and constant shared by the BPF
 * programs and the userspace control plane is written here and nowhere
 * else. Layouts are fixed-size, naturally aligned and padding-free so the
 * same bytes mean the same thing on both sides.
 */
#ifndef SHUNT_ABI_H
#define SHUNT_ABI_H

#include <linux/types.h>

/* Address families as stored in maps (not AF_* values). */
#define SHUNT_V4 4
#define SHUNT_V6 6

/*
 * Capacities. The datapath's tables are sized when they are first created
 * (shuntd --max-services/--max-frontends/--max-backends/--ct-max,
 * shuntctl's options of the same names); these are the defaults, which
 * hold 10,000 services with 10 backends and 3 frontends each with room
 * to spare. Service and backend ids run from 1 to the maximum.
 */
#ifndef SHUNT_MAX_SERVICES
#define SHUNT_MAX_SERVICES 32768
#endif
#ifndef SHUNT_MAX_FRONTENDS
#define SHUNT_MAX_FRONTENDS 65536
#endif
#ifndef SHUNT_MAX_BACKENDS
#define SHUNT_MAX_BACKENDS 131072
#endif
#define SHUNT_MAX_SVC_BACKENDS 4096 /* per service */
#ifndef SHUNT_CT_MAX
#define SHUNT_CT_MAX 524288
#endif
#ifndef SHUNT_AFFINITY_MAX
#define SHUNT_AFFINITY_MAX 65536
#endif
#ifndef SHUNT_FRAG_MAX
#define SHUNT_FRAG_MAX 8192
#endif
#define SHUNT_MAX_IFACES 256
/* loadBalancerSourceRanges: CIDRs in src_range_map, all services, and
 * at most SHUNT_MAX_SVC_SRC_RANGES per service. */
#ifndef SHUNT_MAX_SRC_RANGES
#define SHUNT_MAX_SRC_RANGES 16384
#endif
#define SHUNT_MAX_SVC_SRC_RANGES 256
#define SHUNT_MAX_NODE_ADDRS	 1024

/* Maglev table sizes: a prime in [SHUNT_MAGLEV_MIN, SHUNT_MAGLEV_MAX].
 * Without an explicit size a table is sized from its backends (see
 * user/lib/services/tablesize.c). */
#define SHUNT_MAGLEV_DEFAULT 16381 /* what a table had before auto-sizing */
#define SHUNT_MAGLEV_MIN     7
#define SHUNT_MAGLEV_MAX     131071

#define SHUNT_WEIGHT_MIN     1
#define SHUNT_WEIGHT_MAX     65535
#define SHUNT_WEIGHT_DEFAULT 1

#define SHUNT_AFFINITY_MAX_SECONDS 86400

/* Backend id 0 never names a backend: an empty Maglev slot holds it. */
#define SHUNT_BACKEND_NONE 0

/* An IPv4 address uses v4 and leaves the other 12 bytes zero. */
union shunt_ip {
	__be32 v4;
	__be32 v6[4];
	__u8 bytes[16];
};

/*
 * frontend_map key: an address clients send to, VIP:port/protocol. A zero
 * VIP is the NodePort wildcard of its family: the port on every address
 * in node_addr_map.
 */
struct shunt_frontend_key {
	union shunt_ip vip;
	__be16 port;
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* SHUNT_V4 or SHUNT_V6 */
};

/* shunt_frontend.flags */
#define SHUNT_FE_F_NODEPORT (1U << 0) /* the wildcard (zero VIP) */
#define SHUNT_FE_F_EXTERNAL (1U << 1) /* NodePort, LoadBalancer, externalIP */
#define SHUNT_FE_F_LOCAL    (1U << 2) /* traffic policy Local */
/* The service's own choice of how external traffic reaches a remote
 * backend, over config_map's lb_mode: SNAT, or DSR (bpf/lib/dsr.h). */
#define SHUNT_FE_F_MODE_SNAT (1U << 3)
#define SHUNT_FE_F_MODE_DSR  (1U << 4)
/* Only clients in the service's src_range_map CIDRs may use it
 * (loadBalancerSourceRanges); the others' packets are dropped. */
#define SHUNT_FE_F_SRC_RANGES (1U << 5)

/* frontend_map value: which service serves the frontend. Every frontend
 * of a Kubernetes Service port points to the same service. */
struct shunt_frontend {
	__u32 svc_id;
	__u32 flags; /* SHUNT_FE_F_* */
};

/* shunt_service.flags */
#define SHUNT_SVC_F_AFFINITY   (1U << 0) /* ClientIP session affinity */
#define SHUNT_SVC_F_OWNER_FILE (1U << 8) /* shuntd's services file */
#define SHUNT_SVC_F_OWNER_K8S  (1U << 9) /* shuntd's Kubernetes source */
#define SHUNT_SVC_F_OWNERS     (SHUNT_SVC_F_OWNER_FILE | SHUNT_SVC_F_OWNER_K8S)
#define SHUNT_SVC_F_USED       (1U << 31) /* the id is taken */

#define SHUNT_NAME_MAX 160 /* "namespace/name:port", NUL included */

/*
 * service_map value, indexed by service id: one backend set and its
 * Maglev table (maglev_map, same id), shared by all the frontends that
 * point here. The datapath reads flags and affinity_timeout; the rest is
 * the control plane's record of what it published.
 */
struct shunt_service {
	__u32 flags;		/* SHUNT_SVC_F_* */
	__u32 affinity_timeout; /* seconds; 0 = no affinity */
	__u32 table_size;	/* requested Maglev size; 0 = automatic */
	__u32 live_size;	/* size of the published table */
	__u32 backend_count;	/* active backends in the published table */
	__u32 table_gen;	/* bumped on every table swap */
	/* A Local policy's service ("<name>/local"): the id of its
	 * Service's cluster set ("<name>"), 0 when there is none. New flows
	 * from this node (its pods, pod_cidr_map; its sockets) to an
	 * external frontend go there, as if they had gone out to the load
	 * balancer and come back (kube-proxy's short-circuit). */
	__u32 cluster_svc_id;
	__u32 pad;
	/* Content hash of what the published table was built from (size,
	 * active backends with ids and weights): a model built from the
	 * maps republishes a table whose backends do not hash to this. */
	__u64 table_hash;
	char name[SHUNT_NAME_MAX]; /* the source's name of the service */
};

/*
 * src_range_map (LPM trie) key: one trie per service in one map. The
 * prefix always covers svc_id, family and pad (SHUNT_SRC_RANGE_BASE
 * bits), then prefix bits of addr, so a lookup only ever matches a CIDR
 * of its own service and family. An IPv4 CIDR uses v4 (at most 32 bits
 * of addr). Value: __u32, 1.
 */
struct shunt_src_range_key {
	__u32 prefixlen; /* SHUNT_SRC_RANGE_BASE + CIDR prefix length */
	__u32 svc_id;
	__u8 family; /* SHUNT_V4 or SHUNT_V6 */
	__u8 pad[3];
	union shunt_ip addr; /* host bits zero */
};

#define SHUNT_SRC_RANGE_BASE 64

enum shunt_backend_state {
	SHUNT_BE_ACTIVE = 1,   /* takes new flows */
	SHUNT_BE_DRAINING = 2, /* keeps open flows, takes no new ones */
	SHUNT_BE_REMOVING = 3, /* out of the table, deleted once it is live */
};

/* shunt_backend.flags */
#define SHUNT_BE_F_REMOTE (1U << 0) /* on another node (nodeName) */

/* backend_map value, indexed by backend id (family 0: a free id). One id
 * per service and backend address, so state and weight are per service.
 * External traffic (NodePort, LoadBalancer, externalIP, traffic policy
 * Cluster) to a REMOTE backend is masqueraded (bpf/lib/snat.h). */
struct shunt_backend {
	union shunt_ip addr;
	__be16 port;
	__u8 family; /* SHUNT_V4 or SHUNT_V6 */
	__u8 state;  /* enum shunt_backend_state */
	__u32 svc_id;
	__u32 weight;
	__u32 flags; /* SHUNT_BE_F_* */
};

/*
 * Maglev tables (inner maps of maglev_map), SHUNT_MAGLEV_CHUNK slots per
 * element: element 0 is the header, slot s of the table lives in element
 * 1 + s / SHUNT_MAGLEV_CHUNK at s % SHUNT_MAGLEV_CHUNK. The size is in
 * the header, so it changes with the table in one swap.
 */
#define SHUNT_MAGLEV_CHUNK 16

struct shunt_maglev_hdr {
	__u32 size; /* M, prime; 0: no backend */
	__u32 gen;
	__u64 hash; /* as shunt_service.table_hash */
};

struct shunt_maglev_elem {
	union {
		struct shunt_maglev_hdr hdr;
		__u32 slot[SHUNT_MAGLEV_CHUNK]; /* backend ids */
	};
};

#define SHUNT_MAGLEV_ELEMS(m)                                                  \
	(1 + ((m) + SHUNT_MAGLEV_CHUNK - 1) / SHUNT_MAGLEV_CHUNK)

/* ctl_map (one entry, key 0): the control plane's own state, not read by
 * the datapath. Every writer bumps write_gen (under the pin root's lock)
 * after a change, so a long-lived agent knows when its model is stale. */
struct shunt_ctl {
	__u64 write_gen;
};

/* pod_cidr_map key (an LPM trie): this node's pod CIDRs (shuntd
 * --pod-cidrs), kube-proxy's "detect local" for the short-circuit of
 * Local policies. prefixlen counts family's 32 bits, then the address's. */
#define SHUNT_POD_CIDR_MAX 64
struct shunt_pod_cidr_key {
	__u32 prefixlen;
	__u32 family; /* SHUNT_V4 or SHUNT_V6 */
	union shunt_ip addr;
};

/* node_addr_map key: an address of this node (NodePort frontends). */
struct shunt_node_addr {
	union shunt_ip addr;
	__u8 family;
	__u8 pad[3];
};

enum shunt_ct_dir {
	SHUNT_CT_FWD = 0, /* client -> VIP, as the client sent it */
	SHUNT_CT_REV = 1, /* backend -> client, as the backend sends it */
};

/* ct_map key: the packet's own tuple in its own direction. */
struct shunt_ct_key {
	union shunt_ip src;
	union shunt_ip dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 dir; /* enum shunt_ct_dir */
	__u8 pad;
};

enum shunt_ct_state {
	SHUNT_CT_SYN_SENT = 1,	  /* TCP: SYN seen, no reply yet */
	SHUNT_CT_ESTABLISHED = 2, /* TCP: reply seen */
	SHUNT_CT_FIN_WAIT = 3,	  /* TCP: client sent FIN first */
	SHUNT_CT_CLOSE_WAIT = 4,  /* TCP: backend sent FIN first */
	SHUNT_CT_TIME_WAIT = 5,	  /* TCP: FIN seen both ways */
	SHUNT_CT_CLOSE = 6,	  /* TCP: RST seen */
	SHUNT_CT_UDP = 7,	  /* UDP flow */
	SHUNT_CT_STATE_MAX,
};

#define SHUNT_CT_F_FIN_FWD (1U << 0) /* FIN seen from the client */
#define SHUNT_CT_F_FIN_REV (1U << 1) /* FIN seen from the backend */
#define SHUNT_CT_F_RST	   (1U << 2)
#define SHUNT_CT_F_SNAT	   (1U << 3) /* the source is masqueraded too */
/* FWD, on the node that balanced: sent to a remote backend by DSR; its
 * replies leave the backend's node, so there is no REV entry. */
#define SHUNT_CT_F_DSR (1U << 4)
/* REV, on the backend's node: a flow that came in by DSR; replies get
 * the frontend the DSR option named as source. No FWD entry. */
#define SHUNT_CT_F_DSR_IN (1U << 5)

/*
 * ct_map value. FWD entries translate to the backend, REV entries back
 * to the VIP; both carry the flow's state. A masqueraded flow (SNAT: the
 * backend's reply would not come back through this node, or hairpin)
 * also has its source rewritten to snat_addr:snat_port, an address of
 * the egress interface and a port of config_map's SNAT range; its REV
 * entry is keyed by that tuple and gives the client back as destination.
 */
struct shunt_ct_entry {
	union shunt_ip nat_addr; /* FWD: backend address; REV: VIP */
	__be16 nat_port;	 /* FWD: backend port; REV: service port */
	__u8 state;		 /* enum shunt_ct_state */
	__u8 flags;		 /* SHUNT_CT_F_* */
	__u32 backend_id;
	__u32 svc_id;
	__u32 created;	 /* CLOCK_MONOTONIC seconds */
	__u32 last_seen; /* CLOCK_MONOTONIC seconds */
	/* SHUNT_CT_F_SNAT only. FWD: the source written (node address and
	 * SNAT port); REV: the client's address and port. */
	union shunt_ip snat_addr;
	__be16 snat_port;
	/* TCP: the raw window and the ACK number of the last segment this
	 * entry's sender sent (both 0: none seen). A RST from the other
	 * side is believed only inside that window (bpf/lib/ct.h). */
	__u16 win_seen;
	/* SHUNT_CT_F_SNAT REV entries: the TCP timestamp (TSval) of the
	 * client's FIN, 0 when none was seen. A new connection takes the
	 * tuple over only with a later TSval, or the backend's TIME_WAIT
	 * socket would refuse its SYN (PAWS; bpf/lib/snat.h). */
	__u32 fin_tsval;
	__u32 ack_seen;
};

/* affinity_map: ClientIP session affinity. */
struct shunt_affinity_key {
	union shunt_ip client;
	__u32 svc_id;
	__u8 family;
	__u8 pad[3];
};

struct shunt_affinity {
	__u32 backend_id;
	__u32 last_seen; /* CLOCK_MONOTONIC seconds */
};

/* frag_map: ports of an IP datagram, learnt from its first fragment. */
struct shunt_frag_key {
	union shunt_ip src;
	union shunt_ip dst;
	__u32 id; /* IPv4 identification or IPv6 fragment id */
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

struct shunt_frag {
	__be16 sport;
	__be16 dport;
};

/*
 * The DSR option (bpf/lib/dsr.h): the frontend a flow was sent to, for
 * the backend's node, in a TCP flow's SYN and in every UDP datagram.
 * IPv4: an IP option right after the fixed header (8 bytes); IPv6: a
 * Destination Options header right after the fixed header (24 bytes).
 * Type 0x1E is RFC 4727's experimental value: its top bits tell an IPv6
 * node that does not know it to skip it, and IPv4 fragmentation not to
 * copy it; Linux ignores unknown IPv4 options in packets it receives.
 */
#define SHUNT_DSR_OPT_TYPE 0x1E

struct shunt_dsr_opt4 {
	__u8 type; /* SHUNT_DSR_OPT_TYPE */
	__u8 len;  /* 8 */
	__be16 port;
	__be32 addr;
};

struct shunt_dsr_opt6 {
	__u8 nexthdr;
	__u8 hdrlen; /* 2: 24 bytes */
	__u8 type;   /* SHUNT_DSR_OPT_TYPE */
	__u8 len;    /* 18 */
	__be16 port;
	__u8 addr[16];
	__u8 padn[2]; /* PadN of no data: 1, 0 */
};

/* config_map (one entry, key 0): datapath knobs. Lifetimes in seconds. */
struct shunt_config {
	__u32 ct_syn_timeout;
	__u32 ct_established_timeout;
	__u32 ct_fin_wait_timeout;
	__u32 ct_close_wait_timeout;
	__u32 ct_time_wait_timeout;
	__u32 ct_close_timeout;
	__u32 ct_udp_timeout;
	__u32 flags;
	/* Source ports of masqueraded flows, host order, inclusive: kept
	 * apart from the NodePort range and the node's ip_local_port_range
	 * (shuntd checks both). */
	__u32 snat_port_min;
	__u32 snat_port_max;
	/* How external traffic reaches a remote backend, unless the
	 * frontend says (SHUNT_FE_F_MODE_*): SHUNT_LB_MODE_*, 0 = SNAT. */
	__u32 lb_mode;
};

#define SHUNT_LB_MODE_SNAT 1
#define SHUNT_LB_MODE_DSR  2

/* shunt_config.flags, kept by userspace. */
#define SHUNT_CFG_F_EXCLUDES (1U << 0) /* cgroup_exclude_map is not empty */

/* The seed's tuned conntrack values; what `config reset` restores. */
#define SHUNT_DEFAULT_CT_SYN	     60
#define SHUNT_DEFAULT_CT_ESTABLISHED 1200
#define SHUNT_DEFAULT_CT_FIN_WAIT    30
#define SHUNT_DEFAULT_CT_CLOSE_WAIT  15
#define SHUNT_DEFAULT_CT_TIME_WAIT   60 /* the backend's own TIME_WAIT */
#define SHUNT_DEFAULT_CT_CLOSE	     10
#define SHUNT_DEFAULT_CT_UDP	     30
#define SHUNT_DEFAULT_SNAT_PORT_MIN  61000 /* above Linux's default */
#define SHUNT_DEFAULT_SNAT_PORT_MAX  65535 /* ip_local_port_range */
#define SHUNT_DEFAULT_LB_MODE	     SHUNT_LB_MODE_SNAT

/* iface_map: key is an ifindex of an interface shunt is attached to. */
#define SHUNT_IFACE_F_XDP (1U << 0) /* attached with native XDP */
#define SHUNT_IFACE_F_TC  (1U << 1) /* attached at tc ingress */
#define SHUNT_IFACE_F_PEER_NS                                                  \
	(1U << 2) /* veth whose peer is in another netns */

struct shunt_iface {
	__u32 flags;
	__u32 netns_ino; /* inode of the network namespace it lives in */
	char name[16];
	/* Its first global address of each family (zero: none), the
	 * source of flows masqueraded out of it; kept current by shuntd. */
	union shunt_ip addr4;
	union shunt_ip addr6;
};

/* --- Socket-level path (cgroup sock_addr, sockops, sk_msg) ---------- */

/* (socket, backend) pairs of unconnected UDP sockets: an LRU, so the
 * oldest pair goes when it is full (its replies then keep the backend's
 * address). 131072 keeps the default datapath under 200 MiB of kernel
 * memory with SNAT's larger conntrack entries. */
#define SHUNT_SOCK_REV_MAX	 131072
#define SHUNT_SOCKHASH_MAX	 65536
#define SHUNT_SOCK_POLICY_MAX	 4096
#define SHUNT_CGROUP_EXCLUDE_MAX 1024
#define SHUNT_CGROUP_MAX_DEPTH	 32

/* sock_rev_map: which VIP a socket translated to a backend really asked
 * for, for getpeername() and UDP recvmsg(). */
struct shunt_sock_rev_key {
	__u64 cookie;	     /* socket cookie */
	union shunt_ip addr; /* backend address */
	__be16 port;	     /* backend port */
	__u8 family;
	__u8 pad[5];
};

struct shunt_sock_rev {
	union shunt_ip vip;
	__be16 port;
	__u8 family;
	__u8 pad;
	__u32 svc_id;
};

/* sock_vip_map (socket-local storage): the translation a connected
 * socket got at connect(); freed with the socket. */
struct shunt_sock_vip {
	struct shunt_sock_rev rev; /* what the socket asked for */
	union shunt_ip backend;	   /* where it went */
	__be16 backend_port;
	__u8 backend_family;
	__u8 pad[5];
};

/* sock_destroy_map key (bpf/sock_destroy.bpf.c): a backend that left a
 * service. The destroy iterator ends the connected UDP and connecting
 * (SYN_SENT) TCP sockets the socket path sent there for that service;
 * the value is unused (1). Filled by the control plane before each run,
 * at most SHUNT_SOCK_DESTROY_MAX targets a run. */
#define SHUNT_SOCK_DESTROY_MAX 1024

struct shunt_sock_target {
	union shunt_ip addr; /* backend address */
	__be16 port;	     /* backend port */
	__u8 family;
	__u8 pad;
	__u32 svc_id; /* the service it left */
};

/* sock_hash key: a TCP socket by its own view of the connection. */
struct shunt_sock_key {
	union shunt_ip local;
	union shunt_ip remote;
	__u16 lport; /* host order */
	__u16 rport; /* host order */
	__u8 family;
	__u8 pad[3];
	/* Loopback pairs only: the network namespace's cookie. Loopback
	 * addresses are every pod's own, so two pods' connections can have
	 * equal keys otherwise; any other address is one namespace's. */
	__u64 netns;
};

/* sock_state_map flags. */
#define SHUNT_SOCK_F_TCP_ONLY                                                  \
	(1U << 0) /* sent data the normal way: stays so                        \
		   */

/* sockmap_policy_map and tune_map keys are struct shunt_frontend_key: a
 * service frontend, or a port alone (vip zero, family 0, proto
 * IPPROTO_TCP). */

/* tune_map value: socket options applied through sockops. */
#define SHUNT_TUNE_F_KEEPALIVE	(1U << 0) /* idle, interval, count */
#define SHUNT_TUNE_F_NODELAY	(1U << 1)
#define SHUNT_TUNE_F_CONGESTION (1U << 2)
#define SHUNT_TUNE_F_INIT_CWND	(1U << 3)
#define SHUNT_TUNE_F_SYN_RTO	(1U << 4)
#define SHUNT_TUNE_F_SNDBUF	(1U << 5)
#define SHUNT_TUNE_F_RCVBUF	(1U << 6)

struct shunt_sock_tune {
	__u32 set;	       /* SHUNT_TUNE_F_*: which fields apply */
	__u32 keepalive_idle;  /* s */
	__u32 keepalive_intvl; /* s */
	__u32 keepalive_cnt;
	__u32 nodelay;	 /* 0 or 1 */
	__u32 init_cwnd; /* segments */
	__u32 syn_rto_ms;
	__u32 sndbuf; /* bytes */
	__u32 rcvbuf; /* bytes */
	char congestion[16];
};

/* svc_stats_map and backend_stats_map value (per CPU). */
struct shunt_traffic_stats {
	__u64 fwd_packets; /* client -> backend */
	__u64 fwd_bytes;
	__u64 rev_packets; /* backend -> client */
	__u64 rev_bytes;
	__u64 new_flows;
	__u64 no_backend; /* packets dropped: no active backend */
};

/* global_stats_map: one per-CPU __u64 per counter. The order is ABI. */
#define SHUNT_COUNTERS(X)                                                      \
	X(CT_HIT, "ct_hit")                                                    \
	X(CT_MISS, "ct_miss")                                                  \
	X(CT_REV_HIT, "ct_rev_hit")                                            \
	X(CT_EXPIRED, "ct_expired")                                            \
	X(CT_REOPEN, "ct_reopen")                                              \
	X(CT_BACKEND_GONE, "ct_backend_gone")                                  \
	X(CT_CREATE_FAIL, "ct_create_fail")                                    \
	X(CT_MISS_MIDSTREAM, "ct_miss_midstream")                              \
	X(CT_REV_RESTORED, "ct_rev_restored")                                  \
	X(AFFINITY_HIT, "affinity_hit")                                        \
	X(NAT_FWD, "nat_fwd")                                                  \
	X(NAT_REV, "nat_rev")                                                  \
	X(FRAG_FIRST, "frag_first")                                            \
	X(FRAG_LATER, "frag_later")                                            \
	X(REDIRECT, "redirect")                                                \
	X(REDIRECT_PEER, "redirect_peer")                                      \
	X(REDIRECT_NEIGH, "redirect_neigh")                                    \
	X(XDP_TX, "xdp_tx")                                                    \
	X(PASS_NOT_IP, "pass_not_ip")                                          \
	X(PASS_VLAN_STACKED, "pass_vlan_stacked")                              \
	X(PASS_MALFORMED_L3, "pass_malformed_l3")                              \
	X(PASS_NOT_L4, "pass_not_l4")                                          \
	X(PASS_V6_EXT, "pass_v6_ext")                                          \
	X(PASS_NOT_SERVICE, "pass_not_service")                                \
	X(PASS_FRAG_NO_STATE, "pass_frag_no_state")                            \
	X(PASS_TTL, "pass_ttl_exceeded")                                       \
	X(PASS_VLAN_NAT, "pass_vlan_nat")                                      \
	X(PASS_FIB_NO_NEIGH, "pass_fib_no_neigh")                              \
	X(PASS_FIB_LOCAL, "pass_fib_local")                                    \
	X(PASS_FIB_FAIL, "pass_fib_fail")                                      \
	X(PASS_NO_XDP_TARGET, "pass_no_xdp_target")                            \
	X(PASS_MALFORMED_L4, "pass_malformed_l4")                              \
	X(DROP_NO_BACKEND, "drop_no_backend")                                  \
	X(REJECT_TCP, "reject_tcp")                                            \
	X(REJECT_UDP, "reject_udp")                                            \
	X(DROP_NAT_FAIL, "drop_nat_fail")                                      \
	X(SNAT_NEW, "snat_new")                                                \
	X(SNAT_HAIRPIN, "snat_hairpin")                                        \
	X(SNAT_RETRY, "snat_port_retry")                                       \
	X(DROP_SNAT_EXHAUSTED, "drop_snat_exhausted")                          \
	X(DROP_SNAT_NO_ADDR, "drop_snat_no_addr")                              \
	X(SNAT_REV_LOST, "snat_rev_lost")                                      \
	X(SOCK_CONNECT, "sock_connect")                                        \
	X(SOCK_SENDMSG, "sock_sendmsg")                                        \
	X(SOCK_RECVMSG_REV, "sock_recvmsg_rev")                                \
	X(SOCK_PEERNAME_REV, "sock_getpeername_rev")                           \
	X(SOCK_NO_BACKEND, "sock_no_backend")                                  \
	X(SOCK_EXCLUDED, "sock_excluded")                                      \
	X(SOCKMAP_ADD, "sockmap_sockets")                                      \
	X(SOCKMAP_PAIRS, "sockmap_pairs")                                      \
	X(SOCKMAP_MSGS, "sockmap_msgs")                                        \
	X(SOCKMAP_BYTES, "sockmap_bytes")                                      \
	X(SOCKMAP_NO_PEER, "sockmap_no_peer")                                  \
	X(TUNE_APPLIED, "tune_applied")                                        \
	X(TUNE_FAILED, "tune_failed")                                          \
	X(DSR_NEW, "dsr_new")                                                  \
	X(DSR_OPT_SENT, "dsr_opt_sent")                                        \
	X(DSR_IN, "dsr_in")                                                    \
	X(DSR_IN_UNKNOWN, "dsr_in_unknown")                                    \
	X(DROP_DSR_ENCAP, "drop_dsr_encap")                                    \
	X(ICMP_TOO_BIG, "icmp_too_big_sent")                                   \
	X(DROP_TOO_BIG, "drop_too_big")                                        \
	X(ICMP_TRANSLATED, "icmp_err_translated")                              \
	X(DSR_IN_CONFLICT, "dsr_in_conflict")                                  \
	X(SNAT_PAWS_SKIP, "snat_paws_skip")                                    \
	X(DSR_IN_FORGOT, "dsr_in_forgot")                                      \
	X(CT_REV_TO_FRONTEND, "ct_rev_to_frontend")                            \
	X(CT_REPLY_CLASH, "ct_reply_clash")                                    \
	X(LOCAL_SHORT_CIRCUIT, "local_short_circuit")                          \
	X(CT_RST_IGNORED, "ct_rst_out_of_window")                              \
	X(DROP_SRC_RANGE, "drop_src_range")

#define SHUNT_COUNTER_ENUM(id, name) SHUNT_C_##id,
enum shunt_counter { SHUNT_COUNTERS(SHUNT_COUNTER_ENUM) SHUNT_C_MAX };
#undef SHUNT_COUNTER_ENUM

#endif /* SHUNT_ABI_H */
