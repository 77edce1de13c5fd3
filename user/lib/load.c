// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading the datapath: both builds of the core (tc and XDP) are loaded
 * once, their maps pinned by name under the pin root (shared by the two
 * objects) and their programs pinned under progs/, so every later command
 * attaches the same program instances.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_tc.skel.h"
#include "lb_xdp.skel.h"
#include "load.h"
#include "pin.h"
#include "shunt.h"

static bool debug;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!debug && level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void shunt_set_debug(bool on)
{
	debug = on;
	libbpf_set_print(print_fn);
}

static int pin_prog(const char *root, struct bpf_program *prog,
		    const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" SHUNT_PIN_PROGS "/%s", root, name);
	unlink(path);
	return bpf_program__pin(prog, path);
}

static int load_tc(const char *root)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = root);
	struct lb_tc *skel = lb_tc__open_opts(&opts);
	int err;

	if (!skel)
		return -errno;
	err = lb_tc__load(skel);
	if (!err)
		err = pin_prog(root, skel->progs.shunt_tc, SHUNT_PROG_TC);
	lb_tc__destroy(skel);
	return err;
}

static int load_xdp(const char *root)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = root);
	struct lb_xdp *skel = lb_xdp__open_opts(&opts);
	int err;

	if (!skel)
		return -errno;
	err = lb_xdp__load(skel);
	if (!err)
		err = pin_prog(root, skel->progs.shunt_xdp, SHUNT_PROG_XDP);
	lb_xdp__destroy(skel);
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
}

int shunt_load(const char *root)
{
	int err;

	if (!debug)
		shunt_set_debug(false);
	err = pin_create_dirs(root);
	if (err)
		return err;
	err = load_tc(root);
	if (!err)
		err = load_xdp(root);
	if (!err)
		err = init_config(root);
	return err;
}
