/* Checks of the fields a document is built from (the FHIR and E2B exports, the PMDA form, the
 * FHIR intake): one wording for every refusal, "<field>: <what is wrong>", written into a
 * caller's buffer. Pure: no I/O. */
#ifndef EXOSAFE_FIELD_CHECK_H
#define EXOSAFE_FIELD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Formats a message into err (errlen bytes, always terminated); nothing when err is NULL. */
__attribute__((format(printf, 3, 4))) void field_err(char *err, size_t errlen, const char *fmt, ...);

/* True for NULL or "". */
bool field_empty(const char *s);

/* A required one-line text: present, valid UTF-8, no control characters. Returns 0, or -1 with
 * err naming field. */
int field_need_text(const char *value, const char *field, char *err, size_t errlen);

/* An optional text (NULL allowed); newlines and tabs only when allow_newlines. Returns 0 or -1. */
int field_optional_text(const char *value, const char *field, int allow_newlines, char *err, size_t errlen);

/* A required calendar date, YYYY-MM-DD. Returns 0, or -1 with err naming field. */
int field_need_date(const char *value, const char *field, char *err, size_t errlen);

/* A MedDRA release as E2B(R3) E.i.2.1a writes it: "N.N" or "NN.N" (e.g. 28.1). */
bool field_is_meddra_version(const char *v);

#endif
