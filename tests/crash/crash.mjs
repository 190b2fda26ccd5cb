#!/usr/bin/env node
// The crash suite: drives bookings (with cancels and reschedules), questionnaire answers,
// orders (paid and dispensed), adverse-event reports and sensor readings at the real server,
// kills it with SIGKILL at a random moment, restarts it on the same database and checks that
// every write it acknowledged is there and the invariants hold: no slot booked twice, no stock
// below zero and none lost, only released lots dispensed, the audit chain intact.
//
// usage: node tests/crash/crash.mjs [--cycles N] [--seed S]   (CRASH_SEED, CRASH_CYCLES too)
// EXOSAFE_BIN picks the binary (default build/exosafe). Exit status 0 when every cycle passed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bin, cli, startServer } from '../lib/server.mjs';
import { Client, demoStaff, signupBody } from '../http/client.mjs';
import { cleanAnswers, jstDate, QUESTIONNAIRE_VERSION } from '../http/fixtures.mjs';

const { values: opt } = parseArgs({ options: { cycles: { type: 'string' }, seed: { type: 'string' } } });
const cycles = Number(opt.cycles ?? process.env.CRASH_CYCLES ?? 20);
const seed = Number(opt.seed ?? process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`crash: ${cycles} cycles, seed ${seed} (rerun with --seed ${seed}), binary ${bin}`);

// mulberry32: a small seeded generator, so a failing run's choices can be replayed (the
// server's timing still varies from run to run).
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

const PATIENTS = 8;
const WORKERS = 4;
let server;
const clients = [];   // every Client, re-pointed at the restarted server
const client = (c) => { clients.push(c); return c; };
let staff;

/** What the server acknowledged; checked after each restart. */
const acked = {
  responses: new Set(), orders: new Map(), aeReports: new Set(), readings: [],
  bookings: new Map(),   // booking id -> {status: 'booked'|'cancelled', settled: no unacknowledged op on it since}
};

function sqlRows(db, statement) {
  const r = spawnSync('sqlite3', ['-json', db, statement], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

async function ok(promise, status, what) {
  const r = await promise;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.json;
}

/** One product with a big released lot and a lot that is never released (same product,
 * earlier expiry: FEFO would take it first if status were ignored). */
async function setUp() {
  const { pharmacist } = staff;
  const product = (await ok(pharmacist.post('/api/v1/products', {
    code: 'CRASH-1', name_ja: 'クラッシュ試験', name_en: 'Crash test', form: 'cream', manufacturer: 'T', country: 'Japan',
    source_cell_type: 'adipose MSC', storage_min_c: 2, storage_max_c: 8, excursion_allowance_minutes: 60,
    shelf_life_days: 365, price_jpy: 1000,
  }), 201, 'product')).product;
  const lot = async (number, expires, quantity) => (await ok(pharmacist.post('/api/v1/lots', {
    product_id: product.id, lot_number: number, manufactured_on: jstDate(-10), expires_on: expires, quantity,
    donor_age: 30, donor_screening: 'negative',
  }), 201, 'lot')).lot;
  const released = await lot('CR-REL', jstDate(300), 5000);
  const held = await lot('CR-HOLD', jstDate(200), 5000);
  for (const [i, kind] of ['sterility', 'mycoplasma', 'endotoxin', 'viral', 'particle_count', 'identity'].entries()) {
    const pdf = Buffer.from(`%PDF-1.4\n% crash ${i}\n%%EOF\n`);
    const c = await pharmacist.request('POST', `/api/v1/lots/${released.id}/certificates?filename=c${i}.pdf`, { body: pdf, type: 'application/pdf' });
    if (c.status !== 201) throw new Error(`certificate: ${c.text}`);
    await ok(pharmacist.post(`/api/v1/lots/${released.id}/tests`, { kind, result: 'pass', method: 'JP', tested_on: jstDate(-1), certificate_id: c.json.certificate.id }), 201, 'test');
  }
  await ok(pharmacist.post(`/api/v1/lots/${released.id}/transition`, { to: 'quarantine', reason: 'review' }), 200, 'quarantine');
  await ok(pharmacist.post(`/api/v1/lots/${released.id}/transition`, { to: 'released', reason: 'tests passed' }), 200, 'release');

  // Slots two to four days ahead (JST), every 5 minutes from 09:00 to 17:00.
  const doctorId = (await staff.doctor.get('/api/v1/me')).json.user.id;
  const slots = [];
  for (const d of [2, 3, 4]) {
    const day = jstDate(d);
    await ok(staff.doctor.post('/api/v1/slots', { start: `${day}T09:00:00+09:00`, end: `${day}T17:00:00+09:00`, slot_minutes: 5 }), 201, 'slots');
    const list = await ok(staff.doctor.get(`/api/v1/slots?doctor_id=${doctorId}&date=${day}&limit=500`), 200, 'list slots');
    slots.push(...list.slots.map((s) => s.id));
  }

  const logger = await ok(pharmacist.post('/api/v1/loggers', { code: 'CRASH-LOGGER', ingest: true }), 201, 'logger');
  const patients = [];
  for (let i = 0; i < PATIENTS; i++) {
    const p = client(new Client(server.url));
    const s = await p.signup(signupBody({ email: `crash${i}@patient.example`, name: `試験 患者${i}` }));
    if (s.status !== 201) throw new Error(`signup: ${s.text}`);
    p.id = s.json.user.id;
    const c = (await p.get('/api/v1/consent')).json.consent;
    await ok(p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja }), 201, 'consent');
    p.booking = null;
    p.orders = [];       // dispensed orders: what an AE report refers to
    patients.push(p);
  }
  return { product, released, held, slots, logger: logger.logger, key: logger.api_key, patients };
}

/** One write by a patient (or for the patient's order, by staff); records what was acknowledged.
 * A request that gets no answer (the server was killed) is not acknowledged: its outcome is
 * unknown and only the invariants are checked for it. */
async function step(world, p) {
  const { admin, doctor, pharmacist } = staff;
  const kind = pick(['book', 'book', 'cancel', 'reschedule', 'answer', 'order', 'order', 'ae']);
  if (kind === 'book' || (kind === 'reschedule' && !p.booking)) {
    if (p.booking) return;
    const r = await p.post('/api/v1/bookings', { slot_id: pick(world.slots) });
    if (r.status === 201) {
      p.booking = r.json.booking.id;
      acked.bookings.set(p.booking, { status: 'booked', settled: true, slot: r.json.booking.slot_id });
    }
  } else if (kind === 'cancel' && p.booking) {
    const id = p.booking;
    acked.bookings.get(id).settled = false;
    const r = await p.post(`/api/v1/bookings/${id}/cancel`, {});
    if (r.status === 200) {
      acked.bookings.set(id, { ...acked.bookings.get(id), status: 'cancelled', settled: true });
      p.booking = null;
    }
  } else if (kind === 'reschedule') {
    const id = p.booking;
    acked.bookings.get(id).settled = false;
    const r = await p.post(`/api/v1/bookings/${id}/reschedule`, { slot_id: pick(world.slots) });
    if (r.status === 200 || r.status === 201) {
      acked.bookings.set(id, { ...acked.bookings.get(id), status: 'cancelled', settled: true });
      p.booking = r.json.booking.id;
      acked.bookings.set(p.booking, { status: 'booked', settled: true, slot: r.json.booking.slot_id });
    } else if (r.status === 409) {
      acked.bookings.get(id).settled = true;   // refused (slot taken): nothing changed
    }
  } else if (kind === 'answer' || (kind === 'order' && !p.approved)) {
    // An answer, then (for ordering) the doctor's approval of it: 12 units at most each.
    const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
    if (q.status !== 201) return;
    acked.responses.add(q.json.response.id);
    const d = await doctor.post(`/api/v1/patients/${p.id}/decision`, {
      response_id: q.json.response.id, decision: 'approved', notes: 'crash', product_id: world.product.id, quantity: 12,
      directions: '1日1回', valid_until: jstDate(30), no_call_reason: '前回の通話で確認済み',
    });
    if (d.status === 201) p.approved = true;
  } else if (kind === 'order') {
    const o = await p.post('/api/v1/orders', { quantity: 1 + Math.floor(random() * 2), payment_method: 'bank_transfer' });
    if (o.status === 409 && o.json?.error?.code === 'over_approval') { p.approved = false; return; }
    if (o.status !== 201) return;
    const order = { status: 'pending', dispensed: 0 };
    acked.orders.set(o.json.order.id, order);
    const paid = await admin.post(`/api/v1/orders/${o.json.order.id}/payment`, { reference: `crash-${o.json.order.id}` });
    if (paid.status !== 200) return;
    order.status = 'paid';
    const d = await pharmacist.post(`/api/v1/orders/${o.json.order.id}/dispense`, {});
    if (d.status !== 200) return;
    order.status = 'dispensed';
    order.dispensed = d.json.order.dispensed.reduce((n, x) => n + x.quantity, 0);
    p.orders.push(o.json.order.id);
  } else if (kind === 'ae' && p.orders.length) {
    const r = await p.post('/api/v1/adverse-events', { order_id: pick(p.orders), symptoms: ['itching'], description: 'かゆい', onset_date: jstDate(0), ongoing: true, severity: 'mild' });
    if (r.status === 201) acked.aeReports.add(r.json.report.id);
  }
}

let readingClock = Date.now() - 6 * 3600e3;
async function readings(world) {
  const at = [0, 1, 2].map(() => { readingClock += 1000; return new Date(readingClock).toISOString(); });
  const r = await fetch(`${server.url}/api/v1/loggers/${world.logger.id}/readings`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${world.key}` },
    body: JSON.stringify({ readings: at.map((t) => ({ at: t, celsius: 5 })) }),
  });
  if (r.status === 200) acked.readings.push(...at.map((t) => Math.floor(Date.parse(t) / 1000)));
}

let cutOff = 0;

/** Runs the workers until the server dies; resolves when every worker has stopped. */
async function drive(world, until) {
  const worker = async (w) => {
    const mine = world.patients.filter((_, i) => i % WORKERS === w);
    while (!until()) {
      try {
        if (w === 0 && random() < 0.3) await readings(world);
        else await step(world, pick(mine));
      } catch { cutOff += 1; /* no answer: the server died with this request in flight */ }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
}

function check(db) {
  const problems = [];
  const one = (statement) => sqlRows(db, statement);
  const ids = (table) => new Set(one(`SELECT id FROM ${table};`).map((r) => r.id));
  const bookings = new Map(one('SELECT id, status, slot_id FROM bookings;').map((r) => [r.id, r]));
  for (const [id, b] of acked.bookings) {
    const row = bookings.get(id);
    if (!row) problems.push(`acknowledged booking ${id} is missing`);
    else if (b.settled && row.status !== b.status) problems.push(`booking ${id} is ${row.status}, acknowledged as ${b.status}`);
    else if (b.slot !== undefined && row.slot_id !== b.slot) problems.push(`booking ${id} is for slot ${row.slot_id}, acknowledged for ${b.slot}`);
  }
  const responses = ids('questionnaire_responses');
  for (const id of acked.responses) if (!responses.has(id)) problems.push(`acknowledged questionnaire response ${id} is missing`);
  const reports = ids('ae_reports');
  for (const id of acked.aeReports) if (!reports.has(id)) problems.push(`acknowledged adverse-event report ${id} is missing`);
  const orders = new Map(one('SELECT o.id, o.status, coalesce((SELECT sum(quantity) FROM dispenses d WHERE d.order_id = o.id), 0) AS n FROM orders o;').map((r) => [r.id, r]));
  for (const [id, o] of acked.orders) {
    const row = orders.get(id);
    if (!row) problems.push(`acknowledged order ${id} is missing`);
    else if (o.status === 'paid' && row.status === 'pending') problems.push(`order ${id}'s acknowledged payment is missing`);
    else if (o.status === 'dispensed' && row.n !== o.dispensed) problems.push(`order ${id}: ${row.n} units dispensed, ${o.dispensed} acknowledged`);
  }
  const have = new Set(one('SELECT at FROM readings;').map((r) => r.at));
  const lost = acked.readings.filter((t) => !have.has(t));
  if (lost.length) problems.push(`${lost.length} acknowledged readings are missing (first at ${lost[0]})`);
  for (const r of one("SELECT slot_id, count(*) AS n FROM bookings WHERE status = 'booked' GROUP BY slot_id HAVING n > 1;"))
    problems.push(`slot ${r.slot_id} is booked ${r.n} times`);
  for (const r of one('SELECT id, quantity_received, quantity_available, (SELECT coalesce(sum(quantity), 0) FROM dispenses d WHERE d.lot_id = l.id) AS out FROM lots l;')) {
    if (r.quantity_available < 0) problems.push(`lot ${r.id} has ${r.quantity_available} in stock`);
    if (r.quantity_available + r.out !== r.quantity_received) problems.push(`lot ${r.id}: ${r.quantity_available} left + ${r.out} dispensed != ${r.quantity_received} received`);
  }
  for (const r of one("SELECT d.id, l.status FROM dispenses d JOIN lots l ON l.id = d.lot_id WHERE l.status NOT IN ('released', 'depleted');"))
    problems.push(`dispense ${r.id} took from a lot that is ${r.status}`);
  for (const r of one("SELECT d.id FROM dispenses d JOIN orders o ON o.id = d.order_id WHERE o.status IN ('pending', 'cancelled');"))
    problems.push(`dispense ${r.id} belongs to an order that was never paid`);
  const v = cli(['audit', 'verify', '--db', db]);
  if (v.status !== 0) problems.push(`audit verify: ${v.stdout}${v.stderr}`);
  return problems;
}

async function main() {
  server = await startServer({ demo: true });
  const db = server.db;
  const dir = server.dir;
  staff = await demoStaff(server.url);
  for (const c of Object.values(staff)) clients.push(c);
  const world = await setUp();
  let failed = 0;
  const started = Date.now();
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const killAfter = 150 + Math.floor(random() * 1200);
    let dead = false;
    const driving = drive(world, () => dead);
    await new Promise((r) => setTimeout(r, killAfter));
    await server.kill();
    dead = true;
    if (server.dir !== dir) rmSync(server.dir, { recursive: true, force: true });
    await driving;
    const counts = `${cutOff} requests cut off, ${acked.bookings.size} bookings, ${acked.responses.size} answers, ${acked.orders.size} orders, ${acked.aeReports.size} AE reports, ${acked.readings.length} readings`;
    server = await startServer({ db });
    for (const c of clients) c.base = server.url;
    // A booking whose answer was lost with the server may have been made: take each patient's
    // live booking from the server, so the next cycles go on cancelling and moving it.
    for (const p of world.patients) {
      const live = (await p.get('/api/v1/bookings')).json.bookings.find((b) => b.status === 'booked');
      p.booking = live ? live.id : null;
      if (live && !acked.bookings.has(live.id)) acked.bookings.set(live.id, { status: 'booked', settled: true });
    }
    const problems = check(db);
    console.log(`cycle ${cycle}: killed after ${killAfter} ms; acknowledged so far: ${counts}; ${problems.length ? 'FAILED' : 'ok'}`);
    for (const p of problems) console.log(`  ${p}`);
    if (problems.length) failed += 1;
  }
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(`crash: ${cycles - failed} of ${cycles} cycles passed in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})`);
  process.exitCode = failed ? 1 : 0;
}

assert.ok(Number.isInteger(cycles) && cycles > 0, '--cycles must be a positive whole number');
main().catch((e) => { console.error(`crash: ${e.stack}`); process.exitCode = 1; });
