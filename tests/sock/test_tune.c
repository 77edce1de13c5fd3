// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Socket tuning (`shuntctl tune socket`): sockops applies the options of
 * a service or port with bpf_setsockopt() when a socket connects (the
 * service it asked for, that service's port, then the port it connected
 * to), when a connection is accepted (its local port), the initial
 * congestion window once established and the SYN timeout when the SYN is
 * sent. Every option is read back from the socket itself (getsockopt,
 * TCP_INFO, ss); untuned sockets must keep the kernel's defaults.
 *
 * The test process runs in a network namespace and a cgroup of its own
 * (tests/lib/sockenv.h) with a private pin root, so both its client and
 * server sockets are under the attached programs.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <sys/socket.h>
#include <json-c/json.h>

#include <cmocka.h>

#include "netns.h"
#include "sockenv.h"

#define VIP_TUNED   "10.96.0.10" /* -> HOST1:8080 */
#define VIP_PLAIN   "10.96.0.11" /* -> HOST1:8080, never tuned */
#define VIP_BH	    "10.96.0.12" /* -> HOST2:8080, black-holed */
#define VIP_BH2	    "10.96.0.13" /* -> HOST2:8080, black-holed, untuned */
#define BE_PORT	    8080
#define TIMEOUT_MS  5000
#define SVC_TUNED   VIP_TUNED ":80/tcp"
#define TCP_ESTAB   1
#define TCP_SYNSENT 2

static struct sockenv env;
static int lfd = -1;

/* The namespace's defaults, from its sysctls. */
static struct {
	int idle, intvl, cnt;
	char cc[16];
} def;

static int read_sysctl(const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f))
		err = -1;
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return err;
}

static int sysctl_int(const char *name)
{
	char buf[64];

	return read_sysctl(name, buf, sizeof(buf)) ? -1 : atoi(buf);
}

static int setup(void **state)
{
	(void)state;
	if (sockenv_up(&env, "tune", "socktune"))
		return -1;
	def.idle = sysctl_int("tcp_keepalive_time");
	def.intvl = sysctl_int("tcp_keepalive_intvl");
	def.cnt = sysctl_int("tcp_keepalive_probes");
	if (def.idle <= 0 || def.intvl <= 0 || def.cnt <= 0 ||
	    read_sysctl("tcp_congestion_control", def.cc, sizeof(def.cc)))
		goto fail;
	if (sockenv_ctl(&env, "service add %s:80/tcp", VIP_TUNED) ||
	    sockenv_ctl(&env, "backend add %s:80/tcp %s:%d", VIP_TUNED,
			SOCKENV_HOST1, BE_PORT) ||
	    sockenv_ctl(&env, "service add %s:80/tcp", VIP_PLAIN) ||
	    sockenv_ctl(&env, "backend add %s:80/tcp %s:%d", VIP_PLAIN,
			SOCKENV_HOST1, BE_PORT) ||
	    sockenv_ctl(&env, "service add %s:80/tcp", VIP_BH) ||
	    sockenv_ctl(&env, "backend add %s:80/tcp %s:%d", VIP_BH,
			SOCKENV_HOST2, BE_PORT) ||
	    sockenv_ctl(&env, "service add %s:80/tcp", VIP_BH2) ||
	    sockenv_ctl(&env, "backend add %s:80/tcp %s:%d", VIP_BH2,
			SOCKENV_HOST2, BE_PORT))
		goto fail;
	lfd = sockenv_listen(SOCKENV_HOST1, BE_PORT, 64);
	if (lfd < 0)
		goto fail;
	return 0;
fail:
	sockenv_down(&env);
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	if (lfd >= 0)
		close(lfd);
	lfd = -1;
	sockenv_down(&env);
	return 0;
}

/* `tune socket list --json`, as a string. */
static void tune_list(char *buf, size_t len)
{
	assert_int_equal(
		sockenv_ctl_capture(&env, buf, len, "tune socket list --json"),
		0);
}

/* Before each test: no policy left over from another one. */
static int clear_tunes(void **state)
{
	static char out[1 << 16];
	struct json_object *root, *o, *t;
	const char *target;
	size_t i;
	int err = 0;

	(void)state;
	if (sockenv_ctl_capture(&env, out, sizeof(out),
				"tune socket list --json"))
		return -1;
	root = json_tokener_parse(out);
	if (!root || !json_object_is_type(root, json_type_array))
		return -1;
	for (i = 0; i < json_object_array_length(root); i++) {
		o = json_object_array_get_idx(root, i);
		if (!json_object_object_get_ex(o, "target", &t))
			continue;
		target = json_object_get_string(t);
		if (!strncmp(target, "port ", 5))
			target += 5;
		err |= sockenv_ctl(&env, "tune socket del %s", target);
	}
	json_object_put(root);
	return err ? -1 : 0;
}

/* --- reading a socket's options ------------------------------------------ */

struct opts {
	int keepalive, idle, intvl, cnt, nodelay, sndbuf, rcvbuf;
	char cc[16];
};

static int getint(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	assert_int_equal(getsockopt(fd, level, opt, &v, &len), 0);
	return v;
}

static void read_opts(int fd, struct opts *o)
{
	socklen_t len = sizeof(o->cc);

	memset(o, 0, sizeof(*o));
	o->keepalive = getint(fd, SOL_SOCKET, SO_KEEPALIVE);
	o->idle = getint(fd, IPPROTO_TCP, TCP_KEEPIDLE);
	o->intvl = getint(fd, IPPROTO_TCP, TCP_KEEPINTVL);
	o->cnt = getint(fd, IPPROTO_TCP, TCP_KEEPCNT);
	o->nodelay = getint(fd, IPPROTO_TCP, TCP_NODELAY);
	o->sndbuf = getint(fd, SOL_SOCKET, SO_SNDBUF);
	o->rcvbuf = getint(fd, SOL_SOCKET, SO_RCVBUF);
	assert_int_equal(
		getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o->cc, &len), 0);
	o->cc[sizeof(o->cc) - 1] = '\0';
}

static void print_opts(const char *what, const struct opts *o)
{
	print_message("  %-28s keepalive %d %d,%d,%d nodelay %d cc %s "
		      "sndbuf %d rcvbuf %d\n",
		      what, o->keepalive, o->idle, o->intvl, o->cnt, o->nodelay,
		      o->cc, o->sndbuf, o->rcvbuf);
}

static void assert_keepalive(int fd, int idle, int intvl, int cnt)
{
	struct opts o;

	read_opts(fd, &o);
	assert_int_equal(o.keepalive, 1);
	assert_int_equal(o.idle, idle);
	assert_int_equal(o.intvl, intvl);
	assert_int_equal(o.cnt, cnt);
}

/* Nothing of any policy: the kernel's (the namespace's) defaults. */
static void assert_defaults(const char *what, int fd)
{
	struct opts o;

	read_opts(fd, &o);
	print_opts(what, &o);
	assert_int_equal(o.keepalive, 0);
	assert_int_equal(o.idle, def.idle);
	assert_int_equal(o.intvl, def.intvl);
	assert_int_equal(o.cnt, def.cnt);
	assert_int_equal(o.nodelay, 0);
	assert_string_equal(o.cc, def.cc);
	assert_int_not_equal(o.sndbuf, 2 * 65536);
	assert_int_not_equal(o.rcvbuf, 2 * 131072);
}

static void counters(struct sockenv_counters *c)
{
	assert_int_equal(sockenv_counters(&env, c), 0);
}

/* A connection to host:port, and its accepted end (lfd's). */
static void connect_pair(const char *host, int port, int *c, int *s)
{
	*c = sockenv_connect(host, port, TIMEOUT_MS);
	assert_true(*c >= 0);
	*s = sockenv_accept(lfd, TIMEOUT_MS);
	assert_true(*s >= 0);
	assert_int_equal(sockenv_remote_port(*s), sockenv_local_port(*c));
}

static void close2(int c, int s)
{
	close(c);
	close(s);
}

/* --- 1. service policy -----------------------------------------------------
 */

static void test_service_options(void **state)
{
	struct sockenv_counters a, b;
	struct opts o;
	int c, s;

	(void)state;
	assert_int_equal(sockenv_ctl(&env,
				     "tune socket set %s --keepalive 60,10,5 "
				     "--nodelay on --congestion reno "
				     "--sndbuf 65536 --rcvbuf 131072",
				     SVC_TUNED),
			 0);
	counters(&a);
	connect_pair(VIP_TUNED, 80, &c, &s);
	counters(&b);
	read_opts(c, &o);
	print_opts("client of the tuned VIP:", &o);
	assert_int_equal(o.keepalive, 1);
	assert_int_equal(o.idle, 60);
	assert_int_equal(o.intvl, 10);
	assert_int_equal(o.cnt, 5);
	assert_int_equal(o.nodelay, 1);
	assert_string_equal(o.cc, "reno");
	assert_int_equal(o.sndbuf, 2 * 65536); /* the kernel doubles */
	assert_int_equal(o.rcvbuf, 2 * 131072);
	assert_int_equal(b.tune_applied - a.tune_applied, 1);
	assert_int_equal(b.tune_failed - a.tune_failed, 0);
	/* The accepted end has no policy of its own (port 8080). */
	assert_defaults("its accepted end:", s);
	close2(c, s);

	/* An untuned service, and the backend without the VIP. */
	counters(&a);
	connect_pair(VIP_PLAIN, 80, &c, &s);
	assert_defaults("client of an untuned VIP:", c);
	close2(c, s);
	connect_pair(SOCKENV_HOST1, BE_PORT, &c, &s);
	assert_defaults("client of the backend:", c);
	close2(c, s);
	counters(&b);
	assert_int_equal(b.tune_applied - a.tune_applied, 0);
	assert_int_equal(b.tune_failed - a.tune_failed, 0);
}

/* --- 2. port policy, and which policy wins ------------------------------ */

static void test_port_policy(void **state)
{
	struct sockenv_counters a, b;
	struct opts o;
	int c, s, i;

	(void)state;
	assert_int_equal(sockenv_ctl(&env,
				     "tune socket set %d --keepalive 30,5,3",
				     BE_PORT),
			 0);
	counters(&a);
	connect_pair(SOCKENV_HOST1, BE_PORT, &c, &s);
	counters(&b);
	assert_keepalive(c, 30, 5, 3); /* connected to port 8080 */
	assert_keepalive(s, 30, 5, 3); /* accepted on port 8080 */
	assert_int_equal(b.tune_applied - a.tune_applied, 2);
	assert_int_equal(b.tune_failed - a.tune_failed, 0);
	close2(c, s);

	/* Every option reaches the accepted end too (set once it is
	 * established, not at connect time). */
	assert_int_equal(sockenv_ctl(&env,
				     "tune socket set %d --keepalive 30,5,3 "
				     "--nodelay on --congestion reno "
				     "--sndbuf 32768 --rcvbuf 65536",
				     BE_PORT),
			 0);
	connect_pair(SOCKENV_HOST1, BE_PORT, &c, &s);
	for (i = 0; i < 2; i++) {
		read_opts(i ? s : c, &o);
		print_opts(i ? "accepted on port 8080:"
			     : "client of port 8080:",
			   &o);
		assert_int_equal(o.keepalive, 1);
		assert_int_equal(o.idle, 30);
		assert_int_equal(o.nodelay, 1);
		assert_string_equal(o.cc, "reno");
		assert_int_equal(o.sndbuf, 2 * 32768);
		assert_int_equal(o.rcvbuf, 2 * 65536);
	}
	close2(c, s);
	assert_int_equal(sockenv_ctl(&env,
				     "tune socket set %d --keepalive 30,5,3",
				     BE_PORT),
			 0);

	/* The service the client asked for comes first ... */
	assert_int_equal(sockenv_ctl(&env,
				     "tune socket set %s --keepalive 60,10,5",
				     SVC_TUNED),
			 0);
	connect_pair(VIP_TUNED, 80, &c, &s);
	assert_keepalive(c, 60, 10, 5);
	assert_keepalive(s, 30, 5, 3); /* the accepted end: its port */
	close2(c, s);
	/* ... then that service's port ... */
	assert_int_equal(
		sockenv_ctl(&env, "tune socket set 80 --keepalive 45,9,4"), 0);
	connect_pair(VIP_PLAIN, 80, &c, &s);
	assert_keepalive(c, 45, 9, 4);
	assert_keepalive(s, 30, 5, 3);
	close2(c, s);
	/* ... then the port it is connected to. */
	assert_int_equal(sockenv_ctl(&env, "tune socket del 80"), 0);
	connect_pair(VIP_PLAIN, 80, &c, &s);
	assert_keepalive(c, 30, 5, 3);
	close2(c, s);
}

/* --- 3. initial congestion window ------------------------------------------
 */

/* cwnd of the socket with local port lport (and remote port rport), from
 * `ss -tin`; -1 when not found. */
static int ss_field(const char *state, int lport, int rport, const char *field)
{
	char out[8192], *p;
	int rc;

	rc = run_capture(out, sizeof(out),
			 "ss -tinH state %s '( sport = :%d and dport = :%d )'",
			 state, lport, rport);
	assert_int_equal(rc, 0);
	p = strstr(out, field);
	if (!p)
		return -1;
	return atoi(p + strlen(field));
}

static struct tcp_info tcp_info(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

static void assert_cwnd(const char *what, int fd, int peer_fd, int want)
{
	struct tcp_info ti = tcp_info(fd);
	int ss = ss_field("established", sockenv_local_port(fd),
			  sockenv_local_port(peer_fd), " cwnd:");

	print_message("  %-30s ss cwnd:%d, TCP_INFO snd_cwnd %u\n", what, ss,
		      ti.tcpi_snd_cwnd);
	assert_int_equal(ti.tcpi_state, TCP_ESTAB);
	assert_int_equal(ti.tcpi_data_segs_out, 0); /* before any data */
	assert_int_equal(ss, want);
	assert_int_equal(ti.tcpi_snd_cwnd, want);
}

static void test_init_cwnd(void **state)
{
	int c, s;

	(void)state;
	assert_int_equal(sockenv_ctl(&env, "tune socket set %s --init-cwnd 20",
				     SVC_TUNED),
			 0);
	connect_pair(VIP_TUNED, 80, &c, &s);
	assert_cwnd("client of the tuned VIP:", c, s, 20);
	assert_cwnd("its accepted end:", s, c, 10);
	close2(c, s);
	connect_pair(VIP_PLAIN, 80, &c, &s);
	assert_cwnd("client of an untuned VIP:", c, s, 10);
	close2(c, s);
	/* A port policy: both ends. */
	assert_int_equal(
		sockenv_ctl(&env, "tune socket set %d --init-cwnd 32", BE_PORT),
		0);
	connect_pair(SOCKENV_HOST1, BE_PORT, &c, &s);
	assert_cwnd("client of port 8080:", c, s, 32);
	assert_cwnd("accepted on port 8080:", s, c, 32);
	close2(c, s);
}

/* --- 4. SYN retransmission timeout -----------------------------------------
 */

/* A connection to a black-holed backend through vip stays in SYN-SENT:
 * its rto (ms) from ss, and from TCP_INFO. ss runs within the first RTO
 * (before the first retransmission doubles it), or the try is repeated. */
static void syn_rto(const char *vip, int *ss_rto, int *info_rto)
{
	struct tcp_info ti;
	long long t0;
	int c, try;

	for (try = 0; try < 5; try++) {
		t0 = sockenv_now_ms();
		c = sockenv_connect_start(vip, 80);
		assert_true(c >= 0);
		ti = tcp_info(c);
		*ss_rto = ss_field("syn-sent", sockenv_local_port(c), BE_PORT,
				   " rto:");
		assert_int_equal(tcp_info(c).tcpi_state, TCP_SYNSENT);
		close(c);
		assert_int_equal(ti.tcpi_state, TCP_SYNSENT);
		*info_rto = (int)(ti.tcpi_rto / 1000);
		if (sockenv_now_ms() - t0 < 150)
			return;
	}
	fail_msg("ss too slow to see the first SYN's timeout");
}

static void test_syn_rto(void **state)
{
	int ss_rto, info_rto;
	char rule[128];

	(void)state;
	snprintf(rule, sizeof(rule), "OUTPUT -p tcp -d %s --dport %d -j DROP",
		 SOCKENV_HOST2, BE_PORT);
	assert_int_equal(run_cmdf("iptables -A %s", rule), 0);
	assert_int_equal(sockenv_ctl(&env,
				     "tune socket set %s:80/tcp --syn-rto 200",
				     VIP_BH),
			 0);
	syn_rto(VIP_BH, &ss_rto, &info_rto);
	print_message("  --syn-rto 200: ss rto:%d, TCP_INFO rto %d ms\n",
		      ss_rto, info_rto);
	assert_int_equal(ss_rto, 200);
	assert_int_equal(info_rto, 200);
	syn_rto(VIP_BH2, &ss_rto, &info_rto);
	print_message("  untuned:       ss rto:%d, TCP_INFO rto %d ms\n",
		      ss_rto, info_rto);
	assert_int_equal(ss_rto, 1000);
	assert_int_equal(info_rto, 1000);
	/* That service's port, and the port connected to. */
	assert_int_equal(sockenv_ctl(&env, "tune socket set 80 --syn-rto 400"),
			 0);
	syn_rto(VIP_BH2, &ss_rto, &info_rto);
	print_message("  port 80 --syn-rto 400: ss rto:%d\n", ss_rto);
	assert_int_equal(ss_rto, 400);
	assert_int_equal(info_rto, 400);
	assert_int_equal(sockenv_ctl(&env, "tune socket del 80"), 0);
	assert_int_equal(
		sockenv_ctl(&env, "tune socket set %d --syn-rto 300", BE_PORT),
		0);
	syn_rto(VIP_BH2, &ss_rto, &info_rto);
	print_message("  port %d --syn-rto 300: ss rto:%d\n", BE_PORT, ss_rto);
	assert_int_equal(ss_rto, 300);
	assert_int_equal(info_rto, 300);
	assert_int_equal(run_cmdf("iptables -D %s", rule), 0);
}

/* --- 5. del, list, bad input ------------------------------------------------
 */

/* `tune socket list --json` holds exactly these objects (any order). */
static void assert_listed(const char *const *want, size_t n)
{
	static char out[1 << 16];
	struct json_object *root, *w;
	size_t i, j, found;

	tune_list(out, sizeof(out));
	root = json_tokener_parse(out);
	assert_non_null(root);
	assert_true(json_object_is_type(root, json_type_array));
	assert_int_equal(json_object_array_length(root), n);
	for (i = 0; i < n; i++) {
		w = json_tokener_parse(want[i]);
		assert_non_null(w);
		found = 0;
		for (j = 0; j < n; j++)
			found += json_object_equal(
				w, json_object_array_get_idx(root, j));
		if (found != 1)
			fail_msg("not listed: %s\nlist: %s", want[i], out);
		json_object_put(w);
	}
	json_object_put(root);
}

struct bad_case {
	const char *args;
	const char *must_name; /* the error line names this */
};

static const struct bad_case bad_cases[] = {
	{"set " SVC_TUNED " --keepalive 0,1,1", "'0'"},
	{"set " SVC_TUNED " --keepalive 1,0,1", "'0'"},
	{"set " SVC_TUNED " --keepalive 1,1,128", "128"},
	{"set " SVC_TUNED " --keepalive 1,2", "1,2"},
	{"set " SVC_TUNED " --congestion nosuch", "nosuch"},
	{"set " SVC_TUNED " --sndbuf 10", "'10'"},
	{"set " SVC_TUNED " --rcvbuf 1073741825", "1073741825"},
	{"set " SVC_TUNED " --nodelay maybe", "maybe"},
	{"set " SVC_TUNED " --init-cwnd 0", "init-cwnd"},
	{"set " SVC_TUNED " --init-cwnd 1025", "1025"},
	{"set " SVC_TUNED " --syn-rto 0", "syn-rto"},
	{"set " SVC_TUNED " --syn-rto 120001", "120001"},
	{"set " SVC_TUNED " --sndbuf 65536 --congestion nosuch", "nosuch"},
	{"set " SVC_TUNED, "option"},
	{"set " VIP_TUNED ":80/udp --nodelay on", VIP_TUNED ":80/udp"},
	{"set 70000 --nodelay on", "70000"},
	{"del 9999", "9999"},
	{"del " VIP_PLAIN ":80/tcp", VIP_PLAIN ":80/tcp"},
};

static void test_del_list_bad_input(void **state)
{
	static const char *const both[] = {
		"{\"target\":\"" SVC_TUNED "\",\"keepalive_idle\":60,"
		"\"keepalive_intvl\":10,\"keepalive_cnt\":5,"
		"\"nodelay\":false,\"congestion\":\"cubic\",\"init_cwnd\":16,"
		"\"syn_rto_ms\":500,\"sndbuf\":65536,\"rcvbuf\":131072}",
		"{\"target\":\"port 8080\",\"nodelay\":true}",
	};
	static char before[1 << 16], after[1 << 16];
	char err[4096], *nl;
	struct opts o;
	size_t i;
	int c, s, rc;

	(void)state;
	assert_listed(NULL, 0);
	assert_int_equal(sockenv_ctl(&env,
				     "tune socket set %s --keepalive 60,10,5 "
				     "--nodelay off --congestion cubic "
				     "--init-cwnd 16 --syn-rto 500 "
				     "--sndbuf 65536 --rcvbuf 131072",
				     SVC_TUNED),
			 0);
	assert_int_equal(
		sockenv_ctl(&env, "tune socket set %d --nodelay on", BE_PORT),
		0);
	assert_listed(both, 2);

	/* Bad input: refused, one line naming it, nothing changed. */
	tune_list(before, sizeof(before));
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		rc = sockenv_ctl_stderr(&env, err, sizeof(err),
					"tune socket %s", bad_cases[i].args);
		print_message("  %-52s -> %d %s", bad_cases[i].args, rc, err);
		if (!rc)
			fail_msg("'%s' accepted", bad_cases[i].args);
		nl = strchr(err, '\n');
		assert_non_null(nl);
		assert_int_equal(nl[1], '\0');
		assert_true(!strncmp(err, "shuntctl: ", 10));
		if (!strstr(err, bad_cases[i].must_name))
			fail_msg("'%s': error does not name '%s': %s",
				 bad_cases[i].args, bad_cases[i].must_name,
				 err);
		tune_list(after, sizeof(after));
		assert_string_equal(before, after);
	}

	/* del: gone from the list, and from new connections. */
	assert_int_equal(sockenv_ctl(&env, "tune socket del %s", SVC_TUNED), 0);
	assert_listed(both + 1, 1);
	connect_pair(VIP_TUNED, 80, &c, &s);
	read_opts(c, &o);
	print_opts("client after del:", &o);
	/* nothing of the service's policy; port 8080's (connected to) */
	assert_int_equal(o.keepalive, 0);
	assert_int_equal(o.idle, def.idle);
	assert_string_equal(o.cc, def.cc);
	assert_int_not_equal(o.sndbuf, 2 * 65536);
	assert_int_not_equal(o.rcvbuf, 2 * 131072);
	assert_int_equal(o.nodelay, 1);
	assert_int_equal(getint(s, IPPROTO_TCP, TCP_NODELAY), 1);
	close2(c, s);
	assert_int_equal(sockenv_ctl(&env, "tune socket del %d", BE_PORT), 0);
	assert_listed(NULL, 0);
	connect_pair(VIP_TUNED, 80, &c, &s);
	assert_defaults("client after both del:", c);
	assert_defaults("accepted after both del:", s);
	close2(c, s);
	rc = sockenv_ctl_stderr(&env, err, sizeof(err), "tune socket del %d",
				BE_PORT);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(err, "8080"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_service_options, clear_tunes),
		cmocka_unit_test_setup(test_port_policy, clear_tunes),
		cmocka_unit_test_setup(test_init_cwnd, clear_tunes),
		cmocka_unit_test_setup(test_syn_rto, clear_tunes),
		cmocka_unit_test_setup(test_del_list_bad_input, clear_tunes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
