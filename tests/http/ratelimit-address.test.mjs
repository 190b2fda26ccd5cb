// Failed log-ins are limited per address: after 20 failures from one address (each for a
// different account), every log-in from it is refused with 429, even a correct one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { Client, assertError, counts, signupBody, stopServer } from './client.mjs';

let server;
const PASSWORD = 'correct horse battery';
before(async () => {
  server = await startServer();
  const r = await new Client(server.url).signup(signupBody({ email: 'real@patient.example' }));
  assert.equal(r.status, 201, r.text);
});
after(async () => { await stopServer(server); });

describe('log-in rate limit per address', () => {
  test('20 failures for 20 different accounts → the next log-in from the address is 429', async () => {
    for (let i = 1; i <= 20; i++) {
      const c = new Client(server.url);
      await c.primeCsrf();
      const r = await c.post('/api/v1/auth/login', { email: `nobody${i}@patient.example`, password: 'wrong password 123' });
      assertError(r, 401, 'invalid_credentials');
    }
    const before = counts(server.db, ['users', 'sessions']);
    const c = new Client(server.url);
    await c.primeCsrf();
    const r = await c.post('/api/v1/auth/login', { email: 'real@patient.example', password: PASSWORD });
    assertError(r, 429, 'rate_limited');
    assert.equal(c.session, undefined);
    assert.deepEqual(counts(server.db, ['users', 'sessions']), before);
  });
});
