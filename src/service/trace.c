#include "service/trace.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/payment.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "core/validate.h"
#include "service/intake.h"
#include "service/mail_events.h"

const char *const lot_required_tests[LOT_REQUIRED_TEST_COUNT] = {
	"sterility", "mycoplasma", "endotoxin", "viral", "particle_count", "identity",
};

static bool valid_date(const char *d)
{
	int64_t a, b;
	return jst_day_bounds(d, &a, &b) == 0;
}

/* ---- products and lots ---- */

trace_rc trace_create_product(store *s, const actor *by, product_record *p, int64_t now)
{
	p->created_at = now;
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	store_rc rc = store_product_insert(s, p);
	if (rc == STORE_CONFLICT)
		return service_rollback(s, TRACE_CONFLICT);
	if (rc != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	return service_audit_commit(s, by, "product.create", "product", p->id, p->code) ? TRACE_OK : TRACE_ERROR;
}

static trace_rc record_transition(store *s, const actor *by, int64_t lot_id, const char *from, const char *to,
                                  const char *reason, int64_t now)
{
	lot_transition_record t = {0};
	t.lot_id = lot_id;
	snprintf(t.from_status, sizeof t.from_status, "%s", from);
	snprintf(t.to_status, sizeof t.to_status, "%s", to);
	t.actor_id = by->id;
	snprintf(t.reason, sizeof t.reason, "%s", reason);
	t.at = now;
	if (store_lot_transition_insert(s, &t) != STORE_OK)
		return TRACE_ERROR;
	char detail[160];
	snprintf(detail, sizeof detail, "%s -> %s", *from ? from : "(new)", to);
	return service_audit(s, by, "lot.transition", "lot", lot_id, detail) ? TRACE_OK : TRACE_ERROR;
}

trace_rc trace_receive_lot(store *s, const actor *by, lot_record *lot, int64_t now, const char **field_out)
{
	*field_out = NULL;
	if (!valid_date(lot->manufactured_on))
		*field_out = "manufactured_on";
	else if (!valid_date(lot->expires_on) || strcmp(lot->expires_on, lot->manufactured_on) <= 0)
		*field_out = "expires_on";
	else if (lot->quantity_received <= 0)
		*field_out = "quantity";
	if (*field_out)
		return TRACE_INVALID;
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	product_record product;
	store_rc rc = store_product_get(s, lot->product_id, &product);
	if (rc == STORE_ERROR)
		return service_rollback(s, TRACE_ERROR);
	if (rc == STORE_NOT_FOUND) {
		*field_out = "product_id";
		return service_rollback(s, TRACE_INVALID);
	}
	lot->quantity_available = lot->quantity_received;
	snprintf(lot->status, sizeof lot->status, "received");
	lot->received_at = now;
	lot->received_by = by->id;
	rc = store_lot_insert(s, lot);
	if (rc == STORE_CONFLICT)
		return service_rollback(s, TRACE_CONFLICT);
	if (rc != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	if (record_transition(s, by, lot->id, "", "received", "受入 / received", now) != TRACE_OK)
		return service_rollback(s, TRACE_ERROR);
	return service_commit(s) ? TRACE_OK : TRACE_ERROR;
}

/* Recognises PDF, PNG and JPEG by their first bytes: the declared type is not trusted. */
static const char *sniff_content_type(const unsigned char *d, size_t n)
{
	if (n >= 5 && memcmp(d, "%PDF-", 5) == 0)
		return "application/pdf";
	if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
		return "image/jpeg";
	return NULL;
}

/* A pharmacist's reason for accepting the same file twice: a sentence, not a keystroke. */
static bool reason_ok(const char *reason)
{
	long n = text_char_count(reason);
	return n >= CERTIFICATE_DUPLICATE_REASON_MIN && n <= 1000 && text_is_clean(reason, 1);
}

static int first_use(void *ctx, const certificate_use *u)
{
	certificate_use *first = ctx;
	/* Prefer a use attached to a test: that is the one a reader has to look at. */
	if (first->certificate_id == 0 || (first->test_kind[0] == '\0' && u->test_kind[0] != '\0'))
		*first = *u;
	return 0;
}

trace_rc trace_add_certificate(store *s, const actor *by, int64_t lot_id, const char *filename, const unsigned char *data,
                               size_t len, size_t max_bytes, const char *duplicate_reason, int64_t now,
                               certificate_record *out, certificate_use *dup_out, const char **field_out)
{
	*field_out = NULL;
	memset(dup_out, 0, sizeof *dup_out);
	if (duplicate_reason != NULL && *duplicate_reason == '\0')
		duplicate_reason = NULL;
	if (duplicate_reason != NULL && !reason_ok(duplicate_reason)) {
		*field_out = "duplicate_reason";
		return TRACE_INVALID;
	}
	if (filename == NULL || validate_file_name(filename) != NULL) {
		*field_out = "filename";
		return TRACE_INVALID;
	}
	if (len == 0 || len > max_bytes) {
		*field_out = "size";
		return TRACE_INVALID;
	}
	const char *type = sniff_content_type(data, len);
	if (type == NULL) {
		*field_out = "content_type";
		return TRACE_INVALID;
	}
	certificate_record c = {0};
	c.lot_id = lot_id;
	snprintf(c.filename, sizeof c.filename, "%s", filename);
	snprintf(c.content_type, sizeof c.content_type, "%s", type);
	c.size_bytes = (int64_t)len;
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, data, len);
	sodium_bin2hex(c.sha256, sizeof c.sha256, digest, sizeof digest);
	c.data = (unsigned char *)(uintptr_t)data;
	c.uploaded_by = by->id;
	c.uploaded_at = now;
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	lot_record lot;
	store_rc rc = store_lot_get(s, lot_id, &lot);
	if (rc != STORE_OK)
		return service_rollback(s, rc == STORE_NOT_FOUND ? TRACE_NOT_FOUND : TRACE_ERROR);
	/* Six release tests proven by six copies of one file prove one test at most: the same bytes
	 * again need a pharmacist's reason. */
	if (store_certificate_uses(s, c.sha256, first_use, dup_out) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	if (dup_out->certificate_id != 0 && duplicate_reason == NULL)
		return service_rollback(s, TRACE_DUPLICATE);
	if (dup_out->certificate_id != 0) {
		c.duplicate_of = dup_out->certificate_id;
		snprintf(c.duplicate_reason, sizeof c.duplicate_reason, "%s", duplicate_reason);
	}
	if (store_certificate_insert(s, &c) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	char detail[1200];
	if (c.duplicate_of)
		snprintf(detail, sizeof detail, "certificate %lld %s sha256 %.16s… duplicate of certificate %lld (lot %s): %s",
		         (long long)c.id, type, c.sha256, (long long)c.duplicate_of, dup_out->lot_number, c.duplicate_reason);
	else
		snprintf(detail, sizeof detail, "certificate %lld %s sha256 %.16s…", (long long)c.id, type, c.sha256);
	if (!service_audit(s, by, "lot.certificate", "lot", lot_id, detail))
		return service_rollback(s, TRACE_ERROR);
	if (!service_commit(s))
		return TRACE_ERROR;
	c.data = NULL;
	*out = c;
	return TRACE_OK;
}

/* Finds a use of the same file proving a test other than (lot_id, kind). */
typedef struct other_use {
	int64_t lot_id;
	const char *kind;
	certificate_use found;
} other_use;

static int find_other_use(void *ctx, const certificate_use *u)
{
	other_use *o = ctx;
	if (u->test_kind[0] == '\0' || (u->lot_id == o->lot_id && strcmp(u->test_kind, o->kind) == 0))
		return 0;
	o->found = *u;
	return 1;
}

trace_rc trace_record_test(store *s, const actor *by, lot_test_record *t, int64_t now, certificate_use *dup_out,
                           const char **field_out)
{
	*field_out = NULL;
	memset(dup_out, 0, sizeof *dup_out);
	if (t->duplicate_reason[0] != '\0' && !reason_ok(t->duplicate_reason)) {
		*field_out = "duplicate_reason";
		return TRACE_INVALID;
	}
	bool known = false;
	for (int i = 0; i < LOT_REQUIRED_TEST_COUNT; i++)
		known = known || strcmp(t->kind, lot_required_tests[i]) == 0;
	if (!known)
		*field_out = "kind";
	else if (strcmp(t->result, "pass") != 0 && strcmp(t->result, "fail") != 0)
		*field_out = "result";
	else if (!valid_date(t->tested_on))
		*field_out = "tested_on";
	else if (t->method[0] == '\0')
		*field_out = "method";
	if (*field_out)
		return TRACE_INVALID;
	char today[11];
	jst_date(now, today);
	if (strcmp(t->tested_on, today) > 0) {
		*field_out = "tested_on";
		return TRACE_INVALID;
	}
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	lot_record lot;
	store_rc rc = store_lot_get(s, t->lot_id, &lot);
	if (rc != STORE_OK)
		return service_rollback(s, rc == STORE_NOT_FOUND ? TRACE_NOT_FOUND : TRACE_ERROR);
	if (t->certificate_id > 0) {
		certificate_record c;
		rc = store_certificate_get(s, t->certificate_id, &c);
		char sha256[sizeof c.sha256] = "";
		if (rc == STORE_OK) {
			bool same_lot = c.lot_id == t->lot_id;
			memcpy(sha256, c.sha256, sizeof sha256);
			certificate_clear(&c);
			if (!same_lot)
				rc = STORE_NOT_FOUND;
		}
		if (rc != STORE_OK) {
			*field_out = "certificate_id";
			return service_rollback(s, rc == STORE_NOT_FOUND ? TRACE_INVALID : TRACE_ERROR);
		}
		/* One file proving two different tests proves one of them at most. */
		other_use o = {.lot_id = t->lot_id, .kind = t->kind};
		if (store_certificate_uses(s, sha256, find_other_use, &o) != STORE_OK)
			return service_rollback(s, TRACE_ERROR);
		if (o.found.certificate_id != 0 && t->duplicate_reason[0] == '\0') {
			*dup_out = o.found;
			*field_out = "certificate_id";
			return service_rollback(s, TRACE_DUPLICATE);
		}
		if (o.found.certificate_id == 0)
			t->duplicate_reason[0] = '\0';   /* nothing to excuse */
		else
			*dup_out = o.found;
	}
	t->recorded_by = by->id;
	t->recorded_at = now;
	if (store_lot_test_insert(s, t) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	char detail[1200];
	if (t->duplicate_reason[0])
		snprintf(detail, sizeof detail, "%s %s, certificate %lld also proves %s of lot %s: %s", t->kind, t->result,
		         (long long)t->certificate_id, dup_out->test_kind, dup_out->lot_number, t->duplicate_reason);
	else
		snprintf(detail, sizeof detail, "%s %s", t->kind, t->result);
	return service_audit_commit(s, by, "lot.test", "lot", t->lot_id, detail) ? TRACE_OK : TRACE_ERROR;
}

typedef struct latest_tests {
	lot_test_record latest[LOT_REQUIRED_TEST_COUNT];
	bool seen[LOT_REQUIRED_TEST_COUNT];
} latest_tests;

static int keep_latest(void *ctx, const lot_test_record *t)
{
	latest_tests *lt = ctx;
	for (int i = 0; i < LOT_REQUIRED_TEST_COUNT; i++)
		if (strcmp(t->kind, lot_required_tests[i]) == 0) {
			lt->latest[i] = *t;   /* rows come in id order: the last one wins */
			lt->seen[i] = true;
		}
	return 0;
}

int trace_missing_tests(store *s, int64_t lot_id, const char *missing[LOT_REQUIRED_TEST_COUNT])
{
	latest_tests lt;
	memset(&lt, 0, sizeof lt);
	if (store_lot_tests(s, lot_id, keep_latest, &lt) != STORE_OK)
		return -1;
	int n = 0;
	for (int i = 0; i < LOT_REQUIRED_TEST_COUNT; i++)
		if (!lt.seen[i] || strcmp(lt.latest[i].result, "pass") != 0 || lt.latest[i].certificate_id == 0)
			missing[n++] = lot_required_tests[i];
	return n;
}

/* The transition itself, inside the caller's transaction. */
static trace_rc transition_in_tx(store *s, const actor *by, int64_t lot_id, lot_status to, const char *reason, int64_t now)
{
	lot_record lot;
	store_rc rc = store_lot_get(s, lot_id, &lot);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? TRACE_NOT_FOUND : TRACE_ERROR;
	int from = lot_status_from_name(lot.status);
	if (from < 0)
		return TRACE_ERROR;
	const char *missing[LOT_REQUIRED_TEST_COUNT];
	int nmissing = to == LOT_RELEASED ? trace_missing_tests(s, lot_id, missing) : 0;
	if (nmissing < 0)
		return TRACE_ERROR;
	lot_transition_facts facts = {
		.required_tests_passed = nmissing == 0,
		.by_pharmacist = by->role == ROLE_PHARMACIST,
		.has_reason = reason != NULL && reason[0] != '\0',
		.by_system = by->id == 0,
	};
	switch (lot_transition_check((lot_status)from, to, &facts)) {
	case LOT_TRANSITION_OK: break;
	case LOT_TRANSITION_ILLEGAL: return TRACE_ILLEGAL_TRANSITION;
	case LOT_TRANSITION_TESTS_MISSING: return TRACE_TESTS_MISSING;
	case LOT_TRANSITION_NEEDS_PHARMACIST: return TRACE_NEEDS_PHARMACIST;
	case LOT_TRANSITION_NEEDS_REASON: return TRACE_INVALID;
	}
	if (store_lot_set_status(s, lot_id, lot_status_name(to)) != STORE_OK)
		return TRACE_ERROR;
	return record_transition(s, by, lot_id, lot.status, lot_status_name(to), reason, now);
}

trace_rc trace_transition_in_tx(store *s, const actor *by, int64_t lot_id, lot_status to, const char *reason,
                                int64_t now)
{
	return transition_in_tx(s, by, lot_id, to, reason, now);
}

typedef struct lot_matches {
	const char *product_code;
	lot_record *out;
	int max, count;
} lot_matches;

static int match_lot(void *ctx, const lot_record *l)
{
	lot_matches *m = ctx;
	if (m->product_code != NULL && strcmp(m->product_code, l->product_code) != 0)
		return 0;
	if (m->count < m->max)
		m->out[m->count] = *l;
	m->count++;
	return 0;
}

trace_rc trace_find_lots(store *s, const char *lot_number, const char *product_code, lot_record *out, int max,
                         int *count)
{
	lot_matches m = {product_code, out, max, 0};
	store_rc rc = store_lot_find_number(s, lot_number, match_lot, &m);
	*count = m.count;
	return rc == STORE_OK ? TRACE_OK : TRACE_ERROR;
}

trace_rc trace_transition(store *s, const actor *by, int64_t lot_id, lot_status to, const char *reason, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	trace_rc rc = transition_in_tx(s, by, lot_id, to, reason, now);
	if (rc != TRACE_OK)
		return service_rollback(s, rc);
	return service_commit(s) ? TRACE_OK : TRACE_ERROR;
}

typedef struct id_list {
	int64_t ids[256];
	int n;
} id_list;

static int collect_lot_id(void *ctx, const lot_record *l)
{
	id_list *list = ctx;
	if (list->n < 256)
		list->ids[list->n++] = l->id;
	return list->n >= 256;
}

trace_rc trace_expire_due(store *s, int64_t now)
{
	char today[11];
	jst_date(now, today);
	id_list due = {.n = 0};
	if (store_lot_expired_released(s, today, collect_lot_id, &due) != STORE_OK)
		return TRACE_ERROR;
	if (due.n == 0)
		return TRACE_OK;
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	actor system = {.id = 0, .role = ROLE_NONE};
	for (int i = 0; i < due.n; i++)
		if (transition_in_tx(s, &system, due.ids[i], LOT_EXPIRED, "使用期限切れ / past its expiry date", now) != TRACE_OK)
			return service_rollback(s, TRACE_ERROR);
	return service_commit(s) ? TRACE_OK : TRACE_ERROR;
}

/* ---- orders ---- */

trace_rc trace_place_order(store *s, const mail_settings *mail, const intake_catalog *cat, const actor *patient,
                           int quantity, const char *method_code, int64_t now, order_record *out,
                           const char **field_out)
{
	*field_out = NULL;
	if (quantity < 1 || quantity > 12) {
		*field_out = "quantity";
		return TRACE_INVALID;
	}
	if (payment_method_find(method_code) == NULL) {
		*field_out = "payment_method";
		return TRACE_INVALID;
	}
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	decision_record d;
	store_rc rc = store_decision_latest(s, patient->id, &d);
	if (rc == STORE_ERROR)
		return service_rollback(s, TRACE_ERROR);
	char today[11];
	jst_date(now, today);
	if (rc == STORE_NOT_FOUND || strcmp(d.decision, "approved") != 0 || d.product_id == 0 ||
	    strcmp(d.valid_until, today) < 0)
		return service_rollback(s, TRACE_NO_APPROVAL);
	/* Consent withdrawn since the approval: nothing more is sent. A consent version published
	 * since: the patient reads and accepts it first (SPEC: re-consent before the next order).
	 * The approval itself stays valid: it was the doctor's decision on the product, and the
	 * consent gate is checked here, on every order, against the acceptance in force now. */
	consent_record c;
	rc = store_consent_latest(s, patient->id, &c);
	if (rc == STORE_ERROR)
		return service_rollback(s, TRACE_ERROR);
	const char *consent_state = intake_consent_state(cat, rc == STORE_OK ? &c : NULL);
	if (strcmp(consent_state, "outdated") == 0)
		return service_rollback(s, TRACE_CONSENT_OUTDATED);
	if (strcmp(consent_state, "current") != 0)
		return service_rollback(s, TRACE_NO_APPROVAL);
	int64_t ordered = 0;
	if (store_order_quantity_for_decision(s, d.id, &ordered) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	if (ordered + quantity > d.quantity) {
		*field_out = "quantity";
		return service_rollback(s, TRACE_OVER_APPROVAL);
	}
	product_record product;
	user_record user;
	patient_profile profile;
	if (store_product_get(s, d.product_id, &product) != STORE_OK || store_user_by_id(s, patient->id, &user) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	rc = store_profile_get(s, patient->id, &profile);
	if (rc == STORE_ERROR)
		return service_rollback(s, TRACE_ERROR);
	if (rc == STORE_NOT_FOUND || profile.postal_code[0] == '\0' || profile.address[0] == '\0')
		return service_rollback(s, TRACE_ADDRESS_REQUIRED);

	order_record o = {0};
	o.patient_id = patient->id;
	o.decision_id = d.id;
	o.product_id = product.id;
	o.quantity = quantity;
	o.unit_price_jpy = product.price_jpy;
	o.total_jpy = product.price_jpy * quantity;
	snprintf(o.status, sizeof o.status, "awaiting_payment");
	snprintf(o.payment_method, sizeof o.payment_method, "%s", method_code);
	snprintf(o.ship_name, sizeof o.ship_name, "%s", user.name);
	snprintf(o.ship_postal_code, sizeof o.ship_postal_code, "%s", profile.postal_code);
	snprintf(o.ship_address, sizeof o.ship_address, "%s", profile.address);
	snprintf(o.ship_phone, sizeof o.ship_phone, "%s", profile.phone);
	o.created_at = now;
	if (store_order_insert(s, &o) != STORE_OK || mail_event_order_placed(s, mail, &o, product.name_ja) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	char detail[160];
	snprintf(detail, sizeof detail, "%d x %s, %s, consent %s v%d", quantity, product.code, method_code, c.consent_id,
	         c.consent_version);
	if (!service_audit(s, patient, "order.create", "order", o.id, detail))
		return service_rollback(s, TRACE_ERROR);
	if (!service_commit(s))
		return TRACE_ERROR;
	if (store_order_get(s, o.id, out) != STORE_OK)
		*out = o;
	return TRACE_OK;
}

/* Loads an order the actor may act on: patients their own only. */
static trace_rc load_order(store *s, const actor *by, int64_t order_id, order_record *o)
{
	store_rc rc = store_order_get(s, order_id, o);
	if (rc == STORE_ERROR)
		return TRACE_ERROR;
	if (rc == STORE_NOT_FOUND || (by->role == ROLE_PATIENT && o->patient_id != by->id))
		return TRACE_NOT_FOUND;
	return TRACE_OK;
}

trace_rc trace_cancel_order(store *s, const actor *by, int64_t order_id, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	order_record o;
	trace_rc rc = load_order(s, by, order_id, &o);
	if (rc != TRACE_OK)
		return service_rollback(s, rc);
	/* Once units are taken from a lot they are accounted for; cancel before that only. */
	if (strcmp(o.status, "awaiting_payment") != 0 && strcmp(o.status, "paid") != 0)
		return service_rollback(s, TRACE_ORDER_STATE);
	if (store_order_set_status(s, order_id, o.status, "cancelled", now) != STORE_OK)
		return service_rollback(s, TRACE_ORDER_STATE);
	return service_audit_commit(s, by, "order.cancel", "order", order_id,
	                            o.paid_at ? "paid: refund due" : "") ? TRACE_OK : TRACE_ERROR;
}

trace_rc trace_record_payment(store *s, const actor *by, int64_t order_id, const char *reference, int64_t now,
                              const char **field_out)
{
	*field_out = NULL;
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	order_record o;
	trace_rc rc = load_order(s, by, order_id, &o);
	if (rc != TRACE_OK)
		return service_rollback(s, rc);
	const payment_method *pm = payment_method_find(o.payment_method);
	if (pm == NULL)
		return service_rollback(s, TRACE_ERROR);
	if (pm->check_reference(reference) != NULL) {
		*field_out = "reference";
		return service_rollback(s, TRACE_INVALID);
	}
	if (o.paid_at != 0 || strcmp(o.status, "cancelled") == 0)
		return service_rollback(s, TRACE_ORDER_STATE);
	/* Cash on delivery is paid when the carrier hands the parcel over. */
	if (!pm->paid_before_dispensing && strcmp(o.status, "delivered") != 0 && strcmp(o.status, "shipped") != 0)
		return service_rollback(s, TRACE_ORDER_STATE);
	if (store_order_record_payment(s, order_id, reference ? reference : "", now, by->id) != STORE_OK)
		return service_rollback(s, TRACE_ORDER_STATE);
	if (strcmp(o.status, "awaiting_payment") == 0 &&
	    store_order_set_status(s, order_id, "awaiting_payment", "paid", now) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	return service_audit_commit(s, by, "order.payment", "order", order_id, pm->code) ? TRACE_OK : TRACE_ERROR;
}

typedef struct fefo {
	lot_record lots[64];
	int n;
} fefo;

static int collect_lot(void *ctx, const lot_record *l)
{
	fefo *f = ctx;
	f->lots[f->n++] = *l;
	return f->n >= 64;
}

trace_rc trace_dispense(store *s, const actor *by, int64_t order_id, int margin_days, int64_t now)
{
	if (trace_expire_due(s, now) != TRACE_OK)
		return TRACE_ERROR;
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	order_record o;
	trace_rc rc = load_order(s, by, order_id, &o);
	if (rc != TRACE_OK)
		return service_rollback(s, rc);
	const payment_method *pm = payment_method_find(o.payment_method);
	if (strcmp(o.status, "paid") != 0 && strcmp(o.status, "awaiting_payment") != 0)
		return service_rollback(s, TRACE_ORDER_STATE);
	if (strcmp(o.status, "awaiting_payment") == 0 && (pm == NULL || pm->paid_before_dispensing))
		return service_rollback(s, TRACE_NOT_PAID);

	/* Eligible: released, with stock, expiring after today + margin; soonest expiry first. */
	char min_expiry[11];
	jst_date(now + (int64_t)margin_days * 86400, min_expiry);
	fefo candidates = {.n = 0};
	if (store_lot_dispensable(s, o.product_id, min_expiry, collect_lot, &candidates) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	int64_t available = 0;
	for (int i = 0; i < candidates.n; i++)
		available += candidates.lots[i].quantity_available;
	if (available < o.quantity)
		return service_rollback(s, TRACE_NO_STOCK);

	int64_t left = o.quantity;
	actor system = {.id = 0, .role = ROLE_NONE};
	for (int i = 0; i < candidates.n && left > 0; i++) {
		lot_record *l = &candidates.lots[i];
		int64_t take = l->quantity_available < left ? l->quantity_available : left;
		/* The UPDATE re-checks stock and status, so a racing dispense cannot go negative. */
		store_rc src = store_lot_take_stock(s, l->id, take);
		if (src == STORE_CONFLICT)
			return service_rollback(s, TRACE_NO_STOCK);
		if (src != STORE_OK)
			return service_rollback(s, TRACE_ERROR);
		dispense_record d = {0, order_id, l->id, (int)take, now, by->id, "", ""};
		if (store_dispense_insert(s, &d) != STORE_OK)
			return service_rollback(s, TRACE_ERROR);
		if (take == l->quantity_available &&
		    transition_in_tx(s, &system, l->id, LOT_DEPLETED, "全数出庫 / all units dispensed", now) != TRACE_OK)
			return service_rollback(s, TRACE_ERROR);
		char detail[128];
		snprintf(detail, sizeof detail, "%lld units of lot %s", (long long)take, l->lot_number);
		if (!service_audit(s, by, "order.dispense", "order", order_id, detail))
			return service_rollback(s, TRACE_ERROR);
		left -= take;
	}
	if (store_order_set_status(s, order_id, o.status, "dispensed", now) != STORE_OK)
		return service_rollback(s, TRACE_ORDER_STATE);
	return service_commit(s) ? TRACE_OK : TRACE_ERROR;
}

trace_rc trace_ship(store *s, const mail_settings *mail, const actor *by, int64_t order_id, const char *carrier,
                    const char *tracking, const char *logger_id, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	order_record o;
	trace_rc rc = load_order(s, by, order_id, &o);
	if (rc != TRACE_OK)
		return service_rollback(s, rc);
	if (strcmp(o.status, "dispensed") != 0)
		return service_rollback(s, TRACE_ORDER_STATE);
	if (logger_id != NULL && *logger_id != '\0') {
		/* The parcel's logger must be one exosafe knows, or its readings reach no lot. */
		logger_record logger;
		store_rc lrc = store_logger_by_code(s, logger_id, &logger);
		if (lrc != STORE_OK)
			return service_rollback(s, lrc == STORE_NOT_FOUND ? TRACE_INVALID : TRACE_ERROR);
	}
	shipment_record sh = {0};
	sh.order_id = order_id;
	snprintf(sh.carrier, sizeof sh.carrier, "%s", carrier);
	snprintf(sh.tracking_number, sizeof sh.tracking_number, "%s", tracking);
	snprintf(sh.logger_id, sizeof sh.logger_id, "%s", logger_id ? logger_id : "");
	sh.shipped_at = now;
	sh.recorded_by = by->id;
	if (store_shipment_insert(s, &sh) != STORE_OK || store_order_set_status(s, order_id, "dispensed", "shipped", now) != STORE_OK ||
	    mail_event_shipped(s, mail, &o, &sh) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	return service_audit_commit(s, by, "order.ship", "order", order_id, carrier) ? TRACE_OK : TRACE_ERROR;
}

trace_rc trace_deliver(store *s, const actor *by, int64_t order_id, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	order_record o;
	trace_rc rc = load_order(s, by, order_id, &o);
	if (rc != TRACE_OK)
		return service_rollback(s, rc);
	if (strcmp(o.status, "shipped") != 0)
		return service_rollback(s, TRACE_ORDER_STATE);
	if (store_shipment_delivered(s, order_id, now) != STORE_OK ||
	    store_order_set_status(s, order_id, "shipped", "delivered", now) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	return service_audit_commit(s, by, "order.deliver", "order", order_id, "") ? TRACE_OK : TRACE_ERROR;
}

trace_rc trace_recall(store *s, const mail_settings *mail, const actor *by, int64_t lot_id, const char *reason,
                      int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return TRACE_ERROR;
	lot_record lot;
	store_rc src = store_lot_get(s, lot_id, &lot);
	if (src != STORE_OK)
		return service_rollback(s, src == STORE_NOT_FOUND ? TRACE_NOT_FOUND : TRACE_ERROR);
	if (strcmp(lot.status, "recalled") != 0) {
		trace_rc rc = transition_in_tx(s, by, lot_id, LOT_RECALLED, reason, now);
		if (rc != TRACE_OK)
			return service_rollback(s, rc);
	}
	/* Every recipient is followed until the jar is accounted for; a repeated recall picks up
	 * any dispense recorded since. */
	if (store_recall_track_open(s, lot_id, now) != STORE_OK || mail_event_recalled(s, mail, &lot) != STORE_OK)
		return service_rollback(s, TRACE_ERROR);
	return service_audit_commit(s, by, "lot.recall", "lot", lot_id, reason) ? TRACE_OK : TRACE_ERROR;
}
