/* The fault-injection run's shared parts (tests/fault/test_fault.c runs them): the world every
 * row starts from and the rows, one table per area (fault_ops_people.c, fault_ops_stock.c). */
#ifndef EXOSAFE_TEST_FAULT_H
#define EXOSAFE_TEST_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "core/credentials.h"
#include "service/accounts.h"
#include "service/intake.h"
#include "service/mail_events.h"
#include "store/store.h"

#define DAY 86400
#define PATIENT_PASSWORD "patient-pass-1234"

#define PATIENT_PASSWORD "patient-pass-1234"

/* The ids and settings every row may use; a row's setup may add to its own copy. */
typedef struct world {
	int64_t t0;
	intake_catalog *cat;
	server_config cfg;
	mail_settings mail;  /* from cfg: patients' mails are queued, so their faults are covered */
	intake_policy policy;
	actor system, admin, doctor, pharmacist, patient, patient2;
	int64_t product_id, lot_id, unit_id, logger_id;
	int64_t slot_id, booking_id, response_id, decision_id;
	/* Filled by row setups: */
	int64_t order_id, slot2_id, booking2_id, track_id, report_id, report2_id, alert_id, mail_id;
	int64_t checkin_id;
	session_record session;
	char token[TOKEN_TEXT_MAX];
	char device[TOKEN_TEXT_MAX];     /* a device cookie given at a log-in (accounts_login) */
	char reset_token[TOKEN_TEXT_MAX];
} world;

typedef struct fault_op {
	const char *name;
	/* On the real store: brings the world's copy to the state the operation needs (NULL: none). */
	int (*setup)(store *s, world *w);
	/* The operation: 0 when it had its normal outcome, non-zero otherwise. */
	int (*run)(store *s, world *w);
	/* Transactions the operation commits by design (0 or 1: all or nothing). */
	int units;
	/* A failed call may be passed over when nothing was written: the outcome is the same (an
	 * expired session is refused whether or not its row could be purged). */
	bool best_effort;
} fault_op;

/* The rows of each area and how many. */
extern const fault_op fault_ops_people[];
extern const size_t fault_ops_people_count;
extern const fault_op fault_ops_stock[];
extern const size_t fault_ops_stock_count;

/* Builds the world on an empty, migrated store; 0 or -1 (a message on stderr). */
int world_build(store *s, world *w);

/* Shared by the rows: a setup failure's message (returns -1), a published slot, answers and
 * consent, and the setups that rows of both areas start from. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t slot_at(store *s, world *w, int64_t t, int64_t now);
int submit_answers(store *s, world *w, const actor *patient, int64_t now, int64_t *id_out);
int accept_consent(store *s, world *w, const actor *patient, int64_t now);
int setup_session(store *s, world *w);
int setup_booked(store *s, world *w);
int setup_order(store *s, world *w);
int setup_shipped(store *s, world *w);

#endif
