/* Account operations shared by the HTTP API and the CLI: each is one transaction that
 * writes the change and the audit rows describing it, or writes nothing. */
#ifndef EXOSAFE_ACCOUNTS_H
#define EXOSAFE_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/credentials.h"
#include "core/session_policy.h"
#include "store/store.h"

typedef enum accounts_rc {
	ACCOUNTS_OK = 0,
	ACCOUNTS_EMAIL_TAKEN,
	ACCOUNTS_BAD_CREDENTIALS,  /* unknown e-mail or wrong password: callers must not say which */
	ACCOUNTS_THROTTLED,
	ACCOUNTS_SESSION_INVALID,  /* absent, unknown or expired */
	ACCOUNTS_ERROR,            /* storage or crypto failure; store->errmsg says why */
} accounts_rc;

/* Who acts: a signed-in user (id > 0), the system (id 0: the CLI), or with self set, the
 * user being created (a patient's own sign-up). */
typedef struct actor {
	int64_t id;
	user_role role;
	bool self;
} actor;

/* Creates a user (and, for patients, the profile) from already-validated input.
 * user: email, name, role set; password: plain text, hashed here with Argon2id.
 * profile: required for patients, ignored otherwise. action is the audit action
 * ("auth.signup", "user.create"). On success fills user->id and user->created_at. */
accounts_rc accounts_create(store *s, const actor *by, const char *action, user_record *user,
                            const char *password, const patient_profile *profile);

typedef struct login_attempt {
	const char *email;
	const char *password;
	const char *address;       /* the client's IP address, for throttling */
} login_attempt;

/* Checks a log-in. Failed attempts are recorded (and audited) per account and per address;
 * once either passes its limit, ACCOUNTS_THROTTLED is returned without checking the password.
 * On success the account's failures are cleared and *out is the user. */
accounts_rc accounts_login(store *s, const login_limits *lim, const login_attempt *a, int64_t now,
                           user_record *out);

/* Starts a session for user: writes the session row and an "auth.login" audit row.
 * token_out receives the cookie value (never stored); session_out the row with its CSRF token. */
accounts_rc accounts_session_start(store *s, const user_record *user, int64_t now, const char *audit_action,
                                   char token_out[TOKEN_TEXT_MAX], session_record *session_out);

/* Resolves a cookie token to its session and user. Expired sessions are deleted.
 * The session's last-seen time is refreshed at most once a minute (more often when the idle
 * limit is short). */
accounts_rc accounts_session_resolve(store *s, const session_limits *lim, const char *token, int64_t now,
                                     session_record *session_out, user_record *user_out);

/* Ends a session (log-out), audited. */
accounts_rc accounts_session_end(store *s, const session_record *session, const user_record *user);

#endif
