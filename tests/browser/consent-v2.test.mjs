// Browser test of re-consent (issue 13): a patient approved under consent version 1 opens the
// order page after the clinic published version 2 (data folder updated, server restarted on the
// same database). The page says why they cannot order and sends them to the consent page, which
// shows what changed since version 1; they accept version 2 and can order on the same approval.
// The doctor's queue marks another patient's version-1 consent as outdated, and the patient's
// file lists both acceptances as recorded. Screenshots go to build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBrowser, stopBrowser, openPage, screenshot, assertNoSidewaysScroll, openReady, logIn, shots, DESKTOP, PHONE } from '../lib/browser.mjs';
import { cli, newDb, root, startServer } from '../lib/server.mjs';
import { Client, signupBody, stopServer } from '../http/client.mjs';
import { cleanAnswers, jstDate, QUESTIONNAIRE_VERSION } from '../http/fixtures.mjs';

const CONSENT = 'exosome-cream-consent';
const V2 = JSON.parse(readFileSync(join(root, 'data/consent', `${CONSENT}-v2.json`), 'utf8'));

let work, server;

before(async () => {
  await startBrowser();
});
after(async () => {
  await stopServer(server);
  await stopBrowser();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Through the API on the version-1 server: a patient who answered and accepted version 1. */
async function patientOnV1(email) {
  const p = new Client(server.url);
  const s = await p.signup(signupBody({ email }));
  assert.equal(s.status, 201, s.text);
  p.id = s.json.user.id;
  const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
  assert.equal(q.status, 201, q.text);
  p.responseId = q.json.response.id;
  const c = (await p.get('/api/v1/consent')).json.consent;
  assert.equal(c.version, 1);
  assert.equal((await p.post('/api/v1/consent', { consent_id: CONSENT, version: 1, lang: 'ja', sha256: c.sha256.ja })).status, 201);
  return p;
}

test('re-consent: the order page sends the patient to the consent page, which shows what changed', async () => {
  work = mkdtempSync(join(tmpdir(), 'exosafe-consent-v2-browser-'));
  const db = newDb(work);
  assert.equal(cli(['init', '--db', db]).status, 0);
  assert.equal(cli(['demo', '--db', db]).status, 0);
  const dataV1 = join(work, 'data-v1');
  cpSync(join(root, 'data'), dataV1, { recursive: true });
  rmSync(join(dataV1, 'consent', `${CONSENT}-v2.json`));

  // ---- version 1: a patient approved, another waiting in the queue ----
  server = await startServer({ db, args: ['--data', dataV1] });
  const doctorApi = new Client(server.url);
  await doctorApi.login('doctor@clinic.example', 'doctor-demo-pass');
  const products = await new Client(server.url).get('/api/v1/public/products');
  const productId = products.json.products.find((p) => p.code === 'EXO-CREAM-M').id;
  const buyer = await patientOnV1('browser-reconsent@patient.example');
  const waiting = await patientOnV1('browser-queued@patient.example');
  const d = await doctorApi.post(`/api/v1/patients/${buyer.id}/decision`, { response_id: buyer.responseId, decision: 'approved', notes: '確認済み', product_id: productId, quantity: 2, directions: '1日1回', valid_until: jstDate(30), no_call_reason: 'この試験では通話の記録を省略する(通話の規則は intake.test.mjs)' });
  assert.equal(d.status, 201, d.text);
  await stopServer(server);

  // ---- version 2 published ----
  server = await startServer({ db });
  const { url } = server;
  const patient = await openPage(PHONE);
  const doctor = await openPage(DESKTOP);
  try {
    const p = patient.page;
    await logIn(p, url, 'browser-reconsent@patient.example', signupBody().password);
    // The steps page: the approval stands, the revised consent is what is missing.
    await openReady(p, url, '/status.html');
    assert.equal(await p.getAttribute('#step-order', 'data-state'), 'attention');
    assert.match(await p.textContent('#step-order'), /改訂/);
    assert.equal(await p.getAttribute('#step-order a', 'href'), '/consent.html');
    await openReady(p, url, '/order.html');
    await p.locator('#approval-none:not([hidden])').waitFor();
    assert.match(await p.textContent('#approval-none'), /改訂/);
    assert.ok(await p.locator('#order-form-card').isHidden(), 'no order form until the new version is accepted');
    assert.equal(await p.getAttribute('#approval-status-link', 'href'), '/consent.html');
    await screenshot(p, 'order-consent-outdated.png');

    await Promise.all([p.waitForURL(`${url}/consent.html`), p.click('#approval-status-link')]);
    await p.waitForSelector('body[data-ready="true"]');
    assert.equal(await p.getAttribute('#consent-state', 'data-state'), 'outdated');
    await p.locator('#consent-changes:not([hidden])').waitFor();
    assert.match(await p.textContent('#consent-changes-intro'), /第1版から第2版/);
    assert.equal(await p.locator('#consent-changes-list .record').count(), 1);
    assert.equal(await p.getAttribute('#consent-changes-list .record', 'data-version'), '2');
    assert.equal(await p.textContent('#consent-changes-list .record p'), V2.changes.ja);
    assert.equal(await p.textContent('#consent-version'), '2');
    assert.equal(await p.textContent('#consent-text'), V2.text.ja);
    await assertNoSidewaysScroll(p, 'consent with changes');
    await screenshot(p, 'consent-changes.png');
    // The status and the summary as the patient first sees them (the full page is long).
    await p.screenshot({ path: join(shots, 'consent-changes-top.png'), clip: { x: 0, y: 0, width: 390, height: 1400 } });

    // In English, the summary is the English one.
    await p.click('[data-lang-toggle]');
    await p.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await p.textContent('#consent-changes-list .record p'), V2.changes.en);
    await screenshot(p, 'consent-changes-en.png');
    await p.click('[data-lang-toggle]');
    await p.waitForFunction(() => document.documentElement.lang === 'ja');

    await p.check('#consent-read');
    await p.click('#consent-form button[type="submit"]');
    await p.waitForSelector('#consent-state[data-state="accepted"]');
    assert.ok(await p.locator('#consent-changes').isHidden(), 'the summary goes once the new version is accepted');

    await openReady(p, url, '/order.html');
    await p.locator('#order-form-card:not([hidden])').waitFor();
    assert.ok(await p.locator('#approval-none').isHidden());

    // ---- the doctor: the queue marks the waiting patient's version-1 consent as outdated ----
    const dp = doctor.page;
    await logIn(dp, url, 'doctor@clinic.example', 'doctor-demo-pass');
    await openReady(dp, url, '/review.html');
    const item = dp.locator(`.queue__item[data-patient-id="${waiting.id}"] [data-consent-state]`);
    assert.equal(await item.getAttribute('data-consent-state'), 'outdated');
    assert.match(await item.textContent(), /第1版.*第2版/);
    await screenshot(dp, 'review-consent-outdated.png');
    await item.scrollIntoViewIfNeeded();
    await dp.locator(`.queue__item[data-patient-id="${waiting.id}"]`).screenshot({ path: join(shots, 'review-consent-outdated-item.png') });

    // ... and the re-consented patient's file shows version 2 in force and both acceptances.
    await openReady(dp, url, `/patient.html?id=${buyer.id}`);
    assert.equal(await dp.getAttribute('#consent-state', 'data-state'), 'current');
    assert.match(await dp.textContent('#consent-state'), /第2版/);
    assert.equal(await dp.locator('#consent-history li').count(), 2);
    assert.deepEqual(await dp.$$eval('#consent-history li', (lis) => lis.map((li) => li.dataset.version)), ['2', '1']);
    await screenshot(dp, 'patient-consent-history.png');
    assert.deepEqual(patient.problems, []);
    assert.deepEqual(doctor.problems, []);
  } finally {
    await patient.context.close();
    await doctor.context.close();
  }
});
