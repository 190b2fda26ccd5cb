// Browser test of accounts (issue 14) against the real server: the sign-up form marks every bad
// field at once and takes a phone number typed with full-width digits and ー; a patient changes
// their details on the profile page (reached from the order page's "register your address" and
// leading back); an admin searches the user list, deactivates a patient, changes a doctor's role
// and requires a new password, and that patient's log-in is refused with the reason; the user
// list pages with the staff lists' pager (limit and offset), the page held in the address.
// Screenshots (phone and desktop) go to build/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot, assertNoSidewaysScroll, openReady, logIn, DESKTOP, PHONE, useBrowser } from '../lib/browser.mjs';
import { sql } from '../lib/server.mjs';


const server = useBrowser({ demo: true });

test('sign-up marks every bad field at once, then accepts ０９０ー… and 1500001', async () => {
  const { context, page, problems } = await openPage(PHONE);
  try {
    await page.goto(`${server.url}/signup.html`);
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    await page.fill('#signup-email', 'not-an-address');
    await page.fill('#signup-password', 'short');
    await page.fill('#signup-name', '鈴木 花');
    await page.fill('#signup-name-kana', 'すずき はな');
    await page.fill('#signup-birth-date', '1990-05-06');
    await page.fill('#signup-phone', '12');
    await page.click('#signup-form button[type="submit"]');
    await page.waitForSelector('#signup-sex-error:not([hidden])');
    const marked = await page.$$eval('#signup-form [aria-invalid="true"]', (els) => els.map((e) => e.name).sort());
    assert.deepEqual(marked, ['email', 'name_kana', 'password', 'phone', 'sex']);
    for (const f of ['email', 'password', 'name-kana', 'phone', 'sex']) {
      const text = await page.textContent(`#signup-${f}-error`);
      assert.ok(text && text.length > 3, `${f} has its message`);
    }
    assert.equal(await page.evaluate(() => document.activeElement?.name), 'email', 'the first bad field has the focus');
    await assertNoSidewaysScroll(page, 'signup with errors');
    await screenshot(page, 'signup-errors.png');

    await page.fill('#signup-email', 'suzuki.hana@patient.example');
    await page.fill('#signup-password', 'suzuki-hana-password');
    await page.fill('#signup-name-kana', 'スズキ ハナ');
    await page.selectOption('#signup-sex', 'female');
    await page.fill('#signup-phone', '０９０ー１２３４ー５６７８');
    await page.fill('#signup-postal-code', '1500001');
    await Promise.all([page.waitForURL(`${server.url}/home.html`), page.click('#signup-form button[type="submit"]')]);
    assert.equal(sql(server.db, "SELECT phone || ' ' || postal_code FROM patient_profiles JOIN users ON users.id = user_id WHERE email = 'suzuki.hana@patient.example';"), '090-1234-5678 150-0001');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

for (const [device, options, shot] of [['phone', PHONE, 'profile-phone.png'], ['desktop', DESKTOP, 'profile-desktop.png']]) {
  test(`patient changes their details on the profile page (${device}), from the order page and back`, async () => {
    const { context, page, problems } = await openPage(options);
    try {
      await logIn(page, server.url, 'taro@patient.example', 'patient-demo-pass');
      // The navigation and the order page's address notice lead to the profile page.
      assert.equal(await page.getAttribute('#journey-profile-link', 'href'), '/profile.html');
      await page.goto(`${server.url}/order.html`);
      assert.equal(await page.getAttribute('#ship-to-register', 'href'), '/profile.html?return=order');
      assert.equal(await page.getAttribute('nav.subnav a[href="/profile.html"]', 'href'), '/profile.html');

      await openReady(page, server.url, '/profile.html?return=order');
      assert.equal(await page.inputValue('#profile-email'), 'taro@patient.example');
      assert.equal(await page.isVisible('#profile-return-link'), true);

      // Two bad fields at once: both marked, nothing saved.
      await page.fill('#profile-name-kana', 'さとう');
      await page.fill('#profile-postal-code', '15-0001');
      await page.click('#profile-form button[type="submit"]');
      await page.waitForSelector('#profile-postal-code-error:not([hidden])');
      assert.equal(await page.getAttribute('#profile-name-kana', 'aria-invalid'), 'true');
      assert.equal(await page.getAttribute('#profile-postal-code', 'aria-invalid'), 'true');

      await page.fill('#profile-name-kana', 'サトウ タロウ');
      await page.fill('#profile-postal-code', '５３０００01');
      await page.fill('#profile-address', `大阪府大阪市北区梅田1-1 (${device})`);
      await page.fill('#profile-phone', '０６−１２３４−５６７８');
      await page.click('#profile-form button[type="submit"]');
      await page.waitForSelector('#profile-form [data-form-status]:not([hidden])');
      assert.equal(await page.inputValue('#profile-postal-code'), '530-0001');
      assert.equal(await page.inputValue('#profile-phone'), '06-1234-5678');
      assert.equal(await page.$$eval('#profile-form [aria-invalid="true"]', (els) => els.length), 0);
      await assertNoSidewaysScroll(page, `profile (${device})`);
      await screenshot(page, shot);

      await Promise.all([page.waitForURL(`${server.url}/order.html`), page.click('#profile-return-link')]);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test('admin: search, deactivate a patient, change a role, require a new password; the patient is refused', async () => {
  const { context, page, problems } = await openPage(DESKTOP);
  try {
    await logIn(page, server.url, 'admin@clinic.example', 'admin-demo-pass');
    await Promise.all([page.waitForURL(`${server.url}/users.html`), page.click('#admin-users-link')]);
    await page.waitForSelector('body[data-ready="true"]');
    const total = Number(sql(server.db, 'SELECT count(*) FROM users;'));
    assert.match(await page.textContent('#users-range'), new RegExp(`${total} 件中`));
    // One's own card offers no actions.
    const adminId = sql(server.db, "SELECT id FROM users WHERE email = 'admin@clinic.example';");
    assert.equal(await page.$$eval(`[data-user-id="${adminId}"] button`, (els) => els.length), 0);

    page.on('dialog', (dialog) => dialog.accept());
    const loads = async () => Number(await page.evaluate(() => document.body.dataset.loads ?? 0));
    const reload = async (before) => page.waitForFunction((n) => Number(document.body.dataset.loads ?? 0) > n, before);

    await page.fill('#users-q', 'hanako');
    let n = await loads();
    await page.click('#users-search button[type="submit"]');
    await reload(n);
    assert.equal(await page.$$eval('#users-list > li', (els) => els.length), 1);
    assert.match(page.url(), /\?q=hanako$/);
    const hanakoId = sql(server.db, "SELECT id FROM users WHERE email = 'hanako@patient.example';");
    n = await loads();
    await page.click(`[data-user-id="${hanakoId}"] button[data-action="deactivate"]`);
    await reload(n);
    assert.match(await page.textContent('#users-done'), /利用停止にしました/);
    assert.match(await page.textContent(`[data-user-id="${hanakoId}"]`), /利用停止中/);

    await page.fill('#users-q', '');
    await page.selectOption('#users-role', 'doctor');
    n = await loads();
    await page.click('#users-search button[type="submit"]');
    await reload(n);
    const doctorId = sql(server.db, "SELECT id FROM users WHERE email = 'doctor@clinic.example';");
    await page.selectOption(`#role-${doctorId}`, 'pharmacist');
    n = await loads();
    await page.click(`[data-user-id="${doctorId}"] button[data-action="role"]`);
    await reload(n);
    assert.equal(sql(server.db, `SELECT role FROM users WHERE id = ${doctorId};`), 'pharmacist');

    await page.selectOption('#users-role', '');
    n = await loads();
    await page.click('#users-search button[type="submit"]');
    await reload(n);
    const pharmacistId = sql(server.db, "SELECT id FROM users WHERE email = 'pharmacist@clinic.example';");
    n = await loads();
    await page.click(`[data-user-id="${pharmacistId}"] button[data-action="force-password-reset"]`);
    await reload(n);
    assert.match(await page.textContent(`[data-user-id="${pharmacistId}"]`), /パスワード再設定待ち/);
    await screenshot(page, 'users-desktop.png');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }

  const phone = await openPage(PHONE);
  try {
    await logIn(phone.page, server.url, 'admin@clinic.example', 'admin-demo-pass');
    await openReady(phone.page, server.url, '/users.html');
    await assertNoSidewaysScroll(phone.page, 'users on a phone');
    await screenshot(phone.page, 'users-phone.png');

    // The deactivated patient and the pharmacist who must reset are told why at log-in.
    for (const [email, password, reason] of [['hanako@patient.example', 'patient-demo-pass', /利用停止中/], ['pharmacist@clinic.example', 'pharmacist-demo-pass', /パスワードを忘れた方/]]) {
      await phone.context.clearCookies();
      await phone.page.goto(`${server.url}/login.html`);
      await phone.page.waitForFunction(() => document.documentElement.lang === 'ja');
      await phone.page.fill('#login-email', email);
      await phone.page.fill('#login-password', password);
      await phone.page.click('#login-form button[type="submit"]');
      await phone.page.waitForSelector('#login-form [data-form-error]:not([hidden])');
      assert.match(await phone.page.textContent('#login-form [data-form-error]'), reason);
    }
    await screenshot(phone.page, 'login-reset-required.png');
    assert.deepEqual(phone.problems, []);
  } finally {
    await phone.context.close();
  }
});

test('admin: more users than a page go through the shared pager; the offset stays in the address', async () => {
  // 24 accounts one search finds: more than a page of 20.
  sql(server.db, `INSERT INTO users (email, name, role, password_hash, created_at)
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24)
    SELECT 'page' || i || '@patient.example', '頁送り ' || CASE WHEN i < 10 THEN '0' ELSE '' END || i, 'patient', '-',
           (SELECT created_at FROM users WHERE email = 'admin@clinic.example') FROM n;`);
  const { context, page, problems } = await openPage(DESKTOP);
  try {
    await logIn(page, server.url, 'admin@clinic.example', 'admin-demo-pass');
    await openReady(page, server.url, `/users.html?q=${encodeURIComponent('頁送り')}`);
    const status = '#users-pager-nav .pager__status';
    assert.equal(await page.textContent(status), '24 件中 1〜20 件目');
    assert.equal(await page.textContent('#users-range'), '24 件中 1〜20 件');
    assert.equal(await page.$$eval('#users-list > li', (els) => els.length), 20);
    assert.equal(await page.isDisabled('#users-pager-nav [data-page="prev"]'), true);

    await page.click('#users-pager-nav [data-page="next"]');
    await page.waitForFunction((s) => document.querySelector(s)?.textContent === '24 件中 21〜24 件目', status);
    assert.equal(await page.$$eval('#users-list > li', (els) => els.length), 4);
    assert.equal(new URL(page.url()).search, `?q=${encodeURIComponent('頁送り')}&offset=20`);
    assert.equal(await page.isDisabled('#users-pager-nav [data-page="next"]'), true);

    // Reloading shows the same page and search; an offset past the end shows the last page.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.textContent(status), '24 件中 21〜24 件目');
    assert.equal(await page.inputValue('#users-q'), '頁送り');
    await openReady(page, server.url, `/users.html?q=${encodeURIComponent('頁送り')}&offset=200`);
    assert.equal(await page.textContent(status), '24 件中 21〜24 件目');
    assert.match(page.url(), /&offset=20$/);
    await page.click('#users-pager-nav [data-page="prev"]');
    await page.waitForFunction((s) => document.querySelector(s)?.textContent === '24 件中 1〜20 件目', status);
    assert.equal(new URL(page.url()).search, `?q=${encodeURIComponent('頁送り')}`);
    await assertNoSidewaysScroll(page, 'users with a pager');
    await screenshot(page, 'users-paging-desktop.png');

    // One page: no pager. English: the shared pager's words.
    await openReady(page, server.url, '/users.html?q=hanako');
    assert.equal(await page.isHidden('#users-pager'), true);
    await openReady(page, server.url, `/users.html?q=${encodeURIComponent('頁送り')}`);
    await page.click('[data-lang-toggle]');
    await page.waitForFunction((s) => document.querySelector(s)?.textContent === '1–20 of 24', status);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
