/* A schema migration embedded from a .sql file (see scripts/embed_sql.py). */
#ifndef EXOSAFE_MIGRATION_H
#define EXOSAFE_MIGRATION_H

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration sqlite_migrations[];
extern const int sqlite_migrations_count;
/* The PostgreSQL twins (src/store/pg/NNNN_*.sql): the same versions and names. */
extern const struct migration pg_migrations[];
extern const int pg_migrations_count;

#endif
