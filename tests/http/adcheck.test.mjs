// The advertising checker over HTTP (the staff page's endpoint) and as a CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bin, startServer } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer } from './client.mjs';

let server, doctor, dir;
before(async () => {
  server = await startServer({ demo: true });
  doctor = new Client(server.url);
  await doctor.login('doctor@clinic.example', 'doctor-demo-pass');
  dir = mkdtempSync(join(tmpdir(), 'exosafe-ad-'));
});
after(async () => {
  await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
});

test('staff check text and HTML; positions index the text as sent', async () => {
  const text = 'お肌が必ず若返ります。\n日本一の実績、副作用なし！';
  const r = await doctor.post('/api/v1/adcheck', { text });
  assert.equal(r.status, 200, r.text);
  const rules = r.json.findings.map((f) => f.rule);
  for (const rule of ['guarantee.effect', 'superiority.ranking', 'safety.no-side-effects']) assert.ok(rules.includes(rule), `${rule} in ${rules}`);
  for (const f of r.json.findings.filter((x) => !x.missing)) {
    assert.equal(text.slice(f.start_utf16, f.end_utf16), f.text);
    assert.ok(f.explanation.ja && f.suggestion.en);
  }
  const html = await doctor.post('/api/v1/adcheck', { text: '<p>当院は<b>No.1</b></p><script>必ず</script>', format: 'html' });
  assert.equal(html.status, 200, html.text);
  assert.deepEqual(html.json.findings.map((f) => f.rule), ['superiority.ranking']);
  const clean = await doctor.post('/api/v1/adcheck', { text: 'ご不明な点は医師にご相談ください。' });
  assert.equal(clean.json.findings.length, 0);
  assertError(await doctor.post('/api/v1/adcheck', { text: 'x', format: 'pdf' }), 400, 'invalid_field', 'format');
  assertError(await doctor.post('/api/v1/adcheck', {}), 400, 'missing_field', 'text');
  const patient = new Client(server.url);
  await patient.signup(signupBody({ email: 'ad@patient.example' }));
  assertError(await patient.post('/api/v1/adcheck', { text: '必ず' }), 403, 'forbidden');
});

test('CLI: exit 0 clean, 1 with findings, 2 on bad input', () => {
  const run = (args, input) => spawnSync(bin, ['adcheck', ...args], { input, encoding: 'utf8' });
  const clean = join(dir, 'clean.txt'), bad = join(dir, 'bad.txt'), binary = join(dir, 'bin.dat'), invalid = join(dir, 'invalid.txt');
  writeFileSync(clean, 'ご不明な点は医師にご相談ください。\n');
  writeFileSync(bad, '絶対に効果があります\n');
  writeFileSync(binary, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]));
  writeFileSync(invalid, Buffer.from([0xe3, 0x81, 0x82, 0xff, 0x0a]));
  assert.equal(run([clean]).status, 0);
  const found = run(['--format', 'json', bad]);
  assert.equal(found.status, 1, found.stderr);
  assert.ok(JSON.parse(found.stdout));
  assert.equal(run(['-'], '最高の治療を\n').status, 1);
  const b = run([binary]);
  assert.equal(b.status, 2);
  const u = run([invalid]);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /byte 3|offset 3/);
  assert.equal(run([join(dir, 'missing.txt')]).status, 2);
  assert.equal(run([], '').status, 2);
});
