// Log-in page: posts e-mail and password, then goes back to the page that sent the patient here
// (?next=, a path on this site only: session.js returnPath), else to the home page.

import { api } from '../lib/api.js';
import { clearErrors, formValues, showError, whileSubmitting } from '../lib/forms.js';
import { queryParam } from '../lib/dom.js';
import { runPage } from '../lib/page.js';
import { returnPath } from '../lib/session.js';

function wireForm() {
  const form = document.getElementById('login-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    whileSubmitting(form, async () => {
      const { email = '', password = '' } = formValues(form, { keepEmpty: ['email', 'password'] });
      try {
        await api('POST', '/api/v1/auth/login', { email, password });
        window.location.assign(returnPath(queryParam('next')) ?? '/home.html');
      } catch (error) {
        // Log-in failures name no field on purpose: show them in the form's message area.
        showError(form, { message: error.message, field: null });
      }
    });
  });
}

runPage({ wire: wireForm });
