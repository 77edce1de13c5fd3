// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for user/lib/sources/svcfile.c: the services file of shuntd
 * and `shuntctl apply -f` (YAML or JSON) into struct shunt_desired. A
 * valid file gives exactly the services it describes, each with its
 * name (or the default, its VIP's "VIP:PORT/PROTO") and its frontends
 * (the VIP, the NodePort wildcard, the external IPs); every kind of
 * mistake is refused as "FILE:LINE: reason" with the line of the
 * mistake, a reason naming it, and the caller's output left untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "svcfile.h"

#define ERRLEN 512
#define NAME   "svc.yaml"
#define POISON 0xa5

/* --- helpers -------------------------------------------------------- */

static struct shunt_frontend_key key_of(const char *text)
{
	struct shunt_frontend_key k;
	char err[ERRLEN] = "";

	if (shunt_parse_service(text, &k, err, sizeof(err)))
		fail_msg("test bug: '%s': %s", text, err);
	return k;
}

static int parse(const char *text, struct shunt_desired *out, char *err)
{
	err[0] = '\0';
	return shunt_svcfile_parse(NAME, text, strlen(text), out, err, ERRLEN);
}

/* Parse text that must be accepted. */
static void parse_ok(const char *text, struct shunt_desired *out)
{
	char err[ERRLEN];
	int rc;

	shunt_desired_init(out);
	rc = parse(text, out, err);
	if (rc)
		fail_msg("refused (%d): %s\n--- file:\n%s", rc, err, text);
}

/*
 * text must be refused with -EINVAL and the message
 * "svc.yaml:LINE: ..." containing every one of the NULL-terminated
 * reasons; the output must be untouched.
 */
static void reject_v(const char *name, const char *text, int line, va_list ap)
{
	struct shunt_desired out, orig;
	char err[ERRLEN], prefix[300];
	const char *want;
	int rc;

	memset(&out, POISON, sizeof(out));
	orig = out;
	err[0] = '\0';
	rc = shunt_svcfile_parse(name, text, strlen(text), &out, err,
				 sizeof(err));
	if (!rc)
		shunt_desired_free(&out); /* accepted: not leaked */
	if (rc != -EINVAL)
		fail_msg("rc %d, want -EINVAL (err '%s')\n--- file:\n%s", rc,
			 err, text);
	if (memcmp(&out, &orig, sizeof(out)))
		fail_msg("output changed on error '%s'", err);
	if (strchr(err, '\n'))
		fail_msg("multi-line error '%s'", err);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", name, line);
	if (strncmp(err, prefix, strlen(prefix)))
		fail_msg("error '%s' does not start with '%s'\n--- file:\n%s",
			 err, prefix, text);
	while ((want = va_arg(ap, const char *)))
		if (!strstr(err + strlen(prefix), want))
			fail_msg("error '%s' lacks '%s'", err, want);
}

/* reject(text, line, reason..., NULL) */
static void reject(const char *text, int line, ...)
{
	va_list ap;

	va_start(ap, line);
	reject_v(NAME, text, line, ap);
	va_end(ap);
}

static void reject_named(const char *name, const char *text, int line, ...)
{
	va_list ap;

	va_start(ap, line);
	reject_v(name, text, line, ap);
	va_end(ap);
}

/* The service with frontend fe ("VIP:PORT/PROTO"). */
static const struct shunt_service_spec *find(struct shunt_desired *d,
					     const char *fe)
{
	struct shunt_frontend_key k = key_of(fe);
	const struct shunt_service_spec *s = shunt_desired_find_frontend(d, &k);

	if (!s)
		fail_msg("no service with frontend %s", fe);
	return s;
}

/* The service named name. */
static const struct shunt_service_spec *find_name(struct shunt_desired *d,
						  const char *name)
{
	const struct shunt_service_spec *s = shunt_desired_find(d, name);

	if (!s)
		fail_msg("no service named '%s'", name);
	return s;
}

/*
 * The frontends of s, in order, as "KEY" words, "KEY[FLAGS]" when it has
 * flags: N NodePort, E external, L local (e.g. "*:30080/tcp[NE]").
 */
static void assert_frontends(const struct shunt_service_spec *s,
			     const char *want)
{
	char got[1024] = "", buf[SHUNT_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < s->n_frontends; i++) {
		const struct shunt_frontend_spec *f = &s->frontends[i];

		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 i ? " " : "",
			 shunt_format_service(&f->key, buf, sizeof(buf)));
		if (f->flags)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
				 "[%s%s%s]",
				 f->flags & SHUNT_FE_F_NODEPORT ? "N" : "",
				 f->flags & SHUNT_FE_F_EXTERNAL ? "E" : "",
				 f->flags & SHUNT_FE_F_LOCAL ? "L" : "");
	}
	if (strcmp(got, want))
		fail_msg("frontends of '%s':\n  got  '%s'\n  want '%s'",
			 s->name, got, want);
}

static void assert_backend(const struct shunt_backend_spec *b, const char *addr,
			   __u16 port, __u32 weight, __u8 state)
{
	union shunt_ip ip;
	__u8 family;
	char err[ERRLEN], got[SHUNT_ADDRSTRLEN];

	assert_int_equal(shunt_parse_ip(addr, &ip, &family, err, sizeof(err)),
			 0);
	if (b->family != family || memcmp(&b->addr, &ip, sizeof(ip)))
		fail_msg("backend %s, want %s",
			 shunt_format_ip(&b->addr, b->family, got, sizeof(got)),
			 addr);
	assert_int_equal(b->port, htons(port));
	assert_int_equal(b->weight, weight);
	assert_int_equal(b->state, state);
}

/* --- a full valid file ---------------------------------------------- */

static const char full_yaml[] =
	"# services of the node\n"
	"services:\n"
	"  - name: web\n"
	"    vip: 10.96.0.10\n"
	"    port: 80\n"
	"    protocol: tcp\n"
	"    table_size: 1021\n"
	"    affinity: 10800\n"
	"    backends:\n"
	"      - address: 10.0.1.5\n"
	"        port: 8080\n"
	"        weight: 3\n"
	"        state: active\n"
	"      - address: 10.0.1.6\n"
	"        port: 8081\n"
	"        state: draining\n"
	"      - address: 10.0.1.5\n"
	"        port: 8081\n"
	"        weight: 65535\n"
	"  - vip: fd00:ff::53\n"
	"    port: 53\n"
	"    protocol: udp\n"
	"    backends:\n"
	"      - {address: \"fd00:b::2\", port: 5353}\n"
	"      - {address: fd00:b::3, port: 5353, weight: 1, state: draining}\n"
	"  - name: same-port-udp\n"
	"    vip: 10.96.0.10\n"
	"    port: 80\n"
	"    protocol: udp\n"
	"    table_size: 7\n"
	"    backends: []\n"
	"  - name: \"default protocol\"\n"
	"    vip: \"10.96.0.11\"\n"
	"    port: \"443\"\n";

static const char full_json[] =
	"{\n"
	"  \"services\": [\n"
	"    {\n"
	"      \"name\": \"web\",\n"
	"      \"vip\": \"10.96.0.10\",\n"
	"      \"port\": 80,\n"
	"      \"protocol\": \"tcp\",\n"
	"      \"table_size\": 1021,\n"
	"      \"affinity\": 10800,\n"
	"      \"backends\": [\n"
	"        {\"address\": \"10.0.1.5\", \"port\": 8080, \"weight\": 3,\n"
	"         \"state\": \"active\"},\n"
	"        {\"address\": \"10.0.1.6\", \"port\": 8081,\n"
	"         \"state\": \"draining\"},\n"
	"        {\"address\": \"10.0.1.5\", \"port\": 8081, \"weight\": "
	"65535}\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"vip\": \"fd00:ff::53\",\n"
	"      \"port\": 53,\n"
	"      \"protocol\": \"udp\",\n"
	"      \"backends\": [\n"
	"        {\"address\": \"fd00:b::2\", \"port\": 5353},\n"
	"        {\"address\": \"fd00:b::3\", \"port\": 5353, \"weight\": 1, "
	"\"state\": \"draining\"}\n"
	"      ]\n"
	"    },\n"
	"    {\"name\": \"same-port-udp\", \"vip\": \"10.96.0.10\", \"port\": "
	"80,\n"
	"     \"protocol\": \"udp\", \"table_size\": 7, \"backends\": []},\n"
	"    {\"name\": \"default protocol\", \"vip\": \"10.96.0.11\", "
	"\"port\": \"443\"}\n"
	"  ]\n"
	"}\n";

/* What full_yaml and full_json describe. */
static void check_full(struct shunt_desired *d)
{
	const struct shunt_service_spec *s;
	struct shunt_frontend_key k;
	size_t i;

	assert_int_equal(d->n, 4);

	/* In file order, one frontend each: the VIP. */
	k = key_of("10.96.0.10:80/tcp");
	assert_memory_equal(&d->svcs[0].frontends[0].key, &k, sizeof(k));
	k = key_of("[fd00:ff::53]:53/udp");
	assert_memory_equal(&d->svcs[1].frontends[0].key, &k, sizeof(k));
	k = key_of("10.96.0.10:80/udp");
	assert_memory_equal(&d->svcs[2].frontends[0].key, &k, sizeof(k));
	k = key_of("10.96.0.11:443/tcp");
	assert_memory_equal(&d->svcs[3].frontends[0].key, &k, sizeof(k));
	for (i = 0; i < d->n; i++) {
		assert_int_equal(d->svcs[i].n_frontends, 1);
		assert_int_equal(d->svcs[i].frontends[0].flags, 0);
	}

	s = find(d, "10.96.0.10:80/tcp");
	assert_ptr_equal(s, find_name(d, "web"));
	assert_frontends(s, "10.96.0.10:80/tcp");
	assert_int_equal(s->table_size, 1021);
	assert_int_equal(s->affinity_timeout, 10800);
	assert_int_equal(s->n_backends, 3);
	assert_backend(&s->backends[0], "10.0.1.5", 8080, 3, SHUNT_BE_ACTIVE);
	assert_backend(&s->backends[1], "10.0.1.6", 8081, 1, SHUNT_BE_DRAINING);
	assert_backend(&s->backends[2], "10.0.1.5", 8081, 65535,
		       SHUNT_BE_ACTIVE);
	assert_int_equal(s->backends[0].family, SHUNT_V4);

	/* No name: named after its frontend; no table_size: automatic. */
	s = find(d, "[fd00:ff::53]:53/udp");
	assert_string_equal(s->name, "[fd00:ff::53]:53/udp");
	assert_ptr_equal(s, find_name(d, "[fd00:ff::53]:53/udp"));
	assert_int_equal(s->frontends[0].key.family, SHUNT_V6);
	assert_int_equal(s->frontends[0].key.proto, IPPROTO_UDP);
	assert_int_equal(s->frontends[0].key.port, htons(53));
	assert_int_equal(s->table_size, 0);
	assert_int_equal(s->affinity_timeout, 0);
	assert_int_equal(s->n_backends, 2);
	assert_backend(&s->backends[0], "fd00:b::2", 5353, 1, SHUNT_BE_ACTIVE);
	assert_backend(&s->backends[1], "fd00:b::3", 5353, 1,
		       SHUNT_BE_DRAINING);
	assert_int_equal(s->backends[0].family, SHUNT_V6);

	s = find(d, "10.96.0.10:80/udp");
	assert_string_equal(s->name, "same-port-udp");
	assert_int_equal(s->table_size, 7);
	assert_int_equal(s->n_backends, 0);

	s = find(d, "10.96.0.11:443/tcp");
	assert_string_equal(s->name, "default protocol");
	assert_int_equal(s->frontends[0].key.proto, IPPROTO_TCP);
	assert_int_equal(s->table_size, 0);
	assert_int_equal(s->affinity_timeout, 0);
	assert_int_equal(s->n_backends, 0);
}

static void test_full_yaml(void **state)
{
	struct shunt_desired d;

	(void)state;
	parse_ok(full_yaml, &d);
	check_full(&d);
	shunt_desired_free(&d);
}

/* Compare two parses field by field (frontends and backends in order). */
static void assert_same_desired(const struct shunt_desired *a,
				const struct shunt_desired *b)
{
	size_t i, j;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		const struct shunt_service_spec *x = &a->svcs[i];
		const struct shunt_service_spec *y = &b->svcs[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->table_size, y->table_size);
		assert_int_equal(x->affinity_timeout, y->affinity_timeout);
		assert_int_equal(x->n_frontends, y->n_frontends);
		for (j = 0; j < x->n_frontends; j++)
			assert_memory_equal(&x->frontends[j], &y->frontends[j],
					    sizeof(x->frontends[j]));
		assert_int_equal(x->n_backends, y->n_backends);
		for (j = 0; j < x->n_backends; j++)
			assert_memory_equal(&x->backends[j], &y->backends[j],
					    sizeof(x->backends[j]));
	}
}

static void test_full_json_same(void **state)
{
	struct shunt_desired y, j;

	(void)state;
	parse_ok(full_yaml, &y);
	parse_ok(full_json, &j);
	check_full(&j);
	assert_same_desired(&y, &j);
	shunt_desired_free(&y);
	shunt_desired_free(&j);
}

/* JSON as editors and jq --tab write it: indented with tabs. */
static void test_json_tabs(void **state)
{
	static const char text[] = "{\n"
				   "\t\"services\": [\n"
				   "\t\t{\n"
				   "\t\t\t\"vip\": \"10.96.0.10\",\n"
				   "\t\t\t\"port\": 80,\n"
				   "\t\t\t\"backends\": [\n"
				   "\t\t\t\t{\n"
				   "\t\t\t\t\t\"address\": \"10.0.1.5\",\n"
				   "\t\t\t\t\t\"port\": 8080\n"
				   "\t\t\t\t}\n"
				   "\t\t\t]\n"
				   "\t\t}\n"
				   "\t]\n"
				   "}\n";
	struct shunt_desired d;
	const struct shunt_service_spec *s;

	(void)state;
	parse_ok(text, &d);
	assert_int_equal(d.n, 1);
	s = find(&d, "10.96.0.10:80/tcp");
	assert_int_equal(s->n_backends, 1);
	assert_backend(&s->backends[0], "10.0.1.5", 8080, 1, SHUNT_BE_ACTIVE);
	shunt_desired_free(&d);
}

static void test_empty_files(void **state)
{
	static const char *const empty[] = {
		"",
		"\n\n",
		"# nothing yet\n",
		"services:\n",
		"services:\n# none\n",
		"services: []\n",
		"{}\n",
		"{\"services\": []}\n",
		"---\nservices:\n",
	};
	struct shunt_desired d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		parse_ok(empty[i], &d);
		if (d.n != 0)
			fail_msg("'%s': %zu services, want 0", empty[i], d.n);
		shunt_desired_free(&d);
	}
}

/*
 * The other ways YAML and JSON write "nothing" are the same value as an
 * empty file and a bare "services:": a document marker alone, an
 * explicit null (what Go's encoding/json writes for a nil slice), and
 * for a service without backends a bare "backends:" like "backends: []".
 * Every form is tried; all that are refused are reported together.
 */
static void test_empty_null_forms(void **state)
{
	static const char *const empty[] = {
		"---\n",
		"--- # no services\n",
		"services: null\n",
		"services: ~\n",
		"{\"services\": null}\n",
		"services:\n  - vip: 10.96.0.10\n    port: 80\n    backends:\n",
		"services:\n  - vip: 10.96.0.10\n    port: 80\n"
		"    backends: null\n",
		"{\"services\": [{\"vip\": \"10.96.0.10\", \"port\": 80, "
		"\"backends\": null}]}\n",
	};
	char err[ERRLEN], bad[4096] = "";
	struct shunt_desired d;
	size_t i, used = 0, backends;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		shunt_desired_init(&d);
		rc = parse(empty[i], &d, err);
		backends = d.n ? d.svcs[0].n_backends : 0;
		if (rc)
			used += (size_t)snprintf(bad + used, sizeof(bad) - used,
						 "\n  [%s] refused: %s",
						 empty[i], err);
		else if (d.n > 1 || backends)
			used += (size_t)snprintf(bad + used, sizeof(bad) - used,
						 "\n  [%s]: %zu services, %zu "
						 "backends",
						 empty[i], d.n, backends);
		shunt_desired_free(&d);
	}
	if (bad[0])
		fail_msg("empty forms not taken as empty:%s", bad);
}

/* A key given twice in one mapping is a mistake (which one is meant?),
 * not silently "the first one wins". */
static void test_reject_duplicate_keys(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    port: 8080\n",
	       4, "duplicate", "port", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "        weight: 1\n"
	       "        weight: 5\n",
	       8, "duplicate", "weight", NULL);
	reject("services: []\n"
	       "services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n",
	       2, "duplicate", "services", NULL);
}

/*
 * "---" separated documents (as kubectl files are written): either every
 * document's services are read, or the file is refused at the second
 * document. Reading the first and dropping the rest silently is wrong.
 */
static void test_multi_document(void **state)
{
	static const char text[] = "services:\n"
				   "  - vip: 10.96.0.10\n"
				   "    port: 80\n"
				   "---\n"
				   "services:\n"
				   "  - vip: 10.96.0.11\n"
				   "    port: 80\n";
	struct shunt_desired d;
	char err[ERRLEN];
	int rc;

	(void)state;
	shunt_desired_init(&d);
	rc = parse(text, &d, err);
	if (rc == 0) {
		size_t n = d.n;

		shunt_desired_free(&d);
		if (n != 2)
			fail_msg("%zu services read from two documents of "
				 "one service each: the rest were dropped "
				 "silently",
				 n);
		return;
	}
	reject(text, 4, NULL);
}

/* Flow style everywhere, IPv6 unquoted in flow context. */
static void test_flow_style(void **state)
{
	static const char text[] =
		"services: [{vip: \"2001:db8::10\", port: 8443, backends: [\n"
		"  {address: 2001:db8:1::5, port: 443},\n"
		"  {address: \"2001:db8:1::6\", port: 443, weight: 7}]}]\n";
	struct shunt_desired d;
	const struct shunt_service_spec *s;

	(void)state;
	parse_ok(text, &d);
	assert_int_equal(d.n, 1);
	s = find(&d, "[2001:db8::10]:8443/tcp");
	assert_int_equal(s->n_backends, 2);
	assert_backend(&s->backends[0], "2001:db8:1::5", 443, 1,
		       SHUNT_BE_ACTIVE);
	assert_backend(&s->backends[1], "2001:db8:1::6", 443, 7,
		       SHUNT_BE_ACTIVE);
	shunt_desired_free(&d);
}

/* The limits themselves are accepted. */
static void test_limits_accepted(void **state)
{
	static const char text[] = "services:\n"
				   "  - vip: 10.96.0.1\n"
				   "    port: 1\n"
				   "    table_size: 7\n"
				   "    affinity: 1\n"
				   "    backends:\n"
				   "      - {address: 10.0.0.1, port: 1, "
				   "weight: 1}\n"
				   "  - vip: 10.96.0.1\n"
				   "    port: 65535\n"
				   "    table_size: 131071\n"
				   "    affinity: 86400\n"
				   "    backends:\n"
				   "      - {address: 10.0.0.1, port: 65535, "
				   "weight: 65535}\n";
	struct shunt_desired d;
	const struct shunt_service_spec *s;

	(void)state;
	parse_ok(text, &d);
	assert_int_equal(d.n, 2);
	s = find(&d, "10.96.0.1:1/tcp");
	assert_int_equal(s->table_size, 7);
	assert_int_equal(s->affinity_timeout, 1);
	assert_backend(&s->backends[0], "10.0.0.1", 1, 1, SHUNT_BE_ACTIVE);
	s = find(&d, "10.96.0.1:65535/tcp");
	assert_int_equal(s->table_size, 131071);
	assert_int_equal(s->affinity_timeout, 86400);
	assert_backend(&s->backends[0], "10.0.0.1", 65535, 65535,
		       SHUNT_BE_ACTIVE);
	shunt_desired_free(&d);
}

/* Backends at exactly the capacity of the table: 7 for table_size 7. */
static void test_capacity_exact(void **state)
{
	char text[2048];
	size_t len;
	struct shunt_desired d;
	int i;

	(void)state;
	len = (size_t)snprintf(text, sizeof(text),
			       "services:\n"
			       "  - vip: 10.96.0.1\n"
			       "    port: 80\n"
			       "    table_size: 7\n"
			       "    backends:\n");
	for (i = 0; i < 7; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"      - {address: 10.0.0.%d, port: "
					"80}\n",
					i + 1);
	parse_ok(text, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.svcs[0].n_backends, 7);
	assert_backend(&d.svcs[0].backends[6], "10.0.0.7", 80, 1,
		       SHUNT_BE_ACTIVE);
	shunt_desired_free(&d);
}

/* A successful parse replaces *out wholesale. */
static void test_out_replaced(void **state)
{
	struct shunt_desired d;
	char err[ERRLEN];

	(void)state;
	parse_ok(full_yaml, &d);
	shunt_desired_free(&d);
	memset(&d, POISON, sizeof(d));
	assert_int_equal(parse("services: []\n", &d, err), 0);
	assert_int_equal(d.n, 0);
	shunt_desired_free(&d);
}

/* --- rejections ----------------------------------------------------- */

static void test_reject_yaml_syntax(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80: 81\n",
	       3, "mapping values are not allowed", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "   protocol: tcp\n",
	       4, "did not find expected '-' indicator", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "\tport: 80\n",
	       3, "tab character", NULL);
	/* JSON: a missing comma. */
	reject("{\n"
	       "  \"services\": [\n"
	       "    {\"vip\": \"10.96.0.10\" \"port\": 80}\n"
	       "  ]\n"
	       "}\n",
	       3, "did not find expected ',' or '}'", NULL);
}

/*
 * An unterminated quote or bracket is only noticed at the end of the
 * file; the message must still say what is unterminated and where it
 * started, not just "unexpected end of stream" at the last line.
 */
static void test_reject_yaml_unterminated(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: \"10.96.0.10\n"
	       "    port: 80\n"
	       "    backends: []\n",
	       2, "quoted scalar", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends: [{address: 10.0.1.5, port: 8080}\n"
	       "\n",
	       4, "flow sequence", NULL);
}

static void test_reject_top_level(void **state)
{
	(void)state;
	reject("- vip: 10.96.0.10\n  port: 80\n", 1,
	       "expected a mapping with 'services'", NULL);
	reject("\n\nhello\n", 3, "expected a mapping with 'services'", NULL);
	reject("[]\n", 1, "expected a mapping with 'services'", NULL);
	reject("services: []\n"
	       "extra: 1\n",
	       2, "unknown top-level key 'extra'", NULL);
	reject("# comment\n"
	       "service:\n"
	       "  - vip: 10.96.0.10\n",
	       2, "unknown top-level key 'service'", NULL);
	reject("services: 5\n", 1, "'services' must be a list", NULL);
	reject("services:\n"
	       "  vip: 10.96.0.10\n"
	       "  port: 80\n",
	       2, "'services' must be a list", NULL);
	reject("{\"services\": {}}\n", 1, "'services' must be a list", NULL);
}

static void test_reject_service_shape(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "  - 10.96.0.11:80/tcp\n",
	       4, "a service must be a mapping", NULL);
	reject("services:\n"
	       "  - [10.96.0.10, 80]\n",
	       2, "a service must be a mapping", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    ports: 81\n",
	       4, "unknown service key 'ports'", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    tableSize: 7\n",
	       4, "unknown service key 'tableSize'", NULL);
	reject("services:\n"
	       "  - name: web\n"
	       "    port: 80\n",
	       2, "missing 'vip'", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "  - name: web\n"
	       "    vip: 10.96.0.11\n"
	       "    protocol: udp\n",
	       4, "missing 'port'", NULL);
	reject("services:\n"
	       "  - vip: [10.96.0.10]\n"
	       "    port: 80\n",
	       2, "'vip' must be a string", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    name: {a: b}\n"
	       "    port: 80\n",
	       3, "'name' must be a string", NULL);
}

static void test_reject_vip(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - name: web\n"
	       "    vip: 10.96.0.300\n"
	       "    port: 80\n",
	       3, "10.96.0.300", "not an IPv4 or IPv6 address", NULL);
	reject("services:\n"
	       "  - vip: web.default.svc\n"
	       "    port: 80\n",
	       2, "web.default.svc", "not an IPv4 or IPv6 address", NULL);
	reject("services:\n"
	       "  - vip: fd00::zz\n"
	       "    port: 80\n",
	       2, "fd00::zz", NULL);
	reject("services:\n"
	       "  - port: 80\n"
	       "    vip: 0.0.0.0\n",
	       3, "unspecified address 0.0.0.0 cannot be a service VIP", NULL);
	reject("services:\n"
	       "  - port: 80\n"
	       "    vip: 224.0.0.1\n",
	       3, "multicast address 224.0.0.1 cannot be a service VIP", NULL);
	reject("services:\n"
	       "  - port: 80\n"
	       "    vip: \"::\"\n",
	       3, "unspecified", NULL);
}

/*
 * The NodePort wildcard is only written as node_port: "*" or "[*]" is no
 * more a VIP or an external IP than 0.0.0.0 is (it would serve the port
 * on every node address, without the NodePort flag).
 */
static void test_reject_wildcard_vip(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: \"*\"\n"
	       "    port: 80\n",
	       2, "*", NULL);
	reject("services:\n"
	       "  - vip: \"[*]\"\n"
	       "    port: 80\n",
	       2, "[*]", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    external_ips: [\"*\"]\n",
	       4, "*", NULL);
	reject("services:\n"
	       "  - vip: \"fd00::10\"\n"
	       "    port: 80\n"
	       "    external_ips: [\"[*]\"]\n",
	       4, "[*]", NULL);
}

static void test_reject_port(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 0\n",
	       3, "port", "0 out of range (1-65535)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 65536\n",
	       3, "port", "65536 out of range (1-65535)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: abc\n",
	       3, "port", "'abc' is not a decimal number", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: -80\n",
	       3, "port", "'-80' is not a decimal number", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 99999999999\n",
	       3, "port", "99999999999 out of range", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: [80]\n",
	       3, "'port' must be a number", NULL);
}

static void test_reject_protocol(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    protocol: sctp\n",
	       4, "protocol 'sctp' (tcp or udp)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    protocol: [tcp]\n",
	       4, "'protocol' must be a string", NULL);
}

static void test_reject_table_size(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    table_size: 1000\n",
	       4, "table_size 1000 is not a prime", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    table_size: 5\n",
	       4, "table_size", "5 out of range (7-131071)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    table_size: 131101\n",
	       4, "table_size", "131101 out of range (7-131071)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    table_size: big\n",
	       4, "table_size", "'big' is not a decimal number", NULL);
}

static void test_reject_affinity(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    affinity: 0\n",
	       4, "affinity", "0 out of range (1-86400)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    affinity: 86401\n",
	       4, "affinity", "86401 out of range (1-86400)", NULL);
}

static void test_reject_backends_shape(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends: 10.0.1.5:8080\n",
	       4, "'backends' must be a list", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      address: 10.0.1.5\n"
	       "      port: 8080\n",
	       5, "'backends' must be a list", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - 10.0.1.5:8080\n",
	       5, "a backend must be a mapping", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "        weigth: 2\n",
	       7, "unknown backend key 'weigth'", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "      - port: 8080\n",
	       7, "missing 'address'", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - {address: 10.0.1.5, port: 8080}\n"
	       "      - {address: 10.0.1.6}\n",
	       6, "missing 'port'", NULL);
}

static void test_reject_backend_values(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "      - address: fd00:b::2\n"
	       "        port: 8080\n",
	       7, "fd00:b::2", "IPv6", "IPv4", NULL);
	reject("services:\n"
	       "  - vip: fd00:ff::10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - {address: 10.0.1.5, port: 8080}\n",
	       5, "10.0.1.5", "IPv4", "IPv6", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.500\n"
	       "        port: 8080\n",
	       5, "10.0.1.500", "not an IPv4 or IPv6 address", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 0\n",
	       6, "port", "0 out of range (1-65535)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "        weight: 0\n",
	       7, "weight", "0 out of range (1-65535)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "        weight: 65536\n",
	       7, "weight", "65536 out of range (1-65535)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "        state: bogus\n",
	       7, "state 'bogus' (active or draining)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "        state: [active]\n",
	       7, "'state' must be a string", NULL);
}

static void test_reject_duplicates(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "      - address: 10.0.1.6\n"
	       "        port: 8080\n"
	       "      - address: 10.0.1.5\n"
	       "        port: 8080\n"
	       "        weight: 2\n",
	       9, "duplicate backend", NULL);
	/* The same address written differently is the same backend. */
	reject("services:\n"
	       "  - vip: fd00:ff::10\n"
	       "    port: 80\n"
	       "    backends:\n"
	       "      - {address: \"fd00:b::2\", port: 8080}\n"
	       "      - {address: \"fd00:b:0:0:0:0:0:2\", port: 8080}\n",
	       6, "duplicate backend", NULL);
	reject("services:\n"
	       "  - name: a\n"
	       "    vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "  - name: b\n"
	       "    vip: 10.96.0.11\n"
	       "    port: 80\n"
	       "  - name: c\n"
	       "    vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    protocol: tcp\n",
	       8, "duplicate service 10.96.0.10:80/tcp", NULL);
	/* The same VIP written differently is the same frontend; without
	 * names, also the same default name, which is what is reported. */
	reject("services:\n"
	       "  - {vip: \"fd00:ff::10\", port: 53, protocol: udp}\n"
	       "  - {vip: \"fd00:ff:0::10\", port: 53, protocol: udp}\n",
	       3, "duplicate service name '[fd00:ff::10]:53/udp'", NULL);
	reject("services:\n"
	       "  - {name: a, vip: \"fd00:ff::10\", port: 53, protocol: "
	       "udp}\n"
	       "  - {name: b, vip: \"fd00:ff:0::10\", port: 53, protocol: "
	       "udp}\n",
	       3, "duplicate service [fd00:ff::10]:53/udp", NULL);
}

/* --- frontends: node_port, external_ips, names ------------------------ */

/*
 * node_port adds the NodePort wildcard *:node_port (flags NODEPORT and
 * EXTERNAL), external_ips one frontend each at port (EXTERNAL); all in
 * the one service of the entry, after the VIP, in file order.
 */
static void test_node_port_external_ips(void **state)
{
	static const char text[] = "services:\n"
				   "  - name: web\n"
				   "    vip: 10.96.0.10\n"
				   "    port: 80\n"
				   "    node_port: 30080\n"
				   "    external_ips: [192.0.2.10, "
				   "198.51.100.7]\n"
				   "    backends:\n"
				   "      - {address: 10.0.1.5, port: 8080}\n"
				   "  - vip: 10.96.0.11\n"
				   "    port: 53\n"
				   "    protocol: udp\n"
				   "    node_port: 30053\n"
				   "  - name: ext-only\n"
				   "    vip: 10.96.0.12\n"
				   "    port: 443\n"
				   "    external_ips:\n"
				   "      - 203.0.113.1\n"
				   "  - name: none\n"
				   "    vip: 10.96.0.13\n"
				   "    port: 80\n"
				   "    external_ips: []\n"
				   "  - name: null-ips\n"
				   "    vip: 10.96.0.14\n"
				   "    port: 80\n"
				   "    external_ips:\n"
				   "  - name: np-udp-same-number\n"
				   "    vip: 10.96.0.15\n"
				   "    port: 80\n"
				   "    protocol: udp\n"
				   "    node_port: 30080\n";
	const struct shunt_service_spec *s;
	struct shunt_desired d;

	(void)state;
	parse_ok(text, &d);
	assert_int_equal(d.n, 6);

	s = find_name(&d, "web");
	assert_ptr_equal(s, &d.svcs[0]);
	assert_frontends(s, "10.96.0.10:80/tcp *:30080/tcp[NE] "
			    "192.0.2.10:80/tcp[E] 198.51.100.7:80/tcp[E]");
	/* Every frontend finds the same service. */
	assert_ptr_equal(find(&d, "*:30080/tcp"), s);
	assert_ptr_equal(find(&d, "192.0.2.10:80/tcp"), s);
	assert_ptr_equal(find(&d, "198.51.100.7:80/tcp"), s);
	assert_int_equal(s->n_backends, 1);
	assert_backend(&s->backends[0], "10.0.1.5", 8080, 1, SHUNT_BE_ACTIVE);
	/* The wildcard: a zero VIP of the service's family. */
	assert_true(shunt_frontend_is_nodeport(&s->frontends[1].key));
	assert_int_equal(s->frontends[1].key.family, SHUNT_V4);
	assert_int_equal(s->frontends[1].key.port, htons(30080));
	assert_int_equal(s->frontends[1].key.proto, IPPROTO_TCP);

	/* Default name: the VIP's frontend, not the NodePort. */
	s = find_name(&d, "10.96.0.11:53/udp");
	assert_frontends(s, "10.96.0.11:53/udp *:30053/udp[NE]");

	assert_frontends(find_name(&d, "ext-only"),
			 "10.96.0.12:443/tcp 203.0.113.1:443/tcp[E]");
	assert_frontends(find_name(&d, "none"), "10.96.0.13:80/tcp");
	assert_frontends(find_name(&d, "null-ips"), "10.96.0.14:80/tcp");
	/* The same NodePort number for another protocol is another
	 * frontend. */
	assert_frontends(find_name(&d, "np-udp-same-number"),
			 "10.96.0.15:80/udp *:30080/udp[NE]");
	shunt_desired_free(&d);
}

/* An IPv6 service's NodePort is the IPv6 wildcard "[*]:PORT": zero VIP,
 * family 6; it does not collide with the IPv4 one of the same number. */
static void test_node_port_ipv6(void **state)
{
	static const char text[] =
		"services:\n"
		"  - name: v6\n"
		"    vip: fd00:ff::10\n"
		"    port: 443\n"
		"    node_port: 30443\n"
		"    external_ips:\n"
		"      - 2001:db8::10\n"
		"      - \"2001:db8::11\"\n"
		"    backends:\n"
		"      - {address: \"fd00:b::2\", port: 8443}\n"
		"  - {name: v4, vip: 10.96.0.10, port: 443, node_port: 30443}\n";
	const struct shunt_service_spec *s;
	struct shunt_frontend_key wild, k;
	struct shunt_desired d;

	(void)state;
	parse_ok(text, &d);
	assert_int_equal(d.n, 2);
	s = find_name(&d, "v6");
	assert_frontends(s, "[fd00:ff::10]:443/tcp [*]:30443/tcp[NE] "
			    "[2001:db8::10]:443/tcp[E] "
			    "[2001:db8::11]:443/tcp[E]");
	memset(&wild, 0, sizeof(wild));
	wild.port = htons(30443);
	wild.proto = IPPROTO_TCP;
	wild.family = SHUNT_V6;
	assert_memory_equal(&s->frontends[1].key, &wild, sizeof(wild));
	assert_int_equal(s->frontends[1].flags,
			 SHUNT_FE_F_NODEPORT | SHUNT_FE_F_EXTERNAL);
	assert_ptr_equal(shunt_desired_find_frontend(&d, &wild), s);
	k = key_of("[*]:30443/tcp");
	assert_memory_equal(&k, &wild, sizeof(k));
	assert_int_equal(s->n_backends, 1);
	assert_backend(&s->backends[0], "fd00:b::2", 8443, 1, SHUNT_BE_ACTIVE);

	s = find_name(&d, "v4");
	assert_frontends(s, "10.96.0.10:443/tcp *:30443/tcp[NE]");
	assert_int_equal(s->frontends[1].key.family, SHUNT_V4);
	shunt_desired_free(&d);
}

/* The same in JSON. */
static void test_node_port_json(void **state)
{
	static const char yaml[] = "services:\n"
				   "  - vip: 10.96.0.10\n"
				   "    port: 80\n"
				   "    node_port: 30080\n"
				   "    external_ips: [192.0.2.10]\n"
				   "    affinity: 60\n";
	static const char json[] = "{\"services\": [{\"vip\": \"10.96.0.10\", "
				   "\"port\": 80, \"node_port\": 30080,\n"
				   " \"external_ips\": [\"192.0.2.10\"], "
				   "\"affinity\": 60}]}\n";
	struct shunt_desired y, j;

	(void)state;
	parse_ok(yaml, &y);
	parse_ok(json, &j);
	assert_int_equal(j.n, 1);
	assert_string_equal(j.svcs[0].name, "10.96.0.10:80/tcp");
	assert_frontends(&j.svcs[0], "10.96.0.10:80/tcp *:30080/tcp[NE] "
				     "192.0.2.10:80/tcp[E]");
	assert_same_desired(&y, &j);
	shunt_desired_free(&y);
	shunt_desired_free(&j);
}

/*
 * lb_mode: how external traffic reaches a backend on another node. "dsr"
 * or "snat" flags the service's external frontends (the NodePort
 * wildcard, the external IPs) SHUNT_FE_F_MODE_DSR or _SNAT; its cluster
 * VIP stays unflagged; without lb_mode no frontend has a mode (the
 * node's lb-mode decides).
 */
static void test_lb_mode(void **state)
{
	static const char yaml[] =
		"services:\n"
		"  - name: dsr\n"
		"    vip: 10.96.0.10\n"
		"    port: 80\n"
		"    node_port: 30080\n"
		"    external_ips: [192.0.2.10, 192.0.2.11]\n"
		"    lb_mode: dsr\n"
		"  - name: snat\n"
		"    vip: 10.96.0.11\n"
		"    port: 53\n"
		"    protocol: udp\n"
		"    node_port: 30053\n"
		"    lb_mode: snat\n"
		"  - name: v6\n"
		"    vip: fd00:ff::10\n"
		"    port: 443\n"
		"    node_port: 30443\n"
		"    external_ips: [\"2001:db8::10\"]\n"
		"    lb_mode: dsr\n"
		"  - name: none\n"
		"    vip: 10.96.0.12\n"
		"    port: 80\n"
		"    node_port: 30082\n"
		"    external_ips: [192.0.2.12]\n"
		"  - name: cluster-only\n"
		"    vip: 10.96.0.13\n"
		"    port: 80\n"
		"    lb_mode: dsr\n";
	static const char json[] =
		"{\"services\": [{\"name\": \"dsr\", \"vip\": \"10.96.0.10\", "
		"\"port\": 80, \"node_port\": 30080, \"external_ips\": "
		"[\"192.0.2.10\", \"192.0.2.11\"], \"lb_mode\": \"dsr\"}]}\n";
	const __u32 ext = SHUNT_FE_F_EXTERNAL, np = SHUNT_FE_F_NODEPORT;
	const __u32 dsr = SHUNT_FE_F_MODE_DSR, snat = SHUNT_FE_F_MODE_SNAT;
	const struct shunt_service_spec *s;
	struct shunt_desired d, j;

	(void)state;
	parse_ok(yaml, &d);
	assert_int_equal(d.n, 5);

	s = find_name(&d, "dsr");
	assert_frontends(s, "10.96.0.10:80/tcp *:30080/tcp[NE] "
			    "192.0.2.10:80/tcp[E] 192.0.2.11:80/tcp[E]");
	assert_int_equal(s->frontends[0].flags, 0);
	assert_int_equal(s->frontends[1].flags, np | ext | dsr);
	assert_int_equal(s->frontends[2].flags, ext | dsr);
	assert_int_equal(s->frontends[3].flags, ext | dsr);

	s = find_name(&d, "snat");
	assert_frontends(s, "10.96.0.11:53/udp *:30053/udp[NE]");
	assert_int_equal(s->frontends[0].flags, 0);
	assert_int_equal(s->frontends[1].flags, np | ext | snat);

	s = find_name(&d, "v6");
	assert_frontends(s, "[fd00:ff::10]:443/tcp [*]:30443/tcp[NE] "
			    "[2001:db8::10]:443/tcp[E]");
	assert_int_equal(s->frontends[0].flags, 0);
	assert_int_equal(s->frontends[1].flags, np | ext | dsr);
	assert_int_equal(s->frontends[2].flags, ext | dsr);

	s = find_name(&d, "none");
	assert_frontends(s, "10.96.0.12:80/tcp *:30082/tcp[NE] "
			    "192.0.2.12:80/tcp[E]");
	assert_int_equal(s->frontends[0].flags, 0);
	assert_int_equal(s->frontends[1].flags, np | ext);
	assert_int_equal(s->frontends[2].flags, ext);

	/* No external frontend: nothing to flag. */
	s = find_name(&d, "cluster-only");
	assert_frontends(s, "10.96.0.13:80/tcp");
	assert_int_equal(s->frontends[0].flags, 0);

	/* The same in JSON. */
	parse_ok(json, &j);
	assert_int_equal(j.n, 1);
	s = find_name(&j, "dsr");
	assert_int_equal(s->n_frontends, 4);
	assert_memory_equal(s->frontends, find_name(&d, "dsr")->frontends,
			    4 * sizeof(*s->frontends));
	shunt_desired_free(&j);
	shunt_desired_free(&d);
}

/* Any other lb_mode is refused, at its line, naming lb_mode. */
static void test_reject_lb_mode(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    node_port: 30080\n"
	       "    lb_mode: bogus\n",
	       5, "lb_mode", "'bogus'", "snat or dsr", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    lb_mode: DSR\n",
	       4, "lb_mode", "'DSR'", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    lb_mode: \"\"\n",
	       4, "lb_mode", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    lb_mode: [dsr]\n",
	       4, "'lb_mode' must be a string", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    lb-mode: dsr\n",
	       4, "lb-mode", NULL);
}

/* source_ranges: CIDRs of the service's family, host bits cleared,
 * sorted; every frontend then checks them. */
static void test_source_ranges(void **state)
{
	struct shunt_desired d;
	const struct shunt_service_spec *s;
	char buf[SHUNT_ADDRSTRLEN + 8];
	size_t i;

	(void)state;
	parse_ok("services:\n"
		 "  - name: web\n"
		 "    vip: 10.96.0.10\n"
		 "    port: 80\n"
		 "    node_port: 30080\n"
		 "    external_ips: [192.0.2.10]\n"
		 "    source_ranges: [198.51.100.9/24, 10.0.0.0/8]\n"
		 "  - name: v6\n"
		 "    vip: fd00::10\n"
		 "    port: 80\n"
		 "    source_ranges:\n"
		 "      - 2001:db8::/32\n"
		 "  - name: open\n"
		 "    vip: 10.96.0.11\n"
		 "    port: 80\n"
		 "    source_ranges: []\n",
		 &d);
	assert_int_equal(d.n, 3);
	s = shunt_desired_find(&d, "web");
	assert_non_null(s);
	assert_int_equal(s->n_src_ranges, 2);
	assert_string_equal(
		shunt_src_range_format(&s->src_ranges[0], buf, sizeof(buf)),
		"10.0.0.0/8");
	assert_string_equal(
		shunt_src_range_format(&s->src_ranges[1], buf, sizeof(buf)),
		"198.51.100.0/24");
	assert_int_equal(s->n_frontends, 3);
	for (i = 0; i < s->n_frontends; i++)
		assert_true(s->frontends[i].flags & SHUNT_FE_F_SRC_RANGES);
	s = shunt_desired_find(&d, "v6");
	assert_non_null(s);
	assert_int_equal(s->n_src_ranges, 1);
	assert_string_equal(
		shunt_src_range_format(&s->src_ranges[0], buf, sizeof(buf)),
		"2001:db8::/32");
	assert_true(s->frontends[0].flags & SHUNT_FE_F_SRC_RANGES);
	s = shunt_desired_find(&d, "open");
	assert_non_null(s);
	assert_int_equal(s->n_src_ranges, 0);
	assert_false(s->frontends[0].flags & SHUNT_FE_F_SRC_RANGES);
	shunt_desired_free(&d);
}

static void test_reject_source_ranges(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    source_ranges: [10.0.0.1]\n",
	       4, "source_ranges", "'10.0.0.1' is not a CIDR", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    source_ranges: [10.0.0.0/40]\n",
	       4, "bad prefix length", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    source_ranges: [2001:db8::/32]\n",
	       4, "source range 2001:db8::/32 is IPv6, the service IPv4", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    source_ranges: [10.0.0.0/8, 10.1.0.0/8]\n",
	       4, "duplicate source range 10.1.0.0/8", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    source_ranges: 10.0.0.0/8\n",
	       4, "'source_ranges' must be a list", NULL);
}

/* Without a name a service is named after its VIP's frontend (as
 * shunt_format_service writes it); a name is 1 to SHUNT_NAME_MAX - 1
 * characters. */
static void test_default_name(void **state)
{
	char text[1024], name[SHUNT_NAME_MAX + 1];
	struct shunt_desired d;

	(void)state;
	parse_ok("services:\n"
		 "  - {vip: 10.96.0.10, port: 80}\n"
		 "  - {vip: \"fd00:ff:0:0::53\", port: 53, protocol: UDP}\n"
		 "  - {vip: 10.96.0.11, port: 8080, node_port: 30080}\n",
		 &d);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.svcs[0].name, "10.96.0.10:80/tcp");
	assert_string_equal(d.svcs[1].name, "[fd00:ff::53]:53/udp");
	assert_string_equal(d.svcs[2].name, "10.96.0.11:8080/tcp");
	shunt_desired_free(&d);

	memset(name, 'n', SHUNT_NAME_MAX - 1);
	name[SHUNT_NAME_MAX - 1] = '\0';
	snprintf(text, sizeof(text),
		 "services:\n  - {name: %s, vip: 10.96.0.10, port: 80}\n",
		 name);
	parse_ok(text, &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.svcs[0].name, name);
	shunt_desired_free(&d);

	strcat(name, "n");
	snprintf(text, sizeof(text),
		 "services:\n  - vip: 10.96.0.10\n    port: 80\n"
		 "    name: %s\n",
		 name);
	reject(text, 4, "name must have 1 to 159 characters", NULL);
	reject("services:\n  - vip: 10.96.0.10\n    port: 80\n"
	       "    name: \"\"\n",
	       4, "name must have 1 to 159 characters", NULL);
}

/* Names are unique in a file: the later entry is reported, at its line. */
static void test_reject_duplicate_names(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - name: web\n"
	       "    vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "  - name: api\n"
	       "    vip: 10.96.0.11\n"
	       "    port: 80\n"
	       "  - name: web\n"
	       "    vip: 10.96.0.12\n"
	       "    port: 80\n",
	       8, "duplicate service name 'web'", NULL);
	/* A default name is a name too. */
	reject("services:\n"
	       "  - name: \"10.96.0.12:80/tcp\"\n"
	       "    vip: 10.96.0.11\n"
	       "    port: 80\n"
	       "  - vip: 10.96.0.12\n"
	       "    port: 80\n",
	       5, "duplicate service name '10.96.0.12:80/tcp'", NULL);
	/* Flow style: the entry's line. */
	reject("services:\n"
	       "  - {name: a, vip: 10.96.0.10, port: 80}\n"
	       "  - {name: b, vip: 10.96.0.11, port: 80}\n"
	       "  - {name: a, vip: 10.96.0.12, port: 80}\n",
	       4, "duplicate service name 'a'", NULL);
}

/*
 * A frontend belongs to one entry: the VIP, the NodePort and external IPs
 * of every entry are checked against all the others (later entry
 * reported), and within an entry (the repeated item reported).
 */
static void test_reject_duplicate_frontends(void **state)
{
	(void)state;
	/* An external IP that is another service's VIP. */
	reject("services:\n"
	       "  - name: a\n"
	       "    vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "  - name: b\n"
	       "    vip: 10.96.0.11\n"
	       "    port: 80\n"
	       "    external_ips: [10.96.0.10]\n",
	       5, "duplicate service 10.96.0.10:80/tcp", NULL);
	/* The same NodePort on two services. */
	reject("services:\n"
	       "  - {name: a, vip: 10.96.0.10, port: 80, node_port: 30080}\n"
	       "  - {name: b, vip: 10.96.0.11, port: 81}\n"
	       "  - {name: c, vip: 10.96.0.12, port: 82, node_port: 30080}\n",
	       4, "duplicate service *:30080/tcp", NULL);
	reject("services:\n"
	       "  - {name: a, vip: \"fd00::10\", port: 80, node_port: 30080}\n"
	       "  - {name: b, vip: \"fd00::11\", port: 80, node_port: 30080}\n",
	       3, "duplicate service [*]:30080/tcp", NULL);
	/* The same external IP on two services. */
	reject("services:\n"
	       "  - name: a\n"
	       "    vip: 10.96.0.10\n"
	       "    port: 443\n"
	       "    external_ips: [192.0.2.1, 192.0.2.2]\n"
	       "  - name: b\n"
	       "    vip: 10.96.0.11\n"
	       "    port: 443\n"
	       "    external_ips:\n"
	       "      - 192.0.2.3\n"
	       "      - 192.0.2.2\n",
	       6, "duplicate service 192.0.2.2:443/tcp", NULL);
	/* Within one entry: the item that repeats. */
	reject("services:\n"
	       "  - name: a\n"
	       "    vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    external_ips:\n"
	       "      - 192.0.2.1\n"
	       "      - 10.96.0.10\n",
	       7, "duplicate frontend 10.96.0.10:80/tcp", NULL);
	reject("services:\n"
	       "  - name: a\n"
	       "    vip: \"fd00::10\"\n"
	       "    port: 80\n"
	       "    external_ips:\n"
	       "      - \"2001:db8::1\"\n"
	       "      - \"2001:db8:0::1\"\n",
	       7, "duplicate frontend", "2001:db8:0::1", NULL);
}

/* With two kinds of duplicate, the earliest entry that repeats something
 * is reported, whichever kind it is. */
static void test_reject_duplicate_first(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - {name: a, vip: 10.96.0.10, port: 80}\n"
	       "  - {name: b, vip: 10.96.0.11, port: 80}\n"
	       "  - {name: c, vip: 10.96.0.10, port: 80}\n"
	       "  - {name: a, vip: 10.96.0.12, port: 80}\n",
	       4, "duplicate service 10.96.0.10:80/tcp", NULL);
	reject("services:\n"
	       "  - {name: a, vip: 10.96.0.10, port: 80}\n"
	       "  - {name: b, vip: 10.96.0.11, port: 80}\n"
	       "  - {name: a, vip: 10.96.0.12, port: 80}\n"
	       "  - {name: c, vip: 10.96.0.10, port: 80}\n",
	       4, "duplicate service name 'a'", NULL);
}

static void test_reject_node_port_external_ips(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    node_port: 0\n",
	       4, "node_port", "0 out of range (1-65535)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    node_port: 65536\n",
	       4, "node_port", "65536 out of range (1-65535)", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    node_port: [30080]\n",
	       4, "'node_port' must be a number", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    nodePort: 30080\n",
	       4, "unknown service key 'nodePort'", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    external_ips: 192.0.2.1\n",
	       4, "'external_ips' must be a list", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    external_ips:\n"
	       "      - 192.0.2.1\n"
	       "      - {ip: 192.0.2.2}\n",
	       6, "an external IP must be a string", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    external_ips: [192.0.2.300]\n",
	       4, "192.0.2.300", "not an IPv4 or IPv6 address", NULL);
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    external_ips: [0.0.0.0]\n",
	       4, "unspecified address 0.0.0.0", NULL);
	/* Every frontend of a service is of the VIP's family. */
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "    external_ips:\n"
	       "      - 2001:db8::1\n",
	       5, "2001:db8::1 is IPv6, the VIP is IPv4", NULL);
	reject("services:\n"
	       "  - vip: \"fd00::10\"\n"
	       "    port: 80\n"
	       "    external_ips: [192.0.2.1]\n",
	       4, "192.0.2.1 is IPv4, the VIP is IPv6", NULL);
}

/* table_size 7 holds at most 7 backends; an automatic table 4096. */
static void test_reject_too_many_backends(void **state)
{
	char *text;
	size_t cap = 1 << 20, len;
	int i;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	len = (size_t)snprintf(text, cap,
			       "services:\n"
			       "  - vip: 10.96.0.1\n"
			       "    port: 80\n"
			       "    table_size: 7\n"
			       "    backends:\n");
	for (i = 0; i < 8; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"      - address: 10.0.0.%d\n"
					"        port: 80\n",
					i + 1);
	reject(text, 6, "8 backends: at most 7 for table_size 7", NULL);

	len = (size_t)snprintf(text, cap,
			       "services:\n"
			       "  - vip: 10.96.0.1\n"
			       "    port: 80\n"
			       "    backends:\n");
	for (i = 0; i < 4097; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"      - {address: 10.%d.%d.1, port: "
					"80}\n",
					i / 256, i % 256);
	reject(text, 5, "4097 backends: at most 4096 per service", NULL);
	free(text);
}

/* Errors in a JSON file have line numbers too. */
static void test_reject_json_lines(void **state)
{
	(void)state;
	reject_named("svc.json",
		     "{\n"
		     "  \"services\": [\n"
		     "    {\n"
		     "      \"vip\": \"10.96.0.10\",\n"
		     "      \"port\": 0\n"
		     "    }\n"
		     "  ]\n"
		     "}\n",
		     5, "port", "0 out of range", NULL);
	reject_named("svc.json",
		     "{\"services\": [\n"
		     "  {\"vip\": \"10.96.0.10\", \"port\": 80,\n"
		     "   \"backends\": [\n"
		     "     {\"address\": \"10.0.1.5\", \"port\": 8080,\n"
		     "      \"state\": \"bogus\"}]}]}\n",
		     5, "state 'bogus'", NULL);
}

/* The first mistake is the one reported, also when later services are
 * fine and earlier ones are valid. */
static void test_reject_first_problem(void **state)
{
	(void)state;
	reject("services:\n"
	       "  - vip: 10.96.0.10\n"
	       "    port: 80\n"
	       "  - vip: 10.96.0.11\n"
	       "    port: 80\n"
	       "    protocol: sctp\n"
	       "  - vip: 10.96.0.12\n"
	       "    port: 0\n",
	       6, "sctp", NULL);
}

/* --- from a file ---------------------------------------------------- */

static char tmpfile_path[64];

static int tmpfile_teardown(void **state)
{
	(void)state;
	if (tmpfile_path[0])
		unlink(tmpfile_path);
	tmpfile_path[0] = '\0';
	return 0;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = write(fd, text, strlen(text));
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(text));
}

/* shunt_svcfile_load: the same from a file; its path in messages; a
 * missing file is -ENOENT with the path. (The file is removed by the
 * teardown whatever happens.) */
static void test_load_file(void **state)
{
	struct shunt_desired d, orig;
	char err[ERRLEN] = "", prefix[300];
	int fd, rc;

	(void)state;
	snprintf(tmpfile_path, sizeof(tmpfile_path),
		 "/tmp/shunt-svcfile-XXXXXX");
	fd = mkstemp(tmpfile_path);
	if (fd < 0) {
		tmpfile_path[0] = '\0';
		fail_msg("mkstemp: %s", strerror(errno));
	}
	close(fd);
	write_file(tmpfile_path, full_yaml);
	shunt_desired_init(&d);
	rc = shunt_svcfile_load(tmpfile_path, &d, err, sizeof(err));
	if (rc)
		fail_msg("load: %d %s", rc, err);
	check_full(&d);
	shunt_desired_free(&d);

	/* A mistake in the file: its path and line in the message. */
	write_file(tmpfile_path, "services:\n  - vip: 10.96.0.10\n"
				 "    port: 0\n");
	memset(&d, POISON, sizeof(d));
	orig = d;
	rc = shunt_svcfile_load(tmpfile_path, &d, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_memory_equal(&d, &orig, sizeof(d));
	snprintf(prefix, sizeof(prefix), "%s:3: ", tmpfile_path);
	if (strncmp(err, prefix, strlen(prefix)) ||
	    !strstr(err, "0 out of range"))
		fail_msg("error '%s', want '%s...0 out of range...'", err,
			 prefix);

	/* Missing file: -ENOENT, the path and the reason. */
	unlink(tmpfile_path);
	rc = shunt_svcfile_load(tmpfile_path, &d, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_memory_equal(&d, &orig, sizeof(d));
	if (!strstr(err, tmpfile_path) || !strstr(err, strerror(ENOENT)))
		fail_msg("error '%s' lacks the path or the reason", err);
}

/* The example shipped in deploy/ is a valid file. */
static void test_example_file(void **state)
{
	const char *src = getenv("SHUNT_SRC");
	char path[4096], err[ERRLEN] = "", cwd[2048];
	struct shunt_desired d;
	size_t i;
	int rc;

	(void)state;
	if (!src || !*src)
		src = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	snprintf(path, sizeof(path), "%s/deploy/services.example.yaml", src);
	if (access(path, R_OK))
		skip();
	shunt_desired_init(&d);
	rc = shunt_svcfile_load(path, &d, err, sizeof(err));
	if (rc)
		fail_msg("%s refused: %s", path, err);
	assert_true(d.n > 0);
	for (i = 0; i < d.n; i++)
		assert_true(d.svcs[i].name[0] != '\0');
	shunt_desired_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_yaml),
		cmocka_unit_test(test_full_json_same),
		cmocka_unit_test(test_json_tabs),
		cmocka_unit_test(test_empty_files),
		cmocka_unit_test(test_empty_null_forms),
		cmocka_unit_test(test_flow_style),
		cmocka_unit_test(test_limits_accepted),
		cmocka_unit_test(test_capacity_exact),
		cmocka_unit_test(test_out_replaced),
		cmocka_unit_test(test_reject_duplicate_keys),
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_reject_yaml_syntax),
		cmocka_unit_test(test_reject_yaml_unterminated),
		cmocka_unit_test(test_reject_top_level),
		cmocka_unit_test(test_reject_service_shape),
		cmocka_unit_test(test_reject_vip),
		cmocka_unit_test(test_reject_wildcard_vip),
		cmocka_unit_test(test_reject_port),
		cmocka_unit_test(test_reject_protocol),
		cmocka_unit_test(test_reject_table_size),
		cmocka_unit_test(test_reject_affinity),
		cmocka_unit_test(test_reject_backends_shape),
		cmocka_unit_test(test_reject_backend_values),
		cmocka_unit_test(test_reject_duplicates),
		cmocka_unit_test(test_node_port_external_ips),
		cmocka_unit_test(test_node_port_ipv6),
		cmocka_unit_test(test_node_port_json),
		cmocka_unit_test(test_lb_mode),
		cmocka_unit_test(test_reject_lb_mode),
		cmocka_unit_test(test_source_ranges),
		cmocka_unit_test(test_reject_source_ranges),
		cmocka_unit_test(test_default_name),
		cmocka_unit_test(test_reject_duplicate_names),
		cmocka_unit_test(test_reject_duplicate_frontends),
		cmocka_unit_test(test_reject_duplicate_first),
		cmocka_unit_test(test_reject_node_port_external_ips),
		cmocka_unit_test(test_reject_too_many_backends),
		cmocka_unit_test(test_reject_json_lines),
		cmocka_unit_test(test_reject_first_problem),
		cmocka_unit_test_teardown(test_load_file, tmpfile_teardown),
		cmocka_unit_test(test_example_file),
	};

	return cmocka_run_group_tests_name("svcfile", tests, NULL, NULL);
}
