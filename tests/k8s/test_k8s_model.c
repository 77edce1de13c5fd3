// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for user/lib/k8s_model.c: Services and EndpointSlices from
 * the JSON fixtures in tests/k8s/fixtures (List objects as kubectl
 * prints them) turned into exact desired services: keys, names,
 * backends and their states, affinity.
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

#define MAX_OBJS     32
#define MAX_NODE_IPS 8
#define STRLEN	     2048

struct fixture {
	struct k8s_service *svcs[MAX_OBJS];
	size_t n_svcs;
	struct k8s_slice *slices[MAX_OBJS];
	size_t n_slices;
	struct k8s_ip node_ips[MAX_NODE_IPS];
	size_t n_node_ips;
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

/* Parse the fixture's items and translate them for this node. */
static void load(struct fixture *f, const char *name, const char *node,
		 const char *node_ips)
{
	struct k8s_model_opts o = {.node_name = node};
	struct json_object *root, *items;
	char path[512], ips[256], *ip, *save;
	size_t i;

	memset(f, 0, sizeof(*f));
	fixture_path(name, path, sizeof(path));
	root = json_object_from_file(path);
	if (!root)
		fail_msg("%s: %s", path, json_util_get_last_err());
	assert_true(json_object_object_get_ex(root, "items", &items));
	for (i = 0; i < json_object_array_length(items); i++)
		add_item(f, json_object_array_get_idx(items, i));
	json_object_put(root);

	snprintf(ips, sizeof(ips), "%s", node_ips ? node_ips : "");
	for (ip = strtok_r(ips, " ", &save); ip;
	     ip = strtok_r(NULL, " ", &save)) {
		struct k8s_ip *n = &f->node_ips[f->n_node_ips++];

		assert_int_equal(
			shunt_parse_ip(ip, &n->addr, &n->family, NULL, 0), 0);
	}
	o.node_ips = f->node_ips;
	o.n_node_ips = f->n_node_ips;
	assert_int_equal(
		k8s_model_desired((const struct k8s_service *const *)f->svcs,
				  f->n_svcs,
				  (const struct k8s_slice *const *)f->slices,
				  f->n_slices, &o, &f->d),
		0);
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
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
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

/* Every key, as "VIP:PORT/PROTO" words; sorted by key, no duplicates. */
static void assert_keys(struct shunt_desired *d, const char *want)
{
	char got[STRLEN] = "", buf[SHUNT_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (i)
			assert_true(memcmp(&d->svcs[i - 1].key, &d->svcs[i].key,
					   sizeof(d->svcs[i].key)) < 0);
		strncat(got,
			shunt_format_service(&d->svcs[i].key, buf, sizeof(buf)),
			sizeof(got) - strlen(got) - 1);
		strncat(got, " ", sizeof(got) - strlen(got) - 1);
	}
	assert_same_set("keys", got, want);
}

static struct shunt_desired_service *svc(struct shunt_desired *d,
					 const char *key)
{
	struct shunt_desired_service *s;
	struct shunt_frontend_key k;

	assert_int_equal(shunt_parse_service(key, &k, NULL, 0), 0);
	s = shunt_desired_find(d, &k);
	if (!s)
		fail_msg("no service %s", key);
	assert_int_equal(s->table_size, 0); /* the default */
	return s;
}

/*
 * The backends of service key, as "ADDR:PORT" words ("ADDR:PORT~" when
 * draining); all of weight 1 and of the VIP's family, no duplicates.
 */
static void assert_backends(struct shunt_desired *d, const char *key,
			    const char *want)
{
	struct shunt_desired_service *s = svc(d, key);
	char got[STRLEN] = "", buf[SHUNT_ADDRSTRLEN], what[128];
	size_t i;

	for (i = 0; i < s->n_backends; i++) {
		const struct shunt_backend_spec *b = &s->backends[i];

		assert_int_equal(b->weight, 1);
		assert_int_equal(b->family, s->key.family);
		assert_true(b->state == SHUNT_BE_ACTIVE ||
			    b->state == SHUNT_BE_DRAINING);
		strncat(got,
			shunt_format_endpoint(&b->addr, b->port, b->family, buf,
					      sizeof(buf)),
			sizeof(got) - strlen(got) - 1);
		strncat(got, b->state == SHUNT_BE_DRAINING ? "~ " : " ",
			sizeof(got) - strlen(got) - 1);
	}
	snprintf(what, sizeof(what), "backends of %s", key);
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

static void assert_name(struct shunt_desired *d, const char *key,
			const char *name)
{
	assert_string_equal(svc(d, key)->name, name);
}

static void assert_affinity(struct shunt_desired *d, const char *key,
			    __u32 timeout)
{
	assert_int_equal(svc(d, key)->affinity_timeout, timeout);
}

/* --- tests ------------------------------------------------------------- */

static void test_clusterip(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "clusterip.json", "node-a", "192.168.1.10");
	assert_keys(&f.d, "10.96.0.10:80/tcp 10.96.0.20:443/tcp "
			  "[fd00:96::20]:443/tcp 10.96.0.53:53/udp "
			  "10.96.0.53:53/tcp");
	assert_name(&f.d, "10.96.0.10:80/tcp", "default/web:http");
	assert_backends(&f.d, "10.96.0.10:80/tcp",
			"10.244.1.5:8080 10.244.2.7:8080");
	assert_affinity(&f.d, "10.96.0.10:80/tcp", 0);
	/* Dual-stack: each family gets its own slices' endpoints. */
	assert_name(&f.d, "10.96.0.20:443/tcp", "prod/dual:443");
	assert_backends(&f.d, "10.96.0.20:443/tcp", "10.244.3.3:8443");
	assert_name(&f.d, "[fd00:96::20]:443/tcp", "prod/dual:443");
	assert_backends(&f.d, "[fd00:96::20]:443/tcp",
			"[fd00:244::3]:8443 [fd00:244::4]:8443");
	/* UDP and TCP on one port number, by port name; SCTP left out. */
	assert_name(&f.d, "10.96.0.53:53/udp", "kube-system/dns:dns");
	assert_backends(&f.d, "10.96.0.53:53/udp",
			"10.244.0.2:53 10.244.0.3:53");
	assert_name(&f.d, "10.96.0.53:53/tcp", "kube-system/dns:dns-tcp");
	assert_backends(&f.d, "10.96.0.53:53/tcp",
			"10.244.0.2:5353 10.244.0.3:5353");
	unload(&f);
}

static void test_nodeport(void **state)
{
	const char *be = "10.244.1.10:8080 10.244.2.10:8080";
	const char *be_udp = "10.244.1.10:5514 10.244.2.10:5514";
	struct fixture f;

	(void)state;
	/* The IPv6 node IP is not used: the Service is IPv4 only. A stale
	 * load balancer ingress of a NodePort Service is not a VIP. */
	load(&f, "nodeport.json", "node-a",
	     "192.168.1.10 192.168.1.11 fd00::10");
	assert_keys(&f.d, "10.96.1.1:80/tcp 192.168.1.10:30080/tcp "
			  "192.168.1.11:30080/tcp 10.96.1.1:514/udp "
			  "192.168.1.10:30514/udp 192.168.1.11:30514/udp");
	assert_backends(&f.d, "10.96.1.1:80/tcp", be);
	assert_backends(&f.d, "192.168.1.10:30080/tcp", be);
	assert_backends(&f.d, "192.168.1.11:30080/tcp", be);
	assert_name(&f.d, "192.168.1.11:30080/tcp", "default/np:http");
	assert_backends(&f.d, "10.96.1.1:514/udp", be_udp);
	assert_backends(&f.d, "192.168.1.10:30514/udp", be_udp);
	assert_backends(&f.d, "192.168.1.11:30514/udp", be_udp);
	assert_name(&f.d, "192.168.1.10:30514/udp", "default/np:syslog");
	unload(&f);

	/* Without node IPs only the cluster IP is served. */
	load(&f, "nodeport.json", "node-a", NULL);
	assert_keys(&f.d, "10.96.1.1:80/tcp 10.96.1.1:514/udp");
	unload(&f);
}

static void test_loadbalancer(void **state)
{
	const char *be = "10.244.1.20:8443 10.244.2.20:8443";
	const char *local = "10.244.1.30:8080 10.244.1.31:8080";
	struct fixture f;

	(void)state;
	load(&f, "loadbalancer.json", "node-a", "192.168.1.10");
	/* Ingress by hostname or with ipMode Proxy gives no VIP; no node
	 * VIP without a nodePort. */
	assert_keys(&f.d, "10.96.2.2:443/tcp 192.168.1.10:31443/tcp "
			  "203.0.113.10:443/tcp 198.51.100.7:443/tcp "
			  "10.96.2.3:80/tcp 192.168.1.10:31080/tcp "
			  "203.0.113.20:80/tcp 198.51.100.8:80/tcp "
			  "10.96.2.4:53/udp 203.0.113.30:53/udp");
	/* Cluster policy: every VIP gets every endpoint. */
	assert_backends(&f.d, "10.96.2.2:443/tcp", be);
	assert_backends(&f.d, "192.168.1.10:31443/tcp", be);
	assert_backends(&f.d, "203.0.113.10:443/tcp", be);
	assert_backends(&f.d, "198.51.100.7:443/tcp", be);
	assert_name(&f.d, "203.0.113.10:443/tcp", "shop/lb:https");
	/* Local: the cluster IP keeps all, the others get this node's. */
	assert_backends(&f.d, "10.96.2.3:80/tcp",
			"10.244.1.30:8080 10.244.1.31:8080 10.244.2.30:8080 "
			"10.244.3.30:8080");
	assert_backends(&f.d, "192.168.1.10:31080/tcp", local);
	assert_backends(&f.d, "203.0.113.20:80/tcp", local);
	assert_backends(&f.d, "198.51.100.8:80/tcp", local);
	assert_backends(&f.d, "10.96.2.4:53/udp", "10.244.1.40:5353");
	assert_backends(&f.d, "203.0.113.30:53/udp", "10.244.1.40:5353");
	unload(&f);

	/* A node without local endpoints: the external VIPs stay, empty. */
	load(&f, "loadbalancer.json", "node-c", "192.168.1.12");
	assert_backends(&f.d, "192.168.1.12:31080/tcp", "");
	assert_backends(&f.d, "203.0.113.20:80/tcp", "");
	assert_backends(&f.d, "198.51.100.8:80/tcp", "");
	assert_backends(&f.d, "192.168.1.12:31443/tcp", be);
	unload(&f);

	/* No node name: no endpoint is local. */
	load(&f, "loadbalancer.json", NULL, NULL);
	assert_backends(&f.d, "203.0.113.20:80/tcp", "");
	assert_backends(&f.d, "10.96.2.3:80/tcp",
			"10.244.1.30:8080 10.244.1.31:8080 10.244.2.30:8080 "
			"10.244.3.30:8080");
	unload(&f);
}

static void test_named_target_port(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "targetport.json", "node-a", NULL);
	assert_keys(&f.d, "10.96.3.3:80/tcp 10.96.3.3:9090/tcp");
	/* targetPort "web" resolves per slice through the port named like
	 * the Service port: 8080 in two slices, 8081 in the third; the
	 * endpoint in two slices is active in one of them: active wins.
	 * Slices of other Services, namespaces, protocols or without the
	 * service-name label are not used. */
	assert_backends(&f.d, "10.96.3.3:80/tcp",
			"10.244.5.1:8080 10.244.5.2:8080 10.244.5.3:8080 "
			"10.244.6.1:8081");
	assert_name(&f.d, "10.96.3.3:80/tcp", "team/app:http");
	/* The numeric targetPort: the slice port "metrics". */
	assert_backends(&f.d, "10.96.3.3:9090/tcp",
			"10.244.5.1:9100 10.244.5.2:9100 10.244.5.3:9100");
	assert_name(&f.d, "10.96.3.3:9090/tcp", "team/app:metrics");
	unload(&f);
}

static void test_conditions(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "conditions.json", "node-a", NULL);
	assert_keys(&f.d, "10.96.4.4:80/tcp");
	/* ready: active; ready unknown: active; terminating and serving:
	 * draining; not serving or not ready and not terminating: out; the
	 * first address only; a wrong-family address or none: out. */
	assert_backends(&f.d, "10.96.4.4:80/tcp",
			"10.244.7.1:8080 10.244.7.2:8080 10.244.7.3:8080~ "
			"10.244.7.7:8080");
	assert_name(&f.d, "10.96.4.4:80/tcp", "default/rollout:80");
	unload(&f);
}

static void test_affinity(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, "affinity.json", "node-a", NULL);
	assert_keys(&f.d, "10.96.5.1:80/tcp 10.96.5.2:80/tcp 10.96.5.3:80/tcp");
	assert_affinity(&f.d, "10.96.5.1:80/tcp", 300);
	assert_affinity(&f.d, "10.96.5.2:80/tcp", K8S_AFFINITY_DEFAULT);
	assert_int_equal(K8S_AFFINITY_DEFAULT, 10800);
	assert_affinity(&f.d, "10.96.5.3:80/tcp", 0);
	/* No slices yet: the services exist without backends. */
	assert_backends(&f.d, "10.96.5.1:80/tcp", "");
	unload(&f);
}

static void test_skipped(void **state)
{
	struct fixture f;

	(void)state;
	/* Headless, ExternalName, no ports, SCTP only: nothing. An FQDN
	 * slice gives no backends. */
	load(&f, "skipped.json", "node-a", "192.168.1.10");
	assert_keys(&f.d, "10.96.6.3:80/tcp");
	assert_backends(&f.d, "10.96.6.3:80/tcp", "");
	unload(&f);
}

static void test_conflict(void **state)
{
	struct fixture f;

	(void)state;
	/* Two Services claim 198.51.100.9:80: the first by namespace/name
	 * keeps it; one Service listing its cluster IP as external IP
	 * gives one VIP; no IPv6 VIP for an IPv4-only Service. */
	load(&f, "conflict.json", "node-a", NULL);
	assert_keys(&f.d, "10.96.7.1:80/tcp 10.96.7.2:80/tcp "
			  "198.51.100.9:80/tcp");
	assert_name(&f.d, "198.51.100.9:80/tcp", "a/first:http");
	assert_backends(&f.d, "198.51.100.9:80/tcp", "10.244.10.1:8080");
	assert_backends(&f.d, "10.96.7.2:80/tcp", "10.244.10.2:8080");
	unload(&f);
}

/* The same objects in another order give the same desired state. */
static void test_order(void **state)
{
	struct fixture f, g;
	size_t i;

	(void)state;
	load(&f, "targetport.json", "node-a", NULL);
	load(&g, "targetport.json", "node-a", NULL);
	shunt_desired_free(&g.d);
	for (i = 0; i < g.n_slices / 2; i++) {
		struct k8s_slice *t = g.slices[i];

		g.slices[i] = g.slices[g.n_slices - 1 - i];
		g.slices[g.n_slices - 1 - i] = t;
	}
	assert_int_equal(k8s_model_desired(
				 (const struct k8s_service *const *)g.svcs,
				 g.n_svcs,
				 (const struct k8s_slice *const *)g.slices,
				 g.n_slices, &(struct k8s_model_opts){0}, &g.d),
			 0);
	assert_int_equal(f.d.n, g.d.n);
	for (i = 0; i < f.d.n; i++) {
		assert_memory_equal(&f.d.svcs[i].key, &g.d.svcs[i].key,
				    sizeof(f.d.svcs[i].key));
		assert_int_equal(f.d.svcs[i].n_backends,
				 g.d.svcs[i].n_backends);
		assert_memory_equal(f.d.svcs[i].backends, g.d.svcs[i].backends,
				    f.d.svcs[i].n_backends *
					    sizeof(*f.d.svcs[i].backends));
	}
	unload(&f);
	unload(&g);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clusterip),
		cmocka_unit_test(test_nodeport),
		cmocka_unit_test(test_loadbalancer),
		cmocka_unit_test(test_named_target_port),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_affinity),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
