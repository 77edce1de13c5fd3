/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The services state of a datapath as canonical text, read from the maps
 * themselves (not libshunt's model): every service by name with its
 * record (flags, affinity, requested and live table size, active backend
 * count), its frontends, its backends (address, weight, state) and its
 * live Maglev table written as the backend address of every slot. Ids
 * and generations are left out, so two datapaths hold the same state iff
 * their texts are equal, whatever history got them there.
 *
 * It also checks what must hold between the maps: every frontend,
 * backend and table belongs to a live service, no backend is left
 * REMOVING, a table's header matches its service's record, its slots
 * name only that service's active backends.
 */
#ifndef SHUNT_TEST_CANON_H
#define SHUNT_TEST_CANON_H

#include "shunt.h"

/* *out (malloc'd) the text; 0, or -1 with *out describing the first
 * broken invariant. */
int canon_dump(struct shunt *s, char **out);

#endif /* SHUNT_TEST_CANON_H */
