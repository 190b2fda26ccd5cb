// The safety officer's page (issue 18): every clinic's lots, each manufacturer's lot with the
// clinics that hold it and a "quarantine in every clinic" form (POST /api/v1/registry/lots/alert,
// a reason required), and every clinic's adverse events de-identified
// (GET /api/v1/registry/adverse-events: case reference, clinic, age band, sex, onset month,
// product and lots, CTCAE terms and grades, seriousness, outcome, causality). Every value from
// the API is written with textContent.

import { api } from '../lib/api.js';
import { $, cell, el } from '../lib/dom.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { runPage } from '../lib/page.js';
import { lotStatusBadge } from '../lib/trace.js';

const state = { lots: [], reports: [] };

async function load() {
  const [lots, reports] = await Promise.all([api('GET', '/api/v1/registry/lots'), api('GET', '/api/v1/registry/adverse-events')]);
  state.lots = lots.lots;
  state.reports = reports.reports;
  return true;
}

function alertForm(lot) {
  const details = el('details', 'registry-alert');
  details.append(el('summary', 'btn btn--danger', t('registry.alert.open')));
  const form = el('form', 'form');
  form.noValidate = true;
  const error = el('p', 'alert alert--error');
  error.dataset.formError = '';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const id = `reason-${lot.product_id}-${lot.lot_number}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const label = el('label', null, t('registry.alert.reason'));
  label.htmlFor = id;
  const reason = el('textarea');
  reason.id = id;
  reason.name = 'reason';
  reason.rows = 3;
  reason.maxLength = 1000;
  reason.required = true;
  const fieldError = el('p', 'field-error');
  fieldError.dataset.errorFor = 'reason';
  fieldError.hidden = true;
  const field = el('div', 'field');
  field.append(label, reason, fieldError);
  const submit = el('button', 'btn btn--danger', t('registry.alert.submit'));
  submit.type = 'submit';
  form.append(error, field, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    whileSubmitting(form, async () => {
      try {
        const r = await api('POST', '/api/v1/registry/lots/alert',
          { product_id: lot.product_id, lot_number: lot.lot_number, reason: reason.value.trim() });
        const done = r.alert.clinics.map((c) => `${c.clinic_name}: ${t(`lot.status.${c.status}`)}`).join(' / ');
        const result = $('alert-result');
        result.textContent = t('registry.alert.done', { lot: lot.lot_number, clinics: done });
        result.hidden = false;
        await load();
        render();
        result.focus();
      } catch (e) {
        showError(form, e);
      }
    });
  });
  details.append(form);
  return details;
}

function renderLots() {
  $('lot-list').replaceChildren(...state.lots.map((lot) => {
    const li = el('li', 'record');
    li.dataset.lot = `${lot.product_code}/${lot.lot_number}`;
    const head = el('div', 'record__head');
    head.append(el('span', 'record__title mono', `${lot.product_code} ${lot.lot_number}`),
      el('span', lot.serious_reports > 0 ? 'triage triage--serious' : 'muted',
        t('registry.lots.reports', { reports: lot.reports, serious: lot.serious_reports })));
    const clinics = el('ul', 'plain-list');
    for (const c of lot.clinics) {
      const item = el('li', null, `${c.clinic_name} `);
      item.append(lotStatusBadge(c.status), el('span', 'muted',
        ` ${t('registry.lots.stock', { available: c.quantity_available, received: c.quantity_received })}`));
      clinics.append(item);
    }
    li.append(head, clinics);
    if (lot.clinics.some((c) => c.status === 'received' || c.status === 'released')) li.append(alertForm(lot));
    return li;
  }));
  $('lots-empty').hidden = state.lots.length > 0;
}

function termText(term) {
  const name = currentLang() === 'en' ? term.name_en : (term.name_ja ?? term.name_en);
  return `${name ?? term.code} G${term.grade}`;
}

function renderReports() {
  const body = $('reports-body');
  body.replaceChildren(...state.reports.map((r) => {
    const row = document.createElement('tr');
    cell(row, r.case_ref, 'mono');
    cell(row, r.clinic.name);
    cell(row, [r.age_band ? t('registry.age', { band: r.age_band }) : '—', r.sex ? t(`sex.${r.sex}`) : '—'].join(' / '));
    cell(row, r.onset_month, null, '—');
    cell(row, [r.product_code, ...r.lot_numbers].filter(Boolean).join(' '), 'mono', '—');
    cell(row, r.assessed ? r.terms.map(termText).join(', ') : t('registry.not_assessed'));
    cell(row, r.assessed ? t(r.serious ? 'registry.serious' : 'registry.not_serious') : '—');
    cell(row, r.assessed ? `${t(`ae.outcome.${r.outcome}`)} / ${t(`ae.causality.${r.causality}`)}` : '—');
    return row;
  }));
  $('reports-empty').hidden = state.reports.length > 0;
}

function render() {
  renderLots();
  renderReports();
}

runPage({ roles: ['safety_officer'], load, render, view: 'registry-view' });
