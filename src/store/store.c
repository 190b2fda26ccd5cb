/* Helpers shared by every storage backend, written against the interface only. */
#include "store/store.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void audit_row_make(audit_row *row, int64_t actor_id, user_role actor_role, const char *action,
                    const char *object, const char *detail)
{
	*row = (audit_row){0};
	row->at = clock_now();
	row->actor_id = actor_id;
	snprintf(row->actor_role, sizeof row->actor_role, "%s", actor_id ? role_name(actor_role) : "anonymous");
	snprintf(row->action, sizeof row->action, "%s", action);
	snprintf(row->object, sizeof row->object, "%s", object ? object : "");
	snprintf(row->detail, sizeof row->detail, "%s", detail ? detail : "");
}

store_rc store_audit_now(store *s, int64_t actor_id, user_role actor_role, const char *action,
                         const char *object, const char *detail)
{
	audit_row row;
	audit_row_make(&row, actor_id, actor_role, action, object, detail);
	store_rc rc = store_begin(s);
	if (rc != STORE_OK)
		return rc;
	rc = store_audit_append(s, &row);
	if (rc != STORE_OK) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

void mail_record_clear(mail_record *m)
{
	free(m->owned_text);
	m->owned_text = NULL;
	m->subject = m->body_text = NULL;
}
