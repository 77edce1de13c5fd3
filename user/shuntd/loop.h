/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's event loop state, shared by its parts (agent.c, sync.c,
 * nodeports.c). Only the loop's thread touches it. */
#ifndef SHUNTD_LOOP_H
#define SHUNTD_LOOP_H

#include <limits.h>

#include "agent.h"
#include "k8s.h"
#include "metrics.h"

struct hc_server;

struct loop {
	struct shuntd_options *opt;
	struct agent_stats *st;
	const char *pin_root;
	struct shunt s; /* open for the agent's life; locked per change */
	bool s_open;
	struct metrics_server *metrics;
	int epfd, sigfd, inofd, k8sfd, nlfd;
	char watch_dir[PATH_MAX];
	char watch_name[NAME_MAX + 1];
	struct k8s_source *k8s;
	struct hc_server *hc; /* healthCheckNodePorts, with k8s */
	struct gc_worker *gc;
};

/* sync.c: apply a source; false when it failed (logged, counted). */
bool sync_file(struct loop *l);
bool sync_k8s(struct loop *l);
void sync_done(struct loop *l, enum agent_source src, bool ok, size_t services,
	       size_t conflicts, double seconds);

/* stale.c: log and count what ending removed backends' sockets did. */
void stale_setup(struct loop *l);

/* gc.c: conntrack GC every --gc-interval in a thread of its own (the
 * first pass at once); gc_pass() is one pass, for --once. */
struct gc_worker;
int gc_start(struct loop *l);
void gc_stop(struct loop *l);
void gc_pass(struct loop *l, struct shunt *s);

/* nodeports.c: follow this node's addresses into node_addr_map. */
int nodeports_start(struct loop *l);
void nodeports_sync(struct loop *l);

#endif /* SHUNTD_LOOP_H */
