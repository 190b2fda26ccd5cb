/* exosafe followup tick: materialises due follow-up check-ins, as the server's tick does. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "clock.h"
#include "config.h"
#include "service/followup.h"

static const char followup_usage[] =
	"usage: exosafe followup tick [--db PATH] [--config FILE] [--data DIR]\n"
	"\n"
	"tick  creates the follow-up check-ins that are due now (mailing each, with one reminder\n"
	"      later), marks expired ones missed and checks every lot by MaxSPRT, as the server\n"
	"      does every [followup] tick_seconds; prints what it did as JSON. Running it again at\n"
	"      the same instant changes nothing.\n"
	"  --db PATH      SQLite database (default var/exosafe.db, or [database] path)\n"
	"  --config FILE  INI file with the [followup] and [mail] settings\n"
	"  --data DIR     the data folder with the mail templates (default data)\n";

int cli_followup(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(followup_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "tick") != 0)
		return cli_usage_error("followup", "unknown subcommand '%s' (tick)", argv[1]);
	const char *db = NULL, *config_file = NULL, *data = NULL;
	const cli_option opts[] = {{"db", &db}, {"config", &config_file}, {"data", &data}, {NULL}};
	int parsed = cli_parse_options("followup", followup_usage, argc - 1, argv + 1, opts, NULL);
	if (parsed != CLI_CONTINUE)
		return parsed;
	server_config cfg;
	config_defaults(&cfg);
	if (config_file != NULL) {
		char err[512];
		if (config_load_file(&cfg, config_file, err, sizeof err) != 0) {
			fprintf(stderr, "exosafe followup: %s\n", err);
			return 2;
		}
	}
	if (db != NULL && snprintf(cfg.db_path, sizeof cfg.db_path, "%s", db) >= (int)sizeof cfg.db_path)
		return cli_usage_error("followup", "--db path is too long");
	if (data != NULL && snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data) >= (int)sizeof cfg.data_dir)
		return cli_usage_error("followup", "--data path is too long");
	store *s = cli_open_store(cfg.db_path, 1);
	if (s == NULL)
		return 1;
	followup_settings fs = followup_settings_from_config(&cfg);
	followup_tick_counts counts;
	int rc = 0;
	if (followup_tick(s, &fs, clock_now(), &counts) != STORE_OK) {
		fprintf(stderr, "exosafe followup: %s\n", s->errmsg);
		rc = 1;
	} else {
		printf("{\"created\":%lld,\"superseded\":%lld,\"expired\":%lld,\"mailed\":%lld,\"reminded\":%lld,"
		       "\"signals\":%lld}\n",
		       (long long)counts.created, (long long)counts.superseded, (long long)counts.expired,
		       (long long)counts.mailed, (long long)counts.reminded, (long long)counts.signals);
	}
	store_close(s);
	return rc;
}
