// Browser test of the web UI shell against the real server: patient sign-up on a phone,
// log-out and log-in again, the language toggle, the generic log-in error, and the admin's home
// (staff creation, user list, audit chain). Screenshots go to build/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot, assertNoSidewaysScroll, DESKTOP_ABROAD as DESKTOP, PHONE, useBrowser } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

useBrowser();

/**
 * Submits form and expects to land on the home page; when the page shows an error instead,
 * fails with the messages it shows (so a refusal by the server is reported as such).
 */
async function submitExpectingHome(page, url, form) {
  const home = page.waitForURL(`${url}/home.html`).then(() => null, (error) => `no navigation: ${error.message}`);
  // The click runs the submit handler, which first clears earlier errors; then watch for new ones.
  await page.click(`${form} button[type="submit"]`);
  const refused = page.locator(`${form} [data-form-error]:not([hidden])`).first().waitFor().then(
    () => page.$$eval(`${form} [data-form-error]:not([hidden]), ${form} [data-error-for]:not([hidden])`,
      (els) => els.map((el) => el.textContent).join(' | ')),
    () => null, // the page went away: the navigation settles the race
  );
  const failure = await Promise.race([home, refused]);
  assert.equal(failure, null, `${form} was refused: ${failure}`);
}

async function logIn(page, url, email, password) {
  await page.goto(`${url}/login.html`);
  await page.waitForFunction(() => document.documentElement.lang === 'ja' || document.documentElement.lang === 'en');
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await submitExpectingHome(page, url, '#login-form');
  await page.waitForSelector('#home-greeting:not(:empty)');
}

test('patient: sign up on a phone, log out, log in, switch to English', async () => {
  const server = await startServer();
  const { context, page, problems } = await openPage(PHONE);
  try {
    const { url } = server;

    // Landing page links to sign-up and log-in and carries the product notice.
    await page.goto(`${url}/`);
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assert.ok(await page.locator('a[href="/signup.html"]').first().isVisible());
    assert.ok(await page.locator('a[href="/login.html"]').first().isVisible());
    assert.match(await page.textContent('.notice'), /未承認/);
    await assertNoSidewaysScroll(page, 'landing');
    await screenshot(page, 'index.png');

    // Home without a session goes to the log-in page.
    await page.goto(`${url}/home.html`);
    await page.waitForURL(`${url}/login.html`);

    await page.goto(`${url}/signup.html`);
    await page.waitForFunction(() => document.querySelector('#signup-form') !== null);
    for (const name of ['email', 'password', 'name', 'name_kana', 'birth_date', 'sex', 'phone', 'postal_code', 'address']) {
      assert.equal(await page.locator(`#signup-form [name="${name}"]`).count(), 1, `sign-up has field ${name}`);
    }
    assert.equal(await page.getAttribute('#signup-birth-date', 'type'), 'date');
    const unlabelled = await page.$$eval('#signup-form input, #signup-form select',
      (controls) => controls.filter((c) => c.labels.length === 0).map((c) => c.name));
    assert.deepEqual(unlabelled, [], 'every sign-up control has a label');
    assert.deepEqual(
      await page.$$eval('#signup-sex option', (options) => options.map((o) => o.value).filter(Boolean)),
      ['female', 'male', 'other'],
    );

    const patient = {
      email: 'sakura.test@patient.example',
      password: 'sakura-pass-2026',
      name: '佐藤 さくら',
      kana: 'サトウ サクラ',
      birth: '1990-07-15',
      phone: '080-2345-6789',
      postal: '150-0001',
      address: '東京都渋谷区神宮前1-2-3',
    };
    await page.fill('#signup-email', patient.email);
    await page.fill('#signup-password', 'short'); // first with a weak password
    await page.fill('#signup-name', patient.name);
    await page.fill('#signup-name-kana', patient.kana);
    await page.fill('#signup-birth-date', patient.birth);
    await page.selectOption('#signup-sex', 'female');
    await page.fill('#signup-phone', patient.phone);
    await page.fill('#signup-postal-code', patient.postal);
    await page.fill('#signup-address', patient.address);

    // The server's message for the weak password appears next to the password field.
    await page.click('#signup-form button[type="submit"]');
    const passwordError = page.locator('#signup-password-error');
    await passwordError.waitFor({ state: 'visible' });
    assert.ok((await passwordError.textContent()).trim().length > 0, 'password error has a message');
    assert.equal(await page.getAttribute('#signup-password', 'aria-invalid'), 'true');
    assert.ok(await page.locator('#signup-form [data-form-error]').isVisible(), 'general message shown too');
    assert.equal(new URL(page.url()).pathname, '/signup.html', 'stays on sign-up');
    await assertNoSidewaysScroll(page, 'sign-up with an error');
    await screenshot(page, 'signup-error.png');

    await page.fill('#signup-password', patient.password);
    await screenshot(page, 'signup.png');
    await submitExpectingHome(page, url, '#signup-form');

    // Home shows the patient's name, role, profile and the mandatory notice.
    await page.waitForSelector('#home-greeting:not(:empty)');
    assert.match(await page.textContent('#home-greeting'), new RegExp(patient.name));
    assert.match(await page.textContent('#home-role'), /患者/);
    const profile = await page.textContent('#patient-profile');
    for (const value of [patient.kana, patient.birth, '女性', patient.phone, patient.postal, patient.address, patient.email]) {
      assert.ok(profile.includes(value), `profile shows ${value}`);
    }
    const notice = await page.textContent('#patient-view .notice');
    assert.match(notice, /日本で承認された医薬品ではない未承認品で、医師が処方します。/);
    assert.match(notice, /救済制度/);
    assert.match(notice, /かゆみ/);
    assert.match(notice, /アレルギー/);
    assert.match(notice, /クリニックへご連絡/);
    assert.ok(await page.locator('#admin-view').isHidden(), 'patients see no admin panel');
    await assertNoSidewaysScroll(page, 'patient home');
    await screenshot(page, 'home-patient-signup.png');

    // Log out: back to the log-in page, and home is closed again.
    await Promise.all([page.waitForURL(`${url}/login.html`), page.click('#logout-button')]);
    const meAfterLogout = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    assert.equal(meAfterLogout, 401, 'session ended');
    await assertNoSidewaysScroll(page, 'log-in');
    await screenshot(page, 'login.png');

    // Log in again.
    await logIn(page, url, patient.email, patient.password);
    assert.match(await page.textContent('#home-greeting'), new RegExp(patient.name));
    await screenshot(page, 'home-patient.png');

    // English: labels change, <html lang> follows, and the choice survives a reload.
    await page.click('[data-lang-toggle]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.locator('#profile-heading', { hasText: 'Your details' }).waitFor();
    assert.match(await page.textContent('#home-role'), /Patient/);
    assert.match(await page.textContent('#patient-profile'), /Female/);
    assert.match(await page.textContent('#notice-heading'), /Important notice/);
    assert.equal(await page.textContent('[data-lang-toggle]'), '日本語');
    await page.reload();
    await page.waitForSelector('#home-greeting:not(:empty)');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.textContent('#home-greeting'), /Hello/);
    assert.equal(await page.textContent('#logout-button'), 'Log out');
    await assertNoSidewaysScroll(page, 'patient home in English');
    await screenshot(page, 'home-patient-en.png');

    // Server errors come back in English too (Accept-Language follows the toggle).
    await page.goto(`${url}/signup.html`);
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await page.textContent('#signup-heading'), 'Sign up (patients)');
    await page.context().clearCookies();
    await page.fill('#signup-email', patient.email);
    await page.fill('#signup-password', patient.password);
    await page.fill('#signup-name', patient.name);
    await page.fill('#signup-name-kana', patient.kana);
    await page.fill('#signup-birth-date', patient.birth);
    await page.selectOption('#signup-sex', 'female');
    await page.fill('#signup-phone', patient.phone);
    await page.click('#signup-form button[type="submit"]');
    // email_taken: next to the e-mail field when the server names it, else in the message area.
    const shown = page.locator('#signup-email-error:not([hidden]), #signup-form [data-form-error]:not([hidden])');
    await shown.first().waitFor();
    const emailError = page.locator('#signup-email-error');
    const taken = (await (await emailError.isVisible() ? emailError : shown.first()).textContent()).trim();
    assert.ok(taken.length > 0 && !/[\u3040-\u30ff\u4e00-\u9fff]/.test(taken), `English server message: ${taken}`);
    await screenshot(page, 'signup-en-error.png');

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('log-in failures show one generic message', async () => {
  const server = await startServer({ demo: true });
  const { context, page, problems } = await openPage(PHONE);
  try {
    const { url } = server;
    const tryLogIn = async (email, password) => {
      await page.goto(`${url}/login.html`);
      await page.waitForFunction(() => document.documentElement.lang === 'ja');
      await page.fill('#login-email', email);
      await page.fill('#login-password', password);
      await page.click('#login-form button[type="submit"]');
      const alert = page.locator('#login-form [data-form-error]');
      await alert.waitFor({ state: 'visible' });
      assert.equal(new URL(page.url()).pathname, '/login.html', 'stays on log-in');
      return (await alert.textContent()).trim();
    };
    const wrongPassword = await tryLogIn('admin@clinic.example', 'not-the-password');
    const unknownUser = await tryLogIn('nobody@clinic.example', 'admin-demo-pass');
    assert.ok(wrongPassword.length > 0, 'an error message is shown');
    assert.match(wrongPassword, /[\u3040-\u30ff\u4e00-\u9fff]/, 'the message is Japanese by default');
    assert.equal(unknownUser, wrongPassword, 'the same message whatever was wrong');
    await screenshot(page, 'login-error.png');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('log-in returns to the page that asked for it, and only to a page of this site', async () => {
  const server = await startServer({ demo: true });
  const { context, page, problems } = await openPage(PHONE);
  try {
    const { url } = server;
    // A signed-in page opened without a session sends to the log-in page with ?next=.
    await page.goto(`${url}/checkins.html?from=mail`);
    await page.waitForURL(`${url}/login.html?next=${encodeURIComponent('/checkins.html?from=mail')}`);
    const logInFrom = async (next, expected) => {
      // Leave the last page first: its requests, sent without the cleared cookie, would send
      // it to the log-in with its own ?next= while this test's page is loading.
      await page.goto('about:blank');
      await page.context().clearCookies();
      await page.goto(`${url}/login.html?next=${encodeURIComponent(next)}`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.fill('#login-email', 'hanako@patient.example');
      await page.fill('#login-password', 'patient-demo-pass');
      await Promise.all([page.waitForURL(`${url}${expected}`), page.click('#login-form button[type="submit"]')]);
    };
    await logInFrom('/checkins.html?from=mail', '/checkins.html?from=mail');
    // Another site, protocol-relative, backslash and scheme tricks all land on the home page.
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/login.html?next=/x']) {
      await logInFrom(next, '/home.html');
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('admin: creates a doctor, sees the user list and an intact audit chain', async () => {
  const server = await startServer({ demo: true });
  const { context, page, problems } = await openPage(DESKTOP);
  try {
    const { url } = server;
    await page.goto(`${url}/`);
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    await assertNoSidewaysScroll(page, 'landing on a desktop');
    await screenshot(page, 'index-desktop.png');

    await logIn(page, url, 'admin@clinic.example', 'admin-demo-pass');
    assert.match(await page.textContent('#home-role'), /管理者/);
    await page.waitForSelector('#admin-view:not([hidden])');
    await page.waitForSelector('#users-body tr');
    const listed = await page.$$eval('#users-body tr', (rows) => rows.map((r) => r.dataset.email));
    for (const email of ['admin@clinic.example', 'doctor@clinic.example', 'pharmacist@clinic.example', 'hanako@patient.example']) {
      assert.ok(listed.includes(email), `user list has ${email}`);
    }
    const hanako = page.locator('#users-body tr[data-email="hanako@patient.example"]');
    assert.match(await hanako.textContent(), /山田 花子/);
    assert.match(await hanako.textContent(), /患者/);

    // A staff form error from the server lands next to its field.
    await page.fill('#staff-name', '鈴木 一郎');
    await page.fill('#staff-email', 'suzuki.doctor@clinic.example');
    await page.fill('#staff-password', 'short');
    await page.selectOption('#staff-role', 'doctor');
    await page.click('#staff-form button[type="submit"]');
    await page.locator('#staff-password-error').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#users-body tr[data-email="suzuki.doctor@clinic.example"]').count(), 0);

    // Create the doctor; the list refreshes and shows them.
    await page.fill('#staff-password', 'suzuki-doctor-pass');
    await page.click('#staff-form button[type="submit"]');
    const row = page.locator('#users-body tr[data-email="suzuki.doctor@clinic.example"]');
    await row.waitFor();
    assert.match(await row.textContent(), /鈴木 一郎/);
    assert.match(await row.textContent(), /医師/);
    assert.match(await row.textContent(), /JST/);
    assert.match(await page.textContent('#staff-form [data-form-status]'), /suzuki\.doctor@clinic\.example/);
    assert.ok(await page.locator('#staff-password-error').isHidden(), 'old error cleared');
    assert.equal(await page.inputValue('#staff-email'), '', 'form reset');

    // The audit panel says the chain is intact and lists entries newest first, in JST.
    const status = page.locator('#audit-status');
    await status.waitFor({ state: 'visible' });
    assert.equal(await status.getAttribute('data-intact'), 'true');
    assert.match(await status.textContent(), /途切れていません/);
    const auditRows = page.locator('#audit-body tr');
    assert.ok(await auditRows.count() > 0, 'audit entries are listed');
    assert.match(await auditRows.first().textContent(), /\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} JST/);
    const ids = await page.$$eval('#audit-body tr td:first-child', (cells) => cells.map((c) => Number(c.textContent)));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    const actors = await page.$$eval('#audit-body tr td:nth-child(3)', (cells) => cells.map((c) => c.textContent));
    // People and actions in words: the admin by name and role, not by account number.
    assert.ok(actors.includes('管理 太郎 (管理者)'), `the admin's own actions are listed: ${actors.join(', ')}`);
    const actions = await page.$$eval('#audit-body tr td:nth-child(4)', (cells) => cells.map((c) => c.textContent));
    assert.ok(actions.includes('ログイン'), `actions in words: ${actions.join(', ')}`);

    // The audit times are shown in Asia/Tokyo: compare the first row with the API's UTC time.
    const shownFirst = await page.$eval('#audit-body tr', (tr) => ({
      id: Number(tr.cells[0].textContent), text: tr.cells[1].textContent, iso: tr.cells[1].querySelector('time')?.dateTime,
    }));
    const entries = await page.evaluate(async () => (await (await fetch('/api/v1/audit?limit=500')).json()).entries);
    const entry = entries.find((e) => e.id === shownFirst.id);
    assert.ok(entry, `audit entry ${shownFirst.id} exists`);
    assert.equal(shownFirst.iso, entry.at);
    const jst = new Date(Date.parse(entry.at) + 9 * 3600 * 1000).toISOString();
    const expected = `${jst.slice(0, 4)}/${jst.slice(5, 7)}/${jst.slice(8, 10)} ${jst.slice(11, 19)} JST`;
    assert.equal(shownFirst.text, expected, `audit time ${entry.at} shown in JST`);

    await assertNoSidewaysScroll(page, 'admin home');
    await screenshot(page, 'home-admin.png');

    // The new doctor can log in and sees the doctor's home.
    await Promise.all([page.waitForURL(`${url}/login.html`), page.click('#logout-button')]);
    await logIn(page, url, 'suzuki.doctor@clinic.example', 'suzuki-doctor-pass');
    assert.match(await page.textContent('#home-role'), /医師/);
    assert.match(await page.textContent('#staff-role-desc'), /問診票/);
    assert.ok(await page.locator('#admin-view').isHidden(), 'doctors see no admin panel');
    await screenshot(page, 'home-doctor.png');

    // The admin's home on a phone does not scroll sideways (tables scroll inside their box).
    await Promise.all([page.waitForURL(`${url}/login.html`), page.click('#logout-button')]);
    const phone = await openPage(PHONE);
    try {
      await logIn(phone.page, url, 'admin@clinic.example', 'admin-demo-pass');
      await phone.page.waitForSelector('#users-body tr');
      await phone.page.locator('#audit-status').waitFor({ state: 'visible' });
      await assertNoSidewaysScroll(phone.page, 'admin home on a phone');
      await screenshot(phone.page, 'home-admin-phone.png');
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.context.close();
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('sign-up: the latest birth date is today in Japan, also between midnight and 09:00 JST', async () => {
  const server = await startServer();
  const { context, page, problems } = await openPage(PHONE);
  try {
    // 01:00 JST today is 16:00 UTC yesterday: a UTC date would forbid today.
    const today = new Date(Date.now() + 9 * 3600e3).toISOString().slice(0, 10);
    await page.clock.setFixedTime(new Date(`${today}T01:00:00+09:00`));
    await page.goto(`${server.url}/signup.html`);
    await page.waitForFunction(() => document.getElementById('signup-birth-date').max !== '');
    assert.equal(await page.getAttribute('#signup-birth-date', 'max'), today);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});
