// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Writes the seed corpus of fuzz_xdp (tests/fuzz/corpus/fuzz_xdp): valid
 * IPv4/IPv6 TCP/UDP service packets and short conversations in the
 * record format of fuzz_xdp.h, built with tests/lib/pktgen.
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

	/* Larger than one page: XDP multi-buffer. */
	spec(&sp, 4, IPPROTO_UDP, FX_VIP4, 80);
	sp.payload_len = 3900;
	single(&sp, 0, "udp4-multibuf");

	printf("gen_xdp_seeds: %d seeds in %s\n", written, dir);
	return 0;
}
