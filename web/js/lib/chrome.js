// The chrome every page shares, written once: the skip link, the header (brand, language
// toggle, log-out), the sub-navigation of the page's section and the footer. A page asks for it
// with attributes on its <body>, and runPage draws it before anything else:
//
//   data-chrome="public"      brand links to /, no log-out button (log-in, sign-up, public pages)
//   data-chrome="signed-in"   brand links to /home.html, log-out button (wired by session.js)
//   data-brand="/"            another target for the brand link (the home page links to /)
//   data-subnav="quality"     the section's links (SUBNAVS below); none when absent
//   data-current="/lots.html" the link marked aria-current="page" (a detail page marks its list)
//
// Drawn by script rather than a server-side include so the server keeps serving web/ as plain
// files (no templating in the C server, ETags stay the files' own) and CSP stays
// script-src 'self' with no inline script. It runs synchronously as the page's module starts, so
// the first frame that has the page's text has its header too; app.css keeps the header's place
// until then. The Japanese text here is the default the page shows before i18n.js has loaded
// its catalogue (the same text as web/i18n/ja.json; data-i18n keys translate it).

import { el } from './dom.js';

const LINK = {
  home: ['/home.html', 'nav.home', 'ホーム'],
  top: ['/', 'subnav.top', 'トップ'],
  products: ['/products.html', 'subnav.products', '製品と品質の公開情報'],
  status: ['/status.html', 'subnav.status', '手続きの状況'],
  book: ['/book.html', 'subnav.book', '予約'],
  questionnaire: ['/questionnaire.html', 'subnav.questionnaire', '問診票'],
  consent: ['/consent.html', 'subnav.consent', '同意書'],
  order: ['/order.html', 'subnav.order', 'ご注文'],
  report: ['/report.html', 'subnav.report', '体調の変化の報告'],
  checkins: ['/checkins.html', 'subnav.checkins', '体調の確認'],
  profile: ['/profile.html', 'subnav.profile', 'ご登録内容'],
  schedule: ['/schedule.html', 'subnav.schedule', '予定表'],
  review: ['/review.html', 'subnav.review', '確認待ち'],
  ae: ['/ae.html', 'subnav.ae', '副作用の報告'],
  signals: ['/signals.html', 'subnav.signals', 'シグナル'],
  adcheck: ['/adcheck.html', 'subnav.adcheck', '広告表現の確認'],
  followup: ['/followup.html', 'subnav.followup', '経過の追跡'],
  lots: ['/lots.html', 'subnav.lots', '製品とロット'],
  ordersStaff: ['/orders-staff.html', 'subnav.orders_staff', '注文と発送'],
  coldchain: ['/coldchain.html', 'subnav.coldchain', '保管温度'],
  audit: ['/audit.html', 'subnav.audit', '監査ログ'],
};

/** Each section's sub-navigation: its label (aria-label, i18n key) and links in order. */
export const SUBNAVS = {
  public: { label: 'disclosure', key: 'subnav.public_label', links: ['top', 'products'] },
  patient: { label: 'intake', key: 'subnav.patient_label', links: ['status', 'book', 'questionnaire', 'consent', 'order', 'profile'] },
  // The order and report pages also link to the report of a change in health and the follow-up
  // check-ins (after delivery).
  'patient-order': { label: 'intake', key: 'subnav.patient_label', links: ['status', 'book', 'questionnaire', 'consent', 'order', 'checkins', 'report', 'profile'] },
  'patient-report': { label: 'intake', key: 'subnav.patient_label', links: ['status', 'order', 'checkins', 'report', 'profile'] },
  doctor: { label: 'clinic', key: 'subnav.doctor_label', links: ['home', 'schedule', 'review', 'ae'] },
  safety: { label: 'safety', key: 'subnav.safety_label', links: ['home', 'ae', 'signals', 'followup', 'adcheck'] },
  quality: { label: 'quality', key: 'subnav.quality_label', links: ['home', 'lots', 'ordersStaff', 'coldchain'] },
  admin: { label: 'admin', key: 'subnav.admin_label', links: ['home', 'audit'] },
};

function translated(node, key) {
  node.setAttribute('data-i18n', key);
  return node;
}

function header(signedIn, brandHref) {
  const brand = el('a', 'brand');
  brand.href = brandHref;
  const logo = el('img', 'brand__logo');
  Object.assign(logo, { src: '/favicon.svg', alt: '', width: 32, height: 32 });
  brand.append(logo, el('span', 'brand__name', 'exosafe'));

  const actions = el('nav', 'header-actions');
  actions.setAttribute('aria-label', 'menu');
  const toggle = translated(el('button', 'btn btn--ghost btn--small', 'English'), 'lang.toggle');
  toggle.type = 'button';
  toggle.setAttribute('data-lang-toggle', '');
  toggle.setAttribute('data-i18n-aria-label', 'lang.toggle_label');
  toggle.setAttribute('aria-label', '表示言語を英語に切り替える');
  toggle.lang = 'en';
  actions.append(toggle);
  if (signedIn) {
    const logout = translated(el('button', 'btn btn--secondary btn--small', 'ログアウト'), 'nav.logout');
    logout.type = 'button';
    logout.id = 'logout-button';
    logout.hidden = true; // shown by session.js once the user is known
    actions.append(logout);
  }
  const inner = el('div', 'site-header__inner');
  inner.append(brand, actions);
  const box = el('header', 'site-header');
  box.append(inner);
  return box;
}

function subnav(name, current) {
  const section = SUBNAVS[name];
  if (!section) throw new Error(`chrome: no sub-navigation named ${name}`);
  const nav = el('nav', 'subnav');
  nav.setAttribute('aria-label', section.label);
  nav.setAttribute('data-i18n-aria-label', section.key);
  const inner = el('div', 'subnav__inner');
  for (const id of section.links) {
    const [href, key, text] = LINK[id];
    const a = translated(el('a', null, text), key);
    a.href = href;
    if (href === current) a.setAttribute('aria-current', 'page');
    inner.append(a);
  }
  nav.append(inner);
  return nav;
}

function footer() {
  const box = el('footer', 'site-footer');
  box.append(translated(el('p', null, 'exosafe はクリニックの診療記録と製品管理のためのシステムです。体調や製品について気になることは、医師にご相談ください。'), 'footer.text'));
  return box;
}

/**
 * Draws the chrome the <body>'s data-chrome attributes ask for (see the top of this file) around
 * the page's <main>: skip link, header and sub-navigation before it, footer after. Does nothing
 * on a page without data-chrome or when it is drawn already.
 */
export function drawChrome(body = document.body) {
  const kind = body.dataset.chrome;
  if (!kind || body.dataset.chromeDrawn) return;
  if (kind !== 'public' && kind !== 'signed-in') throw new Error(`chrome: unknown data-chrome="${kind}"`);
  const signedIn = kind === 'signed-in';
  const skip = translated(el('a', 'skip-link', '本文へ移動'), 'skip');
  skip.href = '#main';
  const before = [skip, header(signedIn, body.dataset.brand ?? (signedIn ? '/home.html' : '/'))];
  if (body.dataset.subnav) before.push(subnav(body.dataset.subnav, body.dataset.current));
  body.prepend(...before);
  body.append(footer());
  body.dataset.chromeDrawn = 'true';
}
