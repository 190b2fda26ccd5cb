/* Regulator and interoperability exports of one adverse-event case: a FHIR R4 Bundle (JSON)
 * and an ICH E2B(R3) ICSR (XML). Pure: the caller assembles the case; these only write text. */
#ifndef EXOSAFE_AE_EXPORT_H
#define EXOSAFE_AE_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the E2B file is and is not, written at its top (an XML comment) and by the CLI: an
 * interchange file between pharmacovigilance systems, not a submission to Japan's regulator,
 * whose gateway needs the Japanese regional (J) elements and a registered sender. */
#define AE_E2B_NOTICE                                                                                          \
	"ICH E2B(R3) ICSR interchange file (HL7 v3 PORR_IN049016UV) made by exosafe. It is not a PMDA gateway " \
	"submission: PMDA's E2B gateway needs the Japanese regional (J) elements and a registered sender; a "    \
	"clinic reports to PMDA with the form 医薬品安全性情報報告書."

typedef struct ae_export_term {
	const char *code;          /* CTCAE term code from data/ctcae/terms.json, e.g. "pruritus" */
	const char *name_en;       /* CTCAE v5 term, e.g. "Pruritus" */
	const char *name_ja;
	const char *meddra_code;   /* MedDRA LLT/PT code the CTCAE term maps to, "" when unknown */
	int grade;                 /* 1–5 */
} ae_export_term;

typedef struct ae_export_lot {
	const char *lot_number;
	const char *expires_on;    /* YYYY-MM-DD */
} ae_export_lot;

typedef struct ae_export_case {
	int64_t case_id;
	int version;               /* follow-up number: 1 for the first assessment */
	int64_t received_at;       /* when the clinic first learnt of it (unix s) */
	int64_t assessed_at;       /* this version */
	const char *sender_name;   /* the clinic */
	const char *meddra_version; /* MedDRA release the codes are given in, "N.N" (E2B E.i.2.1a), e.g. "28.1" */
	const char *reporter_qualification; /* "patient" | "physician" | "pharmacist" | "other" */

	/* Patient (minimum identifying data, as E2B expects). */
	int64_t patient_id;
	const char *patient_initials;  /* e.g. "Y.H."; E2B takes initials, not names */
	const char *birth_date;        /* YYYY-MM-DD */
	const char *sex;               /* female | male | other */

	/* What happened. */
	const char *narrative;     /* the patient's words and the staff's summary */
	const char *onset_date;    /* YYYY-MM-DD */
	bool ongoing;
	const ae_export_term *terms;
	int term_count;
	/* ICH E2A seriousness criteria. */
	bool death, life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important;
	const char *outcome;       /* recovered | recovering | not_recovered | recovered_with_sequelae | fatal | unknown */
	const char *outcome_date;  /* YYYY-MM-DD or "" (required when fatal) */
	const char *causality;     /* WHO-UMC: certain | probable | possible | unlikely | conditional | unassessable */
	const char *treatment;

	/* The suspected product. */
	const char *product_code, *product_name, *manufacturer;
	const ae_export_lot *lots;
	int lot_count;

	/* The screening questionnaire answered before treatment (for FHIR), may be NULL. */
	const char *questionnaire_id;       /* e.g. "exosome-cream" (canonical FHIR_BASE/Questionnaire/<id>) */
	int questionnaire_version;
	const char *questionnaire_answers_json; /* {"linkId": value, …} */
	int64_t questionnaire_submitted_at;
} ae_export_case;

/* Returns a newly allocated FHIR R4 Bundle (type "collection") with Patient, Medication (the
 * product with its lots as batches), QuestionnaireResponse and AdverseEvent, or NULL when the
 * case is incomplete (err names what is missing) or memory runs out. The caller frees it. */
char *ae_export_fhir(const ae_export_case *c, char *err, size_t errlen);

/* Returns a newly allocated ICH E2B(R3) ICSR message (XML, HL7 v3 PORR_IN049016UV), with every
 * value escaped, or NULL as above (also when ae_check_reactions_coded refuses the case). It is
 * an ICH interchange file, not a PMDA gateway submission. The caller frees it. */
char *ae_export_e2b(const ae_export_case *c, char *err, size_t errlen);

/* The one place that decides whether every reaction of c is coded well enough for E2B, where
 * E.i.2.1a/b (MedDRA version and code) are required for each reaction. Returns 0, or -1 with err
 * naming the first reaction to code: a CTCAE "Other, specify" term (the specific event must be
 * coded), a term without a MedDRA code, or a missing or malformed MedDRA version. */
int ae_check_reactions_coded(const ae_export_case *c, char *err, size_t errlen);

#endif
