// Active safety follow-up over HTTP (issue 17): a delivery schedules check-ins, the tick
// materialises and mails them, the patient answers in the app or through the link, an answer
// with symptoms pre-fills an adverse-event report that lands in the triage queue, staff call
// non-responders, the summaries hold hand-checked numbers, MaxSPRT quarantines a bad lot, and
// every bad input is refused with nothing changed. Time moves by moving the stored delivery
// back (every instant is derived from the clock, so the suite passes on any day).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cli, root, startServer, sql } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer, demoStaff, demoProductLot } from './client.mjs';
import { cleanAnswers, holdCall, jstDate, QUESTIONNAIRE_VERSION } from './fixtures.mjs';

const DAY = 86400;
let server, pharmacist, doctor, admin, productId, lotId;
let seq = 0;
const q = (s) => sql(server.db, s);
const count = (table, where = '1 = 1') => Number(q(`SELECT count(*) FROM ${table} WHERE ${where};`));
const tick = () => {
  const r = cli(['followup', 'tick', '--db', server.db, '--data', `${root}/data`]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

before(async () => {
  server = await startServer({ demo: true });
  ({ pharmacist, doctor, admin } = await demoStaff(server.url));
  ({ productId, lotId } = await demoProductLot({ doctor, pharmacist }));
});
after(async () => { await stopServer(server); });

/** A patient whose order of the demo product was dispensed, shipped and delivered. */
async function deliveredPatient() {
  seq += 1;
  const p = new Client(server.url);
  const s = await p.signup(signupBody({ email: `fu${seq}.${process.pid}@patient.example`, name: `経過${seq}` }));
  assert.equal(s.status, 201, s.text);
  p.id = s.json.user.id;
  const r = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
  const c = (await p.get('/api/v1/consent')).json.consent;
  await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja });
  await holdCall(admin, p);
  const approved = await doctor.post(`/api/v1/patients/${p.id}/decision`, { response_id: r.json.response.id, decision: 'approved', notes: 'ok', product_id: productId, quantity: 1, directions: 'd', valid_until: jstDate(30) });
  assert.equal(approved.status, 201, approved.text);
  const o = (await p.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' })).json.order;
  await admin.post(`/api/v1/orders/${o.id}/payment`, { reference: 'r' });
  assert.equal((await pharmacist.post(`/api/v1/orders/${o.id}/dispense`, {})).status, 200);
  assert.equal((await pharmacist.post(`/api/v1/orders/${o.id}/ship`, { carrier: 'ヤマト運輸', tracking_number: `77-${o.id}` })).status, 200);
  const d = await pharmacist.post(`/api/v1/orders/${o.id}/delivered`, {});
  assert.equal(d.status, 200, d.text);
  p.orderId = o.id;
  p.lotId = Number(q(`SELECT lot_id FROM dispenses WHERE order_id = ${o.id};`));
  return p;
}

/** Moves a patient's delivery (its dispensing and shipping) and check-ins days into the past:
 * as if the clock had moved forward for them. */
function age(p, days) {
  const s = days * DAY;
  q(`UPDATE shipments SET delivered_at = delivered_at - ${s}, shipped_at = shipped_at - ${s} WHERE order_id = ${p.orderId};
     UPDATE dispenses SET dispensed_at = dispensed_at - ${s} WHERE order_id = ${p.orderId};
     UPDATE checkins SET due_at = due_at - ${s}, link_expires_at = link_expires_at - ${s}, created_at = created_at - ${s},
       mailed_at = mailed_at - ${s}, reminded_at = reminded_at - ${s}, answered_at = answered_at - ${s} WHERE patient_id = ${p.id};`);
}

/** The link token of the newest check-in mail of a patient (the outbox holds it until sent). */
function mailedToken(p, kind = 'checkin_due') {
  const body = q(`SELECT body_text FROM mail_outbox WHERE recipient_user_id = ${p.id} AND kind = '${kind}' ORDER BY id DESC LIMIT 1;`);
  const m = body.match(/checkin\.html\?token=([A-Za-z0-9_-]+)/);
  assert.ok(m, `a link in the ${kind} mail: ${body}`);
  return m[1];
}

/** What a refused request must leave alone. */
const snapshot = () => q(`SELECT id || status || coalesce(CAST(answered_at AS TEXT), '') || coalesce(CAST(reminded_at AS TEXT), '') FROM checkins ORDER BY id;
  SELECT (SELECT count(*) FROM checkin_symptoms), (SELECT count(*) FROM audit_log), (SELECT count(*) FROM ae_reports),
  (SELECT count(*) FROM followup_withdrawals), (SELECT count(*) FROM followup_calls);`);

const redness = [{ symptom: 'redness', severity: 'moderate', still_present: true }];

describe('the patient flow', () => {
  let p, other;
  before(async () => { p = await deliveredPatient(); other = await deliveredPatient(); });

  test('no check-in before its day; day 3 is created once, mailed with a link, and shown in the app', async () => {
    tick();
    assert.equal(count('checkins', `patient_id = ${p.id}`), 0, 'delivered today: nothing due yet');
    assert.equal((await p.get('/api/v1/me/checkins')).json.followup.status, 'active');
    age(p, 4);
    const first = tick();
    assert.ok(first.created >= 1, JSON.stringify(first));
    assert.equal(tick().created, 0, 'a second tick at the same time changes nothing');
    assert.equal(count('checkins', `patient_id = ${p.id}`), 1);
    const mine = (await p.get('/api/v1/me/checkins')).json;
    assert.equal(mine.open.length, 1);
    const c = mine.open[0];
    assert.equal(c.day_offset, 3);
    assert.equal(c.status, 'open');
    assert.deepEqual(c.lots.map((l) => l.id), [p.lotId]);
    assert.equal(typeof c.due_at, 'number');
    assert.equal(mine.next_due_at, c.due_at + 11 * DAY, 'day 14 comes next');
    assert.equal(count('mail_outbox', `recipient_user_id = ${p.id} AND kind = 'checkin_due'`), 1);
    assert.equal(count('checkins', `patient_id = ${p.id} AND link_token_hash = '${mailedToken(p)}'`), 0, 'only the hash is stored');
    assert.ok(count('audit_log', `action = 'followup.checkin' AND object = 'patient:${p.id}'`) >= 1);
  });

  test('answered through the link without logging in; the AE prefill says to log in', async () => {
    const token = mailedToken(p);
    const anon = new Client(server.url);
    const shown = await anon.get(`/api/v1/checkin-links/${token}`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.json.checkin.day_offset, 3);
    assert.equal(shown.json.checkin.status, 'open');
    assert.equal(shown.json.checkin.patient_name, undefined, 'no personal data through a link');
    assertError(await anon.post(`/api/v1/checkin-links/${token}/answers`, { nothing_changed: false, symptoms: redness }, { csrf: false }), 403, 'csrf_failed');
    await anon.primeCsrf();
    const r = await anon.post(`/api/v1/checkin-links/${token}/answers`, { nothing_changed: false, symptoms: redness, note: '少し赤い' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.checkin.status, 'answered');
    assert.equal(r.json.checkin.answered_via, 'link');
    assert.deepEqual(r.json.checkin.symptoms, redness);
    assert.equal(r.json.ae_prefill.log_in_to_confirm, true);
    assert.deepEqual(r.json.ae_prefill.symptoms, ['redness']);
    // Answered twice: through the link and in the app, refused, nothing changed.
    const before = snapshot();
    assertError(await anon.post(`/api/v1/checkin-links/${token}/answers`, { nothing_changed: true }), 409, 'checkin_answered');
    assertError(await p.post(`/api/v1/checkins/${r.json.checkin.id}/answers`, { nothing_changed: true }), 409, 'checkin_answered');
    assert.equal(snapshot(), before);
  });

  test('"nothing changed" in the app is kept as an answer', async () => {
    age(p, 11);   // delivered 15 days ago: day 14 is due
    tick();
    const open = (await p.get('/api/v1/me/checkins')).json.open;
    assert.equal(open.length, 1);
    assert.equal(open[0].day_offset, 14);
    const r = await p.post(`/api/v1/checkins/${open[0].id}/answers`, { nothing_changed: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.checkin.nothing_changed, true);
    assert.equal(r.json.checkin.answered_via, 'app');
    assert.equal(r.json.ae_prefill, null);
    assert.equal(count('checkin_symptoms', `checkin_id = ${open[0].id}`), 0);
    const mine = (await p.get('/api/v1/me/checkins')).json;
    assert.equal(mine.answered.length, 2);
  });

  test('symptoms in the app pre-fill an AE report, which lands in the triage queue linked to the check-in, once', async () => {
    age(p, 16);   // day 30
    tick();
    const c = (await p.get('/api/v1/me/checkins')).json.open[0];
    assert.equal(c.day_offset, 30);
    const symptoms = [{ symptom: 'itching', severity: 'mild', still_present: false }, { symptom: 'swelling', severity: 'severe', still_present: true }];
    const r = await p.post(`/api/v1/checkins/${c.id}/answers`, { nothing_changed: false, symptoms, note: '夜にかゆい' });
    assert.equal(r.status, 200, r.text);
    const pre = r.json.ae_prefill;
    assert.equal(pre.checkin_id, c.id);
    assert.equal(pre.order_id, p.orderId);
    assert.deepEqual(pre.symptoms, ['itching', 'swelling']);
    assert.equal(pre.severity, 'severe', 'the worst');
    assert.equal(pre.ongoing, true);
    assert.equal(pre.onset_date, jstDate(0));
    assert.match(pre.description, /夜にかゆい/);
    const report = await p.post('/api/v1/adverse-events', { order_id: pre.order_id, symptoms: pre.symptoms, description: pre.description, onset_date: pre.onset_date, ongoing: pre.ongoing, severity: pre.severity, checkin_id: pre.checkin_id });
    assert.equal(report.status, 201, report.text);
    assert.equal(report.json.report.checkin_id, c.id);
    const queue = (await doctor.get('/api/v1/adverse-events')).json.reports;
    const listed = queue.find((x) => x.id === report.json.report.id);
    assert.ok(listed, 'in the triage queue');
    assert.equal(listed.checkin_id, c.id);
    assert.equal(listed.urgent, true, 'severe: on top until assessed');
    assert.equal((await p.get(`/api/v1/checkins/${c.id}`)).json.ae_report_id, report.json.report.id);
    // Once per check-in; never for another patient's, nor for one with nothing to report.
    const before = snapshot();
    assertError(await p.post('/api/v1/adverse-events', { order_id: pre.order_id, symptoms: ['itching'], onset_date: pre.onset_date, ongoing: true, severity: 'mild', checkin_id: c.id }), 409, 'checkin_reported', 'checkin_id');
    const quiet = Number(q(`SELECT min(id) FROM checkins WHERE patient_id = ${p.id} AND nothing_changed = 1;`));
    assertError(await p.post('/api/v1/adverse-events', { order_id: pre.order_id, symptoms: ['itching'], onset_date: pre.onset_date, ongoing: true, severity: 'mild', checkin_id: quiet }), 400, 'invalid_field', 'checkin_id');
    assertError(await other.post('/api/v1/adverse-events', { order_id: other.orderId, symptoms: ['itching'], onset_date: pre.onset_date, ongoing: true, severity: 'mild', checkin_id: c.id }), 404, 'not_found');
    assert.equal(snapshot(), before);
  });

  test('staff read a check-in (audited); patients only their own', async () => {
    const id = Number(q(`SELECT max(id) FROM checkins WHERE patient_id = ${p.id};`));
    const audits = count('audit_log', `action = 'followup.checkin.read'`);
    const r = await doctor.get(`/api/v1/checkins/${id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(count('audit_log', `action = 'followup.checkin.read'`), audits + 1);
    assertError(await other.get(`/api/v1/checkins/${id}`), 404, 'not_found');
    assertError(await new Client(server.url).get('/api/v1/me/checkins'), 401, 'unauthenticated');
    assertError(await doctor.get('/api/v1/me/checkins'), 403, 'forbidden');
  });

  test('bad answers are refused naming the field, and change nothing', async () => {
    age(other, 4);
    tick();
    const c = (await other.get('/api/v1/me/checkins')).json.open[0];
    assert.equal(c.day_offset, 3);
    const before = snapshot();
    const bad = [
      [{ nothing_changed: true, symptoms: redness }, 'nothing_changed'],
      [{ nothing_changed: false }, 'symptoms'],
      [{ nothing_changed: false, symptoms: [] }, 'symptoms'],
      [{ nothing_changed: false, symptoms: [{ symptom: 'hiccups', severity: 'mild', still_present: true }] }, 'symptoms'],
      [{ nothing_changed: false, symptoms: [{ symptom: 'fever', severity: 'awful', still_present: true }] }, 'symptoms'],
      [{ nothing_changed: false, symptoms: [{ symptom: 'fever', severity: 'mild' }] }, 'symptoms'],
      [{ nothing_changed: false, symptoms: [...redness, ...redness] }, 'symptoms'],
      [{ nothing_changed: 'no', symptoms: redness }, 'nothing_changed'],
    ];
    for (const [body, field] of bad) {
      const r = await other.post(`/api/v1/checkins/${c.id}/answers`, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.json.error.field, field, JSON.stringify(body));
    }
    // Another patient's check-in: not found, as if it did not exist.
    assertError(await p.post(`/api/v1/checkins/${c.id}/answers`, { nothing_changed: true }), 404, 'not_found');
    assertError(await p.post('/api/v1/checkins/999999/answers', { nothing_changed: true }), 404, 'not_found');
    // Unknown and expired links.
    const anon = new Client(server.url);
    await anon.primeCsrf();
    assertError(await anon.get(`/api/v1/checkin-links/${'A'.repeat(43)}`), 404, 'not_found');
    assertError(await anon.post(`/api/v1/checkin-links/${'A'.repeat(43)}/answers`, { nothing_changed: true }), 404, 'not_found');
    assert.equal(snapshot(), before);
    const token = mailedToken(other);
    q(`UPDATE checkins SET link_expires_at = ${Math.floor(Date.now() / 1000) - 60} WHERE id = ${c.id};`);
    const expiredBefore = snapshot();
    assertError(await anon.get(`/api/v1/checkin-links/${token}`), 410, 'checkin_link_expired');
    assertError(await anon.post(`/api/v1/checkin-links/${token}/answers`, { nothing_changed: true }), 410, 'checkin_link_expired');
    assert.equal(snapshot(), expiredBefore);
    q(`UPDATE checkins SET link_expires_at = due_at + ${14 * DAY} WHERE id = ${c.id};`);
  });

  test('staff see the non-responders after the reminder, call them, and record the answer by phone', async () => {
    age(other, 3);  // the day-3 check-in was due 4 days ago (reminder_days 3)
    const c = (await other.get('/api/v1/me/checkins')).json.open[0];
    assert.equal(c.day_offset, 3);
    // The tick sends the one reminder, with a second link.
    const oldToken = mailedToken(other);
    const t = tick();
    assert.ok(t.reminded >= 1, JSON.stringify(t));
    assert.equal(count('mail_outbox', `recipient_user_id = ${other.id} AND kind = 'checkin_reminder'`), 1);
    tick();
    assert.equal(count('mail_outbox', `recipient_user_id = ${other.id} AND kind = 'checkin_reminder'`), 1, 'exactly one reminder');
    const anon = new Client(server.url);
    // Both mails' links open the check-in: a patient may click the first one after the reminder.
    const newToken = mailedToken(other, 'checkin_reminder');
    assert.notEqual(newToken, oldToken);
    assert.equal((await anon.get(`/api/v1/checkin-links/${oldToken}`)).status, 200);
    assert.equal((await anon.get(`/api/v1/checkin-links/${newToken}`)).status, 200);
    const listed = async () => (await pharmacist.get('/api/v1/followup/nonresponders')).json.items.filter((i) => i.patient_id === other.id);
    assert.equal((await listed()).length, 0, 'not listed until reminder_days after the reminder');
    age(other, 4);
    const items = await listed();
    assert.equal(items.length, 1);
    assert.equal(items[0].checkin_id, c.id);
    assert.equal(items[0].phone, '090-1234-5678');
    assert.equal(items[0].calls, 0);
    assert.ok(count('audit_log', `action = 'followup.nonresponders.read'`) >= 1);
    assertError(await other.get('/api/v1/followup/nonresponders'), 403, 'forbidden');

    const before = snapshot();
    assertError(await pharmacist.post(`/api/v1/checkins/${c.id}/calls`, { outcome: 'maybe' }), 400, 'invalid_field', 'outcome');
    assertError(await pharmacist.post(`/api/v1/checkins/${c.id}/calls`, { outcome: 'answered' }), 400, 'invalid_field', 'answers');
    assertError(await pharmacist.post(`/api/v1/checkins/${c.id}/calls`, { outcome: 'answered', answers: { nothing_changed: true, symptoms: redness } }), 400, 'invalid_field', 'nothing_changed');
    assert.equal(snapshot(), before);
    const noAnswer = await pharmacist.post(`/api/v1/checkins/${c.id}/calls`, { outcome: 'no_answer' });
    assert.equal(noAnswer.status, 200, noAnswer.text);
    assert.equal((await listed())[0].calls, 1);
    const answered = await pharmacist.post(`/api/v1/checkins/${c.id}/calls`, { outcome: 'answered', answers: { nothing_changed: true, note: '電話で確認' } });
    assert.equal(answered.status, 200, answered.text);
    assert.equal(answered.json.checkin.answered_via, 'phone');
    assert.equal((await listed()).length, 0);
    assert.equal(count('followup_calls', `checkin_id = ${c.id}`), 2);
  });

  test('a patient who stops follow-up gets no check-ins and cannot answer; resuming is audited', async () => {
    age(other, 7);  // delivered 18 days ago: day 14
    tick();
    const c = (await other.get('/api/v1/me/checkins')).json.open[0];
    assert.equal(c.day_offset, 14);
    const w = await other.post('/api/v1/me/followup/withdraw', { reason: '忙しいため' });
    assert.equal(w.status, 200, w.text);
    assert.equal(w.json.followup.status, 'withdrawn');
    assert.equal(w.json.open.length, 0);
    assert.equal(q(`SELECT status FROM checkins WHERE id = ${c.id};`), 'withdrawn');
    assert.equal(count('audit_log', `action = 'followup.withdraw' AND object = 'patient:${other.id}'`), 1);
    const before = snapshot();
    assertError(await other.post(`/api/v1/checkins/${c.id}/answers`, { nothing_changed: true }), 409, 'followup_withdrawn');
    assertError(await other.post('/api/v1/me/followup/withdraw', {}), 409, 'followup_already_withdrawn');
    assertError(await pharmacist.post(`/api/v1/checkins/${c.id}/calls`, { outcome: 'no_answer' }), 409, 'followup_withdrawn');
    assert.equal(snapshot(), before);
    const checkins = count('checkins', `patient_id = ${other.id}`);
    age(other, 16);  // day 30 while withdrawn: not asked
    tick();
    assert.equal(count('checkins', `patient_id = ${other.id}`), checkins);
    const r = await other.post('/api/v1/me/followup/resume', {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.followup.status, 'active');
    assert.equal(count('audit_log', `action = 'followup.resume' AND object = 'patient:${other.id}'`), 1);
    assertError(await other.post('/api/v1/me/followup/resume', {}), 409, 'followup_not_withdrawn');
    tick();
    const open = (await other.get('/api/v1/me/checkins')).json.open;
    assert.equal(open.length, 1, 'after resuming, the slot due now is asked');
    assert.equal(open[0].day_offset, 30);
  });
});

// ---- the statistics, on a cohort built directly in the database ----

/** An exact binomial tail P(X >= k), X ~ Bin(n, x): I_x(k, n - k + 1) for integers. */
function binomUpper(k, n, x) {
  let s = 0;
  for (let i = k; i <= n; i++) {
    let c = 1;
    for (let j = 0; j < i; j++) c = (c * (n - j)) / (j + 1);
    s += c * x ** i * (1 - x) ** (n - i);
  }
  return s;
}
/** Clopper–Pearson 95 % by bisection on the binomial tails (an independent check). */
function clopperPearson(k, n) {
  const solve = (f) => { let lo = 0, hi = 1; for (let i = 0; i < 200; i++) { const m = (lo + hi) / 2; if (f(m) < 0) lo = m; else hi = m; } return (lo + hi) / 2; };
  const lower = k === 0 ? 0 : solve((x) => binomUpper(k, n, x) - 0.025);
  const upper = k === n ? 1 : solve((x) => 0.025 - (1 - binomUpper(k + 1, n, x)));
  return [lower, upper];
}

let cohortSeq = 0;
/** A product with lots (API), and patients with deliveries and answered check-ins (SQL).
 * patients: [{lot, entryDays (delivery, days before now), answers: [[day, symptoms[]]]}]. */
async function cohort(lotNames, patients) {
  cohortSeq += 1;
  const code = `FU-${cohortSeq}-${process.pid}`;
  const made = await pharmacist.post('/api/v1/products', { code, name_ja: `経過製品${cohortSeq}`, name_en: `Follow-up product ${cohortSeq}`, form: 'cream', manufacturer: 'm', country: 'JP', source_cell_type: 'MSC', storage_min_c: 2, storage_max_c: 8, excursion_allowance_minutes: 30, shelf_life_days: 365, price_jpy: 1000 });
  assert.equal(made.status, 201, made.text);
  const product = made.json.product.id;
  const lots = {};
  for (const name of lotNames) {
    const l = await pharmacist.post('/api/v1/lots', { product_id: product, lot_number: `${code}-${name}`, manufactured_on: jstDate(-10), expires_on: jstDate(300), quantity: 100 });
    assert.equal(l.status, 201, l.text);
    lots[name] = l.json.lot.id;
  }
  const now = Math.floor(Date.now() / 1000);
  const decision = q('SELECT min(id) FROM treatment_decisions;');
  const staff = q("SELECT min(id) FROM users WHERE role = 'pharmacist';");
  patients.forEach((pt, i) => {
    const entry = now - pt.entryDays * DAY;
    const email = `cohort${cohortSeq}-${i}.${process.pid}@patient.example`;
    const statements = [
      `INSERT INTO users (email, name, role, password_hash, created_at) VALUES ('${email}', '集団${i}', 'patient', 'x', ${entry});`,
      `INSERT INTO orders (patient_id, decision_id, product_id, quantity, unit_price_jpy, total_jpy, status, payment_method, ship_name, ship_postal_code, ship_address, ship_phone, created_at)
         VALUES ((SELECT id FROM users WHERE email = '${email}'), ${decision}, ${product}, 1, 1000, 1000, 'delivered', 'bank_transfer', 'n', '100-0001', 'a', '090-0000-0000', ${entry});`,
      `INSERT INTO dispenses (order_id, lot_id, quantity, dispensed_at, dispensed_by) VALUES ((SELECT max(id) FROM orders), ${lots[pt.lot]}, 1, ${entry}, ${staff});`,
      `INSERT INTO shipments (order_id, carrier, tracking_number, shipped_at, delivered_at, recorded_by) VALUES ((SELECT max(id) FROM orders), 'c', 't', ${entry}, ${entry}, ${staff});`,
    ];
    for (const [day, symptoms] of pt.answers) {
      statements.push(
        `INSERT INTO checkins (patient_id, product_id, anchor_order_id, lots_order_id, day_offset, due_at, status, link_token_hash, link_expires_at, answered_at, answered_via, nothing_changed, created_at)
           VALUES ((SELECT id FROM users WHERE email = '${email}'), ${product}, (SELECT max(id) FROM orders), (SELECT max(id) FROM orders), ${day}, ${entry + day * DAY}, 'answered', '${email}-${day}', ${entry + (day + 14) * DAY}, ${entry + day * DAY}, 'app', ${symptoms.length ? 0 : 1}, ${entry + day * DAY});`,
        `INSERT INTO checkin_lots (checkin_id, lot_id) VALUES ((SELECT max(id) FROM checkins), ${lots[pt.lot]});`,
        ...symptoms.map((s) => `INSERT INTO checkin_symptoms (checkin_id, symptom, severity, still_present) VALUES ((SELECT max(id) FROM checkins), '${s}', 'mild', 0);`),
      );
    }
    q(statements.join('\n'));
  });
  const patientIds = patients.map((_, i) => Number(q(`SELECT id FROM users WHERE email = 'cohort${cohortSeq}-${i}.${process.pid}@patient.example';`)));
  return { product, lots, patientIds };
}

describe('the schedule', () => {
  test('repeats every 91 days while the patient keeps receiving the product; a newer check-in closes an older open one as missed', async () => {
    // Two patients first delivered 100 days ago; only the first received the product again
    // (50 days ago, same lot: no new first days). Day 91 (9 days ago) is asked of the first only.
    const { product, lots, patientIds: [again, once] } = await cohort(['R'], [
      { lot: 'R', entryDays: 100, answers: [] }, { lot: 'R', entryDays: 100, answers: [] },
    ]);
    const now = Math.floor(Date.now() / 1000);
    const reorder = now - 50 * DAY;
    const staff = q("SELECT min(id) FROM users WHERE role = 'pharmacist';");
    q(`INSERT INTO orders (patient_id, decision_id, product_id, quantity, unit_price_jpy, total_jpy, status, payment_method, ship_name, ship_postal_code, ship_address, ship_phone, created_at)
         SELECT patient_id, decision_id, product_id, 1, 1000, 1000, 'delivered', payment_method, ship_name, ship_postal_code, ship_address, ship_phone, ${reorder} FROM orders WHERE patient_id = ${again};
       INSERT INTO dispenses (order_id, lot_id, quantity, dispensed_at, dispensed_by) VALUES ((SELECT max(id) FROM orders), ${lots.R}, 1, ${reorder}, ${staff});
       INSERT INTO shipments (order_id, carrier, tracking_number, shipped_at, delivered_at, recorded_by) VALUES ((SELECT max(id) FROM orders), 'c', 't2', ${reorder}, ${reorder}, ${staff});`);
    // An older check-in still open (its link not yet run out): the new one closes it.
    const first = Number(q(`SELECT min(id) FROM orders WHERE patient_id = ${again};`));
    q(`INSERT INTO checkins (patient_id, product_id, anchor_order_id, lots_order_id, day_offset, due_at, status, link_token_hash, link_expires_at, created_at)
         VALUES (${again}, ${product}, ${first}, ${first}, 30, (SELECT delivered_at + 30 * ${DAY} FROM shipments WHERE order_id = ${first}), 'open', 'older-open-${again}', ${now + DAY}, ${now - 70 * DAY});`);
    tick();
    const entry = Number(q(`SELECT delivered_at FROM shipments WHERE order_id = ${first};`));
    const rows = q(`SELECT day_offset || ':' || status || ':' || ((due_at - ${entry}) / ${DAY}) || ':' || lots_order_id FROM checkins WHERE patient_id = ${again} ORDER BY day_offset;`).split('\n');
    const latest = Number(q(`SELECT max(id) FROM orders WHERE patient_id = ${again};`));
    assert.deepEqual(rows, ['30:missed:30:' + first, `91:open:91:${latest}`], 'day 91 from the first delivery, with the lots of the latest delivery before it');
    assert.equal(count('checkins', `patient_id = ${once}`), 0, 'no delivery in the 91 days before: not asked');
    assert.equal(tick().created, 0);
  });
});

describe('summaries', () => {
  test('the demo: a disclosed product whose staff summary and public page show its cohort', async () => {
    const product = (await doctor.get('/api/v1/products')).json.products.find((p) => p.code === 'EXO-SERUM-D');
    assert.ok(product, 'the demo follow-up product');
    const s = (await doctor.get(`/api/v1/followup/products/${product.id}`)).json;
    assert.equal(s.patients_followed, 14);
    assert.equal(s.events, 8);
    assert.ok(s.km.length > 0 && s.person_months > 9);
    assert.deepEqual(s.lots.map((l) => l.state), ['monitoring', 'monitoring'], 'no lot signals in the demo');
    const pub = (await new Client(server.url).get(`/api/v1/public/products/${product.id}`)).json.followup;
    assert.equal(pub.patients_followed, 14);
    const redness = pub.incidence.find((i) => i.symptom === 'redness');
    assert.deepEqual([redness.patients, redness.suppressed], [6, false]);
    assert.equal(pub.incidence.find((i) => i.symptom === 'fever').suppressed, true);
    assert.equal((await new Client(server.url).get(`/api/v1/public/products/${productId}`)).json.followup, null, 'the cream does not disclose');
  });

  test('per product and per lot, numbers checked by hand on a small cohort', async () => {
    // Lot A: p1 redness at day 14 (after "nothing" at 3); p2 nothing at 3 and 30 (censored
    // at 30); p3 itching and redness at 14; p4 never answered (not followed). Lot B: p5 fever
    // at day 3.
    const { product, lots } = await cohort(['A', 'B'], [
      { lot: 'A', entryDays: 100, answers: [[3, []], [14, ['redness']]] },
      { lot: 'A', entryDays: 100, answers: [[3, []], [30, []]] },
      { lot: 'A', entryDays: 100, answers: [[14, ['itching', 'redness']]] },
      { lot: 'A', entryDays: 100, answers: [] },
      { lot: 'B', entryDays: 90, answers: [[3, ['fever']]] },
    ]);
    const r = await doctor.get(`/api/v1/followup/products/${product}`);
    assert.equal(r.status, 200, r.text);
    const s = r.json;
    assert.equal(s.patients_followed, 4);
    assert.equal(s.events, 3);
    assert.ok(Math.abs(s.person_months - (14 + 30 + 14 + 3) / 30.4375) < 1e-9, `person-months ${s.person_months}`);
    assert.deepEqual(s.plan, { first_days: [3, 14, 30], repeat_days: 91, disclose: false });
    const inc = Object.fromEntries(s.incidence.map((i) => [i.symptom, i]));
    assert.equal(s.incidence.length, 9);
    for (const [symptom, k] of [['redness', 2], ['itching', 1], ['fever', 1], ['nausea', 0]]) {
      assert.equal(inc[symptom].patients, k, symptom);
      assert.ok(Math.abs(inc[symptom].proportion - k / 4) < 1e-12, symptom);
      const [lo, hi] = clopperPearson(k, 4);
      assert.ok(Math.abs(inc[symptom].lower - lo) < 1e-9, `${symptom} lower ${inc[symptom].lower} vs ${lo}`);
      assert.ok(Math.abs(inc[symptom].upper - hi) < 1e-9, `${symptom} upper ${inc[symptom].upper} vs ${hi}`);
    }
    // Kaplan–Meier: event at 3 (4 at risk), two at 14 (3 at risk), censored at 30.
    assert.deepEqual(s.km.map((k) => [k.time_days, k.at_risk, k.events, k.censored]), [[3, 4, 1, 0], [14, 3, 2, 0], [30, 1, 0, 1]]);
    assert.ok(Math.abs(s.km[0].survival - 0.75) < 1e-12);
    assert.ok(Math.abs(s.km[1].survival - 0.25) < 1e-12);
    assert.ok(Math.abs(s.km[2].survival - 0.25) < 1e-12);
    assert.ok(s.km[0].lower < 0.75 && s.km[0].upper > 0.75, 'a band around S');
    // Lots: A 3 followed, 2 events, 58 days; B 1, 1, 3 days. Expected per check-in, replayed in
    // answer order (core/maxsprt_lots): each at-risk check-in adds the share of first events
    // the other lots' check-ins answered before it had for its (previous day, day); a pair they
    // never had adds 1 − exp(−rate × days between), rate = their first events per at-risk day;
    // a share of zero events counts half an event; a check-in answered before the other lots
    // had any is out of the test. Order: A's two day-3 answers (day −97: B has none, out of
    // the test), B's day 3 (−87), A's two day-14 (−86), A's day 30 (−70).
    const byLot = Object.fromEntries(s.lots.map((l) => [l.lot_id, l]));
    assert.equal(byLot[lots.A].patients_followed, 3);
    assert.equal(byLot[lots.A].events, 2);
    assert.ok(Math.abs(byLot[lots.A].person_months - 58 / 30.4375) < 1e-9);
    // B's one check-in (entry → day 3): A had two such, no event: 0.5 / 2.
    const expectedB = 0.5 / 2;
    assert.ok(Math.abs(byLot[lots.B].expected - expectedB) < 1e-9, `expected ${byLot[lots.B].expected}`);
    assert.ok(Math.abs(byLot[lots.B].llr - ((expectedB - 1) + Math.log(1 / expectedB))) < 1e-9);
    assert.equal(byLot[lots.B].state, 'monitoring', 'one event: below min_events 2');
    assert.deepEqual([byLot[lots.B].observed, byLot[lots.B].looks], [1, 1]);
    // Each lot says the critical value its llr is held against (Sequential's table: T 20, M 2).
    for (const l of s.lots) assert.ok(Math.abs(l.cv - 3.4301407626) < 1e-9, `lot ${l.lot_id} cv ${l.cv}`);
    // A: (3→14), (0→14) and (3→30) unknown to B: rate 1 event / 3 at-risk days.
    const fallback = (days) => 1 - Math.exp(-days / 3);
    const expectedA = fallback(11) + fallback(14) + fallback(27);
    assert.ok(Math.abs(byLot[lots.A].expected - expectedA) < 1e-9, `expected ${byLot[lots.A].expected} vs ${expectedA}`);
    assert.equal(byLot[lots.A].llr, 0, 'fewer events than expected');
    assert.deepEqual([byLot[lots.A].observed, byLot[lots.A].looks, byLot[lots.A].state], [2, 2, 'monitoring']);
    assert.equal(byLot[lots.A].signal_at, null);
    assert.deepEqual({ alpha: s.maxsprt.alpha, upper_limit: s.maxsprt.upper_limit, min_events: s.maxsprt.min_events }, { alpha: 0.05, upper_limit: 20, min_events: 2 });

    const lot = (await pharmacist.get(`/api/v1/followup/lots/${lots.A}`)).json;
    assert.equal(lot.patients_followed, 3);
    assert.equal(lot.events, 2);
    assert.equal(lot.incidence.find((i) => i.symptom === 'redness').patients, 2);
    assert.deepEqual(lot.km.map((k) => [k.time_days, k.at_risk, k.events, k.censored]), [[14, 3, 2, 0], [30, 1, 0, 1]]);
    assert.deepEqual(lot.lots.map((l) => l.lot_id), [lots.A]);
    assertError(await doctor.get('/api/v1/followup/products/999999'), 404, 'not_found');
    assertError(await doctor.get('/api/v1/followup/lots/999999'), 404, 'not_found');

    // The public page: nothing until the clinic discloses; then small cells suppressed.
    const pub = async () => (await new Client(server.url).get(`/api/v1/public/products/${product}`)).json;
    assert.equal((await pub()).followup, null);
    assertError(await doctor.put(`/api/v1/followup/products/${product}/plan`, { first_days: [3, 14, 30], repeat_days: 91, disclose: true }), 403, 'forbidden');
    const before = snapshot();
    assertError(await admin.put(`/api/v1/followup/products/${product}/plan`, { first_days: [14, 3], repeat_days: 91, disclose: true }), 400, 'invalid_field', 'first_days');
    assertError(await admin.put(`/api/v1/followup/products/${product}/plan`, { first_days: [3], repeat_days: 1, disclose: true }), 400, 'invalid_field', 'repeat_days');
    assert.equal(snapshot(), before);
    const plan = await admin.put(`/api/v1/followup/products/${product}/plan`, { first_days: [3, 14, 30], repeat_days: 91, disclose: true });
    assert.equal(plan.status, 200, plan.text);
    const f = (await pub()).followup;
    assert.equal(f.patients_followed, 4);
    assert.ok(Math.abs(f.months_followed - 61 / 30.4375) < 1e-9);
    for (const i of f.incidence) {
      assert.equal(i.suppressed, true, `${i.symptom}: fewer than 5`);
      assert.equal(i.patients, null);
      assert.equal(i.lower, null);
    }
    assert.doesNotMatch(JSON.stringify(f), /集団/);
  });

  test('a lot with many more events than its siblings signals by MaxSPRT: alert "maxsprt" and quarantine', async () => {
    // Lot C: 6 patients followed 60 days, one event; lot D: 4 patients, each symptoms at day 3;
    // lot E, answering last: 6 patients at day 35, one event.
    const { product, lots } = await cohort(['C', 'D', 'E'], [
      ...Array.from({ length: 6 }, (_, i) => ({ lot: 'C', entryDays: 80, answers: [[30, []], [60, i === 0 ? ['redness'] : []]] })),
      ...Array.from({ length: 4 }, () => ({ lot: 'D', entryDays: 10, answers: [[3, ['swelling']]] })),
      ...Array.from({ length: 6 }, (_, i) => ({ lot: 'E', entryDays: 40, answers: [[35, i === 0 ? ['itching'] : []]] })),
    ]);
    const before = (await pharmacist.get(`/api/v1/followup/products/${product}`)).json;
    const d = before.lots.find((l) => l.lot_id === lots.D);
    // D's four day-3 answers (one second, one look) come after all of C's: C never had a
    // day-3 check-in: 1 − exp(−3 days × 1 event / 360 at-risk days) each, four times; LLR far
    // above the critical value at the first look.
    assert.ok(Math.abs(d.expected - 4 * (1 - Math.exp(-3 / 360))) < 1e-12, `expected ${d.expected}`);
    assert.equal(d.state, 'signal');
    assert.ok(d.llr >= before.maxsprt.cv);
    assert.deepEqual([d.events, d.observed, d.looks, d.signal_look], [4, 4, 1, 1]);
    assert.equal(d.signal_at, Number(q(`SELECT max(answered_at) FROM checkins c JOIN checkin_lots cl ON cl.checkin_id = c.id WHERE cl.lot_id = ${lots.D};`)));
    // C's answers all came before D had any: nothing to compare them with, not tested.
    const c = before.lots.find((l) => l.lot_id === lots.C);
    assert.deepEqual([c.state, c.expected, c.llr, c.events, c.observed], ['no_baseline', null, null, 1, 0]);
    // E's (0→35) is unknown to C and D: their rate, (1 + 4) events / (12 × 30 + 4 × 3) at-risk
    // days; six times; one event, fewer than expected: monitored, no signal.
    const e = before.lots.find((l) => l.lot_id === lots.E);
    assert.ok(Math.abs(e.expected - 6 * (1 - Math.exp(-35 * 5 / 372))) < 1e-9, `expected ${e.expected}`);
    assert.deepEqual([e.state, e.llr, e.observed, e.looks], ['monitoring', 0, 1, 1]);
    const t = tick();
    assert.ok(t.signals >= 1, JSON.stringify(t));
    const alerts = (await pharmacist.get('/api/v1/ae-lot-alerts')).json.alerts.filter((a) => a.lot_id === lots.D);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].rule, 'maxsprt');
    assert.equal(alerts[0].quarantined, true);
    assert.equal(q(`SELECT status FROM lots WHERE id = ${lots.D};`), 'quarantine');
    assert.notEqual(q(`SELECT status FROM lots WHERE id = ${lots.C};`), 'quarantine');
    assert.notEqual(q(`SELECT status FROM lots WHERE id = ${lots.E};`), 'quarantine');
    assert.equal((await pharmacist.get('/api/v1/ae-lot-alerts')).json.alerts.filter((a) => a.lot_id === lots.E || a.lot_id === lots.C).length, 0);
    assert.equal(tick().signals, 0, 'raised once');
    assert.equal((await pharmacist.get(`/api/v1/followup/lots/${lots.D}`)).json.lots[0].state, 'signal');
  });
});
