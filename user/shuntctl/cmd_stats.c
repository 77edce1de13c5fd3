// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl stats: global counters and per-service traffic. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "service.h"
#include "stats.h"
#include "usage.h"

struct stats {
	__u64 g[SHUNT_C_MAX];
	struct shunt_usage u;
	struct shunt_service_info *v;
	size_t n;
	struct shunt_traffic_stats *t; /* by service id */
	size_t nt;
};

static const struct shunt_traffic_stats *svc_traffic(const struct stats *st,
						     __u32 id)
{
	static const struct shunt_traffic_stats none;

	return st->t && id < st->nt ? &st->t[id] : &none;
}

static void usage_text(const struct shunt_usage *u)
{
	printf("tables:\n  %-12s %10s %10s\n", "TABLE", "USED", "CAPACITY");
	printf("  %-12s %10zu %10u\n", "services", u->services,
	       u->cap.services);
	printf("  %-12s %10zu %10u\n", "frontends", u->frontends,
	       u->cap.frontends);
	printf("  %-12s %10zu %10u\n", "backends", u->backends,
	       u->cap.backends);
	printf("  %-12s %10zu %10u\n", "src_ranges", u->src_ranges,
	       SHUNT_MAX_SRC_RANGES);
	if (u->have_ct)
		printf("  %-12s %10zu %10u\n", "conntrack", u->ct_entries,
		       u->cap.ct);
}

static void stats_text(const struct stats *st)
{
	const struct shunt_traffic_stats *t;
	unsigned int c;
	size_t i;

	usage_text(&st->u);
	printf("datapath:\n");
	for (c = 0; c < SHUNT_C_MAX; c++)
		printf("  %-22s %" PRIu64 "\n", shunt_counter_name(c),
		       (uint64_t)st->g[c]);
	printf("services:\n  %-46s %10s %12s %14s %12s %14s %10s\n", "SERVICE",
	       "NEW_FLOWS", "PKTS_IN", "BYTES_IN", "PKTS_OUT", "BYTES_OUT",
	       "NO_BACKEND");
	for (i = 0; i < st->n; i++) {
		t = svc_traffic(st, st->v[i].id);
		printf("  %-46s %10" PRIu64 " %12" PRIu64 " %14" PRIu64
		       " %12" PRIu64 " %14" PRIu64 " %10" PRIu64 "\n",
		       st->v[i].svc.name, (uint64_t)t->new_flows,
		       (uint64_t)t->fwd_packets, (uint64_t)t->fwd_bytes,
		       (uint64_t)t->rev_packets, (uint64_t)t->rev_bytes,
		       (uint64_t)t->no_backend);
	}
}

static struct json_object *table_json(size_t used, __u32 cap)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "used", json_object_new_uint64(used));
	json_object_object_add(o, "capacity", json_object_new_uint64(cap));
	return o;
}

static struct json_object *usage_json(const struct shunt_usage *u)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "services",
			       table_json(u->services, u->cap.services));
	json_object_object_add(o, "frontends",
			       table_json(u->frontends, u->cap.frontends));
	json_object_object_add(o, "backends",
			       table_json(u->backends, u->cap.backends));
	json_object_object_add(o, "source_ranges",
			       table_json(u->src_ranges, SHUNT_MAX_SRC_RANGES));
	if (u->have_ct)
		json_object_object_add(o, "conntrack",
				       table_json(u->ct_entries, u->cap.ct));
	return o;
}

static void stats_json(const struct stats *st)
{
	struct json_object *root = json_object_new_object();
	struct json_object *dp = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	const struct shunt_traffic_stats *t;
	unsigned int c;
	size_t i;

	for (c = 0; c < SHUNT_C_MAX; c++)
		json_object_object_add(dp, shunt_counter_name(c),
				       json_object_new_uint64(st->g[c]));
	for (i = 0; i < st->n; i++) {
		struct json_object *o = json_object_new_object();

		t = svc_traffic(st, st->v[i].id);
		json_object_object_add(
			o, "service",
			json_object_new_string(st->v[i].svc.name));
		json_object_object_add(o, "new_flows",
				       json_object_new_uint64(t->new_flows));
		json_object_object_add(o, "packets_in",
				       json_object_new_uint64(t->fwd_packets));
		json_object_object_add(o, "bytes_in",
				       json_object_new_uint64(t->fwd_bytes));
		json_object_object_add(o, "packets_out",
				       json_object_new_uint64(t->rev_packets));
		json_object_object_add(o, "bytes_out",
				       json_object_new_uint64(t->rev_bytes));
		json_object_object_add(o, "no_backend_drops",
				       json_object_new_uint64(t->no_backend));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "tables", usage_json(&st->u));
	json_object_object_add(root, "datapath", dp);
	json_object_object_add(root, "services", arr);
	cli_json_print(root);
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	struct stats st = {};
	struct shunt s;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			puts("Usage: shuntctl stats [--json]\n"
			     "  Table usage against capacity, datapath counters (passes and drops by\n"
			     "  reason, conntrack) and per-service traffic.");
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			cli->json = true;
		else if (strcmp(argv[i], "show") && strcmp(argv[i], "list"))
			return cli_usage_err("stats: unexpected argument '%s'",
					     argv[i]);
	}
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_stats_global(&s, st.g);
	if (!err)
		err = shunt_usage_read(&s, true, &st.u);
	if (!err)
		err = shunt_service_list(&s, &st.v, &st.n);
	if (!err)
		err = shunt_stats_dump(s.svc_stats_map, &st.t, &st.nt);
	if (!err) {
		if (cli->json)
			stats_json(&st);
		else
			stats_text(&st);
	}
	free(st.v);
	free(st.t);
	shunt_close(&s);
	if (err)
		return cli_err("cannot read counters: %s", strerror(-err));
	return EXIT_OK;
}
