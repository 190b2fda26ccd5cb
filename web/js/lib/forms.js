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
 * Shows error (an ApiError or any Error) in form. Each field the error names (error.fields,
 * else error.field) that the form has gets its message next to it and is marked invalid; the
 * first is focused and the message area asks to check the input. Otherwise, or for fields the
 * form does not have, the message goes to the message area.
 */
export function showError(form, error) {
  const general = form.querySelector('[data-form-error]');
  const message = error && error.message ? error.message : t('error.generic');
  const named = error?.fields?.length ? error.fields : error?.field ? [{ field: error.field, message }] : [];
  const unplaced = [];
  let first = null;
  for (const item of named) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(item.field)}"]`);
    if (!slot) {
      unplaced.push(item.message || message);
      continue;
    }
    slot.textContent = item.message || message;
    slot.hidden = false;
    const control = form.elements.namedItem(item.field);
    if (control instanceof HTMLElement) {
      control.setAttribute('aria-invalid', 'true');
      first ??= control;
    }
  }
  if (named.length > 0 && unplaced.length < named.length) {
    if (general) {
      general.textContent = [t('form.check_fields'), ...unplaced].join(' ');
      general.hidden = false;
    }
    first?.focus();
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
