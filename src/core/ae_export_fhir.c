/* The FHIR R4 export of one adverse-event case (ae_export_fhir). It first checks the case
 * (ae_check_case) and refuses an incomplete one with a message naming the field.
 *
 * FHIR R4 Bundle (type "collection"), entries in this order:
 *   Patient      id, identifier, name = [{use "anonymous", text: initials}] (HumanName.use
 *                "anonymous" is R4's code for an alias kept for privacy; no real name is
 *                exported), gender (female | male | other), birthDate.
 *   Medication   one per lot, because R4 Medication.batch is 0..1: code = the product code
 *                (https://exosafe.example/CodeSystem/product) with the product name as display
 *                and text, manufacturer as a display-only Reference, batch.lotNumber and
 *                batch.expirationDate. A case without lots gets one Medication without batch.
 *   QuestionnaireResponse (only when questionnaire_id is set) as fhir_intake.h builds it,
 *                with the answers typed by their JSON values; the Questionnaire itself is
 *                referenced by its canonical, not included.
 *   AdverseEvent text (the narrative and treatment, XHTML-escaped), extension
 *                ctcae-term-grade per term ({term: valueCoding, grade: valueInteger}),
 *                identifier, actuality actual, event = the first term (CTCAE coding
 *                http://exosafe.example/CodeSystem/ctcae-v5 and MedDRA coding
 *                http://terminology.hl7.org/CodeSystem/mdr, with meddra_version as its
 *                version, when the code is known), subject,
 *                date and detected = onset, recordedDate = assessed_at, seriousness (Serious
 *                when any ICH E2A criterion is set, else Non-serious: the code system
 *                adverse-event-seriousness is case-sensitive), severity from the highest grade (1 mild,
 *                2 moderate, ≥3 severe), outcome, suspectEntity per Medication with the
 *                WHO-UMC causality (adverse-event-causality-assess, method text "WHO-UMC").
 *                R4 AdverseEvent has no outcome date; it goes to E2B (E.i.5, D.9.1). */
#include "core/ae_export.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/ae_export_internal.h"
#include "core/fhir_intake.h"
#include "core/field_check.h"
#include "core/strbuf.h"
#include "core/timefmt.h"

static json_t *coding(const char *system, const char *code, const char *display)
{
	return json_pack("{s:s, s:s, s:s}", "system", system, "code", code, "display", display);
}

static json_t *concept1(const char *system, const char *code, const char *display)
{
	return json_pack("{s:[o]}", "coding", coding(system, code, display));
}

static json_t *reference(const char *uuid)
{
	char ref[UUID_LEN + 16];
	snprintf(ref, sizeof ref, "urn:uuid:%s", uuid);
	return json_pack("{s:s}", "reference", ref);
}

static int add_entry(json_t *entries, const char *uuid, json_t *resource)
{
	char full[UUID_LEN + 16];
	snprintf(full, sizeof full, "urn:uuid:%s", uuid);
	return json_array_append_new(entries, json_pack("{s:s, s:o}", "fullUrl", full, "resource", resource));
}

static json_t *fhir_patient(const ae_export_case *c)
{
	char id[40], value[24];
	snprintf(id, sizeof id, "patient-%" PRId64, c->patient_id);
	snprintf(value, sizeof value, "%" PRId64, c->patient_id);
	json_t *p = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "resourceType", "Patient", "id", id, "identifier", "system",
	                      "https://exosafe.example/patient", "value", value);
	if (p == NULL)
		return NULL;
	if (!field_empty(c->patient_initials))
		json_object_set_new(p, "name", json_pack("[{s:s, s:s}]", "use", "anonymous", "text", c->patient_initials));
	json_object_set_new(p, "gender", json_string(c->sex));
	json_object_set_new(p, "birthDate", json_string(c->birth_date));
	return p;
}

static json_t *fhir_medication(const ae_export_case *c, int lot_index)
{
	char id[64];
	snprintf(id, sizeof id, "ae-%" PRId64 "-v%d-medication-%d", c->case_id, c->version, lot_index + 1);
	json_t *m = json_pack("{s:s, s:s, s:{s:[o], s:s}}", "resourceType", "Medication", "id", id, "code", "coding",
	                      coding(PRODUCT_SYSTEM, c->product_code, c->product_name), "text", c->product_name);
	if (m == NULL)
		return NULL;
	if (!field_empty(c->manufacturer))
		json_object_set_new(m, "manufacturer", json_pack("{s:s}", "display", c->manufacturer));
	if (lot_index < c->lot_count) {
		const ae_export_lot *lot = &c->lots[lot_index];
		json_t *batch = json_pack("{s:s}", "lotNumber", lot->lot_number);
		if (batch != NULL && !field_empty(lot->expires_on))
			json_object_set_new(batch, "expirationDate", json_string(lot->expires_on));
		json_object_set_new(m, "batch", batch);
	}
	return m;
}

static json_t *case_questionnaire_response(const ae_export_case *c, const char *patient_uuid, char *err,
                                         size_t errlen)
{
	char id[64];
	snprintf(id, sizeof id, "ae-%" PRId64 "-v%d-questionnaire-response", c->case_id, c->version);
	fhir_response_input in = {
		.id = id,
		.questionnaire_id = c->questionnaire_id,
		.questionnaire_version = c->questionnaire_version,
		.answers_json = c->questionnaire_answers_json,
		.submitted_at = c->questionnaire_submitted_at,
	};
	return fhir_questionnaire_response_object(NULL, &in, reference(patient_uuid), err, errlen);
}

static json_t *term_codings(const ae_export_case *c, const ae_export_term *t)
{
	json_t *list = json_array();
	json_array_append_new(list, coding(CTCAE_SYSTEM, t->code, t->name_en));
	if (!field_empty(t->meddra_code)) {
		json_t *meddra = coding(MEDDRA_SYSTEM, t->meddra_code, t->name_en);
		if (!field_empty(c->meddra_version))
			json_object_set_new(meddra, "version", json_string(c->meddra_version));
		json_array_append_new(list, meddra);
	}
	return list;
}

/* The narrative as XHTML for Resource.text. */
static json_t *fhir_narrative(const ae_export_case *c)
{
	strbuf b = {0};
	strbuf_puts(&b, "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>");
	strbuf_xhtml_text(&b, field_empty(c->narrative) ? "(no narrative)" : c->narrative);
	strbuf_puts(&b, "</p>");
	if (!field_empty(c->treatment)) {
		strbuf_puts(&b, "<p>Treatment: ");
		strbuf_xhtml_text(&b, c->treatment);
		strbuf_puts(&b, "</p>");
	}
	strbuf_puts(&b, "</div>");
	char *div = strbuf_finish(&b);
	json_t *text = div == NULL ? NULL : json_pack("{s:s, s:s}", "status", "additional", "div", div);
	free(div);
	return text;
}

static json_t *fhir_adverse_event(const ae_export_case *c, const char *patient_uuid, char med_uuids[][UUID_LEN],
                                  int med_count)
{
	char id[48], value[24], recorded[ISO8601_LEN];
	snprintf(id, sizeof id, "ae-%" PRId64 "-v%d", c->case_id, c->version);
	snprintf(value, sizeof value, "%" PRId64, c->case_id);
	time_iso8601(c->assessed_at, recorded);

	json_t *extensions = json_array();
	for (int i = 0; i < c->term_count; i++) {
		const ae_export_term *t = &c->terms[i];
		json_array_append_new(extensions,
		                      json_pack("{s:s, s:[{s:s, s:o}, {s:s, s:i}]}", "url", TERM_GRADE_EXTENSION, "extension",
		                                "url", "term", "valueCoding", coding(CTCAE_SYSTEM, t->code, t->name_en), "url",
		                                "grade", "valueInteger", t->grade));
	}

	int g = ae_max_grade(c);
	const char *sev = g >= 3 ? "severe" : g == 2 ? "moderate" : "mild";
	const char *sev_display = g >= 3 ? "Severe" : g == 2 ? "Moderate" : "Mild";
	bool serious = ae_is_serious(c);
	const outcome_map *o = ae_find_outcome(c->outcome);
	const causality_map *cm = ae_find_causality(c->causality);

	json_t *suspects = json_array();
	for (int i = 0; i < med_count; i++)
		json_array_append_new(
		    suspects,
		    json_pack("{s:o, s:[{s:{s:[o], s:s}, s:{s:s}}]}", "instance", reference(med_uuids[i]), "causality",
		              "assessment", "coding",
		              coding("http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess", cm->fhir_code,
		                     cm->fhir_display),
		              "text", cm->who_umc, "method", "text", "WHO-UMC"));

	const ae_export_term *first = &c->terms[0];
	return json_pack("{s:s, s:s, s:o, s:o, s:{s:s, s:s}, s:s, s:{s:o, s:s}, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o}",
	                 "resourceType", "AdverseEvent", "id", id, "text", fhir_narrative(c), "extension", extensions,
	                 "identifier", "system", "https://exosafe.example/adverse-event", "value", value, "actuality",
	                 "actual", "event", "coding", term_codings(c, first), "text", first->name_en, "subject",
	                 reference(patient_uuid), "date", c->onset_date, "detected", c->onset_date, "recordedDate",
	                 recorded, "seriousness",
	                 concept1("http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
	                          serious ? "Serious" : "Non-serious", serious ? "Serious" : "Non-serious"),
	                 "severity",
	                 concept1("http://terminology.hl7.org/CodeSystem/adverse-event-severity", sev, sev_display),
	                 "outcome",
	                 concept1("http://terminology.hl7.org/CodeSystem/adverse-event-outcome", o->fhir_code,
	                          o->fhir_display),
	                 "suspectEntity", suspects);
}

char *ae_export_fhir(const ae_export_case *c, char *err, size_t errlen)
{
	if (ae_check_case(c, err, errlen) != 0)
		return NULL;
	int med_count = c->lot_count > 0 ? c->lot_count : 1;
	char patient_uuid[UUID_LEN], qr_uuid[UUID_LEN], ae_uuid[UUID_LEN];
	char(*med_uuids)[UUID_LEN] = calloc((size_t)med_count, sizeof *med_uuids);
	if (med_uuids == NULL) {
		field_err(err, errlen, "out of memory");
		return NULL;
	}
	ae_case_uuid(c, "patient", 0, patient_uuid);
	ae_case_uuid(c, "questionnaire-response", 0, qr_uuid);
	ae_case_uuid(c, "adverse-event", 0, ae_uuid);
	for (int i = 0; i < med_count; i++)
		ae_case_uuid(c, "medication", i, med_uuids[i]);

	char bundle_id[48], timestamp[ISO8601_LEN];
	snprintf(bundle_id, sizeof bundle_id, "ae-%" PRId64 "-v%d-bundle", c->case_id, c->version);
	time_iso8601(c->assessed_at, timestamp);
	json_t *entries = json_array();
	json_t *bundle = json_pack("{s:s, s:s, s:s, s:s, s:o}", "resourceType", "Bundle", "id", bundle_id, "type",
	                           "collection", "timestamp", timestamp, "entry", json_incref(entries));
	int failed = bundle == NULL || entries == NULL;
	if (!failed)
		failed |= add_entry(entries, patient_uuid, fhir_patient(c)) != 0;
	for (int i = 0; i < med_count && !failed; i++)
		failed |= add_entry(entries, med_uuids[i], fhir_medication(c, i)) != 0;
	if (!failed && !field_empty(c->questionnaire_id)) {
		json_t *qr = case_questionnaire_response(c, patient_uuid, err, errlen);
		if (qr == NULL) {
			free(med_uuids);
			json_decref(entries);
			json_decref(bundle);
			return NULL; /* err names the field */
		}
		failed |= add_entry(entries, qr_uuid, qr) != 0;
	}
	if (!failed)
		failed |= add_entry(entries, ae_uuid, fhir_adverse_event(c, patient_uuid, med_uuids, med_count)) != 0;
	free(med_uuids);
	json_decref(entries);
	char *out = failed ? NULL : json_dumps(bundle, JSON_INDENT(2));
	json_decref(bundle);
	if (out == NULL)
		field_err(err, errlen, "out of memory");
	return out;
}
