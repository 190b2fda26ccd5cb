#!/usr/bin/env python3
"""Schema parity of the two migration sets (issue 18): src/store/sqlite/NNNN_*.sql applied to a
fresh SQLite database and src/store/pg/NNNN_*.sql applied to a fresh PostgreSQL database must give
the same schema, table by table: the same tables and views, the same columns in the same order,
of the same type family (integer, text, float, bytes), the same NOT NULL, the same declared defaults, primary keys, UNIQUE constraints, foreign keys
(columns, referenced table and columns, ON DELETE), indexes (name, columns, unique, partial
predicate), the same number of CHECK constraints and the same triggers.

Then it proves it would notice: each of a list of small changes to the PostgreSQL schema (a
column dropped, a CHECK, UNIQUE, foreign key, index or trigger dropped, a NOT NULL or a default
changed) is made in a transaction that is rolled back, and must show up as a difference.

  EXOSAFE_TEST_PG_URL=postgres://... schema_parity.py SQLITE_DIR PG_DIR

No dependency beyond python3's sqlite3 module and the psql client. It works in a database of its
own (created and dropped here), so it can share the cluster with other tests.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse

FK_ACTION = {'a': 'NO ACTION', 'r': 'RESTRICT', 'c': 'CASCADE', 'n': 'SET NULL', 'd': 'SET DEFAULT'}

# PostgreSQL has triggers SQLite cannot have: TRUNCATE skips row triggers, so each append-only
# table also refuses TRUNCATE (see src/store/pg/0001_accounts_audit.sql).
PG_ONLY_TRIGGER = re.compile(r'_no_truncate$')


def migrations(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if re.match(r'^\d{4}_.*\.sql$', f))


# Declared types by family: each SQLite type has its PostgreSQL counterparts (src/store/pg/*.sql).
SQLITE_FAMILY = {'INTEGER': 'integer', 'TEXT': 'text', 'REAL': 'float', 'BLOB': 'bytes'}
PG_FAMILY = {'bigint': 'integer', 'integer': 'integer', 'smallint': 'integer', 'text': 'text',
             'double precision': 'float', 'bytea': 'bytes'}


def norm_expr(text):
    """A default or index predicate without PostgreSQL's casts, parentheses, case and spaces."""
    if text is None:
        return None
    text = re.sub(r"::[a-z ]+(\[\])?", '', text)
    return re.sub(r'[()\s]', '', text).lower()


def strip_comments(sql):
    return re.sub(r'--[^\n]*', '', sql)


FOREIGN_KEYS_OFF = '-- exosafe: foreign-keys-off'


def apply_sqlite_migration(db, text):
    """Runs one SQLite migration as the program does (store_sqlite.c sq_migrate): one that
    rebuilds tables others refer to with foreign keys off and checked after."""
    rebuilds = text.startswith(FOREIGN_KEYS_OFF)
    if rebuilds:
        db.execute('PRAGMA foreign_keys = OFF')
        db.execute('PRAGMA legacy_alter_table = ON')
    db.executescript(text)
    if rebuilds:
        broken = db.execute('PRAGMA foreign_key_check').fetchall()
        if broken:
            raise RuntimeError(f'foreign keys broken after a rebuild: {broken[:3]}')
        db.execute('PRAGMA legacy_alter_table = OFF')
        db.execute('PRAGMA foreign_keys = ON')


def sqlite_schema(files):
    db = sqlite3.connect(':memory:')
    db.execute('PRAGMA foreign_keys = ON')
    for f in files:
        with open(f, encoding='utf-8') as fh:
            apply_sqlite_migration(db, fh.read())
    schema = {'tables': {}, 'views': {}}
    for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        info = db.execute(f'PRAGMA table_info("{name}")').fetchall()
        # A PRIMARY KEY column is NOT NULL in PostgreSQL; in SQLite an INTEGER PRIMARY KEY can't
        # be NULL either (it is the rowid), and the TEXT keys are NOT NULL through the store.
        cols = [[c[1], SQLITE_FAMILY.get(c[2].upper(), c[2]), bool(c[3]) or c[5] > 0, norm_expr(c[4])] for c in info]
        pk = [c[1] for c in sorted((c for c in info if c[5] > 0), key=lambda c: c[5])]
        uniques, indexes = [], {}
        for _, iname, unique, origin, partial in db.execute(f'PRAGMA index_list("{name}")'):
            icols = [r[2] for r in db.execute(f'PRAGMA index_info("{iname}")')]
            if origin == 'u':
                uniques.append(icols)
            elif origin == 'c':
                isql = db.execute('SELECT sql FROM sqlite_master WHERE name = ?', (iname,)).fetchone()[0]
                m = re.search(r'\bWHERE\b(.*)$', strip_comments(isql), re.S | re.I)
                indexes[iname] = [icols, bool(unique), norm_expr(m.group(1)) if m else None]
        fks = {}
        for fid, _, table, col_from, col_to, _, on_delete, _ in db.execute(f'PRAGMA foreign_key_list("{name}")'):
            fk = fks.setdefault(fid, [[], table, [], on_delete])
            fk[0].append(col_from)
            fk[2].append(col_to)
        checks = len(re.findall(r'\bCHECK\s*\(', strip_comments(sql), re.I))
        triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                             "AND tbl_name = ? ORDER BY name", (name,))]
        schema['tables'][name] = {'columns': cols, 'primary_key': pk, 'unique': sorted(uniques),
                                  'indexes': indexes, 'foreign_keys': sorted(fks.values()),
                                  'checks': checks, 'triggers': triggers}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name"):
        schema['views'][name] = [c[1] for c in db.execute(f'PRAGMA table_info("{name}")')]
    return schema


# One query that returns the whole PostgreSQL schema as JSON, in the shape sqlite_schema builds.
PG_SCHEMA_SQL = r"""
WITH t AS (SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'r'),
idx AS (SELECT i.indrelid, ic.relname AS name, i.indisunique, i.indisprimary,
               pg_get_expr(i.indpred, i.indrelid) AS pred,
               (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS cols,
               (SELECT con.contype FROM pg_constraint con WHERE con.conindid = i.indexrelid
                  AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')) AS contype
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid)
SELECT json_build_object(
 'tables', (SELECT json_object_agg(t.relname, json_build_object(
   'columns', (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                                pg_get_expr(d.adbin, d.adrelid))
                               ORDER BY a.attnum)
               FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped),
   'primary_key', coalesce((SELECT cols FROM idx WHERE idx.indrelid = t.oid AND idx.indisprimary), '[]'::json),
   'unique', coalesce((SELECT json_agg(cols) FROM idx WHERE idx.indrelid = t.oid AND idx.contype = 'u'), '[]'::json),
   'indexes', coalesce((SELECT json_object_agg(name, json_build_array(cols, indisunique, pred)) FROM idx
                        WHERE idx.indrelid = t.oid AND idx.contype IS NULL), '{}'::json),
   'foreign_keys', coalesce((SELECT json_agg(json_build_array(
        (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
        (SELECT relname FROM pg_class WHERE oid = con.confrelid),
        (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum),
        con.confdeltype))
      FROM pg_constraint con WHERE con.conrelid = t.oid AND con.contype = 'f'), '[]'::json),
   'checks', (SELECT count(*) FROM pg_constraint con WHERE con.conrelid = t.oid AND con.contype = 'c'),
   'triggers', coalesce((SELECT json_agg(tgname ORDER BY tgname) FROM pg_trigger
                         WHERE tgrelid = t.oid AND NOT tgisinternal), '[]'::json)))
   FROM t),
 'views', coalesce((SELECT json_object_agg(c.relname, (SELECT json_agg(a.attname ORDER BY a.attnum)
                      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0))
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind = 'v'), '{}'::json));
"""


def psql(url, script):
    r = subprocess.run(['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'],
                       input=script, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'psql failed: {r.stderr.strip()}')
    return r.stdout


def pg_schema(url, mutation=''):
    """The schema as JSON; mutation (SQL) is applied first, in a transaction rolled back."""
    out = psql(url, f'BEGIN;\n{mutation}\n{PG_SCHEMA_SQL}\nROLLBACK;\n')
    raw = json.loads(out.strip())
    schema = {'tables': {}, 'views': raw['views']}
    for name, t in raw['tables'].items():
        schema['tables'][name] = {
            'columns': [[c[0], PG_FAMILY.get(c[1], c[1]), c[2], norm_expr(c[3])] for c in t['columns']],
            'primary_key': t['primary_key'],
            'unique': sorted(t['unique']),
            'indexes': {k: [v[0], v[1], norm_expr(v[2])] for k, v in t['indexes'].items()},
            'foreign_keys': sorted([fk[0], fk[1], fk[2], FK_ACTION[fk[3]]] for fk in t['foreign_keys']),
            'checks': t['checks'],
            'triggers': [g for g in t['triggers'] if not PG_ONLY_TRIGGER.search(g)],
        }
    return schema


def differences(lite, pg):
    diffs = []
    for kind in ('tables', 'views'):
        for name in sorted(set(lite[kind]) | set(pg[kind])):
            if name not in pg[kind]:
                diffs.append(f'{kind[:-1]} {name}: only in SQLite')
            elif name not in lite[kind]:
                diffs.append(f'{kind[:-1]} {name}: only in PostgreSQL')
            elif kind == 'views':
                if lite[kind][name] != pg[kind][name]:
                    diffs.append(f'view {name} columns: SQLite {lite[kind][name]} PostgreSQL {pg[kind][name]}')
            else:
                a, b = lite[kind][name], pg[kind][name]
                for key in a:
                    if a[key] != b[key]:
                        diffs.append(f'table {name} {key}:\n    SQLite     {a[key]}\n    PostgreSQL {b[key]}')
    return diffs


# Each must be seen as a difference (the test of the test).
MUTATIONS = [
    'ALTER TABLE checkins DROP COLUMN note;',
    'ALTER TABLE lots DROP CONSTRAINT lots_quantity_available_check;',
    'DROP INDEX checkins_one_open;',
    'ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey;',
    'ALTER TABLE users ALTER COLUMN name DROP NOT NULL;',
    "ALTER TABLE mail_outbox ALTER COLUMN status SET DEFAULT 'sent';",
    'ALTER TABLE storage_units DROP CONSTRAINT storage_units_clinic_id_name_key;',
    'DROP TRIGGER audit_log_no_update ON audit_log;',
    'ALTER TABLE password_reset_tokens DROP CONSTRAINT password_reset_tokens_user_id_fkey, '
    'ADD FOREIGN KEY (user_id) REFERENCES users(id);',
    "DROP INDEX bookings_one_live_per_slot; CREATE UNIQUE INDEX bookings_one_live_per_slot "
    "ON bookings(slot_id) WHERE status = 'cancelled';",
    'ALTER TABLE readings ADD COLUMN extra BIGINT;',
    'ALTER TABLE readings ALTER COLUMN celsius TYPE BIGINT;',
    'ALTER TABLE users ALTER COLUMN created_at TYPE TEXT;',
    'CREATE TABLE extra (id BIGINT);',
]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base_url = os.environ.get('EXOSAFE_TEST_PG_URL')
    if not base_url:
        print('schema_parity: EXOSAFE_TEST_PG_URL is not set (run through scripts/with-pg.sh)', file=sys.stderr)
        return 2
    lite = sqlite_schema(migrations(sys.argv[1]))
    pg_files = migrations(sys.argv[2])
    names = lambda files: [os.path.basename(f) for f in files]
    if names(pg_files) != names(migrations(sys.argv[1])):
        print(f'migration files differ:\n  SQLite     {names(migrations(sys.argv[1]))}\n'
              f'  PostgreSQL {names(pg_files)}')
        return 1

    dbname = f'parity_{os.getpid()}'
    psql(base_url, f'CREATE DATABASE {dbname};')
    parts = urllib.parse.urlsplit(base_url)
    url = urllib.parse.urlunsplit(parts._replace(path='/' + dbname))
    try:
        for f in pg_files:
            with open(f, encoding='utf-8') as fh:
                psql(url, 'BEGIN;\n' + fh.read() + '\nCOMMIT;\n')
        pg = pg_schema(url)
        diffs = differences(lite, pg)
        for d in diffs:
            print(d)
        if diffs:
            print(f'FAIL: {len(diffs)} differences between the SQLite and PostgreSQL schemas')
            return 1
        print(f'ok: {len(lite["tables"])} tables and {len(lite["views"])} views agree')
        missed = [m for m in MUTATIONS if not differences(lite, pg_schema(url, m))]
        for m in missed:
            print(f'FAIL: the comparison does not notice: {m}')
        if missed:
            return 1
        print(f'ok: each of {len(MUTATIONS)} changes to the PostgreSQL schema is noticed')
        return 0
    finally:
        psql(base_url, f'DROP DATABASE IF EXISTS {dbname};')


if __name__ == '__main__':
    sys.exit(main())
