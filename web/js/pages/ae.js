// Triage queue of adverse-event reports (staff) in the server's order: serious cases by due
// date (red, with the due date and days left), then urgent unassessed ones (amber), unassessed,
// assessed; each opens on ae-case.html.

import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { timeElement } from '../lib/jst.js';
import { listQuery, pager, searchBar } from '../lib/list-controls.js';
import { $, el, fillDetails, hideAlert, showAlert } from '../lib/dom.js';
import { dueText, outcomeLabel, severityLabel, symptomsText, triageBadge } from '../lib/ae-shared.js';
import { formatDate } from '../lib/trace.js';
import { runPage } from '../lib/page.js';

const state = { reports: [] };
// The search and the page shown (list-controls.js); total is the server's count of matches.
const view = { q: '', status: '', offset: 0, total: 0, limit: 20 };
const STATES = ['serious', 'urgent', 'unassessed', 'assessed'];

function item(report) {
  const badge = triageBadge(report);
  const li = el('li', `record ae-item ae-item--${badge.dataset.triage}`);
  li.dataset.reportId = String(report.id);
  li.dataset.triage = badge.dataset.triage;
  const head = el('div', 'record__head');
  const link = el('a', 'record__title', t('ae.case_title', { id: report.id, name: report.patient_name ?? '' }));
  link.href = `/ae-case.html?id=${encodeURIComponent(report.id)}`;
  head.append(link, badge);
  li.append(head);
  if (report.serious && report.due_date) {
    li.append(el('p', 'ae-item__due', dueText(report.due_date)));
  }
  const dl = el('dl', 'details details--compact details--inline');
  fillDetails(dl, [
    [t('report.field.symptoms'), symptomsText(report.symptoms)],
    [t('report.field.severity'), severityLabel(report.severity)],
    [t('report.field.onset'), formatDate(report.onset_date)],
    [t('report.field.received_at'), timeElement(report.received_at)],
    [t('ae.field.assessment'), report.assessment_version
      ? t('ae.version_value', { n: report.assessment_version, outcome: outcomeLabel(report.outcome) })
      : t('ae.not_assessed')],
  ]);
  li.append(dl);
  return li;
}

function render() {
  $('ae-queue').replaceChildren(...state.reports.map(item));
  $('ae-empty').hidden = state.reports.length > 0;
  $('queue-count').textContent = t('ae.queue.count', { n: view.total });
  $('ae-pager').replaceChildren(pager({ id: 'ae-pager-nav', total: view.total, limit: view.limit, offset: view.offset, onPage: (offset) => { view.offset = offset; reload(); } }));
  $('ae-pager').hidden = view.total <= view.limit;
}

function renderSearch() {
  const bar = searchBar({
    id: 'ae-search',
    statuses: STATES.map((s) => ({ value: s, label: t(`ae.state.${s}`) })),
    onSearch: ({ q, status }) => { Object.assign(view, { q, status, offset: 0 }); reload(); },
  });
  bar.querySelector('input[name="q"]').value = view.q;
  bar.querySelector('select[name="status"]').value = view.status;
  $('ae-search-slot').replaceChildren(bar);
}

async function load() {
  const data = await api('GET', `/api/v1/adverse-events?${listQuery(view)}`);
  state.reports = Array.isArray(data.reports) ? data.reports : [];
  view.total = data.total ?? state.reports.length;
}

async function reload() {
  try {
    await load();
    hideAlert('page-error');
    render();
  } catch (error) {
    showAlert('page-error', error);
  }
}

runPage({
  roles: ['doctor', 'pharmacist', 'admin'],
  load,
  wire: () => $('queue-refresh').addEventListener('click', reload),
  render: () => { renderSearch(); render(); },
  view: 'ae-view',
});
