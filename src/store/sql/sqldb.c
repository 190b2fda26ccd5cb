/* The SQL access layer's functions (sqldb.h): each calls its connection's driver (sqldb_driver.h). */
#include "store/sql/sqldb.h"

#include "store/sql/sqldb_driver.h"

#include <stdbool.h>

sqldb_dialect sqldb_dialect_of(const sqldb *db)
{
	return db->dialect;
}

const char *sqldb_errmsg(const sqldb *db)
{
	return db->drv->errmsg(db);
}

sqldb_fault sqldb_last_fault(const sqldb *db)
{
	return db->fault;
}

sqldb_stmt *sqldb_prepare(sqldb *db, const char *sql)
{
	return db->drv->prepare(db, sql);
}

void sqldb_release(sqldb_stmt *st)
{
	if (st != NULL)
		st->db->drv->release(st);
}

void sqldb_bind_int64(sqldb_stmt *st, int idx, int64_t v)
{
	st->db->drv->bind_int64(st, idx, v);
}

void sqldb_bind_int(sqldb_stmt *st, int idx, int v)
{
	st->db->drv->bind_int64(st, idx, v);
}

void sqldb_bind_double(sqldb_stmt *st, int idx, double v)
{
	st->db->drv->bind_double(st, idx, v);
}

void sqldb_bind_text(sqldb_stmt *st, int idx, const char *v)
{
	st->db->drv->bind_text(st, idx, v);
}

void sqldb_bind_blob(sqldb_stmt *st, int idx, const void *v, size_t len)
{
	st->db->drv->bind_blob(st, idx, v, len);
}

void sqldb_bind_null(sqldb_stmt *st, int idx)
{
	st->db->drv->bind_null(st, idx);
}

sqldb_rc sqldb_step(sqldb_stmt *st)
{
	return st->db->drv->step(st);
}

int64_t sqldb_changes(const sqldb_stmt *st)
{
	return st->db->drv->changes(st);
}

bool sqldb_column_is_null(sqldb_stmt *st, int col)
{
	return st->db->drv->column_is_null(st, col);
}

int64_t sqldb_column_int64(sqldb_stmt *st, int col)
{
	return st->db->drv->column_int64(st, col);
}

int sqldb_column_int(sqldb_stmt *st, int col)
{
	return (int)st->db->drv->column_int64(st, col);
}

double sqldb_column_double(sqldb_stmt *st, int col)
{
	return st->db->drv->column_double(st, col);
}

const char *sqldb_column_text(sqldb_stmt *st, int col)
{
	return st->db->drv->column_text(st, col);
}

const void *sqldb_column_blob(sqldb_stmt *st, int col, size_t *len_out)
{
	return st->db->drv->column_blob(st, col, len_out);
}

sqldb_rc sqldb_exec(sqldb *db, const char *sql)
{
	return db->drv->exec(db, sql);
}

sqldb_rc sqldb_copy_out(sqldb *db, const char *sql, sqldb_copy_line_fn fn, void *ctx)
{
	return db->drv->copy_out(db, sql, fn, ctx);
}

/* The value of a hex digit, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* PostgreSQL's COPY text format (doc: COPY, "Text Format"): fields end at a tab; a backslash
 * escapes the next character, and \N alone is NULL. The decoded text is never longer than the
 * escaped one, so it is written over it: out never passes in. */
int sqldb_copy_fields(char *line, size_t len, char **fields, size_t *lens, int n)
{
	char *in = line, *end = line + len, *out = line;
	for (int k = 0;; k++) {
		if (k == n)
			return -1;
		bool is_null = end - in >= 2 && in[0] == '\\' && in[1] == 'N' && (end - in == 2 || in[2] == '\t');
		char *start = out;
		if (is_null)
			in += 2;
		while (!is_null && in < end && *in != '\t') {
			char c = *in++;
			if (c != '\\' || in == end) {
				*out++ = c;
				continue;
			}
			c = *in++;
			switch (c) {
			case 'b': *out++ = '\b'; break;
			case 'f': *out++ = '\f'; break;
			case 'n': *out++ = '\n'; break;
			case 'r': *out++ = '\r'; break;
			case 't': *out++ = '\t'; break;
			case 'v': *out++ = '\v'; break;
			case 'x':
				if (in < end && hex_value(*in) >= 0) {
					int v = hex_value(*in++);
					if (in < end && hex_value(*in) >= 0)
						v = v * 16 + hex_value(*in++);
					*out++ = (char)v;
				} else {
					*out++ = 'x';
				}
				break;
			default:
				if (c >= '0' && c <= '7') {
					int v = c - '0';
					for (int i = 0; i < 2 && in < end && *in >= '0' && *in <= '7'; i++)
						v = v * 8 + (*in++ - '0');
					*out++ = (char)v;
				} else {
					*out++ = c;           /* \\ and any other character: itself */
				}
			}
		}
		fields[k] = is_null ? NULL : start;
		if (lens)
			lens[k] = is_null ? 0 : (size_t)(out - start);
		/* Over the tab (or the line's NUL) at in, or earlier: out <= in always. */
		if (!is_null)
			*out++ = '\0';
		if (in == end)
			return k + 1 == n ? n : -1;
		in++;
	}
}

void sqldb_close(sqldb *db)
{
	if (db != NULL)
		db->drv->close(db);
}
