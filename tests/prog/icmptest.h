/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ICMP errors in the program tests (test_pmtu.c, test_icmp.c,
 * test_fib.c):
 *   - a builder for Ethernet + IPv4/IPv6 + ICMP/ICMPv6 error frames whose
 *     checksums are summed here (RFC 1071 once more, on purpose neither
 *     bpf/lib's nor tests/lib/pktgen.c's);
 *   - a checker that recomputes every checksum of such a frame with
 *     pktgen's implementation instead: the IPv4 header's, the ICMP
 *     message's (ICMPv6 with its pseudo-header), the quoted IPv4
 *     header's and, when the quote holds the whole quoted datagram, its
 *     TCP/UDP checksum. Expected frames go through it too, so the two
 *     implementations check each other;
 *   - a service of a backend on another node, masqueraded (SNAT) or
 *     sent by DSR, as test_dsr.c makes them.
 */
#ifndef SHUNT_TEST_ICMPTEST_H
#define SHUNT_TEST_ICMPTEST_H

#include "progtest.h"

#define IC_ETH_HLEN  ((size_t)14)
#define IC_MAX_QUOTE 1024

/* The source of masqueraded flows: be0's own addresses. */
#define IC_SNAT4 "10.0.1.1"
#define IC_SNAT6 "fd00:b::1"

static inline void ic_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ic_put32(uint8_t *p, uint32_t v)
{
	ic_put16(p, (uint16_t)(v >> 16));
	ic_put16(p + 2, (uint16_t)v);
}

static inline uint16_t ic_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ic_get32(const uint8_t *p)
{
	return (uint32_t)ic_get16(p) << 16 | ic_get16(p + 2);
}

/* One's-complement sum, a byte at a time: even bytes are the high
 * halves of 16-bit words. */
static inline uint32_t ic_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		sum += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static inline uint16_t ic_csum(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An ICMP error frame. */
struct ic_err {
	uint8_t dmac[6];
	uint8_t smac[6];
	struct pg_addr src; /* the error's addresses */
	struct pg_addr dst;
	uint8_t ttl;	/* TTL / hop limit */
	uint16_t ip_id; /* IPv4 */
	bool df;	/* IPv4 */
	uint8_t type;
	uint8_t code;
	uint32_t rest; /* the 4 bytes after the checksum */
	const uint8_t *quote;
	size_t quote_len;
};

/* Build e into buf; its length. IPv4: no options, TOS 0. IPv6: traffic
 * class and flow label 0, ICMPv6 right after the fixed header. */
static inline size_t ic_build(const struct ic_err *e, uint8_t *buf, size_t cap)
{
	bool v4 = e->src.family == 4;
	size_t hlen = v4 ? 20 : 40, icmp_len = 8 + e->quote_len;
	size_t len = IC_ETH_HLEN + hlen + icmp_len;
	uint8_t *ip = buf + IC_ETH_HLEN, *icmp = ip + hlen, word[4];
	uint32_t sum = 0;

	assert_int_equal(e->src.family, e->dst.family);
	assert_true(len <= cap);
	memset(buf, 0, len);
	memcpy(buf, e->dmac, 6);
	memcpy(buf + 6, e->smac, 6);
	ic_put16(buf + 12, v4 ? 0x0800 : 0x86dd);
	if (v4) {
		ip[0] = 0x45;
		ic_put16(ip + 2, (uint16_t)(hlen + icmp_len));
		ic_put16(ip + 4, e->ip_id);
		ic_put16(ip + 6, e->df ? 0x4000 : 0);
		ip[8] = e->ttl;
		ip[9] = IPPROTO_ICMP;
		memcpy(ip + 12, e->src.b, 4);
		memcpy(ip + 16, e->dst.b, 4);
		ic_put16(ip + 10, ic_csum(ic_sum(0, ip, 20)));
	} else {
		ip[0] = 0x60;
		ic_put16(ip + 4, (uint16_t)icmp_len);
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = e->ttl;
		memcpy(ip + 8, e->src.b, 16);
		memcpy(ip + 24, e->dst.b, 16);
		/* Pseudo-header: addresses, length, next header. */
		sum = ic_sum(0, ip + 8, 32);
		ic_put32(word, (uint32_t)icmp_len);
		sum = ic_sum(sum, word, 4);
		ic_put32(word, IPPROTO_ICMPV6);
		sum = ic_sum(sum, word, 4);
	}
	icmp[0] = e->type;
	icmp[1] = e->code;
	ic_put32(icmp + 4, e->rest);
	memcpy(icmp + 8, e->quote, e->quote_len);
	ic_put16(icmp + 2, ic_csum(ic_sum(sum, icmp, icmp_len)));
	return len;
}

/* What an ICMP error quotes of the IP packet in frame (Ethernet, no
 * tags): its IP header (IPv4 options included; IPv6: the fixed header)
 * and l4 bytes behind it, or all of the packet when it is shorter
 * (SIZE_MAX: all of it). */
static inline size_t ic_quote(const uint8_t *frame, size_t len, size_t l4,
			      uint8_t *out, size_t cap)
{
	const uint8_t *ip = frame + IC_ETH_HLEN;
	bool v4 = ip[0] >> 4 == 4;
	size_t hlen = v4 ? (size_t)(ip[0] & 0xf) * 4 : 40;
	size_t total = v4 ? ic_get16(ip + 2) : 40 + (size_t)ic_get16(ip + 4);
	size_t n = total - hlen < l4 ? total : hlen + l4;

	assert_true(IC_ETH_HLEN + total <= len);
	assert_true(n <= cap);
	memcpy(out, ip, n);
	return n;
}

/* The quote of the packet spec s builds. */
static inline size_t ic_quote_spec(const struct pg_spec *s, size_t l4,
				   uint8_t *out, size_t cap)
{
	uint8_t frame[PG_MAX_FRAME];
	size_t len = pg_build(s, frame, sizeof(frame), NULL);

	assert_true(len > 0);
	return ic_quote(frame, len, l4, out, cap);
}

static inline bool ic_same_csum(uint16_t a, uint16_t b)
{
	/* 0x0000 and 0xffff are both zero in one's complement. */
	return a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff));
}

/* How deep ic_check() looks into the quote. */
enum ic_depth {
	IC_OUTER = 0, /* the error's own headers only */
	IC_QUOTE = 1, /* and the quote: a fixed IP header and 8 bytes */
	IC_WHOLE = 2, /* and the quoted datagram, all of it quoted */
};

/*
 * Every checksum of the ICMP error frame f (Ethernet, no tags), from
 * scratch with tests/lib/pktgen.c: IPv4 header, ICMP (ICMPv6: with the
 * pseudo-header); from IC_QUOTE on the quoted IPv4 header; with IC_WHOLE
 * the quoted TCP/UDP checksum over the quoted datagram, which the quote
 * must then hold entirely (an IPv4 UDP checksum of 0 is none). 0, or -1
 * with the reason in why.
 */
static inline int ic_check(const uint8_t *f, size_t len, enum ic_depth depth,
			   char *why, size_t wlen)
{
	const uint8_t *ip = f + IC_ETH_HLEN, *icmp, *q, *l4;
	struct pg_addr src, dst, qsrc, qdst;
	size_t hlen, icmp_len, qlen, qhlen, qtotal, l4_len;
	uint16_t got, want;
	uint8_t qproto;
	bool v4;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	memset(&qsrc, 0, sizeof(qsrc));
	memset(&qdst, 0, sizeof(qdst));
	if (len < IC_ETH_HLEN + 40) {
		snprintf(why, wlen, "frame of %zu bytes", len);
		return -1;
	}
	v4 = ic_get16(f + 12) == 0x0800;
	if (v4) {
		hlen = (size_t)(ip[0] & 0xf) * 4;
		if (ip[0] >> 4 != 4 || hlen != 20 || ip[9] != IPPROTO_ICMP ||
		    IC_ETH_HLEN + ic_get16(ip + 2) != len) {
			snprintf(why, wlen, "not an IPv4 ICMP frame");
			return -1;
		}
		want = pg_ip4_csum(ip, hlen);
		got = ic_get16(ip + 10);
		if (!ic_same_csum(got, want)) {
			snprintf(why, wlen,
				 "IPv4 header checksum 0x%04x, want "
				 "0x%04x",
				 got, want);
			return -1;
		}
		icmp_len = ic_get16(ip + 2) - hlen;
		src.family = dst.family = 4;
		memcpy(src.b, ip + 12, 4);
		memcpy(dst.b, ip + 16, 4);
	} else {
		hlen = 40;
		if (ic_get16(f + 12) != 0x86dd || ip[0] >> 4 != 6 ||
		    ip[6] != IPPROTO_ICMPV6 ||
		    IC_ETH_HLEN + 40 + ic_get16(ip + 4) != len) {
			snprintf(why, wlen, "not an IPv6 ICMPv6 frame");
			return -1;
		}
		icmp_len = ic_get16(ip + 4);
		src.family = dst.family = 6;
		memcpy(src.b, ip + 8, 16);
		memcpy(dst.b, ip + 24, 16);
	}
	icmp = ip + hlen;
	if (icmp_len < 8) {
		snprintf(why, wlen, "ICMP message of %zu bytes", icmp_len);
		return -1;
	}
	want = pg_l4_csum(&src, &dst, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, icmp,
			  icmp_len);
	got = ic_get16(icmp + 2);
	if (!ic_same_csum(got, want)) {
		snprintf(why, wlen, "ICMP checksum 0x%04x, want 0x%04x", got,
			 want);
		return -1;
	}

	if (depth == IC_OUTER)
		return 0;

	/* The quote. */
	q = icmp + 8;
	qlen = icmp_len - 8;
	qhlen = v4 ? 20 : 40;
	if (qlen < qhlen + 8 || q[0] >> 4 != (v4 ? 4 : 6) ||
	    (v4 && (q[0] & 0xf) != 5)) {
		snprintf(why, wlen,
			 "quote of %zu bytes, no fixed IP header "
			 "and 8 bytes",
			 qlen);
		return -1;
	}
	qsrc.family = qdst.family = v4 ? 4 : 6;
	if (v4) {
		want = pg_ip4_csum(q, 20);
		got = ic_get16(q + 10);
		if (!ic_same_csum(got, want)) {
			snprintf(why, wlen,
				 "quoted IPv4 header checksum "
				 "0x%04x, want 0x%04x",
				 got, want);
			return -1;
		}
		qproto = q[9];
		qtotal = ic_get16(q + 2);
		memcpy(qsrc.b, q + 12, 4);
		memcpy(qdst.b, q + 16, 4);
	} else {
		qproto = q[6];
		qtotal = 40 + (size_t)ic_get16(q + 4);
		memcpy(qsrc.b, q + 8, 16);
		memcpy(qdst.b, q + 24, 16);
	}
	if (depth != IC_WHOLE)
		return 0;
	if (qtotal > qlen || qtotal < qhlen + 8 ||
	    (qproto != IPPROTO_TCP && qproto != IPPROTO_UDP)) {
		snprintf(why, wlen,
			 "quote of %zu bytes does not hold its "
			 "%zu-byte TCP/UDP datagram",
			 qlen, qtotal);
		return -1;
	}
	l4 = q + qhlen;
	l4_len = qtotal - qhlen;
	got = ic_get16(l4 + (qproto == IPPROTO_TCP ? 16 : 6));
	if (v4 && qproto == IPPROTO_UDP && got == 0)
		return 0; /* no checksum */
	want = pg_l4_csum(&qsrc, &qdst, qproto, l4, l4_len);
	if (qproto == IPPROTO_UDP ? got != want : !ic_same_csum(got, want)) {
		snprintf(why, wlen, "quoted %s checksum 0x%04x, want 0x%04x",
			 qproto == IPPROTO_TCP ? "TCP" : "UDP", got, want);
		return -1;
	}
	return 0;
}

#define assert_icmp_csums(f, len, depth)                                       \
	do {                                                                   \
		char why_[128];                                                \
		if (ic_check((f), (len), (depth), why_, sizeof(why_)))         \
			fail_msg("ICMP frame checksums: %s", why_);            \
	} while (0)

/* The output of x is the error e, byte for byte; e's own checksums are
 * checked first, and the output's again: the quoted datagram's too
 * when whole is set. */
static inline void assert_icmp_frame(const struct xmit *x,
				     const struct ic_err *e, bool whole)
{
	enum ic_depth depth = whole ? IC_WHOLE : IC_QUOTE;
	uint8_t want[PG_MAX_FRAME];
	size_t len = ic_build(e, want, sizeof(want));

	size_t i;

	assert_icmp_csums(want, len, depth);
	if (x->out_len == len && memcmp(x->out, want, len)) {
		/* Every byte that differs: a checksum differs along with
		 * what it covers. */
		for (i = 0; i < len; i++)
			if (x->out[i] != want[i])
				print_error("  byte %zu: got 0x%02x, want "
					    "0x%02x\n",
					    i, x->out[i], want[i]);
	}
	assert_bytes("ICMP frame", x->out, x->out_len, want, len);
	assert_icmp_csums(x->out, x->out_len, depth);
}

/* Send the ICMP error e in through the hook on ifindex (its own
 * checksums checked; its quote may be anything). */
static inline void xmit_icmp(enum penv_hook h, int ifindex,
			     const struct ic_err *e, struct xmit *x)
{
	x->in_len = ic_build(e, x->in, sizeof(x->in));
	assert_icmp_csums(x->in, x->in_len, IC_OUTER);
	xmit_raw(h, ifindex, x);
}

/* --- conntrack ---------------------------------------------------------- */

static inline size_t ic_ct_count(void)
{
	struct shunt_ct_info *v;
	size_t n;

	assert_int_equal(shunt_ct_list(&penv.s, &v, &n), 0);
	free(v);
	return n;
}

/* The ct_map entry of src:sport -> dst:dport (ports in host order). */
static inline void ic_ct_get(const char *src, __u16 sport, const char *dst,
			     __u16 dport, __u8 proto, __u8 dir,
			     struct shunt_ct_entry *e)
{
	struct pg_addr s = pg_addr(src), d = pg_addr(dst);
	struct shunt_ct_key k;

	memset(&k, 0, sizeof(k));
	k.src = penv_ip(&s);
	k.dst = penv_ip(&d);
	k.sport = htons(sport);
	k.dport = htons(dport);
	k.proto = proto;
	k.family = s.family == 4 ? SHUNT_V4 : SHUNT_V6;
	k.dir = dir;
	if (bpf_map_lookup_elem(penv.s.ct_map, &k, e))
		fail_msg("no ct entry %s:%u -> %s:%u dir %u", src, sport, dst,
			 dport, dir);
}

/* --- a service of a remote backend ------------------------------------- */

/*
 * v: VIP:80/proto of the family, external (NodePort/LoadBalancer-like)
 * with traffic policy Cluster and fe_flags (its mode), one backend
 * BE1:8080 on another node. SHUNT_FE_F_MODE_SNAT: new flows are
 * masqueraded behind be0's address (IC_SNAT4 / IC_SNAT6, set in
 * iface_map as shuntd would); SHUNT_FE_F_MODE_DSR: sent by DSR.
 */
static inline void ic_remote_service(struct svc *v, int family, __u8 proto,
				     __u32 fe_flags)
{
	struct pg_addr a4 = pg_addr(IC_SNAT4), a6 = pg_addr(IC_SNAT6);
	struct shunt_iface ifc;
	__u32 key = (__u32)penv.if_be;

	memset(v, 0, sizeof(*v));
	v->vip = family == 4 ? VIP4 : VIP6;
	v->client = family == 4 ? PENV_CLIENT4 : PENV_CLIENT6;
	v->be_addr[0] = v->be_addr[1] = family == 4 ? PENV_BE1_4 : PENV_BE1_6;
	v->key = penv_svc_key(v->vip, SVC_PORT, proto);

	svc_apply_one("test/remote", &v->key, SHUNT_FE_F_EXTERNAL | fe_flags,
		      v->be_addr[0], SHUNT_BE_F_REMOTE, &v->id, &v->be[0]);
	v->be[1] = v->be[0];

	assert_int_equal(bpf_map_lookup_elem(penv.s.iface_map, &key, &ifc), 0);
	ifc.addr4 = penv_ip(&a4);
	ifc.addr6 = penv_ip(&a6);
	assert_int_equal(
		bpf_map_update_elem(penv.s.iface_map, &key, &ifc, BPF_ANY), 0);
}

static inline void ic_snat_service(struct svc *v, int family, __u8 proto)
{
	ic_remote_service(v, family, proto, SHUNT_FE_F_MODE_SNAT);
}

/* The first packet of a masqueraded flow client:sport -> VIP:80 (a SYN
 * for TCP), forwarded to BE1 from the SNAT address and a port of the
 * SNAT range, both entries checked; spec gets the packet, the port is
 * returned. */
static inline __u16 ic_open_snat_flow(enum penv_hook h, const struct svc *v,
				      __u8 proto, __u16 sport,
				      struct pg_spec *spec)
{
	const char *snat = v->vip[0] == 'f' ? IC_SNAT6 : IC_SNAT4;
	struct shunt_ct_entry e;
	struct pg_spec want;
	struct xmit x;
	__u16 port;

	pg_spec_init(spec, v->client, sport, v->vip, SVC_PORT, proto);
	xmit(h, penv.if_cli, spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	port = x.info.sport;
	assert_in_range(port, SHUNT_DEFAULT_SNAT_PORT_MIN,
			SHUNT_DEFAULT_SNAT_PORT_MAX);
	forwarded_spec(spec, &want, v, 0);
	want.src = pg_addr(snat);
	want.sport = port;
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_SNAT_NEW, 1,
			SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
	ic_ct_get(v->client, sport, v->vip, SVC_PORT, proto, SHUNT_CT_FWD, &e);
	assert_int_equal(e.flags & SHUNT_CT_F_SNAT, SHUNT_CT_F_SNAT);
	ic_ct_get(v->be_addr[0], BE1_PORT, snat, port, proto, SHUNT_CT_REV, &e);
	assert_int_equal(e.flags & SHUNT_CT_F_SNAT, SHUNT_CT_F_SNAT);
	assert_int_equal(ic_ct_count(), 2);
	return port;
}

#endif /* SHUNT_TEST_ICMPTEST_H */
