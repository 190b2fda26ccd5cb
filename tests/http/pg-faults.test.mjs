// PostgreSQL faults over HTTP (issue 18): a wrong URL or a server that is down stops exosafe
// with a clear message and no password; a cluster restarted while patients sign up loses no
// acknowledged write, answers the requests it cannot serve with an error, and serves every
// request again once the database is back. PostgreSQL only: SQLite has no server to lose.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { cli, onPg, root, startServer, sql } from '../lib/server.mjs';
import { Client, signupBody, stopServer } from './client.mjs';

const pgOnly = onPg ? false : 'PostgreSQL only: run through scripts/with-pg.sh with EXOSAFE_TEST_STORE=pg';

test('a wrong URL or a database that is down: a clear message, no password, nothing served', { skip: pgOnly }, () => {
  const cluster = new URL(process.env.EXOSAFE_TEST_PG_URL);
  const cases = [
    // Nothing listens on port 1.
    [`postgres://exosafe:s3cret-pw@127.0.0.1:1/exosafe`, /cannot connect to PostgreSQL/],
    // The cluster is up but the database does not exist.
    [`postgres://${cluster.username}:s3cret-pw@${cluster.host}/no_such_database`, /no_such_database/],
    // Not a URL libpq understands.
    ['postgres://[::1', /cannot|invalid/i],
  ];
  for (const [url, message] of cases) {
    for (const args of [['init', '--db', url], ['audit', 'verify', '--db', url], ['serve', '--db', url, '--port', '18089']]) {
      const r = cli(args);
      assert.notEqual(r.status, 0, `${args.join(' ')} must fail`);
      assert.match(r.stderr, message, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr + r.stdout, /s3cret-pw/, 'the password is never printed');
    }
  }
});

/** A new visitor signing up: the CSRF cookie first, then the sign-up (a write: user, profile, session, audit). */
async function signUp(url, email) {
  const c = new Client(url);
  await c.get('/api/v1/auth/csrf');
  return c.post('/api/v1/auth/signup', signupBody({ email }));
}

test('the cluster restarted while patients sign up: nothing acknowledged lost, served again after', { skip: pgOnly, timeout: 120000 }, async (t) => {
  const server = await startServer({});
  try {
    let n = 0;
    const acknowledged = [];
    const failed = [];
    const signUpNext = async () => {
      const email = `load${++n}@patient.example`;
      try {
        const r = await signUp(server.url, email);
        if (r.status === 201) acknowledged.push(email);
        else failed.push({ email, status: r.status, error: r.json?.error?.code });
      } catch (e) {
        failed.push({ email, status: 0, error: String(e) });
      }
    };
    let loading = true;
    const workers = Array.from({ length: 6 }, async () => { while (loading) await signUpNext(); });
    await new Promise((r) => setTimeout(r, 1500));
    const restart = spawnSync(`${root}/scripts/pg-cluster.sh`, ['restart', process.env.EXOSAFE_TEST_PG_DIR], { encoding: 'utf8' });
    assert.equal(restart.status, 0, restart.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    loading = false;
    await Promise.all(workers);

    t.diagnostic(`acknowledged ${acknowledged.length}, refused ${failed.length}: ${JSON.stringify([...new Set(failed.map((f) => `${f.status} ${f.error}`))])}`);
    assert.ok(acknowledged.length > 0, `some sign-ups were acknowledged: ${JSON.stringify(failed.slice(0, 3))}`);
    for (const f of failed) {
      // The requests the outage caught get a JSON error, never a dropped connection.
      assert.ok(f.status >= 500 && typeof f.error === 'string', JSON.stringify(f));
    }
    // Every acknowledged sign-up is there, and no refused one is half there.
    const emails = new Set(sql(server.db, "SELECT email FROM users WHERE email LIKE 'load%';").split('\n'));
    for (const email of acknowledged) assert.ok(emails.has(email), `${email} was acknowledged and is lost`);
    for (const f of failed) {
      if (emails.has(f.email)) continue; // committed before the connection broke: the reply was lost, not the row
      assert.equal(sql(server.db, `SELECT count(*) FROM patient_profiles p JOIN users u ON u.id = p.user_id WHERE u.email = '${f.email}';`), '0');
    }
    // Served again: every request after the restart succeeds, sequential and concurrent
    // (each pooled connection meets the new server), and the audit chain still verifies.
    const after = [];
    for (let i = 0; i < 10; i++) after.push((await signUp(server.url, `after${i}@patient.example`)).status);
    after.push(...(await Promise.all(Array.from({ length: 12 }, (_, i) => signUp(server.url, `after-c${i}@patient.example`)))).map((r) => r.status));
    if (after.some((s) => s !== 201)) await new Promise((r) => setTimeout(r, 500)); // the server's log of it
    assert.deepEqual(after, after.map(() => 201), `after the restart: ${after}\n${server.stderr().slice(-3000)}`);
    const verify = cli(['audit', 'verify', '--db', server.db]);
    assert.equal(verify.status, 0, verify.stderr + verify.stdout);
  } finally {
    await stopServer(server);
  }
});
