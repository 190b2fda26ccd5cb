/* The adverse-event case both export tests start from (test_ae_export.c for FHIR and E2B,
 * test_pmda_report.c for the PMDA form): the fields they share. Each test adds its own
 * reporter, narrative, terms, product names and questionnaire answers. Include after
 * core/ae_export.h. */
#ifndef EXOSAFE_TESTUTIL_AE_CASE_H
#define EXOSAFE_TESTUTIL_AE_CASE_H

#include "core/ae_export.h"

/* Two lots, the second with markup in its number and no expiry date. */
static const ae_export_lot sample_lots[] = {
	{.lot_number = "LOT-2026-001", .expires_on = "2027-03-31"},
	{.lot_number = "L&2<x>", .expires_on = ""},
};

/* Designated initialisers for the shared fields (two terms, version 2 of case 42, assessed
 * 2026-03-01T09:30:00Z, a male patient born 1980-05-17, onset 2026-02-20, still recovering). */
#define SAMPLE_CASE_COMMON                                                                                     \
	.case_id = 42, .version = 2, .received_at = 1771715107, /* 2026-02-21T23:05:07Z */                     \
	.assessed_at = 1772357400,                                 /* 2026-03-01T09:30:00Z */                     \
	.patient_id = 7, .patient_initials = "Y.H.", .birth_date = "1980-05-17", .sex = "male",                   \
	.onset_date = "2026-02-20", .ongoing = true, .term_count = 2, .other_medically_important = true,          \
	.outcome = "recovering", .outcome_date = "", .causality = "probable", .product_code = "EXO-CREAM-M",     \
	.lots = sample_lots, .lot_count = 2, .questionnaire_id = "exosome-cream", .questionnaire_version = 1,    \
	.questionnaire_submitted_at = 1768006923 /* 2026-01-10T01:02:03Z = 2026-01-10 JST */

#endif
