#include "core/csv_out.h"

#include <csv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The first characters a spreadsheet may read as the start of a formula (OWASP). */
static bool starts_formula(const char *s)
{
	return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

void csv_out_cell(strbuf *b, const char *text)
{
	const char *s = text ? text : "";
	size_t len = strlen(s);
	bool guard = starts_formula(s);
	char *cell = malloc(len + 2);
	if (cell == NULL) {
		b->failed = true;
		return;
	}
	size_t n = 0;
	if (guard)
		cell[n++] = '\'';
	memcpy(cell + n, s, len);
	n += len;
	bool quote = memchr(cell, ',', n) || memchr(cell, '"', n) || memchr(cell, '\r', n) || memchr(cell, '\n', n);
	if (!quote) {
		strbuf_put(b, cell, n);
		free(cell);
		return;
	}
	size_t need = csv_write(NULL, 0, cell, n);
	char *quoted = malloc(need);
	if (quoted == NULL) {
		free(cell);
		b->failed = true;
		return;
	}
	csv_write(quoted, need, cell, n);
	strbuf_put(b, quoted, need);
	free(quoted);
	free(cell);
}

void csv_out_row(strbuf *b, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strbuf_put(b, ",", 1);
		csv_out_cell(b, cells[i]);
	}
	strbuf_put(b, "\r\n", 2);
}
