// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Node tuning profiles: audit, apply, revert. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "nodetune.h"

enum setting_kind {
	SET_EXACT,    /* the profile's value */
	SET_AT_LEAST, /* raise to the profile's value, never lower */
};

struct setting {
	const char *key;
	enum shunt_tune_scope scope;
	enum setting_kind kind;
	const char *reason;
	long long seed; /* the seed profile's value */
	bool socket;	/* part of the "sockets" profile */
};

/* The seed article's profile; "sockets" is its per-namespace TCP part. */
static const struct setting settings[] = {
	{"net.core.somaxconn", SHUNT_SCOPE_NETNS, SET_AT_LEAST,
	 "accept queue limit: listen() backlogs are clamped to it", 655350,
	 true},
	{"net.ipv4.tcp_tw_reuse", SHUNT_SCOPE_NETNS, SET_EXACT,
	 "reuse TIME_WAIT ports for new outgoing connections (proxy to upstream)",
	 1, true},
	{"net.ipv4.tcp_fin_timeout", SHUNT_SCOPE_NETNS, SET_EXACT,
	 "seconds an orphaned connection stays in FIN_WAIT_2", 30, true},
	{"net.ipv4.tcp_max_tw_buckets", SHUNT_SCOPE_NETNS, SET_EXACT,
	 "cap on TIME_WAIT sockets, beyond it they are destroyed at once", 5000,
	 true},
	{"net.ipv4.tcp_syncookies", SHUNT_SCOPE_NETNS, SET_EXACT,
	 "answer SYN floods without dropping legitimate connections", 1, true},
	{"net.ipv4.tcp_timestamps", SHUNT_SCOPE_NETNS, SET_EXACT,
	 "needed by tcp_tw_reuse and for RTT measurement", 1, true},
	{"net.netfilter.nf_conntrack_max", SHUNT_SCOPE_HOST, SET_AT_LEAST,
	 "netfilter conntrack capacity: a full table drops new connections",
	 2097152, false},
	{"net.netfilter.nf_conntrack_tcp_timeout_established",
	 SHUNT_SCOPE_NETNS, SET_EXACT,
	 "idle established connections leave conntrack after this (default 5 days)",
	 1200, false},
	{"net.netfilter.nf_conntrack_tcp_timeout_close_wait", SHUNT_SCOPE_NETNS,
	 SET_EXACT, "conntrack lifetime in CLOSE_WAIT", 15, false},
	{"net.netfilter.nf_conntrack_tcp_timeout_fin_wait", SHUNT_SCOPE_NETNS,
	 SET_EXACT, "conntrack lifetime in FIN_WAIT", 30, false},
	{"net.netfilter.nf_conntrack_tcp_timeout_time_wait", SHUNT_SCOPE_NETNS,
	 SET_EXACT, "conntrack lifetime in TIME_WAIT", 30, false},
	{"fs.file-max", SHUNT_SCOPE_HOST, SET_AT_LEAST,
	 "open files the whole host may have", 655350, false},
	{"fs.nr_open", SHUNT_SCOPE_HOST, SET_AT_LEAST,
	 "highest RLIMIT_NOFILE a process may be given", 655350, false},
	{"RLIMIT_NOFILE", SHUNT_SCOPE_PROCESS, SET_AT_LEAST,
	 "per-process fd limit (this process): set LimitNOFILE= in proxies' units or the container runtime",
	 655350, false},
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static const char *const profiles[] = {"seed", "sockets", NULL};

const char *const *shunt_tune_profiles(void)
{
	return profiles;
}

const char *shunt_tune_scope_name(enum shunt_tune_scope s)
{
	return s == SHUNT_SCOPE_NETNS  ? "netns"
	       : s == SHUNT_SCOPE_HOST ? "host"
				       : "process";
}

const char *shunt_state_dir(const char *explicit_dir)
{
	const char *env = getenv(SHUNT_STATE_DIR_ENV);

	if (explicit_dir && *explicit_dir)
		return explicit_dir;
	return env && *env ? env : SHUNT_STATE_DIR_DEFAULT;
}

static bool in_profile(const struct setting *s, const char *profile)
{
	return !strcmp(profile, "seed") ||
	       (!strcmp(profile, "sockets") && s->socket);
}

static bool profile_known(const char *profile)
{
	const char *const *p;

	for (p = profiles; *p; p++)
		if (!strcmp(*p, profile))
			return true;
	return false;
}

static void sysctl_path(const char *key, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "/proc/sys/%s", key);
	for (i = strlen("/proc/sys/"); buf[i]; i++)
		if (buf[i] == '.')
			buf[i] = '/';
}

static int value_read(const struct setting *s, char *buf, size_t len)
{
	char path[256];
	struct rlimit rl;
	ssize_t n;
	int fd;

	if (s->scope == SHUNT_SCOPE_PROCESS) {
		if (getrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
		snprintf(buf, len, "%llu", (unsigned long long)rl.rlim_cur);
		return 0;
	}
	sysctl_path(s->key, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int value_write(const struct setting *s, const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	sysctl_path(s->key, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == strlen(val) ? 0 : -EIO;
}

/* What the profile wants given the current value ("" = leave it). */
static void wanted(const struct setting *s, const char *cur, char *buf,
		   size_t len)
{
	if (s->kind == SET_AT_LEAST && strtoll(cur, NULL, 10) >= s->seed)
		snprintf(buf, len, "%s", cur);
	else
		snprintf(buf, len, "%lld", s->seed);
}

int shunt_tune_audit(const char *profile, struct shunt_audit_row **rows,
		     size_t *n)
{
	struct shunt_audit_row *v;
	size_t i, cnt = 0;

	if (!profile_known(profile))
		return -ENOENT;
	v = calloc(N_SETTINGS, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		struct shunt_audit_row *r;

		if (!in_profile(s, profile))
			continue;
		r = &v[cnt++];
		r->key = s->key;
		r->reason = s->reason;
		r->scope = s->scope;
		r->present = value_read(s, r->current, sizeof(r->current)) == 0;
		if (!r->present)
			snprintf(r->current, sizeof(r->current), "-");
		wanted(s, r->current, r->recommended, sizeof(r->recommended));
		r->differs =
			r->present && strcmp(r->current, r->recommended) != 0;
	}
	*rows = v;
	*n = cnt;
	return 0;
}

/* The network namespace we are in, and whether it is the host's. */
static unsigned long netns_ino(const char *pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	return stat(path, &st) ? 0 : st.st_ino;
}

/* The initial network namespace has a fixed inode number (the kernel's
 * PROC_NET_INIT_INO). Where pid 1 can be read and shares our namespace
 * (a host's init), that counts too. */
#define NET_INIT_INO 0xF0000098UL

static bool in_init_netns(void)
{
	unsigned long self = netns_ino("self"), init = netns_ino("1");

	return self == NET_INIT_INO || (init && self == init);
}

static void save_path(const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/tune-netns-%lu.json", dir, netns_ino("self"));
}

/* Saved values: key -> value as it was before the first apply. */
static struct json_object *saved_load(const char *dir)
{
	char path[4096];
	struct json_object *o;

	save_path(dir, path, sizeof(path));
	o = json_object_from_file(path);
	if (o && json_object_is_type(o, json_type_object))
		return o;
	json_object_put(o);
	return json_object_new_object();
}

static int saved_store(const char *dir, struct json_object *saved)
{
	char path[4096], tmp[4200];

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	save_path(dir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_object_to_file_ext(tmp, saved, JSON_C_TO_STRING_PRETTY))
		return -EIO;
	return rename(tmp, path) ? -errno : 0;
}

/* Put back what apply changed so far (old values in undo). */
static void rollback(struct json_object *undo)
{
	size_t i;

	for (i = 0; i < N_SETTINGS; i++) {
		struct json_object *v;

		if (json_object_object_get_ex(undo, settings[i].key, &v))
			value_write(&settings[i], json_object_get_string(v));
	}
}

static int apply_one(const struct setting *s, struct json_object *saved,
		     struct json_object *undo, size_t *applied)
{
	char cur[64], want[64], check[64];
	int err;

	if (value_read(s, cur, sizeof(cur)))
		return 0; /* not in this kernel (nf_conntrack not loaded) */
	wanted(s, cur, want, sizeof(want));
	if (!strcmp(cur, want))
		return 0;
	err = value_write(s, want);
	if (!err &&
	    (value_read(s, check, sizeof(check)) || strcmp(check, want)))
		err = -EINVAL; /* the kernel clamped or ignored it */
	if (err) {
		value_write(s, cur);
		return err;
	}
	json_object_object_add(undo, s->key, json_object_new_string(cur));
	if (!json_object_object_get_ex(saved, s->key, NULL))
		json_object_object_add(saved, s->key,
				       json_object_new_string(cur));
	(*applied)++;
	return 0;
}

int shunt_tune_apply(const char *profile, const char *state_dir,
		     size_t *applied, size_t *skipped, const char **bad)
{
	struct json_object *saved, *undo;
	bool host = in_init_netns();
	size_t i;
	int err = 0;

	*applied = *skipped = 0;
	*bad = NULL;
	if (!profile_known(profile))
		return -ENOENT;
	saved = saved_load(state_dir);
	undo = json_object_new_object();
	for (i = 0; i < N_SETTINGS && !err; i++) {
		const struct setting *s = &settings[i];

		if (!in_profile(s, profile) || s->scope == SHUNT_SCOPE_PROCESS)
			continue;
		if (s->scope == SHUNT_SCOPE_HOST && !host) {
			(*skipped)++;
			continue;
		}
		err = apply_one(s, saved, undo, applied);
		if (err)
			*bad = s->key;
	}
	if (!err)
		err = saved_store(state_dir, saved);
	if (err) {
		rollback(undo);
		*applied = 0;
	}
	json_object_put(undo);
	json_object_put(saved);
	return err;
}

int shunt_tune_revert(const char *state_dir, size_t *restored)
{
	char path[4096];
	struct json_object *saved, *v;
	size_t i;
	int err = 0;

	*restored = 0;
	save_path(state_dir, path, sizeof(path));
	if (access(path, F_OK))
		return -ENOENT;
	saved = saved_load(state_dir);
	for (i = 0; i < N_SETTINGS; i++) {
		if (!json_object_object_get_ex(saved, settings[i].key, &v))
			continue;
		if (value_write(&settings[i], json_object_get_string(v)))
			err = -EIO;
		else
			(*restored)++;
	}
	json_object_put(saved);
	if (!err && unlink(path))
		err = -errno;
	return err;
}
