/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Kubernetes source: list + watch of Services (v1) and EndpointSlices
 * (discovery.k8s.io/v1) in worker threads, turned into shunt's desired
 * services on request. The agent owns reconciling; this module only
 * watches, caches and translates.
 */
#ifndef SHUNTD_K8S_H
#define SHUNTD_K8S_H

#include <stdbool.h>
#include <stdint.h>

#include "k8s_model.h"
#include "reconcile.h"

struct k8s_options {
	const char *kubeconfig; /* NULL/"": in-cluster service account */
	const char *node_name;	/* for externalTrafficPolicy: Local */
	/* Services labelled service-proxy-name with this value are ours
	 * too; NULL/"": only unlabelled ones (kube-proxy's rule). */
	const char *service_proxy_name;
	/* An http:// API server is refused (the token would travel in
	 * cleartext) unless this is set (--insecure-http). */
	bool insecure_http;
	/* --external-ip-cidrs: externalIPs outside these are ignored; 0: all
	 * taken. Copied. */
	const struct shunt_cidr *external_ip_cidrs;
	size_t n_external_ip_cidrs;
	/* --lb-source-ranges-nodeport: loadBalancerSourceRanges apply to a
	 * Service's NodePort too. */
	bool src_ranges_nodeport;
	/* In-cluster files and API address (tests point them elsewhere):
	 * NULL means the standard paths and $KUBERNETES_SERVICE_HOST/PORT. */
	const char *token_file;
	const char *ca_file;
};

struct k8s_stats {
	uint64_t events;     /* watch events applied */
	uint64_t bad_events; /* malformed events skipped */
	uint64_t relists;    /* full lists (start, 410 Gone, errors) */
	uint64_t errors;     /* failed requests / dropped watches */
	/* Frontends refused to a Service (VIP ownership), by reason; each
	 * time a Service's frontends are decided again. */
	uint64_t refused[K8S_REFUSED_REASONS];
	bool synced; /* both resources listed at least once */
};

/* A healthCheckNodePort to serve (healthcheck.h): a LoadBalancer Service
 * with externalTrafficPolicy: Local, and its endpoints on this node. */
struct k8s_health {
	char svc[2 * K8S_NAME_MAX]; /* "namespace/name" */
	uint16_t port;
	uint32_t local_endpoints; /* ready (or serving) ones, any family */
};

struct k8s_source;

/* Start watching. notify_fd (an eventfd) is written to whenever the
 * cached state changed, so the agent can reconcile. -errno when the
 * configuration cannot be read (missing kubeconfig, token, ...). */
int k8s_source_start(const struct k8s_options *o, int notify_fd,
		     struct k8s_source **out);
/* The desired services for the cached state, translated whole,
 * thread-safe. */
int k8s_source_desired(struct k8s_source *src, struct shunt_desired *out);

/* What to apply since the last call: everything (full: after the first
 * list, a relist or an error) or only what the events changed. */
struct k8s_changes {
	bool full;
	struct shunt_desired want; /* full: every service; else: changed */
	char **remove;		   /* names no longer produced (not full) */
	size_t n_remove;
};

/* Costs what changed: only the Services that events touched are
 * translated again. 0 or -errno (then the next call is full). */
int k8s_source_changes(struct k8s_source *src, struct k8s_changes *out);
void k8s_changes_free(struct k8s_changes *c);
/* Make the next k8s_source_changes() full: what the last one returned
 * did not all make it into the maps. */
void k8s_source_resync(struct k8s_source *src);
void k8s_source_stats(struct k8s_source *src, struct k8s_stats *st);
/* The healthCheckNodePorts to serve now (malloc'd, sorted by port). 0 or
 * -ENOMEM. */
int k8s_source_health(struct k8s_source *src, struct k8s_health **out,
		      size_t *n);
/* This node's spec.podCIDRs (the Node watch) into *out when they changed
 * since the last call; false otherwise. */
bool k8s_source_pod_cidrs(struct k8s_source *src,
			  struct shunt_nodeport_addrs *out);
void k8s_source_stop(struct k8s_source *src);

#endif /* SHUNTD_K8S_H */
