/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The agent: datapath set-up, the sources (services file, Kubernetes),
 * this node's NodePort addresses, conntrack GC and the numbers /metrics
 * reports. One thread runs the event loop and holds the only long-lived
 * handle on the maps (and its model); the metrics server renders its
 * snapshots in threads of its own.
 */
#ifndef SHUNTD_AGENT_H
#define SHUNTD_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "k8s_model.h"
#include "options.h"
#include "reconcile.h"

enum agent_source {
	SOURCE_FILE = 0,
	SOURCE_K8S = 1,
	SOURCE_MAX,
};

struct source_stats {
	bool enabled;
	bool synced; /* applied successfully at least once */
	uint64_t syncs;
	uint64_t sync_errors;
	double last_sync;	  /* unix time of the last successful sync */
	double last_sync_seconds; /* how long it took */
	size_t services;	  /* services it owns after the last sync */
	size_t conflicts;	  /* left alone at the last sync */
};

struct agent_stats {
	pthread_mutex_t lock;
	struct source_stats src[SOURCE_MAX];
	uint64_t gc_runs;
	uint64_t gc_scanned;
	uint64_t gc_removed;
	/* Socket destroy passes after backends left (stale.c). */
	uint64_t sd_runs, sd_udp, sd_tcp, sd_errors;
	size_t ct_entries[SHUNT_CT_STATE_MAX]; /* at the last GC run */
	size_t ct_total;
	size_t ct_capacity;
	size_t node_addrs; /* NodePort addresses in node_addr_map */
	/* Frontends refused to Kubernetes Services (VIP ownership), by
	 * enum k8s_refusal. */
	uint64_t refused[K8S_REFUSED_REASONS];
	bool datapath_ready;
};

const char *agent_source_name(enum agent_source s);
/* CLOCK_MONOTONIC, in seconds. */
double mono_now(void);

/* Load, attach, start sources and metrics; run until SIGTERM/SIGINT (or
 * once with --once). Returns the exit status. */
int agent_run(struct shuntd_options *opt);
/* shuntd --cleanup */
int agent_cleanup(struct shuntd_options *opt);
/* Load or reuse, set lifetimes, attach (datapath.c). 0 or -errno. */
int datapath_setup(struct shuntd_options *opt, const char *pin_root);

/* Ready: datapath attached and every enabled source synced once. */
bool agent_ready(struct agent_stats *st);

#endif /* SHUNTD_AGENT_H */
