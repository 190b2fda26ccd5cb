// Shared pieces of the cold-chain views (the cold-chain page, the logger chart, the staff and
// public lot pages): temperatures, places, periods in JST, time outside the allowed range and
// excursion episodes. Every API value is written with textContent.

import { t } from './i18n.js';
import { formatDateTime, jstDay } from './jst.js';
import { el } from './dom.js';

export const UNIT_KINDS = ['refrigerator', 'freezer', 'room'];

/** Returns an instant given as ISO 8601 text or as unix seconds as ISO text, or null. */
export function isoOf(value) {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value;
  return null;
}

/** Returns an instant given as ISO 8601 text or as unix seconds as unix seconds, or null. */
export function secondsOf(value) {
  const iso = isoOf(value);
  return iso === null ? null : Date.parse(iso) / 1000;
}

/** Returns a temperature for people: "12.0℃" / "12.0 °C"; a dash when there is none. */
export function celsius(value) {
  const n = value === null || value === undefined || value === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) return t('value.dash');
  return t('cc.celsius', { t: n.toFixed(1) });
}

/** Returns an allowed range {min_c, max_c} for people: "2.0〜8.0℃"; a dash when there is none. */
export function rangeCelsius(band) {
  if (!band || typeof band !== 'object') return t('value.dash');
  return t('cc.band_value', { min: Number(band.min_c).toFixed(1), max: Number(band.max_c).toFixed(1) });
}

/** Returns the name of a storage unit kind in the UI language. */
export function unitKindLabel(kind) {
  return UNIT_KINDS.includes(kind) ? t(`cc.kind.${kind}`) : String(kind ?? '');
}

/**
 * Returns a place ("unit:N", "shipment:N", or the public "storage") for people, naming units
 * from units (a Map of unit id to unit) when it has them.
 */
export function placeLabel(place, units) {
  const match = /^(unit|shipment):(\d+)$/.exec(String(place ?? ''));
  if (!match) return place === 'storage' ? t('cc.place.storage') : String(place ?? '');
  if (match[1] === 'shipment') return t('cc.place.shipment', { id: match[2] });
  const unit = units instanceof Map ? units.get(Number(match[2])) : null;
  return unit ? unit.name : t('cc.place.unit', { id: match[2] });
}

/** Returns a period from–to in JST; an open end reads "since …". */
export function periodText(from, to) {
  const a = isoOf(from);
  const b = isoOf(to);
  if (!a) return t('value.dash');
  if (!b) return t('cc.since', { from: formatDateTime(a) });
  if (jstDay(a) === jstDay(b)) return formatDateTime(a, b);
  return `${formatDateTime(a)} – ${formatDateTime(b)}`;
}

/** Returns the minutes outside the range against the allowance, marked when over it. */
export function outsideElement(minutes, allowance) {
  const n = Number(minutes ?? 0);
  const hasAllowance = allowance !== null && allowance !== undefined && allowance !== '';
  const over = hasAllowance && n > Number(allowance);
  const text = hasAllowance ? t('cc.outside_of', { n, allowance }) : t('cc.minutes', { n });
  const span = el('span', over ? 'state-text state-text--warn' : null, text);
  span.dataset.over = String(over);
  return span;
}

/** Returns a list of excursion episodes: when, how long, peak, above or below, still open. */
export function episodeList(episodes) {
  const list = el('ul', 'episode-list');
  for (const e of Array.isArray(episodes) ? episodes : []) {
    const direction = e.direction === 'below' ? 'below' : 'above';
    const li = el('li', `episode episode--${direction}`);
    li.dataset.direction = direction;
    li.append(el('span', 'episode__when', periodText(e.start, e.end)));
    const what = t('cc.episode', { direction: t(`cc.direction.${direction}`), n: e.minutes ?? 0, peak: celsius(e.peak_celsius) });
    li.append(el('span', 'episode__what', e.open ? `${what} ${t('cc.episode_open')}` : what));
    list.append(li);
  }
  return list;
}
