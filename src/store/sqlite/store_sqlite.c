/* The SQLite implementation of the storage interface (src/store/store.h).
 *
 * One sqlite_store is one connection; the server keeps a pool of them, one per worker at a
 * time. Durability: WAL; a commit returns once the WAL is synced after it (synchronous=FULL,
 * or for connections that write, the group commit below), so a transaction that commit()
 * acknowledged survives kill -9 and power loss. Every statement is prepared with bound
 * parameters.
 *
 * Issue 18: the queries are shared with PostgreSQL in src/store/sql/ (store_sql*.c, portable
 * SQL through sqldb.h, installed here with SQL_STORE_METHODS). What stays here is SQLite's own:
 *   - opening and configuring the connection (store_sqlite_open_mode: open flags, busy
 *     timeout, PRAGMA journal_mode / synchronous / foreign_keys / trusted_schema / query_only),
 *     closing it (sq_close);
 *   - transactions: the write gate (one writer per file, FIFO), BEGIN IMMEDIATE / COMMIT /
 *     ROLLBACK (exec_simple), the group commit (WAL sync, PRAGMA journal_mode probe in
 *     gate_of) and the autocommit writes' gate (sqlite_ops, sqldb_sqlite_stmt_readonly);
 *   - data_generation (PRAGMA data_version), schema_version (sqlite_master), migrations (the
 *     SQLite DDL files, run through sqlite3_exec);
 *   - store_sqlite_schema.c: schema_check (a reference schema in memory, sqlite_master,
 *     pragma_table_info), integrity_check (PRAGMA integrity_check / foreign_key_check, run as
 *     sqldb statements but SQLite PRAGMAs), snapshot_to (the backup API), the read-only open. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "store/migration.h"
#include "store/store.h"

#include "store/sqlite/sqlite_internal.h"

/* ---- the write gate: one writer at a time per database file, in arrival order ----
 *
 * SQLite lets one connection write at a time; a second BEGIN IMMEDIATE waits in the busy
 * handler, which sleeps with growing back-off (up to 100 ms a try) and so lets a queue of
 * writers stall for most of a second while the lock is free. The connections of this process
 * therefore queue here first, in FIFO order, and the lock is handed from one writer straight
 * to the next. busy_timeout stays for other processes (the CLI beside the server). */
typedef struct gate_waiter {
	pthread_cond_t granted_cond;
	bool granted;
	struct gate_waiter *next;
} gate_waiter;

typedef struct sqlite_write_gate {
	char *path;                  /* the database file, as SQLite resolved it */
	/* The data generation (store.h data_generation): the file's number in the top 16 bits,
	 * bumped after every commit through this process and whenever a connection sees that
	 * another connection (perhaps another process) committed. */
	_Atomic uint64_t generation;
	/* Group commit: this process's commits are numbered (committed, in commit order) and
	 * acknowledged once the WAL was synced after them (durable). A waiting committer that finds
	 * nobody syncing syncs for every commit made so far; the others wait for it. */
	pthread_mutex_t sync_lock;
	pthread_cond_t synced;
	uint64_t committed, durable;
	bool syncing;
	uint64_t syncs;
	pthread_mutex_t lock;
	bool held;
	gate_waiter *head, *tail;    /* writers waiting, oldest first */
	struct sqlite_write_gate *next;
} sqlite_write_gate;

/* Gates live as long as the process: a few per run (one per database file). */
static pthread_mutex_t gates_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite_write_gate *gates;
static uint64_t gates_made;

/* The gate for ss's database file, made at first use; NULL when out of memory. */
static sqlite_write_gate *gate_of(sqlite_store *ss)
{
	if (ss->gate != NULL)
		return ss->gate;
	const char *path = sqlite3_db_filename(ss->db, "main");
	if (path == NULL || *path == '\0')
		path = ":memory:";  /* each in-memory database is private: its gate never contends */
	pthread_mutex_lock(&gates_lock);
	sqlite_write_gate *g = gates;
	while (g != NULL && strcmp(g->path, path) != 0)
		g = g->next;
	if (g == NULL && (g = calloc(1, sizeof *g)) != NULL) {
		g->path = strdup(path);
		if (g->path == NULL) {
			free(g);
			g = NULL;
		} else {
			pthread_mutex_init(&g->lock, NULL);
			pthread_mutex_init(&g->sync_lock, NULL);
			pthread_cond_init(&g->synced, NULL);
			atomic_init(&g->generation, ++gates_made << 48);
			g->next = gates;
			gates = g;
		}
	}
	pthread_mutex_unlock(&gates_lock);
	ss->gate = g;
	/* A connection that writes to a WAL database commits with synchronous=NORMAL (COMMIT
	 * writes the WAL without syncing it) and syncs the WAL itself before commit() returns,
	 * one sync for every commit waiting (wait_durable). Checkpoints still sync the WAL before
	 * copying it and the database after. Elsewhere (in memory) nothing changes. */
	if (g != NULL && !ss->group_commit && strcmp(path, ":memory:") != 0) {
		sqlite3_stmt *st = NULL;
		bool wal = sqlite3_prepare_v2(ss->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
		           sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
		sqlite3_finalize(st);
		if (wal && sqlite3_exec(ss->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) == SQLITE_OK)
			ss->group_commit = true;
	}
	return g;
}

/* Syncs the connection's WAL file (SQLite's own handle for it). */
static int sync_wal(sqlite_store *ss)
{
	sqlite3_file *wal = NULL;
	if (sqlite3_file_control(ss->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK || wal == NULL ||
	    wal->pMethods == NULL)
		return SQLITE_ERROR;
	return wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
}

/* Numbers a commit just made (called while still holding the write gate, so numbers follow
 * the commit order). */
static uint64_t commit_ticket(sqlite_write_gate *g)
{
	pthread_mutex_lock(&g->sync_lock);
	uint64_t ticket = ++g->committed;
	pthread_mutex_unlock(&g->sync_lock);
	return ticket;
}

/* Returns once the WAL has been synced after commit number ticket: syncing it here, for every
 * commit made so far, when no other committer is syncing. STORE_ERROR when the sync failed
 * (the transaction is committed but may not survive a power loss). */
static store_rc wait_durable(sqlite_store *ss, uint64_t ticket)
{
	sqlite_write_gate *g = ss->gate;
	pthread_mutex_lock(&g->sync_lock);
	while (g->durable < ticket) {
		if (g->syncing) {
			pthread_cond_wait(&g->synced, &g->sync_lock);
			continue;
		}
		g->syncing = true;
		uint64_t target = g->committed;
		pthread_mutex_unlock(&g->sync_lock);
		int rc = sync_wal(ss);
		pthread_mutex_lock(&g->sync_lock);
		g->syncing = false;
		if (rc == SQLITE_OK) {
			g->durable = target;
			g->syncs++;
		}
		pthread_cond_broadcast(&g->synced);
		if (rc != SQLITE_OK) {
			pthread_mutex_unlock(&g->sync_lock);
			snprintf(ss->sql_base.base.errmsg, sizeof ss->sql_base.base.errmsg, "commit: syncing the write-ahead log failed");
			return STORE_ERROR;
		}
	}
	pthread_mutex_unlock(&g->sync_lock);
	return STORE_OK;
}

void sqlite_group_commit_counts(store *s, bool *enabled, uint64_t *committed, uint64_t *durable, uint64_t *syncs)
{
	sqlite_store *ss = sq_impl(s);
	sqlite_write_gate *g = gate_of(ss);
	*enabled = ss->group_commit;
	*committed = *durable = *syncs = 0;
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->sync_lock);
	*committed = g->committed;
	*durable = g->durable;
	*syncs = g->syncs;
	pthread_mutex_unlock(&g->sync_lock);
}

/* Waits for the gate's turn (FIFO). */
static void gate_enter(sqlite_write_gate *g)
{
	pthread_mutex_lock(&g->lock);
	if (!g->held && g->head == NULL) {
		g->held = true;
		pthread_mutex_unlock(&g->lock);
		return;
	}
	gate_waiter me = {.granted = false, .next = NULL};
	pthread_cond_init(&me.granted_cond, NULL);
	if (g->tail != NULL)
		g->tail->next = &me;
	else
		g->head = &me;
	g->tail = &me;
	while (!me.granted)
		pthread_cond_wait(&me.granted_cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	pthread_cond_destroy(&me.granted_cond);
}

/* Hands the gate to the oldest waiter, or frees it. */
static void gate_leave(sqlite_write_gate *g)
{
	pthread_mutex_lock(&g->lock);
	gate_waiter *next = g->head;
	if (next != NULL) {
		g->head = next->next;
		if (g->head == NULL)
			g->tail = NULL;
		next->granted = true;  /* held stays true: the turn passes straight on */
		pthread_cond_signal(&next->granted_cond);
	} else {
		g->held = false;
	}
	pthread_mutex_unlock(&g->lock);
}

/* A write outside a transaction (autocommit) queues at the write gate like a transaction
 * does: SQLite's writers are serialised per file. A statement that does not write skips it. */
static sqldb_rc sq_autocommit_write(sql_store *base, sqldb_stmt *st, int64_t *id_out)
{
	sqlite_store *ss = (sqlite_store *)base;
	sqlite_write_gate *g = NULL;
	ss->autocommit_ticket = 0;
	if (!sqldb_sqlite_stmt_readonly(st) && (g = gate_of(ss)) != NULL)
		gate_enter(g);
	sqldb_rc rc = sql_step_write(base, st, id_out);
	if (g != NULL) {
		if (rc == SQLDB_DONE && ss->group_commit)
			ss->autocommit_ticket = commit_ticket(g);
		atomic_fetch_add(&g->generation, 1);
		gate_leave(g);
	}
	return rc;
}

/* After the statement was released: an acknowledged autocommit write waits for its sync. */
static store_rc sq_autocommit_done(sql_store *base, store_rc rc)
{
	sqlite_store *ss = (sqlite_store *)base;
	uint64_t ticket = ss->autocommit_ticket;
	ss->autocommit_ticket = 0;
	return ticket != 0 && rc == STORE_OK ? wait_durable(ss, ticket) : rc;
}

static const sql_store_ops sqlite_ops = {
	.autocommit_write = sq_autocommit_write,
	.autocommit_done = sq_autocommit_done,
};

static store_rc exec_simple(sqlite_store *ss, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(ss->db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		snprintf(ss->sql_base.base.errmsg, sizeof ss->sql_base.base.errmsg, "%s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		/* BEGIN IMMEDIATE answers BUSY when another process kept the write lock past the busy
		 * timeout: "try again", as the shared queries' sql_fail reports it. */
		ss->sql_base.base.fault = (rc & 0xff) == SQLITE_BUSY ? STORE_FAULT_BUSY : STORE_FAULT_NONE;
		return STORE_ERROR;
	}
	return STORE_OK;
}

static void sq_close(store *s)
{
	sqlite_store *ss = sq_impl(s);
	if (ss->sql_base.in_transaction) {
		sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
		gate_leave(ss->gate);
	}
	sqldb_close(ss->sql_base.sql);
	sqlite3_close_v2(ss->db);
	free(ss);
}

static store_rc sq_begin(store *s)
{
	sqlite_store *ss = sq_impl(s);
	if (ss->sql_base.in_transaction) {
		snprintf(s->errmsg, sizeof s->errmsg, "begin: a transaction is already open");
		return STORE_ERROR;
	}
	sqlite_write_gate *g = gate_of(ss);
	if (g == NULL) {
		snprintf(s->errmsg, sizeof s->errmsg, "begin: out of memory");
		return STORE_ERROR;
	}
	/* This process's writers queue at the gate; IMMEDIATE then takes SQLite's write lock,
	 * waiting in the busy handler only for another process. Writers (and the audit chain)
	 * are serialised. */
	gate_enter(g);
	store_rc rc = exec_simple(ss, "BEGIN IMMEDIATE");
	if (rc == STORE_OK)
		ss->sql_base.in_transaction = 1;
	else
		gate_leave(g);
	return rc;
}

static store_rc sq_commit(store *s)
{
	sqlite_store *ss = sq_impl(s);
	if (!ss->sql_base.in_transaction) {
		snprintf(s->errmsg, sizeof s->errmsg, "commit: no transaction is open");
		return STORE_ERROR;
	}
	store_rc rc = exec_simple(ss, "COMMIT");
	if (rc != STORE_OK) {
		sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
	}
	ss->sql_base.in_transaction = 0;
	uint64_t ticket = rc == STORE_OK && ss->group_commit ? commit_ticket(ss->gate) : 0;
	/* After the commit, before the next writer: a reader that saw the old number read the
	 * old data or newer, never the reverse. */
	atomic_fetch_add(&ss->gate->generation, 1);
	/* The next writer goes in while this one waits for the sync that covers both. */
	gate_leave(ss->gate);
	return ticket != 0 ? wait_durable(ss, ticket) : rc;
}

static void sq_rollback(store *s)
{
	sqlite_store *ss = sq_impl(s);
	if (ss->sql_base.in_transaction) {
		sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
		gate_leave(ss->gate);
	}
	ss->sql_base.in_transaction = 0;
}

static store_rc sq_data_generation(store *s, uint64_t *generation_out)
{
	sqlite_store *ss = sq_impl(s);
	sqlite_write_gate *g = gate_of(ss);
	if (g == NULL) {
		snprintf(s->errmsg, sizeof s->errmsg, "data generation: out of memory");
		return STORE_ERROR;
	}
	/* data_version changes when another connection committed; this process's commits bumped
	 * the number already, another process's are seen here. */
	sqldb_stmt *st = sql_prepare(&ss->sql_base, "PRAGMA data_version");
	if (st == NULL)
		return STORE_ERROR;
	if (sqldb_step(st) != SQLDB_ROW) {
		sqldb_release(st);
		return sql_fail(&ss->sql_base, "data_version");
	}
	int64_t seen = sqldb_column_int64(st, 0);
	sqldb_release(st);
	if (seen != ss->data_version) {
		ss->data_version = seen;
		atomic_fetch_add(&g->generation, 1);
	}
	*generation_out = atomic_load(&g->generation);
	return STORE_OK;
}

static store_rc sq_schema_version(store *s, int *version_out)
{
	sqlite_store *ss = sq_impl(s);
	*version_out = 0;
	sqldb_stmt *st = sql_prepare(&ss->sql_base, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
	if (st == NULL)
		return STORE_ERROR;
	int exists = sqldb_step(st) == SQLDB_ROW && sqldb_column_int(st, 0) == 1;
	sqldb_release(st);
	if (!exists)
		return STORE_OK;
	st = sql_prepare(&ss->sql_base, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (st == NULL)
		return STORE_ERROR;
	if (sqldb_step(st) != SQLDB_ROW) {
		sqldb_release(st);
		return sql_fail(&ss->sql_base, "schema_version");
	}
	*version_out = sqldb_column_int(st, 0);
	sqldb_release(st);
	return STORE_OK;
}

/* STORE_OK when no row refers to a missing one (PRAGMA foreign_key_check is empty); else the
 * first offending table and row in errmsg. */
static store_rc foreign_keys_hold(sqlite_store *ss)
{
	sqldb_stmt *st = sql_prepare(&ss->sql_base, "PRAGMA foreign_key_check");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_rc rc = sqldb_step(st);
	if (rc == SQLDB_ROW) {
		snprintf(ss->sql_base.base.errmsg, sizeof ss->sql_base.base.errmsg,
		         "foreign key broken: %s row %lld refers to a missing %s", sqldb_column_text(st, 0),
		         (long long)sqldb_column_int64(st, 1), sqldb_column_text(st, 2));
		sqldb_release(st);
		return STORE_ERROR;
	}
	sqldb_release(st);
	return rc == SQLDB_DONE ? STORE_OK : sql_fail(&ss->sql_base, "foreign_key_check");
}

static store_rc sq_migrate(store *s, int *version_out)
{
	sqlite_store *ss = sq_impl(s);
	if (exec_simple(ss, SQLITE_SCHEMA_VERSION_TABLE) != STORE_OK)
		return STORE_ERROR;
	int current;
	if (sq_schema_version(s, &current) != STORE_OK)
		return STORE_ERROR;
	int newest = sqlite_migrations[sqlite_migrations_count - 1].version;
	if (current > newest) {
		snprintf(s->errmsg, sizeof s->errmsg,
		         "database schema version %d is newer than this program knows (%d); upgrade exosafe", current,
		         newest);
		return STORE_ERROR;
	}
	for (int i = 0; i < sqlite_migrations_count; i++) {
		const struct migration *m = &sqlite_migrations[i];
		if (m->version <= current)
			continue;
		/* A migration that rebuilds a table others refer to (SQLite cannot change a CHECK or
		 * UNIQUE in place) runs with foreign keys off, as SQLite's ALTER TABLE page prescribes:
		 * dropping the old table would otherwise check or cascade its references. They are
		 * checked whole before COMMIT instead. PRAGMA foreign_keys is a no-op inside a
		 * transaction, hence before BEGIN. legacy_alter_table keeps the RENAME of the new table
		 * to the old name from re-parsing the views and triggers that name the old table, which
		 * fail while it is gone ("error in view ...: no such table"); they name it by the same
		 * name again once the rename is done. */
		bool fk_off = strncmp(m->sql, MIGRATION_FOREIGN_KEYS_OFF, strlen(MIGRATION_FOREIGN_KEYS_OFF)) == 0;
		if (fk_off && exec_simple(ss, "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON") != STORE_OK)
			return STORE_ERROR;
		if (sq_begin(s) != STORE_OK) {
			if (fk_off)
				exec_simple(ss, "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF");
			return STORE_ERROR;
		}
		if (exec_simple(ss, m->sql) != STORE_OK || (fk_off && foreign_keys_hold(ss) != STORE_OK)) {
			char reason[sizeof s->errmsg];
			memcpy(reason, s->errmsg, sizeof reason);
			sq_rollback(s);
			if (fk_off)
				exec_simple(ss, "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF");
			snprintf(s->errmsg, sizeof s->errmsg, "migration %s failed: %.180s", m->name, reason);
			return STORE_ERROR;
		}
		sqldb_stmt *st = sql_prepare(&ss->sql_base, "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
		if (st == NULL) {
			sq_rollback(s);
			return STORE_ERROR;
		}
		sqldb_bind_int(st, 1, m->version);
		/* The one clock (clock.h), not SQLite's: a run with the clock moved sees its own time. */
		sqldb_bind_int64(st, 3, clock_now());
		sqldb_bind_text(st, 2, m->name);
		bool done = sql_step_done(&ss->sql_base, st, "record migration") == STORE_OK && sq_commit(s) == STORE_OK;
		if (!done)
			sq_rollback(s);
		if (fk_off && exec_simple(ss, "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF") != STORE_OK)
			return STORE_ERROR;
		if (!done)
			return STORE_ERROR;
	}
	return sq_schema_version(s, version_out);
}

static const store_methods sqlite_methods = {
	.backend_name = "sqlite",
	.close = sq_close,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.schema_check = sqlite_schema_check,
	.integrity_check = sqlite_integrity_check,
	.snapshot_to = sqlite_snapshot_to,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.data_generation = sq_data_generation,
	.ae_signal_pairs = sql_ae_signal_pairs,
	SQL_STORE_METHODS
};

/* The opened and configured connection wrapped for the store's queries (sqldb.h). */
/* json_valid for the store's connections, by jansson: migration 0017's view and triggers read
 * terms_json with it, and SQLite 3.40's own json_valid is not SQLITE_INNOCUOUS, so with
 * trusted_schema = OFF a trigger may not call it ("unsafe use of json_valid()"). This one is,
 * and takes the text as signal detection's reader always did (jansson: an integer beyond a long
 * long, or \u0000, is not valid). Other connections (sqlite3, tests) keep SQLite's, which the
 * view's other checks make agree on such text. */
static void terms_json_valid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	json_t *j = text ? json_loadb(text, (size_t)sqlite3_value_bytes(argv[0]), JSON_DECODE_ANY, NULL) : NULL;
	sqlite3_result_int(ctx, j != NULL);
	json_decref(j);
}

static store *wrap_opened(sqlite_store *ss, const char *path, char *err, size_t errlen)
{
	if (sqlite3_create_function(ss->db, "json_valid", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
	                            terms_json_valid, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(ss->db));
		sqlite3_close_v2(ss->db);
		free(ss);
		return NULL;
	}
	ss->sql_base.sql = sqldb_sqlite_wrap(ss->db);
	if (ss->sql_base.sql == NULL) {
		snprintf(err, errlen, "cannot open database %s: out of memory", path);
		sqlite3_close_v2(ss->db);
		free(ss);
		return NULL;
	}
	return &ss->sql_base.base;
}

store *store_sqlite_open(const char *path, char *err, size_t errlen)
{
	return store_sqlite_open_mode(path, STORE_OPEN_CREATE, err, errlen);
}

store *store_sqlite_open_mode(const char *path, store_open_mode mode, char *err, size_t errlen)
{
	/* Without SQLITE_OPEN_CREATE a missing file is SQLITE_CANTOPEN, like a folder without
	 * permission: say which. */
	struct stat st;
	if (mode != STORE_OPEN_CREATE && stat(path, &st) != 0 && errno == ENOENT) {
		snprintf(err, errlen, "cannot open database %s: it does not exist (nothing was created); make one with: exosafe init --db %s",
		         path, path);
		return NULL;
	}
	sqlite_store *ss = calloc(1, sizeof *ss);
	if (ss == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ss->sql_base.base.m = &sqlite_methods;
	ss->sql_base.ops = &sqlite_ops;
	if (mode == STORE_OPEN_READ_ONLY) {
		ss->db = sqlite_open_read_only(path, err, errlen);
		if (ss->db == NULL) {
			free(ss);
			return NULL;
		}
		sqlite3_busy_timeout(ss->db, 10000);
		sqlite3_extended_result_codes(ss->db, 0);
		if (exec_simple(ss, "PRAGMA query_only = ON; PRAGMA trusted_schema = OFF") != STORE_OK) {
			snprintf(err, errlen, "cannot configure database %s: %s", path, ss->sql_base.base.errmsg);
			sqlite3_close_v2(ss->db);
			free(ss);
			return NULL;
		}
		return wrap_opened(ss, path, err, errlen);
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (mode == STORE_OPEN_CREATE ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &ss->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path, ss->db ? sqlite3_errmsg(ss->db) : "out of memory");
		sqlite3_close_v2(ss->db);
		free(ss);
		return NULL;
	}
	sqlite3_busy_timeout(ss->db, 10000);
	sqlite3_extended_result_codes(ss->db, 0);
	static const char *const pragmas[] = {
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = FULL",
		"PRAGMA foreign_keys = ON",
		"PRAGMA trusted_schema = OFF",
	};
	for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
		if (exec_simple(ss, pragmas[i]) != STORE_OK) {
			snprintf(err, errlen, "cannot configure database %s: %s", path, ss->sql_base.base.errmsg);
			sqlite3_close_v2(ss->db);
			free(ss);
			return NULL;
		}
	}
	return wrap_opened(ss, path, err, errlen);
}
