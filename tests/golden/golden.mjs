// The CLI's outputs, byte for byte: a guard for refactors that must not change behaviour.
//
//   node tests/golden/golden.mjs [--update] [EXOSAFE]
//
// Runs the built exosafe (EXOSAFE, or build/exosafe) on the fixed inputs in tests/golden/inputs
// and on a database it builds the same way every time, and compares each command's standard
// output (NAME.out), exit status and standard error (NAME.err) with tests/golden/expected.
// --update rewrites the expected files instead (only after a change meant to alter an output,
// and say why in the commit). A failed run keeps its work folder (the database, the actual
// outputs) and prints where; GOLDEN_KEEP=1 keeps it after a pass too.
//
// Determinism: every exosafe process runs under libfaketime with a frozen wall clock
// (FAKETIME_DONT_FAKE_MONOTONIC keeps the server's timeouts real), TZ=UTC and LC_ALL=C.UTF-8.
// The database is built over HTTP at 2026-06-01T00:00:00Z (the server, init and demo under that
// frozen clock); the CLI commands then run at 2026-06-01T03:00:00Z. Passwords, session tokens
// and ingest keys are random but appear in no output compared here. The one normalisation:
// `exosafe signals` prints its phase times ("time: reading 0.01 s, ...") on standard error;
// that line's numbers are replaced by "N" (see normalise()).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const args = process.argv.slice(2);
const update = args.includes('--update');
const bin = resolve(args.find((a) => !a.startsWith('--')) ?? join(root, 'build', 'exosafe'));
const expectedDir = join(root, 'tests', 'golden', 'expected');
const inputs = 'tests/golden/inputs';   // relative: file names appear in the outputs
const BUILD_TIME = '2026-06-01 00:00:00';
const RUN_TIME = '2026-06-01 03:00:00';
const TODAY = '2026-06-01';             // the JST date at both instants
const IN_30_DAYS = '2026-07-01';

const work = mkdtempSync(join(tmpdir(), 'exosafe-golden-'));
// The wrapper the HTTP helpers start (EXOSAFE_BIN): exosafe under the frozen clock of the moment.
const wrapper = join(work, 'exosafe-frozen');
const clockFile = join(work, 'clock');
// libfaketime preloaded directly (the faketime program would stay between the HTTP helpers and the
// server, which then never gets their SIGTERM). FAKETIME_FORCE_MONOTONIC_FIX=0: with it, the
// server's timed waits on the monotonic clock return at once and its cold-chain watch spins.
const libfaketime = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'].find(existsSync);
if (!libfaketime) {
  console.error('golden: libfaketime is missing (Debian packages faketime and libfaketime, installed by scripts/deps.sh)');
  process.exit(1);
}
// verify_asan_link_order=0: the ASan build (make test runs this suite with it too) accepts a
// preloaded library ahead of its runtime.
writeFileSync(wrapper, `#!/bin/sh\nexec env TZ=UTC LC_ALL=C.UTF-8 LD_PRELOAD='${libfaketime}' FAKETIME="$(cat '${clockFile}')" \\
  FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 FAKETIME_NO_CACHE=1 \\
  ASAN_OPTIONS="verify_asan_link_order=0\${ASAN_OPTIONS:+:\$ASAN_OPTIONS}" '${bin}' "$@"\n`);
chmodSync(wrapper, 0o755);
const setClock = (t) => writeFileSync(clockFile, t);
process.env.EXOSAFE_BIN = wrapper;

/** Replaces what legitimately differs between runs (documented above). */
function normalise(name, stderr) {
  return stderr.replace(/^time: .*$/gm, (line) => line.replace(/\d+\.\d+/g, 'N'));
}

const results = [];   // {name, out: Buffer, err: string}
/** Runs exosafe with args at RUN_TIME from the repository root and records the outputs as name. */
function run(name, argv, { input, pipeFrom, files = [] } = {}) {
  // pipeFrom: standard input is a pipe from cat (node's own stdin is a socket, which
  // /dev/stdin cannot open), the way a shell user pipes an extract in.
  const r = pipeFrom
    ? spawnSync('sh', ['-c', 'cat "$0" | "$@"', pipeFrom, wrapper, ...argv], { cwd: root, maxBuffer: 64 << 20 })
    : spawnSync(wrapper, argv, { cwd: root, input: input ?? '', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  const err = `exit ${r.status}\n${normalise(name, r.stderr.toString('utf8'))}`;
  results.push({ name, out: r.stdout, err });
  for (const [suffix, path] of files) {
    results.push({ name: `${name}.${suffix}`, out: existsSync(path) ? readFileSync(path) : Buffer.from('(not written)\n'), err: null });
  }
  return r;
}

function must(r, what) {
  if (r.status < 200 || r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.json;
}

/** The clinic's data, built through the API at BUILD_TIME: two treated patients with one
 * assessed adverse event each, a storage unit with a logger holding the demo lot. */
async function buildDatabase(db) {
  const { startServer } = await import('../lib/server.mjs');
  const { Client, signupBody } = await import('../http/client.mjs');
  const server = await startServer({ db });
  try {
    const staff = async (email, password) => { const c = new Client(server.url); await c.login(email, password); return c; };
    const admin = await staff('admin@clinic.example', 'admin-demo-pass');
    const doctor = await staff('doctor@clinic.example', 'doctor-demo-pass');
    const pharmacist = await staff('pharmacist@clinic.example', 'pharmacist-demo-pass');
    const product = must(await doctor.get('/api/v1/products'), 'products').products[0];
    const lot = must(await pharmacist.get(`/api/v1/lots?product_id=${product.id}`), 'lots').lots[0];

    const patients = [
      { email: 'golden1@patient.example', name: '金田 一子', name_kana: 'カネダ イチコ', birth_date: '1985-04-01', age: 41, sex: 'female' },
      { email: 'golden2@patient.example', name: '銀川 二郎', name_kana: 'ギンカワ ジロウ', birth_date: '1990-08-15', age: 35, sex: 'male' },
    ];
    const assessments = [
      { terms: [{ code: 'pruritus', grade: 2 }], outcome: 'recovering', causality: 'probable', narrative: '塗布部位のそう痒' },
      { terms: [{ code: 'anaphylaxis', grade: 4 }, { code: 'urticaria', grade: 2 }], outcome: 'recovered', outcome_date: TODAY,
        causality: 'possible', life_threatening: true, hospitalization: true, narrative: '塗布後30分で全身のじんましんと呼吸困難' },
    ];
    const cases = [];
    for (const [i, who] of patients.entries()) {
      const p = new Client(server.url);
      const { age, ...profile } = who;
      const s = must(await p.signup(signupBody({ ...profile, password: 'golden-patient-pass' })), 'signup');
      const answers = { age, allergy: false, allergy_biologic: false, allergy_cosmetic: false, anaphylaxis: false,
        skin_site: ['none'], pregnancy: 'not_applicable', immunosuppression: false, cancer: false, malignancy: false, prior_treatment: false };
      const q = must(await p.post('/api/v1/questionnaire/responses', { questionnaire_id: 'exosome-cream', version: 2, answers }), 'answers');
      const c = must(await p.get('/api/v1/consent'), 'consent').consent;
      must(await p.post('/api/v1/consent', { consent_id: c.id, version: c.version, lang: 'ja', sha256: c.sha256.ja }), 'accept consent');
      must(await doctor.post(`/api/v1/patients/${s.user.id}/decision`, { response_id: q.response.id, decision: 'approved', notes: '問診票を確認',
        product_id: product.id, quantity: 1, directions: '1日1回、夜に塗布', valid_until: IN_30_DAYS, no_call_reason: '電話がつながらず、問診票の回答で判断した' }), 'decision');
      const o = must(await p.post('/api/v1/orders', { quantity: 1, payment_method: 'bank_transfer' }), 'order').order;
      must(await admin.post(`/api/v1/orders/${o.id}/payment`, { reference: `GOLDEN-${i + 1}` }), 'payment');
      must(await pharmacist.post(`/api/v1/orders/${o.id}/dispense`, {}), 'dispense');
      const r = must(await p.post('/api/v1/adverse-events', { order_id: o.id, symptoms: ['itching'], description: '塗ったところがかゆい',
        onset_date: TODAY, ongoing: false, severity: 'moderate' }), 'adverse event').report;
      must(await doctor.post(`/api/v1/adverse-events/${r.id}/assessments`, { lot_ids: [lot.id], ...assessments[i] }), 'assessment');
      cases.push({ id: r.id, patient: s.user.id });
    }
    const unit = must(await pharmacist.post('/api/v1/storage-units', { name: '薬局冷蔵庫', kind: 'refrigerator', location: '2F' }), 'unit').unit;
    must(await pharmacist.post('/api/v1/loggers', { code: 'GOLDEN-FRIDGE', unit_id: unit.id, interval_seconds: 300 }), 'logger');
    must(await pharmacist.post('/api/v1/loggers', { code: 'GOLDEN-FILE' }), 'second logger');
    must(await pharmacist.post(`/api/v1/lots/${lot.id}/placement`, { unit_id: unit.id }), 'placement');
    return { cases, lot };
  } finally {
    await server.stop();   // the CLI then has the database to itself
  }
}

function signalsCases() {
  const R = (f) => `${inputs}/${f}`;
  run('signals-default', ['signals', '--reports', R('reports.csv')]);
  run('signals-min1', ['signals', '--reports', R('reports.csv'), '--min-count', '1']);
  run('signals-json', ['signals', '--reports', R('reports.csv'), '--format', 'json', '--min-count', '2']);
  run('signals-prior', ['signals', '--reports', R('reports.csv'), '--prior', '0.2,0.1,2,4,0.3333333333333333']);
  run('signals-prior-json', ['signals', '--reports', R('reports.csv'), '--prior', '1.5,2,3,1,0.25', '--format', 'json']);
  run('signals-stdin', ['signals', '--reports', '/dev/stdin'], { pipeFrom: R('reports.csv') });
  run('signals-lots-product', ['signals', '--reports', R('reports_lots.csv')]);
  run('signals-lots-by-lot', ['signals', '--reports', R('reports_lots.csv'), '--by', 'lot', '--min-count', '1']);
  run('signals-lots-by-lot-json', ['signals', '--reports', R('reports_lots.csv'), '--by', 'lot', '--format', 'json']);
  run('signals-quoted', ['signals', '--reports', R('quoted.csv'), '--min-count', '1']);
  run('signals-quoted-json', ['signals', '--reports', R('quoted.csv'), '--min-count', '1', '--format', 'json']);
  run('signals-quoted-none', ['signals', '--reports', R('quoted.csv'), '--min-count', '1000', '--format', 'json']);
  run('signals-bad-newline', ['signals', '--reports', R('bad_newline.csv')]);
  run('signals-help', ['signals', '--help']);
  run('signals-usage', ['signals', '--reports', R('quoted.csv'), '--format', 'xml']);
  // The reader's refusals (tests/data/signals: one file per reason).
  const cases = readFileSync(join(root, 'tests/data/signals/cases.tsv'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  for (const [i, line] of cases.entries()) {
    const argv = line.split('\t')[0].replaceAll('{dir}', 'tests/data/signals').split(' ');
    run(`signals-case-${String(i + 1).padStart(2, '0')}`, ['signals', ...argv]);
  }
}

function adcheckCases() {
  const A = (f) => `${inputs}/${f}`;
  run('adcheck-text', ['adcheck', A('advert.txt'), A('advert.html'), A('clean.txt')]);
  run('adcheck-json', ['adcheck', '--format', 'json', A('advert.txt'), A('advert.html'), A('clean.txt')]);
  run('adcheck-en', ['adcheck', '--lang', 'en', A('advert.txt')]);
  run('adcheck-as-text', ['adcheck', '--input', 'text', A('advert.html')]);
  run('adcheck-stdin', ['adcheck', '--format', 'json', '-'], { input: readFileSync(join(root, A('advert.txt'))) });
  run('adcheck-clean', ['adcheck', A('clean.txt')]);
}

function databaseCases({ db, cases, lot }) {
  const out = (f) => join(work, f);
  run('import-temps', ['import-temps', '--db', db, '--logger', 'GOLDEN-FRIDGE', `${inputs}/fridge.csv`]);
  run('import-temps-again', ['import-temps', '--db', db, '--logger', 'GOLDEN-FRIDGE', `${inputs}/fridge.csv`]);
  run('import-temps-bad', ['import-temps', '--db', db, '--logger', 'GOLDEN-FRIDGE', `${inputs}/fridge_bad.csv`]);
  run('import-temps-preamble', ['import-temps', '--db', db, '--logger', 'GOLDEN-FILE', 'tests/data/coldchain/logger_export.csv']);
  for (const format of ['json', 'csv', 'svg']) run(`coldchain-logger-${format}`, ['coldchain', 'report', '--db', db, '--logger', 'GOLDEN-FRIDGE', '--format', format]);
  run('coldchain-logger-window', ['coldchain', 'report', '--db', db, '--logger', 'GOLDEN-FRIDGE', '--from', '2026-06-01T01:00:00Z', '--to', '2026-06-01T01:45:00+00:00']);
  run('coldchain-file-logger', ['coldchain', 'report', '--db', db, '--logger', 'GOLDEN-FILE', '--format', 'csv']);
  for (const format of ['json', 'csv', 'svg']) run(`coldchain-lot-${format}`, ['coldchain', 'report', '--db', db, '--lot', lot.lot_number, '--format', format]);
  for (const by of ['product', 'lot']) {
    run(`signals-db-${by}`, ['signals', '--db', db, '--by', by, '--min-count', '1']);
    run(`signals-db-${by}-json`, ['signals', '--db', db, '--by', by, '--min-count', '1', '--format', 'json']);
  }
  for (const [i, c] of cases.entries()) {
    for (const kind of ['fhir', 'e2b', 'pmda']) run(`export-${kind}-case${i + 1}`, ['export', kind, '--db', db, '--case', String(c.id), '--data', 'data']);
    run(`export-questionnaire-response-${i + 1}`, ['export', 'questionnaire-response', '--db', db, '--patient', String(c.patient), '--data', 'data']);
    run(`export-consent-${i + 1}`, ['export', 'consent', '--db', db, '--patient', String(c.patient), '--data', 'data']);
  }
  run('export-e2b-meddra', ['export', 'e2b', '--db', db, '--case', String(cases[0].id), '--data', 'data', '--meddra-version', '27.1']);
  run('export-fhir-out', ['export', 'fhir', '--db', db, '--case', String(cases[1].id), '--data', 'data', '--out', out('case.json')], { files: [['file', out('case.json')]] });
  run('export-questionnaire', ['export', 'questionnaire', '--data', 'data']);
  run('export-questionnaire-v1', ['export', 'questionnaire', '--version', '1', '--data', 'data']);
  run('export-missing-case', ['export', 'fhir', '--db', db, '--case', '999', '--data', 'data']);
  run('recall-csv', ['recall', '--db', db, '--lot', lot.lot_number, '--reason', '温度逸脱のため', '--notices', out('notices.html')], { files: [['notices', out('notices.html')]] });
  run('recall-json', ['recall', '--db', db, '--lot', lot.lot_number, '--format', 'json']);
  run('recall-unknown', ['recall', '--db', db, '--lot', 'NO-SUCH-LOT']);
}

function compare() {
  if (update) {
    rmSync(expectedDir, { recursive: true, force: true });
    mkdirSync(expectedDir, { recursive: true });
  }
  const seen = new Set();
  const bad = [];
  for (const { name, out, err } of results) {
    if (seen.has(name)) throw new Error(`two cases named ${name}`);
    seen.add(name);
    const pairs = [[`${name}.out`, out]];
    if (err !== null) pairs.push([`${name}.err`, Buffer.from(err)]);
    for (const [file, got] of pairs) {
      const path = join(expectedDir, file);
      if (update) { writeFileSync(path, got); continue; }
      if (!existsSync(path)) { bad.push(`${file}: no expected file (run with --update and commit it)`); continue; }
      const want = readFileSync(path);
      if (!want.equals(got)) {
        const at = [...Array(Math.min(want.length, got.length) + 1).keys()].find((k) => want[k] !== got[k]);
        const actual = join(work, 'actual');
        mkdirSync(actual, { recursive: true });
        writeFileSync(join(actual, file), got);
        bad.push(`${file}: differs from byte ${at} (expected ${want.length} bytes, got ${got.length}); kept as ${join(actual, file)}`);
      }
    }
  }
  if (!update) {
    for (const file of readdirSync(expectedDir)) {
      const name = file.replace(/\.(out|err)$/, '');
      if (!seen.has(name)) bad.push(`${file}: expected, but no case produced it`);
    }
  }
  return bad;
}

let ok = false;
try {
  // init and demo at BUILD_TIME into a database this script keeps; the server serves it.
  setClock(BUILD_TIME);
  const db = join(work, 'golden.db');
  for (const argv of [['init', '--db', db], ['demo', '--db', db]]) {
    const r = spawnSync(wrapper, argv, { cwd: root });
    if (r.status !== 0) throw new Error(`exosafe ${argv[0]}: ${r.stderr}`);
  }
  const built = await buildDatabase(db);
  setClock(RUN_TIME);
  signalsCases();
  adcheckCases();
  databaseCases({ db, ...built });
  const bad = compare();
  if (update) {
    console.log(`golden: wrote ${results.length} cases to ${expectedDir}`);
    ok = true;
  } else if (bad.length) {
    console.error(`golden: ${bad.length} output(s) changed:\n  ${bad.join('\n  ')}`);
    console.log(`${results.length - bad.length} passed, ${bad.length} failed`);
  } else {
    console.log(`golden: ${results.length} CLI outputs identical to tests/golden/expected`);
    console.log(`${results.length} passed, 0 failed`);
    ok = true;
  }
} catch (e) {
  console.error('golden:', e);
} finally {
  if (ok && !process.env.GOLDEN_KEEP) rmSync(work, { recursive: true, force: true });
  else console.error(`golden: work folder kept: ${work}`);
}
process.exit(ok ? 0 : 1);
