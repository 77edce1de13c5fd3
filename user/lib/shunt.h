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
#include <stddef.h>
#include <linux/types.h>
#include <shunt/abi.h>

#define SHUNT_DEFAULT_PIN_ROOT "/sys/fs/bpf/shunt"
#define SHUNT_PIN_ROOT_ENV     "SHUNT_PIN_ROOT"

/* Every pinned map, by the name it has in bpf/lib/maps.h and below the
 * pin root; struct shunt has an fd for each. */
#define SHUNT_PINNED_MAPS(X)                                                   \
	X(frontend_map)                                                        \
	X(service_map)                                                         \
	X(backend_map)                                                         \
	X(maglev_map)                                                          \
	X(src_range_map)                                                       \
	X(node_addr_map)                                                       \
	X(pod_cidr_map)                                                        \
	X(ctl_map)                                                             \
	X(ct_map)                                                              \
	X(affinity_map)                                                        \
	X(frag_map)                                                            \
	X(config_map)                                                          \
	X(iface_map)                                                           \
	X(svc_stats_map)                                                       \
	X(backend_stats_map)                                                   \
	X(global_stats_map)                                                    \
	X(sock_rev_map)                                                        \
	X(cgroup_exclude_map)                                                  \
	X(sock_hash)                                                           \
	X(sock_pending_map)                                                    \
	X(sockmap_policy_map)                                                  \
	X(tune_map)

/* Every pinned program, by its name in bpf/ and below <pin root>/progs. */
#define SHUNT_PINNED_PROGS(X)                                                  \
	X(shunt_tc)                                                            \
	X(shunt_xdp)                                                           \
	X(shunt_sockops)                                                       \
	X(shunt_sk_msg)

struct shunt_model;

struct shunt {
	char pin_root[PATH_MAX];
	int root_fd; /* the pin root directory, flock()ed while writing */
	bool locked;
#define SHUNT_MAP_FD(name) int name;
	SHUNT_PINNED_MAPS(SHUNT_MAP_FD)
#undef SHUNT_MAP_FD
	/* What the maps hold, built on first use (services/model.h). */
	struct shunt_model *model;
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

/* Take and release the writer lock of a handle opened without
 * SHUNT_OPEN_LOCK (a long-lived agent locks around each change). Taking
 * it notices changes other processes made since: the model is then
 * rebuilt from the maps. 0 or -errno. */
int shunt_lock(struct shunt *s);
void shunt_unlock(struct shunt *s);

/* Is anything pinned at pin_root? */
bool shunt_is_loaded(const char *pin_root);

/* Verbose libbpf output (verifier logs) on stderr. */
void shunt_set_debug(bool on);

/* Path of a pinned object below the pin root. */
int shunt_pin_path(const struct shunt *s, char *buf, size_t len,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* SHUNT_LIB_H */
