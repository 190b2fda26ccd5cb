// The audit log page (admins): filter by the person who acted, the patient a record is about,
// the action and a range of JST days; page through newest first (keyset: "older" continues
// after the last row shown, so records written meanwhile do not shift the pages); export the
// same filter as CSV (the server records the export). Actions and people appear in words; the
// filters live in the address (audit.html?patient=5), so a filtered view can be shared.

import { ApiError, api } from '../lib/api.js';
import { clearErrors, showError } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { timeElement } from '../lib/jst.js';
import { $, cell, el, hideAlert, showAlert } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

const FILTERS = ['actor', 'patient', 'action', 'date_from', 'date_to'];
const PAGE = 50;

const state = { choices: null, filters: {}, cursors: [], page: null };

function roleLabel(role) {
  return ['patient', 'doctor', 'pharmacist', 'admin'].includes(role) ? t(`role.${role}`) : String(role ?? '');
}

function actionLabel(code) {
  const a = state.choices?.actions.find((x) => x.code === code);
  if (!a) return code;
  return currentLang() === 'en' ? a.label_en : a.label_ja;
}

function fillChoices() {
  const { actions, people } = state.choices;
  const actor = $('filter-actor');
  actor.replaceChildren(new Option(t('audit.filters.anyone'), ''), new Option(t('value.system'), '0'));
  for (const p of people.filter((x) => x.role !== 'patient')) actor.append(new Option(`${p.name}（${roleLabel(p.role)}）`, String(p.id)));
  const staffCount = actor.options.length;
  for (const p of people.filter((x) => x.role === 'patient')) actor.append(new Option(`${p.name}（${roleLabel(p.role)}）`, String(p.id)));
  actor.dataset.staffOptions = String(staffCount);
  const patient = $('filter-patient');
  patient.replaceChildren(new Option(t('audit.filters.any_patient'), ''));
  for (const p of people.filter((x) => x.role === 'patient')) {
    patient.append(new Option(p.name_kana ? `${p.name}（${p.name_kana}）` : p.name, String(p.id)));
  }
  const action = $('filter-action');
  action.replaceChildren(new Option(t('audit.filters.any_action'), ''));
  for (const a of actions) action.append(new Option(currentLang() === 'en' ? a.label_en : a.label_ja, a.code));
  for (const name of FILTERS) {
    const control = $('audit-filters').elements.namedItem(name);
    control.value = state.filters[name] ?? '';
  }
}

function query(extra = {}) {
  const p = new URLSearchParams();
  for (const name of FILTERS) if (state.filters[name]) p.set(name, state.filters[name]);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  return p.toString();
}

function render() {
  const page = state.page;
  if (!page) return;
  const chain = $('audit-chain');
  if (typeof page.intact === 'boolean') {
    chain.dataset.intact = String(page.intact);
    chain.classList.toggle('alert--ok', page.intact);
    chain.classList.toggle('alert--error', !page.intact);
    chain.textContent = page.intact ? t('admin.audit.intact') : t('admin.audit.broken', { id: page.first_broken ?? '?' });
    chain.hidden = false;
  }
  const body = $('audit-body');
  body.replaceChildren();
  for (const e of page.entries) {
    const row = document.createElement('tr');
    row.dataset.id = String(e.id);
    row.dataset.action = e.action;
    cell(row, timeElement(e.at));
    const who = e.actor_id ? `${e.actor_name || `#${e.actor_id}`}（${roleLabel(e.actor_role)}）` : t('value.system');
    cell(row, who).dataset.actorId = String(e.actor_id);
    const action = el('span', null, actionLabel(e.action));
    action.title = e.action;
    cell(row, action).dataset.action = e.action;
    cell(row, e.patient_id ? e.patient_name : t('value.dash')).dataset.patientId = String(e.patient_id ?? '');
    cell(row, e.object, 'mono');
    cell(row, e.detail || '', 'audit-detail');
    body.append(row);
  }
  $('audit-empty').hidden = page.entries.length > 0;
  const from = state.cursors.length * PAGE + (page.entries.length ? 1 : 0);
  const to = state.cursors.length * PAGE + page.entries.length;
  $('audit-total').textContent = t('audit.total', { total: page.total });
  $('audit-page').textContent = t('list.range', { from, to, total: page.total });
  $('audit-newer').disabled = state.cursors.length === 0;
  $('audit-older').disabled = page.next_after === null;
}

async function load() {
  hideAlert('audit-error');
  const form = $('audit-filters');
  clearErrors(form);
  const after = state.cursors.at(-1);
  try {
    state.page = await api('GET', `/api/v1/audit?${query({ limit: PAGE, after })}`);
    render();
  } catch (error) {
    if (error instanceof ApiError && error.field) showError(form, error);
    else showAlert('audit-error', error);
  }
}

function readForm() {
  const form = $('audit-filters');
  const filters = {};
  for (const name of FILTERS) {
    const v = String(form.elements.namedItem(name).value ?? '').trim();
    if (v) filters[name] = v;
  }
  return filters;
}

function applyFilters(filters) {
  state.filters = filters;
  state.cursors = [];
  const q = query();
  history.replaceState(null, '', q ? `?${q}` : location.pathname);
  load();
}

async function downloadCsv(event) {
  event.preventDefault();
  const form = $('audit-filters');
  clearErrors(form);
  state.filters = readForm();
  const link = $('audit-csv');
  link.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(`/api/v1/audit.csv?${query()}`, { headers: { 'Accept-Language': currentLang() }, credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      const err = data.error ?? {};
      throw new ApiError({ status: response.status, code: err.code, message: err.message || t('error.generic'), field: err.field });
    }
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = 'audit-log.csv';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    if (error instanceof ApiError && error.field) showError(form, error);
    else showAlert('audit-error', error);
  } finally {
    link.removeAttribute('aria-busy');
  }
}

async function loadChoices() {
  const params = new URLSearchParams(location.search);
  for (const name of FILTERS) if (params.get(name)) state.filters[name] = params.get(name);
  state.choices = await api('GET', '/api/v1/audit/filters');
}

function wireFilters() {
  fillChoices();
  $('audit-view').hidden = false;
  $('audit-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters(readForm());
  });
  $('filter-clear').addEventListener('click', () => {
    for (const name of FILTERS) $('audit-filters').elements.namedItem(name).value = '';
    applyFilters({});
  });
  $('audit-csv').addEventListener('click', downloadCsv);
  $('audit-older').addEventListener('click', () => {
    if (state.page?.next_after == null) return;
    state.cursors.push(state.page.next_after);
    load();
  });
  $('audit-newer').addEventListener('click', () => {
    state.cursors.pop();
    load();
  });
  return load();
}

runPage({
  roles: ['admin'],
  load: loadChoices,
  wire: wireFilters,
  onLang: () => {
    fillChoices();
    render();
  },
});
