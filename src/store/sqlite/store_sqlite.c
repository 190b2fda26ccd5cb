/* The SQLite implementation of the storage interface (src/store/store.h).
 *
 * One sqlite_store is one connection; the server keeps a pool of them, one per worker at a
 * time. Durability: WAL; a commit returns once the WAL is synced after it (synchronous=FULL,
 * or for connections that write, the group commit below), so a transaction that commit()
 * acknowledged survives kill -9 and power loss. Every statement is prepared with bound
 * parameters.
 *
 * Issue 18: the queries of this backend's files go through the SQL access layer
 * (src/store/sql/sqldb.h, portable SQL) and will serve PostgreSQL too. What stays raw sqlite3
 * here, SQLite-only by nature:
 *   - opening and configuring the connection (store_sqlite_open_mode: open flags, busy
 *     timeout, PRAGMA journal_mode / synchronous / foreign_keys / trusted_schema / query_only),
 *     closing it (sq_close);
 *   - transactions: the write gate (one writer per file, FIFO), BEGIN IMMEDIATE / COMMIT /
 *     ROLLBACK (exec_simple), the group commit (WAL sync, PRAGMA journal_mode probe in
 *     gate_of) and sql_step_done's autocommit gate (sqldb_sqlite_stmt_readonly);
 *   - data_generation (PRAGMA data_version), schema_version (sqlite_master), migrations (the
 *     SQLite DDL files, run through sqlite3_exec);
 *   - store_sqlite_schema.c: schema_check (a reference schema in memory, sqlite_master,
 *     pragma_table_info), integrity_check (PRAGMA integrity_check / foreign_key_check, run as
 *     sqldb statements but SQLite PRAGMAs), snapshot_to (the backup API), the read-only open;
 *   - login_failure_forget picks rowid (SQLite) or ctid (PostgreSQL) with sqldb_dialect_of. */
#include <errno.h>
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
			snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "commit: syncing the write-ahead log failed");
			return STORE_ERROR;
		}
	}
	pthread_mutex_unlock(&g->sync_lock);
	return STORE_OK;
}

void sqlite_group_commit_counts(store *s, bool *enabled, uint64_t *committed, uint64_t *durable, uint64_t *syncs)
{
	sqlite_store *ss = impl(s);
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

store_rc sql_fail(sqlite_store *ss, const char *what)
{
	snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "%s: %s", what, sqldb_errmsg(ss->sql));
	return STORE_ERROR;
}

sqldb_stmt *sql_prepare(sqlite_store *ss, const char *sql)
{
	sqldb_stmt *st = sqldb_prepare(ss->sql, sql);
	if (st == NULL)
		sql_fail(ss, "prepare");
	return st;
}

void sql_copy_text(char *dst, size_t dstlen, sqldb_stmt *st, int col)
{
	/* memcpy of the known length, not snprintf: a recall copies thirteen texts a row, and
	 * snprintf's formatting was a sixth of its time (bench/recall). */
	const char *t = sqldb_column_text(st, col);
	size_t n = t ? strlen(t) : 0;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, t ? t : "", n);
	dst[n] = '\0';
}

/* Runs a statement that writes: when id_out is set, an INSERT ... RETURNING id whose row is
 * read into *id_out. A write outside a transaction (autocommit) queues at the write gate like
 * a transaction does (SQLite only: its writers are serialised per file). */
static store_rc run_write(sqlite_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what)
{
	sqlite_write_gate *g = NULL;
	if (!ss->in_transaction && !sqldb_sqlite_stmt_readonly(st) && (g = gate_of(ss)) != NULL)
		gate_enter(g);
	sqldb_rc rc = sqldb_step(st);
	if (rc == SQLDB_ROW && id_out != NULL) {
		*id_out = sqldb_column_int64(st, 0);
		rc = sqldb_step(st);
	}
	if (rc == SQLDB_DONE)
		ss->changes = sqldb_changes(st);
	uint64_t ticket = 0;
	if (g != NULL) {
		if (rc == SQLDB_DONE && ss->group_commit)
			ticket = commit_ticket(g);
		atomic_fetch_add(&g->generation, 1);
		gate_leave(g);
	}
	store_rc out = STORE_OK;
	if (rc == SQLDB_CONSTRAINT) {
		snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "%s: %s", what, sqldb_errmsg(ss->sql));
		out = STORE_CONFLICT;
	} else if (rc != SQLDB_DONE) {
		out = sql_fail(ss, what);
	}
	sqldb_release(st);
	if (ticket != 0 && out == STORE_OK)
		out = wait_durable(ss, ticket);
	return out;
}

store_rc sql_step_done(sqlite_store *ss, sqldb_stmt *st, const char *what)
{
	return run_write(ss, st, NULL, what);
}

store_rc sql_step_one(sqlite_store *ss, sqldb_stmt *st, void (*read)(sqldb_stmt *st, void *out), void *out,
                      const char *what)
{
	sqldb_rc rc = sqldb_step(st);
	store_rc result = STORE_OK;
	if (rc == SQLDB_ROW)
		read(st, out);
	else if (rc == SQLDB_DONE)
		result = STORE_NOT_FOUND;
	else
		result = sql_fail(ss, what);
	sqldb_release(st);
	return result;
}

store_rc sql_insert(sqlite_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what)
{
	return run_write(ss, st, id_out, what);
}

store_rc sql_insert_new(sqlite_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what)
{
	int64_t id = 0;   /* ids start at 1: 0 means the statement returned no row */
	store_rc rc = run_write(ss, st, &id, what);
	if (rc == STORE_OK && id == 0) {
		snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "%s: already there", what);
		return STORE_CONFLICT;
	}
	if (rc == STORE_OK)
		*id_out = id;
	return rc;
}

store_rc sql_get_by_id(sqlite_store *ss, const char *sql, int64_t key, void (*read)(sqldb_stmt *st, void *out),
                          void *out, const char *what)
{
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, key);
	return sql_step_one(ss, st, read, out, what);
}

store_rc sql_get_by_text(sqlite_store *ss, const char *sql, const char *key,
                            void (*read)(sqldb_stmt *st, void *out), void *out, const char *what)
{
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, key);
	return sql_step_one(ss, st, read, out, what);
}

store_rc sql_list(sqlite_store *ss, const char *sql, int64_t key, void (*read)(sqldb_stmt *st, void *row),
                     void *row, int (*fn)(void *ctx, const void *row), void *ctx, const char *what)
{
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, key);  /* ignored by a statement without parameters */
	return sql_each_row(ss, st, read, row, fn, ctx, what);
}

store_rc sql_each_row(sqlite_store *ss, sqldb_stmt *st, void (*read)(sqldb_stmt *st, void *row), void *row,
                         int (*fn)(void *ctx, const void *row), void *ctx, const char *what)
{
	sqldb_rc rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read(st, row);
		if (fn(ctx, row) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, what);
	sqldb_release(st);
	return out;
}

static store_rc exec_simple(sqlite_store *ss, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(ss->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "%s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		return STORE_ERROR;
	}
	return STORE_OK;
}

static void sq_close(store *s)
{
	sqlite_store *ss = impl(s);
	if (ss->in_transaction) {
		sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
		gate_leave(ss->gate);
	}
	sqldb_close(ss->sql);
	sqlite3_close_v2(ss->db);
	free(ss);
}

static store_rc sq_begin(store *s)
{
	sqlite_store *ss = impl(s);
	if (ss->in_transaction) {
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
		ss->in_transaction = 1;
	else
		gate_leave(g);
	return rc;
}

static store_rc sq_commit(store *s)
{
	sqlite_store *ss = impl(s);
	if (!ss->in_transaction) {
		snprintf(s->errmsg, sizeof s->errmsg, "commit: no transaction is open");
		return STORE_ERROR;
	}
	store_rc rc = exec_simple(ss, "COMMIT");
	if (rc != STORE_OK) {
		sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
	}
	ss->in_transaction = 0;
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
	sqlite_store *ss = impl(s);
	if (ss->in_transaction) {
		sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
		gate_leave(ss->gate);
	}
	ss->in_transaction = 0;
}

static store_rc sq_data_generation(store *s, uint64_t *generation_out)
{
	sqlite_store *ss = impl(s);
	sqlite_write_gate *g = gate_of(ss);
	if (g == NULL) {
		snprintf(s->errmsg, sizeof s->errmsg, "data generation: out of memory");
		return STORE_ERROR;
	}
	/* data_version changes when another connection committed; this process's commits bumped
	 * the number already, another process's are seen here. */
	sqldb_stmt *st = sql_prepare(ss, "PRAGMA data_version");
	if (st == NULL)
		return STORE_ERROR;
	if (sqldb_step(st) != SQLDB_ROW) {
		sqldb_release(st);
		return sql_fail(ss, "data_version");
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
	sqlite_store *ss = impl(s);
	*version_out = 0;
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
	if (st == NULL)
		return STORE_ERROR;
	int exists = sqldb_step(st) == SQLDB_ROW && sqldb_column_int(st, 0) == 1;
	sqldb_release(st);
	if (!exists)
		return STORE_OK;
	st = sql_prepare(ss, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (st == NULL)
		return STORE_ERROR;
	if (sqldb_step(st) != SQLDB_ROW) {
		sqldb_release(st);
		return sql_fail(ss, "schema_version");
	}
	*version_out = sqldb_column_int(st, 0);
	sqldb_release(st);
	return STORE_OK;
}

static store_rc sq_migrate(store *s, int *version_out)
{
	sqlite_store *ss = impl(s);
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
		if (sq_begin(s) != STORE_OK)
			return STORE_ERROR;
		if (exec_simple(ss, m->sql) != STORE_OK) {
			char reason[sizeof s->errmsg];
			memcpy(reason, s->errmsg, sizeof reason);
			sq_rollback(s);
			snprintf(s->errmsg, sizeof s->errmsg, "migration %s failed: %.180s", m->name, reason);
			return STORE_ERROR;
		}
		sqldb_stmt *st = sql_prepare(ss, "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
		if (st == NULL) {
			sq_rollback(s);
			return STORE_ERROR;
		}
		sqldb_bind_int(st, 1, m->version);
		/* The one clock (clock.h), not SQLite's: a run with the clock moved sees its own time. */
		sqldb_bind_int64(st, 3, clock_now());
		sqldb_bind_text(st, 2, m->name);
		if (sql_step_done(ss, st, "record migration") != STORE_OK || sq_commit(s) != STORE_OK) {
			sq_rollback(s);
			return STORE_ERROR;
		}
	}
	return sq_schema_version(s, version_out);
}

static void read_user(sqldb_stmt *st, user_record *u)
{
	u->id = sqldb_column_int64(st, 0);
	sql_copy_text(u->email, sizeof u->email, st, 1);
	sql_copy_text(u->name, sizeof u->name, st, 2);
	u->role = role_from_name((const char *)sqldb_column_text(st, 3));
	sql_copy_text(u->password_hash, sizeof u->password_hash, st, 4);
	u->created_at = sqldb_column_int64(st, 5);
	sql_copy_text(u->lang, sizeof u->lang, st, 6);
	u->password_reset_required = sqldb_column_int(st, 7) != 0;
	u->deactivated_at = sqldb_column_int64(st, 8);
}

#define USER_COLUMNS "id, email, name, role, password_hash, created_at, lang, password_reset_required, coalesce(deactivated_at, 0)"

static store_rc sq_user_insert(store *s, user_record *u)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO users (email, name, role, password_hash, created_at, lang) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, u->email);
	sqldb_bind_text(st, 2, u->name);
	sqldb_bind_text(st, 3, role_name(u->role));
	sqldb_bind_text(st, 4, u->password_hash);
	sqldb_bind_int64(st, 5, u->created_at);
	sqldb_bind_text(st, 6, u->lang[0] ? u->lang : "ja");
	return sql_insert(ss, st, &u->id, "insert user");
}

static store_rc user_query_one(sqlite_store *ss, sqldb_stmt *st, user_record *out)
{
	int rc = sqldb_step(st);
	store_rc result = STORE_OK;
	if (rc == SQLDB_ROW)
		read_user(st, out);
	else if (rc == SQLDB_DONE)
		result = STORE_NOT_FOUND;
	else
		result = sql_fail(ss, "read user");
	sqldb_release(st);
	return result;
}

static store_rc sq_user_by_email(store *s, const char *email, user_record *out)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " USER_COLUMNS " FROM users WHERE email = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, email);
	return user_query_one(ss, st, out);
}

static store_rc sq_user_by_id(store *s, int64_t id, user_record *out)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " USER_COLUMNS " FROM users WHERE id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	return user_query_one(ss, st, out);
}

static store_rc sq_user_count(store *s, int64_t *count_out)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(*) FROM users");
	if (st == NULL)
		return STORE_ERROR;
	store_rc rc = STORE_OK;
	if (sqldb_step(st) == SQLDB_ROW)
		*count_out = sqldb_column_int64(st, 0);
	else
		rc = sql_fail(ss, "count users");
	sqldb_release(st);
	return rc;
}

static store_rc sq_user_list(store *s, store_user_fn fn, void *ctx)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " USER_COLUMNS " FROM users ORDER BY id");
	if (st == NULL)
		return STORE_ERROR;
	int rc;
	user_record u;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_user(st, &u);
		if (fn(ctx, &u) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "list users");
	sqldb_release(st);
	return out;
}

static void read_user_row(sqldb_stmt *st, void *row)
{
	read_user(st, row);
}

static store_rc sq_user_search(store *s, const list_filter *f, unsigned roles, store_user_fn fn, void *ctx,
                               int64_t *total_out)
{
	sqlite_store *ss = impl(s);
	/* One WHERE for the count and the page, the staff lists' search (SQL_PATIENT_MATCH: name
	 * without spaces, a patient's kana, the user id) plus the e-mail, which only accounts have;
	 * the state is named as the list's status. Each condition is off when its parameter is NULL
	 * or 0. SQL_CONTAINS ignores ASCII case, so "DOCTOR@" finds the stored lower-case address. */
	static const char where[] =
		" FROM users u LEFT JOIN patient_profiles pp ON pp.user_id = u.id"
		" WHERE (" SQL_PATIENT_MATCH("u", "pp", "u.id") " OR " SQL_CONTAINS("u.email", "?91") ")"
		" AND (CAST(?1 AS BIGINT) = 0 OR (?1 & CASE u.role WHEN 'patient' THEN ?2 WHEN 'doctor' THEN ?3 WHEN 'pharmacist' THEN ?4"
		" WHEN 'admin' THEN ?5 ELSE 0 END) != 0)"
		" AND " SQL_STATUS_MATCH("CASE WHEN u.deactivated_at IS NULL THEN 'active' ELSE 'deactivated' END");
	char count_sql[sizeof where + 32], page_sql[sizeof where + sizeof USER_COLUMNS + 64];
	snprintf(count_sql, sizeof count_sql, "SELECT count(*)%s", where);
	snprintf(page_sql, sizeof page_sql, "SELECT " USER_COLUMNS "%s ORDER BY u.id" SQL_PAGE, where);
	sqldb_stmt *sts[2] = {sql_prepare(ss, count_sql), sql_prepare(ss, page_sql)};
	if (sts[0] == NULL || sts[1] == NULL) {
		sqldb_release(sts[0]);
		sqldb_release(sts[1]);
		return STORE_ERROR;
	}
	for (int i = 0; i < 2; i++) {
		sql_bind_filter(sts[i], f);
		sqldb_bind_int64(sts[i], 1, roles);
		sqldb_bind_int64(sts[i], 2, ROLE_PATIENT);
		sqldb_bind_int64(sts[i], 3, ROLE_DOCTOR);
		sqldb_bind_int64(sts[i], 4, ROLE_PHARMACIST);
		sqldb_bind_int64(sts[i], 5, ROLE_ADMIN);
	}
	store_rc rc = sql_count(ss, sts[0], total_out, "count users");
	if (rc != STORE_OK) {
		sqldb_release(sts[1]);
		return rc;
	}
	user_record u;
	return sql_each_row(ss, sts[1], read_user_row, &u, (int (*)(void *, const void *))fn, ctx, "search users");
}

static store_rc sq_user_update(store *s, const user_record *u)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE users SET email = ?, name = ?, role = ?, lang = ?, password_reset_required = ?,"
	                                      " deactivated_at = nullif(CAST(? AS BIGINT), 0) WHERE id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, u->email);
	sqldb_bind_text(st, 2, u->name);
	sqldb_bind_text(st, 3, role_name(u->role));
	sqldb_bind_text(st, 4, u->lang[0] ? u->lang : "ja");
	sqldb_bind_int(st, 5, u->password_reset_required ? 1 : 0);
	sqldb_bind_int64(st, 6, u->deactivated_at);
	sqldb_bind_int64(st, 7, u->id);
	store_rc rc = sql_step_done(ss, st, "update user");
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

static store_rc count_one(sqlite_store *ss, const char *sql, int64_t bind, int64_t *count_out, const char *what)
{
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	if (bind != 0)
		sqldb_bind_int64(st, 1, bind);
	return sql_count(ss, st, count_out, what);
}

static store_rc sq_user_count_active_admins(store *s, int64_t *count_out)
{
	return count_one(impl(s), "SELECT count(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL", 0, count_out,
	                 "count admins");
}

static store_rc sq_profile_update(store *s, const patient_profile *p)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE patient_profiles SET name_kana = ?, birth_date = ?, sex = ?, phone = ?,"
	                                      " postal_code = ?, address = ? WHERE user_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, p->name_kana);
	sqldb_bind_text(st, 2, p->birth_date);
	sqldb_bind_text(st, 3, p->sex);
	sqldb_bind_text(st, 4, p->phone);
	sqldb_bind_text(st, 5, p->postal_code);
	sqldb_bind_text(st, 6, p->address);
	sqldb_bind_int64(st, 7, p->user_id);
	store_rc rc = sql_step_done(ss, st, "update patient profile");
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

static store_rc sq_profile_insert(store *s, const patient_profile *p)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO patient_profiles (user_id, name_kana, birth_date, sex, phone, postal_code, address)"
	                               " VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, p->user_id);
	sqldb_bind_text(st, 2, p->name_kana);
	sqldb_bind_text(st, 3, p->birth_date);
	sqldb_bind_text(st, 4, p->sex);
	sqldb_bind_text(st, 5, p->phone);
	sqldb_bind_text(st, 6, p->postal_code);
	sqldb_bind_text(st, 7, p->address);
	return sql_step_done(ss, st, "insert patient profile");
}

static store_rc sq_profile_get(store *s, int64_t user_id, patient_profile *out)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT user_id, name_kana, birth_date, sex, phone, postal_code, address"
	                               " FROM patient_profiles WHERE user_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, user_id);
	int rc = sqldb_step(st);
	store_rc result = STORE_OK;
	if (rc == SQLDB_ROW) {
		out->user_id = sqldb_column_int64(st, 0);
		sql_copy_text(out->name_kana, sizeof out->name_kana, st, 1);
		sql_copy_text(out->birth_date, sizeof out->birth_date, st, 2);
		sql_copy_text(out->sex, sizeof out->sex, st, 3);
		sql_copy_text(out->phone, sizeof out->phone, st, 4);
		sql_copy_text(out->postal_code, sizeof out->postal_code, st, 5);
		sql_copy_text(out->address, sizeof out->address, st, 6);
	} else if (rc == SQLDB_DONE) {
		result = STORE_NOT_FOUND;
	} else {
		result = sql_fail(ss, "read patient profile");
	}
	sqldb_release(st);
	return result;
}

static store_rc sq_session_insert(store *s, const session_record *r)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)"
	                               " VALUES (?, ?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, r->token_hash);
	sqldb_bind_int64(st, 2, r->user_id);
	sqldb_bind_text(st, 3, r->csrf_token);
	sqldb_bind_int64(st, 4, r->created_at);
	sqldb_bind_int64(st, 5, r->last_seen_at);
	return sql_step_done(ss, st, "insert session");
}

static store_rc sq_session_get(store *s, const char *token_hash, session_record *out)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT token_hash, user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE token_hash = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, token_hash);
	int rc = sqldb_step(st);
	store_rc result = STORE_OK;
	if (rc == SQLDB_ROW) {
		sql_copy_text(out->token_hash, sizeof out->token_hash, st, 0);
		out->user_id = sqldb_column_int64(st, 1);
		sql_copy_text(out->csrf_token, sizeof out->csrf_token, st, 2);
		out->created_at = sqldb_column_int64(st, 3);
		out->last_seen_at = sqldb_column_int64(st, 4);
	} else if (rc == SQLDB_DONE) {
		result = STORE_NOT_FOUND;
	} else {
		result = sql_fail(ss, "read session");
	}
	sqldb_release(st);
	return result;
}

static store_rc sq_session_touch(store *s, const char *token_hash, int64_t now)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, token_hash);
	return sql_step_done(ss, st, "touch session");
}

static store_rc sq_session_delete(store *s, const char *token_hash)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM sessions WHERE token_hash = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, token_hash);
	return sql_step_done(ss, st, "delete session");
}

static store_rc sq_session_delete_user(store *s, int64_t user_id, int64_t *count_out)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM sessions WHERE user_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, user_id);
	store_rc rc = sql_step_done(ss, st, "delete user sessions");
	if (rc == STORE_OK)
		*count_out = ss->changes;
	return rc;
}

static store_rc sq_session_purge(store *s, int64_t idle_cutoff, int64_t absolute_cutoff)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, idle_cutoff);
	sqldb_bind_int64(st, 2, absolute_cutoff);
	return sql_step_done(ss, st, "purge sessions");
}

static store_rc sq_login_failure_add(store *s, const char *subject, int64_t at)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO login_failures (subject, at) VALUES (?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, subject);
	sqldb_bind_int64(st, 2, at);
	return sql_step_done(ss, st, "record login failure");
}

static store_rc sq_login_failure_count(store *s, const char *subject, int64_t since, int64_t *count_out)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(*) FROM login_failures WHERE subject = ? AND at >= ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, subject);
	sqldb_bind_int64(st, 2, since);
	store_rc rc = STORE_OK;
	if (sqldb_step(st) == SQLDB_ROW)
		*count_out = sqldb_column_int64(st, 0);
	else
		rc = sql_fail(ss, "count login failures");
	sqldb_release(st);
	return rc;
}

static store_rc sq_login_failure_clear(store *s, const char *subject)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM login_failures WHERE subject = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, subject);
	return sql_step_done(ss, st, "clear login failures");
}

static store_rc sq_login_failure_purge(store *s, int64_t before)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM login_failures WHERE at < ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, before);
	return sql_step_done(ss, st, "purge login failures");
}

static store_rc sq_login_failure_forget(store *s, const char *subject, int64_t at)
{
	sqlite_store *ss = impl(s);
	/* One row of a table without a key: by SQLite's rowid, or PostgreSQL's ctid (the one
	 * statement that cannot be written for both). */
	sqldb_stmt *st = sql_prepare(ss, sqldb_dialect_of(ss->sql) == SQLDB_POSTGRES
	                                     ? "DELETE FROM login_failures WHERE ctid = "
	                                       "(SELECT ctid FROM login_failures WHERE subject = ? AND at = ? LIMIT 1)"
	                                     : "DELETE FROM login_failures WHERE rowid = "
	                                       "(SELECT rowid FROM login_failures WHERE subject = ? AND at = ? LIMIT 1)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, subject);
	sqldb_bind_int64(st, 2, at);
	return sql_step_done(ss, st, "forget login failure");
}

static store_rc sq_login_device_add(store *s, const char *token_hash, int64_t user_id, int64_t at)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO login_devices (token_hash, user_id, created_at) VALUES (?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, token_hash);
	sqldb_bind_int64(st, 2, user_id);
	sqldb_bind_int64(st, 3, at);
	return sql_step_done(ss, st, "remember login device");
}

static store_rc sq_login_device_user(store *s, const char *token_hash, int64_t *user_id_out)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT user_id FROM login_devices WHERE token_hash = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, token_hash);
	store_rc rc = STORE_NOT_FOUND;
	int step = sqldb_step(st);
	if (step == SQLDB_ROW) {
		*user_id_out = sqldb_column_int64(st, 0);
		rc = STORE_OK;
	} else if (step != SQLDB_DONE) {
		rc = sql_fail(ss, "read login device");
	}
	sqldb_release(st);
	return rc;
}

static store_rc sq_login_device_purge(store *s, int64_t before)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM login_devices WHERE created_at < ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, before);
	return sql_step_done(ss, st, "purge login devices");
}

static store_rc sq_audit_append(store *s, audit_row *e)
{
	sqlite_store *ss = impl(s);
	if (!ss->in_transaction) {
		snprintf(s->errmsg, sizeof s->errmsg, "audit_append outside a transaction");
		return STORE_ERROR;
	}
	sqldb_stmt *st = sql_prepare(ss, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
	if (st == NULL)
		return STORE_ERROR;
	int rc = sqldb_step(st);
	if (rc == SQLDB_ROW) {
		e->id = sqldb_column_int64(st, 0) + 1;
		sql_copy_text(e->prev_hash, sizeof e->prev_hash, st, 1);
	} else if (rc == SQLDB_DONE) {
		e->id = 1;
		snprintf(e->prev_hash, sizeof e->prev_hash, "%s", AUDIT_GENESIS_HASH);
	} else {
		sqldb_release(st);
		return sql_fail(ss, "read audit head");
	}
	sqldb_release(st);
	if (audit_chain_hash(e, e->hash) != 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "audit hash failed");
		return STORE_ERROR;
	}
	st = sql_prepare(ss, "INSERT INTO audit_log (id, at, actor_id, actor_role, action, object, detail, prev_hash, hash)"
	                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, e->id);
	sqldb_bind_int64(st, 2, e->at);
	sqldb_bind_int64(st, 3, e->actor_id);
	sqldb_bind_text(st, 4, e->actor_role);
	sqldb_bind_text(st, 5, e->action);
	sqldb_bind_text(st, 6, e->object);
	sqldb_bind_text(st, 7, e->detail);
	sqldb_bind_text(st, 8, e->prev_hash);
	sqldb_bind_text(st, 9, e->hash);
	return sql_step_done(ss, st, "append audit row");
}

static void read_audit(sqldb_stmt *st, audit_row *r)
{
	r->id = sqldb_column_int64(st, 0);
	r->at = sqldb_column_int64(st, 1);
	r->actor_id = sqldb_column_int64(st, 2);
	sql_copy_text(r->actor_role, sizeof r->actor_role, st, 3);
	sql_copy_text(r->action, sizeof r->action, st, 4);
	sql_copy_text(r->object, sizeof r->object, st, 5);
	sql_copy_text(r->detail, sizeof r->detail, st, 6);
	sql_copy_text(r->prev_hash, sizeof r->prev_hash, st, 7);
	sql_copy_text(r->hash, sizeof r->hash, st, 8);
}

static store_rc audit_rows(sqlite_store *ss, sqldb_stmt *st, store_audit_fn fn, void *ctx)
{
	int rc;
	audit_row r;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_audit(st, &r);
		if (fn(ctx, &r) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "read audit log");
	sqldb_release(st);
	return out;
}

#define AUDIT_COLUMNS "id, at, actor_id, actor_role, action, object, detail, prev_hash, hash"

static store_rc sq_audit_recent(store *s, int limit, store_audit_fn fn, void *ctx)
{
	sqlite_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " AUDIT_COLUMNS " FROM audit_log ORDER BY id DESC LIMIT ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int(st, 1, limit);
	return audit_rows(ss, st, fn, ctx);
}

static store_rc sq_audit_each(store *s, store_audit_fn fn, void *ctx)
{
	sqlite_store *ss = impl(s);
	/* Physical (rowid) order is the order rows were appended; ORDER BY id is the same here. */
	sqldb_stmt *st = sql_prepare(ss, "SELECT " AUDIT_COLUMNS " FROM audit_log ORDER BY id");
	if (st == NULL)
		return STORE_ERROR;
	return audit_rows(ss, st, fn, ctx);
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
	.user_insert = sq_user_insert,
	.user_by_email = sq_user_by_email,
	.user_by_id = sq_user_by_id,
	.user_count = sq_user_count,
	.user_list = sq_user_list,
	.user_search = sq_user_search,
	.user_update = sq_user_update,
	.user_count_active_admins = sq_user_count_active_admins,
	.profile_insert = sq_profile_insert,
	.profile_get = sq_profile_get,
	.profile_update = sq_profile_update,
	.session_insert = sq_session_insert,
	.session_get = sq_session_get,
	.session_touch = sq_session_touch,
	.session_delete = sq_session_delete,
	.session_delete_user = sq_session_delete_user,
	.session_purge = sq_session_purge,
	.login_failure_add = sq_login_failure_add,
	.login_failure_count = sq_login_failure_count,
	.login_failure_clear = sq_login_failure_clear,
	.login_failure_purge = sq_login_failure_purge,
	.login_failure_forget = sq_login_failure_forget,
	.login_device_add = sq_login_device_add,
	.login_device_user = sq_login_device_user,
	.login_device_purge = sq_login_device_purge,
	.audit_append = sq_audit_append,
	.audit_recent = sq_audit_recent,
	.audit_search = sqlite_audit_search,
	.audit_count = sqlite_audit_count,
	.audit_people = sqlite_audit_people,
	.audit_each = sq_audit_each,
	.slot_insert = sqlite_slot_insert,
	.slot_get = sqlite_slot_get,
	.slot_delete = sqlite_slot_delete,
	.slot_list = sqlite_slot_list,
	.booking_insert = sqlite_booking_insert,
	.booking_get = sqlite_booking_get,
	.booking_cancel = sqlite_booking_cancel,
	.booking_list = sqlite_booking_list,
	.response_insert = sqlite_response_insert,
	.response_get = sqlite_response_get,
	.response_latest = sqlite_response_latest,
	.response_list = sqlite_response_list,
	.consent_insert = sqlite_consent_insert,
	.consent_latest = sqlite_consent_latest,
	.consent_withdraw = sqlite_consent_withdraw,
	.consent_list = sqlite_consent_list,
	.decision_insert = sqlite_decision_insert,
	.decision_for_response = sqlite_decision_for_response,
	.decision_latest = sqlite_decision_latest,
	.call_insert = sqlite_call_insert,
	.call_latest_held = sqlite_call_latest_held,
	.call_list = sqlite_call_list,
	.review_queue = sqlite_review_queue,
	.product_insert = sqlite_product_insert,
	.product_get = sqlite_product_get,
	.product_list = sqlite_product_list,
	.lot_insert = sqlite_lot_insert,
	.lot_get = sqlite_lot_get,
	.lot_find_number = sqlite_lot_find_number,
	.lot_list = sqlite_lot_list,
	.lot_set_status = sqlite_lot_set_status,
	.lot_transition_insert = sqlite_lot_transition_insert,
	.lot_transitions = sqlite_lot_transitions,
	.lot_dispensable = sqlite_lot_dispensable,
	.lot_take_stock = sqlite_lot_take_stock,
	.lot_expired_released = sqlite_lot_expired_released,
	.lot_test_insert = sqlite_lot_test_insert,
	.lot_tests = sqlite_lot_tests,
	.certificate_insert = sqlite_certificate_insert,
	.certificate_get = sqlite_certificate_get,
	.certificates_of_lot = sqlite_certificates_of_lot,
	.order_insert = sqlite_order_insert,
	.order_get = sqlite_order_get,
	.order_list = sqlite_order_list,
	.order_search = sqlite_order_search,
	.order_status_counts = sqlite_order_status_counts,
	.order_quantity_for_decision = sqlite_order_quantity_for_decision,
	.order_set_status = sqlite_order_set_status,
	.order_record_payment = sqlite_order_record_payment,
	.dispense_insert = sqlite_dispense_insert,
	.dispenses_of_order = sqlite_dispenses_of_order,
	.shipment_insert = sqlite_shipment_insert,
	.shipment_of_order = sqlite_shipment_of_order,
	.shipment_delivered = sqlite_shipment_delivered,
	.recall_recipients = sqlite_recall_recipients,
	.certificate_uses = sqlite_certificate_uses,
	.recall_track_open = sqlite_recall_track_open,
	.recall_track_get = sqlite_recall_track_get,
	.recall_track_update = sqlite_recall_track_update,
	.recall_tracks_of_patient = sqlite_recall_tracks_of_patient,
	.unit_insert = sqlite_unit_insert,
	.unit_get = sqlite_unit_get,
	.unit_list = sqlite_unit_list,
	.logger_insert = sqlite_logger_insert,
	.logger_get = sqlite_logger_get,
	.logger_by_code = sqlite_logger_by_code,
	.logger_list = sqlite_logger_list,
	.logger_set_key = sqlite_logger_set_key,
	.lot_place = sqlite_lot_place,
	.exposures_of_logger = sqlite_exposures_of_logger,
	.exposures_of_lot = sqlite_exposures_of_lot,
	.reading_put = sqlite_reading_put,
	.readings_range = sqlite_readings_range,
	.reading_import_insert = sqlite_reading_import_insert,
	.alert_insert = sqlite_alert_insert,
	.alert_get = sqlite_alert_get,
	.alert_list = sqlite_alert_list,
	.alert_dispose = sqlite_alert_dispose,
	.silence_open = sqlite_silence_open,
	.silence_recover = sqlite_silence_recover,
	.silence_list = sqlite_silence_list,
	.ae_report_insert = sqlite_ae_report_insert,
	.ae_report_get = sqlite_ae_report_get,
	.ae_report_set_photo = sqlite_ae_report_set_photo,
	.ae_report_photo = sqlite_ae_report_photo,
	.ae_report_list = sqlite_ae_report_list,
	.ae_report_search = sqlite_ae_report_search,
	.ae_assessment_insert = sqlite_ae_assessment_insert,
	.ae_assessment_latest = sqlite_ae_assessment_latest,
	.ae_assessment_list = sqlite_ae_assessment_list,
	.ae_lot_stats = sqlite_ae_lot_stats,
	.ae_lot_alert_insert = sqlite_ae_lot_alert_insert,
	.ae_lot_alert_list = sqlite_ae_lot_alert_list,
	.ae_signal_pairs = sqlite_ae_signal_pairs,
	.mail_insert = sqlite_mail_insert,
	.mail_get = sqlite_mail_get,
	.mail_due = sqlite_mail_due,
	.mail_mark_sent = sqlite_mail_mark_sent,
	.mail_mark_attempt = sqlite_mail_mark_attempt,
	.mail_cancel = sqlite_mail_cancel,
	.mail_list = sqlite_mail_list,
	.mail_count = sqlite_mail_count,
	.reset_token_insert = sqlite_reset_token_insert,
	.reset_token_get = sqlite_reset_token_get,
	.reset_token_use = sqlite_reset_token_use,
	.reset_tokens_void_user = sqlite_reset_tokens_void_user,
	.reset_token_count = sqlite_reset_token_count,
	.consent_outdated = sqlite_consent_outdated,
	.user_set_password = sqlite_user_set_password,
	.clinic_get = sqlite_clinic_get,
	.clinic_put = sqlite_clinic_put,
	.followup_plan_get = sqlite_followup_plan_get,
	.followup_plan_put = sqlite_followup_plan_put,
	.followup_deliveries = sqlite_followup_deliveries,
	.checkin_slot_taken = sqlite_checkin_slot_taken,
	.checkin_insert = sqlite_checkin_insert,
	.checkins_close_open = sqlite_checkins_close_open,
	.checkins_expire = sqlite_checkins_expire,
	.checkin_get = sqlite_checkin_get,
	.checkin_by_token = sqlite_checkin_by_token,
	.checkins_of_patient = sqlite_checkins_of_patient,
	.checkin_symptoms = sqlite_checkin_symptoms,
	.checkin_lots = sqlite_checkin_lots,
	.checkin_answer = sqlite_checkin_answer,
	.checkin_symptom_insert = sqlite_checkin_symptom_insert,
	.checkin_mark_mailed = sqlite_checkin_mark_mailed,
	.checkin_mark_reminded = sqlite_checkin_mark_reminded,
	.checkins_to_remind = sqlite_checkins_to_remind,
	.checkins_nonresponders = sqlite_checkins_nonresponders,
	.followup_call_insert = sqlite_followup_call_insert,
	.followup_withdrawal_get = sqlite_followup_withdrawal_get,
	.followup_withdrawal_put = sqlite_followup_withdrawal_put,
	.followup_withdrawal_delete = sqlite_followup_withdrawal_delete,
	.followup_answers = sqlite_followup_answers,
	.followup_exposures = sqlite_followup_exposures,
};

/* The opened and configured connection wrapped for the store's queries (sqldb.h). */
static store *wrap_opened(sqlite_store *ss, const char *path, char *err, size_t errlen)
{
	ss->sql = sqldb_sqlite_wrap(ss->db);
	if (ss->sql == NULL) {
		snprintf(err, errlen, "cannot open database %s: out of memory", path);
		sqlite3_close_v2(ss->db);
		free(ss);
		return NULL;
	}
	return &ss->base;
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
	ss->base.m = &sqlite_methods;
	if (mode == STORE_OPEN_READ_ONLY) {
		ss->db = sqlite_open_read_only(path, err, errlen);
		if (ss->db == NULL) {
			free(ss);
			return NULL;
		}
		sqlite3_busy_timeout(ss->db, 10000);
		sqlite3_extended_result_codes(ss->db, 0);
		if (exec_simple(ss, "PRAGMA query_only = ON; PRAGMA trusted_schema = OFF") != STORE_OK) {
			snprintf(err, errlen, "cannot configure database %s: %s", path, ss->base.errmsg);
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
			snprintf(err, errlen, "cannot configure database %s: %s", path, ss->base.errmsg);
			sqlite3_close_v2(ss->db);
			free(ss);
			return NULL;
		}
	}
	return wrap_opened(ss, path, err, errlen);
}
