// Message catalogues and the language toggle. Japanese is the default; the choice is kept in
// localStorage. Elements name their text with data-i18n="key"; attributes with
// data-i18n-placeholder, data-i18n-aria-label and data-i18n-title. Pages ship their Japanese
// text in the HTML, so they read correctly before (or without) this module.

const STORAGE_KEY = 'exosafe_lang';
const SUPPORTED = ['ja', 'en'];
const DEFAULT_LANG = 'ja';

const ATTRIBUTES = [
  ['data-i18n-placeholder', 'placeholder'],
  ['data-i18n-aria-label', 'aria-label'],
  ['data-i18n-title', 'title'],
];

let lang = DEFAULT_LANG;
let messages = {};
const catalogues = new Map();
const listeners = [];

/** Returns the language in use: 'ja' or 'en'. */
export function currentLang() {
  return lang;
}

function storedLang() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return SUPPORTED.includes(value) ? value : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG; // storage blocked: fall back to the default
  }
}

async function loadCatalogue(code) {
  if (catalogues.has(code)) return catalogues.get(code);
  const response = await fetch(`/i18n/${code}.json`, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`catalogue ${code}: HTTP ${response.status}`);
  const catalogue = await response.json();
  catalogues.set(code, catalogue);
  return catalogue;
}

/**
 * Returns the message for key in the current language with {name} placeholders replaced from
 * vars. An unknown key returns the key itself, so a gap shows rather than hides.
 */
export function t(key, vars = {}) {
  const text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Translates every marked element under root (default: the whole document). */
export function applyTranslations(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const key = el.getAttribute('data-i18n');
    if (Object.prototype.hasOwnProperty.call(messages, key)) el.textContent = messages[key];
  }
  for (const [marker, attribute] of ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[${marker}]`)) {
      const key = el.getAttribute(marker);
      if (Object.prototype.hasOwnProperty.call(messages, key)) el.setAttribute(attribute, messages[key]);
    }
  }
  if (root === document) {
    document.documentElement.lang = lang;
    const other = lang === 'ja' ? 'en' : 'ja';
    for (const button of document.querySelectorAll('[data-lang-toggle]')) button.lang = other;
  }
}

/** Calls callback(lang) after every language change (to re-render dynamic content). */
export function onLangChange(callback) {
  listeners.push(callback);
}

/** Switches to code ('ja' or 'en'), remembers it and re-renders the page. */
export async function setLang(code) {
  if (!SUPPORTED.includes(code)) throw new Error(`unsupported language: ${code}`);
  messages = await loadCatalogue(code);
  lang = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    /* storage blocked: the choice lasts for this page only */
  }
  applyTranslations();
  for (const callback of listeners) callback(lang);
}

/**
 * Loads the remembered language's catalogue, translates the page and wires every
 * [data-lang-toggle] button. Call once per page before rendering anything else.
 */
export async function initI18n() {
  const wanted = storedLang();
  try {
    messages = await loadCatalogue(wanted);
    lang = wanted;
  } catch {
    messages = await loadCatalogue(DEFAULT_LANG);
    lang = DEFAULT_LANG;
  }
  applyTranslations();
  for (const button of document.querySelectorAll('[data-lang-toggle]')) {
    button.addEventListener('click', () => {
      setLang(lang === 'ja' ? 'en' : 'ja').catch(() => { /* keep the current language */ });
    });
  }
  // The clinic's phone, hours and footer on every page; not awaited, the page goes on.
  import('./clinic-info.js').then((m) => m.showClinicInfo()).catch(() => { /* page stays as it is */ });
}
