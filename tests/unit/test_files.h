/* Reading a data file whole, and its cases line by line, for the unit tests that check cases
 * kept as data. Include after cmocka.h; tests run from the repository root (meson's workdir). */
#ifndef EXOSAFE_TEST_FILES_H
#define EXOSAFE_TEST_FILES_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A tab-separated cases file being read: one case a line, '#' comments and blank lines skipped. */
typedef struct tsv_cases {
	const char *path;
	char *text;  /* the whole file, cut into lines and columns in place */
	char *next;  /* the start of the next line */
	int lineno;  /* of the case last returned, for messages */
} tsv_cases;

static inline void tsv_open(tsv_cases *t, const char *path)
{
	t->path = path;
	t->text = slurp(path);
	t->next = t->text;
	t->lineno = 0;
}

/* Reads the next case into cols[0..ncols-1] (pointers into the file's text, valid until
 * tsv_close). Returns false at the end; fails the test on a line without exactly ncols
 * tab-separated columns. */
static inline bool tsv_next(tsv_cases *t, char **cols, int ncols)
{
	while (*t->next) {
		char *line = t->next;
		size_t len = strcspn(line, "\n");
		t->next = line[len] ? line + len + 1 : line + len;
		line[len] = '\0';
		t->lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		int n = 0;
		for (char *col = line; col != NULL && n <= ncols; n++) {
			char *tab = strchr(col, '\t');
			if (tab)
				*tab = '\0';
			if (n < ncols)
				cols[n] = col;
			col = tab ? tab + 1 : NULL;
		}
		if (n != ncols)
			fail_msg("%s line %d: want %d tab-separated columns", t->path, t->lineno, ncols);
		return true;
	}
	return false;
}

static inline void tsv_close(tsv_cases *t)
{
	free(t->text);
	t->text = t->next = NULL;
}

#endif
