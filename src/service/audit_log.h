/* Reading the audit log as a whole (the rows themselves are written by each operation, see
 * service_audit in service.h). */
#ifndef EXOSAFE_SERVICE_AUDIT_LOG_H
#define EXOSAFE_SERVICE_AUDIT_LOG_H

#include "core/audit_chain.h"
#include "store/store.h"

/* Recomputes the hash chain over every row from the first (core/audit_chain.h); *out says
 * whether it is intact, how many rows were checked and the first broken row. Returns
 * STORE_OK, or the store's error (s->errmsg says why) with *out incomplete. Reads only. */
store_rc audit_log_verify(store *s, audit_verifier *out);

#endif
