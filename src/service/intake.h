/* The telemedicine intake journey: publishing consultation slots, booking, the
 * questionnaire with its screening flags, informed consent, and the doctor's decision.
 * Each operation is one transaction with its audit rows, or changes nothing.
 * Those that tell the patient by e-mail take the mail settings (service/mail_events.h) and
 * queue the mail in the same transaction; NULL queues none. */
#ifndef EXOSAFE_INTAKE_H
#define EXOSAFE_INTAKE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/questionnaire.h"
#include "service/mail_events.h"
#include "service/service.h"
#include "service/intake_catalog.h"
#include "core/slot_pattern.h"
#include "store/store.h"

/* The questionnaire and consent the clinic uses for its product. */
#define INTAKE_QUESTIONNAIRE_ID "exosome-cream"
#define INTAKE_CONSENT_ID "exosome-cream-consent"

typedef enum intake_rc {
	INTAKE_OK = 0,
	INTAKE_NOT_FOUND,              /* no such object, or not the caller's */
	INTAKE_INVALID,                /* a value out of its rules; *field_out names it */
	INTAKE_SLOT_TAKEN,             /* booked by someone else */
	INTAKE_SLOT_PAST,              /* starts before now */
	INTAKE_SLOT_TOO_FAR,           /* starts more than INTAKE_SLOT_MAX_AHEAD_SECONDS after now */
	INTAKE_SLOT_OVERLAP,           /* publishing over an existing slot */
	INTAKE_SLOT_BOOKED,            /* deleting a slot that has bookings */
	INTAKE_ALREADY_BOOKED,         /* the patient has an upcoming call already */
	INTAKE_TOO_LATE,               /* cancel/reschedule after the cut-off */
	INTAKE_QUESTIONNAIRE_OUTDATED, /* answers to, or a decision on, a version that is not current */
	INTAKE_QUESTIONNAIRE_EXPIRED,  /* answers older than the validity period */
	INTAKE_INVALID_ANSWERS,        /* see the answer errors */
	INTAKE_CONSENT_OUTDATED,       /* accepting a version that is not current */
	INTAKE_CONSENT_MISMATCH,       /* the hash is not that of the text shown */
	INTAKE_CONSENT_REQUIRED,       /* approving without a current consent in force */
	INTAKE_NO_CONSENT,             /* withdrawing when none is in force */
	INTAKE_RESPONSE_SUPERSEDED,    /* deciding on a response that is not the patient's latest */
	INTAKE_ALREADY_DECIDED,
	INTAKE_OVERRIDE_REQUIRED,      /* approving over a block or answer-changed flag without a written reason */
	INTAKE_CALL_TOO_EARLY,         /* recording a call before the booked slot has started */
	INTAKE_CALL_ALREADY_HELD,      /* the booking's call is already recorded as held */
	INTAKE_CALL_REQUIRED,          /* approving without a held call and without a written reason */
	INTAKE_ERROR,                  /* storage failure; store->errmsg says why */
	INTAKE_RC_COUNT, /* not a result: how many there are (the HTTP error table has one row each) */
} intake_rc;

typedef struct intake_policy {
	int64_t cutoff_seconds;          /* cancel/reschedule until this long before the call */
	int64_t questionnaire_valid_seconds;
} intake_policy;

/* How far ahead a slot may start: a year (366 days, a leap year included). Clinics open their
 * calendars weeks or months ahead; a slot in 9999 is a typo, and no one can book it. */
#define INTAKE_SLOT_MAX_AHEAD_SECONDS (INT64_C(366) * 86400)

/* Publishes slots of slot_minutes each from start to end for doctor_id; all or none. A start
 * at or before now is INTAKE_SLOT_PAST, one more than INTAKE_SLOT_MAX_AHEAD_SECONDS after now
 * INTAKE_SLOT_TOO_FAR.
 * Errors: INTAKE_NOT_FOUND, INTAKE_INVALID, INTAKE_SLOT_PAST, INTAKE_SLOT_TOO_FAR,
 *         INTAKE_SLOT_OVERLAP, INTAKE_ERROR. */
intake_rc intake_publish_slots(store *s, const actor *by, int64_t doctor_id, int64_t start, int64_t end,
                               int slot_minutes, int64_t now, int *created_out);

/* What publishing a weekly pattern did, or would do (a preview). */
typedef struct slot_pattern_result {
	int created;                   /* slots made (a preview: that would be made) */
	int skipped_existing;          /* overlapping a slot the doctor already has: left as it is */
	int skipped_past;              /* starting at or before now */
	int64_t *starts;               /* every slot of the pattern, ascending (heap, caller frees) */
	unsigned char *fate;           /* per start: 'c' created, 'e' existing, 'p' past (heap, caller frees) */
	size_t count;
} slot_pattern_result;

/* Publishes a weekly pattern of slots for doctor_id in one transaction: every slot of the
 * pattern that does not overlap one the doctor already has and has not started; those are
 * skipped and counted. With preview, computes the same and writes nothing. Bad input is
 * INTAKE_INVALID with *field and *reason (a message key) set; a slot more than
 * INTAKE_SLOT_MAX_AHEAD_SECONDS ahead INTAKE_SLOT_TOO_FAR; INTAKE_NOT_FOUND when doctor_id is
 * not a doctor. out's arrays are the caller's to free, also on error (then NULL).
 * Errors: INTAKE_NOT_FOUND, INTAKE_INVALID, INTAKE_SLOT_TOO_FAR, INTAKE_SLOT_OVERLAP, INTAKE_ERROR. */
intake_rc intake_publish_pattern(store *s, const actor *by, int64_t doctor_id, const slot_pattern *p, bool preview,
                                 int64_t now, slot_pattern_result *out, const char **field, const char **reason);
/* Deletes a published slot that nobody has booked.
 * Errors: INTAKE_NOT_FOUND, INTAKE_SLOT_BOOKED, INTAKE_ERROR. */
intake_rc intake_delete_slot(store *s, const actor *by, int64_t slot_id);

/* Books a free, future slot for the patient (one upcoming call at a time).
 * Errors: INTAKE_NOT_FOUND, INTAKE_SLOT_TAKEN, INTAKE_SLOT_PAST, INTAKE_ALREADY_BOOKED,
 *         INTAKE_ERROR. */
intake_rc intake_book(store *s, const mail_settings *mail, const actor *patient, int64_t slot_id, int64_t now,
                      booking_record *out);
/* Cancels the patient's own booking, until p->cutoff_seconds before the call.
 * Errors: INTAKE_NOT_FOUND, INTAKE_TOO_LATE, INTAKE_ERROR. */
intake_rc intake_cancel(store *s, const mail_settings *mail, const actor *patient, const intake_policy *p,
                        int64_t booking_id, int64_t now);
/* Moves a booking to another free slot in one transaction.
 * Errors: INTAKE_NOT_FOUND, INTAKE_SLOT_TAKEN, INTAKE_SLOT_PAST, INTAKE_TOO_LATE, INTAKE_ERROR. */
intake_rc intake_reschedule(store *s, const mail_settings *mail, const actor *patient, const intake_policy *p,
                            int64_t booking_id, int64_t new_slot_id, int64_t now, booking_record *out);

/* Validates answers against the named version (which must be current), evaluates the
 * screening rules and stores both. The age rules use the age from the date of birth on file
 * (a different answered age is a needs-attention flag); every block or needs-attention flag
 * of the patient's earlier versions submitted within p->questionnaire_valid_seconds that
 * these answers no longer raise adds an "answer-changed" flag that needs an override reason
 * to approve (see answer_history.h). On INTAKE_INVALID_ANSWERS, errors[0..*error_count) say
 * which items and why.
 * Errors: INTAKE_NOT_FOUND, INTAKE_QUESTIONNAIRE_OUTDATED, INTAKE_INVALID_ANSWERS, INTAKE_ERROR. */
intake_rc intake_submit_answers(store *s, const intake_catalog *cat, const intake_policy *p, const actor *patient,
                                const char *questionnaire_id, int version, const json_t *answers, int64_t now,
                                answer_error *errors, int max_errors, int *error_count, response_record *out);

/* Records acceptance of the consent text the patient was shown: version must be current and
 * sha256 must be the hash of that version's text in lang.
 * Errors: INTAKE_NOT_FOUND, INTAKE_INVALID, INTAKE_CONSENT_OUTDATED, INTAKE_CONSENT_MISMATCH,
 *         INTAKE_ERROR. */
intake_rc intake_accept_consent(store *s, const intake_catalog *cat, const actor *patient, const char *consent_id,
                                int version, const char *lang, const char *sha256, int64_t now, consent_record *out);
/* Withdraws the patient's consent in force.
 * Errors: INTAKE_NO_CONSENT, INTAKE_ERROR. */
intake_rc intake_withdraw_consent(store *s, const actor *patient, int64_t now);

/* True when c is in force and is the current version of the clinic's consent. */
bool intake_consent_current(const intake_catalog *cat, const consent_record *c);

/* Records the outcome of a booked call: held (called_at: when it started) or not_reached
 * (called_at: the attempt); called_at 0 means now. The booking must be live and its slot must
 * have started (INTAKE_CALL_TOO_EARLY), called_at must lie between the slot's start and now
 * (INTAKE_INVALID, field "called_at"), a held call needs notes (field "notes"), and a booking's
 * call is held once (INTAKE_CALL_ALREADY_HELD). One transaction with its audit row.
 * Errors: INTAKE_NOT_FOUND, INTAKE_INVALID, INTAKE_CALL_TOO_EARLY, INTAKE_CALL_ALREADY_HELD,
 *         INTAKE_ERROR. */
intake_rc intake_record_call(store *s, const actor *doctor, int64_t booking_id, const char *outcome, int64_t called_at,
                             const char *notes, int64_t now, call_record *out, const char **field_out);

/* Where a patient stands with the clinic's consent, from their latest acceptance c (NULL when
 * they have none): "current" (in force, current version), "outdated" (in force, but an older
 * version: they must read and accept the current one before their next order), "withdrawn" or
 * "none". Returns a static string. */
const char *intake_consent_state(const intake_catalog *cat, const consent_record *c);

typedef struct decision_input {
	int64_t response_id;
	bool approve;
	const char *notes;
	int64_t product_id;            /* approvals: an existing product */
	int quantity;
	const char *directions;
	const char *valid_until;       /* YYYY-MM-DD */
	const char *decline_reason;
	const char *override_reason;
	const char *no_call_reason;    /* approvals without a held call: why the doctor approves anyway */
} decision_input;

/* Records a doctor's decision on a patient's latest questionnaire response. An approval needs
 * a held call with this patient no longer ago than the questionnaire's validity period (the
 * decision names it), or a no_call_reason (else INTAKE_CALL_REQUIRED); a decline needs
 * neither.
 * Errors: INTAKE_NOT_FOUND, INTAKE_INVALID, INTAKE_QUESTIONNAIRE_OUTDATED,
 *         INTAKE_QUESTIONNAIRE_EXPIRED, INTAKE_CONSENT_REQUIRED, INTAKE_RESPONSE_SUPERSEDED,
 *         INTAKE_ALREADY_DECIDED, INTAKE_OVERRIDE_REQUIRED, INTAKE_CALL_REQUIRED, INTAKE_ERROR. */
intake_rc intake_decide(store *s, const mail_settings *mail, const intake_catalog *cat, const intake_policy *p,
                        const actor *doctor, int64_t patient_id, const decision_input *in, int64_t now,
                        decision_record *out, const char **field_out);

#endif
