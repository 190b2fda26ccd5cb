// Browser tests of the staff's daily work: the audit log page (filters by patient, action and
// dates; paging through more records than a page; a bad date range shown at the field; the CSV
// export) and the doctor's weekly pattern of slots (preview, publish, skipped slots, a bad
// range), and the search and pager of the staff lists. Screenshots for phone and desktop go to
// build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DESKTOP_ABROAD, startBrowser, stopBrowser, openPage, screenshot, assertNoSidewaysScroll, logIn, jstDay, PHONE } from '../lib/browser.mjs';
import { startServer, sql } from '../lib/server.mjs';
import { Client, signupBody } from '../http/client.mjs';
import { QUESTIONNAIRE_VERSION, cleanAnswers } from '../http/fixtures.mjs';

// The desktop browser runs in another time zone: dates and times must still be Japan's.
const DESKTOP = { ...DESKTOP_ABROAD, acceptDownloads: true };

let server;
let patientId;

before(async () => {
  await startBrowser();
  server = await startServer({ demo: true });
  const patient = new Client(server.url);
  const r = await patient.signup(signupBody({ email: 'browser.audit@patient.example', name: '監査 花子', name_kana: 'カンサ ハナコ' }));
  assert.equal(r.status, 201, r.text);
  patientId = r.json.user.id;
  // 60 profile reads: more than one page (50) of the audit page.
  for (let i = 0; i < 60; i++) assert.equal((await patient.get('/api/v1/me')).status, 200);
});

after(async () => {
  await server?.stop();
  await stopBrowser();
});

const rowsShown = (page) => page.$$eval('#audit-body tr', (rows) => rows.map((r) => ({ id: Number(r.dataset.id), action: r.dataset.action, patient: r.children[3].textContent, actor: r.children[1].textContent, label: r.children[2].textContent })));

test('admin: the audit log filtered by patient, action and dates, paged, exported', async () => {
  const { context, page, problems } = await openPage(DESKTOP);
  try {
    await logIn(page, server.url, 'admin@clinic.example', 'admin-demo-pass');
    await page.click('a[href="/audit.html"]');
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.$eval('#audit-chain', (e) => e.dataset.intact), 'true');

    // The patient, by name and kana, and the action in words.
    await page.selectOption('#filter-patient', String(patientId));
    assert.match(await page.$eval('#filter-patient', (s) => s.selectedOptions[0].textContent), /監査 花子（カンサ ハナコ）/);
    await page.selectOption('#filter-action', 'patient.profile.read');
    assert.equal(await page.$eval('#filter-action', (s) => s.selectedOptions[0].textContent), '患者情報の閲覧');
    await page.click('#audit-filters button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#audit-total').textContent === '60 件');
    let rows = await rowsShown(page);
    assert.equal(rows.length, 50);
    for (const r of rows) {
      assert.equal(r.action, 'patient.profile.read');
      assert.equal(r.patient, '監査 花子');
      assert.equal(r.label, '患者情報の閲覧');
      assert.match(r.actor, /監査 花子（患者）/);
    }
    assert.match(page.url(), new RegExp(`patient=${patientId}&action=patient.profile.read`), 'the filter is in the address');
    assert.equal(await page.textContent('#audit-page'), '60 件中 1〜50 件目');
    await screenshot(page, 'audit-desktop.png');

    // Older: the remaining 10, none repeated; newer goes back.
    const first = rows.map((r) => r.id);
    await page.click('#audit-older');
    await page.waitForFunction(() => document.querySelector('#audit-page').textContent === '60 件中 51〜60 件目');
    rows = await rowsShown(page);
    assert.equal(rows.length, 10);
    assert.ok(rows.every((r) => r.id < Math.min(...first)));
    assert.ok(await page.isDisabled('#audit-older'));
    await page.click('#audit-newer');
    await page.waitForFunction(() => document.querySelector('#audit-page').textContent === '60 件中 1〜50 件目');

    // CSV of the same filter, with the patient and the action in words.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-csv')]);
    const csv = readFileSync(await download.path(), 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines.length, 61);
    assert.match(lines[1], /,patient\.profile\.read,患者情報の閲覧,patient:\d+,\d+,監査 花子,/);
    assert.equal(Number(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'audit.export';")), 1);

    // Dates: today (JST) holds them all; a range ending before it starts is refused at the field.
    await page.fill('#filter-from', jstDay(0));
    await page.fill('#filter-to', jstDay(0));
    await page.click('#audit-filters button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#audit-total').textContent === '60 件');
    await page.fill('#filter-from', jstDay(1));
    await page.fill('#filter-to', jstDay(0));
    await page.click('#audit-filters button[type="submit"]');
    await page.waitForSelector('#filter-to-error:not([hidden])');
    assert.match(await page.textContent('#filter-to-error'), /終了日は開始日と同じか、それより後/);
    assert.equal(await page.getAttribute('#filter-to', 'aria-invalid'), 'true');

    // English: the actions follow the language.
    await page.click('#filter-clear');
    await page.waitForFunction(() => document.querySelectorAll('#audit-body tr').length > 0);
    await page.click('[data-lang-toggle]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.waitForFunction(() => [...document.querySelectorAll('#filter-action option')].some((o) => o.textContent === 'Viewed a patient\'s profile'));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }

  const phone = await openPage(PHONE);
  try {
    await logIn(phone.page, server.url, 'admin@clinic.example', 'admin-demo-pass');
    await phone.page.goto(`${server.url}/audit.html?patient=${patientId}`);
    await phone.page.waitForSelector('body[data-ready="true"]');
    await phone.page.waitForFunction(() => document.querySelectorAll('#audit-body tr').length > 0);
    await assertNoSidewaysScroll(phone.page, 'audit page on a phone');
    await screenshot(phone.page, 'audit-phone.png');
    assert.deepEqual(phone.problems, []);
  } finally {
    await phone.context.close();
  }
});

test('doctor: a weekly pattern of slots, previewed and published in one step', async () => {
  for (const [name, options] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    const { context, page, problems } = await openPage(options);
    try {
      await logIn(page, server.url, 'doctor@clinic.example', 'doctor-demo-pass');
      await page.goto(`${server.url}/schedule.html`);
      await page.waitForSelector('body[data-ready="true"]');
      assert.equal(await page.inputValue('#pattern-first'), jstDay(1), 'starts tomorrow (JST)');
      assert.equal(await page.inputValue('#pattern-last'), jstDay(28));

      // A bad range: the message sits at the last day.
      await page.fill('#pattern-last', jstDay(0));
      await page.check('#pattern-weekdays input[value="1"]');
      await page.click('#pattern-preview');
      await page.waitForSelector('#pattern-last-error:not([hidden])');
      assert.match(await page.textContent('#pattern-last-error'), /終了日は開始日と同じか、それより後/);

      // Mon/Wed/Fri 10:00-12:00, 15 minutes, four weeks from tomorrow.
      await page.fill('#pattern-last', jstDay(28));
      await page.check('#pattern-weekdays input[value="3"]');
      await page.check('#pattern-weekdays input[value="5"]');
      await page.fill('#pattern-start', '10:00');
      await page.fill('#pattern-end', '12:00');
      await page.fill('#pattern-minutes', '15');
      let days = 0;
      for (let d = 1; d <= 28; d++) if ([1, 3, 5].includes(new Date(`${jstDay(d)}T00:00:00Z`).getUTCDay())) days++;
      const before = Number(sql(server.db, 'SELECT count(*) FROM consultation_slots;'));
      await page.click('#pattern-preview');
      await page.waitForSelector('#pattern-result:not([hidden])');
      const fresh = name === 'phone';  // the desktop run finds the phone run's slots already there
      const summary = await page.textContent('#pattern-summary');
      assert.equal(summary, fresh ? `作成 ${days * 8} 枠、既存の枠と重なるため省略 0 枠、過ぎた時刻のため省略 0 枠` : `作成 0 枠、既存の枠と重なるため省略 ${days * 8} 枠、過ぎた時刻のため省略 0 枠`);
      assert.match(await page.textContent('#pattern-slots li'), /10:00–10:15/);
      assert.equal(Number(sql(server.db, 'SELECT count(*) FROM consultation_slots;')), before, 'a preview writes nothing');
      await screenshot(page, `schedule-pattern-${name}.png`);

      await page.click('#pattern-form button[type="submit"]');
      await page.waitForSelector('#pattern-form [data-form-status]:not([hidden])');
      assert.match(await page.textContent('#pattern-form [data-form-status]'), fresh ? new RegExp(`^${days * 8} 枠を公開しました`) : /^0 枠を公開しました（既存の枠と重なるため省略 \d+ 枠/);
      assert.equal(Number(sql(server.db, 'SELECT count(*) FROM consultation_slots;')), before + (fresh ? days * 8 : 0));
      await assertNoSidewaysScroll(page, `schedule on ${name}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
});

test('staff lists: search by kana and page through the review queue and orders', async () => {
  // 25 patients waiting for review, two named 山田; 25 orders (one each) by SQL.
  const ids = [];
  for (let i = 0; i < 25; i++) {
    const c = new Client(server.url);
    const [name, kana] = i < 2 ? [`山田 ${['花子', '太郎'][i]}`, `ヤマダ ${['ハナコ', 'タロウ'][i]}`] : [`患者 ${i}号`, 'カンジャ'];
    const r = await c.signup(signupBody({ email: `browser.list${i}@patient.example`, name, name_kana: kana }));
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.user.id);
    const q = await c.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
    assert.equal(q.status, 201, q.text);
  }
  const now = Math.floor(Date.now() / 1000);
  sql(server.db, `INSERT INTO orders (patient_id, decision_id, product_id, quantity, unit_price_jpy, total_jpy, status, payment_method, ship_name, ship_postal_code, ship_address, ship_phone, created_at) VALUES ${ids.map((id) => `(${id}, 1, 1, 1, 22000, 22000, 'awaiting_payment', 'bank_transfer', '患者', '150-0001', '東京都', '090-1234-5678', ${now})`).join(',')};`);

  for (const [name, options] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    const { context, page, problems } = await openPage(options);
    try {
      await logIn(page, server.url, 'doctor@clinic.example', 'doctor-demo-pass');
      await page.goto(`${server.url}/review.html`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.waitForSelector('#review-pager-nav');
      assert.equal(await page.textContent('#review-pager-nav .pager__status'), '25 件中 1〜20 件目');
      await page.click('#review-pager-nav [data-page="next"]');
      await page.waitForFunction(() => document.querySelector('#review-pager-nav .pager__status')?.textContent === '25 件中 21〜25 件目');
      assert.equal(await page.locator('#queue > li').count(), 5);
      await page.fill('#review-search-q', 'やまだ');
      await page.click('#review-search button[type="submit"]');
      await page.waitForFunction(() => document.querySelectorAll('#queue > li').length === 2);
      assert.deepEqual((await page.$$eval('.queue__name', (els) => els.map((e) => e.textContent))).sort(), ['山田 太郎', '山田 花子']);
      await assertNoSidewaysScroll(page, `review queue on ${name}`);
      await screenshot(page, `review-search-${name}.png`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }

  const { context, page, problems } = await openPage(DESKTOP);
  try {
    await logIn(page, server.url, 'pharmacist@clinic.example', 'pharmacist-demo-pass');
    await page.goto(`${server.url}/orders-staff.html`);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.textContent('[data-count-for="awaiting_payment"]'), '25');
    assert.equal(await page.locator('#order-list > li').count(), 20);
    await page.fill('#orders-search-q', 'ﾔﾏﾀﾞ ﾀﾛｳ');
    await page.click('#orders-search button[type="submit"]');
    await page.waitForFunction(() => document.querySelectorAll('#order-list > li').length === 1);
    assert.equal(await page.textContent('[data-count-for="all"]'), '1');
    await screenshot(page, 'orders-search-desktop.png');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
