// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl service add / set / del / list / show */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "load.h"
#include "maglev.h"
#include "parse.h"
#include "service.h"
#include "show.h"

static void service_usage(FILE *f)
{
	fprintf(f,
		"Usage: shuntctl service add VIP:PORT/PROTO [--name NAME] [--node-port N] [--table-size M|auto] [--affinity SECONDS] [--source-ranges CIDR,...]\n"
		"       shuntctl service set VIP:PORT/PROTO [--table-size M|auto] [--affinity SECONDS|0] [--source-ranges CIDR,...|none]\n"
		"       shuntctl service del VIP:PORT/PROTO\n"
		"       shuntctl service list [--json]\n"
		"       shuntctl service show VIP:PORT/PROTO [--json]\n"
		"  A service is one backend set and Maglev table; its frontends (VIP:PORT/PROTO,\n"
		"  the NodePort wildcard *:PORT/PROTO, see 'shuntctl frontend') share it. Any\n"
		"  frontend names the service; del removes it with all its frontends.\n"
		"  PROTO is tcp or udp; IPv6 VIPs in brackets: [2001:db8::1]:80/tcp.\n"
		"  --name NAME          the service's name (default: the VIP:PORT/PROTO)\n"
		"  --node-port N        also serve the service on port N of every node address\n"
		"  --table-size M|auto  Maglev table size, a prime in %u..%u; auto (the\n"
		"                       default) sizes it from the backends: at least %u slots\n"
		"                       per unit of weight\n"
		"  --affinity SECONDS   ClientIP session affinity, 1..%u (default off; 0: off)\n"
		"  --source-ranges CIDR,...  only clients in these CIDRs reach the service's\n"
		"                       frontends (loadBalancerSourceRanges; others dropped,\n"
		"                       counted drop_src_range); none: every client\n",
		SHUNT_MAGLEV_MIN, SHUNT_MAGLEV_MAX, 100,
		SHUNT_AFFINITY_MAX_SECONDS);
}

static int parse_table_size(const char *arg, __u32 *m)
{
	__u32 p;

	if (!strcmp(arg, "auto")) {
		*m = 0;
		return 0;
	}
	if (cli_parse_u32("table size", arg, SHUNT_MAGLEV_MIN, SHUNT_MAGLEV_MAX,
			  m))
		return EXIT_USAGE;
	if (maglev_is_prime(*m))
		return 0;
	for (p = *m; p > SHUNT_MAGLEV_MIN && !maglev_is_prime(p); p--)
		;
	return cli_usage_err(
		"invalid table size '%s': not a prime (nearest below: %u)", arg,
		p);
}

struct svc_args {
	struct shunt_frontend_key key;
	char name[SHUNT_NAME_MAX];
	__u32 node_port;
	__u32 table_size;
	__u32 affinity;
	bool have_table, have_affinity, have_ranges;
	struct shunt_src_range ranges[SHUNT_MAX_SVC_SRC_RANGES];
	size_t n_ranges;
};

/* --source-ranges CIDR,CIDR,... or none. */
static int parse_ranges(const char *arg, struct svc_args *a)
{
	char *copy = strdup(arg), *tok, *save = NULL, why[160];
	int rc = 0;

	if (!copy)
		return cli_err("out of memory");
	a->n_ranges = 0;
	tok = strcmp(arg, "none") ? strtok_r(copy, ",", &save) : NULL;
	for (; tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		if (a->n_ranges == SHUNT_MAX_SVC_SRC_RANGES)
			rc = cli_usage_err(
				"too many source ranges (at most %u)",
				SHUNT_MAX_SVC_SRC_RANGES);
		else if (shunt_src_range_parse(tok, &a->ranges[a->n_ranges++],
					       why, sizeof(why)))
			rc = cli_usage_err("invalid source range: %s", why);
	}
	if (!rc && !a->n_ranges && strcmp(arg, "none"))
		rc = cli_usage_err("--source-ranges: give CIDRs or none");
	free(copy);
	return rc;
}

/* Options of add and set, then exactly one VIP:PORT/PROTO. */
static int parse_args(int argc, char **argv, bool add, struct svc_args *a)
{
	static const struct option opts[] = {
		{"table-size", required_argument, NULL, 't'},
		{"affinity", required_argument, NULL, 'a'},
		{"node-port", required_argument, NULL, 'N'},
		{"name", required_argument, NULL, 'n'},
		{"source-ranges", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((c = getopt_long(argc, argv, "t:a:h", opts, NULL)) != -1) {
		if (c == 't' && parse_table_size(optarg, &a->table_size))
			return EXIT_USAGE;
		if (c == 'a' &&
		    cli_parse_u32("affinity timeout", optarg, add ? 1 : 0,
				  SHUNT_AFFINITY_MAX_SECONDS, &a->affinity))
			return EXIT_USAGE;
		if ((c == 'N' || c == 'n') && !add)
			return cli_usage_err(
				"service set: --%s is for 'service add' ('shuntctl frontend' changes frontends)",
				c == 'N' ? "node-port" : "name");
		if (c == 'N' &&
		    cli_parse_u32("node port", optarg, 1, 65535, &a->node_port))
			return EXIT_USAGE;
		if (c == 'n' && (!*optarg || strlen(optarg) >= sizeof(a->name)))
			return cli_usage_err(
				"invalid name '%s': 1 to %zu characters",
				optarg, sizeof(a->name) - 1);
		if (c == 'n')
			snprintf(a->name, sizeof(a->name), "%s", optarg);
		if (c == 'r' && parse_ranges(optarg, a))
			return EXIT_USAGE;
		if (c == 'h') {
			service_usage(stdout);
			return -1;
		}
		if (c == '?')
			return EXIT_USAGE;
		a->have_table |= c == 't';
		a->have_affinity |= c == 'a';
		a->have_ranges |= c == 'r';
	}
	if (argc - optind != 1)
		return cli_usage_err("service %s: expected one VIP:PORT/PROTO",
				     argv[0]);
	if (cli_parse_service(argv[optind], &a->key))
		return EXIT_USAGE;
	if (!a->name[0])
		shunt_format_service(&a->key, a->name, sizeof(a->name));
	return 0;
}

/* One message per library error, naming what was wrong. */
int cli_service_err(struct shunt *s, const char *what, const char *name,
		    int err)
{
	struct shunt_capacity cap = {};

	shunt_capacity_read(s, &cap);
	switch (err) {
	case -ENOENT:
		return cli_err("unknown service %s", name);
	case -EEXIST:
		return cli_err("cannot %s %s: it exists already", what, name);
	case -EBUSY:
		return cli_err(
			"cannot %s %s: a frontend belongs to another service",
			what, name);
	case -EPERM:
		return cli_err(
			"cannot %s %s: a service of that name belongs to the services file or the Kubernetes source",
			what, name);
	case -ENOSPC:
		return cli_err(
			"cannot %s %s: service table full (%u services, %u frontends, %u backends)",
			what, name, cap.services, cap.frontends, cap.backends);
	default:
		return cli_err("cannot %s %s: %s", what, name, strerror(-err));
	}
}

static int service_add(struct cli *cli, int argc, char **argv)
{
	struct shunt_frontend_spec fes[2] = {};
	struct shunt_service_spec spec = {.frontends = fes, .n_frontends = 1};
	struct shunt_service_info info;
	struct svc_args a;
	struct shunt s;
	int rc, err;

	rc = parse_args(argc, argv, true, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	fes[0].key = a.key;
	if (a.node_port) {
		fes[1].key.port = htons(a.node_port);
		fes[1].key.proto = a.key.proto;
		fes[1].key.family = a.key.family;
		fes[1].flags = SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_NODEPORT;
		spec.n_frontends = 2;
	}
	snprintf(spec.name, sizeof(spec.name), "%s", a.name);
	spec.table_size = a.table_size;
	spec.affinity_timeout = a.affinity;
	shunt_src_ranges_normalize(a.ranges, &a.n_ranges);
	spec.src_ranges = a.ranges;
	spec.n_src_ranges = a.n_ranges;
	fes[0].flags |= SHUNT_FE_F_SRC_RANGES; /* dropped without ranges */
	fes[1].flags |= SHUNT_FE_F_SRC_RANGES;
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_service_get_by_name(&s, spec.name, &info) == 0 ||
			      shunt_service_get(&s, &a.key, &info) == 0
		      ? -EEXIST
		      : shunt_service_apply(&s, &spec, 0);
	if (err == -EEXIST)
		rc = cli_err("service %s already exists", a.name);
	else
		rc = err ? cli_service_err(&s, "add service", a.name, err)
			 : EXIT_OK;
	shunt_close(&s);
	return rc;
}

static int service_set(struct cli *cli, int argc, char **argv)
{
	struct shunt_service_info info;
	struct svc_args a;
	struct shunt s;
	int rc, err;

	rc = parse_args(argc, argv, false, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!a.have_table && !a.have_affinity && !a.have_ranges)
		return cli_usage_err("service set: give --table-size, "
				     "--affinity or --source-ranges");
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	/* The ranges first: the change that can be refused (capacity). */
	err = shunt_service_get(&s, &a.key, &info);
	if (!err && a.have_ranges)
		err = shunt_service_set_src_ranges(&s, &a.key, a.ranges,
						   a.n_ranges);
	if (!err && (a.have_table || a.have_affinity))
		err = shunt_service_set(
			&s, &a.key,
			a.have_table ? a.table_size : info.svc.table_size,
			a.have_affinity ? a.affinity
					: info.svc.affinity_timeout);
	rc = err ? cli_service_err(&s, "change service", a.name, err) : EXIT_OK;
	shunt_close(&s);
	return rc;
}

static int service_del(struct cli *cli, int argc, char **argv)
{
	char name[SHUNT_ADDRSTRLEN];
	struct shunt_frontend_key key;
	struct shunt s;
	int err, rc;

	if (argc != 2)
		return cli_usage_err(
			"service del: expected one VIP:PORT/PROTO");
	if (cli_parse_service(argv[1], &key))
		return EXIT_USAGE;
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_service_del(&s, &key);
	shunt_format_service(&key, name, sizeof(name));
	rc = err ? cli_service_err(&s, "delete service", name, err) : EXIT_OK;
	shunt_close(&s);
	return rc;
}

/* list and show: [SERVICE] [--json] */
static int service_list(struct cli *cli, int argc, char **argv, bool show)
{
	struct shunt_frontend_key key, *filter = NULL;
	struct shunt_service_info info;
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
			return cli_usage_err(
				"service %s: unexpected argument '%s'", argv[0],
				argv[i]);
		}
	}
	if (show && !filter)
		return cli_usage_err(
			"service show: expected one VIP:PORT/PROTO");
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	if (filter && shunt_service_get(&s, filter, &info)) {
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

	if (cli_is_help(verb) || (argc > 2 && cli_is_help(argv[2]))) {
		service_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "add"))
		return service_add(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "set"))
		return service_set(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
		return service_del(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "list") || !strcmp(verb, "show"))
		return service_list(cli, argc > 1 ? argc - 1 : 1,
				    argc > 1 ? argv + 1 : argv,
				    !strcmp(verb, "show"));
	return cli_usage_err(
		"service: unknown command '%s' (add, set, del, list, show)",
		verb);
}
