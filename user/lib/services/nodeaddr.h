/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This node's addresses in node_addr_map: a NodePort frontend (the
 * wildcard *:port/proto) answers on each of them. shuntd keeps the map
 * current from netlink address events; shuntctl can edit it by hand.
 */
#ifndef SHUNT_NODEADDR_H
#define SHUNT_NODEADDR_H

#include <stddef.h>
#include "shunt.h"

int shunt_node_addr_add(struct shunt *s, const union shunt_ip *addr,
			__u8 family);
/* -ENOENT when it was not there. */
int shunt_node_addr_del(struct shunt *s, const union shunt_ip *addr,
			__u8 family);
/* Every address, sorted by family then address. Free *out. */
int shunt_node_addr_list(struct shunt *s, struct shunt_node_addr **out,
			 size_t *n);
/* Make the map exactly want[0..n-1]: add the missing ones, delete the
 * others. */
int shunt_node_addr_sync(struct shunt *s, const struct shunt_node_addr *want,
			 size_t n);

#endif /* SHUNT_NODEADDR_H */
