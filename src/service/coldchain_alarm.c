/* Cold-chain alarms (see coldchain_alarm.h). Each message has a dedupe key naming the alarm and
 * the person ("coldchain_silent:<silence id>:<user id>"), so the outbox keeps one of each:
 * running the check again, or from two processes, queues nothing twice. */
#include "service/coldchain_alarm.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/growth.h"
#include "core/roles.h"
#include "core/timefmt.h"
#include "service/clinic.h"
#include "service/mail.h"

enum { RECIPIENTS_MAX = 64 };

/* Who gets cold-chain alarms: pharmacists (QA) and administrators. */
typedef struct recipients {
	user_record users[RECIPIENTS_MAX];
	int n;
	char clinic_name[sizeof ((clinic_profile *)0)->name]; /* read with them: an admin may rename it */
} recipients;

static int add_recipient(void *ctx, const user_record *u)
{
	recipients *r = ctx;
	if ((u->role & (ROLE_PHARMACIST | ROLE_ADMIN)) != 0 && u->deactivated_at == 0 && r->n < RECIPIENTS_MAX)
		r->users[r->n++] = *u;
	return 0;
}

/* Each staff member's own language (users.lang), Japanese when unset. */
static const char *staff_lang(const user_record *u)
{
	return strcmp(u->lang, "en") == 0 ? "en" : "ja";
}

static void chart_link(const coldchain_alarm_settings *cfg, int64_t logger_id, char *out, size_t cap)
{
	snprintf(out, cap, "%s/logger.html?id=%lld", cfg->base_url ? cfg->base_url : "", (long long)logger_id);
}

/* Queues kind to every recipient in the caller's transaction; key_prefix + ":" + user id is
 * each message's dedupe key. */
static store_rc mail_staff(store *s, const coldchain_alarm_settings *cfg, const recipients *to, const char *kind,
                           const char *key_prefix, const mail_var *vars, size_t nvars)
{
	for (int i = 0; i < to->n; i++) {
		char key[128];
		snprintf(key, sizeof key, "%s:%lld", key_prefix, (long long)to->users[i].id);
		mail_item m = {.recipient_user_id = to->users[i].id, .to_address = to->users[i].email, .kind = kind,
		               .dedupe_key = key};
		if (mail_render_enqueue(s, cfg->data_dir, staff_lang(&to->users[i]), &m, vars, nvars) != STORE_OK)
			return STORE_ERROR;
	}
	return STORE_OK;
}

static store_rc load_recipients(store *s, recipients *to)
{
	to->n = 0;
	clinic_profile clinic;
	if (clinic_profile_get(s, &clinic) != CLINIC_OK)
		return STORE_ERROR;
	snprintf(to->clinic_name, sizeof to->clinic_name, "%s", clinic.name);
	return store_user_list(s, add_recipient, to);
}

static const char *place_of(const logger_record *l)
{
	return l->unit_name[0] ? l->unit_name : "-";
}

/* ---- excursions ---- */

typedef struct recent_alerts {
	int64_t ids[256];
	int n;
	int64_t since;
} recent_alerts;

static int collect_recent(void *ctx, const coldchain_alert_record *a)
{
	recent_alerts *r = ctx;
	if (a->created_at < r->since)
		return 1;  /* newest first: the rest are older */
	if (r->n < 256)
		r->ids[r->n++] = a->id;
	return 0;
}

static store_rc alarm_one_excursion(store *s, const coldchain_alarm_settings *cfg, const recipients *to, int64_t alert_id)
{
	coldchain_alert_record a;
	if (store_alert_get(s, alert_id, &a) != STORE_OK)
		return STORE_ERROR;
	logger_record l;
	store_rc rc = store_logger_get(s, a.logger_id, &l);
	if (rc != STORE_OK) {
		coldchain_alert_clear(&a);
		return STORE_ERROR;
	}
	json_t *evidence = json_loads(a.evidence_json ? a.evidence_json : "{}", 0, NULL);
	json_t *range = json_object_get(evidence, "range");
	char range_text[64], first[JST_DATETIME_LEN], last[JST_DATETIME_LEN], peak[32], outside[24], allowance[24];
	char link[700], key[96];
	snprintf(range_text, sizeof range_text, "%.1f-%.1f °C", json_number_value(json_object_get(range, "min_c")),
	         json_number_value(json_object_get(range, "max_c")));
	json_decref(evidence);
	jst_datetime(a.first_at, first);
	jst_datetime(a.last_at, last);
	snprintf(peak, sizeof peak, "%.1f", a.peak_celsius);
	snprintf(outside, sizeof outside, "%lld", (long long)a.minutes_outside);
	snprintf(allowance, sizeof allowance, "%lld", (long long)a.allowance_minutes);
	chart_link(cfg, a.logger_id, link, sizeof link);
	snprintf(key, sizeof key, "coldchain_excursion:%lld", (long long)a.id);
	mail_var vars[] = {
		{"clinic_name", to->clinic_name}, {"lot_number", a.lot_number}, {"product", a.product_name_ja},
		{"place", place_of(&l)},           {"range", range_text},        {"minutes_outside", outside},
		{"allowance_minutes", allowance},  {"first_at", first},          {"last_at", last},
		{"peak", peak},                    {"logger_code", l.code},      {"link", link},
	};
	coldchain_alert_clear(&a);
	if (store_begin(s) != STORE_OK)
		return STORE_ERROR;
	if (mail_staff(s, cfg, to, "coldchain_excursion", key, vars, sizeof vars / sizeof vars[0]) != STORE_OK) {
		store_rollback(s);
		return STORE_ERROR;
	}
	return store_commit(s);
}

/* coldchain_alarm_excursions for the clinic of the store's scope. */
static store_rc excursions_in_scope(store *s, const coldchain_alarm_settings *cfg, int64_t now,
                                    coldchain_alarm_counts *counts)
{
	(void)counts;
	recent_alerts recent = {.n = 0, .since = now - COLDCHAIN_ALARM_RECENT_SECONDS};
	if (store_alert_list(s, "open", 0, collect_recent, &recent) != STORE_OK)
		return STORE_ERROR;
	if (recent.n == 0)
		return STORE_OK;
	recipients *to = malloc(sizeof *to);
	if (to == NULL || load_recipients(s, to) != STORE_OK) {
		free(to);
		return STORE_ERROR;
	}
	store_rc rc = STORE_OK;
	for (int i = 0; i < recent.n && rc == STORE_OK; i++)
		rc = alarm_one_excursion(s, cfg, to, recent.ids[i]);
	free(to);
	return rc;
}

/* ---- silent sensors ---- */

typedef struct sensor_list {
	logger_record *items;
	size_t n, cap;
	bool failed;
} sensor_list;

static int collect_sensor(void *ctx, const logger_record *l)
{
	sensor_list *list = ctx;
	if (l->api_key_hash[0] == '\0' || l->interval_seconds <= 0)
		return 0;  /* not a connected sensor, or no interval to be late by */
	logger_record *grown = growth_reserve(list->items, &list->cap, list->n + 1, sizeof *grown);
	if (grown == NULL) {
		list->failed = true;
		return 1;
	}
	list->items = grown;
	list->items[list->n++] = *l;
	return 0;
}

static void minutes_text(int64_t seconds, char out[24])
{
	snprintf(out, 24, "%lld", (long long)(seconds / 60));
}

/* One sensor, in its own transaction: recovery first, then a new silence. */
static store_rc check_sensor(store *s, const coldchain_alarm_settings *cfg, const recipients *to, const logger_record *l,
                             int64_t now, coldchain_alarm_counts *counts)
{
	char link[700], key[96], since[JST_DATETIME_LEN], resumed[JST_DATETIME_LEN], minutes[24], interval[24];
	chart_link(cfg, l->id, link, sizeof link);
	minutes_text(l->interval_seconds, interval);
	if (store_begin(s) != STORE_OK)
		return STORE_ERROR;
	logger_silence_record x;
	store_rc rc = store_silence_recover(s, l->id, now, &x);
	if (rc == STORE_OK) {
		jst_datetime(x.since_at, since);
		jst_datetime(x.resumed_at, resumed);
		minutes_text(x.resumed_at - x.since_at, minutes);
		snprintf(key, sizeof key, "coldchain_recovered:%lld", (long long)x.id);
		mail_var vars[] = {{"clinic_name", to->clinic_name}, {"logger_code", l->code}, {"place", place_of(l)},
		                   {"since", since}, {"resumed", resumed}, {"minutes", minutes}, {"link", link}};
		if (mail_staff(s, cfg, to, "coldchain_recovered", key, vars, sizeof vars / sizeof vars[0]) != STORE_OK)
			goto fail;
		counts->silences_recovered++;
	} else if (rc != STORE_NOT_FOUND) {
		goto fail;
	}
	int64_t last = l->last_at > 0 ? l->last_at : l->created_at;
	if (now - last > COLDCHAIN_SILENT_INTERVALS * l->interval_seconds) {
		logger_silence_record open = {.logger_id = l->id, .since_at = last, .detected_at = now};
		rc = store_silence_open(s, &open);
		if (rc == STORE_OK) {
			jst_datetime(last, since);
			minutes_text(now - last, minutes);
			snprintf(key, sizeof key, "coldchain_silent:%lld", (long long)open.id);
			mail_var vars[] = {{"clinic_name", to->clinic_name}, {"logger_code", l->code}, {"place", place_of(l)},
			                   {"since", since}, {"minutes", minutes}, {"interval_minutes", interval}, {"link", link}};
			if (mail_staff(s, cfg, to, "coldchain_silent", key, vars, sizeof vars / sizeof vars[0]) != STORE_OK)
				goto fail;
			counts->silences_opened++;
		} else if (rc != STORE_CONFLICT) {
			goto fail;  /* CONFLICT: already silent and recorded; one silence, one alarm */
		}
	}
	return store_commit(s);
fail:
	store_rollback(s);
	return STORE_ERROR;
}

/* coldchain_check_silent for the clinic of the store's scope. */
static store_rc silent_in_scope(store *s, const coldchain_alarm_settings *cfg, int64_t now,
                                coldchain_alarm_counts *counts)
{
	coldchain_alarm_counts ignored = {0};
	if (counts == NULL)
		counts = &ignored;
	sensor_list sensors = {0};
	recipients *to = malloc(sizeof *to);
	store_rc rc = STORE_ERROR;
	if (to == NULL || load_recipients(s, to) != STORE_OK)
		goto out;
	if (store_logger_list(s, collect_sensor, &sensors) != STORE_OK || sensors.failed)
		goto out;
	rc = STORE_OK;
	for (size_t i = 0; i < sensors.n && rc == STORE_OK; i++)
		rc = check_sensor(s, cfg, to, &sensors.items[i], now, counts);
	if (rc == STORE_OK)
		rc = excursions_in_scope(s, cfg, now, counts);
out:
	free(sensors.items);
	free(to);
	return rc;
}

/* ---- one clinic at a time ---- */

typedef store_rc (*alarm_run)(store *s, const coldchain_alarm_settings *cfg, int64_t now, coldchain_alarm_counts *counts);

typedef struct clinic_ids {
	int64_t ids[1024];
	int n;
} clinic_ids;

static int collect_clinic(void *ctx, const clinic_profile *c)
{
	clinic_ids *l = ctx;
	if (l->n < 1024)
		l->ids[l->n++] = c->id;
	return 0;
}

/* A clinic's alarms go to its own pharmacists and admins, under its own name: with every
 * clinic in scope (the CLI, the server's periodic check) run once per clinic, scoped to it;
 * a request already scoped to its clinic runs as it is. */
static store_rc each_clinic(store *s, alarm_run run, const coldchain_alarm_settings *cfg, int64_t now,
                            coldchain_alarm_counts *counts)
{
	if (s->clinic_scope != STORE_SCOPE_ALL)
		return run(s, cfg, now, counts);
	clinic_ids *clinics = calloc(1, sizeof *clinics);
	if (clinics == NULL || store_clinic_list(s, collect_clinic, clinics) != STORE_OK) {
		free(clinics);
		return STORE_ERROR;
	}
	store_rc rc = STORE_OK;
	for (int i = 0; i < clinics->n && rc == STORE_OK; i++) {
		store_scope_clinic(s, clinics->ids[i]);
		rc = run(s, cfg, now, counts);
	}
	store_scope_clinic(s, STORE_SCOPE_ALL);
	free(clinics);
	return rc;
}

store_rc coldchain_alarm_excursions(store *s, const coldchain_alarm_settings *cfg, int64_t now,
                                    coldchain_alarm_counts *counts)
{
	return each_clinic(s, excursions_in_scope, cfg, now, counts);
}

store_rc coldchain_check_silent(store *s, const coldchain_alarm_settings *cfg, int64_t now,
                                coldchain_alarm_counts *counts)
{
	return each_clinic(s, silent_in_scope, cfg, now, counts);
}
