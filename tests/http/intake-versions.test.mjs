// Outdated versions: when the clinic publishes a new questionnaire or consent text, answers
// to and acceptances of the old one are refused, and old answers cannot back an approval.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { root, startServer, sql } from '../lib/server.mjs';
import { Client, assertError, signupBody, stopServer } from './client.mjs';
import { cleanAnswers, QUESTIONNAIRE_VERSION } from './fixtures.mjs';

const NEXT = QUESTIONNAIRE_VERSION + 1;

let server, dataDir;

/** Copies data/ and adds the next version of the questionnaire and its rules (a copy of the
 * current one), and version 3 of the consent text. */
function dataWithVersion2() {
  const dir = mkdtempSync(join(tmpdir(), 'exosafe-data-'));
  cpSync(join(root, 'data'), dir, { recursive: true });
  const q = JSON.parse(readFileSync(join(dir, `questionnaires/exosome-cream-v${QUESTIONNAIRE_VERSION}.json`), 'utf8'));
  q.version = NEXT;
  writeFileSync(join(dir, `questionnaires/exosome-cream-v${NEXT}.json`), JSON.stringify(q));
  const rules = JSON.parse(readFileSync(join(dir, `screening/exosome-cream-v${QUESTIONNAIRE_VERSION}.json`), 'utf8'));
  rules.questionnaire_version = NEXT;
  writeFileSync(join(dir, `screening/exosome-cream-v${NEXT}.json`), JSON.stringify(rules));
  const consent = JSON.parse(readFileSync(join(dir, 'consent/exosome-cream-consent-v2.json'), 'utf8'));
  consent.version = 3;
  consent.changes = { ja: '第2版からの変更点: 試験のための版です。', en: 'Changes from version 2: a version for the test.' };
  consent.text.ja += '\n(第3版)';
  consent.text.en += '\n(version 3)';
  writeFileSync(join(dir, 'consent/exosome-cream-consent-v3.json'), JSON.stringify(consent));
  return dir;
}

before(async () => {
  dataDir = dataWithVersion2();
  server = await startServer({ demo: true, args: ['--data', dataDir] });
});
after(async () => {
  await stopServer(server);
  rmSync(dataDir, { recursive: true, force: true });
});

test('answering an outdated questionnaire version or accepting an outdated consent changes nothing', async () => {
  const p = new Client(server.url);
  const signedUp = await p.signup(signupBody({ email: 'versions@patient.example' }));
  assert.equal(signedUp.status, 201);
  const mine = `WHERE patient_id = ${signedUp.json.user.id}`;  // the demo's follow-up cohort has its own
  const q = await p.get('/api/v1/questionnaire');
  assert.equal(q.json.questionnaire.version, NEXT, 'the highest version is current');
  assertError(await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: QUESTIONNAIRE_VERSION, answers: cleanAnswers() }), 409, 'questionnaire_outdated');
  assertError(await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: 1, answers: cleanAnswers() }), 409, 'questionnaire_outdated');
  assert.equal(Number(sql(server.db, `SELECT count(*) FROM questionnaire_responses ${mine};`)), 0);

  const c = await p.get('/api/v1/consent');
  assert.equal(c.json.consent.version, 3);
  const v1 = JSON.parse(readFileSync(join(dataDir, 'consent/exosome-cream-consent-v2.json'), 'utf8'));
  const { createHash } = await import('node:crypto');
  const oldHash = createHash('sha256').update(v1.text.ja, 'utf8').digest('hex');
  assertError(await p.post('/api/v1/consent', { consent_id: c.json.consent.id, version: 2, lang: 'ja', sha256: oldHash }), 409, 'consent_outdated');
  assert.equal(Number(sql(server.db, `SELECT count(*) FROM consent_acceptances ${mine};`)), 0);

  const ok = await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: NEXT, answers: cleanAnswers() });
  assert.equal(ok.status, 201, ok.text);
  const acc = await p.post('/api/v1/consent', { consent_id: c.json.consent.id, version: 3, lang: 'en', sha256: c.json.consent.sha256.en });
  assert.equal(acc.status, 201, acc.text);
});
