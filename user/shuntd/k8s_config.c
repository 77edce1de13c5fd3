// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The API server's address and credentials: in-cluster or kubeconfig. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "k8s_config.h"
#include "yamldoc.h"

#define TOKEN_MAX (64 * 1024)

static int read_small_file(const char *path, char **out)
{
	char *buf;
	size_t n;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(TOKEN_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, TOKEN_MAX, f);
	if (ferror(f))
		rc = -EIO;
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

int k8s_config_token(const struct k8s_config *c, char **token)
{
	int rc;

	*token = NULL;
	if (c->token) {
		*token = strdup(c->token);
		return *token ? 0 : -ENOMEM;
	}
	if (!c->token_file)
		return 0;
	rc = read_small_file(c->token_file, token);
	if (rc)
		return rc;
	trim(*token);
	return 0;
}

void k8s_config_free(struct k8s_config *c)
{
	free(c->server);
	free(c->token);
	free(c->token_file);
	free(c->ca_file);
	free(c->ca.data);
	free(c->cert_file);
	free(c->cert.data);
	free(c->key_file);
	free(c->key.data);
	memset(c, 0, sizeof(*c));
}

static int readable(const char *path, char *err, size_t errlen)
{
	int rc;

	if (!access(path, R_OK))
		return 0;
	rc = -errno;
	snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}

/* --- in-cluster -------------------------------------------------------- */

int k8s_config_in_cluster(struct k8s_config *c, const char *token_file,
			  const char *ca_file, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char *token;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!host || !*host || !port || !*port) {
		snprintf(err, errlen,
			 "KUBERNETES_SERVICE_HOST/PORT not set: not in a "
			 "cluster (use --kubeconfig)");
		return -ENOENT;
	}
	if (asprintf(&c->server,
		     strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
		     host, port) < 0) {
		c->server = NULL;
		return -ENOMEM;
	}
	c->token_file = strdup(token_file ? token_file : K8S_SA_TOKEN);
	c->ca_file = strdup(ca_file ? ca_file : K8S_SA_CA);
	if (!c->token_file || !c->ca_file) {
		k8s_config_free(c);
		return -ENOMEM;
	}
	rc = k8s_config_token(c, &token);
	if (rc)
		snprintf(err, errlen, "%s: %s", c->token_file, strerror(-rc));
	else
		rc = readable(c->ca_file, err, errlen);
	free(token);
	if (rc)
		k8s_config_free(c);
	return rc;
}

/* --- kubeconfig -------------------------------------------------------- */

static int b64_value(int ch)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = ch ? strchr(alphabet, ch) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

/* Standard base64, whitespace ignored, padding optional. */
static int b64_decode(const char *s, struct k8s_blob *out)
{
	uint8_t *buf = malloc(strlen(s) / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0, v;

	if (!buf)
		return -ENOMEM;
	for (; *s && *s != '='; s++) {
		if (isspace((unsigned char)*s))
			continue;
		v = b64_value(*s);
		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = acc >> bits & 0xff;
		}
	}
	out->data = buf;
	out->len = n;
	return 0;
}

struct kubeconfig {
	struct yamldoc doc;
	const char *path;
	char dir[4096]; /* for relative file names */
};

static const char *str_at(struct kubeconfig *k, yaml_node_t *map,
			  const char *key)
{
	const char *s = yamldoc_str(yamldoc_get(&k->doc, map, key));

	return s && *s ? s : NULL;
}

/* The `field` mapping of the entry called name in list (contexts,
 * clusters, users), or NULL. */
static yaml_node_t *named(struct kubeconfig *k, const char *list,
			  const char *name, const char *field)
{
	yaml_node_t *seq = yamldoc_get(&k->doc, yamldoc_root(&k->doc), list);
	yaml_node_t *e, *m;
	const char *n;
	size_t i;

	for (i = 0; name && i < yamldoc_seq_len(seq); i++) {
		e = yamldoc_seq_at(&k->doc, seq, i);
		n = str_at(k, e, "name");
		if (!n || strcmp(n, name))
			continue;
		m = yamldoc_get(&k->doc, e, field);
		return yamldoc_is_map(m) ? m : NULL;
	}
	return NULL;
}

static int resolve(struct kubeconfig *k, const char *name, char **out,
		   char *err, size_t errlen)
{
	int rc;

	if (name[0] == '/')
		rc = asprintf(out, "%s", name);
	else
		rc = asprintf(out, "%s/%s", k->dir, name);
	if (rc < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return readable(*out, err, errlen);
}

/* PEM bytes from `data_key` (base64) or the file named by file_key. */
static int pem(struct kubeconfig *k, yaml_node_t *m, const char *file_key,
	       const char *data_key, char **file, struct k8s_blob *blob,
	       char *err, size_t errlen)
{
	const char *data = str_at(k, m, data_key);
	const char *name = str_at(k, m, file_key);
	int rc;

	if (data) {
		rc = b64_decode(data, blob);
		if (rc == -EINVAL)
			snprintf(
				err, errlen, "%s:%d: %s is not base64", k->path,
				yamldoc_line(yamldoc_get(&k->doc, m, data_key)),
				data_key);
		return rc;
	}
	return name ? resolve(k, name, file, err, errlen) : 0;
}

static bool yaml_true(const char *s)
{
	return s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
		     !strcasecmp(s, "on"));
}

static int cluster(struct k8s_config *c, struct kubeconfig *k, yaml_node_t *cl,
		   char *err, size_t errlen)
{
	const char *server = str_at(k, cl, "server");
	size_t n;

	if (!server ||
	    (strncmp(server, "https://", 8) && strncmp(server, "http://", 7))) {
		snprintf(err, errlen,
			 "%s:%d: cluster server must be an "
			 "http:// or https:// URL",
			 k->path, yamldoc_line(cl));
		return -EINVAL;
	}
	c->server = strdup(server);
	if (!c->server)
		return -ENOMEM;
	n = strlen(c->server);
	while (n && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	c->insecure = yaml_true(str_at(k, cl, "insecure-skip-tls-verify"));
	return pem(k, cl, "certificate-authority", "certificate-authority-data",
		   &c->ca_file, &c->ca, err, errlen);
}

static int user(struct k8s_config *c, struct kubeconfig *k, yaml_node_t *u,
		char *err, size_t errlen)
{
	const char *token = str_at(k, u, "token");
	const char *token_file = str_at(k, u, "tokenFile");
	int rc;

	if (token) {
		c->token = strdup(token);
		if (!c->token)
			return -ENOMEM;
	} else if (token_file) {
		rc = resolve(k, token_file, &c->token_file, err, errlen);
		if (rc)
			return rc;
	}
	rc = pem(k, u, "client-certificate", "client-certificate-data",
		 &c->cert_file, &c->cert, err, errlen);
	if (!rc)
		rc = pem(k, u, "client-key", "client-key-data", &c->key_file,
			 &c->key, err, errlen);
	if (rc)
		return rc;
	if (!c->token && !c->token_file && !c->cert_file && !c->cert.data &&
	    (yamldoc_get(&k->doc, u, "exec") ||
	     yamldoc_get(&k->doc, u, "auth-provider") ||
	     yamldoc_get(&k->doc, u, "username"))) {
		snprintf(err, errlen,
			 "%s:%d: only token and client certificate "
			 "credentials are supported",
			 k->path, yamldoc_line(u));
		return -ENOTSUP;
	}
	return 0;
}

static int current_context(struct k8s_config *c, struct kubeconfig *k,
			   char *err, size_t errlen)
{
	const char *cur = str_at(k, yamldoc_root(&k->doc), "current-context");
	yaml_node_t *ctx, *cl, *u = NULL;
	const char *cl_name, *u_name;
	int rc;

	if (!cur) {
		snprintf(err, errlen, "%s: no current-context", k->path);
		return -EINVAL;
	}
	ctx = named(k, "contexts", cur, "context");
	if (!ctx) {
		snprintf(err, errlen, "%s: no context \"%s\"", k->path, cur);
		return -EINVAL;
	}
	cl_name = str_at(k, ctx, "cluster");
	u_name = str_at(k, ctx, "user");
	cl = named(k, "clusters", cl_name, "cluster");
	if (u_name)
		u = named(k, "users", u_name, "user");
	if (!cl || (u_name && !u)) {
		snprintf(err, errlen, "%s:%d: context \"%s\": no %s \"%s\"",
			 k->path, yamldoc_line(ctx), cur,
			 !cl ? "cluster" : "user", !cl ? cl_name : u_name);
		return -EINVAL;
	}
	rc = cluster(c, k, cl, err, errlen);
	if (!rc && u)
		rc = user(c, k, u, err, errlen);
	return rc;
}

int k8s_config_kubeconfig(struct k8s_config *c, const char *path, char *err,
			  size_t errlen)
{
	struct kubeconfig k = {.path = path};
	const char *slash = strrchr(path, '/');
	int rc;

	memset(c, 0, sizeof(*c));
	if (!slash)
		snprintf(k.dir, sizeof(k.dir), ".");
	else
		snprintf(k.dir, sizeof(k.dir), "%.*s",
			 slash == path ? 1 : (int)(slash - path), path);
	rc = yamldoc_load(&k.doc, path, err, errlen);
	if (rc)
		return rc;
	rc = current_context(c, &k, err, errlen);
	yamldoc_free(&k.doc);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
		k8s_config_free(c);
	}
	return rc;
}
