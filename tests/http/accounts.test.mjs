// Accounts (issue 14): sign-up answers every bad field at once and accepts phone numbers and
// postal codes as people type them; a patient edits their own profile; an admin finds
// accounts, deactivates and reactivates them, changes a staff role and forces a password reset,
// each audited, with the last-admin and own-account guards. On the demo data.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, sql } from '../lib/server.mjs';
import { Client, JAPANESE, assertError, counts, signupBody, stopServer } from './client.mjs';

let server;
const as = {};
const logins = {
  admin: ['admin@clinic.example', 'admin-demo-pass'],
  doctor: ['doctor@clinic.example', 'doctor-demo-pass'],
  pharmacist: ['pharmacist@clinic.example', 'pharmacist-demo-pass'],
  patient: ['hanako@patient.example', 'patient-demo-pass'],
};
before(async () => {
  server = await startServer({ demo: true });
  for (const [role, [email, password]] of Object.entries(logins)) {
    as[role] = new Client(server.url);
    await as[role].login(email, password);
  }
});
after(async () => { await stopServer(server); });

const put = (c, path, json, opts = {}) => c.request('PUT', path, { json, ...opts });
const tables = ['users', 'patient_profiles', 'sessions', 'audit_log'];
let seq = 0;
const unique = (prefix) => `${prefix}${++seq}.${process.pid}@example.jp`;

/** A new logged-in account: a patient by sign-up, or staff created by the admin. */
async function newAccount(role = 'patient') {
  const c = new Client(server.url);
  const email = unique(role);
  const password = `${role}-test-password`;
  if (role === 'patient') {
    const r = await c.signup(signupBody({ email, password }));
    assert.equal(r.status, 201, r.text);
    c.id = r.json.user.id;
  } else {
    const r = await as.admin.post('/api/v1/users', { email, password, name: `試験 ${role}`, role });
    assert.equal(r.status, 201, r.text);
    c.id = r.json.user.id;
    await c.login(email, password);
  }
  c.email = email;
  c.password = password;
  return c;
}

function lastAudit(action) {
  const row = sql(server.db, `SELECT actor_id, actor_role, object, detail FROM audit_log WHERE action = '${action}' ORDER BY id DESC LIMIT 1;`);
  if (!row) return null;
  const [actorId, actorRole, object, detail] = row.split('|');
  return { actorId: Number(actorId), actorRole, object, detail };
}

describe('sign-up: every field error at once, phone and postal code as typed', () => {
  test('five bad fields and one missing: 400 listing all six, each with its own message; nothing written', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    const before = counts(server.db, tables);
    const r = await c.post('/api/v1/auth/signup', signupBody({
      email: 'not-an-email', password: 'short', name_kana: 'やまだ', birth_date: '1985-02-30', phone: '12345', sex: undefined,
    }), { lang: 'ja' });
    assertError(r, 400, 'invalid_field', 'email');
    const fields = r.json.error.fields;
    assert.ok(Array.isArray(fields), `error.fields: ${r.text}`);
    assert.deepEqual(fields.map((f) => f.field).sort(), ['birth_date', 'email', 'name_kana', 'password', 'phone', 'sex'].sort());
    const byField = Object.fromEntries(fields.map((f) => [f.field, f]));
    assert.equal(byField.password.code, 'weak_password');
    assert.equal(byField.sex.code, 'missing_field');
    assert.equal(byField.phone.code, 'invalid_field');
    for (const f of fields) assert.match(f.message, JAPANESE, `${f.field} message in Japanese`);
    assert.equal(new Set(fields.map((f) => f.message)).size, fields.length, 'each message names its field');
    assert.match(byField.phone.message, /電話番号/);
    assert.match(byField.birth_date.message, /存在しない日付/);
    assert.deepEqual(counts(server.db, tables), before, 'nothing written');
  });

  test('English messages when the client asks for English', async () => {
    const c = new Client(server.url, { lang: 'en' });
    await c.primeCsrf();
    const r = await c.post('/api/v1/auth/signup', signupBody({ email: 'x', phone: '1' }));
    assert.equal(r.status, 400);
    const byField = Object.fromEntries(r.json.error.fields.map((f) => [f.field, f.message]));
    assert.match(byField.email, /^E-mail: /);
    assert.match(byField.phone, /^Phone: /);
  });

  test('an unknown field is listed together with the bad ones', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    const r = await c.post('/api/v1/auth/signup', { ...signupBody({ email: unique('u'), phone: 'abc' }), nickname: 'x' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.error.fields.map((f) => [f.field, f.code]), [['nickname', 'unknown_field'], ['phone', 'invalid_field']]);
  });

  const phones = [
    ['０９０−１１１１−２２２２', '090-1111-2222'], // minus sign U+2212
    ['０９０－１１１１－２２２２', '090-1111-2222'], // full-width hyphen-minus
    ['０９０ー１１１１ー２２２２', '090-1111-2222'], // prolonged sound mark (kana mode)
    ['090ｰ1111ｰ2222', '090-1111-2222'], // half-width prolonged sound mark
    ['090‐1111‐2222', '090-1111-2222'], // hyphen U+2010
    ['03―1234―5678', '03-1234-5678'], // horizontal bar
    ['０３１２３４５６７８', '0312345678'],
    ['090 1111 2222', '090-1111-2222'], // spaces, as the clinic's own number is read
    ['+81 (0)90-1111-2222', '090-1111-2222'], // country code
  ];
  for (const [typed, stored] of phones) {
    test(`phone ${typed} is stored as ${stored}`, async () => {
      const c = new Client(server.url);
      const r = await c.signup(signupBody({ email: unique('ph'), phone: typed }));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.user.profile.phone, stored);
    });
  }

  for (const [typed, stored] of [['1500001', '150-0001'], ['１５００００１', '150-0001'], ['１５０ー０００１', '150-0001'], ['〒150-0001', '150-0001']]) {
    test(`postal code ${typed} is stored as ${stored}`, async () => {
      const c = new Client(server.url);
      const r = await c.signup(signupBody({ email: unique('pc'), postal_code: typed }));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.user.profile.postal_code, stored);
    });
  }

  test('the language signed up in is stored for the clinic\'s messages (ja when not given)', async () => {
    for (const [lang, want] of [['en', 'en'], [undefined, 'ja']]) {
      const c = new Client(server.url);
      const email = unique('lang');
      const r = await c.signup(signupBody({ email, lang }));
      assert.equal(r.status, 201, r.text);
      assert.equal(sql(server.db, `SELECT lang FROM users WHERE email = '${email}';`), want);
    }
    const c = new Client(server.url);
    await c.primeCsrf();
    assertError(await c.post('/api/v1/auth/signup', signupBody({ email: unique('lang'), lang: 'fr' })), 400, 'invalid_field', 'lang');
  });

  test('a phone still wrong after normalising is refused naming the phone', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    assertError(await c.post('/api/v1/auth/signup', signupBody({ email: unique('bad'), phone: '０９０〜１１１１〜２２２２' })), 400, 'invalid_field', 'phone');
    assertError(await c.post('/api/v1/auth/signup', signupBody({ email: unique('bad'), postal_code: '150001' })), 400, 'invalid_field', 'postal_code');
  });
});

describe('a patient edits their own profile', () => {
  const profileBody = (over = {}) => {
    const body = {
      name: '山田 花子', name_kana: 'ヤマダ ハナコ', phone: '090-1234-5678', postal_code: '150-0001',
      address: '東京都渋谷区神宮前1-1-1', lang: 'ja', ...over,
    };
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    return body;
  };

  test('GET /me/profile: the patient\'s details, audited as a read of personal data', async () => {
    const r = await as.patient.get('/api/v1/me/profile');
    assert.equal(r.status, 200, r.text);
    const p = r.json.profile;
    assert.equal(p.email, 'hanako@patient.example');
    assert.equal(p.lang, 'ja');
    for (const k of ['name', 'name_kana', 'birth_date', 'sex', 'phone', 'postal_code', 'address']) assert.equal(typeof p[k], 'string', k);
    const audit = lastAudit('patient.profile.read');
    assert.equal(audit.actorRole, 'patient');
  });

  test('staff have no patient profile: doctor, pharmacist and admin get 403; no session 401', async () => {
    for (const role of ['doctor', 'pharmacist', 'admin']) {
      assertError(await as[role].get('/api/v1/me/profile'), 403, 'forbidden');
      assertError(await put(as[role], '/api/v1/me/profile', profileBody()), 403, 'forbidden');
    }
    assertError(await new Client(server.url).get('/api/v1/me/profile'), 401, 'unauthenticated');
  });

  test('PUT changes name, kana, phone (full-width), postal code (no hyphen), address and language; audited by field name', async () => {
    const c = await newAccount('patient');
    const r = await put(c, '/api/v1/me/profile', profileBody({
      name: '山田 花', name_kana: 'ヤマダ ハナ', phone: '０８０ー９９９９ー８８８８', postal_code: '5300001', address: '大阪府大阪市北区梅田1-1', lang: 'en',
    }));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual({ ...r.json.profile, birth_date: undefined, sex: undefined, email: undefined }, {
      name: '山田 花', name_kana: 'ヤマダ ハナ', phone: '080-9999-8888', postal_code: '530-0001', address: '大阪府大阪市北区梅田1-1', lang: 'en',
      birth_date: undefined, sex: undefined, email: undefined,
    });
    assert.equal(sql(server.db, `SELECT lang FROM users WHERE id = ${c.id};`), 'en');
    const me = await c.get('/api/v1/me');
    assert.equal(me.json.user.profile.postal_code, '530-0001');
    const audit = lastAudit('patient.profile.update');
    assert.equal(audit.object, `patient:${c.id}`);
    assert.equal(audit.actorId, c.id);
    assert.equal(audit.detail, 'changed=name,lang,name_kana,phone,postal_code,address');
    assert.ok(!audit.detail.includes('梅田'), 'the audit names fields, not the values');
  });

  test('PUT with several bad fields: 400 listing each, nothing changed', async () => {
    const c = await newAccount('patient');
    const before = sql(server.db, `SELECT * FROM users WHERE id = ${c.id}; SELECT * FROM patient_profiles WHERE user_id = ${c.id};`);
    const audits = counts(server.db, ['audit_log']);
    const r = await put(c, '/api/v1/me/profile', profileBody({ name_kana: 'yamada', phone: '12', postal_code: '15-0001', lang: 'fr', name: '' }));
    assertError(r, 400, 'invalid_field');
    assert.deepEqual(r.json.error.fields.map((f) => f.field), ['name', 'name_kana', 'phone', 'postal_code', 'lang']);
    assert.equal(sql(server.db, `SELECT * FROM users WHERE id = ${c.id}; SELECT * FROM patient_profiles WHERE user_id = ${c.id};`), before);
    assert.deepEqual(counts(server.db, ['audit_log']), audits);
  });

  test('PUT needs the CSRF token', async () => {
    const c = await newAccount('patient');
    assertError(await put(c, '/api/v1/me/profile', profileBody({ name: '変更' }), { csrf: false }), 403, 'csrf_failed');
    assertError(await put(c, '/api/v1/me/profile', profileBody({ name: '変更' }), { csrf: 'x'.repeat(43) }), 403, 'csrf_failed');
  });

  test('changing the e-mail needs the current password: none 400, wrong 400, taken 409; right one changes it', async () => {
    const c = await newAccount('patient');
    const newEmail = unique('moved');
    assertError(await put(c, '/api/v1/me/profile', profileBody({ email: newEmail })), 400, 'missing_field', 'current_password');
    assertError(await put(c, '/api/v1/me/profile', profileBody({ email: newEmail, current_password: 'not the password' })), 400, 'invalid_field', 'current_password');
    assertError(await put(c, '/api/v1/me/profile', profileBody({ email: 'taro@patient.example', current_password: c.password })), 409, 'email_taken', 'email');
    assert.equal(sql(server.db, `SELECT email FROM users WHERE id = ${c.id};`), c.email, 'unchanged so far');
    // The same e-mail again needs no password.
    assert.equal((await put(c, '/api/v1/me/profile', profileBody({ email: c.email }))).status, 200);
    const r = await put(c, '/api/v1/me/profile', profileBody({ email: newEmail.toUpperCase(), current_password: c.password }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.profile.email, newEmail);
    await new Client(server.url).login(newEmail, c.password);
  });
});

describe('admin user management', () => {
  test('patient, doctor and pharmacist get 403 on every /admin/users endpoint; nothing changes', async () => {
    const target = await newAccount('patient');
    const before = counts(server.db, tables);
    for (const role of ['patient', 'doctor', 'pharmacist']) {
      assertError(await as[role].get('/api/v1/admin/users'), 403, 'forbidden');
      for (const action of ['deactivate', 'reactivate', 'force-password-reset']) {
        assertError(await as[role].post(`/api/v1/admin/users/${target.id}/${action}`, {}), 403, 'forbidden');
      }
      assertError(await as[role].post(`/api/v1/admin/users/${target.id}/role`, { role: 'admin' }), 403, 'forbidden');
    }
    assertError(await new Client(server.url).get('/api/v1/admin/users'), 401, 'unauthenticated');
    assert.deepEqual(counts(server.db, tables), before);
    assert.equal((await target.get('/api/v1/me')).status, 200, 'target still signed in');
  });

  test('every change needs the CSRF token', async () => {
    const target = await newAccount('doctor');
    for (const action of ['deactivate', 'reactivate', 'force-password-reset']) {
      assertError(await as.admin.post(`/api/v1/admin/users/${target.id}/${action}`, {}, { csrf: false }), 403, 'csrf_failed');
    }
    assertError(await as.admin.post(`/api/v1/admin/users/${target.id}/role`, { role: 'pharmacist' }, { csrf: false }), 403, 'csrf_failed');
    assert.equal(sql(server.db, `SELECT role || coalesce(CAST(deactivated_at AS TEXT), '-') || password_reset_required FROM users WHERE id = ${target.id};`), 'doctor-0');
  });

  test('list: the staff lists\' search and paging (q, status, limit, offset; total) plus role', async () => {
    const all = await as.admin.get('/api/v1/admin/users?limit=500');
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.total, Number(sql(server.db, 'SELECT count(*) FROM users;')));
    assert.equal(all.json.limit, 500);
    assert.equal(all.json.offset, 0);
    assert.equal(all.json.page, undefined, 'no page/per_page of its own');
    const hanako = all.json.users.find((u) => u.email === 'hanako@patient.example');
    assert.equal(hanako.active, true);
    assert.equal(hanako.password_reset_required, false);
    assert.equal(hanako.deactivated_at, null);
    assert.equal(hanako.profile, undefined, 'no personal profile in the list');
    assert.equal((await as.admin.get('/api/v1/admin/users')).json.limit, 50, 'the staff lists\' default page');

    // More rows than a page: pages of 2 hold every account once, in id order, with one total.
    assert.ok(all.json.total > 2);
    const rows = [];
    for (let offset = 0; offset < all.json.total; offset += 2) {
      const r = await as.admin.get(`/api/v1/admin/users?limit=2&offset=${offset}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual([r.json.total, r.json.limit, r.json.offset], [all.json.total, 2, offset]);
      assert.ok(r.json.users.length <= 2);
      rows.push(...r.json.users.map((u) => u.id));
    }
    assert.deepEqual(rows, all.json.users.map((u) => u.id));
    const past = await as.admin.get(`/api/v1/admin/users?limit=2&offset=${all.json.total}`);
    assert.deepEqual([past.json.users.length, past.json.total], [0, all.json.total]);

    // q as on the staff lists: the name with or without its space, a patient's kana in
    // hiragana or half-width katakana, the account number; and, here only, the e-mail.
    const found = new Client(server.url);
    const signedUp = await found.signup(signupBody({ email: unique('found'), name: '検索 見子', name_kana: 'ケンサク ミコ' }));
    assert.equal(signedUp.status, 201, signedUp.text);
    const emails = async (q, more = '') => (await as.admin.get(`/api/v1/admin/users?q=${encodeURIComponent(q)}${more}`)).json.users.map((u) => u.email);
    for (const q of ['検索', '検索見子', '検索　見子', 'けんさく', 'ｹﾝｻｸ ﾐｺ', `#${signedUp.json.user.id}`, signedUp.json.user.email.toUpperCase()]) {
      assert.deepEqual(await emails(q), [signedUp.json.user.email], q);
    }
    assert.ok((await emails(String(hanako.id))).includes('hanako@patient.example'));
    assert.deepEqual(await emails('DOCTOR@CLINIC'), ['doctor@clinic.example']);
    assert.deepEqual(await emails('%'), [], 'LIKE wildcards are literal');
    const admins = await as.admin.get('/api/v1/admin/users?role=admin');
    assert.ok(admins.json.users.length >= 1 && admins.json.users.every((u) => u.role === 'admin'));
    assert.equal(admins.json.total, admins.json.users.length);
    assert.deepEqual(await emails('clinic', '&role=doctor&status=active'), ['doctor@clinic.example']);
    assert.equal(lastAudit('user.list').actorRole, 'admin');

    // Bad parameters: 400 naming each, and nothing written (not even the read's audit row).
    const before = counts(server.db, tables);
    for (const [query, field] of [['role=root', 'role'], ['status=gone', 'status'], ['status=any', 'status'],
      ['limit=0', 'limit'], ['limit=501', 'limit'], ['limit=abc', 'limit'], ['offset=-1', 'offset'],
      ['offset=x', 'offset'], [`q=${encodeURIComponent('あ'.repeat(101))}`, 'q']]) {
      assertError(await as.admin.get(`/api/v1/admin/users?${query}`), 400, 'invalid_field', field);
    }
    assert.deepEqual(counts(server.db, tables), before);
  });

  test('deactivate: sessions ended, log-in refused with account_deactivated, audited; reactivate: log-in works again', async () => {
    const target = await newAccount('patient');
    const r = await as.admin.post(`/api/v1/admin/users/${target.id}/deactivate`, {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.active, false);
    assert.ok(r.json.sessions_ended >= 1);
    assert.equal(Number(sql(server.db, `SELECT count(*) FROM sessions WHERE user_id = ${target.id};`)), 0);
    assertError(await target.get('/api/v1/me'), 401, 'unauthenticated');
    const again = new Client(server.url, { lang: 'ja' });
    await again.primeCsrf();
    const refused = await again.post('/api/v1/auth/login', { email: target.email, password: target.password });
    assertError(refused, 403, 'account_deactivated');
    assert.match(refused.json.error.message, /利用停止/);
    // A wrong password still says only "wrong": the state is not revealed without the password.
    assertError(await again.post('/api/v1/auth/login', { email: target.email, password: 'wrong password!' }), 401, 'invalid_credentials');
    const audit = lastAudit('user.deactivate');
    assert.deepEqual(audit, { actorId: Number(sql(server.db, "SELECT id FROM users WHERE email = 'admin@clinic.example';")), actorRole: 'admin', object: `user:${target.id}`, detail: `sessions_ended=${r.json.sessions_ended}` });
    const listed = await as.admin.get('/api/v1/admin/users?status=deactivated');
    assert.ok(listed.json.users.some((u) => u.id === target.id));

    const back = await as.admin.post(`/api/v1/admin/users/${target.id}/reactivate`, {});
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.user.active, true);
    assert.equal(lastAudit('user.reactivate').object, `user:${target.id}`);
    await again.login(target.email, target.password);
  });

  test('role change among staff roles, audited with before and after; patients keep theirs', async () => {
    const target = await newAccount('doctor');
    const r = await as.admin.post(`/api/v1/admin/users/${target.id}/role`, { role: 'pharmacist' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.role, 'pharmacist');
    assert.equal((await target.get('/api/v1/me')).json.user.role, 'pharmacist', 'takes effect on the open session');
    assert.equal(lastAudit('user.role_change').detail, 'role doctor -> pharmacist');

    const patient = await newAccount('patient');
    const before = counts(server.db, tables);
    assertError(await as.admin.post(`/api/v1/admin/users/${patient.id}/role`, { role: 'doctor' }), 409, 'role_fixed', 'role');
    assertError(await as.admin.post(`/api/v1/admin/users/${target.id}/role`, { role: 'patient' }), 400, 'invalid_field', 'role');
    assertError(await as.admin.post(`/api/v1/admin/users/${target.id}/role`, { role: 'root' }), 400, 'invalid_field', 'role');
    assertError(await as.admin.post(`/api/v1/admin/users/${target.id}/role`, {}), 400, 'missing_field', 'role');
    assertError(await as.admin.post('/api/v1/admin/users/999999/role', { role: 'doctor' }), 404, 'not_found');
    assertError(await as.admin.post('/api/v1/admin/users/999999/deactivate', {}), 404, 'not_found');
    assert.deepEqual(counts(server.db, tables), before, 'nothing changed');
  });

  test('force a password reset: sessions ended, log-in answers password_reset_required naming 「パスワードを忘れた方」', async () => {
    const target = await newAccount('pharmacist');
    const r = await as.admin.post(`/api/v1/admin/users/${target.id}/force-password-reset`, {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.password_reset_required, true);
    assert.equal(sql(server.db, `SELECT password_reset_required FROM users WHERE id = ${target.id};`), '1');
    assertError(await target.get('/api/v1/me'), 401, 'unauthenticated');
    for (const lang of ['ja', 'en']) {
      const c = new Client(server.url, { lang });
      await c.primeCsrf();
      const refused = await c.post('/api/v1/auth/login', { email: target.email, password: target.password });
      assertError(refused, 403, 'password_reset_required');
      assert.match(refused.json.error.message, /パスワードを忘れた方/);
    }
    assert.match(lastAudit('user.force_password_reset').detail, /^sessions_ended=\d+$/);
    assert.equal(lastAudit('auth.login_refused').object, `user:${target.id}`);
  });

  test('guards: an admin cannot change their own account; the last active admin cannot be demoted or deactivated', async () => {
    const adminId = Number(sql(server.db, "SELECT id FROM users WHERE email = 'admin@clinic.example';"));
    const before = counts(server.db, tables);
    // The demo has one admin: demoting or deactivating oneself would leave none.
    assertError(await as.admin.post(`/api/v1/admin/users/${adminId}/role`, { role: 'doctor' }), 409, 'last_admin');
    assertError(await as.admin.post(`/api/v1/admin/users/${adminId}/deactivate`, {}), 409, 'last_admin');
    assertError(await as.admin.post(`/api/v1/admin/users/${adminId}/force-password-reset`, {}), 409, 'cannot_change_self');
    assert.deepEqual(counts(server.db, tables), before, 'nothing changed');

    // With a second admin, one's own role is still off limits, and another admin can be demoted.
    const second = await newAccount('admin');
    assertError(await as.admin.post(`/api/v1/admin/users/${adminId}/role`, { role: 'doctor' }), 409, 'cannot_change_self');
    assertError(await second.post(`/api/v1/admin/users/${second.id}/role`, { role: 'doctor' }), 409, 'cannot_change_self');
    const demoted = await second.post(`/api/v1/admin/users/${adminId}/role`, { role: 'doctor' });
    assert.equal(demoted.status, 200, demoted.text);
    // Now `second` is the last admin; the demoted one can no longer act, and cannot undo it.
    assertError(await as.admin.post(`/api/v1/admin/users/${second.id}/role`, { role: 'doctor' }), 403, 'forbidden');
    const restored = await second.post(`/api/v1/admin/users/${adminId}/role`, { role: 'admin' });
    assert.equal(restored.status, 200, restored.text);
    assert.equal((await second.post(`/api/v1/admin/users/${second.id}/deactivate`, {})).json.error.code, 'cannot_change_self');
    const gone = await as.admin.post(`/api/v1/admin/users/${second.id}/deactivate`, {});
    assert.equal(gone.status, 200, gone.text);
    assert.equal(Number(sql(server.db, "SELECT count(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL;")), 1);
  });
});
