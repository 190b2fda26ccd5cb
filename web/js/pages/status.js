// Status page (patients): the journey as five steps from GET /api/v1/intake: book the call,
// answer the questionnaire (again when outdated or expired), accept the consent, the doctor's
// decision (approved: product, quantity, directions, valid until; declined: reason), and, after
// an approval, the order (GET /api/v1/orders: whether one has been placed).

import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { formatDay, timeElement } from '../lib/jst.js';
import { $, el, fillDetails, queryParam } from '../lib/dom.js';
import { recalledOrderIds } from '../lib/session.js';
import { runPage } from '../lib/page.js';

const BADGES = { done: 'status.badge.done', todo: 'status.badge.todo', attention: 'status.badge.attention',
  waiting: 'status.badge.waiting', declined: 'status.badge.declined', recalled: 'order.status.recalled' };

let intake = null;
let orders = [];

function link(href, key, primary) {
  const a = el('a', `btn ${primary ? 'btn--primary' : 'btn--secondary'} step__link`, t(key));
  a.href = href;
  return a;
}

/** Fills the step id with its state, a paragraph of text (string or nodes) and more nodes. */
function setStep(id, stateName, parts) {
  const step = $(id);
  step.dataset.state = stateName;
  step.className = `step step--${stateName}`;
  const badge = step.querySelector('.step__badge');
  badge.textContent = t(BADGES[stateName]);
  badge.className = `step__badge step__badge--${stateName}`;
  step.querySelector('.step__body').replaceChildren(...parts);
}

function paragraph(...content) {
  const p = el('p');
  p.append(...content);
  return p;
}

function renderBooking() {
  const booking = (intake.upcoming_bookings ?? [])[0];
  if (booking) {
    const dl = el('dl', 'details details--compact');
    fillDetails(dl, [
      [t('book.current.when'), timeElement(booking.starts_at, booking.ends_at)],
      [t('book.current.doctor'), booking.doctor_name],
    ]);
    setStep('step-book', 'done', [dl, link('/book.html', 'status.book.change', false)]);
  } else if (intake.decision) {
    setStep('step-book', 'done', [paragraph(t('status.book.finished')), link('/book.html', 'status.book.again', false)]);
  } else {
    setStep('step-book', 'todo', [paragraph(t('status.book.todo')), link('/book.html', 'status.book.go', true)]);
  }
}

function renderQuestionnaire() {
  const latest = intake.questionnaire?.latest ?? null;
  if (!latest) {
    setStep('step-questionnaire', 'todo', [paragraph(t('status.q.todo')), link('/questionnaire.html', 'status.q.go', true)]);
  } else if (latest.outdated || latest.expired) {
    setStep('step-questionnaire', 'attention', [
      paragraph(t(latest.outdated ? 'status.q.outdated' : 'status.q.expired')),
      link('/questionnaire.html', 'status.q.again', true),
    ]);
  } else {
    setStep('step-questionnaire', 'done', [
      paragraph(t('status.q.done'), ' ', timeElement(latest.submitted_at)),
      link('/questionnaire.html', 'status.q.redo', false),
    ]);
  }
}

function renderConsent() {
  const consent = intake.consent ?? {};
  const latest = consent.latest ?? null;
  if (consent.in_force) {
    setStep('step-consent', 'done', [
      paragraph(t('status.c.done', { version: latest?.version ?? '' }), ' ', timeElement(latest?.accepted_at)),
      link('/consent.html', 'status.c.read', false),
    ]);
  } else if (latest) {
    setStep('step-consent', 'attention', [
      paragraph(t(latest.withdrawn_at ? 'status.c.withdrawn' : 'status.c.outdated')),
      link('/consent.html', 'status.c.go', true),
    ]);
  } else {
    setStep('step-consent', 'todo', [paragraph(t('status.c.todo')), link('/consent.html', 'status.c.go', true)]);
  }
}

function renderDecision() {
  const decision = intake.decision ?? null;
  const latest = intake.questionnaire?.latest ?? null;
  if (!decision || (latest && decision.response_id !== latest.id)) {
    setStep('step-decision', 'waiting', [paragraph(t(decision ? 'status.d.waiting_new' : 'status.d.waiting'))]);
    return;
  }
  const dl = el('dl', 'details details--compact');
  if (decision.decision === 'approved') {
    fillDetails(dl, [
      [t('decision.product'), decision.product],
      [t('decision.quantity'), t('decision.quantity_value', { n: decision.quantity })],
      [t('decision.directions'), decision.directions],
      [t('decision.valid_until'), decision.valid_until ? formatDay(decision.valid_until) : ''],
      [t('decision.decided_at'), timeElement(decision.decided_at)],
      [t('decision.doctor'), decision.doctor_name],
    ]);
    dl.querySelectorAll('dd')[2]?.classList.add('pre-wrap');
    setStep('step-decision', 'done', [paragraph(t('status.d.approved')), dl, paragraph(t('status.d.approved_note'))]);
  } else {
    fillDetails(dl, [
      [t('decision.decline_reason'), decision.decline_reason],
      [t('decision.decided_at'), timeElement(decision.decided_at)],
      [t('decision.doctor'), decision.doctor_name],
    ]);
    dl.querySelector('dd')?.classList.add('pre-wrap');
    setStep('step-decision', 'declined', [paragraph(t('status.d.declined')), dl]);
  }
  $('step-decision').dataset.decision = decision.decision;
}

function renderOrder() {
  const decision = intake.decision ?? null;
  const latest = intake.questionnaire?.latest ?? null;
  const approved = decision && decision.decision === 'approved' && (!latest || decision.response_id === latest.id);
  const placed = orders.filter((o) => o.status !== 'cancelled' && (!decision || o.decision_id === decision.id));
  const recalled = placed.filter((o) => recalledOrderIds().has(o.id));
  if (recalled.length > 0) {
    const text = paragraph(t('status.o.recalled', { n: recalled.length }));
    setStep('step-order', 'recalled', [text, link('/order.html', 'status.o.see', true)]);
  } else if (placed.length > 0) {
    setStep('step-order', 'done', [paragraph(t('status.o.done', { n: placed.length })), link('/order.html', 'status.o.see', false)]);
  } else if (approved && intake.consent?.in_force) {
    setStep('step-order', 'todo', [paragraph(t('status.o.todo')), link('/order.html', 'status.o.go', true)]);
  } else if (approved && intake.consent?.state === 'outdated') {
    // The approval stands; only the revised consent is missing.
    setStep('step-order', 'attention', [paragraph(t('status.o.reconsent')), link('/consent.html', 'status.c.go', true)]);
  } else {
    setStep('step-order', 'waiting', [paragraph(t('status.o.waiting'))]);
  }
}

function render() {
  if (!intake) return;
  renderBooking();
  renderQuestionnaire();
  renderConsent();
  renderDecision();
  renderOrder();
  const done = queryParam('done');
  if (done === 'questionnaire') {
    $('status-done').textContent = t('status.done.questionnaire');
    $('status-done').hidden = false;
  }
}

async function loadAll() {
  const [status, list] = await Promise.all([
    api('GET', '/api/v1/intake'),
    api('GET', '/api/v1/orders').catch(() => ({ orders: [] })),
  ]);
  intake = status.intake ?? {};
  orders = Array.isArray(list.orders) ? list.orders : [];
}

runPage({ roles: ['patient'], load: loadAll, render, view: 'steps' });
