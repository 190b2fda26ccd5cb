// The clinic's own details on every page (GET /api/v1/clinic): whom to call next to each
// 「クリニックへご連絡ください」, the clinic in the footer, and in demo mode a visible デモ
// banner. While a live clinic's details are incomplete, the contact line says so instead of
// showing a number nobody answers. Loaded by initI18n; a failure leaves the page as it is.

import { api } from './api.js';
import { onLangChange, t } from './i18n.js';

/** Texts after which patients are told to contact the clinic: the phone goes right after them. */
const CONTACT_KEYS = ['notice.contact', 'order.form.no_address', 'public.lot.recalled_body', 'report.sent.body'];

let loading = null;
let loaded = null;

/** The reply of GET /api/v1/clinic, fetched once per page (null when it cannot be loaded). */
export function loadClinic() {
  loading ??= api('GET', '/api/v1/clinic').catch(() => null);
  return loading;
}

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** A tel: link for phone (digits and + only in the address). */
export function phoneLink(phone) {
  const a = node('a', 'clinic-phone', phone);
  a.href = `tel:${phone.replace(/[^0-9+]/g, '')}`;
  return a;
}

function contactNodes(data) {
  const c = data.clinic ?? {};
  if (!c.phone || (data.setup_needed && data.mode !== 'demo')) return [t('clinic.contact.unset')];
  const parts = [t('clinic.contact.call', { name: c.name }), ' ', phoneLink(c.phone)];
  if (c.hours) parts.push(` ${t('clinic.contact.hours', { hours: c.hours })}`);
  return parts;
}

function renderContacts(data) {
  for (const old of document.querySelectorAll('[data-clinic-contact]')) old.remove();
  const selector = CONTACT_KEYS.map((k) => `[data-i18n="${k}"]`).join(', ');
  for (const anchor of document.querySelectorAll(selector)) {
    const line = node(anchor.tagName === 'LI' ? 'li' : 'p', 'clinic-contact');
    line.dataset.clinicContact = '';
    if (anchor.classList.contains('notice__strong')) line.classList.add('notice__strong');
    line.append(...contactNodes(data));
    anchor.after(line);
  }
}

function renderFooter(data) {
  const footer = document.querySelector('.site-footer');
  if (!footer) return;
  footer.querySelector('.clinic-footer')?.remove();
  const c = data.clinic ?? {};
  if (!c.name) return;
  const box = node('div', 'clinic-footer');
  box.append(node('p', 'clinic-footer__name', c.name));
  if (c.address) box.append(node('p', null, `${c.postal_code ? `〒${c.postal_code} ` : ''}${c.address}`));
  if (c.phone) {
    const p = node('p', null, `${t('clinic.footer.phone')} `);
    p.append(phoneLink(c.phone));
    if (c.hours) p.append(` ${t('clinic.contact.hours', { hours: c.hours })}`);
    box.append(p);
  }
  if (c.doctor_name) box.append(node('p', null, t('clinic.footer.doctor', { name: c.doctor_name })));
  footer.prepend(box);
}

function renderDemo(data) {
  document.getElementById('demo-banner')?.remove();
  if (data.mode !== 'demo') return;
  const banner = node('p', 'demo-banner', t('clinic.demo_banner'));
  banner.id = 'demo-banner';
  banner.setAttribute('role', 'note');
  document.body.prepend(banner);
}

function render(data) {
  renderDemo(data);
  renderContacts(data);
  renderFooter(data);
}

/** Loads the clinic's details and shows them on the page; re-renders on a language change. */
export async function showClinicInfo() {
  const data = await loadClinic();
  if (!data) return;
  loaded = data;
  render(data);
  onLangChange(() => render(data));
}

/** Shows the phone again after a page rebuilt its contact lines (a no-op before the details load). */
export function refreshClinicContacts() {
  if (loaded) renderContacts(loaded);
}

/** Shows newly saved details (the settings page, after PUT /api/v1/clinic) everywhere on the page. */
export function updateClinicInfo(data) {
  loading = Promise.resolve(data);
  loaded = data;
  render(data);
}
