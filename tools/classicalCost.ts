/**
 * CPU seconds of the classical fits the Forecaster runs in every fit (combine 'auto') and
 * evaluate (its baselines), on the series the notes quote: CO2's 593 training rows (season 12),
 * Seattle's daily maxima with two yearly Fourier pairs (ARIMA(1,1,1)), and a synthetic hourly
 * series with a daily season, whole and as the Forecaster's SARIMA fits it (sarimaFitStart).
 *   npx tsx tools/classicalCost.ts [--rounds 3] [--many]
 * Prints the best of the rounds per fit. --many: also fitMany on 20 synthetic monthly series of
 * 150 rows (season 12), with the per-series combination (combine 'auto') and without: CPU seconds
 * of the fit and the pooled test MAE (one round). Compare two versions by running this in a checkout
 * of each, alternately, on a quiet machine.
 */
import { parseArgs } from 'node:util';
import { Forecaster, defaultSarimaSpec, fitSarima, sarimaFitStart, selectEts, selectHoltWinters, yearlyFourierExog } from '../src/index.js';
import { co2, vegaCsv } from '../test/helpers/classical.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, many: { type: 'boolean' } } });
const rounds = Number(values.rounds ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be a positive integer, got ${values.rounds}`);

function cpu(fn: () => unknown): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t);
    best = Math.min(best, (d.user + d.system) / 1e6);
  }
  return best;
}

const co2Train = Float64Array.from(co2.slice(0, 593));
const sea = vegaCsv('seattle-weather.csv');
const seaY = Float64Array.from(sea.column('temp_max').slice(0, 1169));
const seaX = yearlyFourierExog(sea.dates('date').slice(0, 1169), 86_400_000, 2)!.exog;
let seed = 1;
const hourly = Float64Array.from({ length: 6400 }, (_, i) => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return 50 + 10 * Math.sin((2 * Math.PI * i) / 24) + 0.001 * i + (seed / 2 ** 31 - 0.5);
});
const from = sarimaFitStart(hourly.length, defaultSarimaSpec(24));
const rows: [string, () => unknown][] = [
  ['ETS selection, CO2 (593 rows, season 12)', () => selectEts(co2Train, { period: 12 })],
  ['Holt-Winters selection, CO2', () => selectHoltWinters(co2Train, { period: 12 })],
  ['SARIMA (1,1,1)(0,1,1)12, CO2', () => fitSarima(co2Train, defaultSarimaSpec(12))],
  ['ARIMA(1,1,1) + 2 yearly Fourier pairs, Seattle (1,169 rows)', () => fitSarima(seaY, { ...defaultSarimaSpec(), exog: seaX })],
  ['ETS selection, hourly (6,400 rows, season 24)', () => selectEts(hourly, { period: 24 })],
  [`SARIMA (1,1,1)(0,1,1)24, hourly: the last ${hourly.length - from} rows (sarimaFitStart)`, () => fitSarima(hourly.subarray(from), defaultSarimaSpec(24))],
];
for (const [name, fn] of rows) console.log(`${cpu(fn).toFixed(2).padStart(7)} s  ${name}`);

if (values.many === true) {
  // Levels 10–100, seasonal amplitudes up to 20% of the level, small drifts, 5% noise (seeded).
  let s = 5;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const series: Record<string, number[]> = {};
  for (let k = 0; k < 20; k++) {
    const level = 10 + 90 * u();
    const amp = level * 0.2 * u();
    const drift = 0.1 * (u() - 0.5);
    series[`s${k}`] = Array.from({ length: 150 }, (_, i) => level + drift * i + amp * Math.sin((2 * Math.PI * i) / 12) + 0.05 * level * (u() - 0.5));
  }
  for (const combine of ['auto', false] as const) {
    const f = new Forecaster({ lookback: 24, horizon: 6, season: 12, seed: 1, combine });
    const t = process.cpuUsage();
    await f.fitMany(series, { seed: 2 });
    const d = process.cpuUsage(t);
    const ev = f.evaluateMany(series, { holtWinters: false, ets: false, sarima: false });
    console.log(`${((d.user + d.system) / 1e6).toFixed(2).padStart(7)} s  fitMany, 20 monthly series of 150 rows, combine ${String(combine)}: pooled test MAE ${ev.pooled.model.mae.toFixed(4)}`);
    f.dispose();
  }
  // Worker threads the fits may hold would keep the process alive.
  process.exit(0);
}
