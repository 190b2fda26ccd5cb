/* The SQL stores' (SQLite and PostgreSQL) traceability methods: products, lots and their tests, certificates
 * and state history, orders, dispensing, shipments, and the recall query
 * (schema in 0003_traceability.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_store.h"

void certificate_clear(certificate_record *c)
{
	free(c->data);
	c->data = NULL;
}

#define EACH(ss, st, read, type, fn, ctx, what)                                                                       \
	do {                                                                                                           \
		type row_;                                                                                             \
		return sql_each_row(ss, st, read, &row_, (int (*)(void *, const void *))(fn), ctx, what);                 \
	} while (0)

static store_rc changed_one(sql_store *ss, store_rc rc)
{
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_CONFLICT;
	return rc;
}

/* ---- products ---- */

#define PRODUCT_COLUMNS                                                                                             \
	"id, code, name_ja, name_en, form, manufacturer, country, source_cell_type, storage_min_c, storage_max_c,"     \
	" excursion_allowance_minutes, shelf_life_days, price_jpy, tax_rate_percent, units_description, created_at"

static void read_product(sqldb_stmt *st, void *out)
{
	product_record *p = out;
	p->id = sqldb_column_int64(st, 0);
	sql_copy_text(p->code, sizeof p->code, st, 1);
	sql_copy_text(p->name_ja, sizeof p->name_ja, st, 2);
	sql_copy_text(p->name_en, sizeof p->name_en, st, 3);
	sql_copy_text(p->form, sizeof p->form, st, 4);
	sql_copy_text(p->manufacturer, sizeof p->manufacturer, st, 5);
	sql_copy_text(p->country, sizeof p->country, st, 6);
	sql_copy_text(p->source_cell_type, sizeof p->source_cell_type, st, 7);
	p->storage_min_c = sqldb_column_double(st, 8);
	p->storage_max_c = sqldb_column_double(st, 9);
	p->excursion_allowance_minutes = sqldb_column_int(st, 10);
	p->shelf_life_days = sqldb_column_int(st, 11);
	p->price_jpy = sqldb_column_int64(st, 12);
	p->tax_rate_percent = sqldb_column_int(st, 13);
	sql_copy_text(p->units_description, sizeof p->units_description, st, 14);
	p->created_at = sqldb_column_int64(st, 15);
}

store_rc sql_product_insert(store *s, product_record *p)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO products (code, name_ja, name_en, form, manufacturer, country,"
	                                      " source_cell_type, storage_min_c, storage_max_c, excursion_allowance_minutes,"
	                                      " shelf_life_days, price_jpy, tax_rate_percent, units_description, created_at)"
	                                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, p->code);
	sqldb_bind_text(st, 2, p->name_ja);
	sqldb_bind_text(st, 3, p->name_en);
	sqldb_bind_text(st, 4, p->form);
	sqldb_bind_text(st, 5, p->manufacturer);
	sqldb_bind_text(st, 6, p->country);
	sqldb_bind_text(st, 7, p->source_cell_type);
	sqldb_bind_double(st, 8, p->storage_min_c);
	sqldb_bind_double(st, 9, p->storage_max_c);
	sqldb_bind_int(st, 10, p->excursion_allowance_minutes);
	sqldb_bind_int(st, 11, p->shelf_life_days);
	sqldb_bind_int64(st, 12, p->price_jpy);
	sqldb_bind_int(st, 13, p->tax_rate_percent);
	sqldb_bind_text(st, 14, p->units_description);
	sqldb_bind_int64(st, 15, p->created_at);
	return sql_insert(ss, st, &p->id, "insert product");
}

store_rc sql_product_get(store *s, int64_t id, product_record *out)
{
	return sql_get_by_id(impl(s), "SELECT " PRODUCT_COLUMNS " FROM products WHERE id = ?",
	                        id, read_product, out, "read product");
}

store_rc sql_product_list(store *s, store_product_fn fn, void *ctx)
{
	product_record row;
	return sql_list(impl(s), "SELECT " PRODUCT_COLUMNS " FROM products ORDER BY id", 0, read_product, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list products");
}

/* ---- lots ---- */

#define LOT_SELECT                                                                                                  \
	"SELECT l.id, l.product_id, l.lot_number, l.manufactured_on, l.expires_on, l.quantity_received,"              \
	" l.quantity_available, l.status, coalesce(l.donor_age, -1), l.donor_screening, l.storage_location,"         \
	" l.received_at, l.received_by, p.code, p.name_ja, l.clinic_id"                                               \
	" FROM lots l JOIN products p ON p.id = l.product_id"

static void read_lot(sqldb_stmt *st, void *out)
{
	lot_record *l = out;
	l->id = sqldb_column_int64(st, 0);
	l->product_id = sqldb_column_int64(st, 1);
	sql_copy_text(l->lot_number, sizeof l->lot_number, st, 2);
	sql_copy_text(l->manufactured_on, sizeof l->manufactured_on, st, 3);
	sql_copy_text(l->expires_on, sizeof l->expires_on, st, 4);
	l->quantity_received = sqldb_column_int64(st, 5);
	l->quantity_available = sqldb_column_int64(st, 6);
	sql_copy_text(l->status, sizeof l->status, st, 7);
	l->donor_age = sqldb_column_int(st, 8);
	sql_copy_text(l->donor_screening, sizeof l->donor_screening, st, 9);
	sql_copy_text(l->storage_location, sizeof l->storage_location, st, 10);
	l->received_at = sqldb_column_int64(st, 11);
	l->received_by = sqldb_column_int64(st, 12);
	sql_copy_text(l->product_code, sizeof l->product_code, st, 13);
	sql_copy_text(l->product_name_ja, sizeof l->product_name_ja, st, 14);
	l->clinic_id = sqldb_column_int64(st, 15);
}

store_rc sql_lot_insert(store *s, lot_record *l)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO lots (product_id, lot_number, manufactured_on, expires_on, quantity_received,"
	                                      " quantity_available, status, donor_age, donor_screening, storage_location,"
	                                      " received_at, received_by, clinic_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, l->product_id);
	sqldb_bind_text(st, 2, l->lot_number);
	sqldb_bind_text(st, 3, l->manufactured_on);
	sqldb_bind_text(st, 4, l->expires_on);
	sqldb_bind_int64(st, 5, l->quantity_received);
	sqldb_bind_int64(st, 6, l->quantity_available);
	sqldb_bind_text(st, 7, l->status);
	if (l->donor_age >= 0)
		sqldb_bind_int(st, 8, l->donor_age);
	else
		sqldb_bind_null(st, 8);
	sqldb_bind_text(st, 9, l->donor_screening);
	sqldb_bind_text(st, 10, l->storage_location);
	sqldb_bind_int64(st, 11, l->received_at);
	sqldb_bind_int64(st, 12, l->received_by);
	sqldb_bind_int64(st, 13, store_scope_home(s));
	return sql_insert(ss, st, &l->id, "insert lot");
}

store_rc sql_lot_get(store *s, int64_t id, lot_record *out)
{
	return sql_get_by_id(impl(s), LOT_SELECT " WHERE l.id = ? AND " SQL_IN_SCOPE("l.clinic_id"), id, read_lot, out, "read lot");
}

store_rc sql_lot_find_number(store *s, const char *lot_number, store_lot_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, LOT_SELECT " WHERE l.lot_number = ? AND " SQL_IN_SCOPE("l.clinic_id") " ORDER BY l.id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, lot_number);
	EACH(ss, st, read_lot, lot_record, fn, ctx, "find lot");
}

store_rc sql_lot_list(store *s, int64_t product_id, store_lot_fn fn, void *ctx)
{
	lot_record row;
	return sql_list(impl(s), LOT_SELECT " WHERE (CAST(?1 AS BIGINT) = 0 OR l.product_id = ?1) AND " SQL_IN_SCOPE("l.clinic_id") " ORDER BY l.id DESC",
	                   product_id, read_lot, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list lots");
}

store_rc sql_lot_set_status(store *s, int64_t lot_id, const char *status)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE lots SET status = ? WHERE id = ? AND " SQL_IN_SCOPE("clinic_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, status);
	sqldb_bind_int64(st, 2, lot_id);
	store_rc rc = sql_step_done(ss, st, "set lot status");
	return rc == STORE_OK && ss->changes == 0 ? STORE_NOT_FOUND : rc;
}

static void read_transition(sqldb_stmt *st, void *out)
{
	lot_transition_record *t = out;
	t->id = sqldb_column_int64(st, 0);
	t->lot_id = sqldb_column_int64(st, 1);
	sql_copy_text(t->from_status, sizeof t->from_status, st, 2);
	sql_copy_text(t->to_status, sizeof t->to_status, st, 3);
	t->actor_id = sqldb_column_int64(st, 4);
	sql_copy_text(t->actor_name, sizeof t->actor_name, st, 5);
	sql_copy_text(t->reason, sizeof t->reason, st, 6);
	t->at = sqldb_column_int64(st, 7);
}

store_rc sql_lot_transition_insert(store *s, lot_transition_record *t)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO lot_transitions (lot_id, from_status, to_status, actor_id, reason, at)"
	                                      " VALUES (?, nullif(?, ''), ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, t->lot_id);
	sqldb_bind_text(st, 2, t->from_status);
	sqldb_bind_text(st, 3, t->to_status);
	sqldb_bind_int64(st, 4, t->actor_id);
	sqldb_bind_text(st, 5, t->reason);
	sqldb_bind_int64(st, 6, t->at);
	return sql_insert(ss, st, &t->id, "insert lot transition");
}

store_rc sql_lot_transitions(store *s, int64_t lot_id, store_transition_fn fn, void *ctx)
{
	lot_transition_record row;
	return sql_list(impl(s), "SELECT t.id, t.lot_id, coalesce(t.from_status, ''), t.to_status, t.actor_id,"
	                            " coalesce(u.name, ''), t.reason, t.at FROM lot_transitions t"
	                            " LEFT JOIN users u ON u.id = t.actor_id WHERE t.lot_id = ? AND " SQL_LOT_IN_SCOPE("t.lot_id") " ORDER BY t.id",
	                            lot_id, read_transition, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list lot transitions");
}

store_rc sql_lot_dispensable(store *s, int64_t product_id, const char *min_expires_on, store_lot_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	/* A lot with an open temperature alert stays put until QA has decided. */
	sqldb_stmt *st = sql_prepare(ss, LOT_SELECT " WHERE l.product_id = ? AND l.status = 'released'"
	                                      " AND l.quantity_available > 0 AND l.expires_on > ? AND " SQL_IN_SCOPE("l.clinic_id")
	                                      " AND NOT EXISTS (SELECT 1 FROM coldchain_alerts a"
	                                      "                 WHERE a.lot_id = l.id AND a.status = 'open')"
	                                      " ORDER BY l.expires_on, l.id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, product_id);
	sqldb_bind_text(st, 2, min_expires_on);
	EACH(ss, st, read_lot, lot_record, fn, ctx, "dispensable lots");
}

store_rc sql_lot_take_stock(store *s, int64_t lot_id, int64_t qty)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE lots SET quantity_available = quantity_available - ?1"
	                                      " WHERE id = ?2 AND status = 'released' AND quantity_available >= ?1 AND " SQL_IN_SCOPE("clinic_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, qty);
	sqldb_bind_int64(st, 2, lot_id);
	return changed_one(ss, sql_step_done(ss, st, "take stock"));
}

store_rc sql_lot_expired_released(store *s, const char *today, store_lot_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, LOT_SELECT " WHERE l.status = 'released' AND l.expires_on < ? AND " SQL_IN_SCOPE("l.clinic_id") " ORDER BY l.id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, today);
	EACH(ss, st, read_lot, lot_record, fn, ctx, "expired lots");
}

/* ---- tests and certificates ---- */

static void read_lot_test(sqldb_stmt *st, void *out)
{
	lot_test_record *t = out;
	t->id = sqldb_column_int64(st, 0);
	t->lot_id = sqldb_column_int64(st, 1);
	sql_copy_text(t->kind, sizeof t->kind, st, 2);
	sql_copy_text(t->result, sizeof t->result, st, 3);
	sql_copy_text(t->value, sizeof t->value, st, 4);
	sql_copy_text(t->method, sizeof t->method, st, 5);
	sql_copy_text(t->tested_on, sizeof t->tested_on, st, 6);
	t->certificate_id = sqldb_column_int64(st, 7);
	t->recorded_by = sqldb_column_int64(st, 8);
	t->recorded_at = sqldb_column_int64(st, 9);
}

store_rc sql_lot_test_insert(store *s, lot_test_record *t)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO lot_tests (lot_id, kind, result, value, method, tested_on, certificate_id,"
	                                      " recorded_by, recorded_at, duplicate_reason) VALUES (?, ?, ?, ?, ?, ?, nullif(CAST(? AS BIGINT), 0), ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, t->lot_id);
	sqldb_bind_text(st, 2, t->kind);
	sqldb_bind_text(st, 3, t->result);
	sqldb_bind_text(st, 4, t->value);
	sqldb_bind_text(st, 5, t->method);
	sqldb_bind_text(st, 6, t->tested_on);
	sqldb_bind_int64(st, 7, t->certificate_id);
	sqldb_bind_int64(st, 8, t->recorded_by);
	sqldb_bind_int64(st, 9, t->recorded_at);
	sqldb_bind_text(st, 10, t->duplicate_reason);
	return sql_insert(ss, st, &t->id, "insert lot test");
}

store_rc sql_lot_tests(store *s, int64_t lot_id, store_lot_test_fn fn, void *ctx)
{
	lot_test_record row;
	return sql_list(impl(s), "SELECT id, lot_id, kind, result, value, method, tested_on, coalesce(certificate_id, 0),"
	                            " recorded_by, recorded_at FROM lot_tests WHERE lot_id = ? AND " SQL_LOT_IN_SCOPE("lot_id") " ORDER BY id",
	                            lot_id, read_lot_test, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list lot tests");
}

store_rc sql_certificate_insert(store *s, certificate_record *c)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO certificates (lot_id, filename, content_type, size_bytes, sha256, data,"
	                                      " uploaded_by, uploaded_at, duplicate_of, duplicate_reason)"
	                                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, nullif(CAST(? AS BIGINT), 0), ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, c->lot_id);
	sqldb_bind_text(st, 2, c->filename);
	sqldb_bind_text(st, 3, c->content_type);
	sqldb_bind_int64(st, 4, c->size_bytes);
	sqldb_bind_text(st, 5, c->sha256);
	sqldb_bind_blob(st, 6, c->data, c->size_bytes);
	sqldb_bind_int64(st, 7, c->uploaded_by);
	sqldb_bind_int64(st, 8, c->uploaded_at);
	sqldb_bind_int64(st, 9, c->duplicate_of);
	sqldb_bind_text(st, 10, c->duplicate_reason);
	return sql_insert(ss, st, &c->id, "insert certificate");
}

static void read_certificate_meta(sqldb_stmt *st, void *out)
{
	certificate_record *c = out;
	c->id = sqldb_column_int64(st, 0);
	c->lot_id = sqldb_column_int64(st, 1);
	sql_copy_text(c->filename, sizeof c->filename, st, 2);
	sql_copy_text(c->content_type, sizeof c->content_type, st, 3);
	c->size_bytes = sqldb_column_int64(st, 4);
	sql_copy_text(c->sha256, sizeof c->sha256, st, 5);
	c->uploaded_by = sqldb_column_int64(st, 6);
	c->uploaded_at = sqldb_column_int64(st, 7);
	c->duplicate_of = sqldb_column_int64(st, 8);
	sql_copy_text(c->duplicate_reason, sizeof c->duplicate_reason, st, 9);
	c->data = NULL;
}

static void read_certificate_full(sqldb_stmt *st, void *out)
{
	certificate_record *c = out;
	read_certificate_meta(st, out);
	size_t n = 0;
	const void *blob = sqldb_column_blob(st, 10, &n);
	c->data = malloc(n > 0 ? n : 1);
	if (c->data != NULL && n > 0)
		memcpy(c->data, blob, n);
	c->size_bytes = (int64_t)n;
}

#define CERT_COLUMNS                                                                                         \
	"id, lot_id, filename, content_type, size_bytes, sha256, uploaded_by, uploaded_at, coalesce(duplicate_of, 0),"  \
	" duplicate_reason"

store_rc sql_certificate_get(store *s, int64_t id, certificate_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " CERT_COLUMNS ", data FROM certificates WHERE id = ? AND " SQL_LOT_IN_SCOPE("lot_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	memset(out, 0, sizeof *out);
	store_rc rc = sql_step_one(ss, st, read_certificate_full, out, "read certificate");
	if (rc == STORE_OK && out->data == NULL) {
		snprintf(s->errmsg, sizeof s->errmsg, "out of memory");
		return STORE_ERROR;
	}
	return rc;
}

store_rc sql_certificates_of_lot(store *s, int64_t lot_id, store_certificate_fn fn, void *ctx)
{
	certificate_record row;
	return sql_list(impl(s), "SELECT " CERT_COLUMNS " FROM certificates WHERE lot_id = ? AND " SQL_LOT_IN_SCOPE("lot_id") " ORDER BY id",
	                   lot_id, read_certificate_meta, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list certificates");
}

/* ---- orders ---- */

#define ORDER_SELECT                                                                                                \
	"SELECT o.id, o.patient_id, o.decision_id, o.product_id, o.quantity, o.unit_price_jpy, o.total_jpy, o.status,"  \
	" o.payment_method, o.payment_reference, coalesce(o.paid_at, 0), coalesce(o.paid_recorded_by, 0), o.ship_name," \
	" o.ship_postal_code, o.ship_address, o.ship_phone, o.created_at, coalesce(o.cancelled_at, 0), p.name_ja, u.name" \
	" FROM orders o JOIN products p ON p.id = o.product_id JOIN users u ON u.id = o.patient_id"

static void read_order(sqldb_stmt *st, void *out)
{
	order_record *o = out;
	o->id = sqldb_column_int64(st, 0);
	o->patient_id = sqldb_column_int64(st, 1);
	o->decision_id = sqldb_column_int64(st, 2);
	o->product_id = sqldb_column_int64(st, 3);
	o->quantity = sqldb_column_int(st, 4);
	o->unit_price_jpy = sqldb_column_int64(st, 5);
	o->total_jpy = sqldb_column_int64(st, 6);
	sql_copy_text(o->status, sizeof o->status, st, 7);
	sql_copy_text(o->payment_method, sizeof o->payment_method, st, 8);
	sql_copy_text(o->payment_reference, sizeof o->payment_reference, st, 9);
	o->paid_at = sqldb_column_int64(st, 10);
	o->paid_recorded_by = sqldb_column_int64(st, 11);
	sql_copy_text(o->ship_name, sizeof o->ship_name, st, 12);
	sql_copy_text(o->ship_postal_code, sizeof o->ship_postal_code, st, 13);
	sql_copy_text(o->ship_address, sizeof o->ship_address, st, 14);
	sql_copy_text(o->ship_phone, sizeof o->ship_phone, st, 15);
	o->created_at = sqldb_column_int64(st, 16);
	o->cancelled_at = sqldb_column_int64(st, 17);
	sql_copy_text(o->product_name_ja, sizeof o->product_name_ja, st, 18);
	sql_copy_text(o->patient_name, sizeof o->patient_name, st, 19);
}

store_rc sql_order_insert(store *s, order_record *o)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO orders (patient_id, decision_id, product_id, quantity, unit_price_jpy,"
	                                      " total_jpy, status, payment_method, ship_name, ship_postal_code, ship_address,"
	                                      " ship_phone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, o->patient_id);
	sqldb_bind_int64(st, 2, o->decision_id);
	sqldb_bind_int64(st, 3, o->product_id);
	sqldb_bind_int(st, 4, o->quantity);
	sqldb_bind_int64(st, 5, o->unit_price_jpy);
	sqldb_bind_int64(st, 6, o->total_jpy);
	sqldb_bind_text(st, 7, o->status);
	sqldb_bind_text(st, 8, o->payment_method);
	sqldb_bind_text(st, 9, o->ship_name);
	sqldb_bind_text(st, 10, o->ship_postal_code);
	sqldb_bind_text(st, 11, o->ship_address);
	sqldb_bind_text(st, 12, o->ship_phone);
	sqldb_bind_int64(st, 13, o->created_at);
	return sql_insert(ss, st, &o->id, "insert order");
}

store_rc sql_order_get(store *s, int64_t id, order_record *out)
{
	return sql_get_by_id(impl(s), ORDER_SELECT " WHERE o.id = ? AND " SQL_IN_SCOPE("u.clinic_id"), id, read_order, out, "read order");
}

store_rc sql_order_list(store *s, int64_t patient_id, const char *status, store_order_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, ORDER_SELECT " WHERE (CAST(?1 AS BIGINT) = 0 OR o.patient_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR o.status = ?2)"
	                                      " AND " SQL_IN_SCOPE("u.clinic_id") " ORDER BY o.id DESC LIMIT 500");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	if (status)
		sqldb_bind_text(st, 2, status);
	else
		sqldb_bind_null(st, 2);
	EACH(ss, st, read_order, order_record, fn, ctx, "list orders");
}

/* Orders narrowed by a staff list filter: the patient's name or kana, the order number. */
#define ORDER_MATCH                                                                                                 \
	" LEFT JOIN patient_profiles pp ON pp.user_id = o.patient_id WHERE " SQL_PATIENT_MATCH("u", "pp", "o.id")       \
	" AND " SQL_IN_SCOPE("u.clinic_id")

store_rc sql_order_search(store *s, const list_filter *f, int64_t *total_out, store_order_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	if (total_out != NULL) {
		sqldb_stmt *count = sql_prepare(ss, "SELECT count(*) FROM orders o JOIN users u ON u.id = o.patient_id"
		                                         ORDER_MATCH " AND " SQL_STATUS_MATCH("o.status"));
		if (count == NULL)
			return STORE_ERROR;
		sql_bind_filter(count, f);
		if (sql_count(ss, count, total_out, "count orders") != STORE_OK)
			return STORE_ERROR;
	}
	sqldb_stmt *st = sql_prepare(ss, ORDER_SELECT ORDER_MATCH " AND " SQL_STATUS_MATCH("o.status")
	                                      " ORDER BY o.id DESC" SQL_PAGE);
	if (st == NULL)
		return STORE_ERROR;
	sql_bind_filter(st, f);
	EACH(ss, st, read_order, order_record, fn, ctx, "search orders");
}

store_rc sql_order_status_counts(store *s, const list_filter *f, store_status_count_fn fn,
                                    void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT o.status, count(*) FROM orders o JOIN users u ON u.id = o.patient_id"
	                                      ORDER_MATCH " GROUP BY o.status");
	if (st == NULL)
		return STORE_ERROR;
	sql_bind_filter(st, f);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW)
		fn(ctx, (const char *)sqldb_column_text(st, 0), sqldb_column_int64(st, 1));
	store_rc out = rc == SQLDB_DONE ? STORE_OK : sql_fail(ss, "count orders by status");
	sqldb_release(st);
	return out;
}

store_rc sql_order_quantity_for_decision(store *s, int64_t decision_id, int64_t *qty_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT coalesce(sum(quantity), 0) FROM orders WHERE decision_id = ? AND status <> 'cancelled'"
	                                      " AND " SQL_USER_IN_SCOPE("patient_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, decision_id);
	store_rc rc = STORE_OK;
	if (sqldb_step(st) == SQLDB_ROW)
		*qty_out = sqldb_column_int64(st, 0);
	else
		rc = sql_fail(ss, "ordered quantity");
	sqldb_release(st);
	return rc;
}

store_rc sql_order_set_status(store *s, int64_t id, const char *from_status, const char *to_status, int64_t now)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE orders SET status = ?1,"
	                                      " cancelled_at = CASE WHEN ?1 = 'cancelled' THEN ?4 ELSE cancelled_at END"
	                                      " WHERE id = ?2 AND status = ?3 AND " SQL_USER_IN_SCOPE("patient_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, to_status);
	sqldb_bind_int64(st, 2, id);
	sqldb_bind_text(st, 3, from_status);
	sqldb_bind_int64(st, 4, now);
	return changed_one(ss, sql_step_done(ss, st, "set order status"));
}

store_rc sql_order_record_payment(store *s, int64_t id, const char *reference, int64_t paid_at, int64_t by)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE orders SET paid_at = ?, payment_reference = ?, paid_recorded_by = ?"
	                                      " WHERE id = ? AND paid_at IS NULL AND " SQL_USER_IN_SCOPE("patient_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, paid_at);
	sqldb_bind_text(st, 2, reference);
	sqldb_bind_int64(st, 3, by);
	sqldb_bind_int64(st, 4, id);
	return changed_one(ss, sql_step_done(ss, st, "record payment"));
}

/* ---- dispensing and shipping ---- */

static void read_dispense(sqldb_stmt *st, void *out)
{
	dispense_record *d = out;
	d->id = sqldb_column_int64(st, 0);
	d->order_id = sqldb_column_int64(st, 1);
	d->lot_id = sqldb_column_int64(st, 2);
	d->quantity = sqldb_column_int(st, 3);
	d->dispensed_at = sqldb_column_int64(st, 4);
	d->dispensed_by = sqldb_column_int64(st, 5);
	sql_copy_text(d->lot_number, sizeof d->lot_number, st, 6);
	sql_copy_text(d->expires_on, sizeof d->expires_on, st, 7);
}

store_rc sql_dispense_insert(store *s, dispense_record *d)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO dispenses (order_id, lot_id, quantity, dispensed_at, dispensed_by)"
	                                      " VALUES (?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, d->order_id);
	sqldb_bind_int64(st, 2, d->lot_id);
	sqldb_bind_int(st, 3, d->quantity);
	sqldb_bind_int64(st, 4, d->dispensed_at);
	sqldb_bind_int64(st, 5, d->dispensed_by);
	return sql_insert(ss, st, &d->id, "insert dispense");
}

store_rc sql_dispenses_of_order(store *s, int64_t order_id, store_dispense_fn fn, void *ctx)
{
	dispense_record row;
	return sql_list(impl(s), "SELECT d.id, d.order_id, d.lot_id, d.quantity, d.dispensed_at, d.dispensed_by,"
	                            " l.lot_number, l.expires_on FROM dispenses d JOIN lots l ON l.id = d.lot_id"
	                            " WHERE d.order_id = ? AND " SQL_IN_SCOPE("l.clinic_id") " ORDER BY d.id", order_id, read_dispense, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list dispenses");
}

static void read_shipment(sqldb_stmt *st, void *out)
{
	shipment_record *sh = out;
	sh->id = sqldb_column_int64(st, 0);
	sh->order_id = sqldb_column_int64(st, 1);
	sql_copy_text(sh->carrier, sizeof sh->carrier, st, 2);
	sql_copy_text(sh->tracking_number, sizeof sh->tracking_number, st, 3);
	sql_copy_text(sh->logger_id, sizeof sh->logger_id, st, 4);
	sh->shipped_at = sqldb_column_int64(st, 5);
	sh->delivered_at = sqldb_column_int64(st, 6);
	sh->recorded_by = sqldb_column_int64(st, 7);
}

store_rc sql_shipment_insert(store *s, shipment_record *sh)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO shipments (order_id, carrier, tracking_number, logger_id, shipped_at,"
	                                      " recorded_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, sh->order_id);
	sqldb_bind_text(st, 2, sh->carrier);
	sqldb_bind_text(st, 3, sh->tracking_number);
	sqldb_bind_text(st, 4, sh->logger_id);
	sqldb_bind_int64(st, 5, sh->shipped_at);
	sqldb_bind_int64(st, 6, sh->recorded_by);
	return sql_insert(ss, st, &sh->id, "insert shipment");
}

store_rc sql_shipment_of_order(store *s, int64_t order_id, shipment_record *out)
{
	return sql_get_by_id(impl(s), "SELECT id, order_id, carrier, tracking_number, logger_id, shipped_at,"
	                                 " coalesce(delivered_at, 0), recorded_by FROM shipments WHERE order_id = ?"
	                                 " AND (?89 = 0 OR (SELECT u.clinic_id FROM orders o JOIN users u ON u.id = o.patient_id"
	                                 " WHERE o.id = order_id) = ?89)",
	                                 order_id, read_shipment, out, "read shipment");
}

store_rc sql_shipment_delivered(store *s, int64_t order_id, int64_t at)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE shipments SET delivered_at = ? WHERE order_id = ? AND delivered_at IS NULL"
	                                      " AND (?89 = 0 OR (SELECT u.clinic_id FROM orders o JOIN users u ON u.id = o.patient_id"
	                                      " WHERE o.id = order_id) = ?89)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, at);
	sqldb_bind_int64(st, 2, order_id);
	return changed_one(ss, sql_step_done(ss, st, "record delivery"));
}

/* ---- recall ---- */

/* The columns of recall_recipients a recall reads, in read_recipient's order. */
#define RECIPIENT_COLUMNS                                                                                          \
	"patient_id, patient_name, name_kana, email, phone, order_id, quantity, dispensed_at, ship_postal_code,"     \
	" ship_address, carrier, tracking_number, shipped_at, delivered_at,"                                        \
	" track_id, track_status, acknowledged_at, notified_at, contacted_at, contact_notes, closed_on"

static void read_recipient(sqldb_stmt *st, void *out)
{
	recall_recipient *r = out;
	r->patient_id = sqldb_column_int64(st, 0);
	sql_copy_text(r->patient_name, sizeof r->patient_name, st, 1);
	sql_copy_text(r->name_kana, sizeof r->name_kana, st, 2);
	sql_copy_text(r->email, sizeof r->email, st, 3);
	sql_copy_text(r->phone, sizeof r->phone, st, 4);
	r->order_id = sqldb_column_int64(st, 5);
	r->quantity = sqldb_column_int(st, 6);
	r->dispensed_at = sqldb_column_int64(st, 7);
	sql_copy_text(r->ship_postal_code, sizeof r->ship_postal_code, st, 8);
	sql_copy_text(r->ship_address, sizeof r->ship_address, st, 9);
	sql_copy_text(r->carrier, sizeof r->carrier, st, 10);
	sql_copy_text(r->tracking_number, sizeof r->tracking_number, st, 11);
	r->shipped_at = sqldb_column_int64(st, 12);
	r->delivered_at = sqldb_column_int64(st, 13);
	/* A follow-up's id is never 0, so 0 means none yet (the lot is not recalled) and the
	 * other follow-up columns hold their defaults: skipping them saves a third of the row's
	 * reading. */
	r->track_id = sqldb_column_int64(st, 14);
	if (r->track_id != 0) {
		sql_copy_text(r->track_status, sizeof r->track_status, st, 15);
		r->acknowledged_at = sqldb_column_int64(st, 16);
		r->notified_at = sqldb_column_int64(st, 17);
		r->contacted_at = sqldb_column_int64(st, 18);
		sql_copy_text(r->contact_notes, sizeof r->contact_notes, st, 19);
		sql_copy_text(r->closed_on, sizeof r->closed_on, st, 20);
	} else {
		r->track_status[0] = r->contact_notes[0] = r->closed_on[0] = '\0';
		r->acknowledged_at = r->notified_at = r->contacted_at = 0;
	}
}

store_rc sql_recall_recipients(store *s, int64_t lot_id, store_recipient_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	/* One range of recall_recipients' key, already in the recall's order (patient, order,
	 * dispense): no join, no sort (0014_recall_recipients.sql). */
	static const char sql[] = "SELECT " RECIPIENT_COLUMNS " FROM recall_recipients WHERE lot_id = ?1 AND " SQL_LOT_IN_SCOPE("?1")
	                          " ORDER BY lot_id, patient_id, order_id, dispense_id";
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, lot_id);
	recall_recipient row;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_recipient(st, &row);
		if (fn(ctx, &row) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "recall recipients");
	sqldb_release(st);
	return out;
}

static void read_certificate_use(sqldb_stmt *st, void *out)
{
	certificate_use *u = out;
	u->certificate_id = sqldb_column_int64(st, 0);
	u->lot_id = sqldb_column_int64(st, 1);
	sql_copy_text(u->lot_number, sizeof u->lot_number, st, 2);
	sql_copy_text(u->test_kind, sizeof u->test_kind, st, 3);
}

store_rc sql_certificate_uses(store *s, const char *sha256, store_certificate_use_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	/* Driven by certificates_sha256. */
	sqldb_stmt *st = sql_prepare(ss, "SELECT c.id, c.lot_id, l.lot_number, coalesce(t.kind, '')"
	                                      " FROM certificates c JOIN lots l ON l.id = c.lot_id"
	                                      " LEFT JOIN lot_tests t ON t.certificate_id = c.id"
	                                      " WHERE c.sha256 = ? AND " SQL_IN_SCOPE("l.clinic_id") " ORDER BY c.id, t.id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, sha256);
	EACH(ss, st, read_certificate_use, certificate_use, fn, ctx, "certificate uses");
}

store_rc sql_recall_track_open(store *s, int64_t lot_id, int64_t now)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sqldb_prepare(
		ss->sql, "INSERT INTO recall_tracking (lot_id, dispense_id, order_id, patient_id, created_at, updated_at, updated_by)"
		    " SELECT d.lot_id, d.id, d.order_id, o.patient_id, ?2, ?2, 0"
		    " FROM dispenses d JOIN orders o ON o.id = d.order_id"
		    " WHERE d.lot_id = ?1 AND NOT EXISTS (SELECT 1 FROM recall_tracking rt WHERE rt.dispense_id = d.id)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, lot_id);
	sqldb_bind_int64(st, 2, now);
	return sql_step_done(ss, st, "open recall tracking");
}

#define TRACK_COLUMNS                                                                                              \
	"rt.id, rt.lot_id, rt.dispense_id, rt.order_id, rt.patient_id, rt.status, rt.created_at,"                 \
	" coalesce(rt.acknowledged_at, 0), coalesce(rt.notified_at, 0), coalesce(rt.contacted_at, 0),"             \
	" rt.contact_notes, coalesce(rt.closed_on, ''), rt.updated_at, rt.updated_by, l.lot_number, p.name_ja,"    \
	" p.name_en, d.quantity"
#define TRACK_FROM                                                                                                 \
	" FROM recall_tracking rt JOIN lots l ON l.id = rt.lot_id JOIN products p ON p.id = l.product_id"        \
	" JOIN dispenses d ON d.id = rt.dispense_id"

static void read_track(sqldb_stmt *st, void *out)
{
	recall_track_record *t = out;
	t->id = sqldb_column_int64(st, 0);
	t->lot_id = sqldb_column_int64(st, 1);
	t->dispense_id = sqldb_column_int64(st, 2);
	t->order_id = sqldb_column_int64(st, 3);
	t->patient_id = sqldb_column_int64(st, 4);
	sql_copy_text(t->status, sizeof t->status, st, 5);
	t->created_at = sqldb_column_int64(st, 6);
	t->acknowledged_at = sqldb_column_int64(st, 7);
	t->notified_at = sqldb_column_int64(st, 8);
	t->contacted_at = sqldb_column_int64(st, 9);
	sql_copy_text(t->contact_notes, sizeof t->contact_notes, st, 10);
	sql_copy_text(t->closed_on, sizeof t->closed_on, st, 11);
	t->updated_at = sqldb_column_int64(st, 12);
	t->updated_by = sqldb_column_int64(st, 13);
	sql_copy_text(t->lot_number, sizeof t->lot_number, st, 14);
	sql_copy_text(t->product_name_ja, sizeof t->product_name_ja, st, 15);
	sql_copy_text(t->product_name_en, sizeof t->product_name_en, st, 16);
	t->quantity = sqldb_column_int(st, 17);
}

store_rc sql_recall_track_get(store *s, int64_t id, recall_track_record *out)
{
	return sql_get_by_id(impl(s), "SELECT " TRACK_COLUMNS TRACK_FROM " WHERE rt.id = ? AND " SQL_IN_SCOPE("l.clinic_id"),
	                        id, read_track, out, "read recall tracking");
}

store_rc sql_recall_track_update(store *s, const recall_track_record *t)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE recall_tracking SET status = ?, acknowledged_at = nullif(CAST(? AS BIGINT), 0),"
	                                      " notified_at = nullif(CAST(? AS BIGINT), 0), contacted_at = nullif(CAST(? AS BIGINT), 0), contact_notes = ?,"
	                                      " closed_on = nullif(?, ''), updated_at = ?, updated_by = ? WHERE id = ?"
	                                      " AND " SQL_LOT_IN_SCOPE("lot_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, t->status);
	sqldb_bind_int64(st, 2, t->acknowledged_at);
	sqldb_bind_int64(st, 3, t->notified_at);
	sqldb_bind_int64(st, 4, t->contacted_at);
	sqldb_bind_text(st, 5, t->contact_notes);
	sqldb_bind_text(st, 6, t->closed_on);
	sqldb_bind_int64(st, 7, t->updated_at);
	sqldb_bind_int64(st, 8, t->updated_by);
	sqldb_bind_int64(st, 9, t->id);
	return changed_one(ss, sql_step_done(ss, st, "update recall tracking"));
}

store_rc sql_recall_tracks_of_patient(store *s, int64_t patient_id, store_recall_track_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st =
		sql_prepare(ss, "SELECT " TRACK_COLUMNS TRACK_FROM " WHERE rt.patient_id = ? AND " SQL_IN_SCOPE("l.clinic_id")
		                " ORDER BY rt.created_at DESC, rt.id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	EACH(ss, st, read_track, recall_track_record, fn, ctx, "recalls of patient");
}
