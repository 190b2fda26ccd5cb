// The patients' e-mails, each through the outbox to a real local SMTP server (aiosmtpd):
// booking confirmation and reminder (a cancelled or moved booking's reminder withdrawn),
// approval and decline, payment details on an order, shipment with the carrier's tracking link,
// a recall notice per recipient counted in the recall's progress, and a new consent version
// told once to patients who accepted an older one.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { root, sql, startServer } from '../lib/server.mjs';
import { startSmtp } from '../lib/smtp.mjs';
import { Client, signupBody, stopServer, demoStaff } from './client.mjs';
import { cleanAnswers, holdCall, jstDate, QUESTIONNAIRE_VERSION } from './fixtures.mjs';

const PUBLIC_URL = 'https://clinic.example.jp';
const KINDS = ['sterility', 'mycoplasma', 'endotoxin', 'viral', 'particle_count', 'identity'];
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

let smtp, server, dir, data, config, pharmacist, doctor, admin, clinic;
const killedDirs = []; // folders of servers killed for a restart (the database lives there)
let seq = 0;

before(async () => {
  smtp = await startSmtp();
  dir = mkdtempSync(join(tmpdir(), 'exosafe-mailevents-'));
  // A copy of data/: the consent test publishes a new version in it.
  data = join(dir, 'data');
  cpSync(join(root, 'data'), data, { recursive: true });
  config = join(dir, 'exosafe.ini');
  writeFileSync(config, `[mail]\nsmtp_url = ${smtp.url}\nfrom = noreply@clinic.example.jp\npoll_seconds = 1\npublic_url = ${PUBLIC_URL}\n`);
  server = await startServer({ demo: true, args: ['--config', config, '--data', data] });
  ({ pharmacist, doctor, admin } = await demoStaff(server.url));
  clinic = (await admin.get('/api/v1/clinic')).json;
});

after(async () => {
  await stopServer(server);
  await smtp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const d of killedDirs) rmSync(d, { recursive: true, force: true });
});

const mailsTo = (email) => smtp.messages().filter((m) => m.to === email);
const waitMail = (email, pred) => smtp.waitFor((ms) => ms.some((m) => m.to === email && pred(m)))
  .then((ms) => ms.find((m) => m.to === email && pred(m)));

async function newPatient(lang) {
  seq += 1;
  const p = new Client(server.url);
  p.email = `mail${seq}.${process.pid}@patient.example`;
  const s = await p.signup(signupBody({ email: p.email, name: `メール 太郎${seq}`, lang }));
  assert.equal(s.status, 201, s.text);
  p.id = s.json.user.id;
  return p;
}

/** A slot of the demo doctor starting hoursAhead from now; returns it. */
async function slotIn(hoursAhead) {
  const start = Math.ceil((Date.now() + hoursAhead * 3600e3) / 300e3) * 300e3 + seq * 600e3;
  const iso = (ms) => new Date(ms).toISOString().replace('.000', '');
  const r = await doctor.post('/api/v1/slots', { start: iso(start), end: iso(start + 300e3), slot_minutes: 5 });
  assert.equal(r.status, 201, r.text);
  const day = new Date(start + 9 * 3600e3).toISOString().slice(0, 10);
  const list = await doctor.get(`/api/v1/slots?date=${day}`);
  const slot = list.json.slots.find((s) => Date.parse(s.starts_at) === start);
  assert.ok(slot, list.text);
  return slot;
}

describe('bookings', () => {
  test('a booking is confirmed by mail; its reminder waits until 24 h before, and goes out then', async () => {
    const p = await newPatient();
    const slot = await slotIn(72);
    const b = await p.post('/api/v1/bookings', { slot_id: slot.id });
    assert.equal(b.status, 201, b.text);
    const m = await waitMail(p.email, (x) => /予約を承りました/.test(x.subject));
    assert.ok(m.subject.startsWith(`【${clinic.clinic.name}】`), m.subject);
    assert.match(m.subject, /^【.+】お電話の予約を承りました\(\d{4}年\d{1,2}月\d{1,2}日\(.\) \d\d:\d\d\)$/);
    // The time is Japan time.
    const jst = new Date(Date.parse(slot.starts_at) + 9 * 3600e3);
    assert.ok(m.subject.includes(`${jst.getUTCHours().toString().padStart(2, '0')}:${jst.getUTCMinutes().toString().padStart(2, '0')}`), m.subject);
    assert.match(m.body, /担当医: 医師 一郎/);
    assert.ok(m.body.includes(`${PUBLIC_URL}/book.html`));
    const id = b.json.booking.id;
    const reminder = sql(server.db, `SELECT status || '|' || not_before FROM mail_outbox WHERE dedupe_key LIKE 'booking_reminder:${id}:%';`);
    assert.equal(reminder, `queued|${Date.parse(slot.starts_at) / 1000 - 24 * 3600}`);
    // Time passes (the reminder falls due): it is sent.
    sql(server.db, `UPDATE mail_outbox SET not_before = 0, next_attempt_at = 0 WHERE dedupe_key LIKE 'booking_reminder:${id}:%';`);
    const r = await waitMail(p.email, (x) => /お電話のご予約のお知らせ/.test(x.subject));
    assert.match(r.body, /日時: \d{4}年/);
  });

  test('moving a booking withdraws the old reminder and queues the new one; cancelling withdraws it', async () => {
    const p = await newPatient();
    const first = await slotIn(80);
    const b = (await p.post('/api/v1/bookings', { slot_id: first.id })).json.booking;
    const second = await slotIn(90);
    const moved = await p.post(`/api/v1/bookings/${b.id}/reschedule`, { slot_id: second.id });
    assert.ok(moved.status === 200 || moved.status === 201, moved.text);
    const nb = moved.json.booking;
    assert.equal(sql(server.db, `SELECT status FROM mail_outbox WHERE dedupe_key LIKE 'booking_reminder:${b.id}:%';`), 'cancelled');
    assert.equal(sql(server.db, `SELECT status FROM mail_outbox WHERE dedupe_key LIKE 'booking_reminder:${nb.id}:%';`), 'queued');
    await smtp.waitFor(() => mailsTo(p.email).filter((x) => /予約を承りました/.test(x.subject)).length === 2);
    const c = await p.post(`/api/v1/bookings/${nb.id}/cancel`, {});
    assert.equal(c.status, 200, c.text);
    assert.equal(sql(server.db, `SELECT status FROM mail_outbox WHERE dedupe_key LIKE 'booking_reminder:${nb.id}:%';`), 'cancelled');
    assert.equal(sql(server.db, `SELECT count(*) FROM mail_outbox WHERE recipient_user_id = ${p.id} AND kind = 'booking_reminder' AND status = 'queued';`), '0');
  });

  test('a patient who signed up in English gets the English mail', async () => {
    const p = await newPatient('en');
    const slot = await slotIn(30);
    assert.equal((await p.post('/api/v1/bookings', { slot_id: slot.id })).status, 201);
    const m = await waitMail(p.email, (x) => /Your call is booked/.test(x.subject));
    assert.match(m.subject, /\(\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d \(Japan time\)\)$/);
    assert.match(m.body, /^Dear メール 太郎\d+,/m);
  });

  test('a booking sooner than 24 h gets a confirmation and no reminder', async () => {
    const p = await newPatient();
    const slot = await slotIn(3);
    const b = (await p.post('/api/v1/bookings', { slot_id: slot.id })).json.booking;
    await waitMail(p.email, (x) => /予約を承りました/.test(x.subject));
    assert.equal(sql(server.db, `SELECT count(*) FROM mail_outbox WHERE dedupe_key LIKE 'booking_reminder:${b.id}:%';`), '0');
  });
});

// ---- orders: the same steps as tests/http/trace.test.mjs

let pdfSeq = 0;
async function releasedLot(productId, quantity = 10) {
  seq += 1;
  const r = await pharmacist.post('/api/v1/lots', { product_id: productId, lot_number: `ML-${seq}`, manufactured_on: jstDate(-10), expires_on: jstDate(300), quantity, donor_age: 30, donor_screening: 'HBV/HCV/HIV negative' });
  assert.equal(r.status, 201, r.text);
  const lot = r.json.lot;
  for (const kind of KINDS) {
    const c = await pharmacist.request('POST', `/api/v1/lots/${lot.id}/certificates?filename=c.pdf`,
      { body: Buffer.concat([PDF, Buffer.from(`% mail ${++pdfSeq} ${process.pid}\n`)]), type: 'application/pdf' });
    assert.equal(c.status, 201, c.text);
    const t = await pharmacist.post(`/api/v1/lots/${lot.id}/tests`, { kind, result: 'pass', method: 'JP', tested_on: jstDate(-1), certificate_id: c.json.certificate.id });
    assert.equal(t.status, 201, t.text);
  }
  assert.equal((await pharmacist.post(`/api/v1/lots/${lot.id}/transition`, { to: 'quarantine', reason: 'review' })).status, 200);
  assert.equal((await pharmacist.post(`/api/v1/lots/${lot.id}/transition`, { to: 'released', reason: 'ok' })).status, 200);
  return lot;
}

async function newProduct() {
  seq += 1;
  const r = await pharmacist.post('/api/v1/products', {
    code: `MP-${seq}`, name_ja: `メール試験製品${seq}`, name_en: `Mail product ${seq}`, form: 'cream', manufacturer: 'Test Co.',
    country: 'Japan', source_cell_type: 'adipose MSC', storage_min_c: 2, storage_max_c: 8, excursion_allowance_minutes: 60,
    shelf_life_days: 365, price_jpy: 22000,
  });
  assert.equal(r.status, 201, r.text);
  return r.json.product;
}

async function answered(p) {
  const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
  assert.equal(q.status, 201, q.text);
  const c = (await p.get('/api/v1/consent')).json.consent;
  assert.equal((await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja })).status, 201);
  await holdCall(admin, p);
  return q.json.response.id;
}

describe('treatment, orders, shipment, recall', () => {
  let product, lot;
  before(async () => {
    product = await newProduct();
    lot = await releasedLot(product.id);
  });

  test('a decline is mailed without the doctor\'s notes', async () => {
    const p = await newPatient();
    const response = await answered(p);
    const d = await doctor.post(`/api/v1/patients/${p.id}/decision`, { response_id: response, decision: 'declined', notes: '内部メモ: 既往歴を要確認', decline_reason: '既往歴のため' });
    assert.equal(d.status, 201, d.text);
    const m = await waitMail(p.email, (x) => /医師の判断のお知らせ/.test(x.subject));
    assert.equal(m.subject, `【${clinic.clinic.name}】医師の判断のお知らせ`);
    assert.match(m.body, /お出しできません/);
    assert.doesNotMatch(m.body, /内部メモ|既往歴/);
    assert.ok(m.body.includes(`${PUBLIC_URL}/status.html`));
  });

  let buyer, order;
  test('an approval, then an order: the payment details with the bank account and the total', async () => {
    buyer = await newPatient();
    const response = await answered(buyer);
    const d = await doctor.post(`/api/v1/patients/${buyer.id}/decision`, { response_id: response, decision: 'approved', notes: 'ok', product_id: product.id, quantity: 2, directions: '1日1回', valid_until: jstDate(30) });
    assert.equal(d.status, 201, d.text);
    const a = await waitMail(buyer.email, (x) => /ご注文いただけます/.test(x.subject));
    assert.ok(a.body.includes(`製品: ${product.name.ja}`), a.body);
    assert.match(a.body, /数量: 2 まで/);
    assert.ok(a.body.includes(`${PUBLIC_URL}/order.html`));

    const o = await buyer.post('/api/v1/orders', { quantity: 2, payment_method: 'bank_transfer' });
    assert.equal(o.status, 201, o.text);
    order = o.json.order;
    const m = await waitMail(buyer.email, (x) => /ご注文ありがとうございます/.test(x.subject));
    assert.equal(m.subject, `【${clinic.clinic.name}】ご注文ありがとうございます(注文番号 ${order.id})`);
    assert.match(m.body, /お支払い金額: 44,000円\(税込\)/);
    const bank = clinic.clinic.bank;
    assert.ok(m.body.includes(`お振込先: ${bank.bank_name} ${bank.bank_branch} ${bank.account_type_label.ja} ${bank.account_number} ${bank.account_holder}`), m.body);
    assert.match(m.body, new RegExp(`ご注文番号 ${order.id}`));
  });

  test('shipping with ヤマト運輸 mails the tracking link; an unknown carrier only the number', async () => {
    assert.equal((await admin.post(`/api/v1/orders/${order.id}/payment`, { reference: 'ﾒｰﾙ ﾀﾛｳ' })).status, 200);
    assert.equal((await pharmacist.post(`/api/v1/orders/${order.id}/dispense`, {})).status, 200);
    const s = await pharmacist.post(`/api/v1/orders/${order.id}/ship`, { carrier: 'ヤマト運輸', tracking_number: '1234-5678-9012' });
    assert.equal(s.status, 200, s.text);
    const m = await waitMail(buyer.email, (x) => /発送しました/.test(x.subject));
    assert.match(m.body, /配送業者: ヤマト運輸/);
    assert.match(m.body, /お問い合わせ番号: 1234-5678-9012/);
    assert.ok(m.body.includes('配送状況の確認: https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id=123456789012'), m.body);

    // A second buyer, shipped by a carrier without a known tracking page.
    const other = await newPatient();
    const response = await answered(other);
    assert.equal((await doctor.post(`/api/v1/patients/${other.id}/decision`, { response_id: response, decision: 'approved', notes: 'ok', product_id: product.id, quantity: 1, directions: '1日1回', valid_until: jstDate(30) })).status, 201);
    const o2 = (await other.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' })).json.order;
    assert.equal((await admin.post(`/api/v1/orders/${o2.id}/payment`, { reference: 'x' })).status, 200);
    assert.equal((await pharmacist.post(`/api/v1/orders/${o2.id}/dispense`, {})).status, 200);
    assert.equal((await pharmacist.post(`/api/v1/orders/${o2.id}/ship`, { carrier: '西濃運輸', tracking_number: 'S-0001' })).status, 200);
    const m2 = await waitMail(other.email, (x) => /発送しました/.test(x.subject));
    assert.match(m2.body, /お問い合わせ番号: S-0001/);
    assert.doesNotMatch(m2.body, /https:\/\/(?!clinic\.example\.jp)/, 'no tracking link');
  });

  test('a recall mails every recipient once, and the lot\'s progress counts the notices sent', async () => {
    const r = await pharmacist.post(`/api/v1/lots/${lot.id}/recall`, { reason: '無菌試験の再検査' });
    assert.equal(r.status, 200, r.text);
    const recipients = [...new Set(r.json.recipients.map((x) => x.email))];
    assert.equal(recipients.length, 2);
    for (const email of recipients) {
      const m = await waitMail(email, (x) => /回収のお知らせ/.test(x.subject));
      assert.equal(m.subject, `【重要・${clinic.clinic.name}】お届けした製品の回収のお知らせ`);
      assert.match(m.body, new RegExp(`ロット番号: ${lot.lot_number}`));
      assert.ok(m.body.includes(`電話: ${clinic.clinic.phone}`), m.body);
    }
    // Sent means accepted by the relay; the progress shows it.
    const deadline = Date.now() + 10000;
    let mail;
    for (;;) {
      mail = (await pharmacist.get(`/api/v1/lots/${lot.id}/recipients`)).json.mail;
      if (mail.sent === 2 || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.deepEqual(mail, { queued: 0, sent: 2, failed: 0 });
    // Recalling again (picking up later dispenses) does not mail anyone twice.
    assert.equal((await pharmacist.post(`/api/v1/lots/${lot.id}/recall`, { reason: 'again' })).status, 200);
    await new Promise((res) => setTimeout(res, 1500));
    for (const email of recipients) assert.equal(mailsTo(email).filter((x) => /回収/.test(x.subject)).length, 1);
  });
});

describe('consent versions', () => {
  test('publishing a new consent version tells patients who accepted the older one, once', async () => {
    const p = await newPatient();
    const c = (await p.get('/api/v1/consent')).json.consent;
    assert.equal((await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja })).status, 201);
    const never = await newPatient(); // accepted nothing: not told
    // Publish version c.version + 1 (a new file) and restart.
    const current = JSON.parse(readFileSync(join(data, 'consent', `${c.id}-v${c.version}.json`), 'utf8'));
    const next = { ...current, version: c.version + 1,
      changes: { ja: '連絡先の記載を改めました。', en: 'The contact details were revised.' },
      text: { ja: `${current.text.ja}\n(第${c.version + 1}版)`, en: `${current.text.en}\n(version ${c.version + 1})` } };
    writeFileSync(join(data, 'consent', `${c.id}-v${c.version + 1}.json`), JSON.stringify(next));
    const db = server.db;
    await server.kill();
    killedDirs.push(server.dir);
    const restarted = await startServer({ db, args: ['--config', config, '--data', data] });
    const m = await waitMail(p.email, (x) => /同意書が改訂されました/.test(x.subject));
    assert.match(m.body, new RegExp(`第${c.version + 1}版`));
    assert.ok(m.body.includes(`${PUBLIC_URL}/consent.html`));
    assert.equal(mailsTo(never.email).filter((x) => /同意書/.test(x.subject)).length, 0);
    // A second restart does not tell them again. The outbox delivers at least once: a kill
    // between the relay's acceptance and the row marked sent sends it again at the next
    // start (by design), so the kill waits for the row to be marked.
    const consentRows = `kind = 'consent_updated' AND recipient_user_id = ${p.id}`;
    for (let i = 0; i < 100 && sql(db, `SELECT count(*) FROM mail_outbox WHERE ${consentRows} AND status = 'sent';`) !== '1'; i++)
      await new Promise((res) => setTimeout(res, 100));
    assert.equal(sql(db, `SELECT count(*) FROM mail_outbox WHERE ${consentRows};`), '1', 'queued once');
    await restarted.kill();
    await restarted.stop();
    server = await startServer({ db, args: ['--config', config, '--data', data] });
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(mailsTo(p.email).filter((x) => /同意書が改訂されました/.test(x.subject)).length, 1);
  });
});
