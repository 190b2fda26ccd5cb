/* CTCAE v5.0 terms as data (data/ctcae/terms.json): the terms exosafe grades adverse events
 * with, the grades CTCAE defines for each, and the patient checklist symptoms each comes from.
 * Pure: parses from JSON text, no I/O.
 *
 * The file:
 *   {"meddra_version": "20.1",
 *    "terms": [ {"code": "pruritus", "term": "Pruritus", "ja": "そう痒症",
 *                "meddra_code": "10037087",          (digits, or "" when not known)
 *                "soc": {"en": "…", "ja": "…"},
 *                "symptoms": ["itching"],            (redness | swelling | itching | fever |
 *                                                     fatigue | headache | nausea | allergic_reaction)
 *                "grades": [ {"grade": 1, "en": "…", "ja": "…"}, … ] }, … ] }
 * A term's allowed grades are exactly the grades it lists (Anaphylaxis lists 3–5 only). */
#ifndef EXOSAFE_CTCAE_H
#define EXOSAFE_CTCAE_H

#include <stdbool.h>
#include <stddef.h>

#define CTCAE_MAX_GRADE 5

typedef struct ctcae_term {
	const char *code;          /* snake_case, unique */
	const char *name_en;       /* the CTCAE v5.0 term */
	const char *name_ja;       /* JCOG Japanese name */
	const char *meddra_code;   /* "" when not known */
	const char *soc_en, *soc_ja;
	/* grade_en[g] / grade_ja[g] describe grade g (1–5); NULL for grades CTCAE does not define. */
	const char *grade_en[CTCAE_MAX_GRADE + 1];
	const char *grade_ja[CTCAE_MAX_GRADE + 1];
	const char *const *symptoms;
	int symptom_count;
} ctcae_term;

typedef struct ctcae_table ctcae_table;

/* Parses and checks the terms file. Returns NULL with a reason naming the term (its index
 * and code) and the field in err when the file is invalid or memory runs out. The caller
 * frees with ctcae_free. */
ctcae_table *ctcae_parse(const char *json_text, char *err, size_t errlen);
void ctcae_free(ctcae_table *t);

int ctcae_count(const ctcae_table *t);
/* The term at index (0 ≤ index < count), borrowed; NULL when out of range. */
const ctcae_term *ctcae_at(const ctcae_table *t, int index);
/* The term with this code, borrowed; NULL when there is none. */
const ctcae_term *ctcae_find(const ctcae_table *t, const char *code);
/* The MedDRA version the codes belong to (e.g. "20.1"), borrowed. */
const char *ctcae_meddra_version(const ctcae_table *t);

/* Returns true when CTCAE defines grade for term. */
bool ctcae_grade_allowed(const ctcae_term *term, int grade);
/* Returns true when the term is usually reported as the checklist symptom. */
bool ctcae_term_has_symptom(const ctcae_term *term, const char *symptom);

/* Checks that code names a term and that grade is one of its grades. Returns 0, or -1 with a
 * message naming the term and its allowed grades in err ("Anaphylaxis (anaphylaxis): grade 2
 * is not defined; allowed grades 3–5"). */
int ctcae_check(const ctcae_table *t, const char *code, int grade, char *err, size_t errlen);

#endif
