// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Applying the sources: the services file as a full reconcile, the
 * Kubernetes source as the difference since its last sync. Both go
 * through the agent's long-lived handle, whose model makes the diff cost
 * what changed; the writer lock is held only while a change is made.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "healthcheck.h"
#include "log.h"
#include "loop.h"
#include "podcidr.h"
#include "svcfile.h"

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sync_done(struct loop *l, enum agent_source src, bool ok, size_t services,
	       size_t conflicts, double seconds)
{
	struct source_stats *s = &l->st->src[src];

	pthread_mutex_lock(&l->st->lock);
	s->syncs++;
	if (ok) {
		s->synced = true;
		s->last_sync = unix_now();
		s->last_sync_seconds = seconds;
		s->services = services;
		s->conflicts = conflicts;
	} else {
		s->sync_errors++;
	}
	pthread_mutex_unlock(&l->st->lock);
	metrics_refresh(l->metrics);
}

static const char *num(char *buf, size_t len, unsigned long long v)
{
	snprintf(buf, len, "%llu", v);
	return buf;
}

static void log_result(enum agent_source src, size_t services,
		       const struct shunt_reconcile_result *r, double secs)
{
	char a[24], u[24], d[24], k[24], c[24], t[32];

	snprintf(t, sizeof(t), "%.6f", secs);
	/* first_error only when there is one: a NULL key ends the fields. */
	log_info(r->failed ? "sync partly failed" : "synced", "source",
		 agent_source_name(src), "services", num(a, 24, services),
		 "added", num(u, 24, r->added), "updated",
		 num(d, 24, r->updated), "removed", num(k, 24, r->removed),
		 "conflicts", num(c, 24, r->conflicts), "seconds", t,
		 r->first_error[0] ? "first_error" : NULL, r->first_error,
		 NULL);
}

/* Did the sync free a name or frontend another source may be waiting
 * for? (Removed or changed services; what was added took nothing.) */
static bool freed_something(const struct shunt_reconcile_result *r)
{
	return r->removed || r->updated;
}

static bool had_conflicts(struct loop *l, enum agent_source src)
{
	bool yes;

	pthread_mutex_lock(&l->st->lock);
	yes = l->st->src[src].enabled && l->st->src[src].conflicts;
	pthread_mutex_unlock(&l->st->lock);
	return yes;
}

static bool k8s_sync(struct loop *l, bool cascade);

static bool file_sync(struct loop *l, bool cascade)
{
	struct shunt_reconcile_result r = {0};
	struct shunt_desired want;
	double t0 = mono_now();
	size_t owned = 0;
	char err[512];
	int rc;

	if (shunt_svcfile_load(l->opt->services_file, &want, err,
			       sizeof(err))) {
		/* The previous state stays in force. */
		log_error(
			"services file rejected, keeping the previous services",
			"error", err, NULL);
		sync_done(l, SOURCE_FILE, false, 0, 0, 0);
		return false;
	}
	rc = shunt_lock(&l->s);
	if (!rc)
		rc = shunt_reconcile(&l->s, SHUNT_OWNER_FILE, &want, &r);
	if (!rc || rc == -EIO)
		owned = shunt_service_count(&l->s, SHUNT_OWNER_FILE);
	shunt_unlock(&l->s);
	shunt_desired_free(&want);
	if (rc && rc != -EIO) {
		log_error("sync failed", "source", "file", "error",
			  strerror(-rc), NULL);
		sync_done(l, SOURCE_FILE, false, 0, 0, 0);
		return false;
	}
	log_result(SOURCE_FILE, owned, &r, mono_now() - t0);
	sync_done(l, SOURCE_FILE, !r.failed, owned, r.conflicts,
		  mono_now() - t0);
	/* A Kubernetes service left alone for a name or frontend this file
	 * had may now go in: its source applies everything again. */
	if (cascade && l->k8s && freed_something(&r) &&
	    had_conflicts(l, SOURCE_K8S)) {
		k8s_source_resync(l->k8s);
		k8s_sync(l, false);
	}
	return !r.failed;
}

/* The healthCheckNodePorts as the Kubernetes state now has them. */
static void health_sync(struct loop *l)
{
	struct k8s_health *h;
	size_t n;

	if (!l->hc || k8s_source_health(l->k8s, &h, &n))
		return;
	hc_update(l->hc, h, n);
	free(h);
}

/* The Node's podCIDRs into pod_cidr_map when they changed, unless
 * --pod-cidrs gave them. */
static void node_pod_cidrs(struct loop *l)
{
	struct shunt_nodeport_addrs p;
	char n[24];
	int err;

	if (!k8s_source_pod_cidrs(l->k8s, &p) || l->opt->pod_cidrs.n_cidrs)
		return;
	err = shunt_lock(&l->s);
	if (!err)
		err = shunt_pod_cidrs_set(&l->s, p.cidrs, p.n_cidrs);
	shunt_unlock(&l->s);
	snprintf(n, sizeof(n), "%zu", p.n_cidrs);
	if (err)
		log_error("cannot set this node's pod CIDRs", "error",
			  strerror(-err), NULL);
	else
		log_info("pod CIDRs from the Node", "count", n, NULL);
}

static bool k8s_sync(struct loop *l, bool cascade)
{
	struct shunt_reconcile_result r = {0};
	struct k8s_changes c;
	struct k8s_stats ks;
	double t0 = mono_now();
	size_t owned = 0;
	int rc;

	k8s_source_stats(l->k8s, &ks);
	if (!ks.synced)
		return true; /* not listed yet: applying would delete all */
	rc = k8s_source_changes(l->k8s, &c);
	if (!rc)
		health_sync(l);
	node_pod_cidrs(l);
	k8s_source_stats(l->k8s, &ks);
	pthread_mutex_lock(&l->st->lock);
	memcpy(l->st->refused, ks.refused, sizeof(ks.refused));
	pthread_mutex_unlock(&l->st->lock);
	if (rc) {
		log_error("kubernetes: cannot build services", "error",
			  strerror(-rc), NULL);
		sync_done(l, SOURCE_K8S, false, 0, 0, 0);
		return false;
	}
	if (!c.full && !c.want.n && !c.n_remove) {
		/* A wake-up for events an earlier sync already took. */
		k8s_changes_free(&c);
		return true;
	}
	rc = shunt_lock(&l->s);
	if (!rc && c.full)
		rc = shunt_reconcile(&l->s, SHUNT_OWNER_K8S, &c.want, &r);
	else if (!rc)
		rc = shunt_reconcile_delta(&l->s, SHUNT_OWNER_K8S, &c.want,
					   (const char *const *)c.remove,
					   c.n_remove, &r);
	if (!rc || rc == -EIO)
		owned = shunt_service_count(&l->s, SHUNT_OWNER_K8S);
	shunt_unlock(&l->s);
	k8s_changes_free(&c);
	if (rc && rc != -EIO) {
		/* What this delta carried is not in the maps: the next sync
		 * applies everything. */
		k8s_source_resync(l->k8s);
		log_error("sync failed", "source", "kubernetes", "error",
			  strerror(-rc), NULL);
		sync_done(l, SOURCE_K8S, false, 0, 0, 0);
		return false;
	}
	/* Services that failed or were left alone are retried (and counted
	 * again) by a full sync next time; a delta would not carry them. */
	if (r.failed || r.conflicts)
		k8s_source_resync(l->k8s);
	log_result(SOURCE_K8S, owned, &r, mono_now() - t0);
	sync_done(l, SOURCE_K8S, !r.failed, owned, r.conflicts,
		  mono_now() - t0);
	if (cascade && l->opt->services_file[0] && freed_something(&r) &&
	    had_conflicts(l, SOURCE_FILE))
		file_sync(l, false);
	return !r.failed;
}

bool sync_file(struct loop *l)
{
	return file_sync(l, true);
}

bool sync_k8s(struct loop *l)
{
	return k8s_sync(l, true);
}
