// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPv6 extension headers at the edges, regressions of two datapath bugs
 * that tests/fuzz/fuzz_xdp found (inputs in tests/fuzz/repro/):
 *
 *  - nat-offset: behind hop-by-hop/destination options the L4 header
 *    can start near or beyond byte 255 of the frame, where direct packet
 *    access ends (CTX_MAX_HDR_OFF). XDP dropped such packets
 *    (drop_nat_fail) after creating their conntrack entries; both hooks
 *    passed an L4 header starting beyond 255 untranslated as
 *    pass_malformed_l4. They are translated like any packet now, in both
 *    directions, also when the L4 header lies in a later buffer of a
 *    multi-buffer XDP frame.
 *  - frag6-plen: a fragment header that runs past payload_len was read
 *    from the bytes behind the IPv6 packet and a later fragment
 *    translated; it is passed untouched and counted pass_malformed_l3,
 *    like every extension header beyond the payload.
 *
 * Expected frames are built independently: the frame without extension
 * headers from tests/lib/pktgen, then the headers inserted (they do not
 * enter the L4 checksum).
 */
#include "progtest.h"

#define FRAG_ID 0xfeed

/* Insert IPv6 extension headers of sizes[0..n) bytes (multiples of 8, at
 * most 2048) behind the IPv6 header of the frame in buf: hop-by-hop
 * first, then destination options, all options Pad1 (zero bytes).
 * Fixes payload_len and the next-header chain; returns the new length. */
static size_t insert_ext(uint8_t *buf, size_t len, size_t cap, size_t l3_off,
			 const size_t *sizes, int n)
{
	size_t total = 0, off = l3_off + 40, plen;
	uint8_t upper = buf[l3_off + 6];
	int i;

	for (i = 0; i < n; i++) {
		assert_true(sizes[i] >= 8 && sizes[i] <= 2048 &&
			    sizes[i] % 8 == 0);
		total += sizes[i];
	}
	assert_true(len + total <= cap);
	memmove(buf + off + total, buf + off, len - off);
	memset(buf + off, 0, total);
	buf[l3_off + 6] = n ? PG_EXT_HOP : upper;
	for (i = 0; i < n; i++) {
		buf[off] = i + 1 < n ? PG_EXT_DEST : upper;
		buf[off + 1] = (uint8_t)(sizes[i] / 8 - 1);
		off += sizes[i];
	}
	plen = (size_t)(buf[l3_off + 4] << 8 | buf[l3_off + 5]) + total;
	buf[l3_off + 4] = (uint8_t)(plen >> 8);
	buf[l3_off + 5] = (uint8_t)plen;
	return len + total;
}

/* Run spec's frame with the extension headers through the hook. */
static void xmit_ext(enum penv_hook h, int ifindex, const struct pg_spec *s,
		     const size_t *sizes, int n, struct xmit *x)
{
	x->in_len = pg_build(s, x->in, sizeof(x->in), &x->lay);
	assert_true(x->in_len > 0);
	x->in_len = insert_ext(x->in, x->in_len, sizeof(x->in), x->lay.l3_off,
			       sizes, n);
	xmit_raw(h, ifindex, x);
}

/* The output is spec's frame with the same extension headers. */
static void assert_frame_ext(const struct xmit *x, const struct pg_spec *s,
			     const size_t *sizes, int n)
{
	uint8_t want[PG_MAX_FRAME];
	struct pg_layout lay;
	size_t len = pg_build(s, want, sizeof(want), &lay);

	assert_true(len > 0);
	len = insert_ext(want, len, sizeof(want), lay.l3_off, sizes, n);
	assert_bytes("frame", x->out, x->out_len, want, len);
}

/* ct_map holds exactly the FWD and REV entry of spec's flow to backend
 * idx of v. */
static void assert_ct_flow(const struct svc *v, const struct pg_spec *s,
			   int idx)
{
	struct pg_addr bea = pg_addr(v->be_addr[idx]);
	union shunt_ip be = penv_ip(&bea);
	__u16 bport = idx == 0 ? BE1_PORT : BE2_PORT;
	struct shunt_ct_info *all;
	struct shunt_ct_entry e;
	struct shunt_ct_key k;
	size_t n;

	assert_int_equal(shunt_ct_list(&penv.s, &all, &n), 0);
	free(all);
	assert_int_equal(n, 2);

	memset(&k, 0, sizeof(k));
	k.src = penv_ip(&s->src);
	k.dst = penv_ip(&s->dst);
	k.sport = htons(s->sport);
	k.dport = htons(s->dport);
	k.proto = s->proto;
	k.family = SHUNT_V6;
	k.dir = SHUNT_CT_FWD;
	assert_int_equal(bpf_map_lookup_elem(penv.s.ct_map, &k, &e), 0);
	assert_memory_equal(&e.nat_addr, &be, sizeof(be));
	assert_int_equal(ntohs(e.nat_port), bport);
	assert_int_equal(e.backend_id, v->be[idx]);
	assert_int_equal(e.svc_id, v->id);

	memset(&k, 0, sizeof(k));
	k.src = be;
	k.dst = penv_ip(&s->src);
	k.sport = htons(bport);
	k.dport = htons(s->sport);
	k.proto = s->proto;
	k.family = SHUNT_V6;
	k.dir = SHUNT_CT_REV;
	assert_int_equal(bpf_map_lookup_elem(penv.s.ct_map, &k, &e), 0);
	k.src = penv_ip(&s->dst); /* the VIP to restore */
	assert_memory_equal(&e.nat_addr, &k.src, sizeof(k.src));
	assert_int_equal(ntohs(e.nat_port), SVC_PORT);
	assert_int_equal(e.backend_id, v->be[idx]);
	assert_int_equal(e.svc_id, v->id);
}

/* One flow with the L4 header behind extension headers of sizes[]: the
 * request is DNATed, the reply (with the same headers) SNATed, both byte
 * for byte with valid checksums. */
static void far_l4_case(enum penv_hook h, __u8 proto, const size_t *sizes,
			int n)
{
	struct pg_spec spec, want, reply;
	struct svc v;
	struct xmit x;
	size_t total = 0;
	int i, idx;

	for (i = 0; i < n; i++)
		total += sizes[i];
	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 6, proto, 1, 1);
	pg_spec_init(&spec, v.client, 46000, v.vip, SVC_PORT, proto);
	spec.payload_len = 64;
	idx = predict_idx(&v, &spec);

	xmit_ext(h, penv.if_cli, &spec, sizes, n, &x);
	if (x.verdict != penv_redirect(h))
		print_error("%s, L4 header at byte %zu: verdict %u\n",
			    proto == IPPROTO_TCP ? "TCP" : "UDP",
			    x.lay.l4_off + total, x.verdict);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	assert_int_equal(x.info.lay.l4_off, x.lay.l4_off + total);
	assert_csums_ok(&x);
	forwarded_spec(&spec, &want, &v, idx);
	assert_frame_ext(&x, &want, sizes, n);
	assert_ct_flow(&v, &spec, idx);

	reply_spec(&spec, &reply, &v, idx);
	reply.payload_len = 64;
	xmit_ext(h, penv.if_be, &reply, sizes, n, &x);
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
	assert_verdict(&x, penv_redirect(h));
	assert_csums_ok(&x);
	reversed_spec(&reply, &want, &v);
	assert_frame_ext(&x, &want, sizes, n);
}

/* Extension header sizes putting the L4 header (Ethernet 14 + IPv6 40 +
 * extensions) at byte 246 (TCP checksum beyond 255: the fuzzer's input),
 * 254 (port and UDP checksum beyond), 262 and 1046 (all of it beyond). */
static const size_t ext_246[] = {192};
static const size_t ext_254[] = {200};
static const size_t ext_262[] = {8, 200};
static const size_t ext_1046[] = {248, 248, 248, 248};

static void test_l4_beyond_255(void **state)
{
	enum penv_hook h = hook_of(state);
	__u8 proto;

	for (proto = IPPROTO_TCP; proto <= IPPROTO_UDP;
	     proto = (__u8)(proto + IPPROTO_UDP - IPPROTO_TCP)) {
		far_l4_case(h, proto, ext_246, 1);
		far_l4_case(h, proto, ext_254, 1);
		far_l4_case(h, proto, ext_262, 2);
		far_l4_case(h, proto, ext_1046, 4);
	}
}

/* XDP: four 2 KiB extension headers put the L4 header at byte 8246,
 * beyond the first buffer of the frame (BPF_PROG_TEST_RUN puts about
 * 3.5 KiB there and the rest in fragments). The interfaces get a 9000-byte MTU
 * so that the FIB lets the frame through. With 1500 the FIB's MTU check
 * (which counts the extension headers) finds it too big; an IPv6
 * packet is not fragmented on the way, and one whose L4 header does not
 * follow the fixed header cannot be quoted in a Packet Too Big as its
 * sender sent it (pmtu.h): it is dropped, drop_too_big, after its flow
 * was made and the packet translated. */
static void test_l4_beyond_first_buffer(void **state)
{
	static const size_t big[] = {2048, 2048, 2048, 2048};
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct svc v;
	struct xmit x;
	int idx;

	assert_int_equal(penv_sh("ip link set dev %s mtu 9000 && "
				 "ip link set dev %s mtu 9000",
				 PENV_CLI_IF, PENV_BE_IF),
			 0);
	far_l4_case(h, IPPROTO_TCP, big, 4);
	far_l4_case(h, IPPROTO_UDP, big, 4);

	assert_int_equal(penv_sh("ip link set dev %s mtu 1500 && "
				 "ip link set dev %s mtu 1500",
				 PENV_CLI_IF, PENV_BE_IF),
			 0);
	assert_int_equal(penv_reset(NULL), 0);
	svc_two(&v, 6, IPPROTO_TCP, 1, 1);
	pg_spec_init(&spec, v.client, 46100, v.vip, SVC_PORT, IPPROTO_TCP);
	spec.payload_len = 64;
	idx = predict_idx(&v, &spec);
	xmit_ext(h, penv.if_cli, &spec, big, 4, &x);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_DROP_TOO_BIG, 1);
	assert_verdict(&x, penv_drop(h));
	assert_ct_flow(&v, &spec, idx);
	/* Dropped as translated: TTL and MACs untouched. */
	forwarded_spec(&spec, &want, &v, idx);
	want.ttl = 64;
	memcpy(want.dmac, spec.dmac, 6);
	memcpy(want.smac, spec.smac, 6);
	assert_frame_ext(&x, &want, big, 4);
	assert_csums_ok(&x);
}

/* The datagram client:sport -> VIP:80 (UDP, 108 bytes) behind an IPv6
 * fragment header: the first fragment (48 bytes) or the last one (from
 * offset 48), with a hop-by-hop header in front when hop is set. */
static void frag_spec(struct pg_spec *s, const struct svc *v, __u16 sport,
		      uint32_t offset, bool hop)
{
	pg_spec_init(s, v->client, sport, v->vip, SVC_PORT, IPPROTO_UDP);
	s->payload_len = 100;
	s->frag = true;
	s->frag_offset = offset;
	s->frag_len = offset ? 0 : 48;
	s->frag_more = !offset;
	s->frag_id = FRAG_ID;
	s->next = 0;
	if (hop)
		s->ext[s->next++].type = PG_EXT_HOP;
	s->ext[s->next++].type = PG_EXT_FRAGMENT;
}

/* Build spec's frame into x, then shrink its IPv6 payload_len so that
 * only frag_bytes of the fragment header lie within it; the frame keeps
 * the whole header and the fragment data behind. */
static void frag_hdr_cut(struct xmit *x, const struct pg_spec *s,
			 size_t frag_bytes)
{
	size_t plen = frag_bytes + (s->next > 1 ? 8 : 0);
	uint8_t *ip;

	x->in_len = pg_build(s, x->in, sizeof(x->in), &x->lay);
	assert_true(x->in_len > 0);
	ip = x->in + x->lay.l3_off;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
}

static size_t map_count(int fd, size_t ksize)
{
	uint8_t key[128], next[128];
	size_t n = 0;

	assert_true(ksize <= sizeof(key));
	while (!bpf_map_get_next_key(fd, n ? key : NULL, next)) {
		memcpy(key, next, ksize);
		n++;
	}
	return n;
}

/* frag6-plen: later fragments whose fragment header runs past
 * payload_len, while the datagram's first fragment left state behind. */
static void test_frag6_hdr_past_payload(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec first, later, want;
	struct svc v;
	struct xmit x;
	size_t cut;
	int idx, hop;

	for (hop = 0; hop <= 1; hop++) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, 6, IPPROTO_UDP, 1, 1);
		/* The first fragment opens the flow and leaves its ports in
		 * frag_map: a later fragment finds state. */
		frag_spec(&first, &v, 46200, 0, hop);
		idx = predict_idx(&v, &first);
		xmit(h, penv.if_cli, &first, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_FRAG_FIRST, 1,
				SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);

		frag_spec(&later, &v, 46200, 48, hop);
		for (cut = 1; cut < 8; cut++) {
			frag_hdr_cut(&x, &later, cut);
			xmit_raw(h, penv.if_cli, &x);
			if (x.verdict != penv_pass(h) ||
			    penv_check_counters(x.before, x.after,
						SHUNT_C_PASS_MALFORMED_L3, 1,
						-1))
				print_error("fragment header with %zu of 8 "
					    "bytes in the payload%s\n",
					    cut,
					    hop ? " (after hop-by-hop)" : "");
			assert_verdict(&x, penv_pass(h));
			assert_unchanged(&x);
			assert_counters(&x, SHUNT_C_PASS_MALFORMED_L3, 1);
		}

		/* The same fragment with an honest payload_len: translated. */
		xmit(h, penv.if_cli, &later, &x);
		assert_counters(&x, SHUNT_C_FRAG_LATER, 1, SHUNT_C_CT_HIT, 1,
				SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
		assert_verdict(&x, penv_redirect(h));
		forwarded_spec(&later, &want, &v, idx);
		assert_frame(&x, &want);

		/* Nothing else was created: the one flow, its fragment. */
		assert_int_equal(
			map_count(penv.s.ct_map, sizeof(struct shunt_ct_key)),
			2);
		assert_int_equal(map_count(penv.s.frag_map,
					   sizeof(struct shunt_frag_key)),
				 1);
	}
}

/* A first fragment whose fragment header runs past payload_len: also
 * malformed (it was before the fix too, one header later), and it
 * creates no flow and no fragment state. */
static void test_frag6_first_hdr_past_payload(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec first;
	struct svc v;
	struct xmit x;
	size_t cut;
	int hop;

	svc_two(&v, 6, IPPROTO_UDP, 1, 1);
	for (hop = 0; hop <= 1; hop++) {
		frag_spec(&first, &v, 46300, 0, hop);
		for (cut = 1; cut < 8; cut++) {
			frag_hdr_cut(&x, &first, cut);
			xmit_raw(h, penv.if_cli, &x);
			assert_verdict(&x, penv_pass(h));
			assert_unchanged(&x);
			assert_counters(&x, SHUNT_C_PASS_MALFORMED_L3, 1);
		}
	}
	assert_int_equal(map_count(penv.s.ct_map, sizeof(struct shunt_ct_key)),
			 0);
	assert_int_equal(
		map_count(penv.s.frag_map, sizeof(struct shunt_frag_key)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_l4_beyond_255),
		/* XDP only: BPF_PROG_TEST_RUN refuses skbs beyond a page. */
		{"test_l4_beyond_first_buffer/xdp", test_l4_beyond_first_buffer,
		 penv_reset, NULL, (void *)&penv_hooks[PENV_XDP]},
		PROG_TEST(test_frag6_hdr_past_payload),
		PROG_TEST(test_frag6_first_hdr_past_payload),
	};

	return cmocka_run_group_tests_name("prog_ip6_ext_bounds", tests,
					   penv_setup, penv_teardown);
}
