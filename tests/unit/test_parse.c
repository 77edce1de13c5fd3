// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for user/lib/parse.c: what shuntctl accepts and rejects, the
 * exact reasons it gives, and parse -> format -> parse round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "parse.h"

#define ERRLEN 256
#define POISON 0xa5

/* The expected bytes of an address, built with inet_pton. */
static union shunt_ip addr(int af, const char *s)
{
	union shunt_ip ip;

	memset(&ip, 0, sizeof(ip));
	assert_int_equal(
		inet_pton(af, s,
			  af == AF_INET ? (void *)&ip.v4 : (void *)ip.bytes),
		1);
	return ip;
}

static void assert_err_text(const char *err, const char *want)
{
	assert_true(err[0] != '\0');
	assert_null(strchr(err, '\n'));
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

/* --- shunt_parse_ip --------------------------------------------------- */

static void ip_ok(const char *s, int af, const char *canon)
{
	char err[ERRLEN] = "";
	union shunt_ip ip, want = addr(af, canon);
	__u8 family = 0;

	memset(&ip, 0xff, sizeof(ip));
	assert_int_equal(shunt_parse_ip(s, &ip, &family, err, sizeof(err)), 0);
	assert_int_equal(family, af == AF_INET ? SHUNT_V4 : SHUNT_V6);
	assert_memory_equal(&ip, &want, sizeof(ip));
}

static void ip_bad(const char *s, const char *want)
{
	char err[ERRLEN] = "";
	union shunt_ip ip, orig;
	__u8 family = POISON;

	memset(&ip, POISON, sizeof(ip));
	orig = ip;
	assert_int_equal(shunt_parse_ip(s, &ip, &family, err, sizeof(err)),
			 -EINVAL);
	assert_memory_equal(&ip, &orig, sizeof(ip));
	assert_int_equal(family, POISON);
	assert_err_text(err, want);
}

static void test_ip_accept(void **state)
{
	(void)state;
	ip_ok("10.0.0.1", AF_INET, "10.0.0.1");
	ip_ok("0.0.0.0", AF_INET, "0.0.0.0");
	ip_ok("255.255.255.255", AF_INET, "255.255.255.255");
	ip_ok("::1", AF_INET6, "::1");
	ip_ok("::", AF_INET6, "::");
	ip_ok("2001:db8::1", AF_INET6, "2001:db8::1");
	ip_ok("2001:DB8:0:0:0:0:0:1", AF_INET6, "2001:db8::1");
	ip_ok("::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1");
}

static void test_ip_v4_zeroes_rest(void **state)
{
	char err[ERRLEN];
	union shunt_ip ip;
	__u8 family;
	int i;

	(void)state;
	memset(&ip, 0xff, sizeof(ip));
	assert_int_equal(
		shunt_parse_ip("192.0.2.7", &ip, &family, err, sizeof(err)), 0);
	assert_int_equal(ip.v4, htonl(0xc0000207));
	for (i = 4; i < 16; i++)
		assert_int_equal(ip.bytes[i], 0);
}

static void test_ip_reject(void **state)
{
	(void)state;
	ip_bad("", "missing address");
	ip_bad(NULL, "missing address");
	ip_bad("10.0.0.300", "'10.0.0.300' is not an IPv4 or IPv6 address");
	ip_bad("10.0.0", "is not an IPv4 or IPv6 address");
	ip_bad("1.2.3.4.5", "is not an IPv4 or IPv6 address");
	ip_bad("010.0.0.1", "is not an IPv4 or IPv6 address");
	ip_bad("0x0a.0.0.1", "is not an IPv4 or IPv6 address");
	ip_bad(" 10.0.0.1", "is not an IPv4 or IPv6 address");
	ip_bad("10.0.0.1 ", "is not an IPv4 or IPv6 address");
	ip_bad("10.0.0.1x", "is not an IPv4 or IPv6 address");
	ip_bad("10.0.0.1:80", "is not an IPv4 or IPv6 address");
	ip_bad("host.example", "is not an IPv4 or IPv6 address");
	ip_bad("1::2::3", "is not an IPv4 or IPv6 address");
	ip_bad("fe80::1%eth0",
	       "IPv6 zone ids are not supported: 'fe80::1%eth0'");
	ip_bad("[::1]", "unexpected brackets");
}

/* --- shunt_parse_endpoint --------------------------------------------- */

static void ep_ok(const char *s, int af, const char *canon, __u16 port)
{
	char err[ERRLEN] = "";
	union shunt_ip ip, want = addr(af, canon);
	__be16 p = 0;
	__u8 family = 0;

	memset(&ip, 0xff, sizeof(ip));
	assert_int_equal(
		shunt_parse_endpoint(s, &ip, &p, &family, err, sizeof(err)), 0);
	assert_int_equal(family, af == AF_INET ? SHUNT_V4 : SHUNT_V6);
	assert_memory_equal(&ip, &want, sizeof(ip));
	assert_int_equal(p, htons(port));
}

static void ep_bad(const char *s, const char *want)
{
	char err[ERRLEN] = "";
	union shunt_ip ip, orig;
	__be16 port = 0xa5a5;
	__u8 family = POISON;

	memset(&ip, POISON, sizeof(ip));
	orig = ip;
	assert_int_equal(
		shunt_parse_endpoint(s, &ip, &port, &family, err, sizeof(err)),
		-EINVAL);
	assert_memory_equal(&ip, &orig, sizeof(ip));
	assert_int_equal(port, 0xa5a5);
	assert_int_equal(family, POISON);
	assert_err_text(err, want);
}

static void test_endpoint_accept(void **state)
{
	(void)state;
	ep_ok("10.0.0.1:80", AF_INET, "10.0.0.1", 80);
	ep_ok("10.0.0.1:1", AF_INET, "10.0.0.1", 1);
	ep_ok("10.0.0.1:65535", AF_INET, "10.0.0.1", 65535);
	ep_ok("10.0.0.1:080", AF_INET, "10.0.0.1", 80);
	ep_ok("0.0.0.0:8080", AF_INET, "0.0.0.0", 8080);
	ep_ok("[2001:db8::1]:80", AF_INET6, "2001:db8::1", 80);
	ep_ok("[2001:DB8::1]:443", AF_INET6, "2001:db8::1", 443);
	ep_ok("[::1]:65535", AF_INET6, "::1", 65535);
	ep_ok("[::]:53", AF_INET6, "::", 53);
	/* IPv4-mapped IPv6 is accepted in brackets and stays IPv6. */
	ep_ok("[::ffff:10.0.0.1]:8080", AF_INET6, "::ffff:10.0.0.1", 8080);
}

static void test_endpoint_port_byte_order(void **state)
{
	char err[ERRLEN];
	union shunt_ip ip;
	__be16 port;
	__u8 family;
	__u8 *b = (__u8 *)&port;

	(void)state;
	assert_int_equal(shunt_parse_endpoint("10.0.0.1:258", &ip, &port,
					      &family, err, sizeof(err)),
			 0);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], 2);
}

static void test_endpoint_reject_port(void **state)
{
	(void)state;
	ep_bad("10.0.0.1", "missing port in '10.0.0.1'");
	ep_bad("10.0.0.1:", "missing port");
	ep_bad("10.0.0.1:0", "port 0 out of range (1-65535)");
	ep_bad("10.0.0.1:65536", "port 65536 out of range (1-65535)");
	ep_bad("10.0.0.1:70000", "port 70000 out of range (1-65535)");
	ep_bad("10.0.0.1:99999999999999999999", "out of range (1-65535)");
	ep_bad("10.0.0.1:+80", "invalid port '+80' (1-65535)");
	ep_bad("10.0.0.1:-80", "invalid port '-80'");
	ep_bad("10.0.0.1: 80", "invalid port ' 80'");
	ep_bad("10.0.0.1:80 ", "invalid port '80 '");
	ep_bad("10.0.0.1:0x50", "invalid port '0x50'");
	ep_bad("10.0.0.1:80x", "invalid port '80x'");
	ep_bad("10.0.0.1:http", "invalid port 'http'");
	ep_bad("[2001:db8::1]", "missing port");
	ep_bad("[2001:db8::1]:", "missing port");
	ep_bad("[2001:db8::1]:0", "port 0 out of range (1-65535)");
	ep_bad("[2001:db8::1]:80]", "invalid port '80]'");
	ep_bad("[2001:db8::1]:80x", "invalid port '80x'");
}

static void test_endpoint_reject_addr(void **state)
{
	(void)state;
	ep_bad("", "missing address");
	ep_bad(NULL, "missing address");
	ep_bad(":80", "missing address");
	ep_bad("[]:80", "missing address");
	ep_bad("10.0.0.300:80", "'10.0.0.300' is not an IPv4 or IPv6 address");
	ep_bad("host:80", "'host' is not an IPv4 or IPv6 address");
	ep_bad(" 10.0.0.1:80", "is not an IPv4 or IPv6 address");
	ep_bad("10.0.0.1", "missing port");
	ep_bad("foo", "'foo' is not an IPv4 or IPv6 address");
	ep_bad("[10.0.0.1]:80", "IPv4 address must not be in brackets");
	ep_bad("[foo]:80", "'foo' is not an IPv6 address");
	ep_bad("[2001:db8::1", "missing ']'");
	ep_bad("[2001:db8::1]80", "unexpected '80' after ']'");
	ep_bad("[2001:db8::1]x:80", "unexpected 'x:80' after ']'");
	ep_bad("10.0.0.1:80:90", "is not an IPv4 or IPv6 address");
}

static void test_endpoint_reject_v6(void **state)
{
	(void)state;
	ep_bad("2001:db8::1:80",
	       "IPv6 address must be in brackets: [2001:db8::1]:80");
	ep_bad("::1:443", "IPv6 address must be in brackets: [::1]:443");
	ep_bad("2001:db8::1", "IPv6 address must be in brackets: "
			      "[2001:db8::1]:PORT");
	ep_bad("::1", "IPv6 address must be in brackets");
	ep_bad("::", "IPv6 address must be in brackets");
	ep_bad("fe80::1%eth0", "IPv6 zone ids are not supported");
	ep_bad("fe80::1%eth0:80", "IPv6 zone ids are not supported");
	ep_bad("[fe80::1%eth0]:80", "IPv6 zone ids are not supported");
}

/* --- shunt_parse_service ---------------------------------------------- */

static struct shunt_frontend_key svc_key(int af, const char *vip, __u16 port,
					 __u8 proto)
{
	struct shunt_frontend_key k;

	memset(&k, 0, sizeof(k));
	k.vip = addr(af, vip);
	k.port = htons(port);
	k.proto = proto;
	k.family = af == AF_INET ? SHUNT_V4 : SHUNT_V6;
	return k;
}

static void svc_ok(const char *s, int af, const char *vip, __u16 port,
		   __u8 proto)
{
	char err[ERRLEN] = "";
	struct shunt_frontend_key key, want = svc_key(af, vip, port, proto);

	memset(&key, 0xff, sizeof(key));
	assert_int_equal(shunt_parse_service(s, &key, err, sizeof(err)), 0);
	assert_memory_equal(&key, &want, sizeof(key));
}

static void svc_bad(const char *s, const char *want)
{
	char err[ERRLEN] = "";
	struct shunt_frontend_key key, orig;

	memset(&key, POISON, sizeof(key));
	orig = key;
	assert_int_equal(shunt_parse_service(s, &key, err, sizeof(err)),
			 -EINVAL);
	assert_memory_equal(&key, &orig, sizeof(key));
	assert_err_text(err, want);
}

static void test_service_accept(void **state)
{
	(void)state;
	svc_ok("10.96.0.10:80/tcp", AF_INET, "10.96.0.10", 80, IPPROTO_TCP);
	svc_ok("10.96.0.10:53/udp", AF_INET, "10.96.0.10", 53, IPPROTO_UDP);
	svc_ok("10.96.0.10:53/UDP", AF_INET, "10.96.0.10", 53, IPPROTO_UDP);
	svc_ok("10.96.0.10:443/Tcp", AF_INET, "10.96.0.10", 443, IPPROTO_TCP);
	svc_ok("[2001:db8::1]:53/udp", AF_INET6, "2001:db8::1", 53,
	       IPPROTO_UDP);
	svc_ok("[::ffff:10.0.0.1]:80/tcp", AF_INET6, "::ffff:10.0.0.1", 80,
	       IPPROTO_TCP);
	/* Edges of the multicast range are ordinary addresses. */
	svc_ok("223.255.255.255:80/tcp", AF_INET, "223.255.255.255", 80,
	       IPPROTO_TCP);
	svc_ok("240.0.0.1:80/tcp", AF_INET, "240.0.0.1", 80, IPPROTO_TCP);
	svc_ok("[fe00::1]:80/tcp", AF_INET6, "fe00::1", 80, IPPROTO_TCP);
}

/* The key is zeroed as a whole, then filled: compare with one by hand. */
static void test_service_key_zeroed(void **state)
{
	char err[ERRLEN];
	struct shunt_frontend_key key, want;

	(void)state;
	memset(&want, 0, sizeof(want));
	want.vip.bytes[0] = 10;
	want.vip.bytes[1] = 96;
	want.vip.bytes[2] = 0;
	want.vip.bytes[3] = 10;
	want.port = htons(80);
	want.proto = IPPROTO_TCP;
	want.family = SHUNT_V4;

	memset(&key, 0xff, sizeof(key));
	assert_int_equal(shunt_parse_service("10.96.0.10:80/tcp", &key, err,
					     sizeof(err)),
			 0);
	assert_memory_equal(&key, &want, sizeof(key));
}

static void test_service_reject_syntax(void **state)
{
	(void)state;
	svc_bad("", "missing service");
	svc_bad(NULL, "missing service");
	svc_bad("10.0.0.1:80", "missing protocol in '10.0.0.1:80'");
	/* Without a protocol, a bad address is still the reason given. */
	svc_bad("10.0.0.300:80", "is not an IPv4 or IPv6 address");
	svc_bad("2001:db8::1:53", "must be in brackets: [2001:db8::1]:53");
	svc_bad("0.0.0.0:80", "unspecified");
	svc_bad("10.0.0.1:80/", "missing protocol");
	svc_bad("10.0.0.1:80/sctp", "unknown protocol 'sctp' (tcp or udp)");
	svc_bad("10.0.0.1:80/tcp ", "unknown protocol 'tcp '");
	svc_bad("10.0.0.1:80/tcpx", "unknown protocol 'tcpx'");
	svc_bad("10.0.0.1:80/tcp/udp", "unknown protocol 'tcp/udp'");
	svc_bad("10.0.0.1:80/6", "unknown protocol '6'");
	svc_bad("/tcp", "missing address");
	svc_bad("10.0.0.1/tcp", "missing port in '10.0.0.1'");
	svc_bad("10.0.0.1:/tcp", "missing port");
	svc_bad("10.0.0.1:0/tcp", "port 0 out of range (1-65535)");
	svc_bad("10.0.0.1:70000/tcp", "port 70000 out of range (1-65535)");
	svc_bad("10.0.0.1:80 /tcp", "invalid port '80 '");
	svc_bad("10.0.0.300:80/tcp",
		"'10.0.0.300' is not an IPv4 or IPv6 address");
	svc_bad("[10.0.0.1]:80/tcp", "IPv4 address must not be in brackets");
	svc_bad("2001:db8::1:53/udp",
		"IPv6 address must be in brackets: [2001:db8::1]:53");
	svc_bad("fe80::1%eth0:80/tcp", "IPv6 zone ids are not supported");
	svc_bad("[fe80::1%eth0]:80/tcp", "IPv6 zone ids are not supported");
}

static void test_service_reject_vip(void **state)
{
	(void)state;
	svc_bad("0.0.0.0:80/tcp",
		"unspecified address 0.0.0.0 cannot be a service VIP");
	svc_bad("[::]:80/tcp",
		"unspecified address :: cannot be a service VIP");
	svc_bad("[::ffff:0.0.0.0]:80/tcp", "unspecified");
	svc_bad("224.0.0.1:80/udp",
		"multicast address 224.0.0.1 cannot be a service VIP");
	svc_bad("239.255.255.255:80/udp", "multicast");
	svc_bad("[ff02::1]:53/udp",
		"multicast address ff02::1 cannot be a service VIP");
	svc_bad("[::ffff:224.0.0.1]:53/udp", "multicast");
}

/* --- shunt_parse_u32 -------------------------------------------------- */

static void u32_ok(const char *s, __u32 min, __u32 max, __u32 want)
{
	char err[ERRLEN] = "";
	__u32 v = 0xa5a5a5a5;

	assert_int_equal(shunt_parse_u32(s, min, max, &v, err, sizeof(err)), 0);
	assert_int_equal(v, want);
}

static void u32_bad(const char *s, __u32 min, __u32 max, const char *want)
{
	char err[ERRLEN] = "";
	__u32 v = 0xa5a5a5a5;

	assert_int_equal(shunt_parse_u32(s, min, max, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(v, 0xa5a5a5a5);
	assert_err_text(err, want);
}

static void test_u32_accept(void **state)
{
	(void)state;
	u32_ok("0", 0, 10, 0);
	u32_ok("10", 0, 10, 10);
	u32_ok("1", 1, 1, 1);
	u32_ok("007", 0, 10, 7);
	u32_ok("16381", SHUNT_MAGLEV_MIN, SHUNT_MAGLEV_MAX, 16381);
	u32_ok("4294967295", 0, UINT32_MAX, UINT32_MAX);
}

static void test_u32_reject(void **state)
{
	(void)state;
	u32_bad("", 0, 10, "missing number (expected 0-10)");
	u32_bad(NULL, 0, 10, "missing number");
	u32_bad("11", 0, 10, "11 out of range (0-10)");
	u32_bad("0", 1, 65535, "0 out of range (1-65535)");
	u32_bad("4294967296", 0, UINT32_MAX, "out of range (0-4294967295)");
	u32_bad("99999999999999999999999", 0, UINT32_MAX, "out of range");
	u32_bad("-1", 0, 10, "'-1' is not a decimal number (0-10)");
	u32_bad("+1", 0, 10, "is not a decimal number");
	u32_bad(" 1", 0, 10, "is not a decimal number");
	u32_bad("1 ", 0, 10, "is not a decimal number");
	u32_bad("0x10", 0, 100, "is not a decimal number");
	u32_bad("1.5", 0, 10, "is not a decimal number");
	u32_bad("1e3", 0, 10000, "is not a decimal number");
	u32_bad("ten", 0, 10, "is not a decimal number");
}

/* A few complete messages, exactly as an operator sees them. */
static void test_exact_messages(void **state)
{
	char err[ERRLEN];
	union shunt_ip ip;
	__be16 port;
	__u8 family;
	struct shunt_frontend_key key;
	__u32 v;

	(void)state;
	shunt_parse_endpoint("10.0.0.1:70000", &ip, &port, &family, err,
			     sizeof(err));
	assert_string_equal(err, "port 70000 out of range (1-65535)");
	shunt_parse_endpoint("10.0.0.300:80", &ip, &port, &family, err,
			     sizeof(err));
	assert_string_equal(err, "'10.0.0.300' is not an IPv4 or IPv6 address");
	shunt_parse_endpoint("2001:db8::1:80", &ip, &port, &family, err,
			     sizeof(err));
	assert_string_equal(
		err, "IPv6 address must be in brackets: [2001:db8::1]:80");
	shunt_parse_endpoint("[10.0.0.1]:80", &ip, &port, &family, err,
			     sizeof(err));
	assert_string_equal(
		err, "IPv4 address must not be in brackets: 10.0.0.1:80");
	shunt_parse_ip("fe80::1%eth0", &ip, &family, err, sizeof(err));
	assert_string_equal(err,
			    "IPv6 zone ids are not supported: 'fe80::1%eth0'");
	shunt_parse_service("10.0.0.1:80/sctp", &key, err, sizeof(err));
	assert_string_equal(err, "unknown protocol 'sctp' (tcp or udp)");
	shunt_parse_service("224.0.0.1:80/udp", &key, err, sizeof(err));
	assert_string_equal(
		err, "multicast address 224.0.0.1 cannot be a service VIP");
	shunt_parse_u32("70000", 1, 65535, &v, err, sizeof(err));
	assert_string_equal(err, "70000 out of range (1-65535)");
}

/* --- error buffer handling -------------------------------------------- */

static void test_err_buffer(void **state)
{
	char err[8];
	union shunt_ip ip;
	__be16 port;
	__u8 family;
	struct shunt_frontend_key key;
	__u32 v;

	(void)state;
	/* Truncated, still terminated. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(shunt_parse_endpoint("10.0.0.1:0", &ip, &port, &family,
					      err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "port 0 ");

	/* No buffer at all is fine. */
	assert_int_equal(shunt_parse_ip("nope", &ip, &family, NULL, 0),
			 -EINVAL);
	assert_int_equal(shunt_parse_service("x", &key, NULL, 0), -EINVAL);
	assert_int_equal(shunt_parse_u32("x", 0, 1, &v, err, 0), -EINVAL);
	assert_int_equal(err[0], 'p');
}

/* --- formatting ------------------------------------------------------- */

static void test_format_ip(void **state)
{
	char buf[SHUNT_ADDRSTRLEN];
	union shunt_ip v4 = addr(AF_INET, "10.0.0.1");
	union shunt_ip v6 = addr(AF_INET6, "2001:db8:0:0:0:0:0:1");

	(void)state;
	assert_string_equal(shunt_format_ip(&v4, SHUNT_V4, buf, sizeof(buf)),
			    "10.0.0.1");
	assert_string_equal(shunt_format_ip(&v6, SHUNT_V6, buf, sizeof(buf)),
			    "2001:db8::1");
	assert_string_equal(shunt_format_ip(&v6, 0, buf, sizeof(buf)), "?");
	assert_ptr_equal(shunt_format_ip(&v4, SHUNT_V4, buf, sizeof(buf)), buf);
}

static void test_format_endpoint(void **state)
{
	char buf[SHUNT_ADDRSTRLEN];
	union shunt_ip v4 = addr(AF_INET, "10.0.0.1");
	union shunt_ip v6 = addr(AF_INET6, "2001:db8::1");

	(void)state;
	assert_string_equal(shunt_format_endpoint(&v4, htons(80), SHUNT_V4, buf,
						  sizeof(buf)),
			    "10.0.0.1:80");
	assert_string_equal(shunt_format_endpoint(&v6, htons(65535), SHUNT_V6,
						  buf, sizeof(buf)),
			    "[2001:db8::1]:65535");
}

static void test_format_service(void **state)
{
	char buf[SHUNT_ADDRSTRLEN];
	struct shunt_frontend_key k4 =
		svc_key(AF_INET, "10.96.0.10", 80, IPPROTO_TCP);
	struct shunt_frontend_key k6 =
		svc_key(AF_INET6, "2001:db8::1", 53, IPPROTO_UDP);
	struct shunt_frontend_key kx = svc_key(AF_INET, "10.0.0.1", 1, 132);

	(void)state;
	assert_string_equal(shunt_format_service(&k4, buf, sizeof(buf)),
			    "10.96.0.10:80/tcp");
	assert_string_equal(shunt_format_service(&k6, buf, sizeof(buf)),
			    "[2001:db8::1]:53/udp");
	assert_string_equal(shunt_format_service(&kx, buf, sizeof(buf)),
			    "10.0.0.1:1/?");
}

static void test_format_sizes(void **state)
{
	char buf[SHUNT_ADDRSTRLEN];
	char small[5];
	struct shunt_frontend_key k;
	union shunt_ip v4 = addr(AF_INET, "10.0.0.1");
	const char *r;

	(void)state;
	/* The longest IPv6 text fits with brackets, port and protocol. */
	memset(&k, 0, sizeof(k));
	memset(&k.vip, 0xff, sizeof(k.vip));
	k.port = htons(65535);
	k.proto = IPPROTO_UDP;
	k.family = SHUNT_V6;
	assert_string_equal(
		shunt_format_service(&k, buf, sizeof(buf)),
		"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535/udp");
	k.vip = addr(AF_INET6, "::ffff:255.255.255.255");
	assert_string_equal(shunt_format_service(&k, buf, sizeof(buf)),
			    "[::ffff:255.255.255.255]:65535/udp");

	/* Too small: truncated but terminated; zero length: untouched. */
	assert_string_equal(
		shunt_format_ip(&v4, SHUNT_V4, small, sizeof(small)), "10.0");
	assert_string_equal(shunt_format_endpoint(&v4, htons(80), SHUNT_V4,
						  small, sizeof(small)),
			    "10.0");
	small[0] = 'z';
	r = shunt_format_ip(&v4, SHUNT_V4, small, 0);
	assert_non_null(r);
	assert_string_equal(r, "");
	assert_int_equal(small[0], 'z');
}

static void test_proto_name(void **state)
{
	(void)state;
	assert_string_equal(shunt_proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(shunt_proto_name(IPPROTO_UDP), "udp");
	assert_string_equal(shunt_proto_name(0), "?");
	assert_string_equal(shunt_proto_name(IPPROTO_ICMP), "?");
	assert_string_equal(shunt_proto_name(132), "?");
}

/* --- round trips ------------------------------------------------------ */

static void test_roundtrip_ip(void **state)
{
	static const char *const in[] = {
		"10.0.0.1", "0.0.0.0",		"2001:DB8:0:0:0:0:0:1",
		"::1",	    "::ffff:192.0.2.1", "fe80::abcd:1",
	};
	char err[ERRLEN], buf[SHUNT_ADDRSTRLEN];
	union shunt_ip a, b;
	__u8 fa, fb;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(
			shunt_parse_ip(in[i], &a, &fa, err, sizeof(err)), 0);
		shunt_format_ip(&a, fa, buf, sizeof(buf));
		assert_int_equal(shunt_parse_ip(buf, &b, &fb, err, sizeof(err)),
				 0);
		assert_int_equal(fa, fb);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void test_roundtrip_endpoint(void **state)
{
	static const char *const in[][2] = {
		{"10.0.0.1:80", "10.0.0.1:80"},
		{"10.0.0.1:00443", "10.0.0.1:443"},
		{"[2001:DB8:0::1]:8080", "[2001:db8::1]:8080"},
		{"[::ffff:10.0.0.1]:1", "[::ffff:10.0.0.1]:1"},
	};
	char err[ERRLEN], buf[SHUNT_ADDRSTRLEN];
	union shunt_ip a, b;
	__be16 pa, pb;
	__u8 fa, fb;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(shunt_parse_endpoint(in[i][0], &a, &pa, &fa,
						      err, sizeof(err)),
				 0);
		shunt_format_endpoint(&a, pa, fa, buf, sizeof(buf));
		assert_string_equal(buf, in[i][1]);
		assert_int_equal(shunt_parse_endpoint(buf, &b, &pb, &fb, err,
						      sizeof(err)),
				 0);
		assert_int_equal(fa, fb);
		assert_int_equal(pa, pb);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void test_roundtrip_service(void **state)
{
	static const char *const in[][2] = {
		{"10.96.0.10:80/tcp", "10.96.0.10:80/tcp"},
		{"10.96.0.10:053/UDP", "10.96.0.10:53/udp"},
		{"[2001:0db8::0001]:53/Udp", "[2001:db8::1]:53/udp"},
		{"[::ffff:10.0.0.1]:65535/tcp", "[::ffff:10.0.0.1]:65535/tcp"},
	};
	char err[ERRLEN], buf[SHUNT_ADDRSTRLEN];
	struct shunt_frontend_key a, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(
			shunt_parse_service(in[i][0], &a, err, sizeof(err)), 0);
		shunt_format_service(&a, buf, sizeof(buf));
		assert_string_equal(buf, in[i][1]);
		assert_int_equal(shunt_parse_service(buf, &b, err, sizeof(err)),
				 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_accept),
		cmocka_unit_test(test_ip_v4_zeroes_rest),
		cmocka_unit_test(test_ip_reject),
		cmocka_unit_test(test_endpoint_accept),
		cmocka_unit_test(test_endpoint_port_byte_order),
		cmocka_unit_test(test_endpoint_reject_port),
		cmocka_unit_test(test_endpoint_reject_addr),
		cmocka_unit_test(test_endpoint_reject_v6),
		cmocka_unit_test(test_service_accept),
		cmocka_unit_test(test_service_key_zeroed),
		cmocka_unit_test(test_service_reject_syntax),
		cmocka_unit_test(test_service_reject_vip),
		cmocka_unit_test(test_u32_accept),
		cmocka_unit_test(test_u32_reject),
		cmocka_unit_test(test_exact_messages),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_format_ip),
		cmocka_unit_test(test_format_endpoint),
		cmocka_unit_test(test_format_service),
		cmocka_unit_test(test_format_sizes),
		cmocka_unit_test(test_proto_name),
		cmocka_unit_test(test_roundtrip_ip),
		cmocka_unit_test(test_roundtrip_endpoint),
		cmocka_unit_test(test_roundtrip_service),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
