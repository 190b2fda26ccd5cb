// Screening levels as badges (block red, needs-attention amber, info blue, none green,
// missing grey) and flags sorted worst first, with their reasons in the UI language.

import { currentLang, t } from './i18n.js';
import { el } from './dom.js';

export const LEVELS = ['block', 'needs-attention', 'info', 'none', 'missing'];

/** Returns the rank of level (0 is the worst); unknown levels rank after all known ones. */
export function levelRank(level) {
  const i = LEVELS.indexOf(level);
  return i < 0 ? LEVELS.length : i;
}

/** Returns a badge for level, with data-level set for scripts and tests. */
export function levelBadge(level) {
  const known = LEVELS.includes(level);
  const badge = el('span', `level level--${known ? level : 'missing'}`, known ? t(`level.${level}`) : String(level ?? ''));
  badge.dataset.level = String(level ?? '');
  return badge;
}

/** Returns bilingual ({ja, en}) in the UI language, falling back to the other one. */
export function pick(bilingual) {
  if (bilingual === null || bilingual === undefined) return '';
  if (typeof bilingual === 'string') return bilingual;
  const other = currentLang() === 'ja' ? 'en' : 'ja';
  return bilingual[currentLang()] ?? bilingual[other] ?? '';
}

/** Returns a copy of flags sorted worst level first (stable within a level). */
export function sortFlags(flags) {
  return (Array.isArray(flags) ? flags : [])
    .map((flag, index) => ({ flag, index }))
    .sort((a, b) => levelRank(a.flag.level) - levelRank(b.flag.level) || a.index - b.index)
    .map(({ flag }) => flag);
}

/** Returns a <ul> of flags (worst first): level badge and reason; an empty note when none. */
export function flagList(flags) {
  const sorted = sortFlags(flags);
  if (sorted.length === 0) return el('p', 'muted', t('flags.none'));
  const list = el('ul', 'flag-list');
  for (const flag of sorted) {
    const item = el('li', `flag flag--${LEVELS.includes(flag.level) ? flag.level : 'missing'}`);
    item.dataset.rule = String(flag.rule ?? '');
    item.dataset.level = String(flag.level ?? '');
    item.append(levelBadge(flag.level), el('span', 'flag__reason', pick(flag.reason)));
    list.append(item);
  }
  return list;
}
