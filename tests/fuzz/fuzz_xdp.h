/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What fuzz_xdp.c and its seed generator (gen_xdp_seeds.c) share: the
 * input format and the services the harness configures.
 *
 * An input is a sequence of up to FX_MAX_RECORDS records
 *
 *     u8 ctl | u16 length (big endian) | length bytes
 *
 * run in order through one hook, from a clean datapath state (no
 * conntrack, affinity or fragment entries), and then once more through
 * the other hook. A record is a frame arriving on cli0, or on be0 with
 * FX_CTL_BE. Before it runs, the harness can repair it: FX_CTL_FIXLEN
 * sets the IP (and UDP) length fields from the frame's size,
 * FX_CTL_FIXSUM recomputes the IPv4 header and L4 checksums. With
 * FX_CTL_REFLECT the record's bytes are not a frame: the frame is the
 * reply to what the previous record turned into (addresses, ports and
 * MACs swapped, TTL 64, good checksums), byte 0 giving its TCP flags;
 * bytes 1-2, when there, are its L4 payload length (big endian): the
 * reply gets that many bytes of payload and, IPv4, DF (a reply too big
 * for the client's side). With FX_CTL_ICMP (before FX_CTL_REFLECT) the
 * frame is an ICMP error about what the previous record turned into,
 * from its destination to its source, as a router or host there would
 * send it: byte 0 chooses the error (IPv4: destination unreachable, code
 * in bits 0-3; IPv6: bit 7 packet too big, else destination unreachable
 * with the code in bits 0-2), bit 6 a quote of the IP header and 8 bytes
 * only (else as much as fits 576 / 1280 bytes), bit 5 TTL / hop limit 1
 * (else 64); bytes 1-2, when there and nonzero, the quote's length.
 *
 * The harness gives the backends' side (be0) an MTU of FX_BE_MTU and the
 * clients' side (cli0) FX_CLI_MTU: a translated packet larger than its
 * egress's MTU that may not be fragmented is answered with ICMP
 * Fragmentation Needed / Packet Too Big (bpf/lib/pmtu.h).
 */
#ifndef SHUNT_FUZZ_XDP_H
#define SHUNT_FUZZ_XDP_H

#include <netinet/in.h>

#define FX_MAX_RECORDS 16
#define FX_MAX_FRAME   9216

#define FX_CTL_BE      0x01
#define FX_CTL_FIXLEN  0x02
#define FX_CTL_FIXSUM  0x04
#define FX_CTL_REFLECT 0x08
#define FX_CTL_ICMP    0x10

#define FX_BE_MTU  1400
#define FX_CLI_MTU 1500

/* The DSR option's type (SHUNT_DSR_OPT_TYPE, include/shunt/abi.h): IPv4
 * option {type, 8, port, addr} first after the fixed header, IPv6
 * destination options header {next, 2, type, 18, port, addr, 1, 0}
 * first after the fixed header. */
#define FX_DSR_OPT  0x1E
#define FX_DSR4_LEN 8
#define FX_DSR6_LEN 24

struct fx_backend {
	const char *addr;
	unsigned short port;
	int draining;
};

struct fx_service {
	const char *vip;
	unsigned short port;
	unsigned char proto;
	unsigned int affinity; /* seconds, 0: none */
	int n_be;
	struct fx_backend be[2];
};

/* Addresses of tests/lib/progenv.h. */
#define FX_VIP4	    "10.96.0.10"
#define FX_VIP6	    "fd00:ff::10"
#define FX_NEIGH4   "10.96.0.11" /* backend without a neighbour */
#define FX_NEIGH6   "fd00:ff::11"
#define FX_NOBE4    "10.96.0.99" /* no backend at all */
#define FX_NOBE6    "fd00:ff::99"
#define FX_DRAIN4   "10.96.0.98" /* its only backend draining */
#define FX_CLIENT4  "10.0.0.2"
#define FX_CLIENT6  "fd00:a::2"
#define FX_BE1_4    "10.0.1.2"
#define FX_BE2_4    "10.0.1.3"
#define FX_BE1_6    "fd00:b::2"
#define FX_BE2_6    "fd00:b::3"
#define FX_NONEIGH4 "10.0.1.9"
#define FX_NONEIGH6 "fd00:b::9"

/* clang-format off */
static const struct fx_service fx_services[] = {
	{FX_VIP4, 80, IPPROTO_TCP, 0, 2,
	 {{FX_BE1_4, 8080, 0}, {FX_BE2_4, 8081, 0}}},
	{FX_VIP4, 80, IPPROTO_UDP, 0, 2,
	 {{FX_BE1_4, 8080, 0}, {FX_BE2_4, 8081, 0}}},
	{FX_VIP6, 80, IPPROTO_TCP, 0, 2,
	 {{FX_BE1_6, 8080, 0}, {FX_BE2_6, 8081, 0}}},
	{FX_VIP6, 80, IPPROTO_UDP, 0, 2,
	 {{FX_BE1_6, 8080, 0}, {FX_BE2_6, 8081, 0}}},
	/* ClientIP affinity. */
	{FX_VIP4, 443, IPPROTO_TCP, 600, 2,
	 {{FX_BE1_4, 8443, 0}, {FX_BE2_4, 8443, 0}}},
	{FX_VIP6, 443, IPPROTO_TCP, 600, 2,
	 {{FX_BE1_6, 8443, 0}, {FX_BE2_6, 8443, 0}}},
	/* One backend, without a neighbour entry (XDP: pass, tc:
	 * redirect_neigh). */
	{FX_NEIGH4, 53, IPPROTO_UDP, 0, 1, {{FX_NONEIGH4, 5353, 0}}},
	{FX_NEIGH6, 53, IPPROTO_UDP, 0, 1, {{FX_NONEIGH6, 5353, 0}}},
	/* No active backend: the only services whose packets may be
	 * dropped. */
	{FX_NOBE4, 80, IPPROTO_TCP, 0, 0, {{0}}},
	{FX_NOBE4, 80, IPPROTO_UDP, 0, 0, {{0}}},
	{FX_NOBE6, 80, IPPROTO_TCP, 0, 0, {{0}}},
	{FX_NOBE6, 80, IPPROTO_UDP, 0, 0, {{0}}},
	{FX_DRAIN4, 80, IPPROTO_TCP, 0, 1, {{FX_BE1_4, 8080, 1}}},
};
/* clang-format on */

#define FX_N_SERVICES (sizeof(fx_services) / sizeof(fx_services[0]))

#include <stddef.h>
#include <stdint.h>

/* Frame repair of FX_CTL_FIXLEN / FX_CTL_FIXSUM (fuzz_xdp.c), also used
 * by the mutator (fuzz_xdp_mutate.c). */
void fx_fix_lengths(uint8_t *f, size_t len);
void fx_fix_csums(uint8_t *f, size_t len);

#endif /* SHUNT_FUZZ_XDP_H */
