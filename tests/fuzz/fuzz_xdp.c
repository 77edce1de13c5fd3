// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the packet core: mutated frames through shunt_xdp
 * and shunt_tc with BPF_PROG_TEST_RUN (tests/lib/progenv), every result
 * checked by the independent reader of tests/lib/pktgen. Input format
 * and services: fuzz_xdp.h. Needs root (a private netns and BPF).
 *
 * The invariant, per frame and hook (docs/datapath.md):
 *
 *  - pass (XDP_PASS / TC_ACT_OK) with the frame byte for byte unchanged;
 *  - or a translated frame (pass, XDP_TX, XDP_REDIRECT, TC_ACT_REDIRECT):
 *    same length; well-formed for pg_parse; exactly one side rewritten,
 *      forward: the destination (address, port) of a packet to a VIP
 *               became an active backend of that service, and a 5-tuple
 *               keeps its backend for the whole input;
 *      reverse: the source of a backend's packet became the VIP:port of
 *               a flow this input opened to that backend, towards the
 *               same client: of the one whose REV entry the reply tuple
 *               finds (the last written: a DSR option's flow, below,
 *               may take a closed flow's), when its ports tell;
 *    nothing else changed but the MACs (only when redirected: the egress
 *    device and the neighbour of the new destination, tc's
 *    redirect_neigh leaves them), the TTL/hop limit (minus one when
 *    redirected, never below 1 on input), the IPv4 header checksum and
 *    the L4 checksum; both checksums stay exactly as right or as wrong
 *    as they were (the one's-complement sum over header / pseudo-header
 *    and segment is unchanged, so a valid checksum stays valid, which
 *    pg_verify_csums confirms too), a UDP checksum of 0 stays 0 and a
 *    nonzero one never becomes 0;
 *  - or a drop (XDP_DROP / TC_ACT_SHOT) counted drop_no_backend, of a
 *    packet to a service without an active backend; or counted
 *    drop_snat_no_addr, of a hairpin packet (its source is a backend of
 *    the service: SNAT finds no address on the egress interface here);
 *  - or, for a TCP packet to such a service, a RST counted reject_tcp:
 *    sent back (XDP_TX / redirect), from the packet's destination to its
 *    source, ports swapped, 20 bytes of TCP without payload, checksums
 *    right; for UDP an ICMP port unreachable counted reject_udp, quoting
 *    the packet's IP header and first 8 bytes;
 *  - or, for a packet that would be translated (to a service with an
 *    active backend, or a reply of a flow of this input) whose IP length
 *    exceeds the MTU of the interface its translation leaves by (be0:
 *    FX_BE_MTU, cli0: FX_CLI_MTU; tc: the whole frame, longer than
 *    MTU + 18, as the kernel checks it) and that may not be fragmented (IPv6,
 *    IPv4 with DF), an answer counted icmp_too_big_sent (bpf/lib/pmtu.h):
 *    sent back with the MACs swapped, from the packet's destination to
 *    its source, ICMP Fragmentation Needed (3/4) / ICMPv6 Packet Too Big
 *    (2/0) carrying that MTU, quoting the packet's IP header and first 8
 *    L4 bytes exactly as they came in (an invalid IPv4 header checksum
 *    may come back valid), every checksum right; or, when that quote
 *    cannot be made (a fragment, IPv4 options, IPv6 extension headers),
 *    a drop counted drop_too_big. A new flow's first packet answered so
 *    still opens the flow (its backend is learnt from its next packet);
 *  - or, for an ICMP error this datapath handles (IPv4 destination
 *    unreachable, ICMPv6 destination unreachable / packet too big) whose
 *    quote (a fixed IP header, then TCP or UDP ports) names a flow of
 *    this input, the error translated back, counted icmp_err_translated
 *    (bpf/lib/icmp.h): quoting the flow's reply (VIP -> client), sent to
 *    the VIP: the quote's source becomes the backend and the error goes
 *    to it; quoting its request (client -> backend): the quote's
 *    destination becomes the VIP. Same length, nothing else changed but
 *    what a forwarded frame may change (MACs, TTL - 1) and the checksums
 *    over rewritten bytes: the outer IPv4 header's, the ICMP one (with
 *    ICMPv6's pseudo-header), the quoted IPv4 header's and the quoted
 *    L4 checksum when the frame holds it, each exactly as right or as
 *    wrong as before. Too big for its egress (and not fragmentable), the
 *    translated error is dropped, counted drop_too_big too;
 *  - or, for a packet carrying a DSR option (bpf/lib/dsr.h) that names a
 *    frontend of its protocol, to an address that is none: the packet
 *    passed with the option taken off (IPv4 header length, total length
 *    and checksum following; IPv6 the next header and payload length),
 *    nothing else changed, but for an IPv4 option that is not the
 *    header's only one or under a wrong header checksum: that one stays,
 *    the frame unchanged. Either way the option's frontend then answers
 *    for the destination's replies to the source (dsr_in when new). Not
 *    while the tuple's replies belong to a live flow of this input (FIN
 *    or RST not seen, or the packet is no SYN): that frame passes
 *    unchanged, counted dsr_in_conflict. A TCP SYN without the option to
 *    an address that is no frontend deletes such an entry on its reply
 *    tuple (dsr_in_forgot), and goes on as any packet. tc only: a
 *    VLAN-tagged one is dropped, counted drop_dsr_encap
 *    (BPF_PROG_TEST_RUN leaves the tag in the data, where a real tc
 *    ingress finds it already taken off).
 *    The balancing side of DSR (dsr_new, dsr_opt_sent) and SNAT port
 *    reuse (snat_paws_skip) cannot happen here: the services are neither
 *    external nor have remote backends, so nothing is masqueraded (but
 *    hairpin, which finds no SNAT address) or sent by DSR; they are
 *    violations.
 *
 * Any violation prints the frames and aborts, which libFuzzer reports as
 * a crash and saves the input. Every input starts from empty conntrack,
 * affinity and fragment maps, so it reproduces on its own.
 *
 * Coverage: the BPF programs are invisible to libFuzzer's
 * instrumentation, so the datapath's own counters (global_stats_map:
 * which verdict path each frame took) are fed back as extra counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "fuzz_xdp.h"
#include "load.h"
#include "pktgen.h"
#include "progenv.h"
#include "service.h"
#include "stats.h"

_Static_assert(FX_DSR_OPT == SHUNT_DSR_OPT_TYPE, "the DSR option's type");
_Static_assert(sizeof(struct shunt_dsr_opt4) == FX_DSR4_LEN &&
		       sizeof(struct shunt_dsr_opt6) == FX_DSR6_LEN,
	       "the DSR option's lengths");

/* ct_map is small here: clearing it (a walk over every bucket) stays
 * cheap, and one input never opens more than a few dozen flows. */
#define FX_CT_MAX 4096

/* --- configuration ---------------------------------------------------- */

struct be_cfg {
	struct pg_addr addr;
	uint16_t port;
	bool draining;
};

struct svc_cfg {
	struct pg_addr vip;
	uint16_t port;
	uint8_t proto;
	int n_be;
	struct be_cfg be[2];
	bool droppable; /* no active backend */
};

static struct svc_cfg svcs[FX_N_SERVICES];

struct neigh {
	struct pg_addr addr;
	uint8_t mac[6];
	int ifindex;
};

static struct neigh neighs[6];
static int n_neighs;

/* --- per-input state -------------------------------------------------- */

/* A flow this input opened: client -> vip, translated to backend. Ports
 * are -1 when the frame that opened it was a later fragment. A flow a
 * DSR option made (dsr_in) has a REV entry only: the backend's replies
 * to the client come from vip. The backend of a flow whose first packet
 * was answered too big is not seen (be_unknown) until a later frame
 * shows it. Of the flows whose replies have one tuple (backend ->
 * client), the one written last (stamp) owns that REV entry; closing:
 * a FIN or RST went through its entries since it was (re)opened; gone:
 * its REV entry was deleted (dsr_forget()), or that tuple's, which it
 * had lost to a newer flow already. */
struct flow {
	int family;
	uint8_t proto;
	struct pg_addr client, vip, backend;
	int cport, vport, bport;
	bool dsr_in;
	bool be_unknown;
	bool closing;
	bool gone;
	unsigned int stamp;
};

/* Every record may open one flow (FX_MAX_RECORDS), twice that leaves
 * room for DSR flows beside translated ones. */
#define FX_MAX_FLOWS (2 * FX_MAX_RECORDS)

static struct flow flows[FX_MAX_FLOWS];
static int n_flows;
static unsigned int flow_stamp;
static int mtu_cli, mtu_be; /* of cli0 and be0, read back */

static int stats_fd;
static int ncpus;
static __u64 *stat_vals;
static __u64 counters_prev[SHUNT_C_MAX];
static bool dirty = true, dirty_frag = true;
static bool verbose; /* FUZZ_XDP_VERBOSE=1: one line per frame */

/* Where we are, for violation reports. */
static enum penv_hook cur_hook;
static int cur_rec;
static uint8_t cur_ctl;

static uint8_t in_buf[FX_MAX_FRAME], out_buf[FX_MAX_FRAME + 256];
static uint8_t prev_out[FX_MAX_FRAME + 256];
static size_t prev_len;

/* Extra coverage for libFuzzer: per hook, each global counter and each
 * verdict (bucketed by how often per input); and pairs of consecutive
 * frame outcomes, for the conntrack state machine. */
#define FEAT_VERDICTS 8
#define FEAT_PAIRS    4096
static uint8_t feat_ctr[2][SHUNT_C_MAX + FEAT_VERDICTS]
	__attribute__((section("__libfuzzer_extra_counters"), used));
static uint8_t feat_pair[FEAT_PAIRS]
	__attribute__((section("__libfuzzer_extra_counters"), used));

/* --- helpers ---------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool addr_eq(const struct pg_addr *a, const struct pg_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->b, b->b, a->family == 4 ? 4 : 16);
}

static const char *astr(const struct pg_addr *a)
{
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	return pg_addr_str(a, buf[i], sizeof(buf[i]));
}

static void hexdump(const char *tag, const uint8_t *p, size_t len)
{
	size_t i;

	fprintf(stderr, "  %s (%zu bytes):", tag, len);
	for (i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n    ", p[i]);
	fprintf(stderr, "\n");
}

static const char *verdict_name(enum penv_hook h, __u32 v)
{
	static char buf[32];

	if (h == PENV_XDP) {
		switch (v) {
		case XDP_ABORTED:
			return "XDP_ABORTED";
		case XDP_DROP:
			return "XDP_DROP";
		case XDP_PASS:
			return "XDP_PASS";
		case XDP_TX:
			return "XDP_TX";
		case XDP_REDIRECT:
			return "XDP_REDIRECT";
		}
	} else {
		switch ((int)v) {
		case TC_ACT_OK:
			return "TC_ACT_OK";
		case TC_ACT_SHOT:
			return "TC_ACT_SHOT";
		case TC_ACT_REDIRECT:
			return "TC_ACT_REDIRECT";
		}
	}
	snprintf(buf, sizeof(buf), "verdict %d", (int)v);
	return buf;
}

struct run {
	const uint8_t *in;
	size_t in_len;
	const uint8_t *out;
	size_t out_len;
	__u32 verdict;
	__u64 delta[SHUNT_C_MAX];
	struct pg_info pi, po; /* of in and out */
	int in_err, out_err;   /* pg_parse results: 0 when parsed */
};

__attribute__((noreturn, format(printf, 2, 3))) static void
violation(const struct run *r, const char *fmt, ...)
{
	va_list ap;
	int c;

	fprintf(stderr,
		"\n==== fuzz_xdp: INVARIANT VIOLATED (%s, record %d, "
		"ctl 0x%02x, %s)\n  ",
		penv_hook_name(cur_hook), cur_rec, cur_ctl,
		verdict_name(cur_hook, r->verdict));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  counters moved:");
	for (c = 0; c < SHUNT_C_MAX; c++)
		if (r->delta[c])
			fprintf(stderr, " %s+%llu",
				shunt_counter_name((unsigned int)c),
				(unsigned long long)r->delta[c]);
	fprintf(stderr, "\n");
	hexdump("in ", r->in, r->in_len);
	hexdump("out", r->out, r->out_len);
	pg_dump_diff("out vs in", r->out, r->out_len, r->in, r->in_len);
	fflush(stderr);
	penv_teardown(NULL); /* libFuzzer's crash path skips atexit */
	abort();
}

/* --- datapath state --------------------------------------------------- */

static int read_counters(__u64 out[SHUNT_C_MAX])
{
	__u32 keys[SHUNT_C_MAX], count = SHUNT_C_MAX, batch, c;
	int err, cpu;

	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	err = bpf_map_lookup_batch(stats_fd, NULL, &batch, keys, stat_vals,
				   &count, &opts);
	if ((err && errno != ENOENT) || count != SHUNT_C_MAX) {
		/* One key at a time. */
		for (c = 0; c < SHUNT_C_MAX; c++) {
			keys[c] = c;
			if (bpf_map_lookup_elem(stats_fd, &c,
						stat_vals + (size_t)c * ncpus))
				return -1;
		}
	}
	for (c = 0; c < SHUNT_C_MAX; c++) {
		__u64 sum = 0;

		for (cpu = 0; cpu < ncpus; cpu++)
			sum += stat_vals[(size_t)c * ncpus + cpu];
		if (keys[c] < SHUNT_C_MAX)
			out[keys[c]] = sum;
	}
	return 0;
}

/* Delete every entry of a hash map in one walk: get_next_key(k) goes
 * on from k's bucket, so deleting k after stepping past it misses
 * nothing (nothing else writes these maps meanwhile). */
static void clear_map(int fd, size_t ksize)
{
	uint8_t cur[128], next[128];

	if (bpf_map_get_next_key(fd, NULL, cur))
		return; /* empty */
	for (;;) {
		bool more = !bpf_map_get_next_key(fd, cur, next);

		if (bpf_map_delete_elem(fd, cur) && errno != ENOENT) {
			fprintf(stderr, "fuzz_xdp: clearing a map: %s\n",
				strerror(errno));
			abort();
		}
		if (!more)
			break;
		memcpy(cur, next, ksize);
	}
}

static void reset_state(void)
{
	if (dirty) {
		clear_map(penv.s.ct_map, sizeof(struct shunt_ct_key));
		clear_map(penv.s.affinity_map,
			  sizeof(struct shunt_affinity_key));
		dirty = false;
	}
	if (dirty_frag) {
		clear_map(penv.s.frag_map, sizeof(struct shunt_frag_key));
		dirty_frag = false;
	}
	n_flows = 0;
	flow_stamp = 0;
	prev_len = 0;
}

/* Did this frame (maybe) write conntrack, affinity or fragment state? */
static bool stateful(const __u64 delta[SHUNT_C_MAX])
{
	static const int pure[] = {
		SHUNT_C_PASS_NOT_IP,	    SHUNT_C_PASS_VLAN_STACKED,
		SHUNT_C_PASS_MALFORMED_L3,  SHUNT_C_PASS_NOT_L4,
		SHUNT_C_PASS_V6_EXT,	    SHUNT_C_PASS_NOT_SERVICE,
		SHUNT_C_PASS_FRAG_NO_STATE, SHUNT_C_PASS_MALFORMED_L4,
	};
	int c;
	size_t i;

	for (c = 0; c < SHUNT_C_MAX; c++) {
		if (!delta[c])
			continue;
		for (i = 0; i < sizeof(pure) / sizeof(pure[0]); i++)
			if (pure[i] == c)
				break;
		if (i == sizeof(pure) / sizeof(pure[0]))
			return true;
	}
	return false;
}

/* --- frame repair ----------------------------------------------------- */

void fx_fix_lengths(uint8_t *f, size_t len)
{
	struct pg_info pi;
	size_t off = 12, l3;
	uint16_t type;
	int n = 0;

	if (len < 14)
		return;
	type = get16(f + off);
	while ((type == 0x8100 || type == 0x88a8) && n < 2 && off + 6 <= len) {
		off += 4;
		type = get16(f + off);
		n++;
	}
	l3 = off + 2;
	if (type == 0x0800 && len >= l3 + 20)
		put16(f + l3 + 2,
		      (uint16_t)(len - l3 > 65535 ? 65535 : len - l3));
	else if (type == 0x86dd && len > l3 + 40)
		put16(f + l3 + 4,
		      (uint16_t)(len - l3 - 40 > 65535 ? 65535
						       : len - l3 - 40));
	if (!pg_parse(f, len, &pi) && pi.has_l4 && !pi.is_frag &&
	    pi.proto == IPPROTO_UDP)
		put16(f + pi.lay.l4_off + 4, (uint16_t)pi.lay.l4_len);
}

void fx_fix_csums(uint8_t *f, size_t len)
{
	struct pg_info pi;
	uint8_t *l4;
	int coff;

	if (pg_parse(f, len, &pi))
		return;
	if (pi.family == 4)
		put16(f + pi.lay.l3_off + 10,
		      pg_ip4_csum(f + pi.lay.l3_off, pi.ip_hlen));
	if (!pi.has_l4 || pi.is_frag)
		return;
	coff = pi.proto == IPPROTO_TCP ? 16 : 6;
	l4 = f + pi.lay.l4_off;
	if (pi.proto == IPPROTO_UDP && !get16(l4 + coff))
		return; /* no checksum: keep it that way */
	put16(l4 + coff,
	      pg_l4_csum(&pi.src, &pi.dst, pi.proto, l4, pi.lay.l4_len));
}

/* The ICMP(v6) checksum of the message after the IP header at l3 (len
 * bytes, checksum field taken as zero), IPv6's pseudo-header included. */
static uint16_t icmp_csum(const uint8_t *f, size_t l3, bool v6, size_t len)
{
	uint8_t ph[8] = {0};
	uint32_t sum = 0;
	size_t l4 = l3 + (v6 ? 40 : 20);

	if (v6) {
		sum = pg_sum(sum, f + l3 + 8, 32);
		put16(ph + 2, (uint16_t)len);
		ph[7] = IPPROTO_ICMPV6;
		sum = pg_sum(sum, ph, 8);
	}
	sum = pg_sum(sum, f + l4, 2);
	sum = pg_sum(sum, f + l4 + 4, len - 4);
	return (uint16_t)~pg_fold(sum);
}

static size_t resize_reply(uint8_t *f, const struct pg_info *pi, size_t plen);

/* The reply to the previous record's output. 0 when there is none. */
static size_t reflect(uint8_t *f, const uint8_t *body, size_t blen)
{
	struct pg_info pi;
	uint8_t tmp[16];
	size_t l3, alen;

	if (!prev_len || pg_parse(prev_out, prev_len, &pi))
		return 0;
	memcpy(f, prev_out, prev_len);
	memcpy(tmp, f, 6);
	memmove(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	l3 = pi.lay.l3_off;
	alen = pi.family == 4 ? 4 : 16;
	{
		size_t s = l3 + (pi.family == 4 ? 12 : 8), d = s + alen;

		memcpy(tmp, f + s, alen);
		memmove(f + s, f + d, alen);
		memcpy(f + d, tmp, alen);
	}
	f[l3 + (pi.family == 4 ? 8 : 7)] = 64;
	if (pi.has_l4) {
		uint8_t *l4 = f + pi.lay.l4_off;

		memcpy(tmp, l4, 2);
		memmove(l4, l4 + 2, 2);
		memcpy(l4 + 2, tmp, 2);
		if (pi.proto == IPPROTO_TCP)
			l4[13] = blen ? body[0] : 0x10; /* ACK */
	}
	if (blen >= 3 && pi.has_l4 && !pi.is_frag)
		return resize_reply(f, &pi, get16(body + 1));
	fx_fix_csums(f, prev_len);
	return prev_len;
}

/* The reply f (read as pi) with plen bytes of L4 payload and, IPv4, DF. */
static size_t resize_reply(uint8_t *f, const struct pg_info *pi, size_t plen)
{
	size_t hdr = 8, len, i;

	if (pi->proto == IPPROTO_TCP)
		hdr = (size_t)(f[pi->lay.l4_off + 12] >> 4) * 4;
	len = pi->lay.l4_off + hdr + plen;
	if (len > FX_MAX_FRAME)
		len = FX_MAX_FRAME;
	for (i = pi->lay.l4_off + hdr; i < len; i++)
		f[i] = (uint8_t)(i * 7 + 13);
	if (pi->family == 4)
		put16(f + pi->lay.l3_off + 6, 0x4000);
	fx_fix_lengths(f, len);
	fx_fix_csums(f, len);
	return len;
}

/* An ICMP error about the previous record's output, from its
 * destination to its source (fuzz_xdp.h). 0 when there is none. */
static size_t icmp_about(uint8_t *f, const uint8_t *body, size_t blen)
{
	uint8_t b0 = blen ? body[0] : 0;
	struct pg_info pi;
	size_t l3, iph, avail, qlen, len;
	uint8_t *ip, *icmp;
	bool v6;

	if (!prev_len || pg_parse(prev_out, prev_len, &pi))
		return 0;
	l3 = pi.lay.l3_off;
	v6 = pi.family == 6;
	iph = v6 ? 40 : 20;
	avail = pi.lay.l4_off + pi.lay.l4_len - l3; /* the IP packet */
	qlen = b0 & 0x40 ? pi.ip_hlen + 8 : v6 ? 1232 : 548;
	if (blen >= 3 && get16(body + 1))
		qlen = get16(body + 1);
	if (qlen > avail)
		qlen = avail;
	len = l3 + iph + 8 + qlen;
	if (len > FX_MAX_FRAME)
		return 0;
	memcpy(f, prev_out + 6, 6);
	memcpy(f + 6, prev_out, 6);
	memcpy(f + 12, prev_out + 12, l3 - 12);
	ip = f + l3;
	icmp = ip + iph;
	memset(ip, 0, iph + 8);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(8 + qlen));
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = b0 & 0x20 ? 1 : 64;
		memcpy(ip + 8, pi.dst.b, 16);
		memcpy(ip + 24, pi.src.b, 16);
		if (b0 & 0x80) {
			icmp[0] = 2; /* packet too big */
			put16(icmp + 6, 1280);
		} else {
			icmp[0] = 1;
			icmp[1] = b0 & 7;
		}
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(iph + 8 + qlen));
		ip[8] = b0 & 0x20 ? 1 : 64;
		ip[9] = IPPROTO_ICMP;
		memcpy(ip + 12, pi.dst.b, 4);
		memcpy(ip + 16, pi.src.b, 4);
		put16(ip + 10, pg_ip4_csum(ip, 20));
		icmp[0] = 3;
		icmp[1] = b0 & 0x0f;
		if (icmp[1] == 4)
			put16(icmp + 6, 1300);
	}
	memcpy(icmp + 8, prev_out + l3, qlen);
	put16(icmp + 2, icmp_csum(f, l3, v6, 8 + qlen));
	return len;
}

/* --- the invariant ---------------------------------------------------- */

/* One's-complement sum mod 0xffff (0 and 0xffff are the same). */
static uint32_t resid(uint32_t sum)
{
	return pg_fold(sum) % 0xffff;
}

static uint32_t ip4_resid(const uint8_t *f, const struct pg_info *pi)
{
	return resid(pg_sum(0, f + pi->lay.l3_off, pi->ip_hlen));
}

/* Pseudo-header plus the L4 bytes of this frame, checksum included. */
static uint32_t l4_resid(const uint8_t *f, const struct pg_info *pi)
{
	uint8_t ph[8] = {0};
	uint32_t sum = 0, len = (uint32_t)pi->lay.l4_len;

	if (pi->family == 4) {
		sum = pg_sum(sum, pi->src.b, 4);
		sum = pg_sum(sum, pi->dst.b, 4);
		ph[1] = pi->proto;
		put16(ph + 2, (uint16_t)len);
		sum = pg_sum(sum, ph, 4);
	} else {
		sum = pg_sum(sum, pi->src.b, 16);
		sum = pg_sum(sum, pi->dst.b, 16);
		put16(ph, (uint16_t)(len >> 16));
		put16(ph + 2, (uint16_t)len);
		ph[7] = pi->proto;
		sum = pg_sum(sum, ph, 8);
	}
	return resid(pg_sum(sum, f + pi->lay.l4_off, len));
}

static const struct neigh *neigh_of(const struct pg_addr *a)
{
	int i;

	for (i = 0; i < n_neighs; i++)
		if (addr_eq(&neighs[i].addr, a))
			return &neighs[i];
	return NULL;
}

/* A hairpin flow: the client is a backend of the VIP it sent to, which
 * SNAT needs an address of the egress interface for (none here). */
static bool hairpin(const struct pg_info *pi)
{
	size_t i;
	int b;

	for (i = 0; i < FX_N_SERVICES; i++)
		for (b = 0; b < svcs[i].n_be; b++)
			if (svcs[i].proto == pi->proto &&
			    addr_eq(&svcs[i].vip, &pi->dst) &&
			    svcs[i].port == pi->dport &&
			    addr_eq(&svcs[i].be[b].addr, &pi->src))
				return true;
	return false;
}

static bool droppable(const struct pg_info *pi)
{
	size_t i;

	for (i = 0; i < FX_N_SERVICES; i++)
		if (svcs[i].droppable && svcs[i].proto == pi->proto &&
		    addr_eq(&svcs[i].vip, &pi->dst) &&
		    svcs[i].port == pi->dport)
			return true;
	return false;
}

static void allow(uint8_t *mask, size_t len, size_t off, size_t n)
{
	while (n-- && off < len)
		mask[off++] = 1;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static bool sent_back(const struct run *r)
{
	return cur_hook == PENV_XDP ? r->verdict == XDP_TX
				    : (int)r->verdict == TC_ACT_REDIRECT;
}

static bool is_tcp_syn(const struct pg_info *pi)
{
	return pi->proto == IPPROTO_TCP && pi->has_l4 &&
	       (pi->tcp_flags & (PG_TCP_SYN | PG_TCP_ACK)) == PG_TCP_SYN;
}

/* The IP packet's length, as its header says. */
static uint32_t ip_len(const uint8_t *f, const struct pg_info *pi)
{
	size_t l3 = pi->lay.l3_off;

	return pi->family == 6 ? 40u + get16(f + l3 + 4) : get16(f + l3 + 2);
}

/* May the stack fragment it? IPv4 without DF. */
static bool fragmentable(const uint8_t *f, const struct pg_info *pi)
{
	return pi->family == 4 && !(f[pi->lay.l3_off + 6] & 0x40);
}

/* The service vip:port/proto (port -1: any), or NULL. */
static const struct svc_cfg *svc_find(const struct pg_addr *vip, int port,
				      uint8_t proto)
{
	size_t i;

	for (i = 0; i < FX_N_SERVICES; i++)
		if (svcs[i].proto == proto && addr_eq(&svcs[i].vip, vip) &&
		    (port < 0 || svcs[i].port == port))
			return &svcs[i];
	return NULL;
}

static bool be_active(const struct svc_cfg *s, const struct pg_addr *a,
		      int port)
{
	int b;

	for (b = 0; b < s->n_be; b++)
		if (!s->be[b].draining && addr_eq(&s->be[b].addr, a) &&
		    s->be[b].port == port)
			return true;
	return false;
}

/*
 * The MTU of the interface the FIB sends a packet to a out of: cli0's
 * subnet (10.0.0.0/24, fd00:a::/64) or be0's (10.0.1.0/24, fd00:b::/64).
 * 0 for anything else: no route, or an address the FIB does not forward
 * to: this host's own .1 / ::1, the subnet's broadcast .255 and, IPv6
 * with forwarding on, its subnet-router anycast ::. (The IPv4 network
 * address .0 is an ordinary destination: Linux no longer makes it a
 * broadcast route.)
 */
static int egress_mtu(const struct pg_addr *a)
{
	static const uint8_t cli6[8] = {0xfd, 0, 0, 0x0a},
			     be6[8] = {0xfd, 0, 0, 0x0b}, zero[8];

	if (a->family == 4) {
		if (a->b[0] != 10 || a->b[1] != 0 || a->b[3] == 1 ||
		    a->b[3] == 255)
			return 0;
		return a->b[2] == 0 ? mtu_cli : a->b[2] == 1 ? mtu_be : 0;
	}
	if (!memcmp(a->b + 8, zero, 8) ||
	    (!memcmp(a->b + 8, zero, 7) && a->b[15] == 1))
		return 0;
	return !memcmp(a->b, cli6, 8)  ? mtu_cli
	       : !memcmp(a->b, be6, 8) ? mtu_be
				       : 0;
}

/* --- the flows of this input ------------------------------------------ */

static struct flow *flow_new(void)
{
	struct flow *fl;

	if (n_flows >= FX_MAX_FLOWS)
		return NULL;
	fl = &flows[n_flows++];
	memset(fl, 0, sizeof(*fl));
	fl->stamp = ++flow_stamp;
	return fl;
}

/* The translated flow (not DSR) of a client's packet, or NULL. */
static struct flow *fwd_flow(const struct pg_info *pi)
{
	int f;

	for (f = 0; f < n_flows; f++) {
		struct flow *fl = &flows[f];

		if (!fl->dsr_in && fl->proto == pi->proto &&
		    addr_eq(&fl->client, &pi->src) &&
		    addr_eq(&fl->vip, &pi->dst) && fl->cport >= 0 &&
		    pi->has_l4 && fl->cport == pi->sport &&
		    fl->vport == pi->dport)
			return fl;
	}
	return NULL;
}

/* A TCP packet went through fl's entries (conntrack state): a SYN of
 * the client's reopens a closed flow (new entries), FIN or RST close. */
static void flow_note(struct flow *fl, const struct pg_info *pi, bool fwd)
{
	if (!fl || pi->proto != IPPROTO_TCP || !pi->has_l4)
		return;
	if (fwd && is_tcp_syn(pi) && fl->closing) {
		fl->closing = false;
		fl->gone = false;
		fl->stamp = ++flow_stamp;
	}
	if (pi->tcp_flags & (PG_TCP_FIN | PG_TCP_RST))
		fl->closing = true;
}

/* A client's packet to service s the datapath took as its flow's (the
 * flow's backend unseen when new). */
static void note_fwd(const struct pg_info *pi)
{
	struct flow *fl = fwd_flow(pi);

	if (!fl && pi->has_l4) {
		fl = flow_new();
		if (!fl)
			return;
		fl->family = pi->family;
		fl->proto = pi->proto;
		fl->client = pi->src;
		fl->vip = pi->dst;
		fl->cport = pi->sport;
		fl->vport = pi->dport;
		fl->bport = -1;
		fl->be_unknown = true;
	}
	flow_note(fl, pi, true);
}

/* Are fl's replies the tuple src:sport -> dst:dport? 1 yes, 0 no, -1
 * maybe (its backend unseen: any active backend of its service). */
static int flow_rev_is(const struct flow *fl, uint8_t proto,
		       const struct pg_addr *src, int sport,
		       const struct pg_addr *dst, int dport)
{
	const struct svc_cfg *s;

	if (fl->proto != proto || !addr_eq(&fl->client, dst) || fl->cport < 0 ||
	    fl->cport != dport)
		return 0;
	if (!fl->be_unknown)
		return addr_eq(&fl->backend, src) && fl->bport == sport;
	s = svc_find(&fl->vip, fl->vport, fl->proto);
	return s && be_active(s, src, sport) ? -1 : 0;
}

/* The flow whose REV entry the reply tuple src:sport -> dst:dport finds
 * (the one written last), or NULL; *maybe when that is not certain (a
 * flow whose backend is unseen may own it). */
static struct flow *rev_owner(uint8_t proto, const struct pg_addr *src,
			      int sport, const struct pg_addr *dst, int dport,
			      bool *maybe)
{
	struct flow *best = NULL;
	int f, m;

	*maybe = false;
	for (f = 0; f < n_flows; f++) {
		if (flows[f].gone)
			continue;
		m = flow_rev_is(&flows[f], proto, src, sport, dst, dport);
		if (m && (!best || flows[f].stamp > best->stamp)) {
			best = &flows[f];
			*maybe = m < 0;
		}
	}
	return best;
}

static void pin_backend(struct flow *fl, const struct pg_addr *be, int port)
{
	fl->backend = *be;
	fl->bport = port;
	fl->be_unknown = false;
}

/* Would the datapath translate this packet? Forward: *svc its service
 * (with an active backend); reverse: *fl the flow of this input whose
 * reply it is. Ports are not compared for a later fragment. */
static bool would_translate(const struct pg_info *pi,
			    const struct svc_cfg **svc, struct flow **fl)
{
	bool l4 = pi->has_l4, maybe;
	int f;

	*svc = svc_find(&pi->dst, l4 ? pi->dport : -1, pi->proto);
	*fl = NULL;
	if (*svc)
		return !(*svc)->droppable;
	if (l4) {
		*fl = rev_owner(pi->proto, &pi->src, pi->sport, &pi->dst,
				pi->dport, &maybe);
		return *fl != NULL;
	}
	for (f = 0; f < n_flows; f++)
		if (!flows[f].gone && flows[f].proto == pi->proto &&
		    addr_eq(&flows[f].client, &pi->dst) &&
		    (flows[f].be_unknown ||
		     addr_eq(&flows[f].backend, &pi->src))) {
			*fl = &flows[f];
			return true;
		}
	return false;
}

/* The egress MTU of a translated packet: its service's backends' side,
 * or (a reply) its destination's. */
static int translated_mtu(const struct pg_info *pi, const struct svc_cfg *svc)
{
	int b;

	if (!svc)
		return egress_mtu(&pi->dst);
	for (b = 0; b < svc->n_be; b++)
		if (!svc->be[b].draining)
			return egress_mtu(&svc->be[b].addr);
	return 0;
}

/* --- frames ------------------------------------------------------------ */

/* Forward: in.dst(:dport) is a VIP, out.dst(:dport) one of its active
 * backends; the 5-tuple keeps its backend within the input. */
static void check_forward(const struct run *r)
{
	const struct pg_info *pi = &r->pi, *po = &r->po;
	bool l4 = pi->has_l4, ok = false;
	struct flow *fl;
	size_t i;
	int b;

	if (!addr_eq(&pi->src, &po->src) || (l4 && pi->sport != po->sport))
		violation(r, "source and destination both rewritten");
	for (i = 0; i < FX_N_SERVICES && !ok; i++) {
		const struct svc_cfg *s = &svcs[i];

		if (s->proto != pi->proto || !addr_eq(&s->vip, &pi->dst) ||
		    (l4 && s->port != pi->dport))
			continue;
		for (b = 0; b < s->n_be && !ok; b++)
			ok = !s->be[b].draining &&
			     addr_eq(&s->be[b].addr, &po->dst) &&
			     (!l4 || s->be[b].port == po->dport);
	}
	if (!ok)
		violation(r,
			  "destination %s:%u -> %s:%u is not a VIP -> active "
			  "backend translation",
			  astr(&pi->dst), l4 ? pi->dport : 0, astr(&po->dst),
			  l4 ? po->dport : 0);
	if (!l4)
		return;
	fl = fwd_flow(pi);
	if (fl) {
		if (r->delta[SHUNT_C_CT_REV_RESTORED]) {
			/* Its REV entry written again (ct_rev_ensure()). */
			fl->gone = false;
			fl->stamp = ++flow_stamp;
		}
		if (fl->be_unknown)
			pin_backend(fl, &po->dst, po->dport);
		else if (!addr_eq(&fl->backend, &po->dst) ||
			 fl->bport != po->dport)
			violation(r,
				  "flow %s:%u -> %s:%u moved from backend "
				  "%s:%d to %s:%u within one input",
				  astr(&pi->src), pi->sport, astr(&pi->dst),
				  pi->dport, astr(&fl->backend), fl->bport,
				  astr(&po->dst), po->dport);
		flow_note(fl, pi, true);
		return;
	}
	fl = flow_new();
	if (!fl)
		return;
	fl->family = pi->family;
	fl->proto = pi->proto;
	fl->client = pi->src;
	fl->vip = pi->dst;
	fl->backend = po->dst;
	fl->cport = pi->sport;
	fl->vport = pi->dport;
	fl->bport = po->dport;
	flow_note(fl, pi, true);
}

static bool port_match(int want, bool l4, uint16_t got)
{
	return !l4 || want < 0 || want == got;
}

/* Reverse: in.src(:sport) is the backend of a flow this input opened
 * towards in.dst(:dport), out.src(:sport) that flow's VIP:port: of the
 * flow that owns the reply tuple's REV entry (the last written), when
 * the ports say which. */
static void check_reverse(const struct run *r)
{
	const struct pg_info *pi = &r->pi, *po = &r->po;
	bool l4 = pi->has_l4, maybe;
	struct flow *fl;
	int f;

	if (!addr_eq(&pi->dst, &po->dst) || (l4 && pi->dport != po->dport))
		violation(r, "source and destination both rewritten");
	if (l4) {
		fl = rev_owner(pi->proto, &pi->src, pi->sport, &pi->dst,
			       pi->dport, &maybe);
		if (fl && !maybe) {
			if (!addr_eq(&fl->vip, &po->src) ||
			    fl->vport != po->sport)
				violation(r,
					  "reply %s:%u -> %s:%u translated "
					  "from %s:%u; its REV entry belongs "
					  "to the %sflow from %s:%d",
					  astr(&pi->src), pi->sport,
					  astr(&pi->dst), pi->dport,
					  astr(&po->src), po->sport,
					  fl->dsr_in ? "DSR " : "",
					  astr(&fl->vip), fl->vport);
			flow_note(fl, pi, false);
			return;
		}
	}
	for (f = 0; f < n_flows; f++) {
		fl = &flows[f];
		if (fl->gone)
			continue;
		if (l4 && fl->be_unknown &&
		    flow_rev_is(fl, pi->proto, &pi->src, pi->sport, &pi->dst,
				pi->dport) &&
		    addr_eq(&fl->vip, &po->src) && fl->vport == po->sport) {
			pin_backend(fl, &pi->src, pi->sport);
			flow_note(fl, pi, false);
			return;
		}
		/* A later fragment: no ports to tell the backend by. */
		if (!l4 && fl->be_unknown && fl->proto == pi->proto &&
		    addr_eq(&fl->client, &pi->dst) &&
		    addr_eq(&fl->vip, &po->src)) {
			const struct svc_cfg *s =
				svc_find(&fl->vip, fl->vport, fl->proto);
			int b;

			for (b = 0; s && b < s->n_be; b++)
				if (!s->be[b].draining &&
				    addr_eq(&s->be[b].addr, &pi->src))
					return;
		}
		if (!fl->be_unknown && fl->proto == pi->proto &&
		    addr_eq(&fl->backend, &pi->src) &&
		    port_match(fl->bport, l4, pi->sport) &&
		    addr_eq(&fl->client, &pi->dst) &&
		    port_match(fl->cport, l4, pi->dport) &&
		    addr_eq(&fl->vip, &po->src) &&
		    port_match(fl->vport, l4, po->sport)) {
			flow_note(fl, pi, false);
			return;
		}
	}
	violation(r,
		  "source %s:%u -> %s:%u (towards %s:%u) is not the reverse "
		  "of a flow opened in this input",
		  astr(&pi->src), l4 ? pi->sport : 0, astr(&po->src),
		  l4 ? po->sport : 0, astr(&pi->dst), l4 ? pi->dport : 0);
}

/* A REJECT: the RST answering the input (bpf/lib/reject.h). */
static void check_reject(const struct run *r)
{
	const struct pg_info *pi = &r->pi, *po = &r->po;
	char why[160];

	if (!sent_back(r))
		violation(r, "a reset that is not sent back");
	if (r->in_err || !pi->has_l4 || !droppable(pi) ||
	    pi->proto != IPPROTO_TCP)
		violation(r, "a reset for a frame that is not TCP to a service "
			     "without active backends");
	if (!po->has_l4 || po->proto != IPPROTO_TCP ||
	    !(po->tcp_flags & PG_TCP_RST) || !addr_eq(&po->src, &pi->dst) ||
	    !addr_eq(&po->dst, &pi->src) || po->sport != pi->dport ||
	    po->dport != pi->sport || po->lay.l4_len != 20)
		violation(r, "the reset does not answer the frame");
	if (pg_verify_csums(r->out, r->out_len, why, sizeof(why)))
		violation(r, "the reset's checksums: %s", why);
}

/* A REJECT of UDP: the ICMP port unreachable answering the input,
 * checked on the bytes (the reader takes TCP and UDP only). */
static void check_reject_udp(const struct run *r)
{
	const struct pg_info *pi = &r->pi;
	bool v6 = pi->family == 6;
	size_t l3 = pi->lay.l3_off, iph = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	size_t soff = v6 ? 8 : 12;
	const uint8_t *out = r->out;

	if (!sent_back(r))
		violation(r, "an ICMP error that is not sent back");
	if (r->in_err || !pi->has_l4 || !droppable(pi) ||
	    pi->proto != IPPROTO_UDP || pi->ip_hlen != iph)
		violation(r, "an ICMP error for a frame that is not UDP to a "
			     "service without active backends");
	if (r->out_len != l3 + 2 * iph + 16 ||
	    out[l3 + (v6 ? 6 : 9)] != (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) ||
	    memcmp(out + l3 + soff, pi->dst.b, alen) ||
	    memcmp(out + l3 + soff + alen, pi->src.b, alen) ||
	    out[l3 + iph] != (v6 ? 1 : 3) ||
	    out[l3 + iph + 1] != (v6 ? 4 : 3) ||
	    memcmp(out + l3 + iph + 8, r->in + l3, iph + 8))
		violation(r, "the ICMP error does not answer the frame");
}

/* Sum of an ICMP(v6) message of len bytes after the IP header at l3,
 * checksum included (ICMPv6: with the pseudo-header): 0 when valid. */
static uint32_t icmp_resid(const uint8_t *f, size_t l3, bool v6, size_t len)
{
	uint8_t ph[8] = {0};
	uint32_t sum = 0;

	if (v6) {
		sum = pg_sum(sum, f + l3 + 8, 32);
		put16(ph + 2, (uint16_t)len);
		ph[7] = IPPROTO_ICMPV6;
		sum = pg_sum(sum, ph, 8);
	}
	return resid(pg_sum(sum, f + l3 + (v6 ? 40 : 20), len));
}

/* Too big for an egress of MTU mtu, as the hook's FIB lookup finds it:
 * XDP gives it the IP length; tc lets the kernel check the whole frame
 * (is_skb_forwardable(): longer than MTU + Ethernet header + a VLAN tag),
 * bytes after the IP packet included, which tc would send on too. */
static bool too_big_for(const struct run *r, int mtu)
{
	if (!mtu)
		return false;
	if (cur_hook == PENV_XDP)
		return ip_len(r->in, &r->pi) > (uint32_t)mtu;
	return r->in_len > (size_t)mtu + 14 + 4;
}

/* The checks common to the drops and answers of pmtu.h: the packet is
 * one the datapath translates, larger than the MTU of its translation's
 * egress and not to be fragmented. The MTU, and the flow bookkeeping of
 * the translation the datapath began (conntrack comes first). */
static int check_too_big_packet(const struct run *r)
{
	const struct pg_info *pi = &r->pi;
	const struct svc_cfg *svc;
	struct flow *fl;
	uint32_t len;
	int mtu;

	if (r->in_err || (pi->proto != IPPROTO_TCP && pi->proto != IPPROTO_UDP))
		violation(r, "answered too big, and not TCP or UDP");
	if (fragmentable(r->in, pi))
		violation(r, "answered too big: an IPv4 packet without DF, "
			     "which the stack may fragment");
	if (pi->ttl <= 1)
		violation(r, "answered too big, with TTL/hop limit %u",
			  pi->ttl);
	if (!would_translate(pi, &svc, &fl))
		violation(r, "answered too big: a packet that is neither to a "
			     "service with an active backend nor a reply of a "
			     "flow of this input");
	mtu = translated_mtu(pi, svc);
	len = ip_len(r->in, pi);
	if (!too_big_for(r, mtu))
		violation(r,
			  "answered too big: %u bytes of IP (frame %zu), the "
			  "egress's MTU is %d",
			  len, r->in_len, mtu);
	if (svc) {
		note_fwd(pi);
	} else {
		/* A reply that found its REV entry: its backend. */
		if (fl->be_unknown && pi->has_l4)
			pin_backend(fl, &pi->src, pi->sport);
		flow_note(fl, pi, false);
	}
	return mtu;
}

/* An answer of pmtu.h: ICMP Fragmentation Needed / Packet Too Big back
 * to the sender, quoting its packet as it came in. */
static void check_too_big(const struct run *r)
{
	const struct pg_info *pi = &r->pi;
	const uint8_t *in = r->in, *out = r->out;
	bool v6 = pi->family == 6;
	size_t l3 = pi->lay.l3_off, iph = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	size_t soff = v6 ? 8 : 12, icmp = l3 + iph, q = icmp + 8;
	int mtu;

	if (r->delta[SHUNT_C_ICMP_TOO_BIG] != 1 ||
	    r->delta[SHUNT_C_DROP_TOO_BIG] || r->delta[SHUNT_C_DROP_NAT_FAIL])
		violation(r, "icmp_too_big_sent counted with other outcomes");
	if (!sent_back(r))
		violation(r, "a Packet Too Big that is not sent back");
	if (!r->in_err &&
	    (!pi->has_l4 || pi->is_frag || pi->nvlan || pi->ip_hlen != iph))
		violation(r, "a Packet Too Big quoting what it cannot quote as "
			     "sent (no L4 header, a fragment, a VLAN tag, IPv4 "
			     "options or IPv6 extension headers)");
	mtu = check_too_big_packet(r);
	if (r->out_len != q + iph + 8)
		violation(r, "the Packet Too Big is %zu bytes long, not %zu",
			  r->out_len, q + iph + 8);
	if (memcmp(out, in + 6, 6) || memcmp(out + 6, in, 6) ||
	    memcmp(out + 12, in + 12, l3 - 12))
		violation(r, "the Packet Too Big's Ethernet header does not "
			     "answer the frame's (MACs swapped)");
	if (v6) {
		/* Version 6, payload 56, ICMPv6, hop limit 64. */
		static const uint8_t hdr6[8] = {
			0x60, 0, 0, 0, 0, 56, IPPROTO_ICMPV6, 64,
		};

		if (memcmp(out + l3, hdr6, sizeof(hdr6)))
			violation(r, "the Packet Too Big's IPv6 header is not "
				     "the answer's (payload 56, ICMPv6, hop "
				     "limit 64)");
	} else {
		/* 20 bytes, length 56, no DF, TTL 64, ICMP. */
		static const uint8_t hdr4[10] = {
			0x45, 0, 0, 56, 0, 0, 0, 0, 64, IPPROTO_ICMP,
		};

		if (memcmp(out + l3, hdr4, sizeof(hdr4)) ||
		    resid(pg_sum(0, out + l3, 20)))
			violation(r, "the Fragmentation Needed's IPv4 header "
				     "is not the answer's (length 56, no DF, "
				     "TTL 64, ICMP, valid checksum)");
	}
	if (memcmp(out + l3 + soff, in + l3 + soff + alen, alen) ||
	    memcmp(out + l3 + soff + alen, in + l3 + soff, alen))
		violation(r, "the Packet Too Big is not from the packet's "
			     "destination to its source");
	if (v6 ? out[icmp] != 2 || out[icmp + 1] ||
			    get32(out + icmp + 4) != (uint32_t)mtu
	       : out[icmp] != 3 || out[icmp + 1] != 4 ||
			    get16(out + icmp + 4) ||
			    get16(out + icmp + 6) != mtu)
		violation(r,
			  "ICMP type %u code %u, field 0x%08x: not %s with MTU "
			  "%d",
			  out[icmp], out[icmp + 1], get32(out + icmp + 4),
			  v6 ? "Packet Too Big" : "Fragmentation Needed", mtu);
	if (icmp_resid(out, l3, v6, 8 + iph + 8))
		violation(r, "the Packet Too Big's ICMP checksum is wrong");
	/* The quote: as the packet came in. An IPv4 header checksum is
	 * computed afresh: the same, but for a wrong one made right. */
	if (v6 ? memcmp(out + q, in + l3, iph)
	       : memcmp(out + q, in + l3, 10) ||
			    memcmp(out + q + 12, in + l3 + 12, 8) ||
			    resid(pg_sum(0, out + q, 20)) ||
			    (!resid(pg_sum(0, in + l3, 20)) &&
			     memcmp(out + q + 10, in + l3 + 10, 2)))
		violation(r, "the quoted IP header is not the packet's");
	if (memcmp(out + q + iph, in + l3 + iph, 8))
		violation(r,
			  "the quote's 8 bytes of %s are not the packet's as "
			  "it came in",
			  pi->proto == IPPROTO_TCP ? "TCP" : "UDP");
}

/* A drop of pmtu.h: too big, and the quote cannot be made. */
static void check_drop_too_big(const struct run *r)
{
	const struct pg_info *pi = &r->pi;
	size_t iph = pi->family == 6 ? 40 : 20;

	if (r->verdict != penv_drop(cur_hook))
		violation(r, "drop_too_big counted, frame not dropped");
	if (r->delta[SHUNT_C_DROP_TOO_BIG] != 1 ||
	    r->delta[SHUNT_C_DROP_NAT_FAIL] ||
	    r->delta[SHUNT_C_DROP_NO_BACKEND])
		violation(r, "drop_too_big counted with other outcomes");
	if (!r->in_err && pi->has_l4 && !pi->is_frag && !pi->nvlan &&
	    pi->ip_hlen == iph)
		violation(r, "dropped as too big, though its quote could be "
			     "made");
	check_too_big_packet(r);
}

/* Rules out the L2 and TTL of a frame the datapath sent on (or passed
 * up) translated towards dst. */
static void check_sent_on(const struct run *r, int ingress, bool redirected,
			  const struct pg_addr *dst)
{
	const struct pg_info *pi = &r->pi, *po = &r->po;

	if (!redirected) {
		if (po->ttl != pi->ttl || memcmp(r->in, r->out, 12))
			violation(r, "passed up with TTL or MACs changed");
	} else {
		const struct neigh *n = neigh_of(dst);
		bool macs_kept = !memcmp(r->in, r->out, 12);

		if (po->ttl != pi->ttl - 1)
			violation(r, "redirected with TTL %u -> %u", pi->ttl,
				  po->ttl);
		if (n && !memcmp(po->dmac, n->mac, 6) &&
		    !memcmp(po->smac,
			    n->ifindex == penv.if_cli ? penv.mac_cli
						      : penv.mac_be,
			    6)) {
			if (cur_hook == PENV_XDP &&
			    (r->verdict == XDP_TX) != (n->ifindex == ingress))
				violation(r,
					  "%s to %s out of ifindex %d, "
					  "arrived on %d",
					  verdict_name(cur_hook, r->verdict),
					  astr(dst), n->ifindex, ingress);
		} else if (!(cur_hook == PENV_TC && macs_kept && !n)) {
			violation(r, "redirected with wrong MACs for %s",
				  astr(dst));
		}
	}
}

static bool redirected_verdict(const struct run *r)
{
	return cur_hook == PENV_XDP
		       ? r->verdict == XDP_TX || r->verdict == XDP_REDIRECT
		       : (int)r->verdict == TC_ACT_REDIRECT;
}

/* Sum, mod 0xffff, of what the quoted L4 checksum covers and icmp.h
 * rewrites: the quote's addresses, ports and checksum. */
static uint32_t quote_l4_resid(const uint8_t *f, size_t q, size_t ql4, bool v6,
			       size_t cso)
{
	uint32_t sum = pg_sum(0, f + q + (v6 ? 8 : 12), v6 ? 32 : 8);

	sum = pg_sum(sum, f + ql4, 4);
	return resid(pg_sum(sum, f + cso, 2));
}

/* An ICMP error about a flow of this input, translated (icmp.h). */
static void check_icmp_err(const struct run *r, int ingress)
{
	const struct pg_info *pi = &r->pi, *po = &r->po;
	const uint8_t *in = r->in, *out = r->out;
	bool v6 = pi->family == 6, reply = false, maybe = false;
	size_t l3 = pi->lay.l3_off, l4 = pi->lay.l4_off, iph = v6 ? 40 : 20;
	size_t alen = v6 ? 16 : 4, soff = v6 ? 8 : 12, q = l4 + 8, ql4, cso;
	static uint8_t want[FX_MAX_FRAME + 256], mask[FX_MAX_FRAME + 256];
	struct pg_addr qs, qd, to, nqs, nqd;
	const struct svc_cfg *svc;
	struct flow *fl = NULL;
	int qsp, qdp, nqsp, nqdp, mtu, f;
	uint8_t qproto;
	size_t i;

	if (r->delta[SHUNT_C_ICMP_TRANSLATED] != 1 ||
	    r->delta[SHUNT_C_DROP_NAT_FAIL] ||
	    r->delta[SHUNT_C_DROP_TOO_BIG] !=
		    (r->verdict == penv_drop(cur_hook)))
		violation(r, "icmp_err_translated counted with other outcomes "
			     "(a drop is one too big: drop_too_big)");
	if (r->in_err || !pi->family || pi->has_l4 || pi->is_frag ||
	    pi->nvlan ||
	    (v6 ? pi->proto != IPPROTO_ICMPV6 || (in[l4] != 1 && in[l4] != 2)
		: pi->proto != IPPROTO_ICMP || in[l4] != 3))
		violation(r, "translated as an ICMP error: a frame that is no "
			     "unfragmented, untagged destination unreachable "
			     "(ICMPv6: or packet too big)");
	if (pi->ttl <= 1)
		violation(r, "translated an ICMP error with TTL/hop limit %u",
			  pi->ttl);
	ql4 = q + iph;
	if (ql4 + 4 > r->in_len ||
	    (v6 ? in[q] >> 4 != 6 : in[q] != 0x45 || in[q + 9] == 0))
		violation(r, "translated an ICMP error whose quote is no fixed "
			     "IP header and ports");
	qproto = v6 ? in[q + 6] : in[q + 9];
	if (qproto != IPPROTO_TCP && qproto != IPPROTO_UDP)
		violation(r, "translated an ICMP error quoting protocol %u",
			  qproto);
	qs.family = qd.family = pi->family;
	memcpy(qs.b, in + q + soff, alen);
	memcpy(qd.b, in + q + soff + alen, alen);
	qsp = get16(in + ql4);
	qdp = get16(in + ql4 + 2);

	/* Quoting a reply (VIP -> client) sent to the VIP: the flow's FWD
	 * entry. Else quoting a request (client -> backend): whoever owns
	 * its REV entry. */
	for (f = 0; f < n_flows && !reply; f++) {
		fl = &flows[f];
		reply = !fl->dsr_in && fl->proto == qproto &&
			addr_eq(&fl->client, &qd) && fl->cport == qdp &&
			addr_eq(&fl->vip, &qs) && fl->vport == qsp &&
			addr_eq(&pi->dst, &qs);
	}
	if (reply) {
		if (fl->be_unknown) {
			struct pg_addr b = {.family = pi->family};

			svc = svc_find(&fl->vip, fl->vport, fl->proto);
			memcpy(b.b, out + q + soff, alen);
			if (r->out_len < ql4 + 4 || !svc ||
			    !be_active(svc, &b, get16(out + ql4)))
				violation(r, "an ICMP error about a reply went "
					     "to no active backend of its "
					     "flow's service");
			pin_backend(fl, &b, get16(out + ql4));
		}
		nqs = fl->backend;
		nqsp = fl->bport;
		nqd = qd;
		nqdp = qdp;
		to = fl->backend;
	} else {
		fl = rev_owner(qproto, &qd, qdp, &qs, qsp, &maybe);
		if (!fl)
			violation(r,
				  "translated an ICMP error whose quote names "
				  "no flow of this input");
		if (fl->dsr_in && !maybe)
			violation(r,
				  "translated an ICMP error quoting a flow a "
				  "DSR option made (not ours to answer)");
		if (maybe)
			pin_backend(fl, &qd, qdp);
		nqs = qs;
		nqsp = qsp;
		nqd = fl->vip;
		nqdp = fl->vport;
		to = pi->dst;
	}

	if (r->verdict == penv_drop(cur_hook)) {
		/* Too big for its egress (fwd.h), counted drop_too_big:
		 * nothing answers an ICMP error. */
		mtu = egress_mtu(&to);
		if (!too_big_for(r, mtu) || fragmentable(in, pi))
			violation(r,
				  "dropped a translated ICMP error that is "
				  "not too big for its egress (MTU %d)",
				  mtu);
		return;
	}
	if (r->verdict != penv_pass(cur_hook) && !redirected_verdict(r))
		violation(r, "unexpected verdict");
	if (r->out_len != r->in_len)
		violation(r, "length changed from %zu to %zu", r->in_len,
			  r->out_len);
	if (r->out_err)
		violation(r, "output is not a well-formed frame");

	/* The bytes: the input, rewritten as icmp.h says. */
	memcpy(want, in, r->in_len);
	memcpy(want + l3 + soff + alen, to.b, alen);
	memcpy(want + q + soff, nqs.b, alen);
	memcpy(want + q + soff + alen, nqd.b, alen);
	put16(want + ql4, (uint16_t)nqsp);
	put16(want + ql4 + 2, (uint16_t)nqdp);
	memset(mask, 0, r->in_len);
	allow(mask, r->in_len, 0, 12); /* MACs */
	allow(mask, r->in_len, l3 + (v6 ? 7 : 8), 1);
	if (!v6) {
		allow(mask, r->in_len, l3 + 10, 2);
		allow(mask, r->in_len, q + 10, 2);
	}
	allow(mask, r->in_len, l4 + 2, 2);
	cso = ql4 + (qproto == IPPROTO_TCP ? 16 : 6);
	allow(mask, r->in_len, cso, 2);
	for (i = 0; i < r->in_len; i++)
		if (!mask[i] && want[i] != out[i])
			violation(r,
				  "byte %zu is 0x%02x, want 0x%02x (quote now "
				  "%s:%d -> %s:%d, to %s)",
				  i, out[i], want[i], astr(&nqs), nqsp,
				  astr(&nqd), nqdp, astr(&to));
	check_sent_on(r, ingress, redirected_verdict(r), &to);

	/* Checksums: as right or as wrong as before. */
	if (!v6 && ip4_resid(in, pi) != ip4_resid(out, po))
		violation(r, "outer IPv4 header checksum does not follow the "
			     "rewrite");
	if (icmp_resid(in, l3, v6, pi->lay.l4_len) !=
	    icmp_resid(out, l3, v6, po->lay.l4_len))
		violation(r, "ICMP checksum does not follow the rewrite");
	if (!v6 &&
	    resid(pg_sum(0, in + q, 20)) != resid(pg_sum(0, out + q, 20)))
		violation(r, "quoted IPv4 header checksum does not follow the "
			     "rewrite");
	if (cso + 2 <= r->in_len) {
		if (qproto == IPPROTO_UDP && !get16(in + cso)) {
			if (get16(out + cso))
				violation(r,
					  "quoted UDP checksum 0 became "
					  "0x%04x",
					  get16(out + cso));
		} else if (quote_l4_resid(in, q, ql4, v6, cso) !=
				   quote_l4_resid(out, q, ql4, v6, cso) ||
			   (qproto == IPPROTO_UDP && !get16(out + cso))) {
			violation(r,
				  "quoted %s checksum 0x%04x -> 0x%04x does "
				  "not follow the rewrite",
				  qproto == IPPROTO_TCP ? "TCP" : "UDP",
				  get16(in + cso), get16(out + cso));
		}
	}
}

/* The DSR option of a frame where dsr.h puts it, first after the fixed
 * IP header: its length, or 0 when there is none. */
static size_t dsr_opt(const struct run *r, struct pg_addr *vip, uint16_t *port)
{
	const struct pg_info *pi = &r->pi;
	const uint8_t *in = r->in;
	size_t l3 = pi->lay.l3_off;

	if (r->in_err)
		return 0;
	memset(vip, 0, sizeof(*vip));
	vip->family = pi->family;
	if (pi->family == 4 && pi->ip_hlen >= 20 + FX_DSR4_LEN &&
	    in[l3 + 20] == FX_DSR_OPT && in[l3 + 21] == FX_DSR4_LEN) {
		*port = get16(in + l3 + 22);
		memcpy(vip->b, in + l3 + 24, 4);
		return FX_DSR4_LEN;
	}
	if (pi->family == 6 && in[l3 + 6] == 60 &&
	    l3 + 40 + FX_DSR6_LEN <= r->in_len && in[l3 + 41] == 2 &&
	    in[l3 + 42] == FX_DSR_OPT && in[l3 + 43] == 18) {
		*port = get16(in + l3 + 44);
		memcpy(vip->b, in + l3 + 46, 16);
		return FX_DSR6_LEN;
	}
	return 0;
}

/*
 * A frame with a DSR option to an address that is no frontend (dsr.h's
 * dsr_accept): false when that is not this frame's case. The option
 * taken off when it names a frontend and the tuple's replies are no live
 * flow's; else the frame unchanged.
 */
static bool check_dsr(const struct run *r, bool unchanged)
{
	const struct pg_info *pi = &r->pi;
	const uint8_t *in = r->in, *out = r->out;
	size_t l3 = pi->lay.l3_off, n, hdr, i;
	bool maybe, may_take, same;
	const struct svc_cfg *fe;
	struct pg_addr vip;
	struct flow *own, *fl;
	uint16_t port;

	n = dsr_opt(r, &vip, &port);
	if (!n || !pi->has_l4 ||
	    svc_find(&pi->dst, pi->dport, pi->proto) != NULL)
		return false;
	fe = svc_find(&vip, port, pi->proto);
	if (fe && r->delta[SHUNT_C_DSR_IN_UNKNOWN])
		violation(r,
			  "dsr_in_unknown for a DSR option naming frontend "
			  "%s:%u",
			  astr(&vip), port);
	if (!fe) {
		if (!unchanged || r->verdict != penv_pass(cur_hook) ||
		    r->delta[SHUNT_C_DSR_IN] ||
		    r->delta[SHUNT_C_DSR_IN_CONFLICT])
			violation(r,
				  "acted on a DSR option naming %s:%u, no "
				  "frontend",
				  astr(&vip), port);
		return true;
	}
	own = rev_owner(pi->proto, &pi->dst, pi->dport, &pi->src, pi->sport,
			&maybe);
	same = own && own->dsr_in && addr_eq(&own->vip, &vip) &&
	       own->vport == port;
	may_take = !own || same || (is_tcp_syn(pi) && own->closing);
	if (r->delta[SHUNT_C_DSR_IN_CONFLICT]) {
		if (!unchanged || r->verdict != penv_pass(cur_hook))
			violation(r, "dsr_in_conflict, and the frame changed");
		if (may_take && !maybe)
			violation(r, "a DSR option refused (dsr_in_conflict), "
				     "though no live flow of this input has "
				     "the tuple's replies");
		return true;
	}
	if (unchanged && r->verdict == penv_pass(cur_hook) &&
	    !r->delta[SHUNT_C_DSR_IN])
		return true; /* not taken (a later fragment, say) */
	if (!may_take && !maybe)
		violation(r,
			  "a DSR option (%s:%u) took the replies of a live "
			  "%sflow of this input (from %s:%d)",
			  astr(&vip), port, own->dsr_in ? "DSR " : "",
			  astr(&own->vip), own->vport);
	if (r->delta[SHUNT_C_DSR_IN]) {
		fl = flow_new();
		if (fl) {
			fl->family = pi->family;
			fl->proto = pi->proto;
			fl->client = pi->src;
			fl->cport = pi->sport;
			fl->backend = pi->dst;
			fl->bport = pi->dport;
			fl->vip = vip;
			fl->vport = port;
			fl->dsr_in = true;
			/* dsr.h's entry state: ct_initial_state(). */
			fl->closing = pi->proto == IPPROTO_TCP &&
				      (pi->tcp_flags & PG_TCP_RST);
		}
	} else if (!same && !maybe && !r->delta[SHUNT_C_CT_CREATE_FAIL]) {
		violation(r, "a DSR option taken off, no REV entry written "
			     "(dsr_in) nor one of its frontend's there");
	}
	/* IPv4: only the header's only option comes off, and only from a
	 * header whose checksum is right; else it stays (Linux ignores
	 * it, or drops the bad header). */
	if (pi->family == 4 && (pi->ip_hlen != 20 + FX_DSR4_LEN ||
				resid(pg_sum(0, in + l3, pi->ip_hlen)))) {
		if (!unchanged || r->verdict != penv_pass(cur_hook))
			violation(r,
				  "the frame of an IPv4 DSR option that is not "
				  "the header's only one, or under a wrong "
				  "header checksum, not passed unchanged");
		return true;
	}
	if (r->verdict == penv_drop(cur_hook)) {
		if (cur_hook != PENV_TC || !pi->nvlan ||
		    r->delta[SHUNT_C_DROP_DSR_ENCAP] != 1)
			violation(r, "dropped a frame with a DSR option");
		return true;
	}
	if (r->verdict != penv_pass(cur_hook))
		violation(r, "a DSR option's frame not passed to the stack");
	if (r->out_len + n != r->in_len)
		violation(r, "length %zu -> %zu, not the DSR option's %zu less",
			  r->in_len, r->out_len, n);
	hdr = pi->family == 4 ? 20 : 40;
	for (i = 0; i < r->out_len; i++) {
		uint8_t w = i < l3 + hdr ? in[i] : in[i + n];

		if (pi->family == 4) {
			if (i == l3)
				w = (uint8_t)(in[l3] - n / 4);
			else if (i == l3 + 2 || i == l3 + 3)
				w = (uint8_t)((get16(in + l3 + 2) - n) >>
					      (i == l3 + 2 ? 8 : 0));
			else if (i == l3 + 10 || i == l3 + 11)
				continue;
		} else if (i == l3 + 4 || i == l3 + 5) {
			w = (uint8_t)((get16(in + l3 + 4) - n) >>
				      (i == l3 + 4 ? 8 : 0));
		} else if (i == l3 + 6) {
			w = in[l3 + 40];
		}
		if (out[i] != w)
			violation(r,
				  "byte %zu is 0x%02x, want 0x%02x (the frame "
				  "with its DSR option taken off)",
				  i, out[i], w);
	}
	if (pi->family == 4 &&
	    resid(pg_sum(0, in + l3, pi->ip_hlen)) !=
		    resid(pg_sum(0, out + l3, pi->ip_hlen - n)))
		violation(r, "IPv4 header checksum does not follow the "
			     "option's removal");
	return true;
}

/* dsr_forget(): a SYN without a DSR option to an address that is no
 * frontend deletes the DSR entry on its reply tuple (and with it that
 * tuple's older flows' claim). */
static void check_dsr_forget(const struct run *r)
{
	const struct pg_info *pi = &r->pi;
	struct pg_addr vip;
	struct flow *own;
	uint16_t port;
	bool maybe;
	int f;

	if (r->delta[SHUNT_C_DSR_IN_FORGOT] != 1 || r->in_err ||
	    !is_tcp_syn(pi) || dsr_opt(r, &vip, &port) ||
	    svc_find(&pi->dst, pi->dport, pi->proto))
		violation(r, "dsr_in_forgot for a frame that is no TCP SYN "
			     "without a DSR option to an address that is no "
			     "frontend");
	own = rev_owner(IPPROTO_TCP, &pi->dst, pi->dport, &pi->src, pi->sport,
			&maybe);
	if (!own || (!own->dsr_in && !maybe))
		violation(r, "dsr_in_forgot, and the reply tuple is no DSR "
			     "flow's of this input");
	for (f = 0; f < n_flows; f++)
		if (!flows[f].be_unknown &&
		    flow_rev_is(&flows[f], IPPROTO_TCP, &pi->dst, pi->dport,
				&pi->src, pi->sport) == 1)
			flows[f].gone = true;
}

/* A new flow refused because its reply tuple is another live flow's
 * (bpf/lib/ct.h ct_create): a frame to a frontend, dropped, from a
 * client address and port an earlier flow of this input used towards
 * another frontend. */
static void check_reply_clash(const struct run *r)
{
	const struct pg_info *pi = &r->pi;
	int f;

	if (r->verdict != penv_drop(cur_hook) ||
	    r->delta[SHUNT_C_CT_REPLY_CLASH] != 1)
		violation(r, "ct_reply_clash counted, the frame not dropped");
	if (r->in_err || !pi->has_l4 ||
	    !svc_find(&pi->dst, pi->dport, pi->proto))
		violation(r, "ct_reply_clash for a frame to no frontend");
	for (f = 0; f < n_flows; f++)
		if (flows[f].proto == pi->proto &&
		    addr_eq(&flows[f].client, &pi->src) &&
		    flows[f].cport == pi->sport &&
		    (!addr_eq(&flows[f].vip, &pi->dst) ||
		     flows[f].vport != pi->dport))
			return;
	violation(r, "ct_reply_clash, and no earlier flow of this client "
		     "address and port to another frontend");
}

static void check(const struct run *r, int ingress)
{
	static const int never[] = {
		SHUNT_C_DSR_NEW,	SHUNT_C_DSR_OPT_SENT,
		SHUNT_C_SNAT_NEW,	SHUNT_C_SNAT_HAIRPIN,
		SHUNT_C_SNAT_RETRY,	SHUNT_C_DROP_SNAT_EXHAUSTED,
		SHUNT_C_SNAT_PAWS_SKIP, SHUNT_C_SNAT_REV_LOST,
	};
	const struct pg_info *pi = &r->pi, *po = &r->po;
	__u32 pass = penv_pass(cur_hook), drop = penv_drop(cur_hook);
	bool redirected, unchanged, src_changed, dst_changed;
	static uint8_t mask[FX_MAX_FRAME + 256];
	size_t i, l3, l4, alen;
	char why[160];

	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (r->delta[never[i]])
			violation(r,
				  "%s counted: nothing here is masqueraded "
				  "(but hairpin, without an address) or sent "
				  "by DSR",
				  shunt_counter_name((unsigned int)never[i]));
	unchanged =
		r->out_len == r->in_len && !memcmp(r->in, r->out, r->in_len);
	/* First: whatever happens to the frame next (a reply translated,
	 * answered as too big...), the forgotten flow is gone. */
	if (r->delta[SHUNT_C_DSR_IN_FORGOT])
		check_dsr_forget(r);
	if (r->delta[SHUNT_C_REJECT_TCP]) {
		check_reject(r);
		return;
	}
	if (r->delta[SHUNT_C_REJECT_UDP]) {
		check_reject_udp(r);
		return;
	}
	if (r->delta[SHUNT_C_ICMP_TOO_BIG]) {
		check_too_big(r);
		return;
	}
	if (r->delta[SHUNT_C_ICMP_TRANSLATED]) {
		check_icmp_err(r, ingress);
		return;
	}
	if (r->delta[SHUNT_C_DROP_TOO_BIG]) {
		check_drop_too_big(r);
		return;
	}
	if (check_dsr(r, unchanged))
		return;
	if (r->delta[SHUNT_C_DSR_IN] || r->delta[SHUNT_C_DSR_IN_CONFLICT] ||
	    r->delta[SHUNT_C_DROP_DSR_ENCAP])
		violation(r, "DSR counters moved for a frame without a DSR "
			     "option to an address that is no frontend");
	if (r->delta[SHUNT_C_CT_REPLY_CLASH]) {
		check_reply_clash(r);
		return;
	}
	if (r->verdict == drop && r->delta[SHUNT_C_DROP_SNAT_NO_ADDR]) {
		if (r->in_err || !pi->has_l4 || !hairpin(pi))
			violation(r, "dropped for SNAT, and not hairpin");
		return;
	}
	if (r->verdict == drop) {
		if (r->delta[SHUNT_C_DROP_NO_BACKEND] != 1 ||
		    r->delta[SHUNT_C_DROP_NAT_FAIL])
			violation(r, "dropped, and not for want of a backend");
		if (r->in_err || !pi->has_l4 || !droppable(pi))
			violation(r, "dropped a frame that is not for a "
				     "service without active backends");
		return;
	}
	if (r->delta[SHUNT_C_DROP_NO_BACKEND] ||
	    r->delta[SHUNT_C_DROP_NAT_FAIL])
		violation(r, "drop counted, frame not dropped");
	if (r->verdict == pass && unchanged)
		return;

	redirected = redirected_verdict(r);
	if (r->verdict != pass && !redirected)
		violation(r, "unexpected verdict");
	if (r->out_len != r->in_len)
		violation(r, "length changed from %zu to %zu", r->in_len,
			  r->out_len);
	if (r->in_err)
		violation(r, "%s a frame the independent parser rejects",
			  unchanged ? "redirected" : "rewrote");
	if (r->out_err)
		violation(r, "output is not a well-formed frame");
	if (pi->family != po->family || pi->proto != po->proto ||
	    pi->has_l4 != po->has_l4 || pi->lay.l3_off != po->lay.l3_off ||
	    pi->lay.l4_off != po->lay.l4_off)
		violation(r, "output parses differently from the input");
	if (pi->proto != IPPROTO_TCP && pi->proto != IPPROTO_UDP)
		violation(r, "rewrote a frame that is neither TCP nor UDP");
	if (pi->ttl <= 1)
		violation(r, "rewrote a frame with TTL/hop limit %u", pi->ttl);

	src_changed = !addr_eq(&pi->src, &po->src) ||
		      (pi->has_l4 && pi->sport != po->sport);
	dst_changed = !addr_eq(&pi->dst, &po->dst) ||
		      (pi->has_l4 && pi->dport != po->dport);
	if (dst_changed)
		check_forward(r);
	else if (src_changed)
		check_reverse(r);
	else if (r->delta[SHUNT_C_NAT_REV] && !pi->has_l4)
		/* A later fragment whose source address the translation
		 * left as it was (a DSR option's flow to a VIP's address
		 * on a port that is no frontend). */
		check_reverse(r);
	else
		violation(r, "frame changed or redirected, not translated");

	/* Only these bytes may differ. */
	l3 = pi->lay.l3_off;
	l4 = pi->lay.l4_off;
	alen = pi->family == 4 ? 4 : 16;
	memset(mask, 0, r->in_len);
	allow(mask, r->in_len, 0, 12); /* MACs, checked below */
	if (pi->family == 4) {
		allow(mask, r->in_len, l3 + 8, 1);  /* TTL */
		allow(mask, r->in_len, l3 + 10, 2); /* checksum */
		allow(mask, r->in_len, l3 + (dst_changed ? 16 : 12), alen);
	} else {
		allow(mask, r->in_len, l3 + 7, 1); /* hop limit */
		allow(mask, r->in_len, l3 + (dst_changed ? 24 : 8), alen);
	}
	if (pi->has_l4) {
		allow(mask, r->in_len, l4 + (dst_changed ? 2 : 0), 2);
		allow(mask, r->in_len, l4 + (pi->proto == IPPROTO_TCP ? 16 : 6),
		      2);
	}
	for (i = 0; i < r->in_len; i++)
		if (!mask[i] && r->in[i] != r->out[i])
			violation(r, "byte %zu changed (0x%02x -> 0x%02x)", i,
				  r->in[i], r->out[i]);

	/* TTL and MACs. */
	check_sent_on(r, ingress, redirected, &po->dst);

	/* Checksums: exactly as right (or wrong) as before. */
	if (pi->family == 4 && ip4_resid(r->in, pi) != ip4_resid(r->out, po))
		violation(r,
			  "IPv4 header checksum 0x%04x -> 0x%04x does not "
			  "match the header change",
			  pi->ip_check, po->ip_check);
	if (pi->has_l4) {
		if (pi->proto == IPPROTO_UDP && pi->l4_check == 0) {
			if (po->l4_check)
				violation(r, "UDP checksum 0 became 0x%04x",
					  po->l4_check);
		} else {
			if (l4_resid(r->in, pi) != l4_resid(r->out, po))
				violation(r,
					  "%s checksum 0x%04x -> 0x%04x does "
					  "not match the rewrite",
					  pi->proto == IPPROTO_TCP ? "TCP"
								   : "UDP",
					  pi->l4_check, po->l4_check);
			if (pi->proto == IPPROTO_UDP && po->l4_check == 0)
				violation(r, "UDP checksum 0x%04x became 0",
					  pi->l4_check);
		}
	}
	if (!pg_verify_csums(r->in, r->in_len, NULL, 0) &&
	    pg_verify_csums(r->out, r->out_len, why, sizeof(why)))
		violation(r, "valid checksums turned invalid: %s", why);
}

/* --- driving ---------------------------------------------------------- */

/* A small index per verdict of the current hook. */
static int verdict_slot(__u32 v)
{
	if (cur_hook == PENV_XDP)
		return v <= XDP_REDIRECT ? (int)v : 7;
	switch ((int)v) {
	case TC_ACT_OK:
		return 0;
	case TC_ACT_SHOT:
		return 1;
	case TC_ACT_REDIRECT:
		return 2;
	default:
		return 7;
	}
}

static void features(const struct run *r, uint32_t *prev_sig)
{
	uint8_t *f = feat_ctr[cur_hook];
	uint32_t sig = 2166136261u;
	int c, v = verdict_slot(r->verdict);

	for (c = 0; c < SHUNT_C_MAX; c++) {
		if (!r->delta[c])
			continue;
		if (f[c] < 255)
			f[c]++;
		sig = (sig ^ (uint32_t)c) * 16777619u;
	}
	if (f[SHUNT_C_MAX + v] < 255)
		f[SHUNT_C_MAX + v]++;
	sig = (sig ^ (uint32_t)(v + 100 * cur_hook)) * 16777619u;
	c = (int)((*prev_sig * 31u + sig) % FEAT_PAIRS);
	if (feat_pair[c] < 255)
		feat_pair[c]++;
	*prev_sig = sig;
}

static void run_hook(enum penv_hook hook, const uint8_t *data, size_t size)
{
	uint32_t prev_sig = 0;
	size_t off = 0, len, in_len;
	struct run r;
	__u64 now[SHUNT_C_MAX];
	int rec, c, ifindex, err;

	cur_hook = hook;
	reset_state();
	for (rec = 0; rec < FX_MAX_RECORDS && off + 3 <= size; rec++) {
		uint8_t ctl = data[off];
		const uint8_t *body;

		len = get16(data + off + 1);
		off += 3;
		if (len > size - off)
			len = size - off;
		body = data + off;
		off += len;
		cur_rec = rec;
		cur_ctl = ctl;

		if (ctl & FX_CTL_ICMP) {
			in_len = icmp_about(in_buf, body, len);
		} else if (ctl & FX_CTL_REFLECT) {
			in_len = reflect(in_buf, body, len);
		} else {
			in_len = len > FX_MAX_FRAME ? FX_MAX_FRAME : len;
			memcpy(in_buf, body, in_len);
		}
		if (ctl & FX_CTL_FIXLEN)
			fx_fix_lengths(in_buf, in_len);
		if (ctl & FX_CTL_FIXSUM)
			fx_fix_csums(in_buf, in_len);
		if (in_len < 14)
			continue;
		ifindex = ctl & FX_CTL_BE ? penv.if_be : penv.if_cli;

		memset(&r, 0, sizeof(r));
		r.in = in_buf;
		r.in_len = in_len;
		r.out = out_buf;
		err = penv_run(hook, ifindex, in_buf, in_len, out_buf,
			       sizeof(out_buf), &r.out_len, &r.verdict);
		if (err)
			continue; /* refused by the kernel (runts, ...) */
		if (read_counters(now)) {
			fprintf(stderr, "fuzz_xdp: reading counters failed\n");
			abort();
		}
		for (c = 0; c < SHUNT_C_MAX; c++)
			r.delta[c] = now[c] - counters_prev[c];
		memcpy(counters_prev, now, sizeof(now));
		if (stateful(r.delta))
			dirty = true;
		if (r.delta[SHUNT_C_FRAG_FIRST])
			dirty_frag = true;
		r.in_err = pg_parse(r.in, r.in_len, &r.pi);
		r.out_err = pg_parse(r.out, r.out_len, &r.po);
		if (verbose) {
			fprintf(stderr, "%s rec %d ctl 0x%02x len %zu: %s",
				penv_hook_name(hook), rec, ctl, in_len,
				verdict_name(hook, r.verdict));
			for (c = 0; c < SHUNT_C_MAX; c++)
				if (r.delta[c])
					fprintf(stderr, " %s",
						shunt_counter_name(
							(unsigned int)c));
			fprintf(stderr, "\n");
		}
		check(&r, ifindex);
		features(&r, &prev_sig);
		memcpy(prev_out, out_buf, r.out_len);
		prev_len = r.out_len;
	}
}

static void setup_services(void)
{
	size_t i;
	int b;

	for (i = 0; i < FX_N_SERVICES; i++) {
		const struct fx_service *f = &fx_services[i];
		struct svc_cfg *s = &svcs[i];
		struct shunt_frontend_key key =
			penv_svc_key(f->vip, f->port, f->proto);
		int err;

		s->vip = pg_addr(f->vip);
		s->port = f->port;
		s->proto = f->proto;
		s->n_be = f->n_be;
		s->droppable = true;
		err = penv_service_add(&key, 1021, f->affinity, NULL);
		for (b = 0; !err && b < f->n_be; b++) {
			s->be[b].addr = pg_addr(f->be[b].addr);
			s->be[b].port = f->be[b].port;
			s->be[b].draining = f->be[b].draining;
			if (!f->be[b].draining)
				s->droppable = false;
			/* translated_mtu(): one egress per service. */
			if (egress_mtu(&s->be[b].addr) !=
			    egress_mtu(&s->be[0].addr))
				err = -EINVAL;
			if (!err)
				err = penv_backend_add(&key, f->be[b].addr,
						       f->be[b].port, 1, NULL);
			if (!err && f->be[b].draining)
				err = penv_backend_state(&key, f->be[b].addr,
							 f->be[b].port,
							 SHUNT_BE_DRAINING);
		}
		if (err) {
			fprintf(stderr, "fuzz_xdp: service %s:%u: %s\n", f->vip,
				f->port, strerror(-err));
			exit(1);
		}
	}
}

/* Give dev the MTU mtu; what it has then. */
static int set_mtu(const char *dev, int mtu)
{
	struct ifreq ifr;
	int fd, got = -1;

	if (penv_sh("ip link set %s mtu %d", dev, mtu))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		got = ifr.ifr_mtu;
	close(fd);
	return got;
}

static void add_neigh(const char *addr, const char *mac, int ifindex)
{
	struct neigh *n = &neighs[n_neighs++];

	n->addr = pg_addr(addr);
	pg_mac(n->mac, mac);
	n->ifindex = ifindex;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (geteuid() != 0) {
		fprintf(stderr, "fuzz_xdp: needs root (netns, BPF)\n");
		exit(1);
	}
	verbose = getenv("FUZZ_XDP_VERBOSE") != NULL;
	/* Small tables: every input resets them. */
	shunt_set_capacity(&(struct shunt_capacity){.services = 64,
						    .frontends = 256,
						    .backends = 1024,
						    .ct = FX_CT_MAX});
	if (penv_setup(NULL)) {
		fprintf(stderr, "fuzz_xdp: cannot set up\n");
		exit(1);
	}
	if (penv_reset(NULL)) {
		fprintf(stderr, "fuzz_xdp: cannot set up the environment\n");
		exit(1);
	}
	mtu_cli = set_mtu(PENV_CLI_IF, FX_CLI_MTU);
	mtu_be = set_mtu(PENV_BE_IF, FX_BE_MTU);
	if (mtu_cli != FX_CLI_MTU || mtu_be != FX_BE_MTU) {
		fprintf(stderr, "fuzz_xdp: cannot set the MTUs (%d, %d)\n",
			mtu_cli, mtu_be);
		exit(1);
	}
	setup_services();
	add_neigh(PENV_CLIENT4, PENV_CLIENT_MAC, penv.if_cli);
	add_neigh(PENV_CLIENT6, PENV_CLIENT_MAC, penv.if_cli);
	add_neigh(PENV_BE1_4, PENV_BE1_MAC, penv.if_be);
	add_neigh(PENV_BE2_4, PENV_BE2_MAC, penv.if_be);
	add_neigh(PENV_BE1_6, PENV_BE1_MAC, penv.if_be);
	add_neigh(PENV_BE2_6, PENV_BE2_MAC, penv.if_be);
	stats_fd = penv.s.global_stats_map;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 1)
		ncpus = 1;
	stat_vals = calloc((size_t)SHUNT_C_MAX * ncpus, sizeof(*stat_vals));
	if (!stat_vals || read_counters(counters_prev)) {
		fprintf(stderr, "fuzz_xdp: cannot read the counters\n");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_hook(PENV_XDP, data, size);
	run_hook(PENV_TC, data, size);
	return 0;
}
