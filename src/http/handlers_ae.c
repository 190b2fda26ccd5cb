/* Adverse events: reports (patients from their order, staff for a patient), photos, the
 * triage queue, staff assessments kept as versions, lot alerts, and signals over the
 * clinic's own cases. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctcae.h"
#include "core/safety_signal.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "http/handlers.h"
#include "service/ae.h"
#include "clock.h"

static const char *ae_check_term(void *ctx, const char *code, int grade, bool *other_specify)
{
	char why[200];
	if (ctcae_check(ctx, code, grade, why, sizeof why) != 0)
		return "ctcae_grade";
	*other_specify = ctcae_is_other_specify(ctcae_find(ctx, code));
	return NULL;
}

static const error_row ae_errors[] = {
	[AE_OK] = {0},
	[AE_NOT_FOUND] = {404, "not_found"},
	[AE_INVALID] = {400, "invalid_field", FIELD_FROM_SERVICE},
	[AE_DUPLICATE] = {400, "invalid_field", FIELD_FROM_SERVICE, "duplicate_value"},
	[AE_ONSET_FUTURE] = {400, "invalid_field", "onset_date", "onset_future"},
	[AE_ONSET_BEFORE_RECEIPT] = {400, "invalid_field", "onset_date", "onset_before_receipt"},
	[AE_CHECKIN_REPORTED] = {409, "checkin_reported", "checkin_id"},
	[AE_ERROR] = {500, .log_as = "adverse events"},
};
static_assert(sizeof ae_errors / sizeof ae_errors[0] == AE_RC_COUNT, "one row per ae_rc");

static void reply_ae_error(request *req, ae_rc rc, const char *field)
{
	reply_error_row(req, ae_errors, AE_RC_COUNT, (int)rc, field);
}

static json_t *json_ae_report(const ae_report_record *r, bool staff)
{
	json_t *j = json_pack("{s:I, s:I, s:s, s:o, s:s, s:s, s:s, s:b, s:s, s:b, s:o, s:i}", "id", (json_int_t)r->id,
	                      "patient_id", (json_int_t)r->patient_id, "patient_name", r->patient_name, "symptoms",
	                      json_loads(r->symptoms_json, 0, NULL), "description", r->description, "onset_date",
	                      r->onset_date, "severity", r->severity, "ongoing", r->ongoing, "reporter_role",
	                      r->reporter_role, "has_photo", r->photo_type[0] != '\0', "received_at",
	                      json_time(r->received_at), "assessment_version", r->latest_version);
	json_object_set_new(j, "order_id", r->order_id ? json_integer(r->order_id) : json_null());
	json_object_set_new(j, "checkin_id", r->checkin_id ? json_integer(r->checkin_id) : json_null());
	/* The patient sees that staff reviewed the report, and when (not what they concluded). */
	json_object_set_new(j, "reviewed_at", json_time(r->reviewed_at));
	if (staff) {
		json_object_set_new(j, "serious", json_boolean(r->serious));
		json_object_set_new(j, "due_date", r->due_date[0] ? json_string(r->due_date) : json_null());
		json_object_set_new(j, "outcome", r->outcome[0] ? json_string(r->outcome) : json_null());
		/* Until staff have assessed it, a report the patient calls severe, or an allergic
		 * reaction, goes to the top: it may be serious. */
		bool urgent = r->latest_version == 0 &&
		              (strcmp(r->severity, "severe") == 0 || strstr(r->symptoms_json, "allergic_reaction") != NULL);
		json_object_set_new(j, "urgent", json_boolean(urgent));
	}
	return j;
}

static json_t *json_assessment(const ae_assessment_record *a)
{
	json_t *lots = json_array();
	for (int i = 0; i < a->lot_count; i++)
		json_array_append_new(lots, json_integer(a->lot_ids[i]));
	json_t *j = json_pack("{s:i, s:o, s:{s:b, s:b, s:b, s:b, s:b, s:b}, s:b, s:s, s:o, s:s, s:s, s:s, s:o, s:s, s:o, s:o}",
	                      "version", a->version, "terms", json_loads(a->terms_json, 0, NULL), "seriousness", "death",
	                      a->death, "life_threatening", a->life_threatening, "hospitalization", a->hospitalization,
	                      "disability", a->disability, "congenital_anomaly", a->congenital_anomaly,
	                      "other_medically_important", a->other_medically_important, "serious", a->serious,
	                      "outcome", a->outcome, "outcome_date",
	                      a->outcome_date[0] ? json_string(a->outcome_date) : json_null(), "causality", a->causality,
	                      "treatment", a->treatment, "narrative", a->narrative, "due_date",
	                      a->due_date[0] ? json_string(a->due_date) : json_null(), "assessed_by", a->assessor_name,
	                      "assessed_at", json_time(a->assessed_at), "lot_ids", lots);
	json_object_set_new(j, "assessor_role", json_string(role_name(a->assessor_role)));
	return j;
}

void handle_ae_create(request *req)
{
	ae_report_input in = {
		.patient_id = input_int(req, "patient_id", 0),
		.order_id = input_int(req, "order_id", 0),
		.symptoms = input_array(req, "symptoms"),
		.description = input_string(req, "description"),
		.onset_date = input_string(req, "onset_date"),
		.ongoing = input_bool(req, "ongoing", false),
		.severity = input_string(req, "severity"),
		.checkin_id = input_int(req, "checkin_id", 0),
	};
	if (req->user.role != ROLE_PATIENT && in.patient_id == 0) {
		reply_error(req, 400, "missing_field", "patient_id", NULL);
		return;
	}
	actor by = request_actor(req);
	ae_report_record r;
	const char *field = NULL;
	ae_rc rc = ae_report(req->db, &by, &in, clock_now(), &r, &field);
	if (rc != AE_OK) {
		reply_ae_error(req, rc, field ? field : "order_id");
		return;
	}
	reply_json(req, 201, json_pack("{s:o}", "report", json_ae_report(&r, req->user.role != ROLE_PATIENT)));
}

void handle_ae_photo_upload(request *req)
{
	actor by = request_actor(req);
	const char *field = NULL;
	ae_rc rc = ae_photo(req->db, &by, req->path_ids[0], (const unsigned char *)req->body, req->body_len,
	                    req->cfg->max_upload_bytes, &field);
	if (rc == AE_INVALID) {
		if (req->body_len > req->cfg->max_upload_bytes)
			reply_error(req, 413, "body_too_large", NULL, NULL);
		else
			reply_error(req, 415, "unsupported_media_type", NULL, "photo_type");
		return;
	}
	if (rc != AE_OK) {
		reply_ae_error(req, rc, field);
		return;
	}
	reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

/* The report of the path's id when the user may see it (patients: their own); else the error
 * is answered and false returned. */
static bool load_visible_report(request *req, ae_report_record *r)
{
	actor by = request_actor(req);
	ae_rc rc = ae_report_visible(req->db, &by, req->path_ids[0], r);
	if (rc != AE_OK) {
		reply_ae_error(req, rc, NULL);
		return false;
	}
	return true;
}

void handle_ae_photo(request *req)
{
	ae_report_record r;
	if (!load_visible_report(req, &r))
		return;
	char type[16];
	unsigned char *data = NULL;
	size_t len = 0;
	store_rc src = store_ae_report_photo(req->db, r.id, type, &data, &len);
	if (src != STORE_OK) {
		if (src == STORE_NOT_FOUND)
			reply_error(req, 404, "not_found", NULL, NULL);
		else
			reply_internal(req, "read photo");
		return;
	}
	/* A photo of the patient's skin: a read of personal data, audited before it is sent. */
	char object[48], detail[48];
	snprintf(object, sizeof object, "patient:%lld", (long long)r.patient_id);
	snprintf(detail, sizeof detail, "report %lld", (long long)r.id);
	if (!audit_read(req, "ae.photo.read", object, detail, "audit photo read")) {
		free(data);
		return;
	}
	reply_raw(req, 200, (char *)data, len, type, NULL);
}

typedef struct report_list {
	json_t *items;
	bool staff;
} report_list;

static int add_report(void *ctx, const ae_report_record *r)
{
	report_list *l = ctx;
	json_array_append_new(l->items, json_ae_report(r, l->staff));
	return 0;
}

/* Triage order: serious cases by reporting due date, then unassessed urgent ones, then the
 * other unassessed, then the rest; newest first within each. */
static int triage_rank(json_t *j)
{
	if (json_is_true(json_object_get(j, "serious")))
		return 0;
	if (json_integer_value(json_object_get(j, "assessment_version")) == 0)
		return json_is_true(json_object_get(j, "urgent")) ? 1 : 2;
	return 3;
}

static int compare_triage(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int ra = triage_rank(a), rb = triage_rank(b);
	if (ra != rb)
		return ra - rb;
	if (ra == 0) {
		int c = strcmp(json_string_value(json_object_get(a, "due_date")), json_string_value(json_object_get(b, "due_date")));
		if (c != 0)
			return c;
	}
	json_int_t ia = json_integer_value(json_object_get(a, "id")), ib = json_integer_value(json_object_get(b, "id"));
	return ia < ib ? 1 : ia > ib ? -1 : 0;
}

/* Whether a report (as listed for staff) is in the triage state a list asks for. */
static bool in_triage_state(json_t *j, const char *status)
{
	if (status == NULL)
		return true;
	bool assessed = json_integer_value(json_object_get(j, "assessment_version")) > 0;
	if (strcmp(status, "serious") == 0)
		return json_is_true(json_object_get(j, "serious"));
	if (strcmp(status, "urgent") == 0)
		return json_is_true(json_object_get(j, "urgent"));
	if (strcmp(status, "unassessed") == 0)
		return !assessed;
	return assessed; /* "assessed" */
}

/* GET /api/v1/adverse-events: a patient's own reports; for staff, the triage queue with
 * ?q=&status=&limit=&offset= (status: serious | urgent | unassessed | assessed). The triage
 * order is computed here, so the store returns every match and the page is cut after sorting. */
void handle_ae_list(request *req)
{
	bool staff = req->user.role != ROLE_PATIENT;
	static const char *const states[] = {"serious", "urgent", "unassessed", "assessed", NULL};
	list_params p;
	if (staff && !list_params_read(req, states, 50, &p))
		return;
	report_list l = {json_array(), staff};
	store_rc rc = staff ? store_ae_report_search(req->db, &p.filter, add_report, &l)
	                    : store_ae_report_list(req->db, req->user.id, add_report, &l);
	if (rc != STORE_OK) {
		json_decref(l.items);
		reply_internal(req, "list reports");
		return;
	}
	if (!staff) {
		reply_json(req, 200, json_pack("{s:o}", "reports", l.items));
		return;
	}
	size_t n = json_array_size(l.items), kept = 0;
	json_t **v = malloc((n ? n : 1) * sizeof *v);
	if (v == NULL) {
		json_decref(l.items);
		reply_internal(req, "triage");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_array_get(l.items, i);
		if (in_triage_state(j, p.filter.status))
			v[kept++] = json_incref(j);
	}
	qsort(v, kept, sizeof *v, compare_triage);
	json_t *page = json_array();
	for (size_t i = 0; i < kept; i++) {
		if (i >= (size_t)p.filter.offset && i < (size_t)p.filter.offset + (size_t)p.filter.limit)
			json_array_append(page, v[i]);
		json_decref(v[i]);
	}
	free(v);
	json_decref(l.items);
	if (!audit_read(req, "ae.queue.read", "adverse_events", "", "audit queue")) {
		json_decref(page);
		return;
	}
	json_t *reply = json_pack("{s:o}", "reports", page);
	list_page_set(reply, &p, (int64_t)kept);
	reply_json(req, 200, reply);
}

static int add_assessment(void *ctx, const ae_assessment_record *a)
{
	json_array_append_new(ctx, json_assessment(a));
	return 0;
}

static int add_dispensed_lot(void *ctx, const dispense_record *d)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s}", "lot_id", (json_int_t)d->lot_id, "lot_number", d->lot_number,
	                                     "expires_on", d->expires_on));
	return 0;
}

typedef struct patient_lots {
	request *req;
	json_t *lots;
	bool failed;
} patient_lots;

static int add_order_lots(void *ctx, const order_record *o)
{
	patient_lots *pl = ctx;
	if (store_dispenses_of_order(pl->req->db, o->id, add_dispensed_lot, pl->lots) != STORE_OK) {
		pl->failed = true;
		return 1;
	}
	return 0;
}

void handle_ae_get(request *req)
{
	ae_report_record r;
	if (!load_visible_report(req, &r))
		return;
	bool staff = req->user.role != ROLE_PATIENT;
	json_t *body = json_pack("{s:o}", "report", json_ae_report(&r, staff));
	if (staff) {
		json_t *versions = json_array();
		/* The suspected lots are pre-filled from the patient's dispenses (the report's order
		 * first when it names one). */
		patient_lots pl = {req, json_array(), false};
		store_rc src = r.order_id ? store_dispenses_of_order(req->db, r.order_id, add_dispensed_lot, pl.lots)
		                          : store_order_list(req->db, r.patient_id, NULL, add_order_lots, &pl);
		if (store_ae_assessment_list(req->db, r.id, add_assessment, versions) != STORE_OK || src != STORE_OK ||
		    pl.failed) {
			json_decref(versions);
			json_decref(pl.lots);
			json_decref(body);
			reply_internal(req, "assessments");
			return;
		}
		json_object_set_new(body, "assessments", versions);
		json_object_set_new(body, "dispensed_lots", pl.lots);
		/* Staff call the patient about the event: the phone from the profile ("" if none). */
		patient_profile profile;
		store_rc prc = store_profile_get(req->db, r.patient_id, &profile);
		if (prc == STORE_ERROR) {
			json_decref(body);
			reply_internal(req, "patient profile");
			return;
		}
		json_object_set_new(json_object_get(body, "report"), "patient_phone",
		                    json_string(prc == STORE_OK ? profile.phone : ""));
	}
	char object[48];
	snprintf(object, sizeof object, "patient:%lld", (long long)r.patient_id);
	if (!audit_read(req, "ae.read", object, "", "audit read")) {
		json_decref(body);
		return;
	}
	reply_json(req, 200, body);
}

void handle_ae_assess(request *req)
{
	const json_t *lots = input_array(req, "lot_ids");
	int64_t lot_ids[AE_MAX_SUSPECT_LOTS];
	int lot_count = 0;
	size_t i;
	json_t *v;
	json_array_foreach(lots, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0 || lot_count >= AE_MAX_SUSPECT_LOTS) {
			reply_error(req, 400, "invalid_field", "lot_ids", NULL);
			return;
		}
		lot_ids[lot_count++] = json_integer_value(v);
	}
	ae_assessment_input in = {
		.terms = input_array(req, "terms"),
		.death = input_bool(req, "death", false),
		.life_threatening = input_bool(req, "life_threatening", false),
		.hospitalization = input_bool(req, "hospitalization", false),
		.disability = input_bool(req, "disability", false),
		.congenital_anomaly = input_bool(req, "congenital_anomaly", false),
		.other_medically_important = input_bool(req, "other_medically_important", false),
		.outcome = input_string(req, "outcome"),
		.outcome_date = input_string(req, "outcome_date"),
		.causality = input_string(req, "causality"),
		.treatment = input_string(req, "treatment"),
		.narrative = input_string(req, "narrative"),
		.lot_ids = lot_ids,
		.lot_count = lot_count,
	};
	ae_policy policy;
	ae_policy_defaults(&policy);
	policy.due_days_fatal = req->cfg->ae_due_days_fatal;
	policy.due_days_serious = req->cfg->ae_due_days_serious;
	policy.lot_serious_threshold = req->cfg->ae_lot_serious_threshold;
	policy.lot_alert_quarantine = req->cfg->ae_lot_alert_quarantine;
	actor by = request_actor(req);
	ae_assessment_record a;
	const char *field = NULL, *reason = NULL;
	int alerts = 0;
	ae_rc rc = ae_assess(req->db, &by, &policy, req->path_ids[0], &in, ae_check_term, (void *)(uintptr_t)req->ctcae,
	                     clock_now(), &a, &field, &reason, &alerts);
	if (rc == AE_INVALID) {
		reply_error(req, 400, "invalid_field", field, reason);
		return;
	}
	if (rc != AE_OK) {
		reply_ae_error(req, rc, field);
		return;
	}
	reply_json(req, 201, json_pack("{s:o, s:i}", "assessment", json_assessment(&a), "lot_alerts_raised", alerts));
}

static int add_lot_alert(void *ctx, const ae_lot_alert_record *a)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:s, s:s, s:o, s:b, s:o}", "id", (json_int_t)a->id, "lot_id",
	                                     (json_int_t)a->lot_id, "lot_number", a->lot_number, "rule", a->rule, "evidence",
	                                     json_loads(a->evidence_json, 0, NULL), "quarantined", a->quarantined,
	                                     "created_at", json_time(a->created_at)));
	return 0;
}

void handle_ae_lot_alerts(request *req)
{
	json_t *list = json_array();
	reply_list(req, store_ae_lot_alert_list(req->db, add_lot_alert, list), list, "alerts", "lot alerts");
}

/* ---- signals over the clinic's own cases ---- */

/* Computes the signals of the stored cases; NULL with *why set when there is nothing to
 * compute (no cases) or on a failure. */
json_t *signals_from_store(store *s, bool by_lot, int min_count, const char **why)
{
	signal_counter *counter = signal_counter_new();
	*why = "internal";
	if (counter == NULL)
		return NULL;
	if (ae_signal_counts(s, by_lot, counter) != 0) {
		signal_counter_free(counter);
		return NULL;
	}
	if (signal_counter_rows(counter) == 0) {
		signal_counter_free(counter);
		*why = "no_cases";
		return NULL;
	}
	signal_table *t = signal_counter_finish(counter, NULL, NULL);
	if (t == NULL)
		return NULL;
	signal_fit fit;
	signal_row *rows = NULL;
	size_t n = 0;
	/* The rule exosafe signals --db follows too, so both give the same EBGM for one database. */
	signal_prior_source source = signal_choose_prior(t, NULL, &fit, NULL, NULL);
	if (signal_compute(t, &fit.prior, (uint32_t)min_count, &rows, &n, NULL, NULL) != 0) {
		signal_table_free(t);
		return NULL;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		const signal_row *r = &rows[i];
		/* By lot an item is "product code U+001F lot number": item is the lot, product its product. */
		const char *item = t->item_names[r->item], *sep = by_lot ? strchr(item, '\x1f') : NULL;
		json_t *j = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i}", "item", sep ? sep + 1 : item, "event",
		                      t->event_names[r->event], "a", (int)r->a, "b", (int)r->b, "c", (int)r->c, "d", (int)r->d);
		if (sep)
			json_object_set_new(j, "product", json_stringn(item, (size_t)(sep - item)));
		const double values[] = {r->stats.expected, r->stats.prr, r->stats.prr_lo, r->stats.prr_hi, r->stats.chi2,
		                         r->stats.ror, r->stats.ror_lo, r->stats.ror_hi, r->stats.ic, r->stats.ic_lo,
		                         r->stats.ic_hi, r->mgps.ebgm, r->mgps.eb05, r->mgps.eb95};
		static const char *const names[] = {"expected", "prr", "prr_lo", "prr_hi", "chi2", "ror", "ror_lo", "ror_hi",
		                                    "ic", "ic_lo", "ic_hi", "ebgm", "eb05", "eb95"};
		/* Undefined statistics (a zero cell) are NaN in the core and null here. */
		for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
			json_object_set_new(j, names[k], isfinite(values[k]) ? json_real(values[k]) : json_null());
		json_array_append_new(list, j);
	}
	const signal_prior *p = &fit.prior;
	json_t *prior = json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:I}", "source", signal_prior_source_name(source),
	                          "alpha1", p->alpha1, "beta1", p->beta1, "alpha2", p->alpha2, "beta2", p->beta2, "p", p->p,
	                          "pairs", (json_int_t)t->n_pairs);
	json_object_set_new(prior, "log_likelihood", isfinite(fit.loglik) ? json_real(fit.loglik) : json_null());
	free(rows);
	signal_table_free(t);
	*why = NULL;
	return json_pack("{s:s, s:i, s:s, s:o, s:o}", "by", by_lot ? "lot" : "product", "min_count", min_count, "prior",
	                 signal_prior_source_name(source), "mgps_prior", prior, "signals", list);
}

void handle_signals(request *req)
{
	const char *by = request_query(req, "by");
	int64_t min_count;
	if (by != NULL && strcmp(by, "product") != 0 && strcmp(by, "lot") != 0) {
		reply_error(req, 400, "invalid_field", "by", "by_value");
		return;
	}
	if (!query_int(req, "min_count", 1, 1, 1000, &min_count))
		return;
	const char *why;
	json_t *out = signals_from_store(req->db, by != NULL && strcmp(by, "lot") == 0, (int)min_count, &why);
	if (out == NULL) {
		if (why && strcmp(why, "no_cases") == 0)
			reply_json(req, 200, json_pack("{s:s, s:I, s:[]}", "by", by ? by : "product", "min_count",
			                               (json_int_t)min_count, "signals"));
		else
			reply_internal(req, "signals");
		return;
	}
	reply_json(req, 200, out);
}

/* One CTCAE term for the API. grades lists only the grades CTCAE defines for the term (NCI's
 * " -" cells are left out); Japanese is null where none is known. */
static json_t *json_ctcae_term(const ctcae_term *t)
{
	json_t *grades = json_array();
	for (int g = 1; g <= CTCAE_MAX_GRADE; g++)
		if (ctcae_grade_allowed(t, g))
			json_array_append_new(grades, json_pack("{s:i, s:s?, s:s, s:s?}", "grade", g, "ja", t->grade_ja[g], "en",
			                                        t->grade_en[g], "ja_source", t->grade_ja_source[g]));
	json_t *symptoms = json_array();
	for (int k = 0; k < t->symptom_count; k++)
		json_array_append_new(symptoms, json_string(t->symptoms[k]));
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:{s:s, s:s?}, s:s?, s:b, s:b, s:o, s:o}", "code", t->code, "name_en",
	                 t->name_en, "name_ja", t->name_ja, "ja_source", t->name_ja_source, "meddra_code", t->meddra_code,
	                 "soc", "en", t->soc_en, "ja", t->soc_ja, "definition", t->definition, "common", t->common,
	                 "other_specify", ctcae_is_other_specify(t), "grades", grades, "symptoms", symptoms);
}

#define CTCAE_SEARCH_MAX 50

/* Without q: the clinic's common terms. With q: the whole NCI CTCAE v5.0 catalogue searched
 * by English name, Japanese name (common terms) or MedDRA code, best first, at most limit. */
void handle_ctcae_terms(request *req)
{
	const char *q = request_query(req, "q");
	json_t *list = json_array();
	if (q == NULL) {
		for (int i = 0; i < ctcae_count(req->ctcae); i++)
			json_array_append_new(list, json_ctcae_term(ctcae_at(req->ctcae, i)));
		reply_json(req, 200, json_pack("{s:o}", "terms", list));
		return;
	}
	int64_t limit;
	if (!query_int(req, "limit", 20, 1, CTCAE_SEARCH_MAX, &limit)) {
		json_decref(list);
		return;
	}
	const ctcae_term *found[CTCAE_SEARCH_MAX];
	long chars = text_char_count(q);
	int total = chars >= 1 && chars <= 100 ? ctcae_search(req->ctcae, q, found, (int)limit) : -1;
	if (total < 0) {
		json_decref(list);
		reply_error(req, 400, "invalid_field", "q", "ctcae_query");
		return;
	}
	for (int i = 0; i < total && i < limit; i++)
		json_array_append_new(list, json_ctcae_term(found[i]));
	reply_json(req, 200, json_pack("{s:o, s:i, s:I}", "terms", list, "total", total, "limit", (json_int_t)limit));
}

static void export_case(request *req, ae_export_format format)
{
	char *text = NULL, why[512] = "";
	clinic_profile clinic;
	if (!clinic_for_document(req, &clinic))
		return;
	ae_rc rc = ae_export_report(req->db, req->ctcae, clinic.name, req->cfg->meddra_version, req->path_ids[0], format,
	                            &text, why, sizeof why);
	if (rc == AE_INVALID) {
		reply_error(req, 409, "export_refused", NULL, NULL);
		json_object_set_new(json_object_get(req->reply, "error"), "reason", json_string(why));
		return;
	}
	if (rc != AE_OK) {
		reply_ae_error(req, rc, NULL);
		return;
	}
	char object[48], filename[64];
	snprintf(object, sizeof object, "ae:%lld", (long long)req->path_ids[0]);
	if (!audit_read(req, format == AE_EXPORT_FHIR ? "ae.export.fhir" : "ae.export.e2b", object, "", "audit export")) {
		free(text);
		return;
	}
	snprintf(filename, sizeof filename, "exosafe-case-%lld.%s", (long long)req->path_ids[0],
	         format == AE_EXPORT_FHIR ? "json" : "xml");
	reply_raw(req, 200, text, strlen(text), format == AE_EXPORT_FHIR ? "application/fhir+json" : "application/xml",
	          filename);
}

void handle_ae_export_fhir(request *req)
{
	export_case(req, AE_EXPORT_FHIR);
}

void handle_ae_export_e2b(request *req)
{
	export_case(req, AE_EXPORT_E2B);
}

/* The 医薬品安全性情報報告書 for PMDA, as a printable page (the clinic prints and submits it;
 * exosafe sends nothing). Reading it is a read of the patient's health data: audited. */
void handle_ae_pmda_form(request *req)
{
	char *html = NULL, why[256] = "";
	const char *refusal = NULL;
	clinic_profile profile;
	if (!clinic_for_document(req, &profile))
		return;
	ae_rc rc = ae_pmda_form(req->db, req->ctcae, &profile, req->path_ids[0], clock_now(), &html, &refusal, why, sizeof why);
	if (rc == AE_INVALID) {
		reply_error(req, 409, refusal, NULL, NULL);
		json_object_set_new(json_object_get(req->reply, "error"), "reason", json_string(why));
		return;
	}
	if (rc != AE_OK) {
		reply_ae_error(req, rc, NULL);
		return;
	}
	char object[48];
	snprintf(object, sizeof object, "ae:%lld", (long long)req->path_ids[0]);
	if (!audit_read(req, "ae.export.pmda", object, "", "audit export")) {
		free(html);
		return;
	}
	reply_raw(req, 200, html, strlen(html), "text/html; charset=utf-8", NULL);
	/* The form carries its own print style and no script. */
	snprintf(req->raw_csp, sizeof req->raw_csp,
	         "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
}
