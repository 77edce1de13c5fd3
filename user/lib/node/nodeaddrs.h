/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which addresses of this node serve NodePorts: kube-proxy's
 * --nodeport-addresses. Empty: every address of the network namespace
 * but loopback and IPv6 link-local ones; otherwise the addresses inside
 * the given CIDRs, and with "primary" the node's primary addresses (the
 * ones given, else the source address of each family's default route).
 */
#ifndef SHUNT_NODEADDRS_H
#define SHUNT_NODEADDRS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <shunt/abi.h>

#define SHUNT_NODEPORT_CIDRS_MAX 32

struct shunt_cidr {
	union shunt_ip net;
	__u8 family;
	__u8 plen;
};

struct shunt_nodeport_addrs {
	bool primary;
	struct shunt_cidr cidrs[SHUNT_NODEPORT_CIDRS_MAX];
	size_t n_cidrs;
};

/* "10.0.0.0/8,fd00::/64,primary" (comma separated); "" selects all.
 * 0, or -EINVAL with err naming the bad entry. */
int shunt_nodeport_addrs_parse(const char *list,
			       struct shunt_nodeport_addrs *out, char *err,
			       size_t errlen);

/* Is addr inside cidr? */
bool shunt_cidr_contains(const struct shunt_cidr *cidr,
			 const union shunt_ip *addr, __u8 family);

/* The selected addresses of this network namespace, sorted, no
 * duplicates. primary[0..n_primary-1]: the node's primary addresses
 * (NULL/0: the default routes' sources). Free *out. 0 or -errno. */
int shunt_node_addrs_select(const struct shunt_nodeport_addrs *sel,
			    const struct shunt_node_addr *primary,
			    size_t n_primary, struct shunt_node_addr **out,
			    size_t *n);

#endif /* SHUNT_NODEADDRS_H */
