// Active follow-up for staff (issue 17): the check-ins nobody answered, with the patient's phone
// and a form to record the call (outcome; answers taken by phone); per product, the patients
// followed, person-months, the incidence of each symptom with its exact 95% interval, time to the
// first symptom as a Kaplan–Meier curve with its pointwise band (uPlot, steps), and each lot's
// MaxSPRT state (a signal highlighted, linked to the lot page); admins edit the product's plan
// (first days, repeat interval, disclosure on the public page). Numbers come from the server
// (docs/api.md, "Follow-up"); this page only draws them.

import uPlot from '/vendor/uplot/uPlot.esm.js';
import { api } from '../lib/api.js';
import { clearErrors, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { jstDay, timeElement } from '../lib/jst.js';
import { $, cell, el, fillDetails, hideAlert, showAlert } from '../lib/dom.js';
import { formatStat, symptomLabel } from '../lib/ae-shared.js';
import { phoneLink } from '../lib/clinic-info.js';
import { pick } from '../lib/levels.js';
import { formatDate, productName } from '../lib/trace.js';
import { runPage } from '../lib/page.js';
import { checkinFields, checkinFieldsEmpty, isoOf, readCheckinFields, resetCheckinFields } from '../lib/checkin-form.js';

const STATES = ['no_baseline', 'monitoring', 'signal', 'ended'];
const COLORS = { line: '#0b6e69', band: 'rgba(11, 110, 105, 0.16)', edge: 'rgba(11, 110, 105, 0.45)', axis: '#526167', grid: '#e3e9e8' };

const state = { user: null, items: [], products: [], productId: null, summary: null, calling: null, plot: null, saved: null };

/** Returns p (0..1) as a percentage with one decimal ("12.5%"), or a dash. */
function percent(p) {
  if (p === null || p === undefined || !Number.isFinite(Number(p))) return t('value.dash');
  return `${(Number(p) * 100).toFixed(1)}%`;
}

/** Returns "3.1–25.0%" for an interval, or a dash. */
function intervalText(lower, upper) {
  if (!Number.isFinite(Number(lower)) || !Number.isFinite(Number(upper)) || lower === null || upper === null) return t('value.dash');
  return `${(Number(lower) * 100).toFixed(1)}–${(Number(upper) * 100).toFixed(1)}%`;
}

const dayOf = (value) => { const iso = isoOf(value); return iso ? formatDate(jstDay(iso)) : t('value.dash'); };

// ---- Non-responders and the call form

function nonResponder(item) {
  const li = el('li', 'record nr-item');
  li.dataset.checkinId = String(item.checkin_id);
  const head = el('div', 'record__head');
  head.append(el('strong', 'record__title', item.patient_name ?? ''));
  if (item.calls > 0) head.append(el('span', 'badge badge--quiet', t('followup.nr.calls', { n: item.calls })));
  const phone = typeof item.phone === 'string' && item.phone ? phoneLink(item.phone) : el('span', 'muted', t('followup.nr.no_phone'));
  const dl = el('dl', 'details details--compact details--inline');
  fillDetails(dl, [
    [t('followup.nr.phone'), phone],
    [t('followup.nr.product'), pick(item.product_name)],
    [t('followup.nr.due'), dayOf(item.due_at)],
    [t('followup.nr.mailed'), timeElement(isoOf(item.mailed_at))],
    [t('followup.nr.reminded'), timeElement(isoOf(item.reminded_at))],
  ]);
  const button = el('button', 'btn btn--secondary btn--small', t('followup.nr.record'));
  button.type = 'button';
  button.dataset.call = String(item.checkin_id);
  button.addEventListener('click', () => openCall(item.checkin_id));
  li.append(head, dl, button);
  return li;
}

function renderNonResponders() {
  $('nr-list').replaceChildren(...state.items.map(nonResponder));
  $('nr-empty').hidden = state.items.length > 0;
  const item = state.items.find((i) => i.checkin_id === state.calling);
  if (!item) state.calling = null;
  $('call-card').hidden = !item;
  if (item) {
    $('call-heading').textContent = t('followup.call.heading', { name: item.patient_name ?? '', product: pick(item.product_name), due: dayOf(item.due_at) });
    $('call-phone').replaceChildren(...(item.phone ? [t('followup.nr.phone'), ': ', phoneLink(item.phone)] : []));
  }
  $('call-saved').hidden = !state.saved;
  $('call-saved').textContent = state.saved ?? '';
}

function openCall(id) {
  state.calling = id;
  state.saved = null;
  const form = $('call-form');
  form.reset();
  clearErrors(form);
  resetCheckinFields($('call-fields'));
  $('call-answers').hidden = true;
  renderNonResponders();
  $('call-card').focus();
  $('call-card').scrollIntoView({ block: 'start' });
}

function wireCall() {
  $('call-fields').replaceWith(Object.assign(checkinFields('call'), { id: 'call-fields' }));
  const form = $('call-form');
  form.addEventListener('change', (event) => {
    if (event.target.name === 'outcome') $('call-answers').hidden = event.target.value !== 'answered';
  });
  $('call-cancel').addEventListener('click', () => { state.calling = null; renderNonResponders(); });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const outcome = form.querySelector('input[name="outcome"]:checked')?.value;
    if (!outcome) { showError(form, { field: 'outcome', message: t('followup.call.need_outcome') }); return; }
    const body = { outcome };
    if (outcome === 'answered' && !checkinFieldsEmpty($('call-fields'))) {
      const read = readCheckinFields($('call-fields'));
      if (read.error) { showError(form, read.error); return; }
      body.answers = read.body;
    }
    const item = state.items.find((i) => i.checkin_id === state.calling);
    whileSubmitting(form, async () => {
      try {
        await api('POST', `/api/v1/checkins/${encodeURIComponent(state.calling)}/calls`, body);
      } catch (error) {
        showError(form, error);
        return;
      }
      state.saved = t('followup.call.saved', { name: item?.patient_name ?? '', outcome: t(`followup.outcome.${outcome}`) });
      state.calling = null;
      try { await loadNonResponders(); } catch { /* recorded; the list refreshes on the next visit */ }
      if (body.answers || outcome === 'answered') try { await loadSummary(); } catch { /* the summary keeps its last numbers */ }
      renderAll();
      $('call-saved').scrollIntoView({ block: 'center' });
    });
  });
}

// ---- The product's summary

function renderTotals() {
  const s = state.summary;
  fillDetails($('summary-totals'), [
    [t('followup.totals.followed'), t('followup.people', { n: s.patients_followed ?? 0 })],
    [t('followup.totals.person_months'), formatStat(s.person_months)],
    [t('followup.totals.events'), t('followup.people', { n: s.events ?? 0 })],
  ]);
}

function renderIncidence() {
  const rows = Array.isArray(state.summary.incidence) ? state.summary.incidence : [];
  $('incidence-body').replaceChildren(...rows.map((r) => {
    const tr = el('tr');
    tr.dataset.symptom = String(r.symptom);
    cell(tr, symptomLabel(r.symptom), 'text');
    cell(tr, r.patients ?? t('value.dash'), 'num');
    // The interval under the proportion, so the table fits a phone's width.
    const box = el('span');
    box.append(el('span', null, percent(r.proportion)), el('span', 'ci', intervalText(r.lower, r.upper)));
    cell(tr, box, 'num');
    return tr;
  }));
}

/**
 * uPlot data for the KM steps, drawn as explicit steps: S(t) starts at 1 at day 0 and each value
 * holds until the next time (a point at the next time with the old value, then the new one).
 * So a band end that is undefined after a step (S = 0 or 1: null) still has its level drawn up
 * to that step, and only the missing part is a gap.
 */
function kmData(km) {
  const num = (v) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  const steps = (Array.isArray(km) ? km : []).filter((k) => num(k.time_days) !== null);
  const xs = [0];
  const s = [1];
  const lo = [1];
  const hi = [1];
  for (const step of steps) {
    const x = num(step.time_days);
    if (x > 0) { // the level before this step, up to it
      xs.push(x);
      s.push(s[s.length - 1]);
      lo.push(lo[lo.length - 1]);
      hi.push(hi[hi.length - 1]);
    }
    xs.push(x);
    s.push(num(step.survival));
    lo.push(num(step.lower));
    hi.push(num(step.upper));
  }
  return [xs, s, lo, hi];
}

function drawKm() {
  const box = $('km-chart');
  state.plot?.destroy();
  state.plot = null;
  box.replaceChildren();
  const km = Array.isArray(state.summary?.km) ? state.summary.km : [];
  $('km-empty').hidden = km.length > 0;
  box.dataset.steps = String(km.length);
  box.dataset.drawn = 'false';
  box.dataset.productId = String(state.summary?.product?.id ?? state.productId ?? '');
  const last = km.length ? km[km.length - 1] : null;
  box.setAttribute('aria-label', t('followup.km.label', {
    n: state.summary?.patients_followed ?? 0,
    days: last ? formatStat(last.time_days) : 0,
    s: last ? percent(last.survival) : percent(1),
  }));
  if (km.length === 0) return;
  const width = Math.max(260, Math.floor(box.clientWidth));
  const font = '12px system-ui, -apple-system, "Hiragino Sans", "Noto Sans JP", sans-serif';
  const axis = { stroke: COLORS.axis, font, grid: { stroke: COLORS.grid, width: 1 }, ticks: { stroke: COLORS.grid, width: 1 } };
  const data = kmData(km);
  const maxX = Math.max(1, ...data[0]) * 1.04; // room after the last step
  state.plot = new uPlot({
    width,
    height: Math.round(Math.max(240, Math.min(340, width * 0.5))),
    legend: { show: false },
    padding: [12, 18, 0, 0],
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false, range: () => [0, maxX] }, y: { range: () => [0, 1] } },
    axes: [
      { ...axis, label: t('followup.km.x'), labelFont: font, incrs: [1, 2, 5, 7, 14, 30, 60, 91, 182, 365, 730], values: (u, splits) => splits.map((v) => `${v}`) },
      { ...axis, size: 54, label: t('followup.km.y'), labelFont: font, values: (u, splits) => splits.map((v) => `${Math.round(v * 100)}%`) },
    ],
    series: [
      {},
      { label: t('followup.km.key_line'), stroke: COLORS.line, width: 2, points: { show: false } },
      { label: 'lower', stroke: COLORS.edge, width: 1, dash: [5, 4], points: { show: false } },
      { label: 'upper', stroke: COLORS.edge, width: 1, dash: [5, 4], points: { show: false } },
    ],
    bands: [{ series: [3, 2], fill: COLORS.band }],
    hooks: { draw: [() => { box.dataset.drawn = 'true'; }] },
  }, data, box);
}

function stateBadge(lotState) {
  const known = STATES.includes(lotState) ? lotState : 'no_baseline';
  const badge = el('span', `status-badge maxsprt maxsprt--${known}`, t(`followup.state.${known}`));
  badge.dataset.state = String(lotState ?? '');
  return badge;
}

/** The state cell: the badge, and for a lot that signalled, when and at which look. */
function stateCell(lot) {
  const badge = stateBadge(lot.state);
  const at = isoOf(lot.signal_at);
  if (!at || !Number.isFinite(lot.signal_look)) return badge;
  const when = el('span', 'lot-signal-at muted', t('followup.lots.signal_at', { date: dayOf(at), look: lot.signal_look }));
  const box = el('span', 'lot-state');
  box.append(badge, when);
  return box;
}

function renderLots() {
  const s = state.summary;
  const lots = Array.isArray(s.lots) ? s.lots : [];
  const m = s.maxsprt ?? {};
  $('maxsprt-params').textContent = t('followup.lots.params', { alpha: m.alpha ?? '?', t: m.upper_limit ?? '?', m: m.min_events ?? '?' });
  $('lots-body').replaceChildren(...lots.map((lot) => {
    const tr = el('tr', lot.state === 'signal' ? 'row--signal' : '');
    tr.dataset.lotId = String(lot.lot_id);
    tr.dataset.state = String(lot.state ?? '');
    const link = el('a', 'mono', lot.lot_number ?? `#${lot.lot_id}`);
    link.href = `/lot.html?id=${encodeURIComponent(lot.lot_id)}`;
    cell(tr, link, 'text');
    cell(tr, lot.patients_followed ?? 0, 'num');
    cell(tr, formatStat(lot.person_months), 'num');
    cell(tr, lot.events ?? 0, 'num');
    cell(tr, lot.observed ?? 0, 'num');
    cell(tr, formatStat(lot.expected), 'num');
    cell(tr, formatStat(lot.llr), 'num');
    cell(tr, formatStat(lot.cv), 'num');
    cell(tr, lot.looks ?? 0, 'num');
    cell(tr, stateCell(lot), 'text');
    return tr;
  }));
  $('lots-empty').hidden = lots.length > 0;
}

function renderPlan() {
  const admin = state.user?.role === 'admin';
  $('plan-card').hidden = !admin || !state.summary;
  if (!admin || !state.summary) return;
  const plan = state.summary.plan ?? {};
  const form = $('plan-form');
  if (form.dataset.productId === String(state.productId)) return; // keep what the admin is typing
  form.dataset.productId = String(state.productId);
  $('plan-first-days').value = Array.isArray(plan.first_days) ? plan.first_days.join(', ') : '';
  $('plan-repeat-days').value = plan.repeat_days ?? '';
  $('plan-disclose').checked = Boolean(plan.disclose);
}

function renderSummary() {
  const select = $('product-select');
  select.replaceChildren(...state.products.map((p) => {
    const o = el('option', null, productName(p));
    o.value = String(p.id);
    return o;
  }));
  if (state.productId !== null) select.value = String(state.productId);
  $('summary').hidden = !state.summary;
  if (!state.summary) return;
  renderTotals();
  renderIncidence();
  renderLots();
  renderPlan();
}

function renderAll() {
  renderNonResponders();
  renderSummary();
  // On the first render the view is still hidden (no width to draw in): draw once it shows.
  if ($('followup-view').hidden) requestAnimationFrame(drawKm);
  else drawKm();
}

async function loadNonResponders() {
  const data = await api('GET', '/api/v1/followup/nonresponders');
  state.items = Array.isArray(data.items) ? data.items : [];
}

async function loadSummary() {
  hideAlert('summary-error');
  if (state.productId === null) { state.summary = null; return; }
  try {
    state.summary = await api('GET', `/api/v1/followup/products/${encodeURIComponent(state.productId)}`);
  } catch (error) {
    state.summary = null;
    showAlert('summary-error', error);
  }
}

async function load(user) {
  state.user = user;
  const [products] = await Promise.all([api('GET', '/api/v1/products'), loadNonResponders()]);
  state.products = Array.isArray(products.products) ? products.products : [];
  state.productId = state.products[0]?.id ?? null;
  await loadSummary();
}

/** Returns the plan form's body, or shows the first problem and returns null. */
function readPlan(form) {
  const parts = $('plan-first-days').value.split(/[,、\s]+/).filter(Boolean);
  const first = parts.map(Number);
  if (first.length === 0 || first.some((n) => !Number.isInteger(n) || n < 1)) {
    showError(form, { field: 'first_days', message: t('followup.plan.bad_first_days') });
    return null;
  }
  const repeat = Number($('plan-repeat-days').value);
  if (!Number.isInteger(repeat) || repeat < 1) {
    showError(form, { field: 'repeat_days', message: t('followup.plan.bad_repeat_days') });
    return null;
  }
  return { first_days: first, repeat_days: repeat, disclose: $('plan-disclose').checked };
}

function wire() {
  wireCall();
  $('product-select').addEventListener('change', async (event) => {
    state.productId = Number(event.target.value);
    await loadSummary();
    renderSummary();
    drawKm();
  });
  const form = $('plan-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = readPlan(form);
    if (!body) return;
    whileSubmitting(form, async () => {
      try {
        await api('PUT', `/api/v1/followup/products/${encodeURIComponent(state.productId)}/plan`, body);
      } catch (error) {
        showError(form, error);
        return;
      }
      await loadSummary();
      form.dataset.productId = '';
      renderSummary();
      showStatus(form, t('followup.plan.saved'));
    });
  });
  let width = window.innerWidth;
  window.addEventListener('resize', () => {
    if (Math.abs(window.innerWidth - width) < 40) return;
    width = window.innerWidth;
    drawKm();
  });
}

runPage({
  roles: ['doctor', 'pharmacist', 'admin'],
  load,
  wire,
  render: renderAll,
  view: 'followup-view',
});
