/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test packets: a builder for Ethernet (+ 802.1Q tags) + IPv4/IPv6
 * (+ options, extension headers, fragments) + TCP/UDP frames with
 * checksums computed from scratch, and an independent reader/checker for
 * the frames the datapath hands back. Nothing here shares code with
 * bpf/lib: the checker is a second implementation on purpose.
 *
 * Multi-byte fields in struct pg_spec are in host order unless noted.
 */
#ifndef SHUNT_TEST_PKTGEN_H
#define SHUNT_TEST_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PG_MAX_FRAME 9216
#define PG_MAX_EXT   8

#define PG_TCP_FIN 0x01
#define PG_TCP_SYN 0x02
#define PG_TCP_RST 0x04
#define PG_TCP_PSH 0x08
#define PG_TCP_ACK 0x10

/* IPv6 next-header values of the extension headers the builder knows. */
#define PG_EXT_HOP	0
#define PG_EXT_ROUTING	43
#define PG_EXT_FRAGMENT 44
#define PG_EXT_ESP	50
#define PG_EXT_AH	51
#define PG_EXT_DEST	60

struct pg_addr {
	int family; /* 4 or 6 */
	uint8_t b[16];
};

struct pg_ext {
	uint8_t type; /* PG_EXT_*; PG_EXT_FRAGMENT takes its fields from
		       * pg_spec.frag_* */
	uint8_t len;  /* total bytes (multiple of 8, >= 8); 0 means 8 */
};

struct pg_spec {
	uint8_t dmac[6];
	uint8_t smac[6];
	int nvlan;	       /* 0, 1 or 2 tags */
	uint16_t vlan_tpid[2]; /* 0 means 0x8100 */
	uint16_t vlan_tci[2];
	uint16_t ethertype; /* 0: from the address family */

	struct pg_addr src;
	struct pg_addr dst;
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, ... */
	uint8_t ttl;   /* TTL or hop limit; 0 means 64 (see ttl_zero) */
	bool ttl_zero; /* really send TTL 0 */
	uint8_t tos;
	uint16_t ip_id;
	bool df;
	uint8_t ip_opts[40]; /* IPv4 options, ip_opts_len a multiple of 4 */
	int ip_opts_len;

	/* IPv6 extension headers in order, before the upper layer. */
	struct pg_ext ext[PG_MAX_EXT];
	int next;

	/* Fragment: the datagram is built whole, the frame carries bytes
	 * [frag_offset, frag_offset + frag_len) of the fragmentable part
	 * (upper-layer header + payload). IPv6 needs a PG_EXT_FRAGMENT
	 * entry in ext[]. frag_len 0: everything from frag_offset on. */
	bool frag;
	uint32_t frag_offset; /* bytes, multiple of 8 */
	uint32_t frag_len;
	bool frag_more;
	uint32_t frag_id; /* IPv6 identification */

	uint16_t sport;
	uint16_t dport;
	uint8_t tcp_flags;
	uint32_t seq;
	uint32_t ack;
	int tcp_opts_len;    /* NOP-filled TCP options, multiple of 4 */
	bool tcp_win_zero;   /* window 0 (else 65535) */
	bool udp_csum_zero;  /* IPv4 UDP without checksum */
	uint16_t icmp_type;  /* ICMP/ICMPv6 echo when 0 */
	const void *payload; /* NULL: payload_len pattern bytes */
	size_t payload_len;
};

/* Where the headers of a built or parsed frame are. */
struct pg_layout {
	size_t len;
	size_t l3_off;
	size_t l4_off; /* upper-layer header (or fragment data) */
	size_t l4_len; /* bytes after l4_off the IP header accounts for */
};

/* A default spec: TCP, TTL 64, the given addresses ("10.0.0.2",
 * "fd00::1") and ports. */
void pg_spec_init(struct pg_spec *s, const char *src, uint16_t sport,
		  const char *dst, uint16_t dport, uint8_t proto);

/* Parse a textual address into a pg_addr. Aborts on bad input. */
struct pg_addr pg_addr(const char *text);
void pg_mac(uint8_t mac[6], const char *text);
/* "10.0.0.2" / "fd00::2" for logs. */
const char *pg_addr_str(const struct pg_addr *a, char *buf, size_t len);

/* Build the frame into buf (cap bytes). Returns its length, 0 when it
 * does not fit. lay (may be NULL) gets the header offsets. */
size_t pg_build(const struct pg_spec *s, uint8_t *buf, size_t cap,
		struct pg_layout *lay);

/* RFC 1071 one's-complement sum over data, added to sum (not folded). */
uint32_t pg_sum(uint32_t sum, const void *data, size_t len);
uint16_t pg_fold(uint32_t sum);

/* The L4 checksum field value a complete datagram (upper-layer header
 * and payload, l4[..len)) must carry between src and dst, computed from
 * scratch with the checksum field taken as zero; UDP gets 0xffff for a
 * computed 0. */
uint16_t pg_l4_csum(const struct pg_addr *src, const struct pg_addr *dst,
		    uint8_t proto, const uint8_t *l4, size_t len);
/* The IPv4 header checksum of hdr (hlen bytes), check field as zero. */
uint16_t pg_ip4_csum(const uint8_t *hdr, size_t hlen);

/* What the independent reader sees in a frame. */
struct pg_info {
	struct pg_layout lay;
	uint8_t dmac[6];
	uint8_t smac[6];
	int nvlan;
	uint16_t vlan_tci[2];
	uint16_t ethertype; /* after the tags */
	int family;	    /* 4, 6, or 0 when not IP */
	struct pg_addr src;
	struct pg_addr dst;
	uint8_t proto; /* upper-layer protocol */
	uint8_t ttl;
	uint16_t ip_id;
	uint16_t ip_check; /* stored IPv4 header checksum (host order) */
	size_t ip_hlen;	   /* IPv4 header or IPv6 header + extensions */
	bool is_frag;
	bool first_frag; /* offset 0 (with more fragments) */
	uint32_t frag_offset;
	bool frag_more;
	uint32_t frag_id;
	bool has_l4; /* ports below are valid */
	uint16_t sport;
	uint16_t dport;
	uint16_t l4_check; /* stored TCP/UDP checksum (host order) */
	uint8_t tcp_flags;
};

/* Read a frame. 0, or -1 when it is not a sane Ethernet/IP/TCP-or-UDP
 * frame (info is filled as far as it got). */
int pg_parse(const uint8_t *buf, size_t len, struct pg_info *info);

/*
 * Recompute from scratch and compare: the IPv4 header checksum and, for
 * an unfragmented TCP/UDP packet, the L4 checksum (an IPv4 UDP checksum
 * of 0 is accepted as "none"). 0 when both are right, else -1 with the
 * reason in why (may be NULL).
 */
int pg_verify_csums(const uint8_t *buf, size_t len, char *why, size_t whylen);

/* Byte offset of the first difference between two buffers, -1 when
 * equal (including lengths). */
long pg_first_diff(const uint8_t *a, size_t alen, const uint8_t *b,
		   size_t blen);
/* Hex dump of both buffers around their first difference, on stderr. */
void pg_dump_diff(const char *what, const uint8_t *a, size_t alen,
		  const uint8_t *b, size_t blen);

#endif /* SHUNT_TEST_PKTGEN_H */
