/* After a recall: who received the lot (one list for the API, the CLI and the printed
 * notices), each recipient's follow-up (pending → notified → contacted → returned |
 * destroyed, see core/recall_track.h), the patient's acknowledgement, and the CSV. The lot's
 * recall itself (status, stock blocked, follow-up rows opened) is trace_recall. */
#ifndef EXOSAFE_RECALL_H
#define EXOSAFE_RECALL_H

#include <stdint.h>

#include "core/clinic_profile.h"
#include "core/recall_track.h"
#include "service/trace.h"

/* The recipients of one lot; rows are heap memory owned by the list (recall_list_free). */
typedef struct recall_list {
	recall_recipient *rows;
	int n, cap;
} recall_list;

/* Reads every recipient of lot_id into *out (emptied first) and audits the read of their
 * contact data as audit_action (recall.recipients.read, .csv, recall.notices.print) by `by`.
 * On error the list is empty.
 * Errors: TRACE_ERROR. */
trace_rc recall_recipients_read(store *s, const actor *by, int64_t lot_id, const char *audit_action, recall_list *out);
void recall_list_free(recall_list *list);

/* Counts the recipients per follow-up status (rows without one are not counted). */
void recall_progress(const recall_list *list, int counts[RECALL_TRACK_STATUS_COUNT]);

/* The list as CSV (header row, CRLF, spreadsheet-formula cells neutralised); the caller frees
 * it. NULL when out of memory. */
char *recall_recipients_csv(const recall_list *list);

/* The printable notice for every recipient in list (core/recall_notice.h, one HTML page): the
 * clinic's name, address and phone to call, the lot, why and when it was recalled. The caller
 * frees it; NULL when out of memory. */
char *recall_notices_html(const recall_list *list, const clinic_profile *clinic, const lot_record *lot,
                          const char *reason, int64_t recalled_at);

/* Staff: moves follow-up track_id of lot_id to status (notes required for contacted, the date
 * the jar came back or was destroyed, not in the future, for returned and destroyed) and audits
 * it as recall.track. TRACE_NOT_FOUND when the row is not the lot's; TRACE_INVALID (field
 * named) on a bad value or a step backwards. The database remains unaltered on error.
 * Errors: TRACE_NOT_FOUND, TRACE_INVALID, TRACE_ERROR. */
trace_rc recall_track_set(store *s, const actor *by, int64_t lot_id, int64_t track_id, const char *status,
                          const char *notes, const char *closed_on, int64_t now, const char **field_out);

/* The patient says they have read the notice: records when, and moves a pending row to
 * notified. Another patient's row is TRACE_NOT_FOUND. Pressing again changes nothing.
 * Errors: TRACE_NOT_FOUND, TRACE_ERROR. */
trace_rc recall_acknowledge(store *s, const actor *patient, int64_t track_id, int64_t now);

#endif
