// Cold-chain alarms delivered over SMTP to a real local relay (aiosmtpd, tests/lib/smtp.mjs): a
// connected sensor that has gone silent reaches every pharmacist and administrator of its clinic
// (not another clinic's on the same database) at once, in
// Japanese, with an absolute link to its chart ([mail] public_url); its recovery follows.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { addClinic } from '../lib/clinics.mjs';
import { cli, sql, startServer } from '../lib/server.mjs';
import { startSmtp } from '../lib/smtp.mjs';
import { Client } from './client.mjs';

const PUBLIC_URL = 'https://clinic.example.jp';
let server, smtp, dir, ini, clinicName;

before(async () => {
  smtp = await startSmtp();
  dir = mkdtempSync(join(tmpdir(), 'exosafe-coldmail-'));
  ini = join(dir, 'exosafe.ini');
  writeFileSync(ini, `[mail]\nsmtp_url = ${smtp.url}\n`
    + `from = noreply@clinic.example.jp\npoll_seconds = 1\nretry_base_seconds = 1\nretry_max_seconds = 2\npublic_url = ${PUBLIC_URL}\n`);
  // A second clinic on the same database: its staff must not get the demo clinic's alarms.
  server = await startServer({
    demo: true,
    args: ['--config', ini],
    before(db) {
      addClinic(db, { staff: { pharmacist: ['pharmacist@nishi.example', 'nishi-password-1'], admin: ['admin@nishi.example', 'nishi-password-1'] } });
    },
  });
  // The demo clinic's name (the clinic's details live in its settings, not the config).
  clinicName = (await (await fetch(`${server.url}/api/v1/clinic`)).json()).clinic.name;
});
after(async () => {
  await server?.stop();
  await smtp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a silent sensor, then its recovery, reach pharmacists and admins over SMTP with a link to the chart', async () => {
  const pharmacist = new Client(server.url);
  await pharmacist.login('pharmacist@clinic.example', 'pharmacist-demo-pass');
  const unit = await pharmacist.post('/api/v1/storage-units', { name: '夜間冷蔵庫', kind: 'refrigerator', location: '1F' });
  assert.equal(unit.status, 201, unit.text);
  const logger = await pharmacist.post('/api/v1/loggers', { code: 'NIGHT-1', unit_id: unit.json.unit.id, ingest: true, interval_seconds: 300 });
  assert.equal(logger.status, 201, logger.text);
  const push = (readings) => fetch(`${server.url}/api/v1/loggers/${logger.json.logger.id}/readings`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${logger.json.api_key}` },
    body: JSON.stringify({ readings }),
  });
  // The last reading 30 minutes ago: six 5-minute intervals of silence.
  const last = Math.floor((Date.now() - 30 * 60e3) / 60e3) * 60e3;
  assert.equal((await push([{ at: new Date(last).toISOString(), celsius: 5 }])).status, 200);
  assert.equal(cli(['coldchain', 'check', '--db', server.db, '--config', ini]).status, 0);
  const link = `${PUBLIC_URL}/logger.html?id=${logger.json.logger.id}`;
  const silent = (await smtp.waitFor((ms) => ms.filter((m) => m.subject.includes('NIGHT-1')).length === 2))
    .filter((m) => m.subject.includes('NIGHT-1'));
  assert.deepEqual(silent.map((m) => m.to).sort(), ['admin@clinic.example', 'pharmacist@clinic.example']);
  for (const m of silent) {
    assert.equal(m.subject, `【${clinicName}】温度センサーから記録が届いていません: NIGHT-1(夜間冷蔵庫)`);
    assert.ok(m.body.includes(link), m.body);
    assert.match(m.body, /(3\d) 分間、記録が届いていません/, "about 30 minutes without readings");
    assert.deepEqual(m.defects, []);
  }
  // Checked again: nothing more is sent (one silence, one alarm).
  assert.equal(cli(['coldchain', 'check', '--db', server.db, '--config', ini]).status, 0);
  // Readings again: the recovery is mailed too.
  assert.equal((await push([{ at: new Date(Date.now() - 60e3).toISOString(), celsius: 5.1 }])).status, 200);
  assert.equal(cli(['coldchain', 'check', '--db', server.db, '--config', ini]).status, 0);
  const all = await smtp.waitFor((ms) => ms.filter((m) => m.subject.includes('NIGHT-1')).length === 4);
  const recovered = all.filter((m) => m.subject.includes('記録が回復しました: NIGHT-1'));
  assert.equal(recovered.length, 2);
  assert.ok(recovered[0].body.includes(link));
  assert.equal(all.filter((m) => m.subject.includes('記録が届いていません: NIGHT-1')).length, 2, 'the silence was not mailed twice');
  assert.equal(sql(server.db, `SELECT count(*) FROM mail_outbox WHERE kind LIKE 'coldchain_%' AND status != 'sent';`), '0');
});
