/* What rule loading (adcheck_rules.c) and matching (adcheck.c) share: the compiled rule set.
 * Not for use outside these two files. */
#ifndef EXOSAFE_ADCHECK_INTERNAL_H
#define EXOSAFE_ADCHECK_INTERNAL_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <hs/hs.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/adcheck.h"

#define COMPILE_OPTIONS (PCRE2_UTF | PCRE2_CASELESS)

enum { CONTEXT_SENTENCE = 0, CONTEXT_ADJACENT = 1, CONTEXT_DOCUMENT = 2 };

struct adcheck_patterns {
	pcre2_code **codes;
	char **sources;  /* the pattern texts, for the combined search */
	size_t count;
};

typedef struct adcheck_scope {
	const char *id;
	adcheck_patterns **groups; /* each group must match */
	size_t group_count;
} adcheck_scope;

struct adcheck_rules {
	adcheck_rule *rules;
	size_t count, cap;
	adcheck_scope *scopes;
	size_t scope_count, scope_cap;
	char **strings; /* every string the rules point at */
	size_t string_count, string_cap;
	/* "negations": what, in a match's own clause, turns a claim into a disclaimer; after the
	 * match ("…わけではありません") or before it ("not guaranteed"). NULL until a file gives them. */
	adcheck_patterns *negations_after, *negations_before;
	const char *negations_source;
	hs_database_t *prefilter;  /* the forbidden patterns Vectorscan takes, or NULL */
	pcre2_code *combined;      /* an alternation of those it does not take, or NULL */
	bool finished;
};

#endif
