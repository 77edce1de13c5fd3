/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Allocating service and backend ids. */
#ifndef SHUNT_IDS_H
#define SHUNT_IDS_H

#include "shunt.h"

/* Take a free service id for key: the id is recorded in svc_id_map. */
int ids_alloc_service(struct shunt *s, const struct shunt_svc_key *key,
		      __u32 *id);
/* A backend id not in backend_map (the caller inserts it). */
int ids_alloc_backend(struct shunt *s, __u32 svc_id, const union shunt_ip *addr,
		      __be16 port, __u32 *id);

#endif /* SHUNT_IDS_H */
