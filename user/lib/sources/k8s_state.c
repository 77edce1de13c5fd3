// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Kubernetes source's translated state, kept incrementally (see
 * k8s_state.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hindex.h"
#include "k8s_state.h"
#include "vec.h"

typedef VEC(char *) name_vec;

struct entry {
	char *key;		    /* "namespace/name" */
	__u64 created;		    /* rank among claimants */
	struct shunt_desired specs; /* as translated */
	name_vec emitted;	    /* names the last sync produced */
	bool dirty;
};

struct claimant {
	struct entry *e;
	bool external; /* claimed as other than a ClusterIP */
};

struct claim {
	struct shunt_frontend_key key;
	VEC(struct claimant) by;
};

typedef VEC(struct entry *) entry_vec;

/* An address: the Services that have it as a ClusterIP, and those that
 * want it as an externalIP or load balancer IP. */
struct ip_claim {
	struct k8s_ip ip;
	entry_vec owners, users; /* once per frontend */
};

struct k8s_state {
	struct hindex entries; /* key -> entry */
	struct hindex claims;  /* frontend key -> claim */
	struct hindex ips;     /* address -> ip_claim */
	entry_vec dirty;
	entry_vec all;
	k8s_refused_fn *refused;
	void *refused_arg;
};

static bool entry_eq(const void *item, const void *key)
{
	return !strcmp(((const struct entry *)item)->key, key);
}

static bool claim_eq(const void *item, const void *key)
{
	return !memcmp(&((const struct claim *)item)->key, key,
		       sizeof(struct shunt_frontend_key));
}

static bool ip_eq(const void *item, const void *key)
{
	return !memcmp(&((const struct ip_claim *)item)->ip, key,
		       sizeof(struct k8s_ip));
}

void k8s_state_on_refused(struct k8s_state *st, k8s_refused_fn *fn, void *arg)
{
	st->refused = fn;
	st->refused_arg = arg;
}

struct k8s_state *k8s_state_new(void)
{
	return calloc(1, sizeof(struct k8s_state));
}

void k8s_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void entry_free(struct entry *e)
{
	size_t i;

	for (i = 0; i < e->emitted.n; i++)
		free(e->emitted.v[i]);
	vec_free(&e->emitted);
	shunt_desired_free(&e->specs);
	free(e->key);
	free(e);
}

void k8s_state_free(struct k8s_state *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->all.n; i++)
		entry_free(st->all.v[i]);
	for (i = 0; i < st->claims.cap; i++)
		if (st->claims.slots[i].hash) {
			struct claim *c = st->claims.slots[i].item;

			vec_free(&c->by);
			free(c);
		}
	for (i = 0; i < st->ips.cap; i++)
		if (st->ips.slots[i].hash) {
			struct ip_claim *c = st->ips.slots[i].item;

			vec_free(&c->owners);
			vec_free(&c->users);
			free(c);
		}
	hindex_free(&st->entries);
	hindex_free(&st->claims);
	hindex_free(&st->ips);
	vec_free(&st->dirty);
	vec_free(&st->all);
	free(st);
}

static int mark(struct k8s_state *st, struct entry *e)
{
	if (e->dirty)
		return 0;
	e->dirty = true;
	return vec_push(&st->dirty, e);
}

/* "ns/name" keys in the order k8s_model_desired() takes Services:
 * namespace first, then name ("team/web" before "team-b/web", although
 * '-' sorts before '/'). */
static int key_cmp(const char *a, const char *b)
{
	size_t na = strcspn(a, "/"), nb = strcspn(b, "/");
	int c = strncmp(a, b, na < nb ? na : nb);

	if (c)
		return c;
	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a + na, b + nb);
}

/* Does claimant a rank before b? ClusterIP frontends first, then the
 * older Service, then namespace/name. */
static bool ranks_before(const struct claimant *a, const struct claimant *b)
{
	if (a->external != b->external)
		return !a->external;
	if (a->e->created != b->e->created)
		return a->e->created < b->e->created;
	return key_cmp(a->e->key, b->e->key) < 0;
}

/* The claimant that keeps the frontend, or NULL. */
static struct entry *winner(const struct claim *c)
{
	const struct claimant *w = NULL;
	size_t i;

	for (i = 0; i < c->by.n; i++)
		if (!w || ranks_before(&c->by.v[i], w))
			w = &c->by.v[i];
	return w ? w->e : NULL;
}

static struct ip_claim *ip_get(struct k8s_state *st,
			       const struct shunt_frontend_key *k, bool create)
{
	struct ip_claim *c;
	struct k8s_ip ip;
	uint64_t h;

	memset(&ip, 0, sizeof(ip));
	ip.addr = k->vip;
	ip.family = k->family;
	h = hindex_hash(&ip, sizeof(ip));
	c = hindex_get(&st->ips, h, &ip, ip_eq);
	if (c || !create)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ip = ip;
	if (hindex_put(&st->ips, h, c)) {
		free(c);
		return NULL;
	}
	return c;
}

/* Another Service than e with k's address as a ClusterIP, or NULL. */
static struct entry *ip_owner_other(struct k8s_state *st,
				    const struct shunt_frontend_key *k,
				    const struct entry *e)
{
	struct ip_claim *c = ip_get(st, k, false);
	size_t i;

	for (i = 0; c && i < c->owners.n; i++)
		if (c->owners.v[i] != e)
			return c->owners.v[i];
	return NULL;
}

static void entry_vec_drop(entry_vec *v, const struct entry *e)
{
	size_t i;

	for (i = 0; i < v->n && v->v[i] != e; i++)
		;
	if (i < v->n)
		v->v[i] = v->v[--v->n];
}

static int mark(struct k8s_state *st, struct entry *e);

/* e's frontend f adds to (or, !add, leaves) the address's claims; when
 * its owners change, those who want it as an external IP are output
 * again. */
static int ip_claim_update(struct k8s_state *st, struct entry *e,
			   const struct shunt_frontend_spec *f, bool add)
{
	bool owner = !(f->flags & SHUNT_FE_F_EXTERNAL);
	struct ip_claim *c;
	size_t i;
	int err = 0;

	if (!owner && !k8s_fe_is_external_ip(f))
		return 0;
	c = ip_get(st, &f->key, add);
	if (!c)
		return add ? -ENOMEM : 0;
	if (add)
		err = vec_push(owner ? &c->owners : &c->users, e);
	else
		entry_vec_drop(owner ? &c->owners : &c->users, e);
	for (i = 0; owner && i < c->users.n && !err; i++)
		err = mark(st, c->users.v[i]);
	if (!c->owners.n && !c->users.n) {
		hindex_del(&st->ips, hindex_hash(&c->ip, sizeof(c->ip)), c);
		vec_free(&c->owners);
		vec_free(&c->users);
		free(c);
	}
	return err;
}

static struct claim *claim_get(struct k8s_state *st,
			       const struct shunt_frontend_key *k, bool create)
{
	uint64_t h = hindex_hash(k, sizeof(*k));
	struct claim *c = hindex_get(&st->claims, h, k, claim_eq);

	if (c || !create)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->key = *k;
	if (hindex_put(&st->claims, h, c)) {
		free(c);
		return NULL;
	}
	return c;
}

/* Take e's claims away (its old specs); the new winners change. */
static int unclaim(struct k8s_state *st, struct entry *e)
{
	struct shunt_service_spec *sp;
	struct entry *before, *after;
	struct claim *c;
	size_t i, j, k;
	int err = 0;

	for (i = 0; i < e->specs.n; i++) {
		sp = &e->specs.svcs[i];
		for (j = 0; j < sp->n_frontends && !err; j++) {
			err = ip_claim_update(st, e, &sp->frontends[j], false);
			c = claim_get(st, &sp->frontends[j].key, false);
			if (err || !c)
				continue;
			before = winner(c);
			for (k = 0; k < c->by.n && c->by.v[k].e != e; k++)
				;
			if (k < c->by.n)
				c->by.v[k] = c->by.v[--c->by.n];
			after = winner(c);
			if (after && after != before)
				err = mark(st, after);
			if (!c->by.n) {
				hindex_del(&st->claims,
					   hindex_hash(&c->key, sizeof(c->key)),
					   c);
				vec_free(&c->by);
				free(c);
			}
		}
	}
	return err;
}

static int claim_all(struct k8s_state *st, struct entry *e)
{
	struct shunt_service_spec *sp;
	struct entry *before;
	struct claim *c;
	size_t i, j;
	int err = 0;

	for (i = 0; i < e->specs.n; i++) {
		sp = &e->specs.svcs[i];
		for (j = 0; j < sp->n_frontends && !err; j++) {
			struct claimant me = {
				.e = e,
				.external = sp->frontends[j].flags &
					    SHUNT_FE_F_EXTERNAL,
			};

			err = ip_claim_update(st, e, &sp->frontends[j], true);
			c = err ? NULL
				: claim_get(st, &sp->frontends[j].key, true);
			if (!c)
				return err ? err : -ENOMEM;
			before = winner(c);
			err = vec_push(&c->by, me);
			if (!err && before && winner(c) != before)
				err = mark(st, before);
		}
	}
	return err;
}

static struct entry *entry_get(struct k8s_state *st, const char *key)
{
	uint64_t h = hindex_hash_str(key);
	struct entry *e = hindex_get(&st->entries, h, key, entry_eq);

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = strdup(key);
	if (!e->key || hindex_put(&st->entries, h, e) ||
	    vec_push(&st->all, e)) {
		hindex_del(&st->entries, h, e);
		free(e->key);
		free(e);
		return NULL;
	}
	return e;
}

int k8s_state_set(struct k8s_state *st, const char *key, __u64 created,
		  struct shunt_desired *specs)
{
	struct entry *e = entry_get(st, key);
	int err;

	if (!e)
		return -ENOMEM;
	err = unclaim(st, e);
	if (err)
		return err;
	e->created = created;
	shunt_desired_free(&e->specs);
	e->specs = *specs;
	shunt_desired_init(specs);
	err = claim_all(st, e);
	return err ? err : mark(st, e);
}

/* Is key a frontend of out->svcs[first..n-2] (an earlier spec of the
 * same Service)? The first keeps it, as in the full translation. */
static bool emitted_before(const struct shunt_desired *out, size_t first,
			   const struct shunt_frontend_key *key)
{
	size_t i, j;

	for (i = first; i + 1 < out->n; i++)
		for (j = 0; j < out->svcs[i].n_frontends; j++)
			if (!memcmp(&out->svcs[i].frontends[j].key, key,
				    sizeof(*key)))
				return true;
	return false;
}

/* Does e keep its frontend f of spec name? Refusals are told. */
static bool keeps(struct k8s_state *st, struct entry *e, const char *name,
		  const struct shunt_frontend_spec *f)
{
	enum k8s_refusal why = K8S_REFUSED_CLUSTER_IP;
	struct entry *holder = NULL;

	if (k8s_fe_is_external_ip(f))
		holder = ip_owner_other(st, &f->key, e);
	if (!holder) {
		why = K8S_REFUSED_TAKEN;
		holder = winner(claim_get(st, &f->key, false));
		if (holder == e)
			return true;
	}
	if (st->refused && holder)
		st->refused(st->refused_arg, name, &f->key, why, holder->key);
	return false;
}

/* e's specs as they are applied: frontends it does not own left out,
 * specs without frontends dropped. */
static int output(struct k8s_state *st, struct entry *e,
		  struct shunt_desired *out, size_t *first)
{
	struct shunt_service_spec *sp;
	size_t i, j, n;
	int err;

	*first = out->n;
	for (i = 0; i < e->specs.n; i++) {
		err = shunt_desired_add(out, &e->specs.svcs[i]);
		if (err)
			return err;
		sp = &out->svcs[out->n - 1];
		for (j = 0, n = 0; j < sp->n_frontends; j++)
			if (keeps(st, e, sp->name, &sp->frontends[j]) &&
			    !emitted_before(out, *first, &sp->frontends[j].key))
				sp->frontends[n++] = sp->frontends[j];
		sp->n_frontends = n;
		if (!n) {
			shunt_spec_free(sp);
			out->n--;
		}
	}
	return 0;
}

/* Names e produced before and not now go to remove; remember the new. */
static int account(struct entry *e, const struct shunt_desired *out,
		   size_t first, name_vec *rm)
{
	size_t i, j;
	char *name;
	int err = 0;

	for (i = 0; i < e->emitted.n && !err; i++) {
		for (j = first; j < out->n; j++)
			if (!strcmp(out->svcs[j].name, e->emitted.v[i]))
				break;
		if (j == out->n) {
			err = vec_push(rm, e->emitted.v[i]);
			e->emitted.v[i] = NULL;
		}
	}
	for (i = 0; i < e->emitted.n; i++)
		free(e->emitted.v[i]);
	e->emitted.n = 0;
	for (j = first; j < out->n && !err; j++) {
		name = strdup(out->svcs[j].name);
		err = name ? vec_push(&e->emitted, name) : -ENOMEM;
	}
	return err;
}

static void forget(struct k8s_state *st, struct entry *e)
{
	size_t i;

	hindex_del(&st->entries, hindex_hash_str(e->key), e);
	for (i = 0; i < st->all.n && st->all.v[i] != e; i++)
		;
	if (i < st->all.n)
		st->all.v[i] = st->all.v[--st->all.n];
	entry_free(e);
}

int k8s_state_delta(struct k8s_state *st, struct shunt_desired *upsert,
		    char ***remove, size_t *n_remove)
{
	name_vec rm = {};
	struct entry *e;
	size_t i, first;
	int err = 0;

	shunt_desired_init(upsert);
	for (i = 0; i < st->dirty.n && !err; i++) {
		e = st->dirty.v[i];
		e->dirty = false;
		err = output(st, e, upsert, &first);
		if (!err)
			err = account(e, upsert, first, &rm);
		if (!err && !e->specs.n && !e->emitted.n)
			forget(st, e);
	}
	st->dirty.n = 0;
	if (err) {
		shunt_desired_free(upsert);
		k8s_names_free(rm.v, rm.n);
		return err;
	}
	*remove = rm.v;
	*n_remove = rm.n;
	return 0;
}

static int cmp_spec_name(const void *a, const void *b)
{
	return strcmp(((const struct shunt_service_spec *)a)->name,
		      ((const struct shunt_service_spec *)b)->name);
}

int k8s_state_full(struct k8s_state *st, struct shunt_desired *out)
{
	name_vec rm = {};
	size_t i, first;
	int err = 0;

	shunt_desired_init(out);
	for (i = 0; i < st->dirty.n; i++)
		st->dirty.v[i]->dirty = false;
	st->dirty.n = 0;
	for (i = 0; i < st->all.n && !err; i++) {
		err = output(st, st->all.v[i], out, &first);
		if (!err)
			err = account(st->all.v[i], out, first, &rm);
	}
	k8s_names_free(rm.v, rm.n);
	for (i = st->all.n; !err && i-- > 0;)
		if (!st->all.v[i]->specs.n)
			forget(st, st->all.v[i]);
	if (err) {
		shunt_desired_free(out);
		return err;
	}
	if (out->n)
		qsort(out->svcs, out->n, sizeof(*out->svcs), cmp_spec_name);
	return 0;
}
