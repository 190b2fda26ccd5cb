/* The storage interface.
 *
 * Like SQLite's sqlite3_vfs, a store is a struct whose first member points at a table of
 * methods; each backend (SQLite now, PostgreSQL later) supplies its own table. Callers never
 * see SQL: every query lives behind these methods in src/store/.
 *
 * Transactions: begin() starts a write transaction that is serialised against every other
 * writer (SQLite: BEGIN IMMEDIATE). A caller that changes data brackets its writes, together
 * with the audit rows that describe them, in begin()/commit(), and calls rollback() on any
 * failure, so the database remains unaltered on error. Reads need no transaction.
 *
 * Every method returns a store_rc. Text fields in records are fixed-size, NUL-terminated
 * buffers so records can live on the stack and need no freeing. */
#ifndef EXOSAFE_STORE_H
#define EXOSAFE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/audit_chain.h"
#include "core/roles.h"

typedef enum store_rc {
	STORE_OK = 0,
	STORE_NOT_FOUND,   /* no such row */
	STORE_CONFLICT,    /* a unique constraint would be broken; nothing was written */
	STORE_ERROR,       /* any other failure; the message is in store->errmsg */
} store_rc;

typedef struct user_record {
	int64_t id;
	char email[256];
	char name[401];
	user_role role;
	char password_hash[128];
	int64_t created_at;
} user_record;

typedef struct patient_profile {
	int64_t user_id;
	char name_kana[401];
	char birth_date[11];   /* YYYY-MM-DD */
	char sex[8];           /* female | male | other */
	char phone[32];
	char postal_code[9];   /* NNN-NNNN or empty */
	char address[801];
} patient_profile;

typedef struct session_record {
	char token_hash[65];   /* hex SHA-256 of the cookie token; the token itself is never stored */
	int64_t user_id;
	char csrf_token[64];
	int64_t created_at;
	int64_t last_seen_at;
} session_record;

typedef struct store store;

/* Called once per row by the listing methods; a non-zero return stops the listing. */
typedef int (*store_user_fn)(void *ctx, const user_record *user);
typedef int (*store_audit_fn)(void *ctx, const audit_row *row);

typedef struct store_methods {
	const char *backend_name;

	/* Closes the connection and frees the store. */
	void (*close)(store *s);

	/* Brings the schema up to date; each migration runs in its own transaction or not at all.
	 * *version_out receives the resulting schema version. */
	store_rc (*migrate)(store *s, int *version_out);
	store_rc (*schema_version)(store *s, int *version_out);

	store_rc (*begin)(store *s);
	store_rc (*commit)(store *s);
	void (*rollback)(store *s);

	/* Users. user_insert fills user->id; STORE_CONFLICT when the e-mail is taken. */
	store_rc (*user_insert)(store *s, user_record *user);
	store_rc (*user_by_email)(store *s, const char *email, user_record *out);
	store_rc (*user_by_id)(store *s, int64_t id, user_record *out);
	store_rc (*user_count)(store *s, int64_t *count_out);
	store_rc (*user_list)(store *s, store_user_fn fn, void *ctx);

	store_rc (*profile_insert)(store *s, const patient_profile *profile);
	store_rc (*profile_get)(store *s, int64_t user_id, patient_profile *out);

	/* Sessions, looked up by the hash of the cookie token. */
	store_rc (*session_insert)(store *s, const session_record *session);
	store_rc (*session_get)(store *s, const char *token_hash, session_record *out);
	store_rc (*session_touch)(store *s, const char *token_hash, int64_t now);
	store_rc (*session_delete)(store *s, const char *token_hash);
	/* Removes sessions idle since before idle_cutoff or created before absolute_cutoff. */
	store_rc (*session_purge)(store *s, int64_t idle_cutoff, int64_t absolute_cutoff);

	/* Failed log-ins, keyed by a subject such as "account:a@b.example" or "address:127.0.0.1". */
	store_rc (*login_failure_add)(store *s, const char *subject, int64_t at);
	store_rc (*login_failure_count)(store *s, const char *subject, int64_t since, int64_t *count_out);
	store_rc (*login_failure_clear)(store *s, const char *subject);

	/* Appends one row to the hash-chained audit log inside the caller's transaction; fills
	 * entry->id, entry->prev_hash and entry->hash. */
	store_rc (*audit_append)(store *s, audit_row *entry);
	/* Rows newest first, at most limit. */
	store_rc (*audit_recent)(store *s, int limit, store_audit_fn fn, void *ctx);
	/* Every row in id order, for verification. */
	store_rc (*audit_each)(store *s, store_audit_fn fn, void *ctx);
} store_methods;

struct store {
	const store_methods *m;
	char errmsg[256];      /* the last STORE_ERROR's reason, for logs and the CLI */
};

/* Opens the SQLite database at path (created when absent) with WAL, foreign keys,
 * synchronous=FULL and a busy timeout. Returns NULL and writes a reason to err on failure. */
store *store_sqlite_open(const char *path, char *err, size_t errlen);

/* Fills row with the current time and the given fields (actor_id 0 = anonymous/system). */
void audit_row_make(audit_row *row, int64_t actor_id, user_role actor_role, const char *action,
                    const char *object, const char *detail);

/* Appends an audit row in its own transaction (for reads of health data). */
store_rc store_audit_now(store *s, int64_t actor_id, user_role actor_role, const char *action,
                         const char *object, const char *detail);

#endif
