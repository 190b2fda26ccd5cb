// Browser test of adverse events and the advertising checker against the real server (issues 6
// and 7): a patient with a dispensed order opens "report a side effect" from the order page,
// is stopped without a symptom, a future onset or a non-image photo, then reports itching and
// redness with a PNG photo and sees the report and their past reports; the doctor finds it in
// the triage queue, opens the case (photo, suggested CTCAE terms, the dispensed lot pre-checked),
// assesses pruritus grade 2, then a follow-up marking hospitalization makes the case serious
// with its due date and it tops the queue; a fatal outcome without a date shows the server's
// error by the field; admins read only; the signal page lists EXO-CREAM-M, sorts by column and
// shows undefined values as "—"; the advertising page marks 「必ず若返る」 and lists missing
// disclosures. Screenshots go to build/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { openReady as openReadyAt, logIn as logInAt, openPage, screenshot, assertNoSidewaysScroll, shots, DESKTOP_ABROAD as DESKTOP, PHONE, apiIn, useBrowser, assertNoClaims } from '../lib/browser.mjs';
import { sql } from '../lib/server.mjs';
import { Client, signupBody } from '../http/client.mjs';
import { cleanAnswers, holdCall, jstDate, QUESTIONNAIRE_VERSION } from '../http/fixtures.mjs';

const PASSWORD = 'correct horse battery';

const server = useBrowser({ demo: true });
// This file's tests share one server: its address is implied.
const openReady = (page, path) => openReadyAt(page, server.url, path);
const logIn = (page, email, password) => logInAt(page, server.url, email, password);


/** A w×h PNG of one colour (a real image the browser can show). */
function png(w, h, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3).map((_, i) => [r, g, b][i % 3])]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A patient who received one unit of the demo lot, set up through the API. */
async function treatedPatient(staff, n) {
  const p = new Client(server.url);
  const email = `ae-ui${n}@patient.example`;
  const s = await p.signup(signupBody({ email, name: `副作用 ${n}子`, name_kana: 'フクサヨウ ハナコ' }));
  assert.equal(s.status, 201, s.text);
  const id = s.json.user.id;
  const q = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() });
  assert.equal(q.status, 201, q.text);
  const c = (await p.get('/api/v1/consent')).json.consent;
  assert.equal((await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja })).status, 201);
  await holdCall(staff.admin, p);
  const d = await staff.doctor.post(`/api/v1/patients/${id}/decision`, { response_id: q.json.response.id, decision: 'approved', notes: 'ok', product_id: staff.productId, quantity: 1, directions: '1日1回', valid_until: jstDate(30) });
  assert.equal(d.status, 201, d.text);
  const o = (await p.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' })).json.order;
  assert.equal((await staff.admin.post(`/api/v1/orders/${o.id}/payment`, { reference: 'r' })).status, 200);
  const dispensed = await staff.pharmacist.post(`/api/v1/orders/${o.id}/dispense`, {});
  assert.equal(dispensed.status, 200, dispensed.text);
  return { client: p, email, orderId: o.id };
}

test('a patient reports a side effect; staff triage, assess in versions and see signals; the ad checker marks claims', async () => {
  const staff = { doctor: new Client(server.url), pharmacist: new Client(server.url), admin: new Client(server.url) };
  await staff.doctor.login('doctor@clinic.example', 'doctor-demo-pass');
  await staff.pharmacist.login('pharmacist@clinic.example', 'pharmacist-demo-pass');
  await staff.admin.login('admin@clinic.example', 'admin-demo-pass');
  staff.productId = (await staff.doctor.get('/api/v1/products')).json.products.find((x) => x.code === 'EXO-CREAM-M').id;
  const lotNumber = (await staff.pharmacist.get(`/api/v1/lots?product_id=${staff.productId}`)).json.lots[0].lot_number;

  // Another patient's mild report, so "tops the queue" means something.
  const other = await treatedPatient(staff, 1);
  const otherReport = await other.client.post('/api/v1/adverse-events', { order_id: other.orderId, symptoms: ['fatigue'], onset_date: jstDate(0), ongoing: false, severity: 'mild' });
  assert.equal(otherReport.status, 201, otherReport.text);
  const me = await treatedPatient(staff, 2);

  // ---- The patient, on a phone: order page → report form.
  const p = await openPage(PHONE);
  let reportId;
  try {
    await logIn(p.page, me.email, PASSWORD);
    await openReady(p.page, '/order.html');
    const button = p.page.locator(`a[data-report-order="${me.orderId}"]`);
    assert.ok(await button.isVisible(), 'the dispensed order offers "report a side effect"');
    assert.match(await button.textContent(), /副作用・体調の変化を報告する/);
    await Promise.all([p.page.waitForURL(`${server.url}/report.html?order=${me.orderId}`), button.click()]);
    await p.page.waitForSelector('body[data-ready="true"]');
    assert.equal(await p.page.inputValue('#report-order'), String(me.orderId));
    assert.match(await p.page.textContent('#report-emergency'), /119/);
    for (const label of ['赤み', '腫れ', 'かゆみ', '発熱', 'だるさ', '頭痛', '吐き気', 'アレルギー反応', 'その他']) {
      assert.ok(await p.page.locator('#report-symptoms label', { hasText: label }).count() >= 1, `symptom ${label} offered`);
    }
    await assertNoSidewaysScroll(p.page, 'report form');
    await screenshot(p.page, 'report-form.png');

    // No symptom ticked: stopped on the page, nothing sent.
    await p.page.fill('#report-description', '塗ったところが赤くなり、かゆみが続いています。');
    await p.page.fill('#report-onset', jstDate(0));
    await p.page.check('#report-ongoing-yes');
    await p.page.check('#report-severity-moderate');
    await p.page.click('#report-form button[type="submit"]');
    await p.page.waitForSelector('#report-symptoms-error:not([hidden])');
    assert.match(await p.page.textContent('#report-symptoms-error'), /症状を1つ以上/);
    assert.equal((await apiIn(p.page, 'GET', '/api/v1/adverse-events')).json.reports.length, 0, 'nothing was sent');

    // A future onset and a non-image photo are refused on the page too.
    await p.page.check('#sym-itching');
    await p.page.check('#sym-redness');
    await p.page.fill('#report-onset', jstDate(2));
    await p.page.click('#report-form button[type="submit"]');
    await p.page.waitForSelector('#report-onset-error:not([hidden])');
    await p.page.fill('#report-onset', jstDate(0));
    await p.page.setInputFiles('#report-photo', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await p.page.waitForSelector('#report-photo-error:not([hidden])');
    assert.match(await p.page.textContent('#report-photo-error'), /JPEG|PNG/);
    await p.page.setInputFiles('#report-photo', { name: 'arm.png', mimeType: 'image/png', buffer: png(64, 48, [226, 120, 110]) });
    await p.page.waitForSelector('#report-photo-preview:not([hidden])');
    assert.ok(await p.page.locator('#report-photo-error').isHidden());

    await p.page.click('#report-form button[type="submit"]');
    await p.page.waitForSelector('#report-sent:not([hidden])');
    assert.ok(await p.page.locator('#report-form-card').isHidden());
    const sent = p.page.locator('#report-sent-item li');
    assert.match(await sent.textContent(), /かゆみ/);
    assert.match(await sent.textContent(), /赤み/);
    assert.match(await sent.textContent(), /中くらい/);
    reportId = Number(await sent.getAttribute('data-report-id'));
    assert.ok(reportId > 0);
    assert.ok(await p.page.locator('#report-photo-warning').isHidden(), 'the photo went up');
    const mine = (await apiIn(p.page, 'GET', '/api/v1/adverse-events')).json.reports;
    assert.deepEqual(mine.map((r) => r.id), [reportId]);
    assert.equal(mine[0].has_photo, true);
    assert.deepEqual([...mine[0].symptoms].sort(), ['itching', 'redness']);
    await assertNoSidewaysScroll(p.page, 'report sent');
    await screenshot(p.page, 'report-sent.png');

    // A second visit lists the report among the past ones, not yet reviewed.
    // The order was placed at 00:30 Japan time today (15:30 UTC yesterday): the picker shows
    // today's date in Japan, not the UTC one.
    const today = jstDate(0);
    const placed = Date.parse(`${today}T00:30:00+09:00`) / 1000;
    sql(server.db, `UPDATE orders SET created_at = ${placed} WHERE id = ${me.orderId};`);
    await openReady(p.page, `/report.html?order=${me.orderId}`);
    const [, month, day] = today.split('-').map(Number);
    assert.match(await p.page.textContent('#report-order option:checked'), new RegExp(`（${today.slice(0, 4)}年${month}月${day}日）`));
    const past = p.page.locator(`#past-reports li[data-report-id="${reportId}"]`);
    assert.equal(await past.count(), 1);
    assert.equal(await past.locator('.report-review').getAttribute('data-reviewed'), 'false');
    assert.match(await past.locator('.report-review').textContent(), /確認待ち/);
    assert.deepEqual(p.problems, []);
  } finally {
    await p.context.close();
  }

  // ---- The doctor: triage queue → case → assessment versions.
  const d = await openPage(DESKTOP);
  try {
    await logIn(d.page, 'doctor@clinic.example', 'doctor-demo-pass');
    assert.ok(await d.page.locator('#safety-ae-link').isVisible());
    // The doctor's own pages lead to the adverse events too.
    await openReady(d.page, '/review.html');
    await Promise.all([d.page.waitForURL(`${server.url}/ae.html`), d.page.click('.subnav a[href="/ae.html"]')]);
    await openReady(d.page, '/schedule.html');
    assert.equal(await d.page.locator('.subnav a[href="/ae.html"]').count(), 1);
    await openReady(d.page, '/ae.html');
    const row = d.page.locator(`#ae-queue li[data-report-id="${reportId}"]`);
    assert.equal(await row.count(), 1);
    assert.notEqual(await row.getAttribute('data-triage'), 'serious');
    await Promise.all([d.page.waitForURL(`${server.url}/ae-case.html?id=${reportId}`), row.locator('a.record__title').click()]);
    await d.page.waitForSelector('body[data-ready="true"]');
    assert.match(await d.page.textContent('#case-report'), /かゆみ/);
    // The patient's phone, to call about the event.
    assert.match(await d.page.getAttribute('#case-patient-phone', 'href'), /^tel:0\d{9,10}$/);
    await d.page.waitForFunction(() => document.getElementById('case-photo').naturalWidth === 64);
    assert.ok(await d.page.locator('#term-suggestions .chip[data-term="pruritus"]').count() === 1, 'pruritus suggested from "itching"');
    const lotBox = d.page.locator('#case-lots input[name="lot_ids"]');
    assert.equal(await lotBox.count(), 1);
    assert.ok(await lotBox.isChecked(), 'the dispensed lot is pre-checked');
    assert.match(await d.page.textContent('#case-lots'), new RegExp(lotNumber));

    await d.page.click('#term-suggestions .chip[data-term="pruritus"]');
    const first = d.page.locator('#term-rows .term-row').first();
    assert.equal(await first.locator('.term-select').inputValue(), 'pruritus');
    const grades = await first.locator('.grade-select option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(grades, ['', '1', '2', '3'], 'a blank choice, then the term\'s own grades');
    assert.equal(await first.locator('.grade-select').inputValue(), '', 'no grade pre-selected');
    // Submitting without a grade: a clear error naming the term; nothing is saved.
    await d.page.click('#assess-submit');
    await d.page.locator('#case-terms-error:not([hidden])').waitFor();
    assert.match(await d.page.textContent('#case-terms-error'), /のグレードを選んでください/);
    assert.equal(await first.locator('.grade-select').getAttribute('aria-invalid'), 'true');
    assert.equal(await d.page.locator('#assess-result').isVisible(), false);
    assert.equal(await d.page.locator('#case-history > li').count(), 0);
    await screenshot(d.page, 'ae-case-grade-required.png');
    await first.locator('.grade-select').selectOption('2');
    assert.ok((await first.locator('.grade-desc').textContent()).length > 5, 'the grade is described');
    await d.page.selectOption('#case-outcome', 'recovering');
    await d.page.selectOption('#case-causality', 'probable');
    assert.ok((await d.page.textContent('#case-causality-hint')).length > 10);
    await d.page.fill('#case-treatment', 'ステロイド外用薬を処方');
    await d.page.click('#assess-submit');
    await d.page.waitForSelector('#assess-result:not([hidden])');
    assert.match(await d.page.textContent('#assess-result'), /第1版を保存しました/);
    assert.equal(await d.page.getAttribute('#assess-result .assess-result__serious', 'data-serious'), 'false');
    assert.equal(await d.page.locator('#case-history > li').count(), 1);
    assert.match(await d.page.textContent('#case-history'), /グレード2/);
    await screenshot(d.page, 'ae-case.png');

    // Follow-up: the form starts from version 1; hospitalization makes the case serious.
    assert.equal(await d.page.locator('#term-rows .term-row .term-select').first().inputValue(), 'pruritus');
    assert.equal(await d.page.locator('#term-rows .term-row .grade-select').first().inputValue(), '2');
    await d.page.check('#case-hospitalization');
    await d.page.click('#assess-submit');
    await d.page.waitForFunction(() => /第2版/.test(document.getElementById('assess-result').textContent));
    assert.equal(await d.page.getAttribute('#assess-result .assess-result__serious', 'data-serious'), 'true');
    const due = jstDate(15);
    const dueDay = String(Number(due.slice(8, 10)));
    assert.match(await d.page.textContent('#assess-result'), new RegExp(`報告期限.*${dueDay}日.*あと15日`));
    assert.ok(await d.page.locator('#case-due').isVisible());
    assert.equal(await d.page.locator('#case-history > li').count(), 2);
    assert.equal(await d.page.getAttribute('#case-history > li:first-child', 'data-version'), '2');
    assert.equal(await d.page.getAttribute('#case-badge .triage', 'data-triage'), 'serious');
    await screenshot(d.page, 'ae-case-serious.png');

    // Fatal without an outcome date: the server's error sits by the field; nothing saved.
    await d.page.check('#case-death');
    await d.page.selectOption('#case-outcome', 'fatal');
    await d.page.fill('#case-outcome-date', '');
    await d.page.click('#assess-submit');
    await d.page.waitForSelector('#case-outcome-date-error:not([hidden])');
    assert.ok((await d.page.textContent('#case-outcome-date-error')).length > 3);
    assert.equal(await d.page.getAttribute('#case-outcome-date', 'aria-invalid'), 'true');
    assert.equal((await apiIn(d.page, 'GET', `/api/v1/adverse-events/${reportId}`)).json.assessments.length, 2, 'nothing saved');
    await screenshot(d.page, 'ae-case-fatal-error.png');

    // English: the case re-renders, term names in both languages.
    await d.page.click('[data-lang-toggle]');
    await d.page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await d.page.textContent('#case-history'), /Pruritus/);
    assert.match(await d.page.textContent('#case-history'), /Hospitalization/);
    await d.page.click('[data-lang-toggle]');
    await d.page.waitForFunction(() => document.documentElement.lang === 'ja');

    // The serious case now tops the queue, red, with its due date and days left.
    await openReady(d.page, '/ae.html');
    const top = d.page.locator('#ae-queue > li').first();
    assert.equal(await top.getAttribute('data-report-id'), String(reportId));
    assert.equal(await top.getAttribute('data-triage'), 'serious');
    assert.match(await top.locator('.ae-item__due').textContent(), /あと15日/);
    assert.equal(await d.page.locator('#ae-queue > li').count(), 2);
    await screenshot(d.page, 'ae-queue.png');

    // The patient sees that the clinic reviewed the report, and when (Japan time).
    const back = await openPage(PHONE);
    try {
      await logIn(back.page, me.email, PASSWORD);
      await openReady(back.page, `/report.html?order=${me.orderId}`);
      const review = back.page.locator(`#past-reports li[data-report-id="${reportId}"] .report-review`);
      assert.equal(await review.getAttribute('data-reviewed'), 'true');
      const [, m, dd] = jstDate(0).split('-').map(Number);
      assert.match(await review.textContent(), new RegExp(`クリニックが確認しました（?\\(?${jstDate(0).slice(0, 4)}年${m}月${dd}日`));
      await screenshot(back.page, 'report-reviewed.png');
    } finally {
      await back.context.close();
    }

    // Signals: a row for the demo product; sortable; undefined values as "—".
    await openReady(d.page, '/signals.html');
    const sig = d.page.locator('#signals-body tr[data-item="EXO-CREAM-M"]');
    assert.ok(await sig.count() >= 1, 'EXO-CREAM-M has a signal row');
    assert.equal(await d.page.getAttribute('th[data-sort-key="eb05"]', 'aria-sort'), 'descending');
    const eb05 = await d.page.locator('#signals-body tr').evaluateAll((rows) => rows.map((r) => r.children[4].textContent));
    assert.ok(eb05.length >= 1);
    assert.ok(await d.page.locator('#signals-body td', { hasText: '—' }).count() >= 1, 'null shown as a dash');
    assert.match(await d.page.textContent('#signals-prior'), /DuMouchel \(1999\) の既定値/, 'the prior the figures rest on');
    await d.page.click('th[data-sort-key="eb05"] button');
    assert.equal(await d.page.getAttribute('th[data-sort-key="eb05"]', 'aria-sort'), 'ascending');
    await d.page.click('th[data-sort-key="a"] button');
    assert.equal(await d.page.getAttribute('th[data-sort-key="a"]', 'aria-sort'), 'descending');
    assert.equal(await d.page.getAttribute('th[data-sort-key="eb05"]', 'aria-sort'), 'none');
    await d.page.click('th[data-sort-key="eb05"] button');
    await d.page.selectOption('#signals-by', 'lot');
    await d.page.click('#signals-form button[type="submit"]');
    await d.page.waitForSelector(`#signals-body tr[data-item="${lotNumber}"]`);
    assert.equal(await d.page.locator(`#signals-body tr[data-item="${lotNumber}"] td`).first().textContent(),
      `EXO-CREAM-M / ${lotNumber}`, 'by lot, the lot shows with its product');
    await screenshot(d.page, 'signals-by-lot.png');
    await d.page.selectOption('#signals-by', 'product');
    await d.page.click('#signals-form button[type="submit"]');
    await d.page.waitForSelector('#signals-body tr[data-item="EXO-CREAM-M"]');
    assert.match(await d.page.textContent('.explain'), /EB05/);
    await screenshot(d.page, 'signals.png');

    // The advertising checker.
    await openReady(d.page, '/adcheck.html');
    const ad = 'エクソソーム点滴で必ず若返る！\n肌のハリが戻ります。\n料金：1回 330,000円（税込）';
    await d.page.fill('#adcheck-text', ad);
    await d.page.click('#adcheck-form button[type="submit"]');
    await d.page.waitForSelector('#adcheck-result:not([hidden])');
    const marks = await d.page.locator('#adcheck-marked mark').allTextContents();
    assert.ok(marks.some((m) => m.includes('必ず')), `「必ず若返る」 is marked: ${marks}`);
    const shown = await d.page.evaluate(() => [...document.getElementById('adcheck-marked').childNodes]
      .filter((n) => !(n instanceof HTMLElement && n.tagName === 'SUP')).map((n) => n.textContent).join(''));
    assert.equal(shown, ad, 'the marked view shows the text exactly');
    const missing = await d.page.locator('#adcheck-missing li').evaluateAll((ls) => ls.map((l) => l.dataset.rule));
    assert.ok(missing.includes('disclosure.unapproved'), `missing disclosures listed: ${missing}`);
    assert.ok(await d.page.locator('#adcheck-findings li.finding--error').count() >= 1);
    assert.match(await d.page.textContent('#adcheck-findings'), /1行\d+文字目/);
    await screenshot(d.page, 'adcheck.png');
    await d.page.click('[data-lang-toggle]');
    await d.page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await d.page.textContent('#adcheck-findings'), /line 1:\d+/);
    assert.match(await d.page.textContent('#adcheck-missing'), /unapproved/);
    await d.page.click('[data-lang-toggle]');
    await d.page.waitForFunction(() => document.documentElement.lang === 'ja');

    // Empty text is stopped on the page; HTML is checked by its visible text.
    await d.page.fill('#adcheck-text', '   ');
    await d.page.click('#adcheck-form button[type="submit"]');
    await d.page.waitForSelector('#adcheck-text-error:not([hidden])');
    await d.page.check('#adcheck-format-html');
    await d.page.fill('#adcheck-text', '<p>当院は<b>日本一</b>の実績</p>');
    await d.page.click('#adcheck-form button[type="submit"]');
    await d.page.waitForFunction(() => [...document.querySelectorAll('#adcheck-marked mark')].some((m) => m.textContent.includes('日本一')));
    assert.deepEqual(d.problems, []);
  } finally {
    await d.context.close();
  }

  // ---- Staff pages on a phone; the admin reads the case only.
  const a = await openPage(PHONE);
  try {
    await logIn(a.page, 'admin@clinic.example', 'admin-demo-pass');
    assert.ok(await a.page.locator('#safety-signals-link').isVisible());
    await openReady(a.page, '/ae.html');
    await assertNoSidewaysScroll(a.page, 'queue on a phone');
    await screenshot(a.page, 'ae-queue-phone.png');
    await openReady(a.page, `/ae-case.html?id=${reportId}`);
    assert.ok(await a.page.locator('#assess-form').isHidden(), 'admins cannot assess');
    assert.ok(await a.page.locator('#assess-readonly').isVisible());
    assert.equal(await a.page.locator('#case-history > li').count(), 2);
    await assertNoSidewaysScroll(a.page, 'case on a phone');
    await screenshot(a.page, 'ae-case-phone.png');
    await openReady(a.page, '/signals.html');
    await screenshot(a.page, 'signals-phone.png');
    await openReady(a.page, '/adcheck.html');
    await a.page.fill('#adcheck-text', 'エクソソーム療法は絶対に安全です。副作用なし！');
    await a.page.click('#adcheck-form button[type="submit"]');
    await a.page.waitForSelector('#adcheck-result:not([hidden])');
    await assertNoSidewaysScroll(a.page, 'ad check on a phone');
    await screenshot(a.page, 'adcheck-phone.png');
    assert.deepEqual(a.problems, []);
  } finally {
    await a.context.close();
  }

  // The doctor's case page on a phone, with the form.
  const dp = await openPage(PHONE);
  try {
    await logIn(dp.page, 'doctor@clinic.example', 'doctor-demo-pass');
    await openReady(dp.page, `/ae-case.html?id=${reportId}`);
    await assertNoSidewaysScroll(dp.page, 'assessment form on a phone');
    // The form on its own: the full page is long on a phone.
    await dp.page.locator('#assess-card').screenshot({ path: join(shots, 'ae-case-form-phone.png') });
    assert.deepEqual(dp.problems, []);
  } finally {
    await dp.context.close();
  }
});

test('staff open the 医薬品安全性情報報告書 from the case page; it prints as one A4 page', async () => {
  const staff = { doctor: new Client(server.url), pharmacist: new Client(server.url), admin: new Client(server.url) };
  await staff.doctor.login('doctor@clinic.example', 'doctor-demo-pass');
  await staff.pharmacist.login('pharmacist@clinic.example', 'pharmacist-demo-pass');
  await staff.admin.login('admin@clinic.example', 'admin-demo-pass');
  staff.productId = (await staff.doctor.get('/api/v1/products')).json.products.find((x) => x.code === 'EXO-CREAM-M').id;
  const patient = await treatedPatient(staff, 90);
  const r = await patient.client.post('/api/v1/adverse-events', { order_id: patient.orderId, symptoms: ['itching', 'redness'],
    description: '塗った翌朝から頬が赤く、かゆみが強い。', onset_date: jstDate(0), ongoing: false, severity: 'moderate' });
  assert.equal(r.status, 201, r.text);
  const id = r.json.report.id;
  const formUrl = `/api/v1/adverse-events/${id}/pmda-form`;

  const d = await openPage(DESKTOP);
  try {
    await logIn(d.page, 'doctor@clinic.example', 'doctor-demo-pass');
    await openReady(d.page, `/ae-case.html?id=${id}`);
    // Not assessed: no link, and the page says why.
    assert.ok(await d.page.locator('#pmda-form-link').isHidden());
    assert.match(await d.page.locator('#pmda-form-unavailable').textContent(), /医師が因果関係を評価すると/);

    const lotId = (await staff.doctor.get(`/api/v1/adverse-events/${id}`)).json.dispensed_lots[0].lot_id;
    const a = await staff.doctor.post(`/api/v1/adverse-events/${id}/assessments`, {
      terms: [{ code: 'pruritus', grade: 2 }], hospitalization: true, outcome: 'recovered', outcome_date: jstDate(-1),
      causality: 'probable', lot_ids: [lotId], treatment: '使用中止。抗ヒスタミン薬を内服。',
      narrative: '顔面に塗布した翌朝から紅斑とそう痒。入院して経過観察し、3日目に消失。' });
    assert.equal(a.status, 201, a.text);
    await openReady(d.page, `/ae-case.html?id=${id}`);
    const link = d.page.locator('#pmda-form-link');
    assert.ok(await link.isVisible(), 'the print link appears once a doctor has assessed');
    assert.equal((await link.textContent()).trim(), '医薬品安全性情報報告書を印刷');
    assert.equal(await link.getAttribute('href'), formUrl);
    assert.ok(await d.page.locator('#pmda-form-unavailable').isHidden());
    await d.page.locator('#pmda-card').screenshot({ path: join(shots, 'ae-case-pmda-card.png') });

    // The link opens the form in a new tab, with the session.
    const [form] = await Promise.all([d.context.waitForEvent('page'), link.click()]);
    const formProblems = [];
    form.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) formProblems.push(m.text()); });
    await form.waitForLoadState('load');
    assert.equal(new URL(form.url()).pathname, formUrl);
    assert.equal(await form.locator('h1').textContent(), '医薬品安全性情報報告書');
    const field = (name) => form.locator(`[data-field="${name}"]`).first();
    assert.equal(await field('patient_initials').textContent(), 'F.H.', 'フクサヨウ ハナコ');
    assert.equal(await field('sex').getAttribute('data-value'), '女');
    assert.equal(await field('seriousness_criteria').textContent(), '⑤');
    assert.equal(await field('outcome').getAttribute('data-value'), '回復');
    assert.equal(await field('reporter_profession').getAttribute('data-value'), '医師');
    assert.match(await field('submission_notice').textContent(), /exosafe はこの報告書を PMDA.*へ送信しません/);
    // The circled choice and the table borders are really drawn, and the Japanese text is set in
    // a CJK font (not boxes): the glyph of 医 is as wide as a full-width character.
    const look = await form.evaluate(() => {
      const on = document.querySelector('.opt.on');
      const probe = document.createElement('span');
      probe.textContent = '医';
      probe.style.fontSize = '20px';
      document.body.append(probe);
      const w = probe.getBoundingClientRect().width;
      probe.remove();
      return { onBorder: getComputedStyle(on).borderTopStyle, td: getComputedStyle(document.querySelector('td')).borderTopStyle, glyph: w };
    });
    assert.equal(look.onBorder, 'solid');
    assert.equal(look.td, 'solid');
    assert.ok(look.glyph > 17 && look.glyph < 23, `full-width glyph, got ${look.glyph}px`);

    // Print: the screen-only help goes, the form is laid out on an A4 page (794 × 1123 CSS px).
    await form.setViewportSize({ width: 794, height: 1123 });
    await form.emulateMedia({ media: 'print' });
    assert.ok(await form.locator('.howto').isHidden(), 'the print help is not printed');
    await screenshot(form, 'pmda-form-print.png');
    const pdf = await form.pdf({ preferCSSPageSize: true, printBackground: true });
    writeFileSync(join(shots, 'pmda-form.pdf'), pdf);
    const text = pdf.toString('latin1');
    const pages = text.match(/\/Type\s*\/Page[^s]/g) ?? [];
    assert.equal(pages.length, 1, 'one printed page');
    const box = text.match(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/);
    assert.ok(box, 'the PDF has a page size');
    assert.ok(Math.abs(Number(box[1]) - 595.28) < 2 && Math.abs(Number(box[2]) - 841.89) < 2, `A4 page, got ${box[1]} × ${box[2]} pt`);
    assert.deepEqual(formProblems, []);
    await form.close();
    assert.deepEqual(d.problems, []);
  } finally {
    await d.context.close();
  }

  // The admin (read-only staff) has the link too; a patient going to the address is refused.
  const adm = await openPage(DESKTOP);
  try {
    await logIn(adm.page, 'admin@clinic.example', 'admin-demo-pass');
    await openReady(adm.page, `/ae-case.html?id=${id}`);
    assert.ok(await adm.page.locator('#pmda-form-link').isVisible());
    assert.deepEqual(adm.problems, []);
  } finally {
    await adm.context.close();
  }
  assert.equal((await patient.client.get(formUrl)).status, 403);
});

test('the side-effect and ad-check pages make no advertising claims', () => {
  assertNoClaims(['report', 'ae', 'ae-case', 'signals', 'adcheck']);
});
