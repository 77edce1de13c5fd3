// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* healthCheckNodePorts of the Kubernetes source (see k8s_health.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_health.h"

static bool health_eq(const void *item, const void *key)
{
	return !strcmp(((const struct k8s_health *)item)->svc, key);
}

/* Ready endpoints of sl[0..n-1] on node, each address once. */
static uint32_t local_endpoints(const struct k8s_slice *const *sl, size_t n,
				const char *node)
{
	const struct k8s_endpoint *ep, *other;
	size_t i, j, a, b;
	uint32_t count = 0;
	bool seen;

	for (i = 0; node && i < n; i++)
		for (j = 0; j < sl[i]->n_eps; j++) {
			ep = &sl[i]->eps[j];
			if (ep->state != SHUNT_BE_ACTIVE || !ep->node ||
			    strcmp(ep->node, node))
				continue;
			seen = false;
			for (a = 0; a <= i && !seen; a++)
				for (b = 0; b < (a < i ? sl[a]->n_eps : j);
				     b++) {
					other = &sl[a]->eps[b];
					if (!memcmp(&other->ip, &ep->ip,
						    sizeof(ep->ip))) {
						seen = true;
						break;
					}
				}
			count += !seen;
		}
	return count;
}

int k8s_health_set(struct hindex *t, const char *key,
		   const struct k8s_service *svc,
		   const struct k8s_slice *const *sl, size_t n,
		   const char *node)
{
	uint64_t h = hindex_hash_str(key);
	struct k8s_health *e = hindex_get(t, h, key, health_eq);

	if (!svc || svc->type != K8S_SVC_LOAD_BALANCER || !svc->local ||
	    !svc->hc_node_port) {
		if (e) {
			hindex_del(t, h, e);
			free(e);
		}
		return 0;
	}
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		snprintf(e->svc, sizeof(e->svc), "%s", key);
		if (hindex_put(t, h, e)) {
			free(e);
			return -ENOMEM;
		}
	}
	e->port = svc->hc_node_port;
	e->local_endpoints = local_endpoints(sl, n, node);
	return 0;
}

void k8s_health_clear(struct hindex *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		if (t->slots[i].hash)
			free(t->slots[i].item);
	hindex_free(t);
	hindex_init(t);
}

static int cmp_port(const void *a, const void *b)
{
	const struct k8s_health *x = a, *y = b;

	return (int)x->port - (int)y->port;
}

int k8s_health_list(const struct hindex *t, struct k8s_health **out, size_t *n)
{
	size_t i;

	*n = 0;
	*out = calloc(t->n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].hash)
			(*out)[(*n)++] =
				*(const struct k8s_health *)t->slots[i].item;
	qsort(*out, *n, sizeof(**out), cmp_port);
	return 0;
}
