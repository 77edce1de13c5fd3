// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attaching and detaching the datapath per interface. */
#include <errno.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "ifaddr.h"
#include "ifinfo.h"
#include "load.h"
#include "mapdump.h"
#include "pin.h"

const char *shunt_mode_name(enum shunt_mode mode)
{
	switch (mode) {
	case SHUNT_MODE_XDP:
		return "xdp";
	case SHUNT_MODE_TC:
		return "tc";
	default:
		return "auto";
	}
}

int shunt_mode_parse(const char *s, enum shunt_mode *mode)
{
	if (!strcmp(s, "auto"))
		*mode = SHUNT_MODE_AUTO;
	else if (!strcmp(s, "xdp"))
		*mode = SHUNT_MODE_XDP;
	else if (!strcmp(s, "tc"))
		*mode = SHUNT_MODE_TC;
	else
		return -EINVAL;
	return 0;
}

static int prog_fd(struct shunt *s, const char *name)
{
	char path[PATH_MAX];
	int fd;

	shunt_pin_path(s, path, sizeof(path), SHUNT_PIN_PROGS "/%s", name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static void xdp_link_path(struct shunt *s, const char *ifname, char *buf,
			  size_t len)
{
	shunt_pin_path(s, buf, len, SHUNT_PIN_LINKS "/xdp_%s", ifname);
}

static int xdp_attach(struct shunt *s, const struct ifinfo *info)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	char path[PATH_MAX];
	int fd, link, err = 0;

	fd = prog_fd(s, SHUNT_PROG_XDP);
	if (fd < 0)
		return fd;
	link = bpf_link_create(fd, info->ifindex, BPF_XDP, &opts);
	close(fd);
	if (link < 0)
		return -errno;
	xdp_link_path(s, info->name, path, sizeof(path));
	unlink(path);
	if (bpf_obj_pin(link, path))
		err = -errno;
	close(link); /* on error this detaches again */
	return err;
}

static int xdp_detach(struct shunt *s, const char *ifname)
{
	char path[PATH_MAX];
	int link;

	xdp_link_path(s, ifname, path, sizeof(path));
	link = bpf_obj_get(path);
	if (link >= 0) {
		bpf_link_detach(link);
		close(link);
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

static int tc_attach(struct shunt *s, const struct ifinfo *info)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = info->ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SHUNT_TC_HANDLE,
		    .priority = SHUNT_TC_PRIO, .flags = BPF_TC_F_REPLACE);
	int fd, err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	fd = prog_fd(s, SHUNT_PROG_TC);
	if (fd < 0)
		return fd;
	opts.prog_fd = fd;
	err = bpf_tc_attach(&hook, &opts);
	close(fd);
	return err;
}

static int tc_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SHUNT_TC_HANDLE,
		    .priority = SHUNT_TC_PRIO);
	int err = bpf_tc_detach(&hook, &opts);

	/* Gone with its interface, or never there: nothing to do. */
	return err == -ENOENT || err == -ENODEV ? 0 : err;
}

/* Which network namespace this process is in. */
static __u32 netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

static int iface_record(struct shunt *s, const struct ifinfo *info,
			enum shunt_mode mode)
{
	struct shunt_iface v = {};
	__u32 key = info->ifindex;

	v.flags = mode == SHUNT_MODE_XDP ? SHUNT_IFACE_F_XDP : SHUNT_IFACE_F_TC;
	if (info->veth && info->peer_netns)
		v.flags |= SHUNT_IFACE_F_PEER_NS;
	v.netns_ino = netns_ino();
	snprintf(v.name, sizeof(v.name), "%s", info->name);
	shunt_iface_addrs(info->name, &v); /* none yet: zero */
	return bpf_map_update_elem(s->iface_map, &key, &v, BPF_ANY) ? -errno
								    : 0;
}

/* A pin root serves the interfaces of one network namespace: ifindexes
 * and interface names only mean something within one. -EXDEV when
 * interfaces of another namespace are attached under this pin root. */
static int check_netns(struct shunt *s)
{
	struct shunt_iface_info *list;
	__u32 ours = netns_ino();
	size_t n, i;
	int err;

	err = shunt_iface_list(s, &list, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++)
		if (list[i].iface.netns_ino != ours)
			err = -EXDEV;
	free(list);
	return err;
}

/* Remove one attachment described by an iface_map entry. */
static int detach_entry(struct shunt *s, __u32 ifindex,
			const struct shunt_iface *v)
{
	int err = 0;

	if (v->flags & SHUNT_IFACE_F_XDP)
		err = xdp_detach(s, v->name);
	/* tc filters are per namespace: only ours can be reached. */
	if ((v->flags & SHUNT_IFACE_F_TC) && v->netns_ino == netns_ino()) {
		int e = tc_detach(ifindex);

		err = err ? err : e;
	}
	return err;
}

static int attach_mode(struct shunt *s, const struct ifinfo *info,
		       enum shunt_mode mode)
{
	int err = mode == SHUNT_MODE_XDP ? xdp_attach(s, info)
					 : tc_attach(s, info);

	if (err)
		return err;
	err = iface_record(s, info, mode);
	if (err) {
		if (mode == SHUNT_MODE_XDP)
			xdp_detach(s, info->name);
		else
			tc_detach(info->ifindex);
	}
	return err;
}

int shunt_attach(struct shunt *s, const char *ifname, enum shunt_mode mode,
		 enum shunt_mode *chosen, bool *changed)
{
	struct shunt_iface old;
	struct ifinfo info;
	bool had, auto_mode;
	__u32 key;
	int err;

	err = ifinfo_get(ifname, &info);
	if (err)
		return err;
	err = check_netns(s);
	if (err)
		return err;
	auto_mode = mode == SHUNT_MODE_AUTO;
	if (auto_mode)
		mode = info.physical ? SHUNT_MODE_XDP : SHUNT_MODE_TC;
	key = info.ifindex;
	had = bpf_map_lookup_elem(s->iface_map, &key, &old) == 0;
	*changed = true;
	if (had && (old.flags & (mode == SHUNT_MODE_XDP ? SHUNT_IFACE_F_XDP
							: SHUNT_IFACE_F_TC))) {
		*chosen = mode;
		*changed = false;
		return iface_record(s, &info, mode);
	}

	err = attach_mode(s, &info, mode);
	/* auto: a NIC whose driver refuses native XDP still gets tc. */
	if (err && auto_mode && mode == SHUNT_MODE_XDP && !had) {
		mode = SHUNT_MODE_TC;
		err = attach_mode(s, &info, mode);
	}
	if (err)
		return err;
	*chosen = mode;
	/* Switching modes: the new hook is in place, drop the old one. */
	if (had)
		old.flags &= ~(mode == SHUNT_MODE_XDP ? SHUNT_IFACE_F_XDP
						      : SHUNT_IFACE_F_TC);
	return had ? detach_entry(s, key, &old) : 0;
}

/* The iface_map entry for ifname: by ifindex, else by recorded name
 * (the interface may be gone). */
static int iface_find(struct shunt *s, const char *ifname, __u32 *ifindex,
		      struct shunt_iface *v)
{
	struct shunt_iface_info *list;
	size_t n, i;
	int err;

	*ifindex = if_nametoindex(ifname);
	if (*ifindex && bpf_map_lookup_elem(s->iface_map, ifindex, v) == 0)
		return 0;
	err = shunt_iface_list(s, &list, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n; i++) {
		if (!list[i].present && !strcmp(list[i].iface.name, ifname)) {
			*ifindex = list[i].ifindex;
			*v = list[i].iface;
			err = 0;
			break;
		}
	}
	free(list);
	return err;
}

int shunt_detach(struct shunt *s, const char *ifname)
{
	struct shunt_iface v;
	__u32 ifindex;
	int err;

	err = check_netns(s);
	if (!err)
		err = iface_find(s, ifname, &ifindex, &v);
	if (err)
		return err;
	err = detach_entry(s, ifindex, &v);
	if (err)
		return err;
	bpf_map_delete_elem(s->iface_map, &ifindex);
	return 0;
}

int shunt_iface_list(struct shunt *s, struct shunt_iface_info **out, size_t *n)
{
	struct shunt_iface_info *v;
	char name[IF_NAMESIZE];
	size_t i;
	int err;

	err = map_dump_records(
		s->iface_map, sizeof(__u32), sizeof(struct shunt_iface),
		sizeof(*v), offsetof(struct shunt_iface_info, ifindex),
		offsetof(struct shunt_iface_info, iface), (void **)&v, n);
	if (err)
		return err;
	for (i = 0; i < *n; i++)
		v[i].present = v[i].iface.netns_ino == netns_ino() &&
			       if_indextoname(v[i].ifindex, name) &&
			       !strcmp(name, v[i].iface.name);
	*out = v;
	return 0;
}

/* Point every attachment of this namespace at the programs now pinned
 * under progs/: XDP links are updated in place, tc filters replaced. */
int shunt_attach_refresh(struct shunt *s)
{
	struct shunt_iface_info *list;
	struct ifinfo info = {};
	char path[PATH_MAX];
	int err = 0, e, link, prog;
	size_t n, i;

	err = shunt_iface_list(s, &list, &n);
	if (err)
		return err;
	prog = prog_fd(s, SHUNT_PROG_XDP);
	for (i = 0; i < n && prog >= 0; i++) {
		if (!list[i].present)
			continue;
		if (list[i].iface.flags & SHUNT_IFACE_F_XDP) {
			xdp_link_path(s, list[i].iface.name, path,
				      sizeof(path));
			link = bpf_obj_get(path);
			e = link < 0 ? -errno : 0;
			if (!e && bpf_link_update(link, prog, NULL))
				e = -errno;
			if (link >= 0)
				close(link);
			err = err ? err : e;
		}
		if (list[i].iface.flags & SHUNT_IFACE_F_TC) {
			info.ifindex = list[i].ifindex;
			e = tc_attach(s, &info);
			err = err ? err : e;
		}
	}
	if (prog >= 0)
		close(prog);
	else
		err = prog;
	free(list);
	return err;
}

int shunt_unload(const char *pin_root)
{
	const char *root = shunt_pin_root(pin_root);
	struct shunt_iface_info *list;
	struct shunt s;
	size_t n, i;

	if (shunt_open(&s, root, SHUNT_OPEN_LOCK) == 0) {
		if (shunt_iface_list(&s, &list, &n) == 0) {
			for (i = 0; i < n; i++)
				detach_entry(&s, list[i].ifindex,
					     &list[i].iface);
			free(list);
		}
		shunt_close(&s);
	}
	/* Also whatever a half-done load left behind. */
	return pin_remove_all(root);
}
