// Bad input on sign-up: every case gets the documented status, code and field, and leaves
// the database exactly as it was. Cases are a table; the good cases at the end check that the
// validators are not stricter than docs/api.md (NFKC, trimming, characters not bytes).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { Client, assertError, counts, signupBody, stopServer } from './client.mjs';

let server;
let anon;
before(async () => {
  server = await startServer();
  anon = new Client(server.url);
  await anon.primeCsrf();
});
after(async () => { await stopServer(server); });

const b = (over) => JSON.stringify(signupBody(over));
const without = (field) => signupBody({ [field]: undefined });
const utf8 = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

// [name, request {json|body, type}, status, code, field]
const cases = [
  ['malformed JSON', { body: '{"email": "a@b.example", ' }, 400, 'bad_json'],
  ['trailing garbage after the object', { body: `${b()} x` }, 400, 'bad_json'],
  ['JSON array instead of object', { body: `[${b()}]` }, 400, 'bad_json'],
  ['JSON string instead of object', { body: '"hello"' }, 400, 'bad_json'],
  ['JSON null', { body: 'null' }, 400, 'bad_json'],
  ['JSON number', { body: '42' }, 400, 'bad_json'],
  ['invalid UTF-8 byte 0xFF in a string', { body: utf8('{"email":"a', [0xff], '@x.example","password":"correct horse battery","name":"n","name_kana":"ア","birth_date":"1985-04-01","sex":"female","phone":"0312345678"}') }, 400, 'bad_json'],
  ['overlong UTF-8 encoding of "/"', { body: utf8('{"name":"', [0xc0, 0xaf], '"}') }, 400, 'bad_json'],
  ['UTF-8-encoded surrogate', { body: utf8('{"name":"', [0xed, 0xa0, 0x80], '"}') }, 400, 'bad_json'],
  ['truncated UTF-8 sequence', { body: utf8('{"name":"', [0xe3, 0x81], '"}') }, 400, 'bad_json'],
  ['email as a number', { json: signupBody({ email: 12345 }) }, 400, 'invalid_field', 'email'],
  ['password as a number', { json: signupBody({ password: 12345678901 }) }, 400, 'invalid_field', 'password'],
  ['sex as a boolean', { json: signupBody({ sex: true }) }, 400, 'invalid_field', 'sex'],
  ['address as an object', { json: signupBody({ address: { city: '渋谷' } }) }, 400, 'invalid_field', 'address'],
  ['name as an array', { json: signupBody({ name: ['山田'] }) }, 400, 'invalid_field', 'name'],
  ...['email', 'password', 'name', 'name_kana', 'birth_date', 'sex', 'phone'].map((f) =>
    [`missing ${f}`, { json: without(f) }, 400, 'missing_field', f]),
  ['unknown field "role"', { json: signupBody({ role: 'admin' }) }, 400, 'unknown_field', 'role'],
  ['unknown field "nickname"', { json: signupBody({ nickname: 'hana' }) }, 400, 'unknown_field', 'nickname'],
  ['text/plain body', { body: b(), type: 'text/plain' }, 415, 'unsupported_media_type'],
  ['form-encoded body', { body: 'email=a%40b.example', type: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
  ['body without Content-Type', { body: b(), type: null }, 415, 'unsupported_media_type'],
  ['password of 5 characters', { json: signupBody({ password: 'short' }) }, 400, 'weak_password', 'password'],
  ['password of 9 characters', { json: signupBody({ password: '123456789' }) }, 400, 'weak_password', 'password'],
  ['password of 5 Japanese characters (15 bytes)', { json: signupBody({ password: 'あいうえお' }) }, 400, 'weak_password', 'password'],
  ['password of 257 characters', { json: signupBody({ password: 'p'.repeat(257) }) }, 400, 'invalid_field', 'password'],
  ['birth_date 2026-02-30', { json: signupBody({ birth_date: '2026-02-30' }) }, 400, 'invalid_field', 'birth_date'],
  ['birth_date 1900-02-29 (not a leap year)', { json: signupBody({ birth_date: '1900-02-29' }) }, 400, 'invalid_field', 'birth_date'],
  ['birth_date in the future', { json: signupBody({ birth_date: '2999-01-01' }) }, 400, 'invalid_field', 'birth_date'],
  ['birth_date 1985/04/01', { json: signupBody({ birth_date: '1985/04/01' }) }, 400, 'invalid_field', 'birth_date'],
  ['birth_date 1985-4-1', { json: signupBody({ birth_date: '1985-4-1' }) }, 400, 'invalid_field', 'birth_date'],
  ['birth_date 1985-13-01', { json: signupBody({ birth_date: '1985-13-01' }) }, 400, 'invalid_field', 'birth_date'],
  ['birth_date with trailing text', { json: signupBody({ birth_date: '1985-04-01T00:00:00Z' }) }, 400, 'invalid_field', 'birth_date'],
  ['postal code of six digits', { json: signupBody({ postal_code: '150001' }) }, 400, 'invalid_field', 'postal_code'],
  ['postal code too long', { json: signupBody({ postal_code: '150-00011' }) }, 400, 'invalid_field', 'postal_code'],
  ['postal code with letters', { json: signupBody({ postal_code: 'ABC-DEFG' }) }, 400, 'invalid_field', 'postal_code'],
  ['name_kana in hiragana', { json: signupBody({ name_kana: 'やまだ はなこ' }) }, 400, 'invalid_field', 'name_kana'],
  ['name_kana in kanji', { json: signupBody({ name_kana: '山田 花子' }) }, 400, 'invalid_field', 'name_kana'],
  ['name_kana in latin letters', { json: signupBody({ name_kana: 'Yamada Hanako' }) }, 400, 'invalid_field', 'name_kana'],
  ['name_kana only spaces', { json: signupBody({ name_kana: '   ' }) }, 400, 'invalid_field', 'name_kana'],
  ['phone too short', { json: signupBody({ phone: '090-1234' }) }, 400, 'invalid_field', 'phone'],
  ['phone with 12 digits', { json: signupBody({ phone: '090-1234-56789' }) }, 400, 'invalid_field', 'phone'],
  ['phone with letters', { json: signupBody({ phone: '090-abcd-5678' }) }, 400, 'invalid_field', 'phone'],
  ['phone in international form', { json: signupBody({ phone: '+81-90-1234-5678' }) }, 400, 'invalid_field', 'phone'],
  ['email without @', { json: signupBody({ email: 'not-an-email' }) }, 400, 'invalid_field', 'email'],
  ['email over 254 bytes', { json: signupBody({ email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.example` }) }, 400, 'invalid_field', 'email'],
  ['empty name', { json: signupBody({ name: '' }) }, 400, 'invalid_field', 'name'],
  ['name of spaces only (trimmed to empty)', { json: signupBody({ name: '   ' }) }, 400, 'invalid_field', 'name'],
  ['name of 101 characters', { json: signupBody({ name: '山'.repeat(101) }) }, 400, 'invalid_field', 'name'],
  ['name with an embedded NUL (\\u0000)', { json: signupBody({ name: '山田\u0000花子' }) }, 400, 'invalid_field', 'name'],
  ['name with a control character', { json: signupBody({ name: '山田\u0007花子' }) }, 400, 'invalid_field', 'name'],
  ['email with an embedded NUL', { json: signupBody({ email: 'a\u0000@patient.example' }) }, 400, 'invalid_field', 'email'],
  ['sex "unknown"', { json: signupBody({ sex: 'unknown' }) }, 400, 'invalid_field', 'sex'],
  ['address of 201 characters', { json: signupBody({ address: '東'.repeat(201) }) }, 400, 'invalid_field', 'address'],
];

describe('sign-up rejects bad input and changes nothing', () => {
  for (const [name, req, status, code, field] of cases) {
    test(`${name} → ${status} ${code}${field ? ` (${field})` : ''}`, async () => {
      const before = counts(server.db);
      const r = await anon.request('POST', '/api/v1/auth/signup', req);
      assertError(r, status, code, field);
      assert.equal(r.cookies.find((c) => c.name === 'exosafe_session'), undefined, 'no session');
      assert.deepEqual(counts(server.db), before, 'database unchanged');
    });
  }

  test('an empty body is 400 (bad_json, or missing_field email when read as {} as log-out does)', async () => {
    const before = counts(server.db);
    const r = await anon.request('POST', '/api/v1/auth/signup', { body: '' });
    assert.equal(r.status, 400, r.text);
    const { code, field } = r.json.error;
    assert.ok(code === 'bad_json' || (code === 'missing_field' && field === 'email'), r.text);
    assert.deepEqual(counts(server.db), before);
  });

  test('a body over 1 MiB → 413 body_too_large', async () => {
    const before = counts(server.db);
    const body = b({ address: 'a'.repeat(1024 * 1024 + 100) });
    let r;
    try {
      r = await anon.request('POST', '/api/v1/auth/signup', { body });
    } catch (e) {
      assert.fail(`the server must answer 413, the connection failed instead: ${e.cause?.code ?? e.message}`);
    }
    assertError(r, 413, 'body_too_large');
    assert.deepEqual(counts(server.db), before);
    assert.equal((await fetch(`${server.url}/api/v1/health`)).status, 200, 'server still up');
  });

  test('a body just under 1 MiB is read and judged on its fields (address too long, not 413)', async () => {
    const before = counts(server.db);
    const r = await anon.request('POST', '/api/v1/auth/signup', { body: b({ address: 'a'.repeat(1000000) }) });
    assertError(r, 400, 'invalid_field', 'address');
    assert.deepEqual(counts(server.db), before);
  });

  test('deeply nested JSON is rejected with 400, and the server survives', async () => {
    const before = counts(server.db);
    const depth = 100000;
    const r = await anon.request('POST', '/api/v1/auth/signup', { body: `{"x":${'['.repeat(depth)}${']'.repeat(depth)}}` });
    assert.equal(r.status, 400, r.text);
    assert.ok(['bad_json', 'unknown_field'].includes(r.json?.error?.code), r.text);
    assert.deepEqual(counts(server.db), before);
    assert.equal((await fetch(`${server.url}/api/v1/health`)).status, 200, 'server still up');
  });

  test('log-in also rejects bad input: bad JSON, unknown field, wrong type, missing field', async () => {
    const before = counts(server.db);
    const login = (req) => anon.request('POST', '/api/v1/auth/login', req);
    assertError(await login({ body: '{"email":' }), 400, 'bad_json');
    assertError(await login({ body: '[]' }), 400, 'bad_json');
    assertError(await login({ json: { email: 'a@b.example', password: 'x'.repeat(12), remember: true } }), 400, 'unknown_field', 'remember');
    assertError(await login({ json: { email: 5, password: 'x'.repeat(12) } }), 400, 'invalid_field', 'email');
    assertError(await login({ json: { email: 'a@b.example' } }), 400, 'missing_field', 'password');
    assertError(await login({ body: JSON.stringify({ email: 'a@b.example', password: 'x'.repeat(12) }), type: 'text/plain' }), 415, 'unsupported_media_type');
    assert.deepEqual(counts(server.db), before, 'rejected input is not a failed log-in');
  });
});

describe('sign-up accepts what the rules allow', () => {
  let n = 0;
  async function accept(over) {
    n += 1;
    const c = new Client(server.url);
    const r = await c.signup(signupBody({ email: `ok${n}@patient.example`, ...over }));
    assert.equal(r.status, 201, r.text);
    return r.json.user;
  }

  test('NFKC and trimming: half-width kana, full-width digits, ideographic spaces, padded e-mail', async () => {
    const u = await accept({
      email: '  MixedCase.OK@Patient.Example ',
      name: '　佐藤　優子　',
      name_kana: 'ｻﾄｳ ﾕｰｺ',
      phone: '０９０－１２３４－５６７８',
      postal_code: '１５０－０００１',
      birth_date: '2000-02-29',
      sex: 'other',
    });
    assert.equal(u.email, 'mixedcase.ok@patient.example');
    assert.equal(u.name, '佐藤 優子');
    assert.equal(u.profile.name_kana, 'サトウ ユーコ');
    assert.equal(u.profile.phone, '090-1234-5678');
    assert.equal(u.profile.postal_code, '150-0001');
    assert.equal(u.profile.birth_date, '2000-02-29');
    assert.equal(u.profile.sex, 'other');
  });

  test('optional fields may be left out; 10-digit landline; exactly 10-character password', async () => {
    const u = await accept({ postal_code: undefined, address: undefined, phone: '0312345678', password: '0123456789', sex: 'male' });
    assert.equal(u.profile.phone, '0312345678');
    assert.ok(!u.profile.postal_code, 'no postal code');
    assert.ok(!u.profile.address, 'no address');
  });

  test('lengths count characters, not bytes: 100-character name, 200-character address, 10 Japanese characters of password', async () => {
    const u = await accept({ name: '山'.repeat(100), address: '東'.repeat(200), password: 'あいうえおかきくけこ' });
    assert.equal(u.name, '山'.repeat(100));
    assert.equal(u.profile.address, '東'.repeat(200));
    const c = new Client(server.url);
    await c.login(u.email, 'あいうえおかきくけこ');
  });

  test('Content-Type with a charset parameter is accepted', async () => {
    n += 1;
    const c = new Client(server.url);
    await c.primeCsrf();
    const r = await c.request('POST', '/api/v1/auth/signup', { body: b({ email: `ok${n}@patient.example` }), type: 'application/json; charset=utf-8' });
    assert.equal(r.status, 201, r.text);
  });
});
