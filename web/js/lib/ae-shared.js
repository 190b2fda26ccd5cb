// Shared pieces of the adverse-event pages (the patient's report, the staff triage queue, the
// case and the signal page): the labels of symptoms, severities, outcomes, causality and the
// ICH E2A criteria, the serious/urgent badges with due dates and days left, and number
// formatting. Every API value is written with textContent.

import { t } from './i18n.js';
import { todayJst } from './jst.js';
import { el } from './dom.js';
import { formatDate } from './trace.js';

/** The seed's symptom checklist, in the order it is shown. */
export const SYMPTOMS = ['redness', 'swelling', 'itching', 'fever', 'fatigue', 'headache', 'nausea', 'allergic_reaction', 'other'];
export const SEVERITIES = ['mild', 'moderate', 'severe'];
export const OUTCOMES = ['recovering', 'recovered', 'recovered_with_sequelae', 'not_recovered', 'fatal', 'unknown'];
export const CAUSALITIES = ['certain', 'probable', 'possible', 'unlikely', 'conditional', 'unassessable'];
/** ICH E2A seriousness criteria; the first two make a case due in 7 days, the others in 15. */
export const SERIOUSNESS = ['death', 'life_threatening', 'hospitalization', 'disability', 'congenital_anomaly', 'other_medically_important'];

function known(family, list, value) {
  return list.includes(value) ? t(`${family}.${value}`) : String(value ?? '');
}

export const symptomLabel = (code) => known('ae.symptom', SYMPTOMS, code);
export const severityLabel = (code) => known('ae.severity', SEVERITIES, code);
export const outcomeLabel = (code) => known('ae.outcome', OUTCOMES, code);
export const causalityLabel = (code) => known('ae.causality', CAUSALITIES, code);
export const seriousnessLabel = (code) => known('ae.serious', SERIOUSNESS, code);

/** Returns the reported symptoms as one line in the UI language. */
export function symptomsText(symptoms) {
  return (Array.isArray(symptoms) ? symptoms : []).map(symptomLabel).join(t('ae.list_sep'));
}

/** Returns whole days from today (JST) to day (YYYY-MM-DD): negative when past. */
export function daysUntil(day) {
  const a = Date.parse(`${todayJst()}T00:00:00Z`);
  const b = Date.parse(`${day}T00:00:00Z`);
  return Math.round((b - a) / 86400000);
}

/** Returns "due 10 Dec 2026 (15 days left)" for a due date, or '' without one. */
export function dueText(day) {
  if (typeof day !== 'string' || !day) return '';
  const n = daysUntil(day);
  const left = n > 0 ? t('ae.days_left', { n }) : n === 0 ? t('ae.due_today') : t('ae.days_over', { n: -n });
  return t('ae.due_value', { date: formatDate(day), left });
}

/**
 * Returns the badge for a report's triage state: serious (red), urgent and not yet assessed
 * (amber), not assessed, assessed. data-triage names the state for scripts and tests.
 */
export function triageBadge(report) {
  let state = 'assessed';
  if (report.serious) state = 'serious';
  else if (!report.assessment_version && report.urgent) state = 'urgent';
  else if (!report.assessment_version) state = 'new';
  const badge = el('span', `triage triage--${state}`, t(`ae.triage.${state}`));
  badge.dataset.triage = state;
  return badge;
}

/** Returns the triage state of a report: serious, urgent, new or assessed. */
export function triageState(report) {
  return triageBadge(report).dataset.triage;
}

/** Returns x with 3 significant digits for people ("—" for null; very small values in e-notation). */
export function formatStat(x) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return t('value.dash');
  const n = Number(x);
  if (n === 0) return '0';
  if (Math.abs(n) < 0.001) return n.toExponential(1);
  if (Math.abs(n) >= 1000) return String(Math.round(n));
  return String(Number(n.toPrecision(3)));
}
