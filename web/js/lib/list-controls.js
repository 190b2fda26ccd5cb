// Search and paging for the staff lists (review queue, orders, adverse events), one API for all
// (docs/api.md "Lists: search and paging"): ?q=&status=&limit=&offset=, answered with total,
// limit and offset. searchBar() builds the search form; pager() the "1–20 of 57" line with
// previous / next buttons. The page keeps the state (q, status, offset) and reloads on change.

import { t } from './i18n.js';
import { el } from './dom.js';

export const PAGE_SIZE = 20;

/** The query string for a list: q, status, limit and offset (empty ones left out). */
export function listQuery({ q = '', status = '', offset = 0, limit = PAGE_SIZE } = {}) {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (status) p.set('status', status);
  p.set('limit', String(limit));
  if (offset) p.set('offset', String(offset));
  return p.toString();
}

/**
 * A search form: a text box (name, kana or number) and, with statuses ([{value, label}]), a
 * status choice. onSearch({q, status}) runs on submit and when the status changes.
 */
export function searchBar({ id, statuses = null, hintKey = 'list.search_hint', onSearch }) {
  const form = el('form', 'form search-bar');
  form.id = id;
  form.setAttribute('role', 'search');
  form.noValidate = true;
  const field = el('div', 'field search-bar__q');
  const label = el('label', null, t('list.search'));
  label.htmlFor = `${id}-q`;
  const input = el('input');
  input.id = `${id}-q`;
  input.name = 'q';
  input.type = 'search';
  input.maxLength = 100;
  input.autocomplete = 'off';
  const hint = el('p', 'hint', t(hintKey));
  hint.id = `${id}-q-hint`;
  const error = el('p', 'field-error');
  error.id = `${id}-q-error`;
  error.dataset.errorFor = 'q';
  error.hidden = true;
  input.setAttribute('aria-describedby', `${hint.id} ${error.id}`);
  field.append(label, input, hint, error);
  form.append(field);
  let select = null;
  if (statuses) {
    const sf = el('div', 'field search-bar__status');
    const sl = el('label', null, t('list.status'));
    sl.htmlFor = `${id}-status`;
    select = el('select');
    select.id = `${id}-status`;
    select.name = 'status';
    select.append(new Option(t('list.status_all'), ''));
    for (const s of statuses) select.append(new Option(s.label, s.value));
    select.addEventListener('change', () => onSearch(read()));
    sf.append(sl, select);
    form.append(sf);
  }
  const button = el('button', 'btn btn--secondary search-bar__submit', t('list.search_submit'));
  button.type = 'submit';
  form.append(button);
  function read() {
    return { q: input.value.trim(), status: select ? select.value : '' };
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSearch(read());
  });
  return form;
}

/** The pager line for a page of a list: "{from}–{to} / {total}" and previous / next buttons. */
export function pager({ id, total, limit, offset, onPage }) {
  const nav = el('nav', 'pager');
  nav.id = id;
  nav.setAttribute('aria-label', t('list.pages'));
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  const status = el('p', 'pager__status', t('list.range', { from, to, total }));
  status.setAttribute('aria-live', 'polite');
  const prev = el('button', 'btn btn--ghost btn--small', t('list.prev'));
  prev.type = 'button';
  prev.dataset.page = 'prev';
  prev.disabled = offset <= 0;
  prev.addEventListener('click', () => onPage(Math.max(0, offset - limit)));
  const next = el('button', 'btn btn--ghost btn--small', t('list.next'));
  next.type = 'button';
  next.dataset.page = 'next';
  next.disabled = offset + limit >= total;
  next.addEventListener('click', () => onPage(offset + limit));
  nav.append(prev, status, next);
  return nav;
}
