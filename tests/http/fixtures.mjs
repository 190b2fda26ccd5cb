// Data shared by the intake and traceability suites.

/** A JST calendar date n days from today, as YYYY-MM-DD. */
export function jstDate(n = 0) {
  return new Date(Date.now() + 9 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
}

/** The current version of the clinic's questionnaire (data/questionnaires/exosome-cream-v2.json). */
export const QUESTIONNAIRE_VERSION = 2;

/** Full years of age on today's JST date for a YYYY-MM-DD birth date (as the server counts). */
export function ageOn(birthDate, today = jstDate()) {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [ty, tm, td] = today.split('-').map(Number);
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** Answers with no flags at all, for a patient born on birthDate (signupBody's by default):
 * the server checks the answered age against the date of birth on file. */
export function cleanAnswers(overrides = {}, birthDate = '1985-04-01') {
  return {
    age: ageOn(birthDate), allergy: false, allergy_biologic: false, allergy_cosmetic: false, anaphylaxis: false,
    skin_site: ['none'], pregnancy: 'not_applicable', immunosuppression: false, cancer: false, malignancy: false,
    prior_treatment: false, ...overrides,
  };
}

let callers = 0;

/**
 * Books a patient's call for a slot that starts a few seconds from now: a doctor (a new one, so
 * the 5-minute slot never overlaps another) publishes it and the patient books it, or moves
 * an upcoming booking to it. Every time comes from the clock, so this works on any day (and
 * under faketime). admin: a logged-in admin Client; patient: the patient's Client.
 * Returns {doctor (Client, .id), booking, start (ms)}.
 */
export async function bookSoonCall(admin, patient) {
  const { Client } = await import('./client.mjs');
  callers += 1;
  const email = `caller${callers}.${process.pid}.${Date.now()}@clinic.example`;
  const made = await admin.post('/api/v1/users', { email, password: 'caller-test-pass-1', name: `通話 医師${callers}`, role: 'doctor' });
  if (made.status !== 201) throw new Error(`create caller doctor: ${made.text}`);
  const doctor = new Client(admin.base);
  doctor.id = made.json.user.id;
  doctor.email = email;
  doctor.password = 'caller-test-pass-1';
  await doctor.login(email, 'caller-test-pass-1');
  // A few seconds of margin: the slot must still be in the future when the patient books it,
  // even on a loaded machine or under the ASan build.
  const start = Math.ceil(Date.now() / 1000) * 1000 + 3000;
  const iso = (ms) => new Date(ms).toISOString().replace('.000', '');
  const published = await doctor.post('/api/v1/slots', { start: iso(start), end: iso(start + 300e3), slot_minutes: 5 });
  if (published.status !== 201) throw new Error(`publish slot: ${published.text}`);
  const day = new Date(start + 9 * 3600e3).toISOString().slice(0, 10);
  const slots = await patient.get(`/api/v1/slots?doctor_id=${doctor.id}&date=${day}`);
  const slot = slots.json?.slots?.[0];
  if (!slot) throw new Error(`no slot to book: ${slots.text}`);
  let booked = await patient.post('/api/v1/bookings', { slot_id: slot.id });
  if (booked.status === 409 && booked.json?.error?.code === 'already_booked') {
    const upcoming = (await patient.get('/api/v1/bookings')).json.bookings.find((b) => b.status === 'booked' && Date.parse(b.starts_at) > Date.now());
    booked = await patient.post(`/api/v1/bookings/${upcoming.id}/reschedule`, { slot_id: slot.id });
  }
  if (booked.status !== 201 && booked.status !== 200) throw new Error(`book the call: ${booked.text}`);
  return { doctor, booking: booked.json.booking, start };
}

/** Waits until the clock has passed ms (a slot's start). */
export async function waitUntil(ms) {
  await new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now() + 100)));
}

/**
 * Holds a real consultation call with a patient, the way to an approval without a written
 * reason: books a call that starts a few seconds from now (bookSoonCall), waits for its time and
 * records it as held. Returns {doctor, booking, call}.
 */
export async function holdCall(admin, patient, notes = '電話で問診票の回答を確認した。') {
  const { doctor, booking, start } = await bookSoonCall(admin, patient);
  await waitUntil(start);
  const call = await doctor.post(`/api/v1/bookings/${booking.id}/call`, { result: 'held', notes });
  if (call.status !== 201) throw new Error(`record the call: ${call.text}`);
  return { doctor, booking, call: call.json.call };
}
