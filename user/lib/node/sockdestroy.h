/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Socket destroy: when backends leave a service, the sockets the socket
 * path sent to them that would otherwise stay stuck on them are ended
 * (bpf/sock_destroy.bpf.c): connected UDP sockets, and TCP sockets still
 * connecting (SYN_SENT). Established TCP connections are left to drain.
 *
 * An iterator walks the sockets of the network namespace it is created
 * in, so a pass creates one in every network namespace of the node:
 * those of processes (/proc/PID/ns/net) and named ones (/run/netns), each
 * once, from a short-lived thread that setns()es into them in turn (the
 * caller's own namespace first, without setns()). Entering another
 * namespace needs CAP_SYS_ADMIN, and seeing its processes the host's PID
 * namespace. The program is loaded by a process's first pass and kept
 * (iterators attached) for its later ones.
 *
 * Needs bpf_sock_destroy() (Linux 6.5). Without it nothing is tried: the
 * report says so (unsupported) and later passes are skipped.
 */
#ifndef SHUNT_SOCKDESTROY_H
#define SHUNT_SOCKDESTROY_H

#include <stdbool.h>
#include <stddef.h>
#include "shunt.h"

struct shunt_sd_result {
	__u64 udp, tcp;	     /* sockets ended */
	__u64 failed;	     /* sockets bpf_sock_destroy() refused */
	size_t targets;	     /* (service, backend) pairs */
	size_t netns;	     /* network namespaces walked */
	size_t netns_failed; /* namespaces that could not be walked */
	/* Namespaces not entered for want of CAP_SYS_ADMIN (not in err). */
	size_t netns_denied;
	int err;	  /* 0, or -errno of the first failure */
	char what[128];	  /* what failed, for the log */
	bool unsupported; /* kernel without bpf_sock_destroy() */
};

/* Called after every pass the control plane makes (an apply that
 * removed backends): the edge (shuntctl, shuntd) reports the outcome. */
typedef void (*shunt_sd_report_fn)(const struct shunt_sd_result *r, void *arg);
void shunt_sock_destroy_set_report(shunt_sd_report_fn fn, void *arg);
/* On by default; off: applies end no sockets. */
void shunt_sock_destroy_set_enabled(bool on);

/* Set (not "0"): behave as on a kernel without bpf_sock_destroy(). */
#define SHUNT_NO_SOCK_DESTROY_ENV "SHUNT_NO_SOCK_DESTROY"

/* Is bpf_sock_destroy() in this kernel (and not turned off by
 * $SHUNT_NO_SOCK_DESTROY)? Probed once. */
bool shunt_sock_destroy_supported(void);

/* End the sockets the datapath pinned at pin_root sent to these
 * (service, backend) pairs, in every network namespace. 0 or -errno
 * (r->what says what failed); -EOPNOTSUPP without bpf_sock_destroy(). */
int shunt_sock_destroy(const char *pin_root, const struct shunt_sock_target *t,
		       size_t n, struct shunt_sd_result *r);

/* The control plane's pass after an apply: shunt_sock_destroy() when
 * enabled and supported, and the socket path ever translated a connect()
 * on this datapath (sock_connect counter); its outcome to the report
 * callback. Never fails. */
void shunt_sock_destroy_after_apply(const struct shunt *s,
				    const struct shunt_sock_target *t,
				    size_t n);

#endif /* SHUNT_SOCKDESTROY_H */
