/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test packets: builder and independent checker (see pktgen.h). Written
 * from the RFCs (791, 793, 768, 8200, 1071), not from bpf/lib.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

#define ETH_HLEN_     14
#define TPID_8021Q    0x8100
#define TPID_8021AD   0x88a8
#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define PROTO_ICMP    1
#define PROTO_TCP     6
#define PROTO_UDP     17
#define PROTO_ICMP6   58

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

struct pg_addr pg_addr(const char *text)
{
	struct pg_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.b) == 1) {
		a.family = 4;
		return a;
	}
	if (inet_pton(AF_INET6, text, a.b) == 1) {
		a.family = 6;
		return a;
	}
	fprintf(stderr, "pktgen: bad address '%s'\n", text);
	abort();
}

void pg_mac(uint8_t mac[6], const char *text)
{
	unsigned int m[6];
	int i;

	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
		   &m[5]) != 6) {
		fprintf(stderr, "pktgen: bad MAC '%s'\n", text);
		abort();
	}
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
}

const char *pg_addr_str(const struct pg_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

void pg_spec_init(struct pg_spec *s, const char *src, uint16_t sport,
		  const char *dst, uint16_t dport, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	pg_mac(s->smac, "02:00:00:00:00:02");
	pg_mac(s->dmac, "02:00:00:00:a0:01");
	s->src = pg_addr(src);
	s->dst = pg_addr(dst);
	s->proto = proto;
	s->sport = sport;
	s->dport = dport;
	s->ip_id = 0x1234;
	s->seq = 1000;
	s->tcp_flags = proto == PROTO_TCP ? PG_TCP_SYN : 0;
	s->payload_len = 32;
}

uint32_t pg_sum(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
		if (sum > 0xffff0000U) /* keep headroom for the carries */
			sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t pg_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Offset of the checksum field within an upper-layer header. */
static int l4_check_off(uint8_t proto)
{
	switch (proto) {
	case PROTO_TCP:
		return 16;
	case PROTO_UDP:
		return 6;
	case PROTO_ICMP:
	case PROTO_ICMP6:
		return 2;
	default:
		return -1;
	}
}

uint16_t pg_l4_csum(const struct pg_addr *src, const struct pg_addr *dst,
		    uint8_t proto, const uint8_t *l4, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int coff = l4_check_off(proto);
	uint32_t sum = 0;
	uint8_t tmp[4];
	uint16_t res;

	if (!copy)
		abort();
	memcpy(copy, l4, len);
	if (coff >= 0 && (size_t)coff + 2 <= len)
		copy[coff] = copy[coff + 1] = 0;
	if (proto != PROTO_ICMP) {
		/* Pseudo-header (RFC 793 / RFC 8200 section 8.1). */
		if (src->family == 4) {
			sum = pg_sum(sum, src->b, 4);
			sum = pg_sum(sum, dst->b, 4);
			tmp[0] = 0;
			tmp[1] = proto;
			put16(tmp + 2, (uint16_t)len);
			sum = pg_sum(sum, tmp, 4);
		} else {
			sum = pg_sum(sum, src->b, 16);
			sum = pg_sum(sum, dst->b, 16);
			put32(tmp, (uint32_t)len);
			sum = pg_sum(sum, tmp, 4);
			tmp[0] = tmp[1] = tmp[2] = 0;
			tmp[3] = proto;
			sum = pg_sum(sum, tmp, 4);
		}
	}
	sum = pg_sum(sum, copy, len);
	free(copy);
	res = (uint16_t)~pg_fold(sum);
	if (proto == PROTO_UDP && res == 0)
		res = 0xffff;
	return res;
}

uint16_t pg_ip4_csum(const uint8_t *hdr, size_t hlen)
{
	uint8_t copy[60];

	if (hlen > sizeof(copy))
		hlen = sizeof(copy);
	memcpy(copy, hdr, hlen);
	copy[10] = copy[11] = 0;
	return (uint16_t)~pg_fold(pg_sum(0, copy, hlen));
}

/* The upper-layer part of the datagram, whole: header + payload, with
 * its checksum. Returns its length. */
static size_t build_l4(const struct pg_spec *s, uint8_t *l4, size_t cap)
{
	size_t hlen, i, len;
	uint8_t *pl;
	int coff;

	switch (s->proto) {
	case PROTO_TCP:
		hlen = 20 + (size_t)s->tcp_opts_len;
		break;
	case PROTO_UDP:
		hlen = 8;
		break;
	case PROTO_ICMP:
	case PROTO_ICMP6:
		hlen = 8;
		break;
	default:
		hlen = 0;
		break;
	}
	len = hlen + s->payload_len;
	if (len > cap)
		return 0;
	memset(l4, 0, hlen);
	pl = l4 + hlen;
	for (i = 0; i < s->payload_len; i++)
		pl[i] = s->payload ? ((const uint8_t *)s->payload)[i]
				   : (uint8_t)(i * 7 + 3);

	switch (s->proto) {
	case PROTO_TCP:
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)((hlen / 4) << 4);
		l4[13] = s->tcp_flags;
		put16(l4 + 14, s->tcp_win_zero ? 0 : 65535);
		for (i = 20; i < hlen; i++)
			l4[i] = 1; /* NOP */
		break;
	case PROTO_UDP:
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)len);
		break;
	case PROTO_ICMP:
		l4[0] = s->icmp_type ? s->icmp_type : 8; /* echo request */
		put16(l4 + 4, 0x4242);
		put16(l4 + 6, 1);
		break;
	case PROTO_ICMP6:
		l4[0] = s->icmp_type ? s->icmp_type : 128; /* echo request */
		put16(l4 + 4, 0x4242);
		put16(l4 + 6, 1);
		break;
	default:
		break;
	}
	coff = l4_check_off(s->proto);
	if (coff >= 0 && !(s->proto == PROTO_UDP && s->udp_csum_zero))
		put16(l4 + coff,
		      pg_l4_csum(&s->src, &s->dst, s->proto, l4, len));
	return len;
}

/* One IPv6 extension header of total length len at p. */
static void build_ext(const struct pg_spec *s, const struct pg_ext *e,
		      uint8_t next, uint8_t *p, size_t len)
{
	memset(p, 0, len);
	switch (e->type) {
	case PG_EXT_FRAGMENT:
		p[0] = next;
		put16(p + 2, (uint16_t)((s->frag_offset & ~7U) |
					(s->frag_more ? 1 : 0)));
		put32(p + 4, s->frag_id);
		break;
	case PG_EXT_ESP:
		/* SPI and sequence number; the rest is opaque. */
		put32(p, 0x1000);
		put32(p + 4, 1);
		break;
	case PG_EXT_AH:
		p[0] = next;
		p[1] = (uint8_t)(len / 4 - 2);
		put32(p + 4, 0x1000);
		put32(p + 8, 1);
		break;
	case PG_EXT_ROUTING:
		p[0] = next;
		p[1] = (uint8_t)(len / 8 - 1);
		p[2] = 4; /* segment routing */
		p[3] = 0; /* segments left */
		break;
	default: /* hop-by-hop, destination options: one PadN option */
		p[0] = next;
		p[1] = (uint8_t)(len / 8 - 1);
		p[2] = 1;
		p[3] = (uint8_t)(len - 4);
		break;
	}
}

static size_t ext_len(const struct pg_ext *e)
{
	if (e->len)
		return e->len;
	return e->type == PG_EXT_AH ? 16 : 8;
}

size_t pg_build(const struct pg_spec *s, uint8_t *buf, size_t cap,
		struct pg_layout *lay)
{
	uint8_t l4[PG_MAX_FRAME];
	size_t l4_len, off = 0, l3_off, l4_off, hlen, part_off, part_len;
	uint16_t ethertype;
	uint8_t next;
	int i;

	l4_len = build_l4(s, l4, sizeof(l4));
	if (!l4_len && s->payload_len)
		return 0;
	part_off = s->frag ? s->frag_offset : 0;
	if (part_off > l4_len)
		return 0;
	part_len = l4_len - part_off;
	if (s->frag && s->frag_len && s->frag_len < part_len)
		part_len = s->frag_len;

	if (cap < ETH_HLEN_ + 8)
		return 0;
	memcpy(buf, s->dmac, 6);
	memcpy(buf + 6, s->smac, 6);
	off = 12;
	for (i = 0; i < s->nvlan && i < 2; i++) {
		put16(buf + off,
		      s->vlan_tpid[i] ? s->vlan_tpid[i] : TPID_8021Q);
		put16(buf + off + 2, s->vlan_tci[i]);
		off += 4;
	}
	ethertype = s->ethertype	 ? s->ethertype
		    : s->src.family == 4 ? ETHERTYPE_IP4
					 : ETHERTYPE_IP6;
	put16(buf + off, ethertype);
	off += 2;
	l3_off = off;

	if (s->src.family == 4) {
		uint16_t frag = 0;

		hlen = 20 + (size_t)s->ip_opts_len;
		if (l3_off + hlen + part_len > cap)
			return 0;
		memset(buf + l3_off, 0, hlen);
		buf[l3_off] = (uint8_t)(0x40 | (hlen / 4));
		buf[l3_off + 1] = s->tos;
		put16(buf + l3_off + 2, (uint16_t)(hlen + part_len));
		put16(buf + l3_off + 4, s->ip_id);
		if (s->df)
			frag |= 0x4000;
		if (s->frag) {
			if (s->frag_more)
				frag |= 0x2000;
			frag |= (uint16_t)(s->frag_offset / 8);
		}
		put16(buf + l3_off + 6, frag);
		buf[l3_off + 8] = s->ttl || s->ttl_zero ? s->ttl : 64;
		buf[l3_off + 9] = s->proto;
		memcpy(buf + l3_off + 12, s->src.b, 4);
		memcpy(buf + l3_off + 16, s->dst.b, 4);
		memcpy(buf + l3_off + 20, s->ip_opts, (size_t)s->ip_opts_len);
		put16(buf + l3_off + 10, pg_ip4_csum(buf + l3_off, hlen));
		l4_off = l3_off + hlen;
	} else {
		size_t ext_total = 0;

		for (i = 0; i < s->next; i++)
			ext_total += ext_len(&s->ext[i]);
		hlen = 40 + ext_total;
		if (l3_off + hlen + part_len > cap)
			return 0;
		memset(buf + l3_off, 0, 40);
		buf[l3_off] = 0x60 | (s->tos >> 4);
		buf[l3_off + 1] = (uint8_t)(s->tos << 4);
		put16(buf + l3_off + 4, (uint16_t)(ext_total + part_len));
		buf[l3_off + 6] = s->next ? s->ext[0].type : s->proto;
		buf[l3_off + 7] = s->ttl || s->ttl_zero ? s->ttl : 64;
		memcpy(buf + l3_off + 8, s->src.b, 16);
		memcpy(buf + l3_off + 24, s->dst.b, 16);
		off = l3_off + 40;
		for (i = 0; i < s->next; i++) {
			next = i + 1 < s->next ? s->ext[i + 1].type : s->proto;
			build_ext(s, &s->ext[i], next, buf + off,
				  ext_len(&s->ext[i]));
			off += ext_len(&s->ext[i]);
		}
		l4_off = off;
	}
	memcpy(buf + l4_off, l4 + part_off, part_len);
	if (lay) {
		lay->len = l4_off + part_len;
		lay->l3_off = l3_off;
		lay->l4_off = l4_off;
		lay->l4_len = part_len;
	}
	return l4_off + part_len;
}

static int parse_fail(struct pg_info *info, size_t len)
{
	info->lay.len = len;
	return -1;
}

int pg_parse(const uint8_t *buf, size_t len, struct pg_info *info)
{
	size_t off = 12, l3, end;
	uint16_t type;

	memset(info, 0, sizeof(*info));
	info->lay.len = len;
	if (len < ETH_HLEN_)
		return -1;
	memcpy(info->dmac, buf, 6);
	memcpy(info->smac, buf + 6, 6);
	type = get16(buf + off);
	while (type == TPID_8021Q || type == TPID_8021AD) {
		if (info->nvlan == 2 || off + 6 > len)
			return parse_fail(info, len);
		info->vlan_tci[info->nvlan++] = get16(buf + off + 2);
		off += 4;
		type = get16(buf + off);
	}
	info->ethertype = type;
	l3 = off + 2;
	info->lay.l3_off = l3;

	if (type == ETHERTYPE_IP4) {
		size_t hlen, tot;
		uint16_t frag;

		if (len < l3 + 20 || buf[l3] >> 4 != 4)
			return parse_fail(info, len);
		hlen = (size_t)(buf[l3] & 0xf) * 4;
		tot = get16(buf + l3 + 2);
		if (hlen < 20 || tot < hlen || l3 + tot > len)
			return parse_fail(info, len);
		info->family = 4;
		info->src.family = info->dst.family = 4;
		memcpy(info->src.b, buf + l3 + 12, 4);
		memcpy(info->dst.b, buf + l3 + 16, 4);
		info->ttl = buf[l3 + 8];
		info->proto = buf[l3 + 9];
		info->ip_id = get16(buf + l3 + 4);
		info->ip_check = get16(buf + l3 + 10);
		info->ip_hlen = hlen;
		frag = get16(buf + l3 + 6);
		info->frag_more = frag & 0x2000;
		info->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
		info->is_frag = info->frag_more || info->frag_offset;
		info->first_frag = info->is_frag && !info->frag_offset;
		info->frag_id = info->ip_id;
		info->lay.l4_off = l3 + hlen;
		end = l3 + tot;
	} else if (type == ETHERTYPE_IP6) {
		uint8_t next;
		size_t plen;
		int n = 0;

		if (len < l3 + 40 || buf[l3] >> 4 != 6)
			return parse_fail(info, len);
		plen = get16(buf + l3 + 4);
		if (!plen || l3 + 40 + plen > len)
			return parse_fail(info, len);
		info->family = 6;
		info->src.family = info->dst.family = 6;
		memcpy(info->src.b, buf + l3 + 8, 16);
		memcpy(info->dst.b, buf + l3 + 24, 16);
		info->ttl = buf[l3 + 7];
		end = l3 + 40 + plen;
		next = buf[l3 + 6];
		off = l3 + 40;
		while (n++ < 16) {
			if (next == PG_EXT_HOP || next == PG_EXT_DEST ||
			    next == PG_EXT_ROUTING) {
				if (off + 8 > end)
					return parse_fail(info, len);
				next = buf[off];
				off += ((size_t)buf[off + 1] + 1) * 8;
			} else if (next == PG_EXT_AH) {
				if (off + 8 > end)
					return parse_fail(info, len);
				next = buf[off];
				off += ((size_t)buf[off + 1] + 2) * 4;
			} else if (next == PG_EXT_FRAGMENT) {
				uint16_t fo;

				if (off + 8 > end)
					return parse_fail(info, len);
				fo = get16(buf + off + 2);
				info->is_frag = true;
				info->frag_offset = fo & ~7U;
				info->frag_more = fo & 1;
				info->first_frag = !info->frag_offset;
				info->frag_id = get32(buf + off + 4);
				next = buf[off];
				off += 8;
			} else {
				break;
			}
		}
		if (off > end)
			return parse_fail(info, len);
		info->proto = next;
		info->ip_hlen = off - l3;
		info->lay.l4_off = off;
	} else {
		return -1;
	}
	info->lay.l4_len = end - info->lay.l4_off;
	if (info->is_frag && info->frag_offset)
		return 0; /* later fragment: no upper-layer header */

	off = info->lay.l4_off;
	if (info->proto == PROTO_TCP) {
		size_t doff;

		if (off + 20 > end)
			return parse_fail(info, len);
		doff = (size_t)(buf[off + 12] >> 4) * 4;
		if (doff < 20 || off + doff > end)
			return parse_fail(info, len);
		info->tcp_flags = buf[off + 13];
		info->l4_check = get16(buf + off + 16);
	} else if (info->proto == PROTO_UDP) {
		if (off + 8 > end)
			return parse_fail(info, len);
		info->l4_check = get16(buf + off + 6);
	} else {
		return 0;
	}
	info->has_l4 = true;
	info->sport = get16(buf + off);
	info->dport = get16(buf + off + 2);
	return 0;
}

static bool csum_same(uint16_t a, uint16_t b)
{
	/* 0x0000 and 0xffff are both zero in one's complement. */
	return a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff));
}

int pg_verify_csums(const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	struct pg_info in;
	uint16_t want;

	if (pg_parse(buf, len, &in)) {
		if (why)
			snprintf(why, whylen, "not a parseable IP frame");
		return -1;
	}
	if (in.family == 4) {
		want = pg_ip4_csum(buf + in.lay.l3_off, in.ip_hlen);
		if (!csum_same(want, in.ip_check)) {
			if (why)
				snprintf(why, whylen,
					 "IPv4 header checksum 0x%04x, want "
					 "0x%04x",
					 in.ip_check, want);
			return -1;
		}
	}
	if (in.is_frag || !in.has_l4)
		return 0;
	if (in.proto == PROTO_UDP && in.family == 4 && in.l4_check == 0)
		return 0; /* no checksum */
	want = pg_l4_csum(&in.src, &in.dst, in.proto, buf + in.lay.l4_off,
			  in.lay.l4_len);
	if (in.proto == PROTO_UDP ? want != in.l4_check
				  : !csum_same(want, in.l4_check)) {
		if (why)
			snprintf(why, whylen, "%s checksum 0x%04x, want 0x%04x",
				 in.proto == PROTO_TCP ? "TCP" : "UDP",
				 in.l4_check, want);
		return -1;
	}
	return 0;
}

long pg_first_diff(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return (long)i;
	return alen == blen ? -1 : (long)n;
}

static void dump_around(const char *tag, const uint8_t *p, size_t len,
			size_t from, size_t to)
{
	size_t i;

	fprintf(stderr, "  %s (%zu bytes) @%zu:", tag, len, from);
	for (i = from; i < to && i < len; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

void pg_dump_diff(const char *what, const uint8_t *a, size_t alen,
		  const uint8_t *b, size_t blen)
{
	long d = pg_first_diff(a, alen, b, blen);
	size_t from;

	if (d < 0)
		return;
	from = d > 8 ? (size_t)d - 8 : 0;
	fprintf(stderr, "%s: first difference at byte %ld\n", what, d);
	dump_around("got ", a, alen, from, from + 24);
	dump_around("want", b, blen, from, from + 24);
}
