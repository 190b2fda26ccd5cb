#include "service/recall.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv_out.h"
#include "core/growth.h"
#include "core/recall_notice.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "service/clinic.h"

static int collect(void *ctx, const recall_recipient *r)
{
	recall_list *c = ctx;
	size_t cap = (size_t)c->cap;
	recall_recipient *rows = growth_reserve(c->rows, &cap, (size_t)c->n + 1, sizeof *rows);
	if (rows == NULL || cap > INT_MAX)
		return 1;
	c->rows = rows;
	c->cap = (int)cap;
	c->rows[c->n++] = *r;
	return 0;
}

void recall_list_free(recall_list *list)
{
	free(list->rows);
	*list = (recall_list){0};
}

trace_rc recall_recipients_read(store *s, const actor *by, int64_t lot_id, const char *audit_action, recall_list *out)
{
	*out = (recall_list){0};
	if (store_recall_recipients(s, lot_id, collect, out) != STORE_OK) {
		recall_list_free(out);
		return TRACE_ERROR;
	}
	char object[48], detail[48];
	snprintf(object, sizeof object, "lot:%lld", (long long)lot_id);
	snprintf(detail, sizeof detail, "%d recipients", out->n);
	if (store_audit_now(s, by->id, by->role, audit_action, object, detail) != STORE_OK) {
		recall_list_free(out);
		return TRACE_ERROR;
	}
	return TRACE_OK;
}

void recall_progress(const recall_list *list, int counts[RECALL_TRACK_STATUS_COUNT])
{
	memset(counts, 0, RECALL_TRACK_STATUS_COUNT * sizeof counts[0]);
	for (int i = 0; i < list->n; i++) {
		int st = recall_track_status_from_name(list->rows[i].track_status);
		if (st >= 0)
			counts[st]++;
	}
}

static void iso_or_empty(int64_t t, char out[ISO8601_LEN])
{
	out[0] = '\0';
	if (t != 0)
		time_iso8601(t, out);
}

char *recall_notices_html(const recall_list *list, const clinic_profile *clinic, const lot_record *lot,
                          const char *reason, int64_t recalled_at)
{
	char clinic_address[sizeof clinic->address + 32];
	clinic_address_line(clinic, clinic_address, sizeof clinic_address);
	recall_notice *items = calloc((size_t)(list->n ? list->n : 1), sizeof *items);
	if (items == NULL)
		return NULL;
	for (int i = 0; i < list->n; i++) {
		const recall_recipient *x = &list->rows[i];
		items[i] = (recall_notice){clinic->name, clinic->phone, lot->product_name_ja, lot->lot_number, reason,
		                           recalled_at, x->patient_name, x->ship_postal_code, x->ship_address, x->quantity,
		                           x->dispensed_at, x->tracking_number, clinic_address, clinic->hours};
	}
	char *html = recall_notice_html(items, list->n);
	free(items);
	return html;
}

char *recall_recipients_csv(const recall_list *list)
{
	static const char *const header[] = {
		"patient_id",   "name",        "name_kana",  "email",          "phone",          "order_id",
		"quantity",     "dispensed_at", "postal_code", "address",       "carrier",        "tracking_number",
		"shipped_at",   "delivered_at", "status",     "acknowledged_at", "notified_at",   "contacted_at",
		"contact_notes", "closed_on",
	};
	enum { NCOL = sizeof header / sizeof header[0] };
	strbuf b = {0};
	csv_out_row(&b, header, NCOL);
	for (int i = 0; i < list->n; i++) {
		const recall_recipient *x = &list->rows[i];
		char pid[24], oid[24], qty[16], disp[ISO8601_LEN], ship[ISO8601_LEN], deliv[ISO8601_LEN], ack[ISO8601_LEN],
			notified[ISO8601_LEN], contacted[ISO8601_LEN];
		snprintf(pid, sizeof pid, "%lld", (long long)x->patient_id);
		snprintf(oid, sizeof oid, "%lld", (long long)x->order_id);
		snprintf(qty, sizeof qty, "%d", x->quantity);
		iso_or_empty(x->dispensed_at, disp);
		iso_or_empty(x->shipped_at, ship);
		iso_or_empty(x->delivered_at, deliv);
		iso_or_empty(x->acknowledged_at, ack);
		iso_or_empty(x->notified_at, notified);
		iso_or_empty(x->contacted_at, contacted);
		const char *cells[NCOL] = {pid, x->patient_name, x->name_kana, x->email, x->phone, oid, qty, disp,
		                           x->ship_postal_code, x->ship_address, x->carrier, x->tracking_number, ship, deliv,
		                           x->track_status, ack, notified, contacted, x->contact_notes, x->closed_on};
		csv_out_row(&b, cells, NCOL);
	}
	return strbuf_finish(&b);
}

static bool audit_track(store *s, const actor *by, const char *action, const recall_track_record *t)
{
	char detail[96];
	snprintf(detail, sizeof detail, "lot:%lld order:%lld %s", (long long)t->lot_id, (long long)t->order_id, t->status);
	return service_audit(s, by, action, "recall_tracking", t->id, detail);
}

/* Stores the changed follow-up row as by's change, audits it as action and commits (the open
 * transaction is rolled back on failure). */
static trace_rc save_track(store *s, const actor *by, const char *action, recall_track_record *t, int64_t now)
{
	t->updated_at = now;
	t->updated_by = by->id;
	if (store_recall_track_update(s, t) != STORE_OK || !audit_track(s, by, action, t))
		return service_rollback(s, TRACE_ERROR);
	return service_commit(s) ? TRACE_OK : TRACE_ERROR;
}

trace_rc recall_track_set(store *s, const actor *by, int64_t lot_id, int64_t track_id, const char *status,
                          const char *notes, const char *closed_on, int64_t now, const char **field_out)
{
	*field_out = NULL;
	int to = recall_track_status_from_name(status);
	if (to < 0) {
		*field_out = "status";
		return TRACE_INVALID;
	}
	if (notes == NULL)
		notes = "";
	if (closed_on == NULL)
		closed_on = "";
	bool closing = recall_track_is_closed((recall_track_status)to);
	char today[11];
	jst_date(now, today);
	int64_t a, b;
	if (to == RECALL_CONTACTED && text_char_count(notes) < 1)
		*field_out = "contact_notes";
	else if (closing && (jst_day_bounds(closed_on, &a, &b) != 0 || strcmp(closed_on, today) > 0))
		*field_out = "closed_on";
	else if (!closing && closed_on[0] != '\0')
		*field_out = "closed_on";
	if (*field_out)
		return TRACE_INVALID;
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	recall_track_record t;
	store_rc rc = store_recall_track_get(s, track_id, &t);
	if (rc == STORE_ERROR)
		return service_rollback(s, TRACE_ERROR);
	if (rc == STORE_NOT_FOUND || t.lot_id != lot_id)
		return service_rollback(s, TRACE_NOT_FOUND);
	int from = recall_track_status_from_name(t.status);
	if (from < 0)
		return service_rollback(s, TRACE_ERROR);
	if (!recall_track_step_allowed((recall_track_status)from, (recall_track_status)to)) {
		*field_out = "status";
		return service_rollback(s, TRACE_INVALID);
	}
	snprintf(t.status, sizeof t.status, "%s", recall_track_status_name((recall_track_status)to));
	/* A step that skips notified still means the patient was told. */
	if (to >= RECALL_NOTIFIED && t.notified_at == 0)
		t.notified_at = now;
	if (to == RECALL_CONTACTED && t.contacted_at == 0)
		t.contacted_at = now;
	if (notes[0] != '\0')
		snprintf(t.contact_notes, sizeof t.contact_notes, "%s", notes);
	if (closing)
		snprintf(t.closed_on, sizeof t.closed_on, "%s", closed_on);
	return save_track(s, by, "recall.track", &t, now);
}

trace_rc recall_acknowledge(store *s, const actor *patient, int64_t track_id, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	recall_track_record t;
	store_rc rc = store_recall_track_get(s, track_id, &t);
	if (rc == STORE_ERROR)
		return service_rollback(s, TRACE_ERROR);
	if (rc == STORE_NOT_FOUND || t.patient_id != patient->id)
		return service_rollback(s, TRACE_NOT_FOUND);
	if (t.acknowledged_at != 0)
		return service_rollback(s, TRACE_OK);
	t.acknowledged_at = now;
	if (strcmp(t.status, "pending") == 0) {
		snprintf(t.status, sizeof t.status, "notified");
		t.notified_at = now;
	}
	return save_track(s, patient, "recall.acknowledge", &t, now);
}
