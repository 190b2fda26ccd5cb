/* A fresh PostgreSQL database per test on the throwaway cluster of scripts/with-pg.sh
 * (EXOSAFE_TEST_PG_URL), so tests share no state, and a second connection for looking at it
 * directly (libpq). */
#ifndef EXOSAFE_TESTUTIL_PG_H
#define EXOSAFE_TESTUTIL_PG_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *test_pg_url(void)
{
	return getenv("EXOSAFE_TEST_PG_URL");
}

/* Runs sql (several statements allowed) on a new connection to url. 0, or -1 with the
 * server's message in err. */
static inline int test_pg_exec(const char *url, const char *sql, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(url);
	int rc = -1;
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(c));
	} else {
		PGresult *r = PQexec(c, sql);
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			rc = 0;
		else
			snprintf(err, errlen, "%s", PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}

/* The single integer sql returns on a new connection to url; -1 when it fails or returns none. */
static inline long long test_pg_scalar(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	long long v = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		else if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fprintf(stderr, "test_pg_scalar: %s  in: %.300s\n", PQresultErrorMessage(r), sql);
		PQclear(r);
	}
	PQfinish(c);
	return v;
}

/* Creates a new empty database (UTF8, C collation, as exosafe requires) and writes its URL to
 * url_out (EXOSAFE_TEST_PG_URL with the database's name replaced). 0, or -1. */
static inline int test_pg_create_db(char *url_out, size_t len)
{
	static int made;
	const char *base = test_pg_url();
	if (base == NULL)
		return -1;
	const char *slash = strrchr(base, '/');
	if (slash == NULL || strncmp(base, "postgres", 8) != 0)
		return -1;
	char name[64], sql[256], err[512];
	snprintf(name, sizeof name, "exosafe_t_%ld_%d", (long)getpid(), ++made);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
	         name);
	if (test_pg_exec(base, sql, err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\n", sql, err);
		return -1;
	}
	const char *query = strchr(slash, '?');
	snprintf(url_out, len, "%.*s/%s%s", (int)(slash - base), base, name, query ? query : "");
	return 0;
}

/* Drops the database at url (made by test_pg_create_db), closing its other connections. */
static inline int test_pg_drop_db(const char *url)
{
	const char *slash = strrchr(url, '/');
	char name[64], sql[160], err[512];
	snprintf(name, sizeof name, "%.*s", (int)strcspn(slash + 1, "?"), slash + 1);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	if (test_pg_exec(test_pg_url(), sql, err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\n", sql, err);
		return -1;
	}
	return 0;
}

#endif
