// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl node-address list / add / del / sync */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nodeaddr.h"
#include "nodeaddrs.h"
#include "parse.h"

static void usage(FILE *f)
{
	fputs("Usage: shuntctl node-address list [--json]\n"
	      "       shuntctl node-address add ADDRESS | del ADDRESS\n"
	      "       shuntctl node-address sync [SELECTION]\n"
	      "  The addresses NodePort frontends (*:PORT/PROTO) answer on. shuntd keeps\n"
	      "  them current from the kernel; without it, add them here, or 'sync' them\n"
	      "  once from the addresses this network namespace has now.\n"
	      "  SELECTION is kube-proxy's --nodeport-addresses: CIDRs and 'primary',\n"
	      "  comma separated (default: every address but loopback and link-local).\n",
	      f);
}

static int list(struct cli *cli)
{
	struct shunt_node_addr *v = NULL;
	struct json_object *arr = NULL;
	char ip[SHUNT_ADDRSTRLEN];
	struct shunt s;
	size_t n = 0, i;
	int err;

	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_node_addr_list(&s, &v, &n);
	shunt_close(&s);
	if (err)
		return cli_err("cannot list node addresses: %s",
			       strerror(-err));
	if (cli->json)
		arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		shunt_format_ip(&v[i].addr, v[i].family, ip, sizeof(ip));
		if (arr)
			json_object_array_add(arr, json_object_new_string(ip));
		else
			puts(ip);
	}
	free(v);
	if (arr)
		cli_json_print(arr);
	return EXIT_OK;
}

static int change(struct cli *cli, const char *verb, const char *arg)
{
	union shunt_ip ip;
	char why[128];
	struct shunt s;
	__u8 family;
	int err;

	if (shunt_parse_ip(arg, &ip, &family, why, sizeof(why)))
		return cli_usage_err("invalid address '%s': %s", arg, why);
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = !strcmp(verb, "add") ? shunt_node_addr_add(&s, &ip, family)
				   : shunt_node_addr_del(&s, &ip, family);
	shunt_close(&s);
	if (err == -ENOENT)
		return cli_err("%s is not a node address", arg);
	if (err == -ENOSPC)
		return cli_err("cannot add %s: node address table full (%u)",
			       arg, SHUNT_MAX_NODE_ADDRS);
	return err ? cli_err("cannot %s %s: %s", verb, arg, strerror(-err))
		   : EXIT_OK;
}

static int sync_now(struct cli *cli, const char *selection)
{
	struct shunt_nodeport_addrs sel;
	struct shunt_node_addr *v = NULL;
	char why[128];
	struct shunt s;
	size_t n = 0;
	int err;

	if (shunt_nodeport_addrs_parse(selection, &sel, why, sizeof(why)))
		return cli_usage_err("invalid selection: %s", why);
	err = shunt_node_addrs_select(&sel, NULL, 0, &v, &n);
	if (err)
		return cli_err("cannot read this node's addresses: %s",
			       strerror(-err));
	if (cli_open(cli, &s, true)) {
		free(v);
		return EXIT_FAIL;
	}
	err = shunt_node_addr_sync(&s, v, n);
	shunt_close(&s);
	free(v);
	return err ? cli_err("cannot set node addresses: %s", strerror(-err))
		   : EXIT_OK;
}

int cmd_node_address(struct cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "list";

	if (cli_is_help(verb) || (argc > 2 && cli_is_help(argv[2]))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "list") || !strcmp(verb, "show")) {
		if (argc > 2 &&
		    (!strcmp(argv[2], "--json") || !strcmp(argv[2], "-j")))
			cli->json = true;
		else if (argc > 2)
			return cli_usage_err(
				"node-address list: unexpected argument '%s'",
				argv[2]);
		return list(cli);
	}
	if ((!strcmp(verb, "add") || !strcmp(verb, "del")) && argc == 3)
		return change(cli, verb, argv[2]);
	if (!strcmp(verb, "sync") && argc <= 3)
		return sync_now(cli, argc == 3 ? argv[2] : "");
	return cli_usage_err(
		"node-address: expected list, add ADDRESS, del ADDRESS or sync [SELECTION]");
}
