/* Helpers shared by every storage backend, written against the interface only. */
#include "store/store.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void store_schema_note_missing(store_schema_status *out, const char *what, const char *name)
{
	size_t len = strlen(out->missing);
	if (len + 8 >= sizeof out->missing) {
		if (strstr(out->missing, "...") == NULL)
			snprintf(out->missing + len - 3, 4, "...");
		return;
	}
	snprintf(out->missing + len, sizeof out->missing - len, "%s%s %s", len ? ", " : "", what, name);
}

int store_schema_usable(store *s, const char *path, bool accept_older, store_schema_status *st, char *msg,
                        size_t msglen)
{
	store_schema_status own;
	if (st == NULL)
		st = &own;
	char label[1024];
	bool url = store_db_is_url(path);
	path = store_db_label(path, label, sizeof label);  /* a URL's password is never shown */
	if (store_schema_check(s, st) != STORE_OK) {
		snprintf(msg, msglen, "cannot read the schema of database %s: %s", path, s->errmsg);
		return -1;
	}
	switch (st->state) {
	case STORE_SCHEMA_CURRENT:
		return 0;
	case STORE_SCHEMA_OLDER:
		if (accept_older)
			return 0;
		if (url)  /* exosafe backup refuses a URL: PostgreSQL's own tool makes the copy */
			snprintf(msg, msglen,
			         "database %s is at schema version %d, older than this exosafe (%d); apply the migrations"
			         " with: exosafe init --db %s (a backup first: pg_dump --format=custom --file=FILE)",
			         path, st->version, st->known_version, path);
		else
			snprintf(msg, msglen,
			         "database %s is at schema version %d, older than this exosafe (%d); apply the migrations"
			         " with: exosafe init --db %s (a backup first: exosafe backup --db %s --out FILE)",
			         path, st->version, st->known_version, path, path);
		return -1;
	case STORE_SCHEMA_EMPTY:
		snprintf(msg, msglen, "database %s is not initialised; run: exosafe init --db %s", path, path);
		return -1;
	case STORE_SCHEMA_NEWER:
		snprintf(msg, msglen,
		         "database %s is at schema version %d, newer than this exosafe knows (%d): it was written by a"
		         " newer exosafe; run that version (or restore a backup made with this one). Nothing was changed.",
		         path, st->version, st->known_version);
		return -1;
	case STORE_SCHEMA_DAMAGED:
		snprintf(msg, msglen,
		         "database %s is damaged: schema version %d should have %s, which %s missing. Nothing was changed;"
		         " restore it from a backup: %s%s%s",
		         path, st->version, st->missing, strchr(st->missing, ',') ? "are" : "is",
		         url ? "pg_restore --clean --if-exists --dbname=URL FILE (" : "exosafe restore --from FILE --db ", path,
		         url ? ")" : " --force");
		return -1;
	}
	snprintf(msg, msglen, "database %s: unknown schema state", path);
	return -1;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool store_db_is_url(const char *db)
{
	return db != NULL && (starts_with(db, "postgres://") || starts_with(db, "postgresql://") ||
	                      strstr(db, "dbname=") != NULL);
}

store *store_open_url(const char *db, store_open_mode mode, char *err, size_t errlen)
{
	if (store_db_is_url(db))
		return store_pg_open(db, mode, err, errlen);
	return store_sqlite_open_mode(db, mode, err, errlen);
}

/* Appends n bytes of src to the label being built (truncating at the buffer's end). */
static void label_put(char *buf, size_t buflen, size_t *at, const char *src, size_t n)
{
	while (n-- > 0 && *at + 1 < buflen)
		buf[(*at)++] = *src++;
	buf[*at < buflen ? *at : buflen - 1] = '\0';
}

const char *store_db_label(const char *db, char *buf, size_t buflen)
{
	if (buflen == 0)
		return "";
	buf[0] = '\0';
	if (db == NULL)
		return buf;
	if (!store_db_is_url(db)) {
		snprintf(buf, buflen, "%s", db);
		return buf;
	}
	size_t at = 0;
	const char *p = db;
	const char *scheme = strstr(db, "://");
	if (scheme != NULL && (starts_with(db, "postgres://") || starts_with(db, "postgresql://"))) {
		/* postgres://user:password@host...: the userinfo's password, up to the last @ of the
		 * authority. */
		const char *auth = scheme + 3;
		size_t auth_len = strcspn(auth, "/?#");
		const char *atsign = NULL;
		for (const char *q = auth; q < auth + auth_len; q++)
			if (*q == '@')
				atsign = q;
		const char *colon = atsign ? memchr(auth, ':', (size_t)(atsign - auth)) : NULL;
		if (colon != NULL) {
			label_put(buf, buflen, &at, db, (size_t)(colon + 1 - db));
			label_put(buf, buflen, &at, "***", 3);
			p = atsign;
		}
	}
	/* password=... in a URL's query or a key=value string (its value perhaps 'quoted'). */
	while (*p) {
		const char *key = strstr(p, "password=");
		if (key == NULL) {
			label_put(buf, buflen, &at, p, strlen(p));
			break;
		}
		const char *value = key + strlen("password=");
		label_put(buf, buflen, &at, p, (size_t)(value - p));
		label_put(buf, buflen, &at, "***", 3);
		if (*value == '\'') {
			value++;
			while (*value && *value != '\'')
				value += (*value == '\\' && value[1]) ? 2 : 1;
			if (*value == '\'')
				value++;
		} else {
			value += strcspn(value, "& \t");
		}
		p = value;
	}
	return buf;
}
