/* The 医薬品安全性情報報告書 (core/pmda_report.c): every field of the form filled from a case,
 * or left blank where exosafe holds nothing; the seriousness, outcome and death-causality
 * mappings for every coded value; the age at onset (not today); escaping of hostile text; and
 * the bad input refused with the field named. Also the Latin initials of kana names
 * (core/kana.c), checked against the Hepburn passport table restated here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kana.h"
#include "core/pmda_report.h"

#include "testutil_ae_case.h"

#define HOSTILE "かゆみ <script>alert(\"x\")</script> & 'quote'"

static const ae_export_term sample_terms[] = {
	{.code = "pruritus", .name_en = "Pruritus", .name_ja = "そう痒症", .meddra_code = "10037087", .grade = 2},
	{.code = "rash_maculo_papular", .name_en = "Rash maculo-papular", .name_ja = "斑状丘疹状皮疹",
	 .meddra_code = "", .grade = 1},
};

static ae_export_case sample_case(void)
{
	ae_export_case c = {
		SAMPLE_CASE_COMMON,
		.sender_name = "exosafe クリニック",
		.reporter_qualification = "patient",
		.narrative = "塗った翌朝から頬がかゆい。\n医師: 接触皮膚炎を疑う。",
		.terms = sample_terms,
		.treatment = "使用中止、抗ヒスタミン薬内服",
		.product_name = "エクソソームクリーム（男性用）",
		.manufacturer = "Example Bio 株式会社",
		.questionnaire_answers_json = "{\"age\": 45, \"allergy\": true, \"allergy_to\": \"そば\", "
		                              "\"pregnancy\": \"not_applicable\", \"medications\": \"ロキソプロフェン 頓用\", "
		                              "\"prior_treatment_reaction\": false, \"cancer\": false}",
	};
	return c;
}

static pmda_report_info sample_info(void)
{
	pmda_report_info info = {
		.reporter_name = "佐藤 一郎",
		.reporter_profession = "doctor",
		.facility_name = "exosafe クリニック",
		.facility_address = "",
		.facility_phone = "03-1234-5678",
		.report_date = "2026-03-05",
	};
	return info;
}

static char *render(const ae_export_case *c, const pmda_report_info *info)
{
	char err[256] = "";
	char *html = pmda_report_html(c, info, err, sizeof err);
	if (html == NULL)
		fail_msg("refused: %s", err);
	return html;
}

/* Asserts that html contains needle. */
#define assert_has(html, needle)                                                                               \
	do {                                                                                                       \
		if (strstr((html), (needle)) == NULL)                                                                  \
			fail_msg("missing: %s", (needle));                                                                 \
	} while (0)

#define assert_lacks(html, needle)                                                                             \
	do {                                                                                                       \
		if (strstr((html), (needle)) != NULL)                                                                  \
			fail_msg("unexpected: %s", (needle));                                                              \
	} while (0)

/* The circled (chosen) value of a choice field. */
static void assert_choice(const char *html, const char *field, const char *chosen)
{
	char needle[160];
	snprintf(needle, sizeof needle, "data-field=\"%s\" data-value=\"%s\"", field, chosen);
	assert_has(html, needle);
	if (*chosen) {
		snprintf(needle, sizeof needle, "<span class=\"opt on\">%s</span>", chosen);
		assert_has(html, needle);
	}
}

static void assert_value(const char *html, const char *field, const char *text)
{
	char needle[400];
	snprintf(needle, sizeof needle, "<span class=\"v%s\" data-field=\"%s\">%s</span>", *text ? "" : " blank", field, text);
	assert_has(html, needle);
}

static void every_field_is_filled_from_the_case(void **state)
{
	ae_export_case c = sample_case();
	pmda_report_info info = sample_info();
	char *html = render(&c, &info);
	/* The form, on A4, in Japanese, citing the law. */
	assert_has(html, "<html lang=\"ja\">");
	assert_has(html, "@page { size: A4;");
	assert_has(html, "<h1>医薬品安全性情報報告書</h1>");
	assert_has(html, "第68条の10 第2項");
	/* 患者情報 */
	assert_value(html, "patient_initials", "Y.H.");
	assert_choice(html, "sex", "男");
	assert_has(html, "data-field=\"age_at_onset\" data-value=\"45\">45</span><span class=\"unit\">歳</span>");
	assert_value(html, "height", "");
	assert_value(html, "weight", "");
	assert_choice(html, "pregnancy", "無");
	assert_value(html, "comorbidities", "");
	assert_value(html, "medical_history", "");
	assert_choice(html, "past_reactions", "無");
	assert_choice(html, "allergy", "有");
	assert_value(html, "allergy_to", "そば");
	assert_choice(html, "alcohol", "");
	assert_choice(html, "smoking", "");
	/* 副作用等に関する情報: one row per term, the case's criteria on each. */
	assert_value(html, "reaction_name", "そう痒症");
	assert_value(html, "reaction_name", "斑状丘疹状皮疹");
	assert_has(html, "（CTCAE v5.0 グレード2、MedDRA 10037087）");
	assert_has(html, "（CTCAE v5.0 グレード1）");
	assert_choice(html, "seriousness", "重篤");
	assert_has(html, "data-field=\"seriousness_criteria\" data-value=\"6\">⑥</span>");
	assert_has(html, "data-field=\"onset_date\" data-value=\"2026-02-20\">2026年2月20日</span>");
	assert_has(html, "<span class=\"v blank\" data-field=\"outcome_date\" data-value=\"\"></span>");
	assert_choice(html, "outcome", "軽快");
	assert_choice(html, "death_causality", "");
	/* 被疑薬及び使用状況 */
	assert_value(html, "suspect_product", "エクソソームクリーム（男性用）");
	assert_value(html, "manufacturer", "Example Bio 株式会社");
	assert_has(html, "data-field=\"lot_numbers\">LOT-2026-001、L&amp;2&lt;x&gt;</span>");
	assert_value(html, "route", "");
	assert_value(html, "daily_dose", "");
	assert_value(html, "administration_period", "");
	assert_value(html, "indication", "");
	assert_has(html, "data-field=\"concomitant\">ロキソプロフェン 頓用</span>");
	assert_has(html, "（2026-01-10 回答の問診票の患者記載）");
	/* 経過 */
	assert_has(html, "2026年2月20日　副作用等発現（報告時点で継続中）。");
	assert_has(html, "data-field=\"narrative\">塗った翌朝から頬がかゆい。\n医師: 接触皮膚炎を疑う。</p>");
	assert_value(html, "treatment", "使用中止、抗ヒスタミン薬内服");
	assert_has(html, "そう痒症 グレード2、斑状丘疹状皮疹 グレード1");
	assert_has(html, "data-field=\"causality\" data-value=\"probable\">可能性大（probable）</span>");
	/* 報告者 */
	assert_has(html, "data-field=\"report_date\" data-value=\"2026-03-05\">2026年3月5日</span>");
	assert_value(html, "reporter_name", "佐藤 一郎");
	assert_choice(html, "reporter_profession", "医師");
	assert_value(html, "facility_name", "exosafe クリニック");
	assert_value(html, "facility_address", "");
	assert_value(html, "facility_phone", "03-1234-5678");
	assert_value(html, "facility_fax", "");
	/* exosafe does not send it. */
	assert_has(html, "exosafe はこの報告書を PMDA（独立行政法人医薬品医療機器総合機構）へ送信しません。");
	assert_has(html, "報告受付サイト");
	assert_lacks(html, "<script");
	free(html);
}

/* Each ICH E2A criterion lands on its number of the form's ①–⑦ (④ has none). */
static void seriousness_criteria_map_to_the_form_numbers(void **state)
{
	static const struct {
		size_t offset;
		const char *number, *circled;
	} rows[] = {
		{offsetof(ae_export_case, death), "1", "①"},
		{offsetof(ae_export_case, disability), "2", "②"},
		{offsetof(ae_export_case, life_threatening), "3", "③"},
		{offsetof(ae_export_case, hospitalization), "5", "⑤"},
		{offsetof(ae_export_case, other_medically_important), "6", "⑥"},
		{offsetof(ae_export_case, congenital_anomaly), "7", "⑦"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ae_export_case c = sample_case();
		c.other_medically_important = false;
		*(bool *)((char *)&c + rows[i].offset) = true;
		if (rows[i].offset == offsetof(ae_export_case, death)) {
			c.outcome = "fatal";
			c.outcome_date = "2026-02-25";
		}
		pmda_report_info info = sample_info();
		char *html = render(&c, &info);
		char needle[160];
		snprintf(needle, sizeof needle, "data-field=\"seriousness_criteria\" data-value=\"%s\">%s</span>",
		         rows[i].number, rows[i].circled);
		assert_has(html, needle);
		assert_choice(html, "seriousness", "重篤");
		free(html);
	}
	ae_export_case all = sample_case();
	all.death = all.disability = all.life_threatening = all.hospitalization = all.congenital_anomaly = true;
	all.outcome = "fatal";
	all.outcome_date = "2026-02-25";
	pmda_report_info info = sample_info();
	char *html = render(&all, &info);
	assert_has(html, "data-value=\"1,2,3,5,6,7\">①②③⑤⑥⑦</span>");
	free(html);

	ae_export_case none = sample_case();
	none.other_medically_important = false;
	html = render(&none, &info);
	assert_choice(html, "seriousness", "非重篤");
	assert_has(html, "data-field=\"seriousness_criteria\" data-value=\"\"></span>");
	free(html);
}

static void outcomes_map_to_the_form(void **state)
{
	static const char *const rows[][2] = {
		{"recovered", "回復"}, {"recovering", "軽快"}, {"not_recovered", "未回復"},
		{"recovered_with_sequelae", "後遺症あり"}, {"fatal", "死亡"}, {"unknown", "不明"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ae_export_case c = sample_case();
		c.outcome = rows[i][0];
		c.outcome_date = strcmp(rows[i][0], "fatal") == 0 || strcmp(rows[i][0], "recovered") == 0 ? "2026-03-01" : "";
		pmda_report_info info = sample_info();
		char *html = render(&c, &info);
		assert_choice(html, "outcome", rows[i][1]);
		if (*c.outcome_date)
			assert_has(html, "data-field=\"outcome_date\" data-value=\"2026-03-01\">2026年3月1日</span>");
		free(html);
	}
}

/* On a fatal case the causality answers 被疑薬と死亡の因果関係; otherwise nothing is circled. */
static void death_causality_follows_who_umc(void **state)
{
	static const char *const rows[][3] = {
		{"certain", "有", "確実（certain）"},         {"probable", "有", "可能性大（probable）"},
		{"possible", "有", "可能性あり（possible）"}, {"unlikely", "無", "可能性小（unlikely）"},
		{"conditional", "不明", "判定保留（conditional）"}, {"unassessable", "不明", "評価不能（unassessable）"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ae_export_case c = sample_case();
		c.causality = rows[i][0];
		c.death = true;
		c.outcome = "fatal";
		c.outcome_date = "2026-02-25";
		pmda_report_info info = sample_info();
		char *html = render(&c, &info);
		assert_choice(html, "death_causality", rows[i][1]);
		char needle[200];
		snprintf(needle, sizeof needle, "data-field=\"causality\" data-value=\"%s\">%s</span>", rows[i][0], rows[i][2]);
		assert_has(html, needle);
		free(html);
	}
}

static void sex_and_questionnaire_variants(void **state)
{
	ae_export_case c = sample_case();
	c.sex = "female";
	c.questionnaire_answers_json = "{\"pregnancy\": \"pregnant\", \"allergy\": false, \"prior_treatment_reaction\": true,"
	                               " \"prior_treatment_detail\": \"培養上清液の点滴\", \"prior_treatment_reaction_detail\": \"発熱\","
	                               " \"cancer\": true, \"cancer_detail\": \"乳がん（術後）\", \"immunosuppression\": true,"
	                               " \"immunosuppression_detail\": \"プレドニゾロン\"}";
	pmda_report_info info = sample_info();
	char *html = render(&c, &info);
	assert_choice(html, "sex", "女");
	assert_choice(html, "pregnancy", "有");
	assert_choice(html, "allergy", "無");
	assert_value(html, "allergy_to", "");
	assert_choice(html, "past_reactions", "有");
	assert_value(html, "past_reaction_product", "培養上清液の点滴");
	assert_value(html, "past_reaction_name", "発熱");
	assert_value(html, "comorbidities", "乳がん（術後）");
	assert_has(html, "data-field=\"concomitant\">免疫をおさえる治療: プレドニゾロン</span>");
	free(html);

	/* "other": the form has only 男/女, so neither is circled; no questionnaire: all blank. */
	c = sample_case();
	c.sex = "other";
	c.questionnaire_answers_json = NULL;
	html = render(&c, &info);
	assert_choice(html, "sex", "");
	assert_lacks(html, "<span class=\"opt on\">男</span>");
	assert_lacks(html, "<span class=\"opt on\">女</span>");
	assert_choice(html, "pregnancy", "");
	assert_choice(html, "allergy", "");
	assert_choice(html, "past_reactions", "");
	assert_has(html, "<span class=\"v pre blank\" data-field=\"concomitant\"></span>");
	free(html);

	/* A pharmacist reporter, an address given, no product (no lots): blanks, not inventions. */
	c = sample_case();
	c.product_name = NULL;
	c.manufacturer = NULL;
	c.lot_count = 0;
	c.lots = NULL;
	info.reporter_profession = "pharmacist";
	info.facility_address = "東京都千代田区1-1";
	html = render(&c, &info);
	assert_choice(html, "reporter_profession", "薬剤師");
	assert_value(html, "facility_address", "東京都千代田区1-1");
	assert_value(html, "suspect_product", "");
	assert_value(html, "manufacturer", "");
	assert_has(html, "<span class=\"v blank\" data-field=\"lot_numbers\"></span>");
	free(html);
}

static void age_is_taken_at_onset(void **state)
{
	int y, m;
	assert_int_equal(pmda_age_on("1980-05-17", "2026-02-20", &y, &m), 0);
	assert_int_equal(y, 45);
	assert_int_equal(m, 9);
	assert_int_equal(pmda_age_on("1980-02-20", "2026-02-20", &y, &m), 0); /* the birthday itself */
	assert_int_equal(y, 46);
	assert_int_equal(pmda_age_on("1980-02-21", "2026-02-20", &y, &m), 0); /* the day before */
	assert_int_equal(y, 45);
	assert_int_equal(m, 11);
	assert_int_equal(pmda_age_on("2000-02-29", "2026-02-28", &y, &m), 0);
	assert_int_equal(y, 25);
	assert_int_equal(pmda_age_on("2000-02-29", "2026-03-01", &y, &m), 0);
	assert_int_equal(y, 26);
	assert_int_equal(pmda_age_on("2025-12-01", "2026-02-20", &y, &m), 0);
	assert_int_equal(y, 0);
	assert_int_equal(m, 2);
	assert_int_equal(pmda_age_on("2026-02-21", "2026-02-20", &y, &m), -1);
	assert_int_equal(pmda_age_on("2026-02-30", "2026-03-20", &y, &m), -1);
	assert_int_equal(pmda_age_on("", "2026-03-20", &y, &m), -1);

	/* The form prints the age at onset, whatever the assessment or report date. */
	ae_export_case c = sample_case();
	c.birth_date = "2000-03-01";
	c.onset_date = "2026-02-28";
	pmda_report_info info = sample_info();
	info.report_date = "2026-03-05"; /* after the 26th birthday */
	char *html = render(&c, &info);
	assert_has(html, "data-field=\"age_at_onset\" data-value=\"25\">25</span>");
	free(html);
	c.birth_date = "2025-12-01";
	html = render(&c, &info);
	assert_has(html, "data-field=\"age_at_onset\" data-value=\"0\">0歳（乳児: 2ヶ月）</span>");
	free(html);
}

static void hostile_text_is_escaped(void **state)
{
	ae_export_case c = sample_case();
	c.narrative = HOSTILE;
	c.treatment = HOSTILE;
	c.patient_initials = "<b>";
	c.questionnaire_answers_json = "{\"medications\": \"" "<img src=x onerror=alert(1)>" "\"}";
	pmda_report_info info = sample_info();
	info.reporter_name = "\"><script>x</script>";
	info.facility_name = "A & B <clinic>";
	char *html = render(&c, &info);
	assert_lacks(html, "<script");
	assert_lacks(html, "<img");
	assert_lacks(html, "<b>");
	assert_has(html, "かゆみ &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quote&#39;");
	assert_value(html, "facility_name", "A &amp; B &lt;clinic&gt;");
	assert_value(html, "reporter_name", "&quot;&gt;&lt;script&gt;x&lt;/script&gt;");
	free(html);
}

static void refuse(ae_export_case *c, pmda_report_info *info, const char *field)
{
	char err[256] = "";
	char *html = pmda_report_html(c, info, err, sizeof err);
	if (html != NULL)
		fail_msg("accepted, expected an error naming %s", field);
	if (strncmp(err, field, strlen(field)) != 0)
		fail_msg("error \"%s\" does not name %s", err, field);
}

static void incomplete_input_is_refused_with_the_field(void **state)
{
	ae_export_case c;
	pmda_report_info info;
#define CASE(mutation, field)                                                                                  \
	do {                                                                                                       \
		c = sample_case();                                                                                     \
		info = sample_info();                                                                                  \
		mutation;                                                                                              \
		refuse(&c, &info, field);                                                                              \
	} while (0)
	CASE(info.reporter_name = "", "reporter_name");
	CASE(info.reporter_name = NULL, "reporter_name");
	CASE(info.facility_name = "", "facility_name");
	CASE(info.report_date = "2026-13-01", "report_date");
	CASE(info.reporter_profession = "admin", "reporter_profession");
	CASE(info.facility_phone = "03\n1234", "facility_phone");
	CASE(c.birth_date = "", "birth_date");
	CASE(c.onset_date = "1979-01-01", "onset_date");
	CASE(c.sex = "x", "sex");
	CASE(c.term_count = 0, "terms");
	CASE(c.outcome = "better", "outcome");
	CASE((c.outcome = "fatal", c.outcome_date = ""), "outcome_date");
	CASE(c.outcome_date = "yesterday", "outcome_date");
	CASE(c.causality = "", "causality");
	CASE(c.narrative = "bad \x01 control", "narrative");
	CASE(c.patient_initials = "\xff", "patient_initials");
	CASE(c.case_id = 0, "case_id");
#undef CASE
	char err[64];
	assert_null(pmda_report_html(NULL, &info, err, sizeof err));
	assert_string_equal(err, "case: missing");
}

/* ---- Latin initials of kana names ---- */

/* The modified Hepburn romanisation of each katakana (外務省 ヘボン式ローマ字綴方表, with small
 * kana read as their full-size forms), restated independently of core/kana.c's table. */
static const char *const hepburn[][2] = {
	{"ア", "a"},   {"イ", "i"},   {"ウ", "u"},   {"エ", "e"},   {"オ", "o"},   {"カ", "ka"},  {"キ", "ki"},
	{"ク", "ku"},  {"ケ", "ke"},  {"コ", "ko"},  {"サ", "sa"},  {"シ", "shi"}, {"ス", "su"},  {"セ", "se"},
	{"ソ", "so"},  {"タ", "ta"},  {"チ", "chi"}, {"ツ", "tsu"}, {"テ", "te"},  {"ト", "to"},  {"ナ", "na"},
	{"ニ", "ni"},  {"ヌ", "nu"},  {"ネ", "ne"},  {"ノ", "no"},  {"ハ", "ha"},  {"ヒ", "hi"},  {"フ", "fu"},
	{"ヘ", "he"},  {"ホ", "ho"},  {"マ", "ma"},  {"ミ", "mi"},  {"ム", "mu"},  {"メ", "me"},  {"モ", "mo"},
	{"ヤ", "ya"},  {"ユ", "yu"},  {"ヨ", "yo"},  {"ラ", "ra"},  {"リ", "ri"},  {"ル", "ru"},  {"レ", "re"},
	{"ロ", "ro"},  {"ワ", "wa"},  {"ヰ", "i"},   {"ヱ", "e"},   {"ヲ", "o"},   {"ン", "n"},   {"ガ", "ga"},
	{"ギ", "gi"},  {"グ", "gu"},  {"ゲ", "ge"},  {"ゴ", "go"},  {"ザ", "za"},  {"ジ", "ji"},  {"ズ", "zu"},
	{"ゼ", "ze"},  {"ゾ", "zo"},  {"ダ", "da"},  {"ヂ", "ji"},  {"ヅ", "zu"},  {"デ", "de"},  {"ド", "do"},
	{"バ", "ba"},  {"ビ", "bi"},  {"ブ", "bu"},  {"ベ", "be"},  {"ボ", "bo"},  {"パ", "pa"},  {"ピ", "pi"},
	{"プ", "pu"},  {"ペ", "pe"},  {"ポ", "po"},  {"ヴ", "vu"},  {"ァ", "a"},   {"ィ", "i"},   {"ゥ", "u"},
	{"ェ", "e"},   {"ォ", "o"},   {"ャ", "ya"},  {"ュ", "yu"},  {"ョ", "yo"},  {"ヮ", "wa"},  {"ヵ", "ka"},
	{"ヶ", "ke"},  {"ヷ", "va"},  {"ヸ", "vi"},  {"ヹ", "ve"},  {"ヺ", "vo"},
};

static void kana_initials_follow_hepburn(void **state)
{
	char out[32], expected[4];
	for (size_t i = 0; i < sizeof hepburn / sizeof hepburn[0]; i++) {
		assert_int_equal(kana_initials_latin(hepburn[i][0], out, sizeof out), 0);
		snprintf(expected, sizeof expected, "%c.", hepburn[i][1][0] - 'a' + 'A');
		if (strcmp(out, expected) != 0)
			fail_msg("%s (%s): got %s, expected %s", hepburn[i][0], hepburn[i][1], out, expected);
	}
	/* Every katakana from ァ to ヺ but ッ has a reading: the table above covers them all. */
	assert_int_equal(sizeof hepburn / sizeof hepburn[0], 0x30FA - 0x30A1 + 1 - 1);
}

static void kana_initials_of_names(void **state)
{
	char out[32];
	assert_int_equal(kana_initials_latin("ヤマダ ハナコ", out, sizeof out), 0);
	assert_string_equal(out, "Y.H.");
	assert_int_equal(kana_initials_latin("チバ　シンジ", out, sizeof out), 0); /* U+3000 */
	assert_string_equal(out, "C.S.");
	assert_int_equal(kana_initials_latin("ツジ・フミコ", out, sizeof out), 0);
	assert_string_equal(out, "T.F.");
	assert_int_equal(kana_initials_latin("  ジョウ  ", out, sizeof out), 0);
	assert_string_equal(out, "J.");
	assert_int_equal(kana_initials_latin("やまだ はなこ", out, sizeof out), 0); /* hiragana */
	assert_string_equal(out, "Y.H.");
	assert_int_equal(kana_initials_latin("smith John", out, sizeof out), 0);
	assert_string_equal(out, "S.J.");
	assert_int_equal(kana_initials_latin("ッサ", out, sizeof out), -1);
	assert_string_equal(out, "");
	assert_int_equal(kana_initials_latin("ー", out, sizeof out), -1);
	assert_int_equal(kana_initials_latin("山田 花子", out, sizeof out), -1);
	assert_string_equal(out, "");
	assert_int_equal(kana_initials_latin("", out, sizeof out), -1);
	assert_int_equal(kana_initials_latin("   ", out, sizeof out), -1);
	assert_int_equal(kana_initials_latin("\xff", out, sizeof out), -1);
	assert_int_equal(kana_initials_latin(NULL, out, sizeof out), -1);
	char tiny[4];
	assert_int_equal(kana_initials_latin("ア イ", tiny, sizeof tiny), -1);
	assert_string_equal(tiny, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_is_filled_from_the_case),
		cmocka_unit_test(seriousness_criteria_map_to_the_form_numbers),
		cmocka_unit_test(outcomes_map_to_the_form),
		cmocka_unit_test(death_causality_follows_who_umc),
		cmocka_unit_test(sex_and_questionnaire_variants),
		cmocka_unit_test(age_is_taken_at_onset),
		cmocka_unit_test(hostile_text_is_escaped),
		cmocka_unit_test(incomplete_input_is_refused_with_the_field),
		cmocka_unit_test(kana_initials_follow_hepburn),
		cmocka_unit_test(kana_initials_of_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
