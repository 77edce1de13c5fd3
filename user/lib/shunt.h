/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libshunt: the one library behind shuntctl and shuntd. A struct shunt is
 * an open handle on the pinned datapath: the maps under the pin root.
 * Functions return 0 or -errno and never print; callers report errors
 * once, with context.
 */
#ifndef SHUNT_LIB_H
#define SHUNT_LIB_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>
#include <shunt/abi.h>

#define SHUNT_DEFAULT_PIN_ROOT "/sys/fs/bpf/shunt"
#define SHUNT_PIN_ROOT_ENV     "SHUNT_PIN_ROOT"

struct shunt {
	char pin_root[PATH_MAX];
	int root_fd; /* the pin root directory, flock()ed while writing */
	int svc_map;
	int svc_id_map;
	int backend_map;
	int maglev_map;
	int ct_map;
	int affinity_map;
	int frag_map;
	int config_map;
	int iface_map;
	int svc_stats_map;
	int backend_stats_map;
	int global_stats_map;
	int sock_rev_map;
	int cgroup_exclude_map;
	int sock_hash;
	int sock_pending_map;
	int sockmap_policy_map;
	int tune_map;
	/* While set, table_publish queues new tables here instead of
	 * swapping each in (shunt_reconcile, for services it creates). */
	struct table_batch *table_batch;
};

/* Open flags. */
#define SHUNT_OPEN_LOAD (1U << 0) /* load and pin the datapath if absent */
#define SHUNT_OPEN_LOCK (1U << 1) /* exclusive lock: for every change */

/* The pin root to use: explicit, else $SHUNT_PIN_ROOT, else default. */
const char *shunt_pin_root(const char *explicit_root);

/* Open the datapath pinned at pin_root. -ENOENT when it is not loaded
 * and SHUNT_OPEN_LOAD is not given. */
int shunt_open(struct shunt *s, const char *pin_root, unsigned int flags);
void shunt_close(struct shunt *s);

/* Is anything pinned at pin_root? */
bool shunt_is_loaded(const char *pin_root);

/* Verbose libbpf output (verifier logs) on stderr. */
void shunt_set_debug(bool on);

/* Path of a pinned object below the pin root. */
int shunt_pin_path(const struct shunt *s, char *buf, size_t len,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* SHUNT_LIB_H */
