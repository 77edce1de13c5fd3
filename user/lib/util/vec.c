// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Growable arrays (vec.h). */
#include <errno.h>
#include <stdlib.h>

#include "vec.h"

int vec_reserve(void **v, size_t *cap, size_t want, size_t size)
{
	size_t c = *cap ? *cap : 8;
	void *p;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}
