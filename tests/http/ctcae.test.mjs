// CTCAE v5.0 over HTTP: staff search the whole NCI catalogue (NCI CTCAE v5.0 (27 Nov 2017), via
// shared/reference/ctcae/ctcae-v5.0.csv) by English, Japanese or MedDRA code and grade with any
// of its terms; the served terms equal the NCI table; an "Other, specify" term records its
// specific event, and a case cannot be exported until that event is coded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { cli, root, startServer } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer, demoStaff } from './client.mjs';
import { jstDate } from './fixtures.mjs';

let server, doctor, pharmacist, admin, patient, lotId;

before(async () => {
  server = await startServer({ demo: true });
  ({ doctor, pharmacist, admin } = await demoStaff(server.url));
  patient = new Client(server.url);
  const s = await patient.signup(signupBody({ email: 'ctcae@patient.example', name: '用語' }));
  patient.id = s.json.user.id;
  const productId = (await doctor.get('/api/v1/products')).json.products[0].id;
  lotId = (await pharmacist.get(`/api/v1/lots?product_id=${productId}`)).json.lots[0].id;
});
after(async () => { await stopServer(server); });

/** RFC 4180 rows of the NCI table (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell.replace(/\r$/, '')); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

const search = (client, q, extra = '') => client.get(`/api/v1/ctcae/terms?q=${encodeURIComponent(q)}${extra}`);

test('staff search the whole catalogue by English, Japanese or MedDRA code; patients are refused', async () => {
  const byName = await search(doctor, 'erythema multiforme');
  assert.equal(byName.status, 200, byName.text);
  const em = byName.json.terms[0];
  assert.equal(em.code, 'erythema_multiforme');
  assert.equal(em.meddra_code, '10015218');
  assert.equal(em.name_ja, null, 'no Japanese known outside the common terms');
  assert.equal(em.common, false);
  assert.equal(em.soc.en, 'Skin and subcutaneous tissue disorders');
  assert.deepEqual(em.grades.map((g) => g.grade), [1, 2, 3, 4, 5]);
  assert.match(em.definition, /target lesions/i);

  // Case and width do not matter (NFKC); a MedDRA code matches exactly.
  assert.equal((await search(pharmacist, 'ＥＲＹＴＨＥＭＡ ＭＵＬＴＩＦＯＲＭＥ')).json.terms[0].code, 'erythema_multiforme');
  const byCode = await search(admin, '10002218');
  assert.deepEqual(byCode.json.terms.map((t) => t.code), ['anaphylaxis']);
  assert.equal(byCode.json.total, 1);
  const ja = await search(doctor, 'そう痒');
  assert.equal(ja.json.terms[0].code, 'pruritus');
  assert.equal(ja.json.terms[0].name_ja, 'そう痒症');
  assert.equal(ja.json.terms[0].grades[0].ja, '軽度または限局性;局所的治療を要する', 'JCOG wording');
  assert.equal(ja.json.terms[0].grades[0].ja_source, 'jcog');
  assert.equal(ja.json.terms[0].grades[2].ja_source, 'clinic');

  // A grade NCI marks " -" is not offered (Eosinophilia: grades 1 and 3 only).
  const eos = (await search(doctor, 'Eosinophilia')).json.terms[0];
  assert.deepEqual(eos.grades.map((g) => g.grade), [1, 3]);
  assert.ok(eos.grades.every((g) => g.en.trim() !== '-'));

  // The count is limited and the total says how many matched.
  const many = await search(doctor, 'a', '&limit=5');
  assert.equal(many.json.terms.length, 5);
  assert.ok(many.json.total > 5);
  assertError(await search(doctor, 'a', '&limit=500'), 400, 'invalid_field', 'limit');
  assertError(await search(doctor, '   '), 400, 'invalid_field', 'q');
  assertError(await search(doctor, 'x'.repeat(101)), 400, 'invalid_field', 'q');
  assert.equal((await search(doctor, 'no such adverse event')).json.total, 0);

  assertError(await search(patient, 'anaphylaxis'), 403, 'forbidden');
  assertError(await new Client(server.url).get('/api/v1/ctcae/terms?q=rash'), 401, 'unauthenticated');

  // Without q: the clinic's common terms, as before.
  const common = (await doctor.get('/api/v1/ctcae/terms')).json.terms;
  assert.ok(common.length >= 12 && common.every((t) => t.common));
  assert.equal(common.find((t) => t.code === 'rash_acneiform').meddra_code, '10037847');
});

test('every served term equals the NCI CTCAE v5.0 table', async () => {
  const path = ['../shared/reference', '../../shared/reference'].map((p) => `${root}/${p}/ctcae/ctcae-v5.0.csv`)
    .find((p) => { try { readFileSync(p); return true; } catch { return false; } }) ?? `${root}/data/ctcae/ctcae-v5.0.csv`;
  const rows = parseCsv(readFileSync(path, 'utf8')).slice(1);
  assert.equal(rows.length, 837);
  for (const [code, soc, name, ...rest] of rows) {
    const found = await search(doctor, code);
    assert.equal(found.status, 200, `${code}: ${found.text}`);
    const term = found.json.terms[0];
    assert.equal(term?.name_en, name, code);
    assert.equal(term.soc.en, soc, name);
    const want = rest.slice(0, 5).map((text, i) => ({ grade: i + 1, en: text.replace(/\r\n/g, '\n') })).filter((g) => g.en !== ' -');
    assert.deepEqual(term.grades.map((g) => ({ grade: g.grade, en: g.en })), want, name);
  }
});

/** A report for the patient by staff, returning its id. */
async function staffReport() {
  const r = await doctor.post('/api/v1/adverse-events', { patient_id: patient.id, symptoms: ['redness'], description: '赤み', onset_date: jstDate(-1), ongoing: true, severity: 'mild' });
  assert.equal(r.status, 201, r.text);
  return r.json.report.id;
}
const assess = (id, terms) => doctor.post(`/api/v1/adverse-events/${id}/assessments`, { terms, outcome: 'recovering', causality: 'possible', lot_ids: [lotId] });

test('a catalogue term is graded with its own grades', async () => {
  const id = await staffReport();
  const ok = await assess(id, [{ code: 'erythema_multiforme', grade: 2 }]);
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(ok.json.assessment.terms, [{ code: 'erythema_multiforme', grade: 2 }]);
  assertError(await assess(id, [{ code: 'eosinophilia', grade: 2 }]), 400, 'invalid_field', 'terms');
  const e2b = await doctor.get(`/api/v1/adverse-events/${id}/e2b`);
  assert.equal(e2b.status, 200, e2b.text);
  assert.match(e2b.text, /code="10015218"/);
});

test('an "Other, specify" term records its specific event and is not exported until it is coded', async () => {
  const id = await staffReport();
  const before = (await doctor.get(`/api/v1/adverse-events/${id}`)).json.assessments.length;
  // The specific event is required with the term, and only with such a term.
  const none = await assess(id, [{ code: 'skin_other', grade: 1 }]);
  assertError(none, 400, 'invalid_field', 'terms');
  assert.match(none.json.error.message, /具体的な事象名|specific event/);
  assertError(await assess(id, [{ code: 'pruritus', grade: 1, specify_text: 'x' }]), 400, 'invalid_field', 'terms');
  assertError(await assess(id, [{ code: 'skin_other', grade: 1, specify_text: 'x'.repeat(201) }]), 400, 'invalid_field', 'terms');
  const badCode = await assess(id, [{ code: 'skin_other', grade: 1, specify_text: '紅斑', specify_meddra_code: '1234' }]);
  assertError(badCode, 400, 'invalid_field', 'terms');
  assert.match(badCode.json.error.message, /8/);
  assert.equal((await doctor.get(`/api/v1/adverse-events/${id}`)).json.assessments.length, before, 'nothing stored');

  // Text first (NFKC-normalised), the MedDRA code later: export waits for the code.
  const textOnly = await assess(id, [{ code: 'skin_other', grade: 1, specify_text: ' 紅斑 / ＥＲＹＴＨＥＭＡ ' }]);
  assert.equal(textOnly.status, 201, textOnly.text);
  assert.deepEqual(textOnly.json.assessment.terms, [{ code: 'skin_other', grade: 1, specify_text: '紅斑 / ERYTHEMA' }]);
  for (const format of ['fhir', 'e2b']) {
    const refused = await doctor.get(`/api/v1/adverse-events/${id}/${format}`);
    assertError(refused, 409, 'export_refused');
    assert.match(refused.json.error.reason, /Skin and subcutaneous tissue disorders - Other, specify \(skin_other\)/);
    assert.match(refused.json.error.reason, /MedDRA/);
  }
  const viaCli = cli(['export', 'e2b', '--db', server.db, '--case', String(id), '--data', `${root}/data`]);
  assert.notEqual(viaCli.status, 0);
  assert.match(viaCli.stderr, /Other, specify/);

  // A catalogue "Other, specify" term works the same way, and once coded the case exports.
  const coded = await assess(id, [{ code: 'skin_other', grade: 1, specify_text: '紅斑 / erythema', specify_meddra_code: '10015150' },
    { code: 'immune_system_disorders_other_specify', grade: 2, specify_text: 'angioedema', specify_meddra_code: '10002424' }]);
  assert.equal(coded.status, 201, coded.text);
  const e2b = await doctor.get(`/api/v1/adverse-events/${id}/e2b`);
  assert.equal(e2b.status, 200, e2b.text);
  assert.match(e2b.text, /code="10015150"/);
  assert.match(e2b.text, /code="10002424"/);
  assert.match(e2b.text, /Skin and subcutaneous tissue disorders - Other, specify: 紅斑 \/ erythema/);
  assert.doesNotMatch(e2b.text, /code="10040785"/, 'the SOC-level Other, specify code is not reported as the reaction');
  const fhir = await doctor.get(`/api/v1/adverse-events/${id}/fhir`);
  assert.equal(fhir.status, 200, fhir.text);
  assert.match(fhir.text, /10015150/);
});
