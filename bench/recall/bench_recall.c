/* bench/recall: is the recall query fast on 10 million dispense rows?
 *
 * Builds a fresh SQLite database with the application's own schema (store_sqlite_open +
 * migrate), fills it through a raw connection (patients, one product, lots, orders, dispenses
 * one per order, shipments for nine orders in ten), then for a fixed sample of lots times
 *   - the store's recall query, store_recall_recipients (since migration 0014 one range of the
 *     kept recall_recipients rows, which its triggers fill as the dispenses and shipments are
 *     inserted; before, a join dispenses → orders → users → patient_profiles → shipments,
 *     sorted), and
 *   - SQLite's bare indexed lookup on the same data,
 *     SELECT order_id, quantity FROM dispenses WHERE lot_id = ?,
 * and prints rows per lot, p50 and p99 in microseconds, and their ratio. The bare lookup is
 * prepared once; it is also timed prepared for every lookup, as the store prepares its
 * statements (the recall's is prepared once per connection), to show the fixed cost of preparing.
 *
 *   bench_recall [--dispenses N] [--patients N] [--lots N] [--samples N]
 *                [--layout ordered|random] [--dir DIR] [--keep] [--reuse]
 *
 * --reuse (with --dir, after a run with --keep) measures the database already there instead of
 * building one, migrating it first; the sizes given must be the ones it was built with.
 * --layout ordered (the default) dispenses lots roughly in expiry order, as first-expiry-
 * first-out does, so one lot's dispenses are near each other in time; random scatters every
 * lot over the whole table (the worst case for locality). The fill runs with foreign keys on,
 * so every row satisfies them; journal and sync are off only while filling. */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

typedef struct options {
	int64_t dispenses;
	int64_t patients;
	int64_t lots;
	int samples;
	int random_layout;
	const char *dir;
	int keep;
	int reuse;
} options;

enum { DECISIONS = 100, CHUNK = 500000, WARMUP = 10 };
static const int64_t BASE_TIME = INT64_C(1767225600);  /* 2026-01-01T00:00:00Z */

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Shows how far a step has gone, when someone is watching. */
static void progress(const char *what, int64_t done, int64_t total)
{
	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%-12s %" PRId64 " / %" PRId64 "        ", what, done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Runs sql; on failure prints why and returns -1. */
static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_recall: %s\n  in: %.200s\n", msg ? msg : sqlite3_errmsg(db), sql);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Runs a statement with ?1..?n bound to the integers args[0..n), stepping it to the end. */
static int exec_ints(sqlite3 *db, const char *sql, const int64_t *args, int n)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_recall: %s\n  in: %.200s\n", sqlite3_errmsg(db), sql);
		return -1;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, args[i]);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		fprintf(stderr, "bench_recall: %s\n  in: %.200s\n", sqlite3_errmsg(db), sql);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Runs a row-generating INSERT in chunks of CHUNK rows: ?1 first, ?2 last (inclusive); the
 * constants of the statement follow as ?3… */
static int fill_chunked(sqlite3 *db, const char *what, const char *sql, int64_t total, const int64_t *consts, int nconsts)
{
	int64_t args[8];
	for (int i = 0; i < nconsts; i++)
		args[2 + i] = consts[i];
	for (int64_t first = 1; first <= total; first += CHUNK) {
		args[0] = first;
		args[1] = first + CHUNK - 1 < total ? first + CHUNK - 1 : total;
		if (exec_ints(db, sql, args, 2 + nconsts) != 0)
			return -1;
		progress(what, args[1], total);
	}
	return 0;
}

/* The users ids: patients 1..P, then a doctor P+1 and a pharmacist P+2. */
static int fill(sqlite3 *db, const options *o)
{
	const int64_t P = o->patients, doctor = P + 1, pharmacist = P + 2, N = o->dispenses, L = o->lots;
	if (exec(db, "BEGIN") != 0)
		return -1;

	const int64_t users_args[] = {BASE_TIME};
	if (fill_chunked(db, "users",
			 "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)"
			 " INSERT INTO users (id, email, name, role, password_hash, created_at)"
			 " SELECT i, 'patient' || i || '@bench.invalid', '患者 ' || i, 'patient', '$argon2id$bench', ?3 FROM n",
			 P, users_args, 1) != 0)
		return -1;
	const int64_t staff[] = {doctor, pharmacist, BASE_TIME};
	if (exec_ints(db,
		      "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES"
		      " (?1, 'doctor@bench.invalid', '医師', 'doctor', '$argon2id$bench', ?3),"
		      " (?2, 'pharmacist@bench.invalid', '薬剤師', 'pharmacist', '$argon2id$bench', ?3)",
		      staff, 3) != 0)
		return -1;
	if (fill_chunked(db, "profiles",
			 "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)"
			 " INSERT INTO patient_profiles (user_id, name_kana, birth_date, sex, phone, postal_code, address)"
			 " SELECT i, 'カンジャ', '1980-01-01', 'female', printf('090-%04d-%04d', i / 10000 % 10000, i % 10000),"
			 " '150-0001', '東京都渋谷区神宮前' || (i % 6 + 1) || '-' || (i % 30 + 1) || '-' || i FROM n",
			 P, NULL, 0) != 0)
		return -1;

	/* A few approvals, reused by every order: each needs a questionnaire response and a consent. */
	const int64_t dec[] = {DECISIONS, doctor, BASE_TIME};
	if (exec_ints(db,
		      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)"
		      " INSERT INTO questionnaire_responses (id, patient_id, questionnaire_id, questionnaire_version,"
		      " answers_json, flags_json, worst_level, submitted_at)"
		      " SELECT i, i, 'bench', 1, '{}', '[]', 'none', ?3 FROM n",
		      dec, 3) != 0 ||
	    exec_ints(db,
		      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)"
		      " INSERT INTO consent_acceptances (id, patient_id, consent_id, consent_version, lang, text_sha256, accepted_at)"
		      " SELECT i, i, 'bench', 1, 'ja', printf('%064d', 0), ?3 FROM n",
		      dec, 3) != 0)
		return -1;
	if (exec(db,
		 "INSERT INTO products (id, code, name_ja, name_en, form, manufacturer, country, source_cell_type,"
		 " storage_min_c, storage_max_c, excursion_allowance_minutes, shelf_life_days, price_jpy,"
		 " tax_rate_percent, units_description, created_at)"
		 " VALUES (1, 'BENCH-CREAM', 'エクソソーム クリーム', 'Exosome cream', 'cream', 'Bench Lab', 'JP',"
		 " 'adipose-derived MSC', 2, 8, 60, 365, 22000, 10, '1本', 1767225600)") != 0)
		return -1;
	if (exec_ints(db,
		      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)"
		      " INSERT INTO treatment_decisions (id, patient_id, doctor_id, response_id, consent_id, decision, notes,"
		      " product, quantity, directions, valid_until, decided_at, product_id)"
		      " SELECT i, i, ?2, i, i, 'approved', '', 'エクソソーム クリーム', 1000000, '1日1回', '2099-12-31', ?3, 1 FROM n",
		      dec, 3) != 0)
		return -1;
	const int64_t lot_args[] = {L, pharmacist, BASE_TIME};
	if (exec_ints(db,
		      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)"
		      " INSERT INTO lots (id, product_id, lot_number, manufactured_on, expires_on, quantity_received,"
		      " quantity_available, status, donor_age, donor_screening, storage_location, received_at, received_by)"
		      " SELECT i, 1, printf('BENCH-%06d', i), '2025-12-01', '2027-12-01', 1000000000, 0, 'released', 35,"
		      " 'HBV/HCV/HIV/HTLV-1/syphilis negative', 'fridge-1', ?3, ?2 FROM n",
		      lot_args, 3) != 0)
		return -1;

	/* Order i: a pseudo-random patient, one dispense from lot lot(i), shipped unless i % 10 = 0.
	 * Integer hashes keep the generation in SQL and reproducible. */
	const int64_t order_args[] = {P, DECISIONS, pharmacist, BASE_TIME};
	if (fill_chunked(db, "orders",
			 "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2),"
			 " o(i, p) AS (SELECT i, (i * 2654435761) % ?3 + 1 FROM n)"
			 " INSERT INTO orders (id, patient_id, decision_id, product_id, quantity, unit_price_jpy, total_jpy,"
			 " status, payment_method, payment_reference, paid_at, paid_recorded_by, ship_name, ship_postal_code,"
			 " ship_address, ship_phone, created_at)"
			 " SELECT i, p, i % ?4 + 1, 1, i % 3 + 1, 22000, (i % 3 + 1) * 22000,"
			 " CASE WHEN i % 10 = 0 THEN 'dispensed' ELSE 'delivered' END, 'bank_transfer', 'BT' || i,"
			 " ?6 + i * 3, ?5, '患者 ' || p, '150-0001',"
			 " '東京都渋谷区神宮前' || (p % 6 + 1) || '-' || (p % 30 + 1) || '-' || p,"
			 " printf('090-%04d-%04d', p / 10000 % 10000, p % 10000), ?6 + i * 3 FROM o",
			 N, order_args, 4) != 0)
		return -1;
	/* ordered: lot ≈ its share of the timeline, give or take two lots; random: any lot. */
	const char *lot_expr = o->random_layout ? "(i * 1103515245 + 12345) % 2147483647 % ?3 + 1"
						: "max(1, min(?3, (i - 1) * ?3 / ?4 + 1 + (i * 40503) % 5 - 2))";
	char dispense_sql[1024];
	snprintf(dispense_sql, sizeof dispense_sql,
		 "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)"
		 " INSERT INTO dispenses (id, order_id, lot_id, quantity, dispensed_at, dispensed_by)"
		 " SELECT i, i, %s, i %% 3 + 1, ?6 + i * 3 + 3600, ?5 FROM n",
		 lot_expr);
	const int64_t dispense_args[] = {L, N, pharmacist, BASE_TIME};
	if (fill_chunked(db, "dispenses", dispense_sql, N, dispense_args, 4) != 0)
		return -1;
	const int64_t ship_args[] = {pharmacist, BASE_TIME};
	if (fill_chunked(db, "shipments",
			 "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)"
			 " INSERT INTO shipments (order_id, carrier, tracking_number, logger_id, shipped_at, delivered_at, recorded_by)"
			 " SELECT i, 'ヤマト運輸', printf('%012d', i), 'LOG-' || (i % 500), ?4 + i * 3 + 7200, ?4 + i * 3 + 90000, ?3"
			 " FROM n WHERE i % 10 <> 0",
			 N, ship_args, 2) != 0)
		return -1;
	return exec(db, "COMMIT");
}

/* recall_recipients (0014) is kept by triggers, one join per inserted row, which makes the
 * fill several times slower. For the fill only they are set aside and the table is filled at
 * the end by the migration's own statement, which test_store_sqlite checks gives the rows the
 * triggers give; then the triggers are put back exactly as they were. */
typedef struct saved_triggers {
	int n;
	char *sql[32];
} saved_triggers;

static int set_triggers_aside(sqlite3 *db, saved_triggers *t)
{
	sqlite3_stmt *st;
	t->n = 0;
	if (sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
				   " AND name LIKE 'recall\\_recipients\\_%' ESCAPE '\\'", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_recall: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	char drop[8192] = "";
	while (sqlite3_step(st) == SQLITE_ROW && t->n < 32) {
		t->sql[t->n++] = strdup((const char *)sqlite3_column_text(st, 1));
		snprintf(drop + strlen(drop), sizeof drop - strlen(drop), "DROP TRIGGER %s;", sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return t->n > 0 ? exec(db, drop) : 0;
}

static int put_triggers_back(sqlite3 *db, saved_triggers *t)
{
	int rc = exec(db, "INSERT INTO recall_recipients SELECT * FROM recall_recipients_joined");
	for (int i = 0; i < t->n; i++) {
		if (rc == 0)
			rc = exec(db, t->sql[i]);
		free(t->sql[i]);
	}
	t->n = 0;
	return rc;
}

/* Brings the database at path to the application's newest schema. */
static int migrate_only(const char *path)
{
	char err[256];
	store *s = store_sqlite_open(path, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr, "bench_recall: %s\n", err);
		return -1;
	}
	int version = 0;
	store_rc rc = store_migrate(s, &version);
	if (rc != STORE_OK)
		fprintf(stderr, "bench_recall: migrate: %s\n", s->errmsg);
	store_close(s);
	return rc == STORE_OK ? 0 : -1;
}

/* Creates the schema with the application's own migrations, then fills it raw. */
static int build_database(const char *path, const options *o)
{
	if (migrate_only(path) != 0)
		return -1;

	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_recall: cannot open %s: %s\n", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	/* For the fill only: no journal, no fsync, a large cache. Foreign keys stay on. */
	saved_triggers triggers = {0};
	int ok = exec(db, "PRAGMA journal_mode = DELETE") == 0 && exec(db, "PRAGMA journal_mode = OFF") == 0 &&
		 exec(db, "PRAGMA synchronous = OFF") == 0 && exec(db, "PRAGMA cache_size = -1048576") == 0 &&
		 exec(db, "PRAGMA temp_store = MEMORY") == 0 && exec(db, "PRAGMA foreign_keys = ON") == 0 &&
		 set_triggers_aside(db, &triggers) == 0 && fill(db, o) == 0 && put_triggers_back(db, &triggers) == 0 &&
		 exec(db, "PRAGMA journal_mode = WAL") == 0;
	for (int i = 0; i < triggers.n; i++)
		free(triggers.sql[i]);
	sqlite3_close(db);
	return ok ? 0 : -1;
}

static int64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* xorshift64*: a fixed sequence of lots, the same on every run. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(2685821657736338717);
}

typedef struct recall_tally {
	int64_t rows;
	int64_t units;
} recall_tally;

static int count_recipient(void *ctx, const recall_recipient *r)
{
	recall_tally *t = ctx;
	t->rows++;
	t->units += r->quantity;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The q-quantile (nearest rank) of the n sorted values v. */
static double quantile(const double *v, int n, double q)
{
	int rank = (int)(q * n + 0.999999);
	if (rank < 1)
		rank = 1;
	return v[rank > n ? n - 1 : rank - 1];
}

static int parse_args(int argc, char **argv, options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		int64_t *target = strcmp(a, "--dispenses") == 0 ? &o->dispenses
				: strcmp(a, "--patients") == 0 ? &o->patients
				: strcmp(a, "--lots") == 0     ? &o->lots
								: NULL;
		if (target || strcmp(a, "--samples") == 0) {
			if (v == NULL)
				goto usage;
			errno = 0;
			long long n = strtoll(v, &end, 10);
			if (errno || *end || n < 1 || (target == NULL && n > 1000000))
				goto usage;
			if (target)
				*target = n;
			else
				o->samples = (int)n;
			i++;
		} else if (strcmp(a, "--layout") == 0 && v && (strcmp(v, "ordered") == 0 || strcmp(v, "random") == 0)) {
			o->random_layout = strcmp(v, "random") == 0;
			i++;
		} else if (strcmp(a, "--dir") == 0 && v) {
			o->dir = v;
			i++;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = 1;
		} else if (strcmp(a, "--reuse") == 0) {
			o->reuse = o->keep = 1;
		} else {
			goto usage;
		}
	}
	if (o->patients < DECISIONS)
		o->patients = DECISIONS;
	return 0;
usage:
	fprintf(stderr, "usage: bench_recall [--dispenses N] [--patients N] [--lots N] [--samples N]"
			" [--layout ordered|random] [--dir DIR] [--keep] [--reuse]\n");
	return -1;
}

/* Times the store's recall query for each lot; returns the rows seen, or -1. */
static int64_t time_recall(store *s, const int64_t *lots, int n, double *us)
{
	int64_t rows = 0;
	for (int i = -WARMUP; i < n; i++) {
		recall_tally t = {0};
		int64_t lot = lots[i < 0 ? n + WARMUP + i : i];
		double t0 = now_us();
		if (store_recall_recipients(s, lot, count_recipient, &t) != STORE_OK) {
			fprintf(stderr, "bench_recall: recall_recipients: %s\n", s->errmsg);
			return -1;
		}
		double t1 = now_us();
		if (i >= 0) {
			us[i] = t1 - t0;
			rows += t.rows;
		}
		if (i % 50 == 0)
			progress("recall", i, n);
	}
	progress("recall", n, n);
	return rows;
}

static const char bare_sql[] = "SELECT order_id, quantity FROM dispenses WHERE lot_id = ?";

/* Steps the bare lookup of one lot to completion; returns the rows, or -1. */
static int64_t bare_lookup(sqlite3 *db, sqlite3_stmt *st, int64_t lot, int64_t *sink)
{
	int64_t seen = 0;
	int rc;
	sqlite3_bind_int64(st, 1, lot);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*sink += sqlite3_column_int64(st, 0) + sqlite3_column_int(st, 1);
		seen++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "bench_recall: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	return seen;
}

/* Times the bare indexed lookup for each lot, with the statement prepared once or (as the
 * store does) for every lookup; returns the rows seen, or -1. */
static int64_t time_bare(sqlite3 *db, const int64_t *lots, int n, int prepare_each, double *us)
{
	sqlite3_stmt *st = NULL;
	int64_t rows = 0, sink = 0;
	for (int i = -WARMUP; i < n; i++) {
		int64_t lot = lots[i < 0 ? n + WARMUP + i : i];
		double t0 = now_us();
		if (st == NULL && sqlite3_prepare_v2(db, bare_sql, -1, &st, NULL) != SQLITE_OK) {
			fprintf(stderr, "bench_recall: %s\n", sqlite3_errmsg(db));
			return -1;
		}
		int64_t seen = bare_lookup(db, st, lot, &sink);
		if (prepare_each) {
			sqlite3_finalize(st);
			st = NULL;
		}
		double t1 = now_us();
		if (seen < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		if (i >= 0) {
			us[i] = t1 - t0;
			rows += seen;
		}
		if (i % 50 == 0)
			progress("bare", i, n);
	}
	progress("bare", n, n);
	sqlite3_finalize(st);
	return sink < 0 ? -1 : rows;
}

static void print_plan(sqlite3 *db)
{
	sqlite3_stmt *st;
	char sql[sizeof bare_sql + 32];
	snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", bare_sql);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("  bare plan: %s\n", (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

static int measure(const char *path, const options *o)
{
	int n = o->samples;
	/* lots[0..n) are timed; lots[n..n + WARMUP) only warm up the connection. */
	int64_t *lots = malloc((size_t)(n + WARMUP) * sizeof *lots);
	double *recall_us = malloc((size_t)n * sizeof *recall_us), *bare_us = malloc((size_t)n * sizeof *bare_us);
	double *bare_each_us = malloc((size_t)n * sizeof *bare_each_us);
	store *s = NULL;
	sqlite3 *db = NULL;
	int rc = -1;
	char err[256];
	if (lots == NULL || recall_us == NULL || bare_us == NULL || bare_each_us == NULL)
		goto out;
	uint64_t x = UINT64_C(20261125);
	for (int i = 0; i < n + WARMUP; i++)
		lots[i] = (int64_t)(next_random(&x) % (uint64_t)o->lots) + 1;

	/* Each on its own fresh connection with default settings, one after the other. */
	s = store_sqlite_open(path, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr, "bench_recall: %s\n", err);
		goto out;
	}
	int64_t recall_rows = time_recall(s, lots, n, recall_us);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_recall: cannot open %s: %s\n", path, sqlite3_errmsg(db));
		goto out;
	}
	int64_t bare_rows = time_bare(db, lots, n, 0, bare_us);
	int64_t bare_each_rows = time_bare(db, lots, n, 1, bare_each_us);
	if (recall_rows < 0 || bare_rows < 0 || bare_each_rows < 0)
		goto out;

	qsort(recall_us, (size_t)n, sizeof *recall_us, cmp_double);
	qsort(bare_us, (size_t)n, sizeof *bare_us, cmp_double);
	qsort(bare_each_us, (size_t)n, sizeof *bare_each_us, cmp_double);
	double rp50 = quantile(recall_us, n, 0.50), rp99 = quantile(recall_us, n, 0.99);
	double bp50 = quantile(bare_us, n, 0.50), bp99 = quantile(bare_us, n, 0.99);
	printf("lookups: %d random lots (fixed seed), after %d warm-up lookups, not counted\n", n, WARMUP);
	print_plan(db);
	printf("%-36s %10s %12s %12s\n", "", "rows/lot", "p50 (µs)", "p99 (µs)");
	printf("%-36s %10.1f %12.1f %12.1f\n", "recall (store_recall_recipients)", (double)recall_rows / n, rp50, rp99);
	printf("%-36s %10.1f %12.1f %12.1f\n", "bare indexed lookup (sqlite3)", (double)bare_rows / n, bp50, bp99);
	printf("%-36s %10.1f %12.1f %12.1f\n", "  the same, prepared for each lookup", (double)bare_each_rows / n,
	       quantile(bare_each_us, n, 0.50), quantile(bare_each_us, n, 0.99));
	printf("%-36s %10s %12.2f %12.2f\n", "ratio recall / bare", "", bp50 > 0 ? rp50 / bp50 : 0.0,
	       bp99 > 0 ? rp99 / bp99 : 0.0);
	if (recall_rows != bare_rows) {
		fprintf(stderr, "bench_recall: the recall query returned %" PRId64 " rows, the bare lookup %" PRId64 "\n",
			recall_rows, bare_rows);
		goto out;
	}
	rc = 0;
out:
	if (db)
		sqlite3_close(db);
	if (s)
		store_close(s);
	free(lots);
	free(recall_us);
	free(bare_us);
	free(bare_each_us);
	return rc;
}

int main(int argc, char **argv)
{
	options o = {.dispenses = 10000000, .patients = 100000, .lots = 2000, .samples = 1000};
	if (parse_args(argc, argv, &o) != 0)
		return 2;

	char dir[512], path[600];
	if (o.dir) {
		snprintf(dir, sizeof dir, "%s", o.dir);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "bench_recall: cannot create %s: %s\n", dir, strerror(errno));
			return 1;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/exosafe-bench-recall-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL) {
			fprintf(stderr, "bench_recall: cannot create a temporary directory: %s\n", strerror(errno));
			return 1;
		}
	}
	snprintf(path, sizeof path, "%s/recall.db", dir);
	if (o.reuse && (o.dir == NULL || file_size(path) == 0)) {
		fprintf(stderr, "bench_recall: --reuse needs --dir with a kept database\n");
		return 1;
	}
	if (!o.reuse && file_size(path) > 0) {
		fprintf(stderr, "bench_recall: %s exists; give an empty --dir (or --reuse)\n", path);
		return 1;
	}

	printf("bench/recall: %" PRId64 " dispenses (one per order), %" PRId64 " patients, %" PRId64
	       " lots, layout %s, SQLite %s\n",
	       o.dispenses, o.patients, o.lots, o.random_layout ? "random" : "ordered", sqlite3_libversion());
	fflush(stdout);
	double t0 = now_us();
	int rc = o.reuse ? migrate_only(path) : build_database(path, &o);
	double fill_s = (now_us() - t0) / 1e6;
	if (rc == 0) {
		char wal[620];
		snprintf(wal, sizeof wal, "%s-wal", path);
		printf("%s: %.1f s; database %.1f MiB (%s)\n", o.reuse ? "reused, migrated" : "fill", fill_s,
		       (double)(file_size(path) + file_size(wal)) / (1024.0 * 1024.0), path);
		fflush(stdout);
		rc = measure(path, &o);
	}

	if (o.keep) {
		printf("kept %s\n", path);
	} else {
		const char *suffix[] = {"", "-wal", "-shm", "-journal"};
		for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
			char p[640];
			snprintf(p, sizeof p, "%s%s", path, suffix[i]);
			unlink(p);
		}
		if (o.dir == NULL)
			rmdir(dir);
	}
	return rc == 0 ? 0 : 1;
}
