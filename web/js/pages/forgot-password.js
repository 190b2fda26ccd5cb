// Password reset, step 1: asks for the account's e-mail address. The answer is the same
// whether or not the address is registered (the server does not tell), so the page says so.

import { api } from '../lib/api.js';
import { currentLang, t } from '../lib/i18n.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { runPage } from '../lib/page.js';

function wireForm() {
  const form = document.getElementById('forgot-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    whileSubmitting(form, async () => {
      const { email = '' } = formValues(form, { keepEmpty: ['email'] });
      try {
        await api('POST', '/api/v1/auth/password-reset', { email, lang: currentLang() });
        showStatus(form, t('reset.request_sent'));
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

runPage({ wire: wireForm });
