// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loadBalancerSourceRanges end to end: shuntd --kubernetes
 * --lb-source-ranges-nodeport against the fake API server
 * (tests/k8s/fake-apiserver.py). A LoadBalancer Service's ranges land in
 * src_range_map with its load balancer IP, the load balancer IP and the
 * NodePort frontends check them, the ClusterIP does not; packets run
 * through the pinned shunt_xdp (BPF_PROG_TEST_RUN) are dropped from
 * outside the ranges and not from inside, and /metrics counts the drops;
 * a change of the ranges (to kube-proxy's annotation) is followed; a bad
 * CIDR is an error naming the Service, which is then not served at all.
 */
#include <errno.h>
#include <netinet/in.h>
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
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cmocka.h>

#include "agentenv.h"
#include "netns.h"
#include "parse.h"
#include "pktgen.h"
#include "service.h"

#define SVC_NAME "default/lb:http"
#define LB_IP	 "203.0.113.70"
#define NODE_IP	 "192.168.78.1"

static char dir[64], root[128], kubeconfig[128];
static char out[1 << 16];
static struct agent_proc agent;
static pid_t server = -1;
static int port;

/* The Service: ranges as the JSON of spec.loadBalancerSourceRanges (or
 * ""), annotation the annotation's value (or NULL). */
static void lb_service(char *buf, size_t len, const char *ranges,
		       const char *annotation)
{
	char ann[256] = "";

	if (annotation)
		snprintf(ann, sizeof(ann),
			 ",\"annotations\":{\"service.beta.kubernetes.io/"
			 "load-balancer-source-ranges\":\"%s\"}",
			 annotation);
	snprintf(buf, len,
		 "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
		 "{\"name\":\"lb\",\"namespace\":\"default\"%s},\"spec\":"
		 "{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.70\","
		 "%s%s%s\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":"
		 "\"TCP\",\"nodePort\":30070}]},\"status\":{\"loadBalancer\":"
		 "{\"ingress\":[{\"ip\":\"" LB_IP "\"}]}}}",
		 ann, ranges[0] ? "\"loadBalancerSourceRanges\":" : "", ranges,
		 ranges[0] ? "," : "");
}

static const char *const lb_slice =
	"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\","
	"\"metadata\":{\"name\":\"lb-1\",\"namespace\":\"default\","
	"\"labels\":{\"kubernetes.io/service-name\":\"lb\"}},"
	"\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":"
	"[\"10.244.7.1\"],\"conditions\":{\"ready\":true}}],"
	"\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]}";

static int control(const char *json)
{
	return run_cmdf("curl -sf -o /dev/null -X POST -d '%s' "
			"http://127.0.0.1:%d/_control",
			json, port);
}

static void post_event(const char *resource, const char *type,
		       const char *object)
{
	char body[8192];

	snprintf(body, sizeof(body),
		 "{\"op\":\"events\",\"resource\":\"%s\",\"steps\":["
		 "{\"type\":\"%s\",\"object\":%s}]}",
		 resource, type, object);
	assert_int_equal(control(body), 0);
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

/* The ranges of SVC_NAME as "CIDR CIDR ..." (sorted), and the flags of
 * frontend fe; -ENOENT when the service is not there. */
static int ranges_of(const char *fe, char *text, size_t len, __u32 *fe_flags)
{
	struct shunt_frontend_info *f = NULL;
	struct shunt_service_info info;
	struct shunt_src_range *r = NULL;
	struct shunt_frontend_key k;
	char buf[SHUNT_ADDRSTRLEN + 8];
	size_t n = 0, nf = 0, i;
	struct shunt s;
	int err;

	assert_int_equal(shunt_parse_service(fe, &k, buf, sizeof(buf)), 0);
	if (shunt_open(&s, root, 0))
		return -ENOENT;
	err = shunt_service_get_by_name(&s, SVC_NAME, &info);
	if (!err)
		err = shunt_service_src_ranges(&s, info.id, &r, &n);
	if (!err)
		err = shunt_frontend_list(&s, info.id, &f, &nf);
	shunt_close(&s);
	text[0] = '\0';
	*fe_flags = ~0U;
	for (i = 0; !err && i < n; i++)
		snprintf(text + strlen(text), len - strlen(text), "%s%s",
			 i ? " " : "",
			 shunt_src_range_format(&r[i], buf, sizeof(buf)));
	for (i = 0; !err && i < nf; i++)
		if (!memcmp(&f[i].key, &k, sizeof(k)))
			*fe_flags = f[i].fe.flags;
	free(r);
	free(f);
	return err;
}

/* Poll (up to ~5 s) until SVC_NAME has ranges want (NULL: is gone). */
static bool wait_ranges(const char *want)
{
	char got[512] = "";
	__u32 flags;
	int i, err = 0;

	for (i = 0; i < 100; i++) {
		err = ranges_of(LB_IP ":80/tcp", got, sizeof(got), &flags);
		if (want ? !err && !strcmp(got, want) : err == -ENOENT)
			return true;
		usleep(50 * 1000);
	}
	fprintf(stderr, "ranges '%s' (%d), want '%s'\n", got, err,
		want ? want : "(gone)");
	return false;
}

static __u32 flags_of(const char *fe)
{
	char text[512];
	__u32 flags;

	assert_int_equal(ranges_of(fe, text, sizeof(text), &flags), 0);
	return flags;
}

/* One TCP SYN src:SPORT -> dst:dport through the pinned shunt_xdp, a
 * new source port each time (one flow's reply tuple is never another's):
 * its verdict. */
static __u32 xdp_verdict(const char *src, const char *dst, __u16 dport)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	static __u16 sport = 40000;
	uint8_t in[PG_MAX_FRAME], res[PG_MAX_FRAME];
	char path[256];
	struct pg_spec spec;
	size_t len;
	int fd;

	pg_spec_init(&spec, src, sport++, dst, dport, IPPROTO_TCP);
	len = pg_build(&spec, in, sizeof(in), NULL);
	assert_true(len > 0);
	snprintf(path, sizeof(path), "%s/progs/shunt_xdp", root);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	opts.data_in = in;
	opts.data_size_in = len;
	opts.data_out = res;
	opts.data_size_out = sizeof(res);
	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	close(fd);
	return opts.retval;
}

static int setup(void **state)
{
	char svc[2048], body[4096];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/shunt-agent-lbsr-%d", (int)getpid());
	snprintf(root, sizeof(root), "/sys/fs/bpf/shunt-test-agentlbsr%d",
		 (int)getpid());
	snprintf(kubeconfig, sizeof(kubeconfig), "%s/kubeconfig", dir);
	snprintf(agent.log, sizeof(agent.log), "%s/shuntd.log", dir);
	/* A network namespace of our own; v0's address is this node's. */
	if (unshare(CLONE_NEWNET) || mkdir(dir, 0700) ||
	    run_cmd("ip link set lo up && "
		    "ip link add v0 type veth peer name v1 && "
		    "ip addr add " NODE_IP "/24 dev v0 && "
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
	lb_service(svc, sizeof(svc), "[\"198.51.100.0/24\", \"2001:db8::/32\"]",
		   NULL);
	snprintf(body, sizeof(body),
		 "{\"op\":\"set\",\"resource\":\"services\",\"objects\":[%s]}",
		 svc);
	if (control(body))
		return -1;
	snprintf(body, sizeof(body),
		 "{\"op\":\"set\",\"resource\":\"endpointslices\","
		 "\"objects\":[%s]}",
		 lb_slice);
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

#define DROPS(n)                                                               \
	"shunt_datapath_events_total{event=\"drop_src_range\"} " #n "\n"

/* The first list: ranges in the map, the frontends flagged, packets
 * from outside dropped and counted, from inside not. */
static void test_sync_and_enforce(void **state)
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
			      "--node-name",
			      "node-a",
			      "--lb-source-ranges-nodeport",
			      NULL};

	(void)state;
	assert_int_equal(agent_start(&agent, argv, 20000), 0);
	/* IPv4 only: the IPv6 CIDR has no IPv4 frontend to guard. */
	assert_true(wait_ranges("198.51.100.0/24 203.0.113.70/32"));
	assert_true(flags_of(LB_IP ":80/tcp") & SHUNT_FE_F_SRC_RANGES);
	assert_true(flags_of("*:30070/tcp") & SHUNT_FE_F_SRC_RANGES);
	assert_false(flags_of("10.96.0.70:80/tcp") & SHUNT_FE_F_SRC_RANGES);

	assert_int_equal(xdp_verdict("192.0.2.9", LB_IP, 80), XDP_DROP);
	assert_int_equal(xdp_verdict("192.0.2.9", NODE_IP, 30070), XDP_DROP);
	assert_int_not_equal(xdp_verdict("198.51.100.5", LB_IP, 80), XDP_DROP);
	assert_int_not_equal(xdp_verdict("198.51.100.5", NODE_IP, 30070),
			     XDP_DROP);
	/* The load balancer IP itself may (a node with the VIP local). */
	assert_int_not_equal(xdp_verdict(LB_IP, LB_IP, 80), XDP_DROP);
	assert_int_not_equal(xdp_verdict("192.0.2.9", "10.96.0.70", 80),
			     XDP_DROP);
	assert_true(
		agent_wait_metric(&agent, DROPS(2), out, sizeof(out), 5000));
}

/* The field emptied, the annotation counts; then no ranges at all. */
static void test_ranges_change(void **state)
{
	char svc[2048];

	(void)state;
	lb_service(svc, sizeof(svc), "", " 192.0.2.0/24 ,10.1.0.0/16");
	post_event("services", "MODIFIED", svc);
	assert_true(wait_ranges("10.1.0.0/16 192.0.2.0/24 203.0.113.70/32"));
	assert_int_not_equal(xdp_verdict("192.0.2.9", LB_IP, 80), XDP_DROP);
	assert_int_equal(xdp_verdict("198.51.100.5", LB_IP, 80), XDP_DROP);
	assert_true(
		agent_wait_metric(&agent, DROPS(3), out, sizeof(out), 5000));

	lb_service(svc, sizeof(svc), "", NULL);
	post_event("services", "MODIFIED", svc);
	assert_true(wait_ranges(""));
	assert_false(flags_of(LB_IP ":80/tcp") & SHUNT_FE_F_SRC_RANGES);
	assert_int_not_equal(xdp_verdict("198.51.100.5", LB_IP, 80), XDP_DROP);
}

/* A CIDR that does not parse: logged with the Service's name, and the
 * Service is not served (rather than served to everyone). */
static void test_bad_cidr(void **state)
{
	char svc[2048];

	(void)state;
	lb_service(svc, sizeof(svc), "[\"198.51.100.0/24\", \"bogus\"]", NULL);
	post_event("services", "MODIFIED", svc);
	assert_true(agent_wait_log(&agent,
				   "Service default/lb: "
				   "spec.loadBalancerSourceRanges: 'bogus' is "
				   "not a CIDR",
				   5000));
	assert_true(wait_ranges(NULL));
	lb_service(svc, sizeof(svc), "[\"198.51.100.0/24\"]", NULL);
	post_event("services", "MODIFIED", svc);
	assert_true(wait_ranges("198.51.100.0/24 203.0.113.70/32"));
	assert_int_equal(agent_stop(&agent), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_and_enforce),
		cmocka_unit_test(test_ranges_change),
		cmocka_unit_test(test_bad_cidr),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
