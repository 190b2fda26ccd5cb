// Clinics on one database (issue 18): each clinic's staff see and change only their own
// clinic's patients, orders, lots, slots, storage and reports; a row of another clinic reads as
// not found. The demo clinic is clinic 1; a second clinic with its own staff is added with the
// CLI, as a chain's operator would.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addClinic, NISHI_STAFF } from '../lib/clinics.mjs';
import { cli, root, sql, startServer } from '../lib/server.mjs';
import { Client, assertError, counts, demoStaff, signupBody, stopServer } from './client.mjs';
import { jstDate } from './fixtures.mjs';

const SECOND = NISHI_STAFF;

let server;
let clinic2;
const first = {};   // clinic 1's (the demo's) staff
const second = {};  // clinic 2's staff
const ids = {};     // clinic 1's rows, by kind

before(async () => {
  server = await startServer({
    demo: true,
    before(db) { clinic2 = addClinic(db, { staff: SECOND }); },
  });
  Object.assign(first, await demoStaff(server.url));
  for (const [role, [email, password]] of Object.entries(SECOND)) {
    second[role] = new Client(server.url);
    assert.equal((await second[role].login(email, password)).status, 200);
  }
  // An adverse event of a clinic 1 patient, filed by its doctor (the demo has none).
  const patientId = Number(sql(server.db, "SELECT id FROM users WHERE email = 'hanako@patient.example'"));
  const ae = await first.doctor.post('/api/v1/adverse-events', {
    patient_id: patientId, symptoms: ['itching'], onset_date: jstDate(-1), ongoing: true, severity: 'mild',
  });
  assert.equal(ae.status, 201, JSON.stringify(ae.json));
  // Clinic 1's refrigerator and its logger (the demo has none).
  const unit = await first.pharmacist.post('/api/v1/storage-units', { name: '冷蔵庫1', kind: 'refrigerator' });
  assert.equal(unit.status, 201, JSON.stringify(unit.json));
  const logger = await first.pharmacist.post('/api/v1/loggers', { code: 'LOG-MINATO-1', unit_id: unit.json.unit.id });
  assert.equal(logger.status, 201, JSON.stringify(logger.json));
  const col = (q) => sql(server.db, q).split('\n').filter(Boolean).map(Number);
  ids.patient = col("SELECT id FROM users WHERE role = 'patient' ORDER BY id");
  ids.order = col('SELECT id FROM orders ORDER BY id');
  ids.lot = col('SELECT id FROM lots ORDER BY id');
  ids.ae = col('SELECT id FROM ae_reports ORDER BY id');
  ids.booking = col('SELECT id FROM bookings ORDER BY id');
  ids.checkin = col('SELECT id FROM checkins ORDER BY id');
  ids.logger = col('SELECT id FROM loggers WHERE unit_id IS NOT NULL ORDER BY id');
  ids.alert = col('SELECT id FROM coldchain_alerts ORDER BY id');
  ids.slot = col('SELECT id FROM consultation_slots ORDER BY id');
  ids.unit = col('SELECT id FROM storage_units ORDER BY id');
  ids.staff = col("SELECT id FROM users WHERE role <> 'patient' AND clinic_id = 1 ORDER BY id");
});
after(async () => { await stopServer(server); });

// What identifies clinic 1's patients: names and e-mail addresses, found anywhere in a reply.
function patientMarks() {
  return sql(server.db, "SELECT name || '|' || email FROM users WHERE role = 'patient' AND clinic_id = 1")
    .split('\n').flatMap((l) => l.split('|')).filter((s) => s.length >= 3);
}

function assertNoPatientOf1(r, what) {
  const text = JSON.stringify(r.json ?? r.text ?? '');
  for (const mark of patientMarks()) assert.ok(!text.includes(mark), `${what} shows clinic 1's patient ${mark}`);
}

describe('a clinic and its staff', () => {
  test('the demo holds rows of every kind in clinic 1, and clinic 2 exists', () => {
    for (const kind of ['patient', 'order', 'lot', 'ae', 'booking', 'slot', 'logger', 'staff']) {
      assert.ok(ids[kind].length > 0, `demo has ${kind} rows`);
    }
    assert.equal(sql(server.db, `SELECT name FROM clinics WHERE id = ${clinic2}`), '西新宿クリニック');
    assert.equal(sql(server.db, `SELECT count(*) FROM users WHERE clinic_id = ${clinic2}`), '3');
  });

  test('each clinic\'s staff see their own clinic\'s details', async () => {
    const one = await first.admin.get('/api/v1/clinic');
    const two = await second.admin.get('/api/v1/clinic');
    assert.equal(two.status, 200);
    assert.equal(two.json.clinic.name, '西新宿クリニック');
    assert.notEqual(one.json.clinic.name, '西新宿クリニック');
  });

  const lists = [
    ['admin', '/api/v1/users'], ['admin', '/api/v1/admin/users'], ['admin', '/api/v1/audit'],
    ['admin', '/api/v1/audit/filters'], ['admin', '/api/v1/admin/mail'],
    ['doctor', '/api/v1/review/queue'], ['doctor', '/api/v1/schedule'], ['doctor', '/api/v1/slots'],
    ['pharmacist', '/api/v1/orders'], ['pharmacist', '/api/v1/lots'], ['pharmacist', '/api/v1/storage-units'],
    ['pharmacist', '/api/v1/loggers'], ['pharmacist', '/api/v1/coldchain/alerts'],
    ['pharmacist', '/api/v1/coldchain/silences'], ['doctor', '/api/v1/adverse-events'],
    ['pharmacist', '/api/v1/ae-lot-alerts'], ['doctor', '/api/v1/followup/nonresponders'],
  ];
  for (const [role, path] of lists) {
    test(`${role} of clinic 2: ${path} shows nothing of clinic 1`, async () => {
      const r = await second[role].get(path);
      assert.equal(r.status, 200, `${path}: ${r.status} ${JSON.stringify(r.json)}`);
      assertNoPatientOf1(r, path);
      // The same list for clinic 1's staff does show its rows (the check above can fail).
      const own = await first[role].get(path);
      assert.equal(own.status, 200);
    });
  }

  test('lists that hold clinic 1\'s rows are empty for clinic 2', async () => {
    const sizes = async (c, path, key) => (await c.get(path)).json[key].length;
    for (const [role, path, key] of [['pharmacist', '/api/v1/orders', 'orders'], ['pharmacist', '/api/v1/lots', 'lots'],
      ['doctor', '/api/v1/adverse-events', 'reports'], ['pharmacist', '/api/v1/storage-units', 'units']]) {
      assert.ok(await sizes(first[role], path, key) > 0, `clinic 1 sees its ${key}`);
      assert.equal(await sizes(second[role], path, key), 0, `clinic 2 sees no ${key} of clinic 1`);
    }
    const users = (await second.admin.get('/api/v1/users')).json.users;
    assert.deepEqual(users.map((u) => u.email).sort(), SECOND_EMAILS());
  });

  // Every GET route with an id in the route table, with clinic 1's ids, as each staff role of
  // clinic 2: never a 200 (404 for a row of another clinic; 403 where the role has no access).
  const routes = readFileSync(join(root, 'src/http/routes.c'), 'utf8')
    .matchAll(/\{"GET", "(\/api\/v1\/[^"]*\{id\}[^"]*)"/g);
  const kindOf = (path) => [['/patients/', 'patient'], ['/orders/', 'order'], ['/lots/', 'lot'],
    ['/adverse-events/', 'ae'], ['/bookings/', 'booking'], ['/checkins/', 'checkin'], ['/loggers/', 'logger'],
    ['/coldchain/alerts/', 'alert'], ['/followup/lots/', 'lot']].find(([p]) => path.includes(p))?.[1];
  for (const [, path] of routes) {
    if (path.startsWith('/api/v1/public/') || path.startsWith('/api/v1/followup/products/')) continue;
    test(`GET ${path} of clinic 1's row: not found for clinic 2`, async () => {
      const kind = kindOf(path);
      assert.ok(kind, `a kind for ${path}`);
      const id = ids[kind][0];
      if (id === undefined) return;
      for (const role of ['admin', 'doctor', 'pharmacist']) {
        const r = await second[role].get(path.replace('{id}', id));
        assert.ok(r.status === 404 || r.status === 403, `${role} ${path} ${id}: ${r.status}`);
        assertNoPatientOf1(r, path);
      }
    });
  }

  test('writes to clinic 1\'s rows are not found for clinic 2 and change nothing', async () => {
    const tables = ['users', 'orders', 'dispenses', 'lots', 'lot_transitions', 'consultation_slots', 'audit_log',
      'loggers', 'lot_placements'];
    const before = counts(server.db, tables);
    const lotStatus = sql(server.db, `SELECT status FROM lots WHERE id = ${ids.lot[0]}`);
    assertError(await second.admin.post(`/api/v1/admin/users/${ids.staff[0]}/deactivate`, {}), 404, 'not_found');
    assertError(await second.pharmacist.post(`/api/v1/lots/${ids.lot[0]}/transition`,
      { to: 'quarantine', reason: '他院のロット' }), 404, 'not_found');
    assertError(await second.pharmacist.post(`/api/v1/orders/${ids.order[0]}/cancel`, {}), 404, 'not_found');
    assertError(await second.pharmacist.post(`/api/v1/orders/${ids.order[0]}/dispense`, {}), 404, 'not_found');
    const logger = await second.pharmacist.post('/api/v1/loggers', { code: 'LOG-NISHI-X', unit_id: ids.unit[0] });
    assert.ok(logger.status === 404 || logger.status === 400, `logger in clinic 1's unit: ${logger.status}`);
    const place = await second.pharmacist.post(`/api/v1/lots/${ids.lot[0]}/placement`, { unit_id: ids.unit[0] });
    assert.ok(place.status === 404 || place.status === 400, `placement: ${place.status}`);
    const del = await second.admin.request('DELETE', `/api/v1/slots/${ids.slot[0]}`);
    assert.equal(del.status, 404);
    assert.deepEqual(counts(server.db, tables), before);
    assert.equal(sql(server.db, `SELECT status FROM lots WHERE id = ${ids.lot[0]}`), lotStatus);
    assert.equal(sql(server.db, `SELECT count(*) FROM users WHERE id = ${ids.staff[0]} AND deactivated_at IS NOT NULL`), '0');
  });

  test('a lot and a storage unit made by clinic 2 are clinic 2\'s alone', async () => {
    const product = (await second.pharmacist.get('/api/v1/products')).json.products[0];
    // The same manufacturer's lot number as a clinic 1 lot: each clinic receives its own.
    const number = sql(server.db, `SELECT lot_number FROM lots WHERE product_id = ${product.id} LIMIT 1`);
    const lot = await second.pharmacist.post('/api/v1/lots', {
      product_id: product.id, lot_number: number, manufactured_on: jstDate(-30), expires_on: jstDate(300),
      quantity: 5, donor_screening: 'HBV/HCV/HIV 陰性',
    });
    assert.equal(lot.status, 201, JSON.stringify(lot.json));
    assert.equal(sql(server.db, `SELECT clinic_id FROM lots WHERE id = ${lot.json.lot.id}`), String(clinic2));
    assertError(await first.pharmacist.get(`/api/v1/lots/${lot.json.lot.id}`), 404, 'not_found');
    const unit = await second.pharmacist.post('/api/v1/storage-units', { name: '冷蔵庫1', kind: 'refrigerator' });
    assert.equal(unit.status, 201, JSON.stringify(unit.json));
    assert.equal(sql(server.db, `SELECT clinic_id FROM storage_units WHERE id = ${unit.json.unit.id}`), String(clinic2));
  });

  test('a staff account made by clinic 2\'s admin is clinic 2\'s', async () => {
    const r = await second.admin.post('/api/v1/users', {
      email: 'nurse.doctor@nishi.example', password: 'nishi-doctor-2', name: '西 二郎', role: 'doctor',
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(sql(server.db, "SELECT clinic_id FROM users WHERE email = 'nurse.doctor@nishi.example'"), String(clinic2));
  });

  test('a patient of clinic 1 cannot book a slot of clinic 2\'s doctor', async () => {
    const day = jstDate(20);
    const made = await second.doctor.post('/api/v1/slots', { start: `${day}T10:00:00+09:00`, end: `${day}T10:10:00+09:00` });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const doctor2 = sql(server.db, "SELECT id FROM users WHERE email = 'doctor@nishi.example'");
    const slot = { json: { slot: { id: Number(sql(server.db, `SELECT max(id) FROM consultation_slots WHERE doctor_id = ${doctor2}`)) } } };
    const patient = new Client(server.url);
    assert.equal((await patient.login('hanako@patient.example', 'patient-demo-pass')).status, 200);
    const open = await patient.get('/api/v1/slots');
    assert.ok(!JSON.stringify(open.json).includes(`"id":${slot.json.slot.id},`), 'not offered to clinic 1');
    const before = counts(server.db, ['bookings']);
    const r = await patient.post('/api/v1/bookings', { slot_id: slot.json.slot.id });
    assert.equal(r.status, 404, JSON.stringify(r.json));
    assert.deepEqual(counts(server.db, ['bookings']), before);
  });
});

describe('signing up with a clinic', () => {
  test('the public list offers every named clinic', async () => {
    const r = await new Client(server.url).get('/api/v1/public/clinics');
    assert.equal(r.status, 200);
    assert.ok(r.json.clinics.some((c) => c.id === clinic2 && c.name === '西新宿クリニック'));
    assert.ok(r.json.clinics.some((c) => c.id === 1));
  });

  test('a patient who chose clinic 2 is clinic 2\'s, seen by its staff only', async () => {
    const p = new Client(server.url);
    const r = await p.signup(signupBody({ email: 'nishi.patient@example.jp', name: '西 花子', clinic_id: clinic2 }));
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(sql(server.db, "SELECT clinic_id FROM users WHERE email = 'nishi.patient@example.jp'"), String(clinic2));
    const two = JSON.stringify((await second.admin.get('/api/v1/users')).json);
    const one = JSON.stringify((await first.admin.get('/api/v1/users')).json);
    assert.ok(two.includes('nishi.patient@example.jp'));
    assert.ok(!one.includes('nishi.patient@example.jp'));
  });

  test('mail to a clinic 2 patient names clinic 2, whichever scope queued it', async () => {
    const anon = new Client(server.url);
    await anon.primeCsrf();
    const r = await anon.post('/api/v1/auth/password-reset', { email: 'nishi.patient@example.jp' });
    assert.equal(r.status, 202, r.text);
    const body = sql(server.db, "SELECT subject || ' ' || body_text FROM mail_outbox WHERE to_address = 'nishi.patient@example.jp' ORDER BY id DESC LIMIT 1");
    assert.ok(body.includes('西新宿クリニック'), body.slice(0, 300));
  });

  test('a clinic id that does not exist: 400 naming clinic_id, nothing written', async () => {
    const before = counts(server.db, ['users', 'patient_profiles', 'audit_log']);
    const p = new Client(server.url);
    assertError(await p.signup(signupBody({ email: 'nowhere@example.jp', clinic_id: 999 })), 400, 'invalid_field', 'clinic_id');
    assertError(await p.signup(signupBody({ email: 'nowhere@example.jp', clinic_id: 0 })), 400, 'invalid_field', 'clinic_id');
    assertError(await p.signup(signupBody({ email: 'nowhere@example.jp', clinic_id: 'two' })), 400, 'invalid_field', 'clinic_id');
    assert.deepEqual(counts(server.db, ['users', 'patient_profiles', 'audit_log']), before);
  });
});

describe('the CLI and clinics', () => {
  test('user add --clinic of a clinic that does not exist: exit 1, named, nothing written', () => {
    const before = counts(server.db, ['users', 'audit_log']);
    const r = cli(['user', 'add', '--db', server.db, '--role', 'doctor', '--email', 'ghost@nishi.example',
      '--name', '幽霊', '--clinic', '999'], 'ghost-password-1\n');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /clinic 999 does not exist; nothing was changed/);
    assert.deepEqual(counts(server.db, ['users', 'audit_log']), before);
    for (const bad of ['0', '-1', 'two', '']) {
      const u = cli(['user', 'add', '--db', server.db, '--role', 'doctor', '--email', 'ghost@nishi.example',
        '--name', '幽霊', '--clinic', bad], 'ghost-password-1\n');
      assert.equal(u.status, 2, `--clinic '${bad}'`);
    }
  });

  test('recall of a lot number two clinics hold: refused until --clinic names one, then only that clinic\'s', async () => {
    const [id2, number, product] = sql(server.db, `SELECT id, lot_number, product_id FROM lots WHERE clinic_id = ${clinic2} LIMIT 1`).split('|');
    const q = await second.pharmacist.post(`/api/v1/lots/${id2}/transition`, { to: 'quarantine', reason: '入荷検査中' });
    assert.equal(q.status, 200, JSON.stringify(q.json));
    const statuses = () => sql(server.db, `SELECT clinic_id || ':' || status FROM lots WHERE lot_number = '${number}' AND product_id = ${product} ORDER BY clinic_id`);
    const before = statuses();
    const both = cli(['recall', '--db', server.db, '--lot', number, '--format', 'json']);
    assert.equal(both.status, 2, both.stderr);
    assert.match(both.stderr, /held by 2 clinics.*--clinic/s);
    const none = cli(['recall', '--db', server.db, '--lot', number, '--clinic', '999']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /clinic 999 does not exist; nothing was changed/);
    assert.equal(statuses(), before);
    const r = cli(['recall', '--db', server.db, '--lot', number, '--clinic', String(clinic2), '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).recipients.length, 0, 'clinic 2 dispensed none of it');
    const after = statuses().split('\n');
    assert.equal(after.find((l) => l.startsWith(`${clinic2}:`)), `${clinic2}:recalled`);
    assert.equal(after.find((l) => l.startsWith('1:')), before.split('\n').find((l) => l.startsWith('1:')));
  });

  test('clinic add needs a name; the new clinic is audited', () => {
    assert.equal(cli(['clinic', 'add', '--db', server.db]).status, 2);
    assert.equal(cli(['clinic', 'add', '--db', server.db, '--name', '']).status, 2);
    assert.equal(sql(server.db, `SELECT count(*) FROM audit_log WHERE action = 'clinic.create' AND object = 'clinic:${clinic2}'`), '1');
  });
});

function SECOND_EMAILS() {
  return [...Object.values(SECOND).map(([e]) => e), 'nurse.doctor@nishi.example']
    .filter((e) => sql(server.db, `SELECT count(*) FROM users WHERE email = '${e}'`) === '1').sort();
}
