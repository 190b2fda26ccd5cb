// The doctor's file after changed answers (issue 13): the patient answered anaphylaxis and
// possible pregnancy, then "no" a minute later. The page shows every version with its flags,
// the answer-changed flags, and refuses an approval without a written reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot, assertNoSidewaysScroll, openReady, logIn, useBrowser } from '../lib/browser.mjs';
import { Client, signupBody } from '../http/client.mjs';
import { cleanAnswers, QUESTIONNAIRE_VERSION } from '../http/fixtures.mjs';

const DESKTOP = { width: 1280, height: 900 };
const server = useBrowser({ demo: true });

test("the doctor's file shows every answer version and the change flags; approval needs a reason", async () => {
  const p = new Client(server.url);
  const s = await p.signup(signupBody({ email: 'changed@patient.example', name: '変更 太郎', name_kana: 'ヘンコウ タロウ', sex: 'male' }));
  assert.equal(s.status, 201, s.text);
  const post = (answers) => p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers });
  assert.equal((await post(cleanAnswers({ anaphylaxis: true, pregnancy: 'possibly_pregnant' }))).status, 201);
  assert.equal((await post(cleanAnswers({ pregnancy: 'no' }))).status, 201);
  const c = (await p.get('/api/v1/consent')).json.consent;
  await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja });

  const { page: d, context, problems } = await openPage(DESKTOP);
  try {
    await logIn(d, server.url, 'doctor@clinic.example', 'doctor-demo-pass');
    await openReady(d, server.url, `/patient.html?id=${s.json.user.id}`);
    // The latest answers are not 所見なし: two answer-changed flags, worst needs-attention.
    assert.equal(await d.getAttribute('#worst-level .level', 'data-level'), 'needs-attention');
    const changed = d.locator('#flags li.flag[data-rule="answer-changed"]');
    assert.equal(await changed.count(), 2);
    assert.match(await d.textContent('#flags'), /回答が変更されました：アナフィラキシーの既往 『はい』→『いいえ』（第1版 /);
    assert.match(await d.textContent('#flags'), /妊娠・授乳・妊娠の可能性 『妊娠している可能性がある』→『いいえ』/);
    // Both versions, newest first, each with its own flags; the changed answers are marked.
    assert.deepEqual(await d.$$eval('#history li.history__version', (li) => li.map((x) => [x.dataset.number, x.dataset.level])),
      [['2', 'needs-attention'], ['1', 'block']]);
    const first = d.locator('#history li.history__version[data-number="1"]');
    assert.equal(await first.locator('li.flag[data-level="block"]').count(), 2);
    const second = d.locator('#history li.history__version[data-number="2"]');
    await second.locator('summary').click();
    assert.deepEqual(await second.locator('dd[data-changed="true"]').evaluateAll((dd) => dd.map((x) => x.dataset.linkId)),
      ['anaphylaxis', 'pregnancy']);
    await assertNoSidewaysScroll(d, 'patient with answer history');
    await screenshot(d, 'patient-answer-history.png');

    // Approving needs the written reason, as over a block.
    await d.fill('#decision-notes', '電話で確認。');
    await d.check('#decision-approve');
    await d.locator('#override-area').waitFor({ state: 'visible' });
    assert.match(await d.textContent('#override-warning'), /回答が変更されました/);
    await d.click('#decision-form button[type="submit"]');
    await d.locator('#decision-override-error:not([hidden])').waitFor();
    await screenshot(d, 'patient-answer-changed-override.png');
    await d.fill('#decision-override', 'アナフィラキシーは蜂刺されの誤解と電話で確認。妊娠の可能性なし。');
    // No call is on record in this journey (the call gate has its own tests): the doctor writes why.
    await d.fill('#decision-no-call', 'ビデオ通話で診察したため電話の記録なし');
    await d.click('#decision-form button[type="submit"]');
    await d.locator('#decision-recorded:not([hidden])').waitFor();
    assert.equal(await d.getAttribute('#decision-result', 'data-decision'), 'approved');

    await d.click('[data-lang-toggle]');
    await d.waitForFunction(() => document.documentElement.lang === 'en');
    await d.waitForFunction(() => /Answer changed: History of anaphylaxis/.test(document.querySelector('#flags')?.textContent ?? ''));
    assert.match(await d.textContent('#history-heading'), /Answer history/);
    await screenshot(d, 'patient-answer-history-en.png');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
