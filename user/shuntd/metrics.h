/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The agent's HTTP endpoints (libmicrohttpd, its own thread):
 *   /metrics  Prometheus text format
 *   /healthz  200 while the process runs and the maps can be read
 *   /readyz   200 once the datapath is attached and every enabled
 *             source has synced, else 503
 */
#ifndef SHUNTD_METRICS_H
#define SHUNTD_METRICS_H

#include "agent.h"

struct metrics_server;

/* addr: "[ADDR]:PORT" (":9470" = every address). -EINVAL on a bad
 * address, -errno when the port cannot be bound. */
int metrics_start(struct metrics_server **out, const char *addr,
		  const char *pin_root, struct agent_stats *stats);
void metrics_stop(struct metrics_server *m);

/* The /metrics body (malloc'd), also for tests. */
char *metrics_render(const char *pin_root, struct agent_stats *stats);

#endif /* SHUNTD_METRICS_H */
