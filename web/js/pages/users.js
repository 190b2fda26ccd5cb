// The admin's user management (GET /api/v1/admin/users and its actions): search by name, kana,
// e-mail or number, filter by role and status, page through with the staff lists' paging
// (list-controls.js: limit and offset, the shared pager); deactivate or reactivate an account,
// change a staff role, require a new password. The search (q, role, status, offset) lives in the
// page's address, so reloading or going back shows the same list. The server refuses what may
// not be done (one's own account, the last active admin) with a message that is shown as it
// comes.

import { api } from '../lib/api.js';
import { clearErrors, showError } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { $, el, hideAlert, showAlert } from '../lib/dom.js';
import { formatDay, jstDay } from '../lib/jst.js';
import { PAGE_SIZE, listQuery, pager } from '../lib/list-controls.js';
import { runPage } from '../lib/page.js';

const STAFF_ROLES = ['doctor', 'pharmacist', 'admin'];

const state = { me: null, query: { q: '', role: '', status: '', offset: 0 }, data: null };

function readQuery() {
  const p = new URLSearchParams(window.location.search);
  const offset = Number.parseInt(p.get('offset') ?? '0', 10);
  state.query = { q: p.get('q') ?? '', role: p.get('role') ?? '', status: p.get('status') ?? '', offset: offset > 0 ? offset : 0 };
}

function writeQuery() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state.query)) if (v) p.set(k, String(v));
  const search = p.toString();
  window.history.replaceState(null, '', search ? `?${search}` : window.location.pathname);
}

function userLabel(u) {
  return `${u.name} (${u.email})`;
}

function stateBadges(u) {
  const badges = [el('span', `badge ${u.active ? 'badge--quiet' : 'badge--stopped'}`, t(u.active ? 'users.state.active' : 'users.state.deactivated'))];
  if (u.password_reset_required) badges.push(el('span', 'badge badge--warn', t('users.state.reset_required')));
  return badges;
}

/** Runs an action on u after the admin confirms it; shows the outcome above the list. */
async function act(u, confirmKey, path, body, doneKey) {
  if (!window.confirm(t(confirmKey, { user: userLabel(u) }))) return;
  hideAlert('users-error');
  hideAlert('users-done');
  try {
    const r = await api('POST', `/api/v1/admin/users/${encodeURIComponent(u.id)}/${path}`, body);
    const done = $('users-done');
    done.textContent = t(doneKey, { user: userLabel(u), role: t(`role.${r.user?.role}`), n: r.sessions_ended ?? 0 });
    done.hidden = false;
    await load();
  } catch (error) {
    showAlert('users-error', error);
    $('users-error').focus();
  }
}

function roleControl(u, self) {
  const box = el('div', 'user-card__role');
  if (u.role === 'patient' || self) {
    box.append(el('span', 'badge', t(`role.${u.role}`)));
    return box;
  }
  const id = `role-${u.id}`;
  const label = el('label', 'visually-hidden', t('users.role_for', { user: u.name }));
  label.htmlFor = id;
  const select = el('select');
  select.id = id;
  for (const role of STAFF_ROLES) {
    const option = el('option', null, t(`role.${role}`));
    option.value = role;
    option.selected = role === u.role;
    select.append(option);
  }
  const button = el('button', 'btn btn--secondary btn--small', t('users.action.role'));
  button.type = 'button';
  button.dataset.action = 'role';
  button.addEventListener('click', () => {
    if (select.value === u.role) return;
    act(u, 'users.confirm.role', 'role', { role: select.value }, 'users.done.role');
  });
  box.append(label, select, button);
  return box;
}

function userItem(u) {
  const self = u.id === state.me.id;
  const li = el('li', 'user-card');
  li.dataset.userId = String(u.id);
  const head = el('div', 'user-card__head');
  const who = el('div', 'user-card__who');
  who.append(el('strong', null, u.name), el('span', 'user-card__email', u.email));
  const badges = el('div', 'user-card__badges');
  badges.append(...stateBadges(u));
  if (self) badges.append(el('span', 'badge badge--quiet', t('users.self')));
  head.append(who, badges);
  const meta = el('p', 'user-card__meta muted', t('users.meta', { id: u.id, created: formatDay(jstDay(u.created_at)) }));

  const actions = el('div', 'user-card__actions');
  actions.append(roleControl(u, self));
  if (!self) {
    const toggle = el('button', `btn btn--small ${u.active ? 'btn--danger' : 'btn--secondary'}`, t(u.active ? 'users.action.deactivate' : 'users.action.reactivate'));
    toggle.type = 'button';
    toggle.dataset.action = u.active ? 'deactivate' : 'reactivate';
    toggle.addEventListener('click', () => (u.active
      ? act(u, 'users.confirm.deactivate', 'deactivate', {}, 'users.done.deactivate')
      : act(u, 'users.confirm.reactivate', 'reactivate', {}, 'users.done.reactivate')));
    const reset = el('button', 'btn btn--ghost btn--small', t('users.action.force_reset'));
    reset.type = 'button';
    reset.dataset.action = 'force-password-reset';
    reset.addEventListener('click', () => act(u, 'users.confirm.force_reset', 'force-password-reset', {}, 'users.done.force_reset'));
    actions.append(toggle, reset);
  }
  li.append(head, meta, actions);
  return li;
}

function render() {
  const data = state.data;
  if (!data) return;
  const users = data.users ?? [];
  $('users-list').replaceChildren(...users.map(userItem));
  $('users-empty').hidden = users.length > 0;
  const first = users.length === 0 ? 0 : data.offset + 1;
  const last = data.offset + users.length;
  $('users-range').textContent = t('users.range', { total: data.total, first, last });
  const box = $('users-pager');
  box.replaceChildren(pager({ id: 'users-pager-nav', total: data.total, limit: data.limit, offset: data.offset, onPage: goTo }));
  box.hidden = data.offset === 0 && data.total <= data.limit;
}

function goTo(offset) {
  state.query.offset = offset;
  writeQuery();
  return load();
}

async function load() {
  const form = $('users-search');
  clearErrors(form);
  const { q, role, status, offset } = state.query;
  const p = new URLSearchParams(listQuery({ q, status, offset, limit: PAGE_SIZE }));
  if (role) p.set('role', role);
  try {
    const data = await api('GET', `/api/v1/admin/users?${p}`);
    // Past the end (the address kept an old offset, or the last row left the filter): show the
    // last page instead of an empty one.
    if (data.users.length === 0 && offset > 0 && data.total > 0) {
      await goTo(Math.floor((data.total - 1) / data.limit) * data.limit);
      return;
    }
    state.data = data;
    render();
    document.body.dataset.loads = String(Number(document.body.dataset.loads ?? 0) + 1);
  } catch (error) {
    showError(form, error);
  }
}

function wireSearch(me) {
  state.me = me;
  readQuery();
  const form = $('users-search');
  form.elements.namedItem('q').value = state.query.q;
  form.elements.namedItem('role').value = state.query.role;
  form.elements.namedItem('status').value = state.query.status;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    state.query = {
      q: form.elements.namedItem('q').value.trim(),
      role: form.elements.namedItem('role').value,
      status: form.elements.namedItem('status').value,
      offset: 0,
    };
    hideAlert('users-done');
    writeQuery();
    load();
  });
  $('users-view').hidden = false;
  return load();
}

runPage({ roles: ['admin'], wire: wireSearch, onLang: render });
