/* Reading a data file whole, for the unit tests that check cases kept as data. Include after
 * cmocka.h; tests run from the repository root (meson's workdir). */
#ifndef EXOSAFE_TEST_FILES_H
#define EXOSAFE_TEST_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* The contents of path, NUL-terminated (caller frees); fails the test when it cannot be read. */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (tests run from the repository root)", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

#endif
