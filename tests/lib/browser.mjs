// Browser-test helpers shared by tests/browser/*: Debian's chromium driven by playwright-core,
// pages watched for script errors, CSP violations and missing static files, screenshots.
// Each test file runs in its own process, so the browser here is that file's own.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { root, startServer } from './server.mjs';

export const shots = join(root, 'build', 'screenshots');
export const TIMEOUT = 15000;
const JST_MS = 9 * 3600 * 1000;

let browser;

/** Browser contexts the tests open: Japanese in Japan's time zone, on a phone or a desktop. */
export const JAPAN = { locale: 'ja-JP', timezoneId: 'Asia/Tokyo' };
export const PHONE = { ...JAPAN, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const DESKTOP = { ...JAPAN, viewport: { width: 1280, height: 900 } };
/** A staff desktop in another time zone: the UI must still show Asia/Tokyo dates and times. */
export const DESKTOP_ABROAD = { locale: 'ja-JP', timezoneId: 'America/New_York', viewport: { width: 1280, height: 900 } };

/** Launches headless chromium with the flags this machine needs (no sandbox as root, no network). */
export async function startBrowser() {
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function stopBrowser() {
  await browser?.close();
}

/**
 * Registers the test file's before/after hooks: the browser, and with serverOptions (see
 * startServer) one server its tests share, started after the browser and stopped first. Returns
 * that server's handle (url, db, stop(), ...), filled in once the before hook has run; null
 * without serverOptions. Call it at the top level of the test file.
 */
export function useBrowser(serverOptions) {
  const server = serverOptions ? {} : null;
  before(async () => {
    await startBrowser();
    if (server) Object.assign(server, await startServer(serverOptions));
  });
  after(async () => {
    if (server?.stop) await server.stop();
    await stopBrowser();
  });
  return server;
}

/** A fresh browser context (its own cookies). */
export function newContext(options) {
  return browser.newContext(options);
}

/** Opens a page in a fresh context and records script errors, CSP violations and missing files. */
export async function openPage(options) {
  const context = await newContext(options);
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith('/api/') && response.status() >= 400) {
      problems.push(`static ${url.pathname}: HTTP ${response.status()}`);
    }
  });
  return { context, page, problems };
}

export async function screenshot(page, name) {
  const path = join(shots, name);
  await page.screenshot({ path, fullPage: true });
  assert.ok(statSync(path).size > 1000, `${name} was written`);
}

export async function assertNoSidewaysScroll(page, what) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${what}: page is ${scroll}px wide in a ${width}px viewport`);
}

/** Opens path and waits until its script has loaded what it shows (body[data-ready]). */
export async function openReady(page, url, path) {
  await page.goto(`${url}${path}`);
  await page.waitForSelector('body[data-ready="true"]');
}

/** JST calendar day n days from today (YYYY-MM-DD). */
export function jstDay(n = 0) {
  return new Date(Date.now() + JST_MS + n * 86400000).toISOString().slice(0, 10);
}

export async function logIn(page, url, email, password) {
  await page.goto(`${url}/login.html`);
  await page.waitForFunction(() => document.documentElement.lang === 'ja');
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await Promise.all([page.waitForURL(`${url}/home.html`), page.click('#login-form button[type="submit"]')]);
  await page.waitForSelector('#home-greeting:not(:empty)');
}

/**
 * Calls the API from inside page (its cookies, the CSRF token from the exosafe_csrf cookie);
 * body an object sent as JSON, or {raw, type} sent as is. Returns {status, json}.
 */
export function apiIn(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const cookie = () => document.cookie.split('; ').find((c) => c.startsWith('exosafe_csrf='))?.slice(13);
    if (method !== 'GET' && !cookie()) await fetch('/api/v1/auth/csrf');
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = decodeURIComponent(cookie() ?? '');
    let payload;
    if (body && body.raw !== undefined) {
      headers['Content-Type'] = body.type;
      payload = body.raw;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const r = await fetch(path, { method, headers, body: payload });
    return { status: r.status, json: await r.json().catch(() => null) };
  }, { method, path, body });
}

/** Words medical advertising rules forbid in the UI: claims of safety, certainty or superiority. */
export const BANNED_CLAIMS = /安全|必ず|絶対|最高|最先端|No\.\s?1|副作用なし|guarantee|\bsafe(ly|ty)?\b|risk-free/i;

/**
 * Asserts that the text of web/<page>.html for each of pages (tags dropped) makes no claim
 * (BANNED_CLAIMS). The product's name and 医薬品安全性情報報告書 (the name of the PMDA form,
 * not a claim of safety) are left out.
 */
export function assertNoClaims(pages) {
  for (const page of pages) {
    const text = readFileSync(join(root, 'web', `${page}.html`), 'utf8').replace(/<[^>]*>/g, ' ')
      .replaceAll('exosafe', '').replaceAll('医薬品安全性情報報告書', '');
    assert.doesNotMatch(text, BANNED_CLAIMS, `${page}.html`);
  }
}
