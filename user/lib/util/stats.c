// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-CPU counters, summed over every possible CPU. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdbool.h>

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

static void add(struct shunt_traffic_stats *t,
		const struct shunt_traffic_stats *v)
{
	t->fwd_packets += v->fwd_packets;
	t->fwd_bytes += v->fwd_bytes;
	t->rev_packets += v->rev_packets;
	t->rev_bytes += v->rev_bytes;
	t->new_flows += v->new_flows;
	t->no_backend += v->no_backend;
}

#define DUMP_CHUNK 4096

int shunt_stats_dump(int fd, struct shunt_traffic_stats **out, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct bpf_map_info info = {};
	struct shunt_traffic_stats *sum, *v;
	__u32 len = sizeof(info), in, next, count, *keys, i;
	int cpus = ncpus(), cpu, err = 0;
	bool first = true;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	sum = calloc(info.max_entries + 1, sizeof(*sum));
	v = calloc((size_t)DUMP_CHUNK * cpus, sizeof(*v));
	keys = calloc(DUMP_CHUNK, sizeof(*keys));
	if (!sum || !v || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = DUMP_CHUNK;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &next, keys,
					   v, &count, &opts)
			      ? -errno
			      : 0;
		for (i = 0; i < count; i++)
			for (cpu = 0; cpu < cpus && keys[i] < info.max_entries;
			     cpu++)
				add(&sum[keys[i]], &v[(size_t)i * cpus + cpu]);
		if (err)
			break;
		in = next;
		first = false;
	}
	if (err == -ENOENT)
		err = 0;
out:
	free(v);
	free(keys);
	if (err) {
		free(sum);
		return err;
	}
	*out = sum;
	*n = info.max_entries;
	return 0;
}
