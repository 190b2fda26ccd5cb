/* Session expiry and log-in throttling arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/session_policy.h"

static const session_limits lim = {.idle_seconds = 1800, .absolute_seconds = 43200};

static void test_fresh_session_is_good(void **state)
{
	(void)state;
	assert_false(session_expired(&lim, 1000, 1000, 1000));
	assert_false(session_expired(&lim, 1000, 1000, 1000 + 1799));
}

static void test_idle_expiry(void **state)
{
	(void)state;
	assert_true(session_expired(&lim, 1000, 1000, 1000 + 1800));
	/* Activity keeps it alive... */
	assert_false(session_expired(&lim, 1000, 20000, 20000 + 1000));
}

static void test_absolute_expiry_despite_activity(void **state)
{
	(void)state;
	assert_true(session_expired(&lim, 1000, 1000 + 43190, 1000 + 43200));
}

static void test_clock_far_behind_last_use_is_expired(void **state)
{
	(void)state;
	assert_true(session_expired(&lim, 5000, 5000, 4000));
	assert_false(session_expired(&lim, 5000, 5000, 4990));
}

static void test_login_throttling(void **state)
{
	(void)state;
	login_limits l = {.window_seconds = 900, .max_per_account = 5, .max_per_address = 20};
	assert_false(login_throttled(&l, 4, 19));
	assert_true(login_throttled(&l, 5, 0));
	assert_true(login_throttled(&l, 0, 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_session_is_good),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_absolute_expiry_despite_activity),
		cmocka_unit_test(test_clock_far_behind_last_use_is_expired),
		cmocka_unit_test(test_login_throttling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
