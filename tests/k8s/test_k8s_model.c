// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the Kubernetes model (user/lib/sources/k8s_parse.c,
 * k8s_translate.c): Services and EndpointSlices from the JSON fixtures in
 * tests/k8s/fixtures (List objects as kubectl prints them) or inline,
 * turned into exact desired services: one per Service port and address
 * family, by name ("ns/name:port", "/ipv6", "/local"), with their
 * frontends and flags (cluster IPs, the NodePort wildcard, load balancer
 * and external IPs), backends and their states, affinity; and frontends
 * claimed by two Services kept by the first by namespace/name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_model.h"
#include "parse.h"

#define MAX_OBJS 32
#define STRLEN	 2048

struct fixture {
	struct k8s_service *svcs[MAX_OBJS];
	size_t n_svcs;
	struct k8s_slice *slices[MAX_OBJS];
	size_t n_slices;
	struct shunt_desired d;
};

static void fixture_path(const char *name, char *buf, size_t len)
{
	const char *src = getenv("SHUNT_SRC");

	snprintf(buf, len, "%s/tests/k8s/fixtures/%s", src ? src : ".", name);
}

static void add_item(struct fixture *f, struct json_object *item)
{
	struct json_object *kind;
	const char *k;
	char err[256] = "";

	assert_true(json_object_object_get_ex(item, "kind", &kind));
	k = json_object_get_string(kind);
	if (!strcmp(k, "Service")) {
		assert_true(f->n_svcs < MAX_OBJS);
		if (k8s_service_parse(item, &f->svcs[f->n_svcs], err,
				      sizeof(err)))
			fail_msg("Service: %s", err);
		f->n_svcs++;
	} else if (!strcmp(k, "EndpointSlice")) {
		assert_true(f->n_slices < MAX_OBJS);
		if (k8s_slice_parse(item, &f->slices[f->n_slices], err,
				    sizeof(err)))
			fail_msg("EndpointSlice: %s", err);
		f->n_slices++;
	} else {
		fail_msg("unexpected kind %s", k);
	}
}

/* --service-proxy-name for translate(); NULL: unset. */
static const char *proxy_name;
static const char *zone; /* this node's zone label, for topology hints */
/* --external-ip-cidrs for translate(); 0: none. */
static struct shunt_cidr ext_cidrs[2];
static size_t n_ext_cidrs;
/* --lb-source-ranges-nodeport for translate(). */
static bool ranges_nodeport;
/* The refusals of the last translate(): "SERVICE FRONTEND REASON HOLDER"
 * lines ("-" for no holder). */
static char refusals[4096];

static void note_refusal(void *arg, const char *service,
			 const struct shunt_frontend_key *k,
			 enum k8s_refusal why, const char *holder)
{
	char fe[SHUNT_ADDRSTRLEN + 16];
	size_t n = strlen(refusals);

	(void)arg;
	shunt_format_service(k, fe, sizeof(fe));
	snprintf(refusals + n, sizeof(refusals) - n, "%s %s %s %s\n", service,
		 fe, k8s_refusal_name(why), holder ? holder : "-");
}

/* f->d: the objects of f translated for node (NULL: no node name). */
static void translate(struct fixture *f, const char *node)
{
	struct k8s_model_opts o = {.node_name = node,
				   .service_proxy_name = proxy_name,
				   .zone = zone,
				   .external_ip_cidrs = ext_cidrs,
				   .n_external_ip_cidrs = n_ext_cidrs,
				   .src_ranges_nodeport = ranges_nodeport,
				   .refused = note_refusal};

	refusals[0] = '\0';
	assert_int_equal(
		k8s_model_desired((const struct k8s_service *const *)f->svcs,
				  f->n_svcs,
				  (const struct k8s_slice *const *)f->slices,
				  f->n_slices, &o, &f->d),
		0);
}

/* Parse a List object (or an array of objects) and translate it. */
static void load_json(struct fixture *f, struct json_object *root,
		      const char *node)
{
	struct json_object *items = root;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (!json_object_is_type(root, json_type_array))
		assert_true(json_object_object_get_ex(root, "items", &items));
	for (i = 0; i < json_object_array_length(items); i++)
		add_item(f, json_object_array_get_idx(items, i));
	translate(f, node);
}

/* The fixture file name, translated for node. */
static void load(struct fixture *f, const char *name, const char *node)
{
	struct json_object *root;
	char path[512];

	fixture_path(name, path, sizeof(path));
	root = json_object_from_file(path);
	if (!root)
		fail_msg("%s: %s", path, json_util_get_last_err());
	load_json(f, root, node);
	json_object_put(root);
}

/* Inline JSON: an array of objects. */
static void load_text(struct fixture *f, const char *text, const char *node)
{
	struct json_object *root = json_tokener_parse(text);

	if (!root)
		fail_msg("test bug: bad JSON: %s", text);
	load_json(f, root, node);
	json_object_put(root);
}

static void unload(struct fixture *f)
{
	size_t i;

	for (i = 0; i < f->n_svcs; i++)
		k8s_service_free(f->svcs[i]);
	for (i = 0; i < f->n_slices; i++)
		k8s_slice_free(f->slices[i]);
	shunt_desired_free(&f->d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Words of s, sorted, joined by single spaces: sets compare as strings. */
static void canon(const char *s, char *out, size_t len)
{
	char buf[STRLEN], *words[256], *w, *save;
	size_t n = 0, i;

	snprintf(buf, sizeof(buf), "%s", s);
	for (w = strtok_r(buf, " ", &save); w && n < 256;
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	qsort(words, n, sizeof(*words), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		strncat(out, words[i], len - strlen(out) - 1);
		if (i + 1 < n)
			strncat(out, " ", len - strlen(out) - 1);
	}
}

static void assert_same_set(const char *what, const char *got, const char *want)
{
	char g[STRLEN], w[STRLEN];

	canon(got, g, sizeof(g));
	canon(want, w, sizeof(w));
	if (strcmp(g, w))
		fail_msg("%s:\n  got  '%s'\n  want '%s'", what, g, w);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* text's lines, sorted, joined by '\n'. */
static void sort_lines(const char *text, char *out, size_t len)
{
	char copy[STRLEN], *lines[64], *save, *l;
	size_t n = 0, i;

	snprintf(copy, sizeof(copy), "%s", text);
	for (l = strtok_r(copy, "\n", &save); l && n < 64;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, n, sizeof(lines[0]), cmp_line);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s\n",
			 lines[i]);
}

/* The same lines in any order. */
static void assert_same_lines(const char *what, const char *got,
			      const char *want)
{
	char g[STRLEN], w[STRLEN];

	sort_lines(got, g, sizeof(g));
	sort_lines(want, w, sizeof(w));
	if (strcmp(g, w))
		fail_msg("%s:\n  got\n%s  want\n%s", what, g, w);
}

static void append(char *buf, size_t len, const char *word)
{
	snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		 buf[0] ? " " : "", word);
}

/* Frontend j of service i is also one of an earlier frontend. */
static void assert_fe_unique(const struct shunt_desired *d, size_t i, size_t j)
{
	const struct shunt_frontend_key *k = &d->svcs[i].frontends[j].key;
	char a[SHUNT_ADDRSTRLEN];
	size_t x, y;

	for (x = 0; x <= i; x++)
		for (y = 0; y < (x < i ? d->svcs[x].n_frontends : j); y++)
			if (!memcmp(&d->svcs[x].frontends[y].key, k,
				    sizeof(*k)))
				fail_msg("%s in '%s' and '%s'",
					 shunt_format_service(k, a, sizeof(a)),
					 d->svcs[x].name, d->svcs[i].name);
}

/*
 * The names of all services are exactly want; the services are sorted
 * by name, names and frontends unique across the desired state, every
 * service has a frontend.
 */
static void assert_names(const struct shunt_desired *d, const char *want)
{
	char got[STRLEN] = "";
	size_t i, j;

	for (i = 0; i < d->n; i++) {
		const struct shunt_service_spec *s = &d->svcs[i];

		if (i && strcmp(d->svcs[i - 1].name, s->name) >= 0)
			fail_msg("'%s' after '%s': not sorted by name, or "
				 "twice",
				 s->name, d->svcs[i - 1].name);
		if (!s->n_frontends)
			fail_msg("'%s' has no frontend", s->name);
		for (j = 0; j < s->n_frontends; j++)
			assert_fe_unique(d, i, j);
		append(got, sizeof(got), s->name);
	}
	assert_same_set("service names", got, want);
}

/* The service named name; table size automatic, as every Kubernetes
 * service's. */
static const struct shunt_service_spec *spec(const struct shunt_desired *d,
					     const char *name)
{
	const struct shunt_service_spec *s = shunt_desired_find(d, name);

	if (!s)
		fail_msg("no service named '%s'", name);
	assert_int_equal(s->table_size, 0);
	return s;
}

/* "KEY", or "KEY[FLAGS]" with N NodePort, E external, L local. */
static void fe_word(const struct shunt_frontend_spec *f, char *buf, size_t len)
{
	char k[SHUNT_ADDRSTRLEN];

	shunt_format_service(&f->key, k, sizeof(k));
	if (!f->flags)
		snprintf(buf, len, "%s", k);
	else
		snprintf(buf, len, "%s[%s%s%s]", k,
			 f->flags & SHUNT_FE_F_NODEPORT ? "N" : "",
			 f->flags & SHUNT_FE_F_EXTERNAL ? "E" : "",
			 f->flags & SHUNT_FE_F_LOCAL ? "L" : "");
}

/*
 * The frontends of service name, as a set of fe_word() words; all of one
 * family and protocol; a zero VIP (the NodePort wildcard) exactly when
 * flagged NODEPORT.
 */
static void assert_frontends(const struct shunt_desired *d, const char *name,
			     const char *want)
{
	const struct shunt_service_spec *s = spec(d, name);
	char got[STRLEN] = "", w[SHUNT_ADDRSTRLEN + 8], what[256];
	size_t i;

	for (i = 0; i < s->n_frontends; i++) {
		const struct shunt_frontend_spec *f = &s->frontends[i];

		assert_int_equal(f->key.family, s->frontends[0].key.family);
		assert_int_equal(f->key.proto, s->frontends[0].key.proto);
		assert_int_equal(shunt_frontend_is_nodeport(&f->key) ? 1 : 0,
				 f->flags & SHUNT_FE_F_NODEPORT ? 1 : 0);
		fe_word(f, w, sizeof(w));
		append(got, sizeof(got), w);
	}
	snprintf(what, sizeof(what), "frontends of '%s'", name);
	assert_same_set(what, got, want);
}

/*
 * The backends of service name, as "ADDR:PORT" words ("ADDR:PORT~" when
 * draining); all of weight 1 and of the frontends' family, sorted, no
 * duplicates.
 */
static void assert_backends(const struct shunt_desired *d, const char *name,
			    const char *want)
{
	const struct shunt_service_spec *s = spec(d, name);
	char got[STRLEN] = "", buf[SHUNT_ADDRSTRLEN + 2], what[256];
	size_t i;

	for (i = 0; i < s->n_backends; i++) {
		const struct shunt_backend_spec *b = &s->backends[i];

		assert_int_equal(b->weight, 1);
		assert_int_equal(b->family, s->frontends[0].key.family);
		assert_true(b->state == SHUNT_BE_ACTIVE ||
			    b->state == SHUNT_BE_DRAINING);
		shunt_format_endpoint(&b->addr, b->port, b->family, buf,
				      sizeof(buf));
		if (b->state == SHUNT_BE_DRAINING)
			strcat(buf, "~");
		append(got, sizeof(got), buf);
	}
	snprintf(what, sizeof(what), "backends of '%s'", name);
	assert_same_set(what, got, want);
	for (i = 1; i < s->n_backends; i++) /* sorted, no duplicates */
		assert_true(
			memcmp(&s->backends[i - 1].addr, &s->backends[i].addr,
			       sizeof(s->backends[i].addr)) < 0 ||
			(!memcmp(&s->backends[i - 1].addr, &s->backends[i].addr,
				 sizeof(s->backends[i].addr)) &&
			 ntohs(s->backends[i - 1].port) <
				 ntohs(s->backends[i].port)));
}

static void assert_affinity(const struct shunt_desired *d, const char *name,
			    __u32 timeout)
{
	assert_int_equal(spec(d, name)->affinity_timeout, timeout);
}

/* Frontend fe ("VIP:PORT/PROTO") is served by the service named name. */
static void assert_owner(const struct shunt_desired *d, const char *fe,
			 const char *name)
{
	const struct shunt_service_spec *s;
	struct shunt_frontend_key k;

	assert_int_equal(shunt_parse_service(fe, &k, NULL, 0), 0);
	s = shunt_desired_find_frontend(d, &k);
	if (!s)
		fail_msg("nobody serves %s, want '%s'", fe, name);
	if (strcmp(s->name, name))
		fail_msg("%s is served by '%s', want '%s'", fe, s->name, name);
}

/* Two desired states are the same, spec by spec (frontends and backends
 * in order: both come from the same translation). */
static void assert_same_desired(const struct shunt_desired *a,
				const struct shunt_desired *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		const struct shunt_service_spec *x = &a->svcs[i],
						*y = &b->svcs[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->table_size, y->table_size);
		assert_int_equal(x->affinity_timeout, y->affinity_timeout);
		assert_int_equal(x->n_frontends, y->n_frontends);
		assert_memory_equal(x->frontends, y->frontends,
				    x->n_frontends * sizeof(*x->frontends));
		assert_int_equal(x->n_backends, y->n_backends);
		if (x->n_backends)
			assert_memory_equal(x->backends, y->backends,
					    x->n_backends *
						    sizeof(*x->backends));
		assert_int_equal(x->n_src_ranges, y->n_src_ranges);
		if (x->n_src_ranges)
			assert_memory_equal(x->src_ranges, y->src_ranges,
					    x->n_src_ranges *
						    sizeof(*x->src_ranges));
	}
}

/* --- tests ------------------------------------------------------------- */

static void test_clusterip(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "clusterip.json", "node-a");
	/* One service per port and family; SCTP left out. */
	assert_names(&f.d, "default/web:http prod/dual:443 prod/dual:443/ipv6 "
			   "kube-system/dns:dns kube-system/dns:dns-tcp");
	assert_frontends(&f.d, "default/web:http", "10.96.0.10:80/tcp");
	assert_backends(&f.d, "default/web:http",
			"10.244.1.5:8080 10.244.2.7:8080");
	assert_affinity(&f.d, "default/web:http", 0);
	/* Dual-stack: each family gets its own slices' endpoints; an
	 * unnamed port is named by its number. */
	assert_frontends(&f.d, "prod/dual:443", "10.96.0.20:443/tcp");
	assert_backends(&f.d, "prod/dual:443", "10.244.3.3:8443");
	assert_frontends(&f.d, "prod/dual:443/ipv6", "[fd00:96::20]:443/tcp");
	assert_backends(&f.d, "prod/dual:443/ipv6",
			"[fd00:244::3]:8443 [fd00:244::4]:8443");
	/* UDP and TCP on one port number, by port name. */
	assert_frontends(&f.d, "kube-system/dns:dns", "10.96.0.53:53/udp");
	assert_backends(&f.d, "kube-system/dns:dns",
			"10.244.0.2:53 10.244.0.3:53");
	assert_frontends(&f.d, "kube-system/dns:dns-tcp", "10.96.0.53:53/tcp");
	assert_backends(&f.d, "kube-system/dns:dns-tcp",
			"10.244.0.2:5353 10.244.0.3:5353");
	assert_owner(&f.d, "10.96.0.53:53/tcp", "kube-system/dns:dns-tcp");
	unload(&f);
}

/* NodePort: one more frontend on the cluster service, the wildcard
 * *:nodePort (every node address), flagged NODEPORT and EXTERNAL. */
/* The backends of service name marked SHUNT_BE_F_REMOTE are the
 * addresses in want (space-separated, in order). */
static void assert_remote(const struct shunt_desired *d, const char *name,
			  const char *want)
{
	const struct shunt_service_spec *s = spec(d, name);
	char got[512] = "", a[64];
	size_t i;

	for (i = 0; i < s->n_backends; i++) {
		if (!(s->backends[i].flags & SHUNT_BE_F_REMOTE))
			continue;
		inet_ntop(s->backends[i].family == SHUNT_V4 ? AF_INET
							    : AF_INET6,
			  &s->backends[i].addr, a, sizeof(a));
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 got[0] ? " " : "", a);
	}
	assert_string_equal(got, want);
}

static void clear_remote(struct shunt_desired *d)
{
	size_t i, j;

	for (i = 0; i < d->n; i++)
		for (j = 0; j < d->svcs[i].n_backends; j++)
			d->svcs[i].backends[j].flags &= ~SHUNT_BE_F_REMOTE;
}

static void test_nodeport(void **state)
{
	const char *be = "10.244.1.10:8080 10.244.2.10:8080";
	const char *be_udp = "10.244.1.10:5514 10.244.2.10:5514";
	struct fixture f, g;

	(void)state;
	/* A stale load balancer ingress of a NodePort Service is not a
	 * frontend. */
	load(&f, "nodeport.json", "node-a");
	assert_names(&f.d, "default/np:http default/np:syslog");
	assert_frontends(&f.d, "default/np:http",
			 "10.96.1.1:80/tcp *:30080/tcp[NE]");
	assert_backends(&f.d, "default/np:http", be);
	assert_frontends(&f.d, "default/np:syslog",
			 "10.96.1.1:514/udp *:30514/udp[NE]");
	assert_backends(&f.d, "default/np:syslog", be_udp);
	assert_owner(&f.d, "*:30080/tcp", "default/np:http");

	/* Cluster policy: the same backends whichever node this is; only
	 * the endpoints of other nodes are marked remote (masqueraded from
	 * outside), none when this node's name is unknown. */
	assert_remote(&f.d, "default/np:http", "10.244.2.10");
	assert_remote(&f.d, "default/np:syslog", "10.244.2.10");
	load(&g, "nodeport.json", NULL);
	assert_remote(&g.d, "default/np:http", "");
	clear_remote(&f.d);
	assert_same_desired(&f.d, &g.d);
	unload(&g);
	unload(&f);
}

static void test_loadbalancer(void **state)
{
	const char *be = "10.244.1.20:8443 10.244.2.20:8443";
	const char *all = "10.244.1.30:8080 10.244.1.31:8080 10.244.2.30:8080 "
			  "10.244.3.30:8080";
	struct fixture f;

	(void)state;
	load(&f, "loadbalancer.json", "node-a");
	assert_names(&f.d, "shop/lb:https shop/lb-local:http "
			   "shop/lb-local:http/local shop/lb-nonp:dns");
	/* Cluster policy: one service, every frontend, every endpoint.
	 * Ingress by hostname or with ipMode Proxy gives no frontend. */
	assert_frontends(&f.d, "shop/lb:https",
			 "10.96.2.2:443/tcp *:31443/tcp[NE] "
			 "203.0.113.10:443/tcp[E] 198.51.100.7:443/tcp[E]");
	assert_backends(&f.d, "shop/lb:https", be);
	/* Local: the cluster IP keeps all endpoints; the external
	 * frontends (NodePort, ingress, external IPs) are a service of
	 * their own with this node's endpoints only. */
	assert_frontends(&f.d, "shop/lb-local:http", "10.96.2.3:80/tcp");
	assert_backends(&f.d, "shop/lb-local:http", all);
	assert_frontends(&f.d, "shop/lb-local:http/local",
			 "*:31080/tcp[NEL] 203.0.113.20:80/tcp[EL] "
			 "198.51.100.8:80/tcp[EL]");
	assert_backends(&f.d, "shop/lb-local:http/local",
			"10.244.1.30:8080 10.244.1.31:8080");
	assert_owner(&f.d, "203.0.113.20:80/tcp", "shop/lb-local:http/local");
	/* No nodePort (allocateLoadBalancerNodePorts: false): no
	 * wildcard. */
	assert_frontends(&f.d, "shop/lb-nonp:dns",
			 "10.96.2.4:53/udp 203.0.113.30:53/udp[E]");
	assert_backends(&f.d, "shop/lb-nonp:dns", "10.244.1.40:5353");
	unload(&f);

	/* A node without local endpoints: the local service stays, empty;
	 * the others do not change. */
	load(&f, "loadbalancer.json", "node-c");
	assert_frontends(&f.d, "shop/lb-local:http/local",
			 "*:31080/tcp[NEL] 203.0.113.20:80/tcp[EL] "
			 "198.51.100.8:80/tcp[EL]");
	assert_backends(&f.d, "shop/lb-local:http/local", "");
	assert_backends(&f.d, "shop/lb-local:http", all);
	assert_backends(&f.d, "shop/lb:https", be);
	unload(&f);

	/* No node name: no endpoint is local. */
	load(&f, "loadbalancer.json", NULL);
	assert_backends(&f.d, "shop/lb-local:http/local", "");
	assert_backends(&f.d, "shop/lb-local:http", all);
	unload(&f);
}

/* Dual-stack LoadBalancer with externalTrafficPolicy Local: a cluster and
 * a local service per family, each with the frontends and endpoints of
 * its family; the IPv6 NodePort wildcard is "[*]:PORT". */
static void test_dual_stack(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "dualstack.json", "node-a");
	assert_names(&f.d, "web/dual:http web/dual:http/local "
			   "web/dual:http/ipv6 web/dual:http/ipv6/local "
			   "web/v6only:53/ipv6");
	assert_frontends(&f.d, "web/dual:http", "10.96.8.8:80/tcp");
	assert_backends(&f.d, "web/dual:http",
			"10.244.8.1:8080 10.244.8.2:8080");
	assert_frontends(&f.d, "web/dual:http/local",
			 "*:30800/tcp[NEL] 203.0.113.80:80/tcp[EL] "
			 "198.51.100.20:80/tcp[EL]");
	assert_backends(&f.d, "web/dual:http/local", "10.244.8.1:8080");
	assert_frontends(&f.d, "web/dual:http/ipv6", "[fd00:96::8]:80/tcp");
	assert_backends(&f.d, "web/dual:http/ipv6",
			"[fd00:244::81]:8080 [fd00:244::82]:8080 "
			"[fd00:244::83]:8080~");
	assert_frontends(&f.d, "web/dual:http/ipv6/local",
			 "[*]:30800/tcp[NEL] [2001:db8:1b::80]:80/tcp[EL] "
			 "[2001:db8::20]:80/tcp[EL]");
	assert_backends(&f.d, "web/dual:http/ipv6/local",
			"[fd00:244::81]:8080 [fd00:244::83]:8080~");
	/* Single-stack IPv6 NodePort, unnamed port. */
	assert_frontends(&f.d, "web/v6only:53/ipv6",
			 "[fd00:96::9]:53/udp [*]:30053/udp[NE]");
	assert_backends(&f.d, "web/v6only:53/ipv6", "[fd00:244::91]:5353");
	assert_owner(&f.d, "[*]:30800/tcp", "web/dual:http/ipv6/local");
	assert_owner(&f.d, "*:30800/tcp", "web/dual:http/local");
	unload(&f);
}

static void test_named_target_port(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "targetport.json", "node-a");
	assert_names(&f.d, "team/app:http team/app:metrics");
	/* targetPort "web" resolves per slice through the port named like
	 * the Service port: 8080 in two slices, 8081 in the third; the
	 * endpoint in two slices is active in one of them: active wins.
	 * Slices of other Services, namespaces, protocols or without the
	 * service-name label are not used. */
	assert_frontends(&f.d, "team/app:http", "10.96.3.3:80/tcp");
	assert_backends(&f.d, "team/app:http",
			"10.244.5.1:8080 10.244.5.2:8080 10.244.5.3:8080 "
			"10.244.6.1:8081");
	/* The numeric targetPort: the slice port "metrics". */
	assert_frontends(&f.d, "team/app:metrics", "10.96.3.3:9090/tcp");
	assert_backends(&f.d, "team/app:metrics",
			"10.244.5.1:9100 10.244.5.2:9100 10.244.5.3:9100");
	unload(&f);
}

static void test_conditions(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "conditions.json", "node-a");
	assert_names(&f.d, "default/rollout:80");
	assert_frontends(&f.d, "default/rollout:80", "10.96.4.4:80/tcp");
	/* ready: active; ready unknown: active; terminating and serving:
	 * draining; not serving or not ready and not terminating: out; the
	 * first address only; a wrong-family address or none: out. */
	assert_backends(&f.d, "default/rollout:80",
			"10.244.7.1:8080 10.244.7.2:8080 10.244.7.3:8080~ "
			"10.244.7.7:8080");
	unload(&f);
}

static void test_affinity(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "affinity.json", "node-a");
	assert_names(&f.d, "default/sticky:http default/sticky-default:http "
			   "default/loose:http");
	assert_affinity(&f.d, "default/sticky:http", 300);
	assert_affinity(&f.d, "default/sticky-default:http",
			K8S_AFFINITY_DEFAULT);
	assert_int_equal(K8S_AFFINITY_DEFAULT, 10800);
	assert_affinity(&f.d, "default/loose:http", 0);
	/* No slices yet: the services exist without backends. */
	assert_frontends(&f.d, "default/sticky:http", "10.96.5.1:80/tcp");
	assert_backends(&f.d, "default/sticky:http", "");
	unload(&f);
}

static void test_skipped(void **state)
{
	struct fixture f;

	(void)state;
	/* Headless, ExternalName, no ports, SCTP only: nothing. An FQDN
	 * slice gives no backends. */
	load(&f, "skipped.json", "node-a");
	assert_names(&f.d, "default/fqdn:80");
	assert_frontends(&f.d, "default/fqdn:80", "10.96.6.3:80/tcp");
	assert_backends(&f.d, "default/fqdn:80", "");
	unload(&f);
}

/* Services labelled for another proxy, or headless, are not ours
 * (kube-proxy's label selector); --service-proxy-name adopts its own. */
#define LABELLED(name, ip, labels)                                             \
	"{\"kind\": \"Service\", \"metadata\": {\"namespace\": \"p\", "        \
	"\"name\": \"" name "\", \"labels\": " labels "}, \"spec\": "          \
	"{\"type\": \"ClusterIP\", \"clusterIP\": \"" ip "\", "                \
	"\"ports\": [{\"port\": 80, \"protocol\": \"TCP\"}]}}"

static void test_not_ours(void **state)
{
	static const char objs[] = "[" LABELLED("plain", "10.96.9.1", "{\"app\": \"x\"}") ", " LABELLED(
		"other", "10.96.9.2",
		"{\"service.kubernetes.io/service-proxy-name\": "
		"\"other-proxy\"}") ", " LABELLED("mine", "10.96.9.3",
						  "{\"service.kubernetes.io/"
						  "service-proxy-name\": "
						  "\"shunt\"}") ", " LABELLED("headless",
									      "10.96.9.4",
									      "{\"service.kubernetes.io/"
									      "headless\": \"\"}") "]";
	struct fixture f;

	(void)state;
	load_text(&f, objs, "node-a");
	assert_names(&f.d, "p/plain:80");
	unload(&f);

	proxy_name = "shunt";
	load_text(&f, objs, "node-a");
	assert_names(&f.d, "p/mine:80 p/plain:80");
	assert_frontends(&f.d, "p/mine:80", "10.96.9.3:80/tcp");
	unload(&f);
	proxy_name = NULL;
}

static void test_conflict(void **state)
{
	struct fixture f;

	(void)state;
	/* Two Services claim 198.51.100.9:80: the first by namespace/name
	 * keeps it; one Service listing its cluster IP as external IP
	 * gives one frontend (the cluster IP's, no flags); no IPv6
	 * service for an IPv4-only Service. */
	load(&f, "conflict.json", "node-a");
	assert_names(&f.d, "a/first:http b/second:http");
	assert_frontends(&f.d, "a/first:http",
			 "10.96.7.1:80/tcp 198.51.100.9:80/tcp[E]");
	assert_backends(&f.d, "a/first:http", "10.244.10.1:8080");
	assert_frontends(&f.d, "b/second:http", "10.96.7.2:80/tcp");
	assert_backends(&f.d, "b/second:http", "10.244.10.2:8080");
	assert_owner(&f.d, "198.51.100.9:80/tcp", "a/first:http");
	unload(&f);
}

#define SVC(ns, name, spec)                                                    \
	"{\"kind\": \"Service\", \"metadata\": {\"namespace\": \"" ns          \
	"\", \"name\": \"" name "\"}, \"spec\": " spec "}"
#define SLICE(ns, svc, name, eps, ports)                                       \
	"{\"kind\": \"EndpointSlice\", \"metadata\": {\"namespace\": \"" ns    \
	"\", \"name\": \"" name "\", \"labels\": "                             \
	"{\"kubernetes.io/service-name\": \"" svc "\"}}, "                     \
	"\"addressType\": \"IPv4\", \"endpoints\": " eps ", \"ports\": " ports \
	"}"
#define EP(ip, node)                                                           \
	"{\"addresses\": [\"" ip "\"], \"conditions\": {\"ready\": true}, "    \
	"\"nodeName\": \"" node "\"}"

/* Services that claim the same frontends, listed in an order that is
 * not namespace/name order. */
static const char *const conflicts[] = {
	/* Keeps its cluster IP, which m/alpha also wants as an external IP
	 * (a ClusterIP belongs to its Service); loses 192.0.2.1 to
	 * m/alpha. */
	SVC("z", "hijack",
	    "{\"clusterIP\": \"10.96.9.2\", \"externalIPs\": [\"192.0.2.1\"], "
	    "\"ports\": [{\"name\": \"http\", \"port\": 80}]}"),
	/* Local policy, every external frontend taken: 192.0.2.1 by
	 * m/alpha, 192.0.2.5 by m/zeta (the namespace decides before the
	 * name), 192.0.2.7 by n/beta (same namespace: the name decides).
	 * Its local service is dropped, its cluster service stays. */
	SVC("n", "gamma",
	    "{\"type\": \"LoadBalancer\", \"clusterIP\": \"10.96.9.4\", "
	    "\"externalTrafficPolicy\": \"Local\", \"externalIPs\": "
	    "[\"192.0.2.1\", \"192.0.2.5\", \"192.0.2.7\"], \"ports\": "
	    "[{\"name\": \"http\", \"port\": 80}]}"),
	SVC("m", "zeta",
	    "{\"clusterIP\": \"10.96.9.5\", \"externalIPs\": [\"192.0.2.5\"], "
	    "\"ports\": [{\"name\": \"http\", \"port\": 80}]}"),
	/* Local policy; its NodePort is claimed by m/alpha too (not
	 * possible in one cluster, but the rule is the same): m/alpha
	 * keeps it; the local service keeps the rest. */
	SVC("n", "beta",
	    "{\"type\": \"LoadBalancer\", \"clusterIP\": \"10.96.9.3\", "
	    "\"externalTrafficPolicy\": \"Local\", \"externalIPs\": "
	    "[\"192.0.2.7\"], \"ports\": [{\"name\": \"http\", \"port\": 80, "
	    "\"nodePort\": 30080}]}, \"status\": {\"loadBalancer\": "
	    "{\"ingress\": [{\"ip\": \"203.0.113.9\"}]}}"),
	SVC("m", "alpha",
	    "{\"type\": \"NodePort\", \"clusterIP\": \"10.96.9.1\", "
	    "\"externalIPs\": [\"192.0.2.1\", \"10.96.9.2\"], \"ports\": "
	    "[{\"name\": \"http\", \"port\": 80, \"nodePort\": 30080}]}"),
	SLICE("z", "hijack", "hijack-1", "[" EP("10.244.9.2", "node-a") "]",
	      "[{\"name\": \"http\", \"port\": 8080}]"),
	SLICE("n", "gamma", "gamma-1",
	      "[" EP("10.244.9.4", "node-a") ", " EP("10.244.9.5",
						     "node-b") "]",
	      "[{\"name\": \"http\", \"port\": 8080}]"),
};

/* The objects of conflicts[], translated for node-a. */
static void load_conflicts(struct fixture *f)
{
	char text[8192] = "[";
	size_t i;

	for (i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%s%s", i ? ", " : "", conflicts[i]);
	assert_true(strlen(text) + 2 < sizeof(text));
	strcat(text, "]");
	load_text(f, text, "node-a");
}

/* A frontend claimed by two Services stays with the first by
 * namespace/name when both are alike (no creation times here, both
 * external); an external IP that is another Service's cluster IP is
 * refused; a service left without frontends is dropped. */
static void test_conflict_rules(void **state)
{
	struct fixture f, g;
	struct k8s_model_opts o = {.node_name = "node-a"};
	struct shunt_desired one;
	size_t i;

	(void)state;
	load_conflicts(&f);
	assert_names(&f.d, "m/alpha:http m/zeta:http n/beta:http "
			   "n/beta:http/local n/gamma:http z/hijack:http");
	assert_frontends(&f.d, "m/alpha:http",
			 "10.96.9.1:80/tcp *:30080/tcp[NE] "
			 "192.0.2.1:80/tcp[E]");
	assert_frontends(&f.d, "z/hijack:http", "10.96.9.2:80/tcp");
	assert_frontends(&f.d, "m/zeta:http",
			 "10.96.9.5:80/tcp 192.0.2.5:80/tcp[E]");
	assert_frontends(&f.d, "n/beta:http", "10.96.9.3:80/tcp");
	assert_frontends(&f.d, "n/beta:http/local",
			 "203.0.113.9:80/tcp[EL] 192.0.2.7:80/tcp[EL]");
	assert_frontends(&f.d, "n/gamma:http", "10.96.9.4:80/tcp");
	assert_backends(&f.d, "n/gamma:http",
			"10.244.9.4:8080 10.244.9.5:8080");
	assert_owner(&f.d, "*:30080/tcp", "m/alpha:http");
	assert_owner(&f.d, "10.96.9.2:80/tcp", "z/hijack:http");
	assert_same_lines("refusals", refusals,
			  "m/alpha:http 10.96.9.2:80/tcp cluster-ip z/hijack\n"
			  "n/beta:http/local *:30080/tcp taken m/alpha\n"
			  "n/gamma:http/local 192.0.2.1:80/tcp taken m/alpha\n"
			  "n/gamma:http/local 192.0.2.5:80/tcp taken m/zeta\n"
			  "n/gamma:http/local 192.0.2.7:80/tcp taken n/beta\n"
			  "z/hijack:http 192.0.2.1:80/tcp taken m/alpha\n");

	/* Alone, each Service translates to all its frontends. */
	for (i = 0; i < f.n_svcs; i++) {
		if (strcmp(f.svcs[i]->name, "hijack"))
			continue;
		shunt_desired_init(&one);
		assert_int_equal(
			k8s_translate_service(
				f.svcs[i],
				(const struct k8s_slice *const *)f.slices,
				f.n_slices, &o, &one),
			0);
		assert_names(&one, "z/hijack:http");
		assert_frontends(&one, "z/hijack:http",
				 "10.96.9.2:80/tcp 192.0.2.1:80/tcp[E]");
		assert_backends(&one, "z/hijack:http", "10.244.9.2:8080");
		shunt_desired_free(&one);
	}

	/* The winner gone, its frontends go to the next by namespace/name:
	 * the NodePort to n/beta's local service, 192.0.2.1 to n/gamma's
	 * (before z/hijack); z/hijack keeps its cluster IP. */
	g = f;
	memset(&g.d, 0, sizeof(g.d));
	for (i = 0, g.n_svcs = 0; i < f.n_svcs; i++)
		if (strcmp(f.svcs[i]->name, "alpha"))
			g.svcs[g.n_svcs++] = f.svcs[i];
	translate(&g, "node-a");
	assert_names(&g.d, "m/zeta:http n/beta:http n/beta:http/local "
			   "n/gamma:http n/gamma:http/local z/hijack:http");
	assert_frontends(&g.d, "n/beta:http/local",
			 "*:30080/tcp[NEL] 203.0.113.9:80/tcp[EL] "
			 "192.0.2.7:80/tcp[EL]");
	assert_frontends(&g.d, "n/gamma:http/local", "192.0.2.1:80/tcp[EL]");
	assert_backends(&g.d, "n/gamma:http/local", "10.244.9.4:8080");
	assert_frontends(&g.d, "z/hijack:http", "10.96.9.2:80/tcp");
	shunt_desired_free(&g.d);
	unload(&f);
}

/* objs[0..n-1] as one JSON array (in text), translated for node-a. */
static void load_objs(struct fixture *f, const char *const *objs, size_t n,
		      char *text, size_t len)
{
	size_t i;

	snprintf(text, len, "[");
	for (i = 0; i < n; i++)
		snprintf(text + strlen(text), len - strlen(text), "%s%s",
			 i ? ", " : "", objs[i]);
	assert_true(strlen(text) + 2 < len);
	strcat(text, "]");
	load_text(f, text, "node-a");
}

#define EP_ENDING(ip, node)                                                    \
	"{\"addresses\": [\"" ip "\"], \"conditions\": {\"ready\": false, "    \
	"\"serving\": true, \"terminating\": true}, \"nodeName\": \"" node     \
	"\"}"
#define EP_READY(ip, node)                                                     \
	"{\"addresses\": [\"" ip "\"], \"conditions\": {\"ready\": true}, "    \
	"\"nodeName\": \"" node "\"}"

/*
 * kube-proxy's fallback to serving-and-terminating endpoints, for each
 * set on its own: a Service whose endpoints are all terminating keeps
 * them active; with one ready endpoint the terminating ones drain. Under
 * externalTrafficPolicy: Local, node-a's local set has only a
 * terminating endpoint (active there) while the cluster set has a ready
 * one on node-b (the local terminating one drains there).
 */
static void test_terminating_fallback(void **state)
{
	static const char *const objs[] = {
		SVC("d", "ending",
		    "{\"clusterIP\": \"10.96.6.1\", \"ports\": [{\"name\": "
		    "\"http\", \"port\": 80}]}"),
		SLICE("d", "ending", "ending-1",
		      "[" EP_ENDING("10.244.6.1", "node-a") ", " EP_ENDING(
			      "10.244.6.2", "node-b") "]",
		      "[{\"name\": \"http\", \"port\": 8080}]"),
		SVC("d", "mixed",
		    "{\"clusterIP\": \"10.96.6.2\", \"ports\": [{\"name\": "
		    "\"http\", \"port\": 80}]}"),
		SLICE("d", "mixed", "mixed-1",
		      "[" EP_ENDING("10.244.6.3", "node-a") ", " EP_READY(
			      "10.244.6.4", "node-b") "]",
		      "[{\"name\": \"http\", \"port\": 8080}]"),
		SVC("d", "local",
		    "{\"type\": \"NodePort\", \"clusterIP\": \"10.96.6.3\", "
		    "\"externalTrafficPolicy\": \"Local\", \"ports\": "
		    "[{\"name\": \"http\", \"port\": 80, \"nodePort\": "
		    "30066}]}"),
		SLICE("d", "local", "local-1",
		      "[" EP_ENDING("10.244.6.5", "node-a") ", " EP_READY(
			      "10.244.6.6", "node-b") "]",
		      "[{\"name\": \"http\", \"port\": 8080}]"),
	};
	char text[8192];
	struct fixture f;

	(void)state;
	load_objs(&f, objs, sizeof(objs) / sizeof(objs[0]), text, sizeof(text));
	assert_backends(&f.d, "d/ending:http",
			"10.244.6.1:8080 10.244.6.2:8080");
	assert_backends(&f.d, "d/mixed:http",
			"10.244.6.3:8080~ 10.244.6.4:8080");
	assert_backends(&f.d, "d/local:http",
			"10.244.6.5:8080~ 10.244.6.6:8080");
	assert_backends(&f.d, "d/local:http/local", "10.244.6.5:8080");
	unload(&f);
}

/*
 * internalTrafficPolicy: Local: the ClusterIP frontends go to the local
 * set (this node's endpoints only, flag L: dropped, not rejected,
 * without one); the NodePort stays with all endpoints under ETP
 * Cluster. With both policies Local, every frontend is in the local set.
 */
static void test_internal_traffic_policy(void **state)
{
	static const char *const objs[] = {
		SVC("d", "itp",
		    "{\"type\": \"NodePort\", \"clusterIP\": \"10.96.6.7\", "
		    "\"internalTrafficPolicy\": \"Local\", \"ports\": "
		    "[{\"name\": \"http\", \"port\": 80, \"nodePort\": "
		    "30067}]}"),
		SLICE("d", "itp", "itp-1",
		      "[" EP_READY("10.244.6.7", "node-a") ", " EP_READY(
			      "10.244.6.8", "node-b") "]",
		      "[{\"name\": \"http\", \"port\": 8080}]"),
		SVC("d", "both",
		    "{\"type\": \"NodePort\", \"clusterIP\": \"10.96.6.8\", "
		    "\"internalTrafficPolicy\": \"Local\", "
		    "\"externalTrafficPolicy\": \"Local\", \"ports\": "
		    "[{\"name\": \"http\", \"port\": 80, \"nodePort\": "
		    "30068}]}"),
		SLICE("d", "both", "both-1",
		      "[" EP_READY("10.244.6.9", "node-b") "]",
		      "[{\"name\": \"http\", \"port\": 8080}]"),
	};
	char text[8192];
	struct fixture f;

	(void)state;
	load_objs(&f, objs, sizeof(objs) / sizeof(objs[0]), text, sizeof(text));
	assert_names(&f.d, "d/itp:http d/itp:http/local d/both:http/local");
	assert_frontends(&f.d, "d/itp:http", "*:30067/tcp[NE]");
	assert_backends(&f.d, "d/itp:http", "10.244.6.7:8080 10.244.6.8:8080");
	assert_frontends(&f.d, "d/itp:http/local", "10.96.6.7:80/tcp[L]");
	assert_backends(&f.d, "d/itp:http/local", "10.244.6.7:8080");
	assert_frontends(&f.d, "d/both:http/local",
			 "10.96.6.8:80/tcp[L] *:30068/tcp[NEL]");
	assert_backends(&f.d, "d/both:http/local", "");
	unload(&f);
}

#define EP_HINTS(ip, node, cond, hints)                                        \
	"{\"addresses\": [\"" ip "\"], \"conditions\": {" cond "}, "           \
	"\"nodeName\": \"" node "\", \"hints\": {" hints "}}"
#define ZONES(z) "\"forZones\": [" z "]"
#define NODES(n) "\"forNodes\": [" n "]"
#define READY	 "\"ready\": true"
#define ENDING	 "\"ready\": false, \"serving\": true, \"terminating\": true"
#define HINT_SVC(name, ip)                                                     \
	SVC("t", name,                                                         \
	    "{\"clusterIP\": \"" ip "\", \"ports\": [{\"name\": \"http\", "    \
	    "\"port\": 80}]}")
#define HINT_SLICE(name, eps)                                                  \
	SLICE("t", name, name "-1", "[" eps "]",                               \
	      "[{\"name\": \"http\", \"port\": 8080}]")

/*
 * Topology hints (trafficDistribution: PreferClose / PreferSameNode, set
 * by the EndpointSlice controller), as kube-proxy uses them: node-a is in
 * zone-a; the cluster set takes the endpoints hinted for its zone (or
 * for node-a) only when every ready endpoint carries hints of that kind
 * and one names zone-a (node-a); otherwise all. The local set of a Local
 * policy ignores hints; terminating endpoints are filtered the same way.
 */
static void test_topology_hints(void **state)
{
	static const char *const objs[] = {
		HINT_SVC("zonal", "10.96.7.1"),
		HINT_SLICE(
			"zonal",
			EP_HINTS("10.244.7.1", "node-b", READY, ZONES("{\"name\": \"zone-a\"}")) ", " EP_HINTS(
				"10.244.7.2", "node-c", READY,
				ZONES("{\"name\": \"zone-b\"}, {\"name\": "
				      "\"zone-a\"}")) ", " EP_HINTS("10.244.7.3",
								    "node-d",
								    READY,
								    ZONES("{\"name\": "
									  "\"zone-b\"}"))),
		HINT_SVC("partial", "10.96.7.2"),
		HINT_SLICE(
			"partial",
			EP_HINTS(
				"10.244.7.4", "node-b", READY,
				ZONES("{\"name\": \"zone-a\"}")) ", " EP_READY("10.244.7.5",
									       "node-c")),
		HINT_SVC("elsewhere", "10.96.7.3"),
		HINT_SLICE(
			"elsewhere",
			EP_HINTS("10.244.7.6", "node-b", READY, ZONES("{\"name\": \"zone-b\"}")) ", " EP_HINTS(
				"10.244.7.7", "node-c", READY,
				ZONES("{\"name\": \"zone-c\"}"))),
		HINT_SVC("samenode", "10.96.7.4"),
		HINT_SLICE(
			"samenode",
			EP_HINTS(
				"10.244.7.8", "node-a", READY,
				NODES("{\"name\": \"node-a\"}") ", " ZONES(
					"{\"name\": \"zone-a\"}")) ", " EP_HINTS("10.244.7.9",
										 "node-b",
										 READY,
										 NODES("{\"name\": \"node-b\"}") ", " ZONES(
											 "{\"name\": \"zone-a\"}"))),
		HINT_SVC("ending", "10.96.7.5"),
		HINT_SLICE(
			"ending",
			EP_HINTS("10.244.7.10", "node-b", READY, ZONES("{\"name\": \"zone-a\"}")) ", " EP_HINTS(
				"10.244.7.11", "node-c", ENDING,
				ZONES("{\"name\": \"zone-a\"}")) ", " EP_HINTS("10.244.7.12",
									       "node-d",
									       ENDING,
									       ZONES("{\"name\": "
										     "\"zone-b\"}"))),
		SVC("t", "local",
		    "{\"type\": \"NodePort\", \"clusterIP\": \"10.96.7.6\", "
		    "\"externalTrafficPolicy\": \"Local\", \"ports\": "
		    "[{\"name\": \"http\", \"port\": 80, \"nodePort\": "
		    "30070}]}"),
		HINT_SLICE(
			"local",
			EP_HINTS("10.244.7.13", "node-a", READY, ZONES("{\"name\": \"zone-b\"}")) ", " EP_HINTS(
				"10.244.7.14", "node-b", READY,
				ZONES("{\"name\": \"zone-a\"}"))),
	};
	char text[16384];
	struct fixture f;

	(void)state;
	zone = "zone-a";
	load_objs(&f, objs, sizeof(objs) / sizeof(objs[0]), text, sizeof(text));
	assert_backends(&f.d, "t/zonal:http",
			"10.244.7.1:8080 10.244.7.2:8080");
	assert_backends(&f.d, "t/partial:http",
			"10.244.7.4:8080 10.244.7.5:8080");
	assert_backends(&f.d, "t/elsewhere:http",
			"10.244.7.6:8080 10.244.7.7:8080");
	assert_backends(&f.d, "t/samenode:http", "10.244.7.8:8080");
	assert_backends(&f.d, "t/ending:http",
			"10.244.7.10:8080 10.244.7.11:8080~");
	assert_backends(&f.d, "t/local:http", "10.244.7.14:8080");
	assert_backends(&f.d, "t/local:http/local", "10.244.7.13:8080");
	unload(&f);

	/* A node without a zone label: zone hints are not used. */
	zone = NULL;
	load_objs(&f, objs, sizeof(objs) / sizeof(objs[0]), text, sizeof(text));
	assert_backends(&f.d, "t/zonal:http",
			"10.244.7.1:8080 10.244.7.2:8080 10.244.7.3:8080");
	assert_backends(&f.d, "t/samenode:http", "10.244.7.8:8080");
	assert_backends(&f.d, "t/local:http",
			"10.244.7.13:8080 10.244.7.14:8080");
	unload(&f);
}

#define SVCT(ns, name, created, spec)                                          \
	"{\"kind\": \"Service\", \"metadata\": {\"namespace\": \"" ns          \
	"\", \"name\": \"" name "\", \"creationTimestamp\": \"" created        \
	"\"}, \"spec\": " spec "}"

/*
 * VIP ownership (CVE-2020-8554): Services in namespace "0evil" (which
 * sorts first, and is the oldest) ask for victim's ClusterIP as an
 * externalIP, at the same port and at another, and as a load balancer
 * IP: all refused, victim keeps its address; the refusals name victim.
 * Of two Services wanting one externalIP:port, the older keeps it, even
 * against namespace/name order; a ClusterIP frontend beats an older
 * Service's external one at the same VIP:port. --external-ip-cidrs
 * drops externalIPs outside (not load balancer IPs).
 */
static void test_vip_ownership(void **state)
{
	static const char *const objs[] = {
		SVCT("a", "victim", "2024-03-01T00:00:00Z",
		     "{\"clusterIP\": \"10.96.8.1\", \"ports\": [{\"name\": "
		     "\"http\", \"port\": 80}]}"),
		SVCT("0evil", "same-port", "2023-01-01T00:00:00Z",
		     "{\"clusterIP\": \"10.96.8.9\", \"externalIPs\": "
		     "[\"10.96.8.1\"], \"ports\": [{\"name\": \"http\", "
		     "\"port\": 80}]}"),
		SVCT("0evil", "other-port", "2023-01-01T00:00:00Z",
		     "{\"clusterIP\": \"10.96.8.8\", \"externalIPs\": "
		     "[\"10.96.8.1\", \"192.0.2.80\"], \"ports\": [{\"name\": "
		     "\"http\", \"port\": 8080}]}"),
		SVCT("0evil", "lb", "2023-01-01T00:00:00Z",
		     "{\"type\": \"LoadBalancer\", \"clusterIP\": "
		     "\"10.96.8.7\", \"ports\": [{\"name\": \"http\", \"port\": "
		     "80, \"nodePort\": 30090}]}, \"status\": "
		     "{\"loadBalancer\": {\"ingress\": [{\"ip\": "
		     "\"10.96.8.1\"}, {\"ip\": \"198.51.100.80\"}]}}"),
		/* One externalIP, two Services: b/old is older than a/new. */
		SVCT("a", "new", "2024-02-01T10:00:00Z",
		     "{\"clusterIP\": \"10.96.8.2\", \"externalIPs\": "
		     "[\"192.0.2.50\"], \"ports\": [{\"name\": \"http\", "
		     "\"port\": 80}]}"),
		SVCT("b", "old", "2024-02-01T09:59:59Z",
		     "{\"clusterIP\": \"10.96.8.3\", \"externalIPs\": "
		     "[\"192.0.2.50\"], \"ports\": [{\"name\": \"http\", "
		     "\"port\": 80}]}"),
		/* Newer, but 192.0.2.60:80 is its ClusterIP frontend. */
		SVCT("c", "cip", "2024-06-01T00:00:00Z",
		     "{\"clusterIP\": \"192.0.2.60\", \"ports\": [{\"name\": "
		     "\"http\", \"port\": 80}]}"),
	};
	char text[8192];
	struct shunt_cidr *c;
	struct fixture f;
	size_t i;

	(void)state;
	load_objs(&f, objs, sizeof(objs) / sizeof(objs[0]), text, sizeof(text));
	assert_names(&f.d, "0evil/lb:http 0evil/other-port:http "
			   "0evil/same-port:http a/new:http a/victim:http "
			   "b/old:http c/cip:http");
	assert_frontends(&f.d, "a/victim:http", "10.96.8.1:80/tcp");
	assert_frontends(&f.d, "0evil/same-port:http", "10.96.8.9:80/tcp");
	assert_frontends(&f.d, "0evil/other-port:http",
			 "10.96.8.8:8080/tcp 192.0.2.80:8080/tcp[E]");
	assert_frontends(&f.d, "0evil/lb:http",
			 "10.96.8.7:80/tcp *:30090/tcp[NE] "
			 "198.51.100.80:80/tcp[E]");
	assert_frontends(&f.d, "b/old:http",
			 "10.96.8.3:80/tcp 192.0.2.50:80/tcp[E]");
	assert_frontends(&f.d, "a/new:http", "10.96.8.2:80/tcp");
	assert_frontends(&f.d, "c/cip:http", "192.0.2.60:80/tcp");
	assert_same_lines("refusals", refusals,
			  "0evil/same-port:http 10.96.8.1:80/tcp cluster-ip "
			  "a/victim\n"
			  "0evil/other-port:http 10.96.8.1:8080/tcp cluster-ip "
			  "a/victim\n"
			  "0evil/lb:http 10.96.8.1:80/tcp cluster-ip a/victim\n"
			  "a/new:http 192.0.2.50:80/tcp taken b/old\n");
	for (i = 0; i < f.n_svcs; i++) {
		if (!strcmp(f.svcs[i]->name, "old"))
			assert_int_equal(f.svcs[i]->created, 1706781599);
		if (!strcmp(f.svcs[i]->name, "new"))
			assert_int_equal(f.svcs[i]->created, 1706781600);
	}
	unload(&f);

	/* c/cip's ClusterIP is also b/old's externalIP now: the ClusterIP
	 * wins although b/old is older. */
	load_text(&f,
		  "[" SVCT("b", "old", "2024-02-01T09:59:59Z",
			   "{\"clusterIP\": \"10.96.8.3\", "
			   "\"externalIPs\": [\"192.0.2.60\"], "
			   "\"ports\": [{\"name\": \"http\", \"port\": "
			   "80}]}") ", " SVCT("c", "cip",
					      "2024-06-01T00:00:00Z",
					      "{\"clusterIP\": "
					      "\"192.0.2.60\", \"ports\": "
					      "[{\"name\": \"http\", "
					      "\"port\": 80}]}") "]",
		  "node-a");
	assert_frontends(&f.d, "b/old:http", "10.96.8.3:80/tcp");
	assert_frontends(&f.d, "c/cip:http", "192.0.2.60:80/tcp");
	assert_same_lines("refusals", refusals,
			  "b/old:http 192.0.2.60:80/tcp cluster-ip c/cip\n");
	unload(&f);

	/* --external-ip-cidrs 192.0.2.0/24: 192.0.2.80 stays, the load
	 * balancer IP 198.51.100.80 too; victim's address still refused. */
	c = &ext_cidrs[0];
	assert_int_equal(
		shunt_parse_ip("192.0.2.0", &c->net, &c->family, NULL, 0), 0);
	c->plen = 24;
	n_ext_cidrs = 1;
	load_text(&f, text, "node-a");
	n_ext_cidrs = 0;
	assert_frontends(&f.d, "0evil/other-port:http",
			 "10.96.8.8:8080/tcp 192.0.2.80:8080/tcp[E]");
	assert_frontends(&f.d, "0evil/lb:http",
			 "10.96.8.7:80/tcp *:30090/tcp[NE] "
			 "198.51.100.80:80/tcp[E]");
	assert_same_lines("refusals", refusals,
			  "0evil/same-port:http 10.96.8.1:80/tcp "
			  "external-ip-cidrs -\n"
			  "0evil/other-port:http 10.96.8.1:8080/tcp "
			  "external-ip-cidrs -\n"
			  "0evil/lb:http 10.96.8.1:80/tcp cluster-ip a/victim\n"
			  "a/new:http 192.0.2.50:80/tcp taken b/old\n");
	unload(&f);
}

/* The frontends of service name as a set of "KEY[FLAGS]" words, FLAGS
 * as fe_word()'s and then "/dsr" or "/snat" for the mode flags. */
static void assert_modes(const struct shunt_desired *d, const char *name,
			 const char *want)
{
	const struct shunt_service_spec *s = spec(d, name);
	char got[STRLEN] = "", w[SHUNT_ADDRSTRLEN + 32], k[SHUNT_ADDRSTRLEN],
	     what[256];
	size_t i;

	for (i = 0; i < s->n_frontends; i++) {
		const struct shunt_frontend_spec *f = &s->frontends[i];

		shunt_format_service(&f->key, k, sizeof(k));
		snprintf(w, sizeof(w), "%s[%s%s%s%s%s]", k,
			 f->flags & SHUNT_FE_F_NODEPORT ? "N" : "",
			 f->flags & SHUNT_FE_F_EXTERNAL ? "E" : "",
			 f->flags & SHUNT_FE_F_LOCAL ? "L" : "",
			 f->flags & SHUNT_FE_F_MODE_DSR ? "/dsr" : "",
			 f->flags & SHUNT_FE_F_MODE_SNAT ? "/snat" : "");
		append(got, sizeof(got), w);
	}
	snprintf(what, sizeof(what), "frontend modes of '%s'", name);
	assert_same_set(what, got, want);
}

/*
 * The annotation shunt.dev/lb-mode: "dsr" or "snat" flags the external
 * frontends of the Service (NodePort wildcard, load balancer and
 * external IPs, under either traffic policy) SHUNT_FE_F_MODE_DSR or
 * _SNAT; cluster IPs never; any other value, or none, leaves the node's
 * lb-mode in charge (no mode flag).
 */
static void test_lb_mode_annotation(void **state)
{
	static const char text[] =
		"[{\"kind\": \"Service\", \"metadata\": {\"namespace\": \"m\","
		"  \"name\": \"d\", \"annotations\": {\"shunt.dev/lb-mode\":"
		"  \"dsr\"}}, \"spec\": {\"type\": \"LoadBalancer\","
		"  \"clusterIP\": \"10.96.7.1\", \"clusterIPs\": [\"10.96.7.1\"],"
		"  \"externalTrafficPolicy\": \"Cluster\","
		"  \"externalIPs\": [\"192.0.2.70\"], \"ports\": [{\"name\":"
		"  \"http\", \"port\": 80, \"protocol\": \"TCP\","
		"  \"targetPort\": 8080, \"nodePort\": 30700}]},"
		"  \"status\": {\"loadBalancer\": {\"ingress\":"
		"  [{\"ip\": \"203.0.113.70\"}]}}},"
		" {\"kind\": \"Service\", \"metadata\": {\"namespace\": \"m\","
		"  \"name\": \"dl\", \"annotations\": {\"shunt.dev/lb-mode\":"
		"  \"dsr\"}}, \"spec\": {\"type\": \"NodePort\","
		"  \"clusterIP\": \"10.96.7.2\", \"clusterIPs\": [\"10.96.7.2\"],"
		"  \"externalTrafficPolicy\": \"Local\", \"ports\": [{\"name\":"
		"  \"http\", \"port\": 80, \"protocol\": \"TCP\","
		"  \"targetPort\": 8080, \"nodePort\": 30701}]}},"
		" {\"kind\": \"Service\", \"metadata\": {\"namespace\": \"m\","
		"  \"name\": \"s\", \"annotations\": {\"shunt.dev/lb-mode\":"
		"  \"snat\"}}, \"spec\": {\"type\": \"NodePort\","
		"  \"clusterIP\": \"10.96.7.3\", \"clusterIPs\": [\"10.96.7.3\"],"
		"  \"ports\": [{\"name\": \"dns\", \"port\": 53, \"protocol\":"
		"  \"UDP\", \"targetPort\": 53, \"nodePort\": 30702}]}},"
		" {\"kind\": \"Service\", \"metadata\": {\"namespace\": \"m\","
		"  \"name\": \"p\"}, \"spec\": {\"type\": \"NodePort\","
		"  \"clusterIP\": \"10.96.7.4\", \"clusterIPs\": [\"10.96.7.4\"],"
		"  \"ports\": [{\"name\": \"http\", \"port\": 80, \"protocol\":"
		"  \"TCP\", \"targetPort\": 8080, \"nodePort\": 30703}]}},"
		" {\"kind\": \"Service\", \"metadata\": {\"namespace\": \"m\","
		"  \"name\": \"x\", \"annotations\": {\"shunt.dev/lb-mode\":"
		"  \"DSR\", \"example.com/lb-mode\": \"dsr\"}}, \"spec\":"
		"  {\"type\": \"NodePort\", \"clusterIP\": \"10.96.7.5\","
		"  \"clusterIPs\": [\"10.96.7.5\"], \"ports\": [{\"name\":"
		"  \"http\", \"port\": 80, \"protocol\": \"TCP\","
		"  \"targetPort\": 8080, \"nodePort\": 30704}]}},"
		" {\"kind\": \"Service\", \"metadata\": {\"namespace\": \"m\","
		"  \"name\": \"c\", \"annotations\": {\"shunt.dev/lb-mode\":"
		"  \"dsr\"}}, \"spec\": {\"type\": \"ClusterIP\","
		"  \"clusterIP\": \"10.96.7.6\", \"clusterIPs\": [\"10.96.7.6\"],"
		"  \"ports\": [{\"name\": \"http\", \"port\": 80, \"protocol\":"
		"  \"TCP\", \"targetPort\": 8080}]}},"
		" {\"kind\": \"Service\", \"metadata\": {\"namespace\": \"m\","
		"  \"name\": \"d6\", \"annotations\": {\"shunt.dev/lb-mode\":"
		"  \"dsr\"}}, \"spec\": {\"type\": \"NodePort\","
		"  \"clusterIP\": \"10.96.7.7\", \"clusterIPs\": [\"10.96.7.7\","
		"  \"fd00:96::77\"], \"ports\": [{\"name\": \"http\", \"port\":"
		"  80, \"protocol\": \"TCP\", \"targetPort\": 8080,"
		"  \"nodePort\": 30705}]}}]";
	struct fixture f;
	size_t i;

	(void)state;
	load_text(&f, text, "node-a");
	for (i = 0; i < f.n_svcs; i++) {
		const struct k8s_service *s = f.svcs[i];
		__u32 want = 0;

		if (!strcmp(s->name, "s"))
			want = SHUNT_FE_F_MODE_SNAT;
		else if (strcmp(s->name, "p") && strcmp(s->name, "x"))
			want = SHUNT_FE_F_MODE_DSR;
		assert_int_equal(s->lb_mode, want);
	}
	assert_names(&f.d, "m/c:http m/d:http m/d6:http m/d6:http/ipv6 "
			   "m/dl:http m/dl:http/local m/p:http m/s:dns "
			   "m/x:http");
	assert_modes(&f.d, "m/d:http",
		     "10.96.7.1:80/tcp[] *:30700/tcp[NE/dsr] "
		     "203.0.113.70:80/tcp[E/dsr] 192.0.2.70:80/tcp[E/dsr]");
	/* Local: the external frontends, in the local service, say DSR
	 * too (the datapath does not use it for them). */
	assert_modes(&f.d, "m/dl:http", "10.96.7.2:80/tcp[]");
	assert_modes(&f.d, "m/dl:http/local", "*:30701/tcp[NEL/dsr]");
	assert_modes(&f.d, "m/s:dns",
		     "10.96.7.3:53/udp[] *:30702/udp[NE/snat]");
	assert_modes(&f.d, "m/p:http", "10.96.7.4:80/tcp[] *:30703/tcp[NE]");
	assert_modes(&f.d, "m/x:http", "10.96.7.5:80/tcp[] *:30704/tcp[NE]");
	assert_modes(&f.d, "m/c:http", "10.96.7.6:80/tcp[]");
	assert_modes(&f.d, "m/d6:http",
		     "10.96.7.7:80/tcp[] *:30705/tcp[NE/dsr]");
	assert_modes(&f.d, "m/d6:http/ipv6",
		     "[fd00:96::77]:80/tcp[] [*]:30705/tcp[NE/dsr]");
	unload(&f);
}

/* The same objects in another order give the same desired state. */
static void test_order(void **state)
{
	static const char *const names[] = {"targetport.json",
					    "loadbalancer.json",
					    "dualstack.json", "conflict.json"};
	struct fixture f, g;
	size_t i, n;

	(void)state;
	load_conflicts(&f);
	load_conflicts(&g);
	for (n = 0; n <= sizeof(names) / sizeof(names[0]); n++) {
		if (n) {
			load(&f, names[n - 1], "node-a");
			load(&g, names[n - 1], "node-a");
		}
		shunt_desired_free(&g.d);
		for (i = 0; i < g.n_slices / 2; i++) {
			struct k8s_slice *t = g.slices[i];

			g.slices[i] = g.slices[g.n_slices - 1 - i];
			g.slices[g.n_slices - 1 - i] = t;
		}
		for (i = 0; i < g.n_svcs / 2; i++) {
			struct k8s_service *t = g.svcs[i];

			g.svcs[i] = g.svcs[g.n_svcs - 1 - i];
			g.svcs[g.n_svcs - 1 - i] = t;
		}
		translate(&g, "node-a");
		assert_same_desired(&f.d, &g.d);
		unload(&f);
		unload(&g);
	}
}

static void test_empty(void **state)
{
	struct k8s_model_opts o = {0};
	struct shunt_desired d;

	(void)state;
	assert_int_equal(k8s_model_desired(NULL, 0, NULL, 0, &o, &d), 0);
	assert_int_equal(d.n, 0);
	shunt_desired_free(&d);
}

static void svc_bad(const char *json, const char *why)
{
	struct json_object *o = json_tokener_parse(json);
	struct k8s_service *s = (void *)0x1;
	char err[256] = "";

	assert_non_null(o);
	assert_int_equal(k8s_service_parse(o, &s, err, sizeof(err)), -EINVAL);
	assert_ptr_equal(s, (void *)0x1);
	if (!strstr(err, why))
		fail_msg("error '%s' lacks '%s'", err, why);
	json_object_put(o);
}

static void slice_bad(const char *json, const char *why)
{
	struct json_object *o = json_tokener_parse(json);
	struct k8s_slice *s = (void *)0x1;
	char err[256] = "";

	assert_non_null(o);
	assert_int_equal(k8s_slice_parse(o, &s, err, sizeof(err)), -EINVAL);
	assert_ptr_equal(s, (void *)0x1);
	if (!strstr(err, why))
		fail_msg("error '%s' lacks '%s'", err, why);
	json_object_put(o);
}

static void test_malformed(void **state)
{
	struct json_object *o;
	struct k8s_service *s;
	char key[K8S_NAME_MAX * 2], err[256];

	(void)state;
	svc_bad("[1, 2]", "no metadata");
	svc_bad("{\"spec\": {}}", "no metadata");
	svc_bad("{\"metadata\": {\"name\": \"x\"}, \"spec\": {}}",
		"no namespace and name");
	svc_bad("{\"metadata\": {\"namespace\": \"x\", \"name\": 7}}",
		"no namespace and name");
	svc_bad("{\"metadata\": {\"namespace\": \"a\", \"name\": \"b\"}}",
		"no spec");
	svc_bad("{\"metadata\": {\"namespace\": \"a/b\", \"name\": \"c\"},"
		" \"spec\": {}}",
		"contains '/'");
	slice_bad("{\"metadata\": {\"namespace\": \"a\", \"name\": \"b/c\"},"
		  " \"addressType\": \"IPv4\"}",
		  "contains '/'");
	svc_bad("{\"metadata\": {\"namespace\": \"a\", \"name\": \"b\"},"
		" \"spec\": {\"type\": \"Magic\"}}",
		"unknown Service type Magic");
	slice_bad("{\"metadata\": {\"namespace\": \"a\", \"name\": \"b\"}}",
		  "no addressType");
	slice_bad("{\"addressType\": \"IPv4\"}", "no metadata");

	/* Wrong types inside a good object: parsed, nothing usable. */
	o = json_tokener_parse(
		"{\"metadata\": {\"namespace\": \"a\", \"name\": \"b\","
		" \"resourceVersion\": \"42\"}, \"spec\": {\"clusterIPs\": 5,"
		" \"clusterIP\": \"not-an-ip\", \"ports\": {\"port\": 80},"
		" \"externalIPs\": [1, \"300.1.1.1\", \"10.0.0.1\"]}}");
	assert_non_null(o);
	assert_int_equal(k8s_service_parse(o, &s, err, sizeof(err)), 0);
	assert_int_equal(s->n_cluster_ips, 0);
	assert_int_equal(s->n_ports, 0);
	assert_int_equal(s->n_external_ips, 1);
	k8s_service_free(s);
	assert_int_equal(k8s_object_key(o, key, sizeof(key), err, sizeof(err)),
			 0);
	assert_string_equal(key, "a/b");
	assert_string_equal(k8s_object_rv(o), "42");
	json_object_put(o);
}

/* The source ranges of service name as "CIDR CIDR ...", and its
 * frontends that check them. */
static void assert_ranges(const struct shunt_desired *d, const char *name,
			  const char *want_ranges, const char *want_checked)
{
	const struct shunt_service_spec *s = spec(d, name);
	char got[STRLEN] = "", w[SHUNT_ADDRSTRLEN + 8], what[256];
	size_t i;

	for (i = 0; i < s->n_src_ranges; i++) {
		assert_true(shunt_src_range_valid(&s->src_ranges[i]));
		if (i)
			assert_true(shunt_src_range_cmp(&s->src_ranges[i - 1],
							&s->src_ranges[i]) < 0);
		append(got, sizeof(got),
		       shunt_src_range_format(&s->src_ranges[i], w, sizeof(w)));
	}
	snprintf(what, sizeof(what), "source ranges of '%s'", name);
	assert_same_set(what, got, want_ranges);
	got[0] = '\0';
	for (i = 0; i < s->n_frontends; i++)
		if (s->frontends[i].flags & SHUNT_FE_F_SRC_RANGES)
			append(got, sizeof(got),
			       shunt_format_service(&s->frontends[i].key, w,
						    sizeof(w)));
	snprintf(what, sizeof(what), "frontends of '%s' that check", name);
	assert_same_set(what, got, want_checked);
}

/* A dual-stack LoadBalancer Service r/name; n: its number, 1 to 9. */
#define LB_SVC(n, name, extra_meta, extra_spec, ips)                           \
	"{\"kind\": \"Service\", \"metadata\": {\"namespace\": \"r\","         \
	" \"name\": \"" name "\"" extra_meta "}, \"spec\": {\"type\":"         \
	" \"LoadBalancer\", \"clusterIPs\": [\"10.96.6." n "\","               \
	" \"fd00:96::6" n "\"], \"externalIPs\": [\"192.0.2.6" n               \
	"\"]," extra_spec                                                      \
	" \"ports\": [{\"name\": \"http\", \"port\": 80, \"protocol\":"        \
	" \"TCP\", \"nodePort\": 3061" n "}]}, \"status\": {\"loadBalancer\":" \
	" {\"ingress\": [" ips "]}}}"

/*
 * loadBalancerSourceRanges: per family, host bits cleared, duplicates
 * gone, the load balancer IPs of the family added when the family has
 * any; only the load balancer IP frontends check them (the NodePort too
 * with --lb-source-ranges-nodeport), never the ClusterIP or externalIPs.
 * The annotation counts only when the field is empty.
 */
static void test_src_ranges(void **state)
{
	static const char text[] = "[" LB_SVC(
		"1", "a", "",
		" \"loadBalancerSourceRanges\": [\"198.51.100.7/24\","
		" \" 10.0.0.0/8 \", \"2001:db8:5::/48\","
		" \"10.1.2.3/8\"],",
		"{\"ip\": \"203.0.113.61\"}, {\"ip\":"
		" \"2001:db8:61::1\"}") "," LB_SVC("2", "b",
						   ", \"annotations\": {\"" K8S_SRC_RANGES_ANNOTATION
						   "\": \"192.0.2.0/25, 172.16.0.0/12\"}",
						   "",
						   "{\"ip\": \"203.0.113.62\"}") "," LB_SVC("3",
											    "c",
											    ", \"annotations\": {\"" K8S_SRC_RANGES_ANNOTATION
											    "\": \"192.0.2.0/25\"}",
											    " \"loadBalancerSourceRanges\": [\"100.64.0.0/10\"],",
											    "{\"ip\": \"203.0.113.63\"}") "," LB_SVC("4",
																     "d",
																     "",
																     "",
																     "{\"ip\": \"203.0.113.64\"}") "]";
	struct fixture f;

	(void)state;
	load_text(&f, text, "node-a");
	assert_ranges(&f.d, "r/a:http",
		      "10.0.0.0/8 198.51.100.0/24 203.0.113.61/32",
		      "203.0.113.61:80/tcp");
	assert_ranges(&f.d, "r/a:http/ipv6",
		      "2001:db8:5::/48 2001:db8:61::1/128",
		      "[2001:db8:61::1]:80/tcp");
	assert_ranges(&f.d, "r/b:http",
		      "172.16.0.0/12 192.0.2.0/25 203.0.113.62/32",
		      "203.0.113.62:80/tcp");
	/* No IPv6 range: IPv6 clients are not restricted (kube-proxy). */
	assert_ranges(&f.d, "r/b:http/ipv6", "", "");
	assert_ranges(&f.d, "r/c:http", "100.64.0.0/10 203.0.113.63/32",
		      "203.0.113.63:80/tcp");
	assert_ranges(&f.d, "r/d:http", "", "");
	unload(&f);

	ranges_nodeport = true;
	load_text(&f, text, "node-a");
	assert_ranges(&f.d, "r/a:http",
		      "10.0.0.0/8 198.51.100.0/24 203.0.113.61/32",
		      "203.0.113.61:80/tcp *:30611/tcp");
	assert_ranges(&f.d, "r/a:http/ipv6",
		      "2001:db8:5::/48 2001:db8:61::1/128",
		      "[2001:db8:61::1]:80/tcp [*]:30611/tcp");
	assert_ranges(&f.d, "r/d:http", "", "");
	ranges_nodeport = false;
	unload(&f);
}

/* A CIDR that does not parse makes the Service malformed, named. */
static void test_src_ranges_bad(void **state)
{
	struct json_object *o;
	struct k8s_service *s;
	char err[256];

	(void)state;
	svc_bad(LB_SVC("1", "x", "",
		       " \"loadBalancerSourceRanges\": [\"10.0.0.0\"],", ""),
		"Service r/x: spec.loadBalancerSourceRanges: '10.0.0.0' is "
		"not a CIDR");
	svc_bad(LB_SVC("1", "y",
		       ", \"annotations\": {\"" K8S_SRC_RANGES_ANNOTATION
		       "\": \"10.0.0.0/8,,\"}",
		       "", ""),
		"Service r/y: annotation " K8S_SRC_RANGES_ANNOTATION);
	svc_bad(LB_SVC("1", "z", "",
		       " \"loadBalancerSourceRanges\": [\"10.0.0.0/33\"],", ""),
		"bad prefix length in CIDR '10.0.0.0/33'");
	svc_bad(LB_SVC("1", "w", "",
		       " \"loadBalancerSourceRanges\": [\"2001:db8::/129\"],",
		       ""),
		"Service r/w");
	/* Not a LoadBalancer: the field and annotation mean nothing. */
	o = json_tokener_parse(
		"{\"metadata\": {\"namespace\": \"a\", \"name\": \"b\","
		" \"annotations\": {\"" K8S_SRC_RANGES_ANNOTATION
		"\": \"junk\"}}, \"spec\": {\"type\": \"NodePort\","
		" \"loadBalancerSourceRanges\": [\"junk\"]}}");
	assert_non_null(o);
	assert_int_equal(k8s_service_parse(o, &s, err, sizeof(err)), 0);
	assert_int_equal(s->n_src_ranges, 0);
	k8s_service_free(s);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clusterip),
		cmocka_unit_test(test_nodeport),
		cmocka_unit_test(test_loadbalancer),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_named_target_port),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_terminating_fallback),
		cmocka_unit_test(test_internal_traffic_policy),
		cmocka_unit_test(test_affinity),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_conflict_rules),
		cmocka_unit_test(test_vip_ownership),
		cmocka_unit_test(test_topology_hints),
		cmocka_unit_test(test_lb_mode_annotation),
		cmocka_unit_test(test_src_ranges),
		cmocka_unit_test(test_src_ranges_bad),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
