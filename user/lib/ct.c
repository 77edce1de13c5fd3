// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Listing and flushing conntrack entries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "ct.h"
#include "mapdump.h"

const char *shunt_ct_state_name(__u8 state)
{
	static const char *const names[SHUNT_CT_STATE_MAX] = {
		[SHUNT_CT_SYN_SENT] = "SYN_SENT",
		[SHUNT_CT_ESTABLISHED] = "ESTABLISHED",
		[SHUNT_CT_FIN_WAIT] = "FIN_WAIT",
		[SHUNT_CT_CLOSE_WAIT] = "CLOSE_WAIT",
		[SHUNT_CT_TIME_WAIT] = "TIME_WAIT",
		[SHUNT_CT_CLOSE] = "CLOSE",
		[SHUNT_CT_UDP] = "UDP",
	};

	return state < SHUNT_CT_STATE_MAX && names[state] ? names[state]
							  : "UNKNOWN";
}

/* bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC_COARSE. */
__u32 shunt_ct_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static int ct_cmp(const void *a, const void *b)
{
	const struct shunt_ct_info *x = a, *y = b;

	if (x->key.dir != y->key.dir)
		return x->key.dir - y->key.dir;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

int shunt_ct_list(struct shunt *s, struct shunt_ct_info **out, size_t *n)
{
	struct shunt_ct_info *v;
	struct map_dump d;
	size_t i;
	int err;

	err = map_dump(s->ct_map, sizeof(v->key), sizeof(v->e), &d);
	if (err)
		return err;
	v = calloc(d.n ? d.n : 1, sizeof(*v));
	if (!v) {
		map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++) {
		memcpy(&v[i].key, map_dump_key(&d, i), sizeof(v->key));
		memcpy(&v[i].e, map_dump_val(&d, i), sizeof(v->e));
	}
	*n = d.n;
	map_dump_free(&d);
	qsort(v, *n, sizeof(*v), ct_cmp);
	*out = v;
	return 0;
}

/* Delete entries of svc_id, or all when svc_id is 0. */
static int ct_delete(struct shunt *s, __u32 svc_id, size_t *deleted)
{
	struct shunt_ct_info *v;
	size_t n, i, cnt = 0;
	int err;

	err = shunt_ct_list(s, &v, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (svc_id && v[i].e.svc_id != svc_id)
			continue;
		if (bpf_map_delete_elem(s->ct_map, &v[i].key) == 0)
			cnt++;
	}
	free(v);
	if (deleted)
		*deleted = cnt;
	return 0;
}

int shunt_ct_flush(struct shunt *s, size_t *deleted)
{
	return ct_delete(s, 0, deleted);
}

int shunt_ct_flush_service(struct shunt *s, __u32 svc_id)
{
	return ct_delete(s, svc_id, NULL);
}
