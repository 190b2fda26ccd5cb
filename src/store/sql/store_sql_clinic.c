/* The clinic's own details (SQLite and PostgreSQL) (0009_clinics.sql). */
#include <stdio.h>

#include "store/sql/sql_store.h"

#define CLINIC_COLUMNS                                                                                            \
	"id, name, postal_code, address, phone, hours, email, bank_name, bank_branch, bank_account_type,"         \
	" bank_account_number, bank_account_holder, doctor_name, doctor_licence, is_demo, updated_at,"            \
	" coalesce(updated_by, 0)"

static void read_clinic(sqldb_stmt *st, void *row)
{
	clinic_profile *c = row;
	c->id = sqldb_column_int64(st, 0);
	sql_copy_text(c->name, sizeof c->name, st, 1);
	sql_copy_text(c->postal_code, sizeof c->postal_code, st, 2);
	sql_copy_text(c->address, sizeof c->address, st, 3);
	sql_copy_text(c->phone, sizeof c->phone, st, 4);
	sql_copy_text(c->hours, sizeof c->hours, st, 5);
	sql_copy_text(c->email, sizeof c->email, st, 6);
	sql_copy_text(c->bank_name, sizeof c->bank_name, st, 7);
	sql_copy_text(c->bank_branch, sizeof c->bank_branch, st, 8);
	sql_copy_text(c->bank_account_type, sizeof c->bank_account_type, st, 9);
	sql_copy_text(c->bank_account_number, sizeof c->bank_account_number, st, 10);
	sql_copy_text(c->bank_account_holder, sizeof c->bank_account_holder, st, 11);
	sql_copy_text(c->doctor_name, sizeof c->doctor_name, st, 12);
	sql_copy_text(c->doctor_licence, sizeof c->doctor_licence, st, 13);
	c->is_demo = sqldb_column_int(st, 14) != 0;
	c->updated_at = sqldb_column_int64(st, 15);
	c->updated_by = sqldb_column_int64(st, 16);
}

store_rc sql_clinic_get(store *s, int64_t id, clinic_profile *out)
{
	return sql_get_by_id(impl(s), "SELECT " CLINIC_COLUMNS " FROM clinics WHERE id = ?",
	                        id, read_clinic, out, "read clinic");
}

store_rc sql_clinic_put(store *s, const clinic_profile *c)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sqldb_prepare(
		ss->sql, "UPDATE clinics SET name = ?, postal_code = ?, address = ?, phone = ?, hours = ?, email = ?,"
		    " bank_name = ?, bank_branch = ?, bank_account_type = ?, bank_account_number = ?, bank_account_holder = ?,"
		    " doctor_name = ?, doctor_licence = ?, is_demo = ?, updated_at = ?, updated_by = nullif(CAST(? AS BIGINT), 0) WHERE id = ?");
	if (st == NULL)
		return STORE_ERROR;
	const char *texts[] = {c->name, c->postal_code, c->address, c->phone, c->hours, c->email, c->bank_name,
	                       c->bank_branch, c->bank_account_type, c->bank_account_number, c->bank_account_holder,
	                       c->doctor_name, c->doctor_licence};
	int i = 1;
	for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
		sqldb_bind_text(st, i++, texts[k]);
	sqldb_bind_int(st, i++, c->is_demo ? 1 : 0);
	sqldb_bind_int64(st, i++, c->updated_at);
	sqldb_bind_int64(st, i++, c->updated_by);
	sqldb_bind_int64(st, i++, c->id);
	store_rc rc = sql_step_done(ss, st, "update clinic");
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

store_rc sql_clinic_insert(store *s, clinic_profile *c)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO clinics (name, updated_at) VALUES (?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, c->name);
	sqldb_bind_int64(st, 2, c->updated_at);
	return sql_insert(ss, st, &c->id, "insert clinic");
}

store_rc sql_clinic_list(store *s, store_clinic_fn fn, void *ctx)
{
	clinic_profile row;
	return sql_list(impl(s), "SELECT " CLINIC_COLUMNS " FROM clinics ORDER BY id", 0, read_clinic, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list clinics");
}
