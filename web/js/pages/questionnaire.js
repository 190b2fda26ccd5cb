// Questionnaire page (patients): renders the current definition generically, applies enableWhen
// as the patient answers, and submits the enabled answers. The server validates: its per-item
// errors (error.items) are shown next to their items. On success, the status page.

import { api } from '../lib/api.js';
import { clearErrors, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { formatDateTime } from '../lib/jst.js';
import { pick } from '../lib/levels.js';
import { buildQuestionnaire } from '../lib/questionnaire-form.js';
import { $ } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

const state = { definition: null, latest: null, form: null };

function renderTexts() {
  const def = state.definition;
  $('q-title').textContent = pick(def.title) || t('questionnaire.heading');
  document.title = `${pick(def.title) || t('questionnaire.heading')} — exosafe`;
  const description = pick(def.description);
  $('q-description').textContent = description;
  $('q-description').hidden = !description;
  const previous = $('q-previous');
  const latest = state.latest;
  if (latest) {
    const key = latest.outdated ? 'questionnaire.previous_outdated'
      : latest.expired ? 'questionnaire.previous_expired' : 'questionnaire.previous';
    previous.textContent = t(key, { when: formatDateTime(latest.submitted_at) });
    previous.hidden = false;
  } else previous.hidden = true;
  state.form?.retranslate();
}

function showFormErrors(form, messages) {
  const top = form.querySelector('[data-form-error]');
  const bottom = $('q-error-bottom');
  const text = messages.join(' ');
  for (const alert of [top, bottom]) {
    alert.textContent = text;
    alert.hidden = false;
  }
}

function wire(form) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    $('q-error-bottom').hidden = true;
    state.form.clearItemErrors();
    whileSubmitting(form, async () => {
      const body = {
        questionnaire_id: state.definition.id,
        version: state.definition.version,
        answers: state.form.answers(),
      };
      try {
        await api('POST', '/api/v1/questionnaire/responses', body);
        window.location.assign('/status.html?done=questionnaire');
      } catch (error) {
        if (error.items && error.items.length > 0) {
          const leftOver = state.form.showItemErrors(error.items);
          const count = error.items.length - leftOver.length;
          const summary = count > 0 ? [t('questionnaire.check_items', { n: count })] : [];
          showFormErrors(form, [...summary, ...leftOver]);
          if (count === 0) form.querySelector('[data-form-error]').focus();
        } else {
          showFormErrors(form, [error.message || t('error.generic')]);
          form.querySelector('[data-form-error]').focus();
        }
      }
    });
  });
}

async function load() {
  const [q, intake] = await Promise.all([
    api('GET', '/api/v1/questionnaire'),
    api('GET', '/api/v1/intake'),
  ]);
  state.definition = q.questionnaire;
  state.latest = intake.intake?.questionnaire?.latest ?? null;
}

function build() {
  const form = $('q-form');
  state.form = buildQuestionnaire($('q-items'), state.definition);
  form.dataset.questionnaireId = String(state.definition.id);
  form.dataset.version = String(state.definition.version);
  renderTexts();
  wire(form);
}

runPage({ roles: ['patient'], load, wire: build, onLang: renderTexts, view: 'q-view' });
