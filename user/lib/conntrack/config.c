// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Datapath knobs: conntrack lifetimes per state, the SNAT port range, the
 * load-balancing mode for remote backends. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "config.h"
#include "load.h"
#include "parse.h"

#define DAY (24 * 3600)
#define KNOB(n, field, h, d)                                                   \
	{                                                                      \
		.name = n, .help = h,                                          \
		.off = offsetof(struct shunt_config, field), .min = 1,         \
		.max = 7 * DAY, .dflt = d                                      \
	}

#define PORT_KNOB(n, field, h, d)                                              \
	{                                                                      \
		.name = n, .help = h,                                          \
		.off = offsetof(struct shunt_config, field), .min = 1024,      \
		.max = 65535, .dflt = d                                        \
	}

static const char *const lb_modes[] = {"snat", "dsr", NULL};

static const struct shunt_knob knobs[] = {
	KNOB("ct-syn-timeout", ct_syn_timeout,
	     "TCP: SYN seen, no reply yet (s)", SHUNT_DEFAULT_CT_SYN),
	KNOB("ct-established-timeout", ct_established_timeout,
	     "TCP: established, idle (s)", SHUNT_DEFAULT_CT_ESTABLISHED),
	KNOB("ct-fin-wait-timeout", ct_fin_wait_timeout,
	     "TCP: client sent FIN (s)", SHUNT_DEFAULT_CT_FIN_WAIT),
	KNOB("ct-close-wait-timeout", ct_close_wait_timeout,
	     "TCP: backend sent FIN (s)", SHUNT_DEFAULT_CT_CLOSE_WAIT),
	KNOB("ct-time-wait-timeout", ct_time_wait_timeout,
	     "TCP: FIN seen both ways (s)", SHUNT_DEFAULT_CT_TIME_WAIT),
	KNOB("ct-close-timeout", ct_close_timeout, "TCP: RST seen (s)",
	     SHUNT_DEFAULT_CT_CLOSE),
	KNOB("ct-udp-timeout", ct_udp_timeout, "UDP flow, idle (s)",
	     SHUNT_DEFAULT_CT_UDP),
	PORT_KNOB("snat-port-min", snat_port_min,
		  "first source port of masqueraded flows",
		  SHUNT_DEFAULT_SNAT_PORT_MIN),
	PORT_KNOB("snat-port-max", snat_port_max,
		  "last source port of masqueraded flows",
		  SHUNT_DEFAULT_SNAT_PORT_MAX),
	{.name = "lb-mode",
	 .help = "external traffic to a remote backend: snat or dsr",
	 .off = offsetof(struct shunt_config, lb_mode),
	 .min = SHUNT_LB_MODE_SNAT,
	 .max = SHUNT_LB_MODE_DSR,
	 .dflt = SHUNT_DEFAULT_LB_MODE,
	 .names = lb_modes},
	{.name = NULL},
};

const struct shunt_knob *shunt_knobs(void)
{
	return knobs;
}

int shunt_knob_parse(const struct shunt_knob *k, const char *text, __u32 *v,
		     char *why, size_t len)
{
	size_t i;

	if (!k->names)
		return shunt_parse_u32(text, k->min, k->max, v, why, len);
	for (i = 0; k->names[i]; i++)
		if (!strcmp(k->names[i], text)) {
			*v = k->min + i;
			return 0;
		}
	snprintf(why, len, "expected %s or %s", k->names[0], k->names[1]);
	return -EINVAL;
}

const char *shunt_knob_format(const struct shunt_knob *k, __u32 v, char *buf,
			      size_t len)
{
	if (k->names && v >= k->min && v <= k->max)
		return k->names[v - k->min];
	if (k->names && !v)
		return k->names[k->dflt - k->min]; /* 0: the default */
	snprintf(buf, len, "%u", v);
	return buf;
}

const struct shunt_knob *shunt_knob_find(const char *name)
{
	const struct shunt_knob *k;

	for (k = knobs; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

int shunt_config_get(struct shunt *s, struct shunt_config *cfg)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(s->config_map, &key, cfg) ? -errno : 0;
}

int shunt_config_set(struct shunt *s, const struct shunt_knob *k, __u32 value)
{
	struct shunt_config cfg;
	__u32 key = 0;
	int err;

	if (value < k->min || value > k->max)
		return -EINVAL;
	err = shunt_config_get(s, &cfg);
	if (err)
		return err;
	*(__u32 *)((char *)&cfg + k->off) = value;
	/* A range that ends before it starts is refused whole. */
	if (cfg.snat_port_min > cfg.snat_port_max)
		return -ERANGE;
	return bpf_map_update_elem(s->config_map, &key, &cfg, BPF_EXIST)
		       ? -errno
		       : 0;
}

int shunt_config_update(struct shunt *s, const struct shunt_config *want)
{
	const struct shunt_knob *k;
	struct shunt_config cfg;
	__u32 key = 0, v;
	int err = shunt_config_get(s, &cfg);

	if (err)
		return err;
	for (k = shunt_knobs(); k->name; k++) {
		v = shunt_knob_value(want, k);
		if (!v)
			continue;
		if (v < k->min || v > k->max)
			return -EINVAL;
		*(__u32 *)((char *)&cfg + k->off) = v;
	}
	if (cfg.snat_port_min > cfg.snat_port_max)
		return -ERANGE;
	return bpf_map_update_elem(s->config_map, &key, &cfg, BPF_EXIST)
		       ? -errno
		       : 0;
}

/* The knobs to their defaults; flags kept by other modules stay. */
int shunt_config_reset(struct shunt *s)
{
	struct shunt_config cfg, cur;
	__u32 key = 0;
	int err;

	err = shunt_config_get(s, &cur);
	if (err)
		return err;
	shunt_config_defaults(&cfg);
	cfg.flags = cur.flags;
	return bpf_map_update_elem(s->config_map, &key, &cfg, BPF_EXIST)
		       ? -errno
		       : 0;
}
