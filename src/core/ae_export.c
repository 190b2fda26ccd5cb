/* Regulator and interoperability exports of one adverse-event case.
 *
 * Both exports first check the case (ae_check_case) and refuse an incomplete one with a
 * message naming the field. Output is reproducible: identifiers (FHIR urn:uuid fullUrls, E2B
 * reaction/drug ids) are RFC 9562 version-8 UUIDs made from a SHA-256 of the case id, its
 * version and the item, and no clock is read (message times are the version's assessed_at).
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
 *                R4 AdverseEvent has no outcome date; it goes to E2B (E.i.5, D.9.1).
 *
 * Outcome mapping       exosafe                  FHIR adverse-event-outcome   E2B E.i.7
 *                       recovered                resolved                     1
 *                       recovering               recovering                   2
 *                       not_recovered            ongoing                      3
 *                       recovered_with_sequelae  resolvedWithSequelae         4
 *                       fatal                    fatal                        5
 *                       unknown                  unknown                      0
 *
 * ICH E2B(R3) ICSR, HL7 v3 MCCI_IN200100UV01 batch holding one PORR_IN049016UV, laid out as
 * the ICH reference instance. Filled:
 *   N.1.1 type of messages (1 = ichicsr), N.1.2 batch number, N.1.3/N.1.4 batch sender and
 *   receiver ids, N.1.5 batch time; N.2.r.1 message id, N.2.r.2/N.2.r.3 message sender and
 *   receiver ids, N.2.r.4 message time (all times UTC YYYYMMDDHHMMSS);
 *   C.1.1 sender's safety report id "JP-EXOSAFE-<case id>" (kept across follow-ups),
 *   C.1.2 date of creation, C.1.3 type of report 1 (spontaneous), C.1.4 first received,
 *   C.1.5 most recent information (this version), C.1.6.1 additional documents (false:
 *   nothing is attached), C.1.7 expedited (true when serious), C.1.8.1 worldwide unique case
 *   id (= C.1.1), C.1.8.2 first sender (2 = other than a regulator), C.1.9.1 other case ids
 *   (nullFlavor NI);
 *   C.2.r.3 reporter country JP, C.2.r.4 qualification (physician 1, pharmacist 2, other
 *   health professional 3 for "other" — staff —, consumer 5 for "patient"), C.2.r.5 primary
 *   source for regulatory purposes;
 *   C.3.1 sender type 3 (health professional), C.3.2 sender organisation (the clinic);
 *   D.1 patient initials (nullFlavor UNK when none), D.2.1 birth date, D.5 sex (1 male,
 *   2 female, nullFlavor UNK for other), D.9.1 date of death (fatal outcome);
 *   E.i per term: E.i.1.1a/b reaction as reported in Japanese (language "jpn", ISO 639-2),
 *   E.i.1.2 the CTCAE English term as translation, E.i.2.1a/b MedDRA version (the setting
 *   meddra_version: the release the clinic codes with, not CTCAE v5.0's 20.1; MedDRA keeps LLT
 *   codes across releases) and code, required for every reaction (ae_check_reactions_coded), E.i.3.2a–f seriousness (the case's
 *   E2A criteria on every reaction: true or nullFlavor NI, as E2B allows), E.i.4 start
 *   (onset), E.i.5 end (outcome date when recovered, with sequelae or fatal), E.i.7 outcome,
 *   E.i.9 country JP;
 *   G.k.1 characterisation 1 (suspect), G.k.2.2 product name as reported, G.k.4.r.7 one
 *   dosage entry per lot with its batch/lot number (lotNumberText nullFlavor UNK when there
 *   are no lots), G.k.9.i.2.r per reaction: r.1 source "Sender", r.2 method "WHO-UMC", r.3
 *   result (Certain, Probable/Likely, Possible, Unlikely, Conditional/Unclassified,
 *   Unassessable/Unclassifiable), G.k.11 additional information (product code and
 *   manufacturer);
 *   H.1 narrative: the narrative, the treatment, and each CTCAE term with its grade (E2B
 *   has no severity element).
 * Left out (exosafe does not hold them, or they do not apply): C.1.6.1.r documents, C.1.10.r
 *   linked reports, C.1.11 nullification, C.2.r.1/C.2.r.2 reporter name and address (privacy),
 *   C.3.3/C.3.4 sender person and address, C.4 literature, C.5 study, D.1.1 record numbers,
 *   D.2.2 age at onset (derivable from D.2.1 and E.i.4), D.3/D.4 weight and height, D.6–D.10
 *   history, parent and death details beyond D.9.1, E.i.3.1 highlighted term, E.i.6
 *   duration, E.i.8 medical confirmation, F tests, G.k.2.1 MPID/PhPID, G.k.2.3 substances,
 *   G.k.3 authorisation (the product is unapproved), G.k.4.r.1–6 and r.8–11 dose, dates,
 *   form and route, G.k.5–G.k.8 and G.k.10, G.k.9.i.3–4 intervals and rechallenge, H.2–H.5
 *   comments and diagnoses. */
#include "core/ae_export.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fhir_intake.h"
#include "core/field_check.h"
#include "core/questionnaire.h"
#include "core/text.h"
#include "core/timefmt.h"

#define CTCAE_SYSTEM "http://exosafe.example/CodeSystem/ctcae-v5"
#define MEDDRA_SYSTEM "http://terminology.hl7.org/CodeSystem/mdr"
#define PRODUCT_SYSTEM "https://exosafe.example/CodeSystem/product"
#define TERM_GRADE_EXTENSION "https://exosafe.example/fhir/StructureDefinition/ctcae-term-grade"
#define MEDDRA_OID "2.16.840.1.113883.6.163"
#define E2B_SENDER_ID "EXOSAFE"
#define E2B_RECEIVER_ID "PMDA" /* agreed with the receiver; exosafe reports to Japan's PMDA */
#define COUNTRY "JP"

/* ---- the case's vocabularies ---- */

typedef struct outcome_map {
	const char *exosafe, *fhir_code, *fhir_display;
	int e2b;
} outcome_map;

static const outcome_map outcomes[] = {
	{"recovered", "resolved", "Resolved", 1},
	{"recovering", "recovering", "Recovering", 2},
	{"not_recovered", "ongoing", "Ongoing", 3},
	{"recovered_with_sequelae", "resolvedWithSequelae", "Resolved with Sequelae", 4},
	{"fatal", "fatal", "Fatal", 5},
	{"unknown", "unknown", "Unknown", 0},
};

typedef struct causality_map {
	const char *exosafe, *fhir_code, *fhir_display, *who_umc;
} causality_map;

static const causality_map causalities[] = {
	{"certain", "Certain", "Certain", "Certain"},
	{"probable", "Probably-Likely", "Probably/Likely", "Probable/Likely"},
	{"possible", "Possible", "Possible", "Possible"},
	{"unlikely", "Unlikely", "Unlikely", "Unlikely"},
	{"conditional", "Conditional-Classified", "Conditional/Classified", "Conditional/Unclassified"},
	{"unassessable", "Unassessable-Unclassifiable", "Unassessable/Unclassifiable", "Unassessable/Unclassifiable"},
};

static const outcome_map *find_outcome(const char *s)
{
	for (size_t i = 0; s && i < sizeof outcomes / sizeof outcomes[0]; i++)
		if (strcmp(s, outcomes[i].exosafe) == 0)
			return &outcomes[i];
	return NULL;
}

static const causality_map *find_causality(const char *s)
{
	for (size_t i = 0; s && i < sizeof causalities / sizeof causalities[0]; i++)
		if (strcmp(s, causalities[i].exosafe) == 0)
			return &causalities[i];
	return NULL;
}

/* E2B C.2.r.4 qualification. */
static int reporter_code(const char *q)
{
	if (strcmp(q, "physician") == 0)
		return 1;
	if (strcmp(q, "pharmacist") == 0)
		return 2;
	if (strcmp(q, "other") == 0)
		return 3; /* other health professional: clinic staff */
	return 5;     /* patient: consumer or other non health professional */
}

static bool is_serious(const ae_export_case *c)
{
	return c->death || c->life_threatening || c->hospitalization || c->disability || c->congenital_anomaly ||
	       c->other_medically_important;
}

static int max_grade(const ae_export_case *c)
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


/* Returns 0 when the case holds everything both exports need, else -1 with err naming the
 * first field at fault. */
static int ae_check_case(const ae_export_case *c, char *err, size_t errlen)
{
	char field[64];
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

	const outcome_map *o = find_outcome(c->outcome);
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
	if (find_causality(c->causality) == NULL) {
		field_err(err, errlen,
		        "causality: must be a WHO-UMC category (certain, probable, possible, unlikely, conditional, "
		        "unassessable)");
		return -1;
	}

	if (field_need_text(c->product_code, "product_code", err, errlen) != 0 ||
	    field_need_text(c->product_name, "product_name", err, errlen) != 0 ||
	    field_optional_text(c->manufacturer, "manufacturer", 0, err, errlen) != 0)
		return -1;
	if (c->lot_count < 0 || (c->lot_count > 0 && c->lots == NULL)) {
		field_err(err, errlen, "lots: lot_count %d without lots", c->lot_count);
		return -1;
	}
	for (int i = 0; i < c->lot_count; i++) {
		snprintf(field, sizeof field, "lots[%d].lot_number", i);
		if (field_need_text(c->lots[i].lot_number, field, err, errlen) != 0)
			return -1;
		snprintf(field, sizeof field, "lots[%d].expires_on", i);
		if (!field_empty(c->lots[i].expires_on) && field_need_date(c->lots[i].expires_on, field, err, errlen) != 0)
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

#define UUID_LEN 37

/* An RFC 9562 version-8 UUID from SHA-256("exosafe-ae/<case>/<version>/<kind>/<index>"). */
static void case_uuid(const ae_export_case *c, const char *kind, int index, char out[UUID_LEN])
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

/* ---- a growing string; after a failed allocation every further append is ignored ---- */

typedef struct buf {
	char *data;
	size_t len, cap;
	int failed;
	int depth; /* XML nesting, for indentation */
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 8192) + n;
		char *p = realloc(b->data, cap);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void puts_raw(buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Appends s with the five XML special characters escaped (valid in text and attributes). */
static void put_xml_escaped(buf *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *entity;
		switch (*s) {
		case '&': entity = "&amp;"; break;
		case '<': entity = "&lt;"; break;
		case '>': entity = "&gt;"; break;
		case '"': entity = "&quot;"; break;
		case '\'': entity = "&apos;"; break;
		default: continue;
		}
		put(b, run, (size_t)(s - run));
		puts_raw(b, entity);
		run = s + 1;
	}
	put(b, run, (size_t)(s - run));
}

/* Appends s for XHTML element content: only &, < and > need escaping there (and &apos; is
 * not an HTML entity). */
static void put_xhtml_text(buf *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *entity;
		switch (*s) {
		case '&': entity = "&amp;"; break;
		case '<': entity = "&lt;"; break;
		case '>': entity = "&gt;"; break;
		default: continue;
		}
		put(b, run, (size_t)(s - run));
		puts_raw(b, entity);
		run = s + 1;
	}
	put(b, run, (size_t)(s - run));
}

static void indent(buf *b)
{
	for (int i = 0; i < b->depth; i++)
		puts_raw(b, "  ");
}

/* Writes one line of markup built from fmt (our own tags and attribute values that are
 * digits, codes or UUIDs, never case text). An opening tag nests the following lines, a
 * closing tag ends the nesting; "<x/>" and "<x>…</x>" leave it unchanged. */
__attribute__((format(printf, 2, 3))) static void xml_line(buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line) {
		b->failed = 1;
		return;
	}
	bool closing = strncmp(line, "</", 2) == 0;
	bool self_contained = (n >= 2 && strcmp(line + n - 2, "/>") == 0) || strstr(line + 1, "</") != NULL ||
	                      strncmp(line, "<!--", 4) == 0 || strncmp(line, "<?", 2) == 0;
	if (closing)
		b->depth--;
	indent(b);
	put(b, line, (size_t)n);
	puts_raw(b, "\n");
	if (!closing && !self_contained)
		b->depth++;
}

/* Writes <open>text</tag> with text escaped. */
static void xml_text(buf *b, const char *open, const char *tag, const char *text)
{
	indent(b);
	puts_raw(b, "<");
	puts_raw(b, open);
	puts_raw(b, ">");
	put_xml_escaped(b, text);
	puts_raw(b, "</");
	puts_raw(b, tag);
	puts_raw(b, ">\n");
}

/* ---- FHIR ---- */

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
	buf b = {0};
	puts_raw(&b, "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>");
	put_xhtml_text(&b, field_empty(c->narrative) ? "(no narrative)" : c->narrative);
	puts_raw(&b, "</p>");
	if (!field_empty(c->treatment)) {
		puts_raw(&b, "<p>Treatment: ");
		put_xhtml_text(&b, c->treatment);
		puts_raw(&b, "</p>");
	}
	puts_raw(&b, "</div>");
	json_t *text = b.failed ? NULL : json_pack("{s:s, s:s}", "status", "additional", "div", b.data);
	free(b.data);
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

	int g = max_grade(c);
	const char *sev = g >= 3 ? "severe" : g == 2 ? "moderate" : "mild";
	const char *sev_display = g >= 3 ? "Severe" : g == 2 ? "Moderate" : "Mild";
	bool serious = is_serious(c);
	const outcome_map *o = find_outcome(c->outcome);
	const causality_map *cm = find_causality(c->causality);

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
	case_uuid(c, "patient", 0, patient_uuid);
	case_uuid(c, "questionnaire-response", 0, qr_uuid);
	case_uuid(c, "adverse-event", 0, ae_uuid);
	for (int i = 0; i < med_count; i++)
		case_uuid(c, "medication", i, med_uuids[i]);

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

/* ---- E2B(R3) ---- */

/* "YYYY-MM-DD" → "YYYYMMDD". */
static void e2b_date(const char *date, char out[9])
{
	memcpy(out, date, 4);
	memcpy(out + 4, date + 5, 2);
	memcpy(out + 6, date + 8, 2);
	out[8] = '\0';
}

/* Unix seconds → UTC "YYYYMMDDHHMMSS". */
static void e2b_time(int64_t t, char out[15])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

#define E2B_OBS "2.16.840.1.113883.3.989.2.1.1.19"

static void e2b_bool_obs(buf *b, int code, bool value, const char *element)
{
	xml_line(b, "<outboundRelationship2 typeCode=\"PERT\">");
	xml_line(b, "<observation classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"%d\" codeSystem=\"" E2B_OBS "\"/>", code);
	if (value)
		xml_line(b, "<value xsi:type=\"BL\" value=\"true\"/>");
	else
		xml_line(b, "<value xsi:type=\"BL\" nullFlavor=\"NI\"/>");
	xml_line(b, "<!-- %s -->", element);
	xml_line(b, "</observation>");
	xml_line(b, "</outboundRelationship2>");
}

static void e2b_reaction(buf *b, const ae_export_case *c, const ae_export_term *t, const char *uuid)
{
	const outcome_map *o = find_outcome(c->outcome);
	char onset[9], end[9];
	e2b_date(c->onset_date, onset);
	bool has_end = !field_empty(c->outcome_date) && (o->e2b == 1 || o->e2b == 4 || o->e2b == 5);
	if (has_end)
		e2b_date(c->outcome_date, end);

	xml_line(b, "<subjectOf2 typeCode=\"SBJ\">");
	xml_line(b, "<observation classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<id root=\"%s\"/>", uuid);
	xml_line(b, "<code code=\"29\" codeSystem=\"" E2B_OBS "\" displayName=\"reaction\"/>");
	xml_line(b, "<effectiveTime xsi:type=\"IVL_TS\">");
	xml_line(b, "<low value=\"%s\"/>", onset);
	xml_line(b, "<!-- E.i.4: date of start of reaction / event -->");
	if (has_end) {
		xml_line(b, "<high value=\"%s\"/>", end);
		xml_line(b, "<!-- E.i.5: date of end of reaction / event -->");
	}
	xml_line(b, "</effectiveTime>");
	if (!field_empty(t->meddra_code))
		xml_line(b, "<value xsi:type=\"CE\" code=\"%s\" codeSystem=\"" MEDDRA_OID "\" codeSystemVersion=\"%s\">",
		         t->meddra_code, c->meddra_version);
	else /* not reached: ae_check_reactions_coded refuses uncoded reactions */
		xml_line(b, "<value xsi:type=\"CE\">");
	xml_text(b, "originalText language=\"jpn\"", "originalText", field_empty(t->name_ja) ? t->name_en : t->name_ja);
	xml_line(b, "<!-- E.i.1.1a/b: reaction as reported in the native language; E.i.2.1a/b: MedDRA version and code -->");
	xml_line(b, "</value>");
	xml_line(b, "<location typeCode=\"LOC\">");
	xml_line(b, "<locatedEntity classCode=\"LOCE\">");
	xml_line(b, "<locatedPlace classCode=\"COUNTRY\" determinerCode=\"INSTANCE\">");
	xml_line(b, "<code code=\"" COUNTRY "\" codeSystem=\"1.0.3166.1.2.2\"/>");
	xml_line(b, "<!-- E.i.9: country where the reaction occurred -->");
	xml_line(b, "</locatedPlace>");
	xml_line(b, "</locatedEntity>");
	xml_line(b, "</location>");
	xml_line(b, "<outboundRelationship2 typeCode=\"PERT\">");
	xml_line(b, "<observation classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"30\" codeSystem=\"" E2B_OBS "\" displayName=\"reactionForTranslation\"/>");
	xml_text(b, "value xsi:type=\"ED\" language=\"eng\"", "value", t->name_en);
	xml_line(b, "<!-- E.i.1.2: reaction as reported, for translation -->");
	xml_line(b, "</observation>");
	xml_line(b, "</outboundRelationship2>");
	e2b_bool_obs(b, 34, c->death, "E.i.3.2a: results in death");
	e2b_bool_obs(b, 21, c->life_threatening, "E.i.3.2b: life threatening");
	e2b_bool_obs(b, 33, c->hospitalization, "E.i.3.2c: caused / prolonged hospitalisation");
	e2b_bool_obs(b, 35, c->disability, "E.i.3.2d: disabling / incapacitating");
	e2b_bool_obs(b, 12, c->congenital_anomaly, "E.i.3.2e: congenital anomaly / birth defect");
	e2b_bool_obs(b, 26, c->other_medically_important, "E.i.3.2f: other medically important condition");
	xml_line(b, "<outboundRelationship2 typeCode=\"PERT\">");
	xml_line(b, "<observation classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"27\" codeSystem=\"" E2B_OBS "\" displayName=\"outcome\"/>");
	xml_line(b, "<value xsi:type=\"CE\" code=\"%d\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.11\"/>", o->e2b);
	xml_line(b, "<!-- E.i.7: outcome at the time of last observation -->");
	xml_line(b, "</observation>");
	xml_line(b, "</outboundRelationship2>");
	xml_line(b, "</observation>");
	xml_line(b, "</subjectOf2>");
}

static void e2b_drug(buf *b, const ae_export_case *c, const char *drug_uuid)
{
	xml_line(b, "<subjectOf2 typeCode=\"SBJ\">");
	xml_line(b, "<organizer classCode=\"CATEGORY\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"4\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.20\" displayName=\"drugInformation\"/>");
	xml_line(b, "<component typeCode=\"COMP\">");
	xml_line(b, "<substanceAdministration classCode=\"SBADM\" moodCode=\"EVN\">");
	xml_line(b, "<id root=\"%s\"/>", drug_uuid);
	xml_line(b, "<consumable typeCode=\"CSM\">");
	xml_line(b, "<instanceOfKind classCode=\"INST\">");
	xml_line(b, "<kindOfProduct classCode=\"MMAT\" determinerCode=\"KIND\">");
	xml_text(b, "name", "name", c->product_name);
	xml_line(b, "<!-- G.k.2.2: medicinal product name as reported -->");
	xml_line(b, "</kindOfProduct>");
	xml_line(b, "</instanceOfKind>");
	xml_line(b, "</consumable>");
	int dosages = c->lot_count > 0 ? c->lot_count : 1;
	for (int i = 0; i < dosages; i++) {
		xml_line(b, "<outboundRelationship2 typeCode=\"COMP\">");
		xml_line(b, "<substanceAdministration classCode=\"SBADM\" moodCode=\"EVN\">");
		xml_line(b, "<consumable typeCode=\"CSM\">");
		xml_line(b, "<instanceOfKind classCode=\"INST\">");
		xml_line(b, "<productInstanceInstance classCode=\"MMAT\" determinerCode=\"INSTANCE\">");
		if (c->lot_count > 0)
			xml_text(b, "lotNumberText", "lotNumberText", c->lots[i].lot_number);
		else
			xml_line(b, "<lotNumberText nullFlavor=\"UNK\"/>");
		xml_line(b, "<!-- G.k.4.r.7: batch / lot number -->");
		xml_line(b, "</productInstanceInstance>");
		xml_line(b, "<kindOfProduct classCode=\"MMAT\" determinerCode=\"KIND\"/>");
		xml_line(b, "</instanceOfKind>");
		xml_line(b, "</consumable>");
		xml_line(b, "</substanceAdministration>");
		xml_line(b, "</outboundRelationship2>");
	}
	buf info = {0};
	puts_raw(&info, "Product code: ");
	puts_raw(&info, c->product_code);
	if (!field_empty(c->manufacturer)) {
		puts_raw(&info, "; manufacturer: ");
		puts_raw(&info, c->manufacturer);
	}
	xml_line(b, "<outboundRelationship2 typeCode=\"REFR\">");
	xml_line(b, "<observation classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"2\" codeSystem=\"" E2B_OBS "\" displayName=\"additionalInformation\"/>");
	if (info.failed)
		b->failed = 1;
	else
		xml_text(b, "value xsi:type=\"ST\"", "value", info.data);
	free(info.data);
	xml_line(b, "<!-- G.k.11: additional information on drug -->");
	xml_line(b, "</observation>");
	xml_line(b, "</outboundRelationship2>");
	xml_line(b, "</substanceAdministration>");
	xml_line(b, "</component>");
	xml_line(b, "</organizer>");
	xml_line(b, "</subjectOf2>");
}

static void e2b_causality(buf *b, const ae_export_case *c, const char *reaction_uuid, const char *drug_uuid)
{
	const causality_map *cm = find_causality(c->causality);
	xml_line(b, "<component typeCode=\"COMP\">");
	xml_line(b, "<causalityAssessment classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"39\" codeSystem=\"" E2B_OBS "\" displayName=\"causality\"/>");
	xml_text(b, "value xsi:type=\"ST\"", "value", cm->who_umc);
	xml_line(b, "<!-- G.k.9.i.2.r.3: result of assessment -->");
	xml_line(b, "<methodCode>");
	xml_text(b, "originalText", "originalText", "WHO-UMC");
	xml_line(b, "<!-- G.k.9.i.2.r.2: method of assessment -->");
	xml_line(b, "</methodCode>");
	xml_line(b, "<author typeCode=\"AUT\">");
	xml_line(b, "<assignedEntity classCode=\"ASSIGNED\">");
	xml_line(b, "<code>");
	xml_text(b, "originalText", "originalText", "Sender");
	xml_line(b, "<!-- G.k.9.i.2.r.1: source of assessment -->");
	xml_line(b, "</code>");
	xml_line(b, "</assignedEntity>");
	xml_line(b, "</author>");
	xml_line(b, "<subject1 typeCode=\"SUBJ\">");
	xml_line(b, "<adverseEffectReference classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<id root=\"%s\"/>", reaction_uuid);
	xml_line(b, "</adverseEffectReference>");
	xml_line(b, "</subject1>");
	xml_line(b, "<subject2 typeCode=\"SUBJ\">");
	xml_line(b, "<productUseReference classCode=\"SBADM\" moodCode=\"EVN\">");
	xml_line(b, "<id root=\"%s\"/>", drug_uuid);
	xml_line(b, "</productUseReference>");
	xml_line(b, "</subject2>");
	xml_line(b, "</causalityAssessment>");
	xml_line(b, "</component>");
}

/* H.1: the narrative, the treatment and the CTCAE grading. */
static char *e2b_narrative(const ae_export_case *c)
{
	buf n = {0};
	puts_raw(&n, field_empty(c->narrative) ? "" : c->narrative);
	if (!field_empty(c->treatment)) {
		puts_raw(&n, n.len ? "\n\nTreatment: " : "Treatment: ");
		puts_raw(&n, c->treatment);
	}
	puts_raw(&n, n.len ? "\n\nCTCAE v5.0: " : "CTCAE v5.0: ");
	for (int i = 0; i < c->term_count; i++) {
		char grade[24];
		snprintf(grade, sizeof grade, " grade %d", c->terms[i].grade);
		if (i > 0)
			puts_raw(&n, "; ");
		puts_raw(&n, c->terms[i].name_en);
		puts_raw(&n, grade);
	}
	if (n.failed) {
		free(n.data);
		return NULL;
	}
	return n.data;
}

char *ae_export_e2b(const ae_export_case *c, char *err, size_t errlen)
{
	if (ae_check_case(c, err, errlen) != 0 || ae_check_reactions_coded(c, err, errlen) != 0)
		return NULL;
	char created[15], received[15], recent[15], birth[9], drug_uuid[UUID_LEN];
	e2b_time(c->assessed_at, created);
	e2b_time(c->received_at, received);
	e2b_time(c->assessed_at, recent);
	e2b_date(c->birth_date, birth);
	case_uuid(c, "drug", 0, drug_uuid);
	char(*reaction_uuids)[UUID_LEN] = calloc((size_t)c->term_count, sizeof *reaction_uuids);
	char *narrative = e2b_narrative(c);
	if (reaction_uuids == NULL || narrative == NULL) {
		free(reaction_uuids);
		free(narrative);
		field_err(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < c->term_count; i++)
		case_uuid(c, "reaction", i, reaction_uuids[i]);
	const int64_t id = c->case_id;
	const int v = c->version;

	buf b = {0};
	xml_line(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
	xml_line(&b, "<!-- " AE_E2B_NOTICE " -->");
	xml_line(&b, "<MCCI_IN200100UV01 ITSVersion=\"XML_1.0\" xmlns=\"urn:hl7-org:v3\" "
	             "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	             "xsi:schemaLocation=\"urn:hl7-org:v3 MCCI_IN200100UV01.xsd\">");
	xml_line(&b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.22\" extension=\"EXOSAFE-B-%" PRId64 "-%d\"/>", id, v);
	xml_line(&b, "<!-- N.1.2: batch number -->");
	xml_line(&b, "<creationTime value=\"%s\"/>", created);
	xml_line(&b, "<!-- N.1.5: date of batch transmission (UTC) -->");
	xml_line(&b, "<responseModeCode code=\"D\"/>");
	xml_line(&b, "<interactionId root=\"2.16.840.1.113883.1.6\" extension=\"MCCI_IN200100UV01\"/>");
	xml_line(&b, "<name code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.1\"/>");
	xml_line(&b, "<!-- N.1.1: type of messages in batch (ichicsr) -->");
	xml_line(&b, "<PORR_IN049016UV>");
	xml_line(&b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.1\" extension=\"EXOSAFE-M-%" PRId64 "-%d\"/>", id, v);
	xml_line(&b, "<!-- N.2.r.1: message identifier -->");
	xml_line(&b, "<creationTime value=\"%s\"/>", created);
	xml_line(&b, "<!-- N.2.r.4: date of message creation (UTC) -->");
	xml_line(&b, "<interactionId root=\"2.16.840.1.113883.1.6\" extension=\"PORR_IN049016UV\"/>");
	xml_line(&b, "<processingCode code=\"P\"/>");
	xml_line(&b, "<processingModeCode code=\"T\"/>");
	xml_line(&b, "<acceptAckCode code=\"AL\"/>");
	xml_line(&b, "<receiver typeCode=\"RCV\">");
	xml_line(&b, "<device classCode=\"DEV\" determinerCode=\"INSTANCE\">");
	xml_line(&b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.12\" extension=\"" E2B_RECEIVER_ID "\"/>");
	xml_line(&b, "<!-- N.2.r.3: message receiver identifier -->");
	xml_line(&b, "</device>");
	xml_line(&b, "</receiver>");
	xml_line(&b, "<sender typeCode=\"SND\">");
	xml_line(&b, "<device classCode=\"DEV\" determinerCode=\"INSTANCE\">");
	xml_line(&b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.11\" extension=\"" E2B_SENDER_ID "\"/>");
	xml_line(&b, "<!-- N.2.r.2: message sender identifier -->");
	xml_line(&b, "</device>");
	xml_line(&b, "</sender>");
	xml_line(&b, "<controlActProcess classCode=\"CACT\" moodCode=\"EVN\">");
	xml_line(&b, "<code code=\"PORR_TE049016UV\" codeSystem=\"2.16.840.1.113883.1.18\"/>");
	xml_line(&b, "<effectiveTime value=\"%s\"/>", created);
	xml_line(&b, "<!-- C.1.2: date of creation -->");
	xml_line(&b, "<subject typeCode=\"SUBJ\">");
	xml_line(&b, "<investigationEvent classCode=\"INVSTG\" moodCode=\"EVN\">");
	xml_line(&b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.1\" extension=\"JP-" E2B_SENDER_ID "-%" PRId64 "\"/>", id);
	xml_line(&b, "<!-- C.1.1: sender's (case) safety report unique identifier -->");
	xml_line(&b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.2\" extension=\"JP-" E2B_SENDER_ID "-%" PRId64 "\"/>", id);
	xml_line(&b, "<!-- C.1.8.1: worldwide unique case identification number -->");
	xml_line(&b, "<code code=\"PAT_ADV_EVNT\" codeSystem=\"2.16.840.1.113883.5.4\"/>");
	xml_text(&b, "text", "text", narrative);
	xml_line(&b, "<!-- H.1: case narrative -->");
	xml_line(&b, "<statusCode code=\"active\"/>");
	xml_line(&b, "<effectiveTime>");
	xml_line(&b, "<low value=\"%s\"/>", received);
	xml_line(&b, "<!-- C.1.4: date report was first received from source -->");
	xml_line(&b, "</effectiveTime>");
	xml_line(&b, "<availabilityTime value=\"%s\"/>", recent);
	xml_line(&b, "<!-- C.1.5: date of most recent information for this report -->");

	xml_line(&b, "<component typeCode=\"COMP\">");
	xml_line(&b, "<adverseEventAssessment classCode=\"INVSTG\" moodCode=\"EVN\">");
	xml_line(&b, "<subject1 typeCode=\"SBJ\">");
	xml_line(&b, "<primaryRole classCode=\"INVSBJ\">");
	xml_line(&b, "<player1 classCode=\"PSN\" determinerCode=\"INSTANCE\">");
	if (field_empty(c->patient_initials))
		xml_line(&b, "<name nullFlavor=\"UNK\"/>");
	else
		xml_text(&b, "name", "name", c->patient_initials);
	xml_line(&b, "<!-- D.1: patient (initials) -->");
	if (strcmp(c->sex, "male") == 0 || strcmp(c->sex, "female") == 0)
		xml_line(&b, "<administrativeGenderCode code=\"%d\" codeSystem=\"1.0.5218\"/>", strcmp(c->sex, "male") == 0 ? 1 : 2);
	else
		xml_line(&b, "<administrativeGenderCode nullFlavor=\"UNK\"/>");
	xml_line(&b, "<!-- D.5: sex -->");
	xml_line(&b, "<birthTime value=\"%s\"/>", birth);
	xml_line(&b, "<!-- D.2.1: date of birth -->");
	if (find_outcome(c->outcome)->e2b == 5) {
		char death[9];
		e2b_date(c->outcome_date, death);
		xml_line(&b, "<deceasedTime value=\"%s\"/>", death);
		xml_line(&b, "<!-- D.9.1: date of death -->");
	}
	xml_line(&b, "</player1>");
	for (int i = 0; i < c->term_count; i++)
		e2b_reaction(&b, c, &c->terms[i], reaction_uuids[i]);
	e2b_drug(&b, c, drug_uuid);
	xml_line(&b, "</primaryRole>");
	xml_line(&b, "</subject1>");
	xml_line(&b, "<component typeCode=\"COMP\">");
	xml_line(&b, "<causalityAssessment classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(&b, "<code code=\"20\" codeSystem=\"" E2B_OBS "\" displayName=\"interventionCharacterization\"/>");
	xml_line(&b, "<value xsi:type=\"CE\" code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.13\"/>");
	xml_line(&b, "<!-- G.k.1: characterisation of drug role (suspect) -->");
	xml_line(&b, "<subject2 typeCode=\"SUBJ\">");
	xml_line(&b, "<productUseReference classCode=\"SBADM\" moodCode=\"EVN\">");
	xml_line(&b, "<id root=\"%s\"/>", drug_uuid);
	xml_line(&b, "</productUseReference>");
	xml_line(&b, "</subject2>");
	xml_line(&b, "</causalityAssessment>");
	xml_line(&b, "</component>");
	for (int i = 0; i < c->term_count; i++)
		e2b_causality(&b, c, reaction_uuids[i], drug_uuid);
	xml_line(&b, "</adverseEventAssessment>");
	xml_line(&b, "</component>");

	xml_line(&b, "<component typeCode=\"COMP\">");
	xml_line(&b, "<observationEvent classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(&b, "<code code=\"1\" codeSystem=\"" E2B_OBS "\" displayName=\"additionalDocumentsAvailable\"/>");
	xml_line(&b, "<value xsi:type=\"BL\" value=\"false\"/>");
	xml_line(&b, "<!-- C.1.6.1: are additional documents available? -->");
	xml_line(&b, "</observationEvent>");
	xml_line(&b, "</component>");
	xml_line(&b, "<component typeCode=\"COMP\">");
	xml_line(&b, "<observationEvent classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(&b, "<code code=\"23\" codeSystem=\"" E2B_OBS "\" displayName=\"localCriteriaForExpedited\"/>");
	xml_line(&b, "<value xsi:type=\"BL\" value=\"%s\"/>", is_serious(c) ? "true" : "false");
	xml_line(&b, "<!-- C.1.7: does this case fulfil the local criteria for an expedited report? -->");
	xml_line(&b, "</observationEvent>");
	xml_line(&b, "</component>");

	xml_line(&b, "<outboundRelationship typeCode=\"SPRT\">");
	xml_line(&b, "<relatedInvestigation classCode=\"INVSTG\" moodCode=\"EVN\">");
	xml_line(&b, "<code code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.22\"/>");
	xml_line(&b, "<subjectOf2 typeCode=\"SUBJ\">");
	xml_line(&b, "<controlActEvent classCode=\"CACT\" moodCode=\"EVN\">");
	xml_line(&b, "<author typeCode=\"AUT\">");
	xml_line(&b, "<assignedEntity classCode=\"ASSIGNED\">");
	xml_line(&b, "<code code=\"2\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.3\"/>");
	xml_line(&b, "<!-- C.1.8.2: first sender of this case (other) -->");
	xml_line(&b, "</assignedEntity>");
	xml_line(&b, "</author>");
	xml_line(&b, "</controlActEvent>");
	xml_line(&b, "</subjectOf2>");
	xml_line(&b, "</relatedInvestigation>");
	xml_line(&b, "</outboundRelationship>");

	xml_line(&b, "<outboundRelationship typeCode=\"SPRT\">");
	xml_line(&b, "<priorityNumber value=\"1\"/>");
	xml_line(&b, "<!-- C.2.r.5: primary source for regulatory purposes -->");
	xml_line(&b, "<relatedInvestigation classCode=\"INVSTG\" moodCode=\"EVN\">");
	xml_line(&b, "<code code=\"2\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.22\"/>");
	xml_line(&b, "<subjectOf2 typeCode=\"SUBJ\">");
	xml_line(&b, "<controlActEvent classCode=\"CACT\" moodCode=\"EVN\">");
	xml_line(&b, "<author typeCode=\"AUT\">");
	xml_line(&b, "<assignedEntity classCode=\"ASSIGNED\">");
	xml_line(&b, "<assignedPerson classCode=\"PSN\" determinerCode=\"INSTANCE\">");
	xml_line(&b, "<asQualifiedEntity classCode=\"QUAL\">");
	xml_line(&b, "<code code=\"%d\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.6\"/>",
	         reporter_code(c->reporter_qualification));
	xml_line(&b, "<!-- C.2.r.4: qualification -->");
	xml_line(&b, "</asQualifiedEntity>");
	xml_line(&b, "<asLocatedEntity classCode=\"LOCE\">");
	xml_line(&b, "<location classCode=\"COUNTRY\" determinerCode=\"INSTANCE\">");
	xml_line(&b, "<code code=\"" COUNTRY "\" codeSystem=\"1.0.3166.1.2.2\"/>");
	xml_line(&b, "<!-- C.2.r.3: reporter's country code -->");
	xml_line(&b, "</location>");
	xml_line(&b, "</asLocatedEntity>");
	xml_line(&b, "</assignedPerson>");
	xml_line(&b, "</assignedEntity>");
	xml_line(&b, "</author>");
	xml_line(&b, "</controlActEvent>");
	xml_line(&b, "</subjectOf2>");
	xml_line(&b, "</relatedInvestigation>");
	xml_line(&b, "</outboundRelationship>");

	xml_line(&b, "<subjectOf1 typeCode=\"SUBJ\">");
	xml_line(&b, "<controlActEvent classCode=\"CACT\" moodCode=\"EVN\">");
	xml_line(&b, "<author typeCode=\"AUT\">");
	xml_line(&b, "<assignedEntity classCode=\"ASSIGNED\">");
	xml_line(&b, "<code code=\"3\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.7\"/>");
	xml_line(&b, "<!-- C.3.1: sender type (health professional) -->");
	xml_line(&b, "<representedOrganization classCode=\"ORG\" determinerCode=\"INSTANCE\">");
	xml_line(&b, "<assignedEntity classCode=\"ASSIGNED\">");
	xml_line(&b, "<representedOrganization classCode=\"ORG\" determinerCode=\"INSTANCE\">");
	xml_text(&b, "name", "name", c->sender_name);
	xml_line(&b, "<!-- C.3.2: sender's organisation -->");
	xml_line(&b, "</representedOrganization>");
	xml_line(&b, "</assignedEntity>");
	xml_line(&b, "</representedOrganization>");
	xml_line(&b, "</assignedEntity>");
	xml_line(&b, "</author>");
	xml_line(&b, "</controlActEvent>");
	xml_line(&b, "</subjectOf1>");

	xml_line(&b, "<subjectOf2 typeCode=\"SUBJ\">");
	xml_line(&b, "<investigationCharacteristic classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(&b, "<code code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.23\" displayName=\"ichReportType\"/>");
	xml_line(&b, "<value xsi:type=\"CE\" code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.2\"/>");
	xml_line(&b, "<!-- C.1.3: type of report (spontaneous) -->");
	xml_line(&b, "</investigationCharacteristic>");
	xml_line(&b, "</subjectOf2>");
	xml_line(&b, "<subjectOf2 typeCode=\"SUBJ\">");
	xml_line(&b, "<investigationCharacteristic classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(&b, "<code code=\"2\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.23\" displayName=\"otherCaseIds\"/>");
	xml_line(&b, "<value xsi:type=\"BL\" nullFlavor=\"NI\"/>");
	xml_line(&b, "<!-- C.1.9.1: other case identifiers in previous transmissions -->");
	xml_line(&b, "</investigationCharacteristic>");
	xml_line(&b, "</subjectOf2>");
	xml_line(&b, "</investigationEvent>");
	xml_line(&b, "</subject>");
	xml_line(&b, "</controlActProcess>");
	xml_line(&b, "</PORR_IN049016UV>");
	xml_line(&b, "<receiver typeCode=\"RCV\">");
	xml_line(&b, "<device classCode=\"DEV\" determinerCode=\"INSTANCE\">");
	xml_line(&b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.14\" extension=\"" E2B_RECEIVER_ID "\"/>");
	xml_line(&b, "<!-- N.1.4: batch receiver identifier -->");
	xml_line(&b, "</device>");
	xml_line(&b, "</receiver>");
	xml_line(&b, "<sender typeCode=\"SND\">");
	xml_line(&b, "<device classCode=\"DEV\" determinerCode=\"INSTANCE\">");
	xml_line(&b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.13\" extension=\"" E2B_SENDER_ID "\"/>");
	xml_line(&b, "<!-- N.1.3: batch sender identifier -->");
	xml_line(&b, "</device>");
	xml_line(&b, "</sender>");
	xml_line(&b, "</MCCI_IN200100UV01>");

	free(reaction_uuids);
	free(narrative);
	if (b.failed) {
		free(b.data);
		field_err(err, errlen, "out of memory");
		return NULL;
	}
	return b.data;
}
