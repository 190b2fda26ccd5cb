#include "service/service.h"

#include <stdio.h>

int service_rollback(store *s, int rc)
{
	store_rollback(s);
	return rc;
}

bool service_audit(store *s, const actor *by, const char *action, const char *kind, int64_t id, const char *detail)
{
	char object[64];
	audit_row row;
	snprintf(object, sizeof object, "%s:%lld", kind, (long long)id);
	audit_row_make(&row, by->id, by->role, action, object, detail);
	/* audit_row_make names an id-0 row "anonymous" (a visitor); id 0 here is the system. */
	if (by->id == 0)
		snprintf(row.actor_role, sizeof row.actor_role, "system");
	return store_audit_append(s, &row) == STORE_OK;
}

bool service_commit(store *s)
{
	return store_commit(s) == STORE_OK;
}

bool service_audit_commit(store *s, const actor *by, const char *action, const char *kind, int64_t id,
                          const char *detail)
{
	if (!service_audit(s, by, action, kind, id, detail)) {
		store_rollback(s);
		return false;
	}
	return service_commit(s);
}
