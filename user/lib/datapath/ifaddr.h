/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The addresses of attached interfaces in iface_map: the source of the
 * flows the datapath masquerades out of each. */
#ifndef SHUNT_IFADDR_H
#define SHUNT_IFADDR_H

#include <stdbool.h>
#include "shunt.h"

/* ifname's first address of each family into v (addr4, addr6): global
 * ones first, IPv4 169.254/16 and IPv6 link-local ones when it has no
 * other; loopback never. Zero where it has none. */
int shunt_iface_addrs(const char *ifname, struct shunt_iface *v);

/* Bring the addresses of every interface of this network namespace in
 * iface_map up to date; *changed tells whether any entry was written. */
int shunt_iface_addrs_sync(struct shunt *s, bool *changed);

#endif /* SHUNT_IFADDR_H */
