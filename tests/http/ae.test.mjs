// Adverse events over HTTP: a patient reports from an order, staff assess in versions with
// CTCAE terms, serious cases get due dates and top the triage queue, a cluster on a lot raises
// an alert and quarantines it, signals are computed from the stored cases, and bad input
// changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { cli, root, startServer, sql } from '../lib/server.mjs';
import { Client, assertError, counts, signupBody, stopServer, demoStaff, demoProductLot } from './client.mjs';
import { cleanAnswers, holdCall, jstDate, QUESTIONNAIRE_VERSION } from './fixtures.mjs';

let server, pharmacist, doctor, admin, productId, lotId;
let seq = 0;
const count = (table, where = '1 = 1') => Number(sql(server.db, `SELECT count(*) FROM ${table} WHERE ${where};`));
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

before(async () => {
  server = await startServer({ demo: true });
  ({ pharmacist, doctor, admin } = await demoStaff(server.url));
  ({ productId, lotId } = await demoProductLot({ doctor, pharmacist }));
});
after(async () => { await stopServer(server); });

/** A patient who received one unit of the demo lot; returns the client with .orderId. */
async function treatedPatient() {
  seq += 1;
  const p = new Client(server.url);
  const s = await p.signup(signupBody({ email: `ae${seq}@patient.example`, name: `有害${seq}` }));
  p.id = s.json.user.id;
  const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
  const c = (await p.get('/api/v1/consent')).json.consent;
  await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja });
  await holdCall(admin, p);
  const approved = await doctor.post(`/api/v1/patients/${p.id}/decision`, { response_id: q.json.response.id, decision: 'approved', notes: 'ok', product_id: productId, quantity: 1, directions: 'd', valid_until: jstDate(30) });
  assert.equal(approved.status, 201, approved.text);
  const o = (await p.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' })).json.order;
  await admin.post(`/api/v1/orders/${o.id}/payment`, { reference: 'r' });
  const d = await pharmacist.post(`/api/v1/orders/${o.id}/dispense`, {});
  assert.equal(d.status, 200, d.text);
  p.orderId = o.id;
  return p;
}

const report = (p, body = {}, opts = {}) => p.post('/api/v1/adverse-events', { order_id: p.orderId, symptoms: ['itching', 'redness'], description: '塗ったところがかゆくて赤い', onset_date: jstDate(0), ongoing: true, severity: 'moderate', ...body }, opts);
const assessment = (body = {}) => ({ terms: [{ code: 'pruritus', grade: 2 }], outcome: 'recovering', causality: 'probable', lot_ids: [lotId], narrative: 'n', ...body });

test('a case exports as a FHIR R4 Bundle and an ICH E2B(R3) ICSR, by API and CLI', async () => {
  const p = await treatedPatient();
  const id = (await report(p, { description: '<b>かゆみ</b> & "赤み"' })).json.report.id;
  assertError(await doctor.get(`/api/v1/adverse-events/${id}/fhir`), 409, 'export_refused');
  await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ narrative: '塗布部位のそう痒' }));
  const fhir = await doctor.get(`/api/v1/adverse-events/${id}/fhir`);
  assert.equal(fhir.status, 200, fhir.text);
  assert.match(fhir.headers.get('content-type'), /fhir\+json/);
  const bundle = JSON.parse(fhir.text);
  assert.equal(bundle.resourceType, 'Bundle');
  const types = bundle.entry.map((e) => e.resource.resourceType).sort();
  for (const t of ['AdverseEvent', 'Medication', 'Patient', 'QuestionnaireResponse']) assert.ok(types.includes(t), `${t} in ${types}`);
  const ae = bundle.entry.find((e) => e.resource.resourceType === 'AdverseEvent').resource;
  assert.equal(ae.actuality, 'actual');
  const med = bundle.entry.find((e) => e.resource.resourceType === 'Medication').resource;
  assert.equal(med.batch.lotNumber, sql(server.db, `SELECT lot_number FROM lots WHERE id = ${lotId};`));
  assert.doesNotMatch(fhir.text, /有害\d+/, 'no patient name in the export');

  const e2b = await pharmacist.get(`/api/v1/adverse-events/${id}/e2b`);
  assert.equal(e2b.status, 200, e2b.text);
  assert.match(e2b.text, /^<\?xml/);
  assert.match(e2b.text, /PORR_IN049016UV/);
  assert.ok(e2b.text.includes('&lt;b&gt;かゆみ&lt;/b&gt; &amp; &quot;赤み&quot;'), 'narrative escaped');
  const wellFormed = spawnSync('/usr/bin/python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())'], { input: e2b.text });
  assert.equal(wellFormed.status, 0, String(wellFormed.stderr));
  assertError(await p.get(`/api/v1/adverse-events/${id}/e2b`), 403, 'forbidden');
  assert.ok(count('audit_log', `action = 'ae.export.e2b'`) >= 1);

  const viaCli = cli(['export', 'fhir', '--db', server.db, '--case', String(id), '--data', `${root}/data`]);
  assert.equal(viaCli.status, 0, viaCli.stderr);
  assert.equal(JSON.parse(viaCli.stdout).resourceType, 'Bundle');
  const xml = cli(['export', 'e2b', '--db', server.db, '--case', String(id), '--data', `${root}/data`]);
  assert.equal(xml.status, 0, xml.stderr);
  assert.notEqual(cli(['export', 'e2b', '--db', server.db, '--case', '999999', '--data', `${root}/data`]).status, 0);
  assert.notEqual(cli(['export', 'pdf', '--db', server.db, '--case', String(id)]).status, 0);
});

test('the PMDA form (医薬品安全性情報報告書): staff only, only once a doctor has assessed, audited', async () => {
  const p = await treatedPatient();
  const id = (await report(p, { description: '<b>かゆみ</b> & "赤み"', onset_date: jstDate(0) })).json.report.id;
  const url = `/api/v1/adverse-events/${id}/pmda-form`;
  const audits = () => count('audit_log', `action = 'ae.export.pmda' AND object = 'ae:${id}'`);
  // Not assessed yet: refused with a message that says what to do; nothing audited.
  const early = await doctor.get(url);
  assertError(early, 409, 'not_assessed');
  assert.match(early.json.error.message, /医師が因果関係を評価/);
  // A pharmacist's assessment is not a doctor's causality assessment.
  await pharmacist.post(`/api/v1/adverse-events/${id}/assessments`, assessment());
  assertError(await doctor.get(url), 409, 'needs_doctor_assessment');
  assert.equal(audits(), 0);
  const file = await doctor.get(`/api/v1/adverse-events/${id}`);
  assert.equal(file.json.assessments[0].assessor_role, 'pharmacist');
  // Staff see the patient's phone on the case, to call about the event.
  assert.equal(file.json.report.patient_phone, '090-1234-5678');

  // Not serious: a serious case here would count towards the demo lot's cluster alert, which the
  // tests below rely on (the criteria mapping is covered by tests/unit/test_pmda_report.c).
  await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ treatment: '使用中止', narrative: '塗布部位のそう痒' }));
  for (const who of [doctor, pharmacist, admin]) {
    const r = await who.get(url);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
    assert.match(r.headers.get('content-security-policy'), /default-src 'none'; style-src 'unsafe-inline'/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.match(r.text, /<h1>医薬品安全性情報報告書<\/h1>/);
    assert.match(r.text, /@page \{ size: A4;/);
  }
  assert.equal(audits(), 3, 'each read of the form is audited');
  const html = (await doctor.get(url)).text;
  const field = (name) => html.match(new RegExp(`data-field="${name}"(?: data-value="([^"]*)")?>([^<]*)<`))?.slice(1);
  assert.deepEqual(field('patient_initials'), [undefined, 'Y.H.'], 'Latin initials of ヤマダ ハナコ');
  assert.equal(field('sex')[0], '女');
  const years = Number(field('age_at_onset')[0]);
  const [by, bm, bd] = [1985, 4, 1];
  const [oy, om, od] = jstDate(-2).split('-').map(Number);
  assert.equal(years, oy - by - (om < bm || (om === bm && od < bd) ? 1 : 0), 'age at onset from the birth date');
  assert.equal(field('onset_date')[0], jstDate(0));
  assert.equal(field('seriousness')[0], '非重篤');
  assert.equal(field('seriousness_criteria')[0], '');
  assert.equal(field('outcome')[0], '軽快');
  assert.equal(field('causality')[0], 'probable');
  assert.equal(field('lot_numbers')[1], sql(server.db, `SELECT lot_number FROM lots WHERE id = ${lotId};`));
  assert.equal(field('suspect_product')[1], sql(server.db, `SELECT name_ja FROM products WHERE id = ${productId};`));
  assert.equal(field('reporter_name')[1], sql(server.db, `SELECT name FROM users WHERE email = 'doctor@clinic.example';`));
  assert.equal(field('reporter_profession')[0], '医師');
  assert.equal(field('report_date')[0], jstDate(0));
  assert.deepEqual(field('height'), [undefined, ''], 'height is not held: blank');
  assert.ok(html.includes('&lt;b&gt;かゆみ&lt;/b&gt; &amp; &quot;赤み&quot;'), 'narrative escaped');
  assert.doesNotMatch(html, /<script/);
  assert.doesNotMatch(html, /有害\d+/, 'no patient name on the form');
  assert.match(html, /exosafe はこの報告書を PMDA（独立行政法人医薬品医療機器総合機構）へ送信しません/);

  assertError(await p.get(url), 403, 'forbidden');
  assertError(await doctor.get('/api/v1/adverse-events/999999/pmda-form'), 404, 'not_found');
  assertError(await new Client(server.url).get(url), 401, 'unauthenticated');
  assert.equal(audits(), 4, 'refusals are not audited as reads');
});

test('a patient reports; staff assess in versions; serious cases get due dates and lead the queue', async () => {
  const p = await treatedPatient();
  const r = await report(p);
  assert.equal(r.status, 201, r.text);
  const id = r.json.report.id;
  assert.equal((await p.request('POST', `/api/v1/adverse-events/${id}/photo`, { body: PNG, type: 'image/png' })).status, 200);
  assertError(await p.request('POST', `/api/v1/adverse-events/${id}/photo`, { body: Buffer.from('not an image'), type: 'image/png' }), 415, 'unsupported_media_type');
  const photoReads = () => Number(sql(server.db, `SELECT count(*) FROM audit_log WHERE action = 'ae.photo.read' AND detail = 'report ${id}';`));
  const photo = await p.get(`/api/v1/adverse-events/${id}/photo`);
  assert.equal(photo.headers.get('content-type'), 'image/png');
  assert.equal(photoReads(), 1, 'a photo read is audited (issue 16)');
  assert.equal((await doctor.get(`/api/v1/adverse-events/${id}/photo`)).status, 200);
  assert.equal(photoReads(), 2);

  const file = await doctor.get(`/api/v1/adverse-events/${id}`);
  assert.equal(file.status, 200);
  assert.deepEqual(file.json.dispensed_lots.map((l) => l.lot_id), [lotId], 'suspected lot pre-filled from the dispenses');
  const v1 = await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment());
  assert.equal(v1.status, 201, v1.text);
  assert.equal(v1.json.assessment.version, 1);
  assert.equal(v1.json.assessment.serious, false);
  assert.equal(v1.json.assessment.outcome_date, null, 'no outcome date: null, not ""');
  const v2 = await pharmacist.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ terms: [{ code: 'allergic_reaction', grade: 3 }], hospitalization: true, outcome: 'recovered', outcome_date: jstDate(0) }));
  assert.equal(v2.status, 201, v2.text);
  assert.equal(v2.json.assessment.version, 2);
  assert.equal(v2.json.assessment.serious, true);
  assert.equal(v2.json.assessment.due_date, jstDate(15));
  assert.equal((await doctor.get(`/api/v1/adverse-events/${id}`)).json.assessments.length, 2, 'every version kept');
  assert.throws(() => sql(server.db, `UPDATE ae_assessments SET outcome = 'unknown' WHERE report_id = ${id};`), /versions/);

  const other = await treatedPatient();
  await report(other, { severity: 'mild', symptoms: ['fatigue'] });
  const queue = await doctor.get('/api/v1/adverse-events');
  assert.equal(queue.json.reports[0].id, id, 'the serious case comes first');
  assert.equal(queue.json.reports[0].due_date, jstDate(15));
  const mine = await p.get('/api/v1/adverse-events');
  assert.deepEqual(mine.json.reports.map((x) => x.id), [id], 'patients see their own only');
  assert.equal(mine.json.reports[0].serious, undefined);
  assertError(await other.get(`/api/v1/adverse-events/${id}`), 404, 'not_found');
  assertError(await p.post(`/api/v1/adverse-events/${id}/assessments`, assessment()), 403, 'forbidden');
});

test('bad reports and assessments are refused and change nothing', async () => {
  const p = await treatedPatient();
  const stranger = await treatedPatient();
  const before = count('ae_reports');
  assertError(await report(p, { order_id: stranger.orderId }), 404, 'not_found');
  assertError(await report(p, { symptoms: ['dizziness'] }), 400, 'invalid_field', 'symptoms');
  assertError(await report(p, { symptoms: [] }), 400, 'invalid_field', 'symptoms');
  // An onset after today, or before the order's units were dispensed (today, in this
  // fixture), cannot be: refused with a message that says which.
  const future = await report(p, { onset_date: jstDate(1) }, { lang: 'en' });
  assertError(future, 400, 'invalid_field', 'onset_date');
  assert.match(future.json.error.message, /after today/);
  assertError(await report(p, { onset_date: jstDate(3) }), 400, 'invalid_field', 'onset_date');
  const early = await report(p, { onset_date: jstDate(-1) }, { lang: 'en' });
  assertError(early, 400, 'invalid_field', 'onset_date');
  assert.match(early.json.error.message, /before the product/);
  const earlyJa = await report(p, { onset_date: jstDate(-30) });
  assert.match(earlyJa.json.error.message, /受け取る/);
  // Staff naming the order are held to the same dates (without an order, pre-existing
  // symptoms can be recorded: see the CTCAE suite).
  assertError(await doctor.post('/api/v1/adverse-events', { patient_id: p.id, order_id: p.orderId, symptoms: ['fever'], onset_date: jstDate(-30), ongoing: false, severity: 'mild' }), 400, 'invalid_field', 'onset_date');

  assertError(await report(p, { severity: 'terrible' }), 400, 'invalid_field', 'severity');
  assertError(await report(p, { ongoing: 'yes' }), 400, 'invalid_field', 'ongoing');
  assertError(await doctor.post('/api/v1/adverse-events', { symptoms: ['fever'], onset_date: jstDate(-1), ongoing: false, severity: 'mild' }), 400, 'missing_field', 'patient_id');
  // A symptom listed twice.
  const tables = ['ae_reports', 'ae_assessments', 'ae_suspect_lots', 'ae_lot_alerts', 'lot_transitions', 'audit_log'];
  const untouched = counts(server.db, tables);
  const dup = await report(p, { symptoms: ['itching', 'redness', 'itching'] });
  assertError(dup, 400, 'invalid_field', 'symptoms');
  assert.match(dup.json.error.message, /重複/);
  assert.deepEqual(counts(server.db, tables), untouched);
  assert.equal(count('ae_reports'), before);

  const id = (await report(p)).json.report.id;
  const versions = () => count('ae_assessments', `report_id = ${id}`);
  assertError(await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ terms: [{ code: 'pruritus', grade: 4 }] })), 400, 'invalid_field', 'terms');
  assertError(await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ terms: [{ code: 'itchiness', grade: 1 }] })), 400, 'invalid_field', 'terms');
  assertError(await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ outcome: 'fatal', death: true })), 400, 'invalid_field', 'outcome_date');
  assertError(await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ terms: [{ code: 'anaphylaxis', grade: 5 }], outcome: 'recovered' })), 400, 'invalid_field', 'death');
  assertError(await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ causality: 'maybe' })), 400, 'invalid_field', 'causality');
  assertError(await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ lot_ids: [999999] })), 400, 'invalid_field', 'lot_ids');
  // A term or a lot listed twice: one reaction five times (what an E2B export listed), the
  // same term with two grades, the same lot twice.
  const reported = counts(server.db, tables);
  const five = Array.from({ length: 5 }, () => ({ code: 'pruritus', grade: 2 }));
  assertError(await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ terms: five })), 400, 'invalid_field', 'terms');
  const twoGrades = await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ terms: [{ code: 'pruritus', grade: 1 }, { code: 'pruritus', grade: 2 }] }), { lang: 'en' });
  assertError(twoGrades, 400, 'invalid_field', 'terms');
  assert.match(twoGrades.json.error.message, /listed more than once/);
  assertError(await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ lot_ids: [lotId, lotId] })), 400, 'invalid_field', 'lot_ids');
  assert.deepEqual(counts(server.db, tables), reported);
  assertError(await doctor.post('/api/v1/adverse-events/999999/assessments', assessment()), 404, 'not_found');
  assert.equal(versions(), 0);
  const fatal = await doctor.post(`/api/v1/adverse-events/${id}/assessments`, assessment({ terms: [{ code: 'anaphylaxis', grade: 5 }], death: true, outcome: 'fatal', outcome_date: jstDate(0) }));
  assert.equal(fatal.status, 201, fatal.text);
  assert.equal(fatal.json.assessment.due_date, jstDate(7));
});

test('serious events cluster on a lot: an alert quarantines it; signals come from the stored cases', async () => {
  // Earlier tests left serious cases on the demo lot; the threshold is 2.
  const alerts = await pharmacist.get('/api/v1/ae-lot-alerts');
  const alert = alerts.json.alerts.find((a) => a.lot_id === lotId && a.rule === 'serious-count');
  assert.ok(alert, JSON.stringify(alerts.json));
  assert.equal(alert.quarantined, true);
  assert.equal(sql(server.db, `SELECT status FROM lots WHERE id = ${lotId};`), 'quarantine');
  assert.match(sql(server.db, `SELECT reason FROM lot_transitions WHERE lot_id = ${lotId} ORDER BY id DESC LIMIT 1;`), /safety signal/);

  const signals = await doctor.get('/api/v1/signals?by=product&min_count=1');
  assert.equal(signals.status, 200, signals.text);
  assert.ok(signals.json.signals.some((s) => s.item === 'EXO-CREAM-M' && s.event === 'anaphylaxis'));
  assert.equal(signals.json.prior, 'default', 'too few pairs to fit the prior');
  assert.ok(signals.json.signals.every((s) => s.ebgm > 0.05), 'EBGM does not collapse on small data');
  const byLot = await doctor.get('/api/v1/signals?by=lot&min_count=1');
  assert.equal(byLot.json.by, 'lot');
  assert.ok(byLot.json.signals.some((s) => s.product === 'EXO-CREAM-M' && s.event === 'anaphylaxis' && s.item !== 'EXO-CREAM-M'),
    'by lot, each lot carries its product');
  assertError(await doctor.get('/api/v1/signals?by=patient'), 400, 'invalid_field', 'by');
  const fromCli = cli(['signals', '--db', server.db, '--min-count', '1', '--format', 'json']);
  assert.equal(fromCli.status, 0, fromCli.stderr);
  assert.match(fromCli.stdout, /anaphylaxis/);
  // One computation: the API and the CLI over the same database choose the same prior and give
  // the same figures for every pair.
  const cliDoc = JSON.parse(fromCli.stdout);
  assert.equal(cliDoc.mgps_prior.source, 'default');
  assert.match(fromCli.stderr, /MGPS prior default/);
  assert.equal(signals.json.mgps_prior.source, 'default');
  for (const k of ['alpha1', 'beta1', 'alpha2', 'beta2', 'p', 'log_likelihood']) {
    assert.ok(Math.abs(signals.json.mgps_prior[k] - cliDoc.mgps_prior[k]) <= 1e-9 * Math.abs(cliDoc.mgps_prior[k]), `prior ${k}`);
  }
  assert.equal(cliDoc.signals.length, signals.json.signals.length);
  for (const c of cliDoc.signals) {
    const a = signals.json.signals.find((x) => x.item === c.product && x.event === c.event);
    assert.ok(a, `the API lists ${c.product} × ${c.event}`);
    for (const k of ['a', 'b', 'c', 'd']) assert.equal(a[k], c[k], `${c.event} ${k}`);
    for (const k of ['expected', 'prr', 'ror', 'ic', 'ebgm', 'eb05', 'eb95']) {
      if (c[k] === null) { assert.equal(a[k], null, `${c.event} ${k}`); continue; }
      assert.ok(Math.abs(a[k] - c[k]) <= 1e-9 * Math.abs(c[k]) + 1e-12, `${c.event} ${k}: API ${a[k]}, CLI ${c[k]}`);
    }
  }
  const byLotCli = cli(['signals', '--db', server.db, '--by', 'lot', '--min-count', '1']);
  assert.equal(byLotCli.status, 0, byLotCli.stderr);
  assert.match(byLotCli.stdout, /^product,lot,event,a,/);
  assert.match(byLotCli.stdout, /^EXO-CREAM-M,[^,]+,anaphylaxis,\d+,/m, 'product and lot in their own columns');
  const terms = await doctor.get('/api/v1/ctcae/terms');
  assert.ok(terms.json.terms.find((t) => t.code === 'anaphylaxis').grades.every((g) => g.grade >= 3));
});
