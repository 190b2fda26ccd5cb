/* Queuing and rendering e-mail (see mail.h). */
#include "service/mail.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "core/validate.h"

/* A template is a few kilobytes; anything larger is a mistake in data/. */
#define MAIL_TEMPLATE_MAX (64 * 1024)

static store_rc refuse(store *s, const char *what)
{
	snprintf(s->errmsg, sizeof s->errmsg, "mail not queued: %s", what);
	return STORE_ERROR;
}

store_rc mail_enqueue(store *s, const mail_item *m)
{
	if (m->to_address == NULL || validate_email(m->to_address) != NULL)
		return refuse(s, "the address is not an e-mail address");
	if (m->kind == NULL || m->kind[0] == '\0' || strlen(m->kind) >= sizeof ((mail_record *)0)->kind)
		return refuse(s, "no kind");
	if (m->subject == NULL || m->subject[0] == '\0' || strpbrk(m->subject, "\r\n") != NULL)
		return refuse(s, "the subject is empty or holds a line break");
	if (m->body_text == NULL || m->body_text[0] == '\0')
		return refuse(s, "the body is empty");
	if (m->dedupe_key && strlen(m->dedupe_key) >= sizeof ((mail_record *)0)->dedupe_key)
		return refuse(s, "the dedupe key is too long");
	mail_record r = {0};
	r.recipient_user_id = m->recipient_user_id;
	snprintf(r.to_address, sizeof r.to_address, "%s", m->to_address);
	snprintf(r.kind, sizeof r.kind, "%s", m->kind);
	r.subject = m->subject;
	r.body_text = m->body_text;
	snprintf(r.dedupe_key, sizeof r.dedupe_key, "%s", m->dedupe_key ? m->dedupe_key : "");
	r.created_at = clock_now();
	r.not_before = m->not_before;
	bool queued;
	return store_mail_insert(s, &r, &queued);
}

static bool kind_is_safe(const char *kind)
{
	if (kind[0] == '\0' || strlen(kind) > 63)
		return false;
	for (const char *p = kind; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

/* Reads a template file whole, NUL-terminated (the caller frees); NULL with err set. */
static char *read_template(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(MAIL_TEMPLATE_MAX + 1);
	size_t n = buf ? fread(buf, 1, MAIL_TEMPLATE_MAX + 1, f) : 0;
	int bad = buf == NULL || ferror(f) || n > MAIL_TEMPLATE_MAX;
	fclose(f);
	if (bad) {
		free(buf);
		snprintf(err, errlen, "%.300s: cannot be read or larger than 64 KiB", path);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int mail_render(const char *data_dir, const char *kind, const char *lang, const mail_var *vars, size_t nvars,
                char **subject, char **body, char *err, size_t errlen)
{
	*subject = *body = NULL;
	if (!kind_is_safe(kind)) {
		snprintf(err, errlen, "mail kind \"%.64s\" is not a template name", kind);
		return -1;
	}
	if (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0) {
		snprintf(err, errlen, "mail language \"%.8s\" is neither ja nor en", lang);
		return -1;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/mail/%s.%s.txt", data_dir, kind, lang);
	char *text = read_template(path, err, errlen);
	if (text == NULL)
		return -1;
	char why[256];
	int rc = mail_template_render(text, vars, nvars, subject, body, why, sizeof why);
	free(text);
	if (rc != 0)
		snprintf(err, errlen, "%.300s: %s", path, why);
	return rc;
}

store_rc mail_render_enqueue(store *s, const char *data_dir, const char *lang, const mail_item *m,
                             const mail_var *vars, size_t nvars)
{
	char *subject, *body, err[512];
	if (mail_render(data_dir, m->kind, lang, vars, nvars, &subject, &body, err, sizeof err) != 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "%.250s", err);
		return STORE_ERROR;
	}
	mail_item item = *m;
	item.subject = subject;
	item.body_text = body;
	store_rc rc = mail_enqueue(s, &item);
	free(subject);
	free(body);
	return rc;
}
