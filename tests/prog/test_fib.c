// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Forwarding after NAT (docs/datapath.md, "forward"): what happens when
 * bpf_fib_lookup cannot hand back a complete next hop. No neighbour: tc
 * redirects through the kernel's neighbour layer, XDP passes the
 * translated packet to the stack. Local destination or forwarding off:
 * pass_fib_local; unreachable, IPv4 without DF beyond the MTU, ...:
 * pass_fib_fail. In every pass case the packet is already translated,
 * with checksums right. Beyond the MTU and not to be fragmented (IPv4
 * with DF, IPv6): answered, see test_pmtu.c.
 */
#include <fcntl.h>
#include <unistd.h>

#include "icmptest.h"

/* A service VIP:80/proto with one backend at addr:8080. */
static void svc_one(struct svc *v, int family, __u8 proto, const char *addr)
{
	memset(v, 0, sizeof(*v));
	v->vip = family == 4 ? VIP4 : VIP6;
	v->client = family == 4 ? PENV_CLIENT4 : PENV_CLIENT6;
	v->be_addr[0] = v->be_addr[1] = addr;
	v->key = penv_svc_key(v->vip, SVC_PORT, proto);
	assert_int_equal(penv_service_add(&v->key, 1021, 0, &v->id), 0);
	assert_int_equal(
		penv_backend_add(&v->key, addr, BE1_PORT, 1, &v->be[0]), 0);
	v->be[1] = v->be[0];
}

/* The input translated (DNAT only): what the stack gets when shunt
 * passes after NAT. */
static void translated_spec(const struct pg_spec *in, struct pg_spec *out,
			    const char *addr)
{
	*out = *in;
	out->dst = pg_addr(addr);
	out->dport = BE1_PORT;
}

/* One packet to the service: translated, verdict and counters. */
static void expect_translated(enum penv_hook h, int family, __u8 proto,
			      const char *addr, __u32 verdict,
			      enum shunt_counter counter, bool forwarded,
			      size_t payload)
{
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;

	assert_int_equal(penv_reset(NULL), 0);
	svc_one(&v, family, proto, addr);
	pg_spec_init(&spec, v.client, 52000, v.vip, SVC_PORT, proto);
	spec.payload_len = payload;
	xmit(h, penv.if_cli, &spec, &x);
	print_message("IPv%d %s to backend %s\n", family,
		      proto == IPPROTO_TCP ? "TCP" : "UDP", addr);
	assert_verdict(&x, verdict);
	assert_int_equal(x.parsed, 0);
	assert_addr(&x.info.dst, addr);
	assert_int_equal(x.info.dport, BE1_PORT);
	assert_csums_ok(&x);
	translated_spec(&spec, &want, addr);
	if (forwarded)
		want.ttl = 63; /* MACs: left to the neighbour layer */
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1, counter, 1);
}

/* Backend address without a neighbour entry. */
static void test_fib_no_neigh(void **state)
{
	enum penv_hook h = hook_of(state);
	int family;
	__u8 proto;

	for (family = 4; family <= 6; family += 2) {
		const char *addr = family == 4 ? PENV_NONEIGH4 : PENV_NONEIGH6;

		for (proto = IPPROTO_TCP; proto <= IPPROTO_UDP;
		     proto = (__u8)(proto + IPPROTO_UDP - IPPROTO_TCP)) {
			if (h == PENV_XDP)
				expect_translated(
					h, family, proto, addr, XDP_PASS,
					SHUNT_C_PASS_FIB_NO_NEIGH, false, 32);
			else
				expect_translated(
					h, family, proto, addr, TC_ACT_REDIRECT,
					SHUNT_C_REDIRECT_NEIGH, true, 32);
		}
	}
}

/* The backend is a local address of the node. */
static void test_fib_local(void **state)
{
	enum penv_hook h = hook_of(state);

	expect_translated(h, 4, IPPROTO_TCP, "10.0.1.1", penv_pass(h),
			  SHUNT_C_PASS_FIB_LOCAL, false, 32);
	expect_translated(h, 6, IPPROTO_UDP, "fd00:b::1", penv_pass(h),
			  SHUNT_C_PASS_FIB_LOCAL, false, 32);
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

#define V4_FWD_CLI "/proc/sys/net/ipv4/conf/" PENV_CLI_IF "/forwarding"
#define V6_FWD_ALL "/proc/sys/net/ipv6/conf/all/forwarding"

static int forwarding_on(void **state)
{
	(void)state;
	return write_sysctl(V4_FWD_CLI, "1") || write_sysctl(V6_FWD_ALL, "1");
}

/* Forwarding off: "local destination / forwarding off -> PASS
 * pass_fib_local (translated)". IPv4: off on the ingress interface. */
static void test_fib_forwarding_off_v4(void **state)
{
	enum penv_hook h = hook_of(state);

	assert_int_equal(write_sysctl(V4_FWD_CLI, "0"), 0);
	expect_translated(h, 4, IPPROTO_TCP, PENV_BE1_4, penv_pass(h),
			  SHUNT_C_PASS_FIB_LOCAL, false, 32);
}

/* IPv6: forwarding off globally. */
static void test_fib_forwarding_off_v6(void **state)
{
	enum penv_hook h = hook_of(state);

	assert_int_equal(write_sysctl(V6_FWD_ALL, "0"), 0);
	expect_translated(h, 6, IPPROTO_TCP, PENV_BE1_6, penv_pass(h),
			  SHUNT_C_PASS_FIB_LOCAL, false, 32);
}

/* Unreachable, blackhole and prohibit routes to the backend. */
static void test_fib_unreachable(void **state)
{
	static const char *const types[] = {"unreachable", "blackhole",
					    "prohibit"};
	enum penv_hook h = hook_of(state);
	char a4[32], a6[32];
	int i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(penv_sh("ip route replace %s 10.0.%d.0/24",
					 types[i], 20 + i),
				 0);
		assert_int_equal(penv_sh("ip -6 route replace %s fd00:%d::/64",
					 types[i], 20 + i),
				 0);
		snprintf(a4, sizeof(a4), "10.0.%d.5", 20 + i);
		snprintf(a6, sizeof(a6), "fd00:%d::5", 20 + i);
		expect_translated(h, 4, IPPROTO_UDP, a4, penv_pass(h),
				  SHUNT_C_PASS_FIB_FAIL, false, 32);
		expect_translated(h, 6, IPPROTO_TCP, a6, penv_pass(h),
				  SHUNT_C_PASS_FIB_FAIL, false, 32);
	}
}

/* A packet of 1600 bytes of payload to the service, not to be
 * fragmented (IPv4 with DF, IPv6): translated, too big for be0 (MTU
 * 1500), answered back out of cli0 from the VIP with Fragmentation
 * Needed (3/4) / Packet Too Big (2/0) and MTU 1500, quoting the IP
 * header and 8 bytes as the client sent them; the answer built here
 * from scratch, TTL 64, IPv4 ID 0 without DF. */
static void expect_too_big(enum penv_hook h, int family, __u8 proto,
			   size_t payload)
{
	uint8_t quote[IC_MAX_QUOTE];
	struct pg_spec spec;
	struct ic_err e;
	struct svc v;
	struct xmit x;

	assert_int_equal(penv_reset(NULL), 0);
	svc_one(&v, family, proto, family == 4 ? PENV_BE1_4 : PENV_BE1_6);
	pg_spec_init(&spec, v.client, 52000, v.vip, SVC_PORT, proto);
	spec.payload_len = payload;
	spec.df = family == 4;
	xmit(h, penv.if_cli, &spec, &x);
	print_message("IPv%d %s, %s, too big\n", family,
		      proto == IPPROTO_TCP ? "TCP" : "UDP",
		      family == 4 ? "DF" : "IPv6");
	assert_verdict(&x, h == PENV_XDP ? XDP_TX : TC_ACT_REDIRECT);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_ICMP_TOO_BIG, 1);

	memset(&e, 0, sizeof(e));
	memcpy(e.dmac, spec.smac, 6);
	memcpy(e.smac, spec.dmac, 6);
	e.src = pg_addr(v.vip);
	e.dst = pg_addr(v.client);
	e.ttl = 64;
	e.type = family == 4 ? 3 : 2;
	e.code = family == 4 ? 4 : 0;
	e.rest = 1500;
	e.quote = quote;
	e.quote_len = ic_quote(x.in, x.in_len, 8, quote, sizeof(quote));
	assert_int_equal(e.quote_len, family == 4 ? 28 : 48);
	assert_icmp_frame(&x, &e, false);
}

/* Larger than the egress MTU (1500). IPv4 without DF (pktgen's
 * default): the stack gets it translated and fragments it. IPv4 with DF
 * and IPv6: shunt answers the client itself (pmtu.h). */
static void test_fib_mtu(void **state)
{
	enum penv_hook h = hook_of(state);

	expect_translated(h, 4, IPPROTO_UDP, PENV_BE1_4, penv_pass(h),
			  SHUNT_C_PASS_FIB_FAIL, false, 1600);
	expect_translated(h, 4, IPPROTO_TCP, PENV_BE1_4, penv_pass(h),
			  SHUNT_C_PASS_FIB_FAIL, false, 1600);
	expect_too_big(h, 4, IPPROTO_TCP, 1600);
	expect_too_big(h, 6, IPPROTO_TCP, 1600);
}

/* Exactly the MTU: forwarded as usual. */
static void test_fib_at_mtu(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_UDP, 1, 1);
	pg_spec_init(&spec, v.client, 52100, v.vip, SVC_PORT, IPPROTO_UDP);
	spec.payload_len = 1500 - 28; /* 1500 bytes of IPv4 */
	idx = predict_idx(&v, &spec);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	forwarded_spec(&spec, &want, &v, idx);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
}

/* Like PROG_TEST, with forwarding switched back on afterwards. */
#define FWD_OFF_TEST(f)                                                        \
	{#f "/xdp", f, penv_reset, forwarding_on,                              \
	 (void *)&penv_hooks[PENV_XDP]},                                       \
	{                                                                      \
#f "/tc", f, penv_reset, forwarding_on,                        \
			(void *)&penv_hooks[PENV_TC]                           \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_fib_no_neigh),
		PROG_TEST(test_fib_local),
		FWD_OFF_TEST(test_fib_forwarding_off_v4),
		FWD_OFF_TEST(test_fib_forwarding_off_v6),
		PROG_TEST(test_fib_unreachable),
		PROG_TEST(test_fib_mtu),
		PROG_TEST(test_fib_at_mtu),
	};

	return cmocka_run_group_tests_name("prog_fib", tests, penv_setup,
					   penv_teardown);
}
