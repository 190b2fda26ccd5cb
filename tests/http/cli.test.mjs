// The exosafe command line: help, argument errors, init, user add, demo, audit verify, and
// serve's argument checks. Each test works on its own database in a temporary folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bin, cli as runCli, copyDb, dropTriggerSql, isPgUrl, newDb, root, sql, sqliteOnly } from '../lib/server.mjs';
import { SANITIZER } from './client.mjs';

/** Runs the CLI; any sanitizer report (the ASan build runs this suite too) fails the test. */
function cli(args, input) {
  const r = runCli(args, input);
  assert.doesNotMatch(r.stderr ?? '', SANITIZER, `sanitizer report from exosafe ${args.join(' ')}:\n${r.stderr}`);
  return r;
}

let dir;
let seq = 0;
before(() => { dir = mkdtempSync(join(tmpdir(), 'exosafe-cli-test-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

/**
 * A new database, initialised unless told otherwise: a path in the temporary folder, or on
 * PostgreSQL (EXOSAFE_TEST_STORE=pg) a new database's URL.
 */
function freshDb(init = true) {
  seq += 1;
  const db = newDb(dir, `t${seq}.db`);
  if (init) {
    const r = cli(['init', '--db', db]);
    assert.equal(r.status, 0, `init: ${r.stderr}`);
  }
  return db;
}

const userCount = (db) => Number(sql(db, 'SELECT count(*) FROM users;'));
const output = (r) => `${r.stdout}\n${r.stderr}`;

/** Runs `exosafe user add`; the password goes on stdin. */
function userAdd(db, { email, name = '鈴木 一郎', role = 'doctor', password = 'long-enough-password' }, extra = []) {
  return cli(['user', 'add', '--db', db, '--email', email, '--name', name, '--role', role, ...extra], `${password}\n`);
}

/** Runs the binary with a time limit (for serve, which would otherwise run forever). */
function runLimited(args, ms = 10000) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: ms });
  assert.doesNotMatch(r.stderr ?? '', SANITIZER, r.stderr);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('help', () => {
  test('exosafe --help exits 0 and names the subcommands', () => {
    const r = cli(['--help']);
    assert.equal(r.status, 0, r.stderr);
    for (const sub of ['serve', 'init', 'demo', 'user', 'audit']) assert.ok(r.stdout.includes(sub), `mentions ${sub}:\n${r.stdout}`);
  });

  for (const args of [['init'], ['serve'], ['demo'], ['user', 'add'], ['audit', 'verify']]) {
    test(`exosafe ${args.join(' ')} --help exits 0 and shows its usage`, () => {
      const r = cli([...args, '--help']);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.trim().length > 0, 'help on stdout');
      assert.ok(r.stdout.includes('--db'), `mentions --db:\n${r.stdout}`);
    });
  }
});

describe('argument errors', () => {
  test('an unknown subcommand exits non-zero and names it', () => {
    const r = cli(['frobnicate', '--db', join(dir, 'x.db')]);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes('frobnicate'), r.stderr);
  });

  test('no subcommand at all exits non-zero with usage on stderr', () => {
    const r = cli([]);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.trim().length > 0);
  });

  test('missing --db exits non-zero and names --db', () => {
    for (const args of [['init'], ['demo'], ['audit', 'verify']]) {
      const r = cli(args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.ok(r.stderr.includes('--db'), `${args.join(' ')}: ${r.stderr}`);
    }
    const r = cli(['user', 'add', '--email', 'x@clinic.example', '--name', 'X', '--role', 'doctor'], 'long-enough-password\n');
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes('--db'), r.stderr);
  });

  test('an unknown flag exits non-zero and names it', () => {
    const db = freshDb();
    const r = cli(['init', '--db', db, '--bogus']);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes('--bogus'), r.stderr);
    const r2 = cli(['audit', 'verify', '--db', db, '--frob=1']);
    assert.notEqual(r2.status, 0);
    assert.ok(r2.stderr.includes('--frob'), r2.stderr);
  });

  test('a flag without its value exits non-zero', () => {
    const r = cli(['init', '--db']);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes('--db'), r.stderr);
  });

  test('user add with a bad --role exits non-zero, names the role, adds no user', () => {
    const db = freshDb();
    for (const role of ['root', 'patient', '']) {
      const r = userAdd(db, { email: `bad-role-${role || 'empty'}@clinic.example`, role });
      assert.notEqual(r.status, 0, `role ${role}`);
      assert.match(r.stderr, /role/i, r.stderr);
    }
    assert.equal(userCount(db), 0);
  });

  test('serve with a bad port exits non-zero promptly and names the port', () => {
    const db = freshDb();
    for (const port of ['70000', '-1', 'abc', '']) {
      const r = runLimited(['serve', '--db', db, '--port', port, '--web', join(root, 'web')]);
      assert.equal(r.signal, null, `--port ${port}: must exit on its own, not be killed`);
      assert.notEqual(r.status, 0, `--port ${port}`);
      assert.match(r.stderr, /port/i, r.stderr);
    }
  });
});

describe('init', () => {
  test('init creates the schema and is idempotent, keeping data', () => {
    const db = freshDb(false);
    const a = cli(['init', '--db', db]);
    assert.equal(a.status, 0, a.stderr);
    const v = Number(sql(db, 'SELECT max(version) FROM schema_version;'));
    assert.ok(v >= 1, 'schema_version has a row');
    assert.equal(userAdd(db, { email: 'keep@clinic.example' }).status, 0);
    const b = cli(['init', '--db', db]);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(Number(sql(db, 'SELECT max(version) FROM schema_version;')), v, 'same version');
    assert.equal(userCount(db), 1, 'data kept');
  });

  test('init on a path in a missing folder exits non-zero with a message', () => {
    const r = cli(['init', '--db', join(dir, 'no', 'such', 'folder', 'x.db')]);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.trim().length > 0);
  });

  test('init on a file that is not a database exits non-zero', () => {
    const db = join(dir, 'not-a-database.txt');
    writeFileSync(db, 'this is plain text, not an SQLite database\n'.repeat(200));
    const r = cli(['init', '--db', db]);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.trim().length > 0);
    assert.match(readFileSync(db, 'utf8'), /^this is plain text/, 'the file is left alone');
  });
});

describe('user add', () => {
  test('reads the password from stdin and stores only a hash', () => {
    const db = freshDb();
    const r = userAdd(db, { email: 'Doc.Add@Clinic.Example', password: 'stdin-secret-pass' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(sql(db, "SELECT role FROM users WHERE email = 'doc.add@clinic.example';"), 'doctor', 'stored lower-case with its role');
    assert.ok(!sql(db, 'SELECT * FROM users;').includes('stdin-secret-pass'), 'password not stored in clear');
    assert.ok(!output(r).includes('stdin-secret-pass'), 'password not echoed');
    for (const role of ['pharmacist', 'admin']) {
      assert.equal(userAdd(db, { email: `${role}@clinic.example`, role }).status, 0);
    }
    assert.equal(userCount(db), 3);
  });

  test('a short password is refused, nothing added', () => {
    const db = freshDb();
    const r = userAdd(db, { email: 'short@clinic.example', password: 'short' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /password|パスワード/i, r.stderr);
    assert.equal(userCount(db), 0);
  });

  test('an empty stdin is refused, nothing added', () => {
    const db = freshDb();
    const r = cli(['user', 'add', '--db', db, '--email', 'empty@clinic.example', '--name', 'X', '--role', 'doctor'], '');
    assert.notEqual(r.status, 0);
    assert.equal(userCount(db), 0);
  });

  test('a duplicate e-mail (any case) is refused, no new row', () => {
    const db = freshDb();
    assert.equal(userAdd(db, { email: 'dup@clinic.example' }).status, 0);
    for (const email of ['dup@clinic.example', 'DUP@Clinic.Example']) {
      const r = userAdd(db, { email, role: 'admin' });
      assert.notEqual(r.status, 0, email);
      assert.ok(r.stderr.trim().length > 0);
    }
    assert.equal(userCount(db), 1);
    assert.equal(sql(db, 'SELECT role FROM users;'), 'doctor');
  });

  test('a bad e-mail is refused, nothing added', () => {
    const db = freshDb();
    const r = userAdd(db, { email: 'not-an-email' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /mail|メール/i, r.stderr);
    assert.equal(userCount(db), 0);
  });
});

describe('demo', () => {
  test('prints the demo log-ins on a new database, and refuses to run again', () => {
    const db = freshDb();
    const r = cli(['demo', '--db', db]);
    assert.equal(r.status, 0, r.stderr);
    for (const s of ['admin@clinic.example', 'admin-demo-pass', 'doctor@clinic.example', 'doctor-demo-pass',
      'pharmacist@clinic.example', 'pharmacist-demo-pass', 'hanako@patient.example', 'taro@patient.example',
      'patient-demo-pass']) assert.ok(r.stdout.includes(s), `prints ${s}`);
    const n = userCount(db);
    assert.ok(n >= 5);
    assert.ok(Number(sql(db, 'SELECT count(*) FROM patient_profiles;')) >= 2);
    const again = cli(['demo', '--db', db]);
    assert.notEqual(again.status, 0);
    assert.ok(again.stderr.trim().length > 0, 'says why');
    assert.equal(userCount(db), n, 'nothing added');
  });

  test('refuses a database that already has any user', () => {
    const db = freshDb();
    assert.equal(userAdd(db, { email: 'only@clinic.example', role: 'admin' }).status, 0);
    const r = cli(['demo', '--db', db]);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.trim().length > 0);
    assert.equal(userCount(db), 1);
  });
});

describe('EXOSAFE_NOW, the one clock', () => {
  /** Runs the CLI with EXOSAFE_NOW set. */
  const cliAt = (now, args) => {
    const r = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, EXOSAFE_NOW: now } });
    assert.doesNotMatch(r.stderr ?? '', SANITIZER, r.stderr);
    return r;
  };

  test('moves every date the demo writes: its lot, the audit rows', () => {
    const db = freshDb();
    const r = cliAt('2031-05-16T03:00:00Z', ['demo', '--db', db]);
    assert.equal(r.status, 0, r.stderr);
    // Made 30 days before 2031-05-16 (Japan time), expiring 335 days after it.
    assert.equal(sql(db, "SELECT lot_number || ' ' || manufactured_on || ' ' || expires_on FROM lots WHERE lot_number LIKE 'DEMO-%';"),
      'DEMO-203104 2031-04-16 2032-04-15');
    // The follow-up cohort's lots and deliveries are counted back from the moved clock too.
    assert.equal(sql(db, "SELECT manufactured_on FROM lots WHERE lot_number LIKE 'SERUM-%' ORDER BY manufactured_on;").split('\n').join(','), '2031-01-26,2031-02-25');
    const at = Number(sql(db, 'SELECT min(at) FROM audit_log;'));
    const want = Date.UTC(2031, 4, 16, 3) / 1000;
    assert.ok(at >= want && at < want + 120, `audit rows written at the moved clock (${at})`);
    assert.equal(cli(['audit', 'verify', '--db', db]).status, 0);
  });

  test('init records each migration at the moved clock', () => {
    const db = newDb(dir, `clock-init-${Date.now()}.db`);
    assert.equal(cliAt('2031-05-16T03:00:00Z', ['init', '--db', db]).status, 0);
    const want = Date.UTC(2031, 4, 16, 3) / 1000;
    const [lo, hi] = sql(db, 'SELECT min(applied_at) || \' \' || max(applied_at) FROM schema_version;').split(' ').map(Number);
    assert.ok(lo >= want && hi < want + 120, `schema_version.applied_at ${lo}..${hi}, SQLite's own clock not the one given`);
  });

  test('takes seconds since 1970 as well', () => {
    const db = freshDb();
    assert.equal(cliAt('1956000000', ['demo', '--db', db]).status, 0);  // 2031-12-26T19:20:00Z
    assert.equal(sql(db, "SELECT lot_number FROM lots WHERE lot_number LIKE 'DEMO-%';"), 'DEMO-203111');
  });

  for (const bad of ['tomorrow', '2031-13-01T00:00:00Z', '1899-12-31T00:00:00Z', '99999999999999999999']) {
    test(`refuses EXOSAFE_NOW=${bad} and changes nothing`, () => {
      const db = freshDb();
      const r = cliAt(bad, ['demo', '--db', db]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /EXOSAFE_NOW/);
      assert.equal(userCount(db), 0);
    });
  }
});

describe('export pmda', () => {
  // A demo database with one adverse-event case written straight into the tables (the HTTP
  // flow that creates cases is tested in ae.test.mjs); the onset is a fixed past day, so the
  // age at onset does not depend on today.
  let db, reportId, lotNumber;
  const one = (q) => sql(db, q).trim();
  const pmda = (extra) => cli(['export', 'pmda', '--db', db, '--data', `${root}/data`, ...extra]);
  const assess = (assessor, version, extra = '') => one(`INSERT INTO ae_assessments (report_id, version, terms_json, death,
      life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important, serious, outcome,
      outcome_date, causality, treatment, narrative, assessed_by, assessed_at)
    VALUES (${reportId}, ${version}, '[{"code":"pruritus","grade":2}]', 0, 0, 1, 0, 0, 0, 1, 'recovered', '2025-06-20',
      'possible', '使用中止', '塗布部位のそう痒${extra}', (SELECT id FROM users WHERE email = '${assessor}'), 1750400000);
    INSERT INTO ae_suspect_lots SELECT id, (SELECT min(id) FROM lots) FROM ae_assessments WHERE report_id = ${reportId} AND version = ${version};`);

  before(() => {
    db = freshDb();
    assert.equal(cli(['demo', '--db', db]).status, 0);
    lotNumber = one('SELECT lot_number FROM lots ORDER BY id LIMIT 1;');
    reportId = Number(one(`INSERT INTO ae_reports (patient_id, reported_by, reporter_role, symptoms_json, description,
        onset_date, ongoing, severity, received_at)
      SELECT id, id, 'patient', '["itching"]', 'かゆい <b>&</b>', '2025-06-15', 0, 'moderate', 1750000000
      FROM users WHERE email = 'hanako@patient.example'
      RETURNING id;`));
  });

  test('an unassessed case, or one a pharmacist assessed last, is refused and writes no file', () => {
    const out = join(dir, 'refused.html');
    let r = pmda(['--report', String(reportId), '--out', out]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no assessment/);
    assess('pharmacist@clinic.example', 1);
    r = pmda(['--report', String(reportId), '--out', out]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not made by a doctor/);
    assert.ok(!existsSync(out), 'no file on refusal');
    assert.equal(one(`SELECT count(*) FROM audit_log WHERE action = 'ae.export.pmda';`), '0');
  });

  test('a doctor-assessed case is written to --out as the A4 form, filled, and audited', () => {
    assess('doctor@clinic.example', 2);
    const out = join(dir, 'pmda.html');
    // The clinic's details come from the database (the admin's settings page), not the config.
    one(`UPDATE clinics SET name = '青山 <皮膚科> クリニック', phone = '03-5555-0101', postal_code = '107-0062',
      address = '東京都港区南青山1-1-1' WHERE id = 1;`);
    const r = pmda(['--report', String(reportId), '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '', 'the form goes to the file, not to stdout');
    const html = readFileSync(out, 'utf8');
    assert.match(html, /@page \{ size: A4;/);
    assert.match(html, /data-field="patient_initials">Y\.H\.</);
    assert.match(html, /data-field="age_at_onset" data-value="40">/, 'born 1985-04-01, onset 2025-06-15');
    assert.match(html, /data-field="seriousness_criteria" data-value="5">⑤</);
    assert.match(html, /data-field="outcome" data-value="回復"/);
    assert.match(html, /data-field="outcome_date" data-value="2025-06-20">2025年6月20日</);
    assert.ok(html.includes(`data-field="lot_numbers">${lotNumber}<`), 'the suspected lot');
    assert.match(html, /data-field="reporter_profession" data-value="医師"/);
    assert.match(html, /data-field="facility_name">青山 &lt;皮膚科&gt; クリニック</);
    assert.match(html, /data-field="facility_phone">03-5555-0101</);
    assert.match(html, /data-field="facility_address">〒107-0062 東京都港区南青山1-1-1</);
    assert.ok(html.includes('かゆい &lt;b&gt;&amp;&lt;/b&gt;'), 'escaped');
    assert.doesNotMatch(html, /山田/, 'no patient name');
    assert.equal(one(`SELECT count(*) FROM audit_log WHERE action = 'ae.export.pmda' AND detail = 'cli';`), '1');
    // Without --out the same form goes to stdout; --case is the same as --report.
    const std = pmda(['--case', String(reportId)]);
    assert.equal(std.status, 0, std.stderr);
    assert.match(std.stdout, /<h1>医薬品安全性情報報告書<\/h1>/);
  });

  test('bad arguments exit 2 and name the problem', () => {
    let r = pmda(['--report', 'x']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--case must be a case number/);
    r = pmda([]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--db and --case are required/);
    r = pmda(['--report', '999999']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no case 999999/);
    r = pmda(['--report', String(reportId), '--out', join(dir, 'no-such-folder', 'f.html')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no-such-folder/);
  });
});

describe('audit verify', () => {
  let base;
  let ids;
  before(() => {
    base = freshDb();
    const d = cli(['demo', '--db', base]);
    assert.equal(d.status, 0, d.stderr);
    for (let i = 0; i < 3; i++) assert.equal(userAdd(base, { email: `extra${i}@clinic.example` }).status, 0);
    ids = sql(base, 'SELECT id FROM audit_log ORDER BY id;').split('\n').map(Number);
  });

  /** Copies the base database, applies a tampering statement with the triggers dropped. */
  function tampered(statement) {
    seq += 1;
    const db = copyDb(base, dir, `tampered${seq}.db`);
    sql(db, `${dropTriggerSql(db, 'audit_log_no_update', 'audit_log')} ${dropTriggerSql(db, 'audit_log_no_delete', 'audit_log')} ${statement}`);
    return db;
  }
  const namesId = (r, id) => new RegExp(`(^|\\D)${id}(\\D|$)`).test(output(r));

  test('the setup wrote a chain long enough to tamper with', () => {
    assert.ok(ids.length >= 5, `audit rows: ${ids.length}`);
    assert.deepEqual(ids, ids.map((_, i) => ids[0] + i), 'ids are dense');
  });

  test('an intact chain exits 0', () => {
    const r = cli(['audit', 'verify', '--db', base]);
    assert.equal(r.status, 0, output(r));
  });

  test('an empty chain (fresh database) exits 0', () => {
    const r = cli(['audit', 'verify', '--db', freshDb()]);
    assert.equal(r.status, 0, output(r));
  });

  test("a row's object edited → non-zero, naming that row", () => {
    const victim = ids[Math.floor(ids.length / 2)];
    const db = tampered(`UPDATE audit_log SET object = 'user:999999' WHERE id = ${victim};`);
    const r = cli(['audit', 'verify', '--db', db]);
    assert.notEqual(r.status, 0);
    assert.ok(namesId(r, victim), `names row ${victim}:\n${output(r)}`);
  });

  test("a row's action edited → non-zero, naming that row", () => {
    const victim = ids[1];
    const db = tampered(`UPDATE audit_log SET action = 'auth.logout' WHERE id = ${victim};`);
    const r = cli(['audit', 'verify', '--db', db]);
    assert.notEqual(r.status, 0);
    assert.ok(namesId(r, victim), `names row ${victim}:\n${output(r)}`);
  });

  test('a middle row deleted → non-zero, naming the gap (the deleted id or the row after it)', () => {
    const victim = ids[Math.floor(ids.length / 2)];
    const db = tampered(`DELETE FROM audit_log WHERE id = ${victim};`);
    const r = cli(['audit', 'verify', '--db', db]);
    assert.notEqual(r.status, 0);
    assert.ok(namesId(r, victim) || namesId(r, victim + 1), `names row ${victim} or ${victim + 1}:\n${output(r)}`);
  });

  test("two rows' contents swapped (reordered) → non-zero, naming the first of them", () => {
    const a = ids[Math.floor(ids.length / 2) - 1];
    const b = a + 1;
    const cols = ['at', 'actor_id', 'actor_role', 'action', 'object', 'detail', 'prev_hash', 'hash'];
    const set = (from) => cols.map((c) => `${c} = (SELECT ${c} FROM tmp WHERE id = ${from})`).join(', ');
    const db = tampered(`CREATE TEMP TABLE tmp AS SELECT * FROM audit_log WHERE id IN (${a}, ${b});
      UPDATE audit_log SET ${set(b)} WHERE id = ${a};
      UPDATE audit_log SET ${set(a)} WHERE id = ${b};`);
    assert.notEqual(sql(db, `SELECT hash FROM audit_log WHERE id = ${a};`), sql(base, `SELECT hash FROM audit_log WHERE id = ${a};`), 'swapped');
    const r = cli(['audit', 'verify', '--db', db]);
    assert.notEqual(r.status, 0);
    assert.ok(namesId(r, a), `names row ${a}:\n${output(r)}`);
  });

  test('a hash recomputed by hand does not hide an edit (prev_hash of the next row no longer matches)', () => {
    const victim = ids[2];
    // Replace the victim's hash with a plausible-looking one: the next row's link breaks.
    const db = tampered(`UPDATE audit_log SET object = 'user:1', hash = '${'a'.repeat(64)}' WHERE id = ${victim};`);
    const r = cli(['audit', 'verify', '--db', db]);
    assert.notEqual(r.status, 0);
    assert.ok(namesId(r, victim), `names row ${victim}:\n${output(r)}`);
  });
});

describe('databases a command must not use', () => {
  const serveArgs = (db) => ['serve', '--db', db, '--port', '1', '--web', join(root, 'web'), '--data', join(root, 'data')];
  /** A fresh database changed by statement (with the sqlite3 shell, or psql on PostgreSQL). */
  function changed(statement) {
    const db = freshDb();
    sql(db, statement);
    return db;
  }
  const newer = () => changed("INSERT INTO schema_version (version, name, applied_at) VALUES (999, '0999_future.sql', 0);");

  test('serve and audit verify refuse a database from a newer exosafe, naming it and what to do', () => {
    const db = newer();
    for (const args of [serveArgs(db), ['audit', 'verify', '--db', db], ['demo', '--db', db]]) {
      const r = runLimited(args);
      assert.equal(r.status, 1, `${args[0]}: ${output(r)}`);
      assert.ok(r.stderr.includes(db), `names the path: ${r.stderr}`);
      assert.match(r.stderr, /schema version 999, newer than this exosafe knows/);
      assert.match(r.stderr, /run that version/);
    }
    const init = cli(['init', '--db', db]);
    assert.equal(init.status, 1);
    assert.match(init.stderr, /newer than this exosafe knows/);
  });

  test('audit verify and serve on a missing path refuse and create no file', () => {
    for (const args of [(p) => ['audit', 'verify', '--db', p], serveArgs, (p) => ['demo', '--db', p]]) {
      const db = join(dir, `missing-${seq += 1}.db`);
      const r = runLimited(args(db));
      assert.equal(r.status, 1, output(r));
      assert.match(r.stderr, /cannot open database .*: it does not exist \(nothing was created\); make one with: exosafe init --db/);
      assert.ok(r.stderr.includes(db));
      for (const ext of ['', '-wal', '-shm']) assert.ok(!existsSync(db + ext), `${db}${ext} not created`);
    }
  });

  test('init refuses a database with a table, a column or the version table dropped; serve too', () => {
    const cases = [
      ['DROP TABLE mail_outbox;', /should have table mail_outbox/],
      ['ALTER TABLE users DROP COLUMN lang;', /should have column users\.lang/],
      [(db) => dropTriggerSql(db, 'audit_log_no_delete', 'audit_log'), /should have trigger audit_log_no_delete/],
      ['DROP TABLE schema_version;', /table schema_version/],
    ];
    // Every table, index and trigger: what init must not add to a damaged database.
    const objects = (db) => sql(db, isPgUrl(db)
      ? "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public') + (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal);"
      : 'SELECT count(*) FROM sqlite_master;');
    for (const [change, missing] of cases) {
      const db = freshDb();
      const statement = typeof change === 'function' ? change(db) : change;
      sql(db, statement);
      const before = objects(db);
      const r = cli(['init', '--db', db]);
      assert.equal(r.status, 1, `${statement} ${output(r)}`);
      assert.match(r.stderr, /is damaged/);
      assert.match(r.stderr, missing);
      assert.match(r.stderr, isPgUrl(db) ? /pg_restore/ : /exosafe restore/);
      assert.ok(r.stderr.includes(db));
      assert.equal(objects(db), before, 'nothing was created');
      const s = runLimited(serveArgs(db));
      assert.equal(s.status, 1, output(s));
      assert.match(s.stderr, missing);
    }
  });

  test('a database of an older schema: init migrates it, other commands and serve say to run init', () => {
    // The newest migration (0020) undone: its table, view and triggers gone, and its row.
    const db = freshDb();
    sql(db, (isPgUrl(db) ? [
      'DROP FUNCTION ae_signal_reports_pairs CASCADE;',
    ] : [
      'DROP TRIGGER ae_signal_reports_pair; DROP TRIGGER ae_signal_reports_pair_gone;',
    ]).concat([
      'DROP VIEW ae_signal_reports_joined; DROP TABLE ae_signal_reports;',
      'DELETE FROM schema_version WHERE version = 20;',
    ]).join(' '));
    for (const args of [serveArgs(db), ['demo', '--db', db]]) {
      const r = runLimited(args);
      assert.equal(r.status, 1, output(r));
      assert.match(r.stderr, /older than this exosafe.*exosafe init --db/);
    }
    assert.equal(cli(['audit', 'verify', '--db', db]).status, 0, 'an older schema can be verified');
    assert.equal(cli(['init', '--db', db]).status, 0);
    assert.equal(cli(['demo', '--db', db]).status, 0);
  });

  test('audit verify: an intact chain with the audit triggers dropped still fails, saying why', () => {
    const db = freshDb();
    sql(db, dropTriggerSql(db, 'audit_log_no_update', 'audit_log'));
    const r = cli(['audit', 'verify', '--db', db]);
    assert.equal(r.status, 1, output(r));
    assert.match(r.stderr, /should have trigger audit_log_no_update/);
    assert.match(r.stdout, /chain intact .* but the schema is damaged/);
  });

  // root ignores file modes, so a chmod 0444 copy proves nothing: the copy is read through a
  // read-only bind mount in a private mount namespace (unshare -m), where every write fails
  // with EROFS whoever asks. Skipped where unshare or mount is not allowed.
  const roProbe = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind / /mnt && mount -o remount,bind,ro /mnt'], { encoding: 'utf8' });
  test('audit verify reads a copy on a read-only file system and writes nothing there', {
    skip: sqliteOnly('copies the database file and its -wal onto a read-only mount') || (roProbe.status !== 0 && 'needs unshare -m and mount (root)'),
  }, () => {
    const src = mkdtempSync(join(dir, 'ro-src-'));
    const view = mkdtempSync(join(dir, 'ro-view-'));
    const live = freshDb();
    assert.equal(cli(['demo', '--db', live]).status, 0);
    copyFileSync(live, join(src, 'copy.db'));
    const underRo = (cmd) => spawnSync('unshare', ['-m', 'sh', '-c',
      `mount --bind '${src}' '${view}' && mount -o remount,bind,ro '${view}' && ${cmd}`], { encoding: 'utf8' });
    const touch = underRo(`touch '${view}/probe'`);
    assert.notEqual(touch.status, 0, 'the view is read-only even for root');
    assert.match(touch.stderr, /Read-only file system/);
    const r = underRo(`'${bin}' audit verify --db '${view}/copy.db'`);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /audit log intact: \d+ rows/);
    assert.deepEqual(readdirSync(src), ['copy.db'], 'no -wal or -shm made beside it');

    // A copy whose -wal holds commits but without its -shm cannot be read without writing:
    // refused, naming the log, rather than read without those commits.
    rmSync(join(src, 'copy.db'));
    const w = spawnSync('python3', ['-c', `
import sqlite3, shutil
c = sqlite3.connect('${live}'); c.execute('PRAGMA wal_autocheckpoint = 0')
c.execute("INSERT INTO login_failures (subject, at) VALUES ('x', 1)"); c.commit()
shutil.copy('${live}', '${src}/copy.db'); shutil.copy('${live}-wal', '${src}/copy.db-wal')
c.close()`], { encoding: 'utf8' });
    assert.equal(w.status, 0, w.stderr);
    const refused = underRo(`'${bin}' audit verify --db '${view}/copy.db'`);
    assert.equal(refused.status, 1, `${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /write-ahead log .*copy\.db-wal holds commits/);
  });
});
