// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl sockmap enable / disable / list */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "sockpolicy.h"
#include "stats.h"

static void sockmap_usage(FILE *f)
{
	fputs("Usage: shuntctl sockmap enable SERVICE|PORT\n"
	      "       shuntctl sockmap disable SERVICE|PORT\n"
	      "       shuntctl sockmap list [--json]\n"
	      "  Node-local TCP connections to an enabled service (VIP:PORT/tcp)\n"
	      "  or port exchange their payload socket to socket (sockops +\n"
	      "  sk_msg) instead of through the TCP/IP stack. Needs 'shuntctl\n"
	      "  cgroup attach'. Off by default: see the README for when it pays.\n",
	      f);
}

static int sockmap_change(struct cli *cli, int argc, char **argv)
{
	char name[SHUNT_ADDRSTRLEN];
	struct shunt_frontend_key t;
	struct shunt s;
	bool enable = !strcmp(argv[0], "enable");
	int err;

	if (argc != 2)
		return cli_usage_err("sockmap %s: expected SERVICE or PORT",
				     argv[0]);
	if (cli_parse_target(argv[1], &t))
		return EXIT_USAGE;
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = enable ? shunt_sockmap_enable(&s, &t)
		     : shunt_sockmap_disable(&s, &t);
	shunt_close(&s);
	cli_format_target(&t, name, sizeof(name));
	if (err == -ENOENT)
		return cli_err("sockmap is not enabled for %s", name);
	if (err == -ENOSPC)
		return cli_err(
			"cannot enable sockmap for %s: policy table full (%u)",
			name, SHUNT_SOCK_POLICY_MAX);
	if (err)
		return cli_err("sockmap %s %s: %s", argv[0], name,
			       strerror(-err));
	return EXIT_OK;
}

static const unsigned int sockmap_counters[] = {
	SHUNT_C_SOCKMAP_ADD,   SHUNT_C_SOCKMAP_PAIRS,	SHUNT_C_SOCKMAP_MSGS,
	SHUNT_C_SOCKMAP_BYTES, SHUNT_C_SOCKMAP_NO_PEER,
};

#define N_COUNTERS (sizeof(sockmap_counters) / sizeof(sockmap_counters[0]))

static void list_json(const struct shunt_frontend_key *v, size_t n,
		      const __u64 *g)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	struct json_object *c = json_object_new_object();
	char name[SHUNT_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr,
				      json_object_new_string(cli_format_target(
					      &v[i], name, sizeof(name))));
	for (i = 0; i < N_COUNTERS; i++)
		json_object_object_add(
			c, shunt_counter_name(sockmap_counters[i]),
			json_object_new_uint64(g[sockmap_counters[i]]));
	json_object_object_add(root, "enabled", arr);
	json_object_object_add(root, "counters", c);
	cli_json_print(root);
}

static int sockmap_list(struct cli *cli, int argc, char **argv)
{
	char name[SHUNT_ADDRSTRLEN];
	struct shunt_frontend_key *v = NULL;
	__u64 g[SHUNT_C_MAX];
	struct shunt s;
	size_t n = 0, i;
	int err;

	if (argc > 1 && strcmp(argv[1], "--json") && strcmp(argv[1], "-j"))
		return cli_usage_err("sockmap list: unexpected argument '%s'",
				     argv[1]);
	if (argc > 1)
		cli->json = true;
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_sockmap_list(&s, &v, &n);
	if (!err)
		err = shunt_stats_global(&s, g);
	shunt_close(&s);
	if (err) {
		free(v);
		return cli_err("cannot list sockmap policies: %s",
			       strerror(-err));
	}
	if (cli->json) {
		list_json(v, n, g);
	} else {
		printf("enabled for:\n");
		for (i = 0; i < n; i++)
			printf("  %s\n",
			       cli_format_target(&v[i], name, sizeof(name)));
		for (i = 0; i < N_COUNTERS; i++)
			printf("%-18s %" PRIu64 "\n",
			       shunt_counter_name(sockmap_counters[i]),
			       (uint64_t)g[sockmap_counters[i]]);
	}
	free(v);
	return EXIT_OK;
}

int cmd_sockmap(struct cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "list";

	if (cli_is_help(verb) || (argc > 2 && cli_is_help(argv[2]))) {
		sockmap_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "enable") || !strcmp(verb, "disable"))
		return sockmap_change(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "list") || !strcmp(verb, "show"))
		return sockmap_list(cli, argc > 1 ? argc - 1 : 1,
				    argc > 1 ? argv + 1 : argv);
	return cli_usage_err(
		"sockmap: unknown command '%s' (enable, disable, list)", verb);
}
