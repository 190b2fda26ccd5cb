/* POST /api/v1/adcheck: checks advertising text against the medical advertising rules
 * (data/adrules/, loaded once, on the first request, by adrules_default).
 *
 * Request body (validated by the route's field table first):
 *   {"text": "…", "format": "text" | "html"}      format is optional, default "text"
 * text must reach the handler as the user typed it (FIELD_RAW | FIELD_MULTILINE): the
 * offsets below index that exact string.
 *
 * 200 reply:
 *   {"format": "text"|"html",
 *    "chars": code points in text, "utf16_length": text.length in JavaScript,
 *    "scopes": ["unapproved-free-practice", …],      scopes that held (why disclosures apply)
 *    "errors": n, "warnings": n,
 *    "findings": [
 *      {"rule": "guarantee.effect", "category": "guarantee", "kind": "forbidden"|"required",
 *       "severity": "error"|"warning", "missing": false,
 *       "line": 3, "column": 5,                       1-based, column in code points
 *       "start": 40, "end": 44,                       code points, end exclusive
 *       "start_utf16": 40, "end_utf16": 44,           JavaScript indexes: text.slice(s, e)
 *       "byte_start": 118, "byte_end": 130,           UTF-8 bytes
 *       "text": "必ず治る",                            the text as given at that span
 *       "normalized": "必ず治る",                      what the rule matched after NFKC
 *       "explanation": {"ja", "en"}, "suggestion": {"ja", "en"}, "reference": "…"|null},
 *      {"rule": "disclosure.source", …, "missing": true, and every position and text null}
 *    ]}
 * Findings come missing-disclosures first, then by position; spans may nest or overlap when
 * two rules match the same words. For "html", positions index the HTML source as sent.
 *
 * Errors: 400 invalid_field on "format" (not text/html) or on "text" (no visible text, or
 * only white space); 500 internal when the rule files cannot be loaded (logged once). */
#include <stdio.h>
#include <string.h>

#include "core/adcheck.h"
#include "http/handlers.h"
#include "service/adrules.h"

void handle_adcheck(request *req)
{
	const char *text = input_string(req, "text"), *format = input_string(req, "format");
	adcheck_format fmt = ADCHECK_TEXT;
	if (format != NULL && strcmp(format, "html") == 0)
		fmt = ADCHECK_HTML;
	else if (format != NULL && strcmp(format, "text") != 0) {
		reply_error(req, 400, "invalid_field", "format", NULL);
		return;
	}
	if (text == NULL) {
		reply_error(req, 400, "missing_field", "text", NULL);
		return;
	}
	const adcheck_rules *rules = adrules_default(req->cfg->data_dir);
	if (rules == NULL) {
		fprintf(stderr, "exosafe: %s %s: advertising rules: %s\n", req->method, req->path, adrules_default_error());
		reply_error(req, 500, "internal", NULL, NULL);
		return;
	}
	adcheck_error err;
	adcheck_report *rep = adcheck_check(rules, text, strlen(text), fmt, &err);
	if (rep == NULL) {
		switch (err.status) {
		case ADCHECK_EMPTY:
			reply_error(req, 400, "invalid_field", "text", "empty");
			break;
		case ADCHECK_BINARY:
			reply_error(req, 400, "invalid_field", "text", "control_chars");
			break;
		case ADCHECK_BAD_UTF8:
			reply_error(req, 400, "invalid_field", "text", "text_encoding");
			break;
		default:
			fprintf(stderr, "exosafe: %s %s: adcheck: %s\n", req->method, req->path, err.message);
			reply_error(req, 500, "internal", NULL, NULL);
			break;
		}
		return;
	}
	json_t *body = adrules_report_json(rep);
	json_object_set_new(body, "format", json_string(fmt == ADCHECK_HTML ? "html" : "text"));
	adcheck_report_free(rep);
	reply_json(req, 200, body);
}
