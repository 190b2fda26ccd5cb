// Public lot page (no log-in): the lot's status (a recall shown first and plainly), the release
// tests with their certificates, the product's source, manufacturer, country, cell source and
// storage specification, the donor screening summary, the status history (no people, no
// reasons: the API leaves them out), the temperatures of its stays in the clinic's storage
// units (MKT, min/max, minutes outside the range; no logger ids), and the mandatory notes.

import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { $, el, fillDetails } from '../lib/dom.js';
import { celsius, outsideElement, periodText } from '../lib/coldchain-shared.js';
import {
  TEST_KINDS, bilingualText, certificateLink, fillNotes, formatDate, historyItem, lotStatusBadge, productName,
  storageText, testKindLabel, testResultBadge,
} from '../lib/trace.js';
import { pageId, runPage } from '../lib/page.js';

let data = null;

function latestTests(tests) {
  const latest = new Map();
  for (const test of Array.isArray(tests) ? tests : []) {
    const seen = latest.get(test.kind);
    if (!seen || Number(test.id) > Number(seen.id)) latest.set(test.kind, test);
  }
  return latest;
}

function render() {
  const lot = data.lot ?? {};
  const p = data.product ?? {};
  $('lot-number').textContent = lot.lot_number ?? '';
  document.title = `${t('lot.heading')} ${lot.lot_number ?? ''} — exosafe`;
  $('lot-status').replaceChildren(lotStatusBadge(lot.status));
  $('lot-product').textContent = productName(p) || lot.product_name || '';
  $('recall-alert').hidden = lot.status !== 'recalled';
  document.body.dataset.lotStatus = String(lot.status ?? '');
  $('back-product').href = p.id ? `/product.html?id=${encodeURIComponent(p.id)}` : '/products.html';

  const latest = latestTests(lot.tests);
  const certs = new Map((lot.certificates ?? []).map((c) => [c.id, c]));
  $('test-list').replaceChildren(...TEST_KINDS.map((kind) => {
    const test = latest.get(kind) ?? null;
    const li = el('li', 'test-item');
    li.dataset.kind = kind;
    const head = el('div', 'test-item__head');
    head.append(el('strong', null, testKindLabel(kind)), testResultBadge(test?.result));
    li.append(head);
    if (test) {
      li.append(el('p', 'test-item__meta', `${test.method ?? ''}${test.value ? ` / ${test.value}` : ''} / ${formatDate(test.tested_on)}`));
      if (test.certificate_id) {
        const line = el('p', 'test-item__cert');
        line.append(t('lot.tests.certificate'), ' ', certificateLink(test.certificate_id, certs.get(test.certificate_id)?.filename));
        li.append(line);
      }
    }
    return li;
  }));
  const missing = Array.isArray(lot.tests_missing) ? lot.tests_missing : [];
  $('tests-missing').textContent = missing.length ? t('public.lot.tests_missing', { kinds: missing.map(testKindLabel).join(t('list.separator')) }) : '';
  $('tests-missing').hidden = missing.length === 0;

  fillDetails($('lot-details'), [
    [t('lot.field.product'), productName(p)],
    [t('lot.field.manufactured_on'), formatDate(lot.manufactured_on)],
    [t('lot.field.expires_on'), formatDate(lot.expires_on)],
    [t('product.field.manufacturer'), bilingualText(p.manufacturer)],
    [t('product.field.country'), bilingualText(p.country)],
    [t('product.field.source_cell_type'), bilingualText(p.source_cell_type)],
    [t('product.storage'), storageText(p.storage)],
    [t('lot.field.donor_age'), lot.donor_age === null || lot.donor_age === undefined ? '' : t('lot.age_value', { n: lot.donor_age })],
    [t('public.lot.donor_screening'), lot.donor_screening],
  ]);

  const stays = Array.isArray(lot.storage) ? [...lot.storage] : [];
  stays.sort((a, b) => String(b.from ?? '').localeCompare(String(a.from ?? '')));
  $('storage-list').replaceChildren(...stays.map((stay) => {
    const li = el('li', 'record stay');
    li.dataset.minutesOutside = String(stay.minutes_outside ?? 0);
    const head = el('div', 'record__head');
    head.append(el('strong', 'record__title', periodText(stay.from, stay.to)));
    const dl = el('dl', 'details details--compact');
    fillDetails(dl, [
      [t('cc.mkt'), celsius(stay.mkt_celsius)],
      [t('lot.storage.min_max'), stay.readings ? t('lot.storage.min_max_value', { min: celsius(stay.min_celsius), max: celsius(stay.max_celsius) }) : ''],
      [t('cc.alert.outside'), outsideElement(stay.minutes_outside, stay.allowance_minutes)],
      [t('cc.loggers.readings'), t('cc.count', { n: stay.readings ?? 0 })],
    ]);
    li.append(head, dl);
    return li;
  }));
  $('storage-empty').hidden = stays.length > 0;

  const history = Array.isArray(lot.history) ? [...lot.history].reverse() : [];
  $('history-list').replaceChildren(...history.map((h) => historyItem(h)));
  fillNotes($('notes'), data.notes);
}

async function load() {
  const id = pageId('public.bad_id');
  if (!id) return false;
  data = await api('GET', `/api/v1/public/lots/${encodeURIComponent(id)}`);
  return true;
}

runPage({ load, render, view: 'lot-view' });
