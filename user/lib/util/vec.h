/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Growable arrays: VEC(T) is { T *v; size_t n, cap; }. */
#ifndef SHUNT_VEC_H
#define SHUNT_VEC_H

#include <stddef.h>

#define VEC(T)                                                                 \
	struct {                                                               \
		T *v;                                                          \
		size_t n, cap;                                                 \
	}

/* Make room for want elements of size bytes. 0 or -ENOMEM. */
int vec_reserve(void **v, size_t *cap, size_t want, size_t size);

/* Append x: 0 or -ENOMEM. */
#define vec_push(vec, x)                                                       \
	(vec_reserve((void **)&(vec)->v, &(vec)->cap, (vec)->n + 1,            \
		     sizeof(*(vec)->v))                                        \
		 ? -12 /* -ENOMEM */                                           \
		 : ((vec)->v[(vec)->n++] = (x), 0))

#define vec_free(vec)                                                          \
	do {                                                                   \
		free((vec)->v);                                                \
		(vec)->v = NULL;                                               \
		(vec)->n = (vec)->cap = 0;                                     \
	} while (0)

#endif /* SHUNT_VEC_H */
