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

#include "ct.h"
#include "metrics.h"
#include "parse.h"
#include "service.h"
#include "stats.h"

struct metrics_server {
	struct MHD_Daemon *mhd;
	char pin_root[PATH_MAX];
	struct agent_stats *stats;
};

/* Prometheus label value: \ " and newline escaped. */
static void label(FILE *f, const char *v)
{
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

static const char *svc_name(struct agent_stats *st,
			    const struct shunt_svc_key *key)
{
	struct shunt_desired_service *d = shunt_desired_find(&st->names, key);

	return d ? d->name : "";
}

static void svc_labels(FILE *f, struct agent_stats *st,
		       const struct shunt_service_info *si)
{
	char key[SHUNT_ADDRSTRLEN];

	fputs("{service=\"", f);
	label(f, shunt_format_service(&si->key, key, sizeof(key)));
	fputs("\",name=\"", f);
	label(f, svc_name(st, &si->key));
	fputc('"', f);
}

/* Per-service traffic and backends by state. */
static void render_services(FILE *f, struct shunt *s, struct agent_stats *st)
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
	struct shunt_service_info *v;
	struct shunt_traffic_stats t;
	size_t n, i, j;

	if (shunt_service_list(s, &v, &n))
		return;
	for (j = 0; j < sizeof(series) / sizeof(series[0]); j++) {
		help(f, series[j].name, series[j].type, series[j].help);
		for (i = 0; i < n; i++) {
			if (shunt_stats_service(s, v[i].svc.id, &t))
				continue;
			fputs(series[j].name, f);
			svc_labels(f, st, &v[i]);
			fprintf(f, "} %llu\n",
				(unsigned long long)*(__u64 *)((char *)&t +
							       series[j].off));
		}
	}
	help(f, "shunt_service_backends", "gauge",
	     "Backends of the service by state");
	for (i = 0; i < n; i++) {
		struct shunt_backend_info *b;
		size_t nb, k, active = 0;

		if (shunt_backend_list(s, v[i].svc.id, &b, &nb))
			continue;
		for (k = 0; k < nb; k++)
			active += b[k].be.state == SHUNT_BE_ACTIVE;
		free(b);
		fputs("shunt_service_backends", f);
		svc_labels(f, st, &v[i]);
		fprintf(f, ",state=\"active\"} %zu\n", active);
		fputs("shunt_service_backends", f);
		svc_labels(f, st, &v[i]);
		fprintf(f, ",state=\"draining\"} %zu\n", nb - active);
	}
	free(v);
}

static void render_datapath(FILE *f, struct shunt *s)
{
	__u64 g[SHUNT_C_MAX];
	unsigned int c;

	if (shunt_stats_global(s, g))
		return;
	help(f, "shunt_datapath_events_total", "counter",
	     "Datapath events by kind: conntrack, NAT, redirects, passes and "
	     "drops by reason, socket path");
	for (c = 0; c < SHUNT_C_MAX; c++)
		fprintf(f,
			"shunt_datapath_events_total{event=\"%s\"} %" PRIu64
			"\n",
			shunt_counter_name(c), (uint64_t)g[c]);
}

static void render_agent(FILE *f, struct agent_stats *st)
{
	int i;

	pthread_mutex_lock(&st->lock);
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
	help(f, "shunt_sync_errors_total", "counter",
	     "Failed syncs of a service source");
	for (i = 0; i < SOURCE_MAX; i++)
		if (st->src[i].enabled)
			fprintf(f,
				"shunt_sync_errors_total{source=\"%s\"} "
				"%" PRIu64 "\n",
				agent_source_name(i), st->src[i].sync_errors);
	help(f, "shunt_last_sync_timestamp_seconds", "gauge",
	     "Unix time of the last successful sync of a source");
	for (i = 0; i < SOURCE_MAX; i++)
		if (st->src[i].enabled)
			fprintf(f,
				"shunt_last_sync_timestamp_seconds{source=\"%"
				"s\"} "
				"%.3f\n",
				agent_source_name(i), st->src[i].last_sync);
	help(f, "shunt_source_services", "gauge",
	     "Services a source owns after its last sync");
	for (i = 0; i < SOURCE_MAX; i++)
		if (st->src[i].enabled)
			fprintf(f, "shunt_source_services{source=\"%s\"} %zu\n",
				agent_source_name(i), st->src[i].services);
	pthread_mutex_unlock(&st->lock);
}

char *metrics_render(const char *pin_root, struct agent_stats *stats)
{
	char *buf = NULL;
	size_t len = 0;
	struct shunt s;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (shunt_open(&s, pin_root, 0) == 0) {
		pthread_mutex_lock(&stats->lock);
		render_services(f, &s, stats);
		pthread_mutex_unlock(&stats->lock);
		render_datapath(f, &s);
		shunt_close(&s);
	}
	render_agent(f, stats);
	fclose(f);
	return buf;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

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
	struct shunt s;
	char *body;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, 405, "text/plain",
			     strdup("method not allowed\n"));
	if (!strcmp(url, "/metrics")) {
		body = metrics_render(m->pin_root, m->stats);
		return body ? reply(c, 200,
				    "text/plain; version=0.0.4; charset=utf-8",
				    body)
			    : reply(c, 500, "text/plain", strdup("error\n"));
	}
	if (!strcmp(url, "/healthz")) {
		if (shunt_open(&s, m->pin_root, 0))
			return reply(c, 503, "text/plain",
				     strdup("datapath maps unreadable\n"));
		shunt_close(&s);
		return reply(c, 200, "text/plain", strdup("ok\n"));
	}
	if (!strcmp(url, "/readyz"))
		return agent_ready(m->stats)
			       ? reply(c, 200, "text/plain", strdup("ready\n"))
			       : reply(c, 503, "text/plain",
				       strdup("not ready: sources not "
					      "synced\n"));
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

int metrics_start(struct metrics_server **out, const char *addr,
		  const char *pin_root, struct agent_stats *stats)
{
	struct sockaddr_storage ss;
	struct metrics_server *m;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	int err = parse_listen(addr, &ss);

	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->pin_root, sizeof(m->pin_root), "%s", pin_root);
	m->stats = stats;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;
	m->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR, &ss,
		MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (!m->mhd) {
		free(m);
		return -EADDRINUSE;
	}
	*out = m;
	return 0;
}

void metrics_stop(struct metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
