/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The conntrack table as userspace sees it. */
#ifndef SHUNT_CT_H
#define SHUNT_CT_H

#include <stddef.h>
#include "shunt.h"

struct shunt_ct_info {
	struct shunt_ct_key key;
	struct shunt_ct_entry e;
};

/* Every entry (both directions), FWD before REV, sorted by tuple. */
int shunt_ct_list(struct shunt *s, struct shunt_ct_info **out, size_t *n);
/* Delete every entry; *deleted (may be NULL) gets the count. */
int shunt_ct_flush(struct shunt *s, size_t *deleted);
/* Name of a state ("ESTABLISHED", ...). */
const char *shunt_ct_state_name(__u8 state);
/* Seconds on the clock the datapath stamps entries with. */
__u32 shunt_ct_now(void);

#endif /* SHUNT_CT_H */
