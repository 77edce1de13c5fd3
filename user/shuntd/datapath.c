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

static int set_lifetimes(struct shunt *s, const struct shunt_config *want)
{
	const struct shunt_knob *k;
	__u32 v;
	int err;

	for (k = shunt_knobs(); k->name; k++) {
		v = *(const __u32 *)((const char *)want + k->off);
		if (!v)
			continue;
		err = shunt_config_set(s, k, v);
		if (err) {
			log_error("cannot set conntrack lifetime", "knob",
				  k->name, "error", strerror(-err), NULL);
			return err;
		}
	}
	return 0;
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
	err = set_lifetimes(&s, &o->ct);
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
