// Publishing a weekly pattern of consultation slots in one step (POST /api/v1/slots/pattern):
// Mon/Wed/Fri 10:00-12:00 every 15 minutes for four weeks, Japan time; a preview that writes
// nothing; existing and past slots skipped and counted; bad input refused with the field named
// and nothing written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, sql } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer } from './client.mjs';
import { jstDate } from './fixtures.mjs';

let server;
let admin;
let doctor;
let doctorId;
let other;

const slotCount = () => Number(sql(server.db, 'SELECT count(*) FROM consultation_slots;'));
const auditCount = () => Number(sql(server.db, 'SELECT count(*) FROM audit_log;'));
const weekdayOf = (date) => new Date(`${date}T00:00:00Z`).getUTCDay();

/** Mon/Wed/Fri 10:00-12:00 every 15 minutes from tomorrow for 28 days. */
const mwf = (extra = {}) => ({ first_date: jstDate(1), last_date: jstDate(28), weekdays: [1, 3, 5], day_start: '10:00', day_end: '12:00', slot_minutes: 15, ...extra });
const expectedDays = (first, last, weekdays) => {
  let n = 0;
  for (let d = first; d <= last; d++) if (weekdays.includes(weekdayOf(jstDate(d)))) n++;
  return n;
};

before(async () => {
  server = await startServer({ demo: true });
  admin = new Client(server.url);
  await admin.login('admin@clinic.example', 'admin-demo-pass');
  const made = await admin.post('/api/v1/users', { email: 'pattern.doc@clinic.example', password: 'pattern-doctor-pass', name: '枠 医師', role: 'doctor' });
  assert.equal(made.status, 201, made.text);
  doctorId = made.json.user.id;
  doctor = new Client(server.url);
  await doctor.login('pattern.doc@clinic.example', 'pattern-doctor-pass');
  other = new Client(server.url);
  await other.login('doctor@clinic.example', 'doctor-demo-pass');
});
after(async () => { await stopServer(server); });

describe('weekly slot pattern', () => {
  let preview;

  test('a preview lists every slot of the pattern and writes nothing', async () => {
    const slots = slotCount();
    const rows = auditCount();
    const r = await doctor.post('/api/v1/slots/pattern', mwf({ preview: true }));
    assert.equal(r.status, 200, r.text);
    preview = r.json;
    const days = expectedDays(1, 28, [1, 3, 5]);
    assert.equal(preview.preview, true);
    assert.equal(preview.created, days * 8);
    assert.equal(preview.skipped_existing, 0);
    assert.equal(preview.skipped_past, 0);
    assert.equal(preview.slots.length, days * 8);
    for (const s of preview.slots) {
      const jst = new Date(Date.parse(s.starts_at) + 9 * 3600e3);
      assert.ok([1, 3, 5].includes(jst.getUTCDay()), s.starts_at);
      const minute = jst.getUTCHours() * 60 + jst.getUTCMinutes();
      assert.ok(minute >= 600 && minute <= 705 && minute % 15 === 0, `${s.starts_at} is 10:00-11:45 JST`);
      assert.equal(s.fate, 'created');
    }
    // 10:00 JST is 01:00 UTC: no daylight saving in Japan.
    assert.match(preview.slots[0].starts_at, /T01:00:00Z$/);
    assert.equal(slotCount(), slots);
    assert.equal(auditCount(), rows);
  });

  test('publishing makes exactly the previewed slots, in one audited step', async () => {
    // One slot the doctor already has, overlapping the pattern's first 10:00 slot.
    const first = preview.slots[0].starts_at;
    const single = await doctor.post('/api/v1/slots', { start: new Date(Date.parse(first) + 5 * 60e3).toISOString().replace('.000', ''), end: new Date(Date.parse(first) + 15 * 60e3).toISOString().replace('.000', ''), slot_minutes: 10 });
    assert.equal(single.status, 201, single.text);
    const slots = slotCount();
    const r = await doctor.post('/api/v1/slots/pattern', mwf());
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.preview, false);
    assert.equal(r.json.created, preview.created - 1);
    assert.equal(r.json.skipped_existing, 1);
    assert.equal(r.json.slots[0].fate, 'existing');
    assert.equal(r.json.slots[1].fate, 'created', 'the 10:15 slot does not overlap 10:05-10:15');
    assert.equal(slotCount(), slots + r.json.created);
    const mine = Number(sql(server.db, `SELECT count(*) FROM consultation_slots WHERE doctor_id = ${doctorId} AND duration_minutes = 15;`));
    assert.equal(mine, r.json.created);
    const audit = sql(server.db, `SELECT actor_id || '|' || object || '|' || detail FROM audit_log WHERE action = 'slot.publish' ORDER BY id DESC LIMIT 1;`);
    assert.match(audit, new RegExp(`^${doctorId}\\|doctor:${doctorId}\\|pattern .*: ${r.json.created} created, 1 existing, 0 past$`));
  });

  test('publishing the same pattern again skips every slot and says so', async () => {
    const slots = slotCount();
    const r = await doctor.post('/api/v1/slots/pattern', mwf());
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.created, 0);
    assert.equal(r.json.skipped_existing, preview.created);
    assert.equal(slotCount(), slots);
  });

  test('slots of today that have started are skipped as past', async () => {
    const r = await doctor.post('/api/v1/slots/pattern', { first_date: jstDate(0), last_date: jstDate(0), weekdays: [0, 1, 2, 3, 4, 5, 6], day_start: '00:00', day_end: '24:00', slot_minutes: 120, preview: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.slots.length, 12);
    assert.ok(r.json.skipped_past >= 1, 'the 00:00 slot has started');
    assert.equal(r.json.created + r.json.skipped_past + r.json.skipped_existing, 12);
    assert.equal(r.json.slots[0].fate, 'past');
  });

  test('an admin publishes for a named doctor; a doctor only for themselves', async () => {
    const r = await admin.post('/api/v1/slots/pattern', mwf({ doctor_id: doctorId, day_start: '14:00', day_end: '15:00', preview: true }));
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.created > 0);
    assertError(await admin.post('/api/v1/slots/pattern', mwf()), 400, 'missing_field', 'doctor_id');
    assertError(await admin.post('/api/v1/slots/pattern', mwf({ doctor_id: 1 })), 400, 'invalid_field', 'doctor_id');
    assertError(await other.post('/api/v1/slots/pattern', mwf({ doctor_id: doctorId })), 403, 'forbidden');
    const patient = new Client(server.url);
    await patient.signup(signupBody({ email: 'pattern.patient@patient.example' }));
    assertError(await patient.post('/api/v1/slots/pattern', mwf()), 403, 'forbidden');
    const pharmacist = new Client(server.url);
    await pharmacist.login('pharmacist@clinic.example', 'pharmacist-demo-pass');
    assertError(await pharmacist.post('/api/v1/slots/pattern', mwf()), 403, 'forbidden');
  });

  test('bad input: a clear error naming the field, nothing written', async () => {
    const cases = [
      [{ last_date: jstDate(0), first_date: jstDate(3) }, 'last_date', /end date must be on or after/],
      [{ first_date: jstDate(1), last_date: jstDate(91) }, 'last_date', /at most 90 days/],
      [{ day_start: '12:00', day_end: '10:00' }, 'day_end', /end must be after the start/],
      [{ day_start: '10:00', day_end: '10:00' }, 'day_end', /end must be after the start/],
      [{ day_start: '10:00', day_end: '10:10' }, 'day_end', /end must be after the start/],
      [{ day_start: '25:00' }, 'day_start', /HH:MM/],
      [{ day_end: '12:60' }, 'day_end', /HH:MM/],
      [{ day_start: '1000' }, 'day_start', undefined],
      [{ weekdays: [] }, 'weekdays', undefined],
      [{ weekdays: [7] }, 'weekdays', /0 = Sunday/],
      [{ weekdays: [1, 1] }, 'weekdays', /0 = Sunday/],
      [{ weekdays: ['mon'] }, 'weekdays', /0 = Sunday/],
      [{ first_date: jstDate(-1) }, 'first_date', /today or later/],
      [{ first_date: '2026-02-30' }, 'first_date', /does not exist/],
      [{ first_date: jstDate(400), last_date: jstDate(401), weekdays: [0, 1, 2, 3, 4, 5, 6] }, 'last_date', /one year ahead/],
      [{ slot_minutes: 0 }, 'slot_minutes', undefined],
      [{ slot_minutes: 121 }, 'slot_minutes', undefined],
      [{ first_date: jstDate(1), last_date: jstDate(90), weekdays: [0, 1, 2, 3, 4, 5, 6], day_start: '00:00', day_end: '24:00', slot_minutes: 5 }, 'last_date', /2,000/],
      [{ first_date: jstDate(1), last_date: jstDate(1), weekdays: [(weekdayOf(jstDate(1)) + 1) % 7] }, 'weekdays', /make no slots/],
      [{ start: '2026-01-01T10:00:00+09:00' }, 'start', undefined],
    ];
    for (const [override, field, message] of cases) {
      for (const preview of [false, true]) {
        const slots = slotCount();
        const rows = auditCount();
        const r = await doctor.post('/api/v1/slots/pattern', { ...mwf(override), preview }, { lang: 'en' });
        const code = field === 'start' ? 'unknown_field' : 'invalid_field';
        assertError(r, 400, code, field === 'start' ? 'start' : field);
        if (message) assert.match(r.json.error.message, message, JSON.stringify(override));
        assert.equal(slotCount(), slots);
        assert.equal(auditCount(), rows);
      }
    }
    const ja = await doctor.post('/api/v1/slots/pattern', mwf({ first_date: jstDate(1), last_date: jstDate(91) }));
    assert.equal(ja.json.error.message, '最後の日: 期間は90日以内にしてください。');
    // 90 days, first and last included, is allowed.
    const ninety = await doctor.post('/api/v1/slots/pattern', mwf({ first_date: jstDate(1), last_date: jstDate(90), preview: true }));
    assert.equal(ninety.status, 200, ninety.text);
  });
});
