// Patient page (doctors): profile, screening flags worst first, booking, consent, the latest
// answers rendered against the questionnaire definition, every earlier version of the answers
// with its flags, and the decision: approve (product, quantity, directions, valid until; an
// override reason over a block or answer-changed flag) or decline with a reason. A decision
// already recorded for the latest answers is shown read-only.

import { api } from '../lib/api.js';
import { clearErrors, formValues, showError, whileSubmitting } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { addDays, formatDay, timeElement, todayJst } from '../lib/jst.js';
import { flagList, levelBadge, pick } from '../lib/levels.js';
import { answerText } from '../lib/questionnaire-form.js';
import { $, el, fillDetails } from '../lib/dom.js';
import { pageId, runPage } from '../lib/page.js';

const DEFAULTS = {
  ja: { product: 'エクソソームクリーム(男性用)', directions: '1日1回、洗顔後に適量を塗布' },
  en: { product: 'Exosome cream (for men)', directions: 'Apply a suitable amount once a day after washing your face.' },
};
// The product preselected in the list (when the master has it).
const DEFAULT_PRODUCT_CODE = 'EXO-CREAM-M';
const VALID_DAYS = 30;

const state = { id: null, patient: null, intake: null, definition: null, products: [] };

function ageOn(birthDate, today) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(birthDate ?? '')) return null;
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [ty, tm, td] = today.split('-').map(Number);
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

function latestResponse() {
  return state.intake?.questionnaire?.latest ?? null;
}

function hasBlock() {
  const latest = latestResponse();
  if (!latest) return false;
  return latest.worst_level === 'block' || (latest.flags ?? []).some((f) => f.level === 'block');
}

/** Approval needs a written reason: a block, or a flag that earlier answers raised and these
 * do not (the server says so in override_required). */
function needsOverride() {
  const latest = latestResponse();
  return hasBlock() || latest?.override_required === true;
}

/** The decision recorded for the latest answers, or null while it is still to be made. */
function decisionOnLatest() {
  const decision = state.intake?.decision ?? null;
  const latest = latestResponse();
  return decision && latest && decision.response_id === latest.id ? decision : null;
}

function renderProfile() {
  const patient = state.patient;
  const profile = patient.profile ?? {};
  $('patient-name').textContent = patient.name;
  document.title = `${patient.name} — exosafe`;
  const age = ageOn(profile.birth_date, todayJst());
  $('patient-sub').textContent = [profile.name_kana, age !== null ? t('patient.age', { n: age }) : '']
    .filter(Boolean).join(' / ');
  const phone = el('a', null, profile.phone);
  phone.href = `tel:${String(profile.phone ?? '').replace(/[^0-9+]/g, '')}`;
  const sex = ['female', 'male', 'other'].includes(profile.sex) ? t(`sex.${profile.sex}`) : profile.sex;
  fillDetails($('profile'), [
    [t('field.name_kana'), profile.name_kana],
    [t('field.birth_date'), profile.birth_date ? `${profile.birth_date}${age !== null ? ` (${t('patient.age', { n: age })})` : ''}` : ''],
    [t('field.sex'), sex],
    [t('field.phone'), profile.phone ? phone : ''],
    [t('field.email'), patient.email],
    [t('field.postal_code'), profile.postal_code],
    [t('field.address'), profile.address],
  ]);
}

function renderFlags() {
  const latest = latestResponse();
  $('worst-level').replaceChildren(levelBadge(latest ? latest.worst_level : 'missing'));
  $('flags').replaceChildren(latest ? flagList(latest.flags) : el('p', 'muted', t('patient.no_response')));
  const notes = [];
  if (latest) {
    notes.push(t('patient.response_meta', { id: latest.id, version: latest.version }));
    if (latest.outdated) notes.push(t('patient.response_outdated'));
    if (latest.expired) notes.push(t('patient.response_expired'));
  }
  $('response-note').textContent = notes.join(' ');
}

function renderBookings() {
  const bookings = state.intake?.upcoming_bookings ?? [];
  if (bookings.length === 0) {
    $('bookings').replaceChildren(el('p', 'muted', t('patient.call.none')));
    return;
  }
  const list = el('ul', 'plain-list');
  for (const booking of bookings) {
    const li = el('li');
    li.append(timeElement(booking.starts_at, booking.ends_at), ` ${booking.doctor_name ?? ''}`);
    list.append(li);
  }
  $('bookings').replaceChildren(list);
}

function renderCalls() {
  const calls = state.intake?.calls ?? [];
  if (calls.length === 0) {
    $('calls-record').replaceChildren(el('p', 'muted', t('patient.calls.none')));
    return;
  }
  const list = el('ul', 'plain-list');
  for (const call of calls) {
    const li = el('li', `call-record call-record--${call.result}`);
    li.dataset.callResult = call.result;
    li.append(el('strong', null, t(call.result === 'held' ? 'patient.calls.held' : 'patient.calls.not_reached')), ' ',
      timeElement(call.called_at), ` ${call.doctor_name ?? ''}`);
    if (call.notes) li.append(el('p', 'pre-wrap call-record__notes', call.notes));
    list.append(li);
  }
  $('calls-record').replaceChildren(list);
}

function renderConsent() {
  const consent = state.intake?.consent ?? {};
  const latest = consent.latest ?? null;
  const stateEl = $('consent-state');
  const key = consent.in_force ? 'patient.consent.in_force'
    : latest?.withdrawn_at ? 'patient.consent.withdrawn'
      : latest ? 'patient.consent.outdated' : 'patient.consent.none';
  stateEl.textContent = t(key, { version: latest?.version ?? '', current: consent.current_version ?? '' });
  stateEl.dataset.state = consent.state ?? '';
  stateEl.className = `state ${consent.in_force ? 'state--ok' : 'state--warn'}`;
  stateEl.dataset.inForce = String(consent.in_force === true);
  const dl = $('consent-details');
  dl.hidden = !latest;
  if (latest) {
    const rows = [
      [t('consent.details.version'), String(latest.version)],
      [t('consent.details.accepted_at'), timeElement(latest.accepted_at)],
      [t('consent.details.lang'), latest.lang === 'ja' || latest.lang === 'en' ? t(`lang.name.${latest.lang}`) : latest.lang],
      [t('consent.details.sha256'), el('span', 'mono wrap-anywhere', latest.sha256)],
    ];
    if (latest.withdrawn_at) rows.push([t('consent.details.withdrawn_at'), timeElement(latest.withdrawn_at)]);
    fillDetails(dl, rows);
  }
  // Every acceptance as recorded: older versions keep their version, time and text hash.
  const history = Array.isArray(consent.history) ? consent.history : [];
  $('consent-history-heading').hidden = history.length < 2;
  const list = $('consent-history');
  list.hidden = history.length < 2;
  list.replaceChildren(...history.map((c) => {
    const li = el('li', 'record');
    li.dataset.version = String(c.version);
    const rows = [
      [t('consent.details.version'), String(c.version)],
      [t('consent.details.accepted_at'), timeElement(c.accepted_at)],
      [t('consent.details.sha256'), el('span', 'mono wrap-anywhere', c.sha256)],
    ];
    if (c.withdrawn_at) rows.push([t('consent.details.withdrawn_at'), timeElement(c.withdrawn_at)]);
    const dl2 = el('dl', 'details details--compact');
    fillDetails(dl2, rows);
    li.append(dl2);
    return li;
  }));
}

function renderAnswers() {
  const latest = latestResponse();
  const dl = $('answers');
  dl.replaceChildren();
  if (!latest) {
    $('answers-meta').textContent = t('patient.no_response');
    return;
  }
  $('answers-meta').replaceChildren(t('patient.answers.submitted'), ' ', timeElement(latest.submitted_at));
  const answers = latest.answers ?? {};
  const items = Array.isArray(state.definition?.item) ? state.definition.item : [];
  const known = new Set(items.map((i) => i.linkId));
  // The definition's order first, then anything it does not know (an older version's items).
  const order = [...items.filter((i) => Object.prototype.hasOwnProperty.call(answers, i.linkId)),
    ...Object.keys(answers).filter((k) => !known.has(k)).map((k) => ({ linkId: k, text: k }))];
  for (const item of order) {
    const dt = el('dt', null, pick(item.text));
    const dd = el('dd', item.type === 'text' ? 'pre-wrap' : null, answerText(item.type ? item : null, answers[item.linkId]));
    dd.dataset.linkId = item.linkId;
    dl.append(dt, dd);
  }
}

function history() {
  const list = state.intake?.questionnaire?.history;
  return Array.isArray(list) ? list : [];
}

/** Every version of the answers, newest first: when, which questionnaire, the flags it
 * raised, and its answers (those that differ from the version before are marked). */
function renderHistory() {
  const versions = history();
  const list = $('history');
  list.replaceChildren();
  $('history-empty').hidden = versions.length > 0;
  const items = Array.isArray(state.definition?.item) ? state.definition.item : [];
  versions.forEach((v, index) => {
    const previous = index > 0 ? versions[index - 1].answers ?? {} : null;
    const li = el('li', `card card--flat history__version history__version--${v.worst_level}`);
    li.dataset.number = String(v.number);
    li.dataset.responseId = String(v.id);
    li.dataset.level = String(v.worst_level ?? '');
    const head = el('div', 'history__head');
    head.append(el('strong', 'history__number', t('patient.history.version', { n: v.number })), ' ',
      timeElement(v.submitted_at), ' ', el('span', 'muted', t('patient.history.questionnaire', { version: v.questionnaire_version })),
      ' ', levelBadge(v.worst_level));
    if (v.id === latestResponse()?.id) head.append(' ', el('span', 'tag', t('patient.history.latest')));
    li.append(head, flagList(v.flags));
    const answers = v.answers ?? {};
    const details = el('details', 'history__answers');
    details.append(el('summary', null, t('patient.history.answers')));
    const dl = el('dl', 'answers');
    const known = new Set(items.map((i) => i.linkId));
    const keys = [...items.map((i) => i.linkId), ...Object.keys({ ...answers, ...(previous ?? {}) }).filter((k) => !known.has(k))];
    for (const linkId of keys) {
      const has = Object.prototype.hasOwnProperty.call(answers, linkId);
      const had = previous !== null && Object.prototype.hasOwnProperty.call(previous, linkId);
      if (!has && !had) continue;
      const item = items.find((i) => i.linkId === linkId) ?? null;
      const changed = previous !== null && JSON.stringify(answers[linkId]) !== JSON.stringify(previous[linkId]);
      const dt = el('dt', null, item ? pick(item.text) : linkId);
      const dd = el('dd', changed ? 'history__changed' : null, answerText(item, answers[linkId]));
      if (changed) {
        dd.append(' ', el('span', 'tag tag--warn', t('patient.history.changed', { was: answerText(item, previous[linkId]) })));
        dd.dataset.changed = 'true';
      }
      dd.dataset.linkId = linkId;
      dl.append(dt, dd);
    }
    details.append(dl);
    li.append(details);
    list.prepend(li);
  });
}

function renderRecorded(decision) {
  const approved = decision.decision === 'approved';
  const result = $('decision-result');
  result.textContent = t(approved ? 'decision.recorded_approved' : 'decision.recorded_declined');
  result.className = `state ${approved ? 'state--ok' : 'state--warn'}`;
  result.dataset.decision = decision.decision;
  const rows = approved ? [
    [t('decision.product'), decision.product],
    [t('decision.quantity'), t('decision.quantity_value', { n: decision.quantity })],
    [t('decision.directions'), decision.directions],
    [t('decision.valid_until'), decision.valid_until ? formatDay(decision.valid_until) : ''],
  ] : [[t('decision.decline_reason'), decision.decline_reason]];
  rows.push([t('decision.notes'), decision.notes]);
  if (decision.override_reason) rows.push([t('decision.override_reason'), decision.override_reason]);
  if (decision.no_call_reason) rows.push([t('decision.no_call_reason'), decision.no_call_reason]);
  rows.push([t('decision.decided_at'), timeElement(decision.decided_at)], [t('decision.doctor'), decision.doctor_name]);
  fillDetails($('decision-details'), rows);
  for (const dd of $('decision-details').querySelectorAll('dd')) dd.classList.add('pre-wrap');
  $('decision-recorded').hidden = false;
}

function renderDecision() {
  const latest = latestResponse();
  const recorded = decisionOnLatest();
  const form = $('decision-form');
  $('decision-recorded').hidden = true;
  $('decision-unavailable').hidden = true;
  $('decision-warning').hidden = true;
  if (recorded) {
    renderRecorded(recorded);
    form.hidden = true;
    return;
  }
  if (!latest) {
    $('decision-unavailable').textContent = t('patient.decision.no_response');
    $('decision-unavailable').hidden = false;
    form.hidden = true;
    return;
  }
  const warnings = [];
  if (latest.outdated || latest.expired) warnings.push(t('patient.decision.warn_response'));
  if (!state.intake?.consent?.in_force) warnings.push(t('patient.decision.warn_consent'));
  if (warnings.length) {
    $('decision-warning').textContent = warnings.join(' ');
    $('decision-warning').hidden = false;
  }
  form.hidden = false;
  $('override-area').hidden = !needsOverride();
  $('override-warning').textContent = t(hasBlock() ? 'decision.override_warning' : 'decision.override_warning_changed');
  $('no-call-area').hidden = Boolean(state.intake?.call_held);
  toggleFields();
}

function toggleFields() {
  const chosen = $('decision-form').querySelector('input[name="decision"]:checked')?.value ?? '';
  $('approve-fields').hidden = chosen !== 'approved';
  $('decline-fields').hidden = chosen !== 'declined';
}

function render() {
  renderProductChoice();
  renderProfile();
  renderFlags();
  renderBookings();
  renderCalls();
  renderConsent();
  renderAnswers();
  renderHistory();
  renderDecision();
}

/** Fills the approval fields with the defaults (in the UI language). */
function prefill() {
  const d = DEFAULTS[currentLang()] ?? DEFAULTS.ja;
  $('decision-directions').value = d.directions;
  $('decision-quantity').value = '1';
  $('decision-valid-until').value = addDays(todayJst(), VALID_DAYS);
  $('decision-valid-until').min = todayJst();
}

/** After a language switch, swaps untouched defaults for the other language's. */
function relocalizeDefaults() {
  const d = DEFAULTS[currentLang()] ?? DEFAULTS.ja;
  for (const [id, key] of [['decision-directions', 'directions']]) {
    const input = $(id);
    if (Object.values(DEFAULTS).some((x) => x[key] === input.value)) input.value = d[key];
  }
}

/**
 * Loads the product master (GET /api/v1/products): approvals name a product by product_id from
 * it. With no product registered, approving is not possible and the form says so.
 */
async function loadProducts() {
  try {
    const data = await api('GET', '/api/v1/products');
    state.products = Array.isArray(data.products) ? data.products.filter((p) => Number.isInteger(p.id)) : [];
  } catch {
    state.products = [];
  }
}

function renderProductChoice() {
  const useList = state.products.length > 0;
  $('product-none').hidden = useList;
  $('product-select-field').hidden = !useList;
  const select = $('decision-product-id');
  select.disabled = !useList;
  if (!useList) return;
  const chosen = select.value;
  select.replaceChildren(...state.products.map((p) => {
    const option = el('option', null, pick(p.name) || p.code);
    option.value = String(p.id);
    return option;
  }));
  const fallback = state.products.find((p) => p.code === DEFAULT_PRODUCT_CODE)
    ?? state.products.find((p) => p.name?.ja === DEFAULTS.ja.product) ?? state.products[0];
  select.value = chosen && state.products.some((p) => String(p.id) === chosen) ? chosen : String(fallback.id);
}

async function load() {
  const [file, q] = await Promise.all([
    api('GET', `/api/v1/patients/${encodeURIComponent(state.id)}/intake`),
    state.definition ? Promise.resolve({ questionnaire: state.definition }) : api('GET', '/api/v1/questionnaire'),
  ]);
  state.patient = file.patient;
  state.intake = file.intake ?? {};
  state.definition = q.questionnaire ?? null;
}

function wire() {
  const form = $('decision-form');
  form.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === 'decision') toggleFields();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    if (!values.decision) {
      showError(form, { field: 'decision', message: t('decision.need_choice') });
      return;
    }
    const body = { response_id: latestResponse().id, decision: values.decision, notes: values.notes ?? '' };
    if (values.decision === 'approved') {
      if (state.products.length === 0) {
        showError(form, { message: t('decision.no_product') });
        return;
      }
      for (const key of ['directions', 'valid_until']) if (values[key] !== undefined) body[key] = values[key];
      if (values.product_id !== undefined) body.product_id = Number(values.product_id);
      if (values.quantity !== undefined) {
        const n = Number(values.quantity);
        body.quantity = Number.isInteger(n) ? n : values.quantity;
      }
      if (needsOverride() && values.override_reason !== undefined) body.override_reason = values.override_reason;
      if (!state.intake?.call_held && values.no_call_reason !== undefined) body.no_call_reason = values.no_call_reason;
    } else if (values.decline_reason !== undefined) body.decline_reason = values.decline_reason;

    whileSubmitting(form, async () => {
      try {
        await api('POST', `/api/v1/patients/${encodeURIComponent(state.id)}/decision`, body);
        await load();
        render();
        $('decision-card').scrollIntoView({ block: 'start' });
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

async function loadPatient() {
  state.id = pageId('patient.bad_id');
  if (!state.id) return false;
  await Promise.all([load(), loadProducts()]);
  return true;
}

runPage({
  roles: ['doctor'],
  load: loadPatient,
  wire: () => { prefill(); wire(); },
  render,
  onLang: () => {
    relocalizeDefaults();
    render();
  },
  view: 'patient-view',
});
