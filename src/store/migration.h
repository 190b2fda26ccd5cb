/* A schema migration embedded from a .sql file (see scripts/embed_sql.py). */
#ifndef EXOSAFE_MIGRATION_H
#define EXOSAFE_MIGRATION_H

struct migration {
	int version;
	const char *name;
	const char *sql;
};

/* A SQLite migration whose text begins with this runs with foreign keys off and checked whole
 * before COMMIT (store_sqlite.c): one that rebuilds a table other tables refer to. */
#define MIGRATION_FOREIGN_KEYS_OFF "-- exosafe: foreign-keys-off"

extern const struct migration sqlite_migrations[];
extern const int sqlite_migrations_count;
/* The PostgreSQL twins (src/store/pg/NNNN_*.sql): the same versions and names. */
extern const struct migration pg_migrations[];
extern const int pg_migrations_count;

#endif
