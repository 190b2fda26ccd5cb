/* The SQL access layer below the store: one connection (sqldb) and its statements
 * (sqldb_stmt), in SQLite's shape (prepare, bind, step, column), with a driver per database.
 * The store's queries are written once against it; see CONTRACT: portable SQL rules. */
#ifndef EXOSAFE_SQLDB_H
#define EXOSAFE_SQLDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sqldb_dialect { SQLDB_SQLITE, SQLDB_POSTGRES } sqldb_dialect;

typedef enum sqldb_rc {
	SQLDB_ROW,         /* a row is ready: read it with sqldb_column_* */
	SQLDB_DONE,        /* no (more) rows; the statement ran */
	SQLDB_CONSTRAINT,  /* a UNIQUE / CHECK / FOREIGN KEY / NOT NULL constraint refused the write */
	SQLDB_RETRY,       /* serialization failure or deadlock (PostgreSQL 40001/40P01, SQLite BUSY
	                    * after its timeout): the transaction was rolled back; run it again */
	SQLDB_ERROR,       /* anything else; sqldb_errmsg says what */
} sqldb_rc;

typedef struct sqldb sqldb;
typedef struct sqldb_stmt sqldb_stmt;

sqldb_dialect sqldb_dialect_of(const sqldb *db);
/* The last error's message on this connection ("" when none); valid until the next call. */
const char *sqldb_errmsg(const sqldb *db);

/* A statement for sql ready to bind: the connection's cached one when free, else a fresh one.
 * NULL on failure (message in sqldb_errmsg). Give it back with sqldb_release. */
sqldb_stmt *sqldb_prepare(sqldb *db, const char *sql);
/* Gives st back: its bindings are cleared and it holds no rows or snapshot. NULL is ignored. */
void sqldb_release(sqldb_stmt *st);

/* Parameters are numbered from 1 as in the SQL (`?N`, or the position of a plain `?`).
 * Text and blobs are NOT copied: they must stay valid until the statement is released or
 * stepped to its end. Binding a parameter the statement does not have is ignored. */
void sqldb_bind_int64(sqldb_stmt *st, int idx, int64_t v);
void sqldb_bind_int(sqldb_stmt *st, int idx, int v);
void sqldb_bind_double(sqldb_stmt *st, int idx, double v);
void sqldb_bind_text(sqldb_stmt *st, int idx, const char *v);   /* NULL binds SQL NULL */
void sqldb_bind_blob(sqldb_stmt *st, int idx, const void *v, size_t len);
void sqldb_bind_null(sqldb_stmt *st, int idx);

/* Runs the statement (first call) or moves to its next row. */
sqldb_rc sqldb_step(sqldb_stmt *st);
/* Rows changed by the statement's last run (INSERT/UPDATE/DELETE), after it returned DONE. */
int64_t sqldb_changes(const sqldb_stmt *st);

/* The current row's columns, from 0. NULL reads as 0 / 0.0 / NULL text / NULL blob. Text and
 * blob pointers stay valid until the next step or release. */
bool sqldb_column_is_null(sqldb_stmt *st, int col);
int64_t sqldb_column_int64(sqldb_stmt *st, int col);
int sqldb_column_int(sqldb_stmt *st, int col);
double sqldb_column_double(sqldb_stmt *st, int col);
const char *sqldb_column_text(sqldb_stmt *st, int col);
const void *sqldb_column_blob(sqldb_stmt *st, int col, size_t *len_out);

/* Runs SQL without parameters or rows (BEGIN, COMMIT, DDL; several statements allowed). */
sqldb_rc sqldb_exec(sqldb *db, const char *sql);

/* One row of a COPY: the row in PostgreSQL's text format without its newline, NUL-terminated,
 * writable (sqldb_copy_fields decodes it in place); valid only during the call. Non-zero stops. */
typedef int (*sqldb_copy_line_fn)(void *ctx, char *line, size_t len);

/* Runs sql, a `COPY (SELECT ...) TO STDOUT` (no parameters: COPY takes none), and
 * passes each row to fn as it arrives: a result of any size streams in one round trip, without
 * the whole result held in memory as sqldb_step's is. Returns SQLDB_DONE after the last row, or
 * after fn stopped (the rest of the rows are read and dropped, so the connection stays usable
 * and a transaction open around the call is not aborted); an error of the query, also one that
 * comes after some rows were given (they cannot be taken back), as sqldb_step would (message in
 * sqldb_errmsg). PostgreSQL only: the SQLite driver returns SQLDB_ERROR, "not supported".
 * In text format each row comes without its newline; with (FORMAT binary) each message comes
 * as PostgreSQL sends it (the file header before the first row, the trailer -1 last), with
 * line[len] still writable. */
sqldb_rc sqldb_copy_out(sqldb *db, const char *sql, sqldb_copy_line_fn fn, void *ctx);

/* Splits a row of sqldb_copy_out into its tab-separated fields in place, decoding the text
 * format's escapes (\\, \t, \n, \r, \b, \f, \v, octal \ooo, \xhh): fields[i] points at the
 * i-th value, NUL-terminated, and lens[i] (when lens is not NULL) is its length; the SQL NULL
 * (\N) gives fields[i] NULL and lens[i] 0. line[len] must be writable (the last field's NUL
 * may go there; sqldb_copy_out's rows have it). Returns the number of fields, or -1 when the
 * row does not have exactly n of them. Allocates nothing. */
int sqldb_copy_fields(char *line, size_t len, char **fields, size_t *lens, int n);

struct sqlite3;

/* Drivers: open a connection (NULL and a message in err on failure) and close it. */
sqldb *sqldb_sqlite_wrap(struct sqlite3 *conn);                  /* the SQLite store keeps opening */
struct sqlite3 *sqldb_sqlite_handle(sqldb *db);
sqldb *sqldb_pg_open(const char *url, char *err, size_t errlen);  /* postgres://... or key=value */
void sqldb_close(sqldb *db);

#endif
