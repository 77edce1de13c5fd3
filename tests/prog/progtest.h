/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared cmocka glue of the program tests: one frame through one hook
 * with counter snapshots around it, and assertions on the result. Every
 * test runs once per hook (XDP and tc), see PROG_TEST.
 */
#ifndef SHUNT_TEST_PROGTEST_H
#define SHUNT_TEST_PROGTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"
#include "progenv.h"
#include "ct.h"
#include "service.h"

/* Two cmocka tests for f: one per hook, named "f/xdp" and "f/tc". */
#define PROG_TEST(f)                                                           \
	{#f "/xdp", f, penv_reset, NULL, (void *)&penv_hooks[PENV_XDP]},       \
	{                                                                      \
#f "/tc", f, penv_reset, NULL, (void *)&penv_hooks[PENV_TC]    \
	}

static inline enum penv_hook hook_of(void **state)
{
	return *(const enum penv_hook *)*state;
}

/* One frame through one hook. */
struct xmit {
	enum penv_hook hook;
	int ifindex;
	uint8_t in[PG_MAX_FRAME];
	size_t in_len;
	struct pg_layout lay; /* of in, when built from a spec */
	uint8_t out[PG_MAX_FRAME];
	size_t out_len;
	__u32 verdict;
	struct pg_info info; /* of out */
	int parsed;	     /* pg_parse(out) */
	__u64 before[SHUNT_C_MAX];
	__u64 after[SHUNT_C_MAX];
};

/* Run x->in (x->in_len bytes) through the hook on ifindex. */
static inline void xmit_raw(enum penv_hook hook, int ifindex, struct xmit *x)
{
	int err;

	x->hook = hook;
	x->ifindex = ifindex;
	penv_counters(x->before);
	err = penv_run(hook, ifindex, x->in, x->in_len, x->out, sizeof(x->out),
		       &x->out_len, &x->verdict);
	if (err)
		fail_msg("BPF_PROG_TEST_RUN (%s): %s", penv_hook_name(hook),
			 strerror(-err));
	penv_counters(x->after);
	x->parsed = pg_parse(x->out, x->out_len, &x->info);
}

/* Build the frame of spec s and run it. */
static inline void xmit(enum penv_hook hook, int ifindex,
			const struct pg_spec *s, struct xmit *x)
{
	x->in_len = pg_build(s, x->in, sizeof(x->in), &x->lay);
	assert_true(x->in_len > 0);
	xmit_raw(hook, ifindex, x);
}

#define assert_verdict(x, want)                                                \
	do {                                                                   \
		if ((x)->verdict != (want))                                    \
			fail_msg("%s verdict %u, want %u",                     \
				 penv_hook_name((x)->hook), (x)->verdict,      \
				 (unsigned int)(want));                        \
	} while (0)

/* Counter deltas of one xmit: pairs (SHUNT_C_*, delta); all others 0. */
#define assert_counters(x, ...)                                                \
	assert_int_equal(                                                      \
		penv_check_counters((x)->before, (x)->after, __VA_ARGS__, -1), \
		0)
#define assert_no_counters(x)                                                  \
	assert_int_equal(penv_check_counters((x)->before, (x)->after, -1), 0)

static inline void assert_bytes(const char *what, const uint8_t *got,
				size_t got_len, const uint8_t *want,
				size_t want_len)
{
	if (pg_first_diff(got, got_len, want, want_len) >= 0) {
		pg_dump_diff(what, got, got_len, want, want_len);
		fail_msg("%s: frames differ", what);
	}
}

/* The frame came out exactly as it went in. */
#define assert_unchanged(x)                                                    \
	assert_bytes("unchanged", (x)->out, (x)->out_len, (x)->in, (x)->in_len)

/* IPv4 header and L4 checksums of the output, recomputed from scratch. */
#define assert_csums_ok(x)                                                     \
	do {                                                                   \
		char why_[128];                                                \
		if (pg_verify_csums((x)->out, (x)->out_len, why_,              \
				    sizeof(why_)))                             \
			fail_msg("checksums: %s", why_);                       \
	} while (0)

/* The output equals the frame spec s builds (with from-scratch
 * checksums). */
static inline void assert_frame(const struct xmit *x, const struct pg_spec *s)
{
	uint8_t want[PG_MAX_FRAME];
	size_t len = pg_build(s, want, sizeof(want), NULL);

	assert_true(len > 0);
	assert_bytes("frame", x->out, x->out_len, want, len);
}

static inline void assert_addr(const struct pg_addr *got, const char *want)
{
	struct pg_addr w = pg_addr(want);
	char buf[64];

	if (got->family != w.family || memcmp(got->b, w.b, 16))
		fail_msg("address %s, want %s",
			 pg_addr_str(got, buf, sizeof(buf)), want);
}

static inline void assert_mac(const uint8_t got[6], const uint8_t want[6])
{
	if (memcmp(got, want, 6))
		fail_msg("MAC %02x:%02x:%02x:%02x:%02x:%02x, want "
			 "%02x:%02x:%02x:%02x:%02x:%02x",
			 got[0], got[1], got[2], got[3], got[4], got[5],
			 want[0], want[1], want[2], want[3], want[4], want[5]);
}

static inline void assert_mac_str(const uint8_t got[6], const char *want)
{
	uint8_t w[6];

	pg_mac(w, want);
	assert_mac(got, w);
}

/* The backend a frame was sent to, by its destination address/port. */
static inline const char *addr_text(const struct pg_addr *a)
{
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	return pg_addr_str(a, buf[i], sizeof(buf[i]));
}

/* The address text of a backend id. */
static inline const char *backend_text(__u32 id, __u16 *port)
{
	struct shunt_backend be;
	struct pg_addr a;

	if (penv_backend_get(id, &be))
		fail_msg("backend id %u not in backend_map", id);
	memset(&a, 0, sizeof(a));
	a.family = be.family == SHUNT_V4 ? 4 : 6;
	memcpy(a.b, be.addr.bytes, a.family == 4 ? 4 : 16);
	if (port)
		*port = ntohs(be.port);
	return addr_text(&a);
}

/* --- the standard service ------------------------------------------ */

#define VIP4	 "10.96.0.10"
#define VIP6	 "fd00:ff::10"
#define SVC_PORT 80
#define BE1_PORT 8080
#define BE2_PORT 8081
#define TABLE	 1021

struct svc {
	struct shunt_frontend_key key;
	__u32 id;
	__u32 be[2]; /* backend ids: be[0] = BE1, be[1] = BE2 */
	const char *vip;
	const char *client;
	const char *be_addr[2];
};

/* A service VIP:80/proto with BE1:8080 and BE2:8081 of the family. */
static inline void svc_two(struct svc *v, int family, __u8 proto, __u32 w1,
			   __u32 w2)
{
	memset(v, 0, sizeof(*v));
	v->vip = family == 4 ? VIP4 : VIP6;
	v->client = family == 4 ? PENV_CLIENT4 : PENV_CLIENT6;
	v->be_addr[0] = family == 4 ? PENV_BE1_4 : PENV_BE1_6;
	v->be_addr[1] = family == 4 ? PENV_BE2_4 : PENV_BE2_6;
	v->key = penv_svc_key(v->vip, SVC_PORT, proto);
	assert_int_equal(penv_service_add(&v->key, TABLE, 0, &v->id), 0);
	assert_int_equal(penv_backend_add(&v->key, v->be_addr[0], BE1_PORT, w1,
					  &v->be[0]),
			 0);
	assert_int_equal(penv_backend_add(&v->key, v->be_addr[1], BE2_PORT, w2,
					  &v->be[1]),
			 0);
}

/*
 * Apply service name: one frontend (key, fe_flags), one backend
 * be_addr:BE1_PORT of the key's family with be_flags; its service and
 * backend ids.
 */
static inline void svc_apply_one(const char *name,
				 const struct shunt_frontend_key *key,
				 __u32 fe_flags, const char *be_addr,
				 __u32 be_flags, __u32 *svc_id, __u32 *be_id)
{
	struct pg_addr a = pg_addr(be_addr);
	struct shunt_frontend_spec fe;
	struct shunt_backend_spec be;
	struct shunt_service_spec sp;
	struct shunt_service_info info;
	struct shunt_backend_info *bl;
	size_t n;

	memset(&fe, 0, sizeof(fe));
	fe.key = *key;
	fe.flags = fe_flags;
	memset(&be, 0, sizeof(be));
	be.addr = penv_ip(&a);
	be.port = htons(BE1_PORT);
	be.family = key->family;
	be.state = SHUNT_BE_ACTIVE;
	be.weight = 1;
	be.flags = be_flags;
	memset(&sp, 0, sizeof(sp));
	snprintf(sp.name, sizeof(sp.name), "%s", name);
	sp.table_size = TABLE;
	sp.frontends = &fe;
	sp.n_frontends = 1;
	sp.backends = &be;
	sp.n_backends = 1;
	assert_int_equal(shunt_service_apply(&penv.s, &sp, 0), 0);
	assert_int_equal(shunt_service_get(&penv.s, key, &info), 0);
	*svc_id = info.id;
	assert_int_equal(shunt_backend_list(&penv.s, *svc_id, &bl, &n), 0);
	assert_int_equal(n, 1);
	*be_id = bl[0].id;
	free(bl);
}

/* Which of the two backends an id is. */
static inline int be_index(const struct svc *v, __u32 id)
{
	if (id == v->be[0])
		return 0;
	if (id == v->be[1])
		return 1;
	fail_msg("backend id %u belongs to neither backend", id);
	return -1;
}

static inline const char *be_mac(int idx)
{
	return idx == 0 ? PENV_BE1_MAC : PENV_BE2_MAC;
}

/* What a forwarded frame must look like: the input's spec with the
 * destination translated, TTL - 1 and the MACs of the egress hop. */
static inline void forwarded_spec(const struct pg_spec *in, struct pg_spec *out,
				  const struct svc *v, int idx)
{
	*out = *in;
	out->dst = pg_addr(v->be_addr[idx]);
	out->dport = idx == 0 ? BE1_PORT : BE2_PORT;
	out->ttl = (uint8_t)((in->ttl ? in->ttl : 64) - 1);
	pg_mac(out->dmac, be_mac(idx));
	memcpy(out->smac, penv.mac_be, 6);
}

/* The backend index Maglev predicts for a new flow of spec. */
static inline int predict_idx(const struct svc *v, const struct pg_spec *s)
{
	return be_index(v, penv_predict_flow(v->id, &s->src, s->sport, &s->dst,
					     s->dport, s->proto));
}

/* The first packet of a new flow client:sport -> VIP:80 (a SYN for TCP):
 * sent, checked to be forwarded to the predicted backend. spec gets the
 * packet; returns the backend index. */
static inline int open_flow(enum penv_hook h, const struct svc *v, __u8 proto,
			    __u16 sport, struct pg_spec *spec)
{
	struct pg_spec want;
	struct xmit x;
	int idx;

	pg_spec_init(spec, v->client, sport, v->vip, SVC_PORT, proto);
	idx = predict_idx(v, spec);
	xmit(h, penv.if_cli, spec, &x);
	assert_verdict(&x, penv_redirect(h));
	forwarded_spec(spec, &want, v, idx);
	assert_frame(&x, &want);
	return idx;
}

/* The backend's reply to the flow of fwd (forwarded to backend idx), as
 * it arrives on be0: a SYN-ACK for TCP. */
static inline void reply_spec(const struct pg_spec *fwd, struct pg_spec *out,
			      const struct svc *v, int idx)
{
	pg_spec_init(out, v->be_addr[idx], idx == 0 ? BE1_PORT : BE2_PORT,
		     addr_text(&fwd->src), fwd->sport, fwd->proto);
	pg_mac(out->smac, be_mac(idx));
	memcpy(out->dmac, penv.mac_be, 6);
	out->ttl = 64;
	out->seq = 5000;
	out->ack = fwd->seq + 1;
	if (fwd->proto == IPPROTO_TCP)
		out->tcp_flags = PG_TCP_SYN | PG_TCP_ACK;
}

/* What a translated reply must look like towards the client. */
static inline void reversed_spec(const struct pg_spec *in, struct pg_spec *out,
				 const struct svc *v)
{
	*out = *in;
	out->src = pg_addr(v->vip);
	out->sport = SVC_PORT;
	out->ttl = (uint8_t)((in->ttl ? in->ttl : 64) - 1);
	pg_mac(out->dmac, PENV_CLIENT_MAC);
	memcpy(out->smac, penv.mac_cli, 6);
}

#endif /* SHUNT_TEST_PROGTEST_H */
