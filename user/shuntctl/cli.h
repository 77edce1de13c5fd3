/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared pieces of the shuntctl front end. */
#ifndef SHUNTCTL_CLI_H
#define SHUNTCTL_CLI_H

#include <stdbool.h>
#include <json-c/json.h>

#include "shunt.h"

struct cli {
	const char *pin_root; /* NULL: $SHUNT_PIN_ROOT or the default */
	bool json;
	bool debug;
};

/* Exit statuses. */
#define EXIT_OK	   0
#define EXIT_FAIL  1 /* the operation failed */
#define EXIT_USAGE 2 /* bad command line */

/* "shuntctl: <message>" on stderr; returns EXIT_FAIL. */
int cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, for command-line mistakes; returns EXIT_USAGE. */
int cli_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report what a change's socket destroy pass did (sockdestroy.h). */
void cli_sock_destroy_setup(void);

/* Open the datapath; reports errors itself. write: load if needed and
 * take the writer lock. */
int cli_open(struct cli *cli, struct shunt *s, bool write);

/* Report a library error about a service change: "cannot WHAT NAME: ...". */
int cli_service_err(struct shunt *s, const char *what, const char *name,
		    int err);

/* Argument parsers that report "what 'arg': why" themselves. */
int cli_parse_service(const char *arg, struct shunt_frontend_key *key);
int cli_parse_backend(const char *arg, union shunt_ip *ip, __be16 *port,
		      __u8 *family);
int cli_parse_u32(const char *what, const char *arg, __u32 min, __u32 max,
		  __u32 *out);
/* SERVICE or PORT: a TCP service, or every connection to a port. */
int cli_parse_target(const char *arg, struct shunt_frontend_key *key);
/* "10.96.0.10:80/tcp" or "port 8080". */
const char *cli_format_target(const struct shunt_frontend_key *key, char *buf,
			      size_t len);

/* Common option handling: -h/--help and -j/--json for subcommands.
 * Returns -1 to go on, or an exit status. */
bool cli_is_help(const char *arg);

/* Print a JSON value (pretty) and free it. */
void cli_json_print(struct json_object *obj);

/* Subcommands. argv[0] is the object name. */
int cmd_attach(struct cli *cli, int argc, char **argv);
int cmd_detach(struct cli *cli, int argc, char **argv);
int cmd_iface(struct cli *cli, int argc, char **argv);
int cmd_unload(struct cli *cli, int argc, char **argv);
int cmd_service(struct cli *cli, int argc, char **argv);
int cmd_backend(struct cli *cli, int argc, char **argv);
int cmd_frontend(struct cli *cli, int argc, char **argv);
int cmd_node_address(struct cli *cli, int argc, char **argv);
int cmd_ct(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_cgroup(struct cli *cli, int argc, char **argv);
int cmd_sockmap(struct cli *cli, int argc, char **argv);
int cmd_sock(struct cli *cli, int argc, char **argv);
int cmd_tune(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);

#endif /* SHUNTCTL_CLI_H */
