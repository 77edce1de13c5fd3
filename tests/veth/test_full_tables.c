// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Full tables, in the veth topology with the node's FORWARD policy at DROP
 * (only shunt moves service traffic):
 *
 *  - service table: service_map is filled to SHUNT_MAX_SERVICES while HTTP
 *    through an existing VIP (IPv4 and IPv6) keeps flowing. The next
 *    `service add` fails with a one-line "service table full" error and a
 *    non-zero exit; the existing services keep serving and can still be
 *    changed; a service of the full table serves; deleting N services
 *    lets exactly N be added again.
 *  - conntrack: the datapath is loaded with a small ct_map (CT_MAX
 *    entries, two per flow, through shunt_set_capacity as shuntd --ct-max
 *    does) and more concurrent flows than fit are opened (held keep-alive
 *    connections, plus clients opening a new connection per request,
 *    which keep evicting). Requests keep succeeding, also on held
 *    connections whose entries the LRU evicted (Maglev picks the same
 *    backend for the mid-stream packet; a missing reply entry is
 *    restored); the evictions show in ct_miss_midstream; no insert
 *    fails; the table stays at its size.
 *  - eviction while a response is pending, made deterministic: the FWD
 *    entry, the REV entry or both of a keep-alive connection waiting for
 *    a slow response are deleted (what the LRU does under pressure).
 *    Without its FWD entry the response arrives as if nothing happened.
 *    Without its REV entry the response cannot be translated (nothing
 *    else names the VIP it must come from) and is dropped, counted in
 *    pass_not_service, until the client's next packet recreates the
 *    entry: a client with TCP keep-alive gets it after its first probe
 *    (ct_rev_restored, or ct_miss_midstream when both were gone), and
 *    the connection goes on working on the same backend.
 *
 * Load threads only count; assertions come after they are joined.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include <cmocka.h>

#include "ct.h"
#include "httpc.h"
#include "load.h"
#include "netns.h"
#include "service.h"
#include "shunt.h"
#include "vethenv.h"

#define SVC_PORT 80
#define NB_MAX	 4
#define PHASES	 4
#define FAIL_LOG 16

static struct vethenv env;

/* ---- Load: new connections and held keep-alive connections ---------- */

struct load {
	atomic_int stop, phase;
	int pace_us;
	pthread_mutex_t lock;
	unsigned long fresh[PHASES][NB_MAX + 1]; /* new connections */
	unsigned long held[PHASES][NB_MAX + 1];	 /* keep-alive requests */
	unsigned long failed, moved;
	int nlog;
	char log[FAIL_LOG][160];
};

static struct load load = {.lock = PTHREAD_MUTEX_INITIALIZER};

#define NEW_WORKERS  2 /* IPv4, IPv6 */
#define HELD_WORKERS 2
static pthread_t new_th[NEW_WORKERS], held_th[HELD_WORKERS];
static int nthreads_new, nthreads_held;

static void fail_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void fail_log(const char *fmt, ...)
{
	va_list ap;

	if (load.nlog >= FAIL_LOG)
		return;
	va_start(ap, fmt);
	vsnprintf(load.log[load.nlog++], sizeof(load.log[0]), fmt, ap);
	va_end(ap);
}

static const char *vip(int family6)
{
	return family6 ? VETH_VIP6 : VETH_VIP4;
}

static int get_once(const char *host, int *be)
{
	char body[64];
	int status, err;

	err = http_get_once(env.client_ns, host, SVC_PORT, "/", &status, body,
			    sizeof(body), VETH_TIMEOUT_MS);
	if (!err)
		err = http_backend_of(status, body, NB_MAX);
	if (err > 0) {
		*be = err;
		err = 0;
	}
	return err;
}

static void *new_worker(void *arg)
{
	int w = (int)(long)arg, ph, be = 0, err;

	while (!load.stop) {
		ph = load.phase;
		err = get_once(vip(w), &be);
		pthread_mutex_lock(&load.lock);
		if (!err) {
			load.fresh[ph][be]++;
		} else {
			load.failed++;
			fail_log("new connection (IPv%d, phase %d): %s",
				 w ? 6 : 4, ph, strerror(-err));
		}
		pthread_mutex_unlock(&load.lock);
		if (load.pace_us)
			usleep(load.pace_us);
	}
	return NULL;
}

/* One keep-alive connection asked again and again; reopened after a
 * failure (which is counted). */
static void *held_worker(void *arg)
{
	int w = (int)(long)arg, ph, be, pinned = 0, err;
	struct http_conn c = {.fd = -1};

	while (!load.stop) {
		ph = load.phase;
		if (c.fd < 0) {
			err = http_connect(&c, env.client_ns, vip(w), SVC_PORT,
					   VETH_TIMEOUT_MS);
			be = err ? err
				 : http_get_backend(&c, NB_MAX,
						    VETH_TIMEOUT_MS);
			pinned = be;
		} else {
			be = http_get_backend(&c, NB_MAX, VETH_TIMEOUT_MS);
		}
		pthread_mutex_lock(&load.lock);
		if (be > 0 && be == pinned) {
			load.held[ph][be]++;
		} else {
			if (be > 0) {
				load.moved++;
				fail_log("keep-alive on be%d answered by be%d",
					 pinned, be);
			} else {
				load.failed++;
				fail_log("keep-alive (IPv%d, phase %d): %s",
					 w ? 6 : 4, ph, strerror(-be));
			}
			http_close(&c);
		}
		pthread_mutex_unlock(&load.lock);
		if (load.pace_us)
			usleep(load.pace_us);
	}
	http_close(&c);
	return NULL;
}

static void load_reset(int pace_us)
{
	pthread_mutex_lock(&load.lock);
	memset(load.fresh, 0, sizeof(load.fresh));
	memset(load.held, 0, sizeof(load.held));
	load.failed = load.moved = 0;
	load.nlog = 0;
	pthread_mutex_unlock(&load.lock);
	load.stop = load.phase = 0;
	load.pace_us = pace_us;
}

static void load_stop(void)
{
	load.stop = 1;
	while (nthreads_new > 0)
		pthread_join(new_th[--nthreads_new], NULL);
	while (nthreads_held > 0)
		pthread_join(held_th[--nthreads_held], NULL);
}

static int load_start(bool with_held)
{
	for (; nthreads_new < NEW_WORKERS; nthreads_new++)
		if (pthread_create(&new_th[nthreads_new], NULL, new_worker,
				   (void *)(long)nthreads_new))
			goto fail;
	for (; with_held && nthreads_held < HELD_WORKERS; nthreads_held++)
		if (pthread_create(&held_th[nthreads_held], NULL, held_worker,
				   (void *)(long)nthreads_held))
			goto fail;
	return 0;
fail:
	load_stop();
	return -1;
}

static void load_print(const char *const *names, int nphases)
{
	int p, i;

	for (p = 0; p < nphases; p++) {
		print_message("  %-12s fresh:", names[p]);
		for (i = 1; i <= NB_MAX; i++)
			print_message(" %5lu", load.fresh[p][i]);
		print_message("   held:");
		for (i = 1; i <= NB_MAX; i++)
			print_message(" %5lu", load.held[p][i]);
		print_message("\n");
	}
	print_message("  failed %lu, moved %lu\n", load.failed, load.moved);
	for (i = 0; i < load.nlog; i++)
		print_message("  failure: %s\n", load.log[i]);
}

static unsigned long phase_sum(unsigned long (*a)[NB_MAX + 1], int p)
{
	unsigned long n = 0;
	int i;

	for (i = 1; i <= NB_MAX; i++)
		n += a[p][i];
	return n;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* shuntctl's stderr (stdout dropped) into buf; its exit status. */
static int ctl_stderr(char *buf, size_t len, const char *args)
{
	return run_capture(buf, len,
			   "%s -n %s --pin-root %s %s 2>&1 >/dev/null",
			   env.shuntctl, env.node_ns, env.pin_root, args);
}

/* ---- Service table --------------------------------------------------- */

enum { S_FILLING, S_FULL, S_FULL_CHANGED, S_FREED };
static const char *const svc_phase_names[] = {"filling", "full", "full+be3",
					      "freed"};

static int setup_svc(void **state)
{
	(void)state;
	raise_nofile();
	if (vethenv_up(&env, "ft", 3))
		return -1;
	if (vethenv_ctl(&env, "service add %s:%d/tcp", VETH_VIP4, SVC_PORT) ||
	    vethenv_ctl(&env, "service add [%s]:%d/tcp", VETH_VIP6, SVC_PORT) ||
	    vethenv_ctl(&env, "backend add %s:%d/tcp 10.200.11.2:%d", VETH_VIP4,
			SVC_PORT, VETH_HTTP_PORT) ||
	    vethenv_ctl(&env, "backend add %s:%d/tcp 10.200.12.2:%d", VETH_VIP4,
			SVC_PORT, VETH_HTTP_PORT) ||
	    vethenv_ctl(&env, "backend add [%s]:%d/tcp [fd00:200:11::2]:%d",
			VETH_VIP6, SVC_PORT, VETH_HTTP_PORT) ||
	    vethenv_ctl(&env, "backend add [%s]:%d/tcp [fd00:200:12::2]:%d",
			VETH_VIP6, SVC_PORT, VETH_HTTP_PORT)) {
		vethenv_down(&env);
		return -1;
	}
	return 0;
}

static int teardown_env(void **state)
{
	(void)state;
	load_stop();
	vethenv_down(&env);
	return 0;
}

/* Filler VIP i: 11.0.0.0/8. */
static void filler_key(struct shunt_frontend_key *k, __u32 i)
{
	memset(k, 0, sizeof(*k));
	k->vip.v4 = htonl(0x0b000000 + i);
	k->port = htons(SVC_PORT);
	k->proto = IPPROTO_TCP;
	k->family = SHUNT_V4;
}

static void filler_name(char *buf, size_t len, __u32 i)
{
	struct in_addr a = {.s_addr = htonl(0x0b000000 + i)};

	snprintf(buf, len, "%s:%d/tcp", inet_ntoa(a), SVC_PORT);
}

static bool one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return *s && nl && nl[1] == '\0';
}

/* The one answer of a fresh connection to host:SVC_PORT, or 0. */
static int which(const char *host)
{
	int be = 0;

	return get_once(host, &be) ? 0 : be;
}

static void test_service_table_full(void **state)
{
	char err4[512] = "", err6[512] = "", errx[512] = "", name[64];
	char fname[64], fvip[INET_ADDRSTRLEN];
	int rc4 = 0, rc6 = 0, rcx = 0, fill_err = 0, be_filler = 0, be_new = 0;
	int rc_be3 = -1, rc_del = 0, rc_readd = 0, rc_fbe = -1;
	__u32 i, added = 0, nsvc_full = 0, readded = 0, last = 0;
	struct shunt_service_info *list = NULL;
	struct shunt_frontend_key key;
	bool full = false;
	struct shunt s;
	size_t n = 0;

	(void)state;
	load_reset(2000);
	assert_int_equal(load_start(true), 0);
	usleep(300 * 1000);

	/* Fill it, fast, through libshunt (as tests/cli does). */
	if (shunt_open(&s, env.pin_root, SHUNT_OPEN_LOCK) == 0) {
		for (i = 0; i < SHUNT_MAX_SERVICES + 16; i++) {
			filler_key(&key, i);
			fill_err = shunt_service_add(&s, &key, 7, 0);
			if (fill_err == -ENOSPC) {
				full = true;
				fill_err = 0;
				break;
			}
			if (fill_err)
				break;
			added++;
			last = i;
		}
		if (!shunt_service_list(&s, &list, &n))
			nsvc_full = (__u32)n;
		free(list);
		shunt_close(&s);
	} else {
		fill_err = -EBADF;
	}
	load.phase = S_FULL;
	usleep(300 * 1000);

	/* The next add: a clear error, nothing else. */
	rc4 = ctl_stderr(err4, sizeof(err4), "service add 10.96.0.99:80/tcp");
	rc6 = ctl_stderr(err6, sizeof(err6),
			 "service add [fd00:96::99]:80/tcp");
	/* The existing services can still be changed ... */
	rc_be3 =
		vethenv_ctl(&env, "backend add %s:%d/tcp 10.200.13.2:%d",
			    VETH_VIP4, SVC_PORT, VETH_HTTP_PORT) ||
		vethenv_ctl(&env, "backend add [%s]:%d/tcp [fd00:200:13::2]:%d",
			    VETH_VIP6, SVC_PORT, VETH_HTTP_PORT);
	load.phase = S_FULL_CHANGED;
	/* ... and a service of the full table serves. */
	filler_name(fname, sizeof(fname), last);
	snprintf(fvip, sizeof(fvip), "%s",
		 inet_ntoa((struct in_addr){htonl(0x0b000000 + last)}));
	rc_fbe = vethenv_ctl(&env, "backend add %s 10.200.12.2:%d", fname,
			     VETH_HTTP_PORT);
	be_filler = which(fvip);
	usleep(500 * 1000);

	/* Free four: exactly four can be added again, the fifth fails. */
	for (i = 0; i < 4; i++) {
		filler_name(name, sizeof(name), i);
		rc_del |= vethenv_ctl(&env, "service del %s", name);
	}
	load.phase = S_FREED;
	for (i = 0; i < 4; i++) {
		if (vethenv_ctl(&env, "service add 10.96.0.%u:80/tcp", 99 + i))
			rc_readd = -1;
		else
			readded++;
	}
	if (!rc_readd &&
	    !vethenv_ctl(&env, "backend add 10.96.0.99:80/tcp 10.200.11.2:%d",
			 VETH_HTTP_PORT))
		be_new = which("10.96.0.99");
	rcx = ctl_stderr(errx, sizeof(errx), "service add 10.96.0.120:80/tcp");
	usleep(300 * 1000);
	load_stop();

	print_message("filled: %u added (+2 existing), %u in the table, "
		      "full %d, error %d\n",
		      added, nsvc_full, full, fill_err);
	print_message("service add when full: exit %d: %s", rc4, err4);
	print_message("service add v6 when full: exit %d: %s", rc6, err6);
	print_message("filler %s answered by be%d; 10.96.0.99 by be%d\n", fname,
		      be_filler, be_new);
	load_print(svc_phase_names, PHASES);

	assert_int_equal(fill_err, 0);
	assert_true(full);
	assert_int_equal(added, SHUNT_MAX_SERVICES - 2);
	assert_int_equal(nsvc_full, SHUNT_MAX_SERVICES);
	/* One line naming the problem, non-zero exit. */
	assert_int_not_equal(rc4, 0);
	assert_non_null(strstr(err4, "service table full"));
	assert_true(one_line(err4));
	assert_int_not_equal(rc6, 0);
	assert_non_null(strstr(err6, "service table full"));
	assert_true(one_line(err6));
	/* Existing services served throughout, with no failure ... */
	assert_int_equal(load.failed, 0);
	assert_int_equal(load.moved, 0);
	assert_true(phase_sum(load.fresh, S_FILLING) > 0);
	assert_true(phase_sum(load.held, S_FILLING) > 0);
	assert_true(phase_sum(load.fresh, S_FULL) > 0);
	assert_true(phase_sum(load.held, S_FULL) > 0);
	assert_true(phase_sum(load.fresh, S_FREED) > 0);
	/* ... and could be changed: be3, added while full, takes traffic. */
	assert_int_equal(rc_be3, 0);
	assert_true(load.fresh[S_FULL_CHANGED][3] + load.fresh[S_FREED][3] > 0);
	assert_int_equal(rc_fbe, 0);
	assert_int_equal(be_filler, 2);
	/* Freed slots are usable again, exactly as many. */
	assert_int_equal(rc_del, 0);
	assert_int_equal(rc_readd, 0);
	assert_int_equal(readded, 4);
	assert_int_equal(be_new, 1);
	assert_int_not_equal(rcx, 0);
	assert_non_null(strstr(errx, "service table full"));
}

/* ---- Conntrack ------------------------------------------------------- */

/*
 * Entries: 2048 flows. Not much smaller: the kernel's LRU hands free
 * entries to each CPU in batches of 128 and reclaims in batches as
 * large, so a table of a few batches reclaims entries moments after
 * their creation. At 1024 entries, 2-4 of 12,000 requests on held
 * connections lost their response that way (the reply entry reclaimed
 * before the reply, then again before the retransmission) and hung.
 */
#define CT_MAX	      4096
#define HELD	      2600 /* connections held open: 5200 entries */
#define ROUNDS	      3
#define HELD_REQ_MS   5000
#define HELD_FAIL_MAX 5 /* stop asking after this many failures */

struct held {
	struct http_conn c;
	int be;
	int family6;
	unsigned short port; /* client port */
};

static struct held *held;
static struct http_conn slow_conn = {.fd = -1};

static int setup_ct(void **state)
{
	int i;

	(void)state;
	raise_nofile();
	held = calloc(HELD, sizeof(*held));
	if (!held)
		return -1;
	for (i = 0; i < HELD; i++)
		held[i].c.fd = -1;
	if (vethenv_up(&env, "fc", NB_MAX)) {
		free(held);
		held = NULL;
		return -1;
	}
	return 0;
}

/* Reload with a small conntrack table: its size is fixed at the first
 * load, which vethenv_up's attach did. The interfaces, the peers' XDP
 * preparation and FORWARD DROP stay. */
static int reload_small_ct(void)
{
	int err;

	shunt_set_capacity(&(struct shunt_capacity){.ct = CT_MAX});
	err = vethenv_ctl(&env, "unload");
	if (!err)
		err = shunt_load(env.pin_root);
	if (!err)
		err = vethenv_ctl(&env, "attach c0 b1 b2 b3 b4 --mode %s",
				  env.mode);
	if (!err)
		err = vethenv_services(&env, SVC_PORT, "tcp", VETH_HTTP_PORT);
	return err;
}

static int teardown_ct(void **state)
{
	int i;

	(void)state;
	load_stop();
	for (i = 0; held && i < HELD; i++)
		http_close(&held[i].c);
	http_close(&slow_conn);
	free(held);
	held = NULL;
	vethenv_down(&env);
	return 0;
}

static unsigned short local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

struct ct_view {
	__u32 max_entries;
	size_t entries, fwd;
	unsigned char *fwd_ports[2]; /* [family6][client port]: FWD to VIP */
};

static int ct_view(struct ct_view *v)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct shunt_ct_info *ct = NULL;
	struct shunt_frontend_key vk;
	struct shunt s;
	size_t n = 0, i;
	int err, f;

	for (f = 0; f < 2; f++) {
		if (!v->fwd_ports[f])
			v->fwd_ports[f] = calloc(65536, 1);
		if (!v->fwd_ports[f])
			return -ENOMEM;
		memset(v->fwd_ports[f], 0, 65536);
	}
	err = shunt_open(&s, env.pin_root, 0);
	if (err)
		return err;
	err = bpf_obj_get_info_by_fd(s.ct_map, &info, &len) ? -errno : 0;
	if (!err)
		err = shunt_ct_list(&s, &ct, &n);
	shunt_close(&s);
	if (err)
		return err;
	v->max_entries = info.max_entries;
	v->entries = n;
	v->fwd = 0;
	for (i = 0; i < n; i++) {
		const struct shunt_ct_key *k = &ct[i].key;

		if (k->dir != SHUNT_CT_FWD)
			continue;
		v->fwd++;
		memset(&vk, 0, sizeof(vk));
		if (k->family == SHUNT_V4)
			inet_pton(AF_INET, VETH_VIP4, &vk.vip.v4);
		else
			inet_pton(AF_INET6, VETH_VIP6, vk.vip.bytes);
		if (k->proto == IPPROTO_TCP && k->dport == htons(SVC_PORT) &&
		    !memcmp(&k->dst, &vk.vip, sizeof(vk.vip)))
			v->fwd_ports[k->family == SHUNT_V6][ntohs(k->sport)] =
				1;
	}
	free(ct);
	return 0;
}

static void ct_view_free(struct ct_view *v)
{
	free(v->fwd_ports[0]);
	free(v->fwd_ports[1]);
}

static void test_conntrack_full(void **state)
{
	long long mid0, rest0, fail0, mid1, rest1, fail1, nob0, nob1, pns0,
		pns1;
	unsigned long open_failed = 0, held_ok = 0, held_failed = 0,
		      held_moved = 0, held_evicted = 0, held_done = 0;
	struct ct_view v0 = {}, v1 = {};
	int i, r, be, err, view0, view1, per_be[NB_MAX + 1] = {0};
	char first_err[160] = "";

	(void)state;
	err = reload_small_ct();
	if (err)
		fail_msg("loading the datapath with a %d-entry conntrack table "
			 "(shunt_set_capacity, shunt_load) failed: %d",
			 CT_MAX, err);
	mid0 = vethenv_counter(&env, "ct_miss_midstream");
	rest0 = vethenv_counter(&env, "ct_rev_restored");
	fail0 = vethenv_counter(&env, "ct_create_fail");
	nob0 = vethenv_counter(&env, "drop_no_backend");
	pns0 = vethenv_counter(&env, "pass_not_service");
	assert_true(mid0 >= 0 && rest0 >= 0 && fail0 >= 0 && nob0 >= 0 &&
		    pns0 >= 0);

	/* Held connections, more than the table holds. */
	for (i = 0; i < HELD; i++) {
		held[i].family6 = i % 2;
		err = http_connect(&held[i].c, env.client_ns,
				   vip(held[i].family6), SVC_PORT,
				   VETH_TIMEOUT_MS);
		be = err ? err
			 : http_get_backend(&held[i].c, NB_MAX,
					    VETH_TIMEOUT_MS);
		if (be < 0) {
			if (!open_failed++)
				snprintf(first_err, sizeof(first_err),
					 "open %d: %s", i, strerror(-be));
			http_close(&held[i].c);
			continue;
		}
		held[i].be = be;
		held[i].port = local_port(held[i].c.fd);
		per_be[be]++;
	}
	/* Which of them lost their entry already. */
	view0 = ct_view(&v0);
	for (i = 0; !view0 && i < HELD; i++)
		if (held[i].c.fd >= 0 &&
		    !v0.fwd_ports[held[i].family6][held[i].port])
			held_evicted++;

	/* Churn alongside: a new flow per request, unpaced. */
	load_reset(0);
	if (load_start(false))
		snprintf(first_err, sizeof(first_err), "load threads");
	for (r = 0; r < ROUNDS && held_failed < HELD_FAIL_MAX; r++) {
		for (i = 0; i < HELD && held_failed < HELD_FAIL_MAX; i++) {
			if (held[i].c.fd < 0)
				continue;
			be = http_get_backend(&held[i].c, NB_MAX, HELD_REQ_MS);
			held_done++;
			if (be == held[i].be) {
				held_ok++;
				continue;
			}
			if (be > 0)
				held_moved++;
			else
				held_failed++;
			if (!first_err[0])
				snprintf(first_err, sizeof(first_err),
					 "held %d (IPv%d port %u, be%d, round "
					 "%d): %s (be%d)",
					 i, held[i].family6 ? 6 : 4,
					 held[i].port, held[i].be, r,
					 be > 0 ? "answered by another backend"
						: strerror(-be),
					 be);
			http_close(&held[i].c);
		}
	}
	load_stop();
	view1 = ct_view(&v1);
	mid1 = vethenv_counter(&env, "ct_miss_midstream");
	rest1 = vethenv_counter(&env, "ct_rev_restored");
	fail1 = vethenv_counter(&env, "ct_create_fail");
	nob1 = vethenv_counter(&env, "drop_no_backend");
	pns1 = vethenv_counter(&env, "pass_not_service");

	print_message("held: %d connections (be1..4: %d %d %d %d), %lu open "
		      "failures; %lu of them without a FWD entry after "
		      "opening\n",
		      HELD, per_be[1], per_be[2], per_be[3], per_be[4],
		      open_failed, held_evicted);
	print_message("held requests: %lu asked, %lu ok, %lu failed, %lu "
		      "moved\n",
		      held_done, held_ok, held_failed, held_moved);
	print_message("churn: %lu ok, %lu failed\n", phase_sum(load.fresh, 0),
		      load.failed);
	for (i = 0; i < load.nlog; i++)
		print_message("  failure: %s\n", load.log[i]);
	if (first_err[0])
		print_message("first error: %s\n", first_err);
	print_message("ct_map: %u max; %zu entries (%zu FWD) after opening, "
		      "%zu (%zu FWD) at the end\n",
		      v1.max_entries, v0.entries, v0.fwd, v1.entries, v1.fwd);
	print_message("counters: ct_miss_midstream +%lld, ct_rev_restored "
		      "+%lld, ct_create_fail +%lld, drop_no_backend +%lld, "
		      "pass_not_service +%lld (replies with no entry)\n",
		      mid1 - mid0, rest1 - rest0, fail1 - fail0, nob1 - nob0,
		      pns1 - pns0);
	ct_view_free(&v0);
	ct_view_free(&v1);

	assert_int_equal(view0, 0);
	assert_int_equal(view1, 0);
	/* The table has its size and is used up to it. */
	assert_int_equal(v1.max_entries, CT_MAX);
	assert_true(v0.entries <= CT_MAX && v1.entries <= CT_MAX);
	assert_true(v0.entries >= CT_MAX / 2);
	assert_true(v1.entries >= CT_MAX / 2);
	/* Every connection opened and every request succeeded ... */
	assert_int_equal(open_failed, 0);
	assert_int_equal(held_failed, 0);
	assert_int_equal(held_moved, 0);
	assert_int_equal(held_ok, (unsigned long)HELD * ROUNDS);
	assert_int_equal(load.failed, 0);
	assert_true(phase_sum(load.fresh, 0) > 0);
	/* ... also on held connections whose entries had been evicted ... */
	assert_true(held_evicted > 0);
	/* ... which the counters show: each of those came back mid-stream
	 * without an entry at least once; inserts never failed (the LRU
	 * made room); no packet was dropped for want of a backend. */
	assert_true(mid1 - mid0 >= (long long)held_evicted);
	assert_int_equal(fail1, fail0);
	assert_int_equal(nob1, nob0);
}

/* ---- Eviction while a response is pending ----------------------------
 *
 * What the LRU does to a flow, done on purpose: a keep-alive connection
 * waits for a slow response while its FWD entry, its REV entry, or both
 * are deleted from ct_map. The client has nothing to send meanwhile (its
 * request was acknowledged). The response must reach it: at once when the
 * REV entry is there; when it is not, after the client's first TCP
 * keep-alive probe (KA_IDLE_S after the request, well after the response
 * was first sent) has recreated it. Either way the connection goes on
 * working on the same backend.
 */

#define SLOW_MS	  1000
#define EVICT_MS  300 /* request acknowledged, response pending */
#define KA_IDLE_S 2

enum evict_what { EVICT_FWD = 1, EVICT_REV = 2, EVICT_BOTH = 3 };

struct slow_req {
	struct http_conn *c;
	int be;
	long long ms; /* until the response was read */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *slow_get(void *arg)
{
	struct slow_req *r = arg;
	long long t0 = now_ms();
	char body[64], path[32];
	int status, err;

	snprintf(path, sizeof(path), "/slow/%d", SLOW_MS);
	err = http_get(r->c, path, 0, &status, body, sizeof(body),
		       SLOW_MS + VETH_TIMEOUT_MS * 2);
	r->be = err ? err : http_backend_of(status, body, NB_MAX);
	r->ms = now_ms() - t0;
	return NULL;
}

/* Delete the FWD and/or REV entry of the IPv4 flow from the client's
 * port to the VIP, on backend be. 0 or -errno. */
static int ct_evict(unsigned short port, int be, enum evict_what what)
{
	struct shunt_ct_key fwd = {}, rev = {};
	char bip[64];
	struct shunt s;
	int err = 0;

	vethenv_backend_ip4(bip, sizeof(bip), be);
	fwd.family = rev.family = SHUNT_V4;
	fwd.proto = rev.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "10.200.1.2", &fwd.src.v4);
	inet_pton(AF_INET, VETH_VIP4, &fwd.dst.v4);
	fwd.sport = htons(port);
	fwd.dport = htons(SVC_PORT);
	fwd.dir = SHUNT_CT_FWD;
	inet_pton(AF_INET, bip, &rev.src.v4);
	rev.dst.v4 = fwd.src.v4;
	rev.sport = htons(VETH_HTTP_PORT);
	rev.dport = htons(port);
	rev.dir = SHUNT_CT_REV;
	err = shunt_open(&s, env.pin_root, 0);
	if (err)
		return err;
	if ((what & EVICT_FWD) && bpf_map_delete_elem(s.ct_map, &fwd))
		err = -errno;
	if (!err && (what & EVICT_REV) && bpf_map_delete_elem(s.ct_map, &rev))
		err = -errno;
	shunt_close(&s);
	return err;
}

/* TCP keep-alive: first probe after idle seconds, then every second. */
static int keepalive(int fd, int idle)
{
	int on = 1, intvl = 1, cnt = 10;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)))
		return -errno;
	return 0;
}

struct evict_result {
	int be0, evict_err, response, after;
	long long ms;
	/* Counter deltas over the case. */
	long long pns, restored, midstream;
};

static void evict_case(enum evict_what what, struct evict_result *res)
{
	struct http_conn *c = &slow_conn;
	struct slow_req r = {.c = c};
	long long pns0, rest0, mid0;
	unsigned short port;
	pthread_t th;

	memset(res, 0, sizeof(*res));
	pns0 = vethenv_counter(&env, "pass_not_service");
	rest0 = vethenv_counter(&env, "ct_rev_restored");
	mid0 = vethenv_counter(&env, "ct_miss_midstream");
	res->be0 = http_connect(c, env.client_ns, VETH_VIP4, SVC_PORT,
				VETH_TIMEOUT_MS);
	if (!res->be0 && (what & EVICT_REV))
		res->be0 = keepalive(c->fd, KA_IDLE_S);
	if (!res->be0)
		res->be0 = http_get_backend(c, NB_MAX, VETH_TIMEOUT_MS);
	if (res->be0 <= 0) {
		http_close(c);
		return;
	}
	port = local_port(c->fd);
	if (pthread_create(&th, NULL, slow_get, &r)) {
		res->evict_err = -EAGAIN;
		http_close(c);
		return;
	}
	usleep(EVICT_MS * 1000);
	res->evict_err = ct_evict(port, res->be0, what);
	pthread_join(th, NULL);
	res->response = r.be;
	res->ms = r.ms;
	res->after = http_get_backend(c, NB_MAX, VETH_TIMEOUT_MS);
	http_close(c);
	res->pns = vethenv_counter(&env, "pass_not_service") - pns0;
	res->restored = vethenv_counter(&env, "ct_rev_restored") - rest0;
	res->midstream = vethenv_counter(&env, "ct_miss_midstream") - mid0;
}

static int setup_evict(void **state)
{
	(void)state;
	if (vethenv_up(&env, "fe", 2))
		return -1;
	if (vethenv_services(&env, SVC_PORT, "tcp", VETH_HTTP_PORT)) {
		vethenv_down(&env);
		return -1;
	}
	return 0;
}

static const char *outcome(int got, int want)
{
	if (got == want)
		return "ok";
	return got < 0 ? strerror(-got) : "another backend";
}

static void test_conntrack_evicted_while_response_pending(void **state)
{
	static const char *const names[] = {"", "FWD", "REV", "FWD+REV"};
	struct evict_result res[4];
	int w;

	(void)state;
	for (w = EVICT_FWD; w <= EVICT_BOTH; w++)
		evict_case((enum evict_what)w, &res[w]);
	for (w = EVICT_FWD; w <= EVICT_BOTH; w++)
		print_message("evict %-7s on be%d (delete: %d): pending "
			      "response: %s after %lld ms; next request: %s; "
			      "pass_not_service +%lld, ct_rev_restored +%lld, "
			      "ct_miss_midstream +%lld\n",
			      names[w], res[w].be0, res[w].evict_err,
			      outcome(res[w].response, res[w].be0), res[w].ms,
			      outcome(res[w].after, res[w].be0), res[w].pns,
			      res[w].restored, res[w].midstream);
	for (w = EVICT_FWD; w <= EVICT_BOTH; w++) {
		assert_true(res[w].be0 > 0);
		assert_int_equal(res[w].evict_err, 0);
		assert_int_equal(res[w].response, res[w].be0);
		assert_int_equal(res[w].after, res[w].be0);
	}
	/* FWD gone: the reply entry translates the response on time; the
	 * next request finds the flow again mid-stream. */
	assert_int_equal(res[EVICT_FWD].pns, 0);
	assert_true(res[EVICT_FWD].midstream > 0);
	/* REV gone: the response was dropped untranslated until the probe
	 * restored the entry from the FWD entry. */
	assert_true(res[EVICT_REV].pns > 0);
	assert_true(res[EVICT_REV].restored > 0);
	/* Both gone: the probe started the flow again mid-stream, on the
	 * same backend (Maglev, backend set unchanged). */
	assert_true(res[EVICT_BOTH].pns > 0);
	assert_true(res[EVICT_BOTH].midstream > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_service_table_full,
						setup_svc, teardown_env),
		cmocka_unit_test_setup_teardown(test_conntrack_full, setup_ct,
						teardown_ct),
		cmocka_unit_test_setup_teardown(
			test_conntrack_evicted_while_response_pending,
			setup_evict, teardown_ct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
