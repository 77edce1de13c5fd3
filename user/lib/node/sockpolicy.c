// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-service and per-port policies of the TCP socket programs. */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapdump.h"
#include "sockpolicy.h"

struct shunt_frontend_key shunt_port_target(__u16 port)
{
	struct shunt_frontend_key k;

	memset(&k, 0, sizeof(k));
	k.port = htons(port);
	k.proto = IPPROTO_TCP;
	return k;
}

static int check_target(const struct shunt_frontend_key *t)
{
	if (t->proto != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	return t->port ? 0 : -EINVAL;
}

int shunt_sockmap_enable(struct shunt *s, const struct shunt_frontend_key *t)
{
	__u32 one = 1;
	int err = check_target(t);

	if (err)
		return err;
	if (bpf_map_update_elem(s->sockmap_policy_map, t, &one, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int shunt_sockmap_disable(struct shunt *s, const struct shunt_frontend_key *t)
{
	return bpf_map_delete_elem(s->sockmap_policy_map, t) ? -errno : 0;
}

int shunt_sockmap_list(struct shunt *s, struct shunt_frontend_key **out,
		       size_t *n)
{
	struct map_dump d;
	int err;

	err = map_dump(s->sockmap_policy_map, sizeof(**out), sizeof(__u32), &d);
	if (err)
		return err;
	*out = d.keys;
	*n = d.n;
	free(d.vals);
	return 0;
}

int shunt_congestion_available(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_congestion_control",
			"re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		err = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return err;
}

static bool congestion_offered(const char *name)
{
	char list[512], *tok, *save = NULL;

	if (shunt_congestion_available(list, sizeof(list)))
		return false;
	for (tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

static bool in(__u32 v, __u32 min, __u32 max)
{
	return v >= min && v <= max;
}

int shunt_tune_check(const struct shunt_sock_tune *t)
{
	if (!t->set)
		return -EINVAL;
	if ((t->set & SHUNT_TUNE_F_KEEPALIVE) &&
	    (!in(t->keepalive_idle, 1, SHUNT_TUNE_KEEPIDLE_MAX) ||
	     !in(t->keepalive_intvl, 1, SHUNT_TUNE_KEEPINTVL_MAX) ||
	     !in(t->keepalive_cnt, 1, SHUNT_TUNE_KEEPCNT_MAX)))
		return -EINVAL;
	if ((t->set & SHUNT_TUNE_F_NODELAY) && t->nodelay > 1)
		return -EINVAL;
	if ((t->set & SHUNT_TUNE_F_INIT_CWND) &&
	    !in(t->init_cwnd, 1, SHUNT_TUNE_CWND_MAX))
		return -EINVAL;
	if ((t->set & SHUNT_TUNE_F_SYN_RTO) &&
	    !in(t->syn_rto_ms, 1, SHUNT_TUNE_SYN_RTO_MAX))
		return -EINVAL;
	if ((t->set & SHUNT_TUNE_F_SNDBUF) &&
	    !in(t->sndbuf, SHUNT_TUNE_BUF_MIN, SHUNT_TUNE_BUF_MAX))
		return -EINVAL;
	if ((t->set & SHUNT_TUNE_F_RCVBUF) &&
	    !in(t->rcvbuf, SHUNT_TUNE_BUF_MIN, SHUNT_TUNE_BUF_MAX))
		return -EINVAL;
	if ((t->set & SHUNT_TUNE_F_CONGESTION) &&
	    (!memchr(t->congestion, '\0', sizeof(t->congestion)) ||
	     !congestion_offered(t->congestion)))
		return -EINVAL;
	return 0;
}

int shunt_tune_set(struct shunt *s, const struct shunt_frontend_key *t,
		   const struct shunt_sock_tune *tune)
{
	int err = check_target(t);

	if (!err)
		err = shunt_tune_check(tune);
	if (err)
		return err;
	if (bpf_map_update_elem(s->tune_map, t, tune, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int shunt_tune_del(struct shunt *s, const struct shunt_frontend_key *t)
{
	return bpf_map_delete_elem(s->tune_map, t) ? -errno : 0;
}

int shunt_tune_list(struct shunt *s, struct shunt_tune_info **out, size_t *n)
{
	return map_dump_records(s->tune_map, sizeof(struct shunt_frontend_key),
				sizeof(struct shunt_sock_tune), sizeof(**out),
				offsetof(struct shunt_tune_info, target),
				offsetof(struct shunt_tune_info, tune),
				(void **)out, n);
}
