/* Delivering the outbox to the SMTP relay.
 *
 * At-least-once: a message stays queued until the relay has accepted it (SMTP 250 after
 * DATA), then is marked sent in its own transaction. A crash between the two sends it again
 * on the next run, with the same Message-ID, rather than losing it. A failed attempt waits
 * retry_base_seconds × 2^(attempts−1), at most retry_max_seconds; after max_attempts, or at
 * once on a permanent refusal (a 5xx reply, RFC 5321 §4.2.1), the message is marked failed
 * for the admins to see. Without [mail] smtp_url nothing is sent and nothing is dropped. */
#ifndef EXOSAFE_MAIL_SENDER_H
#define EXOSAFE_MAIL_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store/store.h"

typedef struct mail_send_result {
	bool configured;   /* false: no smtp_url, nothing was tried */
	int sent, retrying, failed;
	char last_error[256];
} mail_send_result;

/* Seconds to wait after the attempts-th failed attempt (attempts >= 1). Pure. */
int64_t mail_retry_delay(const mail_config *mc, int attempts);

/* Calls curl_global_init once (and curl_global_cleanup at exit); call before any thread
 * starts. Returns 0, or -1. */
int mail_sender_global_init(void);

/* Sends up to limit due messages now (from s, a connection of the caller's). Returns 0, or -1
 * when the store failed (s->errmsg says why); delivery failures are counted in *out, not
 * returned. */
int mail_send_due(store *s, const server_config *cfg, int limit, mail_send_result *out);

/* The background sender of `exosafe serve`: a thread with its own database connection that
 * runs mail_send_due every poll_seconds. Returns NULL (with err) when it cannot start. */
typedef struct mail_sender mail_sender;
mail_sender *mail_sender_start(const server_config *cfg, char *err, size_t errlen);
/* Stops the thread (waiting for a delivery in progress) and frees it. NULL is a no-op. */
void mail_sender_stop(mail_sender *ms);

#endif
