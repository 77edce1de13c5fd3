// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Table usage against capacity (usage.h). */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "model.h"
#include "usage.h"

/* Keys of ct_map, counted in batches (values are not copied out). */
static int ct_count(int fd, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	static struct shunt_ct_key keys[4096];
	static struct shunt_ct_entry vals[4096];
	struct shunt_ct_key in, out;
	bool first = true;
	__u32 count;
	int err;

	*n = 0;
	for (;;) {
		count = 4096;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					   vals, &count, &opts)
			      ? -errno
			      : 0;
		*n += count;
		if (err)
			return err == -ENOENT ? 0 : err;
		in = out;
		first = false;
	}
}

int shunt_usage_read(struct shunt *s, bool with_ct, struct shunt_usage *u)
{
	struct shunt_model *m;
	int err;

	memset(u, 0, sizeof(*u));
	err = model_get(s, &m);
	if (err)
		return err;
	u->cap = m->cap;
	u->services = m->n_svcs;
	u->frontends = m->n_frontends;
	u->backends = m->n_backends;
	u->src_ranges = m->n_ranges;
	if (with_ct) {
		err = ct_count(s->ct_map, &u->ct_entries);
		u->have_ct = !err;
	}
	return err;
}
