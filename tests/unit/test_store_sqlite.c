/* The SQLite store: migrations, uniqueness, transactions that leave nothing behind on
 * rollback, sessions, log-in failures and the append-only audit log. */
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
static long long scalar(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

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
	login_attempt good = {"d@clinic.example", "correct horse battery", "127.0.0.1"};
	login_attempt bad = {"d@clinic.example", "wrong password!", "127.0.0.1"};
	login_attempt unknown = {"x@clinic.example", "whatever-password", "127.0.0.1"};
	int64_t now = 1795564800;
	assert_int_equal(accounts_login(f->s, &lim, &good, now, &out), ACCOUNTS_OK);
	assert_int_equal(out.id, u.id);
	assert_int_equal(accounts_login(f->s, &lim, &unknown, now, &out), ACCOUNTS_BAD_CREDENTIALS);
	for (int i = 0; i < 3; i++)
		assert_int_equal(accounts_login(f->s, &lim, &bad, now, &out), ACCOUNTS_BAD_CREDENTIALS);
	/* Even the right password is refused while throttled... */
	assert_int_equal(accounts_login(f->s, &lim, &good, now + 10, &out), ACCOUNTS_THROTTLED);
	/* ...and accepted once the window has passed. */
	assert_int_equal(accounts_login(f->s, &lim, &good, now + 901, &out), ACCOUNTS_OK);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'"), 4);
	/* Failures past the window can be forgotten; the audit rows stay. */
	assert_true(scalar(f->path, "SELECT count(*) FROM login_failures") > 0);
	assert_int_equal(store_begin(f->s), STORE_OK);
	assert_int_equal(store_login_failure_purge(f->s, now + 1), STORE_OK);
	assert_int_equal(store_commit(f->s), STORE_OK);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM login_failures"), 0);
	assert_int_equal(scalar(f->path, "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'"), 4);
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
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_log SET object = 'x:9' WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
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
	assert_int_equal(p.id, CLINIC_ID_DEFAULT);
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


/* Runs statements on a second connection. */
static void exec_on(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
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

	/* Older: the last migration's objects and its row gone (0013 adds indexes only). */
	exec_on(f->path, "DROP INDEX audit_log_at; DROP INDEX audit_log_action; DROP INDEX audit_log_object;"
	                 " DROP INDEX audit_log_actor; DELETE FROM schema_version WHERE version = 13");
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_OLDER);
	assert_int_equal(st.version, 12);
	int version = 0;
	assert_int_equal(store_migrate(f->s, &version), STORE_OK);
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_CURRENT);

	/* Damaged: each missing kind of object is named. */
	exec_on(f->path, "DROP TRIGGER audit_log_no_delete; ALTER TABLE users DROP COLUMN lang; DROP TABLE logger_silences");
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_DAMAGED);
	assert_non_null(strstr(st.missing, "table logger_silences"));
	assert_non_null(strstr(st.missing, "column users.lang"));
	assert_non_null(strstr(st.missing, "trigger audit_log_no_delete"));
	char msg[1024];
	assert_int_equal(store_schema_usable(f->s, "x.db", true, NULL, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, "x.db is damaged"));

	/* Newer wins over damaged: its objects are not this program's to judge. */
	exec_on(f->path, "INSERT INTO schema_version VALUES (999, '0999_future.sql', 0)");
	assert_int_equal(schema_state(f->s, &st), STORE_SCHEMA_NEWER);
	assert_int_equal(st.version, 999);
}

static void test_schema_check_empty_and_foreign(void **state)
{
	fixture *f = *state;
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
	exec_on(path, "CREATE TABLE notes (x)");
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
		cmocka_unit_test_setup_teardown(test_schema_check_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_check_empty_and_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_and_read_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
