// Forecaster page: Forecaster.fit on this thread (fit yields to the page about every 16 ms),
// then evaluate() on the held-out part against the baselines the CLI prints: last value,
// seasonal naive, Holt-Winters, ETS and SARIMA (or the Fourier ARIMA for daily dates).
import { Forecaster, etsName, holtWintersName, parseTimeCells, sarimaName } from './rnnkit/index.js';
import { $, chart, download, fmt, showEnv, showSummary, status, wireLoad } from './common.js';

const st = $('#status');
const drawCurves = chart($('#curves'), { xLabel: 'epoch', yLabel: 'loss (scaled)' });
let drawForecast = null;
const state = { table: null, f: null, stop: false, loss: [], valLoss: [], evaluation: null };
window.playground = state;
showEnv($('#env'), 'this thread (fit yields every ~16 ms)');

/** A small CSV reader: header row, commas, "quoted, fields". */
function parseCsv(text) {
  const rows = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cells = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (q) {
        if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === ',') cells.push(cur), (cur = '');
      else cur += c;
    }
    cells.push(cur);
    rows.push(cells.map((s) => s.trim()));
  }
  if (rows.length < 2) throw new Error('the CSV needs a header row and data rows');
  return { header: rows[0], rows: rows.slice(1) };
}

function useTable(table, name, defaults = {}) {
  state.table = table;
  const numeric = table.header.filter((_, c) => table.rows.slice(0, 20).every((r) => r[c] !== undefined && r[c] !== '' && Number.isFinite(Number(r[c]))));
  // Time columns read as the CLI reads them (parseTimeCells: ISO, 31.12.1981 or 12/31/1981, YYYYMMDD).
  const dateLike = table.header.filter((h, c) => {
    const { kind, times } = parseTimeCells(table.rows.map((r) => r[c] ?? ''));
    return kind !== 'number' && times.every(Number.isFinite);
  });
  if (numeric.length === 0) throw new Error('no numeric column found');
  const opt = (v, t = v) => Object.assign(document.createElement('option'), { value: v, textContent: t });
  $('#time-col').replaceChildren(opt('', '(row number)'), ...dateLike.map((h) => opt(h)));
  $('#time-col').value = defaults.time ?? dateLike[0] ?? '';
  $('#target-col').replaceChildren(...numeric.map((h) => opt(h)));
  $('#target-col').value = defaults.target ?? numeric[0];
  const fs = $('#features');
  fs.replaceChildren(Object.assign(document.createElement('legend'), { className: 'sr-only', textContent: 'Feature columns' }));
  const span = document.createElement('span');
  span.textContent = 'Extra inputs: ';
  span.style.cssText = 'font-size:.85rem;color:var(--muted);margin-right:.4rem';
  fs.append(span);
  for (const h of numeric) {
    const l = document.createElement('label');
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: h });
    l.append(box, h);
    fs.append(l);
  }
  // The target is always an input; the boxes offer the other numeric columns.
  const syncBoxes = () => {
    for (const l of fs.querySelectorAll('label')) l.hidden = l.querySelector('input').value === $('#target-col').value;
  };
  $('#target-col').onchange = syncBoxes;
  syncBoxes();
  status($('#data-status'), `${name}: ${table.rows.length} rows, columns ${table.header.join(', ')}`);
}

async function loadCo2() {
  useTable(parseCsv(await (await fetch('data/co2.csv')).text()), 'co2.csv', { time: 'Date', target: 'CO2' });
}
$('#dataset').addEventListener('change', () => $('#dataset').value === 'co2' && loadCo2());
async function useFile(file) {
  try {
    useTable(parseCsv(await file.text()), file.name);
    $('#dataset').options[1].disabled = false;
    $('#dataset').value = 'csv';
  } catch (e) {
    status($('#data-status'), `${file.name}: ${e.message}`, true);
  }
}
$('#csv-file').addEventListener('change', () => $('#csv-file').files[0] && useFile($('#csv-file').files[0]));
const drop = $('#drop');
drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0]) useFile(e.dataTransfer.files[0]);
});

/** The chosen columns as rows [target, ...features], and the time axis. */
function series() {
  const { header, rows } = state.table;
  const target = $('#target-col').value;
  const feats = [...document.querySelectorAll('#features input:checked')].map((b) => b.value).filter((h) => h !== target);
  const cols = [target, ...feats].map((h) => header.indexOf(h));
  const data = rows.map((r) => cols.map((c) => Number(r[c]))).filter((r) => r.every(Number.isFinite));
  const tc = header.indexOf($('#time-col').value);
  const times = tc < 0 ? null : parseTimeCells(rows.filter((r) => cols.every((c) => Number.isFinite(Number(r[c])))).map((r) => r[tc] ?? '')).times;
  return { data, times, columns: [target, ...feats], target };
}

/** The rows' times when every one is a date (calendar covariates need them), else undefined. */
function datedTimes(s) {
  return s.times !== null && s.times.every(Number.isFinite) ? s.times : undefined;
}

function showEvaluation(f) {
  const s = series();
  // The season fit detected (season 'auto', as the CLI): the seasonal baselines' period.
  const season = f.season;
  const times = f.calendar ? datedTimes(s) : undefined;
  const ev = f.evaluate(s.data, { ...(season !== undefined ? { season } : {}), ...(times ? { times } : {}) });
  state.evaluation = ev;
  const H = ev.horizon;
  const start = ev.origins[0] + 1;
  const x = (r) => (s.times !== null ? s.times[r] : r);
  const y = (r) => s.data[r][0];
  const from = Math.max(0, start - 2 * (s.data.length - start));
  const hist = Array.from({ length: start - from + 1 }, (_, i) => from + i);
  const act = Array.from({ length: s.data.length - start }, (_, i) => start + i);
  const fx = [];
  const fy = [];
  for (let k = 0; k < ev.windows; k += H) for (let h = 0; h < H; h++) (fx.push(x(ev.origins[k] + 1 + h)), fy.push(ev.predictions[k * H + h]));
  drawForecast ??= chart($('#forecast'), {});
  drawForecast.options = { xLabel: s.times !== null ? 'time' : 'row', yLabel: s.target, xFormat: s.times !== null ? 'date' : 'number' };
  const classical = [
    ev.holtWinters && { name: `Holt-Winters (${holtWintersName(ev.holtWintersModel)})`, m: ev.holtWinters, p: ev.holtWintersPredictions },
    ev.ets && { name: `ETS (${etsName(ev.etsModel)})`, m: ev.ets, p: ev.etsPredictions },
    ev.sarima && { name: sarimaName(ev.sarimaModel), m: ev.sarima, p: ev.sarimaPredictions },
  ].filter(Boolean);
  // The best classical forecast drawn beside the model's, on the same origins.
  const best = classical.reduce((a, b) => (a === null || b.m.mae < a.m.mae ? b : a), null);
  const by = [];
  if (best !== null) for (let k = 0; k < ev.windows; k += H) for (let h = 0; h < H; h++) by.push(best.p[k * H + h]);
  drawForecast([
    { name: 'history', x: hist.map(x), y: hist.map(y), color: '#555' },
    { name: 'actual (held out)', x: act.map(x), y: act.map(y), color: '#1f77b4' },
    ...(best !== null ? [{ name: best.name, x: fx, y: by, color: '#2ca02c', dashed: true }] : []),
    { name: 'forecast', x: fx, y: fy, color: '#d62728', dashed: true },
  ]);
  const rows = [['model', ev.model], ['last value', ev.lastValue]];
  if (ev.seasonalNaive !== undefined) rows.push([`seasonal naive (${season})`, ev.seasonalNaive]);
  for (const c of classical) rows.push([c.name, c.m]);
  const lowest = Math.min(...rows.map(([, m]) => m.mae));
  const tbody = $('#errors tbody');
  tbody.replaceChildren(
    ...rows.map(([n, m]) => {
      const tr = document.createElement('tr');
      if (m.mae === lowest) tr.className = 'best';
      for (const v of [n, fmt(m.mae, 3), fmt(m.rmse, 3), fmt(m.mape, 2)]) tr.append(Object.assign(document.createElement('td'), { textContent: v }));
      return tr;
    }),
  );
  $('#errors').hidden = false;
  // The best baseline of the table for the status line (last value included).
  const [baseName, baseMetrics] = rows.slice(1).reduce((a, b) => (b[1].mae < a[1].mae ? b : a));
  return { ev, baseline: `${baseName} ${fmt(baseMetrics.mae, 3)}` };
}

function ready(f) {
  state.f = f;
  showSummary($('#summary'), f.model);
  $('#download').disabled = false;
}

$('#train').addEventListener('click', async () => {
  $('#train').disabled = true;
  $('#stop').disabled = false;
  state.stop = false;
  try {
    const s = series();
    const lookback = Math.max(1, Math.round(Number($('#lookback').value)) || 24);
    const horizon = Math.max(1, Math.round(Number($('#horizon').value)) || 12);
    const epochs = Math.max(1, Math.round(Number($('#epochs').value)) || 30);
    const f = new Forecaster({ lookback, horizon, target: 0, features: s.columns.map((_, i) => i), columns: s.columns, cell: $('#cell').value, units: Math.max(2, Number($('#units').value) || 32), windowRelative: true, seed: 1 });
    if (s.times !== null) f.info = { time: { column: $('#time-col').value } };
    state.loss = [];
    state.valLoss = [];
    const t0 = performance.now();
    const redraw = () =>
      drawCurves([
        { name: 'loss', x: state.loss.map((_, i) => i + 1), y: state.loss, color: '#2a5bd7' },
        { name: 'val_loss', x: state.valLoss.map((_, i) => i + 1), y: state.valLoss, color: '#d9480f' },
      ]);
    status(st, `Training ${$('#cell').value.toUpperCase()} on ${s.data.length} rows…`);
    const times = datedTimes(s);
    await f.fit(s.data, {
      ...(times ? { times } : {}),
      epochs,
      verbose: 0,
      seed: 1,
      callbacks: {
        onBatchEnd: () => {
          if (state.stop) f.model.stopTraining = true;
        },
        onEpochEnd: (epoch, logs) => {
          state.loss.push(logs.loss);
          if (logs.val_loss !== undefined) state.valLoss.push(logs.val_loss);
          status(st, `Epoch ${epoch + 1}/${epochs}: loss ${fmt(logs.loss)}, val_loss ${fmt(logs.val_loss)}`);
          redraw();
          if (state.stop) f.model.stopTraining = true;
        },
      },
    });
    ready(f);
    const { ev, baseline } = showEvaluation(f);
    status(st, `${state.stop ? 'Stopped' : 'Done'} after ${state.loss.length} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s; test MAE ${fmt(ev.model.mae, 3)} (best baseline: ${baseline}).`);
  } catch (e) {
    status(st, `Training failed: ${e.message}`, true);
  } finally {
    $('#train').disabled = false;
    $('#stop').disabled = true;
  }
});
$('#stop').addEventListener('click', () => (state.stop = true));
$('#download').addEventListener('click', async () => {
  try {
    await download(state.f);
    status($('#model-status'), 'Downloaded model.json and weights.bin (Forecaster.load reads them in Node).');
  } catch (e) {
    status($('#model-status'), `Could not save: ${e.message}`, true);
  }
});
wireLoad(async (source) => {
  const f = await Forecaster.load(source);
  ready(f);
  if (state.table !== null) showEvaluation(f);
}, $('#model-status'));

loadCo2().catch((e) => status($('#data-status'), `Could not read the CO₂ data: ${e.message}`, true));
