/* The 医薬品安全性情報報告書: the form a medical institution sends to PMDA to report a
 * suspected adverse reaction (医薬品医療機器等法 第68条の10 第2項, 医薬関係者からの副作用等
 * 報告), filled from one assessed adverse-event case. Pure: the caller assembles the case (the
 * same struct the FHIR and E2B exports take) and who reports it; this only writes HTML. */
#ifndef EXOSAFE_PMDA_REPORT_H
#define EXOSAFE_PMDA_REPORT_H

#include <stdint.h>

#include "core/ae_export.h"

/* Who reports, from where, and when: what the form asks that the case does not hold. */
typedef struct pmda_report_info {
	const char *reporter_name;       /* the doctor who assessed causality */
	const char *reporter_profession; /* "doctor" | "pharmacist" (職種) */
	const char *facility_name;       /* the clinic (施設名) */
	const char *facility_address;    /* NULL or "": printed blank for hand-filling */
	const char *facility_phone;      /* NULL or "": blank */
	const char *report_date;         /* YYYY-MM-DD (JST): the day the form is produced (報告日) */
} pmda_report_info;

/* Returns a newly allocated, complete HTML document (UTF-8, Japanese, one A4 form with its own
 * print style, no script and no external resource) for case c reported as info says, with
 * every value HTML-escaped; fields exosafe does not hold are printed blank for hand-filling.
 * Each filled value carries data-field="…" (and choices data-value="…") so it can be checked.
 * c->patient_initials is printed as given (the caller passes Latin initials, see
 * kana_initials_latin). Returns NULL with err naming the field when the case or info lacks
 * what the form needs, or when memory runs out. The caller frees the result. */
char *pmda_report_html(const ae_export_case *c, const pmda_report_info *info, char *err, size_t errlen);

/* Sets *years and *months to the completed years and months of age on date of someone born on
 * birth (both YYYY-MM-DD): the 副作用等発現年齢 is the age at onset, not today. Returns 0, or -1
 * when a date is not a real date or date is before birth. */
int pmda_age_on(const char *birth, const char *date, int *years, int *months);

#endif
