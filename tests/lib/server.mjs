// Starts a real exosafe server on a free loopback port with a fresh database, for the HTTP
// and browser suites. EXOSAFE_BIN picks the binary (the ASan build reuses these suites).
// EXOSAFE_TEST_STORE=pg runs them on PostgreSQL: every server then gets a database of its own
// (CREATE DATABASE t_<unique>, a copy of an initialised template: pgTemplate) on the cluster of
// EXOSAFE_TEST_PG_URL (scripts/with-pg.sh starts one), dropped when the server stops; a database is then a postgres:// URL where it is
// otherwise a file path, and sql() reads and writes either.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(new URL('../..', import.meta.url).pathname);
export const bin = process.env.EXOSAFE_BIN ? resolve(process.env.EXOSAFE_BIN) : join(root, 'build', 'exosafe');

/** Runs the exosafe CLI synchronously; returns {status, stdout, stderr}. */
export function cli(args, input) {
  const r = spawnSync(bin, args, { input: input ?? '', encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 'pg' when the suites run on PostgreSQL (EXOSAFE_TEST_STORE=pg), else 'sqlite'. */
export const store = process.env.EXOSAFE_TEST_STORE === 'pg' ? 'pg' : 'sqlite';
export const onPg = store === 'pg';
const pgClusterUrl = process.env.EXOSAFE_TEST_PG_URL;
if (onPg && !pgClusterUrl) {
  throw new Error('EXOSAFE_TEST_STORE=pg needs EXOSAFE_TEST_PG_URL (run the suite through scripts/with-pg.sh)');
}

/** For node:test's skip option: a reason on PostgreSQL for tests about the SQLite file itself. */
export const sqliteOnly = (why) => (onPg ? `SQLite only: ${why}` : false);

/** True for a PostgreSQL URL (what --db takes for that backend). */
export const isPgUrl = (db) => /^postgres(ql)?:\/\//.test(db);

/**
 * Runs SQL on a database, a SQLite file (sqlite3 shell) or a postgres:// URL (psql); returns
 * stdout trimmed, rows one a line, columns joined with '|', NULL as '' (the sqlite3 shell's
 * default output, and psql's -At -F '|'); throws on failure with the tool's stderr.
 */
export function sql(db, statement) {
  if (isPgUrl(db)) {
    // The statements go on stdin, not -c: psql -c prints only the last statement's rows.
    const r = spawnSync('psql', ['-X', '-q', '-At', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-d', db],
      { input: statement, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
    return r.stdout.trim();
  }
  const r = spawnSync('sqlite3', [db, statement], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** DROP TRIGGER for db's backend: PostgreSQL names the table too. */
export function dropTriggerSql(db, name, table) {
  return isPgUrl(db) ? `DROP TRIGGER ${name} ON ${table};` : `DROP TRIGGER ${name};`;
}

let pgDatabases = 0;

/**
 * Creates a database on the test cluster (CREATE DATABASE plus extra, e.g. a TEMPLATE) and
 * returns its URL. The cluster's template is UTF8 with the C collation (scripts/pg-cluster.sh),
 * as exosafe needs. Names are unique across the suite's processes (node --test runs each
 * file in its own).
 */
function createPgDb(extra = '') {
  const name = `t_${process.pid}_${++pgDatabases}_${Date.now().toString(36)}`;
  sql(pgClusterUrl, `CREATE DATABASE ${name}${extra};`);
  const url = new URL(pgClusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A new empty database for exosafe: on SQLite the path dir/name (the file is made by exosafe
 * init), on PostgreSQL the URL of a new database on the test cluster (drop it with dropDb).
 */
export function newDb(dir, name = 'exosafe.db') {
  return onPg ? createPgDb() : join(dir, name);
}

/**
 * A copy of database src (nothing may be writing to it): on SQLite the file and its -wal and
 * -shm copied to dir/name, on PostgreSQL a new database made from src as its template.
 */
export function copyDb(src, dir, name) {
  if (!isPgUrl(src)) {
    const db = join(dir, name);
    copyFileSync(src, db);
    for (const ext of ['-wal', '-shm']) if (existsSync(src + ext)) copyFileSync(src + ext, db + ext);
    return db;
  }
  return createPgDb(` TEMPLATE ${new URL(src).pathname.slice(1)}`);
}

/** Waits ms milliseconds, blocking (the helpers here are synchronous). */
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * On PostgreSQL a server's database is a copy of one made once per test process and kind
 * (CREATE DATABASE ... TEMPLATE): `exosafe init` (and `exosafe demo`) on PostgreSQL cost ~0.5 s
 * (demo ~2 s more) per server against ~0.3 s for the copy, which took the suite from ~7 to ~13
 * minutes. The template is made the way a server's database was (init with the same flags, by
 * the same role) and nothing connects to it afterwards, as CREATE DATABASE ... TEMPLATE needs.
 * EXOSAFE_TEST_PG_FRESH=1 goes back to init for every server. Templates are dropped when the
 * process exits (the cluster goes at the end of the run anyway).
 */
const pgTemplates = new Map();
const pgFresh = process.env.EXOSAFE_TEST_PG_FRESH === '1';

function pgTemplate(kind, initArgs, demo) {
  let tpl = pgTemplates.get(kind);
  if (tpl) return tpl;
  tpl = createPgDb();
  const init = cli(['init', '--db', tpl, ...initArgs]);
  if (init.status !== 0) throw new Error(`exosafe init failed: ${init.stderr}`);
  if (demo) {
    const r = cli(['demo', '--db', tpl]);
    if (r.status !== 0) throw new Error(`exosafe demo failed: ${r.stderr}`);
  }
  if (pgTemplates.size === 0) process.once('exit', () => { for (const t of pgTemplates.values()) dropDb(t); });
  pgTemplates.set(kind, tpl);
  return tpl;
}

/** A new database copied from template (a URL); retried while the template's last session ends. */
function copyPgTemplate(template) {
  for (let attempt = 1; ; attempt++) {
    try {
      return createPgDb(` TEMPLATE ${new URL(template).pathname.slice(1)}`);
    } catch (e) {
      // The CLI has exited, but its backend may take a moment to go.
      if (attempt >= 50 || !/being accessed by other users/.test(e.message)) throw e;
      sleepSync(100);
    }
  }
}

/** Drops a database newDb made on PostgreSQL (best effort: the cluster goes at the end anyway). */
export function dropDb(db) {
  if (!isPgUrl(db)) return;
  const name = new URL(db).pathname.slice(1);
  try { sql(pgClusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE);`); } catch { /* left to the cluster's removal */ }
}

/** A live clinic's details, given to `exosafe init` so a test server starts as a set-up clinic. */
export const testClinic = {
  name: 'みなと皮膚科クリニック', postal_code: '105-0011', address: '東京都港区芝公園1-2-3 テストビル2階',
  phone: '03-1234-5678', hours: '平日 10:00–18:00', email: 'info@minato-clinic.example',
  bank_name: 'みなと銀行', bank_branch: '芝支店', bank_account_type: 'futsu', bank_account_number: '1234567',
  bank_account_holder: 'ミナトヒフカクリニツク', doctor_name: '港 一郎', doctor_licence: '123456',
};

/** The init flags for clinic details (testClinic's keys): --clinic-postal-code and so on. */
export function clinicArgs(details = testClinic) {
  return Object.entries(details).flatMap(([k, v]) => [`--clinic-${k.replaceAll('_', '-')}`, v]);
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

/**
 * Starts a server. opts.demo loads demo data; opts.args adds serve flags; opts.db serves an
 * existing database (the caller's, kept by stop(): a restart, as when a clinic publishes data).
 * A new database gets testClinic's details (a set-up clinic in production mode) unless
 * opts.clinic is false (details left for the set-up page) or opts.demo (demo's own).
 * opts.before(db) runs after init, before serve (e.g. to add an admin with the CLI); opts.env adds
 * environment variables for the server (e.g. EXOSAFE_NOW).
 * Returns {url, db, dir, stop()}; stop() kills it and removes the temporary folder (and on
 * PostgreSQL drops the database it made; a database passed in opts.db stays the caller's).
 */
export async function startServer(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'exosafe-test-'));
  const withClinic = opts.clinic !== false && !opts.demo;
  const initArgs = withClinic ? clinicArgs() : [];
  const fromTemplate = !opts.db && onPg && !pgFresh;
  const db = opts.db ?? (fromTemplate
    ? copyPgTemplate(pgTemplate(opts.demo ? 'demo' : withClinic ? 'clinic' : 'bare', initArgs, opts.demo))
    : newDb(dir));
  const init = opts.db || fromTemplate ? { status: 0 } : cli(['init', '--db', db, ...initArgs]);
  if (init.status !== 0) throw new Error(`exosafe init failed: ${init.stderr}`);
  if (opts.demo && !opts.db && !fromTemplate) {
    const demo = cli(['demo', '--db', db]);
    if (demo.status !== 0) throw new Error(`exosafe demo failed: ${demo.stderr}`);
  }
  if (opts.before) await opts.before(db);
  const port = await freePort();
  const args = ['serve', '--db', db, '--port', String(port), '--web', join(root, 'web'), '--data', join(root, 'data'), ...(opts.args ?? [])];
  const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, ...(opts.env ?? {}) } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; if (process.env.EXOSAFE_TEST_VERBOSE) process.stderr.write(d); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${stderr}`);
    try {
      const r = await fetch(`${url}/api/v1/health`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`server did not start: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url, db, dir, port, pid: child.pid,
    stderr: () => stderr,
    /** Kills it with SIGKILL (a crash: no clean shutdown); the folder stays for a restart. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => { const t = setTimeout(() => { child.kill('SIGKILL'); r(); }, 5000); child.once('exit', () => { clearTimeout(t); r(); }); });
      }
      rmSync(dir, { recursive: true, force: true });
      if (!opts.db) dropDb(db);
      return child.exitCode;
    },
  };
}
