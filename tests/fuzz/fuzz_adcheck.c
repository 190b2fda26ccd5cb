/* The advertising checker (core/adcheck*.c) with the real rules of data/adrules on any page a
 * clinic might paste or upload: the first byte chooses plain text (even) or HTML (odd), the
 * rest is the page.
 *
 * Properties: a page is either refused with a status (never OK) or reported; every finding
 * lies inside the input (byte, code point and UTF-16 positions ordered and in range, the
 * quoted text equal to the input's bytes there), the counts add up, and the report turns
 * into the JSON the API sends with every finding in it (texts valid UTF-8, which jansson
 * requires). */
#include <string.h>

#include "core/adcheck.h"
#include "fuzz_common.h"
#include "service/adrules.h"

static adcheck_rules *rules;

static void load_rules(void)
{
	char err[512];
	rules = adrules_load_dir(FUZZ_DATA_DIR "/adrules", err, sizeof err);
	if (rules == NULL) {
		fprintf(stderr, "fuzz: cannot load %s/adrules: %s\n", FUZZ_DATA_DIR, err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (rules == NULL)
		load_rules();
	if (size < 1)
		return 0;
	adcheck_format fmt = (data[0] & 1) ? ADCHECK_HTML : ADCHECK_TEXT;
	size_t len = size - 1;
	/* The page exactly as given, not NUL-terminated. */
	char *page = malloc(len ? len : 1);
	if (page == NULL)
		return 0;
	memcpy(page, data + 1, len);

	adcheck_error err = {0};
	adcheck_report *rep = adcheck_check(rules, page, len, fmt, &err);
	if (rep == NULL) {
		FUZZ_CHECK(err.status != ADCHECK_OK);
		FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
		if (err.status == ADCHECK_BINARY || err.status == ADCHECK_BAD_UTF8)
			FUZZ_CHECK(err.byte_offset < len);
		free(page);
		return 0;
	}
	size_t errors = 0, warnings = 0;
	for (size_t i = 0; i < rep->count; i++) {
		const adcheck_finding *f = &rep->findings[i];
		FUZZ_CHECK(f->rule != NULL);
		if (f->rule->severity == ADCHECK_ERROR)
			errors++;
		else
			warnings++;
		if (f->missing) {
			FUZZ_CHECK(f->rule->kind == ADCHECK_REQUIRED);
			continue;
		}
		FUZZ_CHECK(f->byte_start <= f->byte_end && f->byte_end <= len);
		FUZZ_CHECK(f->char_start <= f->char_end && f->char_end <= rep->input_chars);
		FUZZ_CHECK(f->utf16_start <= f->utf16_end && f->utf16_end <= rep->input_utf16);
		FUZZ_CHECK(f->line >= 1 && f->column >= 1);
		FUZZ_CHECK(f->text != NULL && f->normalized != NULL);
		FUZZ_CHECK(strlen(f->text) == f->byte_end - f->byte_start);
		FUZZ_CHECK(memcmp(f->text, page + f->byte_start, f->byte_end - f->byte_start) == 0);
		json_t *text = json_string(f->text), *normalized = json_string(f->normalized);
		FUZZ_CHECK(text != NULL && normalized != NULL);
		json_decref(text);
		json_decref(normalized);
		if (i > 0 && !rep->findings[i - 1].missing)
			FUZZ_CHECK(rep->findings[i - 1].byte_start <= f->byte_start);
	}
	FUZZ_CHECK(errors == rep->errors && warnings == rep->warnings);
	json_t *j = adrules_report_json(rep);
	FUZZ_CHECK(j != NULL);
	FUZZ_CHECK(json_array_size(json_object_get(j, "findings")) == rep->count);
	char *text = json_dumps(j, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	free(text);
	json_decref(j);
	adcheck_report_free(rep);
	free(page);
	return 0;
}
