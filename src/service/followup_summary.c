/* The follow-up summaries and the sequential lot monitoring (CONTRACT17.md section 4).
 *
 * Units: per product a patient, entering at their first delivery of the product; per lot a
 * (patient, lot) exposure, entering at the first delivery that held the lot. A unit is
 * followed once it has an answered check-in attributed to it (per lot: a check-in whose lots,
 * those of the latest delivery before it was due, include the lot). Event: the first answered
 * check-in reporting any symptom, at its answered_at - entry (days); otherwise the unit is
 * censored at its last answered check-in. Incidence of a symptom: units that reported it at
 * least once / followed units, with the exact Clopper–Pearson 95% interval
 * (core/followup_stats.h). Person-time: the sum of the followed units' event or censoring
 * times, shown in months of 30.4375 days.
 *
 * MaxSPRT per lot (Kulldorff M et al., Sequential Analysis 2011;30:58–78): core/maxsprt_lots
 * replays the product's answered check-ins in answered_at order (CONTRACT17 "Lead decision
 * (09:58)"): observed = the lot's units with a first event; each answered check-in of a unit
 * still at risk adds to the lot's expected count the share of such check-ins in the product's
 * other lots, answered before it, that report a first event, for the same pair (previous
 * answered check-in's day from entry, 0 for none; this check-in's day from entry; days =
 * round((due_at − entry) / 86400)); a pair they never had: 1 − exp(−rate × days between),
 * rate = their first events per at-risk day; a share or rate of zero events counts half an
 * event. A check-in answered before any other lot had one is out of the test; a lot with
 * none in the test is "no_baseline". The lot is looked at after each second with its answers,
 * and signals at the first look with LLR >= CV and observed >= M while expected <= T, so a
 * signal, once found, is found by every later check (each look only uses what came before
 * it); the tick and each answer run the replay and raise the lot alert on a signal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/followup_stats.h"
#include "core/maxsprt.h"
#include "core/maxsprt_lots.h"
#include "service/followup.h"

#define DAY 86400.0
#define SYMPTOM_COUNT 9

static void *grow(void *items, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return items;
	size_t next = *cap ? *cap * 2 : 128;
	void *grown = realloc(items, next * size);
	if (grown != NULL)
		*cap = next;
	return grown;
}

typedef struct answered {
	int64_t checkin_id, patient_id, due_at, answered_at;
	uint32_t symptoms;             /* bit i: ae_symptoms[i] */
	int64_t lots[8];
	int lot_count;
} answered;

typedef struct unit {
	int64_t patient_id, lot_id;    /* lot_id 0: a product unit */
	char lot_number[65];
	int64_t entry_at;
	bool followed, event;
	int64_t event_s, last_s;       /* seconds from entry */
	uint32_t symptoms;
	int prev_day;                  /* the last answered check-in's day from entry, 0: none yet */
} unit;

/* The lots' answered check-ins of units still at risk, as core/maxsprt_lots takes them. */
typedef struct lot_rows {
	maxsprt_lot_checkin *items;
	size_t n, cap;
	bool failed;
} lot_rows;

static void lot_rows_add(lot_rows *t, maxsprt_lot_checkin row)
{
	maxsprt_lot_checkin *grown = grow(t->items, &t->cap, t->n, sizeof *grown);
	if (grown == NULL) {
		t->failed = true;
		return;
	}
	t->items = grown;
	t->items[t->n++] = row;
}

typedef struct inputs {
	answered *checkins;
	size_t n_checkins, cap_checkins;
	followup_exposure_row *exposures;
	size_t n_exposures, cap_exposures;
	bool failed;
} inputs;

static int symptom_bit(const char *code)
{
	for (int i = 0; ae_symptoms[i]; i++)
		if (strcmp(code, ae_symptoms[i]) == 0)
			return i;
	return -1;
}


static int keep_answer(void *ctx, const followup_answer_row *r)
{
	inputs *in = ctx;
	answered *last = in->n_checkins ? &in->checkins[in->n_checkins - 1] : NULL;
	if (last == NULL || last->checkin_id != r->checkin_id) {
		answered *grown = grow(in->checkins, &in->cap_checkins, in->n_checkins, sizeof *grown);
		if (grown == NULL) {
			in->failed = true;
			return 1;
		}
		in->checkins = grown;
		last = &in->checkins[in->n_checkins++];
		*last = (answered){.checkin_id = r->checkin_id, .patient_id = r->patient_id, .due_at = r->due_at,
		                   .answered_at = r->answered_at};
	}
	int bit = r->symptom[0] ? symptom_bit(r->symptom) : -1;
	if (bit >= 0)
		last->symptoms |= 1u << bit;
	bool known = r->lot_id == 0;
	for (int i = 0; i < last->lot_count && !known; i++)
		known = last->lots[i] == r->lot_id;
	if (!known && last->lot_count < 8)
		last->lots[last->lot_count++] = r->lot_id;
	return 0;
}

static int keep_exposure(void *ctx, const followup_exposure_row *e)
{
	inputs *in = ctx;
	followup_exposure_row *grown = grow(in->exposures, &in->cap_exposures, in->n_exposures, sizeof *grown);
	if (grown == NULL) {
		in->failed = true;
		return 1;
	}
	in->exposures = grown;
	in->exposures[in->n_exposures++] = *e;
	return 0;
}

static store_rc load_inputs(store *s, int64_t product_id, inputs *in)
{
	*in = (inputs){0};
	store_rc rc = store_followup_answers(s, product_id, keep_answer, in);
	if (rc == STORE_OK)
		rc = store_followup_exposures(s, product_id, keep_exposure, in);
	return in->failed ? STORE_ERROR : rc;
}

static void free_inputs(inputs *in)
{
	free(in->checkins);
	free(in->exposures);
}

static int unit_cmp(const void *a, const void *b)
{
	const unit *x = a, *y = b;
	if (x->patient_id != y->patient_id)
		return x->patient_id < y->patient_id ? -1 : 1;
	return x->lot_id < y->lot_id ? -1 : x->lot_id > y->lot_id;
}

static unit *find_unit(unit *units, size_t n, int64_t patient_id, int64_t lot_id)
{
	unit key = {.patient_id = patient_id, .lot_id = lot_id};
	return bsearch(&key, units, n, sizeof *units, unit_cmp);
}

static void observe(unit *u, const answered *c, lot_rows *rows)
{
	int64_t t = c->answered_at - u->entry_at;
	if (t < 0)
		t = 0;
	/* The check-in's day from the unit's entry (its due day, whole days). */
	int64_t due = c->due_at - u->entry_at;
	int day = due <= 0 ? 0 : (int)((due + 43200) / 86400);
	/* A unit's check-ins come in answered order; a due day before the previous one (a later
	 * delivery moved the schedule) counts as no time between them. */
	if (rows && !u->event)
		lot_rows_add(rows, (maxsprt_lot_checkin){u->lot_id, u->patient_id, u->prev_day < day ? u->prev_day : day, day,
		                                         c->answered_at, c->symptoms != 0});
	u->prev_day = day;
	u->followed = true;
	if (!u->event && c->symptoms) {
		u->event = true;
		u->event_s = t;
	}
	if (t > u->last_s)
		u->last_s = t;
	u->symptoms |= c->symptoms;
}

/* The units of the product (by_lot false: one per patient) or of its lots, with their
 * check-ins applied; sorted by (patient, lot). NULL on memory failure (*n 0 and no units is a
 * valid empty result: then a non-NULL block). */
static unit *build_units(const inputs *in, bool by_lot, lot_rows *rows, size_t *n_out)
{
	unit *units = calloc(in->n_exposures + 1, sizeof *units);
	if (units == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < in->n_exposures; i++) {
		const followup_exposure_row *e = &in->exposures[i];
		/* Exposures come by patient, then lot: a product unit is the patient's first entry. */
		if (!by_lot && n > 0 && units[n - 1].patient_id == e->patient_id) {
			if (e->entry_at < units[n - 1].entry_at)
				units[n - 1].entry_at = e->entry_at;
			continue;
		}
		units[n] = (unit){.patient_id = e->patient_id, .lot_id = by_lot ? e->lot_id : 0, .entry_at = e->entry_at};
		snprintf(units[n].lot_number, sizeof units[n].lot_number, "%s", by_lot ? e->lot_number : "");
		n++;
	}
	qsort(units, n, sizeof *units, unit_cmp);
	for (size_t i = 0; i < in->n_checkins; i++) {
		const answered *c = &in->checkins[i];
		if (!by_lot) {
			unit *u = find_unit(units, n, c->patient_id, 0);
			if (u)
				observe(u, c, NULL);
			continue;
		}
		for (int k = 0; k < c->lot_count; k++) {
			unit *u = find_unit(units, n, c->patient_id, c->lots[k]);
			if (u)
				observe(u, c, rows);
		}
	}
	*n_out = n;
	return units;
}

static int64_t unit_seconds(const unit *u)
{
	return u->event ? u->event_s : u->last_s;
}

/* Per lot: followed units, person-days, events, and the MaxSPRT look. */
typedef struct lot_line {
	int64_t lot_id;
	char lot_number[65];
	int64_t followed, events;
	int64_t seconds;
	double expected, llr;          /* NAN when not tested */
	int64_t observed, looks;       /* core/maxsprt_lots: events in the test, looks so far */
	int64_t signal_at, signal_look; /* the look that first signalled, 0: none */
	const char *state;
} lot_line;

typedef struct lot_table {
	lot_line *lines;
	size_t n;
	double cv;                     /* NAN when no critical value exists for the settings */
} lot_table;

static int maxsprt_lot_result_cmp(const void *a, const void *b)
{
	const maxsprt_lot_result *x = a, *y = b;
	return (x->lot_id > y->lot_id) - (x->lot_id < y->lot_id);
}

/* Fills the lot table from lot units (sorted by patient, then lot) and the replay of their
 * at-risk check-ins (core/maxsprt_lots). */
static int lot_table_build(const unit *units, size_t n, const lot_rows *rows, const followup_settings *fs,
                           lot_table *t)
{
	t->lines = calloc(n + 1, sizeof *t->lines);
	t->n = 0;
	if (t->lines == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		lot_line *line = NULL;
		for (size_t k = 0; k < t->n && !line; k++)
			if (t->lines[k].lot_id == units[i].lot_id)
				line = &t->lines[k];
		if (line == NULL) {
			line = &t->lines[t->n++];
			line->lot_id = units[i].lot_id;
			snprintf(line->lot_number, sizeof line->lot_number, "%s", units[i].lot_number);
		}
		if (units[i].followed) {
			line->followed++;
			line->events += units[i].event;
			line->seconds += unit_seconds(&units[i]);
		}
	}
	double cv;
	t->cv = maxsprt_critical_value(fs->upper_limit, fs->min_events, fs->alpha, &cv) == 0 ? cv : NAN;
	const maxsprt_lot_settings settings = {fs->alpha, fs->upper_limit, fs->min_events};
	maxsprt_lot_result *replay = NULL;
	size_t n_replay = 0;
	if (maxsprt_lots_run(rows->items, rows->n, &settings, &replay, &n_replay) != 0)
		return -1;
	for (size_t k = 0; k < t->n; k++) {
		lot_line *l = &t->lines[k];
		const maxsprt_lot_result key = {.lot_id = l->lot_id};
		const maxsprt_lot_result *r =
		        n_replay ? bsearch(&key, replay, n_replay, sizeof *replay, maxsprt_lot_result_cmp) : NULL;
		l->expected = NAN;
		l->llr = NAN;
		if (r == NULL || r->state == MAXSPRT_LOT_NO_BASELINE || isnan(t->cv)) {
			l->state = "no_baseline";
			continue;
		}
		l->expected = r->expected;
		l->llr = r->llr;
		l->observed = r->observed;
		l->looks = r->looks;
		l->signal_at = r->signal_at;
		l->signal_look = r->signal_look;
		l->state = maxsprt_lot_state_name(r->state);
	}
	free(replay);
	return 0;
}

typedef struct alert_find {
	int64_t *lots;
	size_t n, cap;
} alert_find;

static int keep_maxsprt_alert(void *ctx, const ae_lot_alert_record *a)
{
	alert_find *f = ctx;
	if (strcmp(a->rule, "maxsprt") == 0) {
		int64_t *grown = grow(f->lots, &f->cap, f->n, sizeof *grown);
		if (grown == NULL)
			return 1;
		f->lots = grown;
		f->lots[f->n++] = a->lot_id;
	}
	return 0;
}

int followup_check_lots(store *s, const followup_settings *fs, int64_t product_id, const int64_t *only_lots, int n,
                        int64_t now, int *signals)
{
	*signals = 0;
	inputs in;
	if (load_inputs(s, product_id, &in) != STORE_OK) {
		free_inputs(&in);
		return -1;
	}
	size_t n_units = 0;
	lot_rows rows = {0};
	unit *units = build_units(&in, true, &rows, &n_units);
	lot_table t = {0};
	int result = units && !rows.failed && lot_table_build(units, n_units, &rows, fs, &t) == 0 ? 0 : -1;
	for (size_t k = 0; result == 0 && k < t.n; k++) {
		lot_line *l = &t.lines[k];
		bool wanted = n == 0;
		for (int i = 0; i < n && !wanted; i++)
			wanted = only_lots[i] == l->lot_id;
		if (!wanted || strcmp(l->state, "signal") != 0)
			continue;
		lot_record lot;
		if (store_lot_get(s, l->lot_id, &lot) != STORE_OK) {
			result = -1;
			break;
		}
		json_t *evidence = json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:i, s:I, s:I}", "events",
		                             (json_int_t)l->events, "observed", (json_int_t)l->observed, "patients_followed",
		                             (json_int_t)l->followed, "person_days", (double)l->seconds / DAY, "expected",
		                             l->expected, "llr", l->llr, "cv", t.cv, "alpha", fs->alpha, "min_events",
		                             fs->min_events, "signal_at", (json_int_t)l->signal_at, "signal_look",
		                             (json_int_t)l->signal_look);
		if (ae_raise_lot_alert(s, fs->quarantine, &lot, "maxsprt", evidence, now, signals) != AE_OK)
			result = -1;
	}
	free(t.lines);
	free(rows.items);
	free(units);
	free_inputs(&in);
	return result;
}

/* ---- the summaries ---- */

static json_t *number_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *incidence_json(const unit *units, size_t n, int64_t *followed_out, bool public_view)
{
	uint32_t *bits = calloc(n + 1, sizeof *bits);
	fs_incidence inc[SYMPTOM_COUNT];
	int64_t followed = 0;
	for (size_t i = 0; bits && i < n; i++)
		if (units[i].followed)
			bits[followed++] = units[i].symptoms;
	*followed_out = followed;
	json_t *list = json_array();
	if (bits == NULL || list == NULL || fs_symptom_incidence(bits, (size_t)followed, SYMPTOM_COUNT, 0.95, inc) != 0) {
		free(bits);
		json_decref(list);
		return NULL;
	}
	free(bits);
	for (int sidx = 0; sidx < SYMPTOM_COUNT; sidx++) {
		json_t *o;
		/* Small cells (fewer than 5 patients, none included) are not shown to the public. */
		if (public_view && inc[sidx].units < 5)
			o = json_pack("{s:s, s:n, s:n, s:n, s:n, s:b}", "symptom", ae_symptoms[sidx], "patients", "proportion",
			              "lower", "upper", "suppressed", 1);
		else
			o = json_pack("{s:s, s:I, s:o, s:o, s:o}", "symptom", ae_symptoms[sidx], "patients",
			              (json_int_t)inc[sidx].units, "proportion", number_or_null(inc[sidx].proportion), "lower",
			              number_or_null(inc[sidx].lower), "upper", number_or_null(inc[sidx].upper));
		if (public_view && o && inc[sidx].units >= 5)
			json_object_set_new(o, "suppressed", json_false());
		json_array_append_new(list, o);
	}
	return list;
}

static json_t *km_json(const unit *units, size_t n)
{
	fs_obs *obs = calloc(n + 1, sizeof *obs);
	fs_km_step *steps = calloc(n + 1, sizeof *steps);
	json_t *list = json_array();
	size_t m = 0;
	for (size_t i = 0; obs && i < n; i++)
		if (units[i].followed)
			obs[m++] = (fs_obs){(double)unit_seconds(&units[i]) / DAY, units[i].event};
	ptrdiff_t k = obs && steps ? fs_kaplan_meier(obs, m, 0.95, steps) : -1;
	for (ptrdiff_t i = 0; list && i < k; i++)
		json_array_append_new(list, json_pack("{s:f, s:I, s:I, s:I, s:f, s:o, s:o}", "time_days", steps[i].time,
		                                      "at_risk", (json_int_t)steps[i].at_risk, "events",
		                                      (json_int_t)steps[i].events, "censored", (json_int_t)steps[i].censored,
		                                      "survival", steps[i].survival, "lower", number_or_null(steps[i].lower),
		                                      "upper", number_or_null(steps[i].upper)));
	free(obs);
	free(steps);
	if (k < 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

static json_t *integer_or_null(int64_t v)
{
	return v ? json_integer((json_int_t)v) : json_null();
}

/* A lot's line; cv is the critical value its llr is compared with (contract: lots[].cv). */
static json_t *lot_line_json(const lot_line *l, double cv)
{
	return json_pack("{s:I, s:s, s:I, s:f, s:I, s:I, s:o, s:o, s:o, s:I, s:o, s:o, s:s}", "lot_id",
	                 (json_int_t)l->lot_id, "lot_number", l->lot_number, "patients_followed", (json_int_t)l->followed,
	                 "person_months", (double)l->seconds / DAY / FS_DAYS_PER_MONTH, "events", (json_int_t)l->events,
	                 "observed", (json_int_t)l->observed, "expected", number_or_null(l->expected), "llr",
	                 number_or_null(l->llr), "cv", number_or_null(cv), "looks", (json_int_t)l->looks, "signal_at",
	                 integer_or_null(l->signal_at), "signal_look", integer_or_null(l->signal_look), "state", l->state);
}

static json_t *plan_json(const followup_plan *p)
{
	json_t *days = json_array();
	for (int i = 0; i < p->first_count; i++)
		json_array_append_new(days, json_integer(p->first_days[i]));
	return json_pack("{s:o, s:i, s:b}", "first_days", days, "repeat_days", p->repeat_days, "disclose", p->disclose);
}

followup_rc followup_summary(store *s, const followup_settings *fs, int64_t product_id, int64_t lot_id,
                             const char *lang, json_t **out)
{
	*out = NULL;
	lot_record lot = {0};
	if (lot_id != 0) {
		store_rc lrc = store_lot_get(s, lot_id, &lot);
		if (lrc != STORE_OK)
			return lrc == STORE_NOT_FOUND ? FOLLOWUP_NOT_FOUND : FOLLOWUP_ERROR;
		product_id = lot.product_id;
	}
	product_record p;
	store_rc rc = store_product_get(s, product_id, &p);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? FOLLOWUP_NOT_FOUND : FOLLOWUP_ERROR;
	followup_plan plan;
	if (followup_plan_of(s, product_id, &plan) != STORE_OK)
		return FOLLOWUP_ERROR;
	inputs in;
	if (load_inputs(s, product_id, &in) != STORE_OK) {
		free_inputs(&in);
		return FOLLOWUP_ERROR;
	}
	size_t n_units = 0, n_lot_units = 0;
	lot_rows rows = {0};
	unit *units = build_units(&in, lot_id != 0, NULL, &n_units);
	unit *lot_units = build_units(&in, true, &rows, &n_lot_units);
	followup_rc result = FOLLOWUP_ERROR;
	lot_table t = {0};
	alert_find alerts = {0};
	if (units == NULL || lot_units == NULL || rows.failed || lot_table_build(lot_units, n_lot_units, &rows, fs, &t) != 0 ||
	    store_ae_lot_alert_list(s, keep_maxsprt_alert, &alerts) != STORE_OK)
		goto out;
	/* The lot view: only that lot's units. */
	size_t kept = 0;
	for (size_t i = 0; i < n_units; i++)
		if (lot_id == 0 || units[i].lot_id == lot_id)
			units[kept++] = units[i];
	n_units = kept;
	int64_t followed = 0, events = 0, seconds = 0;
	for (size_t i = 0; i < n_units; i++)
		if (units[i].followed) {
			events += units[i].event;
			seconds += unit_seconds(&units[i]);
		}
	json_t *incidence = incidence_json(units, n_units, &followed, false);
	json_t *km = km_json(units, n_units);
	json_t *lots = json_array();
	for (size_t k = 0; lots && k < t.n; k++) {
		if (lot_id != 0 && t.lines[k].lot_id != lot_id)
			continue;
		/* A signal stays a signal once its alert is raised, whatever the later looks say. */
		for (size_t a = 0; a < alerts.n; a++)
			if (alerts.lots[a] == t.lines[k].lot_id)
				t.lines[k].state = "signal";
		json_array_append_new(lots, lot_line_json(&t.lines[k], t.cv));
	}
	bool en = lang && strcmp(lang, "en") == 0;
	*out = json_pack("{s:{s:I, s:s}, s:o, s:I, s:f, s:I, s:o, s:o, s:o, s:{s:f, s:f, s:i, s:o}}", "product", "id",
	                 (json_int_t)p.id, "name", en ? p.name_en : p.name_ja, "plan", plan_json(&plan),
	                 "patients_followed", (json_int_t)followed, "person_months",
	                 (double)seconds / DAY / FS_DAYS_PER_MONTH, "events", (json_int_t)events, "incidence",
	                 incidence ? incidence : json_null(), "km", km ? km : json_null(), "lots", lots ? lots : json_null(),
	                 "maxsprt", "alpha", fs->alpha, "upper_limit", fs->upper_limit, "min_events", fs->min_events, "cv",
	                 number_or_null(t.cv));
	if (*out && lot_id != 0)
		json_object_set_new(*out, "lot", json_pack("{s:I, s:s}", "id", (json_int_t)lot.id, "lot_number", lot.lot_number));
	result = *out && incidence && km && lots ? FOLLOWUP_OK : FOLLOWUP_ERROR;
	if (result != FOLLOWUP_OK) {
		json_decref(*out);
		*out = NULL;
	}
out:
	free(alerts.lots);
	free(rows.items);
	free(t.lines);
	free(units);
	free(lot_units);
	free_inputs(&in);
	return result;
}

followup_rc followup_public_summary(store *s, int64_t product_id, json_t **out)
{
	*out = NULL;
	followup_plan plan;
	if (followup_plan_of(s, product_id, &plan) != STORE_OK)
		return FOLLOWUP_ERROR;
	if (!plan.disclose) {
		*out = json_null();
		return FOLLOWUP_OK;
	}
	inputs in;
	if (load_inputs(s, product_id, &in) != STORE_OK) {
		free_inputs(&in);
		return FOLLOWUP_ERROR;
	}
	size_t n = 0;
	unit *units = build_units(&in, false, NULL, &n);
	int64_t followed = 0, seconds = 0;
	for (size_t i = 0; units && i < n; i++)
		if (units[i].followed)
			seconds += unit_seconds(&units[i]);
	json_t *incidence = units ? incidence_json(units, n, &followed, true) : NULL;
	if (incidence != NULL)
		*out = json_pack("{s:I, s:f, s:o}", "patients_followed", (json_int_t)followed, "months_followed",
		                 (double)seconds / DAY / FS_DAYS_PER_MONTH, "incidence", incidence);
	free(units);
	free_inputs(&in);
	return *out ? FOLLOWUP_OK : FOLLOWUP_ERROR;
}
