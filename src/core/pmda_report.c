/* The 医薬品安全性情報報告書 filled from one assessed adverse-event case.
 *
 * Law: 医薬品、医療機器等の品質、有効性及び安全性の確保等に関する法律 (昭和35年法律第145号)
 * 第68条の10 第2項 — a doctor, pharmacist or other 医薬関係者 who learns of a suspected adverse
 * reaction reports it to the Minister (received by PMDA). The form: 「医薬品安全性情報報告書」,
 * 別紙1 様式① of the 医薬品・医療機器等安全性情報報告制度 as republished in 厚生労働省
 * 「医薬品・医療機器等安全性情報」No.416 (2025). Its sections and labels, in its order:
 *
 *   患者情報   患者イニシャル · 性別 (男・女) · 副作用等発現年齢 (歳, 乳児: ヶ月 週) · 身長 cm ·
 *              体重 kg · 妊娠 (無・有(妊娠 週)・不明) · 原疾患・合併症 · 既往歴 · 過去の副作用歴
 *              (無・有(医薬品名: 副作用名:)・不明) · 特記事項 (飲酒, 喫煙, アレルギー, その他)
 *   副作用等に関する情報   副作用等の名称又は症状、異常所見 · 副作用等の重篤性 (重篤 → 判定基準
 *              の番号 / 非重篤) · 発現期間 (発現日 ~ 転帰日) · 副作用等の転帰 (回復・軽快・
 *              未回復・死亡・不明・後遺症あり) · <死亡の場合> 被疑薬と死亡の因果関係 (有・無・不明)
 *   被疑薬及び使用状況に関する情報   被疑薬 (販売名) · 製造販売業者の名称 · ロット番号 ·
 *              投与経路 · 1日投与量 · 投与期間 (開始日~終了日) · 使用理由 · 併用薬
 *   副作用等の発現及び処置等の経過
 *   報告者     報告日 · 氏名 · 施設名 · 職種 · 住所 · 電話 · FAX
 *
 * Filled from the case:
 *   患者イニシャル   c->patient_initials (the service gives Latin initials: kana.h says why)
 *   性別            male → 男, female → 女; "other" marks neither (the form has only the two)
 *   発現年齢         completed years (months for an infant) from the birth date to the ONSET date
 *   妊娠 · アレルギー · 過去の副作用歴 · 原疾患・合併症 · 併用薬   from the screening
 *                   questionnaire the patient answered before treatment (linkIds pregnancy,
 *                   allergy/allergy_to, prior_treatment_reaction(_detail), cancer_detail,
 *                   medications, immunosuppression_detail), labelled with the day it was answered
 *   副作用等の名称   each CTCAE v5.0 term in Japanese with its grade and MedDRA code
 *   重篤性          the case's ICH E2A criteria on the form's numbering:
 *                     ① 死亡                              ← death
 *                     ② 障害                              ← disability
 *                     ③ 死亡につながるおそれ                ← life_threatening
 *                     ④ 障害につながるおそれ                ← (no E2A criterion: never set, hand-fill)
 *                     ⑤ 治療のために入院又は入院期間の延長    ← hospitalization
 *                     ⑥ ①~⑤に準じて重篤である              ← other_medically_important
 *                     ⑦ 後世代における先天性の疾病又は異常    ← congenital_anomaly
 *                   (older editions list six criteria with ③ and ④ as one; the current form
 *                   splits them.) No criterion → 非重篤.
 *   発現期間         onset date ~ outcome date (blank when the case has none)
 *   転帰            recovered → 回復, recovering → 軽快, not_recovered → 未回復,
 *                   recovered_with_sequelae → 後遺症あり, fatal → 死亡, unknown → 不明
 *                   (the same enumeration the FHIR/E2B exports map, ae_export_case.c)
 *   死亡の因果関係   only when fatal, from the WHO-UMC causality: certain, probable, possible →
 *                   有 (a relation that cannot be excluded is reported as one); unlikely → 無;
 *                   conditional, unassessable → 不明
 *   被疑薬          販売名 = product name, 製造販売業者 = manufacturer, ロット番号 = the suspected
 *                   lots; 投与経路, 1日投与量, 投与期間, 使用理由 are not recorded by exosafe: blank
 *   経過            onset, the patient's words and the staff's narrative, the treatment, the
 *                   outcome, the CTCAE grades, and the doctor's WHO-UMC causality assessment
 *                   (the form has no coded causality field; it is the reporter's opinion here)
 *   報告者          info: the assessing doctor's name and 職種, the clinic, its phone; the
 *                   address blank unless given; 報告日 = the day the form was produced
 * Blank (exosafe does not hold them): 身長, 体重, 既往歴, 飲酒, 喫煙, 投与経路, 1日投与量,
 *   投与期間, 使用理由, FAX, the product category boxes (医療用/要指導/一般用医薬品) — exosafe
 *   does not decide how the product is regulated.
 * The form says on its face that exosafe does not send it: the clinic submits it to PMDA
 * itself (報告受付サイト, e-mail, FAX or post). */
#include "core/pmda_report.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ae_export_internal.h"
#include "core/field_check.h"
#include "core/print_page.h"
#include "core/questionnaire.h"
#include "core/strbuf.h"
#include "core/text.h"
#include "core/timefmt.h"

/* ---- the case's vocabularies on the form ---- */

typedef struct code_label {
	const char *code, *label;
} code_label;

/* 副作用等の転帰, in the form's order. */
static const code_label outcome_labels[] = {
	{"recovered", "回復"}, {"recovering", "軽快"}, {"not_recovered", "未回復"},
	{"fatal", "死亡"}, {"unknown", "不明"}, {"recovered_with_sequelae", "後遺症あり"},
};

/* WHO-UMC categories as the case page names them (web/i18n/ja.json ae.causality.*), and what
 * each says about a death: 有 / 無 / 不明. */
typedef struct causality_label {
	const char *code, *label, *death;
} causality_label;

static const causality_label causality_labels[] = {
	{"certain", "確実（certain）", "有"},
	{"probable", "可能性大（probable）", "有"},
	{"possible", "可能性あり（possible）", "有"},
	{"unlikely", "可能性小（unlikely）", "無"},
	{"conditional", "判定保留（conditional）", "不明"},
	{"unassessable", "評価不能（unassessable）", "不明"},
};

static const code_label profession_labels[] = {
	{"doctor", "医師"}, {"dentist", "歯科医師"}, {"pharmacist", "薬剤師"}, {"nurse", "看護師"},
};

static const char *const circled[] = {"①", "②", "③", "④", "⑤", "⑥", "⑦"};

static const char *label_of(const code_label *table, size_t n, const char *code)
{
	for (size_t i = 0; code && i < n; i++)
		if (strcmp(table[i].code, code) == 0)
			return table[i].label;
	return NULL;
}

static const causality_label *find_causality(const char *code)
{
	for (size_t i = 0; code && i < sizeof causality_labels / sizeof causality_labels[0]; i++)
		if (strcmp(causality_labels[i].code, code) == 0)
			return &causality_labels[i];
	return NULL;
}

/* The form's ①–⑦ numbers (1-based) that the case's E2A criteria meet, in order; returns how
 * many. */
static int seriousness_numbers(const ae_export_case *c, int numbers[7])
{
	int n = 0;
	if (c->death)
		numbers[n++] = 1;
	if (c->disability)
		numbers[n++] = 2;
	if (c->life_threatening)
		numbers[n++] = 3;
	/* ④ 障害につながるおそれ has no ICH E2A criterion in the case. */
	if (c->hospitalization)
		numbers[n++] = 5;
	if (c->other_medically_important)
		numbers[n++] = 6;
	if (c->congenital_anomaly)
		numbers[n++] = 7;
	return n;
}

/* ---- dates and age ---- */

static int parse_date(const char *s, int *y, int *m, int *d)
{
	if (s == NULL || !questionnaire_is_date(s) || sscanf(s, "%4d-%2d-%2d", y, m, d) != 3)
		return -1;
	return 0;
}

int pmda_age_on(const char *birth, const char *date, int *years, int *months)
{
	int by, bm, bd, y, m, d;
	if (parse_date(birth, &by, &bm, &bd) != 0 || parse_date(date, &y, &m, &d) != 0)
		return -1;
	/* Completed months: a month completes when the day of the month reaches the birthday's
	 * (so someone born on 29 February turns a year older on 1 March in a common year). */
	int total = (y - by) * 12 + (m - bm) - (d < bd ? 1 : 0);
	if (total < 0)
		return -1;
	*years = total / 12;
	*months = total % 12;
	return 0;
}

/* "2026年2月20日" for a YYYY-MM-DD date; "" for an empty one. The form asks for 西暦. */
static void date_ja(const char *iso, char out[32])
{
	int y, m, d;
	if (parse_date(iso, &y, &m, &d) != 0) {
		out[0] = '\0';
		return;
	}
	snprintf(out, 32, "%d年%d月%d日", y, m, d);
}

/* ---- checking what the form needs ---- */

static int check(const ae_export_case *c, const pmda_report_info *info, char *err, size_t errlen)
{
	char field[64];
	if (c == NULL || info == NULL) {
		field_err(err, errlen, "%s: missing", c == NULL ? "case" : "info");
		return -1;
	}
	if (c->case_id <= 0 || c->version < 1) {
		field_err(err, errlen, "%s: must be positive", c->case_id <= 0 ? "case_id" : "version");
		return -1;
	}
	if (field_need_text(info->reporter_name, "reporter_name", err, errlen) != 0 ||
	    field_need_text(info->facility_name, "facility_name", err, errlen) != 0 ||
	    field_optional_text(info->facility_address, "facility_address", 0, err, errlen) != 0 ||
	    field_optional_text(info->facility_phone, "facility_phone", 0, err, errlen) != 0 ||
	    field_need_date(info->report_date, "report_date", err, errlen) != 0)
		return -1;
	if (label_of(profession_labels, sizeof profession_labels / sizeof profession_labels[0], info->reporter_profession) ==
	    NULL) {
		field_err(err, errlen, "reporter_profession: \"%.20s\" is not doctor, dentist, pharmacist or nurse",
		        info->reporter_profession ? info->reporter_profession : "");
		return -1;
	}
	if (field_optional_text(c->patient_initials, "patient_initials", 0, err, errlen) != 0 ||
	    field_need_date(c->birth_date, "birth_date", err, errlen) != 0 || field_need_date(c->onset_date, "onset_date", err, errlen) != 0)
		return -1;
	int years, months;
	if (pmda_age_on(c->birth_date, c->onset_date, &years, &months) != 0) {
		field_err(err, errlen, "onset_date: %s is before the birth date %s", c->onset_date, c->birth_date);
		return -1;
	}
	if (field_empty(c->sex) || (strcmp(c->sex, "male") != 0 && strcmp(c->sex, "female") != 0 && strcmp(c->sex, "other") != 0)) {
		field_err(err, errlen, "sex: must be female, male or other");
		return -1;
	}
	if (c->term_count < 1 || c->terms == NULL) {
		field_err(err, errlen, "terms: at least one CTCAE term is required");
		return -1;
	}
	for (int i = 0; i < c->term_count; i++) {
		snprintf(field, sizeof field, "terms[%d].name_ja", i);
		if (field_need_text(c->terms[i].name_ja, field, err, errlen) != 0)
			return -1;
		snprintf(field, sizeof field, "terms[%d].meddra_code", i);
		if (field_optional_text(c->terms[i].meddra_code, field, 0, err, errlen) != 0)
			return -1;
		if (c->terms[i].grade < 1 || c->terms[i].grade > 5) {
			field_err(err, errlen, "terms[%d].grade: must be 1 to 5", i);
			return -1;
		}
	}
	if (label_of(outcome_labels, sizeof outcome_labels / sizeof outcome_labels[0], c->outcome) == NULL) {
		field_err(err, errlen, "outcome: \"%.30s\" is not a known outcome", c->outcome ? c->outcome : "");
		return -1;
	}
	if (!field_empty(c->outcome_date) && field_need_date(c->outcome_date, "outcome_date", err, errlen) != 0)
		return -1;
	if (strcmp(c->outcome, "fatal") == 0 && field_need_date(c->outcome_date, "outcome_date", err, errlen) != 0)
		return -1;
	if (find_causality(c->causality) == NULL) {
		field_err(err, errlen, "causality: \"%.30s\" is not a WHO-UMC category", c->causality ? c->causality : "");
		return -1;
	}
	if (field_optional_text(c->narrative, "narrative", 1, err, errlen) != 0 ||
	    field_optional_text(c->treatment, "treatment", 1, err, errlen) != 0 ||
	    field_optional_text(c->product_name, "product_name", 0, err, errlen) != 0 ||
	    field_optional_text(c->manufacturer, "manufacturer", 0, err, errlen) != 0)
		return -1;
	return ae_check_lots(c, false, err, errlen);
}

/* ---- writing the form ---- */

/* A filled value: <span class="v" data-field="field">text</span>, text escaped; an empty text
 * leaves a blank to write in. */
static void value(strbuf *b, const char *field, const char *text)
{
	strbuf_printf(b, "<span class=\"v%s\" data-field=\"%s\">", field_empty(text) ? " blank" : "", field);
	strbuf_html(b, text);
	strbuf_puts(b, "</span>");
}

/* A choice among the form's printed options; the chosen one (NULL: none) is circled, and
 * data-value holds it ("" when none is chosen, for hand-filling). */
static void choices(strbuf *b, const char *field, const char *const *options, size_t n, const char *chosen)
{
	strbuf_printf(b, "<span class=\"choices\" data-field=\"%s\" data-value=\"", field);
	strbuf_html(b, chosen ? chosen : "");
	strbuf_puts(b, "\">");
	for (size_t i = 0; i < n; i++) {
		bool on = chosen != NULL && strcmp(options[i], chosen) == 0;
		strbuf_printf(b, "%s<span class=\"opt%s\">%s</span>", i ? "・" : "", on ? " on" : "", options[i]);
	}
	strbuf_puts(b, "</span>");
}

/* The screening answers, or NULL. The caller decrefs. */
static json_t *answers_of(const ae_export_case *c)
{
	if (field_empty(c->questionnaire_answers_json))
		return NULL;
	json_t *a = json_loads(c->questionnaire_answers_json, 0, NULL);
	if (!json_is_object(a)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* A non-empty string answer, or NULL. */
static const char *answer_text(const json_t *answers, const char *link_id)
{
	const char *s = json_string_value(json_object_get(answers, link_id));
	return s && *s && text_is_clean(s, 1) ? s : NULL;
}

/* 1 yes, 0 no, -1 not answered. */
static int answer_bool(const json_t *answers, const char *link_id)
{
	const json_t *v = json_object_get(answers, link_id);
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

static const char head[] =
	PRINT_PAGE_HEAD;

static const char style[] =
	"<style>\n"
	"@page { size: A4; margin: 10mm 11mm; }\n"
	"html { background: #fff; color: #000; }\n"
	"body { margin: 0; font-family: \"Noto Sans CJK JP\", \"Hiragino Kaku Gothic ProN\", \"Yu Gothic\", \"Meiryo\", sans-serif;"
	" font-size: 8.6pt; line-height: 1.35; }\n"
	".sheet { width: 188mm; margin: 0 auto; }\n"
	".top { display: flex; justify-content: space-between; align-items: flex-end; gap: 4mm; }\n"
	".kinds .opt { margin-right: 2mm; }\n"
	".kinds .box { display: inline-block; width: 2.6mm; height: 2.6mm; border: 1px solid #000; margin-right: 1mm;"
	" vertical-align: -0.3mm; }\n"
	"h1 { font-size: 15pt; letter-spacing: 0.3em; margin: 0; text-align: center; flex: 1; }\n"
	".basis { margin: 1mm 0 2mm; font-size: 7.8pt; }\n"
	"table { border-collapse: collapse; width: 100%; table-layout: fixed; }\n"
	"th, td { border: 1px solid #000; padding: 0.6mm 1.2mm; vertical-align: top; text-align: left; }\n"
	"th { font-weight: normal; background: #f1f1f1; font-size: 7.8pt; }\n"
	"th.side { width: 6mm; writing-mode: vertical-rl; text-align: center; letter-spacing: 0.2em; vertical-align: middle;"
	" background: #e4e4e4; font-weight: bold; }\n"
	"table + table { border-top: 0; margin-top: -1px; }\n"
	".v { font-family: inherit; }\n"
	".blank { display: inline-block; min-width: 10mm; }\n"
	".opt { padding: 0 0.6mm; }\n"
	".opt.on { border: 1.2px solid #000; border-radius: 50%; padding: 0 1mm; font-weight: bold; }\n"
	".unit { margin-left: 1mm; }\n"
	".note { font-size: 7.2pt; color: #222; }\n"
	".source { font-size: 7pt; color: #333; }\n"
	".pre { white-space: pre-wrap; overflow-wrap: anywhere; }\n"
	".course p { margin: 0 0 0.8mm; }\n"
	".course { min-height: 38mm; }\n"
	".submit { border: 1.5px solid #000; margin-top: 2mm; padding: 1.2mm 2mm; font-size: 7.6pt; }\n"
	".submit p { margin: 0.4mm 0; }\n"
	".howto { background: #fff8d6; border: 1px solid #c9a400; padding: 2mm 3mm; margin: 0 0 3mm; font-size: 10pt; }\n"
	"@media screen { body { background: #e9e9e9; } .sheet { background: #fff; padding: 10mm 11mm; margin: 4mm auto;"
	" box-shadow: 0 0 3mm rgba(0,0,0,0.25); } .howto { width: 188mm; margin: 4mm auto 0; box-sizing: border-box; } }\n"
	"@media print { .howto { display: none; } th, .opt.on { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }\n"
	"</style>\n"
	"</head>\n";

static void patient_section(strbuf *b, const ae_export_case *c, const json_t *answers)
{
	static const char *const sexes[] = {"男", "女"};
	static const char *const pregnancy_options[] = {"無", "有", "不明"};
	static const char *const yes_no_unknown[] = {"無", "有", "不明"};
	static const char *const yes_no[] = {"無", "有"};
	int years = 0, months = 0;
	pmda_age_on(c->birth_date, c->onset_date, &years, &months);
	char age[48];
	if (years > 0)
		snprintf(age, sizeof age, "%d", years);
	else
		snprintf(age, sizeof age, "0歳（乳児: %dヶ月）", months);

	const char *sex = strcmp(c->sex, "male") == 0 ? "男" : strcmp(c->sex, "female") == 0 ? "女" : NULL;
	const char *pregnancy = NULL;
	const char *pregnancy_code = json_string_value(json_object_get(answers, "pregnancy"));
	if (pregnancy_code != NULL) {
		if (strcmp(pregnancy_code, "pregnant") == 0)
			pregnancy = "有";
		else if (strcmp(pregnancy_code, "possibly_pregnant") == 0)
			pregnancy = "不明";
		else if (strcmp(pregnancy_code, "no") == 0 || strcmp(pregnancy_code, "breastfeeding") == 0 ||
		         strcmp(pregnancy_code, "not_applicable") == 0)
			pregnancy = "無";
	}
	int allergy = answer_bool(answers, "allergy");
	int prior_reaction = answer_bool(answers, "prior_treatment_reaction");

	strbuf_puts(b, "<table class=\"patient\">\n<tr><th class=\"side\" rowspan=\"4\">患者情報</th>"
	               "<th>患者イニシャル</th><th>性別</th><th>副作用等発現年齢</th><th>身長</th><th>体重</th>"
	               "<th colspan=\"2\">妊娠</th></tr>\n<tr><td>");
	value(b, "patient_initials", c->patient_initials);
	strbuf_puts(b, "</td><td>");
	choices(b, "sex", sexes, 2, sex);
	strbuf_printf(b, "</td><td><span class=\"v\" data-field=\"age_at_onset\" data-value=\"%d\">", years);
	strbuf_html(b, age);
	strbuf_puts(b, "</span>");
	if (years > 0)
		strbuf_puts(b, "<span class=\"unit\">歳</span>");
	strbuf_puts(b, "</td><td>");
	value(b, "height", "");
	strbuf_puts(b, "<span class=\"unit\">cm</span></td><td>");
	value(b, "weight", "");
	strbuf_puts(b, "<span class=\"unit\">kg</span></td><td colspan=\"2\">");
	choices(b, "pregnancy", pregnancy_options, 3, pregnancy);
	strbuf_puts(b, "<span class=\"note\">（有の場合 妊娠　　週）</span>");
	if (pregnancy_code != NULL && strcmp(pregnancy_code, "breastfeeding") == 0)
		strbuf_puts(b, " <span class=\"note\">授乳中</span>");
	strbuf_puts(b, "</td></tr>\n");

	strbuf_puts(b, "<tr><th colspan=\"2\">原疾患・合併症</th><th>既往歴</th><th colspan=\"2\">過去の副作用歴</th>"
	               "<th colspan=\"2\">特記事項</th></tr>\n<tr><td colspan=\"2\">");
	value(b, "comorbidities", answer_bool(answers, "cancer") == 1 ? answer_text(answers, "cancer_detail") : NULL);
	strbuf_puts(b, "</td><td>");
	value(b, "medical_history", "");
	strbuf_puts(b, "</td><td colspan=\"2\">");
	choices(b, "past_reactions", yes_no_unknown, 3, prior_reaction == 1 ? "有" : prior_reaction == 0 ? "無" : NULL);
	strbuf_puts(b, "<br>医薬品名: ");
	value(b, "past_reaction_product", prior_reaction == 1 ? answer_text(answers, "prior_treatment_detail") : NULL);
	strbuf_puts(b, "<br>副作用名: ");
	value(b, "past_reaction_name", prior_reaction == 1 ? answer_text(answers, "prior_treatment_reaction_detail") : NULL);
	strbuf_puts(b, "</td><td colspan=\"2\">飲酒 ");
	choices(b, "alcohol", yes_no, 2, NULL);
	strbuf_puts(b, "　喫煙 ");
	choices(b, "smoking", yes_no, 2, NULL);
	strbuf_puts(b, "<br>アレルギー ");
	choices(b, "allergy", yes_no, 2, allergy == 1 ? "有" : allergy == 0 ? "無" : NULL);
	strbuf_puts(b, "（");
	value(b, "allergy_to", allergy == 1 ? answer_text(answers, "allergy_to") : NULL);
	strbuf_puts(b, "）<br>その他（");
	value(b, "special_other", "");
	strbuf_puts(b, "）</td></tr>\n</table>\n");
}

static void reaction_section(strbuf *b, const ae_export_case *c)
{
	static const char *const serious_options[] = {"重篤", "非重篤"};
	static const char *const outcome_options[] = {"回復", "軽快", "未回復", "死亡", "不明", "後遺症あり"};
	static const char *const death_options[] = {"有", "無", "不明"};
	int numbers[7];
	int nserious = seriousness_numbers(c, numbers);
	char criteria[64] = "", criteria_codes[32] = "";
	for (int i = 0; i < nserious; i++) {
		strcat(criteria, circled[numbers[i] - 1]);
		snprintf(criteria_codes + strlen(criteria_codes), sizeof criteria_codes - strlen(criteria_codes), "%s%d",
		         i ? "," : "", numbers[i]);
	}
	const char *outcome = label_of(outcome_labels, sizeof outcome_labels / sizeof outcome_labels[0], c->outcome);
	bool fatal = strcmp(c->outcome, "fatal") == 0;
	char onset[32], end[32];
	date_ja(c->onset_date, onset);
	date_ja(c->outcome_date, end);

	strbuf_printf(b, "<table class=\"reactions\">\n<tr><th class=\"side\" rowspan=\"%d\">副作用等に関する情報</th>"
	                 "<th style=\"width:62mm\">副作用等の名称又は症状、異常所見</th>"
	                 "<th style=\"width:36mm\">副作用等の重篤性<br><span class=\"note\">「重篤」の場合、判定基準の該当する番号を（ ）に記入</span></th>"
	                 "<th>発現期間<br><span class=\"note\">（発現日 ~ 転帰日）</span></th>"
	                 "<th style=\"width:30mm\">副作用等の転帰</th></tr>\n",
	              c->term_count + 3);
	for (int i = 0; i < c->term_count; i++) {
		const ae_export_term *t = &c->terms[i];
		char detail[96];
		snprintf(detail, sizeof detail, "（CTCAE v5.0 グレード%d%s%s）", t->grade, field_empty(t->meddra_code) ? "" : "、MedDRA ",
		         field_empty(t->meddra_code) ? "" : t->meddra_code);
		strbuf_printf(b, "<tr><td>%d. <span class=\"v\" data-field=\"reaction_name\">", i + 1);
		strbuf_html(b, t->name_ja);
		strbuf_puts(b, "</span><span class=\"note\">");
		strbuf_html(b, detail);
		strbuf_puts(b, "</span></td><td>");
		choices(b, "seriousness", serious_options, 2, nserious ? "重篤" : "非重篤");
		strbuf_printf(b, "<br>重篤 →（<span class=\"v\" data-field=\"seriousness_criteria\" data-value=\"%s\">%s</span>）",
		              criteria_codes, criteria);
		strbuf_puts(b, "</td><td>");
		strbuf_printf(b, "<span class=\"v\" data-field=\"onset_date\" data-value=\"%s\">%s</span> ~ ", c->onset_date, onset);
		strbuf_printf(b, "<span class=\"v%s\" data-field=\"outcome_date\" data-value=\"%s\">%s</span>",
		              end[0] ? "" : " blank", end[0] ? c->outcome_date : "", end);
		strbuf_puts(b, "</td><td>");
		choices(b, "outcome", outcome_options, 6, outcome);
		strbuf_puts(b, "<br><span class=\"note\">後遺症ありの場合（症状: 　　　）</span></td></tr>\n");
	}
	strbuf_puts(b, "<tr><td colspan=\"4\" class=\"note\">＜重篤の判定基準＞ ①死亡　②障害　③死亡につながるおそれ　"
	               "④障害につながるおそれ　⑤治療のために入院又は入院期間の延長　⑥①~⑤に準じて重篤である　"
	               "⑦後世代における先天性の疾病又は異常</td></tr>\n");
	strbuf_puts(b, "<tr><td colspan=\"4\">＜死亡の場合＞ 被疑薬と死亡の因果関係: ");
	choices(b, "death_causality", death_options, 3, fatal ? find_causality(c->causality)->death : NULL);
	strbuf_puts(b, "</td></tr>\n</table>\n");
}

static void drug_section(strbuf *b, const ae_export_case *c, const json_t *answers)
{
	strbuf_puts(b, "<table class=\"drugs\">\n<tr><th class=\"side\" rowspan=\"4\">被疑薬及び使用状況</th>"
	               "<th style=\"width:34mm\">被疑薬（販売名）</th><th style=\"width:28mm\">製造販売業者の名称</th>"
	               "<th style=\"width:24mm\">ロット番号</th><th>投与経路</th><th>1日投与量<br><span class=\"note\">（1回量×回数）</span></th>"
	               "<th>投与期間<br><span class=\"note\">（開始日~終了日）</span></th><th>使用理由<br><span class=\"note\">（疾患名、症状名）</span></th></tr>\n<tr><td>");
	value(b, "suspect_product", c->product_name);
	strbuf_puts(b, "</td><td>");
	value(b, "manufacturer", c->manufacturer);
	strbuf_puts(b, "</td><td><span class=\"v");
	strbuf_puts(b, c->lot_count ? "" : " blank");
	strbuf_puts(b, "\" data-field=\"lot_numbers\">");
	for (int i = 0; i < c->lot_count; i++) {
		if (i)
			strbuf_puts(b, "、");
		strbuf_html(b, c->lots[i].lot_number);
	}
	strbuf_puts(b, "</span></td><td>");
	value(b, "route", "");
	strbuf_puts(b, "</td><td>");
	value(b, "daily_dose", "");
	strbuf_puts(b, "</td><td>");
	value(b, "administration_period", "");
	strbuf_puts(b, "</td><td>");
	value(b, "indication", "");
	strbuf_puts(b, "</td></tr>\n<tr><th colspan=\"7\">併用薬（被疑薬以外に使用していた医薬品。サプリメント等を含む）</th></tr>\n"
	               "<tr><td colspan=\"7\">");
	const char *medications = answer_text(answers, "medications");
	const char *immuno = answer_bool(answers, "immunosuppression") == 1 ? answer_text(answers, "immunosuppression_detail") : NULL;
	strbuf_printf(b, "<span class=\"v pre%s\" data-field=\"concomitant\">", medications || immuno ? "" : " blank");
	strbuf_html(b, medications);
	if (immuno) {
		strbuf_puts(b, medications ? "\n免疫をおさえる治療: " : "免疫をおさえる治療: ");
		strbuf_html(b, immuno);
	}
	strbuf_puts(b, "</span>");
	if ((medications || immuno) && c->questionnaire_submitted_at > 0) {
		char day[11];
		jst_date(c->questionnaire_submitted_at, day);
		strbuf_printf(b, " <span class=\"source\">（%s 回答の問診票の患者記載）</span>", day);
	}
	strbuf_puts(b, "</td></tr>\n</table>\n");
}

static void course_section(strbuf *b, const ae_export_case *c)
{
	const causality_label *cl = find_causality(c->causality);
	const char *outcome = label_of(outcome_labels, sizeof outcome_labels / sizeof outcome_labels[0], c->outcome);
	char onset[32], end[32];
	date_ja(c->onset_date, onset);
	date_ja(c->outcome_date, end);
	strbuf_puts(b, "<table class=\"course-table\">\n<tr><th class=\"side\">経過</th><td>"
	               "<div class=\"note\">副作用等の発現及び処置等の経過（記入欄が不足する場合は別紙に記載）</div>"
	               "<div class=\"course\" data-field=\"course\">\n");
	strbuf_printf(b, "<p>%s　副作用等発現%s。</p>\n", onset, c->ongoing ? "（報告時点で継続中）" : "");
	if (!field_empty(c->narrative)) {
		strbuf_puts(b, "<p class=\"pre\" data-field=\"narrative\">");
		strbuf_html(b, c->narrative);
		strbuf_puts(b, "</p>\n");
	}
	if (!field_empty(c->treatment)) {
		strbuf_puts(b, "<p class=\"pre\">処置: <span class=\"v\" data-field=\"treatment\">");
		strbuf_html(b, c->treatment);
		strbuf_puts(b, "</span></p>\n");
	}
	strbuf_puts(b, "<p>重症度（CTCAE v5.0）: ");
	for (int i = 0; i < c->term_count; i++) {
		if (i)
			strbuf_puts(b, "、");
		strbuf_html(b, c->terms[i].name_ja);
		strbuf_printf(b, " グレード%d", c->terms[i].grade);
	}
	strbuf_puts(b, "</p>\n");
	strbuf_printf(b, "<p>転帰: %s%s%s%s</p>\n", outcome, end[0] ? "（" : "", end, end[0] ? "）" : "");
	strbuf_printf(b, "<p>被疑薬と副作用等との因果関係（報告者の評価、WHO-UMC 基準）: "
	                 "<span class=\"v\" data-field=\"causality\" data-value=\"%s\">%s</span></p>\n",
	              cl->code, cl->label);
	strbuf_puts(b, "</div></td></tr>\n</table>\n");
}

static void reporter_section(strbuf *b, const pmda_report_info *info)
{
	static const char *const professions[] = {"医師", "歯科医師", "薬剤師", "看護師", "その他"};
	const char *profession =
		label_of(profession_labels, sizeof profession_labels / sizeof profession_labels[0], info->reporter_profession);
	char report_day[32];
	date_ja(info->report_date, report_day);
	strbuf_puts(b, "<table class=\"reporter\">\n<tr><th class=\"side\" rowspan=\"4\">報告者</th>"
	               "<th style=\"width:26mm\">報告日</th><td colspan=\"3\">");
	strbuf_printf(b, "<span class=\"v\" data-field=\"report_date\" data-value=\"%s\">%s</span>", info->report_date,
	              report_day);
	strbuf_puts(b, "</td></tr>\n<tr><th>氏名</th><td>");
	value(b, "reporter_name", info->reporter_name);
	strbuf_puts(b, "</td><th style=\"width:16mm\">職種</th><td>");
	choices(b, "reporter_profession", professions, 5, profession);
	strbuf_puts(b, "</td></tr>\n<tr><th>施設名</th><td colspan=\"3\">");
	value(b, "facility_name", info->facility_name);
	strbuf_puts(b, "</td></tr>\n<tr><th>住所</th><td>〒　");
	value(b, "facility_address", info->facility_address);
	strbuf_puts(b, "</td><th>電話<br>FAX</th><td>");
	value(b, "facility_phone", info->facility_phone);
	strbuf_puts(b, "<br>");
	value(b, "facility_fax", "");
	strbuf_puts(b, "</td></tr>\n</table>\n");
}

char *pmda_report_html(const ae_export_case *c, const pmda_report_info *info, char *err, size_t errlen)
{
	if (check(c, info, err, errlen) != 0)
		return NULL;
	json_t *answers = answers_of(c);
	strbuf b = {0};
	strbuf_puts(&b, head);
	strbuf_printf(&b, "<title>医薬品安全性情報報告書 — 症例 #%lld 第%d版</title>\n", (long long)c->case_id, c->version);
	strbuf_puts(&b, style);
	strbuf_puts(&b, "<body>\n<p class=\"howto\">A4 で印刷するには、ブラウザの印刷（Ctrl+P / ⌘P）を使ってください。"
	                "空欄は exosafe が記録していない項目です。印刷後に手書きで記入してください。</p>\n");
	strbuf_puts(&b, "<div class=\"sheet\">\n<div class=\"top\"><div class=\"kinds\">"
	                "<span class=\"opt\"><span class=\"box\"></span>医療用医薬品</span><br>"
	                "<span class=\"opt\"><span class=\"box\"></span>要指導医薬品</span><br>"
	                "<span class=\"opt\"><span class=\"box\"></span>一般用医薬品</span></div>"
	                "<h1>医薬品安全性情報報告書</h1>");
	strbuf_printf(&b, "<div class=\"source\">exosafe 症例 #%lld<br>評価 第%d版</div></div>\n", (long long)c->case_id,
	              c->version);
	strbuf_puts(&b, "<p class=\"basis\">☆医薬品医療機器等法 第68条の10 第2項に基づく医薬関係者からの副作用等報告"
	                "（厚生労働省 医薬品・医療機器等安全性情報報告制度 別紙1 様式①の項目による）</p>\n");
	patient_section(&b, c, answers);
	reaction_section(&b, c);
	drug_section(&b, c, answers);
	course_section(&b, c);
	reporter_section(&b, info);
	strbuf_puts(&b, "<div class=\"submit\" data-field=\"submission_notice\">"
	                "<p><strong>提出について:</strong> exosafe はこの報告書を PMDA（独立行政法人医薬品医療機器総合機構）へ送信しません。"
	                "医療機関が自ら、PMDA の報告受付サイト（電子報告システム）、電子メール、FAX または郵送で提出してください。"
	                "送付先は PMDA ウェブサイト「医薬関係者からの副作用等報告」で確認してください。</p>"
	                "<p>空欄は exosafe が記録していない項目です（身長・体重・投与経路など）。わかる場合は手書きで記入してください。</p>"
	                "</div>\n</div>\n</body>\n</html>\n");
	json_decref(answers);
	char *html = strbuf_finish(&b);
	if (html == NULL)
		field_err(err, errlen, "out of memory");
	return html;
}
