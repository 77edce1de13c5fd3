// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Service and backend listings, from the model (no map walk per service)
 * and one pass over each counter map; one service's listing also reads
 * its live table for the slots each backend owns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "parse.h"
#include "service.h"
#include "show.h"
#include "stats.h"

const char *show_backend_state(__u8 state)
{
	return state == SHUNT_BE_ACTIVE	    ? "active"
	       : state == SHUNT_BE_DRAINING ? "draining"
					    : "unknown";
}

const char *show_owner(__u32 flags)
{
	if (flags & SHUNT_SVC_F_OWNER_K8S)
		return "kubernetes";
	if (flags & SHUNT_SVC_F_OWNER_FILE)
		return "file";
	return "manual";
}

/* What a listing reads once: counters of every service and backend (or,
 * for one service, only its own) and its table. */
struct view {
	struct shunt *s;
	struct shunt_traffic_stats *svc_t, *be_t;
	size_t n_svc_t, n_be_t;
	bool one; /* one service: per-entry counters and slots */
};

static struct shunt_traffic_stats traffic(struct view *w, bool svc, __u32 id)
{
	struct shunt_traffic_stats t = {};

	if (w->one) {
		if (svc)
			shunt_stats_service(w->s, id, &t);
		else
			shunt_stats_backend(w->s, id, &t);
	} else if (svc && w->svc_t && id < w->n_svc_t) {
		t = w->svc_t[id];
	} else if (!svc && w->be_t && id < w->n_be_t) {
		t = w->be_t[id];
	}
	return t;
}

static void json_add_traffic(struct json_object *o,
			     const struct shunt_traffic_stats *t)
{
	json_object_object_add(o, "packets_in",
			       json_object_new_uint64(t->fwd_packets));
	json_object_object_add(o, "bytes_in",
			       json_object_new_uint64(t->fwd_bytes));
	json_object_object_add(o, "packets_out",
			       json_object_new_uint64(t->rev_packets));
	json_object_object_add(o, "bytes_out",
			       json_object_new_uint64(t->rev_bytes));
	json_object_object_add(o, "new_flows",
			       json_object_new_uint64(t->new_flows));
	json_object_object_add(o, "no_backend_drops",
			       json_object_new_uint64(t->no_backend));
}

static int cmp_id_only(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a >> 32, y = *(const __u64 *)b >> 32;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Slots each backend owns in the live table, indexed like b. */
static __u32 *slot_counts(struct view *w, __u32 svc_id,
			  const struct shunt_backend_info *b, size_t n)
{
	__u32 *counts = calloc(n + 1, sizeof(*counts)), *table = NULL, m, i;
	__u64 *ids = calloc(n + 1, sizeof(*ids)), key, *hit;
	size_t j;

	if (!w->one) { /* a listing of all: no table is read */
		free(counts);
		free(ids);
		return NULL;
	}
	if (!counts || !ids || shunt_table_read(w->s, svc_id, &table, &m)) {
		free(ids);
		return counts;
	}
	/* (id << 32 | index), sorted: one search per slot. */
	for (j = 0; j < n; j++)
		ids[j] = (__u64)b[j].id << 32 | j;
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (i = 0; i < m; i++) {
		key = (__u64)table[i] << 32;
		hit = bsearch(&key, ids, n, sizeof(*ids), cmp_id_only);
		if (hit)
			counts[*hit & 0xffffffff]++;
	}
	free(table);
	free(ids);
	return counts;
}

const char *show_fe_flags(__u32 flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s",
		 flags & SHUNT_FE_F_NODEPORT ? "nodeport " : "",
		 flags & SHUNT_FE_F_EXTERNAL ? "external " : "",
		 flags & SHUNT_FE_F_LOCAL ? "local " : "",
		 flags & SHUNT_FE_F_MODE_SNAT ? "snat " : "",
		 flags & SHUNT_FE_F_MODE_DSR ? "dsr " : "",
		 flags & SHUNT_FE_F_SRC_RANGES ? "source-ranges " : "");
	if (*buf)
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

static struct json_object *frontends_json(const struct shunt_frontend_info *f,
					  size_t n)
{
	struct json_object *arr = json_object_new_array(), *o;
	char key[SHUNT_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(
			o, "frontend",
			json_object_new_string(shunt_format_service(
				&f[i].key, key, sizeof(key))));
		json_object_object_add(
			o, "nodeport",
			json_object_new_boolean(f[i].fe.flags &
						SHUNT_FE_F_NODEPORT));
		json_object_object_add(
			o, "external",
			json_object_new_boolean(f[i].fe.flags &
						SHUNT_FE_F_EXTERNAL));
		json_object_object_add(
			o, "local",
			json_object_new_boolean(f[i].fe.flags &
						SHUNT_FE_F_LOCAL));
		json_object_object_add(
			o, "source_ranges",
			json_object_new_boolean(f[i].fe.flags &
						SHUNT_FE_F_SRC_RANGES));
		if (f[i].fe.flags &
		    (SHUNT_FE_F_MODE_SNAT | SHUNT_FE_F_MODE_DSR))
			json_object_object_add(
				o, "lb_mode",
				json_object_new_string(
					f[i].fe.flags & SHUNT_FE_F_MODE_DSR
						? "dsr"
						: "snat"));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *backend_json(const struct shunt_backend_info *b,
					const __u32 *slots,
					const struct shunt_traffic_stats *t)
{
	struct json_object *o = json_object_new_object();
	char ip[SHUNT_ADDRSTRLEN];

	shunt_format_ip(&b->be.addr, b->be.family, ip, sizeof(ip));
	json_object_object_add(o, "id", json_object_new_int64(b->id));
	json_object_object_add(o, "address", json_object_new_string(ip));
	json_object_object_add(o, "port",
			       json_object_new_int(ntohs(b->be.port)));
	json_object_object_add(o, "weight",
			       json_object_new_int64(b->be.weight));
	json_object_object_add(
		o, "state",
		json_object_new_string(show_backend_state(b->be.state)));
	if (slots)
		json_object_object_add(o, "slots",
				       json_object_new_int64(*slots));
	json_add_traffic(o, t);
	return o;
}

static struct json_object *service_json(const struct shunt_service_info *si,
					const struct shunt_traffic_stats *t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "service",
			       json_object_new_string(si->svc.name));
	json_object_object_add(o, "id", json_object_new_int64(si->id));
	json_object_object_add(
		o, "owner", json_object_new_string(show_owner(si->svc.flags)));
	json_object_object_add(o, "table_size",
			       json_object_new_int64(si->svc.live_size));
	json_object_object_add(o, "table_size_requested",
			       json_object_new_int64(si->svc.table_size));
	json_object_object_add(o, "affinity_timeout",
			       json_object_new_int64(si->svc.affinity_timeout));
	json_object_object_add(o, "active_backends",
			       json_object_new_int64(si->svc.backend_count));
	json_add_traffic(o, t);
	return o;
}

/* The service's loadBalancerSourceRanges: a JSON array, or a text line
 * (none when it has none). */
static struct json_object *ranges_json(struct view *w, __u32 svc_id)
{
	struct json_object *arr = json_object_new_array();
	char buf[SHUNT_ADDRSTRLEN + 8];
	struct shunt_src_range *r = NULL;
	size_t n = 0, i;

	shunt_service_src_ranges(w->s, svc_id, &r, &n);
	for (i = 0; i < n; i++)
		json_object_array_add(
			arr, json_object_new_string(shunt_src_range_format(
				     &r[i], buf, sizeof(buf))));
	free(r);
	return arr;
}

static void ranges_text(struct view *w, __u32 svc_id)
{
	char buf[SHUNT_ADDRSTRLEN + 8];
	struct shunt_src_range *r = NULL;
	size_t n = 0, i;

	shunt_service_src_ranges(w->s, svc_id, &r, &n);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? " " : "  source ranges: ",
		       shunt_src_range_format(&r[i], buf, sizeof(buf)));
	if (n)
		printf("\n");
	free(r);
}

static void service_text(const struct shunt_service_info *si,
			 const struct shunt_traffic_stats *t,
			 const struct shunt_frontend_info *f, size_t nf)
{
	char key[SHUNT_ADDRSTRLEN], flags[64], table[24];
	size_t i;

	snprintf(table, sizeof(table), "%u%s", si->svc.live_size,
		 si->svc.table_size ? "" : "*");
	printf("%-46s %5u %4u/%-4zu %7s %8u %10" PRIu64 " %12" PRIu64
	       " %12" PRIu64 "\n",
	       si->svc.name, si->id, si->svc.backend_count, si->n_backends,
	       table, si->svc.affinity_timeout, (uint64_t)t->new_flows,
	       (uint64_t)t->fwd_packets, (uint64_t)t->rev_packets);
	for (i = 0; i < nf; i++)
		printf("  <- %-40s %s\n",
		       shunt_format_service(&f[i].key, key, sizeof(key)),
		       show_fe_flags(f[i].fe.flags, flags, sizeof(flags)));
}

static void backend_text(const struct shunt_backend_info *b, const __u32 *slots,
			 const struct shunt_traffic_stats *t)
{
	char ep[SHUNT_ADDRSTRLEN], sl[16] = "-";

	shunt_format_endpoint(&b->be.addr, b->be.port, b->be.family, ep,
			      sizeof(ep));
	if (slots)
		snprintf(sl, sizeof(sl), "%u", *slots);
	printf("  -> %-40s %6u %-8s %6s %10" PRIu64 " %12" PRIu64 " %12" PRIu64
	       "\n",
	       ep, b->be.weight, show_backend_state(b->be.state), sl,
	       (uint64_t)t->new_flows, (uint64_t)t->fwd_packets,
	       (uint64_t)t->rev_packets);
}

/* One service with its frontends and backends: text, or a JSON object. */
static struct json_object *service_one(struct cli *cli, struct view *w,
				       const struct shunt_service_info *si)
{
	struct shunt_traffic_stats t = traffic(w, true, si->id), bt;
	struct shunt_frontend_info *f = NULL;
	struct shunt_backend_info *b = NULL;
	struct json_object *o = NULL, *arr = NULL;
	size_t nf = 0, n = 0, i;
	__u32 *slots;

	shunt_frontend_list(w->s, si->id, &f, &nf);
	shunt_backend_list(w->s, si->id, &b, &n);
	slots = slot_counts(w, si->id, b, n);
	if (cli->json) {
		o = service_json(si, &t);
		json_object_object_add(o, "frontends", frontends_json(f, nf));
		json_object_object_add(o, "source_ranges",
				       ranges_json(w, si->id));
		arr = json_object_new_array();
	} else {
		service_text(si, &t, f, nf);
		ranges_text(w, si->id);
	}
	for (i = 0; i < n; i++) {
		bt = traffic(w, false, b[i].id);
		if (cli->json)
			json_object_array_add(
				arr,
				backend_json(&b[i], slots ? &slots[i] : NULL,
					     &bt));
		else
			backend_text(&b[i], slots ? &slots[i] : NULL, &bt);
	}
	if (o)
		json_object_object_add(o, "backends", arr);
	free(slots);
	free(b);
	free(f);
	return o;
}

static void header(void)
{
	printf("%-46s %5s %9s %7s %8s %10s %12s %12s\n"
	       "  <- %-40s %s\n"
	       "  -> %-40s %6s %-8s %6s %10s %12s %12s\n",
	       "SERVICE", "ID", "BACKENDS", "TABLE", "AFFINITY", "FLOWS",
	       "PKTS_IN", "PKTS_OUT", "FRONTEND", "FLAGS", "BACKEND", "WEIGHT",
	       "STATE", "SLOTS", "FLOWS", "PKTS_IN", "PKTS_OUT");
}

/* The services to list: one (filter) or all. */
static int pick(struct view *w, const struct shunt_frontend_key *filter,
		struct shunt_service_info **v, size_t *n)
{
	if (!filter) {
		shunt_stats_dump(w->s->svc_stats_map, &w->svc_t, &w->n_svc_t);
		shunt_stats_dump(w->s->backend_stats_map, &w->be_t, &w->n_be_t);
		return shunt_service_list(w->s, v, n);
	}
	w->one = true;
	*v = calloc(1, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	*n = 1;
	return shunt_service_get(w->s, filter, *v);
}

static int each_service(struct cli *cli, struct shunt *s,
			const struct shunt_frontend_key *filter,
			struct json_object *arr, bool flat)
{
	struct view w = {.s = s};
	struct shunt_service_info *v = NULL;
	struct json_object *o, *bs;
	size_t n = 0, i, j;
	int err;

	err = pick(&w, filter, &v, &n);
	for (i = 0; !err && i < n; i++) {
		o = service_one(cli, &w, &v[i]);
		if (!o || !flat) {
			if (o)
				json_object_array_add(arr, o);
			continue;
		}
		bs = json_object_object_get(o, "backends");
		for (j = 0; j < json_object_array_length(bs); j++) {
			struct json_object *b =
				json_object_array_get_idx(bs, j);

			json_object_object_add(
				b, "service",
				json_object_new_string(v[i].svc.name));
			json_object_array_add(arr, json_object_get(b));
		}
		json_object_put(o);
	}
	free(v);
	free(w.svc_t);
	free(w.be_t);
	return err;
}

int show_services(struct cli *cli, struct shunt *s,
		  const struct shunt_frontend_key *filter)
{
	struct json_object *arr = cli->json ? json_object_new_array() : NULL;
	int err;

	if (!cli->json)
		header();
	err = each_service(cli, s, filter, arr, false);
	if (arr)
		cli_json_print(arr);
	if (err)
		return cli_err("cannot list services: %s", strerror(-err));
	return EXIT_OK;
}

int show_backends(struct cli *cli, struct shunt *s,
		  const struct shunt_frontend_key *filter)
{
	struct json_object *arr;
	int err;

	/* As text, backends are listed under their services. */
	if (!cli->json)
		return show_services(cli, s, filter);
	arr = json_object_new_array();
	err = each_service(cli, s, filter, arr, true);
	cli_json_print(arr);
	if (err)
		return cli_err("cannot list backends: %s", strerror(-err));
	return EXIT_OK;
}
