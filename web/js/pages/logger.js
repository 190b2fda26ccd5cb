// One temperature logger (pharmacists and admins): the chart of its readings (uPlot; per time
// bucket the lowest and highest reading, the product's allowed range shaded green and every
// excursion shaded red, the time axis in Japan time), zoomable by dragging or with buttons —
// each zoom fetches the series again for that window, so detail grows as the window shrinks —
// the statistics of the window shown (readings, min, max, mean kinetic temperature, minutes
// outside), and the CSV upload (pharmacists; UTF-8 or Shift_JIS) with its summary or the file,
// line and reason of the line that could not be used (the reason in the language of the upload).

import uPlot from '/vendor/uplot/uPlot.esm.js';
import { api, apiUpload } from '../lib/api.js';
import { clearErrors, showError, whileSubmitting } from '../lib/forms.js';
import { currentLang, t } from '../lib/i18n.js';
import { $, el, fillDetails, hideAlert, showAlert } from '../lib/dom.js';
import { celsius, episodeList, outsideElement, periodText, rangeCelsius, secondsOf } from '../lib/coldchain-shared.js';
import { pageId, runPage } from '../lib/page.js';

const MAX_UPLOAD_BYTES = 1024 * 1024;
const MIN_WINDOW_S = 10 * 60;
const COLORS = {
  max: '#0b6e69',
  min: '#1b4f8a',
  spread: 'rgba(11, 110, 105, 0.16)',
  band: 'rgba(30, 107, 58, 0.13)',
  bandEdge: 'rgba(30, 107, 58, 0.55)',
  episode: 'rgba(179, 38, 30, 0.18)',
  axis: '#526167',
  grid: '#e3e9e8',
};

const state = { id: null, user: null, series: null, view: null, plot: null, loading: 0, lastImport: null, importError: null };

/** JST wall-clock date for uPlot's time axis. */
const tokyo = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Asia/Tokyo');

function chartHeight(width) {
  return Math.round(Math.max(270, Math.min(380, width * 0.62)));
}

/** Shades the allowed range and the excursions under the lines (drawn on every redraw). */
function shade(u) {
  const series = state.series;
  if (!series) return;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  let drawn = 0;
  const band = series.band;
  if (band && Number.isFinite(Number(band.min_c)) && Number.isFinite(Number(band.max_c))) {
    const y1 = u.valToPos(Number(band.max_c), 'y', true);
    const y2 = u.valToPos(Number(band.min_c), 'y', true);
    ctx.fillStyle = COLORS.band;
    ctx.fillRect(left, y1, width, y2 - y1);
    ctx.strokeStyle = COLORS.bandEdge;
    ctx.lineWidth = uPlot.pxRatio;
    ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
    ctx.beginPath();
    ctx.moveTo(left, y1);
    ctx.lineTo(left + width, y1);
    ctx.moveTo(left, y2);
    ctx.lineTo(left + width, y2);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.fillStyle = COLORS.episode;
  for (const e of series.episodes ?? []) {
    const start = secondsOf(e.start);
    const end = secondsOf(e.end) ?? start;
    if (start === null) continue;
    const x1 = u.valToPos(start, 'x', true);
    const x2 = u.valToPos(end, 'x', true);
    ctx.fillRect(x1, top, Math.max(x2 - x1, 3 * uPlot.pxRatio), height);
    drawn += 1;
  }
  ctx.restore();
  $('chart').dataset.bandDrawn = String(Boolean(band));
  $('chart').dataset.episodesDrawn = String(drawn);
}

/** The y range: the readings and the allowed range, with a margin. */
function yRange(u, min, max) {
  const band = state.series?.band;
  let lo = Number.isFinite(min) ? min : null;
  let hi = Number.isFinite(max) ? max : null;
  if (band) {
    lo = lo === null ? Number(band.min_c) : Math.min(lo, Number(band.min_c));
    hi = hi === null ? Number(band.max_c) : Math.max(hi, Number(band.max_c));
  }
  if (lo === null || hi === null) return [0, 10];
  const pad = Math.max(1, (hi - lo) * 0.08);
  return [Math.floor(lo - pad), Math.ceil(hi + pad)];
}

const pad2 = (n) => String(n).padStart(2, '0');

/** Time-axis labels in JST: 24-hour clock, the date under the first label of each day. */
function timeLabels(u, splits, axisIdx, space, incr) {
  let lastDay = null;
  return splits.map((ts) => {
    const d = tokyo(ts);
    const day = `${d.getMonth() + 1}/${d.getDate()}`;
    const clock = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    if (incr >= 86400) return day;
    const label = day !== lastDay ? `${clock}\n${day}` : clock;
    lastDay = day;
    return label;
  });
}

function plotOptions(width) {
  const font = '12px system-ui, -apple-system, "Hiragino Sans", "Noto Sans JP", sans-serif';
  const axis = { stroke: COLORS.axis, font, grid: { stroke: COLORS.grid, width: 1 }, ticks: { stroke: COLORS.grid, width: 1 } };
  return {
    width,
    height: chartHeight(width),
    tzDate: tokyo,
    legend: { show: false },
    padding: [12, 22, 0, 0],
    cursor: {
      drag: { x: true, y: false, setScale: false },
      points: { size: 7 },
    },
    scales: {
      x: { time: true, range: () => [state.series.from, state.series.to] },
      y: { range: yRange },
    },
    axes: [
      { ...axis, space: width < 500 ? 64 : 90, values: timeLabels },
      { ...axis, size: 54, space: 24, incrs: [1, 2, 5, 10, 20, 50], values: (u, splits) => splits.map((v) => `${v}℃`) },
    ],
    series: [
      {},
      { label: t('logger.chart.min'), stroke: COLORS.min, width: 1.5, value: (u, v) => celsius(v) },
      { label: t('logger.chart.max'), stroke: COLORS.max, width: 2, value: (u, v) => celsius(v) },
    ],
    bands: [{ series: [2, 1], fill: COLORS.spread }],
    hooks: {
      drawClear: [shade],
      setSelect: [(u) => {
        if (u.select.width < 6) return;
        const from = u.posToVal(u.select.left, 'x');
        const to = u.posToVal(u.select.left + u.select.width, 'x');
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        zoomTo(from, to);
      }],
    },
  };
}

function plotData() {
  const points = Array.isArray(state.series?.points) ? state.series.points : [];
  return [points.map((p) => p[0]), points.map((p) => p[1]), points.map((p) => p[2])];
}

function chartWidth() {
  return Math.max(240, Math.floor($('chart').clientWidth));
}

function drawChart() {
  const box = $('chart');
  state.plot?.destroy();
  state.plot = null;
  box.replaceChildren();
  const points = state.series?.points ?? [];
  $('chart-empty').hidden = points.length > 0;
  box.dataset.points = String(points.length);
  box.dataset.from = String(state.series?.from ?? '');
  box.dataset.to = String(state.series?.to ?? '');
  box.dataset.zoomed = String(state.view !== null);
  box.setAttribute('aria-label', t('logger.chart.label', {
    period: periodText(state.series?.from, state.series?.to),
    min: celsius(state.series?.min_celsius),
    max: celsius(state.series?.max_celsius),
    n: state.series?.episodes?.length ?? 0,
  }));
  state.plot = new uPlot(plotOptions(chartWidth()), plotData(), box);
}

function renderHead() {
  const logger = state.series?.logger ?? {};
  $('logger-code').textContent = logger.code ?? '';
  document.title = `${t('logger.heading')} ${logger.code ?? ''} — exosafe`;
  const parts = [logger.unit_name ? t('logger.watches', { unit: logger.unit_name }) : t('logger.no_unit')];
  if (logger.description) parts.push(logger.description);
  if (logger.interval_seconds) parts.push(t('cc.loggers.every', { n: Math.round(logger.interval_seconds / 60 * 10) / 10 }));
  $('logger-place').textContent = parts.join(' / ');
}

function renderStats() {
  const s = state.series ?? {};
  const band = s.band;
  fillDetails($('stats'), [
    [t('logger.stats.period'), periodText(s.from, s.to)],
    [t('cc.loggers.readings'), t('cc.count', { n: s.readings ?? 0 })],
    [t('logger.stats.min'), celsius(s.min_celsius)],
    [t('logger.stats.max'), celsius(s.max_celsius)],
    [t('cc.mkt'), celsius(s.mkt_celsius)],
    [t('logger.stats.outside'), outsideElement(s.minutes_outside ?? 0, null)],
    [t('logger.stats.band'), band ? rangeCelsius(band) : t('logger.stats.no_band')],
  ]);
  $('stats').dataset.readings = String(s.readings ?? 0);
  $('stats').dataset.minutesOutside = String(s.minutes_outside ?? 0);
  const episodes = s.episodes ?? [];
  $('episodes').replaceChildren(episodeList(episodes));
  $('episodes-empty').hidden = episodes.length > 0;
  $('chart-key-band').textContent = band ? t('logger.chart.key_band_value', { range: rangeCelsius(band) }) : t('logger.chart.key_band');
  $('chart-range').textContent = state.view
    ? t('logger.chart.range_zoomed', { period: periodText(s.from, s.to) })
    : t('logger.chart.range_all', { period: periodText(s.from, s.to) });
  $('zoom-reset').disabled = state.view === null;
  $('zoom-out').disabled = state.view === null;
}

function render() {
  if (!state.series) return;
  renderHead();
  renderStats();
  drawChart();
  renderImport();
}

/** Fetches the series for the current window (all readings when state.view is null). */
async function loadSeries() {
  const points = Math.min(2000, Math.max(120, chartWidth()));
  let path = `/api/v1/loggers/${encodeURIComponent(state.id)}/series?points=${points}`;
  if (state.view) {
    path += `&from=${encodeURIComponent(new Date(state.view.from * 1000).toISOString())}`;
    path += `&to=${encodeURIComponent(new Date(state.view.to * 1000).toISOString())}`;
  }
  state.series = await api('GET', path);
}

async function refresh() {
  const ticket = ++state.loading;
  $('chart').setAttribute('aria-busy', 'true');
  try {
    await loadSeries();
    if (ticket !== state.loading) return;
    hideAlert('chart-error');
    render();
  } catch (error) {
    if (ticket === state.loading) showAlert('chart-error', error);
  } finally {
    if (ticket === state.loading) {
      $('chart').removeAttribute('aria-busy');
      document.body.dataset.chartVersion = String(ticket);
    }
  }
}

function zoomTo(from, to) {
  let a = Math.floor(Math.min(from, to));
  let b = Math.ceil(Math.max(from, to));
  if (b - a < MIN_WINDOW_S) {
    const mid = (a + b) / 2;
    a = Math.floor(mid - MIN_WINDOW_S / 2);
    b = Math.ceil(mid + MIN_WINDOW_S / 2);
  }
  state.view = { from: a, to: b };
  refresh();
}

function zoomBy(factor) {
  const s = state.series;
  if (!s) return;
  const mid = (Number(s.from) + Number(s.to)) / 2;
  const half = ((Number(s.to) - Number(s.from)) * factor) / 2;
  zoomTo(mid - half, mid + half);
}

function renderImport() {
  const r = state.lastImport;
  $('import-result').hidden = !r;
  if (r) {
    $('import-result-title').textContent = t('logger.import.done', { name: r.filename });
    fillDetails($('import-summary'), [
      [t('logger.import.read'), t('cc.count', { n: r.rows_read ?? 0 })],
      [t('logger.import.added'), t('cc.count', { n: r.rows_added ?? 0 })],
      [t('logger.stats.period'), periodText(r.first_at, r.last_at)],
      [t('logger.import.alerts'), t('cc.count', { n: r.alerts_raised ?? 0 })],
      [t('logger.import.quarantined'), t('logger.import.lots', { n: r.lots_quarantined ?? 0 })],
    ]);
    $('import-summary').dataset.read = String(r.rows_read ?? 0);
    $('import-summary').dataset.added = String(r.rows_added ?? 0);
    $('import-summary').dataset.alerts = String(r.alerts_raised ?? 0);
    $('import-summary').dataset.quarantined = String(r.lots_quarantined ?? 0);
    const warn = Number(r.alerts_raised) > 0 || Number(r.lots_quarantined) > 0;
    const box = $('import-alerts');
    box.hidden = !warn;
    if (warn) {
      const link = el('a', null, t('logger.import.see_alerts'));
      link.href = '/coldchain.html';
      box.replaceChildren(t('logger.import.warn', { alerts: r.alerts_raised ?? 0, lots: r.lots_quarantined ?? 0 }), ' ', link);
    }
  }
  const e = state.importError;
  $('import-error').hidden = !e;
  if (e) {
    fillDetails($('import-error-details'), [
      [t('logger.import.error_file'), e.file],
      [t('logger.import.error_line'), e.line === null ? '' : t('logger.import.line_value', { n: e.line })],
      [t('logger.import.error_reason'), e.reasons?.[currentLang()] ?? e.reason],
    ]);
    $('import-error').dataset.file = String(e.file ?? '');
    $('import-error').dataset.line = String(e.line ?? '');
    $('import-error').dataset.reasonCode = String(e.code ?? '');
  }
}

function wireImport() {
  const form = $('import-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const file = $('import-file').files?.[0];
    if (!file) {
      showError(form, { field: 'file', message: t('logger.import.need_file') });
      return;
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      showError(form, { field: 'file', message: t('logger.import.too_large') });
      return;
    }
    const unit = $('import-unit').value;
    whileSubmitting(form, async () => {
      state.lastImport = null;
      state.importError = null;
      renderImport();
      try {
        let path = `/api/v1/loggers/${encodeURIComponent(state.id)}/import?filename=${encodeURIComponent(file.name)}`;
        if (unit) path += `&unit=${encodeURIComponent(unit)}`;
        const data = await apiUpload(path, file, 'text/csv');
        state.lastImport = { ...data, filename: file.name };
        form.reset();
        state.view = null;
        await refresh();
        $('import-result').focus();
      } catch (error) {
        if (error.code === 'bad_readings') {
          state.importError = {
            file: error.file ?? file.name, line: error.line, reason: error.reason ?? error.message, reasons: error.reasons, code: error.reasonCode,
          };
          renderImport();
          $('import-error').focus();
        } else if (error.status === 413) {
          showError(form, { field: 'file', message: t('logger.import.too_large') });
        } else {
          showError(form, error.field === 'filename' ? { ...error, message: error.message, field: 'file' } : error);
        }
      }
    });
  });
}

function wireChart() {
  $('zoom-in').addEventListener('click', () => zoomBy(0.5));
  $('zoom-out').addEventListener('click', () => zoomBy(2));
  $('zoom-reset').addEventListener('click', () => {
    state.view = null;
    refresh();
  });
  $('chart-refresh').addEventListener('click', () => refresh());
  let width = chartWidth();
  window.addEventListener('resize', () => {
    const now = chartWidth();
    if (!state.plot || now === width) return;
    width = now;
    state.plot.setSize({ width: now, height: chartHeight(now) });
  });
}

async function loadLogger(user) {
  state.user = user;
  state.id = pageId('logger.bad_id');
  if (!state.id) return false;
  // The chart sizes itself to its box: the view is shown before the series is drawn.
  $('logger-view').hidden = false;
  try {
    await loadSeries();
  } catch (error) {
    $('logger-view').hidden = true;
    throw error;
  }
  return true;
}

function wireLogger(user) {
  const pharmacist = user.role === 'pharmacist';
  $('import-form').hidden = !pharmacist;
  $('import-pharmacist-only').hidden = pharmacist;
  wireChart();
  wireImport();
  document.body.dataset.chartVersion = '0';
}

runPage({ roles: ['pharmacist', 'admin'], load: loadLogger, wire: wireLogger, render });
