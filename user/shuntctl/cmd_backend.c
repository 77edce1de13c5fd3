// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl backend add / del / set / list */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "load.h"
#include "parse.h"
#include "service.h"
#include "show.h"

static void backend_usage(FILE *f)
{
	fprintf(f,
		"Usage: shuntctl backend add VIP:PORT/PROTO IP:PORT [--weight W]\n"
		"       shuntctl backend del VIP:PORT/PROTO IP:PORT\n"
		"       shuntctl backend set VIP:PORT/PROTO IP:PORT (--weight W | --drain | --activate)\n"
		"       shuntctl backend list [VIP:PORT/PROTO] [--json]\n"
		"  --weight W   share of new flows, %u..%u (default %u)\n"
		"  --drain      no new flows; open flows finish\n"
		"  --activate   take new flows again\n"
		"  IPv6 backends in brackets: [2001:db8::2]:8080.\n",
		SHUNT_WEIGHT_MIN, SHUNT_WEIGHT_MAX, SHUNT_WEIGHT_DEFAULT);
}

struct backend_args {
	struct shunt_frontend_key key;
	union shunt_ip addr;
	__be16 port;
	__u8 family;
	char svc_name[SHUNT_ADDRSTRLEN];
	char be_name[SHUNT_ADDRSTRLEN];
};

/* The two positional arguments every verb but list takes. */
static int parse_pair(int argc, char **argv, const char *verb,
		      struct backend_args *a)
{
	if (argc != 2)
		return cli_usage_err(
			"backend %s: expected VIP:PORT/PROTO IP:PORT", verb);
	if (cli_parse_service(argv[0], &a->key) ||
	    cli_parse_backend(argv[1], &a->addr, &a->port, &a->family))
		return EXIT_USAGE;
	if (a->family != a->key.family)
		return cli_usage_err(
			"backend '%s' is IPv%u but service '%s' is IPv%u",
			argv[1], a->family, argv[0], a->key.family);
	shunt_format_service(&a->key, a->svc_name, sizeof(a->svc_name));
	shunt_format_endpoint(&a->addr, a->port, a->family, a->be_name,
			      sizeof(a->be_name));
	return 0;
}

/* One message per library error, naming what was wrong. */
static int backend_error(struct shunt *s, const char *verb,
			 const struct backend_args *a, int err)
{
	struct shunt_service_info info;
	struct shunt_capacity cap = {};

	switch (err) {
	case -ENOENT:
		if (shunt_service_get(s, &a->key, &info))
			return cli_err("unknown service %s", a->svc_name);
		return cli_err("backend %s is not in service %s", a->be_name,
			       a->svc_name);
	case -EEXIST:
		return cli_err("backend %s is already in service %s",
			       a->be_name, a->svc_name);
	case -ENOSPC:
		shunt_capacity_read(s, &cap);
		return cli_err(
			"cannot add backend %s: capacity exceeded (at most %u per service, bound by an explicit table size, %u in all)",
			a->be_name, SHUNT_MAX_SVC_BACKENDS, cap.backends);
	default:
		return cli_err("backend %s %s in %s: %s", verb, a->be_name,
			       a->svc_name, strerror(-err));
	}
}

static int run(struct cli *cli, const char *verb, struct backend_args *a,
	       int (*fn)(struct shunt *, struct backend_args *, __u32),
	       __u32 arg)
{
	struct shunt s;
	int err, rc = EXIT_OK;

	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = fn(&s, a, arg);
	if (err)
		rc = backend_error(&s, verb, a, err);
	shunt_close(&s);
	return rc;
}

static int do_add(struct shunt *s, struct backend_args *a, __u32 weight)
{
	return shunt_backend_add(s, &a->key, &a->addr, a->port, a->family,
				 weight);
}

static int do_del(struct shunt *s, struct backend_args *a, __u32 unused)
{
	(void)unused;
	return shunt_backend_del(s, &a->key, &a->addr, a->port, a->family);
}

static int do_weight(struct shunt *s, struct backend_args *a, __u32 weight)
{
	return shunt_backend_set_weight(s, &a->key, &a->addr, a->port,
					a->family, weight);
}

static int do_state(struct shunt *s, struct backend_args *a, __u32 state)
{
	return shunt_backend_set_state(s, &a->key, &a->addr, a->port, a->family,
				       state);
}

/* add and set share their options. */
static int backend_change(struct cli *cli, int argc, char **argv, bool add)
{
	static const struct option opts[] = {
		{"weight", required_argument, NULL, 'w'},
		{"drain", no_argument, NULL, 'd'},
		{"activate", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	__u32 weight = SHUNT_WEIGHT_DEFAULT, state = 0;
	struct backend_args a;
	bool have_weight = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (cli_parse_u32("weight", optarg, SHUNT_WEIGHT_MIN,
					  SHUNT_WEIGHT_MAX, &weight))
				return EXIT_USAGE;
			have_weight = true;
			break;
		case 'd':
		case 'a':
			if (add)
				return cli_usage_err(
					"backend add: --%s is for 'backend set'",
					c == 'd' ? "drain" : "activate");
			state = c == 'd' ? SHUNT_BE_DRAINING : SHUNT_BE_ACTIVE;
			break;
		case 'h':
			backend_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (parse_pair(argc - optind, argv + optind, argv[0], &a))
		return EXIT_USAGE;
	if (add)
		return run(cli, "add", &a, do_add, weight);
	if (have_weight == !!state)
		return cli_usage_err(
			"backend set: give exactly one of --weight, --drain, --activate");
	if (have_weight)
		return run(cli, "set", &a, do_weight, weight);
	return run(cli, "set", &a, do_state, state);
}

static int backend_del(struct cli *cli, int argc, char **argv)
{
	struct backend_args a;

	if (parse_pair(argc - 1, argv + 1, "del", &a))
		return EXIT_USAGE;
	return run(cli, "del", &a, do_del, 0);
}

static int backend_list(struct cli *cli, int argc, char **argv)
{
	struct shunt_frontend_key key, *filter = NULL;
	struct shunt_service_info svc;
	struct shunt s;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			cli->json = true;
		} else if (!filter) {
			if (cli_parse_service(argv[i], &key))
				return EXIT_USAGE;
			filter = &key;
		} else {
			return cli_usage_err(
				"backend list: unexpected argument '%s'",
				argv[i]);
		}
	}
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	if (filter && shunt_service_get(&s, filter, &svc)) {
		char name[SHUNT_ADDRSTRLEN];

		shunt_close(&s);
		return cli_err(
			"unknown service %s",
			shunt_format_service(filter, name, sizeof(name)));
	}
	rc = show_backends(cli, &s, filter);
	shunt_close(&s);
	return rc;
}

int cmd_backend(struct cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "list";

	if (cli_is_help(verb)) {
		backend_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "add"))
		return backend_change(cli, argc - 1, argv + 1, true);
	if (!strcmp(verb, "set"))
		return backend_change(cli, argc - 1, argv + 1, false);
	if (!strcmp(verb, "del") || !strcmp(verb, "delete")) {
		if (argc > 2 && cli_is_help(argv[2])) {
			backend_usage(stdout);
			return EXIT_OK;
		}
		return backend_del(cli, argc - 1, argv + 1);
	}
	if (!strcmp(verb, "list") || !strcmp(verb, "show"))
		return backend_list(cli, argc > 1 ? argc - 1 : 1,
				    argc > 1 ? argv + 1 : argv);
	return cli_usage_err(
		"backend: unknown command '%s' (add, del, set, list)", verb);
}
