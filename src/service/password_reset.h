/* Password reset by e-mail.
 *
 * A request for an address mails a link holding a single-use random token (32 bytes from
 * libsodium); only the token's SHA-256 is stored, with its expiry. Whether the address has an
 * account is never told to the requester: the answer is the same either way. Confirming with
 * the token sets the new password, ends every session of the account, voids the account's
 * other reset links and marks the token used, in one audited transaction. */
#ifndef EXOSAFE_PASSWORD_RESET_H
#define EXOSAFE_PASSWORD_RESET_H

#include <stdint.h>

#include "config.h"
#include "store/store.h"

typedef enum reset_rc {
	RESET_OK = 0,
	RESET_TOKEN_UNKNOWN,   /* no such token (mistyped or forged link) */
	RESET_TOKEN_USED,      /* used already, or voided by a later reset */
	RESET_TOKEN_EXPIRED,
	RESET_ERROR,           /* storage, crypto or template failure; s->errmsg says why */
} reset_rc;

/* At most this many reset mails per account per hour; more requests are answered the same
 * but queue nothing (no mail bombing through the form). */
#define RESET_MAX_PER_HOUR 3

/* Handles a reset request for email (already lower-cased). When an account has that address,
 * stores a token, queues the "password_reset" mail in lang ("ja" or "en") with a link to
 * cfg->mail.public_url + "/reset-password.html#token=...", and audits
 * "auth.password_reset_requested", in one transaction. An unknown address writes nothing.
 * Returns RESET_OK in both cases; RESET_ERROR only when storage failed (nothing written).
 * Errors: RESET_ERROR. */
reset_rc password_reset_request(store *s, const server_config *cfg, const char *email, const char *lang, int64_t now);

/* Sets password (already checked against the sign-up rules) for the token's account. On
 * success *user_id_out is the account and *sessions_ended how many sessions ended. On any
 * other answer nothing changed.
 * Errors: RESET_TOKEN_UNKNOWN, RESET_TOKEN_USED, RESET_TOKEN_EXPIRED, RESET_ERROR. */
reset_rc password_reset_confirm(store *s, const char *token, const char *password, int64_t now, int64_t *user_id_out,
                                int64_t *sessions_ended);

#endif
