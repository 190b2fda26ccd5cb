/* Text preparation for the advertising checker; see adcheck_text.h.
 *
 * Every derived text is built by three moves over its source, in source order: copy a run
 * unchanged, replace a span with other bytes, or skip a span. Only replacements and skips
 * are recorded (as anchors), so a page of plain Japanese costs no map at all. */
#include "core/adcheck_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/growth.h"

void adtext_free(adtext *t)
{
	free(t->text);
	free(t->map.anchors);
	memset(t, 0, sizeof *t);
}

static bool reserve(adtext *t, size_t extra)
{
	if (t->failed)
		return false;
	char *text = extra < SIZE_MAX - t->len - 1 ? growth_reserve(t->text, &t->cap, t->len + extra + 1, 1) : NULL;
	if (text == NULL) {
		t->failed = true;
		return false;
	}
	t->text = text;
	return true;
}

static void push_anchor(adtext *t, size_t out_len, size_t src_off, size_t src_len)
{
	adtext_map *m = &t->map;
	if (t->failed)
		return;
	if (out_len == 0 && m->count > 0) {
		adtext_anchor *last = &m->anchors[m->count - 1];
		/* Consecutive skips merge into one. */
		if (last->out_len == 0 && last->out_off == t->len && last->src_off + last->src_len == src_off) {
			last->src_len += src_len;
			return;
		}
	}
	adtext_anchor *a = growth_reserve(m->anchors, &m->cap, m->count + 1, sizeof *a);
	if (a == NULL) {
		t->failed = true;
		return;
	}
	m->anchors = a;
	m->anchors[m->count++] = (adtext_anchor){t->len, out_len, src_off, src_len};
}

/* Drops the source bytes between the cursor and to. */
static void skip_to(adtext *t, size_t to)
{
	if (to > t->src_cursor) {
		push_anchor(t, 0, t->src_cursor, to - t->src_cursor);
		t->src_cursor = to;
	}
}

/* Copies src[from, to) unchanged. */
static void copy_run(adtext *t, const char *src, size_t from, size_t to)
{
	skip_to(t, from);
	if (to <= from || !reserve(t, to - from))
		return;
	memcpy(t->text + t->len, src + from, to - from);
	t->len += to - from;
	t->text[t->len] = '\0';
	t->src_cursor = to;
}

/* Writes bytes[0, n) (n > 0) in place of the source span [from, to), which may be empty. */
static void replace_span(adtext *t, size_t from, size_t to, const char *bytes, size_t n)
{
	skip_to(t, from);
	if (!reserve(t, n))
		return;
	push_anchor(t, n, from, to - from);
	memcpy(t->text + t->len, bytes, n);
	t->len += n;
	t->text[t->len] = '\0';
	t->src_cursor = to;
}

static void finish(adtext *t, size_t src_len)
{
	skip_to(t, src_len);
	if (reserve(t, 0))
		t->text[t->len] = '\0';
}

size_t adtext_map_back(const adtext_map *m, size_t off, bool is_end)
{
	size_t lo = 0, hi = m->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const adtext_anchor *a = &m->anchors[mid];
		if (is_end ? a->out_off < off : a->out_off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return off;
	const adtext_anchor *a = &m->anchors[lo - 1];
	size_t a_end = a->out_off + a->out_len;
	if (!is_end && off < a_end)
		return a->src_off;
	if (is_end && off <= a_end)
		return a->src_off + a->src_len;
	return a->src_off + a->src_len + (off - a_end);
}

/* ---- UTF-8 ---- */

int adtext_validate(const char *s, size_t len, size_t *bad_offset)
{
	const unsigned char *p = (const unsigned char *)s;
	const void *nul = memchr(s, 0, len);
	if (nul != NULL) {
		*bad_offset = (size_t)((const char *)nul - s);
		return 1;
	}
	size_t i = 0;
	while (i < len) {
		/* ASCII eight bytes at a time. */
		while (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4;
			cp = c & 0x07;
		} else {
			*bad_offset = i;
			return 2;
		}
		if (i + n > len) {
			*bad_offset = i;
			return 2;
		}
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xC0) != 0x80) {
				*bad_offset = i;
				return 2;
			}
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
			*bad_offset = i;
			return 2;
		}
		i += n;
	}
	return 0;
}

/* Decodes one code point of valid UTF-8; *n gets its length. */
static uint32_t decode(const unsigned char *p, size_t *n)
{
	unsigned c = p[0];
	if (c < 0x80) {
		*n = 1;
		return c;
	}
	if (c < 0xE0) {
		*n = 2;
		return ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
	}
	if (c < 0xF0) {
		*n = 3;
		return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
	}
	*n = 4;
	return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

static size_t encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- HTML visible text ---- */

typedef struct entity {
	const char *name;
	uint32_t cp;
} entity;

/* The references pages actually use; any other stays as written. */
static const entity entities[] = {
	{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0},
	{"ensp", 0x2002}, {"emsp", 0x2003}, {"thinsp", 0x2009}, {"zwnj", 0x200C}, {"zwj", 0x200D},
	{"lrm", 0x200E}, {"rlm", 0x200F}, {"shy", 0xAD}, {"copy", 0xA9}, {"reg", 0xAE}, {"trade", 0x2122},
	{"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"minus", 0x2212}, {"lsquo", 0x2018},
	{"rsquo", 0x2019}, {"sbquo", 0x201A}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"bdquo", 0x201E},
	{"laquo", 0xAB}, {"raquo", 0xBB}, {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"bull", 0x2022},
	{"middot", 0xB7}, {"prime", 0x2032}, {"Prime", 0x2033}, {"deg", 0xB0}, {"plusmn", 0xB1},
	{"times", 0xD7}, {"divide", 0xF7}, {"micro", 0xB5}, {"para", 0xB6}, {"sect", 0xA7}, {"cent", 0xA2},
	{"pound", 0xA3}, {"yen", 0xA5}, {"euro", 0x20AC}, {"curren", 0xA4}, {"iexcl", 0xA1}, {"iquest", 0xBF},
	{"frac12", 0xBD}, {"frac14", 0xBC}, {"frac34", 0xBE}, {"sup1", 0xB9}, {"sup2", 0xB2}, {"sup3", 0xB3},
	{"percnt", '%'}, {"excl", '!'}, {"quest", '?'}, {"num", '#'}, {"dollar", '$'}, {"lpar", '('},
	{"rpar", ')'}, {"ast", '*'}, {"plus", '+'}, {"comma", ','}, {"period", '.'}, {"sol", '/'},
	{"colon", ':'}, {"semi", ';'}, {"equals", '='}, {"commat", '@'}, {"lsqb", '['}, {"rsqb", ']'},
	{"lowbar", '_'}, {"larr", 0x2190}, {"uarr", 0x2191}, {"rarr", 0x2192}, {"darr", 0x2193},
	{"harr", 0x2194}, {"hearts", 0x2665}, {"spades", 0x2660}, {"clubs", 0x2663}, {"diams", 0x2666},
	{"check", 0x2713}, {"star", 0x2606}, {"starf", 0x2605}, {"loz", 0x25CA}, {"infin", 0x221E},
	{"le", 0x2264}, {"ge", 0x2265}, {"ne", 0x2260}, {"asymp", 0x2248}, {"sim", 0x223C},
};

/* Written without a semicolon by old pages; decoded so only when no letter, digit or '='
 * follows (as a browser does inside attributes). */
static const char *const legacy_entities[] = {"amp", "lt", "gt", "quot", "nbsp", "copy", "reg", "yen", "times"};

/* Windows-1252 for numeric references 0x80..0x9F, as browsers read them. */
static const uint16_t cp1252[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static bool is_html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Decodes the character reference at s[i] == '&' (s[0, end)). Returns the bytes consumed
 * (0 when it is not one) and writes the UTF-8 into out (at least 4 bytes). */
static size_t decode_reference(const char *s, size_t i, size_t end, char *out, size_t *out_len)
{
	size_t j = i + 1;
	if (j < end && s[j] == '#') {
		j++;
		bool hex = j < end && (s[j] == 'x' || s[j] == 'X');
		if (hex)
			j++;
		size_t digits = j;
		uint32_t cp = 0;
		bool too_big = false;
		while (j < end) {
			char c = s[j];
			unsigned v;
			if (c >= '0' && c <= '9')
				v = (unsigned)(c - '0');
			else if (hex && c >= 'a' && c <= 'f')
				v = (unsigned)(c - 'a' + 10);
			else if (hex && c >= 'A' && c <= 'F')
				v = (unsigned)(c - 'A' + 10);
			else
				break;
			if (cp > 0x10FFFF)
				too_big = true;
			else
				cp = cp * (hex ? 16u : 10u) + v;
			j++;
		}
		if (j == digits)
			return 0;
		if (j < end && s[j] == ';')
			j++;
		if (too_big || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = 0xFFFD;
		else if (cp >= 0x80 && cp <= 0x9F)
			cp = cp1252[cp - 0x80];
		*out_len = encode(cp, out);
		return j - i;
	}
	size_t name = j;
	while (j < end && is_alnum(s[j]) && j - name < 32)
		j++;
	size_t name_len = j - name;
	if (name_len == 0)
		return 0;
	bool semicolon = j < end && s[j] == ';';
	for (size_t k = 0; k < sizeof entities / sizeof entities[0]; k++) {
		if (strlen(entities[k].name) == name_len && memcmp(entities[k].name, s + name, name_len) == 0) {
			if (semicolon) {
				*out_len = encode(entities[k].cp, out);
				return name_len + 2;
			}
			for (size_t l = 0; l < sizeof legacy_entities / sizeof legacy_entities[0]; l++)
				if (strcmp(legacy_entities[l], entities[k].name) == 0 && !(j < end && s[j] == '=')) {
					*out_len = encode(entities[k].cp, out);
					return name_len + 1;
				}
			return 0;
		}
	}
	return 0;
}

/* East Asian wide characters: a line break between two of them shows as nothing. */
static bool is_wide(uint32_t cp)
{
	return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
	       (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

static bool output_ends_wide(const adtext *t)
{
	if (t->len == 0)
		return false;
	size_t i = t->len - 1;
	while (i > 0 && ((unsigned char)t->text[i] & 0xC0) == 0x80)
		i--;
	size_t n;
	return is_wide(decode((const unsigned char *)t->text + i, &n));
}

/* Emits source text s[from, to) as a browser shows it: references decoded and, unless
 * keep_newlines (pre, textarea), each run of white space shown as one space, or as nothing
 * when it holds a line break between two wide (CJK) characters. */
static void emit_text(adtext *t, const char *s, size_t from, size_t to, bool keep_newlines)
{
	size_t i = from, run = from; /* s[run, i) is waiting to be copied as it is */
	while (i < to && !t->failed) {
		char c = s[i];
		if (c == '&') {
			char buf[4];
			size_t n = 0, used = decode_reference(s, i, to, buf, &n);
			if (used == 0) {
				i++;
				continue;
			}
			copy_run(t, s, run, i);
			replace_span(t, i, i + used, buf, n);
			i += used;
			run = i;
		} else if (!keep_newlines && is_html_space(c)) {
			size_t j = i;
			bool newline = false;
			while (j < to && is_html_space(s[j])) {
				newline |= s[j] == '\n' || s[j] == '\r';
				j++;
			}
			if (j - i == 1 && c == ' ') {
				i = j;
				continue;
			}
			copy_run(t, s, run, i);
			size_t n;
			if (newline && j < to && output_ends_wide(t) && is_wide(decode((const unsigned char *)s + j, &n)))
				skip_to(t, j);
			else
				replace_span(t, i, j, " ", 1);
			i = j;
			run = j;
		} else {
			i++;
		}
	}
	copy_run(t, s, run, to);
}

/* Separates blocks: a newline unless the text is empty or already ends in one. */
static void emit_break(adtext *t, size_t at)
{
	if (t->len == 0 || t->text[t->len - 1] == '\n')
		return;
	replace_span(t, at, at, "\n", 1);
}

static bool name_is(const char *s, size_t len, const char *name)
{
	if (strlen(name) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != name[i])
			return false;
	}
	return true;
}

static bool name_in(const char *s, size_t len, const char *const *names)
{
	for (; *names; names++)
		if (name_is(s, len, *names))
			return true;
	return false;
}

static const char *const block_elements[] = {
	"address", "article", "aside", "blockquote", "body", "br", "button", "caption", "dd", "details", "dialog",
	"div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
	"head", "header", "hgroup", "hr", "html", "label", "legend", "li", "main", "nav", "ol", "optgroup", "option",
	"p", "pre", "section", "select", "summary", "table", "tbody", "td", "textarea", "tfoot", "th", "thead",
	"title", "tr", "ul", NULL,
};

/* Raw text elements whose content is never shown. */
static const char *const hidden_raw_elements[] = {"script", "style", "template", "iframe", "noembed", "noframes", NULL};
/* Elements whose content is text up to their end tag, references decoded, and shown. */
static const char *const rcdata_elements[] = {"title", "textarea", NULL};
static const char *const visible_attributes[] = {"alt", "title", "placeholder", "aria-label", NULL};
static const char *const meta_names[] = {"description", "og:description", "og:title", "twitter:description",
                                         "twitter:title", NULL};

/* Finds "</name" (any case) from i; returns its offset or end. */
static size_t find_end_tag(const char *s, size_t i, size_t end, const char *name)
{
	size_t n = strlen(name);
	for (; i + 2 + n <= end; i++) {
		if (s[i] != '<' || s[i + 1] != '/')
			continue;
		if (name_is(s + i + 2, n, name) && (i + 2 + n == end || !is_alnum(s[i + 2 + n])))
			return i;
	}
	return end;
}

/* The offset just past the '>' at or after i, or end. */
static size_t past_gt(const char *s, size_t i, size_t end)
{
	const char *gt = memchr(s + i, '>', end - i);
	return gt ? (size_t)(gt - s) + 1 : end;
}

typedef struct attribute {
	size_t name, name_len, value, value_len;
	bool has_value;
} attribute;

#define MAX_ATTRIBUTES 64

/* Parses a start tag from s[i] == '<'. Fills the name, the attributes (up to
 * MAX_ATTRIBUTES) and returns the offset just past the tag. */
static size_t parse_start_tag(const char *s, size_t i, size_t end, size_t *name_len, attribute *attrs, size_t *nattrs)
{
	size_t j = i + 1;
	while (j < end && !is_html_space(s[j]) && s[j] != '/' && s[j] != '>')
		j++;
	*name_len = j - (i + 1);
	*nattrs = 0;
	while (j < end) {
		while (j < end && (is_html_space(s[j]) || s[j] == '/'))
			j++;
		if (j >= end)
			break;
		if (s[j] == '>')
			return j + 1;
		attribute a = {j, 0, 0, 0, false};
		j++; /* the first character is part of the name, even '=' */
		while (j < end && !is_html_space(s[j]) && s[j] != '/' && s[j] != '>' && s[j] != '=')
			j++;
		a.name_len = j - a.name;
		while (j < end && is_html_space(s[j]))
			j++;
		if (j < end && s[j] == '=') {
			j++;
			while (j < end && is_html_space(s[j]))
				j++;
			a.has_value = true;
			if (j < end && (s[j] == '"' || s[j] == '\'')) {
				char q = s[j++];
				const char *close = memchr(s + j, q, end - j);
				size_t stop = close ? (size_t)(close - s) : end;
				a.value = j;
				a.value_len = stop - j;
				j = close ? stop + 1 : end;
			} else {
				a.value = j;
				while (j < end && !is_html_space(s[j]) && s[j] != '>')
					j++;
				a.value_len = j - a.value;
			}
		}
		if (*nattrs < MAX_ATTRIBUTES)
			attrs[(*nattrs)++] = a;
	}
	return end;
}

static const attribute *find_attribute(const char *s, const attribute *attrs, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (name_is(s + attrs[k].name, attrs[k].name_len, name))
			return &attrs[k];
	return NULL;
}

static bool value_in(const char *s, const attribute *a, const char *const *values)
{
	return a != NULL && a->has_value && name_in(s + a->value, a->value_len, values);
}

/* The visible attributes of a start tag, each as its own line. */
static void emit_attributes(adtext *t, const char *s, size_t tag_name, size_t tag_len, const attribute *attrs, size_t n)
{
	static const char *const button_types[] = {"submit", "button", "reset", NULL};
	bool is_meta = name_is(s + tag_name, tag_len, "meta");
	bool meta_shown = is_meta && (value_in(s, find_attribute(s, attrs, n, "name"), meta_names) ||
	                              value_in(s, find_attribute(s, attrs, n, "property"), meta_names));
	bool input_button = name_is(s + tag_name, tag_len, "input") &&
	                    value_in(s, find_attribute(s, attrs, n, "type"), button_types);
	for (size_t k = 0; k < n; k++) {
		const attribute *a = &attrs[k];
		const char *name = s + a->name;
		bool shown = name_in(name, a->name_len, visible_attributes) || (meta_shown && name_is(name, a->name_len, "content")) ||
		             (input_button && name_is(name, a->name_len, "value"));
		if (!shown || !a->has_value || a->value_len == 0)
			continue;
		emit_break(t, a->value);
		emit_text(t, s, a->value, a->value + a->value_len, false);
		emit_break(t, a->value + a->value_len);
	}
}

bool adtext_html_visible(const char *s, size_t len, adtext *t)
{
	memset(t, 0, sizeof *t);
	int pre_depth = 0;
	size_t i = 0;
	while (i < len && !t->failed) {
		const char *lt = memchr(s + i, '<', len - i);
		size_t text_end = lt ? (size_t)(lt - s) : len;
		if (text_end > i)
			emit_text(t, s, i, text_end, pre_depth > 0);
		if (lt == NULL)
			break;
		i = text_end;
		char next = i + 1 < len ? s[i + 1] : '\0';
		if (next == '!') {
			size_t stop;
			if (i + 4 <= len && memcmp(s + i, "<!--", 4) == 0) {
				if (i + 4 < len && s[i + 4] == '>')
					stop = i + 5;
				else if (i + 5 < len && s[i + 4] == '-' && s[i + 5] == '>')
					stop = i + 6;
				else {
					const char *close = memmem(s + i + 4, len - i - 4, "-->", 3);
					stop = close ? (size_t)(close - s) + 3 : len;
				}
			} else {
				stop = past_gt(s, i, len); /* doctype, CDATA and bogus comments */
			}
			skip_to(t, stop);
			i = stop;
		} else if (next == '?') {
			i = past_gt(s, i, len);
			skip_to(t, i);
		} else if (next == '/' && i + 2 < len && is_alpha(s[i + 2])) {
			size_t name = i + 2, j = name;
			while (j < len && !is_html_space(s[j]) && s[j] != '/' && s[j] != '>')
				j++;
			if (name_in(s + name, j - name, block_elements))
				emit_break(t, i);
			if ((name_is(s + name, j - name, "pre") || name_is(s + name, j - name, "listing")) && pre_depth > 0)
				pre_depth--;
			i = past_gt(s, j, len);
			skip_to(t, i);
		} else if (is_alpha(next)) {
			attribute attrs[MAX_ATTRIBUTES];
			size_t nattrs, name_len, tag = i;
			size_t stop = parse_start_tag(s, i, len, &name_len, attrs, &nattrs);
			const char *name = s + i + 1;
			if (name_in(name, name_len, block_elements))
				emit_break(t, tag);
			emit_attributes(t, s, i + 1, name_len, attrs, nattrs);
			skip_to(t, stop);
			i = stop;
			if (name_is(name, name_len, "pre") || name_is(name, name_len, "listing"))
				pre_depth++;
			for (const char *const *raw = hidden_raw_elements; *raw; raw++)
				if (name_is(name, name_len, *raw)) {
					size_t close = find_end_tag(s, i, len, *raw);
					i = close < len ? past_gt(s, close, len) : len;
					skip_to(t, i);
					break;
				}
			for (const char *const *rc = rcdata_elements; *rc; rc++)
				if (name_is(name, name_len, *rc)) {
					size_t close = find_end_tag(s, i, len, *rc);
					emit_text(t, s, i, close, name_is(name, name_len, "textarea"));
					emit_break(t, close);
					i = close < len ? past_gt(s, close, len) : len;
					skip_to(t, i);
					break;
				}
		} else {
			copy_run(t, s, i, i + 1); /* a '<' that starts no tag is text */
			i++;
		}
	}
	finish(t, len);
	return !t->failed;
}

/* ---- NFKC with a map ---- */

#define NFKC_OPTIONS (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE)

/* Can cp be the second of a canonical composition pair (so it must stay with what precedes)? */
static bool composes_backward(uint32_t cp, const utf8proc_property_t *prop)
{
	if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2))
		return true; /* Hangul vowel and trailing jamo */
	return prop->comb_index != UINT16_MAX && prop->comb_index >= 0x8000;
}

/* Per-call memo of which BMP code points, standing alone, NFKC leaves as they are. */
typedef struct nfkc_memo {
	uint64_t known[1024], same[1024];
	/* and for starts_unit: known, starts a unit, has a decomposition */
	uint64_t unit_known[1024], unit_starts[1024], unit_decomposes[1024];
} nfkc_memo;

/* Whether a character starts a new unit: nothing before it can compose or reorder with it.
 * *has_decomposition says whether it has a (compatibility) decomposition at all. */
static bool starts_unit(uint32_t cp, bool *has_decomposition)
{
	const utf8proc_property_t *prop = utf8proc_get_property((utf8proc_int32_t)cp);
	*has_decomposition = prop->decomp_seqindex != UINT16_MAX;
	if (!*has_decomposition)
		return prop->combining_class == 0 && !composes_backward(cp, prop);
	utf8proc_int32_t first[8];
	int boundclass = 0;
	utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, first, 8, NFKC_OPTIONS, &boundclass);
	if (n < 1)
		return false;
	const utf8proc_property_t *fp = utf8proc_get_property(first[0]);
	return fp->combining_class == 0 && !composes_backward((uint32_t)first[0], fp);
}

/* Normalises one unit s[from, to) and emits it, as a copy when unchanged. */
static void emit_unit(adtext *t, const char *s, size_t from, size_t to)
{
	utf8proc_int32_t stack[64], *buf = stack;
	utf8proc_ssize_t n = utf8proc_decompose((const utf8proc_uint8_t *)s + from, (utf8proc_ssize_t)(to - from), buf, 64,
	                                        NFKC_OPTIONS);
	if (n > 64) {
		buf = malloc((size_t)n * sizeof *buf);
		if (buf == NULL) {
			t->failed = true;
			return;
		}
		n = utf8proc_decompose((const utf8proc_uint8_t *)s + from, (utf8proc_ssize_t)(to - from), buf, n, NFKC_OPTIONS);
	}
	if (n >= 0)
		n = utf8proc_reencode(buf, n, NFKC_OPTIONS);
	if (n < 0) {
		copy_run(t, s, from, to); /* cannot happen on valid UTF-8; keep the text as it is */
	} else {
		const char *bytes = (const char *)buf;
		if ((size_t)n == to - from && memcmp(bytes, s + from, (size_t)n) == 0)
			copy_run(t, s, from, to);
		else if (n == 0)
			skip_to(t, to);
		else
			replace_span(t, from, to, bytes, (size_t)n);
	}
	if (buf != stack)
		free(buf);
}

static bool alone_unchanged(nfkc_memo *memo, const char *s, size_t from, size_t to, uint32_t cp)
{
	if (cp < 0x10000) {
		uint64_t bit = 1ull << (cp & 63);
		if (memo->known[cp >> 6] & bit)
			return (memo->same[cp >> 6] & bit) != 0;
		utf8proc_uint8_t *out = NULL;
		utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s + from, (utf8proc_ssize_t)(to - from), &out,
		                                  NFKC_OPTIONS);
		bool same = n >= 0 && (size_t)n == to - from && memcmp(out, s + from, to - from) == 0;
		free(out);
		memo->known[cp >> 6] |= bit;
		if (same)
			memo->same[cp >> 6] |= bit;
		return same;
	}
	return false;
}

bool adtext_nfkc(const char *s, size_t len, adtext *t)
{
	memset(t, 0, sizeof *t);
	nfkc_memo *memo = calloc(1, sizeof *memo);
	if (memo == NULL || !reserve(t, len + len / 8)) {
		free(memo);
		t->failed = true;
		return false;
	}
	const unsigned char *p = (const unsigned char *)s;
	size_t unit = 0, i = 0, unit_chars = 0;
	uint32_t unit_cp = 0;
	bool unit_plain = true; /* one character without a decomposition */
	size_t run = 0;         /* start of a run of units known to be unchanged */
	while (i < len) {
		size_t n = 1;
		uint32_t cp;
		bool starts, has_decomposition = false;
		if (p[i] < 0x80) {
			cp = p[i];
			starts = true;
		} else {
			cp = decode(p + i, &n);
			if (cp < 0x10000) {
				uint64_t bit = 1ull << (cp & 63);
				if (!(memo->unit_known[cp >> 6] & bit)) {
					bool d, st = starts_unit(cp, &d);
					memo->unit_known[cp >> 6] |= bit;
					if (st)
						memo->unit_starts[cp >> 6] |= bit;
					if (d)
						memo->unit_decomposes[cp >> 6] |= bit;
				}
				starts = (memo->unit_starts[cp >> 6] & bit) != 0;
				has_decomposition = (memo->unit_decomposes[cp >> 6] & bit) != 0;
			} else {
				starts = starts_unit(cp, &has_decomposition);
			}
		}
		if (starts && unit_chars > 0) {
			/* Close the previous unit. */
			bool same = unit_chars == 1 && (unit_plain || alone_unchanged(memo, s, unit, i, unit_cp));
			if (!same) {
				if (unit > run)
					copy_run(t, s, run, unit);
				emit_unit(t, s, unit, i);
				run = i;
			}
			unit_chars = 0;
		}
		if (unit_chars == 0) {
			unit = i;
			unit_cp = cp;
			unit_plain = !has_decomposition;
		} else {
			unit_plain = false;
		}
		unit_chars++;
		i += n;
	}
	if (unit_chars > 0) {
		bool same = unit_chars == 1 && (unit_plain || alone_unchanged(memo, s, unit, len, unit_cp));
		if (!same) {
			if (unit > run)
				copy_run(t, s, run, unit);
			emit_unit(t, s, unit, len);
			run = len;
		}
	}
	if (len > run)
		copy_run(t, s, run, len);
	finish(t, len);
	free(memo);
	return !t->failed;
}

/* ---- positions ---- */

static int compare_position_index(const void *a, const void *b, void *ctx)
{
	const adtext_position *pos = ctx;
	size_t x = pos[*(const size_t *)a].byte, y = pos[*(const size_t *)b].byte;
	return x < y ? -1 : x > y;
}

bool adtext_locate(const char *s, size_t len, adtext_position *positions, size_t count)
{
	if (count == 0)
		return true;
	size_t *order = malloc(count * sizeof *order);
	if (order == NULL)
		return false;
	for (size_t k = 0; k < count; k++)
		order[k] = k;
	qsort_r(order, count, sizeof *order, compare_position_index, positions);
	const unsigned char *p = (const unsigned char *)s;
	size_t b = 0, chars = 0, utf16 = 0;
	long line = 1, column = 1;
	for (size_t k = 0; k < count; k++) {
		adtext_position *pos = &positions[order[k]];
		size_t target = pos->byte < len ? pos->byte : len;
		for (; b < target; b++) {
			unsigned c = p[b];
			if ((c & 0xC0) == 0x80)
				continue;
			chars++;
			utf16 += c >= 0xF0 ? 2 : 1;
			if (c == '\n') {
				line++;
				column = 1;
			} else {
				column++;
			}
		}
		pos->line = line;
		pos->column = column;
		pos->chars = chars;
		pos->utf16 = utf16;
	}
	free(order);
	return true;
}
