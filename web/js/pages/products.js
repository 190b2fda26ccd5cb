// Public product list (no log-in): each product with its source, manufacturer, country and
// storage specification, a link to its disclosure page, and the mandatory notes from the API.

import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { $, el, fillDetails } from '../lib/dom.js';
import { bilingualText, fillNotes, productName, storageText, yenTaxIncluded } from '../lib/trace.js';
import { runPage } from '../lib/page.js';

let data = null;

function render() {
  const products = Array.isArray(data.products) ? data.products : [];
  $('product-list').replaceChildren(...products.map((p) => {
    const li = el('li', 'card record');
    li.dataset.productId = String(p.id);
    const title = el('a', 'record__title record__title--large', productName(p));
    title.href = `/product.html?id=${encodeURIComponent(p.id)}`;
    const dl = el('dl', 'details details--compact');
    fillDetails(dl, [
      [t('product.field.form'), bilingualText(p.form)],
      [t('product.field.manufacturer'), bilingualText(p.manufacturer)],
      [t('product.field.country'), bilingualText(p.country)],
      [t('product.field.source_cell_type'), bilingualText(p.source_cell_type)],
      [t('product.storage'), storageText(p.storage)],
      [t('product.price'), yenTaxIncluded(p.price_jpy)],
    ]);
    const more = el('a', 'btn btn--secondary', t('public.products.more'));
    more.href = title.href;
    li.append(title, dl, more);
    return li;
  }));
  $('product-list').hidden = false;
  $('products-empty').hidden = products.length > 0;
  fillNotes($('notes'), data.notes);
}

runPage({
  load: async () => { data = await api('GET', '/api/v1/public/products'); },
  render,
});
