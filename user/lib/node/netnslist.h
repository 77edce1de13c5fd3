/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The node's network namespaces, each once, the calling thread's first:
 * those processes live in
 * (/proc/PID/ns/net, which needs the host's PID namespace to see them
 * all) and named ones (/run/netns/NAME). A namespace only a thread or an
 * open socket holds is not found.
 */
#ifndef SHUNT_NETNSLIST_H
#define SHUNT_NETNSLIST_H

#include <stddef.h>
#include <sys/types.h>
#include "vec.h"

struct netns_id {
	dev_t dev;
	ino_t ino;
};

struct netns_list {
	VEC(int) fds; /* open namespace files, O_RDONLY */
	VEC(struct netns_id) ids;
};

/* Fill l (empty) with an open fd per namespace. 0 or -errno (-ENOMEM);
 * namespaces that vanish while listed are skipped. */
int netns_list_collect(struct netns_list *l);
void netns_list_free(struct netns_list *l);

#endif /* SHUNT_NETNSLIST_H */
