/* exosafe migrate: one clinic's SQLite database moved into a shared PostgreSQL database as a
 * new clinic (issue 18, docs/clinics-design.md). Not part of the storage interface: it reads
 * one SQL store's tables and writes another's, below the methods. */
#ifndef EXOSAFE_STORE_MIGRATE_H
#define EXOSAFE_STORE_MIGRATE_H

#include <stdint.h>

#include "store/store.h"

#define MIGRATE_MAX_TABLES 64

/* What happened to one table, and the proof. */
typedef struct migrate_table {
	char name[64];
	const char *how;           /* "copied", "matched" (global rows found equal on the target:
	                            * products, follow-up plans), "derived" (rebuilt by the target's
	                            * triggers from the copied rows), "clinic" */
	int64_t source_rows;
	int64_t target_rows;       /* read back from the target after the copy */
	char source_sum[65];       /* SHA-256 over the rows (sorted row digests), ids as in the source */
	char target_sum[65];       /* the same over the target's rows, ids mapped back */
} migrate_table;

typedef struct migrate_result {
	int64_t clinic_id;         /* the new clinic on the target */
	char clinic_name[401];
	char genesis[65];          /* the source's first audit hash: its identity */
	int64_t audit_rows;        /* copied, and verified as a chain on the target */
	int ntables;
	migrate_table tables[MIGRATE_MAX_TABLES];
	int64_t already_clinic;    /* MIGRATE_ALREADY: the clinic this source already became */
} migrate_result;

typedef enum migrate_rc {
	MIGRATE_OK = 0,
	MIGRATE_ALREADY,   /* this source was migrated before, as out->already_clinic */
	MIGRATE_REFUSED,   /* the source cannot be moved as it is, or clashes with the target: a
	                    * broken audit chain, more than one clinic, a safety officer, an e-mail
	                    * already on the target, a product or follow-up plan that differs */
	MIGRATE_FAILED,    /* the database failed, or the copy did not prove equal */
} migrate_rc;

/* Copies source (a SQLite store, opened read-only at the current schema) into target (a
 * PostgreSQL store at the current schema) as a new clinic named name (NULL: the source's own
 * clinic name), in one transaction of the target, and proves the copy before COMMIT: every
 * table's row count and checksum on both sides, the derived tables rebuilt alike, the audit
 * chain verified on the target as its own chain. by_path names the source in the target's
 * audit row.
 * On any failure nothing was written and target->errmsg says why. */
migrate_rc store_migrate_clinic(store *source, store *target, const char *name, const char *by_path,
                              migrate_result *out);

#endif
