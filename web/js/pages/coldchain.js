// Cold chain (pharmacists and admins): connected sensors that have gone silent (or recovered in
// the last week), each with a link to its chart; the open excursion alerts with their evidence and the
// disposition (release with a written justification, or destroy — each confirmed; pharmacists
// only), the storage units and temperature loggers with their registration forms (a logger with
// HTTP ingest gets its API key shown once, with a copy button), and the disposed alerts.

import { api } from '../lib/api.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { formatDateTime, timeElement } from '../lib/jst.js';
import { $, el, fillDetails, showAlert } from '../lib/dom.js';
import {
  celsius, episodeList, outsideElement, periodText, placeLabel, rangeCelsius, unitKindLabel,
} from '../lib/coldchain-shared.js';
import { runPage } from '../lib/page.js';

const state = { user: null, units: [], loggers: [], open: [], disposed: [], silences: [], dispose: null, highlighted: false };

function unitMap() {
  return new Map(state.units.map((u) => [Number(u.id), u]));
}

function lotLink(alert) {
  const a = el('a', 'record__title mono', alert.lot_number);
  a.href = `/lot.html?id=${encodeURIComponent(alert.lot_id)}`;
  return a;
}

function loggerLink(id, code) {
  if (!id) return '';
  const a = el('a', 'mono', code || `#${id}`);
  a.href = `/logger.html?id=${encodeURIComponent(id)}`;
  return a;
}

/** The evidence rows an alert shows, open or disposed. */
function alertRows(alert) {
  const evidence = alert.evidence ?? {};
  return [
    [t('cc.alert.place'), placeLabel(alert.place, unitMap())],
    [t('cc.alert.logger'), loggerLink(alert.logger_id, alert.logger_code)],
    [t('cc.alert.outside'), outsideElement(alert.minutes_outside, alert.allowance_minutes)],
    [t('cc.alert.peak'), celsius(alert.peak_celsius)],
    [t('cc.alert.range'), rangeCelsius(evidence.range)],
    [t('cc.alert.period'), periodText(alert.first_at, alert.last_at)],
    [t('cc.mkt'), celsius(evidence.mkt_celsius)],
  ];
}

function renderOpen() {
  const list = $('alert-list');
  const pharmacist = state.user.role === 'pharmacist';
  list.replaceChildren(...state.open.map((alert) => {
    const li = el('li', 'record record--alert');
    li.id = `alert-${alert.id}`;
    li.dataset.alertId = String(alert.id);
    li.dataset.lotId = String(alert.lot_id);
    const head = el('div', 'record__head');
    head.append(lotLink(alert), el('span', 'status-badge status-badge--alert-open', t('cc.alert.open')));
    const dl = el('dl', 'details details--compact');
    fillDetails(dl, alertRows(alert));
    li.append(head, el('p', 'muted record__sub', alert.product_name ?? ''), dl);
    const episodes = alert.evidence?.episodes ?? [];
    if (episodes.length) {
      li.append(el('p', 'field-label', t('cc.episodes.heading')), episodeList(episodes));
    }
    li.append(el('p', 'hint', t('cc.alert.created', { at: formatDateTime(alert.created_at) })));
    if (pharmacist) li.append(disposeBox(alert));
    return li;
  }));
  $('alerts-empty').hidden = state.open.length > 0;
  $('alerts-count').textContent = t('cc.alerts.count', { n: state.open.length });
  $('alerts-count').dataset.count = String(state.open.length);
  $('alerts-count').classList.toggle('count-pill--alert', state.open.length > 0);
  $('alerts-count').hidden = state.open.length === 0;
  $('alerts-admin-note').hidden = pharmacist || state.open.length === 0;
}

/** The two dispositions and, once one is chosen, its confirmation with the justification. */
function disposeBox(alert) {
  const box = el('div', 'dispose');
  const row = el('div', 'action-row');
  for (const disposition of ['released', 'destroyed']) {
    const button = el('button', `btn ${disposition === 'destroyed' ? 'btn--danger-outline' : 'btn--secondary'}`, t(`cc.dispose.${disposition}`));
    button.type = 'button';
    button.dataset.disposition = disposition;
    const chosen = state.dispose?.id === alert.id && state.dispose.disposition === disposition;
    button.setAttribute('aria-pressed', String(chosen));
    button.addEventListener('click', () => {
      state.dispose = { id: alert.id, disposition, justification: currentJustification(alert.id) };
      renderOpen();
      document.querySelector(`#alert-${alert.id} textarea`)?.focus();
    });
    row.append(button);
  }
  box.append(row);
  if (state.dispose?.id !== alert.id) return box;

  const disposition = state.dispose.disposition;
  const danger = disposition === 'destroyed';
  const form = el('form', `form confirm-panel dispose-form${danger ? ' confirm-panel--danger' : ''}`);
  form.method = 'post';
  form.action = '/coldchain.html';
  form.noValidate = true;
  form.dataset.disposition = disposition;
  form.append(
    el('p', 'confirm-panel__title', t(`cc.dispose.confirm_title.${disposition}`, { lot: alert.lot_number })),
    el('p', 'hint', t(`cc.dispose.explain.${disposition}`)),
  );
  const error = el('p', 'alert alert--error');
  error.dataset.formError = '';
  error.setAttribute('role', 'alert');
  error.tabIndex = -1;
  error.hidden = true;
  const field = el('div', 'field');
  const id = `justification-${alert.id}`;
  const label = el('label');
  label.htmlFor = id;
  label.append(el('span', null, t('cc.dispose.justification')), el('span', 'tag tag--required', t('field.required')));
  const hint = el('p', 'hint', t(`cc.dispose.justification_hint.${disposition}`));
  hint.id = `${id}-hint`;
  const textarea = el('textarea');
  textarea.id = id;
  textarea.name = 'justification';
  textarea.rows = 3;
  textarea.maxLength = 1000;
  textarea.value = state.dispose.justification ?? '';
  textarea.setAttribute('aria-describedby', `${id}-hint ${id}-error`);
  textarea.addEventListener('input', () => { if (state.dispose) state.dispose.justification = textarea.value; });
  const fieldError = el('p', 'field-error');
  fieldError.id = `${id}-error`;
  fieldError.dataset.errorFor = 'justification';
  fieldError.hidden = true;
  field.append(label, hint, textarea, fieldError);
  const actions = el('div', 'actions actions--tight');
  const confirm = el('button', `btn ${danger ? 'btn--danger' : 'btn--primary'}`, t(`cc.dispose.submit.${disposition}`));
  confirm.type = 'submit';
  confirm.dataset.confirm = disposition;
  const cancel = el('button', 'btn btn--ghost', t('common.cancel'));
  cancel.type = 'button';
  cancel.addEventListener('click', () => { state.dispose = null; renderOpen(); });
  actions.append(confirm, cancel);
  form.append(error, field, actions);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitDisposition(form, alert, disposition);
  });
  box.append(form);
  return box;
}

function currentJustification(id) {
  return state.dispose?.id === id ? state.dispose.justification : '';
}

function submitDisposition(form, alert, disposition) {
  clearErrors(form);
  const { justification } = formValues(form, { keepEmpty: ['justification'] });
  if (!justification) {
    showError(form, { field: 'justification', message: t('cc.dispose.need_justification') });
    return;
  }
  whileSubmitting(form, async () => {
    try {
      await api('POST', `/api/v1/coldchain/alerts/${encodeURIComponent(alert.id)}/dispose`, { disposition, justification });
      state.dispose = null;
      await reload();
      note(t(`cc.dispose.done.${disposition}`, { lot: alert.lot_number }));
    } catch (error) {
      showError(form, error);
    }
  });
}

/** Connected sensors silent now (an alarm) or recovered in the last week (noted). */
function renderSilences() {
  const silences = state.silences;
  const open = silences.filter((x) => x.open).length;
  $('silences-card').hidden = silences.length === 0;
  $('silences-count').textContent = t('cc.alerts.count', { n: open });
  $('silences-count').dataset.count = String(open);
  $('silences-count').classList.toggle('count-pill--alert', open > 0);
  $('silences-count').hidden = open === 0;
  $('silence-list').replaceChildren(...silences.map((x) => {
    const li = el('li', x.open ? 'record record--alert' : 'record record--disposed');
    li.id = `silence-${x.id}`;
    li.dataset.loggerId = String(x.logger_id);
    li.dataset.open = String(Boolean(x.open));
    const head = el('div', 'record__head');
    const title = loggerLink(x.logger_id, x.logger_code);
    title.classList.add('record__title');
    head.append(title, el('span', `status-badge ${x.open ? 'status-badge--alert-open' : 'status-badge--disposed-released'}`,
      t(x.open ? 'cc.silences.silent' : 'cc.silences.recovered')));
    const dl = el('dl', 'details details--compact');
    const rows = [
      [t('cc.alert.place'), x.unit_name || '—'],
      [t('cc.silences.last'), timeElement(x.since)],
      [t('cc.silences.detected'), timeElement(x.detected_at)],
    ];
    if (!x.open) rows.push([t('cc.silences.resumed'), timeElement(x.resumed_at)]);
    if (x.interval_seconds) rows.push([t('cc.silences.interval'), t('cc.loggers.every', { n: Math.round(x.interval_seconds / 60 * 10) / 10 })]);
    fillDetails(dl, rows);
    const chart = el('a', null, t('cc.silences.chart'));
    chart.href = `/logger.html?id=${encodeURIComponent(x.logger_id)}`;
    const sub = el('p', 'record__sub');
    sub.append(chart);
    li.append(head, dl, sub);
    return li;
  }));
}

function renderDisposed() {
  const list = $('disposed-list');
  list.replaceChildren(...state.disposed.map((alert) => {
    const li = el('li', 'record record--disposed');
    li.id = `alert-${alert.id}`;
    li.dataset.alertId = String(alert.id);
    li.dataset.disposition = String(alert.disposition ?? '');
    const head = el('div', 'record__head');
    const known = alert.disposition === 'released' || alert.disposition === 'destroyed';
    head.append(lotLink(alert), el('span', `status-badge status-badge--disposed-${known ? alert.disposition : 'unknown'}`,
      known ? t(`cc.disposition.${alert.disposition}`) : String(alert.disposition ?? '')));
    const dl = el('dl', 'details details--compact');
    fillDetails(dl, [
      ...alertRows(alert).slice(0, 4),
      [t('cc.disposed.at'), timeElement(alert.disposed_at)],
      [t('cc.dispose.justification'), el('span', 'pre-wrap', alert.justification ?? '')],
    ]);
    li.append(head, el('p', 'muted record__sub', alert.product_name ?? ''), dl);
    return li;
  }));
  $('disposed-empty').hidden = state.disposed.length > 0;
}

function renderUnits() {
  const loggers = new Map(state.loggers.filter((l) => l.unit_id).map((l) => [Number(l.unit_id), l]));
  $('unit-list').replaceChildren(...state.units.map((unit) => {
    const li = el('li', 'record');
    li.dataset.unitId = String(unit.id);
    const head = el('div', 'record__head');
    head.append(el('strong', 'record__title', unit.name), el('span', 'badge badge--quiet', unitKindLabel(unit.kind)));
    const dl = el('dl', 'details details--compact');
    const logger = unit.logger_id ? loggerLink(unit.logger_id, unit.logger_code) : null;
    const watched = loggers.get(Number(unit.id));
    fillDetails(dl, [
      [t('cc.units.location'), unit.location],
      [t('cc.units.logger'), logger ?? el('span', 'state-text state-text--warn', t('cc.units.no_logger'))],
      [t('cc.loggers.last'), watched?.last_at ? timeElement(watched.last_at) : ''],
    ]);
    li.append(head, dl);
    return li;
  }));
  $('units-empty').hidden = state.units.length > 0;

  const select = $('logger-unit');
  const chosen = select.value;
  const none = el('option', null, t('cc.loggers.no_unit'));
  none.value = '';
  select.replaceChildren(none, ...state.units.map((u) => {
    const option = el('option', null, `${u.name}（${unitKindLabel(u.kind)}）`);
    option.value = String(u.id);
    return option;
  }));
  select.value = state.units.some((u) => String(u.id) === chosen) ? chosen : '';
}

function renderLoggers() {
  $('logger-list').replaceChildren(...state.loggers.map((logger) => {
    const li = el('li', 'record');
    li.dataset.loggerId = String(logger.id);
    li.dataset.loggerCode = String(logger.code ?? '');
    const head = el('div', 'record__head');
    const link = el('a', 'record__title mono', logger.code);
    link.href = `/logger.html?id=${encodeURIComponent(logger.id)}`;
    head.append(link);
    if (logger.ingest_enabled) head.append(el('span', 'badge badge--quiet', t('cc.loggers.ingest_badge')));
    const dl = el('dl', 'details details--compact');
    const chart = el('a', 'chart-link', t('cc.loggers.chart'));
    chart.href = `/logger.html?id=${encodeURIComponent(logger.id)}`;
    fillDetails(dl, [
      [t('cc.loggers.description'), logger.description],
      [t('cc.loggers.place'), logger.unit_name || t('cc.loggers.no_unit')],
      [t('cc.loggers.interval_short'), logger.interval_seconds ? t('cc.loggers.every', { n: Math.round(logger.interval_seconds / 60 * 10) / 10 }) : ''],
      [t('cc.loggers.readings'), t('cc.count', { n: logger.readings ?? 0 })],
      [t('cc.loggers.last'), logger.last_at ? timeElement(logger.last_at) : ''],
    ]);
    li.append(head, dl, chart);
    return li;
  }));
  $('loggers-empty').hidden = state.loggers.length > 0;
}

function render() {
  renderSilences();
  renderUnits();
  renderLoggers();
  renderOpen();
  renderDisposed();
  if (!state.highlighted && /^#alert-\d+$/.test(window.location.hash)) {
    const target = document.querySelector(window.location.hash);
    if (target) {
      state.highlighted = true;
      target.classList.add('record--target');
      target.scrollIntoView({ block: 'start' });
    }
  }
}

async function load() {
  const [units, loggers, open, disposed, silences] = await Promise.all([
    api('GET', '/api/v1/storage-units'),
    api('GET', '/api/v1/loggers'),
    api('GET', '/api/v1/coldchain/alerts?status=open'),
    api('GET', '/api/v1/coldchain/alerts?status=disposed'),
    api('GET', '/api/v1/coldchain/silences'),
  ]);
  state.silences = Array.isArray(silences.silences) ? silences.silences : [];
  state.units = Array.isArray(units.units) ? units.units : [];
  state.loggers = Array.isArray(loggers.loggers) ? loggers.loggers : [];
  state.open = Array.isArray(open.alerts) ? open.alerts : [];
  state.disposed = Array.isArray(disposed.alerts) ? disposed.alerts : [];
  if (state.dispose && !state.open.some((a) => a.id === state.dispose.id)) state.dispose = null;
}

async function reload() {
  await load();
  render();
}

function note(message) {
  $('cc-notice').textContent = message;
  $('cc-notice').hidden = false;
  $('cc-notice').focus();
}

function wireUnitForm() {
  const form = $('unit-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    if (!values.name) {
      showError(form, { field: 'name', message: t('cc.units.need_name') });
      return;
    }
    whileSubmitting(form, async () => {
      try {
        const data = await api('POST', '/api/v1/storage-units', values);
        form.reset();
        await reload();
        showStatus(form, t('cc.units.done', { name: data.unit?.name ?? values.name }));
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

function showKey(logger, key) {
  $('key-heading').textContent = t('cc.key.heading', { code: logger.code });
  $('api-key').textContent = key;
  $('api-endpoint').textContent = `POST ${window.location.origin}/api/v1/loggers/${logger.id}/readings`;
  $('key-copied').hidden = true;
  $('key-panel').hidden = false;
  $('key-panel').scrollIntoView({ block: 'center' });
  $('key-panel').focus();
}

function hideKey() {
  $('api-key').textContent = '';
  $('api-endpoint').textContent = '';
  $('key-panel').hidden = true;
}

/** Copies the shown key; falls back to selecting it for the person to copy. */
async function copyKey() {
  const key = $('api-key').textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(key);
    copied = true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents($('api-key'));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  $('key-copied').textContent = t(copied ? 'cc.key.copied' : 'cc.key.selected');
  $('key-copied').hidden = false;
}

function wireLoggerForm() {
  const form = $('logger-form');
  $('key-copy').addEventListener('click', copyKey);
  $('key-done').addEventListener('click', hideKey);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    const body = { code: values.code ?? '' };
    if (values.description) body.description = values.description;
    if (values.unit_id) body.unit_id = Number(values.unit_id);
    if (values.interval_minutes) {
      const minutes = Number(values.interval_minutes);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
        showError(form, { field: 'interval_minutes', message: t('cc.loggers.bad_interval') });
        return;
      }
      body.interval_seconds = minutes * 60;
    }
    body.ingest = $('logger-ingest').checked;
    if (!body.code) {
      showError(form, { field: 'code', message: t('cc.loggers.need_code') });
      return;
    }
    whileSubmitting(form, async () => {
      try {
        const data = await api('POST', '/api/v1/loggers', body);
        form.reset();
        $('logger-add').open = false;
        await reload();
        if (data.api_key) showKey(data.logger, data.api_key);
        else note(t('cc.loggers.done', { code: data.logger?.code ?? body.code }));
      } catch (error) {
        showError(form, error.field === 'interval_seconds' ? { ...error, message: error.message, field: 'interval_minutes' } : error);
      }
    });
  });
}

function wireAll() {
  wireUnitForm();
  wireLoggerForm();
  $('cc-refresh').addEventListener('click', async () => {
    $('cc-refresh').disabled = true;
    try {
      await reload();
    } catch (error) {
      showAlert('page-error', error);
    } finally {
      $('cc-refresh').disabled = false;
    }
  });
}

runPage({
  roles: ['pharmacist', 'admin'],
  load: (user) => { state.user = user; return load(); },
  wire: wireAll,
  render,
  view: 'cc-view',
});
