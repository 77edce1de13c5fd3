/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Replacing the running programs with this build's while keeping every
 * map, so an agent upgrade neither drops state nor stops traffic: new
 * programs are loaded against the pinned maps, then each attachment is
 * switched over atomically (bpf_link_update, tc filter replace).
 */
#ifndef SHUNT_UPGRADE_H
#define SHUNT_UPGRADE_H

#include "shunt.h"

/* s: an open handle (writer lock held). -errno when this build's objects
 * do not fit the pinned maps (the old programs then keep running). */
int shunt_upgrade(struct shunt *s);

#endif /* SHUNT_UPGRADE_H */
