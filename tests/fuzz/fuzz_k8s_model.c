// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the Kubernetes model (user/lib/k8s_model.h): the
 * input is JSON, a List of Services and EndpointSlices as kubectl prints
 * them (or a bare object, or an array of objects). Every object goes
 * through k8s_object_key and, by kind, k8s_service_parse or
 * k8s_slice_parse; the parsed objects through k8s_model_desired.
 *
 * Checked, besides ASan/UBSan/LeakSanitizer: parse failures are -EINVAL
 * or -ENOMEM with a reason; the desired services come out sorted by key,
 * one per key, with sane keys, and backends that are sorted, unique, of
 * the VIP's family, with a port, weight 1 and a state; the result does
 * not depend on the order of the objects (when no two Services share
 * namespace/name: the first by name wins a key, ties are unordered).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_model.h"
#include "parse.h"

#define MAX_OBJS 64

static const uint8_t *cur_data;
static size_t cur_size;

#define BAD(...)                                                               \
	do {                                                                   \
		fprintf(stderr, "fuzz_k8s_model: " __VA_ARGS__);               \
		fprintf(stderr, "\n  input (%zu bytes): %.*s\n", cur_size,     \
			(int)cur_size, (const char *)cur_data);                \
		abort();                                                       \
	} while (0)

static void check_err(const char *what, int rc, const char *err)
{
	if (rc != -EINVAL && rc != -ENOMEM)
		BAD("%s returned %d", what, rc);
	if (!memchr(err, '\0', 256) || !err[0])
		BAD("%s failed without a reason", what);
}

static int cmp_be(const struct shunt_backend_spec *a,
		  const struct shunt_backend_spec *b)
{
	int c = memcmp(&a->addr, &b->addr, sizeof(a->addr));

	return c ? c : memcmp(&a->port, &b->port, sizeof(a->port));
}

static void check_desired(const struct shunt_desired *d)
{
	size_t i, j;

	for (i = 0; i < d->n; i++) {
		const struct shunt_desired_service *s = &d->svcs[i];
		char key[SHUNT_ADDRSTRLEN];

		shunt_format_service(&s->key, key, sizeof(key));
		if (i &&
		    memcmp(&d->svcs[i - 1].key, &s->key, sizeof(s->key)) >= 0)
			BAD("%s: services not sorted by key, or twice", key);
		if (strnlen(s->name, sizeof(s->name)) == sizeof(s->name))
			BAD("%s: name not NUL-terminated", key);
		if ((s->key.family != SHUNT_V4 && s->key.family != SHUNT_V6) ||
		    !s->key.port ||
		    (s->key.proto != IPPROTO_TCP &&
		     s->key.proto != IPPROTO_UDP))
			BAD("%s: bad key", key);
		if (s->affinity_timeout > SHUNT_AFFINITY_MAX_SECONDS)
			BAD("%s: affinity %u", key, s->affinity_timeout);
		if (s->n_backends && !s->backends)
			BAD("%s: backends NULL", key);
		for (j = 0; j < s->n_backends; j++) {
			const struct shunt_backend_spec *b = &s->backends[j];

			if (b->family != s->key.family)
				BAD("%s: backend %zu of family %u", key, j,
				    b->family);
			if (!b->port || b->weight != SHUNT_WEIGHT_DEFAULT ||
			    (b->state != SHUNT_BE_ACTIVE &&
			     b->state != SHUNT_BE_DRAINING))
				BAD("%s: backend %zu: port %u weight %u state "
				    "%u",
				    key, j, ntohs(b->port), b->weight,
				    b->state);
			if (j && cmp_be(&s->backends[j - 1], b) >= 0)
				BAD("%s: backends not sorted, or twice", key);
		}
	}
}

static void same_desired(const struct shunt_desired *a,
			 const struct shunt_desired *b)
{
	size_t i;

	if (a->n != b->n)
		BAD("object order changed the result: %zu vs %zu services",
		    a->n, b->n);
	for (i = 0; i < a->n; i++) {
		const struct shunt_desired_service *x = &a->svcs[i],
						   *y = &b->svcs[i];

		if (memcmp(&x->key, &y->key, sizeof(x->key)) ||
		    strcmp(x->name, y->name) ||
		    x->affinity_timeout != y->affinity_timeout ||
		    x->n_backends != y->n_backends ||
		    (x->n_backends &&
		     memcmp(x->backends, y->backends,
			    x->n_backends * sizeof(*x->backends))))
			BAD("object order changed service %zu", i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct k8s_ip *no_ips;
	struct k8s_service *svcs[MAX_OBJS];
	struct k8s_slice *slices[MAX_OBJS];
	const struct k8s_service *rsvcs[MAX_OBJS];
	const struct k8s_slice *rslices[MAX_OBJS];
	size_t n_svcs = 0, n_slices = 0, i, j, n_items;
	struct json_tokener *tok;
	struct json_object *root, *items;
	struct shunt_desired d1, d2;
	struct k8s_ip node_ips[2];
	struct k8s_model_opts o;
	bool unique = true;
	char err[256], key[600];
	int rc;

	cur_data = data;
	cur_size = size;
	tok = json_tokener_new();
	if (!tok)
		return 0;
	root = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!root)
		return 0;
	if (json_object_is_type(root, json_type_array))
		items = root;
	else if (!json_object_object_get_ex(root, "items", &items) ||
		 !json_object_is_type(items, json_type_array))
		items = NULL;
	n_items = items ? json_object_array_length(items) : 1;

	for (i = 0; i < n_items && i < MAX_OBJS; i++) {
		struct json_object *obj =
			items ? json_object_array_get_idx(items, i) : root;
		struct json_object *kind = NULL;
		const char *k;

		memset(err, 0, sizeof(err));
		rc = k8s_object_key(obj, key, sizeof(key), err, sizeof(err));
		if (rc)
			check_err("k8s_object_key", rc, err);
		else if (!strchr(key, '/'))
			BAD("object key '%s' has no '/'", key);
		(void)k8s_object_rv(obj);
		json_object_object_get_ex(obj, "kind", &kind);
		k = json_object_get_string(kind);
		/* Objects without a kind are tried as both. */
		if (!k || !strcmp(k, "Service")) {
			struct k8s_service *s = NULL;

			memset(err, 0, sizeof(err));
			rc = k8s_service_parse(obj, &s, err, sizeof(err));
			if (rc)
				check_err("k8s_service_parse", rc, err);
			else
				svcs[n_svcs++] = s;
		}
		if (!k || !strcmp(k, "EndpointSlice")) {
			struct k8s_slice *sl = NULL;

			memset(err, 0, sizeof(err));
			rc = k8s_slice_parse(obj, &sl, err, sizeof(err));
			if (rc)
				check_err("k8s_slice_parse", rc, err);
			else
				slices[n_slices++] = sl;
		}
	}

	memset(&o, 0, sizeof(o));
	o.node_name = "node-a";
	memset(node_ips, 0, sizeof(node_ips));
	if (shunt_parse_ip("192.168.1.10", &node_ips[0].addr,
			   &node_ips[0].family, NULL, 0) ||
	    shunt_parse_ip("fd00:1::10", &node_ips[1].addr, &node_ips[1].family,
			   NULL, 0))
		abort();
	o.node_ips = size & 1 ? node_ips : no_ips;
	o.n_node_ips = size & 1 ? 2 : 0;

	rc = k8s_model_desired((const struct k8s_service *const *)svcs, n_svcs,
			       (const struct k8s_slice *const *)slices,
			       n_slices, &o, &d1);
	if (rc)
		BAD("k8s_model_desired returned %d", rc);
	check_desired(&d1);

	/* The same objects in reverse order. */
	for (i = 0; i < n_svcs; i++) {
		rsvcs[i] = svcs[n_svcs - 1 - i];
		for (j = 0; j < i; j++)
			if (!strcmp(svcs[i]->ns, svcs[j]->ns) &&
			    !strcmp(svcs[i]->name, svcs[j]->name))
				unique = false;
	}
	for (i = 0; i < n_slices; i++)
		rslices[i] = slices[n_slices - 1 - i];
	rc = k8s_model_desired(rsvcs, n_svcs, rslices, n_slices, &o, &d2);
	if (rc)
		BAD("k8s_model_desired (reversed) returned %d", rc);
	if (unique)
		same_desired(&d1, &d2);
	shunt_desired_free(&d1);
	shunt_desired_free(&d2);

	for (i = 0; i < n_svcs; i++)
		k8s_service_free(svcs[i]);
	for (i = 0; i < n_slices; i++)
		k8s_slice_free(slices[i]);
	json_object_put(root);
	return 0;
}
