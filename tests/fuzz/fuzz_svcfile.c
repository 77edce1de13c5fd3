// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the services file parser (user/lib/sources/
 * svcfile.h): shunt_svcfile_parse on YAML and JSON text.
 *
 * Checked, besides ASan/UBSan/LeakSanitizer:
 *  - failure: a negative errno, err "NAME:..." NUL-terminated, out
 *    untouched;
 *  - success: every name non-empty, NUL-terminated and unique; every
 *    service's frontends sane and of one family: first the VIP (flags 0,
 *    a VIP, not the wildcard), then at most one NodePort wildcard (zero
 *    VIP, flags NODEPORT|EXTERNAL), then external IPs at the VIP's port
 *    (flags EXTERNAL); every frontend unique across the file; the table
 *    size 0 (automatic) or a prime in range, the affinity in range, at
 *    most shunt_backend_capacity() backends, each of the VIP's family
 *    with a port, a weight in range, a state, and unique within its
 *    service;
 *  - round trip: the result written back as YAML (name, vip, port,
 *    protocol, node_port, external_ips, table_size, affinity, backends)
 *    parses to the same services.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "parse.h"
#include "svcfile.h"

#define NAME "fuzz.yaml"

static const uint8_t *cur_data;
static size_t cur_size;

#define BAD(...)                                                               \
	do {                                                                   \
		fprintf(stderr, "fuzz_svcfile: " __VA_ARGS__);                 \
		fprintf(stderr, "\n  input (%zu bytes): \"%.*s\"\n", cur_size, \
			(int)cur_size, (const char *)cur_data);                \
		abort();                                                       \
	} while (0)

static bool key_sane(const struct shunt_frontend_key *k)
{
	return (k->family == SHUNT_V4 || k->family == SHUNT_V6) && k->port &&
	       (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP);
}

/* Frontend j of s: in its place (VIP, wildcard, external IPs), sane. */
static void check_frontend(const struct shunt_service_spec *s, size_t j,
			   const char *name)
{
	const struct shunt_frontend_spec *f = &s->frontends[j], *vip;
	bool wild = shunt_frontend_is_nodeport(&f->key);
	__u32 fl = f->flags & ~SHUNT_FE_F_SRC_RANGES;
	char fe[SHUNT_ADDRSTRLEN];
	size_t k;

	shunt_format_service(&f->key, fe, sizeof(fe));
	vip = &s->frontends[0];
	if (!key_sane(&f->key))
		BAD("%s: frontend %zu (%s): bad key", name, j, fe);
	if (f->key.family != vip->key.family || f->key.proto != vip->key.proto)
		BAD("%s: frontend %s of another family or protocol", name, fe);
	if (f->key.family == SHUNT_V4 &&
	    (f->key.vip.v6[1] || f->key.vip.v6[2] || f->key.vip.v6[3]))
		BAD("%s: IPv4 frontend %s with nonzero tail", name, fe);
	if (!!(f->flags & SHUNT_FE_F_SRC_RANGES) != !!s->n_src_ranges)
		BAD("%s: frontend %s flags %#x with %zu source ranges", name,
		    fe, f->flags, s->n_src_ranges);
	if (!j) {
		if (fl || wild)
			BAD("%s: the VIP %s is the wildcard or has flags %#x",
			    name, fe, fl);
	} else if (wild) {
		if (j != 1 || fl != (SHUNT_FE_F_NODEPORT | SHUNT_FE_F_EXTERNAL))
			BAD("%s: NodePort %s at %zu with flags %#x", name, fe,
			    j, fl);
	} else if (fl != SHUNT_FE_F_EXTERNAL || f->key.port != vip->key.port) {
		BAD("%s: external IP %s with flags %#x, not at the VIP's port",
		    name, fe, fl);
	}
	for (k = 0; k < j; k++)
		if (!memcmp(&s->frontends[k].key, &f->key, sizeof(f->key)))
			BAD("%s: frontend %s twice", name, fe);
}

/* The first of d->svcs[0..n-1] with frontend key, n when none. */
static size_t owner(const struct shunt_desired *d, size_t n,
		    const struct shunt_frontend_key *key)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < d->svcs[i].n_frontends; j++)
			if (!memcmp(&d->svcs[i].frontends[j].key, key,
				    sizeof(*key)))
				return i;
	return n;
}

static void check_desired(const struct shunt_desired *d)
{
	size_t i, j, k;

	if (d->n > d->cap || (d->n && !d->svcs))
		BAD("n %zu, cap %zu, svcs %p", d->n, d->cap, (void *)d->svcs);
	for (i = 0; i < d->n; i++) {
		const struct shunt_service_spec *s = &d->svcs[i];
		const char *name = s->name;

		if (strnlen(s->name, sizeof(s->name)) == sizeof(s->name))
			BAD("service %zu: name not NUL-terminated", i);
		if (!s->name[0])
			BAD("service %zu: no name", i);
		for (j = 0; j < i; j++)
			if (!strcmp(d->svcs[j].name, name))
				BAD("%s: name twice", name);
		if (!s->n_frontends || !s->frontends)
			BAD("%s: no frontend", name);
		for (j = 0; j < s->n_frontends; j++) {
			check_frontend(s, j, name);
			k = owner(d, i, &s->frontends[j].key);
			if (k < i)
				BAD("%s: frontend %zu also in %s", name, j,
				    d->svcs[k].name);
		}
		if (s->table_size && (s->table_size < SHUNT_MAGLEV_MIN ||
				      s->table_size > SHUNT_MAGLEV_MAX ||
				      !maglev_is_prime(s->table_size)))
			BAD("%s: table_size %u", name, s->table_size);
		if (s->affinity_timeout > SHUNT_AFFINITY_MAX_SECONDS)
			BAD("%s: affinity %u", name, s->affinity_timeout);
		if (s->n_backends > shunt_backend_capacity(s->table_size))
			BAD("%s: %zu backends for table_size %u", name,
			    s->n_backends, s->table_size);
		if (s->n_backends && !s->backends)
			BAD("%s: backends NULL", name);
		for (j = 0; j < s->n_backends; j++) {
			const struct shunt_backend_spec *b = &s->backends[j];

			if (b->family != s->frontends[0].key.family)
				BAD("%s: backend %zu is of family %u", name, j,
				    b->family);
			if (!b->port || b->weight < SHUNT_WEIGHT_MIN ||
			    b->weight > SHUNT_WEIGHT_MAX ||
			    (b->state != SHUNT_BE_ACTIVE &&
			     b->state != SHUNT_BE_DRAINING))
				BAD("%s: backend %zu: port %u weight %u state "
				    "%u",
				    name, j, ntohs(b->port), b->weight,
				    b->state);
			if (b->family == SHUNT_V4 &&
			    (b->addr.v6[1] || b->addr.v6[2] || b->addr.v6[3]))
				BAD("%s: IPv4 backend with nonzero tail", name);
			for (k = 0; k < j; k++)
				if (!memcmp(&s->backends[k].addr, &b->addr,
					    sizeof(b->addr)) &&
				    s->backends[k].port == b->port)
					BAD("%s: backend %zu twice", name, j);
		}
	}
}

/* The name as a YAML double-quoted scalar, when it is plain printable
 * ASCII (other names are not compared). */
static bool name_yaml(const char *name, char *buf, size_t len)
{
	size_t o = 0;
	const char *p;

	for (p = name; *p; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return false;
		if (o + 3 >= len)
			return false;
		if (*p == '"' || *p == '\\')
			buf[o++] = '\\';
		buf[o++] = *p;
	}
	buf[o] = '\0';
	return true;
}

static void write_frontends(FILE *f, const struct shunt_service_spec *s)
{
	const struct shunt_frontend_key *vip = &s->frontends[0].key;
	char ip[SHUNT_ADDRSTRLEN];
	size_t j, n_ext = 0;

	fprintf(f, "  - vip: \"%s\"\n",
		shunt_format_ip(&vip->vip, vip->family, ip, sizeof(ip)));
	fprintf(f, "    port: %u\n    protocol: %s\n", ntohs(vip->port),
		shunt_proto_name(vip->proto));
	for (j = 1; j < s->n_frontends; j++) {
		const struct shunt_frontend_key *k = &s->frontends[j].key;

		if (shunt_frontend_is_nodeport(k)) {
			fprintf(f, "    node_port: %u\n", ntohs(k->port));
			continue;
		}
		fprintf(f, "%s      - \"%s\"\n",
			n_ext++ ? "" : "    external_ips:\n",
			shunt_format_ip(&k->vip, k->family, ip, sizeof(ip)));
	}
}

static char *write_yaml(const struct shunt_desired *d, bool *names)
{
	char *text = NULL, ip[SHUNT_ADDRSTRLEN], name[300];
	size_t len = 0, i, j;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	*names = true;
	fprintf(f, "services:\n");
	for (i = 0; i < d->n; i++) {
		const struct shunt_service_spec *s = &d->svcs[i];

		write_frontends(f, s);
		if (name_yaml(s->name, name, sizeof(name)))
			fprintf(f, "    name: \"%s\"\n", name);
		else
			*names = false;
		if (s->table_size)
			fprintf(f, "    table_size: %u\n", s->table_size);
		if (s->affinity_timeout)
			fprintf(f, "    affinity: %u\n", s->affinity_timeout);
		for (j = 0; j < s->n_src_ranges; j++)
			fprintf(f, "%s      - \"%s\"\n",
				j ? "" : "    source_ranges:\n",
				shunt_src_range_format(&s->src_ranges[j], ip,
						       sizeof(ip)));
		fprintf(f, "    backends:\n");
		for (j = 0; j < s->n_backends; j++) {
			const struct shunt_backend_spec *b = &s->backends[j];

			fprintf(f,
				"      - {address: \"%s\", port: %u, weight: "
				"%u, state: %s}\n",
				shunt_format_ip(&b->addr, b->family, ip,
						sizeof(ip)),
				ntohs(b->port), b->weight,
				b->state == SHUNT_BE_DRAINING ? "draining"
							      : "active");
		}
	}
	if (fclose(f))
		abort();
	return text;
}

static void round_trip(const struct shunt_desired *d)
{
	struct shunt_desired d2;
	char err[512];
	size_t i, j;
	bool names;
	char *text = write_yaml(d, &names);

	/* A name that cannot be written back is replaced by the default,
	 * which may then collide with another name: not compared. */
	if (shunt_svcfile_parse("again.yaml", text, strlen(text), &d2, err,
				sizeof(err))) {
		if (names)
			BAD("written back, it does not parse: %s\n%s", err,
			    text);
		free(text);
		return;
	}
	if (d2.n != d->n)
		BAD("written back: %zu services, not %zu", d2.n, d->n);
	for (i = 0; i < d->n; i++) {
		const struct shunt_service_spec *a = &d->svcs[i],
						*b = &d2.svcs[i];

		if (a->table_size != b->table_size ||
		    a->affinity_timeout != b->affinity_timeout ||
		    a->n_frontends != b->n_frontends ||
		    a->n_backends != b->n_backends ||
		    a->n_src_ranges != b->n_src_ranges ||
		    (a->n_src_ranges &&
		     memcmp(a->src_ranges, b->src_ranges,
			    a->n_src_ranges * sizeof(*a->src_ranges))) ||
		    (names && strcmp(a->name, b->name)))
			BAD("written back, service %zu differs:\n%s", i, text);
		for (j = 0; j < a->n_frontends; j++)
			if (memcmp(&a->frontends[j], &b->frontends[j],
				   sizeof(a->frontends[j])))
				BAD("written back, frontend %zu of service %zu "
				    "differs:\n%s",
				    j, i, text);
		for (j = 0; j < a->n_backends; j++)
			if (memcmp(&a->backends[j], &b->backends[j],
				   sizeof(a->backends[j])))
				BAD("written back, backend %zu of service %zu "
				    "differs:\n%s",
				    j, i, text);
	}
	shunt_desired_free(&d2);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shunt_desired out, sentinel;
	char err[512];
	int rc;

	cur_data = data;
	cur_size = size;
	memset(&sentinel, 0xa5, sizeof(sentinel));
	out = sentinel;
	memset(err, 'x', sizeof(err));
	rc = shunt_svcfile_parse(NAME, (const char *)data, size, &out, err,
				 sizeof(err));
	if (rc) {
		if (rc >= 0)
			BAD("returned %d", rc);
		if (!memchr(err, '\0', sizeof(err)))
			BAD("err not NUL-terminated");
		if (strncmp(err, NAME ":", strlen(NAME ":")))
			BAD("err does not start with '" NAME ":': %s", err);
		if (memcmp(&out, &sentinel, sizeof(out)))
			BAD("failed, but out was written");
		return 0;
	}
	check_desired(&out);
	round_trip(&out);
	shunt_desired_free(&out);
	return 0;
}
