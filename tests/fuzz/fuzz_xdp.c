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
 *               same client;
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
 *    the packet's IP header and first 8 bytes.
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
 * are -1 when the frame that opened it was a later fragment. */
struct flow {
	int family;
	uint8_t proto;
	struct pg_addr client, vip, backend;
	int cport, vport, bport;
};

static struct flow flows[FX_MAX_RECORDS];
static int n_flows;

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
	fx_fix_csums(f, prev_len);
	return prev_len;
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

/* Forward: in.dst(:dport) is a VIP, out.dst(:dport) one of its active
 * backends; the 5-tuple keeps its backend within the input. */
static void check_forward(const struct run *r)
{
	const struct pg_info *pi = &r->pi, *po = &r->po;
	bool l4 = pi->has_l4, ok = false;
	size_t i;
	int b, f;

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
	for (f = 0; f < n_flows; f++) {
		struct flow *fl = &flows[f];

		if (fl->proto != pi->proto || !addr_eq(&fl->client, &pi->src) ||
		    !addr_eq(&fl->vip, &pi->dst) || fl->cport < 0 || !l4 ||
		    fl->cport != pi->sport || fl->vport != pi->dport)
			continue;
		if (!addr_eq(&fl->backend, &po->dst) || fl->bport != po->dport)
			violation(r,
				  "flow %s:%u -> %s:%u moved from backend "
				  "%s:%d to %s:%u within one input",
				  astr(&pi->src), pi->sport, astr(&pi->dst),
				  pi->dport, astr(&fl->backend), fl->bport,
				  astr(&po->dst), po->dport);
		return;
	}
	if (n_flows < FX_MAX_RECORDS) {
		struct flow *fl = &flows[n_flows++];

		fl->family = pi->family;
		fl->proto = pi->proto;
		fl->client = pi->src;
		fl->vip = pi->dst;
		fl->backend = po->dst;
		fl->cport = l4 ? pi->sport : -1;
		fl->vport = l4 ? pi->dport : -1;
		fl->bport = l4 ? po->dport : -1;
	}
}

static bool port_match(int want, bool l4, uint16_t got)
{
	return !l4 || want < 0 || want == got;
}

/* Reverse: in.src(:sport) is the backend of a flow this input opened
 * towards in.dst(:dport), out.src(:sport) that flow's VIP:port. */
static void check_reverse(const struct run *r)
{
	const struct pg_info *pi = &r->pi, *po = &r->po;
	bool l4 = pi->has_l4;
	int f;

	if (!addr_eq(&pi->dst, &po->dst) || (l4 && pi->dport != po->dport))
		violation(r, "source and destination both rewritten");
	for (f = 0; f < n_flows; f++) {
		const struct flow *fl = &flows[f];

		if (fl->proto == pi->proto && addr_eq(&fl->backend, &pi->src) &&
		    port_match(fl->bport, l4, pi->sport) &&
		    addr_eq(&fl->client, &pi->dst) &&
		    port_match(fl->cport, l4, pi->dport) &&
		    addr_eq(&fl->vip, &po->src) &&
		    port_match(fl->vport, l4, po->sport))
			return;
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
	bool sent_back = cur_hook == PENV_XDP
				 ? r->verdict == XDP_TX
				 : (int)r->verdict == TC_ACT_REDIRECT;
	char why[160];

	if (!sent_back)
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
	bool v6 = pi->family == 6,
	     sent_back = cur_hook == PENV_XDP
				 ? r->verdict == XDP_TX
				 : (int)r->verdict == TC_ACT_REDIRECT;
	size_t l3 = pi->lay.l3_off, iph = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	size_t soff = v6 ? 8 : 12;
	const uint8_t *out = r->out;

	if (!sent_back)
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

static void check(const struct run *r, int ingress)
{
	const struct pg_info *pi = &r->pi, *po = &r->po;
	__u32 pass = penv_pass(cur_hook), drop = penv_drop(cur_hook);
	bool redirected, unchanged, src_changed, dst_changed;
	static uint8_t mask[FX_MAX_FRAME + 256];
	size_t i, l3, l4, alen;
	char why[160];

	unchanged =
		r->out_len == r->in_len && !memcmp(r->in, r->out, r->in_len);
	if (r->delta[SHUNT_C_REJECT_TCP]) {
		check_reject(r);
		return;
	}
	if (r->delta[SHUNT_C_REJECT_UDP]) {
		check_reject_udp(r);
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

	redirected = cur_hook == PENV_XDP ? r->verdict == XDP_TX ||
						    r->verdict == XDP_REDIRECT
					  : (int)r->verdict == TC_ACT_REDIRECT;
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
	if (!redirected) {
		if (po->ttl != pi->ttl || memcmp(r->in, r->out, 12))
			violation(r, "passed up with TTL or MACs changed");
	} else {
		const struct neigh *n = neigh_of(&po->dst);
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
					  astr(&po->dst), n->ifindex, ingress);
		} else if (!(cur_hook == PENV_TC && macs_kept && !n)) {
			violation(r, "redirected with wrong MACs for %s",
				  astr(&po->dst));
		}
	}

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

		if (ctl & FX_CTL_REFLECT) {
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
