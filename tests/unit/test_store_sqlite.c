/* The SQLite store: migrations, uniqueness, transactions that leave nothing behind on
 * rollback, sessions, log-in failures and the append-only audit log.
 *
 * Built with -DTEST_PG (meson test store_pg, suite pg) the same tests run on the PostgreSQL
 * store, each on a new database (testutil_store.h), looked at through libpq instead of
 * sqlite3. Left out there, being about SQLite files: test_pragmas (WAL) and the missing-file
 * half of test_schema_check_empty_and_foreign; test_snapshot_and_read_only checks instead that
 * snapshot_to is refused (pg_dump) and that a read-only connection cannot write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service/accounts.h"
#include "service/clinic.h"
#include "store/migration.h"
#include "store/store.h"

#include "testutil_store.h"

typedef struct fixture {
	char dir[64];
	char path[128];
	store *s;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (test_store_open("unit", f->dir, f->path, &f->s) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	int rc = test_store_close(f->dir, f->s);
	free(f);
	return rc;
}

static user_record make_user(const char *email, user_role role)
{
	user_record u = {0};
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.name, sizeof u.name, "テスト");
	snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$not-a-real-hash");
	u.role = role;
	u.created_at = 1795564800;
	return u;
}

/* Runs a query on a second connection and returns its single integer. */
#ifdef TEST_PG
static long long scalar(const char *path, const char *sql)
{
	return test_pg_scalar(path, sql);
}
#else
static long long scalar(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s\n  in: %.300s", sqlite3_errmsg(db), sql);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}
#endif

static void test_migrate_is_idempotent_and_recorded(void **state)
{
	fixture *f = *state;
	int version = 0;
	assert_int_equal(store_migrate(f->s, &version), STORE_OK);
	assert_int_equal(version, sqlite_migrations[sqlite_migrations_count - 1].version);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM schema_version"), sqlite_migrations_count);
}

static void test_pragmas(void **state)
{
	fixture *f = *state;
#ifdef TEST_PG
	(void)f;
	skip();  /* WAL: a SQLite file's */
#endif
	/* WAL is a property of the file, seen from any connection. */
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_user_roundtrip_and_unique_email(void **state)
{
	fixture *f = *state;
	user_record u = make_user("a@clinic.example", ROLE_DOCTOR), got;
	assert_int_equal(store_user_insert(f->s, &u), STORE_OK);
	assert_true(u.id > 0);
	assert_int_equal(store_user_by_email(f->s, "a@clinic.example", &got), STORE_OK);
	assert_int_equal(got.id, u.id);
	assert_int_equal(got.role, ROLE_DOCTOR);
	assert_string_equal(got.name, "テスト");
	user_record dup = make_user("a@clinic.example", ROLE_ADMIN);
	assert_int_equal(store_user_insert(f->s, &dup), STORE_CONFLICT);
	assert_int_equal(store_user_by_email(f->s, "nobody@clinic.example", &got), STORE_NOT_FOUND);
	assert_int_equal(store_user_by_id(f->s, 9999, &got), STORE_NOT_FOUND);
}

static void test_rollback_leaves_nothing(void **state)
{
	fixture *f = *state;
	assert_int_equal(store_begin(f->s), STORE_OK);
	user_record u = make_user("rolled@clinic.example", ROLE_PATIENT);
	assert_int_equal(store_user_insert(f->s, &u), STORE_OK);
	audit_row row;
	audit_row_make(&row, 0, ROLE_NONE, "test.write", "user:1", "");
	assert_int_equal(store_audit_append(f->s, &row), STORE_OK);
	store_rollback(f->s);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM users"), 0);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log"), 0);
}

static void test_accounts_create_is_atomic(void **state)
{
	fixture *f = *state;
	/* A patient whose profile violates a constraint (bad sex value) leaves no user behind. */
	user_record u = make_user("p@patient.example", ROLE_PATIENT);
	patient_profile bad = {0, "ヤマダ", "1985-04-01", "bogus", "090-1234-5678", "", ""};
	actor anon = {.self = true};
	assert_int_equal(accounts_create(f->s, &anon, "auth.signup", &u, "long-enough-password", &bad), ACCOUNTS_ERROR);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM users"), 0);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log"), 0);

	patient_profile good = {0, "ヤマダ", "1985-04-01", "female", "090-1234-5678", "150-0001", "東京都"};
	u = make_user("p@patient.example", ROLE_PATIENT);
	assert_int_equal(accounts_create(f->s, &anon, "auth.signup", &u, "long-enough-password", &good), ACCOUNTS_OK);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM patient_profiles"), 1);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log WHERE action = 'auth.signup'"), 1);
	/* A sign-up is done by the new patient themself. */
	assert_int_equal(scalar(f->path, "SELECT actor_id FROM audit_log WHERE action = 'auth.signup'"), u.id);
	user_record dup = make_user("p@patient.example", ROLE_PATIENT);
	assert_int_equal(accounts_create(f->s, &anon, "auth.signup", &dup, "long-enough-password", &good),
	                 ACCOUNTS_EMAIL_TAKEN);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM users"), 1);
}

static void test_login_and_throttle(void **state)
{
	fixture *f = *state;
	user_record u = make_user("d@clinic.example", ROLE_DOCTOR), out;
	actor sys = {.id = 0};
	assert_int_equal(accounts_create(f->s, &sys, "user.create", &u, "correct horse battery", NULL), ACCOUNTS_OK);
	login_limits lim = {.window_seconds = 900, .max_per_account = 3, .max_per_address = 100};
	login_attempt good = {"d@clinic.example", "correct horse battery", "127.0.0.1", NULL};
	login_attempt bad = {"d@clinic.example", "wrong password!", "127.0.0.1", NULL};
	login_attempt unknown = {"x@clinic.example", "whatever-password", "127.0.0.1", NULL};
	int64_t now = 1795564800;
	assert_int_equal(accounts_login(f->s, &lim, &good, now, &out, NULL), ACCOUNTS_OK);
	assert_int_equal(out.id, u.id);
	assert_int_equal(accounts_login(f->s, &lim, &unknown, now, &out, NULL), ACCOUNTS_BAD_CREDENTIALS);
	for (int i = 0; i < 3; i++)
		assert_int_equal(accounts_login(f->s, &lim, &bad, now, &out, NULL), ACCOUNTS_BAD_CREDENTIALS);
	/* Even the right password is refused while throttled... */
	assert_int_equal(accounts_login(f->s, &lim, &good, now + 10, &out, NULL), ACCOUNTS_THROTTLED);
	/* ...and accepted once the window has passed; the browser is now known to the account. */
	char device[TOKEN_TEXT_MAX];
	assert_int_equal(accounts_login(f->s, &lim, &good, now + 901, &out, device), ACCOUNTS_OK);
	assert_true(strlen(device) >= 40);
	/* Strangers lock the account again, but not the known browser (its own count). */
	for (int i = 0; i < 3; i++)
		assert_int_equal(accounts_login(f->s, &lim, &bad, now + 902, &out, NULL), ACCOUNTS_BAD_CREDENTIALS);
	assert_int_equal(accounts_login(f->s, &lim, &good, now + 903, &out, NULL), ACCOUNTS_THROTTLED);
	login_attempt known = {"d@clinic.example", "correct horse battery", "127.0.0.1", device};
	char again[TOKEN_TEXT_MAX];
	assert_int_equal(accounts_login(f->s, &lim, &known, now + 903, &out, again), ACCOUNTS_OK);
	assert_string_equal(again, "");
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'"), 7);
	/* Failures past the window can be forgotten; the audit rows stay. */
	assert_true(scalar(f->path, "SELECT count(*) FROM login_failures") > 0);
	assert_int_equal(store_begin(f->s), STORE_OK);
	assert_int_equal(store_login_failure_purge(f->s, now + 1000), STORE_OK);
	assert_int_equal(store_commit(f->s), STORE_OK);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM login_failures"), 0);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'"), 7);
}

static void test_sessions(void **state)
{
	fixture *f = *state;
	user_record u = make_user("s@clinic.example", ROLE_PHARMACIST), got_user;
	assert_int_equal(store_user_insert(f->s, &u), STORE_OK);
	char token[TOKEN_TEXT_MAX];
	session_record sess, got;
	int64_t now = 1795564800;
	assert_int_equal(accounts_session_start(f->s, &u, now, "auth.login", token, &sess), ACCOUNTS_OK);
	assert_true(strlen(token) >= 40);
	/* The token itself is never stored, only its hash. */
	char query[256];
	snprintf(query, sizeof query, "SELECT count(*) FROM sessions WHERE token_hash = '%s'", token);
	assert_int_equal(scalar(f->path, query), 0);
	session_limits lim = {.idle_seconds = 1800, .absolute_seconds = 43200};
	assert_int_equal(accounts_session_resolve(f->s, &lim, token, now + 100, &got, &got_user), ACCOUNTS_OK);
	assert_int_equal(got_user.id, u.id);
	assert_string_equal(got.csrf_token, sess.csrf_token);
	assert_int_equal(accounts_session_resolve(f->s, &lim, "forged-token", now + 100, &got, &got_user),
	                 ACCOUNTS_SESSION_INVALID);
	/* Idle too long: refused and deleted. */
	assert_int_equal(accounts_session_resolve(f->s, &lim, token, now + 100 + 1800, &got, &got_user),
	                 ACCOUNTS_SESSION_INVALID);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM sessions"), 0);
}

static void test_audit_log_is_append_only(void **state)
{
	fixture *f = *state;
	assert_int_equal(store_audit_now(f->s, 0, ROLE_NONE, "test.one", "x:1", ""), STORE_OK);
	assert_int_equal(store_audit_now(f->s, 0, ROLE_NONE, "test.two", "x:2", ""), STORE_OK);
#ifdef TEST_PG
	char err[512];
	assert_int_not_equal(test_pg_exec(f->path, "UPDATE audit_log SET object = 'x:9' WHERE id = 1", err, sizeof err), 0);
	assert_int_not_equal(test_pg_exec(f->path, "DELETE FROM audit_log WHERE id = 1", err, sizeof err), 0);
#else
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_log SET object = 'x:9' WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
#endif
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log"), 2);
	/* audit_append refuses to run outside a transaction, where it could race the chain. */
	audit_row row;
	audit_row_make(&row, 0, ROLE_NONE, "test.three", "", "");
	assert_int_equal(store_audit_append(f->s, &row), STORE_ERROR);
}

static int verify_feed(void *ctx, const audit_row *r)
{
	audit_verifier_feed(ctx, r);
	return 0;
}

static void test_chain_written_by_store_verifies(void **state)
{
	fixture *f = *state;
	for (int i = 0; i < 20; i++)
		assert_int_equal(store_audit_now(f->s, i, ROLE_DOCTOR, "patient.profile.read", "patient:1", ""), STORE_OK);
	audit_verifier v;
	audit_verifier_init(&v);
	assert_int_equal(store_audit_each(f->s, verify_feed, &v), STORE_OK);
	assert_false(v.broken);
	assert_int_equal(v.rows_checked, 20);
}

/* The clinic row: migration 0009 creates id 1 empty; an update is written with its audit row,
 * a refused one writes neither; the CHECKs hold a stored shape even against a direct write. */
static void test_clinic_profile_roundtrip(void **state)
{
	fixture *f = *state;
	clinic_profile p;
	assert_int_equal(clinic_profile_get(f->s, &p), CLINIC_OK);
	assert_int_equal(p.id, 1);
	assert_string_equal(p.name, "");
	assert_false(p.is_demo);
	const char *raw[CLINIC_FIELD_COUNT] = {
		[CLINIC_NAME] = "みなと皮膚科クリニック", [CLINIC_POSTAL_CODE] = "1050011", [CLINIC_ADDRESS] = "東京都港区芝公園1-2-3",
		[CLINIC_PHONE] = "03-1234-5678", [CLINIC_HOURS] = "平日 10:00–18:00", [CLINIC_DOCTOR_NAME] = "港 一郎",
		[CLINIC_DOCTOR_LICENCE] = "123456",
	};
	actor admin = {.id = 0, .role = ROLE_ADMIN};
	clinic_field_error errs[CLINIC_FIELD_COUNT];
	int nerr = -1;
	clinic_profile stored;
	assert_int_equal(clinic_profile_update(f->s, &admin, raw, true, &stored, errs, &nerr), CLINIC_OK);
	assert_int_equal(nerr, 0);
	assert_int_equal(clinic_profile_get(f->s, &p), CLINIC_OK);
	assert_string_equal(p.postal_code, "105-0011");
	assert_string_equal(p.hours, "平日 10:00–18:00");
	assert_true(p.updated_at > 0);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log WHERE action = 'clinic.update'"), 1);

	raw[CLINIC_PHONE] = "03-0000-0000";
	assert_int_equal(clinic_profile_update(f->s, &admin, raw, true, &stored, errs, &nerr), CLINIC_INVALID);
	assert_int_equal(nerr, 1);
	assert_int_equal(clinic_profile_get(f->s, &p), CLINIC_OK);
	assert_string_equal(p.phone, "03-1234-5678");
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log WHERE action = 'clinic.update'"), 1);

	p.bank_account_number[0] = '1'; /* "1": not 7 digits */
	p.bank_account_number[1] = '\0';
	assert_int_equal(store_clinic_put(f->s, &p), STORE_CONFLICT);
	p.id = 2;
	p.bank_account_number[0] = '\0';
	assert_int_equal(store_clinic_put(f->s, &p), STORE_NOT_FOUND);
}

/* ---- recall_recipients (0014): the kept recall answer equals its definition ---- */

/* Runs sql (several statements) on a second connection, with foreign keys on as the server. */
#ifdef TEST_PG
static void exec_sql(const char *path, const char *sql)
{
	char err[512];
	if (test_pg_exec(path, sql, err, sizeof err) != 0)
		fail_msg("%s\n  in: %.300s", err, sql);
}
#else
static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fail_msg("%s\n  in: %.300s", err ? err : "?", sql);
	sqlite3_close(db);
}
#endif

/* Takes migration 0020's objects away (not its schema_version row): ae_signal_reports, its view
 * and its triggers (on PostgreSQL with their function). */
static void undo_signal_reports(const char *path)
{
#ifdef TEST_PG
	exec_sql(path, "DROP FUNCTION ae_signal_reports_pairs CASCADE; DROP VIEW ae_signal_reports_joined;"
	               " DROP TABLE ae_signal_reports");
#else
	exec_sql(path, "DROP TRIGGER ae_signal_reports_pair; DROP TRIGGER ae_signal_reports_pair_gone;"
	               " DROP VIEW ae_signal_reports_joined; DROP TABLE ae_signal_reports");
#endif
}

/* Takes migration 0019's objects away (not its schema_version row): audit_log's chain columns,
 * clinics.migrated_from and migrated_ids. */
static void undo_audit_chains(const char *path)
{
	exec_sql(path, "DROP INDEX audit_log_chain_seq; DROP INDEX clinics_migrated_from; DROP TABLE migrated_ids;"
	                  " ALTER TABLE audit_log DROP COLUMN orig_object; ALTER TABLE audit_log DROP COLUMN orig_actor_id;"
	                  " ALTER TABLE audit_log DROP COLUMN seq; ALTER TABLE audit_log DROP COLUMN chain;"
	                  " ALTER TABLE clinics DROP COLUMN migrated_from;");
}

/* Takes migrations 0018's and 0019's objects away (not their schema_version rows). For 0018: its columns, constraints,
 * two indexes and four triggers. SQLite rebuilds its tables, so there the columns stay: running
 * the migration again copies them. */
static void undo_clinic_scope(const char *path)
{
	undo_audit_chains(path);
#ifdef TEST_PG
	exec_sql(path, "DROP TRIGGER users_clinic_fixed ON users; DROP FUNCTION dispenses_same_clinic CASCADE;"
	                  " DROP FUNCTION bookings_same_clinic CASCADE; DROP FUNCTION lot_placements_same_clinic CASCADE;"
	                  " ALTER TABLE users DROP COLUMN clinic_id; ALTER TABLE users DROP CONSTRAINT users_role_check;"
	                  " ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('patient', 'doctor', 'pharmacist', 'admin'));"
	                  " ALTER TABLE lots DROP COLUMN clinic_id;"
	                  " ALTER TABLE lots ADD CONSTRAINT lots_product_id_lot_number_key UNIQUE (product_id, lot_number);"
	                  " DROP INDEX lots_number; ALTER TABLE storage_units DROP COLUMN clinic_id;"
	                  " ALTER TABLE storage_units ADD CONSTRAINT storage_units_name_key UNIQUE (name);"
	                  "");
#else
	exec_sql(path, "DROP TRIGGER users_clinic_fixed; DROP TRIGGER dispenses_same_clinic; DROP TRIGGER bookings_same_clinic;"
	                  " DROP TRIGGER lot_placements_same_clinic; DROP INDEX users_clinic; DROP INDEX lots_number;"
	                  "");
#endif
}

/* The recall query before 0014, the definition the kept rows must equal, as text rows. */
static const char recall_by_join[] =
	"SELECT u.id, u.name, coalesce(pp.name_kana, ''), u.email, o.ship_phone, o.id, d.quantity, d.dispensed_at,"
	" o.ship_postal_code, o.ship_address, coalesce(sh.carrier, ''), coalesce(sh.tracking_number, ''),"
	" coalesce(sh.shipped_at, 0), coalesce(sh.delivered_at, 0),"
	" coalesce(rt.id, 0), coalesce(rt.status, ''), coalesce(rt.acknowledged_at, 0), coalesce(rt.notified_at, 0),"
	" coalesce(rt.contacted_at, 0), coalesce(rt.contact_notes, ''), coalesce(rt.closed_on, '')"
	" FROM dispenses d JOIN orders o ON o.id = d.order_id JOIN users u ON u.id = o.patient_id"
	" LEFT JOIN patient_profiles pp ON pp.user_id = u.id LEFT JOIN shipments sh ON sh.order_id = o.id"
	" LEFT JOIN recall_tracking rt ON rt.dispense_id = d.id"
	" WHERE d.lot_id = ? ORDER BY u.id, o.id, d.id";

typedef struct recipient_lines {
	char text[4096];
	size_t len;
} recipient_lines;

static int add_recipient_line(void *ctx, const recall_recipient *r)
{
	recipient_lines *l = ctx;
	l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len,
	                           "%lld|%s|%s|%s|%s|%lld|%d|%lld|%s|%s|%s|%s|%lld|%lld|%lld|%s|%lld|%lld|%lld|%s|%s\n",
	                           (long long)r->patient_id, r->patient_name, r->name_kana, r->email, r->phone,
	                           (long long)r->order_id, r->quantity, (long long)r->dispensed_at, r->ship_postal_code,
	                           r->ship_address, r->carrier, r->tracking_number, (long long)r->shipped_at,
	                           (long long)r->delivered_at, (long long)r->track_id, r->track_status,
	                           (long long)r->acknowledged_at, (long long)r->notified_at, (long long)r->contacted_at,
	                           r->contact_notes, r->closed_on);
	assert_true(l->len < sizeof l->text);
	return 0;
}

/* For every lot: the store's recall answer, line by line, equals the join's; and the table
 * holds exactly the view's rows. step names the write just made, for a failure's message. */
static void check_recipients(fixture *f, const char *step)
{
	assert_int_equal(scalar(f->path, "SELECT (SELECT count(*) FROM (SELECT * FROM recall_recipients"
	                                 " EXCEPT SELECT * FROM recall_recipients_joined) AS a)"
	                                 " + (SELECT count(*) FROM (SELECT * FROM recall_recipients_joined"
	                                 " EXCEPT SELECT * FROM recall_recipients) AS b)"
	                                 " + (SELECT count(*) FROM recall_recipients) - (SELECT count(*) FROM dispenses)"),
	                 0);
#ifdef TEST_PG
	PGconn *pg = PQconnectdb(f->path);
	assert_int_equal(PQstatus(pg), CONNECTION_OK);
	char by_join[sizeof recall_by_join + 4];
	snprintf(by_join, sizeof by_join, "%s", recall_by_join);
	char *q = strchr(by_join, '?');
	memmove(q + 2, q + 1, strlen(q + 1) + 1);
	q[0] = '$';
	q[1] = '1';
	for (int64_t lot = 1; lot <= 2; lot++) {
		recipient_lines want = {.len = 0}, got = {.len = 0};
		char lotnum[24];
		snprintf(lotnum, sizeof lotnum, "%lld", (long long)lot);
		const char *params[1] = {lotnum};
		PGresult *r = PQexecParams(pg, by_join, 1, NULL, params, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		for (int row = 0; row < PQntuples(r); row++) {
			for (int c = 0; c < 21; c++)
				want.len += (size_t)snprintf(want.text + want.len, sizeof want.text - want.len, "%s%s",
				                             PQgetvalue(r, row, c), c < 20 ? "|" : "\n");
			assert_true(want.len < sizeof want.text);
		}
		PQclear(r);
		assert_int_equal(store_recall_recipients(f->s, lot, add_recipient_line, &got), STORE_OK);
		if (strcmp(want.text, got.text) != 0)
			fail_msg("after %s, lot %lld:\nwant\n%sgot\n%s", step, (long long)lot, want.text, got.text);
	}
	PQfinish(pg);
#else
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, recall_by_join, -1, &st, NULL), SQLITE_OK);
	for (int64_t lot = 1; lot <= 2; lot++) {
		recipient_lines want = {.len = 0}, got = {.len = 0};
		sqlite3_bind_int64(st, 1, lot);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int c = 0; c < 21; c++)
				want.len += (size_t)snprintf(want.text + want.len, sizeof want.text - want.len, "%s%s",
				                             (const char *)sqlite3_column_text(st, c), c < 20 ? "|" : "\n");
			assert_true(want.len < sizeof want.text);
		}
		sqlite3_reset(st);
		assert_int_equal(store_recall_recipients(f->s, lot, add_recipient_line, &got), STORE_OK);
		if (strcmp(want.text, got.text) != 0)
			fail_msg("after %s, lot %lld:\nwant\n%sgot\n%s", step, (long long)lot, want.text, got.text);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
#endif
}

static void test_recall_recipients_match_their_definition(void **state)
{
	fixture *f = *state;
	/* Patients 1 and 2 (only 1 with a profile at first), a pharmacist 3; two lots; order 2
	 * takes from both lots. Patient 2's orders come first by id, the recall lists patient 1 first. */
	exec_sql(f->path,
	         "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES"
	         " (1, 'p1@example.jp', '山田 花子', 'patient', 'x', 1795564800),"
	         " (2, 'p2@example.jp', '佐藤 一郎', 'patient', 'x', 1795564800),"
	         " (3, 'ph@example.jp', '薬剤師', 'pharmacist', 'x', 1795564800);"
	         "INSERT INTO patient_profiles (user_id, name_kana, birth_date, sex, phone) VALUES"
	         " (1, 'ヤマダ ハナコ', '1980-01-01', 'female', '090-0000-0001');"
	         "INSERT INTO questionnaire_responses (id, patient_id, questionnaire_id, questionnaire_version, answers_json,"
	         " flags_json, worst_level, submitted_at) VALUES (1, 1, 'q', 1, '{}', '[]', 'none', 1795564800),"
	         " (2, 2, 'q', 1, '{}', '[]', 'none', 1795564800);"
	         "INSERT INTO consent_acceptances (id, patient_id, consent_id, consent_version, lang, text_sha256, accepted_at)"
	         " VALUES (1, 1, 'c', 1, 'ja', 'x', 1795564800), (2, 2, 'c', 1, 'ja', 'x', 1795564800);"
	         "INSERT INTO products (id, code, name_ja, name_en, form, manufacturer, country, source_cell_type,"
	         " storage_min_c, storage_max_c, excursion_allowance_minutes, shelf_life_days, price_jpy, tax_rate_percent,"
	         " units_description, created_at) VALUES (1, 'P', 'クリーム', 'Cream', 'cream', 'Lab', 'JP', 'MSC', 2, 8, 60,"
	         " 365, 22000, 10, '1本', 1795564800);"
	         "INSERT INTO treatment_decisions (id, patient_id, doctor_id, response_id, consent_id, decision, notes, product,"
	         " quantity, directions, valid_until, decided_at, product_id) VALUES"
	         " (1, 1, 3, 1, 1, 'approved', '', 'クリーム', 10, '', '2099-12-31', 1795564800, 1),"
	         " (2, 2, 3, 2, 2, 'approved', '', 'クリーム', 10, '', '2099-12-31', 1795564800, 1);"
	         "INSERT INTO lots (id, product_id, lot_number, manufactured_on, expires_on, quantity_received,"
	         " quantity_available, status, donor_age, donor_screening, storage_location, received_at, received_by)"
	         " VALUES (1, 1, 'L1', '2026-01-01', '2099-01-01', 100, 90, 'released', 30, 'negative', 'f', 1795564800, 3),"
	         " (2, 1, 'L2', '2026-01-01', '2099-01-01', 100, 99, 'released', 30, 'negative', 'f', 1795564800, 3);"
	         "INSERT INTO orders (id, patient_id, decision_id, product_id, quantity, unit_price_jpy, total_jpy, status,"
	         " payment_method, ship_name, ship_postal_code, ship_address, ship_phone, created_at) VALUES"
	         " (1, 2, 2, 1, 1, 22000, 22000, 'dispensed', 'bank_transfer', '佐藤', '100-0001', '東京都千代田区1', '03-1', 1795564800),"
	         " (2, 1, 1, 1, 3, 22000, 66000, 'dispensed', 'bank_transfer', '山田', '150-0001', '東京都渋谷区2', '03-2', 1795564801),"
	         " (3, 2, 2, 1, 1, 22000, 22000, 'dispensed', 'bank_transfer', '佐藤', '100-0001', '東京都千代田区1', '03-1', 1795564802);"
	         "INSERT INTO dispenses (id, order_id, lot_id, quantity, dispensed_at, dispensed_by) VALUES"
	         " (1, 1, 1, 1, 1795568400, 3), (2, 2, 1, 2, 1795568401, 3), (3, 2, 2, 1, 1795568401, 3),"
	         " (4, 3, 1, 1, 1795568402, 3);");
	check_recipients(f, "dispensing");

	exec_sql(f->path, "INSERT INTO shipments (order_id, carrier, tracking_number, shipped_at, recorded_by)"
	                  " VALUES (2, 'ヤマト運輸', '1234', 1795572000, 3)");
	check_recipients(f, "shipping");
	assert_int_equal(store_shipment_delivered(f->s, 2, 1795600000), STORE_OK);
	check_recipients(f, "delivery");

	user_record u;
	assert_int_equal(store_user_by_id(f->s, 2, &u), STORE_OK);
	snprintf(u.name, sizeof u.name, "佐藤 一朗");
	snprintf(u.email, sizeof u.email, "p2-new@example.jp");
	assert_int_equal(store_user_update(f->s, &u), STORE_OK);
	check_recipients(f, "a renamed patient");

	patient_profile pp = {.user_id = 2};
	snprintf(pp.name_kana, sizeof pp.name_kana, "サトウ イチロウ");
	snprintf(pp.birth_date, sizeof pp.birth_date, "1970-02-02");
	snprintf(pp.sex, sizeof pp.sex, "male");
	snprintf(pp.phone, sizeof pp.phone, "090-0000-0002");
	exec_sql(f->path, "INSERT INTO patient_profiles (user_id, name_kana, birth_date, sex, phone)"
	                  " VALUES (2, 'サトウ', '1970-02-02', 'male', '090-0000-0002')");
	check_recipients(f, "a new profile");
	assert_int_equal(store_profile_update(f->s, &pp), STORE_OK);
	check_recipients(f, "a profile's new kana");

	assert_int_equal(store_recall_track_open(f->s, 1, 1795700000), STORE_OK);
	check_recipients(f, "a recall");
	exec_sql(f->path, "UPDATE recall_tracking SET status = 'contacted', notified_at = 1795700100,"
	                  " contacted_at = 1795700200, contact_notes = '電話済み' WHERE dispense_id = 2");
	check_recipients(f, "a follow-up");

	exec_sql(f->path, "UPDATE orders SET ship_address = '東京都千代田区9', ship_phone = '03-9' WHERE id = 1;"
	                  "UPDATE orders SET patient_id = 1 WHERE id = 3;"
	                  "UPDATE dispenses SET quantity = 2 WHERE id = 3");
	check_recipients(f, "changed orders and a changed dispense");
	exec_sql(f->path, "DELETE FROM recall_tracking WHERE dispense_id = 2; DELETE FROM shipments WHERE order_id = 2;"
	                  "DELETE FROM patient_profiles WHERE user_id = 1;"
	                  "DELETE FROM recall_tracking WHERE dispense_id = 1; DELETE FROM dispenses WHERE id = 1");
	check_recipients(f, "deletions");

	/* The migration's own fill: remove 0014's objects and its record (and those of the
	 * migrations after it, which migrate runs again), migrate again. */
	char drop[4096] = "DELETE FROM schema_version WHERE version >= 14; DROP TABLE login_devices;"
	                  "DROP TABLE followup_calls; DROP INDEX ae_reports_checkin; ALTER TABLE ae_reports DROP COLUMN checkin_id; DROP TABLE followup_withdrawals; DROP TABLE checkin_symptoms; DROP TABLE checkin_lots; DROP TABLE checkins; DROP TABLE followup_plans;";
#ifdef TEST_PG
	/* 0014's view, table and trigger functions (their triggers go with them). */
	exec_sql(f->path, "DO $$DECLARE r record; BEGIN FOR r IN SELECT proname FROM pg_proc WHERE proname LIKE"
	                  " 'recall\\_recipients%' LOOP EXECUTE 'DROP FUNCTION ' || r.proname || ' CASCADE'; END LOOP;"
	                  " END$$; DROP TABLE recall_recipients; DROP VIEW recall_recipients_joined");
	undo_signal_reports(f->path);
	exec_sql(f->path, "DROP FUNCTION ae_signal_pairs_assessment CASCADE; DROP FUNCTION ae_signal_pairs_lot CASCADE; DROP VIEW ae_signal_pairs_joined; DROP FUNCTION ae_signal_terms; DROP TABLE ae_signal_pairs;");
	exec_sql(f->path, drop);
	undo_clinic_scope(f->path);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM pg_class WHERE relname LIKE 'recall\\_recipients%'"), 0);
#else
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT upper(type), name FROM sqlite_master"
	                                        " WHERE name LIKE 'recall_recipients%' AND type <> 'index'", -1, &st, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		snprintf(drop + strlen(drop), sizeof drop - strlen(drop), "DROP %s %s;", sqlite3_column_text(st, 0),
		         sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(db);
	undo_signal_reports(f->path);
	exec_sql(f->path, "DROP TRIGGER ae_signal_pairs_assessment; DROP TRIGGER ae_signal_pairs_lot; DROP TRIGGER ae_signal_pairs_lot_gone; DROP TRIGGER ae_signal_pairs_lot_changed; DROP VIEW ae_signal_pairs_joined; DROP TABLE ae_signal_pairs;");
	exec_sql(f->path, drop);
	undo_clinic_scope(f->path);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'recall_recipients%'"), 0);
#endif
	int version;
	assert_int_equal(store_migrate(f->s, &version), STORE_OK);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM recall_recipients"), 3);
	check_recipients(f, "migrating a database with dispenses");
}

static store_schema_state schema_state(store *s, store_schema_status *st)
{
	assert_int_equal(store_schema_check(s, st), STORE_OK);
	return st->state;
}

static void test_schema_check_states(void **state)
{
	fixture *f = *state;
	store_schema_status st;
	int newest = sqlite_migrations[sqlite_migrations_count - 1].version;
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_CURRENT);
	assert_int_equal(st.version, newest);
	assert_int_equal(st.known_version, newest);

	undo_signal_reports(f->path);
	undo_clinic_scope(f->path);
	exec_sql(f->path, "DELETE FROM schema_version WHERE version >= 18");
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_OLDER);
	assert_int_equal(st.version, 17);
	int version = 0;
	assert_int_equal(store_migrate(f->s, &version), STORE_OK);
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_CURRENT);

	/* Damaged: each missing kind of object is named. */
#ifdef TEST_PG
	exec_sql(f->path, "DROP TRIGGER audit_log_no_delete ON audit_log; ALTER TABLE users DROP COLUMN lang;"
	                  " DROP TABLE logger_silences");
#else
	exec_sql(f->path, "DROP TRIGGER audit_log_no_delete; ALTER TABLE users DROP COLUMN lang; DROP TABLE logger_silences");
#endif
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_DAMAGED);
	assert_non_null(strstr(st.missing, "table logger_silences"));
	assert_non_null(strstr(st.missing, "column users.lang"));
	assert_non_null(strstr(st.missing, "trigger audit_log_no_delete"));
	char msg[1024];
	assert_int_equal(store_schema_usable(f->s, "x.db", true, NULL, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, "x.db is damaged"));

	/* Newer wins over damaged: its objects are not this program's to judge. */
	exec_sql(f->path, "INSERT INTO schema_version VALUES (999, '0999_future.sql', 0)");
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_NEWER);
	assert_int_equal(st.version, 999);
}

static void test_schema_check_empty_and_foreign(void **state)
{
	fixture *f = *state;
#ifdef TEST_PG
	/* A new database is empty; another program's table without a version table is damaged.
	 * (A missing database is the server's to refuse: nothing is created by opening.) */
	{
	char url[256], err[512];
	assert_int_equal(test_pg_create_db(url, sizeof url), 0);
	store *s = store_pg_open(url, STORE_OPEN_EXISTING, err, sizeof err);
	assert_non_null(s);
	store_schema_status st;
	assert_int_equal(schema_state(s, &st), STORE_SCHEMA_EMPTY);
	exec_sql(url, "CREATE TABLE notes (x INTEGER)");
	assert_int_equal(schema_state(s, &st), STORE_SCHEMA_DAMAGED);
	assert_string_equal(st.missing, "table schema_version");
	store_close(s);
	assert_int_equal(test_pg_drop_db(url), 0);
	(void)f;
	return;
	}
#endif
	char path[160], err[512];
	snprintf(path, sizeof path, "%s/empty.db", f->dir);
	/* Without CREATE a missing file is refused and not made. */
	assert_null(store_sqlite_open_mode(path, STORE_OPEN_EXISTING, err, sizeof err));
	assert_non_null(strstr(err, "does not exist"));
	assert_null(store_sqlite_open_mode(path, STORE_OPEN_READ_ONLY, err, sizeof err));
	assert_int_equal(access(path, F_OK), -1);
	store *s = store_sqlite_open_mode(path, STORE_OPEN_CREATE, err, sizeof err);
	assert_non_null(s);
	store_schema_status st;
	assert_int_equal(schema_state(s, &st), STORE_SCHEMA_EMPTY);
	/* Some other program's tables and no version table: damaged, never initialised over. */
	exec_sql(path, "CREATE TABLE notes (x)");
	assert_int_equal(schema_state(s, &st), STORE_SCHEMA_DAMAGED);
	assert_string_equal(st.missing, "table schema_version");
	store_close(s);
	unlink(path);
}

static void test_snapshot_and_read_only(void **state)
{
	fixture *f = *state;
	user_record u = make_user("snap@clinic.example", ROLE_DOCTOR);
	assert_int_equal(store_user_insert(f->s, &u), STORE_OK);
	char copy[160], err[512];
#ifdef TEST_PG
	/* No copy by exosafe (pg_dump does it); a read-only connection reads and cannot write. */
	snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
	assert_int_equal(store_snapshot_to(f->s, copy), STORE_ERROR);
	assert_non_null(strstr(f->s->errmsg, "pg_dump"));
	store *c = store_pg_open(f->path, STORE_OPEN_READ_ONLY, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(store_integrity_check(c), STORE_OK);
	store_schema_status st;
	assert_int_equal(schema_state(c, &st), STORE_SCHEMA_CURRENT);
	user_record got;
	assert_int_equal(store_user_by_email(c, "snap@clinic.example", &got), STORE_OK);
	user_record other = make_user("no@clinic.example", ROLE_DOCTOR);
	assert_int_not_equal(store_user_insert(c, &other), STORE_OK);
	store_close(c);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM users WHERE email = 'no@clinic.example'"), 0);
#else
	snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
	assert_int_equal(store_snapshot_to(f->s, copy), STORE_OK);
	store *c = store_sqlite_open_mode(copy, STORE_OPEN_READ_ONLY, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(store_integrity_check(c), STORE_OK);
	store_schema_status st;
	assert_int_equal(schema_state(c, &st), STORE_SCHEMA_CURRENT);
	user_record got;
	assert_int_equal(store_user_by_email(c, "snap@clinic.example", &got), STORE_OK);
	/* Read-only means read-only: a write fails and changes nothing. */
	user_record other = make_user("no@clinic.example", ROLE_DOCTOR);
	assert_int_not_equal(store_user_insert(c, &other), STORE_OK);
	store_close(c);
	assert_int_equal(scalar(copy, "SELECT count(*) FROM users WHERE email = 'no@clinic.example'"), 0);
#endif
}

/* --db names SQLite or PostgreSQL, and messages never show a password. */
static void test_db_url_and_label(void **state)
{
	(void)state;
	char b[256];
	assert_true(store_db_is_url("postgres://u:p@h/db"));
	assert_true(store_db_is_url("postgresql://h/db"));
	assert_true(store_db_is_url("host=h dbname=x password=secret"));
	assert_false(store_db_is_url("var/exosafe.db"));
	assert_string_equal(store_db_label("var/exosafe.db", b, sizeof b), "var/exosafe.db");
	assert_string_equal(store_db_label("postgres://user:s3cret@host:5432/db", b, sizeof b),
	                    "postgres://user:***@host:5432/db");
	assert_string_equal(store_db_label("postgresql://user@host/db?password=s3cret&sslmode=require", b, sizeof b),
	                    "postgresql://user@host/db?password=***&sslmode=require");
	assert_string_equal(store_db_label("host=h password='a b' dbname=x", b, sizeof b), "host=h password=*** dbname=x");
	assert_string_equal(store_db_label("postgres://host/db", b, sizeof b), "postgres://host/db");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_is_idempotent_and_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_roundtrip_and_unique_email, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounts_create_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_and_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_log_is_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_written_by_store_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clinic_profile_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recall_recipients_match_their_definition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_check_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_check_empty_and_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_and_read_only, setup, teardown),
		cmocka_unit_test(test_db_url_and_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
