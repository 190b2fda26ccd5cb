/* Mail templates (grammar in mail_template.h). */
#include "core/mail_template.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static const char *lookup(const mail_var *vars, size_t nvars, const char *name, size_t len)
{
	for (size_t i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return vars[i].value ? vars[i].value : "";
	return NULL;
}

/* Appends text[0..len) to out with its placeholders replaced (CR dropped). Returns 0, or -1
 * with err set. */
static int expand(strbuf *out, const char *text, size_t len, const mail_var *vars, size_t nvars, char *err,
                  size_t errlen)
{
	size_t i = 0;
	while (i < len) {
		if (text[i] == '\r') {
			i++;
			continue;
		}
		if (text[i] != '{' || i + 1 >= len || text[i + 1] != '{') {
			strbuf_put(out, text + i, 1);
			i++;
			continue;
		}
		size_t start = i + 2, j = start;
		while (j < len && is_name_char(text[j]))
			j++;
		if (j == start || j + 1 >= len || text[j] != '}' || text[j + 1] != '}') {
			snprintf(err, errlen, "malformed placeholder at \"%.20s\"", text + i);
			return -1;
		}
		const char *value = lookup(vars, nvars, text + start, j - start);
		if (value == NULL) {
			snprintf(err, errlen, "no value for placeholder {{%.*s}}", (int)(j - start), text + start);
			return -1;
		}
		strbuf_puts(out, value);
		i = j + 2;
	}
	return 0;
}

int mail_template_render(const char *text, const mail_var *vars, size_t nvars, char **subject, char **body,
                         char *err, size_t errlen)
{
	*subject = *body = NULL;
	static const char prefix[] = "Subject: ";
	if (strncmp(text, prefix, sizeof prefix - 1) != 0) {
		snprintf(err, errlen, "the template does not start with \"Subject: \"");
		return -1;
	}
	const char *subj = text + sizeof prefix - 1;
	const char *eol = strchr(subj, '\n');
	if (eol == NULL) {
		snprintf(err, errlen, "the template has no body");
		return -1;
	}
	const char *rest = eol + 1;
	if (*rest == '\r')
		rest++;
	if (*rest != '\n') {
		snprintf(err, errlen, "the subject line must be followed by a blank line");
		return -1;
	}
	rest++;
	strbuf s = {0}, b = {0};
	if (expand(&s, subj, (size_t)(eol - subj), vars, nvars, err, errlen) != 0 ||
	    expand(&b, rest, strlen(rest), vars, nvars, err, errlen) != 0) {
		free(strbuf_finish(&s));
		free(strbuf_finish(&b));
		return -1;
	}
	char *subject_text = strbuf_finish(&s);
	char *body_text = strbuf_finish(&b);
	if (subject_text == NULL || body_text == NULL || subject_text[0] == '\0') {
		snprintf(err, errlen, subject_text && body_text ? "the subject is empty" : "out of memory");
		free(subject_text);
		free(body_text);
		return -1;
	}
	if (strpbrk(subject_text, "\r\n") != NULL) {
		snprintf(err, errlen, "the subject holds a line break");
		free(subject_text);
		free(body_text);
		return -1;
	}
	*subject = subject_text;
	*body = body_text;
	return 0;
}
