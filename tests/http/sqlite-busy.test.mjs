// SQLite's counterpart of PostgreSQL's faults (issue 18): another process (here the sqlite3
// shell, as the CLI's restore or an admin's session would) holds the database's write lock past
// the server's busy timeout (10 s). The write is answered 503 database_busy with Retry-After,
// not 500 and not database_unavailable (the file is there), nothing is written, and the same
// request succeeds once the lock is let go.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { sqliteOnly, startServer, sql } from '../lib/server.mjs';
import { Client, signupBody, stopServer } from './client.mjs';

test('the write lock held by another process: 503 database_busy, nothing written, served after', { skip: sqliteOnly('the write lock of a database file'), timeout: 60000 }, async () => {
  const server = await startServer({});
  const holder = spawn('sqlite3', [server.db], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    let out = '';
    holder.stdout.on('data', (d) => { out += d; });
    holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n");
    for (const deadline = Date.now() + 5000; !out.includes('locked');) {
      assert.ok(Date.now() < deadline, 'sqlite3 took the write lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    const c = new Client(server.url);
    await c.get('/api/v1/auth/csrf');
    const r = await c.post('/api/v1/auth/signup', signupBody({ email: 'busy@patient.example' }));
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json?.error?.code, 'database_busy');
    assert.match(r.json.error.message, /混み合っています/);
    assert.equal(r.headers.get('retry-after'), '1');
    holder.stdin.end('ROLLBACK;\n.quit\n');
    await new Promise((ok) => holder.once('exit', ok));
    assert.equal(sql(server.db, "SELECT count(*) FROM users WHERE email = 'busy@patient.example';"), '0');
    const again = await c.post('/api/v1/auth/signup', signupBody({ email: 'busy@patient.example' }));
    assert.equal(again.status, 201, again.text);
  } finally {
    if (holder.exitCode === null) holder.kill();
    await stopServer(server);
  }
});
