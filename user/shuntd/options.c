// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntd settings: flags > environment > config file > defaults. Every
 * layer goes through set_option(), so a value is checked the same way
 * wherever it comes from, and the error names where it came from. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "parse.h"
#include "yamldoc.h"

#ifndef SHUNT_VERSION
#define SHUNT_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fputs("Usage: shuntd [OPTIONS]\n"
	      "shunt's node agent: loads and attaches the datapath, keeps the services in step\n"
	      "with a services file and/or the Kubernetes API, keeps this node's NodePort\n"
	      "addresses current, collects expired conntrack entries, serves /metrics,\n"
	      "/healthz and /readyz. Stops on SIGTERM without detaching anything; SIGHUP\n"
	      "reads the services file again and applies the Kubernetes state whole.\n"
	      "\n"
	      "  -c, --config FILE        YAML or JSON file with any of the keys below\n"
	      "  -i, --interfaces LIST    interfaces to attach (comma-separated)\n"
	      "      --mode auto|xdp|tc   attach mode (default auto)\n"
	      "      --cgroup PATH|none   socket-level path (default: cgroup v2 root)\n"
	      "      --pin-root DIR       (default $SHUNT_PIN_ROOT or /sys/fs/bpf/shunt)\n"
	      "      --conntrack NAME=SECONDS  lifetime (established, syn, fin-wait,\n"
	      "                           close-wait, time-wait, close, udp); repeatable\n"
	      "      --max-services N     table capacities at first load (defaults 32768,\n"
	      "      --max-frontends N    65536, 131072 and 524288 conntrack entries); a\n"
	      "      --max-backends N     loaded datapath keeps its sizes until --cleanup\n"
	      "      --ct-max ENTRIES\n"
	      "      --snat-ports MIN-MAX source ports of masqueraded flows (default\n"
	      "                           61000-65535): apart from ip_local_port_range and\n"
	      "                           the NodePort range 30000-32767\n"
	      "      --lb-mode snat|dsr   external traffic to a backend on another node:\n"
	      "                           masqueraded, or sent with the client's address and\n"
	      "                           answered from that node (default snat; a Service's\n"
	      "                           shunt.dev/lb-mode annotation overrides it)\n"
	      "      --gc-interval SECONDS    conntrack GC period (default 10)\n"
	      "      --metrics-addr [ADDR]:PORT|none  (default :9470)\n"
	      "      --log-format kv|json\n"
	      "  -f, --services-file FILE services, watched with inotify\n"
	      "  -k, --kubernetes         watch Services and EndpointSlices\n"
	      "      --kubeconfig FILE    (default: in-cluster service account)\n"
	      "      --node-name NAME     this node (default $NODE_NAME, hostname)\n"
	      "      --service-proxy-name NAME  also serve Services labelled\n"
	      "                           service.kubernetes.io/service-proxy-name=NAME\n"
	      "                           (default: only unlabelled ones, as kube-proxy)\n"
	      "      --insecure-http      accept an http:// API server (credentials in\n"
	      "                           cleartext; refused by default)\n"
	      "      --external-ip-cidrs LIST  Services' externalIPs outside these CIDRs\n"
	      "                           (comma-separated) are ignored (default: all)\n"
	      "      --pod-cidrs LIST     this node's pod CIDRs (comma-separated): their\n"
	      "                           flows to a Local policy's external frontends\n"
	      "                           take the cluster set (kube-proxy's short-circuit;\n"
	      "                           default: the Node's spec.podCIDRs)\n"
	      "      --lb-source-ranges-nodeport  a LoadBalancer Service's\n"
	      "                           loadBalancerSourceRanges apply to its NodePort\n"
	      "                           too (default: its load balancer IPs only)\n"
	      "      --node-ip IP         this node's primary addresses (repeatable; default:\n"
	      "                           the source addresses of the default routes)\n"
	      "      --nodeport-addresses LIST  addresses NodePorts answer on: CIDRs and\n"
	      "                           'primary', comma-separated (default: every address\n"
	      "                           but loopback and link-local)\n"
	      "      --once               apply the sources once, then exit\n"
	      "      --cleanup            detach everything, remove all pins, exit\n"
	      "  -d, --debug              libbpf and debug logging\n"
	      "  -V, --version\n"
	      "  -h, --help\n"
	      "Environment: SHUNTD_CONFIG, SHUNTD_INTERFACES, SHUNTD_MODE, SHUNTD_CGROUP,\n"
	      "SHUNT_PIN_ROOT, SHUNTD_CONNTRACK (NAME=S,...), SHUNTD_MAX_SERVICES,\n"
	      "SHUNTD_MAX_FRONTENDS, SHUNTD_MAX_BACKENDS, SHUNTD_CT_MAX, SHUNTD_SNAT_PORTS,\n"
	      "SHUNTD_LB_MODE, SHUNTD_GC_INTERVAL, SHUNTD_METRICS_ADDR, SHUNTD_LOG_FORMAT,\n"
	      "SHUNTD_SERVICES_FILE, "
	      "SHUNTD_KUBERNETES (1/0), KUBECONFIG, NODE_NAME,\n"
	      "SHUNTD_NODE_IPS (comma-separated), SHUNTD_NODEPORT_ADDRESSES,\n"
	      "SHUNTD_SERVICE_PROXY_NAME, SHUNTD_INSECURE_HTTP (1/0),\n"
	      "SHUNTD_EXTERNAL_IP_CIDRS, SHUNTD_LB_SOURCE_RANGES_NODEPORT (1/0).\n",
	      f);
}

/* Where a value came from, for messages: "--mode", "SHUNTD_MODE",
 * "shuntd.yaml:3: mode". */
static int bad(const char *where, const char *value, const char *why)
{
	fprintf(stderr, "shuntd: %s '%s': %s\n", where, value, why);
	return 2;
}

static int copy(char *dst, size_t len, const char *where, const char *v)
{
	if (strlen(v) >= len)
		return bad(where, v, "too long");
	snprintf(dst, len, "%s", v);
	return 0;
}

static int parse_bool(const char *where, const char *v, bool *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
		*out = false;
	else
		return bad(where, v, "expected true or false");
	return 0;
}

static int add_iface(struct shuntd_options *o, const char *where,
		     const char *name)
{
	if (!*name || strlen(name) >= sizeof(o->ifaces[0]))
		return bad(where, name, "not an interface name");
	if (o->n_ifaces == SHUNTD_MAX_IFACES)
		return bad(where, name, "too many interfaces");
	snprintf(o->ifaces[o->n_ifaces++], sizeof(o->ifaces[0]), "%s", name);
	return 0;
}

static int add_node_ip(struct shuntd_options *o, const char *where,
		       const char *ip)
{
	union shunt_ip addr;
	char why[128];
	__u8 fam;

	if (shunt_parse_ip(ip, &addr, &fam, why, sizeof(why)))
		return bad(where, ip, why);
	if (o->n_node_ips == SHUNTD_MAX_NODE_IPS)
		return bad(where, ip, "too many node addresses");
	snprintf(o->node_ips[o->n_node_ips++], sizeof(o->node_ips[0]), "%s",
		 ip);
	return 0;
}

/* Apply fn to each element of a comma-separated list. */
static int
each_item(struct shuntd_options *o, const char *where, const char *list,
	  int (*fn)(struct shuntd_options *, const char *, const char *))
{
	char buf[1024], *tok, *save = NULL;
	int rc;

	if (copy(buf, sizeof(buf), where, list))
		return 2;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		rc = fn(o, where, tok);
		if (rc)
			return rc;
	}
	return 0;
}

/* NAME=SECONDS for a conntrack lifetime. */
static int set_conntrack(struct shuntd_options *o, const char *where,
			 const char *item)
{
	char knob[64], why[128];
	const struct shunt_knob *k;
	const char *eq = strchr(item, '=');
	__u32 v;

	if (!eq || eq == item || (size_t)(eq - item) > 40)
		return bad(where, item, "expected NAME=SECONDS");
	snprintf(knob, sizeof(knob), "ct-%.*s-timeout", (int)(eq - item), item);
	k = shunt_knob_find(knob);
	if (!k)
		return bad(where, item,
			   "unknown lifetime (established, syn, fin-wait, "
			   "close-wait, time-wait, close, udp)");
	if (shunt_parse_u32(eq + 1, k->min, k->max, &v, why, sizeof(why)))
		return bad(where, item, why);
	*(__u32 *)((char *)&o->ct + k->off) = v;
	return 0;
}

/* MIN-MAX, ports of the SNAT range. */
static int set_snat_ports(struct shuntd_options *o, const char *where,
			  const char *v)
{
	char why[128], lo[16];
	const char *dash = strchr(v, '-');
	__u32 min, max;

	if (!dash || dash == v || (size_t)(dash - v) >= sizeof(lo))
		return bad(where, v, "expected MIN-MAX");
	snprintf(lo, sizeof(lo), "%.*s", (int)(dash - v), v);
	if (shunt_parse_u32(lo, 1024, 65535, &min, why, sizeof(why)) ||
	    shunt_parse_u32(dash + 1, 1024, 65535, &max, why, sizeof(why)))
		return bad(where, v, why);
	if (min > max)
		return bad(where, v, "the range ends before it starts");
	o->ct.snat_port_min = min;
	o->ct.snat_port_max = max;
	return 0;
}

static int set_capacity(const char *where, const char *v, __u32 max, __u32 *out)
{
	char why[128];

	if (shunt_parse_u32(v, 16, max, out, why, sizeof(why)))
		return bad(where, v, why);
	return 0;
}

/* One setting, by its long option name, from any layer. */
static int set_option(struct shuntd_options *o, const char *name, const char *v,
		      const char *where)
{
	__u32 n;
	char why[128];

	if (!strcmp(name, "interfaces")) {
		o->n_ifaces = 0;
		return each_item(o, where, v, add_iface);
	}
	if (!strcmp(name, "mode"))
		return shunt_mode_parse(v, &o->mode)
			       ? bad(where, v, "expected auto, xdp or tc")
			       : 0;
	if (!strcmp(name, "cgroup"))
		return copy(o->cgroup, sizeof(o->cgroup), where, v);
	if (!strcmp(name, "pin-root"))
		return copy(o->pin_root, sizeof(o->pin_root), where, v);
	if (!strcmp(name, "conntrack"))
		return each_item(o, where, v, set_conntrack);
	if (!strcmp(name, "ct-max")) {
		/* Below ~4096 the kernel's per-CPU LRU batches (128 entries)
		 * can reclaim a flow's reply entry right after creating it. */
		if (shunt_parse_u32(v, 4096, 1U << 26, &n, why, sizeof(why)))
			return bad(where, v, why);
		o->cap.ct = n;
		return 0;
	}
	if (!strcmp(name, "snat-ports"))
		return set_snat_ports(o, where, v);
	if (!strcmp(name, "lb-mode"))
		return shunt_knob_parse(shunt_knob_find("lb-mode"), v,
					&o->ct.lb_mode, why, sizeof(why))
			       ? bad(where, v, why)
			       : 0;
	if (!strcmp(name, "max-services"))
		return set_capacity(where, v, 1U << 20, &o->cap.services);
	if (!strcmp(name, "max-frontends"))
		return set_capacity(where, v, 1U << 22, &o->cap.frontends);
	if (!strcmp(name, "max-backends"))
		return set_capacity(where, v, 1U << 24, &o->cap.backends);
	if (!strcmp(name, "nodeport-addresses")) {
		if (shunt_nodeport_addrs_parse(v, &o->nodeport, why,
					       sizeof(why)))
			return bad(where, v, why);
		return 0;
	}
	if (!strcmp(name, "pod-cidrs")) {
		if (shunt_nodeport_addrs_parse(v, &o->pod_cidrs, why,
					       sizeof(why)))
			return bad(where, v, why);
		if (o->pod_cidrs.primary)
			return bad(where, v,
				   "CIDRs only ('primary' is not one)");
		return 0;
	}
	if (!strcmp(name, "external-ip-cidrs")) {
		if (shunt_nodeport_addrs_parse(v, &o->external_ips, why,
					       sizeof(why)))
			return bad(where, v, why);
		if (o->external_ips.primary)
			return bad(where, v,
				   "CIDRs only ('primary' is not one)");
		return 0;
	}
	if (!strcmp(name, "gc-interval")) {
		if (shunt_parse_u32(v, 1, 3600, &n, why, sizeof(why)))
			return bad(where, v, why);
		o->gc_interval = n;
		return 0;
	}
	if (!strcmp(name, "metrics-addr"))
		return copy(o->metrics_addr, sizeof(o->metrics_addr), where,
			    strcmp(v, "none") ? v : "");
	if (!strcmp(name, "log-format"))
		return log_format_parse(v, &o->log_format)
			       ? bad(where, v, "expected kv or json")
			       : 0;
	if (!strcmp(name, "services-file"))
		return copy(o->services_file, sizeof(o->services_file), where,
			    v);
	if (!strcmp(name, "kubernetes"))
		return parse_bool(where, v, &o->kubernetes);
	if (!strcmp(name, "kubeconfig"))
		return copy(o->kubeconfig, sizeof(o->kubeconfig), where, v);
	if (!strcmp(name, "node-name"))
		return copy(o->node_name, sizeof(o->node_name), where, v);
	if (!strcmp(name, "insecure-http"))
		return parse_bool(where, v, &o->insecure_http);
	if (!strcmp(name, "lb-source-ranges-nodeport"))
		return parse_bool(where, v, &o->src_ranges_nodeport);
	if (!strcmp(name, "service-proxy-name"))
		return copy(o->service_proxy_name,
			    sizeof(o->service_proxy_name), where, v);
	if (!strcmp(name, "node-ip")) {
		o->n_node_ips = 0;
		return each_item(o, where, v, add_node_ip);
	}
	fprintf(stderr, "shuntd: %s: unknown setting '%s'\n", where, name);
	return 2;
}

/* A config file key's value as one string: scalars as they are,
 * sequences joined with commas, the conntrack mapping as NAME=S,... */
static int file_value(struct yamldoc *d, yaml_node_t *n, char *buf, size_t len)
{
	size_t i, off = 0;
	const char *s;

	if ((s = yamldoc_str(n))) {
		snprintf(buf, len, "%s", s);
		return 0;
	}
	buf[0] = '\0';
	/* off stops growing at len: snprintf says how much it wanted. */
	for (i = 0; yamldoc_is_seq(n) && i < yamldoc_seq_len(n) && off < len;
	     i++) {
		s = yamldoc_str(yamldoc_seq_at(d, n, i));
		if (!s)
			return -1;
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "", s);
	}
	for (i = 0; yamldoc_is_map(n) && i < yamldoc_map_len(n) && off < len;
	     i++) {
		yaml_node_t *k = yamldoc_map_key(d, n, i);

		s = yamldoc_str(yamldoc_get(d, n, yamldoc_str(k)));
		if (!s)
			return -1;
		off += snprintf(buf + off, len - off, "%s%s=%s", i ? "," : "",
				yamldoc_str(k), s);
	}
	return off < len ? 0 : -1;
}

static int load_file(struct shuntd_options *o, const char *path)
{
	char err[512], where[512], value[2048];
	struct yamldoc d;
	yaml_node_t *root, *k;
	const char *key;
	size_t i;
	int rc = 0;

	if (yamldoc_load(&d, path, err, sizeof(err))) {
		fprintf(stderr, "shuntd: config: %s\n", err);
		return 2;
	}
	root = yamldoc_root(&d);
	k = yamldoc_dup_key(&d, root);
	if (k) {
		fprintf(stderr, "shuntd: %s:%d: duplicate setting '%s'\n", path,
			yamldoc_line(k), yamldoc_str(k));
		rc = 2;
	} else if (!yamldoc_is_null(root) && !yamldoc_is_map(root)) {
		fprintf(stderr,
			"shuntd: %s:%d: expected a mapping of settings\n", path,
			yamldoc_line(root));
		rc = 2;
	}
	for (i = 0; !rc && i < yamldoc_map_len(root); i++) {
		k = yamldoc_map_key(&d, root, i);
		key = yamldoc_str(k);
		snprintf(where, sizeof(where), "%s:%d: %s", path,
			 yamldoc_line(k), key ? key : "?");
		if (!key || file_value(&d, yamldoc_get(&d, root, key), value,
				       sizeof(value))) {
			fprintf(stderr, "shuntd: %s: unexpected value\n",
				where);
			rc = 2;
			break;
		}
		rc = set_option(o, key, value, where);
	}
	yamldoc_free(&d);
	return rc;
}

static const struct {
	const char *env;
	const char *name;
} env_settings[] = {
	{"SHUNTD_INTERFACES", "interfaces"},
	{"SHUNTD_MODE", "mode"},
	{"SHUNTD_CGROUP", "cgroup"},
	{"SHUNT_PIN_ROOT", "pin-root"},
	{"SHUNTD_CONNTRACK", "conntrack"},
	{"SHUNTD_CT_MAX", "ct-max"},
	{"SHUNTD_MAX_SERVICES", "max-services"},
	{"SHUNTD_MAX_FRONTENDS", "max-frontends"},
	{"SHUNTD_MAX_BACKENDS", "max-backends"},
	{"SHUNTD_NODEPORT_ADDRESSES", "nodeport-addresses"},
	{"SHUNTD_SNAT_PORTS", "snat-ports"},
	{"SHUNTD_LB_MODE", "lb-mode"},
	{"SHUNTD_GC_INTERVAL", "gc-interval"},
	{"SHUNTD_METRICS_ADDR", "metrics-addr"},
	{"SHUNTD_LOG_FORMAT", "log-format"},
	{"SHUNTD_SERVICES_FILE", "services-file"},
	{"SHUNTD_KUBERNETES", "kubernetes"},
	{"KUBECONFIG", "kubeconfig"},
	{"NODE_NAME", "node-name"},
	{"SHUNTD_SERVICE_PROXY_NAME", "service-proxy-name"},
	{"SHUNTD_INSECURE_HTTP", "insecure-http"},
	{"SHUNTD_EXTERNAL_IP_CIDRS", "external-ip-cidrs"},
	{"SHUNTD_POD_CIDRS", "pod-cidrs"},
	{"SHUNTD_LB_SOURCE_RANGES_NODEPORT", "lb-source-ranges-nodeport"},
	{"SHUNTD_NODE_IPS", "node-ip"},
};

static int load_env(struct shuntd_options *o)
{
	const char *v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(env_settings) / sizeof(env_settings[0]); i++) {
		v = getenv(env_settings[i].env);
		if (!v || !*v)
			continue;
		rc = set_option(o, env_settings[i].name, v,
				env_settings[i].env);
		if (rc)
			return rc;
	}
	return 0;
}

static const struct option long_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"interfaces", required_argument, NULL, 'i'},
	{"mode", required_argument, NULL, 1},
	{"cgroup", required_argument, NULL, 1},
	{"pin-root", required_argument, NULL, 1},
	{"conntrack", required_argument, NULL, 2},
	{"ct-max", required_argument, NULL, 1},
	{"max-services", required_argument, NULL, 1},
	{"max-frontends", required_argument, NULL, 1},
	{"max-backends", required_argument, NULL, 1},
	{"nodeport-addresses", required_argument, NULL, 1},
	{"snat-ports", required_argument, NULL, 1},
	{"lb-mode", required_argument, NULL, 1},
	{"gc-interval", required_argument, NULL, 1},
	{"metrics-addr", required_argument, NULL, 1},
	{"log-format", required_argument, NULL, 1},
	{"services-file", required_argument, NULL, 'f'},
	{"kubernetes", no_argument, NULL, 'k'},
	{"kubeconfig", required_argument, NULL, 1},
	{"node-name", required_argument, NULL, 1},
	{"service-proxy-name", required_argument, NULL, 1},
	{"insecure-http", no_argument, NULL, 6},
	{"external-ip-cidrs", required_argument, NULL, 1},
	{"pod-cidrs", required_argument, NULL, 1},
	{"lb-source-ranges-nodeport", no_argument, NULL, 7},
	{"node-ip", required_argument, NULL, 3},
	{"once", no_argument, NULL, 4},
	{"cleanup", no_argument, NULL, 5},
	{"debug", no_argument, NULL, 'd'},
	{"version", no_argument, NULL, 'V'},
	{"help", no_argument, NULL, 'h'},
	{},
};

static void defaults(struct shuntd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = SHUNT_MODE_AUTO;
	o->gc_interval = SHUNTD_DEFAULT_GC_INTERVAL;
	snprintf(o->metrics_addr, sizeof(o->metrics_addr), "%s",
		 SHUNTD_DEFAULT_METRICS);
}

/* Flags given on the command line win; lists given as flags replace the
 * file's and the environment's, repeated flags add up. */
static int load_flags(struct shuntd_options *o, int argc, char **argv,
		      bool *exit_now)
{
	bool flag_ips = false;
	char where[64];
	int c, idx = -1, rc = 0;

	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "c:i:f:kdVh", long_opts,
				       &idx)) != -1) {
		const char *name = idx >= 0 ? long_opts[idx].name : "";

		snprintf(where, sizeof(where), "--%s", name);
		switch (c) {
		case 'c':
			break; /* read before everything else */
		case 'i':
			rc = set_option(o, "interfaces", optarg,
					"--interfaces");
			break;
		case 'f':
			rc = set_option(o, "services-file", optarg,
					"--services-file");
			break;
		case 'k':
			o->kubernetes = true;
			break;
		case 1:
			rc = set_option(o, name, optarg, where);
			break;
		case 2:
			rc = set_conntrack(o, "--conntrack", optarg);
			break;
		case 3:
			if (!flag_ips)
				o->n_node_ips = 0;
			flag_ips = true;
			rc = add_node_ip(o, "--node-ip", optarg);
			break;
		case 4:
			o->once = true;
			break;
		case 5:
			o->cleanup = true;
			break;
		case 6:
			o->insecure_http = true;
			break;
		case 7:
			o->src_ranges_nodeport = true;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'V':
			printf("shuntd %s\n", SHUNT_VERSION);
			*exit_now = true;
			return 0;
		case 'h':
			usage(stdout);
			*exit_now = true;
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		idx = -1;
	}
	if (!rc && optind < argc)
		return bad("argument", argv[optind], "unexpected");
	return rc;
}

/* --config from the command line, else SHUNTD_CONFIG. */
static const char *config_path(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
		    i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return getenv("SHUNTD_CONFIG");
}

int shuntd_options_parse(struct shuntd_options *o, int argc, char **argv,
			 bool *exit_now)
{
	const char *cfg = config_path(argc, argv);
	int rc;

	*exit_now = false;
	defaults(o);
	if (cfg && *cfg) {
		snprintf(o->config, sizeof(o->config), "%s", cfg);
		rc = load_file(o, cfg);
		if (rc)
			return rc;
	}
	rc = load_env(o);
	if (!rc)
		rc = load_flags(o, argc, argv, exit_now);
	return rc;
}
