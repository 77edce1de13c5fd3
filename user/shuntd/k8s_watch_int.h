/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the list (k8s_list.c) and the watch (k8s_watch.c) of a resource
 * share. */
#ifndef SHUNTD_K8S_WATCH_INT_H
#define SHUNTD_K8S_WATCH_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "k8s_watch.h"

#define ERRLEN 512

bool k8s_watch_stopping(const struct k8s_watch *w);
/* Tell the agent the cache changed (its eventfd). */
void k8s_watch_notify(struct k8s_shared *sh);
void k8s_watch_count(struct k8s_watch *w, uint64_t *field);
void k8s_watch_bad_event(struct k8s_watch *w, const char *what,
			 const char *why);
/* A whole JSON document, or NULL. */
struct json_object *k8s_json_parse(const char *s, size_t len);
/* Member key of o when it has that type, else NULL. */
struct json_object *k8s_json_member(struct json_object *o, const char *key,
				    json_type type);
/* "&fieldSelector=..." for the kind's field selector, else
 * "&labelSelector=..." for the source's, "" without either; NULL when
 * out of memory. Freed by the caller. */
char *k8s_watch_selector(const struct k8s_watch *w);
/* Remember obj's resourceVersion to watch from; false when it has none. */
bool k8s_watch_set_rv(struct k8s_watch *w, struct json_object *obj);

/* List the resource whole into its cache (k8s_list.c). 0 or -errno. */
int k8s_list_all(struct k8s_watch *w);

#endif /* SHUNTD_K8S_WATCH_INT_H */
