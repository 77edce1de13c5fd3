// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Conntrack GC in a thread of its own, with a handle of its own: a pass
 * over a full table takes a while, and the event loop keeps applying
 * changes meanwhile (GC needs no writer lock: see shunt_ct_gc()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctgc.h"
#include "log.h"
#include "loop.h"

struct gc_worker {
	struct loop *l;
	struct shunt s;
	pthread_t thread;
	pthread_mutex_t lock; /* stop */
	pthread_cond_t cond;
	bool stop;
};

static const char *num(char *buf, size_t len, unsigned long long v)
{
	snprintf(buf, len, "%llu", v);
	return buf;
}

void gc_pass(struct loop *l, struct shunt *s)
{
	struct shunt_gc_result r;
	char a[24], b[24], c[24], d[24];
	int err, i;

	err = shunt_ct_gc(s, 0, &r);
	if (err) {
		log_error("conntrack GC failed", "error", strerror(-err), NULL);
		return;
	}
	pthread_mutex_lock(&l->st->lock);
	l->st->gc_runs++;
	l->st->gc_scanned += r.scanned;
	l->st->gc_removed += r.removed;
	for (i = 0; i < SHUNT_CT_STATE_MAX; i++)
		l->st->ct_entries[i] = r.by_state[i];
	l->st->ct_total = r.flows;
	l->st->ct_capacity = r.capacity;
	pthread_mutex_unlock(&l->st->lock);
	metrics_refresh(l->metrics);
	if (r.removed)
		log_debug("conntrack GC", "scanned", num(a, 24, r.scanned),
			  "removed", num(b, 24, r.removed), NULL);
	if (r.near_full)
		log_warn("conntrack table nearly full", "entries",
			 num(c, 24, r.scanned - r.removed), "capacity",
			 num(d, 24, r.capacity), NULL);
}

/* Sleep one interval; false when asked to stop. */
static bool wait_interval(struct gc_worker *g)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += g->l->opt->gc_interval;
	pthread_mutex_lock(&g->lock);
	while (!g->stop &&
	       pthread_cond_timedwait(&g->cond, &g->lock, &ts) != ETIMEDOUT)
		;
	stop = g->stop;
	pthread_mutex_unlock(&g->lock);
	return !stop;
}

static void *run(void *arg)
{
	struct gc_worker *g = arg;

	do
		gc_pass(g->l, &g->s);
	while (wait_interval(g));
	return NULL;
}

int gc_start(struct loop *l)
{
	struct gc_worker *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;
	int err;

	if (!g)
		return -ENOMEM;
	g->l = l;
	err = shunt_open(&g->s, l->pin_root, 0);
	if (err) {
		free(g);
		return err;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = -pthread_create(&g->thread, NULL, run, g);
	if (err) {
		shunt_close(&g->s);
		free(g);
		return err;
	}
	l->gc = g;
	return 0;
}

void gc_stop(struct loop *l)
{
	struct gc_worker *g = l->gc;

	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	shunt_close(&g->s);
	free(g);
	l->gc = NULL;
}
