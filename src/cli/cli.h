/* The exosafe subcommands. Each takes argc/argv from its own name on and returns the
 * process exit status: 0 success, 1 failure, 2 usage error. */
#ifndef EXOSAFE_CLI_H
#define EXOSAFE_CLI_H

#include "store/store.h"

int cli_init(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_clinic(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_recall(int argc, char **argv);
int cli_import_temps(int argc, char **argv);
int cli_coldchain(int argc, char **argv);
int cli_adcheck(int argc, char **argv);
int cli_signals(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_mail(int argc, char **argv);
int cli_followup(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_restore(int argc, char **argv);
int cli_migrate(int argc, char **argv);

/* Opens the database at path; when require_schema, refuses a missing file (none is created)
 * and any schema but the current one (see store_schema_usable). Without, creates the file
 * when absent (init). Prints the reason and returns NULL on failure. */
store *cli_open_store(const char *path, int require_schema);
/* Parses --clinic (a positive clinic id; NULL: clinic 1) into *id; 0, or exit status 2 with the
 * usage error printed. */
int cli_parse_clinic(const char *cmd, const char *clinic_arg, int64_t *id);
/* Narrows s to clinic id (store.h clinic_scope) once it is known to exist; 0, or exit status 1
 * with "clinic N does not exist; nothing was changed" (or the store's error) printed. */
int cli_scope_clinic(store *s, const char *cmd, int64_t id);

/* Opens the database at path in mode; with st, reads its schema into *st and refuses (reason
 * printed, NULL) an empty database, one from a newer exosafe, or an unreadable schema, leaving
 * older and damaged ones to the caller. */
store *cli_open_checked(const char *path, store_open_mode mode, store_schema_status *st);

/* The clinic's details for a notice or export made by cmd. A database filled by exosafe demo
 * gives its demo details; otherwise incomplete or placeholder details are refused with the
 * missing fields named. Returns 0, or -1 with the reason printed. */
int cli_clinic_for_documents(store *s, const char *cmd, clinic_profile *out);

/* A command's option that takes a value: --name VALUE stores VALUE in *value (a later one wins). */
typedef struct cli_option {
	const char *name;
	const char **value;
} cli_option;

/* cli_parse_options' result when the command goes on. */
#define CLI_CONTINUE (-1)

/* Parses argv (argv[0] is the command's name) against opts, ended by {NULL}; --help, always
 * understood, prints usage to standard output. Returns CLI_CONTINUE when the command goes on,
 * else its exit status: 0 after --help, 2 after a usage error (printed, naming cmd). With
 * first_operand NULL operands are a usage error; otherwise *first_operand is the index of the
 * first one in argv (argc when there is none). */
int cli_parse_options(const char *cmd, const char *usage, int argc, char **argv, const cli_option *opts,
                      int *first_operand);

/* Prints "exosafe CMD: message" and the hint to run --help; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
