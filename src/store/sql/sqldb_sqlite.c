/* The SQLite driver of the SQL access layer (sqldb.h), with the per-connection statement cache.
 *
 * The store opens and configures the sqlite3 connection itself (store_sqlite.c: PRAGMAs, write
 * gate, group commit, backup, integrity and schema checks stay raw SQLite there) and wraps it
 * here for its queries. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sqldb.h"
#include "store/sql/sqldb_driver.h"

/* A statement: a cache slot (prepared once with SQLITE_PREPARE_PERSISTENT, never finalized
 * before the connection's wrapper closes) or, when the cache cannot take it, a fresh one
 * finalized and freed at release. A slot is free when st is NULL. */
typedef struct lite_stmt {
	sqldb_stmt base;
	sqlite3_stmt *st;
	const char *sql;  /* sqlite3_sql(st): owned by the statement */
	unsigned hash;
	bool in_use;      /* handed out and not yet released */
	bool cached;
} lite_stmt;

/* The cache's size: an open-addressed table, never fuller than STMT_CACHE_MAX of its slots. */
enum { STMT_CACHE_SLOTS = 512, STMT_CACHE_MAX = 384 };

typedef struct lite_db {
	sqldb base;
	sqlite3 *conn;
	lite_stmt *slots;  /* STMT_CACHE_SLOTS, allocated at first use */
	int count;
	const char *own_err;   /* this driver's own last error (copy_out), until the next call */
} lite_db;

static lite_db *lite(sqldb *db)
{
	return (lite_db *)db;
}

static lite_stmt *lst(sqldb_stmt *st)
{
	return (lite_stmt *)st;
}

/* ---- the prepared-statement cache ----
 *
 * Preparing parses and plans the SQL on every request, most of a short read's time. Each
 * connection keeps what it prepared, keyed by the SQL text (the store's constant queries and a
 * few built ones, far fewer than STMT_CACHE_MAX). A statement already handed out (a nested use
 * of the same query) gets a fresh uncached copy. */
static unsigned sql_hash(const char *sql)
{
	unsigned h = 2166136261u;  /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The slot holding sql, or the free slot where it would go. */
static lite_stmt *cache_slot(lite_db *ld, const char *sql, unsigned h)
{
	unsigned mask = STMT_CACHE_SLOTS - 1;
	for (unsigned i = h & mask;; i = (i + 1) & mask) {
		lite_stmt *slot = &ld->slots[i];
		if (slot->st == NULL || (slot->hash == h && strcmp(slot->sql, sql) == 0))
			return slot;
	}
}

static sqldb_stmt *prepare_uncached(lite_db *ld, const char *sql)
{
	lite_stmt *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	if (sqlite3_prepare_v2(ld->conn, sql, -1, &s->st, NULL) != SQLITE_OK) {
		sqlite3_finalize(s->st);
		free(s);
		return NULL;
	}
	s->base.db = &ld->base;
	s->in_use = true;
	return &s->base;
}

static sqldb_stmt *lite_prepare_cached(sqldb *db, const char *sql)
{
	lite_db *ld = lite(db);
	ld->own_err = NULL;
	if (ld->slots == NULL && (ld->slots = calloc(STMT_CACHE_SLOTS, sizeof *ld->slots)) == NULL)
		return prepare_uncached(ld, sql);
	unsigned h = sql_hash(sql);
	lite_stmt *slot = cache_slot(ld, sql, h);
	if (slot->st != NULL) {
		if (slot->in_use)
			return prepare_uncached(ld, sql);
		slot->in_use = true;
		return &slot->base;
	}
	if (ld->count >= STMT_CACHE_MAX)
		return prepare_uncached(ld, sql);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(ld->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	*slot = (lite_stmt){.base.db = db, .st = st, .sql = sqlite3_sql(st), .hash = h, .in_use = true, .cached = true};
	ld->count++;
	return &slot->base;
}

static sqldb_stmt *lite_prepare(sqldb *db, const char *sql)
{
	sqldb_stmt *st = lite_prepare_cached(db, sql);
	if (st == NULL)
		db->fault = SQLDB_FAULT_OTHER;
	return st;
}

/* A cached statement is reset and its bindings cleared (so it holds no read snapshot and
 * points at no caller memory); any other is finalized. */
static void lite_release(sqldb_stmt *st)
{
	lite_stmt *s = lst(st);
	if (s->cached) {
		sqlite3_reset(s->st);
		sqlite3_clear_bindings(s->st);
		s->in_use = false;
		return;
	}
	sqlite3_finalize(s->st);
	free(s);
}

static void lite_bind_int64(sqldb_stmt *st, int idx, int64_t v)
{
	sqlite3_bind_int64(lst(st)->st, idx, v);
}

static void lite_bind_double(sqldb_stmt *st, int idx, double v)
{
	sqlite3_bind_double(lst(st)->st, idx, v);
}

static void lite_bind_text(sqldb_stmt *st, int idx, const char *v)
{
	sqlite3_bind_text(lst(st)->st, idx, v, -1, SQLITE_STATIC);
}

static void lite_bind_blob(sqldb_stmt *st, int idx, const void *v, size_t len)
{
	sqlite3_bind_blob64(lst(st)->st, idx, v, (sqlite3_uint64)len, SQLITE_STATIC);
}

static void lite_bind_null(sqldb_stmt *st, int idx)
{
	sqlite3_bind_null(lst(st)->st, idx);
}

/* The sqldb_rc of SQLite's rc; a failure's kind is recorded on db (sqldb_last_fault). */
static sqldb_rc lite_rc(sqldb *db, int rc)
{
	int primary = rc & 0xff;
	if (primary != SQLITE_ROW && primary != SQLITE_DONE && primary != SQLITE_OK)
		db->fault = primary == SQLITE_BUSY ? SQLDB_FAULT_BUSY : SQLDB_FAULT_OTHER;
	switch (primary) {
	case SQLITE_ROW:
		return SQLDB_ROW;
	case SQLITE_DONE:
		return SQLDB_DONE;
	case SQLITE_CONSTRAINT:
		return SQLDB_CONSTRAINT;
	case SQLITE_BUSY:
		return SQLDB_RETRY;
	default:
		return SQLDB_ERROR;
	}
}

static sqldb_rc lite_step(sqldb_stmt *st)
{
	return lite_rc(st->db, sqlite3_step(lst(st)->st));
}

/* SQLite counts per connection: valid right after the statement's run, before the next. */
static int64_t lite_changes(const sqldb_stmt *st)
{
	return sqlite3_changes(lite(st->db)->conn);
}

static bool lite_column_is_null(sqldb_stmt *st, int col)
{
	return sqlite3_column_type(lst(st)->st, col) == SQLITE_NULL;
}

static int64_t lite_column_int64(sqldb_stmt *st, int col)
{
	return sqlite3_column_int64(lst(st)->st, col);
}

static double lite_column_double(sqldb_stmt *st, int col)
{
	return sqlite3_column_double(lst(st)->st, col);
}

static const char *lite_column_text(sqldb_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(lst(st)->st, col);
}

static const void *lite_column_blob(sqldb_stmt *st, int col, size_t *len_out)
{
	const void *p = sqlite3_column_blob(lst(st)->st, col);
	*len_out = (size_t)sqlite3_column_bytes(lst(st)->st, col);
	return p;
}

static sqldb_rc lite_exec(sqldb *db, const char *sql)
{
	lite(db)->own_err = NULL;
	int rc = sqlite3_exec(lite(db)->conn, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? SQLDB_DONE : lite_rc(db, rc);
}

static const char *lite_errmsg(const sqldb *db)
{
	const lite_db *ld = (const lite_db *)db;
	return ld->own_err ? ld->own_err : sqlite3_errmsg(ld->conn);
}

/* SQLite has no COPY: its callers step statements, which read rows in place anyway. */
static sqldb_rc lite_copy_out(sqldb *db, const char *sql, sqldb_copy_line_fn fn, void *ctx)
{
	(void)sql;
	(void)fn;
	(void)ctx;
	lite(db)->own_err = "COPY ... TO STDOUT is not supported by SQLite";
	db->fault = SQLDB_FAULT_OTHER;
	return SQLDB_ERROR;
}

/* Finalizes every cached statement and frees the wrapper; the sqlite3 handle stays open. */
static void lite_close(sqldb *db)
{
	lite_db *ld = lite(db);
	if (ld->slots != NULL) {
		for (int i = 0; i < STMT_CACHE_SLOTS; i++)
			sqlite3_finalize(ld->slots[i].st);
		free(ld->slots);
	}
	free(ld);
}

static const sqldb_driver lite_driver = {
	.prepare = lite_prepare,
	.release = lite_release,
	.bind_int64 = lite_bind_int64,
	.bind_double = lite_bind_double,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.bind_null = lite_bind_null,
	.step = lite_step,
	.changes = lite_changes,
	.column_is_null = lite_column_is_null,
	.column_int64 = lite_column_int64,
	.column_double = lite_column_double,
	.column_text = lite_column_text,
	.column_blob = lite_column_blob,
	.exec = lite_exec,
	.errmsg = lite_errmsg,
	.copy_out = lite_copy_out,
	.close = lite_close,
};

sqldb *sqldb_sqlite_wrap(struct sqlite3 *conn)
{
	lite_db *ld = calloc(1, sizeof *ld);
	if (ld == NULL)
		return NULL;
	ld->base = (sqldb){.drv = &lite_driver, .dialect = SQLDB_SQLITE};
	ld->conn = conn;
	return &ld->base;
}

struct sqlite3 *sqldb_sqlite_handle(sqldb *db)
{
	return lite(db)->conn;
}

/* For the store's SQLite-only write gate: true when st does not write (declared in
 * src/store/sqlite/sqlite_internal.h, the driver's only SQLite-specific caller). */
bool sqldb_sqlite_stmt_readonly(sqldb_stmt *st);
bool sqldb_sqlite_stmt_readonly(sqldb_stmt *st)
{
	return sqlite3_stmt_readonly(lst(st)->st) != 0;
}
