/* The advertising checker: every rule's cases of tests/data/adcheck/cases.json against the
 * real rules of data/adrules/, the seed article, positions in the input, HTML visible text,
 * bad input, bad rule files, and exosafe's own pages and message catalogues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/adcheck.h"
#include "core/adcheck_text.h"
#include "http/handlers.h"
#include "service/adrules.h"
#include "testutil.h"

#define RULES_DIR "data/adrules"
#define CASES_FILE "tests/data/adcheck/cases.json"
#define SEED_FILE "../shared/seed/000_c029625cf95e6ddf.txt"

static int setup(void **state)
{
	char err[512];
	adcheck_rules *r = adrules_load_dir(RULES_DIR, err, sizeof err);
	if (r == NULL)
		fail_msg("%s: %s", RULES_DIR, err);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	adcheck_rules_free(*state);
	return 0;
}

static adcheck_report *check(const adcheck_rules *r, const char *text, adcheck_format fmt)
{
	adcheck_error err;
	adcheck_report *rep = adcheck_check(r, text, strlen(text), fmt, &err);
	if (rep == NULL)
		fail_msg("check failed on \"%s\": %s", text, err.message);
	return rep;
}

static const adcheck_finding *find_rule(const adcheck_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->count; i++)
		if (strcmp(rep->findings[i].rule->id, id) == 0)
			return &rep->findings[i];
	return NULL;
}

static void describe(const adcheck_report *rep, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < rep->count && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, " %s\"%s\"", rep->findings[i].rule->id,
		                         rep->findings[i].missing ? "(missing)" : rep->findings[i].text);
}

static void test_every_rule_has_cases(void **state)
{
	const adcheck_rules *r = *state;
	json_error_t jerr;
	json_t *root = json_load_file(CASES_FILE, 0, &jerr);
	if (root == NULL)
		fail_msg("%s: %s", CASES_FILE, jerr.text);
	assert_true(adcheck_rule_count(r) >= 20);
	for (size_t i = 0; i < adcheck_rule_count(r); i++) {
		const adcheck_rule *rule = adcheck_rule_at(r, i);
		size_t flags = 0, passes = 0, k;
		json_t *c;
		json_array_foreach(json_object_get(root, "cases"), k, c) {
			if (strcmp(json_string_value(json_object_get(c, "rule")), rule->id) != 0)
				continue;
			flags += json_array_size(json_object_get(c, "flag"));
			passes += json_array_size(json_object_get(c, "pass"));
		}
		if (flags < 3 || passes < 3)
			fail_msg("rule %s has %zu cases to flag and %zu near-misses; each needs at least 3", rule->id, flags, passes);
	}
	json_decref(root);
}

static void test_cases(void **state)
{
	const adcheck_rules *r = *state;
	json_error_t jerr;
	json_t *root = json_load_file(CASES_FILE, 0, &jerr);
	if (root == NULL)
		fail_msg("%s: %s", CASES_FILE, jerr.text);
	size_t k, n, failures = 0, total = 0;
	json_t *c, *t;
	json_array_foreach(json_object_get(root, "cases"), k, c) {
		const char *id = json_string_value(json_object_get(c, "rule"));
		const adcheck_rule *rule = adcheck_rule_find(r, id);
		if (rule == NULL)
			fail_msg("%s: case for unknown rule %s", CASES_FILE, id);
		json_array_foreach(json_object_get(c, "flag"), n, t) {
			adcheck_report *rep = check(r, json_string_value(t), ADCHECK_TEXT);
			const adcheck_finding *f = find_rule(rep, id);
			total++;
			if (f == NULL || (rule->kind == ADCHECK_FORBIDDEN && (f->missing || f->text == NULL || f->text[0] == '\0'))) {
				char got[1024];
				describe(rep, got, sizeof got);
				print_message("%s must flag: %s\n    found:%s\n", id, json_string_value(t), got);
				failures++;
			}
			adcheck_report_free(rep);
		}
		json_array_foreach(json_object_get(c, "pass"), n, t) {
			adcheck_report *rep = check(r, json_string_value(t), ADCHECK_TEXT);
			total++;
			/* A forbidden rule's near-miss must be clean; a required rule's must not miss it. */
			if (rule->kind == ADCHECK_FORBIDDEN ? rep->count != 0 : find_rule(rep, id) != NULL) {
				char got[1024];
				describe(rep, got, sizeof got);
				print_message("%s must not flag: %s\n    found:%s\n", id, json_string_value(t), got);
				failures++;
			}
			adcheck_report_free(rep);
		}
	}
	json_decref(root);
	if (failures)
		fail_msg("%zu of %zu cases failed", failures, total);
}

/* The seed article: flagged for the disclosures it lacks, not for those it has, and for
 * nothing else (its "100%" and "安全です" stand beside their qualifications). It says the
 * relief system does not apply ("国の副作用救済制度を受けることはできません") but gives no
 * phone number, address or contact point in its text ("お気軽にお問い合わせください" and a
 * 予約ダイヤル label whose number was a link). */
static void test_seed(void **state)
{
	const adcheck_rules *r = *state;
	size_t len;
	char *text = read_whole_file(SEED_FILE, &len);
	if (text == NULL)
		fail_msg("%s cannot be read (shared/ must sit beside the repository)", SEED_FILE);
	adcheck_error err;
	adcheck_report *rep = adcheck_check(r, text, len, ADCHECK_TEXT, &err);
	assert_non_null(rep);
	assert_int_equal(rep->scope_count, 1);
	assert_string_equal(rep->scopes[0], "unapproved-free-practice");
	static const char *const lacks[] = {"disclosure.source", "disclosure.foreign-safety", "disclosure.period",
	                                    "disclosure.contact"};
	static const char *const has[] = {"disclosure.unapproved", "disclosure.domestic-equivalent", "disclosure.cost",
	                                  "disclosure.risks", "disclosure.relief-system"};
	for (size_t i = 0; i < sizeof lacks / sizeof lacks[0]; i++) {
		const adcheck_finding *f = find_rule(rep, lacks[i]);
		if (f == NULL)
			fail_msg("the seed lacks %s but was not flagged for it", lacks[i]);
		assert_true(f->missing);
	}
	for (size_t i = 0; i < sizeof has / sizeof has[0]; i++)
		if (find_rule(rep, has[i]) != NULL)
			fail_msg("the seed has %s but was flagged for it", has[i]);
	char got[1024];
	describe(rep, got, sizeof got);
	if (rep->count != 4)
		fail_msg("the seed should have exactly 4 findings, got%s", got);
	adcheck_report_free(rep);
	free(text);
}

/* A negation excuses a claim only within the claim's own clause: a disclaimer is clean,
 * a claim beside a negation of something else is still a claim (cases.json holds the rest). */
static void test_negation_scope(void **state)
{
	const adcheck_rules *r = *state;
	static const struct {
		const char *text, *rule; /* rule NULL: no finding at all */
	} cases[] = {
		{"安全を100%保証するエビデンスはありません。", NULL},
		{"必ず効くわけではありません。", NULL},
		{"We cannot guarantee results.", NULL},
		{"副作用はなく、安全です。", "safety.safe-only"},
		{"副作用はなく、安全です。", "safety.no-side-effects"},
		{"効果を保証するものではありませんが、100%満足いただけます。", "guarantee.percent"},
		/* ます ends the claim: the later ありません negates another statement. */
		{"必ず効きますが副作用はありません。", "guarantee.effect"},
		{"Results are guaranteed, with no pain.", "guarantee.effect"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		adcheck_report *rep = check(r, cases[i].text, ADCHECK_TEXT);
		char got[1024];
		describe(rep, got, sizeof got);
		if (cases[i].rule == NULL ? rep->count != 0 : find_rule(rep, cases[i].rule) == NULL)
			fail_msg("%s: expected %s, found:%s", cases[i].text, cases[i].rule ? cases[i].rule : "nothing", got);
		adcheck_report_free(rep);
	}
}

static void test_positions(void **state)
{
	const adcheck_rules *r = *state;
	/* Full-width digits and percent sign, after two ideographic spaces on line 2. */
	adcheck_report *rep = check(r, "はじめに\n\xE3\x80\x80\xE3\x80\x80１００％効果を実感", ADCHECK_TEXT);
	const adcheck_finding *f = find_rule(rep, "guarantee.percent");
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	assert_int_equal(f->column, 3);
	assert_int_equal(f->char_start, 7);
	assert_string_equal(f->text, "１００％効");
	assert_string_equal(f->normalized, "100%効");
	assert_int_equal(f->char_end - f->char_start, 5);
	adcheck_report_free(rep);

	/* An emoji (two UTF-16 units) before the match; half-width katakana folded. */
	rep = check(r, "\xF0\x9F\x98\x80ﾀﾞｳﾝﾀｲﾑなし", ADCHECK_TEXT);
	f = find_rule(rep, "safety.painless");
	assert_non_null(f);
	assert_int_equal(f->char_start, 1);
	assert_int_equal(f->utf16_start, 2);
	assert_int_equal(f->byte_start, 4);
	assert_string_equal(f->text, "ﾀﾞｳﾝﾀｲﾑなし");
	assert_string_equal(f->normalized, "ダウンタイムなし");
	assert_int_equal(f->char_end, 1 + strlen("ﾀﾞｳﾝﾀｲﾑなし") / 3);
	assert_int_equal(rep->input_chars, f->char_end);
	assert_int_equal(rep->input_utf16, f->utf16_end);
	adcheck_report_free(rep);
}

static void test_html(void **state)
{
	const adcheck_rules *r = *state;
	const char *page =
		"<!DOCTYPE html>\n"
		"<html><head><title>最先端クリニック</title>\n"                          /* line 2 */
		"<style>p::before { content: \"必ず治ります\"; }</style>\n"
		"<script>const s = '副作用なし';</script>\n"
		"<meta name=\"description\" content=\"奇跡のクリーム\"></head>\n"        /* line 5 */
		"<body><!-- 日本一 -->\n"
		"<p>&#24517;ず治ります</p>\n"                                          /* line 7: 必 */
		"<p>必ず</p><p>治療の前に医師にご相談ください</p>\n"
		"<p>副作用\n   なし</p>\n"                                             /* lines 9-10 */
		"<img src=\"a.png\" alt=\"体験談\">\n"                                 /* line 11 */
		"<p>価格 &yen;22,000 &amp; 送料</p>\n"
		"</body></html>\n";
	adcheck_report *rep = check(r, page, ADCHECK_HTML);
	char got[2048];
	describe(rep, got, sizeof got);
	const adcheck_finding *f = find_rule(rep, "superiority.superlative");
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	assert_int_equal(f->column, 20);
	assert_string_equal(f->text, "最先端");
	f = find_rule(rep, "exaggeration.miracle");
	assert_non_null(f);
	assert_int_equal(f->line, 5);
	f = find_rule(rep, "guarantee.effect");
	assert_non_null(f);
	assert_int_equal(f->line, 7);
	assert_int_equal(f->column, 4);
	assert_string_equal(f->text, "&#24517;ず治");
	assert_string_equal(f->normalized, "必ず治");
	f = find_rule(rep, "safety.no-side-effects");
	assert_non_null(f);
	assert_int_equal(f->line, 9);
	assert_string_equal(f->text, "副作用\n   なし");
	f = find_rule(rep, "testimonial.voice");
	assert_non_null(f);
	assert_int_equal(f->line, 11);
	assert_string_equal(f->text, "体験談");
	/* Nothing from style, script or the comment; "必ず" and "治療" are separate paragraphs. */
	if (rep->count != 5)
		fail_msg("expected 5 findings, got%s", got);
	adcheck_report_free(rep);

	/* Visible text: entities decoded, script skipped, blocks separated. */
	adtext t;
	const char *h = "<p>a&amp;b&lt;&#x41;&nbsp;&copy</p><script>x<y</script><div>c</div>&unknown; 1 < 2";
	assert_true(adtext_html_visible(h, strlen(h), &t));
	assert_string_equal(t.text, "a&b<A\xC2\xA0\xC2\xA9\nc\n&unknown; 1 < 2");
	adtext_free(&t);
}

static void test_bad_input(void **state)
{
	const adcheck_rules *r = *state;
	adcheck_error err;
	assert_null(adcheck_check(r, "", 0, ADCHECK_TEXT, &err));
	assert_int_equal(err.status, ADCHECK_EMPTY);
	assert_null(adcheck_check(r, " \n\xE3\x80\x80\t", 6, ADCHECK_TEXT, &err));
	assert_int_equal(err.status, ADCHECK_EMPTY);
	assert_null(adcheck_check(r, "<html><script>必ず治る</script></html>", strlen("<html><script>必ず治る</script></html>"),
	                          ADCHECK_HTML, &err));
	assert_int_equal(err.status, ADCHECK_EMPTY);
	assert_null(adcheck_check(r, "abc\0def", 7, ADCHECK_TEXT, &err));
	assert_int_equal(err.status, ADCHECK_BINARY);
	assert_int_equal(err.byte_offset, 3);
	assert_non_null(strstr(err.message, "byte offset 3"));
	static const struct {
		const char *bytes;
		size_t len, offset;
	} bad[] = {
		{"ab\xFF", 3, 2},                 /* never valid */
		{"\xE5\xBF\x85\xC0\xAF", 5, 3},   /* overlong '/' after 必 */
		{"x\xED\xA0\x80y", 5, 1},          /* a surrogate */
		{"ok\xE5\xBF", 4, 2},             /* cut short at the end */
		{"\xF4\x90\x80\x80", 4, 0},       /* above U+10FFFF */
		{"a\x80", 2, 1},                  /* a lone continuation byte */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_null(adcheck_check(r, bad[i].bytes, bad[i].len, ADCHECK_TEXT, &err));
		assert_int_equal(err.status, ADCHECK_BAD_UTF8);
		assert_int_equal(err.byte_offset, bad[i].offset);
	}
}

static const char good_rule[] =
	"{\"id\": \"x.good\", \"kind\": \"forbidden\", \"category\": \"guarantee\", \"severity\": \"error\", "
	"\"patterns\": [\"foo\"], \"explanation\": {\"ja\": \"j\", \"en\": \"e\"}, \"suggestion\": {\"ja\": \"j\", \"en\": \"e\"}}";

static void expect_rejected(const char *rules_json, const char *needle)
{
	char err[512] = "";
	adcheck_rules *r = adcheck_rules_new();
	assert_non_null(r);
	assert_int_equal(adcheck_rules_add_json(r, "{\"rules\": [", "t.json", err, sizeof err), -1);
	char doc[2048];
	snprintf(doc, sizeof doc, "{\"rules\": [%s, %s]}", good_rule, rules_json);
	if (adcheck_rules_add_json(r, doc, "bad.json", err, sizeof err) == 0)
		fail_msg("accepted: %s", rules_json);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	/* Nothing of the failed file was kept. */
	assert_int_equal(adcheck_rule_count(r), 0);
	adcheck_rules_free(r);
}

#define RULE(id, extra)                                                                                              \
	"{\"id\": \"" id "\", \"kind\": \"forbidden\", \"category\": \"guarantee\", \"severity\": \"error\", " extra \
	", \"explanation\": {\"ja\": \"j\", \"en\": \"e\"}, \"suggestion\": {\"ja\": \"j\", \"en\": \"e\"}}"

static void test_bad_rules(void **state)
{
	(void)state;
	expect_rejected(RULE("x.paren", "\"patterns\": [\"ok\", \"(unclosed\"]"), "bad.json: rule x.paren: pattern 2: missing closing parenthesis");
	expect_rejected(RULE("x.wide", "\"patterns\": [\"１００％\"]"), "rule x.wide: pattern 1: not in NFKC form");
	expect_rejected(RULE("x.backref", "\"patterns\": [\"(a)\\\\1\"]"), "rule x.backref: pattern 1: backreferences");
	expect_rejected(RULE("x.empty", "\"patterns\": [\"a?\"]"), "rule x.empty: pattern 1: it can match empty text");
	expect_rejected(RULE("x.good", "\"patterns\": [\"bar\"]"), "rule x.good: defined twice");
	expect_rejected(RULE("x.typo", "\"patterns\": [\"a\"], \"pattern\": []"), "rule x.typo: unknown field \"pattern\"");
	expect_rejected(RULE("x.unless", "\"patterns\": [\"a\"], \"unless\": {\"any\": [\"[z-a]\"]}"),
	                "rule x.unless: unless.any pattern 1: range out of order");
	expect_rejected("{\"id\": \"x.req\", \"kind\": \"required\", \"category\": \"disclosure\", \"severity\": \"error\", "
	                "\"patterns\": [\"a\"], \"explanation\": {\"ja\": \"j\", \"en\": \"e\"}, \"suggestion\": {\"ja\": \"j\", \"en\": \"e\"}}",
	                "rule x.req: a required rule needs a scope");
	expect_rejected(RULE("Bad Id", "\"patterns\": [\"a\"]"), "rules[1]: needs an id");
	expect_rejected(RULE("x.neg", "\"patterns\": [\"a\"], \"negatable\": \"yes\""), "rule x.neg: negatable must be true or false");
	expect_rejected("{\"id\": \"x.reqneg\", \"kind\": \"required\", \"category\": \"disclosure\", \"severity\": \"error\", "
	                "\"scope\": \"s\", \"negatable\": true, \"patterns\": [\"a\"], \"explanation\": {\"ja\": \"j\", \"en\": \"e\"}, "
	                "\"suggestion\": {\"ja\": \"j\", \"en\": \"e\"}}",
	                "rule x.reqneg: a required rule cannot be \"negatable\"");

	/* A scope that no file defines is reported when loading ends. */
	char err[512];
	adcheck_rules *r = adcheck_rules_new();
	char doc[1024];
	snprintf(doc, sizeof doc, "{\"rules\": [%s]}", RULE("x.scoped", "\"scope\": \"nowhere\", \"patterns\": [\"a\"]"));
	assert_int_equal(adcheck_rules_add_json(r, doc, "s.json", err, sizeof err), 0);
	assert_int_equal(adcheck_rules_finish(r, err, sizeof err), -1);
	assert_non_null(strstr(err, "rule x.scoped: no scope \"nowhere\""));
	adcheck_rules_free(r);

	/* A negatable rule needs the negations of some file; a second file cannot give them again,
	 * and a bad negation pattern names its list and number. */
	r = adcheck_rules_new();
	snprintf(doc, sizeof doc, "{\"rules\": [%s]}", RULE("x.negatable", "\"negatable\": true, \"patterns\": [\"a\"]"));
	assert_int_equal(adcheck_rules_add_json(r, doc, "n.json", err, sizeof err), 0);
	assert_int_equal(adcheck_rules_finish(r, err, sizeof err), -1);
	assert_non_null(strstr(err, "rule x.negatable: is negatable but no rule file gives \"negations\""));
	adcheck_rules_free(r);
	r = adcheck_rules_new();
	assert_int_equal(adcheck_rules_add_json(r, "{\"negations\": {\"after\": [\"ません\"]}}", "a.json", err, sizeof err), 0);
	assert_int_equal(adcheck_rules_add_json(r, "{\"negations\": {\"before\": [\"not\"]}}", "b.json", err, sizeof err), -1);
	assert_non_null(strstr(err, "b.json: negations are already given by a.json"));
	adcheck_rules_free(r);
	r = adcheck_rules_new();
	assert_int_equal(adcheck_rules_add_json(r, "{\"negations\": {\"before\": [\"not\", \"(x\"]}}", "c.json", err, sizeof err), -1);
	assert_non_null(strstr(err, "c.json: negations.before pattern 2: missing closing parenthesis"));
	assert_int_equal(adcheck_rules_add_json(r, "{\"negations\": {\"afterwards\": []}}", "d.json", err, sizeof err), -1);
	assert_non_null(strstr(err, "d.json: negations must be an object"));
	adcheck_rules_free(r);

	/* A directory with a bad file names the file and the rule. */
	assert_null(adrules_load_dir("tests/data/adcheck/bad-rules", err, sizeof err));
	assert_non_null(strstr(err, "tests/data/adcheck/bad-rules/10-bad.json: rule bad.unclosed: pattern 1:"));
	assert_null(adrules_load_dir("tests/data/adcheck/no-such-folder", err, sizeof err));
}

/* Character-by-character NFKC gives what utf8proc gives for the whole text. */
static void test_nfkc_like_utf8proc(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ", "か\xE3\x82\x99き\xE3\x82\x9A", "e\xCC\x81 A\xCC\x8A\xCC\xA3", "①②③ ㌀ ㍻ ℃ ™",
		"\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8 가\xE1\x86\xA8", "ＡＢＣ１２３！？", "ﬁ ﬀ ẛ\xCC\xA3", "〜～ー－", "abc",
		"\xCC\x81start with a mark", "가각\xE1\x86\xA8ᄀ\xE1\x85\xA1",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		adtext t;
		assert_true(adtext_nfkc(texts[i], strlen(texts[i]), &t));
		utf8proc_uint8_t *want = utf8proc_NFKC((const utf8proc_uint8_t *)texts[i]);
		assert_non_null(want);
		assert_string_equal(t.text, (const char *)want);
		/* The map is monotonic and ends at the source's end. */
		size_t last = 0;
		for (size_t o = 0; o <= t.len; o++) {
			size_t s = adtext_map_back(&t.map, o, false);
			assert_true(s >= last);
			last = s;
		}
		assert_int_equal(adtext_map_back(&t.map, t.len, true), strlen(texts[i]));
		free(want);
		adtext_free(&t);
	}
}

/* Prints a report's findings; returns how many there were. */
static size_t report_findings(const char *what, const adcheck_report *rep, bool forbidden_only)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->count; i++) {
		const adcheck_finding *f = &rep->findings[i];
		if (forbidden_only && f->rule->kind != ADCHECK_FORBIDDEN)
			continue;
		if (f->missing)
			print_message("%s: %s: required disclosure missing\n", what, f->rule->id);
		else
			print_message("%s:%ld:%ld: %s: \"%s\"\n", what, f->line, f->column, f->rule->id, f->text);
		n++;
	}
	return n;
}

/* The keys a page names with data-i18n, data-i18n-title, -placeholder and -aria-label. */
static json_t *page_keys(const char *page)
{
	json_t *keys = json_array();
	for (const char *p = strstr(page, "data-i18n"); p != NULL; p = strstr(p + 1, "data-i18n")) {
		const char *q = p + strlen("data-i18n");
		while (*q == '-' || (*q >= 'a' && *q <= 'z'))
			q++;
		if (q[0] != '=' || q[1] != '"')
			continue;
		const char *close = strchr(q + 2, '"');
		if (close != NULL)
			json_array_append_new(keys, json_stringn(q + 2, (size_t)(close - q - 2)));
	}
	return keys;
}

/* exosafe's own pages and catalogues carry no advertising claim, and a page about the
 * product and its price carries every disclosure. Each page is checked as shipped (HTML, in
 * Japanese) and as the catalogues render it in each language (the values of the keys it
 * names, one per line); every catalogue value is also checked on its own against the
 * forbidden rules (values that only scripts show). */
static void test_own_pages(void **state)
{
	const adcheck_rules *r = *state;
	static const char *const langs[] = {"ja", "en"};
	json_t *catalogue[2];
	for (size_t c = 0; c < 2; c++) {
		char path[64];
		json_error_t jerr;
		snprintf(path, sizeof path, "web/i18n/%s.json", langs[c]);
		if ((catalogue[c] = json_load_file(path, 0, &jerr)) == NULL)
			fail_msg("%s: %s", path, jerr.text);
	}
	DIR *d = opendir("web");
	assert_non_null(d);
	struct dirent *e;
	size_t pages = 0, failures = 0;
	adcheck_error err;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".html") != 0)
			continue;
		char path[512];
		snprintf(path, sizeof path, "web/%s", e->d_name);
		size_t len;
		char *page = slurp_len(path, &len);
		adcheck_report *rep = adcheck_check(r, page, len, ADCHECK_HTML, &err);
		if (rep == NULL)
			fail_msg("%s: %s", path, err.message);
		failures += report_findings(path, rep, false);
		adcheck_report_free(rep);
		json_t *keys = page_keys(page);
		for (size_t c = 0; c < 2; c++) {
			size_t k;
			json_t *key;
			char *doc = NULL;
			size_t doclen = 0;
			FILE *m = open_memstream(&doc, &doclen);
			json_array_foreach(keys, k, key) {
				const char *v = json_string_value(json_object_get(catalogue[c], json_string_value(key)));
				if (v != NULL)
					fprintf(m, "%s\n", v);
			}
			fclose(m);
			char what[600];
			snprintf(what, sizeof what, "%s rendered in %s", path, langs[c]);
			if (doclen > 0) {
				if ((rep = adcheck_check(r, doc, doclen, ADCHECK_TEXT, &err)) == NULL)
					fail_msg("%s: %s", what, err.message);
				failures += report_findings(what, rep, false);
				adcheck_report_free(rep);
			}
			free(doc);
		}
		json_decref(keys);
		free(page);
		pages++;
	}
	closedir(d);
	for (size_t c = 0; c < 2; c++) {
		const char *key;
		json_t *value;
		json_object_foreach(catalogue[c], key, value) {
			if (json_string_length(value) == 0 || strspn(json_string_value(value), " ") == json_string_length(value))
				continue;
			adcheck_report *rep = adcheck_check(r, json_string_value(value), json_string_length(value), ADCHECK_TEXT, &err);
			if (rep == NULL)
				fail_msg("web/i18n/%s.json: %s: %s", langs[c], key, err.message);
			char what[300];
			snprintf(what, sizeof what, "web/i18n/%s.json key %s", langs[c], key);
			failures += report_findings(what, rep, true);
			adcheck_report_free(rep);
		}
		json_decref(catalogue[c]);
	}
	assert_true(pages >= 3);
	if (failures)
		fail_msg("%zu findings on exosafe's own pages or catalogues (listed above)", failures);
}

static void test_default_rules(void **state)
{
	(void)state;
	const adcheck_rules *a = adrules_default("data"), *b = adrules_default("elsewhere");
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_string_equal(adrules_default_error(), "");
	assert_non_null(adcheck_rule_find(a, "disclosure.unapproved"));
}

static void test_guess_format(void **state)
{
	(void)state;
	assert_int_equal(adcheck_guess_format("a.HTML", "x", 1), ADCHECK_HTML);
	assert_int_equal(adcheck_guess_format(NULL, "\xEF\xBB\xBF  <!DOCTYPE html>", 20), ADCHECK_HTML);
	assert_int_equal(adcheck_guess_format("a.txt", "必ず", strlen("必ず")), ADCHECK_TEXT);
	assert_int_equal(adcheck_guess_format(NULL, "<3 love", 7), ADCHECK_TEXT);
}

/* POST /api/v1/adcheck as the router calls it, after the field table let the body through. */
static json_t *call_handler(const char *body, int *status)
{
	server_config cfg;
	config_defaults(&cfg);
	request req;
	memset(&req, 0, sizeof req);
	req.cfg = &cfg;
	req.method = "POST";
	req.path = "/api/v1/adcheck";
	req.lang = LANG_EN;
	json_error_t jerr;
	req.input = json_loads(body, 0, &jerr);
	assert_non_null(req.input);
	handle_adcheck(&req);
	json_decref(req.input);
	*status = req.status;
	return req.reply;
}

static void test_handler(void **state)
{
	(void)state;
	int status;
	json_t *reply = call_handler("{\"text\": \"\U0001F600 必ず治ります。\\n副作用なし\"}", &status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(reply, "format")), "text");
	assert_int_equal(json_integer_value(json_object_get(reply, "utf16_length")), 16);
	const json_t *findings = json_object_get(reply, "findings");
	assert_int_equal(json_array_size(findings), 2);
	const json_t *f = json_array_get(findings, 0);
	assert_string_equal(json_string_value(json_object_get(f, "rule")), "guarantee.effect");
	assert_int_equal(json_integer_value(json_object_get(f, "start")), 2);
	assert_int_equal(json_integer_value(json_object_get(f, "start_utf16")), 3);
	assert_int_equal(json_integer_value(json_object_get(f, "line")), 1);
	assert_non_null(json_object_get(json_object_get(f, "explanation"), "ja"));
	f = json_array_get(findings, 1);
	assert_int_equal(json_integer_value(json_object_get(f, "line")), 2);
	json_decref(reply);

	reply = call_handler("{\"text\": \"<p>&#24517;ず治る</p>\", \"format\": \"html\"}", &status);
	assert_int_equal(status, 200);
	f = json_array_get(json_object_get(reply, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "text")), "&#24517;ず治");
	assert_int_equal(json_integer_value(json_object_get(f, "start")), 3);
	json_decref(reply);

	reply = call_handler("{\"text\": \"エクソソームクリーム 1本22,000円\"}", &status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_array_get(json_object_get(reply, "scopes"), 0)), "unapproved-free-practice");
	f = json_array_get(json_object_get(reply, "findings"), 0);
	assert_true(json_is_true(json_object_get(f, "missing")));
	assert_true(json_is_null(json_object_get(f, "start")));
	json_decref(reply);

	reply = call_handler("{\"text\": \"x\", \"format\": \"pdf\"}", &status);
	assert_int_equal(status, 400);
	assert_string_equal(json_string_value(json_object_get(json_object_get(reply, "error"), "field")), "format");
	json_decref(reply);
	reply = call_handler("{\"text\": \"<script>x</script>\", \"format\": \"html\"}", &status);
	assert_int_equal(status, 400);
	assert_string_equal(json_string_value(json_object_get(json_object_get(reply, "error"), "field")), "text");
	json_decref(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rule_has_cases), cmocka_unit_test(test_cases),
		cmocka_unit_test(test_seed),                 cmocka_unit_test(test_negation_scope),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_html),                 cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_own_pages),            cmocka_unit_test(test_guess_format),
	};
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_nfkc_like_utf8proc),
		cmocka_unit_test(test_default_rules),
		cmocka_unit_test(test_handler),
	};
	int failed = cmocka_run_group_tests_name("adcheck", tests, setup, teardown);
	return failed + cmocka_run_group_tests_name("adcheck_loading", plain, NULL, NULL);
}
