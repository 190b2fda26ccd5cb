// Advertising checker (staff): pasted text or HTML goes to POST /api/v1/adcheck; the answer is
// shown as the missing disclosures (a checklist at the top), the text with every finding marked
// (built from text slices and <mark> elements with textContent; overlapping spans are merged
// into one mark that carries the worst severity and every finding's number) and the findings
// with line:column, explanation and suggested rewrite in the UI language.

import { api } from '../lib/api.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { pick } from '../lib/levels.js';
import { $, el } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

const CATEGORIES = [
  'guarantee', 'superiority', 'safety', 'exaggeration', 'testimonial', 'disclosure', 'inducement',
  'endorsement', 'fear', 'public-order',
];
const state = { text: '', answer: null };

const severityRank = (s) => (s === 'error' ? 2 : s === 'warning' ? 1 : 0);
const categoryLabel = (c) => (CATEGORIES.includes(c) ? t(`adcheck.category.${c}`) : String(c ?? ''));

/**
 * Returns the findings' spans merged where they overlap: [{start, end, severity, numbers}],
 * sorted by start, positions in UTF-16 units of the text as sent.
 */
export function mergeSpans(findings, length) {
  const spans = findings
    .map((f, i) => ({ start: f.start_utf16, end: f.end_utf16, severity: f.severity, number: i + 1 }))
    .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end > s.start && s.end <= length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      if (severityRank(s.severity) > severityRank(last.severity)) last.severity = s.severity;
      last.numbers.push(s.number);
    } else merged.push({ start: s.start, end: s.end, severity: s.severity, numbers: [s.number] });
  }
  return merged;
}

function renderMarked(text, findings) {
  const box = $('adcheck-marked');
  box.replaceChildren();
  let at = 0;
  for (const span of mergeSpans(findings, text.length)) {
    if (span.start > at) box.append(document.createTextNode(text.slice(at, span.start)));
    const mark = el('mark', `ad-mark ad-mark--${span.severity === 'error' ? 'error' : 'warning'}`, text.slice(span.start, span.end));
    mark.id = `ad-mark-${span.numbers[0]}`;
    mark.dataset.findings = span.numbers.join(',');
    mark.title = span.numbers.map((n) => `#${n}`).join(' ');
    box.append(mark);
    const sup = el('sup', 'ad-mark__n', span.numbers.join(','));
    sup.setAttribute('aria-hidden', 'true');
    box.append(sup);
    at = span.end;
  }
  if (at < text.length) box.append(document.createTextNode(text.slice(at)));
}

function severityBadge(severity) {
  const s = severity === 'error' ? 'error' : 'warning';
  const badge = el('span', `ad-severity ad-severity--${s}`, t(`adcheck.severity.${s}`));
  badge.dataset.severity = s;
  return badge;
}

function renderMissing(missing) {
  $('adcheck-missing').replaceChildren(...missing.map((f) => {
    const li = el('li', 'checklist__item');
    li.dataset.rule = String(f.rule);
    const head = el('p', 'checklist__head');
    head.append(el('span', 'checklist__box', '☐'), el('strong', null, pick(f.explanation)));
    li.append(head, el('p', 'hint checklist__suggestion', t('adcheck.suggestion', { text: pick(f.suggestion) })));
    return li;
  }));
  $('adcheck-missing-box').hidden = missing.length === 0;
}

function renderFindings(findings) {
  const list = $('adcheck-findings');
  list.replaceChildren();
  findings.forEach((f, i) => {
    const li = el('li', `record finding finding--${f.severity === 'error' ? 'error' : 'warning'}`);
    li.dataset.rule = String(f.rule);
    li.value = i + 1;
    const head = el('div', 'record__head');
    const where = el('a', 'mono finding__where', t('adcheck.where', { n: i + 1, line: f.line, column: f.column }));
    where.href = `#ad-mark-${i + 1}`;
    where.addEventListener('click', (event) => {
      const mark = [...document.querySelectorAll('#adcheck-marked mark')].find((m) => m.dataset.findings.split(',').includes(String(i + 1)));
      if (!mark) return;
      event.preventDefault();
      mark.scrollIntoView({ block: 'center' });
      mark.classList.add('ad-mark--focus');
      setTimeout(() => mark.classList.remove('ad-mark--focus'), 1500);
    });
    head.append(where, severityBadge(f.severity), el('span', 'tag', categoryLabel(f.category)));
    li.append(head);
    li.append(el('p', 'finding__text', `「${f.text ?? ''}」`));
    li.append(el('p', 'finding__explanation', pick(f.explanation)));
    li.append(el('p', 'hint finding__suggestion', t('adcheck.suggestion', { text: pick(f.suggestion) })));
    list.append(li);
  });
}

function render() {
  const a = state.answer;
  $('adcheck-result').hidden = !a;
  if (!a) return;
  const findings = Array.isArray(a.findings) ? a.findings : [];
  const missing = findings.filter((f) => f.missing);
  const placed = findings.filter((f) => !f.missing);
  const summary = $('adcheck-summary');
  const clean = findings.length === 0;
  summary.className = `state ${clean ? 'state--ok' : 'state--warn'}`;
  summary.textContent = clean ? t('adcheck.summary.clean')
    : t(missing.length ? 'adcheck.summary' : 'adcheck.summary_plain', { errors: a.errors ?? 0, warnings: a.warnings ?? 0, missing: missing.length });
  renderMissing(missing);
  // Numbered in text order: the missing disclosures have no place in the text.
  renderMarked(state.text, placed);
  renderFindings(placed);
  $('adcheck-clean').hidden = placed.length > 0;
}

function wire() {
  const form = $('adcheck-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const text = $('adcheck-text').value;
    const format = form.querySelector('input[name="format"]:checked')?.value ?? 'text';
    if (!text.trim()) {
      showError(form, { field: 'text', message: t('adcheck.need_text') });
      return;
    }
    whileSubmitting(form, async () => {
      try {
        const answer = await api('POST', '/api/v1/adcheck', { text, format });
        state.text = text;
        state.answer = answer;
        render();
        $('adcheck-result').focus();
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

runPage({ roles: ['doctor', 'pharmacist', 'admin'], wire, onLang: render, view: 'adcheck-view' });
