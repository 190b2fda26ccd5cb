// Password reset, step 2: the page the e-mail links to. The token is in the URL's fragment
// (#token=...), which the browser never sends to the server with the page request; it is
// read here and posted with the new password, then removed from the address bar.

import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { runPage } from '../lib/page.js';

function tokenFromHash() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  return params.get('token') ?? '';
}

function wireForm() {
  const form = document.getElementById('reset-form');
  const token = tokenFromHash();
  if (token) history.replaceState(null, '', window.location.pathname);
  if (!token) showError(form, { message: t('reset.no_token'), field: null });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    whileSubmitting(form, async () => {
      const { password = '' } = formValues(form, { keepEmpty: ['password'] });
      try {
        await api('POST', '/api/v1/auth/password-reset/confirm', { token, password });
        form.reset();
        // Done: the form has nothing more to do (whileSubmitting re-enables the button).
        for (const el of form.querySelectorAll('.field, [type="submit"]')) el.hidden = true;
        showStatus(form, t('reset.done'));
        form.querySelector('[data-form-status]').focus();
      } catch (error) {
        // A bad token names the field "token", which the form has none of: the message
        // goes to the form's message area.
        showError(form, error.field === 'token' ? { message: error.message, field: null } : error);
      }
    });
  });
}

runPage({ wire: wireForm });
