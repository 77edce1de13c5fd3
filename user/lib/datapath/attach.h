/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Attaching the datapath to interfaces. Native XDP on physical NICs,
 * tc ingress (clsact, direct action) elsewhere, notably veth: native XDP
 * on veth needs changes on the peer and gains nothing (docs/datapath.md).
 * XDP attachments are bpf_links pinned under links/, tc filters live in
 * the kernel: both outlast the process that made them.
 */
#ifndef SHUNT_ATTACH_H
#define SHUNT_ATTACH_H

#include <stddef.h>
#include "shunt.h"

enum shunt_mode {
	SHUNT_MODE_AUTO = 0,
	SHUNT_MODE_XDP = 1,
	SHUNT_MODE_TC = 2,
};

#define SHUNT_TC_HANDLE 0x5348 /* "SH" */
#define SHUNT_TC_PRIO	1

struct shunt_iface_info {
	__u32 ifindex;
	struct shunt_iface iface;
	bool present; /* the interface still exists */
};

const char *shunt_mode_name(enum shunt_mode mode);
int shunt_mode_parse(const char *s, enum shunt_mode *mode);

/* Attach to ifname. *chosen: the mode in effect (auto resolved, or the
 * tc fallback when native XDP failed in auto mode); *changed: false when
 * it was already attached that way. -ENODEV: no such interface. */
int shunt_attach(struct shunt *s, const char *ifname, enum shunt_mode mode,
		 enum shunt_mode *chosen, bool *changed);
/* -ENOENT when shunt is not attached to ifname. */
int shunt_detach(struct shunt *s, const char *ifname);
int shunt_iface_list(struct shunt *s, struct shunt_iface_info **out, size_t *n);
/* After a reload: every attachment in this namespace runs the programs
 * now pinned (XDP links updated in place, tc filters replaced). */
int shunt_attach_refresh(struct shunt *s);
/* Detach everywhere, remove every pin below the pin root. */
int shunt_unload(const char *pin_root);

#endif /* SHUNT_ATTACH_H */
