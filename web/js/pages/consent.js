// Consent page (patients): the current consent text in the UI language (line breaks kept by CSS,
// the text inserted with textContent), the patient's acceptance status, acceptance with the
// SHA-256 of the exact text shown, and withdrawal after a confirmation. A patient who accepted
// an older version is told why they must accept again, with what changed in each later version.

import { api } from '../lib/api.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { timeElement } from '../lib/jst.js';
import { pick } from '../lib/levels.js';
import { $, el, fillDetails, hideAlert, showAlert } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

const state = { consent: null, status: null, justAccepted: false };

/** Returns the SHA-256 of text (UTF-8) as lowercase hex. */
async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function langName(code) {
  return code === 'ja' || code === 'en' ? t(`lang.name.${code}`) : String(code ?? '');
}

function renderText() {
  const consent = state.consent;
  const lang = currentLang();
  $('consent-title').textContent = pick(consent.title);
  $('consent-version').textContent = String(consent.version);
  const text = $('consent-text');
  text.lang = consent.text?.[lang] !== undefined ? lang : (lang === 'ja' ? 'en' : 'ja');
  text.textContent = pick(consent.text);
}

function renderStatus() {
  const status = state.status ?? {};
  const latest = status.latest ?? null;
  const inForce = status.in_force === true;
  const stateEl = $('consent-state');
  let key;
  let tone;
  if (inForce) {
    key = state.justAccepted ? 'consent.state.accepted_now' : 'consent.state.accepted';
    tone = 'ok';
  } else if (latest && latest.withdrawn_at) {
    key = 'consent.state.withdrawn';
    tone = 'warn';
  } else if (latest) {
    key = 'consent.state.outdated';
    tone = 'warn';
  } else {
    key = 'consent.state.none';
    tone = 'todo';
  }
  stateEl.textContent = t(key);
  stateEl.className = `state state--${tone}`;
  stateEl.dataset.state = inForce ? 'accepted' : latest?.withdrawn_at ? 'withdrawn' : latest ? 'outdated' : 'none';

  const details = $('consent-details');
  details.hidden = !latest;
  if (latest) {
    const rows = [
      [t('consent.details.version'), String(latest.version)],
      [t('consent.details.accepted_at'), timeElement(latest.accepted_at)],
      [t('consent.details.lang'), langName(latest.lang)],
    ];
    if (latest.withdrawn_at) rows.push([t('consent.details.withdrawn_at'), timeElement(latest.withdrawn_at)]);
    fillDetails(details, rows);
  }
  $('consent-next').hidden = !inForce;
  $('withdraw-area').hidden = !(latest && !latest.withdrawn_at);
  $('accept-section').hidden = inForce;
}

/** What changed since the version the patient accepted: shown until they accept the current one. */
function renderChanges() {
  const latest = state.status?.latest ?? null;
  const from = Number(latest?.version ?? 0);
  const to = Number(state.consent?.version ?? 0);
  const changes = (state.consent?.changes ?? []).filter((c) => c.version > from);
  const show = latest !== null && state.status?.in_force !== true && from < to && changes.length > 0;
  $('consent-changes').hidden = !show;
  if (!show) return;
  $('consent-changes-intro').textContent = t('consent.changes.intro', { from, to });
  $('consent-changes-list').replaceChildren(...changes.map((c) => {
    const item = el('div', 'record');
    item.dataset.version = String(c.version);
    const title = el('h3', 'record__title', t('consent.changes.version', { version: c.version }));
    const body = el('p', 'pre-wrap', pick(c.summary));
    item.append(title, body);
    return item;
  }));
}

function render() {
  renderText();
  renderStatus();
  renderChanges();
}

async function loadStatus() {
  const data = await api('GET', '/api/v1/intake');
  state.status = data.intake?.consent ?? null;
}

function wire() {
  const form = $('consent-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!$('consent-read').checked) {
      showError(form, { field: 'read', message: t('consent.accept.need_check') });
      return;
    }
    whileSubmitting(form, async () => {
      try {
        // The hash of exactly what the patient was shown, in the language it was shown in.
        const shown = $('consent-text').textContent;
        const body = {
          consent_id: state.consent.id,
          version: state.consent.version,
          lang: $('consent-text').lang,
          sha256: await sha256Hex(shown),
        };
        await api('POST', '/api/v1/consent', body);
        state.justAccepted = true;
        await loadStatus();
        renderStatus();
        renderChanges();
        $('consent-read').checked = false;
        $('consent-state').focus();
        $('consent-status').scrollIntoView({ block: 'start' });
      } catch (error) {
        showError(form, error);
      }
    });
  });

  $('withdraw-button').addEventListener('click', () => {
    $('withdraw-confirm').hidden = false;
    $('withdraw-button').hidden = true;
    $('withdraw-yes').focus();
  });
  $('withdraw-no').addEventListener('click', () => {
    $('withdraw-confirm').hidden = true;
    $('withdraw-button').hidden = false;
    $('withdraw-button').focus();
  });
  $('withdraw-yes').addEventListener('click', async () => {
    const button = $('withdraw-yes');
    button.disabled = true;
    hideAlert('withdraw-error');
    try {
      await api('POST', '/api/v1/consent/withdraw', {});
      state.justAccepted = false;
      await loadStatus();
      $('withdraw-confirm').hidden = true;
      $('withdraw-button').hidden = false;
      renderStatus();
      renderChanges();
      $('consent-state').focus();
    } catch (error) {
      showAlert('withdraw-error', error);
    } finally {
      button.disabled = false;
    }
  });
}

async function loadAll() {
  const [consent] = await Promise.all([api('GET', '/api/v1/consent'), loadStatus()]);
  state.consent = consent.consent;
}

runPage({
  roles: ['patient'],
  load: loadAll,
  wire,
  render,
  onLang: () => {
    // Another language is another text: the patient confirms again that they have read it.
    $('consent-read').checked = false;
    render();
  },
  view: 'consent-view',
});
