/* The advertising compliance checker: rule loading and matching; see adcheck.h.
 *
 * Speed: PCRE2 is the matcher (its results are the findings), but running ~120 patterns one
 * after another over a page is slow. So the forbidden rules' patterns are also compiled
 * together into one Vectorscan (Hyperscan) database in prefilter mode, which may report a
 * superset of the matches but never misses one, and scans the text once. Only a sentence
 * where it reports something is searched rule by rule with PCRE2. Since every rule match
 * lies inside one sentence, nothing is missed. A pattern Vectorscan cannot take goes into a
 * PCRE2 alternation that is searched the same way (slower, still exact). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/adcheck.h"

#include <hs/hs.h>
#include <jansson.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "core/adcheck_text.h"

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

static const char *const categories[] = {"guarantee",    "superiority", "safety",     "exaggeration", "inducement",
                                         "endorsement",  "fear",        "public-order", "testimonial", "disclosure",
                                         NULL};

/* ---- loading ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void patterns_free(adcheck_patterns *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->count; i++) {
		pcre2_code_free(p->codes[i]);
		free(p->sources[i]);
	}
	free(p->codes);
	free(p->sources);
	free(p);
}

static const char *keep_string(adcheck_rules *r, const char *s)
{
	if (s == NULL)
		return NULL;
	if (r->string_count == r->string_cap) {
		size_t cap = r->string_cap ? r->string_cap * 2 : 64;
		char **strings = realloc(r->strings, cap * sizeof *strings);
		if (strings == NULL)
			return NULL;
		r->strings = strings;
		r->string_cap = cap;
	}
	char *copy = strdup(s);
	if (copy != NULL)
		r->strings[r->string_count++] = copy;
	return copy;
}

/* Compiles one pattern, checking what the combined search and the text need of it.
 * Returns NULL with the reason in why. */
static pcre2_code *compile_pattern(const char *pattern, char *why, size_t whylen)
{
	utf8proc_uint8_t *nfkc = utf8proc_NFKC((const utf8proc_uint8_t *)pattern);
	bool normalised = nfkc != NULL && strcmp((const char *)nfkc, pattern) == 0;
	if (!normalised) {
		set_err(why, whylen, "not in NFKC form (text is normalised before matching: write \"%s\")",
		        nfkc ? (const char *)nfkc : "?");
		free(nfkc);
		return NULL;
	}
	free(nfkc);
	int code;
	PCRE2_SIZE offset;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, COMPILE_OPTIONS, &code, &offset, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof msg);
		set_err(why, whylen, "%s at offset %zu", (const char *)msg, (size_t)offset);
		return NULL;
	}
	uint32_t backrefs = 0, names = 0, minlen = 0;
	pcre2_pattern_info(re, PCRE2_INFO_BACKREFMAX, &backrefs);
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &names);
	pcre2_pattern_info(re, PCRE2_INFO_MINLENGTH, &minlen);
	const char *problem = backrefs ? "backreferences are not allowed"
	                      : names  ? "named groups are not allowed"
	                      : minlen == 0 ? "it can match empty text"
	                                    : NULL;
	if (problem == NULL) {
		/* It must also work as one branch of the combined search. */
		size_t n = strlen(pattern);
		char *wrapped = malloc(n + 8);
		if (wrapped == NULL) {
			pcre2_code_free(re);
			set_err(why, whylen, "out of memory");
			return NULL;
		}
		snprintf(wrapped, n + 8, "(?:%s)", pattern);
		pcre2_code *w = pcre2_compile((PCRE2_SPTR)wrapped, PCRE2_ZERO_TERMINATED, COMPILE_OPTIONS, &code, &offset, NULL);
		free(wrapped);
		if (w == NULL)
			problem = "start-of-pattern settings such as (*UCP) are not allowed";
		pcre2_code_free(w);
	}
	if (problem != NULL) {
		set_err(why, whylen, "%s", problem);
		pcre2_code_free(re);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT, the interpreter runs it */
	return re;
}

/* Compiles an array of pattern strings; what names the array in messages. */
static adcheck_patterns *compile_patterns(const json_t *list, const char *what, bool required, char *why, size_t whylen)
{
	if (list == NULL && !required)
		return NULL;
	if (!json_is_array(list) || (required && json_array_size(list) == 0)) {
		set_err(why, whylen, "%s must be a%s array of strings", what, required ? " non-empty" : "n");
		return NULL;
	}
	adcheck_patterns *p = calloc(1, sizeof *p);
	size_t n = json_array_size(list);
	if (p == NULL || (p->codes = calloc(n + 1, sizeof *p->codes)) == NULL ||
	    (p->sources = calloc(n + 1, sizeof *p->sources)) == NULL) {
		if (p != NULL)
			free(p->codes);
		free(p);
		set_err(why, whylen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *s = json_string_value(json_array_get(list, i));
		char reason[240];
		if (s == NULL || *s == '\0') {
			set_err(why, whylen, "%s %zu: must be a non-empty string", what, i + 1);
			patterns_free(p);
			return NULL;
		}
		if ((p->codes[i] = compile_pattern(s, reason, sizeof reason)) == NULL) {
			set_err(why, whylen, "%s %zu: %s", what, i + 1, reason);
			patterns_free(p);
			return NULL;
		}
		if ((p->sources[i] = strdup(s)) == NULL) {
			pcre2_code_free(p->codes[i]);
			set_err(why, whylen, "out of memory");
			patterns_free(p);
			return NULL;
		}
		p->count++;
	}
	return p;
}

static bool valid_id(const char *id)
{
	if (id == NULL || *id == '\0' || strlen(id) > 64)
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
			return false;
	return true;
}

static bool only_keys(json_t *obj, const char *const *keys, const char **unknown)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		(void)value;
		bool known = false;
		for (const char *const *k = keys; *k; k++)
			if (strcmp(*k, key) == 0)
				known = true;
		if (!known) {
			*unknown = key;
			return false;
		}
	}
	return true;
}

static bool get_texts(const json_t *obj, const char **ja, const char **en)
{
	*ja = json_string_value(json_object_get(obj, "ja"));
	*en = json_string_value(json_object_get(obj, "en"));
	return json_is_object(obj) && *ja && *en && **ja && **en;
}

static void rule_release(adcheck_rule *rule)
{
	patterns_free(rule->match);
	patterns_free(rule->unless_any);
	patterns_free(rule->unless_all);
}

static void scope_release(adcheck_scope *s)
{
	for (size_t g = 0; g < s->group_count; g++)
		patterns_free(s->groups[g]);
	free(s->groups);
}

static bool id_taken(const adcheck_rules *r, const adcheck_rule *fresh, size_t nfresh, const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->rules[i].id, id) == 0)
			return true;
	for (size_t i = 0; i < nfresh; i++)
		if (strcmp(fresh[i].id, id) == 0)
			return true;
	return false;
}

static bool scope_taken(const adcheck_rules *r, const adcheck_scope *fresh, size_t nfresh, const char *id)
{
	for (size_t i = 0; i < r->scope_count; i++)
		if (strcmp(r->scopes[i].id, id) == 0)
			return true;
	for (size_t i = 0; i < nfresh; i++)
		if (strcmp(fresh[i].id, id) == 0)
			return true;
	return false;
}

/* Parses one scope into s; returns false with err set. */
static bool parse_scope(adcheck_rules *r, json_t *j, size_t index, const char *source, const adcheck_scope *fresh,
                        size_t nfresh, adcheck_scope *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"id", "description", "all", "comment", NULL};
	const char *id = json_string_value(json_object_get(j, "id")), *unknown = NULL;
	memset(s, 0, sizeof *s);
	if (!json_is_object(j) || !valid_id(id)) {
		set_err(err, errlen, "%s: scopes[%zu]: needs an id of a-z, 0-9, '.' and '-'", source, index);
		return false;
	}
	if (!only_keys(j, keys, &unknown)) {
		set_err(err, errlen, "%s: scope %s: unknown field \"%s\"", source, id, unknown);
		return false;
	}
	if (scope_taken(r, fresh, nfresh, id)) {
		set_err(err, errlen, "%s: scope %s: defined twice", source, id);
		return false;
	}
	const json_t *all = json_object_get(j, "all");
	if (!json_is_array(all) || json_array_size(all) == 0) {
		set_err(err, errlen, "%s: scope %s: \"all\" must be a non-empty array of pattern arrays", source, id);
		return false;
	}
	s->groups = calloc(json_array_size(all), sizeof *s->groups);
	if (s->groups == NULL) {
		set_err(err, errlen, "out of memory");
		return false;
	}
	for (size_t g = 0; g < json_array_size(all); g++) {
		char what[48], why[300];
		snprintf(what, sizeof what, "all[%zu] pattern", g + 1);
		if ((s->groups[g] = compile_patterns(json_array_get(all, g), what, true, why, sizeof why)) == NULL) {
			set_err(err, errlen, "%s: scope %s: %s", source, id, why);
			scope_release(s);
			return false;
		}
		s->group_count++;
	}
	s->id = keep_string(r, id);
	if (s->id == NULL) {
		scope_release(s);
		set_err(err, errlen, "out of memory");
		return false;
	}
	return true;
}

/* Parses one rule into rule; returns false with err set. */
static bool parse_rule(adcheck_rules *r, json_t *j, size_t index, const char *source, const adcheck_rule *fresh,
                       size_t nfresh, adcheck_rule *rule, char *err, size_t errlen)
{
	static const char *const keys[] = {"id", "kind", "category", "severity", "scope", "patterns", "unless", "negatable",
	                                   "explanation", "suggestion", "reference", "comment", NULL};
	static const char *const unless_keys[] = {"context", "any", "all", NULL};
	const char *id = json_string_value(json_object_get(j, "id")), *unknown = NULL;
	memset(rule, 0, sizeof *rule);
	rule->scope_index = -1;
	if (!json_is_object(j) || !valid_id(id)) {
		set_err(err, errlen, "%s: rules[%zu]: needs an id of a-z, 0-9, '.' and '-'", source, index);
		return false;
	}
	if (!only_keys(j, keys, &unknown)) {
		set_err(err, errlen, "%s: rule %s: unknown field \"%s\"", source, id, unknown);
		return false;
	}
	if (id_taken(r, fresh, nfresh, id)) {
		set_err(err, errlen, "%s: rule %s: defined twice", source, id);
		return false;
	}
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const char *category = json_string_value(json_object_get(j, "category"));
	const char *severity = json_string_value(json_object_get(j, "severity"));
	const json_t *scope = json_object_get(j, "scope"), *reference = json_object_get(j, "reference");
	const char *ex_ja, *ex_en, *sg_ja, *sg_en;
	bool known_category = false;
	for (const char *const *c = categories; category && *c; c++)
		known_category |= strcmp(*c, category) == 0;
	if (kind == NULL || (strcmp(kind, "forbidden") != 0 && strcmp(kind, "required") != 0)) {
		set_err(err, errlen, "%s: rule %s: kind must be \"forbidden\" or \"required\"", source, id);
		return false;
	}
	rule->kind = strcmp(kind, "required") == 0 ? ADCHECK_REQUIRED : ADCHECK_FORBIDDEN;
	if (!known_category) {
		set_err(err, errlen,
		        "%s: rule %s: category must be one of guarantee, superiority, safety, exaggeration, inducement, "
		        "endorsement, fear, public-order, testimonial, disclosure",
		        source, id);
		return false;
	}
	if (severity == NULL || (strcmp(severity, "error") != 0 && strcmp(severity, "warning") != 0)) {
		set_err(err, errlen, "%s: rule %s: severity must be \"error\" or \"warning\"", source, id);
		return false;
	}
	rule->severity = strcmp(severity, "warning") == 0 ? ADCHECK_WARNING : ADCHECK_ERROR;
	if ((scope != NULL && !json_is_string(scope)) || (rule->kind == ADCHECK_REQUIRED && scope == NULL)) {
		set_err(err, errlen, "%s: rule %s: %s", source, id,
		        scope == NULL ? "a required rule needs a scope (where the text must appear)" : "scope must be a scope id");
		return false;
	}
	if (!get_texts(json_object_get(j, "explanation"), &ex_ja, &ex_en) ||
	    !get_texts(json_object_get(j, "suggestion"), &sg_ja, &sg_en)) {
		set_err(err, errlen, "%s: rule %s: explanation and suggestion each need non-empty \"ja\" and \"en\"", source, id);
		return false;
	}
	if (reference != NULL && !json_is_string(reference)) {
		set_err(err, errlen, "%s: rule %s: reference must be a string", source, id);
		return false;
	}
	const json_t *negatable = json_object_get(j, "negatable");
	if (negatable != NULL && (!json_is_boolean(negatable) || rule->kind == ADCHECK_REQUIRED)) {
		set_err(err, errlen, "%s: rule %s: %s", source, id,
		        json_is_boolean(negatable) ? "a required rule cannot be \"negatable\"" : "negatable must be true or false");
		return false;
	}
	rule->negatable = json_is_true(negatable);
	json_t *unless = json_object_get(j, "unless");
	if (unless != NULL) {
		const char *context = json_string_value(json_object_get(unless, "context"));
		if (!json_is_object(unless) || !only_keys(unless, unless_keys, &unknown)) {
			set_err(err, errlen, "%s: rule %s: unless must be an object with context, any and all", source, id);
			return false;
		}
		if (rule->kind == ADCHECK_REQUIRED) {
			set_err(err, errlen, "%s: rule %s: a required rule cannot have \"unless\"", source, id);
			return false;
		}
		if (context == NULL || strcmp(context, "sentence") == 0)
			rule->unless_context = CONTEXT_SENTENCE;
		else if (strcmp(context, "adjacent") == 0)
			rule->unless_context = CONTEXT_ADJACENT;
		else if (strcmp(context, "document") == 0)
			rule->unless_context = CONTEXT_DOCUMENT;
		else {
			set_err(err, errlen, "%s: rule %s: unless.context must be sentence, adjacent or document", source, id);
			return false;
		}
		if (json_object_get(unless, "any") == NULL && json_object_get(unless, "all") == NULL) {
			set_err(err, errlen, "%s: rule %s: unless needs \"any\" or \"all\"", source, id);
			return false;
		}
	}
	char why[300];
	rule->match = compile_patterns(json_object_get(j, "patterns"), "pattern", true, why, sizeof why);
	if (rule->match == NULL) {
		set_err(err, errlen, "%s: rule %s: %s", source, id, why);
		return false;
	}
	if (unless != NULL) {
		const json_t *any = json_object_get(unless, "any"), *all = json_object_get(unless, "all");
		if ((any && (rule->unless_any = compile_patterns(any, "unless.any pattern", true, why, sizeof why)) == NULL) ||
		    (all && (rule->unless_all = compile_patterns(all, "unless.all pattern", true, why, sizeof why)) == NULL)) {
			set_err(err, errlen, "%s: rule %s: %s", source, id, why);
			rule_release(rule);
			return false;
		}
	}
	rule->id = keep_string(r, id);
	rule->category = keep_string(r, category);
	rule->scope = scope ? keep_string(r, json_string_value(scope)) : NULL;
	rule->explanation_ja = keep_string(r, ex_ja);
	rule->explanation_en = keep_string(r, ex_en);
	rule->suggestion_ja = keep_string(r, sg_ja);
	rule->suggestion_en = keep_string(r, sg_en);
	rule->reference = reference ? keep_string(r, json_string_value(reference)) : NULL;
	rule->source = keep_string(r, source);
	if (!rule->id || !rule->category || (scope && !rule->scope) || !rule->explanation_ja || !rule->explanation_en ||
	    !rule->suggestion_ja || !rule->suggestion_en || (reference && !rule->reference) || !rule->source) {
		rule_release(rule);
		set_err(err, errlen, "out of memory");
		return false;
	}
	return true;
}

/* The "negations" object of a rule file: {"after": [pattern…], "before": [pattern…],
 * "comment"}. Only one file may give them. On success *after and *before hold the compiled
 * patterns (either may be NULL when its list is absent). */
static bool parse_negations(const adcheck_rules *r, json_t *j, const char *source, adcheck_patterns **after,
                            adcheck_patterns **before, char *err, size_t errlen)
{
	static const char *const keys[] = {"after", "before", "comment", NULL};
	const char *unknown = NULL;
	if (!json_is_object(j) || !only_keys(j, keys, &unknown) ||
	    (json_object_get(j, "after") == NULL && json_object_get(j, "before") == NULL)) {
		set_err(err, errlen, "%s: negations must be an object with \"after\" and/or \"before\" pattern lists", source);
		return false;
	}
	if (r->negations_after != NULL || r->negations_before != NULL) {
		set_err(err, errlen, "%s: negations are already given by %s", source,
		        r->negations_source ? r->negations_source : "another file");
		return false;
	}
	char why[300];
	const json_t *a = json_object_get(j, "after"), *b = json_object_get(j, "before");
	*after = *before = NULL;
	if ((a && (*after = compile_patterns(a, "negations.after pattern", true, why, sizeof why)) == NULL) ||
	    (b && (*before = compile_patterns(b, "negations.before pattern", true, why, sizeof why)) == NULL)) {
		patterns_free(*after);
		*after = NULL;
		set_err(err, errlen, "%s: %s", source, why);
		return false;
	}
	return true;
}

adcheck_rules *adcheck_rules_new(void)
{
	return calloc(1, sizeof(adcheck_rules));
}

int adcheck_rules_add_json(adcheck_rules *r, const char *json_text, const char *source, char *err, size_t errlen)
{
	if (r->finished) {
		set_err(err, errlen, "%s: the rule set is already finished", source);
		return -1;
	}
	json_error_t jerr;
	json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		set_err(err, errlen, "%s: line %d: %s", source, jerr.line, jerr.text);
		return -1;
	}
	static const char *const top_keys[] = {"scopes", "rules", "negations", "comment", NULL};
	const char *unknown = NULL;
	json_t *scopes = json_object_get(root, "scopes"), *rules = json_object_get(root, "rules");
	json_t *negations = json_object_get(root, "negations");
	if (!json_is_object(root) || !only_keys(root, top_keys, &unknown) || (scopes && !json_is_array(scopes)) ||
	    (rules && !json_is_array(rules)) || (!scopes && !rules && !negations)) {
		set_err(err, errlen, "%s: must be an object with \"scopes\", \"rules\" and/or \"negations\"%s%s%s", source,
		        unknown ? " (unknown field \"" : "", unknown ? unknown : "", unknown ? "\")" : "");
		json_decref(root);
		return -1;
	}
	adcheck_patterns *neg_after = NULL, *neg_before = NULL;
	if (negations != NULL && !parse_negations(r, negations, source, &neg_after, &neg_before, err, errlen)) {
		json_decref(root);
		return -1;
	}
	size_t nscopes = json_array_size(scopes), nrules = json_array_size(rules);
	size_t strings_before = r->string_count, ns = 0, nr = 0;
	adcheck_scope *new_scopes = calloc(nscopes + 1, sizeof *new_scopes);
	adcheck_rule *new_rules = calloc(nrules + 1, sizeof *new_rules);
	bool ok = new_scopes && new_rules;
	if (!ok)
		set_err(err, errlen, "out of memory");
	/* A failed parse releases what it built itself; ns and nr count the good ones. */
	while (ok && ns < nscopes) {
		ok = parse_scope(r, json_array_get(scopes, ns), ns, source, new_scopes, ns, &new_scopes[ns], err, errlen);
		ns += ok;
	}
	while (ok && nr < nrules) {
		ok = parse_rule(r, json_array_get(rules, nr), nr, source, new_rules, nr, &new_rules[nr], err, errlen);
		nr += ok;
	}
	if (ok && (r->count + nrules > r->cap || r->scope_count + nscopes > r->scope_cap)) {
		size_t cap = r->cap, scap = r->scope_cap;
		while (cap < r->count + nrules)
			cap = cap ? cap * 2 : 32;
		while (scap < r->scope_count + nscopes)
			scap = scap ? scap * 2 : 4;
		adcheck_rule *grown = realloc(r->rules, cap * sizeof *grown);
		if (grown != NULL) {
			r->rules = grown;
			r->cap = cap;
		}
		adcheck_scope *sgrown = realloc(r->scopes, scap * sizeof *sgrown);
		if (sgrown != NULL) {
			r->scopes = sgrown;
			r->scope_cap = scap;
		}
		if (grown == NULL || sgrown == NULL) {
			ok = false;
			set_err(err, errlen, "out of memory");
		}
	}
	if (!ok) {
		patterns_free(neg_after);
		patterns_free(neg_before);
		for (size_t i = 0; i < ns; i++)
			scope_release(&new_scopes[i]);
		for (size_t i = 0; i < nr; i++)
			rule_release(&new_rules[i]);
		while (r->string_count > strings_before)
			free(r->strings[--r->string_count]);
	} else {
		if (nrules > 0)
			memcpy(r->rules + r->count, new_rules, nrules * sizeof *new_rules);
		r->count += nrules;
		if (nscopes > 0)
			memcpy(r->scopes + r->scope_count, new_scopes, nscopes * sizeof *new_scopes);
		r->scope_count += nscopes;
		if (negations != NULL) {
			r->negations_after = neg_after;
			r->negations_before = neg_before;
			r->negations_source = keep_string(r, source);
		}
	}
	free(new_scopes);
	free(new_rules);
	json_decref(root);
	return ok ? 0 : -1;
}

/* Builds the prefilter over sources[0, n): the Vectorscan database of every pattern it
 * takes, and a PCRE2 alternation of the rest (marked in slow). Returns 0 or -1 with err. */
static int finish_prefilter(adcheck_rules *r, const char **sources, unsigned *flags, unsigned *ids, bool *slow, size_t n,
                            char *err, size_t errlen)
{
	for (;;) {
		const char **fast = calloc(n + 1, sizeof *fast);
		size_t nfast = 0;
		if (fast == NULL) {
			set_err(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			if (!slow[i]) {
				fast[nfast] = sources[i];
				flags[nfast] = HS_FLAG_UTF8 | HS_FLAG_CASELESS | HS_FLAG_PREFILTER | HS_FLAG_ALLOWEMPTY;
				ids[nfast] = (unsigned)i;
				nfast++;
			}
		if (nfast == 0) {
			free(fast);
			break;
		}
		hs_compile_error_t *ce = NULL;
		hs_error_t hrc = hs_compile_multi(fast, flags, ids, (unsigned)nfast, HS_MODE_BLOCK, NULL, &r->prefilter, &ce);
		int failed = hrc == HS_SUCCESS ? -1 : ce != NULL ? ce->expression : -1;
		if (ce != NULL)
			hs_free_compile_error(ce);
		if (hrc == HS_SUCCESS) {
			free(fast);
			break;
		}
		r->prefilter = NULL;
		if (failed < 0 || (size_t)failed >= nfast) {
			free(fast);
			set_err(err, errlen, "the prefilter (Vectorscan) could not be built");
			return -1;
		}
		slow[ids[failed]] = true; /* retry without it: PCRE2 searches it instead */
		free(fast);
	}
	size_t size = 1;
	for (size_t i = 0; i < n; i++)
		if (slow[i])
			size += strlen(sources[i]) + 5;
	if (size == 1)
		return 0;
	char *alternation = malloc(size), *end = alternation;
	if (alternation == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	*end = '\0';
	for (size_t i = 0; i < n; i++)
		if (slow[i])
			end += sprintf(end, "%s(?:%s)", end == alternation ? "" : "|", sources[i]);
	int code;
	PCRE2_SIZE offset;
	r->combined = pcre2_compile((PCRE2_SPTR)alternation, PCRE2_ZERO_TERMINATED, COMPILE_OPTIONS, &code, &offset, NULL);
	free(alternation);
	if (r->combined == NULL) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof msg);
		set_err(err, errlen, "the forbidden rules' patterns do not combine: %s at offset %zu", (const char *)msg,
		        (size_t)offset);
		return -1;
	}
	pcre2_jit_compile(r->combined, PCRE2_JIT_COMPLETE);
	return 0;
}

int adcheck_rules_finish(adcheck_rules *r, char *err, size_t errlen)
{
	if (r->count == 0) {
		set_err(err, errlen, "no rules were loaded");
		return -1;
	}
	for (size_t i = 0; i < r->count; i++) {
		adcheck_rule *rule = &r->rules[i];
		rule->scope_index = -1;
		if (rule->scope != NULL) {
			for (size_t s = 0; s < r->scope_count; s++)
				if (strcmp(r->scopes[s].id, rule->scope) == 0)
					rule->scope_index = (int)s;
			if (rule->scope_index < 0) {
				set_err(err, errlen, "%s: rule %s: no scope \"%s\" is defined", rule->source, rule->id, rule->scope);
				return -1;
			}
		}
	}
	for (size_t i = 0; i < r->count; i++)
		if (r->rules[i].negatable && r->negations_after == NULL && r->negations_before == NULL) {
			set_err(err, errlen, "%s: rule %s: is negatable but no rule file gives \"negations\"", r->rules[i].source,
			        r->rules[i].id);
			return -1;
		}
	/* The forbidden patterns, for the prefilter. */
	size_t total = 0;
	for (size_t i = 0; i < r->count; i++)
		if (r->rules[i].kind == ADCHECK_FORBIDDEN)
			total += r->rules[i].match->count;
	const char **sources = calloc(total + 1, sizeof *sources);
	unsigned *flags = calloc(total + 1, sizeof *flags), *ids = calloc(total + 1, sizeof *ids);
	bool *slow = calloc(total + 1, sizeof *slow);
	if (sources == NULL || flags == NULL || ids == NULL || slow == NULL) {
		free(sources);
		free(flags);
		free(ids);
		free(slow);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < r->count; i++)
		if (r->rules[i].kind == ADCHECK_FORBIDDEN)
			for (size_t p = 0; p < r->rules[i].match->count; p++)
				sources[n++] = r->rules[i].match->sources[p];
	int rc = finish_prefilter(r, sources, flags, ids, slow, n, err, errlen);
	free(sources);
	free(flags);
	free(ids);
	free(slow);
	if (rc != 0)
		return -1;
	r->finished = true;
	return 0;
}

void adcheck_rules_free(adcheck_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->count; i++)
		rule_release(&r->rules[i]);
	for (size_t i = 0; i < r->scope_count; i++)
		scope_release(&r->scopes[i]);
	for (size_t i = 0; i < r->string_count; i++)
		free(r->strings[i]);
	patterns_free(r->negations_after);
	patterns_free(r->negations_before);
	pcre2_code_free(r->combined);
	hs_free_database(r->prefilter);
	free(r->rules);
	free(r->scopes);
	free(r->strings);
	free(r);
}

size_t adcheck_rule_count(const adcheck_rules *r)
{
	return r->count;
}

const adcheck_rule *adcheck_rule_at(const adcheck_rules *r, size_t i)
{
	return i < r->count ? &r->rules[i] : NULL;
}

const adcheck_rule *adcheck_rule_find(const adcheck_rules *r, const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->rules[i].id, id) == 0)
			return &r->rules[i];
	return NULL;
}

const char *adcheck_kind_name(adcheck_kind k)
{
	return k == ADCHECK_REQUIRED ? "required" : "forbidden";
}

const char *adcheck_severity_name(adcheck_severity s)
{
	return s == ADCHECK_WARNING ? "warning" : "error";
}

const char *adcheck_status_name(adcheck_status s)
{
	switch (s) {
	case ADCHECK_OK:
		return "ok";
	case ADCHECK_EMPTY:
		return "empty";
	case ADCHECK_BINARY:
		return "binary";
	case ADCHECK_BAD_UTF8:
		return "invalid_utf8";
	case ADCHECK_MATCH_LIMIT:
		return "match_limit";
	case ADCHECK_NOMEM:
		return "out_of_memory";
	}
	return "unknown";
}

static bool ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n >= k && strcasecmp(name + n - k, suffix) == 0;
}

adcheck_format adcheck_guess_format(const char *name, const char *input, size_t len)
{
	static const char *const starts[] = {"<!doctype html", "<html", "<!--", "<head", "<body", NULL};
	if (name != NULL && (ends_with(name, ".html") || ends_with(name, ".htm") || ends_with(name, ".xhtml")))
		return ADCHECK_HTML;
	size_t i = 0;
	if (len >= 3 && memcmp(input, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (input[i] == ' ' || input[i] == '\t' || input[i] == '\n' || input[i] == '\r'))
		i++;
	for (const char *const *s = starts; *s; s++) {
		size_t k = strlen(*s);
		if (len - i >= k && strncasecmp(input + i, *s, k) == 0)
			return ADCHECK_HTML;
	}
	return ADCHECK_TEXT;
}

/* ---- checking ---- */

typedef struct raw_finding {
	size_t rule;          /* index into the rule set */
	size_t start, end;    /* in the normalised text */
	bool missing;
} raw_finding;

typedef struct check_state {
	const adcheck_rules *r;
	const char *text;     /* normalised */
	size_t len;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;
	adcheck_error *err;
	bool failed;
	signed char *document_excuse; /* per rule: -1 not yet known, 0 or 1 */
	bool *scope_holds;
	raw_finding *found;
	size_t count, cap;
	size_t (*sentences)[2];  /* [start, end) of sentences the prefilter points at */
	size_t sentence_count, sentence_cap;
} check_state;

static void fail(check_state *st, adcheck_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(check_state *st, adcheck_status status, const char *fmt, ...)
{
	if (st->failed)
		return;
	st->failed = true;
	st->err->status = status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err->message, sizeof st->err->message, fmt, ap);
	va_end(ap);
}

/* Finds the first match of code in text[from, to). Returns 1 (with *ms, *me), 0 or -1. */
static int search(check_state *st, const pcre2_code *code, size_t from, size_t to, size_t *ms, size_t *me,
                  const char *rule_id)
{
	if (st->failed)
		return -1;
	int rc = pcre2_match(code, (PCRE2_SPTR)st->text, to, from, PCRE2_NO_UTF_CHECK, st->md, st->mc);
	if (rc >= 0) {
		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
		*ms = ov[0];
		*me = ov[1] > ov[0] ? ov[1] : ov[0];
		return 1;
	}
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(rc, msg, sizeof msg);
	fail(st, rc == PCRE2_ERROR_NOMEMORY ? ADCHECK_NOMEM : ADCHECK_MATCH_LIMIT, "rule %s: %s", rule_id, (const char *)msg);
	return -1;
}

/* 1 when any (or, with all, every) pattern matches in text[from, to); 0; -1 on error. */
static int patterns_match(check_state *st, const adcheck_patterns *p, bool all, size_t from, size_t to, const char *id)
{
	size_t ms, me;
	for (size_t i = 0; i < p->count; i++) {
		int rc = search(st, p->codes[i], from, to, &ms, &me, id);
		if (rc < 0)
			return -1;
		if (rc == 1 && !all)
			return 1;
		if (rc == 0 && all)
			return 0;
	}
	return all ? 1 : 0;
}

static bool is_terminator_at(const char *t, size_t i, size_t len, size_t *n)
{
	char c = t[i];
	if (c == '\n' || c == '!' || c == '?') {
		*n = 1;
		return true;
	}
	if (i + 3 <= len && memcmp(t + i, "\xE3\x80\x82", 3) == 0) { /* 。 */
		*n = 3;
		return true;
	}
	return false;
}

/* Start of the sentence holding byte pos: just after the previous '。', '!', '?' or newline. */
static size_t sentence_start(const char *t, size_t pos)
{
	while (pos > 0) {
		char c = t[pos - 1];
		if (c == '\n' || c == '!' || c == '?')
			return pos;
		if (pos >= 3 && memcmp(t + pos - 3, "\xE3\x80\x82", 3) == 0)
			return pos;
		pos--;
	}
	return 0;
}

/* End of the sentence holding byte pos, just past its terminator. */
static size_t sentence_end(const char *t, size_t len, size_t pos)
{
	size_t n;
	for (; pos < len; pos++)
		if (is_terminator_at(t, pos, len, &n))
			return pos + n;
	return len;
}

static bool blank(const char *t, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
			return false;
	return true;
}

/* Whether t[from, to) has nothing but white space and sentence ends. */
static bool sentence_blank(const char *t, size_t from, size_t to)
{
	size_t n;
	for (size_t i = from; i < to; i++) {
		if (t[i] == ' ' || t[i] == '\t' || t[i] == '\r')
			continue;
		if (!is_terminator_at(t, i, to, &n))
			return false;
		i += n - 1;
	}
	return true;
}

/* Widens [s, e) by the nearest sentence with text on each side. */
static void widen_to_neighbours(const char *t, size_t len, size_t *s, size_t *e)
{
	size_t p = *s;
	while (p > 0) {
		size_t start = sentence_start(t, p - 1);
		bool empty = sentence_blank(t, start, p);
		p = start;
		if (!empty)
			break;
	}
	*s = p;
	p = *e;
	while (p < len) {
		size_t end = sentence_end(t, len, p);
		bool empty = sentence_blank(t, p, end);
		p = end;
		if (!empty)
			break;
	}
	*e = p;
}

/* Whether the rule's "unless" excuses a match in the sentence [s, e): 1, 0, or -1. */
static int excused(check_state *st, size_t index, size_t s, size_t e)
{
	const adcheck_rule *rule = &st->r->rules[index];
	if (rule->unless_any == NULL && rule->unless_all == NULL)
		return 0;
	if (rule->unless_context == CONTEXT_DOCUMENT && st->document_excuse[index] >= 0)
		return st->document_excuse[index];
	size_t from = s, to = e;
	if (rule->unless_context == CONTEXT_ADJACENT)
		widen_to_neighbours(st->text, st->len, &from, &to);
	else if (rule->unless_context == CONTEXT_DOCUMENT) {
		from = 0;
		to = st->len;
	}
	int rc = 0;
	if (rule->unless_any != NULL)
		rc = patterns_match(st, rule->unless_any, false, from, to, rule->id);
	if (rc == 0 && rule->unless_all != NULL)
		rc = patterns_match(st, rule->unless_all, true, from, to, rule->id);
	if (rule->unless_context == CONTEXT_DOCUMENT && rc >= 0)
		st->document_excuse[index] = (signed char)rc;
	return rc;
}

/* Whether t[i..] starts with a clause break: 、 or one of , ; : (NFKC folds the full-width
 * ones to these). Sets *n to its length. */
static bool is_clause_break_at(const char *t, size_t i, size_t len, size_t *n)
{
	if (t[i] == ',' || t[i] == ';' || t[i] == ':') {
		*n = 1;
		return true;
	}
	if (i + 3 <= len && memcmp(t + i, "\xE3\x80\x81", 3) == 0) { /* 、 */
		*n = 3;
		return true;
	}
	return false;
}

/* Whether a negatable rule's match [ms, me) in the sentence [s, e) is negated, i.e. a
 * disclaimer rather than a claim: 1, 0, or -1 on error. Only the match's own clause counts,
 * so "副作用はなく、安全です" stays a claim that it is safe. The clause runs from the last
 * break (、 , ; :) before the match to the next break after it, or to just after the first
 * です/ます after it: a finished affirmative predicate ends the claim, so in
 * "必ず効きますが副作用はありません" the later negation belongs to another statement. The
 * "after" negations are searched from the match's end to there ("100%保証するエビデンスは
 * ありません"), the "before" ones from the clause's start to the match ("not guaranteed"). */
static int negated(check_state *st, size_t s, size_t e, size_t ms, size_t me)
{
	const char *t = st->text;
	size_t n, from = s, to = e;
	for (size_t i = s; i < ms; i++)
		if (is_clause_break_at(t, i, ms, &n))
			from = i + n;
	for (size_t i = me; i < e; i++) {
		if (is_clause_break_at(t, i, e, &n)) {
			to = i;
			break;
		}
		if (i + 6 <= e && (memcmp(t + i, "\xE3\x81\xA7\xE3\x81\x99", 6) == 0 ||  /* です */
		                   memcmp(t + i, "\xE3\x81\xBE\xE3\x81\x99", 6) == 0)) { /* ます */
			to = i + 6;
			break;
		}
	}
	int rc = 0;
	if (st->r->negations_after != NULL && me < to)
		rc = patterns_match(st, st->r->negations_after, false, me, to, "negations.after");
	if (rc == 0 && st->r->negations_before != NULL && from < ms)
		rc = patterns_match(st, st->r->negations_before, false, from, ms, "negations.before");
	return rc;
}

static void add_found(check_state *st, size_t rule, size_t start, size_t end, bool missing)
{
	if (st->count == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 32;
		raw_finding *f = realloc(st->found, cap * sizeof *f);
		if (f == NULL) {
			fail(st, ADCHECK_NOMEM, "out of memory");
			return;
		}
		st->found = f;
		st->cap = cap;
	}
	st->found[st->count++] = (raw_finding){rule, start, end, missing};
}

static bool rule_applies(const check_state *st, const adcheck_rule *rule)
{
	return rule->scope_index < 0 || st->scope_holds[rule->scope_index];
}

/* Runs every forbidden rule over the sentence [s, e). */
static void check_sentence(check_state *st, size_t s, size_t e)
{
	for (size_t i = 0; i < st->r->count && !st->failed; i++) {
		const adcheck_rule *rule = &st->r->rules[i];
		if (rule->kind != ADCHECK_FORBIDDEN || !rule_applies(st, rule))
			continue;
		size_t first = st->count; /* this rule's findings in this sentence start here */
		for (size_t p = 0; p < rule->match->count && !st->failed; p++) {
			size_t from = s, ms, me;
			while (from < e && search(st, rule->match->codes[p], from, e, &ms, &me, rule->id) == 1) {
				bool overlaps = false;
				for (size_t k = first; k < st->count; k++)
					if (ms < st->found[k].end && st->found[k].start < me)
						overlaps = true;
				if (!overlaps) {
					int rc = excused(st, i, s, e);
					if (rc == 0 && rule->negatable)
						rc = negated(st, s, e, ms, me);
					if (rc < 0)
						return;
					if (rc == 0)
						add_found(st, i, ms, me, false);
				}
				if (me > ms) {
					from = me;
				} else { /* an empty match: step one character */
					from = ms + 1;
					while (from < e && ((unsigned char)st->text[from] & 0xC0) == 0x80)
						from++;
				}
			}
		}
	}
}

/* Notes the sentence holding byte pos for checking (once). */
static void add_sentence(check_state *st, size_t pos)
{
	while (pos > 0 && ((unsigned char)st->text[pos] & 0xC0) == 0x80)
		pos--;
	if (st->sentence_count > 0) {
		const size_t *last = st->sentences[st->sentence_count - 1];
		if (last[0] <= pos && pos < last[1])
			return;
	}
	if (st->sentence_count == st->sentence_cap) {
		size_t cap = st->sentence_cap ? st->sentence_cap * 2 : 64;
		size_t(*grown)[2] = realloc(st->sentences, cap * sizeof *grown);
		if (grown == NULL) {
			fail(st, ADCHECK_NOMEM, "out of memory");
			return;
		}
		st->sentences = grown;
		st->sentence_cap = cap;
	}
	st->sentences[st->sentence_count][0] = sentence_start(st->text, pos);
	st->sentences[st->sentence_count][1] = sentence_end(st->text, st->len, pos);
	st->sentence_count++;
}

static int on_prefilter_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                              void *ctx)
{
	(void)id;
	(void)from;
	(void)flags;
	check_state *st = ctx;
	if (to > 0)
		add_sentence(st, (size_t)to - 1);
	return st->failed ? 1 : 0;
}

static int compare_sentences(const void *a, const void *b)
{
	const size_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Finds the sentences that may hold a forbidden match, then checks each once, in order. */
static void check_forbidden(check_state *st)
{
	const adcheck_rules *r = st->r;
	if (r->prefilter != NULL && !st->failed) {
		hs_scratch_t *scratch = NULL;
		if (st->len > UINT32_MAX)
			fail(st, ADCHECK_NOMEM, "the text is larger than 4 GiB");
		else if (hs_alloc_scratch(r->prefilter, &scratch) != HS_SUCCESS)
			fail(st, ADCHECK_NOMEM, "out of memory (prefilter scratch)");
		else if (hs_scan(r->prefilter, st->text, (unsigned int)st->len, 0, scratch, on_prefilter_match, st) != HS_SUCCESS &&
		         !st->failed)
			fail(st, ADCHECK_NOMEM, "the prefilter scan failed");
		hs_free_scratch(scratch);
	}
	size_t pos = 0, ms, me;
	while (r->combined != NULL && pos < st->len && search(st, r->combined, pos, st->len, &ms, &me, "(combined)") == 1) {
		add_sentence(st, ms);
		pos = sentence_end(st->text, st->len, ms);
	}
	if (st->failed)
		return;
	if (st->sentence_count > 1)
		qsort(st->sentences, st->sentence_count, sizeof *st->sentences, compare_sentences);
	size_t done = 0; /* sentences are disjoint; skip repeats */
	for (size_t i = 0; i < st->sentence_count && !st->failed; i++) {
		if (i > 0 && st->sentences[i][0] < done)
			continue;
		check_sentence(st, st->sentences[i][0], st->sentences[i][1]);
		done = st->sentences[i][1];
	}
}

static int compare_found(const void *a, const void *b)
{
	const raw_finding *x = a, *y = b;
	if (x->missing != y->missing)
		return x->missing ? -1 : 1;
	if (!x->missing && x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

void adcheck_report_free(adcheck_report *rep)
{
	if (rep == NULL)
		return;
	for (size_t i = 0; i < rep->count; i++) {
		free(rep->findings[i].text);
		free(rep->findings[i].normalized);
	}
	free(rep->findings);
	free(rep->scopes);
	free(rep->checked_text);
	free(rep);
}

static char *copy_bytes(const char *s, size_t n)
{
	char *c = malloc(n + 1);
	if (c != NULL) {
		memcpy(c, s, n);
		c[n] = '\0';
	}
	return c;
}

/* Turns the raw findings into the report: positions in the input, texts. */
static adcheck_report *build_report(check_state *st, const char *input, size_t len, const adtext *html, adtext *norm)
{
	adcheck_report *rep = calloc(1, sizeof *rep);
	size_t npos = 2 * st->count + 1;
	adtext_position *pos = calloc(npos, sizeof *pos);
	if (rep == NULL || pos == NULL || (st->count && (rep->findings = calloc(st->count, sizeof *rep->findings)) == NULL) ||
	    (rep->scopes = calloc(st->r->scope_count + 1, sizeof *rep->scopes)) == NULL) {
		free(pos);
		adcheck_report_free(rep);
		return NULL;
	}
	if (st->count > 1)
		qsort(st->found, st->count, sizeof *st->found, compare_found);
	for (size_t i = 0; i < st->count; i++) {
		const raw_finding *f = &st->found[i];
		size_t bs = 0, be = 0;
		if (!f->missing) {
			bs = adtext_map_back(&norm->map, f->start, false);
			be = adtext_map_back(&norm->map, f->end, true);
			if (html != NULL) {
				bs = adtext_map_back(&html->map, bs, false);
				be = adtext_map_back(&html->map, be, true);
			}
			if (be < bs)
				be = bs;
		}
		pos[2 * i].byte = bs;
		pos[2 * i + 1].byte = be;
	}
	pos[npos - 1].byte = len;
	bool ok = adtext_locate(input, len, pos, npos);
	for (size_t i = 0; ok && i < st->count; i++) {
		const raw_finding *f = &st->found[i];
		adcheck_finding *out = &rep->findings[i];
		out->rule = &st->r->rules[f->rule];
		out->missing = f->missing;
		rep->count++;
		if (out->rule->severity == ADCHECK_ERROR)
			rep->errors++;
		else
			rep->warnings++;
		if (f->missing)
			continue;
		out->byte_start = pos[2 * i].byte;
		out->byte_end = pos[2 * i + 1].byte;
		out->char_start = pos[2 * i].chars;
		out->char_end = pos[2 * i + 1].chars;
		out->utf16_start = pos[2 * i].utf16;
		out->utf16_end = pos[2 * i + 1].utf16;
		out->line = pos[2 * i].line;
		out->column = pos[2 * i].column;
		out->text = copy_bytes(input + out->byte_start, out->byte_end - out->byte_start);
		out->normalized = copy_bytes(norm->text + f->start, f->end - f->start);
		ok = out->text && out->normalized;
	}
	rep->input_chars = pos[npos - 1].chars;
	rep->input_utf16 = pos[npos - 1].utf16;
	for (size_t s = 0; s < st->r->scope_count; s++)
		if (st->scope_holds[s])
			rep->scopes[rep->scope_count++] = st->r->scopes[s].id;
	rep->checked_text = norm->text;
	rep->checked_len = norm->len;
	norm->text = NULL;
	free(pos);
	if (!ok) {
		adcheck_report_free(rep);
		return NULL;
	}
	return rep;
}

static adcheck_report *error_out(adcheck_error *err, adcheck_status status, size_t offset, const char *message)
{
	err->status = status;
	err->byte_offset = offset;
	snprintf(err->message, sizeof err->message, "%s", message);
	return NULL;
}

adcheck_report *adcheck_check(const adcheck_rules *r, const char *input, size_t len, adcheck_format fmt,
                              adcheck_error *err)
{
	memset(err, 0, sizeof *err);
	if (!r->finished)
		return error_out(err, ADCHECK_NOMEM, 0, "the rule set was not finished (adcheck_rules_finish)");
	if (len == 0)
		return error_out(err, ADCHECK_EMPTY, 0, "the input is empty");
	size_t bad = 0;
	int v = adtext_validate(input, len, &bad);
	if (v != 0) {
		char msg[128];
		snprintf(msg, sizeof msg, v == 1 ? "binary input: a NUL byte at byte offset %zu" : "not valid UTF-8 at byte offset %zu",
		         bad);
		return error_out(err, v == 1 ? ADCHECK_BINARY : ADCHECK_BAD_UTF8, bad, msg);
	}
	adtext html = {0}, norm = {0};
	const char *source = input;
	size_t source_len = len;
	if (fmt == ADCHECK_HTML) {
		if (!adtext_html_visible(input, len, &html)) {
			adtext_free(&html);
			return error_out(err, ADCHECK_NOMEM, 0, "out of memory");
		}
		source = html.text ? html.text : "";
		source_len = html.len;
	}
	if (!adtext_nfkc(source, source_len, &norm)) {
		adtext_free(&html);
		adtext_free(&norm);
		return error_out(err, ADCHECK_NOMEM, 0, "out of memory");
	}
	if (blank(norm.text, 0, norm.len)) {
		adtext_free(&html);
		adtext_free(&norm);
		return error_out(err, ADCHECK_EMPTY, 0,
		                 fmt == ADCHECK_HTML ? "the page has no visible text" : "the input holds only white space");
	}

	check_state st = {.r = r, .text = norm.text, .len = norm.len, .err = err};
	st.md = pcre2_match_data_create(1, NULL);
	st.mc = pcre2_match_context_create(NULL);
	st.stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
	st.document_excuse = malloc(r->count + 1);
	st.scope_holds = calloc(r->scope_count + 1, sizeof *st.scope_holds);
	if (!st.md || !st.mc || !st.stack || !st.document_excuse || !st.scope_holds)
		fail(&st, ADCHECK_NOMEM, "out of memory");
	else {
		pcre2_jit_stack_assign(st.mc, NULL, st.stack);
		memset(st.document_excuse, -1, r->count + 1);
	}

	for (size_t s = 0; s < r->scope_count && !st.failed; s++) {
		bool holds = true;
		for (size_t g = 0; g < r->scopes[s].group_count && holds; g++)
			holds = patterns_match(&st, r->scopes[s].groups[g], false, 0, st.len, r->scopes[s].id) == 1;
		st.scope_holds[s] = holds && !st.failed;
	}
	check_forbidden(&st);
	for (size_t i = 0; i < r->count && !st.failed; i++) {
		const adcheck_rule *rule = &r->rules[i];
		if (rule->kind == ADCHECK_REQUIRED && rule_applies(&st, rule) &&
		    patterns_match(&st, rule->match, false, 0, st.len, rule->id) == 0)
			add_found(&st, i, 0, 0, true);
	}

	adcheck_report *rep = NULL;
	if (!st.failed) {
		rep = build_report(&st, input, len, fmt == ADCHECK_HTML ? &html : NULL, &norm);
		if (rep == NULL)
			fail(&st, ADCHECK_NOMEM, "out of memory");
	}
	pcre2_match_data_free(st.md);
	pcre2_match_context_free(st.mc);
	pcre2_jit_stack_free(st.stack);
	free(st.document_excuse);
	free(st.scope_holds);
	free(st.found);
	free(st.sentences);
	adtext_free(&html);
	adtext_free(&norm);
	return rep;
}
