// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shunt_backend_sync(): a service's whole backend set applied at once.
 * Backends that stay keep their ids and their open flows; the live
 * Maglev table matches the desired set; bad input changes nothing.
 */
#include "progtest.h"
#include "reconcile.h"

static struct shunt_backend_spec spec(const char *addr, __u16 port,
				      __u32 weight, __u8 state)
{
	struct shunt_backend_spec b = {};
	struct pg_addr a = pg_addr(addr);

	b.addr = penv_ip(&a);
	b.port = htons(port);
	b.family = a.family;
	b.weight = weight;
	b.state = state;
	return b;
}

/* The service's backends, and how many slots each owns in the table. */
static size_t listing(__u32 svc_id, struct shunt_backend_info **b,
		      __u32 slots[8])
{
	__u32 *table, m, i;
	size_t n, j;

	assert_int_equal(shunt_backend_list(&penv.s, svc_id, b, &n), 0);
	memset(slots, 0, 8 * sizeof(__u32));
	if (shunt_table_read(&penv.s, svc_id, &table, &m))
		return n;
	for (i = 0; i < m; i++)
		for (j = 0; j < n && j < 8; j++)
			if (table[i] == (*b)[j].id)
				slots[j]++;
	free(table);
	return n;
}

static void test_sync_replaces_set(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_backend_spec want[2];
	struct shunt_backend_info *b;
	struct pg_spec flow, fwd;
	struct svc v;
	__u32 slots[8], kept_id;
	struct xmit x;
	int idx;
	size_t n;

	svc_two(&v, 4, IPPROTO_TCP, 1, 1);
	/* An open flow on a backend that stays. */
	idx = open_flow(h, &v, IPPROTO_TCP, 40000, &flow);
	kept_id = v.be[idx];

	/* Keep that one (weight 3), drop the other, add a third. */
	want[0] = spec(v.be_addr[idx], idx ? BE2_PORT : BE1_PORT, 3,
		       SHUNT_BE_ACTIVE);
	want[1] = spec("10.0.1.4", 9090, 1, SHUNT_BE_ACTIVE);
	assert_int_equal(shunt_backend_sync(&penv.s, &v.key, want, 2), 0);

	n = listing(v.id, &b, slots);
	assert_int_equal(n, 2);
	/* Sorted by address: the kept one (10.0.1.2/.3) before 10.0.1.4. */
	assert_int_equal(b[0].id, kept_id);
	assert_int_equal(b[0].be.weight, 3);
	assert_int_equal(ntohs(b[1].be.port), 9090);
	assert_int_equal(slots[0] + slots[1], TABLE);
	assert_true(slots[0] > 2 * slots[1]);
	free(b);

	/* The open flow keeps its backend. */
	flow.tcp_flags = PG_TCP_ACK;
	xmit(h, penv.if_cli, &flow, &x);
	assert_verdict(&x, penv_redirect(h));
	forwarded_spec(&flow, &fwd, &v, idx);
	assert_frame(&x, &fwd);
}

static void test_sync_drain_and_empty(void **state)
{
	struct shunt_backend_spec want[2];
	struct shunt_backend_info *b;
	__u32 slots[8];
	struct svc v;
	size_t n;

	(void)state;
	svc_two(&v, 6, IPPROTO_UDP, 1, 1);
	want[0] = spec(PENV_BE1_6, BE1_PORT, 1, SHUNT_BE_DRAINING);
	want[1] = spec(PENV_BE2_6, BE2_PORT, 1, SHUNT_BE_ACTIVE);
	assert_int_equal(shunt_backend_sync(&penv.s, &v.key, want, 2), 0);
	n = listing(v.id, &b, slots);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].be.state, SHUNT_BE_DRAINING);
	assert_int_equal(slots[0], 0);
	assert_int_equal(slots[1], TABLE);
	free(b);

	assert_int_equal(shunt_backend_sync(&penv.s, &v.key, NULL, 0), 0);
	n = listing(v.id, &b, slots);
	assert_int_equal(n, 0);
	free(b);
}

/* Duplicates, a wrong family, bad weights: refused, nothing changed. */
static void test_sync_rejects(void **state)
{
	struct shunt_backend_spec want[2];
	struct shunt_backend_info *before, *after;
	__u32 s1[8], s2[8];
	struct svc v;
	size_t n1, n2;

	(void)state;
	svc_two(&v, 4, IPPROTO_TCP, 1, 2);
	n1 = listing(v.id, &before, s1);

	want[0] = spec("10.0.1.7", 80, 1, SHUNT_BE_ACTIVE);
	want[1] = want[0];
	assert_int_equal(shunt_backend_sync(&penv.s, &v.key, want, 2), -EEXIST);
	want[1] = spec("fd00:b::7", 80, 1, SHUNT_BE_ACTIVE);
	assert_int_equal(shunt_backend_sync(&penv.s, &v.key, want, 2),
			 -EAFNOSUPPORT);
	want[1] = spec("10.0.1.8", 80, 0, SHUNT_BE_ACTIVE);
	assert_int_equal(shunt_backend_sync(&penv.s, &v.key, want, 2), -EINVAL);

	n2 = listing(v.id, &after, s2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1 * sizeof(*before));
	assert_memory_equal(s1, s2, sizeof(s1));
	free(before);
	free(after);
}

/* One desired service VIP:80/tcp with BE1:8080 (weight 1) and BE2:8081
 * (weight 2). */
static void desire(struct shunt_desired *d, const char *vip)
{
	struct shunt_service_spec ds = {};
	struct shunt_frontend_spec fe = {};
	struct shunt_backend_spec be[2];

	fe.key = penv_svc_key(vip, SVC_PORT, IPPROTO_TCP);
	snprintf(ds.name, sizeof(ds.name), "%s", vip);
	ds.frontends = &fe;
	ds.n_frontends = 1;
	ds.table_size = TABLE;
	be[0] = spec(PENV_BE1_4, BE1_PORT, 1, SHUNT_BE_ACTIVE);
	be[1] = spec(PENV_BE2_4, BE2_PORT, 2, SHUNT_BE_ACTIVE);
	ds.backends = be;
	ds.n_backends = 2;
	assert_int_equal(shunt_desired_add(d, &ds), 0);
}

/* A bulk apply creates services with their tables swapped in by chunks
 * (TABLE_CHUNK at a time). Every table must
 * be whole and weighted, the services must say so, and the last one must
 * forward. */
static void test_reconcile_bulk(void **state)
{
	struct shunt_reconcile_result res;
	struct shunt_backend_info *b;
	struct shunt_desired d;
	struct shunt_service_info info;
	__u32 slots[8], i;
	struct pg_spec flow;
	char vip[32];
	struct svc v;
	size_t n;

	(void)state;
	shunt_desired_init(&d);
	for (i = 0; i < 299; i++) {
		snprintf(vip, sizeof(vip), "10.97.%u.%u", i / 200, i % 200 + 1);
		desire(&d, vip);
	}
	desire(&d, VIP4);
	assert_int_equal(shunt_reconcile(&penv.s, SHUNT_OWNER_FILE, &d, &res),
			 0);
	assert_int_equal(res.added, 300);
	assert_int_equal(res.failed, 0);

	for (i = 0; i < d.n; i++) {
		assert_int_equal(shunt_service_get(&penv.s,
						   &d.svcs[i].frontends[0].key,
						   &info),
				 0);
		assert_int_equal(info.svc.backend_count, 2);
		assert_int_equal(info.svc.table_gen, 1);
		n = listing(info.id, &b, slots);
		assert_int_equal(n, 2);
		assert_int_equal(slots[0] + slots[1], TABLE);
		assert_true(slots[1] > slots[0] * 3 / 2);
		free(b);
	}

	memset(&v, 0, sizeof(v));
	v.vip = VIP4;
	v.client = PENV_CLIENT4;
	v.be_addr[0] = PENV_BE1_4;
	v.be_addr[1] = PENV_BE2_4;
	v.key = d.svcs[d.n - 1].frontends[0].key;
	shunt_service_get(&penv.s, &v.key, &info);
	v.id = info.id;
	assert_int_equal(listing(v.id, &b, slots), 2);
	v.be[0] = b[0].id;
	v.be[1] = b[1].id;
	free(b);
	open_flow(PENV_XDP, &v, IPPROTO_TCP, 40000, &flow);
	shunt_desired_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_sync_replaces_set),
		PROG_TEST(test_sync_drain_and_empty),
		PROG_TEST(test_sync_rejects),
		cmocka_unit_test_setup(test_reconcile_bulk, penv_reset),
	};

	return cmocka_run_group_tests(tests, penv_setup, penv_teardown);
}
