// Browser test of the shared chrome (web/js/lib/chrome.js): every page asks for it with
// <body data-chrome>, and gets one skip link, one header (brand, language toggle, log-out on
// signed-in pages), its section's sub-navigation with the current page marked, and one footer;
// Japanese first, English after the toggle. Before the page's module runs, <main> already sits
// where it will stay (app.css keeps the header's place), so the first paint does not jump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESKTOP, PHONE, logIn, openPage, useBrowser } from '../lib/browser.mjs';
import { root } from '../lib/server.mjs';

const server = useBrowser({ demo: true });
const web = join(root, 'web');
const pages = readdirSync(web).filter((f) => f.endsWith('.html')).sort();

/** The <body> attributes of a page as shipped. */
function bodyOf(name) {
  const tag = /<body([^>]*)>/.exec(readFileSync(join(web, name), 'utf8'))[1];
  return Object.fromEntries([...tag.matchAll(/data-([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

test('every page as shipped asks for the chrome and carries no copy of it', () => {
  for (const name of pages) {
    const html = readFileSync(join(web, name), 'utf8');
    assert.match(bodyOf(name).chrome ?? '', /^(public|signed-in)$/, `${name}: <body data-chrome>`);
    assert.doesNotMatch(html, /class="(site-header|subnav|site-footer|skip-link)"/, `${name} has no copied chrome`);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)/, `${name}: no inline script (CSP script-src 'self')`);
  }
});

test('the chrome on every page: header, sub-navigation with the current page, footer, both languages', async () => {
  const { context, page, problems } = await openPage(DESKTOP);
  try {
    await logIn(page, server.url, 'admin@clinic.example', 'admin-demo-pass');
    for (const name of pages) {
      const want = bodyOf(name);
      // An admin on a patient's or doctor's page is refused, and public pages need no session:
      // either way the chrome is drawn first. ?id=1 for the detail pages.
      await page.goto(`${server.url}/${name}?id=1`);
      await page.waitForSelector('body[data-chrome-drawn="true"]');
      await page.waitForFunction(() => document.documentElement.lang === 'ja');
      const got = await page.evaluate(() => ({
        first: document.body.querySelector(':scope > :not(#demo-banner)')?.className,
        last: document.body.lastElementChild?.className,
        headers: document.querySelectorAll('.site-header').length,
        footers: document.querySelectorAll('.site-footer').length,
        brand: document.querySelector('.brand')?.getAttribute('href'),
        logout: document.querySelectorAll('#logout-button').length,
        toggle: document.querySelector('[data-lang-toggle]')?.textContent,
        links: [...document.querySelectorAll('.subnav a')].map((a) => a.getAttribute('href')),
        current: [...document.querySelectorAll('.subnav a[aria-current="page"]')].map((a) => a.getAttribute('href')),
        footer: document.querySelector('.site-footer > p:last-child')?.textContent,
      }));
      if (new URL(page.url()).pathname !== `/${name}`) continue; // the home page sends an admin on when set-up is due
      assert.equal(got.first, 'skip-link', `${name}: the skip link comes first`);
      assert.equal(got.last, 'site-footer', `${name}: the footer comes last`);
      assert.equal(got.headers, 1, name);
      assert.equal(got.footers, 1, name);
      assert.equal(got.brand, want.brand ?? (want.chrome === 'signed-in' ? '/home.html' : '/'), name);
      assert.equal(got.logout, want.chrome === 'signed-in' ? 1 : 0, `${name}: log-out button`);
      assert.equal(got.toggle, 'English', name);
      assert.match(got.footer, /医師にご相談ください/, name);
      assert.equal(got.links.length > 0, Boolean(want.subnav), `${name}: sub-navigation ${want.subnav ?? 'none'}`);
      assert.deepEqual(got.current, want.current ? [want.current] : [], `${name}: the current page is marked`);
      if (want.current) assert.ok(got.links.includes(want.current), name);
    }
    // English: the chrome's text follows the toggle.
    await page.goto(`${server.url}/lots.html`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.click('[data-lang-toggle]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal((await page.textContent('[data-lang-toggle]')).trim(), '日本語');
    assert.doesNotMatch(await page.textContent('.subnav'), /[ぁ-んァ-ン一-龯]/, 'the sub-navigation is in English');
    assert.doesNotMatch(await page.textContent('.site-footer > p:last-child'), /[ぁ-んァ-ン一-龯]/, 'the footer is in English');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('before the page module runs, <main> already sits where it stays', async () => {
  for (const options of [PHONE, DESKTOP]) {
    for (const name of ['login.html', 'products.html', 'public-lot.html?id=1']) {
      const held = await openPage(options);
      const run = await openPage(options);
      try {
        await held.page.route('**/js/pages/*.js', () => { /* never answered: the module does not run */ });
        await held.page.goto(`${server.url}/${name}`, { waitUntil: 'commit' });
        await held.page.waitForSelector('main');
        const before = await held.page.evaluate(() => document.querySelector('main').getBoundingClientRect().top);
        await run.page.goto(`${server.url}/${name}`);
        await run.page.waitForSelector('body[data-ready="true"]');
        const after = await run.page.evaluate(() => {
          document.getElementById('demo-banner')?.remove(); // drawn later, from the clinic's details
          return document.querySelector('main').getBoundingClientRect().top;
        });
        assert.equal(before, after, `${name} at ${options.viewport.width}px`);
      } finally {
        await held.context.close();
        await run.context.close();
      }
    }
  }
});
