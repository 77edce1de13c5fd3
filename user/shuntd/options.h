/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * shuntd's settings, from (highest first) command-line flags, environment
 * variables, the config file (--config, YAML or JSON) and defaults.
 */
#ifndef SHUNTD_OPTIONS_H
#define SHUNTD_OPTIONS_H

#include <stdbool.h>
#include <limits.h>

#include "attach.h"
#include "load.h"
#include "log.h"
#include "nodeaddrs.h"
#include "shunt.h"

#define SHUNTD_MAX_IFACES	   32
#define SHUNTD_MAX_NODE_IPS	   8
#define SHUNTD_DEFAULT_METRICS	   ":9470"
#define SHUNTD_DEFAULT_GC_INTERVAL 10

struct shuntd_options {
	char config[PATH_MAX];
	char ifaces[SHUNTD_MAX_IFACES][16];
	int n_ifaces;
	enum shunt_mode mode;
	char cgroup[PATH_MAX]; /* "" = detected root, "none" = no cgroup */
	char pin_root[PATH_MAX];
	struct shunt_config ct;	   /* 0 fields: leave the current value */
	struct shunt_capacity cap; /* at first load (0 fields: defaults) */
	unsigned int gc_interval;  /* seconds */
	char metrics_addr[128];	   /* "[ADDR]:PORT", "" = off */
	enum log_format log_format;
	char services_file[PATH_MAX];
	bool kubernetes;
	char kubeconfig[PATH_MAX];
	char node_name[256];
	char service_proxy_name[64]; /* --service-proxy-name, "" unset */
	bool insecure_http;	     /* --insecure-http */
	bool src_ranges_nodeport;    /* --lb-source-ranges-nodeport */
	char node_ips[SHUNTD_MAX_NODE_IPS][64]; /* primary addresses */
	int n_node_ips;
	struct shunt_nodeport_addrs nodeport; /* --nodeport-addresses */
	/* --external-ip-cidrs (CIDRs only) */
	struct shunt_nodeport_addrs external_ips;
	/* --pod-cidrs: this node's pods (CIDRs only), for the short-circuit
	 * of Local policies; none: no pod is recognised. */
	struct shunt_nodeport_addrs pod_cidrs;
	bool cleanup;
	bool once; /* apply the sources once and exit (tests, scripts) */
	bool debug;
};

/* Fill o from argv, the environment and the config file. 0, or an exit
 * status (help printed: 0 via *exit_now; bad input reported). */
int shuntd_options_parse(struct shuntd_options *o, int argc, char **argv,
			 bool *exit_now);

#endif /* SHUNTD_OPTIONS_H */
