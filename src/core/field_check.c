/* Field checks shared by the documents exosafe builds (see field_check.h). */
#include "core/field_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/questionnaire.h"
#include "core/text.h"

void field_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

bool field_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

int field_need_text(const char *value, const char *field, char *err, size_t errlen)
{
	if (field_empty(value)) {
		field_err(err, errlen, "%s: required", field);
		return -1;
	}
	if (!text_is_clean(value, 0)) {
		field_err(err, errlen, "%s: invalid UTF-8 or control characters", field);
		return -1;
	}
	return 0;
}

int field_optional_text(const char *value, const char *field, int allow_newlines, char *err, size_t errlen)
{
	if (value != NULL && !text_is_clean(value, allow_newlines)) {
		field_err(err, errlen, "%s: invalid UTF-8 or control characters", field);
		return -1;
	}
	return 0;
}

int field_need_date(const char *value, const char *field, char *err, size_t errlen)
{
	if (field_empty(value)) {
		field_err(err, errlen, "%s: required", field);
		return -1;
	}
	if (!questionnaire_is_date(value)) {
		field_err(err, errlen, "%s: \"%.20s\" is not a date (YYYY-MM-DD)", field, value);
		return -1;
	}
	return 0;
}

bool field_is_meddra_version(const char *v)
{
	if (v == NULL)
		return false;
	size_t major = strspn(v, "0123456789");
	return major >= 1 && major <= 2 && v[major] == '.' && v[major + 1] >= '0' && v[major + 1] <= '9' &&
	       v[major + 2] == '\0';
}
