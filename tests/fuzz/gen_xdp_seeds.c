// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Writes the seed corpus of fuzz_xdp (tests/fuzz/corpus/fuzz_xdp): valid
 * IPv4/IPv6 TCP/UDP service packets and short conversations in the
 * record format of fuzz_xdp.h, built with tests/lib/pktgen; among them
 * packets too big for the MTUs fuzz_xdp sets, ICMP errors about a flow
 * of the same input and packets with a DSR option.
 *
 *   gen_xdp_seeds DIR        (tests/fuzz/run-fuzz.sh --gen-seeds)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_xdp.h"
#include "pktgen.h"

#define BE0_MAC "02:00:00:00:b0:01"

struct seed {
	uint8_t buf[16384];
	size_t len;
};

static const char *dir;
static int written;

static void rec(struct seed *s, uint8_t ctl, const uint8_t *body, size_t n)
{
	if (s->len + 3 + n > sizeof(s->buf)) {
		fprintf(stderr, "gen_xdp_seeds: seed too large\n");
		exit(1);
	}
	s->buf[s->len++] = ctl;
	s->buf[s->len++] = (uint8_t)(n >> 8);
	s->buf[s->len++] = (uint8_t)n;
	memcpy(s->buf + s->len, body, n);
	s->len += n;
}

static void rec_spec(struct seed *s, uint8_t ctl, const struct pg_spec *sp)
{
	uint8_t f[PG_MAX_FRAME];
	size_t n = pg_build(sp, f, sizeof(f), NULL);

	if (!n) {
		fprintf(stderr, "gen_xdp_seeds: pg_build failed\n");
		exit(1);
	}
	rec(s, ctl, f, n);
}

/* A reply to the previous record's output, with these TCP flags. */
static void rec_reply(struct seed *s, uint8_t flags)
{
	rec(s, FX_CTL_REFLECT | FX_CTL_BE, &flags, 1);
}

/* A reply to the previous record's output with payload_len bytes of
 * payload (and DF). */
static void rec_big_reply(struct seed *s, uint8_t flags, size_t payload_len)
{
	uint8_t b[3] = {flags, (uint8_t)(payload_len >> 8),
			(uint8_t)payload_len};

	rec(s, FX_CTL_REFLECT | FX_CTL_BE, b, sizeof(b));
}

/* An ICMP error about the previous record's output, arriving on the
 * client's side (cli0) or the backends' (be0); err as fuzz_xdp.h says. */
static void rec_icmp(struct seed *s, bool be_side, uint8_t err)
{
	rec(s, FX_CTL_ICMP | (be_side ? FX_CTL_BE : 0), &err, 1);
}

static void save(const char *name, struct seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->buf, 1, s->len, f) != s->len || fclose(f)) {
		fprintf(stderr, "gen_xdp_seeds: %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	written++;
	memset(s, 0, sizeof(*s));
}

static void spec(struct pg_spec *sp, int family, uint8_t proto, const char *vip,
		 uint16_t port)
{
	pg_spec_init(sp, family == 4 ? FX_CLIENT4 : FX_CLIENT6, 40000, vip,
		     port, proto);
}

/* SYN, SYN-ACK, ACK, data both ways, FIN both ways, a new SYN. */
static void tcp_session(int family, const char *vip, uint16_t port,
			const char *name)
{
	struct seed s = {0};
	struct pg_spec sp;

	spec(&sp, family, IPPROTO_TCP, vip, port);
	rec_spec(&s, 0, &sp);
	rec_reply(&s, PG_TCP_SYN | PG_TCP_ACK);
	sp.tcp_flags = PG_TCP_ACK;
	sp.seq = 1001;
	sp.ack = 5001;
	sp.payload_len = 0;
	rec_spec(&s, 0, &sp);
	sp.tcp_flags = PG_TCP_ACK | PG_TCP_PSH;
	sp.payload_len = 100;
	rec_spec(&s, FX_CTL_FIXLEN | FX_CTL_FIXSUM, &sp);
	rec_reply(&s, PG_TCP_ACK | PG_TCP_PSH);
	sp.tcp_flags = PG_TCP_FIN | PG_TCP_ACK;
	sp.payload_len = 0;
	rec_spec(&s, 0, &sp);
	rec_reply(&s, PG_TCP_FIN | PG_TCP_ACK);
	sp.tcp_flags = PG_TCP_SYN;
	rec_spec(&s, 0, &sp);
	save(name, &s);
}

static void udp_session(int family, const char *vip, uint16_t port,
			bool csum_zero, const char *name)
{
	struct seed s = {0};
	struct pg_spec sp;

	spec(&sp, family, IPPROTO_UDP, vip, port);
	sp.udp_csum_zero = csum_zero;
	rec_spec(&s, 0, &sp);
	rec_reply(&s, 0);
	sp.payload_len = 200;
	rec_spec(&s, FX_CTL_FIXLEN | FX_CTL_FIXSUM, &sp);
	save(name, &s);
}

static void single(const struct pg_spec *sp, uint8_t ctl, const char *name)
{
	struct seed s = {0};

	rec_spec(&s, ctl, sp);
	save(name, &s);
}

/* First fragment, a reply, the later fragment. */
static void fragments(int family, uint8_t proto, const char *name)
{
	struct seed s = {0};
	struct pg_spec sp;

	spec(&sp, family, proto, family == 4 ? FX_VIP4 : FX_VIP6, 80);
	sp.payload_len = 96;
	sp.frag = true;
	sp.frag_more = true;
	sp.frag_offset = 0;
	sp.frag_len = 48;
	sp.frag_id = 0x4242;
	sp.ip_id = 0x4242;
	if (family == 6) {
		sp.ext[0].type = PG_EXT_FRAGMENT;
		sp.next = 1;
	}
	rec_spec(&s, 0, &sp);
	sp.frag_more = false;
	sp.frag_offset = 48;
	sp.frag_len = 0;
	rec_spec(&s, 0, &sp);
	save(name, &s);
}

/*
 * Path MTU: a new flow whose first packet is too big for be0 (answered,
 * the flow opened all the same), then a small one that shows its
 * backend, a reply too big for cli0, and a too big packet of the now
 * known flow; IPv4 with DF.
 */
static void too_big(int family, uint8_t proto, const char *name)
{
	struct seed s = {0};
	struct pg_spec sp;

	spec(&sp, family, proto, family == 4 ? FX_VIP4 : FX_VIP6, 80);
	sp.df = true;
	sp.payload_len = FX_BE_MTU + 10;
	if (proto == IPPROTO_TCP)
		sp.tcp_flags = PG_TCP_ACK | PG_TCP_PSH;
	rec_spec(&s, 0, &sp);
	sp.payload_len = 0;
	if (proto == IPPROTO_TCP)
		sp.tcp_flags = PG_TCP_SYN;
	rec_spec(&s, 0, &sp);
	rec_big_reply(&s, PG_TCP_SYN | PG_TCP_ACK, FX_CLI_MTU);
	sp.payload_len = FX_BE_MTU;
	if (proto == IPPROTO_TCP)
		sp.tcp_flags = PG_TCP_ACK;
	rec_spec(&s, 0, &sp);
	save(name, &s);
}

/* Too big and not to be quoted as sent: a fragment, IPv4 options, IPv6
 * extension headers (drop_too_big). */
static void too_big_unquotable(int family, bool frag, const char *name)
{
	struct seed s = {0};
	struct pg_spec sp;

	spec(&sp, family, IPPROTO_UDP, family == 4 ? FX_VIP4 : FX_VIP6, 80);
	sp.df = true;
	sp.payload_len = FX_BE_MTU + 200;
	if (frag) {
		sp.frag = true;
		sp.frag_more = true;
		sp.frag_len = FX_BE_MTU + 8;
		sp.frag_id = 0x4343;
		sp.ip_id = 0x4343;
		if (family == 6) {
			sp.ext[0].type = PG_EXT_FRAGMENT;
			sp.next = 1;
		}
	} else if (family == 4) {
		memset(sp.ip_opts, 1, 4);
		sp.ip_opts_len = 4;
	} else {
		sp.ext[0].type = PG_EXT_DEST;
		sp.next = 1;
	}
	rec_spec(&s, 0, &sp);
	save(name, &s);
}

/*
 * ICMP errors about a flow of the input: one about the client's request
 * as translated (from the backends' side, back to the client), then one
 * about the backend's reply as translated (from the client's side, to
 * the VIP: on to the backend). err0 / err1 as fuzz_xdp.h says.
 */
static void icmp_errors(int family, uint8_t proto, uint8_t err0, uint8_t err1,
			const char *name)
{
	struct seed s = {0};
	struct pg_spec sp;

	spec(&sp, family, proto, family == 4 ? FX_VIP4 : FX_VIP6, 80);
	sp.payload_len = 64;
	rec_spec(&s, 0, &sp);
	rec_icmp(&s, true, err0);
	sp.payload_len = 0;
	rec_spec(&s, 0, &sp);
	rec_reply(&s, PG_TCP_SYN | PG_TCP_ACK);
	rec_icmp(&s, false, err1);
	save(name, &s);
}

/*
 * The backend's node of DSR: a client's packet to a backend address
 * carrying a DSR option that names a service (taken off, a REV entry
 * written), the backend's reply (from the service), then the same with
 * the option naming another service (refused while that flow lives);
 * TCP: then a SYN without the option (the entry goes) and a reply (not
 * translated).
 */
static void dsr_in(int family, uint8_t proto, const char *name)
{
	struct seed s = {0};
	struct pg_addr vip = pg_addr(family == 4 ? FX_VIP4 : FX_VIP6);
	uint8_t f[PG_MAX_FRAME];
	struct pg_layout lay;
	struct pg_spec sp;
	uint8_t *o;
	size_t n;

	pg_spec_init(&sp, family == 4 ? FX_CLIENT4 : FX_CLIENT6, 41000,
		     family == 4 ? FX_BE1_4 : FX_BE1_6, 8080, proto);
	if (family == 4) {
		sp.ip_opts[0] = FX_DSR_OPT;
		sp.ip_opts[1] = FX_DSR4_LEN;
		sp.ip_opts[2] = 0;
		sp.ip_opts[3] = 80;
		memcpy(sp.ip_opts + 4, vip.b, 4);
		sp.ip_opts_len = FX_DSR4_LEN;
	} else {
		sp.ext[0].type = PG_EXT_DEST;
		sp.ext[0].len = FX_DSR6_LEN;
		sp.next = 1;
	}
	n = pg_build(&sp, f, sizeof(f), &lay);
	if (!n) {
		fprintf(stderr, "gen_xdp_seeds: pg_build failed\n");
		exit(1);
	}
	if (family == 6) {
		/* Over the builder's PadN. */
		o = f + lay.l3_off + 40;
		o[2] = FX_DSR_OPT;
		o[3] = 18;
		o[4] = 0;
		o[5] = 80;
		memcpy(o + 6, vip.b, 16);
		o[22] = 1;
		o[23] = 0;
	}
	rec(&s, 0, f, n);
	rec_reply(&s, PG_TCP_SYN | PG_TCP_ACK);
	/* Another service of the protocol: VIP:443 (TCP), NEIGH:53 (UDP). */
	if (proto == IPPROTO_UDP)
		vip = pg_addr(family == 4 ? FX_NEIGH4 : FX_NEIGH6);
	o = f + lay.l3_off + (family == 4 ? 22 : 44);
	o[0] = proto == IPPROTO_TCP ? 443 >> 8 : 0;
	o[1] = proto == IPPROTO_TCP ? 443 & 0xff : 53;
	memcpy(o + 2, vip.b, family == 4 ? 4 : 16);
	if (family == 4) {
		/* The option is in the header checksum only. */
		uint16_t c;

		f[lay.l3_off + 10] = 0;
		f[lay.l3_off + 11] = 0;
		c = pg_ip4_csum(f + lay.l3_off, 20 + FX_DSR4_LEN);
		f[lay.l3_off + 10] = (uint8_t)(c >> 8);
		f[lay.l3_off + 11] = (uint8_t)c;
	}
	rec(&s, 0, f, n);
	if (proto == IPPROTO_TCP) {
		/* A SYN without the option on that tuple: a direct
		 * connection, whose replies are no longer the service's. */
		struct pg_spec d;

		pg_spec_init(&d, family == 4 ? FX_CLIENT4 : FX_CLIENT6, 41000,
			     family == 4 ? FX_BE1_4 : FX_BE1_6, 8080, proto);
		rec_spec(&s, 0, &d);
		rec_reply(&s, PG_TCP_SYN | PG_TCP_ACK);
	}
	save(name, &s);
}

int main(int argc, char **argv)
{
	struct pg_spec sp;
	struct seed s = {0};
	uint8_t raw[64];

	if (argc != 2) {
		fprintf(stderr, "usage: gen_xdp_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	mkdir(dir, 0755);

	tcp_session(4, FX_VIP4, 80, "tcp4-session");
	tcp_session(6, FX_VIP6, 80, "tcp6-session");
	tcp_session(4, FX_VIP4, 443, "tcp4-affinity");
	tcp_session(6, FX_VIP6, 443, "tcp6-affinity");
	udp_session(4, FX_VIP4, 80, false, "udp4-session");
	udp_session(6, FX_VIP6, 80, false, "udp6-session");
	udp_session(4, FX_VIP4, 80, true, "udp4-nocsum");
	udp_session(4, FX_NEIGH4, 53, false, "udp4-noneigh");
	udp_session(6, FX_NEIGH6, 53, false, "udp6-noneigh");
	fragments(4, IPPROTO_UDP, "frag4-udp");
	fragments(4, IPPROTO_TCP, "frag4-tcp");
	fragments(6, IPPROTO_UDP, "frag6-udp");
	fragments(6, IPPROTO_TCP, "frag6-tcp");

	spec(&sp, 4, IPPROTO_TCP, FX_VIP4, 80);
	single(&sp, FX_CTL_FIXLEN | FX_CTL_FIXSUM, "tcp4-syn-fixed");
	spec(&sp, 6, IPPROTO_UDP, FX_VIP6, 80);
	single(&sp, FX_CTL_FIXLEN | FX_CTL_FIXSUM, "udp6-fixed");

	/* One 802.1Q tag; two tags (QinQ). */
	spec(&sp, 4, IPPROTO_TCP, FX_VIP4, 80);
	sp.nvlan = 1;
	sp.vlan_tci[0] = 100;
	single(&sp, 0, "tcp4-vlan");
	spec(&sp, 6, IPPROTO_UDP, FX_VIP6, 80);
	sp.nvlan = 2;
	sp.vlan_tpid[0] = 0x88a8;
	sp.vlan_tci[0] = 10;
	sp.vlan_tci[1] = 20;
	single(&sp, 0, "udp6-qinq");

	/* IPv4 options, IPv6 extension headers. */
	spec(&sp, 4, IPPROTO_UDP, FX_VIP4, 80);
	memset(sp.ip_opts, 1, 8); /* NOP */
	sp.ip_opts_len = 8;
	single(&sp, 0, "udp4-options");
	spec(&sp, 6, IPPROTO_TCP, FX_VIP6, 80);
	sp.ext[0].type = PG_EXT_HOP;
	sp.ext[1].type = PG_EXT_DEST;
	sp.ext[1].len = 16;
	sp.next = 2;
	single(&sp, 0, "tcp6-hop-dest");
	spec(&sp, 6, IPPROTO_UDP, FX_VIP6, 80);
	sp.ext[0].type = PG_EXT_HOP;
	sp.ext[0].len = 64;
	sp.ext[1].type = PG_EXT_DEST;
	sp.ext[1].len = 64;
	sp.next = 2;
	single(&sp, 0, "udp6-long-ext");
	spec(&sp, 6, IPPROTO_TCP, FX_VIP6, 80);
	sp.ext[0].type = PG_EXT_ROUTING;
	sp.next = 1;
	single(&sp, 0, "tcp6-routing");

	/* No backend, draining only, TTL 1. */
	spec(&sp, 4, IPPROTO_TCP, FX_NOBE4, 80);
	single(&sp, 0, "tcp4-nobackend");
	spec(&sp, 6, IPPROTO_UDP, FX_NOBE6, 80);
	single(&sp, 0, "udp6-nobackend");
	spec(&sp, 4, IPPROTO_TCP, FX_DRAIN4, 80);
	single(&sp, 0, "tcp4-draining");
	spec(&sp, 6, IPPROTO_TCP, FX_VIP6, 80);
	sp.ttl = 1;
	single(&sp, 0, "tcp6-ttl1");

	/* A client behind be0: the backend is out of the same device
	 * (XDP_TX). */
	pg_spec_init(&sp, "10.0.1.50", 33000, FX_VIP4, 80, IPPROTO_TCP);
	pg_mac(sp.dmac, BE0_MAC);
	single(&sp, FX_CTL_BE, "tcp4-tx");

	/* Not ours: to a backend directly, ICMP, ICMPv6, ARP. */
	spec(&sp, 4, IPPROTO_TCP, FX_BE1_4, 8080);
	single(&sp, 0, "tcp4-not-service");
	spec(&sp, 4, 1 /* ICMP */, FX_VIP4, 0);
	single(&sp, 0, "icmp4");
	spec(&sp, 6, 58 /* ICMPv6 */, FX_VIP6, 0);
	single(&sp, 0, "icmp6");
	memset(raw, 0, sizeof(raw));
	memset(raw, 0xff, 6);
	pg_mac(raw + 6, "02:00:00:00:00:02");
	raw[12] = 0x08;
	raw[13] = 0x06;
	rec(&s, 0, raw, 42);
	save("arp", &s);

	/* Path MTU (pmtu.h). */
	too_big(4, IPPROTO_TCP, "tcp4-too-big");
	too_big(6, IPPROTO_TCP, "tcp6-too-big");
	too_big(4, IPPROTO_UDP, "udp4-too-big");
	too_big(6, IPPROTO_UDP, "udp6-too-big");
	too_big_unquotable(4, true, "udp4-too-big-frag");
	too_big_unquotable(6, true, "udp6-too-big-frag");
	too_big_unquotable(4, false, "udp4-too-big-options");
	too_big_unquotable(6, false, "udp6-too-big-ext");

	/* ICMP errors about flows (icmp.h): port unreachable, then
	 * fragmentation needed with the whole quote; ICMPv6 destination
	 * unreachable, then packet too big; IPv4 host unreachable quoting
	 * 8 bytes (UDP: its checksum among them). */
	icmp_errors(4, IPPROTO_TCP, 0x03, 0x04, "icmp4-err-tcp");
	icmp_errors(6, IPPROTO_TCP, 0x04, 0x80, "icmp6-err-tcp");
	icmp_errors(4, IPPROTO_UDP, 0x41, 0x04, "icmp4-err-udp");
	icmp_errors(6, IPPROTO_UDP, 0x41, 0xc0, "icmp6-err-udp");
	/* TTL 1: for the stack (time exceeded), not translated. */
	icmp_errors(4, IPPROTO_TCP, 0x23, 0x24, "icmp4-err-ttl1");

	/* DSR, the backend's node (dsr.h). */
	dsr_in(4, IPPROTO_TCP, "tcp4-dsr-in");
	dsr_in(6, IPPROTO_TCP, "tcp6-dsr-in");
	dsr_in(4, IPPROTO_UDP, "udp4-dsr-in");
	dsr_in(6, IPPROTO_UDP, "udp6-dsr-in");

	/* Larger than one page: XDP multi-buffer. */
	spec(&sp, 4, IPPROTO_UDP, FX_VIP4, 80);
	sp.payload_len = 3900;
	single(&sp, 0, "udp4-multibuf");

	printf("gen_xdp_seeds: %d seeds in %s\n", written, dir);
	return 0;
}
