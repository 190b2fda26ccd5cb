#include "service/coldchain.h"

#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coldchain.h"
#include "core/lot_state.h"
#include "core/timefmt.h"
#include "service/trace.h"

coldchain_rc coldchain_create_unit(store *s, const actor *by, storage_unit_record *u, int64_t now)
{
	u->created_at = now;
	if (store_begin(s) != STORE_OK)
		return COLDCHAIN_ERROR;
	store_rc rc = store_unit_insert(s, u);
	if (rc == STORE_CONFLICT)
		return service_rollback(s, COLDCHAIN_CONFLICT);
	if (rc != STORE_OK || !service_audit(s, by, "unit.create", "unit", u->id, u->name))
		return service_rollback(s, COLDCHAIN_ERROR);
	return service_commit(s) ? COLDCHAIN_OK : COLDCHAIN_ERROR;
}

coldchain_rc coldchain_create_logger(store *s, const actor *by, logger_record *l, int64_t now,
                                     char key_out[TOKEN_TEXT_MAX], const char **field_out)
{
	*field_out = NULL;
	l->created_at = now;
	l->api_key_hash[0] = '\0';
	if (key_out != NULL) {
		token_random(key_out);
		token_hash(key_out, l->api_key_hash);
	}
	if (store_begin(s) != STORE_OK)
		return COLDCHAIN_ERROR;
	if (l->unit_id != 0) {
		storage_unit_record u;
		store_rc rc = store_unit_get(s, l->unit_id, &u);
		if (rc != STORE_OK) {
			*field_out = "unit_id";
			return service_rollback(s, rc == STORE_NOT_FOUND ? COLDCHAIN_INVALID : COLDCHAIN_ERROR);
		}
	}
	store_rc rc = store_logger_insert(s, l);
	if (rc == STORE_CONFLICT)
		return service_rollback(s, COLDCHAIN_CONFLICT);
	if (rc != STORE_OK || !service_audit(s, by, "logger.create", "logger", l->id, l->code))
		return service_rollback(s, COLDCHAIN_ERROR);
	return service_commit(s) ? COLDCHAIN_OK : COLDCHAIN_ERROR;
}

coldchain_rc coldchain_place_lot(store *s, const actor *by, int64_t lot_id, int64_t unit_id, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return COLDCHAIN_ERROR;
	lot_record lot;
	storage_unit_record u;
	store_rc rc = store_lot_get(s, lot_id, &lot);
	if (rc != STORE_OK)
		return service_rollback(s, rc == STORE_NOT_FOUND ? COLDCHAIN_NOT_FOUND : COLDCHAIN_ERROR);
	rc = store_unit_get(s, unit_id, &u);
	if (rc != STORE_OK)
		return service_rollback(s, rc == STORE_NOT_FOUND ? COLDCHAIN_INVALID : COLDCHAIN_ERROR);
	if (store_lot_place(s, lot_id, unit_id, now) != STORE_OK ||
	    !service_audit(s, by, "lot.place", "lot", lot_id, u.name))
		return service_rollback(s, COLDCHAIN_ERROR);
	return service_commit(s) ? COLDCHAIN_OK : COLDCHAIN_ERROR;
}

bool coldchain_key_matches(const logger_record *l, const char *key)
{
	if (l->api_key_hash[0] == '\0' || key == NULL || strlen(key) >= TOKEN_TEXT_MAX)
		return false;
	char hash[TOKEN_HASH_HEX];
	token_hash(key, hash);
	return token_equal(hash, l->api_key_hash);
}

/* ---- import ---- */

struct coldchain_import {
	store *s;
	actor by;
	int64_t logger_id;
	int default_offset;
	int64_t now;                    /* bounds the readings' times */
	char default_unit;              /* 'C', 'F', or 0: files must say */
	temp_csv *parser;
	char source[201];
	crypto_hash_sha256_state sha;
	reading_import_record file;     /* the current file's counts */
	coldchain_import_summary total;
	store_rc failure;               /* set by the reading callback */
	temp_csv_error failure_error;
};

static int put_reading(coldchain_import *imp, int64_t at, double celsius, long line)
{
	int added = 0;
	store_rc rc = store_reading_put(imp->s, imp->logger_id, at, celsius, &added);
	if (rc != STORE_OK) {
		imp->failure = rc;
		memset(&imp->failure_error, 0, sizeof imp->failure_error);
		imp->failure_error.line = line;
		if (rc == STORE_CONFLICT) {
			char when[ISO8601_LEN], jst[JST_DATETIME_LEN];
			time_iso8601(at, when);
			jst_datetime(at, jst);
			snprintf(imp->failure_error.reason, sizeof imp->failure_error.reason,
			         "duplicate time %s with a different value (%.100s)", when, imp->s->errmsg);
			imp->failure_error.reason_key = "csv_stored_duplicate";
			temp_csv_error_arg(&imp->failure_error, "time", "%s", jst);
		} else {
			snprintf(imp->failure_error.reason, sizeof imp->failure_error.reason, "storage: %.150s", imp->s->errmsg);
			imp->failure_error.reason_key = "internal";
		}
		return 1;
	}
	imp->file.rows_read++;
	imp->file.rows_added += added;
	if (imp->file.first_at == 0 || at < imp->file.first_at)
		imp->file.first_at = at;
	if (at > imp->file.last_at)
		imp->file.last_at = at;
	return 0;
}

static int on_csv_reading(void *ctx, const temp_reading *r, long line)
{
	return put_reading(ctx, r->at, r->celsius, line);
}

coldchain_import *coldchain_import_begin(store *s, const actor *by, int64_t logger_id, int default_utc_offset,
                                         int64_t now)
{
	coldchain_import *imp = calloc(1, sizeof *imp);
	if (imp == NULL)
		return NULL;
	imp->s = s;
	imp->by = *by;
	imp->logger_id = logger_id;
	imp->default_offset = default_utc_offset;
	imp->now = now;
	if (store_begin(s) != STORE_OK) {
		free(imp);
		return NULL;
	}
	return imp;
}

void coldchain_import_set_unit(coldchain_import *imp, char unit)
{
	imp->default_unit = unit;
}

void coldchain_import_file(coldchain_import *imp, const char *source)
{
	temp_csv_free(imp->parser);
	imp->parser = temp_csv_new(imp->default_offset, imp->now, on_csv_reading, imp);
	if (imp->parser != NULL && imp->default_unit)
		temp_csv_set_default_unit(imp->parser, imp->default_unit);
	snprintf(imp->source, sizeof imp->source, "%s", source);
	crypto_hash_sha256_init(&imp->sha);
	memset(&imp->file, 0, sizeof imp->file);
}

static coldchain_rc parse_result(coldchain_import *imp, int rc, temp_csv_error *err)
{
	if (imp->failure != STORE_OK) {
		*err = imp->failure_error;
		return imp->failure == STORE_CONFLICT ? COLDCHAIN_DUPLICATE : COLDCHAIN_ERROR;
	}
	return rc == 0 ? COLDCHAIN_OK : COLDCHAIN_BAD_FILE;
}

coldchain_rc coldchain_import_feed(coldchain_import *imp, const char *data, size_t len, temp_csv_error *err)
{
	if (imp->parser == NULL)
		return COLDCHAIN_ERROR;
	crypto_hash_sha256_update(&imp->sha, (const unsigned char *)data, len);
	return parse_result(imp, temp_csv_feed(imp->parser, data, len, err), err);
}

static coldchain_rc record_file(coldchain_import *imp)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&imp->sha, digest);
	sodium_bin2hex(imp->file.sha256, sizeof imp->file.sha256, digest, sizeof digest);
	imp->file.logger_id = imp->logger_id;
	snprintf(imp->file.source, sizeof imp->file.source, "%s", imp->source);
	imp->file.imported_by = imp->by.id;
	if (store_reading_import_insert(imp->s, &imp->file) != STORE_OK)
		return COLDCHAIN_ERROR;
	char detail[256];
	snprintf(detail, sizeof detail, "%s: %lld read, %lld new", imp->source, (long long)imp->file.rows_read,
	         (long long)imp->file.rows_added);
	if (!service_audit(imp->s, &imp->by, "readings.import", "logger", imp->logger_id, detail))
		return COLDCHAIN_ERROR;
	imp->total.rows_read += imp->file.rows_read;
	imp->total.rows_added += imp->file.rows_added;
	if (imp->file.first_at && (imp->total.first_at == 0 || imp->file.first_at < imp->total.first_at))
		imp->total.first_at = imp->file.first_at;
	if (imp->file.last_at > imp->total.last_at)
		imp->total.last_at = imp->file.last_at;
	return COLDCHAIN_OK;
}

coldchain_rc coldchain_import_file_end(coldchain_import *imp, temp_csv_error *err)
{
	if (imp->parser == NULL)
		return COLDCHAIN_ERROR;
	coldchain_rc rc = parse_result(imp, temp_csv_finish(imp->parser, err), err);
	if (rc != COLDCHAIN_OK)
		return rc;
	temp_csv_free(imp->parser);
	imp->parser = NULL;
	return record_file(imp);
}

coldchain_rc coldchain_import_reading(coldchain_import *imp, int64_t at, double celsius, temp_csv_error *err)
{
	temp_reading r = {at, celsius};
	err->nargs = 0;
	err->field = coldchain_reading_implausible(&r, imp->now, &err->reason_key, err->reason, sizeof err->reason);
	if (err->field != NULL) {
		err->line = imp->file.rows_read + 1;
		return COLDCHAIN_BAD_FILE;
	}
	if (put_reading(imp, at, celsius, (long)imp->file.rows_read + 1) != 0) {
		*err = imp->failure_error;
		return imp->failure == STORE_CONFLICT ? COLDCHAIN_DUPLICATE : COLDCHAIN_ERROR;
	}
	return COLDCHAIN_OK;
}

coldchain_rc coldchain_import_commit(coldchain_import *imp, int64_t now, coldchain_import_summary *out)
{
	store *s = imp->s;
	coldchain_rc rc = COLDCHAIN_OK;
	/* A JSON ingest has no file to end: record it as one. */
	if (imp->parser == NULL && imp->file.rows_read > 0 && imp->source[0] == '\0') {
		snprintf(imp->source, sizeof imp->source, "ingest");
		crypto_hash_sha256_init(&imp->sha);
		rc = record_file(imp);
	}
	temp_csv_free(imp->parser);
	imp->parser = NULL;
	if (rc != COLDCHAIN_OK || !service_commit(s)) {
		store_rollback(s);
		free(imp);
		return COLDCHAIN_ERROR;
	}
	*out = imp->total;
	int64_t logger_id = imp->logger_id;
	free(imp);
	if (out->rows_read == 0)
		return COLDCHAIN_OK;
	/* Readings are stored whatever happens next; evaluation is its own transaction per lot. */
	return coldchain_evaluate_logger(s, logger_id, out->first_at, out->last_at + 1, now, &out->alerts_raised,
	                                 &out->lots_quarantined);
}

void coldchain_import_abort(coldchain_import *imp)
{
	store_rollback(imp->s);
	temp_csv_free(imp->parser);
	free(imp);
}

/* ---- evaluation ---- */

typedef struct exposure_list {
	lot_exposure items[256];
	int n;
} exposure_list;

static int collect_exposure(void *ctx, const lot_exposure *e)
{
	exposure_list *l = ctx;
	if (l->n < 256)
		l->items[l->n++] = *e;
	return l->n >= 256;
}

typedef struct episode_log {
	json_t *episodes;
	double min_celsius, max_celsius;  /* the range, to measure how far a peak went */
	double peak;                      /* the peak furthest outside, over every episode */
	double peak_distance;
	int64_t first_at, last_at;
} episode_log;

static void on_episode(void *ctx, const excursion_episode *e)
{
	episode_log *log = ctx;
	char start[ISO8601_LEN], end[ISO8601_LEN];
	time_iso8601(e->start, start);
	time_iso8601(e->end, end);
	json_array_append_new(log->episodes, json_pack("{s:s, s:s, s:I, s:f, s:s, s:b}", "start", start, "end", end,
	                                               "minutes", (json_int_t)(e->duration_seconds / 60), "peak_celsius",
	                                               e->peak_celsius, "direction",
	                                               e->direction == EXCURSION_ABOVE ? "above" : "below", "open", e->open));
	double distance = e->direction == EXCURSION_ABOVE ? e->peak_celsius - log->max_celsius
	                                                   : log->min_celsius - e->peak_celsius;
	if (distance > log->peak_distance) {
		log->peak = e->peak_celsius;
		log->peak_distance = distance;
	}
	if (log->first_at == 0 || e->start < log->first_at)
		log->first_at = e->start;
	if (e->end > log->last_at)
		log->last_at = e->end;
}

static int feed_reading(void *ctx, int64_t at, double celsius)
{
	temp_reading r = {at, celsius};
	coldchain_feed(ctx, &r);
	return 0;
}

/* Evaluates one stay; when over the allowance, quarantines the lot and opens an alert. */
static coldchain_rc evaluate_exposure(store *s, const lot_exposure *e, int64_t now, int *alerts, int *quarantined)
{
	coldchain_limits limits = {e->min_celsius, e->max_celsius, 0};
	episode_log log = {json_array(), e->min_celsius, e->max_celsius, 0, -1, 0, 0};
	coldchain_eval ev;
	coldchain_begin(&ev, &limits, on_episode, NULL, &log);
	int64_t to = e->to_at ? e->to_at : now + 1;
	if (store_readings_range(s, e->logger_id, e->from_at, to, feed_reading, &ev) != STORE_OK) {
		json_decref(log.episodes);
		return COLDCHAIN_ERROR;
	}
	coldchain_finish(&ev);
	int64_t minutes = ev.seconds_outside / 60;
	if (minutes <= e->allowance_minutes) {
		json_decref(log.episodes);
		return COLDCHAIN_OK;
	}
	json_t *evidence = json_pack("{s:s, s:{s:f, s:f, s:i}, s:I, s:o, s:f}", "place", e->place, "range", "min_c",
	                             e->min_celsius, "max_c", e->max_celsius, "allowance_minutes", e->allowance_minutes,
	                             "minutes_outside", (json_int_t)minutes, "episodes", log.episodes, "mkt_celsius",
	                             coldchain_mkt_celsius(&ev));
	char *evidence_text = json_dumps(evidence, JSON_COMPACT);
	json_decref(evidence);
	if (evidence_text == NULL)
		return COLDCHAIN_ERROR;

	coldchain_rc result = COLDCHAIN_ERROR;
	if (store_begin(s) != STORE_OK)
		goto out;
	coldchain_alert_record a = {0};
	a.lot_id = e->lot_id;
	a.logger_id = e->logger_id;
	snprintf(a.place, sizeof a.place, "%s", e->place);
	a.first_at = log.first_at;
	a.last_at = log.last_at;
	a.minutes_outside = minutes;
	a.allowance_minutes = e->allowance_minutes;
	a.peak_celsius = log.peak;
	a.evidence_json = evidence_text;
	a.created_at = now;
	store_rc rc = store_alert_insert(s, &a);
	if (rc == STORE_CONFLICT) {
		/* Already open for this lot and logger: QA has it. */
		store_rollback(s);
		result = COLDCHAIN_OK;
		goto out;
	}
	actor system = {.id = 0, .role = ROLE_NONE};
	char detail[160];
	snprintf(detail, sizeof detail, "lot %s: %lld min outside %.1f-%.1f °C (allowed %d) at %s", e->lot_number,
	         (long long)minutes, e->min_celsius, e->max_celsius, e->allowance_minutes, e->place);
	if (rc != STORE_OK || !service_audit(s, &system, "coldchain.alert", "lot", e->lot_id, detail)) {
		store_rollback(s);
		goto out;
	}
	/* Quarantine through the lot state machine, where the lot's status allows it, in the
	 * alert's transaction: an alert whose lot stayed dispensable must not be recorded (a later
	 * evaluation finds the alert open and would not quarantine again). */
	lot_record lot;
	if (store_lot_get(s, e->lot_id, &lot) != STORE_OK) {
		store_rollback(s);
		goto out;
	}
	bool quarantine = strcmp(lot.status, "released") == 0 || strcmp(lot.status, "received") == 0;
	if (quarantine) {
		char reason[300];
		snprintf(reason, sizeof reason, "温度逸脱の自動隔離 / automatic quarantine: %s (alert %lld)", detail, (long long)a.id);
		if (trace_transition_in_tx(s, &system, e->lot_id, LOT_QUARANTINE, reason, now) != TRACE_OK) {
			store_rollback(s);
			goto out;
		}
	}
	if (store_commit(s) != STORE_OK)
		goto out;
	(*alerts)++;
	*quarantined += quarantine;
	result = COLDCHAIN_OK;
out:
	free(evidence_text);
	return result;
}

coldchain_rc coldchain_evaluate_logger(store *s, int64_t logger_id, int64_t from, int64_t to, int64_t now,
                                       int *alerts, int *quarantined)
{
	exposure_list list = {.n = 0};
	if (store_exposures_of_logger(s, logger_id, from, to, collect_exposure, &list) != STORE_OK)
		return COLDCHAIN_ERROR;
	for (int i = 0; i < list.n; i++)
		if (evaluate_exposure(s, &list.items[i], now, alerts, quarantined) != COLDCHAIN_OK)
			return COLDCHAIN_ERROR;
	return COLDCHAIN_OK;
}

/* ---- disposition ---- */

typedef struct open_alerts {
	int64_t ids[64];
	int n;
} open_alerts;

static int collect_open(void *ctx, const coldchain_alert_record *a)
{
	open_alerts *o = ctx;
	if (o->n < 64)
		o->ids[o->n++] = a->id;
	return 0;
}

coldchain_rc coldchain_dispose(store *s, const actor *by, int64_t alert_id, const char *disposition,
                               const char *justification, int64_t now)
{
	bool release = strcmp(disposition, "released") == 0;
	if (!release && strcmp(disposition, "destroyed") != 0)
		return COLDCHAIN_INVALID;
	coldchain_alert_record a;
	store_rc rc = store_alert_get(s, alert_id, &a);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? COLDCHAIN_NOT_FOUND : COLDCHAIN_ERROR;
	coldchain_alert_clear(&a);
	if (strcmp(a.status, "open") != 0)
		return COLDCHAIN_ALERT_CLOSED;
	lot_record lot;
	if (store_lot_get(s, a.lot_id, &lot) != STORE_OK)
		return COLDCHAIN_ERROR;
	open_alerts others = {.n = 0};
	if (release && store_alert_list(s, "open", a.lot_id, collect_open, &others) != STORE_OK)
		return COLDCHAIN_ERROR;
	if (!release)
		others.ids[others.n++] = alert_id;

	/* The lot's transition and the alerts' closing are one decision, one transaction: a
	 * released lot must not be left with its alert open, nor a closed alert on a quarantined lot. */
	if (strcmp(lot.status, "quarantine") != 0 && release && strcmp(lot.status, "released") != 0) {
		/* Nothing to release (depleted, recalled…): the alert is closed as a record only. */
		if (strcmp(lot.status, "depleted") != 0 && strcmp(lot.status, "expired") != 0 &&
		    strcmp(lot.status, "recalled") != 0 && strcmp(lot.status, "destroyed") != 0)
			return COLDCHAIN_LOT_STATE;
	}
	if (store_begin(s) != STORE_OK)
		return COLDCHAIN_ERROR;
	if (strcmp(lot.status, "quarantine") == 0) {
		char reason[1100];
		snprintf(reason, sizeof reason, "温度逸脱の判定 / excursion disposition (alert %lld): %s", (long long)alert_id,
		         justification);
		trace_rc trc = trace_transition_in_tx(s, by, lot.id, release ? LOT_RELEASED : LOT_DESTROYED, reason, now);
		if (trc == TRACE_NEEDS_PHARMACIST || trc == TRACE_TESTS_MISSING || trc == TRACE_ILLEGAL_TRANSITION)
			return service_rollback(s, COLDCHAIN_LOT_STATE);
		if (trc != TRACE_OK)
			return service_rollback(s, COLDCHAIN_ERROR);
	}
	for (int i = 0; i < others.n; i++) {
		rc = store_alert_dispose(s, others.ids[i], disposition, justification, by->id, now);
		if (rc != STORE_OK && rc != STORE_CONFLICT)
			return service_rollback(s, COLDCHAIN_ERROR);
		char detail[64];
		snprintf(detail, sizeof detail, "alert %lld %s", (long long)others.ids[i], disposition);
		if (!service_audit(s, by, "coldchain.dispose", "lot", lot.id, detail))
			return service_rollback(s, COLDCHAIN_ERROR);
	}
	return service_commit(s) ? COLDCHAIN_OK : COLDCHAIN_ERROR;
}
