/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kubernetes Services and EndpointSlices as shunt sees them, and the pure
 * translation of both into shunt's desired services (no network, no
 * threads: the agent's Kubernetes source caches these objects and calls
 * k8s_model_desired() on request).
 *
 * Parsing keeps only what the translation needs. An object without
 * metadata.namespace/name (or a Service without spec, a slice without
 * addressType) is malformed: -EINVAL with a reason. Entries that cannot
 * be used (an address that does not parse, a port out of range) are left
 * out of an otherwise good object, as kube-proxy does.
 */
#ifndef SHUNT_K8S_MODEL_H
#define SHUNT_K8S_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <json-c/json.h>

#include "nodeaddrs.h"
#include "reconcile.h"

/* 253 + NUL: namespaces, names, label values. */
#define K8S_NAME_MAX	     254
#define K8S_PORT_NAME_MAX    64
#define K8S_AFFINITY_DEFAULT 10800 /* sessionAffinityConfig default */
/* A Service's own --lb-mode: "snat" or "dsr". */
#define K8S_LB_MODE_ANNOTATION "shunt.dev/lb-mode"
/* kube-proxy's source ranges when spec.loadBalancerSourceRanges is
 * empty: comma-separated CIDRs. */
#define K8S_SRC_RANGES_ANNOTATION                                              \
	"service.beta.kubernetes.io/load-balancer-source-ranges"
/* Labels that say a Service (and its EndpointSlices) is not kube-proxy's
 * business: another proxy's, or headless. */
#define K8S_PROXY_NAME_LABEL "service.kubernetes.io/service-proxy-name"
#define K8S_HEADLESS_LABEL   "service.kubernetes.io/headless"
/* The label selector of kube-proxy's lists and watches. */
#define K8S_NOT_OURS_SELECTOR "!" K8S_PROXY_NAME_LABEL ",!" K8S_HEADLESS_LABEL

struct k8s_ip {
	union shunt_ip addr;
	__u8 family; /* SHUNT_V4 or SHUNT_V6 */
};

enum k8s_svc_type {
	K8S_SVC_CLUSTER_IP = 0,
	K8S_SVC_NODE_PORT,
	K8S_SVC_LOAD_BALANCER,
	K8S_SVC_EXTERNAL_NAME,
};

struct k8s_service_port {
	char name[K8S_PORT_NAME_MAX]; /* "" when unnamed */
	__u8 proto;		      /* IPPROTO_TCP, IPPROTO_UDP, 0: other */
	__u16 port;		      /* host order */
	__u16 node_port;	      /* host order, 0: none */
};

/* A Service without metadata.creationTimestamp ranks as the newest. */
#define K8S_CREATED_UNKNOWN UINT64_MAX

struct k8s_service {
	char ns[K8S_NAME_MAX];
	char name[K8S_NAME_MAX];
	__u64 created; /* creationTimestamp, seconds since the epoch */
	enum k8s_svc_type type;
	bool headless;		/* clusterIP: None */
	bool local;		/* externalTrafficPolicy: Local */
	bool internal_local;	/* internalTrafficPolicy: Local */
	__u16 hc_node_port;	/* healthCheckNodePort, 0: none */
	__u32 lb_mode;		/* SHUNT_FE_F_MODE_*, 0: the node's */
	char *proxy_name;	/* K8S_PROXY_NAME_LABEL's value, NULL: unset */
	bool headless_label;	/* K8S_HEADLESS_LABEL set */
	__u32 affinity_timeout; /* seconds, 0: no ClientIP affinity */
	struct k8s_ip *cluster_ips; /* spec.clusterIPs, else spec.clusterIP */
	size_t n_cluster_ips;
	struct k8s_ip *external_ips; /* spec.externalIPs */
	size_t n_external_ips;
	struct k8s_ip *lb_ips; /* status.loadBalancer.ingress[].ip */
	size_t n_lb_ips;
	/* LoadBalancer only: loadBalancerSourceRanges (or the annotation),
	 * both families, sorted, no duplicates. */
	struct shunt_src_range *src_ranges;
	size_t n_src_ranges;
	struct k8s_service_port *ports;
	size_t n_ports;
};

struct k8s_endpoint {
	struct k8s_ip ip; /* addresses[0] */
	__u8 state;	  /* SHUNT_BE_ACTIVE or SHUNT_BE_DRAINING */
	char *node;	  /* nodeName, NULL when not set */
	/* Topology hints set by the EndpointSlice controller for
	 * trafficDistribution (hints.forZones[].name, hints.forNodes[].name),
	 * comma-separated; NULL when there are none. */
	char *zone_hints;
	char *node_hints;
};

struct k8s_slice_port {
	char name[K8S_PORT_NAME_MAX]; /* "" when unnamed */
	__u8 proto;
	__u16 port; /* host order */
};

struct k8s_slice {
	char ns[K8S_NAME_MAX];
	char name[K8S_NAME_MAX];
	char service[K8S_NAME_MAX];   /* kubernetes.io/service-name, "" */
	__u8 family;		      /* addressType; 0: FQDN (not used) */
	struct k8s_slice_port *ports; /* ports without a number left out */
	size_t n_ports;
	/* Only endpoints that take or keep traffic: ready (active), or
	 * terminating and still serving (draining). */
	struct k8s_endpoint *eps;
	size_t n_eps;
};

/* The Node label kube-proxy reads for topology hints. */
#define K8S_ZONE_LABEL "topology.kubernetes.io/zone"

/* This node, from the Node watch (only its zone is used). */
struct k8s_node {
	char name[K8S_NAME_MAX];
	char *zone; /* K8S_ZONE_LABEL's value, NULL when not set */
	/* spec.podCIDRs (else spec.podCIDR): this node's pods, for the
	 * short-circuit of Local policies unless --pod-cidrs says. Entries
	 * that do not parse are left out. */
	struct shunt_nodeport_addrs pod_cidrs;
};

/* "namespace/name" of any object, from its metadata ("/name" for a
 * cluster-scoped one). 0 or -EINVAL. */
int k8s_object_key(struct json_object *obj, char *key, size_t len, char *err,
		   size_t errlen);
/* metadata.resourceVersion, or NULL. */
const char *k8s_object_rv(struct json_object *obj);

int k8s_service_parse(struct json_object *obj, struct k8s_service **out,
		      char *err, size_t errlen);
void k8s_service_free(struct k8s_service *svc);
/* svc->src_ranges of Service obj (whose spec is spec, type parsed). 0,
 * -EINVAL (a CIDR that does not parse: err names the Service and the
 * value) or -ENOMEM. */
int k8s_parse_src_ranges(struct json_object *obj, struct json_object *spec,
			 struct k8s_service *svc, char *err, size_t errlen);
int k8s_slice_parse(struct json_object *obj, struct k8s_slice **out, char *err,
		    size_t errlen);
void k8s_slice_free(struct k8s_slice *sl);
int k8s_node_parse(struct json_object *obj, struct k8s_node **out, char *err,
		   size_t errlen);
void k8s_node_free(struct k8s_node *n);

/* Why a Service does not get one of its frontends (VIP ownership). */
enum k8s_refusal {
	/* An externalIP or load balancer IP that is another Service's
	 * ClusterIP: the ClusterIP's Service owns that address. */
	K8S_REFUSED_CLUSTER_IP,
	/* The same VIP:port/protocol is a frontend of a Service that ranks
	 * before this one: a ClusterIP before any other frontend, then the
	 * older Service, then namespace/name. */
	K8S_REFUSED_TAKEN,
	/* An externalIP outside --external-ip-cidrs. */
	K8S_REFUSED_EXTERNAL_IP_CIDRS,
	K8S_REFUSED_REASONS,
};

/* Is f an externalIP or load balancer IP frontend (external, not the
 * NodePort wildcard)? The frontends VIP ownership weighs against
 * ClusterIPs. */
static inline bool k8s_fe_is_external_ip(const struct shunt_frontend_spec *f)
{
	static const union shunt_ip zero;

	return (f->flags & SHUNT_FE_F_EXTERNAL) &&
	       memcmp(&f->key.vip, &zero, sizeof(zero));
}

/* "cluster-ip", "taken", "external-ip-cidrs". */
const char *k8s_refusal_name(enum k8s_refusal why);

/* Told of each frontend a Service is refused: service is the spec name
 * ("ns/name:port..."), holder the Service ("ns/name") that keeps the
 * address or frontend, NULL for external-ip-cidrs. */
typedef void k8s_refused_fn(void *arg, const char *service,
			    const struct shunt_frontend_key *k,
			    enum k8s_refusal why, const char *holder);

struct k8s_model_opts {
	const char *node_name; /* this node, for externalTrafficPolicy: Local */
	/* This node's topology.kubernetes.io/zone label (the Node watch),
	 * NULL or "" when it has none: topology hints for zones are not
	 * used then. */
	const char *zone;
	/* --service-proxy-name: Services labelled with it are ours too;
	 * NULL: only those without K8S_PROXY_NAME_LABEL. */
	const char *service_proxy_name;
	/* --external-ip-cidrs: externalIPs outside these are ignored (the
	 * DenyServiceExternalIPs admission rule, on the node); 0: all
	 * taken. Load balancer IPs are not affected. */
	const struct shunt_cidr *external_ip_cidrs;
	size_t n_external_ip_cidrs;
	/* --lb-source-ranges-nodeport: a LoadBalancer Service's source
	 * ranges apply to its NodePort too, not only to its load balancer
	 * IPs. */
	bool src_ranges_nodeport;
	k8s_refused_fn *refused; /* NULL: not told */
	void *refused_arg;
};

/* Is svc ours (not another proxy's, not labelled headless)? */
bool k8s_service_is_ours(const struct k8s_service *svc,
			 const struct k8s_model_opts *o);

/*
 * The desired services of one Service (appended to out), from its
 * slices[0..n_slices-1] (any order; others are ignored). For every port
 * (TCP or UDP) of a ClusterIP, NodePort or LoadBalancer Service that is
 * not headless, and every family it has a cluster IP of, one service
 * named "ns/name:port" ("/ipv6" added for IPv6) whose frontends are the
 * cluster IPs at the port, the NodePort wildcard at the nodePort, the
 * load balancer ingress IPs and the external IPs at the port. Backends
 * are the endpoints of the slices of that family, at the port of the
 * slice port with the Service port's name and protocol. With
 * externalTrafficPolicy: Local the external frontends (all but the
 * cluster IPs), with internalTrafficPolicy: Local the cluster IPs, go to
 * a second service, "/local" added, with only this node's endpoints
 * (flag SHUNT_FE_F_LOCAL). A set without ready endpoints uses its
 * serving and terminating ones. 0 or -ENOMEM.
 */
int k8s_translate_service(const struct k8s_service *svc,
			  const struct k8s_slice *const *slices,
			  size_t n_slices, const struct k8s_model_opts *o,
			  struct shunt_desired *out);

/*
 * The desired services of all these objects (in any order), sorted by
 * name: k8s_translate_service() of every Service, then VIP ownership: an
 * externalIP or load balancer IP frontend whose address is another
 * Service's ClusterIP is dropped; a frontend claimed by several Services
 * stays with the first by (ClusterIP frontends first, the older Service,
 * namespace/name) and is dropped from the others. Each drop goes to
 * o->refused. out is initialised here. 0 or -ENOMEM (out freed).
 */
int k8s_model_desired(const struct k8s_service *const *svcs, size_t n_svcs,
		      const struct k8s_slice *const *slices, size_t n_slices,
		      const struct k8s_model_opts *o,
		      struct shunt_desired *out);

#endif /* SHUNT_K8S_MODEL_H */
