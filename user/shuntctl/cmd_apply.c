// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl apply -f FILE: make the services of a services file so. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "reconcile.h"
#include "svcfile.h"

static void apply_usage(FILE *f)
{
	fputs("Usage: shuntctl apply -f FILE\n"
	      "  Make the services owned by the services file exactly those in\n"
	      "  FILE (YAML or JSON; schema in README.md): missing ones added,\n"
	      "  changed ones updated, ones no longer listed deleted. Services\n"
	      "  added by hand are never touched. The whole file is checked\n"
	      "  first: an invalid file changes nothing. shuntd --services-file\n"
	      "  does the same whenever the file changes.\n",
	      f);
}

int cmd_apply(struct cli *cli, int argc, char **argv)
{
	struct shunt_reconcile_result r;
	struct shunt_desired want;
	char err[512];
	struct shunt s;
	int rc;

	if (argc == 2 && cli_is_help(argv[1])) {
		apply_usage(stdout);
		return EXIT_OK;
	}
	if (argc != 3 || strcmp(argv[1], "-f"))
		return cli_usage_err("apply: expected -f FILE");
	if (shunt_svcfile_load(argv[2], &want, err, sizeof(err)))
		return cli_err("%s", err);
	if (cli_open(cli, &s, true)) {
		shunt_desired_free(&want);
		return EXIT_FAIL;
	}
	rc = shunt_reconcile(&s, SHUNT_OWNER_FILE, &want, &r);
	shunt_close(&s);
	shunt_desired_free(&want);
	printf("added %zu, updated %zu, removed %zu, unchanged %zu, conflicts %zu\n",
	       r.added, r.updated, r.removed, r.unchanged, r.conflicts);
	if (r.conflicts)
		fprintf(stderr,
			"shuntctl: %zu services of the file exist and were added by hand: left alone\n",
			r.conflicts);
	if (rc)
		return cli_err("apply: %zu services failed: %s", r.failed,
			       r.first_error);
	return EXIT_OK;
}
