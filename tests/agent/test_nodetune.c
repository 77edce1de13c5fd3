// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Node tuning (user/lib/nodetune.h, `shuntctl tune audit|apply|revert`):
 * audit rows against /proc/sys and the seed profile, apply sets every
 * per-namespace setting and saves what it replaced, a second apply keeps
 * the first save, revert restores exactly the values from before the
 * first apply and forgets them, a refused value rolls everything back.
 *
 * Every change happens in a child process that moved into a network
 * namespace of its own (unshare): the host is never touched. The child
 * checks what it sees and sends its findings back over a pipe; the
 * parent, still in the host's namespace, reads the host's values of
 * every setting before and after and fails if any of them moved. State
 * directories live in a temporary directory removed after every test,
 * whatever its outcome.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include <cmocka.h>

#include "netns.h"
#include "nodetune.h"

/* --- the seed profile, as documented -------------------------------- */

struct want {
	const char *key;
	const char *scope; /* "netns", "host", "process" */
	bool at_least;	   /* raise to value, never lower */
	unsigned long long value;
	bool sockets; /* part of the "sockets" profile */
};

static const struct want profile[] = {
	{"net.core.somaxconn", "netns", true, 655350, true},
	{"net.ipv4.tcp_tw_reuse", "netns", false, 1, true},
	{"net.ipv4.tcp_fin_timeout", "netns", false, 30, true},
	{"net.ipv4.tcp_max_tw_buckets", "netns", false, 5000, true},
	{"net.ipv4.tcp_syncookies", "netns", false, 1, true},
	{"net.ipv4.tcp_timestamps", "netns", false, 1, true},
	{"net.netfilter.nf_conntrack_max", "host", true, 2097152, false},
	{"net.netfilter.nf_conntrack_tcp_timeout_established", "netns", false,
	 1200, false},
	{"net.netfilter.nf_conntrack_tcp_timeout_close_wait", "netns", false,
	 15, false},
	{"net.netfilter.nf_conntrack_tcp_timeout_fin_wait", "netns", false, 30,
	 false},
	{"net.netfilter.nf_conntrack_tcp_timeout_time_wait", "netns", false, 30,
	 false},
	{"fs.file-max", "host", true, 655350, false},
	{"fs.nr_open", "host", true, 655350, false},
	{"RLIMIT_NOFILE", "process", true, 655350, false},
};

#define N_PROFILE (sizeof(profile) / sizeof(profile[0]))
#define VALLEN	  64

static bool in_profile(const struct want *w, const char *name)
{
	return !strcmp(name, "seed") ||
	       (!strcmp(name, "sockets") && w->sockets);
}

static bool is_sysctl(const struct want *w)
{
	return strcmp(w->scope, "process") != 0;
}

static void sysctl_path(const char *key, char *buf, size_t len)
{
	char *p;

	snprintf(buf, len, "/proc/sys/%s", key);
	for (p = buf + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
}

/* 0 or -errno; buf without the newline. */
static int sysctl_read(const char *key, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	int err = 0;

	sysctl_path(key, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return err;
}

static int sysctl_write(const char *key, const char *val)
{
	char path[256];
	int fd, err = 0;
	ssize_t n;

	sysctl_path(key, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(val))
		err = -EIO;
	close(fd);
	return err;
}

/* The current value of a setting as audit shows it ("-": absent). */
static bool current_of(const struct want *w, char *buf, size_t len)
{
	struct rlimit rl;

	if (is_sysctl(w)) {
		if (sysctl_read(w->key, buf, len) == 0)
			return true;
		snprintf(buf, len, "-");
		return false;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	snprintf(buf, len, "%llu", (unsigned long long)rl.rlim_cur);
	return true;
}

/* What the profile wants given cur. */
static void wanted_of(const struct want *w, const char *cur, char *buf,
		      size_t len)
{
	if (w->at_least && strtoull(cur, NULL, 10) >= w->value)
		snprintf(buf, len, "%s", cur);
	else
		snprintf(buf, len, "%llu", w->value);
}

/* --- values of the host, read by the parent ------------------------- */

struct values {
	char v[N_PROFILE][VALLEN];
};

/* Every sysctl of the profile as this process sees it. */
static void values_read(struct values *s)
{
	size_t i;

	for (i = 0; i < N_PROFILE; i++)
		if (!is_sysctl(&profile[i]) ||
		    sysctl_read(profile[i].key, s->v[i], VALLEN))
			snprintf(s->v[i], VALLEN, "(absent)");
}

/* --- temporary directory -------------------------------------------- */

static char tmpdir[128];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void tmpdir_remove(void)
{
	if (tmpdir[0]) {
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		tmpdir[0] = '\0';
	}
}

static void on_signal(int sig)
{
	tmpdir_remove();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/shunt-nodetune-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = '\0';
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_nodetune: must run as root\n");
		return -1;
	}
	atexit(tmpdir_remove);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	return 0;
}

/* --- the child ------------------------------------------------------ */

/*
 * Code below runs in the forked child only: it must never call a cmocka
 * assertion (that would continue the test run inside the child). It
 * records what is wrong with CHECK; the parent fails on any record.
 */
static char report[1 << 16];
static size_t report_len;

static void note(int line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (report_len + 1 >= sizeof(report))
		return;
	n = snprintf(report + report_len, sizeof(report) - report_len,
		     "  line %d: ", line);
	if (n > 0)
		report_len += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(report + report_len, sizeof(report) - report_len, fmt,
		      ap);
	va_end(ap);
	if (n > 0)
		report_len += (size_t)n;
	if (report_len + 1 < sizeof(report)) {
		report[report_len++] = '\n';
		report[report_len] = '\0';
	}
	if (report_len >= sizeof(report))
		report_len = sizeof(report) - 1;
}

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			note(__LINE__, __VA_ARGS__);                           \
	} while (0)

/* Compare two strings, naming what they are. */
#define CHECK_STR(got, want, what)                                             \
	CHECK(!strcmp((got), (want)), "%s: '%s', want '%s'", (what), (got),    \
	      (want))

/* The saved-values file of this namespace under dir. */
static void state_file(const char *dir, char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	snprintf(buf, len, "%s/tune-netns-%lu.json", dir,
		 (unsigned long)st.st_ino);
}

/* Files in dir (0 when it does not exist). */
static int files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Every setting of the profile as seen here. */
static void child_values(struct values *s)
{
	size_t i;

	for (i = 0; i < N_PROFILE; i++)
		current_of(&profile[i], s->v[i], VALLEN);
}

/* Every value is the same in a and b. */
static void check_same(const struct values *a, const struct values *b,
		       const char *when)
{
	size_t i;

	for (i = 0; i < N_PROFILE; i++)
		CHECK(!strcmp(a->v[i], b->v[i]), "%s: %s is %s, want %s", when,
		      profile[i].key, b->v[i], a->v[i]);
}

/* Does applying profile name change setting i (values before)? want
 * gets the value it must have afterwards. */
static bool changes(const char *name, size_t i, const struct values *before,
		    char *want, size_t len)
{
	const struct want *w = &profile[i];

	snprintf(want, len, "%s", before->v[i]);
	if (!in_profile(w, name) || strcmp(w->scope, "netns") ||
	    !strcmp(before->v[i], "-"))
		return false;
	wanted_of(w, before->v[i], want, len);
	return strcmp(before->v[i], want) != 0;
}

/* How many settings applying profile name changes. */
static size_t to_change(const char *name, const struct values *before)
{
	char want[VALLEN];
	size_t i, n = 0;

	for (i = 0; i < N_PROFILE; i++)
		n += changes(name, i, before, want, sizeof(want));
	return n;
}

/*
 * After applying profile name over the values before: every per-netns
 * setting of the profile the kernel has is at its wanted value, every
 * other setting is unchanged.
 */
static void check_applied(const char *name, const struct values *before,
			  const struct values *now, const char *when)
{
	char want[VALLEN];
	size_t i;

	for (i = 0; i < N_PROFILE; i++) {
		changes(name, i, before, want, sizeof(want));
		CHECK(!strcmp(now->v[i], want), "%s: %s (%s) is %s, want %s",
		      when, profile[i].key, profile[i].scope, now->v[i], want);
	}
}

/* How many settings of the profile are host-wide. */
static size_t host_settings(const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < N_PROFILE; i++)
		if (in_profile(&profile[i], name) &&
		    !strcmp(profile[i].scope, "host"))
			n++;
	return n;
}

/*
 * The saved file holds exactly the settings that changed, with their
 * values in before.
 */
static void check_saved(const char *dir, const char *name,
			const struct values *before, const char *when)
{
	struct json_object *o, *v;
	char path[512], want[VALLEN];
	size_t i, expect = 0;
	bool changed;

	state_file(dir, path, sizeof(path));
	o = json_object_from_file(path);
	if (!o || !json_object_is_type(o, json_type_object)) {
		note(__LINE__, "%s: %s missing or not a JSON object", when,
		     path);
		json_object_put(o);
		return;
	}
	for (i = 0; i < N_PROFILE; i++) {
		const struct want *w = &profile[i];

		changed = changes(name, i, before, want, sizeof(want));
		if (!json_object_object_get_ex(o, w->key, &v)) {
			CHECK(!changed, "%s: %s not saved", when, w->key);
			continue;
		}
		CHECK(changed, "%s: %s saved though apply left it alone", when,
		      w->key);
		CHECK(!strcmp(json_object_get_string(v), before->v[i]),
		      "%s: %s saved as '%s', want '%s' (before the first "
		      "apply)",
		      when, w->key, json_object_get_string(v), before->v[i]);
		expect++;
	}
	CHECK((size_t)json_object_object_length(o) == expect,
	      "%s: %d keys saved, want %zu", when, json_object_object_length(o),
	      expect);
	json_object_put(o);
}

/* --- running a child ------------------------------------------------ */

static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * Run fn in a child that unshared flags (CLONE_NEWNET at least); fail
 * with everything it recorded, and if any host value moved meanwhile.
 */
static void in_child(void (*fn)(void), int flags)
{
	static char got[sizeof(report) + 1];
	struct values before, after;
	char diff[4096] = "";
	size_t used = 0, len = 0, i;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	values_read(&before);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(p[0]);
		alarm(120);
		report_len = 0;
		report[0] = '\0';
		if (unshare(flags))
			note(__LINE__, "unshare: %s", strerror(errno));
		else
			fn();
		write_all(p[1], report, report_len);
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		n = read(p[0], got + len, sizeof(got) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(got) - 1)
			break;
	}
	got[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	values_read(&after);
	for (i = 0; i < N_PROFILE; i++)
		if (strcmp(before.v[i], after.v[i]))
			used += (size_t)snprintf(
				diff + used, sizeof(diff) - used,
				"  host %s changed from %s to %s\n",
				profile[i].key, before.v[i], after.v[i]);
	if (diff[0])
		fail_msg("the host was touched:\n%s%s", diff, got);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child died (status 0x%x):\n%s", status, got);
	if (len)
		fail_msg("in the test namespace:\n%s", got);
}

/* --- audit ---------------------------------------------------------- */

/* The rows of profile name against /proc/sys and the profile. */
static void check_audit(const char *name)
{
	struct shunt_audit_row *rows;
	char cur[VALLEN], want[VALLEN];
	size_t n, i, r = 0;
	int err;

	err = shunt_tune_audit(name, &rows, &n);
	if (err) {
		note(__LINE__, "audit %s: %s", name, strerror(-err));
		return;
	}
	for (i = 0; i < N_PROFILE; i++) {
		const struct want *w = &profile[i];
		const struct shunt_audit_row *row;
		bool present;

		if (!in_profile(w, name))
			continue;
		if (r >= n) {
			note(__LINE__, "audit %s: no row for %s", name, w->key);
			continue;
		}
		row = &rows[r++];
		if (strcmp(row->key, w->key)) {
			note(__LINE__, "audit %s: row %zu is %s, want %s", name,
			     r - 1, row->key, w->key);
			continue;
		}
		present = current_of(w, cur, sizeof(cur));
		wanted_of(w, cur, want, sizeof(want));
		CHECK_STR(shunt_tune_scope_name(row->scope), w->scope, w->key);
		CHECK(row->present == present, "%s: present %d, want %d",
		      w->key, row->present, present);
		CHECK_STR(row->current, cur, w->key);
		CHECK_STR(row->recommended, want, w->key);
		CHECK(row->differs == (present && strcmp(cur, want) != 0),
		      "%s: differs %d with current %s, recommended %s", w->key,
		      row->differs, cur, want);
		CHECK(row->reason && row->reason[0] &&
			      !strchr(row->reason, '\n'),
		      "%s: reason '%s'", w->key,
		      row->reason ? row->reason : "(null)");
	}
	CHECK(r == n, "audit %s: %zu rows, want %zu", name, n, r);
	free(rows);
}

static const char *row_field(const struct shunt_audit_row *rows, size_t n,
			     const char *key, bool recommended)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].key, key))
			return recommended ? rows[i].recommended
					   : rows[i].current;
	return "(no row)";
}

static bool row_differs(const struct shunt_audit_row *rows, size_t n,
			const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].key, key))
			return rows[i].differs;
	return false;
}

static void child_audit(void)
{
	static const struct {
		const char *key, *set, *recommended;
		bool differs;
	} cases[] = {
		/* At least 655350: higher values are kept. */
		{"net.core.somaxconn", "700000", "700000", false},
		{"net.core.somaxconn", "655350", "655350", false},
		{"net.core.somaxconn", "655349", "655350", true},
		/* Exact: anything else differs. */
		{"net.ipv4.tcp_fin_timeout", "30", "30", false},
		{"net.ipv4.tcp_fin_timeout", "31", "30", true},
		{"net.ipv4.tcp_fin_timeout", "29", "30", true},
		{"net.ipv4.tcp_max_tw_buckets", "10000", "5000", true},
	};
	struct shunt_audit_row *rows;
	size_t n, i;
	int err;

	check_audit("seed");
	check_audit("sockets");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = sysctl_write(cases[i].key, cases[i].set);
		if (err) {
			note(__LINE__, "cannot set %s: %s", cases[i].key,
			     strerror(-err));
			continue;
		}
		if (shunt_tune_audit("seed", &rows, &n)) {
			note(__LINE__, "audit seed failed");
			continue;
		}
		CHECK_STR(row_field(rows, n, cases[i].key, false), cases[i].set,
			  cases[i].key);
		CHECK_STR(row_field(rows, n, cases[i].key, true),
			  cases[i].recommended, cases[i].key);
		CHECK(row_differs(rows, n, cases[i].key) == cases[i].differs,
		      "%s = %s: differs %d, want %d", cases[i].key,
		      cases[i].set, !cases[i].differs, cases[i].differs);
		free(rows);
		check_audit("seed");
	}
	rows = (void *)1;
	err = shunt_tune_audit("bogus", &rows, &n);
	CHECK(err == -ENOENT, "audit bogus: %d, want -ENOENT", err);
	err = shunt_tune_audit("", &rows, &n);
	CHECK(err == -ENOENT, "audit '': %d, want -ENOENT", err);
}

/* Audit rows: keys, scopes, current and recommended values, differs. */
static void test_audit(void **state)
{
	(void)state;
	in_child(child_audit, CLONE_NEWNET);
}

/* --- apply and revert ----------------------------------------------- */

static char state_dir[256];

static void set_state_dir(const char *sub)
{
	snprintf(state_dir, sizeof(state_dir), "%s/%s", tmpdir, sub);
}

/* apply profile name, checking what it reports and does. */
static void apply_ok(const char *name, const struct values *before,
		     size_t expect_applied, const char *when)
{
	const char *bad = "x";
	size_t applied = 99, skipped = 99;
	struct values now;
	int err;

	err = shunt_tune_apply(name, state_dir, &applied, &skipped, &bad);
	CHECK(err == 0, "%s: apply %s: %s (bad %s)", when, name, strerror(-err),
	      bad ? bad : "none");
	CHECK(bad == NULL, "%s: bad '%s' on success", when, bad ? bad : "");
	CHECK(applied == expect_applied, "%s: applied %zu, want %zu", when,
	      applied, expect_applied);
	CHECK(skipped == host_settings(name),
	      "%s: skipped %zu, want %zu host-wide settings", when, skipped,
	      host_settings(name));
	child_values(&now);
	check_applied(name, before, &now, when);
}

static void child_apply_revert(void)
{
	struct values before, now;
	char path[512];
	size_t expect, restored = 99;
	struct stat st;
	int err;

	set_state_dir("state"); /* does not exist yet */
	state_file(state_dir, path, sizeof(path));
	child_values(&before);
	expect = to_change("seed", &before);
	CHECK(expect > 0, "nothing to apply in a fresh namespace?");

	apply_ok("seed", &before, expect, "first apply");
	CHECK(stat(state_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		      (st.st_mode & 0777) == 0700,
	      "state dir %s: mode %o, want a directory 0700", state_dir,
	      (unsigned int)(st.st_mode & 07777));
	CHECK(access(path, F_OK) == 0, "no state file %s", path);
	CHECK(files_in(state_dir) == 1, "%d files in %s, want 1",
	      files_in(state_dir), state_dir);
	check_saved(state_dir, "seed", &before, "first apply");

	/* Second apply: nothing to do, the first save kept. */
	apply_ok("seed", &before, 0, "second apply");
	check_saved(state_dir, "seed", &before, "second apply");

	/* Someone changes a setting; apply puts it right again but the save
	 * still holds the value from before the first apply. */
	err = sysctl_write("net.ipv4.tcp_fin_timeout", "45");
	CHECK(err == 0, "set tcp_fin_timeout: %s", strerror(-err));
	apply_ok("seed", &before, 1, "third apply");
	check_saved(state_dir, "seed", &before, "third apply");

	err = shunt_tune_revert(state_dir, &restored);
	CHECK(err == 0, "revert: %s", strerror(-err));
	CHECK(restored == expect, "revert restored %zu, want %zu", restored,
	      expect);
	child_values(&now);
	check_same(&before, &now, "after revert");
	CHECK(access(path, F_OK) != 0, "state file %s still there", path);
	CHECK(files_in(state_dir) == 0, "%d files left in %s",
	      files_in(state_dir), state_dir);

	/* Nothing saved any more. */
	restored = 99;
	err = shunt_tune_revert(state_dir, &restored);
	CHECK(err == -ENOENT, "second revert: %d, want -ENOENT", err);
	CHECK(restored == 0, "second revert restored %zu", restored);
	child_values(&now);
	check_same(&before, &now, "after a second revert");
}

/* apply, apply again, revert, revert again (library). */
static void test_apply_revert(void **state)
{
	(void)state;
	in_child(child_apply_revert, CLONE_NEWNET);
}

static void child_sockets_profile(void)
{
	struct values before, now;
	size_t expect, restored;
	int err;

	set_state_dir("sockets");
	child_values(&before);
	expect = to_change("sockets", &before);
	CHECK(expect > 0, "nothing of sockets to apply?");
	apply_ok("sockets", &before, expect, "apply sockets");
	check_saved(state_dir, "sockets", &before, "apply sockets");
	/* seed on top: the rest is added to the save, sockets' originals
	 * stay. */
	apply_ok("seed", &before, to_change("seed", &before) - expect,
		 "apply seed");
	apply_ok("seed", &before, 0, "apply seed again");
	check_saved(state_dir, "seed", &before, "apply seed after sockets");
	err = shunt_tune_revert(state_dir, &restored);
	CHECK(err == 0, "revert: %s", strerror(-err));
	CHECK(restored == to_change("seed", &before),
	      "revert restored %zu, want %zu", restored,
	      to_change("seed", &before));
	child_values(&now);
	check_same(&before, &now, "after revert");
}

/* The sockets profile changes only its six settings; seed on top adds
 * the rest; one revert restores everything. */
static void test_sockets_profile(void **state)
{
	(void)state;
	in_child(child_sockets_profile, CLONE_NEWNET);
}

static void child_at_least_kept(void)
{
	struct values before, now;
	char path[512];
	struct json_object *o;
	size_t restored, applied, skipped;
	const char *bad;
	int err;

	set_state_dir("atleast");
	err = sysctl_write("net.core.somaxconn", "700000");
	CHECK(err == 0, "set somaxconn: %s", strerror(-err));
	child_values(&before);
	err = shunt_tune_apply("seed", state_dir, &applied, &skipped, &bad);
	CHECK(err == 0, "apply: %s", strerror(-err));
	CHECK(applied == to_change("seed", &before), "applied %zu, want %zu",
	      applied, to_change("seed", &before));
	child_values(&now);
	check_applied("seed", &before, &now, "apply");
	CHECK_STR(now.v[0], "700000", "somaxconn after apply");
	state_file(state_dir, path, sizeof(path));
	o = json_object_from_file(path);
	CHECK(o && !json_object_object_get_ex(o, "net.core.somaxconn", NULL),
	      "somaxconn saved though it was left alone");
	json_object_put(o);
	err = shunt_tune_revert(state_dir, &restored);
	CHECK(err == 0, "revert: %s", strerror(-err));
	child_values(&now);
	check_same(&before, &now, "after revert");
}

/* An at-least setting already higher is left alone and not saved. */
static void test_at_least_kept(void **state)
{
	(void)state;
	in_child(child_at_least_kept, CLONE_NEWNET);
}

static void child_unknown_profile(void)
{
	struct values before, now;
	const char *bad = "x";
	size_t applied = 99, skipped = 99;
	int err;

	set_state_dir("unknown");
	child_values(&before);
	err = shunt_tune_apply("bogus", state_dir, &applied, &skipped, &bad);
	CHECK(err == -ENOENT, "apply bogus: %d, want -ENOENT", err);
	CHECK(applied == 0 && skipped == 0,
	      "apply bogus: applied %zu skipped %zu", applied, skipped);
	child_values(&now);
	check_same(&before, &now, "after apply bogus");
	CHECK(access(state_dir, F_OK) != 0, "apply bogus created %s",
	      state_dir);
}

/* An unknown profile: -ENOENT, nothing changed, nothing saved. */
static void test_unknown_profile(void **state)
{
	(void)state;
	in_child(child_unknown_profile, CLONE_NEWNET);
}

/* The state directory cannot be made (its parent is missing): nothing
 * changed. */
static void child_state_dir_fails(void)
{
	struct values before, now;
	const char *bad = "x";
	size_t applied = 99, skipped;
	int err;

	set_state_dir("missing/parent/state");
	child_values(&before);
	err = shunt_tune_apply("seed", state_dir, &applied, &skipped, &bad);
	CHECK(err == -ENOENT, "apply with %s: %d, want -ENOENT", state_dir,
	      err);
	CHECK(bad == NULL, "bad '%s', want NULL (not the kernel's refusal)",
	      bad ? bad : "");
	CHECK(applied == 0, "applied %zu after a failure", applied);
	child_values(&now);
	check_same(&before, &now, "after a failed save");
}

static void test_state_dir_fails(void **state)
{
	(void)state;
	in_child(child_state_dir_fails, CLONE_NEWNET);
}

/*
 * The kernel refuses one value (made read-only with a bind mount in a
 * mount namespace of the child's own): apply names it, puts back the
 * settings it had already changed and saves nothing.
 */
#define REFUSED "net.ipv4.tcp_max_tw_buckets"

static void child_refused(void)
{
	struct values before, now;
	char path[256];
	const char *bad = NULL;
	size_t applied = 99, skipped;
	int err;

	set_state_dir("refused");
	sysctl_path(REFUSED, path, sizeof(path));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(path, path, NULL, MS_BIND, NULL) ||
	    mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL)) {
		note(__LINE__, "cannot make %s read-only: %s", path,
		     strerror(errno));
		return;
	}
	child_values(&before);
	err = shunt_tune_apply("seed", state_dir, &applied, &skipped, &bad);
	CHECK(err != 0, "apply succeeded with %s read-only", REFUSED);
	CHECK(bad && !strcmp(bad, REFUSED), "bad '%s', want %s",
	      bad ? bad : "(null)", REFUSED);
	CHECK(applied == 0, "applied %zu after a refusal", applied);
	child_values(&now);
	check_same(&before, &now, "after a refused apply");
	CHECK(files_in(state_dir) == 0, "%d files saved after a refusal",
	      files_in(state_dir));
}

static void test_refused_value_rolls_back(void **state)
{
	(void)state;
	in_child(child_refused, CLONE_NEWNET | CLONE_NEWNS);
}

/* --- state directory ------------------------------------------------ */

/* Explicit, else $SHUNT_STATE_DIR, else /var/lib/shunt. */
static void test_state_dir_choice(void **state)
{
	char *saved = getenv(SHUNT_STATE_DIR_ENV);

	(void)state;
	saved = saved ? strdup(saved) : NULL;
	unsetenv(SHUNT_STATE_DIR_ENV);
	assert_string_equal(shunt_state_dir(NULL), "/var/lib/shunt");
	assert_string_equal(shunt_state_dir(""), "/var/lib/shunt");
	assert_string_equal(shunt_state_dir("/x"), "/x");
	setenv(SHUNT_STATE_DIR_ENV, "/from/env", 1);
	assert_string_equal(shunt_state_dir(NULL), "/from/env");
	assert_string_equal(shunt_state_dir(""), "/from/env");
	assert_string_equal(shunt_state_dir("/x"), "/x");
	setenv(SHUNT_STATE_DIR_ENV, "", 1);
	assert_string_equal(shunt_state_dir(NULL), "/var/lib/shunt");
	if (saved)
		setenv(SHUNT_STATE_DIR_ENV, saved, 1);
	else
		unsetenv(SHUNT_STATE_DIR_ENV);
	free(saved);
}

/* --- shuntctl ------------------------------------------------------- */

static char ctl[4300];
static char out[1 << 16], err_out[1 << 14];

static void ctl_path(void)
{
	const char *src = getenv("SHUNT_SRC"), *build = getenv("BUILD");
	char cwd[4096];

	if (!src || !*src)
		src = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	if (!build || !*build)
		build = "build";
	if (build[0] == '/')
		snprintf(ctl, sizeof(ctl), "%s/shuntctl", build);
	else
		snprintf(ctl, sizeof(ctl), "%s/%s/shuntctl", src, build);
}

/* The rows of shuntctl tune audit --json equal the library's. */
static void check_audit_json(const char *args, const char *name)
{
	struct shunt_audit_row *rows;
	struct json_object *arr, *o, *f;
	size_t n, i;
	int rc;

	rc = run_capture(out, sizeof(out), "%s %s", ctl, args);
	CHECK(rc == 0, "'shuntctl %s': exit %d", args, rc);
	arr = json_tokener_parse(out);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		note(__LINE__, "'shuntctl %s': not a JSON array:\n%s", args,
		     out);
		json_object_put(arr);
		return;
	}
	if (shunt_tune_audit(name, &rows, &n)) {
		note(__LINE__, "audit %s failed", name);
		json_object_put(arr);
		return;
	}
	CHECK(json_object_array_length(arr) == n, "'%s': %zu rows, want %zu",
	      args, json_object_array_length(arr), n);
	for (i = 0; i < n && i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
#define FIELD_STR(k, want)                                                     \
	do {                                                                   \
		const char *g_ = json_object_object_get_ex(o, k, &f)           \
					 ? json_object_get_string(f)           \
					 : "(none)";                           \
		CHECK(!strcmp(g_, want), "row %zu %s: '%s', want '%s'", i, k,  \
		      g_, want);                                               \
	} while (0)
#define FIELD_BOOL(k, want)                                                    \
	do {                                                                   \
		bool ok_ = json_object_object_get_ex(o, k, &f) &&              \
			   json_object_is_type(f, json_type_boolean) &&        \
			   json_object_get_boolean(f) == (want);               \
		CHECK(ok_, "row %zu %s: want %s", i, k,                        \
		      (want) ? "true" : "false");                              \
	} while (0)
		FIELD_STR("setting", rows[i].key);
		FIELD_STR("scope", shunt_tune_scope_name(rows[i].scope));
		FIELD_STR("current", rows[i].current);
		FIELD_STR("recommended", rows[i].recommended);
		FIELD_STR("reason", rows[i].reason);
		FIELD_BOOL("present", rows[i].present);
		FIELD_BOOL("differs", rows[i].differs);
#undef FIELD_STR
#undef FIELD_BOOL
	}
	free(rows);
	json_object_put(arr);
}

/* shuntctl's stderr (stdout dropped) and exit status. */
static int ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int ctl_err(const char *fmt, ...)
{
	char args[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return run_capture(err_out, sizeof(err_out), "%s %s 2>&1 >/dev/null",
			   ctl, args);
}

static void child_shuntctl(void)
{
	struct values before, now;
	char path[512], want[512], env_dir[256];
	size_t expect, i;
	int rc;

	set_state_dir("ctl");
	snprintf(env_dir, sizeof(env_dir), "%s/env", tmpdir);
	child_values(&before);
	expect = to_change("seed", &before);

	/* audit: JSON rows = the library's; text names every setting. */
	check_audit_json("tune audit --json", "seed");
	check_audit_json("--json tune audit", "seed");
	check_audit_json("tune audit --profile sockets --json", "sockets");
	rc = run_capture(out, sizeof(out), "%s tune audit", ctl);
	CHECK(rc == 0, "tune audit: exit %d", rc);
	CHECK(strstr(out, "SETTING") != NULL, "tune audit: no header:\n%s",
	      out);
	for (i = 0; i < N_PROFILE; i++)
		CHECK(strstr(out, profile[i].key) != NULL,
		      "tune audit: %s missing", profile[i].key);
	rc = ctl_err("tune audit --profile bogus");
	CHECK(rc == 2, "audit --profile bogus: exit %d, want 2", rc);
	CHECK(strstr(err_out, "unknown profile 'bogus'") != NULL,
	      "audit --profile bogus: '%s'", err_out);

	/* apply */
	rc = run_capture(out, sizeof(out), "%s tune apply --state-dir %s", ctl,
			 state_dir);
	CHECK(rc == 0, "tune apply: exit %d", rc);
	snprintf(want, sizeof(want),
		 "applied %zu settings of profile seed; %zu host-wide "
		 "settings left alone (not the host's network namespace)\n",
		 expect, host_settings("seed"));
	CHECK_STR(out, want, "tune apply output");
	child_values(&now);
	check_applied("seed", &before, &now, "shuntctl tune apply");
	check_saved(state_dir, "seed", &before, "shuntctl tune apply");

	/* revert */
	rc = run_capture(out, sizeof(out), "%s tune revert --state-dir %s", ctl,
			 state_dir);
	CHECK(rc == 0, "tune revert: exit %d", rc);
	snprintf(want, sizeof(want), "restored %zu settings\n", expect);
	CHECK_STR(out, want, "tune revert output");
	child_values(&now);
	check_same(&before, &now, "after shuntctl tune revert");
	state_file(state_dir, path, sizeof(path));
	CHECK(access(path, F_OK) != 0, "state file %s left", path);

	/* revert with nothing saved */
	rc = ctl_err("tune revert --state-dir %s", state_dir);
	CHECK(rc == 1, "second tune revert: exit %d, want 1", rc);
	snprintf(want, sizeof(want),
		 "nothing saved in %s for this network namespace", state_dir);
	CHECK(strstr(err_out, want) != NULL, "second tune revert: '%s'",
	      err_out);
	CHECK(!strchr(err_out, '\n') || strchr(err_out, '\n')[1] == '\0',
	      "second tune revert: more than one line: '%s'", err_out);

	/* unknown profile: usage error, nothing changed or saved */
	rc = ctl_err("tune apply --profile bogus --state-dir %s/bogus", tmpdir);
	CHECK(rc == 2, "apply --profile bogus: exit %d, want 2", rc);
	CHECK(strstr(err_out, "unknown profile 'bogus'") != NULL,
	      "apply --profile bogus: '%s'", err_out);
	child_values(&now);
	check_same(&before, &now, "after apply --profile bogus");
	CHECK(access(state_dir, F_OK) == 0 && files_in(state_dir) == 0 &&
		      files_in(tmpdir) == 1,
	      "apply --profile bogus left files in %s", tmpdir);

	/* $SHUNT_STATE_DIR when there is no --state-dir */
	rc = run_capture(out, sizeof(out),
			 "%s=%s %s tune apply --profile sockets",
			 SHUNT_STATE_DIR_ENV, env_dir, ctl);
	CHECK(rc == 0, "tune apply with $" SHUNT_STATE_DIR_ENV ": exit %d", rc);
	state_file(env_dir, path, sizeof(path));
	CHECK(access(path, F_OK) == 0, "no state file %s", path);
	rc = run_capture(out, sizeof(out), "%s=%s %s tune revert",
			 SHUNT_STATE_DIR_ENV, env_dir, ctl);
	CHECK(rc == 0, "tune revert with $" SHUNT_STATE_DIR_ENV ": exit %d",
	      rc);
	child_values(&now);
	check_same(&before, &now, "after revert with $SHUNT_STATE_DIR");
	CHECK(access(path, F_OK) != 0, "state file %s left", path);
}

/* shuntctl tune audit --json / apply / revert in the test namespace. */
static void test_shuntctl(void **state)
{
	(void)state;
	ctl_path();
	if (access(ctl, X_OK))
		fail_msg("%s not built", ctl);
	in_child(child_shuntctl, CLONE_NEWNET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_revert, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sockets_profile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_at_least_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_profile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_state_dir_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_value_rolls_back,
						setup, teardown),
		cmocka_unit_test(test_state_dir_choice),
		cmocka_unit_test_setup_teardown(test_shuntctl, setup, teardown),
	};

	return cmocka_run_group_tests_name("nodetune", tests, group_setup,
					   NULL);
}
