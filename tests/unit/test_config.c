/* INI configuration: values land, bad values and unknown keys are named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];

static int load(const char *text, server_config *cfg, char *err, size_t errlen)
{
	snprintf(path, sizeof path, "/tmp/exosafe-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	config_defaults(cfg);
	int rc = config_load_file(cfg, path, err, errlen);
	unlink(path);
	return rc;
}

static void test_defaults(void **state)
{
	(void)state;
	server_config c;
	config_defaults(&c);
	assert_int_equal(c.port, 8080);
	assert_string_equal(c.bind_address, "127.0.0.1");
	assert_false(c.secure_cookies);
	assert_int_equal(c.max_body_bytes, 1024 * 1024);
	assert_int_equal(c.session.idle_seconds, 1800);
	assert_int_equal(c.login.max_per_account, 5);
	assert_string_equal(c.meddra_version, "28.1");
}

static void test_values_are_read(void **state)
{
	(void)state;
	server_config c;
	char err[256];
	assert_int_equal(load("[server]\nport = 9090\nsecure_cookies = true\n[database]\npath = /srv/x.db\n"
	                      "[security]\nsession_idle_seconds = 600\n", &c, err, sizeof err), 0);
	assert_int_equal(c.port, 9090);
	assert_true(c.secure_cookies);
	assert_string_equal(c.db_path, "/srv/x.db");
	assert_int_equal(c.session.idle_seconds, 600);
	assert_int_equal(load("[pharmacovigilance]\nmeddra_version = 27.1\n", &c, err, sizeof err), 0);
	assert_string_equal(c.meddra_version, "27.1");
}

static void test_bad_values_are_named(void **state)
{
	(void)state;
	server_config c;
	char err[256];
	assert_int_equal(load("[server]\nport = 70000\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "port"));
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(load("[server]\nsecure_cookies = maybe\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "secure_cookies"));
	/* E2B E.i.2.1a is "N.N", at most 4 characters. */
	static const char *const bad_meddra[] = {"20", "v27.1", "27.", "27.10", "127.1", "27,1", ""};
	for (size_t i = 0; i < sizeof bad_meddra / sizeof bad_meddra[0]; i++) {
		char ini[80];
		snprintf(ini, sizeof ini, "[pharmacovigilance]\nmeddra_version = %s\n", bad_meddra[i]);
		assert_int_equal(load(ini, &c, err, sizeof err), -1);
		assert_non_null(strstr(err, "meddra_version"));
	}
	assert_int_equal(load("[server]\nprot = 80\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown setting"));
	assert_int_equal(config_load_file(&c, "/nonexistent/exosafe.ini", err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open"));
}

static void test_mail_section(void **state)
{
	(void)state;
	server_config c;
	char err[256];
	config_defaults(&c);
	assert_string_equal(c.mail.smtp_url, "");  /* not configured: mail stays queued */
	assert_int_equal(c.mail.reminder_hours_before, 24);
	assert_int_equal(c.mail.reset_valid_minutes, 60);
	assert_int_equal(load("[mail]\nsmtp_url = smtps://mail.example.jp:465\nfrom = noreply@clinic.example.jp\n"
	                      "username = u\npassword = p w\nrequire_starttls = yes\nretry_base_seconds = 30\n"
	                      "max_attempts = 5\npublic_url = https://clinic.example.jp/\nreminder_hours_before = 48\n",
	                      &c, err, sizeof err),
	                 0);
	assert_string_equal(c.mail.smtp_url, "smtps://mail.example.jp:465");
	assert_string_equal(c.mail.from, "noreply@clinic.example.jp");
	assert_string_equal(c.mail.password, "p w");
	assert_true(c.mail.require_tls);
	assert_int_equal(c.mail.retry_base_seconds, 30);
	assert_int_equal(c.mail.max_attempts, 5);
	assert_string_equal(c.mail.public_url, "https://clinic.example.jp");  /* no trailing slash */
	assert_int_equal(c.mail.reminder_hours_before, 48);
	static const char *const bad[] = {
		"smtp_url = http://mail.example.jp", "from = not-an-address", "max_attempts = 0",
		"public_url = clinic.example.jp", "reset_valid_minutes = 1", "require_starttls = sometimes",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char ini[120];
		snprintf(ini, sizeof ini, "[mail]\n%s\n", bad[i]);
		assert_int_equal(load(ini, &c, err, sizeof err), -1);
		assert_non_null(strstr(err, "[mail]"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_are_read),
		cmocka_unit_test(test_bad_values_are_named),
		cmocka_unit_test(test_mail_section),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
