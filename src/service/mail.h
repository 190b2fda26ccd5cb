/* E-mail through the outbox.
 *
 * A service that has something to tell a person renders a template (mail_render) and queues
 * the message (mail_enqueue) inside the transaction that records the event, so the message
 * exists exactly when the event does. The sender (mail_sender.h) delivers due messages later;
 * nothing here talks to the network. */
#ifndef EXOSAFE_MAIL_H
#define EXOSAFE_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/mail_template.h"
#include "store/store.h"

typedef struct mail_item {
	int64_t recipient_user_id;  /* account the message is for; 0 if none */
	const char *to_address;     /* RFC 5321 address */
	const char *kind;           /* template name, e.g. "password_reset" */
	const char *subject;        /* UTF-8, rendered */
	const char *body_text;      /* UTF-8 text/plain, rendered */
	int64_t not_before;         /* unix seconds; 0 = as soon as possible */
	const char *dedupe_key;     /* optional: a second item with the same key is not queued */
} mail_item;

/* Queues one message inside the caller's open transaction (rolled back with it).
 * Returns STORE_OK also when an item with the same dedupe key exists already (nothing is
 * queued then). An address that is not a plain e-mail address, a subject holding a line
 * break or an empty subject, kind or body is STORE_ERROR with the reason in s->errmsg, and
 * nothing is written. */
store_rc mail_enqueue(store *s, const mail_item *m);

/* Renders data/mail/<kind>.<lang>.txt (first line "Subject: ...", blank line, body) with
 * {{name}} placeholders from vars; unknown placeholders are an error. lang is "ja" or "en";
 * kind is lower-case letters, digits and '_'. On success returns 0 with *subject and *body
 * set (heap, the caller frees both); on failure -1, both NULL, and the file and the reason
 * in err. */
int mail_render(const char *data_dir, const char *kind, const char *lang, const mail_var *vars,
                size_t nvars, char **subject, char **body, char *err, size_t errlen);

/* Renders kind in lang and queues it to one recipient in the caller's transaction: the two
 * steps above in one call, for services. Returns STORE_OK (queued or deduplicated), or
 * STORE_ERROR with the reason in s->errmsg (nothing queued). */
store_rc mail_render_enqueue(store *s, const char *data_dir, const char *lang, const mail_item *m,
                             const mail_var *vars, size_t nvars);

#endif
