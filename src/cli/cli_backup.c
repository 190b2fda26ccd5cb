/* exosafe backup and exosafe restore: a checked copy of a live database, and putting one back. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "service/audit_log.h"

static const char backup_usage[] =
	"usage: exosafe backup --db PATH --out FILE [--force]\n"
	"\n"
	"Copies the database at PATH to FILE while the server goes on serving: the copy is the\n"
	"database as of one moment (every write acknowledged before the backup started is in it),\n"
	"made in a temporary file beside FILE, synced to disk, then checked (SQLite's integrity and\n"
	"foreign-key checks, the schema, the audit log's hash chain) before it takes the name FILE.\n"
	"An existing FILE is refused unless --force. Exit status 0, 1 on failure (nothing at FILE\n"
	"changed), 2 on usage errors.\n";

static const char restore_usage[] =
	"usage: exosafe restore --from FILE --db PATH [--force]\n"
	"\n"
	"Puts the backup FILE in place as the database PATH. The backup is checked first (integrity,\n"
	"a schema no newer than this exosafe, the audit log's hash chain); it is copied to a temporary\n"
	"file beside PATH, synced, checked again, and renamed over PATH in one step, so PATH is the old\n"
	"database or the restored one, never a mix. An existing PATH is refused unless --force, and\n"
	"always while another program has it open: stop exosafe serve first (a server started during\n"
	"the restore is not detected). Exit status 0, 1 on failure (PATH unchanged), 2 on usage errors.\n";

/* Removes each "--force" from argv (a flag without a value, which cli_parse_options does not
 * take); returns whether there was one. */
static bool take_force(int *argc, char **argv)
{
	bool found = false;
	int kept = 0;
	for (int i = 0; i < *argc; i++) {
		if (i > 0 && strcmp(argv[i], "--force") == 0)
			found = true;
		else
			argv[kept++] = argv[i];
	}
	*argc = kept;
	argv[kept] = NULL;
	return found;
}

/* A new empty file named after target in its folder (TARGET.SUFFIX-XXXXXX) into tmp. */
static int make_temp(const char *target, const char *suffix, char *tmp, size_t len)
{
	if (snprintf(tmp, len, "%s.%s-XXXXXX", target, suffix) >= (int)len)
		return -1;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Removes a temporary copy and whatever SQLite left beside it. */
static void remove_temp(const char *tmp)
{
	char name[4200];
	unlink(tmp);
	for (const char *const *suffix = (const char *const[]){"-wal", "-shm", "-journal", NULL}; *suffix; suffix++) {
		snprintf(name, sizeof name, "%s%s", tmp, *suffix);
		unlink(name);
	}
}

/* The checks a copy passes before it is used, on an open store: the schema (older accepted,
 * newer or damaged not), integrity and the audit chain. what names the copy in messages.
 * Returns 0 with *st and *rows filled, or -1 with the reason printed. */
static int check_copy(const char *cmd, store *s, const char *what, store_schema_status *st, int64_t *rows)
{
	char msg[1024];
	if (store_schema_usable(s, what, true, st, msg, sizeof msg) != 0) {
		fprintf(stderr, "exosafe %s: %s\n", cmd, msg);
		return -1;
	}
	if (store_integrity_check(s) != STORE_OK) {
		fprintf(stderr, "exosafe %s: %s fails the integrity check: %s\n", cmd, what, s->errmsg);
		return -1;
	}
	audit_verifier v;
	if (audit_log_verify(s, &v) != STORE_OK) {
		fprintf(stderr, "exosafe %s: %s: %s\n", cmd, what, s->errmsg);
		return -1;
	}
	if (v.broken) {
		fprintf(stderr, "exosafe %s: the audit log of %s is BROKEN at row %lld: %s\n", cmd, what,
		        (long long)v.broken_id, v.reason);
		return -1;
	}
	*rows = v.rows_checked;
	return 0;
}

/* Copies the open store src into a new temporary file beside target, checks the copy, and
 * installs it at target. Returns the exit status, with what happened printed. */
static int copy_check_install(const char *cmd, store *src, const char *target, bool force, store_schema_status *st,
                              int64_t *rows)
{
	char tmp[4096];
	if (make_temp(target, cmd, tmp, sizeof tmp) != 0) {
		perror("exosafe: cannot make a temporary file beside the target");
		return 1;
	}
	if (store_snapshot_to(src, tmp) != STORE_OK) {
		fprintf(stderr, "exosafe %s: %s\n", cmd, src->errmsg);
		remove_temp(tmp);
		return 1;
	}
	store *copy = cli_open_checked(tmp, STORE_OPEN_EXISTING, NULL);
	int bad = copy == NULL || check_copy(cmd, copy, tmp, st, rows) != 0;
	if (copy != NULL)
		store_close(copy);
	char err[1024];
	if (bad || store_sqlite_install(tmp, target, force, err, sizeof err) != 0) {
		if (!bad)
			fprintf(stderr, "exosafe %s: %s\n", cmd, err);
		remove_temp(tmp);
		return 1;
	}
	return 0;
}

static int refuse_existing(const char *cmd, const char *path, bool force)
{
	struct stat sb;
	if (!force && stat(path, &sb) == 0) {
		fprintf(stderr, "exosafe %s: %s exists; nothing was written (--force replaces it)\n", cmd, path);
		return 1;
	}
	return 0;
}

int cli_backup(int argc, char **argv)
{
	bool force = take_force(&argc, argv);
	const char *db = NULL, *out = NULL;
	const cli_option opts[] = {{"db", &db}, {"out", &out}, {NULL}};
	int status = cli_parse_options("backup", backup_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL || out == NULL)
		return cli_usage_error("backup", "--db PATH and --out FILE are required");
	if (store_db_is_url(db) || (out != NULL && store_db_is_url(out))) {
		char label[512];
		fprintf(stderr, "exosafe backup: %s is a PostgreSQL database; exosafe backs up SQLite files only: use pg_dump\n",
		        store_db_label(store_db_is_url(db) ? db : out, label, sizeof label));
		return 1;
	}
	if (refuse_existing("backup", out, force))
		return 1;
	/* The live database's own schema is checked here; its integrity and chain are checked on
	 * the copy, which is what is kept. */
	store_schema_status st;
	store *s = cli_open_checked(db, STORE_OPEN_EXISTING, &st);
	if (s == NULL)
		return 1;
	char msg[1024];
	if (store_schema_usable(s, db, true, &st, msg, sizeof msg) != 0) {
		fprintf(stderr, "exosafe backup: %s\n", msg);
		store_close(s);
		return 1;
	}
	int64_t rows = 0;
	status = copy_check_install("backup", s, out, force, &st, &rows);
	store_close(s);
	if (status == 0)
		printf("backup %s: schema version %d, integrity ok, audit log intact: %lld rows\n", out, st.version,
		       (long long)rows);
	return status;
}

int cli_restore(int argc, char **argv)
{
	bool force = take_force(&argc, argv);
	const char *from = NULL, *db = NULL;
	const cli_option opts[] = {{"from", &from}, {"db", &db}, {NULL}};
	int status = cli_parse_options("restore", restore_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (from == NULL || db == NULL)
		return cli_usage_error("restore", "--from FILE and --db PATH are required");
	if (store_db_is_url(db) || store_db_is_url(from)) {
		char label[512];
		fprintf(stderr, "exosafe restore: %s is a PostgreSQL database; exosafe restores SQLite files only: use pg_restore\n",
		        store_db_label(store_db_is_url(db) ? db : from, label, sizeof label));
		return 1;
	}
	if (refuse_existing("restore", db, force))
		return 1;
	/* The backup is only read (it may sit on read-only media) and checked before anything
	 * is written beside PATH. */
	store_schema_status st;
	store *b = cli_open_checked(from, STORE_OPEN_READ_ONLY, &st);
	if (b == NULL)
		return 1;
	int64_t rows = 0;
	if (check_copy("restore", b, from, &st, &rows) != 0) {
		fprintf(stderr, "exosafe restore: %s was not restored; %s is unchanged\n", from, db);
		store_close(b);
		return 1;
	}
	status = copy_check_install("restore", b, db, force, &st, &rows);
	store_close(b);
	if (status != 0) {
		fprintf(stderr, "exosafe restore: %s is unchanged\n", db);
		return status;
	}
	printf("restored %s to %s: schema version %d, integrity ok, audit log intact: %lld rows\n", from, db, st.version,
	       (long long)rows);
	if (st.state == STORE_SCHEMA_OLDER)
		printf("the backup is from an older exosafe: apply the migrations with: exosafe init --db %s\n", db);
	return 0;
}
