/* A fresh, migrated SQLite database in its own temporary directory, for the unit tests that
 * need a store, and its removal. Include after store/store.h. Built with -DTEST_PG, the store
 * is PostgreSQL instead: a new database per test on the cluster of scripts/with-pg.sh, its URL
 * in path (the directory is still made, for files a test writes). */
#ifndef EXOSAFE_TESTUTIL_STORE_H
#define EXOSAFE_TESTUTIL_STORE_H

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#ifdef TEST_PG
#include "testutil_pg.h"
#endif

/* Makes dir (/tmp/exosafe-<name>-XXXXXX), opens path (dir/test.db) as a SQLite store and
 * migrates it. Returns 0 with *s open, or -1 (a cmocka setup returns it as it is). */
static inline int test_store_open(const char *name, char dir[64], char path[128], store **s)
{
	snprintf(dir, 64, "/tmp/exosafe-%s-XXXXXX", name);
	if (mkdtemp(dir) == NULL)
		return -1;
	char err[256];
#ifdef TEST_PG
	if (test_pg_create_db(path, 128) != 0)
		return -1;
	char file[128];
	snprintf(file, sizeof file, "%s/pg_url", dir);
	FILE *out = fopen(file, "w");
	if (out == NULL)
		return -1;
	fputs(path, out);
	fclose(out);
	*s = store_pg_open(path, STORE_OPEN_EXISTING, err, sizeof err);
#else
	snprintf(path, 128, "%s/test.db", dir);
	*s = store_sqlite_open(path, err, sizeof err);
#endif
	int version;
	if (*s == NULL || store_migrate(*s, &version) != STORE_OK) {
		fprintf(stderr, "%s: %s\n", path, *s == NULL ? err : "migration failed");
		return -1;
	}
	return 0;
}

/* Closes s and removes dir with everything in it. Returns 0, or -1 when it could not. */
static inline int test_store_close(const char *dir, store *s)
{
	if (s != NULL)
		store_close(s);
#ifdef TEST_PG
	/* The database test_store_open made, named in dir/pg_url, goes with the directory. */
	char file[128], url[256] = "";
	snprintf(file, sizeof file, "%s/pg_url", dir);
	FILE *in = fopen(file, "r");
	if (in != NULL) {
		if (fgets(url, sizeof url, in) != NULL && url[0] != '\0' && test_pg_drop_db(url) != 0) {
			fclose(in);
			return -1;
		}
		fclose(in);
	}
#endif
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
