// Products and lots (pharmacists; admins see the lists and may register products): the product
// master with storage specification and price, the lots newest first with a status badge,
// expiry and stock, a form to receive a new lot (which then opens on lot.html) and a form to
// register a product.

import { api } from '../lib/api.js';
import { clearErrors, formValues, showError, showStatus, whileSubmitting } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { todayJst } from '../lib/jst.js';
import { $, el, fillDetails } from '../lib/dom.js';
import { formatDate, lotStatusBadge, productName, storageText, yenTaxIncluded } from '../lib/trace.js';
import { runPage } from '../lib/page.js';

const state = { user: null, products: [], lots: [] };

const INTEGER_FIELDS = ['excursion_allowance_minutes', 'shelf_life_days', 'price_jpy', 'tax_rate_percent', 'quantity', 'donor_age', 'product_id'];
const NUMBER_FIELDS = ['storage_min_c', 'storage_max_c'];

/** Converts the numeric fields of values in place; a value that is not a number is sent as typed (the server names the field). */
function numbers(values) {
  for (const key of Object.keys(values)) {
    if (!INTEGER_FIELDS.includes(key) && !NUMBER_FIELDS.includes(key)) continue;
    const n = Number(values[key]);
    if (values[key] !== '' && Number.isFinite(n) && (NUMBER_FIELDS.includes(key) || Number.isInteger(n))) values[key] = n;
  }
  return values;
}

function renderProducts() {
  const list = $('product-list');
  list.replaceChildren();
  for (const product of state.products) {
    const li = el('li', 'record');
    li.dataset.productId = String(product.id);
    const head = el('div', 'record__head');
    head.append(el('strong', 'record__title', productName(product)), el('span', 'mono muted', product.code));
    const dl = el('dl', 'details details--compact');
    const publicLink = el('a', null, t('lots.products.public'));
    publicLink.href = `/product.html?id=${encodeURIComponent(product.id)}`;
    fillDetails(dl, [
      [t('product.field.form'), product.form],
      [t('product.field.manufacturer'), product.manufacturer],
      [t('product.field.country'), product.country],
      [t('product.field.source_cell_type'), product.source_cell_type],
      [t('product.storage'), storageText(product.storage)],
      [t('product.field.shelf_life_days'), t('product.days', { n: product.shelf_life_days })],
      [t('product.price'), `${yenTaxIncluded(product.price_jpy)}${product.units_description ? ` / ${product.units_description}` : ''}`],
      [t('product.public_page'), publicLink],
    ]);
    li.append(head, dl);
    list.append(li);
  }
  $('products-empty').hidden = state.products.length > 0;
}

function renderProductChoices() {
  const select = $('lot-product');
  const chosen = select.value;
  select.replaceChildren(...state.products.map((p) => {
    const option = el('option', null, `${productName(p)} (${p.code})`);
    option.value = String(p.id);
    return option;
  }));
  if (chosen && state.products.some((p) => String(p.id) === chosen)) select.value = chosen;

  const filter = $('lots-filter');
  const wanted = filter.value;
  const all = el('option', null, t('lots.filter_all'));
  all.value = '';
  filter.replaceChildren(all, ...state.products.map((p) => {
    const option = el('option', null, productName(p));
    option.value = String(p.id);
    return option;
  }));
  filter.value = state.products.some((p) => String(p.id) === wanted) ? wanted : '';

  const none = state.products.length === 0;
  $('receive-none').hidden = !none;
  $('receive-form').hidden = none;
}

function renderLots() {
  const list = $('lot-list');
  list.replaceChildren();
  const filter = $('lots-filter').value;
  const lots = state.lots.filter((lot) => !filter || String(lot.product_id) === filter);
  for (const lot of lots) {
    const li = el('li', `record record--lot record--${lot.status}`);
    li.dataset.lotId = String(lot.id);
    li.dataset.lotNumber = String(lot.lot_number ?? '');
    li.dataset.status = String(lot.status ?? '');
    const head = el('div', 'record__head');
    const link = el('a', 'record__title mono', lot.lot_number);
    link.href = `/lot.html?id=${encodeURIComponent(lot.id)}`;
    head.append(link, lotStatusBadge(lot.status));
    const expired = typeof lot.expires_on === 'string' && lot.expires_on < todayJst();
    const expiry = el('span', expired ? 'state-text state-text--warn' : null, formatDate(lot.expires_on));
    const dl = el('dl', 'details details--compact details--inline');
    fillDetails(dl, [
      [t('lot.field.product'), lot.product_name],
      [t('lot.field.expires_on'), expiry],
      [t('lot.stock'), t('lot.stock_value', { available: lot.quantity_available, received: lot.quantity_received })],
    ]);
    li.append(head, dl);
    list.append(li);
  }
  $('lots-empty').hidden = lots.length > 0;
}

function render() {
  renderProducts();
  renderProductChoices();
  renderLots();
}

async function load() {
  const [products, lots] = await Promise.all([api('GET', '/api/v1/products'), api('GET', '/api/v1/lots')]);
  state.products = Array.isArray(products.products) ? products.products : [];
  state.lots = Array.isArray(lots.lots) ? lots.lots : [];
}

function defaults() {
  const today = todayJst();
  $('lot-manufactured').max = today;
  $('lot-expires').min = today;
}

function wire() {
  $('lots-filter').addEventListener('change', renderLots);

  const receive = $('receive-form');
  receive.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(receive);
    whileSubmitting(receive, async () => {
      const body = numbers(formValues(receive, { keepEmpty: ['product_id', 'lot_number', 'manufactured_on', 'expires_on', 'quantity'] }));
      try {
        const data = await api('POST', '/api/v1/lots', body);
        window.location.assign(`/lot.html?id=${encodeURIComponent(data.lot.id)}&received=1`);
      } catch (error) {
        showError(receive, error);
      }
    });
  });

  const productForm = $('product-form');
  productForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(productForm);
    whileSubmitting(productForm, async () => {
      const body = numbers(formValues(productForm, {
        keepEmpty: ['code', 'name_ja', 'name_en', 'form', 'manufacturer', 'country', 'source_cell_type',
          'storage_min_c', 'storage_max_c', 'excursion_allowance_minutes', 'shelf_life_days', 'price_jpy'],
      }));
      try {
        const data = await api('POST', '/api/v1/products', body);
        productForm.reset();
        showStatus(productForm, t('lots.product_form.done', { name: productName(data.product) }));
        await load();
        render();
      } catch (error) {
        showError(productForm, error);
      }
    });
  });
}

function wireAll(user) {
  // Only a pharmacist receives lots; an admin sees the lists and may register products.
  $('receive-card').hidden = user.role !== 'pharmacist';
  defaults();
  wire();
}

runPage({
  roles: ['pharmacist', 'admin'],
  load: (user) => { state.user = user; return load(); },
  wire: wireAll,
  render,
  view: 'lots-view',
});
