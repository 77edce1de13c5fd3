// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Kubernetes source (user/shuntd/k8s*.c) against tests/k8s/
 * fake-apiserver.py: list with pagination, watch events, bookmarks,
 * dropped connections, 410 Gone, malformed events, credentials (token,
 * rotated token file, client certificate, CA), and stopping while a
 * watch is blocked. Each test starts its own server and source; every
 * wait has a generous timeout and asserts on k8s_source_desired(),
 * k8s_source_stats() and the requests the server recorded. Whenever the
 * desired state is reached, k8s_source_changes() is applied to a copy
 * the test keeps (as the agent does), which must then be the same state;
 * what each of those calls gave (full, or which services it upserted
 * and removed) is checked where it is known.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "k8s.h"
#include "k8s_model.h"
#include "log.h"
#include "parse.h"

/* The lists of a start: Services, EndpointSlices and this node's Node. */
#define N_LISTS 3

#define WAIT_MS	     15000
#define STOP_MS	     5000 /* k8s_source_stop() of a blocked watch */
#define TEST_TIMEOUT 120  /* seconds: a hung test (stop blocked) fails */
#define TOKEN	     "t0k3n-for-tests"
#define SVCS	     "services"
#define SLICES	     "endpointslices"

struct env {
	pid_t srv;
	int port;
	bool tls;
	char dir[64];
	char paths[3][96]; /* temp_files in dir */
	int efd;
	struct k8s_source *src;
	char rv[32]; /* the server's resourceVersion after the last op */
	/* The desired state as the k8s_source_changes() calls made it,
	 * and what the last of them gave. */
	struct shunt_desired mirror;
	bool last_full;
	char last_upserts[1024], last_removes[1024];
};

static struct env E;

/* --- files ------------------------------------------------------------- */

/* The source tree, absolute (kubeconfig paths are relative to it). */
static const char *src_dir(void)
{
	static char dir[PATH_MAX];
	const char *s = getenv("SHUNT_SRC");

	if (!dir[0] && !realpath(s ? s : ".", dir))
		fail_msg("realpath %s: %s", s ? s : ".", strerror(errno));
	return dir;
}

static const char *fixture(const char *name)
{
	static char bufs[8][PATH_MAX + 64];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/tests/k8s/fixtures/tls/%s", src_dir(),
		 name);
	return b;
}

static const char *in_dir(const char *name)
{
	static char bufs[8][256];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", E.dir, name);
	return b;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");
	FILE *m = open_memstream(&buf, &len);
	int c;

	assert_non_null(f);
	assert_non_null(m);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static char *base64(const char *s)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
		"vwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(n / 3 * 4 + 5);
	uint32_t v;

	assert_non_null(out);
	for (i = 0; i < n; i += 3) {
		v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* --- the fake API server ------------------------------------------------ */

static void server_start(const char *const *args)
{
	char script[PATH_MAX + 64], line[32] = "";
	const char *argv[16];
	struct pollfd p;
	int fds[2], n = 0;
	ssize_t got;

	snprintf(script, sizeof(script), "%s/tests/k8s/fake-apiserver.py",
		 src_dir());
	argv[n++] = "python3";
	argv[n++] = script;
	while (args && *args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	n = 0;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	E.srv = fork();
	assert_true(E.srv >= 0);
	if (!E.srv) {
		dup2(fds[1], STDOUT_FILENO);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	while (!strchr(line, '\n') && n < (int)sizeof(line) - 1) {
		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		got = read(fds[0], line + n, sizeof(line) - 1 - n);
		assert_true(got > 0);
		n += got;
	}
	close(fds[0]);
	E.port = atoi(line);
	assert_true(E.port > 0);
}

static void server_stop(void)
{
	if (E.srv > 0) {
		kill(E.srv, SIGTERM);
		waitpid(E.srv, NULL, 0);
	}
	E.srv = 0;
}

static size_t to_buf(char *p, size_t size, size_t n, void *arg)
{
	FILE *m = arg;

	return fwrite(p, size, n, m);
}

/* A control request; the response body as JSON (json_object_put it). */
static struct json_object *control(const char *path, const char *body)
{
	char url[128], *resp = NULL;
	struct curl_slist *h = NULL;
	struct json_object *o;
	size_t len = 0;
	FILE *m = open_memstream(&resp, &len);
	CURL *c = curl_easy_init();
	long code = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s",
		 E.tls ? "https" : "http", E.port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, fixture("ca.crt"));
	curl_easy_setopt(c, CURLOPT_SSLCERT, fixture("client.crt"));
	curl_easy_setopt(c, CURLOPT_SSLKEY, fixture("client.key"));
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, m);
	if (body) {
		h = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	fclose(m);
	if (code != 200)
		fail_msg("control %s: HTTP %ld: %s", path, code, resp);
	o = json_tokener_parse(resp);
	free(resp);
	assert_non_null(o);
	return o;
}

/* One control op, printf-style JSON. */
__attribute__((format(printf, 1, 2))) static void ctl(const char *fmt, ...)
{
	struct json_object *o, *rv;
	char *body;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&body, fmt, ap) >= 0);
	va_end(ap);
	o = control("/_control", body);
	free(body);
	assert_true(json_object_object_get_ex(o, "rv", &rv));
	snprintf(E.rv, sizeof(E.rv), "%d", json_object_get_int(rv));
	json_object_put(o);
}

/* Requests of resource (watches or lists) whose query has key=value
 * (key NULL: any; value NULL: any value); with auth != NULL, each must
 * have sent it. */
static int requests(const char *resource, bool watch, const char *key,
		    const char *value, const char *auth)
{
	struct json_object *all = control("/_control/requests", NULL), *r, *v;
	struct json_object *q;
	size_t i;
	int n = 0;

	for (i = 0; i < json_object_array_length(all); i++) {
		r = json_object_array_get_idx(all, i);
		json_object_object_get_ex(r, "resource", &v);
		if (!v || strcmp(json_object_get_string(v), resource))
			continue;
		json_object_object_get_ex(r, "watch", &v);
		if (json_object_get_boolean(v) != watch)
			continue;
		json_object_object_get_ex(r, "query", &q);
		if (key &&
		    (!json_object_object_get_ex(q, key, &v) ||
		     (value && strcmp(json_object_get_string(v), value))))
			continue;
		json_object_object_get_ex(r, "auth", &v);
		if (auth && (!v || strcmp(json_object_get_string(v), auth)))
			fail_msg("request %s sent auth '%s'",
				 json_object_to_json_string(r),
				 v ? json_object_get_string(v) : "(none)");
		n++;
	}
	json_object_put(all);
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void wait_request(const char *resource, bool watch, const char *key,
			 const char *value)
{
	long long end = now_ms() + WAIT_MS;

	while (!requests(resource, watch, key, value, NULL)) {
		if (now_ms() > end)
			fail_msg("no %s %s request with %s=%s", resource,
				 watch ? "watch" : "list", key, value);
		usleep(20000);
	}
}

/* Open watches of resource, from the server's view. */
static int watching(const char *resource)
{
	struct json_object *st = control("/_control/state", NULL), *w, *n;
	int v;

	assert_true(json_object_object_get_ex(st, "watching", &w));
	assert_true(json_object_object_get_ex(w, resource, &n));
	v = json_object_get_int(n);
	json_object_put(st);
	return v;
}

static void wait_watching(void)
{
	long long end = now_ms() + WAIT_MS;

	while (watching(SVCS) < 1 || watching(SLICES) < 1) {
		if (now_ms() > end)
			fail_msg("the source did not open both watches");
		usleep(20000);
	}
}

/* --- objects ------------------------------------------------------------ */

static const char *tmp(void)
{
	static char bufs[16][2048];
	static int i;

	return bufs[i++ % 16];
}

/* A ClusterIP Service in namespace default with one TCP port. */
static const char *svc(const char *name, const char *ip, int port,
		       const char *pname)
{
	char *b = (char *)tmp();

	snprintf(
		b, 2048,
		"{\"metadata\": {\"namespace\": \"default\", \"name\": \"%s\"},"
		" \"spec\": {\"type\": \"ClusterIP\", \"clusterIP\": \"%s\","
		" \"clusterIPs\": [\"%s\"], \"ports\": [{\"name\": \"%s\","
		" \"port\": %d, \"protocol\": \"TCP\","
		" \"targetPort\": \"%s\"}]}}",
		name, ip, ip, pname, port, pname);
	return b;
}

/* An IPv4 slice of Service service: eps "IP IP~ ..." (~: terminating
 * but serving). */
static const char *slice(const char *name, const char *service,
			 const char *pname, int port, const char *eps)
{
	char *b = (char *)tmp(), list[1024] = "", copy[256], *ip, *save;
	bool draining;

	snprintf(copy, sizeof(copy), "%s", eps);
	for (ip = strtok_r(copy, " ", &save); ip;
	     ip = strtok_r(NULL, " ", &save)) {
		draining = ip[strlen(ip) - 1] == '~';
		if (draining)
			ip[strlen(ip) - 1] = '\0';
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s{\"addresses\": [\"%s\"], \"conditions\":"
			 " {\"ready\": %s, \"serving\": true,"
			 " \"terminating\": %s}, \"nodeName\": \"node-a\"}",
			 list[0] ? ", " : "", ip, draining ? "false" : "true",
			 draining ? "true" : "false");
	}
	snprintf(b, 2048,
		 "{\"metadata\": {\"namespace\": \"default\", \"name\": \"%s\","
		 " \"labels\": {\"kubernetes.io/service-name\": \"%s\"}},"
		 " \"addressType\": \"IPv4\", \"endpoints\": [%s],"
		 " \"ports\": [{\"name\": \"%s\", \"port\": %d,"
		 " \"protocol\": \"TCP\"}]}",
		 name, service, list, pname, port);
	return b;
}

/* --- the source ------------------------------------------------------- */

static void kubeconfig(const char *server, const char *cluster_extra,
		       const char *user)
{
	char *text;

	assert_true(asprintf(&text,
			     "apiVersion: v1\n"
			     "kind: Config\n"
			     "current-context: test\n"
			     "contexts:\n"
			     "- name: other\n"
			     "  context: {cluster: nowhere, user: nobody}\n"
			     "- name: test\n"
			     "  context:\n"
			     "    cluster: fake\n"
			     "    user: tester\n"
			     "clusters:\n"
			     "- name: fake\n"
			     "  cluster:\n"
			     "    server: %s\n"
			     "%s"
			     "users:\n"
			     "- name: tester\n"
			     "  user:\n"
			     "%s",
			     server, cluster_extra, user) >= 0);
	write_file(in_dir("kubeconfig"), text);
	free(text);
}

static void kubeconfig_http(const char *token)
{
	char server[64], user[256];

	snprintf(server, sizeof(server), "http://127.0.0.1:%d/", E.port);
	snprintf(user, sizeof(user), "    token: %s\n", token);
	kubeconfig(server, "", user);
}

static int start_with(struct k8s_options *o)
{
	o->node_name = "node-a";
	shunt_desired_free(&E.mirror);
	return k8s_source_start(o, E.efd, &E.src);
}

static void start_kubeconfig(void)
{
	struct k8s_options o = {.kubeconfig = in_dir("kubeconfig"),
				.insecure_http = true};

	assert_int_equal(start_with(&o), 0);
}

static void stop_source(void)
{
	long long t0 = now_ms();

	k8s_source_stop(E.src);
	E.src = NULL;
	if (now_ms() - t0 > STOP_MS)
		fail_msg("k8s_source_stop took %lld ms", now_ms() - t0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Words of s sorted, joined by spaces. */
static void canon(char *s, char *out, size_t len)
{
	char *words[256], *w, *save;
	size_t n = 0, i;

	for (w = strtok_r(s, " ", &save); w && n < 256;
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	qsort(words, n, sizeof(*words), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
			 i ? " " : "", words[i]);
}

/*
 * d as "NAME=FE+FE>BE,BE~,..." words, sorted: frontends as
 * shunt_format_service() writes them, "[FLAGS]" added when they have
 * flags (N NodePort, E external, L local); backends "~" when draining.
 */
static void describe_desired(const struct shunt_desired *d, char *out,
			     size_t len)
{
	char raw[8192] = "", buf[SHUNT_ADDRSTRLEN];
	size_t i, j;

	for (i = 0; i < d->n; i++) {
		const struct shunt_service_spec *s = &d->svcs[i];

		snprintf(raw + strlen(raw), sizeof(raw) - strlen(raw),
			 "%s%s=", i ? " " : "", s->name);
		for (j = 0; j < s->n_frontends; j++) {
			const struct shunt_frontend_spec *f = &s->frontends[j];

			snprintf(raw + strlen(raw), sizeof(raw) - strlen(raw),
				 "%s%s", j ? "+" : "",
				 shunt_format_service(&f->key, buf,
						      sizeof(buf)));
			if (f->flags)
				snprintf(raw + strlen(raw),
					 sizeof(raw) - strlen(raw), "[%s%s%s]",
					 f->flags & SHUNT_FE_F_NODEPORT ? "N"
									: "",
					 f->flags & SHUNT_FE_F_EXTERNAL ? "E"
									: "",
					 f->flags & SHUNT_FE_F_LOCAL ? "L"
								     : "");
		}
		snprintf(raw + strlen(raw), sizeof(raw) - strlen(raw), ">");
		for (j = 0; j < s->n_backends; j++) {
			const struct shunt_backend_spec *b = &s->backends[j];

			snprintf(raw + strlen(raw), sizeof(raw) - strlen(raw),
				 "%s%s%s", j ? "," : "",
				 shunt_format_endpoint(&b->addr, b->port,
						       b->family, buf,
						       sizeof(buf)),
				 b->state == SHUNT_BE_DRAINING ? "~" : "");
		}
	}
	canon(raw, out, len);
}

/* The source's desired state (k8s_source_desired), described. */
static void describe(char *out, size_t len)
{
	struct shunt_desired d;

	assert_int_equal(k8s_source_desired(E.src, &d), 0);
	describe_desired(&d, out, len);
	shunt_desired_free(&d);
}

static int cmp_spec_name(const void *a, const void *b)
{
	return strcmp(((const struct shunt_service_spec *)a)->name,
		      ((const struct shunt_service_spec *)b)->name);
}

/* Apply one k8s_source_changes() to E.mirror, remember what it gave. */
static void sync_mirror(void)
{
	struct shunt_desired next;
	struct k8s_changes c;
	char names[1024] = "";
	size_t i, j;
	bool gone;

	assert_int_equal(k8s_source_changes(E.src, &c), 0);
	shunt_desired_init(&next);
	for (i = 0; !c.full && i < E.mirror.n; i++) {
		const struct shunt_service_spec *s = &E.mirror.svcs[i];

		for (j = 0, gone = false; j < c.n_remove; j++)
			gone |= !strcmp(c.remove[j], s->name);
		if (!gone && !shunt_desired_find(&c.want, s->name))
			assert_int_equal(shunt_desired_add(&next, s), 0);
	}
	for (i = 0; i < c.want.n; i++) {
		assert_int_equal(shunt_desired_add(&next, &c.want.svcs[i]), 0);
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s", i ? " " : "", c.want.svcs[i].name);
	}
	if (c.n_remove)
		qsort(c.remove, c.n_remove, sizeof(*c.remove), cmp_str);
	E.last_full = c.full;
	canon(names, E.last_upserts, sizeof(E.last_upserts));
	E.last_removes[0] = '\0';
	for (j = 0; j < c.n_remove; j++) {
		if (c.full)
			fail_msg("a full change with names to remove");
		snprintf(E.last_removes + strlen(E.last_removes),
			 sizeof(E.last_removes) - strlen(E.last_removes),
			 "%s%s", j ? " " : "", c.remove[j]);
	}
	qsort(next.svcs, next.n, sizeof(*next.svcs), cmp_spec_name);
	shunt_desired_free(&E.mirror);
	E.mirror = next;
	k8s_changes_free(&c);
}

/* What the last k8s_source_changes() gave: full or not, the names it
 * upserted and removed (sorted words). */
static void assert_changes(bool full, const char *upserts, const char *removes)
{
	char copy[1024], w[1024];

	if (E.last_full != full)
		fail_msg("changes: full %d, want %d", E.last_full, full);
	snprintf(copy, sizeof(copy), "%s", upserts);
	canon(copy, w, sizeof(w));
	if (strcmp(E.last_upserts, w))
		fail_msg("changes upserted:\n  got  '%s'\n  want '%s'",
			 E.last_upserts, w);
	snprintf(copy, sizeof(copy), "%s", removes);
	canon(copy, w, sizeof(w));
	if (strcmp(E.last_removes, w))
		fail_msg("changes removed:\n  got  '%s'\n  want '%s'",
			 E.last_removes, w);
}

/* Read the eventfd, waiting up to ms; true when it had been written. */
static bool notified(int ms)
{
	struct pollfd p = {.fd = E.efd, .events = POLLIN};
	uint64_t v;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(E.efd, &v, sizeof(v)) == sizeof(v) && v > 0;
}

/*
 * Wait (on the eventfd) until the desired state is want; then the
 * changes since the last wait, applied to E.mirror, must give the same.
 */
static void wait_desired(const char *want)
{
	char got[8192], w[8192], copy[8192];
	long long end = now_ms() + WAIT_MS;

	snprintf(copy, sizeof(copy), "%s", want);
	canon(copy, w, sizeof(w));
	for (;;) {
		describe(got, sizeof(got));
		if (!strcmp(got, w))
			break;
		if (now_ms() > end)
			fail_msg("desired state:\n  got  '%s'\n  want '%s'",
				 got, w);
		notified(200);
	}
	sync_mirror();
	describe_desired(&E.mirror, got, sizeof(got));
	if (strcmp(got, w))
		fail_msg("state made of k8s_source_changes():\n  got  '%s'\n"
			 "  want '%s'",
			 got, w);
}

static struct k8s_stats stats(void)
{
	struct k8s_stats st;

	k8s_source_stats(E.src, &st);
	return st;
}

/* Wait until the stats field reaches at least min. */
#define wait_stat(field, min)                                                  \
	do {                                                                   \
		long long end_ = now_ms() + WAIT_MS;                           \
		while (stats().field < (min)) {                                \
			if (now_ms() > end_)                                   \
				fail_msg("stats." #field " = %llu < %llu",     \
					 (unsigned long long)stats().field,    \
					 (unsigned long long)(min));           \
			notified(100);                                         \
		}                                                              \
	} while (0)

/* --- set-up ------------------------------------------------------------ */

static const char *const temp_files[] = {"kubeconfig", "token", "ca.crt"};

/* Async-signal-safe: the paths are made in setup(). */
static void remove_files(void)
{
	size_t i;

	for (i = 0; i < sizeof(temp_files) / sizeof(temp_files[0]); i++)
		unlink(E.paths[i]);
	rmdir(E.dir);
}

static void timed_out(int sig)
{
	static const char msg[] = "test_k8s_watch: test hung, giving up\n";
	ssize_t n;

	(void)sig;
	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	if (E.srv > 0)
		kill(E.srv, SIGTERM);
	remove_files();
	_exit(1);
}

static int setup(void **state)
{
	size_t i;

	(void)state;
	memset(&E, 0, sizeof(E));
	signal(SIGALRM, timed_out);
	alarm(TEST_TIMEOUT);
	snprintf(E.dir, sizeof(E.dir), "/tmp/shunt-k8s-test-XXXXXX");
	if (!mkdtemp(E.dir))
		return -1;
	for (i = 0; i < sizeof(temp_files) / sizeof(temp_files[0]); i++)
		snprintf(E.paths[i], sizeof(E.paths[i]), "%s",
			 in_dir(temp_files[i]));
	E.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return E.efd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	k8s_source_stop(E.src);
	E.src = NULL;
	server_stop();
	close(E.efd);
	remove_files();
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	shunt_desired_free(&E.mirror);
	alarm(0);
	return 0;
}

static void seed_objects(void)
{
	ctl("{\"op\": \"set\", \"resource\": \"services\", \"objects\": "
	    "[%s, %s, %s]}",
	    svc("web", "10.96.0.10", 80, "http"),
	    svc("api", "10.96.0.11", 443, "https"),
	    svc("db", "10.96.0.12", 5432, "pg"));
	ctl("{\"op\": \"set\", \"resource\": \"endpointslices\", \"objects\": "
	    "[%s, %s, %s]}",
	    slice("web-1", "web", "http", 8080, "10.244.0.1 10.244.0.2"),
	    slice("api-1", "api", "https", 8443, "10.244.1.1"),
	    slice("db-1", "db", "pg", 5432, "10.244.2.1"));
}

/* The services of svc() Services: "NAME=FRONTEND>" (backends follow). */
#define WEB   "default/web:http=10.96.0.10:80/tcp>"
#define API   "default/api:https=10.96.0.11:443/tcp>"
#define DB    "default/db:pg=10.96.0.12:5432/tcp>"
#define CACHE "default/cache:redis=10.96.0.13:6379/tcp>"
#define SEEDED                                                                 \
	WEB "10.244.0.1:8080,10.244.0.2:8080 " API "10.244.1.1:8443 " DB       \
	    "10.244.2.1:5432"
#define SEEDED_NAMES "default/web:http default/api:https default/db:pg"

/* A plain HTTP server with the seed objects and a source on it. */
static void start_seeded(void)
{
	const char *const args[] = {"--token", TOKEN, NULL};

	server_start(args);
	seed_objects();
	kubeconfig_http(TOKEN);
	start_kubeconfig();
	wait_desired(SEEDED);
	wait_watching();
}

/* --- tests ------------------------------------------------------------ */

/* Paginated list, then watches from the list's resourceVersion; the
 * token on every request; stop while both watches are blocked. */
static void test_list_pagination(void **state)
{
	const char *const args[] = {"--token", TOKEN, NULL};
	const char *auth = "Bearer " TOKEN;
	struct k8s_stats st;
	char list_rv[32];

	(void)state;
	server_start(args);
	ctl("{\"op\": \"page_size\", \"n\": 2}");
	/* The first services continue token has expired: list again. */
	ctl("{\"op\": \"fail_list\", \"resource\": \"services\", "
	    "\"code\": 410, \"continue\": true}");
	seed_objects();
	snprintf(list_rv, sizeof(list_rv), "%s", E.rv);
	kubeconfig_http(TOKEN);
	start_kubeconfig();
	assert_true(notified(WAIT_MS));
	wait_desired(SEEDED);
	assert_changes(true, SEEDED_NAMES, "");
	wait_watching();

	st = stats();
	assert_true(st.synced);
	assert_int_equal(st.relists, N_LISTS); /* one list per resource */
	assert_int_equal(st.bad_events, 0);
	assert_int_equal(st.errors, 0);
	/* Three objects a resource at two a page: two requests, the second
	 * with the first's continue token (services: twice, the first
	 * token expired); the watch from the list's RV. */
	assert_int_equal(requests(SVCS, false, "limit", "500", auth), 4);
	assert_int_equal(requests(SVCS, false, "continue", NULL, auth), 2);
	assert_int_equal(requests(SLICES, false, "limit", "500", auth), 2);
	assert_int_equal(requests(SLICES, false, "continue", NULL, auth), 1);
	assert_int_equal(requests(SVCS, true, "resourceVersion", list_rv, auth),
			 1);
	assert_int_equal(
		requests(SLICES, true, "resourceVersion", list_rv, auth), 1);
	assert_int_equal(
		requests(SVCS, true, "allowWatchBookmarks", "true", auth), 1);
	/* kube-proxy's label selector on every list and watch: no Service
	 * of another proxy, no headless one. */
	assert_int_equal(requests(SVCS, false, "labelSelector",
				  K8S_NOT_OURS_SELECTOR, auth),
			 4);
	assert_int_equal(requests(SLICES, false, "labelSelector",
				  K8S_NOT_OURS_SELECTOR, auth),
			 2);
	assert_int_equal(requests(SVCS, true, "labelSelector",
				  K8S_NOT_OURS_SELECTOR, auth),
			 1);
	assert_int_equal(requests(SLICES, true, "labelSelector",
				  K8S_NOT_OURS_SELECTOR, auth),
			 1);
	assert_int_equal(requests(SLICES, true, "timeoutSeconds", NULL, auth),
			 1);
	assert_int_equal(requests(SLICES, true, NULL, NULL, auth), 1);
	stop_source();
}

/* ADDED, MODIFIED and DELETED for both resources, each announced on the
 * eventfd. */
static void test_events(void **state)
{
	(void)state;
	start_seeded();
	while (notified(0))
		;
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"ADDED\", \"object\": %s}]}",
	    svc("cache", "10.96.0.13", 6379, "redis"));
	assert_true(notified(WAIT_MS));
	ctl("{\"op\": \"events\", \"resource\": \"endpointslices\", \"steps\": "
	    "[{\"type\": \"ADDED\", \"object\": %s}]}",
	    slice("cache-1", "cache", "redis", 6379, "10.244.3.1"));
	wait_desired(SEEDED " " CACHE "10.244.3.1:6379");
	/* Only what the events touched. */
	assert_changes(false, "default/cache:redis", "");

	/* A rollout: one endpoint terminating, a new one ready. */
	ctl("{\"op\": \"events\", \"resource\": \"endpointslices\", \"steps\": "
	    "[{\"type\": \"MODIFIED\", \"object\": %s}]}",
	    slice("web-1", "web", "http", 8080,
		  "10.244.0.1~ 10.244.0.2 10.244.0.3"));
	/* The Service's port moves to 8000. */
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"MODIFIED\", \"object\": %s}]}",
	    svc("api", "10.96.0.11", 8000, "https"));
	wait_desired(WEB
		     "10.244.0.1:8080~,10.244.0.2:8080,10.244.0.3:8080 "
		     "default/api:https=10.96.0.11:8000/tcp>10.244.1.1:8443 " DB
		     "10.244.2.1:5432 " CACHE "10.244.3.1:6379");
	assert_changes(false, "default/web:http default/api:https", "");

	ctl("{\"op\": \"events\", \"resource\": \"endpointslices\", \"steps\": "
	    "[{\"type\": \"DELETED\", \"object\": %s}]}",
	    slice("db-1", "db", "pg", 5432, "10.244.2.1"));
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"DELETED\", \"object\": %s}]}",
	    svc("cache", "10.96.0.13", 6379, "redis"));
	wait_desired(
		WEB
		"10.244.0.1:8080~,10.244.0.2:8080,10.244.0.3:8080 "
		"default/api:https=10.96.0.11:8000/tcp>10.244.1.1:8443 " DB);
	assert_changes(false, "default/db:pg", "default/cache:redis");
	assert_int_equal(stats().events, 6);

	/* A renamed port is another service: the old name is removed. */
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"MODIFIED\", \"object\": %s}]}",
	    svc("api", "10.96.0.11", 8000, "tls"));
	wait_desired(WEB "10.244.0.1:8080~,10.244.0.2:8080,10.244.0.3:8080 "
			 "default/api:tls=10.96.0.11:8000/tcp> " DB);
	assert_changes(false, "default/api:tls", "default/api:https");
	assert_int_equal(stats().events, 7);
	assert_int_equal(stats().errors, 0);
	assert_int_equal(stats().relists, N_LISTS);

	/* After k8s_source_resync(), the next changes are full again. */
	k8s_source_resync(E.src);
	wait_desired(WEB "10.244.0.1:8080~,10.244.0.2:8080,10.244.0.3:8080 "
			 "default/api:tls=10.96.0.11:8000/tcp> " DB);
	assert_changes(true, "default/web:http default/api:tls default/db:pg",
		       "");
	assert_int_equal(stats().relists, N_LISTS);
}

/* A Service of namespace default with this spec (JSON). */
static const char *svc_spec(const char *name, const char *spec)
{
	char *b = (char *)tmp();

	snprintf(
		b, 2048,
		"{\"metadata\": {\"namespace\": \"default\", \"name\": \"%s\"},"
		" \"spec\": %s}",
		name, spec);
	return b;
}

/* An IPv4 slice of Service service, port "http" 8080, with endpoints
 * "IP@NODE ..." (ready). */
static const char *slice_on(const char *name, const char *service,
			    const char *eps)
{
	char *b = (char *)tmp(), list[1024] = "", copy[256], *ep, *at, *save;

	snprintf(copy, sizeof(copy), "%s", eps);
	for (ep = strtok_r(copy, " ", &save); ep;
	     ep = strtok_r(NULL, " ", &save)) {
		at = strchr(ep, '@');
		assert_non_null(at);
		*at = '\0';
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s{\"addresses\": [\"%s\"], \"conditions\":"
			 " {\"ready\": true}, \"nodeName\": \"%s\"}",
			 list[0] ? ", " : "", ep, at + 1);
	}
	snprintf(b, 2048,
		 "{\"metadata\": {\"namespace\": \"default\", \"name\": \"%s\","
		 " \"labels\": {\"kubernetes.io/service-name\": \"%s\"}},"
		 " \"addressType\": \"IPv4\", \"endpoints\": [%s],"
		 " \"ports\": [{\"name\": \"http\", \"port\": 8080,"
		 " \"protocol\": \"TCP\"}]}",
		 name, service, list);
	return b;
}

/*
 * NodePort and LoadBalancer Services through the source: the NodePort
 * wildcard; with externalTrafficPolicy Local, a "/local" service with
 * only this node's (node-a's) endpoints. A frontend claimed by two
 * Services goes to the first by namespace/name; when that one is
 * deleted, the next changes give it to the other.
 */
static void test_node_port_local(void **state)
{
	(void)state;
	start_seeded();
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"ADDED\", \"object\": %s},"
	    " {\"type\": \"ADDED\", \"object\": %s}]}",
	    svc_spec("np", "{\"type\": \"NodePort\", \"clusterIP\": "
			   "\"10.96.0.20\", \"ports\": [{\"name\": \"http\", "
			   "\"port\": 80, \"nodePort\": 30080}]}"),
	    svc_spec("lb", "{\"type\": \"LoadBalancer\", \"clusterIP\": "
			   "\"10.96.0.21\", \"externalTrafficPolicy\": "
			   "\"Local\", \"externalIPs\": [\"192.0.2.1\"], "
			   "\"ports\": [{\"name\": \"http\", \"port\": 80, "
			   "\"nodePort\": 30081}]}"));
	ctl("{\"op\": \"events\", \"resource\": \"endpointslices\", \"steps\": "
	    "[{\"type\": \"ADDED\", \"object\": %s},"
	    " {\"type\": \"ADDED\", \"object\": %s}]}",
	    slice_on("np-1", "np", "10.244.4.1@node-a 10.244.4.2@node-b"),
	    slice_on("lb-1", "lb", "10.244.5.1@node-a 10.244.5.2@node-b"));
	wait_desired(SEEDED
		     " default/np:http=10.96.0.20:80/tcp+*:30080/tcp[NE]"
		     ">10.244.4.1:8080,10.244.4.2:8080"
		     " default/lb:http=10.96.0.21:80/tcp"
		     ">10.244.5.1:8080,10.244.5.2:8080"
		     " default/lb:http/local=*:30081/tcp[NEL]+192.0.2.1:80/"
		     "tcp[EL]>10.244.5.1:8080");
	assert_changes(false,
		       "default/np:http default/lb:http "
		       "default/lb:http/local",
		       "");

	/* default/api claims 192.0.2.1 too (its external IPs are at each
	 * of its ports): default/api is first for 192.0.2.1:80. */
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"MODIFIED\", \"object\": %s}]}",
	    svc_spec("api",
		     "{\"clusterIP\": \"10.96.0.11\", \"externalIPs\":"
		     " [\"192.0.2.1\"], \"ports\": [{\"name\": "
		     "\"https\", \"port\": 443, \"targetPort\": "
		     "\"https\"}, {\"name\": \"http\", \"port\": 80}]}"));
	wait_desired(WEB "10.244.0.1:8080,10.244.0.2:8080 " DB "10.244.2.1:5432"
			 " default/api:https=10.96.0.11:443/tcp+192.0.2.1:443/"
			 "tcp[E]>10.244.1.1:8443"
			 " default/api:http=10.96.0.11:80/tcp+192.0.2.1:80/"
			 "tcp[E]>"
			 " default/np:http=10.96.0.20:80/tcp+*:30080/tcp[NE]"
			 ">10.244.4.1:8080,10.244.4.2:8080"
			 " default/lb:http=10.96.0.21:80/tcp"
			 ">10.244.5.1:8080,10.244.5.2:8080"
			 " default/lb:http/local=*:30081/tcp[NEL]"
			 ">10.244.5.1:8080");
	/* Every service of a Service that changed, default/lb's too. */
	assert_changes(false,
		       "default/api:https default/api:http default/lb:http "
		       "default/lb:http/local",
		       "");

	/* default/api gone: default/lb gets 192.0.2.1:80 back. */
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"DELETED\", \"object\": %s}]}",
	    svc("api", "10.96.0.11", 443, "https"));
	wait_desired(WEB "10.244.0.1:8080,10.244.0.2:8080 " DB "10.244.2.1:5432"
			 " default/np:http=10.96.0.20:80/tcp+*:30080/tcp[NE]"
			 ">10.244.4.1:8080,10.244.4.2:8080"
			 " default/lb:http=10.96.0.21:80/tcp"
			 ">10.244.5.1:8080,10.244.5.2:8080"
			 " default/lb:http/local=*:30081/tcp[NEL]+192.0.2.1:80/"
			 "tcp[EL]>10.244.5.1:8080");
	assert_changes(false, "default/lb:http default/lb:http/local",
		       "default/api:https default/api:http");
}

/* A BOOKMARK moves the resourceVersion the next watch starts from; a
 * dropped connection reconnects with the cache intact. */
static void test_bookmark_and_drop(void **state)
{
	char rv[32];

	(void)state;
	start_seeded();
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"bookmark\": \"5000\"}, {\"close\": true}]}");
	wait_request(SVCS, true, "resourceVersion", "5000");
	wait_stat(errors, 1);
	wait_desired(SEEDED);
	assert_int_equal(stats().relists, N_LISTS); /* no relist for a drop */
	assert_changes(false, "", "");

	/* The new watch applies events; its RV follows the last event. */
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"DELETED\", \"object\": %s}, {\"end\": true}]}",
	    svc("db", "10.96.0.12", 5432, "pg"));
	wait_desired(WEB "10.244.0.1:8080,10.244.0.2:8080 " API
			 "10.244.1.1:8443");
	assert_changes(false, "", "default/db:pg");
	snprintf(rv, sizeof(rv), "%d", atoi(E.rv) + 1); /* the DELETED's */
	wait_request(SVCS, true, "resourceVersion", rv);
	assert_int_equal(stats().relists, N_LISTS);
	assert_int_equal(stats().bad_events, 0);
}

/* 410 Gone, as an HTTP status and as an ERROR event: a relist, where
 * objects deleted while the watch was down disappear. */
static void test_gone_relists(void **state)
{
	(void)state;
	start_seeded();
	/* Changes the watch never sees, then a drop and 410 on return. */
	ctl("{\"op\": \"delete\", \"resource\": \"services\", "
	    "\"key\": \"default/db\"}");
	ctl("{\"op\": \"put\", \"resource\": \"services\", \"object\": %s}",
	    svc("cache", "10.96.0.13", 6379, "redis"));
	ctl("{\"op\": \"fail_watch\", \"resource\": \"services\", "
	    "\"code\": 410}");
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"close\": true}]}");
	wait_desired(WEB "10.244.0.1:8080,10.244.0.2:8080 " API
			 "10.244.1.1:8443 " CACHE);
	/* After a relist, everything. */
	assert_changes(true,
		       "default/web:http default/api:https "
		       "default/cache:redis",
		       "");
	assert_int_equal(stats().relists, N_LISTS + 1);
	assert_int_equal(requests(SVCS, false, "limit", "500", NULL), 2);

	/* An ERROR event with code 410 in the stream. */
	ctl("{\"op\": \"delete\", \"resource\": \"endpointslices\", "
	    "\"key\": \"default/web-1\"}");
	ctl("{\"op\": \"events\", \"resource\": \"endpointslices\", "
	    "\"steps\": [{\"error\": 410}]}");
	wait_desired(WEB " " API "10.244.1.1:8443 " CACHE);
	assert_changes(true,
		       "default/web:http default/api:https "
		       "default/cache:redis",
		       "");
	assert_int_equal(stats().relists, N_LISTS + 2);
	assert_int_equal(requests(SLICES, false, "limit", "500", NULL), 2);
	assert_int_equal(stats().bad_events, 0);
}

/* Wait until the source has listed n times in all. */
static void wait_relists(uint64_t n)
{
	long long end = now_ms() + WAIT_MS;

	while (stats().relists < n && now_ms() < end)
		usleep(10 * 1000);
	assert_int_equal(stats().relists, n);
}

/*
 * Events shunt cannot read are counted. One that may hide an object
 * (a line that is not JSON, an event without an object, an object
 * without a namespace) makes the source list the resource again; one
 * whose object has a name but is unreadable also drops the version
 * cached under that name at once (not kept stale), and the list skips
 * the object while it stays unreadable. An unknown event type or a
 * bookmark without a version is only skipped: the watch stays up.
 */
static void test_malformed_events(void **state)
{
	static const char *const unreadable[] = {
		"{\"raw\": \"{this is not json\"}",
		"{\"raw\": \"{\\\"type\\\": \\\"ADDED\\\"}\"}",
		"{\"raw\": \"[1, 2, 3]\"}",
		"{\"raw\": \"{\\\"type\\\": \\\"ADDED\\\", \\\"object\\\": "
		"{\\\"metadata\\\": {\\\"name\\\": \\\"nons\\\"}}}\"}",
	};
	uint64_t relists = N_LISTS, bad = 0;
	int watches;
	size_t i;

	(void)state;
	start_seeded();
	for (i = 0; i < sizeof(unreadable) / sizeof(unreadable[0]); i++) {
		ctl("{\"op\": \"events\", \"resource\": \"services\", "
		    "\"steps\": [%s]}",
		    unreadable[i]);
		wait_relists(++relists);
		assert_int_equal(stats().bad_events, ++bad);
		wait_desired(SEEDED);
	}

	/* web made unreadable: gone at once, and skipped by the list. */
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": ["
	    "{\"type\": \"MODIFIED\", \"object\": {\"metadata\": "
	    "{\"namespace\": \"default\", \"name\": \"web\"}, \"spec\": "
	    "{\"type\": \"Magic\"}}}]}");
	wait_desired(API "10.244.1.1:8443 " DB "10.244.2.1:5432");
	wait_relists(++relists);
	bad += 2; /* the event, then the list item */
	assert_int_equal(stats().bad_events, bad);
	/* Readable again: back. */
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": ["
	    "{\"type\": \"MODIFIED\", \"object\": %s}]}",
	    svc("web", "10.96.0.10", 80, "http"));
	wait_desired(SEEDED);

	/* Skipped, the watch stays up and the next event applies. */
	watches = requests(SVCS, true, NULL, NULL, NULL);
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": ["
	    "{\"raw\": \"{\\\"type\\\": \\\"EXPLODED\\\", \\\"object\\\": "
	    "{}}\"},"
	    "{\"raw\": \"{\\\"type\\\": \\\"BOOKMARK\\\", \\\"object\\\": "
	    "{}}\"},"
	    "{\"type\": \"ADDED\", \"object\": %s}]}",
	    svc("cache", "10.96.0.13", 6379, "redis"));
	wait_desired(SEEDED " " CACHE);
	assert_changes(false, "default/cache:redis", "");
	assert_int_equal(stats().bad_events, bad + 2);
	assert_int_equal(stats().relists, relists);
	assert_int_equal(stats().errors, 0);
	assert_int_equal(requests(SVCS, true, NULL, NULL, NULL), watches);
}

/* A list failure (HTTP 500) is retried with back-off, then syncs. */
static void test_list_error_retried(void **state)
{
	const char *const args[] = {"--token", TOKEN, NULL};

	(void)state;
	server_start(args);
	seed_objects();
	ctl("{\"op\": \"fail_list\", \"resource\": \"services\", "
	    "\"code\": 500}");
	ctl("{\"op\": \"fail_list\", \"resource\": \"services\", "
	    "\"code\": 500}");
	kubeconfig_http(TOKEN);
	start_kubeconfig();
	wait_desired(SEEDED);
	assert_true(stats().synced);
	assert_int_equal(stats().errors, 2);
	assert_int_equal(requests(SVCS, false, NULL, NULL, NULL), 3);
}

/* A wrong token: 401, never synced, retried, stopped promptly. */
static void test_unauthorized(void **state)
{
	const char *const args[] = {"--token", TOKEN, NULL};
	char got[64];
	int i;

	(void)state;
	server_start(args);
	seed_objects();
	kubeconfig_http("wrong-token");
	start_kubeconfig();
	wait_stat(errors, 4);
	/* Each resource retries on its own (the Node's too): Services'
	 * second try may come after the others' 4 errors. */
	for (i = 0; i < 100 &&
		    requests(SVCS, false, NULL, NULL, "Bearer wrong-token") < 2;
	     i++)
		usleep(50 * 1000);
	assert_false(stats().synced);
	assert_int_equal(stats().relists, 0);
	describe(got, sizeof(got));
	assert_string_equal(got, "");
	assert_true(requests(SVCS, false, NULL, NULL, "Bearer wrong-token") >=
		    2);
	stop_source();
}

/* In-cluster: $KUBERNETES_SERVICE_HOST/PORT over TLS checked against the
 * CA file, the token file read for every request (rotation). */
static void test_in_cluster(void **state)
{
	const char *const args[] = {"--token",	  TOKEN,
				    "--tls-cert", fixture("server.crt"),
				    "--tls-key",  fixture("server.key"),
				    NULL};
	struct k8s_options o = {.token_file = in_dir("token"),
				.ca_file = fixture("ca.crt")};
	char port[16];

	(void)state;
	E.tls = true;
	server_start(args);
	seed_objects();
	snprintf(port, sizeof(port), "%d", E.port);
	setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", port, 1);
	write_file(in_dir("token"), TOKEN "\n");
	assert_int_equal(start_with(&o), 0);
	wait_desired(SEEDED);
	wait_watching();
	assert_int_equal(requests(SVCS, false, NULL, NULL, "Bearer " TOKEN), 1);

	/* A rotated token is sent on the next request. */
	write_file(in_dir("token"), "rotated\n");
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"close\": true}]}");
	wait_stat(errors, 2); /* the drop, then 401 */
	assert_true(requests(SVCS, true, NULL, NULL, NULL) >= 2);
	write_file(in_dir("token"), TOKEN "\n");
	ctl("{\"op\": \"events\", \"resource\": \"services\", \"steps\": "
	    "[{\"type\": \"DELETED\", \"object\": %s}]}",
	    svc("db", "10.96.0.12", 5432, "pg"));
	wait_desired(WEB "10.244.0.1:8080,10.244.0.2:8080 " API
			 "10.244.1.1:8443");
	stop_source();

	/* The server's certificate does not verify with another CA. */
	o.ca_file = fixture("other-ca.crt");
	assert_int_equal(start_with(&o), 0);
	wait_stat(errors, 2);
	assert_false(stats().synced);
	stop_source();
}

/* kubeconfig over TLS: CA as certificate-authority-data, a client
 * certificate and key from files, no token. */
static void test_kubeconfig_client_cert(void **state)
{
	const char *const args[] = {"--tls-cert",  fixture("server.crt"),
				    "--tls-key",   fixture("server.key"),
				    "--client-ca", fixture("ca.crt"),
				    NULL};
	char server[64], *ca, *ca64, cluster[4096], user[1024];
	struct json_object *all, *r, *cn;

	(void)state;
	E.tls = true;
	server_start(args);
	seed_objects();
	ca = read_all(fixture("ca.crt"));
	ca64 = base64(ca);
	snprintf(server, sizeof(server), "https://127.0.0.1:%d", E.port);
	snprintf(cluster, sizeof(cluster),
		 "    certificate-authority-data: %s\n", ca64);
	snprintf(user, sizeof(user),
		 "    client-certificate: %s\n    client-key: %s\n",
		 fixture("client.crt"), fixture("client.key"));
	free(ca);
	free(ca64);
	kubeconfig(server, cluster, user);
	start_kubeconfig();
	wait_desired(SEEDED);
	all = control("/_control/requests", NULL);
	assert_true(json_object_array_length(all) > 0);
	r = json_object_array_get_idx(all, 0);
	assert_true(json_object_object_get_ex(r, "client_cn", &cn));
	assert_string_equal(json_object_get_string(cn), "shuntd-test");
	json_object_put(all);
	stop_source();
}

/* Configuration errors are reported by k8s_source_start. */
static void test_bad_config(void **state)
{
	struct k8s_options o = {0};
	char *ca;

	(void)state;
	o.kubeconfig = in_dir("missing");
	assert_int_equal(start_with(&o), -ENOENT);
	assert_null(E.src);

	write_file(in_dir("kubeconfig"), "apiVersion: v1\nkind: Config\n");
	o.kubeconfig = in_dir("kubeconfig");
	assert_int_equal(start_with(&o), -EINVAL);

	kubeconfig("ftp://127.0.0.1:1", "", "    token: x\n");
	assert_int_equal(start_with(&o), -EINVAL);

	/* http:// only with insecure_http (--insecure-http): the token
	 * would travel in cleartext. */
	kubeconfig("http://127.0.0.1:1", "", "    token: x\n");
	assert_int_equal(start_with(&o), -EINVAL);
	assert_null(E.src);
	o.insecure_http = true;
	assert_int_equal(start_with(&o), 0);
	stop_source();
	o.insecure_http = false;

	/* certificate-authority is relative to the kubeconfig's directory. */
	kubeconfig("https://127.0.0.1:1", "    certificate-authority: ca.crt\n",
		   "    token: x\n");
	assert_int_equal(start_with(&o), -ENOENT);
	ca = read_all(fixture("ca.crt"));
	write_file(in_dir("ca.crt"), ca);
	free(ca);
	assert_int_equal(start_with(&o), 0);
	stop_source();

	kubeconfig("https://127.0.0.1:1", "",
		   "    exec: {command: aws, apiVersion: "
		   "client.authentication.k8s.io/v1}\n");
	assert_int_equal(start_with(&o), -ENOTSUP);

	kubeconfig("https://127.0.0.1:1", "",
		   "    client-key-data: '*not base64*'\n");
	assert_int_equal(start_with(&o), -EINVAL);

	/* In-cluster without the environment, or without the token. */
	o = (struct k8s_options){.token_file = in_dir("token"),
				 .ca_file = fixture("ca.crt")};
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(start_with(&o), -ENOENT);
	setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "1", 1);
	assert_int_equal(start_with(&o), -ENOENT);
	write_file(in_dir("token"), "x");
	o.ca_file = in_dir("no-ca.crt");
	assert_int_equal(start_with(&o), -ENOENT);
	o.ca_file = fixture("ca.crt");
	assert_int_equal(start_with(&o), 0);
	stop_source();

	/* No node name (NULL or ""): nothing is local, the source runs. */
	o.node_name = NULL;
	assert_int_equal(k8s_source_start(&o, E.efd, &E.src), 0);
	stop_source();
	o.node_name = "";
	assert_int_equal(k8s_source_start(&o, E.efd, &E.src), 0);
	stop_source();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_pagination, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_port_local, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bookmark_and_drop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gone_relists, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_error_retried, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unauthorized, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_in_cluster, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kubeconfig_client_cert,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	log_setup(LOG_KV, getenv("SHUNT_TEST_VERBOSE") ? LOG_DEBUG : LOG_ERROR);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
