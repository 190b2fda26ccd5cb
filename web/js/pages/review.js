// Review queue (doctors): patients with answered questionnaires awaiting a decision, worst level
// first as the server sends them: the worst level, the flags with reasons in the UI language,
// the next call, whether consent is in force, and a link to the patient's page.

import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { timeElement } from '../lib/jst.js';
import { flagList, levelBadge } from '../lib/levels.js';
import { listQuery, pager, searchBar } from '../lib/list-controls.js';
import { $, el, fillDetails, hideAlert, showAlert } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

let queue = [];
// The search and the page shown (list-controls.js); total is the server's count of matches.
const view = { q: '', status: '', offset: 0, total: 0, limit: 20 };
const LEVELS = ['block', 'needs-attention', 'info', 'none'];

/** The consent the patient has in force, with its version; an older one is marked outdated. */
function consentText(consent, inForce) {
  const vars = { version: consent.version ?? '', current: consent.current_version ?? '' };
  switch (consent.state) {
    case 'current': return t('review.consent_version', vars);
    case 'outdated': return t('review.consent_outdated', vars);
    case 'withdrawn': return t('review.consent_withdrawn', vars);
    case 'none': return t('review.consent_no');
    default: return t(inForce ? 'review.consent_yes' : 'review.consent_no');
  }
}

function entry(item) {
  const li = el('li', 'card queue__item');
  li.dataset.patientId = String(item.patient_id);
  li.dataset.level = String(item.worst_level ?? '');

  const head = el('div', 'queue__head');
  const name = el('a', 'queue__name', item.patient_name);
  name.href = `/patient.html?id=${encodeURIComponent(item.patient_id)}`;
  head.append(name, levelBadge(item.worst_level));
  li.append(head);

  const dl = el('dl', 'details details--compact');
  const consent = el('span', item.consent_in_force ? 'state-text state-text--ok' : 'state-text state-text--warn',
    consentText(item.consent ?? {}, item.consent_in_force));
  consent.dataset.consentState = item.consent?.state ?? '';
  fillDetails(dl, [
    [t('review.next_call'), item.next_call_at ? timeElement(item.next_call_at) : t('review.no_call')],
    [t('review.consent'), consent],
    [t('review.submitted_at'), timeElement(item.submitted_at)],
  ]);
  li.append(el('h2', 'queue__flags-title', t('review.flags')), flagList(item.flags), dl);

  const open = el('a', 'btn btn--secondary btn--small', t('review.open'));
  open.href = name.href;
  li.append(open);
  return li;
}

function render() {
  $('queue').replaceChildren(...queue.map(entry));
  $('queue').hidden = queue.length === 0;
  $('queue-empty').hidden = queue.length > 0;
  $('review-count').textContent = t('review.count', { n: view.total });
  $('review-count').hidden = queue.length === 0;
  $('review-pager').replaceChildren(pager({ id: 'review-pager-nav', total: view.total, limit: view.limit, offset: view.offset, onPage: (offset) => { view.offset = offset; load(); } }));
  $('review-pager').hidden = view.total <= view.limit;
}

function renderSearch() {
  const bar = searchBar({
    id: 'review-search',
    statuses: LEVELS.map((l) => ({ value: l, label: t(`level.filter.${l}`) })),
    onSearch: ({ q, status }) => { Object.assign(view, { q, status, offset: 0 }); load(); },
  });
  bar.querySelector('input[name="q"]').value = view.q;
  bar.querySelector('select[name="status"]').value = view.status;
  $('review-search-slot').replaceChildren(bar);
}

async function load() {
  hideAlert('page-error');
  try {
    const data = await api('GET', `/api/v1/review/queue?${listQuery(view)}`);
    queue = Array.isArray(data.queue) ? data.queue : [];
    view.total = data.total ?? queue.length;
  } catch (error) {
    showAlert('page-error', error);
    return;
  }
  render();
}

runPage({
  roles: ['doctor'],
  wire: async () => {
    renderSearch();
    await load();
    $('review-refresh').addEventListener('click', load);
  },
  onLang: () => { renderSearch(); render(); },
});
