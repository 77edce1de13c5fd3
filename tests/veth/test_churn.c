// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Backend churn under HTTP load through a VIP, IPv4 and IPv6, with the
 * node's FORWARD policy at DROP (only shunt moves service traffic):
 *
 *  - backends go 2 -> 8 -> 2: added one by one, drained, removed, while
 *    clients open a new connection per request and others hold keep-alive
 *    connections (reopened every few requests, as real clients do). No
 *    request fails; every backend serves during the 8-backend phase; a
 *    drained backend takes no new connection while the keep-alive
 *    connections already on it keep working until their clients move
 *    them (close and reopen); removed backends get nothing.
 *  - a backend that disappears without draining (its server stopped, or
 *    its link deleted) costs only the keep-alive connections that were on
 *    it: those on the other backends see no failure, and once it is
 *    removed from the service no new connection goes there.
 *
 * The load runs in threads that only count; every assertion is made in
 * the main thread after the threads are joined.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "httpc.h"
#include "netns.h"
#include "vethenv.h"

#define NB	    8 /* backends in the topology */
#define NEW_WORKERS 4 /* clients opening a connection per request */
#define KA_WORKERS  8 /* clients holding keep-alive connections */
/* Keep-alive connections per such client. It asks them in turn: a dead
 * link costs it REQ_MS per connection it had there. */
#define KA_CONNS  3
#define KA_ROTATE 30 /* requests before a client reopens one */
#define PACE_US	  3000
#define REQ_MS	  5000 /* one request's timeout (a dead link: this long) */
#define PHASES	  8
#define FAIL_LOG  16
#define SVC_PORT  80

static struct vethenv env;
static unsigned int cur_mask; /* backends in the services now (bit i) */

enum {
	/* test_churn_2_8_2 */
	P_TWO = 0,   /* be1, be2 */
	P_GROW,	     /* be3..be8 being added */
	P_EIGHT,     /* all eight active */
	P_DRAINING,  /* drain commands running */
	P_DRAINED,   /* be3..be8 draining, held connections stay */
	P_REMOVING,  /* held connections moved; del commands running */
	P_TWO_AGAIN, /* be1, be2 only */
	/* kill cases */
	K_BEFORE = 0, /* all alive */
	K_DEAD,	      /* victim dead, still in the service */
	K_REMOVED,    /* victim removed */
};

static const char *const churn_phase_names[] = {
	"two", "grow", "eight", "draining", "drained", "removing", "two-again",
};
static const char *const kill_phase_names[] = {"before", "dead", "removed"};

struct slot {
	struct http_conn c;
	int be;	   /* backend it answered from */
	int n;	   /* requests answered */
	bool dead; /* failed: reopened only when load.reopen */
};

struct load {
	atomic_int stop, phase, rotate, migrate, reopen, pause_new;
	atomic_uint move_mask; /* with migrate: backends to move off */
	atomic_int new_idle[NEW_WORKERS];
	pthread_mutex_t lock;
	/* Under lock. fresh: first answer on a new connection (new-connection
	 * clients and keep-alive opens); held: later answers on keep-alive
	 * connections. By the phase the request started in. */
	unsigned long fresh[PHASES][NB + 1];
	unsigned long held[PHASES][NB + 1];
	unsigned long failed_fresh;	   /* backend unknown */
	unsigned long failed_held[NB + 1]; /* by the connection's backend */
	unsigned long moved;		   /* answered by another backend */
	int ka_on[NB + 1];		   /* keep-alive connections open */
	int ka_open;
	int nlog;
	char log[FAIL_LOG][160];
};

static struct load load = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_t new_th[NEW_WORKERS], ka_th[KA_WORKERS];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	usleep((useconds_t)ms * 1000);
}

static const char *vip(int family6)
{
	return family6 ? VETH_VIP6 : VETH_VIP4;
}

/* Under lock. */
static void fail_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void fail_log(const char *fmt, ...)
{
	va_list ap;

	if (load.nlog >= FAIL_LOG)
		return;
	va_start(ap, fmt);
	vsnprintf(load.log[load.nlog++], sizeof(load.log[0]), fmt, ap);
	va_end(ap);
}

static void *new_worker(void *arg)
{
	int w = (int)(long)arg, ph, status, be;
	char body[64];

	while (!load.stop) {
		if (load.pause_new) {
			load.new_idle[w] = 1;
			sleep_ms(1);
			continue;
		}
		load.new_idle[w] = 0;
		ph = load.phase;
		be = http_get_once(env.client_ns, vip(w % 2), SVC_PORT, "/",
				   &status, body, sizeof(body), REQ_MS);
		if (!be)
			be = http_backend_of(status, body, NB);
		pthread_mutex_lock(&load.lock);
		if (be > 0) {
			load.fresh[ph][be]++;
		} else {
			load.failed_fresh++;
			fail_log("new connection (IPv%d, phase %d): %s",
				 w % 2 ? 6 : 4, ph, strerror(-be));
		}
		pthread_mutex_unlock(&load.lock);
		usleep(PACE_US);
	}
	return NULL;
}

/* Under lock. */
static void slot_close(struct slot *s, bool dead)
{
	http_close(&s->c);
	load.ka_on[s->be]--;
	load.ka_open--;
	s->dead = dead;
}

/* One step of a keep-alive connection: open it (and ask once), or ask
 * again on it; then close it if its client would. */
static void slot_step(struct slot *s, int family6)
{
	int ph = load.phase, be, err;

	if (s->c.fd < 0) {
		if (s->dead && !load.reopen)
			return;
		err = http_connect(&s->c, env.client_ns, vip(family6), SVC_PORT,
				   REQ_MS);
		be = err ? err : http_get_backend(&s->c, NB, REQ_MS);
		pthread_mutex_lock(&load.lock);
		if (be > 0) {
			load.fresh[ph][be]++;
			load.ka_on[be]++;
			load.ka_open++;
			s->be = be;
			s->n = 1;
			s->dead = false;
		} else {
			http_close(&s->c);
			load.failed_fresh++;
			fail_log("keep-alive open (IPv%d, phase %d): %s",
				 family6 ? 6 : 4, ph, strerror(-be));
		}
		pthread_mutex_unlock(&load.lock);
		return;
	}
	be = http_get_backend(&s->c, NB, REQ_MS);
	pthread_mutex_lock(&load.lock);
	if (be == s->be) {
		load.held[ph][be]++;
		s->n++;
		if ((load.rotate && s->n >= KA_ROTATE) ||
		    (load.migrate && (load.move_mask & (1u << be))))
			slot_close(s, false);
	} else if (be > 0) {
		load.moved++;
		fail_log("keep-alive on be%d answered by be%d (phase %d)",
			 s->be, be, ph);
		slot_close(s, true);
	} else {
		load.failed_held[s->be]++;
		fail_log("keep-alive on be%d (IPv%d, phase %d): %s", s->be,
			 family6 ? 6 : 4, ph, strerror(-be));
		slot_close(s, true);
	}
	pthread_mutex_unlock(&load.lock);
}

static void *ka_worker(void *arg)
{
	int w = (int)(long)arg, j;
	struct slot s[KA_CONNS];

	for (j = 0; j < KA_CONNS; j++) {
		s[j].c.fd = -1;
		s[j].dead = false;
	}
	while (!load.stop) {
		for (j = 0; j < KA_CONNS && !load.stop; j++) {
			slot_step(&s[j], w % 2);
			usleep(PACE_US);
		}
	}
	pthread_mutex_lock(&load.lock);
	for (j = 0; j < KA_CONNS; j++)
		if (s[j].c.fd >= 0)
			slot_close(&s[j], false);
	pthread_mutex_unlock(&load.lock);
	return NULL;
}

static void load_reset(void)
{
	int i;

	pthread_mutex_lock(&load.lock);
	memset(load.fresh, 0, sizeof(load.fresh));
	memset(load.held, 0, sizeof(load.held));
	memset(load.failed_held, 0, sizeof(load.failed_held));
	memset(load.ka_on, 0, sizeof(load.ka_on));
	load.failed_fresh = load.moved = 0;
	load.ka_open = load.nlog = 0;
	pthread_mutex_unlock(&load.lock);
	load.stop = load.phase = load.migrate = load.pause_new = 0;
	load.rotate = load.reopen = 1;
	load.move_mask = 0;
	for (i = 0; i < NEW_WORKERS; i++)
		load.new_idle[i] = 0;
}

/* 0, or -1 when not every thread started (the started ones are joined). */
static int load_start(void)
{
	int i, j;

	for (i = 0; i < NEW_WORKERS; i++)
		if (pthread_create(&new_th[i], NULL, new_worker,
				   (void *)(long)i))
			break;
	for (j = 0; i == NEW_WORKERS && j < KA_WORKERS; j++)
		if (pthread_create(&ka_th[j], NULL, ka_worker, (void *)(long)j))
			break;
	if (i == NEW_WORKERS && j == KA_WORKERS)
		return 0;
	load.stop = 1;
	while (i--)
		pthread_join(new_th[i], NULL);
	while (j-- > 0)
		pthread_join(ka_th[j], NULL);
	return -1;
}

static void load_stop(void)
{
	int i;

	load.stop = 1;
	for (i = 0; i < NEW_WORKERS; i++)
		pthread_join(new_th[i], NULL);
	for (i = 0; i < KA_WORKERS; i++)
		pthread_join(ka_th[i], NULL);
}

static void load_print(const char *const *names, int nphases)
{
	int p, i;

	for (p = 0; p < nphases; p++) {
		print_message("  %-10s fresh:", names[p]);
		for (i = 1; i <= NB; i++)
			print_message(" %4lu", load.fresh[p][i]);
		print_message("   held:");
		for (i = 1; i <= NB; i++)
			print_message(" %5lu", load.held[p][i]);
		print_message("\n");
	}
	print_message("  failed: %lu fresh, held by backend:",
		      load.failed_fresh);
	for (i = 1; i <= NB; i++)
		print_message(" %lu", load.failed_held[i]);
	print_message("; moved %lu\n", load.moved);
	for (i = 0; i < load.nlog; i++)
		print_message("  failure: %s\n", load.log[i]);
}

/* Wait (at most ms) for cond() under the lock. */
static bool wait_for(bool (*cond)(void *), void *arg, int ms)
{
	long long end = now_ms() + ms;
	bool ok;

	for (;;) {
		pthread_mutex_lock(&load.lock);
		ok = cond(arg);
		pthread_mutex_unlock(&load.lock);
		if (ok || now_ms() > end)
			return ok;
		sleep_ms(20);
	}
}

static int backend_cmd(const char *verb, int i, const char *extra)
{
	char b4[64], b6[64];

	vethenv_backend_ip4(b4, sizeof(b4), i);
	vethenv_backend_ip6(b6, sizeof(b6), i);
	if (vethenv_ctl(&env, "backend %s %s:%d/tcp %s:%d %s", verb, VETH_VIP4,
			SVC_PORT, b4, VETH_HTTP_PORT, extra))
		return -1;
	return vethenv_ctl(&env, "backend %s [%s]:%d/tcp [%s]:%d %s", verb,
			   VETH_VIP6, SVC_PORT, b6, VETH_HTTP_PORT, extra);
}

/* Make the services' backends exactly the set in mask. */
static int set_backends(unsigned int mask)
{
	int i;

	for (i = 1; i <= NB; i++) {
		if ((mask & (1u << i)) && !(cur_mask & (1u << i))) {
			if (backend_cmd("add", i, ""))
				return -1;
			cur_mask |= 1u << i;
		} else if (!(mask & (1u << i)) && (cur_mask & (1u << i))) {
			if (backend_cmd("del", i, ""))
				return -1;
			cur_mask &= ~(1u << i);
		}
	}
	return 0;
}

static int setup(void **state)
{
	struct rlimit rl;

	(void)state;
	/* Threads, held sockets and shuntctl children. */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (vethenv_up(&env, "ch", NB))
		return -1;
	if (vethenv_ctl(&env, "service add %s:%d/tcp", VETH_VIP4, SVC_PORT) ||
	    vethenv_ctl(&env, "service add [%s]:%d/tcp", VETH_VIP6, SVC_PORT)) {
		vethenv_down(&env);
		return -1;
	}
	cur_mask = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vethenv_down(&env);
	return 0;
}

static bool all_eight_served(void *arg)
{
	int i;

	(void)arg;
	for (i = 1; i <= NB; i++)
		if (load.fresh[P_EIGHT][i] < 5)
			return false;
	return true;
}

static bool none_on(void *arg)
{
	unsigned int mask = *(unsigned int *)arg;
	int i;

	for (i = 1; i <= NB; i++)
		if ((mask & (1u << i)) && load.ka_on[i])
			return false;
	return true;
}

#define MASK_2	 ((1u << 1) | (1u << 2))
#define MASK_3_8 (0x1feu & ~MASK_2)

static void test_churn_2_8_2(void **state)
{
	unsigned int mask38 = MASK_3_8;
	const char *failed_step = NULL;
	unsigned long held_draining = 0;
	bool all_served, moved_off;
	int i;

	(void)state;
	assert_int_equal(set_backends(MASK_2), 0);
	load_reset();
	assert_int_equal(load_start(), 0);

	sleep_ms(500);
	load.phase = P_GROW;
	for (i = 3; i <= NB && !failed_step; i++) {
		if (backend_cmd("add", i, ""))
			failed_step = "backend add";
		cur_mask |= 1u << i;
		sleep_ms(300);
	}
	load.phase = P_EIGHT;
	sleep_ms(1000);
	all_served = wait_for(all_eight_served, NULL, 20000);

	/* Drain be3..be8: held connections stay where they are. */
	load.rotate = 0;
	load.phase = P_DRAINING;
	for (i = 3; i <= NB && !failed_step; i++)
		if (backend_cmd("set", i, "--drain"))
			failed_step = "backend set --drain";
	load.phase = P_DRAINED;
	sleep_ms(1000);

	/* Their clients move them (a real client: after its idle timeout,
	 * or told by the server); the reopened ones land on be1, be2. */
	load.move_mask = MASK_3_8;
	load.migrate = 1;
	moved_off = wait_for(none_on, &mask38, 20000);

	load.phase = P_REMOVING;
	for (i = 3; i <= NB && !failed_step; i++) {
		if (backend_cmd("del", i, ""))
			failed_step = "backend del";
		cur_mask &= ~(1u << i);
	}
	load.phase = P_TWO_AGAIN;
	load.migrate = 0;
	load.rotate = 1;
	sleep_ms(1000);
	load_stop();

	load_print(churn_phase_names, 7);
	if (failed_step)
		fail_msg("%s failed", failed_step);
	assert_int_equal(load.failed_fresh, 0);
	for (i = 1; i <= NB; i++)
		assert_int_equal(load.failed_held[i], 0);
	assert_int_equal(load.moved, 0);
	/* Every backend served new connections with eight in the service. */
	assert_true(all_served);
	for (i = 1; i <= NB; i++)
		assert_true(load.fresh[P_EIGHT][i] > 0);
	/* From the drain on, no new connection reached be3..be8 ... */
	for (i = 3; i <= NB; i++) {
		assert_int_equal(load.fresh[P_DRAINED][i], 0);
		assert_int_equal(load.fresh[P_REMOVING][i], 0);
		assert_int_equal(load.fresh[P_TWO_AGAIN][i], 0);
		held_draining += load.held[P_DRAINED][i];
	}
	/* ... while the keep-alive connections on them kept working ... */
	assert_true(held_draining > 0);
	/* ... until their clients moved them, before the removal. */
	assert_true(moved_off);
	for (i = 3; i <= NB; i++) {
		assert_int_equal(load.held[P_REMOVING][i], 0);
		assert_int_equal(load.held[P_TWO_AGAIN][i], 0);
	}
	assert_true(load.fresh[P_TWO_AGAIN][1] > 0);
	assert_true(load.fresh[P_TWO_AGAIN][2] > 0);
}

enum kill_how { KILL_HTTPD, KILL_LINK };

static bool all_open(void *arg)
{
	(void)arg;
	return load.ka_open == KA_WORKERS * KA_CONNS;
}

static bool new_paused(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NEW_WORKERS; i++)
		if (!load.new_idle[i])
			return false;
	return true;
}

static bool victim_lost(void *arg)
{
	int v = *(int *)arg;

	return load.ka_on[v] == 0;
}

/*
 * Backends in mask serve; keep-alive connections are held (not rotated),
 * new connections come and go. The backend holding the most keep-alive
 * connections dies without draining; later it is removed from the
 * services. New-connection clients pause from just before the death to
 * the removal: connections opened in that window would meet a dead
 * backend that is still in the service, which is the control plane's
 * reaction time, not the datapath's doing.
 */
static void kill_case(unsigned int mask, enum kill_how how)
{
	int on_before[NB + 1], victim = 0, i, total_before = 0;
	const char *failed_step = NULL;
	unsigned long after_others = 0, fresh_after = 0;
	bool lost_all;

	assert_int_equal(set_backends(mask), 0);
	load_reset();
	load.rotate = 0;
	load.reopen = 0;
	load.phase = K_BEFORE;
	assert_int_equal(load_start(), 0);

	if (!wait_for(all_open, NULL, 20000))
		failed_step = "opening the keep-alive connections";
	sleep_ms(500);
	pthread_mutex_lock(&load.lock);
	memcpy(on_before, load.ka_on, sizeof(on_before));
	pthread_mutex_unlock(&load.lock);
	for (i = 1; i <= NB; i++) {
		total_before += on_before[i];
		if ((mask & (1u << i)) &&
		    (!victim || on_before[i] > on_before[victim]))
			victim = i;
	}

	load.pause_new = 1;
	if (!failed_step && !wait_for(new_paused, NULL, 20000))
		failed_step = "pausing new connections";
	load.phase = K_DEAD;
	if (!failed_step) {
		if (how == KILL_HTTPD) {
			if (run_cmdf("%s/tests/lib/topo.sh stop-httpd %s %d",
				     env.src, env.prefix, victim))
				failed_step = "topo.sh stop-httpd";
		} else if (run_cmdf("ip -n %s link del b%d", env.node_ns,
				    victim)) {
			failed_step = "ip link del";
		}
	}
	/* Its keep-alive connections fail as their next request does (a
	 * dead link: after the request timeout, one after the other in a
	 * client holding several). */
	lost_all = wait_for(victim_lost, &victim, (KA_CONNS + 2) * REQ_MS);
	sleep_ms(300);

	if (!failed_step && backend_cmd("del", victim, ""))
		failed_step = "backend del";
	cur_mask &= ~(1u << victim);
	load.phase = K_REMOVED;
	load.reopen = 1;
	load.pause_new = 0;
	sleep_ms(1000);
	load_stop();

	print_message("victim be%d held %d of %d keep-alive connections\n",
		      victim, on_before[victim], total_before);
	load_print(kill_phase_names, 3);
	if (failed_step)
		fail_msg("%s failed", failed_step);
	assert_true(victim > 0);
	assert_true(on_before[victim] > 0);
	assert_true(lost_all);
	/* Only the connections that were on the victim failed ... */
	assert_int_equal(load.failed_fresh, 0);
	assert_int_equal(load.moved, 0);
	for (i = 1; i <= NB; i++) {
		if (i == victim)
			continue;
		assert_int_equal(load.failed_held[i], 0);
		after_others += load.held[K_DEAD][i] + load.held[K_REMOVED][i];
	}
	/* Held connections only end by failing here (no rotation): every
	 * one that was on the victim failed once, no other. */
	assert_int_equal(load.failed_held[victim], on_before[victim]);
	/* ... the others kept working through the death and the removal ... */
	assert_true(after_others > 0);
	/* ... and after the removal no new connection went to the victim. */
	for (i = 1; i <= NB; i++)
		fresh_after += load.fresh[K_REMOVED][i];
	assert_true(fresh_after > 0);
	assert_int_equal(load.fresh[K_REMOVED][victim], 0);
	assert_int_equal(load.held[K_REMOVED][victim], 0);
}

static void test_backend_killed_without_drain(void **state)
{
	(void)state;
	kill_case((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4), KILL_HTTPD);
}

static void test_backend_link_gone_without_drain(void **state)
{
	(void)state;
	kill_case((1u << 5) | (1u << 6) | (1u << 7) | (1u << 8), KILL_LINK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn_2_8_2),
		cmocka_unit_test(test_backend_killed_without_drain),
		cmocka_unit_test(test_backend_link_gone_without_drain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
