// Side-effect report (patients): the seed's symptom checklist, free text, the day it began,
// whether it continues, how bad it is and an optional photo (JPEG/PNG up to 5 MB, checked here,
// uploaded after the report with POST /api/v1/adverse-events/{id}/photo), with the 119 note at
// the top; after sending, the report as received and the patient's past reports.

import { api, apiUpload } from '../lib/api.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { jstDay, timeElement, todayJst } from '../lib/jst.js';
import { $, el, fillDetails, queryParam, showAlert } from '../lib/dom.js';
import { severityLabel, symptomsText } from '../lib/ae-shared.js';
import { formatDate } from '../lib/trace.js';
import { runPage } from '../lib/page.js';
import { checkinTitle, isoOf, prefillKey } from '../lib/checkin-form.js';

const PHOTO_TYPES = ['image/jpeg', 'image/png'];
const PHOTO_MAX_BYTES = 5 * 1024 * 1024;
const REPORTABLE = ['dispensed', 'shipped', 'delivered'];

const state = { orders: [], reports: [], sent: null, photoFailed: null, checkin: null, prefill: null };
const SEVERITY_RANK = { mild: 1, moderate: 2, severe: 3 };

/** The AE prefill of a check-in's answer (the shape of ae_prefill in docs/api.md) from the check-in itself. */
function prefillFromCheckin(c) {
  const symptoms = Array.isArray(c.symptoms) ? c.symptoms : [];
  const worst = symptoms.reduce((w, s) => ((SEVERITY_RANK[s.severity] ?? 0) > (SEVERITY_RANK[w] ?? 0) ? s.severity : w), null);
  return {
    checkin_id: c.id,
    order_id: c.order_id ?? c.anchor_order_id ?? null,
    symptoms: symptoms.map((s) => s.symptom),
    severity: worst,
    ongoing: symptoms.some((s) => s.still_present),
    onset_date: jstDay(isoOf(c.answered_at) ?? ''),
    description: c.note ?? '',
  };
}

/** Loads the prefill for ?checkin=ID; a check-in already reported or without symptoms pre-fills nothing. */
async function loadPrefill() {
  const id = queryParam('checkin');
  if (!/^\d+$/.test(id ?? '')) return;
  let data;
  try {
    data = await api('GET', `/api/v1/checkins/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    state.checkin = { id: Number(id), missing: true }; // the form stays usable without a prefill
    return;
  }
  const c = data.checkin ?? data; // the check-in, bare or under 'checkin'
  state.checkin = c;
  if (c.ae_report_id || c.status !== 'answered' || !Array.isArray(c.symptoms) || c.symptoms.length === 0) return;
  let kept = null;
  try { kept = JSON.parse(sessionStorage.getItem(prefillKey(id)) ?? 'null'); } catch { kept = null; }
  state.prefill = kept && Array.isArray(kept.symptoms) ? kept : prefillFromCheckin(c);
}

/** Fills the form from the check-in's prefill (the patient confirms or corrects it). */
function applyPrefill() {
  const p = state.prefill;
  if (!p) return;
  renderOrders();
  if (p.order_id && [...$('report-order').options].some((o) => o.value === String(p.order_id))) $('report-order').value = String(p.order_id);
  for (const code of p.symptoms ?? []) {
    const box = document.getElementById(`sym-${code}`);
    if (box) box.checked = true;
  }
  if (p.severity) { const r = document.getElementById(`report-severity-${p.severity}`); if (r) r.checked = true; }
  if (typeof p.ongoing === 'boolean') $(p.ongoing ? 'report-ongoing-yes' : 'report-ongoing-no').checked = true;
  if (p.onset_date) $('report-onset').value = p.onset_date;
  if (p.description) $('report-description').value = p.description;
}

function renderPrefill() {
  const box = $('report-prefill');
  const c = state.checkin;
  box.hidden = !c || state.sent !== null;
  if (!c) return;
  if (c.missing) { box.textContent = t('report.prefill.not_found'); return; }
  const what = checkinTitle(c);
  box.dataset.checkinId = String(c.id ?? '');
  box.textContent = c.ae_report_id ? t('report.prefill.already', { what, id: c.ae_report_id })
    : state.prefill ? t('report.prefill.text', { what }) : t('report.prefill.none', { what });
}

/** Returns an error message for file, or null when it may be sent. */
function photoProblem(file) {
  if (!file) return null;
  if (!PHOTO_TYPES.includes(file.type)) return t('report.photo.type');
  if (file.size > PHOTO_MAX_BYTES) return t('report.photo.size');
  if (file.size === 0) return t('report.photo.empty');
  return null;
}

function reportItem(report) {
  const li = el('li', 'record ae-report');
  li.dataset.reportId = String(report.id);
  const head = el('div', 'record__head');
  // Whether staff have reviewed it: the patient knows the report was read, and when.
  const reviewed = typeof report.reviewed_at === 'string';
  const badge = el('span', `status-badge ${reviewed ? 'status-badge--reviewed' : 'status-badge--review-pending'} report-review`,
    reviewed ? t('report.review.done', { date: formatDate(jstDay(report.reviewed_at)) }) : t('report.review.waiting'));
  badge.dataset.reviewed = String(reviewed);
  head.append(el('strong', 'record__title', t('report.number', { id: report.id })), badge);
  const dl = el('dl', 'details details--compact');
  fillDetails(dl, [
    [t('report.field.symptoms'), symptomsText(report.symptoms)],
    [t('report.field.description'), report.description],
    [t('report.field.onset'), formatDate(report.onset_date)],
    [t('report.field.ongoing'), report.ongoing ? t('report.form.ongoing_yes') : t('report.form.ongoing_no')],
    [t('report.field.severity'), severityLabel(report.severity)],
    [t('report.field.photo'), report.has_photo ? t('report.photo.attached') : t('report.photo.none')],
    [t('report.field.order'), report.order_id ? t('order.number', { id: report.order_id }) : ''],
    [t('report.field.received_at'), timeElement(report.received_at)],
    [t('report.field.reviewed_at'), reviewed ? timeElement(report.reviewed_at) : t('report.review.waiting_long')],
  ]);
  dl.querySelectorAll('dd')[1]?.classList.add('pre-wrap');
  li.append(head, dl);
  return li;
}

function renderOrders() {
  const select = $('report-order');
  const chosen = select.value || queryParam('order') || '';
  const eligible = state.orders.filter((o) => REPORTABLE.includes(o.status));
  select.replaceChildren(...eligible.map((o) => {
    const option = el('option', null, t('report.order_option', { id: o.id, date: formatDate(jstDay(o.created_at)) }));
    option.value = String(o.id);
    return option;
  }));
  if (eligible.some((o) => String(o.id) === chosen)) select.value = chosen;
  const none = eligible.length === 0;
  $('report-form-card').hidden = none || state.sent !== null;
  if (none && state.sent === null) showAlert('page-error', { message: t('report.no_order') });
}

function renderSent() {
  const box = $('report-sent');
  box.hidden = state.sent === null;
  if (!state.sent) return;
  const list = el('ul', 'record-list');
  list.append(reportItem(state.sent));
  $('report-sent-item').replaceChildren(list);
  const warning = $('report-photo-warning');
  warning.hidden = !state.photoFailed;
  warning.textContent = state.photoFailed ? t('report.photo.failed', { reason: state.photoFailed }) : '';
}

function renderPast() {
  const past = state.reports.filter((r) => r.id !== state.sent?.id);
  $('past-reports').replaceChildren(...past.map(reportItem));
  $('past-empty').hidden = past.length > 0;
}

function render() {
  renderOrders();
  renderSent();
  renderPast();
  renderPrefill();
}

async function loadReports() {
  const data = await api('GET', '/api/v1/adverse-events');
  state.reports = Array.isArray(data.reports) ? data.reports : [];
}

function showPreview() {
  const input = $('report-photo');
  const preview = $('report-photo-preview');
  const file = input.files?.[0] ?? null;
  const slot = $('report-photo-error');
  const problem = photoProblem(file);
  slot.textContent = problem ?? '';
  slot.hidden = !problem;
  if (problem) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  preview.hidden = true;
  preview.removeAttribute('src');
  if (!file || problem) return;
  // The page's policy allows data: images but not blob: ones.
  const reader = new FileReader();
  reader.addEventListener('load', () => {
    preview.src = String(reader.result);
    preview.alt = t('report.photo.preview');
    preview.hidden = false;
  });
  reader.readAsDataURL(file);
}

/** Checks the form on the page; returns the request body, or shows the first problem and returns null. */
function readForm(form) {
  const symptoms = [...form.querySelectorAll('input[name="symptoms"]:checked')].map((i) => i.value);
  const ongoing = form.querySelector('input[name="ongoing"]:checked')?.value;
  const severity = form.querySelector('input[name="severity"]:checked')?.value;
  const onset = $('report-onset').value;
  const orderId = Number($('report-order').value);
  const problem = (field, key) => { showError(form, { field, message: t(key) }); return null; };
  if (!orderId) return problem('order_id', 'report.need_order');
  if (symptoms.length === 0) return problem('symptoms', 'report.need_symptom');
  if (!onset) return problem('onset_date', 'report.need_onset');
  if (onset > todayJst()) return problem('onset_date', 'report.onset_future');
  if (ongoing === undefined) return problem('ongoing', 'report.need_ongoing');
  if (!severity) return problem('severity', 'report.need_severity');
  const photo = $('report-photo').files?.[0] ?? null;
  const bad = photoProblem(photo);
  if (bad) { showError(form, { field: 'photo', message: bad }); return null; }
  const body = { order_id: orderId, symptoms, onset_date: onset, ongoing: ongoing === 'true', severity };
  const description = $('report-description').value.trim();
  if (description) body.description = description;
  if (state.prefill) body.checkin_id = Number(state.prefill.checkin_id ?? state.checkin.id);
  return body;
}

function wire() {
  $('report-photo').addEventListener('change', showPreview);
  const form = $('report-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = readForm(form);
    if (!body) return;
    const photo = $('report-photo').files?.[0] ?? null;
    whileSubmitting(form, async () => {
      let report;
      try {
        report = (await api('POST', '/api/v1/adverse-events', body)).report;
      } catch (error) {
        showError(form, error);
        return;
      }
      state.photoFailed = null;
      if (photo) {
        try {
          await apiUpload(`/api/v1/adverse-events/${encodeURIComponent(report.id)}/photo`, photo);
          report.has_photo = true;
        } catch (error) {
          state.photoFailed = error.message || t('error.generic');
        }
      }
      state.sent = report;
      if (state.prefill) {
        try { sessionStorage.removeItem(prefillKey(state.checkin.id)); } catch { /* nothing kept */ }
        state.prefill = null;
      }
      try { await loadReports(); } catch { /* the report was sent; the list shows on the next visit */ }
      state.sent = state.reports.find((r) => r.id === report.id) ?? report;
      form.reset();
      $('report-photo-preview').hidden = true;
      render();
      $('report-sent').focus();
      $('report-sent').scrollIntoView({ block: 'start' });
    });
  });
}

async function loadAll() {
  const [orders] = await Promise.all([api('GET', '/api/v1/orders'), loadReports(), loadPrefill()]);
  state.orders = (Array.isArray(orders.orders) ? orders.orders : []).sort((a, b) => Number(b.id) - Number(a.id));
}

runPage({
  roles: ['patient'],
  load: loadAll,
  wire: () => { $('report-onset').max = todayJst(); wire(); applyPrefill(); },
  render,
  view: 'report-view',
});
