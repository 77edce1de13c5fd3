/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What kind of interface an ifindex is, in the current network namespace. */
#ifndef SHUNT_IFINFO_H
#define SHUNT_IFINFO_H

#include <stdbool.h>

struct ifinfo {
	int ifindex;
	char name[16];
	char driver[32]; /* ethtool driver name: "veth", "mlx5_core", ... */
	bool physical;	 /* backed by a bus device (PCI, ...) */
	bool veth;
	bool peer_netns; /* the link's peer lives in another netns */
};

/* 0, or -ENODEV when there is no such interface. */
int ifinfo_get(const char *name, struct ifinfo *info);

#endif /* SHUNT_IFINFO_H */
