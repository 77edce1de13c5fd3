// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The full (paginated) list of one Kubernetes resource into a fresh
 * cache, which then replaces the watcher's. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "k8s_model.h"
#include "k8s_watch_int.h"
#include "log.h"

#define LIST_TIMEOUT  120	    /* seconds per page */
#define LIST_PAGE_MAX (256UL << 20) /* bytes */
#define LIST_RESTARTS 3		    /* expired continue tokens in a row */

struct buf {
	char *data;
	size_t len, cap;
};

static int buf_sink(const char *p, size_t len, void *arg)
{
	struct buf *b = arg;
	size_t cap = b->cap ? b->cap : 64 * 1024;
	char *grown;

	if (b->len + len > LIST_PAGE_MAX)
		return -E2BIG;
	while (cap < b->len + len)
		cap *= 2;
	if (cap != b->cap) {
		grown = realloc(b->data, cap);
		if (!grown)
			return -ENOMEM;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

/* GET path as JSON: 0, the HTTP status when not 200, or -errno. */
static int get_json(struct k8s_watch *w, const char *path,
		    struct json_object **out, char *err, size_t errlen)
{
	struct k8s_req_opts o = {.timeout = LIST_TIMEOUT};
	struct buf b = {0};
	char msg[256];
	int rc;

	rc = k8s_client_get(&w->client, path, &o, buf_sink, &b, err, errlen);
	if (rc == 200) {
		*out = k8s_json_parse(b.data ? b.data : "", b.len);
		rc = *out ? 0 : -EBADMSG;
		if (rc)
			snprintf(err, errlen, "list is not JSON");
	} else if (rc > 0) {
		k8s_status_message(w->client.errbody, msg, sizeof(msg));
		snprintf(err, errlen, "HTTP %d: %s", rc, msg);
	} else if (rc == -E2BIG) {
		snprintf(err, errlen, "list page too large");
	}
	free(b.data);
	return rc;
}

static void list_item(struct k8s_watch *w, struct k8s_cache *fresh,
		      struct json_object *item)
{
	char key[2 * K8S_NAME_MAX], err[ERRLEN] = "";
	void *obj;
	int rc;

	rc = k8s_object_key(item, key, sizeof(key), err, sizeof(err));
	if (!rc)
		rc = w->kind->parse(item, &obj, err, sizeof(err));
	if (!rc)
		rc = k8s_cache_put(fresh, key, obj);
	if (rc == -ENOMEM)
		snprintf(err, sizeof(err), "out of memory");
	if (rc)
		k8s_watch_bad_event(w, "list item", err);
}

static char *page_path(struct k8s_watch *w, const char *cont)
{
	char *esc = cont ? curl_easy_escape(NULL, cont, 0) : NULL;
	char *sel = k8s_watch_selector(w), *path;

	if ((cont && !esc) || !sel) {
		curl_free(esc);
		free(sel);
		return NULL;
	}
	if (asprintf(&path, "%s?limit=%d%s%s%s", w->kind->path, K8S_LIST_LIMIT,
		     sel, esc ? "&continue=" : "", esc ? esc : "") < 0)
		path = NULL;
	curl_free(esc);
	free(sel);
	return path;
}

/* One page into fresh; *cont becomes the next page's token or NULL. */
static int list_page(struct k8s_watch *w, struct k8s_cache *fresh, char **cont,
		     char *rv, char *err, size_t errlen)
{
	struct json_object *list = NULL, *items, *meta;
	char *path = page_path(w, *cont);
	const char *next, *v;
	size_t i;
	int rc;

	if (!path)
		return -ENOMEM;
	rc = get_json(w, path, &list, err, errlen);
	free(path);
	if (rc)
		return rc;
	items = k8s_json_member(list, "items", json_type_array);
	meta = k8s_json_member(list, "metadata", json_type_object);
	v = meta ? json_object_get_string(k8s_json_member(
			   meta, "resourceVersion", json_type_string))
		 : NULL;
	next = meta ? json_object_get_string(k8s_json_member(meta, "continue",
							     json_type_string))
		    : NULL;
	if (!v || !*v || strlen(v) >= sizeof(w->rv)) {
		snprintf(err, errlen, "list has no resourceVersion");
		json_object_put(list);
		return -EBADMSG;
	}
	strcpy(rv, v);
	for (i = 0; items && i < json_object_array_length(items); i++)
		list_item(w, fresh, json_object_array_get_idx(items, i));
	free(*cont);
	*cont = next && *next ? strdup(next) : NULL;
	rc = next && *next && !*cont ? -ENOMEM : 0;
	json_object_put(list);
	return rc;
}

/* Every page into fresh; rv gets the list's resourceVersion. */
static int list_pages(struct k8s_watch *w, struct k8s_cache *fresh, char *rv,
		      char *err, size_t errlen)
{
	unsigned int restarts = 0;
	char *cont = NULL;
	int rc;

	for (;;) {
		rc = list_page(w, fresh, &cont, rv, err, errlen);
		if (rc == 410 && cont && restarts++ < LIST_RESTARTS) {
			/* The continue token expired: from the start. */
			k8s_cache_clear(fresh);
			free(cont);
			cont = NULL;
			continue;
		}
		if (rc || !cont)
			break;
		if (k8s_watch_stopping(w)) {
			rc = -ECANCELED;
			break;
		}
	}
	free(cont);
	return rc;
}

/* A full list replaces the cache: objects deleted meanwhile go. */
int k8s_list_all(struct k8s_watch *w)
{
	char rv[sizeof(w->rv)] = "", err[ERRLEN] = "", n[32];
	struct k8s_cache fresh;
	size_t objects;
	int rc;

	k8s_cache_init(&fresh, w->kind->free);
	rc = list_pages(w, &fresh, rv, err, sizeof(err));
	if (rc) {
		k8s_cache_clear(&fresh);
		if (rc != -ECANCELED)
			log_warn("kubernetes list failed", "resource",
				 w->kind->name, "error",
				 err[0] ? err : strerror(-rc), NULL);
		return rc;
	}
	pthread_mutex_lock(&w->sh->lock);
	k8s_cache_swap(&w->cache, &fresh);
	if (w->kind->relisted)
		w->kind->relisted(w->owner, &w->cache);
	objects = w->cache.n;
	if (!w->listed)
		w->sh->n_listed++;
	w->listed = true;
	w->sh->stats.relists++;
	w->sh->stats.synced = w->sh->n_listed == w->sh->n_kinds;
	pthread_mutex_unlock(&w->sh->lock);
	k8s_cache_clear(&fresh);
	strcpy(w->rv, rv);
	k8s_watch_notify(w->sh);
	snprintf(n, sizeof(n), "%zu", objects);
	log_info("kubernetes list", "resource", w->kind->name, "objects", n,
		 "resourceVersion", rv, NULL);
	return 0;
}
