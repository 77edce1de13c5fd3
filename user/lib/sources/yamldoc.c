// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* YAML documents with line numbers (libyaml's document API). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamldoc.h"

static int syntax_error(struct yamldoc *d, yaml_parser_t *p, size_t len,
			char *err, size_t errlen)
{
	/* An unterminated construct is only noticed at the end of the
	 * input: report it where it starts. */
	if (p->context && p->problem_mark.index + 1 >= len)
		snprintf(err, errlen, "%s:%zu: %s %s", d->path,
			 p->context_mark.line + 1, p->context,
			 p->problem ? p->problem : "");
	else
		snprintf(err, errlen, "%s:%zu: %s", d->path,
			 p->problem_mark.line + 1,
			 p->problem ? p->problem : "syntax error");
	return -EINVAL;
}

static int load(struct yamldoc *d, yaml_parser_t *p, size_t len, char *err,
		size_t errlen)
{
	yaml_document_t next;
	yaml_node_t *more;

	if (!yaml_parser_load(p, &d->doc))
		return syntax_error(d, p, len, err, errlen);
	d->loaded = true;
	/* One document per file: a second one would be silently lost. */
	if (!yaml_parser_load(p, &next)) {
		yamldoc_free(d);
		return syntax_error(d, p, len, err, errlen);
	}
	more = yaml_document_get_root_node(&next);
	if (more) {
		snprintf(err, errlen,
			 "%s:%zu: only one YAML document is supported", d->path,
			 next.start_mark.line + 1);
		yaml_document_delete(&next);
		yamldoc_free(d);
		return -EINVAL;
	}
	yaml_document_delete(&next);
	return 0;
}

int yamldoc_load_mem(struct yamldoc *d, const char *name, const char *buf,
		     size_t len, char *err, size_t errlen)
{
	yaml_parser_t p;
	int rc;

	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s", name);
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	rc = load(d, &p, len, err, errlen);
	yaml_parser_delete(&p);
	return rc;
}

int yamldoc_load(struct yamldoc *d, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f, *mem;
	char chunk[4096];
	size_t n;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	f = fopen(path, "re");
	mem = open_memstream(&buf, &len);
	if (!f || !mem) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	}
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	if (!rc && ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	if (f)
		fclose(f);
	if (mem)
		fclose(mem);
	if (!rc)
		rc = yamldoc_load_mem(d, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

void yamldoc_free(struct yamldoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	d->loaded = false;
}

yaml_node_t *yamldoc_root(struct yamldoc *d)
{
	return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

int yamldoc_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

const char *yamldoc_str(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

bool yamldoc_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t i;

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp((const char *)n->data.scalar.value, nulls[i]))
			return true;
	return false;
}

yaml_node_t *yamldoc_dup_key(struct yamldoc *d, yaml_node_t *map)
{
	const char *a, *b;
	size_t i, j;

	for (i = 1; i < yamldoc_map_len(map); i++) {
		a = yamldoc_str(yamldoc_map_key(d, map, i));
		for (j = 0; a && j < i; j++) {
			b = yamldoc_str(yamldoc_map_key(d, map, j));
			if (b && !strcmp(a, b))
				return yamldoc_map_key(d, map, i);
		}
	}
	return NULL;
}

bool yamldoc_is_map(const yaml_node_t *n)
{
	return n && n->type == YAML_MAPPING_NODE;
}

bool yamldoc_is_seq(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE;
}

size_t yamldoc_seq_len(const yaml_node_t *n)
{
	if (!yamldoc_is_seq(n))
		return 0;
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

yaml_node_t *yamldoc_seq_at(struct yamldoc *d, yaml_node_t *seq, size_t i)
{
	if (i >= yamldoc_seq_len(seq))
		return NULL;
	return yaml_document_get_node(&d->doc,
				      seq->data.sequence.items.start[i]);
}

size_t yamldoc_map_len(const yaml_node_t *n)
{
	if (!yamldoc_is_map(n))
		return 0;
	return n->data.mapping.pairs.top - n->data.mapping.pairs.start;
}

yaml_node_t *yamldoc_map_key(struct yamldoc *d, yaml_node_t *map, size_t i)
{
	if (i >= yamldoc_map_len(map))
		return NULL;
	return yaml_document_get_node(&d->doc,
				      map->data.mapping.pairs.start[i].key);
}

yaml_node_t *yamldoc_get(struct yamldoc *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;
	const char *k;

	if (!yamldoc_is_map(map))
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		k = yamldoc_str(yaml_document_get_node(&d->doc, pair->key));
		if (k && !strcmp(k, key))
			return yaml_document_get_node(&d->doc, pair->value);
	}
	return NULL;
}
