// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Opening and closing a handle on the pinned datapath; the writer lock. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "load.h"
#include "model.h"
#include "pin.h"
#include "shunt.h"

/* Every pinned map and where its fd goes in struct shunt. */
static const struct {
	const char *name;
	size_t off;
} pinned_maps[] = {
#define SHUNT_MAP_ENTRY(n) {#n, offsetof(struct shunt, n)},
	SHUNT_PINNED_MAPS(SHUNT_MAP_ENTRY)
#undef SHUNT_MAP_ENTRY
};

static const char *const pinned_progs[] = {
#define SHUNT_PROG_ENTRY(n) #n,
	SHUNT_PINNED_PROGS(SHUNT_PROG_ENTRY)
#undef SHUNT_PROG_ENTRY
};

#define N_MAPS	(sizeof(pinned_maps) / sizeof(pinned_maps[0]))
#define N_PROGS (sizeof(pinned_progs) / sizeof(pinned_progs[0]))

static int *map_fd(struct shunt *s, size_t i)
{
	return (int *)((char *)s + pinned_maps[i].off);
}

static bool pinned(const char *root, const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s%s", root, dir, name);
	return access(path, F_OK) == 0;
}

/* Every map and program pinned? */
static bool fully_loaded(const char *root)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++)
		if (!pinned(root, "", pinned_maps[i].name))
			return false;
	for (i = 0; i < N_PROGS; i++)
		if (!pinned(root, SHUNT_PIN_PROGS "/", pinned_progs[i]))
			return false;
	return true;
}

bool shunt_is_loaded(const char *root)
{
	return pinned(root, "", "service_map");
}

static void reset(struct shunt *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->root_fd = -1;
	for (i = 0; i < N_MAPS; i++)
		*map_fd(s, i) = -1;
}

static int open_maps(struct shunt *s, const char *root)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", root,
			 pinned_maps[i].name);
		*map_fd(s, i) = bpf_obj_get(path);
		if (*map_fd(s, i) < 0)
			return -errno;
	}
	return 0;
}

int shunt_open(struct shunt *s, const char *pin_root, unsigned int flags)
{
	const char *root = shunt_pin_root(pin_root);
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
	s->locked = flags & SHUNT_OPEN_LOCK;
	err = 0;
	if (!fully_loaded(root))
		err = flags & SHUNT_OPEN_LOAD ? shunt_load(root) : -ENOENT;
	if (!err)
		err = open_maps(s, root);
	if (err)
		shunt_close(s);
	return err;
}

int shunt_lock(struct shunt *s)
{
	if (s->locked)
		return 0;
	if (flock(s->root_fd, LOCK_EX))
		return -errno;
	s->locked = true;
	model_check_fresh(s);
	return 0;
}

void shunt_unlock(struct shunt *s)
{
	if (!s->locked)
		return;
	flock(s->root_fd, LOCK_UN);
	s->locked = false;
}

void shunt_close(struct shunt *s)
{
	size_t i;

	model_free(s);
	for (i = 0; i < N_MAPS; i++)
		if (*map_fd(s, i) >= 0)
			close(*map_fd(s, i));
	if (s->root_fd >= 0)
		close(s->root_fd);
	reset(s);
}
