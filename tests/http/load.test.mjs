// Under load (issue 16): audited reads go through the group-committing audit writer. Many
// concurrent reads each leave their row (the chain intact), and a read whose row cannot be
// written is a 500, never a 200 without its row.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dropTriggerSql, isPgUrl, startServer, sql } from '../lib/server.mjs';
import { Client, stopServer } from './client.mjs';

let server;
let patient;
let admin;
before(async () => {
  server = await startServer({ demo: true });
  patient = new Client(server.url);
  await patient.login('hanako@patient.example', 'patient-demo-pass');
  admin = new Client(server.url);
  await admin.login('admin@clinic.example', 'admin-demo-pass');
});
after(async () => { await stopServer(server); });

const profileReads = () => Number(sql(server.db, "SELECT count(*) FROM audit_log WHERE action = 'patient.profile.read';"));

test('64 concurrent GET /me: every answer has its audit row, the chain stays intact', async () => {
  const before = profileReads();
  const answers = await Promise.all(Array.from({ length: 64 }, () => patient.get('/api/v1/me')));
  for (const r of answers) assert.equal(r.status, 200, r.text);
  assert.equal(profileReads(), before + 64);
  const audit = await admin.get('/api/v1/audit');
  assert.equal(audit.status, 200, audit.text);
  assert.equal(audit.json.intact, true);
});

test('a read whose audit row cannot be written is refused with 500, and nothing is sent', async () => {
  sql(server.db, isPgUrl(server.db)
    // exosafe_refuse (src/store/pg/0001) is the schema's own RAISE(ABORT, msg).
    ? "CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = 'patient.profile.read') EXECUTE FUNCTION exosafe_refuse('refused');"
    : "CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_log WHEN NEW.action = 'patient.profile.read' BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  try {
    const before = profileReads();
    const r = await patient.get('/api/v1/me');
    assert.equal(r.status, 500, r.text);
    assert.ok(!r.text.includes('ヤマダ'), 'no profile data in the error');
    assert.equal(profileReads(), before);
  } finally {
    sql(server.db, dropTriggerSql(server.db, 'refuse_reads', 'audit_log'));
  }
  assert.equal((await patient.get('/api/v1/me')).status, 200);
});
