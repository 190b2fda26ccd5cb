#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/field_check.h"
#include "core/validate.h"

void config_defaults(server_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->db_path, sizeof cfg->db_path, "var/exosafe.db");
	snprintf(cfg->web_root, sizeof cfg->web_root, "web");
	snprintf(cfg->data_dir, sizeof cfg->data_dir, "data");
	snprintf(cfg->bind_address, sizeof cfg->bind_address, "127.0.0.1");
	cfg->port = 8080;
	cfg->threads = 4;
	cfg->secure_cookies = false;
	cfg->max_body_bytes = 1024 * 1024;
	cfg->max_upload_bytes = 5 * 1024 * 1024;
	cfg->dispense_expiry_margin_days = 30;
	cfg->connection_timeout_seconds = 30;
	/* Slow header senders hold a connection each: 5 s of silence ends one, and one address
	 * holds at most half of the 256 connections (set 0 behind a reverse proxy, where
	 * every client has the proxy's address, and let the proxy limit them). */
	cfg->header_timeout_seconds = 5;
	cfg->max_connections_per_address = 128;
	cfg->session.idle_seconds = 30 * 60;
	cfg->session.absolute_seconds = 12 * 60 * 60;
	cfg->login.window_seconds = 15 * 60;
	cfg->login.max_per_account = 5;
	cfg->login.max_per_address = 20;
	cfg->purge_interval_seconds = 60;
	cfg->booking_cutoff_seconds = 60 * 60;
	cfg->questionnaire_valid_seconds = 90LL * 24 * 3600;
	cfg->ae_due_days_fatal = 7;
	cfg->ae_due_days_serious = 15;
	cfg->ae_lot_serious_threshold = 2;
	cfg->ae_lot_alert_quarantine = true;
	/* MedDRA 28.1 (September 2025). Not CTCAE v5.0's 20.1: E2B names the release the sender
	 * codes with, and receivers accept only recent ones; a clinic sets its own. */
	snprintf(cfg->meddra_version, sizeof cfg->meddra_version, "28.1");
	cfg->mail.timeout_seconds = 30;
	cfg->mail.poll_seconds = 30;
	/* 1 min, 2, 4, ... capped at 6 h; 12 attempts span about two days before a message is
	 * marked failed, longer than a relay's usual outage. */
	cfg->mail.retry_base_seconds = 60;
	cfg->mail.retry_max_seconds = 6 * 3600;
	cfg->mail.max_attempts = 12;
	snprintf(cfg->mail.public_url, sizeof cfg->mail.public_url, "http://127.0.0.1:8080");
	cfg->mail.reminder_hours_before = 24;
	cfg->mail.reset_valid_minutes = 60;
	cfg->followup.tick_seconds = 300;
	cfg->followup.reminder_days = 3;
	cfg->followup.link_valid_days = 14;
	cfg->followup.alpha = 0.05;
	cfg->followup.upper_limit = 20;
	cfg->followup.min_events = 2;
}

/* Copies value into a fixed buffer; -1 when it does not fit. */
static int copy_setting(char *dst, size_t dstlen, const char *value)
{
	if (strlen(value) >= dstlen)
		return -1;
	snprintf(dst, dstlen, "%s", value);
	return 0;
}

static int parse_smtp_url(const char *value, char *dst, size_t dstlen)
{
	if (*value != '\0' && strncmp(value, "smtp://", 7) != 0 && strncmp(value, "smtps://", 8) != 0)
		return -1;
	return copy_setting(dst, dstlen, value);
}

static int parse_http_url(const char *value, char *dst, size_t dstlen)
{
	if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
		return -1;
	/* Links append their path: keep no trailing slash. */
	if (copy_setting(dst, dstlen, value) != 0)
		return -1;
	size_t n = strlen(dst);
	while (n > 0 && dst[n - 1] == '/')
		dst[--n] = '\0';
	return 0;
}

/* "N.N": one or two digits, a dot, one digit (E2B E.i.2.1a, at most 4 characters). */
static int parse_meddra_version(const char *value, char *out, size_t outlen)
{
	if (!field_is_meddra_version(value) || strlen(value) >= outlen)
		return -1;
	snprintf(out, outlen, "%s", value);
	return 0;
}

int config_parse_mode(const char *value, server_mode *out)
{
	if (strcmp(value, "production") == 0)
		*out = MODE_PRODUCTION;
	else if (strcmp(value, "demo") == 0)
		*out = MODE_DEMO;
	else
		return -1;
	return 0;
}

typedef struct load_state {
	server_config *cfg;
	char *err;
	size_t errlen;
	const char *path;
} load_state;

static int parse_long(const char *value, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *value, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *value, bool *out)
{
	if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
		*out = true;
	else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	load_state *st = user;
	server_config *c = st->cfg;
	long v;
	int ok = -1;

#define KEY(sec, key) (strcmp(section, sec) == 0 && strcmp(name, key) == 0)
	if (KEY("server", "port"))
		ok = parse_long(value, 1, 65535, &v) == 0 ? (c->port = (int)v, 0) : -1;
	else if (KEY("server", "bind"))
		ok = strlen(value) < sizeof c->bind_address ? (snprintf(c->bind_address, sizeof c->bind_address, "%s", value), 0) : -1;
	else if (KEY("server", "web_root"))
		ok = strlen(value) < sizeof c->web_root ? (snprintf(c->web_root, sizeof c->web_root, "%s", value), 0) : -1;
	else if (KEY("server", "data_dir"))
		ok = strlen(value) < sizeof c->data_dir ? (snprintf(c->data_dir, sizeof c->data_dir, "%s", value), 0) : -1;
	else if (KEY("intake", "booking_cutoff_minutes"))
		ok = parse_long(value, 0, 7 * 24 * 60, &v) == 0 ? (c->booking_cutoff_seconds = v * 60, 0) : -1;
	else if (KEY("intake", "questionnaire_valid_days"))
		ok = parse_long(value, 1, 365, &v) == 0 ? (c->questionnaire_valid_seconds = v * 86400, 0) : -1;
	else if (KEY("server", "max_upload_bytes"))
		ok = parse_long(value, 1024, 64L * 1024 * 1024, &v) == 0 ? (c->max_upload_bytes = (size_t)v, 0) : -1;
	else if (strcmp(section, "clinic") == 0) {
		/* The clinic's details moved into the database, where the admin edits them. */
		snprintf(st->err, st->errlen,
		         "%s: [clinic] %s is no longer read from the config: the clinic's details are set on the web "
		         "page /clinic-settings.html (admin) or with exosafe init --clinic-name/--clinic-phone/...",
		         st->path, name);
		return 0;
	} else if (KEY("server", "mode"))
		ok = config_parse_mode(value, &c->mode);
	else if (KEY("mail", "smtp_url"))
		ok = parse_smtp_url(value, c->mail.smtp_url, sizeof c->mail.smtp_url);
	else if (KEY("mail", "from"))
		ok = validate_email(value) == NULL ? copy_setting(c->mail.from, sizeof c->mail.from, value) : -1;
	else if (KEY("mail", "username"))
		ok = copy_setting(c->mail.username, sizeof c->mail.username, value);
	else if (KEY("mail", "password"))
		ok = copy_setting(c->mail.password, sizeof c->mail.password, value);
	else if (KEY("mail", "require_starttls"))
		ok = parse_bool(value, &c->mail.require_tls);
	else if (KEY("mail", "timeout_seconds"))
		ok = parse_long(value, 1, 600, &v) == 0 ? (c->mail.timeout_seconds = (int)v, 0) : -1;
	else if (KEY("mail", "poll_seconds"))
		ok = parse_long(value, 1, 3600, &v) == 0 ? (c->mail.poll_seconds = (int)v, 0) : -1;
	else if (KEY("mail", "retry_base_seconds"))
		ok = parse_long(value, 1, 86400, &v) == 0 ? (c->mail.retry_base_seconds = (int)v, 0) : -1;
	else if (KEY("mail", "retry_max_seconds"))
		ok = parse_long(value, 1, 7L * 86400, &v) == 0 ? (c->mail.retry_max_seconds = (int)v, 0) : -1;
	else if (KEY("mail", "max_attempts"))
		ok = parse_long(value, 1, 100, &v) == 0 ? (c->mail.max_attempts = (int)v, 0) : -1;
	else if (KEY("mail", "public_url"))
		ok = parse_http_url(value, c->mail.public_url, sizeof c->mail.public_url);
	else if (KEY("mail", "reminder_hours_before"))
		ok = parse_long(value, 1, 14 * 24, &v) == 0 ? (c->mail.reminder_hours_before = (int)v, 0) : -1;
	else if (KEY("mail", "reset_valid_minutes"))
		ok = parse_long(value, 5, 24 * 60, &v) == 0 ? (c->mail.reset_valid_minutes = (int)v, 0) : -1;
	else if (KEY("traceability", "dispense_expiry_margin_days"))
		ok = parse_long(value, 0, 365, &v) == 0 ? (c->dispense_expiry_margin_days = (int)v, 0) : -1;
	else if (KEY("pharmacovigilance", "due_days_fatal"))
		ok = parse_long(value, 1, 90, &v) == 0 ? (c->ae_due_days_fatal = (int)v, 0) : -1;
	else if (KEY("pharmacovigilance", "due_days_serious"))
		ok = parse_long(value, 1, 90, &v) == 0 ? (c->ae_due_days_serious = (int)v, 0) : -1;
	else if (KEY("pharmacovigilance", "lot_serious_threshold"))
		ok = parse_long(value, 1, 1000, &v) == 0 ? (c->ae_lot_serious_threshold = (int)v, 0) : -1;
	else if (KEY("pharmacovigilance", "lot_alert_quarantine"))
		ok = parse_bool(value, &c->ae_lot_alert_quarantine);
	else if (KEY("pharmacovigilance", "meddra_version"))
		ok = parse_meddra_version(value, c->meddra_version, sizeof c->meddra_version);
	else if (KEY("followup", "tick_seconds"))
		ok = parse_long(value, 10, 86400, &v) == 0 ? (c->followup.tick_seconds = (int)v, 0) : -1;
	else if (KEY("followup", "reminder_days"))
		ok = parse_long(value, 1, 30, &v) == 0 ? (c->followup.reminder_days = (int)v, 0) : -1;
	else if (KEY("followup", "link_valid_days"))
		ok = parse_long(value, 1, 90, &v) == 0 ? (c->followup.link_valid_days = (int)v, 0) : -1;
	else if (KEY("followup", "alpha"))
		ok = parse_double(value, 0.0001, 0.5, &c->followup.alpha);
	else if (KEY("followup", "upper_limit"))
		ok = parse_double(value, 1, 1000, &c->followup.upper_limit);
	else if (KEY("followup", "min_events"))
		ok = parse_long(value, 1, 100, &v) == 0 ? (c->followup.min_events = (int)v, 0) : -1;
	else if (KEY("server", "threads"))
		ok = parse_long(value, 1, 64, &v) == 0 ? (c->threads = (int)v, 0) : -1;
	else if (KEY("server", "max_body_bytes"))
		ok = parse_long(value, 1024, 64L * 1024 * 1024, &v) == 0 ? (c->max_body_bytes = (size_t)v, 0) : -1;
	else if (KEY("server", "connection_timeout_seconds"))
		ok = parse_long(value, 1, 3600, &v) == 0 ? (c->connection_timeout_seconds = (int)v, 0) : -1;
	else if (KEY("server", "header_timeout_seconds"))
		ok = parse_long(value, 1, 3600, &v) == 0 ? (c->header_timeout_seconds = (int)v, 0) : -1;
	else if (KEY("server", "max_connections_per_address"))
		ok = parse_long(value, 0, 256, &v) == 0 ? (c->max_connections_per_address = (int)v, 0) : -1;
	else if (KEY("server", "secure_cookies"))
		ok = parse_bool(value, &c->secure_cookies);
	else if (KEY("database", "path") || KEY("database", "url") || KEY("database", "database_url") ||
	         KEY("", "database_url"))
		/* A PostgreSQL URL (postgres://...) goes where the SQLite path does: the store opens
		 * either (store_open_url). */
		ok = strlen(value) < sizeof c->db_path ? (snprintf(c->db_path, sizeof c->db_path, "%s", value), 0) : -1;
	else if (KEY("security", "session_idle_seconds"))
		ok = parse_long(value, 1, 7L * 24 * 3600, &v) == 0 ? (c->session.idle_seconds = v, 0) : -1;
	else if (KEY("security", "session_absolute_seconds"))
		ok = parse_long(value, 1, 30L * 24 * 3600, &v) == 0 ? (c->session.absolute_seconds = v, 0) : -1;
	else if (KEY("security", "login_window_seconds"))
		ok = parse_long(value, 1, 7L * 24 * 3600, &v) == 0 ? (c->login.window_seconds = v, 0) : -1;
	else if (KEY("security", "login_max_failures_per_account"))
		ok = parse_long(value, 1, 1000, &v) == 0 ? (c->login.max_per_account = v, 0) : -1;
	else if (KEY("security", "purge_interval_seconds"))
		ok = parse_long(value, 1, 86400, &v) == 0 ? (c->purge_interval_seconds = (int)v, 0) : -1;
	else if (KEY("security", "login_max_failures_per_address"))
		ok = parse_long(value, 1, 100000, &v) == 0 ? (c->login.max_per_address = v, 0) : -1;
	else {
		snprintf(st->err, st->errlen, "%s: unknown setting [%s] %s", st->path, section, name);
		return 0;
	}
#undef KEY
	if (ok != 0) {
		snprintf(st->err, st->errlen, "%s: bad value for [%s] %s: '%s'", st->path, section, name, value);
		return 0;
	}
	return 1;
}

int config_load_file(server_config *cfg, const char *path, char *err, size_t errlen)
{
	load_state st = {cfg, err, errlen, path};
	err[0] = '\0';
	int rc = ini_parse(path, on_entry, &st);
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot open config file: %s", path, strerror(errno));
		return -1;
	}
	if (rc != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: syntax error", path);
		/* inih reports the first failing line number. */
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, " (line %d)", rc);
		return -1;
	}
	return 0;
}
