/* The SQL stores' side of the staff lists' search and paging (list_filter): one binding for the
 * SQL_PATIENT_MATCH / SQL_STATUS_MATCH / SQL_PAGE fragments every list query shares. */
#include <stdint.h>

#include "store/sql/sql_store.h"

/* Binds text for SQL_LIKE_CONTAINS (which escapes LIKE's wildcards in SQL, so the text is
 * bound as it is, without a copy); NULL or "" binds NULL, which LIKE never matches. */
static void bind_contains(sqldb_stmt *st, int param, const char *text)
{
	sqldb_bind_text(st, param, text != NULL && text[0] != '\0' ? text : NULL);
}

void sql_bind_filter(sqldb_stmt *st, const list_filter *f)
{
	list_filter none = {0};
	if (f == NULL)
		f = &none;
	/* The search (?90) is on when any of text, kana or number is given; a part left out is
	 * NULL, which LIKE never matches, so each part finds rows on its own. */
	bool search = (f->text && f->text[0]) || (f->kana && f->kana[0]) || f->number > 0;
	sqldb_bind_int(st, 90, search ? 1 : 0);
	bind_contains(st, 91, f->text);
	bind_contains(st, 92, f->kana);
	sqldb_bind_int64(st, 93, f->number > 0 ? f->number : -1);
	if (f->status)
		sqldb_bind_text(st, 94, f->status);
	else
		sqldb_bind_null(st, 94);
	/* No limit as the largest BIGINT: PostgreSQL refuses SQLite's LIMIT -1. */
	sqldb_bind_int64(st, 95, f->limit > 0 ? f->limit : INT64_MAX);
	sqldb_bind_int(st, 96, f->offset > 0 ? f->offset : 0);
}

store_rc sql_count(sql_store *ss, sqldb_stmt *st, int64_t *count_out, const char *what)
{
	store_rc rc = STORE_OK;
	if (sqldb_step(st) == SQLDB_ROW)
		*count_out = sqldb_column_int64(st, 0);
	else
		rc = sql_fail(ss, what);
	sqldb_release(st);
	return rc;
}
