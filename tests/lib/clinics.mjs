// A second clinic on a test database, added with the CLI as a chain's operator would (issue
// 18): the suites about clinics, the registry and per-clinic mail share it.
import assert from 'node:assert/strict';
import { cli } from './server.mjs';

/** The second clinic's staff of the suites: role -> [e-mail, password]. */
export const NISHI_STAFF = {
  admin: ['admin@nishi.example', 'nishi-admin-pass'],
  doctor: ['doctor@nishi.example', 'nishi-doctor-pass'],
  pharmacist: ['pharmacist@nishi.example', 'nishi-pharm-pass'],
};

/**
 * Adds clinic `name` to db with staff (role -> [e-mail, password]; each named "西新宿 <role>"),
 * and, when officer ([e-mail, password]) is given, a safety officer of no clinic. Returns the
 * new clinic's id.
 */
export function addClinic(db, { name = '西新宿クリニック', staff = {}, officer } = {}) {
  const c = cli(['clinic', 'add', '--db', db, '--name', name]);
  assert.equal(c.status, 0, c.stderr);
  const id = Number(/created clinic (\d+)/.exec(c.stdout)[1]);
  for (const [role, [email, password]] of Object.entries(staff)) {
    const r = cli(['user', 'add', '--db', db, '--role', role, '--email', email, '--name', `西新宿 ${role}`,
      '--clinic', String(id)], `${password}\n`);
    assert.equal(r.status, 0, r.stderr);
  }
  if (officer) {
    const o = cli(['user', 'add', '--db', db, '--role', 'safety_officer', '--email', officer[0], '--name', '副作用 情報'],
      `${officer[1]}\n`);
    assert.equal(o.status, 0, o.stderr);
  }
  return id;
}
