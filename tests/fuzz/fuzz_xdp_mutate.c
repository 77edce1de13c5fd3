// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Structure-aware mutations for fuzz_xdp: half of the time libFuzzer's
 * own byte mutations, else one to three header-level edits of a record
 * (fuzz_xdp.h format): length fields set to boundary values, addresses
 * and ports of the configured services, TTL, IPv4 fragment fields and
 * options, IPv6 fragment and extension headers inserted, VLAN tags,
 * truncation at header boundaries, records duplicated, replies and
 * fragment pairs added; packets grown past the MTUs (with DF), a DSR
 * option naming a service put in, ICMP errors about the previous
 * record's output and large replies added, and the parameters of those
 * records changed. The datapath's branches are invisible to
 * libFuzzer's comparison tracing, so blind byte flips rarely turn a
 * service packet into its interesting variants; these edits do.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_xdp.h"
#include "pktgen.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

struct mrec {
	uint8_t ctl;
	size_t len;
	uint8_t f[FX_MAX_FRAME];
};

static struct mrec recs[FX_MAX_RECORDS];
static int n_recs;
static unsigned int rng;

static unsigned int rnd(unsigned int n)
{
	rng = rng * 1103515245u + 12345u;
	return n ? (rng >> 8) % n : 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void decode(const uint8_t *d, size_t size)
{
	size_t off = 0, len;

	n_recs = 0;
	while (n_recs < FX_MAX_RECORDS && off + 3 <= size) {
		struct mrec *r = &recs[n_recs++];

		r->ctl = d[off];
		len = get16(d + off + 1);
		off += 3;
		if (len > size - off)
			len = size - off;
		if (len > FX_MAX_FRAME)
			len = FX_MAX_FRAME;
		memcpy(r->f, d + off, len);
		r->len = len;
		off += len;
	}
}

static size_t encode(uint8_t *d, size_t max)
{
	size_t off = 0;
	int i;

	for (i = 0; i < n_recs; i++) {
		if (off + 3 + recs[i].len > max)
			return 0;
		d[off] = recs[i].ctl;
		put16(d + off + 1, (uint16_t)recs[i].len);
		memcpy(d + off + 3, recs[i].f, recs[i].len);
		off += 3 + recs[i].len;
	}
	return off;
}

/* Where the headers are, as far as the frame has them. */
struct lay {
	size_t l3;
	int family;    /* 4, 6, 0 */
	size_t ihl;    /* IPv4 header bytes */
	size_t l4;     /* upper layer (after IPv6 extension headers) */
	size_t nh_off; /* IPv6: byte naming the upper layer */
	size_t frag;   /* IPv6: fragment header offset, 0: none */
	uint8_t proto;
};

static bool layout(const struct mrec *r, struct lay *l)
{
	const uint8_t *f = r->f;
	size_t off = 12, len = r->len;
	uint16_t type;
	int n = 0;

	memset(l, 0, sizeof(*l));
	if (len < 14)
		return false;
	type = get16(f + off);
	while ((type == 0x8100 || type == 0x88a8) && n++ < 2 &&
	       off + 6 <= len) {
		off += 4;
		type = get16(f + off);
	}
	l->l3 = off + 2;
	if (type == 0x0800 && len >= l->l3 + 20) {
		l->family = 4;
		l->ihl = (size_t)(f[l->l3] & 0xf) * 4;
		if (l->ihl < 20)
			l->ihl = 20;
		l->l4 = l->l3 + l->ihl;
		l->proto = f[l->l3 + 9];
		return true;
	}
	if (type == 0x86dd && len >= l->l3 + 40) {
		uint8_t nh = f[l->l3 + 6];

		l->family = 6;
		l->nh_off = l->l3 + 6;
		off = l->l3 + 40;
		for (n = 0; n < 8 && off + 8 <= len; n++) {
			if (nh == 0 || nh == 60 || nh == 43) {
				l->nh_off = off;
				nh = f[off];
				off += ((size_t)f[off + 1] + 1) * 8;
			} else if (nh == 44) {
				l->frag = off;
				l->nh_off = off;
				nh = f[off];
				off += 8;
			} else {
				break;
			}
		}
		l->l4 = off;
		l->proto = nh;
		return true;
	}
	return false;
}

/* Insert n bytes at off (zeroed); false when they do not fit. */
static bool insert(struct mrec *r, size_t off, size_t n)
{
	if (off > r->len || r->len + n > FX_MAX_FRAME)
		return false;
	memmove(r->f + off + n, r->f + off, r->len - off);
	memset(r->f + off, 0, n);
	r->len += n;
	return true;
}

static void remove_bytes(struct mrec *r, size_t off, size_t n)
{
	if (off >= r->len)
		return;
	if (off + n > r->len)
		n = r->len - off;
	memmove(r->f + off, r->f + off + n, r->len - off - n);
	r->len -= n;
}

/* A boundary value around exact. */
static uint16_t boundary(size_t exact)
{
	switch (rnd(8)) {
	case 0:
		return (uint16_t)exact;
	case 1:
		return (uint16_t)(exact + 1 + rnd(8));
	case 2:
		return (uint16_t)(exact > 8 ? exact - 1 - rnd(8) : 0);
	case 3:
		return (uint16_t)rnd(9);
	case 4:
		return 0xffff;
	case 5:
		return (uint16_t)(rnd(64) * 8);
	default:
		return (uint16_t)rnd(0x10000);
	}
}

static void set_addr(struct mrec *r, const struct lay *l, bool dst)
{
	const struct fx_service *s = &fx_services[rnd(FX_N_SERVICES)];
	static const char *const others4[] = {
		FX_CLIENT4, FX_BE1_4,	FX_BE2_4,   FX_NONEIGH4,
		"10.0.0.1", "10.0.1.1", "192.0.2.1"};
	static const char *const others6[] = {
		FX_CLIENT6,  FX_BE1_6,	  FX_BE2_6,	FX_NONEIGH6,
		"fd00:a::1", "fd00:b::1", "2001:db8::1"};
	const char *text = NULL;
	struct pg_addr a;
	size_t off;
	int i;

	/* A VIP or a backend of the right family, or another address. */
	for (i = 0; i < 8 && !text; i++, s = &fx_services[rnd(FX_N_SERVICES)]) {
		const char *cand =
			rnd(2) || !s->n_be ? s->vip : s->be[rnd(s->n_be)].addr;

		if ((strchr(cand, ':') != NULL) == (l->family == 6))
			text = cand;
	}
	if (!text || !rnd(4))
		text = l->family == 4 ? others4[rnd(7)] : others6[rnd(7)];
	a = pg_addr(text);
	if (l->family == 4) {
		off = l->l3 + (dst ? 16 : 12);
		if (off + 4 <= r->len)
			memcpy(r->f + off, a.b, 4);
	} else {
		off = l->l3 + (dst ? 24 : 8);
		if (off + 16 <= r->len)
			memcpy(r->f + off, a.b, 16);
	}
}

static void set_port(struct mrec *r, const struct lay *l, bool dst)
{
	static const uint16_t ports[] = {80,   443,  53,    8080, 8081,
					 8443, 5353, 40000, 0,	  65535};
	const struct fx_service *s = &fx_services[rnd(FX_N_SERVICES)];
	uint16_t p;

	if (l->l4 + 4 > r->len)
		return;
	switch (rnd(3)) {
	case 0:
		p = s->port;
		break;
	case 1:
		p = s->n_be ? s->be[rnd(s->n_be)].port : s->port;
		break;
	default:
		p = ports[rnd(sizeof(ports) / sizeof(ports[0]))];
		break;
	}
	put16(r->f + l->l4 + (dst ? 2 : 0), p);
}

/* IPv6: insert a hop-by-hop or destination options header (PadN) of
 * 8..256 bytes, or a fragment header, in front of the upper layer. */
static void ext6_insert(struct mrec *r, const struct lay *l, bool frag)
{
	size_t n = frag ? 8 : 8 * (1 + rnd(32)), at = l->l4;
	uint8_t type = frag ? 44 : (rnd(2) ? 0 : 60), next;
	uint16_t plen;

	if (l->nh_off >= r->len || at > r->len)
		return;
	next = r->f[l->nh_off];
	if (!insert(r, at, n))
		return;
	r->f[at] = next;
	if (frag) {
		uint16_t fo = (uint16_t)(rnd(2) ? 0 : rnd(0x2000) << 3);

		fo |= (uint16_t)rnd(2); /* M */
		put16(r->f + at + 2, fo);
		memcpy(r->f + at + 4, "\x00\x00\x42\x42", 4);
	} else {
		r->f[at + 1] = (uint8_t)(n / 8 - 1);
		r->f[at + 2] = 1; /* PadN */
		r->f[at + 3] = (uint8_t)(n - 4 > 255 ? 255 : n - 4);
	}
	r->f[l->nh_off] = type;
	plen = get16(r->f + l->l3 + 4);
	put16(r->f + l->l3 + 4, (uint16_t)(plen + n));
}

/* IPv4: grow the header by 4..40 bytes of options. */
static void opt4_grow(struct mrec *r, const struct lay *l)
{
	size_t room = 60 - l->ihl, n;
	uint16_t tot;

	if (room < 4)
		return;
	n = 4 * (1 + rnd((unsigned int)(room / 4)));
	if (!insert(r, l->l3 + l->ihl, n))
		return;
	memset(r->f + l->l3 + l->ihl, rnd(4) ? 1 /* NOP */ : 0, n);
	r->f[l->l3] = (uint8_t)(0x40 | ((l->ihl + n) / 4));
	tot = get16(r->f + l->l3 + 2);
	put16(r->f + l->l3 + 2, (uint16_t)(tot + n));
}

static void vlan(struct mrec *r, const struct lay *l)
{
	if (l->l3 > 14 && rnd(2)) {
		remove_bytes(r, 12, 4);
		return;
	}
	if (!insert(r, 12, 4))
		return;
	put16(r->f + 12, rnd(3) ? 0x8100 : 0x88a8);
	put16(r->f + 14, (uint16_t)rnd(4096));
}

static void truncate_at(struct mrec *r, const struct lay *l)
{
	size_t at;

	switch (rnd(3)) {
	case 0:
		at = l->l3 + rnd(41);
		break;
	case 1:
		at = l->l4 + rnd(21);
		break;
	default:
		at = r->len > 8 ? r->len - 1 - rnd(8) : r->len;
		break;
	}
	if (at < r->len)
		r->len = at;
}

/* IPv4 fragment fields, or the IPv6 fragment header's. */
static void frag_fields(struct mrec *r, const struct lay *l)
{
	static const uint16_t v4[] = {0x0000, 0x2000, 0x4000, 0x2001, 0x0001,
				      0x0006, 0x1fff, 0x8000, 0x3fff, 0x2006};
	int other = n_recs > 1 ? (int)rnd((unsigned int)n_recs) : -1;

	if (l->family == 4 && l->l3 + 8 <= r->len) {
		put16(r->f + l->l3 + 6, v4[rnd(sizeof(v4) / sizeof(v4[0]))]);
		/* The id of another record, to pair fragments. */
		if (other >= 0 && recs[other].len >= l->l3 + 6 && rnd(2))
			memcpy(r->f + l->l3 + 4, recs[other].f + l->l3 + 4, 2);
		return;
	}
	if (l->family == 6 && l->frag && l->frag + 8 <= r->len) {
		put16(r->f + l->frag + 2,
		      (uint16_t)((rnd(2) ? 0 : rnd(0x2000) << 3) | rnd(2)));
		return;
	}
	if (l->family == 6)
		ext6_insert(r, l, true);
}

/* Split record i into a first and a later fragment of one datagram. */
static void frag_pair(int i)
{
	struct mrec *r = &recs[i], *s;
	struct lay l;
	size_t data, cut, hdr;

	if (n_recs >= FX_MAX_RECORDS || !layout(r, &l) || !l.family)
		return;
	if (l.family == 6 && !l.frag) {
		ext6_insert(r, &l, true);
		if (!layout(r, &l) || !l.frag)
			return;
	}
	if (l.l4 >= r->len)
		return;
	data = r->len - l.l4;
	cut = 8 * (1 + rnd((unsigned int)(data / 8 > 1 ? data / 8 - 1 : 1)));
	if (cut >= data)
		return;
	memmove(&recs[i + 2], &recs[i + 1],
		(size_t)(n_recs - i - 1) * sizeof(recs[0]));
	n_recs++;
	s = &recs[i + 1];
	hdr = l.l4;
	/* Later: the headers, then the data from cut on. */
	memcpy(s->f, r->f, hdr);
	memcpy(s->f + hdr, r->f + hdr + cut, data - cut);
	s->len = hdr + data - cut;
	s->ctl = r->ctl & ~FX_CTL_REFLECT;
	r->len = hdr + cut;
	if (l.family == 4) {
		put16(r->f + l.l3 + 6, 0x2000);
		put16(s->f + l.l3 + 6, (uint16_t)(cut / 8));
		put16(r->f + l.l3 + 2, (uint16_t)(r->len - l.l3));
		put16(s->f + l.l3 + 2, (uint16_t)(s->len - l.l3));
	} else {
		put16(r->f + l.frag + 2, 1);
		put16(s->f + l.frag + 2, (uint16_t)cut);
		put16(r->f + l.l3 + 4, (uint16_t)(r->len - l.l3 - 40));
		put16(s->f + l.l3 + 4, (uint16_t)(s->len - l.l3 - 40));
	}
	fx_fix_csums(r->f, r->len);
	fx_fix_csums(s->f, s->len);
}

/* An IP length around the MTUs of fuzz_xdp.h. */
static size_t big_len(void)
{
	static const uint16_t lens[] = {FX_BE_MTU - 1,	FX_BE_MTU,
					FX_BE_MTU + 1,	FX_BE_MTU + 4,
					FX_BE_MTU + 5,	FX_BE_MTU + 50,
					FX_CLI_MTU - 1, FX_CLI_MTU,
					FX_CLI_MTU + 1, FX_CLI_MTU + 4,
					FX_CLI_MTU + 5, FX_CLI_MTU + 100,
					2000,		3000};

	return lens[rnd(sizeof(lens) / sizeof(lens[0]))];
}

/* Grow the packet to an IP length around an MTU, mostly with DF. */
static void grow_big(struct mrec *r, const struct lay *l)
{
	size_t want = big_len(), have = r->len - l->l3, i;

	if (want <= have || !insert(r, r->len, want - have))
		return;
	for (i = l->l3 + have; i < r->len; i++)
		r->f[i] = (uint8_t)(i * 7 + 13);
	if (l->family == 4 && rnd(4))
		r->f[l->l3 + 6] |= 0x40;
	fx_fix_lengths(r->f, r->len);
	fx_fix_csums(r->f, r->len);
}

/* Put a DSR option naming a service (mostly) first after the fixed IP
 * header, as a balancing node would, and mostly send the packet to one
 * of that service's backends. */
static void dsr_insert(struct mrec *r, const struct lay *l)
{
	const struct fx_service *s = NULL;
	struct pg_addr a;
	uint16_t port;
	uint8_t *o;
	int i;

	for (i = 0; i < 8 && !s; i++) {
		s = &fx_services[rnd(FX_N_SERVICES)];
		if ((strchr(s->vip, ':') != NULL) != (l->family == 6))
			s = NULL;
	}
	if (!s)
		return;
	a = pg_addr(s->vip);
	port = rnd(8) ? s->port : (uint16_t)rnd(0x10000);
	if (l->family == 4) {
		if (l->ihl + FX_DSR4_LEN > 60 ||
		    !insert(r, l->l3 + 20, FX_DSR4_LEN))
			return;
		o = r->f + l->l3 + 20;
		o[0] = FX_DSR_OPT;
		o[1] = FX_DSR4_LEN;
		put16(o + 2, port);
		memcpy(o + 4, a.b, 4);
		r->f[l->l3] = (uint8_t)(0x40 | (l->ihl + FX_DSR4_LEN) / 4);
		put16(r->f + l->l3 + 2,
		      (uint16_t)(get16(r->f + l->l3 + 2) + FX_DSR4_LEN));
	} else {
		if (!insert(r, l->l3 + 40, FX_DSR6_LEN))
			return;
		o = r->f + l->l3 + 40;
		o[0] = r->f[l->l3 + 6];
		o[1] = 2;
		o[2] = FX_DSR_OPT;
		o[3] = 18;
		put16(o + 4, port);
		memcpy(o + 6, a.b, 16);
		o[22] = 1; /* PadN */
		r->f[l->l3 + 6] = 60;
		put16(r->f + l->l3 + 4,
		      (uint16_t)(get16(r->f + l->l3 + 4) + FX_DSR6_LEN));
	}
	if (s->n_be && rnd(4)) {
		const struct fx_backend *b = &s->be[rnd((unsigned)s->n_be)];
		struct pg_addr ba = pg_addr(b->addr);
		size_t l4 =
			l->l4 + (l->family == 4 ? FX_DSR4_LEN : FX_DSR6_LEN);

		memcpy(r->f + l->l3 + (l->family == 4 ? 16 : 24), ba.b,
		       l->family == 4 ? 4 : 16);
		if (l4 + 4 <= r->len)
			put16(r->f + l4 + 2, b->port);
		if (l->family == 4)
			r->f[l->l3 + 9] = s->proto;
		else
			r->f[l->l3 + 40] = s->proto;
	}
	fx_fix_csums(r->f, r->len);
}

/* Add a record after i whose frame is made of record i's output: a
 * reply (large, or not) or an ICMP error about it. */
static void add_derived(int i, uint8_t ctl)
{
	struct mrec *d;
	size_t plen = big_len() - (rnd(2) ? 40 : 60);

	if (n_recs >= FX_MAX_RECORDS)
		return;
	memmove(&recs[i + 2], &recs[i + 1],
		(size_t)(n_recs - i - 1) * sizeof(recs[0]));
	n_recs++;
	d = &recs[i + 1];
	d->ctl = (uint8_t)(ctl | (rnd(2) ? FX_CTL_BE : 0));
	d->f[0] = (uint8_t)rnd(256);
	d->len = 1;
	if (rnd(2)) {
		put16(d->f + 1, (uint16_t)(ctl & FX_CTL_ICMP ? rnd(80) : plen));
		d->len = 3;
	}
}

/* A record whose frame is made of the previous output: its parameters. */
static void mutate_derived(struct mrec *r)
{
	switch (rnd(4)) {
	case 0:
		r->ctl ^= (uint8_t)(1u << rnd(5));
		break;
	case 1:
		if (r->len < 3)
			r->len = 3;
		put16(r->f + 1,
		      (uint16_t)(r->ctl & FX_CTL_ICMP
					 ? rnd(2) ? rnd(64) : rnd(1500)
					 : big_len() - 40));
		break;
	default:
		if (!r->len)
			r->len = 1;
		r->f[0] = (uint8_t)rnd(256);
		break;
	}
}

static void mutate_record(int i)
{
	struct mrec *r = &recs[i];
	struct lay l;

	if (r->ctl & (FX_CTL_REFLECT | FX_CTL_ICMP)) {
		/* A reply or an ICMP error: its parameters, or make it a
		 * frame again. */
		mutate_derived(r);
		return;
	}
	if (!layout(r, &l) || !l.family) {
		r->ctl ^= (uint8_t)(1u << rnd(3));
		return;
	}
	switch (rnd(23)) {
	case 0:
		r->ctl ^= (uint8_t)(1u << rnd(3));
		break;
	case 1:
	case 2:
		if (l.family == 4 && l.l3 + 4 <= r->len)
			put16(r->f + l.l3 + 2, boundary(r->len - l.l3));
		else if (l.family == 6 && l.l3 + 6 <= r->len)
			put16(r->f + l.l3 + 4, boundary(r->len - l.l3 - 40));
		break;
	case 3:
		if (l.proto == 17 && l.l4 + 6 <= r->len)
			put16(r->f + l.l4 + 4, boundary(r->len - l.l4));
		else if (l.proto == 6 && l.l4 + 14 <= r->len)
			r->f[l.l4 + 12] = (uint8_t)(rnd(16) << 4);
		break;
	case 4:
		if (l.proto == 6 && l.l4 + 14 <= r->len) {
			static const uint8_t fl[] = {0x02, 0x12, 0x10, 0x11,
						     0x04, 0x14, 0x18, 0x01};

			r->f[l.l4 + 13] = fl[rnd(sizeof(fl))];
		}
		break;
	case 5:
		set_addr(r, &l, true);
		break;
	case 6:
		set_addr(r, &l, false);
		break;
	case 7:
		set_port(r, &l, true);
		break;
	case 8:
		set_port(r, &l, false);
		break;
	case 9: {
		static const uint8_t ttl[] = {0, 1, 2, 64, 255};
		size_t off = l.l3 + (l.family == 4 ? 8 : 7);

		if (off < r->len)
			r->f[off] = ttl[rnd(5)];
		break;
	}
	case 10:
		frag_fields(r, &l);
		break;
	case 11:
		if (l.family == 6)
			ext6_insert(r, &l, false);
		else
			opt4_grow(r, &l);
		break;
	case 12:
		vlan(r, &l);
		break;
	case 13:
		truncate_at(r, &l);
		break;
	case 14:
		if (l.proto == 6 || l.proto == 17) {
			/* The other protocol, same ports. */
			size_t off = l.family == 4 ? l.l3 + 9 : l.nh_off;

			if (off < r->len)
				r->f[off] = l.proto == 6 ? 17 : 6;
		}
		break;
	case 15:
		if (n_recs < FX_MAX_RECORDS) {
			memmove(&recs[i + 1], &recs[i],
				(size_t)(n_recs - i) * sizeof(recs[0]));
			n_recs++;
		}
		break;
	case 16:
		if (n_recs < FX_MAX_RECORDS) {
			memmove(&recs[i + 2], &recs[i + 1],
				(size_t)(n_recs - i - 1) * sizeof(recs[0]));
			n_recs++;
			recs[i + 1].ctl = FX_CTL_REFLECT | FX_CTL_BE;
			recs[i + 1].len = 1;
			recs[i + 1].f[0] = (uint8_t)rnd(256);
		}
		break;
	case 17:
		grow_big(r, &l);
		break;
	case 18:
		dsr_insert(r, &l);
		break;
	case 19:
		add_derived(i, FX_CTL_ICMP);
		break;
	case 20:
		add_derived(i, FX_CTL_REFLECT);
		break;
	default:
		frag_pair(i);
		break;
	}
	/* Mostly keep the checksums right: the datapath does not check
	 * them, but the independent checker's validity test needs them. */
	if (rnd(3))
		fx_fix_csums(r->f, r->len);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	size_t out;
	int n;

	rng = seed;
	if (rnd(2) || size < 3)
		return LLVMFuzzerMutate(data, size, max_size);
	decode(data, size);
	if (!n_recs)
		return LLVMFuzzerMutate(data, size, max_size);
	for (n = 1 + (int)rnd(3); n > 0; n--)
		mutate_record((int)rnd((unsigned int)n_recs));
	out = encode(data, max_size);
	return out ? out : LLVMFuzzerMutate(data, size, max_size);
}
