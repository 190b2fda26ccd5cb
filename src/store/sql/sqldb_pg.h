/* The libpq driver's parameter rewriting (sqldb_pg.c), visible for its unit test. Private to
 * src/store/sql/ and tests: the store sees only sqldb.h. */
#ifndef EXOSAFE_SQLDB_PG_H
#define EXOSAFE_SQLDB_PG_H

/* The largest ?NNN accepted: SQLite's default SQLITE_MAX_VARIABLE_NUMBER, so a statement that
 * SQLite prepares is one PostgreSQL gets too (its limit, 65535 parameters, is higher). */
#define SQLDB_PG_MAX_NUMBER 32766

/* The parameters of one statement: PostgreSQL's $k for each of the SQL's numbers. */
typedef struct sqldb_pg_params {
	int count;       /* distinct parameters: $1..$count */
	int max_number;  /* the largest number in the SQL (a plain ? is one more than the largest before it) */
	int *slot_of;    /* slot_of[n] for n in 1..max_number: its k, or 0 when the SQL has no ?n */
} sqldb_pg_params;

/* Rewrites SQLite-style parameters (? and ?NNN) in sql to PostgreSQL's $k, numbering the
 * distinct parameters densely in order of first appearance ("?90, ?1, ?90" becomes "$1, $2, $1").
 * A ? inside a string literal, a quoted identifier, a dollar-quoted string or a comment is left
 * alone. Returns the new text (malloc'd) and fills *params (free params->slot_of); NULL when a
 * number is 0 or above SQLDB_PG_MAX_NUMBER, or on out of memory. */
char *sqldb_pg_rewrite(const char *sql, sqldb_pg_params *params);

#endif
