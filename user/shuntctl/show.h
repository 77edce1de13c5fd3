/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Listings of services and backends, as text or JSON. */
#ifndef SHUNTCTL_SHOW_H
#define SHUNTCTL_SHOW_H

#include <stddef.h>
#include "cli.h"

/* Every service (or just filter) with its backends. */
int show_services(struct cli *cli, struct shunt *s,
		  const struct shunt_frontend_key *filter);
/* Backends of every service (or just filter), with slots and traffic. */
int show_backends(struct cli *cli, struct shunt *s,
		  const struct shunt_frontend_key *filter);

const char *show_backend_state(__u8 state);
/* "file", "kubernetes" or "manual", from shunt_service.flags. */
const char *show_owner(__u32 flags);
/* "nodeport external local" (the set ones) from SHUNT_FE_F_*. */
const char *show_fe_flags(__u32 flags, char *buf, size_t len);

#endif /* SHUNTCTL_SHOW_H */
