/* The SQLite store's own state, beside the shared SQL store (src/store/sql/sql_store.h); not
 * part of the storage interface. */
#ifndef EXOSAFE_SQLITE_INTERNAL_H
#define EXOSAFE_SQLITE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store/sql/sql_store.h"

struct sqlite_write_gate;

typedef struct sqlite_store {
	sql_store sql_base;        /* first: a sqlite_store is a sql_store is a store */
	sqlite3 *db;               /* for what stays SQLite-only: write gate, PRAGMAs, backup, checks */
	/* This process's write gate for the database file (store_sqlite.c), found at the first
	 * write; held from BEGIN IMMEDIATE to COMMIT / ROLLBACK. */
	struct sqlite_write_gate *gate;
	int64_t data_version;      /* PRAGMA data_version when data_generation last looked */
	bool group_commit;         /* synchronous=NORMAL, the WAL synced by wait_durable */
	uint64_t autocommit_ticket; /* the group commit's number of the last autocommit write, 0: none */
} sqlite_store;

static inline sqlite_store *sq_impl(store *s)
{
	return (sqlite_store *)s;
}

/* The table of applied migrations, created before the first one runs. */
#define SQLITE_SCHEMA_VERSION_TABLE \
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"

/* store_sqlite_schema.c: the schema_check, integrity_check and snapshot_to methods. */
store_rc sqlite_schema_check(store *s, store_schema_status *out);
store_rc sqlite_integrity_check(store *s);
store_rc sqlite_snapshot_to(store *s, const char *path);
/* Calls fn(ctx, type, name) for every object migrations 1..version make (SQLite's schema,
 * which pg_schema_parity holds equal to PostgreSQL's by name): tables first, each followed by
 * its columns (type "column", name "table.column"), then indexes, triggers and views. fn
 * returns 0 to go on, non-zero to stop (negative: a failure, returned as -1). -1 with the reason
 * in err when the reference cannot be made. */
int sqlite_reference_each(int version, int (*fn)(void *ctx, const char *type, const char *name), void *ctx,
                          char *err, size_t errlen);
/* Opens path read-only without writing anything beside it, read-only folders included (see
 * STORE_OPEN_READ_ONLY). NULL with the reason in err on failure. */
sqlite3 *sqlite_open_read_only(const char *path, char *err, size_t errlen);

/* The group commit's counters for s's database file (for tests): whether s commits that way,
 * commits numbered, commits synced, and syncs made. */
void sqlite_group_commit_counts(store *s, bool *enabled, uint64_t *committed, uint64_t *durable, uint64_t *syncs);

/* True when st (of the SQLite driver) does not write: such a statement skips the write gate. */
bool sqldb_sqlite_stmt_readonly(sqldb_stmt *st);

#endif
