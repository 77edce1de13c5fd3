// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl ct list / flush */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ct.h"
#include "ctgc.h"
#include "parse.h"

static void ct_usage(FILE *f)
{
	fputs("Usage: shuntctl ct list [--all] [--json]\n"
	      "       shuntctl ct flush\n"
	      "       shuntctl ct gc      remove expired entries now (shuntd does\n"
	      "                           it every --gc-interval)\n"
	      "  list: one line per flow (client -> service -> backend);\n"
	      "        --all adds the reply-direction entries.\n",
	      f);
}

static struct json_object *ct_json(const struct shunt_ct_info *c, __u32 now)
{
	struct json_object *o = json_object_new_object();
	char src[SHUNT_ADDRSTRLEN], dst[SHUNT_ADDRSTRLEN],
		nat[SHUNT_ADDRSTRLEN];
	const struct shunt_ct_key *k = &c->key;

	shunt_format_endpoint(&k->src, k->sport, k->family, src, sizeof(src));
	shunt_format_endpoint(&k->dst, k->dport, k->family, dst, sizeof(dst));
	shunt_format_endpoint(&c->e.nat_addr, c->e.nat_port, k->family, nat,
			      sizeof(nat));
	json_object_object_add(o, "direction",
			       json_object_new_string(k->dir == SHUNT_CT_FWD
							      ? "forward"
							      : "reply"));
	json_object_object_add(
		o, "protocol",
		json_object_new_string(shunt_proto_name(k->proto)));
	json_object_object_add(o, "source", json_object_new_string(src));
	json_object_object_add(o, "destination", json_object_new_string(dst));
	json_object_object_add(o, k->dir == SHUNT_CT_FWD ? "backend" : "vip",
			       json_object_new_string(nat));
	if (c->e.flags & SHUNT_CT_F_SNAT) {
		shunt_format_endpoint(&c->e.snat_addr, c->e.snat_port,
				      k->family, nat, sizeof(nat));
		json_object_object_add(
			o, k->dir == SHUNT_CT_FWD ? "snat_source" : "client",
			json_object_new_string(nat));
	}
	if (c->e.flags & (SHUNT_CT_F_DSR | SHUNT_CT_F_DSR_IN))
		json_object_object_add(
			o, "dsr",
			json_object_new_string(c->e.flags & SHUNT_CT_F_DSR
						       ? "sent"
						       : "received"));
	json_object_object_add(
		o, "state",
		json_object_new_string(shunt_ct_state_name(c->e.state)));
	json_object_object_add(o, "service_id",
			       json_object_new_int64(c->e.svc_id));
	json_object_object_add(o, "backend_id",
			       json_object_new_int64(c->e.backend_id));
	json_object_object_add(o, "age",
			       json_object_new_int64(now - c->e.created));
	json_object_object_add(o, "idle",
			       json_object_new_int64(now - c->e.last_seen));
	return o;
}

static void ct_text(const struct shunt_ct_info *c, __u32 now)
{
	char src[SHUNT_ADDRSTRLEN], dst[SHUNT_ADDRSTRLEN],
		nat[SHUNT_ADDRSTRLEN];
	const struct shunt_ct_key *k = &c->key;

	shunt_format_endpoint(&k->src, k->sport, k->family, src, sizeof(src));
	shunt_format_endpoint(&k->dst, k->dport, k->family, dst, sizeof(dst));
	shunt_format_endpoint(&c->e.nat_addr, c->e.nat_port, k->family, nat,
			      sizeof(nat));
	printf("%-5s %-3s %-11s %-30s %-30s %-30s %6us %5us",
	       shunt_proto_name(k->proto),
	       k->dir == SHUNT_CT_FWD ? "fwd" : "rev",
	       shunt_ct_state_name(c->e.state), src, dst, nat,
	       now - c->e.created, now - c->e.last_seen);
	if (c->e.flags & SHUNT_CT_F_SNAT) {
		shunt_format_endpoint(&c->e.snat_addr, c->e.snat_port,
				      k->family, nat, sizeof(nat));
		printf(" %s %s", k->dir == SHUNT_CT_FWD ? "snat" : "client",
		       nat);
	}
	if (c->e.flags & SHUNT_CT_F_DSR)
		fputs(" dsr", stdout);
	if (c->e.flags & SHUNT_CT_F_DSR_IN)
		fputs(" dsr-in", stdout);
	putchar('\n');
}

static int ct_list(struct cli *cli, int argc, char **argv)
{
	struct json_object *arr = NULL;
	struct shunt_ct_info *v;
	bool all = false;
	__u32 now;
	struct shunt s;
	size_t n, i;
	int err;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
			all = true;
		else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			cli->json = true;
		else
			return cli_usage_err(
				"ct list: unexpected argument '%s'", argv[i]);
	}
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_ct_list(&s, &v, &n);
	shunt_close(&s);
	if (err)
		return cli_err("cannot read conntrack: %s", strerror(-err));
	now = shunt_ct_now();
	if (cli->json)
		arr = json_object_new_array();
	else
		printf("%-5s %-3s %-11s %-30s %-30s %-30s %7s %6s\n", "PROTO",
		       "DIR", "STATE", "SOURCE", "DESTINATION", "NAT-TO", "AGE",
		       "IDLE");
	for (i = 0; i < n; i++) {
		/* One line per flow: its FWD entry, or the REV entry of
		 * a flow that came in by DSR (it has no other). */
		if (!all && v[i].key.dir != SHUNT_CT_FWD &&
		    !(v[i].e.flags & SHUNT_CT_F_DSR_IN))
			continue;
		if (arr)
			json_object_array_add(arr, ct_json(&v[i], now));
		else
			ct_text(&v[i], now);
	}
	free(v);
	if (arr)
		cli_json_print(arr);
	return EXIT_OK;
}

static int ct_flush(struct cli *cli, int argc, char **argv)
{
	struct shunt s;
	size_t n = 0;
	int err;

	if (argc > 1)
		return cli_usage_err("ct flush: unexpected argument '%s'",
				     argv[1]);
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_ct_flush(&s, &n);
	shunt_close(&s);
	if (err)
		return cli_err("cannot flush conntrack: %s", strerror(-err));
	printf("flushed %zu entries\n", n);
	return EXIT_OK;
}

static int ct_gc(struct cli *cli, int argc, char **argv)
{
	struct shunt_gc_result r;
	struct shunt s;
	int err, i;

	if (argc > 1)
		return cli_usage_err("ct gc: unexpected argument '%s'",
				     argv[1]);
	if (cli_open(cli, &s, true))
		return EXIT_FAIL;
	err = shunt_ct_gc(&s, 0, &r);
	shunt_close(&s);
	if (err)
		return cli_err("conntrack GC: %s", strerror(-err));
	printf("scanned %zu, removed %zu, flows %zu of capacity %zu%s\n",
	       r.scanned, r.removed, r.flows, r.capacity,
	       r.near_full ? " (nearly full)" : "");
	for (i = 1; i < SHUNT_CT_STATE_MAX; i++)
		if (r.by_state[i])
			printf("  %-12s %zu\n", shunt_ct_state_name(i),
			       r.by_state[i]);
	return EXIT_OK;
}

int cmd_ct(struct cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "list";

	if (cli_is_help(verb) || (argc > 2 && cli_is_help(argv[2]))) {
		ct_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(verb, "list") || !strcmp(verb, "show"))
		return ct_list(cli, argc > 1 ? argc - 1 : 1,
			       argc > 1 ? argv + 1 : argv);
	if (!strcmp(verb, "flush"))
		return ct_flush(cli, argc - 1, argv + 1);
	if (!strcmp(verb, "gc"))
		return ct_gc(cli, argc - 1, argv + 1);
	return cli_usage_err("ct: unknown command '%s' (list, flush, gc)",
			     verb);
}
