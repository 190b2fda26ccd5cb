// The safety officer's pooled registry (issue 18): adverse events of every clinic without
// anything that names a patient, lots with the clinics that hold them, and the cross-clinic
// lot alert that quarantines a manufacturer's lot in every clinic at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addClinic, NISHI_STAFF } from '../lib/clinics.mjs';
import { cli, sql, startServer } from '../lib/server.mjs';
import { Client, assertError, counts, demoStaff, signupBody, stopServer } from './client.mjs';
import { jstDate } from './fixtures.mjs';

const OFFICER = ['officer@registry.example', 'registry-officer-pass'];
const ADMIN2 = NISHI_STAFF.admin;
const PHARM2 = NISHI_STAFF.pharmacist;

let server;
let clinic2;
const first = {};
let officer;
let admin2;
let pharm2;
let lot1;     // clinic 1's receipt of the shared lot
let lot2;     // clinic 2's receipt of the same manufacturer's lot
const secrets = [];  // what must never reach the officer

before(async () => {
  server = await startServer({
    demo: true,
    before(db) {
      clinic2 = addClinic(db, { staff: { admin: ADMIN2, pharmacist: PHARM2 }, officer: OFFICER });
    },
  });
  Object.assign(first, await demoStaff(server.url));
  officer = new Client(server.url);
  assert.equal((await officer.login(...OFFICER)).status, 200);
  admin2 = new Client(server.url);
  assert.equal((await admin2.login(...ADMIN2)).status, 200);
  pharm2 = new Client(server.url);
  assert.equal((await pharm2.login(...PHARM2)).status, 200);

  // A clinic 1 patient's report with free text, assessed with a suspect lot and a specify text.
  const patient = sql(server.db, "SELECT u.id || '|' || u.name || '|' || u.email || '|' || pp.phone || '|' || pp.birth_date FROM users u JOIN patient_profiles pp ON pp.user_id = u.id WHERE u.email = 'hanako@patient.example'").split('|');
  secrets.push(patient[1], patient[2], patient[3], patient[4], '患者本人だけが知る詳しい経過', '特記事項の自由記載');
  [lot1] = sql(server.db, "SELECT id FROM lots WHERE status = 'released' ORDER BY id LIMIT 1").split('\n').map(Number);
  const report = await first.doctor.post('/api/v1/adverse-events', {
    patient_id: Number(patient[0]), symptoms: ['itching'], onset_date: jstDate(-2), ongoing: true, severity: 'moderate',
    description: '患者本人だけが知る詳しい経過',
  });
  assert.equal(report.status, 201, JSON.stringify(report.json));
  const assess = await first.doctor.post(`/api/v1/adverse-events/${report.json.report.id}/assessments`, {
    terms: [{ code: 'pruritus', grade: 2 }], outcome: 'recovering', causality: 'possible',
    lot_ids: [lot1], narrative: '特記事項の自由記載',
  });
  assert.equal(assess.status, 201, JSON.stringify(assess.json));

  // Clinic 2 receives and releases the same manufacturer's lot.
  const [product, number] = sql(server.db, `SELECT product_id || '|' || lot_number FROM lots WHERE id = ${lot1}`).split('|');
  const made = await pharm2.post('/api/v1/lots', {
    product_id: Number(product), lot_number: number, manufactured_on: jstDate(-30), expires_on: jstDate(300), quantity: 5,
  });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  lot2 = made.json.lot.id;
});
after(async () => { await stopServer(server); });

describe('the safety officer', () => {
  test('belongs to no clinic; /me says so; no staff endpoint answers them', async () => {
    assert.equal(sql(server.db, `SELECT coalesce(clinic_id, 0) FROM users WHERE email = '${OFFICER[0]}'`), '0');
    const me = await officer.get('/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.user.role, 'safety_officer');
    assert.equal(me.json.user.clinic_id, null);
    for (const path of ['/api/v1/orders', '/api/v1/lots', '/api/v1/adverse-events', '/api/v1/users', '/api/v1/review/queue',
      `/api/v1/adverse-events/1`, `/api/v1/lots/${lot1}`, '/api/v1/audit']) {
      const r = await officer.get(path);
      assert.equal(r.status, 403, `${path}: ${r.status}`);
    }
  });

  test('registry endpoints are the officer\'s alone', async () => {
    for (const c of [first.admin, first.doctor, first.pharmacist, admin2]) {
      assertError(await c.get('/api/v1/registry/adverse-events'), 403, 'forbidden');
      assertError(await c.get('/api/v1/registry/lots'), 403, 'forbidden');
    }
    assertError(await new Client(server.url).get('/api/v1/registry/lots'), 401, 'unauthenticated');
  });

  test('pooled adverse events: coded, banded, with nothing that names the patient; audited', async () => {
    const audits = Number(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'registry.read'"));
    const r = await officer.get('/api/v1/registry/adverse-events');
    assert.equal(r.status, 200, r.text);
    const text = JSON.stringify(r.json);
    for (const s of secrets) assert.ok(!text.includes(s), `registry shows ${s}`);
    const mine = r.json.reports.find((x) => x.lot_numbers.length > 0);
    assert.ok(mine, 'the assessed report is there');
    assert.match(mine.case_ref, /^C1-\d+$/);
    assert.equal(mine.clinic.id, 1);
    assert.match(mine.age_band, /^\d+-\d+$|^90\+$/);
    assert.match(mine.onset_month, /^\d{4}-\d{2}$/);
    assert.deepEqual(mine.terms.map((t) => [t.code, t.grade]), [['pruritus', 2]]);
    assert.equal(mine.terms[0].name_en, 'Pruritus');
    for (const key of ['patient_id', 'order_id', 'description', 'narrative', 'name', 'email', 'phone', 'birth_date', 'onset_date']) {
      assert.ok(!(key in mine), `no ${key}`);
    }
    assert.equal(Number(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'registry.read'")), audits + 1);
  });

  test('pooled lots: one manufacturer\'s lot with each clinic that holds it', async () => {
    const r = await officer.get('/api/v1/registry/lots');
    assert.equal(r.status, 200, r.text);
    const number = sql(server.db, `SELECT lot_number FROM lots WHERE id = ${lot1}`);
    const shared = r.json.lots.find((l) => l.lot_number === number && l.clinics.length === 2);
    assert.ok(shared, JSON.stringify(r.json.lots.map((l) => [l.lot_number, l.clinics.length])));
    assert.deepEqual(shared.clinics.map((c) => c.clinic_id).sort(), [1, clinic2]);
    assert.equal(shared.reports, 1);
  });

  test('pooled signals answer for the officer', async () => {
    const r = await officer.get('/api/v1/registry/signals');
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json.signals));
  });
});

describe('the cross-clinic lot alert', () => {
  test('bad input and an unknown lot: a clear error, nothing written', async () => {
    const tables = ['ae_lot_alerts', 'lot_transitions', 'audit_log'];
    const before = counts(server.db, tables);
    const product = Number(sql(server.db, `SELECT product_id FROM lots WHERE id = ${lot1}`));
    assertError(await officer.post('/api/v1/registry/lots/alert', { product_id: product, lot_number: 'NO-SUCH-LOT', reason: '確認' }), 404, 'not_found', 'lot_number');
    assertError(await officer.post('/api/v1/registry/lots/alert', { product_id: product, lot_number: 'X' }), 400, 'missing_field', 'reason');
    assertError(await officer.post('/api/v1/registry/lots/alert', { product_id: 'one', lot_number: 'X', reason: 'r' }), 400, 'invalid_field', 'product_id');
    assertError(await first.pharmacist.post('/api/v1/registry/lots/alert', { product_id: product, lot_number: 'X', reason: 'r' }), 403, 'forbidden');
    assert.deepEqual(counts(server.db, tables), before);
  });

  test('quarantines the lot in every clinic that holds it, in each clinic\'s queue, audited', async () => {
    const [product, number] = sql(server.db, `SELECT product_id || '|' || lot_number FROM lots WHERE id = ${lot1}`).split('|');
    const other = sql(server.db, `SELECT id || ':' || status FROM lots WHERE NOT (product_id = ${product} AND lot_number = '${number}') ORDER BY id`);
    const r = await officer.post('/api/v1/registry/lots/alert', { product_id: Number(product), lot_number: number, reason: '他院で重篤な有害事象が集積' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.alert.clinics.length, 2);
    for (const c of r.json.alert.clinics) {
      assert.equal(c.status, 'quarantine', JSON.stringify(c));
      assert.equal(c.alert_raised, true);
    }
    assert.equal(sql(server.db, `SELECT count(*) FROM lots WHERE product_id = ${product} AND lot_number = '${number}' AND status = 'quarantine'`), '2');
    assert.equal(sql(server.db, `SELECT id || ':' || status FROM lots WHERE NOT (product_id = ${product} AND lot_number = '${number}') ORDER BY id`), other, 'no other lot touched');
    // Each clinic's staff see the alert in their own queue, and only their own lot's.
    const q1 = (await first.pharmacist.get('/api/v1/ae-lot-alerts')).json;
    const q2 = (await pharm2.get('/api/v1/ae-lot-alerts')).json;
    const ids = (q) => Object.values(q).find(Array.isArray).filter((a) => a.rule === 'registry').map((a) => a.lot_id);
    assert.deepEqual(ids(q1), [lot1]);
    assert.deepEqual(ids(q2), [lot2]);
    assert.equal(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'registry.lot_alert'"), '1');
    // Each clinic's admin sees their lot's alert in their audit log.
    const audit2 = JSON.stringify((await admin2.get('/api/v1/audit?action=ae.lot_alert')).json);
    assert.ok(audit2.includes(`lot:${lot2}`) && !audit2.includes(`lot:${lot1}"`), audit2.slice(0, 400));
    // Releasing again is each clinic's pharmacist's own decision.
    assertError(await pharm2.post(`/api/v1/lots/${lot1}/transition`, { to: 'released', reason: '再判定' }), 404, 'not_found');
  });
});

describe('the CLI and the safety officer', () => {
  test('a safety officer takes no --clinic', () => {
    const r = cli(['user', 'add', '--db', server.db, '--role', 'safety_officer', '--email', 'o2@registry.example', '--name', '二', '--clinic', '1'], 'registry-officer-2\n');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no clinic/);
  });

  test('signing up cannot make a safety officer', async () => {
    const p = new Client(server.url);
    const r = await p.signup(signupBody({ email: 'sneaky@example.jp', role: 'safety_officer' }));
    assert.ok(r.status === 400 || r.status === 201, r.text);
    if (r.status === 201) assert.equal(r.json.user.role, 'patient');
  });
});
