/* exosafe import-temps, exosafe coldchain report and exosafe coldchain check. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>

#include "cli/cli.h"
#include "core/coldchain.h"
#include "core/coldchain_svg.h"
#include "core/timefmt.h"
#include "config.h"
#include "service/coldchain_alarm.h"
#include "service/coldchain.h"
#include "clock.h"

static const char import_usage[] =
	"usage: exosafe import-temps --db PATH --logger CODE [--unit C|F] FILE...\n"
	"\n"
	"Imports temperature-logger CSV files: a header row or none; comma, semicolon or tab;\n"
	"ISO 8601 times with an offset, or YYYY/MM/DD HH:MM(:SS) local time (Asia/Tokyo unless the\n"
	"file says); °C or °F; a decimal comma. All files are imported together or not at all: a bad\n"
	"line is reported with its file, line and reason, and nothing is stored. Readings already\n"
	"stored are skipped, so importing a file twice adds nothing. Then every lot the logger\n"
	"watched is checked: one whose time outside its product's range passes the allowance is\n"
	"quarantined and an alert is opened for QA. A progress bar is shown on a terminal.\n"
	"  --unit C|F   the unit of files that do not name one (otherwise such a file is refused)\n";

/* Draws a progress bar on stderr when it is a terminal. */
static void progress(const char *file, long long done, long long total, long long readings)
{
	static int last_percent = -1;
	if (!isatty(STDERR_FILENO) || total <= 0)
		return;
	int percent = (int)(done * 100 / total);
	if (percent == last_percent && done != total)
		return;
	last_percent = percent;
	char bar[31];
	int filled = percent * 30 / 100;
	for (int i = 0; i < 30; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%-24.24s [%s] %3d%%  %lld readings", file, bar, percent, readings);
	if (done == total)
		fputc('\n', stderr);
}

int cli_import_temps(int argc, char **argv)
{
	const char *db = NULL, *code = NULL, *unit = NULL;
	const cli_option opts[] = {
		{"db", &db}, {"logger", &code}, {"unit", &unit}, {NULL},
	};
	int first_file;
	int status = cli_parse_options("import-temps", import_usage, argc, argv, opts, &first_file);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL || code == NULL)
		return cli_usage_error("import-temps", "--db and --logger are required");
	if (first_file >= argc)
		return cli_usage_error("import-temps", "name at least one CSV file");
	if (unit != NULL && strcmp(unit, "C") != 0 && strcmp(unit, "F") != 0)
		return cli_usage_error("import-temps", "--unit must be C or F, got '%s'", unit);

	store *s = cli_open_store(db, 1);
	if (s == NULL)
		return 1;
	logger_record logger;
	store_rc src = store_logger_by_code(s, code, &logger);
	if (src != STORE_OK) {
		fprintf(stderr, "exosafe import-temps: %s\n", src == STORE_NOT_FOUND ? "no such logger; create it first" : s->errmsg);
		store_close(s);
		return 1;
	}
	actor system = {.id = 0, .role = ROLE_NONE};
	coldchain_import *imp = coldchain_import_begin(s, &system, logger.id, JST_OFFSET_SECONDS, clock_now());
	if (imp == NULL) {
		fprintf(stderr, "exosafe import-temps: %s\n", s->errmsg);
		store_close(s);
		return 1;
	}
	if (unit != NULL)
		coldchain_import_set_unit(imp, unit[0]);
	temp_csv_error err = {0};
	coldchain_rc rc = COLDCHAIN_OK;
	const char *failed_file = NULL;
	static char chunk[1 << 16];
	for (int i = first_file; i < argc && rc == COLDCHAIN_OK; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (f == NULL) {
			fprintf(stderr, "exosafe import-temps: %s: %s; nothing was stored\n", argv[i], strerror(errno));
			coldchain_import_abort(imp);
			store_close(s);
			return 1;
		}
		struct stat st;
		long long total = fstat(fileno(f), &st) == 0 ? (long long)st.st_size : 0, done = 0;
		coldchain_import_file(imp, argv[i]);
		size_t n;
		while (rc == COLDCHAIN_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
			rc = coldchain_import_feed(imp, chunk, n, &err);
			done += (long long)n;
			progress(argv[i], done, total, 0);
		}
		if (rc == COLDCHAIN_OK && ferror(f)) {
			snprintf(err.reason, sizeof err.reason, "read error");
			rc = COLDCHAIN_BAD_FILE;
		}
		if (rc == COLDCHAIN_OK)
			rc = coldchain_import_file_end(imp, &err);
		fclose(f);
		if (rc != COLDCHAIN_OK)
			failed_file = argv[i];
	}
	if (rc != COLDCHAIN_OK) {
		coldchain_import_abort(imp);
		if (rc == COLDCHAIN_BAD_FILE || rc == COLDCHAIN_DUPLICATE)
			fprintf(stderr, "%s:%ld: %s\nexosafe import-temps: nothing was stored\n", failed_file, err.line, err.reason);
		else
			fprintf(stderr, "exosafe import-temps: %s; nothing was stored\n", s->errmsg);
		store_close(s);
		return 1;
	}
	coldchain_import_summary sum;
	rc = coldchain_import_commit(imp, clock_now(), &sum);
	if (rc != COLDCHAIN_OK) {
		fprintf(stderr, "exosafe import-temps: %s\n", s->errmsg);
		store_close(s);
		return 1;
	}
	printf("logger %s: %lld readings read, %lld new", code, (long long)sum.rows_read, (long long)sum.rows_added);
	if (sum.alerts_raised || sum.lots_quarantined)
		printf("; %d excursion alerts, %d lots quarantined", sum.alerts_raised, sum.lots_quarantined);
	printf("\n");
	store_close(s);
	return 0;
}

/* ---- report ---- */

static const char report_usage[] =
	"usage: exosafe coldchain report --db PATH (--logger CODE | --lot LOT) [--from T --to T]\n"
	"                                [--format json|csv|svg]\n"
	"\n"
	"Excursion episodes, time-weighted mean kinetic temperature (USP <1079>), minimum and\n"
	"maximum of a logger's readings, or of every stay of a lot under a logger, against the\n"
	"product's storage range.\n"
	"T is ISO 8601 with an offset. csv lists the episodes; svg writes a chart for a report\n"
	"(a logger, or the lot's first stay) to standard output.\n";

typedef struct report_ctx {
	coldchain_eval ev;
	json_t *episodes;
	coldchain_svg *svg;
} report_ctx;

static void report_episode(void *ctx, const excursion_episode *e)
{
	report_ctx *r = ctx;
	char start[ISO8601_LEN], end[ISO8601_LEN];
	time_iso8601(e->start, start);
	time_iso8601(e->end, end);
	json_array_append_new(r->episodes, json_pack("{s:s, s:s, s:I, s:f, s:s, s:b}", "start", start, "end", end, "minutes",
	                                             (json_int_t)(e->duration_seconds / 60), "peak_celsius", e->peak_celsius,
	                                             "direction", e->direction == EXCURSION_ABOVE ? "above" : "below",
	                                             "open", e->open));
	if (r->svg)
		coldchain_svg_episode(r->svg, e);
}

static int report_reading(void *ctx, int64_t at, double celsius)
{
	report_ctx *r = ctx;
	temp_reading t = {at, celsius};
	coldchain_feed(&r->ev, &t);
	if (r->svg)
		coldchain_svg_reading(r->svg, &t);
	return 0;
}

/* Evaluates one stretch of a logger's readings; returns its JSON summary or NULL. */
static json_t *report_stretch(store *s, int64_t logger_id, const char *place, int64_t from, int64_t to, double min_c,
                              double max_c, bool have_band, coldchain_svg *svg)
{
	report_ctx r = {.episodes = json_array(), .svg = svg};
	coldchain_limits limits = {have_band ? min_c : -1e9, have_band ? max_c : 1e9, 0};
	coldchain_begin(&r.ev, &limits, report_episode, NULL, &r);
	if (store_readings_range(s, logger_id, from, to, report_reading, &r) != STORE_OK) {
		json_decref(r.episodes);
		return NULL;
	}
	coldchain_finish(&r.ev);
	double mkt = coldchain_mkt_celsius(&r.ev);
	char first[ISO8601_LEN] = "", last[ISO8601_LEN] = "";
	if (r.ev.readings) {
		time_iso8601(r.ev.first_at, first);
		time_iso8601(r.ev.last_at, last);
	}
	json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:o}", "place", place, "readings", (json_int_t)r.ev.readings,
	                      "first_at", first, "last_at", last, "minutes_outside", (json_int_t)(r.ev.seconds_outside / 60),
	                      "data_gaps", (json_int_t)r.ev.gaps, "episodes", r.episodes);
	json_object_set_new(j, "mkt_celsius", isnan(mkt) ? json_null() : json_real(round(mkt * 100) / 100));
	json_object_set_new(j, "min_celsius", r.ev.readings ? json_real(r.ev.min_seen) : json_null());
	json_object_set_new(j, "max_celsius", r.ev.readings ? json_real(r.ev.max_seen) : json_null());
	json_object_set_new(j, "range", have_band ? json_pack("{s:f, s:f}", "min_c", min_c, "max_c", max_c) : json_null());
	return j;
}

typedef struct stays {
	lot_exposure items[64];
	int n;
} stays;

static int collect_stay(void *ctx, const lot_exposure *e)
{
	stays *st = ctx;
	if (st->n < 64)
		st->items[st->n++] = *e;
	return 0;
}

typedef struct lots_found {
	lot_record lot;
	int n;
} lots_found;

static int first_lot(void *ctx, const lot_record *l)
{
	lots_found *f = ctx;
	if (f->n++ == 0)
		f->lot = *l;
	return 0;
}

static void csv_out(const char *text, int last)
{
	csv_fwrite(stdout, text, strlen(text));
	fputc(last ? '\n' : ',', stdout);
}

static void print_report_csv(json_t *stretches)
{
	static const char *const header[] = {"place", "start", "end", "minutes", "peak_celsius", "direction", "open"};
	for (size_t i = 0; i < 7; i++)
		csv_out(header[i], i == 6);
	size_t i, k;
	json_t *st, *e;
	json_array_foreach(stretches, i, st) {
		json_array_foreach(json_object_get(st, "episodes"), k, e) {
			char minutes[24], peak[32];
			snprintf(minutes, sizeof minutes, "%lld", (long long)json_integer_value(json_object_get(e, "minutes")));
			snprintf(peak, sizeof peak, "%.2f", json_real_value(json_object_get(e, "peak_celsius")));
			csv_out(json_string_value(json_object_get(st, "place")), 0);
			csv_out(json_string_value(json_object_get(e, "start")), 0);
			csv_out(json_string_value(json_object_get(e, "end")), 0);
			csv_out(minutes, 0);
			csv_out(peak, 0);
			csv_out(json_string_value(json_object_get(e, "direction")), 0);
			csv_out(json_is_true(json_object_get(e, "open")) ? "yes" : "no", 1);
		}
	}
}

static int coldchain_report(int argc, char **argv)
{
	const char *db = NULL, *code = NULL, *lot_number = NULL, *from_s = NULL, *to_s = NULL, *format = "json";
	const cli_option opts[] = {
		{"db", &db}, {"logger", &code}, {"lot", &lot_number}, {"from", &from_s}, {"to", &to_s}, {"format", &format},
		{NULL},
	};
	int status = cli_parse_options("coldchain report", report_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL || (code == NULL) == (lot_number == NULL))
		return cli_usage_error("coldchain report", "--db and exactly one of --logger or --lot are required");
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "svg") != 0)
		return cli_usage_error("coldchain report", "--format must be json, csv or svg, got '%s'", format);
	int64_t from = INT64_MIN / 2, to = INT64_MAX / 2;
	if (from_s && time_parse_iso8601(from_s, &from) != 0)
		return cli_usage_error("coldchain report", "--from '%s' is not an ISO 8601 time with an offset", from_s);
	if (to_s && time_parse_iso8601(to_s, &to) != 0)
		return cli_usage_error("coldchain report", "--to '%s' is not an ISO 8601 time with an offset", to_s);
	if (to <= from)
		return cli_usage_error("coldchain report", "--to must be after --from");

	store *s = cli_open_store(db, 1);
	if (s == NULL)
		return 1;
	int rc = 1;
	json_t *stretches = json_array();
	coldchain_svg *svg = NULL;
	stays st = {.n = 0};
	if (code != NULL) {
		logger_record logger;
		if (store_logger_by_code(s, code, &logger) != STORE_OK) {
			fprintf(stderr, "exosafe coldchain report: no logger %s\n", code);
			goto out;
		}
		/* The range: the narrowest of the products kept where the logger watched. */
		double min_c = -1e9, max_c = 1e9;
		bool have = false;
		if (store_exposures_of_logger(s, logger.id, from, to, collect_stay, &st) != STORE_OK)
			goto fail;
		for (int i = 0; i < st.n; i++) {
			min_c = have && min_c > st.items[i].min_celsius ? min_c : st.items[i].min_celsius;
			max_c = have && max_c < st.items[i].max_celsius ? max_c : st.items[i].max_celsius;
			have = true;
		}
		if (strcmp(format, "svg") == 0)
			svg = coldchain_svg_new(logger.code, have ? min_c : NAN, have ? max_c : NAN);
		char place[80];
		snprintf(place, sizeof place, "logger:%s", logger.code);
		json_t *j = report_stretch(s, logger.id, place, from, to, min_c, max_c, have, svg);
		if (j == NULL)
			goto fail;
		json_array_append_new(stretches, j);
	} else {
		lots_found found = {.n = 0};
		if (store_lot_find_number(s, lot_number, first_lot, &found) != STORE_OK)
			goto fail;
		if (found.n != 1) {
			fprintf(stderr, "exosafe coldchain report: %s lot %s\n", found.n ? "more than one" : "no", lot_number);
			goto out;
		}
		if (store_exposures_of_lot(s, found.lot.id, collect_stay, &st) != STORE_OK)
			goto fail;
		for (int i = 0; i < st.n; i++) {
			lot_exposure *e = &st.items[i];
			int64_t a = e->from_at > from ? e->from_at : from;
			int64_t b = (e->to_at ? e->to_at : clock_now() + 1) < to ? (e->to_at ? e->to_at : clock_now() + 1) : to;
			if (b <= a)
				continue;
			if (svg == NULL && strcmp(format, "svg") == 0)
				svg = coldchain_svg_new(found.lot.lot_number, e->min_celsius, e->max_celsius);
			json_t *j = report_stretch(s, e->logger_id, e->place, a, b, e->min_celsius, e->max_celsius, true,
			                           svg && json_array_size(stretches) == 0 ? svg : NULL);
			if (j == NULL)
				goto fail;
			json_object_set_new(j, "allowance_minutes", json_integer(e->allowance_minutes));
			json_array_append_new(stretches, j);
		}
	}
	if (strcmp(format, "json") == 0) {
		json_t *doc = json_pack("{s:O}", "stretches", stretches);
		json_dumpf(doc, stdout, JSON_INDENT(2));
		json_decref(doc);
		fputc('\n', stdout);
	} else if (strcmp(format, "csv") == 0) {
		print_report_csv(stretches);
	} else {
		char *text = svg ? coldchain_svg_finish(svg) : NULL;
		if (text == NULL) {
			fprintf(stderr, "exosafe coldchain report: no readings to draw\n");
			goto out;
		}
		fputs(text, stdout);
		free(text);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "exosafe coldchain report: %s\n", s->errmsg);
out:
	coldchain_svg_free(svg);
	json_decref(stretches);
	store_close(s);
	return rc;
}

static const char check_usage[] =
	"usage: exosafe coldchain check --db PATH [--config FILE] [--data DIR]\n"
	"\n"
	"Checks every connected sensor (a logger with an ingest key and a logging interval) once:\n"
	"one that has sent nothing for three of its intervals is recorded as silent and its alarm\n"
	"is queued by e-mail to every pharmacist and administrator; a silent one sending again is\n"
	"recorded as recovered and that is queued too. Excursion alerts of the last day not yet\n"
	"mailed are queued as well. Safe to run any number of times (one silence, one alarm); the\n"
	"server runs the same check every minute. Prints what it found.\n"
	"  --config FILE  INI file (the clinic's name and [mail] public_url for the links)\n"
	"  --data DIR     the mail templates (default data)\n";

static int coldchain_check(int argc, char **argv)
{
	const char *db = NULL, *config_file = NULL, *data = NULL;
	const cli_option opts[] = {
		{"db", &db}, {"config", &config_file}, {"data", &data}, {NULL},
	};
	int status = cli_parse_options("coldchain check", check_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL)
		return cli_usage_error("coldchain check", "--db is required");
	server_config cfg;
	config_defaults(&cfg);
	char err[512];
	if (config_file != NULL && config_load_file(&cfg, config_file, err, sizeof err) != 0) {
		fprintf(stderr, "exosafe coldchain check: %s\n", err);
		return 2;
	}
	store *s = cli_open_store(db, 1);
	if (s == NULL)
		return 1;
	coldchain_alarm_settings settings = {data ? data : cfg.data_dir, cfg.mail.public_url};
	coldchain_alarm_counts counts = {0};
	store_rc rc = coldchain_check_silent(s, &settings, clock_now(), &counts);
	if (rc != STORE_OK)
		fprintf(stderr, "exosafe coldchain check: %s\n", s->errmsg);
	else
		printf("{\"silences_opened\": %d, \"silences_recovered\": %d}\n", counts.silences_opened,
		       counts.silences_recovered);
	store_close(s);
	return rc == STORE_OK ? 0 : 1;
}

int cli_coldchain(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return coldchain_report(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return coldchain_check(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(report_usage, stdout);
		fputs("\n", stdout);
		fputs(check_usage, stdout);
		return 0;
	}
	return cli_usage_error("coldchain", "expected the subcommand 'report' or 'check'");
}
