/* A patient's questionnaire answers over time: the age from the date of birth on file, and
 * the flags a later version of the answers no longer raises. Pure: no I/O.
 *
 * A patient may answer the questionnaire again at any time (each submission is a new,
 * immutable version). A flag that disappears between versions is itself a finding: the
 * patient who answered "anaphylaxis" and then "no" a minute later may have learnt which
 * answer gets them the product. The doctor sees such a change as a needs-attention flag that,
 * like a block, cannot be approved over without a written reason. */
#ifndef EXOSAFE_ANSWER_HISTORY_H
#define EXOSAFE_ANSWER_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/questionnaire.h"
#include "core/screening.h"

/* The rule name of the flag raised when an earlier flag disappears, and of the flag raised
 * when the answered age is not the age from the date of birth. */
#define ANSWER_CHANGED_RULE "answer-changed"
#define AGE_MISMATCH_RULE "age-mismatch"

/* One stored version of a patient's answers. */
typedef struct answer_version {
	int64_t response_id;
	int number;                     /* 1 for the patient's first submission, and so on */
	int64_t submitted_at;           /* unix seconds */
	const json_t *answers;          /* linkId → value, as stored */
	const json_t *flags;            /* [{rule, level, reason: {ja, en}}…], as stored */
	const questionnaire *q;         /* the definition answered, for item names; may be NULL */
	const screening_rules *rules;   /* the rules that raised the flags, for their items; may be NULL */
} answer_version;

/* Compares current with every earlier version (oldest first; the caller passes only those
 * inside the window it cares about). Returns a new array with one needs-attention flag per
 * block or needs-attention rule that fired in an earlier version and not in current, citing
 * the latest earlier version where it fired:
 *   {"rule": "answer-changed", "level": "needs-attention", "override_required": true,
 *    "changed_rule": "<rule id>", "changed_level": "block", "from_response_id": 12,
 *    "from_version": 1, "from_submitted_at": <unix seconds>,
 *    "reason": {"ja": "回答が変更されました：妊娠の可能性 『あり』→『なし』（第1版 2026-12-03 10:02）。第1版での判定：…",
 *               "en": "Answer changed: …"}}
 * Flags that are themselves answer-changed flags are not compared (every earlier version is
 * compared directly). NULL only when out of memory. */
json_t *answer_changes(const answer_version *current, const answer_version *earlier, size_t n_earlier);

/* Full years of age on today for a YYYY-MM-DD birth date (a 29 February birthday counts on
 * 1 March in common years, as 年齢計算ニ関スル法律 reckons it: the age rises at the end of the
 * day before the birthday). -1 when either date is not a real date or birth is after today. */
int answer_age_on(const char *birth_date, const char *today);

/* Puts the age from birth_date on today into answers["age"], the value the age rules use, and
 * returns a new needs-attention flag when the patient answered a different age (NULL when
 * they agree, when no age was answered, or when birth_date is not usable: then answers keep
 * the answered age). */
json_t *answer_age_from_birth(json_t *answers, const char *birth_date, const char *today);

/* True when approving over these stored flags needs a written override reason: a block, or
 * any flag marked "override_required". */
bool answer_flags_need_override(const json_t *flags, const char *worst_level);

#endif
