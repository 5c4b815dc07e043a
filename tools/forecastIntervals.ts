/**
 * Prediction-interval coverage on the test part (the last 20% of the rows, every origin, as
 * Forecaster.evaluate scores it), before and after conformal calibration (calibration
 * 'conformal', fitted on the validation part only), on real series: CO2 and Seattle
 * (vega-datasets) and statsmodels' bundled datasets (Debian python3-statsmodels, read offline).
 *
 *   npx tsx tools/forecastIntervals.ts [sets, e.g. co2,nile] [seeds, e.g. 1,2,3] [forecasterArgs JSON]
 *
 * Quantiles 0.05/0.1/0.5/0.9/0.95, the forecaster's defaults otherwise. Prints per series and
 * seed the 80% and 90% intervals' coverage and mean width, as trained and calibrated, then the
 * means over the seeds as a Markdown table. VARIANTS=1 also prints other uses of the same
 * validation scores (below), by which the forecaster's choice (per step, widen only) was made.
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Forecaster, type ForecasterArgs } from '../src/index.js';
import { applyConformal, fitConformal } from '../src/timeseries/conformal.js';

const VEGA = join(dirname(dirname(createRequire(import.meta.url).resolve('vega-datasets'))), 'data');
const SM = '/usr/lib/python3/dist-packages/statsmodels/datasets';

interface Set {
  y: number[];
  times?: number[];
  lookback: number;
  horizon: number;
  season?: number;
}

const csv = (file: string): Record<string, string>[] => parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
const monthly = (n: number, y0: number, m0 = 0): number[] => Array.from({ length: n }, (_, i) => Date.UTC(y0, m0 + i, 1));

const SETS: Record<string, () => Set> = {
  co2: () => {
    const r = csv(join(VEGA, 'co2-concentration.csv'));
    return { y: r.map((x) => Number(x.CO2)), times: r.map((x) => Date.parse(x.Date!)), lookback: 24, horizon: 12, season: 12 };
  },
  seattle: () => {
    const r = csv(join(VEGA, 'seattle-weather.csv'));
    return { y: r.map((x) => Number(x.temp_max)), times: r.map((x) => Date.parse(x.date!)), lookback: 30, horizon: 7 };
  },
  // Yearly rows: no calendar; the ~11-year cycle is not a fixed season.
  sunspots: () => ({ y: csv(join(SM, 'sunspots/sunspots.csv')).map((x) => Number(x.SUNACTIVITY)), lookback: 22, horizon: 5 }),
  nile: () => ({ y: csv(join(SM, 'nile/nile.csv')).map((x) => Number(x.volume)), lookback: 10, horizon: 3 }),
  elnino: () => {
    const M = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
    const r = csv(join(SM, 'elnino/elnino.csv'));
    const y = r.flatMap((x) => M.map((m) => Number(x[m])));
    return { y, times: monthly(y.length, Number(r[0]!.YEAR)), lookback: 24, horizon: 6, season: 12 };
  },
  elecequip: () => {
    const r = csv(join(SM, 'elec_equip/elec_equip.csv'));
    const y = r.map((x) => Number(Object.values(x)[1]));
    return { y, times: monthly(y.length, 1995), lookback: 24, horizon: 6, season: 12 };
  },
  unemp: () => {
    const r = csv(join(SM, 'macrodata/macrodata.csv'));
    return { y: r.map((x) => Number(x.unemp)), times: r.map((x) => Date.UTC(Number(x.year), 3 * (Number(x.quarter) - 1), 1)), lookback: 12, horizon: 4 };
  },
};

const args = process.argv.slice(2);
const names = (args[0] ?? Object.keys(SETS).join(',')).split(',');
const seeds = (args[1] ?? '1,2,3').split(',').map(Number);
const extra = JSON.parse(args[2] ?? '{}') as Partial<ForecasterArgs>;
if (!existsSync(SM)) throw new Error(`${SM} not found: install Debian's python3-statsmodels for its datasets`);

const pct = (v: number): string => (100 * v).toFixed(1);
const variants = process.env.VARIANTS === '1';

/**
 * Analysis only (VARIANTS=1): other ways to use the same validation scores, on the same raw
 * quantiles — B: one offset per pair for all steps, each point's score divided by its own band
 * width (the offset then scales with the network's width); C: one additive offset for all steps;
 * S: standard CQR, the per-step offsets with their sign (the forecaster's never narrow).
 */
function variantLine(f: Forecaster, set: Set, testO: number[], testA: Float64Array, testRaw: Float64Array, name: string, seed: number): void {
  const H = f.horizon;
  const lv = f.quantiles!;
  const Q = lv.length;
  const n = set.y.length;
  const tEnd = n - Math.round(n * 0.2) - Math.round(n * 0.1);
  const vEnd = n - Math.round(n * 0.2);
  const saved = f.conformal;
  f.conformal = null;
  const first = Math.max(f.lookback - 1, tEnd - H);
  const origins = Array.from({ length: vEnd - 1 - first }, (_, i) => first + i);
  const raw = f.predictQuantiles(set.y.slice(0, vEnd), origins, set.times !== undefined && f.calendar !== null ? { times: set.times.slice(0, vEnd) } : {});
  f.conformal = saved;
  const out: string[] = [];
  for (const [lo, hi] of [[1, 3], [0, 4]] as const) {
    const nominal = lv[hi]! - lv[lo]!;
    const sb: number[] = [];
    const sc: number[] = [];
    origins.forEach((e, k) => {
      for (let h = 0; h < H; h++) {
        const r = e + 1 + h;
        if (r < tEnd || r >= vEnd) continue;
        const i = k * H + h;
        const y = set.y[r]!;
        const E = Math.max(raw[i * Q + lo]! - y, y - raw[i * Q + hi]!);
        sb.push(E / Math.max(raw[i * Q + hi]! - raw[i * Q + lo]!, 1e-12));
        sc.push(E);
      }
    });
    const kth = (v: number[]): number => {
      v.sort((a, b) => a - b);
      return v[Math.min(v.length, Math.ceil(nominal * (v.length / H + 1) * H - 1e-9)) - 1]!;
    };
    const cb = kth(sb);
    const cc = kth(sc);
    let inB = 0;
    let inC = 0;
    let wB = 0;
    let wC = 0;
    for (let i = 0; i < testA.length; i++) {
      const a = testA[i]!;
      const l = testRaw[i * Q + lo]!;
      const u = testRaw[i * Q + hi]!;
      const w = u - l;
      if (a >= l - cb * w && a <= u + cb * w) inB++;
      if (a >= l - cc && a <= u + cc) inC++;
      wB += w * (1 + 2 * cb);
      wC += w + 2 * cc;
    }
    out.push(`${pct(nominal)}%: B ${pct(inB / testA.length)} (w ${(wB / testA.length).toPrecision(3)}), C ${pct(inC / testA.length)} (w ${(wC / testA.length).toPrecision(3)})`);
  }
  // S: standard CQR, the per-step offsets with their sign (the forecaster only widens).
  const actual = new Float64Array(origins.length * H).fill(NaN);
  origins.forEach((e, k) => {
    for (let h = 0; h < H; h++) if (e + 1 + h >= tEnd && e + 1 + h < vEnd) actual[k * H + h] = set.y[e + 1 + h]!;
  });
  const scale = f.yScaler!.scale[0]!;
  const signed = applyConformal(Float64Array.from(testRaw), lv, H, fitConformal([{ values: raw, actual, scale }], lv, H), scale);
  for (const [lo, hi] of [[1, 3], [0, 4]] as const) {
    let k = 0;
    for (let i = 0; i < testA.length; i++) if (testA[i]! >= signed[i * Q + lo]! && testA[i]! <= signed[i * Q + hi]!) k++;
    out.push(`S ${pct(lv[hi]! - lv[lo]!)}%: ${pct(k / testA.length)}`);
  }
  console.log(`  ${name} seed ${seed} variants: ${out.join('; ')}; ${testO.length} test windows`);
}
const table: string[] = ['| series (rows, lookback/horizon) | nominal | as trained: coverage | calibrated: coverage | width as trained → calibrated | fit s |', '| --- | --- | --- | --- | --- | --- |'];
for (const name of names) {
  const make = SETS[name];
  if (make === undefined) throw new Error(`unknown series ${name}; one of ${Object.keys(SETS).join(', ')}`);
  const set = make();
  const acc = new Map<string, { raw: number[]; cal: number[]; wr: number[]; wc: number[] }>();
  let secs = 0;
  let note = '';
  for (const seed of seeds) {
    const f = new Forecaster({ lookback: set.lookback, horizon: set.horizon, ...(set.season !== undefined ? { season: set.season } : {}), quantiles: [0.05, 0.1, 0.5, 0.9, 0.95], seed, ...extra });
    const t0 = performance.now();
    await f.fit(set.y, { seed: seed + 100, ...(set.times !== undefined ? { times: set.times } : {}) });
    const s = (performance.now() - t0) / 1000;
    secs += s / seeds.length;
    const ev = f.evaluate(set.y, { holtWinters: false, ets: false, sarima: false, ...(set.times !== undefined && f.calendar !== null ? { times: set.times } : {}) });
    const q = ev.quantiles!;
    note = q.note ?? '';
    if (variants) variantLine(f, set, ev.origins, ev.actual, q.uncalibrated?.values ?? q.values, name, seed);
    const line = q.intervals.map((iv) => {
      const k = `${pct(iv.nominal)}%`;
      const a = acc.get(k) ?? { raw: [], cal: [], wr: [], wc: [] };
      a.raw.push(iv.uncalibrated.coverage);
      a.cal.push(iv.coverage);
      a.wr.push(iv.uncalibrated.width);
      a.wc.push(iv.width);
      acc.set(k, a);
      return `${k}: ${pct(iv.uncalibrated.coverage)} → ${pct(iv.coverage)} (width ${iv.uncalibrated.width.toPrecision(3)} → ${iv.width.toPrecision(3)})`;
    });
    console.log(`${name} seed ${seed}: ${line.join('; ')}; test MAE ${ev.model.mae.toPrecision(4)}; fit ${s.toFixed(1)} s${q.note !== undefined ? `; ${q.note}` : ''}`);
  }
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const range = (v: number[]): string => (v.length > 1 ? ` (${pct(Math.min(...v))}–${pct(Math.max(...v))})` : '');
  for (const [k, a] of acc) {
    table.push(`| ${name} (${set.y.length}, ${set.lookback}/${set.horizon}) | ${k} | ${pct(mean(a.raw))}${range(a.raw)} | ${pct(mean(a.cal))}${range(a.cal)} | ${mean(a.wr).toPrecision(3)} → ${mean(a.wc).toPrecision(3)} | ${secs.toFixed(1)} |`);
  }
  if (note !== '') table.push(`| ${name}: ${note} | | | | | |`);
}
console.log(`\nTest-part coverage, mean of seeds ${seeds.join(', ')} (min–max); ${JSON.stringify(extra)}\n`);
for (const l of table) console.log(l);
