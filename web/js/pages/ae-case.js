// One adverse-event case (staff): the patient's report with its photo, every assessment version
// (newest first) and, for doctors and pharmacists, the assessment form — one row per CTCAE v5
// term (terms matching the reported symptoms suggested first) with a grade from the term's own
// grades and its description, the ICH E2A criteria, outcome and outcome date, WHO-UMC causality,
// the suspected lots pre-checked from the patient's dispenses, treatment and narrative. A saved
// assessment is a new version; the page then shows whether the case is serious, its due date and
// any lot alerts raised. Admins read only. An event outside the clinic's common terms is found
// in the whole NCI CTCAE v5.0 catalogue (search by English, Japanese or MedDRA code); an
// "Other, specify" term asks for the specific event and its MedDRA code (needed for export).
// Once a doctor has made the latest assessment, staff can open the 医薬品安全性情報報告書 (the
// PMDA form, rendered by the server) to print it on A4.

import { api } from '../lib/api.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { timeElement, todayJst } from '../lib/jst.js';
import { $, el, fillDetails } from '../lib/dom.js';
import {
  CAUSALITIES, OUTCOMES, SERIOUSNESS, causalityLabel, dueText, outcomeLabel, seriousnessLabel, severityLabel,
  symptomsText, triageBadge,
} from '../lib/ae-shared.js';
import { formatDate } from '../lib/trace.js';
import { pageId, runPage } from '../lib/page.js';

const state = {
  user: null, id: null, report: null, assessments: [], lots: [], terms: [], result: null, prefilled: false,
};

const canAssess = () => state.user && ['doctor', 'pharmacist'].includes(state.user.role);
const latest = () => state.assessments.reduce((a, b) => (!a || Number(b.version) > Number(a.version) ? b : a), null);
const termByCode = (code) => state.terms.find((x) => x.code === code) ?? null;

/** Returns "そう痒症 / Pruritus": both names whatever the UI language (English alone where no
 * Japanese is known). */
function termName(term) {
  if (!term) return '';
  if (!term.name_ja) return term.name_en;
  return currentLang() === 'en' ? `${term.name_en} / ${term.name_ja}` : `${term.name_ja} / ${term.name_en}`;
}

/** The grade's description; NCI's English where no Japanese is known. */
function gradeText(term, grade) {
  const g = term?.grades?.find((x) => Number(x.grade) === Number(grade));
  if (!g) return '';
  return currentLang() === 'en' || !g.ja ? g.en : g.ja;
}

/** Adds catalogue terms (from a search or a saved version) to the terms the form offers. */
function rememberTerm(term) {
  if (term && !termByCode(term.code)) state.terms.push(term);
}

/** The terms whose symptoms include one the patient reported. */
function suggestedTerms() {
  const reported = new Set(state.report?.symptoms ?? []);
  return state.terms.filter((term) => (term.symptoms ?? []).some((s) => reported.has(s)));
}

function lotNumber(id) {
  return state.lots.find((l) => Number(l.lot_id) === Number(id))?.lot_number ?? `#${id}`;
}

// ---- The report and the history

function renderReport() {
  const r = state.report;
  $('case-heading').textContent = t('ae.case_title', { id: r.id, name: r.patient_name ?? '' });
  $('case-badge').replaceChildren(triageBadge(r));
  const due = $('case-due');
  due.hidden = !(r.serious && r.due_date);
  due.textContent = r.serious && r.due_date ? t('ae.case.serious_due', { due: dueText(r.due_date) }) : '';
  let phone = '';
  if (r.patient_phone) {
    phone = el('a', 'mono', r.patient_phone);
    phone.href = `tel:${r.patient_phone.replace(/[^0-9+]/g, '')}`;
    phone.id = 'case-patient-phone';
  }
  fillDetails($('case-report'), [
    [t('ae.field.patient'), r.patient_name],
    [t('ae.field.phone'), phone],
    [t('report.field.symptoms'), symptomsText(r.symptoms)],
    [t('report.field.description'), r.description],
    [t('report.field.onset'), formatDate(r.onset_date)],
    [t('report.field.ongoing'), r.ongoing ? t('report.form.ongoing_yes') : t('report.form.ongoing_no')],
    [t('report.field.severity'), severityLabel(r.severity)],
    [t('report.field.order'), r.order_id ? t('order.number', { id: r.order_id }) : ''],
    [t('report.field.received_at'), timeElement(r.received_at)],
    [t('ae.field.reporter'), r.reporter_role ? t(`role.${r.reporter_role}`) : ''],
  ]);
  $('case-report').querySelectorAll('dd')[3]?.classList.add('pre-wrap');
  const box = $('case-photo-box');
  box.hidden = !r.has_photo;
  if (r.has_photo) {
    const img = $('case-photo');
    const src = `/api/v1/adverse-events/${encodeURIComponent(r.id)}/photo`;
    if (img.getAttribute('src') !== src) img.src = src;
    img.alt = t('ae.case.photo_alt');
  }
}

function historyItem(a) {
  const li = el('li', `record history-item${a.serious ? ' history-item--serious' : ''}`);
  li.dataset.version = String(a.version);
  const head = el('div', 'record__head');
  head.append(el('strong', 'record__title', t('ae.version', { n: a.version })));
  const badge = el('span', `triage triage--${a.serious ? 'serious' : 'assessed'}`, a.serious ? t('ae.triage.serious') : t('ae.not_serious'));
  badge.dataset.triage = a.serious ? 'serious' : 'assessed';
  head.append(badge);
  li.append(head);
  if (a.serious && a.due_date) li.append(el('p', 'ae-item__due', dueText(a.due_date)));
  const terms = el('ul', 'plain-list term-list');
  for (const x of a.terms ?? []) {
    const term = termByCode(x.code);
    const item = el('li');
    item.append(el('strong', null, `${term ? termName(term) : x.code} — ${t('ae.grade', { n: x.grade })}`));
    if (x.specify_text) {
      const coded = x.specify_meddra_code ? `MedDRA ${x.specify_meddra_code}` : t('ae.assess.specify_uncoded');
      const sp = el('span', `term-list__specify${x.specify_meddra_code ? '' : ' term-list__specify--uncoded'}`,
        `${t('ae.assess.specify_text')}: ${x.specify_text}（${coded}）`);
      item.append(sp);
    }
    const desc = gradeText(term, x.grade);
    if (desc) item.append(el('span', 'hint term-list__desc', desc));
    terms.append(item);
  }
  const criteria = SERIOUSNESS.filter((c) => a.seriousness?.[c]).map(seriousnessLabel).join(t('ae.list_sep'));
  const outcome = a.outcome_date ? `${outcomeLabel(a.outcome)}（${formatDate(a.outcome_date)}）` : outcomeLabel(a.outcome);
  const dl = el('dl', 'details details--compact');
  fillDetails(dl, [
    [t('ae.assess.terms_short'), terms],
    [t('ae.assess.seriousness'), criteria || t('ae.serious.none')],
    [t('ae.assess.outcome'), outcome],
    [t('ae.assess.causality'), causalityLabel(a.causality)],
    [t('ae.assess.lots'), (a.lot_ids ?? []).map(lotNumber).join(', ')],
    [t('ae.assess.treatment'), a.treatment],
    [t('ae.assess.narrative'), a.narrative],
    [t('ae.field.assessed'), `${a.assessed_by ?? ''}`],
    [t('ae.field.assessed_at'), timeElement(a.assessed_at)],
  ]);
  for (const i of [5, 6]) dl.querySelectorAll('dd')[i]?.classList.add('pre-wrap');
  li.append(dl);
  return li;
}

function renderHistory() {
  const versions = [...state.assessments].sort((a, b) => Number(b.version) - Number(a.version));
  $('case-history').replaceChildren(...versions.map(historyItem));
  $('history-empty').hidden = versions.length > 0;
}

// ---- The assessment form

function termOptions(select, chosen) {
  const suggested = suggestedTerms();
  const others = state.terms.filter((term) => !suggested.includes(term) && term.common !== false);
  const found = state.terms.filter((term) => !suggested.includes(term) && term.common === false);
  const none = el('option', null, t('ae.assess.choose_term'));
  none.value = '';
  const group = (label, list) => {
    const g = el('optgroup');
    g.label = label;
    g.append(...list.map((term) => {
      const o = el('option', null, termName(term));
      o.value = term.code;
      return o;
    }));
    return g;
  };
  select.replaceChildren(none);
  if (suggested.length) select.append(group(t('ae.assess.suggested_group'), suggested));
  if (others.length) select.append(group(t('ae.assess.other_group'), others));
  if (found.length) select.append(group(t('ae.assess.found_group'), found));
  select.value = chosen && termByCode(chosen) ? chosen : '';
}

/** Shows the specific-event fields when the row's term is an "Other, specify" one. */
function specifyFields(row) {
  const term = termByCode(row.querySelector('.term-select').value);
  row.querySelector('.term-row__specify').hidden = !term?.other_specify;
}

function gradeOptions(row, grade) {
  const term = termByCode(row.querySelector('.term-select').value);
  const select = row.querySelector('.grade-select');
  const grades = term?.grades ?? [];
  // A blank first choice: no grade is pre-selected, so a grade is always a decision.
  const blank = el('option', null, t('ae.assess.grade_choose'));
  blank.value = '';
  select.replaceChildren(blank, ...grades.map((g) => {
    const o = el('option', null, t('ae.grade', { n: g.grade }));
    o.value = String(g.grade);
    return o;
  }));
  select.disabled = grades.length === 0;
  select.value = grades.some((g) => Number(g.grade) === Number(grade)) ? String(grade) : '';
  row.querySelector('.grade-desc').textContent = term ? gradeText(term, select.value) : '';
  specifyFields(row);
}

/** The "Other, specify" part of a term row: the specific event and its MedDRA code. */
function specifyBox(seq, specify) {
  const box = el('div', 'term-row__specify');
  const text = el('div', 'field');
  const textLabel = el('label', 'specify-text-label', t('ae.assess.specify_text'));
  textLabel.htmlFor = `specify-text-${seq}`;
  const textInput = el('input', 'specify-text');
  textInput.id = `specify-text-${seq}`;
  textInput.maxLength = 200;
  textInput.value = specify?.specify_text ?? '';
  text.append(textLabel, textInput);
  const code = el('div', 'field');
  const codeLabel = el('label', 'specify-code-label', t('ae.assess.specify_code'));
  codeLabel.htmlFor = `specify-code-${seq}`;
  const codeInput = el('input', 'specify-code mono');
  codeInput.id = `specify-code-${seq}`;
  codeInput.inputMode = 'numeric';
  codeInput.maxLength = 8;
  codeInput.pattern = '[0-9]{8}';
  codeInput.value = specify?.specify_meddra_code ?? '';
  const hint = el('p', 'hint specify-hint', t('ae.assess.specify_hint'));
  hint.id = `specify-hint-${seq}`;
  codeInput.setAttribute('aria-describedby', hint.id);
  code.append(codeLabel, codeInput);
  box.append(text, code, hint);
  return box;
}

let rowSeq = 0;
function addTermRow(code = '', grade = null, specify = null) {
  rowSeq += 1;
  const row = el('div', 'term-row');
  const termField = el('div', 'field term-row__term');
  const termLabel = el('label', null, t('ae.assess.term'));
  termLabel.htmlFor = `term-${rowSeq}`;
  const termSelect = el('select', 'term-select');
  termSelect.id = `term-${rowSeq}`;
  termField.append(termLabel, termSelect);
  const gradeField = el('div', 'field term-row__grade');
  const gradeLabel = el('label', null, t('ae.assess.grade'));
  gradeLabel.htmlFor = `grade-${rowSeq}`;
  const gradeSelect = el('select', 'grade-select');
  gradeSelect.id = `grade-${rowSeq}`;
  gradeField.append(gradeLabel, gradeSelect);
  const desc = el('p', 'hint grade-desc');
  desc.id = `grade-desc-${rowSeq}`;
  gradeSelect.setAttribute('aria-describedby', desc.id);
  const remove = el('button', 'btn btn--ghost btn--small btn--danger-text term-row__remove', t('ae.assess.remove_term'));
  remove.type = 'button';
  remove.addEventListener('click', () => { row.remove(); renderSuggestions(); });
  row.append(termField, gradeField, remove, desc, specifyBox(rowSeq, specify));
  termOptions(termSelect, code);
  gradeOptions(row, grade);
  termSelect.addEventListener('change', () => { gradeOptions(row, null); renderSuggestions(); });
  gradeSelect.addEventListener('change', () => gradeOptions(row, gradeSelect.value));
  $('term-rows').append(row);
  return row;
}

function chosenCodes() {
  return [...document.querySelectorAll('#term-rows .term-select')].map((s) => s.value).filter(Boolean);
}

function renderSuggestions() {
  const box = $('term-suggestions');
  const chosen = new Set(chosenCodes());
  const open = suggestedTerms().filter((term) => !chosen.has(term.code));
  box.replaceChildren();
  if (!open.length) return;
  box.append(el('span', 'suggestions__label', t('ae.assess.suggested')));
  for (const term of open) {
    const b = el('button', 'chip', termName(term));
    b.type = 'button';
    b.dataset.term = term.code;
    b.addEventListener('click', () => {
      const empty = [...document.querySelectorAll('#term-rows .term-row')].find((r) => !r.querySelector('.term-select').value);
      if (empty) {
        termOptions(empty.querySelector('.term-select'), term.code);
        gradeOptions(empty, null);
      } else addTermRow(term.code);
      renderSuggestions();
    });
    box.append(b);
  }
}

function renderChoices() {
  const outcome = $('case-outcome');
  const keep = outcome.value;
  const none = el('option', null, t('role.choose'));
  none.value = '';
  outcome.replaceChildren(none, ...OUTCOMES.map((code) => {
    const o = el('option', null, outcomeLabel(code));
    o.value = code;
    return o;
  }));
  outcome.value = keep;
  const causality = $('case-causality');
  const keepC = causality.value;
  const noneC = el('option', null, t('role.choose'));
  noneC.value = '';
  causality.replaceChildren(noneC, ...CAUSALITIES.map((code) => {
    const o = el('option', null, causalityLabel(code));
    o.value = code;
    return o;
  }));
  causality.value = keepC;
  causalityHint();
}

function causalityHint() {
  const code = $('case-causality').value;
  $('case-causality-hint').textContent = code ? t(`ae.causality_hint.${code}`) : t('ae.causality_hint.none');
}

function renderLots(checked) {
  const box = $('case-lots');
  box.replaceChildren(...state.lots.map((lot) => {
    const id = `case-lot-${lot.lot_id}`;
    const label = el('label', 'checkbox-row checkbox-row--compact');
    label.htmlFor = id;
    const input = el('input');
    input.type = 'checkbox';
    input.id = id;
    input.name = 'lot_ids';
    input.value = String(lot.lot_id);
    input.checked = checked.includes(Number(lot.lot_id));
    const text = el('span');
    text.append(el('strong', 'mono', lot.lot_number), ` ${t('ae.assess.lot_expires', { date: formatDate(lot.expires_on) })}`);
    label.append(input, text);
    return label;
  }));
  $('case-lots-empty').hidden = state.lots.length > 0;
}

/** Fills the form from the latest version (a follow-up starts from it) or from the report. */
function prefill() {
  const form = $('assess-form');
  form.reset();
  $('term-rows').replaceChildren();
  const last = latest();
  renderChoices();
  if (last) {
    for (const x of last.terms ?? []) addTermRow(x.code, x.grade, x);
    for (const c of SERIOUSNESS) form.elements.namedItem(c).checked = Boolean(last.seriousness?.[c]);
    $('case-outcome').value = last.outcome ?? '';
    $('case-outcome-date').value = last.outcome_date || '';
    $('case-causality').value = last.causality ?? '';
    $('case-treatment').value = last.treatment ?? '';
    $('case-narrative').value = last.narrative ?? '';
    renderLots((last.lot_ids ?? []).map(Number));
  } else {
    renderLots(state.lots.map((l) => Number(l.lot_id)));
  }
  if (!$('term-rows').children.length) addTermRow();
  search.results = [];
  search.query = '';
  renderSearchResults();
  causalityHint();
  renderSuggestions();
  const follow = $('assess-followup');
  follow.hidden = !last;
  follow.textContent = last ? t('ae.assess.followup', { n: last.version, next: Number(last.version) + 1 }) : '';
  $('assess-submit').textContent = t('ae.assess.submit_version', { n: last ? Number(last.version) + 1 : 1 });
  $('case-outcome-date').max = todayJst();
}

/** Re-labels the form after a language change, keeping what was entered. */
function relabelForm() {
  for (const row of document.querySelectorAll('#term-rows .term-row')) {
    const termSelect = row.querySelector('.term-select');
    const grade = row.querySelector('.grade-select').value;
    termOptions(termSelect, termSelect.value);
    gradeOptions(row, grade);
    row.querySelector('.term-row__term label').textContent = t('ae.assess.term');
    row.querySelector('.term-row__grade label').textContent = t('ae.assess.grade');
    row.querySelector('.term-row__remove').textContent = t('ae.assess.remove_term');
    row.querySelector('.specify-text-label').textContent = t('ae.assess.specify_text');
    row.querySelector('.specify-code-label').textContent = t('ae.assess.specify_code');
    row.querySelector('.specify-hint').textContent = t('ae.assess.specify_hint');
  }
  renderSearchResults();
  renderChoices();
  renderSuggestions();
  const checked = [...document.querySelectorAll('#case-lots input:checked')].map((i) => Number(i.value));
  renderLots(checked);
  const last = latest();
  $('assess-submit').textContent = t('ae.assess.submit_version', { n: last ? Number(last.version) + 1 : 1 });
  const follow = $('assess-followup');
  follow.textContent = last ? t('ae.assess.followup', { n: last.version, next: Number(last.version) + 1 }) : '';
}

function readForm(form) {
  const terms = [];
  for (const row of form.querySelectorAll('#term-rows .term-row')) {
    const code = row.querySelector('.term-select').value;
    const gradeSelect = row.querySelector('.grade-select');
    const grade = Number(gradeSelect.value);
    if (!code) continue;
    if (!gradeSelect.value) {
      const name = termByCode(code) ? termName(termByCode(code)) : code;
      showError(form, { field: 'terms', message: t('ae.assess.need_grade', { term: name }) });
      gradeSelect.setAttribute('aria-invalid', 'true');
      gradeSelect.focus();
      return null;
    }
    gradeSelect.removeAttribute('aria-invalid');
    const term = { code, grade };
    if (termByCode(code)?.other_specify) {
      const text = row.querySelector('.specify-text').value.trim();
      const meddra = row.querySelector('.specify-code').value.trim();
      if (text) term.specify_text = text;
      if (meddra) term.specify_meddra_code = meddra;
    }
    terms.push(term);
  }
  if (!terms.length) {
    showError(form, { field: 'terms', message: t('ae.assess.need_term') });
    return null;
  }
  const body = { terms };
  for (const c of SERIOUSNESS) if (form.elements.namedItem(c).checked) body[c] = true;
  const outcome = $('case-outcome').value;
  if (outcome) body.outcome = outcome;
  const outcomeDate = $('case-outcome-date').value;
  if (outcomeDate) body.outcome_date = outcomeDate;
  const causality = $('case-causality').value;
  if (causality) body.causality = causality;
  const lots = [...form.querySelectorAll('input[name="lot_ids"]:checked')].map((i) => Number(i.value));
  if (lots.length) body.lot_ids = lots;
  const treatment = $('case-treatment').value.trim();
  if (treatment) body.treatment = treatment;
  const narrative = $('case-narrative').value.trim();
  if (narrative) body.narrative = narrative;
  return body;
}

function renderResult() {
  const box = $('assess-result');
  const r = state.result;
  box.hidden = !r;
  box.replaceChildren();
  if (!r) return;
  const a = r.assessment;
  box.append(el('p', 'alert alert--ok', t('ae.assess.saved', { n: a.version })));
  const serious = el('p', a.serious ? 'alert alert--error assess-result__serious' : 'alert alert--info assess-result__serious',
    a.serious ? t('ae.case.serious_due', { due: dueText(a.due_date) }) : t('ae.assess.saved_not_serious'));
  serious.dataset.serious = String(Boolean(a.serious));
  box.append(serious);
  const n = Number(r.lot_alerts_raised) || 0;
  if (n > 0) {
    const p = el('p', 'alert alert--warn assess-result__alerts', `${t('ae.assess.alerts_raised', { n })} `);
    const link = el('a', null, t('ae.assess.alerts_link'));
    link.href = '/signals.html';
    p.append(link);
    p.dataset.alerts = String(n);
    box.append(p);
  }
}

/** The PMDA form link: only when the latest assessment is a doctor's (the server checks too). */
function renderPmda() {
  const last = latest();
  const ready = Boolean(last) && last.assessor_role === 'doctor';
  const link = $('pmda-form-link');
  link.hidden = !ready;
  link.href = `/api/v1/adverse-events/${encodeURIComponent(state.id)}/pmda-form`;
  const why = $('pmda-form-unavailable');
  why.hidden = ready;
  why.textContent = ready ? '' : last ? t('ae.pmda.needs_doctor', { n: last.version }) : t('ae.pmda.not_assessed');
}

function render() {
  renderReport();
  renderHistory();
  renderResult();
  renderPmda();
}

async function load() {
  const data = await api('GET', `/api/v1/adverse-events/${encodeURIComponent(state.id)}`);
  state.report = data.report;
  state.assessments = Array.isArray(data.assessments) ? data.assessments : [];
  state.lots = Array.isArray(data.dispensed_lots) ? data.dispensed_lots : [];
}

// ---- Search of the whole CTCAE v5.0 catalogue

const search = { results: [], total: 0, query: '' };

async function runSearch() {
  const q = $('term-search-input').value.trim();
  const status = $('term-search-status');
  if (!q) {
    search.results = [];
    search.query = '';
    renderSearchResults();
    return;
  }
  status.textContent = t('common.loading');
  try {
    const data = await api('GET', `/api/v1/ctcae/terms?q=${encodeURIComponent(q)}&limit=20`);
    search.results = Array.isArray(data.terms) ? data.terms : [];
    search.total = Number(data.total) || 0;
    search.query = q;
  } catch (error) {
    search.results = [];
    search.query = '';
    status.textContent = error.message;
    $('term-search-results').replaceChildren();
    return;
  }
  renderSearchResults();
}

/** Puts term into an empty row, or a new one, and shows its grades. */
function useTerm(term) {
  rememberTerm(term);
  for (const row of document.querySelectorAll('#term-rows .term-row')) termOptions(row.querySelector('.term-select'), row.querySelector('.term-select').value);
  const empty = [...document.querySelectorAll('#term-rows .term-row')].find((r) => !r.querySelector('.term-select').value);
  let row = empty;
  if (empty) {
    termOptions(empty.querySelector('.term-select'), term.code);
    gradeOptions(empty, null);
  } else row = addTermRow(term.code);
  renderSuggestions();
  row.querySelector(term.other_specify ? '.specify-text' : '.grade-select').focus();
}

function renderSearchResults() {
  const list = $('term-search-results');
  const status = $('term-search-status');
  list.replaceChildren();
  if (!search.query) {
    status.textContent = '';
    return;
  }
  status.textContent = search.total === 0 ? t('ae.assess.search_none', { q: search.query })
    : search.total > search.results.length ? t('ae.assess.search_more', { n: search.results.length, total: search.total })
      : t('ae.assess.search_count', { n: search.total });
  for (const term of search.results) {
    const li = el('li', 'term-search__item');
    li.dataset.term = term.code;
    const text = el('div', 'term-search__text');
    text.append(el('strong', null, termName(term)));
    const grades = (term.grades ?? []).map((g) => g.grade).join(', ');
    text.append(el('span', 'hint', `MedDRA ${term.meddra_code} · ${term.soc?.en ?? ''} · ${t('ae.assess.search_grades', { grades })}`));
    const use = el('button', 'btn btn--secondary btn--small term-search__use', t('ae.assess.search_use'));
    use.type = 'button';
    use.addEventListener('click', () => useTerm(term));
    li.append(text, use);
    list.append(li);
  }
}

function wire() {
  $('term-add').addEventListener('click', () => { addTermRow().querySelector('.term-select').focus(); });
  $('term-search-button').addEventListener('click', runSearch);
  $('term-search-input').addEventListener('keydown', (event) => {
    // Enter searches; it must not submit the assessment.
    if (event.key === 'Enter') {
      event.preventDefault();
      runSearch();
    }
  });
  $('case-causality').addEventListener('change', causalityHint);
  const form = $('assess-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = readForm(form);
    if (!body) return;
    whileSubmitting(form, async () => {
      try {
        const data = await api('POST', `/api/v1/adverse-events/${encodeURIComponent(state.id)}/assessments`, body);
        state.result = data;
        await load();
        render();
        prefill();
        $('assess-result').focus();
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

async function loadCase(user) {
  state.user = user;
  state.id = pageId('ae.case.no_id');
  if (!state.id) return false;
  const [terms] = await Promise.all([api('GET', '/api/v1/ctcae/terms'), load()]);
  state.terms = Array.isArray(terms.terms) ? terms.terms : [];
  // Catalogue terms of saved versions are not among the common ones: look each up once.
  const missing = [...new Set(state.assessments.flatMap((a) => (a.terms ?? []).map((x) => x.code)))].filter((c) => !termByCode(c));
  const found = await Promise.all(missing.map((code) => api('GET', `/api/v1/ctcae/terms?q=${encodeURIComponent(code)}&limit=5`)));
  found.forEach((r, i) => rememberTerm((r.terms ?? []).find((x) => x.code === missing[i])));
  return true;
}

function wireCase() {
  $('assess-form').hidden = !canAssess();
  $('assess-readonly').hidden = canAssess();
  if (canAssess()) {
    wire();
    prefill();
  }
}

runPage({
  roles: ['doctor', 'pharmacist', 'admin'],
  load: loadCase,
  wire: wireCase,
  render,
  onLang: () => { render(); if (canAssess()) relabelForm(); },
  view: 'case-view',
});
