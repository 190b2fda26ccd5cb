/* The advertising compliance checker: rules of the Japanese medical advertising guideline
 * (医療広告ガイドライン) as data, run over a page's text. Pure: no I/O; the caller reads the
 * rule files and the page (service/adrules.h loads data/adrules/).
 *
 * A rule file holds {"scopes": [...], "rules": [...]}; data/adrules/README.md describes every
 * field. In short, a rule is
 *   {"id", "kind": "forbidden"|"required", "category", "severity": "error"|"warning",
 *    "scope": scope id (optional for forbidden, required for required),
 *    "patterns": [PCRE2 pattern…],
 *    "unless": {"context": "sentence"|"adjacent"|"document", "any": […], "all": […]},
 *    "negatable": true|false (forbidden rules; default false),
 *    "explanation": {"ja","en"}, "suggestion": {"ja","en"}, "reference": "…"}
 * A forbidden rule fires on every match of one of its patterns (within one sentence) that
 * its "unless" does not excuse and, for a negatable rule, that no negation of the file-level
 * "negations" {"after": […], "before": […]} turns into a disclaimer within the match's own
 * clause ("安全を100%保証するエビデンスはありません"); a required rule fires once, for the whole document, when
 * its scope holds and none of its patterns matches anywhere. A scope holds when every one
 * of its groups of patterns has a match somewhere in the document.
 *
 * Text is checked after NFKC normalisation (full-width, half-width and compatibility forms
 * fold together); patterns are written in NFKC form, matched in PCRE2's UTF mode with JIT,
 * case-insensitively; a Vectorscan prefilter over all forbidden patterns picks the sentences
 * worth matching, so a page is read once whatever the number of rules. Positions are reported in the input as given: byte, code point and
 * UTF-16 offsets, and 1-based line and column in code points. HTML input is checked on its
 * visible text (script, style and comments skipped, entities decoded, alt/title/placeholder/
 * aria-label and meta descriptions included), positions still pointing into the HTML. */
#ifndef EXOSAFE_ADCHECK_H
#define EXOSAFE_ADCHECK_H

#include <stdbool.h>
#include <stddef.h>

typedef enum adcheck_kind { ADCHECK_FORBIDDEN = 0, ADCHECK_REQUIRED = 1 } adcheck_kind;
typedef enum adcheck_severity { ADCHECK_ERROR = 0, ADCHECK_WARNING = 1 } adcheck_severity;
typedef enum adcheck_format { ADCHECK_TEXT = 0, ADCHECK_HTML = 1 } adcheck_format;

/* Why a check could not run. The input is never altered. */
typedef enum adcheck_status {
	ADCHECK_OK = 0,
	ADCHECK_EMPTY,        /* no bytes, or only white space (or, for HTML, no visible text) */
	ADCHECK_BINARY,       /* a NUL byte at byte_offset */
	ADCHECK_BAD_UTF8,     /* not UTF-8 from byte_offset on */
	ADCHECK_MATCH_LIMIT,  /* a pattern hit PCRE2's match or stack limit (rule in message) */
	ADCHECK_NOMEM,
} adcheck_status;

typedef struct adcheck_error {
	adcheck_status status;
	size_t byte_offset;   /* for ADCHECK_BINARY and ADCHECK_BAD_UTF8 */
	char message[256];    /* English, for logs and the CLI */
} adcheck_error;

typedef struct adcheck_rules adcheck_rules;
typedef struct adcheck_patterns adcheck_patterns;

/* One rule as loaded. Strings are owned by the rule set and live as long as it does. */
typedef struct adcheck_rule {
	const char *id;
	const char *category;     /* guarantee, superiority, safety, exaggeration, inducement,
	                             endorsement, fear, public-order, testimonial or disclosure */
	adcheck_kind kind;
	adcheck_severity severity;
	const char *scope;        /* scope id, or NULL for everywhere */
	const char *explanation_ja, *explanation_en;
	const char *suggestion_ja, *suggestion_en;
	const char *reference;    /* the guideline passage, or NULL */
	const char *source;       /* the file it came from, as given to adcheck_rules_add_json */
	adcheck_patterns *match;  /* private: compiled patterns */
	adcheck_patterns *unless_any, *unless_all;
	int unless_context;
	bool negatable;           /* a match negated in its own clause is not a claim */
	int scope_index;
} adcheck_rule;

typedef struct adcheck_finding {
	const adcheck_rule *rule;   /* borrowed from the rule set */
	bool missing;               /* a required disclosure absent: no position */
	size_t byte_start, byte_end;     /* in the input, end exclusive */
	size_t char_start, char_end;     /* code points */
	size_t utf16_start, utf16_end;   /* UTF-16 code units (JavaScript string indexes) */
	long line, column;               /* of the start, 1-based; 0 when missing */
	char *text;                 /* the input's bytes at the match (owned), NULL when missing */
	char *normalized;           /* the normalised text the pattern matched (owned) */
} adcheck_finding;

typedef struct adcheck_report {
	adcheck_finding *findings;  /* missing disclosures first, then by position */
	size_t count;
	size_t input_chars, input_utf16;
	const char **scopes;        /* ids of the scopes that held (borrowed), scope_count of them */
	size_t scope_count;
	char *checked_text;         /* the normalised (visible) text the rules ran on (owned) */
	size_t checked_len;
	size_t errors, warnings;    /* findings by severity */
} adcheck_report;

/* Returns an empty rule set, or NULL when memory runs out. */
adcheck_rules *adcheck_rules_new(void);

/* Adds the scopes and rules of one rule file (JSON text); source names it in messages and in
 * each rule's source. Every pattern is compiled here: a bad one is reported as
 * "SOURCE: rule ID: pattern N: REASON at offset K". Returns 0, or -1 with the reason in err;
 * on error the rule set remains unaltered. */
int adcheck_rules_add_json(adcheck_rules *r, const char *json_text, const char *source, char *err, size_t errlen);

/* Ends loading: checks that every scope a rule names exists and that there is at least one
 * rule, and compiles the combined search of the forbidden rules. Returns 0, or -1 with the
 * reason in err. A rule set can be used for checks only after this succeeded, and then by
 * any number of threads at once. */
int adcheck_rules_finish(adcheck_rules *r, char *err, size_t errlen);

void adcheck_rules_free(adcheck_rules *r);
size_t adcheck_rule_count(const adcheck_rules *r);
const adcheck_rule *adcheck_rule_at(const adcheck_rules *r, size_t i);
/* The rule with this id, or NULL. */
const adcheck_rule *adcheck_rule_find(const adcheck_rules *r, const char *id);

/* Checks len bytes of input (need not be NUL-terminated) read as fmt against finished rules.
 * Returns a report (free with adcheck_report_free), or NULL with err filled in: empty input,
 * NUL bytes and invalid UTF-8 (with the byte offset) are errors, never findings. */
adcheck_report *adcheck_check(const adcheck_rules *r, const char *input, size_t len, adcheck_format fmt,
                              adcheck_error *err);
void adcheck_report_free(adcheck_report *rep);

/* HTML when the name ends in .html/.htm/.xhtml, or the text starts (after white space and
 * a BOM) with "<!doctype html", "<html" or "<!--"; else plain text. name may be NULL. */
adcheck_format adcheck_guess_format(const char *name, const char *input, size_t len);

/* "forbidden"/"required", "error"/"warning", and the status's short English name. */
const char *adcheck_kind_name(adcheck_kind k);
const char *adcheck_severity_name(adcheck_severity s);
const char *adcheck_status_name(adcheck_status s);

#endif
