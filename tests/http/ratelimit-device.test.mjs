// Log-in limits under attack (issue 16): exact under concurrent attempts, and a browser that
// has logged in to an account before (the exosafe_device cookie) is not locked out by
// strangers' wrong guesses: it is judged by its own failures, and slowed rather than refused
// while the account is past its limit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, sql } from '../lib/server.mjs';
import { Client, DEMO_STAFF, assertError, stopServer } from './client.mjs';

let server;
const [DOCTOR, DOCTOR_PASSWORD] = DEMO_STAFF.doctor;
const [PHARMACIST, PHARMACIST_PASSWORD] = DEMO_STAFF.pharmacist;
let doctorDevice;
let pharmacistDevice;
before(async () => {
  server = await startServer({ demo: true });
  // Both log in once from their own browsers, before any attack.
  doctorDevice = new Client(server.url);
  await doctorDevice.login(DOCTOR, DOCTOR_PASSWORD);
  pharmacistDevice = new Client(server.url);
  await pharmacistDevice.login(PHARMACIST, PHARMACIST_PASSWORD);
});
after(async () => { await stopServer(server); });

async function attempt(email, password, client = new Client(server.url)) {
  await client.primeCsrf();
  const started = Date.now();
  const r = await client.post('/api/v1/auth/login', { email, password });
  return { r, ms: Date.now() - started, client };
}

describe('log-in limits', () => {
  test('a log-in marks the browser with an HttpOnly device cookie, stored only as a hash', () => {
    const set = doctorDevice.lastSetCookies.find((c) => c.name === 'exosafe_device');
    assert.ok(set, 'exosafe_device is set at the log-in');
    assert.equal(set.attrs.httponly, true);
    assert.match(set.attrs.samesite ?? '', /strict/i);
    assert.ok(Number(set.attrs['max-age']) > 30 * 86400, 'kept across browser restarts');
    assert.equal(Number(sql(server.db, `SELECT count(*) FROM login_devices WHERE token_hash = '${set.value}';`)), 0);
    assert.equal(Number(sql(server.db, 'SELECT count(*) FROM login_devices;')), 2);
  });

  test('40 wrong log-ins at once for one account: exactly 5 are checked, 35 refused', async () => {
    const target = 'admin@clinic.example';
    const results = await Promise.all(Array.from({ length: 40 }, () => attempt(target, 'wrong password 123')));
    const statuses = results.map(({ r }) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5, `401s: ${statuses}`);
    assert.equal(statuses.filter((s) => s === 429).length, 35, `429s: ${statuses}`);
    assert.equal(Number(sql(server.db, `SELECT count(*) FROM login_failures WHERE subject = 'account:${target}';`)), 5);
  });

  test('strangers lock the doctor\'s account, but the doctor\'s own browser still gets in (slowed)', async () => {
    for (let i = 0; i < 5; i++) assertError((await attempt(DOCTOR, 'guess number ' + i)).r, 401, 'invalid_credentials');
    // A browser the account does not know: refused, the right password included.
    assertError((await attempt(DOCTOR, DOCTOR_PASSWORD)).r, 429, 'rate_limited');
    // The doctor's browser: let in, after a pause.
    const { r, ms } = await attempt(DOCTOR, DOCTOR_PASSWORD, doctorDevice);
    assert.equal(r.status, 200, r.text);
    assert.ok(ms >= 900, `slowed: ${ms} ms`);
    assert.equal(r.cookies.find((c) => c.name === 'exosafe_device'), undefined, 'already known: no new cookie');
    // The strangers are still locked out.
    assertError((await attempt(DOCTOR, DOCTOR_PASSWORD)).r, 429, 'rate_limited');
  });

  test('a known browser has its own limit: five wrong passwords from it lock it too', async () => {
    for (let i = 0; i < 5; i++) {
      assertError((await attempt(DOCTOR, 'typo ' + i, doctorDevice)).r, 401, 'invalid_credentials');
    }
    assertError((await attempt(DOCTOR, DOCTOR_PASSWORD, doctorDevice)).r, 429, 'rate_limited');
  });

  test('a device cookie counts only for its own account', async () => {
    const borrowed = new Client(server.url);
    borrowed.cookies.set('exosafe_device', pharmacistDevice.cookies.get('exosafe_device'));
    assertError((await attempt(DOCTOR, DOCTOR_PASSWORD, borrowed)).r, 429, 'rate_limited');
  });

  test('an address past its limit is refused, but a browser known to the account still gets in', async () => {
    for (let i = 0; i < 20; i++) await attempt(`nobody${i}@clinic.example`, 'wrong password 123');
    assertError((await attempt(PHARMACIST, PHARMACIST_PASSWORD)).r, 429, 'rate_limited');
    const { r } = await attempt(PHARMACIST, PHARMACIST_PASSWORD, pharmacistDevice);
    assert.equal(r.status, 200, r.text);
  });
});
