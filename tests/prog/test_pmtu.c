// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Path MTU through a VIP (bpf/lib/pmtu.h), XDP and tc. A translated
 * packet too big for the interface it must leave by (bpf_fib_lookup:
 * BPF_FIB_LKUP_RET_FRAG_NEEDED) that may not be fragmented (IPv6, IPv4
 * with DF) is answered, back out of the interface it came in on with
 * the MACs swapped, from the address its sender sent it to, to the
 * sender: ICMP Fragmentation Needed (type 3 code 4, the MTU in the low
 * 16 bits of the 4 bytes after the checksum) or ICMPv6 Packet Too Big
 * (type 2 code 0, 32-bit MTU), quoting the fixed IP header and 8 bytes
 * of L4 as the sender sent them (icmp_too_big_sent):
 *   - a client's packet to a VIP: from the VIP, quoting client -> VIP;
 *   - a backend's reply: from the client, quoting backend -> client;
 *   - masqueraded flows likewise, from the SNAT address to a backend.
 * The answer's own IP header is the one of every answer shunt builds
 * (reject.h): TTL / hop limit 64, IPv4 ID 0 without DF, no TOS / traffic
 * class. A packet whose L4 header does not follow the fixed header
 * (IPv4 options, IPv6 extension headers) or a fragment is dropped
 * (drop_too_big); IPv4 without DF still goes to the stack translated
 * (pass_fib_fail), which fragments it.
 *
 * The egress gets the smaller MTU as test_forward.c does it: "ip link
 * set ... mtu"; every test puts 1500 back in its teardown. Expected
 * answers are built from scratch (icmptest.h) from the frame as it was
 * sent, their checksums summed twice, and compared byte for byte.
 */
#include "icmptest.h"

#define MTU_SMALL 1400
#define BIG_LEN	  1450 /* IP length of a packet too big for it */
#define CPORT	  43000

static int mtu_1500(void **state)
{
	(void)state;
	return penv_sh("ip link set " PENV_CLI_IF " mtu 1500 && "
		       "ip link set " PENV_BE_IF " mtu 1500");
}

static void set_mtu(const char *dev, int mtu)
{
	assert_int_equal(penv_sh("ip link set %s mtu %d", dev, mtu), 0);
}

/* Payload bytes that make an IP packet of spec's family and protocol
 * ip_len bytes long (no options or extension headers). */
static size_t payload_for(const struct pg_spec *s, size_t ip_len)
{
	size_t hdrs = (s->src.family == 4 ? 20 : 40) +
		      (s->proto == IPPROTO_TCP ? 20 : 8);

	assert_true(ip_len >= hdrs);
	return ip_len - hdrs;
}

/*
 * The answer to the frame in (in_len bytes, as its sender sent it):
 * back to where it came from (MACs swapped), from `from` to `to`, type
 * 3 code 4 with the MTU in the low 16 bits (IPv4) or type 2 code 0 with
 * the 32-bit MTU (IPv6), quoting in's fixed IP header and 8 bytes.
 */
static void too_big_err(const uint8_t *in, size_t in_len, const char *from,
			const char *to, uint32_t mtu, struct ic_err *e,
			uint8_t quote[IC_MAX_QUOTE])
{
	memset(e, 0, sizeof(*e));
	memcpy(e->dmac, in + 6, 6);
	memcpy(e->smac, in, 6);
	e->src = pg_addr(from);
	e->dst = pg_addr(to);
	e->ttl = 64;
	if (e->src.family == 4) {
		e->type = 3;
		e->code = 4;
		e->rest = mtu & 0xffff;
	} else {
		e->type = 2;
		e->code = 0;
		e->rest = mtu;
	}
	e->quote = quote;
	e->quote_len = ic_quote(in, in_len, 8, quote, IC_MAX_QUOTE);
}

/* x was answered, as too_big_err says. */
static void assert_too_big(const struct xmit *x, const char *from,
			   const char *to, uint32_t mtu)
{
	uint8_t quote[IC_MAX_QUOTE];
	struct ic_err e;

	assert_verdict(x, x->hook == PENV_XDP ? XDP_TX : TC_ACT_REDIRECT);
	too_big_err(x->in, x->in_len, from, to, mtu, &e, quote);
	assert_icmp_frame(x, &e, false);
}

/* A segment of the flow of syn (client -> VIP) carrying data, ip_len
 * bytes of IP, DF on IPv4 when df is set. */
static void data_spec(const struct pg_spec *syn, struct pg_spec *s,
		      size_t ip_len, bool df)
{
	*s = *syn;
	if (s->proto == IPPROTO_TCP) {
		s->tcp_flags = PG_TCP_ACK | PG_TCP_PSH;
		s->seq = syn->seq + 1;
		s->ack = 5001;
	}
	s->df = df;
	s->payload_len = payload_for(s, ip_len);
}

/* The backend's reply of the flow of syn carrying data, ip_len bytes. */
static void reply_data_spec(const struct pg_spec *syn, struct pg_spec *s,
			    const struct svc *v, int idx, size_t ip_len,
			    bool df)
{
	reply_spec(syn, s, v, idx);
	if (s->proto == IPPROTO_TCP) {
		s->tcp_flags = PG_TCP_ACK | PG_TCP_PSH;
		s->seq = 5001;
	}
	s->df = df;
	s->payload_len = payload_for(s, ip_len);
}

/* (a), (b): a client's segment, translated to a backend behind an
 * egress of MTU 1400, too big: Fragmentation Needed / Packet Too Big
 * from the VIP, quoting client -> VIP. The flow stays; the segment sent
 * again at 1400 bytes is forwarded. */
static void test_pmtu_forward(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec syn, big, fits, want;
	struct svc v;
	struct xmit x;
	int family, idx;

	set_mtu(PENV_BE_IF, MTU_SMALL);
	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		idx = open_flow(h, &v, IPPROTO_TCP, CPORT, &syn);

		data_spec(&syn, &big, BIG_LEN, true);
		xmit(h, penv.if_cli, &big, &x);
		assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_ICMP_TOO_BIG, 1);
		assert_too_big(&x, v.vip, v.client, MTU_SMALL);
		assert_int_equal(x.out_len, 14 + (family == 4 ? 56 : 96));
		assert_int_equal(ic_ct_count(), 2);

		data_spec(&syn, &fits, MTU_SMALL, true);
		xmit(h, penv.if_cli, &fits, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
		forwarded_spec(&fits, &want, &v, idx);
		assert_frame(&x, &want);
		assert_csums_ok(&x);
	}
}

/* (c): a backend's reply too big for the client's side: the error goes
 * to the backend, from the client, quoting backend -> client as the
 * backend sent it. */
static void test_pmtu_reply(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec syn, reply, want;
	struct svc v;
	struct xmit x;
	int family, idx;

	set_mtu(PENV_CLI_IF, MTU_SMALL);
	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		idx = open_flow(h, &v, IPPROTO_TCP, CPORT, &syn);

		/* The SYN-ACK fits. */
		reply_spec(&syn, &reply, &v, idx);
		xmit(h, penv.if_be, &reply, &x);
		assert_verdict(&x, penv_redirect(h));
		reversed_spec(&reply, &want, &v);
		assert_frame(&x, &want);

		reply_data_spec(&syn, &reply, &v, idx, BIG_LEN, true);
		xmit(h, penv.if_be, &reply, &x);
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_ICMP_TOO_BIG, 1);
		assert_too_big(&x, v.client, v.be_addr[idx], MTU_SMALL);
		/* Back to the backend from be0. */
		assert_mac_str(x.out, be_mac(idx));
		assert_mac(x.out + 6, penv.mac_be);
		assert_int_equal(ic_ct_count(), 2);

		/* At the MTU: translated and forwarded. */
		reply_data_spec(&syn, &reply, &v, idx, MTU_SMALL, true);
		xmit(h, penv.if_be, &reply, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_REDIRECT, 1);
		reversed_spec(&reply, &want, &v);
		assert_frame(&x, &want);
	}
}

/*
 * UDP, both ways (IPv4 with DF, IPv6): a client's datagram of a new
 * flow and the backend's reply, too big. The quote's 8 bytes of UDP are
 * the sender's, its checksum among them: the checksum of the datagram
 * as sent, not of the translated one.
 */
static void test_pmtu_udp(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec big, reply;
	struct svc v;
	struct xmit x;
	int family, idx;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		assert_int_equal(mtu_1500(NULL), 0);
		set_mtu(PENV_BE_IF, MTU_SMALL);
		svc_two(&v, family, IPPROTO_UDP, 1, 1);
		pg_spec_init(&big, v.client, CPORT, v.vip, SVC_PORT,
			     IPPROTO_UDP);
		idx = predict_idx(&v, &big);
		big.df = true;
		big.payload_len = payload_for(&big, BIG_LEN);
		xmit(h, penv.if_cli, &big, &x);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_ICMP_TOO_BIG, 1);
		assert_too_big(&x, v.vip, v.client, MTU_SMALL);
		assert_int_equal(ic_ct_count(), 2);

		set_mtu(PENV_BE_IF, 1500);
		set_mtu(PENV_CLI_IF, MTU_SMALL);
		reply_data_spec(&big, &reply, &v, idx, BIG_LEN, true);
		xmit(h, penv.if_be, &reply, &x);
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_ICMP_TOO_BIG, 1);
		assert_too_big(&x, v.client, v.be_addr[idx], MTU_SMALL);
	}
}

/* (d): IPv4 without DF, either way: the stack gets the packet
 * translated, TTL and MACs untouched, and fragments it. */
static void test_pmtu_no_df(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec syn, big, want;
	struct svc v;
	struct xmit x;
	int idx;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	idx = open_flow(h, &v, IPPROTO_TCP, CPORT, &syn);

	/* The client's segment. */
	set_mtu(PENV_BE_IF, MTU_SMALL);
	data_spec(&syn, &big, BIG_LEN, false);
	xmit(h, penv.if_cli, &big, &x);
	assert_verdict(&x, penv_pass(h));
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_PASS_FIB_FAIL, 1);
	want = big;
	want.dst = pg_addr(v.be_addr[idx]);
	want.dport = idx == 0 ? BE1_PORT : BE2_PORT;
	assert_frame(&x, &want);
	assert_csums_ok(&x);

	/* The backend's reply. */
	set_mtu(PENV_BE_IF, 1500);
	set_mtu(PENV_CLI_IF, MTU_SMALL);
	reply_data_spec(&syn, &big, &v, idx, BIG_LEN, false);
	xmit(h, penv.if_be, &big, &x);
	assert_verdict(&x, penv_pass(h));
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_PASS_FIB_FAIL, 1);
	want = big;
	want.src = pg_addr(v.vip);
	want.sport = SVC_PORT;
	assert_frame(&x, &want);
	assert_csums_ok(&x);
	assert_int_equal(ic_ct_count(), 2);
}

/* Masqueraded flows (external service, backend on another node): the
 * client's segment is answered from the VIP quoting client -> VIP (the
 * client from the flow's REV entry); the backend's reply from the SNAT
 * address it was sent to, quoting backend -> SNAT address:port. */
static void test_pmtu_snat(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec syn, big, reply;
	struct svc v;
	struct xmit x;
	int family;
	__u16 port;

	for (family = 4; family <= 6; family += 2) {
		const char *snat = family == 4 ? IC_SNAT4 : IC_SNAT6;

		assert_int_equal(penv_reset(NULL), 0);
		assert_int_equal(mtu_1500(NULL), 0);
		ic_snat_service(&v, family, IPPROTO_TCP);
		port = ic_open_snat_flow(h, &v, IPPROTO_TCP, CPORT, &syn);

		set_mtu(PENV_BE_IF, MTU_SMALL);
		data_spec(&syn, &big, BIG_LEN, true);
		xmit(h, penv.if_cli, &big, &x);
		assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_ICMP_TOO_BIG, 1);
		assert_too_big(&x, v.vip, v.client, MTU_SMALL);

		/* The backend answers the masqueraded tuple. */
		set_mtu(PENV_BE_IF, 1500);
		set_mtu(PENV_CLI_IF, MTU_SMALL);
		pg_spec_init(&reply, v.be_addr[0], BE1_PORT, snat, port,
			     IPPROTO_TCP);
		pg_mac(reply.smac, PENV_BE1_MAC);
		memcpy(reply.dmac, penv.mac_be, 6);
		reply.tcp_flags = PG_TCP_ACK | PG_TCP_PSH;
		reply.seq = 5001;
		reply.ack = syn.seq + 1;
		reply.df = true;
		reply.payload_len = payload_for(&reply, BIG_LEN);
		xmit(h, penv.if_be, &reply, &x);
		assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
				SHUNT_C_ICMP_TOO_BIG, 1);
		assert_too_big(&x, snat, v.be_addr[0], MTU_SMALL);
		assert_int_equal(ic_ct_count(), 2);
	}
}

/* Nothing to quote from the fixed header and the ports: IPv4 options,
 * an IPv6 extension header, a fragment (IPv6; IPv4 with DF and MF, as
 * odd as it is). Dropped (drop_too_big), the flow made all the same. */
static void test_pmtu_cannot_quote(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec s;
	struct svc v;
	struct xmit x;
	int i;

	set_mtu(PENV_BE_IF, MTU_SMALL);
	for (i = 0; i < 4; i++) {
		bool frag = i >= 2;

		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, i == 0 || i == 3 ? 4 : 6, IPPROTO_UDP, 1, 1);
		pg_spec_init(&s, v.client, (__u16)(CPORT + i), v.vip, SVC_PORT,
			     IPPROTO_UDP);
		s.df = true;
		s.payload_len = payload_for(&s, BIG_LEN);
		if (i == 0) {
			/* Four NOPs: ihl 6. */
			memset(s.ip_opts, 1, 4);
			s.ip_opts_len = 4;
		} else if (i == 1) {
			s.ext[s.next++].type = PG_EXT_DEST;
		} else {
			/* The first fragment of a bigger datagram. */
			s.payload_len += 400;
			if (i == 2)
				s.ext[s.next++].type = PG_EXT_FRAGMENT;
			s.frag = true;
			s.frag_more = true;
			s.frag_len = 1400; /* 1448 / 1420 bytes of IP */
			s.frag_id = 77;
		}
		xmit(h, penv.if_cli, &s, &x);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_FRAG_FIRST,
				frag ? 1 : 0, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_DROP_TOO_BIG, 1);
		assert_verdict(&x, penv_drop(h));
		assert_int_equal(ic_ct_count(), 2);
	}
}

/* At the MTU: forwarded. One byte more: too big, on XDP, whose FIB
 * lookup gets the IP length. tc leaves the length to the kernel
 * (is_skb_forwardable(), which allows a VLAN header's 4 bytes beyond
 * the MTU): 5 bytes more. */
static void test_pmtu_boundary(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec syn, s, want;
	struct svc v;
	struct xmit x;
	int family, idx;

	set_mtu(PENV_BE_IF, MTU_SMALL);
	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		idx = open_flow(h, &v, IPPROTO_TCP, CPORT, &syn);

		data_spec(&syn, &s, MTU_SMALL, true);
		xmit(h, penv.if_cli, &s, &x);
		assert_verdict(&x, penv_redirect(h));
		forwarded_spec(&s, &want, &v, idx);
		assert_frame(&x, &want);

		data_spec(&syn, &s, MTU_SMALL + (h == PENV_XDP ? 1 : 5), true);
		xmit(h, penv.if_cli, &s, &x);
		assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_ICMP_TOO_BIG, 1);
		assert_too_big(&x, v.vip, v.client, MTU_SMALL);
	}
}

/* XDP: a route to the backends with a locked MTU below the device's
 * is what the FIB lookup checks against (an unlocked route MTU is not:
 * bpf_fib_lookup's choice, unlike IPv4 forwarding's). tc passes the
 * kernel no length and gets the device's MTU checked only. */
static void test_pmtu_route_mtu(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec syn, s;
	struct svc v;
	struct xmit x;

	assert_int_equal(penv_sh("ip route replace %s/32 dev %s mtu lock 1300 "
				 "&& ip route replace %s/32 dev %s mtu lock "
				 "1300",
				 PENV_BE1_4, PENV_BE_IF, PENV_BE2_4,
				 PENV_BE_IF),
			 0);
	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	open_flow(h, &v, IPPROTO_TCP, CPORT, &syn);
	data_spec(&syn, &s, 1400, true);
	xmit(h, penv.if_cli, &s, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_ICMP_TOO_BIG, 1);
	assert_too_big(&x, v.vip, v.client, 1300);
}

static int routes_back(void **state)
{
	(void)state;
	return penv_sh("ip route del %s/32 dev %s; ip route del %s/32 dev %s; "
		       "true",
		       PENV_BE1_4, PENV_BE_IF, PENV_BE2_4, PENV_BE_IF);
}

/*
 * The first packet of a masqueraded flow too big for the egress (a TCP
 * Fast Open SYN with data, DF): the flow is masqueraded all the same
 * (SNAT entries, snat_new) and the client answered from the VIP; the SYN
 * sent again smaller leaves from the SNAT address. The SNAT decision's
 * own FIB lookup (snat.h, snat_egress) must not take the packet's size
 * for "no route".
 */
static void test_pmtu_snat_first_packet(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_ct_entry e;
	struct pg_spec syn, want;
	struct svc v;
	struct xmit x;
	int family;

	set_mtu(PENV_BE_IF, MTU_SMALL);
	for (family = 4; family <= 6; family += 2) {
		const char *snat = family == 4 ? IC_SNAT4 : IC_SNAT6;

		assert_int_equal(penv_reset(NULL), 0);
		ic_snat_service(&v, family, IPPROTO_TCP);
		pg_spec_init(&syn, v.client, CPORT, v.vip, SVC_PORT,
			     IPPROTO_TCP);
		syn.df = true;
		syn.payload_len = payload_for(&syn, BIG_LEN);
		xmit(h, penv.if_cli, &syn, &x);
		if (penv_check_counters(x.before, x.after, SHUNT_C_CT_MISS, 1,
					SHUNT_C_SNAT_NEW, 1, SHUNT_C_NAT_FWD, 1,
					SHUNT_C_ICMP_TOO_BIG, 1, -1))
			fail_msg("IPv%d: the too-big first packet did not "
				 "make a masqueraded flow",
				 family);
		assert_too_big(&x, v.vip, v.client, MTU_SMALL);
		ic_ct_get(v.client, CPORT, v.vip, SVC_PORT, IPPROTO_TCP,
			  SHUNT_CT_FWD, &e);
		assert_int_equal(e.flags & SHUNT_CT_F_SNAT, SHUNT_CT_F_SNAT);

		syn.payload_len = 0;
		xmit(h, penv.if_cli, &syn, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_int_equal(x.parsed, 0);
		forwarded_spec(&syn, &want, &v, 0);
		want.src = pg_addr(snat);
		want.sport = x.info.sport;
		assert_frame(&x, &want);
		assert_int_equal(e.snat_port, htons(x.info.sport));
		assert_int_equal(ic_ct_count(), 2);
	}
}

/*
 * A client's SYN with data (DF) to a DSR service, 1398 bytes of IP: the
 * option shunt adds for the backend's node (8 bytes IPv4, 24 IPv6)
 * makes it too big (on tc too, beyond its slack of 4). The
 * client is told the MTU less the option and the quote is its SYN as it
 * sent it, without the option (IPv4: ihl 5 and its length; IPv6: next
 * header TCP and its payload length).
 */
static void test_pmtu_dsr(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec syn;
	struct svc v;
	struct xmit x;
	int family;

	set_mtu(PENV_BE_IF, MTU_SMALL);
	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		ic_remote_service(&v, family, IPPROTO_TCP, SHUNT_FE_F_MODE_DSR);
		pg_spec_init(&syn, v.client, CPORT, v.vip, SVC_PORT,
			     IPPROTO_TCP);
		syn.df = true;
		syn.payload_len = payload_for(&syn, MTU_SMALL - 2);
		xmit(h, penv.if_cli, &syn, &x);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_DSR_NEW, 1,
				SHUNT_C_DSR_OPT_SENT, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_ICMP_TOO_BIG, 1);
		assert_too_big(&x, v.vip, v.client,
			       MTU_SMALL - (family == 4 ? 8 : 24));
		assert_int_equal(ic_ct_count(), 1);
	}
}

#define MTU_TEST(f)                                                            \
	{#f "/xdp", f, penv_reset, mtu_1500, (void *)&penv_hooks[PENV_XDP]},   \
	{                                                                      \
#f "/tc", f, penv_reset, mtu_1500,                             \
			(void *)&penv_hooks[PENV_TC]                           \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MTU_TEST(test_pmtu_forward),
		MTU_TEST(test_pmtu_reply),
		MTU_TEST(test_pmtu_udp),
		MTU_TEST(test_pmtu_no_df),
		MTU_TEST(test_pmtu_snat),
		MTU_TEST(test_pmtu_dsr),
		MTU_TEST(test_pmtu_cannot_quote),
		MTU_TEST(test_pmtu_boundary),
		{"test_pmtu_route_mtu/xdp", test_pmtu_route_mtu, penv_reset,
		 routes_back, (void *)&penv_hooks[PENV_XDP]},
		MTU_TEST(test_pmtu_snat_first_packet),
	};

	return cmocka_run_group_tests_name("prog_pmtu", tests, penv_setup,
					   penv_teardown);
}
