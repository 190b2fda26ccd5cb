/* Mail templates: the text of one e-mail with {{name}} placeholders.
 *
 * Grammar of a template (data/mail/<kind>.<lang>.txt, UTF-8):
 *   template    = "Subject: " subject-line LF LF body
 *   placeholder = "{{" name "}}"          name = 1*( a-z / 0-9 / "_" )
 * Every placeholder must have a value; one without is an error, as is a "{{" that does not
 * open a well-formed placeholder, so a typo in a template is caught when it is rendered, not
 * mailed to a patient. CR LF line ends are read as LF. Pure: no I/O. */
#ifndef EXOSAFE_MAIL_TEMPLATE_H
#define EXOSAFE_MAIL_TEMPLATE_H

#include <stddef.h>

typedef struct mail_var {
	const char *name;
	const char *value;    /* UTF-8; NULL reads as "" */
} mail_var;

/* Renders template text with vars. On success returns 0 and sets *subject and *body (heap,
 * the caller frees both). On failure returns -1, sets both to NULL and writes the reason to
 * err. The subject must not come out empty or hold a line break (a header injection). */
int mail_template_render(const char *text, const mail_var *vars, size_t nvars, char **subject, char **body,
                         char *err, size_t errlen);

#endif
