// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The pin root: bpffs mount, directory layout, writer lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "pin.h"
#include "shunt.h"

const char *shunt_pin_root(const char *explicit_root)
{
	const char *env = getenv(SHUNT_PIN_ROOT_ENV);

	if (explicit_root && *explicit_root)
		return explicit_root;
	if (env && *env)
		return env;
	return SHUNT_DEFAULT_PIN_ROOT;
}

int shunt_pin_path(const struct shunt *s, char *buf, size_t len,
		   const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/%s", s->pin_root, rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* The deepest existing ancestor of path (path itself included). */
static void existing_ancestor(const char *path, char *out, size_t len)
{
	char *slash;

	snprintf(out, len, "%s", path);
	while (access(out, F_OK) != 0) {
		slash = strrchr(out, '/');
		if (!slash || slash == out) {
			snprintf(out, len, "/");
			return;
		}
		*slash = '\0';
	}
}

/* Make sure the pin root lives on a bpffs, mounting /sys/fs/bpf if the
 * root is below it and nothing is mounted there yet. */
int pin_ensure_bpffs(const char *root)
{
	char anc[PATH_MAX];

	existing_ancestor(root, anc, sizeof(anc));
	if (is_bpffs(anc))
		return 0;
	if (strncmp(root, "/sys/fs/bpf/", 12) != 0)
		return -ENOTSUP; /* not on bpffs and not ours to mount */
	if (mkdir("/sys/fs/bpf", 0700) && errno != EEXIST)
		return -errno;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int pin_create_dirs(const char *root)
{
	char sub[PATH_MAX];
	int err;

	err = pin_ensure_bpffs(root);
	if (err)
		return err;
	err = mkdir_p(root);
	if (err)
		return err;
	snprintf(sub, sizeof(sub), "%s/" SHUNT_PIN_PROGS, root);
	err = mkdir_p(sub);
	if (err)
		return err;
	snprintf(sub, sizeof(sub), "%s/" SHUNT_PIN_LINKS, root);
	return mkdir_p(sub);
}

/* Open the pin root directory, optionally holding the writer lock. */
int pin_open_root(const char *root, bool lock)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lock && flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void unlink_dir_entries(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type == DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/* Remove every pin below the root and the root itself. */
int pin_remove_all(const char *root)
{
	char sub[PATH_MAX];

	snprintf(sub, sizeof(sub), "%s/" SHUNT_PIN_LINKS, root);
	unlink_dir_entries(sub);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/" SHUNT_PIN_PROGS, root);
	unlink_dir_entries(sub);
	rmdir(sub);
	unlink_dir_entries(root);
	if (rmdir(root) && errno != ENOENT)
		return -errno;
	return 0;
}
