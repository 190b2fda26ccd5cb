/* When a session is still good: pure time arithmetic, testable without a clock. */
#ifndef EXOSAFE_SESSION_POLICY_H
#define EXOSAFE_SESSION_POLICY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct session_limits {
	int64_t idle_seconds;       /* since the last request */
	int64_t absolute_seconds;   /* since log-in, whatever the activity */
} session_limits;

/* Returns true when a session created at created_at and last used at last_seen_at has
 * expired at now. */
bool session_expired(const session_limits *lim, int64_t created_at, int64_t last_seen_at, int64_t now);

/* Log-in throttling: failures counted in a sliding window per account and per address. */
typedef struct login_limits {
	int64_t window_seconds;
	int64_t max_per_account;
	int64_t max_per_address;
} login_limits;

/* Returns true when another log-in attempt must be refused. */
bool login_throttled(const login_limits *lim, int64_t account_failures, int64_t address_failures);

#endif
