// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-CPU counters, summed over every possible CPU. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "stats.h"

static const char *const counter_names[SHUNT_C_MAX] = {
#define SHUNT_COUNTER_NAME(id, name) [SHUNT_C_##id] = name,
	SHUNT_COUNTERS(SHUNT_COUNTER_NAME)
#undef SHUNT_COUNTER_NAME
};

const char *shunt_counter_name(unsigned int c)
{
	return c < SHUNT_C_MAX ? counter_names[c] : NULL;
}

static int ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

int shunt_stats_global(struct shunt *s, __u64 out[SHUNT_C_MAX])
{
	int cpus = ncpus(), cpu;
	__u64 *v = calloc(cpus, sizeof(*v));
	__u32 c;

	if (!v)
		return -ENOMEM;
	for (c = 0; c < SHUNT_C_MAX; c++) {
		out[c] = 0;
		if (bpf_map_lookup_elem(s->global_stats_map, &c, v))
			continue;
		for (cpu = 0; cpu < cpus; cpu++)
			out[c] += v[cpu];
	}
	free(v);
	return 0;
}

static int traffic_sum(int fd, __u32 id, struct shunt_traffic_stats *out)
{
	int cpus = ncpus(), cpu;
	struct shunt_traffic_stats *v = calloc(cpus, sizeof(*v));
	int err = 0;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, &id, v)) {
		err = -errno;
		goto out;
	}
	for (cpu = 0; cpu < cpus; cpu++) {
		out->fwd_packets += v[cpu].fwd_packets;
		out->fwd_bytes += v[cpu].fwd_bytes;
		out->rev_packets += v[cpu].rev_packets;
		out->rev_bytes += v[cpu].rev_bytes;
		out->new_flows += v[cpu].new_flows;
		out->no_backend += v[cpu].no_backend;
	}
out:
	free(v);
	return err;
}

int shunt_stats_service(struct shunt *s, __u32 svc_id,
			struct shunt_traffic_stats *out)
{
	return traffic_sum(s->svc_stats_map, svc_id, out);
}

int shunt_stats_backend(struct shunt *s, __u32 backend_id,
			struct shunt_traffic_stats *out)
{
	return traffic_sum(s->backend_stats_map, backend_id, out);
}

int stats_reset(int map_fd, __u32 id)
{
	struct shunt_traffic_stats *zero = calloc(ncpus(), sizeof(*zero));
	int err;

	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(map_fd, &id, zero, BPF_ANY) ? -errno : 0;
	free(zero);
	return err;
}
