// Browser test of the follow-up pages (issue 17) against the HTTP contract of CONTRACT17.md
// section 5, the follow-up routes answered by the test (page.route) and everything else by the
// real demo server: the pages are checked on their own, whatever the state of the server's
// follow-up data (followup.test.mjs runs the same flows against the real routes). Covers: the
// checklist's "nothing changed" excluding symptoms, a symptom without its severity refused on
// the page, the answer with a symptom leading to the AE report pre-filled and sent with
// checkin_id, stop with a reason and resume; the link page's answer and its expired, answered
// and unknown messages in Japanese and English; staff non-responders, a call recorded with phone
// answers, the summary with the Kaplan–Meier chart drawn and a signal lot highlighted, the
// admin's plan editor; the public product page's summary with suppressed cells; no sideways
// scroll at 390 px; no advertising claims in the pages' words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openPage, screenshot, shots, assertNoSidewaysScroll, openReady as openReadyAt, logIn as logInAt, DESKTOP, PHONE, jstDay, useBrowser, assertNoClaims } from '../lib/browser.mjs';
import { openPrefilledReport, tickSymptom } from './followup-steps.mjs';

const server = useBrowser({ demo: true });
const openReady = (page, path) => openReadyAt(page, server.url, path);
const logIn = (page, email, password) => logInAt(page, server.url, email, password);

const NOW = Math.floor(Date.now() / 1000);
const DAY = 86400;

function checkin(id, day, extra = {}) {
  return {
    id, product_id: 1, product_name: 'エクソソームクリーム(男性用)', day_offset: day, due_at: NOW - DAY + day, status: 'open',
    answered_at: null, answered_via: null, nothing_changed: null, symptoms: [], note: '', lots: [{ id: 1, lot_number: 'EXM-2611-A' }], ae_report_id: null, ...extra,
  };
}

/** Serves the follow-up routes of the contract from a little in-memory state; records requests. */
function mockFollowup(context, state) {
  const json = (route, status, body) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
  const error = (route, status, code, message, field) => json(route, status, { error: { code, message, ...(field ? { field } : {}) } });
  return context.route('**/api/v1/**', async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const path = url.pathname;
    const method = req.method();
    const body = req.postData() ? JSON.parse(req.postData()) : null;
    state.requests.push({ method, path, body });
    let m;
    if (path === '/api/v1/me/checkins' && method === 'GET') {
      return json(route, 200, { followup: state.followup, open: state.checkins.filter((c) => c.status === 'open'), answered: state.checkins.filter((c) => c.status !== 'open'), next_due_at: NOW + 30 * DAY });
    }
    if ((m = /^\/api\/v1\/checkins\/(\d+)$/.exec(path)) && method === 'GET') {
      const c = state.checkins.find((x) => x.id === Number(m[1]));
      return c ? json(route, 200, { checkin: c }) : error(route, 404, 'not_found', '見つかりません。');
    }
    if ((m = /^\/api\/v1\/checkins\/(\d+)\/answers$/.exec(path)) && method === 'POST') {
      const c = state.checkins.find((x) => x.id === Number(m[1]));
      if (!c) return error(route, 404, 'not_found', '見つかりません。');
      if (c.status !== 'open') return error(route, 409, 'already_answered', 'この確認には回答済みです。');
      if (body.nothing_changed && body.symptoms.length) return error(route, 400, 'invalid', '「変わりなし」と症状は同時に選べません。', 'symptoms');
      Object.assign(c, { status: 'answered', answered_at: NOW, answered_via: 'app', nothing_changed: body.nothing_changed, symptoms: body.symptoms, note: body.note });
      const prefill = body.symptoms.length ? {
        checkin_id: c.id, order_id: state.orderId, symptoms: body.symptoms.map((s) => s.symptom), severity: 'moderate',
        ongoing: body.symptoms.some((s) => s.still_present), onset_date: jstDay(0), description: `${c.day_offset}日目の確認: ${body.note}`,
      } : null;
      return json(route, 200, { checkin: c, ae_prefill: prefill });
    }
    if (path === '/api/v1/me/followup/withdraw' && method === 'POST') {
      state.followup = { status: 'withdrawn', withdrawn_at: NOW };
      return json(route, 200, { followup: state.followup });
    }
    if (path === '/api/v1/me/followup/resume' && method === 'POST') {
      state.followup = { status: 'active' };
      return json(route, 200, { followup: state.followup });
    }
    if (path === '/api/v1/adverse-events' && method === 'POST') {
      state.aeBody = body;
      const report = { id: 900, ...body, received_at: new Date().toISOString(), has_photo: false };
      state.reports.push(report);
      return json(route, 201, { report });
    }
    if (path === '/api/v1/adverse-events' && method === 'GET' && state.reports) return json(route, 200, { reports: state.reports });
    if (path === '/api/v1/orders' && method === 'GET' && state.orderId) {
      return json(route, 200, { orders: [{ id: state.orderId, status: 'delivered', created_at: new Date((NOW - 20 * DAY) * 1000).toISOString(), items: [] }] });
    }
    if ((m = /^\/api\/v1\/checkin-links\/([\w-]+)(\/answers)?$/.exec(path))) {
      const token = m[1];
      if (token === 'expired') return error(route, 410, 'link_expired', 'リンクの有効期限が切れています。');
      if (token !== 'good') return error(route, 404, 'not_found', '見つかりません。');
      const c = state.checkins.find((x) => x.id === state.linkId);
      if (!m[2]) return json(route, 200, { checkin: { id: c.id, due_at: c.due_at, day_offset: c.day_offset, product_name: c.product_name, status: c.status } });
      if (c.status !== 'open') return error(route, 409, 'already_answered', 'この確認には回答済みです。');
      Object.assign(c, { status: 'answered', answered_via: 'link', nothing_changed: body.nothing_changed, symptoms: body.symptoms });
      return json(route, 200, { checkin: c, ae_prefill: body.symptoms.length ? { checkin_id: c.id } : null });
    }
    if (path === '/api/v1/followup/nonresponders') return json(route, 200, { items: state.nonresponders });
    if ((m = /^\/api\/v1\/checkins\/(\d+)\/calls$/.exec(path)) && method === 'POST') {
      state.calls.push({ id: Number(m[1]), ...body });
      state.nonresponders = state.nonresponders.filter((i) => i.checkin_id !== Number(m[1]));
      return json(route, 201, { call: { id: 1 } });
    }
    if ((m = /^\/api\/v1\/followup\/products\/(\d+)\/plan$/.exec(path)) && method === 'PUT') {
      if (!body.first_days.every((d, i, a) => i === 0 || d > a[i - 1])) return error(route, 400, 'invalid', '日数は小さい順に書いてください。', 'first_days');
      state.summary.plan = body;
      return json(route, 200, { plan: body });
    }
    if (/^\/api\/v1\/followup\/products\/\d+$/.test(path)) return json(route, 200, state.summary);
    if (/^\/api\/v1\/public\/products\/\d+$/.test(path) && method === 'GET') {
      const real = await route.fetch();
      const data = await real.json();
      return json(route, real.status(), { ...data, followup: state.publicFollowup });
    }
    return route.continue();
  });
}

function summary() {
  const km = [];
  let s = 1;
  let atRisk = 40;
  for (const [time, events, censored] of [[3, 2, 1], [14, 3, 4], [30, 2, 6], [91, 1, 10], [182, 1, 10]]) {
    s *= 1 - events / atRisk;
    const half = 0.04 + time / 3000;
    km.push({ time_days: time, at_risk: atRisk, events, censored, survival: s, lower: Math.max(0, s - half), upper: Math.min(1, s + half / 2) });
    atRisk -= events + censored;
  }
  return {
    product: { id: 1, name: 'エクソソームクリーム(男性用)' },
    plan: { first_days: [3, 14, 30], repeat_days: 91, disclose: false },
    patients_followed: 40, person_months: 61.3, events: 9,
    incidence: [
      { symptom: 'redness', patients: 5, proportion: 0.125, lower: 0.0419, upper: 0.268 },
      { symptom: 'itching', patients: 4, proportion: 0.1, lower: 0.0279, upper: 0.2366 },
      { symptom: 'fever', patients: 0, proportion: 0, lower: 0, upper: 0.0881 },
    ],
    km,
    lots: [
      { lot_id: 1, lot_number: 'EXM-2611-A', patients_followed: 25, person_months: 40.1, events: 3, observed: 3, expected: 4.2, llr: 0, cv: 2.85, looks: 31, signal_at: null, signal_look: null, state: 'monitoring' },
      { lot_id: 2, lot_number: 'EXM-2611-B', patients_followed: 15, person_months: 21.2, events: 6, observed: 5, expected: 1.9, llr: 3.13, cv: 2.85, looks: 17, signal_at: 1796095800, signal_look: 14, state: 'signal' },
    ],
    maxsprt: { alpha: 0.05, upper_limit: 20, min_events: 2 },
  };
}

function newState() {
  return {
    requests: [], followup: { status: 'active' }, reports: [], calls: [], orderId: 41, linkId: 12,
    checkins: [
      checkin(10, 3), checkin(11, 14),
      checkin(12, 30),
      checkin(9, 3, { status: 'answered', product_name: { ja: 'エクソソームクリーム(女性用)', en: 'Exosome cream (women)' }, answered_at: NOW - 40 * DAY, answered_via: 'phone', nothing_changed: true, due_at: NOW - 41 * DAY }),
    ],
    nonresponders: [
      { checkin_id: 20, patient_id: 7, patient_name: '佐藤 花子', phone: '090-1111-2222', product_name: 'エクソソームクリーム(男性用)', due_at: NOW - 6 * DAY, mailed_at: NOW - 6 * DAY, reminded_at: NOW - 3 * DAY, calls: 1 },
      { checkin_id: 21, patient_id: 8, patient_name: '<b>Tanaka</b>', phone: null, product_name: 'エクソソームクリーム(男性用)', due_at: NOW - 5 * DAY, mailed_at: NOW - 5 * DAY, reminded_at: null, calls: 0 },
    ],
    summary: summary(),
    publicFollowup: {
      patients_followed: 40, months_followed: 61.3,
      incidence: [
        { symptom: 'redness', patients: 5, proportion: 0.125, lower: 0.0419, upper: 0.268, suppressed: false },
        { symptom: 'itching', patients: null, proportion: null, lower: null, upper: null, suppressed: true },
      ],
    },
  };
}

test('patient: nothing changed, a symptom to a pre-filled AE report, stop and resume (contract mock)', async () => {
  const state = newState();
  const { context, page, problems } = await openPage(PHONE);
  try {
    await mockFollowup(context, state);
    await logIn(page, 'taro@patient.example', 'patient-demo-pass');
    await openReady(page, '/checkins.html');
    assert.equal(await page.locator('.subnav a[aria-current="page"]').getAttribute('href'), '/checkins.html');
    assert.equal(await page.locator('#open-list li').count(), 3);
    assert.match(await page.textContent('#answered-list'), /変わりなし/);
    assert.match(await page.textContent('#answered-list'), /エクソソームクリーム\(女性用\)/);
    await screenshot(page, 'contract-checkins-phone.png');
    await assertNoSidewaysScroll(page, 'check-ins');

    // Day 3: "nothing changed" and symptoms exclude each other; a symptom needs its severity.
    await page.click('button[data-answer="10"]');
    await page.check('#checkin-sym-itching');
    assert.ok(await page.locator('[data-symptom="itching"] .checkin-symptom__detail').isVisible());
    await page.check('#checkin-nothing');
    assert.equal(await page.isChecked('#checkin-sym-itching'), false, 'nothing changed clears the symptoms');
    await page.check('#checkin-sym-itching');
    assert.equal(await page.isChecked('#checkin-nothing'), false, 'a symptom clears nothing changed');
    await page.click('#checkin-form button[type="submit"]');
    await page.waitForSelector('#checkin-symptoms-error:not([hidden])');
    assert.match(await page.textContent('#checkin-symptoms-error'), /かゆみ.*つらさ/);
    assert.equal(state.requests.filter((r) => r.method === 'POST' && r.path.includes('/checkins/')).length, 0, 'nothing was sent');
    await page.uncheck('#checkin-sym-itching');
    await page.check('#checkin-nothing');
    await page.click('#checkin-form button[type="submit"]');
    await page.waitForSelector('#answer-done:not([hidden])');
    assert.ok(await page.locator('#ae-offer').isHidden(), 'no AE report offered for nothing changed');
    assert.deepEqual(state.requests.find((r) => r.path === '/api/v1/checkins/10/answers').body, { nothing_changed: true, symptoms: [], note: '' });

    // Day 14: itching, moderate, still there → the AE report pre-filled, sent with checkin_id.
    await page.click('button[data-answer="11"]');
    await tickSymptom(page, 'checkin', 'itching', 'moderate', true);
    await tickSymptom(page, 'checkin', 'redness', 'mild', false);
    await page.fill('#checkin-note', '塗ったところがかゆい');
    await screenshot(page, 'contract-checkin-form-phone.png');
    await assertNoSidewaysScroll(page, 'check-in form');
    await page.click('#checkin-form button[type="submit"]');
    await page.waitForSelector('#ae-offer:not([hidden])');
    assert.deepEqual(state.requests.find((r) => r.path === '/api/v1/checkins/11/answers').body.symptoms, [
      { symptom: 'redness', severity: 'mild', still_present: false },
      { symptom: 'itching', severity: 'moderate', still_present: true },
    ]);
    await screenshot(page, 'contract-checkin-answered-phone.png');
    await openPrefilledReport(page, server.url, 11);
    assert.match(await page.textContent('#report-prefill'), /14日目の確認/);
    assert.equal(await page.isChecked('#sym-itching'), true);
    assert.equal(await page.isChecked('#sym-redness'), true);
    assert.equal(await page.isChecked('#sym-fever'), false);
    assert.equal(await page.isChecked('#report-severity-moderate'), true);
    assert.equal(await page.isChecked('#report-ongoing-yes'), true);
    assert.equal(await page.inputValue('#report-onset'), jstDay(0));
    assert.equal(await page.inputValue('#report-order'), '41');
    await screenshot(page, 'contract-report-prefilled-phone.png');
    await page.click('#report-form button[type="submit"]');
    await page.waitForSelector('#report-sent:not([hidden])');
    assert.equal(state.aeBody.checkin_id, 11);
    assert.deepEqual([...state.aeBody.symptoms].sort(), ['itching', 'redness']);
    // An unknown check-in: said so, and the form still works without a prefill.
    await openReady(page, '/report.html?checkin=999');
    assert.match(await page.textContent('#report-prefill'), /見つかりませんでした/);
    assert.ok(await page.locator('#report-form').isVisible());
    assert.equal(await page.isChecked('#sym-itching'), false);

    // Stop with a reason (refused without one), then resume.
    await openReady(page, '/checkins.html');
    await page.click('#stop-open');
    await page.click('#stop-form button[type="submit"]');
    await page.waitForSelector('#stop-reason-error:not([hidden])');
    assert.equal(state.followup.status, 'active');
    await page.fill('#stop-reason', '引っ越しのため');
    await page.click('#stop-form button[type="submit"]');
    await page.waitForSelector('#followup-state[data-status="withdrawn"]');
    assert.deepEqual(state.requests.find((r) => r.path === '/api/v1/me/followup/withdraw').body, { reason: '引っ越しのため' });
    assert.equal(await page.locator('button[data-answer]').count(), 0, 'no answering while stopped');
    await screenshot(page, 'contract-checkins-stopped-phone.png');
    await page.click('#resume-open');
    await page.click('#resume-form button[type="submit"]');
    await page.waitForSelector('#followup-state[data-status="active"]');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('link mode: answer without log-in; expired, answered and unknown links explained in both languages (contract mock)', async () => {
  const state = newState();
  const { context, page, problems } = await openPage(PHONE);
  try {
    await mockFollowup(context, state);
    await openReady(page, '/checkin.html?token=good');
    assert.match(await page.textContent('#link-heading'), /30日目の確認/);
    await page.check('#checkin-nothing');
    await screenshot(page, 'contract-checkin-link-phone.png');
    await assertNoSidewaysScroll(page, 'link page');
    await page.click('#checkin-form button[type="submit"]');
    await page.waitForSelector('#link-done:not([hidden])');
    assert.match(await page.textContent('#link-done'), /変わりなし/);
    await openReady(page, '/checkin.html?token=good');
    assert.equal(await page.getAttribute('#link-problem', 'data-problem'), 'answered');
    assert.ok(await page.locator('#link-form-card').isHidden());
    await openReady(page, '/checkin.html?token=expired');
    assert.equal(await page.getAttribute('#link-problem', 'data-problem'), 'expired');
    assert.match(await page.textContent('#link-problem'), /有効期限/);
    await screenshot(page, 'contract-checkin-link-expired-phone.png');
    await page.click('[data-lang-toggle]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await page.textContent('#link-problem'), /expired/);
    await openReady(page, '/checkin.html?token=nope');
    assert.equal(await page.getAttribute('#link-problem', 'data-problem'), 'unknown');
    assert.match(await page.textContent('#link-problem'), /cannot be used/);
    await page.click('[data-lang-toggle]');
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    await openReady(page, '/checkin.html');
    assert.equal(await page.getAttribute('#link-problem', 'data-problem'), 'unknown');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('staff: non-responders, a call with phone answers, the summary with the KM chart, the plan (contract mock)', async () => {
  const state = newState();
  for (const [options, suffix] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    const { context, page, problems } = await openPage(options);
    try {
      await mockFollowup(context, state);
      await logIn(page, 'admin@clinic.example', 'admin-demo-pass');
      await openReady(page, '/followup.html');
      await page.waitForSelector('#km-chart[data-drawn="true"]');
      assert.ok(await page.locator('#km-chart canvas').count() >= 1, 'the KM chart is drawn');
      assert.equal(await page.getAttribute('#km-chart', 'data-steps'), '5');
      assert.equal(await page.locator('#lots-body tr.row--signal').count(), 1);
      assert.equal(await page.getAttribute('#lots-body tr.row--signal a', 'href'), '/lot.html?id=2');
      // The lot fields of the sequential test: counted events, looks, and when it signalled (JST day).
      assert.deepEqual(await page.locator('#lots-body tr.row--signal td').allTextContents().then((c) => [c[4], c[8]]), ['5', '17']);
      assert.match(await page.textContent('#lots-body tr.row--signal .lot-signal-at'), /2026年12月1日.*14回目/);
      assert.equal(await page.locator('#lots-body tr:not(.row--signal) .lot-signal-at').count(), 0);
      assert.match(await page.textContent('#incidence-body tr[data-symptom="redness"]'), /12\.5%.*4\.2–26\.8%/);
      assert.ok(await page.locator('#plan-card').isVisible(), 'admins edit the plan');
      if (suffix === 'desktop') {
        assert.equal(await page.locator('#nr-list li').count(), 2);
        assert.match(await page.textContent('#nr-list li[data-checkin-id="20"]'), /090-1111-2222/);
        assert.equal(await page.getAttribute('#nr-list li[data-checkin-id="20"] a.clinic-phone', 'href'), 'tel:09011112222');
        assert.match(await page.textContent('#nr-list li[data-checkin-id="21"] .record__title'), /^<b>Tanaka<\/b>$/, 'names are text, not markup');
        await screenshot(page, `contract-followup-${suffix}.png`);
        await page.click('button[data-call="20"]');
        await page.click('#call-form button[type="submit"]');
        await page.waitForSelector('#call-outcome-error:not([hidden])');
        await page.check('#call-outcome-answered');
        await tickSymptom(page, 'call', 'fatigue', 'mild', false);
        await page.click('#call-form button[type="submit"]');
        await page.waitForSelector('#call-saved:not([hidden])');
        assert.deepEqual(state.calls[0], { id: 20, outcome: 'answered', answers: { nothing_changed: false, symptoms: [{ symptom: 'fatigue', severity: 'mild', still_present: false }], note: '' } });
        assert.equal(await page.locator('#nr-list li').count(), 1);
        // The plan: out of order days refused by the server, shown by the field; then saved.
        await page.fill('#plan-first-days', '14, 3');
        await page.click('#plan-form button[type="submit"]');
        await page.waitForSelector('#plan-first-days-error:not([hidden])');
        await page.fill('#plan-first-days', 'x');
        await page.click('#plan-form button[type="submit"]');
        await page.waitForSelector('#plan-first-days-error:not([hidden])');
        await page.fill('#plan-first-days', '3, 14, 30, 60');
        await page.check('#plan-disclose');
        await page.click('#plan-form button[type="submit"]');
        await page.waitForSelector('#plan-form [data-form-status]:not([hidden])');
        assert.deepEqual(state.summary.plan, { first_days: [3, 14, 30, 60], repeat_days: 91, disclose: true });
      } else {
        await assertNoSidewaysScroll(page, 'follow-up page');
        await screenshot(page, `contract-followup-${suffix}.png`);
        // The lots table scrolls inside its frame on a phone instead of squeezing its headings.
        await page.locator('#lots-table').scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(shots, 'contract-followup-lots-phone.png') });
      }
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
  // A doctor sees the page but not the plan editor.
  const { context, page } = await openPage(DESKTOP);
  try {
    await mockFollowup(context, state);
    await logIn(page, 'doctor@clinic.example', 'doctor-demo-pass');
    await openReady(page, '/followup.html');
    assert.ok(await page.locator('#plan-card').isHidden());
    assert.equal(await page.locator('.subnav a[href="/followup.html"]').count(), 1);
  } finally {
    await context.close();
  }
});

test('public product page: the follow-up summary with cells under 5 suppressed (contract mock)', async () => {
  const state = newState();
  for (const [options, suffix] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    const { context, page, problems } = await openPage(options);
    try {
      await mockFollowup(context, state);
      await openReady(page, '/product.html?id=1');
      assert.ok(await page.locator('#followup-section').isVisible());
      assert.match(await page.textContent('#followup-totals'), /40人/);
      assert.match(await page.textContent('#followup-totals'), /61か月/);
      assert.match(await page.textContent('#followup-body tr[data-symptom="redness"]'), /5人.*12\.5%4\.2%–26\.8%/);
      assert.equal(await page.getAttribute('#followup-body tr[data-symptom="itching"]', 'data-suppressed'), 'true');
      assert.match(await page.textContent('#followup-body tr[data-symptom="itching"]'), /5人未満/);
      await page.locator('#followup-section').scrollIntoViewIfNeeded();
      await screenshot(page, `contract-product-followup-${suffix}.png`);
      if (suffix === 'phone') await assertNoSidewaysScroll(page, 'public product page');
      await page.click('[data-lang-toggle]');
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      assert.match(await page.textContent('#followup-body tr[data-symptom="itching"]'), /fewer than 5/);
      await page.click('[data-lang-toggle]');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
  // Without a disclosed summary the section stays hidden.
  state.publicFollowup = null;
  const { context, page } = await openPage(DESKTOP);
  try {
    await mockFollowup(context, state);
    await openReady(page, '/product.html?id=1');
    assert.ok(await page.locator('#followup-section').isHidden());
  } finally {
    await context.close();
  }
});

test('the follow-up pages make no advertising claims', () => {
  assertNoClaims(['checkins', 'checkin', 'followup', 'product']);
});
