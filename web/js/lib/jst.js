// Japan time (Asia/Tokyo, UTC+9 all year) for the intake pages: the API speaks UTC instants and
// JST calendar days; people read JST whatever time zone their device is in.

import { currentLang, t } from './i18n.js';

const JST_OFFSET_MS = 9 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

function locale() {
  return currentLang() === 'ja' ? 'ja-JP' : 'en-GB';
}

/** Returns the JST calendar day (YYYY-MM-DD) of the instant iso (or a Date), or '' when invalid. */
export function jstDay(iso) {
  const ms = iso instanceof Date ? iso.getTime() : Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return new Date(ms + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Returns today's JST calendar day (YYYY-MM-DD). */
export function todayJst() {
  return jstDay(new Date());
}

/** Returns day (YYYY-MM-DD) moved by n days (n may be negative). */
export function addDays(day, n) {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return new Date(ms + n * DAY_MS).toISOString().slice(0, 10);
}

/** Returns the ISO instant of JST day at hh:mm, written with the +09:00 offset. */
export function jstInstant(day, hhmm) {
  return `${day}T${hhmm}:00+09:00`;
}

/** Returns day (YYYY-MM-DD) for people: "2026年11月26日(木)" or "Thu 26 Nov 2026". */
export function formatDay(day) {
  const date = new Date(`${day}T12:00:00+09:00`);
  if (Number.isNaN(date.getTime())) return String(day ?? '');
  return new Intl.DateTimeFormat(locale(), {
    timeZone: 'Asia/Tokyo', year: 'numeric', month: 'long', day: 'numeric', weekday: 'short',
  }).format(date);
}

/** Returns day (YYYY-MM-DD) without the year: "11月26日(木)" or "Thu 26 Nov". */
export function formatShortDay(day) {
  const date = new Date(`${day}T12:00:00+09:00`);
  if (Number.isNaN(date.getTime())) return String(day ?? '');
  return new Intl.DateTimeFormat(locale(), {
    timeZone: 'Asia/Tokyo', month: currentLang() === 'ja' ? 'long' : 'short', day: 'numeric', weekday: 'short',
  }).format(date);
}

/** Returns the JST clock time (HH:MM) of the instant iso. */
export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? '');
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(date);
}

/** Returns "day HH:MM JST" (or "day HH:MM–HH:MM JST" with an end) for the instant iso. */
export function formatDateTime(iso, endIso) {
  const day = formatDay(jstDay(iso));
  const end = endIso ? `–${formatTime(endIso)}` : '';
  return `${day} ${formatTime(iso)}${end} JST`;
}

/** Returns a <time> element showing iso in JST (see formatDateTime), or a dash when missing. */
export function timeElement(iso, endIso) {
  if (typeof iso !== 'string' || Number.isNaN(Date.parse(iso))) {
    const span = document.createElement('span');
    span.textContent = t('value.dash');
    return span;
  }
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = formatDateTime(iso, endIso);
  return time;
}

const stampFormat = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

/**
 * Returns a <time> element showing iso to the second in JST ("2026/11/26 09:05:07 JST", the
 * home page's account and audit lines), or a span with missing (default: "not registered").
 */
export function stampElement(iso, missing = t('value.none')) {
  const date = new Date(iso);
  if (typeof iso !== 'string' || Number.isNaN(date.getTime())) {
    const span = document.createElement('span');
    span.textContent = iso ? String(iso) : missing;
    return span;
  }
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = `${stampFormat.format(date)} JST`;
  return time;
}
