// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Socket destroy (sockdestroy.h): load bpf/sock_destroy.bpf.c against the
 * pinned sock_vip_map, fill its targets, attach its two iterators, and
 * read one iterator of each per network namespace.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "netnslist.h"
#include "sock_destroy.skel.h"
#include "sockdestroy.h"

static shunt_sd_report_fn report_fn;
static void *report_arg;
static bool disabled;

void shunt_sock_destroy_set_report(shunt_sd_report_fn fn, void *arg)
{
	report_fn = fn;
	report_arg = arg;
}

void shunt_sock_destroy_set_enabled(bool on)
{
	disabled = !on;
}

/* Why passes are not made, when they are not. */
static const char *unsupported_why =
	"this kernel has no bpf_sock_destroy() (Linux 6.5)";

bool shunt_sock_destroy_supported(void)
{
	static int known; /* 0: not probed, 1: yes, -1: no */
	const char *off = getenv(SHUNT_NO_SOCK_DESTROY_ENV);
	struct btf *btf;

	if (known)
		return known > 0;
	if (off && *off && strcmp(off, "0")) {
		unsupported_why = "turned off by " SHUNT_NO_SOCK_DESTROY_ENV;
		known = -1;
		return false;
	}
	btf = btf__load_vmlinux_btf();
	known = btf && btf__find_by_name_kind(btf, "bpf_sock_destroy",
					      BTF_KIND_FUNC) > 0
			? 1
			: -1;
	btf__free(btf);
	return known > 0;
}

/* The first failure of a pass, with what it was. */
static int fail(struct shunt_sd_result *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct shunt_sd_result *r, int err, const char *fmt, ...)
{
	va_list ap;

	if (r->err)
		return err;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
	return err;
}

/* --- one pass over every namespace ---------------------------------- */

struct walk {
	int links[2];
	const struct netns_list *ns;
	struct shunt_sd_result *r;
};

/* Create an iterator of link in the calling thread's namespace and run
 * it to the end. 0 or -errno. */
static int run_iter(int link)
{
	char buf[256];
	ssize_t n;
	int fd = bpf_iter_create(link);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		n = -errno;
	close(fd);
	return (int)n;
}

/* A thread of its own: setns() changes only its namespace, and the
 * namespace it ends in goes with it. */
static void *walk_thread(void *arg)
{
	struct walk *w = arg;
	size_t i, j;
	int err;

	for (i = 0; i < w->ns->fds.n; i++) {
		/* The first is the caller's own: no setns(), which needs
		 * CAP_SYS_ADMIN even there. */
		err = i && setns(w->ns->fds.v[i], CLONE_NEWNET) ? -errno : 0;
		for (j = 0; !err && j < 2; j++)
			err = run_iter(w->links[j]);
		if (err == -EPERM) {
			w->r->netns_denied++;
			continue;
		}
		if (err) {
			w->r->netns_failed++;
			fail(w->r, err, "network namespace %lu",
			     (unsigned long)w->ns->ids.v[i].ino);
			continue;
		}
		w->r->netns++;
	}
	return NULL;
}

static int walk_all(struct walk *w)
{
	struct netns_list ns = {0};
	pthread_t t;
	int err = netns_list_collect(&ns);

	if (err)
		return fail(w->r, err, "listing network namespaces");
	w->ns = &ns;
	err = -pthread_create(&t, NULL, walk_thread, w);
	if (!err)
		pthread_join(t, NULL);
	else
		fail(w->r, err, "starting the namespace walk");
	netns_list_free(&ns);
	return err;
}

/* --- the program ---------------------------------------------------- */

/* Put the targets in sock_destroy_map (set), or take them out. */
static int set_targets(struct sock_destroy *sk,
		       const struct shunt_sock_target *t, size_t n, bool set)
{
	int fd = bpf_map__fd(sk->maps.sock_destroy_map);
	__u32 one = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (set && bpf_map_update_elem(fd, &t[i], &one, BPF_ANY))
			return -errno;
		if (!set)
			bpf_map_delete_elem(fd, &t[i]);
	}
	return 0;
}

/* The loaded program, kept for the process's later passes while the
 * datapath's sock_vip_map is the same map (an unload and load makes a
 * new one: then it is loaded again). */
static struct {
	struct sock_destroy *sk;
	struct bpf_link *links[2];
	char root[PATH_MAX];
	__u32 vip_id;
} prog;
static pthread_mutex_t prog_lock = PTHREAD_MUTEX_INITIALIZER;

static void prog_drop(void)
{
	bpf_link__destroy(prog.links[0]);
	bpf_link__destroy(prog.links[1]);
	sock_destroy__destroy(prog.sk);
	memset(&prog, 0, sizeof(prog));
}

/* The id of the pinned sock_vip_map: 0 when there is none (no socket
 * path, nothing to end). */
static __u32 vip_map_id(const char *pin_root)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/sock_vip_map", pin_root);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

static int prog_load(const char *pin_root, __u32 vip_id,
		     struct shunt_sd_result *r)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	int err;

	prog.sk = sock_destroy__open_opts(&opts);
	if (!prog.sk)
		return fail(r, -errno, "opening the socket destroy program");
	err = sock_destroy__load(prog.sk);
	if (err) {
		prog_drop();
		return fail(r, err, "loading the socket destroy program");
	}
	prog.links[0] = bpf_program__attach_iter(
		prog.sk->progs.shunt_sock_destroy_udp, NULL);
	prog.links[1] = bpf_program__attach_iter(
		prog.sk->progs.shunt_sock_destroy_tcp, NULL);
	if (!prog.links[0] || !prog.links[1]) {
		err = -errno;
		prog_drop();
		return fail(r, err, "attaching the socket iterators");
	}
	snprintf(prog.root, sizeof(prog.root), "%s", pin_root);
	prog.vip_id = vip_id;
	return 0;
}

/* The program for pin_root's datapath, loaded when needed. */
static int prog_get(const char *pin_root, __u32 vip_id,
		    struct shunt_sd_result *r)
{
	if (prog.sk && prog.vip_id == vip_id && !strcmp(prog.root, pin_root))
		return 0;
	if (prog.sk)
		prog_drop();
	return prog_load(pin_root, vip_id, r);
}

/* One batch of targets through every namespace. */
static int run_batch(const struct shunt_sock_target *t, size_t n,
		     struct shunt_sd_result *r)
{
	struct walk w = {.r = r};
	int err = set_targets(prog.sk, t, n, true);

	if (!err) {
		w.links[0] = bpf_link__fd(prog.links[0]);
		w.links[1] = bpf_link__fd(prog.links[1]);
		err = walk_all(&w);
	} else {
		fail(r, err, "filling sock_destroy_map");
	}
	set_targets(prog.sk, t, n, false);
	return err;
}

static int run_locked(const char *pin_root, const struct shunt_sock_target *t,
		      size_t n, struct shunt_sd_result *r)
{
	__u32 vip_id = vip_map_id(pin_root);
	__u64 udp, tcp, failed;
	size_t done, chunk;
	int err;

	if (!vip_id)
		return 0;
	err = prog_get(pin_root, vip_id, r);
	if (err)
		return err;
	udp = prog.sk->bss->destroyed_udp;
	tcp = prog.sk->bss->destroyed_tcp;
	failed = prog.sk->bss->destroy_failed;
	for (done = 0; !err && done < n; done += chunk) {
		chunk = n - done < SHUNT_SOCK_DESTROY_MAX
				? n - done
				: SHUNT_SOCK_DESTROY_MAX;
		err = run_batch(t + done, chunk, r);
	}
	r->udp = prog.sk->bss->destroyed_udp - udp;
	r->tcp = prog.sk->bss->destroyed_tcp - tcp;
	r->failed = prog.sk->bss->destroy_failed - failed;
	return err;
}

int shunt_sock_destroy(const char *pin_root, const struct shunt_sock_target *t,
		       size_t n, struct shunt_sd_result *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->targets = n;
	if (!shunt_sock_destroy_supported()) {
		r->unsupported = true;
		return fail(r, -EOPNOTSUPP, "%s", unsupported_why);
	}
	if (!n)
		return 0;
	pthread_mutex_lock(&prog_lock);
	err = run_locked(pin_root, t, n, r);
	pthread_mutex_unlock(&prog_lock);
	return err;
}

/* Has the socket path ever translated a connect() on this datapath? If
 * not, no socket has storage to match: the pass is skipped. */
static bool sockets_translated(const struct shunt *s)
{
	int n = libbpf_num_possible_cpus(), i;
	__u32 key = SHUNT_C_SOCK_CONNECT;
	__u64 *v;
	bool any = true; /* when unsure, look */

	if (n <= 0 || s->global_stats_map < 0)
		return true;
	v = calloc(n, sizeof(*v));
	if (v && !bpf_map_lookup_elem(s->global_stats_map, &key, v)) {
		any = false;
		for (i = 0; i < n; i++)
			any |= v[i] != 0;
	}
	free(v);
	return any;
}

void shunt_sock_destroy_after_apply(const struct shunt *s,
				    const struct shunt_sock_target *t, size_t n)
{
	static bool told_unsupported;
	struct shunt_sd_result r;

	if (disabled || !n || !sockets_translated(s))
		return;
	shunt_sock_destroy(s->pin_root, t, n, &r);
	if (r.unsupported) {
		/* Said once per process; nothing is tried again. */
		if (told_unsupported)
			return;
		told_unsupported = true;
	}
	if (report_fn)
		report_fn(&r, report_arg);
}
