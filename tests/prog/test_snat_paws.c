// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * SNAT tuple reuse against the backend's PAWS check (bpf/lib/snat.h
 * snat_reusable / snat_paws_ok / snat_note_fin, bpf/lib/tcpts.h), XDP and
 * tc.
 *
 * An external frontend VIP:80 whose one backend, BE1:8080, is on another
 * node: new flows are masqueraded behind be0's address and a port of
 * config_map's SNAT range (knobs snat-port-min / snat-port-max), here one
 * or two ports, so that a new connection has to meet the tuple of an old
 * one. A tuple closed both ways (TIME_WAIT) may still be held by the
 * backend's TIME_WAIT socket, which takes a new SYN on it only with a TCP
 * timestamp later than the last it saw. So the TSval T of the client's
 * FIN is kept in the flow's REV entry (fin_tsval) and a new connection's
 * SYN takes the tuple over only when its TSval is later than T + 1000
 * (SNAT_TS_MARGIN, serial-number arithmetic) or it has no timestamp;
 * else the next port is tried (snat_paws_skip, snat_port_retry). When
 * no port tried is free or reusable, the first one refused for PAWS only
 * is taken all the same (the fallback of commit 94ab145: at worst the
 * SYN is sent again); with none such either (live flows only, a tuple
 * closed one way) the SYN is dropped (drop_snat_exhausted). A tuple
 * closed by a RST (CLOSE) goes to any new SYN at once. The TSval is
 * found in the option list however a stack lays it out; an EOL ends the
 * list. With one or two ports, which port a SYN gets, and whether PAWS
 * refused a tuple first, shows in the frame and the counters.
 *
 * And an established masqueraded flow whose REV entry went to another
 * client's flow starts again under a tuple of its own (snat_rev_lost).
 *
 * Every forwarded frame is compared byte for byte with one built from
 * scratch (tests/lib/pktgen, the TCP options written here and the TCP
 * checksum computed afresh), every counter of every frame is checked,
 * and the conntrack entries are read back: state, flags, the client the
 * REV entry names and its fin_tsval.
 */
#include "progtest.h"
#include "config.h"

#define CPORT	  40000
#define PORT_MIN  61000
#define SNAT4	  "10.0.1.1"  /* be0's address: the masquerading source */
#define SNAT6	  "fd00:b::1" /* the same in IPv6 */
#define TS_MARGIN 1000	      /* SNAT_TS_MARGIN */
#define T_FIN	  0x12345678u /* the TSval of the client's FIN */

/* One test's service and addresses. */
struct env {
	enum penv_hook h;
	int family;
	const char *client, *vip, *be, *snat;
	struct shunt_frontend_key fe;
	__u32 svc_id, be_id;
	__u16 pmin, pmax;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* be0's address of the family, the source SNAT writes. */
static void set_snat_addr(const char *addr)
{
	struct pg_addr a = pg_addr(addr);
	struct shunt_iface v;
	__u32 key = (__u32)penv.if_be;

	assert_int_equal(bpf_map_lookup_elem(penv.s.iface_map, &key, &v), 0);
	if (a.family == 4)
		v.addr4 = penv_ip(&a);
	else
		v.addr6 = penv_ip(&a);
	assert_int_equal(
		bpf_map_update_elem(penv.s.iface_map, &key, &v, BPF_ANY), 0);
}

/* The SNAT range [pmin, pmin + nports - 1] through the knobs, checked
 * in config_map. */
static void set_snat_ports(__u16 pmin, __u16 nports)
{
	const struct shunt_knob *kmin = shunt_knob_find("snat-port-min"),
				*kmax = shunt_knob_find("snat-port-max");
	struct shunt_config want, got;

	assert_non_null(kmin);
	assert_non_null(kmax);
	memset(&want, 0, sizeof(want));
	*(__u32 *)((char *)&want + kmin->off) = pmin;
	*(__u32 *)((char *)&want + kmax->off) = pmin + nports - 1u;
	assert_int_equal(shunt_config_update(&penv.s, &want), 0);
	assert_int_equal(shunt_config_get(&penv.s, &got), 0);
	assert_int_equal(got.snat_port_min, pmin);
	assert_int_equal(got.snat_port_max, pmin + nports - 1u);
}

/* The service: VIP:80/TCP, external, SNAT mode; BE1:8080 on another
 * node (remote). nports SNAT ports from PORT_MIN. */
static void setup(struct env *e, enum penv_hook h, int family, __u16 nports)
{

	memset(e, 0, sizeof(*e));
	e->h = h;
	e->family = family;
	e->client = family == 4 ? PENV_CLIENT4 : PENV_CLIENT6;
	e->vip = family == 4 ? VIP4 : VIP6;
	e->be = family == 4 ? PENV_BE1_4 : PENV_BE1_6;
	e->snat = family == 4 ? SNAT4 : SNAT6;
	e->pmin = PORT_MIN;
	e->pmax = (__u16)(PORT_MIN + nports - 1);
	set_snat_addr(e->snat);
	set_snat_ports(PORT_MIN, nports);

	e->fe = penv_svc_key(e->vip, SVC_PORT, IPPROTO_TCP);
	svc_apply_one("test/paws", &e->fe,
		      SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_MODE_SNAT, e->be,
		      SHUNT_BE_F_REMOTE, &e->svc_id, &e->be_id);
}

/* --- TCP options ------------------------------------------------------ */

struct opts {
	uint8_t b[40];
	size_t len;
};

static void o_add(struct opts *o, const uint8_t *p, size_t n)
{
	assert_true(o->len + n <= sizeof(o->b));
	memcpy(o->b + o->len, p, n);
	o->len += n;
}

#define O_BYTES(o, ...)                                                        \
	do {                                                                   \
		const uint8_t b_[] = {__VA_ARGS__};                            \
		o_add(o, b_, sizeof(b_));                                      \
	} while (0)

static void o_mss(struct opts *o)
{
	O_BYTES(o, 2, 4, 0x05, 0xb4);
}

static void o_sack_ok(struct opts *o)
{
	O_BYTES(o, 4, 2);
}

static void o_ws(struct opts *o)
{
	O_BYTES(o, 3, 3, 7);
}

static void o_nop(struct opts *o)
{
	O_BYTES(o, 1);
}

static void o_eol(struct opts *o)
{
	O_BYTES(o, 0);
}

/* A SACK block (kind 5, one left/right edge pair). */
static void o_sack(struct opts *o)
{
	O_BYTES(o, 5, 10, 0, 0, 0x13, 0x88, 0, 0, 0x17, 0x70);
}

static void o_ts(struct opts *o, uint32_t val, uint32_t ecr)
{
	uint8_t b[10] = {8, 10};

	put32(b + 2, val);
	put32(b + 6, ecr);
	o_add(o, b, sizeof(b));
}

/* Padded to a multiple of 4 with EOL, as stacks end the list. */
static void o_end(struct opts *o)
{
	while (o->len % 4)
		o_eol(o);
}

/* How a SYN's options are laid out. */
enum syn_layout {
	SYN_LINUX,     /* MSS, SACK permitted, TS, NOP, WS */
	SYN_REORDERED, /* MSS, NOP, WS, SACK permitted, TS */
	SYN_BSD,       /* MSS, NOP, WS, NOP, NOP, TS, SACK permitted, EOL */
	SYN_NOPS,      /* six NOPs, WS, NOP, TS, NOP, NOP, EOL, EOL */
	SYN_EOL_FIRST, /* MSS, EOL, then the bytes of a TS: no timestamp */
	SYN_NO_TS,     /* MSS, NOP, WS, SACK permitted, EOL, EOL */
	SYN_LAYOUTS,
};

static const char *const syn_layout_name[SYN_LAYOUTS] = {
	"Linux", "reordered", "BSD", "NOPs", "EOL first", "no timestamp",
};

static void syn_opts(struct opts *o, enum syn_layout l, uint32_t val,
		     uint32_t ecr)
{
	int i;

	memset(o, 0, sizeof(*o));
	switch (l) {
	case SYN_LINUX:
		o_mss(o);
		o_sack_ok(o);
		o_ts(o, val, ecr);
		o_nop(o);
		o_ws(o);
		break;
	case SYN_REORDERED:
		o_mss(o);
		o_nop(o);
		o_ws(o);
		o_sack_ok(o);
		o_ts(o, val, ecr);
		break;
	case SYN_BSD:
		o_mss(o);
		o_nop(o);
		o_ws(o);
		o_nop(o);
		o_nop(o);
		o_ts(o, val, ecr);
		o_sack_ok(o);
		o_eol(o);
		break;
	case SYN_NOPS:
		for (i = 0; i < 6; i++)
			o_nop(o);
		o_ws(o);
		o_nop(o);
		o_ts(o, val, ecr);
		o_nop(o);
		o_nop(o);
		break;
	case SYN_EOL_FIRST:
		o_mss(o);
		o_eol(o);
		o_ts(o, val, ecr); /* after the end: padding */
		break;
	default:
		o_mss(o);
		o_nop(o);
		o_ws(o);
		o_sack_ok(o);
		break;
	}
	o_end(o);
}

/* How a FIN's options are laid out. */
enum fin_layout {
	FIN_LINUX,    /* NOP, NOP, TS */
	FIN_TS_FIRST, /* TS, NOP, NOP */
	FIN_SACK,     /* NOP, NOP, SACK block, NOP, NOP, TS */
	FIN_EOL,      /* EOL, then the bytes of a TS: no timestamp */
	FIN_LAYOUTS,
};

static void fin_opts(struct opts *o, enum fin_layout l, uint32_t val)
{
	memset(o, 0, sizeof(*o));
	switch (l) {
	case FIN_LINUX:
		o_nop(o);
		o_nop(o);
		o_ts(o, val, 777);
		break;
	case FIN_TS_FIRST:
		o_ts(o, val, 777);
		o_nop(o);
		o_nop(o);
		break;
	case FIN_SACK:
		o_nop(o);
		o_nop(o);
		o_sack(o);
		o_nop(o);
		o_nop(o);
		o_ts(o, val, 777);
		break;
	default:
		o_eol(o);
		o_ts(o, val, 777);
		break;
	}
	o_end(o);
}

/* --- frames ----------------------------------------------------------- */

/* The frame of s with TCP options o (NULL: none), checksum afresh. */
static size_t build(const struct pg_spec *s, const struct opts *o, uint8_t *buf,
		    size_t cap)
{
	struct pg_spec t = *s;
	struct pg_layout lay;
	uint8_t *l4;
	uint16_t c;
	size_t n;

	t.tcp_opts_len = o ? (int)o->len : 0;
	n = pg_build(&t, buf, cap, &lay);
	assert_true(n > 0);
	if (o && o->len) {
		l4 = buf + lay.l4_off;
		assert_int_equal(l4[12] >> 4, 5 + o->len / 4);
		memcpy(l4 + 20, o->b, o->len);
		c = pg_l4_csum(&t.src, &t.dst, IPPROTO_TCP, l4, lay.l4_len);
		l4[16] = (uint8_t)(c >> 8);
		l4[17] = (uint8_t)c;
	}
	return n;
}

/* A segment of the client's connection from cport to the VIP. */
static void client_spec(const struct env *e, struct pg_spec *s, __u16 cport,
			uint8_t flags, uint32_t seq, uint32_t ack)
{
	pg_spec_init(s, e->client, cport, e->vip, SVC_PORT, IPPROTO_TCP);
	s->tcp_flags = flags;
	s->seq = seq;
	s->ack = ack;
}

/* Send the client's segment s (options o): forwarded to BE1:8080 from
 * the SNAT address and port (0: any of the range), byte for byte. The
 * port written. */
static __u16 send_fwd(const struct env *e, const struct pg_spec *s,
		      const struct opts *o, __u16 port, struct xmit *x)
{
	uint8_t want[PG_MAX_FRAME];
	struct pg_spec w;
	size_t n;

	x->in_len = build(s, o, x->in, sizeof(x->in));
	xmit_raw(e->h, penv.if_cli, x);
	assert_verdict(x, penv_redirect(e->h));
	assert_int_equal(x->parsed, 0);
	if (!port)
		port = x->info.sport;
	assert_in_range(port, e->pmin, e->pmax);
	w = *s;
	w.src = pg_addr(e->snat);
	w.sport = port;
	w.dst = pg_addr(e->be);
	w.dport = BE1_PORT;
	w.ttl = 63;
	pg_mac(w.dmac, PENV_BE1_MAC);
	memcpy(w.smac, penv.mac_be, 6);
	n = build(&w, o, want, sizeof(want));
	assert_bytes("masqueraded segment", x->out, x->out_len, want, n);
	assert_csums_ok(x);
	return port;
}

/* The backend's segment to the SNAT tuple port: back to the client at
 * cport from the VIP, byte for byte. */
static void send_rev(const struct env *e, __u16 port, __u16 cport,
		     uint8_t flags, struct xmit *x)
{
	uint8_t want[PG_MAX_FRAME];
	struct pg_spec s, w;
	size_t n;

	pg_spec_init(&s, e->be, BE1_PORT, e->snat, port, IPPROTO_TCP);
	pg_mac(s.smac, PENV_BE1_MAC);
	memcpy(s.dmac, penv.mac_be, 6);
	s.tcp_flags = flags;
	s.seq = 5000;
	s.ack = 1001;
	x->in_len = build(&s, NULL, x->in, sizeof(x->in));
	xmit_raw(e->h, penv.if_be, x);
	assert_verdict(x, penv_redirect(e->h));
	w = s;
	w.src = pg_addr(e->vip);
	w.sport = SVC_PORT;
	w.dst = pg_addr(e->client);
	w.dport = cport;
	w.ttl = 63;
	pg_mac(w.dmac, PENV_CLIENT_MAC);
	memcpy(w.smac, penv.mac_cli, 6);
	n = build(&w, NULL, want, sizeof(want));
	assert_bytes("reply to the client", x->out, x->out_len, want, n);
	assert_csums_ok(x);
}

/* --- conntrack -------------------------------------------------------- */

static struct shunt_ct_key ct_key(const char *src, __u16 sport, const char *dst,
				  __u16 dport, __u8 dir)
{
	struct pg_addr s = pg_addr(src), d = pg_addr(dst);
	struct shunt_ct_key k;

	memset(&k, 0, sizeof(k));
	k.src = penv_ip(&s);
	k.dst = penv_ip(&d);
	k.sport = htons(sport);
	k.dport = htons(dport);
	k.proto = IPPROTO_TCP;
	k.family = s.family == 4 ? SHUNT_V4 : SHUNT_V6;
	k.dir = dir;
	return k;
}

static size_t ct_count(void)
{
	struct shunt_ct_info *v;
	size_t n;

	assert_int_equal(shunt_ct_list(&penv.s, &v, &n), 0);
	free(v);
	return n;
}

static void assert_ip(const union shunt_ip *got, const char *want)
{
	struct pg_addr a = pg_addr(want);
	union shunt_ip w = penv_ip(&a);

	if (memcmp(got, &w, sizeof(w)))
		fail_msg("address in ct entry is not %s", want);
}

/* The REV entry of the SNAT tuple port: the client at cport, state,
 * flags and fin_tsval. */
static void expect_rev(const struct env *e, __u16 port, __u16 cport, __u8 state,
		       __u8 flags, __u32 fin_tsval)
{
	struct shunt_ct_key k =
		ct_key(e->be, BE1_PORT, e->snat, port, SHUNT_CT_REV);
	struct shunt_ct_entry v;

	if (bpf_map_lookup_elem(penv.s.ct_map, &k, &v))
		fail_msg("no REV entry for SNAT port %u", port);
	assert_int_equal(v.state, state);
	assert_int_equal(v.flags, flags);
	assert_ip(&v.snat_addr, e->client);
	assert_int_equal(ntohs(v.snat_port), cport);
	assert_ip(&v.nat_addr, e->vip);
	assert_int_equal(ntohs(v.nat_port), SVC_PORT);
	assert_int_equal(v.svc_id, e->svc_id);
	assert_int_equal(v.backend_id, e->be_id);
	if (v.fin_tsval != fin_tsval)
		fail_msg("REV entry of port %u: fin_tsval %u (0x%08x), want "
			 "%u (0x%08x)",
			 port, v.fin_tsval, v.fin_tsval, fin_tsval, fin_tsval);
}

/* The FWD entry of the client's connection from cport. */
static void expect_fwd(const struct env *e, __u16 cport, __u16 port, __u8 state,
		       __u8 flags)
{
	struct shunt_ct_key k =
		ct_key(e->client, cport, e->vip, SVC_PORT, SHUNT_CT_FWD);
	struct shunt_ct_entry v;

	if (bpf_map_lookup_elem(penv.s.ct_map, &k, &v))
		fail_msg("no FWD entry for client port %u", cport);
	assert_int_equal(v.state, state);
	assert_int_equal(v.flags, flags);
	assert_ip(&v.nat_addr, e->be);
	assert_int_equal(ntohs(v.nat_port), BE1_PORT);
	assert_ip(&v.snat_addr, e->snat);
	assert_int_equal(ntohs(v.snat_port), port);
	assert_int_equal(v.backend_id, e->be_id);
	assert_int_equal(v.fin_tsval, 0);
}

static void expect_no_fwd(const struct env *e, __u16 cport)
{
	struct shunt_ct_key k =
		ct_key(e->client, cport, e->vip, SVC_PORT, SHUNT_CT_FWD);
	struct shunt_ct_entry v;

	if (!bpf_map_lookup_elem(penv.s.ct_map, &k, &v))
		fail_msg("a FWD entry for client port %u (state %u)", cport,
			 v.state);
}

/* --- connections ------------------------------------------------------ */

#define F_SNAT	  SHUNT_CT_F_SNAT
#define F_CLOSED  (SHUNT_CT_F_SNAT | SHUNT_CT_F_FIN_FWD | SHUNT_CT_F_FIN_REV)
#define F_FIN_FWD (SHUNT_CT_F_SNAT | SHUNT_CT_F_FIN_FWD)

/*
 * A new connection's SYN from cport (options o), masqueraded behind port
 * (0: whichever of the range; the port is returned) after retries ports
 * tried before it, skips of them (or of the ports tried in vain, when it
 * falls back to one of them) refused for PAWS: its entries, the REV
 * entry naming this client, fin_tsval 0.
 */
static __u16 syn_takes(const struct env *e, __u16 cport, const struct opts *o,
		       __u16 port, int skips, int retries)
{
	struct pg_spec s;
	struct xmit x;

	client_spec(e, &s, cport, PG_TCP_SYN, 1000, 0);
	port = send_fwd(e, &s, o, port, &x);
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_SNAT_NEW, 1,
			SHUNT_C_SNAT_PAWS_SKIP, skips, SHUNT_C_SNAT_RETRY,
			retries, SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
	expect_rev(e, port, cport, SHUNT_CT_SYN_SENT, F_SNAT, 0);
	expect_fwd(e, cport, port, SHUNT_CT_SYN_SENT, F_SNAT);
	return port;
}

/* The first SYN of the range: no port tried in vain. */
static __u16 syn_new(const struct env *e, __u16 cport, const struct opts *o)
{
	return syn_takes(e, cport, o, 0, 0, 0);
}

/* The connection from cport on port, its SYN sent: the backend answers,
 * the client ACKs. */
static void conn_establish(const struct env *e, __u16 cport, __u16 port)
{
	struct pg_spec s;
	struct xmit x;

	send_rev(e, port, cport, PG_TCP_SYN | PG_TCP_ACK, &x);
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
	client_spec(e, &s, cport, PG_TCP_ACK, 1001, 5001);
	send_fwd(e, &s, NULL, port, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_rev(e, port, cport, SHUNT_CT_ESTABLISHED, F_SNAT, 0);
}

/* The client's FIN (options o, NULL: none): fin_tsval becomes want. */
static void client_fin(const struct env *e, __u16 cport, __u16 port,
		       const struct opts *o, __u32 want)
{
	struct pg_spec s;
	struct xmit x;

	client_spec(e, &s, cport, PG_TCP_FIN | PG_TCP_ACK, 1001, 5001);
	send_fwd(e, &s, o, port, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_rev(e, port, cport, SHUNT_CT_FIN_WAIT, F_FIN_FWD, want);
	expect_fwd(e, cport, port, SHUNT_CT_FIN_WAIT, F_FIN_FWD);
}

/* The backend's FIN, then the client's last ACK: TIME_WAIT, the
 * client's FIN's TSval (want) kept. */
static void close_rest(const struct env *e, __u16 cport, __u16 port, __u32 want)
{
	struct pg_spec s;
	struct xmit x;

	send_rev(e, port, cport, PG_TCP_FIN | PG_TCP_ACK, &x);
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
	client_spec(e, &s, cport, PG_TCP_ACK, 1002, 5002);
	send_fwd(e, &s, NULL, port, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_rev(e, port, cport, SHUNT_CT_TIME_WAIT, F_CLOSED, want);
	expect_fwd(e, cport, port, SHUNT_CT_TIME_WAIT, F_CLOSED);
}

/* The connection from cport on port, its SYN sent: established, then
 * closed both ways, the client's FIN with options fin whose TSval the
 * REV entry must keep (want). */
static void conn_finish(const struct env *e, __u16 cport, __u16 port,
			const struct opts *fin, __u32 want)
{
	conn_establish(e, cport, port);
	client_fin(e, cport, port, fin, want);
	close_rest(e, cport, port, want);
}

/* A whole connection from cport, the first of the range: SYN (options
 * syn), established, closed both ways. Its port, now in TIME_WAIT. */
static __u16 conn_closed(const struct env *e, __u16 cport,
			 const struct opts *syn, const struct opts *fin,
			 __u32 want)
{
	__u16 port = syn_new(e, cport, syn);

	conn_finish(e, cport, port, fin, want);
	return port;
}

/* A new connection's SYN from cport (options o) that finds no port it
 * may take: dropped, the flows left as they were, every port of the
 * range tried (skips of them refused for PAWS). */
static void syn_dropped(const struct env *e, __u16 cport, const struct opts *o,
			int skips)
{
	struct pg_spec s;
	struct xmit x;
	size_t n = ct_count();

	client_spec(e, &s, cport, PG_TCP_SYN, 1000, 0);
	x.in_len = build(&s, o, x.in, sizeof(x.in));
	xmit_raw(e->h, penv.if_cli, &x);
	assert_verdict(&x, penv_drop(e->h));
	assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_SNAT_NEW, 1,
			SHUNT_C_SNAT_PAWS_SKIP, skips, SHUNT_C_SNAT_RETRY,
			e->pmax - e->pmin + 1, SHUNT_C_DROP_SNAT_EXHAUSTED, 1);
	expect_no_fwd(e, cport);
	assert_int_equal(ct_count(), n);
}

/* One port, held by the connection from cport closed at TSval T_FIN: a
 * new SYN from cport + 1 with options o. Refused for PAWS (paws), it
 * takes the tuple only as the fallback, the port tried in vain; else at
 * once. The new connection is then closed at T_FIN in turn (FIN options
 * fin): the next probe finds the same. */
static void probe(const struct env *e, __u16 cport, const struct opts *o,
		  bool paws, const struct opts *fin)
{
	__u16 port = e->pmin;

	expect_rev(e, port, cport, SHUNT_CT_TIME_WAIT, F_CLOSED, T_FIN);
	syn_takes(e, cport + 1, o, port, paws, paws);
	/* The old connection's FWD entry stays, its tuple gone. */
	expect_fwd(e, cport, port, SHUNT_CT_TIME_WAIT, F_CLOSED);
	conn_finish(e, cport + 1, port, fin, T_FIN);
}

static void ts_syn(struct opts *o, uint32_t val)
{
	syn_opts(o, SYN_LINUX, val, 0);
}

/* --- tests ------------------------------------------------------------ */

/*
 * (1) One port, closed both ways with the client's FIN at TSval T: a new
 * connection's SYN with TSval not later than T + 1000 (nor its TSecr,
 * set well past, read for it) is refused the tuple for PAWS
 * (snat_paws_skip, snat_port_retry); no other port left, it takes the
 * tuple all the same (the fallback: at worst its SYN is sent again) and
 * the REV entry names the new client with fin_tsval 0. One with TSval
 * T + 1001 takes it at once. IPv4 and IPv6.
 */
static void test_paws_one_port(void **state)
{
	enum penv_hook h = hook_of(state);
	struct opts syn, fin;
	struct env e;
	__u16 port, c = CPORT;
	int family;

	for (family = 4; family <= 6; family += 2) {
		assert_int_equal(penv_reset(NULL), 0);
		setup(&e, h, family, 1);
		ts_syn(&syn, T_FIN - 20000);
		fin_opts(&fin, FIN_LINUX, T_FIN);
		c = CPORT;
		port = conn_closed(&e, c, &syn, &fin, T_FIN);
		assert_int_equal(port, PORT_MIN);
		assert_int_equal(ct_count(), 2);

		syn_opts(&syn, SYN_LINUX, T_FIN - 5, 0); /* earlier */
		probe(&e, c++, &syn, true, &fin);
		syn_opts(&syn, SYN_LINUX, T_FIN + 1, T_FIN + 50000);
		probe(&e, c++, &syn, true, &fin);
		syn_opts(&syn, SYN_LINUX, T_FIN + TS_MARGIN - 1, 0);
		probe(&e, c++, &syn, true, &fin);
		/* Later than T + 1000 it must be; T + 1000 is not. */
		syn_opts(&syn, SYN_LINUX, T_FIN + TS_MARGIN, 0);
		probe(&e, c++, &syn, true, &fin);
		syn_opts(&syn, SYN_LINUX, T_FIN + TS_MARGIN + 1, 0);
		probe(&e, c++, &syn, false, &fin);
		/* A FWD entry per connection, one REV entry. */
		assert_int_equal(ct_count(), (size_t)(c - CPORT + 1) + 1);
	}
}

/* Serial-number arithmetic: a FIN's TSval just short of 2^32, a SYN's
 * TSval past the wrap. */
static void test_paws_wrap(void **state)
{
	const uint32_t t = 0xfffffe00u;
	struct opts syn, fin;
	struct env e;
	__u16 port;

	setup(&e, hook_of(state), 4, 1);
	ts_syn(&syn, t - 20000);
	fin_opts(&fin, FIN_LINUX, t);
	port = conn_closed(&e, CPORT, &syn, &fin, t);
	/* 0x000001e8: not later enough. */
	ts_syn(&syn, t + TS_MARGIN);
	syn_takes(&e, CPORT + 1, &syn, port, 1, 1);
	conn_finish(&e, CPORT + 1, port, &fin, t);
	/* Numerically past t, serially t + 511. */
	ts_syn(&syn, 0xffffffffu);
	syn_takes(&e, CPORT + 2, &syn, port, 1, 1);
	conn_finish(&e, CPORT + 2, port, &fin, t);
	ts_syn(&syn, t - 1);
	syn_takes(&e, CPORT + 3, &syn, port, 1, 1);
	conn_finish(&e, CPORT + 3, port, &fin, t);
	ts_syn(&syn, t + TS_MARGIN + 1); /* 0x000001e9 */
	syn_takes(&e, CPORT + 4, &syn, port, 0, 0);
}

/*
 * (1) Two ports, one closed with the client's FIN at T: a SYN with TSval
 * < T + 1000 takes the other port, whichever it tries first (the first
 * is random: a dozen rounds), skipping the closed one for PAWS when it
 * tries that first. With the other port taken by a live flow, the next
 * such SYN finds no port it may take: it falls back to the closed one.
 * And of two closed tuples, a SYN takes the one whose FIN it is later
 * than, not the fallback.
 */
static void test_paws_two_ports(void **state)
{
	enum penv_hook h = hook_of(state);
	struct opts syn, fin, fin2;
	__u16 port, other, got;
	struct pg_spec s;
	struct env e;
	struct xmit x;
	int round;
	__u64 skip;

	for (round = 0; round < 12; round++) {
		assert_int_equal(penv_reset(NULL), 0);
		setup(&e, h, 4, 2);
		ts_syn(&syn, T_FIN - 20000);
		fin_opts(&fin, FIN_LINUX, T_FIN);
		port = conn_closed(&e, CPORT, &syn, &fin, T_FIN);
		other = port == PORT_MIN ? PORT_MIN + 1 : PORT_MIN;

		ts_syn(&syn, T_FIN + 1);
		client_spec(&e, &s, CPORT + 1, PG_TCP_SYN, 1000, 0);
		got = send_fwd(&e, &s, &syn, 0, &x);
		if (got != other)
			fail_msg("round %d: the SYN took port %u, closed at "
				 "TSval %u, with TSval %u, port %u free",
				 round, got, T_FIN, T_FIN + 1, other);
		/* 1 when it tried the closed port first, else 0. */
		skip = x.after[SHUNT_C_SNAT_PAWS_SKIP] -
		       x.before[SHUNT_C_SNAT_PAWS_SKIP];
		assert_true(skip <= 1);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_SNAT_NEW, 1,
				SHUNT_C_SNAT_PAWS_SKIP, (int)skip,
				SHUNT_C_SNAT_RETRY, (int)skip, SHUNT_C_NAT_FWD,
				1, SHUNT_C_REDIRECT, 1);
		expect_rev(&e, other, CPORT + 1, SHUNT_CT_SYN_SENT, F_SNAT, 0);
		expect_rev(&e, port, CPORT, SHUNT_CT_TIME_WAIT, F_CLOSED,
			   T_FIN);

		/* The other one live now: the closed one as the fallback,
		 * both ports tried. */
		ts_syn(&syn, T_FIN + 2);
		syn_takes(&e, CPORT + 2, &syn, port, 1, 2);
		expect_rev(&e, other, CPORT + 1, SHUNT_CT_SYN_SENT, F_SNAT, 0);
	}

	/* Two closed tuples, FINs at T and T + 5000: a SYN at T + 2000 may
	 * have only the first. */
	for (round = 0; round < 12; round++) {
		assert_int_equal(penv_reset(NULL), 0);
		setup(&e, h, 4, 2);
		ts_syn(&syn, T_FIN - 20000);
		fin_opts(&fin, FIN_LINUX, T_FIN);
		fin_opts(&fin2, FIN_LINUX, T_FIN + 5000);
		port = syn_new(&e, CPORT, &syn);
		other = port == PORT_MIN ? PORT_MIN + 1 : PORT_MIN;
		/* The live port first, or not. */
		client_spec(&e, &s, CPORT + 1, PG_TCP_SYN, 1000, 0);
		send_fwd(&e, &s, &syn, other, &x);
		skip = x.after[SHUNT_C_SNAT_RETRY] -
		       x.before[SHUNT_C_SNAT_RETRY];
		assert_true(skip <= 1);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_SNAT_NEW, 1,
				SHUNT_C_SNAT_RETRY, (int)skip, SHUNT_C_NAT_FWD,
				1, SHUNT_C_REDIRECT, 1);
		conn_finish(&e, CPORT, port, &fin, T_FIN);
		conn_finish(&e, CPORT + 1, other, &fin2, T_FIN + 5000);

		ts_syn(&syn, T_FIN + 2000);
		client_spec(&e, &s, CPORT + 2, PG_TCP_SYN, 1000, 0);
		got = send_fwd(&e, &s, &syn, 0, &x);
		if (got != port)
			fail_msg("round %d: the SYN at TSval T + 2000 took the "
				 "port closed at T + 5000",
				 round);
		skip = x.after[SHUNT_C_SNAT_PAWS_SKIP] -
		       x.before[SHUNT_C_SNAT_PAWS_SKIP];
		assert_true(skip <= 1);
		assert_counters(&x, SHUNT_C_CT_MISS, 1, SHUNT_C_SNAT_NEW, 1,
				SHUNT_C_SNAT_PAWS_SKIP, (int)skip,
				SHUNT_C_SNAT_RETRY, (int)skip, SHUNT_C_NAT_FWD,
				1, SHUNT_C_REDIRECT, 1);
		expect_rev(&e, port, CPORT + 2, SHUNT_CT_SYN_SENT, F_SNAT, 0);
		expect_rev(&e, other, CPORT + 1, SHUNT_CT_TIME_WAIT, F_CLOSED,
			   T_FIN + 5000);
	}
}

/*
 * The fallback is for closed tuples only: a tuple of a live flow, or of
 * one closed one way only (the client's FIN, FIN_WAIT), is never taken,
 * whatever the SYN's TSval: the SYN is dropped (drop_snat_exhausted).
 */
static void test_paws_live_tuple(void **state)
{
	struct opts syn, fin;
	struct env e;
	__u16 port;

	setup(&e, hook_of(state), 4, 1);
	ts_syn(&syn, T_FIN - 20000);
	fin_opts(&fin, FIN_LINUX, T_FIN);
	port = syn_new(&e, CPORT, &syn);
	conn_establish(&e, CPORT, port);
	ts_syn(&syn, T_FIN + 50000);
	syn_dropped(&e, CPORT + 1, &syn, 0);
	syn_dropped(&e, CPORT + 1, NULL, 0);
	client_fin(&e, CPORT, port, &fin, T_FIN);
	syn_dropped(&e, CPORT + 1, &syn, 0);
	ts_syn(&syn, T_FIN + 1);
	syn_dropped(&e, CPORT + 1, &syn, 0);
	expect_rev(&e, port, CPORT, SHUNT_CT_FIN_WAIT, F_FIN_FWD, T_FIN);
	/* Closed the other way too: taken (here as the fallback). */
	close_rest(&e, CPORT, port, T_FIN);
	syn_takes(&e, CPORT + 1, &syn, port, 1, 1);
}

/*
 * (2) No timestamp to go by: a SYN without the option (none at all, or
 * others only) takes a tuple whose client's FIN was at T at once; a FIN
 * without one leaves fin_tsval 0, and then any SYN takes the tuple.
 */
static void test_paws_no_timestamp(void **state)
{
	struct opts syn, fin;
	struct env e;
	__u16 port;

	setup(&e, hook_of(state), 4, 1);
	ts_syn(&syn, T_FIN - 20000);
	fin_opts(&fin, FIN_LINUX, T_FIN);
	port = conn_closed(&e, CPORT, &syn, &fin, T_FIN);
	/* No options at all. */
	syn_takes(&e, CPORT + 1, NULL, port, 0, 0);
	conn_finish(&e, CPORT + 1, port, &fin, T_FIN);
	/* Options, but no timestamp. */
	syn_opts(&syn, SYN_NO_TS, 0, 0);
	syn_takes(&e, CPORT + 2, &syn, port, 0, 0);
	/* Its FIN carries no timestamp: fin_tsval stays 0. */
	conn_finish(&e, CPORT + 2, port, NULL, 0);
	ts_syn(&syn, 1);
	syn_takes(&e, CPORT + 3, &syn, port, 0, 0);
}

/*
 * (3) Closed by a RST (CLOSE): the tuple goes to a new SYN at once
 * whatever its TSval, even with the client's FIN's TSval kept: a RST
 * after the client's FIN, one after both FINs, one from the client
 * mid-stream.
 */
static void test_paws_rst(void **state)
{
	struct opts syn, fin;
	struct pg_spec s;
	struct xmit x;
	struct env e;
	__u16 port;

	setup(&e, hook_of(state), 4, 1);
	ts_syn(&syn, T_FIN - 20000);
	fin_opts(&fin, FIN_LINUX, T_FIN);
	port = syn_new(&e, CPORT, &syn);
	conn_establish(&e, CPORT, port);
	client_fin(&e, CPORT, port, &fin, T_FIN);
	send_rev(&e, port, CPORT, PG_TCP_RST, &x);
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
	expect_rev(&e, port, CPORT, SHUNT_CT_CLOSE, F_FIN_FWD | SHUNT_CT_F_RST,
		   T_FIN);
	expect_fwd(&e, CPORT, port, SHUNT_CT_CLOSE, F_FIN_FWD | SHUNT_CT_F_RST);
	ts_syn(&syn, T_FIN + 1);
	syn_takes(&e, CPORT + 1, &syn, port, 0, 0);

	/* Closed both ways at T, then a RST. */
	conn_finish(&e, CPORT + 1, port, &fin, T_FIN);
	send_rev(&e, port, CPORT + 1, PG_TCP_RST, &x);
	assert_counters(&x, SHUNT_C_CT_REV_HIT, 1, SHUNT_C_NAT_REV, 1,
			SHUNT_C_REDIRECT, 1);
	expect_rev(&e, port, CPORT + 1, SHUNT_CT_CLOSE,
		   F_CLOSED | SHUNT_CT_F_RST, T_FIN);
	ts_syn(&syn, T_FIN);
	syn_takes(&e, CPORT + 2, &syn, port, 0, 0);

	/* The client's RST, no FIN. */
	conn_establish(&e, CPORT + 2, port);
	client_spec(&e, &s, CPORT + 2, PG_TCP_RST | PG_TCP_ACK, 1001, 5001);
	send_fwd(&e, &s, NULL, port, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	expect_rev(&e, port, CPORT + 2, SHUNT_CT_CLOSE, F_SNAT | SHUNT_CT_F_RST,
		   0);
	ts_syn(&syn, 5);
	syn_takes(&e, CPORT + 3, &syn, port, 0, 0);
}

/*
 * (4) Where the timestamp is: SYNs laid out as Linux, BSD and others do
 * (and in orders no stack uses), FINs with the timestamp first, last,
 * after a SACK block. The REV entry keeps the FIN's TSval exactly; a
 * SYN with TSval T + 500 (TSecr T + 5000) is refused for PAWS (taken as
 * the fallback), one with T + 1001 takes the tuple at once. An EOL ends
 * the list: a timestamp behind it is none (a SYN takes the tuple at once
 * whatever it says; a FIN leaves fin_tsval 0).
 */
static void test_paws_option_layouts(void **state)
{
	enum penv_hook h = hook_of(state);
	struct opts syn, fin;
	struct env e;
	__u16 port;
	int l, f;

	for (l = SYN_LINUX; l <= SYN_NOPS; l++) {
		f = l % FIN_EOL; /* the FIN layouts with a timestamp */
		assert_int_equal(penv_reset(NULL), 0);
		setup(&e, h, l % 2 ? 6 : 4, 1);
		syn_opts(&syn, (enum syn_layout)l, T_FIN - 20000, 0);
		fin_opts(&fin, (enum fin_layout)f, T_FIN);
		port = conn_closed(&e, CPORT, &syn, &fin, T_FIN);
		syn_opts(&syn, (enum syn_layout)l, T_FIN + 500, T_FIN + 5000);
		print_message(
			"%s SYN, FIN layout %d: refused at TSval T + 500, "
			"taken at T + %d\n",
			syn_layout_name[l], f, TS_MARGIN + 1);
		probe(&e, CPORT, &syn, true, &fin);
		syn_opts(&syn, (enum syn_layout)l, T_FIN + TS_MARGIN + 1, 0);
		probe(&e, CPORT + 1, &syn, false, &fin);
		expect_rev(&e, port, CPORT + 2, SHUNT_CT_TIME_WAIT, F_CLOSED,
			   T_FIN);
	}

	/* SYN: the timestamp behind an EOL. */
	assert_int_equal(penv_reset(NULL), 0);
	setup(&e, h, 4, 1);
	ts_syn(&syn, T_FIN - 20000);
	fin_opts(&fin, FIN_SACK, T_FIN);
	port = conn_closed(&e, CPORT, &syn, &fin, T_FIN);
	syn_opts(&syn, SYN_EOL_FIRST, T_FIN + 1, 0);
	syn_takes(&e, CPORT + 1, &syn, port, 0, 0);

	/* FIN: the same. */
	fin_opts(&fin, FIN_EOL, T_FIN);
	conn_finish(&e, CPORT + 1, port, &fin, 0);
	ts_syn(&syn, T_FIN + 1);
	syn_takes(&e, CPORT + 2, &syn, port, 0, 0);
}

/* Age the FWD entry of the client's connection from cport by a second,
 * so that its next packet checks the REV entry. */
static void age_fwd(const struct env *e, __u16 cport)
{
	struct shunt_ct_key k =
		ct_key(e->client, cport, e->vip, SVC_PORT, SHUNT_CT_FWD);
	struct shunt_ct_entry v;

	assert_int_equal(bpf_map_lookup_elem(penv.s.ct_map, &k, &v), 0);
	v.last_seen--;
	assert_int_equal(bpf_map_update_elem(penv.s.ct_map, &k, &v, BPF_EXIST),
			 0);
}

/*
 * (5) The REV entry of an established masqueraded flow lost, and its
 * tuple taken by another client's flow (what the LRU and a newer SYN can
 * do): the flow's next packet notices (snat_rev_lost) and starts again as
 * a new flow under a tuple of its own, here the same port once the
 * other flow has expired; while the other flow lives, the packet is
 * dropped (drop_snat_exhausted), never rejected nor sent under the other
 * flow's tuple.
 */
static void test_snat_rev_lost(void **state)
{
	struct shunt_ct_key rk;
	struct shunt_ct_entry v;
	struct pg_spec s;
	struct xmit x;
	struct env e;
	__u16 port;

	setup(&e, hook_of(state), 4, 1);
	port = syn_new(&e, CPORT, NULL);
	conn_establish(&e, CPORT, port);

	/* Another client's live flow holds the tuple now. */
	rk = ct_key(e.be, BE1_PORT, e.snat, port, SHUNT_CT_REV);
	assert_int_equal(bpf_map_lookup_elem(penv.s.ct_map, &rk, &v), 0);
	v.snat_port = htons(CPORT + 7);
	assert_int_equal(bpf_map_update_elem(penv.s.ct_map, &rk, &v, BPF_EXIST),
			 0);
	age_fwd(&e, CPORT);
	client_spec(&e, &s, CPORT, PG_TCP_ACK, 1001, 5001);
	x.in_len = build(&s, NULL, x.in, sizeof(x.in));
	xmit_raw(e.h, penv.if_cli, &x);
	assert_verdict(&x, penv_drop(e.h));
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_SNAT_REV_LOST, 1,
			SHUNT_C_SNAT_NEW, 1, SHUNT_C_SNAT_RETRY, 1,
			SHUNT_C_DROP_SNAT_EXHAUSTED, 1);
	expect_rev(&e, port, CPORT + 7, SHUNT_CT_ESTABLISHED, F_SNAT, 0);

	/* The other flow over (expired): the tuple is free again. */
	v.last_seen = 1;
	assert_int_equal(bpf_map_update_elem(penv.s.ct_map, &rk, &v, BPF_EXIST),
			 0);
	age_fwd(&e, CPORT);
	send_fwd(&e, &s, NULL, port, &x);
	assert_counters(&x, SHUNT_C_CT_HIT, 1, SHUNT_C_SNAT_REV_LOST, 1,
			SHUNT_C_SNAT_NEW, 1, SHUNT_C_NAT_FWD, 1,
			SHUNT_C_REDIRECT, 1);
	/* A new flow, picked up mid-stream: unconfirmed until the backend
	 * answers. */
	expect_rev(&e, port, CPORT, SHUNT_CT_SYN_SENT, F_SNAT, 0);
	expect_fwd(&e, CPORT, port, SHUNT_CT_SYN_SENT, F_SNAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_paws_one_port),
		PROG_TEST(test_paws_wrap),
		PROG_TEST(test_paws_two_ports),
		PROG_TEST(test_paws_live_tuple),
		PROG_TEST(test_paws_no_timestamp),
		PROG_TEST(test_paws_rst),
		PROG_TEST(test_paws_option_layouts),
		PROG_TEST(test_snat_rev_lost),
	};

	return cmocka_run_group_tests_name("prog_snat_paws", tests, penv_setup,
					   penv_teardown);
}
