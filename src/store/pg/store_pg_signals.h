/* The PostgreSQL store's signal pairs (issue 18): the store method ae_signal_pairs on a pooled
 * registry, read with one COPY instead of a result held whole in memory. */
#ifndef EXOSAFE_STORE_PG_SIGNALS_H
#define EXOSAFE_STORE_PG_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/sql/sqldb.h"
#include "store/store.h"

/* Gives fn every (report, item, event) of the latest assessments, exactly as the SQLite store's
 * ae_signal_pairs does for the same rows (store.h: item is the product code, or by_lot the code
 * and the lot number joined by U+001F; each report's pairs once, in the order of its suspect
 * lots and then its terms), reports in ascending id. db must be a PostgreSQL connection with
 * migration 0020's ae_signal_reports. The rows, one per report with its lots and events as two
 * lists, come with one binary COPY ... TO STDOUT of that table (after one of the lots' items)
 * and are expanded in place: no allocation per row but for libpq's row buffer. Returns STORE_OK (also when fn stopped by returning non-zero) or STORE_ERROR with
 * the reason in err; the database is not written. Only pairs whose lot is in scope (store.h
 * clinic_scope: STORE_SCOPE_ALL, a clinic id, or STORE_SCOPE_NONE for none) are given. */
store_rc pg_ae_signal_pairs(sqldb *db, bool by_lot, int64_t scope, store_ae_pair_fn fn, void *ctx, char *err,
                            size_t errlen);

/* The same pairs read row by row from 0017's ae_signal_pairs with sqldb_prepare/sqldb_step (the
 * whole result in memory at once, as libpq returns it): for bench/signals, to show what COPY
 * saves. */
store_rc pg_ae_signal_pairs_stepped(sqldb *db, bool by_lot, int64_t scope, store_ae_pair_fn fn, void *ctx, char *err,
                                    size_t errlen);

#endif
