// Publishing consent version 2 the way a clinic does: the server ran with version 1, patients
// accepted it and were approved; the data folder gains version 2 and the server restarts on the
// same database. A patient whose acceptance is of version 1 cannot order until they read and
// accept version 2 (consent_outdated); the consent API says what changed; the doctor's queue
// and the patient's file show the version in force and "outdated"; the FHIR export is of the
// version accepted; the old acceptance stays as recorded, with its text hash; and the approval
// given under version 1 carries on once version 2 is accepted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli, newDb, root, startServer, sql } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer } from './client.mjs';
import { cleanAnswers, jstDate, QUESTIONNAIRE_VERSION } from './fixtures.mjs';

const CONSENT = 'exosome-cream-consent';
const read = (name) => JSON.parse(readFileSync(join(root, 'data/consent', name), 'utf8'));
const V1 = read(`${CONSENT}-v1.json`);
const V2 = read(`${CONSENT}-v2.json`);
const sha = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

let work, db, dataV1, server;
const count = (table, where = '1 = 1') => Number(sql(db, `SELECT count(*) FROM ${table} WHERE ${where};`));

before(() => {
  work = mkdtempSync(join(tmpdir(), 'exosafe-consent-v2-'));
  db = newDb(work);
  assert.equal(cli(['init', '--db', db]).status, 0);
  assert.equal(cli(['demo', '--db', db]).status, 0);
  // The clinic's data folder before version 2 was published.
  dataV1 = join(work, 'data-v1');
  cpSync(join(root, 'data'), dataV1, { recursive: true });
  rmSync(join(dataV1, 'consent', `${CONSENT}-v2.json`));
});
after(async () => {
  await stopServer(server);
  rmSync(work, { recursive: true, force: true });
});

async function login(email, password) {
  const c = new Client(server.url);
  await c.login(email, password);
  return c;
}

test('a new consent version: re-consent before the next order, the old acceptance kept', async () => {
  // ---- the clinic runs on version 1 ----
  server = await startServer({ db, args: ['--data', dataV1] });
  const doctor = await login('doctor@clinic.example', 'doctor-demo-pass');
  const products = await new Client(server.url).get('/api/v1/public/products');
  const productId = products.json.products.find((p) => p.code === 'EXO-CREAM-M').id;

  /** A patient who answers the questionnaire and accepts version 1 in lang. */
  async function patientOnV1(email, lang) {
    const p = new Client(server.url);
    const s = await p.signup(signupBody({ email }));
    assert.equal(s.status, 201, s.text);
    p.id = s.json.user.id;
    const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
    assert.equal(q.status, 201, q.text);
    p.responseId = q.json.response.id;
    const c = (await p.get('/api/v1/consent')).json.consent;
    assert.equal(c.version, 1);
    assert.deepEqual(c.changes, [], 'version 1 changes nothing');
    assert.equal(c.sha256[lang], sha(V1.text[lang]));
    const a = await p.post('/api/v1/consent', { consent_id: CONSENT, version: 1, lang, sha256: c.sha256[lang] });
    assert.equal(a.status, 201, a.text);
    p.acceptance = a.json.acceptance;
    return p;
  }

  const buyer = await patientOnV1('reconsent@patient.example', 'ja');
  const waiting = await patientOnV1('queued@patient.example', 'en');
  const d = await doctor.post(`/api/v1/patients/${buyer.id}/decision`, { response_id: buyer.responseId, decision: 'approved', notes: '電話で確認', product_id: productId, quantity: 2, directions: '1日1回', valid_until: jstDate(30), no_call_reason: 'この試験では通話の記録を省略する(通話の規則は intake.test.mjs)' });
  assert.equal(d.status, 201, d.text);
  const first = await buyer.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' });
  assert.equal(first.status, 201, first.text);
  let queue = await doctor.get('/api/v1/review/queue');
  let item = queue.json.queue.find((i) => i.patient_id === waiting.id);
  assert.deepEqual(item.consent, { state: 'current', version: 1, current_version: 1 });
  assert.equal(item.consent_in_force, true);
  await stopServer(server);

  // ---- version 2 is published: its file is added and the server restarts ----
  server = await startServer({ db });
  const doctor2 = await login('doctor@clinic.example', 'doctor-demo-pass');
  const patient = await login('reconsent@patient.example', signupBody().password);

  // The patient's own status: outdated, with version 1 still the acceptance on record.
  let intake = (await patient.get('/api/v1/intake')).json.intake;
  assert.equal(intake.consent.state, 'outdated');
  assert.equal(intake.consent.in_force, false);
  assert.equal(intake.consent.current_version, 2);
  assert.equal(intake.consent.latest.version, 1);
  assert.equal(intake.consent.latest.current, false);

  // No order until version 2 is accepted: a clear code, and nothing written.
  const orders = count('orders');
  assertError(await patient.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' }), 409, 'consent_outdated');
  assert.equal(count('orders'), orders);

  // The consent page's data: version 2, and what changed since version 1.
  const c2 = (await patient.get('/api/v1/consent')).json.consent;
  assert.equal(c2.version, 2);
  assert.equal(c2.sha256.ja, sha(V2.text.ja));
  assert.deepEqual(c2.changes, [{ version: 2, summary: V2.changes }]);
  assert.match(c2.changes[0].summary.ja, /プリオン/);
  assert.match(c2.changes[0].summary.en, /fetal bovine serum/);

  // The doctor's side: the file and the queue show the version accepted and "outdated".
  const file = (await doctor2.get(`/api/v1/patients/${buyer.id}/intake`)).json.intake;
  assert.equal(file.consent.state, 'outdated');
  assert.equal(file.consent.latest.version, 1);
  queue = await doctor2.get('/api/v1/review/queue');
  item = queue.json.queue.find((i) => i.patient_id === waiting.id);
  assert.deepEqual(item.consent, { state: 'outdated', version: 1, current_version: 2 });
  assert.equal(item.consent_in_force, false);
  // ... and an approval needs the current consent.
  assertError(await doctor2.post(`/api/v1/patients/${waiting.id}/decision`, { response_id: waiting.responseId, decision: 'approved', notes: 'x', product_id: productId, quantity: 1, directions: 'd', valid_until: jstDate(30) }), 409, 'consent_required');

  // The FHIR Consent is of the version accepted (1), with its text, not the current one.
  const fhirV1 = JSON.parse((await doctor2.get(`/api/v1/patients/${buyer.id}/fhir/consent`)).text);
  assert.match(fhirV1.policy[0].uri, new RegExp(`/consent/${CONSENT}/1$`));
  assert.equal(Buffer.from(fhirV1.sourceAttachment.data, 'base64').toString('utf8'), V1.text.ja);

  // Accepting version 1 again, or version 2 with version 1's hash: refused, nothing written.
  const acceptances = count('consent_acceptances');
  assertError(await patient.post('/api/v1/consent', { consent_id: CONSENT, version: 1, lang: 'ja', sha256: sha(V1.text.ja) }), 409, 'consent_outdated');
  assertError(await patient.post('/api/v1/consent', { consent_id: CONSENT, version: 2, lang: 'ja', sha256: sha(V1.text.ja) }), 409, 'consent_mismatch', 'sha256');
  assert.equal(count('consent_acceptances'), acceptances);

  // Re-consent to version 2.
  const again = await patient.post('/api/v1/consent', { consent_id: CONSENT, version: 2, lang: 'ja', sha256: c2.sha256.ja });
  assert.equal(again.status, 201, again.text);
  intake = (await patient.get('/api/v1/intake')).json.intake;
  assert.equal(intake.consent.state, 'current');
  assert.equal(intake.consent.in_force, true);
  assert.equal(intake.consent.latest.version, 2);
  // Both acceptances, newest first; version 1's is exactly as recorded (version, hash, time).
  assert.equal(intake.consent.history.length, 2);
  assert.equal(intake.consent.history[0].version, 2);
  assert.deepEqual(intake.consent.history[1], { ...buyer.acceptance, current: false });
  assert.equal(intake.consent.history[1].sha256, sha(V1.text.ja));
  // The database itself keeps them: no acceptance can be rewritten or deleted (0008).
  const v1Id = intake.consent.history[1].id;
  assert.throws(() => sql(db, `UPDATE consent_acceptances SET text_sha256 = 'x' WHERE id = ${v1Id};`), /immutable/);
  assert.throws(() => sql(db, `UPDATE consent_acceptances SET consent_version = 2 WHERE id = ${v1Id};`), /immutable/);
  assert.throws(() => sql(db, `DELETE FROM consent_acceptances WHERE id = ${v1Id};`), /immutable/);
  assert.equal(intake.consent.history.length, Number(sql(db, `SELECT count(*) FROM consent_acceptances WHERE patient_id = ${buyer.id};`)));

  // The approval given under version 1 carries on: the same decision backs the next order.
  const second = await patient.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' });
  assert.equal(second.status, 201, second.text);
  assert.equal(second.json.order.decision_id, first.json.order.decision_id);
  const audit = sql(db, `SELECT detail FROM audit_log WHERE action = 'order.create' AND object = 'order:${second.json.order.id}';`);
  assert.match(audit, new RegExp(`consent ${CONSENT} v2`));

  // The file and the FHIR export now show version 2.
  assert.equal((await doctor2.get(`/api/v1/patients/${buyer.id}/intake`)).json.intake.consent.state, 'current');
  const fhirV2 = JSON.parse((await patient.get('/api/v1/intake/fhir/consent')).text);
  assert.match(fhirV2.policy[0].uri, new RegExp(`/consent/${CONSENT}/2$`));
  assert.equal(Buffer.from(fhirV2.sourceAttachment.data, 'base64').toString('utf8'), V2.text.ja);
});

test('the product is described in the same words in the consent, the public notes and the pages', async () => {
  const ja = '日本で承認された医薬品ではない未承認品で、医師が処方します。';
  const en = 'It is an unapproved product, not a medicine approved in Japan, prescribed by a doctor.';
  assert.ok(V2.text.ja.includes(`エクソソームを含む外用クリームです。${ja}`));
  assert.ok(V2.text.en.includes(`a topical cream containing exosomes`) && V2.text.en.includes(en));
  const notes = (await new Client(server.url).get('/api/v1/public/products')).json.notes;
  assert.ok(notes.ja[0].includes(`エクソソームを含む外用クリームです。${ja}`), notes.ja[0]);
  assert.ok(notes.en[0].includes(en), notes.en[0]);
  const i18n = (lang) => JSON.parse(readFileSync(join(root, 'web/i18n', `${lang}.json`), 'utf8'))['notice.unapproved'];
  assert.equal(i18n('ja'), `エクソソームを含む外用クリームです。${ja}`);
  assert.equal(i18n('en'), `A topical cream containing exosomes. ${en}`);
  for (const page of ['product', 'public-lot', 'order', 'products', 'index', 'home', 'status']) {
    const html = readFileSync(join(root, 'web', `${page}.html`), 'utf8');
    assert.ok(html.includes(ja), `${page}.html says what the product is`);
    assert.doesNotMatch(html, /塗り薬|医薬品ではなく/, `${page}.html`);
  }
  assert.doesNotMatch(V2.text.ja, /塗り薬/);
});

test('the current consent text and its change summary pass the ad checker', () => {
  for (const text of [V2.text.ja, V2.text.en, V2.changes.ja, V2.changes.en]) {
    const r = cli(['adcheck', '--input', 'text', '-'], text);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  }
});
