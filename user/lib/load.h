/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SHUNT_LOAD_H
#define SHUNT_LOAD_H

#include <shunt/abi.h>

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

/* Conntrack table size for the next load (0: SHUNT_CT_MAX). A loaded
 * datapath keeps its size: unload first to change it. */
void shunt_set_ct_max(__u32 entries);

#endif /* SHUNT_LOAD_H */
