#include "core/session_policy.h"

bool session_expired(const session_limits *lim, int64_t created_at, int64_t last_seen_at, int64_t now)
{
	if (now - last_seen_at >= lim->idle_seconds)
		return true;
	if (now - created_at >= lim->absolute_seconds)
		return true;
	/* A clock that went backwards beyond a minute is treated as tampering. */
	return now + 60 < last_seen_at;
}

bool login_throttled(const login_limits *lim, int64_t account_failures, int64_t address_failures)
{
	return account_failures >= lim->max_per_account || address_failures >= lim->max_per_address;
}
