// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Property test of the reconcile: random sequences of desired states
 * (services added and removed, backends added, removed, reweighted and
 * drained, explicit and automatic table sizes, affinity, several
 * frontends per service, NodePort wildcards, frontends moving from one
 * service to another, source ranges coming and going, IPv4 and IPv6). After
 * every step the maps that the incremental reconcile left must equal, in
 * canonical form (canon.h), the maps of a fresh apply of the same state into a
 * second, emptied datapath; every few steps the first handle's model is
 * dropped, so the reconcile also runs against a model freshly built from the
 * maps. Applying the same state twice changes nothing at all.
 */
#include <unistd.h>

#include "attach.h"
#include "load.h"
#include "canon.h"
#include "progtest.h"
#include "reconcile.h"

#define N_SVCS	     24
#define N_VIPS	     40
#define N_BES	     24
#define STEPS	     60
#define FRESH_PARENT "/sys/fs/bpf/shunt-test-fresh-"

static struct shunt fresh; /* the second datapath */
static char fresh_root[128];

/* A tiny deterministic generator (xorshift). */
static __u32 rnd_state;

static __u32 rnd(__u32 n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return n ? rnd_state % n : 0;
}

/* The generator's world: which service owns which frontend, what
 * backends each has. */
struct want_svc {
	bool on;
	__u8 family;
	__u32 table_size, affinity;
	int fes[4], n_fes; /* indexes into the VIP pool; -1-k: NodePort k */
	int bes[8], n_bes; /* indexes into the backend pool */
	__u32 weight[8];
	__u8 state[8];
	__u32 ranges; /* bits: CIDRs of range_pool of the family */
};

static struct want_svc W[N_SVCS];

static struct shunt_frontend_key fe_key(__u8 family, int f)
{
	struct shunt_frontend_key k = {};

	k.proto = IPPROTO_TCP;
	k.family = family;
	if (f < 0) { /* the NodePort wildcard at 30000 + k */
		k.port = htons(30000 - 1 - f);
		return k;
	}
	k.port = htons(80 + f % 3);
	if (family == SHUNT_V4)
		k.vip.v4 = htonl(0x0a620000 + f + 1); /* 10.98.0.x */
	else {
		k.vip.v6[0] = htonl(0xfd000098);
		k.vip.v6[3] = htonl(f + 1);
	}
	return k;
}

/* Source ranges: bit b of want_svc.ranges is CIDR b of the family. */
static const char *const range_pool[2][4] = {
	{"10.0.0.0/8", "198.51.100.0/24", "0.0.0.0/0", "203.0.113.7/32"},
	{"fd00::/8", "2001:db8::/32", "::/0", "2001:db8::7/128"},
};

static size_t ranges_of(const struct want_svc *w, struct shunt_src_range *r)
{
	char why[64];
	size_t b, n = 0;

	for (b = 0; b < 4; b++)
		if (w->ranges & (1U << b))
			assert_int_equal(
				shunt_src_range_parse(
					range_pool[w->family == SHUNT_V6][b],
					&r[n++], why, sizeof(why)),
				0);
	shunt_src_ranges_normalize(r, &n);
	return n;
}

static struct shunt_backend_spec be_spec(__u8 family, int b, __u32 w, __u8 st)
{
	struct shunt_backend_spec s = {};

	s.family = family;
	s.port = htons(8080 + b % 2);
	s.weight = w;
	s.state = st;
	if (family == SHUNT_V4)
		s.addr.v4 = htonl(0x0a010000 + b + 1);
	else {
		s.addr.v6[0] = htonl(0xfd000001);
		s.addr.v6[3] = htonl(b + 1);
	}
	return s;
}

/* Does any service use frontend f of family? */
static bool fe_taken(__u8 family, int f, int except)
{
	int i, j;

	for (i = 0; i < N_SVCS; i++)
		for (j = 0; W[i].on && i != except && j < W[i].n_fes; j++)
			if (W[i].family == family && W[i].fes[j] == f)
				return true;
	return false;
}

static int pick_fe(__u8 family, int except)
{
	int f, tries;

	for (tries = 0; tries < 50; tries++) {
		f = rnd(8) ? (int)rnd(N_VIPS) : -1 - (int)rnd(6);
		if (!fe_taken(family, f, except))
			return f;
	}
	return -100; /* none free: skip */
}

static void new_service(int i)
{
	static const __u32 sizes[] = {0, 0, 0, 7, 13, 251, 509};
	struct want_svc *w = &W[i];
	int f;

	memset(w, 0, sizeof(*w));
	w->family = rnd(4) ? SHUNT_V4 : SHUNT_V6;
	f = pick_fe(w->family, -1);
	if (f == -100)
		return;
	w->on = true;
	w->fes[w->n_fes++] = f;
	w->table_size = sizes[rnd(7)];
	w->affinity = rnd(5) ? 0 : 60;
	w->n_bes = rnd(5);
	for (f = 0; f < w->n_bes; f++) {
		w->bes[f] = f * 3 + rnd(3);
		w->weight[f] = 1 + rnd(4);
		w->state[f] = rnd(5) ? SHUNT_BE_ACTIVE : SHUNT_BE_DRAINING;
	}
}

/* Move frontend j of service i to another service of its family. */
static void move_frontend(int i)
{
	struct want_svc *w = &W[i], *to;
	int k;

	if (w->n_fes < 2)
		return;
	k = rnd(N_SVCS);
	to = &W[k];
	if (!to->on || k == i || to->family != w->family || to->n_fes == 4)
		return;
	to->fes[to->n_fes++] = w->fes[--w->n_fes];
}

static void change_backends(struct want_svc *w)
{
	int j = rnd(8), b;

	if (j < w->n_bes && rnd(2)) {
		w->bes[j] = w->bes[--w->n_bes]; /* remove */
		w->weight[j] = w->weight[w->n_bes];
		w->state[j] = w->state[w->n_bes];
	} else if (j < w->n_bes) {
		w->weight[j] = 1 + rnd(4);
		w->state[j] = rnd(3) ? SHUNT_BE_ACTIVE : SHUNT_BE_DRAINING;
	} else if (w->n_bes < 7) {
		b = rnd(N_BES);
		for (j = 0; j < w->n_bes && w->bes[j] != b; j++)
			;
		if (j < w->n_bes)
			return;
		w->bes[w->n_bes] = b;
		w->weight[w->n_bes] = 1 + rnd(4);
		w->state[w->n_bes++] = SHUNT_BE_ACTIVE;
	}
}

/* One random change to the world. */
static void mutate(void)
{
	int i = rnd(N_SVCS), f;
	struct want_svc *w = &W[i];

	if (!w->on) {
		new_service(i);
		return;
	}
	switch (rnd(8)) {
	case 7:
		w->ranges ^= 1U << rnd(4);
		break;
	case 0:
		w->on = rnd(3) != 0; /* delete sometimes */
		break;
	case 1:
		f = pick_fe(w->family, -1);
		if (f != -100 && w->n_fes < 4)
			w->fes[w->n_fes++] = f;
		break;
	case 2:
		move_frontend(i);
		break;
	case 3:
		w->table_size = w->table_size ? 0 : 13;
		break;
	case 4:
		w->affinity = w->affinity ? 0 : 30;
		break;
	default:
		change_backends(w);
		break;
	}
}

static void build(struct shunt_desired *d)
{
	struct shunt_frontend_spec fes[4];
	struct shunt_backend_spec bes[8];
	struct shunt_src_range ranges[4];
	struct shunt_service_spec sp;
	int i, j;

	shunt_desired_init(d);
	for (i = 0; i < N_SVCS; i++) {
		if (!W[i].on)
			continue;
		memset(&sp, 0, sizeof(sp));
		snprintf(sp.name, sizeof(sp.name), "ns/svc%d:http", i);
		sp.table_size = W[i].table_size;
		sp.affinity_timeout = W[i].affinity;
		for (j = 0; j < W[i].n_fes; j++) {
			memset(&fes[j], 0, sizeof(fes[j]));
			fes[j].key = fe_key(W[i].family, W[i].fes[j]);
			fes[j].flags =
				W[i].fes[j] < 0 ? SHUNT_FE_F_EXTERNAL : 0;
			/* The first frontend checks the ranges (when the
			 * service has some). */
			if (!j)
				fes[j].flags |= SHUNT_FE_F_SRC_RANGES;
		}
		for (j = 0; j < W[i].n_bes; j++)
			bes[j] = be_spec(W[i].family, W[i].bes[j],
					 W[i].weight[j], W[i].state[j]);
		sp.frontends = fes;
		sp.n_frontends = W[i].n_fes;
		sp.backends = bes;
		sp.n_backends = W[i].n_bes;
		sp.src_ranges = ranges;
		sp.n_src_ranges = ranges_of(&W[i], ranges);
		assert_int_equal(shunt_desired_add(d, &sp), 0);
	}
}

static char *canon(struct shunt *s)
{
	char *text;

	if (canon_dump(s, &text))
		fail_msg("maps broken: %s", text);
	return text;
}

/* The same state applied to the emptied second datapath. */
static char *fresh_apply(const struct shunt_desired *d)
{
	struct shunt_reconcile_result r;
	struct shunt_desired none;

	shunt_desired_init(&none);
	assert_int_equal(shunt_reconcile(&fresh, SHUNT_OWNER_FILE, &none, &r),
			 0);
	shunt_model_drop(&fresh);
	assert_int_equal(shunt_reconcile(&fresh, SHUNT_OWNER_FILE, d, &r), 0);
	return canon(&fresh);
}

/* The lines of a not in b, then of b not in a. */
static void print_diff(const char *a, const char *b)
{
	const char *p, *nl;
	char line[512];
	int pass;

	for (pass = 0; pass < 2; pass++) {
		fprintf(stderr,
			pass ? "--- only fresh:\n" : "--- only incremental:\n");
		for (p = pass ? b : a; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl)
				break;
			snprintf(line, sizeof(line), "%.*s\n", (int)(nl - p),
				 p);
			if (!strstr(pass ? a : b, line))
				fputs(line, stderr);
		}
	}
}

static void run_seed(__u32 seed)
{
	struct shunt_reconcile_result r;
	struct shunt_desired d;
	char *a, *b, *again;
	int step;

	rnd_state = seed;
	memset(W, 0, sizeof(W));
	for (step = 0; step < STEPS; step++) {
		int k, n = 1 + rnd(4);

		for (k = 0; k < n; k++)
			mutate();
		build(&d);
		if (step % 7 == 3)
			shunt_model_drop(&penv.s);
		if (shunt_reconcile(&penv.s, SHUNT_OWNER_FILE, &d, &r))
			fail_msg("seed %u step %d: reconcile failed: %s", seed,
				 step, r.first_error);
		a = canon(&penv.s);
		b = fresh_apply(&d);
		if (strcmp(a, b)) {
			print_diff(a, b);
			fail_msg("seed %u step %d: maps differ", seed, step);
		}
		/* The same state again: nothing to do, nothing touched. */
		assert_int_equal(
			shunt_reconcile(&penv.s, SHUNT_OWNER_FILE, &d, &r), 0);
		assert_int_equal(r.added + r.updated + r.removed, 0);
		again = canon(&penv.s);
		assert_string_equal(a, again);
		free(a);
		free(b);
		free(again);
		shunt_desired_free(&d);
	}
}

static void test_reconcile_equals_fresh_apply(void **state)
{
	(void)state;
	run_seed(0x1234567);
	run_seed(0xdeadbee);
	run_seed(42);
}

static int setup(void **state)
{
	/* Small tables: the canonical dumps read them whole at every step. */
	struct shunt_capacity cap = {
		.services = 64,
		.frontends = 256,
		.backends = 1024,
		.ct = 4096,
	};
	int err;

	shunt_set_capacity(&cap);
	err = penv_setup(state);

	if (err)
		return err;
	snprintf(fresh_root, sizeof(fresh_root), FRESH_PARENT "%d",
		 (int)getpid());
	shunt_unload(fresh_root);
	return shunt_open(&fresh, fresh_root, SHUNT_OPEN_LOAD | SHUNT_OPEN_LOCK)
		       ? -1
		       : 0;
}

static int teardown(void **state)
{
	shunt_close(&fresh);
	shunt_unload(fresh_root);
	return penv_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reconcile_equals_fresh_apply,
				       penv_reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
