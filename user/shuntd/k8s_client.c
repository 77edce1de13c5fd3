// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kubernetes API requests over libcurl's multi interface, so that a
 * blocked watch can be woken up and stopped at once. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "k8s_client.h"

#define CONNECT_TIMEOUT 10   /* seconds */
#define POLL_MS		1000 /* wake-ups are immediate; this is a fallback */

struct req {
	struct k8s_client *c;
	CURL *h;
	long status;
	k8s_sink_fn sink;
	void *arg;
	int sink_rc;
};

int k8s_client_init(struct k8s_client *c, const struct k8s_config *cfg,
		    const atomic_bool *stop)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->stop = stop;
	c->multi = curl_multi_init();
	return c->multi ? 0 : -ENOMEM;
}

void k8s_client_free(struct k8s_client *c)
{
	if (c->multi)
		curl_multi_cleanup(c->multi);
	c->multi = NULL;
}

void k8s_client_wake(struct k8s_client *c)
{
	if (c->multi)
		curl_multi_wakeup(c->multi);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	struct k8s_client *c = r->c;
	size_t len = size * n, room;

	if (!r->status)
		curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status != 200) {
		room = K8S_ERRBODY_MAX - c->errbody_len;
		if (room > len)
			room = len;
		memcpy(c->errbody + c->errbody_len, p, room);
		c->errbody_len += room;
		c->errbody[c->errbody_len] = '\0';
		return len;
	}
	r->sink_rc = r->sink(p, len, r->arg);
	return r->sink_rc ? 0 : len;
}

static int set_blob(CURL *h, CURLoption opt, const struct k8s_blob *b)
{
	struct curl_blob blob = {
		.data = b->data,
		.len = b->len,
		.flags = CURL_BLOB_COPY,
	};

	return curl_easy_setopt(h, opt, &blob) ? -EINVAL : 0;
}

static int set_tls(CURL *h, const struct k8s_config *cfg)
{
	int rc = 0;

	if (cfg->ca.data)
		rc = set_blob(h, CURLOPT_CAINFO_BLOB, &cfg->ca);
	else if (cfg->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (!rc && cfg->cert.data)
		rc = set_blob(h, CURLOPT_SSLCERT_BLOB, &cfg->cert);
	else if (cfg->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
	if (!rc && cfg->key.data)
		rc = set_blob(h, CURLOPT_SSLKEY_BLOB, &cfg->key);
	else if (cfg->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
	if (cfg->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return rc;
}

static int headers(const struct k8s_config *cfg, struct curl_slist **out)
{
	struct curl_slist *l, *next;
	char *token, *auth = NULL;
	int rc;

	rc = k8s_config_token(cfg, &token);
	if (rc)
		return rc;
	if (token && *token &&
	    asprintf(&auth, "Authorization: Bearer %s", token) < 0)
		auth = NULL;
	free(token);
	l = curl_slist_append(NULL, "Accept: application/json");
	if (l && auth) {
		next = curl_slist_append(l, auth);
		if (!next)
			curl_slist_free_all(l);
		l = next;
	}
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	*out = l;
	return l ? 0 : -ENOMEM;
}

static int setup(CURL *h, struct k8s_client *c, const char *path_query,
		 const struct k8s_req_opts *o, struct req *r, char *errbuf)
{
	char *url;

	if (asprintf(&url, "%s%s", c->cfg->server, path_query) < 0)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url); /* libcurl keeps a copy */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "shuntd");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout);
	if (o->idle) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->idle);
	}
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	return set_tls(h, c->cfg);
}

/* Run the transfer on the client's multi handle: a CURLcode, or
 * -ECANCELED when stopped. */
static int perform(struct k8s_client *c, CURL *h)
{
	CURLcode res = CURLE_OK;
	bool done = false;
	int running = 1, left;
	CURLMcode mc;
	CURLMsg *m;

	if (curl_multi_add_handle(c->multi, h))
		return CURLE_OUT_OF_MEMORY;
	while (!atomic_load(c->stop)) {
		mc = curl_multi_perform(c->multi, &running);
		if (mc || !running)
			break;
		mc = curl_multi_poll(c->multi, NULL, 0, POLL_MS, NULL);
		if (mc)
			break;
	}
	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg == CURLMSG_DONE && m->easy_handle == h) {
			res = m->data.result;
			done = true;
		}
	}
	curl_multi_remove_handle(c->multi, h);
	if (!done)
		return atomic_load(c->stop) ? -ECANCELED : CURLE_RECV_ERROR;
	return res;
}

static int curl_errno(CURLcode res)
{
	switch (res) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int k8s_client_get(struct k8s_client *c, const char *path_query,
		   const struct k8s_req_opts *o, k8s_sink_fn sink, void *arg,
		   char *err, size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct req r = {.c = c, .sink = sink, .arg = arg};
	int rc;

	c->errbody_len = 0;
	c->errbody[0] = '\0';
	r.h = curl_easy_init();
	if (!r.h)
		return -ENOMEM;
	rc = headers(c->cfg, &hdrs);
	if (rc) {
		snprintf(err, errlen, "token: %s", strerror(-rc));
		goto out;
	}
	curl_easy_setopt(r.h, CURLOPT_HTTPHEADER, hdrs);
	rc = setup(r.h, c, path_query, o, &r, errbuf);
	if (rc) {
		snprintf(err, errlen, "TLS settings refused by libcurl");
		goto out;
	}
	rc = perform(c, r.h);
	if (rc > 0 && r.sink_rc) {
		rc = r.sink_rc;
	} else if (rc > 0) {
		snprintf(err, errlen, "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror((CURLcode)rc));
		rc = curl_errno(rc);
	} else if (!rc) {
		curl_easy_getinfo(r.h, CURLINFO_RESPONSE_CODE, &r.status);
		rc = r.status;
	}
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(r.h);
	return rc;
}

void k8s_status_message(const char *body, char *msg, size_t len)
{
	struct json_object *o = json_tokener_parse(body), *m;

	if (json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(msg, len, "%s", json_object_get_string(m));
	else
		snprintf(msg, len, "%.200s", body);
	json_object_put(o);
}
