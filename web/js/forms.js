// Form helpers shared by the log-in, sign-up and staff-creation forms: reading values and
// showing server errors next to the field they name (error.field) or in the form's message area.

import { t } from './i18n.js';

/** Returns the form's named controls as an object of trimmed strings (empty ones left out). */
export function formValues(form, { keepEmpty = [] } = {}) {
  const values = {};
  for (const [name, raw] of new FormData(form)) {
    const value = typeof raw === 'string' ? raw : '';
    const trimmed = name === 'password' ? value : value.trim();
    if (trimmed !== '' || keepEmpty.includes(name)) values[name] = trimmed;
  }
  return values;
}

/** Hides every error message of form and clears aria-invalid on its controls. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('[data-error-for], [data-form-error]')) {
    el.textContent = '';
    el.hidden = true;
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const status = form.querySelector('[data-form-status]');
  if (status) {
    status.textContent = '';
    status.hidden = true;
  }
}

/** Shows a success note in the form's [data-form-status] area. */
export function showStatus(form, message) {
  const status = form.querySelector('[data-form-status]');
  if (!status) return;
  status.textContent = message;
  status.hidden = false;
}

/**
 * Shows error (an ApiError or any Error) in form. With error.field naming one of the form's
 * fields, the message goes next to that field, the field is marked invalid and focused, and the
 * message area asks to check the input; otherwise the message goes to the message area.
 */
export function showError(form, error) {
  const general = form.querySelector('[data-form-error]');
  const message = error && error.message ? error.message : t('error.generic');
  const field = error && error.field ? error.field : null;
  const slot = field ? form.querySelector(`[data-error-for="${CSS.escape(field)}"]`) : null;
  const control = field ? form.elements.namedItem(field) : null;

  if (slot) {
    slot.textContent = message;
    slot.hidden = false;
    if (control instanceof HTMLElement) {
      control.setAttribute('aria-invalid', 'true');
      control.focus();
    }
    if (general) {
      general.textContent = t('form.check_fields');
      general.hidden = false;
    }
    return;
  }
  if (general) {
    general.textContent = message;
    general.hidden = false;
    general.focus();
  }
}

/** Disables form's submit button while work() runs; returns work's result. */
export async function whileSubmitting(form, work) {
  const button = form.querySelector('[type="submit"]');
  form.setAttribute('aria-busy', 'true');
  if (button) button.disabled = true;
  try {
    return await work();
  } finally {
    form.removeAttribute('aria-busy');
    if (button) button.disabled = false;
  }
}
