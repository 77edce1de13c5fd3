// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Switching a running datapath to this build's programs. */
#include "attach.h"
#include "cgroup.h"
#include "load.h"
#include "upgrade.h"

int shunt_upgrade(struct shunt *s)
{
	int err, e;

	err = shunt_load(s->pin_root);
	if (err)
		return err;
	err = shunt_attach_refresh(s);
	e = shunt_cgroup_refresh(s);
	return err ? err : e;
}
