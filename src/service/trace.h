/* Traceability operations: products and lots, release through the lot state machine,
 * orders under a doctor's approval, first-expiry-first-out dispensing, shipping, and recall.
 * Each is one transaction with its audit rows, or changes nothing.
 * Those that tell the patient by e-mail take the mail settings (service/mail_events.h) and
 * queue the mail in the same transaction; NULL queues none. */
#ifndef EXOSAFE_TRACE_H
#define EXOSAFE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/lot_state.h"
#include "service/mail_events.h"
#include "service/service.h"
#include "service/intake_catalog.h"
#include "store/store.h"

typedef enum trace_rc {
	TRACE_OK = 0,
	TRACE_NOT_FOUND,
	TRACE_INVALID,              /* *field_out names the field */
	TRACE_CONFLICT,             /* a product code or lot number already taken */
	TRACE_ILLEGAL_TRANSITION,
	TRACE_TESTS_MISSING,        /* release without every required test passed with a certificate */
	TRACE_NEEDS_PHARMACIST,
	TRACE_NO_APPROVAL,          /* ordering without a valid approval (or with consent withdrawn) */
	TRACE_CONSENT_OUTDATED,     /* ordering while the consent in force is an older version */
	TRACE_OVER_APPROVAL,        /* more than the approval leaves */
	TRACE_ADDRESS_REQUIRED,     /* the patient's profile has no postal address */
	TRACE_ORDER_STATE,          /* the order is not in a state that allows this */
	TRACE_NOT_PAID,
	TRACE_NO_STOCK,             /* no eligible lot has enough units */
	TRACE_DUPLICATE,            /* the same file is already on record (certificate_use says where) */
	TRACE_ERROR,
	TRACE_RC_COUNT, /* not a result: how many there are (the HTTP error table has one row each) */
} trace_rc;

#define LOT_REQUIRED_TEST_COUNT 6
extern const char *const lot_required_tests[LOT_REQUIRED_TEST_COUNT];

/* Creates a product; fills p->id. TRACE_CONFLICT: the code is taken.
 * Errors: TRACE_CONFLICT, TRACE_ERROR. */
trace_rc trace_create_product(store *s, const actor *by, product_record *p, int64_t now);
/* Receives a lot (status received; the first transition is recorded).
 * Errors: TRACE_INVALID, TRACE_CONFLICT, TRACE_ERROR. */
trace_rc trace_receive_lot(store *s, const actor *by, lot_record *lot, int64_t now, const char **field_out);
/* Stores a certificate file (PDF, PNG or JPEG, checked by its bytes, at most max_bytes).
 * A file whose SHA-256 is already on record (for this or any lot) is TRACE_DUPLICATE, with
 * *dup_out naming the earlier certificate, its lot and test, unless duplicate_reason (the
 * uploading pharmacist's confirmation, at least CERTIFICATE_DUPLICATE_REASON_MIN characters)
 * is given: then it is stored with the reason and the copy it repeats, and audited.
 * Errors: TRACE_NOT_FOUND, TRACE_INVALID, TRACE_DUPLICATE, TRACE_ERROR. */
trace_rc trace_add_certificate(store *s, const actor *by, int64_t lot_id, const char *filename, const unsigned char *data,
                               size_t len, size_t max_bytes, const char *duplicate_reason, int64_t now,
                               certificate_record *out, certificate_use *dup_out, const char **field_out);
#define CERTIFICATE_DUPLICATE_REASON_MIN 5
/* Records a release test result. A certificate whose file (by SHA-256) already proves a test of
 * another kind or another lot is TRACE_DUPLICATE with *dup_out naming it, unless
 * t->duplicate_reason (the pharmacist's, at least CERTIFICATE_DUPLICATE_REASON_MIN characters)
 * is given; it is then stored and audited.
 * Errors: TRACE_NOT_FOUND, TRACE_INVALID, TRACE_DUPLICATE, TRACE_ERROR. */
trace_rc trace_record_test(store *s, const actor *by, lot_test_record *t, int64_t now, certificate_use *dup_out,
                           const char **field_out);
/* Moves a lot through the state machine; actor id 0 is the system.
 * Errors: TRACE_NOT_FOUND, TRACE_INVALID, TRACE_ILLEGAL_TRANSITION, TRACE_TESTS_MISSING,
 *         TRACE_NEEDS_PHARMACIST, TRACE_ERROR. */
trace_rc trace_transition(store *s, const actor *by, int64_t lot_id, lot_status to, const char *reason, int64_t now);
/* The same inside the caller's transaction, for a change that must not stand without the lot's
 * transition (an alert that quarantines, a disposition that releases). The caller rolls back
 * on any result other than TRACE_OK.
 * Errors: as trace_transition. */
trace_rc trace_transition_in_tx(store *s, const actor *by, int64_t lot_id, lot_status to, const char *reason,
                                int64_t now);
/* Marks released lots past their expiry date as expired (by the system).
 * Errors: TRACE_ERROR. */
trace_rc trace_expire_due(store *s, int64_t now);
/* The lots numbered lot_number, of product_code unless it is NULL (a number may repeat across
 * products): the first max of them in out, how many there are in *count.
 * Errors: TRACE_ERROR. */
trace_rc trace_find_lots(store *s, const char *lot_number, const char *product_code, lot_record *out, int max,
                         int *count);
/* Which required tests a lot lacks (latest record per kind passed, with a certificate);
 * writes their names to missing (up to LOT_REQUIRED_TEST_COUNT) and returns the count. */
int trace_missing_tests(store *s, int64_t lot_id, const char *missing[LOT_REQUIRED_TEST_COUNT]);

/* Places the patient's order under their current approval (quantity 1..12, a known payment
 * method); *field_out names an invalid field.
 * Errors: TRACE_INVALID, TRACE_NO_APPROVAL, TRACE_CONSENT_OUTDATED, TRACE_OVER_APPROVAL,
 *         TRACE_ADDRESS_REQUIRED, TRACE_ERROR. */
trace_rc trace_place_order(store *s, const mail_settings *mail, const intake_catalog *cat, const actor *patient,
                           int quantity, const char *method_code, int64_t now, order_record *out,
                           const char **field_out);
/* Cancels an order before dispensing (a paid one is audited as "refund due").
 * Errors: TRACE_NOT_FOUND, TRACE_ORDER_STATE, TRACE_ERROR. */
trace_rc trace_cancel_order(store *s, const actor *by, int64_t order_id, int64_t now);
/* Records an order's payment with the method's reference (checked by the method; cash on
 * delivery once shipped). *field_out names an invalid field.
 * Errors: TRACE_NOT_FOUND, TRACE_INVALID, TRACE_ORDER_STATE, TRACE_ERROR. */
trace_rc trace_record_payment(store *s, const actor *by, int64_t order_id, const char *reference, int64_t now,
                              const char **field_out);
/* Dispenses an order first-expiry-first-out from released lots that expire more than
 * margin_days after today; a lot left empty becomes depleted.
 * Errors: TRACE_NOT_FOUND, TRACE_ORDER_STATE, TRACE_NOT_PAID, TRACE_NO_STOCK, TRACE_ERROR. */
trace_rc trace_dispense(store *s, const actor *by, int64_t order_id, int margin_days, int64_t now);
/* Ships a dispensed order; a logger_id must be a known logger (else TRACE_INVALID).
 * Errors: TRACE_NOT_FOUND, TRACE_INVALID, TRACE_ORDER_STATE, TRACE_ERROR. */
trace_rc trace_ship(store *s, const mail_settings *mail, const actor *by, int64_t order_id, const char *carrier,
                    const char *tracking, const char *logger_id, int64_t now);
/* Marks a shipped order delivered.
 * Errors: TRACE_NOT_FOUND, TRACE_ORDER_STATE, TRACE_ERROR. */
trace_rc trace_deliver(store *s, const actor *by, int64_t order_id, int64_t now);

/* Recalls a lot (no-op on the status when already recalled), opens a follow-up row for every
 * recipient (service/recall.h) and audits it, in one transaction.
 * Errors: TRACE_NOT_FOUND, TRACE_INVALID, TRACE_ILLEGAL_TRANSITION, TRACE_NEEDS_PHARMACIST,
 *         TRACE_ERROR. */
trace_rc trace_recall(store *s, const mail_settings *mail, const actor *by, int64_t lot_id, const char *reason,
                      int64_t now);

#endif
