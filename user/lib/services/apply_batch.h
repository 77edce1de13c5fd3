/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The work an apply batch holds until apply_flush() (apply.c, flush.c). */
#ifndef SHUNT_APPLY_BATCH_H
#define SHUNT_APPLY_BATCH_H

#include "apply.h"
#include "vec.h"

struct apply_batch {
	VEC(__u32) new_svcs; /* step 0: counters reset */
	VEC(__u32) new_bes;
	VEC(struct shunt_frontend_key) fe_del;	 /* step 1 */
	VEC(__u32) be_write;			 /* step 2: model's value */
	VEC(__u32) dirty;			 /* steps 3, 4: pending svcs */
	VEC(struct shunt_frontend_key) fe_write; /* step 5: model's value */
	VEC(__u32) be_free;			 /* step 6 */
	VEC(__u32) svc_free;
	/* After step 6: (service, backend) pairs that left, whose sockets
	 * are ended (node/sockdestroy.h). */
	VEC(struct shunt_sock_target) gone;
	/* src_range_map: added before frontends are written (step 1),
	 * deleted after (step 6), so a change never denies a client both
	 * the old and the new list allow. */
	VEC(struct shunt_src_range_key) sr_add;
	VEC(struct shunt_src_range_key) sr_del;
	int failed; /* a change failed half-way: the batch is not written */
};

/* Queue svc for steps 3 and 4 with APPLY_* work. 0 or -ENOMEM. */
int batch_mark(struct apply_batch *b, struct model_svc *svc, __u8 work);

#endif /* SHUNT_APPLY_BATCH_H */
