// E-mail delivery (admins): whether a mail server is configured, how many messages wait, were
// sent or failed, and the recent messages with their last error (GET /api/v1/admin/mail).

import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { timeElement } from '../lib/jst.js';
import { $, el, fillDetails, showAlert } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

const state = { data: null };

function render() {
  const data = state.data;
  if (!data) return;
  $('mail-not-configured').hidden = data.configured;
  fillDetails($('mail-counts'), [
    ...(data.configured ? [[t('mail.from_label'), data.from]] : []),
    [t('mail.status.queued'), String(data.counts.queued)],
    [t('mail.status.sent'), String(data.counts.sent)],
    [t('mail.status.failed'), String(data.counts.failed)],
    [t('mail.status.cancelled'), String(data.counts.cancelled)],
    [t('mail.oldest_queued'), data.oldest_queued_at ? timeElement(data.oldest_queued_at) : '—'],
  ]);
  const body = $('mail-body');
  body.replaceChildren();
  for (const m of data.messages) {
    const row = el('tr');
    row.dataset.status = m.status;
    const created = el('td');
    created.append(timeElement(m.created_at));
    row.append(created, el('td', null, t(`mail.status.${m.status}`)), el('td', 'mono', m.to), el('td', null, m.subject),
      el('td', null, String(m.attempts)), el('td', null, m.last_error || '—'));
    body.append(row);
  }
  $('mail-empty').hidden = data.messages.length > 0;
}

async function load() {
  const status = $('mail-filter').value;
  try {
    state.data = await api('GET', `/api/v1/admin/mail${status ? `?status=${encodeURIComponent(status)}` : ''}`);
    render();
  } catch (error) {
    showAlert('page-error', error);
  }
}

runPage({
  roles: ['admin'],
  wire: () => {
    $('mail-filter').addEventListener('change', load);
    $('mail-refresh').addEventListener('click', load);
    return load();
  },
  onLang: render,
  view: 'mail-view',
});
