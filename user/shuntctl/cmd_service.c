// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl service add / del / list / show */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "maglev.h"
#include "parse.h"
#include "service.h"
#include "show.h"

static void service_usage(FILE *f)
{
	fprintf(f,
		"Usage: shuntctl service add VIP:PORT/PROTO [--table-size M] "
		"[--affinity SECONDS]\n"
		"       shuntctl service del VIP:PORT/PROTO\n"
		"       shuntctl service list [--json]\n"
		"       shuntctl service show VIP:PORT/PROTO [--json]\n"
		"  PROTO is tcp or udp; IPv6 VIPs in brackets: "
		"[2001:db8::1]:80/tcp.\n"
		"  --table-size M      Maglev table size, a prime in %u..%u "
		"(default %u)\n"
		"  --affinity SECONDS  ClientIP session affinity, 1..%u "
		"(default off)\n",
		SHUNT_MAGLEV_MIN, SHUNT_MAGLEV_MAX, SHUNT_MAGLEV_DEFAULT,
		SHUNT_AFFINITY_MAX_SECONDS);
}

static int parse_table_size(const char *arg, __u32 *m)
{
	__u32 p;

	if (cli_parse_u32("table size", arg, SHUNT_MAGLEV_MIN, SHUNT_MAGLEV_MAX,
			  m))
		return EXIT_USAGE;
	if (maglev_is_prime(*m))
		return 0;
	for (p = *m; p > SHUNT_MAGLEV_MIN && !maglev_is_prime(p); p--)
		;
	return cli_usage_err("invalid table size '%s': not a prime "
			     "(nearest below: %u)",
			     arg, p);
}

static int service_add(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"table-size", required_argument, NULL, 't'},
		{"affinity", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	__u32 m = SHUNT_MAGLEV_DEFAULT, affinity = 0;
	char name[SHUNT_ADDRSTRLEN];
	struct shunt_svc_key key;
	struct shunt s;
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "t:a:h", opts, NULL)) != -1) {
		if (c == 't' && parse_table_size(optarg, &m))
			return EXIT_USAGE;
		if (c == 'a' &&
		    cli_parse_u32("affinity timeout", optarg, 1,
				  SHUNT_AFFINITY_MAX_SECONDS, &affinity))
			return EXIT_USAGE;
		if (c == 'h') {
			service_usage(stdout);
			return EXIT_OK;
		}
		if (c == '?')
			return EXIT_USAGE;
	}
	if (argc - optind != 1)
		return cli_usage_err("service add: expected one "
				     "VIP:PORT/PROTO");
	if (cli_parse_service(argv[optind], &key))
		return EXIT_USAGE;
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_service_add(&s, &key, m, affinity);
	shunt_close(&s);
	shunt_format_service(&key, name, sizeof(name));
	if (err == -EEXIST)
		return cli_err("service %s already exists", name);
	if (err == -ENOSPC)
		return cli_err("cannot add service %s: service table full "
			       "(%u services)",
			       name, SHUNT_MAX_SERVICES);
	if (err)
		return cli_err("cannot add service %s: %s", name,
			       strerror(-err));
	return EXIT_OK;
}

static int service_del(struct cli *cli, int argc, char **argv)
{
	char name[SHUNT_ADDRSTRLEN];
	struct shunt_svc_key key;
	struct shunt s;
	int err;

	if (argc != 2)
		return cli_usage_err("service del: expected one "
				     "VIP:PORT/PROTO");
	if (cli_parse_service(argv[1], &key))
		return EXIT_USAGE;
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_service_del(&s, &key);
	shunt_close(&s);
	shunt_format_service(&key, name, sizeof(name));
	if (err == -ENOENT)
		return cli_err("unknown service %s", name);
	if (err)
		return cli_err("cannot delete service %s: %s", name,
			       strerror(-err));
	return EXIT_OK;
}

/* list and show: [SERVICE] [--json] */
static int service_list(struct cli *cli, int argc, char **argv, bool show)
{
	struct shunt_svc_key key, *filter = NULL;
	struct shunt_svc svc;
	struct shunt s;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			cli->json = true;
		} else if (show && !filter) {
			if (cli_parse_service(argv[i], &key))
				return EXIT_USAGE;
			filter = &key;
		} else {
			return cli_usage_err("service %s: unexpected argument "
					     "'%s'",
					     argv[0], argv[i]);
		}
	}
	if (show && !filter)
		return cli_usage_err("service show: expected one "
				     "VIP:PORT/PROTO");
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	if (filter && shunt_service_get(&s, filter, &svc)) {
		shunt_close(&s);
		return cli_err("unknown service %s", argv[argc - 1]);
	}
	rc = show_services(cli, &s, filter);
	shunt_close(&s);
	return rc;
}

int cmd_service(struct cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "list";

	if (cli_is_help(verb)) {
		service_usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2 && cli_is_help(argv[2])) {
		service_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "add"))
		return service_add(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
		return service_del(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "list") || !strcmp(verb, "show"))
		return service_list(cli, argc > 1 ? argc - 1 : 1,
				    argc > 1 ? argv + 1 : argv,
				    !strcmp(verb, "show"));
	return cli_usage_err("service: unknown command '%s' (add, del, list, "
			     "show)",
			     verb);
}
