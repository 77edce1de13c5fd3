// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /metrics, /healthz and /readyz over libmicrohttpd. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <bpf/bpf.h>

#include "ct.h"
#include "load.h"
#include "mapdump.h"
#include "metrics.h"
#include "parse.h"
#include "service.h"
#include "stats.h"

/* A rendered /metrics body, shared by the scrapes sending it: a scrape
 * takes a reference instead of a copy, so many scrapes of a large body
 * cost no memory or time per scrape. */
struct body {
	atomic_uint refs;
	size_t len;
	char data[];
};

struct metrics_server {
	struct MHD_Daemon *mhd;
	struct shunt s; /* read-only: snapshots, /healthz */
	struct agent_stats *stats;
	pthread_t thread;
	bool thread_running;
	pthread_mutex_t lock; /* want, stop, body, boosted */
	pthread_cond_t cond;
	bool want, stop;
	double want_since; /* CLOCK_MONOTONIC seconds */
	pid_t tid;	   /* the snapshot thread's */
	bool boosted;	   /* out of SCHED_IDLE for one snapshot */
	struct body *body; /* the last snapshot, NULL before the first */
};

static struct body *body_new(const char *text)
{
	size_t len = strlen(text);
	struct body *b = malloc(sizeof(*b) + len + 1);

	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->len = len;
	memcpy(b->data, text, len + 1);
	return b;
}

static void body_put(struct body *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

/* MHD's free callback: data is a body's data. */
static void body_sent(void *data)
{
	body_put((struct body *)((char *)data - offsetof(struct body, data)));
}

/* Prometheus label value: \ " and newline escaped. */
static void label(FILE *f, const char *v)
{
	if (!strpbrk(v, "\\\"\n")) { /* the common case, in one write */
		fputs(v, f);
		return;
	}
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void help(FILE *f, const char *name, const char *type, const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* One pass over each map a snapshot needs. */
struct snap {
	struct shunt_service *recs; /* by id; flags 0: none */
	size_t n_recs;
	__u32 *active, *draining; /* backends by service id */
	struct shunt_traffic_stats *traffic;
	size_t n_traffic;
	size_t frontends;
	size_t backends;
	struct shunt_capacity cap;
};

static int snap_services(struct shunt *s, struct snap *sn)
{
	struct map_dump d;
	size_t i;
	__u32 id;
	int err = map_dump(s->service_map, sizeof(__u32),
			   sizeof(struct shunt_service), &d);

	if (err)
		return err;
	sn->n_recs = sn->cap.services + 1;
	sn->recs = calloc(sn->n_recs, sizeof(*sn->recs));
	sn->active = calloc(sn->n_recs, sizeof(*sn->active));
	sn->draining = calloc(sn->n_recs, sizeof(*sn->draining));
	for (i = 0; sn->recs && i < d.n; i++) {
		id = *(__u32 *)map_dump_key(&d, i);
		if (id < sn->n_recs)
			sn->recs[id] =
				*(struct shunt_service *)map_dump_val(&d, i);
	}
	map_dump_free(&d);
	return sn->recs && sn->active && sn->draining ? 0 : -ENOMEM;
}

static int snap_backends(struct shunt *s, struct snap *sn)
{
	const struct shunt_backend *be;
	struct map_dump d;
	size_t i;
	int err = map_dump(s->backend_map, sizeof(__u32),
			   sizeof(struct shunt_backend), &d);

	for (i = 0; !err && i < d.n; i++) {
		be = map_dump_val(&d, i);
		if (!be->family || be->svc_id >= sn->n_recs)
			continue;
		sn->backends++;
		if (be->state == SHUNT_BE_ACTIVE)
			sn->active[be->svc_id]++;
		else if (be->state == SHUNT_BE_DRAINING)
			sn->draining[be->svc_id]++;
	}
	map_dump_free(&d);
	return err;
}

static int snap_take(struct shunt *s, struct snap *sn)
{
	struct map_dump d;
	int err;

	memset(sn, 0, sizeof(*sn));
	err = shunt_capacity_read(s, &sn->cap);
	if (!err)
		err = snap_services(s, sn);
	if (!err)
		err = snap_backends(s, sn);
	if (!err)
		err = shunt_stats_dump(s->svc_stats_map, &sn->traffic,
				       &sn->n_traffic);
	if (!err)
		err = map_dump(s->frontend_map,
			       sizeof(struct shunt_frontend_key),
			       sizeof(struct shunt_frontend), &d);
	if (!err) {
		sn->frontends = d.n;
		map_dump_free(&d);
	}
	return err;
}

static void snap_free(struct snap *sn)
{
	free(sn->recs);
	free(sn->active);
	free(sn->draining);
	free(sn->traffic);
}

static void svc_labels(FILE *f, const struct shunt_service *rec)
{
	fputs("{service=\"", f);
	label(f, rec->name);
	fputc('"', f);
}

/* Per-service traffic and backends by state. */
static void render_services(FILE *f, const struct snap *sn)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} series[] = {
#define T(n, t, h, field) {n, t, h, offsetof(struct shunt_traffic_stats, field)}
		T("shunt_service_packets_in_total", "counter",
		  "Packets from clients to the service's backends",
		  fwd_packets),
		T("shunt_service_bytes_in_total", "counter",
		  "Bytes from clients to the service's backends", fwd_bytes),
		T("shunt_service_packets_out_total", "counter",
		  "Packets from the service's backends to clients",
		  rev_packets),
		T("shunt_service_bytes_out_total", "counter",
		  "Bytes from the service's backends to clients", rev_bytes),
		T("shunt_service_new_flows_total", "counter",
		  "Flows (and translated sockets) started", new_flows),
		T("shunt_service_no_backend_total", "counter",
		  "Packets and connects refused: no active backend",
		  no_backend),
#undef T
	};
	size_t i, j;

	for (j = 0; j < sizeof(series) / sizeof(series[0]); j++) {
		help(f, series[j].name, series[j].type, series[j].help);
		for (i = 1; i < sn->n_recs && i < sn->n_traffic; i++) {
			if (!(sn->recs[i].flags & SHUNT_SVC_F_USED))
				continue;
			fputs(series[j].name, f);
			svc_labels(f, &sn->recs[i]);
			fprintf(f, "} %llu\n",
				(unsigned long long)*(
					__u64 *)((char *)&sn->traffic[i] +
						 series[j].off));
		}
	}
	help(f, "shunt_service_backends", "gauge",
	     "Backends of the service by state");
	for (i = 1; i < sn->n_recs; i++) {
		if (!(sn->recs[i].flags & SHUNT_SVC_F_USED))
			continue;
		fputs("shunt_service_backends", f);
		svc_labels(f, &sn->recs[i]);
		fprintf(f, ",state=\"active\"} %u\n", sn->active[i]);
		fputs("shunt_service_backends", f);
		svc_labels(f, &sn->recs[i]);
		fprintf(f, ",state=\"draining\"} %u\n", sn->draining[i]);
	}
}

static void render_tables(FILE *f, const struct snap *sn)
{
	size_t i, services = 0;

	for (i = 1; i < sn->n_recs; i++)
		services += !!(sn->recs[i].flags & SHUNT_SVC_F_USED);
	help(f, "shunt_table_entries", "gauge",
	     "Entries in the datapath's tables");
	fprintf(f, "shunt_table_entries{table=\"services\"} %zu\n", services);
	fprintf(f, "shunt_table_entries{table=\"frontends\"} %zu\n",
		sn->frontends);
	fprintf(f, "shunt_table_entries{table=\"backends\"} %zu\n",
		sn->backends);
	help(f, "shunt_table_capacity", "gauge",
	     "Capacity of the datapath's tables, fixed at first load");
	fprintf(f, "shunt_table_capacity{table=\"services\"} %u\n",
		sn->cap.services);
	fprintf(f, "shunt_table_capacity{table=\"frontends\"} %u\n",
		sn->cap.frontends);
	fprintf(f, "shunt_table_capacity{table=\"backends\"} %u\n",
		sn->cap.backends);
	fprintf(f, "shunt_table_capacity{table=\"conntrack\"} %u\n",
		sn->cap.ct);
}

static void render_datapath(FILE *f, struct shunt *s)
{
	__u64 g[SHUNT_C_MAX];
	unsigned int c;

	if (shunt_stats_global(s, g))
		return;
	help(f, "shunt_datapath_events_total", "counter",
	     "Datapath events by kind: conntrack, NAT, redirects, passes and drops by reason, socket path");
	for (c = 0; c < SHUNT_C_MAX; c++)
		fprintf(f,
			"shunt_datapath_events_total{event=\"%s\"} %" PRIu64
			"\n",
			shunt_counter_name(c), (uint64_t)g[c]);
}

static void render_sources(FILE *f, const struct agent_stats *st)
{
	static const struct {
		const char *name, *type, *help, *fmt;
		size_t off;
		bool dbl;
	} series[] = {
#define S(n, t, h, field, d)                                                   \
	{n, t, h, NULL, offsetof(struct source_stats, field), d}
		S("shunt_sync_errors_total", "counter",
		  "Failed syncs of a service source", sync_errors, false),
		S("shunt_syncs_total", "counter", "Syncs of a service source",
		  syncs, false),
		S("shunt_last_sync_timestamp_seconds", "gauge",
		  "Unix time of the last successful sync of a source",
		  last_sync, true),
		S("shunt_last_sync_duration_seconds", "gauge",
		  "How long the last successful sync of a source took",
		  last_sync_seconds, true),
#undef S
	};
	size_t j;
	int i;

	for (j = 0; j < sizeof(series) / sizeof(series[0]); j++) {
		help(f, series[j].name, series[j].type, series[j].help);
		for (i = 0; i < SOURCE_MAX; i++) {
			const char *p = (const char *)&st->src[i];

			if (!st->src[i].enabled)
				continue;
			fprintf(f, "%s{source=\"%s\"} ", series[j].name,
				agent_source_name(i));
			if (series[j].dbl)
				fprintf(f, "%.6f\n",
					*(const double *)(p + series[j].off));
			else
				fprintf(f, "%" PRIu64 "\n",
					*(const uint64_t *)(p + series[j].off));
		}
	}
	help(f, "shunt_source_services", "gauge",
	     "Services a source owns after its last sync");
	for (i = 0; i < SOURCE_MAX; i++)
		if (st->src[i].enabled)
			fprintf(f, "shunt_source_services{source=\"%s\"} %zu\n",
				agent_source_name(i), st->src[i].services);
	help(f, "shunt_service_conflicts", "gauge",
	     "Services a source wanted but left alone at its last sync (owned by someone else)");
	for (i = 0; i < SOURCE_MAX; i++)
		if (st->src[i].enabled)
			fprintf(f,
				"shunt_service_conflicts{source=\"%s\"} %zu\n",
				agent_source_name(i), st->src[i].conflicts);
}

static void render_agent(FILE *f, const struct agent_stats *st)
{
	int i;

	help(f, "shunt_conntrack_entries", "gauge",
	     "Conntrack entries by state at the last GC run");
	for (i = 1; i < SHUNT_CT_STATE_MAX; i++)
		fprintf(f, "shunt_conntrack_entries{state=\"%s\"} %zu\n",
			shunt_ct_state_name(i), st->ct_entries[i]);
	help(f, "shunt_conntrack_capacity", "gauge", "Size of the table");
	fprintf(f, "shunt_conntrack_capacity %zu\n", st->ct_capacity);
	help(f, "shunt_gc_runs_total", "counter", "Conntrack GC runs");
	fprintf(f, "shunt_gc_runs_total %" PRIu64 "\n", st->gc_runs);
	help(f, "shunt_gc_scanned_total", "counter",
	     "Conntrack entries looked at by GC");
	fprintf(f, "shunt_gc_scanned_total %" PRIu64 "\n", st->gc_scanned);
	help(f, "shunt_gc_removed_total", "counter",
	     "Expired conntrack entries removed by GC");
	fprintf(f, "shunt_gc_removed_total %" PRIu64 "\n", st->gc_removed);
	help(f, "shunt_sock_destroy_runs_total", "counter",
	     "Passes ending the sockets of removed backends");
	fprintf(f, "shunt_sock_destroy_runs_total %" PRIu64 "\n", st->sd_runs);
	help(f, "shunt_sock_destroyed_total", "counter",
	     "Sockets of removed backends ended: connected UDP, connecting TCP");
	fprintf(f, "shunt_sock_destroyed_total{proto=\"udp\"} %" PRIu64 "\n",
		st->sd_udp);
	fprintf(f, "shunt_sock_destroyed_total{proto=\"tcp\"} %" PRIu64 "\n",
		st->sd_tcp);
	help(f, "shunt_sock_destroy_errors_total", "counter",
	     "Failed passes and sockets the kernel would not end");
	fprintf(f, "shunt_sock_destroy_errors_total %" PRIu64 "\n",
		st->sd_errors);
	help(f, "shunt_nodeport_addresses", "gauge",
	     "Addresses of this node NodePorts answer on");
	fprintf(f, "shunt_nodeport_addresses %zu\n", st->node_addrs);
	help(f, "shunt_service_conflicts_total", "counter",
	     "Frontends refused to a Kubernetes Service (VIP ownership), "
	     "each time its frontends were decided, by reason");
	for (i = 0; i < K8S_REFUSED_REASONS; i++)
		fprintf(f,
			"shunt_service_conflicts_total{reason=\"%s\"} %" PRIu64
			"\n",
			k8s_refusal_name(i), st->refused[i]);
	render_sources(f, st);
}

/* A snapshot: the maps once each, the agent's numbers under its lock. */
static char *render(struct metrics_server *m)
{
	struct agent_stats copy;
	char *buf = NULL;
	size_t len = 0;
	struct snap sn;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!snap_take(&m->s, &sn)) {
		render_services(f, &sn);
		render_tables(f, &sn);
	}
	snap_free(&sn);
	render_datapath(f, &m->s);
	pthread_mutex_lock(&m->stats->lock);
	copy = *m->stats;
	pthread_mutex_unlock(&m->stats->lock);
	render_agent(f, &copy);
	fclose(f);
	return buf;
}

/*
 * Snapshots run under SCHED_IDLE: any other thread that wakes preempts
 * them at once, so the event loop never waits for one. On a node whose
 * CPUs stay busy that could starve them: a snapshot wanted for longer
 * than METRICS_MAX_WAIT_MS is run at the lowest normal weight instead
 * (boost(), from the event loop or a scrape), then the thread goes back.
 */
static void snapshot_sched(pthread_t t, pid_t tid, bool idle)
{
	struct sched_param p = {.sched_priority = 0};

	if (idle && !pthread_setschedparam(t, SCHED_IDLE, &p))
		return;
	pthread_setschedparam(t, SCHED_OTHER, &p);
	setpriority(PRIO_PROCESS, (id_t)tid, METRICS_SNAPSHOT_NICE);
}

/* Under m->lock. */
static void boost_if_starved(struct metrics_server *m)
{
	if (!m->want || m->boosted || !m->tid || !m->thread_running ||
	    mono_now() - m->want_since < METRICS_MAX_WAIT_MS / 1000.0)
		return;
	snapshot_sched(m->thread, m->tid, false);
	m->boosted = true;
}

static void *refresher(void *arg)
{
	struct metrics_server *m = arg;
	struct timespec next;
	struct body *b, *old;
	char *text;

	pthread_mutex_lock(&m->lock);
	m->tid = (pid_t)syscall(SYS_gettid);
	snapshot_sched(pthread_self(), m->tid, true);
	while (!m->stop) {
		if (!m->want) {
			pthread_cond_wait(&m->cond, &m->lock);
			continue;
		}
		m->want = false;
		pthread_mutex_unlock(&m->lock);
		text = render(m);
		b = text ? body_new(text) : NULL;
		free(text);
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += METRICS_MIN_INTERVAL_MS / 1000;
		pthread_mutex_lock(&m->lock);
		old = b ? m->body : NULL;
		if (b)
			m->body = b;
		/* Scrapes still sending it keep their reference. */
		body_put(old);
		if (m->boosted) {
			snapshot_sched(pthread_self(), m->tid, true);
			m->boosted = false;
		}
		/* Coalesce: at most one snapshot per interval. */
		while (!m->stop && pthread_cond_timedwait(&m->cond, &m->lock,
							  &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

void metrics_refresh(struct metrics_server *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	if (!m->want)
		m->want_since = mono_now();
	m->want = true;
	boost_if_starved(m);
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body,
					    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	struct metrics_server *m = cls;
	struct MHD_Response *r;
	struct shunt_ctl ctl;
	enum MHD_Result ret;
	struct body *b;
	__u32 key = 0;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, 405, "text/plain",
			     strdup("method not allowed\n"));
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&m->lock);
		boost_if_starved(m);
		b = m->body;
		if (b)
			atomic_fetch_add(&b->refs, 1);
		pthread_mutex_unlock(&m->lock);
		if (!b)
			return reply(c, 200, METRICS_TYPE, strdup(""));
		r = MHD_create_response_from_buffer_with_free_callback(
			b->len, b->data, body_sent);
		if (!r) {
			body_put(b);
			return MHD_NO;
		}
		MHD_add_response_header(r, "Content-Type", METRICS_TYPE);
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(url, "/healthz")) {
		if (bpf_map_lookup_elem(m->s.ctl_map, &key, &ctl))
			return reply(c, 503, "text/plain",
				     strdup("datapath maps unreadable\n"));
		return reply(c, 200, "text/plain", strdup("ok\n"));
	}
	if (!strcmp(url, "/readyz"))
		return agent_ready(m->stats)
			       ? reply(c, 200, "text/plain", strdup("ready\n"))
			       : reply(c, 503, "text/plain",
				       strdup("not ready: sources not synced\n"));
	return reply(c, 404, "text/plain", strdup("not found\n"));
}

/* "[ADDR]:PORT", "ADDR:PORT" or ":PORT". */
static int parse_listen(const char *addr, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[128];
	const char *colon = strrchr(addr, ':');
	long port;
	char *end;

	if (!colon)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (!host[0] || inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (!host[0])
			s6->sin6_addr = in6addr_any;
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

static void server_free(struct metrics_server *m)
{
	if (m->thread_running) {
		pthread_mutex_lock(&m->lock);
		m->stop = true;
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	shunt_close(&m->s);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	body_put(m->body);
	free(m);
}

int metrics_start(struct metrics_server **out, const char *addr,
		  const char *pin_root, struct agent_stats *stats)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	struct metrics_server *m;
	struct sockaddr_storage ss;
	pthread_condattr_t ca;
	int err = parse_listen(addr, &ss);

	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->stats = stats;
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = shunt_open(&m->s, pin_root, 0);
	if (!err) {
		m->want = true; /* the first snapshot */
		err = -pthread_create(&m->thread, NULL, refresher, m);
		m->thread_running = !err;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;
	if (!err)
		m->mhd = MHD_start_daemon(
			flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR,
			&ss, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
			MHD_OPTION_THREAD_POOL_SIZE, 2U,
			MHD_OPTION_CONNECTION_LIMIT,
			(unsigned int)METRICS_MAX_CONNECTIONS, MHD_OPTION_END);
	if (!err && !m->mhd)
		err = -EADDRINUSE;
	if (err) {
		server_free(m);
		return err;
	}
	*out = m;
	return 0;
}

void metrics_stop(struct metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	server_free(m);
}
