/* CTCAE v5.0 terms as data: the clinic's common terms (data/ctcae/terms.json, with Japanese
 * and the patient checklist symptoms each comes from) and the whole NCI catalogue
 * (data/ctcae/ctcae-v5.0.csv, all 837 terms) for events outside that list.
 * Source: NCI CTCAE v5.0 (27 Nov 2017), via shared/reference/ctcae/ctcae-v5.0.csv.
 * Pure: parses from text, no I/O.
 *
 * The common terms file:
 *   {"meddra_version": "20.1",
 *    "terms": [ {"code": "pruritus", "term": "Pruritus", "ja": "そう痒症",
 *                "meddra_code": "10037087",          (digits, or "" when not known)
 *                "soc": {"en": "…", "ja": "…"},
 *                "symptoms": ["itching"],            (redness | swelling | itching | fever |
 *                                                     fatigue | headache | nausea | allergic_reaction)
 *                "ja_source": "clinic",              (jcog: checked against the JCOG translation;
 *                                                     clinic: the clinic's own; default clinic)
 *                "grades": [ {"grade": 1, "en": "…", "ja": "…", "ja_source"?: "jcog"}, … ] }, … ] }
 * A term's allowed grades are exactly the grades it lists (Anaphylaxis lists 3–5 only; NCI
 * leaves gaps too: Eosinophilia has grades 1 and 3).
 *
 * The catalogue is the NCI table as published: a header row, then one row per term:
 *   MedDRA.Code, MedDRA.SOC, CTCAE.Term, Grade 1–5, Definition, Navigational.Note, Change
 * where a grade cell " -" means CTCAE does not define that grade for the term (kept as NULL
 * here, never as text), and "NA" or " -" as Definition means none; line breaks in a cell (CRLF
 * in the file) are kept as LF. Catalogue terms outside
 * the clinic's list get a code made from their English name ("Erythema multiforme" →
 * "erythema_multiforme") and have no Japanese. */
#ifndef EXOSAFE_CTCAE_H
#define EXOSAFE_CTCAE_H

#include <stdbool.h>
#include <stddef.h>

#define CTCAE_MAX_GRADE 5

typedef struct ctcae_term {
	const char *code;          /* snake_case, unique */
	const char *name_en;       /* the CTCAE v5.0 term */
	const char *name_ja;       /* Japanese name; NULL for catalogue terms outside the clinic's list */
	const char *meddra_code;   /* "" when not known */
	const char *soc_en, *soc_ja; /* soc_ja NULL when not known */
	const char *definition;    /* NCI's definition; NULL when it gives none or the catalogue is not loaded */
	/* grade_en[g] / grade_ja[g] describe grade g (1–5); NULL for grades CTCAE does not define
	 * (grade_ja also NULL where no Japanese is known). */
	const char *grade_en[CTCAE_MAX_GRADE + 1];
	const char *grade_ja[CTCAE_MAX_GRADE + 1];
	/* "jcog" (checked against the JCOG translation) or "clinic" (the clinic's own), NULL with
	 * no Japanese. */
	const char *name_ja_source;
	const char *grade_ja_source[CTCAE_MAX_GRADE + 1];
	const char *const *symptoms;
	int symptom_count;
	bool common;               /* one of the clinic's common terms (terms.json) */
} ctcae_term;

typedef struct ctcae_table ctcae_table;

/* Parses and checks the terms file. Returns NULL with a reason naming the term (its index
 * and code) and the field in err when the file is invalid or memory runs out. The caller
 * frees with ctcae_free. */
ctcae_table *ctcae_parse(const char *json_text, char *err, size_t errlen);
void ctcae_free(ctcae_table *t);

/* Adds the NCI catalogue (the CSV text of data/ctcae/ctcae-v5.0.csv, len bytes) to t, and
 * checks every common term against it: the term must be in the catalogue with the same MedDRA
 * code, SOC, defined grades and grade texts. Returns 0, or -1 with a reason naming the row or
 * the common term and field in err; on error t remains unaltered. Adding twice is an error. */
int ctcae_add_catalogue(ctcae_table *t, const char *csv_text, size_t len, char *err, size_t errlen);

/* The clinic's common terms. */
int ctcae_count(const ctcae_table *t);
/* The common term at index (0 ≤ index < count), borrowed; NULL when out of range. */
const ctcae_term *ctcae_at(const ctcae_table *t, int index);
/* Every CTCAE v5.0 term of the catalogue in NCI's order (the common terms among them), or the
 * common terms alone while no catalogue is added. */
int ctcae_catalogue_count(const ctcae_table *t);
const ctcae_term *ctcae_catalogue_at(const ctcae_table *t, int index);
/* The term (common or catalogue) with this code, borrowed; NULL when there is none. */
const ctcae_term *ctcae_find(const ctcae_table *t, const char *code);
/* The MedDRA version the codes belong to (e.g. "20.1"), borrowed. */
const char *ctcae_meddra_version(const ctcae_table *t);

/* Finds terms for a search box: query is NFKC-normalised, then matched case-insensitively,
 * ignoring spaces and punctuation, against each term's English name and Japanese name (where
 * known) and its code; eight digits match the MedDRA code exactly. Exact matches come first,
 * then names starting with the query, then names containing it; common terms before others
 * of the same rank, then NCI's order. Fills out with at most max borrowed terms and returns
 * how many match in all (which may exceed max), or -1 when query is not valid UTF-8, is empty
 * after normalising, or memory runs out. */
int ctcae_search(const ctcae_table *t, const char *query, const ctcae_term **out, int max);

/* Returns true for NCI's "<SOC> - Other, specify" terms: the specific event must be recorded
 * (its text and MedDRA code) before a case is reported. */
bool ctcae_is_other_specify(const ctcae_term *term);
/* Returns true when s is a MedDRA code: exactly eight digits. */
bool ctcae_meddra_code_valid(const char *s);

/* Returns true when CTCAE defines grade for term. */
bool ctcae_grade_allowed(const ctcae_term *term, int grade);
/* Returns true when the term is usually reported as the checklist symptom. */
bool ctcae_term_has_symptom(const ctcae_term *term, const char *symptom);

/* Checks that code names a term (common or catalogue) and that grade is one of its grades.
 * Returns 0, or -1 with a message naming the term and its allowed grades in err ("Anaphylaxis
 * (anaphylaxis): grade 2 is not defined; allowed grades 3–5", or "…; allowed grades 1, 3"). */
int ctcae_check(const ctcae_table *t, const char *code, int grade, char *err, size_t errlen);

#endif
