/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Policies of the TCP socket programs, per service or per port:
 * sockmap_policy_map (which connections may be short-circuited socket to
 * socket) and tune_map (socket options). A target is a struct
 * shunt_svc_key: a TCP service, or a port alone (vip zero, family 0).
 */
#ifndef SHUNT_SOCKPOLICY_H
#define SHUNT_SOCKPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "shunt.h"

/* A port-only target. */
struct shunt_frontend_key shunt_port_target(__u16 port);
static inline bool shunt_target_is_port(const struct shunt_frontend_key *t)
{
	return t->family == 0;
}

/* -EPROTONOSUPPORT: the target is a UDP service. */
int shunt_sockmap_enable(struct shunt *s, const struct shunt_frontend_key *t);
/* -ENOENT: not enabled. */
int shunt_sockmap_disable(struct shunt *s, const struct shunt_frontend_key *t);
int shunt_sockmap_list(struct shunt *s, struct shunt_frontend_key **out,
		       size_t *n);

struct shunt_tune_info {
	struct shunt_frontend_key target;
	struct shunt_sock_tune tune;
};

/* Limits of the values (the kernel's own): -EINVAL outside them, or for
 * a congestion control the kernel does not offer. */
#define SHUNT_TUNE_KEEPIDLE_MAX	 32767
#define SHUNT_TUNE_KEEPINTVL_MAX 32767
#define SHUNT_TUNE_KEEPCNT_MAX	 127
#define SHUNT_TUNE_CWND_MAX	 1024
#define SHUNT_TUNE_SYN_RTO_MAX	 120000
#define SHUNT_TUNE_BUF_MIN	 4096
#define SHUNT_TUNE_BUF_MAX	 (1 << 30)

/* Which congestion controls the kernel offers ("reno cubic ..."). */
int shunt_congestion_available(char *buf, size_t len);
int shunt_tune_check(const struct shunt_sock_tune *t);
int shunt_tune_set(struct shunt *s, const struct shunt_frontend_key *t,
		   const struct shunt_sock_tune *tune);
int shunt_tune_del(struct shunt *s, const struct shunt_frontend_key *t);
int shunt_tune_list(struct shunt *s, struct shunt_tune_info **out, size_t *n);

#endif /* SHUNT_SOCKPOLICY_H */
