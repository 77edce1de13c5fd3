// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* loadBalancerSourceRanges CIDRs: parsing, order and map keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "parse.h"

static __u8 max_prefix(__u8 family)
{
	return family == SHUNT_V4 ? 32 : 128;
}

static void clear_host_bits(union shunt_ip *a, __u8 family, __u8 plen)
{
	unsigned int i, n = family == SHUNT_V4 ? 4 : 16;

	for (i = 0; i < n; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			a->bytes[i] = 0;
		else
			a->bytes[i] &= (__u8)(0xff << (8 - (plen - 8 * i)));
	}
}

int shunt_src_range_parse(const char *s, struct shunt_src_range *out, char *err,
			  size_t errlen)
{
	char addr[SHUNT_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	struct shunt_src_range r = {};
	__u32 plen;
	char *end;

	if (!slash || (size_t)(slash - s) >= sizeof(addr)) {
		snprintf(err, errlen, "'%s' is not a CIDR (ADDRESS/LENGTH)",
			 s ? s : "");
		return -EINVAL;
	}
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (shunt_parse_ip(addr, &r.addr, &r.family, err, errlen))
		return -EINVAL;
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || slash[1] == '-' || slash[1] == '+' ||
	    plen > max_prefix(r.family)) {
		snprintf(err, errlen, "bad prefix length in CIDR '%s'", s);
		return -EINVAL;
	}
	r.prefixlen = plen;
	clear_host_bits(&r.addr, r.family, r.prefixlen);
	*out = r;
	return 0;
}

const char *shunt_src_range_format(const struct shunt_src_range *r, char *buf,
				   size_t len)
{
	char a[SHUNT_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u",
		 shunt_format_ip(&r->addr, r->family, a, sizeof(a)),
		 r->prefixlen);
	return buf;
}

int shunt_src_range_cmp(const struct shunt_src_range *a,
			const struct shunt_src_range *b)
{
	return memcmp(a, b, sizeof(*a));
}

static int cmp_range(const void *a, const void *b)
{
	return shunt_src_range_cmp(a, b);
}

void shunt_src_ranges_normalize(struct shunt_src_range *r, size_t *n)
{
	size_t i, k = 0;

	if (!*n)
		return;
	qsort(r, *n, sizeof(*r), cmp_range);
	for (i = 1; i < *n; i++)
		if (shunt_src_range_cmp(&r[k], &r[i]))
			r[++k] = r[i];
	*n = k + 1;
}

bool shunt_src_range_valid(const struct shunt_src_range *r)
{
	union shunt_ip masked = r->addr;

	if (r->family != SHUNT_V4 && r->family != SHUNT_V6)
		return false;
	if (r->prefixlen > max_prefix(r->family) || r->pad[0] || r->pad[1])
		return false;
	if (r->family == SHUNT_V4 &&
	    memcmp(&r->addr.bytes[4], &(union shunt_ip){}.bytes[4], 12))
		return false;
	clear_host_bits(&masked, r->family, r->prefixlen);
	return !memcmp(&masked, &r->addr, sizeof(masked));
}

void shunt_src_range_key(__u32 svc_id, const struct shunt_src_range *r,
			 struct shunt_src_range_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = SHUNT_SRC_RANGE_BASE + r->prefixlen;
	k->svc_id = svc_id;
	k->family = r->family;
	k->addr = r->addr;
}

bool shunt_src_range_of_key(const struct shunt_src_range_key *k,
			    struct shunt_src_range *r)
{
	if (k->prefixlen < SHUNT_SRC_RANGE_BASE ||
	    k->prefixlen - SHUNT_SRC_RANGE_BASE > 128)
		return false;
	memset(r, 0, sizeof(*r));
	r->addr = k->addr;
	r->family = k->family;
	r->prefixlen = k->prefixlen - SHUNT_SRC_RANGE_BASE;
	return shunt_src_range_valid(r);
}

int shunt_service_src_ranges(struct shunt *s, __u32 svc_id,
			     struct shunt_src_range **out, size_t *n)
{
	struct shunt_model *m;
	struct model_svc *svc;
	int err = model_get(s, &m);

	if (err)
		return err;
	svc = svc_id && svc_id <= m->cap.services ? m->svcs[svc_id] : NULL;
	if (!svc)
		return -ENOENT;
	*out = malloc((svc->n_ranges ? svc->n_ranges : 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (svc->n_ranges)
		memcpy(*out, svc->ranges, svc->n_ranges * sizeof(**out));
	*n = svc->n_ranges;
	return 0;
}
