/* exosafe import-temps, exosafe coldchain report and exosafe coldchain check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>

#include "cli/cli.h"
#include "core/coldchain_svg.h"
#include "core/timefmt.h"
#include "config.h"
#include "service/coldchain_alarm.h"
#include "service/coldchain.h"
#include "service/coldchain_report.h"
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

static int report_command(int argc, char **argv)
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
	json_t *stretches = NULL;
	coldchain_svg *svg = NULL;
	coldchain_report_query q = {code, lot_number, from, to, strcmp(format, "svg") == 0};
	int lots = 0;
	coldchain_rc crc = coldchain_report(s, &q, clock_now(), &stretches, &svg, &lots);
	if (crc == COLDCHAIN_NOT_FOUND && code != NULL) {
		fprintf(stderr, "exosafe coldchain report: no logger %s\n", code);
		goto out;
	}
	if (crc == COLDCHAIN_NOT_FOUND) {
		fprintf(stderr, "exosafe coldchain report: %s lot %s\n", lots ? "more than one" : "no", lot_number);
		goto out;
	}
	if (crc != COLDCHAIN_OK)
		goto fail;
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

static int check_command(int argc, char **argv)
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
		return report_command(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check_command(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(report_usage, stdout);
		fputs("\n", stdout);
		fputs(check_usage, stdout);
		return 0;
	}
	return cli_usage_error("coldchain", "expected the subcommand 'report' or 'check'");
}
