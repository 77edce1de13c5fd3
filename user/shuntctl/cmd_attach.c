// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl attach / detach / iface list / unload */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "cli.h"

static void attach_usage(FILE *f)
{
	fputs("Usage: shuntctl attach IFACE... [--mode auto|xdp|tc]\n"
	      "  Load the datapath if needed and attach it to every IFACE.\n"
	      "  auto (default): native XDP on physical NICs, tc ingress on\n"
	      "  everything else (veth, bridges, ...); tc if XDP is refused.\n"
	      "  Nothing changes unless every IFACE can be attached.\n",
	      f);
}

static int attach_error(const char *ifname, enum shunt_mode mode, int err)
{
	switch (err) {
	case -ENODEV:
		return cli_err("interface '%s' does not exist", ifname);
	case -EXDEV:
		return cli_err(
			"cannot attach to '%s': this pin root serves another network namespace (use one --pin-root per namespace)",
			ifname);
	case -EBUSY:
	case -EEXIST:
		return cli_err(
			"interface '%s' already has another %s program attached",
			ifname, shunt_mode_name(mode));
	case -EOPNOTSUPP:
		return cli_err(
			"interface '%s': driver has no native XDP (use --mode tc)",
			ifname);
	default:
		return cli_err("cannot attach to '%s' (%s): %s", ifname,
			       shunt_mode_name(mode), strerror(-err));
	}
}

int cmd_attach(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	enum shunt_mode mode = SHUNT_MODE_AUTO, chosen;
	bool *changed, fresh;
	struct shunt s;
	int c, i, n, err = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		if (c == 'h') {
			attach_usage(stdout);
			return EXIT_OK;
		}
		if (c != 'm') {
			attach_usage(stderr);
			return EXIT_USAGE;
		}
		if (shunt_mode_parse(optarg, &mode))
			return cli_usage_err(
				"invalid mode '%s' (auto, xdp or tc)", optarg);
	}
	n = argc - optind;
	if (n <= 0)
		return cli_usage_err("attach: no interface given");
	for (i = optind; i < argc; i++)
		if (!if_nametoindex(argv[i]))
			return cli_usage_err("interface '%s' does not exist",
					     argv[i]);
	changed = calloc(n, sizeof(*changed));
	if (!changed)
		return cli_err("attach: out of memory");
	fresh = !shunt_is_loaded(shunt_pin_root(cli->pin_root));
	if (cli_open(cli, &s, true)) {
		free(changed);
		return EXIT_FAIL;
	}
	for (i = 0; i < n && !err; i++) {
		err = shunt_attach(&s, argv[optind + i], mode, &chosen,
				   &changed[i]);
		if (err)
			attach_error(argv[optind + i], mode, err);
		else
			printf("attached %s mode %s%s\n", argv[optind + i],
			       shunt_mode_name(chosen),
			       changed[i] ? "" : " (already)");
	}
	/* All or nothing: undo what this command attached, and unload
	 * what it loaded. */
	while (err && --i > 0)
		if (changed[i - 1])
			shunt_detach(&s, argv[optind + i - 1]);
	free(changed);
	shunt_close(&s);
	if (err && fresh)
		shunt_unload(cli->pin_root);
	return err ? EXIT_FAIL : EXIT_OK;
}

int cmd_detach(struct cli *cli, int argc, char **argv)
{
	struct shunt s;
	int i, err, rc = EXIT_OK;

	if (argc < 2)
		return cli_usage_err("detach: no interface given");
	if (cli_is_help(argv[1])) {
		puts("Usage: shuntctl detach IFACE...\n"
		     "  Remove the datapath from each IFACE (maps and other interfaces stay).");
		return EXIT_OK;
	}
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	for (i = 1; i < argc; i++) {
		err = shunt_detach(&s, argv[i]);
		if (err == -ENOENT)
			rc = cli_err("shunt is not attached to '%s'", argv[i]);
		else if (err == -EXDEV)
			rc = cli_err(
				"cannot detach from '%s': this pin root serves another network namespace",
				argv[i]);
		else if (err)
			rc = cli_err("cannot detach from '%s': %s", argv[i],
				     strerror(-err));
	}
	shunt_close(&s);
	return rc;
}

static int iface_print(struct cli *cli, struct shunt_iface_info *v, size_t n)
{
	struct json_object *arr, *o;
	size_t i;

	if (!cli->json) {
		printf("%-16s %8s  %-4s  %s\n", "IFACE", "IFINDEX", "MODE",
		       "FLAGS");
		for (i = 0; i < n; i++)
			printf("%-16s %8u  %-4s  %s%s\n", v[i].iface.name,
			       v[i].ifindex,
			       v[i].iface.flags & SHUNT_IFACE_F_XDP ? "xdp"
								    : "tc",
			       v[i].iface.flags & SHUNT_IFACE_F_PEER_NS
				       ? "peer-netns "
				       : "",
			       v[i].present ? "" : "gone");
		return EXIT_OK;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "iface",
				       json_object_new_string(v[i].iface.name));
		json_object_object_add(o, "ifindex",
				       json_object_new_int(v[i].ifindex));
		json_object_object_add(
			o, "mode",
			json_object_new_string(
				v[i].iface.flags & SHUNT_IFACE_F_XDP ? "xdp"
								     : "tc"));
		json_object_object_add(
			o, "peer_netns",
			json_object_new_boolean(v[i].iface.flags &
						SHUNT_IFACE_F_PEER_NS));
		json_object_object_add(o, "present",
				       json_object_new_boolean(v[i].present));
		json_object_array_add(arr, o);
	}
	cli_json_print(arr);
	return EXIT_OK;
}

int cmd_iface(struct cli *cli, int argc, char **argv)
{
	struct shunt_iface_info *v;
	struct shunt s;
	size_t n;
	int i, err, rc;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			puts("Usage: shuntctl iface list [--json]");
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			cli->json = true;
		else if (strcmp(argv[i], "list"))
			return cli_usage_err("iface: unknown argument '%s'",
					     argv[i]);
	}
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_iface_list(&s, &v, &n);
	shunt_close(&s);
	if (err)
		return cli_err("cannot list interfaces: %s", strerror(-err));
	rc = iface_print(cli, v, n);
	free(v);
	return rc;
}

int cmd_unload(struct cli *cli, int argc, char **argv)
{
	int err;

	if (argc > 1 && cli_is_help(argv[1])) {
		puts("Usage: shuntctl unload\n"
		     "  Detach from every interface and remove every pin (services, conntrack, counters).");
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_err("unload: unexpected argument '%s'",
				     argv[1]);
	err = shunt_unload(cli->pin_root);
	if (err)
		return cli_err("unload: %s", strerror(-err));
	return EXIT_OK;
}
