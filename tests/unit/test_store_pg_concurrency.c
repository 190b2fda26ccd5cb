/* Writers on several PostgreSQL connections at once (store_pg.c serialises them with an
 * advisory lock, as SQLite serialises its writers): four threads, each with its own store,
 * append audit rows and try to book the same slot. The audit chain must verify (every row
 * linked to the one before, ids without gaps) and exactly one booking must win. Run through
 * scripts/with-pg.sh; skipped without EXOSAFE_TEST_PG_URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit_chain.h"
#include "store/migration.h"
#include "store/store.h"

#include "testutil_pg.h"

#define THREADS 4
#define ROUNDS 40

typedef struct worker {
	const char *url;
	int64_t patient_id, slot_id;
	int index;
	int booked;        /* bookings this thread won */
	int conflicts;     /* bookings refused: the slot was taken */
	int errors;
	char err[512];
} worker;

static int64_t add_user(store *s, const char *email, user_role role)
{
	user_record u = {0};
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.name, sizeof u.name, "テスト");
	snprintf(u.password_hash, sizeof u.password_hash, "x");
	u.role = role;
	u.created_at = 1795564800;
	assert_int_equal(store_user_insert(s, &u), STORE_OK);
	return u.id;
}

static void *work(void *arg)
{
	worker *w = arg;
	store *s = store_pg_open(w->url, STORE_OPEN_EXISTING, w->err, sizeof w->err);
	if (s == NULL) {
		w->errors++;
		return NULL;
	}
	for (int i = 0; i < ROUNDS; i++) {
		char object[32];
		snprintf(object, sizeof object, "worker:%d:%d", w->index, i);
		if (store_audit_now(s, w->patient_id, ROLE_PATIENT, "test.write", object, "") != STORE_OK) {
			snprintf(w->err, sizeof w->err, "audit: %s", s->errmsg);
			w->errors++;
		}
		/* A booking with its audit row, in one transaction, as intake_book does. */
		if (i % 10 == 0) {
			if (store_begin(s) != STORE_OK) {
				w->errors++;
				continue;
			}
			booking_record b = {.slot_id = w->slot_id, .patient_id = w->patient_id, .created_at = 1795564800 + i};
			store_rc rc = store_booking_insert(s, &b);
			audit_row row;
			audit_row_make(&row, w->patient_id, ROLE_PATIENT, "booking.create", "slot", "");
			if (rc == STORE_OK && store_audit_append(s, &row) == STORE_OK && store_commit(s) == STORE_OK) {
				w->booked++;
			} else {
				if (rc == STORE_CONFLICT)
					w->conflicts++;
				else {
					snprintf(w->err, sizeof w->err, "booking: %s", s->errmsg);
					w->errors++;
				}
				store_rollback(s);
			}
		}
	}
	store_close(s);
	return NULL;
}

static int verify_feed(void *ctx, const audit_row *r)
{
	audit_verifier_feed(ctx, r);
	return 0;
}

static void test_writers_serialised(void **state)
{
	(void)state;
	if (test_pg_url() == NULL) {
		print_message("EXOSAFE_TEST_PG_URL not set: run through scripts/with-pg.sh\n");
		skip();
	}
	char url[256], err[512];
	assert_int_equal(test_pg_create_db(url, sizeof url), 0);
	store *s = store_pg_open(url, STORE_OPEN_EXISTING, err, sizeof err);
	if (s == NULL)
		fail_msg("%s", err);
	int version;
	assert_int_equal(store_migrate(s, &version), STORE_OK);
	int64_t doctor = add_user(s, "doctor@clinic.example", ROLE_DOCTOR);
	slot_record slot = {.doctor_id = doctor, .starts_at = 1895564800, .duration_minutes = 15,
	                    .created_by = doctor, .created_at = 1795564800};
	assert_int_equal(store_slot_insert(s, &slot), STORE_OK);

	worker w[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		char email[64];
		snprintf(email, sizeof email, "p%d@patient.example", i);
		w[i] = (worker){.url = url, .patient_id = add_user(s, email, ROLE_PATIENT), .slot_id = slot.id, .index = i};
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	int booked = 0, conflicts = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].errors != 0)
			fail_msg("worker %d: %d errors, last: %s", i, w[i].errors, w[i].err);
		booked += w[i].booked;
		conflicts += w[i].conflicts;
	}
	assert_int_equal(booked, 1);
	assert_int_equal(conflicts, THREADS * (ROUNDS / 10) - 1);

	audit_verifier v;
	audit_verifier_init(&v);
	assert_int_equal(store_audit_each(s, verify_feed, &v), STORE_OK);
	assert_false(v.broken);
	assert_int_equal(v.rows_checked, THREADS * ROUNDS + 1);
	store_close(s);
	assert_int_equal(test_pg_drop_db(url), 0);
}

typedef struct migrator {
	const char *url;
	int version;
	store_rc rc;
	char err[512];
} migrator;

static void *migrate_one(void *arg)
{
	migrator *m = arg;
	store *s = store_pg_open(m->url, STORE_OPEN_EXISTING, m->err, sizeof m->err);
	if (s == NULL) {
		m->rc = STORE_ERROR;
		return NULL;
	}
	m->rc = store_migrate(s, &m->version);
	if (m->rc != STORE_OK)
		snprintf(m->err, sizeof m->err, "%s", s->errmsg);
	store_close(s);
	return NULL;
}

/* Servers starting together on a new database: each migration runs once (under the write
 * lock), both end at the newest version. */
static void test_migrations_run_once(void **state)
{
	(void)state;
	if (test_pg_url() == NULL)
		skip();
	char url[256];
	assert_int_equal(test_pg_create_db(url, sizeof url), 0);
	migrator m[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		m[i] = (migrator){.url = url};
		assert_int_equal(pthread_create(&t[i], NULL, migrate_one, &m[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		if (m[i].rc != STORE_OK)
			fail_msg("migrator %d: %s", i, m[i].err);
		assert_int_equal(m[i].version, pg_migrations[pg_migrations_count - 1].version);
	}
	assert_int_equal(test_pg_scalar(url, "SELECT count(*) FROM schema_version"), pg_migrations_count);
	/* A database newer than this program is refused, in SQLite's words. */
	char err[512];
	assert_int_equal(test_pg_exec(url, "INSERT INTO schema_version VALUES (999, '0999_future.sql', 0)", err, sizeof err), 0);
	store *s = store_pg_open(url, STORE_OPEN_EXISTING, err, sizeof err);
	assert_non_null(s);
	int version;
	assert_int_equal(store_migrate(s, &version), STORE_ERROR);
	assert_non_null(strstr(s->errmsg, "is newer than this program knows"));
	store_close(s);
	assert_int_equal(test_pg_drop_db(url), 0);
}

/* The cluster restarts in the middle of a transaction: the transaction fails as a whole
 * (nothing of it is written), and the same store serves the next one on a new connection. */
static void test_store_survives_restart(void **state)
{
	(void)state;
	const char *dir = getenv("EXOSAFE_TEST_PG_DIR");
	if (test_pg_url() == NULL || dir == NULL)
		skip();
	char url[256], err[512];
	assert_int_equal(test_pg_create_db(url, sizeof url), 0);
	store *s = store_pg_open(url, STORE_OPEN_EXISTING, err, sizeof err);
	assert_non_null(s);
	int version;
	assert_int_equal(store_migrate(s, &version), STORE_OK);
	assert_int_equal(store_audit_now(s, 0, ROLE_NONE, "test.before", "", ""), STORE_OK);

	assert_int_equal(store_begin(s), STORE_OK);
	user_record u = {.role = ROLE_DOCTOR, .created_at = 1795564800};
	snprintf(u.email, sizeof u.email, "lost@clinic.example");
	snprintf(u.name, sizeof u.name, "x");
	snprintf(u.password_hash, sizeof u.password_hash, "x");
	assert_int_equal(store_user_insert(s, &u), STORE_OK);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "scripts/pg-cluster.sh restart '%s' >/dev/null", dir);
	assert_int_equal(system(cmd), 0);
	audit_row row;
	audit_row_make(&row, 0, ROLE_NONE, "test.lost", "", "");
	assert_int_equal(store_audit_append(s, &row), STORE_ERROR);
	store_rollback(s);

	assert_int_equal(store_audit_now(s, 0, ROLE_NONE, "test.after", "", ""), STORE_OK);
	int64_t users = -1;
	assert_int_equal(store_user_count(s, &users), STORE_OK);
	assert_int_equal(users, 0);
	audit_verifier v;
	audit_verifier_init(&v);
	assert_int_equal(store_audit_each(s, verify_feed, &v), STORE_OK);
	assert_false(v.broken);
	assert_int_equal(v.rows_checked, 2);
	store_close(s);
	assert_int_equal(test_pg_drop_db(url), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writers_serialised),
		cmocka_unit_test(test_migrations_run_once),
		cmocka_unit_test(test_store_survives_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
