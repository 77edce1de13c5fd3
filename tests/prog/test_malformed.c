// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The verdict table of docs/datapath.md ("Verdicts for unusual
 * packets"), row by row, for shunt_xdp and shunt_tc. Every broken frame
 * is addressed to a live service, so a parser that let it through would
 * translate it: each must come back byte for byte with verdict pass, its
 * counter moved by one, nothing else counted and no conntrack state. The
 * rows that are translated (IPv4 options, IPv6 hop-by-hop/destination
 * options, one VLAN tag) are checked against frames built independently.
 * Fragment rows: test_frag.c; no backend: test_conntrack.c.
 */
#include "progtest.h"

static size_t ct_entries(void)
{
	struct shunt_ct_info *v;
	size_t n;

	assert_int_equal(shunt_ct_list(&penv.s, &v, &n), 0);
	free(v);
	return n;
}

/* x->in as prepared: passed untouched and counted once as counter. */
static void expect_pass_raw(enum penv_hook h, struct xmit *x,
			    enum shunt_counter counter, const char *what)
{
	xmit_raw(h, penv.if_cli, x);
	if (x->verdict != penv_pass(h) ||
	    pg_first_diff(x->out, x->out_len, x->in, x->in_len) >= 0 ||
	    penv_check_counters(x->before, x->after, counter, 1, -1))
		print_error("case: %s (%zu bytes)\n", what, x->in_len);
	assert_verdict(x, penv_pass(h));
	assert_unchanged(x);
	assert_counters(x, counter, 1);
	assert_int_equal(ct_entries(), 0);
}

/* The two services every test here targets. */
static void services(struct svc *v4, struct svc *v6, __u8 proto)
{
	svc_two(v4, 4, proto, 1, 1);
	svc_two(v6, 6, proto, 1, 1);
}

/* A good frame to the VIP of family/proto into x->in. */
static void good_frame(struct xmit *x, struct pg_spec *spec, int family,
		       __u8 proto)
{
	pg_spec_init(spec, family == 4 ? PENV_CLIENT4 : PENV_CLIENT6, 45000,
		     family == 4 ? VIP4 : VIP6, SVC_PORT, proto);
	spec->payload_len = 64;
	x->in_len = pg_build(spec, x->in, sizeof(x->in), &x->lay);
	assert_true(x->in_len > 0);
}

static void fix_ip4_csum(struct xmit *x)
{
	uint8_t *ip = x->in + x->lay.l3_off;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = pg_ip4_csum(ip, (size_t)(ip[0] & 0xf) * 4);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/* Rewrite the IP length field to ip_len bytes of IP packet (IPv4: with
 * a valid header checksum). */
static void set_ip_len(struct xmit *x, int family, size_t ip_len)
{
	uint8_t *ip = x->in + x->lay.l3_off;

	if (family == 4) {
		ip[2] = (uint8_t)(ip_len >> 8);
		ip[3] = (uint8_t)ip_len;
		fix_ip4_csum(x);
	} else {
		ip[4] = (uint8_t)((ip_len - 40) >> 8);
		ip[5] = (uint8_t)(ip_len - 40);
	}
}

/* --- Ethernet and VLAN ---------------------------------------------- */

/* Frames shorter than an Ethernet header never reach either hook: the
 * kernel refuses them before any program runs (drivers drop runts, and
 * an skb always has its link-layer header). */
static void test_truncated_ethernet(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t in[14] = {0}, out[64];
	size_t out_len, len;
	__u32 verdict;

	for (len = 0; len < 14; len++)
		assert_int_equal(penv_run(h, penv.if_cli, in, len, out,
					  sizeof(out), &out_len, &verdict),
				 -EINVAL);
}

/* An Ethernet header (and maybe a tag) with an IP header cut short
 * behind it. The kernel's BPF_PROG_TEST_RUN for skbs refuses untagged
 * IPv4/IPv6 frames shorter than an IP header (a real tc ingress still
 * sees them): for tc, the untagged cut is asserted to be refused and the
 * parser is exercised through the tagged variant, which takes the same
 * IP header checks. */
static void test_truncated_after_ethernet(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	int family, nvlan;
	size_t hdr, cut, l3;

	services(&v4, &v6, IPPROTO_TCP);
	for (family = 4; family <= 6; family += 2) {
		hdr = family == 4 ? 20 : 40;
		for (nvlan = 0; nvlan <= 1; nvlan++) {
			l3 = 14 + 4 * (size_t)nvlan;
			for (cut = 0; cut < hdr; cut++) {
				good_frame(&x, &spec, family, IPPROTO_TCP);
				spec.nvlan = nvlan;
				x.in_len = pg_build(&spec, x.in, sizeof(x.in),
						    &x.lay);
				x.in_len = l3 + cut;
				if (h == PENV_TC && !nvlan) {
					assert_int_equal(
						penv_run(h, penv.if_cli, x.in,
							 x.in_len, x.out,
							 sizeof(x.out),
							 &x.out_len,
							 &x.verdict),
						-EINVAL);
					continue;
				}
				expect_pass_raw(h, &x,
						SHUNT_C_PASS_MALFORMED_L3,
						"IP header cut");
			}
		}
	}
}

static void test_truncated_vlan(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	size_t cut;

	services(&v4, &v6, IPPROTO_TCP);
	for (cut = 14; cut < 18; cut++) {
		pg_spec_init(&spec, PENV_CLIENT4, 45000, VIP4, SVC_PORT,
			     IPPROTO_TCP);
		spec.nvlan = 1;
		spec.vlan_tci[0] = 7;
		x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
		x.in_len = cut;
		expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
				"VLAN header cut");
	}
	/* Tag complete, IPv6 header behind it cut short. */
	pg_spec_init(&spec, PENV_CLIENT6, 45000, VIP6, SVC_PORT, IPPROTO_TCP);
	spec.nvlan = 1;
	x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
	x.in_len = 18 + 39;
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
			"IPv6 after VLAN cut");
}

static void test_qinq(void **state)
{
	static const uint16_t tpids[][2] = {
		{0x88a8, 0x8100},
		{0x8100, 0x8100},
		{0x88a8, 0x88a8},
		{0x8100, 0x88a8},
	};
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	size_t i;

	services(&v4, &v6, IPPROTO_TCP);
	for (i = 0; i < sizeof(tpids) / sizeof(tpids[0]); i++) {
		good_frame(&x, &spec, i % 2 ? 6 : 4, IPPROTO_TCP);
		spec.nvlan = 2;
		spec.vlan_tpid[0] = tpids[i][0];
		spec.vlan_tpid[1] = tpids[i][1];
		spec.vlan_tci[0] = 100;
		spec.vlan_tci[1] = 200;
		x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
		expect_pass_raw(h, &x, SHUNT_C_PASS_VLAN_STACKED, "QinQ");
	}
	/* Two tags and nothing behind the second TPID. */
	x.in_len = 18;
	expect_pass_raw(h, &x, SHUNT_C_PASS_VLAN_STACKED, "QinQ, cut");
}

/* One 802.1Q or 802.1ad tag: translated, then left to the stack (which
 * owns VLAN devices): no TTL decrement, no MAC rewrite. */
static void test_vlan_translated(void **state)
{
	static const uint16_t tpids[] = {0x8100, 0x88a8};
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v[2];
	struct xmit x;
	int family, t, idx;

	services(&v[0], &v[1], IPPROTO_TCP);
	for (family = 4; family <= 6; family += 2) {
		for (t = 0; t < 2; t++) {
			const struct svc *s = &v[family == 6];

			good_frame(&x, &spec, family, IPPROTO_TCP);
			spec.sport = (uint16_t)(45100 + t);
			spec.nvlan = 1;
			spec.vlan_tpid[0] = tpids[t];
			spec.vlan_tci[0] = 0x2064; /* prio 1, VID 100 */
			idx = predict_idx(s, &spec);
			xmit(h, penv.if_cli, &spec, &x);
			assert_verdict(&x, penv_pass(h));
			assert_int_equal(x.parsed, 0);
			assert_int_equal(x.info.nvlan, 1);
			assert_int_equal(x.info.vlan_tci[0], 0x2064);
			assert_csums_ok(&x);
			want = spec;
			want.dst = pg_addr(s->be_addr[idx]);
			want.dport = idx == 0 ? BE1_PORT : BE2_PORT;
			assert_frame(&x, &want);
			assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD,
					1, SHUNT_C_PASS_VLAN_NAT, 1);
		}
	}
}

/* --- IP header --------------------------------------------------------- */

static void test_ip_version_mismatch(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	uint8_t ver;

	services(&v4, &v6, IPPROTO_TCP);
	/* IPv4 ethertype, version nibble not 4. */
	for (ver = 0; ver < 16; ver++) {
		if (ver == 4)
			continue;
		good_frame(&x, &spec, 4, IPPROTO_TCP);
		x.in[x.lay.l3_off] = (uint8_t)(ver << 4 | 5);
		fix_ip4_csum(&x);
		expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
				"IPv4 ethertype, bad version");
	}
	/* IPv6 ethertype, version nibble not 6. */
	for (ver = 0; ver < 16; ver++) {
		if (ver == 6)
			continue;
		good_frame(&x, &spec, 6, IPPROTO_TCP);
		x.in[x.lay.l3_off] =
			(uint8_t)(ver << 4 | (x.in[x.lay.l3_off] & 0xf));
		expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
				"IPv6 ethertype, bad version");
	}
	/* A whole IPv6 packet under the IPv4 ethertype and vice versa. */
	good_frame(&x, &spec, 6, IPPROTO_TCP);
	x.in[12] = 0x08;
	x.in[13] = 0x00;
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
			"IPv6 packet, IPv4 ethertype");
	good_frame(&x, &spec, 4, IPPROTO_TCP);
	x.in[12] = 0x86;
	x.in[13] = 0xdd;
	/* long enough for an IPv6 header */
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
			"IPv4 packet, IPv6 ethertype");
}

static void test_ip4_ihl_short(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	uint8_t ihl;

	services(&v4, &v6, IPPROTO_TCP);
	for (ihl = 0; ihl < 5; ihl++) {
		good_frame(&x, &spec, 4, IPPROTO_TCP);
		x.in[x.lay.l3_off] = (uint8_t)(0x40 | ihl);
		expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3, "IHL < 5");
	}
}

static void test_ip4_tot_len(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	size_t tot;

	services(&v4, &v6, IPPROTO_TCP);
	/* Shorter than the header. */
	for (tot = 0; tot < 20; tot++) {
		good_frame(&x, &spec, 4, IPPROTO_TCP);
		set_ip_len(&x, 4, tot);
		expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
				"tot_len < 20");
	}
	/* Shorter than a header with options. */
	pg_spec_init(&spec, PENV_CLIENT4, 45000, VIP4, SVC_PORT, IPPROTO_TCP);
	memset(spec.ip_opts, 1, 8);
	spec.ip_opts_len = 8;
	x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
	set_ip_len(&x, 4, 24);
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3, "tot_len < IHL * 4");
	/* Longer than the frame, by 1 and by a lot. */
	good_frame(&x, &spec, 4, IPPROTO_TCP);
	set_ip_len(&x, 4, x.in_len - x.lay.l3_off + 1);
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
			"tot_len > frame by 1");
	good_frame(&x, &spec, 4, IPPROTO_TCP);
	set_ip_len(&x, 4, 0xffff);
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3, "tot_len 65535");
	/* The same frame cut short (a truncated packet). */
	good_frame(&x, &spec, 4, IPPROTO_TCP);
	x.in_len -= 1;
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3, "frame 1 byte short");
}

static void test_ip6_payload_len(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;

	services(&v4, &v6, IPPROTO_UDP);
	good_frame(&x, &spec, 6, IPPROTO_UDP);
	set_ip_len(&x, 6, x.in_len - x.lay.l3_off + 1);
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
			"payload_len > frame by 1");
	good_frame(&x, &spec, 6, IPPROTO_UDP);
	x.in[x.lay.l3_off + 4] = 0xff;
	x.in[x.lay.l3_off + 5] = 0xff;
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3, "payload_len 65535");
	/* 0: a jumbogram (RFC 2675), not ours. */
	good_frame(&x, &spec, 6, IPPROTO_UDP);
	x.in[x.lay.l3_off + 4] = 0;
	x.in[x.lay.l3_off + 5] = 0;
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3, "payload_len 0");
	good_frame(&x, &spec, 6, IPPROTO_UDP);
	x.in_len -= 1;
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3, "frame 1 byte short");
}

/* IPv4 options: honoured, and the IP checksum covers them. */
static void test_ip4_options_translated(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v4, v6;
	struct xmit x;
	int n, idx;

	services(&v4, &v6, IPPROTO_TCP);
	for (n = 4; n <= 40; n += 4) {
		good_frame(&x, &spec, 4, IPPROTO_TCP);
		spec.sport = (uint16_t)(46000 + n);
		/* Router alert, then NOPs, an EOL at the end. */
		memset(spec.ip_opts, 1, sizeof(spec.ip_opts));
		spec.ip_opts[0] = 0x94;
		spec.ip_opts[1] = 4;
		spec.ip_opts[2] = spec.ip_opts[3] = 0;
		if (n > 4)
			spec.ip_opts[n - 1] = 0;
		spec.ip_opts_len = n;
		idx = predict_idx(&v4, &spec);
		xmit(h, penv.if_cli, &spec, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_int_equal(x.parsed, 0);
		assert_int_equal(x.info.ip_hlen, (size_t)(20 + n));
		assert_csums_ok(&x);
		forwarded_spec(&spec, &want, &v4, idx);
		assert_frame(&x, &want);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
	}
}

/* Hop-by-hop and destination options are skipped; the packet is
 * translated like any other. */
static void v6_ext_translated(enum penv_hook h, const struct svc *v,
			      const uint8_t *types, const uint8_t *lens, int n,
			      __u16 sport)
{
	struct pg_spec spec, want;
	struct xmit x;
	int i, idx;

	good_frame(&x, &spec, 6, IPPROTO_TCP);
	spec.sport = sport;
	for (i = 0; i < n; i++) {
		spec.ext[i].type = types[i];
		spec.ext[i].len = lens ? lens[i] : 8;
	}
	spec.next = n;
	idx = predict_idx(v, &spec);
	xmit(h, penv.if_cli, &spec, &x);
	if (x.verdict != penv_redirect(h))
		print_error("%d extension header(s): verdict %u\n", n,
			    x.verdict);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	assert_csums_ok(&x);
	forwarded_spec(&spec, &want, v, idx);
	assert_frame(&x, &want);
}

static void test_ip6_hbh_dest_translated(void **state)
{
	static const uint8_t hop[] = {PG_EXT_HOP};
	static const uint8_t dest[] = {PG_EXT_DEST};
	static const uint8_t both[] = {PG_EXT_HOP, PG_EXT_DEST};
	static const uint8_t three[] = {PG_EXT_HOP, PG_EXT_DEST, PG_EXT_DEST};
	static const uint8_t big[] = {24, 64};
	enum penv_hook h = hook_of(state);
	struct svc v4, v6;

	services(&v4, &v6, IPPROTO_TCP);
	v6_ext_translated(h, &v6, hop, NULL, 1, 47001);
	v6_ext_translated(h, &v6, dest, NULL, 1, 47002);
	v6_ext_translated(h, &v6, both, NULL, 2, 47003);
	v6_ext_translated(h, &v6, both, big, 2, 47004);
	v6_ext_translated(h, &v6, three, NULL, 3, 47005);
}

/* "skipped (up to 4 extension headers)": four are still ours. */
static void test_ip6_four_ext_translated(void **state)
{
	static const uint8_t four[] = {PG_EXT_HOP, PG_EXT_DEST, PG_EXT_DEST,
				       PG_EXT_DEST};
	enum penv_hook h = hook_of(state);
	struct svc v4, v6;

	services(&v4, &v6, IPPROTO_TCP);
	v6_ext_translated(h, &v6, four, NULL, 4, 47006);
}

static void test_ip6_ext_passed(void **state)
{
	static const struct {
		uint8_t types[6];
		int n;
		const char *what;
	} cases[] = {
		{{PG_EXT_ROUTING}, 1, "routing header"},
		{{PG_EXT_HOP, PG_EXT_ROUTING}, 2, "hop-by-hop, routing"},
		{{PG_EXT_DEST, PG_EXT_ROUTING, PG_EXT_DEST},
		 3,
		 "dest, routing, dest"},
		{{PG_EXT_ESP}, 1, "ESP"},
		{{PG_EXT_HOP, PG_EXT_ESP}, 2, "hop-by-hop, ESP"},
		{{PG_EXT_AH}, 1, "AH"},
		{{PG_EXT_DEST, PG_EXT_AH}, 2, "dest, AH"},
		{{PG_EXT_HOP, PG_EXT_DEST, PG_EXT_DEST, PG_EXT_DEST,
		  PG_EXT_DEST},
		 5,
		 "5 extension headers"},
		{{PG_EXT_HOP, PG_EXT_DEST, PG_EXT_DEST, PG_EXT_DEST,
		  PG_EXT_DEST, PG_EXT_DEST},
		 6,
		 "6 extension headers"},
	};
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	size_t i;
	int j;

	services(&v4, &v6, IPPROTO_TCP);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		good_frame(&x, &spec, 6, IPPROTO_TCP);
		for (j = 0; j < cases[i].n; j++)
			spec.ext[j].type = cases[i].types[j];
		spec.next = cases[i].n;
		x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
		expect_pass_raw(h, &x, SHUNT_C_PASS_V6_EXT, cases[i].what);
	}
}

/* An extension header that claims more than the payload holds. */
static void test_ip6_ext_truncated(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	size_t ext_off;

	services(&v4, &v6, IPPROTO_TCP);
	good_frame(&x, &spec, 6, IPPROTO_TCP);
	spec.payload_len = 0;
	spec.ext[0].type = PG_EXT_HOP;
	spec.ext[1].type = PG_EXT_DEST;
	spec.next = 2;
	x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
	/* The destination options header claims 255 * 8 + 8 bytes. */
	ext_off = x.lay.l3_off + 40 + 8;
	x.in[ext_off + 1] = 255;
	expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L3,
			"extension header beyond payload");
}

/* --- upper layer -------------------------------------------------------- */

static void test_not_l4(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;

	services(&v4, &v6, IPPROTO_TCP);
	pg_spec_init(&spec, PENV_CLIENT4, 0, VIP4, 0, IPPROTO_ICMP);
	x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
	expect_pass_raw(h, &x, SHUNT_C_PASS_NOT_L4, "ICMP");
	pg_spec_init(&spec, PENV_CLIENT6, 0, VIP6, 0, IPPROTO_ICMPV6);
	x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
	expect_pass_raw(h, &x, SHUNT_C_PASS_NOT_L4, "ICMPv6");
	pg_spec_init(&spec, PENV_CLIENT4, 0, VIP4, 0, 132);
	x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
	expect_pass_raw(h, &x, SHUNT_C_PASS_NOT_L4, "SCTP");
	/* Not IP at all. */
	pg_spec_init(&spec, PENV_CLIENT4, 0, VIP4, 0, IPPROTO_TCP);
	spec.ethertype = 0x0806;
	x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
	expect_pass_raw(h, &x, SHUNT_C_PASS_NOT_IP, "ARP ethertype");
}

static void test_tcp_truncated(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	int family;
	size_t keep;

	services(&v4, &v6, IPPROTO_TCP);
	for (family = 4; family <= 6; family += 2) {
		/* Fewer than 20 bytes of TCP, the IP length agreeing. */
		for (keep = 0; keep < 20; keep++) {
			good_frame(&x, &spec, family, IPPROTO_TCP);
			x.in_len = x.lay.l4_off + keep;
			set_ip_len(&x, family, x.in_len - x.lay.l3_off);
			/* IPv6 payload length 0 is the jumbogram row. */
			expect_pass_raw(h, &x,
					family == 6 && !keep
						? SHUNT_C_PASS_MALFORMED_L3
						: SHUNT_C_PASS_MALFORMED_L4,
					"TCP header cut");
		}
		/* 20 bytes in the frame, but the IP length ends early
		 * (Ethernet padding behind it). */
		good_frame(&x, &spec, family, IPPROTO_TCP);
		set_ip_len(&x, family, x.lay.l4_off - x.lay.l3_off + 12);
		expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L4,
				"TCP header beyond IP length");
	}
}

static void test_tcp_doff(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	int family;
	uint8_t doff;

	services(&v4, &v6, IPPROTO_TCP);
	for (family = 4; family <= 6; family += 2) {
		for (doff = 0; doff < 5; doff++) {
			good_frame(&x, &spec, family, IPPROTO_TCP);
			x.in[x.lay.l4_off + 12] = (uint8_t)(doff << 4);
			expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L4,
					"doff < 5");
		}
		/* Data offset beyond the IP payload: 20 + 8 bytes of
		 * segment, doff claiming 32 and 60 bytes. */
		for (doff = 8; doff <= 15; doff += 7) {
			good_frame(&x, &spec, family, IPPROTO_TCP);
			spec.payload_len = 8;
			x.in_len = pg_build(&spec, x.in, sizeof(x.in), &x.lay);
			x.in[x.lay.l4_off + 12] = (uint8_t)(doff << 4);
			expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L4,
					"doff beyond payload");
		}
	}
}

static void test_udp_malformed(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	int family;
	size_t keep;
	uint16_t ulen;

	services(&v4, &v6, IPPROTO_UDP);
	for (family = 4; family <= 6; family += 2) {
		for (keep = 0; keep < 8; keep++) {
			good_frame(&x, &spec, family, IPPROTO_UDP);
			x.in_len = x.lay.l4_off + keep;
			set_ip_len(&x, family, x.in_len - x.lay.l3_off);
			expect_pass_raw(h, &x,
					family == 6 && !keep
						? SHUNT_C_PASS_MALFORMED_L3
						: SHUNT_C_PASS_MALFORMED_L4,
					"UDP header cut");
		}
		/* UDP length below 8. */
		for (ulen = 0; ulen < 8; ulen++) {
			good_frame(&x, &spec, family, IPPROTO_UDP);
			x.in[x.lay.l4_off + 4] = 0;
			x.in[x.lay.l4_off + 5] = (uint8_t)ulen;
			expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L4,
					"UDP length < 8");
		}
		/* UDP length beyond the IP payload. */
		good_frame(&x, &spec, family, IPPROTO_UDP);
		ulen = (uint16_t)(x.lay.l4_len + 1);
		x.in[x.lay.l4_off + 4] = (uint8_t)(ulen >> 8);
		x.in[x.lay.l4_off + 5] = (uint8_t)ulen;
		expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L4,
				"UDP length > IP payload");
		good_frame(&x, &spec, family, IPPROTO_UDP);
		x.in[x.lay.l4_off + 4] = 0xff;
		x.in[x.lay.l4_off + 5] = 0xff;
		expect_pass_raw(h, &x, SHUNT_C_PASS_MALFORMED_L4,
				"UDP length 65535");
	}
}

/* --- TTL ------------------------------------------------------------------ */

static void test_ttl_exceeded(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec;
	struct svc v4, v6;
	struct xmit x;
	int family;
	__u8 proto;
	uint8_t ttl;

	services(&v4, &v6, IPPROTO_TCP);
	services(&v4, &v6, IPPROTO_UDP);
	for (proto = IPPROTO_TCP; proto <= IPPROTO_UDP;
	     proto = (__u8)(proto + IPPROTO_UDP - IPPROTO_TCP)) {
		for (family = 4; family <= 6; family += 2) {
			for (ttl = 0; ttl <= 1; ttl++) {
				good_frame(&x, &spec, family, proto);
				spec.ttl = ttl;
				spec.ttl_zero = true;
				x.in_len = pg_build(&spec, x.in, sizeof(x.in),
						    &x.lay);
				expect_pass_raw(h, &x, SHUNT_C_PASS_TTL,
						"TTL <= 1");
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_truncated_ethernet),
		PROG_TEST(test_truncated_after_ethernet),
		PROG_TEST(test_truncated_vlan),
		PROG_TEST(test_qinq),
		PROG_TEST(test_vlan_translated),
		PROG_TEST(test_ip_version_mismatch),
		PROG_TEST(test_ip4_ihl_short),
		PROG_TEST(test_ip4_tot_len),
		PROG_TEST(test_ip6_payload_len),
		PROG_TEST(test_ip4_options_translated),
		PROG_TEST(test_ip6_hbh_dest_translated),
		PROG_TEST(test_ip6_four_ext_translated),
		PROG_TEST(test_ip6_ext_passed),
		PROG_TEST(test_ip6_ext_truncated),
		PROG_TEST(test_not_l4),
		PROG_TEST(test_tcp_truncated),
		PROG_TEST(test_tcp_doff),
		PROG_TEST(test_udp_malformed),
		PROG_TEST(test_ttl_exceeded),
	};

	return cmocka_run_group_tests_name("prog_malformed", tests, penv_setup,
					   penv_teardown);
}
