/* exosafe adcheck: check advertising text (HTML or plain) against the medical advertising
 * rules of data/adrules/. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/adcheck.h"
#include "core/growth.h"
#include "service/adrules.h"

static const char adcheck_usage[] =
	"usage: exosafe adcheck [--format text|json] [--rules DIR] [--input auto|text|html] [--lang ja|en] FILE...\n"
	"       exosafe adcheck [OPTIONS] -            (reads standard input)\n"
	"\n"
	"Checks web pages and texts against the Japanese medical advertising guideline\n"
	"(医療広告ガイドライン): guaranteed effects, superlatives and comparisons, safety-only claims,\n"
	"testimonials and before/after claims, and, on a page about an unapproved product in free\n"
	"practice, the disclosures that must be there. Text is NFKC-normalised before matching.\n"
	"HTML is checked on its visible text; positions still point into the HTML.\n"
	"  --format FMT    text (default): one line per finding, FILE:LINE:COLUMN as compilers print;\n"
	"                  json: {\"files\": [{\"file\", \"format\", \"status\", \"findings\": [...]}]}\n"
	"  --rules DIR     the rule files (default: data/adrules)\n"
	"  --input KIND    auto (default: .html/.htm or a page that starts like HTML), text or html\n"
	"  --lang LANG     language of explanations in text output: ja (default) or en\n"
	"Exit status: 0 when every file is clean, 1 when there are findings, 2 on an error (a file\n"
	"that cannot be read, is empty, binary or not UTF-8, or bad rules).\n";

#define ADCHECK_MAX_INPUT (1024L * 1024 * 1024)

/* Reads a whole stream; NULL with a reason. */
static char *read_stream(FILE *f, size_t *len, const char **why)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		*why = "out of memory";
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= (size_t)ADCHECK_MAX_INPUT) {
				free(buf);
				*why = "larger than 1 GiB";
				return NULL;
			}
			char *grown = growth_reserve(buf, &cap, cap + 1, 1);
			if (grown == NULL) {
				free(buf);
				*why = "out of memory";
				return NULL;
			}
			buf = grown;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				free(buf);
				*why = "read error";
				return NULL;
			}
			break;
		}
	}
	*len = n;
	return buf;
}

static void print_text_report(const char *name, const adcheck_report *rep, int lang_en)
{
	for (size_t i = 0; i < rep->count; i++) {
		const adcheck_finding *f = &rep->findings[i];
		const adcheck_rule *r = f->rule;
		if (f->missing)
			printf("%s: %s: %s [%s]: %s\n", name, adcheck_severity_name(r->severity), r->id, r->category,
			       lang_en ? "required disclosure is missing" : "必要な記載がありません");
		else
			printf("%s:%ld:%ld: %s: %s [%s]: \"%s\"\n", name, f->line, f->column, adcheck_severity_name(r->severity),
			       r->id, r->category, f->text);
		printf("    %s\n    %s %s\n", lang_en ? r->explanation_en : r->explanation_ja, lang_en ? "Suggestion:" : "言い換え:",
		       lang_en ? r->suggestion_en : r->suggestion_ja);
	}
	if (rep->count == 0)
		printf("%s: clean\n", name);
	else
		printf("%s: %zu finding%s (%zu error%s, %zu warning%s)\n", name, rep->count, rep->count == 1 ? "" : "s",
		       rep->errors, rep->errors == 1 ? "" : "s", rep->warnings, rep->warnings == 1 ? "" : "s");
}

/* Checks one file (arg; "-" is standard input) and adds its result to files (json) or prints it;
 * sets *any_error when it cannot be read or checked, *any_finding when it has findings. */
static void check_file(const adcheck_rules *rules, const char *arg, const char *input_kind, bool json, bool en,
                       json_t *files, bool *any_error, bool *any_finding)
{
	bool from_stdin = strcmp(arg, "-") == 0;
	const char *name = from_stdin ? "<stdin>" : arg, *why = NULL;
	size_t len = 0;
	char *data = NULL;
	FILE *f = from_stdin ? stdin : fopen(arg, "rb");
	if (f == NULL)
		why = strerror(errno);
	else {
		data = read_stream(f, &len, &why);
		if (!from_stdin)
			fclose(f);
	}
	adcheck_format fmt = ADCHECK_TEXT;
	if (strcmp(input_kind, "html") == 0 || (strcmp(input_kind, "auto") == 0 && data != NULL &&
	                                         adcheck_guess_format(from_stdin ? NULL : name, data, len) == ADCHECK_HTML))
		fmt = ADCHECK_HTML;
	adcheck_error aerr = {0};
	adcheck_report *rep = data ? adcheck_check(rules, data, len, fmt, &aerr) : NULL;
	free(data);
	if (rep == NULL) {
		*any_error = true;
		const char *message = why ? why : aerr.message;
		if (json) {
			json_t *entry = json_pack("{s:s, s:s, s:s}", "file", name, "status",
			                          why ? "unreadable" : adcheck_status_name(aerr.status), "error", message);
			if (!why && (aerr.status == ADCHECK_BINARY || aerr.status == ADCHECK_BAD_UTF8))
				json_object_set_new(entry, "byte_offset", json_integer((json_int_t)aerr.byte_offset));
			json_array_append_new(files, entry);
		} else {
			fprintf(stderr, "exosafe adcheck: %s: %s\n", name, message);
		}
		return;
	}
	*any_finding |= rep->count > 0;
	if (json) {
		json_t *entry = json_pack("{s:s, s:s, s:s}", "file", name, "format", fmt == ADCHECK_HTML ? "html" : "text",
		                          "status", "ok");
		json_t *report = adrules_report_json(rep);
		json_object_update(entry, report);
		json_decref(report);
		json_array_append_new(files, entry);
	} else {
		print_text_report(name, rep, en);
	}
	adcheck_report_free(rep);
}

int cli_adcheck(int argc, char **argv)
{
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'}, {"rules", required_argument, NULL, 'r'},
		{"input", required_argument, NULL, 'i'},  {"lang", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *format = "text", *rules_dir = "data/adrules", *input_kind = "auto", *lang = "ja";
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:r:i:l:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			format = optarg;
			break;
		case 'r':
			rules_dir = optarg;
			break;
		case 'i':
			input_kind = optarg;
			break;
		case 'l':
			lang = optarg;
			break;
		case 'h':
			fputs(adcheck_usage, stdout);
			return 0;
		default:
			return cli_usage_error("adcheck", "unknown option");
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("adcheck", "--format must be text or json");
	if (strcmp(input_kind, "auto") != 0 && strcmp(input_kind, "text") != 0 && strcmp(input_kind, "html") != 0)
		return cli_usage_error("adcheck", "--input must be auto, text or html");
	if (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0)
		return cli_usage_error("adcheck", "--lang must be ja or en");
	if (optind >= argc)
		return cli_usage_error("adcheck", "name at least one FILE, or - for standard input");
	int stdin_count = 0;
	for (int i = optind; i < argc; i++)
		stdin_count += strcmp(argv[i], "-") == 0;
	if (stdin_count > 1)
		return cli_usage_error("adcheck", "standard input (-) can be named only once");

	char err[512];
	adcheck_rules *rules = adrules_load_dir(rules_dir, err, sizeof err);
	if (rules == NULL) {
		fprintf(stderr, "exosafe adcheck: rules: %s\n", err);
		return 2;
	}
	bool json = strcmp(format, "json") == 0, any_error = false, any_finding = false;
	json_t *files = json_array();
	for (int i = optind; i < argc; i++)
		check_file(rules, argv[i], input_kind, json, strcmp(lang, "en") == 0, files, &any_error, &any_finding);
	if (json) {
		json_t *out = json_pack("{s:o}", "files", files);
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(out);
	} else {
		json_decref(files);
	}
	fflush(stdout);
	adcheck_rules_free(rules);
	return any_error ? 2 : any_finding ? 1 : 0;
}
