/* Questionnaires (問診) as data, in the spirit of FHIR Questionnaire, and the validation of a
 * patient's answers against one. Pure: parses from JSON text, no I/O.
 *
 * A definition (data/questionnaires/NAME-vN.json):
 *   {"resourceType": "Questionnaire", "id": "exosome-cream", "version": 1, "status": "active",
 *    "title": {"ja": "…", "en": "…"},
 *    "item": [ {"linkId": "age", "type": "integer", "required": true, "text": {"ja","en"},
 *               "minValue": 0, "maxValue": 130},
 *              {"linkId": "allergy", "type": "boolean", "required": true, "text": {…}},
 *              {"linkId": "allergy_to", "type": "string", "required": true, "maxLength": 200,
 *               "enableWhen": [{"question": "allergy", "operator": "=", "answer": true}],
 *               "text": {…}},
 *              {"linkId": "skin", "type": "choice", "repeats": true, "required": true,
 *               "answerOption": [{"code": "none", "display": {"ja","en"}}, …], "text": {…}} ] }
 * Item types: boolean, integer, string (one line), text (multi-line), date (YYYY-MM-DD),
 * choice (one code; with "repeats": true an array of distinct codes). enableWhen operators:
 * "=", "!=", "exists", "<", ">", "<=", ">=", "includes" (for repeating choices); several
 * conditions combine with "enableBehavior": "all" (default) or "any".
 *
 * Answers are a JSON object linkId → value (boolean, integer, string, or array of codes). A
 * JSON null, an empty (after trimming) string and an empty array all count as "no answer".
 * enableWhen on an unanswered (or disabled) question is false, except "exists" with answer
 * false, which is true. On a repeating choice "=" and "includes" hold when any selected
 * code equals the answer, "!=" when any selected code differs from it. An answerOption may
 * carry "exclusive": true (e.g. "none"): it cannot be selected together with other codes.
 * An item may carry "label": {"ja", "en"}, a short name the doctor's file uses when it says
 * which answer changed (see answer_history.h); validation ignores it. */
#ifndef EXOSAFE_QUESTIONNAIRE_H
#define EXOSAFE_QUESTIONNAIRE_H

#include <jansson.h>
#include <stddef.h>

typedef struct questionnaire questionnaire;

/* Parses and checks a definition (unique linkIds, known types, enableWhen naming earlier
 * items, options for choices, bilingual texts). Returns NULL and a reason naming the item
 * in err when the definition is invalid. The caller frees with questionnaire_free. */
questionnaire *questionnaire_parse(const char *json_text, char *err, size_t errlen);
void questionnaire_free(questionnaire *q);

const char *questionnaire_id(const questionnaire *q);
int questionnaire_version(const questionnaire *q);
/* The definition as parsed, for the API to send to the UI (borrowed; do not free). */
const json_t *questionnaire_definition(const questionnaire *q);

typedef struct answer_error {
	char link_id[64];   /* the item at fault, or "" for the answers object itself */
	char reason[32];    /* required | type | option | range | length | not_enabled | unknown_item | date | duplicate
	                       | characters (control characters, invalid UTF-8, a line break in a one-line string)
	                       | exclusive (an "exclusive" option chosen together with others) */
} answer_error;

/* Validates answers against q. Returns the number of errors (0 when valid), writing up to
 * max_errors of them. On success *normalized_out (when not NULL) receives a new object
 * holding only the answers of enabled items, strings NFKC-normalised and trimmed; the caller
 * frees it with json_decref. Answers to items that are not enabled are errors
 * ("not_enabled"), as are linkIds the definition does not have ("unknown_item"). */
int questionnaire_validate(const questionnaire *q, const json_t *answers, answer_error *errors, int max_errors,
                           json_t **normalized_out);

/* Item types, for the screening rules that check their conditions against a definition. */
typedef enum questionnaire_item_type {
	QITEM_BOOLEAN,
	QITEM_INTEGER,
	QITEM_STRING,
	QITEM_TEXT,
	QITEM_DATE,
	QITEM_CHOICE,
} questionnaire_item_type;

/* Returns the type of the item link_id (a questionnaire_item_type) and sets *repeats when
 * repeats is not NULL; returns -1 when q has no such item. */
int questionnaire_item_type_of(const questionnaire *q, const char *link_id, int *repeats);
/* Returns 1 when code is one of the answerOption codes of the choice item link_id, else 0. */
int questionnaire_item_has_option(const questionnaire *q, const char *link_id, const char *code);
int questionnaire_item_count(const questionnaire *q);
/* The linkId of the item at index (0 ≤ index < count), borrowed; NULL when out of range. */
const char *questionnaire_item_link_id(const questionnaire *q, int index);
/* Returns 1 when s is a real calendar date written YYYY-MM-DD, else 0. */
int questionnaire_is_date(const char *s);

#endif
