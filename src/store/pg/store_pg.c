/* The PostgreSQL implementation of the storage interface (src/store/store.h), through libpq
 * (the sqldb driver src/store/sql/sqldb_pg.c).
 *
 * The queries are the SQLite store's, shared in src/store/sql/ (SQL_STORE_METHODS); what is
 * PostgreSQL's own is here:
 *   - transactions: writers are serialised as SQLite serialises them (one writer at a time per
 *     database), so the guarantees the services rely on hold unchanged: no slot booked twice,
 *     stock never below zero, the audit chain appended in order. Every transaction is
 *     BEGIN ISOLATION LEVEL READ COMMITTED then pg_advisory_xact_lock(PG_WRITE_LOCK), held to
 *     COMMIT / ROLLBACK. A write outside a transaction is wrapped the same way (pg_ops), and
 *     retried a few times on a serialization failure or deadlock (SQLDB_RETRY); inside a
 *     transaction such a failure is STORE_ERROR with PostgreSQL's message and the fault
 *     STORE_FAULT_RETRY (the HTTP server then runs the whole request again, src/http/server.c
 *     run_handler), as SQLite's BUSY is STORE_FAULT_BUSY. A database out of reach is
 *     STORE_FAULT_UNAVAILABLE (503 database_unavailable over HTTP).
 *   - migrations (src/store/pg/NNNN_*.sql, pg_migrations) recorded in schema_version as in
 *     SQLite, each in its own transaction under the same lock, so servers starting together
 *     migrate once;
 *   - schema_check: the tables, columns, indexes, triggers and views SQLite's migrations make
 *     up to the database's version (the same names: pg_schema_parity) are looked for in the
 *     catalogs, creating nothing (the server's role may not);
 *   - data_generation: a hash of the database's oid and pg_current_snapshot(), which changes
 *     with every commit that could be seen (one round trip, nothing written);
 *   - ae_signal_pairs: one COPY (store_pg_signals.c) instead of the shared row-by-row query;
 *   - integrity_check (nothing to add to PostgreSQL's own checksums here) and snapshot_to
 *     (refused: pg_dump). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store/migration.h"
#include "store/pg/store_pg_signals.h"
#include "store/sql/sql_store.h"
#include "store/sqlite/sqlite_internal.h"  /* sqlite_reference_each: the schema to expect */

/* The advisory lock every writer holds: "exosafe" in ASCII. */
#define PG_WRITE_LOCK "28561392720242277"
#define PG_BEGIN_WRITE "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")"
/* Tries of an autocommit write that PostgreSQL asked to run again. */
#define PG_AUTOCOMMIT_TRIES 4

typedef struct pg_store {
	sql_store sql_base;
	bool read_only;
} pg_store;

static pg_store *pg_impl(store *s)
{
	return (pg_store *)s;
}

static store_rc exec_fail(pg_store *ps, const char *what)
{
	return sql_fail(&ps->sql_base, what);
}

static store_rc exec_simple(pg_store *ps, const char *sql, const char *what)
{
	return sqldb_exec(ps->sql_base.sql, sql) == SQLDB_DONE ? STORE_OK : exec_fail(ps, what);
}

/* ---- transactions ---- */

/* Starts a write transaction with its lock. Nothing has happened yet when BEGIN fails, so it is
 * tried once more: a connection that lost its server (a restart, a failover) is reset by the
 * second try, and the request is served instead of failed. */
static sqldb_rc begin_write(sqldb *db)
{
	sqldb_rc rc = sqldb_exec(db, PG_BEGIN_WRITE);
	if (rc == SQLDB_DONE)
		return rc;
	sqldb_exec(db, "ROLLBACK");
	return sqldb_exec(db, PG_BEGIN_WRITE);
}

static sqldb_rc pg_autocommit_write(sql_store *ss, sqldb_stmt *st, int64_t *id_out)
{
	sqldb_rc rc = SQLDB_ERROR;
	for (int attempt = 0; attempt < PG_AUTOCOMMIT_TRIES; attempt++) {
		rc = begin_write(ss->sql);
		if (rc == SQLDB_DONE)
			rc = sql_step_write(ss, st, id_out);
		if (rc == SQLDB_DONE && (rc = sqldb_exec(ss->sql, "COMMIT")) == SQLDB_DONE)
			ss->base.commits++;
		if (rc != SQLDB_DONE)
			sqldb_exec(ss->sql, "ROLLBACK");  /* keeps the statement's message: ROLLBACK succeeds */
		if (rc != SQLDB_RETRY)
			break;
	}
	return rc;
}

static const sql_store_ops pg_ops = {
	.autocommit_write = pg_autocommit_write,
};

static store_rc pg_begin(store *s)
{
	pg_store *ps = pg_impl(s);
	if (ps->sql_base.in_transaction) {
		snprintf(s->errmsg, sizeof s->errmsg, "begin: a transaction is already open");
		return STORE_ERROR;
	}
	if (begin_write(ps->sql_base.sql) != SQLDB_DONE) {
		store_rc rc = exec_fail(ps, "begin");
		sqldb_exec(ps->sql_base.sql, "ROLLBACK");
		return rc;
	}
	ps->sql_base.in_transaction = 1;
	return STORE_OK;
}

static store_rc pg_commit(store *s)
{
	pg_store *ps = pg_impl(s);
	if (!ps->sql_base.in_transaction) {
		snprintf(s->errmsg, sizeof s->errmsg, "commit: no transaction is open");
		return STORE_ERROR;
	}
	ps->sql_base.in_transaction = 0;
	if (sqldb_exec(ps->sql_base.sql, "COMMIT") != SQLDB_DONE) {
		store_rc rc = exec_fail(ps, "commit");
		sqldb_exec(ps->sql_base.sql, "ROLLBACK");
		return rc;
	}
	s->commits++;
	return STORE_OK;
}

static void pg_rollback(store *s)
{
	pg_store *ps = pg_impl(s);
	if (ps->sql_base.in_transaction)
		sqldb_exec(ps->sql_base.sql, "ROLLBACK");
	ps->sql_base.in_transaction = 0;
}

static void pg_close(store *s)
{
	pg_store *ps = pg_impl(s);
	if (ps->sql_base.in_transaction)
		sqldb_exec(ps->sql_base.sql, "ROLLBACK");
	sqldb_close(ps->sql_base.sql);
	free(ps);
}

/* FNV-1a, 64 bits. */
static uint64_t hash_text(uint64_t h, const char *t)
{
	for (; *t; t++) {
		h ^= (unsigned char)*t;
		h *= 1099511628211ull;
	}
	return h;
}

static store_rc pg_data_generation(store *s, uint64_t *generation_out)
{
	pg_store *ps = pg_impl(s);
	/* Two equal snapshots see the same committed transactions, so the same data; any commit
	 * since changes xmax or the list of transactions in progress. The database's oid keeps
	 * the numbers of two databases apart. */
	sqldb_stmt *st = sql_prepare(&ps->sql_base, "SELECT CAST(d.oid AS TEXT), CAST(pg_current_snapshot() AS TEXT)"
	                                            " FROM pg_database d WHERE d.datname = current_database()");
	if (st == NULL)
		return STORE_ERROR;
	if (sqldb_step(st) != SQLDB_ROW) {
		sqldb_release(st);
		return exec_fail(ps, "data generation");
	}
	uint64_t h = hash_text(14695981039346656037ull, sqldb_column_text(st, 0));
	h = hash_text(h ^ ':', sqldb_column_text(st, 1));
	sqldb_release(st);
	*generation_out = h;
	return STORE_OK;
}

/* ---- schema ---- */

#define PG_SCHEMA_VERSION_TABLE \
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"

static store_rc pg_schema_version(store *s, int *version_out)
{
	pg_store *ps = pg_impl(s);
	*version_out = 0;
	sqldb_stmt *st = sql_prepare(&ps->sql_base, "SELECT to_regclass('schema_version') IS NOT NULL");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_rc rc = sqldb_step(st);
	int exists = rc == SQLDB_ROW && sqldb_column_int(st, 0) == 1;
	sqldb_release(st);
	if (rc != SQLDB_ROW)
		return exec_fail(ps, "schema_version");
	if (!exists)
		return STORE_OK;
	st = sql_prepare(&ps->sql_base, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (st == NULL)
		return STORE_ERROR;
	if (sqldb_step(st) != SQLDB_ROW) {
		sqldb_release(st);
		return exec_fail(ps, "schema_version");
	}
	*version_out = sqldb_column_int(st, 0);
	sqldb_release(st);
	return STORE_OK;
}

static int newest_version(void)
{
	return pg_migrations[pg_migrations_count - 1].version;
}

static store_rc pg_migrate(store *s, int *version_out)
{
	pg_store *ps = pg_impl(s);
	/* Each step reads the version again under the write lock: a server that waited for
	 * another's migration finds it applied and skips it. */
	if (pg_begin(s) != STORE_OK)
		return STORE_ERROR;
	int current;
	if (pg_schema_version(s, &current) != STORE_OK) {
		pg_rollback(s);
		return STORE_ERROR;
	}
	/* Created only when absent: CREATE ... IF NOT EXISTS still needs the right to create,
	 * which a role that only writes rows lacks even when there is nothing to do. */
	if (current == 0 && exec_simple(ps, PG_SCHEMA_VERSION_TABLE, "schema_version") != STORE_OK) {
		pg_rollback(s);
		return STORE_ERROR;
	}
	if (current > newest_version()) {
		pg_rollback(s);
		snprintf(s->errmsg, sizeof s->errmsg,
		         "database schema version %d is newer than this program knows (%d); upgrade exosafe", current,
		         newest_version());
		return STORE_ERROR;
	}
	if (pg_commit(s) != STORE_OK)
		return STORE_ERROR;
	for (int i = 0; i < pg_migrations_count; i++) {
		const struct migration *m = &pg_migrations[i];
		if (pg_begin(s) != STORE_OK)
			return STORE_ERROR;
		if (pg_schema_version(s, &current) != STORE_OK) {
			pg_rollback(s);
			return STORE_ERROR;
		}
		if (m->version <= current) {
			pg_rollback(s);
			continue;
		}
		if (sqldb_exec(ps->sql_base.sql, m->sql) != SQLDB_DONE) {
			char reason[sizeof s->errmsg];
			snprintf(reason, sizeof reason, "%s", sqldb_errmsg(ps->sql_base.sql));
			pg_rollback(s);
			snprintf(s->errmsg, sizeof s->errmsg, "migration %s failed: %.180s", m->name, reason);
			return STORE_ERROR;
		}
		sqldb_stmt *st = sql_prepare(&ps->sql_base,
		                             "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
		if (st == NULL) {
			pg_rollback(s);
			return STORE_ERROR;
		}
		sqldb_bind_int(st, 1, m->version);
		sqldb_bind_text(st, 2, m->name);
		/* The one clock (clock.h): a run with the clock moved sees its own time. */
		sqldb_bind_int64(st, 3, clock_now());
		if (sql_step_done(&ps->sql_base, st, "record migration") != STORE_OK || pg_commit(s) != STORE_OK) {
			pg_rollback(s);
			return STORE_ERROR;
		}
	}
	return pg_schema_version(s, version_out);
}

/* Every object of the database's schema as "kind name" (kind as SQLite names it: table,
 * view, index, trigger; columns as "column table.column"), read from the catalogs, which any
 * role that can connect may read. */
static const char pg_objects_sql[] =
	"SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'i' THEN 'index ' ELSE 'table ' END || c.relname"
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'i')"
	" UNION ALL SELECT 'column ' || c.relname || '.' || a.attname"
	" FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND NOT a.attisdropped"
	" UNION ALL SELECT 'trigger ' || t.tgname"
	" FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = current_schema() AND NOT t.tgisinternal";

typedef struct object_set {
	char **names;     /* sorted */
	size_t count, cap;
	store_schema_status *out;
	char gone[2048];  /* missing tables: their columns go unsaid */
} object_set;

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Notes a reference object the database lacks (sqlite_reference_each's callback). */
static int check_object(void *ctx, const char *type, const char *name)
{
	object_set *set = ctx;
	char key[300];
	snprintf(key, sizeof key, "%s %s", type, name);
	const char *k = key;
	if (bsearch(&k, set->names, set->count, sizeof *set->names, compare_names) != NULL)
		return 0;
	if (strcmp(type, "column") == 0) {
		char table[200];
		snprintf(table, sizeof table, "%.*s", (int)strcspn(name, "."), name);
		size_t len = strlen(table);
		for (const char *p = set->gone; (p = strstr(p, table)) != NULL; p += len)
			if ((p == set->gone || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
				return 0;
	}
	if (strcmp(type, "table") == 0) {
		size_t used = strlen(set->gone);
		snprintf(set->gone + used, sizeof set->gone - used, "%s%s", used ? "," : "", name);
	}
	store_schema_note_missing(set->out, type, name);
	return 0;
}

static store_rc pg_schema_check(store *s, store_schema_status *out)
{
	pg_store *ps = pg_impl(s);
	*out = (store_schema_status){.known_version = newest_version()};
	if (store_schema_version(s, &out->version) != STORE_OK)
		return STORE_ERROR;
	if (out->version > out->known_version) {
		out->state = STORE_SCHEMA_NEWER;
		return STORE_OK;
	}
	if (out->version == 0) {
		/* No recorded version: empty, or the version table itself is gone from a database
		 * that has tables (damaged, not to be initialised over). */
		sqldb_stmt *st = sql_prepare(&ps->sql_base, "SELECT count(*) FROM pg_class c JOIN pg_namespace n"
		                                            " ON n.oid = c.relnamespace WHERE n.nspname = current_schema()");
		if (st == NULL)
			return STORE_ERROR;
		int objects = sqldb_step(st) == SQLDB_ROW ? sqldb_column_int(st, 0) : -1;
		sqldb_release(st);
		if (objects < 0)
			return exec_fail(ps, "schema check");
		if (objects > 0) {
			out->state = STORE_SCHEMA_DAMAGED;
			store_schema_note_missing(out, "table", "schema_version");
		} else {
			out->state = STORE_SCHEMA_EMPTY;
		}
		return STORE_OK;
	}
	/* The reference is SQLite's schema at that version (made in memory from the SQLite
	 * migrations), which pg_schema_parity holds equal to PostgreSQL's, names included: so
	 * nothing is created here, and a role that may not create anything can check too. */
	object_set set = {.out = out};
	sqldb_stmt *st = sql_prepare(&ps->sql_base, pg_objects_sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_rc rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		if (set.count == set.cap) {
			size_t cap = set.cap ? set.cap * 2 : 512;
			char **grown = realloc(set.names, cap * sizeof *grown);
			if (grown == NULL)
				break;
			set.names = grown;
			set.cap = cap;
		}
		if ((set.names[set.count] = strdup(sqldb_column_text(st, 0))) == NULL)
			break;
		set.count++;
	}
	sqldb_release(st);
	store_rc result = STORE_OK;
	if (rc != SQLDB_DONE) {
		result = rc == SQLDB_ROW ? STORE_ERROR : exec_fail(ps, "schema check");
		if (rc == SQLDB_ROW)
			snprintf(s->errmsg, sizeof s->errmsg, "schema check: out of memory");
	} else {
		qsort(set.names, set.count, sizeof *set.names, compare_names);
		char err[sizeof s->errmsg];
		if (sqlite_reference_each(out->version, check_object, &set, err, sizeof err) != 0) {
			snprintf(s->errmsg, sizeof s->errmsg, "%s", err);
			result = STORE_ERROR;
		}
	}
	for (size_t i = 0; i < set.count; i++)
		free(set.names[i]);
	free(set.names);
	if (result != STORE_OK)
		return result;
	out->state = out->missing[0] ? STORE_SCHEMA_DAMAGED
	             : out->version < out->known_version ? STORE_SCHEMA_OLDER : STORE_SCHEMA_CURRENT;
	return STORE_OK;
}

static store_rc pg_integrity_check(store *s)
{
	/* PostgreSQL checks its pages itself (checksums); a full check is amcheck's pg_amcheck. */
	(void)s;
	return STORE_OK;
}

static store_rc pg_snapshot_to(store *s, const char *path)
{
	(void)path;
	snprintf(s->errmsg, sizeof s->errmsg,
	         "a PostgreSQL database is not copied by exosafe: use pg_dump (and pg_restore to restore it)");
	return STORE_ERROR;
}

/* Signal detection reads a pooled registry's pairs with one COPY (store_pg_signals.c) rather
 * than the shared row-by-row query, whose whole result libpq would hold in memory. */
static store_rc pg_store_ae_signal_pairs(store *s, bool by_lot, store_ae_pair_fn fn, void *ctx)
{
	return pg_ae_signal_pairs(pg_impl(s)->sql_base.sql, by_lot, s->clinic_scope, fn, ctx, s->errmsg, sizeof s->errmsg);
}

static const store_methods pg_methods = {
	.backend_name = "postgresql",
	.close = pg_close,
	.migrate = pg_migrate,
	.schema_version = pg_schema_version,
	.schema_check = pg_schema_check,
	.integrity_check = pg_integrity_check,
	.snapshot_to = pg_snapshot_to,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.data_generation = pg_data_generation,
	.ae_signal_pairs = pg_store_ae_signal_pairs,
	SQL_STORE_METHODS
};

store *store_pg_open(const char *url, store_open_mode mode, char *err, size_t errlen)
{
	pg_store *ps = calloc(1, sizeof *ps);
	if (ps == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	char why[400];
	ps->sql_base.sql = sqldb_pg_open(url, why, sizeof why);
	if (ps->sql_base.sql == NULL) {
		char label[256];
		snprintf(err, errlen, "cannot open database %s: %s", store_db_label(url, label, sizeof label), why);
		free(ps);
		return NULL;
	}
	ps->sql_base.base.m = &pg_methods;
	ps->sql_base.ops = &pg_ops;
	/* A command that only reads cannot write by mistake. (A PostgreSQL database is made by
	 * CREATE DATABASE, not by opening it: CREATE and EXISTING differ only for SQLite files.) */
	if (mode == STORE_OPEN_READ_ONLY) {
		ps->read_only = true;
		if (sqldb_exec(ps->sql_base.sql, "SET default_transaction_read_only = on") != SQLDB_DONE) {
			snprintf(err, errlen, "cannot configure database: %s", sqldb_errmsg(ps->sql_base.sql));
			sqldb_close(ps->sql_base.sql);
			free(ps);
			return NULL;
		}
	}
	return &ps->sql_base.base;
}
