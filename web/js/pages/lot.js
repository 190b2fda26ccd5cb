// Lot detail (pharmacists; admins may read and quarantine): status with the moves legal from it
// (quarantine, release, destroy, recall — each asks for a reason and a confirmation), the six
// release tests with their latest result and certificate, what release still lacks
// (tests_missing), certificate upload (the file's raw bytes with its own Content-Type) and the
// test-result form, the state history with reasons, and on a recalled lot the recipients with
// contact data and the printable notices. The storage history: each stay in a watched storage
// unit or shipment with its temperatures, and its cold-chain alerts; pharmacists place the lot in
// a storage unit.

import { api, apiUpload } from '../lib/api.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { timeElement, todayJst } from '../lib/jst.js';
import { $, el, fillDetails, queryParam } from '../lib/dom.js';
import {
  celsius, episodeList, outsideElement, periodText, placeLabel, unitKindLabel,
} from '../lib/coldchain-shared.js';
import {
  LOT_ACTIONS, TEST_KINDS, certificateLink, formatDate, historyItem, lotStatusBadge, testKindLabel, testResultBadge,
} from '../lib/trace.js';
import { pageId, runPage } from '../lib/page.js';

const MAX_CERTIFICATE_BYTES = 5 * 1024 * 1024;
const DANGER = new Set(['destroyed', 'recalled']);

const state = {
  id: null, user: null, lot: null, recipients: null, progress: null, mail: null, action: null, lastCertificate: null,
  storage: null, storageError: null, units: [],
};

/** The latest test of each kind (highest id), keyed by kind. */
function latestTests() {
  const latest = new Map();
  for (const test of state.lot.tests ?? []) {
    const seen = latest.get(test.kind);
    if (!seen || Number(test.id) > Number(seen.id)) latest.set(test.kind, test);
  }
  return latest;
}

function certificate(id) {
  return (state.lot.certificates ?? []).find((c) => c.id === id) ?? null;
}

/** The moves this person may make from the lot's status. */
function allowedActions() {
  const legal = LOT_ACTIONS[state.lot.status] ?? [];
  return state.user.role === 'pharmacist' ? legal : legal.filter((to) => to === 'quarantine');
}

function renderHead() {
  const lot = state.lot;
  $('lot-number').textContent = lot.lot_number;
  document.title = `${t('lot.heading')} ${lot.lot_number} — exosafe`;
  $('lot-status').replaceChildren(lotStatusBadge(lot.status));
  $('lot-product').textContent = `${lot.product_name ?? ''} (${lot.product_code ?? ''})`;
  const recalled = lot.status === 'recalled';
  $('recalled-banner').textContent = recalled ? t('lot.recalled_banner') : '';
  $('recalled-banner').hidden = !recalled;
}

function renderDetails() {
  const lot = state.lot;
  fillDetails($('lot-details'), [
    [t('lot.field.product'), lot.product_name],
    [t('lot.field.manufactured_on'), formatDate(lot.manufactured_on)],
    [t('lot.field.expires_on'), formatDate(lot.expires_on)],
    [t('lot.stock'), t('lot.stock_value', { available: lot.quantity_available, received: lot.quantity_received })],
    [t('lot.field.donor_age'), lot.donor_age === null || lot.donor_age === undefined ? '' : t('lot.age_value', { n: lot.donor_age })],
    [t('lot.field.donor_screening'), lot.donor_screening],
    [t('lot.field.storage_location'), lot.storage_location],
    [t('lot.received_at'), timeElement(lot.received_at)],
  ]);
  $('lot-details').querySelectorAll('dd')[5]?.classList.add('pre-wrap');
}

function renderActions() {
  const actions = allowedActions();
  const box = $('action-buttons');
  box.replaceChildren(...actions.map((to) => {
    const button = el('button', `btn ${DANGER.has(to) ? 'btn--danger-outline' : 'btn--secondary'}`, t(`lot.action.${to}`));
    button.type = 'button';
    button.id = `action-${to}`;
    button.dataset.action = to;
    button.addEventListener('click', () => openAction(to));
    return button;
  }));
  const none = actions.length === 0;
  $('actions-none').textContent = none ? t(state.user.role === 'pharmacist' || (LOT_ACTIONS[state.lot.status] ?? []).length === 0
    ? 'lot.actions.none' : 'lot.actions.pharmacist_only') : '';
  $('actions-none').hidden = !none;
  if (state.action && !actions.includes(state.action)) closeAction();
  else if (state.action) describeAction(state.action);
}

function describeAction(to) {
  $('action-title').textContent = t('lot.confirm.title', { action: t(`lot.action.${to}`), lot: state.lot.lot_number });
  $('action-explain').textContent = t(`lot.confirm.explain.${to}`);
  const confirm = $('action-confirm');
  confirm.textContent = t(`lot.confirm.submit.${to}`);
  confirm.className = `btn ${DANGER.has(to) ? 'btn--danger' : 'btn--primary'}`;
  $('action-form').dataset.action = to;
  $('action-form').classList.toggle('confirm-panel--danger', DANGER.has(to));
}

function openAction(to) {
  const form = $('action-form');
  clearErrors(form);
  $('action-missing').hidden = true;
  state.action = to;
  describeAction(to);
  form.hidden = false;
  for (const button of $('action-buttons').querySelectorAll('button')) {
    button.setAttribute('aria-pressed', String(button.dataset.action === to));
  }
  $('action-reason').focus();
}

function closeAction() {
  state.action = null;
  $('action-form').hidden = true;
  $('action-reason').value = '';
  for (const button of $('action-buttons').querySelectorAll('button')) button.setAttribute('aria-pressed', 'false');
}

function renderTests() {
  const latest = latestTests();
  const list = $('test-list');
  list.replaceChildren();
  const missing = new Set(state.lot.tests_missing ?? []);
  for (const kind of TEST_KINDS) {
    const test = latest.get(kind) ?? null;
    const li = el('li', `test-item${missing.has(kind) ? ' test-item--missing' : ' test-item--ok'}`);
    li.dataset.kind = kind;
    li.dataset.result = test ? test.result : 'none';
    const head = el('div', 'test-item__head');
    head.append(el('strong', null, testKindLabel(kind)), testResultBadge(test?.result));
    li.append(head);
    if (test) {
      const meta = el('p', 'test-item__meta');
      meta.append(test.method ?? '', test.value ? ` / ${test.value}` : '', ` / ${formatDate(test.tested_on)}`);
      li.append(meta);
      const cert = test.certificate_id ? certificate(test.certificate_id) : null;
      const certLine = el('p', 'test-item__cert');
      if (test.certificate_id) certLine.append(t('lot.tests.certificate'), ' ', certificateLink(test.certificate_id, cert?.filename));
      else certLine.append(el('span', 'state-text state-text--warn', t('lot.tests.no_certificate')));
      li.append(certLine);
    }
    list.append(li);
  }
  const lacking = TEST_KINDS.filter((k) => missing.has(k)).concat([...missing].filter((k) => !TEST_KINDS.includes(k)));
  $('tests-missing').textContent = lacking.length
    ? t('lot.tests.missing', { kinds: lacking.map(testKindLabel).join(t('list.separator')) }) : '';
  $('tests-missing').hidden = lacking.length === 0;
  $('tests-complete').hidden = lacking.length !== 0;
}

function renderCertificates() {
  const certs = [...(state.lot.certificates ?? [])].sort((a, b) => Number(b.id) - Number(a.id));
  const list = $('cert-list');
  list.replaceChildren(...certs.map((c) => {
    const li = el('li', 'cert-item');
    li.dataset.certificateId = String(c.id);
    li.append(certificateLink(c.id, c.filename), ' ',
      el('span', 'muted', `${c.content_type ?? ''}, ${t('lot.certs.size', { kb: Math.max(1, Math.round((c.size_bytes ?? 0) / 1024)) })}`));
    const hash = el('span', 'mono wrap-anywhere cert-item__hash', `SHA-256 ${c.sha256 ?? ''}`);
    li.append(hash);
    return li;
  }));
  $('certs-empty').hidden = certs.length > 0;

  const select = $('test-certificate');
  const chosen = state.lastCertificate ? String(state.lastCertificate) : select.value;
  const none = el('option', null, t('lot.test_form.no_certificate'));
  none.value = '';
  select.replaceChildren(...certs.map((c) => {
    const option = el('option', null, `#${c.id} ${c.filename}`);
    option.value = String(c.id);
    return option;
  }), none);
  select.value = certs.some((c) => String(c.id) === chosen) ? chosen : (certs[0] ? String(certs[0].id) : '');
}

function renderTestKinds() {
  const select = $('test-kind');
  const chosen = select.value;
  const missing = state.lot.tests_missing ?? [];
  select.replaceChildren(...TEST_KINDS.map((kind) => {
    const option = el('option', null, testKindLabel(kind));
    option.value = kind;
    return option;
  }));
  select.value = chosen && TEST_KINDS.includes(chosen) ? chosen : (TEST_KINDS.find((k) => missing.includes(k)) ?? TEST_KINDS[0]);
}

function renderHistory() {
  const list = $('history-list');
  const history = Array.isArray(state.lot.history) ? [...state.lot.history].reverse() : [];
  list.replaceChildren(...history.map((h) => {
    const li = historyItem(h, h.actor);
    if (h.reason) li.append(el('p', 'timeline__reason pre-wrap', h.reason));
    return li;
  }));
}

function renderRecipients() {
  const recalled = state.lot.status === 'recalled';
  $('recipients-card').hidden = !recalled;
  if (!recalled) return;
  $('notices-link').href = `/api/v1/lots/${encodeURIComponent(state.id)}/recall-notices`;
  const recipients = state.recipients ?? [];
  $('recipients-count').textContent = t('lot.recipients.count', { n: recipients.length });
  $('recipients-csv').href = `/api/v1/lots/${encodeURIComponent(state.id)}/recipients.csv`;
  renderProgress();
  const list = $('recipient-list');
  list.replaceChildren(...recipients.map((r) => {
    const li = el('li', 'record record--recipient');
    li.dataset.patientId = String(r.patient_id);
    li.dataset.orderId = String(r.order_id);
    const head = el('div', 'record__head');
    head.append(el('strong', 'record__title', r.patient_name), el('span', 'muted', r.name_kana ?? ''));
    const phone = el('a', 'tel-link', r.phone);
    phone.href = `tel:${String(r.phone ?? '').replace(/[^0-9+]/g, '')}`;
    const mail = el('a', 'wrap-anywhere', r.email);
    mail.href = `mailto:${r.email ?? ''}`;
    const address = [r.postal_code ? `〒${r.postal_code}` : '', r.address ?? ''].filter(Boolean).join(' ');
    const shipping = r.tracking_number
      ? `${r.carrier ?? ''} ${r.tracking_number}` : t('lot.recipients.not_shipped');
    const dl = el('dl', 'details details--compact');
    fillDetails(dl, [
      [t('field.phone'), r.phone ? phone : ''],
      [t('field.email'), r.email ? mail : ''],
      [t('field.address'), address],
      [t('lot.recipients.order'), t('lot.recipients.order_value', { id: r.order_id, n: r.quantity })],
      [t('lot.recipients.dispensed_at'), timeElement(r.dispensed_at)],
      [t('order.tracking'), shipping],
      [t('order.shipped_at'), r.shipped_at ? timeElement(r.shipped_at) : ''],
      [t('order.delivered_at'), r.delivered_at ? timeElement(r.delivered_at) : ''],
    ]);
    li.append(head, dl);
    if (r.tracking) {
      li.dataset.trackStatus = r.tracking.status;
      head.append(trackBadge(r.tracking.status));
      li.append(trackDetails(r.tracking), trackForm(r));
    }
    return li;
  }));
  $('recipients-empty').hidden = recipients.length > 0;
}

// ---- The recall's follow-up of each recipient (pending → notified → contacted → returned | destroyed)

const TRACK_STATUSES = ['pending', 'notified', 'contacted', 'returned', 'destroyed'];

function trackBadge(status) {
  const badge = el('span', `status-badge status-badge--track-${TRACK_STATUSES.includes(status) ? status : 'unknown'}`,
    t(`recall.track.${status}`));
  badge.dataset.track = String(status);
  return badge;
}

function renderProgress() {
  const counts = state.progress ?? {};
  const list = el('ul', 'recall-progress__list plain-list');
  for (const status of TRACK_STATUSES) {
    const item = el('li', 'recall-progress__item');
    item.dataset.track = status;
    item.append(trackBadge(status), el('strong', 'recall-progress__count', String(counts[status] ?? 0)));
    list.append(item);
  }
  const mail = state.mail ?? { queued: 0, sent: 0, failed: 0 };
  const mailLine = el('p', 'recall-progress__mail', t('lot.recall.mail', { queued: mail.queued, sent: mail.sent, failed: mail.failed }));
  mailLine.dataset.mailSent = String(mail.sent);
  $('recall-progress').replaceChildren(el('p', 'recall-progress__open', t('lot.recall.open', { n: counts.open ?? 0 })), list, mailLine);
}

function trackDetails(track) {
  const dl = el('dl', 'details details--compact');
  fillDetails(dl, [
    [t('lot.recall.acknowledged_at'), track.acknowledged_at ? timeElement(track.acknowledged_at) : ''],
    [t('lot.recall.notified_at'), track.notified_at ? timeElement(track.notified_at) : ''],
    [t('lot.recall.contacted_at'), track.contacted_at ? timeElement(track.contacted_at) : ''],
    [t('lot.recall.notes'), track.notes ?? ''],
    [t('lot.recall.closed_on'), track.closed_on ? formatDate(track.closed_on) : ''],
  ]);
  return dl;
}

/** The form staff use to record the next step for one recipient; only forward moves are offered. */
function trackForm(r) {
  const track = r.tracking;
  const from = TRACK_STATUSES.indexOf(track.status);
  const closed = track.status === 'returned' || track.status === 'destroyed';
  const form = el('form', 'track-form');
  form.noValidate = true;
  form.dataset.trackId = String(track.id);
  if (closed) return el('p', 'muted track-form__closed', t('lot.recall.closed'));
  const fieldId = (name) => `track-${track.id}-${name}`;
  const select = el('select');
  select.name = 'status';
  select.id = fieldId('status');
  for (const status of TRACK_STATUSES.slice(Math.max(from, 0))) {
    const option = el('option', null, t(`recall.track.${status}`));
    option.value = status;
    select.append(option);
  }
  const notes = el('textarea');
  notes.name = 'contact_notes';
  notes.id = fieldId('notes');
  notes.rows = 2;
  notes.maxLength = 1000;
  const date = el('input');
  date.type = 'date';
  date.name = 'closed_on';
  date.id = fieldId('closed_on');
  date.max = todayJst();
  const field = (label, control, name) => {
    const wrap = el('div', 'field');
    const l = el('label', null, label);
    l.htmlFor = control.id;
    const err = el('p', 'field-error');
    err.dataset.errorFor = name;
    err.hidden = true;
    wrap.append(l, control, err);
    return wrap;
  };
  const dateField = field(t('lot.recall.closed_on'), date, 'closed_on');
  const syncDate = () => { dateField.hidden = !['returned', 'destroyed'].includes(select.value); };
  select.addEventListener('change', syncDate);
  syncDate();
  const error = el('p', 'alert alert--error');
  error.dataset.formError = '';
  error.hidden = true;
  const submit = el('button', 'btn btn--secondary btn--small', t('lot.recall.save'));
  submit.type = 'submit';
  form.append(field(t('lot.recall.status'), select, 'status'), field(t('lot.recall.notes'), notes, 'contact_notes'), dateField, error, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { status: select.value };
    if (notes.value.trim()) body.contact_notes = notes.value.trim();
    if (!dateField.hidden && date.value) body.closed_on = date.value;
    await whileSubmitting(form, async () => {
      try {
        const data = await api('POST', `/api/v1/lots/${encodeURIComponent(state.id)}/recipients/${encodeURIComponent(track.id)}`, body);
        state.recipients = data.recipients ?? [];
        state.progress = data.progress ?? null;
        state.mail = data.mail ?? null;
        renderRecipients();
      } catch (err) {
        showError(form, err);
      }
    });
  });
  return form;
}

function unitMap() {
  return new Map(state.units.map((u) => [Number(u.id), u]));
}

function renderStay(stay) {
  const li = el('li', 'record stay');
  const current = !stay.to;
  li.dataset.place = String(stay.place ?? '');
  li.dataset.minutesOutside = String(stay.minutes_outside ?? 0);
  const head = el('div', 'record__head');
  head.append(el('strong', 'record__title', placeLabel(stay.place, unitMap())));
  if (current) head.append(el('span', 'badge', t('lot.storage.now')));
  const dl = el('dl', 'details details--compact');
  const rows = [
    [t('lot.storage.period'), periodText(stay.from, stay.to)],
    [t('cc.mkt'), celsius(stay.mkt_celsius)],
    [t('lot.storage.min_max'), stay.readings ? t('lot.storage.min_max_value', { min: celsius(stay.min_celsius), max: celsius(stay.max_celsius) }) : ''],
    [t('cc.alert.outside'), outsideElement(stay.minutes_outside, stay.allowance_minutes)],
    [t('cc.loggers.readings'), t('cc.count', { n: stay.readings ?? 0 })],
  ];
  if (stay.logger_id) {
    const chart = el('a', 'chart-link', t('lot.storage.chart'));
    chart.href = `/logger.html?id=${encodeURIComponent(stay.logger_id)}`;
    rows.push([t('cc.alert.logger'), chart]);
  }
  fillDetails(dl, rows);
  li.append(head, dl);
  const episodes = Array.isArray(stay.episodes) ? stay.episodes : [];
  if (episodes.length) li.append(el('p', 'field-label', t('cc.episodes.heading')), episodeList(episodes));
  return li;
}

function renderLotAlert(alert) {
  const li = el('li', 'lot-alert');
  li.dataset.alertId = String(alert.id);
  li.dataset.status = String(alert.status ?? '');
  const open = alert.status === 'open';
  const disposed = alert.disposition === 'released' || alert.disposition === 'destroyed';
  const badge = el('span', `status-badge ${open ? 'status-badge--alert-open' : `status-badge--disposed-${disposed ? alert.disposition : 'unknown'}`}`,
    open ? t('cc.alert.open') : disposed ? t(`cc.disposition.${alert.disposition}`) : String(alert.status ?? ''));
  const text = el('span', 'lot-alert__text', t('lot.storage.alert_text', {
    place: placeLabel(alert.place, unitMap()), n: alert.minutes_outside ?? 0, allowance: alert.allowance_minutes ?? '?', peak: celsius(alert.peak_celsius),
  }));
  const link = el('a', 'lot-alert__link', t('lot.storage.alert_link'));
  link.href = `/coldchain.html#alert-${encodeURIComponent(alert.id)}`;
  li.append(badge, text, link);
  if (!open && alert.justification) li.append(el('span', 'lot-alert__why pre-wrap', alert.justification));
  return li;
}

function renderStorage() {
  $('storage-error').hidden = !state.storageError;
  $('storage-error').textContent = state.storageError ? state.storageError.message : '';
  const stays = Array.isArray(state.storage?.stays) ? [...state.storage.stays] : [];
  stays.sort((a, b) => String(b.from ?? '').localeCompare(String(a.from ?? '')));
  $('stay-list').replaceChildren(...stays.map(renderStay));
  $('stays-empty').hidden = stays.length > 0 || Boolean(state.storageError);
  const here = stays.find((s) => !s.to && /^unit:/.test(String(s.place ?? '')));
  $('storage-current').textContent = here ? t('lot.storage.current', { place: placeLabel(here.place, unitMap()) }) : '';
  $('storage-current').hidden = !here;

  const alerts = Array.isArray(state.storage?.alerts) ? state.storage.alerts : [];
  $('lot-alert-list').replaceChildren(...alerts.map(renderLotAlert));
  $('lot-alerts').hidden = alerts.length === 0;

  const form = $('placement-form');
  form.hidden = state.user.role !== 'pharmacist';
  const select = $('placement-unit');
  const chosen = select.value;
  const currentUnit = here ? Number(String(here.place).slice(5)) : null;
  const choices = state.units.filter((u) => Number(u.id) !== currentUnit);
  select.replaceChildren(...choices.map((u) => {
    const option = el('option', null, `${u.name}（${unitKindLabel(u.kind)}${u.location ? ` / ${u.location}` : ''}）`);
    option.value = String(u.id);
    return option;
  }));
  if (choices.some((u) => String(u.id) === chosen)) select.value = chosen;
  const none = choices.length === 0;
  $('placement-none').textContent = none ? t(state.units.length ? 'lot.placement.only_current' : 'lot.placement.no_units') : '';
  $('placement-none').hidden = !none;
  select.closest('.field').hidden = none;
  form.querySelector('[type="submit"]').hidden = none;
}

function render() {
  if (!state.lot) return;
  renderHead();
  renderDetails();
  renderActions();
  renderTests();
  renderCertificates();
  renderTestKinds();
  renderHistory();
  renderRecipients();
  renderStorage();
  // Tests and certificates can be recorded while the lot is still on its way to release.
  $('record-card').hidden = state.user.role !== 'pharmacist' || !['received', 'quarantine'].includes(state.lot.status);
}

/** Loads the storage history and the units; a failure shows in the storage card only. */
async function loadStorage() {
  try {
    const [storage, units] = await Promise.all([
      api('GET', `/api/v1/lots/${encodeURIComponent(state.id)}/storage`),
      api('GET', '/api/v1/storage-units'),
    ]);
    state.storage = storage;
    state.units = Array.isArray(units.units) ? units.units : [];
    state.storageError = null;
  } catch (error) {
    state.storage = null;
    state.storageError = error;
  }
}

async function load() {
  state.lot = (await api('GET', `/api/v1/lots/${encodeURIComponent(state.id)}`)).lot;
  await loadStorage();
  const recall = state.lot.status === 'recalled'
    ? await api('GET', `/api/v1/lots/${encodeURIComponent(state.id)}/recipients`) : null;
  state.recipients = recall?.recipients ?? null;
  state.progress = recall?.progress ?? null;
  state.mail = recall?.mail ?? null;
}

async function reload() {
  await load();
  render();
}

function note(message) {
  $('lot-notice').textContent = message;
  $('lot-notice').hidden = false;
}

function wireActions() {
  $('action-cancel').addEventListener('click', closeAction);
  const form = $('action-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    $('action-missing').hidden = true;
    const to = state.action;
    if (!to) return;
    const { reason } = formValues(form, { keepEmpty: ['reason'] });
    if (!reason) {
      showError(form, { field: 'reason', message: t('lot.actions.need_reason') });
      return;
    }
    whileSubmitting(form, async () => {
      try {
        if (to === 'recalled') {
          const data = await api('POST', `/api/v1/lots/${encodeURIComponent(state.id)}/recall`, { reason });
          state.recipients = Array.isArray(data.recipients) ? data.recipients : [];
          state.progress = data.progress ?? null;
          state.mail = data.mail ?? null;
        } else {
          await api('POST', `/api/v1/lots/${encodeURIComponent(state.id)}/transition`, { to, reason });
        }
        closeAction();
        await reload();
        note(t('lot.actions.done', { status: t(`lot.status.${to}`) }));
        $('lot-status').scrollIntoView({ block: 'center' });
      } catch (error) {
        showError(form, error);
        if (error.code === 'tests_missing' && error.missing) {
          $('action-missing').replaceChildren(...error.missing.map((k) => el('li', null, testKindLabel(k))));
          $('action-missing').hidden = false;
        }
      }
    });
  });
}

function wireUpload() {
  const form = $('upload-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const file = $('upload-file').files?.[0];
    if (!file) {
      showError(form, { field: 'file', message: t('lot.upload.need_file') });
      return;
    }
    if (file.size > MAX_CERTIFICATE_BYTES) {
      showError(form, { field: 'file', message: t('lot.upload.too_large') });
      return;
    }
    whileSubmitting(form, async () => {
      try {
        // The same file again (same SHA-256) needs the pharmacist's reason, asked for on the 409.
        const reason = $('upload-duplicate').hidden ? '' : $('upload-duplicate-reason').value.trim();
        const path = `/api/v1/lots/${encodeURIComponent(state.id)}/certificates?filename=${encodeURIComponent(file.name)}`
          + (reason ? `&duplicate_reason=${encodeURIComponent(reason)}` : '');
        const data = await apiUpload(path, file);
        state.lastCertificate = data.certificate?.id ?? null;
        form.reset();
        $('upload-duplicate').hidden = true;
        await reload();
        showStatus(form, t('lot.upload.done', { name: data.certificate?.filename ?? file.name }));
      } catch (error) {
        if (error.status === 415) showError(form, { field: 'file', message: t('lot.upload.bad_type') });
        else if (error.status === 413) showError(form, { field: 'file', message: t('lot.upload.too_large') });
        else if (error.code === 'duplicate_certificate') {
          $('upload-duplicate').hidden = false;
          showError(form, error);
        }
        else showError(form, error.field === 'filename' ? { ...error, message: error.message, field: 'file' } : error);
      }
    });
  });
}

function wirePlacement() {
  const form = $('placement-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const unitId = Number($('placement-unit').value);
    if (!unitId) {
      showError(form, { field: 'unit_id', message: t('lot.placement.need_unit') });
      return;
    }
    const unit = state.units.find((u) => Number(u.id) === unitId);
    whileSubmitting(form, async () => {
      try {
        await api('POST', `/api/v1/lots/${encodeURIComponent(state.id)}/placement`, { unit_id: unitId });
        await reload();
        showStatus(form, t('lot.placement.done', { place: unit?.name ?? `#${unitId}` }));
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

function wireTests() {
  const form = $('test-form');
  $('test-date').value = todayJst();
  $('test-date').max = todayJst();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form, { keepEmpty: ['kind', 'result', 'method', 'tested_on'] });
    const body = { kind: values.kind, result: values.result, method: values.method, tested_on: values.tested_on };
    if (values.value) body.value = values.value;
    if (values.certificate_id) body.certificate_id = Number(values.certificate_id);
    whileSubmitting(form, async () => {
      try {
        await api('POST', `/api/v1/lots/${encodeURIComponent(state.id)}/tests`, body);
        state.lastCertificate = null;
        $('test-value').value = '';
        $('test-method').value = '';
        $('test-kind').value = '';
        await reload();
        showStatus(form, t('lot.test_form.done', { kind: testKindLabel(body.kind) }));
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

async function loadLot(user) {
  state.user = user;
  state.id = pageId('lot.bad_id');
  if (!state.id) return false;
  await load();
  return true;
}

runPage({
  roles: ['pharmacist', 'admin'],
  load: loadLot,
  wire: () => { wireActions(); wireUpload(); wireTests(); wirePlacement(); },
  render: () => {
    render();
    if (queryParam('received') === '1') note(t('lot.received_note'));
  },
  onLang: render,
  view: 'lot-view',
});
