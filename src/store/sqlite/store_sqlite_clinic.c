/* The clinic's own details in SQLite (0009_clinics.sql). */
#include <sqlite3.h>
#include <stdio.h>

#include "store/sqlite/sqlite_internal.h"

#define CLINIC_COLUMNS                                                                                            \
	"id, name, postal_code, address, phone, hours, email, bank_name, bank_branch, bank_account_type,"         \
	" bank_account_number, bank_account_holder, doctor_name, doctor_licence, is_demo, updated_at,"            \
	" coalesce(updated_by, 0)"

static void read_clinic(sqlite3_stmt *st, void *row)
{
	clinic_profile *c = row;
	c->id = sqlite3_column_int64(st, 0);
	sqlite_copy_text(c->name, sizeof c->name, st, 1);
	sqlite_copy_text(c->postal_code, sizeof c->postal_code, st, 2);
	sqlite_copy_text(c->address, sizeof c->address, st, 3);
	sqlite_copy_text(c->phone, sizeof c->phone, st, 4);
	sqlite_copy_text(c->hours, sizeof c->hours, st, 5);
	sqlite_copy_text(c->email, sizeof c->email, st, 6);
	sqlite_copy_text(c->bank_name, sizeof c->bank_name, st, 7);
	sqlite_copy_text(c->bank_branch, sizeof c->bank_branch, st, 8);
	sqlite_copy_text(c->bank_account_type, sizeof c->bank_account_type, st, 9);
	sqlite_copy_text(c->bank_account_number, sizeof c->bank_account_number, st, 10);
	sqlite_copy_text(c->bank_account_holder, sizeof c->bank_account_holder, st, 11);
	sqlite_copy_text(c->doctor_name, sizeof c->doctor_name, st, 12);
	sqlite_copy_text(c->doctor_licence, sizeof c->doctor_licence, st, 13);
	c->is_demo = sqlite3_column_int(st, 14) != 0;
	c->updated_at = sqlite3_column_int64(st, 15);
	c->updated_by = sqlite3_column_int64(st, 16);
}

store_rc sqlite_clinic_get(store *s, int64_t id, clinic_profile *out)
{
	return sqlite_get_by_id(impl(s), "SELECT " CLINIC_COLUMNS " FROM clinics WHERE id = ?",
	                        id, read_clinic, out, "read clinic");
}

store_rc sqlite_clinic_put(store *s, const clinic_profile *c)
{
	sqlite_store *ss = impl(s);
	sqlite3_stmt *st = sqlite_prepare(
		ss, "UPDATE clinics SET name = ?, postal_code = ?, address = ?, phone = ?, hours = ?, email = ?,"
		    " bank_name = ?, bank_branch = ?, bank_account_type = ?, bank_account_number = ?, bank_account_holder = ?,"
		    " doctor_name = ?, doctor_licence = ?, is_demo = ?, updated_at = ?, updated_by = nullif(?, 0) WHERE id = ?");
	if (st == NULL)
		return STORE_ERROR;
	const char *texts[] = {c->name, c->postal_code, c->address, c->phone, c->hours, c->email, c->bank_name,
	                       c->bank_branch, c->bank_account_type, c->bank_account_number, c->bank_account_holder,
	                       c->doctor_name, c->doctor_licence};
	int i = 1;
	for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
		sqlite3_bind_text(st, i++, texts[k], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i++, c->is_demo ? 1 : 0);
	sqlite3_bind_int64(st, i++, c->updated_at);
	sqlite3_bind_int64(st, i++, c->updated_by);
	sqlite3_bind_int64(st, i++, c->id);
	store_rc rc = sqlite_step_done(ss, st, "update clinic");
	if (rc == STORE_OK && sqlite3_changes(ss->db) == 0)
		return STORE_NOT_FOUND;
	return rc;
}
