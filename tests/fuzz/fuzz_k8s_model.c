// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the Kubernetes model (user/lib/sources/
 * k8s_model.h, k8s_state.h): the input is JSON, a List of Services and
 * EndpointSlices as kubectl prints them (or a bare object, or an array of
 * objects). Every object goes through k8s_object_key and, by kind,
 * k8s_service_parse or k8s_slice_parse; the parsed objects through
 * k8s_model_desired, and each Service through k8s_translate_service into
 * a k8s_state.
 *
 * Checked, besides ASan/UBSan/LeakSanitizer: parse failures are -EINVAL
 * or -ENOMEM with a reason; the desired services come out sorted by
 * name, each with a frontend, every frontend in one service only, sane
 * keys of one family and protocol per service, the NodePort wildcard
 * (zero VIP) exactly when flagged NODEPORT, NODEPORT and LOCAL only with
 * EXTERNAL, LOCAL exactly in the "/local" services, IPv6 exactly in the
 * "/ipv6" ones, automatic table size; backends sorted, unique, of the
 * service's family, with a port, weight 1 and a state. When no two
 * Services share namespace/name and no two services share a name (as
 * the API server's validation guarantees): the result does not depend
 * on the order of the objects, and k8s_state (the incremental path)
 * gives the same services as k8s_model_desired, in full and as deltas,
 * also after some Services are deleted. (Not checked for a Service that
 * repeats a frontend across its own ports, e.g. the same port twice,
 * which the API server refuses.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_model.h"
#include "k8s_state.h"
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

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* Some frontend of d->svcs[0..i] (of svcs[i]: before j) is key. */
static bool seen_fe(const struct shunt_desired *d, size_t i, size_t j)
{
	const struct shunt_frontend_key *k = &d->svcs[i].frontends[j].key;
	size_t x, y;

	for (x = 0; x <= i; x++)
		for (y = 0; y < (x < i ? d->svcs[x].n_frontends : j); y++)
			if (!memcmp(&d->svcs[x].frontends[y].key, k,
				    sizeof(*k)))
				return true;
	return false;
}

static void check_frontend(const struct shunt_service_spec *s, size_t j)
{
	const struct shunt_frontend_spec *f = &s->frontends[j];
	const struct shunt_frontend_key *k = &f->key;
	bool wild = shunt_frontend_is_nodeport(k);
	char fe[SHUNT_ADDRSTRLEN];

	shunt_format_service(k, fe, sizeof(fe));
	if ((k->family != SHUNT_V4 && k->family != SHUNT_V6) || !k->port ||
	    (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP))
		BAD("%s: bad frontend %s", s->name, fe);
	if (k->family != s->frontends[0].key.family ||
	    k->proto != s->frontends[0].key.proto)
		BAD("%s: frontend %s of another family or protocol", s->name,
		    fe);
	if (wild != !!(f->flags & SHUNT_FE_F_NODEPORT) ||
	    (f->flags & ~(SHUNT_FE_F_NODEPORT | SHUNT_FE_F_EXTERNAL |
			  SHUNT_FE_F_LOCAL | SHUNT_FE_F_SRC_RANGES)) ||
	    ((f->flags & SHUNT_FE_F_SRC_RANGES) && !s->n_src_ranges) ||
	    ((f->flags & (SHUNT_FE_F_NODEPORT | SHUNT_FE_F_LOCAL)) &&
	     !(f->flags & SHUNT_FE_F_EXTERNAL)))
		BAD("%s: frontend %s with flags %#x", s->name, fe, f->flags);
}

/* s is made of [a-z0-9.-] (as Kubernetes names and port names are). */
static bool dns_name(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.'))
			return false;
	return true;
}

/* Every namespace, name and port name could be Kubernetes': the names of
 * the translation tell what each service is. */
static bool names_valid(struct k8s_service **svcs, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!dns_name(svcs[i]->ns) || !dns_name(svcs[i]->name) ||
		    strlen(svcs[i]->ns) > 63 || strlen(svcs[i]->name) > 63)
			return false;
		for (j = 0; j < svcs[i]->n_ports; j++)
			if (!dns_name(svcs[i]->ports[j].name))
				return false;
	}
	return true;
}

/* unique: names are known not to collide; valid: names_valid() (then the
 * name's tails are checked too). */
static void check_desired(const struct shunt_desired *d, bool unique,
			  bool valid)
{
	size_t i, j;

	for (i = 0; i < d->n; i++) {
		const struct shunt_service_spec *s = &d->svcs[i];
		const char *name = s->name;
		bool local, v6;

		if (strnlen(s->name, sizeof(s->name)) == sizeof(s->name))
			BAD("service %zu: name not NUL-terminated", i);
		if (i && strcmp(d->svcs[i - 1].name, name) > 0)
			BAD("%s: services not sorted by name", name);
		if (unique && i && !strcmp(d->svcs[i - 1].name, name))
			BAD("%s: name twice", name);
		if (!s->n_frontends || !s->frontends)
			BAD("%s: no frontend", name);
		if (s->table_size ||
		    s->affinity_timeout > SHUNT_AFFINITY_MAX_SECONDS)
			BAD("%s: table_size %u, affinity %u", name,
			    s->table_size, s->affinity_timeout);
		local = s->frontends[0].flags & SHUNT_FE_F_LOCAL;
		v6 = s->frontends[0].key.family == SHUNT_V6;
		if (valid && (local != ends_with(name, "/local") ||
			      v6 != (ends_with(name, "/ipv6") ||
				     ends_with(name, "/ipv6/local"))))
			BAD("%s: name does not say local %d, IPv6 %d", name,
			    local, v6);
		for (j = 0; j < s->n_frontends; j++) {
			check_frontend(s, j);
			if (local !=
			    !!(s->frontends[j].flags & SHUNT_FE_F_LOCAL))
				BAD("%s: local and cluster frontends mixed",
				    name);
			if (seen_fe(d, i, j))
				BAD("%s: frontend %zu twice", name, j);
		}
		if (s->n_backends && !s->backends)
			BAD("%s: backends NULL", name);
		for (j = 0; j < s->n_backends; j++) {
			const struct shunt_backend_spec *b = &s->backends[j];

			if (b->family != s->frontends[0].key.family)
				BAD("%s: backend %zu of family %u", name, j,
				    b->family);
			if (!b->port || b->weight != SHUNT_WEIGHT_DEFAULT ||
			    (b->state != SHUNT_BE_ACTIVE &&
			     b->state != SHUNT_BE_DRAINING))
				BAD("%s: backend %zu: port %u weight %u state "
				    "%u",
				    name, j, ntohs(b->port), b->weight,
				    b->state);
			if (j && cmp_be(&s->backends[j - 1], b) >= 0)
				BAD("%s: backends not sorted, or twice", name);
		}
	}
}

static bool same_spec(const struct shunt_service_spec *x,
		      const struct shunt_service_spec *y)
{
	return !strcmp(x->name, y->name) && x->table_size == y->table_size &&
	       x->affinity_timeout == y->affinity_timeout &&
	       x->n_frontends == y->n_frontends &&
	       x->n_backends == y->n_backends &&
	       (!x->n_frontends ||
		!memcmp(x->frontends, y->frontends,
			x->n_frontends * sizeof(*x->frontends))) &&
	       (!x->n_backends ||
		!memcmp(x->backends, y->backends,
			x->n_backends * sizeof(*x->backends))) &&
	       x->n_src_ranges == y->n_src_ranges &&
	       (!x->n_src_ranges ||
		!memcmp(x->src_ranges, y->src_ranges,
			x->n_src_ranges * sizeof(*x->src_ranges)));
}

static void same_desired(const char *what, const struct shunt_desired *a,
			 const struct shunt_desired *b)
{
	size_t i;

	if (a->n != b->n)
		BAD("%s: %zu vs %zu services", what, a->n, b->n);
	for (i = 0; i < a->n; i++)
		if (!same_spec(&a->svcs[i], &b->svcs[i]))
			BAD("%s: service %zu ('%s', '%s') differs", what, i,
			    a->svcs[i].name, b->svcs[i].name);
}

/* --- the incremental state ------------------------------------------ */

/* d is a map name -> spec (sorted by name): apply a delta to it. */
static void apply_delta(struct shunt_desired *map, struct shunt_desired *up,
			char **rm, size_t n_rm)
{
	struct shunt_service_spec *s;
	struct shunt_desired next;
	size_t i, j;

	shunt_desired_init(&next);
	for (i = 0; i < map->n; i++) {
		s = &map->svcs[i];
		if (shunt_desired_find(up, s->name))
			continue;
		for (j = 0; j < n_rm && s; j++)
			if (!strcmp(rm[j], s->name))
				s = NULL;
		if (s && shunt_desired_add(&next, s))
			abort();
	}
	for (i = 0; i < up->n; i++) {
		for (j = 0; j < n_rm; j++)
			if (!strcmp(rm[j], up->svcs[i].name))
				BAD("delta: '%s' both upserted and removed",
				    rm[j]);
		if (shunt_desired_add(&next, &up->svcs[i]))
			abort();
	}
	shunt_desired_free(map);
	*map = next;
}

static int cmp_spec_name(const void *a, const void *b)
{
	return strcmp(((const struct shunt_service_spec *)a)->name,
		      ((const struct shunt_service_spec *)b)->name);
}

static void take_delta(struct k8s_state *st, struct shunt_desired *map)
{
	struct shunt_desired up;
	char **rm = NULL;
	size_t n_rm = 0;

	if (k8s_state_delta(st, &up, &rm, &n_rm))
		BAD("k8s_state_delta failed");
	apply_delta(map, &up, rm, n_rm);
	if (map->n)
		qsort(map->svcs, map->n, sizeof(*map->svcs), cmp_spec_name);
	shunt_desired_free(&up);
	k8s_names_free(rm, n_rm);
}

/* Set Service svcs[i] (from its translation, or gone) in st. */
static void state_set(struct k8s_state *st, const struct k8s_service *svc,
		      struct k8s_slice *const *slices, size_t n_slices,
		      const struct k8s_model_opts *o, bool gone)
{
	struct shunt_desired specs;
	char key[2 * K8S_NAME_MAX];

	shunt_desired_init(&specs);
	if (!gone &&
	    k8s_translate_service(svc, (const struct k8s_slice *const *)slices,
				  n_slices, o, &specs))
		BAD("k8s_translate_service failed");
	snprintf(key, sizeof(key), "%s/%s", svc->ns, svc->name);
	if (k8s_state_set(st, key, gone ? K8S_CREATED_UNKNOWN : svc->created,
			  &specs))
		BAD("k8s_state_set failed");
	shunt_desired_free(&specs);
}

/*
 * Services given to a k8s_state one by one give, as deltas and in full,
 * what k8s_model_desired gives (want); so do they after the first half
 * of them is deleted.
 */
static void check_state(struct k8s_service **svcs, size_t n_svcs,
			struct k8s_slice **slices, size_t n_slices,
			const struct k8s_model_opts *o,
			const struct shunt_desired *want)
{
	struct k8s_state *st = k8s_state_new();
	struct shunt_desired map, full, rest;
	size_t i, half = n_svcs / 2;

	if (!st)
		abort();
	shunt_desired_init(&map);
	for (i = 0; i < n_svcs; i++)
		state_set(st, svcs[i], slices, n_slices, o, false);
	take_delta(st, &map);
	same_desired("k8s_state deltas vs k8s_model_desired", &map, want);

	for (i = 0; i < half; i++)
		state_set(st, svcs[i], slices, n_slices, o, true);
	take_delta(st, &map);
	if (k8s_model_desired((const struct k8s_service *const *)svcs + half,
			      n_svcs - half,
			      (const struct k8s_slice *const *)slices, n_slices,
			      o, &rest))
		BAD("k8s_model_desired (rest) failed");
	same_desired("k8s_state deltas after deletes", &map, &rest);
	if (k8s_state_full(st, &full))
		BAD("k8s_state_full failed");
	same_desired("k8s_state_full after deletes", &full, &rest);
	shunt_desired_free(&full);
	shunt_desired_free(&rest);
	shunt_desired_free(&map);
	k8s_state_free(st);
}

/*
 * Can the state be compared? Service keys unique, names unique across
 * all translations, and no Service repeating a frontend of its own.
 */
static bool comparable(struct k8s_service **svcs, size_t n_svcs,
		       struct k8s_slice **slices, size_t n_slices,
		       const struct k8s_model_opts *o)
{
	struct shunt_desired all, one;
	size_t i, j, from;
	bool ok = true;

	shunt_desired_init(&all);
	for (i = 0; i < n_svcs && ok; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(svcs[i]->ns, svcs[j]->ns) &&
			    !strcmp(svcs[i]->name, svcs[j]->name))
				ok = false;
		shunt_desired_init(&one);
		if (k8s_translate_service(
			    svcs[i], (const struct k8s_slice *const *)slices,
			    n_slices, o, &one))
			BAD("k8s_translate_service failed");
		for (j = 0; j < one.n && ok; j++)
			for (from = 0; from < one.svcs[j].n_frontends; from++)
				if (seen_fe(&one, j, from))
					ok = false;
		for (j = 0; j < one.n; j++) {
			if (shunt_desired_find(&all, one.svcs[j].name))
				ok = false;
			if (shunt_desired_add(&all, &one.svcs[j]))
				abort();
		}
		shunt_desired_free(&one);
	}
	shunt_desired_free(&all);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k8s_service *svcs[MAX_OBJS];
	struct k8s_slice *slices[MAX_OBJS];
	const struct k8s_service *rsvcs[MAX_OBJS];
	const struct k8s_slice *rslices[MAX_OBJS];
	size_t n_svcs = 0, n_slices = 0, i, n_items;
	struct json_tokener *tok;
	struct json_object *root, *items;
	struct shunt_desired d1, d2;
	struct k8s_model_opts o;
	bool unique;
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
		if (!k || !strcmp(k, "Node")) {
			struct k8s_node *nd = NULL;

			memset(err, 0, sizeof(err));
			rc = k8s_node_parse(obj, &nd, err, sizeof(err));
			if (rc)
				check_err("k8s_node_parse", rc, err);
			k8s_node_free(nd);
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
	o.node_name = size & 1 ? "node-a" : NULL;
	/* Topology hints weighed for a zone too, on every other input. */
	o.zone = size & 2 ? "zone-a" : NULL;
	unique = comparable(svcs, n_svcs, slices, n_slices, &o);

	rc = k8s_model_desired((const struct k8s_service *const *)svcs, n_svcs,
			       (const struct k8s_slice *const *)slices,
			       n_slices, &o, &d1);
	if (rc)
		BAD("k8s_model_desired returned %d", rc);
	check_desired(&d1, unique, unique && names_valid(svcs, n_svcs));

	/* The same objects in reverse order. */
	for (i = 0; i < n_svcs; i++)
		rsvcs[i] = svcs[n_svcs - 1 - i];
	for (i = 0; i < n_slices; i++)
		rslices[i] = slices[n_slices - 1 - i];
	rc = k8s_model_desired(rsvcs, n_svcs, rslices, n_slices, &o, &d2);
	if (rc)
		BAD("k8s_model_desired (reversed) returned %d", rc);
	if (unique) {
		same_desired("object order changed the result", &d1, &d2);
		check_state(svcs, n_svcs, slices, n_slices, &o, &d1);
	}
	shunt_desired_free(&d1);
	shunt_desired_free(&d2);

	for (i = 0; i < n_svcs; i++)
		k8s_service_free(svcs[i]);
	for (i = 0; i < n_slices; i++)
		k8s_slice_free(slices[i]);
	json_object_put(root);
	return 0;
}
