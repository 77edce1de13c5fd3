// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Automatic Maglev table sizes (user/lib/services/table.h): the smallest
 * size of the fixed list that gives every backend at least 100 slots per
 * unit of weight, and with it each backend's share of the slots within 1%
 * of its weight's share, for random backend sets and weights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "maglev.h"
#include "table.h"

static const __u32 sizes[] = {251,  509,   1021,  2039,	 4093,
			      8191, 16381, 32749, 65521, 131071};

static void test_sizes_from_the_list(void **state)
{
	__u32 w[64];
	size_t i, n;

	(void)state;
	assert_int_equal(table_auto_size(NULL, 0), 0);
	for (i = 0; i < 64; i++)
		w[i] = 1;
	/* 100 slots per backend: the smallest listed size above 100 N. */
	assert_int_equal(table_auto_size(w, 1), 251);
	assert_int_equal(table_auto_size(w, 2), 251);
	assert_int_equal(table_auto_size(w, 3), 509);
	assert_int_equal(table_auto_size(w, 10), 1021);
	assert_int_equal(table_auto_size(w, 11), 2039);
	assert_int_equal(table_auto_size(w, 64), 8191);
	/* Weights count in units of the smallest: 1,1,2 is 4 units. */
	w[2] = 2;
	assert_int_equal(table_auto_size(w, 3), 509);
	/* 1000,1000 is 2 units, like 1,1. */
	w[0] = w[1] = 1000;
	assert_int_equal(table_auto_size(w, 2), 251);
	/* Beyond the list: the largest. */
	w[0] = 1;
	w[1] = 65535;
	assert_int_equal(table_auto_size(w, 2), 131071);
	for (n = 1; n < 64; n++)
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			assert_true(maglev_is_prime(sizes[i]));
}

static __u32 rnd_state = 2463534242U;

static __u32 rnd(__u32 n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

/* One random set: sized automatically, every backend's slots within 1%
 * of its share (one slot of slack for the rounding of a share). */
static double check_balance(size_t n, __u32 maxw)
{
	struct maglev_backend *b = calloc(n, sizeof(*b));
	__u32 *w = calloc(n, sizeof(*w)), *table, *count, m, i;
	double total = 0, worst = 0, want, dev;
	size_t k;

	assert_non_null(b);
	assert_non_null(w);
	for (k = 0; k < n; k++) {
		w[k] = 1 + rnd(maxw);
		b[k].id = k + 1;
		b[k].weight = w[k];
		b[k].family = SHUNT_V4;
		b[k].addr.v4 = htonl(0x0a000000 + rnd(1 << 24));
		b[k].port = htons(8080 + k);
		total += w[k];
	}
	m = table_auto_size(w, n);
	table = calloc(m, sizeof(*table));
	count = calloc(n + 1, sizeof(*count));
	assert_non_null(table);
	assert_non_null(count);
	assert_int_equal(maglev_build(b, n, m, table), 0);
	for (i = 0; i < m; i++)
		count[table[i]]++;
	for (k = 0; k < n; k++) {
		want = m * w[k] / total;
		dev = (count[k + 1] > want ? count[k + 1] - want
					   : want - count[k + 1]);
		if (dev > want / 100 + 1)
			fail_msg(
				"%zu backends (max weight %u), M=%u: backend %zu weight %u has %u slots, want %.1f",
				n, maxw, m, k, w[k], count[k + 1], want);
		if (dev / want > worst)
			worst = dev / want;
	}
	free(b);
	free(w);
	free(table);
	free(count);
	return worst;
}

static void test_balance_within_one_percent(void **state)
{
	static const size_t ns[] = {1, 2, 3, 5, 10, 17, 50, 100, 300};
	static const __u32 maxw[] = {1, 2, 4, 10};
	double worst = 0, d;
	size_t i, j, r;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		for (j = 0; j < sizeof(maxw) / sizeof(maxw[0]); j++)
			for (r = 0; r < 5; r++) {
				d = check_balance(ns[i], maxw[j]);
				if (d > worst)
					worst = d;
			}
	print_message("worst deviation from a backend's share: %.2f%%\n",
		      worst * 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_from_the_list),
		cmocka_unit_test(test_balance_within_one_percent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
