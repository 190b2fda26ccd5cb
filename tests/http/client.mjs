// A small cookie-keeping HTTP client for the exosafe API tests, plus helpers shared by the
// HTTP suites: a raw-socket request (for paths fetch would normalise), row counting and
// the assertions every error response must satisfy.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { sql } from '../lib/server.mjs';

/** Matches any hiragana, katakana or CJK ideograph: a Japanese message contains one. */
export const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;

/** One parsed Set-Cookie header: {name, value, attrs: {lowercased name: value|true}}. */
export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const cookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs: {} };
  for (const a of rest) {
    const i = a.indexOf('=');
    const key = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    if (key) cookie.attrs[key] = i < 0 ? true : a.slice(i + 1).trim();
  }
  return cookie;
}

/** True when a Set-Cookie removes the cookie (empty value, Max-Age<=0 or an Expires in the past). */
export function clearsCookie(c) {
  if (c.attrs['max-age'] !== undefined && Number(c.attrs['max-age']) <= 0) return true;
  if (c.attrs.expires && Date.parse(c.attrs.expires) < Date.now()) return true;
  return c.value === '' || c.value === '""';
}

/**
 * A browser-like client: keeps cookies, sends the CSRF token from the `exosafe_csrf` cookie
 * on state-changing requests (unless told otherwise), and an Accept-Language when given.
 */
export class Client {
  constructor(base, { lang } = {}) {
    this.base = base;
    this.lang = lang;
    this.cookies = new Map();
    this.lastSetCookies = [];
  }

  get csrf() { return this.cookies.get('exosafe_csrf'); }
  get session() { return this.cookies.get('exosafe_session'); }

  /**
   * Sends a request. opts: json (object, serialised), body (raw string/Buffer), type
   * (Content-Type; default application/json when a body is given), csrf (true: from cookie,
   * false: none, string: that value), lang (overrides the client's), headers (extra).
   * Returns {status, headers, text, json, cookies (parsed Set-Cookie list)}.
   */
  async request(method, path, opts = {}) {
    const headers = { ...(opts.headers ?? {}) };
    let body = opts.body;
    if (opts.json !== undefined) body = JSON.stringify(opts.json);
    if (body !== undefined && opts.type !== null) headers['Content-Type'] = opts.type ?? 'application/json';
    const lang = opts.lang !== undefined ? opts.lang : this.lang;
    if (lang) headers['Accept-Language'] = lang;
    const csrf = opts.csrf ?? true;
    if (method !== 'GET' && method !== 'HEAD') {
      if (csrf === true && this.csrf) headers['X-CSRF-Token'] = this.csrf;
      else if (typeof csrf === 'string') headers['X-CSRF-Token'] = csrf;
    }
    if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    const cookies = res.headers.getSetCookie().map(parseSetCookie);
    for (const c of cookies) {
      if (clearsCookie(c)) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    this.lastSetCookies = cookies;
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json, cookies };
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, json, opts = {}) { return this.request('POST', path, { json, ...opts }); }
  put(path, json, opts = {}) { return this.request('PUT', path, { json, ...opts }); }

  /** Fetches a CSRF cookie for an anonymous client; returns the token. */
  async primeCsrf() {
    const r = await this.get('/api/v1/auth/csrf');
    assert.equal(r.status, 200, r.text);
    return r.json.csrf_token;
  }

  /** Logs in (priming CSRF first); asserts 200 and returns the response. */
  async login(email, password) {
    if (!this.csrf) await this.primeCsrf();
    const r = await this.post('/api/v1/auth/login', { email, password });
    assert.equal(r.status, 200, `login ${email}: ${r.text}`);
    return r;
  }

  /** Signs up a patient (priming CSRF first); returns the response, whatever its status. */
  async signup(body) {
    if (!this.csrf) await this.primeCsrf();
    return this.post('/api/v1/auth/signup', body);
  }
}

/** The demo database's staff, each a Client logged in (see `exosafe demo`). */
export const DEMO_STAFF = {
  admin: ['admin@clinic.example', 'admin-demo-pass'],
  doctor: ['doctor@clinic.example', 'doctor-demo-pass'],
  pharmacist: ['pharmacist@clinic.example', 'pharmacist-demo-pass'],
};

export async function demoStaff(url) {
  const staff = {};
  for (const [role, [email, password]] of Object.entries(DEMO_STAFF)) {
    staff[role] = new Client(url);
    await staff[role].login(email, password);
  }
  return staff;
}

/** The demo product and its first lot: { productId, lotId }. */
export async function demoProductLot(staff) {
  const productId = (await staff.doctor.get('/api/v1/products')).json.products[0].id;
  const lotId = (await staff.pharmacist.get(`/api/v1/lots?product_id=${productId}`)).json.lots[0].id;
  return { productId, lotId };
}

/** A valid sign-up body; overrides replace fields (undefined removes one). */
export function signupBody(overrides = {}) {
  const body = {
    email: 'hanako.test@patient.example',
    password: 'correct horse battery',
    name: '山田 花子',
    name_kana: 'ヤマダ ハナコ',
    birth_date: '1985-04-01',
    sex: 'female',
    phone: '090-1234-5678',
    postal_code: '150-0001',
    address: '東京都渋谷区神宮前1-1-1',
    ...overrides,
  };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body;
}

/** Asserts the documented error envelope, status and code (and field, when given). */
export function assertError(r, status, code, field) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/i, 'error is JSON');
  assert.ok(r.json && typeof r.json.error === 'object', `error envelope: ${r.text}`);
  assert.equal(r.json.error.code, code, `code: ${r.text}`);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0, 'message is not empty');
  if (field !== undefined) assert.equal(r.json.error.field, field, `field: ${r.text}`);
}

/** Row counts of the tables a rejected request must leave alone. */
export function counts(db, tables = ['users', 'patient_profiles', 'sessions', 'audit_log']) {
  const out = {};
  for (const t of tables) out[t] = Number(sql(db, `SELECT count(*) FROM ${t};`));
  return out;
}

/**
 * Sends raw bytes over a socket and reads the answer until the server closes it.
 * Used for request targets fetch would normalise ("/../x"). Returns {status, headers, body};
 * rejects when no answer has come within timeoutMs.
 */
export function rawRequest(port, requestText, timeoutMs = 10000) {
  return new Promise((ok, fail) => {
    const sock = connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => { sock.destroy(); fail(new Error('raw request timed out')); }, timeoutMs);
    sock.on('connect', () => sock.write(requestText));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => { clearTimeout(timer); fail(e); });
    sock.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('latin1');
      const split = all.indexOf('\r\n\r\n');
      const head = split < 0 ? all : all.slice(0, split);
      const lines = head.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      ok({ status: m ? Number(m[1]) : 0, headers, body: split < 0 ? '' : all.slice(split + 4), raw: all });
    });
  });
}

/** Matches the reports of AddressSanitizer, LeakSanitizer and UBSan. */
export const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;

/**
 * Stops a server started by startServer and asserts it shut down cleanly: exit status 0 on
 * SIGTERM and no sanitizer report on its standard error (the ASan build runs these suites).
 */
export async function stopServer(server) {
  if (!server) return;
  const code = await server.stop();
  const stderr = server.stderr();
  assert.doesNotMatch(stderr, SANITIZER, `sanitizer report from the server:\n${stderr}`);
  assert.equal(code, 0, `server exit status on SIGTERM (stderr:\n${stderr.slice(-2000)})`);
}
