#include "core/growth.h"

#include <stdint.h>
#include <stdlib.h>

void *growth_reserve(void *items, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap && items != NULL)
		return items;
	if (need == 0)
		need = 1; /* so that success is never NULL, even for an empty array */
	size_t grown = *cap ? *cap : GROWTH_FIRST;
	while (grown < need)
		grown = grown > SIZE_MAX / 2 ? need : grown * 2;
	if (size == 0 || grown > SIZE_MAX / size)
		return NULL;
	void *p = realloc(items, grown * size);
	if (p == NULL)
		return NULL;
	*cap = grown;
	return p;
}
