// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The node addresses NodePorts answer on (see nodeaddrs.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nodeaddrs.h"
#include "parse.h"
#include "vec.h"

static int parse_cidr(const char *s, struct shunt_cidr *c, char *err,
		      size_t errlen)
{
	char buf[64], *slash;
	__u32 plen;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash) {
		snprintf(err, errlen, "'%s': expected a CIDR or 'primary'", s);
		return -EINVAL;
	}
	*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (shunt_parse_ip(buf, &c->net, &c->family, NULL, 0) ||
	    shunt_parse_u32(slash + 1, 0, c->family == SHUNT_V4 ? 32 : 128,
			    &plen, NULL, 0)) {
		snprintf(err, errlen, "'%s': not a CIDR", s);
		return -EINVAL;
	}
	c->plen = plen;
	return 0;
}

int shunt_nodeport_addrs_parse(const char *list,
			       struct shunt_nodeport_addrs *out, char *err,
			       size_t errlen)
{
	char *copy = strdup(list ? list : ""), *tok, *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	for (tok = strtok_r(copy, ", ", &save); tok && !rc;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(tok, "primary")) {
			out->primary = true;
		} else if (out->n_cidrs == SHUNT_NODEPORT_CIDRS_MAX) {
			snprintf(err, errlen, "more than %d CIDRs",
				 SHUNT_NODEPORT_CIDRS_MAX);
			rc = -EINVAL;
		} else {
			rc = parse_cidr(tok, &out->cidrs[out->n_cidrs++], err,
					errlen);
		}
	}
	free(copy);
	return rc;
}

bool shunt_cidr_contains(const struct shunt_cidr *cidr,
			 const union shunt_ip *addr, __u8 family)
{
	__u8 bits = cidr->plen, i;

	if (cidr->family != family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (addr->bytes[i] != cidr->net.bytes[i])
			return false;
	return !bits ||
	       !((addr->bytes[i] ^ cidr->net.bytes[i]) & (0xff << (8 - bits)));
}

/* The source address this node uses towards a public address: its
 * default route's (no packet is sent). */
static int route_source(int af, struct shunt_node_addr *out)
{
	struct sockaddr_storage ss = {};
	socklen_t len = sizeof(ss);
	int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(53)};

	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	if (af == AF_INET ? connect(fd, (void *)&s4, sizeof(s4))
			  : connect(fd, (void *)&s6, sizeof(s6)))
		err = -errno;
	else if (getsockname(fd, (void *)&ss, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	if (af == AF_INET) {
		out->family = SHUNT_V4;
		memcpy(&out->addr.v4, &((struct sockaddr_in *)&ss)->sin_addr,
		       4);
	} else {
		out->family = SHUNT_V6;
		memcpy(out->addr.bytes,
		       &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
	return 0;
}

static bool same(const struct shunt_node_addr *a, const union shunt_ip *ip,
		 __u8 family)
{
	return a->family == family && !memcmp(&a->addr, ip, sizeof(*ip));
}

static bool selected(const struct shunt_nodeport_addrs *sel,
		     const struct shunt_node_addr *primary, size_t n_primary,
		     const union shunt_ip *ip, __u8 family)
{
	size_t i;

	if (!sel->primary && !sel->n_cidrs)
		return true;
	for (i = 0; i < sel->n_cidrs; i++)
		if (shunt_cidr_contains(&sel->cidrs[i], ip, family))
			return true;
	for (i = 0; sel->primary && i < n_primary; i++)
		if (same(&primary[i], ip, family))
			return true;
	return false;
}

static int addr_cmp(const void *a, const void *b)
{
	const struct shunt_node_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

/* An interface address as a node address, or false for loopback and
 * IPv6 link-local ones. */
static bool usable(const struct ifaddrs *i, struct shunt_node_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!i->ifa_addr)
		return false;
	if (i->ifa_addr->sa_family == AF_INET) {
		a->family = SHUNT_V4;
		memcpy(&a->addr.v4,
		       &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		return a->addr.bytes[0] != 127;
	}
	if (i->ifa_addr->sa_family != AF_INET6)
		return false;
	a->family = SHUNT_V6;
	memcpy(a->addr.bytes, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
	       16);
	return !IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a->addr.bytes) &&
	       !IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)a->addr.bytes);
}

int shunt_node_addrs_select(const struct shunt_nodeport_addrs *sel,
			    const struct shunt_node_addr *primary,
			    size_t n_primary, struct shunt_node_addr **out,
			    size_t *n)
{
	VEC(struct shunt_node_addr) v = {};
	struct shunt_node_addr routed[2], a;
	struct ifaddrs *ifa, *i;
	size_t k, cnt = 0;
	int err = 0;

	if (sel->primary && !primary) {
		n_primary = 0;
		if (!route_source(AF_INET, &routed[n_primary]))
			n_primary++;
		if (!route_source(AF_INET6, &routed[n_primary]))
			n_primary++;
		primary = routed;
	}
	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && !err; i = i->ifa_next)
		if (usable(i, &a) &&
		    selected(sel, primary, n_primary, &a.addr, a.family))
			err = vec_push(&v, a);
	freeifaddrs(ifa);
	if (err) {
		vec_free(&v);
		return err;
	}
	if (v.n)
		qsort(v.v, v.n, sizeof(*v.v), addr_cmp);
	for (k = 0; k < v.n; k++)
		if (!cnt || addr_cmp(&v.v[cnt - 1], &v.v[k]))
			v.v[cnt++] = v.v[k];
	*out = v.v ? v.v : calloc(1, sizeof(**out));
	*n = cnt;
	return *out ? 0 : -ENOMEM;
}
