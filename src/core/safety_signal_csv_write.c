/* Writing the ranked safety-signal pairs (safety_signal_csv.h): CSV, formatted on every core,
 * and JSON. */
#include "core/safety_signal_csv.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "core/numfmt.h"
#include "core/parallel.h"
#include "core/strbuf.h"

static const char *const stat_names[] = {"expected", "prr", "prr_lo", "prr_hi", "chi2", "ror", "ror_lo", "ror_hi",
                                         "ic", "ic_lo", "ic_hi", "ebgm", "eb05", "eb95"};

static void stat_values(const signal_row *r, double v[14])
{
	const signal_stats *s = &r->stats;
	double x[14] = {s->expected, s->prr, s->prr_lo, s->prr_hi, s->chi2, s->ror, s->ror_lo, s->ror_hi,
	                s->ic, s->ic_lo, s->ic_hi, r->mgps.ebgm, r->mgps.eb05, r->mgps.eb95};
	memcpy(v, x, sizeof x);
}

/* The item's product and lot (lot NULL in product mode). */
static void split_item(const char *item, bool by_lot, size_t *product_len, const char **lot)
{
	const char *sep = by_lot ? strchr(item, '\x1f') : NULL;
	*product_len = sep ? (size_t)(sep - item) : strlen(item);
	*lot = sep ? sep + 1 : NULL;
}

/* ---- CSV output: formatted on every core in blocks of rows, written in order ---- */

enum { WRITE_BLOCK_ROWS = 4096, WRITE_BATCH_BLOCKS = 64 };

/* A name as it goes into the CSV (quoted when it holds a comma, quote or line end). */
typedef struct csv_name {
	char *text;
	size_t len;
} csv_name;

typedef struct text_buf {
	char *p;
	size_t len, cap;
} text_buf;

typedef struct csv_job {
	const signal_row *rows;
	const uint32_t *order;           /* rows[order[0]] first */
	size_t n_rows, first_block;      /* blocks first_block + [0, WRITE_BATCH_BLOCKS) */
	const csv_name *items, *lots, *events;
	text_buf *out;                   /* [WRITE_BATCH_BLOCKS] */
	bool failed;
} csv_job;

static int csv_name_make(csv_name *n, const char *s, size_t len)
{
	bool quote = memchr(s, ',', len) || memchr(s, '"', len) || memchr(s, '\r', len) || memchr(s, '\n', len);
	size_t need = quote ? csv_write(NULL, 0, s, len) : len;
	n->text = malloc(need + 1);
	if (n->text == NULL)
		return -1;
	if (quote)
		csv_write(n->text, need, s, len);
	else
		memcpy(n->text, s, len);
	n->len = need;
	return 0;
}

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static void format_blocks(void *ctx, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	csv_job *j = ctx;
	for (size_t b = begin; b < end; b++) {
		text_buf *o = &j->out[b];
		o->len = 0;
		size_t r0 = (j->first_block + b) * WRITE_BLOCK_ROWS, r1 = r0 + WRITE_BLOCK_ROWS;
		if (r1 > j->n_rows)
			r1 = j->n_rows;
		for (size_t i = r0; i < r1; i++) {
			if (i + 8 < r1) {   /* rows come in ranking order, scattered over memory */
				const char *ahead = (const char *)&j->rows[j->order[i + 8]];
				__builtin_prefetch(ahead);
				__builtin_prefetch(ahead + 64);
				__builtin_prefetch(ahead + 128);
			}
			const signal_row *r = &j->rows[j->order[i]];
			const csv_name *item = &j->items[r->item], *lot = j->lots ? &j->lots[r->item] : NULL, *event = &j->events[r->event];
			/* names, four counts of ≤ 10 digits, fourteen numbers of ≤ 17 characters, separators */
			size_t need = item->len + (lot ? lot->len + 1 : 0) + event->len + 4 * 11 + 14 * 18 + 4 + 32;
			if (o->len + need > o->cap) {
				size_t cap = o->cap ? o->cap * 2 : 1 << 16;
				while (cap < o->len + need)
					cap *= 2;
				char *np = realloc(o->p, cap);
				if (np == NULL) {
					j->failed = true;
					return;
				}
				o->p = np;
				o->cap = cap;
			}
			char *p = o->p + o->len;
			p = put(p, item->text, item->len);
			*p++ = ',';
			if (lot) {
				p = put(p, lot->text, lot->len);
				*p++ = ',';
			}
			p = put(p, event->text, event->len);
			/* numbers are written in place: need leaves room for the 32 bytes each may touch */
			const uint32_t counts[4] = {r->a, r->b, r->c, r->d};
			for (int k = 0; k < 4; k++) {
				*p++ = ',';
				p += numfmt_u32(p, counts[k]);
			}
			double v[14];
			stat_values(r, v);
			for (int k = 0; k < 14; k++) {
				*p++ = ',';
				if (isfinite(v[k]))
					p += numfmt_g10(p, v[k]);
			}
			*p++ = '\n';
			o->len = (size_t)(p - o->p);
		}
	}
}

int signal_csv_write(const signal_table *t, const signal_row *rows, const uint32_t *order, size_t n, bool by_lot,
                     signal_write_fn write, void *ctx)
{
	int rc = -1;
	csv_name *items = calloc((size_t)t->n_items + 1, sizeof *items), *lots = NULL;
	csv_name *events = calloc((size_t)t->n_events + 1, sizeof *events);
	text_buf *bufs = calloc(WRITE_BATCH_BLOCKS, sizeof *bufs);
	if (by_lot)
		lots = calloc((size_t)t->n_items + 1, sizeof *lots);
	if (items == NULL || events == NULL || bufs == NULL || (by_lot && lots == NULL))
		goto done;
	for (uint32_t i = 0; i < t->n_items; i++) {
		const char *lot;
		size_t plen;
		split_item(t->item_names[i], by_lot, &plen, &lot);
		if (csv_name_make(&items[i], t->item_names[i], plen) < 0 ||
		    (by_lot && csv_name_make(&lots[i], lot ? lot : "", lot ? strlen(lot) : 0) < 0))
			goto done;
	}
	for (uint32_t e = 0; e < t->n_events; e++)
		if (csv_name_make(&events[e], t->event_names[e], strlen(t->event_names[e])) < 0)
			goto done;
	strbuf head = {0};
	strbuf_puts(&head, by_lot ? "product,lot,event,a,b,c,d" : "product,event,a,b,c,d");
	for (size_t i = 0; i < 14; i++)
		strbuf_printf(&head, ",%s", stat_names[i]);
	strbuf_puts(&head, "\n");
	char *text = strbuf_finish(&head);
	if (text == NULL)
		goto done;
	write(ctx, text, strlen(text));
	free(text);
	size_t blocks = (n + WRITE_BLOCK_ROWS - 1) / WRITE_BLOCK_ROWS;
	csv_job job = {rows, order, n, 0, items, by_lot ? lots : NULL, events, bufs, false};
	for (size_t first = 0; first < blocks; first += WRITE_BATCH_BLOCKS) {
		size_t batch = blocks - first < WRITE_BATCH_BLOCKS ? blocks - first : WRITE_BATCH_BLOCKS;
		job.first_block = first;
		parallel_for(batch, 1, format_blocks, &job, NULL, NULL);
		if (job.failed)
			goto done;
		for (size_t b = 0; b < batch; b++)
			write(ctx, bufs[b].p, bufs[b].len);
	}
	rc = 0;
done:
	for (uint32_t i = 0; items && i < t->n_items; i++)
		free(items[i].text);
	for (uint32_t i = 0; lots && i < t->n_items; i++)
		free(lots[i].text);
	for (uint32_t e = 0; events && e < t->n_events; e++)
		free(events[e].text);
	for (size_t b = 0; bufs && b < WRITE_BATCH_BLOCKS; b++)
		free(bufs[b].p);
	free(items);
	free(lots);
	free(events);
	free(bufs);
	return rc;
}
/* A JSON number at round-trip precision; null when undefined. */
static void put_num(strbuf *b, double x)
{
	if (isfinite(x))
		strbuf_printf(b, "%.17g", x);
	else
		strbuf_puts(b, "null");
}

static void put_json_string(strbuf *b, const char *s, size_t len)
{
	strbuf_puts(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			strbuf_printf(b, "\\%c", ch);
		else if (ch < 0x20)
			strbuf_printf(b, "\\u%04x", ch);
		else
			strbuf_put(b, s + i, 1);
	}
	strbuf_puts(b, "\"");
}

/* Hands b's text to write when it has grown past limit bytes (0: whatever it holds), and
 * empties it. Returns 0, or -1 when an allocation failed. */
static int flush(strbuf *b, size_t limit, signal_write_fn write, void *ctx)
{
	if (b->failed)
		return -1;
	if (b->len == 0 || b->len < limit)
		return 0;
	write(ctx, b->data, b->len);
	b->len = 0;
	b->data[0] = '\0';
	return 0;
}

int signal_json_write(const signal_table *t, const signal_row *rows, const uint32_t *order, size_t n, bool by_lot,
                      unsigned min_count, const signal_fit *fit, signal_prior_source source, signal_write_fn write,
                      void *ctx)
{
	bool fitted = source == SIGNAL_SOURCE_FITTED;
	const signal_prior *p = &fit->prior;
	strbuf b = {0};
	strbuf_printf(&b,
	              "{\n  \"by\": \"%s\",\n  \"reports\": %u,\n  \"%s\": %u,\n  \"events\": %u,\n  \"pairs\": %zu,\n"
	              "  \"min_count\": %u,\n",
	              by_lot ? "lot" : "product", t->reports, by_lot ? "lots" : "products", t->n_items, t->n_events, t->n_pairs,
	              min_count);
	strbuf_printf(&b,
	              "  \"mgps_prior\": {\"alpha1\": %.17g, \"beta1\": %.17g, \"alpha2\": %.17g, \"beta2\": %.17g, \"p\": %.17g,\n"
	              "    \"log_likelihood\": %.17g, \"source\": \"%s\", \"fitted\": %s",
	              p->alpha1, p->beta1, p->alpha2, p->beta2, p->p, fit->loglik, signal_prior_source_name(source),
	              fitted ? "true" : "false");
	if (fitted)
		strbuf_printf(&b, ", \"starts\": %d, \"iterations\": %d, \"points\": %zu, \"squashed\": %s, \"log_likelihood_fit\": %.17g",
		              fit->starts, fit->iterations, fit->points, fit->squashed ? "true" : "false", fit->loglik_fitted);
	strbuf_puts(&b, "},\n  \"signals\": [");
	for (size_t i = 0; i < n; i++) {
		const signal_row *r = &rows[order[i]];
		const char *item = t->item_names[r->item], *lot, *event = t->event_names[r->event];
		size_t plen;
		split_item(item, by_lot, &plen, &lot);
		strbuf_puts(&b, i ? ",\n    {\"product\": " : "\n    {\"product\": ");
		put_json_string(&b, item, plen);
		if (lot) {
			strbuf_puts(&b, ", \"lot\": ");
			put_json_string(&b, lot, strlen(lot));
		}
		strbuf_puts(&b, ", \"event\": ");
		put_json_string(&b, event, strlen(event));
		strbuf_printf(&b, ", \"a\": %u, \"b\": %u, \"c\": %u, \"d\": %u", r->a, r->b, r->c, r->d);
		double v[14];
		stat_values(r, v);
		for (int k = 0; k < 14; k++) {
			strbuf_printf(&b, ", \"%s\": ", stat_names[k]);
			put_num(&b, v[k]);
		}
		strbuf_puts(&b, "}");
		if (flush(&b, 1 << 16, write, ctx) < 0)
			break;
	}
	strbuf_puts(&b, n ? "\n  ]\n}\n" : "]\n}\n");
	int rc = flush(&b, 0, write, ctx);
	free(strbuf_finish(&b));
	return rc;
}
