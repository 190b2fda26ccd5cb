/* The SQLite side of the staff lists' search and paging (list_filter): one binding for the
 * SQL_PATIENT_MATCH / SQL_STATUS_MATCH / SQL_PAGE fragments every list query shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_internal.h"

/* Binds "%text%" with LIKE's wildcards (% _) and the escape character taken literally, so a
 * search for "10%" finds "10%" and not everything starting with "10". */
static void bind_contains(sqlite3_stmt *st, int param, const char *text)
{
	if (text == NULL || text[0] == '\0') {
		sqlite3_bind_null(st, param);
		return;
	}
	size_t n = strlen(text);
	char *pattern = malloc(2 * n + 3);
	if (pattern == NULL) {
		/* Out of memory: match nothing rather than everything. */
		sqlite3_bind_text(st, param, "", 0, SQLITE_STATIC);
		return;
	}
	char *p = pattern;
	*p++ = '%';
	for (const char *c = text; *c; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			*p++ = '\\';
		*p++ = *c;
	}
	*p++ = '%';
	*p = '\0';
	sqlite3_bind_text(st, param, pattern, -1, SQLITE_TRANSIENT);
	free(pattern);
}

void sqlite_bind_filter(sqlite3_stmt *st, const list_filter *f)
{
	list_filter none = {0};
	if (f == NULL)
		f = &none;
	/* The search (?90) is on when any of text, kana or number is given; a part left out is
	 * NULL, which LIKE never matches, so each part finds rows on its own. */
	bool search = (f->text && f->text[0]) || (f->kana && f->kana[0]) || f->number > 0;
	sqlite3_bind_int(st, 90, search ? 1 : 0);
	bind_contains(st, 91, f->text);
	bind_contains(st, 92, f->kana);
	sqlite3_bind_int64(st, 93, f->number > 0 ? f->number : -1);
	if (f->status)
		sqlite3_bind_text(st, 94, f->status, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 94);
	sqlite3_bind_int(st, 95, f->limit > 0 ? f->limit : -1);
	sqlite3_bind_int(st, 96, f->offset > 0 ? f->offset : 0);
}

store_rc sqlite_count(sqlite_store *ss, sqlite3_stmt *st, int64_t *count_out, const char *what)
{
	store_rc rc = STORE_OK;
	if (sqlite3_step(st) == SQLITE_ROW)
		*count_out = sqlite3_column_int64(st, 0);
	else
		rc = sqlite_fail(ss, what);
	sqlite_release(ss, st);
	return rc;
}
