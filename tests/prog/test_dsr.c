// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * DSR (bpf/lib/dsr.h) through shunt_xdp and shunt_tc.
 *
 * The node that balances: external traffic to a remote backend in DSR
 * mode (the frontend's SHUNT_FE_F_MODE_DSR, or config_map's lb_mode DSR
 * when the frontend names no mode) gets its destination translated only,
 * a FWD entry flagged SHUNT_CT_F_DSR and no REV entry; a TCP SYN and
 * every UDP datagram carry the DSR option right after the fixed IP
 * header: IPv4 option {0x1E, 8, port, addr} (ihl 7, tot_len + 8, header
 * checksum), IPv6 Destination Options header {next, 2, 0x1E, 18, port,
 * addr, PadN 1 0} (next header 60, payload_len + 24).
 *
 * The backend's node: a packet carrying the option to an address that is
 * no frontend is passed on without the option and leaves a REV entry
 * (SHUNT_CT_F_DSR_IN) that gives the backend's replies the option's
 * frontend as source, when that frontend exists here.
 *
 * Expected frames are built from scratch by tests/lib/pktgen.c (its own
 * checksums) with the option bytes written out here, and compared byte
 * for byte; the IPv4 header checksum is also summed here directly.
 */
#include "progtest.h"
#include "nodeaddr.h"

#define CPORT	    40000
#define NODE_PORT   30080
#define NODE4	    "10.0.0.1"	  /* cli0: an address of this node */
#define NODE6	    "fd00:a::1"	  /* cli0 */
#define BALANCER4   "192.0.2.7"	  /* another node, that balanced */
#define BALANCER6   "2001:db8::7" /* the same in IPv6 */
#define UNKNOWN4    "10.96.0.99"  /* no frontend */
#define UNKNOWN6    "fd00:ff::99"
#define SNAT_ADDR4  "10.0.1.1" /* be0's address: SNAT's source */
#define DSR_OPT	    0x1E
#define OPT4_LEN    8
#define OPT6_LEN    24
#define NEXTHDR_DST 60

/* A service of one backend, BE1:8080, and one frontend. v is for the
 * frame specs of progtest.h (forwarded_spec, reversed_spec). */
struct dsr_svc {
	struct svc v;
	struct shunt_frontend_key fe;
	__u32 id;
	__u32 be;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct shunt_frontend_key nodeport_key(int family, __u8 proto)
{
	struct shunt_frontend_key k;

	memset(&k, 0, sizeof(k));
	k.port = htons(NODE_PORT);
	k.proto = proto;
	k.family = family == 4 ? SHUNT_V4 : SHUNT_V6;
	return k;
}

/*
 * The service: frontend vip:port/proto (vip NULL: the NodePort wildcard
 * *:NODE_PORT) with fe_flags, backend BE1:8080 of the family with
 * be_flags; both checked in the maps as written.
 */
static void dsr_service(struct dsr_svc *d, int family, __u8 proto,
			const char *vip, __u16 port, __u32 fe_flags,
			__u32 be_flags)
{
	struct shunt_frontend got;
	struct shunt_backend b;

	memset(d, 0, sizeof(*d));
	d->v.vip = vip ? vip : family == 4 ? NODE4 : NODE6;
	d->v.client = family == 4 ? PENV_CLIENT4 : PENV_CLIENT6;
	d->v.be_addr[0] = family == 4 ? PENV_BE1_4 : PENV_BE1_6;
	d->v.be_addr[1] = d->v.be_addr[0];
	d->fe = vip ? penv_svc_key(vip, port, proto)
		    : nodeport_key(family, proto);

	svc_apply_one("test/dsr", &d->fe, fe_flags, d->v.be_addr[0], be_flags,
		      &d->id, &d->be);

	/* What the datapath reads. */
	assert_int_equal(bpf_map_lookup_elem(penv.s.frontend_map, &d->fe, &got),
			 0);
	assert_int_equal(got.svc_id, d->id);
	assert_int_equal(got.flags, fe_flags | (vip ? 0 : SHUNT_FE_F_NODEPORT));
	assert_int_equal(penv_backend_get(d->be, &b), 0);
	assert_int_equal(b.flags, be_flags);
}

static void add_node_addr(const char *addr)
{
	struct pg_addr a = pg_addr(addr);
	union shunt_ip ip = penv_ip(&a);

	assert_int_equal(
		shunt_node_addr_add(&penv.s, &ip,
				    a.family == 4 ? SHUNT_V4 : SHUNT_V6),
		0);
}

static void set_lb_mode(__u32 mode)
{
	struct shunt_config cfg;
	__u32 key = 0;

	assert_int_equal(bpf_map_lookup_elem(penv.s.config_map, &key, &cfg), 0);
	cfg.lb_mode = mode;
	assert_int_equal(
		bpf_map_update_elem(penv.s.config_map, &key, &cfg, BPF_ANY), 0);
}

/* The source address SNAT gives flows leaving through ifindex. */
static void set_iface_addr4(int ifindex, const char *addr)
{
	struct pg_addr a = pg_addr(addr);
	struct shunt_iface v;
	__u32 key = (__u32)ifindex;

	assert_int_equal(bpf_map_lookup_elem(penv.s.iface_map, &key, &v), 0);
	v.addr4 = penv_ip(&a);
	assert_int_equal(
		bpf_map_update_elem(penv.s.iface_map, &key, &v, BPF_ANY), 0);
}

/* --- conntrack ---------------------------------------------------------- */

static size_t ct_count(void)
{
	struct shunt_ct_info *v;
	size_t n;

	assert_int_equal(shunt_ct_list(&penv.s, &v, &n), 0);
	free(v);
	return n;
}

static struct shunt_ct_key ct_key(const char *src, __u16 sport, const char *dst,
				  __u16 dport, __u8 proto, __u8 dir)
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
	return k;
}

static void ct_get(const struct shunt_ct_key *k, struct shunt_ct_entry *e)
{
	if (bpf_map_lookup_elem(penv.s.ct_map, k, e))
		fail_msg("no ct entry for the key (%s)", strerror(errno));
}

static void ct_absent(const struct shunt_ct_key *k)
{
	struct shunt_ct_entry e;

	if (!bpf_map_lookup_elem(penv.s.ct_map, k, &e))
		fail_msg("unexpected ct entry (flags 0x%x, state %u)", e.flags,
			 e.state);
}

static void assert_ip(const union shunt_ip *got, const char *want)
{
	struct pg_addr a = pg_addr(want);
	union shunt_ip w = penv_ip(&a);

	if (memcmp(got, &w, sizeof(w)))
		fail_msg("address in ct entry is not %s", want);
}

/* The FWD entry of client:CPORT -> dst:dport of a DSR flow, the only
 * entry of the table: no REV entry. */
static void expect_dsr_fwd_entry(const struct dsr_svc *d, const char *dst,
				 __u16 dport, __u8 proto, __u8 state)
{
	struct shunt_ct_key k =
		ct_key(d->v.client, CPORT, dst, dport, proto, SHUNT_CT_FWD);
	struct shunt_ct_key rk = ct_key(d->v.be_addr[0], BE1_PORT, d->v.client,
					CPORT, proto, SHUNT_CT_REV);
	struct shunt_ct_entry e;

	ct_get(&k, &e);
	assert_int_equal(e.flags, SHUNT_CT_F_DSR);
	assert_int_equal(e.state, state);
	assert_ip(&e.nat_addr, d->v.be_addr[0]);
	assert_int_equal(e.nat_port, htons(BE1_PORT));
	assert_int_equal(e.svc_id, d->id);
	assert_int_equal(e.backend_id, d->be);
	ct_absent(&rk);
	assert_int_equal(ct_count(), 1);
}

/* --- frames ------------------------------------------------------------- */

/* The frame of spec s (no IP options or extension headers of its own)
 * with the DSR option naming vip:port, from scratch. */
static size_t build_with_opt(const struct pg_spec *s, const char *vip,
			     __u16 port, uint8_t *buf, size_t cap)
{
	struct pg_addr a = pg_addr(vip);
	struct pg_spec t = *s;
	struct pg_layout lay;
	uint8_t *o;
	size_t len;

	assert_int_equal(t.ip_opts_len, 0);
	assert_int_equal(t.next, 0);
	if (t.src.family == 4) {
		t.ip_opts[0] = DSR_OPT;
		t.ip_opts[1] = OPT4_LEN;
		t.ip_opts[2] = (uint8_t)(port >> 8);
		t.ip_opts[3] = (uint8_t)port;
		memcpy(t.ip_opts + 4, a.b, 4);
		t.ip_opts_len = OPT4_LEN;
		return pg_build(&t, buf, cap, NULL);
	}
	t.ext[0].type = PG_EXT_DEST;
	t.ext[0].len = OPT6_LEN;
	t.next = 1;
	len = pg_build(&t, buf, cap, &lay);
	assert_true(len > 0);
	/* The builder wrote next header, length 2 and a PadN: the option
	 * goes over the PadN. */
	o = buf + lay.l3_off + 40;
	assert_int_equal(o[0], s->proto);
	assert_int_equal(o[1], 2);
	o[2] = DSR_OPT;
	o[3] = 18;
	o[4] = (uint8_t)(port >> 8);
	o[5] = (uint8_t)port;
	memcpy(o + 6, a.b, 16);
	o[22] = 1; /* PadN, no data */
	o[23] = 0;
	return len;
}

/* x's output is spec with the DSR option naming vip:port. */
static void assert_frame_opt(const struct xmit *x, const struct pg_spec *spec,
			     const char *vip, __u16 port)
{
	uint8_t want[PG_MAX_FRAME];
	size_t len = build_with_opt(spec, vip, port, want, sizeof(want));

	assert_true(len > 0);
	assert_bytes("frame with DSR option", x->out, x->out_len, want, len);
}

/* The IPv4 header at ip sums to 0xffff, summed here. */
static void assert_ip4_header_sum(const uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 0xf) * 4, i;
	uint32_t sum = 0;

	for (i = 0; i < hlen; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	if (sum != 0xffff)
		fail_msg("IPv4 header (%zu bytes) sums to 0x%04x", hlen, sum);
}

/*
 * The option as it must be in an output frame of family, right after
 * the fixed header, the headers around it adjusted against the input.
 */
static void assert_opt_bytes(const struct xmit *x, int family, const char *vip,
			     __u16 port)
{
	struct pg_addr a = pg_addr(vip);
	const uint8_t *ip = x->out + 14, *in = x->in + 14;

	if (family == 4) {
		const uint8_t want[OPT4_LEN] = {
			DSR_OPT,       OPT4_LEN, (uint8_t)(port >> 8),
			(uint8_t)port, a.b[0],	 a.b[1],
			a.b[2],	       a.b[3]};

		assert_int_equal(x->out_len, x->in_len + OPT4_LEN);
		assert_int_equal(ip[0], 0x47);
		assert_int_equal(get16(ip + 2), get16(in + 2) + OPT4_LEN);
		assert_int_equal(ip[9], in[9]); /* protocol */
		assert_memory_equal(ip + 20, want, OPT4_LEN);
		assert_ip4_header_sum(ip);
		/* What follows is the input's L4 header: addresses in the
		 * pseudo-header aside, nothing moved. */
		assert_int_equal(x->info.lay.l4_off, 14 + 28);
	} else {
		uint8_t want[OPT6_LEN] = {
			in[6],	      2, DSR_OPT, 18, (uint8_t)(port >> 8),
			(uint8_t)port};

		memcpy(want + 6, a.b, 16);
		want[22] = 1;
		want[23] = 0;
		assert_int_equal(x->out_len, x->in_len + OPT6_LEN);
		assert_int_equal(ip[6], NEXTHDR_DST);
		assert_int_equal(get16(ip + 4), get16(in + 4) + OPT6_LEN);
		assert_memory_equal(ip + 40, want, OPT6_LEN);
		assert_int_equal(x->info.lay.l4_off, 14 + 40 + OPT6_LEN);
	}
	assert_int_equal(x->parsed, 0);
	assert_int_equal(x->info.proto, in[family == 4 ? 9 : 6]);
	assert_csums_ok(x);
}

/* Build spec with the DSR option naming vip:port into x->in. */
static void build_in_opt(struct xmit *x, const struct pg_spec *spec,
			 const char *vip, __u16 port)
{
	x->in_len = build_with_opt(spec, vip, port, x->in, sizeof(x->in));
	assert_true(x->in_len > 0);
}

/* --- the node that balances ---------------------------------------------- */

/*
 * A TCP flow client:CPORT -> dst:dport of DSR service d: the SYN goes to
 * BE1 with the option naming dst:dport; a retransmitted SYN carries it
 * too; the ACK that follows does not and establishes the flow; the
 * backend's reply, were it to pass here, is not translated.
 */
static void dsr_tcp_flow(enum penv_hook h, const struct dsr_svc *d,
			 const char *dst, __u16 dport)
{
	struct pg_spec spec, want, reply;
	int family = pg_addr(dst).family;
	struct xmit x;

	pg_spec_init(&spec, d->v.client, CPORT, dst, dport, IPPROTO_TCP);
	spec.ttl = 64;
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_opt_bytes(&x, family, dst, dport);
	assert_addr(&x.info.src, d->v.client);
	assert_int_equal(x.info.sport, CPORT);
	assert_addr(&x.info.dst, d->v.be_addr[0]);
	assert_int_equal(x.info.dport, BE1_PORT);
	assert_int_equal(x.info.tcp_flags, PG_TCP_SYN);
	forwarded_spec(&spec, &want, &d->v, 0);
	assert_frame_opt(&x, &want, dst, dport);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_DSR_NEW, 1,
			SHUNT_C_DSR_OPT_SENT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_dsr_fwd_entry(d, dst, dport, IPPROTO_TCP, SHUNT_CT_SYN_SENT);

	/* The SYN again: the same flow, the option again. */
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_opt_bytes(&x, family, dst, dport);
	assert_frame_opt(&x, &want, dst, dport);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_DSR_OPT_SENT, 1,
			SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
	expect_dsr_fwd_entry(d, dst, dport, IPPROTO_TCP, SHUNT_CT_SYN_SENT);

	/* The ACK: no option, the frame as long as it came; the client's
	 * ACK establishes a DSR flow (no reply is seen here). */
	spec.tcp_flags = PG_TCP_ACK;
	spec.seq++;
	spec.ack = 5001;
	spec.payload_len = 100;
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.out_len, x.in_len);
	assert_csums_ok(&x);
	forwarded_spec(&spec, &want, &d->v, 0);
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	/* No reply comes this way: the flow stays unconfirmed (the SYN
	 * lifetime), kept alive by the client's packets. */
	expect_dsr_fwd_entry(d, dst, dport, IPPROTO_TCP, SHUNT_CT_SYN_SENT);

	/* The backend answers the client directly; a reply seen here
	 * anyway finds no REV entry and is left alone. */
	pg_spec_init(&reply, d->v.be_addr[0], BE1_PORT, d->v.client, CPORT,
		     IPPROTO_TCP);
	reply.tcp_flags = PG_TCP_ACK;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_pass(h));
	assert_unchanged(&x);
	assert_counters(&x, SHUNT_C_PASS_NOT_SERVICE, 1);
}

/* 1. IPv4 TCP to an external VIP with MODE_DSR, its one backend remote
 * (config_map's lb_mode left at SNAT: the frontend's mode wins). */
static void test_dsr_v4_tcp(void **state)
{
	struct dsr_svc d;

	dsr_service(&d, 4, IPPROTO_TCP, VIP4, SVC_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR,
		    SHUNT_BE_F_REMOTE);
	dsr_tcp_flow(hook_of(state), &d, VIP4, SVC_PORT);
}

/* The same to the NodePort wildcard on a node address: the option names
 * that address and the node port. */
static void test_dsr_v4_tcp_nodeport(void **state)
{
	struct dsr_svc d;

	add_node_addr(NODE4);
	dsr_service(&d, 4, IPPROTO_TCP, NULL, NODE_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR,
		    SHUNT_BE_F_REMOTE);
	dsr_tcp_flow(hook_of(state), &d, NODE4, NODE_PORT);
}

/* 2. IPv6: a 24-byte Destination Options header. */
static void test_dsr_v6_tcp(void **state)
{
	struct dsr_svc d;

	dsr_service(&d, 6, IPPROTO_TCP, VIP6, SVC_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR,
		    SHUNT_BE_F_REMOTE);
	dsr_tcp_flow(hook_of(state), &d, VIP6, SVC_PORT);
}

static void test_dsr_v6_tcp_nodeport(void **state)
{
	struct dsr_svc d;

	add_node_addr(NODE6);
	dsr_service(&d, 6, IPPROTO_TCP, NULL, NODE_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR,
		    SHUNT_BE_F_REMOTE);
	dsr_tcp_flow(hook_of(state), &d, NODE6, NODE_PORT);
}

/* 3. UDP: every datagram of the flow carries the option. */
static void dsr_udp_case(void **state, int family)
{
	enum penv_hook h = hook_of(state);
	const char *vip = family == 4 ? VIP4 : VIP6;
	struct pg_spec spec, want;
	struct dsr_svc d;
	struct xmit x;
	int i;

	dsr_service(&d, family, IPPROTO_UDP, vip, SVC_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR,
		    SHUNT_BE_F_REMOTE);
	pg_spec_init(&spec, d.v.client, CPORT, vip, SVC_PORT, IPPROTO_UDP);
	for (i = 0; i < 3; i++) {
		spec.payload_len = 20 + (size_t)i * 100;
		xmit(h, penv.if_cli, &spec, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_opt_bytes(&x, family, vip, SVC_PORT);
		assert_addr(&x.info.src, d.v.client);
		assert_addr(&x.info.dst, d.v.be_addr[0]);
		assert_int_equal(x.info.dport, BE1_PORT);
		assert_true(x.info.l4_check != 0);
		forwarded_spec(&spec, &want, &d.v, 0);
		assert_frame_opt(&x, &want, vip, SVC_PORT);
		if (!i)
			assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_DSR_NEW,
					1, SHUNT_C_DSR_OPT_SENT, 1,
					SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT,
					1);
		else
			assert_counters(
				&x, SHUNT_C_CT_HIT, 1, SHUNT_C_DSR_OPT_SENT, 1,
				SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
		expect_dsr_fwd_entry(&d, vip, SVC_PORT, IPPROTO_UDP,
				     SHUNT_CT_UDP);
	}
	assert_int_equal(penv_counter(SHUNT_C_DSR_NEW), 1);
	assert_int_equal(penv_counter(SHUNT_C_DSR_OPT_SENT), 3);
}

static void test_dsr_v4_udp(void **state)
{
	dsr_udp_case(state, 4);
}

static void test_dsr_v6_udp(void **state)
{
	dsr_udp_case(state, 6);
}

/* An IPv4 datagram without UDP checksum keeps none. */
static void test_dsr_v4_udp_csum_zero(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct dsr_svc d;
	struct xmit x;

	dsr_service(&d, 4, IPPROTO_UDP, VIP4, SVC_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR,
		    SHUNT_BE_F_REMOTE);
	pg_spec_init(&spec, PENV_CLIENT4, CPORT, VIP4, SVC_PORT, IPPROTO_UDP);
	spec.udp_csum_zero = true;
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_opt_bytes(&x, 4, VIP4, SVC_PORT);
	assert_int_equal(x.info.l4_check, 0);
	forwarded_spec(&spec, &want, &d.v, 0);
	assert_frame_opt(&x, &want, VIP4, SVC_PORT);
}

/* 4. The mode. Masqueraded (SNAT): source be0's address and a port of
 * the SNAT range, no option, FWD and REV entries. */
static void expect_snat(enum penv_hook h, const struct dsr_svc *d)
{
	struct pg_spec spec, want;
	struct shunt_ct_entry e;
	struct shunt_ct_key k;
	struct xmit x;

	pg_spec_init(&spec, PENV_CLIENT4, CPORT, VIP4, SVC_PORT, IPPROTO_TCP);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.out_len, x.in_len);
	assert_int_equal(x.out[14], 0x45);
	assert_int_equal(x.parsed, 0);
	assert_addr(&x.info.src, SNAT_ADDR4);
	assert_in_range(x.info.sport, SHUNT_DEFAULT_SNAT_PORT_MIN,
			SHUNT_DEFAULT_SNAT_PORT_MAX);
	assert_csums_ok(&x);
	forwarded_spec(&spec, &want, &d->v, 0);
	want.src = pg_addr(SNAT_ADDR4);
	want.sport = x.info.sport;
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_SNAT_NEW, 1,
			SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
	k = ct_key(PENV_CLIENT4, CPORT, VIP4, SVC_PORT, IPPROTO_TCP,
		   SHUNT_CT_FWD);
	ct_get(&k, &e);
	assert_int_equal(e.flags, SHUNT_CT_F_SNAT);
	k = ct_key(PENV_BE1_4, BE1_PORT, SNAT_ADDR4, x.info.sport, IPPROTO_TCP,
		   SHUNT_CT_REV);
	ct_get(&k, &e);
	assert_int_equal(e.flags, SHUNT_CT_F_SNAT);
	assert_int_equal(ct_count(), 2);
}

/* By DSR: the option, one FWD entry flagged DSR. */
static void expect_dsr(enum penv_hook h, const struct dsr_svc *d)
{
	struct pg_spec spec, want;
	struct xmit x;

	pg_spec_init(&spec, PENV_CLIENT4, CPORT, VIP4, SVC_PORT, IPPROTO_TCP);
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_opt_bytes(&x, 4, VIP4, SVC_PORT);
	forwarded_spec(&spec, &want, &d->v, 0);
	assert_frame_opt(&x, &want, VIP4, SVC_PORT);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_DSR_NEW, 1,
			SHUNT_C_DSR_OPT_SENT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_dsr_fwd_entry(d, VIP4, SVC_PORT, IPPROTO_TCP, SHUNT_CT_SYN_SENT);
}

static void test_dsr_mode(void **state)
{
	enum penv_hook h = hook_of(state);
	struct dsr_svc d;

	/* The frontend says SNAT: config_map's DSR does not apply. */
	set_iface_addr4(penv.if_be, SNAT_ADDR4);
	set_lb_mode(SHUNT_LB_MODE_DSR);
	dsr_service(&d, 4, IPPROTO_TCP, VIP4, SVC_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_SNAT,
		    SHUNT_BE_F_REMOTE);
	expect_snat(h, &d);

	/* No mode on the frontend: config_map's lb_mode decides, DSR... */
	assert_int_equal(penv_reset(NULL), 0);
	set_iface_addr4(penv.if_be, SNAT_ADDR4);
	set_lb_mode(SHUNT_LB_MODE_DSR);
	dsr_service(&d, 4, IPPROTO_TCP, VIP4, SVC_PORT, SHUNT_FE_F_EXTERNAL,
		    SHUNT_BE_F_REMOTE);
	expect_dsr(h, &d);

	/* ...or SNAT, the default. */
	assert_int_equal(penv_reset(NULL), 0);
	set_iface_addr4(penv.if_be, SNAT_ADDR4);
	dsr_service(&d, 4, IPPROTO_TCP, VIP4, SVC_PORT, SHUNT_FE_F_EXTERNAL,
		    SHUNT_BE_F_REMOTE);
	expect_snat(h, &d);

	/* The frontend says DSR over config_map's SNAT. */
	assert_int_equal(penv_reset(NULL), 0);
	set_iface_addr4(penv.if_be, SNAT_ADDR4);
	set_lb_mode(SHUNT_LB_MODE_SNAT);
	dsr_service(&d, 4, IPPROTO_TCP, VIP4, SVC_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR,
		    SHUNT_BE_F_REMOTE);
	expect_dsr(h, &d);
}

/* DSR is for external traffic under a Cluster policy to a remote
 * backend only: otherwise a plain DNAT flow with both entries, whatever
 * the mode says. */
static void test_dsr_not_wanted(void **state)
{
	static const struct {
		__u32 fe_flags, be_flags;
	} cases[] = {
		/* ClusterIP */
		{SHUNT_FE_F_MODE_DSR, SHUNT_BE_F_REMOTE},
		/* traffic policy Local */
		{SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_LOCAL | SHUNT_FE_F_MODE_DSR,
		 SHUNT_BE_F_REMOTE},
		/* a backend on this node */
		{SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR, 0},
	};
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, want;
	struct shunt_ct_entry e;
	struct shunt_ct_key k;
	struct dsr_svc d;
	struct xmit x;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(penv_reset(NULL), 0);
		set_lb_mode(SHUNT_LB_MODE_DSR);
		dsr_service(&d, 4, IPPROTO_TCP, VIP4, SVC_PORT,
			    cases[i].fe_flags, cases[i].be_flags);
		pg_spec_init(&spec, PENV_CLIENT4, CPORT, VIP4, SVC_PORT,
			     IPPROTO_TCP);
		xmit(h, penv.if_cli, &spec, &x);
		assert_verdict(&x, penv_redirect(h));
		forwarded_spec(&spec, &want, &d.v, 0);
		assert_frame(&x, &want);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
		k = ct_key(PENV_CLIENT4, CPORT, VIP4, SVC_PORT, IPPROTO_TCP,
			   SHUNT_CT_FWD);
		ct_get(&k, &e);
		assert_int_equal(e.flags, 0);
		k = ct_key(PENV_BE1_4, BE1_PORT, PENV_CLIENT4, CPORT,
			   IPPROTO_TCP, SHUNT_CT_REV);
		ct_get(&k, &e);
		assert_int_equal(e.flags, 0);
		assert_int_equal(ct_count(), 2);
	}
}

/* --- the backend's node -------------------------------------------------- */

/*
 * A flow client:CPORT -> BE1:8080 arriving with the option naming
 * vip:vport (a frontend of service d here): passed on without the
 * option, its REV entry made; the backend's replies leave as vip:vport; the
 * option again (a SYN sent again, the next datagram) changes nothing.
 */
static void dsr_in_case(enum penv_hook h, const struct dsr_svc *d, __u8 proto,
			const char *vip, __u16 vport)
{
	struct shunt_ct_key rk = ct_key(d->v.be_addr[0], BE1_PORT, d->v.client,
					CPORT, proto, SHUNT_CT_REV);
	struct pg_spec spec, reply, want;
	struct shunt_ct_entry e;
	struct xmit x;

	pg_spec_init(&spec, d->v.client, CPORT, d->v.be_addr[0], BE1_PORT,
		     proto);
	spec.ttl = 62; /* forwarded by the node that balanced */
	build_in_opt(&x, &spec, vip, vport);
	xmit_raw(h, penv.if_cli, &x);
	assert_verdict(&x, penv_pass(h));
	/* The option comes off: the pod gets the packet without it. */
	assert_csums_ok(&x);
	if (pg_addr(vip).family == 4)
		assert_ip4_header_sum(x.out + 14);
	assert_frame(&x, &spec);
	assert_counters(&x, SHUNT_C_DSR_IN, 1);
	ct_get(&rk, &e);
	assert_int_equal(e.flags, SHUNT_CT_F_DSR_IN);
	assert_ip(&e.nat_addr, vip);
	assert_int_equal(e.nat_port, htons(vport));
	assert_int_equal(e.svc_id, d->id);
	assert_int_equal(e.backend_id, 0);
	assert_int_equal(e.state, proto == IPPROTO_TCP ? SHUNT_CT_SYN_SENT
						       : SHUNT_CT_UDP);
	assert_int_equal(ct_count(), 1);

	/* The same again: nothing new, the option off again. */
	build_in_opt(&x, &spec, vip, vport);
	xmit_raw(h, penv.if_cli, &x);
	assert_verdict(&x, penv_pass(h));
	assert_frame(&x, &spec);
	assert_no_counters(&x);
	assert_int_equal(ct_count(), 1);

	/* 6. The backend's reply: from vip:vport, to the client. */
	pg_spec_init(&reply, d->v.be_addr[0], BE1_PORT, d->v.client, CPORT,
		     proto);
	pg_mac(reply.smac, PENV_BE1_MAC);
	memcpy(reply.dmac, penv.mac_be, 6);
	reply.seq = 5000;
	reply.ack = spec.seq + 1;
	if (proto == IPPROTO_TCP)
		reply.tcp_flags = PG_TCP_SYN | PG_TCP_ACK;
	reply.payload_len = 48;
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	assert_addr(&x.info.src, vip);
	assert_int_equal(x.info.sport, vport);
	assert_addr(&x.info.dst, d->v.client);
	assert_int_equal(x.info.dport, CPORT);
	assert_csums_ok(&x);
	if (pg_addr(vip).family == 4)
		assert_ip4_header_sum(x.out + 14);
	reversed_spec(&reply, &want, &d->v);
	want.src = pg_addr(vip);
	want.sport = vport;
	assert_frame(&x, &want);
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
	ct_get(&rk, &e);
	assert_int_equal(e.flags, SHUNT_CT_F_DSR_IN);
	assert_int_equal(e.state, proto == IPPROTO_TCP ? SHUNT_CT_ESTABLISHED
						       : SHUNT_CT_UDP);
	assert_int_equal(ct_count(), 1);

	/* A client packet of the flow without the option (the ACK) is not
	 * this node's business. */
	if (proto == IPPROTO_TCP) {
		spec.tcp_flags = PG_TCP_ACK;
		spec.seq++;
		xmit(h, penv.if_cli, &spec, &x);
		assert_verdict(&x, penv_pass(h));
		assert_unchanged(&x);
		assert_counters(&x, SHUNT_C_PASS_NOT_SERVICE, 1);
	}
}

/* 5. A frontend VIP:80 here; the option names it exactly. */
static void dsr_in_vip(void **state, int family, __u8 proto)
{
	const char *vip = family == 4 ? VIP4 : VIP6;
	struct dsr_svc d;

	dsr_service(&d, family, proto, vip, SVC_PORT,
		    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR, 0);
	dsr_in_case(hook_of(state), &d, proto, vip, SVC_PORT);
}

static void test_dsr_in_v4_tcp(void **state)
{
	dsr_in_vip(state, 4, IPPROTO_TCP);
}

static void test_dsr_in_v6_tcp(void **state)
{
	dsr_in_vip(state, 6, IPPROTO_TCP);
}

static void test_dsr_in_v4_udp(void **state)
{
	dsr_in_vip(state, 4, IPPROTO_UDP);
}

static void test_dsr_in_v6_udp(void **state)
{
	dsr_in_vip(state, 6, IPPROTO_UDP);
}

/* The option names another node's address and a NodePort: the NodePort
 * wildcard here is that frontend; replies come from that address. */
static void test_dsr_in_nodeport(void **state)
{
	struct dsr_svc d;
	int family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		dsr_service(&d, family, IPPROTO_TCP, NULL, NODE_PORT,
			    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR, 0);
		dsr_in_case(hook_of(state), &d, IPPROTO_TCP,
			    family == 4 ? BALANCER4 : BALANCER6, NODE_PORT);
	}
}

/* An option naming no frontend here makes nothing: not an unknown
 * address, not a known VIP's other port or protocol, not a node port
 * without a NodePort frontend. The backend's reply then passes as it
 * is. */
static void test_dsr_in_unknown(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_spec spec, reply;
	struct dsr_svc d;
	struct xmit x;
	int family, i;

	for (family = 4; family <= 6; family += 2) {
		const char *vip = family == 4 ? VIP4 : VIP6;
		const struct {
			const char *addr;
			__u16 port;
			__u8 proto;
		} opts[] = {
			{family == 4 ? UNKNOWN4 : UNKNOWN6, SVC_PORT,
			 IPPROTO_TCP},
			{vip, SVC_PORT + 1, IPPROTO_TCP},
			{vip, SVC_PORT, IPPROTO_UDP},
			{family == 4 ? BALANCER4 : BALANCER6, NODE_PORT,
			 IPPROTO_TCP},
		};

		assert_int_equal(penv_reset(NULL), 0);
		dsr_service(&d, family, IPPROTO_TCP, vip, SVC_PORT,
			    SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_DSR, 0);
		for (i = 0; i < (int)(sizeof(opts) / sizeof(opts[0])); i++) {
			pg_spec_init(&spec, d.v.client, CPORT, d.v.be_addr[0],
				     BE1_PORT, opts[i].proto);
			build_in_opt(&x, &spec, opts[i].addr, opts[i].port);
			xmit_raw(h, penv.if_cli, &x);
			assert_verdict(&x, penv_pass(h));
			assert_unchanged(&x);
			assert_counters(&x, SHUNT_C_DSR_IN_UNKNOWN, 1);
			assert_int_equal(ct_count(), 0);
		}
		pg_spec_init(&reply, d.v.be_addr[0], BE1_PORT, d.v.client,
			     CPORT, IPPROTO_TCP);
		reply.tcp_flags = PG_TCP_SYN | PG_TCP_ACK;
		xmit(h, penv.if_be, &reply, &x);
		assert_verdict(&x, penv_pass(h));
		assert_unchanged(&x);
		assert_counters(&x, SHUNT_C_PASS_NOT_SERVICE, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_dsr_v4_tcp),
		PROG_TEST(test_dsr_v4_tcp_nodeport),
		PROG_TEST(test_dsr_v6_tcp),
		PROG_TEST(test_dsr_v6_tcp_nodeport),
		PROG_TEST(test_dsr_v4_udp),
		PROG_TEST(test_dsr_v6_udp),
		PROG_TEST(test_dsr_v4_udp_csum_zero),
		PROG_TEST(test_dsr_mode),
		PROG_TEST(test_dsr_not_wanted),
		PROG_TEST(test_dsr_in_v4_tcp),
		PROG_TEST(test_dsr_in_v6_tcp),
		PROG_TEST(test_dsr_in_v4_udp),
		PROG_TEST(test_dsr_in_v6_udp),
		PROG_TEST(test_dsr_in_nodeport),
		PROG_TEST(test_dsr_in_unknown),
	};

	return cmocka_run_group_tests_name("prog_dsr", tests, penv_setup,
					   penv_teardown);
}
