/* The intake as FHIR R4 for an EHR: the questionnaire for anyone signed in; a patient's
 * latest answers and consent for clinical staff (any patient) and for the patient (their own).
 * Reads of a patient's data are audited, as every read of personal health data is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "service/intake_fhir.h"

void handle_questionnaire_fhir(request *req)
{
	char *text = NULL, why[256] = "";
	intake_rc rc = intake_fhir_questionnaire(req->catalog, 0, &text, why, sizeof why);
	if (rc == INTAKE_NOT_FOUND) {
		reply_error(req, 404, "not_found", NULL, NULL);
		return;
	}
	if (rc != INTAKE_OK) {
		reply_internal(req, "questionnaire as FHIR");
		return;
	}
	reply_raw(req, 200, text, strlen(text), "application/fhir+json", "exosafe-questionnaire.json");
}

typedef enum intake_fhir_kind { FHIR_RESPONSE, FHIR_CONSENT } intake_fhir_kind;

static void export_patient(request *req, int64_t patient_id, intake_fhir_kind kind)
{
	char *text = NULL, why[512] = "";
	clinic_profile clinic;
	/* The consent names the clinic as its organization: not a placeholder. */
	if (kind == FHIR_CONSENT && !clinic_for_document(req, &clinic))
		return;
	intake_rc rc = kind == FHIR_RESPONSE
	                   ? intake_fhir_response(req->db, req->catalog, patient_id, &text, why, sizeof why)
	                   : intake_fhir_consent(req->db, req->catalog, patient_id, clinic.name, &text, why,
	                                         sizeof why);
	if (rc == INTAKE_NOT_FOUND) {
		reply_error(req, 404, "not_found", NULL, NULL);
		return;
	}
	if (rc == INTAKE_INVALID) {
		reply_error(req, 409, "export_refused", NULL, NULL);
		json_object_set_new(json_object_get(req->reply, "error"), "reason", json_string(why));
		return;
	}
	if (rc != INTAKE_OK) {
		reply_internal(req, "intake as FHIR");
		return;
	}
	char object[48], filename[80];
	snprintf(object, sizeof object, "patient:%lld", (long long)patient_id);
	if (!audit_read(req, kind == FHIR_RESPONSE ? "intake.export.questionnaire_response" : "intake.export.consent",
	                object, "", "audit intake export")) {
		free(text);
		return;
	}
	snprintf(filename, sizeof filename, "exosafe-patient-%lld-%s.json", (long long)patient_id,
	         kind == FHIR_RESPONSE ? "questionnaire-response" : "consent");
	reply_raw(req, 200, text, strlen(text), "application/fhir+json", filename);
}

void handle_patient_response_fhir(request *req)
{
	export_patient(req, req->path_ids[0], FHIR_RESPONSE);
}

void handle_patient_consent_fhir(request *req)
{
	export_patient(req, req->path_ids[0], FHIR_CONSENT);
}

void handle_my_response_fhir(request *req)
{
	export_patient(req, req->user.id, FHIR_RESPONSE);
}

void handle_my_consent_fhir(request *req)
{
	export_patient(req, req->user.id, FHIR_CONSENT);
}
