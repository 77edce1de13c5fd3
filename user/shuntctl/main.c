// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntctl: the command line of shunt, in ip(8)/bpftool grammar:
 *   shuntctl [OPTIONS] OBJECT COMMAND [ARGS]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "load.h"

#ifndef SHUNT_VERSION
#define SHUNT_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fputs("Usage: shuntctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
	      "\n"
	      "Objects and commands:\n"
	      "  attach IFACE... [--mode auto|xdp|tc]    load if needed, attach\n"
	      "  detach IFACE...\n"
	      "  iface list                              attached interfaces\n"
	      "  service add VIP:PORT/PROTO [--name NAME] [--node-port N] [--table-size M|auto] [--affinity SECONDS]\n"
	      "  service set VIP:PORT/PROTO [--table-size M|auto] [--affinity SECONDS]\n"
	      "  service del VIP:PORT/PROTO\n"
	      "  service list | show VIP:PORT/PROTO\n"
	      "  frontend add SERVICE FRONTEND [--external] [--local]\n"
	      "  frontend del FRONTEND\n"
	      "  frontend list [SERVICE]\n"
	      "  backend add VIP:PORT/PROTO IP:PORT [--weight W]\n"
	      "  backend del VIP:PORT/PROTO IP:PORT\n"
	      "  backend set VIP:PORT/PROTO IP:PORT (--weight W | --drain | --activate)\n"
	      "  backend list [VIP:PORT/PROTO]\n"
	      "  node-address list | add ADDRESS | del ADDRESS | sync [SELECTION]\n"
	      "  ct list [--all] | ct flush | ct gc\n"
	      "  stats                                   counters, usage against capacity\n"
	      "  config show | set KNOB VALUE | reset\n"
	      "  cgroup attach [PATH] | detach [PATH]    socket-level LB and sockops\n"
	      "                                          (default PATH: cgroup v2 root)\n"
	      "  cgroup exclude PATH | include PATH | list\n"
	      "  sockmap enable|disable SERVICE|PORT | list\n"
	      "  sock destroy VIP:PORT/PROTO IP:PORT     end sockets sent to a backend\n"
	      "  tune socket set SERVICE|PORT OPTIONS | del SERVICE|PORT | list\n"
	      "  tune audit | apply [--profile NAME] | revert\n"
	      "  apply -f FILE                           services file (see README)\n"
	      "  unload                                  detach everywhere, remove all pins\n"
	      "\n"
	      "Options:\n"
	      "  -n, --netns NAME       act in network namespace NAME (/run/netns/NAME)\n"
	      "  -p, --pin-root DIR     pin root (default $SHUNT_PIN_ROOT, else /sys/fs/bpf/shunt)\n"
	      "  -j, --json             JSON output for listings\n"
	      "  -d, --debug            libbpf debug output (verifier log)\n"
	      "      --max-services N   capacity when this command loads the datapath\n"
	      "      --max-frontends N  (defaults 32768, 65536, 131072 and 524288;\n"
	      "      --max-backends N   a loaded datapath keeps its sizes: see 'stats')\n"
	      "      --ct-max N\n"
	      "  -V, --version\n"
	      "  -h, --help             this text; 'shuntctl OBJECT -h' for an object\n"
	      "\n"
	      "IPv6 addresses are written in brackets: [2001:db8::1]:80/tcp.\n",
	      f);
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, err = 0;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_usage_err("network namespace '%s': %s", name,
				     strerror(errno));
	if (setns(fd, CLONE_NEWNET))
		err = cli_err("cannot enter network namespace '%s': %s", name,
			      strerror(errno));
	close(fd);
	return err;
}

/* --max-services and friends: bounds that keep map sizes sane. */
static int parse_capacity(int opt, const char *arg, struct shunt_capacity *c)
{
	switch (opt) {
	case 'S':
		return cli_parse_u32("service capacity", arg, 16, 1U << 20,
				     &c->services);
	case 'F':
		return cli_parse_u32("frontend capacity", arg, 16, 1U << 22,
				     &c->frontends);
	case 'B':
		return cli_parse_u32("backend capacity", arg, 16, 1U << 24,
				     &c->backends);
	default:
		return cli_parse_u32("conntrack size", arg, 4096, 1U << 26,
				     &c->ct);
	}
}

static const struct {
	const char *name;
	int (*fn)(struct cli *, int, char **);
} objects[] = {
	{"attach", cmd_attach},	    {"detach", cmd_detach},
	{"iface", cmd_iface},	    {"service", cmd_service},
	{"backend", cmd_backend},   {"ct", cmd_ct},
	{"stats", cmd_stats},	    {"config", cmd_config},
	{"unload", cmd_unload},	    {"cgroup", cmd_cgroup},
	{"sockmap", cmd_sockmap},   {"sock", cmd_sock},
	{"tune", cmd_tune},	    {"apply", cmd_apply},
	{"frontend", cmd_frontend}, {"node-address", cmd_node_address},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"netns", required_argument, NULL, 'n'},
		{"pin-root", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"debug", no_argument, NULL, 'd'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{"max-services", required_argument, NULL, 'S'},
		{"max-frontends", required_argument, NULL, 'F'},
		{"max-backends", required_argument, NULL, 'B'},
		{"ct-max", required_argument, NULL, 'C'},
		{},
	};
	struct shunt_capacity cap = {};
	struct cli cli = {};
	const char *netns = NULL;
	size_t i;
	int c, first;

	/* "+": stop at the object; its own options follow it. */
	while ((c = getopt_long(argc, argv, "+n:p:jdVh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			netns = optarg;
			break;
		case 'p':
			cli.pin_root = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'd':
			cli.debug = true;
			break;
		case 'V':
			printf("shuntctl %s\n", SHUNT_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'S':
		case 'F':
		case 'B':
		case 'C':
			if (parse_capacity(c, optarg, &cap))
				return EXIT_USAGE;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	shunt_set_debug(cli.debug);
	shunt_set_capacity(&cap);
	cli_sock_destroy_setup();
	if (netns && enter_netns(netns))
		return EXIT_FAIL;
	first = optind;
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (!strcmp(argv[first], objects[i].name))
			return objects[i].fn(&cli, argc - first, argv + first);
	return cli_usage_err("unknown object '%s' (try 'shuntctl -h')",
			     argv[first]);
}
