// The patient's own details (GET/PUT /api/v1/me/profile): name, kana, phone, delivery address,
// the language of the clinic's messages and the e-mail (changing it needs the current
// password). Opened from the order page with ?return=order, it offers the way back.
// The server checks every field and names each bad one; the form marks them all at once.

import { api } from '../lib/api.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { $, fillDetails, queryParam } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

// Where ?return= may lead: fixed pages only, never an address taken from the query.
const RETURNS = { order: '/order.html' };
const EDITABLE = ['name', 'name_kana', 'phone', 'postal_code', 'address', 'lang', 'email'];

let profile = null;

function renderFixed() {
  if (!profile) return;
  fillDetails($('profile-fixed'), [
    [t('field.birth_date'), profile.birth_date],
    [t('field.sex'), profile.sex ? t(`sex.${profile.sex}`) : ''],
  ]);
}

function fill(form) {
  for (const name of EDITABLE) {
    const control = form.elements.namedItem(name);
    if (control) control.value = profile[name] ?? '';
  }
  form.elements.namedItem('current_password').value = '';
  renderFixed();
}

function wireForm() {
  const back = RETURNS[queryParam('return') ?? ''];
  if (back) {
    $('profile-return-link').href = back;
    $('profile-return').hidden = false;
  }
  const form = $('profile-form');
  fill(form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    whileSubmitting(form, async () => {
      // Emptied optional fields are sent as "" so the server clears them.
      const body = formValues(form, { keepEmpty: ['name', 'name_kana', 'phone', 'postal_code', 'address', 'email'] });
      try {
        profile = (await api('PUT', '/api/v1/me/profile', body)).profile;
        fill(form);
        showStatus(form, t(back ? 'profile.saved_return' : 'profile.saved'));
        if (back) $('profile-return-link').focus();
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

runPage({
  roles: ['patient'],
  load: async () => { profile = (await api('GET', '/api/v1/me/profile')).profile; },
  wire: wireForm,
  onLang: renderFixed,
  view: 'profile-view',
});
