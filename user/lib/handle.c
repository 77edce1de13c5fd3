// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Opening and closing a handle on the pinned datapath. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "load.h"
#include "pin.h"
#include "shunt.h"

#define MAP(n)                                                                 \
	{                                                                      \
#n, offsetof(struct shunt, n)                                  \
	}

/* Every pinned map and where its fd goes in struct shunt. */
static const struct {
	const char *name;
	size_t off;
} pinned_maps[] = {
	/* clang-format off */
	MAP(svc_map), MAP(svc_id_map), MAP(backend_map), MAP(maglev_map),
	MAP(ct_map), MAP(affinity_map), MAP(frag_map), MAP(config_map),
	MAP(iface_map), MAP(svc_stats_map), MAP(backend_stats_map),
	MAP(global_stats_map), MAP(sock_rev_map), MAP(cgroup_exclude_map),
	MAP(sock_hash), MAP(sock_pending_map), MAP(sockmap_policy_map),
	MAP(tune_map),
	/* clang-format on */
};

#undef MAP

#define N_MAPS (sizeof(pinned_maps) / sizeof(pinned_maps[0]))

static int *map_fd(struct shunt *s, size_t i)
{
	return (int *)((char *)s + pinned_maps[i].off);
}

static bool pinned(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

/* Every map and both programs pinned? */
static bool fully_loaded(const char *root)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++)
		if (!pinned(root, pinned_maps[i].name))
			return false;
	return pinned(root, SHUNT_PIN_PROGS "/" SHUNT_PROG_TC) &&
	       pinned(root, SHUNT_PIN_PROGS "/" SHUNT_PROG_XDP) &&
	       pinned(root, SHUNT_PIN_PROGS "/" SHUNT_PROG_SOCKOPS) &&
	       pinned(root, SHUNT_PIN_PROGS "/" SHUNT_PROG_SK_MSG);
}

bool shunt_is_loaded(const char *root)
{
	return pinned(root, "svc_map");
}

static void reset(struct shunt *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->root_fd = -1;
	for (i = 0; i < N_MAPS; i++)
		*map_fd(s, i) = -1;
}

int shunt_open(struct shunt *s, const char *pin_root, unsigned int flags)
{
	const char *root = shunt_pin_root(pin_root);
	char path[PATH_MAX];
	size_t i;
	int err;

	reset(s);
	if (snprintf(s->pin_root, sizeof(s->pin_root), "%s", root) >=
	    (int)sizeof(s->pin_root))
		return -ENAMETOOLONG;
	if (flags & SHUNT_OPEN_LOAD) {
		err = pin_create_dirs(root);
		if (err)
			return err;
	}
	s->root_fd = pin_open_root(root, flags & SHUNT_OPEN_LOCK);
	if (s->root_fd < 0) {
		err = s->root_fd;
		s->root_fd = -1;
		return err;
	}
	if (!fully_loaded(root)) {
		if (!(flags & SHUNT_OPEN_LOAD)) {
			shunt_close(s);
			return -ENOENT;
		}
		err = shunt_load(root);
		if (err) {
			shunt_close(s);
			return err;
		}
	}
	for (i = 0; i < N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", root,
			 pinned_maps[i].name);
		*map_fd(s, i) = bpf_obj_get(path);
		if (*map_fd(s, i) < 0) {
			err = -errno;
			shunt_close(s);
			return err;
		}
	}
	return 0;
}

void shunt_close(struct shunt *s)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++)
		if (*map_fd(s, i) >= 0)
			close(*map_fd(s, i));
	if (s->root_fd >= 0)
		close(s->root_fd);
	reset(s);
}
