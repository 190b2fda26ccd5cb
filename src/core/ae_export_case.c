/* Checking an adverse-event case before it is exported, the vocabularies its fields take, and
 * the deterministic identifiers the exports give it (ae_export_internal.h). The exports
 * themselves: ae_export_fhir.c (FHIR R4) and ae_export_e2b.c (ICH E2B(R3)).
 *
 * Outcome mapping       exosafe                  FHIR adverse-event-outcome   E2B E.i.7
 *                       recovered                resolved                     1
 *                       recovering               recovering                   2
 *                       not_recovered            ongoing                      3
 *                       recovered_with_sequelae  resolvedWithSequelae         4
 *                       fatal                    fatal                        5
 *                       unknown                  unknown                      0
 *
 * Output is reproducible: identifiers (FHIR urn:uuid fullUrls, E2B reaction/drug ids) are RFC 9562
 * version-8 UUIDs made from a SHA-256 of the case id, its version and the item, and no clock is
 * read (message times are the version's assessed_at). */
#include "core/ae_export.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/ae_export_internal.h"
#include "core/field_check.h"

/* ---- the case's vocabularies ---- */

static const outcome_map outcomes[] = {
	{"recovered", "resolved", "Resolved", 1},
	{"recovering", "recovering", "Recovering", 2},
	{"not_recovered", "ongoing", "Ongoing", 3},
	{"recovered_with_sequelae", "resolvedWithSequelae", "Resolved with Sequelae", 4},
	{"fatal", "fatal", "Fatal", 5},
	{"unknown", "unknown", "Unknown", 0},
};

static const causality_map causalities[] = {
	{"certain", "Certain", "Certain", "Certain"},
	{"probable", "Probably-Likely", "Probably/Likely", "Probable/Likely"},
	{"possible", "Possible", "Possible", "Possible"},
	{"unlikely", "Unlikely", "Unlikely", "Unlikely"},
	{"conditional", "Conditional-Classified", "Conditional/Classified", "Conditional/Unclassified"},
	{"unassessable", "Unassessable-Unclassifiable", "Unassessable/Unclassifiable", "Unassessable/Unclassifiable"},
};

const outcome_map *ae_find_outcome(const char *s)
{
	for (size_t i = 0; s && i < sizeof outcomes / sizeof outcomes[0]; i++)
		if (strcmp(s, outcomes[i].exosafe) == 0)
			return &outcomes[i];
	return NULL;
}

const causality_map *ae_find_causality(const char *s)
{
	for (size_t i = 0; s && i < sizeof causalities / sizeof causalities[0]; i++)
		if (strcmp(s, causalities[i].exosafe) == 0)
			return &causalities[i];
	return NULL;
}

bool ae_is_serious(const ae_export_case *c)
{
	return c->death || c->life_threatening || c->hospitalization || c->disability || c->congenital_anomaly ||
	       c->other_medically_important;
}

int ae_max_grade(const ae_export_case *c)
{
	int g = 0;
	for (int i = 0; i < c->term_count; i++)
		if (c->terms[i].grade > g)
			g = c->terms[i].grade;
	return g;
}

static bool digits_only(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* ---- checking the case ---- */

/* The case's identity, reporter and patient (the E2B C and D sections). */
static int check_case_and_patient(const ae_export_case *c, char *err, size_t errlen)
{
	if (c == NULL) {
		field_err(err, errlen, "case: missing");
		return -1;
	}
	if (c->case_id <= 0) {
		field_err(err, errlen, "case_id: must be positive");
		return -1;
	}
	if (c->version < 1) {
		field_err(err, errlen, "version: must be 1 or more");
		return -1;
	}
	if (field_need_text(c->sender_name, "sender_name", err, errlen) != 0)
		return -1;
	if (!field_empty(c->meddra_version) && !field_is_meddra_version(c->meddra_version)) {
		field_err(err, errlen, "meddra_version: \"%.20s\" is not a MedDRA version (N.N, e.g. 27.1)", c->meddra_version);
		return -1;
	}
	if (field_empty(c->reporter_qualification) ||
	    (strcmp(c->reporter_qualification, "patient") != 0 && strcmp(c->reporter_qualification, "physician") != 0 &&
	     strcmp(c->reporter_qualification, "pharmacist") != 0 && strcmp(c->reporter_qualification, "other") != 0)) {
		field_err(err, errlen, "reporter_qualification: must be patient, physician, pharmacist or other");
		return -1;
	}
	if (field_optional_text(c->patient_initials, "patient_initials", 0, err, errlen) != 0)
		return -1;
	if (field_need_date(c->birth_date, "birth_date", err, errlen) != 0)
		return -1;
	if (field_empty(c->sex) ||
	    (strcmp(c->sex, "female") != 0 && strcmp(c->sex, "male") != 0 && strcmp(c->sex, "other") != 0)) {
		field_err(err, errlen, "sex: must be female, male or other");
		return -1;
	}
	if (field_optional_text(c->narrative, "narrative", 1, err, errlen) != 0 ||
	    field_optional_text(c->treatment, "treatment", 1, err, errlen) != 0)
		return -1;
	if (field_need_date(c->onset_date, "onset_date", err, errlen) != 0)
		return -1;
	return 0;
}

/* The reactions: at least one CTCAE term, each with its code, names, MedDRA code and grade. */
static int check_terms(const ae_export_case *c, char *err, size_t errlen)
{
	char field[64];
	if (c->terms == NULL || c->term_count < 1) {
		field_err(err, errlen, "terms: at least one CTCAE term is required");
		return -1;
	}
	for (int i = 0; i < c->term_count; i++) {
		const ae_export_term *t = &c->terms[i];
		snprintf(field, sizeof field, "terms[%d].code", i);
		if (field_need_text(t->code, field, err, errlen) != 0)
			return -1;
		snprintf(field, sizeof field, "terms[%d].name_en", i);
		if (field_need_text(t->name_en, field, err, errlen) != 0)
			return -1;
		snprintf(field, sizeof field, "terms[%d].name_ja", i);
		if (field_optional_text(t->name_ja, field, 0, err, errlen) != 0)
			return -1;
		if (t->meddra_code != NULL && !digits_only(t->meddra_code)) {
			field_err(err, errlen, "terms[%d].meddra_code: must be digits or \"\"", i);
			return -1;
		}
		if (t->grade < 1 || t->grade > 5) {
			field_err(err, errlen, "terms[%d].grade: %d is outside 1–5 (%s)", i, t->grade, t->name_en);
			return -1;
		}
	}
	return 0;
}

/* The outcome (a fatal one needs its date and the death criterion) and the causality. */
static int check_outcome(const ae_export_case *c, char *err, size_t errlen)
{
	const outcome_map *o = ae_find_outcome(c->outcome);
	if (o == NULL) {
		field_err(err, errlen,
		        "outcome: must be recovered, recovering, not_recovered, recovered_with_sequelae, fatal or unknown");
		return -1;
	}
	if (!field_empty(c->outcome_date) && field_need_date(c->outcome_date, "outcome_date", err, errlen) != 0)
		return -1;
	if (o->e2b == 5) {
		if (field_empty(c->outcome_date)) {
			field_err(err, errlen, "outcome_date: required when the outcome is fatal");
			return -1;
		}
		if (!c->death) {
			field_err(err, errlen, "death: the outcome is fatal but the death seriousness criterion is not set");
			return -1;
		}
	}
	if (ae_find_causality(c->causality) == NULL) {
		field_err(err, errlen,
		        "causality: must be a WHO-UMC category (certain, probable, possible, unlikely, conditional, "
		        "unassessable)");
		return -1;
	}
	return 0;
}

int ae_check_case(const ae_export_case *c, char *err, size_t errlen)
{
	if (check_case_and_patient(c, err, errlen) != 0 || check_terms(c, err, errlen) != 0 ||
	    check_outcome(c, err, errlen) != 0)
		return -1;
	if (field_need_text(c->product_code, "product_code", err, errlen) != 0 ||
	    field_need_text(c->product_name, "product_name", err, errlen) != 0 ||
	    field_optional_text(c->manufacturer, "manufacturer", 0, err, errlen) != 0)
		return -1;
	return ae_check_lots(c, true, err, errlen);
}

int ae_check_lots(const ae_export_case *c, bool with_expiry, char *err, size_t errlen)
{
	char field[64];
	if (c->lot_count < 0 || (c->lot_count > 0 && c->lots == NULL)) {
		field_err(err, errlen, "lots: lot_count %d without lots", c->lot_count);
		return -1;
	}
	for (int i = 0; i < c->lot_count; i++) {
		snprintf(field, sizeof field, "lots[%d].lot_number", i);
		if (field_need_text(c->lots[i].lot_number, field, err, errlen) != 0)
			return -1;
		snprintf(field, sizeof field, "lots[%d].expires_on", i);
		if (with_expiry && !field_empty(c->lots[i].expires_on) &&
		    field_need_date(c->lots[i].expires_on, field, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* CTCAE v5.0 names its catch-all terms "<SOC> - Other, specify": the term itself has no
 * MedDRA code; the specific event the clinician names is what gets coded. */
static bool is_other_specify(const ae_export_term *t)
{
	size_t n = strlen(t->name_en);
	static const char suffix[] = "Other, specify";
	return n >= sizeof suffix - 1 && strcmp(t->name_en + n - (sizeof suffix - 1), suffix) == 0;
}

int ae_check_reactions_coded(const ae_export_case *c, char *err, size_t errlen)
{
	if (field_empty(c->meddra_version) || !field_is_meddra_version(c->meddra_version)) {
		field_err(err, errlen,
		        "meddra_version: \"%.20s\" is not a MedDRA version (N.N, e.g. 27.1); set [pharmacovigilance] "
		        "meddra_version to the release the clinic codes with",
		        c->meddra_version ? c->meddra_version : "");
		return -1;
	}
	for (int i = 0; i < c->term_count; i++) {
		const ae_export_term *t = &c->terms[i];
		if (is_other_specify(t)) {
			field_err(err, errlen,
			        "terms[%d]: \"%s\" is a CTCAE \"Other, specify\" term; code the specific event with a MedDRA "
			        "term before exporting to E2B (E.i.2.1b is required for every reaction)",
			        i, t->name_en);
			return -1;
		}
		if (field_empty(t->meddra_code)) {
			field_err(err, errlen,
			        "terms[%d]: \"%s\" has no MedDRA code; code the reaction with a MedDRA term before exporting "
			        "to E2B (E.i.2.1b is required for every reaction)",
			        i, t->name_en);
			return -1;
		}
	}
	return 0;
}

/* ---- deterministic identifiers ---- */

/* An RFC 9562 version-8 UUID from SHA-256("exosafe-ae/<case>/<version>/<kind>/<index>"). */
void ae_case_uuid(const ae_export_case *c, const char *kind, int index, char out[UUID_LEN])
{
	char name[160];
	int n = snprintf(name, sizeof name, "exosafe-ae/%" PRId64 "/%d/%s/%d", c->case_id, c->version, kind, index);
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)name, (unsigned long long)n);
	h[6] = (unsigned char)((h[6] & 0x0F) | 0x80); /* version 8 */
	h[8] = (unsigned char)((h[8] & 0x3F) | 0x80); /* variant 10 */
	static const char hex[] = "0123456789abcdef";
	int o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[h[i] >> 4];
		out[o++] = hex[h[i] & 0x0F];
	}
	out[o] = '\0';
}
