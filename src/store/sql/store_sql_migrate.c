/* exosafe migrate (store_migrate.h): one clinic's SQLite database into a shared PostgreSQL
 * database as a new clinic.
 *
 * The copy is driven by the source's own schema (its tables, columns and foreign keys), so a
 * table added by a later migration is copied without a change here; a column that looks like a
 * reference (…_id, …_by, …_of) but is neither a declared foreign key nor listed below stops the
 * migration, so a new reference is never copied unmapped. Rows get the target's numbers; every
 * reference is mapped through the id map, which is also kept in migrated_ids.
 *
 * Proof before COMMIT, per table: the rows read back from the target, their references mapped
 * back to the source's numbers, must give the source's row count and checksum (SHA-256 over
 * the sorted digests of the rows' canonical forms, so the order rows come back in does not
 * matter). The tables the target's triggers derive (recall recipients, signal pairs) are not
 * copied but compared the same way, which also proves the triggers rebuilt them alike. The
 * audit log is copied as the clinic's own chain (0019_audit_chains.sql) and verified there. */
#include <sodium.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit_chain.h"
#include "core/strbuf.h"
#include "store/sql/sql_store.h"
#include "store/store_migrate.h"

#define MAX_COLS 40

/* How a table is moved. */
typedef enum table_kind {
	TABLE_COPY,       /* the clinic's own rows: copied with new numbers */
	TABLE_MATCHED,    /* global rows (products, follow-up plans): found equal on the target, or added */
	TABLE_DERIVED,    /* maintained by triggers from other tables: compared, not copied */
	TABLE_CLINIC,     /* the clinic's row itself */
	TABLE_SKIPPED,    /* not data of the clinic (see skipped_tables) */
} table_kind;

/* Not moved: the schema's own bookkeeping, the id map, the audit log (moved as a chain, below),
 * and log-in throttling counters, which belong to no one and expire within the hour. */
static const char *const skipped_tables[] = {"schema_version", "migrated_ids", "audit_log", "login_failures", NULL};
/* Filled by the target's triggers as the rows they derive from are copied (0014, 0017, 0020). */
static const char *const derived_tables[] = {"recall_recipients", "ae_signal_pairs", "ae_signal_reports", NULL};

/* References the schema does not declare as foreign keys (derived tables carry none; the others
 * name a user of any role or 0 for the system, or came before their table had one). */
static const struct {
	const char *table, *column, *parent;
} undeclared_refs[] = {
	{"lot_transitions", "actor_id", "users"},     {"reading_imports", "imported_by", "users"},
	{"recall_tracking", "updated_by", "users"},
	{"recall_recipients", "lot_id", "lots"},      {"recall_recipients", "patient_id", "users"},
	{"recall_recipients", "order_id", "orders"},  {"recall_recipients", "dispense_id", "dispenses"},
	{"recall_recipients", "track_id", "recall_tracking"},
	{"ae_signal_pairs", "report_id", "ae_reports"}, {"ae_signal_pairs", "lot_id", "lots"},
	{"ae_signal_reports", "report_id", "ae_reports"},
	{NULL, NULL, NULL},
};
/* Columns named like references that hold something else: a consent document's and a
 * questionnaire's ids are names of files, the same on every installation; a shipment's logger
 * is the serial number printed on the carrier's data logger. */
static const struct {
	const char *table, *column;
} not_refs[] = {
	{"consent_acceptances", "consent_id"}, {"questionnaire_responses", "questionnaire_id"},
	{"shipments", "logger_id"}, {NULL, NULL},
};
/* Columns a matched row may differ in: when and by whom it was last changed. And one a derived
 * row holds renumbered where no id map reaches: ae_signal_reports' lot ids, a text list (0020);
 * the pairs it is made from are compared with their lot ids mapped (ae_signal_pairs). */
static const struct {
	const char *table, *column;
} unproven_columns[] = {
	{"products", "created_at"}, {"followup_plans", "updated_at"}, {"followup_plans", "updated_by"},
	{"clinics", "migrated_from"}, {"ae_signal_reports", "lot_ids"}, {NULL, NULL},
};

/* ---- id maps: old number -> new number and back, per table ---- */

typedef struct idmap {
	int64_t *keys, *values;   /* open addressing; key 0 is "empty" (ids start at 1) */
	size_t cap, n;
} idmap;

static int idmap_put(idmap *m, int64_t key, int64_t value)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		int64_t *keys = calloc(cap, sizeof *keys), *values = calloc(cap, sizeof *values);
		if (keys == NULL || values == NULL) {
			free(keys);
			free(values);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (m->keys[i] == 0)
				continue;
			size_t j = (size_t)((uint64_t)m->keys[i] * 0x9E3779B97F4A7C15ull) & (cap - 1);
			while (keys[j] != 0)
				j = (j + 1) & (cap - 1);
			keys[j] = m->keys[i];
			values[j] = m->values[i];
		}
		free(m->keys);
		free(m->values);
		m->keys = keys;
		m->values = values;
		m->cap = cap;
	}
	size_t j = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull) & (m->cap - 1);
	while (m->keys[j] != 0 && m->keys[j] != key)
		j = (j + 1) & (m->cap - 1);
	if (m->keys[j] == 0)
		m->n++;
	m->keys[j] = key;
	m->values[j] = value;
	return 0;
}

/* The value for key, or 0 when there is none. */
static int64_t idmap_get(const idmap *m, int64_t key)
{
	if (m->cap == 0 || key == 0)
		return 0;
	size_t j = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull) & (m->cap - 1);
	while (m->keys[j] != 0) {
		if (m->keys[j] == key)
			return m->values[j];
		j = (j + 1) & (m->cap - 1);
	}
	return 0;
}

static void idmap_free(idmap *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof *m);
}

/* ---- the source's schema ---- */

typedef struct table_meta {
	char name[64];
	table_kind kind;
	int ncols;
	char cols[MAX_COLS][64];
	char type[MAX_COLS];        /* 'I' integer, 'R' real, 'T' text, 'B' blob (declared) */
	int ref[MAX_COLS];          /* the referenced table's index, or -1 */
	bool unproven[MAX_COLS];
	int id_col;                 /* the INTEGER PRIMARY KEY "id", or -1 */
	int owner_col;              /* no id: the reference whose mapped rows select this table's rows */
	idmap to_new, to_old;
	migrate_table *report;
	bool done;
} table_meta;

typedef struct migration {
	sql_store *target;
	sqlite3 *src;
	table_meta tables[MIGRATE_MAX_TABLES];
	int ntables;
	int clinics;                 /* index of clinics */
	int64_t clinic_id;
	migrate_result *out;
	char *err;                   /* target->errmsg */
	size_t errlen;
} migration;

static bool in_list(const char *const *list, const char *name)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static int table_index(const migration *m, const char *name)
{
	for (int i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i].name, name) == 0)
			return i;
	return -1;
}

static migrate_rc failf(migration *m, migrate_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static migrate_rc failf(migration *m, migrate_rc rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->err, m->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static char declared_type(const char *decl)
{
	if (decl == NULL)
		return 'T';
	if (strstr(decl, "INT") != NULL || strstr(decl, "int") != NULL)
		return 'I';
	if (strstr(decl, "REAL") != NULL || strstr(decl, "real") != NULL)
		return 'R';
	if (strstr(decl, "BLOB") != NULL || strstr(decl, "blob") != NULL)
		return 'B';
	return 'T';
}

static bool looks_like_ref(const char *col)
{
	size_t n = strlen(col);
	return n > 3 && (strcmp(col + n - 3, "_id") == 0 || strcmp(col + n - 3, "_by") == 0 ||
	                 strcmp(col + n - 3, "_of") == 0);
}

static migrate_rc load_schema(migration *m)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->src, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	                                " ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return failf(m, MIGRATE_FAILED, "read the source's tables: %s", sqlite3_errmsg(m->src));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (m->ntables == MIGRATE_MAX_TABLES) {
			sqlite3_finalize(st);
			return failf(m, MIGRATE_FAILED, "the source has more tables than exosafe migrate knows");
		}
		table_meta *t = &m->tables[m->ntables++];
		memset(t, 0, sizeof *t);
		snprintf(t->name, sizeof t->name, "%s", (const char *)sqlite3_column_text(st, 0));
		t->id_col = t->owner_col = -1;
		t->kind = in_list(skipped_tables, t->name)          ? TABLE_SKIPPED
		          : in_list(derived_tables, t->name)        ? TABLE_DERIVED
		          : strcmp(t->name, "clinics") == 0         ? TABLE_CLINIC
		          : strcmp(t->name, "products") == 0 ||
		                    strcmp(t->name, "followup_plans") == 0 ? TABLE_MATCHED
		                                                     : TABLE_COPY;
	}
	sqlite3_finalize(st);
	m->clinics = table_index(m, "clinics");
	if (m->clinics < 0 || table_index(m, "audit_log") < 0)
		return failf(m, MIGRATE_REFUSED, "the source is not an exosafe database");

	for (int i = 0; i < m->ntables; i++) {
		table_meta *t = &m->tables[i];
		if (t->kind == TABLE_SKIPPED)
			continue;
		int pks = 0, id_pk = -1;
		if (sqlite3_prepare_v2(m->src, "SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid", -1, &st, NULL) != SQLITE_OK)
			return failf(m, MIGRATE_FAILED, "read the source's columns: %s", sqlite3_errmsg(m->src));
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (t->ncols == MAX_COLS) {
				sqlite3_finalize(st);
				return failf(m, MIGRATE_FAILED, "table %s has more columns than exosafe migrate knows", t->name);
			}
			int c = t->ncols++;
			snprintf(t->cols[c], sizeof t->cols[c], "%s", (const char *)sqlite3_column_text(st, 0));
			t->type[c] = declared_type((const char *)sqlite3_column_text(st, 1));
			t->ref[c] = -1;
			if (sqlite3_column_int(st, 2) > 0) {
				pks++;
				if (strcmp(t->cols[c], "id") == 0 && t->type[c] == 'I')
					id_pk = c;
			}
			for (int u = 0; unproven_columns[u].table != NULL; u++)
				if (strcmp(unproven_columns[u].table, t->name) == 0 && strcmp(unproven_columns[u].column, t->cols[c]) == 0)
					t->unproven[c] = true;
		}
		sqlite3_finalize(st);
		if (pks == 1 && id_pk >= 0)
			t->id_col = id_pk;
	}
	/* References: declared foreign keys, then the undeclared ones; anything else named like one
	 * stops here. */
	for (int i = 0; i < m->ntables; i++) {
		table_meta *t = &m->tables[i];
		if (t->kind == TABLE_SKIPPED)
			continue;
		if (sqlite3_prepare_v2(m->src, "SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?1)", -1, &st, NULL) != SQLITE_OK)
			return failf(m, MIGRATE_FAILED, "read the source's foreign keys: %s", sqlite3_errmsg(m->src));
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *from = (const char *)sqlite3_column_text(st, 0), *parent = (const char *)sqlite3_column_text(st, 1);
			for (int c = 0; c < t->ncols; c++)
				if (strcmp(t->cols[c], from) == 0)
					t->ref[c] = table_index(m, parent);
		}
		sqlite3_finalize(st);
		for (int r = 0; undeclared_refs[r].table != NULL; r++) {
			if (strcmp(undeclared_refs[r].table, t->name) != 0)
				continue;
			for (int c = 0; c < t->ncols; c++)
				if (strcmp(t->cols[c], undeclared_refs[r].column) == 0)
					t->ref[c] = table_index(m, undeclared_refs[r].parent);
		}
		for (int c = 0; c < t->ncols; c++) {
			if (t->ref[c] >= 0 || c == t->id_col || !looks_like_ref(t->cols[c]))
				continue;
			bool plain = false;
			for (int r = 0; not_refs[r].table != NULL; r++)
				plain |= strcmp(not_refs[r].table, t->name) == 0 && strcmp(not_refs[r].column, t->cols[c]) == 0;
			if (!plain) {
				char where[140];
				snprintf(where, sizeof where, "%s.%s", t->name, t->cols[c]);
				return failf(m, MIGRATE_FAILED, "exosafe migrate does not know what %s refers to; nothing was changed", where);
			}
		}
		if (t->id_col < 0)
			for (int c = 0; c < t->ncols && t->owner_col < 0; c++)
				if (t->ref[c] >= 0 && m->tables[t->ref[c]].id_col >= 0 && t->ref[c] != m->clinics)
					t->owner_col = c;
		if (t->id_col < 0 && t->owner_col < 0)
			return failf(m, MIGRATE_FAILED, "exosafe migrate cannot tell which rows of %s are the clinic's", t->name);
	}
	return MIGRATE_OK;
}

/* ---- canonical rows and checksums ---- */

typedef struct digests {
	unsigned char (*d)[crypto_hash_sha256_BYTES];
	size_t n, cap;
} digests;

static void put_field(crypto_hash_sha256_state *h, char tag, const void *data, size_t len)
{
	unsigned char head[9];
	head[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++)
		head[1 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	crypto_hash_sha256_update(h, head, sizeof head);
	if (len > 0)
		crypto_hash_sha256_update(h, data, len);
}

static void put_int(crypto_hash_sha256_state *h, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
	put_field(h, 'I', buf, (size_t)n);
}

static void put_real(crypto_hash_sha256_state *h, double v)
{
	char buf[40];
	int n = snprintf(buf, sizeof buf, "%.17g", v);
	put_field(h, 'R', buf, (size_t)n);
}

static int digests_add(digests *ds, crypto_hash_sha256_state *h)
{
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 256;
		void *d = realloc(ds->d, cap * sizeof *ds->d);
		if (d == NULL)
			return -1;
		ds->d = d;
		ds->cap = cap;
	}
	crypto_hash_sha256_final(h, ds->d[ds->n++]);
	return 0;
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, crypto_hash_sha256_BYTES);
}

static void digests_finish(digests *ds, char out[65])
{
	if (ds->n > 0)
		qsort(ds->d, ds->n, sizeof *ds->d, cmp_digest);
	unsigned char sum[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < ds->n; i++)
		crypto_hash_sha256_update(&h, ds->d[i], sizeof ds->d[i]);
	crypto_hash_sha256_final(&h, sum);
	sodium_bin2hex(out, 65, sum, sizeof sum);
	free(ds->d);
	memset(ds, 0, sizeof *ds);
}

/* Finishes ds into out when the table was read through (rc MIGRATE_OK), else only frees it. */
static void digests_end(digests *ds, migrate_rc rc, char out[65])
{
	if (rc == MIGRATE_OK) {
		digests_finish(ds, out);
	} else {
		free(ds->d);
		memset(ds, 0, sizeof *ds);
	}
}

/* A mail's dedupe key names rows by number (service/mail_events.c, followup.c,
 * coldchain_alarm.c): "kind:N[:M…]". Its numbers are mapped as the rows are, so the target's
 * jobs do not send a mail the source already queued, nor skip one for a row that merely got
 * the same number. The list gives each kind's fields' tables ("" a field that is no number). */
static const struct {
	const char *kind;
	const char *fields[3];
} dedupe_kinds[] = {
	{"booking_confirmation", {"bookings"}},
	{"booking_reminder", {"bookings", ""}},
	{"treatment_decision", {"treatment_decisions"}},
	{"order_payment", {"orders"}},
	{"order_shipped", {"orders"}},
	{"recall", {"lots", "recall_tracking"}},
	{"consent_updated", {"", "", "users"}},
	{"checkin_due", {"checkins"}},
	{"checkin_reminder", {"checkins"}},
	{"coldchain_excursion", {"coldchain_alerts", "users"}},
	{"coldchain_recovered", {"coldchain_alerts", "users"}},
	{"coldchain_silent", {"logger_silences", "users"}},
	{NULL, {NULL}},
};

/* The dedupe key key with its numbers mapped (to_new) or mapped back; false when a number has
 * no mapping or the kind is unknown (the key is then kept as it was, prefixed on the way in so
 * it can clash with nothing of the target's). */
static bool map_dedupe_key(const migration *m, const char *key, bool to_new, char *out, size_t outlen)
{
	char copy[256];
	snprintf(copy, sizeof copy, "%s", key);
	char *save = NULL, *kind = strtok_r(copy, ":", &save);
	if (kind == NULL)
		return false;
	int k = 0;
	while (dedupe_kinds[k].kind != NULL && strcmp(dedupe_kinds[k].kind, kind) != 0)
		k++;
	if (dedupe_kinds[k].kind == NULL)
		return false;
	strbuf b = {0};
	strbuf_puts(&b, kind);
	char *field;
	for (int f = 0; (field = strtok_r(NULL, ":", &save)) != NULL; f++) {
		const char *table = f < 3 ? dedupe_kinds[k].fields[f] : NULL;
		strbuf_puts(&b, ":");
		if (table == NULL || table[0] == '\0') {
			strbuf_puts(&b, field);
			continue;
		}
		int ti = table_index(m, table);
		char *end;
		long long n = strtoll(field, &end, 10);
		int64_t mapped = ti < 0 || *end != '\0' ? 0
		                 : idmap_get(to_new ? &m->tables[ti].to_new : &m->tables[ti].to_old, (int64_t)n);
		if (mapped == 0) {
			free(strbuf_finish(&b));
			return false;
		}
		char num[24];
		snprintf(num, sizeof num, "%lld", (long long)mapped);
		strbuf_puts(&b, num);
	}
	char *text = strbuf_finish(&b);
	if (text == NULL)
		return false;
	snprintf(out, outlen, "%s", text);
	free(text);
	return true;
}

/* ---- reading the source ---- */

/* The SELECT of every column of t, in a stable order. */
static char *select_sql(const table_meta *t, const char *where)
{
	strbuf b = {0};
	strbuf_puts(&b, "SELECT ");
	for (int c = 0; c < t->ncols; c++) {
		strbuf_puts(&b, c ? ", \"" : "\"");
		strbuf_puts(&b, t->cols[c]);
		strbuf_puts(&b, "\"");
	}
	strbuf_puts(&b, " FROM \"");
	strbuf_puts(&b, t->name);
	strbuf_puts(&b, "\"");
	if (where != NULL)
		strbuf_puts(&b, where);
	return strbuf_finish(&b);
}

/* Digest of a source row: every proven column as stored. */
static void hash_source_row(const table_meta *t, sqlite3_stmt *st, crypto_hash_sha256_state *h)
{
	crypto_hash_sha256_init(h);
	for (int c = 0; c < t->ncols; c++) {
		if (t->unproven[c])
			continue;
		if (sqlite3_column_type(st, c) == SQLITE_NULL) {
			put_field(h, 'N', NULL, 0);
			continue;
		}
		switch (t->type[c]) {
		case 'I': put_int(h, sqlite3_column_int64(st, c)); break;
		case 'R': put_real(h, sqlite3_column_double(st, c)); break;
		case 'B': put_field(h, 'B', sqlite3_column_blob(st, c), (size_t)sqlite3_column_bytes(st, c)); break;
		default: put_field(h, 'T', sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c)); break;
		}
	}
}

/* ---- writing the target ---- */

/* The target refused or failed a statement about table (the source's row old_id, 0: none):
 * a constraint or bad value is a refusal of this source; the server going away a failure. */
static migrate_rc target_fail(migration *m, const char *table, int64_t old_id)
{
	const char *why = sqldb_errmsg(m->target->sql);
	if (old_id != 0)
		failf(m, MIGRATE_FAILED, "%s row %lld: %s; nothing was changed", table, (long long)old_id, why);
	else
		failf(m, MIGRATE_FAILED, "%s: %s; nothing was changed", table, why);
	return sqldb_last_fault(m->target->sql) == SQLDB_FAULT_OTHER ? MIGRATE_REFUSED : MIGRATE_FAILED;
}

static migrate_rc record_id(migration *m, table_meta *t, int64_t old_id, int64_t new_id)
{
	if (idmap_put(&t->to_new, old_id, new_id) != 0 || idmap_put(&t->to_old, new_id, old_id) != 0)
		return failf(m, MIGRATE_FAILED, "out of memory");
	sqldb_stmt *st = sqldb_prepare(m->target->sql, "INSERT INTO migrated_ids (clinic_id, table_name, old_id, new_id)"
	                                                " VALUES (?1, ?2, ?3, ?4)");
	if (st == NULL)
		return target_fail(m, "migrated_ids", 0);
	sqldb_bind_int64(st, 1, m->clinic_id);
	sqldb_bind_text(st, 2, t->name);
	sqldb_bind_int64(st, 3, old_id);
	sqldb_bind_int64(st, 4, new_id);
	sqldb_rc rc = sqldb_step(st);
	sqldb_release(st);
	return rc == SQLDB_DONE ? MIGRATE_OK : target_fail(m, "migrated_ids", old_id);
}

/* Binds the source row's column c to target parameter c + 1, a reference mapped; false (with
 * the message) when a reference has no row on the target. keybuf holds a mapped dedupe key
 * until the statement is stepped. */
static bool bind_value(migration *m, const table_meta *t, sqlite3_stmt *src, int c, sqldb_stmt *dst, char *keybuf,
                       size_t keylen)
{
	int p = c + 1;
	if (sqlite3_column_type(src, c) == SQLITE_NULL) {
		sqldb_bind_null(dst, p);
		return true;
	}
	if (t->ref[c] >= 0) {
		int64_t old = sqlite3_column_int64(src, c);
		/* 0 is the system (an actor column), never a row. */
		int64_t mapped = old == 0 ? 0 : idmap_get(&m->tables[t->ref[c]].to_new, old);
		if (old != 0 && mapped == 0) {
			char what[200];
			snprintf(what, sizeof what, "%s.%s = %lld", t->name, t->cols[c], (long long)old);
			failf(m, MIGRATE_FAILED, "%s names a %s row the source does not have; nothing was changed", what,
			      m->tables[t->ref[c]].name);
			return false;
		}
		sqldb_bind_int64(dst, p, mapped);
		return true;
	}
	if (strcmp(t->name, "mail_outbox") == 0 && strcmp(t->cols[c], "dedupe_key") == 0) {
		const char *key = (const char *)sqlite3_column_text(src, c);
		if (!map_dedupe_key(m, key, true, keybuf, keylen))
			snprintf(keybuf, keylen, "migrated:%lld:%s", (long long)m->clinic_id, key);
		sqldb_bind_text(dst, p, keybuf);
		return true;
	}
	switch (t->type[c]) {
	case 'I': sqldb_bind_int64(dst, p, sqlite3_column_int64(src, c)); break;
	case 'R': sqldb_bind_double(dst, p, sqlite3_column_double(src, c)); break;
	case 'B': sqldb_bind_blob(dst, p, sqlite3_column_blob(src, c), (size_t)sqlite3_column_bytes(src, c)); break;
	default: sqldb_bind_text(dst, p, (const char *)sqlite3_column_text(src, c)); break;
	}
	return true;
}

/* INSERT INTO t (every column but id) VALUES (?…) [RETURNING id]: parameter c + 1 is column c,
 * so the id's parameter is simply never bound. */
static char *insert_sql(const table_meta *t)
{
	strbuf b = {0};
	strbuf_puts(&b, "INSERT INTO \"");
	strbuf_puts(&b, t->name);
	strbuf_puts(&b, "\" (");
	bool first = true;
	for (int c = 0; c < t->ncols; c++) {
		if (c == t->id_col)
			continue;
		strbuf_puts(&b, first ? "\"" : ", \"");
		strbuf_puts(&b, t->cols[c]);
		strbuf_puts(&b, "\"");
		first = false;
	}
	strbuf_puts(&b, ") VALUES (");
	first = true;
	for (int c = 0; c < t->ncols; c++) {
		if (c == t->id_col)
			continue;
		char param[16];
		snprintf(param, sizeof param, "%s?%d", first ? "" : ", ", c + 1);
		strbuf_puts(&b, param);
		first = false;
	}
	strbuf_puts(&b, t->id_col >= 0 ? ") RETURNING id" : ")");
	return strbuf_finish(&b);
}

/* Steps an INSERT … RETURNING id (new_id set) or a plain INSERT (new_id NULL). */
static bool step_insert(sqldb_stmt *st, int64_t *new_id)
{
	sqldb_rc rc = sqldb_step(st);
	if (new_id != NULL) {
		if (rc != SQLDB_ROW)
			return false;
		*new_id = sqldb_column_int64(st, 0);
		rc = sqldb_step(st);
	}
	return rc == SQLDB_DONE;
}

/* A product or follow-up plan of the source: the target's equal row when it has one (found by
 * code, or by the product), else the row is added; a row that differs stops the migration. */
static migrate_rc match_global(migration *m, table_meta *t, sqlite3_stmt *src, int64_t *existing)
{
	*existing = 0;
	const char *key_col = strcmp(t->name, "products") == 0 ? "code" : "product_id";
	int kc = -1;
	for (int c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c], key_col) == 0)
			kc = c;
	if (kc < 0)
		return failf(m, MIGRATE_FAILED, "%s has no column %s", t->name, key_col);
	char where[96];
	snprintf(where, sizeof where, " WHERE \"%s\" = ?1", key_col);
	char *sql = select_sql(t, where);
	sqldb_stmt *st = sql ? sqldb_prepare(m->target->sql, sql) : NULL;
	free(sql);
	if (st == NULL)
		return target_fail(m, t->name, 0);
	if (t->type[kc] == 'I')
		sqldb_bind_int64(st, 1, t->ref[kc] >= 0 ? idmap_get(&m->tables[t->ref[kc]].to_new, sqlite3_column_int64(src, kc))
		                                         : sqlite3_column_int64(src, kc));
	else
		sqldb_bind_text(st, 1, (const char *)sqlite3_column_text(src, kc));
	sqldb_rc rc = sqldb_step(st);
	if (rc == SQLDB_DONE) {
		sqldb_release(st);
		return MIGRATE_OK;
	}
	if (rc != SQLDB_ROW) {
		sqldb_release(st);
		return target_fail(m, t->name, 0);
	}
	const char *label = (const char *)sqlite3_column_text(src, kc);
	for (int c = 0; c < t->ncols; c++) {
		if (t->unproven[c] || c == t->id_col)
			continue;
		bool same;
		bool snull = sqlite3_column_type(src, c) == SQLITE_NULL, tnull = sqldb_column_is_null(st, c);
		if (snull || tnull)
			same = snull && tnull;
		else if (t->ref[c] >= 0)
			same = idmap_get(&m->tables[t->ref[c]].to_new, sqlite3_column_int64(src, c)) == sqldb_column_int64(st, c);
		else if (t->type[c] == 'I')
			same = sqlite3_column_int64(src, c) == sqldb_column_int64(st, c);
		else if (t->type[c] == 'R')
			same = sqlite3_column_double(src, c) == sqldb_column_double(st, c);
		else
			same = strcmp((const char *)sqlite3_column_text(src, c), sqldb_column_text(st, c)) == 0;
		if (!same) {
			char what[200];
			snprintf(what, sizeof what, "%s %s: %s", t->name, label, t->cols[c]);
			sqldb_release(st);
			return failf(m, MIGRATE_REFUSED,
			             "%s differs between the source and the target, and it is shared by every clinic of the"
			             " target: make them equal on one side first; nothing was changed", what);
		}
	}
	*existing = t->id_col >= 0 ? sqldb_column_int64(st, t->id_col) : -1;
	sqldb_release(st);
	return MIGRATE_OK;
}

/* Copies t's rows to the target (a matched table's: found there, or added) with the digests of the
 * source's side; a derived table's rows are only digested. */
static migrate_rc copy_table(migration *m, table_meta *t)
{
	/* A derived table is only read: the target's triggers made its rows from the copied ones. */
	bool write = t->kind != TABLE_DERIVED;
	char *sel = select_sql(t, t->id_col >= 0 ? " ORDER BY id" : NULL);
	char *ins = write ? insert_sql(t) : NULL;
	sqlite3_stmt *src = NULL;
	migrate_rc result = MIGRATE_OK;
	digests ds = {0};
	if (sel == NULL || (write && ins == NULL) || sqlite3_prepare_v2(m->src, sel, -1, &src, NULL) != SQLITE_OK) {
		result = failf(m, MIGRATE_FAILED, "read %s from the source: %s", t->name, sqlite3_errmsg(m->src));
		goto done;
	}
	int step;
	while ((step = sqlite3_step(src)) == SQLITE_ROW) {
		crypto_hash_sha256_state h;
		hash_source_row(t, src, &h);
		if (digests_add(&ds, &h) != 0) {
			result = failf(m, MIGRATE_FAILED, "out of memory");
			goto done;
		}
		t->report->source_rows++;
		if (!write)
			continue;
		int64_t old_id = t->id_col >= 0 ? sqlite3_column_int64(src, t->id_col) : 0;
		if (t->kind == TABLE_MATCHED) {
			int64_t existing;
			if ((result = match_global(m, t, src, &existing)) != MIGRATE_OK)
				goto done;
			if (existing > 0 && (result = record_id(m, t, old_id, existing)) != MIGRATE_OK)
				goto done;
			if (existing != 0)
				continue;
		}
		sqldb_stmt *st = sqldb_prepare(m->target->sql, ins);
		if (st == NULL) {
			result = target_fail(m, t->name, old_id);
			goto done;
		}
		char keybuf[300];
		bool bound = true;
		for (int c = 0; c < t->ncols && bound; c++)
			if (c != t->id_col)
				bound = bind_value(m, t, src, c, st, keybuf, sizeof keybuf);
		if (!bound) {
			sqldb_release(st);
			result = MIGRATE_FAILED;
			goto done;
		}
		int64_t new_id = 0;
		bool ok = step_insert(st, t->id_col >= 0 ? &new_id : NULL);
		sqldb_release(st);
		if (!ok) {
			result = target_fail(m, t->name, old_id);
			goto done;
		}
		if (t->id_col >= 0 && (result = record_id(m, t, old_id, new_id)) != MIGRATE_OK)
			goto done;
	}
	if (step != SQLITE_DONE)
		result = failf(m, MIGRATE_FAILED, "read %s from the source: %s", t->name, sqlite3_errmsg(m->src));
done:
	digests_end(&ds, result, t->report->source_sum);
	sqlite3_finalize(src);
	free(sel);
	free(ins);
	return result;
}

/* The target's side of the proof: the clinic's rows of t read back (by its own mapped ids, or
 * its owner reference's), references mapped back to the source's numbers. */
static migrate_rc hash_target_table(migration *m, table_meta *t)
{
	char where[200];
	int key_col = t->id_col >= 0 ? t->id_col : t->owner_col;
	const table_meta *keyed = t->id_col >= 0 ? t : &m->tables[t->ref[t->owner_col]];
	snprintf(where, sizeof where, " WHERE \"%s\" IN (SELECT new_id FROM migrated_ids WHERE clinic_id = ?1 AND table_name = ?2)",
	         t->cols[key_col]);
	char *sql = select_sql(t, where);
	sqldb_stmt *st = sql ? sqldb_prepare(m->target->sql, sql) : NULL;
	free(sql);
	if (st == NULL)
		return target_fail(m, t->name, 0);
	sqldb_bind_int64(st, 1, m->clinic_id);
	sqldb_bind_text(st, 2, keyed->name);
	digests ds = {0};
	sqldb_rc rc;
	migrate_rc result = MIGRATE_OK;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		crypto_hash_sha256_state h;
		crypto_hash_sha256_init(&h);
		for (int c = 0; c < t->ncols; c++) {
			if (t->unproven[c])
				continue;
			if (sqldb_column_is_null(st, c)) {
				put_field(&h, 'N', NULL, 0);
				continue;
			}
			const table_meta *to = c == t->id_col ? t : t->ref[c] >= 0 ? &m->tables[t->ref[c]] : NULL;
			if (to != NULL) {
				int64_t v = sqldb_column_int64(st, c);
				/* Unmapped (a row that is not the clinic's) shows as -1: it cannot match. */
				put_int(&h, v == 0 ? 0 : idmap_get(&to->to_old, v) ? idmap_get(&to->to_old, v) : -1);
				continue;
			}
			if (strcmp(t->name, "mail_outbox") == 0 && strcmp(t->cols[c], "dedupe_key") == 0) {
				char back[300], prefix[40];
				const char *key = sqldb_column_text(st, c);
				snprintf(prefix, sizeof prefix, "migrated:%lld:", (long long)m->clinic_id);
				if (strncmp(key, prefix, strlen(prefix)) == 0)
					snprintf(back, sizeof back, "%s", key + strlen(prefix));
				else if (!map_dedupe_key(m, key, false, back, sizeof back))
					snprintf(back, sizeof back, "unmapped:%s", key);
				put_field(&h, 'T', back, strlen(back));
				continue;
			}
			size_t len = 0;
			const void *blob;
			switch (t->type[c]) {
			case 'I': put_int(&h, sqldb_column_int64(st, c)); break;
			case 'R': put_real(&h, sqldb_column_double(st, c)); break;
			case 'B':
				blob = sqldb_column_blob(st, c, &len);
				put_field(&h, 'B', blob, len);
				break;
			default: {
				const char *text = sqldb_column_text(st, c);
				put_field(&h, 'T', text, strlen(text));
			}
			}
		}
		if (digests_add(&ds, &h) != 0) {
			result = failf(m, MIGRATE_FAILED, "out of memory");
			break;
		}
		t->report->target_rows++;
	}
	if (result == MIGRATE_OK && rc != SQLDB_DONE)
		result = target_fail(m, t->name, 0);
	sqldb_release(st);
	digests_end(&ds, result, t->report->target_sum);
	return result;
}

/* ---- the clinic, the audit chain ---- */

static migrate_rc source_checks(migration *m)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->src,
	                       "SELECT (SELECT count(*) FROM clinics), (SELECT count(*) FROM users WHERE clinic_id IS NULL),"
	                       " (SELECT count(*) FROM audit_log WHERE chain <> 0),"
	                       " (SELECT hash FROM audit_log WHERE chain = 0 AND seq = 1)",
	                       -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return failf(m, MIGRATE_FAILED, "read the source: %s", sqlite3_errmsg(m->src));
	}
	int64_t clinics = sqlite3_column_int64(st, 0), officers = sqlite3_column_int64(st, 1),
	        foreign = sqlite3_column_int64(st, 2);
	const char *genesis = (const char *)sqlite3_column_text(st, 3);
	snprintf(m->out->genesis, sizeof m->out->genesis, "%s", genesis ? genesis : "");
	sqlite3_finalize(st);
	if (clinics != 1)
		return failf(m, MIGRATE_REFUSED, "the source holds more than one clinic; exosafe migrate moves a one-clinic"
		                                 " database; nothing was changed");
	if (officers != 0)
		return failf(m, MIGRATE_REFUSED, "the source has safety officer accounts, which belong to no clinic; a"
		                                 " registry's officers are added on the target itself; nothing was changed");
	if (foreign != 0)
		return failf(m, MIGRATE_REFUSED, "the source's audit log holds migrated chains; nothing was changed");
	if (strlen(m->out->genesis) != 64)
		return failf(m, MIGRATE_REFUSED, "the source's audit log is empty, so nothing identifies it; nothing was"
		                                 " changed");
	return MIGRATE_OK;
}

/* The source's audit chain verified before anything moves: a broken chain is evidence of
 * tampering to be looked into where it happened, not carried into the shared database. */
static migrate_rc verify_source_chain(migration *m)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->src, "SELECT seq, at, actor_id, actor_role, action, object, detail, prev_hash, hash"
	                                " FROM audit_log WHERE chain = 0 ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return failf(m, MIGRATE_FAILED, "read the source's audit log: %s", sqlite3_errmsg(m->src));
	audit_verifier v;
	audit_verifier_init(&v);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		audit_row r = {.id = sqlite3_column_int64(st, 0), .at = sqlite3_column_int64(st, 1),
		               .actor_id = sqlite3_column_int64(st, 2)};
		char *const fields[] = {r.actor_role, r.action, r.object, r.detail, r.prev_hash, r.hash};
		const size_t sizes[] = {sizeof r.actor_role, sizeof r.action, sizeof r.object, sizeof r.detail,
		                        sizeof r.prev_hash, sizeof r.hash};
		for (int f = 0; f < 6; f++) {
			const unsigned char *text = sqlite3_column_text(st, 3 + f);
			snprintf(fields[f], sizes[f], "%s", text ? (const char *)text : "");
		}
		if (!audit_verifier_feed(&v, &r))
			break;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return failf(m, MIGRATE_FAILED, "read the source's audit log: %s", sqlite3_errmsg(m->src));
	if (v.broken)
		return failf(m, MIGRATE_REFUSED, "the source's audit log is broken at row %lld (%s): exosafe audit verify"
		             " --db on it shows the same; nothing was changed", (long long)v.broken_id, v.reason);
	return MIGRATE_OK;
}

/* The new clinic's row: the source's clinic details, updated_by set once users are copied. */
static migrate_rc insert_clinic(migration *m, const char *name)
{
	table_meta *t = &m->tables[m->clinics];
	char *sel = select_sql(t, NULL), *ins = NULL;
	sqlite3_stmt *src = NULL;
	migrate_rc result = MIGRATE_OK;
	digests ds = {0};
	if (sel == NULL || sqlite3_prepare_v2(m->src, sel, -1, &src, NULL) != SQLITE_OK || sqlite3_step(src) != SQLITE_ROW) {
		result = failf(m, MIGRATE_FAILED, "read the source's clinic: %s", sqlite3_errmsg(m->src));
		goto done;
	}
	crypto_hash_sha256_state h;
	hash_source_row(t, src, &h);
	if (digests_add(&ds, &h) != 0) {
		result = failf(m, MIGRATE_FAILED, "out of memory");
		goto done;
	}
	t->report->source_rows = 1;
	ins = insert_sql(t);
	sqldb_stmt *st = ins ? sqldb_prepare(m->target->sql, ins) : NULL;
	if (st == NULL) {
		result = target_fail(m, "clinics", 0);
		goto done;
	}
	int name_col = -1;
	for (int c = 0; c < t->ncols; c++) {
		if (c == t->id_col)
			continue;
		if (strcmp(t->cols[c], "name") == 0)
			name_col = c;
		if (strcmp(t->cols[c], "migrated_from") == 0)
			sqldb_bind_text(st, c + 1, m->out->genesis);
		else if (t->ref[c] >= 0)   /* updated_by: its user is not there yet */
			sqldb_bind_null(st, c + 1);
		else {
			char keybuf[8];
			bind_value(m, t, src, c, st, keybuf, sizeof keybuf);
		}
	}
	const char *source_name = name_col >= 0 ? (const char *)sqlite3_column_text(src, name_col) : NULL;
	const char *use = name != NULL ? name : source_name;
	if (use == NULL || use[0] == '\0') {
		sqldb_release(st);
		result = failf(m, MIGRATE_REFUSED, "the source's clinic has no name: give one with --name; nothing was"
		                                   " changed");
		goto done;
	}
	snprintf(m->out->clinic_name, sizeof m->out->clinic_name, "%s", use);
	if (name_col >= 0)
		sqldb_bind_text(st, name_col + 1, m->out->clinic_name);
	int64_t id = 0;
	bool ok = step_insert(st, &id);
	sqldb_release(st);
	if (!ok) {
		result = target_fail(m, "clinics", 0);
		goto done;
	}
	m->clinic_id = m->out->clinic_id = id;
	result = record_id(m, t, sqlite3_column_int64(src, t->id_col), id);
done:
	digests_end(&ds, result, t->report->source_sum);
	sqlite3_finalize(src);
	free(sel);
	free(ins);
	return result;
}

/* clinics.updated_by and the clinic's name as given: the row then equals the source's but for
 * its name (when --name was given) and migrated_from. */
static migrate_rc finish_clinic(migration *m)
{
	sqlite3_stmt *src = NULL;
	int64_t updated_by = 0;
	if (sqlite3_prepare_v2(m->src, "SELECT coalesce(updated_by, 0) FROM clinics", -1, &src, NULL) == SQLITE_OK &&
	    sqlite3_step(src) == SQLITE_ROW)
		updated_by = sqlite3_column_int64(src, 0);
	sqlite3_finalize(src);
	if (updated_by == 0)
		return MIGRATE_OK;
	int users = table_index(m, "users");
	sqldb_stmt *st = sqldb_prepare(m->target->sql, "UPDATE clinics SET updated_by = ?1 WHERE id = ?2");
	if (st == NULL)
		return target_fail(m, "clinics", 0);
	sqldb_bind_int64(st, 1, idmap_get(&m->tables[users].to_new, updated_by));
	sqldb_bind_int64(st, 2, m->clinic_id);
	sqldb_rc rc = sqldb_step(st);
	sqldb_release(st);
	return rc == SQLDB_DONE ? MIGRATE_OK : target_fail(m, "clinics", 0);
}

/* An audit row's object ("kind:N") as numbered on the target: the kinds that name rows are
 * service_audit's and accounts.c's. An unknown kind or text object stays as it was; a number
 * with no row here becomes 0, which names nothing. */
static const struct {
	const char *kind, *table;
} object_kinds[] = {
	{"patient", "users"}, {"user", "users"}, {"doctor", "users"}, {"booking", "bookings"}, {"order", "orders"},
	{"lot", "lots"}, {"product", "products"}, {"slot", "consultation_slots"}, {"unit", "storage_units"},
	{"logger", "loggers"}, {"ae", "ae_reports"}, {"recall_tracking", "recall_tracking"}, {"clinic", "clinics"},
	{"checkin", "checkins"}, {"decision", "treatment_decisions"}, {"dispense", "dispenses"},
	{"shipment", "shipments"}, {NULL, NULL},
};

static void map_object(const migration *m, const char *object, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", object);
	const char *colon = strchr(object, ':');
	if (colon == NULL)
		return;
	char *end;
	long long n = strtoll(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1)
		return;
	for (int k = 0; object_kinds[k].kind != NULL; k++) {
		if (strlen(object_kinds[k].kind) != (size_t)(colon - object) ||
		    strncmp(object_kinds[k].kind, object, (size_t)(colon - object)) != 0)
			continue;
		int ti = table_index(m, object_kinds[k].table);
		int64_t mapped = ti < 0 ? 0 : idmap_get(&m->tables[ti].to_new, (int64_t)n);
		snprintf(out, outlen, "%s:%lld", object_kinds[k].kind, (long long)mapped);
		return;
	}
}

static migrate_rc copy_audit(migration *m)
{
	sqlite3_stmt *src = NULL;
	if (sqlite3_prepare_v2(m->src, "SELECT seq, at, actor_id, actor_role, action, object, detail, prev_hash, hash"
	                                " FROM audit_log WHERE chain = 0 ORDER BY seq", -1, &src, NULL) != SQLITE_OK)
		return failf(m, MIGRATE_FAILED, "read the source's audit log: %s", sqlite3_errmsg(m->src));
	sqldb_stmt *st = sqldb_prepare(m->target->sql, "SELECT coalesce(max(id), 0) FROM audit_log");
	int64_t next_id = 0;
	bool read = st != NULL && sqldb_step(st) == SQLDB_ROW;
	if (read)
		next_id = sqldb_column_int64(st, 0);
	sqldb_release(st);
	if (!read) {
		sqlite3_finalize(src);
		return target_fail(m, "audit_log", 0);
	}
	int users = table_index(m, "users");
	migrate_rc result = MIGRATE_OK;
	int step;
	while ((step = sqlite3_step(src)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(src, 0), actor = sqlite3_column_int64(src, 2);
		const char *object = (const char *)sqlite3_column_text(src, 5);
		int64_t actor_now = actor == 0 ? 0 : idmap_get(&m->tables[users].to_new, actor);
		char object_now[160];
		map_object(m, object, object_now, sizeof object_now);
		st = sqldb_prepare(m->target->sql,
		                   "INSERT INTO audit_log (id, at, actor_id, actor_role, action, object, detail, prev_hash, hash,"
		                   " chain, seq, orig_actor_id, orig_object) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
		if (st == NULL) {
			result = target_fail(m, "audit_log", seq);
			break;
		}
		sqldb_bind_int64(st, 1, ++next_id);
		sqldb_bind_int64(st, 2, sqlite3_column_int64(src, 1));
		sqldb_bind_int64(st, 3, actor_now);
		for (int c = 3; c <= 4; c++)
			sqldb_bind_text(st, c + 1, (const char *)sqlite3_column_text(src, c));
		sqldb_bind_text(st, 6, object_now);
		for (int c = 6; c <= 8; c++)
			sqldb_bind_text(st, c + 1, (const char *)sqlite3_column_text(src, c));
		sqldb_bind_int64(st, 10, m->clinic_id);
		sqldb_bind_int64(st, 11, seq);
		if (actor_now != actor)
			sqldb_bind_int64(st, 12, actor);
		else
			sqldb_bind_null(st, 12);
		sqldb_bind_text(st, 13, strcmp(object_now, object) != 0 ? object : NULL);
		bool ok = step_insert(st, NULL);
		sqldb_release(st);
		if (!ok) {
			result = target_fail(m, "audit_log", seq);
			break;
		}
		m->out->audit_rows++;
	}
	if (result == MIGRATE_OK && step != SQLITE_DONE)
		result = failf(m, MIGRATE_FAILED, "read the source's audit log: %s", sqlite3_errmsg(m->src));
	sqlite3_finalize(src);
	return result;
}

/* The migrated chain read back from the target and verified as `exosafe audit verify` does. */
static migrate_rc verify_audit(migration *m)
{
	sqldb_stmt *st = sqldb_prepare(m->target->sql,
	                               "SELECT seq, at, coalesce(orig_actor_id, actor_id), actor_role, action,"
	                               " coalesce(orig_object, object), detail, prev_hash, hash FROM audit_log"
	                               " WHERE chain = ?1 ORDER BY seq");
	if (st == NULL)
		return target_fail(m, "audit_log", 0);
	sqldb_bind_int64(st, 1, m->clinic_id);
	audit_verifier v;
	audit_verifier_init(&v);
	sqldb_rc rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		audit_row r = {.chain = m->clinic_id};
		r.id = sqldb_column_int64(st, 0);
		r.at = sqldb_column_int64(st, 1);
		r.actor_id = sqldb_column_int64(st, 2);
		sql_copy_text(r.actor_role, sizeof r.actor_role, st, 3);
		sql_copy_text(r.action, sizeof r.action, st, 4);
		sql_copy_text(r.object, sizeof r.object, st, 5);
		sql_copy_text(r.detail, sizeof r.detail, st, 6);
		sql_copy_text(r.prev_hash, sizeof r.prev_hash, st, 7);
		sql_copy_text(r.hash, sizeof r.hash, st, 8);
		audit_verifier_feed(&v, &r);
	}
	sqldb_release(st);
	if (rc != SQLDB_DONE)
		return target_fail(m, "audit_log", 0);
	if (v.broken) {
		char row[32];
		snprintf(row, sizeof row, "%lld", (long long)v.broken_id);
		return failf(m, MIGRATE_FAILED, "the audit chain copied to the target does not verify at its row %s: %s", row,
		             v.reason);
	}
	if (v.rows_checked != m->out->audit_rows)
		return failf(m, MIGRATE_FAILED, "the audit chain on the target does not have the source's rows");
	return MIGRATE_OK;
}

/* Rows the target keeps unique across clinics: the same e-mail cannot sign in to two clinics,
 * and a logger's code identifies the device that posts readings. Named before anything is
 * written, with what to do. */
static migrate_rc check_clashes(migration *m)
{
	static const struct {
		const char *source_sql, *target_sql;
	} unique[] = {
		{"SELECT email FROM users ORDER BY id", "SELECT coalesce(clinic_id, 0) FROM users WHERE email = ?1"},
		{"SELECT code FROM loggers ORDER BY id", "SELECT coalesce((SELECT clinic_id FROM storage_units su WHERE su.id = l.unit_id), 0)"
		 " FROM loggers l WHERE code = ?1"},
	};
	for (size_t u = 0; u < sizeof unique / sizeof unique[0]; u++) {
		sqlite3_stmt *src;
		if (sqlite3_prepare_v2(m->src, unique[u].source_sql, -1, &src, NULL) != SQLITE_OK)
			return failf(m, MIGRATE_FAILED, "read the source: %s", sqlite3_errmsg(m->src));
		migrate_rc rc = MIGRATE_OK;
		while (rc == MIGRATE_OK && sqlite3_step(src) == SQLITE_ROW) {
			const char *value = (const char *)sqlite3_column_text(src, 0);
			sqldb_stmt *st = sqldb_prepare(m->target->sql, unique[u].target_sql);
			if (st == NULL) {
				rc = target_fail(m, "users", 0);
				break;
			}
			sqldb_bind_text(st, 1, value);
			sqldb_rc step = sqldb_step(st);
			long long clinic = step == SQLDB_ROW ? (long long)sqldb_column_int64(st, 0) : 0;
			if (step == SQLDB_ROW && u == 0)
				rc = failf(m, MIGRATE_REFUSED, "the e-mail %s is already an account on the target (clinic %lld): one"
				           " address signs in to one clinic; change it in the source first; nothing was changed", value, clinic);
			else if (step == SQLDB_ROW)
				rc = failf(m, MIGRATE_REFUSED, "the logger code %s is already registered on the target (clinic %lld);"
				           " change it in the source first; nothing was changed", value, clinic);
			else if (step != SQLDB_DONE)
				rc = target_fail(m, "users", 0);
			sqldb_release(st);
		}
		sqlite3_finalize(src);
		if (rc != MIGRATE_OK)
			return rc;
	}
	return MIGRATE_OK;
}

/* A product both databases have keeps the target's follow-up plan for every clinic: the source
 * must have had the same (match_global checked it when it had one), not none, or its patients
 * would start getting check-ins their clinic never planned. */
static migrate_rc check_shared_plans(migration *m)
{
	sqldb_stmt *st = sqldb_prepare(m->target->sql,
	                               "SELECT p.code FROM followup_plans f JOIN products p ON p.id = f.product_id"
	                               " WHERE f.product_id IN (SELECT new_id FROM migrated_ids WHERE clinic_id = ?1 AND table_name = 'products')");
	if (st == NULL)
		return target_fail(m, "followup_plans", 0);
	sqldb_bind_int64(st, 1, m->clinic_id);
	migrate_rc rc = MIGRATE_OK;
	sqldb_rc step;
	while (rc == MIGRATE_OK && (step = sqldb_step(st)) == SQLDB_ROW) {
		const char *code = sqldb_column_text(st, 0);
		sqlite3_stmt *src;
		if (sqlite3_prepare_v2(m->src, "SELECT count(*) FROM followup_plans f JOIN products p ON p.id = f.product_id"
		                                " WHERE p.code = ?1", -1, &src, NULL) != SQLITE_OK) {
			rc = failf(m, MIGRATE_FAILED, "read the source: %s", sqlite3_errmsg(m->src));
			break;
		}
		sqlite3_bind_text(src, 1, code, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(src) != SQLITE_ROW || sqlite3_column_int(src, 0) == 0)
			rc = failf(m, MIGRATE_REFUSED,
			           "product %s has a follow-up plan on the target and none in the source; plans are shared by every"
			           " clinic: add the same plan in the source first; nothing was changed", code);
		sqlite3_finalize(src);
	}
	if (rc == MIGRATE_OK && step != SQLDB_DONE)
		rc = target_fail(m, "followup_plans", 0);
	sqldb_release(st);
	return rc;
}

/* ---- the whole ---- */

/* Tables in an order where every reference's table comes first (clinics.updated_by aside),
 * and the mail outbox last. */
static migrate_rc copy_order(migration *m, int *order, int *n)
{
	*n = 0;
	bool placed[MIGRATE_MAX_TABLES] = {false};
	for (;;) {
		int next = -1;
		bool left = false;
		for (int i = 0; i < m->ntables && next < 0; i++) {
			table_meta *t = &m->tables[i];
			if (placed[i] || t->kind == TABLE_SKIPPED || t->kind == TABLE_CLINIC || t->kind == TABLE_DERIVED)
				continue;
			left = true;
			bool ready = true;
			for (int c = 0; c < t->ncols; c++) {
				int p = t->ref[c];
				if (p >= 0 && p != i && p != m->clinics && !placed[p])
					ready = false;
			}
			/* Queued mail names rows of many tables in its dedupe keys: it goes last. */
			if (strcmp(t->name, "mail_outbox") == 0)
				for (int j = 0; j < m->ntables; j++)
					if (j != i && !placed[j] && (m->tables[j].kind == TABLE_COPY || m->tables[j].kind == TABLE_MATCHED))
						ready = false;
			if (ready)
				next = i;
		}
		if (next < 0)
			return left ? failf(m, MIGRATE_FAILED, "the source's tables refer to each other in a circle")
			            : MIGRATE_OK;
		placed[next] = true;
		order[(*n)++] = next;
	}
}

static migrate_rc already_migrated(migration *m)
{
	sqldb_stmt *st = sqldb_prepare(m->target->sql, "SELECT id, name FROM clinics WHERE migrated_from = ?1");
	if (st == NULL)
		return target_fail(m, "clinics", 0);
	sqldb_bind_text(st, 1, m->out->genesis);
	sqldb_rc rc = sqldb_step(st);
	if (rc == SQLDB_ROW) {
		m->out->already_clinic = sqldb_column_int64(st, 0);
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)m->out->already_clinic);
		failf(m, MIGRATE_ALREADY, "this database was migrated before: it is clinic %s (%s) on the target; nothing was"
		                          " changed", id, sqldb_column_text(st, 1));
	}
	sqldb_release(st);
	return rc == SQLDB_ROW ? MIGRATE_ALREADY : rc == SQLDB_DONE ? MIGRATE_OK : target_fail(m, "clinics", 0);
}

static migrate_rc run(migration *m, const char *name, const char *by_path)
{
	migrate_rc rc;
	if ((rc = load_schema(m)) != MIGRATE_OK || (rc = source_checks(m)) != MIGRATE_OK ||
	    (rc = verify_source_chain(m)) != MIGRATE_OK || (rc = already_migrated(m)) != MIGRATE_OK ||
	    (rc = check_clashes(m)) != MIGRATE_OK)
		return rc;
	for (int i = 0; i < m->ntables; i++) {
		table_meta *t = &m->tables[i];
		if (t->kind == TABLE_SKIPPED)
			continue;
		migrate_table *r = &m->out->tables[m->out->ntables++];
		snprintf(r->name, sizeof r->name, "%s", t->name);
		r->how = t->kind == TABLE_MATCHED ? "matched" : t->kind == TABLE_DERIVED ? "derived"
		         : t->kind == TABLE_CLINIC ? "clinic" : "copied";
		t->report = r;
	}
	/* A clinic renamed on the way (--name) is proven equal in everything but its name. */
	if (name != NULL)
		for (int c = 0; c < m->tables[m->clinics].ncols; c++)
			if (strcmp(m->tables[m->clinics].cols[c], "name") == 0)
				m->tables[m->clinics].unproven[c] = true;
	int order[MIGRATE_MAX_TABLES], n;
	if ((rc = copy_order(m, order, &n)) != MIGRATE_OK || (rc = insert_clinic(m, name)) != MIGRATE_OK)
		return rc;
	for (int i = 0; i < n; i++)
		if ((rc = copy_table(m, &m->tables[order[i]])) != MIGRATE_OK)
			return rc;
	if ((rc = check_shared_plans(m)) != MIGRATE_OK || (rc = finish_clinic(m)) != MIGRATE_OK ||
	    (rc = copy_audit(m)) != MIGRATE_OK)
		return rc;
	for (int i = 0; i < m->ntables; i++) {
		table_meta *t = &m->tables[i];
		if (t->kind == TABLE_SKIPPED)
			continue;
		if (t->kind == TABLE_DERIVED && (rc = copy_table(m, t)) != MIGRATE_OK)
			return rc;
		if ((rc = hash_target_table(m, t)) != MIGRATE_OK)
			return rc;
		migrate_table *r = t->report;
		if (r->source_rows != r->target_rows || strcmp(r->source_sum, r->target_sum) != 0) {
			char counts[80];
			snprintf(counts, sizeof counts, "%lld rows in the source, %lld on the target", (long long)r->source_rows,
			         (long long)r->target_rows);
			return failf(m, MIGRATE_FAILED, "the copy of %s does not prove equal (%s); nothing was changed", t->name, counts);
		}
	}
	if ((rc = verify_audit(m)) != MIGRATE_OK)
		return rc;
	char detail[512];
	snprintf(detail, sizeof detail, "migrated from %.300s: %lld audit rows, first hash %.16s", by_path ? by_path : "",
	         (long long)m->out->audit_rows, m->out->genesis);
	char object[40];
	snprintf(object, sizeof object, "clinic:%lld", (long long)m->clinic_id);
	audit_row row;
	audit_row_make(&row, 0, ROLE_NONE, "clinic.migrate", object, detail);
	snprintf(row.actor_role, sizeof row.actor_role, "system");
	if (store_audit_append(&m->target->base, &row) != STORE_OK)
		return failf(m, MIGRATE_FAILED, "%s", m->target->base.errmsg);
	return MIGRATE_OK;
}

migrate_rc store_migrate_clinic(store *source, store *target, const char *name, const char *by_path,
                                migrate_result *out)
{
	memset(out, 0, sizeof *out);
	migration *m = calloc(1, sizeof *m);
	if (m == NULL) {
		snprintf(target->errmsg, sizeof target->errmsg, "out of memory");
		return MIGRATE_FAILED;
	}
	m->target = impl(target);
	m->out = out;
	m->err = target->errmsg;
	m->errlen = sizeof target->errmsg;
	migrate_rc rc = MIGRATE_FAILED;
	if (sqldb_dialect_of(impl(source)->sql) != SQLDB_SQLITE || sqldb_dialect_of(m->target->sql) != SQLDB_POSTGRES) {
		snprintf(target->errmsg, sizeof target->errmsg,
		         "exosafe migrate moves a SQLite database (--from PATH) into PostgreSQL (--to postgres://…)");
		free(m);
		return MIGRATE_REFUSED;
	}
	m->src = sqldb_sqlite_handle(impl(source)->sql);
	/* One snapshot of the source (a server may still be running on it) and one transaction on
	 * the target, holding its writers' lock: all of it lands, or none. */
	if (sqlite3_exec(m->src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(target->errmsg, sizeof target->errmsg, "read the source: %s", sqlite3_errmsg(m->src));
		free(m);
		return MIGRATE_FAILED;
	}
	if (store_begin(target) != STORE_OK) {
		sqlite3_exec(m->src, "ROLLBACK", NULL, NULL, NULL);
		free(m);
		return MIGRATE_FAILED;
	}
	rc = run(m, name, by_path);
	if (rc == MIGRATE_OK) {
		if (store_commit(target) != STORE_OK)
			rc = MIGRATE_FAILED;
	} else {
		char keep[sizeof target->errmsg];
		snprintf(keep, sizeof keep, "%s", target->errmsg);
		store_rollback(target);
		snprintf(target->errmsg, sizeof target->errmsg, "%s", keep);
	}
	sqlite3_exec(m->src, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < m->ntables; i++) {
		idmap_free(&m->tables[i].to_new);
		idmap_free(&m->tables[i].to_old);
	}
	free(m);
	return rc;
}
