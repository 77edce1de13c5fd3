// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the services file parser (user/lib/svcfile.h):
 * shunt_svcfile_parse on YAML and JSON text.
 *
 * Checked, besides ASan/UBSan/LeakSanitizer:
 *  - failure: a negative errno, err "NAME:..." NUL-terminated, out
 *    untouched;
 *  - success: every service key unique, family/protocol/port sane, the
 *    table size a prime in range, the affinity in range, every backend
 *    of the VIP's family with a port, a weight in range, a state, and
 *    unique within its service;
 *  - round trip: the result written back as YAML parses to the same
 *    services.
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

static void check_desired(const struct shunt_desired *d)
{
	size_t i, j, k;

	if (d->n > d->cap || (d->n && !d->svcs))
		BAD("n %zu, cap %zu, svcs %p", d->n, d->cap, (void *)d->svcs);
	for (i = 0; i < d->n; i++) {
		const struct shunt_desired_service *s = &d->svcs[i];
		char key[SHUNT_ADDRSTRLEN];

		shunt_format_service(&s->key, key, sizeof(key));
		if (strnlen(s->name, sizeof(s->name)) == sizeof(s->name))
			BAD("%s: name not NUL-terminated", key);
		if ((s->key.family != SHUNT_V4 && s->key.family != SHUNT_V6) ||
		    !s->key.port ||
		    (s->key.proto != IPPROTO_TCP &&
		     s->key.proto != IPPROTO_UDP))
			BAD("%s: bad key", key);
		for (j = 0; j < i; j++)
			if (!memcmp(&d->svcs[j].key, &s->key, sizeof(s->key)))
				BAD("%s: service twice", key);
		if (s->table_size < SHUNT_MAGLEV_MIN ||
		    s->table_size > SHUNT_MAGLEV_MAX ||
		    !maglev_is_prime(s->table_size))
			BAD("%s: table_size %u", key, s->table_size);
		if (s->affinity_timeout > SHUNT_AFFINITY_MAX_SECONDS)
			BAD("%s: affinity %u", key, s->affinity_timeout);
		if (s->n_backends > shunt_backend_capacity(s->table_size))
			BAD("%s: %zu backends for table_size %u", key,
			    s->n_backends, s->table_size);
		if (s->n_backends && !s->backends)
			BAD("%s: backends NULL", key);
		for (j = 0; j < s->n_backends; j++) {
			const struct shunt_backend_spec *b = &s->backends[j];

			if (b->family != s->key.family)
				BAD("%s: backend %zu is of family %u", key, j,
				    b->family);
			if (!b->port || b->weight < SHUNT_WEIGHT_MIN ||
			    b->weight > SHUNT_WEIGHT_MAX ||
			    (b->state != SHUNT_BE_ACTIVE &&
			     b->state != SHUNT_BE_DRAINING))
				BAD("%s: backend %zu: port %u weight %u state "
				    "%u",
				    key, j, ntohs(b->port), b->weight,
				    b->state);
			if (b->family == SHUNT_V4 &&
			    (b->addr.v6[1] || b->addr.v6[2] || b->addr.v6[3]))
				BAD("%s: IPv4 backend with nonzero tail", key);
			for (k = 0; k < j; k++)
				if (!memcmp(&s->backends[k].addr, &b->addr,
					    sizeof(b->addr)) &&
				    s->backends[k].port == b->port)
					BAD("%s: backend %zu twice", key, j);
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
		const struct shunt_desired_service *s = &d->svcs[i];

		fprintf(f, "  - vip: \"%s\"\n",
			shunt_format_ip(&s->key.vip, s->key.family, ip,
					sizeof(ip)));
		if (s->name[0]) {
			if (name_yaml(s->name, name, sizeof(name)))
				fprintf(f, "    name: \"%s\"\n", name);
			else
				*names = false;
		}
		fprintf(f, "    port: %u\n    protocol: %s\n",
			ntohs(s->key.port), shunt_proto_name(s->key.proto));
		fprintf(f, "    table_size: %u\n", s->table_size);
		if (s->affinity_timeout)
			fprintf(f, "    affinity: %u\n", s->affinity_timeout);
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

	if (shunt_svcfile_parse("again.yaml", text, strlen(text), &d2, err,
				sizeof(err)))
		BAD("written back, it does not parse: %s\n%s", err, text);
	if (d2.n != d->n)
		BAD("written back: %zu services, not %zu", d2.n, d->n);
	for (i = 0; i < d->n; i++) {
		const struct shunt_desired_service *a = &d->svcs[i],
						   *b = &d2.svcs[i];

		if (memcmp(&a->key, &b->key, sizeof(a->key)) ||
		    a->table_size != b->table_size ||
		    a->affinity_timeout != b->affinity_timeout ||
		    a->n_backends != b->n_backends ||
		    (names && strcmp(a->name, b->name)))
			BAD("written back, service %zu differs:\n%s", i, text);
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
