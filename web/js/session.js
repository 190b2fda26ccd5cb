// Start-up shared by the signed-in pages: translate, load the user (401 goes to the log-in
// page), check the role, wire the log-out button. Also small DOM helpers the intake pages share.

import { api } from './api.js';
import { initI18n, t } from './i18n.js';

const $ = (id) => document.getElementById(id);

/** Shows error (an ApiError or Error) in the alert element id. */
export function showAlert(id, error) {
  const el = $(id);
  if (!el) return;
  el.textContent = error && error.message ? error.message : t('error.generic');
  el.hidden = false;
}

/** Hides the alert element id. */
export function hideAlert(id) {
  const el = $(id);
  if (!el) return;
  el.textContent = '';
  el.hidden = true;
}

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
      window.location.replace('/login.html');
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
  return user;
}

/** Returns a new element tag with class names cls (space separated) and text (textContent). */
export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** Fills dl with [label, value (string or Node)] rows; empty values show a dash. */
export function fillDetails(dl, rows) {
  dl.replaceChildren();
  for (const [label, value] of rows) {
    const dd = el('dd');
    if (value instanceof Node) dd.append(value);
    else if (value === undefined || value === null || value === '') {
      dd.textContent = t('value.dash');
      dd.classList.add('muted');
    } else dd.textContent = String(value);
    dl.append(el('dt', null, label), dd);
  }
}

/** Returns the query parameter name of the page's address, or null. */
export function queryParam(name) {
  return new URLSearchParams(window.location.search).get(name);
}
