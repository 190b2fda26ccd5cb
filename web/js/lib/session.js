// Start-up shared by the signed-in pages: translate, load the user (401 goes to the log-in
// page), check the role, wire the log-out button; the recall notice of a patient. Pages start
// through runPage (page.js), which calls startPage.

import { api } from './api.js';
import { $, el, showAlert } from './dom.js';
import { currentLang, initI18n, onLangChange, t } from './i18n.js';

function wireLogout() {
  const button = $('logout-button');
  if (!button) return;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api('POST', '/api/v1/auth/logout', {});
    } catch {
      /* already signed out or unreachable: the log-in page is the right place either way */
    }
    window.location.assign('/login.html');
  });
  button.hidden = false;
}

/**
 * The path a log-in may return to: a path on this site only (not "//host", not a scheme, not
 * a backslash trick, not the log-in page itself), else null, so ?next= cannot send a patient
 * to another site after they typed their password.
 */
export function returnPath(value) {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || /[\\\s]/.test(value)) return null;
  let url;
  try {
    url = new URL(value, window.location.origin);
  } catch {
    return null;
  }
  if (url.origin !== window.location.origin || url.pathname === '/login.html') return null;
  return url.pathname + url.search + url.hash;
}

/** The log-in page, returning to path afterwards when it is one of this site's pages. */
export function loginPath(path) {
  const back = returnPath(path);
  return back && back !== '/' && back !== '/home.html' ? `/login.html?next=${encodeURIComponent(back)}` : '/login.html';
}

/**
 * Starts a signed-in page: translates it, loads the user and checks that their role is one of
 * roles. Returns the user, or null when the page cannot go on (sent to the log-in page, wrong
 * role, or the server unreachable: the reason is shown in #page-error).
 */
export async function startPage(roles) {
  await initI18n();
  let user;
  try {
    user = (await api('GET', '/api/v1/me')).user;
  } catch (error) {
    if (error.status === 401) {
      window.location.replace(loginPath(window.location.pathname + window.location.search));
      return null;
    }
    $('page-status').hidden = true;
    showAlert('page-error', error);
    return null;
  }
  wireLogout();
  $('page-status').hidden = true;
  if (!user || !roles.includes(user.role)) {
    showAlert('page-error', { message: t('page.wrong_role') });
    return null;
  }
  await showRecallNotices(user);
  return user;
}

// ---- The recall notice: on every signed-in page of a patient who received a recalled lot.

const recall = { data: null, wired: false };

/** The ids of the signed-in patient's orders that hold a recalled lot (empty for staff). */
export function recalledOrderIds() {
  return new Set((recall.data?.recalls ?? []).map((r) => r.order_id));
}

function recallItem(r) {
  const li = el('li', 'recall-notice__item');
  li.dataset.recallId = String(r.id);
  li.dataset.orderId = String(r.order_id);
  const product = (currentLang() === 'en' ? r.product_name?.en : r.product_name?.ja) ?? '';
  li.append(el('p', 'recall-notice__what', t('recall.notice.what', { product, lot: r.lot_number, order: r.order_id, n: r.quantity })));
  if (r.acknowledged_at) {
    li.append(el('p', 'recall-notice__done', t('recall.notice.acknowledged')));
  } else {
    const button = el('button', 'btn recall-notice__ack', t('recall.notice.ack'));
    button.type = 'button';
    button.dataset.ack = String(r.id);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        recall.data = await api('POST', `/api/v1/me/recalls/${encodeURIComponent(r.id)}/acknowledge`, {});
        renderRecallNotices();
      } catch (error) {
        button.disabled = false;
        li.append(el('p', 'recall-notice__error', error?.message ?? t('error.generic')));
      }
    });
    li.append(button);
  }
  return li;
}

function renderRecallNotices() {
  const recalls = recall.data?.recalls ?? [];
  let box = $('recall-notice');
  if (recalls.length === 0) {
    box?.remove();
    return;
  }
  if (!box) {
    box = el('section', 'recall-alert recall-notice');
    box.id = 'recall-notice';
    box.setAttribute('role', 'alert');
    const main = document.querySelector('main');
    (main ?? document.body).prepend(box);
  }
  const contact = recall.data.contact ?? {};
  const phone = el('a', 'recall-notice__phone', contact.clinic_phone ?? '');
  phone.href = `tel:${String(contact.clinic_phone ?? '').replace(/[^0-9+]/g, '')}`;
  const call = el('p', 'recall-notice__call');
  call.append(t('recall.notice.call', { clinic: contact.clinic_name ?? '' }), ' ');
  if (contact.clinic_phone) call.append(phone);
  else call.append(t('clinic.contact.unset'));
  if (contact.clinic_phone && contact.clinic_hours) call.append(` ${t('clinic.contact.hours', { hours: contact.clinic_hours })}`);
  const steps = el('ul', 'recall-notice__steps');
  for (const key of ['recall.notice.stop', 'recall.notice.keep', 'recall.notice.return']) steps.append(el('li', null, t(key)));
  const list = el('ul', 'recall-notice__list plain-list');
  list.append(...recalls.map(recallItem));
  box.replaceChildren(el('p', 'recall-alert__title', t('recall.notice.title')), steps, call, list);
}

/**
 * For a patient: loads their recalls (GET /api/v1/me/recalls) and shows the notice at the top
 * of the page, with whom to call and a button to acknowledge each. Nothing for staff, or when
 * the list cannot be loaded (the page goes on; the clinic also phones and writes).
 */
export async function showRecallNotices(user) {
  if (!user || user.role !== 'patient') return;
  try {
    recall.data = await api('GET', '/api/v1/me/recalls');
  } catch {
    recall.data = null;
  }
  renderRecallNotices();
  if (!recall.wired) {
    recall.wired = true;
    onLangChange(renderRecallNotices);
  }
}
