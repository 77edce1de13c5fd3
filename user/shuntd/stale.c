// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stale sockets of removed backends: each sync that removed backends
 * ends their sockets (libshunt, node/sockdestroy.h); here its outcome is
 * logged and counted for /metrics. A kernel without bpf_sock_destroy()
 * is said once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "sockdestroy.h"

static void count(struct agent_stats *st, const struct shunt_sd_result *r)
{
	pthread_mutex_lock(&st->lock);
	st->sd_runs++;
	st->sd_udp += r->udp;
	st->sd_tcp += r->tcp;
	st->sd_errors += (r->err && !r->unsupported) + r->failed;
	pthread_mutex_unlock(&st->lock);
}

/* Without CAP_SYS_ADMIN only the agent's own namespace is walked: said
 * once, the first time. */
static void denied(const struct shunt_sd_result *r)
{
	static bool told;
	char d[24];

	if (!r->netns_denied || told)
		return;
	told = true;
	snprintf(d, sizeof(d), "%zu", r->netns_denied);
	log_warn(
		"stale sockets are ended only in the agent's own network namespace: entering others needs CAP_SYS_ADMIN (and hostPID to see them)",
		"namespaces_not_entered", d, NULL);
}

static void report(const struct shunt_sd_result *r, void *arg)
{
	char u[24], t[24], f[24], n[24], w[24];

	if (r->unsupported) {
		log_warn("stale sockets of removed backends are not ended",
			 "reason", r->what, NULL);
		return;
	}
	count(arg, r);
	denied(r);
	snprintf(u, sizeof(u), "%" PRIu64, (uint64_t)r->udp);
	snprintf(t, sizeof(t), "%" PRIu64, (uint64_t)r->tcp);
	snprintf(f, sizeof(f), "%" PRIu64, (uint64_t)r->failed);
	snprintf(n, sizeof(n), "%zu", r->netns);
	snprintf(w, sizeof(w), "%zu", r->targets);
	if (r->err)
		log_warn("ending sockets of removed backends failed", "what",
			 r->what, "error", strerror(-r->err), "backends", w,
			 "netns_walked", n, "udp", u, "tcp", t, NULL);
	else if (r->udp || r->tcp || r->failed)
		log_info("ended sockets of removed backends", "backends", w,
			 "udp", u, "tcp", t, "refused", f, "netns", n, NULL);
}

void stale_setup(struct loop *l)
{
	shunt_sock_destroy_set_report(report, l->st);
}
