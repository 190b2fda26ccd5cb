/* A patient's answers over time (see answer_history.h). */
#include "core/answer_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/timefmt.h"

#define MAX_RULE_ITEMS 16
#define MAX_VALUE_BYTES 60

/* s, or fallback when s is NULL. */
static const char *or_else(const char *s, const char *fallback)
{
	return s != NULL ? s : fallback;
}

/* ---- item names and answer values, as the doctor reads them ---- */

/* The item object of link_id in a definition, or NULL. */
static const json_t *find_item(const questionnaire *q, const char *link_id)
{
	if (q == NULL)
		return NULL;
	size_t i;
	const json_t *it;
	json_array_foreach(json_object_get(questionnaire_definition(q), "item"), i, it)
		if (strcmp(or_else(json_string_value(json_object_get(it, "linkId")), ""), link_id) == 0)
			return it;
	return NULL;
}

/* The item's short "label" in lang from the first definition that has one, else its linkId. */
static const char *item_name(const questionnaire *a, const questionnaire *b, const char *link_id, const char *lang)
{
	const questionnaire *qs[] = {a, b};
	for (size_t k = 0; k < 2; k++) {
		const char *s = json_string_value(json_object_get(json_object_get(find_item(qs[k], link_id), "label"), lang));
		if (s != NULL)
			return s;
	}
	return link_id;
}

/* The display text of a choice code in lang, or the code itself. */
static const char *option_name(const questionnaire *q, const char *link_id, const char *code, const char *lang)
{
	size_t i;
	const json_t *o;
	json_array_foreach(json_object_get(find_item(q, link_id), "answerOption"), i, o)
		if (strcmp(or_else(json_string_value(json_object_get(o, "code")), ""), code) == 0)
			return or_else(json_string_value(json_object_get(json_object_get(o, "display"), lang)), code);
	return code;
}

/* Appends s cut to MAX_VALUE_BYTES on a UTF-8 character boundary, with "…" when cut. */
static void put_short(strbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (n <= MAX_VALUE_BYTES) {
		strbuf_put(b, s, n);
		return;
	}
	n = MAX_VALUE_BYTES;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	strbuf_put(b, s, n);
	strbuf_puts(b, "…");
}

static void put_value(strbuf *b, const questionnaire *q, const char *link_id, const json_t *v, const char *lang)
{
	bool ja = strcmp(lang, "ja") == 0;
	if (v == NULL || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_string(v) && json_string_length(v) == 0)) {
		strbuf_puts(b, ja ? "未回答" : "no answer");
	} else if (json_is_boolean(v)) {
		strbuf_puts(b, json_is_true(v) ? (ja ? "はい" : "yes") : (ja ? "いいえ" : "no"));
	} else if (json_is_integer(v)) {
		strbuf_printf(b, "%lld", (long long)json_integer_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e) {
			if (i > 0)
				strbuf_puts(b, ja ? "、" : ", ");
			put_short(b, option_name(q, link_id, or_else(json_string_value(e), ""), lang));
		}
	} else if (json_is_string(v)) {
		int repeats = 0;
		if (q != NULL && questionnaire_item_type_of(q, link_id, &repeats) == QITEM_CHOICE)
			put_short(b, option_name(q, link_id, json_string_value(v), lang));
		else
			put_short(b, json_string_value(v));
	}
}

/* "2026-12-03 10:02" in JST. */
static void jst_minute(int64_t t, char out[17])
{
	char day[11];
	jst_date(t, day);
	int64_t sec = ((t + JST_OFFSET_SECONDS) % 86400 + 86400) % 86400;
	snprintf(out, 17, "%.10s %02d:%02d", day, (int)(sec / 3600), (int)(sec / 60 % 60));
}

/* ---- changed answers ---- */

static bool has_rule(const json_t *flags, const char *rule)
{
	size_t i;
	const json_t *f;
	json_array_foreach(flags, i, f)
		if (strcmp(or_else(json_string_value(json_object_get(f, "rule")), ""), rule) == 0)
			return true;
	return false;
}

/* Is f a block or needs-attention flag of its own (not one this module derived)? */
static bool comparable(const json_t *f)
{
	const char *rule = json_string_value(json_object_get(f, "rule"));
	const char *level = json_string_value(json_object_get(f, "level"));
	if (rule == NULL || level == NULL || strcmp(rule, ANSWER_CHANGED_RULE) == 0)
		return false;
	return strcmp(level, "block") == 0 || strcmp(level, "needs-attention") == 0;
}

/* Writes one language's text: what changed, where, and the original reason. */
static char *change_text(const answer_version *cur, const answer_version *old, const json_t *flag, const char *lang)
{
	bool ja = strcmp(lang, "ja") == 0;
	const char *rule = json_string_value(json_object_get(flag, "rule"));
	const char *items[MAX_RULE_ITEMS];
	int n = old->rules ? screening_rule_items(old->rules, rule, items, MAX_RULE_ITEMS) : -1;
	if (n < 0 && strcmp(rule, AGE_MISMATCH_RULE) == 0) {
		items[0] = "age"; /* the one flag not from a rule file reads the age answer */
		n = 1;
	}
	if (n > MAX_RULE_ITEMS)
		n = MAX_RULE_ITEMS;
	strbuf b = {0};
	strbuf_puts(&b, ja ? "回答が変更されました：" : "Answer changed: ");
	int shown = 0;
	for (int i = 0; i < n; i++) {
		const json_t *was = json_object_get(old->answers, items[i]), *now = json_object_get(cur->answers, items[i]);
		if (json_equal(was, now) || (was == NULL && json_is_null(now)) || (now == NULL && json_is_null(was)))
			continue;
		if (shown++ > 0)
			strbuf_puts(&b, ja ? "、" : "; ");
		strbuf_puts(&b, item_name(old->q, cur->q, items[i], lang));
		strbuf_puts(&b, ja ? " 『" : " “");
		put_value(&b, old->q, items[i], was, lang);
		strbuf_puts(&b, ja ? "』→『" : "” → “");
		put_value(&b, cur->q, items[i], now, lang);
		strbuf_puts(&b, ja ? "』" : "”");
	}
	if (shown == 0)
		strbuf_puts(&b, ja ? "以前の回答で出ていた判定が今回は出ていません" : "a flag raised by earlier answers is no longer raised");
	char when[17];
	jst_minute(old->submitted_at, when);
	if (ja)
		strbuf_printf(&b, "（第%d版 %s）。第%d版での判定：", old->number, when, old->number);
	else
		strbuf_printf(&b, " (version %d, %s JST). Flag on version %d: ", old->number, when, old->number);
	strbuf_puts(&b, or_else(json_string_value(json_object_get(json_object_get(flag, "reason"), lang)), rule));
	return strbuf_finish(&b);
}

json_t *answer_changes(const answer_version *current, const answer_version *earlier, size_t n_earlier)
{
	json_t *out = json_array();
	if (out == NULL)
		return NULL;
	/* Newest earlier version first, so each vanished rule cites the last time it fired. */
	for (size_t k = n_earlier; k-- > 0;) {
		const answer_version *old = &earlier[k];
		size_t i;
		const json_t *f;
		json_array_foreach(old->flags, i, f) {
			if (!comparable(f))
				continue;
			const char *rule = json_string_value(json_object_get(f, "rule"));
			if (has_rule(current->flags, rule))
				continue;
			bool seen = false;
			size_t j;
			const json_t *g;
			json_array_foreach(out, j, g)
				seen |= strcmp(json_string_value(json_object_get(g, "changed_rule")), rule) == 0;
			if (seen)
				continue;
			char *ja = change_text(current, old, f, "ja"), *en = change_text(current, old, f, "en");
			json_t *flag = ja && en ? json_pack("{s:s, s:s, s:b, s:s, s:s, s:I, s:i, s:I, s:{s:s, s:s}}", "rule",
			                                    ANSWER_CHANGED_RULE, "level", "needs-attention", "override_required", 1,
			                                    "changed_rule", rule, "changed_level",
			                                    json_string_value(json_object_get(f, "level")), "from_response_id",
			                                    (json_int_t)old->response_id, "from_version", old->number,
			                                    "from_submitted_at", (json_int_t)old->submitted_at, "reason", "ja", ja,
			                                    "en", en)
			                        : NULL;
			free(ja);
			free(en);
			if (flag == NULL || json_array_append_new(out, flag) != 0) {
				json_decref(out);
				return NULL;
			}
		}
	}
	return out;
}

/* ---- age ---- */

int answer_age_on(const char *birth_date, const char *today)
{
	if (birth_date == NULL || today == NULL || !questionnaire_is_date(birth_date) || !questionnaire_is_date(today) ||
	    strcmp(birth_date, today) > 0)
		return -1;
	int by = atoi(birth_date), bm = atoi(birth_date + 5), bd = atoi(birth_date + 8);
	int ty = atoi(today), tm = atoi(today + 5), td = atoi(today + 8);
	return ty - by - (tm < bm || (tm == bm && td < bd));
}

json_t *answer_age_from_birth(json_t *answers, const char *birth_date, const char *today)
{
	int from_birth = answer_age_on(birth_date, today);
	if (from_birth < 0 || !json_is_object(answers))
		return NULL;
	const json_t *answered = json_object_get(answers, "age");
	json_int_t said = json_is_integer(answered) ? json_integer_value(answered) : -1;
	json_object_set_new(answers, "age", json_integer(from_birth));
	if (said < 0 || said == from_birth)
		return NULL;
	char ja[400], en[400];
	snprintf(ja, sizeof ja,
	         "回答の年齢(%lld歳)が登録の生年月日(%s、%d歳)と一致しません。本人の回答か確認してください。年齢の判定には生年月日から計算した%d歳を使いました。",
	         (long long)said, birth_date, from_birth, from_birth);
	snprintf(en, sizeof en,
	         "The age answered (%lld) does not match the date of birth on file (%s, aged %d). Check that the patient "
	         "answered for themselves. The age rules used %d, from the date of birth.",
	         (long long)said, birth_date, from_birth, from_birth);
	return json_pack("{s:s, s:s, s:{s:s, s:s}}", "rule", AGE_MISMATCH_RULE, "level", "needs-attention", "reason", "ja",
	                 ja, "en", en);
}

bool answer_flags_need_override(const json_t *flags, const char *worst_level)
{
	if (worst_level != NULL && strcmp(worst_level, "block") == 0)
		return true;
	size_t i;
	const json_t *f;
	json_array_foreach(flags, i, f)
		if (strcmp(or_else(json_string_value(json_object_get(f, "level")), ""), "block") == 0 ||
		    json_is_true(json_object_get(f, "override_required")))
			return true;
	return false;
}
