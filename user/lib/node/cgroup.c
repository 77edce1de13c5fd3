// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attaching the socket programs to cgroup v2, and excluding subtrees. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "config.h"
#include "mapdump.h"
#include "pin.h"

/* The socket programs and where they hook. */
static const struct {
	const char *prog;
	enum bpf_attach_type type;
} cgroup_progs[] = {
	{"shunt_connect4", BPF_CGROUP_INET4_CONNECT},
	{"shunt_connect6", BPF_CGROUP_INET6_CONNECT},
	{"shunt_sendmsg4", BPF_CGROUP_UDP4_SENDMSG},
	{"shunt_sendmsg6", BPF_CGROUP_UDP6_SENDMSG},
	{"shunt_recvmsg4", BPF_CGROUP_UDP4_RECVMSG},
	{"shunt_recvmsg6", BPF_CGROUP_UDP6_RECVMSG},
	{"shunt_getpeername4", BPF_CGROUP_INET4_GETPEERNAME},
	{"shunt_getpeername6", BPF_CGROUP_INET6_GETPEERNAME},
	{"shunt_sockops", BPF_CGROUP_SOCK_OPS},
};

#define N_PROGS	    (sizeof(cgroup_progs) / sizeof(cgroup_progs[0]))
#define LINK_PREFIX "cgroup_"

int shunt_cgroup_root(char *buf, size_t len)
{
	char line[4096], mnt[PATH_MAX], *dash;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mountpoint opts... - type ... */
		dash = strstr(line, " - ");
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (!found || !strcmp(mnt, "/sys/fs/cgroup")) {
			snprintf(buf, len, "%s", mnt);
			found = true;
		}
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

int shunt_cgroup_id(const char *path, __u64 *id)
{
	struct statfs sfs;
	struct stat st;

	if (statfs(path, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -ENOTDIR;
	if (stat(path, &st))
		return -errno;
	/* kernfs: the inode number is the cgroup id on 64-bit kernels. */
	*id = st.st_ino;
	return 0;
}

static void link_path(struct shunt *s, __u64 id, const char *prog, char *buf,
		      size_t len)
{
	shunt_pin_path(s, buf, len,
		       SHUNT_PIN_LINKS "/" LINK_PREFIX "%" PRIu64 "_%s",
		       (uint64_t)id, prog);
}

static int attach_one(struct shunt *s, int cg_fd, __u64 id, size_t i)
{
	char path[PATH_MAX];
	int prog, link, err = 0;

	shunt_pin_path(s, path, sizeof(path), SHUNT_PIN_PROGS "/%s",
		       cgroup_progs[i].prog);
	prog = bpf_obj_get(path);
	if (prog < 0)
		return -errno;
	link = bpf_link_create(prog, cg_fd, cgroup_progs[i].type, NULL);
	close(prog);
	if (link < 0)
		return -errno;
	link_path(s, id, cgroup_progs[i].prog, path, sizeof(path));
	if (bpf_obj_pin(link, path))
		err = -errno;
	close(link); /* without the pin, this detaches it again */
	return err;
}

/* Unpin (and so detach) the links of cgroup id; how many there were. */
static int detach_id(struct shunt *s, __u64 id)
{
	char path[PATH_MAX];
	int n = 0, link;
	size_t i;

	for (i = 0; i < N_PROGS; i++) {
		link_path(s, id, cgroup_progs[i].prog, path, sizeof(path));
		link = bpf_obj_get(path);
		if (link < 0)
			continue;
		bpf_link_detach(link);
		close(link);
		unlink(path);
		n++;
	}
	return n;
}

int shunt_cgroup_attach(struct shunt *s, const char *path)
{
	char pin[PATH_MAX];
	size_t i;
	__u64 id;
	int fd, err;

	err = shunt_cgroup_id(path, &id);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; i < N_PROGS && !err; i++) {
		link_path(s, id, cgroup_progs[i].prog, pin, sizeof(pin));
		if (access(pin, F_OK) == 0)
			continue; /* already attached there */
		err = attach_one(s, fd, id, i);
	}
	close(fd);
	if (err)
		detach_id(s, id);
	return err;
}

int shunt_cgroup_refresh(struct shunt *s)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	int err = 0, link, prog;
	uint64_t id;
	int off;
	DIR *d;

	shunt_pin_path(s, dir, sizeof(dir), SHUNT_PIN_LINKS);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		off = 0;
		if (sscanf(de->d_name, LINK_PREFIX "%" SCNu64 "_%n", &id,
			   &off) != 1 ||
		    !off)
			continue;
		shunt_pin_path(s, path, sizeof(path), SHUNT_PIN_PROGS "/%s",
			       de->d_name + off);
		prog = bpf_obj_get(path);
		shunt_pin_path(s, path, sizeof(path), SHUNT_PIN_LINKS "/%s",
			       de->d_name);
		link = bpf_obj_get(path);
		if (prog < 0 || link < 0 || bpf_link_update(link, prog, NULL))
			err = err ? err : -errno;
		if (prog >= 0)
			close(prog);
		if (link >= 0)
			close(link);
	}
	closedir(d);
	return err;
}

int shunt_cgroup_detach(struct shunt *s, const char *path)
{
	__u64 id;
	int err;

	err = shunt_cgroup_id(path, &id);
	if (err)
		return err;
	return detach_id(s, id) ? 0 : -ENOENT;
}

/* nftw has no context argument: the search it runs. */
static struct {
	__u64 id;
	char *out;
	size_t len;
} walk;

static int walk_fn(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && (__u64)st->st_ino == walk.id) {
		snprintf(walk.out, walk.len, "%s", path);
		return 1;
	}
	return 0;
}

/* The directory of cgroup id under the cgroup root, or "". */
static void id_to_path(__u64 id, char *out, size_t len)
{
	char root[PATH_MAX];

	out[0] = '\0';
	if (shunt_cgroup_root(root, sizeof(root)))
		return;
	walk.id = id;
	walk.out = out;
	walk.len = len;
	nftw(root, walk_fn, 32, FTW_PHYS | FTW_MOUNT);
}

static struct shunt_cgroup_info *info_find(struct shunt_cgroup_info *v,
					   size_t n, __u64 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

int shunt_cgroup_list(struct shunt *s, struct shunt_cgroup_info **out,
		      size_t *n)
{
	struct shunt_cgroup_info *v = NULL, *nv, *e;
	char dir[PATH_MAX];
	struct dirent *de;
	size_t cnt = 0;
	uint64_t id;
	DIR *d;

	shunt_pin_path(s, dir, sizeof(dir), SHUNT_PIN_LINKS);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, LINK_PREFIX "%" SCNu64 "_", &id) != 1)
			continue;
		e = info_find(v, cnt, id);
		if (!e) {
			nv = realloc(v, (cnt + 1) * sizeof(*v));
			if (!nv) {
				closedir(d);
				free(v);
				return -ENOMEM;
			}
			v = nv;
			e = &v[cnt++];
			memset(e, 0, sizeof(*e));
			e->id = id;
			id_to_path(id, e->path, sizeof(e->path));
		}
		e->progs++;
	}
	closedir(d);
	*out = v;
	*n = cnt;
	return 0;
}

/* Keep SHUNT_CFG_F_EXCLUDES in step with cgroup_exclude_map, so the
 * programs skip the ancestor walk while nothing is excluded. */
static int exclude_flag(struct shunt *s)
{
	struct shunt_config cfg;
	__u32 zero = 0;
	__u64 next;
	int err;

	err = shunt_config_get(s, &cfg);
	if (err)
		return err;
	if (bpf_map_get_next_key(s->cgroup_exclude_map, NULL, &next) == 0)
		cfg.flags |= SHUNT_CFG_F_EXCLUDES;
	else
		cfg.flags &= ~SHUNT_CFG_F_EXCLUDES;
	return bpf_map_update_elem(s->config_map, &zero, &cfg, BPF_EXIST)
		       ? -errno
		       : 0;
}

int shunt_cgroup_exclude(struct shunt *s, const char *path)
{
	__u8 one = 1;
	__u64 id;
	int err;

	err = shunt_cgroup_id(path, &id);
	if (err)
		return err;
	if (bpf_map_update_elem(s->cgroup_exclude_map, &id, &one, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	err = exclude_flag(s);
	if (err)
		bpf_map_delete_elem(s->cgroup_exclude_map, &id);
	return err;
}

int shunt_cgroup_include(struct shunt *s, const char *path)
{
	__u64 id;
	int err;

	err = shunt_cgroup_id(path, &id);
	if (err)
		return err;
	if (bpf_map_delete_elem(s->cgroup_exclude_map, &id))
		return -errno;
	return exclude_flag(s);
}

int shunt_cgroup_excluded(struct shunt *s, struct shunt_cgroup_info **out,
			  size_t *n)
{
	struct shunt_cgroup_info *v;
	struct map_dump d;
	size_t i;
	int err;

	err = map_dump(s->cgroup_exclude_map, sizeof(__u64), sizeof(__u8), &d);
	if (err)
		return err;
	v = calloc(d.n ? d.n : 1, sizeof(*v));
	if (!v) {
		map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++) {
		v[i].id = *(__u64 *)map_dump_key(&d, i);
		id_to_path(v[i].id, v[i].path, sizeof(v[i].path));
	}
	*n = d.n;
	map_dump_free(&d);
	*out = v;
	return 0;
}
