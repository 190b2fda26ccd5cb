/* What every service operation shares: who acts, and the steps of its one transaction
 * (roll back and return the refusal, append the audit row, commit). */
#ifndef EXOSAFE_SERVICE_H
#define EXOSAFE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/roles.h"
#include "store/store.h"

/* Who acts: a signed-in user (id > 0), the system (id 0: the CLI, a connected logger, a rule
 * that fires), or with self set, the user being created (a patient's own sign-up). */
typedef struct actor {
	int64_t id;
	user_role role;
	bool self;
} actor;

/* Rolls back the open transaction and returns rc (a module's *_rc), so a refusal inside a
 * transaction reads as one line: return service_rollback(s, TRACE_NOT_FOUND). */
int service_rollback(store *s, int rc);

/* Appends the audit row "by did action to kind:id (detail)" inside the open transaction.
 * Rows by the system (id 0) carry the role "system". false on a storage failure (the caller
 * rolls back). */
bool service_audit(store *s, const actor *by, const char *action, const char *kind, int64_t id, const char *detail);

/* Commits the open transaction; false on a storage failure (nothing was written). */
bool service_commit(store *s);

/* The usual end of an operation: service_audit, then service_commit; when the audit row
 * cannot be written the transaction is rolled back. false when nothing was written. */
bool service_audit_commit(store *s, const actor *by, const char *action, const char *kind, int64_t id,
                          const char *detail);

#endif
