// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loadBalancerSourceRanges through shunt_xdp and shunt_tc: a frontend
 * flagged SHUNT_FE_F_SRC_RANGES forwards packets of sources inside its
 * service's CIDRs and drops (counted drop_src_range, no conntrack entry)
 * the others, IPv4 and IPv6; the service's other frontends are not
 * checked; another service's ranges do not count; narrowing the ranges
 * cuts an established flow, widening them again lets it go on. And the
 * control plane's side: src_range_map holds exactly the service's CIDRs
 * after every change, a change costs the CIDRs that differ, a refused
 * change leaves the map as it was, the flag goes with the last CIDR.
 */
#include "progtest.h"
#include "parse.h"

#define LB4	"203.0.113.10"
#define LB6	"2001:db8:10::10"
#define DENIED4 "192.0.2.7"
#define DENIED6 "2001:db8:dead::7"

struct lbsvc {
	int family;
	const char *vip, *lb, *client, *denied;
	struct shunt_frontend_key vip_key, lb_key;
	__u32 id;
};

/* Apply service name: frontends VIP:80 (not checked) and LB:80 (checked),
 * backend BE1:8080, the source ranges cidrs[0..n-1]. 0 or -errno. */
static int apply_ranges(const char *name, const struct lbsvc *v,
			const char *const *cidrs, size_t n)
{
	struct pg_addr a = pg_addr(v->family == 4 ? PENV_BE1_4 : PENV_BE1_6);
	struct shunt_src_range r[8];
	struct shunt_frontend_spec fe[2];
	struct shunt_backend_spec be;
	struct shunt_service_spec sp;
	char why[128];
	size_t i;

	assert_true(n <= 8);
	for (i = 0; i < n; i++)
		if (shunt_src_range_parse(cidrs[i], &r[i], why, sizeof(why)))
			fail_msg("test bug: %s", why);
	shunt_src_ranges_normalize(r, &n);
	memset(fe, 0, sizeof(fe));
	fe[0].key = v->vip_key;
	fe[1].key = v->lb_key;
	fe[1].flags = SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_SRC_RANGES;
	memset(&be, 0, sizeof(be));
	be.addr = penv_ip(&a);
	be.port = htons(BE1_PORT);
	be.family = v->vip_key.family;
	be.state = SHUNT_BE_ACTIVE;
	be.weight = 1;
	memset(&sp, 0, sizeof(sp));
	snprintf(sp.name, sizeof(sp.name), "%s", name);
	sp.table_size = TABLE;
	sp.frontends = fe;
	sp.n_frontends = 2;
	sp.backends = &be;
	sp.n_backends = 1;
	sp.src_ranges = r;
	sp.n_src_ranges = n;
	return shunt_service_apply(&penv.s, &sp, 0);
}

static void lbsvc_init(struct lbsvc *v, int family, const char *const *cidrs,
		       size_t n)
{
	struct shunt_service_info info;

	memset(v, 0, sizeof(*v));
	v->family = family;
	v->vip = family == 4 ? VIP4 : VIP6;
	v->lb = family == 4 ? LB4 : LB6;
	v->client = family == 4 ? PENV_CLIENT4 : PENV_CLIENT6;
	v->denied = family == 4 ? DENIED4 : DENIED6;
	v->vip_key = penv_svc_key(v->vip, SVC_PORT, IPPROTO_TCP);
	v->lb_key = penv_svc_key(v->lb, SVC_PORT, IPPROTO_TCP);
	assert_int_equal(apply_ranges("lb", v, cidrs, n), 0);
	assert_int_equal(shunt_service_get(&penv.s, &v->lb_key, &info), 0);
	v->id = info.id;
}

/* src:sport -> dst:80 through hook h: redirected to BE1 (the frame
 * checked whole), a new flow or one conntrack knows. */
static void expect_forwarded(enum penv_hook h, const struct lbsvc *v,
			     const char *src, const char *dst, __u16 sport,
			     __u8 tcp_flags, bool known)
{
	struct pg_spec spec, want;
	struct xmit x;

	pg_spec_init(&spec, src, sport, dst, SVC_PORT, IPPROTO_TCP);
	spec.tcp_flags = tcp_flags;
	spec.ttl = 64;
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_redirect(h));
	want = spec;
	want.dst = pg_addr(v->family == 4 ? PENV_BE1_4 : PENV_BE1_6);
	want.dport = BE1_PORT;
	want.ttl = 63;
	pg_mac(want.dmac, PENV_BE1_MAC);
	memcpy(want.smac, penv.mac_be, 6);
	assert_frame(&x, &want);
	assert_counters(&x, known ? SHUNT_C_CT_HIT : SHUNT_C_CT_MISS, 1,
			SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);
}

static void fwd_key(struct shunt_ct_key *k, const struct pg_spec *s)
{
	memset(k, 0, sizeof(*k));
	k->src = penv_ip(&s->src);
	k->dst = penv_ip(&s->dst);
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
	k->family = s->src.family == 4 ? SHUNT_V4 : SHUNT_V6;
	k->dir = SHUNT_CT_FWD;
}

/* The same, dropped for its source: counted, nothing else happens. */
static void expect_denied(enum penv_hook h, const char *src, const char *dst,
			  __u16 sport, __u8 tcp_flags)
{
	struct shunt_ct_key key;
	struct shunt_ct_entry e;
	struct pg_spec spec;
	struct xmit x;

	pg_spec_init(&spec, src, sport, dst, SVC_PORT, IPPROTO_TCP);
	spec.tcp_flags = tcp_flags;
	xmit(h, penv.if_cli, &spec, &x);
	assert_verdict(&x, penv_drop(h));
	assert_counters(&x, SHUNT_C_DROP_SRC_RANGE, 1);
	if (tcp_flags == PG_TCP_SYN) {
		fwd_key(&key, &spec);
		assert_int_not_equal(
			bpf_map_lookup_elem(penv.s.ct_map, &key, &e), 0);
	}
}

static void allow_deny(void **state, int family)
{
	static const char *const v4[] = {"10.0.0.0/24", "198.51.100.0/24"};
	static const char *const v6[] = {"fd00:a::/64", "2001:db8:77::/48"};
	enum penv_hook h = hook_of(state);
	struct lbsvc v;

	lbsvc_init(&v, family, family == 4 ? v4 : v6, 2);
	/* Inside: balanced as ever, first packet and the next. */
	expect_forwarded(h, &v, v.client, v.lb, 40000, PG_TCP_SYN, false);
	expect_forwarded(h, &v, v.client, v.lb, 40000, PG_TCP_ACK, true);
	/* Outside: dropped, new flow or not. */
	expect_denied(h, v.denied, v.lb, 40001, PG_TCP_SYN);
	expect_denied(h, v.denied, v.lb, 40001, PG_TCP_ACK);
	/* The service's unflagged frontend serves everyone. */
	expect_forwarded(h, &v, v.denied, v.vip, 40002, PG_TCP_SYN, false);
}

static void test_allow_deny_v4(void **state)
{
	allow_deny(state, 4);
}

static void test_allow_deny_v6(void **state)
{
	allow_deny(state, 6);
}

/* Ranges are per service: another service's CIDR lets nobody in, and a
 * CIDR of the other family matches nothing. */
static void test_per_service(void **state)
{
	static const char *const mine[] = {"198.51.100.0/24", "fd00:a::/64"};
	static const char *const other[] = {"10.0.0.0/8"};
	enum penv_hook h = hook_of(state);
	struct lbsvc v, w;

	lbsvc_init(&v, 4, mine, 2);
	memset(&w, 0, sizeof(w));
	w.family = 4;
	w.vip_key = penv_svc_key("10.96.0.11", SVC_PORT, IPPROTO_TCP);
	w.lb_key = penv_svc_key("203.0.113.11", SVC_PORT, IPPROTO_TCP);
	assert_int_equal(apply_ranges("other", &w, other, 1), 0);
	expect_denied(h, PENV_CLIENT4, LB4, 40010, PG_TCP_SYN);
	expect_forwarded(h, &v, "198.51.100.200", LB4, 40011, PG_TCP_SYN,
			 false);
}

/* Every client packet is checked: narrowing the ranges cuts an open
 * flow at once, widening them lets it go on (its entry kept). */
static void test_established(void **state)
{
	static const char *const wide[] = {"0.0.0.0/0"};
	static const char *const narrow[] = {"198.51.100.0/24"};
	enum penv_hook h = hook_of(state);
	struct lbsvc v;

	lbsvc_init(&v, 4, wide, 1);
	expect_forwarded(h, &v, v.client, v.lb, 40020, PG_TCP_SYN, false);
	assert_int_equal(apply_ranges("lb", &v, narrow, 1), 0);
	expect_denied(h, v.client, v.lb, 40020, PG_TCP_ACK);
	assert_int_equal(apply_ranges("lb", &v, wide, 1), 0);
	expect_forwarded(h, &v, v.client, v.lb, 40020, PG_TCP_ACK, true);
}

/* src_range_map as "CIDR CIDR ..." of service svc_id (sorted by the map
 * walk, then compared as sets by sorting here), and the total count. */
static size_t trie_of(__u32 svc_id, char *out, size_t len)
{
	struct shunt_src_range_key k, next;
	struct shunt_src_range r[16];
	char buf[SHUNT_ADDRSTRLEN + 8];
	size_t n = 0, total = 0, i;
	__u32 val;

	out[0] = '\0';
	while (!bpf_map_get_next_key(penv.s.src_range_map, total ? &k : NULL,
				     &next)) {
		k = next;
		total++;
		assert_int_equal(
			bpf_map_lookup_elem(penv.s.src_range_map, &k, &val), 0);
		assert_int_equal(val, 1);
		if (k.svc_id != svc_id)
			continue;
		assert_true(n < 16);
		assert_true(shunt_src_range_of_key(&k, &r[n]));
		n++;
	}
	shunt_src_ranges_normalize(r, &n);
	for (i = 0; i < n; i++) {
		shunt_src_range_format(&r[i], buf, sizeof(buf));
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
			 i ? " " : "", buf);
	}
	return total;
}

static __u32 fe_flags(const struct shunt_frontend_key *k)
{
	struct shunt_frontend fe;

	assert_int_equal(bpf_map_lookup_elem(penv.s.frontend_map, k, &fe), 0);
	return fe.flags;
}

/* Changes of service "lb" that apply refuses. */
static void refused_changes(void)
{
	struct shunt_service_spec sp;
	struct shunt_src_range *keep, *many;
	size_t i, n;

	assert_int_equal(shunt_service_spec_get(&penv.s, "lb", &sp), 0);
	assert_true(sp.n_src_ranges > 0);
	sp.src_ranges[0].addr.bytes[3] = 1; /* 10.0.0.1/32 -> 10.0.0.1/8 */
	sp.src_ranges[0].prefixlen = 8;
	assert_int_equal(shunt_service_apply(&penv.s, &sp, 0), -EINVAL);
	n = SHUNT_MAX_SVC_SRC_RANGES + 1;
	many = calloc(n, sizeof(*many));
	assert_non_null(many);
	for (i = 0; i < n; i++) {
		many[i].family = SHUNT_V4;
		many[i].prefixlen = 32;
		many[i].addr.bytes[0] = 100;
		many[i].addr.bytes[2] = (__u8)(i >> 8);
		many[i].addr.bytes[3] = (__u8)i;
	}
	keep = sp.src_ranges;
	sp.src_ranges = many;
	sp.n_src_ranges = n;
	assert_int_equal(shunt_service_apply(&penv.s, &sp, 0), -ENOSPC);
	sp.src_ranges = keep;
	free(many);
	shunt_spec_free(&sp);
}

/* The control plane: the trie follows the spec, a refused spec changes
 * nothing, no ranges drop the flag (every client served). */
static void test_trie_follows(void **state)
{
	static const char *const a[] = {"10.0.0.0/24", "198.51.100.0/24"};
	static const char *const b[] = {"198.51.100.0/24", "100.64.0.0/10",
					"10.0.0.9/32"};
	static const char *const mixed[] = {"192.0.2.0/24", "fd00::/8"};
	struct shunt_src_range *got;
	enum penv_hook h = hook_of(state);
	char text[512];
	struct lbsvc v;
	size_t n;

	lbsvc_init(&v, 4, a, 2);
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 2);
	assert_string_equal(text, "10.0.0.0/24 198.51.100.0/24");
	assert_true(fe_flags(&v.lb_key) & SHUNT_FE_F_SRC_RANGES);
	assert_false(fe_flags(&v.vip_key) & SHUNT_FE_F_SRC_RANGES);

	assert_int_equal(apply_ranges("lb", &v, b, 3), 0);
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 3);
	assert_string_equal(text, "10.0.0.9/32 100.64.0.0/10 198.51.100.0/24");
	expect_denied(h, PENV_CLIENT4, LB4, 40030, PG_TCP_SYN);

	/* The model, read again from the maps, has the same. */
	shunt_model_drop(&penv.s);
	assert_int_equal(shunt_service_src_ranges(&penv.s, v.id, &got, &n), 0);
	assert_int_equal(n, 3);
	free(got);

	/* Refused: a CIDR with host bits, too many; nothing changes. */
	refused_changes();
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 3);
	assert_string_equal(text, "10.0.0.9/32 100.64.0.0/10 198.51.100.0/24");
	/* A CIDR of the other family is kept (it matches nothing). */
	assert_int_equal(apply_ranges("lb", &v, mixed, 2), 0);
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 2);
	assert_string_equal(text, "192.0.2.0/24 fd00::/8");
	assert_int_equal(apply_ranges("lb", &v, b, 3), 0);

	/* No ranges: the trie is empty, the flag gone, everyone served. */
	assert_int_equal(apply_ranges("lb", &v, NULL, 0), 0);
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 0);
	assert_false(fe_flags(&v.lb_key) & SHUNT_FE_F_SRC_RANGES);
	expect_forwarded(h, &v, DENIED4, LB4, 40031, PG_TCP_SYN, false);

	/* Deleting the service takes its ranges. */
	assert_int_equal(apply_ranges("lb", &v, a, 2), 0);
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 2);
	assert_int_equal(shunt_service_del_by_name(&penv.s, "lb"), 0);
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 0);
}

/* A range with nothing of its service left (a writer killed half-way)
 * is removed when the model is next built under the lock. */
static void test_orphan_repaired(void **state)
{
	static const char *const a[] = {"10.0.0.0/24"};
	struct shunt_src_range_key k;
	struct shunt_src_range r;
	char why[64], text[256];
	struct lbsvc v;
	__u32 one = 1;

	(void)state;
	lbsvc_init(&v, 4, a, 1);
	assert_int_equal(
		shunt_src_range_parse("192.0.2.0/24", &r, why, sizeof(why)), 0);
	shunt_src_range_key(v.id + 1000, &r, &k);
	assert_int_equal(
		bpf_map_update_elem(penv.s.src_range_map, &k, &one, BPF_ANY),
		0);
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 2);
	shunt_model_drop(&penv.s);
	assert_int_equal(shunt_lock(&penv.s), 0);
	assert_int_equal(shunt_service_get(&penv.s, &v.lb_key,
					   &(struct shunt_service_info){}),
			 0);
	shunt_unlock(&penv.s);
	assert_int_equal(trie_of(v.id, text, sizeof(text)), 1);
	assert_string_equal(text, "10.0.0.0/24");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_allow_deny_v4), PROG_TEST(test_allow_deny_v6),
		PROG_TEST(test_per_service),   PROG_TEST(test_established),
		PROG_TEST(test_trie_follows),  PROG_TEST(test_orphan_repaired),
	};

	return cmocka_run_group_tests_name("prog_srcrange", tests, penv_setup,
					   penv_teardown);
}
