/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Environment for the program tests (tests/prog): the test process moves
 * into its own network namespace (everything there vanishes with the
 * process), builds two veth pairs with addresses, routes, forwarding and
 * permanent neighbours, loads the datapath under a private pin root and
 * runs shunt_xdp / shunt_tc on single packets with BPF_PROG_TEST_RUN.
 *
 *   cli0 (10.0.0.1/24, fd00:a::1/64) <-> cli1   client side
 *        client 10.0.0.2 / fd00:a::2 at PENV_CLIENT_MAC
 *   be0  (10.0.1.1/24, fd00:b::1/64) <-> be1    backend side
 *        backend 10.0.1.2 / fd00:b::2 at PENV_BE1_MAC
 *        backend 10.0.1.3 / fd00:b::3 at PENV_BE2_MAC
 *        10.0.1.9 / fd00:b::9: no neighbour entry
 */
#ifndef SHUNT_TEST_PROGENV_H
#define SHUNT_TEST_PROGENV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <shunt/abi.h>
#include "pktgen.h"
#include "shunt.h"

#define PENV_CLI_IF   "cli0"
#define PENV_CLI_PEER "cli1"
#define PENV_BE_IF    "be0"
#define PENV_BE_PEER  "be1"

#define PENV_CLI_MAC	"02:00:00:00:a0:01" /* cli0 */
#define PENV_BE_IF_MAC	"02:00:00:00:b0:01" /* be0 */
#define PENV_CLIENT_MAC "02:00:00:00:00:02" /* 10.0.0.2, fd00:a::2 */
#define PENV_BE1_MAC	"02:00:00:00:01:02" /* 10.0.1.2, fd00:b::2 */
#define PENV_BE2_MAC	"02:00:00:00:01:03" /* 10.0.1.3, fd00:b::3 */

#define PENV_CLIENT4  "10.0.0.2"
#define PENV_CLIENT6  "fd00:a::2"
#define PENV_BE1_4    "10.0.1.2"
#define PENV_BE2_4    "10.0.1.3"
#define PENV_BE1_6    "fd00:b::2"
#define PENV_BE2_6    "fd00:b::3"
#define PENV_NONEIGH4 "10.0.1.9"
#define PENV_NONEIGH6 "fd00:b::9"

enum penv_hook {
	PENV_XDP = 0,
	PENV_TC = 1,
};

struct penv {
	struct shunt s;
	char root[128];
	int prog_fd[2]; /* by enum penv_hook */
	int if_cli;	/* ifindex of cli0 */
	int if_be;	/* ifindex of be0 */
	__u8 mac_cli[6];
	__u8 mac_be[6];
};

/* The one environment of this process (valid after penv_setup). */
extern struct penv penv;

/* The hooks for cmocka's initial_state: &penv_hooks[PENV_XDP], ... */
extern const enum penv_hook penv_hooks[2];

/* cmocka group setup / teardown: namespace, topology, datapath. The
 * teardown also runs at exit and on SIGINT/SIGTERM, so the pin root is
 * removed whatever happens to the tests. */
int penv_setup(void **state);
int penv_teardown(void **state);

/* cmocka per-test setup: no services, backends, conntrack, affinity or
 * fragment state, all counters zero, cli0 and be0 in iface_map as
 * attached in XDP and tc mode. */
int penv_reset(void **state);

const char *penv_hook_name(enum penv_hook hook);
/* The verdicts of a hook. */
__u32 penv_pass(enum penv_hook hook);
__u32 penv_redirect(enum penv_hook hook);
__u32 penv_drop(enum penv_hook hook);

/*
 * Run the hook's program once on a frame arriving on ifindex. out gets
 * the frame as the program left it (*out_len its length, cap bytes at
 * most), *verdict the return value. 0, or -errno from the kernel.
 */
int penv_run(enum penv_hook hook, int ifindex, const void *in, size_t len,
	     void *out, size_t cap, size_t *out_len, __u32 *verdict);

/* iface_map entry for ifindex (flags SHUNT_IFACE_F_*), or none. */
int penv_set_iface(int ifindex, __u32 flags);
int penv_del_iface(int ifindex);

/* Global counters, summed over CPUs. */
__u64 penv_counter(enum shunt_counter c);
void penv_counters(__u64 out[SHUNT_C_MAX]);

/*
 * Compare two snapshots: every listed counter must have moved by exactly
 * its delta and every other one not at all. The list is int pairs
 * (enum shunt_counter, delta) ended by -1. 0 when they match, else -1
 * after printing every counter that differs on stderr. (No cmocka here:
 * benchmarks link this file too.)
 */
int penv_check_counters(const __u64 before[SHUNT_C_MAX],
			const __u64 after[SHUNT_C_MAX], ...);

/* --- services ------------------------------------------------------- */

/* A service key: VIP text, port (host order), IPPROTO_TCP/UDP. */
struct shunt_frontend_key penv_svc_key(const char *vip, __u16 port, __u8 proto);
/* Add a service; *svc_id (may be NULL) gets its id. 0 or -errno. */
int penv_service_add(const struct shunt_frontend_key *key, __u32 table_size,
		     __u32 affinity_timeout, __u32 *svc_id);
/* Add a backend (address text, port in host order); *id its backend id. */
int penv_backend_add(const struct shunt_frontend_key *key, const char *addr,
		     __u16 port, __u32 weight, __u32 *id);
int penv_backend_del(const struct shunt_frontend_key *key, const char *addr,
		     __u16 port);
int penv_backend_state(const struct shunt_frontend_key *key, const char *addr,
		       __u16 port, enum shunt_backend_state state);
/* backend_map entry of id. 0 or -errno. */
int penv_backend_get(__u32 id, struct shunt_backend *be);
/* The backend id the service's current Maglev table holds at
 * hash % table size: the prediction for a new flow. */
__u32 penv_table_pick(__u32 svc_id, __u32 hash);
/* Prediction for a new flow of a service without affinity, from the
 * shared hash (include/shunt/hash.h). Ports in host order. */
__u32 penv_predict_flow(__u32 svc_id, const struct pg_addr *src, __u16 sport,
			const struct pg_addr *dst, __u16 dport, __u8 proto);
/* Prediction for a new client of a ClientIP affinity service. */
__u32 penv_predict_client(__u32 svc_id, const struct pg_addr *client);
/* union shunt_ip of a pg_addr. */
union shunt_ip penv_ip(const struct pg_addr *a);
/* Traffic counters of a service / backend, summed over CPUs. */
struct shunt_traffic_stats penv_svc_stats(__u32 svc_id);
struct shunt_traffic_stats penv_backend_stats(__u32 backend_id);

/* Run a shell command in the test's namespace; its exit status. */
int penv_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SHUNT_TEST_PROGENV_H */
