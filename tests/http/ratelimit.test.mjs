// Failed log-ins are limited per account: after 5 failures the account is refused with 429,
// even with the right password, while other accounts from the same address still get in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, sql } from '../lib/server.mjs';
import { Client, assertError, counts, signupBody, stopServer } from './client.mjs';

let server;
const PASSWORD = 'correct horse battery';
before(async () => {
  server = await startServer();
  for (const email of ['limited@patient.example', 'other@patient.example']) {
    const r = await new Client(server.url).signup(signupBody({ email }));
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => { await stopServer(server); });

async function attempt(email, password, lang) {
  const c = new Client(server.url, { lang });
  await c.primeCsrf();
  const r = await c.post('/api/v1/auth/login', { email, password });
  return { r, c };
}

describe('log-in rate limit per account', () => {
  test('5 failed log-ins (in any letter case) → the 6th, with the right password, is 429 rate_limited', async () => {
    const emails = ['limited@patient.example', 'LIMITED@patient.example', 'limited@PATIENT.EXAMPLE',
      'Limited@Patient.Example', 'limited@patient.example'];
    for (const email of emails) {
      const { r } = await attempt(email, 'wrong password 123');
      assertError(r, 401, 'invalid_credentials');
    }
    const failed = Number(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed';"));
    assert.ok(failed >= 5, `each failure is audited as auth.login_failed (found ${failed})`);

    const before = counts(server.db, ['users', 'sessions']);
    const { r, c } = await attempt('limited@patient.example', PASSWORD);
    assertError(r, 429, 'rate_limited');
    assert.equal(c.session, undefined, 'no session cookie');
    assert.deepEqual(counts(server.db, ['users', 'sessions']), before, 'no session row');
    assertError((await attempt('limited@patient.example', 'wrong password 123')).r, 429, 'rate_limited');
    assertError((await attempt('limited@patient.example', PASSWORD)).r, 429, 'rate_limited');
  });

  test('the 429 message is Japanese by default and English on request', async () => {
    const ja = (await attempt('limited@patient.example', PASSWORD)).r;
    const en = (await attempt('limited@patient.example', PASSWORD, 'en')).r;
    assertError(ja, 429, 'rate_limited');
    assertError(en, 429, 'rate_limited');
    assert.match(ja.json.error.message, /[\u3040-\u30ff\u4e00-\u9fff]/);
    assert.doesNotMatch(en.json.error.message, /[\u3040-\u30ff\u4e00-\u9fff]/);
  });

  test('another account from the same address still logs in', async () => {
    const { r } = await attempt('other@patient.example', PASSWORD);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.email, 'other@patient.example');
  });

  test('an unknown e-mail is limited the same way (no hint that the account does not exist)', async () => {
    for (let i = 0; i < 5; i++) {
      assertError((await attempt('ghost@patient.example', 'wrong password 123')).r, 401, 'invalid_credentials');
    }
    assertError((await attempt('ghost@patient.example', 'wrong password 123')).r, 429, 'rate_limited');
  });
});
