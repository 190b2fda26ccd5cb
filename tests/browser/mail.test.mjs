// Browser test of password reset by e-mail against a real local SMTP server: the log-in page's
// 「パスワードを忘れた方」 link, the request page's answer, the mail's link opening the reset page,
// the new password working, and the used link refused. Screenshots go to build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBrowser, stopBrowser, openPage, screenshot, assertNoSidewaysScroll, logIn, PHONE } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { startSmtp } from '../lib/smtp.mjs';

let smtp, server, dir;
const PUBLIC_URL = 'https://clinic.example.jp';

before(async () => {
  await startBrowser();
  smtp = await startSmtp();
  dir = mkdtempSync(join(tmpdir(), 'exosafe-mailbrowser-'));
  const config = join(dir, 'exosafe.ini');
  writeFileSync(config, `[mail]\nsmtp_url = ${smtp.url}\nfrom = noreply@clinic.example.jp\npoll_seconds = 1\npublic_url = ${PUBLIC_URL}\n`);
  server = await startServer({ demo: true, args: ['--config', config] });
});

after(async () => {
  await stopBrowser();
  await server?.stop();
  await smtp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('patient: forgot password, reset from the e-mail link, log in with the new password', async () => {
  const { context, page, problems } = await openPage(PHONE);
  try {
    const { url } = server;
    await page.goto(`${url}/login.html`);
    await page.click('a[href="/forgot-password.html"]');
    await page.waitForURL(`${url}/forgot-password.html`);
    assert.equal(await page.textContent('h1'), 'パスワードの再設定');
    await page.fill('#forgot-email', 'hanako@patient.example');
    await page.click('#forgot-form button[type="submit"]');
    await page.waitForSelector('#forgot-form [data-form-status]:not([hidden])');
    assert.match(await page.textContent('#forgot-form [data-form-status]'), /登録されていれば/);
    await assertNoSidewaysScroll(page, 'forgot-password');
    await screenshot(page, 'forgot-password.png');

    const [mail] = await smtp.waitFor((ms) => ms.length === 1);
    const mailed = /(https?:\/\/\S+reset-password\.html#token=[A-Za-z0-9_-]+)/.exec(mail.body)[1];
    assert.ok(mailed.startsWith(`${PUBLIC_URL}/`), mailed);
    // The clinic's public address is not this test server's: open the same path and fragment here.
    const link = url + mailed.slice(PUBLIC_URL.length);

    await page.goto(link);
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    assert.equal(new URL(page.url()).hash, '', 'the token is removed from the address bar');
    await page.fill('#reset-password', 'short');
    await page.click('#reset-form button[type="submit"]');
    await page.waitForSelector('#reset-password-error:not([hidden])');
    await page.fill('#reset-password', 'a new patient passphrase');
    await page.click('#reset-form button[type="submit"]');
    await page.waitForSelector('#reset-form [data-form-status]:not([hidden])');
    assert.match(await page.textContent('#reset-form [data-form-status]'), /パスワードを変更しました/);
    await assertNoSidewaysScroll(page, 'reset-password');
    await screenshot(page, 'reset-password.png');

    // The same link a second time: refused with a clear message.
    await page.goto(`${url}/login.html`);
    await page.goto(link);
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    await page.fill('#reset-password', 'yet another passphrase');
    await page.click('#reset-form button[type="submit"]');
    await page.waitForSelector('#reset-form [data-form-error]:not([hidden])');
    assert.match(await page.textContent('#reset-form [data-form-error]'), /すでに使われています/);

    await logIn(page, url, 'hanako@patient.example', 'a new patient passphrase');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('admin: the e-mail delivery page lists the outbox, in Japanese and English', async () => {
  const { context, page, problems } = await openPage({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: { width: 1280, height: 900 } });
  try {
    const { url } = server;
    await logIn(page, url, 'admin@clinic.example', 'admin-demo-pass');
    await page.click('a[href="/mail.html"]');
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.isHidden('#mail-not-configured'), true, 'a relay is configured');
    const rows = await page.$$eval('#mail-body tr', (trs) => trs.map((tr) => [tr.dataset.status, tr.children[2].textContent, tr.children[3].textContent]));
    assert.ok(rows.some(([status, to, subject]) => status === 'sent' && to === 'hanako@patient.example' && /パスワード再設定/.test(subject)), JSON.stringify(rows));
    await screenshot(page, 'mail-admin.png');
    await page.selectOption('#mail-filter', 'failed');
    await page.waitForSelector('#mail-empty:not([hidden])');
    await page.click('[data-lang-toggle]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await page.textContent('h1'), 'E-mail delivery');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
