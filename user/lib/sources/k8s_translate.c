// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Services and EndpointSlices translated to shunt's desired services: one
 * backend set per Service port and family, shared by all its frontends. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hindex.h"
#include "k8s_model.h"
#include "vec.h"

/* What one Service port and family is being turned into. */
struct gen {
	const struct k8s_model_opts *o;
	const struct k8s_service *svc;
	const struct k8s_service_port *sp;
	const struct k8s_slice *const *slices;
	size_t n_slices;
	__u8 family;
	VEC(struct shunt_frontend_spec) fes; /* cluster set */
	VEC(struct shunt_frontend_spec) ext; /* local set (ETP Local) */
	VEC(struct shunt_backend_spec) bes;
	VEC(struct shunt_src_range) ranges; /* of this family, "": none */
	__u32 fe_extra; /* flags of the frontends being added */
};

static bool slice_of(const struct k8s_slice *sl, const struct k8s_service *svc)
{
	return !strcmp(sl->ns, svc->ns) && !strcmp(sl->service, svc->name);
}

static const struct k8s_slice_port *
slice_port(const struct k8s_slice *sl, const struct k8s_service_port *sp)
{
	size_t i;

	for (i = 0; i < sl->n_ports; i++)
		if (sl->ports[i].proto == sp->proto &&
		    !strcmp(sl->ports[i].name, sp->name))
			return &sl->ports[i];
	return NULL;
}

static int cmp_backend(const void *a, const void *b)
{
	const struct shunt_backend_spec *x = a, *y = b;
	int c = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	if (!c)
		c = memcmp(&x->port, &y->port, sizeof(x->port));
	if (!c)
		c = (int)x->state - (int)y->state;
	return c ? c : (int)x->flags - (int)y->flags;
}

/* Sorted, and one entry per address and port (an endpoint can be in two
 * slices for a while): active wins over draining, then this node's over
 * another's, so the choice never depends on the order of the slices. */
static void unique_backends(struct gen *g)
{
	size_t i, n = 0;

	if (!g->bes.n)
		return;
	qsort(g->bes.v, g->bes.n, sizeof(*g->bes.v), cmp_backend);
	for (i = 1; i < g->bes.n; i++) {
		if (g->bes.v[i].port == g->bes.v[n].port &&
		    !memcmp(&g->bes.v[i].addr, &g->bes.v[n].addr,
			    sizeof(g->bes.v[i].addr)))
			continue;
		g->bes.v[++n] = g->bes.v[i];
	}
	g->bes.n = n + 1;
}

/* kube-proxy's fallback: a set without a ready endpoint takes new flows
 * on its serving-and-terminating ones (each set on its own: the cluster
 * set, and the local one of a Local policy), so a Service whose pods are
 * all being replaced keeps answering. */
static void terminating_fallback(struct gen *g)
{
	size_t i;

	for (i = 0; i < g->bes.n; i++)
		if (g->bes.v[i].state == SHUNT_BE_ACTIVE)
			return;
	for (i = 0; i < g->bes.n; i++)
		g->bes.v[i].state = SHUNT_BE_ACTIVE;
}

static bool on_this_node(const struct gen *g, const struct k8s_endpoint *ep)
{
	return ep->node && g->o->node_name &&
	       !strcmp(ep->node, g->o->node_name);
}

/* Does the comma-separated list name name? */
static bool hint_has(const char *list, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	const char *p = list;

	while (n && p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* Which endpoints the cluster set takes, from their topology hints. */
enum topology {
	TOPO_ALL,  /* no usable hints */
	TOPO_NODE, /* hinted for this node (PreferSameNode) */
	TOPO_ZONE, /* hinted for this node's zone (PreferClose) */
};

/* kube-proxy's rule: hints are used only when every ready endpoint of
 * the port carries them and at least one names this node (zone); with
 * any hint missing, or none for here, every endpoint serves. */
static enum topology topology(const struct gen *g)
{
	bool all_node = true, all_zone = true, node = false, zone = false;
	const struct k8s_endpoint *ep;
	const struct k8s_slice *sl;
	bool any = false;
	size_t i, j;

	for (i = 0; i < g->n_slices; i++) {
		sl = g->slices[i];
		if (!slice_of(sl, g->svc) || sl->family != g->family ||
		    !slice_port(sl, g->sp))
			continue;
		for (j = 0; j < sl->n_eps; j++) {
			ep = &sl->eps[j];
			if (ep->state != SHUNT_BE_ACTIVE)
				continue;
			any = true;
			all_node &= ep->node_hints != NULL;
			all_zone &= ep->zone_hints != NULL;
			node |= hint_has(ep->node_hints, g->o->node_name);
			zone |= hint_has(ep->zone_hints, g->o->zone);
		}
	}
	if (any && all_node && node)
		return TOPO_NODE;
	if (any && all_zone && zone)
		return TOPO_ZONE;
	return TOPO_ALL;
}

static bool topology_allows(const struct gen *g, enum topology t,
			    const struct k8s_endpoint *ep)
{
	if (t == TOPO_NODE)
		return hint_has(ep->node_hints, g->o->node_name);
	if (t == TOPO_ZONE)
		return hint_has(ep->zone_hints, g->o->zone);
	return true;
}

/* The endpoints of this port and family: only this node's (local), or
 * those the topology hints give this node (the cluster set). */
static int backends(struct gen *g, bool local)
{
	enum topology t = local ? TOPO_ALL : topology(g);
	const struct k8s_slice_port *p;
	const struct k8s_slice *sl;
	struct shunt_backend_spec b;
	size_t i, j;
	int err;

	g->bes.n = 0;
	for (i = 0; i < g->n_slices; i++) {
		sl = g->slices[i];
		if (!slice_of(sl, g->svc) || sl->family != g->family)
			continue;
		p = slice_port(sl, g->sp);
		for (j = 0; p && j < sl->n_eps; j++) {
			if (local ? !on_this_node(g, &sl->eps[j])
				  : !topology_allows(g, t, &sl->eps[j]))
				continue;
			memset(&b, 0, sizeof(b));
			b.addr = sl->eps[j].ip.addr;
			b.family = sl->eps[j].ip.family;
			b.port = htons(p->port);
			b.state = sl->eps[j].state;
			b.weight = SHUNT_WEIGHT_DEFAULT;
			/* Masqueraded from outside (snat.h); an endpoint
			 * without a nodeName counts as this node's. */
			if (sl->eps[j].node && g->o->node_name &&
			    !on_this_node(g, &sl->eps[j]))
				b.flags = SHUNT_BE_F_REMOTE;
			err = vec_push(&g->bes, b);
			if (err)
				return err;
		}
	}
	unique_backends(g);
	terminating_fallback(g);
	return 0;
}

static bool has_fe(const struct gen *g, const struct shunt_frontend_key *k)
{
	size_t i;

	for (i = 0; i < g->fes.n; i++)
		if (!memcmp(&g->fes.v[i].key, k, sizeof(*k)))
			return true;
	for (i = 0; i < g->ext.n; i++)
		if (!memcmp(&g->ext.v[i].key, k, sizeof(*k)))
			return true;
	return false;
}

/* Add frontend addr:port (addr NULL: the NodePort wildcard) of g's family
 * once; external ones go to the local set under ETP Local, cluster IPs
 * under ITP Local. */
static int add_fe(struct gen *g, const union shunt_ip *addr, __u16 port,
		  bool external)
{
	struct shunt_frontend_spec f;

	memset(&f, 0, sizeof(f));
	if (addr)
		f.key.vip = *addr;
	f.key.port = htons(port);
	f.key.proto = g->sp->proto;
	f.key.family = g->family;
	if (!port || has_fe(g, &f.key))
		return 0;
	if (external)
		f.flags = SHUNT_FE_F_EXTERNAL |
			  (addr ? 0 : SHUNT_FE_F_NODEPORT) | g->svc->lb_mode |
			  g->fe_extra;
	if (!(external ? g->svc->local : g->svc->internal_local))
		return vec_push(&g->fes, f);
	f.flags |= SHUNT_FE_F_LOCAL;
	return vec_push(&g->ext, f);
}

static int add_fes(struct gen *g, const struct k8s_ip *ips, size_t n,
		   __u16 port, bool external)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++)
		if (ips[i].family == g->family)
			err = add_fe(g, &ips[i].addr, port, external);
	return err;
}

const char *k8s_refusal_name(enum k8s_refusal why)
{
	static const char *const names[K8S_REFUSED_REASONS] = {
		[K8S_REFUSED_CLUSTER_IP] = "cluster-ip",
		[K8S_REFUSED_TAKEN] = "taken",
		[K8S_REFUSED_EXTERNAL_IP_CIDRS] = "external-ip-cidrs",
	};

	return (unsigned int)why < K8S_REFUSED_REASONS ? names[why] : "?";
}

static void name_of(const struct gen *g, bool local, char *buf, size_t len);

/* Is externalIP a allowed by --external-ip-cidrs (told when not)? */
static bool external_ip_allowed(const struct gen *g, const struct k8s_ip *a)
{
	const struct k8s_model_opts *o = g->o;
	struct shunt_frontend_key k;
	char name[SHUNT_NAME_MAX];
	size_t i;

	if (!o->n_external_ip_cidrs)
		return true;
	for (i = 0; i < o->n_external_ip_cidrs; i++)
		if (shunt_cidr_contains(&o->external_ip_cidrs[i], &a->addr,
					a->family))
			return true;
	if (o->refused) {
		memset(&k, 0, sizeof(k));
		k.vip = a->addr;
		k.port = htons(g->sp->port);
		k.proto = g->sp->proto;
		k.family = a->family;
		name_of(g, g->svc->local, name, sizeof(name));
		o->refused(o->refused_arg, name, &k,
			   K8S_REFUSED_EXTERNAL_IP_CIDRS, NULL);
	}
	return false;
}

static int add_external_ips(struct gen *g)
{
	const struct k8s_service *svc = g->svc;
	size_t i;
	int err = 0;

	for (i = 0; i < svc->n_external_ips && !err; i++)
		if (svc->external_ips[i].family == g->family &&
		    external_ip_allowed(g, &svc->external_ips[i]))
			err = add_fe(g, &svc->external_ips[i].addr, g->sp->port,
				     true);
	return err;
}

static int frontends(struct gen *g)
{
	const struct k8s_service *svc = g->svc;
	int err;

	err = add_fes(g, svc->cluster_ips, svc->n_cluster_ips, g->sp->port,
		      false);
	if (g->ranges.n && g->o->src_ranges_nodeport)
		g->fe_extra = SHUNT_FE_F_SRC_RANGES;
	if (!err && (svc->type == K8S_SVC_NODE_PORT ||
		     svc->type == K8S_SVC_LOAD_BALANCER))
		err = add_fe(g, NULL, g->sp->node_port, true);
	g->fe_extra = g->ranges.n ? SHUNT_FE_F_SRC_RANGES : 0;
	if (!err && svc->type == K8S_SVC_LOAD_BALANCER)
		err = add_fes(g, svc->lb_ips, svc->n_lb_ips, g->sp->port, true);
	g->fe_extra = 0;
	if (!err)
		err = add_external_ips(g);
	return err;
}

/*
 * The source ranges of g's family, as kube-proxy has them: the Service's
 * CIDRs of that family and, when there are any, its load balancer IPs of
 * that family (a node that has the VIP as a local address sends to it
 * from it). None of the family: its frontends serve everyone.
 */
static int src_ranges(struct gen *g)
{
	const struct k8s_service *svc = g->svc;
	struct shunt_src_range r;
	size_t i;
	int err = 0;

	g->ranges.n = 0;
	for (i = 0; i < svc->n_src_ranges && !err; i++)
		if (svc->src_ranges[i].family == g->family)
			err = vec_push(&g->ranges, svc->src_ranges[i]);
	for (i = 0; g->ranges.n && i < svc->n_lb_ips && !err; i++) {
		if (svc->lb_ips[i].family != g->family)
			continue;
		memset(&r, 0, sizeof(r));
		r.addr = svc->lb_ips[i].addr;
		r.family = g->family;
		r.prefixlen = g->family == SHUNT_V4 ? 32 : 128;
		err = vec_push(&g->ranges, r);
	}
	if (!err)
		shunt_src_ranges_normalize(g->ranges.v, &g->ranges.n);
	return err;
}

/* Does a frontend of set fes[0..n-1] check the source ranges? */
static bool checks_ranges(const struct shunt_frontend_spec *fes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fes[i].flags & SHUNT_FE_F_SRC_RANGES)
			return true;
	return false;
}

static void name_of(const struct gen *g, bool local, char *buf, size_t len)
{
	const struct k8s_service *svc = g->svc;
	char port[K8S_PORT_NAME_MAX];
	int n;

	if (g->sp->name[0])
		snprintf(port, sizeof(port), "%s", g->sp->name);
	else
		snprintf(port, sizeof(port), "%u", g->sp->port);
	n = snprintf(buf, len, "%s/%s:%s%s%s", svc->ns, svc->name, port,
		     g->family == SHUNT_V6 ? "/ipv6" : "",
		     local ? "/local" : "");
	if (n < 0 || (size_t)n >= len) /* not with Kubernetes' name limits */
		memcpy(buf + len - 4, "...", 4);
}

static int emit(struct gen *g, bool local, struct shunt_desired *out)
{
	struct shunt_service_spec d;
	int err;

	err = backends(g, local);
	if (err)
		return err;
	memset(&d, 0, sizeof(d));
	name_of(g, local, d.name, sizeof(d.name));
	d.affinity_timeout = g->svc->affinity_timeout;
	d.frontends = local ? g->ext.v : g->fes.v;
	d.n_frontends = local ? g->ext.n : g->fes.n;
	d.backends = g->bes.v;
	d.n_backends = g->bes.n;
	if (checks_ranges(d.frontends, d.n_frontends)) {
		d.src_ranges = g->ranges.v;
		d.n_src_ranges = g->ranges.n;
	}
	return shunt_desired_add(out, &d);
}

static bool has_family(const struct k8s_service *svc, __u8 family)
{
	size_t i;

	for (i = 0; i < svc->n_cluster_ips; i++)
		if (svc->cluster_ips[i].family == family)
			return true;
	return false;
}

static int gen_port(struct gen *g, struct shunt_desired *out)
{
	int err;

	g->fes.n = g->ext.n = 0;
	err = src_ranges(g);
	if (!err)
		err = frontends(g);
	if (!err && g->fes.n)
		err = emit(g, false, out);
	if (!err && g->ext.n)
		err = emit(g, true, out);
	return err;
}

bool k8s_service_is_ours(const struct k8s_service *svc,
			 const struct k8s_model_opts *o)
{
	if (svc->headless_label)
		return false;
	if (!svc->proxy_name)
		return true;
	return o->service_proxy_name &&
	       !strcmp(svc->proxy_name, o->service_proxy_name);
}

int k8s_translate_service(const struct k8s_service *svc,
			  const struct k8s_slice *const *slices,
			  size_t n_slices, const struct k8s_model_opts *o,
			  struct shunt_desired *out)
{
	static const __u8 families[] = {SHUNT_V4, SHUNT_V6};
	struct gen g = {
		.o = o,
		.svc = svc,
		.slices = slices,
		.n_slices = n_slices,
	};
	size_t i, f;
	int err = 0;

	if (svc->type == K8S_SVC_EXTERNAL_NAME || svc->headless ||
	    !k8s_service_is_ours(svc, o))
		return 0;
	for (i = 0; i < svc->n_ports && !err; i++) {
		g.sp = &svc->ports[i];
		if (!g.sp->proto)
			continue;
		for (f = 0; f < 2 && !err; f++) {
			g.family = families[f];
			if (has_family(svc, g.family))
				err = gen_port(&g, out);
		}
	}
	vec_free(&g.fes);
	vec_free(&g.ext);
	vec_free(&g.bes);
	vec_free(&g.ranges);
	return err;
}

/* --- the whole state ---------------------------------------------- */

static int cmp_svc(const void *a, const void *b)
{
	const struct k8s_service *x = *(const struct k8s_service *const *)a;
	const struct k8s_service *y = *(const struct k8s_service *const *)b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

static int cmp_slice(const void *a, const void *b)
{
	const struct k8s_slice *x = *(const struct k8s_slice *const *)a;
	const struct k8s_slice *y = *(const struct k8s_slice *const *)b;
	int c = strcmp(x->ns, y->ns);

	if (!c)
		c = strcmp(x->service, y->service);
	return c ? c : strcmp(x->name, y->name);
}

/* The run of sorted slices that belongs to svc: [*first, return). */
static size_t slices_of(const struct k8s_slice *const *sl, size_t n,
			const struct k8s_service *svc, size_t *first)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(sl[mid]->ns, svc->ns);
		if (!c)
			c = strcmp(sl[mid]->service, svc->name);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (hi < n && slice_of(sl[hi], svc))
		hi++;
	return hi;
}

/* VIP ownership over the whole translation: which Service owns each
 * ClusterIP, and which claimant of each frontend ranks first. */
struct ip_owner {
	struct k8s_ip ip;
	size_t svc, other; /* two Services that have it; other == svc: one */
};

struct fe_claim {
	struct shunt_frontend_key key;
	size_t svc; /* the first claimant by rank */
	bool external;
};

struct ownership {
	const struct k8s_service **sv;
	size_t *spec_svc; /* the Service of each spec of out */
	struct ip_owner *ips;
	struct fe_claim *claims;
	size_t n_ips, n_claims;
	struct hindex ip_index, claim_index;
};

static bool ip_eq(const void *item, const void *key)
{
	return !memcmp(&((const struct ip_owner *)item)->ip, key,
		       sizeof(struct k8s_ip));
}

static bool claim_eq(const void *item, const void *key)
{
	return !memcmp(&((const struct fe_claim *)item)->key, key,
		       sizeof(struct shunt_frontend_key));
}

/* Does claimant (a, external ea) rank before (b, eb)? ClusterIP
 * frontends first, then the older Service, then namespace/name (the
 * Services are sorted by it: the lower index). */
static bool ranks_before(const struct ownership *w, size_t a, bool ea, size_t b,
			 bool eb)
{
	if (ea != eb)
		return !ea;
	if (w->sv[a]->created != w->sv[b]->created)
		return w->sv[a]->created < w->sv[b]->created;
	return a < b;
}

static int own_ip(struct ownership *w, const struct shunt_frontend_key *k,
		  size_t svc)
{
	struct k8s_ip ip;
	struct ip_owner *o;
	uint64_t h;

	memset(&ip, 0, sizeof(ip));
	ip.addr = k->vip;
	ip.family = k->family;
	h = hindex_hash(&ip, sizeof(ip));
	o = hindex_get(&w->ip_index, h, &ip, ip_eq);
	if (o) {
		if (o->other == o->svc && svc != o->svc)
			o->other = svc;
		return 0;
	}
	o = &w->ips[w->n_ips++];
	o->ip = ip;
	o->svc = o->other = svc;
	return hindex_put(&w->ip_index, h, o);
}

static int claim_fe(struct ownership *w, const struct shunt_frontend_spec *f,
		    size_t svc)
{
	bool ext = f->flags & SHUNT_FE_F_EXTERNAL;
	uint64_t h = hindex_hash(&f->key, sizeof(f->key));
	struct fe_claim *c = hindex_get(&w->claim_index, h, &f->key, claim_eq);

	if (c) {
		if (ranks_before(w, svc, ext, c->svc, c->external)) {
			c->svc = svc;
			c->external = ext;
		}
		return 0;
	}
	c = &w->claims[w->n_claims++];
	c->key = f->key;
	c->svc = svc;
	c->external = ext;
	return hindex_put(&w->claim_index, h, c);
}

/* Every ClusterIP's owners and every frontend's first claimant. */
static int ownership_build(struct ownership *w, const struct shunt_desired *d)
{
	const struct shunt_service_spec *sp;
	size_t i, j, n = 0;
	int err = 0;

	for (i = 0; i < d->n; i++)
		n += d->svcs[i].n_frontends;
	w->ips = calloc(n + 1, sizeof(*w->ips));
	w->claims = calloc(n + 1, sizeof(*w->claims));
	if (!w->ips || !w->claims)
		return -ENOMEM;
	for (i = 0; i < d->n && !err; i++) {
		sp = &d->svcs[i];
		for (j = 0; j < sp->n_frontends && !err; j++) {
			if (!(sp->frontends[j].flags & SHUNT_FE_F_EXTERNAL))
				err = own_ip(w, &sp->frontends[j].key,
					     w->spec_svc[i]);
			if (!err)
				err = claim_fe(w, &sp->frontends[j],
					       w->spec_svc[i]);
		}
	}
	return err;
}

static void svc_key(const struct k8s_service *svc, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", svc->ns, svc->name);
}

/* Does spec i of d keep frontend f? Refusals are told to o. */
static bool keeps(const struct ownership *w, const struct shunt_desired *d,
		  size_t i, const struct shunt_frontend_spec *f,
		  const struct k8s_model_opts *o)
{
	size_t svc = w->spec_svc[i], holder = svc;
	enum k8s_refusal why = K8S_REFUSED_TAKEN;
	char name[2 * K8S_NAME_MAX];
	const struct ip_owner *own;
	const struct fe_claim *c;
	struct k8s_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.addr = f->key.vip;
	ip.family = f->key.family;
	own = k8s_fe_is_external_ip(f)
		      ? hindex_get(&w->ip_index, hindex_hash(&ip, sizeof(ip)),
				   &ip, ip_eq)
		      : NULL;
	if (own && (own->svc != svc || own->other != svc)) {
		why = K8S_REFUSED_CLUSTER_IP;
		holder = own->svc != svc ? own->svc : own->other;
	} else {
		c = hindex_get(&w->claim_index,
			       hindex_hash(&f->key, sizeof(f->key)), &f->key,
			       claim_eq);
		if (!c || c->svc == svc)
			return true;
		holder = c->svc;
	}
	if (o->refused) {
		svc_key(w->sv[holder], name, sizeof(name));
		o->refused(o->refused_arg, d->svcs[i].name, &f->key, why, name);
	}
	return false;
}

/* Is key a frontend of d->svcs[from..i-1] (an earlier spec of the same
 * Service, which keeps it)? */
static bool kept_before(const struct shunt_desired *d, size_t from, size_t i,
			const struct shunt_frontend_key *key)
{
	size_t s, j;

	for (s = from; s < i; s++)
		for (j = 0; j < d->svcs[s].n_frontends; j++)
			if (!memcmp(&d->svcs[s].frontends[j].key, key,
				    sizeof(*key)))
				return true;
	return false;
}

/* Drop from every spec the frontends its Service does not own; specs
 * left without a frontend are dropped. */
static void ownership_apply(const struct ownership *w, struct shunt_desired *d,
			    const struct k8s_model_opts *o)
{
	struct shunt_service_spec *sp;
	size_t i, j, n, from = 0;

	for (i = 0; i < d->n; i++) {
		sp = &d->svcs[i];
		if (i && w->spec_svc[i] != w->spec_svc[i - 1])
			from = i;
		for (j = 0, n = 0; j < sp->n_frontends; j++)
			if (keeps(w, d, i, &sp->frontends[j], o) &&
			    !kept_before(d, from, i, &sp->frontends[j].key))
				sp->frontends[n++] = sp->frontends[j];
		sp->n_frontends = n;
	}
	for (i = 0, n = 0; i < d->n; i++) {
		if (d->svcs[i].n_frontends)
			d->svcs[n++] = d->svcs[i];
		else
			shunt_spec_free(&d->svcs[i]);
	}
	d->n = n;
}

static void ownership_free(struct ownership *w)
{
	hindex_free(&w->ip_index);
	hindex_free(&w->claim_index);
	free(w->ips);
	free(w->claims);
	free(w->spec_svc);
}

static int cmp_spec_name(const void *a, const void *b)
{
	return strcmp(((const struct shunt_service_spec *)a)->name,
		      ((const struct shunt_service_spec *)b)->name);
}

int k8s_model_desired(const struct k8s_service *const *svcs, size_t n_svcs,
		      const struct k8s_slice *const *slices, size_t n_slices,
		      const struct k8s_model_opts *o, struct shunt_desired *out)
{
	const struct k8s_service **sv = calloc(n_svcs + 1, sizeof(*sv));
	const struct k8s_slice **sl = calloc(n_slices + 1, sizeof(*sl));
	struct ownership w = {.sv = sv};
	size_t i, j, first, end, from, *grown;
	int err = 0;

	shunt_desired_init(out);
	hindex_init(&w.ip_index);
	hindex_init(&w.claim_index);
	if (!sv || !sl)
		err = -ENOMEM;
	if (!err) {
		if (n_svcs)
			memcpy(sv, svcs, n_svcs * sizeof(*sv));
		if (n_slices)
			memcpy(sl, slices, n_slices * sizeof(*sl));
		qsort(sv, n_svcs, sizeof(*sv), cmp_svc);
		qsort(sl, n_slices, sizeof(*sl), cmp_slice);
	}
	for (i = 0; !err && i < n_svcs; i++) {
		end = slices_of(sl, n_slices, sv[i], &first);
		from = out->n;
		err = k8s_translate_service(sv[i], sl + first, end - first, o,
					    out);
		grown = err ? NULL
			    : realloc(w.spec_svc,
				      (out->n + 1) * sizeof(*w.spec_svc));
		if (!err && !grown)
			err = -ENOMEM;
		if (!err) {
			w.spec_svc = grown;
			for (j = from; j < out->n; j++)
				w.spec_svc[j] = i;
		}
	}
	if (!err)
		err = ownership_build(&w, out);
	if (!err)
		ownership_apply(&w, out, o);
	if (!err && out->n)
		qsort(out->svcs, out->n, sizeof(*out->svcs), cmp_spec_name);
	else
		shunt_desired_free(out);
	ownership_free(&w);
	free(sv);
	free(sl);
	return err;
}
