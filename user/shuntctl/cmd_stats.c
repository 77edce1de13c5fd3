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

static void stats_text(__u64 *g, struct shunt *s,
		       const struct shunt_service_info *v, size_t n)
{
	struct shunt_traffic_stats t;
	char name[SHUNT_ADDRSTRLEN];
	unsigned int c;
	size_t i;

	printf("datapath:\n");
	for (c = 0; c < SHUNT_C_MAX; c++)
		printf("  %-22s %" PRIu64 "\n", shunt_counter_name(c),
		       (uint64_t)g[c]);
	printf("services:\n  %-46s %10s %12s %14s %12s %14s %10s\n", "SERVICE",
	       "NEW_FLOWS", "PKTS_IN", "BYTES_IN", "PKTS_OUT", "BYTES_OUT",
	       "NO_BACKEND");
	for (i = 0; i < n; i++) {
		if (shunt_stats_service(s, v[i].svc.id, &t))
			continue;
		shunt_format_service(&v[i].key, name, sizeof(name));
		printf("  %-46s %10" PRIu64 " %12" PRIu64 " %14" PRIu64
		       " %12" PRIu64 " %14" PRIu64 " %10" PRIu64 "\n",
		       name, (uint64_t)t.new_flows, (uint64_t)t.fwd_packets,
		       (uint64_t)t.fwd_bytes, (uint64_t)t.rev_packets,
		       (uint64_t)t.rev_bytes, (uint64_t)t.no_backend);
	}
}

static void stats_json(__u64 *g, struct shunt *s,
		       const struct shunt_service_info *v, size_t n)
{
	struct json_object *root = json_object_new_object();
	struct json_object *dp = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	struct shunt_traffic_stats t;
	char name[SHUNT_ADDRSTRLEN];
	unsigned int c;
	size_t i;

	for (c = 0; c < SHUNT_C_MAX; c++)
		json_object_object_add(dp, shunt_counter_name(c),
				       json_object_new_uint64(g[c]));
	for (i = 0; i < n; i++) {
		struct json_object *o;

		if (shunt_stats_service(s, v[i].svc.id, &t))
			continue;
		o = json_object_new_object();
		shunt_format_service(&v[i].key, name, sizeof(name));
		json_object_object_add(o, "service",
				       json_object_new_string(name));
		json_object_object_add(o, "new_flows",
				       json_object_new_uint64(t.new_flows));
		json_object_object_add(o, "packets_in",
				       json_object_new_uint64(t.fwd_packets));
		json_object_object_add(o, "bytes_in",
				       json_object_new_uint64(t.fwd_bytes));
		json_object_object_add(o, "packets_out",
				       json_object_new_uint64(t.rev_packets));
		json_object_object_add(o, "bytes_out",
				       json_object_new_uint64(t.rev_bytes));
		json_object_object_add(o, "no_backend_drops",
				       json_object_new_uint64(t.no_backend));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "datapath", dp);
	json_object_object_add(root, "services", arr);
	cli_json_print(root);
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	__u64 g[SHUNT_C_MAX];
	struct shunt_service_info *v = NULL;
	struct shunt s;
	size_t n = 0;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			puts("Usage: shuntctl stats [--json]\n"
			     "  Datapath counters (passes and drops by reason, "
			     "conntrack) and per-service traffic.");
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
	err = shunt_stats_global(&s, g);
	if (!err)
		err = shunt_service_list(&s, &v, &n);
	if (!err) {
		if (cli->json)
			stats_json(g, &s, v, n);
		else
			stats_text(g, &s, v, n);
	}
	free(v);
	shunt_close(&s);
	if (err)
		return cli_err("cannot read counters: %s", strerror(-err));
	return EXIT_OK;
}
