// Home page: loads the signed-in user (GET /api/v1/me; 401 goes to the log-in page) and shows
// the view for their role. Patients see the way to their intake steps, their profile and the
// mandatory product notice; staff see their account and role, doctors links to the schedule and
// the review queue; admins also get the user list, staff creation and the audit log.
// Every value from the API is written with textContent.

import { api } from '../lib/api.js';
import { loadClinic } from '../lib/clinic-info.js';
import { $, cell, fillDetails, showAlert } from '../lib/dom.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { stampElement } from '../lib/jst.js';
import { runPage } from '../lib/page.js';

const state = { user: null, users: null, audit: null };

/** A table cell: a missing value shows a dash. */
function dashCell(row, content) {
  return cell(row, content, null, '—');
}

function roleLabel(role) {
  return ['patient', 'doctor', 'pharmacist', 'admin', 'safety_officer'].includes(role) ? t(`role.${role}`) : String(role);
}

function sexLabel(sex) {
  return ['female', 'male', 'other'].includes(sex) ? t(`sex.${sex}`) : String(sex ?? '');
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
  ].map(([key, value]) => [t(key), value]), { empty: t('value.none') });
  $('patient-view').hidden = false;
}

function renderStaff(user) {
  fillDetails($('staff-account'), [
    ['field.name', user.name],
    ['field.email', user.email],
    ['field.role', roleLabel(user.role)],
    ['field.created_at', stampElement(user.created_at)],
  ].map(([key, value]) => [t(key), value]), { empty: t('value.none') });
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
    dashCell(row, user.id);
    dashCell(row, user.name);
    dashCell(row, user.email);
    dashCell(row, roleLabel(user.role));
    dashCell(row, stampElement(user.created_at));
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
    dashCell(row, entry.id);
    dashCell(row, stampElement(entry.at));
    // Entries made by the CLI or the server itself carry no user (null, 0 or role 'system').
    const actor = !entry.actor_id || entry.actor_role === 'system'
      ? t('value.system')
      : `${entry.actor_name || `#${entry.actor_id}`}${entry.actor_role ? ` (${roleLabel(entry.actor_role)})` : ''}`;
    dashCell(row, actor);
    dashCell(row, entry.action_label || entry.action);
    dashCell(row, describeObject(entry.object)).classList.add('mono', 'wrap-anywhere');
    body.append(row);
  }
  $('audit-empty').hidden = entries.length > 0;
}

async function loadUsers() {
  $('users-error').hidden = true;
  try {
    const data = await api('GET', '/api/v1/users');
    state.users = Array.isArray(data.users) ? data.users : [];
    renderUsers();
  } catch (error) {
    showAlert('users-error', error);
  }
}

async function loadAudit() {
  $('audit-error').hidden = true;
  try {
    state.audit = await api('GET', '/api/v1/audit?limit=50');
    renderAudit();
  } catch (error) {
    showAlert('audit-error', error);
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

async function load(user) {
  state.user = user;
  if (user.role === 'safety_officer') {
    // The safety officer belongs to no clinic: their page is the pooled registry.
    window.location.replace('/registry.html');
    return false;
  }
  if (user.role === 'admin') {
    // First-run set-up: an admin goes to the clinic's details while they are incomplete.
    const clinic = await loadClinic();
    if (clinic?.setup_needed) {
      window.location.replace('/clinic-settings.html?setup=1');
      return false;
    }
  }
  return true;
}

runPage({
  roles: ['patient', 'doctor', 'pharmacist', 'admin', 'safety_officer'],
  load,
  wire: (user) => (user.role === 'admin' ? wireAdmin() : undefined),
  render,
});
