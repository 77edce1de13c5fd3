// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ICMP errors about translated flows (bpf/lib/icmp.h), XDP and tc. An
 * IPv4 destination unreachable (any code) or ICMPv6 destination
 * unreachable / packet too big whose quote (a fixed IPv4 header, or an
 * IPv6 header right before TCP/UDP) is a flow shunt translated:
 *   (i)  quoting a reply VIP:vport -> client:cport, to the VIP, with the
 *        flow's FWD entry: the quote becomes backend:bport ->
 *        client:cport (masqueraded: -> the SNAT tuple) and the error
 *        goes to the backend;
 *   (ii) quoting a request client -> backend (masqueraded: SNAT tuple ->
 *        backend) with the flow's REV entry, not a DSR one: the quote
 *        becomes client -> VIP:vport, the error goes to the client
 *        (masqueraded: the destination was the SNAT address).
 * Then it is forwarded by the FIB like any translated packet (TTL - 1,
 * MACs of the next hop): icmp_err_translated. Anything else ICMP goes
 * to the stack untouched, pass_not_l4.
 *
 * The conntrack state comes from the flows' own packets, sent through
 * the program first and checked byte for byte. The errors quote what
 * the other side really got (the frames the program put out), 8 bytes
 * of L4, 20 (TCP's checksum in) or the whole datagram; the expected
 * error quotes the packet as its sender sent it, with the TTL it left
 * shunt with, built from scratch by tests/lib/pktgen.c (its checksums
 * from scratch), the error's own checksums summed by icmptest.h and
 * checked again with pktgen's code, including the quoted TCP/UDP
 * checksum over the quoted datagram when the quote holds all of it.
 */
#include "icmptest.h"

#define CPORT	    44000
#define ROUTER_CLI4 "10.0.0.254" /* a router on the client's side */
#define ROUTER_CLI6 "fd00:a::fe"
#define ROUTER_BE4  "10.0.1.254" /* and on the backends' side */
#define ROUTER_BE6  "fd00:b::fe"
#define NODE4	    "10.0.0.1" /* cli0: this node */
#define NODE6	    "fd00:a::1"
#define ERR_ID	    0x4321

/* How much of the quoted datagram's L4 part an error quotes: the 8
 * bytes RFC 792 asks for, TCP's header with its checksum, all. */
static const size_t quote_l4[] = {8, 20, SIZE_MAX};
#define N_QUOTES (sizeof(quote_l4) / sizeof(quote_l4[0]))

/* The UDP checksums of a flow's packets as their senders send them. */
enum udp_csum {
	CSUM_SOME = 0,
	CSUM_NONE = 1, /* IPv4: 0, no checksum */
	CSUM_FFFF = 2, /* a computed 0, sent as 0xffff */
};

#define FLOW_PAYLOAD 32

/* A flow opened through the program: the client's first packet and the
 * backend's reply, as sent and as shunt forwarded them. */
struct flow {
	const struct svc *v;
	int family;
	__u8 proto;
	int idx; /* backend */
	bool snat;
	const char *snat_addr;
	__u16 snat_port;
	struct pg_spec req;	/* client -> VIP */
	struct pg_spec req_fwd; /* -> backend */
	struct pg_spec rep;	/* backend -> client / SNAT tuple */
	struct pg_spec rep_fwd; /* VIP -> client */
	uint8_t req_payload[FLOW_PAYLOAD];
	uint8_t rep_payload[FLOW_PAYLOAD];
};

/* Give the UDP datagram of s the payload pl (FLOW_PAYLOAD bytes) whose
 * last 16-bit word makes its checksum sum to zero: sent as 0xffff. */
static void force_udp_ffff(struct pg_spec *s, uint8_t *pl)
{
	uint8_t frame[PG_MAX_FRAME];
	struct pg_info info;
	size_t i, len;

	for (i = 0; i < FLOW_PAYLOAD; i++)
		pl[i] = (uint8_t)(i * 7 + 3);
	pl[FLOW_PAYLOAD - 2] = pl[FLOW_PAYLOAD - 1] = 0;
	s->payload = pl;
	s->payload_len = FLOW_PAYLOAD;
	len = pg_build(s, frame, sizeof(frame), NULL);
	assert_int_equal(pg_parse(frame, len, &info), 0);
	/* The word that was 0 becomes the checksum it gave: the sum of
	 * everything is then all ones. */
	ic_put16(pl + FLOW_PAYLOAD - 2, info.l4_check);
	len = pg_build(s, frame, sizeof(frame), NULL);
	assert_int_equal(pg_parse(frame, len, &info), 0);
	assert_int_equal(info.l4_check, 0xffff);
}

static void flow_open(enum penv_hook h, const struct svc *v, __u8 proto,
		      __u16 sport, bool snat, enum udp_csum csum,
		      struct flow *f)
{
	size_t entries = ic_ct_count();
	struct xmit x;

	memset(f, 0, sizeof(*f));
	f->v = v;
	f->family = pg_addr(v->vip).family;
	f->proto = proto;
	f->snat = snat;
	pg_spec_init(&f->req, v->client, sport, v->vip, SVC_PORT, proto);
	f->req.udp_csum_zero = csum == CSUM_NONE;
	if (csum == CSUM_FFFF)
		force_udp_ffff(&f->req, f->req_payload);
	f->idx = snat ? 0 : predict_idx(v, &f->req);
	xmit(h, penv.if_cli, &f->req, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.parsed, 0);
	forwarded_spec(&f->req, &f->req_fwd, v, f->idx);
	if (snat) {
		f->snat_addr = f->family == 4 ? IC_SNAT4 : IC_SNAT6;
		f->snat_port = x.info.sport;
		assert_in_range(f->snat_port, SHUNT_DEFAULT_SNAT_PORT_MIN,
				SHUNT_DEFAULT_SNAT_PORT_MAX);
		f->req_fwd.src = pg_addr(f->snat_addr);
		f->req_fwd.sport = f->snat_port;
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_SNAT_NEW, 1,
				SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
	} else {
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
	}
	assert_frame(&x, &f->req_fwd);
	if (csum == CSUM_NONE)
		assert_int_equal(x.info.l4_check, 0);

	reply_spec(&f->req, &f->rep, v, f->idx);
	if (snat) {
		f->rep.dst = pg_addr(f->snat_addr);
		f->rep.dport = f->snat_port;
	}
	f->rep.udp_csum_zero = csum == CSUM_NONE;
	if (csum == CSUM_FFFF)
		force_udp_ffff(&f->rep, f->rep_payload);
	xmit(h, penv.if_be, &f->rep, &x);
	assert_verdict(&x, penv_redirect(h));
	reversed_spec(&f->rep, &f->rep_fwd, v);
	f->rep_fwd.dst = f->req.src;
	f->rep_fwd.dport = sport;
	assert_frame(&x, &f->rep_fwd);
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
	if (csum == CSUM_NONE)
		assert_int_equal(x.info.l4_check, 0);
	assert_int_equal(ic_ct_count(), entries + 2);
}

/* Type, code and the 4 bytes after the checksum of the error a side
 * sends: path MTU ones for TCP, unreachable ones for UDP, other codes
 * from the other side. */
static void err_kind(const struct flow *f, bool client_side, struct ic_err *e)
{
	bool tcp = f->proto == IPPROTO_TCP;

	e->rest = 0;
	if (f->family == 4) {
		e->type = 3;
		if (client_side) {
			e->code = tcp ? 4 : 3; /* frag needed, port unr. */
			e->rest = tcp ? 1300 : 0;
		} else {
			e->code = tcp ? 13 : 4; /* admin prohibited */
			e->rest = tcp ? 0 : 1280;
		}
	} else if (client_side) {
		e->type = tcp ? 2 : 1; /* packet too big, unreachable */
		e->code = tcp ? 0 : 4;
		e->rest = tcp ? 1280 : 0;
	} else {
		e->type = tcp ? 1 : 2;
		e->code = tcp ? 1 : 0; /* admin prohibited */
		e->rest = tcp ? 0 : 1300;
	}
}

/* (i): the error from the client's side about the reply it got (VIP ->
 * client), to the VIP; l4 bytes of L4 quoted. *e gets the error sent,
 * with quote in q. */
static void reply_err(const struct flow *f, size_t l4, struct ic_err *e,
		      uint8_t q[IC_MAX_QUOTE])
{
	bool v4 = f->family == 4;

	memset(e, 0, sizeof(*e));
	pg_mac(e->dmac, PENV_CLI_MAC);
	pg_mac(e->smac, PENV_CLIENT_MAC);
	e->src = pg_addr(f->proto == IPPROTO_UDP ? f->v->client
			 : v4			 ? ROUTER_CLI4
						 : ROUTER_CLI6);
	e->dst = pg_addr(f->v->vip);
	e->ttl = 64;
	e->ip_id = ERR_ID;
	err_kind(f, true, e);
	e->quote = q;
	e->quote_len = ic_quote_spec(&f->rep_fwd, l4, q, IC_MAX_QUOTE);
}

/* (ii): the error from the backends' side about the request the
 * backend got, to its source (the client, or the SNAT address). */
static void request_err(const struct flow *f, size_t l4, struct ic_err *e,
			uint8_t q[IC_MAX_QUOTE])
{
	bool v4 = f->family == 4;

	memset(e, 0, sizeof(*e));
	memcpy(e->dmac, penv.mac_be, 6);
	pg_mac(e->smac, be_mac(f->idx));
	e->src = pg_addr(f->proto == IPPROTO_UDP ? f->v->be_addr[f->idx]
			 : v4			 ? ROUTER_BE4
						 : ROUTER_BE6);
	e->dst = f->req_fwd.src;
	e->ttl = 64;
	e->ip_id = ERR_ID;
	err_kind(f, false, e);
	e->quote = q;
	e->quote_len = ic_quote_spec(&f->req_fwd, l4, q, IC_MAX_QUOTE);
}

/* Send e in on ifindex: translated (quoting sent, with the TTL it left
 * shunt with; to `to`) and forwarded by the FIB: TTL 63, from smac (the
 * egress interface's MAC) to dmac (the next hop's). */
static void expect_translated(enum penv_hook h, int ifindex,
			      const struct ic_err *e,
			      const struct pg_spec *sent, size_t l4,
			      const char *to, const char *dmac,
			      const uint8_t smac[6])
{
	uint8_t q[IC_MAX_QUOTE];
	struct ic_err want;
	struct xmit x;

	xmit_icmp(h, ifindex, e, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_counters(&x, SHUNT_C_ICMP_TRANSLATED, 1, SHUNT_C_REDIRECT, 1);
	want = *e;
	want.dst = pg_addr(to);
	want.ttl = 63;
	pg_mac(want.dmac, dmac);
	memcpy(want.smac, smac, 6);
	want.quote = q;
	want.quote_len = ic_quote_spec(sent, l4, q, sizeof(q));
	assert_int_equal(want.quote_len, e->quote_len);
	assert_icmp_frame(&x, &want, l4 == SIZE_MAX);
}

/* Both cases, every quote length, for the open flow f. */
static void translate_both(enum penv_hook h, const struct flow *f)
{
	uint8_t q[IC_MAX_QUOTE];
	struct pg_spec sent;
	struct ic_err e;
	size_t i;

	for (i = 0; i < N_QUOTES; i++) {
		/* (i): the backend's reply as it sent it (to the client or
		 * the SNAT tuple), with the TTL it left with. */
		reply_err(f, quote_l4[i], &e, q);
		sent = f->rep;
		sent.ttl = f->rep_fwd.ttl;
		expect_translated(h, penv.if_cli, &e, &sent, quote_l4[i],
				  f->v->be_addr[f->idx], be_mac(f->idx),
				  penv.mac_be);

		/* (ii): the client's request as it sent it. */
		request_err(f, quote_l4[i], &e, q);
		sent = f->req;
		sent.ttl = f->req_fwd.ttl;
		expect_translated(h, penv.if_be, &e, &sent, quote_l4[i],
				  f->v->client, PENV_CLIENT_MAC, penv.mac_cli);
	}
	assert_int_equal(ic_ct_count(), 2);
}

static void test_icmp_translate(void **state)
{
	enum penv_hook h = hook_of(state);
	struct flow f;
	struct svc v;
	int family;
	__u8 proto;

	for (family = 4; family <= 6; family += 2) {
		for (proto = IPPROTO_TCP; proto <= IPPROTO_UDP;
		     proto = (__u8)(proto + IPPROTO_UDP - IPPROTO_TCP)) {
			assert_int_equal(penv_reset(NULL), 0);
			svc_two(&v, family, proto, 1, 1);
			flow_open(h, &v, proto, CPORT, false, CSUM_SOME, &f);
			translate_both(h, &f);
		}
	}
}

/* Masqueraded flows (an external service, its backend on another node):
 * (i) quotes backend -> SNAT tuple, (ii) goes to the client. */
static void test_icmp_translate_snat(void **state)
{
	enum penv_hook h = hook_of(state);
	struct flow f;
	struct svc v;
	int family;
	__u8 proto;

	for (family = 4; family <= 6; family += 2) {
		for (proto = IPPROTO_TCP; proto <= IPPROTO_UDP;
		     proto = (__u8)(proto + IPPROTO_UDP - IPPROTO_TCP)) {
			assert_int_equal(penv_reset(NULL), 0);
			ic_snat_service(&v, family, proto);
			flow_open(h, &v, proto, CPORT, true, CSUM_SOME, &f);
			translate_both(h, &f);
		}
	}
}

/* IPv4 UDP without checksum: the quoted checksum stays 0. */
static void test_icmp_udp_csum_zero(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t q[IC_MAX_QUOTE];
	struct ic_err e;
	struct flow f;
	struct svc v;
	struct xmit x;
	int snat;

	for (snat = 0; snat <= 1; snat++) {
		assert_int_equal(penv_reset(NULL), 0);
		if (snat)
			ic_snat_service(&v, 4, IPPROTO_UDP);
		else
			svc_two(&v, 4, IPPROTO_UDP, 1, 1);
		flow_open(h, &v, IPPROTO_UDP, CPORT, snat, CSUM_NONE, &f);
		translate_both(h, &f);

		/* The quoted checksum, both ways, once more by itself. */
		reply_err(&f, 8, &e, q);
		assert_int_equal(ic_get16(q + 20 + 6), 0);
		xmit_icmp(h, penv.if_cli, &e, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_int_equal(ic_get16(x.out + 14 + 28 + 20 + 6), 0);
		request_err(&f, 8, &e, q);
		xmit_icmp(h, penv.if_be, &e, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_int_equal(ic_get16(x.out + 14 + 28 + 20 + 6), 0);
	}
}

/* UDP datagrams whose checksum sums to zero, sent as 0xffff (IPv4 and
 * IPv6, plain and masqueraded): the translated quote's checksum must be
 * 0xffff again, not 0 (which would say "none" in IPv4). */
static void test_icmp_udp_csum_ffff(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t q[IC_MAX_QUOTE];
	struct ic_err e;
	struct flow f;
	struct svc v;
	int family, snat;

	for (family = 4; family <= 6; family += 2) {
		size_t ck = (family == 4 ? 20 : 40) + 6;

		for (snat = 0; snat <= 1; snat++) {
			assert_int_equal(penv_reset(NULL), 0);
			if (snat)
				ic_snat_service(&v, family, IPPROTO_UDP);
			else
				svc_two(&v, family, IPPROTO_UDP, 1, 1);
			flow_open(h, &v, IPPROTO_UDP, CPORT, snat, CSUM_FFFF,
				  &f);
			/* What the translation must give back. */
			assert_int_equal(ic_quote_spec(&f.rep, 8, q, sizeof(q)),
					 ck + 2);
			assert_int_equal(ic_get16(q + ck), 0xffff);
			assert_int_equal(ic_quote_spec(&f.req, 8, q, sizeof(q)),
					 ck + 2);
			assert_int_equal(ic_get16(q + ck), 0xffff);
			/* And what it starts from is not 0xffff. */
			reply_err(&f, 8, &e, q);
			assert_int_not_equal(ic_get16(q + ck), 0xffff);
			translate_both(h, &f);
		}
	}
}

/* The quoted TCP checksum, the quote holding the whole segment: the
 * translated one sums right over the quoted segment between the quoted
 * addresses, recomputed here directly, and is not the one quoted. */
static void test_icmp_inner_tcp_csum(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t q[IC_MAX_QUOTE];
	struct pg_addr qs, qd;
	struct ic_err e;
	struct flow f;
	struct svc v;
	struct xmit x;
	const uint8_t *quote, *seg;
	size_t hl, seg_len;
	int family, dir;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		flow_open(h, &v, IPPROTO_TCP, CPORT, false, CSUM_SOME, &f);
		hl = family == 4 ? 20 : 40;
		for (dir = 0; dir < 2; dir++) {
			uint32_t sum = 0;
			uint8_t ph[4];

			if (dir == 0)
				reply_err(&f, SIZE_MAX, &e, q);
			else
				request_err(&f, SIZE_MAX, &e, q);
			xmit_icmp(h, dir ? penv.if_be : penv.if_cli, &e, &x);
			assert_verdict(&x, penv_redirect(h));
			quote = x.out + 14 + hl + 8;
			seg = quote + hl;
			seg_len = x.out_len - (size_t)(seg - x.out);
			assert_int_equal(seg_len, 20 + f.req.payload_len);
			memset(&qs, 0, sizeof(qs));
			memset(&qd, 0, sizeof(qd));
			qs.family = qd.family = family;
			memcpy(qs.b, quote + (family == 4 ? 12 : 8),
			       family == 4 ? 4 : 16);
			memcpy(qd.b, quote + (family == 4 ? 16 : 24),
			       family == 4 ? 4 : 16);
			/* Pseudo-header and segment, checksum included:
			 * all ones when right. */
			sum = ic_sum(sum, qs.b, family == 4 ? 4 : 16);
			sum = ic_sum(sum, qd.b, family == 4 ? 4 : 16);
			ic_put32(ph, (uint32_t)seg_len);
			sum = ic_sum(sum, ph, 4);
			ic_put32(ph, IPPROTO_TCP);
			sum = ic_sum(sum, ph, 4);
			sum = ic_sum(sum, seg, seg_len);
			assert_int_equal(ic_csum(sum), 0);
			/* It was rewritten. */
			assert_int_not_equal(ic_get16(seg + 16),
					     ic_get16(e.quote + hl + 16));
		}
	}
}

/* A DSR flow: the balancing node holds its FWD entry only; an error
 * about the reply the backend's node sent from the VIP goes on to the
 * backend, quoting backend -> client. */
static void test_icmp_dsr_fwd(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t q[IC_MAX_QUOTE];
	struct pg_spec req, rep, sent;
	struct ic_err e;
	struct flow f;
	struct svc v;
	struct xmit x;
	int family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		ic_remote_service(&v, family, IPPROTO_TCP, SHUNT_FE_F_MODE_DSR);
		pg_spec_init(&req, v.client, CPORT, v.vip, SVC_PORT,
			     IPPROTO_TCP);
		xmit(h, penv.if_cli, &req, &x);
		assert_verdict(&x, penv_redirect(h));
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_DSR_NEW, 1,
				SHUNT_C_DSR_OPT_SENT, 1, SHUNT_C_NAT_FWD, 1,
				SHUNT_C_REDIRECT, 1);
		assert_int_equal(ic_ct_count(), 1);

		/* The SYN-ACK the backend's node sent the client. */
		memset(&f, 0, sizeof(f));
		f.v = &v;
		f.family = family;
		f.proto = IPPROTO_TCP;
		reply_spec(&req, &rep, &v, 0);
		reversed_spec(&rep, &f.rep_fwd, &v);
		reply_err(&f, 8, &e, q);
		sent = rep;
		sent.ttl = 63;
		expect_translated(h, penv.if_cli, &e, &sent, 8, v.be_addr[0],
				  PENV_BE1_MAC, penv.mac_be);
		assert_int_equal(ic_ct_count(), 1);
	}
}

/* x was passed to the stack untouched, counted pass_not_l4. */
static void assert_passed(const struct xmit *x)
{
	assert_verdict(x, penv_pass(x->hook));
	assert_unchanged(x);
	assert_counters(x, SHUNT_C_PASS_NOT_L4, 1);
}

/* Errors quoting flows nobody tracks: passed unchanged. */
static void test_icmp_unknown_flow(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t q[IC_MAX_QUOTE];
	struct ic_err e;
	struct flow f;
	struct svc v;
	struct xmit x;
	int family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_UDP, 1, 1);
		flow_open(h, &v, IPPROTO_UDP, CPORT, false, CSUM_SOME, &f);

		/* Another client port, both ways. */
		f.rep_fwd.dport = CPORT + 1;
		reply_err(&f, 8, &e, q);
		xmit_icmp(h, penv.if_cli, &e, &x);
		assert_passed(&x);
		f.req_fwd.sport = CPORT + 1;
		request_err(&f, 8, &e, q);
		xmit_icmp(h, penv.if_be, &e, &x);
		assert_passed(&x);

		/* The right ports, another protocol in the quote. */
		flow_open(h, &v, IPPROTO_UDP, CPORT + 2, false, CSUM_SOME, &f);
		f.rep_fwd.proto = IPPROTO_TCP;
		reply_err(&f, 8, &e, q);
		xmit_icmp(h, penv.if_cli, &e, &x);
		assert_passed(&x);
		assert_int_equal(ic_ct_count(), 4);

		/* No service at all. */
		assert_int_equal(penv_reset(NULL), 0);
		reply_err(&f, SIZE_MAX, &e, q);
		xmit_icmp(h, penv.if_cli, &e, &x);
		assert_passed(&x);
		assert_int_equal(ic_ct_count(), 0);
	}
}

/* Echo requests to the VIP and to a backend: not errors. */
static void test_icmp_echo(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t pl[IC_MAX_QUOTE];
	struct pg_spec s;
	struct flow f;
	struct svc v;
	struct xmit x;
	int family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		flow_open(h, &v, IPPROTO_TCP, CPORT, false, CSUM_SOME, &f);
		pg_spec_init(&s, v.client, 0, v.vip, 0,
			     family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		xmit(h, penv.if_cli, &s, &x);
		assert_passed(&x);
		/* Its payload a quote of the flow's reply, for the worst. */
		s.payload_len = ic_quote_spec(&f.rep_fwd, 8, pl, sizeof(pl));
		s.payload = pl;
		xmit(h, penv.if_cli, &s, &x);
		assert_passed(&x);
		pg_spec_init(&s, v.be_addr[f.idx], 0, v.client, 0,
			     family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		xmit(h, penv.if_be, &s, &x);
		assert_passed(&x);
		assert_int_equal(ic_ct_count(), 2);
	}
}

/* (i) to another destination than the quote's source (the VIP): this
 * node's address, another VIP, the client. Passed. */
static void test_icmp_wrong_dst(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t q[IC_MAX_QUOTE];
	struct ic_err e;
	struct flow f;
	struct svc v;
	struct xmit x;
	int family, i;

	for (family = 4; family <= 6; family += 2) {
		const char *dsts[] = {
			family == 4 ? NODE4 : NODE6,
			family == 4 ? "10.96.0.11" : "fd00:ff::11",
			family == 4 ? PENV_BE1_4 : PENV_BE1_6,
		};
		__u8 proto;

		for (proto = IPPROTO_TCP; proto <= IPPROTO_UDP;
		     proto = (__u8)(proto + IPPROTO_UDP - IPPROTO_TCP)) {
			assert_int_equal(penv_reset(NULL), 0);
			svc_two(&v, family, proto, 1, 1);
			flow_open(h, &v, proto, CPORT, false, CSUM_SOME, &f);
			for (i = 0; i < 3; i++) {
				reply_err(&f, 8, &e, q);
				e.dst = pg_addr(dsts[i]);
				xmit_icmp(h, penv.if_cli, &e, &x);
				assert_passed(&x);
			}
			assert_int_equal(ic_ct_count(), 2);
		}
	}
}

/* Other ICMP about a translated flow: time exceeded, parameter problem
 * (IPv4 types 11, 12; ICMPv6 3, 4), source quench (4), redirect (5).
 * Passed. */
static void test_icmp_other_types(void **state)
{
	static const uint8_t types4[] = {4, 5, 11, 12}, types6[] = {3, 4};
	enum penv_hook h = hook_of(state);
	uint8_t q[IC_MAX_QUOTE];
	struct ic_err e;
	struct flow f;
	struct svc v;
	struct xmit x;
	size_t i, n;
	int family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_TCP, 1, 1);
		flow_open(h, &v, IPPROTO_TCP, CPORT, false, CSUM_SOME, &f);
		n = family == 4 ? sizeof(types4) : sizeof(types6);
		for (i = 0; i < n; i++) {
			reply_err(&f, 8, &e, q);
			e.type = family == 4 ? types4[i] : types6[i];
			e.code = 0;
			xmit_icmp(h, penv.if_cli, &e, &x);
			assert_passed(&x);
			request_err(&f, 8, &e, q);
			e.type = family == 4 ? types4[i] : types6[i];
			e.code = 0;
			xmit_icmp(h, penv.if_be, &e, &x);
			assert_passed(&x);
		}
	}
}

/* Errors shunt cannot or must not translate: TTL 1 (the stack answers
 * it), a quote cut before the ports, a quoted IPv4 header with options,
 * a quoted IPv6 header followed by an extension header. */
static void test_icmp_untranslatable(void **state)
{
	enum penv_hook h = hook_of(state);
	uint8_t q[IC_MAX_QUOTE];
	struct pg_spec rep;
	struct ic_err e;
	struct flow f;
	struct svc v;
	struct xmit x;
	int family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		svc_two(&v, family, IPPROTO_UDP, 1, 1);
		flow_open(h, &v, IPPROTO_UDP, CPORT, false, CSUM_SOME, &f);

		reply_err(&f, 8, &e, q);
		e.ttl = 1;
		xmit_icmp(h, penv.if_cli, &e, &x);
		assert_passed(&x);

		reply_err(&f, 2, &e, q);
		xmit_icmp(h, penv.if_cli, &e, &x);
		assert_passed(&x);

		rep = f.rep_fwd;
		if (family == 4) {
			/* End of options, then padding that reads as the
			 * flow's ports where a fixed header's L4 would be. */
			rep.ip_opts[0] = 0;
			rep.ip_opts[1] = SVC_PORT;
			rep.ip_opts[2] = CPORT >> 8;
			rep.ip_opts[3] = CPORT & 0xff;
			rep.ip_opts_len = 4;
		} else {
			rep.ext[rep.next++].type = PG_EXT_DEST;
		}
		f.rep_fwd = rep;
		reply_err(&f, 8, &e, q);
		xmit_icmp(h, penv.if_cli, &e, &x);
		assert_passed(&x);
		assert_int_equal(ic_ct_count(), 2);
	}
}

/* The backend's node of a DSR flow: its REV entry (dsr-in) does not
 * translate errors about the request. */
static void test_icmp_dsr_in(void **state)
{
	enum penv_hook h = hook_of(state);
	struct pg_addr vip = pg_addr(VIP4);
	uint8_t q[IC_MAX_QUOTE];
	struct shunt_ct_entry ent;
	struct ic_err e;
	struct flow f;
	struct svc v;
	struct xmit x;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	memset(&f, 0, sizeof(f));
	f.v = &v;
	f.family = 4;
	f.proto = IPPROTO_TCP;
	pg_spec_init(&f.req_fwd, v.client, CPORT, v.be_addr[0], BE1_PORT,
		     IPPROTO_TCP);
	f.req_fwd.ttl = 62;
	f.req_fwd.ip_opts[0] = 0x1E; /* the DSR option naming VIP4:80 */
	f.req_fwd.ip_opts[1] = 8;
	f.req_fwd.ip_opts[2] = 0;
	f.req_fwd.ip_opts[3] = SVC_PORT;
	memcpy(f.req_fwd.ip_opts + 4, vip.b, 4);
	f.req_fwd.ip_opts_len = 8;
	xmit(h, penv.if_cli, &f.req_fwd, &x);
	assert_verdict(&x, penv_pass(h));
	assert_counters(&x, SHUNT_C_DSR_IN, 1);
	ic_ct_get(v.be_addr[0], BE1_PORT, v.client, CPORT, IPPROTO_TCP,
		  SHUNT_CT_REV, &ent);
	assert_int_equal(ent.flags, SHUNT_CT_F_DSR_IN);

	/* The request as quoted without the option. */
	f.req_fwd.ip_opts_len = 0;
	request_err(&f, 8, &e, q);
	xmit_icmp(h, penv.if_be, &e, &x);
	assert_passed(&x);
	assert_int_equal(ic_ct_count(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_icmp_translate),
		PROG_TEST(test_icmp_translate_snat),
		PROG_TEST(test_icmp_udp_csum_zero),
		PROG_TEST(test_icmp_udp_csum_ffff),
		PROG_TEST(test_icmp_inner_tcp_csum),
		PROG_TEST(test_icmp_dsr_fwd),
		PROG_TEST(test_icmp_unknown_flow),
		PROG_TEST(test_icmp_echo),
		PROG_TEST(test_icmp_wrong_dst),
		PROG_TEST(test_icmp_other_types),
		PROG_TEST(test_icmp_untranslatable),
		PROG_TEST(test_icmp_dsr_in),
	};

	return cmocka_run_group_tests_name("prog_icmp", tests, penv_setup,
					   penv_teardown);
}
