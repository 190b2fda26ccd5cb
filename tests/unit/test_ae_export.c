/* Adverse-event exports: the FHIR R4 Bundle (resource types, references resolving within the
 * bundle, the seriousness/severity/outcome mappings, lots, QuestionnaireResponse value types)
 * and the E2B(R3) ICSR (identifiers, dates, codes, escaping of a hostile narrative,
 * well-formedness by an independent checker here and by Python's XML parser), and the bad
 * input both refuse with the field named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ae_export.h"

#include "testutil_ae_case.h"

#define HOSTILE_NARRATIVE "かゆみ <script>alert(\"x\")</script> & 'quote' ]]> --> end"

static const ae_export_term sample_terms[] = {
	{.code = "pruritus", .name_en = "Pruritus", .name_ja = "そう痒症", .meddra_code = "10037087", .grade = 2},
	{.code = "eczema", .name_en = "Eczema", .name_ja = "湿疹", .meddra_code = "10014184", .grade = 1},
};

static ae_export_case sample_case(void)
{
	ae_export_case c = {
		SAMPLE_CASE_COMMON,
		.sender_name = "Clinic <Tokyo> & Co",
		.meddra_version = "27.1",
		.reporter_qualification = "physician",
		.narrative = HOSTILE_NARRATIVE,
		.terms = sample_terms,
		.treatment = "Stopped the cream; antihistamine",
		.product_name = "Exosome cream for men",
		.manufacturer = "Example Bio K.K.",
		.questionnaire_answers_json = "{\"age\": 45, \"allergy\": true, \"allergy_to\": \"そば\", "
		                              "\"skin_site\": [\"eczema\", \"wound\"], \"last_visit\": \"2026-01-15\", "
		                              "\"note\": null, \"blank\": \"\", \"none\": []}",
	};
	return c;
}

/* ---- FHIR helpers ---- */

static json_t *parse_fhir(const ae_export_case *c)
{
	char err[256] = "";
	char *out = ae_export_fhir(c, err, sizeof err);
	if (out == NULL)
		fail_msg("ae_export_fhir: %s", err);
	json_error_t jerr;
	json_t *bundle = json_loads(out, 0, &jerr);
	if (bundle == NULL)
		fail_msg("not valid JSON: %s", jerr.text);
	free(out);
	return bundle;
}

/* The first entry's resource of this type, or NULL. */
static json_t *resource_of(json_t *bundle, const char *type, int nth)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(bundle, "entry"), i, e) {
		json_t *r = json_object_get(e, "resource");
		if (strcmp(json_string_value(json_object_get(r, "resourceType")), type) == 0 && nth-- == 0)
			return r;
	}
	return NULL;
}

static const char *str_at(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (s == NULL)
		fail_msg("no string \"%s\"", key);
	return s;
}

static bool is_uuid_urn(const char *s)
{
	if (strncmp(s, "urn:uuid:", 9) != 0 || strlen(s) != 9 + 36)
		return false;
	s += 9;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return false;
	}
	return s[14] == '8'; /* version 8 */
}

/* Every "reference" anywhere below v must be one of the bundle's fullUrls. */
static int check_references(json_t *v, json_t *full_urls)
{
	int n = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			if (strcmp(k, "reference") == 0) {
				const char *ref = json_string_value(x);
				assert_non_null(ref);
				if (json_object_get(full_urls, ref) == NULL)
					fail_msg("reference %s does not resolve within the bundle", ref);
				n++;
			} else {
				n += check_references(x, full_urls);
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) n += check_references(x, full_urls);
	}
	return n;
}

static const char *coding_code(json_t *concept)
{
	return str_at(json_array_get(json_object_get(concept, "coding"), 0), "code");
}

static void test_fhir_bundle_shape_and_references(void **state)
{
	(void)state;
	ae_export_case c = sample_case();
	json_t *b = parse_fhir(&c);
	assert_string_equal(str_at(b, "resourceType"), "Bundle");
	assert_string_equal(str_at(b, "type"), "collection");
	assert_string_equal(str_at(b, "timestamp"), "2026-03-01T09:30:00Z");
	json_t *entries = json_object_get(b, "entry");
	assert_int_equal(json_array_size(entries), 5); /* Patient, 2 Medication, QuestionnaireResponse, AdverseEvent */

	json_t *full_urls = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		const char *url = str_at(e, "fullUrl");
		if (!is_uuid_urn(url))
			fail_msg("fullUrl %s is not a urn:uuid (v8)", url);
		assert_null(json_object_get(full_urls, url)); /* unique */
		json_object_set_new(full_urls, url, json_true());
	}
	assert_non_null(resource_of(b, "Patient", 0));
	assert_non_null(resource_of(b, "Medication", 1));
	assert_non_null(resource_of(b, "QuestionnaireResponse", 0));
	assert_non_null(resource_of(b, "AdverseEvent", 0));
	/* subject ×2 (QuestionnaireResponse, AdverseEvent) + suspectEntity instance ×2 */
	assert_int_equal(check_references(b, full_urls), 4);

	/* The suspect entities are exactly the two Medications. */
	json_t *ae = resource_of(b, "AdverseEvent", 0);
	json_t *suspects = json_object_get(ae, "suspectEntity");
	assert_int_equal(json_array_size(suspects), 2);
	json_array_foreach(suspects, i, e) {
		const char *ref = str_at(json_object_get(e, "instance"), "reference");
		size_t j;
		json_t *entry;
		int hits = 0;
		json_array_foreach(entries, j, entry) if (strcmp(str_at(entry, "fullUrl"), ref) == 0) {
			assert_string_equal(str_at(json_object_get(entry, "resource"), "resourceType"), "Medication");
			hits++;
		}
		assert_int_equal(hits, 1);
	}
	json_decref(full_urls);
	json_decref(b);
}

static void test_fhir_is_reproducible(void **state)
{
	(void)state;
	ae_export_case c = sample_case();
	char err[128];
	char *a = ae_export_fhir(&c, err, sizeof err), *b = ae_export_fhir(&c, err, sizeof err);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	c.version = 3;
	char *d = ae_export_fhir(&c, err, sizeof err);
	assert_non_null(d);
	json_t *ja = json_loads(a, 0, NULL), *jd = json_loads(d, 0, NULL);
	assert_string_not_equal(str_at(json_array_get(json_object_get(ja, "entry"), 0), "fullUrl"),
	                        str_at(json_array_get(json_object_get(jd, "entry"), 0), "fullUrl"));
	json_decref(ja);
	json_decref(jd);
	free(a);
	free(b);
	free(d);
}

static void test_fhir_patient_and_medication(void **state)
{
	(void)state;
	ae_export_case c = sample_case();
	json_t *b = parse_fhir(&c);
	json_t *p = resource_of(b, "Patient", 0);
	assert_string_equal(str_at(p, "id"), "patient-7");
	assert_string_equal(str_at(p, "gender"), "male");
	assert_string_equal(str_at(p, "birthDate"), "1980-05-17");
	json_t *name = json_array_get(json_object_get(p, "name"), 0);
	assert_string_equal(str_at(name, "use"), "anonymous");
	assert_string_equal(str_at(name, "text"), "Y.H.");
	assert_null(json_object_get(name, "family"));

	json_t *m0 = resource_of(b, "Medication", 0), *m1 = resource_of(b, "Medication", 1);
	json_t *code = json_array_get(json_object_get(json_object_get(m0, "code"), "coding"), 0);
	assert_string_equal(str_at(code, "code"), "EXO-CREAM-M");
	assert_string_equal(str_at(code, "display"), "Exosome cream for men");
	assert_string_equal(str_at(json_object_get(m0, "manufacturer"), "display"), "Example Bio K.K.");
	assert_string_equal(str_at(json_object_get(m0, "batch"), "lotNumber"), "LOT-2026-001");
	assert_string_equal(str_at(json_object_get(m0, "batch"), "expirationDate"), "2027-03-31");
	assert_string_equal(str_at(json_object_get(m1, "batch"), "lotNumber"), "L&2<x>");
	assert_null(json_object_get(json_object_get(m1, "batch"), "expirationDate"));
	json_decref(b);

	/* Sex "other" and no lots: one Medication without batch. */
	c.sex = "other";
	c.lot_count = 0;
	c.lots = NULL;
	c.questionnaire_id = NULL;
	b = parse_fhir(&c);
	assert_int_equal(json_array_size(json_object_get(b, "entry")), 3);
	assert_string_equal(str_at(resource_of(b, "Patient", 0), "gender"), "other");
	assert_null(json_object_get(resource_of(b, "Medication", 0), "batch"));
	assert_null(resource_of(b, "QuestionnaireResponse", 0));
	json_decref(b);
}

static json_t *qr_item(json_t *qr, const char *link_id)
{
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(qr, "item"), i, item) if (strcmp(str_at(item, "linkId"), link_id) == 0) return item;
	return NULL;
}

static void test_fhir_questionnaire_response_value_types(void **state)
{
	(void)state;
	ae_export_case c = sample_case();
	json_t *b = parse_fhir(&c);
	json_t *qr = resource_of(b, "QuestionnaireResponse", 0);
	assert_string_equal(str_at(qr, "questionnaire"), "https://exosafe.example/Questionnaire/exosome-cream|1");
	assert_string_equal(str_at(qr, "status"), "completed");
	assert_string_equal(str_at(qr, "authored"), "2026-01-10T01:02:03Z");
	assert_int_equal(json_array_size(json_object_get(qr, "item")), 5);
	/* Items keep the answers' order. */
	assert_string_equal(str_at(json_array_get(json_object_get(qr, "item"), 0), "linkId"), "age");

	json_t *a = json_array_get(json_object_get(qr_item(qr, "age"), "answer"), 0);
	assert_int_equal(json_integer_value(json_object_get(a, "valueInteger")), 45);
	a = json_array_get(json_object_get(qr_item(qr, "allergy"), "answer"), 0);
	assert_true(json_is_true(json_object_get(a, "valueBoolean")));
	a = json_array_get(json_object_get(qr_item(qr, "allergy_to"), "answer"), 0);
	assert_string_equal(str_at(a, "valueString"), "そば");
	a = json_array_get(json_object_get(qr_item(qr, "last_visit"), "answer"), 0);
	assert_string_equal(str_at(a, "valueDate"), "2026-01-15");
	assert_null(json_object_get(a, "valueString"));
	json_t *codes = json_object_get(qr_item(qr, "skin_site"), "answer");
	assert_int_equal(json_array_size(codes), 2);
	assert_string_equal(str_at(json_object_get(json_array_get(codes, 0), "valueCoding"), "code"), "eczema");
	assert_string_equal(str_at(json_object_get(json_array_get(codes, 1), "valueCoding"), "code"), "wound");
	/* null, "" and [] are unanswered. */
	assert_null(qr_item(qr, "note"));
	assert_null(qr_item(qr, "blank"));
	assert_null(qr_item(qr, "none"));
	json_decref(b);

	/* No answers at all: no empty "item" array (FHIR forbids empty arrays). */
	c.questionnaire_answers_json = "{}";
	b = parse_fhir(&c);
	assert_null(json_object_get(resource_of(b, "QuestionnaireResponse", 0), "item"));
	json_decref(b);
}

static void test_fhir_adverse_event_mappings(void **state)
{
	(void)state;
	ae_export_case c = sample_case();
	json_t *b = parse_fhir(&c);
	json_t *ae = resource_of(b, "AdverseEvent", 0);
	assert_string_equal(str_at(ae, "actuality"), "actual");
	assert_string_equal(str_at(ae, "date"), "2026-02-20");
	assert_string_equal(str_at(ae, "detected"), "2026-02-20");
	assert_string_equal(str_at(ae, "recordedDate"), "2026-03-01T09:30:00Z");
	assert_string_equal(str_at(json_object_get(ae, "identifier"), "value"), "42");

	json_t *event = json_object_get(json_object_get(ae, "event"), "coding");
	assert_int_equal(json_array_size(event), 2);
	assert_string_equal(str_at(json_array_get(event, 0), "system"), "http://exosafe.example/CodeSystem/ctcae-v5");
	assert_string_equal(str_at(json_array_get(event, 0), "code"), "pruritus");
	assert_string_equal(str_at(json_array_get(event, 1), "system"), "http://terminology.hl7.org/CodeSystem/mdr");
	assert_string_equal(str_at(json_array_get(event, 1), "code"), "10037087");
	assert_string_equal(str_at(json_array_get(event, 1), "version"), "27.1"); /* the setting, not CTCAE's 20.1 */

	assert_string_equal(coding_code(json_object_get(ae, "seriousness")), "Serious");
	assert_string_equal(coding_code(json_object_get(ae, "severity")), "moderate");
	assert_string_equal(coding_code(json_object_get(ae, "outcome")), "recovering");
	assert_string_equal(str_at(json_array_get(json_object_get(json_object_get(ae, "outcome"), "coding"), 0), "system"),
	                    "http://terminology.hl7.org/CodeSystem/adverse-event-outcome");

	json_t *causality = json_array_get(json_object_get(json_array_get(json_object_get(ae, "suspectEntity"), 0), "causality"), 0);
	assert_string_equal(coding_code(json_object_get(causality, "assessment")), "Probably-Likely");
	assert_string_equal(str_at(json_object_get(causality, "method"), "text"), "WHO-UMC");

	/* Every term with its grade. */
	json_t *ext = json_object_get(ae, "extension");
	assert_int_equal(json_array_size(ext), 2);
	json_t *second = json_object_get(json_array_get(ext, 1), "extension");
	assert_string_equal(str_at(json_object_get(json_array_get(second, 0), "valueCoding"), "code"), "eczema");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(second, 1), "valueInteger")), 1);

	/* The narrative is XHTML-escaped inside the JSON string. */
	const char *div = str_at(json_object_get(ae, "text"), "div");
	assert_non_null(strstr(div, "&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; 'quote' ]]&gt;"));
	assert_null(strstr(div, "<script"));
	assert_non_null(strstr(div, "<p>Treatment: Stopped the cream; antihistamine</p>"));
	json_decref(b);

	/* Severity from the highest grade; non-serious without criteria; the outcome codes. */
	static const struct {
		const char *outcome;
		const char *fhir;
	} outcomes[] = {{"recovered", "resolved"},         {"recovering", "recovering"},
	                {"not_recovered", "ongoing"},      {"recovered_with_sequelae", "resolvedWithSequelae"},
	                {"unknown", "unknown"}};
	ae_export_term one = sample_terms[0];
	c.terms = &one;
	c.term_count = 1;
	c.other_medically_important = false;
	for (size_t k = 0; k < sizeof outcomes / sizeof outcomes[0]; k++) {
		one.grade = (int)k % 3 + 1;
		c.outcome = outcomes[k].outcome;
		b = parse_fhir(&c);
		ae = resource_of(b, "AdverseEvent", 0);
		assert_string_equal(coding_code(json_object_get(ae, "outcome")), outcomes[k].fhir);
		assert_string_equal(coding_code(json_object_get(ae, "seriousness")), "Non-serious");
		assert_string_equal(coding_code(json_object_get(ae, "severity")),
		                    one.grade == 1 ? "mild" : one.grade == 2 ? "moderate" : "severe");
		json_decref(b);
	}
	/* A term without a MedDRA code has only the CTCAE coding. */
	one.meddra_code = "";
	b = parse_fhir(&c);
	assert_int_equal(json_array_size(json_object_get(json_object_get(resource_of(b, "AdverseEvent", 0), "event"), "coding")), 1);
	json_decref(b);
	/* Fatal. */
	one.grade = 5;
	c.outcome = "fatal";
	c.outcome_date = "2026-02-25";
	c.death = true;
	b = parse_fhir(&c);
	ae = resource_of(b, "AdverseEvent", 0);
	assert_string_equal(coding_code(json_object_get(ae, "outcome")), "fatal");
	assert_string_equal(coding_code(json_object_get(ae, "severity")), "severe");
	assert_string_equal(coding_code(json_object_get(ae, "seriousness")), "Serious");
	json_decref(b);
}

/* ---- E2B ---- */

/* An independent, minimal XML 1.0 well-formedness check: one root, tags nest and match,
 * attributes quoted and unique, every '&' an entity, no '<' in text or values, comments
 * without "--". Returns NULL or the reason. */
static const char *xml_check_entity(const char **p)
{
	static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	for (size_t i = 0; i < 5; i++)
		if (strncmp(*p, names[i], strlen(names[i])) == 0) {
			*p += strlen(names[i]);
			return NULL;
		}
	if ((*p)[1] == '#') {
		const char *q = *p + 2;
		bool hex = *q == 'x';
		q += hex;
		const char *start = q;
		while (hex ? strchr("0123456789abcdefABCDEF", *q) && *q : (*q >= '0' && *q <= '9'))
			q++;
		if (q > start && *q == ';') {
			*p = q + 1;
			return NULL;
		}
	}
	return "bad entity reference";
}

static bool name_char(char ch, bool first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':' || (unsigned char)ch >= 0x80 ||
	       (!first && ((ch >= '0' && ch <= '9') || ch == '-' || ch == '.'));
}

static const char *xml_well_formed(const char *s)
{
	char stack[64][64];
	int depth = 0, roots = 0;
	const char *p = s;
	if (strncmp(p, "<?xml ", 6) == 0) {
		p = strstr(p, "?>");
		if (p == NULL)
			return "unterminated declaration";
		p += 2;
	}
	while (*p) {
		if (*p != '<') {
			if (*p == '&') {
				const char *why = xml_check_entity(&p);
				if (why)
					return why;
				continue;
			}
			if (depth == 0 && !strchr(" \t\r\n", *p))
				return "text outside the root element";
			p++;
			continue;
		}
		if (strncmp(p, "<!--", 4) == 0) {
			const char *end = strstr(p + 4, "--");
			if (end == NULL || end[2] != '>')
				return "bad comment";
			p = end + 3;
			continue;
		}
		if (strncmp(p, "<![CDATA[", 9) == 0 || strncmp(p, "<!", 2) == 0 || strncmp(p, "<?", 2) == 0)
			return "unexpected markup declaration";
		bool closing = p[1] == '/';
		p += closing ? 2 : 1;
		const char *name = p;
		if (!name_char(*p, true))
			return "bad tag name";
		while (name_char(*p, false))
			p++;
		size_t len = (size_t)(p - name);
		if (len >= 64)
			return "tag name too long";
		if (closing) {
			while (*p == ' ' || *p == '\n')
				p++;
			if (*p != '>')
				return "bad closing tag";
			p++;
			if (depth == 0 || strlen(stack[depth - 1]) != len || strncmp(stack[depth - 1], name, len) != 0)
				return "mismatched closing tag";
			depth--;
			continue;
		}
		char attrs[32][64];
		int nattrs = 0;
		for (;;) {
			bool space = false;
			while (*p == ' ' || *p == '\n' || *p == '\t') {
				p++;
				space = true;
			}
			if (*p == '>' || (p[0] == '/' && p[1] == '>'))
				break;
			if (!space || !name_char(*p, true))
				return "bad attribute";
			const char *an = p;
			while (name_char(*p, false))
				p++;
			size_t alen = (size_t)(p - an);
			if (alen >= 64 || nattrs >= 32)
				return "attribute too long";
			for (int i = 0; i < nattrs; i++)
				if (strlen(attrs[i]) == alen && strncmp(attrs[i], an, alen) == 0)
					return "duplicate attribute";
			memcpy(attrs[nattrs], an, alen);
			attrs[nattrs++][alen] = '\0';
			if (*p++ != '=')
				return "attribute without =";
			char quote = *p++;
			if (quote != '"' && quote != '\'')
				return "unquoted attribute";
			while (*p != quote) {
				if (*p == '\0' || *p == '<')
					return "bad attribute value";
				if (*p == '&') {
					const char *why = xml_check_entity(&p);
					if (why)
						return why;
				} else {
					p++;
				}
			}
			p++;
		}
		bool empty_element = *p == '/';
		p += empty_element ? 2 : 1;
		if (depth == 0) {
			if (++roots > 1)
				return "more than one root element";
		}
		if (!empty_element) {
			if (depth >= 64)
				return "too deep";
			memcpy(stack[depth], name, len);
			stack[depth++][len] = '\0';
		}
	}
	if (depth != 0)
		return "unclosed element";
	if (roots != 1)
		return "no root element";
	return NULL;
}

static char *e2b_of(const ae_export_case *c)
{
	char err[256] = "";
	char *out = ae_export_e2b(c, err, sizeof err);
	if (out == NULL)
		fail_msg("ae_export_e2b: %s", err);
	const char *why = xml_well_formed(out);
	if (why != NULL)
		fail_msg("not well-formed XML: %s", why);
	/* Drop the indentation so that the checks below do not depend on it. */
	char *w = out;
	for (const char *r = out; *r; r++) {
		*w++ = *r;
		if (*r == '\n')
			while (r[1] == ' ')
				r++;
	}
	*w = '\0';
	return out;
}

static void has(const char *xml, const char *needle)
{
	if (strstr(xml, needle) == NULL)
		fail_msg("missing: %s", needle);
}

static int count(const char *xml, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(xml, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_xml_checker_itself(void **state)
{
	(void)state;
	assert_null(xml_well_formed("<?xml version=\"1.0\"?>\n<a x=\"1\"><b>t &amp; u</b><c/><!-- ok --></a>\n"));
	assert_non_null(xml_well_formed("<a><b></a></b>"));
	assert_non_null(xml_well_formed("<a>x & y</a>"));
	assert_non_null(xml_well_formed("<a x=\"<\"/>"));
	assert_non_null(xml_well_formed("<a x=\"1\" x=\"2\"/>"));
	assert_non_null(xml_well_formed("<a/><b/>"));
	assert_non_null(xml_well_formed("<a><!-- a -- b --></a>"));
	assert_non_null(xml_well_formed("<a>"));
}

static void test_e2b_ids_dates_and_codes(void **state)
{
	(void)state;
	ae_export_case c = sample_case();
	char *x = e2b_of(&c);
	has(x, "<MCCI_IN200100UV01 ITSVersion=\"XML_1.0\" xmlns=\"urn:hl7-org:v3\"");
	assert_int_equal(count(x, "<PORR_IN049016UV>"), 1);
	has(x, "<interactionId root=\"2.16.840.1.113883.1.6\" extension=\"PORR_IN049016UV\"/>");
	/* Batch and message ids, creation times (UTC). */
	has(x, "<id root=\"2.16.840.1.113883.3.989.2.1.3.22\" extension=\"EXOSAFE-B-42-2\"/>");
	has(x, "<id root=\"2.16.840.1.113883.3.989.2.1.3.1\" extension=\"EXOSAFE-M-42-2\"/>");
	assert_int_equal(count(x, "<creationTime value=\"20260301093000\"/>"), 2);
	has(x, "<effectiveTime value=\"20260301093000\"/>");
	/* C.1.1 and C.1.8.1 from the case id, C.1.3 spontaneous, C.1.4 and C.1.5. */
	has(x, "<id root=\"2.16.840.1.113883.3.989.2.1.3.1\" extension=\"JP-EXOSAFE-42\"/>");
	has(x, "<id root=\"2.16.840.1.113883.3.989.2.1.3.2\" extension=\"JP-EXOSAFE-42\"/>");
	has(x, "<value xsi:type=\"CE\" code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.2\"/>");
	has(x, "<low value=\"20260221230507\"/>");
	has(x, "<availabilityTime value=\"20260301093000\"/>");
	/* C.1.7 expedited because serious; C.2.r.4 physician; C.3.2 the clinic, escaped. */
	has(x, "<code code=\"23\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.19\" displayName=\"localCriteriaForExpedited\"/>\n"
	       "<value xsi:type=\"BL\" value=\"true\"/>");
	has(x, "<code code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.6\"/>");
	has(x, "<name>Clinic &lt;Tokyo&gt; &amp; Co</name>");
	/* Patient. */
	has(x, "<name>Y.H.</name>");
	has(x, "<administrativeGenderCode code=\"1\" codeSystem=\"1.0.5218\"/>");
	has(x, "<birthTime value=\"19800517\"/>");
	assert_null(strstr(x, "deceasedTime"));
	/* Reactions: MedDRA code when known, else the term as reported; translation; start. */
	assert_int_equal(count(x, "displayName=\"reaction\"/>"), 2);
	has(x, "<value xsi:type=\"CE\" code=\"10037087\" codeSystem=\"2.16.840.1.113883.6.163\" codeSystemVersion=\"27.1\">");
	has(x, "<originalText language=\"jpn\">そう痒症</originalText>");
	has(x, "<value xsi:type=\"CE\" code=\"10014184\" codeSystem=\"2.16.840.1.113883.6.163\" codeSystemVersion=\"27.1\">");
	has(x, "<originalText language=\"jpn\">湿疹</originalText>");
	assert_null(strstr(x, "<value xsi:type=\"CE\">")); /* no reaction without its MedDRA code */
	has(x, "<value xsi:type=\"ED\" language=\"eng\">Pruritus</value>");
	assert_int_equal(count(x, "<low value=\"20260220\"/>"), 2);
	assert_null(strstr(x, "<high value="));
	/* Seriousness: only "other medically important" (26) is true, per reaction. */
	assert_int_equal(count(x, "<value xsi:type=\"BL\" value=\"true\"/>"), 2 + 1); /* 2 reactions + C.1.7 */
	has(x, "<code code=\"26\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.19\"/>\n"
	       "<value xsi:type=\"BL\" value=\"true\"/>");
	has(x, "<code code=\"34\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.19\"/>\n"
	       "<value xsi:type=\"BL\" nullFlavor=\"NI\"/>");
	/* E.i.7 recovering = 2. */
	assert_int_equal(count(x, "<value xsi:type=\"CE\" code=\"2\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.11\"/>"), 2);
	/* Drug: suspect, name as reported, both lots, escaped. */
	has(x, "<value xsi:type=\"CE\" code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.13\"/>");
	has(x, "<name>Exosome cream for men</name>");
	has(x, "<lotNumberText>LOT-2026-001</lotNumberText>");
	has(x, "<lotNumberText>L&amp;2&lt;x&gt;</lotNumberText>");
	/* G.k.4.r.7 as in the FDA's example instance: no id under productInstanceInstance. */
	assert_null(strstr(x, "<id nullFlavor"));
	/* The file says what it is. */
	has(x, "<!-- " AE_E2B_NOTICE " -->");
	has(x, "It is not a PMDA gateway submission");
	/* Causality per reaction, WHO-UMC. */
	assert_int_equal(count(x, "<value xsi:type=\"ST\">Probable/Likely</value>"), 2);
	assert_int_equal(count(x, "<originalText>WHO-UMC</originalText>"), 2);
	free(x);
}

static void test_e2b_escapes_hostile_narrative(void **state)
{
	(void)state;
	ae_export_case c = sample_case();
	char *x = e2b_of(&c);
	has(x, "<text>かゆみ &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;quote&apos; ]]&gt; --&gt; end\n\n"
	       "Treatment: Stopped the cream; antihistamine\n\nCTCAE v5.0: Pruritus grade 2; "
	       "Eczema grade 1</text>");
	assert_null(strstr(x, "<script"));
	assert_null(strstr(x, "'quote'"));
	free(x);
}

/* Python's XML parser (an independent implementation) agrees the message is well-formed and
 * reads the narrative back unchanged. Skipped when /usr/bin/python3 is not there. */
static void test_e2b_parses_with_python(void **state)
{
	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	ae_export_case c = sample_case();
	char *x = e2b_of(&c);
	char path[] = "/tmp/exosafe_e2b_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(x, f);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof cmd,
	         "/usr/bin/python3 -c 'import sys, xml.dom.minidom, xml.etree.ElementTree as ET\n"
	         "xml.dom.minidom.parse(sys.argv[1])\n"
	         "ns = \"{urn:hl7-org:v3}\"\n"
	         "r = ET.parse(sys.argv[1]).getroot()\n"
	         "t = r.find(\".//\" + ns + \"investigationEvent/\" + ns + \"text\").text\n"
	         "lots = [e.text for e in r.iter(ns + \"lotNumberText\")]\n"
	         "sys.stdout.buffer.write((t.split(\"\\n\")[0] + \"|\" + \",\".join(lots)).encode())' %s",
	         path);
	FILE *py = popen(cmd, "r");
	assert_non_null(py);
	char got[512] = "";
	size_t n = fread(got, 1, sizeof got - 1, py);
	got[n] = '\0';
	int rc = pclose(py);
	unlink(path);
	if (rc != 0)
		fail_msg("python3 could not parse the E2B message (status %d)", rc);
	assert_string_equal(got, HOSTILE_NARRATIVE "|LOT-2026-001,L&2<x>");
	free(x);
}

static void test_e2b_fatal_female_other(void **state)
{
	(void)state;
	ae_export_case c = sample_case();
	ae_export_term t = {.code = "anaphylaxis", .name_en = "Anaphylaxis", .name_ja = "アナフィラキシー",
	                    .meddra_code = "10002218", .grade = 5};
	c.terms = &t;
	c.term_count = 1;
	c.outcome = "fatal";
	c.outcome_date = "2026-02-22";
	c.death = true;
	c.life_threatening = true;
	c.sex = "female";
	c.reporter_qualification = "patient";
	c.patient_initials = "";
	c.lot_count = 0;
	c.lots = NULL;
	char *x = e2b_of(&c);
	has(x, "<administrativeGenderCode code=\"2\" codeSystem=\"1.0.5218\"/>");
	has(x, "<deceasedTime value=\"20260222\"/>");
	has(x, "<high value=\"20260222\"/>");
	has(x, "<value xsi:type=\"CE\" code=\"5\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.11\"/>");
	has(x, "<code code=\"34\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.19\"/>\n"
	       "<value xsi:type=\"BL\" value=\"true\"/>");
	has(x, "<code code=\"21\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.19\"/>\n"
	       "<value xsi:type=\"BL\" value=\"true\"/>");
	has(x, "<code code=\"5\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.6\"/>"); /* consumer */
	has(x, "<name nullFlavor=\"UNK\"/>");
	has(x, "<lotNumberText nullFlavor=\"UNK\"/>");
	free(x);

	/* Sex "other": nullFlavor UNK. Outcomes: unknown 0, not recovered 3, with sequelae 4. */
	c.sex = "other";
	c.outcome = "unknown";
	c.death = false;
	c.outcome_date = "";
	x = e2b_of(&c);
	has(x, "<administrativeGenderCode nullFlavor=\"UNK\"/>");
	has(x, "code=\"0\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.11\"/>");
	free(x);
	c.outcome = "not_recovered";
	x = e2b_of(&c);
	has(x, "code=\"3\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.11\"/>");
	free(x);
	c.outcome = "recovered_with_sequelae";
	c.outcome_date = "2026-03-01";
	x = e2b_of(&c);
	has(x, "code=\"4\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.11\"/>");
	has(x, "<high value=\"20260301\"/>");
	free(x);
	c.outcome = "recovered";
	c.life_threatening = false;
	c.other_medically_important = false;
	x = e2b_of(&c);
	has(x, "code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.11\"/>");
	has(x, "<value xsi:type=\"BL\" value=\"false\"/>\n<!-- C.1.7");
	free(x);
}

static void expect_refused(const ae_export_case *c, const char *field);

/* E.i.2.1a/b are required for every reaction: a reaction without a MedDRA code, a CTCAE
 * "Other, specify" term, or no MedDRA version refuse the E2B export, naming what to code;
 * FHIR still exports (its MedDRA coding is optional). */
static void test_e2b_refuses_uncoded_reactions(void **state)
{
	(void)state;
	char err[512];
	ae_export_term terms[2] = {sample_terms[0], sample_terms[1]};
	ae_export_case c = sample_case();
	c.terms = terms;
	terms[1].meddra_code = "";
	assert_null(ae_export_e2b(&c, err, sizeof err));
	assert_non_null(strstr(err, "terms[1]"));
	assert_non_null(strstr(err, "\"Eczema\" has no MedDRA code"));
	assert_int_equal(ae_check_reactions_coded(&c, err, sizeof err), -1);
	char *fhir = ae_export_fhir(&c, err, sizeof err);
	assert_non_null(fhir);
	free(fhir);

	ae_export_term other = {.code = "skin_other",
	                        .name_en = "Skin and subcutaneous tissue disorders - Other, specify",
	                        .name_ja = "皮膚および皮下組織障害、その他(具体的に記載)",
	                        .meddra_code = "",
	                        .grade = 1};
	terms[1] = other;
	assert_null(ae_export_e2b(&c, err, sizeof err));
	assert_non_null(strstr(err, "terms[1]"));
	assert_non_null(strstr(err, "\"Other, specify\" term; code the specific event"));
	/* Refused even with a code: the catch-all term is not the event. */
	terms[1].meddra_code = "10040785";
	assert_null(ae_export_e2b(&c, err, sizeof err));
	assert_non_null(strstr(err, "Other, specify"));

	c = sample_case();
	c.meddra_version = NULL;
	assert_null(ae_export_e2b(&c, err, sizeof err));
	assert_non_null(strstr(err, "meddra_version"));
	fhir = ae_export_fhir(&c, err, sizeof err); /* FHIR then leaves Coding.version out */
	assert_non_null(fhir);
	assert_null(strstr(fhir, "\"version\""));
	free(fhir);
	static const char *const bad_versions[] = {"20", "27.10", "v27.1", "127.1"};
	for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
		c.meddra_version = bad_versions[i];
		expect_refused(&c, "meddra_version");
	}
	c.meddra_version = "9.0";
	assert_int_equal(ae_check_reactions_coded(&c, err, sizeof err), 0);
}

/* ---- bad input ---- */

static void expect_refused(const ae_export_case *c, const char *field)
{
	char err[256] = "";
	char *out = ae_export_fhir(c, err, sizeof err);
	if (out != NULL) {
		free(out);
		fail_msg("FHIR export accepted a case with a bad %s", field);
	}
	if (strstr(err, field) == NULL)
		fail_msg("FHIR error \"%s\" does not name %s", err, field);
	err[0] = '\0';
	out = ae_export_e2b(c, err, sizeof err);
	if (out != NULL) {
		free(out);
		fail_msg("E2B export accepted a case with a bad %s", field);
	}
	if (strstr(err, field) == NULL)
		fail_msg("E2B error \"%s\" does not name %s", err, field);
}

static void test_bad_input(void **state)
{
	(void)state;
	char err[128];
	assert_null(ae_export_fhir(NULL, err, sizeof err));
	assert_null(ae_export_e2b(NULL, err, sizeof err));

	ae_export_case c;
	ae_export_term bad[2];
	ae_export_lot no_number[1] = {{.lot_number = "", .expires_on = ""}};
	/* One row a refusal: the change to the sample case, and the field the error must name. */
#define CASE(mutation, field)                                                                                  \
	do {                                                                                                       \
		c = sample_case();                                                                                     \
		bad[0] = sample_terms[0];                                                                              \
		bad[1] = sample_terms[1];                                                                              \
		mutation;                                                                                              \
		expect_refused(&c, field);                                                                             \
	} while (0)
	CASE((c.outcome = "fatal", c.death = true, c.outcome_date = ""), "outcome_date");
	CASE((c.outcome = "fatal", c.death = true, c.outcome_date = NULL), "outcome_date");
	CASE((c.outcome = "fatal", c.death = true, c.outcome_date = "2026-02-31"), "outcome_date");
	CASE((c.outcome = "fatal", c.death = false, c.outcome_date = "2026-02-25"), "death");
	CASE(c.term_count = 0, "terms");
	CASE((c.terms = NULL, c.term_count = 1), "terms");
	CASE((c.terms = bad, bad[1].grade = 0), "terms[1].grade");
	CASE((c.terms = bad, bad[1].grade = 6), "terms[1].grade");
	CASE((c.terms = bad, bad[0].code = ""), "terms[0].code");
	CASE((c.terms = bad, bad[0].meddra_code = "1003\"7"), "terms[0].meddra_code");
	CASE(c.birth_date = NULL, "birth_date");
	CASE(c.birth_date = "17/05/1980", "birth_date");
	CASE(c.sex = NULL, "sex");
	CASE(c.sex = "unknown", "sex");
	CASE(c.product_name = NULL, "product_name");
	CASE(c.product_code = "", "product_code");
	CASE(c.onset_date = "", "onset_date");
	CASE(c.outcome = "better", "outcome");
	CASE(c.causality = "related", "causality");
	CASE(c.narrative = "bell \a inside", "narrative");
	CASE(c.patient_initials = "\xff\xfe", "patient_initials");
	CASE(c.lots = NULL /* a count without lots */, "lots");
	CASE((c.lots = NULL, c.lot_count = -1), "lots");
	CASE((c.lots = no_number, c.lot_count = 1), "lots[0].lot_number");
	CASE(c.sender_name = "", "sender_name");
	CASE(c.reporter_qualification = "nurse", "reporter_qualification");
	CASE(c.case_id = 0, "case_id");
#undef CASE

	/* Questionnaire answers (FHIR only). */
	c = sample_case();
	c.questionnaire_answers_json = "not json";
	assert_null(ae_export_fhir(&c, err, sizeof err));
	assert_non_null(strstr(err, "answers_json"));
	c.questionnaire_answers_json = "{\"skin_site\": [1, 2]}";
	assert_null(ae_export_fhir(&c, err, sizeof err));
	assert_non_null(strstr(err, "skin_site"));
	c.questionnaire_answers_json = "{\"nested\": {\"a\": 1}}";
	assert_null(ae_export_fhir(&c, err, sizeof err));
	assert_non_null(strstr(err, "nested"));
	c.questionnaire_answers_json = "{}";
	c.questionnaire_version = 0;
	assert_null(ae_export_fhir(&c, err, sizeof err));
	assert_non_null(strstr(err, "questionnaire_version"));
	char *x = ae_export_e2b(&c, err, sizeof err); /* E2B does not use the questionnaire */
	assert_non_null(x);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fhir_bundle_shape_and_references),
		cmocka_unit_test(test_fhir_is_reproducible),
		cmocka_unit_test(test_fhir_patient_and_medication),
		cmocka_unit_test(test_fhir_questionnaire_response_value_types),
		cmocka_unit_test(test_fhir_adverse_event_mappings),
		cmocka_unit_test(test_xml_checker_itself),
		cmocka_unit_test(test_e2b_ids_dates_and_codes),
		cmocka_unit_test(test_e2b_escapes_hostile_narrative),
		cmocka_unit_test(test_e2b_parses_with_python),
		cmocka_unit_test(test_e2b_fatal_female_other),
		cmocka_unit_test(test_e2b_refuses_uncoded_reactions),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
