// Search and paging of the staff lists (review queue, orders, adverse events), one API for all:
// ?q=&status=&limit=&offset= answered with total, limit and offset. Names match with or
// without spaces and kana in hiragana or katakana; numbers match the row's number. Paging over
// more rows than a page returns every row once, in the list's order. Bad parameters are a 400
// naming the parameter.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, sql } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer, demoStaff } from './client.mjs';
import { QUESTIONNAIRE_VERSION, cleanAnswers, jstDate } from './fixtures.mjs';

let server;
let admin;
let doctor;
let pharmacist;
const patients = [];

// Twelve patients: more than a page of 5. Two share a family name to test the search.
const PEOPLE = [
  ['山田 花子', 'ヤマダ ハナコ'], ['山田 太郎', 'ヤマダ タロウ'], ['佐藤 一', 'サトウ ハジメ'], ['鈴木 二美', 'スズキ フタミ'],
  ['高橋 三郎', 'タカハシ サブロウ'], ['田中 四季', 'タナカ シキ'], ['伊藤 五月', 'イトウ サツキ'], ['渡辺 六花', 'ワタナベ リッカ'],
  ['中村 七海', 'ナカムラ ナナミ'], ['小林 八雲', 'コバヤシ ヤクモ'], ['加藤 九', 'カトウ キュウ'], ['吉田 十和', 'ヨシダ トワ'],
];

before(async () => {
  server = await startServer({ demo: true });
  ({ admin, doctor, pharmacist } = await demoStaff(server.url));
  for (const [i, [name, kana]] of PEOPLE.entries()) {
    const c = new Client(server.url);
    const r = await c.signup(signupBody({ email: `list${i}@patient.example`, name, name_kana: kana }));
    assert.equal(r.status, 201, r.text);
    c.id = r.json.user.id;
    c.name = name;
    // Every third patient flags a prior anaphylaxis (a blocking flag): those lead the queue.
    const answers = cleanAnswers(i % 3 === 0 ? { anaphylaxis: true } : {});
    const q = await c.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers });
    assert.equal(q.status, 201, q.text);
    patients.push(c);
  }
});
after(async () => { await stopServer(server); });

/** Follows offset paging of path (which has its own query) until total; returns the rows. */
async function allPages(client, path, key, limit) {
  const rows = [];
  let total = null;
  for (let offset = 0; total === null || offset < total; offset += limit) {
    const r = await client.get(`${path}${path.includes('?') ? '&' : '?'}limit=${limit}&offset=${offset}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.limit, limit);
    assert.equal(r.json.offset, offset);
    total ??= r.json.total;
    assert.equal(r.json.total, total, 'the total stays the same across pages');
    assert.ok(r.json[key].length <= limit);
    rows.push(...r.json[key]);
  }
  return { rows, total };
}

describe('review queue: search and paging', () => {
  test('pages of 5 hold every waiting patient once, blocking flags first, then oldest first', async () => {
    const whole = await doctor.get('/api/v1/review/queue?limit=500');
    assert.equal(whole.json.total, PEOPLE.length);
    const { rows, total } = await allPages(doctor, '/api/v1/review/queue', 'queue', 5);
    assert.equal(total, PEOPLE.length);
    assert.deepEqual(rows.map((r) => r.patient_id), whole.json.queue.map((r) => r.patient_id));
    assert.equal(new Set(rows.map((r) => r.patient_id)).size, PEOPLE.length);
    const rank = { block: 0, 'needs-attention': 1, info: 2, none: 3 };
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1], b = rows[i];
      assert.ok(rank[a.worst_level] < rank[b.worst_level] || (rank[a.worst_level] === rank[b.worst_level] && a.submitted_at <= b.submitted_at), `${a.worst_level} ${a.submitted_at} before ${b.worst_level} ${b.submitted_at}`);
    }
    assert.equal(rows[0].worst_level, 'block');
    // The default page is 50, enough for this queue.
    assert.equal((await doctor.get('/api/v1/review/queue')).json.queue.length, PEOPLE.length);
  });

  test('search by name (with or without the space), kana in hiragana or katakana, patient number; status', async () => {
    const names = async (q) => (await doctor.get(`/api/v1/review/queue?q=${encodeURIComponent(q)}`)).json.queue.map((r) => r.patient_name).sort();
    assert.deepEqual(await names('山田'), ['山田 太郎', '山田 花子']);
    assert.deepEqual(await names('山田花子'), ['山田 花子']);
    assert.deepEqual(await names('やまだ'), ['山田 太郎', '山田 花子']);
    assert.deepEqual(await names('ヤマダ　タロウ'), ['山田 太郎']);
    assert.deepEqual(await names('ﾔﾏﾀﾞ'), ['山田 太郎', '山田 花子'], 'half-width katakana (NFKC)');
    assert.deepEqual(await names('はなこ'), ['山田 花子']);
    assert.deepEqual(await names(String(patients[4].id)), ['高橋 三郎']);
    assert.deepEqual(await names('%'), [], 'LIKE wildcards are literal');
    assert.deepEqual(await names('存在しない'), []);
    const blocked = await doctor.get('/api/v1/review/queue?status=block');
    assert.equal(blocked.json.total, 4);
    for (const r of blocked.json.queue) assert.equal(r.worst_level, 'block');
    const both = await doctor.get(`/api/v1/review/queue?status=block&q=${encodeURIComponent('やまだ')}`);
    assert.deepEqual(both.json.queue.map((r) => r.patient_name), ['山田 花子']);
  });

  test('bad parameters are refused, naming them; only doctors see the queue', async () => {
    assertError(await doctor.get('/api/v1/review/queue?status=urgent'), 400, 'invalid_field', 'status');
    assertError(await doctor.get('/api/v1/review/queue?limit=0'), 400, 'invalid_field', 'limit');
    assertError(await doctor.get('/api/v1/review/queue?limit=501'), 400, 'invalid_field', 'limit');
    assertError(await doctor.get('/api/v1/review/queue?offset=-1'), 400, 'invalid_field', 'offset');
    assertError(await doctor.get(`/api/v1/review/queue?q=${'あ'.repeat(101)}`), 400, 'invalid_field', 'q');
    assertError(await pharmacist.get('/api/v1/review/queue'), 403, 'forbidden');
    assertError(await patients[0].get('/api/v1/review/queue'), 403, 'forbidden');
  });
});

describe('orders: search and paging', () => {
  let demoOrders;  // the demo's follow-up cohort: delivered orders of its own patients
  before(() => {
    demoOrders = Number(sql(server.db, "SELECT count(*) FROM orders WHERE status = 'delivered';"));
    // Orders as the database holds them (the order journey itself is tested in trace.test.mjs):
    // two per patient, statuses in turn.
    const statuses = ['awaiting_payment', 'paid', 'dispensed', 'shipped', 'delivered', 'cancelled'];
    const rows = [];
    let n = 0;
    for (const p of patients) {
      for (let k = 0; k < 2; k++) {
        rows.push(`(${p.id}, 1, 1, 1, 22000, 22000, '${statuses[n++ % statuses.length]}', 'bank_transfer', '${p.name}', '150-0001', '東京都', '090-1234-5678', ${Math.floor(Date.now() / 1000)})`);
      }
    }
    sql(server.db, `INSERT INTO orders (patient_id, decision_id, product_id, quantity, unit_price_jpy, total_jpy, status, payment_method, ship_name, ship_postal_code, ship_address, ship_phone, created_at) VALUES ${rows.join(',')};`);
  });

  test('pages of 5 hold every order once, newest first; status counts for the tabs', async () => {
    const { rows, total } = await allPages(pharmacist, '/api/v1/orders', 'orders', 5);
    assert.equal(total, 24 + demoOrders);
    const ids = rows.map((o) => o.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.equal(new Set(ids).size, 24 + demoOrders);
    const r = await admin.get('/api/v1/orders?status=paid&limit=3');
    assert.equal(r.json.total, 4);
    assert.equal(r.json.orders.length, 3);
    for (const o of r.json.orders) assert.equal(o.status, 'paid');
    assert.deepEqual(r.json.status_counts, { awaiting_payment: 4, paid: 4, dispensed: 4, shipped: 4, delivered: 4 + demoOrders, cancelled: 4 });
  });

  test('search by patient name, kana, and order number (#N too)', async () => {
    const r = await pharmacist.get(`/api/v1/orders?q=${encodeURIComponent('すずき')}`);
    assert.equal(r.json.total, 2);
    for (const o of r.json.orders) assert.equal(o.patient_id, patients[3].id);
    assert.equal(Object.values(r.json.status_counts).reduce((a, b) => a + b, 0), 2, 'counts follow the search');
    const one = (await pharmacist.get('/api/v1/orders?limit=1')).json.orders[0];
    for (const q of [String(one.id), `#${one.id}`]) {
      const byNumber = await pharmacist.get(`/api/v1/orders?q=${encodeURIComponent(q)}`);
      assert.ok(byNumber.json.orders.some((o) => o.id === one.id), q);
      assert.ok(byNumber.json.orders.every((o) => o.id === one.id || String(o.patient_name).includes(q)), q);
    }
  });

  test('bad parameters; patients still get only their own orders, unpaged', async () => {
    assertError(await pharmacist.get('/api/v1/orders?status=lost'), 400, 'invalid_field', 'status');
    assertError(await pharmacist.get('/api/v1/orders?limit=abc'), 400, 'invalid_field', 'limit');
    assertError(await pharmacist.get('/api/v1/orders?offset=x'), 400, 'invalid_field', 'offset');
    const mine = await patients[0].get('/api/v1/orders');
    assert.equal(mine.status, 200);
    assert.equal(mine.json.orders.length, 2);
    for (const o of mine.json.orders) assert.equal(o.patient_id, patients[0].id);
    assertError(await patients[0].get('/api/v1/orders?status=lost'), 400, 'invalid_field', 'status');
  });
});

describe('adverse events: search and paging', () => {
  before(async () => {
    // Each of the first seven patients reports once; the first as severe (urgent until assessed).
    for (const [i, p] of patients.slice(0, 7).entries()) {
      const r = await p.post('/api/v1/adverse-events', { symptoms: ['itching'], description: 'かゆみ', onset_date: jstDate(0), ongoing: true, severity: i === 0 ? 'severe' : 'mild' });
      assert.equal(r.status, 201, r.text);
      p.reportId = r.json.report.id;
    }
  });

  test('pages of 3 hold every report once in triage order (urgent first, then newest)', async () => {
    const whole = (await doctor.get('/api/v1/adverse-events?limit=500')).json;
    assert.equal(whole.total, 7);
    const { rows, total } = await allPages(doctor, '/api/v1/adverse-events', 'reports', 3);
    assert.equal(total, 7);
    assert.deepEqual(rows.map((r) => r.id), whole.reports.map((r) => r.id));
    assert.equal(rows[0].id, patients[0].reportId, 'the severe unassessed report leads');
    const rest = rows.slice(1).map((r) => r.id);
    assert.deepEqual(rest, [...rest].sort((a, b) => b - a));
  });

  test('search by name, kana and report number; status', async () => {
    const r = await pharmacist.get(`/api/v1/adverse-events?q=${encodeURIComponent('たなか')}`);
    assert.deepEqual(r.json.reports.map((x) => x.id), [patients[5].reportId]);
    const byNumber = await pharmacist.get(`/api/v1/adverse-events?q=${patients[2].reportId}`);
    assert.ok(byNumber.json.reports.some((x) => x.id === patients[2].reportId));
    const urgent = await pharmacist.get('/api/v1/adverse-events?status=urgent');
    assert.deepEqual(urgent.json.reports.map((x) => x.id), [patients[0].reportId]);
    assert.equal((await pharmacist.get('/api/v1/adverse-events?status=unassessed')).json.total, 7);
    assert.equal((await pharmacist.get('/api/v1/adverse-events?status=assessed')).json.total, 0);
    assertError(await pharmacist.get('/api/v1/adverse-events?status=open'), 400, 'invalid_field', 'status');
    assertError(await pharmacist.get('/api/v1/adverse-events?limit=9999'), 400, 'invalid_field', 'limit');
    // A patient sees their own reports only, whatever they ask for.
    const mine = await patients[1].get(`/api/v1/adverse-events?q=${encodeURIComponent('山田')}`);
    assert.deepEqual(mine.json.reports.map((x) => x.id), [patients[1].reportId]);
  });
});
