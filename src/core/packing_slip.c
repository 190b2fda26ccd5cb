#include "core/packing_slip.h"

#include <stdio.h>

#include "core/print_page.h"
#include "core/strbuf.h"
#include "core/timefmt.h"

static const char head[] =
	PRINT_PAGE_HEAD
	"<title>納品書(梱包票) / Packing slip</title>\n"
	"<style>\n"
	"@page { size: A4; margin: 15mm 18mm; }\n"
	"html { background: #fff; color: #000; }\n"
	"body { margin: 0; font-family: \"Hiragino Sans\", \"Yu Gothic\", \"Noto Sans CJK JP\", sans-serif;"
	" font-size: 10pt; line-height: 1.5; }\n"
	".top { display: flex; justify-content: space-between; align-items: flex-start; gap: 2em; }\n"
	".top p { margin: 0; }\n"
	".name { font-size: 13pt; margin-top: 0.4em !important; }\n"
	".sender { text-align: right; }\n"
	"h1 { font-size: 15pt; text-align: center; margin: 1em 0 0.8em; }\n"
	"h1 span, h2 span, th span { font-weight: normal; font-size: 0.8em; }\n"
	"h2 { font-size: 11pt; margin: 1em 0 0.3em; border-bottom: 1px solid #000; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { border: 1px solid #000; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }\n"
	"thead th { background: #eee; }\n"
	"td.num { text-align: right; }\n"
	".mono { font-family: ui-monospace, \"SFMono-Regular\", Menlo, monospace; }\n"
	".note { margin-top: 1.2em; border: 1px solid #000; padding: 0.4em 0.8em; }\n"
	".note p { margin: 0.3em 0; }\n"
	"@media screen { body { max-width: 210mm; margin: 0 auto; padding: 1em; } }\n"
	"</style>\n"
	"</head>\n"
	"<body>\n";

static void row(strbuf *b, const char *ja, const char *en, const char *value, const char *cls)
{
	strbuf_printf(b, "<tr><th>%s <span lang=\"en\">%s</span></th><td%s>", ja, en, cls ? cls : "");
	strbuf_html(b, value);
	strbuf_puts(b, "</td></tr>\n");
}

char *packing_slip_html(const packing_slip *slip)
{
	strbuf b = {0};
	char order_no[32], ordered[11], shipped[11], quantity[16];
	snprintf(order_no, sizeof order_no, "%lld", (long long)slip->order_id);
	jst_date(slip->ordered_at, ordered);
	snprintf(quantity, sizeof quantity, "%d", slip->quantity);
	strbuf_puts(&b, head);
	strbuf_puts(&b, "<div class=\"top\">\n<div class=\"recipient\">\n<p>〒");
	strbuf_html(&b, slip->postal_code);
	strbuf_puts(&b, "</p>\n<p>");
	strbuf_html(&b, slip->address);
	strbuf_puts(&b, "</p>\n<p class=\"name\">");
	strbuf_html(&b, slip->patient_name);
	strbuf_puts(&b, " 様</p>\n<p>電話 ");
	strbuf_html(&b, slip->phone);
	strbuf_puts(&b, "</p>\n</div>\n<div class=\"sender\">\n<p>");
	strbuf_html(&b, slip->clinic_name);
	strbuf_puts(&b, "</p>\n<p>電話 ");
	strbuf_html(&b, slip->clinic_phone);
	strbuf_puts(&b, "</p>\n</div>\n</div>\n");
	strbuf_puts(&b, "<h1>納品書(梱包票) <span lang=\"en\">Packing slip</span></h1>\n<table>\n");
	row(&b, "注文番号", "Order no.", order_no, " class=\"mono\" id=\"order-number\"");
	row(&b, "ご注文日", "Ordered", ordered, NULL);
	if (slip->shipped_at != 0) {
		jst_date(slip->shipped_at, shipped);
		row(&b, "発送日", "Shipped", shipped, NULL);
	}
	if (slip->carrier != NULL && slip->carrier[0] != '\0') {
		row(&b, "配送業者", "Carrier", slip->carrier, NULL);
		row(&b, "伝票番号", "Tracking no.", slip->tracking_number, " class=\"mono\"");
	}
	strbuf_puts(&b, "</table>\n<h2>お届けする製品 <span lang=\"en\">Items</span></h2>\n<table id=\"items\">\n");
	strbuf_puts(&b, "<thead><tr><th>製品名 <span lang=\"en\">Product</span></th><th>ロット番号 <span lang=\"en\">Lot</span></th>"
	                "<th>使用期限 <span lang=\"en\">Expires</span></th><th>数量 <span lang=\"en\">Qty</span></th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < slip->nlines; i++) {
		const packing_slip_line *l = &slip->lines[i];
		strbuf_puts(&b, "<tr><td>");
		strbuf_html(&b, slip->product_name);
		strbuf_puts(&b, "</td><td class=\"mono lot\">");
		strbuf_html(&b, l->lot_number);
		strbuf_puts(&b, "</td><td>");
		strbuf_html(&b, l->expires_on);
		strbuf_printf(&b, "</td><td class=\"num\">%d</td></tr>\n", l->quantity);
	}
	strbuf_printf(&b, "</tbody>\n</table>\n<p>ご注文数量 <span lang=\"en\">Ordered quantity</span>: %s</p>\n", quantity);
	strbuf_puts(&b, "<div class=\"note\">\n<p>届いたら ");
	strbuf_html(&b, slip->storage);
	strbuf_puts(&b, " で保管してください。製品と数量、ロット番号をご確認ください。"
	                "この納品書は、ロット番号の記録として保管してください。</p>\n"
	                "<p>使用後に気になる症状があるときや、届いた製品に異常があるときは、当院(電話 ");
	strbuf_html(&b, slip->clinic_phone);
	strbuf_puts(&b, ")へご連絡ください。</p>\n<p lang=\"en\">Store at ");
	strbuf_html(&b, slip->storage);
	strbuf_puts(&b, ". Keep this slip: it records the lot numbers you received. Contact the clinic (phone ");
	strbuf_html(&b, slip->clinic_phone);
	strbuf_puts(&b, ") about any symptom or anything wrong with the product.</p>\n</div>\n</body>\n</html>\n");
	return strbuf_finish(&b);
}
