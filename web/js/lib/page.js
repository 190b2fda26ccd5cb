// runPage: the start-up every page shares, written once. A page module describes itself (who
// may see it, what it loads, how it draws) and calls runPage; the order of the steps, the error
// display and the body[data-ready] mark the browser tests wait for are the same everywhere.

import { drawChrome } from './chrome.js';
import { $, queryParam, showAlert } from './dom.js';
import { initI18n, onLangChange, t } from './i18n.js';
import { startPage } from './session.js';

/**
 * Starts the page. Draws the shared chrome (chrome.js), translates the page and wires the
 * language toggle, the demo banner and the clinic's footer (initI18n). With roles, a signed-in
 * page: loads the user (401 goes to the log-in page), wires log-out and checks the role is one
 * of roles (else the reason shows in #page-error and the page stops); without, a public page.
 * Then, each step optional and awaited in this order:
 *   load(user)  fetches what the page shows. A thrown error shows in #page-error and the page
 *               stops; returning false stops it too (the page showed why, or is leaving).
 *   wire(user)  wires the page's controls.
 *   render()    draws; drawn again on every language change (or onLang instead; null: none).
 *   view        the id of the element to unhide once drawn.
 * Last it marks body[data-ready="true"]. Returns the user (null for a public page), or
 * undefined when the page stopped.
 */
export async function runPage({ roles = null, load, wire, render, onLang = render, view } = {}) {
  drawChrome();
  let user = null;
  if (roles) {
    user = await startPage(roles);
    if (!user) return undefined;
  } else {
    await initI18n();
    const status = $('page-status');
    if (status) status.hidden = true;
  }
  try {
    if (load && (await load(user)) === false) return undefined;
  } catch (error) {
    showAlert('page-error', error);
    return undefined;
  }
  if (wire) await wire(user);
  if (render) render();
  if (view) $(view).hidden = false;
  if (onLang) onLangChange(onLang);
  document.body.dataset.ready = 'true';
  return user;
}

/**
 * Returns the page's ?id= (a record's number) when it is a whole number; otherwise shows the
 * text of badIdKey in #page-error and returns null (a detail page's load then returns false).
 */
export function pageId(badIdKey) {
  const id = queryParam('id');
  if (/^\d+$/.test(id ?? '')) return id;
  showAlert('page-error', { message: t(badIdKey) });
  return null;
}
