// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading the datapath: both builds of the core (tc and XDP) are loaded
 * once, their maps pinned by name under the pin root (shared by the two
 * objects) and their programs pinned under progs/, so every later command
 * attaches the same program instances.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_tc.skel.h"
#include "lb_xdp.skel.h"
#include "sock_lb.skel.h"
#include "sock_ops.skel.h"
#include "load.h"
#include "pin.h"
#include "shunt.h"

static bool debug;
static struct shunt_capacity want; /* 0 fields: the compiled-in defaults */

void shunt_set_capacity(const struct shunt_capacity *c)
{
	want = *c;
}

void shunt_capacity_defaults(struct shunt_capacity *c)
{
	c->services = SHUNT_MAX_SERVICES;
	c->frontends = SHUNT_MAX_FRONTENDS;
	c->backends = SHUNT_MAX_BACKENDS;
	c->ct = SHUNT_CT_MAX;
}

/* The maps whose size is chosen at load, and the size each gets. */
static const struct {
	const char *map;
	size_t field; /* offset in struct shunt_capacity */
	__u32 extra;  /* id-indexed arrays: slot 0 is unused */
} sized_maps[] = {
#define CAP(m, f, x)                                                           \
	{                                                                      \
#m, offsetof(struct shunt_capacity, f), x                      \
	}
	CAP(frontend_map, frontends, 0),
	CAP(service_map, services, 1),
	CAP(maglev_map, services, 1),
	CAP(svc_stats_map, services, 1),
	CAP(backend_map, backends, 1),
	CAP(backend_stats_map, backends, 1),
	CAP(ct_map, ct, 0),
#undef CAP
};

static __u32 cap_field(const struct shunt_capacity *c, size_t off)
{
	return *(const __u32 *)((const char *)c + off);
}

/* max_entries of the map pinned at root/name, or 0 when there is none. */
static __u32 pinned_size(const char *root, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	return err ? 0 : info.max_entries;
}

/* Map sizes chosen at load: only for maps not pinned yet (a pinned map
 * keeps its size until the datapath is unloaded). Every object that
 * shares a pinned map must declare it with the pinned size, or libbpf
 * refuses to reuse it: the objects loaded after the first one (and a
 * later load against a datapath sized differently) take it from the
 * pin. */
static int size_maps(const char *root, struct bpf_object *obj)
{
	struct shunt_capacity dflt;
	struct bpf_map *m;
	__u32 size, asked;
	size_t i;
	int err;

	shunt_capacity_defaults(&dflt);
	for (i = 0; i < sizeof(sized_maps) / sizeof(sized_maps[0]); i++) {
		m = bpf_object__find_map_by_name(obj, sized_maps[i].map);
		if (!m)
			continue;
		size = pinned_size(root, sized_maps[i].map);
		if (!size) {
			asked = cap_field(&want, sized_maps[i].field);
			if (!asked)
				asked = cap_field(&dflt, sized_maps[i].field);
			size = asked + sized_maps[i].extra;
		}
		err = bpf_map__set_max_entries(m, size);
		if (err)
			return err;
	}
	return 0;
}

int shunt_capacity_read(struct shunt *s, struct shunt_capacity *c)
{
	size_t i;
	__u32 size;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(sized_maps) / sizeof(sized_maps[0]); i++) {
		size = pinned_size(s->pin_root, sized_maps[i].map);
		if (!size)
			return -ENOENT;
		*(__u32 *)((char *)c + sized_maps[i].field) =
			size - sized_maps[i].extra;
	}
	return 0;
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (debug)
		return vfprintf(stderr, fmt, ap);
	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* The kernel's answer when the clsact qdisc is there already,
	 * which attach takes as success (bpf_tc_hook_create: -EEXIST). */
	if (strstr(line, "Exclusivity flag on"))
		return 0;
	return fputs(line, stderr);
}

void shunt_set_debug(bool on)
{
	debug = on;
	libbpf_set_print(print_fn);
}

/* Pin every program of a loaded object under progs/, by name. */
static int pin_progs(const char *root, struct bpf_object *obj)
{
	char path[PATH_MAX];
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, obj)
	{
		snprintf(path, sizeof(path), "%s/" SHUNT_PIN_PROGS "/%s", root,
			 bpf_program__name(prog));
		unlink(path);
		err = bpf_program__pin(prog, path);
		if (err)
			return err;
	}
	return 0;
}

/* sk_msg runs for the sockets in sock_hash: attach it to the map (it
 * stays attached as long as the pinned map lives). A program a previous
 * load left there is replaced. */
static int attach_sk_msg(struct bpf_object *obj)
{
	struct bpf_program *p =
		bpf_object__find_program_by_name(obj, SHUNT_PROG_SK_MSG);
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "sock_hash");
	__u32 ids[4], cnt = 4, i;
	int prog, map, old;

	if (!p || !m)
		return 0;
	prog = bpf_program__fd(p);
	map = bpf_map__fd(m);
	if (bpf_prog_query(map, BPF_SK_MSG_VERDICT, 0, NULL, ids, &cnt) == 0) {
		for (i = 0; i < cnt; i++) {
			old = bpf_prog_get_fd_by_id(ids[i]);
			if (old < 0)
				continue;
			bpf_prog_detach2(old, map, BPF_SK_MSG_VERDICT);
			close(old);
		}
	}
	return bpf_prog_attach(prog, map, BPF_SK_MSG_VERDICT, 0) ? -errno : 0;
}

/* Load one embedded object; its maps are shared by name under root, its
 * programs pinned under progs/. */
static int load_object(const char *root, const void *elf, size_t size)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = root);
	struct bpf_object *obj = bpf_object__open_mem(elf, size, &opts);
	int err;

	if (!obj)
		return -errno;
	err = size_maps(root, obj);
	if (!err)
		err = bpf_object__load(obj);
	if (!err)
		err = pin_progs(root, obj);
	if (!err)
		err = attach_sk_msg(obj);
	bpf_object__close(obj);
	return err;
}

/* The seed's tuned conntrack lifetimes, written once at first load. */
static int init_config(const char *root)
{
	struct shunt_config cfg = {}, zero = {};
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/config_map", root);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &key, &cfg);
	if (!err && !memcmp(&cfg, &zero, sizeof(cfg))) {
		shunt_config_defaults(&cfg);
		err = bpf_map_update_elem(fd, &key, &cfg, BPF_ANY);
	}
	close(fd);
	return err ? -errno : 0;
}

void shunt_config_defaults(struct shunt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ct_syn_timeout = SHUNT_DEFAULT_CT_SYN;
	cfg->ct_established_timeout = SHUNT_DEFAULT_CT_ESTABLISHED;
	cfg->ct_fin_wait_timeout = SHUNT_DEFAULT_CT_FIN_WAIT;
	cfg->ct_close_wait_timeout = SHUNT_DEFAULT_CT_CLOSE_WAIT;
	cfg->ct_time_wait_timeout = SHUNT_DEFAULT_CT_TIME_WAIT;
	cfg->ct_close_timeout = SHUNT_DEFAULT_CT_CLOSE;
	cfg->ct_udp_timeout = SHUNT_DEFAULT_CT_UDP;
	cfg->snat_port_min = SHUNT_DEFAULT_SNAT_PORT_MIN;
	cfg->snat_port_max = SHUNT_DEFAULT_SNAT_PORT_MAX;
	cfg->lb_mode = SHUNT_DEFAULT_LB_MODE;
}

/* The embedded objects (bpftool skeletons), loaded in this order. */
static const void *(*const objects[])(size_t *size) = {
	lb_tc__elf_bytes,
	lb_xdp__elf_bytes,
	sock_lb__elf_bytes,
	sock_ops__elf_bytes,
};

int shunt_load(const char *root)
{
	size_t i, size;
	const void *elf;
	int err;

	if (!debug)
		shunt_set_debug(false);
	err = pin_create_dirs(root);
	for (i = 0; !err && i < sizeof(objects) / sizeof(objects[0]); i++) {
		elf = objects[i](&size);
		err = load_object(root, elf, size);
	}
	if (!err)
		err = init_config(root);
	return err;
}
