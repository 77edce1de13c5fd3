/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A loaded YAML (or JSON) document with line numbers, over libyaml's
 * document API: for the services file, shuntd's config and kubeconfig.
 * A file holds one document; a second one is an error.
 * Nodes are libyaml node pointers; NULL means "absent".
 */
#ifndef SHUNT_YAMLDOC_H
#define SHUNT_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

struct yamldoc {
	yaml_document_t doc;
	bool loaded;
	char path[256]; /* for messages */
};

/* Load path. On error -EINVAL (syntax: err = "PATH:LINE: reason") or
 * -errno (err = "PATH: reason"). An empty file is an empty mapping. */
int yamldoc_load(struct yamldoc *d, const char *path, char *err, size_t errlen);
/* The same from a buffer; name is used in messages. */
int yamldoc_load_mem(struct yamldoc *d, const char *name, const char *buf,
		     size_t len, char *err, size_t errlen);
void yamldoc_free(struct yamldoc *d);

yaml_node_t *yamldoc_root(struct yamldoc *d);
/* 1-based line of a node (its start). */
int yamldoc_line(const yaml_node_t *n);
/* Value of key in a mapping node, or NULL. */
yaml_node_t *yamldoc_get(struct yamldoc *d, yaml_node_t *map, const char *key);
/* Scalar text (NUL-terminated by libyaml), or NULL if not a scalar. */
const char *yamldoc_str(const yaml_node_t *n);
bool yamldoc_is_map(const yaml_node_t *n);
/* Absent, or a plain null scalar ("", ~, null). */
bool yamldoc_is_null(const yaml_node_t *n);
/* The first key of map that repeats an earlier one, or NULL. */
yaml_node_t *yamldoc_dup_key(struct yamldoc *d, yaml_node_t *map);
bool yamldoc_is_seq(const yaml_node_t *n);
size_t yamldoc_seq_len(const yaml_node_t *n);
yaml_node_t *yamldoc_seq_at(struct yamldoc *d, yaml_node_t *seq, size_t i);
/* Keys of a mapping, for "unknown key" checks: the i-th key node. */
size_t yamldoc_map_len(const yaml_node_t *n);
yaml_node_t *yamldoc_map_key(struct yamldoc *d, yaml_node_t *map, size_t i);

#endif /* SHUNT_YAMLDOC_H */
