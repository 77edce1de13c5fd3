// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Interface addresses for SNAT. A masqueraded flow leaves with the
 * address of its egress interface, as iptables' MASQUERADE does; the
 * datapath reads it from the interface's iface_map entry, which this
 * file keeps current (at attach, and when shuntd sees addresses change).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "attach.h"
#include "ifaddr.h"

/* 2: global, 1: link-local (169.254/16, fe80::/10), 0: not usable. */
static int rank(const struct sockaddr *sa)
{
	const struct in6_addr *a6;
	const __u8 *b;

	if (sa->sa_family == AF_INET) {
		b = (const __u8 *)&((const struct sockaddr_in *)sa)->sin_addr;
		if (b[0] == 127 || b[0] == 0)
			return 0;
		return b[0] == 169 && b[1] == 254 ? 1 : 2;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_UNSPECIFIED(a6))
		return 0;
	return IN6_IS_ADDR_LINKLOCAL(a6) ? 1 : 2;
}

int shunt_iface_addrs(const char *ifname, struct shunt_iface *v)
{
	int best4 = 0, best6 = 0, r;
	struct ifaddrs *ifa, *i;

	memset(&v->addr4, 0, sizeof(v->addr4));
	memset(&v->addr6, 0, sizeof(v->addr6));
	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		r = rank(i->ifa_addr);
		if (i->ifa_addr->sa_family == AF_INET && r > best4) {
			memcpy(&v->addr4.v4,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			       4);
			best4 = r;
		} else if (i->ifa_addr->sa_family == AF_INET6 && r > best6) {
			memcpy(v->addr6.bytes,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
			best6 = r;
		}
	}
	freeifaddrs(ifa);
	return 0;
}

int shunt_iface_addrs_sync(struct shunt *s, bool *changed)
{
	struct shunt_iface_info *list;
	struct shunt_iface v;
	size_t n, i;
	int err;

	*changed = false;
	err = shunt_iface_list(s, &list, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		if (!list[i].present)
			continue;
		v = list[i].iface;
		err = shunt_iface_addrs(v.name, &v);
		if (err || !memcmp(&v, &list[i].iface, sizeof(v)))
			continue;
		if (bpf_map_update_elem(s->iface_map, &list[i].ifindex, &v,
					BPF_EXIST))
			err = -errno;
		else
			*changed = true;
	}
	free(list);
	return err;
}
