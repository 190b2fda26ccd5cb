// Cold chain over HTTP and the CLI: units, loggers and placement; CSV import and sensor
// ingest (all or nothing, idempotent); automatic quarantine with an alert for QA and its
// disposition; charts' series; reports. Every bad input: a clear error, nothing stored.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, startServer, sql } from '../lib/server.mjs';
import { Client, assertError, counts, stopServer, demoStaff } from './client.mjs';
import { jstDate } from './fixtures.mjs';

let server, pharmacist, doctor, dir;
let seq = 0;
const count = (table, where = '1 = 1') => Number(sql(server.db, `SELECT count(*) FROM ${table} WHERE ${where};`));
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

before(async () => {
  server = await startServer({ demo: true });
  ({ pharmacist, doctor } = await demoStaff(server.url));
  dir = mkdtempSync(join(tmpdir(), 'exosafe-cold-'));
});
after(async () => {
  await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
});

/** Readings every 5 minutes from start (ISO, UTC) with temperatures from fn(i), as CSV. */
function csv(start, n, fn, { header = 'timestamp,temperature_c', sep = ',' } = {}) {
  const t0 = Date.parse(start);
  const lines = header ? [header] : [];
  for (let i = 0; i < n; i++) lines.push(`${new Date(t0 + i * 300e3).toISOString().replace('.000Z', 'Z')}${sep}${fn(i).toFixed(1)}`);
  return `${lines.join('\n')}\n`;
}

/** A released lot of a fresh 2–8 °C product (allowance 30 min) placed in a fresh unit with a logger. */
async function watchedLot() {
  seq += 1;
  const product = await pharmacist.post('/api/v1/products', {
    code: `CC-${seq}`, name_ja: `冷蔵品${seq}`, name_en: `Chilled ${seq}`, form: 'cream', manufacturer: 'M', country: 'JP',
    source_cell_type: 'MSC', storage_min_c: 2, storage_max_c: 8, excursion_allowance_minutes: 30, shelf_life_days: 365, price_jpy: 22000,
  });
  assert.equal(product.status, 201, product.text);
  const lot = (await pharmacist.post('/api/v1/lots', { product_id: product.json.product.id, lot_number: `CCL-${seq}`, manufactured_on: jstDate(-5), expires_on: jstDate(300), quantity: 5 })).json.lot;
  for (const kind of ['sterility', 'mycoplasma', 'endotoxin', 'viral', 'particle_count', 'identity']) {
    const c = await pharmacist.request('POST', `/api/v1/lots/${lot.id}/certificates?filename=c.pdf`, { body: Buffer.concat([PDF, Buffer.from(`% ${seq} ${kind}\n`)]), type: 'application/pdf' });
    await pharmacist.post(`/api/v1/lots/${lot.id}/tests`, { kind, result: 'pass', method: 'm', tested_on: jstDate(-1), certificate_id: c.json.certificate.id });
  }
  await pharmacist.post(`/api/v1/lots/${lot.id}/transition`, { to: 'quarantine', reason: 'review' });
  assert.equal((await pharmacist.post(`/api/v1/lots/${lot.id}/transition`, { to: 'released', reason: 'ok' })).status, 200);
  const unit = await pharmacist.post('/api/v1/storage-units', { name: `冷蔵庫${seq}`, kind: 'refrigerator', location: '2F' });
  assert.equal(unit.status, 201, unit.text);
  const logger = await pharmacist.post('/api/v1/loggers', { code: `FRIDGE-${seq}`, unit_id: unit.json.unit.id, ingest: true, interval_seconds: 300 });
  assert.equal(logger.status, 201, logger.text);
  assert.match(logger.json.api_key, /^[A-Za-z0-9_-]{40,}$/);
  // Placed a day ago, so readings from the last hours fall inside its stay.
  const placed = await pharmacist.post(`/api/v1/lots/${lot.id}/placement`, { unit_id: unit.json.unit.id });
  assert.equal(placed.status, 200, placed.text);
  sql(server.db, `UPDATE lot_placements SET from_at = from_at - 86400 WHERE lot_id = ${lot.id};`);
  return { lot, unit: unit.json.unit, logger: logger.json.logger, key: logger.json.api_key };
}

const hoursAgo = (h) => new Date(Math.floor((Date.now() - h * 3600e3) / 300e3) * 300e3).toISOString();
const upload = (loggerId, text, name = 'fridge.csv') => pharmacist.request('POST', `/api/v1/loggers/${loggerId}/import?filename=${name}`, { body: text, type: 'text/csv' });

describe('import and automatic quarantine', () => {
  test('an excursion past the allowance quarantines the lot and opens an alert; re-import adds nothing', async () => {
    const w = await watchedLot();
    // 24 readings 5 min apart; 10 of them at 12 °C: about 50 minutes outside 2–8 °C.
    const text = csv(hoursAgo(3), 24, (i) => (i >= 8 && i < 18 ? 12 : 5));
    const r = await upload(w.logger.id, text);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.rows_read, 24);
    assert.equal(r.json.rows_added, 24);
    assert.equal(r.json.alerts_raised, 1);
    assert.equal(r.json.lots_quarantined, 1);
    assert.equal(sql(server.db, `SELECT status FROM lots WHERE id = ${w.lot.id};`), 'quarantine');
    const alerts = await pharmacist.get('/api/v1/coldchain/alerts?status=open');
    const alert = alerts.json.alerts.find((a) => a.lot_id === w.lot.id);
    assert.ok(alert, 'alert for the lot');
    assert.ok(alert.minutes_outside > 30);
    assert.equal(alert.peak_celsius, 12);
    assert.equal(alert.evidence.episodes.length, 1);
    assert.equal(alert.evidence.episodes[0].direction, 'above');
    const again = await upload(w.logger.id, text);
    assert.equal(again.status, 200);
    assert.equal(again.json.rows_added, 0);
    assert.equal(count('coldchain_alerts', `lot_id = ${w.lot.id}`), 1);
    assert.match(sql(server.db, `SELECT reason FROM lot_transitions WHERE lot_id = ${w.lot.id} ORDER BY id DESC LIMIT 1;`), /automatic quarantine/);

    // QA disposes: only a pharmacist, with a justification; the lot is released again.
    assertError(await doctor.post(`/api/v1/coldchain/alerts/${alert.id}/dispose`, { disposition: 'released', justification: 'x' }), 403, 'forbidden');
    assertError(await pharmacist.post(`/api/v1/coldchain/alerts/${alert.id}/dispose`, { disposition: 'released', justification: '' }), 400, 'invalid_field', 'justification');
    assertError(await pharmacist.post(`/api/v1/coldchain/alerts/${alert.id}/dispose`, { disposition: 'ignored', justification: 'x' }), 400, 'invalid_field', 'disposition');
    const d = await pharmacist.post(`/api/v1/coldchain/alerts/${alert.id}/dispose`, { disposition: 'released', justification: 'MKT 5.9 °C、安定性データの範囲内' });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.alert.status, 'disposed');
    assert.equal(sql(server.db, `SELECT status FROM lots WHERE id = ${w.lot.id};`), 'released');
    assertError(await pharmacist.post(`/api/v1/coldchain/alerts/${alert.id}/dispose`, { disposition: 'destroyed', justification: 'again' }), 409, 'alert_closed');

    const storage = await pharmacist.get(`/api/v1/lots/${w.lot.id}/storage`);
    assert.equal(storage.status, 200);
    assert.equal(storage.json.stays.length, 1);
    assert.ok(storage.json.stays[0].mkt_celsius > 5 && storage.json.stays[0].mkt_celsius < 12);
    const pub = await new Client(server.url).get(`/api/v1/public/lots/${w.lot.id}`);
    assert.equal(pub.json.lot.storage.length, 1);
    assert.equal(pub.json.lot.storage[0].logger_id, undefined);
  });

  test('a short excursion within the allowance raises nothing', async () => {
    const w = await watchedLot();
    const r = await upload(w.logger.id, csv(hoursAgo(2), 12, (i) => (i === 5 ? 9 : 4)));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.alerts_raised, 0);
    assert.equal(sql(server.db, `SELECT status FROM lots WHERE id = ${w.lot.id};`), 'released');
    const series = await pharmacist.get(`/api/v1/loggers/${w.logger.id}/series`);
    assert.equal(series.status, 200, series.text);
    assert.deepEqual(series.json.band, { min_c: 2, max_c: 8 });
    assert.equal(series.json.readings, 12);
    assert.equal(series.json.episodes.length, 1);
    assert.ok(series.json.points.length >= 1);
  });

  test('bad files are refused with file, line and reason, and nothing is stored', async () => {
    const w = await watchedLot();
    const before = count('readings', `logger_id = ${w.logger.id}`);
    const good = csv(hoursAgo(5), 5, () => 4).trimEnd().split('\n');
    const cases = [
      [[...good.slice(0, 3), 'yesterday,4.0', ...good.slice(3)], 4, /time|timestamp/i],
      [[...good.slice(0, 3), `${good[3].split(',')[0]},-300.0`], 4, /absolute zero|impossible/i],
      [[...good.slice(0, 3), `${good[3].split(',')[0]},warm`], 4, /temperature|number/i],
      [[good[0], good[2], good[1]], 3, /order/i],
      [[good[0], good[1], `${good[1].split(',')[0]},9.9`], 3, /duplicate/i],
      // No unit anywhere: refused at the first reading, since °F read as °C would hide excursions.
      [['timestamp,temperature', ...good.slice(1)], 2, /unit/i],
    ];
    for (const [lines, line, reason] of cases) {
      const r = await upload(w.logger.id, `${lines.join('\n')}\n`, 'bad.csv');
      assertError(r, 400, 'bad_readings');
      assert.equal(r.json.error.file, 'bad.csv');
      assert.equal(r.json.error.line, line, r.text);
      assert.match(r.json.error.detail, reason, r.text);
    }
    assertError(await pharmacist.request('POST', `/api/v1/loggers/${w.logger.id}/import`, { body: good.join('\n'), type: 'application/pdf' }), 415, 'unsupported_media_type');
    assertError(await doctor.request('POST', `/api/v1/loggers/${w.logger.id}/import`, { body: good.join('\n'), type: 'text/csv' }), 403, 'forbidden');
    assert.equal(count('readings', `logger_id = ${w.logger.id}`), before);
    // A value different from one already stored is refused too.
    assert.equal((await upload(w.logger.id, csv(hoursAgo(5), 3, () => 4))).status, 200);
    const clash = await upload(w.logger.id, csv(hoursAgo(5), 3, () => 6));
    assertError(clash, 409, 'duplicate_reading');
    assert.equal(count('readings', `logger_id = ${w.logger.id}`), before + 3);
  });
});

/** text in Shift_JIS as Windows writes it (CP932), encoded by Python's cp932 codec: an encoder
 * independent of the server's glibc iconv. */
const cp932 = (text) => execFileSync('python3', ['-c', 'import sys; sys.stdout.buffer.write(sys.stdin.read().encode("cp932"))'], { input: text });
/** "YYYY/MM/DD HH:MM" in Japan time, as Japanese loggers write it. */
const jstLocal = (ms) => new Date(ms + 9 * 3600e3).toISOString().slice(0, 16).replace('T', ' ').replaceAll('-', '/');

describe('Shift_JIS logger files and errors in the user\'s language', () => {
  test('a CP932 file (日時,温度(℃), ①, half-width kana) is converted and imported; an excursion is found', async () => {
    const w = await watchedLot();
    const t0 = Date.parse(hoursAgo(3));
    const rows = Array.from({ length: 24 }, (_, i) => `${jstLocal(t0 + i * 300e3)},${i >= 8 && i < 18 ? '12.0' : '5.0'},${i === 8 ? '扉の開放 ㈱' : ''}`);
    const text = `機器名,おんどとり ｵﾝﾄﾞﾄﾘ ①号機\r\n日時,温度(℃),備考\r\n${rows.join('\r\n')}\r\n`;
    const bytes = cp932(text);
    assert.ok(bytes.includes(Buffer.from([0x87, 0x40])), 'the file holds ① as CP932 bytes (87 40)');
    assert.ok(bytes.includes(Buffer.from([0x81, 0x8e])), 'and ℃ as 81 8E');
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'it is not UTF-8');
    const r = await upload(w.logger.id, bytes, 'ondotori.csv');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.rows_added, 24);
    assert.equal(r.json.alerts_raised, 1);
    assert.equal(Number(sql(server.db, `SELECT min(at) FROM readings WHERE logger_id = ${w.logger.id};`)), t0 / 1000, 'local times read as Japan time');
    assert.equal(Number(sql(server.db, `SELECT max(celsius) FROM readings WHERE logger_id = ${w.logger.id};`)), 12);
  });

  test('a byte Shift_JIS does not define: refused with its line, in Japanese or English; nothing stored', async () => {
    const w = await watchedLot();
    const t0 = Date.parse(hoursAgo(2));
    const good = cp932(`日時,温度(℃),備考\r\n${jstLocal(t0)},5.0,\r\n`);
    const bad = Buffer.concat([good, Buffer.from(`${jstLocal(t0 + 300e3)},5.1,`), Buffer.from([0x85, 0x40]), Buffer.from('\r\n')]);
    const before = count('readings', `logger_id = ${w.logger.id}`);
    let r = await upload(w.logger.id, bad, 'sjis.csv');
    assertError(r, 400, 'bad_readings');
    assert.equal(r.json.error.line, 3);
    assert.equal(r.json.error.reason_code, 'csv_mixed_encoding');
    assert.match(r.json.error.reason, /文字コードが前の行と違います/);
    assert.match(r.json.error.message, /sjis\.csv の 3 行目: この行の文字コード/);
    r = await pharmacist.request('POST', `/api/v1/loggers/${w.logger.id}/import?filename=sjis.csv`, { body: bad, type: 'text/csv', lang: 'en' });
    assert.match(r.json.error.reason, /another encoding than the lines before it/);
    assert.match(r.json.error.message, /sjis\.csv, line 3: /);
    // Neither UTF-8 nor Shift_JIS from the first non-ASCII line on (0xFF is in neither).
    r = await upload(w.logger.id, Buffer.concat([Buffer.from('time,temp_c\n'), Buffer.from([0xff, 0x0a])]));
    assert.equal(r.json.error.reason_code, 'csv_encoding');
    assert.match(r.json.error.reason, /UTF-8 でも Shift_JIS でもありません/);
    assert.equal(count('readings', `logger_id = ${w.logger.id}`), before);
  });

  test('each parser error has a code, its values and the line; the reason is in the request\'s language', async () => {
    const w = await watchedLot();
    const good = csv(hoursAgo(5), 5, () => 4).trimEnd().split('\n');
    const text = `${[...good.slice(0, 3), 'yesterday,4.0', ...good.slice(3)].join('\n')}\n`;
    let r = await upload(w.logger.id, text);
    assertError(r, 400, 'bad_readings');
    assert.equal(r.json.error.line, 4);
    assert.equal(r.json.error.reason_code, 'csv_time');
    assert.deepEqual(r.json.error.reason_args, { value: 'yesterday' });
    assert.match(r.json.error.reason, /^日時「yesterday」を読み取れません/);
    assert.equal(r.json.error.reasons.ja, r.json.error.reason);
    assert.match(r.json.error.reasons.en, /^Cannot read the time 'yesterday'/);
    assert.match(r.json.error.detail, /unparsable timestamp 'yesterday'/);
    r = await pharmacist.request('POST', `/api/v1/loggers/${w.logger.id}/import?filename=fridge.csv`, { body: text, type: 'text/csv', lang: 'en' });
    assert.match(r.json.error.reason, /^Cannot read the time 'yesterday'/);
    // Out of order: the times quoted in Japan time.
    r = await upload(w.logger.id, `${[good[0], good[2], good[1]].join('\n')}\n`);
    assert.equal(r.json.error.reason_code, 'csv_order');
    const jst = (line) => new Date(Date.parse(line.split(',')[0]) + 9 * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
    assert.equal(r.json.error.reason_args.time, jst(good[1]));
    assert.equal(r.json.error.reason_args.previous, jst(good[2]));
    assert.match(r.json.error.reason, /記録の順番が逆です: .* が、2 行目の .* より前です/);
    // Columns.
    r = await upload(w.logger.id, `${good[0]}\n${good[1]},extra\n`);
    assert.equal(r.json.error.reason_code, 'csv_columns');
    assert.match(r.json.error.reason, /見出しは 2 列、この行は 3 列/);
  });
});

describe('cold-chain alarms to staff', () => {
  const to = (kind, link) => sql(server.db, `SELECT to_address FROM mail_outbox WHERE kind = '${kind}' AND body_text LIKE '%${link}%' ORDER BY to_address;`).split('\n');
  const text = (kind, link) => sql(server.db, `SELECT subject || ' ' || body_text FROM mail_outbox WHERE kind = '${kind}' AND body_text LIKE '%${link}%' AND to_address = 'pharmacist@clinic.example';`);
  const mailCount = (kind, like) => Number(sql(server.db, `SELECT count(*) FROM mail_outbox WHERE kind = '${kind}' AND body_text LIKE '%${like}%';`));
  const check = () => {
    const r = cli(['coldchain', 'check', '--db', server.db]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const push = (w, readings) => fetch(`${server.url}/api/v1/loggers/${w.logger.id}/readings`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${w.key}` }, body: JSON.stringify({ readings }),
  });

  test('an excursion alert is mailed at once to every pharmacist and admin, with a link to the chart; once', async () => {
    const w = await watchedLot();
    const r = await upload(w.logger.id, csv(hoursAgo(3), 24, (i) => (i >= 8 && i < 18 ? 12 : 5)));
    assert.equal(r.json.alerts_raised, 1);
    const link = `/logger.html?id=${w.logger.id}`;
    assert.deepEqual(to('coldchain_excursion', link), ['admin@clinic.example', 'pharmacist@clinic.example'], 'pharmacists and admins, not the doctor');
    const mail = text('coldchain_excursion', link);
    assert.match(mail, new RegExp(`温度逸脱の警報: ロット CCL-${seq}`));
    assert.match(mail, /許容範囲 2\.0-8\.0 °C の外に\n合計 50 分/);
    assert.match(mail, new RegExp(`\\nhttps?://[^\\s/]+/logger\\.html\\?id=${w.logger.id}\\n`), 'an absolute link to the chart ([mail] public_url)');
    check();
    assert.equal(mailCount('coldchain_excursion', link), 2, 'the check does not mail it again');
  });

  test('a connected sensor silent for three intervals raises one alarm; its recovery is noted; on screen too', async () => {
    const w = await watchedLot();
    const quiet = await watchedLot();
    const link = `/logger.html?id=${w.logger.id}`;
    // Readings every 5 minutes until 20 minutes ago: more than three 5-minute intervals of silence.
    const last = Math.floor((Date.now() - 20 * 60e3) / 60e3) * 60e3;
    const readings = [3, 2, 1, 0].map((k) => ({ at: new Date(last - k * 300e3).toISOString(), celsius: 5 }));
    assert.equal((await push(w, readings)).status, 200);
    // The other sensor keeps sending: not silent.
    assert.equal((await push(quiet, [{ at: new Date(Math.floor(Date.now() / 1e3) * 1e3 - 60e3).toISOString(), celsius: 5 }])).status, 200);
    check();
    const silences = (id) => sql(server.db, `SELECT since_at || ',' || coalesce(CAST(resumed_at AS TEXT), '') || ',' || coalesce(CAST(recovered_at AS TEXT), '') FROM logger_silences WHERE logger_id = ${id};`);
    assert.equal(silences(w.logger.id), `${last / 1000},,`, 'silent since its last reading');
    assert.equal(silences(quiet.logger.id), '');
    assert.deepEqual(to('coldchain_silent', link), ['admin@clinic.example', 'pharmacist@clinic.example']);
    const mail = text('coldchain_silent', link);
    assert.match(mail, new RegExp(`温度センサーから記録が届いていません: FRIDGE-${seq - 1}`));
    assert.match(mail, /記録間隔 5 分の3回分を超えました/);
    // One silence, one alarm, however often it is checked.
    check();
    check();
    assert.equal(mailCount('coldchain_silent', link), 2);
    assert.equal(sql(server.db, `SELECT count(*) FROM logger_silences WHERE logger_id = ${w.logger.id};`), '1');
    // On the cold-chain page's API.
    let list = (await pharmacist.get('/api/v1/coldchain/silences')).json.silences.filter((x) => x.logger_id === w.logger.id);
    assert.equal(list.length, 1);
    assert.equal(list[0].open, true);
    assert.equal(list[0].since, new Date(last).toISOString().replace('.000Z', 'Z'));
    assert.equal(list[0].logger_code, w.logger.code);
    // Readings again: recovered, noted once.
    const now = Math.floor(Date.now() / 1e3) * 1e3;
    assert.equal((await push(w, [{ at: new Date(now - 120e3).toISOString(), celsius: 5.1 }, { at: new Date(now - 60e3).toISOString(), celsius: 5.2 }])).status, 200);
    check();
    check();
    assert.match(silences(w.logger.id), new RegExp(`^${last / 1000},${(now - 120e3) / 1000},\\d+$`));
    assert.equal(mailCount('coldchain_recovered', link), 2);
    assert.match(text('coldchain_recovered', link), /記録が再び届いています/);
    list = (await pharmacist.get('/api/v1/coldchain/silences')).json.silences.filter((x) => x.logger_id === w.logger.id);
    assert.equal(list[0].open, false);
    assert.equal(list[0].resumed_at, new Date(now - 120e3).toISOString().replace('.000Z', 'Z'));
    assertError(await new Client(server.url).get('/api/v1/coldchain/silences'), 401, 'unauthenticated');
  });

  test('a logger without an ingest key or an interval is never silent', async () => {
    const unit = await pharmacist.post('/api/v1/storage-units', { name: `倉庫${seq}`, kind: 'room', location: '1F' });
    const plain = await pharmacist.post('/api/v1/loggers', { code: `FILE-ONLY-${seq}`, unit_id: unit.json.unit.id, interval_seconds: 300 });
    const noInterval = await pharmacist.post('/api/v1/loggers', { code: `NO-INTERVAL-${seq}`, ingest: true });
    assert.equal(plain.status, 201, plain.text);
    assert.equal(noInterval.status, 201, noInterval.text);
    sql(server.db, `UPDATE loggers SET created_at = created_at - 86400 WHERE id IN (${plain.json.logger.id}, ${noInterval.json.logger.id});`);
    check();
    assert.equal(sql(server.db, `SELECT count(*) FROM logger_silences WHERE logger_id IN (${plain.json.logger.id}, ${noInterval.json.logger.id});`), '0');
  });
});

describe('sensor ingest', () => {
  test('a key per logger, idempotent batches in JSON or CSV', async () => {
    const w = await watchedLot();
    const other = await watchedLot();
    const url = `${server.url}/api/v1/loggers/${w.logger.id}/readings`;
    const t0 = Date.parse(hoursAgo(1));
    const batch = { readings: [0, 1, 2].map((i) => ({ at: new Date(t0 + i * 300e3).toISOString(), celsius: 4.5 + i })) };
    const post = (body, key, type = 'application/json') => fetch(url, { method: 'POST', headers: { 'Content-Type': type, Authorization: `Bearer ${key}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    let r = await post(batch, w.key);
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal((await r.json()).rows_added, 3);
    r = await post(batch, w.key);
    assert.equal((await r.json()).rows_added, 0, 'idempotent');
    const before = count('readings', `logger_id = ${w.logger.id}`);
    r = await post(batch, other.key);
    assert.equal(r.status, 401, 'another logger\'s key');
    assert.equal((await r.json()).error.code, 'bad_logger_key');
    assert.equal((await post(batch, 'not-a-key')).status, 401);
    assert.equal((await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) })).status, 401);
    r = await post({ readings: [{ at: '2026-11-25 10:00', celsius: 4 }] }, w.key);
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.code, 'bad_readings');
    r = await post({ readings: [{ at: new Date(t0).toISOString(), celsius: -400 }] }, w.key);
    assert.equal(r.status, 400);
    r = await post({ readings: [{ at: new Date(t0 + 3600e3).toISOString(), celsius: 4, humidity: 40 }] }, w.key);
    assert.equal(r.status, 400);
    r = await post({ readings: [] }, w.key);
    assert.equal(r.status, 400);
    r = await post('{"readings": [', w.key);
    assert.equal(r.status, 400);
    assert.equal(count('readings', `logger_id = ${w.logger.id}`), before);
    r = await post(csv(new Date(t0 + 900e3).toISOString(), 2, () => 5), w.key, 'text/csv');
    assert.equal(r.status, 200);
    assert.equal((await r.json()).rows_added, 2);
  });
});

describe('plausible readings only', () => {
  // What a refused reading must leave alone.
  const TABLES = ['readings', 'reading_imports', 'coldchain_alerts', 'lot_transitions', 'audit_log'];
  const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

  test('CSV upload and JSON push refuse the same values, naming the field; nothing is stored', async () => {
    const w = await watchedLot();
    const t0 = Date.parse(hoursAgo(3));
    const dayAhead = Date.now() + 2 * 86400e3;   // past the one-day allowance, whenever the test runs
    const cases = [
      { at: iso(t0 + 600e3), celsius: 500, field: 'celsius' },
      { at: iso(t0 + 600e3), celsius: 1e308, field: 'celsius', jsonOnly: true },   // CSV numbers have no exponent
      { at: iso(t0 + 600e3), celsius: -250, field: 'celsius' },
      { at: iso(t0 + 600e3), celsius: 100.5, field: 'celsius' },
      { at: '9999-12-31T00:00:00Z', celsius: 5, field: 'at' },
      { at: '1900-01-01T08:00:00+09:00', celsius: 5, field: 'at' },   // 1899-12-31 in UTC
      { at: '1999-12-31T23:59:59Z', celsius: 5, field: 'at' },
      { at: iso(dayAhead), celsius: 5, field: 'at' },
    ];
    const url = `${server.url}/api/v1/loggers/${w.logger.id}/readings`;
    const push = (body, lang = 'ja') => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${w.key}`, 'Accept-Language': lang }, body: JSON.stringify(body) });
    const lotBefore = (await pharmacist.get(`/api/v1/lots/${w.lot.id}`)).json.lot.status;
    const before = counts(server.db, TABLES);
    for (const c of cases) {
      // Two good readings, then the bad one: all or nothing.
      const good = [{ at: iso(t0), celsius: 5 }, { at: iso(t0 + 300e3), celsius: 5.2 }];
      if (!c.jsonOnly) {
        const text = `timestamp,temperature_c\n${good.map((g) => `${g.at},${g.celsius}`).join('\n')}\n${c.at},${c.celsius}\n`;
        const r = await upload(w.logger.id, text);
        assertError(r, 400, 'bad_readings', c.field);
        assert.equal(r.json.error.line, 4, r.text);
        assert.equal(r.json.error.file, 'fridge.csv');
        assert.match(r.json.error.message, c.field === 'celsius' ? /^温度: / : /^記録日時: /, r.text);
        assert.deepEqual(counts(server.db, TABLES), before, `CSV ${c.at} ${c.celsius}`);
      }
      const r = await push({ readings: [...good, { at: c.at, celsius: c.celsius }] });
      const body = await r.json();
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(body.error.code, 'bad_readings');
      assert.equal(body.error.field, c.field, JSON.stringify(body));
      assert.equal(body.error.line, 3);
      assert.deepEqual(counts(server.db, TABLES), before, `JSON ${c.at} ${c.celsius}`);
    }
    const en = await (await push({ readings: [{ at: iso(t0), celsius: 500 }] }, 'en')).json();
    assert.match(en.error.message, /^Temperature: Outside what a temperature logger can record \(-200 °C to \+100 °C\)/);
    assert.match(en.error.detail, /500/);
    assert.equal((await pharmacist.get(`/api/v1/lots/${w.lot.id}`)).json.lot.status, lotBefore);
    // The limits themselves are readings a logger can make.
    const edges = await push({ readings: [{ at: iso(t0), celsius: -200 }, { at: iso(t0 + 300e3), celsius: 100 }] });
    assert.equal(edges.status, 200, await edges.clone().text());
  });

  test('a reading later than the time of import names the logger\'s clock; a few minutes fast is accepted', async () => {
    const w = await watchedLot();
    const url = `${server.url}/api/v1/loggers/${w.logger.id}/readings`;
    const push = (body, lang = 'ja') => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${w.key}`, 'Accept-Language': lang }, body: JSON.stringify(body) });
    const before = counts(server.db, TABLES);
    // A logger set to Japan time whose readings are read as UTC: 9 hours ahead of the import.
    const ahead = iso(Math.floor(Date.now() / 60e3) * 60e3 + 9 * 3600e3);
    let r = await push({ readings: [{ at: iso(Date.parse(hoursAgo(1))), celsius: 5 }, { at: ahead, celsius: 5 }] });
    let body = await r.json();
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(body.error.field, 'at');
    assert.match(body.error.message, /取り込み時刻より後の記録があります。ロガーの時計/);
    assert.match(body.error.detail, /after the import time .* \((8 h 5\d|9 h 00) min ahead\)/);
    r = await upload(w.logger.id, `timestamp,temperature_c\n${ahead},5\n`);
    assertError(r, 400, 'bad_readings', 'at');
    assert.match(r.json.error.detail, /the logger's clock is ahead or in another time zone/);
    body = await (await push({ readings: [{ at: ahead, celsius: 5 }] }, 'en')).json();
    assert.match(body.error.message, /^Time of reading: A reading is later than the time of import: the logger's clock is ahead/);
    assert.deepEqual(counts(server.db, TABLES), before);
    // Two minutes fast is a clock a little off, not a wrong one.
    r = await push({ readings: [{ at: iso(Date.now() + 120e3), celsius: 5 }] });
    assert.equal(r.status, 200, await r.clone().text());
  });

  test('readings arriving late for a past period are evaluated: the excursion they hold cannot hide', async () => {
    const w = await watchedLot();
    // The sensor has pushed the last hour, all in range.
    const recent = csv(hoursAgo(1), 10, () => 5);
    let r = await upload(w.logger.id, recent, 'recent.csv');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.alerts_raised, 0);
    // Then the logger's own file for ten hours ago arrives: 50 minutes at 12 °C.
    r = await upload(w.logger.id, csv(hoursAgo(10), 24, (i) => (i >= 8 && i < 18 ? 12 : 5)), 'last-night.csv');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.alerts_raised, 1);
    assert.equal(r.json.lots_quarantined, 1);
    assert.equal(sql(server.db, `SELECT status FROM lots WHERE id = ${w.lot.id};`), 'quarantine');
  });

  test('an upload\'s file name must be a plain name', async () => {
    const w = await watchedLot();
    const before = counts(server.db, TABLES);
    for (const name of ['..%2F..%2Fetc%2Fpasswd', 'a%0Ab.csv', 'dir%2Fx.csv', 'a..csv', 'x'.repeat(129)]) {
      assertError(await upload(w.logger.id, csv(hoursAgo(2), 2, () => 5), name), 400, 'invalid_field', 'filename');
    }
    assert.deepEqual(counts(server.db, TABLES), before);
  });
});

describe('CLI', () => {
  test('import-temps: all files or none, line numbers, idempotent; coldchain report', async () => {
    const w = await watchedLot();
    const a = join(dir, 'a.csv'), b = join(dir, 'b.csv'), bad = join(dir, 'bad.csv');
    writeFileSync(a, csv(hoursAgo(8), 6, () => 5));
    // JST local time, semicolon, decimal comma, no header.
    const t = new Date(Date.parse(hoursAgo(6)) + 9 * 3600e3);
    const local = [0, 1, 2].map((i) => {
      const d = new Date(t.getTime() + i * 300e3);
      return `${d.toISOString().slice(0, 10).replaceAll('-', '/')} ${d.toISOString().slice(11, 16)};${(4 + i / 2).toFixed(1).replace('.', ',')}`;
    });
    writeFileSync(b, `${local.join('\n')}\n`);
    writeFileSync(bad, 'timestamp,temperature_c\n2026-11-25T01:00:00Z,4.0\nnot a time,5.0\n');
    const before = count('readings', `logger_id = ${w.logger.id}`);
    const failed = cli(['import-temps', '--db', server.db, '--logger', w.logger.code, a, bad]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /bad\.csv:3: /);
    assert.equal(count('readings', `logger_id = ${w.logger.id}`), before, 'nothing from a.csv either');
    const noUnit = cli(['import-temps', '--db', server.db, '--logger', w.logger.code, a, b]);
    assert.equal(noUnit.status, 1);
    assert.match(noUnit.stderr, /b\.csv:1: .*unit/);
    assert.notEqual(cli(['import-temps', '--db', server.db, '--logger', w.logger.code, '--unit', 'K', a]).status, 0);
    const ok = cli(['import-temps', '--db', server.db, '--logger', w.logger.code, '--unit', 'C', a, b]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /9 readings read, 9 new/);
    const again = cli(['import-temps', '--db', server.db, '--logger', w.logger.code, '--unit', 'C', a, b]);
    assert.match(again.stdout, /9 readings read, 0 new/);
    assert.equal(Number(sql(server.db, `SELECT celsius FROM readings WHERE logger_id = ${w.logger.id} ORDER BY at DESC LIMIT 1;`)), 5);
    assert.notEqual(cli(['import-temps', '--db', server.db, '--logger', 'NO-SUCH', a]).status, 0);

    const report = cli(['coldchain', 'report', '--db', server.db, '--logger', w.logger.code, '--format', 'json']);
    assert.equal(report.status, 0, report.stderr);
    const j = JSON.parse(report.stdout);
    assert.equal(j.stretches[0].readings, 9);
    assert.ok(j.stretches[0].mkt_celsius >= 4 && j.stretches[0].mkt_celsius <= 5.1);
    const lotReport = cli(['coldchain', 'report', '--db', server.db, '--lot', w.lot.lot_number, '--format', 'csv']);
    assert.equal(lotReport.status, 0, lotReport.stderr);
    assert.equal(lotReport.stdout.split('\n')[0].replaceAll('"', ''), 'place,start,end,minutes,peak_celsius,direction,open');
    const svg = cli(['coldchain', 'report', '--db', server.db, '--logger', w.logger.code, '--format', 'svg']);
    assert.equal(svg.status, 0, svg.stderr);
    assert.match(svg.stdout, /^<\?xml|^<svg/);
    assert.match(svg.stdout, /<\/svg>\s*$/);
    assert.notEqual(cli(['coldchain', 'report', '--db', server.db, '--logger', w.logger.code, '--from', 'yesterday']).status, 0);
  });
});

test('the public lot page is kept between changes: the same bytes again, a new import or an outside edit seen at once', async () => {
  const w = await watchedLot();
  const anon = new Client(server.url);
  const first = await anon.get(`/api/v1/public/lots/${w.lot.id}`);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.lot.storage[0].readings, 0);
  const again = await anon.get(`/api/v1/public/lots/${w.lot.id}`);
  assert.equal(again.text, first.text);
  assert.equal(again.headers.get('content-type'), first.headers.get('content-type'));
  assert.equal((await upload(w.logger.id, csv(hoursAgo(2), 12, () => 5))).status, 200);
  const imported = await anon.get(`/api/v1/public/lots/${w.lot.id}`);
  assert.equal(imported.json.lot.storage[0].readings, 12);
  // The logger's chart series is kept the same way.
  const series = await pharmacist.get(`/api/v1/loggers/${w.logger.id}/series`);
  assert.equal(series.json.readings, 12);
  assert.equal((await pharmacist.get(`/api/v1/loggers/${w.logger.id}/series`)).text, series.text);
  assert.equal((await upload(w.logger.id, csv(hoursAgo(1), 6, () => 6), 'more.csv')).status, 200);
  const more = await pharmacist.get(`/api/v1/loggers/${w.logger.id}/series?from=${encodeURIComponent(hoursAgo(2))}&to=${encodeURIComponent(new Date().toISOString().replace(/\.\d+Z$/, 'Z'))}`);
  assert.equal(more.status, 200, more.text);
  assert.equal(more.json.readings, 18);
  assert.equal((await anon.get(`/api/v1/public/lots/${w.lot.id}`)).json.lot.storage[0].readings, 18);
  sql(server.db, `UPDATE lots SET donor_screening = 'edited outside the server' WHERE id = ${w.lot.id};`);
  const edited = await anon.get(`/api/v1/public/lots/${w.lot.id}`);
  assert.equal(edited.json.lot.donor_screening, 'edited outside the server');
});
