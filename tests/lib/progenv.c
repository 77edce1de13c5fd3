/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Environment for the program tests: private netns, veth topology, the
 * datapath under a private pin root, BPF_PROG_TEST_RUN (see progenv.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <shunt/hash.h>
#include "attach.h"
#include "config.h"
#include "ct.h"
#include "load.h"
#include "progenv.h"
#include "service.h"
#include "stats.h"

#define PIN_PARENT "/sys/fs/bpf"
#define PIN_PREFIX "shunt-prog-"

struct penv penv = {
	.prog_fd = {-1, -1},
};

const enum penv_hook penv_hooks[2] = {PENV_XDP, PENV_TC};

static bool loaded;	 /* the pin root exists and is ours */
static bool handle_open; /* penv.s is open */
static bool hooks_set;	 /* atexit and signal handlers installed */

int penv_sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	pid_t pid;
	int n, status, devnull;

	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		free(cmd);
		return -errno;
	}
	if (!pid) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(STDERR_FILENO, STDOUT_FILENO);
			close(devnull);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

static int if_mac(const char *name, __u8 mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* The topology of progenv.h, in this (new) namespace. */
static int build_topology(void)
{
	static const char *const cmds[] = {
		"ip link set lo up",
		"ip link add " PENV_CLI_IF " address " PENV_CLI_MAC
		" type veth peer name " PENV_CLI_PEER,
		"ip link add " PENV_BE_IF " address " PENV_BE_IF_MAC
		" type veth peer name " PENV_BE_PEER,
		"ip link set " PENV_CLI_IF " up",
		"ip link set " PENV_CLI_PEER " up",
		"ip link set " PENV_BE_IF " up",
		"ip link set " PENV_BE_PEER " up",
		"ip addr add 10.0.0.1/24 dev " PENV_CLI_IF,
		"ip addr add 10.0.1.1/24 dev " PENV_BE_IF,
		"ip -6 addr add fd00:a::1/64 dev " PENV_CLI_IF " nodad",
		"ip -6 addr add fd00:b::1/64 dev " PENV_BE_IF " nodad",
		"ip neigh replace " PENV_CLIENT4 " lladdr " PENV_CLIENT_MAC
		" dev " PENV_CLI_IF " nud permanent",
		"ip -6 neigh replace " PENV_CLIENT6 " lladdr " PENV_CLIENT_MAC
		" dev " PENV_CLI_IF " nud permanent",
		"ip neigh replace " PENV_BE1_4 " lladdr " PENV_BE1_MAC
		" dev " PENV_BE_IF " nud permanent",
		"ip neigh replace " PENV_BE2_4 " lladdr " PENV_BE2_MAC
		" dev " PENV_BE_IF " nud permanent",
		"ip -6 neigh replace " PENV_BE1_6 " lladdr " PENV_BE1_MAC
		" dev " PENV_BE_IF " nud permanent",
		"ip -6 neigh replace " PENV_BE2_6 " lladdr " PENV_BE2_MAC
		" dev " PENV_BE_IF " nud permanent",
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		rc = penv_sh("%s", cmds[i]);
		if (rc) {
			fprintf(stderr, "progenv: '%s' failed (%d)\n", cmds[i],
				rc);
			return -EIO;
		}
	}
	if (write_file("/proc/sys/net/ipv4/ip_forward", "1") ||
	    write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1")) {
		fprintf(stderr, "progenv: cannot enable forwarding\n");
		return -EIO;
	}
	penv.if_cli = (int)if_nametoindex(PENV_CLI_IF);
	penv.if_be = (int)if_nametoindex(PENV_BE_IF);
	if (!penv.if_cli || !penv.if_be)
		return -ENODEV;
	if (if_mac(PENV_CLI_IF, penv.mac_cli) ||
	    if_mac(PENV_BE_IF, penv.mac_be))
		return -EIO;
	return 0;
}

/* Pin roots of earlier runs that were killed before cleaning up. */
static void remove_stale_roots(void)
{
	char path[PATH_MAX], proc[64];
	struct dirent *de;
	DIR *d = opendir(PIN_PARENT);
	long pid;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, PIN_PREFIX, strlen(PIN_PREFIX)))
			continue;
		pid = strtol(de->d_name + strlen(PIN_PREFIX), NULL, 10);
		snprintf(proc, sizeof(proc), "/proc/%ld", pid);
		if (pid <= 0 || pid == getpid() || access(proc, F_OK) == 0)
			continue;
		snprintf(path, sizeof(path), PIN_PARENT "/%s", de->d_name);
		shunt_unload(path);
	}
	closedir(d);
}

static void cleanup(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (penv.prog_fd[i] >= 0)
			close(penv.prog_fd[i]);
		penv.prog_fd[i] = -1;
	}
	if (handle_open) {
		/* iface_map names our veths: nothing to detach for real. */
		__u32 key, next;

		while (bpf_map_get_next_key(penv.s.iface_map, NULL, &next) ==
		       0) {
			key = next;
			if (bpf_map_delete_elem(penv.s.iface_map, &key))
				break;
		}
		/* Drops the flock, which shunt_unload takes again. */
		shunt_close(&penv.s);
		handle_open = false;
	}
	if (loaded) {
		shunt_unload(penv.root);
		loaded = false;
	}
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int open_prog(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/progs/%s", penv.root, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int penv_setup(void **state)
{
	int err;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "progenv: must run as root\n");
		return -1;
	}
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "progenv: unshare(CLONE_NEWNET): %s\n",
			strerror(errno));
		return -1;
	}
	if (build_topology())
		return -1;

	if (!hooks_set) {
		atexit(cleanup);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		hooks_set = true;
	}
	remove_stale_roots();
	snprintf(penv.root, sizeof(penv.root), PIN_PARENT "/" PIN_PREFIX "%d",
		 (int)getpid());
	shunt_unload(penv.root); /* a recycled pid's leftovers */
	loaded = true;
	err = shunt_open(&penv.s, penv.root, SHUNT_OPEN_LOAD | SHUNT_OPEN_LOCK);
	if (err) {
		fprintf(stderr, "progenv: loading the datapath at %s: %s\n",
			penv.root, strerror(-err));
		cleanup();
		return -1;
	}
	handle_open = true;
	penv.prog_fd[PENV_XDP] = open_prog(SHUNT_PROG_XDP);
	penv.prog_fd[PENV_TC] = open_prog(SHUNT_PROG_TC);
	if (penv.prog_fd[PENV_XDP] < 0 || penv.prog_fd[PENV_TC] < 0) {
		fprintf(stderr, "progenv: pinned programs missing\n");
		cleanup();
		return -1;
	}
	return 0;
}

int penv_teardown(void **state)
{
	(void)state;
	cleanup();
	return 0;
}

/* Delete every key of a hash map. */
static int map_clear(int fd, size_t ksize)
{
	char key[128], next[128];
	int guard = 0;

	if (ksize > sizeof(key))
		return -EINVAL;
	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, ksize);
		if (bpf_map_delete_elem(fd, key) || ++guard > 10000000)
			return -EIO;
	}
	return 0;
}

static int zero_counters(void)
{
	int cpus = libbpf_num_possible_cpus();
	__u64 *zero;
	__u32 c;
	int err = 0;

	if (cpus < 1)
		cpus = 1;
	zero = calloc((size_t)cpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (c = 0; c < SHUNT_C_MAX && !err; c++)
		if (bpf_map_update_elem(penv.s.global_stats_map, &c, zero,
					BPF_ANY))
			err = -errno;
	free(zero);
	return err;
}

int penv_reset(void **state)
{
	struct shunt_service_info *svcs;
	struct shunt_config cfg;
	size_t n, i;
	__u32 key = 0;

	(void)state;
	if (!handle_open)
		return -1;
	/* Tests write maps behind libshunt's back: read them again (the
	 * model's repair puts them right), then delete every service. */
	shunt_model_drop(&penv.s);
	if (shunt_service_list(&penv.s, &svcs, &n))
		return -1;
	for (i = 0; i < n; i++)
		shunt_service_del_by_name(&penv.s, svcs[i].svc.name);
	free(svcs);
	if (map_clear(penv.s.node_addr_map, sizeof(struct shunt_node_addr)) ||
	    map_clear(penv.s.ct_map, sizeof(struct shunt_ct_key)) ||
	    map_clear(penv.s.affinity_map, sizeof(struct shunt_affinity_key)) ||
	    map_clear(penv.s.frag_map, sizeof(struct shunt_frag_key)) ||
	    map_clear(penv.s.iface_map, sizeof(__u32)))
		return -1;
	shunt_config_defaults(&cfg);
	if (bpf_map_update_elem(penv.s.config_map, &key, &cfg, BPF_ANY))
		return -1;
	if (penv_set_iface(penv.if_cli, SHUNT_IFACE_F_XDP | SHUNT_IFACE_F_TC) ||
	    penv_set_iface(penv.if_be, SHUNT_IFACE_F_XDP | SHUNT_IFACE_F_TC))
		return -1;
	return zero_counters() ? -1 : 0;
}

const char *penv_hook_name(enum penv_hook hook)
{
	return hook == PENV_XDP ? "xdp" : "tc";
}

__u32 penv_pass(enum penv_hook hook)
{
	return hook == PENV_XDP ? XDP_PASS : TC_ACT_OK;
}

__u32 penv_redirect(enum penv_hook hook)
{
	return hook == PENV_XDP ? XDP_REDIRECT : TC_ACT_REDIRECT;
}

__u32 penv_drop(enum penv_hook hook)
{
	return hook == PENV_XDP ? XDP_DROP : TC_ACT_SHOT;
}

int penv_run(enum penv_hook hook, int ifindex, const void *in, size_t len,
	     void *out, size_t cap, size_t *out_len, __u32 *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in,
		    .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = (__u32)cap, .repeat = 1);
	struct xdp_md xctx;
	struct __sk_buff sctx;
	int err;

	if (hook == PENV_XDP) {
		memset(&xctx, 0, sizeof(xctx));
		xctx.data_end = (__u32)len;
		xctx.ingress_ifindex = (__u32)ifindex;
		opts.ctx_in = &xctx;
		opts.ctx_size_in = sizeof(xctx);
	} else {
		memset(&sctx, 0, sizeof(sctx));
		sctx.ifindex = (__u32)ifindex;
		opts.ctx_in = &sctx;
		opts.ctx_size_in = sizeof(sctx);
	}
	err = bpf_prog_test_run_opts(penv.prog_fd[hook], &opts);
	if (err)
		return err < 0 ? err : -errno;
	*out_len = opts.data_size_out;
	*verdict = opts.retval;
	return 0;
}

int penv_set_iface(int ifindex, __u32 flags)
{
	struct shunt_iface v;
	__u32 key = (__u32)ifindex;

	memset(&v, 0, sizeof(v));
	v.flags = flags;
	if (!if_indextoname(key, v.name))
		return -ENODEV;
	return bpf_map_update_elem(penv.s.iface_map, &key, &v, BPF_ANY) ? -errno
									: 0;
}

int penv_del_iface(int ifindex)
{
	__u32 key = (__u32)ifindex;

	if (bpf_map_delete_elem(penv.s.iface_map, &key) && errno != ENOENT)
		return -errno;
	return 0;
}

void penv_counters(__u64 out[SHUNT_C_MAX])
{
	if (shunt_stats_global(&penv.s, out))
		memset(out, 0xff, sizeof(__u64) * SHUNT_C_MAX);
}

__u64 penv_counter(enum shunt_counter c)
{
	__u64 all[SHUNT_C_MAX];

	penv_counters(all);
	return all[c];
}

int penv_check_counters(const __u64 before[SHUNT_C_MAX],
			const __u64 after[SHUNT_C_MAX], ...)
{
	long long want[SHUNT_C_MAX] = {0};
	va_list ap;
	int c, bad = 0;

	va_start(ap, after);
	while ((c = va_arg(ap, int)) >= 0) {
		int d = va_arg(ap, int);

		if (c < SHUNT_C_MAX)
			want[c] += d;
	}
	va_end(ap);
	for (c = 0; c < SHUNT_C_MAX; c++) {
		long long got = (long long)(after[c] - before[c]);

		if (got != want[c]) {
			fprintf(stderr,
				"counter %s: moved by %lld, want %lld\n",
				shunt_counter_name((unsigned int)c), got,
				want[c]);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* --- services --------------------------------------------------------- */

union shunt_ip penv_ip(const struct pg_addr *a)
{
	union shunt_ip ip;

	memset(&ip, 0, sizeof(ip));
	memcpy(ip.bytes, a->b, a->family == 4 ? 4 : 16);
	return ip;
}

struct shunt_frontend_key penv_svc_key(const char *vip, __u16 port, __u8 proto)
{
	struct pg_addr a = pg_addr(vip);
	struct shunt_frontend_key k;

	memset(&k, 0, sizeof(k));
	k.vip = penv_ip(&a);
	k.port = htons(port);
	k.proto = proto;
	k.family = a.family == 4 ? SHUNT_V4 : SHUNT_V6;
	return k;
}

int penv_service_add(const struct shunt_frontend_key *key, __u32 table_size,
		     __u32 affinity_timeout, __u32 *svc_id)
{
	struct shunt_service_info svc;
	int err;

	err = shunt_service_add(&penv.s, key, table_size, affinity_timeout);
	if (err)
		return err;
	err = shunt_service_get(&penv.s, key, &svc);
	if (!err && svc_id)
		*svc_id = svc.id;
	return err;
}

/* The id of the backend addr:port of the service key. */
static int backend_lookup(const struct shunt_frontend_key *key,
			  const union shunt_ip *ip, __u16 port, __u32 *id)
{
	struct shunt_backend_info *v;
	struct shunt_service_info svc;
	size_t n, i;
	int err;

	err = shunt_service_get(&penv.s, key, &svc);
	if (err)
		return err;
	err = shunt_backend_list(&penv.s, svc.id, &v, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n; i++) {
		if (v[i].be.port == htons(port) &&
		    !memcmp(&v[i].be.addr, ip, sizeof(*ip))) {
			*id = v[i].id;
			err = 0;
			break;
		}
	}
	free(v);
	return err;
}

int penv_backend_add(const struct shunt_frontend_key *key, const char *addr,
		     __u16 port, __u32 weight, __u32 *id)
{
	struct pg_addr a = pg_addr(addr);
	union shunt_ip ip = penv_ip(&a);
	__u32 dummy;
	int err;

	err = shunt_backend_add(&penv.s, key, &ip, htons(port),
				a.family == 4 ? SHUNT_V4 : SHUNT_V6, weight);
	if (err)
		return err;
	return backend_lookup(key, &ip, port, id ? id : &dummy);
}

int penv_backend_del(const struct shunt_frontend_key *key, const char *addr,
		     __u16 port)
{
	struct pg_addr a = pg_addr(addr);
	union shunt_ip ip = penv_ip(&a);

	return shunt_backend_del(&penv.s, key, &ip, htons(port),
				 a.family == 4 ? SHUNT_V4 : SHUNT_V6);
}

int penv_backend_state(const struct shunt_frontend_key *key, const char *addr,
		       __u16 port, enum shunt_backend_state state)
{
	struct pg_addr a = pg_addr(addr);
	union shunt_ip ip = penv_ip(&a);

	return shunt_backend_set_state(&penv.s, key, &ip, htons(port),
				       a.family == 4 ? SHUNT_V4 : SHUNT_V6,
				       state);
}

int penv_backend_get(__u32 id, struct shunt_backend *be)
{
	return bpf_map_lookup_elem(penv.s.backend_map, &id, be) ? -errno : 0;
}

__u32 penv_table_pick(__u32 svc_id, __u32 hash)
{
	__u32 *table, m, id;

	if (shunt_table_read(&penv.s, svc_id, &table, &m) || !m)
		return SHUNT_BACKEND_NONE;
	id = table[hash % m];
	free(table);
	return id;
}

__u32 penv_predict_flow(__u32 svc_id, const struct pg_addr *src, __u16 sport,
			const struct pg_addr *dst, __u16 dport, __u8 proto)
{
	union shunt_ip s = penv_ip(src), d = penv_ip(dst);

	return penv_table_pick(svc_id, shunt_flow_hash(&s, &d, htons(sport),
						       htons(dport), proto));
}

__u32 penv_predict_client(__u32 svc_id, const struct pg_addr *client)
{
	union shunt_ip c = penv_ip(client);

	return penv_table_pick(svc_id, shunt_client_hash(&c));
}

struct shunt_traffic_stats penv_svc_stats(__u32 svc_id)
{
	struct shunt_traffic_stats st;

	if (shunt_stats_service(&penv.s, svc_id, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

struct shunt_traffic_stats penv_backend_stats(__u32 backend_id)
{
	struct shunt_traffic_stats st;

	if (shunt_stats_backend(&penv.s, backend_id, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}
