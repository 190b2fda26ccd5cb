/* The printable recall notice: escaping, one page per patient, dates in JST, the instructions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "core/recall_notice.h"

/* 2026-11-25T15:30:00Z is already 26 November in Japan. */
#define RECALLED_AT INT64_C(1795620600)
/* 2026-10-01T14:59:59Z is 23:59:59 on 1 October in Japan; one second later it is 2 October. */
#define DISPENSED_AT INT64_C(1790866799)

static recall_notice benign(void)
{
	return (recall_notice){
		.clinic_name = "exosafe クリニック",
		.clinic_phone = "03-1234-5678",
		.product_name = "エクソソーム クリーム",
		.lot_number = "EXO-2026-001",
		.reason = "出荷後の試験で無菌試験の再検査結果が規格外となったため。",
		.recalled_at = RECALLED_AT,
		.patient_name = "山田 花子",
		.postal_code = "150-0001",
		.address = "東京都渋谷区神宮前1-2-3",
		.quantity = 2,
		.dispensed_at = DISPENSED_AT,
		.tracking_number = "1234-5678-9012",
	};
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + strlen(needle), needle))
		n++;
	return n;
}

static void test_html_escape(void **state)
{
	(void)state;
	char *e = html_escape("<script>alert('x')</script> & \"q\"");
	assert_non_null(e);
	assert_string_equal(e, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	free(e);
	e = html_escape("山田 花子");
	assert_string_equal(e, "山田 花子");
	free(e);
	e = html_escape("");
	assert_string_equal(e, "");
	free(e);
	e = html_escape(NULL);
	assert_string_equal(e, "");
	free(e);
	/* Already-escaped text is escaped again: the value is shown as it was typed. */
	e = html_escape("&amp;");
	assert_string_equal(e, "&amp;amp;");
	free(e);
}

static void test_hostile_values_in_every_field_are_escaped(void **state)
{
	(void)state;
	recall_notice n = {
		.clinic_name = "<script>alert(\"clinic\")</script>",
		.clinic_phone = "\"><img src=x onerror=alert('phone')>",
		.product_name = "<b onmouseover='product'>",
		.lot_number = "</td><script>lot</script>",
		.reason = "</p><iframe src=\"https://evil.example/\"></iframe>",
		.recalled_at = RECALLED_AT,
		.patient_name = "<svg onload=alert('patient')>",
		.postal_code = "<a href='x'>",
		.address = "' onmouseover='address' & <style>",
		.quantity = 1,
		.dispensed_at = DISPENSED_AT,
		.tracking_number = "<link rel=stylesheet href=//evil>",
	};
	char *html = recall_notice_html(&n, 1);
	assert_non_null(html);
	/* Attribute text such as onerror= may remain as inert text; no tag and no raw quote may. */
	const char *forbidden[] = {"<script", "<img", "<b ", "<iframe", "<svg", "<a ", "<link",
				   "' onmouseover", "\"><"};
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
		if (strstr(html, forbidden[i]))
			fail_msg("unescaped markup %s in the notice", forbidden[i]);
	assert_int_equal(count(html, "<style>"), 1);  /* ours; the address's <style> is escaped */
	assert_non_null(strstr(html, "&lt;script&gt;alert(&quot;clinic&quot;)&lt;/script&gt;"));
	assert_non_null(strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(&#39;phone&#39;)&gt;"));
	assert_non_null(strstr(html, "&lt;b onmouseover=&#39;product&#39;&gt;"));
	assert_non_null(strstr(html, "&lt;/td&gt;&lt;script&gt;lot&lt;/script&gt;"));
	assert_non_null(strstr(html, "&lt;/p&gt;&lt;iframe src=&quot;https://evil.example/&quot;&gt;"));
	assert_non_null(strstr(html, "&lt;svg onload=alert(&#39;patient&#39;)&gt;"));
	assert_non_null(strstr(html, "&lt;a href=&#39;x&#39;&gt;"));
	assert_non_null(strstr(html, "&#39; onmouseover=&#39;address&#39; &amp; &lt;style&gt;"));
	assert_non_null(strstr(html, "&lt;link rel=stylesheet href=//evil&gt;"));
	free(html);
}

static void test_one_page_per_notice(void **state)
{
	(void)state;
	recall_notice n[3] = {benign(), benign(), benign()};
	n[1].patient_name = "佐藤 一郎";
	n[2].patient_name = "鈴木 次郎";
	char *html = recall_notice_html(n, 3);
	assert_non_null(html);
	assert_int_equal(count(html, "<section class=\"notice\">"), 3);
	assert_int_equal(count(html, "</section>"), 3);
	assert_non_null(strstr(html, "page-break-after: always"));
	assert_non_null(strstr(html, "size: A4"));
	/* In order, each with its own patient. */
	const char *a = strstr(html, "山田 花子 様"), *b = strstr(html, "佐藤 一郎 様"), *c = strstr(html, "鈴木 次郎 様");
	assert_true(a && b && c && a < b && b < c);
	/* One complete document. */
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_int_equal(count(html, "<html"), 1);
	assert_int_equal(count(html, "</html>"), 1);
	assert_int_equal(count(html, "<meta charset=\"utf-8\">"), 1);
	free(html);
}

static void test_no_notices_is_still_a_document(void **state)
{
	(void)state;
	char *html = recall_notice_html(NULL, 0);
	assert_non_null(html);
	assert_int_equal(count(html, "class=\"notice\""), 0);
	assert_non_null(strstr(html, "</html>"));
	free(html);
}

static void test_self_contained(void **state)
{
	(void)state;
	recall_notice n = benign();
	char *html = recall_notice_html(&n, 1);
	assert_non_null(html);
	const char *head_end = strstr(html, "</head>"), *style = strstr(html, "<style>");
	assert_true(head_end && style && style < head_end);
	assert_int_equal(count(html, "<style"), 1);
	const char *forbidden[] = {"<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import",
				   "http:", "https:", "style=\"", "onload", "onclick"};
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
		if (strstr(html, forbidden[i]))
			fail_msg("%s in a page that must need no script and no external resource", forbidden[i]);
	free(html);
}

static void test_dates_in_jst(void **state)
{
	(void)state;
	recall_notice n = benign();
	char *html = recall_notice_html(&n, 1);
	assert_non_null(html);
	assert_non_null(strstr(html, "2026年11月26日"));   /* recalled, JST */
	assert_null(strstr(html, "2026年11月25日"));
	assert_non_null(strstr(html, "2026-11-26"));
	assert_non_null(strstr(html, "2026年10月1日"));    /* dispensed at 23:59:59 JST */
	assert_non_null(strstr(html, "2026-10-01"));
	free(html);

	n.dispensed_at = DISPENSED_AT + 1;
	html = recall_notice_html(&n, 1);
	assert_non_null(html);
	assert_non_null(strstr(html, "2026年10月2日"));
	assert_null(strstr(html, "2026年10月1日"));
	free(html);
}

static void test_required_content(void **state)
{
	(void)state;
	recall_notice n = benign();
	char *html = recall_notice_html(&n, 1);
	assert_non_null(html);
	const char *required[] = {
		"<html lang=\"ja\">",
		"<title>製品回収(リコール)のお知らせ</title>",
		"<h1>製品回収(リコール)のお知らせ</h1>",
		"〒150-0001", "東京都渋谷区神宮前1-2-3", "山田 花子 様",
		"エクソソーム クリーム", "EXO-2026-001", "2 個", "1234-5678-9012",
		"出荷後の試験で無菌試験の再検査結果が規格外となったため。",
		"exosafe クリニック", "03-1234-5678",
		"使用を、今すぐ中止してください", "捨てずに", "返品のため", "保管",
		"赤み", "腫れ", "かゆみ", "発熱", "倦怠感", "頭痛", "吐き気", "アレルギー反応",
		"息苦しい", "気が遠くなる", "119 番",
		"lang=\"en\"", "Stop using the product from this lot now", "Do not throw it away",
		"You received 2 unit(s)", "call 119", "Contact exosafe クリニック at 03-1234-5678",
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!strstr(html, required[i]))
			fail_msg("the notice lacks \"%s\"", required[i]);
	/* Japanese first, the English summary after it. */
	assert_true(strstr(html, "<h1>") < strstr(html, "lang=\"en\""));
	free(html);
}

static void test_tracking_row_only_when_shipped(void **state)
{
	(void)state;
	recall_notice n = benign();
	n.tracking_number = "";
	char *html = recall_notice_html(&n, 1);
	assert_non_null(html);
	assert_null(strstr(html, "伝票番号"));
	free(html);
	n.tracking_number = NULL;
	html = recall_notice_html(&n, 1);
	assert_non_null(html);
	assert_null(strstr(html, "伝票番号"));
	free(html);
}

/* No advertising language (guaranteed or absolute claims) in the text we write. */
static void test_no_advertising_claims(void **state)
{
	(void)state;
	recall_notice n = benign();
	n.clinic_name = "みなと皮膚科クリニック";  /* "exosafe" would match "safe" */
	char *html = recall_notice_html(&n, 1);
	assert_non_null(html);
	const char *body = strstr(html, "<body>");
	assert_non_null(body);
	const char *ja[] = {"安全", "安心", "必ず", "絶対", "最高", "完治", "保証", "副作用なし", "効果"};
	for (size_t i = 0; i < sizeof ja / sizeof ja[0]; i++)
		if (strstr(body, ja[i]))
			fail_msg("advertising language \"%s\" in the notice", ja[i]);
	const char *en[] = {"safe", "guarantee", "always", "never", "100%", "best", "cure", "proven"};
	for (size_t i = 0; i < sizeof en / sizeof en[0]; i++)
		for (const char *p = body; *p; p++)
			if (strncasecmp(p, en[i], strlen(en[i])) == 0)
				fail_msg("advertising language \"%s\" in the notice", en[i]);
	free(html);
}

/* The sender block carries the clinic's address and opening hours when set, escaped; without
 * them the lines are left out rather than printed empty. */
static void test_clinic_address_and_hours(void **state)
{
	(void)state;
	recall_notice n = benign();
	char *html = recall_notice_html(&n, 1);
	assert_non_null(html);
	assert_null(strstr(html, "受付時間"));
	free(html);
	n.clinic_address = "〒105-0011 東京都港区芝公園1-2-3 <2F>";
	n.clinic_hours = "平日 10:00–18:00";
	html = recall_notice_html(&n, 1);
	assert_non_null(html);
	assert_non_null(strstr(html, "<p>〒105-0011 東京都港区芝公園1-2-3 &lt;2F&gt;</p>"));
	assert_non_null(strstr(html, "<p>受付時間 平日 10:00–18:00</p>"));
	const char *phone = strstr(html, "<p>電話 03-1234-5678</p>"), *hours = strstr(html, "受付時間");
	assert_true(phone && hours && phone < hours);
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_hostile_values_in_every_field_are_escaped),
		cmocka_unit_test(test_one_page_per_notice),
		cmocka_unit_test(test_no_notices_is_still_a_document),
		cmocka_unit_test(test_self_contained),
		cmocka_unit_test(test_dates_in_jst),
		cmocka_unit_test(test_required_content),
		cmocka_unit_test(test_tracking_row_only_when_shipped),
		cmocka_unit_test(test_clinic_address_and_hours),
		cmocka_unit_test(test_no_advertising_claims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
