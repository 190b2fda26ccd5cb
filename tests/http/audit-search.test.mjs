// The admins' audit page API: filters by person, patient, action and JST dates, keyset paging
// over more rows than a page, actions and people in words, the CSV export (formula-escaped,
// itself audited), who may use it, and bad filters refused with the parameter named and
// nothing written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, sql } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer } from './client.mjs';
import { jstDate } from './fixtures.mjs';

let server;
let admin;
let adminId;
let doctor;
let doctorId;
const patients = [];

const auditRows = () => Number(sql(server.db, 'SELECT count(*) FROM audit_log;'));

before(async () => {
  server = await startServer({ demo: true });
  admin = new Client(server.url);
  await admin.login('admin@clinic.example', 'admin-demo-pass');
  adminId = (await admin.get('/api/v1/me')).json.user.id;
  // A staff member whose name looks like a spreadsheet formula: the CSV must not run it.
  const made = await admin.post('/api/v1/users', { email: 'formula.doc@clinic.example', password: 'formula-doctor-pass', name: '=HYPERLINK("http://evil.example")', role: 'doctor' });
  assert.equal(made.status, 201, made.text);
  doctorId = made.json.user.id;
  doctor = new Client(server.url);
  await doctor.login('formula.doc@clinic.example', 'formula-doctor-pass');
  for (const [i, name, kana] of [[1, '検索 一子', 'ケンサク イチコ'], [2, '監査 二郎', 'カンサ ジロウ']]) {
    const c = new Client(server.url);
    const r = await c.signup(signupBody({ email: `audit${i}@patient.example`, name, name_kana: kana }));
    assert.equal(r.status, 201, r.text);
    c.id = r.json.user.id;
    c.name = name;
    patients.push(c);
  }
  // 23 profile reads by the first patient: more rows than one page of 10.
  for (let i = 0; i < 23; i++) assert.equal((await patients[0].get('/api/v1/me')).status, 200);
  assert.equal((await patients[1].get('/api/v1/me')).status, 200);
});
after(async () => { await stopServer(server); });

describe('audit log search', () => {
  test('only admins: patients, doctors and pharmacists get 403, anonymous 401', async () => {
    const pharmacist = new Client(server.url);
    await pharmacist.login('pharmacist@clinic.example', 'pharmacist-demo-pass');
    for (const path of ['/api/v1/audit', '/api/v1/audit.csv', '/api/v1/audit/filters']) {
      for (const c of [patients[0], doctor, pharmacist]) assertError(await c.get(path), 403, 'forbidden');
      assertError(await new Client(server.url).get(path), 401, 'unauthenticated');
    }
  });

  test('filters offer every action in words (ja and en) and people by name', async () => {
    const r = await admin.get('/api/v1/audit/filters');
    assert.equal(r.status, 200, r.text);
    const login = r.json.actions.find((a) => a.code === 'auth.login');
    assert.equal(login.label_ja, 'ログイン');
    assert.equal(login.label_en, 'Logged in');
    assert.ok(r.json.actions.some((a) => a.code === 'audit.export'));
    const p = r.json.people.find((x) => x.id === patients[0].id);
    assert.deepEqual([p.name, p.name_kana, p.role], ['検索 一子', 'ケンサク イチコ', 'patient']);
    assert.ok(r.json.people.some((x) => x.id === doctorId && x.role === 'doctor'));
  });

  test('by person: only that actor, with their name and the action in words', async () => {
    const r = await admin.get(`/api/v1/audit?actor=${doctorId}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.entries.length >= 1);
    for (const e of r.json.entries) {
      assert.equal(e.actor_id, doctorId);
      assert.equal(e.actor_name, '=HYPERLINK("http://evil.example")');
    }
    const login = r.json.entries.find((e) => e.action === 'auth.login');
    assert.equal(login.action_label, 'ログイン');
    const en = await admin.get(`/api/v1/audit?actor=${doctorId}&action=auth.login`, { lang: 'en' });
    assert.equal(en.json.entries[0].action_label, 'Logged in');
    assert.equal(en.json.total, 1);
    // actor=0: the system and anonymous clients (a failed log-in with an unknown address).
    const anon = new Client(server.url);
    await anon.primeCsrf();
    await anon.post('/api/v1/auth/login', { email: 'nobody@nowhere.example', password: 'wrong-password-123' });
    const system = await admin.get('/api/v1/audit?actor=0');
    assert.ok(system.json.entries.length >= 1);
    for (const e of system.json.entries) assert.equal(e.actor_id, 0);
  });

  test('by patient: rows about the patient, named; another patient\'s rows are not there', async () => {
    const [p1, p2] = patients;
    const r = await admin.get(`/api/v1/audit?patient=${p1.id}&limit=500`);
    assert.equal(r.status, 200, r.text);
    const actions = new Set(r.json.entries.map((e) => e.action));
    for (const a of ['auth.signup', 'patient.profile.read']) assert.ok(actions.has(a), `${a} in ${[...actions]}`);
    for (const e of r.json.entries) {
      assert.equal(e.patient_id, p1.id, JSON.stringify(e));
      assert.equal(e.patient_name, p1.name);
    }
    assert.equal(r.json.total, r.json.entries.length);
    const other = await admin.get(`/api/v1/audit?patient=${p2.id}&limit=500`);
    for (const e of other.json.entries) assert.equal(e.patient_id, p2.id);
    assert.ok(!other.json.entries.some((e) => r.json.entries.some((x) => x.id === e.id)));
  });

  test('by date (Japan time, both days inclusive)', async () => {
    const today = jstDate();
    const r = await admin.get(`/api/v1/audit?date_from=${today}&date_to=${today}&limit=500`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.entries.length > 0);
    const jstDay = (iso) => new Date(Date.parse(iso) + 9 * 3600e3).toISOString().slice(0, 10);
    for (const e of r.json.entries) assert.equal(jstDay(e.at), today);
    const tomorrow = await admin.get(`/api/v1/audit?date_from=${jstDate(1)}`);
    assert.equal(tomorrow.json.entries.length, 0);
    assert.equal(tomorrow.json.total, 0);
    const yesterday = await admin.get(`/api/v1/audit?date_to=${jstDate(-1)}`);
    assert.equal(yesterday.json.entries.length, 0);
    const midnight = Date.parse(`${jstDate()}T00:00:00+09:00`) / 1000;
    const rows = Number(sql(server.db, `SELECT count(*) FROM audit_log WHERE at >= ${midnight} AND at < ${midnight + 86400} AND id <= ${r.json.entries[0].id};`));
    assert.equal(r.json.total, rows, 'the total counts exactly today\'s rows (JST)');
    assert.equal(r.json.entries.length, Math.min(rows, 500));
  });

  test('paging: newest first, next_after continues, every row once, as many as total', async () => {
    const where = `action = 'patient.profile.read' AND actor_id = ${patients[0].id}`;
    const want = sql(server.db, `SELECT id FROM audit_log WHERE ${where} ORDER BY id DESC;`).split('\n').map(Number);
    assert.ok(want.length >= 23);
    const seen = [];
    let after = null;
    let pages = 0;
    for (;;) {
      const r = await admin.get(`/api/v1/audit?actor=${patients[0].id}&action=patient.profile.read&limit=10${after ? `&after=${after}` : ''}`);
      assert.equal(r.status, 200, r.text);
      // total counts every matching row, also those written since the first page (below).
      assert.equal(r.json.total, want.length + pages);
      assert.ok(r.json.entries.length <= 10);
      seen.push(...r.json.entries.map((e) => e.id));
      // A matching row written while paging does not shift the pages (keyset on id).
      assert.equal((await patients[0].get('/api/v1/me')).status, 200);
      pages++;
      if (r.json.next_after === null) break;
      assert.equal(r.json.next_after, seen.at(-1));
      after = r.json.next_after;
    }
    assert.deepEqual(seen, want, 'the pages together are exactly the matching rows, newest first');
    assert.equal(pages, Math.ceil(want.length / 10));
  });

  test('the first page reports the chain intact; later pages skip the full verification', async () => {
    const first = await admin.get('/api/v1/audit?limit=5');
    assert.equal(first.json.intact, true);
    const next = await admin.get(`/api/v1/audit?limit=5&after=${first.json.next_after}`);
    assert.equal(next.status, 200);
    assert.equal(next.json.intact, undefined);
  });

  test('CSV export: the filtered rows in words, formulas neutralised, and the export audited', async () => {
    const before = Number(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'audit.export';"));
    const total = (await admin.get(`/api/v1/audit?actor=${doctorId}`)).json.total;
    const r = await admin.get(`/api/v1/audit.csv?actor=${doctorId}`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    assert.match(r.headers.get('content-disposition') ?? '', /audit-log\.csv/);
    const lines = r.text.trimEnd().split('\r\n');
    assert.equal(lines[0], '番号,日時(日本時間),操作した人の番号,操作した人,役割,操作コード,操作,対象,患者番号,患者,詳細');
    assert.equal(lines.length - 1, total);
    const login = lines.find((l) => l.includes(',auth.login,'));
    assert.ok(login.includes(',ログイン,'), login);
    assert.ok(login.includes(`,"'=HYPERLINK(""http://evil.example"")",`), `formula neutralised: ${login}`);
    assert.ok(!/,=/.test(r.text), 'no cell starts with =');
    assert.match(login, /^\d+,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,/);
    const exports = sql(server.db, "SELECT actor_id || '|' || detail FROM audit_log WHERE action = 'audit.export' ORDER BY id DESC LIMIT 1;");
    assert.equal(Number(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'audit.export';")), before + 1);
    assert.equal(exports, `${adminId}|${total} rows: actor=${doctorId}`);
    const en = await admin.get(`/api/v1/audit.csv?actor=${doctorId}&action=auth.login`, { lang: 'en' });
    assert.ok(en.text.startsWith('id,time (JST),'), en.text);
    assert.ok(en.text.includes(',Logged in,'));
    // The export is itself in the log, findable by its action.
    const found = await admin.get('/api/v1/audit?action=audit.export');
    assert.equal(found.json.entries[0].action_label, '監査ログのCSV出力');
  });

  test('bad filters: 400 naming the parameter, nothing read or written', async () => {
    const cases = [
      ['action=no.such.action', 'action'],
      ['action=auth.login%27%20OR%201=1', 'action'],
      ['date_from=2026-13-01', 'date_from'],
      ['date_from=2026-02-30', 'date_from'],
      ['date_to=yesterday', 'date_to'],
      [`date_from=${jstDate(2)}&date_to=${jstDate(1)}`, 'date_to'],
      ['actor=-1', 'actor'],
      ['actor=abc', 'actor'],
      ['patient=0', 'patient'],
      ['after=0', 'after'],
      ['after=1x', 'after'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
    ];
    for (const [query, field] of cases) {
      for (const path of ['/api/v1/audit', '/api/v1/audit.csv']) {
        const rows = auditRows();
        const r = await admin.get(`${path}?${query}`, { lang: 'en' });
        if (path.endsWith('.csv') && field === 'limit') { assert.equal(r.status, 200); continue; }
        assertError(r, 400, 'invalid_field', field);
        assert.equal(auditRows(), rows, `${path}?${query} wrote nothing`);
      }
    }
    const order = await admin.get(`/api/v1/audit?date_from=${jstDate(2)}&date_to=${jstDate(1)}`);
    assert.match(order.json.error.message, /終了日は開始日と同じか/);
    const action = await admin.get('/api/v1/audit?action=nope', { lang: 'en' });
    assert.match(action.json.error.message, /^Action: Choose one of the actions/);
  });

  test('every action the log holds after these journeys has a label', async () => {
    const codes = sql(server.db, 'SELECT DISTINCT action FROM audit_log;').split('\n');
    const known = new Set((await admin.get('/api/v1/audit/filters')).json.actions.map((a) => a.code));
    for (const c of codes) assert.ok(known.has(c), `action ${c} has no label in src/core/audit_actions.c`);
  });
});
