// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This node's NodePort addresses: node_addr_map follows the addresses of
 * the network namespace (kube-proxy's --nodeport-addresses selection) as
 * they come and go, from netlink address events (and route events when
 * the primary addresses are the default routes' sources), so an address
 * added after start serves NodePorts at once and a removed one stops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>

#include "log.h"
#include "loop.h"
#include "ifaddr.h"
#include "nodeaddr.h"
#include "nodeaddrs.h"
#include "parse.h"

/* --node-ip values: the primary addresses ("primary" selection). */
static size_t primaries(const struct shuntd_options *o,
			struct shunt_node_addr *out)
{
	size_t n = 0;
	int i;

	for (i = 0; i < o->n_node_ips; i++) {
		memset(&out[n], 0, sizeof(out[n]));
		if (!shunt_parse_ip(o->node_ips[i], &out[n].addr,
				    &out[n].family, NULL, 0))
			n++;
	}
	return n;
}

void nodeports_sync(struct loop *l)
{
	struct shunt_node_addr prim[SHUNTD_MAX_NODE_IPS], *v = NULL;
	char buf[8192], cnt[24];
	size_t n = 0, np, before;
	bool ifaces_changed = false;
	ssize_t got;
	int err;

	/* Drain the events: the set is read whole, whatever they said (and
	 * after an overrun, ENOBUFS, too). */
	while (l->nlfd >= 0) {
		got = recv(l->nlfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got <= 0 &&
		    !(got < 0 && (errno == ENOBUFS || errno == EINTR)))
			break;
	}
	np = primaries(l->opt, prim);
	err = shunt_node_addrs_select(&l->opt->nodeport, np ? prim : NULL, np,
				      &v, &n);
	/* Under the writer lock, like every change (shuntctl node-address). */
	if (!err)
		err = shunt_lock(&l->s);
	if (!err) {
		err = shunt_node_addr_sync(&l->s, v, n);
		/* The attached interfaces' addresses, SNAT's sources. */
		if (!err)
			err = shunt_iface_addrs_sync(&l->s, &ifaces_changed);
		shunt_unlock(&l->s);
	}
	free(v);
	if (err) {
		log_error(
			"cannot update the node's addresses (NodePorts, SNAT)",
			"error", strerror(-err), NULL);
		return;
	}
	pthread_mutex_lock(&l->st->lock);
	before = l->st->node_addrs;
	l->st->node_addrs = n;
	pthread_mutex_unlock(&l->st->lock);
	if (before != n) {
		snprintf(cnt, sizeof(cnt), "%zu", n);
		log_info("NodePort addresses", "count", cnt, NULL);
	}
	if (ifaces_changed)
		log_info("interface addresses for SNAT updated", NULL);
	metrics_refresh(l->metrics);
}

int nodeports_start(struct loop *l)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	struct epoll_event ev = {.events = EPOLLIN};
	int err;

	/* 'primary' without --node-ip: the default routes' source
	 * addresses, which route changes move. */
	if (l->opt->nodeport.primary && !l->opt->n_node_ips)
		sa.nl_groups |= RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;

	l->nlfd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			 NETLINK_ROUTE);
	if (l->nlfd < 0 || bind(l->nlfd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		log_error("cannot watch this node's addresses", "error",
			  strerror(-err), NULL);
		return err;
	}
	ev.data.fd = l->nlfd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->nlfd, &ev))
		return -errno;
	nodeports_sync(l);
	return 0;
}
