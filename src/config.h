/* The server's configuration: the one piece of global state, read once at start-up from
 * defaults, then an INI file (inih), then command-line flags. */
#ifndef EXOSAFE_CONFIG_H
#define EXOSAFE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/session_policy.h"

/* [mail]: the SMTP relay the outbox is delivered to, and the mail the services queue. */
typedef struct mail_config {
	char smtp_url[512];              /* smtp://host[:port] or smtps://host[:port]; "" = not configured */
	char from[255];                  /* envelope and From: address */
	char username[256], password[256]; /* SMTP AUTH, both or neither */
	bool require_tls;                /* STARTTLS required on smtp:// (refuse to send in clear) */
	int timeout_seconds;             /* one delivery attempt */
	int poll_seconds;                /* the sender looks for due messages this often */
	int retry_base_seconds;          /* wait after the first failure; doubles after each */
	int retry_max_seconds;           /* longest wait between attempts */
	int max_attempts;                /* after this many failures a message is marked failed */
	char public_url[512];            /* the clinic's address as patients reach it, for links */
	int reminder_hours_before;       /* booking reminders go out this long before the call */
	int reset_valid_minutes;         /* a password-reset link works this long */
} mail_config;
/* [followup]: active safety follow-up (issue 17, src/service/followup.h). */
typedef struct followup_config {
	int tick_seconds;                /* the server materialises due check-ins this often */
	int reminder_days;               /* one reminder this long after due; a non-responder as long after it */
	int link_valid_days;             /* a check-in's e-mailed link works this long after due */
	double alpha;                    /* MaxSPRT overall false-alarm probability per lot */
	double upper_limit;              /* MaxSPRT T: expected events at which a lot's surveillance ends */
	int min_events;                  /* MaxSPRT M: events needed before a signal */
} followup_config;

/* Production refuses placeholders and demo data; demo marks every page 「デモ」. AUTO (no
 * [server] mode, no --mode): demo when the database was filled by exosafe demo, else production. */
typedef enum server_mode { MODE_AUTO = 0, MODE_PRODUCTION, MODE_DEMO } server_mode;

typedef struct server_config {
	char db_path[4096];
	char web_root[4096];
	char data_dir[4096];             /* questionnaires, screening rules, consent texts */
	char bind_address[64];
	int port;
	int threads;
	bool secure_cookies;             /* add Secure to cookies: set when served behind TLS */
	size_t max_body_bytes;
	size_t max_upload_bytes;         /* certificate files */
	server_mode mode;                /* resolved by server_run: never AUTO while serving */
	int dispense_expiry_margin_days; /* lots expiring sooner than this are not dispensed */
	int connection_timeout_seconds;  /* idle limit once a request's headers are in */
	int header_timeout_seconds;      /* idle limit while receiving a request's headers */
	int max_connections_per_address; /* open connections from one IP address; 0: no limit */
	session_limits session;
	login_limits login;
	int purge_interval_seconds;      /* expired sessions and old log-in failures are purged this often */
	int64_t booking_cutoff_seconds;  /* patients may cancel or reschedule until this long before */
	int64_t questionnaire_valid_seconds; /* answers older than this cannot back an approval */
	int ae_due_days_fatal;           /* serious adverse events: reporting due, death/life-threatening */
	int ae_due_days_serious;         /* other serious */
	int ae_lot_serious_threshold;    /* serious reports on one lot that raise a lot alert */
	bool ae_lot_alert_quarantine;    /* a lot alert also quarantines the lot */
	char meddra_version[8];          /* MedDRA release reactions are coded in, "N.N" (E2B E.i.2.1a) */
	mail_config mail;
	followup_config followup;
} server_config;

void config_defaults(server_config *cfg);

/* Reads an INI file into cfg (sections [server], [database], [security]).
 * Returns 0, or -1 with a message naming the file, line and key in err. */
int config_load_file(server_config *cfg, const char *path, char *err, size_t errlen);

/* Parses "production" or "demo" into *out. Returns 0, or -1 for anything else. */
int config_parse_mode(const char *value, server_mode *out);

#endif
