#!/usr/bin/env python3
"""Which of the store's SQL statements PostgreSQL prepares (issue 18): a report for the move of
the store onto sqldb.h, not yet a test (most statements still use SQLite-only SQL).

Each C file given is run through the preprocessor (so SQL assembled from macros is whole), every
string-literal statement passed to sqlite_prepare / sqldb_prepare / sqlite3_prepare_v2 is taken,
its ? / ?NNN rewritten to $k as src/store/sql/sqldb_pg.c does, and PREPAREd on a database made
by src/store/pg/*.sql. Statements that fail are listed with PostgreSQL's message.

  EXOSAFE_TEST_PG_URL=postgres://... store_sql_report.py PG_MIGRATIONS_DIR SRC_DIR FILE.c...
  (or through scripts/with-pg.sh); exit status 1 when some statement fails.
"""
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schema_parity import migrations, psql  # noqa: E402

CALL = re.compile(r'\b(?:sqlite_prepare|sql_prepare|sqldb_prepare|sqlite3_prepare_v2)\s*\(\s*[^,]+,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def statements(path, src_dir):
    pre = subprocess.run(['cc', '-E', '-P', '-D_GNU_SOURCE', '-I', src_dir, path], capture_output=True, text=True,
                         check=True).stdout
    for m in CALL.finditer(pre):
        text = ''.join(bytes(s, 'utf-8').decode('unicode_escape').encode('latin-1').decode('utf-8')
                       for s in LITERAL.findall(m.group(1)))
        yield text


def rewrite(sql):
    """? and ?NNN to $k, dense in order of first appearance, outside literals and comments."""
    out, slots, largest, i = [], {}, 0, 0
    while i < len(sql):
        c = sql[i]
        if c in '\'"':
            j = i + 1
            while j < len(sql):
                if sql[j] == c and sql[j + 1:j + 2] == c:
                    j += 2
                elif sql[j] == c:
                    break
                else:
                    j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith('--', i):
            j = sql.find('\n', i)
            j = len(sql) if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif c == '?':
            m = re.match(r'\?(\d*)', sql[i:])
            n = int(m.group(1)) if m.group(1) else largest + 1
            largest = max(largest, n)
            slots.setdefault(n, len(slots) + 1)
            out.append(f'${slots[n]}')
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def main():
    if len(sys.argv) < 4 or not os.environ.get('EXOSAFE_TEST_PG_URL'):
        print(__doc__, file=sys.stderr)
        return 2
    pg_dir, src_dir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    found = []
    for f in files:
        for sql in statements(f, src_dir):
            found.append((os.path.basename(f), sql))
    base_url = os.environ['EXOSAFE_TEST_PG_URL']
    dbname = f'sqlreport_{os.getpid()}'
    psql(base_url, f'CREATE DATABASE {dbname};')
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(base_url)._replace(path='/' + dbname))
    failed = 0
    try:
        for f in migrations(pg_dir):
            with open(f, encoding='utf-8') as fh:
                psql(url, 'BEGIN;\n' + fh.read() + '\nCOMMIT;\n')
        for n, (name, sql) in enumerate(found):
            r = subprocess.run(['psql', '-X', '-q', '-d', url, '-v', 'ON_ERROR_STOP=1', '-c',
                                f'PREPARE s{n} AS {rewrite(sql)}'], capture_output=True, text=True)
            if r.returncode != 0:
                failed += 1
                msg = r.stderr.strip().splitlines()[0] if r.stderr.strip() else '?'
                print(f'{name}: {msg}\n    {sql[:300]}')
        print(f'{len(found) - failed} of {len(found)} statements prepare on PostgreSQL; {failed} fail')
        return 1 if failed else 0
    finally:
        psql(base_url, f'DROP DATABASE IF EXISTS {dbname};')


if __name__ == '__main__':
    sys.exit(main())
