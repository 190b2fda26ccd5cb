/* exosafe serve: run the HTTP server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "http/server.h"

static const char serve_usage[] =
	"usage: exosafe serve [--db PATH] [--port N] [--bind ADDR] [--web DIR] [--data DIR] [--config FILE]\n"
	"                     [--mode production|demo]\n"
	"\n"
	"Serves the JSON API under /api/v1/ and the web UI from DIR (default: web).\n"
	"Settings come from the defaults, then the INI file given with --config, then the flags.\n"
	"  --db PATH      SQLite database (default var/exosafe.db); create it with 'exosafe init'\n"
	"  --port N       TCP port, 1-65535 (default 8080)\n"
	"  --bind ADDR    IPv4 address to listen on (default 127.0.0.1)\n"
	"  --web DIR      folder of the static UI (default web)\n"
	"  --data DIR     questionnaires, screening rules and consent texts (default data)\n"
	"  --config FILE  INI file; see docs/exosafe.ini.example\n"
	"  --mode M       production (placeholder or demo clinic details refused) or demo (pages marked\n"
	"                 デモ); default: demo for a database filled by 'exosafe demo', else production\n"
	"Stops cleanly on SIGINT or SIGTERM.\n";

int cli_serve(int argc, char **argv)
{
	const char *mode = NULL;
	const char *db = NULL, *port = NULL, *bind = NULL, *web = NULL, *data = NULL, *config_file = NULL;
	const cli_option opts[] = {
		{"db", &db}, {"port", &port}, {"bind", &bind}, {"web", &web}, {"config", &config_file}, {"data", &data},
		{"mode", &mode}, {NULL},
	};
	int status = cli_parse_options("serve", serve_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;

	server_config cfg;
	config_defaults(&cfg);
	if (config_file != NULL) {
		char err[512];
		if (config_load_file(&cfg, config_file, err, sizeof err) != 0) {
			fprintf(stderr, "exosafe serve: %s\n", err);
			return 2;
		}
	}
	if (mode != NULL && config_parse_mode(mode, &cfg.mode) != 0)
		return cli_usage_error("serve", "--mode must be production or demo, got '%s'", mode);
	if (port != NULL) {
		char *end;
		errno = 0;
		long v = strtol(port, &end, 10);
		if (errno != 0 || end == port || *end != '\0' || v < 1 || v > 65535)
			return cli_usage_error("serve", "--port must be a number from 1 to 65535, got '%s'", port);
		cfg.port = (int)v;
	}
	if (db != NULL && snprintf(cfg.db_path, sizeof cfg.db_path, "%s", db) >= (int)sizeof cfg.db_path)
		return cli_usage_error("serve", "--db path is too long");
	if (web != NULL && snprintf(cfg.web_root, sizeof cfg.web_root, "%s", web) >= (int)sizeof cfg.web_root)
		return cli_usage_error("serve", "--web path is too long");
	if (data != NULL && snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data) >= (int)sizeof cfg.data_dir)
		return cli_usage_error("serve", "--data path is too long");
	if (bind != NULL && snprintf(cfg.bind_address, sizeof cfg.bind_address, "%s", bind) >= (int)sizeof cfg.bind_address)
		return cli_usage_error("serve", "--bind address is too long");
	return server_run(&cfg);
}
