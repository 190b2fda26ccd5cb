// Orders (pharmacists and admins): every order, filtered by status with tabs, and the actions
// each state allows: record the payment (a reference for transfers and card slips; cash on
// delivery once shipped), dispense (pharmacists; the server picks lots first-expiry-first-out and
// the card then shows which lots were used), ship (carrier, tracking number, temperature logger),
// mark delivered, and cancel before dispensing (after a confirmation).

import { api } from '../lib/api.js';
import { clearErrors, formValues, showError, whileSubmitting } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { timeElement } from '../lib/jst.js';
import { listQuery, pager, searchBar } from '../lib/list-controls.js';
import { $, el, fillDetails, showAlert } from '../lib/dom.js';
import { ORDER_STATUSES, formatDate, orderCard, orderStatusBadge, productName, yen } from '../lib/trace.js';
import { runPage } from '../lib/page.js';

const WITH_DETAIL = new Set(['dispensed', 'shipped', 'delivered']);

const state = { user: null, orders: [], details: new Map(), products: new Map(), tab: 'all', confirming: null };
// The search and the page shown (list-controls.js): the tab is the status; the server counts
// the matches per status for the tabs.
const view = { q: '', offset: 0, total: 0, limit: 20, counts: {} };

function paymentLabel(payment) {
  if (!payment) return '';
  return (currentLang() === 'en' ? payment.label_en : payment.label_ja) || payment.method || '';
}

/** Returns a field block: label, input (or the given control) and its error slot. */
function field(form, { name, label, type = 'text', required = false, hint, placeholder, maxlength }) {
  const id = `${form.id}-${name}`;
  const wrap = el('div', 'field');
  const lab = el('label');
  lab.htmlFor = id;
  lab.append(el('span', null, label));
  lab.append(el('span', `tag${required ? ' tag--required' : ''}`, t(required ? 'field.required' : 'field.optional')));
  const input = el('input');
  input.id = id;
  input.name = name;
  input.type = type;
  input.autocomplete = 'off';
  if (maxlength) input.maxLength = maxlength;
  if (placeholder) input.placeholder = placeholder;
  const error = el('p', 'field-error');
  error.id = `${id}-error`;
  error.dataset.errorFor = name;
  error.hidden = true;
  const described = [error.id];
  wrap.append(lab);
  if (hint) {
    const h = el('p', 'hint', hint);
    h.id = `${id}-hint`;
    described.unshift(h.id);
    wrap.append(h);
  }
  input.setAttribute('aria-describedby', described.join(' '));
  wrap.append(input, error);
  return wrap;
}

/** Returns a form (class order-form) with an error area, fields and a submit button. */
function actionForm(order, kind, fields, submitLabel, submitClass = 'btn--primary') {
  const form = el('form', `form order-form order-form--${kind}`);
  form.id = `order-${order.id}-${kind}`;
  form.noValidate = true;
  form.dataset.action = kind;
  const error = el('p', 'alert alert--error');
  error.dataset.formError = '';
  error.setAttribute('role', 'alert');
  error.tabIndex = -1;
  error.hidden = true;
  form.append(error);
  for (const spec of fields) form.append(field(form, spec));
  const button = el('button', `btn ${submitClass}`, submitLabel);
  button.type = 'submit';
  form.append(button);
  return form;
}

async function act(form, order, path, body, doneKey) {
  clearErrors(form);
  await whileSubmitting(form, async () => {
    try {
      await api('POST', `/api/v1/orders/${encodeURIComponent(order.id)}/${path}`, body);
      state.confirming = null;
      await load();
      render();
      $('orders-notice').textContent = t(doneKey, { id: order.id });
      $('orders-notice').hidden = false;
    } catch (error) {
      showError(form, error);
    }
  });
}

function paymentForm(order) {
  const cod = order.payment?.method === 'cash_on_delivery';
  const form = actionForm(order, 'payment', [{
    name: 'reference', label: t('order.payment.reference'), required: !cod, maxlength: 100,
    hint: t(cod ? 'order.payment.reference_hint_cod' : 'order.payment.reference_hint'),
  }], t('order.payment.submit'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const { reference } = formValues(form);
    act(form, order, 'payment', reference ? { reference } : {}, 'orders_staff.done.payment');
  });
  return form;
}

function shipForm(order) {
  const form = actionForm(order, 'ship', [
    { name: 'carrier', label: t('order.ship.carrier'), required: true, maxlength: 100, placeholder: t('order.ship.carrier_placeholder') },
    { name: 'tracking_number', label: t('order.ship.tracking_number'), required: true, maxlength: 100, hint: t('order.ship.code_hint') },
    { name: 'logger_id', label: t('order.ship.logger_id'), maxlength: 64, hint: t('order.ship.logger_hint') },
  ], t('order.ship.submit'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = formValues(form, { keepEmpty: ['carrier', 'tracking_number'] });
    act(form, order, 'ship', values, 'orders_staff.done.ship');
  });
  return form;
}

function buttonForm(order, kind, label, cls, path, doneKey) {
  const form = actionForm(order, kind, [], label, cls);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(form, order, path, {}, doneKey);
  });
  return form;
}

function cancelArea(order) {
  const box = el('div', 'order-cancel');
  if (state.confirming !== order.id) {
    const button = el('button', 'btn btn--ghost btn--danger-text btn--small', t('order.cancel.button'));
    button.type = 'button';
    button.dataset.cancelOrder = String(order.id);
    button.addEventListener('click', () => {
      state.confirming = order.id;
      render();
      document.querySelector(`#order-${order.id}-cancel button[type="submit"]`)?.focus();
    });
    box.append(button);
    return box;
  }
  const form = actionForm(order, 'cancel', [], t('order.cancel.confirm'), 'btn--danger');
  form.classList.add('confirm');
  form.prepend(el('p', null, t('order.cancel.question', { id: order.id })));
  const back = el('button', 'btn btn--ghost', t('common.cancel'));
  back.type = 'button';
  back.addEventListener('click', () => {
    state.confirming = null;
    render();
  });
  form.append(back);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(form, order, 'cancel', {}, 'orders_staff.done.cancel');
  });
  box.append(form);
  return box;
}

function dispensedList(detail) {
  const lots = Array.isArray(detail?.dispensed) ? detail.dispensed : [];
  const ul = el('ul', 'plain-list dispensed-list');
  for (const d of lots) {
    const li = el('li');
    li.dataset.lotId = String(d.lot_id);
    const link = el('a', 'mono', d.lot_number);
    link.href = `/lot.html?id=${encodeURIComponent(d.lot_id)}`;
    li.append(link, ` ${t('order.dispensed_value', { n: d.quantity, expires: formatDate(d.expires_on) })}`);
    ul.append(li);
  }
  return ul;
}

/** The address block: name, postal code and address, and the phone as a tel: link. */
function shipToBlock(shipTo) {
  const block = el('span', 'ship-to');
  block.append(el('span', 'ship-to__line', shipTo.name ?? ''));
  block.append(el('span', 'ship-to__line', [shipTo.postal_code ? `〒${shipTo.postal_code}` : '', shipTo.address ?? ''].filter(Boolean).join(' ')));
  if (shipTo.phone) {
    const phone = el('a', 'ship-to__line tel-link', shipTo.phone);
    phone.href = `tel:${String(shipTo.phone).replace(/[^0-9+]/g, '')}`;
    block.append(phone);
  }
  return block;
}

function staffOrderCard(order) {
  const detail = state.details.get(order.id) ?? null;
  const li = orderCard(order, el('strong', 'order__id', `#${order.id}`), el('span', 'order__name', order.patient_name),
    orderStatusBadge(order.status));

  const product = state.products.get(order.product_id);
  const shipTo = order.ship_to ?? {};
  const payment = el('span');
  payment.append(paymentLabel(order.payment), ' ');
  payment.append(el('span', order.payment?.paid ? 'state-text state-text--ok' : 'state-text state-text--warn',
    t(order.payment?.paid ? 'order.payment.paid' : 'order.payment.unpaid')));
  const rows = [
    [t('order.product'), product ? productName(product) : `#${order.product_id}`],
    [t('order.amount'), t('order.amount_value', { n: order.quantity, unit: yen(order.unit_price_jpy), total: yen(order.total_jpy) })],
    [t('order.payment.method'), payment],
    [t('order.ship_to'), shipToBlock(shipTo)],
    [t('order.created_at'), timeElement(order.created_at)],
  ];
  if (order.paid_at) rows.push([t('order.paid_at'), timeElement(order.paid_at)]);
  if (order.cancelled_at) rows.push([t('order.cancelled_at'), timeElement(order.cancelled_at)]);
  if (detail && detail.dispensed?.length) rows.push([t('order.dispensed_lots'), dispensedList(detail)]);
  const shipment = detail?.shipment ?? null;
  if (shipment) {
    rows.push([t('order.tracking'), `${shipment.carrier ?? ''} ${shipment.tracking_number ?? ''}`]);
    if (shipment.logger_id) rows.push([t('order.ship.logger_id'), shipment.logger_id]);
    rows.push([t('order.shipped_at'), timeElement(shipment.shipped_at)]);
    if (shipment.delivered_at) rows.push([t('order.delivered_at'), timeElement(shipment.delivered_at)]);
  }
  const dl = el('dl', 'details details--compact');
  fillDetails(dl, rows);
  li.append(dl);

  const actions = el('div', 'order__actions');
  if (detail && detail.dispensed?.length) {
    // The packing slip for the parcel: a printable page of its own (name, address, lots).
    const slip = el('a', 'btn btn--secondary btn--small packing-slip-link', t('orders_staff.packing_slip'));
    slip.href = `/api/v1/orders/${encodeURIComponent(order.id)}/packing-slip`;
    slip.target = '_blank';
    slip.rel = 'noopener';
    const line = el('p', 'order__slip');
    line.append(slip);
    actions.append(line);
  }
  const cod = order.payment?.method === 'cash_on_delivery';
  const paid = order.payment?.paid === true;
  const pharmacist = state.user.role === 'pharmacist';
  if (!paid && ((!cod && order.status === 'awaiting_payment') || (cod && ['shipped', 'delivered'].includes(order.status)))) {
    actions.append(paymentForm(order));
  }
  if (order.status === 'paid' || (cod && order.status === 'awaiting_payment')) {
    if (pharmacist) {
      const form = buttonForm(order, 'dispense', t('order.dispense.submit'), 'btn--primary', 'dispense', 'orders_staff.done.dispense');
      form.prepend(el('p', 'hint', t('order.dispense.hint')));
      actions.append(form);
    } else actions.append(el('p', 'hint', t('order.dispense.pharmacist_only')));
  }
  if (order.status === 'dispensed') actions.append(shipForm(order));
  if (order.status === 'shipped') {
    actions.append(buttonForm(order, 'delivered', t('order.delivered.submit'), 'btn--secondary', 'delivered', 'orders_staff.done.delivered'));
  }
  if (['awaiting_payment', 'paid'].includes(order.status)) actions.append(cancelArea(order));
  if (actions.childElementCount) li.append(actions);
  return li;
}

function render() {
  const counts = { all: Object.values(view.counts).reduce((a, b) => a + b, 0) };
  for (const s of ORDER_STATUSES) counts[s] = view.counts[s] ?? 0;
  for (const tab of document.querySelectorAll('.tab')) {
    tab.setAttribute('aria-pressed', String(tab.dataset.tab === state.tab));
    tab.querySelector('.tab__count').textContent = String(counts[tab.dataset.tab] ?? 0);
  }
  $('order-list').replaceChildren(...state.orders.map(staffOrderCard));
  $('orders-empty').hidden = state.orders.length > 0;
  $('orders-pager').replaceChildren(pager({ id: 'orders-pager-nav', total: view.total, limit: view.limit, offset: view.offset, onPage: (offset) => { view.offset = offset; reload(); } }));
  $('orders-pager').hidden = view.total <= view.limit;
}

function renderSearch() {
  const bar = searchBar({ id: 'orders-search', onSearch: ({ q }) => { Object.assign(view, { q, offset: 0 }); reload(); } });
  bar.querySelector('input[name="q"]').value = view.q;
  $('orders-search-slot').replaceChildren(bar);
}

async function load() {
  const status = state.tab === 'all' ? '' : state.tab;
  const [orders, products] = await Promise.all([
    api('GET', `/api/v1/orders?${listQuery({ ...view, status })}`),
    state.products.size ? Promise.resolve(null) : api('GET', '/api/v1/products'),
  ]);
  if (products) for (const p of products.products ?? []) state.products.set(p.id, p);
  state.orders = Array.isArray(orders.orders) ? orders.orders : [];
  view.total = orders.total ?? state.orders.length;
  view.counts = orders.status_counts ?? {};
  // The list is a summary: the lots used and the shipment come with each order's detail.
  const needed = state.orders.filter((o) => WITH_DETAIL.has(o.status));
  const details = await Promise.all(needed.map((o) => api('GET', `/api/v1/orders/${encodeURIComponent(o.id)}`)));
  state.details = new Map(details.map((d) => [d.order.id, d.order]));
}

async function reload() {
  try {
    await load();
    render();
  } catch (error) {
    showAlert('page-error', error);
  }
}

function wire() {
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => {
      state.tab = tab.dataset.tab;
      view.offset = 0;
      $('orders-notice').hidden = true;
      reload();
    });
  }
  $('orders-refresh').addEventListener('click', reload);
  renderSearch();
}

runPage({
  roles: ['pharmacist', 'admin'],
  load: (user) => { state.user = user; return load(); },
  wire,
  render,
  onLang: () => { renderSearch(); render(); },
  view: 'orders-view',
});
