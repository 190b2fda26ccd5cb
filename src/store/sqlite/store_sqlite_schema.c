/* The SQLite backend's schema check, integrity check, snapshot (online backup) and the
 * opening and installing of database files (src/store/store.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/migration.h"
#include "store/store.h"

#include "store/sqlite/sqlite_internal.h"

/* A private in-memory database with migrations 1..version applied: what a database at that
 * version must contain. NULL (reason in err) on failure. */
static sqlite3 *reference_schema(int version, char *err, size_t errlen)
{
	sqlite3 *ref = NULL;
	if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "reference schema: out of memory");
		sqlite3_close_v2(ref);
		return NULL;
	}
	char *msg = NULL;
	int rc = sqlite3_exec(ref, SQLITE_SCHEMA_VERSION_TABLE, NULL, NULL, &msg);
	/* As the runner applies them (store_sqlite.c sq_migrate); a fresh connection has foreign
	 * keys off already. */
	for (int i = 0; rc == SQLITE_OK && i < sqlite_migrations_count && sqlite_migrations[i].version <= version; i++) {
		const char *sql = sqlite_migrations[i].sql;
		bool rebuilds = strncmp(sql, MIGRATION_FOREIGN_KEYS_OFF, strlen(MIGRATION_FOREIGN_KEYS_OFF)) == 0;
		if (rebuilds)
			rc = sqlite3_exec(ref, "PRAGMA legacy_alter_table = ON", NULL, NULL, &msg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(ref, sql, NULL, NULL, &msg);
		if (rc == SQLITE_OK && rebuilds)
			rc = sqlite3_exec(ref, "PRAGMA legacy_alter_table = OFF", NULL, NULL, &msg);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "reference schema: %s", msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close_v2(ref);
		return NULL;
	}
	return ref;
}

/* 1 when the database has an object of that type and name, 0 when not, -1 on error. */
static int has_object(sqlite3 *db, const char *type, const char *name)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Notes each column of the reference's table that the database's table lacks. */
static int compare_columns(sqlite3 *db, sqlite3 *ref, const char *table, store_schema_status *out)
{
	sqlite3_stmt *want = NULL, *have = NULL;
	int rc = SQLITE_OK;
	if (sqlite3_prepare_v2(ref, "SELECT name FROM pragma_table_info(?1)", -1, &want, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &have, NULL) != SQLITE_OK) {
		sqlite3_finalize(want);
		return -1;
	}
	sqlite3_bind_text(want, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(have, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(want)) == SQLITE_ROW) {
		const char *column = (const char *)sqlite3_column_text(want, 0);
		sqlite3_bind_text(have, 2, column, -1, SQLITE_TRANSIENT);
		int found = sqlite3_step(have);
		sqlite3_reset(have);
		if (found == SQLITE_DONE) {
			char name[160];
			snprintf(name, sizeof name, "%s.%s", table, column);
			store_schema_note_missing(out, "column", name);
		} else if (found != SQLITE_ROW) {
			rc = found;
			break;
		}
	}
	sqlite3_finalize(want);
	sqlite3_finalize(have);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Notes every object (and table column) of the reference that the database lacks. */
static int compare_schema(sqlite3 *db, sqlite3 *ref, store_schema_status *out)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(ref, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	                            " ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		int found = has_object(db, type, name);
		if (found < 0)
			break;
		if (found == 0)
			store_schema_note_missing(out, type, name);
		else if (strcmp(type, "table") == 0 && compare_columns(db, ref, name, out) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_reference_each(int version, int (*fn)(void *ctx, const char *type, const char *name), void *ctx,
                          char *err, size_t errlen)
{
	sqlite3 *ref = reference_schema(version, err, errlen);
	if (ref == NULL)
		return -1;
	sqlite3_stmt *st = NULL, *cols = NULL;
	if (sqlite3_prepare_v2(ref, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	                            " ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ref, "SELECT name FROM pragma_table_info(?1)", -1, &cols, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reference schema: %s", sqlite3_errmsg(ref));
		sqlite3_finalize(st);
		sqlite3_close_v2(ref);
		return -1;
	}
	int rc, stop = 0;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		stop = fn(ctx, type, name);
		if (stop != 0 || strcmp(type, "table") != 0)
			continue;
		sqlite3_bind_text(cols, 1, name, -1, SQLITE_TRANSIENT);
		while (stop == 0 && sqlite3_step(cols) == SQLITE_ROW) {
			char column[200];
			snprintf(column, sizeof column, "%s.%s", name, (const char *)sqlite3_column_text(cols, 0));
			stop = fn(ctx, "column", column);
		}
		sqlite3_reset(cols);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(cols);
	sqlite3_close_v2(ref);
	return stop < 0 ? -1 : 0;
}

store_rc sqlite_schema_check(store *s, store_schema_status *out)
{
	sqlite_store *ss = sq_impl(s);
	*out = (store_schema_status){.known_version = sqlite_migrations[sqlite_migrations_count - 1].version};
	if (store_schema_version(s, &out->version) != STORE_OK)
		return STORE_ERROR;
	if (out->version > out->known_version) {
		out->state = STORE_SCHEMA_NEWER;
		return STORE_OK;
	}
	if (out->version == 0) {
		/* No recorded version: empty, or the version table itself is gone from a database
		 * that has tables (damaged, not to be initialised over). */
		sqldb_stmt *st = sql_prepare(&ss->sql_base, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
		if (st == NULL)
			return STORE_ERROR;
		int objects = sqldb_step(st) == SQLDB_ROW ? sqldb_column_int(st, 0) : -1;
		sqldb_release(st);
		if (objects < 0)
			return sql_fail(&ss->sql_base, "schema check");
		if (objects > 0 && has_object(ss->db, "table", "schema_version") == 0) {
			out->state = STORE_SCHEMA_DAMAGED;
			store_schema_note_missing(out, "table", "schema_version");
		} else {
			out->state = STORE_SCHEMA_EMPTY;
		}
		return STORE_OK;
	}
	char err[sizeof s->errmsg];
	sqlite3 *ref = reference_schema(out->version, err, sizeof err);
	if (ref == NULL) {
		snprintf(s->errmsg, sizeof s->errmsg, "%s", err);
		return STORE_ERROR;
	}
	int rc = compare_schema(ss->db, ref, out);
	sqlite3_close_v2(ref);
	if (rc != 0)
		return sql_fail(&ss->sql_base, "schema check");
	out->state = out->missing[0] ? STORE_SCHEMA_DAMAGED
	             : out->version < out->known_version ? STORE_SCHEMA_OLDER : STORE_SCHEMA_CURRENT;
	return STORE_OK;
}

store_rc sqlite_integrity_check(store *s)
{
	sqlite_store *ss = sq_impl(s);
	/* integrity_check answers "ok" or its findings; foreign_key_check answers a row per
	 * reference to a missing row (there should be none: foreign keys are always on). */
	sqldb_stmt *st = sql_prepare(&ss->sql_base, "PRAGMA integrity_check(5)");
	if (st == NULL)
		return STORE_ERROR;
	char found[200] = "";
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		const char *line = (const char *)sqldb_column_text(st, 0);
		if (line != NULL && strcmp(line, "ok") != 0 && found[0] == '\0')
			snprintf(found, sizeof found, "%s", line);
	}
	sqldb_release(st);
	if (rc != SQLDB_DONE)
		return sql_fail(&ss->sql_base, "integrity check");
	if (found[0]) {
		snprintf(s->errmsg, sizeof s->errmsg, "integrity check: %s", found);
		return STORE_ERROR;
	}
	st = sql_prepare(&ss->sql_base, "PRAGMA foreign_key_check");
	if (st == NULL)
		return STORE_ERROR;
	rc = sqldb_step(st);
	if (rc == SQLDB_ROW) {
		snprintf(s->errmsg, sizeof s->errmsg, "foreign key check: row %lld of %s refers to a missing row of %s",
		         (long long)sqldb_column_int64(st, 1), sqldb_column_text(st, 0), sqldb_column_text(st, 2));
		sqldb_release(st);
		return STORE_ERROR;
	}
	sqldb_release(st);
	return rc == SQLDB_DONE ? STORE_OK : sql_fail(&ss->sql_base, "foreign key check");
}

/* fsync of a file (or folder) by path: 0, or -1 with errno set. */
static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

store_rc sqlite_snapshot_to(store *s, const char *path)
{
	sqlite_store *ss = sq_impl(s);
	if (ss->sql_base.in_transaction) {
		snprintf(s->errmsg, sizeof s->errmsg, "snapshot: a transaction is open");
		return STORE_ERROR;
	}
	sqlite3 *dest = NULL;
	if (sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(s->errmsg, sizeof s->errmsg, "snapshot: cannot open %s: %s", path, dest ? sqlite3_errmsg(dest) : "out of memory");
		sqlite3_close_v2(dest);
		return STORE_ERROR;
	}
	sqlite3_exec(dest, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	sqlite3_backup *b = sqlite3_backup_init(dest, "main", ss->db, "main");
	if (b == NULL) {
		snprintf(s->errmsg, sizeof s->errmsg, "snapshot: %s", sqlite3_errmsg(dest));
		sqlite3_close_v2(dest);
		return STORE_ERROR;
	}
	/* Every page in one step: the step holds one read transaction on the source, so the copy
	 * is the database as of one commit. In WAL mode a reader does not block writers, so the
	 * server goes on meanwhile. (Copying a few pages per step would restart the copy each
	 * time another connection commits, and never finish under steady writes.) */
	int rc;
	for (int tries = 0; (rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED; tries++) {
		if (tries == 100)
			break;
		sqlite3_sleep(100);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(s->errmsg, sizeof s->errmsg, "snapshot to %s: %s", path, sqlite3_errstr(rc));
		sqlite3_close_v2(dest);
		return STORE_ERROR;
	}
	if (sqlite3_close(dest) != SQLITE_OK) {
		snprintf(s->errmsg, sizeof s->errmsg, "snapshot: closing %s: %s", path, sqlite3_errmsg(dest));
		sqlite3_close_v2(dest);
		return STORE_ERROR;
	}
	if (sync_path(path, O_RDWR) != 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "snapshot: fsync %s: %s", path, strerror(errno));
		return STORE_ERROR;
	}
	return STORE_OK;
}

/* path as a URI filename ("file:" and path with every byte outside [A-Za-z0-9/._~-]
 * percent-encoded), for the query parameters only a URI can carry. */
static int path_uri(const char *path, const char *query, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = (size_t)snprintf(out, outlen, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (n + 4 >= outlen)
			return -1;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/._~-", *p)) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	return snprintf(out + n, outlen - n, "?%s", query) < (int)(outlen - n) ? 0 : -1;
}

/* Opens path read-only and reads its schema once (errors surface on the first read). */
static sqlite3 *try_read_only(const char *name, int flags, int *code)
{
	sqlite3 *db = NULL;
	*code = sqlite3_open_v2(name, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | flags, NULL);
	if (*code == SQLITE_OK)
		*code = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (*code != SQLITE_OK) {
		sqlite3_close_v2(db);
		return NULL;
	}
	return db;
}

sqlite3 *sqlite_open_read_only(const char *path, char *err, size_t errlen)
{
	int code;
	sqlite3 *db = try_read_only(path, 0, &code);
	if (db != NULL)
		return db;
	/* A WAL database (every exosafe database) is read through its -shm index, which a reader
	 * creates when absent: impossible in a read-only folder. With no -wal holding changes the
	 * main file is the whole database and can be read as immutable (no locks, no -shm). With a
	 * -wal, immutable would silently skip its commits, so that is refused instead. */
	char wal[PATH_MAX + 8];
	snprintf(wal, sizeof wal, "%s-wal", path);
	struct stat st;
	if (stat(wal, &st) == 0 && st.st_size > 0) {
		snprintf(err, errlen,
		         "cannot read database %s read-only (%s): its write-ahead log %s holds commits that cannot be read"
		         " without write access to the folder; copy the database with its -wal file to a writable folder",
		         path, sqlite3_errstr(code), wal);
		return NULL;
	}
	char uri[PATH_MAX * 3 + 32];
	if (path_uri(path, "immutable=1", uri, sizeof uri) != 0) {
		snprintf(err, errlen, "database path %s is too long", path);
		return NULL;
	}
	db = try_read_only(uri, SQLITE_OPEN_URI, &code);
	if (db == NULL)
		snprintf(err, errlen, "cannot read database %s: %s", path, sqlite3_errstr(code));
	return db;
}

/* errno when path's stale companion (suffix) cannot be removed, else 0. */
static int remove_companion(const char *path, const char *suffix)
{
	char name[PATH_MAX + 16];
	snprintf(name, sizeof name, "%s%s", path, suffix);
	return unlink(name) == 0 || errno == ENOENT ? 0 : errno;
}

/* 1 when another connection (in any process) has the database at path open, 0 when not. An
 * exclusive-locking-mode write transaction needs every other connection gone, even idle WAL
 * readers, which keep a shared lock on the -shm index. */
static int database_in_use(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close_v2(db);
		return -1;
	}
	int rc = sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(db);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 1;
	/* Any other failure (a file that is no database at all) holds no one's data: replaceable. */
	return 0;
}

int store_sqlite_install(const char *new_file, const char *path, bool replace, char *err, size_t errlen)
{
	struct stat st;
	int exists = stat(path, &st) == 0;
	if (exists && !replace) {
		snprintf(err, errlen, "%s exists; nothing was changed (--force replaces it)", path);
		return -1;
	}
	if (exists) {
		int busy = database_in_use(path, err, errlen);
		if (busy < 0)
			return -1;
		if (busy) {
			snprintf(err, errlen,
			         "database %s is open in another program (a running exosafe serve?); stop it first. Nothing was changed.",
			         path);
			return -1;
		}
	}
	/* A log or journal left beside path belongs to the file being replaced: SQLite would apply
	 * it to the new one. */
	int e = 0;
	for (const char *const *suffix = (const char *const[]){"-wal", "-shm", "-journal", NULL}; *suffix && !e; suffix++)
		e = remove_companion(path, *suffix);
	if (e != 0) {
		snprintf(err, errlen, "cannot remove the old log beside %s: %s", path, strerror(e));
		return -1;
	}
	/* link() refuses an existing name atomically; rename() replaces it atomically. */
	if (replace ? rename(new_file, path) != 0 : link(new_file, path) != 0 || unlink(new_file) != 0) {
		snprintf(err, errlen, "cannot move %s to %s: %s", new_file, path, strerror(errno));
		return -1;
	}
	char folder[PATH_MAX];
	snprintf(folder, sizeof folder, "%s", path);
	if (sync_path(dirname(folder), O_RDONLY | O_DIRECTORY) != 0) {
		snprintf(err, errlen, "fsync of the folder of %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
