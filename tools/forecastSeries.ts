/**
 * Issue 19's quality table over many real series: rnnkit's default Forecaster (its network
 * combined with the classical model fit chose on the validation part, combine 'auto') against
 * the classical baselines of Forecaster.evaluate (Holt-Winters, ETS, SARIMA or ARIMA(1,1,1) with
 * yearly Fourier pairs for daily/weekly rows, ARIMA(1,1,1) otherwise, fitted on the rows before
 * the test part, parameters then fixed), the last value and the seasonal naive forecast. Test
 * part = the last 20% of the rows, every origin; validation = the 10% before it (what the
 * combination is chosen on). Per seed: validation MAE of the network, the classical candidates
 * and the combination; test MAE of the network alone (reported, never used to choose) and of
 * the default. The series: vega-datasets' CO2 and Seattle, and the datasets bundled with
 * Debian's python3-statsmodels, read from their CSV files (no Python needed).
 *
 *   npx tsx tools/forecastSeries.ts [--seeds 1,2,3] [--only co2,nile,...] [--combine auto|false] [--rows N] [--lookback N] [--horizon N]
 *
 * --rows N keeps each series' first N rows: a short series (a few years of monthly sales) is
 * what many users have, and where the network has the fewest windows to learn from.
 * --lookback/--horizon replace every series' own (short series need shorter windows).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { Forecaster, etsName, fillGaps, forecastMetrics, sarimaName, type ForecastEvaluation } from '../src/index.js';
import { combinationWeights, scoredMae } from '../src/timeseries/forecaster.js';

const VEGA = join(dirname(dirname(createRequire(import.meta.url).resolve('vega-datasets'))), 'data');
const SM = '/usr/lib/python3/dist-packages/statsmodels/datasets';
type Loaded = { y: number[]; times?: number[] };
const csv = (file: string): Record<string, string>[] => parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, bom: true, trim: true }) as Record<string, string>[];
const column = (file: string, time: (r: Record<string, string>) => number | undefined, col: string): Loaded => {
  const rows = csv(file);
  const t = rows.map(time);
  return { y: rows.map((r) => Number(r[col])), ...(t[0] === undefined ? {} : { times: t as number[] }) };
};
const quarter = (r: Record<string, string>): number => Date.UTC(Number(r.year), 3 * (Number(r.quarter) - 1), 1);

interface SetDef {
  label: string;
  load: () => Loaded;
  lookback: number;
  horizon: number;
  season?: number;
  needs: string;
}
const SETS: Record<string, SetDef> = {
  co2: { label: 'CO2 monthly (vega)', needs: join(VEGA, 'co2-concentration.csv'), lookback: 24, horizon: 12, season: 12, load: () => column(join(VEGA, 'co2-concentration.csv'), (r) => Date.parse(r.Date!), 'CO2') },
  seattle: { label: 'Seattle max temp daily (vega)', needs: join(VEGA, 'seattle-weather.csv'), lookback: 30, horizon: 7, load: () => column(join(VEGA, 'seattle-weather.csv'), (r) => Date.parse(r.date!), 'temp_max') },
  elnino: {
    label: 'El Niño SST monthly (sm)',
    needs: join(SM, 'elnino/elnino.csv'),
    lookback: 24,
    horizon: 12,
    season: 12,
    load: () => {
      // One row per year, one column per month: unrolled to one row per month.
      const rows = csv(join(SM, 'elnino/elnino.csv'));
      const months = Object.keys(rows[0]!).filter((k) => k !== 'YEAR');
      const y: number[] = [];
      const times: number[] = [];
      for (const r of rows) months.forEach((m, i) => (y.push(Number(r[m])), times.push(Date.UTC(Number(r.YEAR), i, 1))));
      return { y, times };
    },
  },
  elec: { label: 'Electrical equipment monthly (sm)', needs: join(SM, 'elec_equip/elec_equip.csv'), lookback: 24, horizon: 12, season: 12, load: () => column(join(SM, 'elec_equip/elec_equip.csv'), (r) => Date.parse(r.DATE!), 'STS.M.I7.W.TOVT.NS0016.4.000') },
  co2weekly: {
    label: 'CO2 weekly (sm, gaps filled linearly)',
    needs: join(SM, 'co2/co2.csv'),
    lookback: 26,
    horizon: 8,
    load: () => {
      const rows = csv(join(SM, 'co2/co2.csv'));
      const filled = fillGaps(rows.map((r) => [r.co2 === '' ? NaN : Number(r.co2)]), 'linear');
      return { y: Array.from(filled.data), times: rows.map((r) => Date.UTC(Number(r.date!.slice(0, 4)), Number(r.date!.slice(4, 6)) - 1, Number(r.date!.slice(6, 8)))) };
    },
  },
  sunspots: { label: 'Sunspots yearly (sm)', needs: join(SM, 'sunspots/sunspots.csv'), lookback: 22, horizon: 5, load: () => column(join(SM, 'sunspots/sunspots.csv'), () => undefined, 'SUNACTIVITY') },
  nile: { label: 'Nile flow yearly (sm)', needs: join(SM, 'nile/nile.csv'), lookback: 10, horizon: 3, load: () => column(join(SM, 'nile/nile.csv'), () => undefined, 'volume') },
  unemp: { label: 'US unemployment quarterly (sm)', needs: join(SM, 'macrodata/macrodata.csv'), lookback: 12, horizon: 4, load: () => column(join(SM, 'macrodata/macrodata.csv'), quarter, 'unemp') },
  infl: { label: 'US inflation quarterly (sm)', needs: join(SM, 'macrodata/macrodata.csv'), lookback: 12, horizon: 4, load: () => column(join(SM, 'macrodata/macrodata.csv'), quarter, 'infl') },
};

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '1,2,3' }, only: { type: 'string' }, combine: { type: 'string', default: 'auto' }, rows: { type: 'string' }, lookback: { type: 'string' }, horizon: { type: 'string' } } });
const positive = (name: 'rows' | 'lookback' | 'horizon'): number | undefined => {
  const v = values[name] === undefined ? undefined : Number(values[name]);
  if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`--${name}: a positive integer, got ${values[name]}`);
  return v;
};
const [keepRows, lookbackArg, horizonArg] = [positive('rows'), positive('lookback'), positive('horizon')];
for (const set of Object.values(SETS)) [set.lookback, set.horizon] = [lookbackArg ?? set.lookback, horizonArg ?? set.horizon];
const seeds = values.seeds!.split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds: integers separated by commas, got ${values.seeds}`);
const only = values.only === undefined ? Object.keys(SETS) : values.only.split(',');
for (const k of only) if (!(k in SETS)) throw new Error(`--only: unknown series '${k}'; one of ${Object.keys(SETS).join(', ')}`);
if (values.combine !== 'auto' && values.combine !== 'false') throw new Error(`--combine: auto or false, got ${values.combine}`);
const combine = values.combine === 'auto' ? 'auto' : false;

const f3 = (v: number | undefined): string => (v === undefined ? '—' : v.toPrecision(4));
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const head = ['series', 'rnnkit default (seeds mean, range)', 'network alone', 'Holt-Winters', 'ETS', 'SARIMA/ARIMA', 'last', 'seasonal naive', 'ratio to best classical', 'val: net / classical / combined'];
const table: string[][] = [];
const notes: string[] = [];
/**
 * How the weights are chosen, judged on the validation part alone: chosen on its first half of
 * windows (combinationWeights, as fit chooses them), scored on its second half (origins H − 1
 * apart, so no target row is in both); MAE relative to the better part.
 */
const halves: string[] = [];
/**
 * Each method's test MAE over the best classical model's on that series (the ratio column, which
 * picks the best after the fact): how often the issue's "within 2%" holds for the default, and
 * for each classical model had a user picked it alone.
 */
const againstBest: Record<string, number[]> = { 'rnnkit default': [], 'network alone': [], 'Holt-Winters': [], ETS: [], 'SARIMA/ARIMA': [] };
const halfRatios: { combined: number; network: number; classical: number }[] = [];
function splitHalves(key: string, seed: number, v: NonNullable<Forecaster['combinationValidation']>, H: number): void {
  const N = v.origins.length;
  const a = Math.floor((N - (H - 1)) / 2);
  if (a < 2) return;
  const b0 = a + H - 1;
  const part = (x: Float64Array, from: number, to: number): Float64Array => x.subarray(from * H, to * H);
  const [n1, c1, y1] = [part(v.network, 0, a), part(v.classical, 0, a), part(v.actual, 0, a)];
  const [n2, c2, y2] = [part(v.network, b0, N), part(v.classical, b0, N), part(v.actual, b0, N)];
  const weights = combinationWeights(n1, c1, y1, H);
  // Only the scored points (actual NaN: a step outside the validation part).
  const mae = (p: ArrayLike<number>, y: Float64Array): number => scoredMae(y, p);
  const blend = (w: (h: number) => number): Float64Array => n2.map((x, i) => w(i % H) * x + (1 - w(i % H)) * c2[i]!);
  const r = { combined: mae(blend((h) => weights[h]!), y2), network: mae(n2, y2), classical: mae(c2, y2) };
  const best = Math.min(r.network, r.classical);
  halfRatios.push({ combined: r.combined / best, network: r.network / best, classical: r.classical / best });
  halves.push(`${key} seed ${seed}: 2nd half of validation (${N - b0} windows), MAE combined ${f3(r.combined)}, network ${f3(r.network)}, classical ${f3(r.classical)}`);
}
for (const key of only) {
  const set = SETS[key]!;
  if (!existsSync(set.needs)) {
    notes.push(`${key}: ${set.needs} not found, skipped`);
    continue;
  }
  const loaded = set.load();
  const y = keepRows === undefined ? loaded.y : loaded.y.slice(0, keepRows);
  const times = keepRows === undefined || loaded.times === undefined ? loaded.times : loaded.times.slice(0, keepRows);
  const test: number[] = [];
  const alone: number[] = [];
  const val: [number, number, number][] = [];
  const secs: number[] = [];
  let base: ForecastEvaluation | undefined;
  for (const seed of seeds) {
    const t0 = performance.now();
    const f = new Forecaster({ lookback: set.lookback, horizon: set.horizon, ...(set.season !== undefined ? { season: set.season } : {}), combine, seed });
    await f.fit(y, { seed: seed + 100, ...(times !== undefined ? { times } : {}) });
    secs.push((performance.now() - t0) / 1000);
    const opts = f.calendar === null || times === undefined ? {} : { times };
    const ev = f.evaluate(y, { ...opts, holtWinters: base === undefined, ets: base === undefined, sarima: base === undefined ? true : false });
    base ??= ev;
    test.push(ev.model.mae);
    const c = f.combination;
    if (f.combinationValidation !== null) splitHalves(key, seed, f.combinationValidation, set.horizon);
    if (c !== null) {
      val.push([c.validation.network, Math.min(c.validation.ets ?? Infinity, c.validation.sarima ?? Infinity), c.validation.combined]);
      f.combination = null;
      alone.push(forecastMetrics(ev.actual, f.predictFrom(y, ev.origins, set.horizon, opts)).mae);
      f.combination = c;
      notes.push(`${key} seed ${seed}: ${c.name}, network weights ${c.weights.map((w) => w.toFixed(2)).join(' ')}; classical fits ${c.seconds.toFixed(1)} s of ${secs.at(-1)!.toFixed(1)} s`);
    } else {
      alone.push(ev.model.mae);
      notes.push(`${key} seed ${seed}: no combination${f.combinationNote !== null ? ` (${f.combinationNote})` : ''}; fit ${secs.at(-1)!.toFixed(1)} s`);
    }
    console.error(`${key} seed ${seed}: test MAE ${ev.model.mae.toFixed(4)} (network alone ${alone.at(-1)!.toFixed(4)}), ${secs.at(-1)!.toFixed(1)} s`);
    f.dispose();
  }
  const b = base!;
  const classical = [b.holtWinters?.mae, b.ets?.mae, b.sarima?.mae].filter((v): v is number => v !== undefined);
  const best = Math.min(...classical);
  const m = mean(test);
  if (classical.length > 0) {
    for (const [k, v] of [['rnnkit default', m], ['network alone', mean(alone)], ['Holt-Winters', b.holtWinters?.mae], ['ETS', b.ets?.mae], ['SARIMA/ARIMA', b.sarima?.mae]] as const) {
      if (v !== undefined) againstBest[k]!.push(v / best);
    }
  }
  table.push([
    `${set.label} ${set.lookback}/${set.horizon}${set.season !== undefined ? ` s${set.season}` : ''}, ${y.length} rows`,
    `${f3(m)} (${f3(Math.min(...test))}–${f3(Math.max(...test))})`,
    f3(mean(alone)),
    f3(b.holtWinters?.mae),
    f3(b.ets?.mae),
    f3(b.sarima?.mae),
    f3(b.lastValue.mae),
    f3(b.seasonalNaive?.mae),
    classical.length > 0 ? (m / best).toFixed(3) : '—',
    val.length > 0 ? `${f3(mean(val.map((v) => v[0])))} / ${f3(mean(val.map((v) => v[1])))} / ${f3(mean(val.map((v) => v[2])))}` : '—',
  ]);
  notes.push(`${key}: ${b.windows} test origins; baselines ETS (${b.etsModel === undefined ? '—' : etsName(b.etsModel)}), ${b.sarimaModel === undefined ? '—' : sarimaName(b.sarimaModel)}; fit mean ${mean(secs).toFixed(1)} s`);
}
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`Test-part MAE (last 20% of the rows, every origin), seeds ${seeds.join(',')}, combine ${String(combine)}${keepRows === undefined ? '' : `, each series' first ${keepRows} rows`}`);
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table) console.log(line(r));
for (const [k, r] of Object.entries(againstBest)) {
  if (r.length === 0) continue;
  const within = r.filter((x) => x <= 1.02).length;
  console.log(`${k}: MAE / best classical's, geometric mean ${Math.exp(mean(r.map(Math.log))).toFixed(3)}, within 2% on ${within} of ${r.length}, worst ${Math.max(...r).toFixed(3)}`);
}
for (const n of notes) console.log(n);
for (const h of halves) console.log(h);
if (halfRatios.length > 0) {
  const gm = (k: keyof (typeof halfRatios)[number]): string => Math.exp(mean(halfRatios.map((r) => Math.log(r[k])))).toFixed(4);
  console.log(`Validation halves, geometric mean of MAE / better part's over ${halfRatios.length} fits: combined ${gm('combined')}, network ${gm('network')}, classical ${gm('classical')}`);
}
// Worker threads a backend may hold would keep the process alive.
process.exit(0);
