/* Screening rules as data: each names a condition over a questionnaire's answers, a level,
 * and the reason shown to the doctor in Japanese and English. Pure: no I/O.
 *
 * A rule file (data/screening/NAME-vN.json):
 *   {"questionnaire": "exosome-cream", "questionnaire_version": 1,
 *    "rules": [ {"id": "prior-anaphylaxis", "level": "block",
 *                "when": {"item": "anaphylaxis", "op": "=", "value": true},
 *                "reason": {"ja": "…", "en": "…"}}, … ] }
 * Conditions: {"item", "op", "value"} with op one of "=", "!=", "<", "<=", ">", ">=",
 * "includes" (a repeating choice contains value), "in" (value is an array; the answer is one
 * of them), "answered", "within_months" (a date item answered no more than value calendar
 * months before today, or after it; days ignored); and {"all": [cond…]}, {"any": [cond…]},
 * {"not": cond}.
 * An unanswered item makes every comparison on it false. */
#ifndef EXOSAFE_SCREENING_H
#define EXOSAFE_SCREENING_H

#include <jansson.h>
#include <stddef.h>

#include "core/questionnaire.h"

typedef enum screening_level {
	SCREENING_BLOCK = 0,      /* cannot be approved without a written override */
	SCREENING_ATTENTION = 1,  /* the doctor must look ("needs-attention") */
	SCREENING_INFO = 2,
} screening_level;

typedef struct screening_rules screening_rules;

typedef struct screening_flag {
	const char *rule_id;      /* borrowed from the rules; valid while they live */
	screening_level level;
	const char *reason_ja;
	const char *reason_en;
} screening_flag;

/* Parses a rule file and checks it against q: every item named exists in q, ops fit the
 * item's type, levels and reasons are present, ids are unique. NULL and a reason naming
 * the rule id in err otherwise. */
screening_rules *screening_parse(const char *json_text, const questionnaire *q, char *err, size_t errlen);
void screening_free(screening_rules *r);
int screening_rule_count(const screening_rules *r);

/* Evaluates every rule on valid answers; writes the flags that fire, ordered by level
 * (block first) then by rule order, up to max_flags. Returns how many fired. today
 * (YYYY-MM-DD, the clinic's date from the caller's clock) is what "within_months" counts
 * from; when it is NULL or not a date those conditions hold, so the rule fires. */
int screening_evaluate(const screening_rules *r, const json_t *answers, const char *today, screening_flag *flags,
                       int max_flags);

/* The items rule_id's condition reads, each once, in the order met (borrowed), up to
 * max_items; returns how many there are, or -1 when r has no such rule. */
int screening_rule_items(const screening_rules *r, const char *rule_id, const char **items, int max_items);

/* "block", "needs-attention" or "info"; and back (-1 when unknown). */
const char *screening_level_name(screening_level level);
int screening_level_from_name(const char *name);

#endif
