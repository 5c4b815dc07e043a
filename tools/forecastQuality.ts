/**
 * Forecast quality on the two built-in series (vega-datasets, a devDependency), on the issue's
 * protocol: CO2 monthly (lookback 24, horizon 12, season 12) and Seattle daily maximum
 * temperature (lookback 30, horizon 7); the test part is the last 20% of the rows, every origin.
 * Settings are chosen on the VALIDATION part (the 10% before the test part, scored the same
 * way); the test part is reported for the final defaults only.
 *
 *   npx tsx tools/forecastQuality.ts co2|seattle [forecasterArgs JSON] [fitOptions JSON] [seeds, e.g. 1,2,3] [--no-times]
 *
 * Prints one line per seed (validation MAE, test MAE, epochs, seconds) and the means, beside the
 * Holt-Winters baseline of Forecaster.evaluate.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Forecaster, chronologicalSplit, type ForecasterArgs, type ForecastFitOptions } from '../src/index.js';

const DATA = join(dirname(dirname(createRequire(import.meta.url).resolve('vega-datasets'))), 'data');
const SETS = {
  co2: { file: 'co2-concentration.csv', time: 'Date', target: 'CO2', lookback: 24, horizon: 12, season: 12 as number | undefined },
  seattle: { file: 'seattle-weather.csv', time: 'date', target: 'temp_max', lookback: 30, horizon: 7, season: undefined as number | undefined },
};

const args = process.argv.slice(2).filter((a) => a !== '--no-times');
const noTimes = process.argv.includes('--no-times');
const set = SETS[(args[0] ?? 'co2') as keyof typeof SETS];
if (set === undefined) throw new Error(`unknown series ${args[0]}; co2 or seattle`);
const extra = JSON.parse(args[1] ?? '{}') as Partial<ForecasterArgs>;
const fitExtra = JSON.parse(args[2] ?? '{}') as ForecastFitOptions;
const seeds = (args[3] ?? '1,2,3').split(',').map(Number);

const rows = parse(readFileSync(join(DATA, set.file), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
const y = rows.map((r) => Number(r[set.target]));
const times = rows.map((r) => Date.parse(r[set.time]!));
const split = chronologicalSplit(y.length, { validation: 0.1, test: 0.2 });
// The validation part scored as a test part: the series up to it, its last (validation) rows.
const vRows = split.validationEnd;
const vFrac = (split.validationEnd - split.trainEnd) / vRows;
if (vRows - Math.round(vRows * vFrac) !== split.trainEnd) throw new Error('validation fraction does not reproduce the split');

let hwTest = NaN;
let sarimaTest = NaN;
const res: { v: number; t: number; epochs: number; s: number }[] = [];
for (const seed of seeds) {
  const t0 = performance.now();
  const f = new Forecaster({ lookback: set.lookback, horizon: set.horizon, ...(set.season !== undefined ? { season: set.season } : {}), seed, ...extra });
  const h = await f.fit(y, { seed: seed + 100, ...(noTimes ? {} : { times }), ...fitExtra });
  const s = (performance.now() - t0) / 1000;
  const tOpt = noTimes || f.calendar === null ? {} : { times };
  const tOptV = noTimes || f.calendar === null ? {} : { times: times.slice(0, vRows) };
  const v = f.evaluate(y.slice(0, vRows), { test: vFrac, holtWinters: false, sarima: false, ...tOptV }).model.mae;
  // The classical baselines do not depend on the seed: fitted once, with the first seed.
  const ev = f.evaluate(y, { holtWinters: Number.isNaN(hwTest), sarima: Number.isNaN(sarimaTest) && set.season !== undefined, ...tOpt });
  if (ev.holtWinters !== undefined) hwTest = ev.holtWinters.mae;
  if (ev.sarima !== undefined) sarimaTest = ev.sarima.mae;
  res.push({ v, t: ev.model.mae, epochs: h.epoch.length, s });
  const q = ev.quantiles === undefined ? '' : `  interval ${ev.quantiles.levels[0]}–${ev.quantiles.levels.at(-1)} coverage ${(100 * ev.quantiles.coverage).toFixed(1)}% (below each: ${ev.quantiles.below.map((b) => (100 * b).toFixed(1)).join(', ')}%)`;
  console.log(`seed ${seed}: validation MAE ${v.toFixed(4)}  test MAE ${ev.model.mae.toFixed(4)}  epochs ${h.epoch.length}  ${s.toFixed(1)} s${q}`);
}
const mean = (k: 'v' | 't' | 's'): number => res.reduce((a, r) => a + r[k], 0) / res.length;
console.log(`${args[0] ?? 'co2'} ${JSON.stringify(extra)} ${JSON.stringify(fitExtra)}${noTimes ? ' no times' : ''}: mean validation MAE ${mean('v').toFixed(4)}, mean test MAE ${mean('t').toFixed(4)} (min ${Math.min(...res.map((r) => r.t)).toFixed(4)}, max ${Math.max(...res.map((r) => r.t)).toFixed(4)}), ${mean('s').toFixed(1)} s per fit; Holt-Winters test MAE ${hwTest.toFixed(4)}${Number.isNaN(sarimaTest) ? '' : `, SARIMA ${sarimaTest.toFixed(4)}`}`);
