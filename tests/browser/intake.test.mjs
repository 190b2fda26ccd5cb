// Browser test of the intake journey against the real server (issue 3's "whole path"): the
// doctor publishes slots for tomorrow (JST); a new patient signs up on a phone, books (a taken
// slot is refused, then rescheduled, cancelled and booked again; the .ics downloads), answers the
// questionnaire (an invalid submission first, then answers that raise a block flag), reads and
// accepts the consent (withdraws and accepts again); the doctor sees the patient in the schedule
// and the review queue with the flags, is refused an approval without an override reason, then
// approves with one; the patient sees the approval. Screenshots go to build/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newContext, openPage, screenshot, assertNoSidewaysScroll, openReady, jstDay, logIn, DESKTOP_ABROAD as DESKTOP, PHONE, useBrowser, assertNoClaims, BANNED_CLAIMS } from '../lib/browser.mjs';
import { ageOn } from '../http/fixtures.mjs';
import { root, startServer } from '../lib/server.mjs';
import { Client } from '../http/client.mjs';
import { bookSoonCall, waitUntil } from '../http/fixtures.mjs';


useBrowser();

/** The UTC instant of hh:mm JST on day, as milliseconds. */
function jstMs(day, hhmm) {
  return Date.parse(`${day}T${hhmm}:00+09:00`);
}


/** The slot input on the booking page whose start is hh:mm JST on day (throws when absent). */
async function slotSelector(page, day, hhmm) {
  const want = jstMs(day, hhmm);
  const id = await page.$$eval('#slot-days label.slot', (labels, ms) => {
    const hit = labels.find((l) => Date.parse(l.dataset.startsAt) === ms);
    return hit ? hit.dataset.slotId : null;
  }, want);
  assert.ok(id, `a free slot at ${day} ${hhmm} JST is listed`);
  return { id: Number(id), label: `#slot-days label[data-slot-id="${id}"]` };
}

/** Answers a boolean item (true/false) or a choice item (code) by clicking its option. */
async function choose(page, linkId, value) {
  await page.click(`#q-item-${linkId} label.choice:has(input[value="${String(value)}"])`);
}

async function fillItem(page, linkId, text) {
  await page.fill(`#q-item-${linkId} :is(input, textarea)`, text);
}

test('intake: book, answer, consent, review with a block flag, approve, see the approval', async () => {
  const server = await startServer({ demo: true });
  const { url } = server;
  const doctor = await openPage(DESKTOP);
  const patient = await openPage(PHONE);
  const tomorrow = jstDay(1);
  try {
    // ---- The doctor publishes 10:00–11:00 tomorrow (JST) in 10-minute slots.
    const d = doctor.page;
    await logIn(d, url, 'doctor@clinic.example', 'doctor-demo-pass');
    await d.waitForSelector('#doctor-view:not([hidden])');
    assert.equal(await d.getAttribute('#doctor-schedule-link', 'href'), '/schedule.html');
    assert.equal(await d.getAttribute('#doctor-review-link', 'href'), '/review.html');
    await screenshot(d, 'home-doctor-links.png');

    await openReady(d, url, '/schedule.html');
    assert.equal(await d.inputValue('#publish-date'), tomorrow, 'publishing defaults to tomorrow (JST)');
    assert.equal(await d.inputValue('#publish-minutes'), '10');
    await d.fill('#publish-from', '10:00');
    await d.fill('#publish-to', '11:00');
    await d.click('#publish-form button[type="submit"]');
    await d.locator('#publish-form [data-form-status]').waitFor({ state: 'visible' });
    assert.match(await d.textContent('#publish-form [data-form-status]'), /6/);
    assert.equal(await d.inputValue('#day-date'), tomorrow, 'the day view moves to the published day');
    const published = await d.$$eval('#calls li.call', (items) => items.map((li) => ({
      id: Number(li.dataset.slotId), time: li.querySelector('.call__time').textContent, booked: li.dataset.booked,
    })));
    const times = published.map((s) => s.time);
    for (const hhmm of ['10:00', '10:10', '10:20', '10:30', '10:40', '10:50']) {
      assert.ok(times.some((t) => t.startsWith(`${hhmm}–`)),
        `slot ${hhmm} JST is shown (got ${times.join(', ')})`);
    }
    // Publishing the same hour again overlaps: the server's refusal is shown.
    await d.click('#publish-form button[type="submit"]');
    await d.locator('#publish-form [data-form-error]:not([hidden])').waitFor();
    // A free slot can be deleted (10:50).
    const last = published.find((s) => s.time.startsWith('10:50'));
    await d.click(`#calls li[data-slot-id="${last.id}"] [data-delete-slot]`);
    await d.locator(`#calls li[data-slot-id="${last.id}"]`).waitFor({ state: 'detached' });
    await assertNoSidewaysScroll(d, 'schedule');
    await screenshot(d, 'schedule-published.png');

    // ---- A new patient signs up on a phone and opens the status page from home.
    const p = patient.page;
    const me = {
      email: 'kenji.intake@patient.example', password: 'kenji-pass-2026', name: '高橋 健二',
      kana: 'タカハシ ケンジ', birth: '1980-03-20', phone: '090-8765-4321',
    };
    await p.goto(`${url}/signup.html`);
    await p.waitForFunction(() => document.documentElement.lang === 'ja');
    await p.fill('#signup-email', me.email);
    await p.fill('#signup-password', me.password);
    await p.fill('#signup-name', me.name);
    await p.fill('#signup-name-kana', me.kana);
    await p.fill('#signup-birth-date', me.birth);
    await p.selectOption('#signup-sex', 'male');
    await p.fill('#signup-phone', me.phone);
    await Promise.all([p.waitForURL(`${url}/home.html`), p.click('#signup-form button[type="submit"]')]);
    await p.waitForSelector('#patient-journey:not([hidden])');
    await p.waitForSelector('#home-greeting:not(:empty)');
    await assertNoSidewaysScroll(p, 'patient home');
    await screenshot(p, 'home-patient-journey.png');
    await Promise.all([p.waitForURL(`${url}/status.html`), p.click('#journey-link')]);
    await p.waitForSelector('body[data-ready="true"]');
    for (const step of ['book', 'questionnaire', 'consent']) {
      assert.equal(await p.getAttribute(`#step-${step}`, 'data-state'), 'todo', `step ${step} is to do`);
    }
    assert.equal(await p.getAttribute('#step-decision', 'data-state'), 'waiting');
    await assertNoSidewaysScroll(p, 'status (start)');
    await screenshot(p, 'status-start.png');

    // ---- Booking: times are listed by JST day; nothing chosen is refused in the page.
    await openReady(p, url, '/book.html');
    assert.ok(await p.locator('#current-booking').isHidden(), 'no booking yet');
    await p.waitForSelector(`#slot-days fieldset[data-day="${tomorrow}"]`);
    await p.click('#book-submit');
    await p.locator('#book-form [data-form-error]:not([hidden])').waitFor();
    await assertNoSidewaysScroll(p, 'booking');
    await screenshot(p, 'book-slots.png');

    // Someone else takes 10:20 while the page still shows it: the server's slot_taken is shown.
    const s1020 = await slotSelector(p, tomorrow, '10:20');
    const other = await newContext();
    try {
      await other.request.get(`${url}/api/v1/auth/csrf`);
      const csrf = (await other.cookies()).find((c) => c.name === 'exosafe_csrf').value;
      const login = await other.request.post(`${url}/api/v1/auth/login`, {
        data: { email: 'hanako@patient.example', password: 'patient-demo-pass' }, headers: { 'X-CSRF-Token': csrf },
      });
      assert.equal(login.status(), 200, 'the demo patient logs in');
      const token = (await other.cookies()).find((c) => c.name === 'exosafe_csrf').value;
      const taken = await other.request.post(`${url}/api/v1/bookings`, {
        data: { slot_id: s1020.id }, headers: { 'X-CSRF-Token': token },
      });
      assert.equal(taken.status(), 201, `the demo patient books 10:20: ${await taken.text()}`);
    } finally {
      await other.close();
    }
    await p.click(s1020.label);
    await p.click('#book-submit');
    const bookError = p.locator('#book-form [data-form-error]:not([hidden])');
    await bookError.waitFor();
    assert.ok((await bookError.textContent()).trim().length > 0, 'slot_taken is explained');
    await p.locator(s1020.label).waitFor({ state: 'detached' }); // the list was refreshed
    await screenshot(p, 'book-slot-taken.png');

    // Book 10:00.
    const s1000 = await slotSelector(p, tomorrow, '10:00');
    await p.click(s1000.label);
    await p.click('#book-submit');
    await p.locator('#book-done:not([hidden])').waitFor();
    await p.locator('#current-booking:not([hidden])').waitFor();
    assert.match(await p.textContent('#current-details'), /10:00–10:10 JST/);
    assert.match(await p.textContent('#current-details'), /医師 一郎/);
    assert.ok(await p.locator('#slots-section').isHidden(), 'one upcoming booking: the list hides');
    await assertNoSidewaysScroll(p, 'booked');
    await screenshot(p, 'book.png');

    // The calendar file downloads and is an iCalendar file.
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#ics-link')]);
    const ics = readFileSync(await download.path(), 'utf8');
    assert.ok(ics.startsWith('BEGIN:VCALENDAR'), `the .ics starts with BEGIN:VCALENDAR: ${ics.slice(0, 40)}`);

    // Reschedule to 10:10.
    await p.click('#reschedule-button');
    await p.locator('#slots-section:not([hidden])').waitFor();
    assert.equal(await p.textContent('#book-submit'), 'この時間に変更する');
    const s1010 = await slotSelector(p, tomorrow, '10:10');
    await p.click(s1010.label);
    await screenshot(p, 'book-reschedule.png');
    await p.click('#book-submit');
    await p.locator('#book-done:not([hidden])').waitFor();
    await p.waitForFunction(() => /10:10–10:20 JST/.test(document.querySelector('#current-details')?.textContent ?? ''));

    // Cancel (after a confirmation), then book 10:00 again.
    await p.click('#cancel-button');
    await p.locator('#cancel-confirm:not([hidden])').waitFor();
    await screenshot(p, 'book-cancel-confirm.png');
    await p.click('#cancel-yes');
    await p.locator('#current-booking').waitFor({ state: 'hidden' });
    await p.locator('#slots-section:not([hidden])').waitFor();
    assert.match(await p.textContent('#book-done'), /取り消しました/);
    const again = await slotSelector(p, tomorrow, '10:00');
    await p.click(again.label);
    await p.click('#book-submit');
    await p.locator('#current-booking:not([hidden])').waitFor();
    assert.match(await p.textContent('#current-details'), /10:00–10:10 JST/);

    // ---- Questionnaire: rendered from the definition; enableWhen and exclusive options live.
    await openReady(p, url, '/questionnaire.html');
    const definition = await p.evaluate(async () => (await (await fetch('/api/v1/questionnaire')).json()).questionnaire);
    const rendered = await p.$$eval('#q-items .q-item', (items) => items.map((i) => i.dataset.linkId));
    assert.deepEqual(rendered, definition.item.map((i) => i.linkId), 'every item is rendered, in order');
    const conditional = definition.item.filter((i) => Array.isArray(i.enableWhen) && i.enableWhen.length > 0);
    for (const item of conditional) {
      assert.ok(await p.locator(`#q-item-${item.linkId}`).isHidden(), `${item.linkId} starts hidden (enableWhen)`);
    }
    const required = definition.item.filter((i) => i.required && !conditional.includes(i));
    assert.equal(await p.locator(`#q-item-${required[0].linkId} .tag--required`).count(), 1, 'required mark');

    // An invalid submission: an out-of-range age, nothing else. Errors appear next to items.
    await fillItem(p, 'age', '200');
    await p.click('#q-form button[type="submit"]');
    await p.locator('#q-form [data-form-error]:not([hidden])').waitFor();
    await p.locator('[data-item-error="age"]:not([hidden])').waitFor();
    assert.ok(await p.locator('#q-item-age').evaluate((e) => e.classList.contains('q-item--invalid')));
    assert.ok(await p.locator('[data-item-error="anaphylaxis"]').isVisible(), 'a missing required answer is named');
    assert.equal(new URL(p.url()).pathname, '/questionnaire.html', 'stays on the questionnaire');
    await assertNoSidewaysScroll(p, 'questionnaire with errors');
    await screenshot(p, 'questionnaire-error.png');

    // enableWhen: the allergy details appear with "yes" and go again with "no".
    await choose(p, 'allergy', true);
    await p.locator('#q-item-allergy_to').waitFor({ state: 'visible' });
    await choose(p, 'allergy', false);
    await p.locator('#q-item-allergy_to').waitFor({ state: 'hidden' });
    await choose(p, 'allergy', true);
    await fillItem(p, 'allergy_to', 'そば');
    await fillItem(p, 'allergy_reaction', 'じんましんが出ました。\n30分ほどで治まりました。');
    // Exclusive option: "none" clears the others and the others clear "none".
    await choose(p, 'skin_site', 'wound');
    await p.locator('#q-item-skin_site_detail').waitFor({ state: 'visible' });
    await choose(p, 'skin_site', 'none');
    assert.equal(await p.isChecked('#q-item-skin_site input[value="wound"]'), false, 'none is exclusive');
    await p.locator('#q-item-skin_site_detail').waitFor({ state: 'hidden' });

    await fillItem(p, 'age', String(ageOn(me.birth))); // the server checks it against the date of birth
    await choose(p, 'allergy_biologic', false);
    await choose(p, 'allergy_cosmetic', false);
    await choose(p, 'anaphylaxis', true); // raises the block flag "prior anaphylaxis"
    await choose(p, 'pregnancy', 'not_applicable');
    await choose(p, 'immunosuppression', false);
    await choose(p, 'cancer', false);
    await choose(p, 'malignancy', false);
    await choose(p, 'prior_treatment', false);
    await assertNoSidewaysScroll(p, 'questionnaire');
    await screenshot(p, 'questionnaire.png');
    await Promise.all([p.waitForURL(`${url}/status.html?done=questionnaire`), p.click('#q-form button[type="submit"]')]);
    await p.waitForSelector('body[data-ready="true"]');
    assert.ok(await p.locator('#status-done').isVisible(), 'the answers were received');
    assert.equal(await p.getAttribute('#step-questionnaire', 'data-state'), 'done');
    assert.equal(await p.getAttribute('#step-book', 'data-state'), 'done');

    // ---- Consent: the text with its line breaks, the checkbox, the hash of the text shown.
    await openReady(p, url, '/consent.html');
    assert.equal(await p.getAttribute('#consent-state', 'data-state'), 'none');
    const consent = await p.evaluate(async () => (await (await fetch('/api/v1/consent')).json()).consent);
    const shownText = await p.textContent('#consent-text');
    assert.equal(shownText, consent.text.ja, 'the Japanese text is shown as is');
    assert.equal(await p.$eval('#consent-text', (e) => getComputedStyle(e).whiteSpace), 'pre-wrap');
    assert.ok(await p.$eval('#consent-text', (e) => e.children.length === 0), 'text only, no markup');
    await assertNoSidewaysScroll(p, 'consent');
    await screenshot(p, 'consent.png');
    await p.click('#consent-form button[type="submit"]');
    await p.locator('#consent-read-error:not([hidden])').waitFor();
    await p.check('#consent-read');
    await p.click('#consent-form button[type="submit"]');
    await p.waitForSelector('#consent-state[data-state="accepted"]');
    const hash = createHash('sha256').update(consent.text.ja, 'utf8').digest('hex');
    const accepted = await p.evaluate(async () => (await (await fetch('/api/v1/intake')).json()).intake.consent);
    assert.equal(accepted.latest.sha256, hash, 'the hash of the text shown was recorded');
    assert.equal(accepted.latest.lang, 'ja');
    assert.equal(accepted.in_force, true);
    assert.ok(await p.locator('#accept-section').isHidden());
    await screenshot(p, 'consent-accepted.png');

    // Withdraw (after a confirmation), then accept again.
    await p.click('#withdraw-button');
    await p.locator('#withdraw-confirm:not([hidden])').waitFor();
    await screenshot(p, 'consent-withdraw-confirm.png');
    await p.click('#withdraw-yes');
    await p.waitForSelector('#consent-state[data-state="withdrawn"]');
    await screenshot(p, 'consent-withdrawn.png');
    await p.check('#consent-read');
    await p.click('#consent-form button[type="submit"]');
    await p.waitForSelector('#consent-state[data-state="accepted"]');

    await openReady(p, url, '/status.html');
    assert.equal(await p.getAttribute('#step-consent', 'data-state'), 'done');
    assert.equal(await p.getAttribute('#step-decision', 'data-state'), 'waiting');
    await screenshot(p, 'status-waiting.png');

    // ---- The doctor's schedule shows the call with the phone and the block level.
    await openReady(d, url, `/schedule.html`);
    await d.fill('#day-date', tomorrow);
    await d.dispatchEvent('#day-date', 'change');
    const call = d.locator('#calls li.call--booked', { hasText: me.name });
    await call.waitFor();
    assert.match(await call.textContent(), /10:00–10:10/);
    assert.equal(await call.locator('a.call__phone').getAttribute('href'), 'tel:09087654321');
    assert.equal(await call.locator('.level').getAttribute('data-level'), 'block');
    const patientId = await call.getAttribute('data-patient-id');
    await assertNoSidewaysScroll(d, 'schedule');
    await screenshot(d, 'schedule.png');

    // The review queue lists the patient with the flag's reason, the call and consent.
    await openReady(d, url, '/review.html');
    const entry = d.locator(`#queue li[data-patient-id="${patientId}"]`);
    await entry.waitFor();
    assert.equal(await entry.getAttribute('data-level'), 'block');
    assert.match(await entry.textContent(), /アナフィラキシー/);
    assert.match(await entry.textContent(), /同意あり/);
    assert.match(await entry.textContent(), /10:00 JST/);
    const levels = await d.$$eval('#queue li.queue__item', (items) => items.map((i) => i.dataset.level));
    assert.equal(levels[0], 'block', 'block first');
    await screenshot(d, 'review.png');

    // The same pages on the doctor's phone (before the decision) do not scroll sideways.
    const phone = await openPage(PHONE);
    try {
      await logIn(phone.page, url, 'doctor@clinic.example', 'doctor-demo-pass');
      await openReady(phone.page, url, '/schedule.html');
      await phone.page.fill('#day-date', tomorrow);
      await phone.page.dispatchEvent('#day-date', 'change');
      await phone.page.locator('#calls li.call--booked').first().waitFor();
      await assertNoSidewaysScroll(phone.page, 'schedule on a phone');
      await screenshot(phone.page, 'schedule-phone.png');
      await openReady(phone.page, url, '/review.html');
      await phone.page.locator(`#queue li[data-patient-id="${patientId}"]`).waitFor();
      await assertNoSidewaysScroll(phone.page, 'review on a phone');
      await screenshot(phone.page, 'review-phone.png');
      await openReady(phone.page, url, `/patient.html?id=${patientId}`);
      await phone.page.check('#decision-approve');
      await phone.page.locator('#override-area').waitFor({ state: 'visible' });
      await assertNoSidewaysScroll(phone.page, 'patient on a phone');
      await screenshot(phone.page, 'patient-phone.png');
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.context.close();
    }

    // ---- The patient page: answers as text, flags, override required for approval.
    await Promise.all([d.waitForURL(`${url}/patient.html?id=${patientId}`), entry.locator('a.queue__name').click()]);
    await d.waitForSelector('body[data-ready="true"]');
    assert.equal(await d.textContent('#patient-name'), me.name);
    assert.equal(await d.getAttribute('#answers dd[data-link-id="anaphylaxis"]', 'data-link-id'), 'anaphylaxis');
    assert.equal(await d.textContent('#answers dd[data-link-id="anaphylaxis"]'), 'はい');
    assert.equal(await d.textContent('#answers dd[data-link-id="skin_site"]'), '特に問題はない');
    assert.match(await d.textContent('#flags'), /アナフィラキシー/);
    assert.ok(await d.locator('#override-area').isHidden(), 'override shows with the approval fields');
    await d.fill('#decision-notes', '電話で確認。10年前に薬剤でアナフィラキシーの既往。本品での反応歴はなし。');
    await d.check('#decision-approve');
    await d.locator('#override-area').waitFor({ state: 'visible' });
    // The product is chosen from the product master (the demo's cream is preselected).
    assert.ok(await d.locator('#product-select-field').isVisible(), 'products are listed');
    assert.ok(await d.locator('#product-none').isHidden());
    assert.equal(await d.$eval('#decision-product-id', (s) => s.selectedOptions[0]?.textContent), 'エクソソームクリーム(男性用)');
    assert.equal(await d.inputValue('#decision-directions'), '1日1回、洗顔後に適量を塗布');
    assert.equal(await d.inputValue('#decision-quantity'), '1');
    assert.equal(await d.inputValue('#decision-valid-until'), jstDay(30));
    await d.click('#decision-form button[type="submit"]');
    await d.locator('#decision-override-error:not([hidden])').waitFor();
    assert.ok((await d.textContent('#decision-override-error')).trim().length > 0);
    await screenshot(d, 'patient-override-error.png');
    const overrideText = '原因薬剤は特定済みで本品の成分と無関係。少量から開始し、初回は医師が電話で経過を確認する。';
    await d.fill('#decision-override', overrideText);
    // No call has been held: the form asks for the call, or a reason to approve without it.
    assert.ok(await d.locator('#no-call-area').isVisible(), 'no held call: the form says so');
    assert.match(await d.textContent('#calls-record'), /通話の記録はまだありません/);
    await d.click('#decision-form button[type="submit"]');
    await d.locator('#decision-no-call-error:not([hidden])').waitFor();
    assert.match(await d.textContent('#decision-no-call-error'), /通話/);
    await screenshot(d, 'patient-decision-no-call.png');

    // ---- The call: moved to a slot that starts a few seconds from now, then recorded from the
    // schedule once its time has come.
    const adminApi = new Client(url);
    await adminApi.login('admin@clinic.example', 'admin-demo-pass');
    const patientApi = new Client(url);
    await patientApi.login(me.email, me.password);
    const soon = await bookSoonCall(adminApi, patientApi);
    const caller = await openPage(DESKTOP);
    try {
      await logIn(caller.page, url, soon.doctor.email, soon.doctor.password);
      await openReady(caller.page, url, '/schedule.html');
      const item = caller.page.locator(`#calls li[data-patient-id="${patientId}"]`);
      await item.locator('.call__record[data-call-result="none"]').waitFor();
      if (Date.now() < soon.start) assert.match(await item.textContent(), /開始時刻から/, 'no buttons before the call is due');
      await waitUntil(soon.start);
      await openReady(caller.page, url, '/schedule.html');
      await item.locator('[data-call-open="held"]').waitFor();
      assert.ok(await item.locator('[data-call-open="not_reached"]').isVisible());
      await screenshot(caller.page, 'schedule-call-buttons.png');
      await item.locator('[data-call-open="held"]').click();
      await item.locator('.call-form button[type="submit"]').click();
      await item.locator('.call-form [data-error-for="notes"]:not([hidden])').waitFor();
      await item.locator('.call-form textarea').fill('アナフィラキシーの経緯(10年前、薬剤)を聴取。使用方法とパッチテストを説明。');
      await item.locator('.call-form button[type="submit"]').click();
      await item.locator('.call__record[data-call-result="held"]').waitFor();
      await assertNoSidewaysScroll(caller.page, 'schedule with a held call');
      await screenshot(caller.page, 'schedule-call-held.png');
      assert.deepEqual(caller.problems, []);
    } finally {
      await caller.context.close();
    }

    await openReady(d, url, `/patient.html?id=${patientId}`);
    assert.match(await d.textContent('#calls-record'), /アナフィラキシーの経緯/);
    assert.ok(await d.locator('#no-call-area').isHidden(), 'a held call: no reason needed');
    await d.fill('#decision-notes', '電話で確認。10年前に薬剤でアナフィラキシーの既往。本品での反応歴はなし。');
    await d.check('#decision-approve');
    await d.fill('#decision-override', overrideText);
    await d.click('#decision-form button[type="submit"]');
    await d.locator('#decision-recorded:not([hidden])').waitFor();
    assert.equal(await d.getAttribute('#decision-result', 'data-decision'), 'approved');
    assert.ok(await d.locator('#decision-form').isHidden(), 'a recorded decision is read-only');
    assert.match(await d.textContent('#decision-details'), /エクソソームクリーム\(男性用\)/);
    assert.match(await d.textContent('#decision-details'), /原因薬剤は特定済み/);
    await screenshot(d, 'patient-decision.png');

    // Flag reasons follow the UI language.
    await d.click('[data-lang-toggle]');
    await d.waitForFunction(() => document.documentElement.lang === 'en');
    await d.waitForFunction(() => /anaphylaxis/i.test(document.querySelector('#flags')?.textContent ?? ''));
    assert.equal(await d.textContent('#answers dd[data-link-id="anaphylaxis"]'), 'Yes');
    await screenshot(d, 'patient-decision-en.png');
    await d.click('[data-lang-toggle]');
    await d.waitForFunction(() => document.documentElement.lang === 'ja');

    // ---- The patient sees the approval.
    await openReady(p, url, '/status.html');
    assert.equal(await p.getAttribute('#step-decision', 'data-state'), 'done');
    assert.equal(await p.getAttribute('#step-decision', 'data-decision'), 'approved');
    const approval = await p.textContent('#step-decision');
    assert.match(approval, /エクソソームクリーム\(男性用\)/);
    assert.match(approval, /1本/);
    assert.match(approval, /1日1回、洗顔後に適量を塗布/);
    assert.doesNotMatch(approval, /原因薬剤/, 'the doctor\'s notes and override reason stay with staff');
    await assertNoSidewaysScroll(p, 'status (approved)');
    await screenshot(p, 'status-approved.png');
    await p.click('[data-lang-toggle]');
    await p.waitForFunction(() => document.documentElement.lang === 'en');
    await p.waitForFunction(() => /approved/.test(document.querySelector('#step-decision')?.textContent ?? ''));
    await assertNoSidewaysScroll(p, 'status in English');
    await screenshot(p, 'status-approved-en.png');

    assert.deepEqual(doctor.problems, []);
    assert.deepEqual(patient.problems, []);
  } finally {
    await doctor.context.close();
    await patient.context.close();
    await server.stop();
  }
});

test('patient pages send a stranger to log in; doctors\' pages refuse patients', async () => {
  const server = await startServer({ demo: true });
  const { context, page, problems } = await openPage(PHONE);
  try {
    const { url } = server;
    for (const path of ['/book.html', '/questionnaire.html', '/consent.html', '/status.html', '/schedule.html', '/review.html', '/patient.html?id=1']) {
      await page.goto(`${url}${path}`);
      await page.waitForURL(`${url}/login.html?next=${encodeURIComponent(path)}`); // back there after logging in
    }
    await logIn(page, url, 'hanako@patient.example', 'patient-demo-pass');
    for (const path of ['/schedule.html', '/review.html', '/patient.html?id=1']) {
      await page.goto(`${url}${path}`);
      await page.locator('#page-error:not([hidden])').waitFor();
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('the UI\'s own words make no advertising claims', () => {
  // Medical advertising rules: no claims of safety, certainty or superiority in the UI's text.
  // (The consent text is data and may say, e.g., that long-term safety is not established.)
  const web = join(root, 'web');
  for (const lang of ['ja', 'en']) {
    const catalogue = JSON.parse(readFileSync(join(web, 'i18n', `${lang}.json`), 'utf8'));
    for (const [key, text] of Object.entries(catalogue)) {
      // 医薬品安全性情報報告書 is the name of the PMDA form, not a claim of safety.
      assert.doesNotMatch(text.replaceAll('exosafe', '').replaceAll('医薬品安全性情報報告書', ''), BANNED_CLAIMS, `${lang}.json ${key}`);
    }
  }
  assertNoClaims(['book', 'questionnaire', 'consent', 'status', 'schedule', 'review', 'patient', 'home']);
});
