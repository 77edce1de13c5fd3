// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Listing and flushing conntrack entries. */
#include <errno.h>
#include <stddef.h>
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
	int err;

	err = map_dump_records(s->ct_map, sizeof(struct shunt_ct_key),
			       sizeof(struct shunt_ct_entry), sizeof(**out),
			       offsetof(struct shunt_ct_info, key),
			       offsetof(struct shunt_ct_info, e), (void **)out,
			       n);
	if (!err)
		qsort(*out, *n, sizeof(**out), ct_cmp);
	return err;
}

int shunt_ct_flush(struct shunt *s, size_t *deleted)
{
	struct shunt_ct_info *v;
	size_t n, i, cnt = 0;
	int err;

	err = shunt_ct_list(s, &v, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (bpf_map_delete_elem(s->ct_map, &v[i].key) == 0)
			cnt++;
	}
	free(v);
	if (deleted)
		*deleted = cnt;
	return 0;
}
