// Booking page (patients): the current booking (calendar file, reschedule, cancel) and the free
// slots of seven days grouped by JST day. One upcoming booking per patient: the slot list shows
// when there is none, or while rescheduling. Server refusals (slot_taken, too_late, …) are
// shown as the server words them.

import { api } from '../lib/api.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { addDays, formatDay, formatShortDay, formatTime, jstDay, timeElement, todayJst } from '../lib/jst.js';
import { $, el, fillDetails, hideAlert, showAlert } from '../lib/dom.js';
import { runPage } from '../lib/page.js';

const DAYS = 7;
const REFRESH_CODES = new Set(['slot_taken', 'slot_past', 'not_found', 'already_booked']);

const state = { current: null, slots: [], weekStart: todayJst(), rescheduling: false, chosen: null };

function upcomingBooking(bookings) {
  const now = Date.now();
  return bookings
    .filter((b) => b.status === 'booked' && Date.parse(b.ends_at) > now)
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))[0] ?? null;
}

async function loadBookings() {
  const data = await api('GET', '/api/v1/bookings');
  state.current = upcomingBooking(Array.isArray(data.bookings) ? data.bookings : []);
}

async function loadSlots() {
  const data = await api('GET', `/api/v1/slots?date=${state.weekStart}&days=${DAYS}`);
  state.slots = (Array.isArray(data.slots) ? data.slots : [])
    .filter((s) => !s.booked)
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
}

function renderCurrent() {
  const section = $('current-booking');
  const booking = state.current;
  section.hidden = !booking;
  if (!booking) return;
  section.dataset.bookingId = String(booking.id);
  fillDetails($('current-details'), [
    [t('book.current.when'), timeElement(booking.starts_at, booking.ends_at)],
    [t('book.current.doctor'), booking.doctor_name],
    [t('book.current.length'), t('book.minutes', { n: booking.duration_minutes })],
  ]);
  const ics = $('ics-link');
  ics.href = `/api/v1/bookings/${encodeURIComponent(booking.id)}/calendar.ics`;
  ics.setAttribute('download', `exosafe-booking-${booking.id}.ics`);
  $('reschedule-button').hidden = state.rescheduling;
}

function slotOption(slot) {
  const input = document.createElement('input');
  input.type = 'radio';
  input.name = 'slot_id';
  input.value = String(slot.id);
  input.id = `slot-${slot.id}`;
  input.checked = state.chosen === String(slot.id);
  const label = el('label', 'slot');
  label.htmlFor = input.id;
  label.dataset.slotId = String(slot.id);
  label.dataset.startsAt = slot.starts_at;
  const time = el('time', 'slot__time', formatTime(slot.starts_at));
  time.dateTime = slot.starts_at;
  label.append(input, time, el('span', 'slot__doctor', slot.doctor_name));
  return label;
}

function renderSlots() {
  const showList = !state.current || state.rescheduling;
  $('slots-section').hidden = !showList;
  $('reschedule-note').hidden = !state.rescheduling;
  $('book-submit').textContent = t(state.rescheduling ? 'book.submit_reschedule' : 'book.submit');
  $('week-range').textContent = `${formatShortDay(state.weekStart)} – ${formatShortDay(addDays(state.weekStart, DAYS - 1))}`;
  $('week-prev').disabled = state.weekStart <= todayJst();

  const days = new Map();
  for (const slot of state.slots) {
    const day = jstDay(slot.starts_at);
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(slot);
  }
  const container = $('slot-days');
  container.replaceChildren();
  for (const [day, slots] of days) {
    const group = el('fieldset', 'slot-day');
    group.dataset.day = day;
    group.append(el('legend', 'slot-day__title', formatDay(day)));
    const grid = el('div', 'slot-grid');
    for (const slot of slots) grid.append(slotOption(slot));
    group.append(grid);
    container.append(group);
  }
  $('slots-empty').hidden = state.slots.length > 0;
  $('book-submit').hidden = state.slots.length === 0;
}

function render() {
  renderCurrent();
  renderSlots();
}

async function reload() {
  await Promise.all([loadBookings(), loadSlots()]);
  render();
}

function announce(message) {
  const done = $('book-done');
  done.textContent = message;
  done.hidden = false;
  done.focus();
}

function wire() {
  const form = $('book-form');
  form.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === 'slot_id') state.chosen = event.target.value;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    hideAlert('book-done');
    const chosen = form.querySelector('input[name="slot_id"]:checked');
    if (!chosen) {
      showError(form, { message: t('book.choose_slot') });
      return;
    }
    whileSubmitting(form, async () => {
      const slotId = Number(chosen.value);
      try {
        const data = state.rescheduling && state.current
          ? await api('POST', `/api/v1/bookings/${state.current.id}/reschedule`, { slot_id: slotId })
          : await api('POST', '/api/v1/bookings', { slot_id: slotId });
        const booking = data.booking ?? {};
        const key = state.rescheduling ? 'book.done.rescheduled' : 'book.done.booked';
        state.rescheduling = false;
        state.chosen = null;
        await reload();
        announce(t(key, { when: booking.starts_at ? timeElement(booking.starts_at).textContent : '' }));
      } catch (error) {
        showError(form, error);
        if (REFRESH_CODES.has(error.code)) {
          state.chosen = null;
          try { await reload(); } catch { /* keep the error in view */ }
        }
      }
    });
  });

  $('reschedule-button').addEventListener('click', () => {
    state.rescheduling = true;
    state.chosen = null;
    hideAlert('book-done');
    render();
    $('slots-heading').scrollIntoView({ block: 'start' });
  });
  $('reschedule-stop').addEventListener('click', () => {
    state.rescheduling = false;
    clearErrors(form);
    render();
  });

  $('cancel-button').addEventListener('click', () => {
    $('cancel-confirm').hidden = false;
    $('cancel-yes').focus();
  });
  $('cancel-no').addEventListener('click', () => {
    $('cancel-confirm').hidden = true;
    $('cancel-button').focus();
  });
  $('cancel-yes').addEventListener('click', async () => {
    const button = $('cancel-yes');
    button.disabled = true;
    hideAlert('current-error');
    try {
      await api('POST', `/api/v1/bookings/${state.current.id}/cancel`, {});
      $('cancel-confirm').hidden = true;
      state.rescheduling = false;
      await reload();
      announce(t('book.done.cancelled'));
    } catch (error) {
      showAlert('current-error', error);
    } finally {
      button.disabled = false;
    }
  });

  const moveWeek = async (days) => {
    const next = addDays(state.weekStart, days);
    state.weekStart = next < todayJst() ? todayJst() : next;
    clearErrors(form);
    try {
      await loadSlots();
      renderSlots();
    } catch (error) {
      showError(form, error);
    }
  };
  $('week-prev').addEventListener('click', () => moveWeek(-DAYS));
  $('week-next').addEventListener('click', () => moveWeek(DAYS));
}

runPage({
  roles: ['patient'],
  load: async () => { wire(); await reload(); },
  onLang: render,
  view: 'book-view',
});
