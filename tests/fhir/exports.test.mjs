// Every FHIR resource and E2B file exosafe emits, checked by outside references:
//  - FHIR R4 (AdverseEvent bundle, Questionnaire, QuestionnaireResponse, Consent; API and
//    CLI) by @medplum/core's validator and the code checks of validator.mjs;
//  - E2B(R3) by check_icsr.py against the FDA's data-element table and scenario 6.
// Each checker is first shown to reject a bad document, so that a pass means something.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { cli, root, sql, startServer } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer, demoStaff, demoProductLot } from '../http/client.mjs';
import { cleanAnswers, holdCall, jstDate, QUESTIONNAIRE_VERSION } from '../http/fixtures.mjs';
import { assertValidFhir, codeProblems, referenceDir, validateFhir } from './validator.mjs';

const reference = referenceDir(); // throws when the FDA and CTCAE tables are missing: never skipped
let server, pharmacist, doctor, admin, productId, lotId, work;
let seq = 0;
const count = (table, where = '1 = 1') => Number(sql(server.db, `SELECT count(*) FROM ${table} WHERE ${where};`));

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'exosafe-fhir-'));
  server = await startServer({ demo: true });
  ({ pharmacist, doctor, admin } = await demoStaff(server.url));
  ({ productId, lotId } = await demoProductLot({ doctor, pharmacist }));
});
after(async () => {
  await stopServer(server);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A patient with answers and consent who received one unit of the demo lot. */
async function treatedPatient(answers = cleanAnswers()) {
  seq += 1;
  const p = new Client(server.url);
  const s = await p.signup(signupBody({ email: `fhir${seq}@patient.example`, name: `連携${seq}` }));
  p.id = s.json.user.id;
  const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers });
  assert.equal(q.status, 201, q.text);
  const c = (await p.get('/api/v1/consent')).json.consent;
  p.consentSha = c.sha256.ja;
  await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja });
  await holdCall(admin, p);
  await doctor.post(`/api/v1/patients/${p.id}/decision`, { response_id: q.json.response.id, decision: 'approved', notes: 'ok', product_id: productId, quantity: 1, directions: 'd', valid_until: jstDate(30), override_reason: 'checked on the call' });
  const o = (await p.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' })).json.order;
  await admin.post(`/api/v1/orders/${o.id}/payment`, { reference: 'r' });
  assert.equal((await pharmacist.post(`/api/v1/orders/${o.id}/dispense`, {})).status, 200);
  p.orderId = o.id;
  return p;
}

async function assessedCase(assessment) {
  const p = await treatedPatient();
  const r = await p.post('/api/v1/adverse-events', { order_id: p.orderId, symptoms: ['itching'], description: '塗ったところがかゆい', onset_date: jstDate(0), ongoing: false, severity: 'moderate' });
  const id = r.json.report.id;
  const a = await doctor.post(`/api/v1/adverse-events/${id}/assessments`, { terms: [{ code: 'pruritus', grade: 2 }], outcome: 'recovering', causality: 'probable', lot_ids: [lotId], narrative: '塗布部位のそう痒', ...assessment });
  assert.equal(a.status, 201, a.text);
  return id;
}

function checkIcsr(...files) {
  return spawnSync('/usr/bin/python3', [join(root, 'tests', 'fhir', 'check_icsr.py'), join(reference, 'e2b-fda'), ...files], { encoding: 'utf8' });
}

test('the checkers reject what is wrong: validator, code checks, E2B table', () => {
  const ok = { resourceType: 'AdverseEvent', actuality: 'actual', subject: { reference: 'Patient/1' }, seriousness: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adverse-event-seriousness', code: 'Serious' }] } };
  assertValidFhir(ok);
  // A missing required element, an unknown property, a malformed date.
  assert.throws(() => validateFhir({ ...ok, subject: undefined }), /AdverseEvent\.subject/);
  assert.throws(() => validateFhir({ ...ok, seriously: true }), /seriously/);
  assert.throws(() => validateFhir({ resourceType: 'Consent', status: 'active', category: [{ text: 'x' }], patient: { reference: 'Patient/1' } }), /Consent\.scope/);
  assert.throws(() => validateFhir({ resourceType: 'Patient', birthDate: '2020-13-45' }), /birthDate/);
  // The seriousness code system is case-sensitive; required bindings hold their codes.
  assert.match(codeProblems({ ...ok, seriousness: { coding: [{ system: ok.seriousness.coding[0].system, code: 'serious' }] } }).join(), /"serious" is not a code of/);
  assert.match(codeProblems({ ...ok, actuality: 'Actual' }).join(), /adverse-event-actuality/);
  assert.match(codeProblems({ resourceType: 'Questionnaire', status: 'active', item: [{ linkId: 'a', type: 'bool' }] }).join(), /item-type/);
  assert.match(codeProblems({ resourceType: 'Patient', gender: 'male', name: [{ use: 'alias' }] }).join(), /name-use/);
  assert.match(codeProblems({ ...ok, event: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/mdr', code: '99999999' }] } }).join(), /not a code of .*mdr/);
  assert.match(codeProblems({ ...ok, event: { coding: [{ system: 'http://example.org/unknown', code: 'x' }] } }).join(), /not one the checks know/);

  // The E2B checker passes the FDA's own example and fails a file with what exosafe wrote before.
  const scenario6 = join(reference, 'e2b-fda', 'FAERS2022Scenario6.xml');
  assert.equal(checkIcsr(scenario6).status, 0, checkIcsr(scenario6).stdout);
  const doc = readFileSync(scenario6, 'utf8');
  const broken = join(work, 'broken.xml');
  writeFileSync(broken, doc
    .replace('<productInstanceInstance classCode="MMAT" determinerCode="INSTANCE">', '<productInstanceInstance classCode="MMAT" determinerCode="INSTANCE"><id nullFlavor="NI"/>')
    .replace(/(<value xsi:type="CE" code=")10027940(" codeSystem="2\.16\.840\.1\.113883\.6\.163" codeSystemVersion=")12\.0"/, '$1$2"')
    .replace(/<code code="1" codeSystem="2\.16\.840\.1\.113883\.3\.989\.2\.1\.1\.1"\/>/, '<code code="ichicsr" codeSystem="2.16.840.1.113883.3.989.2.1.1.1"/>')
    .replace('<name>Drug A</name>', `<name>${'x'.repeat(251)}</name>`));
  const r = checkIcsr(broken);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stdout, /not in the FDA example instance .*productInstanceInstance\/id/);
  assert.match(r.stdout, /E\.i\.2\.1b .*required, missing|E\.i\.2\.1a .*not N\.N/);
  assert.match(r.stdout, /G\.k\.2\.2 .*longer than 250/);
  // Missing reference files are an error, not a pass.
  const missing = spawnSync('/usr/bin/python3', [join(root, 'tests', 'fhir', 'check_icsr.py'), work, broken], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
});

test('an adverse-event case: FHIR Bundle and E2B ICSR pass the outside checks (API and CLI)', async () => {
  const cases = [
    await assessedCase({}),
    await assessedCase({ terms: [{ code: 'anaphylaxis', grade: 4 }, { code: 'urticaria', grade: 2 }], outcome: 'recovered', outcome_date: jstDate(-1), causality: 'possible', life_threatening: true, hospitalization: true }),
  ];
  for (const id of cases) {
    const fhir = await doctor.get(`/api/v1/adverse-events/${id}/fhir`);
    assert.equal(fhir.status, 200, fhir.text);
    const bundle = JSON.parse(fhir.text);
    assertValidFhir(bundle);
    const ae = bundle.entry.find((e) => e.resource.resourceType === 'AdverseEvent').resource;
    assert.ok(['Serious', 'Non-serious'].includes(ae.seriousness.coding[0].code));
    const meddra = ae.event.coding.find((c) => c.system === 'http://terminology.hl7.org/CodeSystem/mdr');
    assert.equal(meddra.version, '28.1', 'the MedDRA version setting, not CTCAE 20.1');

    const e2b = await pharmacist.get(`/api/v1/adverse-events/${id}/e2b`);
    assert.equal(e2b.status, 200, e2b.text);
    assert.match(e2b.text, /not a PMDA gateway submission/);
    const file = join(work, `case-${id}.xml`);
    writeFileSync(file, e2b.text);
    const r = checkIcsr(file);
    assert.equal(r.status, 0, r.stdout + r.stderr);

    const viaCli = cli(['export', 'fhir', '--db', server.db, '--case', String(id), '--data', `${root}/data`]);
    assert.equal(viaCli.status, 0, viaCli.stderr);
    assertValidFhir(JSON.parse(viaCli.stdout));
  }
  // The MedDRA version comes from the config file or the flag.
  const ini = join(work, 'exosafe.ini');
  writeFileSync(ini, '[pharmacovigilance]\nmeddra_version = 27.1\n');
  const byConfig = cli(['export', 'e2b', '--db', server.db, '--case', String(cases[0]), '--data', `${root}/data`, '--config', ini]);
  assert.equal(byConfig.status, 0, byConfig.stderr);
  assert.match(byConfig.stdout, /codeSystemVersion="27\.1"/);
  assert.match(byConfig.stderr, /not a PMDA gateway submission/);
  const byFlag = cli(['export', 'e2b', '--db', server.db, '--case', String(cases[0]), '--data', `${root}/data`, '--meddra-version', '26.0']);
  assert.match(byFlag.stdout, /codeSystemVersion="26\.0"/);
  assert.equal(cli(['export', 'e2b', '--db', server.db, '--case', String(cases[0]), '--meddra-version', '20']).status, 2);
});

test('every reaction goes out with its NCI MedDRA code; an uncoded "Other, specify" event is refused', async () => {
  // The four terms whose codes were missing before the catalogue was checked against NCI.
  const id = await assessedCase({ terms: [{ code: 'rash_acneiform', grade: 1 }, { code: 'localized_edema', grade: 1 },
    { code: 'edema_face', grade: 1 }, { code: 'skin_other', grade: 1, specify_text: '紅斑 / erythema', specify_meddra_code: '10015150' }] });
  const e2b = await pharmacist.get(`/api/v1/adverse-events/${id}/e2b`);
  assert.equal(e2b.status, 200, e2b.text);
  for (const code of ['10037847', '10062466', '10014222', '10015150']) assert.match(e2b.text, new RegExp(`code="${code}"`));
  const file = join(work, `coded-${id}.xml`);
  writeFileSync(file, e2b.text);
  const checked = checkIcsr(file);
  assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  assertValidFhir(JSON.parse((await doctor.get(`/api/v1/adverse-events/${id}/fhir`)).text));

  // The specific event named but not coded: neither export goes out, and nothing is audited.
  const uncoded = await assessedCase({ terms: [{ code: 'skin_other', grade: 1, specify_text: '紅斑' }] });
  const before = count('audit_log', `action LIKE 'ae.export.%'`);
  for (const format of ['e2b', 'fhir']) {
    const r = await pharmacist.get(`/api/v1/adverse-events/${uncoded}/${format}`);
    assertError(r, 409, 'export_refused');
    assert.match(r.json.error.reason, /Other, specify \(skin_other\).*MedDRA/);
  }
  assert.equal(count('audit_log', `action LIKE 'ae.export.%'`), before, 'nothing exported, nothing audited');
  const viaCli = cli(['export', 'e2b', '--db', server.db, '--case', String(uncoded), '--data', `${root}/data`]);
  assert.equal(viaCli.status, 1);
  assert.match(viaCli.stderr, /code the specific event/);
});

test('the intake as FHIR: Questionnaire, QuestionnaireResponse, Consent (API and CLI) are valid', async () => {
  const p = await treatedPatient(cleanAnswers({ allergy: true, allergy_to: 'そば', allergy_reaction: 'じんましん', skin_site: ['eczema', 'wound'], skin_site_detail: '右手に湿疹', prior_treatment: true, prior_treatment_detail: '美容クリーム', prior_treatment_last: jstDate(-40), prior_treatment_reaction: false }));

  const q = await p.get('/api/v1/questionnaire/fhir');
  assert.equal(q.status, 200, q.text);
  assert.match(q.headers.get('content-type'), /fhir\+json/);
  const questionnaire = JSON.parse(q.text);
  assertValidFhir(questionnaire);
  assert.equal(questionnaire.url, 'https://exosafe.example/Questionnaire/exosome-cream');

  const mine = await p.get('/api/v1/intake/fhir/questionnaire-response');
  assert.equal(mine.status, 200, mine.text);
  const qr = JSON.parse(mine.text);
  assertValidFhir(qr);
  assert.equal(qr.questionnaire, `${questionnaire.url}|${questionnaire.version}`);
  // Every answer belongs to an item of the questionnaire, with the value type of that item.
  const items = new Map(questionnaire.item.map((i) => [i.linkId, i]));
  const valueKey = { boolean: 'valueBoolean', integer: 'valueInteger', string: 'valueString', text: 'valueString', date: 'valueDate', choice: 'valueCoding' };
  for (const it of qr.item) {
    const def = items.get(it.linkId);
    assert.ok(def, `${it.linkId} is a questionnaire item`);
    for (const a of it.answer) {
      assert.deepEqual(Object.keys(a), [valueKey[def.type]], `${it.linkId}: ${JSON.stringify(a)}`);
      if (def.type === 'choice') assert.ok(def.answerOption.some((o) => o.valueCoding.code === a.valueCoding.code), `${it.linkId}: option ${a.valueCoding.code}`);
    }
  }
  assert.equal(qr.item.find((i) => i.linkId === 'prior_treatment_last').answer[0].valueDate, jstDate(-40));

  const myConsent = await p.get('/api/v1/intake/fhir/consent');
  assert.equal(myConsent.status, 200, myConsent.text);
  const consent = JSON.parse(myConsent.text);
  assertValidFhir(consent);
  assert.equal(consent.status, 'active');
  const text = Buffer.from(consent.sourceAttachment.data, 'base64');
  assert.equal(createHash('sha256').update(text).digest('hex'), p.consentSha, 'the exact text accepted');

  // Staff read any patient's, audited; a patient cannot read another's; no data → 404.
  const auditBefore = count('audit_log', `action LIKE 'intake.export.%' AND object = 'patient:${p.id}'`);
  const staffQr = await doctor.get(`/api/v1/patients/${p.id}/fhir/questionnaire-response`);
  assert.equal(staffQr.status, 200, staffQr.text);
  assert.deepEqual(JSON.parse(staffQr.text), qr);
  assert.equal((await pharmacist.get(`/api/v1/patients/${p.id}/fhir/consent`)).status, 200);
  assert.equal(count('audit_log', `action LIKE 'intake.export.%' AND object = 'patient:${p.id}'`), auditBefore + 2);
  assertError(await p.get(`/api/v1/patients/${p.id}/fhir/consent`), 403, 'forbidden');
  assertError(await doctor.get('/api/v1/patients/999999/fhir/consent'), 404, 'not_found');

  // A withdrawn consent is inactive, with the end of its period.
  assert.equal((await p.post('/api/v1/consent/withdraw', {})).status, 200);
  const withdrawn = JSON.parse((await p.get('/api/v1/intake/fhir/consent')).text);
  assertValidFhir(withdrawn);
  assert.equal(withdrawn.status, 'inactive');
  assert.ok(withdrawn.provision.period.end >= withdrawn.provision.period.start);

  // The CLI writes the same resources.
  const cq = cli(['export', 'questionnaire', '--data', `${root}/data`]);
  assert.equal(cq.status, 0, cq.stderr);
  assert.deepEqual(JSON.parse(cq.stdout), questionnaire);
  const cr = cli(['export', 'questionnaire-response', '--db', server.db, '--patient', String(p.id), '--data', `${root}/data`]);
  assert.equal(cr.status, 0, cr.stderr);
  assert.deepEqual(JSON.parse(cr.stdout), qr);
  const cc = cli(['export', 'consent', '--db', server.db, '--patient', String(p.id), '--data', `${root}/data`]);
  assert.equal(cc.status, 0, cc.stderr);
  assertValidFhir(JSON.parse(cc.stdout));
  assert.notEqual(cli(['export', 'consent', '--db', server.db, '--patient', '999999', '--data', `${root}/data`]).status, 0);
  assert.equal(cli(['export', 'questionnaire', '--version', '99', '--data', `${root}/data`]).status, 1);
});
