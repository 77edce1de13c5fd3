// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Service and backend listings. */
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

/* Slots each backend owns in the live table, indexed like v. */
static __u32 *slot_counts(struct shunt *s, __u32 svc_id,
			  const struct shunt_backend_info *v, size_t n)
{
	__u32 *counts = calloc(n ? n : 1, sizeof(*counts));
	__u32 *per_id = calloc(SHUNT_MAX_BACKENDS + 1, sizeof(*per_id));
	__u32 *table = NULL, m, i;
	size_t j;

	if (counts && per_id && !shunt_table_read(s, svc_id, &table, &m)) {
		for (i = 0; i < m; i++)
			if (table[i] <= SHUNT_MAX_BACKENDS)
				per_id[table[i]]++;
		for (j = 0; j < n; j++)
			counts[j] = per_id[v[j].id];
	}
	free(table);
	free(per_id);
	return counts;
}

static struct json_object *backend_json(const struct shunt_backend_info *b,
					__u32 slots,
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
	json_object_object_add(o, "slots", json_object_new_int64(slots));
	json_add_traffic(o, t);
	return o;
}

static void backend_text(const struct shunt_backend_info *b, __u32 slots,
			 const struct shunt_traffic_stats *t)
{
	char ep[SHUNT_ADDRSTRLEN];

	shunt_format_endpoint(&b->be.addr, b->be.port, b->be.family, ep,
			      sizeof(ep));
	printf("  -> %-40s %6u %-8s %6u %10" PRIu64 " %12" PRIu64 " %12" PRIu64
	       "\n",
	       ep, b->be.weight, show_backend_state(b->be.state), slots,
	       (uint64_t)t->new_flows, (uint64_t)t->fwd_packets,
	       (uint64_t)t->rev_packets);
}

/* One service and its backends: text to stdout, or a JSON object. */
static struct json_object *service_one(struct cli *cli, struct shunt *s,
				       const struct shunt_service_info *si)
{
	struct shunt_traffic_stats t = {}, bt;
	struct shunt_backend_info *b = NULL;
	struct json_object *o = NULL, *arr = NULL;
	char name[SHUNT_ADDRSTRLEN];
	__u32 *slots;
	size_t n = 0, i;

	shunt_stats_service(s, si->svc.id, &t);
	shunt_backend_list(s, si->svc.id, &b, &n);
	slots = slot_counts(s, si->svc.id, b, n);
	shunt_format_service(&si->key, name, sizeof(name));
	if (cli->json) {
		o = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(o, "service",
				       json_object_new_string(name));
		json_object_object_add(o, "id",
				       json_object_new_int64(si->svc.id));
		json_object_object_add(
			o, "table_size",
			json_object_new_int64(si->svc.table_size));
		json_object_object_add(
			o, "affinity_timeout",
			json_object_new_int64(si->svc.affinity_timeout));
		json_object_object_add(
			o, "active_backends",
			json_object_new_int64(si->svc.backend_count));
		json_add_traffic(o, &t);
	} else {
		printf("%-46s %5u %4u/%-4zu %6u %8u %10" PRIu64 " %12" PRIu64
		       " %12" PRIu64 "\n",
		       name, si->svc.id, si->svc.backend_count, n,
		       si->svc.table_size, si->svc.affinity_timeout,
		       (uint64_t)t.new_flows, (uint64_t)t.fwd_packets,
		       (uint64_t)t.rev_packets);
	}
	for (i = 0; i < n; i++) {
		shunt_stats_backend(s, b[i].id, &bt);
		if (cli->json)
			json_object_array_add(
				arr,
				backend_json(&b[i], slots ? slots[i] : 0, &bt));
		else
			backend_text(&b[i], slots ? slots[i] : 0, &bt);
	}
	if (o)
		json_object_object_add(o, "backends", arr);
	free(slots);
	free(b);
	return o;
}

int show_services(struct cli *cli, struct shunt *s,
		  const struct shunt_svc_key *filter)
{
	struct shunt_service_info *v;
	struct json_object *arr = NULL, *o;
	size_t n, i;
	int err;

	err = shunt_service_list(s, &v, &n);
	if (err)
		return cli_err("cannot list services: %s", strerror(-err));
	if (cli->json)
		arr = json_object_new_array();
	else
		printf("%-46s %5s %9s %6s %8s %10s %12s %12s\n"
		       "  -> %-40s %6s %-8s %6s %10s %12s %12s\n",
		       "SERVICE", "ID", "BACKENDS", "TABLE", "AFFINITY",
		       "FLOWS", "PKTS_IN", "PKTS_OUT", "BACKEND", "WEIGHT",
		       "STATE", "SLOTS", "FLOWS", "PKTS_IN", "PKTS_OUT");
	for (i = 0; i < n; i++) {
		if (filter && memcmp(filter, &v[i].key, sizeof(*filter)))
			continue;
		o = service_one(cli, s, &v[i]);
		if (o)
			json_object_array_add(arr, o);
	}
	free(v);
	if (arr)
		cli_json_print(arr);
	return EXIT_OK;
}

int show_backends(struct cli *cli, struct shunt *s,
		  const struct shunt_svc_key *filter)
{
	struct shunt_service_info *v;
	struct json_object *arr = NULL, *o, *bs;
	size_t n, i, j;
	int err;

	/* As text, backends are listed under their services. */
	if (!cli->json)
		return show_services(cli, s, filter);
	err = shunt_service_list(s, &v, &n);
	if (err)
		return cli_err("cannot list backends: %s", strerror(-err));
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		if (filter && memcmp(filter, &v[i].key, sizeof(*filter)))
			continue;
		o = service_one(cli, s, &v[i]);
		bs = json_object_object_get(o, "backends");
		for (j = 0; j < json_object_array_length(bs); j++) {
			struct json_object *b =
				json_object_array_get_idx(bs, j);

			json_object_object_add(
				b, "service",
				json_object_get(
					json_object_object_get(o, "service")));
			json_object_array_add(arr, json_object_get(b));
		}
		json_object_put(o);
	}
	free(v);
	cli_json_print(arr);
	return EXIT_OK;
}
