// exosafe backup and restore: a backup taken while a client writes to the server holds every
// write acknowledged before it started, restores, and verifies; what must be refused is.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bin, cli, sql, sqliteOnly, startServer } from '../lib/server.mjs';
import { demoStaff, stopServer } from './client.mjs';

// backup and restore copy a SQLite database file (online backup API, -wal, file modes); a
// PostgreSQL database is backed up with the server's own tools, not with these commands.
const fileOnly = sqliteOnly('exosafe backup and restore copy a SQLite database file');

let server, admin;
before(async () => {
  if (fileOnly) return;
  server = await startServer({ demo: true });
  ({ admin } = await demoStaff(server.url));
});
after(async () => { await stopServer(server); });

/** Runs the CLI without blocking the event loop (the writer goes on meanwhile). */
function cliAsync(args) {
  return new Promise((ok) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (status) => ok({ status, stdout, stderr }));
  });
}

describe('backup under load, then restore', { skip: fileOnly }, () => {
  test('every write acknowledged before the backup started is in it; the restored copy verifies', async () => {
    const { pharmacist } = await demoStaff(server.url);
    const made = await pharmacist.post('/api/v1/loggers', { code: 'BACKUP-LOAD', ingest: true });
    assert.equal(made.status, 201, made.text);
    const ingest = `${server.url}/api/v1/loggers/${made.json.logger.id}/readings`;
    const post = (readings) => fetch(ingest, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${made.json.api_key}` },
      body: JSON.stringify({ readings }),
    });
    // Some bulk first, so the copy has pages to go through: 40,000 readings.
    let clock = Date.now() - 30 * 86400e3;
    const next = () => { clock += 1000; return new Date(clock).toISOString(); };
    for (let b = 0; b < 4; b++) {
      const r = await post(Array.from({ length: 10000 }, () => ({ at: next(), celsius: 5 })));
      assert.equal(r.status, 200, await r.text());
    }

    const acked = [];          // {kind, key, at}: when its answer arrived
    let stop = false, n = 0, failures = 0;
    // Three writers post small batches of readings (one transaction and audit row each), one
    // creates accounts (a user row and an audit row).
    const readingsWriter = async () => {
      while (!stop) {
        const at = next();
        const r = await post([{ at, celsius: 4.5 }]);
        if (r.status === 200) acked.push({ kind: 'reading', key: Math.floor(Date.parse(at) / 1000), at: performance.now() });
        else failures += 1;
      }
    };
    const accountWriter = async () => {
      while (!stop) {
        n += 1;
        const email = `load${n}.${process.pid}@clinic.example`;
        const r = await admin.post('/api/v1/users', { email, password: 'load-test-password-1', name: `負荷 ${n}`, role: 'doctor' });
        if (r.status === 201) acked.push({ kind: 'user', key: email, at: performance.now() });
        else failures += 1;
      }
    };
    const writers = [readingsWriter(), readingsWriter(), readingsWriter(), accountWriter()];
    while (acked.filter((a) => a.kind === 'user').length < 5) await new Promise((r) => setTimeout(r, 20));

    const out = join(server.dir, 'backup.db');
    const started = performance.now();
    const b = await cliAsync(['backup', '--db', server.db, '--out', out]);
    const finished = performance.now();
    const duringBackup = acked.filter((a) => a.at > started && a.at < finished).length;
    while (acked.filter((a) => a.at > finished).length < 10) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await Promise.all(writers);
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /integrity ok, audit log intact: \d+ rows/);
    assert.equal(failures, 0, 'the server answered every write while the backup ran');
    assert.ok(duringBackup > 0, 'writes were acknowledged while the backup ran (it did not stop the server)');
    console.log(`# backup took ${(finished - started).toFixed(0)} ms; ${duringBackup} writes acknowledged meanwhile`);

    const restored = join(server.dir, 'restored.db');
    const r = cli(['restore', '--from', out, '--db', restored]);
    assert.equal(r.status, 0, r.stderr);
    const v = cli(['audit', 'verify', '--db', restored]);
    assert.equal(v.status, 0, v.stderr);
    const emails = new Set(sql(restored, "SELECT email FROM users WHERE email LIKE 'load%';").split('\n'));
    const times = new Set(sql(restored, `SELECT at FROM readings WHERE logger_id = ${made.json.logger.id};`).split('\n').map(Number));
    const before = acked.filter((a) => a.at < started);
    assert.ok(before.length >= 5);
    for (const a of before) {
      assert.ok(a.kind === 'user' ? emails.has(a.key) : times.has(a.key), `${a.kind} ${a.key}, acknowledged before the backup, is in it`);
    }
    // One moment's copy: every account in it has the audit row of its own transaction.
    assert.equal(sql(restored, "SELECT count(*) FROM users u WHERE email LIKE 'load%' AND NOT EXISTS"
      + " (SELECT 1 FROM audit_log a WHERE a.action = 'user.create' AND a.object = 'user:' || u.id);"), '0');

    // The restored database serves.
    const again = await startServer({ db: restored });
    const staff = await demoStaff(again.url);
    assert.equal((await staff.admin.get('/api/v1/users?limit=1')).status, 200);
    await again.kill();
  });
});

describe('what backup and restore refuse', { skip: fileOnly }, () => {
  test('backup: an existing --out without --force; a missing --db, creating nothing', () => {
    const out = join(server.dir, 'exists.db');
    writeFileSync(out, 'keep me');
    const r = cli(['backup', '--db', server.db, '--out', out]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /exists; nothing was written \(--force replaces it\)/);
    assert.equal(readFileSync(out, 'utf8'), 'keep me');
    const f = cli(['backup', '--db', server.db, '--out', out, '--force']);
    assert.equal(f.status, 0, f.stderr);
    assert.equal(cli(['audit', 'verify', '--db', out]).status, 0);
    const missing = join(server.dir, 'nope.db');
    const m = cli(['backup', '--db', missing, '--out', join(server.dir, 'x.db')]);
    assert.equal(m.status, 1);
    assert.match(m.stderr, /does not exist/);
    assert.ok(!existsSync(missing) && !existsSync(join(server.dir, 'x.db')));
  });

  test('restore: over a database a server has open, even with --force; over an existing one without', () => {
    const out = join(server.dir, 'for-restore.db');
    assert.equal(cli(['backup', '--db', server.db, '--out', out]).status, 0);
    const users = sql(server.db, 'SELECT count(*) FROM users;');
    const r = cli(['restore', '--from', out, '--db', server.db]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /exists; nothing was written/);
    const busy = cli(['restore', '--from', out, '--db', server.db, '--force']);
    assert.equal(busy.status, 1, busy.stdout);
    assert.match(busy.stderr, /is open in another program \(a running exosafe serve\?\); stop it first/);
    assert.equal(sql(server.db, 'SELECT count(*) FROM users;'), users);
  });

  test('restore: a backup whose audit chain was edited, or from a newer exosafe, is refused; the target is unchanged', () => {
    const out = join(server.dir, 'tampered.db');
    assert.equal(cli(['backup', '--db', server.db, '--out', out]).status, 0);
    sql(out, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = 'x' WHERE id = 3;"
      + ' CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, \'x\'); END;');
    const target = join(server.dir, 'target.db');
    assert.equal(cli(['backup', '--db', server.db, '--out', target]).status, 0);
    const before = readFileSync(target);
    const r = cli(['restore', '--from', out, '--db', target, '--force']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /audit log of .*tampered\.db is BROKEN at row 3/);
    assert.ok(readFileSync(target).equals(before), 'target unchanged');

    const newer = join(server.dir, 'newer.db');
    assert.equal(cli(['backup', '--db', server.db, '--out', newer]).status, 0);
    sql(newer, "INSERT INTO schema_version VALUES (999, 'future', 0);");
    const n = cli(['restore', '--from', newer, '--db', join(server.dir, 'n.db')]);
    assert.equal(n.status, 1);
    assert.match(n.stderr, /newer than this exosafe knows/);
    assert.ok(!existsSync(join(server.dir, 'n.db')));
  });
});
