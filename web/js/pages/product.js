// Public product page (no log-in): the product's source, manufacturer, country, cell source,
// storage specification and price, its lots with their status, and the mandatory notes; when the
// clinic discloses it (issue 17), the follow-up summary: patients followed, months of follow-up
// and each symptom's incidence with its 95% interval, cells under 5 patients shown as "fewer
// than 5" (the server suppresses them), in neutral words (no claims: advertising rules).

import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { $, cell, el, fillDetails } from '../lib/dom.js';
import { symptomLabel } from '../lib/ae-shared.js';
import {
  bilingualText,
  fillNotes,
  formatDate,
  lotStatusBadge,
  productName,
  storageText,
  yenTaxIncluded,
} from '../lib/trace.js';
import { pageId, runPage } from '../lib/page.js';

let data = null;

const pct = (p) => `${(Number(p) * 100).toFixed(1)}%`;
const known = (v) => v !== null && v !== undefined && Number.isFinite(Number(v));
/** Months of follow-up for people: one decimal under 10 ("1.4"), whole months above. */
const months = (m) => (!known(m) ? 0 : Number(m) < 10 ? Math.round(Number(m) * 10) / 10 : Math.round(Number(m)));

function renderFollowup() {
  const f = data.followup;
  $('followup-section').hidden = !f;
  if (!f) return;
  fillDetails($('followup-totals'), [
    [t('public.followup.followed'), t('followup.people', { n: f.patients_followed ?? 0 })],
    [t('public.followup.months'), t('public.followup.months_value', { n: months(f.months_followed) })],
  ]);
  const rows = Array.isArray(f.incidence) ? f.incidence : [];
  $('followup-body').replaceChildren(...rows.map((r) => {
    const tr = el('tr');
    tr.dataset.symptom = String(r.symptom);
    tr.dataset.suppressed = String(Boolean(r.suppressed));
    cell(tr, symptomLabel(r.symptom), 'text');
    if (r.suppressed || !known(r.patients)) {
      cell(tr, t('public.followup.suppressed'), 'num suppressed');
      cell(tr, t('value.dash'), 'num');
    } else {
      cell(tr, t('followup.people', { n: r.patients }), 'num');
      // The interval under the proportion, so the table fits a phone's width.
      const share = el('span', null, known(r.proportion) ? pct(r.proportion) : t('value.dash'));
      const ci = el('span', 'ci', known(r.lower) && known(r.upper) ? `${pct(r.lower)}–${pct(r.upper)}` : '');
      const box = el('span');
      box.append(share, ci);
      cell(tr, box, 'num');
    }
    return tr;
  }));
}

function render() {
  const p = data.product ?? {};
  $('product-name').textContent = productName(p);
  document.title = `${productName(p)} — exosafe`;
  $('product-code').textContent = p.code ?? '';
  fillDetails($('product-details'), [
    [t('product.field.form'), bilingualText(p.form)],
    [t('product.field.manufacturer'), bilingualText(p.manufacturer)],
    [t('product.field.country'), bilingualText(p.country)],
    [t('product.field.source_cell_type'), bilingualText(p.source_cell_type)],
    [t('product.storage'), storageText(p.storage)],
    [t('product.field.shelf_life_days'), t('product.days', { n: p.shelf_life_days })],
    [t('product.price'), `${yenTaxIncluded(p.price_jpy)}${p.units_description ? ` / ${bilingualText(p.units_description)}` : ''}`],
  ]);
  const lots = Array.isArray(data.lots) ? data.lots : [];
  $('lot-list').replaceChildren(...lots.map((lot) => {
    const li = el('li', `record record--lot record--${lot.status}`);
    li.dataset.lotId = String(lot.id);
    const head = el('div', 'record__head');
    const link = el('a', 'record__title mono', lot.lot_number);
    link.href = `/public-lot.html?id=${encodeURIComponent(lot.id)}`;
    head.append(link, lotStatusBadge(lot.status));
    const dl = el('dl', 'details details--compact details--inline');
    fillDetails(dl, [
      [t('lot.field.manufactured_on'), formatDate(lot.manufactured_on)],
      [t('lot.field.expires_on'), formatDate(lot.expires_on)],
    ]);
    li.append(head, dl);
    return li;
  }));
  $('lots-empty').hidden = lots.length > 0;
  fillNotes($('notes'), data.notes);
  renderFollowup();
}

async function load() {
  const id = pageId('public.bad_id');
  if (!id) return false;
  data = await api('GET', `/api/v1/public/products/${encodeURIComponent(id)}`);
  return true;
}

runPage({ load, render, view: 'product-view' });
