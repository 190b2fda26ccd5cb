/* Cold chain: storage units, loggers, lot placement, reading import and sensor ingest,
 * charts' series, a lot's storage history, and QA's excursion alerts. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/coldchain.h"
#include "core/timefmt.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "http/kept.h"
#include "service/coldchain_alarm.h"
#include "service/coldchain.h"
#include "clock.h"

static const error_row coldchain_errors[] = {
	[COLDCHAIN_OK] = {0},
	[COLDCHAIN_NOT_FOUND] = {404, "not_found"},
	[COLDCHAIN_INVALID] = {400, "invalid_field", FIELD_FROM_SERVICE},
	[COLDCHAIN_CONFLICT] = {409, "already_exists", FIELD_FROM_SERVICE},
	[COLDCHAIN_BAD_FILE] = {400, "bad_readings"},
	[COLDCHAIN_DUPLICATE] = {409, "duplicate_reading"},
	[COLDCHAIN_ALERT_CLOSED] = {409, "alert_closed"},
	[COLDCHAIN_LOT_STATE] = {409, "illegal_transition"},
	[COLDCHAIN_ERROR] = {500, .log_as = "cold chain"},
};
static_assert(sizeof coldchain_errors / sizeof coldchain_errors[0] == COLDCHAIN_RC_COUNT, "one row per coldchain_rc");

static void reply_coldchain_error(request *req, coldchain_rc rc, const char *field)
{
	reply_error_row(req, coldchain_errors, COLDCHAIN_RC_COUNT, (int)rc, field);
}

/* Adds the file, line and reason of a rejected import to the error reply: reason is the
 * parser's reason in the user's language (in both in reasons; its key and quoted values in
 * reason_code and reason_args, the parser's English text in detail); an implausible reading also names its
 * field, and the message leads with it. */
static void add_line_error(request *req, const char *source, const temp_csv_error *err)
{
	json_t *e = json_object_get(req->reply, "error");
	const char *key = err->reason_key ? err->reason_key : "bad_readings";
	const char *names[TEMP_CSV_ARGS_MAX], *values[TEMP_CSV_ARGS_MAX];
	json_t *args = json_object();
	int n = err->nargs < 0 ? 0 : err->nargs > TEMP_CSV_ARGS_MAX ? TEMP_CSV_ARGS_MAX : err->nargs;
	for (int i = 0; i < n; i++) {
		names[i] = err->args[i].name;
		values[i] = err->args[i].text;
		json_object_set_new(args, names[i], json_string(values[i]));
	}
	char reason[600], line[24], located[300], ja[600], en[600];
	message_format(req->lang, key, names, values, (size_t)n, reason, sizeof reason);
	/* Both languages, so that a page switched to the other one shows the reason in it too. */
	message_format(LANG_JA, key, names, values, (size_t)n, ja, sizeof ja);
	message_format(LANG_EN, key, names, values, (size_t)n, en, sizeof en);
	json_object_set_new(e, "reasons", json_pack("{s:s, s:s}", "ja", ja, "en", en));
	snprintf(line, sizeof line, "%ld", err->line);
	const char *where_names[] = {"file", "line"};
	const char *where_values[] = {source, line};
	message_format(req->lang, "line_error", where_names, where_values, 2, located, sizeof located);
	json_object_set_new(e, "file", json_string(source));
	json_object_set_new(e, "line", json_integer(err->line));
	json_object_set_new(e, "reason", json_string(reason));
	json_object_set_new(e, "reason_code", json_string(key));
	json_object_set_new(e, "reason_args", args);
	json_object_set_new(e, "detail", json_string(err->reason));
	char message[1400];
	if (err->field != NULL) {
		json_object_set_new(e, "field", json_string(err->field));
		snprintf(message, sizeof message, "%s: %s (%s)", field_label(req->lang, err->field), reason, located);
	} else {
		snprintf(message, sizeof message, "%s %s: %s", json_string_value(json_object_get(e, "message")), located, reason);
	}
	json_object_set_new(e, "message", json_string(message));
}

static json_t *json_unit(const storage_unit_record *u)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)u->id, "name", u->name, "kind", u->kind,
	                 "location", u->location, "logger_id", u->logger_id ? json_integer(u->logger_id) : json_null(),
	                 "logger_code", u->logger_id ? json_string(u->logger_code) : json_null());
}

static json_t *json_logger(const logger_record *l)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:b, s:o, s:I, s:o, s:o}", "id", (json_int_t)l->id, "code", l->code,
	                 "description", l->description, "unit_id", l->unit_id ? json_integer(l->unit_id) : json_null(),
	                 "unit_name", l->unit_name, "ingest_enabled", l->api_key_hash[0] != '\0', "interval_seconds",
	                 l->interval_seconds ? json_integer(l->interval_seconds) : json_null(), "readings",
	                 (json_int_t)l->readings, "first_at", json_time(l->first_at), "last_at", json_time(l->last_at));
}

static int add_unit(void *ctx, const storage_unit_record *u)
{
	json_array_append_new(ctx, json_unit(u));
	return 0;
}

static int add_logger(void *ctx, const logger_record *l)
{
	json_array_append_new(ctx, json_logger(l));
	return 0;
}

void handle_units_list(request *req)
{
	json_t *list = json_array();
	reply_list(req, store_unit_list(req->db, add_unit, list), list, "units", "list units");
}

void handle_unit_create(request *req)
{
	storage_unit_record u = {0};
	snprintf(u.name, sizeof u.name, "%s", input_string(req, "name"));
	snprintf(u.kind, sizeof u.kind, "%s", input_string(req, "kind"));
	const char *location = input_string(req, "location");
	snprintf(u.location, sizeof u.location, "%s", location ? location : "");
	actor by = request_actor(req);
	coldchain_rc rc = coldchain_create_unit(req->db, &by, &u, clock_now());
	if (rc != COLDCHAIN_OK) {
		reply_coldchain_error(req, rc, "name");
		return;
	}
	reply_json(req, 201, json_pack("{s:o}", "unit", json_unit(&u)));
}

void handle_loggers_list(request *req)
{
	json_t *list = json_array();
	reply_list(req, store_logger_list(req->db, add_logger, list), list, "loggers", "list loggers");
}

void handle_logger_create(request *req)
{
	logger_record l = {0};
	snprintf(l.code, sizeof l.code, "%s", input_string(req, "code"));
	const char *description = input_string(req, "description");
	snprintf(l.description, sizeof l.description, "%s", description ? description : "");
	l.unit_id = input_int(req, "unit_id", 0);
	l.interval_seconds = input_int(req, "interval_seconds", 0);
	json_t *ingest = json_object_get(req->input, "ingest");
	bool with_key = json_is_true(ingest);
	char key[TOKEN_TEXT_MAX];
	const char *field = NULL;
	actor by = request_actor(req);
	coldchain_rc rc = coldchain_create_logger(req->db, &by, &l, clock_now(), with_key ? key : NULL, &field);
	if (rc != COLDCHAIN_OK) {
		reply_coldchain_error(req, rc, field ? field : "code");
		return;
	}
	logger_record stored;
	if (store_logger_get(req->db, l.id, &stored) != STORE_OK) {
		reply_internal(req, "read logger");
		return;
	}
	json_t *body = json_pack("{s:o}", "logger", json_logger(&stored));
	/* The key is shown once: only its hash is kept. */
	if (with_key)
		json_object_set_new(body, "api_key", json_string(key));
	reply_json(req, 201, body);
}

void handle_lot_place(request *req)
{
	actor by = request_actor(req);
	coldchain_rc rc = coldchain_place_lot(req->db, &by, req->path_ids[0], input_int(req, "unit_id", 0),
	                                      clock_now());
	if (rc != COLDCHAIN_OK) {
		reply_coldchain_error(req, rc, "unit_id");
		return;
	}
	reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

/* The alarm settings from the server's configuration. */
static coldchain_alarm_settings alarm_settings(const request *req)
{
	return (coldchain_alarm_settings){req->cfg->data_dir, req->cfg->mail.public_url};
}

/* Tells staff at once of the excursion alerts an import opened. The readings and alerts are
 * stored whatever happens here; a failure is logged and the server's minute check retries. */
static void alarm_staff(request *req, const coldchain_import_summary *sum)
{
	if (sum->alerts_raised == 0)
		return;
	coldchain_alarm_settings settings = alarm_settings(req);
	if (coldchain_alarm_excursions(req->db, &settings, clock_now(), NULL) != STORE_OK)
		fprintf(stderr, "exosafe: cold-chain alarm mail: %s\n", req->db->errmsg);
}

static void reply_summary(request *req, const coldchain_import_summary *sum)
{
	alarm_staff(req, sum);
	reply_json(req, 200, json_pack("{s:I, s:I, s:o, s:o, s:i, s:i}", "rows_read", (json_int_t)sum->rows_read, "rows_added",
	                               (json_int_t)sum->rows_added, "first_at", json_time(sum->first_at), "last_at",
	                               json_time(sum->last_at), "alerts_raised", sum->alerts_raised, "lots_quarantined",
	                               sum->lots_quarantined));
}

/* Imports a CSV body for logger_id as one file named source; replies with the summary.
 * ?unit=C|F gives the unit of a file that does not name one. */
static void import_csv_body(request *req, const actor *by, int64_t logger_id, const char *source)
{
	const char *unit = request_query(req, "unit");
	if (unit != NULL && strcmp(unit, "C") != 0 && strcmp(unit, "F") != 0) {
		reply_error(req, 400, "invalid_field", "unit", "unit_value");
		return;
	}
	coldchain_import *imp = coldchain_import_begin(req->db, by, logger_id, JST_OFFSET_SECONDS, clock_now());
	if (imp == NULL) {
		reply_internal(req, "begin import");
		return;
	}
	if (unit != NULL)
		coldchain_import_set_unit(imp, unit[0]);
	coldchain_import_file(imp, source);
	temp_csv_error err = {0};
	coldchain_rc rc = coldchain_import_feed(imp, req->body ? req->body : "", req->body_len, &err);
	if (rc == COLDCHAIN_OK)
		rc = coldchain_import_file_end(imp, &err);
	if (rc != COLDCHAIN_OK) {
		coldchain_import_abort(imp);
		reply_coldchain_error(req, rc, NULL);
		if (rc == COLDCHAIN_BAD_FILE || rc == COLDCHAIN_DUPLICATE)
			add_line_error(req, source, &err);
		return;
	}
	coldchain_import_summary sum;
	rc = coldchain_import_commit(imp, clock_now(), &sum);
	if (rc != COLDCHAIN_OK) {
		reply_coldchain_error(req, rc, NULL);
		return;
	}
	reply_summary(req, &sum);
}

static bool load_logger(request *req, logger_record *l)
{
	store_rc rc = store_logger_get(req->db, req->path_ids[0], l);
	if (rc == STORE_OK)
		return true;
	if (rc == STORE_NOT_FOUND)
		reply_error(req, 404, "not_found", NULL, NULL);
	else
		reply_internal(req, "read logger");
	return false;
}

void handle_logger_import(request *req)
{
	const char *type = request_header(req, "Content-Type");
	if (type == NULL || (strncmp(type, "text/csv", 8) != 0 && strncmp(type, "text/plain", 10) != 0)) {
		reply_error(req, 415, "unsupported_media_type", NULL, "csv_type");
		return;
	}
	logger_record l;
	if (!load_logger(req, &l))
		return;
	const char *filename = request_query(req, "filename");
	const char *why = filename && *filename ? validate_file_name(filename) : NULL;
	if (why != NULL) {
		reply_error(req, 400, "invalid_field", "filename", why);
		return;
	}
	actor by = request_actor(req);
	import_csv_body(req, &by, l.id, filename && *filename ? filename : "upload.csv");
}

/* POST /api/v1/loggers/{id}/readings from a connected sensor, authenticated by its key. */
void handle_logger_ingest(request *req)
{
	logger_record l;
	store_rc src = store_logger_get(req->db, req->path_ids[0], &l);
	if (src == STORE_ERROR) {
		reply_internal(req, "read logger");
		return;
	}
	const char *auth = request_header(req, "Authorization");
	const char *key = auth && strncmp(auth, "Bearer ", 7) == 0 ? auth + 7 : request_header(req, "X-Logger-Key");
	/* The same answer for an unknown logger and a wrong key: a key for another logger is
	 * simply a wrong key here. */
	if (src == STORE_NOT_FOUND || !coldchain_key_matches(&l, key)) {
		reply_error(req, 401, "bad_logger_key", NULL, NULL);
		return;
	}
	if (req->awaiting_body)
		return;
	if (req->body_too_large) {
		reply_error(req, 413, "body_too_large", NULL, NULL);
		return;
	}
	actor device = {.id = 0, .role = ROLE_NONE};
	const char *type = request_header(req, "Content-Type");
	if (type != NULL && strncmp(type, "text/csv", 8) == 0) {
		import_csv_body(req, &device, l.id, "ingest.csv");
		return;
	}
	if (type == NULL || strncmp(type, "application/json", 16) != 0) {
		reply_error(req, 415, "unsupported_media_type", NULL, "ingest_type");
		return;
	}
	json_error_t jerr;
	json_t *body = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *readings = body ? json_object_get(body, "readings") : NULL;
	if (body == NULL || !json_is_object(body) || json_object_size(body) != 1 || !json_is_array(readings) ||
	    json_array_size(readings) == 0 || json_array_size(readings) > 100000) {
		json_decref(body);
		reply_error(req, 400, body == NULL ? "bad_json" : "invalid_field", body == NULL ? NULL : "readings",
		            body == NULL ? NULL : "readings_shape");
		return;
	}
	coldchain_import *imp = coldchain_import_begin(req->db, &device, l.id, JST_OFFSET_SECONDS, clock_now());
	if (imp == NULL) {
		json_decref(body);
		reply_internal(req, "begin import");
		return;
	}
	size_t i;
	json_t *r;
	temp_csv_error err = {0};
	coldchain_rc rc = COLDCHAIN_OK;
	json_array_foreach(readings, i, r) {
		json_t *at = json_object_get(r, "at"), *c = json_object_get(r, "celsius");
		int64_t t;
		err.line = (long)i + 1;
		if (!json_is_object(r) || json_object_size(r) != 2 || !json_is_string(at) || !json_is_number(c)) {
			snprintf(err.reason, sizeof err.reason, "each reading is {\"at\": ISO 8601 time, \"celsius\": number}");
			err.reason_key = "ingest_reading_shape";
			rc = COLDCHAIN_BAD_FILE;
		} else if (time_parse_iso8601(json_string_value(at), &t) != 0) {
			snprintf(err.reason, sizeof err.reason, "unparsable time '%.60s' (ISO 8601 with an offset)",
			         json_string_value(at));
			err.reason_key = "ingest_time";
			temp_csv_error_arg(&err, "value", "%.60s", json_string_value(at));
			rc = COLDCHAIN_BAD_FILE;
		} else {
			rc = coldchain_import_reading(imp, t, json_number_value(c), &err);
			if (rc != COLDCHAIN_OK)
				err.line = (long)i + 1;
		}
		if (rc != COLDCHAIN_OK)
			break;
	}
	json_decref(body);
	if (rc != COLDCHAIN_OK) {
		coldchain_import_abort(imp);
		reply_coldchain_error(req, rc, NULL);
		if (rc == COLDCHAIN_BAD_FILE || rc == COLDCHAIN_DUPLICATE) {
			char source[32];
			snprintf(source, sizeof source, "readings[%ld]", err.line - 1);
			add_line_error(req, source, &err);
		}
		return;
	}
	coldchain_import_summary sum;
	rc = coldchain_import_commit(imp, clock_now(), &sum);
	if (rc != COLDCHAIN_OK) {
		reply_coldchain_error(req, rc, NULL);
		return;
	}
	reply_summary(req, &sum);
}

/* ---- series for charts ---- */

typedef struct series {
	coldchain_eval ev;
	json_t *points;       /* [t, min, max] per bucket */
	json_t *episodes;
	int64_t bucket_seconds, bucket_start;
	double bmin, bmax;
	bool have_bucket;
} series;

static void flush_bucket(series *s)
{
	if (s->have_bucket)
		json_array_append_new(s->points, json_pack("[I, f, f]", (json_int_t)s->bucket_start, s->bmin, s->bmax));
	s->have_bucket = false;
}

static int series_reading(void *ctx, int64_t at, double celsius)
{
	series *s = ctx;
	temp_reading r = {at, celsius};
	coldchain_feed(&s->ev, &r);
	int64_t b = at - (at % s->bucket_seconds);
	if (!s->have_bucket || b != s->bucket_start) {
		flush_bucket(s);
		s->bucket_start = b;
		s->bmin = s->bmax = celsius;
		s->have_bucket = true;
	} else {
		if (celsius < s->bmin)
			s->bmin = celsius;
		if (celsius > s->bmax)
			s->bmax = celsius;
	}
	return 0;
}

static void series_episode(void *ctx, const excursion_episode *e)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:f, s:s, s:I, s:b}", "start", (json_int_t)e->start, "end",
	                                     (json_int_t)e->end, "peak_celsius", e->peak_celsius, "direction",
	                                     e->direction == EXCURSION_ABOVE ? "above" : "below", "minutes",
	                                     (json_int_t)(e->duration_seconds / 60), "open", e->open));
}

/* Reads a logger's series in [from, to) against [min, max]; NULL on a storage error. */
static json_t *logger_series(store *db, int64_t logger_id, int64_t from, int64_t to, double min_c, double max_c,
                             bool have_band, int points)
{
	series s = {0};
	s.points = json_array();
	s.episodes = json_array();
	int64_t span = to - from;
	s.bucket_seconds = span / points > 1 ? span / points : 1;
	coldchain_limits limits = {have_band ? min_c : -1e9, have_band ? max_c : 1e9, 0};
	coldchain_begin(&s.ev, &limits, series_episode, NULL, s.episodes);
	if (store_readings_range(db, logger_id, from, to, series_reading, &s) != STORE_OK) {
		json_decref(s.points);
		json_decref(s.episodes);
		return NULL;
	}
	flush_bucket(&s);
	coldchain_finish(&s.ev);
	double mkt = coldchain_mkt_celsius(&s.ev);
	json_t *out = json_pack("{s:o, s:o, s:I, s:I}", "points", s.points, "episodes", s.episodes, "readings",
	                        (json_int_t)s.ev.readings, "minutes_outside", (json_int_t)(s.ev.seconds_outside / 60));
	json_object_set_new(out, "mkt_celsius", isnan(mkt) ? json_null() : json_real(mkt));
	json_object_set_new(out, "min_celsius", s.ev.readings ? json_real(s.ev.min_seen) : json_null());
	json_object_set_new(out, "max_celsius", s.ev.readings ? json_real(s.ev.max_seen) : json_null());
	json_object_set_new(out, "band", have_band ? json_pack("{s:f, s:f}", "min_c", min_c, "max_c", max_c) : json_null());
	return out;
}

typedef struct band {
	double min_c, max_c;
	bool have;
} band;

static int narrow_band(void *ctx, const lot_exposure *e)
{
	band *b = ctx;
	if (!b->have || e->min_celsius > b->min_c)
		b->min_c = e->min_celsius;
	if (!b->have || e->max_celsius < b->max_c)
		b->max_c = e->max_celsius;
	b->have = true;
	return 0;
}

static bool parse_time_query(request *req, const char *name, int64_t def, int64_t *out)
{
	const char *q = request_query(req, name);
	if (q == NULL) {
		*out = def;
		return true;
	}
	if (time_parse_iso8601(q, out) != 0) {
		reply_error(req, 400, "invalid_field", name, "datetime_format");
		return false;
	}
	return true;
}

void handle_logger_series(request *req)
{
	/* The series is computed from stored data alone: kept (kept.h) under its resolved range. */
	uint64_t generation;
	bool keep = store_data_generation(req->db, &generation) == STORE_OK;
	logger_record l;
	if (!load_logger(req, &l))
		return;
	int64_t from, to, points;
	int64_t last = l.last_at ? l.last_at + 1 : clock_now();
	if (!parse_time_query(req, "from", l.first_at ? l.first_at : last - 86400, &from) ||
	    !parse_time_query(req, "to", last, &to) || !query_int(req, "points", 1000, 10, 5000, &points))
		return;
	if (to <= from) {
		reply_error(req, 400, "invalid_field", "to", "end_before_start");
		return;
	}
	char key[96];
	snprintf(key, sizeof key, "logger-series:%lld:%lld:%lld:%lld", (long long)l.id, (long long)from, (long long)to,
	         (long long)points);
	if (keep && kept_reply(req, key, generation))
		return;
	/* The band: the narrowest range of the products kept where this logger watched. */
	band b = {0, 0, false};
	if (store_exposures_of_logger(req->db, l.id, from, to, narrow_band, &b) != STORE_OK) {
		reply_internal(req, "exposures");
		return;
	}
	json_t *s = logger_series(req->db, l.id, from, to, b.min_c, b.max_c, b.have, (int)points);
	if (s == NULL) {
		reply_internal(req, "series");
		return;
	}
	json_object_set_new(s, "logger", json_logger(&l));
	json_object_set_new(s, "from", json_integer(from));
	json_object_set_new(s, "to", json_integer(to));
	reply_json(req, 200, s);
	if (keep)
		kept_store(req, key, generation, INT64_MAX);
}

/* ---- a lot's storage history ---- */

typedef struct history_ctx {
	request *req;
	json_t *stays;
	bool public_view;
	bool failed;
} history_ctx;

static int add_stay(void *ctx, const lot_exposure *e)
{
	history_ctx *h = ctx;
	bool shipment = strncmp(e->place, "shipment:", 9) == 0;
	if (h->public_view && shipment)
		return 0;   /* parcels go to patients: not for the public page */
	int64_t to = e->to_at ? e->to_at : clock_now() + 1;
	json_t *s = logger_series(h->req->db, e->logger_id, e->from_at, to, e->min_celsius, e->max_celsius, true, 200);
	if (s == NULL) {
		h->failed = true;
		return 1;
	}
	json_object_del(s, "points");
	json_object_set_new(s, "place", json_string(h->public_view ? "storage" : e->place));
	json_object_set_new(s, "from", json_time(e->from_at));
	json_object_set_new(s, "to", json_time(e->to_at));
	json_object_set_new(s, "allowance_minutes", json_integer(e->allowance_minutes));
	if (!h->public_view)
		json_object_set_new(s, "logger_id", json_integer(e->logger_id));
	json_array_append_new(h->stays, s);
	return 0;
}

json_t *lot_storage_json(request *req, int64_t lot_id, bool public_view)
{
	history_ctx h = {req, json_array(), public_view, false};
	if (store_exposures_of_lot(req->db, lot_id, add_stay, &h) != STORE_OK || h.failed) {
		json_decref(h.stays);
		return NULL;
	}
	return h.stays;
}

static json_t *json_alert(const coldchain_alert_record *a)
{
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:I, s:I, s:f, s:s, s:o}", "id",
	                      (json_int_t)a->id, "lot_id", (json_int_t)a->lot_id, "lot_number", a->lot_number,
	                      "product_name", a->product_name_ja, "logger_id", (json_int_t)a->logger_id, "logger_code",
	                      a->logger_code, "place", a->place, "first_at", json_time(a->first_at), "last_at",
	                      json_time(a->last_at), "minutes_outside", (json_int_t)a->minutes_outside,
	                      "allowance_minutes", (json_int_t)a->allowance_minutes, "peak_celsius", a->peak_celsius,
	                      "status", a->status, "created_at", json_time(a->created_at));
	if (strcmp(a->status, "disposed") == 0) {
		json_object_set_new(j, "disposition", json_string(a->disposition));
		json_object_set_new(j, "justification", json_string(a->justification));
		json_object_set_new(j, "disposed_at", json_time(a->disposed_at));
	}
	if (a->evidence_json)
		json_object_set_new(j, "evidence", json_loads(a->evidence_json, 0, NULL));
	return j;
}

static int add_alert(void *ctx, const coldchain_alert_record *a)
{
	json_array_append_new(ctx, json_alert(a));
	return 0;
}

void handle_lot_storage(request *req)
{
	lot_record lot;
	store_rc rc = store_lot_get(req->db, req->path_ids[0], &lot);
	if (rc != STORE_OK) {
		if (rc == STORE_NOT_FOUND)
			reply_error(req, 404, "not_found", NULL, NULL);
		else
			reply_internal(req, "read lot");
		return;
	}
	json_t *stays = lot_storage_json(req, lot.id, false);
	json_t *alerts = json_array();
	if (stays == NULL || store_alert_list(req->db, NULL, lot.id, add_alert, alerts) != STORE_OK) {
		json_decref(stays);
		json_decref(alerts);
		reply_internal(req, "storage history");
		return;
	}
	reply_json(req, 200, json_pack("{s:o, s:o, s:o}", "lot", json_lot(&lot), "stays", stays, "alerts", alerts));
}

void handle_alerts_list(request *req)
{
	const char *status = request_query(req, "status");
	if (status != NULL && strcmp(status, "open") != 0 && strcmp(status, "disposed") != 0) {
		reply_error(req, 400, "invalid_field", "status", "status_value");
		return;
	}
	json_t *list = json_array();
	reply_list(req, store_alert_list(req->db, status, 0, add_alert, list), list, "alerts", "list alerts");
}

static int add_silence(void *ctx, const logger_silence_record *x)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:b}", "id", (json_int_t)x->id,
	                                     "logger_id", (json_int_t)x->logger_id, "logger_code", x->logger_code,
	                                     "unit_name", x->unit_name, "interval_seconds", (json_int_t)x->interval_seconds,
	                                     "since", json_time(x->since_at), "detected_at", json_time(x->detected_at),
	                                     "resumed_at", json_time(x->resumed_at), "recovered_at",
	                                     json_time(x->recovered_at), "open", x->recovered_at == 0));
	return 0;
}

/* GET /api/v1/coldchain/silences: connected sensors silent now, and those recovered in the
 * last seven days. */
void handle_silences_list(request *req)
{
	json_t *list = json_array();
	reply_list(req, store_silence_list(req->db, clock_now() - 7 * 86400, add_silence, list), list, "silences",
	           "list silences");
}

void handle_alert_get(request *req)
{
	coldchain_alert_record a;
	store_rc rc = store_alert_get(req->db, req->path_ids[0], &a);
	if (rc != STORE_OK) {
		if (rc == STORE_NOT_FOUND)
			reply_error(req, 404, "not_found", NULL, NULL);
		else
			reply_internal(req, "read alert");
		return;
	}
	json_t *j = json_alert(&a);
	coldchain_alert_clear(&a);
	reply_json(req, 200, json_pack("{s:o}", "alert", j));
}

void handle_alert_dispose(request *req)
{
	actor by = request_actor(req);
	coldchain_rc rc = coldchain_dispose(req->db, &by, req->path_ids[0], input_string(req, "disposition"),
	                                    input_string(req, "justification"), clock_now());
	if (rc != COLDCHAIN_OK) {
		reply_coldchain_error(req, rc, "disposition");
		return;
	}
	handle_alert_get(req);
}
