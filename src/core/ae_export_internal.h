/* What the adverse-event exports share (ae_export_case.c, ae_export_fhir.c, ae_export_e2b.c,
 * and pmda_report.c for the lot check): the case's vocabularies, the check both exports run
 * first, and the deterministic identifiers. Not for use outside these files. */
#ifndef EXOSAFE_AE_EXPORT_INTERNAL_H
#define EXOSAFE_AE_EXPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ae_export.h"

#define CTCAE_SYSTEM "http://exosafe.example/CodeSystem/ctcae-v5"
#define MEDDRA_SYSTEM "http://terminology.hl7.org/CodeSystem/mdr"
#define PRODUCT_SYSTEM "https://exosafe.example/CodeSystem/product"
#define TERM_GRADE_EXTENSION "https://exosafe.example/fhir/StructureDefinition/ctcae-term-grade"
#define MEDDRA_OID "2.16.840.1.113883.6.163"
#define E2B_SENDER_ID "EXOSAFE"
#define E2B_RECEIVER_ID "PMDA" /* agreed with the receiver; exosafe reports to Japan's PMDA */
#define COUNTRY "JP"

/* An outcome as exosafe names it, with its FHIR adverse-event-outcome code and E2B E.i.7. */
typedef struct outcome_map {
	const char *exosafe, *fhir_code, *fhir_display;
	int e2b;
} outcome_map;

/* A WHO-UMC causality category, with its FHIR adverse-event-causality-assess code and the
 * category's WHO-UMC wording (E2B G.k.9.i.2.r.3). */
typedef struct causality_map {
	const char *exosafe, *fhir_code, *fhir_display, *who_umc;
} causality_map;

/* The row for outcome (causality) s, or NULL when s is NULL or not one of them. */
const outcome_map *ae_find_outcome(const char *s);
const causality_map *ae_find_causality(const char *s);

/* Whether any ICH E2A seriousness criterion is set. */
bool ae_is_serious(const ae_export_case *c);

/* The highest CTCAE grade among the case's terms (0 without terms). */
int ae_max_grade(const ae_export_case *c);

/* Returns 0 when the case holds everything both exports need, else -1 with err naming the
 * first field at fault. */
int ae_check_case(const ae_export_case *c, char *err, size_t errlen);

/* Returns 0 when the case's lots are well formed (a lot number each; with with_expiry, an
 * expiry date that is "" or a real date), else -1 with err naming the lot's field. */
int ae_check_lots(const ae_export_case *c, bool with_expiry, char *err, size_t errlen);

#define UUID_LEN 37

/* Writes the RFC 9562 version-8 UUID of SHA-256("exosafe-ae/<case>/<version>/<kind>/<index>"). */
void ae_case_uuid(const ae_export_case *c, const char *kind, int index, char out[UUID_LEN]);

#endif
