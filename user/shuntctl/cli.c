// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Error reporting, handle opening and argument parsing for shuntctl. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "cli.h"
#include "parse.h"
#include "sockdestroy.h"
#include "sockpolicy.h"

static int vreport(int status, const char *fmt, va_list ap)
{
	fputs("shuntctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return status;
}

int cli_err(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(EXIT_FAIL, fmt, ap);
	va_end(ap);
	return rc;
}

/* After a change that removed backends (sockdestroy.h): the sockets it
 * ended, or why it could not. */
static void sock_destroy_report(const struct shunt_sd_result *r, void *arg)
{
	(void)arg;
	if (r->unsupported) {
		fprintf(stderr,
			"shuntctl: note: %s: sockets of removed backends are not ended (docs/socket.md)\n",
			r->what);
		return;
	}
	if (r->err)
		fprintf(stderr,
			"shuntctl: warning: ending sockets of removed backends: %s: %s (%zu of %zu network namespaces walked)\n",
			r->what, strerror(-r->err), r->netns,
			r->netns + r->netns_failed);
	if (r->netns_denied)
		fprintf(stderr,
			"shuntctl: note: %zu network namespaces not entered (setns() needs CAP_SYS_ADMIN): their sockets of removed backends stay\n",
			r->netns_denied);
	if (r->udp || r->tcp || r->failed)
		fprintf(stderr,
			"shuntctl: ended %llu UDP and %llu connecting TCP sockets of removed backends (%llu refused), %zu network namespaces\n",
			(unsigned long long)r->udp, (unsigned long long)r->tcp,
			(unsigned long long)r->failed, r->netns);
}

void cli_sock_destroy_setup(void)
{
	shunt_sock_destroy_set_report(sock_destroy_report, NULL);
}

int cli_usage_err(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(EXIT_USAGE, fmt, ap);
	va_end(ap);
	return rc;
}

int cli_open(struct cli *cli, struct shunt *s, bool write)
{
	unsigned int flags = write ? SHUNT_OPEN_LOAD | SHUNT_OPEN_LOCK : 0;
	const char *root = shunt_pin_root(cli->pin_root);
	int err;

	err = shunt_open(s, cli->pin_root, flags);
	if (!err)
		return 0;
	if (err == -ENOENT && !write)
		cli_err("shunt is not loaded (nothing pinned at %s); 'shuntctl attach IFACE' loads it",
			root);
	else if (err == -ENOTSUP)
		cli_err("pin root %s is not on a bpf filesystem", root);
	else
		cli_err("cannot %s the datapath at %s: %s%s",
			write ? "load" : "open", root, strerror(-err),
			cli->debug ? "" : " (--debug shows the libbpf log)");
	return EXIT_FAIL;
}

int cli_parse_service(const char *arg, struct shunt_frontend_key *key)
{
	char why[128];

	if (shunt_parse_service(arg, key, why, sizeof(why)))
		return cli_usage_err("invalid service '%s': %s", arg, why);
	return 0;
}

int cli_parse_backend(const char *arg, union shunt_ip *ip, __be16 *port,
		      __u8 *family)
{
	char why[128];

	if (shunt_parse_endpoint(arg, ip, port, family, why, sizeof(why)))
		return cli_usage_err("invalid backend '%s': %s", arg, why);
	return 0;
}

int cli_parse_u32(const char *what, const char *arg, __u32 min, __u32 max,
		  __u32 *out)
{
	char why[128];

	if (shunt_parse_u32(arg, min, max, out, why, sizeof(why)))
		return cli_usage_err("invalid %s '%s': %s", what, arg, why);
	return 0;
}

int cli_parse_target(const char *arg, struct shunt_frontend_key *key)
{
	__u32 port;

	if (arg[0] >= '0' && arg[0] <= '9' && !strpbrk(arg, ".:/")) {
		if (cli_parse_u32("port", arg, 1, 65535, &port))
			return EXIT_USAGE;
		*key = shunt_port_target(port);
		return 0;
	}
	if (cli_parse_service(arg, key))
		return EXIT_USAGE;
	if (key->proto != IPPROTO_TCP)
		return cli_usage_err(
			"'%s': only TCP services have sockets to tune or short-circuit",
			arg);
	return 0;
}

const char *cli_format_target(const struct shunt_frontend_key *key, char *buf,
			      size_t len)
{
	if (shunt_target_is_port(key)) {
		snprintf(buf, len, "port %u", ntohs(key->port));
		return buf;
	}
	return shunt_format_service(key, buf, len);
}

bool cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help") ||
	       !strcmp(arg, "help");
}

void cli_json_print(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}
