#include "core/print_page.h"
#include "core/recall_notice.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/timefmt.h"

char *html_escape(const char *text)
{
	strbuf b = {0};
	strbuf_html(&b, text);
	return strbuf_finish(&b);
}

/* A named value for a template; values are always escaped when substituted. */
typedef struct field {
	const char *key;
	const char *value;
} field;

/* Appends template with every "{key}" replaced by its field's value, escaped. The templates are
 * ours, so an unknown key is a programming error. */
static void render(strbuf *b, const char *template, const field *fields, size_t nfields)
{
	const char *p = template;
	while (*p) {
		const char *open = strchr(p, '{');
		if (open == NULL) {
			strbuf_puts(b, p);
			return;
		}
		strbuf_put(b, p, (size_t)(open - p));
		const char *close = strchr(open, '}');
		assert(close != NULL);
		size_t klen = (size_t)(close - open - 1);
		const char *value = NULL;
		for (size_t i = 0; i < nfields; i++)
			if (strlen(fields[i].key) == klen && memcmp(fields[i].key, open + 1, klen) == 0)
				value = fields[i].value;
		assert(value != NULL);
		strbuf_html(b, value ? value : "");
		p = close + 1;
	}
}

static const char head[] =
	PRINT_PAGE_HEAD
	"<title>製品回収(リコール)のお知らせ</title>\n"
	"<style>\n"
	"@page { size: A4; margin: 15mm 18mm; }\n"
	"html { background: #fff; color: #000; }\n"
	"body { margin: 0; font-family: \"Hiragino Mincho ProN\", \"Yu Mincho\", \"Noto Serif CJK JP\", serif;"
	" font-size: 10pt; line-height: 1.5; }\n"
	".notice { page-break-after: always; break-after: page; }\n"
	".notice:last-child { page-break-after: auto; break-after: auto; }\n"
	".top { display: flex; justify-content: space-between; align-items: flex-start; }\n"
	".recipient p, .sender p { margin: 0; }\n"
	".recipient .name { font-size: 13pt; margin-top: 0.4em; }\n"
	".sender { text-align: right; }\n"
	"h1 { font-size: 15pt; text-align: center; margin: 1em 0 0.8em; }\n"
	"h2 { font-size: 11pt; margin: 0.9em 0 0.3em; border-bottom: 1px solid #000; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { border: 1px solid #000; padding: 0.15em 0.6em; text-align: left; vertical-align: top; }\n"
	"th { width: 11em; font-weight: normal; }\n"
	".reason { white-space: pre-wrap; }\n"
	"ol { margin: 0.3em 0; padding-left: 1.6em; }\n"
	".urgent { border: 2px solid #000; padding: 0 0.8em; margin-top: 0.6em; }\n"
	".urgent p { margin: 0.4em 0; }\n"
	".summary { margin-top: 1em; font-family: Helvetica, Arial, sans-serif; font-size: 9pt; line-height: 1.45; }\n"
	".summary h2 { font-size: 10pt; }\n"
	"@media screen { body { max-width: 210mm; margin: 0 auto; padding: 1em; }"
	" .notice { border-bottom: 1px dashed #888; padding-bottom: 2em; margin-bottom: 2em; } }\n"
	"</style>\n"
	"</head>\n"
	"<body>\n";

/* One notice. Every {key} is a value and is escaped; the text around them is fixed. */
static const char notice_top[] =
	"<section class=\"notice\">\n"
	"<div class=\"top\">\n"
	"<div class=\"recipient\">\n"
	"<p>〒{postal}</p>\n"
	"<p>{address}</p>\n"
	"<p class=\"name\">{patient} 様</p>\n"
	"</div>\n"
	"<div class=\"sender\">\n"
	"<p>{recalled_ja}</p>\n"
	"<p>{clinic}</p>\n";

static const char notice_clinic_address[] = "<p>{clinic_address}</p>\n";

static const char notice_phone[] = "<p>電話 {phone}</p>\n";

static const char notice_hours[] = "<p>受付時間 {hours}</p>\n";

static const char notice_heading[] =
	"</div>\n"
	"</div>\n"
	"<h1>製品回収(リコール)のお知らせ</h1>\n"
	"<p>当院からお渡しした下記の製品のロットについて、製品回収(リコール)を行うことになりました。"
	"ご心配とご迷惑をおかけし、深くお詫び申し上げます。お手元の製品をご確認ください。</p>\n"
	"<h2>対象の製品</h2>\n"
	"<table>\n"
	"<tr><th>製品名</th><td>{product}</td></tr>\n"
	"<tr><th>ロット番号</th><td>{lot}</td></tr>\n"
	"<tr><th>お渡しした数量</th><td>{quantity} 個</td></tr>\n"
	"<tr><th>お渡しした日</th><td>{dispensed_ja}</td></tr>\n";

static const char notice_tracking[] =
	"<tr><th>配送の伝票番号</th><td>{tracking}</td></tr>\n";

static const char notice_rest[] =
	"</table>\n"
	"<h2>回収の理由</h2>\n"
	"<p class=\"reason\">{reason}</p>\n"
	"<h2>今すぐお願いしたいこと</h2>\n"
	"<ol>\n"
	"<li>このロットの製品の使用を、今すぐ中止してください。</li>\n"
	"<li>製品は捨てずに、返品のためにそのまま保管してください(使いかけのものや空の容器も含みます)。"
	"返品の方法は当院からご案内します。</li>\n"
	"<li>当院(電話 {phone})までご連絡ください。</li>\n"
	"</ol>\n"
	"<div class=\"urgent\">\n"
	"<p>この製品を使ってから、赤み、腫れ、かゆみ、発熱、だるさ(倦怠感)、頭痛、吐き気、"
	"アレルギー反応などの症状がある場合は、当院(電話 {phone})へご連絡ください。</p>\n"
	"<p><strong>息苦しい、気が遠くなるなどの症状がある場合は、ためらわずに 119 番に電話してください。</strong></p>\n"
	"</div>\n"
	"<div class=\"summary\" lang=\"en\">\n"
	"<h2>Product recall notice (summary in English)</h2>\n"
	"<p>Date: {recalled_en} (Japan time). The lot {lot} of {product} has been recalled. "
	"You received {quantity} unit(s) from this lot on {dispensed_en}. Reason: {reason}</p>\n"
	"<p>Stop using the product from this lot now. Do not throw it away: keep it so that it can "
	"be returned. Contact {clinic} at {phone}. If you have any symptoms such as redness, swelling, "
	"itching, fever, fatigue, headache, nausea or an allergic reaction, contact the clinic. "
	"If you have difficulty breathing or feel faint, call 119.</p>\n"
	"</div>\n"
	"</section>\n";

static const char tail[] = "</body>\n</html>\n";

/* The JST calendar date of t, in Japanese ("2026年11月26日") and ISO ("2026-11-26"). */
static void jst_dates(int64_t t, char ja[32], char iso[11])
{
	jst_date(t, iso);
	int y = 0, m = 0, d = 0;
	if (sscanf(iso, "%d-%d-%d", &y, &m, &d) != 3)
		y = m = d = 0;
	snprintf(ja, 32, "%d年%d月%d日", y, m, d);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void render_notice(strbuf *b, const recall_notice *n)
{
	char recalled_ja[32], recalled_en[11], dispensed_ja[32], dispensed_en[11], quantity[16];
	jst_dates(n->recalled_at, recalled_ja, recalled_en);
	jst_dates(n->dispensed_at, dispensed_ja, dispensed_en);
	snprintf(quantity, sizeof quantity, "%d", n->quantity);
	const field fields[] = {
		{"clinic", or_empty(n->clinic_name)},
		{"phone", or_empty(n->clinic_phone)},
		{"product", or_empty(n->product_name)},
		{"lot", or_empty(n->lot_number)},
		{"reason", or_empty(n->reason)},
		{"recalled_ja", recalled_ja},
		{"recalled_en", recalled_en},
		{"patient", or_empty(n->patient_name)},
		{"postal", or_empty(n->postal_code)},
		{"address", or_empty(n->address)},
		{"quantity", quantity},
		{"dispensed_ja", dispensed_ja},
		{"dispensed_en", dispensed_en},
		{"tracking", or_empty(n->tracking_number)},
		{"clinic_address", or_empty(n->clinic_address)},
		{"hours", or_empty(n->clinic_hours)},
	};
	const size_t nf = sizeof fields / sizeof fields[0];
	render(b, notice_top, fields, nf);
	if (n->clinic_address && *n->clinic_address)
		render(b, notice_clinic_address, fields, nf);
	render(b, notice_phone, fields, nf);
	if (n->clinic_hours && *n->clinic_hours)
		render(b, notice_hours, fields, nf);
	render(b, notice_heading, fields, nf);
	if (n->tracking_number && *n->tracking_number)
		render(b, notice_tracking, fields, nf);
	render(b, notice_rest, fields, nf);
}

char *recall_notice_html(const recall_notice *notices, int count)
{
	strbuf b = {0};
	strbuf_puts(&b, head);
	for (int i = 0; i < count; i++)
		render_notice(&b, &notices[i]);
	strbuf_puts(&b, tail);
	return strbuf_finish(&b);
}
