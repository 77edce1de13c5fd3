/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* How full the datapath's tables are, against their capacity. */
#ifndef SHUNT_USAGE_H
#define SHUNT_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include "load.h"

struct shunt_usage {
	struct shunt_capacity cap;
	size_t services, frontends, backends;
	size_t src_ranges; /* of SHUNT_MAX_SRC_RANGES */
	size_t ct_entries; /* both directions of every flow */
	bool have_ct;
};

/* From the model; with_ct also counts conntrack entries (one pass over
 * ct_map). 0 or -errno. */
int shunt_usage_read(struct shunt *s, bool with_ct, struct shunt_usage *u);

#endif /* SHUNT_USAGE_H */
