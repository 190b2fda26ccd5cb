/* Fault injection: every service operation that writes, with each of its store calls failing in
 * turn, leaves nothing partial behind.
 *
 * For each row of `ops` (one operation with its setup): the setup brings a copy of the shared
 * world database to the state the operation needs and the result is kept as the row's prepared
 * database. A first run through the fault-injecting store (src/store/store_fault.h) with no
 * failure checks the operation succeeds and counts its store calls; then for N = 1..count the
 * operation runs on a fresh copy with the Nth call failing, and must
 *   - report an error (not its normal outcome),
 *   - leave no transaction open on the connection,
 *   - leave the database, dumped canonically (every table, every row and column, ordered by
 *     all columns, which puts an integer primary key first), equal to the dump before, or for
 *     an operation made of several transactions by design (`units` > 1), equal to the dump
 *     taken right after the last transaction that committed.
 * A new service operation gets one row in its area's table (fault_ops_people.c, fault_ops_stock.c). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "core/strbuf.h"
#include "service/mail_events.h"
#include "store/store_fault.h"
#include "tests/fault/fault.h"

/* ---- the canonical dump ---- */

static char *dump(const char *path)
{
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return NULL;
	strbuf out = {0};
	sqlite3_stmt *tables;
	sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &tables, NULL);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(tables, 0);
		char sql[512];
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", name);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			continue;
		int n = sqlite3_column_count(st);
		sqlite3_finalize(st);
		/* Ordered by every column: a total order, with an integer primary key first. */
		int len = snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1", name);
		for (int i = 2; i <= n && len < (int)sizeof sql - 8; i++)
			len += snprintf(sql + len, sizeof sql - (size_t)len, ",%d", i);
		sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		strbuf_printf(&out, "== %s\n", name);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < n; i++) {
				switch (sqlite3_column_type(st, i)) {
				case SQLITE_NULL: strbuf_puts(&out, "NULL"); break;
				case SQLITE_INTEGER: strbuf_printf(&out, "%lld", (long long)sqlite3_column_int64(st, i)); break;
				case SQLITE_FLOAT: strbuf_printf(&out, "%.17g", sqlite3_column_double(st, i)); break;
				case SQLITE_TEXT: strbuf_printf(&out, "'%s'", (const char *)sqlite3_column_text(st, i)); break;
				default: {
					const unsigned char *b = sqlite3_column_blob(st, i);
					int bn = sqlite3_column_bytes(st, i);
					strbuf_puts(&out, "X'");
					for (int k = 0; k < bn; k++)
						strbuf_printf(&out, "%02x", b[k]);
					strbuf_puts(&out, "'");
				}
				}
				strbuf_puts(&out, i + 1 < n ? "|" : "\n");
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	return strbuf_finish(&out);
}

/* Prints the first line where two dumps differ, with the table it is in. */
static void show_difference(const char *want, const char *have)
{
	const char *w = want, *h = have, *table = "?";
	size_t table_len = 1;
	while (*w && *h) {
		const char *we = strchr(w, '\n'), *he = strchr(h, '\n');
		size_t wl = we ? (size_t)(we - w) : strlen(w), hl = he ? (size_t)(he - h) : strlen(h);
		if (wl != hl || memcmp(w, h, wl) != 0) {
			fprintf(stderr, "    in table %.*s\n      expected  %.*s\n      found     %.*s\n", (int)table_len, table,
			        (int)(wl > 300 ? 300 : wl), w, (int)(hl > 300 ? 300 : hl), h);
			return;
		}
		if (strncmp(w, "== ", 3) == 0) {
			table = w + 3;
			table_len = wl - 3;
		}
		w += wl + (we != NULL);
		h += hl + (he != NULL);
	}
	if (*w || *h)
		fprintf(stderr, "    one dump ends early (%s)\n", *w ? "rows missing" : "rows added");
}

/* ---- database files ---- */

static void remove_db(const char *path)
{
	char side[600];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

/* Copies the database at from to a fresh file at to, page for page (SQLite's backup API). */
static int copy_db(const char *from, const char *to)
{
	remove_db(to);
	sqlite3 *src = NULL, *dst = NULL;
	int rc = SQLITE_ERROR;
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
		if (b != NULL) {
			sqlite3_backup_step(b, -1);
			rc = sqlite3_backup_finish(b);
		}
	}
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc == SQLITE_OK ? 0 : -1;
}

static store *open_store(const char *path)
{
	char err[512];
	store *s = store_sqlite_open(path, err, sizeof err);
	if (s == NULL)
		fprintf(stderr, "open %s: %s\n", path, err);
	return s;
}

/* ---- the run ---- */

typedef struct run_state {
	const char *path;
	char *committed;   /* the dump after the last commit of the faulted run */
	int commits;
} run_state;

static void on_commit(void *ctx)
{
	run_state *rs = ctx;
	free(rs->committed);
	rs->committed = dump(rs->path);
	rs->commits++;
}

/* Runs one row: returns the number of problems, adds the faults injected to *faults. */
static int run_op(const fault_op *op, const world *base, const char *world_path, const char *prepared_path,
                  const char *path, long *faults)
{
	world w = *base;
	/* The row's prepared database: the world with the setup applied. */
	if (copy_db(world_path, path) != 0)
		return 1;
	if (op->setup) {
		store *s = open_store(path);
		if (s == NULL || op->setup(s, &w) != 0) {
			fprintf(stderr, "FAIL %s: setup failed\n", op->name);
			if (s)
				store_close(s);
			return 1;
		}
		store_close(s);
	}
	if (copy_db(path, prepared_path) != 0)
		return 1;
	char *before = dump(path);
	int problems = 0;

	/* No failure: the normal outcome, how many calls it takes and how many commits. */
	world wc = w;
	run_state full = {.path = path};
	store *s = store_fault_wrap(open_store(path), 0);
	store_fault_on_commit(s, on_commit, &full);
	int rc = op->run(s, &wc);
	long count = store_fault_calls(s);
	store_close(s);
	free(full.committed);
	if (rc != 0) {
		fprintf(stderr, "FAIL %s: does not succeed without a fault\n", op->name);
		problems++;
	}

	long injected = 0;
	for (long n = 1; n <= count && problems < 3; n++) {
		copy_db(prepared_path, path);
		run_state rs = {.path = path, .committed = NULL, .commits = 0};
		wc = w;
		s = store_fault_wrap(open_store(path), n);
		store_fault_on_commit(s, on_commit, &rs);
		rc = op->run(s, &wc);
		const char *method = store_fault_failed(s);
		char what[96];
		snprintf(what, sizeof what, "call %ld (%s)", n, method ? method : "not reached");
		injected++;
		store *inner = store_fault_inner(s);
		if (store_begin(inner) != STORE_OK) {
			fprintf(stderr, "FAIL %s: %s left a transaction open (%s)\n", op->name, what, inner->errmsg);
			problems++;
		} else {
			store_rollback(inner);
		}
		store_close(s);
		char *after = dump(path);
		/* What the database must hold: the state after the last transaction that committed. */
		const char *want = rs.committed ? rs.committed : before;
		const char *problem = NULL;
		if (after == NULL || strcmp(want, after) != 0)
			problem = "left a partial change";
		else if (rc == 0 && !(rs.commits == full.commits || (op->best_effort && rs.commits == 0)))
			/* The normal outcome: only when the failed call came after every commit (a read-back
			 * the operation covers), so what it reports is what the database holds. */
			problem = "failed but the operation reported its normal outcome";
		else if (rc != 0 && rs.commits > 0 && op->units <= 1)
			problem = "made the operation report an error after its transaction committed";
		if (problem) {
			fprintf(stderr, "FAIL %s: %s %s\n", op->name, what, problem);
			show_difference(rs.commits ? before : want, after ? after : "");
			problems++;
		}
		free(after);
		free(rs.committed);
	}
	printf("%-40s %3ld store calls, %3ld faults injected%s\n", op->name, count, injected, problems ? "  FAILED" : "");
	*faults += injected;
	free(before);
	return problems;
}

int main(void)
{
	char dir[] = "/tmp/exosafe-fault-XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 1;
	char world_path[128], prepared_path[128], path[128];
	snprintf(world_path, sizeof world_path, "%s/world.db", dir);
	snprintf(prepared_path, sizeof prepared_path, "%s/prepared.db", dir);
	snprintf(path, sizeof path, "%s/run.db", dir);

	/* Noon JST today on the clock: every date the test writes is relative to it. */
	int64_t t0 = clock_now();
	t0 = t0 - t0 % DAY + 3 * 3600;
	clock_set(t0);

	world w = {.t0 = t0};
	char err[512];
	w.cat = intake_catalog_load("data", err, sizeof err);
	if (w.cat == NULL) {
		fprintf(stderr, "catalog: %s\n", err);
		return 1;
	}
	config_defaults(&w.cfg);
	snprintf(w.cfg.data_dir, sizeof w.cfg.data_dir, "data");
	snprintf(w.cfg.mail.public_url, sizeof w.cfg.mail.public_url, "https://clinic.example");
	/* A relay that refuses at once: port 1 on this machine. */
	snprintf(w.cfg.mail.smtp_url, sizeof w.cfg.mail.smtp_url, "smtp://127.0.0.1:1");
	snprintf(w.cfg.mail.from, sizeof w.cfg.mail.from, "clinic@fault.example");
	w.mail = mail_settings_from_config(&w.cfg);
	w.policy = (intake_policy){.cutoff_seconds = 3600, .questionnaire_valid_seconds = 90LL * DAY};

	store *s = open_store(world_path);
	int version;
	if (s == NULL || store_migrate(s, &version) != STORE_OK || world_build(s, &w) != 0) {
		fprintf(stderr, "cannot build the world: %s\n", s ? s->errmsg : "");
		return 1;
	}
	store_close(s);

	int problems = 0;
	long faults = 0;
	const struct {
		const fault_op *ops;
		size_t n;
	} tables[] = {{fault_ops_people, fault_ops_people_count}, {fault_ops_stock, fault_ops_stock_count}};
	size_t n_ops = 0;
	for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++)
		for (size_t i = 0; i < tables[k].n; i++, n_ops++)
			problems += run_op(&tables[k].ops[i], &w, world_path, prepared_path, path, &faults);
	printf("%zu operations, %ld injected faults, %d problems\n", n_ops, faults, problems);

	intake_catalog_free(w.cat);
	remove_db(path);
	remove_db(prepared_path);
	remove_db(world_path);
	rmdir(dir);
	return problems ? 1 : 0;
}
