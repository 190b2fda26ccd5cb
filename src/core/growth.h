/* Growing arrays by doubling, with the size arithmetic checked once here instead of in every
 * hand-written `cap *= 2; realloc(...)`. The caller keeps the array, its count and its
 * capacity in its own struct (as libgit2's git_array does):
 *
 *	T *grown = growth_reserve(list->items, &list->cap, list->count + 1, sizeof *grown);
 *	if (grown == NULL)
 *		return -1;            // list->items and list->cap are unchanged
 *	list->items = grown;
 *	list->items[list->count++] = item;
 */
#ifndef EXOSAFE_GROWTH_H
#define EXOSAFE_GROWTH_H

#include <stddef.h>

/* The capacity an empty array gets on its first growth (at least `need`). */
#define GROWTH_FIRST 16

/* Returns items resized to hold at least `need` elements of `size` bytes: *cap (elements) is
 * doubled, from GROWTH_FIRST when it is 0, until it is at least need. When *cap already
 * suffices, returns items unchanged; success is never NULL (an empty array that was never
 * allocated gets GROWTH_FIRST elements even when need is 0). On overflow of need * size or when memory runs out,
 * NULL is returned and items and *cap are unaltered (the caller still owns items). */
void *growth_reserve(void *items, size_t *cap, size_t need, size_t size);

#endif
