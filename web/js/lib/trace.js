// Shared pieces of the traceability pages (lots, orders, the patient's order page and the
// public disclosure pages): status badges, release-test names, prices, storage specifications,
// the mandatory notes and certificate links. Every API value is written with textContent.

import { currentLang, t } from './i18n.js';
import { pick } from './levels.js';
import { el } from './dom.js';
import { timeElement } from './jst.js';
import { refreshClinicContacts } from './clinic-info.js';

/** The six tests a lot needs before release, in the order they are shown. */
export const TEST_KINDS = ['sterility', 'mycoplasma', 'endotoxin', 'viral', 'particle_count', 'identity'];

export const LOT_STATUSES = ['received', 'quarantine', 'released', 'depleted', 'expired', 'recalled', 'destroyed'];

/** Legal moves a person can make from each lot status (docs/api.md, "Traceability"). */
export const LOT_ACTIONS = {
  received: ['quarantine'],
  quarantine: ['released', 'destroyed', 'recalled'],
  released: ['quarantine', 'recalled'],
  depleted: ['recalled'],
  expired: ['destroyed', 'recalled'],
  recalled: [],
  destroyed: [],
};

export const ORDER_STATUSES = ['awaiting_payment', 'paid', 'dispensed', 'shipped', 'delivered', 'cancelled'];

/** Returns the label of a known key family value (e.g. 'lot.status', 'released'), else the value. */
function label(family, value, known) {
  return known.includes(value) ? t(`${family}.${value}`) : String(value ?? '');
}

/** Returns a badge for a lot status (data-status set for scripts and tests). */
export function lotStatusBadge(status) {
  const known = LOT_STATUSES.includes(status);
  const badge = el('span', `status-badge status-badge--${known ? status : 'unknown'}`, label('lot.status', status, LOT_STATUSES));
  badge.dataset.status = String(status ?? '');
  return badge;
}

/** A lot status change for a timeline: from → to badges and when, with by (who) when given. */
export function historyItem(h, by) {
  const li = el('li', 'timeline__item');
  li.dataset.to = String(h.to ?? '');
  const head = el('div', 'timeline__head');
  if (h.from) head.append(lotStatusBadge(h.from), el('span', 'timeline__arrow', '→'));
  head.append(lotStatusBadge(h.to));
  const meta = el('p', 'timeline__meta');
  meta.append(timeElement(h.at));
  if (by) meta.append(` / ${by}`);
  li.append(head, meta);
  return li;
}

/** Returns a badge for an order status. */
export function orderStatusBadge(status) {
  const known = ORDER_STATUSES.includes(status);
  const badge = el('span', `status-badge status-badge--order-${known ? status : 'unknown'}`, label('order.status', status, ORDER_STATUSES));
  badge.dataset.status = String(status ?? '');
  return badge;
}

/** The badge an order holding a recalled lot shows instead of its shipping status (回収対象). */
/** An order's card (patient's and staff's lists): the <li> carrying the order's id and status
 *  for styles and tests, with its head line made of headItems. */
export function orderCard(order, ...headItems) {
  const li = el('li', `card order order--${order.status}`);
  li.dataset.orderId = String(order.id);
  li.dataset.status = String(order.status);
  const head = el('div', 'order__head');
  head.append(...headItems);
  li.append(head);
  return li;
}

export function recallBadge() {
  const badge = el('span', 'status-badge status-badge--order-recalled', t('order.status.recalled'));
  badge.dataset.status = 'recalled';
  return badge;
}

/** Returns the name of a release test kind in the UI language. */
export function testKindLabel(kind) {
  return label('test.kind', kind, TEST_KINDS);
}

/** Returns the name of a test result ('pass', 'fail') in the UI language. */
export function testResultBadge(result) {
  const known = result === 'pass' || result === 'fail';
  const badge = el('span', `result result--${known ? result : 'none'}`, known ? t(`test.result.${result}`) : t('test.result.none'));
  badge.dataset.result = known ? result : 'none';
  return badge;
}

/** Returns a yen amount for people: "22,000円" / "¥22,000". */
export function yen(amount) {
  const n = Number(amount);
  if (!Number.isFinite(n)) return String(amount ?? '');
  return t('price.yen', { amount: new Intl.NumberFormat('ja-JP').format(n) });
}

/** Returns a tax-included price: "22,000円(税込)" / "¥22,000 (tax incl.)". */
export function yenTaxIncluded(amount) {
  return t('price.tax_included', { price: yen(amount) });
}

/** Returns a product's storage specification: "2〜8℃、許容される温度逸脱は累計60分まで". */
export function storageText(storage) {
  if (!storage || typeof storage !== 'object') return '';
  return t('product.storage_value', {
    min: storage.min_c ?? '?', max: storage.max_c ?? '?', minutes: storage.excursion_allowance_minutes ?? '?',
  });
}

/** Returns the product's name in the UI language (its code when it has none). */
export function productName(product) {
  return pick(product?.name) || String(product?.code ?? '');
}

/** Returns the "ja / en" half in the UI language of a string written "日本語 / English". */
export function bilingualText(text) {
  if (typeof text !== 'string') return text ?? '';
  const parts = text.split(' / ');
  if (parts.length !== 2) return text;
  return currentLang() === 'en' ? parts[1] : parts[0];
}

/** Returns a link that opens certificate id (public) in a new tab, text its file name. */
export function certificateLink(id, filename) {
  const a = el('a', 'cert-link', filename || t('cert.open', { id }));
  a.href = `/api/v1/public/certificates/${encodeURIComponent(id)}`;
  a.target = '_blank';
  a.rel = 'noopener';
  a.dataset.certificateId = String(id);
  return a;
}

/** Returns a date (YYYY-MM-DD) as written in the UI language. */
export function formatDate(day) {
  if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return day ? String(day) : t('value.dash');
  const date = new Date(`${day}T12:00:00+09:00`);
  return new Intl.DateTimeFormat(currentLang() === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: 'Asia/Tokyo', year: 'numeric', month: currentLang() === 'ja' ? 'long' : 'short', day: 'numeric',
  }).format(date);
}

/**
 * Fills the list ul with the mandatory notes from the API ({ja: [...], en: [...]}) in the UI
 * language, then the clinic's own contact lines (contact on any reaction, emergencies).
 */
export function fillNotes(ul, notes) {
  const lines = notes && Array.isArray(notes[currentLang()]) ? notes[currentLang()]
    : notes && Array.isArray(notes.ja) ? notes.ja : [];
  ul.replaceChildren(...lines.map((line) => el('li', null, line)));
  const contact = el('li', 'notice__strong', t('notice.contact'));
  contact.dataset.i18n = 'notice.contact';
  ul.append(contact, el('li', null, t('notice.emergency')));
  refreshClinicContacts(); // the clinic's phone after the contact line
}
