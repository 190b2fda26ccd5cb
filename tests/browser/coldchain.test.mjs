// Browser test of the cold chain against the real server (issue 5, "Seeing it"): the
// pharmacist registers a storage unit and a logger with HTTP ingest (its key shown once, copied
// to the clipboard, gone after closing), places a released lot in the unit, uploads a logger CSV
// with about 50 minutes at 12 °C (the summary says 1 alert, 1 lot quarantined), sees the chart
// with the allowed band and the excursion shaded, zooms by dragging and resets, is shown file,
// line and reason for a bad file; a connected sensor posts readings with the key and the chart
// updates; on the cold-chain page the open alert is released with a justification and the lot
// is released again; the lot page shows its storage history and the public lot page the storage
// summary without logger ids. Screenshots go to build/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openPage, screenshot, assertNoSidewaysScroll, openReady, jstDay, logIn, shots, DESKTOP_ABROAD as DESKTOP, PHONE, apiIn, useBrowser, assertNoClaims } from '../lib/browser.mjs';
import { cli, sql, startServer } from '../lib/server.mjs';

const JST_MS = 9 * 3600 * 1000;
const PDF = '%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n';
const KINDS = ['sterility', 'mycoplasma', 'endotoxin', 'viral', 'particle_count', 'identity'];

useBrowser();

/** A released lot of a new 2–8 °C product with a 30-minute allowance, made through the API. */
async function releasedLot(page) {
  const product = await apiIn(page, 'POST', '/api/v1/products', {
    code: 'CC-UI-1', name_ja: '冷蔵クリーム', name_en: 'Chilled cream', form: '外用クリーム', manufacturer: 'デモ製造株式会社',
    country: '日本', source_cell_type: 'ヒト脂肪由来幹細胞培養上清', storage_min_c: 2, storage_max_c: 8,
    excursion_allowance_minutes: 30, shelf_life_days: 365, price_jpy: 22000,
  });
  assert.equal(product.status, 201, JSON.stringify(product.json));
  const lot = await apiIn(page, 'POST', '/api/v1/lots', {
    product_id: product.json.product.id, lot_number: `CCUI-${jstDay(0).replaceAll('-', '')}`,
    manufactured_on: jstDay(-5), expires_on: jstDay(300), quantity: 10,
  });
  assert.equal(lot.status, 201, JSON.stringify(lot.json));
  const id = lot.json.lot.id;
  for (const kind of KINDS) {
    const cert = await apiIn(page, 'POST', `/api/v1/lots/${id}/certificates?filename=${kind}.pdf`, { raw: `${PDF}% ${id} ${kind}\n`, type: 'application/pdf' });
    assert.equal(cert.status, 201, JSON.stringify(cert.json));
    const result = await apiIn(page, 'POST', `/api/v1/lots/${id}/tests`, {
      kind, result: 'pass', method: '試験', tested_on: jstDay(-1), certificate_id: cert.json.certificate.id,
    });
    assert.equal(result.status, 201, JSON.stringify(result.json));
  }
  assert.equal((await apiIn(page, 'POST', `/api/v1/lots/${id}/transition`, { to: 'quarantine', reason: '受入検査' })).status, 200);
  assert.equal((await apiIn(page, 'POST', `/api/v1/lots/${id}/transition`, { to: 'released', reason: '6項目合格' })).status, 200);
  return lot.json.lot;
}

/** The instant h hours ago, on a 5-minute boundary (ms). */
const hoursAgo = (h) => Math.floor((Date.now() - h * 3600e3) / 300e3) * 300e3;

/** A logger CSV: n readings 5 minutes apart from t0 (ms), temperatures fn(i). */
function csv(t0, n, fn) {
  const lines = ['timestamp,temperature_c'];
  for (let i = 0; i < n; i++) lines.push(`${new Date(t0 + i * 300e3).toISOString().replace('.000Z', 'Z')},${fn(i).toFixed(1)}`);
  return `${lines.join('\n')}\n`;
}

/** Counts the chart's shaded pixels: the excursion (red) and the allowed band (green). */
function shadedPixels(page) {
  return page.$eval('#chart canvas', (canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let red = 0;
    let green = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (a === 0 || a > 120) continue; // the translucent shades only, not the lines or the axes
      if (r > g + 80 && r > b + 80) red += 1;
      else if (g > r + 40 && g > b + 25) green += 1;
    }
    return { red, green };
  });
}

/** Uploads a CSV through the logger page's form; returns when the page answered. */
async function uploadCsv(page, name, text, unit = '') {
  await page.setInputFiles('#import-file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.selectOption('#import-unit', unit);
  await page.click('#import-form button[type="submit"]');
  await page.locator('#import-result:not([hidden]), #import-error:not([hidden]), #import-form [data-form-error]:not([hidden])').first().waitFor();
}

/** Waits until the logger page has drawn a chart newer than version. */
async function chartAfter(page, version) {
  await page.waitForFunction((v) => Number(document.body.dataset.chartVersion) > v && !document.querySelector('#chart[aria-busy]'), version);
  return Number(await page.evaluate(() => document.body.dataset.chartVersion));
}

test('cold chain: unit and logger, placement, CSV import with quarantine, chart and zoom, ingest, disposition, storage history', async () => {
  const server = await startServer({ demo: true });
  const { url } = server;
  const staff = await openPage(DESKTOP);
  await staff.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  try {
    const s = staff.page;
    await logIn(s, url, 'pharmacist@clinic.example', 'pharmacist-demo-pass');
    assert.equal(await s.getAttribute('#quality-coldchain-link', 'href'), '/coldchain.html');
    await Promise.all([s.waitForURL(`${url}/coldchain.html`), s.click('#quality-coldchain-link')]);
    await s.waitForSelector('body[data-ready="true"]');
    assert.ok(await s.locator('#alerts-empty').isVisible());
    assert.ok(await s.locator('#units-empty').isVisible());

    // ---- A storage unit, then a logger watching it with HTTP ingest.
    await s.click('#unit-add summary');
    await s.click('#unit-form button[type="submit"]');
    await s.locator('#unit-name-error:not([hidden])').waitFor();
    await s.fill('#unit-name', '冷蔵庫B');
    await s.selectOption('#unit-kind', 'refrigerator');
    await s.fill('#unit-location', '2階 薬剤室');
    await s.click('#unit-form button[type="submit"]');
    const unitItem = s.locator('#unit-list li', { hasText: '冷蔵庫B' });
    await unitItem.waitFor();
    const unitId = Number(await unitItem.getAttribute('data-unit-id'));
    assert.match(await unitItem.textContent(), /ロガーがありません/);

    await s.click('#logger-add summary');
    await s.fill('#logger-code', 'FRIDGE-B');
    await s.fill('#logger-description', '冷蔵庫Bの庫内（上段）');
    await s.selectOption('#logger-unit', String(unitId));
    await s.fill('#logger-interval', '5');
    await s.check('#logger-ingest');
    await s.click('#logger-form button[type="submit"]');
    await s.locator('#key-panel:not([hidden])').waitFor();
    const key = (await s.textContent('#api-key')).trim();
    assert.match(key, /^[A-Za-z0-9_-]{40,}$/);
    assert.match(await s.textContent('#key-panel'), /二度と表示できません/);
    const loggerItem = s.locator('#logger-list li[data-logger-code="FRIDGE-B"]');
    const loggerId = Number(await loggerItem.getAttribute('data-logger-id'));
    assert.match(await s.textContent('#api-endpoint'), new RegExp(`/api/v1/loggers/${loggerId}/readings$`));
    assert.match(await unitItem.textContent(), /FRIDGE-B/);
    await s.click('#key-copy');
    await s.locator('#key-copied:not([hidden])').waitFor();
    assert.equal(await s.evaluate(() => navigator.clipboard.readText()), key, 'the key is on the clipboard');
    await assertNoSidewaysScroll(s, 'cold chain with the key');
    await screenshot(s, 'coldchain-key.png');
    await s.click('#key-done');
    assert.ok(await s.locator('#key-panel').isHidden());
    await openReady(s, url, '/coldchain.html');
    assert.ok(!(await s.content()).includes(key), 'the key is not shown again');

    // ---- A released lot, placed in the unit from its page (the stay backdated a day, so the
    // readings of the last hours fall inside it).
    const lot = await releasedLot(s);
    await openReady(s, url, `/lot.html?id=${lot.id}`);
    assert.ok(await s.locator('#stays-empty').isVisible());
    await s.selectOption('#placement-unit', String(unitId));
    await s.click('#placement-form button[type="submit"]');
    await s.locator('#placement-form [data-form-status]:not([hidden])').waitFor();
    assert.match(await s.textContent('#placement-form [data-form-status]'), /冷蔵庫B/);
    sql(server.db, `UPDATE lot_placements SET from_at = from_at - 86400 WHERE lot_id = ${lot.id};`);

    // ---- The logger page: upload a file with about 50 minutes at 12 °C.
    await openReady(s, url, '/coldchain.html');
    await Promise.all([s.waitForURL(`${url}/logger.html?id=${loggerId}`), loggerItem.locator('a.record__title').click()]);
    await s.waitForSelector('body[data-ready="true"]');
    assert.equal(await s.textContent('#logger-code'), 'FRIDGE-B');
    assert.ok(await s.locator('#chart-empty').isVisible());
    const t0 = hoursAgo(4);
    const readings = 36;
    const text = csv(t0, readings, (i) => (i >= 12 && i < 22 ? 12 : 4.5 + (i % 3) * 0.5));
    let version = Number(await s.evaluate(() => document.body.dataset.chartVersion));
    await uploadCsv(s, 'fridge-b.csv', text);
    const summary = s.locator('#import-summary');
    assert.equal(await summary.getAttribute('data-read'), String(readings));
    assert.equal(await summary.getAttribute('data-added'), String(readings));
    assert.equal(await summary.getAttribute('data-alerts'), '1');
    assert.equal(await summary.getAttribute('data-quarantined'), '1');
    assert.match(await s.textContent('#import-alerts'), /1ロットを保留/);
    assert.equal(await s.getAttribute('#import-alerts a', 'href'), '/coldchain.html');
    version = await chartAfter(s, version);
    assert.equal((await apiIn(s, 'GET', `/api/v1/lots/${lot.id}`)).json.lot.status, 'quarantine');

    // The chart: readings, the allowed band and the excursion shaded, stats of the window.
    const chart = s.locator('#chart');
    assert.ok(Number(await chart.getAttribute('data-points')) > 0);
    assert.equal(await chart.getAttribute('data-band-drawn'), 'true');
    assert.equal(await chart.getAttribute('data-episodes-drawn'), '1');
    const pixels = await shadedPixels(s);
    assert.ok(pixels.red > 500, `the excursion is shaded (${pixels.red} px)`);
    assert.ok(pixels.green > 500, `the allowed band is shaded (${pixels.green} px)`);
    assert.equal(await s.getAttribute('#stats', 'data-readings'), String(readings));
    assert.equal(await s.getAttribute('#stats', 'data-minutes-outside'), '50');
    const stats = await s.textContent('#stats');
    for (const want of ['12.0℃', '4.5℃', '2.0〜8.0℃', '平均キネティック温度', '50分']) assert.ok(stats.includes(want), `stats show ${want}`);
    assert.match(await s.textContent('#episodes'), /上限を超えた: 50分、最も離れた温度 12\.0℃/);
    assert.match(await s.textContent('#chart-range'), /JST/);
    // Times are Japan time on a New York desktop: the first reading's JST clock time shows.
    const firstJst = new Date(t0 + JST_MS).toISOString().slice(11, 16);
    assert.match(await s.textContent('#chart-range'), new RegExp(firstJst));
    assert.ok(await s.locator('#zoom-reset').isDisabled());
    await assertNoSidewaysScroll(s, 'logger');
    await screenshot(s, 'logger-chart.png');

    // Drag across the chart: the window shrinks and the series is fetched again for it.
    const fullFrom = Number(await chart.getAttribute('data-from'));
    const fullTo = Number(await chart.getAttribute('data-to'));
    await chart.scrollIntoViewIfNeeded();
    const over = await s.locator('#chart .u-over').boundingBox();
    const y = over.y + over.height / 2;
    await s.mouse.move(over.x + over.width * 0.25, y);
    await s.mouse.down();
    await s.mouse.move(over.x + over.width * 0.6, y, { steps: 8 });
    await s.mouse.up();
    version = await chartAfter(s, version);
    assert.equal(await chart.getAttribute('data-zoomed'), 'true');
    const zoomFrom = Number(await chart.getAttribute('data-from'));
    const zoomTo = Number(await chart.getAttribute('data-to'));
    assert.ok(zoomFrom > fullFrom && zoomTo < fullTo, `zoomed to ${zoomFrom}–${zoomTo} inside ${fullFrom}–${fullTo}`);
    assert.ok(Number(await s.getAttribute('#stats', 'data-readings')) < readings, 'the stats follow the window');
    assert.match(await s.textContent('#chart-range'), /拡大表示/);
    assert.equal(await chart.getAttribute('data-episodes-drawn'), '1', 'the excursion is inside the window');
    await screenshot(s, 'logger-chart-zoomed.png');
    await s.click('#zoom-reset');
    version = await chartAfter(s, version);
    assert.equal(await chart.getAttribute('data-zoomed'), 'false');
    assert.equal(await s.getAttribute('#stats', 'data-readings'), String(readings));
    await s.click('#zoom-in');
    version = await chartAfter(s, version);
    assert.equal(await chart.getAttribute('data-zoomed'), 'true', 'the zoom buttons work too (phones)');
    await s.click('#zoom-reset');
    version = await chartAfter(s, version);

    // A bad file: file, line and reason; nothing stored.
    const bad = text.trimEnd().split('\n');
    bad.splice(3, 0, 'yesterday,4.0');
    await uploadCsv(s, 'fridge-bad.csv', `${bad.join('\n')}\n`);
    assert.ok(await s.locator('#import-error').isVisible());
    assert.equal(await s.getAttribute('#import-error', 'data-file'), 'fridge-bad.csv');
    assert.equal(await s.getAttribute('#import-error', 'data-line'), '4');
    const errorText = await s.textContent('#import-error');
    assert.match(errorText, /何も保存されていません/);
    assert.match(errorText, /4行目/);
    assert.match(errorText, /日時「yesterday」を読み取れません/, 'the reason in Japanese, not the parser\'s English');
    assert.equal(await s.getAttribute('#import-error', 'data-reason-code'), 'csv_time');
    assert.ok(await s.locator('#import-result').isHidden());
    await screenshot(s, 'logger-upload-error.png');
    // In English, a Shift_JIS (CP932) file with a byte Shift_JIS does not define on line 3.
    await s.click('[data-lang-toggle]');
    const sjis = Buffer.concat([Buffer.from([0x93, 0xfa, 0x8e, 0x9e, 0x2c, 0x89, 0xb7, 0x93, 0x78, 0x28, 0x81, 0x8e, 0x29, 0x0d, 0x0a]),  // 日時,温度(℃) in CP932
      Buffer.from(`${bad[1]}\r\n${bad[2].split(',')[0]},4.0,`), Buffer.from([0x85, 0x40, 0x0d, 0x0a])]);
    await uploadCsv(s, 'fridge-sjis.csv', sjis);
    assert.equal(await s.getAttribute('#import-error', 'data-line'), '3');
    assert.equal(await s.getAttribute('#import-error', 'data-reason-code'), 'csv_mixed_encoding');
    assert.match(await s.textContent('#import-error'), /another encoding than the lines before it/);
    await screenshot(s, 'logger-upload-error-sjis-en.png');
    // Back to Japanese: the reason follows the page's language.
    await s.click('[data-lang-toggle]');
    await s.waitForFunction(() => /文字コードが前の行と違います/.test(document.getElementById('import-error').textContent));
    // No file chosen: the page says so and sends nothing.
    await s.setInputFiles('#import-file', []);
    await s.click('#import-form button[type="submit"]');
    await s.locator('#import-file-error:not([hidden])').waitFor();

    // ---- A connected sensor posts three readings with its key; the chart picks them up.
    const lastReading = t0 + (readings - 1) * 300e3;
    const batch = { readings: [1, 2, 3].map((i) => ({ at: new Date(lastReading + i * 300e3).toISOString(), celsius: 4.8 })) };
    const ingest = await fetch(`${url}/api/v1/loggers/${loggerId}/readings`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` }, body: JSON.stringify(batch),
    });
    assert.equal(ingest.status, 200, await ingest.clone().text());
    assert.equal((await ingest.json()).rows_added, 3);
    const wrongKey = await fetch(`${url}/api/v1/loggers/${loggerId}/readings`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer not-the-key' }, body: JSON.stringify(batch),
    });
    assert.equal(wrongKey.status, 401);
    await s.click('#chart-refresh');
    version = await chartAfter(s, version);
    assert.equal(await s.getAttribute('#stats', 'data-readings'), String(readings + 3));
    assert.ok(Number(await chart.getAttribute('data-to')) >= Math.floor((lastReading + 3 * 300e3) / 1000), 'the window reaches the new readings');

    // ---- The open alert on a phone (the context is used again at the end).
    const phone = await openPage(PHONE);
    const f = phone.page;
    await logIn(f, url, 'pharmacist@clinic.example', 'pharmacist-demo-pass');
    await openReady(f, url, '/coldchain.html');
    await f.locator(`#alert-list li[data-lot-id="${lot.id}"]`).waitFor();
    await assertNoSidewaysScroll(f, 'cold chain with an alert on a phone');
    await screenshot(f, 'coldchain-alert-phone.png');

    // ---- The sensor's last reading is about 50 minutes old: more than three 5-minute intervals.
    // The check (the server runs it every minute) records the silence; the page shows it.
    assert.equal(cli(['coldchain', 'check', '--db', server.db]).status, 0);
    // ---- The cold-chain page: the silent sensor; the open alert, released with a justification.
    await openReady(s, url, '/coldchain.html');
    const silence = s.locator(`#silence-list li[data-logger-id="${loggerId}"]`);
    await silence.waitFor();
    assert.equal(await silence.getAttribute('data-open'), 'true');
    assert.match(await silence.textContent(), /FRIDGE-B.*記録なし.*冷蔵庫B/s);
    assert.equal(await silence.locator(`a[href="/logger.html?id=${loggerId}"]`).count(), 2, 'the code and the chart link');
    assert.equal(await s.getAttribute('#silences-count', 'data-count'), '1');
    const alertItem = s.locator(`#alert-list li[data-lot-id="${lot.id}"]`);
    await alertItem.waitFor();
    assert.equal(await s.getAttribute('#alerts-count', 'data-count'), '1');
    const alertText = await alertItem.textContent();
    for (const want of [lot.lot_number, '冷蔵クリーム', '冷蔵庫B', 'FRIDGE-B', '50分（許容 30分）', '12.0℃', '2.0〜8.0℃', 'JST']) {
      assert.ok(alertText.includes(want), `the alert shows ${want}`);
    }
    assert.equal(await alertItem.locator('[data-over="true"]').count(), 1, 'the time outside is marked as over the allowance');
    await assertNoSidewaysScroll(s, 'cold chain');
    await screenshot(s, 'coldchain.png');
    await alertItem.locator('button[data-disposition="released"]').click();
    const confirmButton = alertItem.locator('button[data-confirm="released"]');
    await confirmButton.waitFor();
    assert.match(await alertItem.locator('.confirm-panel__title').textContent(), new RegExp(`${lot.lot_number} を出荷可に戻します`));
    await confirmButton.click();
    await alertItem.locator('[data-error-for="justification"]:not([hidden])').waitFor();
    assert.equal((await apiIn(s, 'GET', `/api/v1/lots/${lot.id}`)).json.lot.status, 'quarantine', 'nothing happens without a justification');
    await alertItem.locator('textarea').fill('MKT 5.9℃、範囲外50分は製造元の安定性データ（12℃で24時間）の範囲内。');
    await screenshot(s, 'coldchain-dispose-confirm.png');
    await confirmButton.click();
    await s.locator('#alerts-empty:not([hidden])').waitFor();
    assert.match(await s.textContent('#cc-notice'), /出荷可に戻し/);
    const disposed = s.locator(`#disposed-list li[data-disposition="released"]`);
    assert.equal(await disposed.count(), 1);
    assert.match(await disposed.textContent(), /安定性データ/);
    assert.equal((await apiIn(s, 'GET', `/api/v1/lots/${lot.id}`)).json.lot.status, 'released', 'the lot is released again');
    await screenshot(s, 'coldchain-disposed.png');

    // ---- The lot page: the storage history with the stay and the alert.
    await Promise.all([s.waitForURL(`${url}/lot.html?id=${lot.id}`), disposed.locator('a.record__title').click()]);
    await s.waitForSelector('body[data-ready="true"]');
    assert.equal(await s.getAttribute('#lot-status .status-badge', 'data-status'), 'released');
    const stays = s.locator('#stay-list > li');
    assert.equal(await stays.count(), 1);
    const stayText = await stays.first().textContent();
    for (const want of ['冷蔵庫B', '現在', '平均キネティック温度', '50分（許容 30分）', '12.0℃', `${readings + 3}件`]) {
      assert.ok(stayText.includes(want), `the stay shows ${want}`);
    }
    assert.equal(await stays.first().locator('a.chart-link').getAttribute('href'), `/logger.html?id=${loggerId}`);
    assert.match(await s.textContent('#storage-current'), /冷蔵庫B/);
    const lotAlert = s.locator('#lot-alert-list > li');
    assert.equal(await lotAlert.count(), 1);
    assert.equal(await lotAlert.getAttribute('data-status'), 'disposed');
    assert.match(await lotAlert.locator('a').getAttribute('href'), /^\/coldchain\.html#alert-\d+$/);
    assert.match(await s.textContent('#history-list'), /automatic quarantine|自動/);
    await assertNoSidewaysScroll(s, 'lot with storage');
    await s.locator('#storage-card').scrollIntoViewIfNeeded();
    await screenshot(s, 'lot-storage.png');
    await s.locator('#storage-card').screenshot({ path: join(shots, 'lot-storage-card.png') });
    // The alert link opens the cold-chain page at that alert.
    await Promise.all([s.waitForURL(/\/coldchain\.html#alert-\d+$/), lotAlert.locator('a').click()]);
    await s.waitForSelector('body[data-ready="true"]');
    assert.equal(await s.locator('#disposed-list li.record--target').count(), 1);

    // ---- The public lot page: the storage summary, no logger ids, no unit names.
    const anon = await openPage(PHONE);
    try {
      const a = anon.page;
      await openReady(a, url, `/public-lot.html?id=${lot.id}`);
      const card = a.locator('#storage-card');
      assert.equal(await a.locator('#storage-list > li').count(), 1);
      const cardText = await card.textContent();
      for (const want of ['平均キネティック温度', '12.0℃', '50分（許容 30分）', 'JST']) assert.ok(cardText.includes(want), `public storage shows ${want}`);
      const body = await a.textContent('body');
      for (const secret of ['FRIDGE-B', '冷蔵庫B', '2階 薬剤室', key, '安定性データ']) {
        assert.ok(!body.includes(secret), `no internal data: ${secret}`);
      }
      assert.equal(await a.locator('a[href^="/logger.html"]').count(), 0);
      await assertNoSidewaysScroll(a, 'public lot with storage');
      await card.scrollIntoViewIfNeeded();
      await screenshot(a, 'public-lot-storage.png');
      await a.click('[data-lang-toggle]');
      await a.waitForFunction(() => document.documentElement.lang === 'en');
      assert.match(await card.textContent(), /Mean kinetic temperature.*12\.0 °C/s);
      await screenshot(a, 'public-lot-storage-en.png');
      assert.deepEqual(anon.problems, []);
    } finally {
      await anon.context.close();
    }

    // ---- The same pages on a phone; the chart fits the screen and stays readable.
    try {
      await openReady(f, url, '/coldchain.html');
      await assertNoSidewaysScroll(f, 'cold chain on a phone');
      await screenshot(f, 'coldchain-phone.png');
      await openReady(f, url, `/logger.html?id=${loggerId}`);
      await assertNoSidewaysScroll(f, 'logger on a phone');
      const box = await f.locator('#chart canvas').boundingBox();
      assert.ok(box.width >= 300 && box.width <= 390, `the chart is ${box.width}px wide on a 390px phone`);
      assert.ok(box.height >= 240, `the chart is ${box.height}px high`);
      await screenshot(f, 'logger-chart-phone.png');
      await f.locator('#chart').screenshot({ path: join(shots, 'logger-chart-phone-detail.png') });
      let v = Number(await f.evaluate(() => document.body.dataset.chartVersion));
      await f.click('#zoom-in');
      v = await chartAfter(f, v);
      assert.equal(await f.getAttribute('#chart', 'data-zoomed'), 'true');
      await screenshot(f, 'logger-chart-phone-zoomed.png');
      await f.click('[data-lang-toggle]');
      await f.waitForFunction(() => document.documentElement.lang === 'en');
      assert.match(await f.textContent('#chart-heading'), /Temperature record/);
      assert.match(await f.textContent('#stats'), /Mean kinetic temperature/);
      await assertNoSidewaysScroll(f, 'logger in English on a phone');
      await screenshot(f, 'logger-chart-phone-en.png');
      await f.click('[data-lang-toggle]');
      await f.waitForFunction(() => document.documentElement.lang === 'ja');
      await openReady(f, url, `/lot.html?id=${lot.id}`);
      await assertNoSidewaysScroll(f, 'lot on a phone');
      await f.locator('#storage-card').scrollIntoViewIfNeeded();
      await f.locator('#storage-card').screenshot({ path: join(shots, 'lot-storage-phone.png') });
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.context.close();
    }

    assert.deepEqual(staff.problems, []);
  } finally {
    await staff.context.close();
    await server.stop();
  }
});

test('cold-chain pages: strangers log in, patients and doctors are refused, admins cannot dispose or import', async () => {
  const server = await startServer({ demo: true });
  const { context, page, problems } = await openPage(PHONE);
  try {
    const { url } = server;
    for (const path of ['/coldchain.html', '/logger.html?id=1']) {
      await page.goto(`${url}${path}`);
      await page.waitForURL(`${url}/login.html?next=${encodeURIComponent(path)}`); // back there after logging in
    }
    await logIn(page, url, 'hanako@patient.example', 'patient-demo-pass');
    for (const path of ['/coldchain.html', '/logger.html?id=1']) {
      await page.goto(`${url}${path}`);
      await page.locator('#page-error:not([hidden])').waitFor();
    }
    await page.click('#logout-button');
    await page.waitForURL(`${url}/login.html`);

    // The admin registers a unit and a logger without ingest (no key), sees no import form.
    await logIn(page, url, 'admin@clinic.example', 'admin-demo-pass');
    await openReady(page, url, '/coldchain.html');
    const unit = await apiIn(page, 'POST', '/api/v1/storage-units', { name: '冷凍庫C', kind: 'freezer' });
    assert.equal(unit.status, 201, JSON.stringify(unit.json));
    await page.click('#logger-add summary');
    await page.fill('#logger-code', 'FREEZER-C');
    await page.click('#logger-form button[type="submit"]');
    await page.locator('#cc-notice:not([hidden])').waitFor();
    assert.ok(await page.locator('#key-panel').isHidden(), 'no key without ingest');
    const id = await page.getAttribute('#logger-list li[data-logger-code="FREEZER-C"]', 'data-logger-id');
    await page.click('#logger-add summary');
    await page.fill('#logger-code', 'FREEZER-C');
    await page.click('#logger-form button[type="submit"]');
    await page.locator('#logger-code-error:not([hidden])').waitFor();
    await openReady(page, url, `/logger.html?id=${id}`);
    assert.ok(await page.locator('#import-form').isHidden());
    assert.ok(await page.locator('#import-pharmacist-only').isVisible());
    assert.ok(await page.locator('#chart-empty').isVisible());
    await page.goto(`${url}/logger.html?id=999999`);
    await page.locator('#page-error:not([hidden])').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('the cold-chain pages make no advertising claims', () => {
  assertNoClaims(['coldchain', 'logger']);
});
