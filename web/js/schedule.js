// Schedule page (doctors): publish availability (a JST day, from/to times and the slot length,
// sent with +09:00 offsets) and the day's calls: time, patient, phone (tel: link), questionnaire
// level badge and a link to the patient's page; free slots can be deleted.

import { api } from './api.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from './forms.js';
import { onLangChange, t } from './i18n.js';
import { addDays, formatDay, formatTime, jstInstant, todayJst } from './jst.js';
import { levelBadge } from './levels.js';
import { el, hideAlert, showAlert, startPage } from './session.js';

const $ = (id) => document.getElementById(id);

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
    body.append(name, phone, status);
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
        showStatus(form, t('schedule.publish.done', {
          n: data.created ?? 0, day: formatDay(values.date), from: values.start, to: values.end,
        }));
        state.day = values.date;
        await loadDay();
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

async function main() {
  const user = await startPage(['doctor']);
  if (!user) return;
  wire();
  await loadDay();
  $('schedule-view').hidden = false;
  onLangChange(renderDay);
  document.body.dataset.ready = 'true';
}

main();
