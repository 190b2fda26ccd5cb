// Answering a follow-up check-in from the e-mail link, without logging in (issue 17): the token
// in ?token= is the credential (GET/POST /api/v1/checkin-links/{token}). An unknown link, an
// expired one, one already answered or closed (a newer check-in replaced it) and a patient who
// stopped the follow-up each get a clear message instead of the form. After symptoms, the
// patient is asked to log in, and the log-in returns to the adverse-event report pre-filled
// from this answer for them to confirm (the link alone does not open their records).

import { api } from '../lib/api.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { jstDay } from '../lib/jst.js';
import { $, queryParam } from '../lib/dom.js';
import { formatDate } from '../lib/trace.js';
import { runPage } from '../lib/page.js';
import { loginPath } from '../lib/session.js';
import { answerText, checkinTitle, checkinFields, isoOf, readCheckinFields } from '../lib/checkin-form.js';

const state = { token: null, checkin: null, problem: null, done: null };

/** The problem a refused link or answer means: unknown, expired, answered or withdrawn. */
function problemOf(error) {
  if (error?.status === 404) return 'unknown';
  if (error?.status === 410) return 'expired';
  if (error?.status === 409) {
    if (/withdr/.test(error.code ?? '')) return 'withdrawn';
    return error.code === 'checkin_closed' ? 'closed' : 'answered';
  }
  return null;
}

function render() {
  const problem = state.problem;
  $('link-problem').hidden = !problem;
  $('link-problem').dataset.problem = problem ?? '';
  if (problem) {
    $('problem-heading').textContent = t(`checkin.link.${problem}_heading`);
    $('problem-text').textContent = t(`checkin.link.${problem}`);
  }
  const c = state.checkin;
  const title = c ? checkinTitle(c) : '';
  $('link-form-card').hidden = Boolean(problem || state.done || !c);
  $('link-heading').textContent = title;
  const due = isoOf(c?.due_at);
  $('link-due').textContent = due ? t('checkins.due', { date: formatDate(jstDay(due)) }) : '';
  $('link-done').hidden = !state.done;
  if (state.done) {
    const answered = state.done.checkin ?? c;
    $('link-done-text').textContent = t('checkins.done.text', { what: title, answer: answerText(answered) });
    $('link-ae').hidden = !state.done.ae_prefill;
    // Log-in returns to the report pre-filled from this answer (session.js loginPath).
    const id = answered?.id ?? c?.id;
    if (state.done.ae_prefill && Number.isInteger(id)) $('link-ae-login').href = loginPath(`/report.html?checkin=${id}`);
  }
}

async function load() {
  state.token = queryParam('token');
  if (!state.token) {
    state.problem = 'unknown';
    return true;
  }
  try {
    state.checkin = (await api('GET', `/api/v1/checkin-links/${encodeURIComponent(state.token)}`)).checkin ?? null;
  } catch (error) {
    state.problem = problemOf(error);
    if (!state.problem) throw error;
    return true;
  }
  if (state.checkin?.status === 'answered') state.problem = 'answered';
  else if (state.checkin?.status === 'withdrawn') state.problem = 'withdrawn';
  else if (state.checkin?.status === 'missed') state.problem = 'closed';
  return true;
}

function wire() {
  $('checkin-fields').replaceWith(Object.assign(checkinFields('checkin'), { id: 'checkin-fields' }));
  const form = $('checkin-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = readCheckinFields($('checkin-fields'));
    if (read.error) { showError(form, read.error); return; }
    whileSubmitting(form, async () => {
      try {
        const answer = await api('POST', `/api/v1/checkin-links/${encodeURIComponent(state.token)}/answers`, read.body);
        state.done = { checkin: answer.checkin ?? { ...state.checkin, ...read.body }, ae_prefill: answer.ae_prefill ?? null };
      } catch (error) {
        const problem = problemOf(error);
        if (!problem || error.status === 404 && error.field) { showError(form, error); return; }
        state.problem = problem;
      }
      render();
      if (state.done) $('link-done').focus();
    });
  });
}

runPage({ load, wire, render, view: 'link-view' });
