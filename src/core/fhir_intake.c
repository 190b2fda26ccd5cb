/* The intake as FHIR R4 (http://hl7.org/fhir/R4/).
 *
 * Questionnaire (R4 §Questionnaire), from a definition in data/questionnaires/:
 *   id "<id>-v<version>", url FHIR_BASE/Questionnaire/<id>, version "<n>", status, subjectType
 *   Patient, language ja, title and description in Japanese with the English text as a
 *   "translation" extension on _title / _description (core extension
 *   http://hl7.org/fhir/StructureDefinition/translation: lang + content).
 *   item: linkId, text (ja, + translation), type (boolean, integer, string, text, date and
 *   choice map to the R4 item types of the same name), required, repeats, maxLength,
 *   minValue/maxValue (core extensions of those names, valueInteger), answerOption
 *   valueCoding {code, display ja} (the options have no code system: codes are local to the
 *   item) with questionnaire-optionExclusive for an "exclusive" option, enableWhen
 *   {question, operator, answer[x] typed by the question's item type} and enableBehavior.
 *   exosafe's "includes" on a repeating choice is R4's "=", which on a repeating answer holds
 *   when any answer matches.
 *
 * QuestionnaireResponse: questionnaire "url|version", status completed, subject, authored,
 *   one item per answered linkId (answers typed as fhir_questionnaire_response_object says).
 *
 * Consent (R4 §Consent): status active | inactive (withdrawn), scope consentscope#treatment,
 *   category LOINC 59284-0 "Patient Consent" (ValueSet consent-category), patient and
 *   performer the patient, dateTime the acceptance, organization the clinic (display), policy
 *   uri naming the consent text and version (ppc-1: a policy or a policyRule), sourceAttachment
 *   {contentType text/plain; charset=utf-8, language, title, data = base64 of the exact text},
 *   provision {type permit, period start = accepted, end = withdrawn}. */
#include "core/fhir_intake.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/field_check.h"
#include "core/text.h"
#include "core/timefmt.h"

#define TRANSLATION_EXTENSION "http://hl7.org/fhir/StructureDefinition/translation"

static char *dump(json_t *resource, char *err, size_t errlen)
{
	char *out = resource ? json_dumps(resource, JSON_INDENT(2)) : NULL;
	json_decref(resource);
	if (out == NULL)
		field_err(err, errlen, "out of memory");
	return out;
}

/* ---- Questionnaire ---- */

static const char *lang_text(const json_t *bilingual, const char *lang)
{
	return json_string_value(json_object_get(bilingual, lang));
}

/* Sets obj[key] to the Japanese text of bilingual and obj["_" key] to its English translation. */
static void set_bilingual(json_t *obj, const char *key, const json_t *bilingual)
{
	const char *ja = lang_text(bilingual, "ja"), *en = lang_text(bilingual, "en");
	if (ja == NULL || *ja == '\0')
		return;
	json_object_set_new(obj, key, json_string(ja));
	if (en != NULL && *en != '\0') {
		char shadow[64];
		snprintf(shadow, sizeof shadow, "_%s", key);
		json_object_set_new(obj, shadow,
		                    json_pack("{s:[{s:s, s:[{s:s, s:s}, {s:s, s:s}]}]}", "extension", "url",
		                              TRANSLATION_EXTENSION, "extension", "url", "lang", "valueCode", "en", "url",
		                              "content", "valueString", en));
	}
}

/* The answer[x] of an enableWhen, typed by the item it asks about. */
static int set_enable_answer(json_t *condition, const questionnaire *q, const char *question, const char *op,
                             const json_t *answer)
{
	if (strcmp(op, "exists") == 0)
		return json_object_set_new(condition, "answerBoolean", json_boolean(json_is_true(answer)));
	switch (questionnaire_item_type_of(q, question, NULL)) {
	case QITEM_BOOLEAN: return json_object_set_new(condition, "answerBoolean", json_boolean(json_is_true(answer)));
	case QITEM_INTEGER: return json_object_set_new(condition, "answerInteger", json_integer(json_integer_value(answer)));
	case QITEM_DATE: return json_object_set_new(condition, "answerDate", json_string(json_string_value(answer)));
	case QITEM_CHOICE:
		return json_object_set_new(condition, "answerCoding", json_pack("{s:s}", "code", json_string_value(answer)));
	case QITEM_STRING:
	case QITEM_TEXT: return json_object_set_new(condition, "answerString", json_string(json_string_value(answer)));
	}
	return -1;
}

static json_t *fhir_item(const questionnaire *q, const json_t *def)
{
	const char *type = json_string_value(json_object_get(def, "type"));
	json_t *item = json_pack("{s:s}", "linkId", json_string_value(json_object_get(def, "linkId")));
	if (item == NULL)
		return NULL;
	set_bilingual(item, "text", json_object_get(def, "text"));
	json_object_set_new(item, "type", json_string(type)); /* exosafe's item types are R4's names */
	json_t *extensions = json_array();
	static const char *const bounds[] = {"minValue", "maxValue"};
	for (size_t i = 0; i < 2; i++) {
		const json_t *bound = json_object_get(def, bounds[i]);
		if (json_is_integer(bound)) {
			char url[96];
			snprintf(url, sizeof url, "http://hl7.org/fhir/StructureDefinition/%s", bounds[i]);
			json_array_append_new(extensions, json_pack("{s:s, s:I}", "url", url, "valueInteger",
			                                            (json_int_t)json_integer_value(bound)));
		}
	}
	if (json_array_size(extensions) > 0)
		json_object_set(item, "extension", extensions);
	json_decref(extensions);

	const json_t *conditions = json_object_get(def, "enableWhen");
	if (json_array_size(conditions) > 0) {
		json_t *list = json_array();
		size_t i;
		const json_t *cond;
		json_array_foreach(conditions, i, cond) {
			const char *question = json_string_value(json_object_get(cond, "question"));
			const char *op = json_string_value(json_object_get(cond, "operator"));
			json_t *c = json_pack("{s:s, s:s}", "question", question, "operator",
			                      strcmp(op, "includes") == 0 ? "=" : op);
			set_enable_answer(c, q, question, op, json_object_get(cond, "answer"));
			json_array_append_new(list, c);
		}
		json_object_set_new(item, "enableWhen", list);
		if (json_array_size(conditions) > 1) {
			const char *behavior = json_string_value(json_object_get(def, "enableBehavior"));
			json_object_set_new(item, "enableBehavior", json_string(behavior ? behavior : "all"));
		}
	}
	json_object_set_new(item, "required", json_boolean(json_is_true(json_object_get(def, "required"))));
	if (json_is_true(json_object_get(def, "repeats")))
		json_object_set_new(item, "repeats", json_true());
	const json_t *max_length = json_object_get(def, "maxLength");
	if (json_is_integer(max_length))
		json_object_set_new(item, "maxLength", json_integer(json_integer_value(max_length)));

	const json_t *options = json_object_get(def, "answerOption");
	if (json_array_size(options) > 0) {
		json_t *list = json_array();
		size_t i;
		const json_t *opt;
		json_array_foreach(options, i, opt) {
			json_t *coding = json_pack("{s:s}", "code", json_string_value(json_object_get(opt, "code")));
			set_bilingual(coding, "display", json_object_get(opt, "display"));
			json_t *option = json_pack("{s:o}", "valueCoding", coding);
			if (json_is_true(json_object_get(opt, "exclusive")))
				json_object_set_new(option, "extension",
				                    json_pack("[{s:s, s:b}]", "url",
				                              "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive",
				                              "valueBoolean", 1));
			json_array_append_new(list, option);
		}
		json_object_set_new(item, "answerOption", list);
	}
	return item;
}

char *fhir_questionnaire(const questionnaire *q, char *err, size_t errlen)
{
	const json_t *def = questionnaire_definition(q);
	char id[96], url[160], version[16];
	snprintf(id, sizeof id, "%s-v%d", questionnaire_id(q), questionnaire_version(q));
	snprintf(url, sizeof url, FHIR_BASE "/Questionnaire/%s", questionnaire_id(q));
	snprintf(version, sizeof version, "%d", questionnaire_version(q));
	const char *status = json_string_value(json_object_get(def, "status"));
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s}", "resourceType", "Questionnaire", "id", id, "language", "ja",
	                      "url", url, "version", version);
	if (r == NULL)
		return dump(NULL, err, errlen);
	set_bilingual(r, "title", json_object_get(def, "title"));
	json_object_set_new(r, "status", json_string(status ? status : "active"));
	json_object_set_new(r, "subjectType", json_pack("[s]", "Patient"));
	set_bilingual(r, "description", json_object_get(def, "description"));
	json_t *items = json_array();
	size_t i;
	const json_t *item_def;
	json_array_foreach(json_object_get(def, "item"), i, item_def)
		json_array_append_new(items, fhir_item(q, item_def));
	json_object_set_new(r, "item", items);
	return dump(r, err, errlen);
}

/* ---- QuestionnaireResponse ---- */

/* The Japanese display of option code of the choice item link_id, or NULL. */
static const char *option_display(const questionnaire *q, const char *link_id, const char *code)
{
	size_t i, k;
	const json_t *item, *opt;
	json_array_foreach(json_object_get(questionnaire_definition(q), "item"), i, item) {
		if (strcmp(json_string_value(json_object_get(item, "linkId")), link_id) != 0)
			continue;
		json_array_foreach(json_object_get(item, "answerOption"), k, opt)
			if (strcmp(json_string_value(json_object_get(opt, "code")), code) == 0)
				return lang_text(json_object_get(opt, "display"), "ja");
	}
	return NULL;
}

static json_t *coding_answer(const questionnaire *q, const char *link_id, const char *code)
{
	json_t *coding = json_pack("{s:s}", "code", code);
	const char *display = q ? option_display(q, link_id, code) : NULL;
	if (display != NULL)
		json_object_set_new(coding, "display", json_string(display));
	return json_pack("{s:o}", "valueCoding", coding);
}

/* One item's answer list for value, or NULL with *unanswered set when it holds no answer, or
 * with *bad set when the value is not an answer. */
static json_t *answers_of(const questionnaire *q, const char *link_id, const json_t *value, bool *unanswered,
                          bool *bad)
{
	*unanswered = false;
	*bad = false;
	int type = q ? questionnaire_item_type_of(q, link_id, NULL) : -1;
	if (json_is_null(value) || (json_is_string(value) && *json_string_value(value) == '\0') ||
	    (json_is_array(value) && json_array_size(value) == 0)) {
		*unanswered = true;
		return NULL;
	}
	if (json_is_boolean(value))
		return json_pack("[{s:b}]", "valueBoolean", json_is_true(value));
	if (json_is_integer(value)) {
		json_int_t v = json_integer_value(value);
		if (v >= INT32_MIN && v <= INT32_MAX)
			return json_pack("[{s:I}]", "valueInteger", v);
		return json_pack("[{s:f}]", "valueDecimal", (double)v);
	}
	if (json_is_real(value))
		return json_pack("[{s:f}]", "valueDecimal", json_real_value(value));
	if (json_is_string(value)) {
		const char *s = json_string_value(value);
		if (type == QITEM_CHOICE)
			return json_pack("[o]", coding_answer(q, link_id, s));
		bool date = type >= 0 ? type == QITEM_DATE : questionnaire_is_date(s);
		return json_pack("[{s:s}]", date ? "valueDate" : "valueString", s);
	}
	if (json_is_array(value)) {
		json_t *list = json_array();
		size_t i;
		const json_t *code;
		json_array_foreach(value, i, code) {
			if (!json_is_string(code) || *json_string_value(code) == '\0') {
				json_decref(list);
				*bad = true;
				return NULL;
			}
			json_array_append_new(list, coding_answer(q, link_id, json_string_value(code)));
		}
		return list;
	}
	*bad = true;
	return NULL;
}

json_t *fhir_questionnaire_response_object(const questionnaire *q, const fhir_response_input *in, json_t *subject,
                                           char *err, size_t errlen)
{
	if (in->questionnaire_version < 1) {
		field_err(err, errlen, "questionnaire_version: must be 1 or more");
		json_decref(subject);
		return NULL;
	}
	if (in->questionnaire_id == NULL || *in->questionnaire_id == '\0' || !text_is_clean(in->questionnaire_id, 0) ||
	    strpbrk(in->questionnaire_id, "|/ ") != NULL) {
		field_err(err, errlen, "questionnaire_id: not a questionnaire id");
		json_decref(subject);
		return NULL;
	}
	json_error_t jerr;
	json_t *answers = json_loads(in->answers_json ? in->answers_json : "", JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(answers)) {
		field_err(err, errlen, "answers_json: not a JSON object of linkId → value");
		json_decref(answers);
		json_decref(subject);
		return NULL;
	}
	char canonical[1024], authored[ISO8601_LEN];
	if ((size_t)snprintf(canonical, sizeof canonical, FHIR_BASE "/Questionnaire/%s|%d", in->questionnaire_id,
	                     in->questionnaire_version) >= sizeof canonical) {
		field_err(err, errlen, "questionnaire_id: too long");
		json_decref(answers);
		json_decref(subject);
		return NULL;
	}
	time_iso8601(in->submitted_at, authored);
	json_t *items = json_array();
	const char *link_id;
	json_t *value;
	json_object_foreach(answers, link_id, value) {
		bool unanswered, bad;
		json_t *list = answers_of(q, link_id, value, &unanswered, &bad);
		if (bad || *link_id == '\0') {
			field_err(err, errlen, "answers_json: \"%.40s\": not a boolean, number, string or array of codes", link_id);
			json_decref(items);
			json_decref(answers);
			json_decref(subject);
			return NULL;
		}
		if (unanswered)
			continue;
		json_array_append_new(items, json_pack("{s:s, s:o}", "linkId", link_id, "answer", list));
	}
	json_decref(answers);
	json_t *qr = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "resourceType", "QuestionnaireResponse", "id", in->id,
	                       "questionnaire", canonical, "status", "completed", "subject", subject, "authored",
	                       authored);
	if (qr != NULL && json_array_size(items) > 0) /* FHIR has no empty arrays */
		json_object_set(qr, "item", items);
	json_decref(items);
	if (qr == NULL)
		field_err(err, errlen, "out of memory");
	return qr;
}

/* A reference to exosafe's patient patient_id, by logical id and by identifier, so a system
 * that does not hold the Patient resource can still match the patient. */
static json_t *patient_reference(int64_t patient_id)
{
	char ref[48], value[24];
	snprintf(ref, sizeof ref, "Patient/patient-%" PRId64, patient_id);
	snprintf(value, sizeof value, "%" PRId64, patient_id);
	return json_pack("{s:s, s:{s:s, s:s}}", "reference", ref, "identifier", "system", FHIR_PATIENT_SYSTEM, "value",
	                 value);
}

char *fhir_questionnaire_response(const questionnaire *q, const fhir_response_input *in, int64_t patient_id,
                                  char *err, size_t errlen)
{
	json_t *qr = fhir_questionnaire_response_object(q, in, patient_reference(patient_id), err, errlen);
	if (qr == NULL)
		return NULL;
	return dump(qr, err, errlen);
}

/* ---- Consent ---- */

char *fhir_consent(const fhir_consent_input *in, char *err, size_t errlen)
{
	if (in->record_id <= 0 || in->patient_id <= 0) {
		field_err(err, errlen, in->record_id <= 0 ? "record_id: must be positive" : "patient_id: must be positive");
		return NULL;
	}
	if (in->consent_id == NULL || *in->consent_id == '\0' || strpbrk(in->consent_id, "/ ") != NULL ||
	    !text_is_clean(in->consent_id, 0)) {
		field_err(err, errlen, "consent_id: not a consent id");
		return NULL;
	}
	if (in->consent_version < 1) {
		field_err(err, errlen, "consent_version: must be 1 or more");
		return NULL;
	}
	if (in->lang == NULL || (strcmp(in->lang, "ja") != 0 && strcmp(in->lang, "en") != 0)) {
		field_err(err, errlen, "lang: must be ja or en");
		return NULL;
	}
	if (in->text == NULL || *in->text == '\0' || in->title == NULL || *in->title == '\0') {
		field_err(err, errlen, in->text == NULL || *in->text == '\0' ? "text: required" : "title: required");
		return NULL;
	}
	if (in->organization == NULL || *in->organization == '\0') {
		field_err(err, errlen, "organization: required");
		return NULL;
	}
	if (in->withdrawn_at != 0 && in->withdrawn_at < in->accepted_at) {
		field_err(err, errlen, "withdrawn_at: before accepted_at");
		return NULL;
	}
	size_t text_len = strlen(in->text);
	size_t b64_len = sodium_base64_encoded_len(text_len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64_len);
	if (b64 == NULL) {
		field_err(err, errlen, "out of memory");
		return NULL;
	}
	sodium_bin2base64(b64, b64_len, (const unsigned char *)in->text, text_len, sodium_base64_VARIANT_ORIGINAL);

	char id[48], accepted[ISO8601_LEN], withdrawn[ISO8601_LEN], policy[256];
	snprintf(id, sizeof id, "consent-%" PRId64, in->record_id);
	time_iso8601(in->accepted_at, accepted);
	snprintf(policy, sizeof policy, FHIR_BASE "/consent/%s/%d", in->consent_id, in->consent_version);
	json_t *period = json_pack("{s:s}", "start", accepted);
	if (in->withdrawn_at != 0) {
		time_iso8601(in->withdrawn_at, withdrawn);
		json_object_set_new(period, "end", json_string(withdrawn));
	}
	json_t *r = json_pack(
	    "{s:s, s:s, s:s, s:{s:[{s:s, s:s, s:s}]}, s:[{s:[{s:s, s:s, s:s}]}], s:o, s:s, s:[o], s:[{s:s}],"
	    " s:{s:s, s:s, s:s, s:s}, s:[{s:s}], s:{s:s, s:o}}",
	    "resourceType", "Consent", "id", id, "status", in->withdrawn_at != 0 ? "inactive" : "active", "scope",
	    "coding", "system", "http://terminology.hl7.org/CodeSystem/consentscope", "code", "treatment", "display",
	    "Treatment", "category", "coding", "system", "http://loinc.org", "code", "59284-0", "display",
	    "Patient Consent", "patient", patient_reference(in->patient_id), "dateTime", accepted, "performer",
	    patient_reference(in->patient_id), "organization", "display", in->organization, "sourceAttachment",
	    "contentType", "text/plain; charset=utf-8", "language", in->lang, "data", b64, "title", in->title, "policy",
	    "uri", policy, "provision", "type", "permit", "period", period);
	free(b64);
	return dump(r, err, errlen);
}
