// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl tune socket set / del / list */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nodetune.h"
#include "parse.h"
#include "sockpolicy.h"

static void tune_usage(FILE *f)
{
	char cc[256] = "?";

	shunt_congestion_available(cc, sizeof(cc));
	fprintf(f,
		"Usage: shuntctl tune audit [--profile NAME] [--json]\n"
		"       shuntctl tune apply [--profile NAME] [--state-dir DIR]\n"
		"       shuntctl tune revert [--state-dir DIR]\n"
		"  Node tuning (the seed's sysctl and fd steps). Profiles: seed\n"
		"  (default: everything), sockets (the per-namespace TCP part).\n"
		"  apply saves the values it replaces under DIR (default\n"
		"  $SHUNT_STATE_DIR, else " SHUNT_STATE_DIR_DEFAULT
		"); revert restores\n"
		"  them. Host-wide settings are only changed from the host's\n"
		"  network namespace.\n"
		"       shuntctl tune socket set SERVICE|PORT OPTION...\n"
		"       shuntctl tune socket del SERVICE|PORT\n"
		"       shuntctl tune socket list [--json]\n"
		"  Socket options set by sockops on TCP connections to SERVICE\n"
		"  (VIP:PORT/tcp) or PORT, and on connections accepted on PORT.\n"
		"  Needs 'shuntctl cgroup attach'. Options:\n"
		"  --keepalive IDLE,INTVL,CNT  SO_KEEPALIVE with TCP_KEEPIDLE (1-%u s),\n"
		"                              TCP_KEEPINTVL (1-%u s), TCP_KEEPCNT (1-%u)\n"
		"  --nodelay on|off            TCP_NODELAY\n"
		"  --congestion NAME           TCP_CONGESTION (here: %s)\n"
		"  --init-cwnd N               initial congestion window, segments (1-%u)\n"
		"  --syn-rto MS                SYN retransmission timeout (1-%u ms)\n"
		"  --sndbuf BYTES, --rcvbuf BYTES  SO_SNDBUF / SO_RCVBUF (%u-%u)\n",
		SHUNT_TUNE_KEEPIDLE_MAX, SHUNT_TUNE_KEEPINTVL_MAX,
		SHUNT_TUNE_KEEPCNT_MAX, cc, SHUNT_TUNE_CWND_MAX,
		SHUNT_TUNE_SYN_RTO_MAX, SHUNT_TUNE_BUF_MIN, SHUNT_TUNE_BUF_MAX);
}

static int parse_keepalive(const char *arg, struct shunt_sock_tune *t)
{
	char buf[64], *idle, *intvl, *cnt, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	idle = strtok_r(buf, ",", &save);
	intvl = strtok_r(NULL, ",", &save);
	cnt = strtok_r(NULL, ",", &save);
	if (!idle || !intvl || !cnt || strtok_r(NULL, ",", &save))
		return cli_usage_err(
			"invalid keepalive '%s': expected IDLE,INTVL,CNT", arg);
	if (cli_parse_u32("keepalive idle", idle, 1, SHUNT_TUNE_KEEPIDLE_MAX,
			  &t->keepalive_idle) ||
	    cli_parse_u32("keepalive interval", intvl, 1,
			  SHUNT_TUNE_KEEPINTVL_MAX, &t->keepalive_intvl) ||
	    cli_parse_u32("keepalive count", cnt, 1, SHUNT_TUNE_KEEPCNT_MAX,
			  &t->keepalive_cnt))
		return EXIT_USAGE;
	t->set |= SHUNT_TUNE_F_KEEPALIVE;
	return 0;
}

static int parse_congestion(const char *arg, struct shunt_sock_tune *t)
{
	char avail[256] = "";

	if (strlen(arg) >= sizeof(t->congestion))
		return cli_usage_err(
			"invalid congestion control '%s': name too long", arg);
	snprintf(t->congestion, sizeof(t->congestion), "%s", arg);
	t->set |= SHUNT_TUNE_F_CONGESTION;
	if (shunt_tune_check(t) == 0)
		return 0;
	shunt_congestion_available(avail, sizeof(avail));
	return cli_usage_err("invalid congestion control '%s' (available: %s)",
			     arg, avail);
}

static int parse_option(int c, const char *arg, struct shunt_sock_tune *t)
{
	switch (c) {
	case 'k':
		return parse_keepalive(arg, t);
	case 'n':
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			return cli_usage_err("invalid nodelay '%s' (on or off)",
					     arg);
		t->nodelay = !strcmp(arg, "on");
		t->set |= SHUNT_TUNE_F_NODELAY;
		return 0;
	case 'c':
		return parse_congestion(arg, t);
	case 'w':
		t->set |= SHUNT_TUNE_F_INIT_CWND;
		return cli_parse_u32("init-cwnd", arg, 1, SHUNT_TUNE_CWND_MAX,
				     &t->init_cwnd);
	case 'r':
		t->set |= SHUNT_TUNE_F_SYN_RTO;
		return cli_parse_u32("syn-rto", arg, 1, SHUNT_TUNE_SYN_RTO_MAX,
				     &t->syn_rto_ms);
	case 's':
		t->set |= SHUNT_TUNE_F_SNDBUF;
		return cli_parse_u32("sndbuf", arg, SHUNT_TUNE_BUF_MIN,
				     SHUNT_TUNE_BUF_MAX, &t->sndbuf);
	case 'b':
		t->set |= SHUNT_TUNE_F_RCVBUF;
		return cli_parse_u32("rcvbuf", arg, SHUNT_TUNE_BUF_MIN,
				     SHUNT_TUNE_BUF_MAX, &t->rcvbuf);
	default:
		return EXIT_USAGE;
	}
}

static int tune_set(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"keepalive", required_argument, NULL, 'k'},
		{"nodelay", required_argument, NULL, 'n'},
		{"congestion", required_argument, NULL, 'c'},
		{"init-cwnd", required_argument, NULL, 'w'},
		{"syn-rto", required_argument, NULL, 'r'},
		{"sndbuf", required_argument, NULL, 's'},
		{"rcvbuf", required_argument, NULL, 'b'},
		{},
	};
	char name[SHUNT_ADDRSTRLEN];
	struct shunt_sock_tune t = {};
	struct shunt_frontend_key target;
	struct shunt s;
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (parse_option(c, optarg, &t))
			return EXIT_USAGE;
	if (argc - optind != 1)
		return cli_usage_err(
			"tune socket set: expected one SERVICE|PORT");
	if (cli_parse_target(argv[optind], &target))
		return EXIT_USAGE;
	if (!t.set)
		return cli_usage_err(
			"tune socket set: no option given (see 'shuntctl tune -h')");
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_tune_set(&s, &target, &t);
	shunt_close(&s);
	cli_format_target(&target, name, sizeof(name));
	if (err == -ENOSPC)
		return cli_err("cannot tune %s: policy table full (%u)", name,
			       SHUNT_SOCK_POLICY_MAX);
	if (err)
		return cli_err("cannot tune %s: %s", name, strerror(-err));
	return EXIT_OK;
}

static int tune_del(struct cli *cli, int argc, char **argv)
{
	char name[SHUNT_ADDRSTRLEN];
	struct shunt_frontend_key target;
	struct shunt s;
	int err;

	if (argc != 2)
		return cli_usage_err("tune socket del: expected SERVICE|PORT");
	if (cli_parse_target(argv[1], &target))
		return EXIT_USAGE;
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_tune_del(&s, &target);
	shunt_close(&s);
	cli_format_target(&target, name, sizeof(name));
	if (err == -ENOENT)
		return cli_err("no socket tuning for %s", name);
	if (err)
		return cli_err("cannot delete tuning of %s: %s", name,
			       strerror(-err));
	return EXIT_OK;
}

static struct json_object *tune_json(const struct shunt_tune_info *v)
{
	const struct shunt_sock_tune *t = &v->tune;
	struct json_object *o = json_object_new_object();
	char name[SHUNT_ADDRSTRLEN];

	cli_format_target(&v->target, name, sizeof(name));
	json_object_object_add(o, "target", json_object_new_string(name));
	if (t->set & SHUNT_TUNE_F_KEEPALIVE) {
		json_object_object_add(
			o, "keepalive_idle",
			json_object_new_int64(t->keepalive_idle));
		json_object_object_add(
			o, "keepalive_intvl",
			json_object_new_int64(t->keepalive_intvl));
		json_object_object_add(o, "keepalive_cnt",
				       json_object_new_int64(t->keepalive_cnt));
	}
	if (t->set & SHUNT_TUNE_F_NODELAY)
		json_object_object_add(o, "nodelay",
				       json_object_new_boolean(t->nodelay));
	if (t->set & SHUNT_TUNE_F_CONGESTION)
		json_object_object_add(o, "congestion",
				       json_object_new_string(t->congestion));
	if (t->set & SHUNT_TUNE_F_INIT_CWND)
		json_object_object_add(o, "init_cwnd",
				       json_object_new_int64(t->init_cwnd));
	if (t->set & SHUNT_TUNE_F_SYN_RTO)
		json_object_object_add(o, "syn_rto_ms",
				       json_object_new_int64(t->syn_rto_ms));
	if (t->set & SHUNT_TUNE_F_SNDBUF)
		json_object_object_add(o, "sndbuf",
				       json_object_new_int64(t->sndbuf));
	if (t->set & SHUNT_TUNE_F_RCVBUF)
		json_object_object_add(o, "rcvbuf",
				       json_object_new_int64(t->rcvbuf));
	return o;
}

/* One line per target: the options as they would be typed. */
static void tune_text(const struct shunt_tune_info *v)
{
	const struct shunt_sock_tune *t = &v->tune;
	char name[SHUNT_ADDRSTRLEN];

	printf("%-46s", cli_format_target(&v->target, name, sizeof(name)));
	if (t->set & SHUNT_TUNE_F_KEEPALIVE)
		printf(" --keepalive %u,%u,%u", t->keepalive_idle,
		       t->keepalive_intvl, t->keepalive_cnt);
	if (t->set & SHUNT_TUNE_F_NODELAY)
		printf(" --nodelay %s", t->nodelay ? "on" : "off");
	if (t->set & SHUNT_TUNE_F_CONGESTION)
		printf(" --congestion %s", t->congestion);
	if (t->set & SHUNT_TUNE_F_INIT_CWND)
		printf(" --init-cwnd %u", t->init_cwnd);
	if (t->set & SHUNT_TUNE_F_SYN_RTO)
		printf(" --syn-rto %u", t->syn_rto_ms);
	if (t->set & SHUNT_TUNE_F_SNDBUF)
		printf(" --sndbuf %u", t->sndbuf);
	if (t->set & SHUNT_TUNE_F_RCVBUF)
		printf(" --rcvbuf %u", t->rcvbuf);
	putchar('\n');
}

static int tune_list(struct cli *cli, int argc, char **argv)
{
	struct shunt_tune_info *v;
	struct json_object *arr;
	struct shunt s;
	size_t n, i;
	int err;

	if (argc > 1 && strcmp(argv[1], "--json") && strcmp(argv[1], "-j"))
		return cli_usage_err(
			"tune socket list: unexpected argument '%s'", argv[1]);
	if (argc > 1)
		cli->json = true;
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_tune_list(&s, &v, &n);
	shunt_close(&s);
	if (err)
		return cli_err("cannot list socket tuning: %s", strerror(-err));
	if (cli->json) {
		arr = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(arr, tune_json(&v[i]));
		cli_json_print(arr);
	} else {
		for (i = 0; i < n; i++)
			tune_text(&v[i]);
	}
	free(v);
	return EXIT_OK;
}

/* --profile NAME, --state-dir DIR, --json for the node verbs. */
struct node_args {
	const char *profile;
	const char *state_dir;
};

static int node_options(struct cli *cli, int argc, char **argv,
			struct node_args *a)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"state-dir", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{},
	};
	const char *const *p;
	int c;

	a->profile = shunt_tune_profiles()[0];
	a->state_dir = NULL;
	optind = 0;
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c == 'p')
			a->profile = optarg;
		else if (c == 's')
			a->state_dir = optarg;
		else if (c == 'j')
			cli->json = true;
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_err("tune %s: unexpected argument '%s'",
				     argv[0], argv[optind]);
	for (p = shunt_tune_profiles(); *p; p++)
		if (!strcmp(*p, a->profile))
			return 0;
	return cli_usage_err("unknown profile '%s' (seed or sockets)",
			     a->profile);
}

static void audit_text(const struct shunt_audit_row *r, size_t n)
{
	size_t i;

	printf("%-52s %-7s %12s %12s  %s\n", "SETTING", "SCOPE", "CURRENT",
	       "PROFILE", "WHY");
	for (i = 0; i < n; i++)
		printf("%-52s %-7s %12s %12s%s %s\n", r[i].key,
		       shunt_tune_scope_name(r[i].scope), r[i].current,
		       r[i].present ? r[i].recommended : "-",
		       r[i].differs ? " *" : "  ",
		       r[i].present
			       ? r[i].reason
			       : "(not in this kernel: module not loaded)");
}

static void audit_json(const struct shunt_audit_row *r, size_t n)
{
	struct json_object *arr = json_object_new_array(), *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "setting",
				       json_object_new_string(r[i].key));
		json_object_object_add(
			o, "scope",
			json_object_new_string(
				shunt_tune_scope_name(r[i].scope)));
		json_object_object_add(o, "present",
				       json_object_new_boolean(r[i].present));
		json_object_object_add(o, "current",
				       json_object_new_string(r[i].current));
		json_object_object_add(
			o, "recommended",
			json_object_new_string(r[i].recommended));
		json_object_object_add(o, "differs",
				       json_object_new_boolean(r[i].differs));
		json_object_object_add(o, "reason",
				       json_object_new_string(r[i].reason));
		json_object_array_add(arr, o);
	}
	cli_json_print(arr);
}

static int node_audit(struct cli *cli, int argc, char **argv)
{
	struct shunt_audit_row *rows;
	struct node_args a;
	size_t n;
	int err;

	if (node_options(cli, argc, argv, &a))
		return EXIT_USAGE;
	err = shunt_tune_audit(a.profile, &rows, &n);
	if (err)
		return cli_err("tune audit: %s", strerror(-err));
	if (cli->json)
		audit_json(rows, n);
	else
		audit_text(rows, n);
	free(rows);
	return EXIT_OK;
}

static int node_apply(struct cli *cli, int argc, char **argv)
{
	const char *bad = NULL, *dir;
	size_t applied, skipped;
	struct node_args a;
	int err;

	if (node_options(cli, argc, argv, &a))
		return EXIT_USAGE;
	dir = shunt_state_dir(a.state_dir);
	err = shunt_tune_apply(a.profile, dir, &applied, &skipped, &bad);
	if (err && bad)
		return cli_err(
			"tune apply: the kernel refused %s (%s); nothing changed",
			bad, strerror(-err));
	if (err)
		return cli_err(
			"tune apply: cannot save prior values in %s: %s; nothing changed",
			dir, strerror(-err));
	printf("applied %zu settings of profile %s", applied, a.profile);
	if (skipped)
		printf("; %zu host-wide settings left alone (not the host's network namespace)",
		       skipped);
	printf("\n");
	return EXIT_OK;
}

static int node_revert(struct cli *cli, int argc, char **argv)
{
	struct node_args a;
	size_t restored;
	const char *dir;
	int err;

	if (node_options(cli, argc, argv, &a))
		return EXIT_USAGE;
	dir = shunt_state_dir(a.state_dir);
	err = shunt_tune_revert(dir, &restored);
	if (err == -ENOENT)
		return cli_err(
			"tune revert: nothing saved in %s for this network namespace",
			dir);
	if (err)
		return cli_err("tune revert: %s", strerror(-err));
	printf("restored %zu settings\n", restored);
	return EXIT_OK;
}

int cmd_tune(struct cli *cli, int argc, char **argv)
{
	const char *verb;
	int i;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			tune_usage(stdout);
			return EXIT_OK;
		}
	}
	if (argc >= 2 && !strcmp(argv[1], "audit"))
		return node_audit(cli, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "apply"))
		return node_apply(cli, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "revert"))
		return node_revert(cli, argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "socket"))
		return cli_usage_err(
			"tune: expected audit, apply, revert or socket (see 'shuntctl tune -h')");
	verb = argc > 2 ? argv[2] : "list";
	if (!strcmp(verb, "set"))
		return tune_set(cli, argc - 2, argv + 2);
	if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
		return tune_del(cli, argc - 2, argv + 2);
	if (!strcmp(verb, "list") || !strcmp(verb, "show"))
		return tune_list(cli, argc > 2 ? argc - 2 : 1,
				 argc > 2 ? argv + 2 : argv + 1);
	return cli_usage_err(
		"tune socket: unknown command '%s' (set, del, list)", verb);
}
