#include "service/ae.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ae_export.h"
#include "core/ctcae.h"
#include "core/kana.h"
#include "core/lot_state.h"
#include "core/pmda_report.h"
#include "core/safety_signal.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "service/clinic.h"
#include "service/trace.h"

const char *const ae_symptoms[] = {
	"redness", "swelling", "itching", "fever", "fatigue", "headache", "nausea", "allergic_reaction", "other", NULL,
};

void ae_policy_defaults(ae_policy *p)
{
	p->due_days_fatal = 7;
	p->due_days_serious = 15;
	p->lot_serious_threshold = 2;
	p->lot_poisson_alpha = 0.01;
	p->lot_poisson_min_events = 3;
	p->lot_alert_quarantine = true;
}

static bool in_list(const char *v, const char *const *list)
{
	for (int i = 0; v && list[i]; i++)
		if (strcmp(v, list[i]) == 0)
			return true;
	return false;
}

/* True when two strings of the array are equal (n is at most 20: pairs are few). */
static bool strings_repeat(const json_t *list)
{
	size_t n = json_array_size(list);
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (json_equal(json_array_get(list, i), json_array_get(list, k)))
				return true;
	return false;
}

/* True when two terms of the array have the same code, whatever their grades: one reaction
 * is one term (listed twice, an E2B export repeats the reaction). */
static bool term_codes_repeat(const json_t *terms)
{
	size_t n = json_array_size(terms);
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (json_equal(json_object_get(json_array_get(terms, i), "code"),
			               json_object_get(json_array_get(terms, k), "code")))
				return true;
	return false;
}

static bool ids_repeat(const int64_t *ids, int n)
{
	for (int i = 0; i < n; i++)
		for (int k = i + 1; k < n; k++)
			if (ids[i] == ids[k])
				return true;
	return false;
}

static bool date_ok(const char *d, int64_t now)
{
	int64_t a, b, ta, tb;
	char today[11];
	jst_date(now, today);
	return d && jst_day_bounds(d, &a, &b) == 0 && jst_day_bounds(today, &ta, &tb) == 0 && a <= ta;
}

static int earliest_dispense(void *ctx, const dispense_record *d)
{
	int64_t *first = ctx;
	if (*first == 0 || d->dispensed_at < *first)
		*first = d->dispensed_at;
	return 0;
}

ae_rc ae_report(store *s, const actor *by, const ae_report_input *in, int64_t now, ae_report_record *out,
                const char **field_out)
{
	static const char *const severities[] = {"mild", "moderate", "severe", NULL};
	*field_out = NULL;
	size_t n = json_array_size(in->symptoms);
	if (!json_is_array(in->symptoms) || n == 0 || n > 9) {
		*field_out = "symptoms";
		return AE_INVALID;
	}
	for (size_t i = 0; i < n; i++)
		if (!in_list(json_string_value(json_array_get(in->symptoms, i)), ae_symptoms)) {
			*field_out = "symptoms";
			return AE_INVALID;
		}
	if (strings_repeat(in->symptoms)) {
		*field_out = "symptoms";
		return AE_DUPLICATE;
	}
	int64_t day_start, day_end;
	if (in->onset_date == NULL || jst_day_bounds(in->onset_date, &day_start, &day_end) != 0)
		*field_out = "onset_date";
	else if (!in_list(in->severity, severities))
		*field_out = "severity";
	if (*field_out)
		return AE_INVALID;
	if (!date_ok(in->onset_date, now)) {
		*field_out = "onset_date";
		return AE_ONSET_FUTURE;
	}

	ae_report_record r = {0};
	r.patient_id = by->role == ROLE_PATIENT ? by->id : in->patient_id;
	r.order_id = in->order_id;
	r.reported_by = by->id;
	snprintf(r.reporter_role, sizeof r.reporter_role, "%s", role_name(by->role));
	char *symptoms = json_dumps(in->symptoms, JSON_COMPACT);
	if (symptoms == NULL)
		return AE_ERROR;
	snprintf(r.symptoms_json, sizeof r.symptoms_json, "%s", symptoms);
	free(symptoms);
	snprintf(r.description, sizeof r.description, "%s", in->description ? in->description : "");
	snprintf(r.onset_date, sizeof r.onset_date, "%s", in->onset_date);
	r.ongoing = in->ongoing;
	snprintf(r.severity, sizeof r.severity, "%s", in->severity);
	r.received_at = now;
	r.checkin_id = in->checkin_id;

	if (store_begin(s) != STORE_OK)
		return AE_ERROR;
	user_record patient;
	store_rc rc = store_user_by_id(s, r.patient_id, &patient);
	if (rc == STORE_ERROR)
		return service_rollback(s, AE_ERROR);
	if (rc == STORE_NOT_FOUND || patient.role != ROLE_PATIENT) {
		*field_out = "patient_id";
		return service_rollback(s, AE_INVALID);
	}
	if (r.order_id != 0) {
		/* A report names an order the patient received units of: that is how its lots are known. */
		order_record o;
		rc = store_order_get(s, r.order_id, &o);
		if (rc == STORE_ERROR)
			return service_rollback(s, AE_ERROR);
		if (rc == STORE_NOT_FOUND || o.patient_id != r.patient_id)
			return service_rollback(s, by->role == ROLE_PATIENT ? AE_NOT_FOUND : AE_INVALID);
		if (strcmp(o.status, "dispensed") != 0 && strcmp(o.status, "shipped") != 0 && strcmp(o.status, "delivered") != 0) {
			*field_out = "order_id";
			return service_rollback(s, AE_INVALID);
		}
		/* The dispensing day, not the delivery: delivery may be recorded late, and refusing a
		 * true report is worse than accepting an onset on the day of shipping. */
		int64_t first = 0;
		if (store_dispenses_of_order(s, o.id, earliest_dispense, &first) != STORE_OK)
			return service_rollback(s, AE_ERROR);
		char dispensed_on[11];
		if (first != 0) {
			jst_date(first, dispensed_on);
			if (strcmp(in->onset_date, dispensed_on) < 0) {
				*field_out = "onset_date";
				return service_rollback(s, AE_ONSET_BEFORE_RECEIPT);
			}
		}
	}
	if (r.checkin_id != 0) {
		/* A report made from a follow-up answer: the patient's own, answered with symptoms,
		 * once (the unique index on ae_reports.checkin_id decides a race). */
		checkin_record c;
		rc = store_checkin_get(s, r.checkin_id, &c);
		if (rc == STORE_ERROR)
			return service_rollback(s, AE_ERROR);
		if (rc == STORE_NOT_FOUND || c.patient_id != r.patient_id) {
			*field_out = "checkin_id";
			return service_rollback(s, by->role == ROLE_PATIENT ? AE_NOT_FOUND : AE_INVALID);
		}
		if (strcmp(c.status, "answered") != 0 || c.nothing_changed != 0) {
			*field_out = "checkin_id";
			return service_rollback(s, AE_INVALID);
		}
		if (c.ae_report_id != 0) {
			*field_out = "checkin_id";
			return service_rollback(s, AE_CHECKIN_REPORTED);
		}
	}
	rc = store_ae_report_insert(s, &r);
	if (rc == STORE_CONFLICT && r.checkin_id != 0) {
		*field_out = "checkin_id";
		return service_rollback(s, AE_CHECKIN_REPORTED);
	}
	if (rc != STORE_OK)
		return service_rollback(s, AE_ERROR);
	char detail[160];
	snprintf(detail, sizeof detail, "report %lld: %.100s, %s%s", (long long)r.id, r.symptoms_json, r.severity,
	         r.checkin_id ? ", from a follow-up check-in" : "");
	if (!service_audit(s, by, "ae.report", "patient", r.patient_id, detail))
		return service_rollback(s, AE_ERROR);
	if (store_commit(s) != STORE_OK)
		return AE_ERROR;
	if (store_ae_report_get(s, r.id, out) != STORE_OK)
		*out = r;
	return AE_OK;
}

ae_rc ae_report_visible(store *s, const actor *by, int64_t report_id, ae_report_record *out)
{
	store_rc rc = store_ae_report_get(s, report_id, out);
	if (rc == STORE_ERROR)
		return AE_ERROR;
	if (rc == STORE_NOT_FOUND || (by->role == ROLE_PATIENT && out->patient_id != by->id))
		return AE_NOT_FOUND;
	return AE_OK;
}

ae_rc ae_photo(store *s, const actor *by, int64_t report_id, const unsigned char *data, size_t len, size_t max_bytes,
               const char **field_out)
{
	*field_out = "photo";
	const char *type = NULL;
	if (len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
		type = "image/png";
	else if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
		type = "image/jpeg";
	if (len == 0 || len > max_bytes || type == NULL)
		return AE_INVALID;
	*field_out = NULL;
	ae_report_record r;
	ae_rc prc = ae_report_visible(s, by, report_id, &r);
	if (prc != AE_OK)
		return prc;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[65];
	crypto_hash_sha256(digest, data, len);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	if (store_begin(s) != STORE_OK)
		return AE_ERROR;
	if (store_ae_report_set_photo(s, report_id, type, data, len, hex) != STORE_OK ||
	    !service_audit(s, by, "ae.photo", "patient", r.patient_id, hex))
		return service_rollback(s, AE_ERROR);
	return store_commit(s) == STORE_OK ? AE_OK : AE_ERROR;
}

double ae_poisson_upper_tail(int64_t k, double lambda)
{
	if (k <= 0)
		return 1.0;
	if (lambda <= 0)
		return 0.0;
	/* P(X >= k) = P(k, lambda), the regularised lower incomplete gamma. */
	return signal_gamma_p((double)k, lambda);
}

typedef struct lot_stats {
	ae_lot_stat items[512];
	int n;
} lot_stats;

static int keep_stat(void *ctx, const ae_lot_stat *st)
{
	lot_stats *l = ctx;
	if (l->n < 512)
		l->items[l->n++] = *st;
	return l->n >= 512;
}

/* Opens an alert (once per lot and rule) and, by policy, quarantines the lot. */
static ae_rc raise_lot_alert(store *s, const ae_policy *p, const lot_record *lot, const char *rule, json_t *evidence,
                             int64_t now, int *raised)
{
	ae_lot_alert_record a = {0};
	a.lot_id = lot->id;
	snprintf(a.rule, sizeof a.rule, "%s", rule);
	char *text = json_dumps(evidence, JSON_COMPACT);
	json_decref(evidence);
	if (text == NULL)
		return AE_ERROR;
	snprintf(a.evidence_json, sizeof a.evidence_json, "%s", text);
	free(text);
	bool can_quarantine = strcmp(lot->status, "released") == 0 || strcmp(lot->status, "received") == 0;
	a.quarantined = p->lot_alert_quarantine && can_quarantine;
	a.created_at = now;
	actor system = {.id = 0, .role = ROLE_NONE};
	/* Inside the assessment's transaction (ae_assess): the alert, its quarantine and the
	 * assessment that raised them stand or fall together. A conflict (the lot has this alert
	 * already) inserts nothing and leaves the transaction usable (store: ON CONFLICT DO NOTHING). */
	store_rc rc = store_ae_lot_alert_insert(s, &a);
	if (rc == STORE_CONFLICT)
		return AE_OK;
	char detail[300];
	snprintf(detail, sizeof detail, "%s on lot %s: %.200s", rule, lot->lot_number, a.evidence_json);
	if (rc != STORE_OK || !service_audit(s, &system, "ae.lot_alert", "lot", lot->id, detail))
		return AE_ERROR;
	(*raised)++;
	if (a.quarantined) {
		char reason[400];
		snprintf(reason, sizeof reason, "有害事象の集積による自動隔離 / automatic quarantine on a safety signal: %s", detail);
		if (trace_transition_in_tx(s, &system, lot->id, LOT_QUARANTINE, reason, now) != TRACE_OK)
			return AE_ERROR;
	}
	return AE_OK;
}

ae_rc ae_raise_lot_alert(store *s, bool quarantine, const lot_record *lot, const char *rule, json_t *evidence,
                         int64_t now, int *raised)
{
	ae_policy p;
	ae_policy_defaults(&p);
	p.lot_alert_quarantine = quarantine;
	return raise_lot_alert(s, &p, lot, rule, evidence, now, raised);
}

/* Checks one suspected lot against both rules. */
static ae_rc check_lot(store *s, const ae_policy *p, int64_t lot_id, int64_t now, int *raised)
{
	lot_record lot;
	if (store_lot_get(s, lot_id, &lot) != STORE_OK)
		return AE_ERROR;
	lot_stats *stats = calloc(1, sizeof *stats);
	if (stats == NULL)
		return AE_ERROR;
	ae_rc result = AE_ERROR;
	if (store_ae_lot_stats(s, lot.product_id, keep_stat, stats) != STORE_OK)
		goto out;
	const ae_lot_stat *mine = NULL;
	int64_t other_reports = 0, other_units = 0;
	for (int i = 0; i < stats->n; i++) {
		if (stats->items[i].lot_id == lot_id)
			mine = &stats->items[i];
		else {
			other_reports += stats->items[i].reports;
			other_units += stats->items[i].units;
		}
	}
	result = AE_OK;
	if (mine == NULL)
		goto out;
	if (mine->serious_reports >= p->lot_serious_threshold) {
		json_t *ev = json_pack("{s:I, s:i}", "serious_reports", (json_int_t)mine->serious_reports, "threshold",
		                       p->lot_serious_threshold);
		if ((result = raise_lot_alert(s, p, &lot, "serious-count", ev, now, raised)) != AE_OK)
			goto out;
	}
	/* Exact one-sided Poisson test of this lot's reports per unit against the product's other
	 * lots; with no reports on the others, half a report stands in (no rate of exactly zero). */
	if (mine->reports >= p->lot_poisson_min_events && mine->units > 0 && other_units > 0) {
		double rate = ((double)other_reports > 0 ? (double)other_reports : 0.5) / (double)other_units;
		double expected = rate * (double)mine->units;
		double pvalue = ae_poisson_upper_tail(mine->reports, expected);
		if (pvalue < p->lot_poisson_alpha) {
			json_t *ev = json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:f}", "reports", (json_int_t)mine->reports, "units",
			                       (json_int_t)mine->units, "other_reports", (json_int_t)other_reports, "other_units",
			                       (json_int_t)other_units, "expected", expected, "p_value", pvalue, "alpha",
			                       p->lot_poisson_alpha);
			result = raise_lot_alert(s, p, &lot, "poisson-rate", ev, now, raised);
		}
	}
out:
	free(stats);
	return result;
}

/* A string member as stored: NFKC-normalised and trimmed; NULL when absent, null or empty,
 * *bad when it is not clean text. The caller frees. */
static char *normalized_member(const json_t *obj, const char *key, bool *bad)
{
	const json_t *v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v))
		return NULL;
	char *n = json_is_string(v) ? text_normalize(json_string_value(v)) : NULL;
	if (n == NULL || !text_is_clean(n, 0)) {
		*bad = true;
		free(n);
		return NULL;
	}
	if (*n == '\0') {
		free(n);
		return NULL;
	}
	return n;
}

/* Checks one assessed term and appends it, as stored, to terms; returns NULL or a message key.
 * An "Other, specify" term (NCI CTCAE v5.0) keeps its specific event: specify_text (required)
 * and specify_meddra_code (8 digits, may come in a later version). */
static const char *take_term(const json_t *t, ae_term_check_fn check, void *check_ctx, json_t *terms)
{
	const json_t *code = json_object_get(t, "code"), *grade = json_object_get(t, "grade");
	size_t known = 2 + (json_object_get(t, "specify_text") != NULL) + (json_object_get(t, "specify_meddra_code") != NULL);
	if (!json_is_object(t) || json_object_size(t) != known || !json_is_string(code) || !json_is_integer(grade))
		return "ctcae_grade";
	bool other_specify = false;
	const char *why = check(check_ctx, json_string_value(code), (int)json_integer_value(grade), &other_specify);
	if (why != NULL)
		return why;
	bool bad = false;
	char *text = normalized_member(t, "specify_text", &bad);
	char *meddra = normalized_member(t, "specify_meddra_code", &bad);
	long chars = text ? text_char_count(text) : 0;
	if (!other_specify && (text || meddra || bad))
		why = "ctcae_specify_only";
	else if (other_specify && (text == NULL || chars > AE_SPECIFY_MAX_CHARS || bad))
		why = "ctcae_specify";
	else if (meddra != NULL && !ctcae_meddra_code_valid(meddra))
		why = "meddra_code";
	if (why == NULL) {
		json_t *item = json_pack("{s:s, s:I}", "code", json_string_value(code), "grade", json_integer_value(grade));
		if (text)
			json_object_set_new(item, "specify_text", json_string(text));
		if (meddra)
			json_object_set_new(item, "specify_meddra_code", json_string(meddra));
		if (item == NULL || json_array_append_new(terms, item) != 0)
			why = "internal";
	}
	free(text);
	free(meddra);
	return why;
}

/* Checks an assessment's terms (each against the CTCAE table through check, none twice) and
 * its suspected lots (none twice). On success *text_out holds the terms as stored (compact
 * JSON; the caller frees it) and *grade5 says whether one is grade 5. */
static ae_rc check_terms(const ae_assessment_input *in, ae_term_check_fn check, void *check_ctx, char **text_out,
                         bool *grade5, const char **field_out, const char **reason_out)
{
	*text_out = NULL;
	*grade5 = false;
	size_t n = json_array_size(in->terms);
	if (!json_is_array(in->terms) || n == 0 || n > 20) {
		*field_out = "terms";
		return AE_INVALID;
	}
	json_t *terms = json_array();
	for (size_t i = 0; terms != NULL && i < n; i++) {
		const char *why = take_term(json_array_get(in->terms, i), check, check_ctx, terms);
		if (why != NULL && strcmp(why, "internal") == 0) {
			json_decref(terms);
			return AE_ERROR;
		}
		if (why != NULL) {
			json_decref(terms);
			*field_out = "terms";
			*reason_out = why;
			return AE_INVALID;
		}
		*grade5 = *grade5 || json_integer_value(json_object_get(json_array_get(in->terms, i), "grade")) == 5;
	}
	if (term_codes_repeat(in->terms) ||
	    (in->lot_count <= AE_MAX_SUSPECT_LOTS && ids_repeat(in->lot_ids, in->lot_count))) {
		*field_out = term_codes_repeat(in->terms) ? "terms" : "lot_ids";
		json_decref(terms);
		return AE_DUPLICATE;
	}
	*text_out = terms ? json_dumps(terms, JSON_COMPACT) : NULL;
	json_decref(terms);
	return *text_out ? AE_OK : AE_ERROR;
}

/* The assessment record from checked input: seriousness (ICH E2A) and, for a serious case, the
 * reporting due date counted from when the clinic received the report (policy p). */
static void fill_assessment(ae_assessment_record *a, const ae_assessment_input *in, const ae_policy *p,
                            const ae_report_record *r, int64_t report_id, const actor *by, int64_t now)
{
	a->report_id = report_id;
	a->death = in->death;
	a->life_threatening = in->life_threatening;
	a->hospitalization = in->hospitalization;
	a->disability = in->disability;
	a->congenital_anomaly = in->congenital_anomaly;
	a->other_medically_important = in->other_medically_important;
	a->serious = a->death || a->life_threatening || a->hospitalization || a->disability || a->congenital_anomaly ||
	             a->other_medically_important;
	snprintf(a->outcome, sizeof a->outcome, "%s", in->outcome);
	snprintf(a->outcome_date, sizeof a->outcome_date, "%s", in->outcome_date ? in->outcome_date : "");
	snprintf(a->causality, sizeof a->causality, "%s", in->causality);
	snprintf(a->treatment, sizeof a->treatment, "%s", in->treatment ? in->treatment : "");
	snprintf(a->narrative, sizeof a->narrative, "%s", in->narrative ? in->narrative : "");
	if (a->serious) {
		/* The clock starts when the clinic first learnt of the event. */
		int days = a->death || a->life_threatening ? p->due_days_fatal : p->due_days_serious;
		jst_date(r->received_at + (int64_t)days * 86400, a->due_date);
	}
	a->assessed_by = by->id;
	a->assessed_at = now;
	for (int i = 0; i < in->lot_count; i++)
		a->lot_ids[a->lot_count++] = in->lot_ids[i];
}

ae_rc ae_assess(store *s, const actor *by, const ae_policy *p, int64_t report_id, const ae_assessment_input *in,
                ae_term_check_fn check, void *check_ctx, int64_t now, ae_assessment_record *out, const char **field_out,
                const char **reason_out, int *lot_alerts_out)
{
	static const char *const outcomes[] = {"recovered", "recovering", "not_recovered", "recovered_with_sequelae",
	                                       "fatal", "unknown", NULL};
	static const char *const causalities[] = {"certain", "probable", "possible", "unlikely", "conditional",
	                                          "unassessable", NULL};
	*field_out = NULL;
	*reason_out = NULL;
	*lot_alerts_out = 0;
	bool grade5;
	char *terms_text;
	ae_rc checked = check_terms(in, check, check_ctx, &terms_text, &grade5, field_out, reason_out);
	if (checked != AE_OK)
		return checked;
	bool fatal = in->outcome && strcmp(in->outcome, "fatal") == 0;
	if (!in_list(in->outcome, outcomes))
		*field_out = "outcome";
	else if (fatal && !date_ok(in->outcome_date, now))
		*field_out = "outcome_date";   /* a fatal outcome needs its date */
	else if (!fatal && in->outcome_date && *in->outcome_date && !date_ok(in->outcome_date, now))
		*field_out = "outcome_date";
	else if (fatal != in->death || (grade5 && !fatal))
		*field_out = "death";          /* death, grade 5 and a fatal outcome go together */
	else if (!in_list(in->causality, causalities))
		*field_out = "causality";
	else if (in->lot_count > AE_MAX_SUSPECT_LOTS)
		*field_out = "lot_ids";
	ae_assessment_record a = {0};
	if (*field_out == NULL && strlen(terms_text) >= sizeof a.terms_json)
		*field_out = "terms";          /* never cut short: the stored JSON would be broken */
	if (*field_out) {
		free(terms_text);
		return AE_INVALID;
	}
	snprintf(a.terms_json, sizeof a.terms_json, "%s", terms_text);
	free(terms_text);

	ae_report_record r;
	store_rc rc = store_ae_report_get(s, report_id, &r);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? AE_NOT_FOUND : AE_ERROR;

	fill_assessment(&a, in, p, &r, report_id, by, now);

	if (store_begin(s) != STORE_OK)
		return AE_ERROR;
	for (int i = 0; i < a.lot_count; i++) {
		lot_record lot;
		rc = store_lot_get(s, a.lot_ids[i], &lot);
		if (rc != STORE_OK) {
			*field_out = "lot_ids";
			return service_rollback(s, rc == STORE_NOT_FOUND ? AE_INVALID : AE_ERROR);
		}
	}
	if (store_ae_assessment_insert(s, &a) != STORE_OK)
		return service_rollback(s, AE_ERROR);
	char detail[200];
	snprintf(detail, sizeof detail, "report %lld v%d: %s%s%s, %s", (long long)report_id, a.version,
	         a.serious ? "serious, due " : "not serious", a.serious ? a.due_date : "", "", a.causality);
	if (!service_audit(s, by, "ae.assess", "patient", r.patient_id, detail))
		return service_rollback(s, AE_ERROR);
	for (int i = 0; i < a.lot_count; i++)
		if (check_lot(s, p, a.lot_ids[i], now, lot_alerts_out) != AE_OK) {
			*lot_alerts_out = 0;
			return service_rollback(s, AE_ERROR);
		}
	if (store_commit(s) != STORE_OK) {
		*lot_alerts_out = 0;
		return AE_ERROR;
	}
	if (store_ae_assessment_latest(s, report_id, out) != STORE_OK)
		*out = a;
	return AE_OK;
}

int ae_pair_feed_add(void *ctx, int64_t report_id, const char *item, const char *event)
{
	ae_pair_feed *f = ctx;
	if (f->report_len == 0 || report_id != f->report_id) {
		int n = snprintf(f->report, sizeof f->report, "%lld", (long long)report_id);
		f->report_len = n > 0 ? (size_t)n : 0;
		f->report_id = report_id;
	}
	if (signal_counter_add(f->counter, f->report, f->report_len, item, strlen(item), event, strlen(event)) < 0) {
		f->failed = true;
		return 1;
	}
	return 0;
}

int ae_signal_counts(store *s, bool by_lot, struct signal_counter *counter)
{
	ae_pair_feed f = {.counter = counter};
	if (store_ae_signal_pairs(s, by_lot, ae_pair_feed_add, &f) != STORE_OK || f.failed)
		return -1;
	return 0;
}
