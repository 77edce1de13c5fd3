/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Parsing and formatting of what operators type to shuntctl: addresses,
 * IP:PORT endpoints, VIP:PORT/PROTO services and bounded numbers.
 *
 * Every parse function returns 0 on success. On bad input it returns
 * -EINVAL, writes a short reason to err (no trailing newline, truncated
 * to errlen; err may be NULL) and leaves every output untouched.
 *
 * Every format function returns buf, always NUL-terminated when len > 0
 * (truncated if buf is too small; SHUNT_ADDRSTRLEN is always enough).
 */
#ifndef SHUNT_PARSE_H
#define SHUNT_PARSE_H

#include <stddef.h>
#include <linux/types.h>
#include <shunt/abi.h>

/* Enough for any formatted address, endpoint or service, with its NUL. */
#define SHUNT_ADDRSTRLEN 64

/* A bare IPv4 or IPv6 address: "10.0.0.1", "2001:db8::1". */
int shunt_parse_ip(const char *s, union shunt_ip *ip, __u8 *family, char *err,
		   size_t errlen);

/* "IP:PORT" or "[IPV6]:PORT"; port 1..65535, stored in network order. */
int shunt_parse_endpoint(const char *s, union shunt_ip *ip, __be16 *port,
			 __u8 *family, char *err, size_t errlen);

/*
 * "VIP:PORT/PROTO", proto tcp or udp (case-insensitive), e.g.
 * 10.96.0.10:80/tcp, [2001:db8::1]:53/udp; "*:PORT/PROTO" and
 * "[*]:PORT/PROTO" are the NodePort wildcards (every node address, IPv4
 * or IPv6). On success the whole key, padding included, is zeroed before
 * it is filled. Unspecified and multicast VIPs are rejected.
 */
int shunt_parse_service(const char *s, struct shunt_frontend_key *key,
			char *err, size_t errlen);

/* Decimal only: no sign, no spaces, no trailing junk; min..max inclusive. */
int shunt_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out, char *err,
		    size_t errlen);

/* "10.0.0.1", "2001:db8::1"; "?" for an unknown family. */
const char *shunt_format_ip(const union shunt_ip *ip, __u8 family, char *buf,
			    size_t len);

/* "10.0.0.1:80", "[2001:db8::1]:80"; port in network order. */
const char *shunt_format_endpoint(const union shunt_ip *ip, __be16 port,
				  __u8 family, char *buf, size_t len);

/* Is key the NodePort wildcard of its family (a zero VIP)? */
static inline int shunt_frontend_is_nodeport(const struct shunt_frontend_key *k)
{
	return (k->family == SHUNT_V4 || k->family == SHUNT_V6) &&
	       !(k->vip.v6[0] | k->vip.v6[1] | k->vip.v6[2] | k->vip.v6[3]);
}

/* "10.96.0.10:80/tcp", "[2001:db8::1]:53/udp", "*:30080/tcp". */
const char *shunt_format_service(const struct shunt_frontend_key *key,
				 char *buf, size_t len);

/* "tcp", "udp", or "?" for any other protocol number. */
const char *shunt_proto_name(__u8 proto);

#endif /* SHUNT_PARSE_H */
