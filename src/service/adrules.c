/* Loading the advertising rules; see adrules.h. Files are read in name order so that rule
 * order, and so the order of findings at one position, is reproducible. */
#include "service/adrules.h"
#include "core/growth.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADRULES_MAX_FILE (4L * 1024 * 1024)

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file, NUL-terminated; NULL with err set. */
static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = NULL;
	long n = -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n <= ADRULES_MAX_FILE && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
	} else {
		snprintf(err, errlen, "%s: %s", path, n > ADRULES_MAX_FILE ? "larger than 4 MiB" : "cannot be read");
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

adcheck_rules *adrules_load_dir(const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || e->d_name[0] == '.' || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		char **grown = growth_reserve(names, &cap, n + 1, sizeof *names);
		if (grown == NULL) {
			ok = false;
			break;
		}
		names = grown;
		if ((names[n] = strdup(e->d_name)) == NULL)
			ok = false;
		else
			n++;
	}
	closedir(d);
	adcheck_rules *r = ok ? adcheck_rules_new() : NULL;
	if (r == NULL)
		snprintf(err, errlen, "%s: out of memory", dir);
	if (r != NULL && n == 0) {
		snprintf(err, errlen, "%s: no rule files (*.json)", dir);
		ok = false;
	}
	if (names != NULL)
		qsort(names, n, sizeof *names, compare_names);
	for (size_t i = 0; r != NULL && ok && i < n; i++) {
		char path[4096];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path) {
			snprintf(err, errlen, "%s: path too long", dir);
			ok = false;
			break;
		}
		char *text = read_file(path, err, errlen);
		ok = text != NULL && adcheck_rules_add_json(r, text, path, err, errlen) == 0;
		free(text);
	}
	if (r != NULL && ok && adcheck_rules_finish(r, err, errlen) != 0)
		ok = false;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!ok) {
		adcheck_rules_free(r);
		return NULL;
	}
	return r;
}

/* The process-wide rule set: written once under the lock, then only read. */
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static bool default_tried;
static adcheck_rules *default_rules;
static char default_error[512];

const adcheck_rules *adrules_default(const char *data_dir)
{
	pthread_mutex_lock(&default_lock);
	if (!default_tried) {
		char dir[4096];
		default_tried = true;
		if ((size_t)snprintf(dir, sizeof dir, "%s/adrules", data_dir) >= sizeof dir)
			snprintf(default_error, sizeof default_error, "%s: path too long", data_dir);
		else
			default_rules = adrules_load_dir(dir, default_error, sizeof default_error);
		if (default_rules == NULL)
			fprintf(stderr, "exosafe: advertising rules: %s\n", default_error);
	}
	const adcheck_rules *r = default_rules;
	pthread_mutex_unlock(&default_lock);
	return r;
}

const char *adrules_default_error(void)
{
	pthread_mutex_lock(&default_lock);
	const char *e = default_rules == NULL && default_tried ? default_error : "";
	pthread_mutex_unlock(&default_lock);
	return e;
}

static json_t *json_size_or_null(bool missing, size_t v)
{
	return missing ? json_null() : json_integer((json_int_t)v);
}

json_t *adrules_finding_json(const adcheck_finding *f)
{
	const adcheck_rule *r = f->rule;
	bool m = f->missing;
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:s, s:s}, "
	                 "s:{s:s, s:s}, s:o}",
	                 "rule", r->id, "category", r->category, "kind", adcheck_kind_name(r->kind), "severity",
	                 adcheck_severity_name(r->severity), "missing", m, "line", json_size_or_null(m, (size_t)f->line),
	                 "column", json_size_or_null(m, (size_t)f->column), "start", json_size_or_null(m, f->char_start), "end",
	                 json_size_or_null(m, f->char_end), "start_utf16", json_size_or_null(m, f->utf16_start), "end_utf16",
	                 json_size_or_null(m, f->utf16_end), "byte_start", json_size_or_null(m, f->byte_start), "byte_end",
	                 json_size_or_null(m, f->byte_end), "text", m ? json_null() : json_string(f->text), "normalized",
	                 m ? json_null() : json_string(f->normalized), "explanation", "ja", r->explanation_ja, "en",
	                 r->explanation_en, "suggestion", "ja", r->suggestion_ja, "en", r->suggestion_en, "reference",
	                 r->reference ? json_string(r->reference) : json_null());
}

json_t *adrules_report_json(const adcheck_report *rep)
{
	json_t *scopes = json_array(), *findings = json_array();
	for (size_t i = 0; i < rep->scope_count; i++)
		json_array_append_new(scopes, json_string(rep->scopes[i]));
	for (size_t i = 0; i < rep->count; i++)
		json_array_append_new(findings, adrules_finding_json(&rep->findings[i]));
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:o}", "scopes", scopes, "errors", (json_int_t)rep->errors, "warnings",
	                 (json_int_t)rep->warnings, "chars", (json_int_t)rep->input_chars, "utf16_length",
	                 (json_int_t)rep->input_utf16, "findings", findings);
}
