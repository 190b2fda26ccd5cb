// Order page (patients): the doctor's approval (product, quantity, valid until), the price with
// tax, a form to order within what remains of the approval with a payment method from the
// server's list, then the patient's orders with their progress (awaiting payment → paid →
// dispensed → shipped → delivered), the tracking number and, for each lot the jars came from, a
// link to its public page; and the mandatory notes.

import { api } from '../lib/api.js';
import { loadClinic } from '../lib/clinic-info.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { pick } from '../lib/levels.js';
import { formatDay, timeElement, todayJst } from '../lib/jst.js';
import { $, el, fillDetails } from '../lib/dom.js';
import { recalledOrderIds } from '../lib/session.js';
import {
  bilingualText, fillNotes, formatDate, orderCard, orderStatusBadge, productName, recallBadge, yen, yenTaxIncluded,
} from '../lib/trace.js';
import { runPage } from '../lib/page.js';

const STEPS = ['awaiting_payment', 'paid', 'dispensed', 'shipped', 'delivered'];

const state = {
  user: null, intake: null, products: [], methods: [], orders: [], details: new Map(), notes: null, confirming: null,
};

/** The approval orders may be placed against, or null with the reason key. */
function approval() {
  const decision = state.intake?.decision ?? null;
  const latest = state.intake?.questionnaire?.latest ?? null;
  if (!decision || (latest && decision.response_id !== latest.id)) return { decision: null, reason: 'order.approval.none' };
  if (decision.decision !== 'approved') return { decision: null, reason: 'order.approval.declined' };
  if (decision.valid_until && decision.valid_until < todayJst()) return { decision, reason: 'order.approval.expired' };
  // A newer consent version: the approval stands, but the patient accepts the new text first.
  if (state.intake?.consent?.state === 'outdated') return { decision, reason: 'order.approval.consent_outdated' };
  if (!state.intake?.consent?.in_force) return { decision, reason: 'order.approval.no_consent' };
  return { decision, reason: null };
}

function product() {
  const decision = state.intake?.decision ?? null;
  return state.products.find((p) => p.id === decision?.product_id) ?? null;
}

function remaining(decision) {
  const used = state.orders
    .filter((o) => o.decision_id === decision.id && o.status !== 'cancelled')
    .reduce((sum, o) => sum + (Number(o.quantity) || 0), 0);
  return Math.max(0, (Number(decision.quantity) || 0) - used);
}

function renderApproval() {
  const { decision, reason } = approval();
  const none = $('approval-none');
  none.textContent = reason ? t(reason) : '';
  none.hidden = !reason;
  const toConsent = reason === 'order.approval.consent_outdated' || reason === 'order.approval.no_consent';
  const statusLink = $('approval-status-link');
  statusLink.hidden = !reason;
  statusLink.href = toConsent ? '/consent.html' : '/status.html';
  statusLink.textContent = t(toConsent ? 'order.approval.to_consent' : 'order.approval.to_status');
  const dl = $('approval-details');
  dl.hidden = !decision;
  if (decision) {
    const p = product();
    fillDetails(dl, [
      [t('decision.product'), p ? productName(p) : decision.product],
      [t('order.approval.quantity'), t('decision.quantity_value', { n: decision.quantity })],
      [t('decision.directions'), decision.directions],
      [t('decision.valid_until'), decision.valid_until ? formatDay(decision.valid_until) : ''],
      [t('decision.doctor'), decision.doctor_name],
    ]);
    dl.querySelectorAll('dd')[2]?.classList.add('pre-wrap');
  }
  return { decision, reason };
}

function renderForm() {
  const { decision, reason } = approval();
  const card = $('order-form-card');
  const p = product();
  if (!decision || reason || !p) {
    card.hidden = true;
    return;
  }
  card.hidden = false;
  $('price-line').replaceChildren(
    el('span', 'price-line__label', t('order.price_label')), ' ',
    el('strong', 'price-line__amount', yenTaxIncluded(p.price_jpy)),
    el('span', 'muted', ` / ${t('order.per_unit')}`),
  );
  $('price-units').textContent = p.units_description ? bilingualText(p.units_description) : '';
  $('price-units').hidden = !p.units_description;

  const left = remaining(decision);
  const form = $('order-form');
  const remainingNote = $('order-remaining');
  remainingNote.textContent = left > 0
    ? t('order.form.remaining', { n: left, approved: decision.quantity })
    : t('order.form.none_left', { approved: decision.quantity });
  remainingNote.hidden = false;
  form.hidden = left <= 0;

  const select = $('order-quantity');
  const chosen = Number(select.value) || 1;
  select.replaceChildren(...Array.from({ length: left }, (_, i) => {
    const option = el('option', null, t('decision.quantity_value', { n: i + 1 }));
    option.value = String(i + 1);
    return option;
  }));
  select.value = String(Math.min(Math.max(chosen, 1), Math.max(left, 1)));

  const box = $('payment-methods');
  const picked = form.querySelector('input[name="payment_method"]:checked')?.value ?? '';
  box.replaceChildren(...state.methods.map((m) => {
    const id = `pay-${m.code}`;
    const label = el('label', 'choice');
    label.htmlFor = id;
    const input = el('input');
    input.type = 'radio';
    input.name = 'payment_method';
    input.id = id;
    input.value = m.code;
    input.checked = m.code === picked;
    input.setAttribute('aria-describedby', 'order-payment-error');
    const text = el('span', null, pick(m.label) || m.code);
    if (m.paid_before_dispensing === false) text.append(el('span', 'choice__note', t('order.form.pay_on_delivery')));
    label.append(input, text);
    return label;
  }));
  updateTotal();

  const profile = state.user.profile ?? {};
  const address = [state.user.name, profile.postal_code ? `〒${profile.postal_code}` : '', profile.address, profile.phone]
    .filter(Boolean).join('\n');
  $('ship-to').textContent = address;
  // No address yet: the notice leads to the profile page, which leads back here.
  $('ship-to-missing').hidden = Boolean(profile.address);
  $('ship-to-change').hidden = !profile.address;
}

function updateTotal() {
  const p = product();
  const n = Number($('order-quantity').value) || 0;
  $('order-total').textContent = p ? yen(p.price_jpy * n) : '';
}

/** The five steps of an order, each done, current or to come. */
function progress(order) {
  const ol = el('ol', 'progress');
  const at = STEPS.indexOf(order.status);
  const cod = order.payment?.method === 'cash_on_delivery';
  for (const [i, step] of STEPS.entries()) {
    let done = i <= at;
    // Cash on delivery is paid at the door: the payment step follows the payment itself.
    if (step === 'paid' && cod) done = order.payment?.paid === true;
    const li = el('li', `progress__step${done ? ' progress__step--done' : ''}${i === at ? ' progress__step--current' : ''}`);
    li.dataset.step = step;
    if (i === at) li.setAttribute('aria-current', 'step');
    li.append(el('span', 'progress__dot', done ? '✓' : String(i + 1)), el('span', 'progress__label', t(`order.step.${step}${step === 'paid' && cod ? '_cod' : ''}`)));
    ol.append(li);
  }
  return ol;
}

function cancelArea(order) {
  const box = el('div', 'order-cancel');
  if (state.confirming !== order.id) {
    const button = el('button', 'btn btn--ghost btn--danger-text btn--small', t('order.cancel.button'));
    button.type = 'button';
    button.dataset.cancelOrder = String(order.id);
    button.addEventListener('click', () => { state.confirming = order.id; renderOrders(); });
    box.append(button);
    return box;
  }
  const panel = el('div', 'confirm');
  panel.append(el('p', null, t('order.cancel.question_patient')));
  const error = el('p', 'alert alert--error');
  error.hidden = true;
  const actions = el('div', 'actions actions--tight');
  const yes = el('button', 'btn btn--danger', t('order.cancel.confirm'));
  yes.type = 'button';
  yes.dataset.confirmCancel = String(order.id);
  const no = el('button', 'btn btn--ghost', t('common.cancel'));
  no.type = 'button';
  no.addEventListener('click', () => { state.confirming = null; renderOrders(); });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      await api('POST', `/api/v1/orders/${encodeURIComponent(order.id)}/cancel`, {});
      state.confirming = null;
      await loadOrders();
      render();
    } catch (err) {
      error.textContent = err.message || t('error.generic');
      error.hidden = false;
      yes.disabled = false;
    }
  });
  actions.append(yes, no);
  panel.append(error, actions);
  box.append(panel);
  return box;
}

function orderItem(order) {
  const detail = state.details.get(order.id) ?? null;
  // A recalled lot's order says so rather than "shipped": the jar must not be used.
  const recalled = recalledOrderIds().has(order.id);
  const li = orderCard(order, el('strong', 'order__id', t('order.number', { id: order.id })),
    recalled ? recallBadge() : orderStatusBadge(order.status));
  if (recalled) li.dataset.recalled = 'true';

  const p = state.products.find((x) => x.id === order.product_id);
  const rows = [
    [t('order.product'), p ? productName(p) : ''],
    [t('order.amount'), t('order.amount_value', { n: order.quantity, unit: yen(order.unit_price_jpy), total: yen(order.total_jpy) })],
    [t('order.payment.method'), (currentLang() === 'en' ? order.payment?.label_en : order.payment?.label_ja) ?? ''],
    [t('order.created_at'), timeElement(order.created_at)],
  ];
  const shipment = detail?.shipment ?? null;
  if (shipment) {
    const tracking = el('span', 'tracking');
    tracking.append(`${shipment.carrier ?? ''} `, el('strong', 'mono tracking__number', shipment.tracking_number ?? ''));
    rows.push([t('order.tracking'), tracking], [t('order.shipped_at'), timeElement(shipment.shipped_at)]);
    if (shipment.delivered_at) rows.push([t('order.delivered_at'), timeElement(shipment.delivered_at)]);
  }
  const lots = Array.isArray(detail?.dispensed) ? detail.dispensed : [];
  if (lots.length) {
    const ul = el('ul', 'plain-list dispensed-list');
    for (const d of lots) {
      const item = el('li');
      const link = el('a', 'mono', d.lot_number);
      link.href = `/public-lot.html?id=${encodeURIComponent(d.lot_id)}`;
      link.dataset.lotId = String(d.lot_id);
      item.append(link, ` ${t('order.dispensed_value', { n: d.quantity, expires: formatDate(d.expires_on) })}`);
      ul.append(item);
    }
    rows.push([t('order.lots_public'), ul]);
  }
  if (order.status !== 'cancelled') li.append(progress(order));
  const dl = el('dl', 'details details--compact');
  fillDetails(dl, rows);
  li.append(dl);
  if (order.status === 'awaiting_payment' && order.payment?.method === 'bank_transfer') li.append(bankDetails());
  if (['awaiting_payment', 'paid'].includes(order.status)) li.append(cancelArea(order));
  if (['dispensed', 'shipped', 'delivered'].includes(order.status)) {
    const report = el('a', 'btn btn--secondary btn--block order__report', t('order.report_link'));
    report.href = `/report.html?order=${encodeURIComponent(order.id)}`;
    report.dataset.reportOrder = String(order.id);
    li.append(report);
  }
  return li;
}

/** Where to transfer the money: the clinic's bank account, or why it cannot be shown. */
function bankDetails() {
  const bank = state.clinic?.bank;
  if (!bank) return el('p', 'alert alert--warn bank-missing', t('clinic.bank.missing'));
  const box = el('div', 'bank-details');
  box.append(el('p', 'bank-details__title', t('clinic.bank.heading')));
  const dl = el('dl', 'details details--compact');
  fillDetails(dl, [
    [t('clinic.field.bank_name'), `${bank.bank_name} ${bank.bank_branch}`],
    [t('clinic.field.bank_account_type'), currentLang() === 'en' ? bank.account_type_label?.en : bank.account_type_label?.ja],
    [t('clinic.field.bank_account_number'), bank.account_number],
    [t('clinic.field.bank_account_holder'), bank.account_holder],
  ]);
  box.append(dl, el('p', 'hint', t('order.transfer_hint')));
  return box;
}

function renderOrders() {
  $('my-orders').replaceChildren(...state.orders.map(orderItem));
  $('my-orders-empty').hidden = state.orders.length > 0;
}

function renderNotes() {
  if (state.notes) fillNotes($('notes'), state.notes);
  const p = product();
  $('product-public-link').href = p ? `/product.html?id=${encodeURIComponent(p.id)}` : '/products.html';
}

function render() {
  renderApproval();
  renderForm();
  renderOrders();
  renderNotes();
}

async function loadOrders() {
  const data = await api('GET', '/api/v1/orders');
  state.orders = (Array.isArray(data.orders) ? data.orders : []).sort((a, b) => Number(b.id) - Number(a.id));
  const details = await Promise.all(state.orders.filter((o) => o.status !== 'cancelled')
    .map((o) => api('GET', `/api/v1/orders/${encodeURIComponent(o.id)}`)));
  state.details = new Map(details.map((d) => [d.order.id, d.order]));
}

async function load() {
  const [intake, products, methods, notes, , clinic] = await Promise.all([
    api('GET', '/api/v1/intake'),
    api('GET', '/api/v1/products'),
    api('GET', '/api/v1/payment-methods'),
    api('GET', '/api/v1/public/products').catch(() => null),
    loadOrders(),
    loadClinic(),
  ]);
  state.clinic = clinic?.clinic ?? null;
  state.intake = intake.intake ?? {};
  state.products = Array.isArray(products.products) ? products.products : [];
  state.methods = Array.isArray(methods.payment_methods) ? methods.payment_methods : [];
  state.notes = notes?.notes ?? null;
}

function wire() {
  $('order-quantity').addEventListener('change', updateTotal);
  const form = $('order-form');
  form.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === 'payment_method') clearErrors(form);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    if (!values.payment_method) {
      showError(form, { field: 'payment_method', message: t('order.form.need_method') });
      return;
    }
    const body = { quantity: Number(values.quantity), payment_method: values.payment_method };
    whileSubmitting(form, async () => {
      try {
        const data = await api('POST', '/api/v1/orders', body);
        await loadOrders();
        render();
        showStatus(form, t('order.form.done', { id: data.order?.id ?? '' }));
        document.querySelector(`#my-orders li[data-order-id="${data.order?.id}"]`)?.scrollIntoView({ block: 'start' });
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

runPage({
  roles: ['patient'],
  load: (user) => { state.user = user; return load(); },
  wire,
  render,
  view: 'order-view',
});
