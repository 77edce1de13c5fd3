/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The socket-level path's attachment to cgroup v2: the sock_addr programs
 * (connect, sendmsg, recvmsg, getpeername; v4 and v6) and sockops, as
 * bpf_links pinned under links/, so they outlast the process. A cgroup
 * subtree can be excluded (sidecar meshes): the programs leave its
 * sockets alone.
 */
#ifndef SHUNT_CGROUP_H
#define SHUNT_CGROUP_H

#include <stddef.h>
#include "shunt.h"

struct shunt_cgroup_info {
	__u64 id;
	char path[PATH_MAX]; /* "" when no directory has that id any more */
	unsigned int progs;  /* programs attached there */
};

/* The cgroup v2 mount point, from the mount table (the one at
 * /sys/fs/cgroup if that is cgroup v2). -ENOENT when there is none. */
int shunt_cgroup_root(char *buf, size_t len);
/* The id of the cgroup v2 directory at path (what BPF programs see). */
int shunt_cgroup_id(const char *path, __u64 *id);

/* Attach every socket program to the cgroup at path (all or nothing).
 * -ENOTDIR/-ENOENT: not a cgroup v2 directory. */
int shunt_cgroup_attach(struct shunt *s, const char *path);
/* -ENOENT when nothing of shunt is attached there. */
int shunt_cgroup_detach(struct shunt *s, const char *path);
int shunt_cgroup_list(struct shunt *s, struct shunt_cgroup_info **out,
		      size_t *n);
/* After a reload: every cgroup link runs the program now pinned under
 * its name (bpf_link_update, no gap). */
int shunt_cgroup_refresh(struct shunt *s);

/* Exclude the subtree at path from the socket programs, or include it
 * again (-ENOENT when it was not excluded). */
int shunt_cgroup_exclude(struct shunt *s, const char *path);
int shunt_cgroup_include(struct shunt *s, const char *path);
int shunt_cgroup_excluded(struct shunt *s, struct shunt_cgroup_info **out,
			  size_t *n);

#endif /* SHUNT_CGROUP_H */
