/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Datapath knobs in config_map, by name. */
#ifndef SHUNT_CONFIG_H
#define SHUNT_CONFIG_H

#include <stddef.h>
#include "shunt.h"

struct shunt_knob {
	const char *name; /* "ct-established-timeout" */
	const char *help;
	size_t off; /* offset in struct shunt_config */
	__u32 min, max;
	__u32 dflt;
	/* Values by name (names[v - min]), NULL for numbers. */
	const char *const *names;
};

/* A knob's value from text: a number, or one of its names. 0, or -EINVAL
 * with why filled. */
int shunt_knob_parse(const struct shunt_knob *k, const char *text, __u32 *v,
		     char *why, size_t len);
/* A knob's value as text: its name, or the number. */
const char *shunt_knob_format(const struct shunt_knob *k, __u32 v, char *buf,
			      size_t len);

/* The knob table, terminated by a NULL name. */
const struct shunt_knob *shunt_knobs(void);
const struct shunt_knob *shunt_knob_find(const char *name);

int shunt_config_get(struct shunt *s, struct shunt_config *cfg);
/* -EINVAL when value is outside [min, max], -ERANGE when the SNAT port
 * range would end before it starts (nothing is written then). */
int shunt_config_set(struct shunt *s, const struct shunt_knob *k, __u32 value);
/* Every knob that is not 0 in want, in one write, checked as above. */
int shunt_config_update(struct shunt *s, const struct shunt_config *want);
int shunt_config_reset(struct shunt *s);

static inline __u32 shunt_knob_value(const struct shunt_config *cfg,
				     const struct shunt_knob *k)
{
	return *(const __u32 *)((const char *)cfg + k->off);
}

#endif /* SHUNT_CONFIG_H */
