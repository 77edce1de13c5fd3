// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pod_cidr_map: this node's pod CIDRs (see podcidr.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapdump.h"
#include "podcidr.h"

static int key_of(struct shunt_pod_cidr_key *k, const struct shunt_cidr *c)
{
	__u8 bits = c->family == SHUNT_V4 ? 32 : 128;

	if ((c->family != SHUNT_V4 && c->family != SHUNT_V6) || c->plen > bits)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	k->prefixlen = 32 + c->plen;
	k->family = c->family;
	k->addr = c->net;
	return 0;
}

static void cidr_of(struct shunt_cidr *c, const struct shunt_pod_cidr_key *k)
{
	memset(c, 0, sizeof(*c));
	c->family = (__u8)k->family;
	c->plen = (__u8)(k->prefixlen - 32);
	c->net = k->addr;
}

int shunt_pod_cidrs_list(struct shunt *s, struct shunt_cidr **out, size_t *n)
{
	struct shunt_cidr *v;
	struct map_dump d;
	size_t i;
	int err;

	err = map_dump(s->pod_cidr_map, sizeof(struct shunt_pod_cidr_key),
		       sizeof(__u32), &d);
	if (err)
		return err;
	v = calloc(d.n + 1, sizeof(*v));
	if (!v) {
		map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++)
		cidr_of(&v[i], map_dump_key(&d, i));
	*out = v;
	*n = d.n;
	map_dump_free(&d);
	return 0;
}

static bool wanted(const struct shunt_pod_cidr_key *k,
		   const struct shunt_pod_cidr_key *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(k, &want[i], sizeof(*k)))
			return true;
	return false;
}

int shunt_pod_cidrs_set(struct shunt *s, const struct shunt_cidr *cidrs,
			size_t n)
{
	struct shunt_pod_cidr_key *want, k;
	struct shunt_cidr *cur;
	size_t ncur, i;
	__u32 one = 1;
	int err = 0;

	if (n > SHUNT_POD_CIDR_MAX)
		return -ENOSPC;
	want = calloc(n + 1, sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = key_of(&want[i], &cidrs[i]);
	if (!err)
		err = shunt_pod_cidrs_list(s, &cur, &ncur);
	if (err) {
		free(want);
		return err;
	}
	/* Gone ones first: the map never holds more than the maximum. */
	for (i = 0; i < ncur && !err; i++)
		if (!key_of(&k, &cur[i]) && !wanted(&k, want, n) &&
		    bpf_map_delete_elem(s->pod_cidr_map, &k) && errno != ENOENT)
			err = -errno;
	for (i = 0; i < n && !err; i++)
		if (bpf_map_update_elem(s->pod_cidr_map, &want[i], &one,
					BPF_ANY))
			err = errno == E2BIG ? -ENOSPC : -errno;
	free(cur);
	free(want);
	return err;
}
