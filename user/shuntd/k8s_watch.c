// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Watch of one Kubernetes resource into its cache, after a list
 * (k8s_list.c), in a thread of its own. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "k8s_model.h"
#include "k8s_watch_int.h"
#include "log.h"

#define JSON_DEPTH	 128
#define LINE_MAX_BYTES	 (64UL << 20) /* one watch event */
#define WATCH_MIN	 300	      /* timeoutSeconds: 300..599 */
#define WATCH_SPREAD	 300
#define WATCH_IDLE_SLACK 60 /* the server ends it by then */

enum watch_end {
	W_END,	   /* the server ended the watch */
	W_GONE,	   /* 410 Gone: the resourceVersion is too old */
	W_FAILED,  /* HTTP error, dropped connection, ERROR event */
	W_STOPPED, /* k8s_source_stop() */
};

/* One watch response being read. */
struct wctx {
	struct k8s_watch *w;
	char *line;
	size_t len, cap;
	bool skipping;	  /* the rest of an over-long line */
	bool changed;	  /* the cache, since the last notification */
	unsigned int got; /* events and bookmarks */
};

/* --- shared state ------------------------------------------------------ */

int k8s_shared_init(struct k8s_shared *sh, const struct k8s_config *cfg,
		    int notify_fd, unsigned int n_kinds)
{
	pthread_condattr_t ca;
	int rc;

	memset(sh, 0, sizeof(*sh));
	sh->cfg = cfg;
	sh->notify_fd = notify_fd;
	sh->n_kinds = n_kinds;
	atomic_init(&sh->stop, false);
	pthread_mutex_init(&sh->lock, NULL);
	pthread_mutex_init(&sh->stop_lock, NULL);
	rc = -pthread_condattr_init(&ca);
	if (!rc)
		rc = -pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = -pthread_cond_init(&sh->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc) {
		pthread_mutex_destroy(&sh->lock);
		pthread_mutex_destroy(&sh->stop_lock);
	}
	return rc;
}

void k8s_shared_destroy(struct k8s_shared *sh)
{
	pthread_cond_destroy(&sh->stop_cond);
	pthread_mutex_destroy(&sh->stop_lock);
	pthread_mutex_destroy(&sh->lock);
}

void k8s_shared_stop(struct k8s_shared *sh)
{
	pthread_mutex_lock(&sh->stop_lock);
	atomic_store(&sh->stop, true);
	pthread_cond_broadcast(&sh->stop_cond);
	pthread_mutex_unlock(&sh->stop_lock);
}

bool k8s_watch_stopping(const struct k8s_watch *w)
{
	return atomic_load(&w->sh->stop);
}

/* Sleep ms unless stopped first; false when stopped. */
static bool sleep_ms(struct k8s_shared *sh, unsigned int ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&sh->stop_lock);
	while (!atomic_load(&sh->stop) &&
	       pthread_cond_timedwait(&sh->stop_cond, &sh->stop_lock, &ts) !=
		       ETIMEDOUT)
		;
	stop = atomic_load(&sh->stop);
	pthread_mutex_unlock(&sh->stop_lock);
	return !stop;
}

/* Wait before the next request after w->fails failures in a row:
 * 200 ms doubling up to 10 s, +-20 %. false when stopped. */
static bool back_off(struct k8s_watch *w)
{
	unsigned int shift = w->fails > 1 ? w->fails - 1 : 0, ms;

	if (shift > 6)
		shift = 6;
	ms = K8S_BACKOFF_MIN_MS << shift;
	ms = ms / 100 * (80 + rand_r(&w->seed) % 41);
	if (ms > K8S_BACKOFF_MAX_MS)
		ms = K8S_BACKOFF_MAX_MS;
	return sleep_ms(w->sh, ms);
}

void k8s_watch_notify(struct k8s_shared *sh)
{
	uint64_t one = 1;
	ssize_t n;

	if (sh->notify_fd < 0)
		return;
	n = write(sh->notify_fd, &one, sizeof(one));
	(void)n; /* a full counter already means "changed" */
}

void k8s_watch_count(struct k8s_watch *w, uint64_t *field)
{
	pthread_mutex_lock(&w->sh->lock);
	(*field)++;
	pthread_mutex_unlock(&w->sh->lock);
}

void k8s_watch_bad_event(struct k8s_watch *w, const char *what, const char *why)
{
	k8s_watch_count(w, &w->sh->stats.bad_events);
	log_warn("kubernetes event skipped", "resource", w->kind->name, "event",
		 what, "reason", why, NULL);
}

/* --- JSON -------------------------------------------------------------- */

struct json_object *k8s_json_parse(const char *s, size_t len)
{
	struct json_tokener *t = json_tokener_new_ex(JSON_DEPTH);
	struct json_object *o;
	size_t end;

	if (!t || len > INT32_MAX) {
		json_tokener_free(t);
		return NULL;
	}
	o = json_tokener_parse_ex(t, s, (int)len);
	end = json_tokener_get_parse_end(t);
	if (o && json_tokener_get_error(t) == json_tokener_success)
		while (end < len && strchr(" \t\r\n", s[end]))
			end++;
	if (o &&
	    (json_tokener_get_error(t) != json_tokener_success || end < len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	return o;
}

struct json_object *k8s_json_member(struct json_object *o, const char *key,
				    json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

bool k8s_watch_set_rv(struct k8s_watch *w, struct json_object *obj)
{
	const char *rv = k8s_object_rv(obj);

	if (!rv || strlen(rv) >= sizeof(w->rv))
		return false;
	strcpy(w->rv, rv);
	return true;
}

/* --- watch events ------------------------------------------------------ */

/* The cached object named key dropped (the sources forget it). */
static void forget(struct wctx *x, const char *key)
{
	struct k8s_watch *w = x->w;

	pthread_mutex_lock(&w->sh->lock);
	if (w->kind->changed && k8s_cache_get(&w->cache, key))
		w->kind->changed(w->owner, key, k8s_cache_get(&w->cache, key),
				 NULL);
	if (k8s_cache_del(&w->cache, key))
		x->changed = true;
	pthread_mutex_unlock(&w->sh->lock);
}

/*
 * An event whose object shunt cannot read (counted, logged): the version
 * cached under its name, if any, is no longer the object's and goes; and
 * since the stream may have lost more than this event, the resource is
 * listed again (-ESTALE ends the watch with a relist). The list skips
 * an object that is still unreadable there.
 */
static int bad_object(struct wctx *x, const char *type, const char *key,
		      const char *why)
{
	k8s_watch_bad_event(x->w, type, why);
	if (key)
		forget(x, key);
	return -ESTALE;
}

static int apply_put(struct wctx *x, const char *type, struct json_object *obj)
{
	struct k8s_watch *w = x->w;
	char key[2 * K8S_NAME_MAX], err[ERRLEN] = "";
	void *o;
	int rc;

	rc = k8s_object_key(obj, key, sizeof(key), err, sizeof(err));
	if (rc == -EINVAL)
		return bad_object(x, type, NULL, err);
	if (!rc)
		rc = w->kind->parse(obj, &o, err, sizeof(err));
	if (rc == -EINVAL)
		return bad_object(x, type, key, err);
	pthread_mutex_lock(&w->sh->lock);
	if (!rc && w->kind->changed)
		w->kind->changed(w->owner, key, k8s_cache_get(&w->cache, key),
				 o);
	if (!rc)
		rc = k8s_cache_put(&w->cache, key, o);
	if (!rc)
		w->sh->stats.events++;
	pthread_mutex_unlock(&w->sh->lock);
	if (rc)
		return -ESTALE; /* out of memory: the cache may be stale */
	k8s_watch_set_rv(w, obj);
	x->changed = true;
	return 0;
}

static int apply_delete(struct wctx *x, struct json_object *obj)
{
	struct k8s_watch *w = x->w;
	char key[2 * K8S_NAME_MAX], err[ERRLEN] = "";

	if (k8s_object_key(obj, key, sizeof(key), err, sizeof(err)))
		return bad_object(x, "DELETED", NULL, err);
	forget(x, key);
	k8s_watch_count(w, &w->sh->stats.events);
	k8s_watch_set_rv(w, obj);
	return 0;
}

/* An ERROR event ends the watch: 410 relists, the rest retries. */
static int apply_error(struct wctx *x, struct json_object *status)
{
	struct json_object *code =
		k8s_json_member(status, "code", json_type_int);
	struct json_object *msg =
		k8s_json_member(status, "message", json_type_string);
	char c[16];

	if (code && json_object_get_int(code) == 410)
		return -ESTALE;
	snprintf(c, sizeof(c), "%d", code ? json_object_get_int(code) : 0);
	log_warn("kubernetes watch error", "resource", x->w->kind->name, "code",
		 c, "message", msg ? json_object_get_string(msg) : "", NULL);
	return -EPROTO;
}

static int apply_event(struct wctx *x, const char *type,
		       struct json_object *obj)
{
	if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED"))
		return apply_put(x, type, obj);
	if (!strcmp(type, "DELETED"))
		return apply_delete(x, obj);
	if (!strcmp(type, "ERROR"))
		return apply_error(x, obj);
	if (!strcmp(type, "BOOKMARK")) {
		if (!k8s_watch_set_rv(x->w, obj))
			k8s_watch_bad_event(x->w, type, "no resourceVersion");
		return 0;
	}
	k8s_watch_bad_event(x->w, type, "unknown event type");
	return 0;
}

/* One line of the watch stream: 0, or -ESTALE / -EPROTO to end it. */
static int on_line(struct wctx *x, const char *s, size_t len)
{
	struct json_object *ev, *obj;
	const char *type;
	size_t i;
	int rc;

	for (i = 0; i < len && strchr(" \t\r", s[i]); i++)
		;
	if (i == len)
		return 0;
	ev = k8s_json_parse(s, len);
	type = json_object_get_string(
		k8s_json_member(ev, "type", json_type_string));
	obj = k8s_json_member(ev, "object", json_type_object);
	if (!ev || !type || !obj) {
		rc = bad_object(x, type ? type : "?", NULL,
				ev ? "no type or object" : "not JSON");
		json_object_put(ev);
		return rc;
	}
	x->got++;
	rc = apply_event(x, type, obj);
	json_object_put(ev);
	return rc;
}

static int line_append(struct wctx *x, const char *p, size_t n)
{
	size_t cap = x->cap ? x->cap : 16 * 1024;
	char *grown;

	if (x->skipping)
		return 0;
	if (x->len + n > LINE_MAX_BYTES) {
		x->skipping = true;
		x->len = 0;
		k8s_watch_bad_event(x->w, "?", "event too large");
		return 0;
	}
	while (cap < x->len + n)
		cap *= 2;
	if (cap != x->cap) {
		grown = realloc(x->line, cap);
		if (!grown)
			return -ENOMEM;
		x->line = grown;
		x->cap = cap;
	}
	memcpy(x->line + x->len, p, n);
	x->len += n;
	return 0;
}

static int watch_sink(const char *p, size_t len, void *arg)
{
	struct wctx *x = arg;
	const char *nl;
	size_t n;
	int rc = 0;

	while (len && !rc) {
		nl = memchr(p, '\n', len);
		n = nl ? (size_t)(nl - p) : len;
		rc = line_append(x, p, n);
		if (!rc && nl) {
			if (!x->skipping)
				rc = on_line(x, x->line, x->len);
			x->len = 0;
			x->skipping = false;
			n++;
		}
		p += n;
		len -= n;
	}
	if (x->changed)
		k8s_watch_notify(x->w->sh);
	x->changed = false;
	return rc;
}

/* --- the loop ---------------------------------------------------------- */

char *k8s_watch_selector(const struct k8s_watch *w)
{
	const char *sel = w->kind->field_selector, *what = "fieldSelector";
	char *esc, *q;

	if (!sel) {
		sel = w->sh->label_selector;
		what = "labelSelector";
	}
	if (!sel || !*sel)
		return strdup("");
	esc = curl_easy_escape(NULL, sel, 0);
	if (!esc)
		return NULL;
	if (asprintf(&q, "&%s=%s", what, esc) < 0)
		q = NULL;
	curl_free(esc);
	return q;
}

static char *watch_path(struct k8s_watch *w)
{
	char *rv = curl_easy_escape(NULL, w->rv, 0), *path;
	char *sel = k8s_watch_selector(w);
	unsigned int timeout = WATCH_MIN + rand_r(&w->seed) % WATCH_SPREAD;

	if (!rv || !sel) {
		curl_free(rv);
		free(sel);
		return NULL;
	}
	if (asprintf(&path,
		     "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s"
		     "&timeoutSeconds=%u%s",
		     w->kind->path, rv, timeout, sel) < 0)
		path = NULL;
	curl_free(rv);
	free(sel);
	return path;
}

static enum watch_end watch_result(struct k8s_watch *w, int rc, const char *err)
{
	char msg[256];

	if (rc == 200)
		return W_END;
	if (rc == -ECANCELED)
		return W_STOPPED;
	if (rc == 410 || rc == -ESTALE) {
		log_info("kubernetes watch expired, relisting", "resource",
			 w->kind->name, NULL);
		return W_GONE;
	}
	if (rc > 0) {
		k8s_status_message(w->client.errbody, msg, sizeof(msg));
		log_warn("kubernetes watch refused", "resource", w->kind->name,
			 "status", msg, NULL);
	} else if (rc != -EPROTO) {
		log_warn("kubernetes watch dropped", "resource", w->kind->name,
			 "error", err[0] ? err : strerror(-rc), NULL);
	}
	return W_FAILED;
}

/* One watch request; *productive when it brought events. */
static enum watch_end watch_once(struct k8s_watch *w, bool *productive)
{
	struct wctx x = {.w = w};
	struct k8s_req_opts o = {.idle = WATCH_MIN + WATCH_SPREAD +
					 WATCH_IDLE_SLACK};
	char err[ERRLEN] = "", *path = watch_path(w);
	int rc;

	if (!path)
		return W_FAILED;
	rc = k8s_client_get(&w->client, path, &o, watch_sink, &x, err,
			    sizeof(err));
	free(path);
	if (rc == 200 && x.len && !x.skipping) /* unterminated last line */
		rc = on_line(&x, x.line, x.len) ?: 200;
	if (x.changed)
		k8s_watch_notify(w->sh);
	free(x.line);
	*productive = x.got > 0;
	return watch_result(w, rc, err);
}

/* List if needed, then watch once; false when stopped. */
static bool step(struct k8s_watch *w)
{
	bool productive = false;
	int rc;

	if (!w->rv[0]) {
		rc = k8s_list_all(w);
		if (rc == -ECANCELED)
			return false;
		if (rc) {
			k8s_watch_count(w, &w->sh->stats.errors);
			w->fails++;
			return back_off(w);
		}
	}
	switch (watch_once(w, &productive)) {
	case W_STOPPED:
		return false;
	case W_GONE:
		w->rv[0] = '\0';
		/* fall through */
	case W_END:
		w->fails = productive ? 0 : w->fails + 1;
		return !w->fails || back_off(w);
	case W_FAILED:
	default:
		k8s_watch_count(w, &w->sh->stats.errors);
		w->fails = productive ? 1 : w->fails + 1;
		return back_off(w);
	}
}

static void *run(void *arg)
{
	struct k8s_watch *w = arg;

	while (!k8s_watch_stopping(w) && step(w))
		;
	return NULL;
}

int k8s_watch_init(struct k8s_watch *w, const struct k8s_kind *kind,
		   struct k8s_shared *sh, void *owner)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->owner = owner;
	w->sh = sh;
	w->seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)w;
	k8s_cache_init(&w->cache, kind->free);
	return k8s_client_init(&w->client, sh->cfg, &sh->stop);
}

int k8s_watch_start(struct k8s_watch *w)
{
	int rc = pthread_create(&w->thread, NULL, run, w);

	w->running = !rc;
	return -rc;
}

void k8s_watch_join(struct k8s_watch *w)
{
	if (!w->running)
		return;
	k8s_client_wake(&w->client);
	pthread_join(w->thread, NULL);
	w->running = false;
}

void k8s_watch_destroy(struct k8s_watch *w)
{
	k8s_client_free(&w->client);
	k8s_cache_clear(&w->cache);
}
