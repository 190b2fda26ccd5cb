// Schedule page (doctors): publish availability (a JST day, from/to times and the slot length,
// sent with +09:00 offsets) and the day's calls: time, patient, phone (tel: link), questionnaire
// level badge and a link to the patient's page; free slots can be deleted. A weekly pattern
// (weekdays, a range of days, hours and slot length, in JST) is previewed, then published in one
// step; the server skips times that overlap existing slots or have passed, and says how many.

import { api } from '../lib/api.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { addDays, formatDay, formatShortDay, formatTime, jstDay, jstInstant, todayJst } from '../lib/jst.js';
import { levelBadge } from '../lib/levels.js';
import { $, el, hideAlert, showAlert } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

const state = { day: todayJst(), slots: [] };

function telHref(phone) {
  return `tel:${String(phone ?? '').replace(/[^0-9+]/g, '')}`;
}

function callItem(slot) {
  const item = el('li', 'call');
  item.dataset.slotId = String(slot.id);
  item.dataset.booked = String(Boolean(slot.booking));
  const time = el('time', 'call__time', `${formatTime(slot.starts_at)}–${formatTime(slot.ends_at)}`);
  time.dateTime = slot.starts_at;
  item.append(time);

  const body = el('div', 'call__body');
  const booking = slot.booking;
  if (booking) {
    item.classList.add('call--booked');
    item.dataset.patientId = String(booking.patient_id);
    const name = el('a', 'call__patient', booking.patient_name);
    name.href = `/patient.html?id=${encodeURIComponent(booking.patient_id)}`;
    const phone = el('a', 'call__phone', booking.patient_phone);
    phone.href = telHref(booking.patient_phone);
    phone.setAttribute('aria-label', t('schedule.call.phone_label', { phone: booking.patient_phone }));
    const level = booking.questionnaire_level ?? 'missing';
    const status = el('p', 'call__status');
    status.append(el('span', 'call__status-label', t('schedule.call.questionnaire')), levelBadge(level));
    body.append(name, phone, status, callRecord(slot));
  } else {
    item.classList.add('call--free');
    body.append(el('span', 'muted', t(slot.booked ? 'schedule.call.was_booked' : 'schedule.call.free')));
    if (!slot.booked) {
      const remove = el('button', 'btn btn--ghost btn--small call__delete', t('schedule.call.delete'));
      remove.type = 'button';
      remove.dataset.deleteSlot = String(slot.id);
      remove.setAttribute('aria-label', t('schedule.call.delete_label', { time: formatTime(slot.starts_at) }));
      body.append(remove);
    }
  }
  item.append(body);
  return item;
}

/** The call's outcome, or the buttons to record it once the slot has started. */
function callRecord(slot) {
  const booking = slot.booking;
  const box = el('div', 'call__record');
  box.dataset.callResult = booking.call_result ?? 'none';
  if (booking.call_result === 'held') {
    box.append(el('span', 'badge badge--held', t('schedule.call.held_at', { time: formatTime(booking.called_at) })));
    return box;
  }
  if (booking.call_result === 'not_reached') {
    box.append(el('span', 'muted', t('schedule.call.not_reached_at', { time: formatTime(booking.called_at) })));
  }
  if (Date.parse(slot.starts_at) > Date.now()) {
    box.append(el('span', 'muted', t('schedule.call.not_yet')));
    return box;
  }
  for (const [result, key] of [['held', 'schedule.call.record_held'], ['not_reached', 'schedule.call.record_not_reached']]) {
    const button = el('button', `btn btn--small ${result === 'held' ? 'btn--primary' : 'btn--secondary'}`, t(key));
    button.type = 'button';
    button.dataset.callOpen = result;
    button.dataset.bookingId = String(booking.id);
    box.append(button);
  }
  return box;
}

let formSeq = 0;

/** An inline form to record a call: its time (default now) and notes (required when held). */
function callForm(slot, result) {
  formSeq += 1;
  const id = `call-form-${formSeq}`;
  const form = el('form', 'form call-form');
  form.noValidate = true;
  form.dataset.result = result;
  form.dataset.bookingId = String(slot.booking.id);
  const now = new Date();
  const hhmm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now);
  form.innerHTML = `
    <p class="alert alert--error" data-form-error role="alert" tabindex="-1" hidden></p>
    <div class="field">
      <label for="${id}-time"></label>
      <input id="${id}-time" name="called_at" type="time" class="input--short" aria-describedby="${id}-time-error">
      <p id="${id}-time-error" class="field-error" data-error-for="called_at" hidden></p>
    </div>
    <div class="field">
      <label for="${id}-notes"></label>
      <textarea id="${id}-notes" name="notes" rows="3" maxlength="4000" aria-describedby="${id}-notes-error"></textarea>
      <p id="${id}-notes-error" class="field-error" data-error-for="notes" hidden></p>
    </div>
    <p class="field-error" data-error-for="result" hidden></p>
    <div class="call-form__actions">
      <button type="submit" class="btn btn--primary btn--small"></button>
      <button type="button" class="btn btn--ghost btn--small" data-call-cancel></button>
    </div>`;
  form.querySelector(`label[for="${id}-time"]`).textContent = t(result === 'held' ? 'schedule.call.form.started' : 'schedule.call.form.attempted');
  const notesLabel = form.querySelector(`label[for="${id}-notes"]`);
  notesLabel.append(el('span', null, t('schedule.call.form.notes')));
  if (result === 'held') notesLabel.append(el('span', 'tag tag--required', t('field.required')));
  form.querySelector('button[type="submit"]').textContent = t(result === 'held' ? 'schedule.call.form.save_held' : 'schedule.call.form.save_not_reached');
  form.querySelector('[data-call-cancel]').textContent = t('schedule.call.form.cancel');
  const time = form.elements.namedItem('called_at');
  time.value = hhmm;
  time.dataset.initial = hhmm;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    if (result === 'held' && !values.notes) {
      showError(form, { field: 'notes', message: t('schedule.call.form.need_notes') });
      return;
    }
    const body = { result, notes: values.notes ?? '' };
    // An untouched time means "now": the server's clock decides, to the second.
    if (values.called_at && values.called_at !== time.dataset.initial) body.called_at = jstInstant(jstDay(slot.starts_at), values.called_at);
    whileSubmitting(form, async () => {
      try {
        await api('POST', `/api/v1/bookings/${encodeURIComponent(slot.booking.id)}/call`, body);
        await loadDay();
      } catch (error) {
        showError(form, error);
      }
    });
  });
  form.querySelector('[data-call-cancel]').addEventListener('click', () => renderDay());
  return form;
}

function renderDay() {
  $('day-date').value = state.day;
  $('day-title').textContent = formatDay(state.day);
  const list = $('calls');
  list.replaceChildren(...state.slots.map(callItem));
  $('calls-empty').hidden = state.slots.length > 0;
  const booked = state.slots.filter((s) => s.booking).length;
  $('day-summary').textContent = state.slots.length
    ? t('schedule.day.summary', { booked, free: state.slots.length - booked }) : '';
}

async function loadDay() {
  hideAlert('day-error');
  try {
    const data = await api('GET', `/api/v1/schedule?date=${state.day}`);
    state.slots = (Array.isArray(data.slots) ? data.slots : [])
      .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
  } catch (error) {
    state.slots = [];
    showAlert('day-error', error);
  }
  renderDay();
}

const PREVIEW_LINES = 120;

/** The pattern form's values as the API's body (weekdays as numbers). */
function patternBody(form, preview) {
  const values = formValues(form);
  const weekdays = [...form.querySelectorAll('input[name="weekdays"]:checked')].map((c) => Number(c.value));
  const minutes = Number(values.slot_minutes ?? 15);
  return {
    first_date: values.first_date ?? '', last_date: values.last_date ?? '', weekdays,
    day_start: values.day_start ?? '', day_end: values.day_end ?? '',
    slot_minutes: Number.isInteger(minutes) ? minutes : values.slot_minutes, preview,
  };
}

function showPattern(data) {
  const vars = { created: data.created, existing: data.skipped_existing, past: data.skipped_past };
  $('pattern-summary').textContent = t('schedule.pattern.summary', vars);
  const items = data.slots.slice(0, PREVIEW_LINES).map((slot) => {
    const end = new Date(Date.parse(slot.starts_at) + data.slot_minutes * 60e3).toISOString();
    const li = el('li', null, `${formatShortDay(jstDay(slot.starts_at))} ${formatTime(slot.starts_at)}–${formatTime(end)} · ${t(`schedule.pattern.fate.${slot.fate}`)}`);
    li.dataset.fate = slot.fate;
    return li;
  });
  if (data.slots.length > PREVIEW_LINES) items.push(el('li', null, t('schedule.pattern.more', { n: data.slots.length - PREVIEW_LINES })));
  $('pattern-slots').replaceChildren(...items);
  $('pattern-result').hidden = false;
}

function wirePattern() {
  const form = $('pattern-form');
  $('pattern-first').value = addDays(todayJst(), 1);
  $('pattern-first').min = todayJst();
  $('pattern-last').value = addDays(todayJst(), 28);
  $('pattern-last').min = todayJst();
  async function send(preview) {
    clearErrors(form);
    $('pattern-result').hidden = true;
    const body = patternBody(form, preview);
    await whileSubmitting(form, async () => {
      try {
        const data = await api('POST', '/api/v1/slots/pattern', body);
        showPattern(data);
        if (!preview) {
          showStatus(form, t('schedule.pattern.done', { created: data.created, existing: data.skipped_existing, past: data.skipped_past }));
          await loadDay();
        }
      } catch (error) {
        showError(form, error);
        if (error.field === 'weekdays') form.querySelector('input[name="weekdays"]')?.focus();
      }
    });
  }
  $('pattern-preview').addEventListener('click', () => send(true));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send(false);
  });
}

function wire() {
  const form = $('publish-form');
  $('publish-date').value = addDays(todayJst(), 1);
  $('publish-date').min = todayJst();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    for (const [field, key] of [['date', 'schedule.publish.need_date'], ['start', 'schedule.publish.need_time'], ['end', 'schedule.publish.need_time']]) {
      if (!values[field]) {
        showError(form, { field, message: t(key) });
        return;
      }
    }
    const minutes = Number(values.slot_minutes ?? 10);
    whileSubmitting(form, async () => {
      try {
        const data = await api('POST', '/api/v1/slots', {
          start: jstInstant(values.date, values.start),
          end: jstInstant(values.date, values.end),
          slot_minutes: Number.isInteger(minutes) ? minutes : values.slot_minutes,
        });
        // The day view moves to the published day first, so the note confirms a finished change.
        state.day = values.date;
        await loadDay();
        showStatus(form, t('schedule.publish.done', {
          n: data.created ?? 0, day: formatDay(values.date), from: values.start, to: values.end,
        }));
      } catch (error) {
        showError(form, error);
      }
    });
  });

  $('day-date').addEventListener('change', () => {
    if (!$('day-date').value) return;
    state.day = $('day-date').value;
    loadDay();
  });
  $('day-prev').addEventListener('click', () => { state.day = addDays(state.day, -1); loadDay(); });
  $('day-next').addEventListener('click', () => { state.day = addDays(state.day, 1); loadDay(); });

  $('calls').addEventListener('click', async (event) => {
    const open = event.target instanceof Element ? event.target.closest('[data-call-open]') : null;
    if (open) {
      const item = open.closest('.call');
      const slot = state.slots.find((x) => String(x.id) === item.dataset.slotId);
      const box = item.querySelector('.call__record');
      box.replaceChildren(callForm(slot, open.dataset.callOpen));
      box.querySelector('textarea').focus();
      return;
    }
    const button = event.target instanceof Element ? event.target.closest('[data-delete-slot]') : null;
    if (!button) return;
    button.disabled = true;
    hideAlert('day-error');
    try {
      await api('DELETE', `/api/v1/slots/${encodeURIComponent(button.dataset.deleteSlot)}`);
      await loadDay();
    } catch (error) {
      button.disabled = false;
      showAlert('day-error', error);
    }
  });
}

runPage({
  roles: ['doctor'],
  wire: () => { wire(); wirePattern(); return loadDay(); },
  onLang: renderDay,
  view: 'schedule-view',
});
