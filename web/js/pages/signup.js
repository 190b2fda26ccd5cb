// Sign-up page for patients: posts the form to /api/v1/auth/signup, then goes home.
// The server validates every field; its message is shown next to the field it names.

import { api } from '../lib/api.js';
import { clearErrors, formValues, showError, whileSubmitting } from '../lib/forms.js';
import { currentLang } from '../lib/i18n.js';
import { todayJst } from '../lib/jst.js';
import { runPage } from '../lib/page.js';

const REQUIRED = ['email', 'password', 'name', 'name_kana', 'birth_date', 'sex', 'phone'];

// A chain of clinics on one database offers its clinics; a single clinic needs no choice (the
// server then registers the patient with clinic 1), so the field stays hidden and unsent.
async function offerClinics() {
  let clinics = [];
  try {
    clinics = (await api('GET', '/api/v1/public/clinics')).clinics;
  } catch {
    return; // the form still works for a single clinic; the server names a wrong choice
  }
  if (clinics.length < 2) return;
  const select = document.getElementById('signup-clinic');
  for (const c of clinics) {
    const option = document.createElement('option');
    option.value = String(c.id);
    option.textContent = c.name;
    select.append(option);
  }
  select.disabled = false;
  select.required = true;
  document.getElementById('signup-clinic-field').hidden = false;
}

function wireForm() {
  const form = document.getElementById('signup-form');
  offerClinics();
  // The date picker offers no future dates (the server wants a birth date in the past).
  // Today in Japan: between midnight and 09:00 JST the UTC date is still yesterday.
  document.getElementById('signup-birth-date').max = todayJst();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    whileSubmitting(form, async () => {
      // Required fields are always sent (even empty) so the server names the one that is missing.
      const body = formValues(form, { keepEmpty: REQUIRED });
      // The clinic writes to the patient in the language they signed up in (changeable later).
      body.lang = currentLang();
      // Offered a choice and none made: 0, which the server refuses next to the field.
      if (!document.getElementById('signup-clinic').disabled) body.clinic_id = Number(body.clinic_id || 0);
      try {
        await api('POST', '/api/v1/auth/signup', body);
        window.location.assign('/home.html');
      } catch (error) {
        showError(form, error);
      }
    });
  });
}

runPage({ wire: wireForm });
