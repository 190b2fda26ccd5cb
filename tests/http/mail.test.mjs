// E-mail through the outbox to a real local SMTP server (aiosmtpd, tests/lib/smtp.mjs):
// password reset by e-mail end to end (the same answer for unknown addresses, a single-use
// expiring link, sessions ended, audited), the message's headers as an independent parser
// (Python's email package) reads them, retry while the relay is down, no loss across a
// SIGKILL, permanent failure visible to admins, and mail left queued when no relay is set.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clinicArgs, cli, newDb, sql, startServer, testClinic } from '../lib/server.mjs';
import { freePort, startSmtp } from '../lib/smtp.mjs';
import { Client, assertError, signupBody, stopServer } from './client.mjs';

const PUBLIC_URL = 'https://clinic.example.jp';
const dirs = [];
const sinks = [];
const servers = [];

function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'exosafe-mailtest-'));
  dirs.push(d);
  return d;
}

/** Writes an INI file with a [mail] section; returns its path. */
function mailConfig(smtpUrl, extra = '') {
  const path = join(tempDir(), 'exosafe.ini');
  writeFileSync(path, `[mail]\n`
    + (smtpUrl ? `smtp_url = ${smtpUrl}\nfrom = noreply@clinic.example.jp\n` : '')
    + `poll_seconds = 1\nretry_base_seconds = 1\nretry_max_seconds = 2\npublic_url = ${PUBLIC_URL}\n${extra}`);
  return path;
}

async function serve(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

after(async () => {
  for (const s of sinks) await s.stop();
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tokenFrom(body) {
  const m = /reset-password\.html#token=([A-Za-z0-9_-]+)/.exec(body);
  assert.ok(m, `a reset link in the body:\n${body}`);
  return m[1];
}

describe('password reset by e-mail, delivered over SMTP', () => {
  let server, smtp;
  const email = 'reset.me@patient.example';
  const PASSWORD = 'correct horse battery';
  const NEW_PASSWORD = 'a brand new passphrase';

  before(async () => {
    smtp = await startSmtp();
    sinks.push(smtp);
    server = await serve({ args: ['--config', mailConfig(smtp.url)] });
    const c = new Client(server.url);
    const r = await c.signup(signupBody({ email }));
    assert.equal(r.status, 201, r.text);
  });

  test('an unknown address gets the same answer and no mail is queued', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    const r = await c.post('/api/v1/auth/password-reset', { email: 'nobody@patient.example' });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.json, { status: 'accepted' });
    assert.equal(sql(server.db, 'SELECT count(*) FROM mail_outbox;'), '0');
    assert.equal(sql(server.db, 'SELECT count(*) FROM password_reset_tokens;'), '0');
  });

  test('a bad address is refused naming the field, nothing written', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    assertError(await c.post('/api/v1/auth/password-reset', { email: 'not-an-address' }), 400, 'invalid_field', 'email');
    assertError(await c.post('/api/v1/auth/password-reset', {}), 400, 'missing_field', 'email');
    assert.equal(sql(server.db, 'SELECT count(*) FROM password_reset_tokens;'), '0');
  });

  let token;
  test('a known address gets the same answer and a Japanese mail with a single-use link arrives', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    const r = await c.post('/api/v1/auth/password-reset', { email: 'Reset.Me@patient.example' });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.json, { status: 'accepted' });
    const [m] = await smtp.waitFor((ms) => ms.length === 1);
    assert.deepEqual(m.rcpt_tos, [email]);
    assert.equal(m.mail_from, 'noreply@clinic.example.jp');
    assert.equal(m.to, email);
    assert.match(m.from, /noreply@clinic\.example\.jp/);
    assert.equal(m.subject, `【${testClinic.name}】パスワード再設定のご案内`);
    assert.match(m.headers, /^Subject: =\?UTF-8\?B\?/m, 'the subject travels RFC 2047-encoded');
    assert.equal(m.content_type, 'text/plain');
    assert.equal(m.charset, 'utf-8');
    assert.equal(m.transfer_encoding, 'base64');
    assert.deepEqual(m.defects, []);
    assert.match(m.headers, /^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/m);
    assert.match(m.message_id, /^<exosafe-\d+-\d+@clinic\.example\.jp>$/);
    assert.match(m.body, /山田 花子 様/);
    assert.match(m.body, /60分以内/);
    assert.ok(m.body.includes(`${PUBLIC_URL}/reset-password.html#token=`), m.body);
    token = tokenFrom(m.body);
    // Only the token's hash is kept; the mail's copy is gone from the outbox once sent.
    const stored = sql(server.db, 'SELECT token_hash FROM password_reset_tokens;');
    assert.match(stored, /^[0-9a-f]{64}$/);
    assert.equal(sql(server.db, `SELECT count(*) FROM mail_outbox WHERE body_text LIKE '%${token}%';`), '0');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sql(server.db, "SELECT status FROM mail_outbox;"), 'sent');
    assert.equal(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'auth.password_reset_requested';"), '1');
  });

  test('a weak new password is refused and the token stays usable', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    assertError(await c.post('/api/v1/auth/password-reset/confirm', { token, password: 'short' }), 400, 'weak_password', 'password');
    assert.equal(sql(server.db, 'SELECT count(*) FROM password_reset_tokens WHERE used_at IS NULL;'), '1');
  });

  test('an unknown token is refused with a clear error, nothing changed', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    const hash = sql(server.db, `SELECT password_hash FROM users WHERE email = '${email}';`);
    assertError(await c.post('/api/v1/auth/password-reset/confirm', { token: 'A'.repeat(43), password: NEW_PASSWORD }), 400, 'reset_token_unknown', 'token');
    assert.equal(sql(server.db, `SELECT password_hash FROM users WHERE email = '${email}';`), hash);
  });

  test('the link sets the new password, ends every session, and works only once', async () => {
    const old = new Client(server.url);
    await old.login(email, PASSWORD);
    assert.equal((await old.get('/api/v1/me')).status, 200);

    const c = new Client(server.url);
    await c.primeCsrf();
    const r = await c.post('/api/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'password_changed');
    assert.ok(r.json.sessions_ended >= 1);
    assert.equal((await old.get('/api/v1/me')).status, 401, 'the old session is gone');
    const oldPw = new Client(server.url);
    await oldPw.primeCsrf();
    assertError(await oldPw.post('/api/v1/auth/login', { email, password: PASSWORD }), 401, 'invalid_credentials');
    await new Client(server.url).login(email, NEW_PASSWORD);

    const again = new Client(server.url);
    await again.primeCsrf();
    const hash = sql(server.db, `SELECT password_hash FROM users WHERE email = '${email}';`);
    assertError(await again.post('/api/v1/auth/password-reset/confirm', { token, password: 'yet another passphrase' }), 400, 'reset_token_used', 'token');
    assert.equal(sql(server.db, `SELECT password_hash FROM users WHERE email = '${email}';`), hash, 'unchanged');
    assert.equal(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'auth.password_reset';"), '1');
  });

  test('an expired link is refused, nothing changed', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    assert.equal((await c.post('/api/v1/auth/password-reset', { email })).status, 202);
    const msgs = await smtp.waitFor((ms) => ms.length === 2);
    const expired = tokenFrom(msgs[1].body);
    sql(server.db, 'UPDATE password_reset_tokens SET expires_at = created_at - 1 WHERE used_at IS NULL;');
    const hash = sql(server.db, `SELECT password_hash FROM users WHERE email = '${email}';`);
    assertError(await c.post('/api/v1/auth/password-reset/confirm', { token: expired, password: 'expired link passphrase' }), 400, 'reset_token_expired', 'token');
    assert.equal(sql(server.db, `SELECT password_hash FROM users WHERE email = '${email}';`), hash);
  });

  test('a reset by e-mail lifts an admin\'s forced reset', async () => {
    const forced = new Client(server.url);
    const made = await forced.signup(signupBody({ email: 'forced@patient.example' }));
    assert.equal(made.status, 201, made.text);
    sql(server.db, `UPDATE users SET password_reset_required = 1 WHERE email = 'forced@patient.example';`);
    const c = new Client(server.url);
    await c.primeCsrf();
    assertError(await c.post('/api/v1/auth/login', { email: 'forced@patient.example', password: PASSWORD }), 403, 'password_reset_required');
    const before = smtp.messages().length;
    assert.equal((await c.post('/api/v1/auth/password-reset', { email: 'forced@patient.example' })).status, 202);
    const msgs = await smtp.waitFor((ms) => ms.length === before + 1);
    const r = await c.post('/api/v1/auth/password-reset/confirm', { token: tokenFrom(msgs[before].body), password: NEW_PASSWORD });
    assert.equal(r.status, 200, r.text);
    assert.equal(sql(server.db, "SELECT password_reset_required FROM users WHERE email = 'forced@patient.example';"), '0');
    await new Client(server.url).login('forced@patient.example', NEW_PASSWORD);
  });

  test('an English request gets the English mail', async () => {
    const c = new Client(server.url, { lang: 'en' });
    await c.primeCsrf();
    assert.equal((await c.post('/api/v1/auth/password-reset', { email })).status, 202);
    const msgs = await smtp.waitFor((ms) => ms.filter((m) => m.to === email).length === 3);
    const last = msgs.filter((m) => m.to === email)[2];
    assert.equal(last.subject, `[${testClinic.name}] Resetting your password`);
    assert.match(last.body, /Dear 山田 花子,/);
  });

  test('no more than three reset mails an hour per account, the answer unchanged', async () => {
    const c = new Client(server.url);
    await c.primeCsrf();
    const r = await c.post('/api/v1/auth/password-reset', { email });
    assert.equal(r.status, 202);
    assert.deepEqual(r.json, { status: 'accepted' });
    assert.equal(sql(server.db, `SELECT count(*) FROM mail_outbox WHERE kind = 'password_reset' AND to_address = '${email}';`), '3');
  });

  test('admins see the outbox: configured, counts, messages; patients may not', async () => {
    const patient = new Client(server.url);
    await patient.login(email, NEW_PASSWORD);
    assertError(await patient.get('/api/v1/admin/mail'), 403, 'forbidden');
  });
});

describe('delivery: retry while the relay is down, no loss across a crash', () => {
  test('a message queued while the SMTP server is down is delivered once it is up', async () => {
    const port = await freePort();
    const server = await serve({ args: ['--config', mailConfig(`smtp://127.0.0.1:${port}`)] });
    const c = new Client(server.url);
    assert.equal((await c.signup(signupBody({ email: 'retry@patient.example' }))).status, 201);
    const anon = new Client(server.url);
    await anon.primeCsrf();
    assert.equal((await anon.post('/api/v1/auth/password-reset', { email: 'retry@patient.example' })).status, 202);
    // The relay is down: attempts are recorded with the error, the message stays queued.
    const deadline = Date.now() + 10000;
    while (Number(sql(server.db, 'SELECT attempts FROM mail_outbox;')) < 1) {
      assert.ok(Date.now() < deadline, 'an attempt is recorded');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(sql(server.db, 'SELECT status FROM mail_outbox;'), 'queued');
    assert.notEqual(sql(server.db, 'SELECT last_error FROM mail_outbox;'), '');
    const smtp = await startSmtp({ port });
    sinks.push(smtp);
    const [m] = await smtp.waitFor((ms) => ms.length === 1);
    assert.equal(m.to, 'retry@patient.example');
    assert.equal(m.subject, `【${testClinic.name}】パスワード再設定のご案内`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sql(server.db, 'SELECT status FROM mail_outbox;'), 'sent');
  });

  test('a message queued before a SIGKILL is delivered after the restart', async () => {
    const dir = tempDir();
    const db = newDb(dir);
    assert.equal(cli(['init', '--db', db, ...clinicArgs()]).status, 0);
    // No relay yet: the message waits in the outbox when the server is killed.
    const port = await freePort();
    const config = mailConfig(`smtp://127.0.0.1:${port}`, 'retry_base_seconds = 1\n');
    const first = await serve({ db, args: ['--config', config] });
    const c = new Client(first.url);
    assert.equal((await c.signup(signupBody({ email: 'crash@patient.example' }))).status, 201);
    const anon = new Client(first.url);
    await anon.primeCsrf();
    assert.equal((await anon.post('/api/v1/auth/password-reset', { email: 'crash@patient.example' })).status, 202);
    await first.kill();
    assert.equal(sql(db, 'SELECT status FROM mail_outbox;'), 'queued');

    const smtp = await startSmtp({ port });
    sinks.push(smtp);
    const second = await serve({ db, args: ['--config', config] });
    const [m] = await smtp.waitFor((ms) => ms.length === 1);
    assert.equal(m.to, 'crash@patient.example');
    tokenFrom(m.body);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sql(db, 'SELECT status FROM mail_outbox;'), 'sent');
    assert.equal(smtp.messages().length, 1, 'sent once');
    await stopServer(second);
  });

  test('a relay that refuses a recipient for good (5xx) marks the message failed at once', async () => {
    const smtp = await startSmtp();
    sinks.push(smtp);
    const server = await serve({ args: ['--config', mailConfig(smtp.url)] });
    const c = new Client(server.url);
    assert.equal((await c.signup(signupBody({ email: 'bounce@patient.example' }))).status, 201);
    const anon = new Client(server.url);
    await anon.primeCsrf();
    assert.equal((await anon.post('/api/v1/auth/password-reset', { email: 'bounce@patient.example' })).status, 202);
    const deadline = Date.now() + 10000;
    while (sql(server.db, 'SELECT status FROM mail_outbox;') !== 'failed') {
      assert.ok(Date.now() < deadline, 'marked failed');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(sql(server.db, 'SELECT attempts FROM mail_outbox;'), '1', 'no retry after a permanent refusal');
    assert.match(sql(server.db, 'SELECT last_error FROM mail_outbox;'), /550/);
    assert.equal(smtp.messages().length, 0);
  });

  test('after max_attempts temporary failures the message is failed; admins and the CLI see it', async () => {
    const port = await freePort();
    const server = await serve({ demo: true, args: ['--config', mailConfig(`smtp://127.0.0.1:${port}`, 'max_attempts = 2\n')] });
    const anon = new Client(server.url);
    await anon.primeCsrf();
    assert.equal((await anon.post('/api/v1/auth/password-reset', { email: 'hanako@patient.example' })).status, 202);
    const deadline = Date.now() + 15000;
    while (sql(server.db, 'SELECT status FROM mail_outbox;') !== 'failed') {
      assert.ok(Date.now() < deadline, 'marked failed after two attempts');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(sql(server.db, 'SELECT attempts FROM mail_outbox;'), '2');
    const admin = new Client(server.url);
    await admin.login('admin@clinic.example', 'admin-demo-pass');
    const r = await admin.get('/api/v1/admin/mail?status=failed');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.configured, true);
    assert.equal(r.json.counts.failed, 1);
    assert.equal(r.json.messages.length, 1);
    assert.equal(r.json.messages[0].kind, 'password_reset');
    assert.equal(r.json.messages[0].to, 'hanako@patient.example');
    assert.notEqual(r.json.messages[0].last_error, '');
    assertError(await admin.get('/api/v1/admin/mail?status=nope'), 400, 'invalid_field', 'status');
    // The CLI lists it too.
    const list = cli(['mail', 'list', '--db', server.db, '--status', 'failed']);
    assert.equal(list.status, 0, list.stderr);
    const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'failed');
  });

  test('without an SMTP relay mail stays queued and admins are told mail is not configured', async () => {
    const server = await serve({ demo: true, args: ['--config', mailConfig('')] });
    const anon = new Client(server.url);
    await anon.primeCsrf();
    assert.equal((await anon.post('/api/v1/auth/password-reset', { email: 'hanako@patient.example' })).status, 202);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sql(server.db, 'SELECT status || attempts FROM mail_outbox;'), 'queued0');
    const admin = new Client(server.url);
    await admin.login('admin@clinic.example', 'admin-demo-pass');
    const r = await admin.get('/api/v1/admin/mail');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.configured, false);
    assert.equal(r.json.counts.queued, 1);
    assert.ok(r.json.oldest_queued_at);
    const send = cli(['mail', 'send-due', '--db', server.db]);
    assert.equal(send.status, 1);
    assert.match(send.stderr, /not configured/);
    assert.match(server.stderr(), /messages stay queued/);
  });

  test('exosafe mail send-due delivers due messages from the command line', async () => {
    const smtp = await startSmtp();
    sinks.push(smtp);
    const server = await serve({ demo: true, args: ['--config', mailConfig('')] });
    const anon = new Client(server.url);
    await anon.primeCsrf();
    assert.equal((await anon.post('/api/v1/auth/password-reset', { email: 'taro@patient.example' })).status, 202);
    const send = cli(['mail', 'send-due', '--db', server.db, '--config', mailConfig(smtp.url)]);
    assert.equal(send.status, 0, send.stderr);
    assert.match(send.stdout, /sent 1, to retry 0, failed 0/);
    const [m] = await smtp.waitFor((ms) => ms.length === 1);
    assert.equal(m.to, 'taro@patient.example');
    assert.equal(sql(server.db, 'SELECT status FROM mail_outbox;'), 'sent');
  });
});
