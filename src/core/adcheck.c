/* The advertising compliance checker's matching: a text (or the visible text of an HTML page)
 * checked against a finished rule set, sentence by sentence; see adcheck.h. Rule loading is in
 * adcheck_rules.c.
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
#include "core/growth.h"

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
	raw_finding *f = growth_reserve(st->found, &st->cap, st->count + 1, sizeof *f);
	if (f == NULL) {
		fail(st, ADCHECK_NOMEM, "out of memory");
		return;
	}
	st->found = f;
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
	size_t(*grown)[2] = growth_reserve(st->sentences, &st->sentence_cap, st->sentence_count + 1, sizeof *grown);
	if (grown == NULL) {
		fail(st, ADCHECK_NOMEM, "out of memory");
		return;
	}
	st->sentences = grown;
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
