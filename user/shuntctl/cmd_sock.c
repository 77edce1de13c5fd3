// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntctl sock destroy SERVICE BACKEND */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "service.h"
#include "sockdestroy.h"

static void sock_usage(FILE *f)
{
	fputs("Usage: shuntctl sock destroy VIP:PORT/PROTO IP:PORT\n"
	      "  End the sockets the socket-level path sent to backend IP:PORT\n"
	      "  of that service, in every network namespace: connected UDP\n"
	      "  sockets and TCP sockets still connecting (established ones are\n"
	      "  left). Removing a backend does this by itself; this is for a\n"
	      "  backend that stays but must not keep its clients. Linux 6.5.\n",
	      f);
}

static void print_result(const struct shunt_sd_result *r)
{
	printf("ended %llu UDP and %llu connecting TCP sockets in %zu network namespaces\n",
	       (unsigned long long)r->udp, (unsigned long long)r->tcp,
	       r->netns);
	if (r->failed)
		printf("%llu sockets could not be ended\n",
		       (unsigned long long)r->failed);
	if (r->netns_denied)
		printf("%zu network namespaces not entered (setns() needs CAP_SYS_ADMIN)\n",
		       r->netns_denied);
}

/* The target: the service's id, the backend's address. */
static int target(struct cli *cli, char **argv, struct shunt_sock_target *t)
{
	struct shunt_frontend_key key;
	struct shunt_service_info info;
	struct shunt s;
	int err;

	memset(t, 0, sizeof(*t));
	if (cli_parse_service(argv[0], &key) ||
	    cli_parse_backend(argv[1], &t->addr, &t->port, &t->family))
		return EXIT_USAGE;
	if (cli_open(cli, &s, false))
		return EXIT_FAIL;
	err = shunt_service_get(&s, &key, &info);
	shunt_close(&s);
	if (err == -ENOENT)
		return cli_err("no service %s", argv[0]);
	if (err)
		return cli_err("cannot read service %s: %s", argv[0],
			       strerror(-err));
	t->svc_id = info.id;
	return EXIT_OK;
}

static int sock_destroy(struct cli *cli, int argc, char **argv)
{
	struct shunt_sock_target t;
	struct shunt_sd_result r;
	int rc, err;

	if (argc != 3)
		return cli_usage_err("sock destroy: expected SERVICE BACKEND");
	rc = target(cli, argv + 1, &t);
	if (rc)
		return rc;
	err = shunt_sock_destroy(shunt_pin_root(cli->pin_root), &t, 1, &r);
	if (err)
		return cli_err("sock destroy %s %s: %s: %s", argv[1], argv[2],
			       r.what, strerror(-err));
	print_result(&r);
	return EXIT_OK;
}

int cmd_sock(struct cli *cli, int argc, char **argv)
{
	if (argc < 2) {
		sock_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_is_help(argv[1]) || (argc > 2 && cli_is_help(argv[2]))) {
		sock_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "destroy"))
		return sock_destroy(cli, argc - 1, argv + 1);
	return cli_usage_err("sock: unknown command '%s'", argv[1]);
}
