// Small DOM helpers every page uses. Values from the API are always written with textContent
// (never innerHTML), so nothing a user typed can become markup.

import { t } from './i18n.js';

/** Returns the element with id, or null. */
export const $ = (id) => document.getElementById(id);

/** Returns a new element tag with class names cls (space separated) and text (textContent). */
export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/**
 * Fills dl with [label, value (string or Node)] rows. Empty values show empty (default: a dash)
 * in muted text.
 */
export function fillDetails(dl, rows, { empty = t('value.dash') } = {}) {
  dl.replaceChildren();
  for (const [label, value] of rows) {
    const dd = el('dd');
    if (value instanceof Node) dd.append(value);
    else if (value === undefined || value === null || value === '') {
      dd.textContent = empty;
      dd.classList.add('muted');
    } else dd.textContent = String(value);
    dl.append(el('dt', null, label), dd);
  }
}

/** Appends a table cell holding content (a Node, or text; missing shows empty) with class cls. */
export function cell(row, content, cls, empty = '') {
  const td = el('td', cls);
  if (content instanceof Node) td.append(content);
  else td.textContent = content === undefined || content === null ? empty : String(content);
  row.append(td);
  return td;
}

/** Returns the query parameter name of the page's address, or null. */
export function queryParam(name) {
  return new URLSearchParams(window.location.search).get(name);
}

/** Shows error (an ApiError or Error) in the alert element id. */
export function showAlert(id, error) {
  const node = $(id);
  if (!node) return;
  node.textContent = error && error.message ? error.message : t('error.generic');
  node.hidden = false;
}

/** Hides the alert element id. */
export function hideAlert(id) {
  const node = $(id);
  if (!node) return;
  node.textContent = '';
  node.hidden = true;
}
