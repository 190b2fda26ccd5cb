// Hostile clients (issue 16): bodies refused before they are read, slow header senders,
// query strings libmicrohttpd cannot store. Each test failed on the code before the fix.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql, startServer } from '../lib/server.mjs';
import { Client, demoStaff, signupBody, stopServer } from './client.mjs';

let server;
let staff;
let patient;
before(async () => {
  server = await startServer({ demo: true });
  staff = await demoStaff(server.url);
  patient = new Client(server.url);
  assert.equal((await patient.signup(signupBody({ email: 'hostile@patient.example' }))).status, 201);
});
after(async () => { await stopServer(server); });

/** The server's resident memory in MiB (VmRSS). */
function rssMiB() {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}

/**
 * Opens a connection (from localAddress when given), writes head (and then body, ignoring a
 * refusal to take it), and resolves with {status, ms, text} once a whole status line is in,
 * or {status: 0, closed} when the server closes first or waitMs passes.
 */
function raw(head, { localAddress, waitMs = 3000, body } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const sock = connect({ host: '127.0.0.1', port: server.port, localAddress });
    let text = '';
    let done = false;
    const finish = (r) => { if (!done) { done = true; clearTimeout(timer); sock.destroy(); resolve({ ms: Date.now() - started, text, ...r }); } };
    const timer = setTimeout(() => finish({ status: 0, closed: false }), waitMs);
    sock.on('connect', () => {
      sock.write(head);
      if (body) sock.write(body, () => {});
    });
    sock.on('data', (d) => {
      text += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m && text.includes('\r\n\r\n')) finish({ status: Number(m[1]) });
    });
    sock.on('error', () => {});
    sock.on('close', () => finish({ status: 0, closed: true }));
  });
}

function cookieHeader(c) { return [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }

const MiB = 1024 * 1024;

describe('a body is refused before it is read', () => {
  test('session, role, CSRF token and Content-Length are checked on the headers alone', async () => {
    const upload = (path, headers) => raw(`POST ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`, { waitMs: 2000 });
    const photo = '/api/v1/adverse-events/1/photo';
    const len = `Content-Length: ${5 * MiB}\r\nContent-Type: image/jpeg\r\n`;
    const signedIn = `Cookie: ${cookieHeader(patient)}\r\n`;
    const cases = [
      [await upload(photo, len), 401, 'no session'],
      [await upload(photo, len + signedIn), 403, 'no CSRF token'],
      [await upload('/api/v1/lots/1/certificates', len + signedIn + `X-CSRF-Token: ${patient.csrf}\r\n`), 403, 'wrong role'],
      [await upload(photo, `Content-Length: ${6 * MiB}\r\nContent-Type: image/jpeg\r\n` + signedIn + `X-CSRF-Token: ${patient.csrf}\r\n`), 413, 'over the upload limit'],
      [await upload('/api/v1/auth/login', `Content-Length: ${2 * MiB}\r\nContent-Type: application/json\r\n` + signedIn + `X-CSRF-Token: ${patient.csrf}\r\n`), 413, 'over the body limit'],
      [await upload('/api/v1/auth/login', `Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n` + signedIn + `X-CSRF-Token: ${patient.csrf}\r\n`), 411, 'no length'],
      [await upload('/api/v1/loggers/1/readings', `Content-Length: ${MiB}\r\nContent-Type: application/json\r\nX-Logger-Key: wrong\r\n`), 401, 'a device with a wrong key'],
    ];
    for (const [r, status, what] of cases) {
      assert.equal(r.status, status, `${what}: answered ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(r.ms < 1500, `${what}: answered in ${r.ms} ms, before any body byte`);
      assert.match(r.text, /"error":\{"code":/, `${what}: the JSON error envelope`);
    }
  });

  test('40 unauthenticated 5 MiB uploads at once: each answered at once, memory stays low', async () => {
    const before = rssMiB();
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, rssMiB()); }, 10);
    const body = Buffer.alloc(5 * MiB, 0x41);
    const head = `POST /api/v1/adverse-events/1/photo HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nContent-Type: image/jpeg\r\n\r\n`;
    const results = await Promise.all(Array.from({ length: 40 }, () => raw(head, { body, waitMs: 5000 })));
    clearInterval(sampler);
    peak = Math.max(peak, rssMiB());
    // Each is answered 401 at once; the rest of its body is read and dropped for a moment
    // (lingering close), so the client reads the answer rather than a reset.
    assert.deepEqual(results.map((r) => r.status), Array(40).fill(401));
    assert.ok(results.every((r) => r.ms < 3000), `all done in ${Math.max(...results.map((r) => r.ms))} ms`);
    assert.ok(peak - before < 40, `RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB (the bodies were 200 MiB)`);
    assert.equal((await fetch(`${server.url}/api/v1/health`)).status, 200);
  });

  test('an allowed upload still arrives whole', async () => {
    // The demo's logger import by a pharmacist: the body is read after the checks.
    const csv = 'timestamp,temperature\n';
    const r = await staff.pharmacist.request('POST', '/api/v1/loggers/1/import', { body: csv, type: 'text/csv' });
    assert.notEqual(r.status, 401, r.text);
    assert.notEqual(r.status, 403, r.text);
    assert.notEqual(r.status, 413, r.text);
  });
});

describe('slow clients', () => {
  test('300 slow header senders from one address do not block health checks from another', async () => {
    const slow = [];
    for (let i = 0; i < 300; i++) {
      const s = connect({ host: '127.0.0.1', port: server.port });
      s.on('error', () => {});
      s.on('connect', () => s.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n'));
      slow.push(s);
    }
    const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 2000);
    try {
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 4; i++) {
        const r = await raw('GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { localAddress: '127.0.0.2', waitMs: 3000 });
        assert.equal(r.status, 200, `health check ${i + 1} from 127.0.0.2: ${r.status} after ${r.ms} ms`);
        assert.ok(r.ms < 1000, `health check ${i + 1} took ${r.ms} ms`);
        await new Promise((res) => setTimeout(res, 1000));
      }
      const open = slow.filter((s) => !s.destroyed && s.readyState === 'open').length;
      assert.ok(open <= 300, `${open} slow connections open`);
    } finally {
      clearInterval(drip);
      for (const s of slow) s.destroy();
    }
  });

  test('a client silent in the middle of its headers is dropped after the short header timeout', async () => {
    const r = await raw('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n', { waitMs: 12000 });
    assert.equal(r.closed, true, 'closed by the server');
    assert.ok(r.ms < 9000, `closed after ${r.ms} ms (header timeout 5 s, not the 30 s connection timeout)`);
  });
});

describe('request lines libmicrohttpd cannot keep', () => {
  test('a query string with too many arguments is answered 414 at once', async () => {
    const r = await raw(`GET /api/v1/health?${'a=1&'.repeat(10000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(r.status, 414, r.text.slice(0, 200));
    assert.ok(r.ms < 1000, `answered in ${r.ms} ms`);
    assert.match(r.text, /"code":"uri_too_long"/);
    const normal = await raw('GET /api/v1/health?a=1&b=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(normal.status, 200);
  });

  test('a query string longer than the connection memory is answered 414 at once', async () => {
    const r = await raw(`GET /api/v1/health?q=${'a'.repeat(300000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(r.status, 414);
    assert.ok(r.ms < 1000, `answered in ${r.ms} ms`);
  });

  // libmicrohttpd 0.9.75 takes a line that starts with NUL for a blank line and waits for the
  // real one; exosafe looks at the first bytes when the connection starts.
  test('a request line starting with NUL bytes is answered 400 at once', async () => {
    for (const line of ['\0\0\0\0GET /api/v1/health HTTP/1.0\r\n\r\n', '\0\r\n\r\n', '\0'.repeat(100)]) {
      const r = await raw(line, { waitMs: 12000 });
      assert.equal(r.status, 400, `${JSON.stringify(line.slice(0, 8))}: ${r.status} after ${r.ms} ms`);
      assert.ok(r.ms < 1000, `answered in ${r.ms} ms`);
    }
    const normal = await raw('GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(normal.status, 200);
  });
});

describe('expired rows are purged while the server runs', () => {
  test('an idle session and an old log-in failure disappear without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exosafe-purge-'));
    const ini = join(dir, 'purge.ini');
    writeFileSync(ini, '[security]\nsession_idle_seconds = 2\nlogin_window_seconds = 2\npurge_interval_seconds = 1\n');
    const short = await startServer({ args: ['--config', ini] });
    try {
      const c = new Client(short.url);
      assert.equal((await c.signup(signupBody({ email: 'purge@patient.example' }))).status, 201);
      const wrong = new Client(short.url);
      await wrong.primeCsrf();
      assert.equal((await wrong.post('/api/v1/auth/login', { email: 'purge@patient.example', password: 'wrong password 123' })).status, 401);
      const rows = () => Number(sql(short.db, 'SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM login_failures);'));
      assert.equal(rows(), 3, 'a session and two failure rows (account and address)');
      const deadline = Date.now() + 8000;
      while (rows() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      assert.equal(rows(), 0, 'purged by the running server');
    } finally {
      await stopServer(short);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
