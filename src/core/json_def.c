#include "core/json_def.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"

json_t *json_def_load(const char *json_text, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	json_error_t jerr;
	json_t *def = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);
	if (def == NULL && err != NULL)
		snprintf(err, errlen, "invalid JSON at line %d: %s", jerr.line, jerr.text);
	return def;
}

bool json_def_is_ident(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > JSON_DEF_ID_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '-'))
			return false;
	return true;
}

bool json_def_is_bilingual(const json_t *v)
{
	static const char *const langs[] = {"ja", "en"};
	if (!json_is_object(v))
		return false;
	for (size_t i = 0; i < 2; i++) {
		const char *s = json_string_value(json_object_get(v, langs[i]));
		if (s == NULL || *s == '\0' || !text_is_clean(s, 1))
			return false;
	}
	return true;
}
