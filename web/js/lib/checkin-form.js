// The follow-up check-in (issue 17) shared by the patient's check-in page, the e-mail link page
// and the staff's phone-call form: "nothing changed", or the seed's symptom checklist with how
// bad each symptom is and whether it is still there, and a free note. "Nothing changed" and
// symptoms exclude each other (ticking one clears the other), as the server requires.
// Built with data-i18n keys so the language toggle translates it without losing what was ticked;
// every API value is written with textContent.

import { t } from './i18n.js';
import { el } from './dom.js';
import { SEVERITIES, SYMPTOMS, severityLabel, symptomLabel } from './ae-shared.js';
import { pick } from './levels.js';

/** The key of a sessionStorage entry holding the AE prefill of check-in id (report.js reads it). */
export const prefillKey = (id) => `exosafe_ae_prefill:${id}`;

/** Returns the ISO instant of t (Unix seconds, or an ISO string), or null. */
export function isoOf(value) {
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  return null;
}

function tr(node, key) {
  node.dataset.i18n = key;
  node.textContent = t(key);
  return node;
}

function radio(name, id, value, key, describedBy) {
  const label = el('label', 'choice');
  label.htmlFor = id;
  const input = el('input');
  Object.assign(input, { type: 'radio', id, name, value });
  input.setAttribute('aria-describedby', describedBy);
  label.append(input, tr(el('span'), key));
  return label;
}

/**
 * Returns the check-in's fields (a <div>) for a form; prefix keeps the ids unique on the page
 * (`${prefix}-nothing`, `${prefix}-sym-redness`, `${prefix}-sev-redness-mild`,
 * `${prefix}-present-redness-yes`, `${prefix}-note`). The error slots are data-error-for
 * "nothing_changed", "symptoms" and "note" (forms.js showError places the server's errors there).
 */
export function checkinFields(prefix) {
  const box = el('div', 'checkin-fields stack');
  const errorId = `${prefix}-symptoms-error`;

  const nothing = el('fieldset', 'fieldset checkin-nothing');
  nothing.append(tr(el('legend'), 'checkin.form.nothing_legend'));
  const nothingLabel = el('label', 'choice choice--strong');
  nothingLabel.htmlFor = `${prefix}-nothing`;
  const nothingBox = el('input');
  Object.assign(nothingBox, { type: 'checkbox', id: `${prefix}-nothing`, name: 'nothing_changed', value: 'true' });
  nothingBox.setAttribute('aria-describedby', errorId);
  nothingLabel.append(nothingBox, tr(el('span'), 'checkin.form.nothing'));
  nothing.append(nothingLabel);

  const symptoms = el('fieldset', 'fieldset checkin-symptoms');
  symptoms.id = `${prefix}-symptoms`;
  symptoms.append(tr(el('legend'), 'checkin.form.symptoms_legend'));
  const list = el('div', 'checkin-symptom-list');
  for (const code of SYMPTOMS) {
    const row = el('div', 'checkin-symptom');
    row.dataset.symptom = code;
    const label = el('label', 'choice');
    label.htmlFor = `${prefix}-sym-${code}`;
    const input = el('input');
    Object.assign(input, { type: 'checkbox', id: `${prefix}-sym-${code}`, name: 'symptoms', value: code });
    input.setAttribute('aria-describedby', errorId);
    label.append(input, tr(el('span'), `ae.symptom.${code}`));
    const detail = el('div', 'checkin-symptom__detail');
    detail.hidden = true;
    const sev = el('fieldset', 'fieldset fieldset--inline');
    sev.append(tr(el('legend', 'field-label'), 'checkin.form.severity'));
    const sevChoices = el('div', 'choices choices--row');
    for (const s of SEVERITIES) sevChoices.append(radio(`severity-${code}`, `${prefix}-sev-${code}-${s}`, s, `ae.severity.${s}`, errorId));
    sev.append(sevChoices);
    const present = el('fieldset', 'fieldset fieldset--inline');
    present.append(tr(el('legend', 'field-label'), 'checkin.form.present'));
    const presentChoices = el('div', 'choices choices--row');
    presentChoices.append(
      radio(`present-${code}`, `${prefix}-present-${code}-yes`, 'true', 'checkin.form.present_yes', errorId),
      radio(`present-${code}`, `${prefix}-present-${code}-no`, 'false', 'checkin.form.present_no', errorId),
    );
    present.append(presentChoices);
    detail.append(sev, present);
    row.append(label, detail);
    list.append(row);
  }
  const symptomError = el('p', 'field-error');
  symptomError.id = errorId;
  symptomError.dataset.errorFor = 'symptoms';
  symptomError.hidden = true;
  const nothingError = el('p', 'field-error');
  nothingError.dataset.errorFor = 'nothing_changed';
  nothingError.hidden = true;
  symptoms.append(list, symptomError, nothingError);

  const note = el('div', 'field');
  const noteLabel = el('label');
  noteLabel.htmlFor = `${prefix}-note`;
  noteLabel.append(tr(el('span'), 'checkin.form.note'), tr(el('span', 'tag'), 'field.optional'));
  const noteInput = el('textarea');
  Object.assign(noteInput, { id: `${prefix}-note`, name: 'note', rows: 3, maxLength: 2000 });
  noteInput.setAttribute('aria-describedby', `${prefix}-note-error`);
  const noteError = el('p', 'field-error');
  noteError.id = `${prefix}-note-error`;
  noteError.dataset.errorFor = 'note';
  noteError.hidden = true;
  note.append(noteLabel, noteInput, noteError);

  box.append(nothing, symptoms, note);
  wireExclusion(box);
  return box;
}

/** "Nothing changed" clears the symptoms and a symptom clears "nothing changed"; a ticked symptom shows its questions. */
function wireExclusion(box) {
  const nothing = box.querySelector('input[name="nothing_changed"]');
  const symptoms = [...box.querySelectorAll('input[name="symptoms"]')];
  const showDetail = (input) => {
    const detail = input.closest('.checkin-symptom').querySelector('.checkin-symptom__detail');
    detail.hidden = !input.checked;
    if (!input.checked) for (const r of detail.querySelectorAll('input')) r.checked = false;
  };
  nothing.addEventListener('change', () => {
    if (!nothing.checked) return;
    for (const s of symptoms) { s.checked = false; showDetail(s); }
  });
  for (const s of symptoms) {
    s.addEventListener('change', () => {
      if (s.checked) nothing.checked = false;
      showDetail(s);
    });
  }
}

/** Clears the fields of box (after a sent answer). */
export function resetCheckinFields(box) {
  for (const input of box.querySelectorAll('input')) input.checked = false;
  for (const d of box.querySelectorAll('.checkin-symptom__detail')) d.hidden = true;
  const note = box.querySelector('textarea[name="note"]');
  if (note) note.value = '';
}

/** Returns true when nothing in box was ticked or written. */
export function checkinFieldsEmpty(box) {
  return !box.querySelector('input:checked') && !box.querySelector('textarea[name="note"]')?.value.trim();
}

/**
 * Reads box into the answers body {nothing_changed, symptoms: [{symptom, severity,
 * still_present}], note}, or returns {error: {field, message}} for the first problem: neither
 * "nothing changed" nor a symptom, or a symptom without its severity or still-present answer.
 */
export function readCheckinFields(box) {
  const nothing = box.querySelector('input[name="nothing_changed"]').checked;
  const codes = [...box.querySelectorAll('input[name="symptoms"]:checked')].map((i) => i.value);
  if (!nothing && codes.length === 0) return { error: { field: 'symptoms', message: t('checkin.need_answer') } };
  if (nothing && codes.length > 0) return { error: { field: 'symptoms', message: t('checkin.exclusive') } };
  const symptoms = [];
  for (const code of codes) {
    const severity = box.querySelector(`input[name="severity-${code}"]:checked`)?.value;
    if (!severity) return { error: { field: 'symptoms', message: t('checkin.need_severity', { symptom: symptomLabel(code) }) } };
    const present = box.querySelector(`input[name="present-${code}"]:checked`)?.value;
    if (present === undefined) return { error: { field: 'symptoms', message: t('checkin.need_present', { symptom: symptomLabel(code) }) } };
    symptoms.push({ symptom: code, severity, still_present: present === 'true' });
  }
  return { body: { nothing_changed: nothing, symptoms, note: box.querySelector('textarea[name="note"]').value.trim() } };
}

/** Returns "3日目の確認" / "Day 3 check-in" for a check-in. */
export function checkinDayText(checkin) {
  return t('checkin.day', { n: checkin?.day_offset ?? '?' });
}

/** Returns "製品名 — 3日目の確認" for a check-in (product_name plain or {ja, en}). */
export function checkinTitle(checkin) {
  return `${pick(checkin?.product_name)} — ${checkinDayText(checkin)}`;
}

/** Returns the answer as one line: "変わりなし" or "かゆみ（中くらい・続いている）、赤み（軽い・おさまった）". */
export function answerText(checkin) {
  if (checkin?.nothing_changed) return t('checkin.nothing_short');
  const symptoms = Array.isArray(checkin?.symptoms) ? checkin.symptoms : [];
  if (symptoms.length === 0) return t('value.dash');
  return symptoms.map((s) => t('checkin.symptom_line', {
    symptom: symptomLabel(s.symptom),
    severity: severityLabel(s.severity),
    present: s.still_present ? t('checkin.form.present_yes') : t('checkin.form.present_no'),
  })).join(t('ae.list_sep'));
}

/** Returns how the answer came in ("アプリ", "メールのリンク", "お電話"). */
export function viaText(via) {
  return ['app', 'link', 'phone'].includes(via) ? t(`checkin.via.${via}`) : String(via ?? '');
}
