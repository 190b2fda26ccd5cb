/* What a driver of the SQL access layer (sqldb.h) provides: a table of its methods, reached
 * from every connection and statement. Private to src/store/sql/; the store sees only sqldb.h. */
#ifndef EXOSAFE_SQLDB_DRIVER_H
#define EXOSAFE_SQLDB_DRIVER_H

#include "store/sql/sqldb.h"

/* One method per function of sqldb.h (sqldb.c calls through it); bind_int and column_int go
 * through the int64 methods. */
typedef struct sqldb_driver {
	sqldb_stmt *(*prepare)(sqldb *db, const char *sql);
	void (*release)(sqldb_stmt *st);
	void (*bind_int64)(sqldb_stmt *st, int idx, int64_t v);
	void (*bind_double)(sqldb_stmt *st, int idx, double v);
	void (*bind_text)(sqldb_stmt *st, int idx, const char *v);
	void (*bind_blob)(sqldb_stmt *st, int idx, const void *v, size_t len);
	void (*bind_null)(sqldb_stmt *st, int idx);
	sqldb_rc (*step)(sqldb_stmt *st);
	int64_t (*changes)(const sqldb_stmt *st);
	bool (*column_is_null)(sqldb_stmt *st, int col);
	int64_t (*column_int64)(sqldb_stmt *st, int col);
	double (*column_double)(sqldb_stmt *st, int col);
	const char *(*column_text)(sqldb_stmt *st, int col);
	const void *(*column_blob)(sqldb_stmt *st, int col, size_t *len_out);
	sqldb_rc (*exec)(sqldb *db, const char *sql);
	sqldb_rc (*copy_out)(sqldb *db, const char *sql, sqldb_copy_line_fn fn, void *ctx);
	const char *(*errmsg)(const sqldb *db);
	void (*close)(sqldb *db);
} sqldb_driver;

/* A driver's connection and statement structs start with these. */
struct sqldb {
	const sqldb_driver *drv;
	sqldb_dialect dialect;
	sqldb_fault fault;    /* the last error's kind: the driver sets it wherever it sets the message */
};
struct sqldb_stmt {
	sqldb *db;
};

#endif
