// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bringing the datapath up at start: load (or reuse the pinned programs
 * and maps: a restart changes nothing that runs), set the conntrack
 * lifetimes, attach the interfaces and the cgroup. Everything here is
 * idempotent, so a restarted agent leaves running traffic alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "attach.h"
#include "cgroup.h"
#include "config.h"
#include "load.h"
#include "log.h"
#include "upgrade.h"

static int set_config(struct shunt *s, const struct shunt_config *want)
{
	int err = shunt_config_update(s, want);

	if (err)
		log_error("cannot set the datapath's knobs (conntrack "
			  "lifetimes, SNAT ports)",
			  "error",
			  err == -ERANGE
				  ? "SNAT port range ends before it starts"
				  : strerror(-err),
			  NULL);
	return err;
}

#define NODEPORT_MIN 30000 /* Kubernetes' default service-node-port-range */
#define NODEPORT_MAX 32767

static bool overlaps(__u32 a_min, __u32 a_max, __u32 b_min, __u32 b_max)
{
	return a_min <= b_max && b_min <= a_max;
}

/*
 * Masqueraded flows must never take a tuple the node's own connections
 * (ip_local_port_range, in this network namespace) or a NodePort could
 * use: refuse to start with a SNAT range that overlaps either. want's
 * range, else the loaded one.
 */
static int check_snat_ports(struct shunt *s, const struct shunt_config *want)
{
	unsigned int lo = 0, hi = 0;
	struct shunt_config cfg;
	char range[32], local[32];
	FILE *f;
	int err = shunt_config_get(s, &cfg);

	if (err)
		return err;
	if (want->snat_port_min)
		cfg.snat_port_min = want->snat_port_min;
	if (want->snat_port_max)
		cfg.snat_port_max = want->snat_port_max;
	snprintf(range, sizeof(range), "%u-%u", cfg.snat_port_min,
		 cfg.snat_port_max);
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f && fscanf(f, "%u %u", &lo, &hi) == 2 &&
	    overlaps(cfg.snat_port_min, cfg.snat_port_max, lo, hi)) {
		snprintf(local, sizeof(local), "%u-%u", lo, hi);
		log_error("the SNAT port range overlaps the node's "
			  "ip_local_port_range (--snat-ports)",
			  "snat_ports", range, "ip_local_port_range", local,
			  NULL);
		err = -EINVAL;
	}
	if (f)
		fclose(f);
	if (overlaps(cfg.snat_port_min, cfg.snat_port_max, NODEPORT_MIN,
		     NODEPORT_MAX)) {
		log_error("the SNAT port range overlaps the NodePort range "
			  "30000-32767 (--snat-ports)",
			  "snat_ports", range, NULL);
		err = -EINVAL;
	}
	return err;
}

static int attach_ifaces(struct shunt *s, const struct shuntd_options *o)
{
	enum shunt_mode chosen;
	bool changed;
	int i, err;

	for (i = 0; i < o->n_ifaces; i++) {
		err = shunt_attach(s, o->ifaces[i], o->mode, &chosen, &changed);
		if (err) {
			log_error("cannot attach", "interface", o->ifaces[i],
				  "mode", shunt_mode_name(o->mode), "error",
				  strerror(-err), NULL);
			return err;
		}
		log_info(changed ? "attached" : "already attached", "interface",
			 o->ifaces[i], "mode", shunt_mode_name(chosen), NULL);
	}
	return 0;
}

static int attach_cgroup(struct shunt *s, const struct shuntd_options *o)
{
	char path[PATH_MAX];
	int err;

	if (!strcmp(o->cgroup, "none"))
		return 0;
	if (o->cgroup[0])
		snprintf(path, sizeof(path), "%s", o->cgroup);
	else if (shunt_cgroup_root(path, sizeof(path))) {
		log_warn("no cgroup v2 mount: socket-level path off", NULL);
		return 0;
	}
	err = shunt_cgroup_attach(s, path);
	if (err)
		log_error("cannot attach the socket programs", "cgroup", path,
			  "error", strerror(-err), NULL);
	else
		log_info("socket programs attached", "cgroup", path, NULL);
	return err;
}

int datapath_setup(struct shuntd_options *o, const char *pin_root)
{
	bool fresh = !shunt_is_loaded(pin_root);
	struct shunt s;
	int err;

	shunt_set_debug(o->debug);
	shunt_set_capacity(&o->cap);
	err = shunt_open(&s, pin_root, SHUNT_OPEN_LOAD | SHUNT_OPEN_LOCK);
	if (err) {
		log_error("cannot load the datapath", "pin_root", pin_root,
			  "error", strerror(-err), NULL);
		return err;
	}
	log_info(fresh ? "datapath loaded" : "datapath reused", "pin_root",
		 pin_root, NULL);
	if (!fresh) {
		/* An upgrade (or a restart): this build's programs take over
		 * from the running ones, maps and attachments stay. */
		err = shunt_upgrade(&s);
		if (err) {
			log_error("cannot switch to this build's programs; the "
				  "running ones stay",
				  "error", strerror(-err), NULL);
			shunt_close(&s);
			return err;
		}
		log_info("programs replaced in place", NULL);
	}
	if (!fresh && (o->cap.ct || o->cap.services || o->cap.frontends ||
		       o->cap.backends))
		log_warn(
			"--ct-max and --max-* apply at first load only; the loaded tables keep their sizes",
			NULL);
	/* Checked before anything is written. */
	err = check_snat_ports(&s, &o->ct);
	if (!err)
		err = set_config(&s, &o->ct);
	if (!err)
		err = attach_ifaces(&s, o);
	if (!err)
		err = attach_cgroup(&s, o);
	shunt_close(&s);
	return err;
}

int agent_cleanup(struct shuntd_options *o)
{
	const char *root = shunt_pin_root(o->pin_root);
	int err = shunt_unload(root);

	if (err) {
		log_error("cleanup failed", "pin_root", root, "error",
			  strerror(-err), NULL);
		return 1;
	}
	log_info("removed every program, link and pin", "pin_root", root, NULL);
	return 0;
}
