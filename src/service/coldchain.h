/* The cold chain's operations (the pure evaluation is core/coldchain.c): storage units and
 * loggers, where lots are kept, importing and ingesting readings (all or nothing), and turning
 * excursions into lot quarantines and alerts for QA, who dispose of them. */
#ifndef EXOSAFE_SERVICE_COLDCHAIN_H
#define EXOSAFE_SERVICE_COLDCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/credentials.h"
#include "core/temp_csv.h"
#include "service/service.h"
#include "store/store.h"

typedef enum coldchain_rc {
	COLDCHAIN_OK = 0,
	COLDCHAIN_NOT_FOUND,
	COLDCHAIN_INVALID,        /* *field_out names it */
	COLDCHAIN_CONFLICT,       /* a name or code already taken */
	COLDCHAIN_BAD_FILE,       /* see the temp_csv_error: file, line, reason */
	COLDCHAIN_DUPLICATE,      /* a time already stored with a different value (in the error) */
	COLDCHAIN_ALERT_CLOSED,
	COLDCHAIN_LOT_STATE,      /* the disposition is not possible from the lot's status */
	COLDCHAIN_ERROR,
	COLDCHAIN_RC_COUNT, /* not a result: how many there are (the HTTP error table has one row each) */
} coldchain_rc;

/* Creates a storage unit (a refrigerator, a freezer, a room); fills u->id.
 * Errors: COLDCHAIN_CONFLICT, COLDCHAIN_ERROR. */
coldchain_rc coldchain_create_unit(store *s, const actor *by, storage_unit_record *u, int64_t now);
/* Creates a logger; when key_out is not NULL a random ingest key is made, stored hashed, and
 * returned once in key_out.
 * Errors: COLDCHAIN_INVALID, COLDCHAIN_CONFLICT, COLDCHAIN_ERROR. */
coldchain_rc coldchain_create_logger(store *s, const actor *by, logger_record *l, int64_t now,
                                     char key_out[TOKEN_TEXT_MAX], const char **field_out);
/* Records that lot_id is kept in unit_id from now on.
 * Errors: COLDCHAIN_NOT_FOUND, COLDCHAIN_INVALID, COLDCHAIN_ERROR. */
coldchain_rc coldchain_place_lot(store *s, const actor *by, int64_t lot_id, int64_t unit_id, int64_t now);
/* Checks a connected sensor's key against the logger's stored hash (constant time). */
bool coldchain_key_matches(const logger_record *l, const char *key);

/* An import: every reading of every file (or ingest batch) in one transaction. */
typedef struct coldchain_import coldchain_import;

typedef struct coldchain_import_summary {
	int64_t rows_read, rows_added;
	int64_t first_at, last_at;
	int alerts_raised;
	int lots_quarantined;
} coldchain_import_summary;

/* Starts an import for a logger (opens the transaction). now bounds the readings' times (see
 * coldchain_reading_implausible). NULL on failure. */
coldchain_import *coldchain_import_begin(store *s, const actor *by, int64_t logger_id, int default_utc_offset,
                                         int64_t now);
/* The unit of files that do not say ('C' or 'F'); by default such a file is refused, since a
 * °F file read as °C would hide excursions. */
void coldchain_import_set_unit(coldchain_import *imp, char unit);
/* Starts the next file; source names it in errors and in the import record. */
void coldchain_import_file(coldchain_import *imp, const char *source);
/* Feeds bytes of the current file. On failure the import is over: call _abort.
 * Errors: COLDCHAIN_BAD_FILE, COLDCHAIN_DUPLICATE, COLDCHAIN_ERROR. */
coldchain_rc coldchain_import_feed(coldchain_import *imp, const char *data, size_t len, temp_csv_error *err);
/* Ends the current file (records it).
 * Errors: COLDCHAIN_BAD_FILE, COLDCHAIN_DUPLICATE, COLDCHAIN_ERROR. */
coldchain_rc coldchain_import_file_end(coldchain_import *imp, temp_csv_error *err);
/* Feeds one reading directly (HTTP JSON ingest). An implausible reading is refused with
 * COLDCHAIN_BAD_FILE, err naming the field, by the same check as a CSV line.
 * Errors: COLDCHAIN_BAD_FILE, COLDCHAIN_DUPLICATE, COLDCHAIN_ERROR. */
coldchain_rc coldchain_import_reading(coldchain_import *imp, int64_t at, double celsius, temp_csv_error *err);
/* Commits everything, then evaluates the affected lots. Frees imp.
 * Errors: COLDCHAIN_ERROR. */
coldchain_rc coldchain_import_commit(coldchain_import *imp, int64_t now, coldchain_import_summary *out);
/* Discards everything. Frees imp. */
void coldchain_import_abort(coldchain_import *imp);

/* Re-evaluates every lot the logger watched in [from, to): when a stay's time outside the
 * product's range passes its allowance, the lot is quarantined (if it can be) and an alert
 * with the evidence is opened for QA. Adds to *alerts and *quarantined.
 * Errors: COLDCHAIN_ERROR. */
coldchain_rc coldchain_evaluate_logger(store *s, int64_t logger_id, int64_t from, int64_t to, int64_t now,
                                       int *alerts, int *quarantined);

/* QA's decision on an alert: "released" (the lot returns to use; every open alert of the lot
 * is closed with the same justification) or "destroyed".
 * Errors: COLDCHAIN_NOT_FOUND, COLDCHAIN_INVALID, COLDCHAIN_ALERT_CLOSED, COLDCHAIN_LOT_STATE,
 *         COLDCHAIN_ERROR. */
coldchain_rc coldchain_dispose(store *s, const actor *by, int64_t alert_id, const char *disposition,
                               const char *justification, int64_t now);

#endif
