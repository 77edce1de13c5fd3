/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The veth selftests' world: the namespace topology of tests/lib/topo.sh
 * (client, node, backends running shunt-httpd) with shunt attached on
 * every node interface in one mode, a private pin root, and the node's
 * FORWARD policy set to DROP so that only shunt can move service traffic.
 */
#ifndef SHUNT_TEST_VETHENV_H
#define SHUNT_TEST_VETHENV_H

#include <stddef.h>

#define VETH_VIP4	"10.96.0.10"
#define VETH_VIP6	"fd00:96::10"
#define VETH_HTTP_PORT	8080
#define VETH_UDP_PORT	5353
#define VETH_TIMEOUT_MS 3000

struct vethenv {
	char src[4096];	     /* repository root */
	char shuntctl[4200]; /* the binary under test */
	char prefix[32];
	char client_ns[64];
	char node_ns[64];
	char pin_root[128];
	char mode[8]; /* tc, xdp or auto */
	int nbackends;
};

/* Mode from $SHUNT_TEST_MODE (tc, xdp, auto; default tc). tag: a short
 * name for the namespaces. 0 or -1 (everything already torn down). */
int vethenv_up(struct vethenv *e, const char *tag, int nbackends);
void vethenv_down(struct vethenv *e);

/* Run shuntctl against the node with the env's pin root; its exit
 * status. */
int vethenv_ctl(struct vethenv *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, capturing stdout. */
int vethenv_ctl_capture(struct vethenv *e, char *buf, size_t len,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Backend i's addresses (1-based) as "10.200.1I.2" / "fd00:200:1I::2". */
void vethenv_backend_ip4(char *buf, size_t len, int i);
void vethenv_backend_ip6(char *buf, size_t len, int i);

/* Services VIP4:port/proto and [VIP6]:port/proto, each with every
 * backend of the topology at backend_port. 0 or -1. */
int vethenv_services(struct vethenv *e, int port, const char *proto,
		     int backend_port);

/* A global datapath counter, from `shuntctl stats --json`; -1 on error. */
long long vethenv_counter(struct vethenv *e, const char *name);

/* Which backend ("beN") serves a fresh connection's GET /; 0 or -errno.
 * host may be an IPv6 literal. */
int vethenv_which(struct vethenv *e, const char *host, int port, char *name,
		  size_t len);

#endif /* SHUNT_TEST_VETHENV_H */
