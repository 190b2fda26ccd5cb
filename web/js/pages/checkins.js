// The patient's follow-up check-ins (issue 17): the open check-ins to answer ("nothing changed",
// or the symptom checklist with severity and still-present), the answered ones, and stopping or
// resuming the follow-up (confirmed, with a reason). After an answer with symptoms, the button to
// the adverse-event report pre-filled from it: the prefill the server returned is kept in
// sessionStorage for report.html?checkin=ID (which falls back to GET /api/v1/checkins/{id}).

import { api } from '../lib/api.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { jstDay, timeElement } from '../lib/jst.js';
import { $, el, fillDetails } from '../lib/dom.js';
import { formatDate } from '../lib/trace.js';
import { runPage } from '../lib/page.js';
import {
  answerText, checkinTitle, checkinFields, isoOf, prefillKey, readCheckinFields, resetCheckinFields, viaText,
} from '../lib/checkin-form.js';

const state = { data: null, current: null, done: null };

const openList = () => (Array.isArray(state.data?.open) ? state.data.open : []);
const answeredList = () => (Array.isArray(state.data?.answered) ? state.data.answered : []);
const withdrawn = () => state.data?.followup?.status === 'withdrawn';

function dueText(checkin) {
  const iso = isoOf(checkin.due_at);
  return iso ? t('checkins.due', { date: formatDate(jstDay(iso)) }) : '';
}

function reportLink(checkin) {
  const a = el('a', 'btn btn--secondary btn--small', t('checkins.answered.report'));
  a.href = `/report.html?checkin=${encodeURIComponent(checkin.id)}`;
  a.dataset.reportCheckin = String(checkin.id);
  return a;
}

function openItem(checkin) {
  const li = el('li', 'record checkin-item');
  li.dataset.checkinId = String(checkin.id);
  const head = el('div', 'record__head');
  head.append(el('strong', 'record__title', checkinTitle(checkin)));
  li.append(head, el('p', 'muted', dueText(checkin)));
  if (!withdrawn()) {
    const button = el('button', 'btn btn--primary', t('checkins.open.answer'));
    button.type = 'button';
    button.dataset.answer = String(checkin.id);
    button.addEventListener('click', () => startAnswer(checkin.id));
    li.append(button);
  }
  return li;
}

function answeredItem(checkin) {
  const li = el('li', 'record checkin-item');
  li.dataset.checkinId = String(checkin.id);
  li.dataset.status = String(checkin.status ?? '');
  const head = el('div', 'record__head');
  head.append(el('strong', 'record__title', checkinTitle(checkin)));
  const symptoms = Array.isArray(checkin.symptoms) ? checkin.symptoms : [];
  const badge = el('span', `status-badge ${symptoms.length ? 'status-badge--review-pending' : 'status-badge--reviewed'}`,
    checkin.status === 'answered' ? (symptoms.length ? t('checkins.answered.with_symptoms') : t('checkin.nothing_short'))
      : t(`checkins.status.${['missed', 'withdrawn'].includes(checkin.status) ? checkin.status : 'open'}`));
  head.append(badge);
  const dl = el('dl', 'details details--compact');
  const lots = (Array.isArray(checkin.lots) ? checkin.lots : []).map((l) => l.lot_number).join(', ');
  fillDetails(dl, [
    [t('checkins.field.answer'), checkin.status === 'answered' ? answerText(checkin) : ''],
    [t('checkins.field.note'), checkin.note],
    [t('checkins.field.answered_at'), timeElement(isoOf(checkin.answered_at))],
    [t('checkins.field.via'), viaText(checkin.answered_via)],
    [t('checkins.field.lots'), lots],
  ]);
  dl.querySelectorAll('dd')[1]?.classList.add('pre-wrap');
  li.append(head, dl);
  if (checkin.ae_report_id) {
    li.append(el('p', 'hint', t('checkins.answered.reported', { id: checkin.ae_report_id })));
  } else if (checkin.status === 'answered' && symptoms.length) {
    li.append(reportLink(checkin));
  }
  return li;
}

function renderState() {
  const box = $('followup-state');
  const f = state.data?.followup ?? {};
  box.dataset.status = String(f.status ?? 'none');
  box.className = `alert ${f.status === 'withdrawn' ? 'alert--warn' : 'alert--info'}`;
  if (f.status === 'withdrawn') {
    const at = isoOf(f.withdrawn_at);
    box.textContent = t('checkins.state.withdrawn', { date: at ? formatDate(jstDay(at)) : t('value.dash') });
  } else if (f.status === 'active') box.textContent = t('checkins.state.active');
  else box.textContent = t('checkins.state.none');
  $('stop-text').textContent = f.status === 'withdrawn' ? t('checkins.stop.text_withdrawn') : t('checkins.stop.text_active');
  $('stop-open').hidden = f.status !== 'active' || !$('stop-form').hidden;
  $('resume-open').hidden = f.status !== 'withdrawn' || !$('resume-form').hidden;
  if (f.status !== 'active') $('stop-form').hidden = true;
  if (f.status !== 'withdrawn') $('resume-form').hidden = true;
  $('stop-card').hidden = f.status !== 'active' && f.status !== 'withdrawn';
}

function renderLists() {
  const open = openList();
  $('open-list').replaceChildren(...open.map(openItem));
  $('open-empty').hidden = open.length > 0;
  const next = isoOf(state.data?.next_due_at);
  $('next-due').hidden = !next || withdrawn();
  $('next-due').textContent = next ? t('checkins.next_due', { date: formatDate(jstDay(next)) }) : '';
  const answered = answeredList();
  $('answered-list').replaceChildren(...answered.map(answeredItem));
  $('answered-empty').hidden = answered.length > 0;
}

function renderAnswerCard() {
  const checkin = openList().find((c) => c.id === state.current);
  $('answer-card').hidden = !checkin || withdrawn();
  if (!checkin) return;
  $('answer-heading').textContent = checkinTitle(checkin);
  const lots = (Array.isArray(checkin.lots) ? checkin.lots : []).map((l) => l.lot_number).join(', ');
  $('answer-lots').textContent = lots ? t('checkins.answer.lots', { lots }) : '';
}

function renderDone() {
  const done = state.done;
  $('answer-done').hidden = !done;
  if (!done) return;
  const c = done.checkin ?? {};
  $('done-text').textContent = t('checkins.done.text', { what: checkinTitle(c), answer: answerText(c) });
  $('ae-offer').hidden = !done.ae_prefill;
  if (done.ae_prefill) $('ae-offer-link').href = `/report.html?checkin=${encodeURIComponent(c.id)}`;
}

function render() {
  renderState();
  renderLists();
  renderAnswerCard();
  renderDone();
}

async function load() {
  state.data = await api('GET', '/api/v1/me/checkins');
  if (!openList().some((c) => c.id === state.current)) state.current = null;
}

function startAnswer(id) {
  state.current = id;
  state.done = null;
  const form = $('checkin-form');
  clearErrors(form);
  resetCheckinFields($('checkin-fields'));
  render();
  $('answer-card').scrollIntoView({ block: 'start' });
  form.querySelector('input[name="nothing_changed"]').focus();
}

function wireAnswer() {
  $('checkin-fields').replaceWith(Object.assign(checkinFields('checkin'), { id: 'checkin-fields' }));
  const form = $('checkin-form');
  $('answer-cancel').addEventListener('click', () => { state.current = null; render(); });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = readCheckinFields($('checkin-fields'));
    if (read.error) { showError(form, read.error); return; }
    const id = state.current;
    whileSubmitting(form, async () => {
      let answer;
      try {
        answer = await api('POST', `/api/v1/checkins/${encodeURIComponent(id)}/answers`, read.body);
      } catch (error) {
        showError(form, error);
        return;
      }
      if (answer.ae_prefill) {
        try { sessionStorage.setItem(prefillKey(id), JSON.stringify(answer.ae_prefill)); } catch { /* report.js reads the check-in instead */ }
      }
      state.done = { checkin: answer.checkin ?? { id }, ae_prefill: answer.ae_prefill ?? null };
      state.current = null;
      resetCheckinFields($('checkin-fields'));
      try { await load(); } catch { /* the answer was recorded; the lists refresh on the next visit */ }
      render();
      $('answer-done').focus();
      $('answer-done').scrollIntoView({ block: 'start' });
    });
  });
}

function wireStop() {
  const stopForm = $('stop-form');
  const resumeForm = $('resume-form');
  $('stop-open').addEventListener('click', () => {
    stopForm.hidden = false;
    $('stop-open').hidden = true;
    $('stop-reason').focus();
  });
  $('stop-cancel').addEventListener('click', () => { stopForm.hidden = true; clearErrors(stopForm); render(); });
  $('resume-open').addEventListener('click', () => {
    resumeForm.hidden = false;
    $('resume-open').hidden = true;
    resumeForm.querySelector('[type="submit"]').focus();
  });
  $('resume-cancel').addEventListener('click', () => { resumeForm.hidden = true; clearErrors(resumeForm); render(); });
  stopForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(stopForm);
    const reason = $('stop-reason').value.trim();
    if (!reason) { showError(stopForm, { field: 'reason', message: t('checkins.stop.need_reason') }); return; }
    whileSubmitting(stopForm, async () => {
      try {
        await api('POST', '/api/v1/me/followup/withdraw', { reason });
        await load();
      } catch (error) {
        showError(stopForm, error);
        return;
      }
      stopForm.hidden = true;
      stopForm.reset();
      state.current = null;
      state.done = null;
      render();
    });
  });
  resumeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(resumeForm);
    whileSubmitting(resumeForm, async () => {
      try {
        await api('POST', '/api/v1/me/followup/resume', {});
        await load();
      } catch (error) {
        showError(resumeForm, error);
        return;
      }
      resumeForm.hidden = true;
      render();
    });
  });
}

runPage({
  roles: ['patient'],
  load,
  wire: () => { wireAnswer(); wireStop(); },
  render,
  view: 'checkins-view',
});
