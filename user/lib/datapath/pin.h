/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Pin root layout: maps at the top, programs and links in subdirs. */
#ifndef SHUNT_PIN_H
#define SHUNT_PIN_H

#include <stdbool.h>

#define SHUNT_PIN_PROGS "progs"
#define SHUNT_PIN_LINKS "links"

int pin_ensure_bpffs(const char *root);
int pin_create_dirs(const char *root);
int pin_open_root(const char *root, bool lock);
int pin_remove_all(const char *root);

#endif /* SHUNT_PIN_H */
