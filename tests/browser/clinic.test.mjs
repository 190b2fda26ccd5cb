// Browser test of the clinic's details: the first-run set-up page an admin is sent to (every
// field error at once, full-width input normalised, on a phone and a desktop), the phone and
// hours where patients are told to call and in the footer of the public pages, and the demo
// banner. Screenshots go to build/screenshots/ (the settings page also to docs/screenshots/).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assertNoSidewaysScroll, openPage, screenshot, shots, startBrowser, stopBrowser, DESKTOP, PHONE } from '../lib/browser.mjs';
import { cli, root, sql, startServer, testClinic } from '../lib/server.mjs';
import { Client, signupBody } from '../http/client.mjs';

const ADMIN = { email: 'first.admin@clinic.example', password: 'first-admin-pass' };
const docs = join(root, 'docs', 'screenshots');

before(async () => { await startBrowser(); mkdirSync(docs, { recursive: true }); });
after(async () => { await stopBrowser(); });

async function keep(page, name) {
  await screenshot(page, name);
  copyFileSync(join(shots, name), join(docs, name));
}

async function logIn(page, url, email, password) {
  await page.goto(`${url}/login.html`);
  await page.waitForFunction(() => document.documentElement.lang === 'ja');
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await page.click('#login-form button[type="submit"]');
}

test('first-run set-up: the admin is sent to the settings page, sees every error, saves', async () => {
  const server = await startServer({
    clinic: false,
    before: (db) => {
      const r = cli(['user', 'add', '--db', db, '--role', 'admin', '--email', ADMIN.email, '--name', '管理 花子'], `${ADMIN.password}\n`);
      assert.equal(r.status, 0, r.stderr);
    },
  });
  const { context, page, problems } = await openPage(PHONE);
  try {
    await logIn(page, server.url, ADMIN.email, ADMIN.password);
    await page.waitForURL(`${server.url}/clinic-settings.html?setup=1`);
    await page.waitForSelector('#clinic-view:not([hidden])');
    assert.ok(await page.isVisible('#clinic-setup'), 'the set-up note is shown');
    assert.match(await page.textContent('#clinic-setup-missing'), /クリニック名.*電話番号.*医籍登録番号/);

    // Placeholders and a bad postal code: all refused at once, each next to its field.
    await page.fill('#clinic-name', 'exosafe クリニック');
    await page.fill('#clinic-phone', '03-0000-0000');
    await page.fill('#clinic-postal', '12-345');
    await page.fill('#clinic-bank-number', '123');
    await page.click('#clinic-form button[type="submit"]');
    await page.waitForSelector('[data-form-error]:not([hidden])');
    const shown = await page.$$eval('[data-error-for]:not([hidden])', (els) => els.map((e) => e.dataset.errorFor));
    for (const f of ['name', 'phone', 'postal_code', 'address', 'hours', 'doctor_name', 'doctor_licence', 'bank_account_number', 'bank_name']) {
      assert.ok(shown.includes(f), `error shown for ${f}: ${shown}`);
    }
    assert.match(await page.textContent('[data-error-for="phone"]'), /仮の値/);
    assert.equal(await page.getAttribute('#clinic-name', 'aria-invalid'), 'true');
    await assertNoSidewaysScroll(page, 'settings with errors on a phone');
    await keep(page, 'clinic-settings-errors-phone.png');

    // Full-width digits and no hyphens: accepted and stored normalised.
    await page.fill('#clinic-name', testClinic.name);
    await page.fill('#clinic-postal', '１０５００１１');
    await page.fill('#clinic-address', testClinic.address);
    await page.fill('#clinic-phone', '０３－１２３４－５６７８');
    await page.fill('#clinic-hours', testClinic.hours);
    await page.fill('#clinic-email', testClinic.email);
    await page.fill('#clinic-doctor-name', testClinic.doctor_name);
    await page.fill('#clinic-doctor-licence', '１２３４５６');
    await page.fill('#clinic-bank-name', testClinic.bank_name);
    await page.fill('#clinic-bank-branch', testClinic.bank_branch);
    await page.selectOption('#clinic-bank-type', 'futsu');
    await page.fill('#clinic-bank-number', '1234567');
    await page.fill('#clinic-bank-holder', 'ﾐﾅﾄﾋﾌｶ');
    await page.click('#clinic-form button[type="submit"]');
    await page.waitForSelector('[data-form-status]:not([hidden])');
    assert.equal(await page.inputValue('#clinic-phone'), '03-1234-5678');
    assert.equal(await page.inputValue('#clinic-postal'), '105-0011');
    assert.equal(await page.inputValue('#clinic-bank-holder'), 'ミナトヒフカ');
    assert.ok(await page.isHidden('#clinic-setup'), 'set-up done');
    assert.equal(await page.$$eval('[data-error-for]:not([hidden])', (els) => els.length), 0);
    await assertNoSidewaysScroll(page, 'settings on a phone');
    await keep(page, 'clinic-settings-phone.png');

    // Now home stays home, and links to the settings.
    await page.goto(`${server.url}/home.html`);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.getAttribute('#clinic-settings-link', 'href'), '/clinic-settings.html');

    // The English toggle.
    await page.goto(`${server.url}/clinic-settings.html`);
    await page.waitForSelector('#clinic-view:not([hidden])');
    await page.click('[data-lang-toggle]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await page.textContent('label[for="clinic-name"] span'), 'Clinic name');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }

  const desktop = await openPage(DESKTOP);
  try {
    await logIn(desktop.page, server.url, ADMIN.email, ADMIN.password);
    await desktop.page.waitForURL(`${server.url}/home.html`);
    await desktop.page.goto(`${server.url}/clinic-settings.html`);
    await desktop.page.waitForSelector('#clinic-view:not([hidden])');
    await keep(desktop.page, 'clinic-settings-desktop.png');
    assert.deepEqual(desktop.problems, []);
  } finally {
    await desktop.context.close();
    await server.stop();
  }
});

test('patients see whom to call: phone and hours by the contact notes, clinic in the footer', async () => {
  const server = await startServer();
  const patient = new Client(server.url);
  assert.equal((await patient.signup(signupBody())).status, 201);
  const { context, page, problems } = await openPage(PHONE);
  try {
    await logIn(page, server.url, signupBody().email, signupBody().password);
    await page.waitForURL(`${server.url}/home.html`);
    await page.waitForSelector('#patient-view:not([hidden]) [data-clinic-contact]');
    const line = page.locator('#patient-view [data-clinic-contact]');
    assert.match(await line.textContent(), /みなと皮膚科クリニック 03-1234-5678 \(受付 平日 10:00–18:00\)/);
    assert.equal(await line.locator('a').getAttribute('href'), 'tel:0312345678');
    assert.match(await page.textContent('.site-footer .clinic-footer'), /〒105-0011 東京都港区芝公園1-2-3/);
    await keep(page, 'clinic-contact-patient-home.png');

    // The public product list (no log-in needed): contact line and footer too.
    await page.goto(`${server.url}/products.html`);
    await page.waitForSelector('#notes [data-clinic-contact]');
    assert.match(await page.textContent('#notes [data-clinic-contact]'), /03-1234-5678/);
    assert.match(await page.textContent('.clinic-footer'), /管理医師 港 一郎/);
    assert.equal(await page.$('#demo-banner'), null, 'no demo banner in production');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('while the details are incomplete the contact line says so; demo pages carry デモ', async () => {
  const bare = await startServer({
    clinic: false,
    before: (db) => assert.equal(cli(['user', 'add', '--db', db, '--role', 'admin', '--email', ADMIN.email, '--name', '管理'], `${ADMIN.password}\n`).status, 0),
  });
  const demo = await startServer({ demo: true });
  const { context, page, problems } = await openPage(PHONE);
  try {
    await page.goto(`${bare.url}/`);
    await page.waitForSelector('[data-clinic-contact]');
    assert.match(await page.textContent('[data-clinic-contact]'), /ただいま設定中/);
    assert.doesNotMatch(await page.textContent('body'), /03-0000-0000/);

    await page.goto(`${demo.url}/`);
    await page.waitForSelector('#demo-banner');
    assert.match(await page.textContent('#demo-banner'), /デモ/);
    assert.match(await page.textContent('[data-clinic-contact]'), /03-0000-1234/);
    await screenshot(page, 'clinic-demo-banner.png');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await bare.stop();
    await demo.stop();
  }
});

test('a chain of clinics: sign-up offers its clinics and registers the patient with the one chosen', async () => {
  const server = await startServer({
    demo: true,
    before: (db) => assert.equal(cli(['clinic', 'add', '--db', db, '--name', '西新宿クリニック']).status, 0),
  });
  const single = await startServer({ demo: true });
  const { context, page, problems } = await openPage(PHONE);
  try {
    // One clinic: nothing to choose, the field is not shown.
    await page.goto(`${single.url}/signup.html`);
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    await page.waitForLoadState('networkidle');
    assert.equal(await page.isVisible('#signup-clinic'), false);

    await page.goto(`${server.url}/signup.html`);
    await page.waitForSelector('#signup-clinic-field:not([hidden])');
    const offered = await page.$$eval('#signup-clinic option', (os) => os.map((o) => o.textContent));
    assert.ok(offered.includes('西新宿クリニック'), `offered: ${offered}`);
    await page.fill('#signup-email', 'nishi.hana@patient.example');
    await page.fill('#signup-password', 'nishi-hana-password');
    await page.fill('#signup-name', '西 花');
    await page.fill('#signup-name-kana', 'ニシ ハナ');
    await page.fill('#signup-birth-date', '1990-05-06');
    await page.selectOption('#signup-sex', 'female');
    await page.fill('#signup-phone', '090-1234-5678');
    // Not chosen: refused next to the field, nothing registered.
    await page.click('#signup-form button[type="submit"]');
    await page.waitForSelector('#signup-clinic-error:not([hidden])');
    assert.match(await page.textContent('#signup-clinic-error'), /クリニック/);
    assert.equal(sql(server.db, "SELECT count(*) FROM users WHERE email = 'nishi.hana@patient.example'"), '0');
    await screenshot(page, 'signup-clinic-choice.png');
    await page.selectOption('#signup-clinic', { label: '西新宿クリニック' });
    await Promise.all([page.waitForURL(`${server.url}/home.html`), page.click('#signup-form button[type="submit"]')]);
    assert.equal(sql(server.db, "SELECT c.name FROM users u JOIN clinics c ON c.id = u.clinic_id WHERE u.email = 'nishi.hana@patient.example'"), '西新宿クリニック');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
    await single.stop();
  }
});
