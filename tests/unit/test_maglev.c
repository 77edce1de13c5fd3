// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the Maglev table builder: primality, balance, weights,
 * minimal disruption, order independence, errors, and a cross-check
 * against a plain round-by-round reference implementation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <shunt/hash.h>
#include "maglev.h"

#define M_DEFAULT SHUNT_MAGLEV_DEFAULT
#define SENTINEL  0xa5a5a5a5U

/* Small deterministic PRNG (xorshift32), so failures reproduce. */
static __u32 rng_next(__u32 *s)
{
	__u32 x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Backend i: 10.(i >> 16).(i >> 8).(i & 255):8080, id i + 1, weight 1. */
static struct maglev_backend be_v4(__u32 i)
{
	struct maglev_backend b;

	memset(&b, 0, sizeof(b));
	b.id = i + 1;
	b.weight = 1;
	b.addr.v4 = htonl(0x0a000000U | (i & 0xffffff));
	b.port = htons(8080);
	b.family = SHUNT_V4;
	return b;
}

/* Backend i: 2001:db8::<i>:443, id i + 1, weight 1. */
static struct maglev_backend be_v6(__u32 i)
{
	struct maglev_backend b;

	memset(&b, 0, sizeof(b));
	b.id = i + 1;
	b.weight = 1;
	b.addr.v6[0] = htonl(0x20010db8U);
	b.addr.v6[3] = htonl(i);
	b.port = htons(443);
	b.family = SHUNT_V6;
	return b;
}

static struct maglev_backend *be_array(size_t n)
{
	struct maglev_backend *b = calloc(n ? n : 1, sizeof(*b));
	size_t i;

	assert_non_null(b);
	for (i = 0; i < n; i++)
		b[i] = be_v4(i);
	return b;
}

static __u32 *table_new(__u32 m)
{
	__u32 *t = malloc(m * sizeof(*t));
	__u32 i;

	assert_non_null(t);
	for (i = 0; i < m; i++)
		t[i] = SENTINEL;
	return t;
}

static __u32 *build(const struct maglev_backend *b, size_t n, __u32 m)
{
	__u32 *t = table_new(m);

	assert_int_equal(maglev_build(b, n, m, t), 0);
	return t;
}

static __u32 count_id(const __u32 *t, __u32 m, __u32 id)
{
	__u32 i, c = 0;

	for (i = 0; i < m; i++)
		c += t[i] == id;
	return c;
}

static __u32 count_changed(const __u32 *a, const __u32 *b, __u32 m)
{
	__u32 i, c = 0;

	for (i = 0; i < m; i++)
		c += a[i] != b[i];
	return c;
}

static void assert_untouched(const __u32 *t, __u32 m)
{
	__u32 i;

	for (i = 0; i < m; i++)
		assert_int_equal(t[i], SENTINEL);
}

/*
 * Reference implementation, written straight from the description: sort
 * by identity (selection sort), then run whole rounds over all backends.
 */
struct ref_be {
	struct maglev_backend b;
	__u32 offset, skip, next;
};

static int ref_cmp(const struct maglev_backend *x,
		   const struct maglev_backend *y)
{
	__u8 kx[19], ky[19];

	kx[0] = x->family;
	ky[0] = y->family;
	memcpy(&kx[1], x->addr.bytes, 16);
	memcpy(&ky[1], y->addr.bytes, 16);
	memcpy(&kx[17], &x->port, 2);
	memcpy(&ky[17], &y->port, 2);
	return memcmp(kx, ky, sizeof(kx));
}

static void ref_sort(struct ref_be *v, size_t n)
{
	struct ref_be tmp;
	size_t i, j, min;

	for (i = 0; i < n; i++) {
		min = i;
		for (j = i + 1; j < n; j++)
			if (ref_cmp(&v[j].b, &v[min].b) < 0)
				min = j;
		tmp = v[i];
		v[i] = v[min];
		v[min] = tmp;
	}
}

static void ref_turn(struct ref_be *e, __u32 m, __u32 *t)
{
	__u32 c;

	do {
		c = (__u32)(((__u64)e->next * e->skip + e->offset) % m);
		e->next++;
	} while (t[c] != SHUNT_BACKEND_NONE);
	t[c] = e->b.id;
}

static void ref_build(const struct maglev_backend *in, size_t n, __u32 m,
		      __u32 *t)
{
	struct ref_be *v = calloc(n ? n : 1, sizeof(*v));
	__u32 filled = 0, wmax = 0, extra, w;
	__u64 r;
	size_t i;

	assert_non_null(v);
	for (i = 0; i < m; i++)
		t[i] = SHUNT_BACKEND_NONE;
	for (i = 0; i < n; i++) {
		v[i].b = in[i];
		extra = ((__u32)in[i].port << 16) | in[i].family;
		v[i].offset = shunt_hash_ip(&in[i].addr, extra,
					    SHUNT_MAGLEV_SEED_OFFSET) %
			      m;
		v[i].skip = shunt_hash_ip(&in[i].addr, extra,
					  SHUNT_MAGLEV_SEED_SKIP) %
				    (m - 1) +
			    1;
		if (in[i].weight > wmax)
			wmax = in[i].weight;
	}
	ref_sort(v, n);
	for (r = 0; n && filled < m; r++) {
		for (i = 0; i < n && filled < m; i++) {
			w = v[i].b.weight;
			if ((r + 1) * w / wmax == r * w / wmax)
				continue;
			ref_turn(&v[i], m, t);
			filled++;
		}
	}
	free(v);
}

static void assert_matches_ref(const struct maglev_backend *b, size_t n,
			       __u32 m)
{
	__u32 *t = build(b, n, m);
	__u32 *ref = table_new(m);

	ref_build(b, n, m, ref);
	assert_memory_equal(t, ref, m * sizeof(*t));
	free(ref);
	free(t);
}

static void test_is_prime(void **state)
{
	static const __u32 primes[] = {
		2,     3,     5,      7,	   13,		16381,
		65521, 65537, 131071, 1000000007U, 4294967279U, 4294967291U,
	};
	static const __u32 composites[] = {
		0, 1, 4, 9, 25, 49, 121, 16383, 65535, 131073, 999999999U,
	};
	static const __u32 hard[] = {
		4294967295U, /* 3 * 5 * 17 * 257 * 65537 */
		3215031751U, /* 151 * 751 * 28351: strong pseudoprime 2,3,5,7 */
		4294836225U, /* 65535^2 */
		4292870399U, /* 65519 * 65521 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		assert_true(maglev_is_prime(primes[i]));
	for (i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		assert_false(maglev_is_prime(composites[i]));
	for (i = 0; i < sizeof(hard) / sizeof(hard[0]); i++)
		assert_false(maglev_is_prime(hard[i]));
}

/* Against a sieve for the whole Maglev range. */
static void test_is_prime_sieve(void **state)
{
	__u32 n = SHUNT_MAGLEV_MAX + 100, i, j;
	__u8 *comp = calloc(n + 1, 1);

	(void)state;
	assert_non_null(comp);
	comp[0] = comp[1] = 1;
	for (i = 2; i * i <= n; i++)
		if (!comp[i])
			for (j = i * i; j <= n; j += i)
				comp[j] = 1;
	for (i = 0; i <= n; i++)
		assert_int_equal(maglev_is_prime(i), !comp[i]);
	free(comp);
}

static void test_balance(void **state)
{
	const __u32 m = M_DEFAULT, n = 100;
	struct maglev_backend *b = be_array(n);
	__u32 *t = build(b, n, m);
	double ideal = (double)m / n, tol = ideal / 100;
	__u32 i, c, lo = m, hi = 0;

	(void)state;
	assert_int_equal(count_id(t, m, SHUNT_BACKEND_NONE), 0);
	for (i = 0; i < n; i++) {
		c = count_id(t, m, b[i].id);
		lo = c < lo ? c : lo;
		hi = c > hi ? c : hi;
		assert_true(c >= ideal - tol && c <= ideal + tol);
	}
	print_message("balance: 100 backends, m=%u: slots per backend %u..%u"
		      " (ideal %.2f)\n",
		      m, lo, hi, ideal);
	free(t);
	free(b);
}

/* Slots that moved between a and b besides those of one backend. */
static double moved_besides(const __u32 *a, const __u32 *b, __u32 m, __u32 own)
{
	return ((double)count_changed(a, b, m) - own) / m;
}

static void test_disruption_remove(void **state)
{
	static const __u32 victims[] = {0, 37, 99};
	const __u32 m = M_DEFAULT, n = 100;
	struct maglev_backend *b = be_array(n), *r = be_array(n);
	__u32 *before = build(b, n, m), *after, own, i, k;
	double f;

	(void)state;
	for (k = 0; k < sizeof(victims) / sizeof(victims[0]); k++) {
		for (i = 0; i < n - 1; i++)
			r[i] = b[i < victims[k] ? i : i + 1];
		after = build(r, n - 1, m);
		own = count_id(before, m, b[victims[k]].id);
		assert_int_equal(count_id(after, m, b[victims[k]].id), 0);
		assert_int_equal(count_id(after, m, SHUNT_BACKEND_NONE), 0);
		f = moved_besides(before, after, m, own);
		print_message("disruption: remove 1 of 100 (#%u, %u slots):"
			      " %.3f%% of m moved besides its slots\n",
			      victims[k], own, f * 100);
		assert_true(f <= 0.02);
		free(after);
	}
	free(before);
	free(r);
	free(b);
}

static void test_disruption_add(void **state)
{
	const __u32 m = M_DEFAULT, n = 100;
	struct maglev_backend *b = be_array(n + 1);
	__u32 *before = build(b, n, m), *after = build(b, n + 1, m), own;
	double f;

	(void)state;
	own = count_id(after, m, b[n].id);
	assert_true(own > 0);
	f = moved_besides(before, after, m, own);
	print_message("disruption: add a 101st backend (%u slots):"
		      " %.3f%% of m moved besides its slots\n",
		      own, f * 100);
	assert_true(f <= 0.02);
	free(after);
	free(before);
	free(b);
}

/* Removing a backend among weighted ones is just as gentle. */
static void test_disruption_weighted(void **state)
{
	const __u32 m = M_DEFAULT, n = 100;
	struct maglev_backend *b = be_array(n);
	__u32 *before, *after, own, i;
	double f;

	(void)state;
	for (i = 0; i < n; i++)
		b[i].weight = 1 + i % 7;
	before = build(b, n, m);
	own = count_id(before, m, b[n - 1].id);
	after = build(b, n - 1, m);
	f = moved_besides(before, after, m, own);
	print_message("disruption: remove 1 of 100 weighted 1..7 (%u slots):"
		      " %.3f%% of m moved besides its slots\n",
		      own, f * 100);
	assert_true(f <= 0.02);
	free(after);
	free(before);
	free(b);
}

static void check_weights(const __u32 *w, size_t n, __u32 m)
{
	struct maglev_backend *b = be_array(n);
	__u32 *t, i, c, sum = 0;
	double share, tol;

	for (i = 0; i < n; i++) {
		b[i].weight = w[i];
		sum += w[i];
	}
	t = build(b, n, m);
	assert_int_equal(count_id(t, m, SHUNT_BACKEND_NONE), 0);
	for (i = 0; i < n; i++) {
		c = count_id(t, m, b[i].id);
		share = (double)m * w[i] / sum;
		/* 1% of the share, but never below the 1-slot granularity */
		tol = share / 100 > 1 ? share / 100 : 1;
		print_message("weights: backend %u weight %u: %u slots"
			      " (share %.1f)\n",
			      i, w[i], c, share);
		assert_true(c >= share - tol && c <= share + tol);
	}
	free(t);
	free(b);
}

static void test_weights(void **state)
{
	static const __u32 w12[] = {1, 2};
	static const __u32 w1234[] = {1, 2, 3, 4};
	static const __u32 w1_100[] = {1, 100};
	static const __u32 wext[] = {1, 65535, 3, 7};

	(void)state;
	check_weights(w12, 2, M_DEFAULT);
	check_weights(w1234, 4, M_DEFAULT);
	check_weights(w1_100, 2, M_DEFAULT);
	check_weights(wext, 4, SHUNT_MAGLEV_MAX);
}

/* Weights beyond the table size: the lightest may get no slot at all. */
static void test_weights_tiny_share(void **state)
{
	struct maglev_backend b[2] = {be_v4(0), be_v4(1)};
	__u32 t[SHUNT_MAGLEV_MIN];

	(void)state;
	b[0].weight = 1;
	b[1].weight = SHUNT_WEIGHT_MAX;
	assert_int_equal(maglev_build(b, 2, SHUNT_MAGLEV_MIN, t), 0);
	assert_int_equal(count_id(t, SHUNT_MAGLEV_MIN, SHUNT_BACKEND_NONE), 0);
	assert_int_equal(count_id(t, SHUNT_MAGLEV_MIN, b[1].id),
			 SHUNT_MAGLEV_MIN);
}

/* Change one weight among 10 backends; see how much else moves. */
static void check_weight_change(const char *what, const __u32 *w, size_t who,
				__u32 neww)
{
	const __u32 m = M_DEFAULT, n = 10;
	struct maglev_backend *b = be_array(n);
	__u32 *before, *after, c0, c1, delta, i;
	double f;

	for (i = 0; i < n; i++)
		b[i].weight = w[i];
	before = build(b, n, m);
	b[who].weight = neww;
	after = build(b, n, m);
	c0 = count_id(before, m, b[who].id);
	c1 = count_id(after, m, b[who].id);
	delta = c1 > c0 ? c1 - c0 : c0 - c1;
	f = moved_besides(before, after, m, delta);
	print_message("weight change: %s: backend slots %u -> %u,"
		      " %.3f%% of m moved besides the delta\n",
		      what, c0, c1, f * 100);
	assert_true(f <= 0.02);
	free(after);
	free(before);
	free(b);
}

static void test_weight_change(void **state)
{
	static const __u32 eq[10] = {100, 100, 100, 100, 100,
				     100, 100, 100, 100, 100};
	static const __u32 ramp[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

	(void)state;
	check_weight_change("100 -> 50 among 10x100", eq, 3, 50);
	check_weight_change("100 -> 200 (new max) among 10x100", eq, 3, 200);
	check_weight_change("100 -> 110 (new max) among 10x100", eq, 3, 110);
	check_weight_change("3 -> 6 among 1..10", ramp, 2, 6);
	check_weight_change("10 -> 5 (the max) among 1..10", ramp, 9, 5);
	check_weight_change("1 -> 10 among 1..10", ramp, 0, 10);
}

static void shuffle(struct maglev_backend *b, size_t n, __u32 *seed)
{
	struct maglev_backend tmp;
	size_t i, j;

	for (i = n - 1; i > 0; i--) {
		j = rng_next(seed) % (i + 1);
		tmp = b[i];
		b[i] = b[j];
		b[j] = tmp;
	}
}

static void test_order_independence(void **state)
{
	const __u32 m = M_DEFAULT, n = 200;
	struct maglev_backend *b = be_array(n);
	__u32 *ref, *t, seed = 12345, i, k;

	(void)state;
	for (i = 0; i < n; i++) {
		if (i % 3 == 0)
			b[i] = be_v6(i);
		b[i].weight = 1 + i % 5;
	}
	ref = build(b, n, m);
	for (k = 0; k < 5; k++) {
		shuffle(b, n, &seed);
		t = build(b, n, m);
		assert_memory_equal(t, ref, m * sizeof(*t));
		free(t);
	}
	free(ref);
	free(b);
}

/* Ids only label slots: renumbering changes labels, not ownership. */
static void test_ids_do_not_matter(void **state)
{
	const __u32 m = M_DEFAULT, n = 50;
	struct maglev_backend *b = be_array(n);
	__u32 *a, *t, i;

	(void)state;
	a = build(b, n, m);
	for (i = 0; i < n; i++)
		b[i].id = 1000 + (n - 1 - i); /* reversed relative to before */
	t = build(b, n, m);
	for (i = 0; i < m; i++)
		assert_int_equal(t[i], 1000 + (n - 1 - (a[i] - 1)));
	free(t);
	free(a);
	free(b);
}

static void test_ipv6(void **state)
{
	const __u32 m = M_DEFAULT, n = 64;
	struct maglev_backend *b = calloc(n + 1, sizeof(*b));
	double ideal = (double)m / n;
	__u32 *t, i, c;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < n; i++)
		b[i] = be_v6(i);
	t = build(b, n, m);
	assert_int_equal(count_id(t, m, SHUNT_BACKEND_NONE), 0);
	for (i = 0; i < n; i++) {
		c = count_id(t, m, b[i].id);
		assert_true(c >= ideal - 1 && c <= ideal + 1);
	}
	free(t);

	/* Same bytes as a v4 backend, other family: a distinct identity. */
	b[n] = be_v4(0);
	b[n].id = n + 1;
	b[n].addr.v4 = b[0].addr.v4;
	b[n].port = b[0].port;
	t = build(b, n + 1, m);
	assert_true(count_id(t, m, n + 1) > 0);
	free(t);
	assert_matches_ref(b, n + 1, m);
	free(b);
}

/* The port is part of the identity: same address, other port is fine. */
static void test_port_identity(void **state)
{
	struct maglev_backend b[2] = {be_v4(7), be_v4(7)};
	__u32 t[13];

	(void)state;
	b[1].id = 99;
	b[1].port = htons(8081);
	assert_int_equal(maglev_build(b, 2, 13, t), 0);
	assert_true(count_id(t, 13, b[0].id) >= 6);
	assert_true(count_id(t, 13, b[1].id) >= 6);
}

/* IPv4 identity is addr.v4 only: junk in the other 12 bytes is ignored. */
static void test_v4_ignores_upper_bytes(void **state)
{
	const __u32 m = 1021, n = 20;
	struct maglev_backend *b = be_array(n);
	__u32 *a, *t, i;

	(void)state;
	a = build(b, n, m);
	for (i = 0; i < n; i++)
		b[i].addr.v6[2] = htonl(0xdead0000U + i);
	t = build(b, n, m);
	assert_memory_equal(t, a, m * sizeof(*t));
	free(t);
	free(a);
	free(b);
}

static void test_empty(void **state)
{
	struct maglev_backend b = be_v4(0);
	__u32 *t = table_new(M_DEFAULT);

	(void)state;
	assert_int_equal(maglev_build(NULL, 0, M_DEFAULT, t), 0);
	assert_int_equal(count_id(t, M_DEFAULT, SHUNT_BACKEND_NONE), M_DEFAULT);
	free(t);
	t = table_new(SHUNT_MAGLEV_MIN);
	assert_int_equal(maglev_build(&b, 0, SHUNT_MAGLEV_MIN, t), 0);
	assert_int_equal(count_id(t, SHUNT_MAGLEV_MIN, SHUNT_BACKEND_NONE),
			 SHUNT_MAGLEV_MIN);
	free(t);
}

/* n == m with equal weights: every backend gets exactly one slot. */
static void test_full(void **state)
{
	const __u32 m = SHUNT_MAGLEV_MIN;
	struct maglev_backend *b = be_array(m);
	__u32 *t, i;

	(void)state;
	t = build(b, m, m);
	for (i = 0; i < m; i++)
		assert_int_equal(count_id(t, m, b[i].id), 1);
	free(t);
	free(b);
}

static void expect_einval(const struct maglev_backend *b, size_t n, __u32 m)
{
	__u32 alloc = m > SHUNT_MAGLEV_MIN ? m : SHUNT_MAGLEV_MIN;
	__u32 *t = table_new(alloc);

	assert_int_equal(maglev_build(b, n, m, t), -EINVAL);
	assert_untouched(t, alloc);
	free(t);
}

static __u32 prime_above_max(void)
{
	__u32 p = SHUNT_MAGLEV_MAX + 2, d;

	for (;; p += 2) {
		for (d = 3; d * d <= p && p % d; d += 2)
			;
		if (d * d > p)
			return p;
	}
}

static void test_errors(void **state)
{
	struct maglev_backend *b = be_array(8);
	__u32 big = prime_above_max(), *t;

	(void)state;
	/* m: not prime, or prime but out of range */
	expect_einval(b, 3, 16383);
	expect_einval(b, 3, 1000);
	expect_einval(b, 0, 16383);
	expect_einval(b, 3, 0);
	expect_einval(b, 3, 5);
	expect_einval(b, 0, 5);
	expect_einval(b, 3, big);

	/* weights */
	b[1].weight = 0;
	expect_einval(b, 3, 13);
	b[1].weight = SHUNT_WEIGHT_MAX + 1;
	expect_einval(b, 3, 13);
	b[1].weight = SHUNT_WEIGHT_MAX;
	t = build(b, 3, 13);
	free(t);
	b[1].weight = 1;

	/* id 0 */
	b[2].id = SHUNT_BACKEND_NONE;
	expect_einval(b, 3, 13);
	b[2].id = 3;

	/* family */
	b[0].family = 0;
	expect_einval(b, 3, 13);
	b[0].family = SHUNT_V4;

	/* duplicate identity, even with other ids and weights */
	b[4] = b[1];
	b[4].id = 42;
	b[4].weight = 7;
	expect_einval(b, 5, 13);
	b[4] = be_v4(4);

	/* n > m */
	expect_einval(b, 8, 7);
	t = build(b, 7, 7);
	free(t);

	/* NULL pointers */
	expect_einval(NULL, 3, 13);
	assert_int_equal(maglev_build(b, 3, 13, NULL), -EINVAL);
	free(b);
}

/* Fixed small cases against the reference implementation. */
static void test_reference_small(void **state)
{
	static const __u32 weights[][3] = {
		{1, 1, 1}, {1, 2, 3}, {3, 1, 2}, {1, 1, 100}};
	static const __u32 sizes[] = {7, 13};
	struct maglev_backend b[3] = {be_v4(1), be_v4(2), be_v6(3)};
	__u32 *t, i, k, s;

	(void)state;
	for (s = 0; s < 2; s++) {
		for (k = 0; k < 4; k++) {
			for (i = 0; i < 3; i++)
				b[i].weight = weights[k][i];
			assert_matches_ref(b, 3, sizes[s]);
		}
	}

	/* Equal weights, m = 7: each one 2 or 3 slots, nothing empty. */
	for (i = 0; i < 3; i++)
		b[i].weight = 1;
	t = build(b, 3, 7);
	for (i = 0; i < 3; i++) {
		k = count_id(t, 7, b[i].id);
		assert_true(k == 2 || k == 3);
	}
	free(t);
}

/* Many random cases against the reference implementation. */
static void test_reference_random(void **state)
{
	static const __u32 sizes[] = {7, 13, 251, 1021, 4093};
	static const __u32 wmax[] = {1, 3, 10, 100, 65535};
	struct maglev_backend *b = calloc(64, sizeof(*b));
	__u32 seed = 0x5eed, iter, i, n, m, wm;

	(void)state;
	assert_non_null(b);
	for (iter = 0; iter < 300; iter++) {
		m = sizes[rng_next(&seed) % 5];
		n = 1 + rng_next(&seed) % (m < 64 ? m : 64);
		wm = wmax[rng_next(&seed) % 5];
		for (i = 0; i < n; i++) {
			b[i] = rng_next(&seed) & 1 ? be_v4(i) : be_v6(i);
			b[i].port = htons(rng_next(&seed) & 0xffff);
			b[i].weight = 1 + rng_next(&seed) % wm;
		}
		assert_matches_ref(b, n, m);
	}
	free(b);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void timed_build(const char *what, const struct maglev_backend *b,
			size_t n)
{
	__u32 *t = table_new(SHUNT_MAGLEV_MAX);
	double t0, dt;

	t0 = now();
	assert_int_equal(maglev_build(b, n, SHUNT_MAGLEV_MAX, t), 0);
	dt = now() - t0;
	print_message("speed: %s, m=%u: %.1f ms\n", what, SHUNT_MAGLEV_MAX,
		      dt * 1e3);
	assert_true(dt < 0.5);
	assert_int_equal(count_id(t, SHUNT_MAGLEV_MAX, SHUNT_BACKEND_NONE), 0);
	free(t);
}

static void test_speed(void **state)
{
	const __u32 n = SHUNT_MAX_SVC_BACKENDS;
	struct maglev_backend *b = be_array(n);
	__u32 i;

	(void)state;
	timed_build("4096 backends, equal weights", b, n);
	assert_matches_ref(b, n, SHUNT_MAGLEV_MAX);
	b[0].weight = SHUNT_WEIGHT_MAX;
	timed_build("4096 backends, one at 65535, rest 1", b, n);
	for (i = 0; i < n; i++)
		b[i].weight = 1 + i * 16;
	timed_build("4096 backends, weights 1..65521", b, n);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_prime),
		cmocka_unit_test(test_is_prime_sieve),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_disruption_remove),
		cmocka_unit_test(test_disruption_add),
		cmocka_unit_test(test_disruption_weighted),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_weights_tiny_share),
		cmocka_unit_test(test_weight_change),
		cmocka_unit_test(test_order_independence),
		cmocka_unit_test(test_ids_do_not_matter),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_port_identity),
		cmocka_unit_test(test_v4_ignores_upper_bytes),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_reference_small),
		cmocka_unit_test(test_reference_random),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
