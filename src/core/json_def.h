/* What reading the JSON definition files (questionnaires, screening rules) shares: parsing
 * with duplicate keys refused, identifiers, and bilingual texts. Pure: no I/O. */
#ifndef EXOSAFE_JSON_DEF_H
#define EXOSAFE_JSON_DEF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The longest identifier (fits answer_error.link_id). */
#define JSON_DEF_ID_MAX 63

/* Returns the parsed document (the caller decrefs it), or NULL with "invalid JSON at line N:
 * REASON" in err. A duplicate key is an error: a definition must not say two things. err is
 * emptied first (when given). */
json_t *json_def_load(const char *json_text, char *err, size_t errlen);

/* An identifier: 1 to JSON_DEF_ID_MAX characters of a-z, 0-9, '_' and '-'. */
bool json_def_is_ident(const char *s);

/* {"ja": "…", "en": "…"}, both non-empty clean UTF-8 (text_is_clean, newlines allowed). */
bool json_def_is_bilingual(const json_t *v);

#endif
