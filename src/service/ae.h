/* Adverse events ("ae" in every layer: core/ae_export, the store's ae_ records,
 * http/handlers_ae): reports from patients and staff, staff assessments kept as versions
 * (CTCAE v5 terms and grades, ICH E2A seriousness, outcome, WHO-UMC causality, suspected
 * lots), reporting due dates for serious cases, and lot alerts on clusters (ae.c); the case
 * as FHIR, E2B and the PMDA form (ae_documents.c). */
#ifndef EXOSAFE_SERVICE_AE_H
#define EXOSAFE_SERVICE_AE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/service.h"
#include "store/store.h"

typedef enum ae_rc {
	AE_OK = 0,
	AE_NOT_FOUND,        /* no such report or order, or not the patient's own */
	AE_INVALID,          /* *field_out names the field */
	AE_DUPLICATE,        /* a list holds the same item twice (a symptom, a term, a lot); *field_out names it */
	AE_ONSET_FUTURE,     /* onset_date after today (JST) */
	AE_ONSET_BEFORE_RECEIPT, /* onset_date before the named order was dispensed */
	AE_CHECKIN_REPORTED, /* the named follow-up check-in has its report already */
	AE_ERROR,
	AE_RC_COUNT, /* not a result: how many there are (the HTTP error table has one row each) */
} ae_rc;

typedef struct ae_policy {
	int due_days_fatal;             /* death or life-threatening: report within (default 7) */
	int due_days_serious;           /* other serious (default 15) */
	int lot_serious_threshold;      /* this many serious reports on one lot raise an alert (default 2) */
	double lot_poisson_alpha;       /* exact Poisson test level against the product's other lots (0.01) */
	int lot_poisson_min_events;     /* and at least this many reports on the lot (3) */
	bool lot_alert_quarantine;      /* an alert also quarantines the lot (default true) */
} ae_policy;

void ae_policy_defaults(ae_policy *p);

/* The seed's symptom checklist, in the order the report form shows it. */
extern const char *const ae_symptoms[];

typedef struct ae_report_input {
	int64_t patient_id;          /* staff reports: the patient; ignored for patients (themselves) */
	int64_t order_id;            /* 0: none; a patient's must be their own, dispensed order */
	const json_t *symptoms;      /* array of checklist codes, at least one */
	const char *description;
	const char *onset_date;      /* YYYY-MM-DD, not after today, not before the order was dispensed */
	bool ongoing;
	const char *severity;        /* mild | moderate | severe */
	int64_t checkin_id;          /* 0: none; else the patient's answered follow-up check-in with
	                                symptoms the report was pre-filled from (one report each) */
} ae_report_input;

/* Records a report. An onset after today (JST, from now) is AE_ONSET_FUTURE; with an order,
 * an onset before the day its units were dispensed (the earliest day the patient can have had
 * them) is AE_ONSET_BEFORE_RECEIPT: the report is refused, not flagged, so a typo in the date
 * cannot make a reaction look pre-existing or a pre-existing symptom look like a reaction.
 * Symptoms from before use are reported without an order (or by phone). The database remains
 * unaltered on any refusal. A check-in (checkin_id) must be the patient's (else AE_NOT_FOUND
 * for a patient, AE_INVALID for staff), answered with symptoms (AE_INVALID) and not reported
 * yet (AE_CHECKIN_REPORTED).
 * Errors: AE_NOT_FOUND, AE_INVALID, AE_DUPLICATE, AE_ONSET_FUTURE, AE_ONSET_BEFORE_RECEIPT,
 *         AE_CHECKIN_REPORTED, AE_ERROR. */
ae_rc ae_report(store *s, const actor *by, const ae_report_input *in, int64_t now, ae_report_record *out,
                const char **field_out);
/* Attaches a photo (JPEG or PNG, recognised by its bytes, at most max_bytes) to a report the
 * actor may see.
 * Errors: AE_NOT_FOUND, AE_INVALID, AE_ERROR. */
ae_rc ae_photo(store *s, const actor *by, int64_t report_id, const unsigned char *data, size_t len, size_t max_bytes,
               const char **field_out);
/* Loads a report the actor may see (patients: their own only).
 * Errors: AE_NOT_FOUND, AE_ERROR. */
ae_rc ae_report_visible(store *s, const actor *by, int64_t report_id, ae_report_record *out);

/* Checks one CTCAE term and grade; returns NULL when valid, else a reason key. Sets
 * *other_specify when the term is an "Other, specify" one (its specific event is recorded). */
typedef const char *(*ae_term_check_fn)(void *ctx, const char *code, int grade, bool *other_specify);

/* The longest specific event an "Other, specify" term takes, in characters. */
#define AE_SPECIFY_MAX_CHARS 200

typedef struct ae_assessment_input {
	/* [{"code", "grade", "specify_text"?, "specify_meddra_code"?}], at least one. An "Other,
	 * specify" term (NCI CTCAE v5.0) needs specify_text, the specific event (e.g. "紅斑 /
	 * erythema"); its MedDRA code (8 digits) may follow later, but the case cannot be exported
	 * without it. Other terms take neither. */
	const json_t *terms;
	bool death, life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important;
	const char *outcome;
	const char *outcome_date;    /* required when fatal */
	const char *causality;
	const char *treatment;
	const char *narrative;
	const int64_t *lot_ids;
	int lot_count;
} ae_assessment_input;

/* Records the next version of a report's assessment, then checks each suspected lot against
 * the lot-alert rules (raising and, by policy, quarantining). AE_INVALID names the field in
 * *field_out and, for terms, a message key in *reason_out (NULL: the generic one); the
 * database remains unaltered.
 * Errors: AE_NOT_FOUND, AE_INVALID, AE_DUPLICATE, AE_ERROR. */
ae_rc ae_assess(store *s, const actor *by, const ae_policy *p, int64_t report_id, const ae_assessment_input *in,
                ae_term_check_fn check, void *check_ctx, int64_t now, ae_assessment_record *out, const char **field_out,
                const char **reason_out, int *lot_alerts_out);

struct signal_counter;
/* A store_ae_pair_fn context that adds each pair to counter (the one way pairs become counts,
 * for ae_signal_counts and for readers that are not a store, such as bench/signals). */
typedef struct ae_pair_feed {
	struct signal_counter *counter;
	bool failed;             /* the counter refused a pair (out of memory); the listing stopped */
	/* The last report id written out: a report's pairs come together, so it is printed once
	 * per report, not once per pair (zero-initialized: none yet). */
	int64_t report_id;
	char report[24];
	size_t report_len;
} ae_pair_feed;
int ae_pair_feed_add(void *feed, int64_t report_id, const char *item, const char *event);
/* Adds every (case, product-or-lot, CTCAE term) of the latest assessments to counter, for
 * signal detection over the clinic's own cases. Returns 0, or -1 on a storage or memory
 * failure. */
int ae_signal_counts(store *s, bool by_lot, struct signal_counter *counter);

struct ctcae_table;
/* Loads data_dir/ctcae/terms.json, the clinic's common CTCAE v5.0 terms, and
 * data_dir/ctcae/ctcae-v5.0.csv, the whole NCI catalogue they must agree with. NULL with the
 * file and the reason in err on failure; free with ctcae_free. */
struct ctcae_table *ae_load_ctcae(const char *data_dir, char *err, size_t errlen);

typedef enum ae_export_format { AE_EXPORT_FHIR, AE_EXPORT_E2B } ae_export_format;

/* Exports case report_id (its latest assessment) as a FHIR R4 Bundle or an ICH E2B(R3) ICSR,
 * with MedDRA codes named as of meddra_version (the setting, "N.N").
 * Returns AE_OK with *out (heap, the caller frees), AE_NOT_FOUND when there is no such report,
 * AE_INVALID with a reason in err when it has no assessment yet, an "Other, specify" term's
 * specific event is not coded yet (err names the term and what to code), or the export refuses
 * it (for E2B also a reaction without a MedDRA code: ae_check_reactions_coded). An Other,
 * specify term goes out as "<term>: <specific event>" with the event's MedDRA code.
 * Errors: AE_NOT_FOUND, AE_INVALID, AE_ERROR. */
ae_rc ae_export_report(store *s, const struct ctcae_table *terms, const char *sender_name, const char *meddra_version,
                       int64_t report_id, ae_export_format format, char **out, char *err, size_t errlen);

/* Produces the 医薬品安全性情報報告書 (the form a medical institution sends to PMDA, 薬機法
 * 第68条の10第2項) for case report_id from its latest assessment, reported by the doctor who
 * made it, dated now (JST), with the clinic's name, address and phone (施設名, 住所, 電話;
 * address and phone may be empty). Returns AE_OK with *out (HTML, heap, the caller frees);
 * AE_NOT_FOUND when there is no such report; AE_INVALID with *refusal_out set to
 * "not_assessed" (no assessment yet), "needs_doctor_assessment" (the latest version is not a
 * doctor's) or "export_refused" (the case lacks what the form needs) and the reason in err;
 * AE_ERROR on a storage failure. Reads only.
 * Errors: AE_NOT_FOUND, AE_INVALID, AE_ERROR. */
ae_rc ae_pmda_form(store *s, const struct ctcae_table *terms, const clinic_profile *clinic, int64_t report_id,
                   int64_t now, char **out, const char **refusal_out, char *err, size_t errlen);

/* Opens the alert `rule` on lot (once per lot and rule: a second is no-op) inside the
 * caller's open transaction, audited, and when quarantine is set and the lot is released or
 * received, quarantines it; the path every lot alert takes (the follow-up's MaxSPRT too).
 * Takes evidence. *raised is incremented when an alert is opened.
 * Errors: AE_ERROR (the caller rolls back). */
ae_rc ae_raise_lot_alert(store *s, bool quarantine, const lot_record *lot, const char *rule, json_t *evidence,
                         int64_t now, int *raised);

/* P(X >= k) for X ~ Poisson(lambda): the exact one-sided test of the lot alerts. */
double ae_poisson_upper_tail(int64_t k, double lambda);

#endif
