// The audit log through /api/v1/audit: what is recorded, its shape, limits, who may read it,
// and that tampering with the table is reported (intact false, first_broken).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dropTriggerSql, startServer, sql } from '../lib/server.mjs';
import { Client, assertError, counts, signupBody, stopServer } from './client.mjs';

let server;
let admin;
before(async () => {
  server = await startServer({ demo: true });
  admin = new Client(server.url);
  await admin.login('admin@clinic.example', 'admin-demo-pass');
});
after(async () => { await stopServer(server); });

const PASSWORD = 'correct horse battery';
const auditCount = (where) => Number(sql(server.db, `SELECT count(*) FROM audit_log WHERE ${where};`));

describe('audit log', () => {
  let patient;
  let patientId;

  test('sign-up, log-in and /me are recorded; /audit lists them newest first, intact', async () => {
    patient = new Client(server.url);
    const s = await patient.signup(signupBody({ email: 'audited@patient.example' }));
    assert.equal(s.status, 201, s.text);
    patientId = s.json.user.id;
    patient = new Client(server.url);
    await patient.login('audited@patient.example', PASSWORD);
    assert.equal((await patient.get('/api/v1/me')).status, 200);

    const r = await admin.get('/api/v1/audit');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.intact, true);
    assert.equal(r.json.first_broken, null);
    const entries = r.json.entries;
    assert.ok(Array.isArray(entries) && entries.length > 0);
    for (const e of entries) {
      for (const k of ['id', 'at', 'actor_id', 'actor_role', 'action', 'object']) assert.ok(k in e, `entry has ${k}`);
      assert.equal(typeof e.id, 'number');
      assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(e.hash, undefined, 'hashes are not part of the listing');
    }
    const ids = entries.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    const actions = entries.map((e) => e.action);
    for (const a of ['auth.signup', 'auth.login', 'patient.profile.read']) assert.ok(actions.includes(a), `${a} in ${actions}`);
    const read = entries.find((e) => e.action === 'patient.profile.read' && e.actor_id === patientId);
    assert.ok(read, 'the patient read of their own profile names the patient as actor');
    assert.equal(read.actor_role, 'patient');
    assert.ok(String(read.object).includes(String(patientId)), `object names the patient: ${read.object}`);
  });

  test('each /me by a patient writes one patient.profile.read row', async () => {
    const where = `action = 'patient.profile.read' AND actor_id = ${patientId}`;
    const before = auditCount(where);
    assert.equal((await patient.get('/api/v1/me')).status, 200);
    assert.equal(auditCount(where), before + 1);
    assert.equal((await patient.get('/api/v1/me')).status, 200);
    assert.equal(auditCount(where), before + 2);
  });

  test('a failed log-in writes an auth.login_failed row, without the password', async () => {
    const before = auditCount("action = 'auth.login_failed'");
    const c = new Client(server.url);
    await c.primeCsrf();
    const r = await c.post('/api/v1/auth/login', { email: 'audited@patient.example', password: 'not-the-password-xyz' });
    assertError(r, 401, 'invalid_credentials');
    assert.equal(auditCount("action = 'auth.login_failed'"), before + 1);
    assert.ok(!sql(server.db, 'SELECT * FROM audit_log;').includes('not-the-password-xyz'), 'no password in the log');
  });

  test('an admin creating a user is recorded', async () => {
    const maxBefore = Number(sql(server.db, 'SELECT max(id) FROM audit_log;'));
    const r = await admin.post('/api/v1/users', { email: 'aud.doc@clinic.example', password: 'aud-doctor-pass', name: '医師', role: 'doctor' });
    assert.equal(r.status, 201, r.text);
    const rows = sql(server.db, `SELECT actor_id || '|' || action || '|' || object FROM audit_log WHERE id > ${maxBefore};`);
    const adminId = (await admin.get('/api/v1/me')).json.user.id;
    assert.ok(rows.split('\n').some((l) => l.startsWith(`${adminId}|`) && /user|staff/.test(l) && l.includes(String(r.json.user.id))),
      `a row by the admin names the new user: ${rows}`);
  });

  test('?limit: 1 gives one entry, 500 is allowed; 0, 501 and "abc" are 400 invalid_field limit', async () => {
    const one = await admin.get('/api/v1/audit?limit=1');
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.entries.length, 1);
    const maxId = Number(sql(server.db, 'SELECT max(id) FROM audit_log;'));
    assert.ok(one.json.entries[0].id >= maxId - 1, 'the newest entry');
    const all = await admin.get('/api/v1/audit?limit=500');
    assert.equal(all.status, 200);
    assert.ok(all.json.entries.length > 1);
    const dflt = await admin.get('/api/v1/audit');
    assert.ok(dflt.json.entries.length <= 50);
    for (const bad of ['0', '501', 'abc', '-1', '1.5']) {
      assertError(await admin.get(`/api/v1/audit?limit=${bad}`), 400, 'invalid_field', 'limit');
    }
  });

  test('non-admins get 403, anonymous 401', async () => {
    assertError(await patient.get('/api/v1/audit'), 403, 'forbidden');
    const doc = new Client(server.url);
    await doc.login('doctor@clinic.example', 'doctor-demo-pass');
    assertError(await doc.get('/api/v1/audit'), 403, 'forbidden');
    assertError(await new Client(server.url).get('/api/v1/audit'), 401, 'unauthenticated');
  });

  test('the audit table refuses UPDATE and DELETE', () => {
    assert.throws(() => sql(server.db, "UPDATE audit_log SET object = 'x' WHERE id = 1;"));
    assert.throws(() => sql(server.db, 'DELETE FROM audit_log WHERE id = 1;'));
  });

  test('editing a row (triggers dropped) → intact false, first_broken is that row', async () => {
    const ids = sql(server.db, 'SELECT id FROM audit_log ORDER BY id;').split('\n').map(Number);
    assert.ok(ids.length >= 5, 'enough rows to tamper with');
    const victim = ids[Math.floor(ids.length / 2)];
    sql(server.db, `${dropTriggerSql(server.db, 'audit_log_no_update', 'audit_log')} ${dropTriggerSql(server.db, 'audit_log_no_delete', 'audit_log')}
      UPDATE audit_log SET object = 'patient:999999' WHERE id = ${victim};`);
    const r = await admin.get('/api/v1/audit');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.intact, false);
    assert.equal(r.json.first_broken, victim);
  });
});
