// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* node_addr_map: where NodePort frontends answer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapdump.h"
#include "nodeaddr.h"

static void key_of(struct shunt_node_addr *k, const union shunt_ip *addr,
		   __u8 family)
{
	memset(k, 0, sizeof(*k));
	k->addr = *addr;
	k->family = family;
}

int shunt_node_addr_add(struct shunt *s, const union shunt_ip *addr,
			__u8 family)
{
	struct shunt_node_addr k;
	__u32 one = 1;

	if (family != SHUNT_V4 && family != SHUNT_V6)
		return -EINVAL;
	key_of(&k, addr, family);
	if (bpf_map_update_elem(s->node_addr_map, &k, &one, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int shunt_node_addr_del(struct shunt *s, const union shunt_ip *addr,
			__u8 family)
{
	struct shunt_node_addr k;

	key_of(&k, addr, family);
	return bpf_map_delete_elem(s->node_addr_map, &k) ? -errno : 0;
}

static int addr_cmp(const void *a, const void *b)
{
	const struct shunt_node_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

int shunt_node_addr_list(struct shunt *s, struct shunt_node_addr **out,
			 size_t *n)
{
	struct shunt_node_addr *v;
	struct map_dump d;
	size_t i;
	int err;

	err = map_dump(s->node_addr_map, sizeof(*v), sizeof(__u32), &d);
	if (err)
		return err;
	v = calloc(d.n + 1, sizeof(*v));
	if (!v) {
		map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++)
		memcpy(&v[i], map_dump_key(&d, i), sizeof(*v));
	qsort(v, d.n, sizeof(*v), addr_cmp);
	*out = v;
	*n = d.n;
	map_dump_free(&d);
	return 0;
}

int shunt_node_addr_sync(struct shunt *s, const struct shunt_node_addr *want,
			 size_t n)
{
	struct shunt_node_addr *cur;
	size_t ncur, i;
	int err;

	err = shunt_node_addr_list(s, &cur, &ncur);
	if (err)
		return err;
	/* The ones that went first: a nearly full map takes the new. */
	for (i = 0; !err && i < ncur; i++) {
		size_t j;

		for (j = 0; j < n && addr_cmp(&cur[i], &want[j]); j++)
			;
		if (j == n)
			err = shunt_node_addr_del(s, &cur[i].addr,
						  cur[i].family);
	}
	for (i = 0; !err && i < n; i++)
		err = shunt_node_addr_add(s, &want[i].addr, want[i].family);
	free(cur);
	return err;
}
