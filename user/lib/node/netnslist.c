// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The node's network namespaces, each once (netnslist.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netnslist.h"

static bool seen(const struct netns_list *l, const struct stat *st)
{
	size_t i;

	for (i = 0; i < l->ids.n; i++)
		if (l->ids.v[i].ino == st->st_ino &&
		    l->ids.v[i].dev == st->st_dev)
			return true;
	return false;
}

/* Add the namespace at path unless listed: 0 or -ENOMEM (a path that
 * is gone or not a namespace is skipped). */
static int add(struct netns_list *l, const char *path)
{
	struct netns_id id;
	struct stat st;
	int fd;

	if (stat(path, &st) || seen(l, &st))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* What was opened, which may differ from what was stat()ed. */
	if (fstat(fd, &st) || seen(l, &st)) {
		close(fd);
		return 0;
	}
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	if (vec_push(&l->ids, id) || vec_push(&l->fds, fd)) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Every entry of dir passing keep, as fmt (with its name) gives it. */
static int add_dir(struct netns_list *l, const char *dir, const char *fmt,
		   bool (*keep)(const char *))
{
	char path[300];
	struct dirent *e;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return 0; /* no /run/netns: no named namespaces */
	while (!err && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !keep(e->d_name))
			continue;
		snprintf(path, sizeof(path), fmt, e->d_name);
		err = add(l, path);
	}
	closedir(d);
	return err;
}

static bool any_name(const char *name)
{
	(void)name;
	return true;
}

int netns_list_collect(struct netns_list *l)
{
	/* First: the calling thread's own (shunt --netns may have moved it). */
	int err = add(l, "/proc/thread-self/ns/net");

	if (!err)
		err = add_dir(l, "/proc", "/proc/%s/ns/net", all_digits);
	if (!err)
		err = add_dir(l, "/run/netns", "/run/netns/%s", any_name);
	if (err)
		netns_list_free(l);
	return err;
}

void netns_list_free(struct netns_list *l)
{
	size_t i;

	for (i = 0; i < l->fds.n; i++)
		close(l->fds.v[i]);
	vec_free(&l->fds);
	vec_free(&l->ids);
}
