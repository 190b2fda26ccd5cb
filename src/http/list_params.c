/* The search and paging parameters every staff list shares (docs/api.md "Lists: search and
 * paging"): ?q=&status=&limit=&offset=, answered with total, limit and offset.
 *
 * q is NFKC-normalised and trimmed like any input; spaces inside it are ignored when matching
 * names (a name may be stored with or without the space between family and given name).
 * Digits only (or "#" then digits) also match the row's number. The kana copy folds hiragana
 * to katakana (core/kana.c), so "やまだ" finds a patient whose kana is ヤマダ. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kana.h"
#include "core/text.h"
#include "http/http.h"

#define LIST_QUERY_MAX_CHARS 100

/* Copies s without ASCII spaces and U+3000 into out. */
static void strip_spaces(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	for (const char *p = s; *p && n + 1 < outlen; p++) {
		if (*p == ' ')
			continue;
		if ((unsigned char)p[0] == 0xE3 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0x80) {
			p += 2;
			continue;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
}

static int64_t number_of(const char *s)
{
	if (*s == '#')
		s++;
	if (*s == '\0' || strlen(s) > 18)
		return 0;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return strtoll(s, NULL, 10);
}

bool list_params_read(request *req, const char *const *statuses, int default_limit, list_params *out)
{
	memset(out, 0, sizeof *out);
	const char *q = request_query(req, "q");
	if (q != NULL && q[0] != '\0') {
		char *norm = text_normalize(q);
		if (norm == NULL || !text_is_clean(norm, 0)) {
			free(norm);
			reply_error(req, 400, "invalid_field", "q", "text_encoding");
			return false;
		}
		if (text_char_count(norm) > LIST_QUERY_MAX_CHARS) {
			free(norm);
			reply_error(req, 400, "invalid_field", "q", "search_too_long");
			return false;
		}
		strip_spaces(norm, out->text, sizeof out->text);
		if (kana_fold(norm, out->kana, sizeof out->kana) != 0)
			out->kana[0] = '\0';
		out->filter.number = number_of(out->text);
		free(norm);
		if (out->text[0] != '\0') {
			out->filter.text = out->text;
			out->filter.kana = out->kana[0] ? out->kana : NULL;
		}
	}
	const char *status = request_query(req, "status");
	if (status != NULL && status[0] != '\0') {
		const char *const *s = statuses;
		while (*s != NULL && strcmp(*s, status) != 0)
			s++;
		if (*s == NULL) {
			reply_error(req, 400, "invalid_field", "status", "status_value");
			return false;
		}
		out->filter.status = *s;
	}
	int64_t limit, offset;
	if (!query_int(req, "limit", default_limit, 1, 500, &limit)) {
		reply_error(req, 400, "invalid_field", "limit", "limit_value");
		return false;
	}
	if (!query_int(req, "offset", 0, 0, 10000000, &offset))
		return false;
	out->filter.limit = (int)limit;
	out->filter.offset = (int)offset;
	return true;
}

void list_page_set(json_t *reply, const list_params *p, int64_t total)
{
	json_object_set_new(reply, "total", json_integer(total));
	json_object_set_new(reply, "limit", json_integer(p->filter.limit));
	json_object_set_new(reply, "offset", json_integer(p->filter.offset));
}
