// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntd's event loop: one epoll set with a signalfd (stop, reload), a
 * timerfd (conntrack GC), an inotify fd (the services file) and an
 * eventfd (the Kubernetes source's "something changed").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <netinet/in.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cgroup.h"
#include "config.h"
#include "ctgc.h"
#include "k8s.h"
#include "log.h"
#include "metrics.h"
#include "svcfile.h"

struct loop {
	struct shuntd_options *opt;
	struct agent_stats *st;
	const char *pin_root;
	int epfd, sigfd, gcfd, inofd, k8sfd;
	char watch_dir[PATH_MAX];
	char watch_name[NAME_MAX + 1];
	struct k8s_source *k8s;
	struct shunt_desired owned[SOURCE_MAX]; /* last applied, for names */
};

const char *agent_source_name(enum agent_source s)
{
	return s == SOURCE_FILE ? "file" : "kubernetes";
}

bool agent_ready(struct agent_stats *st)
{
	bool ready;
	int i;

	pthread_mutex_lock(&st->lock);
	ready = st->datapath_ready;
	for (i = 0; i < SOURCE_MAX; i++)
		if (st->src[i].enabled && !st->src[i].synced)
			ready = false;
	pthread_mutex_unlock(&st->lock);
	return ready;
}

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *num(char *buf, size_t len, unsigned long long v)
{
	snprintf(buf, len, "%llu", v);
	return buf;
}

/* Names for metric labels: what both sources last applied. */
static void update_names(struct loop *l)
{
	struct shunt_desired all;
	size_t i, j;

	shunt_desired_init(&all);
	for (i = 0; i < SOURCE_MAX; i++)
		for (j = 0; j < l->owned[i].n; j++)
			shunt_desired_add(&all, &l->owned[i].svcs[j]);
	pthread_mutex_lock(&l->st->lock);
	shunt_desired_free(&l->st->names);
	l->st->names = all;
	pthread_mutex_unlock(&l->st->lock);
}

static void sync_done(struct loop *l, enum agent_source src, bool ok,
		      size_t services)
{
	struct source_stats *s = &l->st->src[src];

	pthread_mutex_lock(&l->st->lock);
	s->syncs++;
	if (ok) {
		s->synced = true;
		s->last_sync = unix_now();
		s->services = services;
	} else {
		s->sync_errors++;
	}
	pthread_mutex_unlock(&l->st->lock);
}

/* Apply one source's desired state; takes ownership of want. */
static bool apply(struct loop *l, enum agent_source src,
		  struct shunt_desired *want)
{
	__u32 owner = src == SOURCE_FILE ? SHUNT_OWNER_FILE : SHUNT_OWNER_K8S;
	struct shunt_reconcile_result r;
	char a[24], u[24], d[24], k[24], c[24];
	struct shunt s;
	int err;

	err = shunt_open(&s, l->pin_root, SHUNT_OPEN_LOCK);
	if (err) {
		log_error("cannot open the datapath", "source",
			  agent_source_name(src), "error", strerror(-err),
			  NULL);
		shunt_desired_free(want);
		return false;
	}
	err = shunt_reconcile(&s, owner, want, &r);
	shunt_close(&s);
	if (err && err != -EIO) {
		log_error("sync failed", "source", agent_source_name(src),
			  "error", strerror(-err), NULL);
		shunt_desired_free(want);
		return false;
	}
	log_info(r.failed ? "sync partly failed" : "synced", "source",
		 agent_source_name(src), "services", num(a, 24, want->n),
		 "added", num(u, 24, r.added), "updated", num(d, 24, r.updated),
		 "removed", num(k, 24, r.removed), "conflicts",
		 num(c, 24, r.conflicts), "first_error",
		 r.first_error[0] ? r.first_error : NULL, NULL);
	shunt_desired_free(&l->owned[src]);
	l->owned[src] = *want;
	update_names(l);
	return !r.failed;
}

static void sync_file(struct loop *l)
{
	struct shunt_desired want;
	char err[512];
	size_t n;
	bool ok;

	if (shunt_svcfile_load(l->opt->services_file, &want, err,
			       sizeof(err))) {
		/* The previous state stays in force. */
		log_error("services file rejected, keeping the previous "
			  "services",
			  "error", err, NULL);
		sync_done(l, SOURCE_FILE, false, 0);
		return;
	}
	n = want.n;
	ok = apply(l, SOURCE_FILE, &want);
	sync_done(l, SOURCE_FILE, ok, n);
}

static void sync_k8s(struct loop *l)
{
	struct shunt_desired want;
	struct k8s_stats ks;
	size_t n;
	bool ok;
	int err;

	k8s_source_stats(l->k8s, &ks);
	if (!ks.synced)
		return; /* not listed yet: applying would delete everything */
	err = k8s_source_desired(l->k8s, &want);
	if (err) {
		log_error("kubernetes: cannot build services", "error",
			  strerror(-err), NULL);
		sync_done(l, SOURCE_K8S, false, 0);
		return;
	}
	n = want.n;
	ok = apply(l, SOURCE_K8S, &want);
	sync_done(l, SOURCE_K8S, ok, n);
}

static void gc_run(struct loop *l)
{
	struct shunt_gc_result r;
	char a[24], b[24], c[24], d[24];
	struct shunt s;
	int err, i;

	err = shunt_open(&s, l->pin_root, 0);
	if (!err) {
		err = shunt_ct_gc(&s, 0, &r);
		shunt_close(&s);
	}
	if (err) {
		log_error("conntrack GC failed", "error", strerror(-err), NULL);
		return;
	}
	pthread_mutex_lock(&l->st->lock);
	l->st->gc_runs++;
	l->st->gc_scanned += r.scanned;
	l->st->gc_removed += r.removed;
	for (i = 0; i < SHUNT_CT_STATE_MAX; i++)
		l->st->ct_entries[i] = r.by_state[i];
	l->st->ct_total = r.flows;
	l->st->ct_capacity = r.capacity;
	pthread_mutex_unlock(&l->st->lock);
	if (r.removed)
		log_debug("conntrack GC", "scanned", num(a, 24, r.scanned),
			  "removed", num(b, 24, r.removed), NULL);
	if (r.near_full)
		log_warn("conntrack table nearly full", "entries",
			 num(c, 24, r.scanned - r.removed), "capacity",
			 num(d, 24, r.capacity), NULL);
}

static int add_fd(struct loop *l, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Watch the services file's directory: editors and ConfigMaps replace
 * files by rename, which a watch on the file itself would miss. */
static int watch_file(struct loop *l)
{
	char copy[PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", l->opt->services_file);
	snprintf(l->watch_dir, sizeof(l->watch_dir), "%s", dirname(copy));
	snprintf(copy, sizeof(copy), "%s", l->opt->services_file);
	snprintf(l->watch_name, sizeof(l->watch_name), "%s", basename(copy));
	l->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (l->inofd < 0)
		return -errno;
	if (inotify_add_watch(l->inofd, l->watch_dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
				      IN_DELETE) < 0)
		return -errno;
	return add_fd(l, l->inofd);
}

/* Did the inotify events touch our file (or a ConfigMap's ..data)? */
static bool file_changed(struct loop *l)
{
	char buf[4096] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	bool hit = false;
	ssize_t n;
	char *p;

	while ((n = read(l->inofd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->len && (!strcmp(ev->name, l->watch_name) ||
					!strcmp(ev->name, "..data")))
				hit = true;
		}
	}
	return hit;
}

static int start_timers(struct loop *l)
{
	struct itimerspec its = {
		.it_interval.tv_sec = l->opt->gc_interval,
		.it_value.tv_sec = l->opt->gc_interval,
	};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	l->gcfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->sigfd < 0 || l->gcfd < 0 ||
	    timerfd_settime(l->gcfd, 0, &its, NULL))
		return -errno;
	if (add_fd(l, l->sigfd) || add_fd(l, l->gcfd))
		return -errno;
	return 0;
}

/* NodePort VIPs default to the addresses of the attached interfaces
 * (link-local IPv6 left out). */
static void default_node_ips(struct shuntd_options *o)
{
	struct ifaddrs *ifa, *i;
	char buf[INET6_ADDRSTRLEN];
	const void *addr;
	int k;

	if (o->n_node_ips || getifaddrs(&ifa))
		return;
	for (i = ifa; i && o->n_node_ips < SHUNTD_MAX_NODE_IPS;
	     i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		for (k = 0; k < o->n_ifaces; k++)
			if (!strcmp(o->ifaces[k], i->ifa_name))
				break;
		if (k == o->n_ifaces)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			addr = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6 &&
			 !IN6_IS_ADDR_LINKLOCAL(
				 &((struct sockaddr_in6 *)i->ifa_addr)
					  ->sin6_addr))
			addr = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		else
			continue;
		inet_ntop(i->ifa_addr->sa_family, addr, buf, sizeof(buf));
		snprintf(o->node_ips[o->n_node_ips++], sizeof(o->node_ips[0]),
			 "%s", buf);
	}
	freeifaddrs(ifa);
}

static int start_k8s(struct loop *l)
{
	const char *ips[SHUNTD_MAX_NODE_IPS];
	struct k8s_options ko = {
		.kubeconfig = l->opt->kubeconfig,
		.node_name = l->opt->node_name,
		.node_ips = ips,
		.n_node_ips = l->opt->n_node_ips,
	};
	int i, err;

	/* externalTrafficPolicy: Local needs to know which node this is. */
	if (!l->opt->node_name[0] &&
	    gethostname(l->opt->node_name, sizeof(l->opt->node_name) - 1))
		l->opt->node_name[0] = '\0';
	default_node_ips(l->opt);
	ko.n_node_ips = l->opt->n_node_ips;
	for (i = 0; i < l->opt->n_node_ips; i++)
		ips[i] = l->opt->node_ips[i];
	l->k8sfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->k8sfd < 0)
		return -errno;
	err = k8s_source_start(&ko, l->k8sfd, &l->k8s);
	return err ? err : add_fd(l, l->k8sfd);
}

static void drain_fd(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Handle one ready fd; false to stop. */
static bool dispatch(struct loop *l, int fd)
{
	struct signalfd_siginfo si;

	if (fd == l->sigfd) {
		if (read(fd, &si, sizeof(si)) != sizeof(si))
			return true;
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reloading", NULL);
			if (l->opt->services_file[0])
				sync_file(l);
			return true;
		}
		log_info("stopping; the datapath stays attached", "signal",
			 strsignal(si.ssi_signo), NULL);
		return false;
	}
	if (fd == l->gcfd) {
		drain_fd(fd);
		gc_run(l);
	} else if (fd == l->inofd) {
		if (file_changed(l))
			sync_file(l);
	} else if (fd == l->k8sfd) {
		drain_fd(fd);
		sync_k8s(l);
	}
	return true;
}

static int run_loop(struct loop *l)
{
	struct epoll_event ev[8];
	int n, i;

	for (;;) {
		n = epoll_wait(l->epfd, ev, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++)
			if (!dispatch(l, ev[i].data.fd))
				return 0;
	}
}

static int start_sources(struct loop *l)
{
	int err = 0;

	if (l->opt->services_file[0]) {
		l->st->src[SOURCE_FILE].enabled = true;
		err = watch_file(l);
		if (err)
			return err;
		sync_file(l);
	}
	if (l->opt->kubernetes) {
		l->st->src[SOURCE_K8S].enabled = true;
		err = start_k8s(l);
	}
	return err;
}

static void loop_close(struct loop *l)
{
	int i;

	if (l->k8s)
		k8s_source_stop(l->k8s);
	for (i = 0; i < SOURCE_MAX; i++)
		shunt_desired_free(&l->owned[i]);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->gcfd >= 0)
		close(l->gcfd);
	if (l->inofd >= 0)
		close(l->inofd);
	if (l->k8sfd >= 0)
		close(l->k8sfd);
	if (l->epfd >= 0)
		close(l->epfd);
}

int agent_run(struct shuntd_options *opt)
{
	struct agent_stats st = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct metrics_server *m = NULL;
	struct loop l = {
		.opt = opt,
		.st = &st,
		.pin_root = shunt_pin_root(opt->pin_root),
		.sigfd = -1,
		.gcfd = -1,
		.inofd = -1,
		.k8sfd = -1,
	};
	int err;

	shunt_desired_init(&st.names);
	err = datapath_setup(opt, l.pin_root);
	if (err)
		return 1;
	st.datapath_ready = true;
	l.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l.epfd < 0 || start_timers(&l)) {
		log_error("cannot set up the event loop", "error",
			  strerror(errno), NULL);
		return 1;
	}
	if (opt->metrics_addr[0]) {
		err = metrics_start(&m, opt->metrics_addr, l.pin_root, &st);
		if (err) {
			log_error("cannot serve metrics", "addr",
				  opt->metrics_addr, "error", strerror(-err),
				  NULL);
			loop_close(&l);
			return 1;
		}
		log_info("serving /metrics /healthz /readyz", "addr",
			 opt->metrics_addr, NULL);
	}
	err = start_sources(&l);
	if (err) {
		log_error("cannot start a service source", "error",
			  strerror(-err), NULL);
	} else if (opt->once) {
		gc_run(&l);
		err = agent_ready(&st) || opt->kubernetes ? 0 : -EIO;
	} else {
		gc_run(&l);
		err = run_loop(&l);
	}
	metrics_stop(m);
	loop_close(&l);
	shunt_desired_free(&st.names);
	return err ? 1 : 0;
}
