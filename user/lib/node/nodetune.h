/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Node tuning: the seed article's kernel and fd steps as a feature.
 * audit compares the running values with a profile, apply sets a profile
 * and saves what it replaced, revert restores exactly that. Settings of
 * the network namespace are changed wherever shunt runs; host-wide ones
 * only from the initial namespace (never from a pod or a test namespace).
 */
#ifndef SHUNT_NODETUNE_H
#define SHUNT_NODETUNE_H

#include <stdbool.h>
#include <stddef.h>

#define SHUNT_STATE_DIR_DEFAULT "/var/lib/shunt"
#define SHUNT_STATE_DIR_ENV	"SHUNT_STATE_DIR"

enum shunt_tune_scope {
	SHUNT_SCOPE_NETNS,   /* one value per network namespace */
	SHUNT_SCOPE_HOST,    /* one value for the whole host */
	SHUNT_SCOPE_PROCESS, /* a per-process limit: advice only */
};

struct shunt_audit_row {
	const char *key;    /* "net.core.somaxconn", "RLIMIT_NOFILE" */
	const char *reason; /* one line */
	enum shunt_tune_scope scope;
	bool present; /* the kernel has it (nf_conntrack loaded, ...) */
	char current[64];
	char recommended[64];
	bool differs;
};

/* Profile names, NULL-terminated; the first is the default. */
const char *const *shunt_tune_profiles(void);
const char *shunt_tune_scope_name(enum shunt_tune_scope s);
/* The state directory: explicit, else $SHUNT_STATE_DIR, else default. */
const char *shunt_state_dir(const char *explicit_dir);

/* Rows for every setting of the profile. -ENOENT: no such profile. */
int shunt_tune_audit(const char *profile, struct shunt_audit_row **rows,
		     size_t *n);
/*
 * Apply the profile: every setting the kernel has in this scope, all or
 * nothing (a refused value rolls back what was set). The replaced values
 * are saved under state_dir for revert (an earlier save is kept, so
 * apply twice then revert restores the original values). *skipped gets
 * how many host-wide settings were left alone outside the initial
 * namespace. -EINVAL with *bad (the key) when the kernel refused a value.
 */
int shunt_tune_apply(const char *profile, const char *state_dir,
		     size_t *applied, size_t *skipped, const char **bad);
/* Restore the saved values, then forget them. -ENOENT: nothing saved. */
int shunt_tune_revert(const char *state_dir, size_t *restored);

#endif /* SHUNT_NODETUNE_H */
