// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl cgroup attach / detach / exclude / include / list */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cli.h"

static void cgroup_usage(FILE *f)
{
	fputs("Usage: shuntctl cgroup attach [PATH]\n"
	      "       shuntctl cgroup detach [PATH]\n"
	      "       shuntctl cgroup exclude PATH\n"
	      "       shuntctl cgroup include PATH\n"
	      "       shuntctl cgroup list [--json]\n"
	      "  attach: socket-level load balancing (connect, sendmsg, recvmsg,\n"
	      "  getpeername; IPv4 and IPv6) and sockops (sockmap, socket\n"
	      "  tuning) for every process under the cgroup v2 directory PATH\n"
	      "  (default: the cgroup v2 root, from the mount table).\n"
	      "  exclude: the programs leave the sockets of PATH's subtree alone\n"
	      "  (for sidecar meshes); include undoes it.\n",
	      f);
}

static int path_arg(int argc, char **argv, char *buf, size_t len)
{
	if (argc > 2)
		return cli_usage_err("cgroup %s: unexpected argument '%s'",
				     argv[0], argv[2]);
	if (argc == 2) {
		snprintf(buf, len, "%s", argv[1]);
		return 0;
	}
	if (shunt_cgroup_root(buf, len))
		return cli_err("no cgroup v2 mount found (give PATH)");
	return 0;
}

static int path_error(const char *verb, const char *path, int err)
{
	if (err == -ENOTDIR)
		return cli_err("'%s' is not a cgroup v2 directory", path);
	if (err == -ENOENT && !strcmp(verb, "detach"))
		return cli_err("nothing of shunt is attached to cgroup '%s'",
			       path);
	if (err == -ENOENT && !strcmp(verb, "include"))
		return cli_err("cgroup '%s' is not excluded", path);
	if (err == -ENOENT)
		return cli_err("cgroup '%s' does not exist", path);
	if (err == -ENOSPC)
		return cli_err("cannot exclude '%s': exclusion table full (%u)",
			       path, SHUNT_CGROUP_EXCLUDE_MAX);
	return cli_err("cgroup %s '%s': %s", verb, path, strerror(-err));
}

static int cgroup_change(struct cli *cli, int argc, char **argv)
{
	char path[PATH_MAX];
	struct shunt s;
	int err;

	if (strcmp(argv[0], "attach") && strcmp(argv[0], "detach") && argc != 2)
		return cli_usage_err("cgroup %s: expected PATH", argv[0]);
	if (path_arg(argc, argv, path, sizeof(path)))
		return EXIT_USAGE;
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	if (!strcmp(argv[0], "attach"))
		err = shunt_cgroup_attach(&s, path);
	else if (!strcmp(argv[0], "detach"))
		err = shunt_cgroup_detach(&s, path);
	else if (!strcmp(argv[0], "exclude"))
		err = shunt_cgroup_exclude(&s, path);
	else
		err = shunt_cgroup_include(&s, path);
	shunt_close(&s);
	if (err)
		return path_error(argv[0], path, err);
	if (!strcmp(argv[0], "attach"))
		printf("attached to cgroup %s\n", path);
	return EXIT_OK;
}

static struct json_object *info_json(const struct shunt_cgroup_info *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cgroup_id", json_object_new_uint64(c->id));
	json_object_object_add(o, "path", json_object_new_string(c->path));
	return o;
}

static void list_json(const struct shunt_cgroup_info *att, size_t na,
		      const struct shunt_cgroup_info *exc, size_t ne)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array(), *o;
	size_t i;

	for (i = 0; i < na; i++) {
		o = info_json(&att[i]);
		json_object_object_add(o, "programs",
				       json_object_new_int(att[i].progs));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "attached", arr);
	arr = json_object_new_array();
	for (i = 0; i < ne; i++)
		json_object_array_add(arr, info_json(&exc[i]));
	json_object_object_add(root, "excluded", arr);
	cli_json_print(root);
}

static void list_text(const struct shunt_cgroup_info *att, size_t na,
		      const struct shunt_cgroup_info *exc, size_t ne)
{
	size_t i;

	printf("%-9s %12s %5s  %s\n", "", "CGROUP_ID", "PROGS", "PATH");
	for (i = 0; i < na; i++)
		printf("%-9s %12" PRIu64 " %5u  %s\n", "attached",
		       (uint64_t)att[i].id, att[i].progs,
		       att[i].path[0] ? att[i].path : "(gone)");
	for (i = 0; i < ne; i++)
		printf("%-9s %12" PRIu64 " %5s  %s\n", "excluded",
		       (uint64_t)exc[i].id, "-",
		       exc[i].path[0] ? exc[i].path : "(gone)");
}

static int cgroup_list(struct cli *cli, int argc, char **argv)
{
	struct shunt_cgroup_info *att = NULL, *exc = NULL;
	size_t na = 0, ne = 0;
	struct shunt s;
	int err;

	if (argc > 1 && strcmp(argv[1], "--json") && strcmp(argv[1], "-j"))
		return cli_usage_err("cgroup list: unexpected argument '%s'",
				     argv[1]);
	if (argc > 1)
		cli->json = true;
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_cgroup_list(&s, &att, &na);
	if (!err)
		err = shunt_cgroup_excluded(&s, &exc, &ne);
	shunt_close(&s);
	if (!err && cli->json)
		list_json(att, na, exc, ne);
	else if (!err)
		list_text(att, na, exc, ne);
	free(att);
	free(exc);
	return err ? cli_err("cannot list cgroups: %s", strerror(-err))
		   : EXIT_OK;
}

int cmd_cgroup(struct cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "list";

	if (cli_is_help(verb) || (argc > 2 && cli_is_help(argv[2]))) {
		cgroup_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "list") || !strcmp(verb, "show"))
		return cgroup_list(cli, argc > 1 ? argc - 1 : 1,
				   argc > 1 ? argv + 1 : argv);
	if (!strcmp(verb, "attach") || !strcmp(verb, "detach") ||
	    !strcmp(verb, "exclude") || !strcmp(verb, "include"))
		return cgroup_change(cli, argc - 1, argv + 1);
	return cli_usage_err(
		"cgroup: unknown command '%s' (attach, detach, exclude, include, list)",
		verb);
}
