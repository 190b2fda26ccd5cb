/* exosafe mail: the outbox, for operators. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "core/timefmt.h"
#include "service/mail_sender.h"

static const char mail_usage[] =
	"usage: exosafe mail list [--db PATH] [--config FILE] [--status queued|sent|failed|cancelled] [--limit N]\n"
	"       exosafe mail send-due [--db PATH] [--config FILE]\n"
	"\n"
	"list      prints the outbox, newest first, as JSON lines (no message bodies)\n"
	"send-due  delivers the messages that are due now to [mail] smtp_url, as the server's\n"
	"          sender does, and prints how many were sent, will be retried, or failed\n"
	"  --db PATH      SQLite database (default var/exosafe.db, or [database] path)\n"
	"  --config FILE  INI file with the [mail] settings\n";

static int print_row(void *ctx, const mail_record *m)
{
	(void)ctx;
	char created[ISO8601_LEN], next[ISO8601_LEN], sent[ISO8601_LEN] = "";
	time_iso8601(m->created_at, created);
	time_iso8601(m->next_attempt_at, next);
	if (m->sent_at)
		time_iso8601(m->sent_at, sent);
	json_t *row = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "id", (json_int_t)m->id, "status",
	                        m->status, "kind", m->kind, "to", m->to_address, "subject", m->subject ? m->subject : "",
	                        "created_at", created, "attempts", m->attempts, "next_attempt_at", next, "sent_at", sent,
	                        "last_error", m->last_error);
	json_dumpf(row, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(row);
	return 0;
}

int cli_mail(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(mail_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "list") != 0 && strcmp(sub, "send-due") != 0)
		return cli_usage_error("mail", "unknown subcommand '%s' (list or send-due)", sub);
	const char *db = NULL, *config_file = NULL, *status = NULL, *limit_arg = NULL;
	const cli_option opts[] = {
		{"db", &db}, {"config", &config_file}, {"status", &status}, {"limit", &limit_arg}, {NULL},
	};
	/* argv[1] is the subcommand. */
	int parsed = cli_parse_options("mail", mail_usage, argc - 1, argv + 1, opts, NULL);
	if (parsed != CLI_CONTINUE)
		return parsed;
	int limit = 100;
	if (limit_arg != NULL && (sscanf(limit_arg, "%d", &limit) != 1 || limit < 1 || limit > 100000))
		return cli_usage_error("mail", "--limit must be a number from 1 to 100000, got '%s'", limit_arg);
	if (status && strcmp(status, "queued") != 0 && strcmp(status, "sent") != 0 && strcmp(status, "failed") != 0 &&
	    strcmp(status, "cancelled") != 0)
		return cli_usage_error("mail", "--status must be queued, sent, failed or cancelled, got '%s'", status);

	server_config cfg;
	config_defaults(&cfg);
	if (config_file != NULL) {
		char err[512];
		if (config_load_file(&cfg, config_file, err, sizeof err) != 0) {
			fprintf(stderr, "exosafe mail: %s\n", err);
			return 2;
		}
	}
	if (db != NULL && snprintf(cfg.db_path, sizeof cfg.db_path, "%s", db) >= (int)sizeof cfg.db_path)
		return cli_usage_error("mail", "--db path is too long");
	store *s = cli_open_store(cfg.db_path, 1);
	if (s == NULL)
		return 1;
	int rc = 0;
	if (strcmp(sub, "list") == 0) {
		if (store_mail_list(s, status, limit, print_row, NULL) != STORE_OK) {
			fprintf(stderr, "exosafe mail: %s\n", s->errmsg);
			rc = 1;
		}
	} else {
		mail_send_result r;
		if (mail_send_due(s, &cfg, 64, &r) != 0) {
			fprintf(stderr, "exosafe mail: %s\n", s->errmsg);
			rc = 1;
		} else if (!r.configured) {
			fprintf(stderr, "exosafe mail: mail is not configured ([mail] smtp_url and from); nothing sent, "
			                "messages stay queued\n");
			rc = 1;
		} else {
			printf("sent %d, to retry %d, failed %d\n", r.sent, r.retrying, r.failed);
			if (r.last_error[0])
				printf("last error: %s\n", r.last_error);
		}
	}
	store_close(s);
	return rc;
}
