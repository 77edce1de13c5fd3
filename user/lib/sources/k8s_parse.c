// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Services, EndpointSlices and this node's Node: parsing the API's JSON
 * into the few fields the translation (k8s_translate.c) needs. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s_model.h"
#include "parse.h"

#define SERVICE_NAME_LABEL "kubernetes.io/service-name"

/* --- json-c helpers ---------------------------------------------------- */

/* Member key of object o, or NULL (absent, JSON null, o not an object). */
static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static struct json_object *get_obj(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_object) ? v : NULL;
}

static struct json_object *get_arr(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_array) ? v : NULL;
}

static size_t arr_len(struct json_object *a)
{
	return a ? json_object_array_length(a) : 0;
}

static const char *str_of(struct json_object *v)
{
	return json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static const char *get_str(struct json_object *o, const char *key)
{
	return str_of(get(o, key));
}

/* An integer member in min..max, else def. */
static int64_t get_int(struct json_object *o, const char *key, int64_t min,
		       int64_t max, int64_t def)
{
	struct json_object *v = get(o, key);
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return def;
	n = json_object_get_int64(v);
	return n < min || n > max ? def : n;
}

/* A boolean member, or def when absent or null. */
static bool get_bool(struct json_object *o, const char *key, bool def)
{
	struct json_object *v = get(o, key);

	if (!json_object_is_type(v, json_type_boolean))
		return def;
	return json_object_get_boolean(v);
}

static bool copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static __u8 proto_of(struct json_object *o)
{
	const char *p = get_str(o, "protocol");

	if (!p || !strcmp(p, "TCP")) /* the API's default */
		return IPPROTO_TCP;
	if (!strcmp(p, "UDP"))
		return IPPROTO_UDP;
	return 0; /* SCTP: not handled by shunt */
}

static bool parse_ip(const char *s, struct k8s_ip *ip)
{
	return s && !shunt_parse_ip(s, &ip->addr, &ip->family, NULL, 0);
}

/* --- metadata ---------------------------------------------------------- */

static int parse_meta(struct json_object *obj, char *ns, char *name, char *err,
		      size_t errlen)
{
	struct json_object *meta = get_obj(obj, "metadata");
	const char *n = get_str(meta, "name"), *s = get_str(meta, "namespace");

	if (!meta) {
		snprintf(err, errlen, "object has no metadata");
		return -EINVAL;
	}
	if (!n || !*n || !s || !*s) {
		snprintf(err, errlen, "object has no namespace and name");
		return -EINVAL;
	}
	/* "namespace/name" is the key everywhere: Kubernetes allows no '/'
	 * in either (DNS labels and subdomains). */
	if (strchr(s, '/') || strchr(n, '/')) {
		snprintf(err, errlen, "object namespace or name contains '/'");
		return -EINVAL;
	}
	if (!copy_str(ns, K8S_NAME_MAX, s) ||
	    !copy_str(name, K8S_NAME_MAX, n)) {
		snprintf(err, errlen, "object name too long");
		return -EINVAL;
	}
	return 0;
}

/* A cluster-scoped object (a Node): metadata.name only. */
static int parse_name(struct json_object *obj, char *name, char *err,
		      size_t errlen)
{
	const char *n = get_str(get_obj(obj, "metadata"), "name");

	if (!n || !*n || strchr(n, '/')) {
		snprintf(err, errlen, "object has no usable name");
		return -EINVAL;
	}
	if (!copy_str(name, K8S_NAME_MAX, n)) {
		snprintf(err, errlen, "object name too long");
		return -EINVAL;
	}
	return 0;
}

int k8s_object_key(struct json_object *obj, char *key, size_t len, char *err,
		   size_t errlen)
{
	char ns[K8S_NAME_MAX], name[K8S_NAME_MAX];
	int rc;

	/* Cluster-scoped objects have no namespace: "/name". */
	if (!get_str(get_obj(obj, "metadata"), "namespace"))
		ns[0] = '\0', rc = parse_name(obj, name, err, errlen);
	else
		rc = parse_meta(obj, ns, name, err, errlen);
	if (rc)
		return rc;
	if ((size_t)snprintf(key, len, "%s/%s", ns, name) >= len) {
		snprintf(err, errlen, "object name too long");
		return -EINVAL;
	}
	return 0;
}

const char *k8s_object_rv(struct json_object *obj)
{
	const char *rv = get_str(get_obj(obj, "metadata"), "resourceVersion");

	return rv && *rv ? rv : NULL;
}

/* --- Services ---------------------------------------------------------- */

static int parse_type(struct json_object *spec, struct k8s_service *svc,
		      char *err, size_t errlen)
{
	const char *t = get_str(spec, "type");

	if (!t || !strcmp(t, "ClusterIP"))
		svc->type = K8S_SVC_CLUSTER_IP;
	else if (!strcmp(t, "NodePort"))
		svc->type = K8S_SVC_NODE_PORT;
	else if (!strcmp(t, "LoadBalancer"))
		svc->type = K8S_SVC_LOAD_BALANCER;
	else if (!strcmp(t, "ExternalName"))
		svc->type = K8S_SVC_EXTERNAL_NAME;
	else {
		snprintf(err, errlen, "unknown Service type %.64s", t);
		return -EINVAL;
	}
	return 0;
}

/* The strings of array a (or of a single string s) that are addresses. */
static int parse_ips(struct json_object *a, const char *s, struct k8s_ip **out,
		     size_t *n, bool *none)
{
	size_t i, len = a ? arr_len(a) : (s ? 1 : 0);
	const char *v;

	*out = NULL;
	*n = 0;
	if (!len)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		v = a ? str_of(json_object_array_get_idx(a, i)) : s;
		if (none && v && !strcmp(v, "None"))
			*none = true;
		else if (parse_ip(v, &(*out)[*n]))
			(*n)++;
	}
	return 0;
}

static int parse_cluster_ips(struct json_object *spec, struct k8s_service *svc)
{
	struct json_object *a = get_arr(spec, "clusterIPs");
	const char *one = get_str(spec, "clusterIP");

	if (!arr_len(a))
		a = NULL;
	if (!a && one && !*one)
		one = NULL;
	return parse_ips(a, one, &svc->cluster_ips, &svc->n_cluster_ips,
			 &svc->headless);
}

/* status.loadBalancer.ingress[].ip; ipMode Proxy means the load balancer
 * proxies and the node never sees that address. */
static int parse_lb_ips(struct json_object *obj, struct k8s_service *svc)
{
	struct json_object *lb =
		get_obj(get_obj(obj, "status"), "loadBalancer");
	struct json_object *ing = get_arr(lb, "ingress"), *e;
	const char *mode;
	size_t i;

	if (!arr_len(ing))
		return 0;
	svc->lb_ips = calloc(arr_len(ing), sizeof(*svc->lb_ips));
	if (!svc->lb_ips)
		return -ENOMEM;
	for (i = 0; i < arr_len(ing); i++) {
		e = json_object_array_get_idx(ing, i);
		mode = get_str(e, "ipMode");
		if (mode && !strcmp(mode, "Proxy"))
			continue;
		if (parse_ip(get_str(e, "ip"), &svc->lb_ips[svc->n_lb_ips]))
			svc->n_lb_ips++;
	}
	return 0;
}

static int parse_svc_ports(struct json_object *spec, struct k8s_service *svc)
{
	struct json_object *a = get_arr(spec, "ports"), *p;
	struct k8s_service_port *sp;
	const char *name;
	size_t i;

	if (!arr_len(a))
		return 0;
	svc->ports = calloc(arr_len(a), sizeof(*svc->ports));
	if (!svc->ports)
		return -ENOMEM;
	for (i = 0; i < arr_len(a); i++) {
		p = json_object_array_get_idx(a, i);
		sp = &svc->ports[svc->n_ports];
		name = get_str(p, "name");
		sp->port = get_int(p, "port", 1, 65535, 0);
		sp->node_port = get_int(p, "nodePort", 1, 65535, 0);
		sp->proto = proto_of(p);
		if (!sp->port ||
		    !copy_str(sp->name, sizeof(sp->name), name ? name : ""))
			continue;
		svc->n_ports++;
	}
	return 0;
}

static void parse_affinity(struct json_object *spec, struct k8s_service *svc)
{
	struct json_object *cfg = get_obj(spec, "sessionAffinityConfig");
	const char *a = get_str(spec, "sessionAffinity");

	if (!a || strcmp(a, "ClientIP"))
		return;
	svc->affinity_timeout =
		get_int(get_obj(cfg, "clientIP"), "timeoutSeconds", 1,
			SHUNT_AFFINITY_MAX_SECONDS, K8S_AFFINITY_DEFAULT);
}

/* The annotation K8S_LB_MODE_ANNOTATION: "snat" or "dsr" override the
 * node's --lb-mode for external traffic to remote endpoints; anything
 * else leaves it. */
static __u32 parse_lb_mode(struct json_object *obj)
{
	const char *m =
		get_str(get_obj(get_obj(obj, "metadata"), "annotations"),
			K8S_LB_MODE_ANNOTATION);

	if (m && !strcmp(m, "dsr"))
		return SHUNT_FE_F_MODE_DSR;
	if (m && !strcmp(m, "snat"))
		return SHUNT_FE_F_MODE_SNAT;
	return 0;
}

/* The labels that decide whether the Service is ours. */
static int parse_labels(struct json_object *obj, struct k8s_service *svc)
{
	struct json_object *labels =
		get_obj(get_obj(obj, "metadata"), "labels");
	const char *name = get_str(labels, K8S_PROXY_NAME_LABEL);

	svc->headless_label =
		labels &&
		json_object_object_get_ex(labels, K8S_HEADLESS_LABEL, NULL);
	if (!name)
		return 0;
	svc->proxy_name = strdup(name);
	return svc->proxy_name ? 0 : -ENOMEM;
}

/* metadata.creationTimestamp ("2024-05-01T12:00:00Z", the API server's
 * RFC 3339 in UTC), or K8S_CREATED_UNKNOWN. */
static __u64 parse_created(struct json_object *obj)
{
	const char *t = get_str(get_obj(obj, "metadata"), "creationTimestamp");
	struct tm tm;
	const char *end;
	time_t s;

	if (!t)
		return K8S_CREATED_UNKNOWN;
	memset(&tm, 0, sizeof(tm));
	end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || strcmp(end, "Z"))
		return K8S_CREATED_UNKNOWN;
	s = timegm(&tm);
	return s < 0 ? K8S_CREATED_UNKNOWN : (__u64)s;
}

int k8s_service_parse(struct json_object *obj, struct k8s_service **out,
		      char *err, size_t errlen)
{
	struct json_object *spec = get_obj(obj, "spec");
	struct k8s_service *svc;
	const char *policy;
	int rc;

	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	rc = parse_meta(obj, svc->ns, svc->name, err, errlen);
	if (!rc && !spec) {
		snprintf(err, errlen, "Service has no spec");
		rc = -EINVAL;
	}
	if (!rc)
		rc = parse_type(spec, svc, err, errlen);
	if (!rc)
		rc = parse_cluster_ips(spec, svc);
	if (!rc)
		rc = parse_ips(get_arr(spec, "externalIPs"), NULL,
			       &svc->external_ips, &svc->n_external_ips, NULL);
	if (!rc)
		rc = parse_lb_ips(obj, svc);
	if (!rc)
		rc = parse_svc_ports(spec, svc);
	if (!rc)
		rc = k8s_parse_src_ranges(obj, spec, svc, err, errlen);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		k8s_service_free(svc);
		return rc;
	}
	parse_affinity(spec, svc);
	svc->created = parse_created(obj);
	policy = get_str(spec, "externalTrafficPolicy");
	svc->local = policy && !strcmp(policy, "Local");
	policy = get_str(spec, "internalTrafficPolicy");
	svc->internal_local = policy && !strcmp(policy, "Local");
	svc->hc_node_port =
		(__u16)get_int(spec, "healthCheckNodePort", 1, 65535, 0);
	svc->lb_mode = parse_lb_mode(obj);
	rc = parse_labels(obj, svc);
	if (rc) {
		k8s_service_free(svc);
		return rc;
	}
	*out = svc;
	return 0;
}

void k8s_service_free(struct k8s_service *svc)
{
	if (!svc)
		return;
	free(svc->proxy_name);
	free(svc->cluster_ips);
	free(svc->external_ips);
	free(svc->lb_ips);
	free(svc->src_ranges);
	free(svc->ports);
	free(svc);
}

/* --- EndpointSlices ---------------------------------------------------- */

static int parse_family(struct json_object *obj, struct k8s_slice *sl,
			char *err, size_t errlen)
{
	const char *t = get_str(obj, "addressType");

	if (!t) {
		snprintf(err, errlen, "EndpointSlice has no addressType");
		return -EINVAL;
	}
	if (!strcmp(t, "IPv4"))
		sl->family = SHUNT_V4;
	else if (!strcmp(t, "IPv6"))
		sl->family = SHUNT_V6;
	else
		sl->family = 0; /* FQDN and anything newer: not used */
	return 0;
}

static int parse_slice_ports(struct json_object *obj, struct k8s_slice *sl)
{
	struct json_object *a = get_arr(obj, "ports"), *p;
	struct k8s_slice_port *sp;
	const char *name;
	size_t i;

	if (!arr_len(a))
		return 0;
	sl->ports = calloc(arr_len(a), sizeof(*sl->ports));
	if (!sl->ports)
		return -ENOMEM;
	for (i = 0; i < arr_len(a); i++) {
		p = json_object_array_get_idx(a, i);
		sp = &sl->ports[sl->n_ports];
		name = get_str(p, "name");
		sp->port = get_int(p, "port", 1, 65535, 0);
		sp->proto = proto_of(p);
		if (!sp->port ||
		    !copy_str(sp->name, sizeof(sp->name), name ? name : ""))
			continue;
		sl->n_ports++;
	}
	return 0;
}

/* Ready (or unknown) takes new flows; terminating but still serving keeps
 * its flows; anything else is left out (0). */
static __u8 endpoint_state(struct json_object *ep)
{
	struct json_object *c = get_obj(ep, "conditions");
	bool ready = get_bool(c, "ready", true);
	bool serving = get_bool(c, "serving", ready);
	bool terminating = get_bool(c, "terminating", false);

	if (ready)
		return SHUNT_BE_ACTIVE;
	if (terminating && serving)
		return SHUNT_BE_DRAINING;
	return 0;
}

/* The names of hints.<key>[] ("forZones", "forNodes") joined by commas
 * (label values and node names have none); NULL when there are none.
 * Entries without a name are left out. 0 or -ENOMEM. */
static int parse_hints(struct json_object *ep, const char *key, char **out)
{
	struct json_object *a = get_arr(get_obj(ep, "hints"), key);
	size_t i, len = 0, n;
	const char *name;
	char *buf;

	*out = NULL;
	for (i = 0; i < arr_len(a); i++) {
		name = get_str(json_object_array_get_idx(a, i), "name");
		if (name && *name && !strchr(name, ','))
			len += strlen(name) + 1;
	}
	if (!len)
		return 0;
	buf = calloc(1, len);
	if (!buf)
		return -ENOMEM;
	for (i = 0, len = 0; i < arr_len(a); i++) {
		name = get_str(json_object_array_get_idx(a, i), "name");
		if (!name || !*name || strchr(name, ','))
			continue;
		n = strlen(name);
		if (len)
			buf[len++] = ',';
		memcpy(buf + len, name, n);
		len += n;
	}
	*out = buf;
	return 0;
}

static int parse_endpoint(struct json_object *ep, __u8 family,
			  struct k8s_endpoint *out)
{
	struct json_object *addrs = get_arr(ep, "addresses");
	const char *node = get_str(ep, "nodeName");

	out->state = endpoint_state(ep);
	if (!out->state || !arr_len(addrs) ||
	    !parse_ip(str_of(json_object_array_get_idx(addrs, 0)), &out->ip) ||
	    out->ip.family != family)
		return 0;
	if (node && *node) {
		out->node = strdup(node);
		if (!out->node)
			return -ENOMEM;
	}
	if (parse_hints(ep, "forZones", &out->zone_hints) ||
	    parse_hints(ep, "forNodes", &out->node_hints))
		return -ENOMEM;
	return 1;
}

static int parse_endpoints(struct json_object *obj, struct k8s_slice *sl)
{
	struct json_object *a = get_arr(obj, "endpoints");
	size_t i;
	int rc;

	if (!arr_len(a) || !sl->family)
		return 0;
	sl->eps = calloc(arr_len(a), sizeof(*sl->eps));
	if (!sl->eps)
		return -ENOMEM;
	for (i = 0; i < arr_len(a); i++) {
		rc = parse_endpoint(json_object_array_get_idx(a, i), sl->family,
				    &sl->eps[sl->n_eps]);
		if (rc < 0) {
			/* Not counted yet: freed here. */
			free(sl->eps[sl->n_eps].node);
			free(sl->eps[sl->n_eps].zone_hints);
			return rc;
		}
		sl->n_eps += rc;
	}
	return 0;
}

static int parse_service_label(struct json_object *obj, struct k8s_slice *sl,
			       char *err, size_t errlen)
{
	struct json_object *labels =
		get_obj(get_obj(obj, "metadata"), "labels");
	const char *svc = get_str(labels, SERVICE_NAME_LABEL);

	if (svc && !copy_str(sl->service, sizeof(sl->service), svc)) {
		snprintf(err, errlen, "service name label too long");
		return -EINVAL;
	}
	return 0;
}

int k8s_slice_parse(struct json_object *obj, struct k8s_slice **out, char *err,
		    size_t errlen)
{
	struct k8s_slice *sl;
	int rc;

	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	rc = parse_meta(obj, sl->ns, sl->name, err, errlen);
	if (!rc)
		rc = parse_service_label(obj, sl, err, errlen);
	if (!rc)
		rc = parse_family(obj, sl, err, errlen);
	if (!rc)
		rc = parse_slice_ports(obj, sl);
	if (!rc)
		rc = parse_endpoints(obj, sl);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		k8s_slice_free(sl);
		return rc;
	}
	*out = sl;
	return 0;
}

void k8s_slice_free(struct k8s_slice *sl)
{
	size_t i;

	if (!sl)
		return;
	for (i = 0; i < sl->n_eps; i++) {
		free(sl->eps[i].node);
		free(sl->eps[i].zone_hints);
		free(sl->eps[i].node_hints);
	}
	free(sl->eps);
	free(sl->ports);
	free(sl);
}

/* --- Nodes ------------------------------------------------------------- */

/* One pod CIDR string into n->pod_cidrs, when it parses. */
static void add_pod_cidr(struct k8s_node *n, const char *s)
{
	struct shunt_nodeport_addrs one;
	char why[128];

	if (!s || !*s || strchr(s, ',') ||
	    n->pod_cidrs.n_cidrs >= SHUNT_NODEPORT_CIDRS_MAX ||
	    shunt_nodeport_addrs_parse(s, &one, why, sizeof(why)) ||
	    one.primary || one.n_cidrs != 1)
		return;
	n->pod_cidrs.cidrs[n->pod_cidrs.n_cidrs++] = one.cidrs[0];
}

static void parse_pod_cidrs(struct json_object *obj, struct k8s_node *n)
{
	struct json_object *spec = get_obj(obj, "spec");
	struct json_object *a = get_arr(spec, "podCIDRs");
	size_t i;

	for (i = 0; i < arr_len(a); i++)
		add_pod_cidr(n, str_of(json_object_array_get_idx(a, i)));
	if (!arr_len(a))
		add_pod_cidr(n, get_str(spec, "podCIDR"));
}

int k8s_node_parse(struct json_object *obj, struct k8s_node **out, char *err,
		   size_t errlen)
{
	const char *zone = get_str(get_obj(get_obj(obj, "metadata"), "labels"),
				   K8S_ZONE_LABEL);
	struct k8s_node *n;
	int rc;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	rc = parse_name(obj, n->name, err, errlen);
	if (!rc && zone && *zone && !(n->zone = strdup(zone))) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
	}
	if (rc) {
		k8s_node_free(n);
		return rc;
	}
	parse_pod_cidrs(obj, n);
	*out = n;
	return 0;
}

void k8s_node_free(struct k8s_node *n)
{
	if (!n)
		return;
	free(n->zone);
	free(n);
}
