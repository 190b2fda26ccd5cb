// Error messages follow Accept-Language: English when the request prefers `en`, Japanese
// otherwise (including no header at all).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { Client, JAPANESE, signupBody, stopServer } from './client.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await stopServer(server); });

// Requests that fail, each in a different way.
const failures = {
  unauthenticated: (c) => c.get('/api/v1/me'),
  not_found: (c) => c.get('/api/v1/no-such-endpoint'),
  csrf_failed: (c) => c.post('/api/v1/auth/login', { email: 'a@b.example', password: 'x'.repeat(12) }, { csrf: false }),
  weak_password: async (c) => { await c.primeCsrf(); return c.post('/api/v1/auth/signup', signupBody({ password: 'short' })); },
  bad_json: async (c) => { await c.primeCsrf(); return c.request('POST', '/api/v1/auth/signup', { body: '{' }); },
  invalid_credentials: async (c) => { await c.primeCsrf(); return c.post('/api/v1/auth/login', { email: 'nobody@patient.example', password: 'x'.repeat(12) }); },
};

function assertEnglish(msg, what) {
  assert.ok(!JAPANESE.test(msg), `${what}: English message expected, got ${msg}`);
  assert.match(msg, /[A-Za-z]{3}/, `${what}: English words expected, got ${msg}`);
}
function assertJapanese(msg, what) {
  assert.match(msg, JAPANESE, `${what}: Japanese message expected, got ${msg}`);
}

describe('Accept-Language', () => {
  for (const [code, run] of Object.entries(failures)) {
    test(`${code}: en → English, ja or none → Japanese, same code either way`, async () => {
      const en = await run(new Client(server.url, { lang: 'en' }));
      const ja = await run(new Client(server.url, { lang: 'ja' }));
      const none = await run(new Client(server.url));
      for (const r of [en, ja, none]) assert.equal(r.json?.error?.code, code, r.text);
      assertEnglish(en.json.error.message, 'en');
      assertJapanese(ja.json.error.message, 'ja');
      assertJapanese(none.json.error.message, 'no header');
      assert.equal(ja.json.error.message, none.json.error.message, 'Japanese is the default');
      assert.notEqual(en.json.error.message, ja.json.error.message);
    });
  }

  const variants = [
    ['en-US,en;q=0.9', 'en'],
    ['en-GB', 'en'],
    ['EN', 'en'],
    ['ja-JP,ja;q=0.9,en;q=0.8', 'ja'],
    ['en;q=0.1, ja', 'ja'],
    ['ja;q=0.2, en;q=0.8', 'en'],
    ['fr', 'ja'],
    ['*', 'ja'],
    ['', 'ja'],
    ['garbage;;;q=x,,', 'ja'],
  ];
  for (const [header, want] of variants) {
    test(`Accept-Language "${header}" → ${want === 'en' ? 'English' : 'Japanese'}`, async () => {
      const r = await new Client(server.url).get('/api/v1/me', { lang: header || undefined, headers: header === '' ? { 'Accept-Language': '' } : {} });
      assert.equal(r.status, 401);
      if (want === 'en') assertEnglish(r.json.error.message, header);
      else assertJapanese(r.json.error.message, header);
    });
  }
});
