// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntd with the Kubernetes source against the fake API server
 * (tests/k8s/fake-apiserver.py), end to end into the maps: a Service port
 * and its EndpointSlice become a shunt service ("namespace/name:port")
 * with its backends, owned by the Kubernetes source; a terminating
 * endpoint becomes a draining backend; a NodePort Service is one service
 * with the ClusterIP and the NodePort wildcard as frontends, answered on
 * the node addresses shuntd keeps in node_addr_map; changes after the
 * first list are applied as deltas; SIGHUP applies the whole state again
 * (undoing a change made by hand); a frontend the services file holds is
 * left alone (a conflict) until the file lets it go; a deleted Service
 * disappears; a service from the services file lives alongside,
 * untouched; /readyz waits for the first sync; --once applies the first
 * list and exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentenv.h"
#include "httpc.h"
#include "netns.h"
#include "nodeaddr.h"
#include "podcidr.h"
#include "parse.h"
#include "service.h"

static char dir[64], root[128], kubeconfig[128], svcfile[128];
static char out[1 << 16];
static struct agent_proc agent;
static pid_t server = -1;
static int port;

static const char *const web_service =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
	"\"web\",\"namespace\":\"default\"},\"spec\":{\"type\":\"ClusterIP\","
	"\"clusterIP\":\"10.96.0.50\",\"clusterIPs\":[\"10.96.0.50\"],"
	"\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\","
	"\"targetPort\":\"web\"}]}}";

/* A NodePort Service with an unnamed port, and its slice. */
static const char *const np_service =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
	"\"np\",\"namespace\":\"default\"},\"spec\":{\"type\":\"NodePort\","
	"\"clusterIP\":\"10.96.0.60\",\"clusterIPs\":[\"10.96.0.60\"],"
	"\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"nodePort\":30080,"
	"\"targetPort\":8080}]}}";
static const char *const np_slice =
	"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\","
	"\"metadata\":{\"name\":\"np-1\",\"namespace\":\"default\","
	"\"labels\":{\"kubernetes.io/service-name\":\"np\"}},"
	"\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":"
	"[\"10.244.3.3\"],\"conditions\":{\"ready\":true}}],"
	"\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}";

/* The slice with both endpoints; terminating: the second one is. */
static void web_slice(char *buf, size_t len, bool terminating)
{
	snprintf(
		buf, len,
		"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":"
		"\"EndpointSlice\",\"metadata\":{\"name\":\"web-1\","
		"\"namespace\":\"default\",\"labels\":{\"kubernetes.io/"
		"service-name\":\"web\"}},\"addressType\":\"IPv4\","
		"\"endpoints\":[{\"addresses\":[\"10.244.1.5\"],\"conditions\":"
		"{\"ready\":true}},{\"addresses\":[\"10.244.2.7\"],"
		"\"conditions\":{\"ready\":%s,\"serving\":true,\"terminating\":"
		"%s}}],\"ports\":[{\"name\":\"http\",\"port\":8080,"
		"\"protocol\":\"TCP\"}]}",
		terminating ? "false" : "true", terminating ? "true" : "false");
}

static int control(const char *json)
{
	return run_cmdf("curl -sf -o /dev/null -X POST -d '%s' "
			"http://127.0.0.1:%d/_control",
			json, port);
}

static const char *const file_svc =
	"services:\n  - {vip: 10.96.0.99, port: 53, protocol: udp, "
	"backends: [{address: 10.0.9.9, port: 53}]}\n";

/* Replace the services file (renamed over, as a ConfigMap is). */
static void write_svcfile(const char *extra)
{
	assert_int_equal(agent_replace_file(svcfile, file_svc, extra), 0);
}

/* Poll (up to ~3 s) until the log has one more line with needle than
 * the before it had. */
static bool wait_new_log(const char *needle, int before)
{
	int i;

	for (i = 0; i < 60; i++) {
		if (agent_log_count(&agent, needle) > before)
			return true;
		usleep(50 * 1000);
	}
	fprintf(stderr, "not logged again: %s\n", needle);
	agent_log_dump(&agent);
	return false;
}

static int start_server(void)
{
	const char *src = getenv("SHUNT_SRC");
	char script[4200], line[64];
	int fds[2];
	FILE *f;

	snprintf(script, sizeof(script), "%s/tests/k8s/fake-apiserver.py",
		 src && *src ? src : ".");
	if (pipe(fds))
		return -1;
	server = fork();
	if (server == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		close(fds[0]);
		execlp("python3", "python3", script, "--token", "t0ken", NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f || !fgets(line, sizeof(line), f))
		return -1;
	port = atoi(line);
	return port > 0 ? 0 : -1;
}

static struct shunt_frontend_key key(const char *text)
{
	struct shunt_frontend_key k;
	char why[128];

	assert_int_equal(shunt_parse_service(text, &k, why, sizeof(why)), 0);
	return k;
}

/* The backends of a service (sorted by address), or -ENOENT. */
static int backends(const char *text, struct shunt_backend_info **b, size_t *n,
		    struct shunt_service_info *info)
{
	struct shunt_frontend_key k = key(text);
	struct shunt s;
	int err;

	if (shunt_open(&s, root, 0))
		return -ENOENT;
	err = shunt_service_get(&s, &k, info);
	if (!err)
		err = shunt_backend_list(&s, info->id, b, n);
	shunt_close(&s);
	return err;
}

/* Poll (up to ~5 s) until the service has want backends (-1: gone). */
static bool wait_backends(const char *text, int want, int draining)
{
	struct shunt_backend_info *b;
	struct shunt_service_info info;
	int i, j, d;
	size_t n;

	for (i = 0; i < 100; i++) {
		if (backends(text, &b, &n, &info) == 0) {
			for (j = 0, d = 0; j < (int)n; j++)
				d += b[j].be.state == SHUNT_BE_DRAINING;
			free(b);
			if ((int)n == want && d == draining)
				return true;
		} else if (want < 0) {
			return true;
		}
		usleep(50 * 1000);
	}
	return false;
}

static int setup(void **state)
{
	char slice[1024], body[4096];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/shunt-agent-k8s-%d", (int)getpid());
	snprintf(root, sizeof(root), "/sys/fs/bpf/shunt-test-agentk%d",
		 (int)getpid());
	snprintf(kubeconfig, sizeof(kubeconfig), "%s/kubeconfig", dir);
	snprintf(svcfile, sizeof(svcfile), "%s/services.yaml", dir);
	snprintf(agent.log, sizeof(agent.log), "%s/shuntd.log", dir);
	/* v0's address is this node's: NodePorts answer there. */
	if (unshare(CLONE_NEWNET) || mkdir(dir, 0700) ||
	    run_cmd("ip link set lo up && "
		    "ip link add v0 type veth peer name v1 && "
		    "ip addr add 192.168.77.1/24 dev v0 && "
		    "ip link set v0 up && ip link set v1 up") ||
	    start_server())
		return -1;
	snprintf(agent.metrics, sizeof(agent.metrics), "127.0.0.1:%d",
		 agent_free_port());
	f = fopen(kubeconfig, "w");
	if (!f)
		return -1;
	fprintf(f,
		"apiVersion: v1\nkind: Config\ncurrent-context: t\n"
		"clusters:\n- name: c\n  cluster:\n    server: "
		"http://127.0.0.1:%d\n"
		"users:\n- name: u\n  user:\n    token: t0ken\n"
		"contexts:\n- name: t\n  context:\n    cluster: c\n    user: "
		"u\n",
		port);
	fclose(f);
	f = fopen(svcfile, "w");
	if (!f)
		return -1;
	fputs(file_svc, f);
	fclose(f);
	web_slice(slice, sizeof(slice), false);
	snprintf(body, sizeof(body),
		 "{\"op\":\"set\",\"resource\":\"services\",\"objects\":[%s]}",
		 web_service);
	if (control(body))
		return -1;
	snprintf(body, sizeof(body),
		 "{\"op\":\"set\",\"resource\":\"endpointslices\","
		 "\"objects\":[%s]}",
		 slice);
	return control(body);
}

static int teardown(void **state)
{
	char bin[4200];

	(void)state;
	agent_stop(&agent);
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	agent_binary(bin, sizeof(bin), "shuntctl");
	run_cmdf("%s --pin-root %s unload", bin, root);
	run_cmdf("rm -rf %s", dir);
	return 0;
}

static void test_initial_sync(void **state)
{
	const char *argv[] = {"--interfaces",
			      "v0",
			      "--cgroup",
			      "none",
			      "--pin-root",
			      root,
			      "--kubernetes",
			      "--insecure-http",
			      "--kubeconfig",
			      kubeconfig,
			      "--services-file",
			      svcfile,
			      "--node-name",
			      "node-a",
			      NULL};
	struct shunt_backend_info *b;
	struct shunt_service_info info;
	char ip[64];
	size_t n;

	(void)state;
	/* Ready means synced: the service is there once /readyz says so. */
	assert_int_equal(agent_start(&agent, argv, 20000), 0);
	assert_int_equal(backends("10.96.0.50:80/tcp", &b, &n, &info), 0);
	assert_int_equal(info.svc.flags & SHUNT_SVC_F_OWNERS,
			 SHUNT_SVC_F_OWNER_K8S);
	assert_string_equal(info.svc.name, "default/web:http");
	assert_int_equal(n, 2);
	assert_string_equal(
		shunt_format_ip(&b[0].be.addr, SHUNT_V4, ip, sizeof(ip)),
		"10.244.1.5");
	assert_int_equal(ntohs(b[0].be.port), 8080);
	assert_int_equal(b[1].be.state, SHUNT_BE_ACTIVE);
	free(b);
	/* The file's service, alongside, named after its frontend. */
	assert_int_equal(backends("10.96.0.99:53/udp", &b, &n, &info), 0);
	assert_int_equal(info.svc.flags & SHUNT_SVC_F_OWNERS,
			 SHUNT_SVC_F_OWNER_FILE);
	assert_string_equal(info.svc.name, "10.96.0.99:53/udp");
	free(b);
	assert_true(agent_log_has(
		&agent,
		"msg=synced source=kubernetes services=1 added=1 updated=0 removed=0 conflicts=0"));
	assert_true(agent_log_has(&agent,
				  "msg=synced source=file services=1 added=1"));
}

static void test_terminating_drains(void **state)
{
	char slice[1024], body[4096];

	(void)state;
	web_slice(slice, sizeof(slice), true);
	snprintf(body, sizeof(body),
		 "{\"op\":\"events\",\"resource\":\"endpointslices\","
		 "\"steps\":[{\"type\":\"MODIFIED\",\"object\":%s}]}",
		 slice);
	assert_int_equal(control(body), 0);
	assert_true(wait_backends("10.96.0.50:80/tcp", 2, 1));
}

static void test_metrics(void **state)
{
	(void)state;
	assert_true(agent_wait_metric(
		&agent,
		"shunt_service_backends{service=\"default/web:http\",state=\"draining\"} 1\n",
		out, sizeof(out), 5000));
	assert_non_null(strstr(
		out,
		"shunt_service_backends{service=\"default/web:http\",state=\"active\"} 1\n"));
	assert_non_null(strstr(
		out,
		"shunt_service_backends{service=\"10.96.0.99:53/udp\",state=\"active\"} 1\n"));
	assert_non_null(strstr(
		out, "shunt_source_services{source=\"kubernetes\"} 1\n"));
	assert_non_null(
		strstr(out, "shunt_source_services{source=\"file\"} 1\n"));
	assert_non_null(strstr(
		out, "shunt_sync_errors_total{source=\"kubernetes\"} 0\n"));
	assert_non_null(strstr(
		out, "shunt_service_conflicts{source=\"kubernetes\"} 0\n"));
	assert_non_null(
		strstr(out, "shunt_syncs_total{source=\"kubernetes\"} "));
	assert_non_null(strstr(out, "shunt_nodeport_addresses 1\n"));
}

/* A NodePort Service, added after the first list: one service with two
 * frontends, the ClusterIP and the wildcard *:30080, which answers on
 * the node's addresses (node_addr_map, kept by shuntd). */
static void test_nodeport(void **state)
{
	struct shunt_frontend_info *fe;
	struct shunt_service_info info;
	struct shunt_node_addr *na;
	struct shunt_backend_info *b;
	char body[4096], ip[64];
	size_t n, i, wild = 0;
	struct shunt s;
	int tries;

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"op\":\"events\",\"resource\":\"endpointslices\","
		 "\"steps\":[{\"type\":\"ADDED\",\"object\":%s}]}",
		 np_slice);
	assert_int_equal(control(body), 0);
	snprintf(body, sizeof(body),
		 "{\"op\":\"events\",\"resource\":\"services\","
		 "\"steps\":[{\"type\":\"ADDED\",\"object\":%s}]}",
		 np_service);
	assert_int_equal(control(body), 0);
	assert_true(wait_backends("10.96.0.60:80/tcp", 1, 0));
	/* Applied as a delta: only the new Service. */
	assert_true(agent_wait_log(
		&agent,
		"msg=synced source=kubernetes services=2 added=1 updated=0 removed=0",
		3000));

	assert_int_equal(shunt_open(&s, root, 0), 0);
	assert_int_equal(shunt_service_get_by_name(&s, "default/np:80", &info),
			 0);
	assert_int_equal(info.svc.flags & SHUNT_SVC_F_OWNERS,
			 SHUNT_SVC_F_OWNER_K8S);
	assert_int_equal(info.n_frontends, 2);
	assert_int_equal(shunt_frontend_list(&s, info.id, &fe, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(fe[i].fe.svc_id, info.id);
		assert_int_equal(fe[i].key.proto, IPPROTO_TCP);
		shunt_format_ip(&fe[i].key.vip, SHUNT_V4, ip, sizeof(ip));
		if (!strcmp(ip, "0.0.0.0")) {
			wild++;
			assert_int_equal(ntohs(fe[i].key.port), 30080);
			assert_true(fe[i].fe.flags & SHUNT_FE_F_NODEPORT);
			assert_true(fe[i].fe.flags & SHUNT_FE_F_EXTERNAL);
		} else {
			assert_string_equal(ip, "10.96.0.60");
			assert_int_equal(ntohs(fe[i].key.port), 80);
			assert_false(fe[i].fe.flags & SHUNT_FE_F_NODEPORT);
		}
	}
	assert_int_equal(wild, 1);
	free(fe);
	assert_int_equal(shunt_backend_list(&s, info.id, &b, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(
		shunt_format_ip(&b[0].be.addr, SHUNT_V4, ip, sizeof(ip)),
		"10.244.3.3");
	assert_int_equal(ntohs(b[0].be.port), 8080);
	free(b);
	/* The node's address (not loopback, not link-local). */
	for (tries = 0; tries < 60; tries++) {
		assert_int_equal(shunt_node_addr_list(&s, &na, &n), 0);
		if (n == 1)
			break;
		free(na);
		usleep(50 * 1000);
	}
	assert_int_equal(n, 1);
	assert_string_equal(
		shunt_format_ip(&na[0].addr, na[0].family, ip, sizeof(ip)),
		"192.168.77.1");
	free(na);
	shunt_close(&s);
	assert_true(agent_wait_metric(
		&agent,
		"shunt_service_backends{service=\"default/np:80\",state=\"active\"} 1\n",
		out, sizeof(out), 5000));
	assert_non_null(strstr(
		out, "shunt_source_services{source=\"kubernetes\"} 2\n"));
}

/* SIGHUP applies the whole Kubernetes state: a service deleted by hand
 * comes back. */
static void test_sighup_resync(void **state)
{
	const char *line =
		"msg=synced source=kubernetes services=2 added=1 updated=0 removed=0";
	int before = agent_log_count(&agent, line);
	char ctl[4200];

	(void)state;
	agent_binary(ctl, sizeof(ctl), "shuntctl");
	assert_int_equal(
		run_cmdf("%s --pin-root %s service del 10.96.0.60:80/tcp", ctl,
			 root),
		0);
	assert_true(wait_backends("10.96.0.60:80/tcp", -1, 0));
	assert_int_equal(kill(agent.pid, SIGHUP), 0);
	assert_true(wait_backends("10.96.0.60:80/tcp", 1, 0));
	assert_true(wait_new_log(line, before));
}

/* The services file holds 10.96.0.70:80: a Service with that ClusterIP
 * is left alone (counted as a conflict) until the file lets it go, and
 * then goes in without another Kubernetes event. */
static void test_conflict_handover(void **state)
{
	const char *const clash =
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
		"{\"name\":\"clash\",\"namespace\":\"default\"},\"spec\":"
		"{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.70\","
		"\"clusterIPs\":[\"10.96.0.70\"],\"ports\":[{\"name\":"
		"\"http\",\"port\":80,\"protocol\":\"TCP\"}]}}";
	const char *mine = "  - {name: mine, vip: 10.96.0.70, port: 80, "
			   "backends: [{address: 10.0.7.7, port: 80}]}\n";
	const char *conflict =
		"msg=synced source=kubernetes services=2 added=0 updated=0 removed=0 conflicts=1";
	const char *handover =
		"msg=synced source=kubernetes services=3 added=1 updated=0 removed=0 conflicts=0";
	struct shunt_service_info info;
	struct shunt_backend_info *b;
	char body[2048];
	int before;
	size_t n;

	(void)state;
	write_svcfile(mine);
	assert_true(wait_backends("10.96.0.70:80/tcp", 1, 0));
	before = agent_log_count(&agent, conflict);
	snprintf(body, sizeof(body),
		 "{\"op\":\"events\",\"resource\":\"services\","
		 "\"steps\":[{\"type\":\"ADDED\",\"object\":%s}]}",
		 clash);
	assert_int_equal(control(body), 0);
	assert_true(wait_new_log(conflict, before));
	assert_true(agent_log_has(
		&agent, "first_error=\"service default/clash:http: "));
	assert_int_equal(backends("10.96.0.70:80/tcp", &b, &n, &info), 0);
	free(b);
	assert_string_equal(info.svc.name, "mine");
	assert_true(agent_wait_metric(
		&agent, "shunt_service_conflicts{source=\"kubernetes\"} 1\n",
		out, sizeof(out), 5000));

	before = agent_log_count(&agent, handover);
	write_svcfile("");
	assert_true(wait_new_log(handover, before));
	assert_true(wait_backends("10.96.0.70:80/tcp", 0, 0));
	assert_int_equal(backends("10.96.0.70:80/tcp", &b, &n, &info), 0);
	free(b);
	assert_string_equal(info.svc.name, "default/clash:http");
	assert_int_equal(info.svc.flags & SHUNT_SVC_F_OWNERS,
			 SHUNT_SVC_F_OWNER_K8S);
	assert_true(agent_wait_metric(
		&agent, "shunt_service_conflicts{source=\"kubernetes\"} 0\n",
		out, sizeof(out), 5000));
}

/* Post watch events of resource: type and object, twice when object2
 * is not NULL. */
static void post_events(const char *resource, const char *type,
			const char *object, const char *object2)
{
	char body[8192];

	snprintf(body, sizeof(body),
		 "{\"op\":\"events\",\"resource\":\"%s\",\"steps\":["
		 "{\"type\":\"%s\",\"object\":%s}%s%s%s%s%s]}",
		 resource, type, object, object2 ? ",{\"type\":\"" : "",
		 object2 ? type : "", object2 ? "\",\"object\":" : "",
		 object2 ? object2 : "", object2 ? "}" : "");
	assert_int_equal(control(body), 0);
}

/* A Service of namespace "attacker" (older than default/web) asks for
 * web's ClusterIP as an externalIP, another as its load balancer IP:
 * both refused (logged, counted), web keeps 10.96.0.50:80 in the
 * datapath, the attackers keep their own ClusterIPs. */
static void test_hijack_refused(void **state)
{
	const char *const ext =
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
		"{\"name\":\"ext\",\"namespace\":\"attacker\","
		"\"creationTimestamp\":\"2020-01-01T00:00:00Z\"},\"spec\":"
		"{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.81\","
		"\"externalIPs\":[\"10.96.0.50\"],\"ports\":[{\"name\":"
		"\"http\",\"port\":80,\"protocol\":\"TCP\"}]}}";
	const char *const lb =
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
		"{\"name\":\"lb\",\"namespace\":\"attacker\","
		"\"creationTimestamp\":\"2020-01-01T00:00:00Z\"},\"spec\":"
		"{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.82\","
		"\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":"
		"\"TCP\",\"nodePort\":30181}]},\"status\":{\"loadBalancer\":"
		"{\"ingress\":[{\"ip\":\"10.96.0.50\"}]}}}";
	struct shunt_service_info info;
	struct shunt_backend_info *b;
	size_t n;

	(void)state;
	post_events("services", "ADDED", ext, lb);
	assert_true(wait_backends("10.96.0.81:80/tcp", 0, 0));
	assert_true(wait_backends("10.96.0.82:80/tcp", 0, 0));
	assert_true(agent_wait_log(
		&agent,
		"service=attacker/ext:http frontend=10.96.0.50:80/tcp "
		"reason=cluster-ip holder=default/web",
		3000));
	assert_true(agent_wait_log(
		&agent,
		"service=attacker/lb:http frontend=10.96.0.50:80/tcp "
		"reason=cluster-ip holder=default/web",
		3000));
	assert_int_equal(backends("10.96.0.50:80/tcp", &b, &n, &info), 0);
	free(b);
	assert_string_equal(info.svc.name, "default/web:http");
	assert_true(agent_wait_metric(
		&agent,
		"shunt_service_conflicts_total{reason=\"cluster-ip\"} 2\n", out,
		sizeof(out), 5000));

	/* Gone again: nothing else changes for web. */
	post_events("services", "DELETED", ext, lb);
	assert_true(wait_backends("10.96.0.81:80/tcp", -1, 0));
	assert_true(wait_backends("10.96.0.82:80/tcp", -1, 0));
	assert_int_equal(backends("10.96.0.50:80/tcp", &b, &n, &info), 0);
	free(b);
	assert_string_equal(info.svc.name, "default/web:http");
}

/* GET / from the healthCheckNodePort until status is want (up to ~5 s;
 * 0: until the port refuses connections). */
static bool hc_wait(int port, int want, char *body, size_t len)
{
	int i, status, rc;

	for (i = 0; i < 100; i++) {
		status = 0;
		rc = http_get_once(NULL, "127.0.0.1", port, "/", &status, body,
				   len, 1000);
		if ((!want && rc) || (want && !rc && status == want))
			return true;
		usleep(50 * 1000);
	}
	fprintf(stderr, "healthCheckNodePort %d: status %d, want %d\n", port,
		status, want);
	return false;
}

/* A LoadBalancer Service with externalTrafficPolicy: Local and
 * healthCheckNodePort 31901: the port answers kube-proxy's JSON, 200
 * with an endpoint on this node (node-a), 503 without; it closes with
 * the Service. */
static void test_health_check_node_port(void **state)
{
	const char *const svc =
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
		"{\"name\":\"lb-local\",\"namespace\":\"default\"},\"spec\":"
		"{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.90\","
		"\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":"
		"31901,\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":"
		"\"TCP\",\"nodePort\":31180}]}}";
	const char *const slice =
		"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":"
		"\"EndpointSlice\",\"metadata\":{\"name\":\"lb-local-1\","
		"\"namespace\":\"default\",\"labels\":{\"kubernetes.io/"
		"service-name\":\"lb-local\"}},\"addressType\":\"IPv4\","
		"\"endpoints\":[%s{\"addresses\":[\"10.244.9.2\"],"
		"\"conditions\":{\"ready\":true},\"nodeName\":\"node-b\"}],"
		"\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":"
		"\"TCP\"}]}";
	const char *const local_ep =
		"{\"addresses\":[\"10.244.9.1\"],\"conditions\":{\"ready\":"
		"true},\"nodeName\":\"node-a\"},";
	char sl[2048], answer[1024];

	(void)state;
	snprintf(sl, sizeof(sl), slice, local_ep);
	post_events("services", "ADDED", svc, NULL);
	post_events("endpointslices", "ADDED", sl, NULL);
	assert_true(hc_wait(31901, 200, answer, sizeof(answer)));
	assert_non_null(strstr(answer, "\"service\": {\"namespace\": "
				       "\"default\", \"name\": \"lb-local\"}"));
	assert_non_null(strstr(answer, "\"localEndpoints\": 1"));
	assert_non_null(strstr(answer, "\"serviceProxyHealthy\": true"));

	/* The node-a endpoint gone: 503. */
	snprintf(sl, sizeof(sl), slice, "");
	post_events("endpointslices", "MODIFIED", sl, NULL);
	assert_true(hc_wait(31901, 503, answer, sizeof(answer)));
	assert_non_null(strstr(answer, "\"localEndpoints\": 0"));

	/* The Service gone: the port closes. */
	post_events("services", "DELETED", svc, NULL);
	post_events("endpointslices", "DELETED", sl, NULL);
	assert_true(hc_wait(31901, 0, answer, sizeof(answer)));
	assert_true(wait_backends("10.96.0.90:80/tcp", -1, 0));
}

/* Node name with a zone label ("" none), as an object. */
static void node_obj(char *buf, size_t len, const char *name, const char *zone)
{
	snprintf(buf, len,
		 "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":"
		 "{\"name\":\"%s\",\"labels\":{%s%s%s}},\"spec\":"
		 "{\"podCIDRs\":[\"10.244.9.0/24\",\"fd00:244:9::/64\","
		 "\"bogus\"]}}",
		 name, *zone ? "\"topology.kubernetes.io/zone\":\"" : "", zone,
		 *zone ? "\"" : "");
}

/* The address of the service's only backend ("" unless exactly one). */
static void only_backend(const char *svc, char *ip, size_t len)
{
	struct shunt_service_info info;
	struct shunt_backend_info *b;
	size_t n;

	ip[0] = '\0';
	if (backends(svc, &b, &n, &info))
		return;
	if (n == 1)
		shunt_format_ip(&b[0].be.addr, SHUNT_V4, ip, len);
	free(b);
}

/* How many CIDRs pod_cidr_map holds once it has any (up to ~5 s). */
static int pod_cidrs(void)
{
	struct shunt_cidr *c;
	struct shunt s;
	size_t n = 0;
	int i;

	for (i = 0; i < 100 && !n; i++) {
		if (i)
			usleep(50 * 1000);
		if (shunt_open(&s, root, 0))
			continue;
		if (!shunt_pod_cidrs_list(&s, &c, &n))
			free(c);
		shunt_close(&s);
	}
	return (int)n;
}

/* Topology hints with the Node watch: a Service whose endpoints are
 * hinted for zone-a and zone-b. node-a has no Node object at first (all
 * endpoints); labelled zone-a it gets the zone-a endpoint only, relabelled
 * zone-b the other one; node-b's events (zone-a) are not this node's and
 * change nothing; the lists and watches of nodes ask for node-a only. */
static void test_topology_zone(void **state)
{
	const char *const svc =
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
		"{\"name\":\"zonal\",\"namespace\":\"default\"},\"spec\":"
		"{\"clusterIP\":\"10.96.0.95\",\"trafficDistribution\":"
		"\"PreferClose\",\"ports\":[{\"name\":\"http\",\"port\":80,"
		"\"protocol\":\"TCP\"}]}}";
	const char *const slice =
		"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":"
		"\"EndpointSlice\",\"metadata\":{\"name\":\"zonal-1\","
		"\"namespace\":\"default\",\"labels\":{\"kubernetes.io/"
		"service-name\":\"zonal\"}},\"addressType\":\"IPv4\","
		"\"endpoints\":[{\"addresses\":[\"10.244.5.1\"],\"conditions\":"
		"{\"ready\":true},\"nodeName\":\"node-c\",\"zone\":\"zone-a\","
		"\"hints\":{\"forZones\":[{\"name\":\"zone-a\"}]}},"
		"{\"addresses\":[\"10.244.5.2\"],\"conditions\":{\"ready\":"
		"true},\"nodeName\":\"node-d\",\"zone\":\"zone-b\",\"hints\":"
		"{\"forZones\":[{\"name\":\"zone-b\"}]}}],\"ports\":[{\"name\":"
		"\"http\",\"port\":8080,\"protocol\":\"TCP\"}]}";
	char node[512], other[512], ip[64];
	int i;

	(void)state;
	post_events("services", "ADDED", svc, NULL);
	post_events("endpointslices", "ADDED", slice, NULL);
	assert_true(wait_backends("10.96.0.95:80/tcp", 2, 0));

	node_obj(node, sizeof(node), "node-a", "zone-a");
	post_events("nodes", "ADDED", node, NULL);
	assert_true(wait_backends("10.96.0.95:80/tcp", 1, 0));
	only_backend("10.96.0.95:80/tcp", ip, sizeof(ip));
	assert_string_equal(ip, "10.244.5.1");
	assert_true(agent_log_has(&agent, "msg=\"node zone\" node=node-a "
					  "zone=zone-a"));
	/* Its spec.podCIDRs (the bad one left out) in pod_cidr_map. */
	assert_int_equal(pod_cidrs(), 2);

	node_obj(node, sizeof(node), "node-a", "zone-b");
	node_obj(other, sizeof(other), "node-b", "zone-a");
	post_events("nodes", "MODIFIED", node, NULL);
	post_events("nodes", "ADDED", other, NULL);
	for (i = 0; i < 100; i++) {
		only_backend("10.96.0.95:80/tcp", ip, sizeof(ip));
		if (!strcmp(ip, "10.244.5.2"))
			break;
		usleep(50 * 1000);
	}
	assert_string_equal(ip, "10.244.5.2");
	assert_int_equal(agent_log_count(&agent, "zone=zone-a"), 1);

	/* The label removed: every endpoint again. */
	node_obj(node, sizeof(node), "node-a", "");
	post_events("nodes", "MODIFIED", node, NULL);
	assert_true(wait_backends("10.96.0.95:80/tcp", 2, 0));

	assert_int_equal(
		run_capture(out, sizeof(out),
			    "curl -sf http://127.0.0.1:%d/_control/requests",
			    port),
		0);
	assert_non_null(strstr(out, "fieldSelector=metadata.name%3Dnode-a"));
	post_events("services", "DELETED", svc, NULL);
	post_events("endpointslices", "DELETED", slice, NULL);
	assert_true(wait_backends("10.96.0.95:80/tcp", -1, 0));
}

static void test_deleted_service(void **state)
{
	char body[4096];

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"op\":\"events\",\"resource\":\"services\",\"steps\":"
		 "[{\"type\":\"DELETED\",\"object\":%s}]}",
		 web_service);
	assert_int_equal(control(body), 0);
	assert_true(wait_backends("10.96.0.50:80/tcp", -1, 0));
	assert_true(agent_wait_log(
		&agent,
		"msg=synced source=kubernetes services=2 added=0 updated=0 removed=1",
		3000));
	/* The file's service is not the Kubernetes source's to delete. */
	assert_true(wait_backends("10.96.0.99:53/udp", 1, 0));
	assert_true(wait_backends("10.96.0.60:80/tcp", 1, 0));
}

/* SIGTERM stops the watches and the agent cleanly (exit 0: under ASan,
 * nothing leaked either). */
static void test_stop(void **state)
{
	(void)state;
	assert_int_equal(agent_stop(&agent), 0);
	assert_true(agent_log_has(&agent, "the datapath stays attached"));
	assert_true(wait_backends("10.96.0.60:80/tcp", 1, 0));
}

/* --once --kubernetes waits for the first list, applies it and exits. */
static void test_once(void **state)
{
	struct shunt_service_info info;
	char bin[4200], once_root[160];
	struct shunt s;

	(void)state;
	agent_binary(bin, sizeof(bin), "shuntd");
	snprintf(once_root, sizeof(once_root),
		 "/sys/fs/bpf/shunt-test-agentkonce%d", (int)getpid());
	/* The fake server speaks plain HTTP: refused without
	 * --insecure-http, before anything is loaded. */
	assert_int_not_equal(
		run_capture(
			out, sizeof(out),
			"%s --once --kubernetes --kubeconfig %s --node-name node-a --pin-root %s --cgroup none 2>&1",
			bin, kubeconfig, once_root),
		0);
	assert_non_null(strstr(out, "is plain HTTP"));
	assert_non_null(strstr(out, "--insecure-http"));
	assert_int_not_equal(access(once_root, F_OK), 0);
	assert_int_equal(
		run_capture(
			out, sizeof(out),
			"%s --once --kubernetes --insecure-http --kubeconfig %s --node-name node-a --pin-root %s --cgroup none 2>&1",
			bin, kubeconfig, once_root),
		0);
	assert_non_null(
		strstr(out, "msg=synced source=kubernetes services=2 added=2"));
	assert_int_equal(shunt_open(&s, once_root, 0), 0);
	assert_int_equal(shunt_service_get_by_name(&s, "default/np:80", &info),
			 0);
	assert_int_equal(info.n_frontends, 2);
	shunt_close(&s);
	agent_binary(bin, sizeof(bin), "shuntctl");
	run_cmdf("%s --pin-root %s unload", bin, once_root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_sync),
		cmocka_unit_test(test_terminating_drains),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_nodeport),
		cmocka_unit_test(test_sighup_resync),
		cmocka_unit_test(test_conflict_handover),
		cmocka_unit_test(test_hijack_refused),
		cmocka_unit_test(test_health_check_node_port),
		cmocka_unit_test(test_topology_zone),
		cmocka_unit_test(test_deleted_service),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
