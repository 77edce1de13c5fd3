// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntd with the Kubernetes source against the fake API server
 * (tests/k8s/fake-apiserver.py), end to end into the maps: a Service and
 * its EndpointSlice become a shunt service with its backends, owned by
 * the Kubernetes source; a terminating endpoint becomes a draining
 * backend; a deleted Service disappears; a service from the services
 * file lives alongside, untouched; /readyz waits for the first sync.
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
#include "netns.h"
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
		    struct shunt_svc *svc)
{
	struct shunt_frontend_key k = key(text);
	struct shunt s;
	int err;

	if (shunt_open(&s, root, 0))
		return -ENOENT;
	err = shunt_service_get(&s, &k, svc);
	if (!err)
		err = shunt_backend_list(&s, svc->id, b, n);
	shunt_close(&s);
	return err;
}

/* Poll (up to ~5 s) until the service has want backends (-1: gone). */
static bool wait_backends(const char *text, int want, int draining)
{
	struct shunt_backend_info *b;
	struct shunt_svc svc;
	int i, j, d;
	size_t n;

	for (i = 0; i < 100; i++) {
		if (backends(text, &b, &n, &svc) == 0) {
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
	if (unshare(CLONE_NEWNET) || mkdir(dir, 0700) ||
	    run_cmd("ip link set lo up && "
		    "ip link add v0 type veth peer name v1 && "
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
	fputs("services:\n  - {vip: 10.96.0.99, port: 53, protocol: udp, "
	      "backends: [{address: 10.0.9.9, port: 53}]}\n",
	      f);
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
	const char *argv[] = {"--interfaces", "v0",
			      "--cgroup",     "none",
			      "--pin-root",   root,
			      "--kubernetes", "--kubeconfig",
			      kubeconfig,     "--services-file",
			      svcfile,	      "--node-name",
			      "node-a",	      NULL};
	struct shunt_backend_info *b;
	struct shunt_svc svc;
	char ip[64];
	size_t n;

	(void)state;
	/* Ready means synced: the service is there once /readyz says so. */
	assert_int_equal(agent_start(&agent, argv, 8000), 0);
	assert_int_equal(backends("10.96.0.50:80/tcp", &b, &n, &svc), 0);
	assert_int_equal(svc.flags & SHUNT_SVC_F_OWNERS, SHUNT_SVC_F_OWNER_K8S);
	assert_int_equal(n, 2);
	assert_string_equal(
		shunt_format_ip(&b[0].be.addr, SHUNT_V4, ip, sizeof(ip)),
		"10.244.1.5");
	assert_int_equal(ntohs(b[0].be.port), 8080);
	assert_int_equal(b[1].be.state, SHUNT_BE_ACTIVE);
	free(b);
	/* The file's service, alongside. */
	assert_int_equal(backends("10.96.0.99:53/udp", &b, &n, &svc), 0);
	assert_int_equal(svc.flags & SHUNT_SVC_F_OWNERS,
			 SHUNT_SVC_F_OWNER_FILE);
	free(b);
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
	int status;

	(void)state;
	assert_int_equal(
		agent_get(&agent, "/metrics", &status, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "shunt_service_backends{service=\"10.96.0."
				    "50:80/tcp\",name=\"default/web:http\","
				    "state=\"draining\"} 1\n"));
	assert_non_null(strstr(out, "shunt_source_services{source="
				    "\"kubernetes\"} 1\n"));
	assert_non_null(strstr(out, "shunt_sync_errors_total{source="
				    "\"kubernetes\"} 0\n"));
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
	/* The file's service is not the Kubernetes source's to delete. */
	assert_true(wait_backends("10.96.0.99:53/udp", 1, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_sync),
		cmocka_unit_test(test_terminating_drains),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_deleted_service),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
