/* What the unit tests (and the benchmarks) share: reading a data file whole, and cases kept as
 * data read line by line. The cmocka helpers (slurp, slurp_len, tsv_*) fail the test on a file
 * that cannot be read: include this after cmocka.h. read_whole_file needs no cmocka (the
 * benchmarks use it). Tests run from the repository root (meson's workdir). */
#ifndef EXOSAFE_TESTUTIL_H
#define EXOSAFE_TESTUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The contents of path, NUL-terminated, with its length in *len when len is not NULL (the
 * caller frees it); NULL when it cannot be opened or read. */
static inline char *read_whole_file(const char *path, size_t *len)
{
	if (len != NULL)
		*len = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	long n = -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
		buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf == NULL)
		return NULL;
	buf[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

#ifdef fail_msg /* cmocka.h was included */

/* The contents of path with its length (caller frees); fails the test when it cannot be read. */
static inline char *slurp_len(const char *path, size_t *len)
{
	char *text = read_whole_file(path, len);
	if (text == NULL)
		fail_msg("cannot read %s (tests run from the repository root)", path);
	return text;
}

/* The contents of path, NUL-terminated (caller frees); fails the test when it cannot be read. */
static inline char *slurp(const char *path)
{
	return slurp_len(path, NULL);
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

#endif /* fail_msg */

#endif
