/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SHUNT_LOAD_H
#define SHUNT_LOAD_H

#include <shunt/abi.h>
#include "shunt.h"

/* Names of the pinned programs below <pin root>/progs. */
#define SHUNT_PROG_TC	   "shunt_tc"
#define SHUNT_PROG_XDP	   "shunt_xdp"
#define SHUNT_PROG_SOCKOPS "shunt_sockops"
#define SHUNT_PROG_SK_MSG  "shunt_sk_msg"

/* Load the datapath objects, pin maps and programs under root. Maps
 * already pinned are reused (their layout must match); programs already
 * pinned are replaced by this build's. */
int shunt_load(const char *root);

void shunt_config_defaults(struct shunt_config *cfg);

/* How much the datapath's tables hold: services, frontends, backends and
 * conntrack entries. */
struct shunt_capacity {
	__u32 services;
	__u32 frontends;
	__u32 backends;
	__u32 ct;
};

/* Capacity for the next load (0 fields: SHUNT_MAX_SERVICES, ...). A
 * loaded datapath keeps its sizes: unload first to change them. */
void shunt_set_capacity(const struct shunt_capacity *c);
void shunt_capacity_defaults(struct shunt_capacity *c);
/* The capacity of the loaded datapath. 0 or -errno. */
int shunt_capacity_read(struct shunt *s, struct shunt_capacity *c);

#endif /* SHUNT_LOAD_H */
