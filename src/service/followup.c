/* Active safety follow-up: the schedule, the check-ins and their answers (see followup.h). */
#include "service/followup.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/credentials.h"
#include "core/timefmt.h"
#include "service/clinic.h"
#include "service/mail.h"

#define DAY 86400

void followup_settings_defaults(followup_settings *fs)
{
	*fs = (followup_settings){.data_dir = NULL, .public_url = "", .reminder_days = 3, .link_valid_days = 14,
	                          .alpha = 0.05, .upper_limit = 20, .min_events = 2, .quarantine = true};
}

followup_settings followup_settings_from_config(const server_config *cfg)
{
	return (followup_settings){.data_dir = cfg->data_dir, .public_url = cfg->mail.public_url,
	                           .reminder_days = cfg->followup.reminder_days,
	                           .link_valid_days = cfg->followup.link_valid_days, .alpha = cfg->followup.alpha,
	                           .upper_limit = cfg->followup.upper_limit, .min_events = cfg->followup.min_events,
	                           .quarantine = cfg->ae_lot_alert_quarantine};
}

void followup_plan_defaults(followup_plan *p, int64_t product_id)
{
	*p = (followup_plan){.product_id = product_id, .first_days = {3, 14, 30}, .first_count = 3, .repeat_days = 91};
}

store_rc followup_plan_of(store *s, int64_t product_id, followup_plan *out)
{
	store_rc rc = store_followup_plan_get(s, product_id, out);
	if (rc == STORE_NOT_FOUND) {
		followup_plan_defaults(out, product_id);
		return STORE_OK;
	}
	return rc;
}

/* ---- the schedule ---- */

typedef struct delivery_list {
	followup_delivery *items;
	size_t n, cap;
	bool failed;
} delivery_list;

static int keep_delivery(void *ctx, const followup_delivery *d)
{
	delivery_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		followup_delivery *grown = realloc(l->items, cap * sizeof *grown);
		if (grown == NULL) {
			l->failed = true;
			return 1;
		}
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = *d;
	return 0;
}

/* One schedule slot: where it is counted from, its offset and when it is due. */
typedef struct slot {
	int64_t anchor_order_id;
	int day_offset;
	int64_t due_at;
	int64_t lots_order_id;
} slot;

/* Considers a candidate: keeps the latest one due in [from, to] (ties: the larger offset). */
static void consider(slot *best, bool *found, int64_t anchor, int offset, int64_t due, int64_t from, int64_t to)
{
	if (due < from || due > to)
		return;
	if (!*found || due > best->due_at || (due == best->due_at && offset > best->day_offset)) {
		*best = (slot){anchor, offset, due, 0};
		*found = true;
	}
}

/* The latest slot of one patient's deliveries of one product (g, n: by delivery time) due in
 * [from, to], with the delivery whose lots it asks about. False when none. */
static bool latest_slot(const followup_delivery *g, size_t n, const followup_plan *plan, int64_t from, int64_t to,
                        slot *out)
{
	bool found = false;
	for (size_t i = 0; i < n; i++)
		if (g[i].brings_new_lot)
			for (int k = 0; k < plan->first_count; k++)
				consider(out, &found, g[i].order_id, plan->first_days[k],
				         g[i].delivered_at + (int64_t)plan->first_days[k] * DAY, from, to);
	/* Repeats from the first delivery, asked only while deliveries go on: one arrived in the
	 * repeat interval before the slot. Walked from the latest k down to the window's start. */
	int64_t entry = g[0].delivered_at, period = (int64_t)plan->repeat_days * DAY;
	if (to >= entry + period) {
		for (int64_t k = (to - entry) / period; k >= 1 && entry + k * period >= from; k--) {
			int64_t due = entry + k * period;
			bool ordering = false;
			for (size_t i = 0; i < n && !ordering; i++)
				ordering = g[i].delivered_at > due - period && g[i].delivered_at <= due;
			if (ordering && k * (int64_t)plan->repeat_days <= 100000) {
				consider(out, &found, g[0].order_id, (int)(k * plan->repeat_days), due, from, to);
				break;
			}
		}
	}
	if (!found)
		return false;
	for (size_t i = 0; i < n; i++)
		if (g[i].delivered_at <= out->due_at)
			out->lots_order_id = g[i].order_id;
	return true;
}

/* The next slot due after now (for the patient's page), 0 when none is foreseen. */
static int64_t next_due(const followup_delivery *g, size_t n, const followup_plan *plan, int64_t now)
{
	int64_t next = 0;
	for (size_t i = 0; i < n; i++)
		if (g[i].brings_new_lot)
			for (int k = 0; k < plan->first_count; k++) {
				int64_t due = g[i].delivered_at + (int64_t)plan->first_days[k] * DAY;
				if (due > now && (next == 0 || due < next))
					next = due;
			}
	int64_t entry = g[0].delivered_at, period = (int64_t)plan->repeat_days * DAY;
	int64_t due = entry + ((now - entry) / period + 1) * period;
	/* A repeat is foreseen when a delivery already falls in its interval. */
	for (size_t i = 0; i < n; i++)
		if (g[i].delivered_at > due - period && (next == 0 || due < next)) {
			next = due;
			break;
		}
	return next;
}

/* ---- mail ---- */

static store_rc mail_checkin(store *s, const followup_settings *fs, const checkin_record *c, const char *kind,
                             const char *token, int64_t now)
{
	user_record u;
	store_rc rc = store_user_by_id(s, c->patient_id, &u);
	if (rc != STORE_OK)
		return STORE_ERROR;
	clinic_profile clinic;
	if (clinic_profile_of(s, &u, &clinic) != CLINIC_OK)
		return STORE_ERROR;
	bool en = strcmp(u.lang, "en") == 0;
	product_record p;
	if (store_product_get(s, c->product_id, &p) != STORE_OK)
		return STORE_ERROR;
	char link[700], day[16], due[11], until[11], key[96];
	snprintf(link, sizeof link, "%s/checkin.html?token=%s", fs->public_url ? fs->public_url : "", token);
	snprintf(day, sizeof day, "%d", c->day_offset);
	jst_date(c->due_at, due);
	jst_date(c->link_expires_at, until);
	snprintf(key, sizeof key, "%s:%lld", kind, (long long)c->id);
	mail_var vars[] = {{"name", u.name},       {"product", en ? p.name_en : p.name_ja}, {"day", day},
	                   {"due_date", due},      {"link", link},                            {"valid_until", until},
	                   {"clinic_name", clinic.name}, {"clinic_phone", clinic.phone}};
	mail_item item = {.recipient_user_id = u.id, .to_address = u.email, .kind = kind, .not_before = now,
	                  .dedupe_key = key};
	return mail_render_enqueue(s, fs->data_dir, en ? "en" : "ja", &item, vars, sizeof vars / sizeof vars[0]);
}

/* ---- tick ---- */

/* Creates the slot's check-in for patient and product (closing an older open one as missed),
 * with its mail and audit row, in one transaction. *created is false when the slot was taken. */
static store_rc create_checkin(store *s, const followup_settings *fs, int64_t patient_id, int64_t product_id,
                               const slot *sl, int64_t now, followup_tick_counts *counts)
{
	char token[TOKEN_TEXT_MAX];
	checkin_record c = {.patient_id = patient_id, .product_id = product_id, .anchor_order_id = sl->anchor_order_id,
	                    .lots_order_id = sl->lots_order_id, .day_offset = sl->day_offset, .due_at = sl->due_at,
	                    .link_expires_at = sl->due_at + (int64_t)fs->link_valid_days * DAY, .created_at = now};
	token_random(token);
	token_hash(token, c.link_token_hash);
	if (store_begin(s) != STORE_OK)
		return STORE_ERROR;
	int64_t superseded = 0;
	store_rc rc = store_checkins_close_open(s, patient_id, product_id, "missed", now, &superseded);
	if (rc == STORE_OK)
		rc = store_checkin_insert(s, &c);
	if (rc == STORE_CONFLICT) {
		store_rollback(s);
		return STORE_OK;
	}
	if (rc == STORE_OK && fs->data_dir != NULL) {
		rc = mail_checkin(s, fs, &c, "checkin_due", token, now);
		if (rc == STORE_OK)
			rc = store_checkin_mark_mailed(s, c.id, now);
	}
	sodium_memzero(token, sizeof token);
	char detail[160];
	snprintf(detail, sizeof detail, "check-in %lld: product %lld, day %d%s", (long long)c.id, (long long)product_id,
	         c.day_offset, superseded ? "; the older open one missed" : "");
	actor system = {.id = 0, .role = ROLE_NONE};
	if (rc != STORE_OK || !service_audit(s, &system, "followup.checkin", "patient", patient_id, detail))
		return service_rollback(s, STORE_ERROR);
	if (store_commit(s) != STORE_OK)
		return STORE_ERROR;
	counts->created++;
	counts->superseded += superseded;
	counts->mailed += fs->data_dir != NULL;
	return STORE_OK;
}

typedef struct remind_list {
	checkin_record *items;
	size_t n, cap;
	bool failed;
} remind_list;

static int keep_checkin(void *ctx, const checkin_record *c)
{
	remind_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		checkin_record *grown = realloc(l->items, cap * sizeof *grown);
		if (grown == NULL) {
			l->failed = true;
			return 1;
		}
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = *c;
	return 0;
}

static store_rc send_reminders(store *s, const followup_settings *fs, int64_t now, followup_tick_counts *counts)
{
	if (fs->data_dir == NULL)
		return STORE_OK;
	remind_list due = {0};
	store_rc rc = store_checkins_to_remind(s, now - (int64_t)fs->reminder_days * DAY, keep_checkin, &due);
	if (due.failed)
		rc = STORE_ERROR;
	for (size_t i = 0; rc == STORE_OK && i < due.n; i++) {
		checkin_record *c = &due.items[i];
		char token[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX];
		token_random(token);
		token_hash(token, hash);
		if (store_begin(s) != STORE_OK) {
			rc = STORE_ERROR;
			break;
		}
		char detail[96];
		snprintf(detail, sizeof detail, "check-in %lld: reminder mailed", (long long)c->id);
		actor system = {.id = 0, .role = ROLE_NONE};
		if (store_checkin_mark_reminded(s, c->id, now, hash) != STORE_OK ||
		    mail_checkin(s, fs, c, "checkin_reminder", token, now) != STORE_OK ||
		    !service_audit(s, &system, "followup.checkin", "patient", c->patient_id, detail) ||
		    store_commit(s) != STORE_OK) {
			store_rollback(s);
			rc = STORE_ERROR;
		} else {
			counts->reminded++;
		}
		sodium_memzero(token, sizeof token);
	}
	free(due.items);
	return rc;
}

/* A small per-tick cache of plans (a clinic has a handful of products). */
typedef struct plan_cache {
	followup_plan plans[64];
	int n;
} plan_cache;

static store_rc cached_plan(store *s, plan_cache *pc, int64_t product_id, followup_plan *out)
{
	for (int i = 0; i < pc->n; i++)
		if (pc->plans[i].product_id == product_id) {
			*out = pc->plans[i];
			return STORE_OK;
		}
	store_rc rc = followup_plan_of(s, product_id, out);
	if (rc == STORE_OK && pc->n < 64)
		pc->plans[pc->n++] = *out;
	return rc;
}

store_rc followup_tick(store *s, const followup_settings *fs, int64_t now, followup_tick_counts *counts)
{
	followup_tick_counts local = {0};
	if (counts == NULL)
		counts = &local;
	*counts = (followup_tick_counts){0};
	/* Expired links first: a check-in past its link is missed before anything newer is asked. */
	if (store_begin(s) != STORE_OK)
		return STORE_ERROR;
	if (store_checkins_expire(s, now, &counts->expired) != STORE_OK || store_commit(s) != STORE_OK) {
		store_rollback(s);
		return STORE_ERROR;
	}

	delivery_list all = {0};
	store_rc rc = store_followup_deliveries(s, keep_delivery, &all);
	if (all.failed)
		rc = STORE_ERROR;
	plan_cache *plans = calloc(1, sizeof *plans);
	if (plans == NULL)
		rc = STORE_ERROR;
	int64_t products[64];
	int product_count = 0;
	int64_t from = now - (int64_t)fs->link_valid_days * DAY;
	for (size_t i = 0; rc == STORE_OK && i < all.n;) {
		size_t j = i;
		while (j < all.n && all.items[j].patient_id == all.items[i].patient_id &&
		       all.items[j].product_id == all.items[i].product_id)
			j++;
		const followup_delivery *g = &all.items[i];
		size_t n = j - i;
		i = j;
		bool known = false;
		for (int k = 0; k < product_count; k++)
			known = known || products[k] == g->product_id;
		if (!known && product_count < 64)
			products[product_count++] = g->product_id;
		int64_t withdrawn_at;
		store_rc w = store_followup_withdrawal_get(s, g->patient_id, &withdrawn_at);
		if (w == STORE_OK)
			continue;
		if (w != STORE_NOT_FOUND) {
			rc = STORE_ERROR;
			break;
		}
		followup_plan plan;
		if (cached_plan(s, plans, g->product_id, &plan) != STORE_OK) {
			rc = STORE_ERROR;
			break;
		}
		slot sl = {0};
		if (!latest_slot(g, n, &plan, from, now, &sl))
			continue;
		store_rc taken = store_checkin_slot_taken(s, g->patient_id, g->product_id, sl.anchor_order_id, sl.day_offset);
		if (taken == STORE_OK)
			continue;
		if (taken != STORE_NOT_FOUND || create_checkin(s, fs, g->patient_id, g->product_id, &sl, now, counts) != STORE_OK)
			rc = STORE_ERROR;
	}
	free(all.items);
	free(plans);
	if (rc == STORE_OK)
		rc = send_reminders(s, fs, now, counts);
	/* Each lot's MaxSPRT look, against the product's other lots as they stand now. */
	for (int k = 0; rc == STORE_OK && k < product_count; k++) {
		int signals = 0;
		if (store_begin(s) != STORE_OK || followup_check_lots(s, fs, products[k], NULL, 0, now, &signals) != 0 ||
		    store_commit(s) != STORE_OK) {
			store_rollback(s);
			rc = STORE_ERROR;
		}
		counts->signals += signals;
	}
	return rc;
}

/* ---- views ---- */

typedef struct json_fill {
	json_t *list;
	bool failed;
} json_fill;

static int add_symptom(void *ctx, const checkin_symptom *sy)
{
	json_fill *f = ctx;
	json_t *o = json_pack("{s:s, s:s, s:b}", "symptom", sy->symptom, "severity", sy->severity, "still_present",
	                      sy->still_present);
	if (o == NULL || json_array_append_new(f->list, o) != 0)
		f->failed = true;
	return f->failed;
}

static int add_lot(void *ctx, const checkin_lot *l)
{
	json_fill *f = ctx;
	json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)l->lot_id, "lot_number", l->lot_number);
	if (o == NULL || json_array_append_new(f->list, o) != 0)
		f->failed = true;
	return f->failed;
}

static json_t *time_or_null(int64_t t)
{
	return t ? json_integer(t) : json_null();
}

json_t *followup_checkin_json(store *s, const checkin_record *c, const char *lang)
{
	json_fill symptoms = {json_array(), false}, lots = {json_array(), false};
	bool answered = strcmp(c->status, "answered") == 0;
	json_t *j = json_pack("{s:I, s:I, s:s, s:i, s:I, s:s, s:o, s:o, s:o, s:s, s:o}", "id", (json_int_t)c->id,
	                      "product_id", (json_int_t)c->product_id, "product_name",
	                      lang && strcmp(lang, "en") == 0 ? c->product_name_en : c->product_name_ja, "day_offset",
	                      c->day_offset, "due_at", (json_int_t)c->due_at, "status", c->status, "answered_at",
	                      time_or_null(c->answered_at), "answered_via",
	                      answered ? json_string(c->answered_via) : json_null(), "nothing_changed",
	                      answered ? json_boolean(c->nothing_changed == 1) : json_null(), "note", c->note,
	                      "ae_report_id", c->ae_report_id ? json_integer(c->ae_report_id) : json_null());
	if (j == NULL || symptoms.list == NULL || lots.list == NULL ||
	    store_checkin_symptoms(s, c->id, add_symptom, &symptoms) != STORE_OK || symptoms.failed ||
	    store_checkin_lots(s, c->id, add_lot, &lots) != STORE_OK || lots.failed) {
		json_decref(j);
		json_decref(symptoms.list);
		json_decref(lots.list);
		return NULL;
	}
	json_object_set_new(j, "symptoms", symptoms.list);
	json_object_set_new(j, "lots", lots.list);
	json_object_set_new(j, "link_expires_at", json_integer(c->link_expires_at));
	return j;
}

followup_rc followup_checkin_visible(store *s, const actor *by, int64_t id, checkin_record *out)
{
	store_rc rc = store_checkin_get(s, id, out);
	if (rc == STORE_ERROR)
		return FOLLOWUP_ERROR;
	if (rc == STORE_NOT_FOUND || (by->role == ROLE_PATIENT && out->patient_id != by->id))
		return FOLLOWUP_NOT_FOUND;
	return FOLLOWUP_OK;
}

typedef struct mine_fill {
	store *s;
	const char *lang;
	json_t *open, *answered;
	int64_t count;
	bool failed;
} mine_fill;

static int add_mine(void *ctx, const checkin_record *c)
{
	mine_fill *f = ctx;
	f->count++;
	json_t *target = strcmp(c->status, "open") == 0 ? f->open : strcmp(c->status, "answered") == 0 ? f->answered : NULL;
	if (target == NULL)
		return 0;
	json_t *j = followup_checkin_json(f->s, c, f->lang);
	if (j == NULL || json_array_append_new(target, j) != 0)
		f->failed = true;
	return f->failed;
}

typedef struct patient_deliveries {
	int64_t patient_id;
	delivery_list list;
} patient_deliveries;

static int keep_patient_delivery(void *ctx, const followup_delivery *d)
{
	patient_deliveries *p = ctx;
	return d->patient_id == p->patient_id ? keep_delivery(&p->list, d) : 0;
}

followup_rc followup_mine(store *s, int64_t patient_id, const char *lang, int64_t now, json_t **out)
{
	*out = NULL;
	int64_t withdrawn_at = 0;
	store_rc w = store_followup_withdrawal_get(s, patient_id, &withdrawn_at);
	if (w == STORE_ERROR)
		return FOLLOWUP_ERROR;
	mine_fill f = {s, lang, json_array(), json_array(), 0, false};
	patient_deliveries mine = {patient_id, {0}};
	store_rc rc = store_checkins_of_patient(s, patient_id, add_mine, &f);
	if (rc == STORE_OK)
		rc = store_followup_deliveries(s, keep_patient_delivery, &mine);
	int64_t next = 0;
	for (size_t i = 0; rc == STORE_OK && !mine.list.failed && w == STORE_NOT_FOUND && i < mine.list.n;) {
		size_t j = i;
		while (j < mine.list.n && mine.list.items[j].product_id == mine.list.items[i].product_id)
			j++;
		followup_plan plan;
		rc = followup_plan_of(s, mine.list.items[i].product_id, &plan);
		int64_t due = rc == STORE_OK ? next_due(&mine.list.items[i], j - i, &plan, now) : 0;
		if (due && (next == 0 || due < next))
			next = due;
		i = j;
	}
	bool failed = rc != STORE_OK || f.failed || mine.list.failed || f.open == NULL || f.answered == NULL;
	free(mine.list.items);
	if (failed) {
		json_decref(f.open);
		json_decref(f.answered);
		return FOLLOWUP_ERROR;
	}
	const char *status = w == STORE_OK ? "withdrawn" : f.count > 0 || mine.list.n > 0 ? "active" : "none";
	json_t *followup = json_pack("{s:s}", "status", status);
	if (w == STORE_OK)
		json_object_set_new(followup, "withdrawn_at", json_integer(withdrawn_at));
	*out = json_pack("{s:o, s:o, s:o, s:o}", "followup", followup, "open", f.open, "answered", f.answered,
	                 "next_due_at", next ? json_integer(next) : json_null());
	return *out ? FOLLOWUP_OK : FOLLOWUP_ERROR;
}

/* ---- answers ---- */

static int severity_rank(const char *v)
{
	return strcmp(v, "severe") == 0 ? 3 : strcmp(v, "moderate") == 0 ? 2 : strcmp(v, "mild") == 0 ? 1 : 0;
}

static bool is_symptom(const char *v)
{
	for (int i = 0; v && ae_symptoms[i]; i++)
		if (strcmp(v, ae_symptoms[i]) == 0)
			return true;
	return false;
}

followup_rc followup_answer_check(const followup_answer_input *in, const char **field_out)
{
	*field_out = "symptoms";
	size_t n = json_array_size(in->symptoms);
	if (in->symptoms != NULL && !json_is_array(in->symptoms))
		return FOLLOWUP_INVALID;
	for (size_t i = 0; i < n; i++) {
		const json_t *item = json_array_get(in->symptoms, i);
		const char *symptom = json_string_value(json_object_get(item, "symptom"));
		const char *severity = json_string_value(json_object_get(item, "severity"));
		const json_t *still = json_object_get(item, "still_present");
		if (!json_is_object(item) || json_object_size(item) != 3 || !is_symptom(symptom) ||
		    severity_rank(severity) == 0 || !json_is_boolean(still))
			return FOLLOWUP_INVALID;
		for (size_t k = 0; k < i; k++)
			if (strcmp(symptom, json_string_value(json_object_get(json_array_get(in->symptoms, k), "symptom"))) == 0)
				return FOLLOWUP_INVALID;
	}
	/* Every answer says one of the two: nothing changed, or what did. */
	if (in->nothing_changed == (n > 0)) {
		*field_out = in->nothing_changed ? "nothing_changed" : "symptoms";
		return FOLLOWUP_INVALID;
	}
	*field_out = NULL;
	return FOLLOWUP_OK;
}

static int collect_lot_id(void *ctx, const checkin_lot *l)
{
	int64_t *ids = ctx;
	if (ids[0] < 16)
		ids[1 + ids[0]++] = l->lot_id;
	return 0;
}

/* The AE report's prefill from an answer with symptoms (CONTRACT17.md section 5). */
static json_t *ae_prefill(const checkin_record *c, const followup_answer_input *in, const char *lang)
{
	size_t n = json_array_size(in->symptoms);
	if (n == 0)
		return json_null();
	json_t *codes = json_array();
	const char *worst = "mild";
	bool ongoing = false;
	for (size_t i = 0; i < n; i++) {
		const json_t *item = json_array_get(in->symptoms, i);
		const char *sev = json_string_value(json_object_get(item, "severity"));
		json_array_append(codes, json_object_get(item, "symptom"));
		if (severity_rank(sev) > severity_rank(worst))
			worst = sev;
		ongoing = ongoing || json_is_true(json_object_get(item, "still_present"));
	}
	char onset[11], description[2400];
	jst_date(c->answered_at, onset);
	bool en = lang && strcmp(lang, "en") == 0;
	snprintf(description, sizeof description, en ? "Reported at the day-%d follow-up check-in of %s.%s%s"
	                                             : "%d日目の経過確認（%s）で報告。%s%s",
	         c->day_offset, en ? c->product_name_en : c->product_name_ja, in->note && *in->note ? " " : "",
	         in->note ? in->note : "");
	return json_pack("{s:I, s:I, s:o, s:s, s:b, s:s, s:s}", "checkin_id", (json_int_t)c->id, "order_id",
	                 (json_int_t)c->lots_order_id, "symptoms", codes, "severity", worst, "ongoing", ongoing,
	                 "onset_date", onset, "description", description);
}

/* Checks that the loaded check-in c can take the answer in and fills c's answer fields. */
static followup_rc answer_prepare(store *s, const actor *by, checkin_record *c, const char *via,
                                  const followup_answer_input *in, int64_t now, const char **field_out)
{
	int64_t withdrawn_at;
	store_rc w = store_followup_withdrawal_get(s, c->patient_id, &withdrawn_at);
	if (w == STORE_ERROR)
		return FOLLOWUP_ERROR;
	if (w == STORE_OK)
		return FOLLOWUP_WITHDRAWN;
	if (strcmp(c->status, "answered") == 0)
		return FOLLOWUP_ANSWERED;
	if (strcmp(c->status, "open") != 0)
		return FOLLOWUP_CLOSED;
	if (followup_answer_check(in, field_out) != FOLLOWUP_OK)
		return FOLLOWUP_INVALID;
	c->answered_at = now;
	snprintf(c->answered_via, sizeof c->answered_via, "%s", via);
	c->answered_by = strcmp(via, "phone") == 0 ? by->id : 0;
	c->nothing_changed = in->nothing_changed ? 1 : 0;
	snprintf(c->note, sizeof c->note, "%s", in->note ? in->note : "");
	return FOLLOWUP_OK;
}

/* Writes the prepared answer, its symptoms, its audit row and the lots' MaxSPRT looks inside
 * the caller's transaction: FOLLOWUP_ANSWERED when it was answered meanwhile, FOLLOWUP_ERROR
 * on a failed write (the caller rolls back either). */
static followup_rc answer_write(store *s, const actor *by, const followup_settings *fs, const checkin_record *c,
                                const char *via, const followup_answer_input *in, int64_t now)
{
	int64_t lots[17] = {0};
	store_rc rc = store_checkin_answer(s, c);
	if (rc == STORE_CONFLICT)
		return FOLLOWUP_ANSWERED;
	char detail[400];
	int used = snprintf(detail, sizeof detail, "check-in %lld (day %d) via %s: %s", (long long)c->id, c->day_offset,
	                    via, in->nothing_changed ? "nothing changed" : "");
	for (size_t i = 0; rc == STORE_OK && i < json_array_size(in->symptoms); i++) {
		const json_t *item = json_array_get(in->symptoms, i);
		checkin_symptom sy = {.still_present = json_is_true(json_object_get(item, "still_present"))};
		snprintf(sy.symptom, sizeof sy.symptom, "%s", json_string_value(json_object_get(item, "symptom")));
		snprintf(sy.severity, sizeof sy.severity, "%s", json_string_value(json_object_get(item, "severity")));
		rc = store_checkin_symptom_insert(s, c->id, &sy);
		if (used > 0 && (size_t)used < sizeof detail)
			used += snprintf(detail + used, sizeof detail - (size_t)used, "%s%s (%s%s)", i ? ", " : "", sy.symptom,
			                 sy.severity, sy.still_present ? ", still present" : "");
	}
	int signals = 0;
	if (rc == STORE_OK)
		rc = store_checkin_lots(s, c->id, collect_lot_id, lots);
	if (rc != STORE_OK || !service_audit(s, by, "followup.answer", "patient", c->patient_id, detail) ||
	    (lots[0] > 0 && followup_check_lots(s, fs, c->product_id, &lots[1], (int)lots[0], now, &signals) != 0))
		return FOLLOWUP_ERROR;
	return FOLLOWUP_OK;
}

/* Records an answer to the loaded check-in c (via app, link or phone) in one transaction. */
static followup_rc answer_loaded(store *s, const actor *by, const followup_settings *fs, checkin_record *c,
                                 const char *via, const followup_answer_input *in, int64_t now, checkin_record *out,
                                 json_t **prefill, const char **field_out)
{
	followup_rc frc = answer_prepare(s, by, c, via, in, now, field_out);
	if (frc != FOLLOWUP_OK)
		return frc;
	if (store_begin(s) != STORE_OK)
		return FOLLOWUP_ERROR;
	if ((frc = answer_write(s, by, fs, c, via, in, now)) != FOLLOWUP_OK)
		return service_rollback(s, frc);
	if (store_commit(s) != STORE_OK)
		return FOLLOWUP_ERROR;
	if (store_checkin_get(s, c->id, out) != STORE_OK)
		*out = *c;
	if (prefill)
		*prefill = ae_prefill(out, in, out->patient_lang);
	return FOLLOWUP_OK;
}

followup_rc followup_answer(store *s, const actor *by, const followup_settings *fs, int64_t id,
                            const followup_answer_input *in, int64_t now, checkin_record *out, json_t **prefill,
                            const char **field_out)
{
	*field_out = NULL;
	if (prefill)
		*prefill = NULL;
	checkin_record c;
	followup_rc frc = followup_checkin_visible(s, by, id, &c);
	if (frc != FOLLOWUP_OK)
		return frc;
	return answer_loaded(s, by, fs, &c, by->role == ROLE_PATIENT ? "app" : "phone", in, now, out, prefill, field_out);
}

followup_rc followup_link_checkin(store *s, const char *token, int64_t now, checkin_record *out)
{
	char hash[TOKEN_HASH_HEX];
	token_hash(token, hash);
	store_rc rc = store_checkin_by_token(s, hash, out);
	if (rc == STORE_NOT_FOUND)
		return FOLLOWUP_NOT_FOUND;
	if (rc != STORE_OK)
		return FOLLOWUP_ERROR;
	return now >= out->link_expires_at ? FOLLOWUP_LINK_EXPIRED : FOLLOWUP_OK;
}

followup_rc followup_answer_link(store *s, const followup_settings *fs, const char *token,
                                 const followup_answer_input *in, int64_t now, checkin_record *out, json_t **prefill,
                                 const char **field_out)
{
	*field_out = NULL;
	if (prefill)
		*prefill = NULL;
	checkin_record c;
	followup_rc frc = followup_link_checkin(s, token, now, &c);
	if (frc != FOLLOWUP_OK)
		return frc;
	/* The token is the patient's credential for this one check-in. */
	actor patient = {.id = c.patient_id, .role = ROLE_PATIENT};
	return answer_loaded(s, &patient, fs, &c, "link", in, now, out, prefill, field_out);
}

/* ---- withdrawal ---- */

followup_rc followup_withdraw(store *s, const actor *by, const char *reason, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return FOLLOWUP_ERROR;
	store_rc rc = store_followup_withdrawal_put(s, by->id, now, reason);
	if (rc == STORE_CONFLICT)
		return service_rollback(s, FOLLOWUP_ALREADY_WITHDRAWN);
	int64_t closed = 0;
	if (rc == STORE_OK)
		rc = store_checkins_close_open(s, by->id, 0, "withdrawn", now, &closed);
	char detail[400];
	snprintf(detail, sizeof detail, "open check-ins closed: %lld; reason: %.300s", (long long)closed,
	         reason && *reason ? reason : "-");
	if (rc != STORE_OK || !service_audit_commit(s, by, "followup.withdraw", "patient", by->id, detail))
		return rc != STORE_OK ? service_rollback(s, FOLLOWUP_ERROR) : FOLLOWUP_ERROR;
	return FOLLOWUP_OK;
}

followup_rc followup_resume(store *s, const actor *by, int64_t now)
{
	(void)now;
	if (store_begin(s) != STORE_OK)
		return FOLLOWUP_ERROR;
	store_rc rc = store_followup_withdrawal_delete(s, by->id);
	if (rc == STORE_NOT_FOUND)
		return service_rollback(s, FOLLOWUP_NOT_WITHDRAWN);
	if (rc != STORE_OK)
		return service_rollback(s, FOLLOWUP_ERROR);
	return service_audit_commit(s, by, "followup.resume", "patient", by->id, "follow-up resumed") ? FOLLOWUP_OK
	                                                                                               : FOLLOWUP_ERROR;
}

/* ---- staff ---- */

typedef struct nonresponder_fill {
	const char *lang;
	json_t *items;
	bool failed;
} nonresponder_fill;

static int add_nonresponder(void *ctx, const checkin_record *c)
{
	nonresponder_fill *f = ctx;
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:o, s:o, s:I, s:i}", "checkin_id", (json_int_t)c->id,
	                      "patient_id", (json_int_t)c->patient_id, "patient_name", c->patient_name, "phone",
	                      c->patient_phone, "product_name",
	                      f->lang && strcmp(f->lang, "en") == 0 ? c->product_name_en : c->product_name_ja, "due_at",
	                      (json_int_t)c->due_at, "mailed_at", time_or_null(c->mailed_at), "reminded_at",
	                      time_or_null(c->reminded_at), "calls", (json_int_t)c->calls, "day_offset", c->day_offset);
	if (o == NULL || json_array_append_new(f->items, o) != 0)
		f->failed = true;
	return f->failed;
}

followup_rc followup_nonresponders(store *s, const followup_settings *fs, const char *lang, int64_t now, json_t **out)
{
	nonresponder_fill f = {lang, json_array(), false};
	store_rc rc = store_checkins_nonresponders(s, now - (int64_t)fs->reminder_days * DAY, add_nonresponder, &f);
	if (rc != STORE_OK || f.failed || f.items == NULL) {
		json_decref(f.items);
		return FOLLOWUP_ERROR;
	}
	*out = json_pack("{s:o}", "items", f.items);
	return *out ? FOLLOWUP_OK : FOLLOWUP_ERROR;
}

followup_rc followup_call(store *s, const actor *by, const followup_settings *fs, int64_t id, const char *outcome,
                          const followup_answer_input *answers, int64_t now, checkin_record *out, json_t **prefill,
                          const char **field_out)
{
	*field_out = NULL;
	if (prefill)
		*prefill = NULL;
	bool answered = outcome && strcmp(outcome, "answered") == 0;
	if (!answered && !(outcome && (strcmp(outcome, "no_answer") == 0 || strcmp(outcome, "withdrew") == 0))) {
		*field_out = "outcome";
		return FOLLOWUP_INVALID;
	}
	if (answered != (answers != NULL)) {
		*field_out = "answers";
		return FOLLOWUP_INVALID;
	}
	checkin_record c;
	followup_rc frc = followup_checkin_visible(s, by, id, &c);
	if (frc != FOLLOWUP_OK)
		return frc;
	followup_call_record call = {.checkin_id = id, .called_by = by->id, .called_at = now};
	snprintf(call.outcome, sizeof call.outcome, "%s", outcome);
	if (answered) {
		frc = answer_prepare(s, by, &c, "phone", answers, now, field_out);
		if (frc != FOLLOWUP_OK)
			return frc;
	} else {
		int64_t withdrawn_at;
		store_rc w = store_followup_withdrawal_get(s, c.patient_id, &withdrawn_at);
		if (w == STORE_ERROR)
			return FOLLOWUP_ERROR;
		if (w == STORE_OK)
			return FOLLOWUP_WITHDRAWN;
		if (strcmp(c.status, "open") != 0)
			return strcmp(c.status, "answered") == 0 ? FOLLOWUP_ANSWERED : FOLLOWUP_CLOSED;
	}
	/* The phone answer and the call are one transaction: both or neither. */
	if (store_begin(s) != STORE_OK)
		return FOLLOWUP_ERROR;
	if (answered && (frc = answer_write(s, by, fs, &c, "phone", answers, now)) != FOLLOWUP_OK)
		return service_rollback(s, frc);
	store_rc rc = store_followup_call_insert(s, &call);
	int64_t closed = 0;
	if (rc == STORE_OK && strcmp(outcome, "withdrew") == 0) {
		rc = store_followup_withdrawal_put(s, c.patient_id, now, "電話で停止の申し出 / stopped on a staff call");
		if (rc == STORE_OK)
			rc = store_checkins_close_open(s, c.patient_id, 0, "withdrawn", now, &closed);
	}
	char detail[160];
	snprintf(detail, sizeof detail, "check-in %lld: call %s%s", (long long)id, outcome,
	         closed ? "; follow-up stopped" : "");
	if (rc != STORE_OK || !service_audit(s, by, "followup.call", "patient", c.patient_id, detail))
		return service_rollback(s, FOLLOWUP_ERROR);
	if (store_commit(s) != STORE_OK)
		return FOLLOWUP_ERROR;
	if (store_checkin_get(s, id, out) != STORE_OK)
		*out = c;
	if (answered && prefill)
		*prefill = ae_prefill(out, answers, out->patient_lang);
	return FOLLOWUP_OK;
}

followup_rc followup_plan_set(store *s, const actor *by, int64_t product_id, const json_t *first_days, int64_t repeat_days,
                              bool disclose, int64_t now, followup_plan *out, const char **field_out)
{
	*field_out = "first_days";
	size_t n = json_array_size(first_days);
	followup_plan p = {.product_id = product_id, .disclose = disclose, .updated_at = now, .updated_by = by->id};
	if (!json_is_array(first_days) || n == 0 || n > FOLLOWUP_MAX_FIRST_DAYS)
		return FOLLOWUP_INVALID;
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(first_days, i);
		json_int_t v = json_integer_value(d);
		if (!json_is_integer(d) || v < 1 || v > 3650 || (i > 0 && v <= p.first_days[i - 1]))
			return FOLLOWUP_INVALID;
		p.first_days[p.first_count++] = (int)v;
	}
	if (repeat_days < 7 || repeat_days > 3650) {
		*field_out = "repeat_days";
		return FOLLOWUP_INVALID;
	}
	*field_out = NULL;
	p.repeat_days = (int)repeat_days;
	product_record product;
	store_rc rc = store_product_get(s, product_id, &product);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? FOLLOWUP_NOT_FOUND : FOLLOWUP_ERROR;
	if (store_begin(s) != STORE_OK)
		return FOLLOWUP_ERROR;
	char detail[200];
	int used = snprintf(detail, sizeof detail, "product %lld: days", (long long)product_id);
	for (int i = 0; i < p.first_count && used > 0 && (size_t)used < sizeof detail; i++)
		used += snprintf(detail + used, sizeof detail - (size_t)used, " %d", p.first_days[i]);
	if (used > 0 && (size_t)used < sizeof detail)
		snprintf(detail + used, sizeof detail - (size_t)used, ", every %d, %s", p.repeat_days,
		         disclose ? "disclosed" : "not disclosed");
	if (store_followup_plan_put(s, &p) != STORE_OK)
		return service_rollback(s, FOLLOWUP_ERROR);
	if (!service_audit_commit(s, by, "followup.plan", "product", product_id, detail))
		return FOLLOWUP_ERROR;
	*out = p;
	return FOLLOWUP_OK;
}
