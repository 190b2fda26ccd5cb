// Security headers on every kind of response, static-file path traversal, unknown paths and
// wrong methods.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { Client, assertError, rawRequest, stopServer } from './client.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await stopServer(server); });

/** Parses a CSP header into {directive: [sources]}. */
function parseCsp(value) {
  const out = {};
  for (const part of value.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out[name.toLowerCase()] = sources;
  }
  return out;
}

function assertSecurityHeaders(get, what) {
  const csp = get('content-security-policy');
  assert.ok(csp, `${what}: Content-Security-Policy present`);
  const d = parseCsp(csp);
  assert.deepEqual(d['frame-ancestors'], ["'none'"], `${what}: frame-ancestors 'none' (${csp})`);
  const scripts = d['script-src'] ?? d['default-src'];
  assert.ok(scripts, `${what}: script-src or default-src present (${csp})`);
  assert.ok(!scripts.includes("'unsafe-inline'"), `${what}: no 'unsafe-inline' for scripts (${csp})`);
  assert.ok(!scripts.includes("'unsafe-eval'"), `${what}: no 'unsafe-eval' for scripts (${csp})`);
  assert.ok(!scripts.includes('*'), `${what}: scripts not from anywhere (${csp})`);
  assert.equal((get('x-content-type-options') ?? '').toLowerCase(), 'nosniff', `${what}: nosniff`);
  assert.ok(get('referrer-policy'), `${what}: Referrer-Policy present`);
  assert.ok(!/unsafe-url/i.test(get('referrer-policy')), `${what}: Referrer-Policy is not unsafe-url`);
  assert.equal((get('x-frame-options') ?? '').toUpperCase(), 'DENY', `${what}: X-Frame-Options DENY`);
}

describe('security headers', () => {
  const requests = [
    ['GET /api/v1/health (JSON)', (c) => c.get('/api/v1/health'), 200],
    ['GET /api/v1/auth/csrf', (c) => c.get('/api/v1/auth/csrf'), 200],
    ['GET / (static page)', (c) => c.get('/'), 200],
    ['GET /no-such-page.html (static 404)', (c) => c.get('/no-such-page.html'), 404],
    ['GET /api/v1/nope (API 404)', (c) => c.get('/api/v1/nope'), 404],
    ['GET /api/v1/me (401)', (c) => c.get('/api/v1/me'), 401],
    ['POST /api/v1/auth/login without CSRF (403)', (c) => c.post('/api/v1/auth/login', {}, { csrf: false }), 403],
    ['GET /api/v1/auth/login (405)', (c) => c.get('/api/v1/auth/login'), 405],
  ];
  for (const [what, run, status] of requests) {
    test(`${what} carries the security headers`, async () => {
      const r = await run(new Client(server.url));
      assert.equal(r.status, status, r.text.slice(0, 200));
      assertSecurityHeaders((h) => r.headers.get(h), what);
    });
  }

  test('GET /api/v1/health answers status ok and the schema version', async () => {
    const r = await new Client(server.url).get('/api/v1/health');
    assert.equal(r.json.status, 'ok');
    assert.ok(Number.isInteger(r.json.schema_version) && r.json.schema_version >= 1, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json;\s*charset=utf-8$/i);
  });

  test('GET / is HTML', async () => {
    const r = await new Client(server.url).get('/');
    assert.match(r.headers.get('content-type'), /^text\/html/i);
    assert.match(r.text, /<html/i);
  });

  test('a raw-socket 404 carries the headers too', async () => {
    const r = await rawRequest(server.port, 'GET /definitely-missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(r.status, 404);
    assertSecurityHeaders((h) => r.headers[h], 'raw 404');
  });
});

describe('static files stay inside the web folder', () => {
  // Each must be refused (400 or 404), and must never leak the file's contents.
  const targets = [
    '/../src/core/validate.c',
    '/../../../../../../etc/passwd',
    '/%2e%2e/src/core/validate.c',
    '/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
    '/%2e%2e%2fsrc%2fcore%2fvalidate.c',
    '/..%2fsrc%2fcore%2fvalidate.c',
    '/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/..%5csrc%5ccore%5cvalidate.c',
    '/%252e%252e/src/core/validate.c',
    '/css/../../src/core/validate.c',
    '/./../src/core/validate.c',
    '/%c0%ae%c0%ae/src/core/validate.c',
    '//etc/passwd',
    '/..%00/src/core/validate.c',
    '/index.html%00.png',
    '/../docs/api.md',
    '/../.git/config',
    '/../package.json',
  ];
  for (const target of targets) {
    test(`GET ${target} → 400 or 404, no file contents`, async () => {
      const r = await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      assert.ok([400, 404].includes(r.status), `status ${r.status}: ${r.raw.slice(0, 300)}`);
      assert.ok(!r.body.includes('#include'), 'no C source');
      assert.ok(!/root:.*:0:0:/.test(r.body), 'no /etc/passwd');
      assert.ok(!r.body.includes('exosafe JSON API'), 'no docs');
      assert.ok(!r.body.includes('[core]'), 'no git config');
      assert.ok(!r.body.includes('exosafe-web-tests'), 'no package.json');
    });
  }
});

describe('unknown paths and wrong methods', () => {
  test('unknown API paths are 404 not_found JSON', async () => {
    const c = new Client(server.url);
    for (const p of ['/api/v1/nope', '/api/v1/', '/api/v1/health/extra', '/api/v1/Health', '/api/v1/users/1/x']) {
      assertError(await c.get(p), 404, 'not_found');
    }
  });

  test('a known endpoint with the wrong method is 405 method_not_allowed', async () => {
    const c = new Client(server.url);
    assertError(await c.get('/api/v1/auth/login'), 405, 'method_not_allowed');
    assertError(await c.get('/api/v1/auth/signup'), 405, 'method_not_allowed');
    assertError(await c.get('/api/v1/auth/logout'), 405, 'method_not_allowed');
    await c.primeCsrf(); // so the CSRF check is not what answers
    assertError(await c.post('/api/v1/health', {}), 405, 'method_not_allowed');
    assertError(await c.post('/api/v1/auth/csrf', {}), 405, 'method_not_allowed');
    assertError(await c.request('DELETE', '/api/v1/me'), 405, 'method_not_allowed');
    assertError(await c.request('PUT', '/api/v1/auth/login', { json: {} }), 405, 'method_not_allowed');
  });
});

describe('odd headers and URLs do not hurt the server', () => {
  const alive = async () => assert.equal((await fetch(`${server.url}/api/v1/health`)).status, 200, 'server still up');

  test('malformed, empty, huge and repeated session cookies are simply not signed in', async () => {
    const cookies = [
      'exosafe_session=',
      'exosafe_session',
      'exosafe_session=%00%00',
      `exosafe_session=${'A'.repeat(8000)}`,
      'exosafe_session=a; exosafe_session=b; exosafe_session=c; exosafe_session=d; exosafe_session=e',
      `${'x'.repeat(100)}=${'y'.repeat(100)}; `.repeat(30),
      ';;;===;;; exosafe_session="quoted"',
    ];
    for (const cookie of cookies) {
      const r = await new Client(server.url).get('/api/v1/me', { headers: { Cookie: cookie } });
      assertError(r, 401, 'unauthenticated');
    }
    await alive();
  });

  test('a huge or odd X-CSRF-Token is 403 csrf_failed', async () => {
    for (const token of ['A'.repeat(8000), '\t', 'é'.normalize('NFD').replace(/[^\x20-\x7e]/g, '?')]) {
      const c = new Client(server.url);
      await c.primeCsrf();
      assertError(await c.post('/api/v1/auth/login', { email: 'a@b.example', password: 'x'.repeat(12) }, { csrf: token }), 403, 'csrf_failed');
    }
    await alive();
  });

  test('a huge Accept-Language header still gets an answer in one of the two languages', async () => {
    const r = await new Client(server.url).get('/api/v1/me', { lang: `${'en-x-abcdefgh;q=0.5,'.repeat(400)}en` });
    assertError(r, 401, 'unauthenticated');
    await alive();
  });

  test('a very long URL gets a 4xx, not a crash', async () => {
    const r = await rawRequest(server.port, `GET /${'a/'.repeat(4000)}x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    await alive();
  });

  // libmicrohttpd gives up on some requests without answering (too many query parameters for
  // its per-connection memory, a request line starting with NUL bytes) and keeps the connection
  // until connection_timeout_seconds. Such a connection must not crash or block the server.
  test('a URL with 1500 query parameters gets 200 or 4xx (or no answer), and the server lives on', async () => {
    const q = await fetch(`${server.url}/api/v1/health?${'q=1&'.repeat(1500)}`, { signal: AbortSignal.timeout(1500) })
      .catch(() => null);
    if (q) assert.ok(q.status === 200 || (q.status >= 400 && q.status < 500), `status ${q.status}`);
    await alive();
  });

  test('a garbage request line gets 4xx/5xx, a closed connection or no answer, and the server lives on', async () => {
    const pending = ['GARBAGE\r\n\r\n', 'GET\r\n\r\n', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', '\x00\x01\x02\r\n\r\n'].map(async (req) => {
      const r = await rawRequest(server.port, req, 1500).catch(() => ({ status: 0 }));
      assert.ok(r.status === 0 || (r.status >= 400 && r.status < 600), `status ${r.status} for ${JSON.stringify(req)}`);
    });
    await alive();
    await Promise.all(pending);
    await alive();
  });
});

describe('keep-alive', () => {
  // A reply queued while libmicrohttpd still handles the headers counts as an early answer
  // and ends the connection: every GET then paid a new TCP connection (a 15x slowdown).
  test('GET answers (API, static, refused) keep the connection open for the next request, also after 6 s idle', async () => {
    const { connect } = await import('node:net');
    const sock = connect({ host: '127.0.0.1', port: server.port });
    await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
    let buffered = '';
    sock.on('data', (d) => { buffered += d.toString('latin1'); });
    const next = async () => {
      for (let i = 0; i < 200; i++) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end >= 0) {
          const head = buffered.slice(0, end);
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (buffered.length >= end + 4 + length) {
            buffered = buffered.slice(end + 4 + length);
            return head;
          }
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no whole answer: ${JSON.stringify(buffered.slice(0, 200))}`);
    };
    try {
      for (const path of ['/api/v1/health', '/', '/api/v1/me', '/api/v1/health']) {
        sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        const head = await next();
        assert.match(head, /^HTTP\/1\.1 (200|401) /, `${path}: ${head.split('\r\n')[0]}`);
        assert.doesNotMatch(head, /connection: close/i, `${path} closes the connection`);
      }
      assert.equal(sock.destroyed, false);
      // Idle past the 5 s header deadline (Node's fetch keeps idle connections 4 s, browsers
      // longer): the connection is still there for the next request.
      await new Promise((r) => setTimeout(r, 6000));
      sock.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.match(await next(), /^HTTP\/1\.1 200 /, 'answered after 6 s idle');
    } finally {
      sock.destroy();
    }
  });
});
