/* A fresh, migrated SQLite database in its own temporary directory, for the unit tests that
 * need a store, and its removal. Include after store/store.h. */
#ifndef EXOSAFE_TESTUTIL_STORE_H
#define EXOSAFE_TESTUTIL_STORE_H

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

/* Makes dir (/tmp/exosafe-<name>-XXXXXX), opens path (dir/test.db) as a SQLite store and
 * migrates it. Returns 0 with *s open, or -1 (a cmocka setup returns it as it is). */
static inline int test_store_open(const char *name, char dir[64], char path[128], store **s)
{
	snprintf(dir, 64, "/tmp/exosafe-%s-XXXXXX", name);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, 128, "%s/test.db", dir);
	char err[256];
	*s = store_sqlite_open(path, err, sizeof err);
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
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
