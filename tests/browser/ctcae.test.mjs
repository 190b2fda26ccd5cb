// Browser test of the CTCAE v5.0 catalogue on the assessment form (issue 12): the doctor opens a
// case, searches NCI CTCAE v5.0 for a term outside the clinic's common list, by name and by
// MedDRA code, assigns it with one of its own grades, adds the skin "Other, specify" term with
// its specific event, saves, and sees both in the version history with the event's coding
// state; the export then asks for the event's MedDRA code. Screenshots go to build/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, openReady, logIn, screenshot, assertNoSidewaysScroll, DESKTOP, useBrowser } from '../lib/browser.mjs';
import { Client, signupBody } from '../http/client.mjs';
import { jstDate } from '../http/fixtures.mjs';

const server = useBrowser({ demo: true });

test('staff find a term outside the common list in the CTCAE v5.0 catalogue and assign it', async () => {
  const patient = new Client(server.url);
  const s = await patient.signup(signupBody({ email: 'ctcae-ui@patient.example', name: '検索 花子' }));
  assert.equal(s.status, 201, s.text);
  const doctorApi = new Client(server.url);
  await doctorApi.login('doctor@clinic.example', 'doctor-demo-pass');
  const r = await doctorApi.post('/api/v1/adverse-events', { patient_id: s.json.user.id, symptoms: ['redness'], description: '標的状の紅斑が腕に出た', onset_date: jstDate(-2), ongoing: true, severity: 'moderate' });
  assert.equal(r.status, 201, r.text);
  const id = r.json.report.id;

  const d = await openPage(DESKTOP);
  try {
    await logIn(d.page, server.url, 'doctor@clinic.example', 'doctor-demo-pass');
    await openReady(d.page, server.url, `/ae-case.html?id=${id}`);

    // By name: Erythema multiforme is not among the common terms.
    const common = await d.page.locator('#term-rows .term-select option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(!common.includes('erythema_multiforme'));
    await d.page.fill('#term-search-input', 'erythema multiforme');
    await d.page.press('#term-search-input', 'Enter');
    const hit = d.page.locator('#term-search-results li[data-term="erythema_multiforme"]');
    await hit.waitFor();
    assert.match(await hit.textContent(), /MedDRA 10015218/);
    assert.match(await d.page.textContent('#term-search-status'), /1件/);
    assert.equal(await d.page.locator('#assess-result').isVisible(), false, 'Enter searched, it did not submit');

    // By MedDRA code (full-width digits are fine): the same term.
    await d.page.fill('#term-search-input', '１００１５２１８');
    await d.page.click('#term-search-button');
    await d.page.waitForFunction(() => document.querySelectorAll('#term-search-results li').length === 1
      && document.querySelector('#term-search-results li').dataset.term === 'erythema_multiforme');
    await d.page.click('#term-search-results li[data-term="erythema_multiforme"] .term-search__use');
    const row = d.page.locator('#term-rows .term-row').first();
    assert.equal(await row.locator('.term-select').inputValue(), 'erythema_multiforme');
    const grades = await row.locator('.grade-select option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(grades, ['', '1', '2', '3', '4', '5'], 'a blank choice, then the NCI grades of the term');
    await row.locator('.grade-select').selectOption('2');
    assert.match(await row.locator('.grade-desc').textContent(), /Target lesions covering 10 - 30% BSA/, 'NCI English where no Japanese is known');
    assert.equal(await row.locator('.term-row__specify').isVisible(), false);

    // The skin "Other, specify" term (a common one) asks for the specific event.
    await d.page.click('#term-add');
    const second = d.page.locator('#term-rows .term-row').nth(1);
    await second.locator('.term-select').selectOption('skin_other');
    await second.locator('.term-row__specify').waitFor();
    await second.locator('.specify-text').fill('紅斑 / erythema');
    await second.locator('.grade-select').selectOption('1');
    await d.page.selectOption('#case-outcome', 'recovering');
    await d.page.selectOption('#case-causality', 'possible');
    await screenshot(d.page, 'ae-case-ctcae-search.png');
    await assertNoSidewaysScroll(d.page, 'assessment with catalogue search');

    await d.page.click('#assess-submit');
    await d.page.waitForSelector('#assess-result:not([hidden])');
    assert.match(await d.page.textContent('#assess-result'), /第1版を保存しました/);
    const history = await d.page.textContent('#case-history');
    assert.match(history, /Erythema multiforme — グレード2/);
    assert.match(history, /具体的な事象名: 紅斑 \/ erythema（MedDRA コード未入力/);
    // The follow-up form keeps the catalogue term and the specific event.
    assert.equal(await d.page.locator('#term-rows .term-row .term-select').first().inputValue(), 'erythema_multiforme');
    assert.equal(await d.page.locator('#term-rows .term-row .specify-text').nth(1).inputValue(), '紅斑 / erythema');
    await screenshot(d.page, 'ae-case-ctcae-saved.png');

    // Export waits for the event's MedDRA code; a reload still names the catalogue term.
    const refused = await doctorApi.get(`/api/v1/adverse-events/${id}/e2b`);
    assert.equal(refused.status, 409);
    assert.match(refused.json.error.reason, /MedDRA/);
    await openReady(d.page, server.url, `/ae-case.html?id=${id}`);
    assert.match(await d.page.textContent('#case-history'), /Erythema multiforme/);
    assert.deepEqual(d.problems, []);
  } finally {
    await d.context.close();
  }
});
