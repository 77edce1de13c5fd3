// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parsing and formatting of operator input: addresses, endpoints, services
 * and numbers. Internal helpers work on (pointer, length) spans so that a
 * service string can be split without copying; only inet_pton needs a
 * NUL-terminated copy, and any address that does not fit one is invalid.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

#define PORT_RANGE "(1-65535)"
#define SVC_FORMS  "VIP:PORT/tcp or VIP:PORT/udp"

_Static_assert(SHUNT_ADDRSTRLEN >=
		       INET6_ADDRSTRLEN + sizeof("[]:65535/tcp") - 1,
	       "SHUNT_ADDRSTRLEN too small for an IPv6 service");

/* A parsed endpoint, committed to the caller's outputs only on success. */
struct endpoint {
	union shunt_ip ip;
	__be16 port;
	__u8 family;
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Length of a span as a printf precision for "%.*s". */
static int prec(size_t n)
{
	return n > INT_MAX ? INT_MAX : (int)n;
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* 0, -EINVAL if not only decimal digits, -ERANGE if above UINT32_MAX. */
static int parse_dec(const char *s, size_t n, __u32 *out)
{
	__u64 v = 0;
	size_t i;

	if (!all_digits(s, n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		v = v * 10 + (__u64)(s[i] - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*out = (__u32)v;
	return 0;
}

/* inet_pton on a span; on success *ip holds the address, rest zeroed. */
static bool pton(int af, const char *s, size_t n, union shunt_ip *ip)
{
	char buf[INET6_ADDRSTRLEN];
	union shunt_ip tmp;
	void *dst;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(&tmp, 0, sizeof(tmp));
	dst = af == AF_INET ? (void *)&tmp.v4 : (void *)tmp.bytes;
	if (inet_pton(af, buf, dst) != 1)
		return false;
	*ip = tmp;
	return true;
}

static bool to_addr(const char *s, size_t n, union shunt_ip *ip, __u8 *family)
{
	if (pton(AF_INET, s, n, ip)) {
		*family = SHUNT_V4;
		return true;
	}
	if (pton(AF_INET6, s, n, ip)) {
		*family = SHUNT_V6;
		return true;
	}
	return false;
}

static bool has_zone(const char *s, size_t n)
{
	return memchr(s, '%', n) != NULL;
}

/* Why the span s is not an address. */
static int addr_error(const char *s, size_t n, char *err, size_t errlen)
{
	if (has_zone(s, n))
		return fail(err, errlen,
			    "IPv6 zone ids are not supported: '%.*s'", prec(n),
			    s);
	return fail(err, errlen, "'%.*s' is not an IPv4 or IPv6 address",
		    prec(n), s);
}

static int parse_port(const char *s, size_t n, __be16 *port, char *err,
		      size_t errlen)
{
	__u32 v;
	int ret;

	ret = parse_dec(s, n, &v);
	if (ret == -EINVAL)
		return fail(err, errlen, "invalid port '%.*s' " PORT_RANGE,
			    prec(n), s);
	if (ret || v < 1 || v > 65535)
		return fail(err, errlen, "port %.*s out of range " PORT_RANGE,
			    prec(n), s);
	*port = htons((__u16)v);
	return 0;
}

/* s is "[HOST]..." */
static int parse_bracketed(const char *s, size_t n, struct endpoint *ep,
			   char *err, size_t errlen)
{
	const char *host = s + 1;
	const char *close = memchr(s, ']', n);
	const char *rest;
	size_t hlen, rlen;

	if (!close)
		return fail(err, errlen, "missing ']' in '%.*s'", prec(n), s);
	hlen = (size_t)(close - host);
	rest = close + 1;
	rlen = n - (size_t)(rest - s);
	if (!hlen)
		return fail(err, errlen, "missing address in '%.*s'", prec(n),
			    s);
	if (has_zone(host, hlen))
		return addr_error(host, hlen, err, errlen);
	if (pton(AF_INET, host, hlen, &ep->ip))
		return fail(err, errlen,
			    "IPv4 address must not be in brackets: %.*s%.*s",
			    prec(hlen), host, prec(rlen), rest);
	if (!pton(AF_INET6, host, hlen, &ep->ip))
		return fail(err, errlen, "'%.*s' is not an IPv6 address",
			    prec(hlen), host);
	if (rlen && rest[0] != ':')
		return fail(
			err, errlen,
			"unexpected '%.*s' after ']' (expected [IPV6]:PORT)",
			prec(rlen), rest);
	if (rlen <= 1)
		return fail(err, errlen,
			    "missing port in '%.*s' (expected [IPV6]:PORT)",
			    prec(n), s);
	ep->family = SHUNT_V6;
	return parse_port(rest + 1, rlen - 1, &ep->port, err, errlen);
}

/* s has two or more ':' and no brackets: an IPv6 address, or garbage. */
static int bare_v6_error(const char *s, size_t n, char *err, size_t errlen)
{
	const char *colon = memrchr(s, ':', n);
	size_t hlen = (size_t)(colon - s);
	size_t plen = n - hlen - 1;
	union shunt_ip ip;

	if (has_zone(s, n))
		return addr_error(s, n, err, errlen);
	if (all_digits(colon + 1, plen) && pton(AF_INET6, s, hlen, &ip))
		return fail(err, errlen,
			    "IPv6 address must be in brackets: [%.*s]:%.*s",
			    prec(hlen), s, prec(plen), colon + 1);
	if (pton(AF_INET6, s, n, &ip))
		return fail(err, errlen,
			    "IPv6 address must be in brackets: [%.*s]:PORT",
			    prec(n), s);
	return addr_error(s, n, err, errlen);
}

/* s has no ':' at all. */
static int no_port_error(const char *s, size_t n, char *err, size_t errlen)
{
	union shunt_ip ip;
	__u8 family;

	if (!to_addr(s, n, &ip, &family))
		return addr_error(s, n, err, errlen);
	return fail(err, errlen, "missing port in '%.*s' (expected IP:PORT)",
		    prec(n), s);
}

/* s is "IPV4:PORT", or an error. */
static int parse_plain(const char *s, size_t n, struct endpoint *ep, char *err,
		       size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	const char *port;
	size_t hlen, plen;

	if (!colon)
		return no_port_error(s, n, err, errlen);
	hlen = (size_t)(colon - s);
	port = colon + 1;
	plen = n - hlen - 1;
	if (memchr(port, ':', plen))
		return bare_v6_error(s, n, err, errlen);
	if (!hlen)
		return fail(err, errlen, "missing address in '%.*s'", prec(n),
			    s);
	if (!pton(AF_INET, s, hlen, &ep->ip))
		return addr_error(s, hlen, err, errlen);
	if (!plen)
		return fail(err, errlen,
			    "missing port in '%.*s' (expected IP:PORT)",
			    prec(n), s);
	ep->family = SHUNT_V4;
	return parse_port(port, plen, &ep->port, err, errlen);
}

static int parse_endpoint_span(const char *s, size_t n, struct endpoint *ep,
			       char *err, size_t errlen)
{
	memset(ep, 0, sizeof(*ep));
	if (!n)
		return fail(err, errlen, "missing address (expected IP:PORT)");
	if (s[0] == '[')
		return parse_bracketed(s, n, ep, err, errlen);
	return parse_plain(s, n, ep, err, errlen);
}

/* The NodePort wildcard "*:PORT" (IPv4) or "[*]:PORT" (IPv6): 0 when it
 * is one (ep filled), 1 when s is something else, -EINVAL for a bad port. */
static int parse_wildcard(const char *s, size_t n, struct endpoint *ep,
			  char *err, size_t errlen)
{
	size_t skip;

	memset(ep, 0, sizeof(*ep));
	if (n > 2 && !strncmp(s, "*:", 2)) {
		skip = 2;
		ep->family = SHUNT_V4;
	} else if (n > 4 && !strncmp(s, "[*]:", 4)) {
		skip = 4;
		ep->family = SHUNT_V6;
	} else {
		return 1;
	}
	return parse_port(s + skip, n - skip, &ep->port, err, errlen);
}

static int parse_proto(const char *s, size_t n, __u8 *proto, char *err,
		       size_t errlen)
{
	if (n == 3 && !strncasecmp(s, "tcp", 3)) {
		*proto = IPPROTO_TCP;
		return 0;
	}
	if (n == 3 && !strncasecmp(s, "udp", 3)) {
		*proto = IPPROTO_UDP;
		return 0;
	}
	return fail(err, errlen, "unknown protocol '%.*s' (tcp or udp)",
		    prec(n), s);
}

/* NULL if ip can be a service VIP, else what is wrong with it. */
static const char *vip_problem(const union shunt_ip *ip, __u8 family)
{
	struct in6_addr a6;
	__u32 a4;

	if (family == SHUNT_V6) {
		memcpy(&a6, ip->bytes, sizeof(a6));
		if (IN6_IS_ADDR_UNSPECIFIED(&a6))
			return "unspecified";
		if (IN6_IS_ADDR_MULTICAST(&a6))
			return "multicast";
		if (!IN6_IS_ADDR_V4MAPPED(&a6))
			return NULL;
		a4 = ntohl(ip->v6[3]);
	} else {
		a4 = ntohl(ip->v4);
	}
	if (a4 == INADDR_ANY)
		return "unspecified";
	if (IN_MULTICAST(a4))
		return "multicast";
	return NULL;
}

static int check_vip(const struct endpoint *ep, char *err, size_t errlen)
{
	const char *why = vip_problem(&ep->ip, ep->family);
	char buf[SHUNT_ADDRSTRLEN];

	if (!why)
		return 0;
	return fail(err, errlen, "%s address %s cannot be a service VIP", why,
		    shunt_format_ip(&ep->ip, ep->family, buf, sizeof(buf)));
}

int shunt_parse_ip(const char *s, union shunt_ip *ip, __u8 *family, char *err,
		   size_t errlen)
{
	size_t n = s ? strlen(s) : 0;
	union shunt_ip tmp;
	__u8 fam;

	if (!n)
		return fail(err, errlen, "missing address");
	if (s[0] == '[')
		return fail(
			err, errlen,
			"unexpected brackets in '%s' (give the address alone)",
			s);
	if (!to_addr(s, n, &tmp, &fam))
		return addr_error(s, n, err, errlen);
	*ip = tmp;
	*family = fam;
	return 0;
}

int shunt_parse_endpoint(const char *s, union shunt_ip *ip, __be16 *port,
			 __u8 *family, char *err, size_t errlen)
{
	struct endpoint ep;
	int ret;

	ret = parse_endpoint_span(s, s ? strlen(s) : 0, &ep, err, errlen);
	if (ret)
		return ret;
	*ip = ep.ip;
	*port = ep.port;
	*family = ep.family;
	return 0;
}

int shunt_parse_service(const char *s, struct shunt_frontend_key *key,
			char *err, size_t errlen)
{
	struct shunt_frontend_key k;
	struct endpoint ep;
	const char *slash;
	size_t n = s ? strlen(s) : 0;
	__u8 proto = 0;
	int ret;

	if (!n)
		return fail(err, errlen,
			    "missing service (expected " SVC_FORMS ")");
	/* The address part is checked first: its error is the useful one. */
	slash = strchrnul(s, '/');
	ret = parse_wildcard(s, (size_t)(slash - s), &ep, err, errlen);
	if (ret > 0) {
		ret = parse_endpoint_span(s, (size_t)(slash - s), &ep, err,
					  errlen);
		if (!ret)
			ret = check_vip(&ep, err, errlen);
	}
	if (ret)
		return ret;
	if (!*slash)
		return fail(err, errlen,
			    "missing protocol in '%s' (expected " SVC_FORMS ")",
			    s);
	if (!slash[1])
		return fail(err, errlen,
			    "missing protocol in '%s' (tcp or udp)", s);
	ret = parse_proto(slash + 1, strlen(slash + 1), &proto, err, errlen);
	if (ret)
		return ret;

	memset(&k, 0, sizeof(k));
	k.vip = ep.ip;
	k.port = ep.port;
	k.proto = proto;
	k.family = ep.family;
	memcpy(key, &k, sizeof(k));
	return 0;
}

int shunt_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out, char *err,
		    size_t errlen)
{
	size_t n = s ? strlen(s) : 0;
	__u32 v;
	int ret;

	if (!n)
		return fail(err, errlen, "missing number (expected %u-%u)", min,
			    max);
	ret = parse_dec(s, n, &v);
	if (ret == -EINVAL)
		return fail(err, errlen, "'%s' is not a decimal number (%u-%u)",
			    s, min, max);
	if (ret || v < min || v > max)
		return fail(err, errlen, "%s out of range (%u-%u)", s, min,
			    max);
	*out = v;
	return 0;
}

/* inet_ntop into tmp, or NULL for an unknown family. */
static const char *ntop(const union shunt_ip *ip, __u8 family,
			char tmp[INET6_ADDRSTRLEN])
{
	if (!ip)
		return NULL;
	if (family == SHUNT_V4)
		return inet_ntop(AF_INET, &ip->v4, tmp, INET6_ADDRSTRLEN);
	if (family == SHUNT_V6)
		return inet_ntop(AF_INET6, ip->bytes, tmp, INET6_ADDRSTRLEN);
	return NULL;
}

const char *shunt_format_ip(const union shunt_ip *ip, __u8 family, char *buf,
			    size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	const char *a = ntop(ip, family, tmp);

	if (!buf || !len)
		return "";
	snprintf(buf, len, "%s", a ? a : "?");
	return buf;
}

const char *shunt_format_endpoint(const union shunt_ip *ip, __be16 port,
				  __u8 family, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	const char *a = ntop(ip, family, tmp);

	if (!buf || !len)
		return "";
	snprintf(buf, len, family == SHUNT_V6 && a ? "[%s]:%u" : "%s:%u",
		 a ? a : "?", ntohs(port));
	return buf;
}

const char *shunt_format_service(const struct shunt_frontend_key *key,
				 char *buf, size_t len)
{
	char ep[SHUNT_ADDRSTRLEN];

	if (!buf || !len)
		return "";
	if (!key) {
		snprintf(buf, len, "?");
		return buf;
	}
	if (shunt_frontend_is_nodeport(key))
		snprintf(ep, sizeof(ep), "%s:%u",
			 key->family == SHUNT_V6 ? "[*]" : "*",
			 ntohs(key->port));
	else
		shunt_format_endpoint(&key->vip, key->port, key->family, ep,
				      sizeof(ep));
	snprintf(buf, len, "%s/%s", ep, shunt_proto_name(key->proto));
	return buf;
}

const char *shunt_proto_name(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return "?";
	}
}
