// Lot alerts and signal detection (staff): the alerts raised on lots by the adverse-event rules,
// then the product×event (or lot×event) disproportionality table from GET /api/v1/signals —
// sortable by any column (strongest first by EB05 at the start), numbers to 3 significant
// digits, undefined values as "—" — with a short reading guide to PRR, ROR, IC, EBGM and EB05.

import { api } from '../lib/api.js';
import { clearErrors, showError } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { timeElement } from '../lib/jst.js';
import { $, el, fillDetails } from '../lib/dom.js';
import { formatStat } from '../lib/ae-shared.js';
import { runPage } from '../lib/page.js';

const TEXT_KEYS = ['item', 'event'];
const state = { alerts: [], signals: [], terms: [], by: 'product', minCount: 1, sort: { key: 'eb05', dir: 'desc' } };

function eventName(code) {
  const term = state.terms.find((x) => x.code === code);
  return term ? `${term.name_ja} / ${term.name_en}` : String(code ?? '');
}

function evidenceText(evidence) {
  if (evidence === null || evidence === undefined) return '';
  if (typeof evidence !== 'object') return String(evidence);
  return Object.entries(evidence).map(([k, v]) => `${k}: ${typeof v === 'number' ? formatStat(v) : String(v)}`).join(', ');
}

function renderAlerts() {
  $('alert-list').replaceChildren(...state.alerts.map((a) => {
    const li = el('li', 'record record--quarantine ae-alert');
    li.dataset.alertId = String(a.id);
    const head = el('div', 'record__head');
    const link = el('a', 'record__title mono', a.lot_number);
    link.href = `/lot.html?id=${encodeURIComponent(a.lot_id)}`;
    head.append(link, el('span', a.quarantined ? 'triage triage--serious' : 'triage triage--urgent',
      a.quarantined ? t('signals.alerts.quarantined') : t('signals.alerts.not_quarantined')));
    const dl = el('dl', 'details details--compact');
    fillDetails(dl, [
      [t('signals.alerts.rule'), ['serious-count', 'poisson-rate', 'registry'].includes(a.rule) ? t(`signals.rule.${a.rule}`) : a.rule],
      [t('signals.alerts.evidence'), evidenceText(a.evidence)],
      [t('signals.alerts.created_at'), timeElement(a.created_at)],
    ]);
    li.append(head, dl);
    return li;
  }));
  $('alerts-empty').hidden = state.alerts.length > 0;
}

function compare(a, b) {
  const { key, dir } = state.sort;
  const sign = dir === 'asc' ? 1 : -1;
  if (TEXT_KEYS.includes(key)) {
    const x = key === 'event' ? eventName(a[key]) : String(a[key] ?? '');
    const y = key === 'event' ? eventName(b[key]) : String(b[key] ?? '');
    return sign * x.localeCompare(y, 'ja');
  }
  const x = a[key];
  const y = b[key];
  // Undefined values go last whichever way the column is sorted.
  if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
  if (y === null || y === undefined) return -1;
  return sign * (Number(x) - Number(y));
}

function interval(lo, hi) {
  if (lo === null || lo === undefined || hi === null || hi === undefined) return null;
  return el('span', 'ci', `(${formatStat(lo)}–${formatStat(hi)})`);
}

function numberCell(value, lo, hi) {
  const td = el('td', 'num');
  td.append(el('span', value === null || value === undefined ? 'muted' : null, formatStat(value)));
  const ci = interval(lo, hi);
  if (ci) td.append(ci);
  return td;
}

function renderTable() {
  const rows = [...state.signals].sort(compare);
  $('signals-body').replaceChildren(...rows.map((s) => {
    const tr = el('tr');
    tr.dataset.item = String(s.item);
    tr.dataset.event = String(s.event);
    // By lot, the lot's product goes with it: a lot number is unique only within its product.
    tr.append(el('td', 'mono', s.product ? `${s.product} / ${s.item}` : s.item), el('td', 'wrap-anywhere', eventName(s.event)));
    // EB05 early: on a phone the strongest-first column shows without scrolling sideways.
    tr.append(numberCell(s.a), numberCell(s.expected), numberCell(s.eb05), numberCell(s.ebgm), numberCell(s.eb95),
      numberCell(s.prr, s.prr_lo, s.prr_hi), numberCell(s.chi2), numberCell(s.ror, s.ror_lo, s.ror_hi),
      numberCell(s.ic, s.ic_lo, s.ic_hi));
    tr.querySelectorAll('td')[4].classList.add('num--key');
    return tr;
  }));
  $('signals-empty').hidden = rows.length > 0;
  // Which MGPS prior the EBGM figures rest on (the CLI prints the same).
  const prior = state.prior;
  $('signals-prior').textContent = prior && ['fitted', 'default'].includes(prior.source)
    ? t(`signals.prior.${prior.source}`, { pairs: prior.pairs }) : '';
  $('signals-caption').textContent = t('signals.caption', {
    by: t(state.by === 'lot' ? 'signals.by_lot' : 'signals.by_product'), n: state.minCount, rows: rows.length,
  });
  for (const th of document.querySelectorAll('#signals-table th[data-sort-key]')) {
    const key = th.dataset.sortKey;
    const active = key === state.sort.key;
    th.setAttribute('aria-sort', active ? (state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    th.querySelector('.sort-mark').textContent = active ? (state.sort.dir === 'asc' ? '▲' : '▼') : '';
  }
}

function render() {
  renderAlerts();
  renderTable();
}

async function loadSignals() {
  const data = await api('GET', `/api/v1/signals?by=${encodeURIComponent(state.by)}&min_count=${encodeURIComponent(state.minCount)}`);
  state.signals = Array.isArray(data.signals) ? data.signals : [];
  state.prior = data.mgps_prior ?? null;
}

function wire() {
  for (const button of document.querySelectorAll('#signals-table .sort-button')) {
    button.addEventListener('click', () => {
      const key = button.dataset.sort;
      if (state.sort.key === key) state.sort.dir = state.sort.dir === 'asc' ? 'desc' : 'asc';
      else state.sort = { key, dir: TEXT_KEYS.includes(key) ? 'asc' : 'desc' };
      renderTable();
    });
  }
  const form = $('signals-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const n = Number($('signals-min').value);
    if (!Number.isInteger(n) || n < 1) {
      showError(form, { message: t('signals.bad_min') });
      return;
    }
    state.by = $('signals-by').value;
    state.minCount = n;
    try {
      await loadSignals();
      renderTable();
    } catch (error) {
      showError(form, error);
    }
  });
}

async function loadAll() {
  const [alerts, terms] = await Promise.all([api('GET', '/api/v1/ae-lot-alerts'), api('GET', '/api/v1/ctcae/terms'), loadSignals()]);
  state.alerts = Array.isArray(alerts.alerts) ? alerts.alerts : [];
  state.terms = Array.isArray(terms.terms) ? terms.terms : [];
}

runPage({ roles: ['doctor', 'pharmacist', 'admin'], load: loadAll, wire, render, view: 'signals-view' });
