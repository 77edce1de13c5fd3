/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The agent's HTTP endpoints (libmicrohttpd, a small thread pool):
 *   /metrics  Prometheus text format, from a snapshot
 *   /healthz  200 while the process runs and the maps can be read
 *   /readyz   200 once the datapath is attached and every enabled
 *             source has synced, else 503
 *
 * /metrics never walks the maps itself: a refresher thread renders a
 * snapshot after each sync and GC (at most once a second, reading each
 * map once), and a scrape copies the last one. So scrapes never take the
 * writer lock or slow the event loop, and /healthz and /readyz answer
 * while a scrape runs.
 */
#ifndef SHUNTD_METRICS_H
#define SHUNTD_METRICS_H

#include "agent.h"

#define METRICS_MIN_INTERVAL_MS 1000
#define METRICS_MAX_CONNECTIONS 64
#define METRICS_SNAPSHOT_NICE	10   /* the snapshot thread's, when boosted */
#define METRICS_MAX_WAIT_MS	2000 /* a wanted snapshot waits, at most */

struct metrics_server;

/* addr: "[ADDR]:PORT" (":9470" = every address). -EINVAL on a bad
 * address, -errno when the port cannot be bound. */
int metrics_start(struct metrics_server **out, const char *addr,
		  const char *pin_root, struct agent_stats *stats);
/* Ask for a new snapshot (returns at once; NULL m is fine). */
void metrics_refresh(struct metrics_server *m);
void metrics_stop(struct metrics_server *m);

#endif /* SHUNTD_METRICS_H */
