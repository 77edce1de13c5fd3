// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl config show / set / reset */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static void config_usage(FILE *f)
{
	const struct shunt_knob *k;

	fputs("Usage: shuntctl config show [--json]\n"
	      "       shuntctl config set KNOB VALUE\n"
	      "       shuntctl config reset\n"
	      "Knobs:\n",
	      f);
	char buf[16];

	for (k = shunt_knobs(); k->name; k++)
		if (k->names)
			fprintf(f, "  %-24s %s, default %s\n", k->name, k->help,
				shunt_knob_format(k, k->dflt, buf,
						  sizeof(buf)));
		else
			fprintf(f, "  %-24s %s, %u..%u, default %u\n", k->name,
				k->help, k->min, k->max, k->dflt);
}

static int config_show(struct cli *cli)
{
	const struct shunt_knob *k;
	struct shunt_config cfg;
	struct json_object *o;
	struct shunt s;
	char buf[16];
	int err;

	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_config_get(&s, &cfg);
	shunt_close(&s);
	if (err)
		return cli_err("cannot read config_map: %s", strerror(-err));
	if (!cli->json) {
		for (k = shunt_knobs(); k->name; k++)
			printf("%-24s %s\n", k->name,
			       shunt_knob_format(k, shunt_knob_value(&cfg, k),
						 buf, sizeof(buf)));
		return EXIT_OK;
	}
	o = json_object_new_object();
	for (k = shunt_knobs(); k->name; k++)
		json_object_object_add(
			o, k->name,
			k->names ? json_object_new_string(shunt_knob_format(
					   k, shunt_knob_value(&cfg, k), buf,
					   sizeof(buf)))
				 : json_object_new_int64(
					   shunt_knob_value(&cfg, k)));
	cli_json_print(o);
	return EXIT_OK;
}

static int config_set(struct cli *cli, int argc, char **argv)
{
	const struct shunt_knob *k;
	struct shunt s;
	char why[128];
	__u32 v;
	int err;

	if (argc != 3)
		return cli_usage_err("config set: expected KNOB VALUE");
	k = shunt_knob_find(argv[1]);
	if (!k)
		return cli_usage_err(
			"unknown knob '%s' (see 'shuntctl config -h')",
			argv[1]);
	if (shunt_knob_parse(k, argv[2], &v, why, sizeof(why)))
		return cli_usage_err("invalid %s '%s': %s", k->name, argv[2],
				     why);
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_config_set(&s, k, v);
	shunt_close(&s);
	if (err)
		return cli_err("cannot set %s: %s", k->name, strerror(-err));
	return EXIT_OK;
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "show";
	struct shunt s;
	int err, i;

	if (cli_is_help(verb) || (argc > 2 && cli_is_help(argv[2]))) {
		config_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "show") || !strcmp(verb, "list")) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--json") && strcmp(argv[i], "-j"))
				return cli_usage_err(
					"config show: unexpected argument '%s'",
					argv[i]);
			cli->json = true;
		}
		return config_show(cli);
	}
	if (!strcmp(verb, "set"))
		return config_set(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "reset")) {
		if (cli_open(cli, &s, true))
			return EXIT_FAIL;
		err = shunt_config_reset(&s);
		shunt_close(&s);
		return err ? cli_err("cannot reset config: %s", strerror(-err))
			   : EXIT_OK;
	}
	return cli_usage_err("config: unknown command '%s' (show, set, reset)",
			     verb);
}
