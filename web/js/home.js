// Home page: loads the signed-in user (GET /api/v1/me; 401 goes to the log-in page) and shows
// the view for their role. Patients see the way to their intake steps, their profile and the
// mandatory product notice; staff see their account and role, doctors links to the schedule and
// the review queue; admins also get the user list, staff creation and the audit log.
// Every value from the API is written with textContent.

import { api } from './api.js';
import { loadClinic } from './clinic-info.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from './forms.js';
import { initI18n, onLangChange, t } from './i18n.js';
import { showRecallNotices } from './session.js';

const jstFormat = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

const state = { user: null, users: null, audit: null };

const $ = (id) => document.getElementById(id);

/** Returns a <time> element showing iso (UTC) in Asia/Tokyo, or text for a missing time. */
function timeElement(iso) {
  const date = new Date(iso);
  if (typeof iso !== 'string' || Number.isNaN(date.getTime())) {
    const span = document.createElement('span');
    span.textContent = iso ? String(iso) : t('value.none');
    return span;
  }
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = `${jstFormat.format(date)} JST`;
  return time;
}

function roleLabel(role) {
  return ['patient', 'doctor', 'pharmacist', 'admin'].includes(role) ? t(`role.${role}`) : String(role);
}

function sexLabel(sex) {
  return ['female', 'male', 'other'].includes(sex) ? t(`sex.${sex}`) : String(sex ?? '');
}

/** Fills dl with [label key, value (string or Node)] rows; empty values show "not registered". */
function fillDetails(dl, rows) {
  dl.replaceChildren();
  for (const [key, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = t(key);
    const dd = document.createElement('dd');
    if (value instanceof Node) dd.append(value);
    else if (value === undefined || value === null || value === '') {
      dd.textContent = t('value.none');
      dd.classList.add('muted');
    } else dd.textContent = String(value);
    dl.append(dt, dd);
  }
}

function cell(row, content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content === undefined || content === null ? '—' : String(content);
  row.append(td);
  return td;
}

function renderIntro(user) {
  $('home-greeting').textContent = t('home.greeting', { name: user.name });
  $('home-role').textContent = t('home.role', { role: roleLabel(user.role) });
  $('home-role').dataset.role = user.role;
  $('home-intro').hidden = false;
}

function renderPatient(user) {
  const profile = user.profile ?? {};
  fillDetails($('patient-profile'), [
    ['field.name', user.name],
    ['field.name_kana', profile.name_kana],
    ['field.birth_date', profile.birth_date],
    ['field.sex', profile.sex ? sexLabel(profile.sex) : ''],
    ['field.email', user.email],
    ['field.phone', profile.phone],
    ['field.postal_code', profile.postal_code],
    ['field.address', profile.address],
  ]);
  $('patient-view').hidden = false;
}

function renderStaff(user) {
  fillDetails($('staff-account'), [
    ['field.name', user.name],
    ['field.email', user.email],
    ['field.role', roleLabel(user.role)],
    ['field.created_at', timeElement(user.created_at)],
  ]);
  $('staff-role-desc').textContent = t(`home.role_desc.${user.role}`);
  $('staff-view').hidden = false;
  $('doctor-view').hidden = user.role !== 'doctor';
  $('quality-view').hidden = user.role !== 'pharmacist' && user.role !== 'admin';
  $('safety-view').hidden = false;
}

function renderUsers() {
  const body = $('users-body');
  body.replaceChildren();
  const users = state.users ?? [];
  for (const user of users) {
    const row = document.createElement('tr');
    row.dataset.email = user.email;
    cell(row, user.id);
    cell(row, user.name);
    cell(row, user.email);
    cell(row, roleLabel(user.role));
    cell(row, timeElement(user.created_at));
    body.append(row);
  }
  $('users-empty').hidden = users.length > 0;
  $('users-count').textContent = t('admin.users.count', { count: users.length });
}

function describeObject(object) {
  if (object === undefined || object === null || object === '') return '—';
  return typeof object === 'string' ? object : JSON.stringify(object);
}

function renderAudit() {
  const audit = state.audit;
  if (!audit) return;
  const status = $('audit-status');
  const intact = audit.intact === true;
  status.dataset.intact = String(intact);
  status.classList.toggle('alert--ok', intact);
  status.classList.toggle('alert--error', !intact);
  status.textContent = intact ? t('admin.audit.intact') : t('admin.audit.broken', { id: audit.first_broken ?? '?' });
  status.hidden = false;

  const body = $('audit-body');
  body.replaceChildren();
  const entries = Array.isArray(audit.entries) ? audit.entries : [];
  for (const entry of entries) {
    const row = document.createElement('tr');
    cell(row, entry.id);
    cell(row, timeElement(entry.at));
    // Entries made by the CLI or the server itself carry no user (null, 0 or role 'system').
    const actor = !entry.actor_id || entry.actor_role === 'system'
      ? t('value.system')
      : `${entry.actor_name || `#${entry.actor_id}`}${entry.actor_role ? ` (${roleLabel(entry.actor_role)})` : ''}`;
    cell(row, actor);
    cell(row, entry.action_label || entry.action);
    cell(row, describeObject(entry.object)).classList.add('mono', 'wrap-anywhere');
    body.append(row);
  }
  $('audit-empty').hidden = entries.length > 0;
}

function showPanelError(id, error) {
  const el = $(id);
  el.textContent = error && error.message ? error.message : t('error.generic');
  el.hidden = false;
}

async function loadUsers() {
  $('users-error').hidden = true;
  try {
    const data = await api('GET', '/api/v1/users');
    state.users = Array.isArray(data.users) ? data.users : [];
    renderUsers();
  } catch (error) {
    showPanelError('users-error', error);
  }
}

async function loadAudit() {
  $('audit-error').hidden = true;
  try {
    state.audit = await api('GET', '/api/v1/audit?limit=50');
    renderAudit();
  } catch (error) {
    showPanelError('audit-error', error);
  }
}

function wireAdmin() {
  const form = $('staff-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    whileSubmitting(form, async () => {
      const body = formValues(form, { keepEmpty: ['email', 'password', 'name', 'role'] });
      try {
        const data = await api('POST', '/api/v1/users', body);
        form.reset();
        showStatus(form, t('admin.create.done', { email: data.user?.email ?? body.email }));
        await Promise.all([loadUsers(), loadAudit()]);
      } catch (error) {
        showError(form, error);
      }
    });
  });
  $('users-refresh').addEventListener('click', () => { loadUsers(); });
  $('audit-refresh').addEventListener('click', () => { loadAudit(); });
  $('admin-view').hidden = false;
  return Promise.all([loadUsers(), loadAudit()]);
}

function render() {
  const user = state.user;
  if (!user) return;
  renderIntro(user);
  if (user.role === 'patient') renderPatient(user);
  else renderStaff(user);
  if (user.role === 'admin') {
    if (state.users) renderUsers();
    if (state.audit) renderAudit();
  }
}

function wireLogout() {
  const button = $('logout-button');
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

async function main() {
  await initI18n();
  let data;
  try {
    data = await api('GET', '/api/v1/me');
  } catch (error) {
    if (error.status === 401) {
      window.location.replace('/login.html');
      return;
    }
    $('home-status').hidden = true;
    showPanelError('home-error', error);
    return;
  }
  state.user = data.user;
  if (state.user.role === 'admin') {
    // First-run set-up: an admin goes to the clinic's details while they are incomplete.
    const clinic = await loadClinic();
    if (clinic?.setup_needed) {
      window.location.replace('/clinic-settings.html?setup=1');
      return;
    }
  }
  $('home-status').hidden = true;
  wireLogout();
  render();
  onLangChange(render);
  await showRecallNotices(state.user);
  if (state.user.role === 'admin') await wireAdmin();
  document.body.dataset.ready = 'true';
}

main();
