/* Active safety follow-up: cohort event monitoring of the clinic's own patients (issue 17).
 *
 * The schedule. Per product plan (followup_plans; the defaults without one): after each
 * delivery that brings a lot new to the patient, a check-in first_days[i] days after that
 * delivery (3, 14, 30); then, counted from the patient's first delivery of the product, one
 * every repeat_days (91) while the patient keeps receiving it: the k-th repeat, due at entry +
 * k * repeat_days, is asked only when a delivery of the product reached the patient in the
 * repeat interval before it (delivered_at > due - repeat_days).
 *
 * Materialising. followup_tick creates, per patient and product, only the latest slot that is
 * due (due_at <= now) and not older than the link's validity: a tick after a pause does not
 * ask about the past slot by slot. A new check-in closes the patient's older open check-in of
 * the product as 'missed' (the newer question covers the time since; at most one is open, a
 * partial unique index enforces it). Slots skipped this way are never created later (the
 * latest due slot only moves forward), so the tick is idempotent: run twice at the same
 * instant, the second run writes nothing. Open check-ins whose link expired become 'missed'.
 *
 * Each new check-in gets a random link token (32 bytes from libsodium; only its SHA-256 is
 * stored, the link lives link_valid_days after due_at), its lots (those of the latest delivery
 * of the product before due_at) and the checkin_due mail; one checkin_reminder goes out
 * reminder_days after due_at while it is open; open reminder_days after the reminder, it is
 * listed for staff to call (followup_nonresponders).
 *
 * Answers come from the app, the link or a staff call; each is kept, "nothing changed"
 * included. An answer with symptoms returns the prefill of an adverse-event report (the
 * patient confirms it; ae_report with checkin_id). Each answer checks its lots by MaxSPRT
 * (followup_summary.c) and raises the lot alert on a signal. */
#ifndef EXOSAFE_SERVICE_FOLLOWUP_H
#define EXOSAFE_SERVICE_FOLLOWUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "service/ae.h"
#include "service/service.h"
#include "store/store.h"

typedef enum followup_rc {
	FOLLOWUP_OK = 0,
	FOLLOWUP_NOT_FOUND,      /* no such check-in or product, or not the patient's own; an unknown link */
	FOLLOWUP_INVALID,        /* *field_out names the field */
	FOLLOWUP_ANSWERED,       /* the check-in was answered already */
	FOLLOWUP_CLOSED,         /* the check-in is closed (missed or withdrawn) */
	FOLLOWUP_WITHDRAWN,      /* the patient stopped follow-up */
	FOLLOWUP_LINK_EXPIRED,
	FOLLOWUP_NOT_WITHDRAWN,  /* resume without a withdrawal */
	FOLLOWUP_ALREADY_WITHDRAWN,
	FOLLOWUP_ERROR,
	FOLLOWUP_RC_COUNT,       /* not a result: how many there are */
} followup_rc;

/* What follow-up needs from the configuration ([followup], [mail], the AE lot-alert policy). */
typedef struct followup_settings {
	const char *data_dir;      /* mail templates in data_dir/mail/ */
	const char *public_url;    /* base of the links in mails */
	int reminder_days;         /* reminder this long after due; non-responder this long after the reminder */
	int link_valid_days;       /* a link answers this long after due; then the check-in is missed */
	double alpha;              /* MaxSPRT overall alpha */
	double upper_limit;        /* MaxSPRT T: expected events at which surveillance ends */
	int min_events;            /* MaxSPRT M */
	bool quarantine;           /* a lot alert quarantines the lot (the AE policy's setting) */
} followup_settings;

/* The defaults: reminder 3 days, links 14 days, alpha 0.05, T 20, M 2, quarantine on; no
 * data_dir (no mail) and public_url "". */
void followup_settings_defaults(followup_settings *fs);

/* The settings of cfg's [followup], its data folder and [mail] public_url, and the AE policy's
 * quarantine; they point into cfg. */
followup_settings followup_settings_from_config(const server_config *cfg);

/* The default plan (3, 14, 30; 91; not disclosed) for product_id. */
void followup_plan_defaults(followup_plan *p, int64_t product_id);
/* A product's plan: its own or the default. Returns STORE_OK or STORE_ERROR. */
store_rc followup_plan_of(store *s, int64_t product_id, followup_plan *out);

typedef struct followup_tick_counts {
	int64_t created, superseded, expired, mailed, reminded, signals;
} followup_tick_counts;

/* Materialises due check-ins, mails them, sends due reminders, expires old links and checks
 * every lot with answers by MaxSPRT, as of now. Each check-in is its own transaction (with its
 * mail and audit row); idempotent (see the file comment). counts may be NULL. Returns STORE_OK
 * or STORE_ERROR (reason in s->errmsg; what was done before the failure stays done). */
store_rc followup_tick(store *s, const followup_settings *fs, int64_t now, followup_tick_counts *counts);

/* The contract's checkin object (CONTRACT17.md section 5) of c, product name in lang ("ja" |
 * "en"); NULL on a storage or memory failure. */
json_t *followup_checkin_json(store *s, const checkin_record *c, const char *lang);

/* A check-in the actor may see (patients: their own only, else FOLLOWUP_NOT_FOUND).
 * Errors: FOLLOWUP_NOT_FOUND, FOLLOWUP_ERROR. */
followup_rc followup_checkin_visible(store *s, const actor *by, int64_t id, checkin_record *out);

/* GET /me/checkins: {"followup": {...}, "open", "answered", "next_due_at"} for patient_id.
 * Errors: FOLLOWUP_ERROR. */
followup_rc followup_mine(store *s, int64_t patient_id, const char *lang, int64_t now, json_t **out);

typedef struct followup_answer_input {
	bool nothing_changed;
	const json_t *symptoms;    /* [{"symptom", "severity", "still_present"}]; NULL: none */
	const char *note;          /* normalised text or NULL */
} followup_answer_input;

/* Checks an answer without touching the store: nothing_changed with symptoms, neither, an
 * unknown symptom or severity, a symptom twice, a malformed item are FOLLOWUP_INVALID with
 * the field ("symptoms" or "nothing_changed"). */
followup_rc followup_answer_check(const followup_answer_input *in, const char **field_out);

/* Records the answer to check-in id (via "app": the patient, own only; "phone": staff), then
 * checks the check-in's lots by MaxSPRT in the same transaction. On success *out is the
 * check-in as answered and *prefill (when not NULL) the AE report prefill (NULL: no symptoms;
 * the caller decrefs). The database remains unaltered on any refusal.
 * Errors: FOLLOWUP_NOT_FOUND, FOLLOWUP_INVALID, FOLLOWUP_ANSWERED, FOLLOWUP_CLOSED,
 *         FOLLOWUP_WITHDRAWN, FOLLOWUP_ERROR. */
followup_rc followup_answer(store *s, const actor *by, const followup_settings *fs, int64_t id,
                            const followup_answer_input *in, int64_t now, checkin_record *out, json_t **prefill,
                            const char **field_out);

/* The check-in of a link token (FOLLOWUP_NOT_FOUND when unknown, FOLLOWUP_LINK_EXPIRED after
 * its expiry). Errors: FOLLOWUP_NOT_FOUND, FOLLOWUP_LINK_EXPIRED, FOLLOWUP_ERROR. */
followup_rc followup_link_checkin(store *s, const char *token, int64_t now, checkin_record *out);

/* followup_answer through a link (answered_via 'link', the patient as actor).
 * Errors: those of followup_answer and FOLLOWUP_LINK_EXPIRED. */
followup_rc followup_answer_link(store *s, const followup_settings *fs, const char *token,
                                 const followup_answer_input *in, int64_t now, checkin_record *out, json_t **prefill,
                                 const char **field_out);

/* The patient stops follow-up: records it, closes their open check-ins as 'withdrawn',
 * audited. Errors: FOLLOWUP_ALREADY_WITHDRAWN, FOLLOWUP_ERROR. */
followup_rc followup_withdraw(store *s, const actor *by, const char *reason, int64_t now);
/* The patient resumes: later slots are asked again. Errors: FOLLOWUP_NOT_WITHDRAWN, FOLLOWUP_ERROR. */
followup_rc followup_resume(store *s, const actor *by, int64_t now);

/* {"items": [...]} of open check-ins reminded reminder_days or more before now.
 * Errors: FOLLOWUP_ERROR. */
followup_rc followup_nonresponders(store *s, const followup_settings *fs, const char *lang, int64_t now, json_t **out);

/* Records a staff call about check-in id: outcome "answered" (with answers, recorded as a
 * phone answer), "no_answer", or "withdrew" (the patient stops follow-up). *prefill as in
 * followup_answer. Errors: FOLLOWUP_NOT_FOUND, FOLLOWUP_INVALID, FOLLOWUP_ANSWERED,
 * FOLLOWUP_CLOSED, FOLLOWUP_WITHDRAWN, FOLLOWUP_ERROR. */
followup_rc followup_call(store *s, const actor *by, const followup_settings *fs, int64_t id, const char *outcome,
                          const followup_answer_input *answers, int64_t now, checkin_record *out, json_t **prefill,
                          const char **field_out);

/* Sets a product's plan (admin), audited. first_days: 1..12 ascending distinct days in 1..3650;
 * repeat_days 7..3650. Errors: FOLLOWUP_NOT_FOUND, FOLLOWUP_INVALID, FOLLOWUP_ERROR. */
followup_rc followup_plan_set(store *s, const actor *by, int64_t product_id, const json_t *first_days, int64_t repeat_days,
                              bool disclose, int64_t now, followup_plan *out, const char **field_out);

/* followup_summary.c: the summaries (CONTRACT17.md sections 4 and 5). */

/* The staff summary of a product (lot_id 0) or of one lot (lot_id: the unit is the
 * (patient, lot) exposure). Errors: FOLLOWUP_NOT_FOUND, FOLLOWUP_ERROR. */
followup_rc followup_summary(store *s, const followup_settings *fs, int64_t product_id, int64_t lot_id,
                             const char *lang, json_t **out);
/* The public page's follow-up of a product: NULL (JSON null) when its plan does not disclose;
 * counts below 5 suppressed. Errors: FOLLOWUP_ERROR. */
followup_rc followup_public_summary(store *s, int64_t product_id, json_t **out);
/* Checks the lots of a product by MaxSPRT inside the caller's open transaction, raising the
 * lot alert (rule "maxsprt") on a signal; only_lots (n > 0) restricts to those lots.
 * *signals counts the alerts raised. Returns 0 or -1 (roll back). */
int followup_check_lots(store *s, const followup_settings *fs, int64_t product_id, const int64_t *only_lots, int n,
                        int64_t now, int *signals);

/* followup_demo.c: exosafe demo's follow-up cohort (a disclosed product, two lots, fourteen
 * patients with deliveries and check-ins, counted back from now). 0 or -1. */
int followup_demo_load(store *s, int64_t doctor_id, int64_t pharmacist_id, int64_t now);

#endif
