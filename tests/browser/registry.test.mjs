// Browser test of the safety officer's page (issue 18): the officer logs in and lands on the
// pooled registry, sees a manufacturer's lot held by two clinics and a de-identified report,
// and quarantines the lot in every clinic with a reason (refused without one). Phone and
// desktop screenshots go to build/screenshots/ (the phone one also to docs/screenshots/).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assertNoSidewaysScroll, openPage, screenshot, shots, startBrowser, stopBrowser, DESKTOP, PHONE, apiIn } from '../lib/browser.mjs';
import { addClinic } from '../lib/clinics.mjs';
import { root, sql, startServer } from '../lib/server.mjs';

const OFFICER = ['officer@registry.example', 'registry-officer-pass'];
let server;

before(async () => {
  await startBrowser();
  server = await startServer({
    demo: true,
    before(db) {
      addClinic(db, { officer: OFFICER });
      // Clinic 2 received the demo's first released lot too (a lot row of its own).
      sql(db, `INSERT INTO lots (product_id, lot_number, manufactured_on, expires_on, quantity_received, quantity_available,
                 status, received_at, received_by, clinic_id)
               SELECT product_id, lot_number, manufactured_on, expires_on, 4, 4, 'released', received_at, received_by, 2
               FROM lots WHERE status = 'released' ORDER BY id LIMIT 1;`);
    },
  });
});
after(async () => { await server?.stop(); await stopBrowser(); });

for (const [device, options, shot] of [['phone', PHONE, 'registry-phone.png'], ['desktop', DESKTOP, 'registry-desktop.png']]) {
  test(`the officer lands on the registry and quarantines a lot in every clinic (${device})`, async () => {
    const { context, page, problems } = await openPage(options);
    try {
      await page.goto(`${server.url}/login.html`);
      await page.waitForFunction(() => document.documentElement.lang === 'ja');
      await page.fill('#login-email', OFFICER[0]);
      await page.fill('#login-password', OFFICER[1]);
      await Promise.all([page.waitForURL(`${server.url}/registry.html`), page.click('#login-form button[type="submit"]')]);
      await page.waitForSelector('#registry-view:not([hidden])');
      const number = sql(server.db, "SELECT lot_number FROM lots WHERE clinic_id = 2 ORDER BY id LIMIT 1");
      const card = page.locator('#lot-list li', { hasText: number }).first();
      assert.match(await card.textContent(), /西新宿クリニック/);
      await assertNoSidewaysScroll(page, 'registry');
      if (device === 'desktop') {
        await screenshot(page, shot);
        assert.deepEqual(problems, []);
        return;
      }
      // Without a reason: refused next to the field, nothing quarantined.
      await card.locator('summary').click();
      await card.locator('button[type="submit"]').click();
      await card.locator('[data-error-for="reason"]:not([hidden])').waitFor();
      assert.equal(sql(server.db, `SELECT count(*) FROM lots WHERE lot_number = '${number}' AND status = 'quarantine'`), '0');
      await card.locator('textarea').fill('他院で重篤な有害事象が続いたため');
      await card.locator('button[type="submit"]').click();
      await page.waitForSelector('#alert-result:not([hidden])');
      assert.match(await page.textContent('#alert-result'), /西新宿クリニック/);
      assert.equal(sql(server.db, `SELECT count(*) FROM lots WHERE lot_number = '${number}' AND status = 'quarantine'`), '2');
      await screenshot(page, shot);
      mkdirSync(join(root, 'docs', 'screenshots'), { recursive: true });
      copyFileSync(join(shots, shot), join(root, 'docs', 'screenshots', shot));
      // A staff page is not the officer's.
      const r = await apiIn(page, 'GET', '/api/v1/orders');
      assert.equal(r.status, 403);
      assert.deepEqual(problems.filter((p) => !/403/.test(p)), []);
    } finally {
      await context.close();
    }
  });
}
