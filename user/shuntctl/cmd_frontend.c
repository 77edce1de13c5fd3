// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl frontend add / del / list */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "service.h"
#include "show.h"

static void frontend_usage(FILE *f)
{
	fputs("Usage: shuntctl frontend add SERVICE FRONTEND [--external] [--local]\n"
	      "       shuntctl frontend del FRONTEND\n"
	      "       shuntctl frontend list [SERVICE] [--json]\n"
	      "  SERVICE is any frontend of the service (VIP:PORT/PROTO). A FRONTEND is\n"
	      "  VIP:PORT/PROTO, or the NodePort wildcard *:PORT/PROTO ([*]:PORT/PROTO for\n"
	      "  IPv6): that port on every address in 'shuntctl node-address list'.\n"
	      "  --external  reached from outside the cluster (NodePort, LoadBalancer,\n"
	      "              externalIP); NodePort wildcards always are\n"
	      "  --local     traffic policy Local: the service holds this node's\n"
	      "              endpoints only\n"
	      "  A service keeps at least one frontend: delete the service instead.\n",
	      f);
}

static int frontend_add(struct cli *cli, int argc, char **argv)
{
	struct shunt_frontend_key svc, key;
	char name[SHUNT_ADDRSTRLEN];
	__u32 flags = 0;
	int i, n = 0, err, rc;
	struct shunt s;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--external"))
			flags |= SHUNT_FE_F_EXTERNAL;
		else if (!strcmp(argv[i], "--local"))
			flags |= SHUNT_FE_F_LOCAL;
		else if (argv[i][0] == '-')
			return cli_usage_err(
				"frontend add: unknown option '%s'", argv[i]);
		else if (
			n++ == 0 ? cli_parse_service(argv[i], &svc)
			: n == 2
				? cli_parse_service(argv[i], &key)
				: cli_usage_err(
					  "frontend add: unexpected argument '%s'",
					  argv[i]))
			return EXIT_USAGE;
	}
	if (n != 2)
		return cli_usage_err("frontend add: expected SERVICE FRONTEND");
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_frontend_add(&s, &svc, &key, flags);
	shunt_format_service(err == -ENOENT ? &svc : &key, name, sizeof(name));
	if (err == -ENOENT)
		rc = cli_err("unknown service %s", name);
	else if (err == -EBUSY || err == -EEXIST)
		rc = cli_err("frontend %s belongs to a service already", name);
	else if (err == -EAFNOSUPPORT)
		rc = cli_err(
			"frontend %s is not of the service's address family",
			name);
	else
		rc = err ? cli_service_err(&s, "add frontend", name, err)
			 : EXIT_OK;
	shunt_close(&s);
	return rc;
}

static int frontend_del(struct cli *cli, int argc, char **argv)
{
	struct shunt_frontend_key key;
	char name[SHUNT_ADDRSTRLEN];
	struct shunt s;
	int err, rc;

	if (argc != 2)
		return cli_usage_err("frontend del: expected one FRONTEND");
	if (cli_parse_service(argv[1], &key))
		return EXIT_USAGE;
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_frontend_del(&s, &key);
	shunt_format_service(&key, name, sizeof(name));
	if (err == -ENOENT)
		rc = cli_err("unknown frontend %s", name);
	else if (err == -EBUSY)
		rc = cli_err(
			"frontend %s is the last of its service: delete the service instead",
			name);
	else
		rc = err ? cli_service_err(&s, "delete frontend", name, err)
			 : EXIT_OK;
	shunt_close(&s);
	return rc;
}

static void list_out(struct cli *cli, struct shunt *s,
		     const struct shunt_frontend_info *f, size_t n)
{
	struct json_object *arr = NULL, *o;
	char key[SHUNT_ADDRSTRLEN], flags[64];
	struct shunt_service_info info;
	const char *svc;
	size_t i;

	if (cli->json)
		arr = json_object_new_array();
	else
		printf("%-44s %-32s %s\n", "FRONTEND", "FLAGS", "SERVICE");
	for (i = 0; i < n; i++) {
		shunt_format_service(&f[i].key, key, sizeof(key));
		show_fe_flags(f[i].fe.flags, flags, sizeof(flags));
		svc = shunt_service_get(s, &f[i].key, &info) ? "?"
							     : info.svc.name;
		if (!cli->json) {
			printf("%-44s %-32s %s\n", key, flags, svc);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "frontend",
				       json_object_new_string(key));
		json_object_object_add(o, "flags",
				       json_object_new_string(flags));
		json_object_object_add(o, "service",
				       json_object_new_string(svc));
		json_object_object_add(o, "service_id",
				       json_object_new_int64(f[i].fe.svc_id));
		json_object_array_add(arr, o);
	}
	if (arr)
		cli_json_print(arr);
}

static int frontend_list(struct cli *cli, int argc, char **argv)
{
	struct shunt_frontend_key key, *filter = NULL;
	struct shunt_frontend_info *f = NULL;
	struct shunt_service_info info = {};
	struct shunt s;
	size_t n = 0;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			cli->json = true;
		else if (!filter && !cli_parse_service(argv[i], &key))
			filter = &key;
		else
			return EXIT_USAGE;
	}
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = filter ? shunt_service_get(&s, filter, &info) : 0;
	if (!err)
		err = shunt_frontend_list(&s, info.id, &f, &n);
	if (!err)
		list_out(cli, &s, f, n);
	free(f);
	shunt_close(&s);
	if (err == -ENOENT)
		return cli_err("unknown service %s", argv[argc - 1]);
	return err ? cli_err("cannot list frontends: %s", strerror(-err))
		   : EXIT_OK;
}

int cmd_frontend(struct cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "list";

	if (cli_is_help(verb) || (argc > 2 && cli_is_help(argv[2]))) {
		frontend_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "add"))
		return frontend_add(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
		return frontend_del(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "list") || !strcmp(verb, "show"))
		return frontend_list(cli, argc > 1 ? argc - 1 : 1,
				     argc > 1 ? argv + 1 : argv);
	return cli_usage_err("frontend: unknown command '%s' (add, del, list)",
			     verb);
}
