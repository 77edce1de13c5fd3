// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for user/lib/sources/k8s_state.c, the Kubernetes source's
 * incremental state, as a randomized property test with fixed seeds:
 * random Services (a few namespaces and names, random ports, ClusterIP,
 * NodePort or LoadBalancer, externalTrafficPolicy Local sometimes,
 * cluster, external and load balancer IPs drawn from small pools so that
 * claims collide) and EndpointSlices are added, changed and deleted one
 * at a time; after each change the Services it touches are translated
 * again (k8s_translate_service) and given to the state (k8s_state_set),
 * as the agent's source does. The deltas (k8s_state_delta) applied to a
 * map name -> spec kept here must then equal k8s_state_full() and a full
 * translation of the same objects (k8s_model_desired()), spec by spec:
 * name, table size, affinity, frontends with their flags and backends
 * (both as sets). Plus fixed cases: a conflict's winner deleted or
 * arriving, and winners between namespaces that are prefixes of each
 * other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_model.h"
#include "k8s_state.h"
#include "parse.h"

#define NODE	     "node-a"
#define MAX_SLICES   2 /* per Service slot */
#define STEPS	     300
#define VERBOSE_STEP (getenv("SHUNT_TEST_VERBOSE") != NULL)

/* --- random numbers ---------------------------------------------------- */

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/* true with probability pct %. */
static bool chance(uint32_t pct)
{
	return rnd(100) < pct;
}

#define PICK(a) ((a)[rnd(sizeof(a) / sizeof((a)[0]))])

/* --- objects --------------------------------------------------------- */

static struct k8s_ip ip(const char *text)
{
	struct k8s_ip a;

	memset(&a, 0, sizeof(a));
	if (shunt_parse_ip(text, &a.addr, &a.family, NULL, 0))
		fail_msg("test bug: address %s", text);
	return a;
}

/* Pools: small, so that Services collide. 10.96.0.1 is a cluster IP and
 * an external IP; 192.0.2.1 an external and a load balancer IP. */
static const char *const cluster_v4[] = {"10.96.0.1", "10.96.0.2", "10.96.0.3",
					 "10.96.0.4", "10.96.0.5", "10.96.0.6"};
static const char *const cluster_v6[] = {"fd00:96::1", "fd00:96::2",
					 "fd00:96::3"};
static const char *const external[] = {"192.0.2.1", "192.0.2.2", "10.96.0.1",
				       "2001:db8::1", "2001:db8::2"};
static const char *const lb[] = {"203.0.113.1", "192.0.2.1", "2001:db8:1b::1"};
static const char *const port_names[] = {"http", "https", "dns"};
static const __u16 port_numbers[] = {80, 443, 53};
static const __u16 node_ports[] = {30080, 30081, 30082};
static const char *const nodes[] = {"node-a", "node-b", NULL};
static const char *const backends_v4[] = {"10.244.0.1", "10.244.0.2",
					  "10.244.1.1", "10.244.1.2"};
static const char *const backends_v6[] = {"fd00:244::1", "fd00:244::2",
					  "fd00:244::3"};

/* Creation times: equal ones happen (then namespace/name decides), and
 * a Service without one ranks last. */
static const __u64 created[] = {1000, 2000, 2000, 3000, K8S_CREATED_UNKNOWN};

/* --external-ip-cidrs for every translation here: 2001:db8::2 is
 * outside, so some externalIPs are ignored. */
static struct k8s_model_opts model_opts(void)
{
	static struct shunt_cidr cidrs[3];
	struct k8s_ip a;

	if (!cidrs[0].family) {
		a = ip("192.0.2.0");
		cidrs[0] = (struct shunt_cidr){a.addr, a.family, 25};
		a = ip("10.96.0.0");
		cidrs[1] = (struct shunt_cidr){a.addr, a.family, 12};
		a = ip("2001:db8::1");
		cidrs[2] = (struct shunt_cidr){a.addr, a.family, 128};
	}
	return (struct k8s_model_opts){
		.node_name = NODE,
		.external_ip_cidrs = cidrs,
		.n_external_ip_cidrs = 3,
		.src_ranges_nodeport = true,
	};
}

static void add_ips(struct k8s_ip **v, size_t *n, const char *const *pool,
		    size_t pool_n, size_t max)
{
	size_t i, want = rnd(max + 1), j;
	struct k8s_ip a;

	*v = calloc(max + 1, sizeof(**v));
	assert_non_null(*v);
	for (i = 0; i < want; i++) {
		a = ip(pool[rnd(pool_n)]);
		for (j = 0; j < *n; j++)
			if (!memcmp(&(*v)[j], &a, sizeof(a)))
				break;
		if (j == *n)
			(*v)[(*n)++] = a;
	}
}

/* loadBalancerSourceRanges: some of both families, or one only. */
static void add_src_ranges(struct k8s_service *s)
{
	static const char *const pool[] = {"198.51.100.0/24", "0.0.0.0/0",
					   "10.0.0.0/8", "2001:db8:77::/48"};
	size_t i, want = 1 + rnd(3);
	char err[128];

	s->src_ranges = calloc(want, sizeof(*s->src_ranges));
	assert_non_null(s->src_ranges);
	for (i = 0; i < want; i++)
		assert_int_equal(
			shunt_src_range_parse(PICK(pool),
					      &s->src_ranges[s->n_src_ranges++],
					      err, sizeof(err)),
			0);
	shunt_src_ranges_normalize(s->src_ranges, &s->n_src_ranges);
}

/*
 * A random Service ns/name as the API server would accept it: ports
 * unique by number and protocol and by name (one unnamed port only when
 * it is the only one), nodePorts unique within the Service.
 */
static struct k8s_service *random_service(const char *ns, const char *name)
{
	struct k8s_service *s = calloc(1, sizeof(*s));
	size_t i, j, n_ports;
	bool v4, v6;

	assert_non_null(s);
	snprintf(s->ns, sizeof(s->ns), "%s", ns);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->type = (enum k8s_svc_type)rnd(3); /* ClusterIP, NodePort, LB */
	if (chance(3))
		s->type = K8S_SVC_EXTERNAL_NAME;
	s->headless = chance(3);
	s->local = s->type != K8S_SVC_CLUSTER_IP && chance(40);
	s->internal_local = chance(25);
	s->affinity_timeout = chance(20) ? 300 : 0;
	s->created = PICK(created);
	v6 = chance(35);
	v4 = !v6 || chance(60);
	s->cluster_ips = calloc(2, sizeof(*s->cluster_ips));
	assert_non_null(s->cluster_ips);
	if (v4)
		s->cluster_ips[s->n_cluster_ips++] = ip(PICK(cluster_v4));
	if (v6)
		s->cluster_ips[s->n_cluster_ips++] = ip(PICK(cluster_v6));
	add_ips(&s->external_ips, &s->n_external_ips, external,
		sizeof(external) / sizeof(external[0]), 2);
	if (s->type == K8S_SVC_LOAD_BALANCER)
		add_ips(&s->lb_ips, &s->n_lb_ips, lb,
			sizeof(lb) / sizeof(lb[0]), 2);

	n_ports = 1 + rnd(3);
	s->ports = calloc(n_ports, sizeof(*s->ports));
	assert_non_null(s->ports);
	for (i = 0; i < n_ports; i++) {
		struct k8s_service_port p;

		memset(&p, 0, sizeof(p));
		p.port = PICK(port_numbers);
		p.proto = chance(25) ? IPPROTO_UDP : IPPROTO_TCP;
		if (n_ports > 1 || chance(50))
			snprintf(p.name, sizeof(p.name), "%s",
				 PICK(port_names));
		if (s->type != K8S_SVC_CLUSTER_IP &&
		    (s->type == K8S_SVC_NODE_PORT || chance(80)))
			p.node_port = PICK(node_ports);
		for (j = 0; j < s->n_ports; j++) {
			const struct k8s_service_port *q = &s->ports[j];

			if ((q->port == p.port && q->proto == p.proto) ||
			    !strcmp(q->name, p.name) ||
			    (p.node_port && q->node_port == p.node_port))
				break;
		}
		if (j == s->n_ports)
			s->ports[s->n_ports++] = p;
	}
	if (s->type == K8S_SVC_LOAD_BALANCER && chance(50))
		add_src_ranges(s);
	return s;
}

/* A random slice ns/name of Service service (sometimes another's). */
static struct k8s_slice *random_slice(const char *ns, const char *name,
				      const char *service)
{
	struct k8s_slice *sl = calloc(1, sizeof(*sl));
	size_t i, j, n;

	assert_non_null(sl);
	snprintf(sl->ns, sizeof(sl->ns), "%s", ns);
	snprintf(sl->name, sizeof(sl->name), "%s", name);
	snprintf(sl->service, sizeof(sl->service), "%s", service);
	sl->family = chance(30) ? SHUNT_V6 : SHUNT_V4;

	sl->ports = calloc(4, sizeof(*sl->ports));
	assert_non_null(sl->ports);
	for (i = 0; i < 4; i++) {
		if (chance(35))
			continue;
		snprintf(sl->ports[sl->n_ports].name, sizeof(sl->ports[0].name),
			 "%s", i < 3 ? port_names[i] : "");
		sl->ports[sl->n_ports].proto =
			chance(20) ? IPPROTO_UDP : IPPROTO_TCP;
		sl->ports[sl->n_ports].port = 8000 + rnd(3);
		sl->n_ports++;
	}

	n = rnd(4);
	sl->eps = calloc(n + 1, sizeof(*sl->eps));
	assert_non_null(sl->eps);
	for (i = 0; i < n; i++) {
		struct k8s_endpoint *e = &sl->eps[sl->n_eps];
		const char *node = PICK(nodes);

		e->ip = ip(sl->family == SHUNT_V6 ? PICK(backends_v6)
						  : PICK(backends_v4));
		for (j = 0; j < sl->n_eps; j++)
			if (!memcmp(&sl->eps[j].ip, &e->ip, sizeof(e->ip)))
				break;
		if (j < sl->n_eps)
			continue;
		e->state = chance(25) ? SHUNT_BE_DRAINING : SHUNT_BE_ACTIVE;
		e->node = node ? strdup(node) : NULL;
		sl->n_eps++;
	}
	return sl;
}

/* --- the world: Services and slices in slots ----------------------------- */

struct world {
	const char *const *ns;
	size_t n_ns;
	const char *const *names;
	size_t n_names;
	/* Slot i = namespace i / n_names, name i % n_names. */
	struct k8s_service **svcs;
	struct k8s_slice **slices; /* [slot * MAX_SLICES + k] */
	size_t n_slots;
};

static void world_init(struct world *w, const char *const *ns, size_t n_ns,
		       const char *const *names, size_t n_names)
{
	memset(w, 0, sizeof(*w));
	w->ns = ns;
	w->n_ns = n_ns;
	w->names = names;
	w->n_names = n_names;
	w->n_slots = n_ns * n_names;
	w->svcs = calloc(w->n_slots, sizeof(*w->svcs));
	w->slices = calloc(w->n_slots * MAX_SLICES, sizeof(*w->slices));
	assert_non_null(w->svcs);
	assert_non_null(w->slices);
}

static void world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < w->n_slots; i++)
		k8s_service_free(w->svcs[i]);
	for (i = 0; i < w->n_slots * MAX_SLICES; i++)
		k8s_slice_free(w->slices[i]);
	free(w->svcs);
	free(w->slices);
}

static void slot_key(const struct world *w, size_t slot, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", w->ns[slot / w->n_names],
		 w->names[slot % w->n_names]);
}

/* The slot of Service ns/name, or n_slots. */
static size_t slot_of(const struct world *w, const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < w->n_slots; i++)
		if (!strcmp(w->ns[i / w->n_names], ns) &&
		    !strcmp(w->names[i % w->n_names], name))
			return i;
	return w->n_slots;
}

/* All present Services and slices (arrays the caller frees). */
static size_t present_svcs(const struct world *w,
			   const struct k8s_service ***out)
{
	size_t i, n = 0;

	*out = calloc(w->n_slots + 1, sizeof(**out));
	assert_non_null(*out);
	for (i = 0; i < w->n_slots; i++)
		if (w->svcs[i])
			(*out)[n++] = w->svcs[i];
	return n;
}

static size_t present_slices(const struct world *w,
			     const struct k8s_slice ***out)
{
	size_t i, n = 0;

	*out = calloc(w->n_slots * MAX_SLICES + 1, sizeof(**out));
	assert_non_null(*out);
	for (i = 0; i < w->n_slots * MAX_SLICES; i++)
		if (w->slices[i])
			(*out)[n++] = w->slices[i];
	return n;
}

/* Translate slot's Service again (gone: no specs) into st. */
static void retranslate(struct k8s_state *st, const struct world *w,
			size_t slot)
{
	const struct k8s_slice **sl;
	struct k8s_model_opts o = model_opts();
	struct shunt_desired specs;
	char key[2 * K8S_NAME_MAX];
	size_t n = present_slices(w, &sl);

	shunt_desired_init(&specs);
	if (w->svcs[slot])
		assert_int_equal(
			k8s_translate_service(w->svcs[slot], sl, n, &o, &specs),
			0);
	slot_key(w, slot, key, sizeof(key));
	assert_int_equal(k8s_state_set(st, key,
				       w->svcs[slot] ? w->svcs[slot]->created
						     : K8S_CREATED_UNKNOWN,
				       &specs),
			 0);
	assert_int_equal(specs.n, 0); /* taken over */
	shunt_desired_free(&specs);
	free(sl);
}

/* --- comparing specs ------------------------------------------------------ */

static int cmp_fe(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct shunt_frontend_spec));
}

static int cmp_be(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct shunt_backend_spec));
}

static void spec_text(const struct shunt_service_spec *s, char *buf, size_t len)
{
	char a[SHUNT_ADDRSTRLEN];
	size_t i;

	snprintf(buf, len, "'%s' table %u affinity %u frontends", s->name,
		 s->table_size, s->affinity_timeout);
	for (i = 0; i < s->n_frontends; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), " %s/%#x",
			 shunt_format_service(&s->frontends[i].key, a,
					      sizeof(a)),
			 s->frontends[i].flags);
	snprintf(buf + strlen(buf), len - strlen(buf), " backends");
	for (i = 0; i < s->n_backends; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), " %s%s",
			 shunt_format_endpoint(
				 &s->backends[i].addr, s->backends[i].port,
				 s->backends[i].family, a, sizeof(a)),
			 s->backends[i].state == SHUNT_BE_DRAINING ? "~" : "");
}

/* x and y are the same spec, frontends and backends in any order. */
static bool same_spec(const struct shunt_service_spec *x,
		      const struct shunt_service_spec *y)
{
	struct shunt_frontend_spec fx[64], fy[64];
	struct shunt_backend_spec bx[64], by[64];

	if (strcmp(x->name, y->name) || x->table_size != y->table_size ||
	    x->affinity_timeout != y->affinity_timeout ||
	    x->n_frontends != y->n_frontends ||
	    x->n_backends != y->n_backends ||
	    x->n_src_ranges != y->n_src_ranges ||
	    (x->n_src_ranges &&
	     memcmp(x->src_ranges, y->src_ranges,
		    x->n_src_ranges * sizeof(*x->src_ranges))))
		return false;
	assert_true(x->n_frontends <= 64 && x->n_backends <= 64);
	if (x->n_frontends) {
		memcpy(fx, x->frontends, x->n_frontends * sizeof(*fx));
		memcpy(fy, y->frontends, y->n_frontends * sizeof(*fy));
		qsort(fx, x->n_frontends, sizeof(*fx), cmp_fe);
		qsort(fy, y->n_frontends, sizeof(*fy), cmp_fe);
		if (memcmp(fx, fy, x->n_frontends * sizeof(*fx)))
			return false;
	}
	if (x->n_backends) {
		memcpy(bx, x->backends, x->n_backends * sizeof(*bx));
		memcpy(by, y->backends, y->n_backends * sizeof(*by));
		qsort(bx, x->n_backends, sizeof(*bx), cmp_be);
		qsort(by, y->n_backends, sizeof(*by), cmp_be);
		if (memcmp(bx, by, x->n_backends * sizeof(*bx)))
			return false;
	}
	return true;
}

/* got and want hold the same specs (by name, in any order). */
static void assert_same(const char *what, const struct shunt_desired *got,
			const struct shunt_desired *want, uint64_t seed,
			int step)
{
	const struct shunt_service_spec *g;
	char a[2048], b[2048];
	size_t i;

	for (i = 0; i < want->n; i++) {
		g = shunt_desired_find(got, want->svcs[i].name);
		spec_text(&want->svcs[i], b, sizeof(b));
		if (!g)
			fail_msg("seed %llu step %d: %s lacks %s",
				 (unsigned long long)seed, step, what, b);
		if (!same_spec(g, &want->svcs[i])) {
			spec_text(g, a, sizeof(a));
			fail_msg("seed %llu step %d: %s:\n  got  %s\n  want %s",
				 (unsigned long long)seed, step, what, a, b);
		}
	}
	for (i = 0; i < got->n; i++)
		if (!shunt_desired_find(want, got->svcs[i].name)) {
			spec_text(&got->svcs[i], a, sizeof(a));
			fail_msg("seed %llu step %d: %s has extra %s",
				 (unsigned long long)seed, step, what, a);
		}
	assert_int_equal(got->n, want->n); /* no name twice */
}

/* --- the map the deltas are applied to ----------------------------------- */

static void map_remove(struct shunt_desired *map, const char *name)
{
	struct shunt_service_spec *s = shunt_desired_find(map, name);

	if (!s)
		return;
	shunt_spec_free(s);
	*s = map->svcs[--map->n];
}

/* A delta from st applied to map; what it said, for checks. */
struct delta_info {
	size_t upserts, removes;
	char names[4096]; /* "+name -name ..." */
};

static void take_delta(struct k8s_state *st, struct shunt_desired *map,
		       struct delta_info *info)
{
	struct shunt_desired up;
	char **rm = NULL;
	size_t n_rm = 0, i, j;

	assert_int_equal(k8s_state_delta(st, &up, &rm, &n_rm), 0);
	if (info)
		memset(info, 0, sizeof(*info));
	for (i = 0; i < n_rm; i++) {
		for (j = 0; j < up.n; j++)
			if (!strcmp(rm[i], up.svcs[j].name))
				fail_msg("delta upserts and removes '%s'",
					 rm[i]);
		for (j = 0; j < i; j++)
			if (!strcmp(rm[i], rm[j]))
				fail_msg("delta removes '%s' twice", rm[i]);
		map_remove(map, rm[i]);
		if (info)
			snprintf(info->names + strlen(info->names),
				 sizeof(info->names) - strlen(info->names),
				 " -%s", rm[i]);
	}
	for (i = 0; i < up.n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(up.svcs[i].name, up.svcs[j].name))
				fail_msg("delta upserts '%s' twice",
					 up.svcs[i].name);
		if (!up.svcs[i].n_frontends)
			fail_msg("delta upserts '%s' without frontends",
				 up.svcs[i].name);
		map_remove(map, up.svcs[i].name);
		assert_int_equal(shunt_desired_add(map, &up.svcs[i]), 0);
		if (info)
			snprintf(info->names + strlen(info->names),
				 sizeof(info->names) - strlen(info->names),
				 " +%s", up.svcs[i].name);
	}
	if (info) {
		info->upserts = up.n;
		info->removes = n_rm;
	}
	shunt_desired_free(&up);
	k8s_names_free(rm, n_rm);
}

static size_t count_frontends(const struct shunt_desired *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->svcs[i].n_frontends;
	return n;
}

/*
 * The map equals the state in full (when full) and the translation of
 * every object of the world. Returns how many frontends the Services
 * claimed that another Service won (conflicts).
 */
static size_t check(struct k8s_state *st, const struct world *w,
		    const struct shunt_desired *map, bool full, uint64_t seed,
		    int step)
{
	struct k8s_model_opts o = model_opts();
	const struct k8s_service **sv;
	const struct k8s_slice **sl;
	struct shunt_desired want, all, one;
	size_t n_sv = present_svcs(w, &sv), n_sl = present_slices(w, &sl);
	size_t i, claimed = 0;

	for (i = 0; i < n_sv; i++) {
		shunt_desired_init(&one);
		assert_int_equal(
			k8s_translate_service(sv[i], sl, n_sl, &o, &one), 0);
		claimed += count_frontends(&one);
		shunt_desired_free(&one);
	}
	assert_int_equal(k8s_model_desired(sv, n_sv, sl, n_sl, &o, &want), 0);
	assert_same("deltas vs k8s_model_desired", map, &want, seed, step);
	if (full) {
		assert_int_equal(k8s_state_full(st, &all), 0);
		assert_same("k8s_state_full vs k8s_model_desired", &all, &want,
			    seed, step);
		shunt_desired_free(&all);
	}
	claimed -= count_frontends(&want);
	shunt_desired_free(&want);
	free(sv);
	free(sl);
	return claimed;
}

/* --- the random walk ------------------------------------------------------ */

struct walk_stats {
	size_t steps, deltas, upserts, removes, svc_sets, slice_sets;
	size_t max_specs, conflicts, max_conflicts;
};

/* One random change to the world; the slots whose Service must be
 * translated again are marked in dirty[]. */
static void random_change(struct world *w, bool *dirty, struct walk_stats *ws)
{
	size_t slot = rnd(w->n_slots), k = rnd(MAX_SLICES), owner;
	struct k8s_slice **sl = &w->slices[slot * MAX_SLICES + k];
	const char *ns = w->ns[slot / w->n_names];
	char name[64];

	switch (rnd(10)) {
	case 0:
	case 1:
	case 2:
	case 3: /* add or change a Service */
		k8s_service_free(w->svcs[slot]);
		w->svcs[slot] = random_service(ns, w->names[slot % w->n_names]);
		dirty[slot] = true;
		ws->svc_sets++;
		break;
	case 4: /* delete a Service */
		k8s_service_free(w->svcs[slot]);
		w->svcs[slot] = NULL;
		dirty[slot] = true;
		ws->svc_sets++;
		break;
	default: /* add, change or delete a slice */
		if (*sl) {
			owner = slot_of(w, (*sl)->ns, (*sl)->service);
			if (owner < w->n_slots)
				dirty[owner] = true;
			k8s_slice_free(*sl);
			*sl = NULL;
		}
		ws->slice_sets++;
		if (chance(20))
			break; /* deleted */
		/* Its Service: mostly the slot's, sometimes another of
		 * the namespace (a label changed). */
		snprintf(name, sizeof(name), "%s-%zu",
			 w->names[slot % w->n_names], k);
		owner = chance(85) ? slot
				   : slot - slot % w->n_names + rnd(w->n_names);
		*sl = random_slice(ns, name, w->names[owner % w->n_names]);
		dirty[owner] = true;
		break;
	}
}

static void walk(uint64_t seed, int steps, const char *const *ns, size_t n_ns,
		 const char *const *names, size_t n_names)
{
	struct k8s_state *st = k8s_state_new();
	struct delta_info info;
	struct walk_stats ws;
	struct shunt_desired map;
	struct world w;
	bool *dirty;
	size_t i, lost;
	int step;

	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	memset(&ws, 0, sizeof(ws));
	assert_non_null(st);
	world_init(&w, ns, n_ns, names, n_names);
	dirty = calloc(w.n_slots, sizeof(*dirty));
	assert_non_null(dirty);
	shunt_desired_init(&map);
	for (step = 1; step <= steps; step++) {
		random_change(&w, dirty, &ws);
		for (i = 0; i < w.n_slots; i++)
			if (dirty[i])
				retranslate(st, &w, i);
		memset(dirty, 0, w.n_slots * sizeof(*dirty));
		/* Sometimes several changes go into one delta. */
		if (step < steps && chance(25))
			continue;
		take_delta(st, &map, &info);
		ws.deltas++;
		ws.upserts += info.upserts;
		ws.removes += info.removes;
		if (map.n > ws.max_specs)
			ws.max_specs = map.n;
		if (VERBOSE_STEP)
			print_message("seed %llu step %d:%s\n",
				      (unsigned long long)seed, step,
				      info.names);
		lost = check(st, &w, &map, chance(50) || step == steps, seed,
			     step);
		ws.conflicts += !!lost;
		if (lost > ws.max_conflicts)
			ws.max_conflicts = lost;
	}
	ws.steps = (size_t)steps;
	print_message("seed %llu: %zu steps, %zu Service and %zu slice "
		      "changes, %zu deltas (%zu upserts, %zu removes), up "
		      "to %zu services; %zu checks with conflicts (up to %zu "
		      "frontends lost)\n",
		      (unsigned long long)seed, ws.steps, ws.svc_sets,
		      ws.slice_sets, ws.deltas, ws.upserts, ws.removes,
		      ws.max_specs, ws.conflicts, ws.max_conflicts);
	/* The walk must have exercised something: changes, removals,
	 * frontends changing hands. */
	assert_true(ws.upserts > (size_t)steps / 4);
	assert_true(ws.removes > 0);
	assert_true(ws.max_specs >= 4);
	assert_true(ws.conflicts > ws.deltas / 6);

	/* Everything deleted: the deltas remove every name. */
	for (i = 0; i < w.n_slots; i++) {
		k8s_service_free(w.svcs[i]);
		w.svcs[i] = NULL;
		retranslate(st, &w, i);
	}
	take_delta(st, &map, NULL);
	assert_int_equal(map.n, 0);
	check(st, &w, &map, true, seed, steps + 1);

	shunt_desired_free(&map);
	free(dirty);
	world_free(&w);
	k8s_state_free(st);
}

/* Namespaces none of which is a prefix of another (see
 * test_conflict_namespace_prefix for those). */
static const char *const walk_ns[] = {"default", "prod", "team", "team-b"};
static const char *const walk_names[] = {"api", "db", "web", "cache"};

static void test_random_walk(void **state)
{
	static const uint64_t seeds[] = {1, 2, 3, 42, 2024};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		walk(seeds[i], STEPS, walk_ns, 4, walk_names, 4);
}

/* Few Services, many changes: the same frontends change hands often. */
static void test_random_walk_crowded(void **state)
{
	static const uint64_t seeds[] = {7, 8, 9};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		walk(seeds[i], STEPS, walk_ns, 1, walk_names, 3);
}

/* --- fixed cases ---------------------------------------------------------- */

/* A ClusterIP Service ns/name at cluster IP cip, port "http" 80, with
 * external IPs ext (space separated). */
static struct k8s_service *fixed_service(const char *ns, const char *name,
					 const char *cip, const char *ext)
{
	struct k8s_service *s = calloc(1, sizeof(*s));
	char copy[256], *w, *save;

	assert_non_null(s);
	snprintf(s->ns, sizeof(s->ns), "%s", ns);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->cluster_ips = calloc(1, sizeof(*s->cluster_ips));
	s->external_ips = calloc(4, sizeof(*s->external_ips));
	s->ports = calloc(1, sizeof(*s->ports));
	assert_non_null(s->cluster_ips);
	assert_non_null(s->external_ips);
	assert_non_null(s->ports);
	s->cluster_ips[s->n_cluster_ips++] = ip(cip);
	snprintf(copy, sizeof(copy), "%s", ext);
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		s->external_ips[s->n_external_ips++] = ip(w);
	snprintf(s->ports[0].name, sizeof(s->ports[0].name), "http");
	s->ports[0].port = 80;
	s->ports[0].proto = IPPROTO_TCP;
	s->n_ports = 1;
	return s;
}

/* Frontend text of the spec named name in d ("" when there is none). */
static void frontends_of(const struct shunt_desired *d, const char *name,
			 char *buf, size_t len)
{
	const struct shunt_service_spec *s = shunt_desired_find(d, name);
	struct shunt_frontend_spec f[16];
	char a[SHUNT_ADDRSTRLEN];
	size_t i;

	buf[0] = '\0';
	if (!s)
		return;
	assert_true(s->n_frontends <= 16);
	memcpy(f, s->frontends, s->n_frontends * sizeof(*f));
	qsort(f, s->n_frontends, sizeof(*f), cmp_fe);
	for (i = 0; i < s->n_frontends; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 i ? " " : "",
			 shunt_format_service(&f[i].key, a, sizeof(a)));
}

#define assert_fes(d, name, want)                                              \
	do {                                                                   \
		char got_[512];                                                \
		frontends_of(d, name, got_, sizeof(got_));                     \
		if (strcmp(got_, want))                                        \
			fail_msg("frontends of '%s':\n  got  '%s'\n  want "    \
				 "'%s'",                                       \
				 name, got_, want);                            \
	} while (0)

/*
 * A conflict's winner deleted: the next delta gives the frontend to the
 * loser (its spec upserted with it). A new winner arriving takes it back
 * (the loser's spec upserted without it); a loser left with no frontend
 * at all has its name removed, and back when it wins again.
 */
static void test_conflict_winner_deleted(void **state)
{
	struct k8s_service *svcs[3] = {
		fixed_service("default", "alpha", "10.96.1.1", "192.0.2.1"),
		fixed_service("default", "beta", "10.96.1.2", "192.0.2.1"),
		/* Only frontend: alpha's external IP. */
		fixed_service("other", "gamma", "192.0.2.9", "")};
	struct k8s_state *st = k8s_state_new();
	struct delta_info info;
	struct shunt_desired map;
	struct world w;
	static const char *const ns[] = {"default", "other"};
	static const char *const names[] = {"alpha", "beta", "gamma"};

	(void)state;
	assert_non_null(st);
	world_init(&w, ns, 2, names, 3);
	shunt_desired_init(&map);
	/* The loser first, then the winner: the loser loses it. */
	w.svcs[1] = svcs[1];
	retranslate(st, &w, 1);
	take_delta(st, &map, &info);
	assert_string_equal(info.names, " +default/beta:http");
	assert_fes(&map, "default/beta:http",
		   "10.96.1.2:80/tcp 192.0.2.1:80/tcp");
	w.svcs[0] = svcs[0];
	retranslate(st, &w, 0);
	take_delta(st, &map, &info);
	assert_int_equal(info.removes, 0);
	assert_int_equal(info.upserts, 2);
	assert_fes(&map, "default/alpha:http",
		   "10.96.1.1:80/tcp 192.0.2.1:80/tcp");
	assert_fes(&map, "default/beta:http", "10.96.1.2:80/tcp");
	check(st, &w, &map, true, 0, 1);

	/* The winner deleted: the loser's spec comes back with it. */
	w.svcs[0] = NULL;
	retranslate(st, &w, 0);
	take_delta(st, &map, &info);
	assert_string_equal(info.names,
			    " -default/alpha:http +default/beta:http");
	assert_fes(&map, "default/beta:http",
		   "10.96.1.2:80/tcp 192.0.2.1:80/tcp");
	check(st, &w, &map, false, 0, 2);

	/* other/gamma's cluster IP is 192.0.2.9; give default/alpha an
	 * external IP 192.0.2.9 and bring it back: the address is gamma's
	 * (a ClusterIP belongs to its Service, CVE-2020-8554), alpha does
	 * not get it; beta loses 192.0.2.1 again. */
	w.svcs[5] = svcs[2];
	retranslate(st, &w, 5);
	take_delta(st, &map, &info);
	assert_string_equal(info.names, " +other/gamma:http");
	k8s_service_free(svcs[0]);
	svcs[0] = fixed_service("default", "alpha", "10.96.1.1",
				"192.0.2.1 192.0.2.9");
	w.svcs[0] = svcs[0];
	retranslate(st, &w, 0);
	take_delta(st, &map, &info);
	assert_int_equal(info.upserts, 2); /* alpha, beta */
	assert_int_equal(info.removes, 0);
	assert_fes(&map, "other/gamma:http", "192.0.2.9:80/tcp");
	assert_fes(&map, "default/alpha:http",
		   "10.96.1.1:80/tcp 192.0.2.1:80/tcp");
	assert_fes(&map, "default/beta:http", "10.96.1.2:80/tcp");
	check(st, &w, &map, false, 0, 3);

	/* alpha deleted again: beta gets 192.0.2.1 back, gamma keeps its
	 * own. */
	w.svcs[0] = NULL;
	retranslate(st, &w, 0);
	take_delta(st, &map, &info);
	assert_int_equal(info.removes, 1);
	assert_int_equal(info.upserts, 1);
	assert_fes(&map, "other/gamma:http", "192.0.2.9:80/tcp");
	assert_fes(&map, "default/beta:http",
		   "10.96.1.2:80/tcp 192.0.2.1:80/tcp");
	check(st, &w, &map, true, 0, 4);

	k8s_service_free(svcs[0]);
	shunt_desired_free(&map);
	world_free(&w); /* frees beta and gamma */
	k8s_state_free(st);
}

/*
 * Namespaces where one is a prefix of another ("team" and "team-b";
 * '-' and '.' sort before '/'): the winner of a frontend must be the
 * same in the state as in k8s_model_desired, "the first by
 * namespace/name" in both.
 */
static void test_conflict_namespace_prefix(void **state)
{
	static const char *const ns[] = {"team", "team-b", "team.c"};
	static const char *const names[] = {"web"};
	struct k8s_state *st = k8s_state_new();
	struct shunt_desired map;
	struct world w;
	size_t i;

	(void)state;
	assert_non_null(st);
	world_init(&w, ns, 3, names, 1);
	shunt_desired_init(&map);
	w.svcs[0] = fixed_service("team", "web", "10.96.2.1", "192.0.2.1");
	w.svcs[1] = fixed_service("team-b", "web", "10.96.2.2", "192.0.2.1");
	w.svcs[2] = fixed_service("team.c", "web", "10.96.2.3", "192.0.2.1");
	for (i = 0; i < 3; i++)
		retranslate(st, &w, i);
	take_delta(st, &map, NULL);
	check(st, &w, &map, true, 0, 1);
	shunt_desired_free(&map);
	world_free(&w);
	k8s_state_free(st);
}

/* Nothing set, nothing out; a Service set to nothing is forgotten. */
static void test_empty_state(void **state)
{
	struct k8s_state *st = k8s_state_new();
	struct shunt_desired d;
	char **rm = (char **)1;
	size_t n_rm = 7;

	(void)state;
	assert_non_null(st);
	assert_int_equal(k8s_state_delta(st, &d, &rm, &n_rm), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(n_rm, 0);
	shunt_desired_free(&d);
	k8s_names_free(rm, n_rm);
	shunt_desired_init(&d);
	assert_int_equal(k8s_state_set(st, "a/b", 0, &d), 0);
	assert_int_equal(k8s_state_delta(st, &d, &rm, &n_rm), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(n_rm, 0);
	shunt_desired_free(&d);
	k8s_names_free(rm, n_rm);
	k8s_state_free(st);
	k8s_state_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_state),
		cmocka_unit_test(test_conflict_winner_deleted),
		cmocka_unit_test(test_random_walk),
		cmocka_unit_test(test_random_walk_crowded),
		cmocka_unit_test(test_conflict_namespace_prefix),
	};

	return cmocka_run_group_tests_name("k8s_state", tests, NULL, NULL);
}
