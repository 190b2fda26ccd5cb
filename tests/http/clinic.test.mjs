// The clinic's own details (GET/PUT /api/v1/clinic): who sees what, every field error at once,
// placeholders refused in production, the first-run set-up state, and serve's refusals.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bin, cli, clinicArgs, newDb, root, sql, sqliteOnly, startServer, testClinic } from '../lib/server.mjs';
import { Client, JAPANESE, assertError, counts, signupBody, stopServer } from './client.mjs';

const ADMIN = { email: 'first.admin@clinic.example', password: 'first-admin-pass', name: '管理 花子' };

/** Runs `exosafe serve` that is expected to stop at once; returns {status, stderr}. */
function serveOnce(db, extra = []) {
  const r = spawnSync(bin, ['serve', '--db', db, '--port', '1', '--web', join(root, 'web'), '--data', join(root, 'data'), ...extra],
    { encoding: 'utf8', timeout: 10000 });
  return { status: r.status, stderr: r.stderr };
}

const addAdmin = (db) => {
  const r = cli(['user', 'add', '--db', db, '--role', 'admin', '--email', ADMIN.email, '--name', ADMIN.name], `${ADMIN.password}\n`);
  assert.equal(r.status, 0, r.stderr);
};

describe('serve in production refuses what it cannot serve', () => {
  let dir;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'exosafe-clinic-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('incomplete details and no admin to complete them: exits, naming what is missing', () => {
    const db = newDb(dir, 'empty.db');
    assert.equal(cli(['init', '--db', db]).status, 0);
    const r = serveOnce(db);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /clinic's details are incomplete \(missing: name, postal_code, address, phone, hours, doctor_name, doctor_licence\)/);
    assert.match(r.stderr, /exosafe user add/);
    assert.match(r.stderr, /--clinic-name/);
  });

  test('a demo database in production mode: exits (demo accounts have published passwords)', () => {
    const db = newDb(dir, 'demo.db');
    assert.equal(cli(['init', '--db', db]).status, 0);
    assert.equal(cli(['demo', '--db', db]).status, 0);
    const r = serveOnce(db, ['--mode', 'production']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /demo/);
    assert.match(r.stderr, /--mode demo/);
    // Real-looking details do not make a demo database a clinic's.
    assert.equal(cli(['init', '--db', db, ...clinicArgs()]).status, 0);
    assert.equal(sql(db, 'SELECT is_demo FROM clinics;'), '1');
    const again = serveOnce(db, ['--mode', 'production']);
    assert.equal(again.status, 1, 'still refused');
    assert.match(again.stderr, /exosafe demo's fictional clinic/);
  });

  test('a demo database from before migration 0009 is marked demo when migrated', {
    skip: sqliteOnly('rolls a database file back to schema 8 by hand, with the SQLite schema\'s objects'),
  }, () => {
    const db = join(dir, 'old-demo.db');
    assert.equal(cli(['init', '--db', db]).status, 0);
    assert.equal(cli(['demo', '--db', db]).status, 0);
    // Back to schema 8, as make run's var/exosafe.db was. Migrations are applied above the
    // highest recorded version, so every later migration's objects go too (add yours here).
    const recallTriggers = ['dispense', 'dispense_gone', 'dispense_changed', 'order', 'user', 'profile',
      'profile_changed', 'profile_gone', 'shipment', 'shipment_changed', 'shipment_gone', 'track', 'track_changed',
      'track_gone'];
    sql(db, [
      ...recallTriggers.map((t) => `DROP TRIGGER recall_recipients_${t};`),
      'DROP VIEW recall_recipients_joined; DROP TABLE recall_recipients;',
      'DROP INDEX IF EXISTS audit_log_actor; DROP INDEX IF EXISTS audit_log_object;',
      'DROP INDEX IF EXISTS audit_log_action; DROP INDEX IF EXISTS audit_log_at;',
      'DROP TABLE IF EXISTS logger_silences; DROP TABLE IF EXISTS password_reset_tokens; DROP TABLE IF EXISTS mail_outbox;',
      'ALTER TABLE users DROP COLUMN deactivated_at; ALTER TABLE users DROP COLUMN password_reset_required;',
      'ALTER TABLE users DROP COLUMN lang;',
      'DROP TABLE IF EXISTS login_devices;',
      'DROP TABLE followup_calls; DROP TABLE checkin_symptoms; DROP TABLE checkin_lots; DROP TABLE followup_withdrawals;',
      'DROP INDEX ae_reports_checkin; ALTER TABLE ae_reports DROP COLUMN checkin_id; DROP TABLE checkins; DROP TABLE followup_plans;',
      'DROP TRIGGER ae_signal_reports_pair; DROP TRIGGER ae_signal_reports_pair_gone;',
      'DROP VIEW ae_signal_reports_joined; DROP TABLE ae_signal_reports;',
      'DROP TRIGGER ae_signal_pairs_assessment; DROP TRIGGER ae_signal_pairs_lot; DROP TRIGGER ae_signal_pairs_lot_gone;',
      'DROP TRIGGER ae_signal_pairs_lot_changed; DROP VIEW ae_signal_pairs_joined; DROP TABLE ae_signal_pairs;',
      'DROP TRIGGER users_clinic_fixed; DROP TRIGGER dispenses_same_clinic; DROP TRIGGER bookings_same_clinic;',
      'DROP TRIGGER lot_placements_same_clinic; DROP INDEX users_clinic; DROP INDEX lots_number;',
      'DROP INDEX audit_log_chain_seq; DROP TABLE migrated_ids; ALTER TABLE audit_log DROP COLUMN orig_object;',
      'ALTER TABLE audit_log DROP COLUMN orig_actor_id; ALTER TABLE audit_log DROP COLUMN seq; ALTER TABLE audit_log DROP COLUMN chain;',
      'DROP TABLE clinics; DELETE FROM schema_version WHERE version >= 9;',
    ].join(' '));
    assert.equal(cli(['init', '--db', db]).status, 0);
    assert.equal(sql(db, 'SELECT is_demo FROM clinics WHERE id = 1;'), '1');
    const fresh = newDb(dir, 'fresh.db');
    assert.equal(cli(['init', '--db', fresh]).status, 0);
    assert.equal(sql(fresh, 'SELECT is_demo FROM clinics WHERE id = 1;'), '0');
  });

  test('--mode must be production or demo', () => {
    const r = serveOnce(join(dir, 'x.db'), ['--mode', 'staging']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--mode must be production or demo/);
  });

  test('[clinic] in the config file is refused with where the details live now', () => {
    const db = newDb(dir, 'conf.db');
    assert.equal(cli(['init', '--db', db, ...clinicArgs()]).status, 0);
    const ini = join(dir, 'old.ini');
    writeFileSync(ini, '[clinic]\nname = exosafe クリニック\n');
    const r = serveOnce(db, ['--config', ini]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /\[clinic\] name is no longer read from the config/);
    assert.match(r.stderr, /clinic-settings/);
  });

  test('init with bad clinic details: every bad option named, nothing saved', () => {
    const db = newDb(dir, 'bad.db');
    const r = cli(['init', '--db', db, '--clinic-name', 'exosafe クリニック', '--clinic-phone', '03-0000-0000',
      '--clinic-postal-code', '12-3456']);
    assert.equal(r.status, 2, r.stderr);
    for (const option of ['--clinic-name: placeholder', '--clinic-phone: placeholder', '--clinic-postal-code: postal_format',
      '--clinic-address: empty', '--clinic-hours: empty', '--clinic-doctor-name: empty', '--clinic-doctor-licence: empty']) {
      assert.ok(r.stderr.includes(option), `${option} in:\n${r.stderr}`);
    }
    assert.equal(sql(db, "SELECT name || '|' || phone FROM clinics WHERE id = 1;"), '|');
    assert.equal(sql(db, "SELECT count(*) FROM audit_log WHERE action = 'clinic.update';"), '0');
  });
});

describe('first-run set-up on the web (production, details incomplete, an admin exists)', () => {
  let server, admin, anon;
  before(async () => {
    server = await startServer({ clinic: false, before: addAdmin });
    admin = new Client(server.url);
    await admin.login(ADMIN.email, ADMIN.password);
    anon = new Client(server.url);
  });
  after(async () => { await stopServer(server); });

  test('serve starts and says the details are incomplete', () => {
    assert.match(server.stderr(), /clinic's details are incomplete \(missing: name,/);
  });

  test('GET /api/v1/clinic: set-up needed, with the missing fields', async () => {
    const r = await anon.get('/api/v1/clinic');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.mode, 'production');
    assert.equal(r.json.setup_needed, true);
    assert.deepEqual(r.json.missing, ['name', 'postal_code', 'address', 'phone', 'hours', 'doctor_name', 'doctor_licence']);
  });

  test('exports that name the clinic are refused until it is set up', async () => {
    const doctor = new Client(server.url);
    const made = await admin.post('/api/v1/users', { email: 'doc@clinic.example', password: 'doctor-pass-1', name: '医師 次郎', role: 'doctor' });
    assert.equal(made.status, 201, made.text);
    await doctor.login('doc@clinic.example', 'doctor-pass-1');
    const r = await doctor.get('/api/v1/adverse-events/1/fhir');
    assertError(r, 409, 'clinic_setup_needed', 'name');
    assert.match(r.json.error.message, JAPANESE);
    const pmda = await doctor.get('/api/v1/adverse-events/1/pmda-form');
    assertError(pmda, 409, 'clinic_setup_needed');
    const exp = cli(['export', 'pmda', '--db', server.db, '--case', '1', '--data', join(root, 'data')]);
    assert.equal(exp.status, 1);
    assert.match(exp.stderr, /clinic's details are incomplete \(missing: name/);
  });

  test('placeholders and bad values: every field error at once, nothing changed', async () => {
    const before = counts(server.db, ['audit_log']);
    const row = sql(server.db, 'SELECT * FROM clinics;');
    const r = await admin.put('/api/v1/clinic', {
      name: 'exosafe クリニック', phone: '03-0000-0000', postal_code: '1234', address: '', hours: '平日 10:00–18:00',
      bank_account_number: '123', bank_account_holder: 'みなと', doctor_name: '港 一郎', doctor_licence: '12345678',
    });
    assertError(r, 400, 'invalid_fields', 'name');
    const got = Object.fromEntries(r.json.error.fields.map((e) => [e.field, e.code]));
    assert.deepEqual(got, {
      name: 'placeholder', postal_code: 'postal_format', address: 'empty', phone: 'placeholder',
      bank_name: 'bank_incomplete', bank_branch: 'bank_incomplete', bank_account_type: 'bank_incomplete',
      bank_account_number: 'account_number_format', bank_account_holder: 'holder_kana', doctor_licence: 'licence_format',
    });
    for (const e of r.json.error.fields) assert.match(e.message, JAPANESE, e.message);
    assert.match(r.json.error.fields.find((e) => e.field === 'name').message, /^クリニック名: /);
    assert.deepEqual(counts(server.db, ['audit_log']), before);
    assert.equal(sql(server.db, 'SELECT * FROM clinics;'), row);
    const en = await admin.put('/api/v1/clinic', { name: 'exosafe クリニック' }, { lang: 'en' });
    assert.match(en.json.error.fields.find((e) => e.field === 'name').message, /^Clinic name: .*placeholder/);
  });

  test('roles and CSRF: only an admin, only with the token', async () => {
    assertError(await anon.put('/api/v1/clinic', testClinic), 401, 'unauthenticated');
    const patient = new Client(server.url);
    assert.equal((await patient.signup(signupBody({ email: 'p1@patient.example' }))).status, 201);
    assertError(await patient.put('/api/v1/clinic', testClinic), 403, 'forbidden');
    assertError(await admin.put('/api/v1/clinic', testClinic, { csrf: false }), 403, 'csrf_failed');
    assertError(await admin.put('/api/v1/clinic', { ...testClinic, fax: '03' }), 400, 'unknown_field', 'fax');
    assert.equal(sql(server.db, 'SELECT name FROM clinics;'), '');
  });

  test('full-width input is normalised, the update audited, the set-up done', async () => {
    const r = await admin.put('/api/v1/clinic', {
      ...testClinic, phone: '０３－１２３４－５６７８', postal_code: '１０５００１１', bank_account_type: '普通',
      bank_account_number: '１２３４５６７', bank_account_holder: 'ﾐﾅﾄﾋﾌｶ', doctor_licence: '第１２３４５６号',
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.setup_needed, false);
    assert.deepEqual(r.json.missing, []);
    const c = r.json.clinic;
    assert.equal(c.phone, '03-1234-5678');
    assert.equal(c.postal_code, '105-0011');
    assert.equal(c.bank_account_type, 'futsu');
    assert.equal(c.bank_account_number, '1234567');
    assert.equal(c.bank_account_holder, 'ミナトヒフカ');
    assert.equal(c.doctor_licence, '123456');
    assert.equal(typeof c.updated_at, 'string');
    const audit = sql(server.db, "SELECT actor_role || ' ' || object || ' ' || detail FROM audit_log WHERE action = 'clinic.update';");
    assert.match(audit, /^admin clinic:1 fields=name,postal_code,address,phone,hours,email,bank_name/);
    assert.doesNotMatch(audit, /1234567/, 'no bank account number in the audit log');
  });

  test('who sees what: the public subset hides the bank account, e-mail and licence', async () => {
    const pub = (await anon.get('/api/v1/clinic')).json.clinic;
    assert.equal(pub.name, testClinic.name);
    assert.equal(pub.phone, '03-1234-5678');
    assert.equal(pub.hours, testClinic.hours);
    assert.equal(pub.doctor_name, testClinic.doctor_name);
    assert.equal(pub.address, testClinic.address);
    for (const hidden of ['bank', 'bank_account_number', 'bank_name', 'email', 'doctor_licence', 'updated_by']) {
      assert.equal(pub[hidden], undefined, `${hidden} is not public`);
    }
    const patient = new Client(server.url);
    await patient.login('p1@patient.example', signupBody().password);
    const mine = (await patient.get('/api/v1/clinic')).json.clinic;
    assert.deepEqual(mine.bank, {
      bank_name: 'みなと銀行', bank_branch: '芝支店', account_type: 'futsu', account_type_label: { ja: '普通', en: 'ordinary' },
      account_number: '1234567', account_holder: 'ミナトヒフカ',
    });
    assert.equal(mine.email, testClinic.email);
    assert.equal(mine.doctor_licence, undefined);
    assert.equal(mine.bank_account_number, undefined, 'the form fields are the admin\'s');
    const recalls = (await patient.get('/api/v1/me/recalls')).json.contact;
    assert.deepEqual(recalls, { clinic_name: testClinic.name, clinic_phone: '03-1234-5678', clinic_hours: testClinic.hours });
  });

  test('the bank account may be removed as a whole, not in part', async () => {
    const none = { ...testClinic, bank_name: '', bank_branch: '', bank_account_type: '', bank_account_number: '', bank_account_holder: '' };
    const r = await admin.put('/api/v1/clinic', none);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.clinic.bank, null);
    // No account to pay into: a bank-transfer order is refused before anything else.
    const patient = new Client(server.url);
    await patient.login('p1@patient.example', signupBody().password);
    const order = await patient.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' });
    assertError(order, 409, 'clinic_bank_missing', 'payment_method');
    assert.match(order.json.error.message, /振込先の口座が未設定/);
    const cod = await patient.post('/api/v1/orders', { quantity: 1, payment_method: 'cash_on_delivery' });
    assert.notEqual(cod.json.error.code, 'clinic_bank_missing');
    const part = await admin.put('/api/v1/clinic', { ...none, bank_name: 'みなと銀行' });
    assertError(part, 400, 'invalid_fields', 'bank_branch');
    assert.equal(part.json.error.fields.length, 4);
    assert.equal((await admin.put('/api/v1/clinic', testClinic)).status, 200);
  });
});

describe('demo mode', () => {
  let server, admin;
  before(async () => {
    server = await startServer({ demo: true });
    admin = new Client(server.url);
    await admin.login('admin@clinic.example', 'admin-demo-pass');
  });
  after(async () => { await stopServer(server); });

  test('a demo database serves in demo mode with fictional details', async () => {
    const r = await new Client(server.url).get('/api/v1/clinic');
    assert.equal(r.json.mode, 'demo');
    assert.equal(r.json.setup_needed, false);
    assert.match(r.json.clinic.name, /【デモ】.*架空/);
    assert.equal(r.json.clinic.phone, '03-0000-1234');
    assert.match(server.stderr(), /demo mode/);
  });

  test('demo mode accepts the old placeholders (it is not for patients)', async () => {
    const r = await admin.put('/api/v1/clinic', { ...testClinic, name: 'exosafe クリニック', phone: '03-0000-0000' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.clinic.phone, '03-0000-0000');
  });
});
