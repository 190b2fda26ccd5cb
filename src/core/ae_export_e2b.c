/* The ICH E2B(R3) export of one adverse-event case (ae_export_e2b). It first checks the case
 * (ae_check_case, ae_check_reactions_coded) and refuses an incomplete one with a message naming
 * the field. The message is written section by section, in the order of the ICH reference
 * instance: N (batch and message headers), C.1 (case), D with E and G (patient, reactions,
 * drug), G.k.9 (causality), C.1.6–C.3 (flags, sources, sender); H.1 (narrative) sits in C.1.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ae_export_internal.h"
#include "core/field_check.h"
#include "core/strbuf.h"

/* ---- indented XML ---- */

/* The message being written and its nesting, for indentation. */
typedef struct xml_out {
	strbuf text;
	int depth;
} xml_out;

static void indent(xml_out *b)
{
	for (int i = 0; i < b->depth; i++)
		strbuf_puts(&b->text, "  ");
}

/* Writes one line of markup built from fmt (our own tags and attribute values that are
 * digits, codes or UUIDs, never case text). An opening tag nests the following lines, a
 * closing tag ends the nesting; "<x/>" and "<x>…</x>" leave it unchanged. */
__attribute__((format(printf, 2, 3))) static void xml_line(xml_out *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line) {
		b->text.failed = true;
		return;
	}
	bool closing = strncmp(line, "</", 2) == 0;
	bool self_contained = (n >= 2 && strcmp(line + n - 2, "/>") == 0) || strstr(line + 1, "</") != NULL ||
	                      strncmp(line, "<!--", 4) == 0 || strncmp(line, "<?", 2) == 0;
	if (closing)
		b->depth--;
	indent(b);
	strbuf_put(&b->text, line, (size_t)n);
	strbuf_puts(&b->text, "\n");
	if (!closing && !self_contained)
		b->depth++;
}

/* Writes <open>text</tag> with text escaped. */
static void xml_text(xml_out *b, const char *open, const char *tag, const char *text)
{
	indent(b);
	strbuf_puts(&b->text, "<");
	strbuf_puts(&b->text, open);
	strbuf_puts(&b->text, ">");
	strbuf_xml(&b->text, text);
	strbuf_puts(&b->text, "</");
	strbuf_puts(&b->text, tag);
	strbuf_puts(&b->text, ">\n");
}

/* ---- E2B(R3) ---- */

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

static void e2b_bool_obs(xml_out *b, int code, bool value, const char *element)
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

static void e2b_reaction(xml_out *b, const ae_export_case *c, const ae_export_term *t, const char *uuid)
{
	const outcome_map *o = ae_find_outcome(c->outcome);
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

static void e2b_drug(xml_out *b, const ae_export_case *c, const char *drug_uuid)
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
	strbuf info = {0};
	strbuf_puts(&info, "Product code: ");
	strbuf_puts(&info, c->product_code);
	if (!field_empty(c->manufacturer)) {
		strbuf_puts(&info, "; manufacturer: ");
		strbuf_puts(&info, c->manufacturer);
	}
	char *info_text = strbuf_finish(&info);
	xml_line(b, "<outboundRelationship2 typeCode=\"REFR\">");
	xml_line(b, "<observation classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"2\" codeSystem=\"" E2B_OBS "\" displayName=\"additionalInformation\"/>");
	if (info_text == NULL)
		b->text.failed = true;
	else
		xml_text(b, "value xsi:type=\"ST\"", "value", info_text);
	free(info_text);
	xml_line(b, "<!-- G.k.11: additional information on drug -->");
	xml_line(b, "</observation>");
	xml_line(b, "</outboundRelationship2>");
	xml_line(b, "</substanceAdministration>");
	xml_line(b, "</component>");
	xml_line(b, "</organizer>");
	xml_line(b, "</subjectOf2>");
}

/* The reference from an assessment to the drug it is about (its substanceAdministration id). */
static void e2b_product_use(xml_out *b, const char *drug_uuid)
{
	xml_line(b, "<subject2 typeCode=\"SUBJ\">");
	xml_line(b, "<productUseReference classCode=\"SBADM\" moodCode=\"EVN\">");
	xml_line(b, "<id root=\"%s\"/>", drug_uuid);
	xml_line(b, "</productUseReference>");
	xml_line(b, "</subject2>");
}

static void e2b_causality(xml_out *b, const ae_export_case *c, const char *reaction_uuid, const char *drug_uuid)
{
	const causality_map *cm = ae_find_causality(c->causality);
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
	e2b_product_use(b, drug_uuid);
	xml_line(b, "</causalityAssessment>");
	xml_line(b, "</component>");
}

/* H.1: the narrative, the treatment and the CTCAE grading. */
static char *e2b_narrative(const ae_export_case *c)
{
	strbuf n = {0};
	strbuf_puts(&n, field_empty(c->narrative) ? "" : c->narrative);
	if (!field_empty(c->treatment)) {
		strbuf_puts(&n, n.len ? "\n\nTreatment: " : "Treatment: ");
		strbuf_puts(&n, c->treatment);
	}
	strbuf_puts(&n, n.len ? "\n\nCTCAE v5.0: " : "CTCAE v5.0: ");
	for (int i = 0; i < c->term_count; i++) {
		char grade[24];
		snprintf(grade, sizeof grade, " grade %d", c->terms[i].grade);
		if (i > 0)
			strbuf_puts(&n, "; ");
		strbuf_puts(&n, c->terms[i].name_en);
		strbuf_puts(&n, grade);
	}
	return strbuf_finish(&n);
}

/* N.1 and N.2: the batch and message headers, up to the control act (C.1.2). */
static void e2b_message_header(xml_out *b, const ae_export_case *c, const char *created)
{
	const int64_t id = c->case_id;
	const int v = c->version;
	xml_line(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
	xml_line(b, "<!-- " AE_E2B_NOTICE " -->");
	xml_line(b, "<MCCI_IN200100UV01 ITSVersion=\"XML_1.0\" xmlns=\"urn:hl7-org:v3\" "
	             "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	             "xsi:schemaLocation=\"urn:hl7-org:v3 MCCI_IN200100UV01.xsd\">");
	xml_line(b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.22\" extension=\"EXOSAFE-B-%" PRId64 "-%d\"/>", id, v);
	xml_line(b, "<!-- N.1.2: batch number -->");
	xml_line(b, "<creationTime value=\"%s\"/>", created);
	xml_line(b, "<!-- N.1.5: date of batch transmission (UTC) -->");
	xml_line(b, "<responseModeCode code=\"D\"/>");
	xml_line(b, "<interactionId root=\"2.16.840.1.113883.1.6\" extension=\"MCCI_IN200100UV01\"/>");
	xml_line(b, "<name code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.1\"/>");
	xml_line(b, "<!-- N.1.1: type of messages in batch (ichicsr) -->");
	xml_line(b, "<PORR_IN049016UV>");
	xml_line(b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.1\" extension=\"EXOSAFE-M-%" PRId64 "-%d\"/>", id, v);
	xml_line(b, "<!-- N.2.r.1: message identifier -->");
	xml_line(b, "<creationTime value=\"%s\"/>", created);
	xml_line(b, "<!-- N.2.r.4: date of message creation (UTC) -->");
	xml_line(b, "<interactionId root=\"2.16.840.1.113883.1.6\" extension=\"PORR_IN049016UV\"/>");
	xml_line(b, "<processingCode code=\"P\"/>");
	xml_line(b, "<processingModeCode code=\"T\"/>");
	xml_line(b, "<acceptAckCode code=\"AL\"/>");
	xml_line(b, "<receiver typeCode=\"RCV\">");
	xml_line(b, "<device classCode=\"DEV\" determinerCode=\"INSTANCE\">");
	xml_line(b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.12\" extension=\"" E2B_RECEIVER_ID "\"/>");
	xml_line(b, "<!-- N.2.r.3: message receiver identifier -->");
	xml_line(b, "</device>");
	xml_line(b, "</receiver>");
	xml_line(b, "<sender typeCode=\"SND\">");
	xml_line(b, "<device classCode=\"DEV\" determinerCode=\"INSTANCE\">");
	xml_line(b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.11\" extension=\"" E2B_SENDER_ID "\"/>");
	xml_line(b, "<!-- N.2.r.2: message sender identifier -->");
	xml_line(b, "</device>");
	xml_line(b, "</sender>");
	xml_line(b, "<controlActProcess classCode=\"CACT\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"PORR_TE049016UV\" codeSystem=\"2.16.840.1.113883.1.18\"/>");
	xml_line(b, "<effectiveTime value=\"%s\"/>", created);
	xml_line(b, "<!-- C.1.2: date of creation -->");
}

/* C.1: the case's identifiers and dates, with the H.1 narrative where HL7 v3 puts it. */
static void e2b_case_header(xml_out *b, const ae_export_case *c, const char *narrative, const char *received,
                            const char *recent)
{
	const int64_t id = c->case_id;
	xml_line(b, "<subject typeCode=\"SUBJ\">");
	xml_line(b, "<investigationEvent classCode=\"INVSTG\" moodCode=\"EVN\">");
	xml_line(b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.1\" extension=\"JP-" E2B_SENDER_ID "-%" PRId64 "\"/>", id);
	xml_line(b, "<!-- C.1.1: sender's (case) safety report unique identifier -->");
	xml_line(b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.2\" extension=\"JP-" E2B_SENDER_ID "-%" PRId64 "\"/>", id);
	xml_line(b, "<!-- C.1.8.1: worldwide unique case identification number -->");
	xml_line(b, "<code code=\"PAT_ADV_EVNT\" codeSystem=\"2.16.840.1.113883.5.4\"/>");
	xml_text(b, "text", "text", narrative);
	xml_line(b, "<!-- H.1: case narrative -->");
	xml_line(b, "<statusCode code=\"active\"/>");
	xml_line(b, "<effectiveTime>");
	xml_line(b, "<low value=\"%s\"/>", received);
	xml_line(b, "<!-- C.1.4: date report was first received from source -->");
	xml_line(b, "</effectiveTime>");
	xml_line(b, "<availabilityTime value=\"%s\"/>", recent);
	xml_line(b, "<!-- C.1.5: date of most recent information for this report -->");
}

/* D: the patient (initials, sex, birth date, date of death). */
static void e2b_patient_person(xml_out *b, const ae_export_case *c, const char *birth)
{
	xml_line(b, "<player1 classCode=\"PSN\" determinerCode=\"INSTANCE\">");
	if (field_empty(c->patient_initials))
		xml_line(b, "<name nullFlavor=\"UNK\"/>");
	else
		xml_text(b, "name", "name", c->patient_initials);
	xml_line(b, "<!-- D.1: patient (initials) -->");
	if (strcmp(c->sex, "male") == 0 || strcmp(c->sex, "female") == 0)
		xml_line(b, "<administrativeGenderCode code=\"%d\" codeSystem=\"1.0.5218\"/>", strcmp(c->sex, "male") == 0 ? 1 : 2);
	else
		xml_line(b, "<administrativeGenderCode nullFlavor=\"UNK\"/>");
	xml_line(b, "<!-- D.5: sex -->");
	xml_line(b, "<birthTime value=\"%s\"/>", birth);
	xml_line(b, "<!-- D.2.1: date of birth -->");
	if (ae_find_outcome(c->outcome)->e2b == 5) {
		char death[9];
		e2b_date(c->outcome_date, death);
		xml_line(b, "<deceasedTime value=\"%s\"/>", death);
		xml_line(b, "<!-- D.9.1: date of death -->");
	}
	xml_line(b, "</player1>");
}

/* D with its E reactions and G drug, nested under the patient's primary role as HL7 v3 has them. */
static void e2b_patient(xml_out *b, const ae_export_case *c, const char *birth, char reaction_uuids[][UUID_LEN],
                        const char *drug_uuid)
{
	xml_line(b, "<subject1 typeCode=\"SBJ\">");
	xml_line(b, "<primaryRole classCode=\"INVSBJ\">");
	e2b_patient_person(b, c, birth);
	for (int i = 0; i < c->term_count; i++)
		e2b_reaction(b, c, &c->terms[i], reaction_uuids[i]);
	e2b_drug(b, c, drug_uuid);
	xml_line(b, "</primaryRole>");
	xml_line(b, "</subject1>");
}

/* The assessment: the patient, G.k.1 the drug's role, and G.k.9.i.2 causality per reaction. */
static void e2b_assessment(xml_out *b, const ae_export_case *c, const char *birth, char reaction_uuids[][UUID_LEN],
                           const char *drug_uuid)
{
	xml_line(b, "<component typeCode=\"COMP\">");
	xml_line(b, "<adverseEventAssessment classCode=\"INVSTG\" moodCode=\"EVN\">");
	e2b_patient(b, c, birth, reaction_uuids, drug_uuid);
	xml_line(b, "<component typeCode=\"COMP\">");
	xml_line(b, "<causalityAssessment classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"20\" codeSystem=\"" E2B_OBS "\" displayName=\"interventionCharacterization\"/>");
	xml_line(b, "<value xsi:type=\"CE\" code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.13\"/>");
	xml_line(b, "<!-- G.k.1: characterisation of drug role (suspect) -->");
	e2b_product_use(b, drug_uuid);
	xml_line(b, "</causalityAssessment>");
	xml_line(b, "</component>");
	for (int i = 0; i < c->term_count; i++)
		e2b_causality(b, c, reaction_uuids[i], drug_uuid);
	xml_line(b, "</adverseEventAssessment>");
	xml_line(b, "</component>");
}

/* C.1.6.1 additional documents and C.1.7 expedited. */
static void e2b_case_flags(xml_out *b, const ae_export_case *c)
{
	xml_line(b, "<component typeCode=\"COMP\">");
	xml_line(b, "<observationEvent classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"1\" codeSystem=\"" E2B_OBS "\" displayName=\"additionalDocumentsAvailable\"/>");
	xml_line(b, "<value xsi:type=\"BL\" value=\"false\"/>");
	xml_line(b, "<!-- C.1.6.1: are additional documents available? -->");
	xml_line(b, "</observationEvent>");
	xml_line(b, "</component>");
	xml_line(b, "<component typeCode=\"COMP\">");
	xml_line(b, "<observationEvent classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"23\" codeSystem=\"" E2B_OBS "\" displayName=\"localCriteriaForExpedited\"/>");
	xml_line(b, "<value xsi:type=\"BL\" value=\"%s\"/>", ae_is_serious(c) ? "true" : "false");
	xml_line(b, "<!-- C.1.7: does this case fulfil the local criteria for an expedited report? -->");
	xml_line(b, "</observationEvent>");
	xml_line(b, "</component>");
}

/* Opens (and closes) the controlActEvent > author > assignedEntity nesting HL7 v3 puts around
 * who did something (the first sender, the primary source, the sender). */
static void e2b_author_open(xml_out *b)
{
	xml_line(b, "<controlActEvent classCode=\"CACT\" moodCode=\"EVN\">");
	xml_line(b, "<author typeCode=\"AUT\">");
	xml_line(b, "<assignedEntity classCode=\"ASSIGNED\">");
}

static void e2b_author_close(xml_out *b)
{
	xml_line(b, "</assignedEntity>");
	xml_line(b, "</author>");
	xml_line(b, "</controlActEvent>");
}

/* C.1.8.2 first sender and C.2.r the primary source (qualification, country). */
static void e2b_sources(xml_out *b, const ae_export_case *c)
{
	xml_line(b, "<outboundRelationship typeCode=\"SPRT\">");
	xml_line(b, "<relatedInvestigation classCode=\"INVSTG\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.22\"/>");
	xml_line(b, "<subjectOf2 typeCode=\"SUBJ\">");
	e2b_author_open(b);
	xml_line(b, "<code code=\"2\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.3\"/>");
	xml_line(b, "<!-- C.1.8.2: first sender of this case (other) -->");
	e2b_author_close(b);
	xml_line(b, "</subjectOf2>");
	xml_line(b, "</relatedInvestigation>");
	xml_line(b, "</outboundRelationship>");

	xml_line(b, "<outboundRelationship typeCode=\"SPRT\">");
	xml_line(b, "<priorityNumber value=\"1\"/>");
	xml_line(b, "<!-- C.2.r.5: primary source for regulatory purposes -->");
	xml_line(b, "<relatedInvestigation classCode=\"INVSTG\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"2\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.22\"/>");
	xml_line(b, "<subjectOf2 typeCode=\"SUBJ\">");
	e2b_author_open(b);
	xml_line(b, "<assignedPerson classCode=\"PSN\" determinerCode=\"INSTANCE\">");
	xml_line(b, "<asQualifiedEntity classCode=\"QUAL\">");
	xml_line(b, "<code code=\"%d\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.6\"/>",
	         reporter_code(c->reporter_qualification));
	xml_line(b, "<!-- C.2.r.4: qualification -->");
	xml_line(b, "</asQualifiedEntity>");
	xml_line(b, "<asLocatedEntity classCode=\"LOCE\">");
	xml_line(b, "<location classCode=\"COUNTRY\" determinerCode=\"INSTANCE\">");
	xml_line(b, "<code code=\"" COUNTRY "\" codeSystem=\"1.0.3166.1.2.2\"/>");
	xml_line(b, "<!-- C.2.r.3: reporter's country code -->");
	xml_line(b, "</location>");
	xml_line(b, "</asLocatedEntity>");
	xml_line(b, "</assignedPerson>");
	e2b_author_close(b);
	xml_line(b, "</subjectOf2>");
	xml_line(b, "</relatedInvestigation>");
	xml_line(b, "</outboundRelationship>");
}

/* C.3: the sender (type and organisation). */
static void e2b_sender(xml_out *b, const ae_export_case *c)
{
	xml_line(b, "<subjectOf1 typeCode=\"SUBJ\">");
	e2b_author_open(b);
	xml_line(b, "<code code=\"3\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.7\"/>");
	xml_line(b, "<!-- C.3.1: sender type (health professional) -->");
	xml_line(b, "<representedOrganization classCode=\"ORG\" determinerCode=\"INSTANCE\">");
	xml_line(b, "<assignedEntity classCode=\"ASSIGNED\">");
	xml_line(b, "<representedOrganization classCode=\"ORG\" determinerCode=\"INSTANCE\">");
	xml_text(b, "name", "name", c->sender_name);
	xml_line(b, "<!-- C.3.2: sender's organisation -->");
	xml_line(b, "</representedOrganization>");
	xml_line(b, "</assignedEntity>");
	xml_line(b, "</representedOrganization>");
	e2b_author_close(b);
	xml_line(b, "</subjectOf1>");
}

/* C.1.3 type of report and C.1.9.1 other case identifiers. */
static void e2b_report_type(xml_out *b)
{
	xml_line(b, "<subjectOf2 typeCode=\"SUBJ\">");
	xml_line(b, "<investigationCharacteristic classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.23\" displayName=\"ichReportType\"/>");
	xml_line(b, "<value xsi:type=\"CE\" code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.2\"/>");
	xml_line(b, "<!-- C.1.3: type of report (spontaneous) -->");
	xml_line(b, "</investigationCharacteristic>");
	xml_line(b, "</subjectOf2>");
	xml_line(b, "<subjectOf2 typeCode=\"SUBJ\">");
	xml_line(b, "<investigationCharacteristic classCode=\"OBS\" moodCode=\"EVN\">");
	xml_line(b, "<code code=\"2\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.23\" displayName=\"otherCaseIds\"/>");
	xml_line(b, "<value xsi:type=\"BL\" nullFlavor=\"NI\"/>");
	xml_line(b, "<!-- C.1.9.1: other case identifiers in previous transmissions -->");
	xml_line(b, "</investigationCharacteristic>");
	xml_line(b, "</subjectOf2>");
}

/* Closes the case and the message, and N.1.3/N.1.4 the batch sender and receiver. */
static void e2b_message_close(xml_out *b)
{
	xml_line(b, "</investigationEvent>");
	xml_line(b, "</subject>");
	xml_line(b, "</controlActProcess>");
	xml_line(b, "</PORR_IN049016UV>");
	xml_line(b, "<receiver typeCode=\"RCV\">");
	xml_line(b, "<device classCode=\"DEV\" determinerCode=\"INSTANCE\">");
	xml_line(b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.14\" extension=\"" E2B_RECEIVER_ID "\"/>");
	xml_line(b, "<!-- N.1.4: batch receiver identifier -->");
	xml_line(b, "</device>");
	xml_line(b, "</receiver>");
	xml_line(b, "<sender typeCode=\"SND\">");
	xml_line(b, "<device classCode=\"DEV\" determinerCode=\"INSTANCE\">");
	xml_line(b, "<id root=\"2.16.840.1.113883.3.989.2.1.3.13\" extension=\"" E2B_SENDER_ID "\"/>");
	xml_line(b, "<!-- N.1.3: batch sender identifier -->");
	xml_line(b, "</device>");
	xml_line(b, "</sender>");
	xml_line(b, "</MCCI_IN200100UV01>");
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
	ae_case_uuid(c, "drug", 0, drug_uuid);
	char(*reaction_uuids)[UUID_LEN] = calloc((size_t)c->term_count, sizeof *reaction_uuids);
	char *narrative = e2b_narrative(c);
	if (reaction_uuids == NULL || narrative == NULL) {
		free(reaction_uuids);
		free(narrative);
		field_err(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < c->term_count; i++)
		ae_case_uuid(c, "reaction", i, reaction_uuids[i]);
	xml_out b = {0};
	e2b_message_header(&b, c, created);
	e2b_case_header(&b, c, narrative, received, recent);
	e2b_assessment(&b, c, birth, reaction_uuids, drug_uuid);
	e2b_case_flags(&b, c);
	e2b_sources(&b, c);
	e2b_sender(&b, c);
	e2b_report_type(&b);
	e2b_message_close(&b);

	free(reaction_uuids);
	free(narrative);
	char *xml = strbuf_finish(&b.text);
	if (xml == NULL)
		field_err(err, errlen, "out of memory");
	return xml;
}
