// The admin's clinic details page: loads GET /api/v1/clinic into the form, saves with PUT and
// shows every refused field at once next to its input. While the details are incomplete it is
// the first-run set-up page (home sends an admin here) and says what is still missing.

import { api } from '../lib/api.js';
import { updateClinicInfo } from '../lib/clinic-info.js';
import { clearErrors, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { $ } from '../lib/dom.js';
import { formatDateTime } from '../lib/jst.js';
import { runPage } from '../lib/page.js';

const FIELDS = ['name', 'postal_code', 'address', 'phone', 'hours', 'email', 'doctor_name', 'doctor_licence',
  'bank_name', 'bank_branch', 'bank_account_type', 'bank_account_number', 'bank_account_holder'];
const state = { data: null };

function fill(form, clinic) {
  for (const name of FIELDS) {
    const control = form.elements.namedItem(name);
    if (control) control.value = clinic[name] ?? '';
  }
}

function renderState() {
  const data = state.data;
  if (!data) return;
  const setup = $('clinic-setup');
  setup.hidden = !data.setup_needed;
  const names = (data.missing ?? []).map((f) => t(`clinic.field.${f}`));
  $('clinic-setup-missing').textContent = names.length ? t('clinic.setup.missing', { fields: names.join(currentLang() === 'en' ? ', ' : '、') }) : '';
  $('clinic-demo').hidden = data.mode !== 'demo';
  const at = data.clinic?.updated_at;
  $('clinic-updated').textContent = at ? t('clinic.updated', { at: formatDateTime(at) }) : '';
}

function wireForm() {
  const form = $('clinic-form');
  fill(form, state.data.clinic);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    whileSubmitting(form, async () => {
      const body = {};
      for (const name of FIELDS) body[name] = String(form.elements.namedItem(name)?.value ?? '').trim();
      try {
        state.data = await api('PUT', '/api/v1/clinic', body);
      } catch (error) {
        showError(form, error);
        return;
      }
      fill(form, state.data.clinic); // the stored, normalised values
      renderState();
      updateClinicInfo(state.data); // the footer shows the saved details
      showStatus(form, t('clinic.saved'));
      form.querySelector('[data-form-status]')?.focus();
    });
  });
}

runPage({
  roles: ['admin'],
  load: async () => { state.data = await api('GET', '/api/v1/clinic'); },
  wire: wireForm,
  render: renderState,
  view: 'clinic-view',
});
