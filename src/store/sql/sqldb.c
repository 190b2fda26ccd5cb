/* The SQL access layer's functions (sqldb.h): each calls its connection's driver (sqldb_driver.h). */
#include "store/sql/sqldb.h"

#include "store/sql/sqldb_driver.h"

sqldb_dialect sqldb_dialect_of(const sqldb *db)
{
	return db->dialect;
}

const char *sqldb_errmsg(const sqldb *db)
{
	return db->drv->errmsg(db);
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

void sqldb_close(sqldb *db)
{
	if (db != NULL)
		db->drv->close(db);
}
