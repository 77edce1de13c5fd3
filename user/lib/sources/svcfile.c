// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parsing and checking the declarative services file. */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maglev.h"
#include "parse.h"
#include "svcfile.h"
#include "yamldoc.h"

struct ctx {
	struct yamldoc *d;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d: %s", c->d->path, yamldoc_line(n),
		 why);
	return -EINVAL;
}

/* Every key of map must be one of allowed (NULL-terminated). */
static int check_keys(struct ctx *c, yaml_node_t *map, const char *what,
		      const char *const *allowed)
{
	const char *const *a;
	yaml_node_t *k;
	const char *key;
	size_t i;

	k = yamldoc_dup_key(c->d, map);
	if (k)
		return fail(c, k, "duplicate %s key '%s'", what,
			    yamldoc_str(k));
	for (i = 0; i < yamldoc_map_len(map); i++) {
		k = yamldoc_map_key(c->d, map, i);
		key = yamldoc_str(k);
		for (a = allowed; key && *a; a++)
			if (!strcmp(*a, key))
				break;
		if (!key || !*a)
			return fail(c, k, "unknown %s key '%s'", what,
				    key ? key : "?");
	}
	return 0;
}

/* A number key: *out stays dflt when absent and optional. */
static int get_u32(struct ctx *c, yaml_node_t *map, const char *key, __u32 min,
		   __u32 max, bool required, __u32 *out)
{
	yaml_node_t *n = yamldoc_get(c->d, map, key);
	const char *s = yamldoc_str(n);
	char why[128];

	if (!n)
		return required ? fail(c, map, "missing '%s'", key) : 0;
	if (!s)
		return fail(c, n, "'%s' must be a number", key);
	if (shunt_parse_u32(s, min, max, out, why, sizeof(why)))
		return fail(c, n, "%s: %s", key, why);
	return 0;
}

static int get_str(struct ctx *c, yaml_node_t *map, const char *key,
		   bool required, const char **out)
{
	yaml_node_t *n = yamldoc_get(c->d, map, key);

	if (!n)
		return required ? fail(c, map, "missing '%s'", key) : 0;
	*out = yamldoc_str(n);
	if (!*out)
		return fail(c, n, "'%s' must be a string", key);
	return 0;
}

static int parse_backend(struct ctx *c, yaml_node_t *n, __u8 family,
			 struct shunt_backend_spec *b)
{
	static const char *const keys[] = {"address", "port",	"weight",
					   "state",   "remote", NULL};
	const char *addr = NULL, *state = "active", *remote = "false";
	__u32 port = 0, weight = SHUNT_WEIGHT_DEFAULT;
	char why[128];

	if (!yamldoc_is_map(n))
		return fail(c, n, "a backend must be a mapping");
	if (check_keys(c, n, "backend", keys) ||
	    get_str(c, n, "address", true, &addr) ||
	    get_u32(c, n, "port", 1, 65535, true, &port) ||
	    get_u32(c, n, "weight", SHUNT_WEIGHT_MIN, SHUNT_WEIGHT_MAX, false,
		    &weight) ||
	    get_str(c, n, "state", false, &state) ||
	    get_str(c, n, "remote", false, &remote))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	if (shunt_parse_ip(addr, &b->addr, &b->family, why, sizeof(why)))
		return fail(c, yamldoc_get(c->d, n, "address"), "%s", why);
	if (b->family != family)
		return fail(c, yamldoc_get(c->d, n, "address"),
			    "backend %s is IPv%u, the VIP is IPv%u", addr,
			    b->family, family);
	if (!strcmp(state, "active"))
		b->state = SHUNT_BE_ACTIVE;
	else if (!strcmp(state, "draining"))
		b->state = SHUNT_BE_DRAINING;
	else
		return fail(c, yamldoc_get(c->d, n, "state"),
			    "state '%s' (active or draining)", state);
	if (!strcmp(remote, "true"))
		b->flags = SHUNT_BE_F_REMOTE;
	else if (strcmp(remote, "false"))
		return fail(c, yamldoc_get(c->d, n, "remote"),
			    "remote '%s' (true or false)", remote);
	b->port = htons(port);
	b->weight = weight;
	return 0;
}

/* A frontend of s at vip (NULL: the NodePort wildcard) and port. */
static int add_frontend(struct ctx *c, yaml_node_t *at,
			struct shunt_service_spec *s, const char *vip,
			__u32 port, const char *proto, __u32 flags)
{
	struct shunt_frontend_spec *f;
	char text[128], why[128];

	if (!vip)
		snprintf(text, sizeof(text), "%s:%u/%s",
			 s->n_frontends &&
					 s->frontends[0].key.family == SHUNT_V6
				 ? "[*]"
				 : "*",
			 port, proto);
	else
		snprintf(text, sizeof(text),
			 strchr(vip, ':') ? "[%s]:%u/%s" : "%s:%u/%s", vip,
			 port, proto);
	f = &s->frontends[s->n_frontends];
	memset(f, 0, sizeof(*f));
	/* An address first (not "*", not IP:PORT): its error is the one. */
	if (vip &&
	    shunt_parse_ip(vip, &f->key.vip, &f->key.family, why, sizeof(why)))
		return fail(c, at, "%s", why);
	if (shunt_parse_service(text, &f->key, why, sizeof(why)))
		return fail(c, at, "%s", why);
	if (s->n_frontends && f->key.family != s->frontends[0].key.family)
		return fail(c, at, "%s is IPv%u, the VIP is IPv%u", vip,
			    f->key.family, s->frontends[0].key.family);
	for (size_t i = 0; i < s->n_frontends; i++)
		if (!memcmp(&s->frontends[i].key, &f->key, sizeof(f->key)))
			return fail(c, at, "duplicate frontend %s", text);
	f->flags = flags;
	s->n_frontends++;
	return 0;
}

static int parse_external_ips(struct ctx *c, yaml_node_t *n,
			      struct shunt_service_spec *s, __u32 port,
			      const char *proto)
{
	yaml_node_t *list = yamldoc_get(c->d, n, "external_ips"), *ip;
	size_t i;
	int err = 0;

	if (!list || yamldoc_is_null(list))
		return 0;
	if (!yamldoc_is_seq(list))
		return fail(c, list, "'external_ips' must be a list");
	for (i = 0; i < yamldoc_seq_len(list) && !err; i++) {
		ip = yamldoc_seq_at(c->d, list, i);
		if (!yamldoc_str(ip))
			return fail(c, ip, "an external IP must be a string");
		err = add_frontend(c, ip, s, yamldoc_str(ip), port, proto,
				   SHUNT_FE_F_EXTERNAL);
	}
	return err;
}

/* vip, port, protocol, node_port, external_ips: the frontends. */
static int parse_frontends(struct ctx *c, yaml_node_t *n,
			   struct shunt_service_spec *s)
{
	const char *vip = NULL, *proto = "tcp";
	yaml_node_t *ext = yamldoc_get(c->d, n, "external_ips");
	__u32 port = 0, node_port = 0;
	int err;

	if (get_str(c, n, "vip", true, &vip) ||
	    get_u32(c, n, "port", 1, 65535, true, &port) ||
	    get_str(c, n, "protocol", false, &proto) ||
	    get_u32(c, n, "node_port", 1, 65535, false, &node_port))
		return -EINVAL;
	if (strcasecmp(proto, "tcp") && strcasecmp(proto, "udp"))
		return fail(c, yamldoc_get(c->d, n, "protocol"),
			    "protocol '%s' (tcp or udp)", proto);
	s->frontends = calloc(2 + yamldoc_seq_len(ext), sizeof(*s->frontends));
	if (!s->frontends)
		return -ENOMEM;
	err = add_frontend(c, yamldoc_get(c->d, n, "vip"), s, vip, port, proto,
			   0);
	if (!err && node_port)
		err = add_frontend(c, yamldoc_get(c->d, n, "node_port"), s,
				   NULL, node_port, proto,
				   SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_NODEPORT);
	if (!err)
		err = parse_external_ips(c, n, s, port, proto);
	return err;
}

static int add_range(struct ctx *c, yaml_node_t *n,
		     struct shunt_service_spec *s)
{
	struct shunt_src_range *r = &s->src_ranges[s->n_src_ranges];
	char why[160];
	size_t i;

	if (!yamldoc_str(n))
		return fail(c, n, "a source range must be a string");
	if (shunt_src_range_parse(yamldoc_str(n), r, why, sizeof(why)))
		return fail(c, n, "source_ranges: %s", why);
	if (r->family != s->frontends[0].key.family)
		return fail(c, n, "source range %s is IPv%u, the service IPv%u",
			    yamldoc_str(n), r->family,
			    s->frontends[0].key.family);
	for (i = 0; i < s->n_src_ranges; i++)
		if (!shunt_src_range_cmp(&s->src_ranges[i], r))
			return fail(c, n, "duplicate source range %s",
				    yamldoc_str(n));
	s->n_src_ranges++;
	return 0;
}

/* source_ranges: the CIDRs every frontend of the service serves. */
static int parse_src_ranges(struct ctx *c, yaml_node_t *n,
			    struct shunt_service_spec *s)
{
	yaml_node_t *list = yamldoc_get(c->d, n, "source_ranges");
	size_t i, len = yamldoc_seq_len(list);
	int err = 0;

	if (!list || yamldoc_is_null(list))
		return 0;
	if (!yamldoc_is_seq(list))
		return fail(c, list, "'source_ranges' must be a list");
	if (len > SHUNT_MAX_SVC_SRC_RANGES)
		return fail(c, list, "%zu source ranges: at most %u", len,
			    SHUNT_MAX_SVC_SRC_RANGES);
	s->src_ranges = calloc(len + 1, sizeof(*s->src_ranges));
	if (!s->src_ranges)
		return -ENOMEM;
	for (i = 0; i < len && !err; i++)
		err = add_range(c, yamldoc_seq_at(c->d, list, i), s);
	shunt_src_ranges_normalize(s->src_ranges, &s->n_src_ranges);
	for (i = 0; i < s->n_frontends && s->n_src_ranges; i++)
		s->frontends[i].flags |= SHUNT_FE_F_SRC_RANGES;
	return err;
}

static int parse_backends(struct ctx *c, yaml_node_t *n,
			  struct shunt_service_spec *s)
{
	yaml_node_t *bs = yamldoc_get(c->d, n, "backends"), *b;
	__u32 cap = shunt_backend_capacity(s->table_size);
	size_t i, j;
	int err = 0;

	if (yamldoc_is_null(bs))
		bs = NULL; /* "backends:" with nothing: none */
	if (bs && !yamldoc_is_seq(bs))
		return fail(c, bs, "'backends' must be a list");
	s->n_backends = yamldoc_seq_len(bs);
	if (s->n_backends > cap) {
		if (s->table_size)
			return fail(
				c, bs,
				"%zu backends: at most %u for table_size %u",
				s->n_backends, cap, s->table_size);
		return fail(c, bs, "%zu backends: at most %u per service",
			    s->n_backends, cap);
	}
	s->backends = calloc(s->n_backends + 1, sizeof(*s->backends));
	if (!s->backends)
		return -ENOMEM;
	for (i = 0; i < s->n_backends && !err; i++) {
		b = yamldoc_seq_at(c->d, bs, i);
		err = parse_backend(c, b, s->frontends[0].key.family,
				    &s->backends[i]);
		for (j = 0; !err && j < i; j++)
			if (!memcmp(&s->backends[j].addr, &s->backends[i].addr,
				    sizeof(s->backends[i].addr)) &&
			    s->backends[j].port == s->backends[i].port)
				err = fail(c, b, "duplicate backend");
	}
	return err;
}

static int parse_service(struct ctx *c, yaml_node_t *n,
			 struct shunt_service_spec *s)
{
	static const char *const keys[] = {
		"name",	     "vip",	     "port",	      "protocol",
		"node_port", "external_ips", "table_size",    "affinity",
		"lb_mode",   "backends",     "source_ranges", NULL};
	const char *name = NULL, *mode = NULL;
	__u32 mode_flag = 0;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!yamldoc_is_map(n))
		return fail(c, n, "a service must be a mapping");
	if (check_keys(c, n, "service", keys) ||
	    get_str(c, n, "name", false, &name) || parse_frontends(c, n, s) ||
	    get_u32(c, n, "table_size", SHUNT_MAGLEV_MIN, SHUNT_MAGLEV_MAX,
		    false, &s->table_size) ||
	    get_u32(c, n, "affinity", 1, SHUNT_AFFINITY_MAX_SECONDS, false,
		    &s->affinity_timeout) ||
	    get_str(c, n, "lb_mode", false, &mode) || parse_src_ranges(c, n, s))
		return -EINVAL;
	if (mode && !strcmp(mode, "dsr"))
		mode_flag = SHUNT_FE_F_MODE_DSR;
	else if (mode && !strcmp(mode, "snat"))
		mode_flag = SHUNT_FE_F_MODE_SNAT;
	else if (mode)
		return fail(c, yamldoc_get(c->d, n, "lb_mode"),
			    "lb_mode '%s' (snat or dsr)", mode);
	/* How external traffic reaches a remote backend. */
	for (i = 0; i < s->n_frontends; i++)
		if (s->frontends[i].flags & SHUNT_FE_F_EXTERNAL)
			s->frontends[i].flags |= mode_flag;
	if (s->table_size && !maglev_is_prime(s->table_size))
		return fail(c, yamldoc_get(c->d, n, "table_size"),
			    "table_size %u is not a prime", s->table_size);
	if (name && (!*name || strlen(name) >= sizeof(s->name)))
		return fail(c, yamldoc_get(c->d, n, "name"),
			    "name must have 1 to %zu characters",
			    sizeof(s->name) - 1);
	if (name)
		snprintf(s->name, sizeof(s->name), "%s", name);
	else
		shunt_format_service(&s->frontends[0].key, s->name,
				     sizeof(s->name));
	return parse_backends(c, n, s);
}

/* Where each service of the file is, for messages about duplicates. */
struct seen {
	const char *name;
	const struct shunt_frontend_key *key; /* NULL: the name entry */
	size_t idx;			      /* in the file */
};

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = x->key ? memcmp(x->key, y->key, sizeof(*x->key))
		       : strcmp(x->name, y->name);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Names and frontends are unique across the file: sorted, a duplicate is
 * next to its first use and reported at the later one. */
static int check_unique(struct ctx *c, yaml_node_t **nodes,
			const struct shunt_desired *out)
{
	size_t i, j, n = 0, nfe = 0, bad = (size_t)-1, first = 0;
	char fe[SHUNT_ADDRSTRLEN];
	struct seen *v;
	bool name_dup = false;

	for (i = 0; i < out->n; i++)
		nfe += out->svcs[i].n_frontends;
	v = calloc(out->n + nfe + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < out->n; i++)
		v[n++] = (struct seen){.name = out->svcs[i].name, .idx = i};
	qsort(v, n, sizeof(*v), cmp_seen);
	for (i = 1; i < n; i++)
		if (!strcmp(v[i].name, v[i - 1].name) && v[i].idx < bad) {
			bad = v[i].idx;
			name_dup = true;
		}
	n = 0;
	for (i = 0; i < out->n; i++)
		for (j = 0; j < out->svcs[i].n_frontends; j++)
			v[n++] = (struct seen){
				.key = &out->svcs[i].frontends[j].key,
				.idx = i};
	qsort(v, n, sizeof(*v), cmp_seen);
	for (i = 1; i < n; i++)
		if (!memcmp(v[i].key, v[i - 1].key, sizeof(*v[i].key)) &&
		    v[i].idx < bad) {
			bad = v[i].idx;
			first = i;
			name_dup = false;
		}
	if (bad == (size_t)-1) {
		free(v);
		return 0;
	}
	if (name_dup)
		fail(c, nodes[bad], "duplicate service name '%s'",
		     out->svcs[bad].name);
	else
		fail(c, nodes[bad], "duplicate service %s",
		     shunt_format_service(v[first].key, fe, sizeof(fe)));
	free(v);
	return -EINVAL;
}

static int parse_doc(struct ctx *c, struct shunt_desired *out)
{
	static const char *const keys[] = {"services", NULL};
	struct shunt_service_spec s;
	yaml_node_t *root = yamldoc_root(c->d), *list, **nodes;
	size_t i;
	int err = 0;

	if (yamldoc_is_null(root))
		return 0; /* empty file, or just "---": no services */
	if (!yamldoc_is_map(root))
		return fail(c, root, "expected a mapping with 'services'");
	if (check_keys(c, root, "top-level", keys))
		return -EINVAL;
	list = yamldoc_get(c->d, root, "services");
	if (yamldoc_is_null(list))
		return 0; /* "services:", "services: null": none */
	if (list && !yamldoc_is_seq(list))
		return fail(c, list, "'services' must be a list");
	nodes = calloc(yamldoc_seq_len(list) + 1, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	for (i = 0; i < yamldoc_seq_len(list) && !err; i++) {
		nodes[i] = yamldoc_seq_at(c->d, list, i);
		err = parse_service(c, nodes[i], &s);
		if (!err)
			err = shunt_desired_add(out, &s);
		shunt_spec_free(&s);
	}
	if (!err)
		err = check_unique(c, nodes, out);
	free(nodes);
	return err;
}

static int finish(struct yamldoc *d, struct shunt_desired *out, char *err,
		  size_t errlen)
{
	struct shunt_desired tmp;
	struct ctx c = {.d = d, .err = err, .errlen = errlen};
	int rc;

	shunt_desired_init(&tmp);
	rc = parse_doc(&c, &tmp);
	yamldoc_free(d);
	if (rc) {
		shunt_desired_free(&tmp);
		return rc;
	}
	*out = tmp;
	return 0;
}

int shunt_svcfile_load(const char *path, struct shunt_desired *out, char *err,
		       size_t errlen)
{
	struct yamldoc d;
	int rc = yamldoc_load(&d, path, err, errlen);

	return rc ? rc : finish(&d, out, err, errlen);
}

int shunt_svcfile_parse(const char *name, const char *buf, size_t len,
			struct shunt_desired *out, char *err, size_t errlen)
{
	struct yamldoc d;
	int rc = yamldoc_load_mem(&d, name, buf, len, err, errlen);

	return rc ? rc : finish(&d, out, err, errlen);
}
