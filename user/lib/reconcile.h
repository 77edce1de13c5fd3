/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Declarative state: a source (the services file, the Kubernetes API)
 * describes every service it wants; reconcile makes the maps match,
 * touching only the services that source owns and only what differs, so
 * untouched services and their open flows are not disturbed.
 */
#ifndef SHUNT_RECONCILE_H
#define SHUNT_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include "service.h"

/* Who owns a service: bits in struct shunt_svc.flags. Services added by
 * hand (shuntctl) have none and are never touched by a source. */
#define SHUNT_OWNER_FILE SHUNT_SVC_F_OWNER_FILE
#define SHUNT_OWNER_K8S	 SHUNT_SVC_F_OWNER_K8S

struct shunt_desired_service {
	char name[128]; /* for logs and metrics: "ns/name:port", file name */
	struct shunt_svc_key key;
	__u32 table_size;	/* 0: SHUNT_MAGLEV_DEFAULT */
	__u32 affinity_timeout; /* seconds, 0: none */
	struct shunt_backend_spec *backends;
	size_t n_backends;
};

struct shunt_desired {
	struct shunt_desired_service *svcs;
	size_t n, cap;
};

void shunt_desired_init(struct shunt_desired *d);
void shunt_desired_free(struct shunt_desired *d);
/* Append a service (its backends are copied). 0 or -ENOMEM. */
int shunt_desired_add(struct shunt_desired *d,
		      const struct shunt_desired_service *svc);
/* The service with this key, or NULL. */
struct shunt_desired_service *
shunt_desired_find(struct shunt_desired *d, const struct shunt_svc_key *key);

struct shunt_reconcile_result {
	size_t added, updated, removed, unchanged;
	size_t conflicts; /* owned by someone else: left alone */
	size_t failed;	  /* refused by the library (logged by the caller) */
	char first_error[256];
};

/*
 * Make the services owned by owner exactly want: add the missing ones,
 * delete the ones no longer wanted, change table size, affinity and
 * backends where they differ. Each service is changed all or nothing;
 * one failing service does not stop the others (counted in failed, the
 * first reason in first_error). Returns 0 when nothing failed, else -EIO.
 */
int shunt_reconcile(struct shunt *s, __u32 owner,
		    const struct shunt_desired *want,
		    struct shunt_reconcile_result *res);

#endif /* SHUNT_RECONCILE_H */
