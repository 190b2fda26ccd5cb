// Settings from an INI file given with `serve --config`: Secure cookies, the body limit,
// session idle and absolute expiry, and the log-in throttling window. Short limits make the
// timing observable; keys are those of src/config.c ([server], [security]).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { Client, assertError, counts, signupBody, stopServer } from './client.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'correct horse battery';
const EMAIL = 'config@patient.example';
let server;
let confDir;
before(async () => {
  confDir = mkdtempSync(join(tmpdir(), 'exosafe-conf-'));
  const ini = join(confDir, 'exosafe.ini');
  writeFileSync(ini, [
    '[server]', 'secure_cookies = true', 'max_body_bytes = 4096', '',
    '[security]', 'session_idle_seconds = 3', 'session_absolute_seconds = 5',
    'login_window_seconds = 3', 'login_max_failures_per_account = 2', '',
  ].join('\n'));
  server = await startServer({ args: ['--config', ini] });
  const r = await new Client(server.url).signup(signupBody({ email: EMAIL }));
  assert.equal(r.status, 201, r.text);
});
after(async () => {
  await stopServer(server);
  if (confDir) rmSync(confDir, { recursive: true, force: true });
});

describe('configured server', () => {
  test('secure_cookies=true adds Secure to the session and CSRF cookies', async () => {
    const c = new Client(server.url);
    const csrf = await c.get('/api/v1/auth/csrf');
    assert.equal(csrf.cookies.find((k) => k.name === 'exosafe_csrf')?.attrs.secure, true);
    const r = await c.login(EMAIL, PASSWORD);
    const s = r.cookies.find((k) => k.name === 'exosafe_session');
    assert.equal(s.attrs.secure, true, 'Secure');
    assert.equal(s.attrs.httponly, true);
    assert.equal(String(s.attrs.samesite).toLowerCase(), 'strict');
  });

  test('max_body_bytes=4096: 5000 bytes → 413, 3000 bytes are read', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    const before = counts(server.db);
    const big = JSON.stringify(signupBody({ email: 'big@patient.example', address: 'a'.repeat(5000) }));
    assertError(await c.request('POST', '/api/v1/auth/signup', { body: big }), 413, 'body_too_large');
    const small = JSON.stringify(signupBody({ email: 'small@patient.example', address: 'a'.repeat(2800) }));
    assertError(await c.request('POST', '/api/v1/auth/signup', { body: small }), 400, 'invalid_field', 'address');
    assert.deepEqual(counts(server.db), before);
  });

  test('a session idle longer than session_idle_seconds is over', async () => {
    const c = new Client(server.url);
    await c.login(EMAIL, PASSWORD);
    assert.equal((await c.get('/api/v1/me')).status, 200);
    await sleep(4500);
    assertError(await c.get('/api/v1/me'), 401, 'unauthenticated');
  });

  test('a busy session still ends after session_absolute_seconds', async () => {
    const c = new Client(server.url);
    await c.login(EMAIL, PASSWORD);
    const start = Date.now();
    // Three requests a second apart: the third is past the 3 s idle limit from log-in, so
    // only the activity keeps the session alive (before the 5 s absolute limit).
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      assert.equal((await c.get('/api/v1/me')).status, 200, 'alive while in use');
    }
    let last;
    while (Date.now() - start < 7500) {
      await sleep(1000);
      last = await c.get('/api/v1/me');
    }
    assertError(last, 401, 'unauthenticated');
  });

  test('failed log-ins are forgotten once login_window_seconds has passed', async () => {
    const attempt = async (password) => {
      const c = new Client(server.url);
      await c.primeCsrf();
      return c.post('/api/v1/auth/login', { email: EMAIL, password });
    };
    assertError(await attempt('wrong password 123'), 401, 'invalid_credentials');
    assertError(await attempt('wrong password 123'), 401, 'invalid_credentials');
    assertError(await attempt(PASSWORD), 429, 'rate_limited');
    await sleep(4500);
    const r = await attempt(PASSWORD);
    assert.equal(r.status, 200, r.text);
  });
});
