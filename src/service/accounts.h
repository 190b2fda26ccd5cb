/* Account operations shared by the HTTP API and the CLI: each is one transaction that
 * writes the change and the audit rows describing it, or writes nothing. */
#ifndef EXOSAFE_ACCOUNTS_H
#define EXOSAFE_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/credentials.h"
#include "core/session_policy.h"
#include "service/service.h"
#include "store/store.h"

typedef enum accounts_rc {
	ACCOUNTS_OK = 0,
	ACCOUNTS_EMAIL_TAKEN,
	ACCOUNTS_BAD_CREDENTIALS,  /* unknown e-mail or wrong password: callers must not say which */
	ACCOUNTS_THROTTLED,
	ACCOUNTS_SESSION_INVALID,  /* absent, unknown or expired */
	ACCOUNTS_ERROR,            /* storage or crypto failure; store->errmsg says why */
	/* Right password, but the account may not log in: */
	ACCOUNTS_DEACTIVATED,      /* an admin deactivated it */
	ACCOUNTS_RESET_REQUIRED,   /* an admin requires a new password, set by the reset by e-mail */
	/* Account changes: */
	ACCOUNTS_NOT_FOUND,        /* no such user */
	ACCOUNTS_PASSWORD_NEEDED,  /* changing the e-mail needs the current password, none given */
	ACCOUNTS_SELF,             /* an admin may not change their own role or status */
	ACCOUNTS_LAST_ADMIN,       /* the change would leave no active admin */
	ACCOUNTS_ROLE_FIXED,       /* a patient stays a patient, staff stay staff */
} accounts_rc;

/* Creates a user (and, for patients, the profile) from already-validated input.
 * user: email, name, role set; password: plain text, hashed here with Argon2id.
 * profile: required for patients, ignored otherwise. action is the audit action
 * ("auth.signup", "user.create"). On success fills user->id and user->created_at.
 * Errors: ACCOUNTS_EMAIL_TAKEN, ACCOUNTS_ERROR. */
accounts_rc accounts_create(store *s, const actor *by, const char *action, user_record *user,
                            const char *password, const patient_profile *profile);

/* How long a browser stays known to an account (its exosafe_device cookie's life: 400 days,
 * the longest browsers keep a cookie); older ones are purged. */
#define ACCOUNTS_DEVICE_KEEP_SECONDS (400LL * 24 * 3600)

typedef struct login_attempt {
	const char *email;
	const char *password;
	const char *address;       /* the client's IP address, for throttling */
	const char *device;        /* the browser's exosafe_device cookie, or NULL */
} login_attempt;

/* Checks a log-in. Each attempt is counted (and recorded as a failure) before its password is
 * checked, in one write transaction, so the limits hold exactly under concurrent attempts;
 * a right password takes the record back. An attempt is judged by the failures of its
 * account (max_per_account) and its address (max_per_address) in the window, except from a
 * device known to the account (a->device, given at an earlier log-in): that is judged by its
 * own failures only (max_per_account), so that strangers' guesses cannot lock it out; when
 * the account is past its limit, its right password is let in after a one-second pause.
 * Past a limit, ACCOUNTS_THROTTLED is returned without checking the password (audited).
 * On success *out is the user, the account's failures (or the known device's) are cleared,
 * and, for a browser not yet known to the account, new_device (when not NULL) receives the
 * cookie value that makes it known (its hash is stored); otherwise it is "".
 * Errors: ACCOUNTS_BAD_CREDENTIALS, ACCOUNTS_THROTTLED, ACCOUNTS_ERROR, ACCOUNTS_DEACTIVATED,
 *         ACCOUNTS_RESET_REQUIRED. */
accounts_rc accounts_login(store *s, const login_limits *lim, const login_attempt *a, int64_t now,
                           user_record *out, char new_device[TOKEN_TEXT_MAX]);

/* Starts a session for user: writes the session row and an "auth.login" audit row.
 * token_out receives the cookie value (never stored); session_out the row with its CSRF token.
 * Errors: ACCOUNTS_ERROR. */
accounts_rc accounts_session_start(store *s, const user_record *user, int64_t now, const char *audit_action,
                                   char token_out[TOKEN_TEXT_MAX], session_record *session_out);

/* Resolves a cookie token to its session and user. Expired sessions are deleted.
 * The session's last-seen time is refreshed at most once a minute (more often when the idle
 * limit is short).
 * Errors: ACCOUNTS_SESSION_INVALID, ACCOUNTS_ERROR. */
accounts_rc accounts_session_resolve(store *s, const session_limits *lim, const char *token, int64_t now,
                                     session_record *session_out, user_record *user_out);

/* Ends a session (log-out), audited.
 * Errors: ACCOUNTS_ERROR. */
accounts_rc accounts_session_end(store *s, const session_record *session, const user_record *user);

/* A patient's own change of their details, from already-validated input. Birth date and sex
 * are not here: the clinic corrects those (they decide the screening). */
typedef struct profile_change {
	const char *name;
	const char *name_kana;
	const char *phone;
	const char *postal_code;       /* NULL or "": none */
	const char *address;           /* NULL or "": none */
	const char *lang;              /* "ja" | "en"; NULL: unchanged */
	const char *email;             /* NULL: unchanged */
	const char *current_password;  /* required when email differs from the current one */
	const char *address_from;      /* the client's IP address, for throttling password guesses */
} profile_change;

/* Writes a patient's change in one transaction with a "patient.profile.update" audit row that
 * names the fields changed (not their values). A new e-mail needs current_password: none is
 * ACCOUNTS_PASSWORD_NEEDED, a wrong one ACCOUNTS_BAD_CREDENTIALS (counted like a failed
 * log-in, so guesses here are throttled too: ACCOUNTS_THROTTLED), one in use by another
 * account ACCOUNTS_EMAIL_TAKEN. On success *user and *profile hold the stored values; on any
 * error the database remains unaltered.
 * Errors: ACCOUNTS_EMAIL_TAKEN, ACCOUNTS_BAD_CREDENTIALS, ACCOUNTS_THROTTLED, ACCOUNTS_ERROR,
 *         ACCOUNTS_PASSWORD_NEEDED. */
accounts_rc accounts_profile_update(store *s, const login_limits *lim, user_record *user, patient_profile *profile,
                                    const profile_change *change, int64_t now);

/* What an admin does to another account. */
typedef enum account_action {
	ACCOUNT_DEACTIVATE,             /* log-in refused, sessions ended */
	ACCOUNT_REACTIVATE,
	ACCOUNT_SET_ROLE,               /* among the staff roles only */
	ACCOUNT_FORCE_PASSWORD_RESET,   /* log-in refused until reset by e-mail, sessions ended */
} account_action;

/* Applies action to user target_id for admin by, in one transaction with an audit row naming
 * who, whom and what ("user.deactivate", "user.reactivate", "user.role_change",
 * "user.force_password_reset"). Refused, with nothing changed: a change leaving no active
 * admin (ACCOUNTS_LAST_ADMIN; checked inside the transaction, so two admins demoting each
 * other cannot both succeed), by's own account otherwise (ACCOUNTS_SELF), a role change of a
 * patient or to a non-staff role (ACCOUNTS_ROLE_FIXED), no such user (ACCOUNTS_NOT_FOUND).
 * An action that changes nothing (deactivating a deactivated account) succeeds without an
 * audit row. On success *out is the account as stored and *sessions_ended how many sessions
 * were ended.
 * Errors: ACCOUNTS_ERROR, ACCOUNTS_NOT_FOUND, ACCOUNTS_SELF, ACCOUNTS_LAST_ADMIN,
 *         ACCOUNTS_ROLE_FIXED. */
accounts_rc accounts_admin_apply(store *s, const actor *by, int64_t target_id, account_action action, user_role new_role,
                                 int64_t now, user_record *out, int64_t *sessions_ended);

#endif
