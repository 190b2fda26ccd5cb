/* The intake documents a clinic runs on, loaded once at start-up from the data folder:
 * questionnaires (data/questionnaires/NAME.json), screening rules (data/screening/NAME.json) and
 * informed-consent texts (data/consent/NAME.json). Every version stays loaded, so an answer to
 * an older version can still be shown and checked; "current" is the highest version. */
#ifndef EXOSAFE_INTAKE_CATALOG_H
#define EXOSAFE_INTAKE_CATALOG_H

#include <stddef.h>

#include "core/questionnaire.h"
#include "core/screening.h"

/* A consent text file:
 *   {"id": "exosome-cream-consent", "version": 2, "title": {"ja","en"},
 *    "changes": {"ja","en"}, "text": {"ja","en"}}
 * text is the exact text shown; its SHA-256 (hex, over the UTF-8 bytes) is what a patient's
 * acceptance records. changes says what changed from the previous version, for patients who
 * accepted an older one and must accept again; it is required from version 2 on and not
 * allowed in version 1 (nothing came before it).
 *
 * The current version is the highest one in the data folder: publishing a version is adding
 * its file and restarting the server. Older files stay, so older acceptances still verify. */
typedef struct consent_text {
	char id[64];
	int version;
	char *title_ja, *title_en;
	char *text_ja, *text_en;
	char *changes_ja, *changes_en; /* NULL for version 1 */
	char sha256_ja[65], sha256_en[65];
} consent_text;

typedef struct intake_catalog intake_catalog;

/* Loads every file under data_dir/{questionnaires,screening,consent}. Fails (NULL, with the
 * file and the reason in err) on any invalid file, a duplicate id+version, or rules whose
 * questionnaire version is missing. */
intake_catalog *intake_catalog_load(const char *data_dir, char *err, size_t errlen);
void intake_catalog_free(intake_catalog *c);

const questionnaire *intake_current_questionnaire(const intake_catalog *c, const char *id);
const questionnaire *intake_questionnaire(const intake_catalog *c, const char *id, int version);
/* The rules for exactly this questionnaire version, or NULL when it has none. */
const screening_rules *intake_rules_for(const intake_catalog *c, const questionnaire *q);
const consent_text *intake_current_consent(const intake_catalog *c, const char *id);
const consent_text *intake_consent(const intake_catalog *c, const char *id, int version);
/* Calls fn for every loaded version of consent id from after_version + 1 up to the current
 * one, lowest first: what a patient who accepted after_version has not yet read. */
void intake_consent_each_since(const intake_catalog *c, const char *id, int after_version,
                               void (*fn)(void *ctx, const consent_text *t), void *ctx);

#endif
