// Role-based access on /api/v1/users (admin only) and staff creation, on the demo data.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { Client, assertError, counts, stopServer } from './client.mjs';

let server;
const as = {};
before(async () => {
  server = await startServer({ demo: true });
  const logins = {
    admin: ['admin@clinic.example', 'admin-demo-pass'],
    doctor: ['doctor@clinic.example', 'doctor-demo-pass'],
    pharmacist: ['pharmacist@clinic.example', 'pharmacist-demo-pass'],
    patient: ['hanako@patient.example', 'patient-demo-pass'],
  };
  for (const [role, [email, password]] of Object.entries(logins)) {
    as[role] = new Client(server.url);
    const r = await as[role].login(email, password);
    assert.equal(r.json.user.role, role);
  }
});
after(async () => { await stopServer(server); });

const tables = ['users', 'patient_profiles', 'audit_log'];
const staff = (over = {}) => ({
  email: 'new.doctor@clinic.example', password: 'new-doctor-pass', name: '鈴木 一郎', role: 'doctor', ...over,
});

describe('roles on /api/v1/users', () => {
  test('demo /me: a patient has a profile, staff have none', async () => {
    const p = await as.patient.get('/api/v1/me');
    assert.equal(p.status, 200);
    assert.equal(p.json.user.role, 'patient');
    assert.equal(typeof p.json.user.profile, 'object');
    for (const role of ['doctor', 'pharmacist', 'admin']) {
      const r = await as[role].get('/api/v1/me');
      assert.equal(r.status, 200);
      assert.equal(r.json.user.role, role);
      assert.equal(r.json.user.profile, undefined, `${role} has no profile`);
    }
  });

  test('anonymous GET and POST /users are 401 unauthenticated', async () => {
    const anon = new Client(server.url);
    assertError(await anon.get('/api/v1/users'), 401, 'unauthenticated');
    await anon.primeCsrf();
    const before = counts(server.db, tables);
    assertError(await anon.post('/api/v1/users', staff()), 401, 'unauthenticated');
    assert.deepEqual(counts(server.db, tables), before);
  });

  for (const role of ['patient', 'doctor', 'pharmacist']) {
    test(`${role}: GET and POST /users are 403 forbidden and change nothing`, async () => {
      assertError(await as[role].get('/api/v1/users'), 403, 'forbidden');
      const before = counts(server.db, ['users', 'patient_profiles']);
      assertError(await as[role].post('/api/v1/users', staff({ role: 'admin' })), 403, 'forbidden');
      assert.deepEqual(counts(server.db, ['users', 'patient_profiles']), before);
    });
  }

  for (const role of ['patient', 'doctor', 'pharmacist']) {
    test(`${role}: GET /audit is 403 forbidden`, async () => {
      assertError(await as[role].get('/api/v1/audit'), 403, 'forbidden');
    });
  }

  test('admin GET /users lists staff and patients, without profiles', async () => {
    const r = await as.admin.get('/api/v1/users');
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json.users));
    const emails = r.json.users.map((u) => u.email);
    for (const e of ['admin@clinic.example', 'doctor@clinic.example', 'pharmacist@clinic.example',
      'hanako@patient.example', 'taro@patient.example']) assert.ok(emails.includes(e), `${e} listed`);
    for (const u of r.json.users) {
      assert.equal(u.profile, undefined, 'no profile in the list');
      assert.equal(u.password_hash, undefined);
      assert.equal(typeof u.id, 'number');
      assert.ok(['patient', 'doctor', 'pharmacist', 'admin'].includes(u.role));
    }
  });

  test('admin creating role "patient", "root" or "" is 400 invalid_field role, nothing added', async () => {
    const before = counts(server.db, tables);
    for (const role of ['patient', 'root', '', 'ADMIN ', 'none']) {
      const r = await as.admin.post('/api/v1/users', staff({ role, email: `r-${role.trim() || 'empty'}@clinic.example` }));
      assertError(r, 400, 'invalid_field', 'role');
    }
    assertError(await as.admin.post('/api/v1/users', staff({ role: 7 })), 400, 'invalid_field', 'role');
    assert.deepEqual(counts(server.db, tables), before);
  });

  test('admin POST /users: missing, unknown and weak fields are rejected, nothing added', async () => {
    const before = counts(server.db, tables);
    const { role: _r, ...noRole } = staff();
    assertError(await as.admin.post('/api/v1/users', noRole), 400, 'missing_field', 'role');
    const { email: _e, ...noEmail } = staff();
    assertError(await as.admin.post('/api/v1/users', noEmail), 400, 'missing_field', 'email');
    assertError(await as.admin.post('/api/v1/users', staff({ profile: {} })), 400, 'unknown_field', 'profile');
    assertError(await as.admin.post('/api/v1/users', staff({ password: 'short' })), 400, 'weak_password', 'password');
    assertError(await as.admin.post('/api/v1/users', staff({ email: 'not-an-email' })), 400, 'invalid_field', 'email');
    assertError(await as.admin.post('/api/v1/users', staff({ email: 'doctor@clinic.example' })), 409, 'email_taken', 'email');
    assert.deepEqual(counts(server.db, tables), before);
  });

  test('admin POST /users without the CSRF token is 403 csrf_failed', async () => {
    const before = counts(server.db, tables);
    assertError(await as.admin.post('/api/v1/users', staff(), { csrf: false }), 403, 'csrf_failed');
    assert.deepEqual(counts(server.db, tables), before);
  });

  test('admin creates a doctor (201); the doctor can log in and is still not an admin', async () => {
    const before = counts(server.db, ['users', 'patient_profiles']);
    const r = await as.admin.post('/api/v1/users', staff({ email: 'New.Doctor@Clinic.Example' }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.user.email, 'new.doctor@clinic.example', 'stored lower-case');
    assert.equal(r.json.user.role, 'doctor');
    assert.equal(r.json.user.name, '鈴木 一郎');
    assert.equal(r.json.user.profile, undefined);
    assert.equal(typeof r.json.user.id, 'number');
    // Creating a user does not log the admin in as that user.
    assert.equal((await as.admin.get('/api/v1/me')).json.user.role, 'admin');
    assert.deepEqual(counts(server.db, ['users', 'patient_profiles']),
      { users: before.users + 1, patient_profiles: before.patient_profiles });

    const d = new Client(server.url);
    const login = await d.login('new.doctor@clinic.example', 'new-doctor-pass');
    assert.equal(login.json.user.role, 'doctor');
    assert.equal(login.json.user.id, r.json.user.id);
    assertError(await d.get('/api/v1/users'), 403, 'forbidden');
    const list = await as.admin.get('/api/v1/users');
    assert.ok(list.json.users.some((u) => u.email === 'new.doctor@clinic.example' && u.role === 'doctor'));
  });

  test('admin creates a pharmacist and an admin', async () => {
    for (const role of ['pharmacist', 'admin']) {
      const r = await as.admin.post('/api/v1/users', staff({ role, email: `new.${role}@clinic.example` }));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.user.role, role);
    }
  });

  test('a patient cannot sign up as staff: role is an unknown field on sign-up', async () => {
    const c = new Client(server.url);
    const before = counts(server.db, tables);
    const r = await c.signup({
      email: 'sneaky@patient.example', password: 'correct horse battery', name: '山田 花子',
      name_kana: 'ヤマダ ハナコ', birth_date: '1985-04-01', sex: 'female', phone: '090-1234-5678', role: 'admin',
    });
    assertError(r, 400, 'unknown_field', 'role');
    assert.deepEqual(counts(server.db, tables), before);
  });
});
