// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shuntd's event loop: one epoll set with a signalfd (stop, reload), an
 * inotify fd (the services file), an eventfd (the Kubernetes source's
 * "something changed") and a netlink socket (this node's addresses).
 * Conntrack GC and metrics snapshots run in threads of their own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "healthcheck.h"
#include "loop.h"
#include "cgroup.h"
#include "config.h"
#include "ctgc.h"
#include "k8s.h"
#include "log.h"
#include "metrics.h"
#include "podcidr.h"
#include "svcfile.h"

/* --once --kubernetes: how long to wait for the first list. */
#define ONCE_K8S_TIMEOUT_MS 60000

const char *agent_source_name(enum agent_source s)
{
	return s == SOURCE_FILE ? "file" : "kubernetes";
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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

/* Signals through a signalfd (blocked before any thread starts, so
 * every thread inherits the mask). */
static int start_signals(struct loop *l)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sigfd < 0)
		return -errno;
	return add_fd(l, l->sigfd);
}

static int start_k8s(struct loop *l)
{
	struct k8s_options ko = {
		.kubeconfig = l->opt->kubeconfig,
		.node_name = l->opt->node_name,
		.service_proxy_name = l->opt->service_proxy_name,
		.insecure_http = l->opt->insecure_http,
		.external_ip_cidrs = l->opt->external_ips.cidrs,
		.n_external_ip_cidrs = l->opt->external_ips.n_cidrs,
		.src_ranges_nodeport = l->opt->src_ranges_nodeport,
	};
	int err;

	/* externalTrafficPolicy: Local needs to know which node this is. */
	if (!l->opt->node_name[0] &&
	    gethostname(l->opt->node_name, sizeof(l->opt->node_name) - 1))
		l->opt->node_name[0] = '\0';
	l->k8sfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->k8sfd < 0)
		return -errno;
	/* healthCheckNodePorts are answered while the agent runs. */
	if (!l->opt->once) {
		err = hc_start(&l->hc);
		if (err)
			return err;
	}
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
			/* The file again, and the Kubernetes state whole: a
			 * way to undo changes made by hand. */
			log_info("SIGHUP: reloading", NULL);
			if (l->opt->services_file[0])
				sync_file(l);
			if (l->k8s) {
				k8s_source_resync(l->k8s);
				sync_k8s(l);
			}
			return true;
		}
		log_info("stopping; the datapath stays attached", "signal",
			 strsignal(si.ssi_signo), NULL);
		return false;
	}
	if (fd == l->inofd) {
		if (file_changed(l))
			sync_file(l);
	} else if (fd == l->k8sfd) {
		drain_fd(fd);
		sync_k8s(l);
	} else if (fd == l->nlfd) {
		nodeports_sync(l);
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
		err = watch_file(l);
		if (err)
			return err;
		sync_file(l);
	}
	return err;
}

static void loop_close(struct loop *l)
{
	gc_stop(l);
	hc_stop(l->hc);
	l->hc = NULL;
	if (l->k8s)
		k8s_source_stop(l->k8s);
	metrics_stop(l->metrics);
	l->metrics = NULL;
	if (l->nlfd >= 0)
		close(l->nlfd);
	if (l->s_open)
		shunt_close(&l->s);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->inofd >= 0)
		close(l->inofd);
	if (l->k8sfd >= 0)
		close(l->k8sfd);
	if (l->epfd >= 0)
		close(l->epfd);
}

static int start_metrics(struct loop *l)
{
	int err;

	/* --once is over before anyone could scrape (and must not fail for
	 * a port a running agent holds). */
	if (!l->opt->metrics_addr[0] || l->opt->once)
		return 0;
	err = metrics_start(&l->metrics, l->opt->metrics_addr, l->pin_root,
			    l->st);
	if (err) {
		log_error("cannot serve metrics", "addr", l->opt->metrics_addr,
			  "error", strerror(-err), NULL);
		return err;
	}
	log_info("serving /metrics /healthz /readyz", "addr",
		 l->opt->metrics_addr, NULL);
	return 0;
}

/* The agent's own handle on the maps, for its life. */
static int open_maps(struct loop *l)
{
	int err = shunt_open(&l->s, l->pin_root, 0);

	if (err) {
		log_error("cannot open the datapath", "pin_root", l->pin_root,
			  "error", strerror(-err), NULL);
		return err;
	}
	l->s_open = true;
	stale_setup(l);
	/* Build the model now, repairing what an agent killed in the middle
	 * of a change left behind. */
	err = shunt_lock(&l->s);
	if (!err)
		err = shunt_model_load(&l->s);
	shunt_unlock(&l->s);
	if (err)
		log_error("cannot read the services in the maps", "error",
			  strerror(-err), NULL);
	return err;
}

/* --pod-cidrs into pod_cidr_map (exactly: an earlier agent's go). */
static int set_pod_cidrs(struct loop *l)
{
	const struct shunt_nodeport_addrs *p = &l->opt->pod_cidrs;
	int err = shunt_lock(&l->s);

	if (!err)
		err = shunt_pod_cidrs_set(&l->s, p->cidrs, p->n_cidrs);
	shunt_unlock(&l->s);
	if (err)
		log_error("cannot set this node's pod CIDRs", "error",
			  strerror(-err), NULL);
	return err;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* --once with Kubernetes: wait for the first list of both resources (at
 * most ONCE_K8S_TIMEOUT_MS, or until a stop signal), then apply it. */
static void once_k8s(struct loop *l)
{
	long long deadline = mono_ms() + ONCE_K8S_TIMEOUT_MS, left;
	struct pollfd p[2] = {
		{.fd = l->k8sfd, .events = POLLIN},
		{.fd = l->sigfd, .events = POLLIN},
	};
	struct k8s_stats ks;

	for (;;) {
		drain_fd(l->k8sfd);
		k8s_source_stats(l->k8s, &ks);
		if (ks.synced) {
			sync_k8s(l);
			return;
		}
		left = deadline - mono_ms();
		if (left <= 0) {
			log_error("kubernetes: not listed in time", NULL);
			return;
		}
		if (poll(p, 2, (int)left) > 0 && p[1].revents) {
			log_info("stopping before the kubernetes sync", NULL);
			return;
		}
	}
}

int agent_run(struct shuntd_options *opt)
{
	struct agent_stats st = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct loop l = {
		.opt = opt,
		.st = &st,
		.pin_root = shunt_pin_root(opt->pin_root),
		.epfd = -1,
		.sigfd = -1,
		.inofd = -1,
		.k8sfd = -1,
		.nlfd = -1,
	};
	int err;

	/* Set before /readyz can answer (and before any thread reads
	 * them): not ready until every enabled source has synced. */
	st.src[SOURCE_FILE].enabled = opt->services_file[0] != '\0';
	st.src[SOURCE_K8S].enabled = opt->kubernetes;
	l.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l.epfd < 0 || start_signals(&l)) {
		log_error("cannot set up the event loop", "error",
			  strerror(errno), NULL);
		loop_close(&l);
		return 1;
	}
	/* The Kubernetes lists come in while the datapath loads; they are
	 * applied once it is up. */
	err = opt->kubernetes ? start_k8s(&l) : 0;
	if (err)
		log_error("cannot start the kubernetes source", "error",
			  strerror(-err), NULL);
	if (!err)
		err = datapath_setup(opt, l.pin_root);
	if (err) {
		loop_close(&l);
		return 1;
	}
	st.datapath_ready = true;
	err = open_maps(&l);
	if (!err)
		err = set_pod_cidrs(&l);
	if (!err)
		err = start_metrics(&l);
	if (!err)
		err = nodeports_start(&l);
	if (err) {
		loop_close(&l);
		return 1;
	}
	err = start_sources(&l);
	if (err) {
		log_error("cannot start a service source", "error",
			  strerror(-err), NULL);
	} else if (opt->once) {
		if (l.k8s)
			once_k8s(&l);
		gc_pass(&l, &l.s);
		err = agent_ready(&st) ? 0 : -EIO;
	} else {
		err = gc_start(&l);
		if (err)
			log_error("cannot start conntrack GC", "error",
				  strerror(-err), NULL);
		else
			err = run_loop(&l);
	}
	loop_close(&l);
	return err ? 1 : 0;
}
