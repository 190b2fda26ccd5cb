/* Loading the advertising rules (every .json file of data/adrules/) for core/adcheck.h. */
#ifndef EXOSAFE_ADRULES_H
#define EXOSAFE_ADRULES_H

#include <jansson.h>
#include <stddef.h>

#include "core/adcheck.h"

/* Loads every *.json file of dir, in name order, into one finished rule set. Returns NULL
 * with the reason in err (the file, and for a bad pattern the rule id) when a file cannot be
 * read or a rule is wrong; nothing is kept then. The caller frees with adcheck_rules_free. */
adcheck_rules *adrules_load_dir(const char *dir, char *err, size_t errlen);

/* The rule set of DATA_DIR/adrules, loaded on the first call (thread-safe) and kept until
 * the process ends; later calls return the same set whatever data_dir they pass. Returns
 * NULL when loading failed; adrules_default_error() then says why (also logged to stderr
 * once). */
const adcheck_rules *adrules_default(const char *data_dir);
const char *adrules_default_error(void);

/* One finding as JSON (the shape the CLI's --format json and POST /api/v1/adcheck share):
 *   {"rule", "category", "kind", "severity", "missing",
 *    "line", "column", "start", "end", "start_utf16", "end_utf16", "byte_start", "byte_end",
 *    "text", "normalized", "explanation": {"ja","en"}, "suggestion": {"ja","en"}, "reference"}
 * Positions and texts are null for a missing disclosure. start/end count code points,
 * *_utf16 count UTF-16 units (JavaScript string indexes), ends exclusive. */
json_t *adrules_finding_json(const adcheck_finding *f);

/* {"scopes": [id…], "errors": n, "warnings": n, "chars": n, "utf16_length": n,
 *  "findings": [finding…]} */
json_t *adrules_report_json(const adcheck_report *rep);

#endif
