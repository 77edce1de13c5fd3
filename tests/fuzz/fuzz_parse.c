// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the operator-input parsers of user/lib/parse.h:
 * shunt_parse_ip, shunt_parse_endpoint, shunt_parse_service and
 * shunt_parse_u32, on the input as a string (up to its first NUL).
 *
 * Checked, besides ASan/UBSan: the documented contract (0 or -EINVAL; on
 * failure a NUL-terminated reason without a newline, truncated to
 * errlen, and every output untouched; the same answer whatever errlen,
 * err NULL included); round trips (what parses formats, within
 * SHUNT_ADDRSTRLEN, and parses back to the same value); and a reference
 * model for the number and address grammars.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define BAD(...)                                                               \
	do {                                                                   \
		fprintf(stderr, "fuzz_parse: " __VA_ARGS__);                   \
		fprintf(stderr, "\n  input: \"%s\"\n", cur_input);             \
		abort();                                                       \
	} while (0)

static const char *cur_input;

/* A reason: NUL-terminated within errlen, not empty, and no newline of
 * its own (reasons quote the input, which may have some). */
static void check_err(const char *what, const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n == errlen)
		BAD("%s: err not NUL-terminated within %zu bytes", what,
		    errlen);
	if (errlen > 1 && !n)
		BAD("%s: empty reason", what);
	if (!strchr(cur_input, '\n') && strchr(err, '\n'))
		BAD("%s: reason has a newline: %s", what, err);
}

/* Every failing parse: the reason with a large, a tiny and no buffer. */
#define ERR_SIZES(X) X(256) X(5) X(1)

static void check_ip(const char *s)
{
	union shunt_ip ip, ip2, sentinel;
	__u8 fam = 0xee, fam2 = 0xee;
	char err[256], buf[SHUNT_ADDRSTRLEN];
	int rc, want;
	struct in6_addr a6;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	ip = sentinel;
	rc = shunt_parse_ip(s, &ip, &fam, err, sizeof(err));
	/* Reference: inet_pton of either family, no brackets. */
	want = *s && s[0] != '[' &&
	       (inet_pton(AF_INET, s, &a6) == 1 ||
		inet_pton(AF_INET6, s, &a6) == 1);
	if (rc != 0 && rc != -EINVAL)
		BAD("parse_ip returned %d", rc);
	if ((rc == 0) != want)
		BAD("parse_ip says %d, inet_pton says %d", rc, want);
	if (rc) {
		check_err("parse_ip", err, sizeof(err));
		if (memcmp(&ip, &sentinel, sizeof(ip)) || fam != 0xee)
			BAD("parse_ip failed but wrote its outputs");
#define X(n)                                                                   \
	{                                                                      \
		char e[n];                                                     \
		memset(e, 'x', sizeof(e));                                     \
		if (shunt_parse_ip(s, &ip, &fam, e, sizeof(e)) != rc)          \
			BAD("parse_ip: other answer with errlen %d", n);       \
		check_err("parse_ip", e, sizeof(e));                           \
	}
		ERR_SIZES(X)
#undef X
		if (shunt_parse_ip(s, &ip, &fam, NULL, 0) != rc)
			BAD("parse_ip: other answer with err NULL");
		return;
	}
	if (fam != SHUNT_V4 && fam != SHUNT_V6)
		BAD("parse_ip: family %u", fam);
	if (fam == SHUNT_V4 && (ip.v6[1] || ip.v6[2] || ip.v6[3]))
		BAD("parse_ip: IPv4 address with nonzero tail");
	shunt_format_ip(&ip, fam, buf, sizeof(buf));
	if (strnlen(buf, sizeof(buf)) >= sizeof(buf) - 1)
		BAD("format_ip filled its buffer: %s", buf);
	memset(&ip2, 0x5a, sizeof(ip2));
	if (shunt_parse_ip(buf, &ip2, &fam2, err, sizeof(err)))
		BAD("'%s' does not parse back: %s", buf, err);
	if (fam2 != fam || memcmp(&ip, &ip2, sizeof(ip)))
		BAD("'%s' parses back to another address", buf);
}

static void check_endpoint(const char *s)
{
	union shunt_ip ip, ip2, sentinel;
	__be16 port = 0xeeee, port2;
	__u8 fam = 0xee, fam2;
	char err[256], buf[SHUNT_ADDRSTRLEN];
	int rc;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	ip = sentinel;
	rc = shunt_parse_endpoint(s, &ip, &port, &fam, err, sizeof(err));
	if (rc != 0 && rc != -EINVAL)
		BAD("parse_endpoint returned %d", rc);
	if (rc) {
		check_err("parse_endpoint", err, sizeof(err));
		if (memcmp(&ip, &sentinel, sizeof(ip)) || port != 0xeeee ||
		    fam != 0xee)
			BAD("parse_endpoint failed but wrote its outputs");
#define X(n)                                                                   \
	{                                                                      \
		char e[n];                                                     \
		memset(e, 'x', sizeof(e));                                     \
		if (shunt_parse_endpoint(s, &ip, &port, &fam, e, sizeof(e)) != \
		    rc)                                                        \
			BAD("parse_endpoint: other answer with errlen %d", n); \
		check_err("parse_endpoint", e, sizeof(e));                     \
	}
		ERR_SIZES(X)
#undef X
		if (shunt_parse_endpoint(s, &ip, &port, &fam, NULL, 0) != rc)
			BAD("parse_endpoint: other answer with err NULL");
		return;
	}
	if (fam != SHUNT_V4 && fam != SHUNT_V6)
		BAD("parse_endpoint: family %u", fam);
	if (!port)
		BAD("parse_endpoint: port 0");
	/* Same address as shunt_parse_ip on the host part. */
	{
		char host[SHUNT_ADDRSTRLEN];
		const char *h = s, *end = strrchr(s, ':');
		size_t n;

		if (*h == '[') {
			h++;
			end = strchr(h, ']');
		}
		n = end ? (size_t)(end - h) : 0;
		if (!end || n >= sizeof(host))
			BAD("parse_endpoint accepted an odd host part");
		memcpy(host, h, n);
		host[n] = '\0';
		if (shunt_parse_ip(host, &ip2, &fam2, NULL, 0) || fam2 != fam ||
		    memcmp(&ip2, &ip, sizeof(ip)))
			BAD("parse_endpoint's address is not parse_ip's "
			    "('%s')",
			    host);
	}
	shunt_format_endpoint(&ip, port, fam, buf, sizeof(buf));
	if (strnlen(buf, sizeof(buf)) >= sizeof(buf) - 1)
		BAD("format_endpoint filled its buffer: %s", buf);
	if (shunt_parse_endpoint(buf, &ip2, &port2, &fam2, err, sizeof(err)))
		BAD("'%s' does not parse back: %s", buf, err);
	if (fam2 != fam || port2 != port || memcmp(&ip, &ip2, sizeof(ip)))
		BAD("'%s' parses back to another endpoint", buf);
}

static void check_service(const char *s)
{
	struct shunt_frontend_key key, key2, sentinel;
	char err[256], buf[SHUNT_ADDRSTRLEN], small[7];
	struct in6_addr a6;
	int rc;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	key = sentinel;
	rc = shunt_parse_service(s, &key, err, sizeof(err));
	if (rc != 0 && rc != -EINVAL)
		BAD("parse_service returned %d", rc);
	if (rc) {
		check_err("parse_service", err, sizeof(err));
		if (memcmp(&key, &sentinel, sizeof(key)))
			BAD("parse_service failed but wrote its output");
#define X(n)                                                                   \
	{                                                                      \
		char e[n];                                                     \
		memset(e, 'x', sizeof(e));                                     \
		if (shunt_parse_service(s, &key, e, sizeof(e)) != rc)          \
			BAD("parse_service: other answer with errlen %d", n);  \
		check_err("parse_service", e, sizeof(e));                      \
	}
		ERR_SIZES(X)
#undef X
		if (shunt_parse_service(s, &key, NULL, 0) != rc)
			BAD("parse_service: other answer with err NULL");
		return;
	}
	if ((key.family != SHUNT_V4 && key.family != SHUNT_V6) || !key.port ||
	    (key.proto != IPPROTO_TCP && key.proto != IPPROTO_UDP))
		BAD("parse_service: bad key (family %u, port %u, proto %u)",
		    key.family, ntohs(key.port), key.proto);
	if (key.family == SHUNT_V4 &&
	    (key.vip.v6[1] || key.vip.v6[2] || key.vip.v6[3]))
		BAD("parse_service: IPv4 VIP with nonzero tail");
	/* Unspecified and multicast VIPs are refused; a zero VIP is the
	 * NodePort wildcard, written "*:PORT" or "[*]:PORT". */
	if (shunt_frontend_is_nodeport(&key)) {
		if (strncmp(s, "*:", 2) && strncmp(s, "[*]:", 4))
			BAD("parse_service: wildcard from '%s'", s);
	} else if (key.family == SHUNT_V4) {
		__u32 a = ntohl(key.vip.v4);

		if (!a || (a >> 28) == 0xe)
			BAD("parse_service accepted VIP %08x", a);
	} else {
		memcpy(&a6, key.vip.bytes, 16);
		if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_MULTICAST(&a6))
			BAD("parse_service accepted an unspecified or "
			    "multicast VIP");
	}
	shunt_format_service(&key, buf, sizeof(buf));
	if (strnlen(buf, sizeof(buf)) >= sizeof(buf) - 1)
		BAD("format_service filled its buffer: %s", buf);
	memset(&key2, 0x5a, sizeof(key2));
	if (shunt_parse_service(buf, &key2, err, sizeof(err)))
		BAD("'%s' does not parse back: %s", buf, err);
	if (memcmp(&key, &key2, sizeof(key)))
		BAD("'%s' parses back to another key (padding included)", buf);
	/* Truncation keeps a NUL. */
	memset(small, 'x', sizeof(small));
	shunt_format_service(&key, small, sizeof(small));
	if (strnlen(small, sizeof(small)) != sizeof(small) - 1)
		BAD("format_service into %zu bytes: not truncated with a NUL",
		    sizeof(small));
}

/* Reference model of shunt_parse_u32: digits only, in range. */
static int ref_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v = 0;
	size_t i;

	if (!*s)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 0xffffffffULL)
			return -EINVAL;
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

static void check_u32(const char *s, __u32 min, __u32 max)
{
	__u32 v = 0xdeadbeef, want = 0, v2;
	char err[256], buf[16];
	int rc, ref;

	rc = shunt_parse_u32(s, min, max, &v, err, sizeof(err));
	ref = ref_u32(s, min, max, &want);
	if (rc != ref)
		BAD("parse_u32(%u..%u) returned %d, reference %d", min, max, rc,
		    ref);
	if (rc) {
		check_err("parse_u32", err, sizeof(err));
		if (v != 0xdeadbeef)
			BAD("parse_u32 failed but wrote its output");
		if (shunt_parse_u32(s, min, max, &v, NULL, 0) != rc)
			BAD("parse_u32: other answer with err NULL");
		return;
	}
	if (v != want)
		BAD("parse_u32 gave %u, reference %u", v, want);
	snprintf(buf, sizeof(buf), "%u", v);
	if (shunt_parse_u32(buf, min, max, &v2, NULL, 0) || v2 != v)
		BAD("'%s' does not parse back", buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	__u32 a = 0, b = 0;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	cur_input = s;
	check_ip(s);
	check_endpoint(s);
	check_service(s);
	check_u32(s, 0, UINT32_MAX);
	check_u32(s, 1, 65535);
	/* Bounds from the input's first bytes, for the range checks. */
	if (size >= 8) {
		memcpy(&a, data, 4);
		memcpy(&b, data + 4, 4);
		check_u32(s, a < b ? a : b, a < b ? b : a);
		check_u32(s + 8 <= s + strlen(s) ? s + 8 : "", a < b ? a : b,
			  a < b ? b : a);
	}
	free(s);
	return 0;
}
