// Browser test of the active follow-up (issue 17) against the real server: patients who received
// the demo cream have their deliveries moved some days back and the server restarted, so its
// follow-up tick (run at start) opens their check-ins. Then: a patient answers a check-in with a
// symptom in the app and confirms the adverse-event report pre-filled from it (it reaches the
// triage queue linked to the check-in); another answers "nothing changed", stops the follow-up
// with a reason and resumes it; a third answers from the e-mail link without logging in, and the
// link then says it was answered (an unknown and an expired link say so too); staff see the
// non-responder with their phone, record a call with the answers taken by phone, and see the
// product's summary with its Kaplan–Meier chart drawn; the admin discloses the summary and the
// public product page shows it, cells under 5 patients suppressed. Screenshots go to
// build/screenshots/ (the ones README shows are copied to docs/screenshots/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, screenshot, assertNoSidewaysScroll, openReady as openReadyAt, logIn as logInAt, DESKTOP, PHONE, apiIn, jstDay, useBrowser } from '../lib/browser.mjs';
import { openPrefilledReport, tickSymptom } from './followup-steps.mjs';
import { sql, startServer } from '../lib/server.mjs';
import { Client, signupBody } from '../http/client.mjs';
import { cleanAnswers, holdCall, jstDate, QUESTIONNAIRE_VERSION } from '../http/fixtures.mjs';

const PASSWORD = 'correct horse battery';
const DAY = 86400;

useBrowser();
let server = null;
const openReady = (page, path) => openReadyAt(page, server.url, path);
const logIn = (page, email, password) => logInAt(page, server.url, email, password);

/** A patient who received one unit of the demo cream (dispensed, shipped, delivered), through the API. */
async function treatedPatient(staff, n) {
  const p = new Client(server.url);
  const email = `fu${n}@patient.example`;
  const s = await p.signup(signupBody({ email, name: `経過 ${n}子`, name_kana: 'ケイカ ハナコ', phone: `090-0000-00${String(n).padStart(2, '0')}` }));
  assert.equal(s.status, 201, s.text);
  const id = s.json.user.id;
  const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
  assert.equal(q.status, 201, q.text);
  const c = (await p.get('/api/v1/consent')).json.consent;
  assert.equal((await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja })).status, 201);
  await holdCall(staff.admin, p);
  const d = await staff.doctor.post(`/api/v1/patients/${id}/decision`, { response_id: q.json.response.id, decision: 'approved', notes: 'ok', product_id: staff.productId, quantity: 1, directions: '1日1回', valid_until: jstDate(30) });
  assert.equal(d.status, 201, d.text);
  const o = (await p.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' })).json.order;
  assert.equal((await staff.admin.post(`/api/v1/orders/${o.id}/payment`, { reference: 'r' })).status, 200);
  const dispensed = await staff.pharmacist.post(`/api/v1/orders/${o.id}/dispense`, {});
  assert.equal(dispensed.status, 200, dispensed.text);
  const shipped = await staff.pharmacist.post(`/api/v1/orders/${o.id}/ship`, { carrier: 'ヤマト運輸', tracking_number: `1234-5678-${String(n).padStart(4, '0')}` });
  assert.equal(shipped.status, 200, shipped.text);
  const delivered = await staff.pharmacist.post(`/api/v1/orders/${o.id}/delivered`, {});
  assert.equal(delivered.status, 200, delivered.text);
  return { client: p, email, id, orderId: o.id };
}

/** Moves a patient's delivery (and what led to it) days back, so check-ins fall due. */
function deliveredDaysAgo(db, patient, days) {
  const at = Math.floor(Date.now() / 1000) - days * DAY;
  sql(db, `UPDATE shipments SET shipped_at = ${at - 3600}, delivered_at = ${at} WHERE order_id = ${patient.orderId};`);
}

/** Gives check-in id the link token; only its SHA-256 (hex) is stored, as for the mailed links. */
function setLinkToken(db, checkinId, token, expiresAt) {
  const hash = createHash('sha256').update(token).digest('hex');
  sql(db, `UPDATE checkins SET link_token_hash = '${hash}'${expiresAt ? `, link_expires_at = ${expiresAt}` : ''} WHERE id = ${checkinId};`);
}

async function staffClients() {
  const staff = { doctor: new Client(server.url), pharmacist: new Client(server.url), admin: new Client(server.url) };
  await staff.doctor.login('doctor@clinic.example', 'doctor-demo-pass');
  await staff.pharmacist.login('pharmacist@clinic.example', 'pharmacist-demo-pass');
  await staff.admin.login('admin@clinic.example', 'admin-demo-pass');
  staff.productId = (await staff.doctor.get('/api/v1/products')).json.products.find((x) => x.code === 'EXO-CREAM-M').id;
  return staff;
}

/** The patient's open check-ins once the tick has made them (it runs as the server starts). */
async function openCheckins(patient) {
  for (let i = 0; i < 100; i++) {
    const r = await patient.client.get('/api/v1/me/checkins');
    assert.equal(r.status, 200, r.text);
    if (r.json.open.length > 0) return r.json.open;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`no open check-in for ${patient.email}`);
}

test('the whole follow-up in the browser: check-ins, the pre-filled AE report, link answers, calls, summary and disclosure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exosafe-followup-'));
  const ini = join(dir, 'exosafe.ini');
  writeFileSync(ini, '[followup]\ntick_seconds = 3600\n');
  server = await startServer({ demo: true, args: ['--config', ini] });
  const staff = await staffClients();
  const patients = [];
  for (let n = 1; n <= 9; n++) patients.push(await treatedPatient(staff, n));
  const [symptomatic, unchanged, linked, silent, ...others] = patients;

  // Deliveries moved back: a day-3 check-in due for everyone; the silent one's long past.
  for (const p of patients) deliveredDaysAgo(server.db, p, p === silent ? 10 : 4);
  await server.kill();
  server = await startServer({ db: server.db, args: ['--config', ini] });
  for (const p of patients) {
    const c = new Client(server.url);
    await c.login(p.email, PASSWORD);
    p.client = c;
  }
  const staff2 = await staffClients();
  const open = {};
  for (const p of patients) open[p.email] = (await openCheckins(p))[0];

  // Five others report redness (and one itching) through the API: the public cells need 5.
  for (const [i, p] of others.entries()) {
    const symptoms = [{ symptom: 'redness', severity: 'mild', still_present: false }];
    if (i === 0) symptoms.push({ symptom: 'itching', severity: 'mild', still_present: true });
    const r = await p.client.post(`/api/v1/checkins/${open[p.email].id}/answers`, { nothing_changed: false, symptoms, note: '' });
    assert.equal(r.status, 200, r.text);
  }

  // ---- A patient answers with a symptom in the app and confirms the pre-filled AE report.
  {
    const { context, page, problems } = await openPage(PHONE);
    try {
      await logIn(page, symptomatic.email, PASSWORD);
      await openReady(page, '/checkins.html');
      const id = open[symptomatic.email].id;
      assert.equal(await page.locator(`#open-list li[data-checkin-id="${id}"]`).count(), 1);
      assert.match(await page.textContent('#open-list'), /3日目の確認/);
      await screenshot(page, 'checkins-phone.png');
      await page.click(`button[data-answer="${id}"]`);
      await page.check('#checkin-sym-redness');
      await page.check('#checkin-nothing');
      assert.equal(await page.isChecked('#checkin-sym-redness'), false, '"nothing changed" clears the symptoms');
      await page.check('#checkin-sym-redness');
      assert.equal(await page.isChecked('#checkin-nothing'), false);
      await page.click('#checkin-form button[type="submit"]');
      await page.waitForSelector('#checkin-symptoms-error:not([hidden])');
      await page.check('#checkin-sev-redness-moderate');
      await page.check('#checkin-present-redness-yes');
      await page.fill('#checkin-note', '塗ったところが赤い');
      await assertNoSidewaysScroll(page, 'check-in form');
      await screenshot(page, 'checkin-form-phone.png');
      await page.click('#checkin-form button[type="submit"]');
      await page.waitForSelector('#ae-offer:not([hidden])');
      await screenshot(page, 'checkin-answered-phone.png');
      await openPrefilledReport(page, server.url, id);
      assert.equal(await page.isChecked('#sym-redness'), true);
      assert.equal(await page.isChecked('#report-severity-moderate'), true);
      assert.equal(await page.isChecked('#report-ongoing-yes'), true);
      assert.equal(await page.inputValue('#report-order'), String(symptomatic.orderId));
      assert.equal(await page.inputValue('#report-onset'), jstDay(0));
      await screenshot(page, 'report-prefilled-phone.png');
      await page.click('#report-form button[type="submit"]');
      await page.waitForSelector('#report-sent:not([hidden])');
      const reports = (await apiIn(page, 'GET', '/api/v1/adverse-events')).json.reports;
      assert.equal(reports.length, 1);
      const checkin = (await apiIn(page, 'GET', `/api/v1/checkins/${id}`)).json;
      assert.equal((checkin.checkin ?? checkin).ae_report_id, reports[0].id, 'the report is linked to the check-in');
      await openReady(page, '/checkins.html');
      assert.match(await page.textContent(`#answered-list li[data-checkin-id="${id}"]`), /#\d+/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }

  // ---- "Nothing changed" (on a desktop); then stop with a reason and resume.
  {
    const { context, page, problems } = await openPage(DESKTOP);
    try {
      await logIn(page, unchanged.email, PASSWORD);
      await openReady(page, '/checkins.html');
      const id = open[unchanged.email].id;
      await page.click(`button[data-answer="${id}"]`);
      await page.check('#checkin-nothing');
      await screenshot(page, 'checkins-desktop.png');
      await page.click('#checkin-form button[type="submit"]');
      await page.waitForSelector('#answer-done:not([hidden])');
      assert.ok(await page.locator('#ae-offer').isHidden());
      assert.match(await page.textContent(`#answered-list li[data-checkin-id="${id}"]`), /変わりなし/);
      await page.click('#stop-open');
      await page.fill('#stop-reason', '旅行が多く回答が難しいため');
      await page.click('#stop-form button[type="submit"]');
      await page.waitForSelector('#followup-state[data-status="withdrawn"]');
      await screenshot(page, 'checkins-stopped-desktop.png');
      await page.click('#resume-open');
      await page.click('#resume-form button[type="submit"]');
      await page.waitForSelector('#followup-state[data-status="active"]');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }

  // ---- The e-mail link, without logging in; then answered, unknown and expired links.
  {
    const token = 'test-link-token-linked-patient-0001';
    setLinkToken(server.db, open[linked.email].id, token);
    const expired = 'test-link-token-expired-0002';
    setLinkToken(server.db, open[silent.email].id, expired, Math.floor(Date.now() / 1000) - 60);
    const { context, page, problems } = await openPage(PHONE);
    try {
      await openReady(page, `/checkin.html?token=${token}`);
      assert.match(await page.textContent('#link-heading'), /3日目の確認/);
      await tickSymptom(page, 'checkin', 'swelling', 'mild', false);
      await screenshot(page, 'checkin-link-phone.png');
      await page.click('#checkin-form button[type="submit"]');
      await page.waitForSelector('#link-done:not([hidden])');
      // A symptom: log in from the link page and land on the report pre-filled from this answer.
      const id = open[linked.email].id;
      await screenshot(page, 'checkin-link-answered-phone.png');
      await Promise.all([page.waitForURL(/\/login\.html\?next=/), page.click('#link-ae-login')]);
      await page.waitForSelector('body[data-ready="true"]');
      await page.fill('#login-email', linked.email);
      await page.fill('#login-password', PASSWORD);
      await Promise.all([page.waitForURL(`${server.url}/report.html?checkin=${id}`), page.click('#login-form button[type="submit"]')]);
      await page.waitForSelector('body[data-ready="true"]');
      assert.ok(await page.locator('#report-prefill').isVisible());
      assert.equal(await page.isChecked('#sym-swelling'), true);
      assert.equal(await page.isChecked('#report-severity-mild'), true);
      await page.click('#report-form button[type="submit"]');
      await page.waitForSelector('#report-sent:not([hidden])');
      const linkedReports = (await apiIn(page, 'GET', '/api/v1/adverse-events')).json.reports;
      assert.equal(linkedReports.length, 1);
      const linkedCheckin = (await apiIn(page, 'GET', `/api/v1/checkins/${id}`)).json;
      assert.equal((linkedCheckin.checkin ?? linkedCheckin).ae_report_id, linkedReports[0].id);
      await page.context().clearCookies();
      await openReady(page, `/checkin.html?token=${token}`);
      assert.equal(await page.getAttribute('#link-problem', 'data-problem'), 'answered');
      await openReady(page, '/checkin.html?token=no-such-token');
      assert.equal(await page.getAttribute('#link-problem', 'data-problem'), 'unknown');
      await openReady(page, `/checkin.html?token=${expired}`);
      assert.equal(await page.getAttribute('#link-problem', 'data-problem'), 'expired');
      await screenshot(page, 'checkin-link-expired-phone.png');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
    const desk = await openPage(DESKTOP);
    try {
      await openReady(desk.page, `/checkin.html?token=${expired}`);
      await desk.page.click('[data-lang-toggle]');
      await desk.page.waitForFunction(() => document.documentElement.lang === 'en');
      assert.match(await desk.page.textContent('#link-problem'), /expired/);
      await screenshot(desk.page, 'checkin-link-expired-en-desktop.png');
      assert.deepEqual(desk.problems, []);
    } finally {
      await desk.context.close();
    }
    const via = (await linked.client.get(`/api/v1/checkins/${open[linked.email].id}`)).json;
    assert.equal((via.checkin ?? via).answered_via, 'link');
  }

  // ---- Staff: the non-responder with their phone, a call with answers; the summary.
  sql(server.db, `UPDATE checkins SET reminded_at = ${Math.floor(Date.now() / 1000) - 4 * DAY}, link_expires_at = ${Math.floor(Date.now() / 1000) + 4 * DAY} WHERE id = ${open[silent.email].id};`);
  {
    const { context, page, problems } = await openPage(DESKTOP);
    try {
      await logIn(page, 'admin@clinic.example', 'admin-demo-pass');
      await openReady(page, '/followup.html');
      const item = page.locator(`#nr-list li[data-checkin-id="${open[silent.email].id}"]`);
      assert.equal(await item.count(), 1, 'the silent patient is listed');
      assert.match(await item.textContent(), /090-0000-0004/);
      await page.waitForSelector('#km-chart[data-drawn="true"]');
      await screenshot(page, 'followup-desktop.png');
      await item.locator('button[data-call]').click();
      await page.check('#call-outcome-answered');
      await tickSymptom(page, 'call', 'itching', 'mild', false);
      await page.click('#call-form button[type="submit"]');
      await page.waitForSelector('#call-saved:not([hidden])');
      assert.equal(await item.count(), 0, 'answered by phone: no longer listed');
      const answered = (await staff2.doctor.get(`/api/v1/checkins/${open[silent.email].id}`)).json;
      assert.equal((answered.checkin ?? answered).answered_via, 'phone');

      await page.waitForSelector('#km-chart[data-drawn="true"]');
      assert.ok(Number(await page.getAttribute('#km-chart', 'data-steps')) >= 1);
      assert.ok(await page.locator('#km-chart canvas').count() >= 1);
      assert.match(await page.textContent('#incidence-body tr[data-symptom="redness"]'), /\d+(\.\d)?%/);
      assert.ok(await page.locator('#lots-body tr').count() >= 1);

      // The demo's follow-up cohort (EXO-SERUM-D, 35–87 days of answers): a longer curve.
      const serum = (await staff2.doctor.get('/api/v1/products')).json.products.find((x) => x.code === 'EXO-SERUM-D');
      if (serum) {
        await page.selectOption('#product-select', String(serum.id));
        await page.waitForSelector(`#km-chart[data-product-id="${serum.id}"][data-drawn="true"]`);
        assert.ok(Number(await page.getAttribute('#km-chart', 'data-steps')) >= 2);
        await screenshot(page, 'followup-summary-desktop.png');
        await page.selectOption('#product-select', String(staff2.productId));
        await page.waitForSelector(`#km-chart[data-product-id="${staff2.productId}"][data-drawn="true"]`);
      }

      // The admin discloses the summary on the public page.
      await page.check('#plan-disclose');
      await page.click('#plan-form button[type="submit"]');
      await page.waitForSelector('#plan-form [data-form-status]:not([hidden])');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
    const phone = await openPage(PHONE);
    try {
      await logIn(phone.page, 'doctor@clinic.example', 'doctor-demo-pass');
      await openReady(phone.page, '/followup.html');
      await phone.page.waitForSelector('#km-chart[data-drawn="true"]');
      await assertNoSidewaysScroll(phone.page, 'follow-up page');
      await screenshot(phone.page, 'followup-phone.png');
      assert.ok(await phone.page.locator('#plan-card').isHidden(), 'only admins edit the plan');
    } finally {
      await phone.context.close();
    }
  }

  // ---- The public product page: the summary, itching (2 patients) suppressed.
  for (const [options, name] of [[DESKTOP, 'product-followup-desktop.png'], [PHONE, 'product-followup-phone.png']]) {
    const { context, page, problems } = await openPage(options);
    try {
      await openReady(page, `/product.html?id=${staff2.productId}`);
      assert.ok(await page.locator('#followup-section').isVisible());
      assert.equal(await page.getAttribute('#followup-body tr[data-symptom="itching"]', 'data-suppressed'), 'true');
      assert.match(await page.textContent('#followup-body tr[data-symptom="itching"]'), /5人未満/);
      assert.equal(await page.getAttribute('#followup-body tr[data-symptom="redness"]', 'data-suppressed'), 'false');
      assert.match(await page.textContent('#followup-body tr[data-symptom="redness"]'), /6人/);
      // The section's own words pass the advertising checker (no claim of effect or safety).
      const words = await page.textContent('#followup-section');
      const checked = await staff2.doctor.post('/api/v1/adcheck', { text: words });
      assert.equal(checked.status, 200, checked.text);
      assert.equal(checked.json.errors, 0, JSON.stringify(checked.json.findings));
      await page.locator('#followup-section').scrollIntoViewIfNeeded();
      await screenshot(page, name);
      if (options === PHONE) await assertNoSidewaysScroll(page, 'public product page');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
  await server.stop();
});
