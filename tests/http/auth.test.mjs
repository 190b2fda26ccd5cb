// Sign-up, log-in, /me and log-out as docs/api.md describes them, and CSRF on every one of
// the state-changing auth endpoints.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, sql } from '../lib/server.mjs';
import { Client, assertError, counts, signupBody, stopServer } from './client.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await stopServer(server); });

const PASSWORD = 'correct horse battery';

describe('auth flow', () => {
  const email = 'flow@patient.example';
  const client = () => new Client(server.url);
  let c;
  let firstSession;

  test('GET /auth/csrf returns a token and sets the exosafe_csrf cookie to it', async () => {
    c = client();
    const r = await c.get('/api/v1/auth/csrf');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.equal(typeof r.json.csrf_token, 'string');
    assert.ok(r.json.csrf_token.length >= 16, 'token is long enough to be unguessable');
    const cookie = r.cookies.find((k) => k.name === 'exosafe_csrf');
    assert.ok(cookie, 'exosafe_csrf cookie is set');
    assert.equal(cookie.value, r.json.csrf_token);
    assert.equal(cookie.attrs.httponly, undefined, 'exosafe_csrf must be readable by scripts');
    assert.equal(cookie.attrs.path, '/');
    // Two anonymous clients get different tokens.
    const other = await client().get('/api/v1/auth/csrf');
    assert.notEqual(other.json.csrf_token, r.json.csrf_token);
  });

  test('sign-up returns 201 with the user and profile, and logs in with a strict session cookie', async () => {
    const before = counts(server.db, ['users', 'patient_profiles']);
    const r = await c.post('/api/v1/auth/signup', signupBody({ email }));
    assert.equal(r.status, 201, r.text);
    const u = r.json.user;
    assert.equal(typeof u.id, 'number');
    assert.equal(u.email, email);
    assert.equal(u.role, 'patient');
    assert.equal(u.name, '山田 花子');
    assert.match(u.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(u.profile, {
      name_kana: 'ヤマダ ハナコ', birth_date: '1985-04-01', sex: 'female',
      phone: '090-1234-5678', postal_code: '150-0001', address: '東京都渋谷区神宮前1-1-1',
    });
    assert.equal(u.password, undefined, 'no password in the answer');
    assert.equal(u.password_hash, undefined, 'no password hash in the answer');
    assert.equal(typeof r.json.csrf_token, 'string');

    const session = r.cookies.find((k) => k.name === 'exosafe_session');
    assert.ok(session, 'exosafe_session cookie is set');
    assert.ok(session.value.length >= 16);
    assert.equal(session.attrs.httponly, true, 'HttpOnly');
    assert.equal(String(session.attrs.samesite).toLowerCase(), 'strict', 'SameSite=Strict');
    assert.equal(session.attrs.path, '/', 'Path=/');
    const csrf = r.cookies.find((k) => k.name === 'exosafe_csrf');
    assert.ok(csrf, 'sign-up sets exosafe_csrf');
    assert.equal(csrf.value, r.json.csrf_token, 'exosafe_csrf is the session token');
    firstSession = session.value;

    const after = counts(server.db, ['users', 'patient_profiles']);
    assert.deepEqual(after, { users: before.users + 1, patient_profiles: before.patient_profiles + 1 });
    // The session token itself is never stored, nor the password.
    const dump = sql(server.db, 'SELECT * FROM sessions; SELECT * FROM users;');
    assert.ok(!dump.includes(session.value), 'session token not stored in clear');
    assert.ok(!dump.includes(PASSWORD), 'password not stored in clear');
  });

  test('GET /me answers the signed-in user with the same CSRF token', async () => {
    const r = await c.get('/api/v1/me');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.email, email);
    assert.equal(r.json.user.role, 'patient');
    assert.equal(r.json.user.profile.name_kana, 'ヤマダ ハナコ');
    assert.equal(r.json.csrf_token, c.csrf);
  });

  test('log-out answers {ok:true}, clears the cookie and ends the session on the server', async () => {
    const r = await c.post('/api/v1/auth/logout', {});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { ok: true });
    assert.equal(c.session, undefined, 'exosafe_session cookie cleared');
    assertError(await c.get('/api/v1/me'), 401, 'unauthenticated');
    // Replaying the old cookie does not bring the session back.
    const replay = new Client(server.url);
    replay.cookies.set('exosafe_session', firstSession);
    assertError(await replay.get('/api/v1/me'), 401, 'unauthenticated');
  });

  test('log-in works again, with a new session token', async () => {
    c = client();
    const r = await c.login(email, PASSWORD);
    assert.equal(r.json.user.email, email);
    assert.equal(r.json.user.profile.birth_date, '1985-04-01');
    const session = r.cookies.find((k) => k.name === 'exosafe_session');
    assert.ok(session);
    assert.equal(session.attrs.httponly, true);
    assert.equal(String(session.attrs.samesite).toLowerCase(), 'strict');
    assert.equal(session.attrs.path, '/');
    assert.notEqual(session.value, firstSession, 'a new session, not the old one');
    assert.equal(r.json.csrf_token, c.csrf, 'exosafe_csrf is set to the session token');
    const me = await c.get('/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.user.email, email);
  });

  test('log-in with an e-mail in other case works (e-mails are stored lower-case)', async () => {
    const r = await client().login('FLOW@Patient.Example', PASSWORD);
    assert.equal(r.json.user.email, email);
  });

  test('log-out with no body is accepted', async () => {
    const d = client();
    await d.login(email, PASSWORD);
    const r = await d.request('POST', '/api/v1/auth/logout');
    assert.equal(r.status, 200, r.text);
    assertError(await d.get('/api/v1/me'), 401, 'unauthenticated');
  });

  test('a wrong password and an unknown e-mail give the same 401 invalid_credentials', async () => {
    for (const lang of ['ja', 'en']) {
      const a = new Client(server.url, { lang });
      await a.primeCsrf();
      const wrong = await a.post('/api/v1/auth/login', { email, password: 'wrong password!!' });
      assertError(wrong, 401, 'invalid_credentials');
      const b = new Client(server.url, { lang });
      await b.primeCsrf();
      const unknown = await b.post('/api/v1/auth/login', { email: 'nobody@patient.example', password: PASSWORD });
      assertError(unknown, 401, 'invalid_credentials');
      assert.equal(wrong.json.error.message, unknown.json.error.message, 'same message whatever was wrong');
      assert.equal(wrong.json.error.field, undefined, 'no field hints which part was wrong');
      assert.equal(unknown.json.error.field, undefined);
      assert.equal(a.session, undefined, 'no session after a failed log-in');
    }
  });

  test('sign-up with an e-mail already registered is 409 email_taken and adds nothing', async () => {
    for (const e of [email, 'Flow@PATIENT.example']) {
      const d = client();
      const before = counts(server.db, ['users', 'patient_profiles', 'sessions']);
      const r = await d.signup(signupBody({ email: e, name: '別人 太郎' }));
      assertError(r, 409, 'email_taken', 'email');
      assert.deepEqual(counts(server.db, ['users', 'patient_profiles', 'sessions']), before);
      assert.equal(d.session, undefined);
    }
  });

  test('concurrent sign-ups with one e-mail: exactly one 201, the rest 409 email_taken', async () => {
    const before = counts(server.db, ['users', 'patient_profiles']);
    const clients = await Promise.all(Array.from({ length: 5 }, async () => {
      const d = client();
      await d.primeCsrf();
      return d;
    }));
    const answers = await Promise.all(clients.map((d) => d.post('/api/v1/auth/signup', signupBody({ email: 'race@patient.example' }))));
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409], answers.map((r) => r.text).join('\n'));
    for (const r of answers) if (r.status === 409) assertError(r, 409, 'email_taken', 'email');
    assert.deepEqual(counts(server.db, ['users', 'patient_profiles']),
      { users: before.users + 1, patient_profiles: before.patient_profiles + 1 });
  });

  test('anonymous GET /me is 401 unauthenticated; a forged session cookie too', async () => {
    assertError(await client().get('/api/v1/me'), 401, 'unauthenticated');
    const forged = client();
    forged.cookies.set('exosafe_session', 'A'.repeat(43));
    assertError(await forged.get('/api/v1/me'), 401, 'unauthenticated');
  });
});

describe('CSRF', () => {
  const email = 'csrf@patient.example';
  const tables = ['users', 'patient_profiles', 'sessions', 'audit_log'];

  async function anon() {
    const c = new Client(server.url);
    await c.primeCsrf();
    return c;
  }

  test('sign-up without X-CSRF-Token, or with a wrong one, or without the cookie, is 403 csrf_failed', async () => {
    const before = counts(server.db, tables);
    const cases = [
      ['no header', async () => (await anon()).post('/api/v1/auth/signup', signupBody({ email }), { csrf: false })],
      ['wrong header', async () => (await anon()).post('/api/v1/auth/signup', signupBody({ email }), { csrf: 'x'.repeat(43) })],
      ['empty header', async () => (await anon()).post('/api/v1/auth/signup', signupBody({ email }), { csrf: '' })],
      ['header but no cookie', async () => {
        const c = await anon();
        const token = c.csrf;
        c.cookies.clear();
        return c.post('/api/v1/auth/signup', signupBody({ email }), { csrf: token });
      }],
      ["another client's token", async () => {
        const other = await anon();
        return (await anon()).post('/api/v1/auth/signup', signupBody({ email }), { csrf: other.csrf });
      }],
    ];
    for (const [name, run] of cases) {
      const r = await run();
      assertError(r, 403, 'csrf_failed');
      assert.equal(r.cookies.find((k) => k.name === 'exosafe_session'), undefined, `${name}: no session`);
    }
    assert.deepEqual(counts(server.db, tables), before, 'nothing changed');
  });

  test('log-in without or with a wrong X-CSRF-Token is 403 csrf_failed and starts no session', async () => {
    const c = new Client(server.url);
    const r0 = await c.signup(signupBody({ email }));
    assert.equal(r0.status, 201, r0.text);
    const before = counts(server.db, tables);
    for (const csrf of [false, 'wrong-token-wrong-token-wrong-token']) {
      const a = await anon();
      const r = await a.post('/api/v1/auth/login', { email, password: PASSWORD }, { csrf });
      assertError(r, 403, 'csrf_failed');
      assert.equal(a.session, undefined);
    }
    assert.deepEqual(counts(server.db, tables), before, 'nothing changed');
  });

  test('log-out without or with a wrong X-CSRF-Token is 403 and the session stays valid', async () => {
    const c = new Client(server.url);
    await c.login(email, PASSWORD);
    const before = counts(server.db, ['users', 'sessions']);
    for (const csrf of [false, 'wrong-token-wrong-token-wrong-token']) {
      assertError(await c.post('/api/v1/auth/logout', {}, { csrf }), 403, 'csrf_failed');
    }
    // An anonymous double-submit token is not the session's token.
    const other = await anon();
    assertError(await c.post('/api/v1/auth/logout', {}, { csrf: other.csrf }), 403, 'csrf_failed');
    assert.deepEqual(counts(server.db, ['users', 'sessions']), before);
    const me = await c.get('/api/v1/me');
    assert.equal(me.status, 200, 'still signed in');
    // With the right token it works.
    assert.equal((await c.post('/api/v1/auth/logout', {})).status, 200);
  });
});
