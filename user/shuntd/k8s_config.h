/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where the Kubernetes API is and how to authenticate to it: the
 * in-cluster service account or a kubeconfig file (its current context).
 */
#ifndef SHUNTD_K8S_CONFIG_H
#define SHUNTD_K8S_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define K8S_SA_DIR   "/var/run/secrets/kubernetes.io/serviceaccount"
#define K8S_SA_TOKEN K8S_SA_DIR "/token"
#define K8S_SA_CA    K8S_SA_DIR "/ca.crt"

/* PEM bytes given inline (kubeconfig *-data, base64-decoded). */
struct k8s_blob {
	void *data;
	size_t len;
};

struct k8s_config {
	char *server;	  /* "https://host:port[/prefix]", no trailing '/' */
	char *token;	  /* bearer token, or NULL */
	char *token_file; /* read for every request (rotated), or NULL */
	char *ca_file;	  /* NULL: the system's CAs (or ca) */
	struct k8s_blob ca;
	char *cert_file; /* client certificate, or NULL (or cert) */
	struct k8s_blob cert;
	char *key_file; /* its key, or NULL (or key) */
	struct k8s_blob key;
	bool insecure; /* insecure-skip-tls-verify */
};

/* $KUBERNETES_SERVICE_HOST/PORT over https, the service account's token
 * and CA (token_file/ca_file NULL: the standard paths). 0, or -errno
 * with a message in err. */
int k8s_config_in_cluster(struct k8s_config *c, const char *token_file,
			  const char *ca_file, char *err, size_t errlen);
/* The current context of the kubeconfig at path. Relative file names
 * are relative to the file's directory. 0, or -errno with a message. */
int k8s_config_kubeconfig(struct k8s_config *c, const char *path, char *err,
			  size_t errlen);
void k8s_config_free(struct k8s_config *c);

/* The bearer token to send now (malloc'd; NULL when there is none).
 * 0, or -errno when the token file cannot be read. */
int k8s_config_token(const struct k8s_config *c, char **token);

#endif /* SHUNTD_K8S_CONFIG_H */
