/* The advertising compliance checker's rule loading: rule files (JSON) parsed and their
 * patterns compiled, scopes and negations, and the combined prefilter built when loading ends;
 * see adcheck.h. Matching is in adcheck.c.
 *
 * Speed: PCRE2 is the matcher (its results are the findings), but running ~120 patterns one
 * after another over a page is slow. So the forbidden rules' patterns are also compiled
 * together into one Vectorscan (Hyperscan) database in prefilter mode, which may report a
 * superset of the matches but never misses one, and scans the text once. Only a sentence
 * where it reports something is searched rule by rule with PCRE2. Since every rule match
 * lies inside one sentence, nothing is missed. A pattern Vectorscan cannot take goes into a
 * PCRE2 alternation that is searched the same way (slower, still exact).
 */
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

#include "core/adcheck_internal.h"
#include "core/adcheck_text.h"
#include "core/field_check.h"
#include "core/growth.h"

static const char *const categories[] = {"guarantee",    "superiority", "safety",     "exaggeration", "inducement",
                                         "endorsement",  "fear",        "public-order", "testimonial", "disclosure",
                                         NULL};

/* ---- loading ---- */

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
	char **strings = growth_reserve(r->strings, &r->string_cap, r->string_count + 1, sizeof *strings);
	if (strings == NULL)
		return NULL;
	r->strings = strings;
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
		field_err(why, whylen, "not in NFKC form (text is normalised before matching: write \"%s\")",
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
		field_err(why, whylen, "%s at offset %zu", (const char *)msg, (size_t)offset);
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
			field_err(why, whylen, "out of memory");
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
		field_err(why, whylen, "%s", problem);
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
		field_err(why, whylen, "%s must be a%s array of strings", what, required ? " non-empty" : "n");
		return NULL;
	}
	adcheck_patterns *p = calloc(1, sizeof *p);
	size_t n = json_array_size(list);
	if (p == NULL || (p->codes = calloc(n + 1, sizeof *p->codes)) == NULL ||
	    (p->sources = calloc(n + 1, sizeof *p->sources)) == NULL) {
		if (p != NULL)
			free(p->codes);
		free(p);
		field_err(why, whylen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *s = json_string_value(json_array_get(list, i));
		char reason[240];
		if (s == NULL || *s == '\0') {
			field_err(why, whylen, "%s %zu: must be a non-empty string", what, i + 1);
			patterns_free(p);
			return NULL;
		}
		if ((p->codes[i] = compile_pattern(s, reason, sizeof reason)) == NULL) {
			field_err(why, whylen, "%s %zu: %s", what, i + 1, reason);
			patterns_free(p);
			return NULL;
		}
		if ((p->sources[i] = strdup(s)) == NULL) {
			pcre2_code_free(p->codes[i]);
			field_err(why, whylen, "out of memory");
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
		field_err(err, errlen, "%s: scopes[%zu]: needs an id of a-z, 0-9, '.' and '-'", source, index);
		return false;
	}
	if (!only_keys(j, keys, &unknown)) {
		field_err(err, errlen, "%s: scope %s: unknown field \"%s\"", source, id, unknown);
		return false;
	}
	if (scope_taken(r, fresh, nfresh, id)) {
		field_err(err, errlen, "%s: scope %s: defined twice", source, id);
		return false;
	}
	const json_t *all = json_object_get(j, "all");
	if (!json_is_array(all) || json_array_size(all) == 0) {
		field_err(err, errlen, "%s: scope %s: \"all\" must be a non-empty array of pattern arrays", source, id);
		return false;
	}
	s->groups = calloc(json_array_size(all), sizeof *s->groups);
	if (s->groups == NULL) {
		field_err(err, errlen, "out of memory");
		return false;
	}
	for (size_t g = 0; g < json_array_size(all); g++) {
		char what[48], why[300];
		snprintf(what, sizeof what, "all[%zu] pattern", g + 1);
		if ((s->groups[g] = compile_patterns(json_array_get(all, g), what, true, why, sizeof why)) == NULL) {
			field_err(err, errlen, "%s: scope %s: %s", source, id, why);
			scope_release(s);
			return false;
		}
		s->group_count++;
	}
	s->id = keep_string(r, id);
	if (s->id == NULL) {
		scope_release(s);
		field_err(err, errlen, "out of memory");
		return false;
	}
	return true;
}

/* Parses one rule into rule; returns false with err set. */
/* The "unless" of a forbidden rule: {"context": sentence | adjacent | document, "any": […],
 * "all": […]}; sets rule->unless_context (its patterns are compiled with the rule's). */
static bool parse_unless_context(json_t *unless, const char *source, const char *id, adcheck_rule *rule, char *err,
                                 size_t errlen)
{
	static const char *const unless_keys[] = {"context", "any", "all", NULL};
	const char *unknown = NULL;
	const char *context = json_string_value(json_object_get(unless, "context"));
	if (!json_is_object(unless) || !only_keys(unless, unless_keys, &unknown)) {
		field_err(err, errlen, "%s: rule %s: unless must be an object with context, any and all", source, id);
		return false;
	}
	if (rule->kind == ADCHECK_REQUIRED) {
		field_err(err, errlen, "%s: rule %s: a required rule cannot have \"unless\"", source, id);
		return false;
	}
	if (context == NULL || strcmp(context, "sentence") == 0)
		rule->unless_context = CONTEXT_SENTENCE;
	else if (strcmp(context, "adjacent") == 0)
		rule->unless_context = CONTEXT_ADJACENT;
	else if (strcmp(context, "document") == 0)
		rule->unless_context = CONTEXT_DOCUMENT;
	else {
		field_err(err, errlen, "%s: rule %s: unless.context must be sentence, adjacent or document", source, id);
		return false;
	}
	if (json_object_get(unless, "any") == NULL && json_object_get(unless, "all") == NULL) {
		field_err(err, errlen, "%s: rule %s: unless needs \"any\" or \"all\"", source, id);
		return false;
	}
	return true;
}

/* Copies the rule's texts into the rule set's strings (texts: explanation ja/en, suggestion
 * ja/en). Returns false when memory runs out. */
static bool keep_rule_texts(adcheck_rules *r, adcheck_rule *rule, const char *id, const char *category,
                            const json_t *scope, const json_t *reference, const char *source, const char *const texts[4])
{
	rule->id = keep_string(r, id);
	rule->category = keep_string(r, category);
	rule->scope = scope ? keep_string(r, json_string_value(scope)) : NULL;
	rule->explanation_ja = keep_string(r, texts[0]);
	rule->explanation_en = keep_string(r, texts[1]);
	rule->suggestion_ja = keep_string(r, texts[2]);
	rule->suggestion_en = keep_string(r, texts[3]);
	rule->reference = reference ? keep_string(r, json_string_value(reference)) : NULL;
	rule->source = keep_string(r, source);
	return rule->id && rule->category && (!scope || rule->scope) && rule->explanation_ja && rule->explanation_en &&
	       rule->suggestion_ja && rule->suggestion_en && (!reference || rule->reference) && rule->source;
}

static bool parse_rule(adcheck_rules *r, json_t *j, size_t index, const char *source, const adcheck_rule *fresh,
                       size_t nfresh, adcheck_rule *rule, char *err, size_t errlen)
{
	static const char *const keys[] = {"id", "kind", "category", "severity", "scope", "patterns", "unless", "negatable",
	                                   "explanation", "suggestion", "reference", "comment", NULL};
	const char *id = json_string_value(json_object_get(j, "id")), *unknown = NULL;
	memset(rule, 0, sizeof *rule);
	rule->scope_index = -1;
	if (!json_is_object(j) || !valid_id(id)) {
		field_err(err, errlen, "%s: rules[%zu]: needs an id of a-z, 0-9, '.' and '-'", source, index);
		return false;
	}
	if (!only_keys(j, keys, &unknown)) {
		field_err(err, errlen, "%s: rule %s: unknown field \"%s\"", source, id, unknown);
		return false;
	}
	if (id_taken(r, fresh, nfresh, id)) {
		field_err(err, errlen, "%s: rule %s: defined twice", source, id);
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
		field_err(err, errlen, "%s: rule %s: kind must be \"forbidden\" or \"required\"", source, id);
		return false;
	}
	rule->kind = strcmp(kind, "required") == 0 ? ADCHECK_REQUIRED : ADCHECK_FORBIDDEN;
	if (!known_category) {
		field_err(err, errlen,
		        "%s: rule %s: category must be one of guarantee, superiority, safety, exaggeration, inducement, "
		        "endorsement, fear, public-order, testimonial, disclosure",
		        source, id);
		return false;
	}
	if (severity == NULL || (strcmp(severity, "error") != 0 && strcmp(severity, "warning") != 0)) {
		field_err(err, errlen, "%s: rule %s: severity must be \"error\" or \"warning\"", source, id);
		return false;
	}
	rule->severity = strcmp(severity, "warning") == 0 ? ADCHECK_WARNING : ADCHECK_ERROR;
	if ((scope != NULL && !json_is_string(scope)) || (rule->kind == ADCHECK_REQUIRED && scope == NULL)) {
		field_err(err, errlen, "%s: rule %s: %s", source, id,
		        scope == NULL ? "a required rule needs a scope (where the text must appear)" : "scope must be a scope id");
		return false;
	}
	if (!get_texts(json_object_get(j, "explanation"), &ex_ja, &ex_en) ||
	    !get_texts(json_object_get(j, "suggestion"), &sg_ja, &sg_en)) {
		field_err(err, errlen, "%s: rule %s: explanation and suggestion each need non-empty \"ja\" and \"en\"", source, id);
		return false;
	}
	if (reference != NULL && !json_is_string(reference)) {
		field_err(err, errlen, "%s: rule %s: reference must be a string", source, id);
		return false;
	}
	const json_t *negatable = json_object_get(j, "negatable");
	if (negatable != NULL && (!json_is_boolean(negatable) || rule->kind == ADCHECK_REQUIRED)) {
		field_err(err, errlen, "%s: rule %s: %s", source, id,
		        json_is_boolean(negatable) ? "a required rule cannot be \"negatable\"" : "negatable must be true or false");
		return false;
	}
	rule->negatable = json_is_true(negatable);
	json_t *unless = json_object_get(j, "unless");
	if (unless != NULL && !parse_unless_context(unless, source, id, rule, err, errlen))
		return false;
	char why[300];
	rule->match = compile_patterns(json_object_get(j, "patterns"), "pattern", true, why, sizeof why);
	if (rule->match == NULL) {
		field_err(err, errlen, "%s: rule %s: %s", source, id, why);
		return false;
	}
	if (unless != NULL) {
		const json_t *any = json_object_get(unless, "any"), *all = json_object_get(unless, "all");
		if ((any && (rule->unless_any = compile_patterns(any, "unless.any pattern", true, why, sizeof why)) == NULL) ||
		    (all && (rule->unless_all = compile_patterns(all, "unless.all pattern", true, why, sizeof why)) == NULL)) {
			field_err(err, errlen, "%s: rule %s: %s", source, id, why);
			rule_release(rule);
			return false;
		}
	}
	if (!keep_rule_texts(r, rule, id, category, scope, reference, source, (const char *[]){ex_ja, ex_en, sg_ja, sg_en})) {
		rule_release(rule);
		field_err(err, errlen, "out of memory");
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
		field_err(err, errlen, "%s: negations must be an object with \"after\" and/or \"before\" pattern lists", source);
		return false;
	}
	if (r->negations_after != NULL || r->negations_before != NULL) {
		field_err(err, errlen, "%s: negations are already given by %s", source,
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
		field_err(err, errlen, "%s: %s", source, why);
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
		field_err(err, errlen, "%s: the rule set is already finished", source);
		return -1;
	}
	json_error_t jerr;
	json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		field_err(err, errlen, "%s: line %d: %s", source, jerr.line, jerr.text);
		return -1;
	}
	static const char *const top_keys[] = {"scopes", "rules", "negations", "comment", NULL};
	const char *unknown = NULL;
	json_t *scopes = json_object_get(root, "scopes"), *rules = json_object_get(root, "rules");
	json_t *negations = json_object_get(root, "negations");
	if (!json_is_object(root) || !only_keys(root, top_keys, &unknown) || (scopes && !json_is_array(scopes)) ||
	    (rules && !json_is_array(rules)) || (!scopes && !rules && !negations)) {
		field_err(err, errlen, "%s: must be an object with \"scopes\", \"rules\" and/or \"negations\"%s%s%s", source,
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
		field_err(err, errlen, "out of memory");
	/* A failed parse releases what it built itself; ns and nr count the good ones. */
	while (ok && ns < nscopes) {
		ok = parse_scope(r, json_array_get(scopes, ns), ns, source, new_scopes, ns, &new_scopes[ns], err, errlen);
		ns += ok;
	}
	while (ok && nr < nrules) {
		ok = parse_rule(r, json_array_get(rules, nr), nr, source, new_rules, nr, &new_rules[nr], err, errlen);
		nr += ok;
	}
	if (ok) {
		adcheck_rule *grown = growth_reserve(r->rules, &r->cap, r->count + nrules, sizeof *grown);
		if (grown != NULL)
			r->rules = grown;
		adcheck_scope *sgrown = growth_reserve(r->scopes, &r->scope_cap, r->scope_count + nscopes, sizeof *sgrown);
		if (sgrown != NULL)
			r->scopes = sgrown;
		if (grown == NULL || sgrown == NULL) {
			ok = false;
			field_err(err, errlen, "out of memory");
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
			field_err(err, errlen, "out of memory");
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
			field_err(err, errlen, "the prefilter (Vectorscan) could not be built");
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
		field_err(err, errlen, "out of memory");
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
		field_err(err, errlen, "the forbidden rules' patterns do not combine: %s at offset %zu", (const char *)msg,
		        (size_t)offset);
		return -1;
	}
	pcre2_jit_compile(r->combined, PCRE2_JIT_COMPLETE);
	return 0;
}

int adcheck_rules_finish(adcheck_rules *r, char *err, size_t errlen)
{
	if (r->count == 0) {
		field_err(err, errlen, "no rules were loaded");
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
				field_err(err, errlen, "%s: rule %s: no scope \"%s\" is defined", rule->source, rule->id, rule->scope);
				return -1;
			}
		}
	}
	for (size_t i = 0; i < r->count; i++)
		if (r->rules[i].negatable && r->negations_after == NULL && r->negations_before == NULL) {
			field_err(err, errlen, "%s: rule %s: is negatable but no rule file gives \"negations\"", r->rules[i].source,
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
		field_err(err, errlen, "out of memory");
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
