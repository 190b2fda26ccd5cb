// Intake over HTTP against the real server: slots, bookings (with the concurrency proof),
// questionnaire, consent and the doctor's decision, and every bad input the issue names:
// a clear error and nothing changed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startServer, sql } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer, demoStaff } from './client.mjs';
import { bookSoonCall, cleanAnswers, holdCall, jstDate, QUESTIONNAIRE_VERSION, waitUntil } from './fixtures.mjs';

let server, doctor, admin;
let seq = 0;

async function newPatient(name = '患者') {
  const c = new Client(server.url);
  seq += 1;
  const r = await c.signup(signupBody({ email: `p${seq}.${Date.now()}@patient.example`, name: `${name}${seq}` }));
  assert.equal(r.status, 201, r.text);
  c.id = r.json.user.id;
  return c;
}

const count = (table, where = '1 = 1') => Number(sql(server.db, `SELECT count(*) FROM ${table} WHERE ${where};`));

before(async () => {
  server = await startServer({ demo: true });
  ({ doctor, admin } = await demoStaff(server.url));
});
after(async () => { await stopServer(server); });

describe('publishing slots', () => {
  test('a doctor publishes 10-minute slots; a patient sees them free', async () => {
    const day = jstDate(2);
    const r = await doctor.post('/api/v1/slots', { start: `${day}T10:00:00+09:00`, end: `${day}T11:00:00+09:00` });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.created, 6);
    const p = await newPatient();
    const list = await p.get(`/api/v1/slots?date=${day}`);
    assert.equal(list.status, 200);
    assert.equal(list.json.slots.length, 6);
    assert.equal(list.json.slots[0].starts_at, `${day}T01:00:00Z`, 'stored in UTC');
    assert.equal(list.json.slots[0].duration_minutes, 10);
    assert.equal(list.json.slots[0].booking, undefined, 'patients see no one else');
  });

  test('bad publications change nothing', async () => {
    const day = jstDate(3);
    const before = count('consultation_slots');
    assertError(await doctor.post('/api/v1/slots', { start: `${day}T10:00:00`, end: `${day}T11:00:00+09:00` }), 400, 'invalid_field', 'start');
    assertError(await doctor.post('/api/v1/slots', { start: `${day}T11:00:00+09:00`, end: `${day}T10:00:00+09:00` }), 400, 'invalid_field', 'end');
    assertError(await doctor.post('/api/v1/slots', { start: `${jstDate(-1)}T10:00:00+09:00`, end: `${jstDate(-1)}T11:00:00+09:00` }), 409, 'slot_past');
    assertError(await doctor.post('/api/v1/slots', { start: `${day}T10:00:00+09:00`, end: `${day}T11:00:00+09:00`, slot_minutes: 3 }), 400, 'invalid_field', 'slot_minutes');
    assertError(await admin.post('/api/v1/slots', { start: `${day}T10:00:00+09:00`, end: `${day}T11:00:00+09:00` }), 400, 'missing_field', 'doctor_id');
    assertError(await admin.post('/api/v1/slots', { doctor_id: 1, start: `${day}T10:00:00+09:00`, end: `${day}T11:00:00+09:00` }), 400, 'invalid_field', 'doctor_id');
    const p = await newPatient();
    assertError(await p.post('/api/v1/slots', { start: `${day}T10:00:00+09:00`, end: `${day}T11:00:00+09:00` }), 403, 'forbidden');
    // At most a year ahead (366 days): year 9999 is a typo; so is a year and a few days.
    assertError(await doctor.post('/api/v1/slots', { start: '9999-01-04T10:00:00+09:00', end: '9999-01-04T11:00:00+09:00' }), 400, 'invalid_field', 'start');
    const far = await doctor.post('/api/v1/slots', { start: `${jstDate(368)}T10:00:00+09:00`, end: `${jstDate(368)}T11:00:00+09:00` }, { lang: 'en' });
    assertError(far, 400, 'invalid_field', 'start');
    assert.match(far.json.error.message, /one year ahead/);
    assert.equal(count('consultation_slots'), before);
    const nearYear = await doctor.post('/api/v1/slots', { start: `${jstDate(364)}T10:00:00+09:00`, end: `${jstDate(364)}T10:10:00+09:00` });
    assert.equal(nearYear.status, 201, nearYear.text);
    // Overlap with an existing range is refused whole.
    const ok = await doctor.post('/api/v1/slots', { start: `${day}T10:00:00+09:00`, end: `${day}T10:30:00+09:00` });
    assert.equal(ok.status, 201);
    assertError(await doctor.post('/api/v1/slots', { start: `${day}T10:20:00+09:00`, end: `${day}T11:00:00+09:00` }), 409, 'slot_overlap');
    assert.equal(count('consultation_slots'), before + 4);
  });
});

/** Publishes n slots on day at hour (JST) and returns their ids. */
async function slotsAt(day, hour, n = 1) {
  const hh = String(hour).padStart(2, '0');
  const end = new Date(Date.parse(`${day}T${hh}:00:00+09:00`) + n * 600e3).toISOString();
  const r = await doctor.post('/api/v1/slots', { start: `${day}T${hh}:00:00+09:00`, end });
  assert.equal(r.status, 201, r.text);
  const list = await doctor.get(`/api/v1/schedule?date=${day}`);
  return list.json.slots.filter((s) => s.starts_at >= new Date(`${day}T${hh}:00:00+09:00`).toISOString().replace('.000', ''))
    .slice(0, n).map((s) => s.id);
}

describe('booking', () => {
  test('many simultaneous bookings of one slot: exactly one succeeds', async () => {
    const [slot] = await slotsAt(jstDate(4), 9, 1);
    const patients = [];
    for (let i = 0; i < 16; i++) patients.push(await newPatient('同時'));
    const results = await Promise.all(patients.map((p) => p.post('/api/v1/bookings', { slot_id: slot })));
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 201).length, 1, `one success: ${statuses}`);
    for (const r of results.filter((x) => x.status !== 201)) assertError(r, 409, 'slot_taken', 'slot_id');
    assert.equal(count('bookings', `slot_id = ${slot} AND status = 'booked'`), 1);
  });

  test('book, see, download .ics, reschedule, cancel', async () => {
    const day = jstDate(5);
    const [a, b] = await slotsAt(day, 14, 2);
    const p = await newPatient();
    const r = await p.post('/api/v1/bookings', { slot_id: a });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.booking.status, 'booked');
    assert.equal(r.json.booking.doctor_name, '医師 一郎');
    const id = r.json.booking.id;
    assertError(await p.post('/api/v1/bookings', { slot_id: b }), 409, 'already_booked');

    const ics = await p.get(`/api/v1/bookings/${id}/calendar.ics`);
    assert.equal(ics.status, 200);
    assert.match(ics.headers.get('content-type'), /^text\/calendar/);
    assert.match(ics.text, /^BEGIN:VCALENDAR\r\n/);
    assert.match(ics.text, new RegExp(`DTSTART:${day.replaceAll('-', '')}T050000Z\r\n`));
    assert.match(ics.text, /DTEND:\d{8}T051000Z\r\n/);
    assert.match(ics.text, /END:VCALENDAR\r\n$/);
    for (const line of ics.text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `folded: ${line}`);

    const moved = await p.post(`/api/v1/bookings/${id}/reschedule`, { slot_id: b });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.booking.slot_id, b);
    assert.equal(count('bookings', `slot_id = ${a} AND status = 'booked'`), 0, 'old slot is free again');
    const mine = await p.get('/api/v1/bookings');
    assert.deepEqual(mine.json.bookings.map((x) => x.status).sort(), ['booked', 'cancelled']);
    const cancelled = await p.post(`/api/v1/bookings/${moved.json.booking.id}/cancel`, {});
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.json.booking.status, 'cancelled');
    assertError(await p.post(`/api/v1/bookings/${moved.json.booking.id}/cancel`, {}), 404, 'not_found');
  });

  test('a taken, unknown or past slot is refused and nothing changes', async () => {
    const [slot] = await slotsAt(jstDate(6), 15, 1);
    const p1 = await newPatient();
    const p2 = await newPatient();
    assert.equal((await p1.post('/api/v1/bookings', { slot_id: slot })).status, 201);
    const before = count('bookings');
    assertError(await p2.post('/api/v1/bookings', { slot_id: slot }), 409, 'slot_taken', 'slot_id');
    assertError(await p2.post('/api/v1/bookings', { slot_id: 999999 }), 404, 'not_found');
    assertError(await p2.post('/api/v1/bookings', { slot_id: 'one' }), 400, 'invalid_field', 'slot_id');
    assertError(await p2.post('/api/v1/bookings', { slot_id: 0 }), 400, 'invalid_field', 'slot_id');
    // A slot that starts two seconds from now is in the past by the time it is booked.
    const soon = new Date(Date.now() + 2000);
    soon.setMilliseconds(0);
    const r = await doctor.post('/api/v1/slots', { start: soon.toISOString(), end: new Date(soon.getTime() + 600e3).toISOString() });
    assert.equal(r.status, 201, r.text);
    const pastId = Number(sql(server.db, `SELECT id FROM consultation_slots WHERE starts_at = ${soon.getTime() / 1000};`));
    await new Promise((ok) => setTimeout(ok, 2500));
    assertError(await p2.post('/api/v1/bookings', { slot_id: pastId }), 409, 'slot_past');
    assert.equal(count('bookings'), before);
  });

  test("a patient cannot touch another patient's booking", async () => {
    const [slot, other] = await slotsAt(jstDate(7), 16, 2);
    const owner = await newPatient();
    const intruder = await newPatient();
    const r = await owner.post('/api/v1/bookings', { slot_id: slot });
    const id = r.json.booking.id;
    assertError(await intruder.post(`/api/v1/bookings/${id}/cancel`, {}), 404, 'not_found');
    assertError(await intruder.post(`/api/v1/bookings/${id}/reschedule`, { slot_id: other }), 404, 'not_found');
    assertError(await intruder.get(`/api/v1/bookings/${id}/calendar.ics`), 404, 'not_found');
    assert.equal(sql(server.db, `SELECT status FROM bookings WHERE id = ${id};`), 'booked');
    assertError(await doctor.post('/api/v1/bookings', { slot_id: other }), 403, 'forbidden');
    assertError(await doctor.post(`/api/v1/slots/${slot}`, {}), 405, 'method_not_allowed');
    const del = await doctor.request('DELETE', `/api/v1/slots/${slot}`);
    assertError(del, 409, 'slot_booked');
    const delFree = await doctor.request('DELETE', `/api/v1/slots/${other}`);
    assert.equal(delFree.status, 200, delFree.text);
  });

  test("the doctor's schedule shows the patient's name, phone and questionnaire status, and is audited", async () => {
    const day = jstDate(8);
    const [slot] = await slotsAt(day, 11, 1);
    const p = await newPatient('予定');
    await p.post('/api/v1/bookings', { slot_id: slot });
    const auditBefore = count('audit_log', "action = 'schedule.read'");
    const r = await doctor.get(`/api/v1/schedule?date=${day}`);
    assert.equal(r.status, 200, r.text);
    const s = r.json.slots.find((x) => x.id === slot);
    assert.equal(s.booking.patient_id, p.id);
    assert.equal(s.booking.patient_phone, '090-1234-5678');
    assert.equal(s.booking.questionnaire_level, 'missing');
    assert.equal(count('audit_log', "action = 'schedule.read'"), auditBefore + 1);
    assertError(await p.get(`/api/v1/schedule?date=${day}`), 403, 'forbidden');
    assertError(await doctor.get('/api/v1/schedule?date=2026-02-30'), 400, 'invalid_field', 'date');
  });
});

describe('questionnaire, consent and decision', () => {
  async function consent(p) {
    const c = await p.get('/api/v1/consent');
    assert.equal(c.status, 200);
    const { id, version, text, sha256 } = c.json.consent;
    assert.equal(createHash('sha256').update(text.ja, 'utf8').digest('hex'), sha256.ja, 'hash is of the exact text');
    return { id, version, text, sha256 };
  }

  test('the whole path: answer, consent, flags in the queue, approval with override, patient sees it', async () => {
    const p = await newPatient('承認');
    const q = await p.get('/api/v1/questionnaire');
    assert.equal(q.status, 200);
    const def = q.json.questionnaire;
    assert.equal(def.id, 'exosome-cream');
    const sub = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: def.id, version: def.version, answers: cleanAnswers({ anaphylaxis: true, medications: '降圧薬' }) });
    assert.equal(sub.status, 201, sub.text);
    const responseId = sub.json.response.id;

    const queue = await doctor.get('/api/v1/review/queue');
    const item = queue.json.queue.find((x) => x.patient_id === p.id);
    assert.ok(item, 'patient is in the queue');
    assert.equal(item.worst_level, 'block');
    assert.deepEqual(item.flags.map((f) => f.rule), ['prior-anaphylaxis', 'current-medications']);
    assert.ok(item.flags[0].reason.ja.length > 0 && item.flags[0].reason.en.length > 0);
    assert.equal(item.consent_in_force, false);

    const decide = (body) => doctor.post(`/api/v1/patients/${p.id}/decision`, { response_id: responseId, notes: '電話で確認済み', ...body });
    const products = await doctor.get('/api/v1/products');
    const productId = products.json.products[0].id;
    const approval = { decision: 'approved', product_id: productId, quantity: 1, directions: '1日1回', valid_until: jstDate(30) };
    const decisionsBefore = count('treatment_decisions');
    assertError(await decide(approval), 409, 'consent_required');

    const c = await consent(p);
    assertError(await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.en }), 409, 'consent_mismatch', 'sha256');
    assertError(await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'fr', sha256: c.sha256.ja }), 400, 'invalid_field', 'lang');
    assert.equal(count('consent_acceptances', `patient_id = ${p.id}`), 0);
    const acc = await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja });
    assert.equal(acc.status, 201, acc.text);
    assert.equal(acc.json.acceptance.current, true);

    assertError(await decide(approval), 400, 'override_required', 'override_reason');
    assertError(await decide({ ...approval, override_reason: 'x', quantity: 0 }), 400, 'invalid_field', 'quantity');
    assertError(await decide({ ...approval, override_reason: 'x', valid_until: jstDate(-1) }), 400, 'invalid_field', 'valid_until');
    assertError(await decide({ decision: 'declined' }), 400, 'invalid_field', 'decline_reason');
    assert.equal(count('treatment_decisions'), decisionsBefore);

    // No call held yet: approval needs the call or a written reason for going without it.
    const override = { override_reason: '20年前の薬剤性。原因物質は本製品に含まれないことを確認' };
    assertError(await decide({ ...approval, ...override }), 409, 'call_required', 'no_call_reason');
    assertError(await decide({ ...approval, ...override, no_call_reason: '短い' }), 400, 'invalid_field', 'no_call_reason');
    assert.equal(count('treatment_decisions'), decisionsBefore);
    const { call } = await holdCall(admin, p, 'アナフィラキシーの経緯を電話で聴取。');

    const ok = await decide({ ...approval, ...override });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.decision.call_id, call.id, 'the approval names the call it rests on');
    assert.equal(ok.json.decision.no_call_reason, '');
    assert.equal(ok.json.decision.decision, 'approved');
    assert.equal(ok.json.decision.product, 'エクソソームクリーム(男性用)');
    assertError(await decide({ ...approval, product_id: 9999, override_reason: 'x' }), 409, 'already_decided');
    assertError(await decide({ ...approval, override_reason: 'again' }), 409, 'already_decided');
    assertError(await decide({ decision: 'declined', decline_reason: 'changed my mind' }), 409, 'already_decided');
    assert.equal(count('treatment_decisions'), decisionsBefore + 1);
    assert.equal(count('audit_log', `action = 'treatment.decide' AND object = 'patient:${p.id}'`), 1);

    const status = await p.get('/api/v1/intake');
    assert.equal(status.status, 200);
    assert.equal(status.json.intake.decision.decision, 'approved');
    assert.equal(status.json.intake.decision.quantity, 1);
    assert.equal(status.json.intake.decision.notes, undefined, "the doctor's notes are staff-only");
    assert.equal(status.json.intake.questionnaire.latest.flags, undefined, 'flags are staff-only');
    assert.equal(status.json.intake.consent.in_force, true);

    const file = await doctor.get(`/api/v1/patients/${p.id}/intake`);
    assert.equal(file.status, 200);
    assert.equal(file.json.intake.questionnaire.latest.answers.anaphylaxis, true);
    assert.equal(file.json.intake.decision.override_reason.length > 0, true);
    assert.equal(file.json.intake.call_held, true);
    assert.equal(file.json.intake.calls[0].result, 'held');
    assert.equal(file.json.intake.calls[0].notes, 'アナフィラキシーの経緯を電話で聴取。');
    assert.equal(status.json.intake.calls, undefined, 'call notes are staff-only');
    assert.ok(count('audit_log', `action = 'patient.intake.read' AND object = 'patient:${p.id}'`) >= 2);

    // Withdrawing consent is recorded; a second withdrawal has nothing to withdraw.
    assert.equal((await p.post('/api/v1/consent/withdraw', {})).status, 200);
    assertError(await p.post('/api/v1/consent/withdraw', {}), 409, 'no_consent');
    assert.equal((await p.get('/api/v1/intake')).json.intake.consent.in_force, false);
  });

  test('invalid answers are refused item by item and not stored', async () => {
    const p = await newPatient();
    const before = count('questionnaire_responses');
    const bad = await p.post('/api/v1/questionnaire/responses', {
      questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION,
      answers: cleanAnswers({ age: 'forty', allergy: true, skin_site: ['none', 'wound'], unknown: 1 }),
    }, { lang: 'en' });
    assertError(bad, 400, 'invalid_answers');
    const items = Object.fromEntries(bad.json.error.items.map((i) => [i.link_id, i.reason]));
    assert.equal(items.age, 'type');
    assert.equal(items.allergy_to, 'required');
    assert.equal(items.unknown, 'unknown_item');
    assert.ok(bad.json.error.items.every((i) => i.message.length > 0));
    assertError(await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: [] }), 400, 'invalid_field', 'answers');
    assertError(await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: 99, answers: cleanAnswers() }), 404, 'not_found');
    assertError(await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'nope', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() }), 404, 'not_found');
    assertError(await doctor.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() }), 403, 'forbidden');
    assert.equal(count('questionnaire_responses'), before);
    // Submitted answers are immutable in the database itself.
    const ok = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
    assert.equal(ok.status, 201, ok.text);
    assert.throws(() => sql(server.db, `UPDATE questionnaire_responses SET answers_json = '{}' WHERE id = ${ok.json.response.id};`), /immutable/);
  });

  test('a newer answer supersedes the older one; decisions stay on the latest; declines need no consent', async () => {
    const p = await newPatient();
    const first = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
    const second = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers({ medications: '降圧薬' }) });
    assert.equal(second.status, 201);
    const decide = (id, body) => doctor.post(`/api/v1/patients/${p.id}/decision`, { response_id: id, notes: 'メモ', ...body });
    assertError(await decide(first.json.response.id, { decision: 'declined', decline_reason: 'x' }), 409, 'response_superseded', 'response_id');
    const queue = await doctor.get('/api/v1/review/queue');
    const mine = queue.json.queue.filter((x) => x.patient_id === p.id);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].response_id, second.json.response.id);
    assert.equal(mine[0].worst_level, 'info');
    const r = await decide(second.json.response.id, { decision: 'declined', decline_reason: '電話がつながらなかったため' });
    assert.equal(r.status, 201, r.text);
    assert.ok(!(await doctor.get('/api/v1/review/queue')).json.queue.some((x) => x.patient_id === p.id), 'decided patients leave the queue');
    // Another patient's record is not a patient for the decision endpoint.
    assertError(await doctor.post('/api/v1/patients/1/decision', { response_id: second.json.response.id, decision: 'declined', decline_reason: 'x', notes: 'x' }), 404, 'not_found');
    assertError(await p.get(`/api/v1/patients/${p.id}/intake`), 403, 'forbidden');
  });
});

describe('consultation calls', () => {
  async function readyPatient() {
    const p = await newPatient('通話');
    const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
    assert.equal(q.status, 201, q.text);
    const c = (await p.get('/api/v1/consent')).json.consent;
    assert.equal((await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja })).status, 201);
    p.responseId = q.json.response.id;
    return p;
  }
  const approval = (p, extra = {}) => ({ response_id: p.responseId, decision: 'approved', notes: '確認済み', product_id: 1, quantity: 1, directions: '1日1回', valid_until: jstDate(30), ...extra });

  test('a call is recorded only after its booked time, only as it can have happened, once held', async () => {
    const p = await readyPatient();
    const { doctor: caller, booking, start } = await bookSoonCall(admin, p);
    const callUrl = `/api/v1/bookings/${booking.id}/call`;
    const before = { calls: count('consultation_calls'), audit: count('audit_log', "action = 'consultation.call'") };
    // Before the slot's start, no outcome can be recorded: the call has not been due.
    assertError(await caller.post(callUrl, { result: 'held', notes: 'まだ' }), 409, 'call_too_early');
    await waitUntil(start);
    assertError(await caller.post(callUrl, { result: 'held' }), 400, 'invalid_field', 'notes');
    assertError(await caller.post(callUrl, { result: 'maybe', notes: 'x' }), 400, 'invalid_field', 'result');
    assertError(await caller.post(callUrl, { result: 'held', notes: 'x', called_at: new Date(start - 60e3).toISOString() }), 400, 'invalid_field', 'called_at');
    assertError(await caller.post(callUrl, { result: 'held', notes: 'x', called_at: new Date(Date.now() + 3600e3).toISOString() }), 400, 'invalid_field', 'called_at');
    assertError(await caller.post(callUrl, { result: 'held', notes: 'x', called_at: 'yesterday' }), 400, 'invalid_field', 'called_at');
    assertError(await p.post(callUrl, { result: 'held', notes: 'x' }), 403, 'forbidden');
    assertError(await caller.post('/api/v1/bookings/999999/call', { result: 'held', notes: 'x' }), 404, 'not_found');
    assert.equal(count('consultation_calls'), before.calls, 'refusals change nothing');
    assert.equal(count('audit_log', "action = 'consultation.call'"), before.audit);

    // Not reached: recorded, but it is no consultation.
    const missed = await caller.post(callUrl, { result: 'not_reached' }, { lang: 'en' });
    assert.equal(missed.status, 201, missed.text);
    assert.equal(missed.json.call.result, 'not_reached');
    assertError(await doctor.post(`/api/v1/patients/${p.id}/decision`, approval(p)), 409, 'call_required', 'no_call_reason');

    const held = await caller.post(callUrl, { result: 'held', notes: '既往歴と使用方法を説明。', called_at: new Date(start).toISOString() });
    assert.equal(held.status, 201, held.text);
    assert.equal(Date.parse(held.json.call.called_at), start);
    assertError(await caller.post(callUrl, { result: 'held', notes: 'again' }), 409, 'call_already_held');
    assert.equal(count('consultation_calls'), before.calls + 2);
    assert.equal(count('audit_log', "action = 'consultation.call'"), before.audit + 2);
    assert.throws(() => sql(server.db, `UPDATE consultation_calls SET notes = '' WHERE id = ${held.json.call.id};`), /immutable/);

    const day = new Date(start + 9 * 3600e3).toISOString().slice(0, 10);
    const sched = (await caller.get(`/api/v1/schedule?date=${day}`)).json.slots.find((x) => x.booking?.id === booking.id);
    assert.equal(sched.booking.call_result, 'held', 'the schedule shows the held call');

    const ok = await doctor.post(`/api/v1/patients/${p.id}/decision`, approval(p));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.decision.call_id, held.json.call.id);
  });

  test('without a held call, approval takes a written reason, kept with the decision; a decline needs none', async () => {
    const p = await readyPatient();
    const before = count('treatment_decisions');
    assertError(await doctor.post(`/api/v1/patients/${p.id}/decision`, approval(p)), 409, 'call_required', 'no_call_reason');
    const r = await doctor.post(`/api/v1/patients/${p.id}/decision`, approval(p), { lang: 'en' });
    assert.match(r.json.error.message, /call/i);
    assert.equal(count('treatment_decisions'), before);
    const reason = '海外在住で電話不可。ビデオ通話で本人確認と問診を実施した。';
    const ok = await doctor.post(`/api/v1/patients/${p.id}/decision`, approval(p, { no_call_reason: reason }));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.decision.no_call_reason, reason);
    assert.equal(ok.json.decision.call_id, null);
    const file = await doctor.get(`/api/v1/patients/${p.id}/intake`);
    assert.equal(file.json.intake.decision.no_call_reason, reason);
    assert.equal(file.json.intake.call_held, false);
    assert.equal(count('audit_log', `action = 'treatment.decide' AND object = 'patient:${p.id}' AND detail LIKE '%without a held call%'`), 1);

    const q = await readyPatient();
    const d = await doctor.post(`/api/v1/patients/${q.id}/decision`, { response_id: q.responseId, decision: 'declined', decline_reason: '電話がつながらなかった', notes: '2回不通' });
    assert.equal(d.status, 201, d.text);
  });
});
