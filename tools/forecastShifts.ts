/**
 * Regime changes the training part never showed, on synthetic series with a known answer: the
 * default Forecaster (network combined with ETS or SARIMA), the network alone, the classical
 * baselines of Forecaster.evaluate (parameters fixed after the rows before the test part) and
 * the last value, test MAE (last 20% of the rows, every origin). The figures behind the README's
 * sentences on the 'holtWinters' reference's band and the combination's guard (ONE_STEP_BAND).
 *
 *   npx tsx tools/forecastShifts.ts [--seeds 1,2,3]
 */
import { parseArgs } from 'node:util';
import { Forecaster } from '../src/index.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '1,2,3' } } });
const seeds = values.seeds!.split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds: integers separated by commas, got ${values.seeds}`);

/** Seeded standard normal draws (Box–Muller on an LCG), so every run sees the same series. */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / (2 ** 32 + 1);
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

interface Case {
  label: string;
  y: number[];
  lookback: number;
  horizon: number;
  season?: number;
}
const g = normals(11);
const sin12 = (i: number): number => Math.sin((2 * Math.PI * i) / 12);
const CASES: Case[] = [
  { label: 'level 10 → 30 at row 270 (test part from 240)', lookback: 12, horizon: 4, y: Array.from({ length: 300 }, (_, i) => (i < 270 ? 10 : 30) + 0.3 * g()) },
  { label: 'seasonal, level 10 → 25 at row 260', lookback: 24, horizon: 6, season: 12, y: Array.from({ length: 300 }, (_, i) => (i < 260 ? 10 : 25) + 3 * sin12(i) + 0.3 * g()) },
  { label: 'slope +0.1 → −0.3 at row 250', lookback: 12, horizon: 4, y: Array.from({ length: 300 }, (_, i) => (i < 250 ? 0.1 * i : 25 - 0.3 * (i - 250)) + 0.5 * g()) },
  { label: 'seasonal, one outlier (×50) at row 100', lookback: 24, horizon: 6, season: 12, y: Array.from({ length: 300 }, (_, i) => (i === 100 ? 500 : 10 + 3 * sin12(i) + 0.3 * g())) },
];

const f4 = (v: number | undefined): string => (v === undefined ? '—' : v.toPrecision(4));
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
console.log(`Test-part MAE, seeds ${seeds.join(',')} (mean)`);
console.log('| series | rnnkit default | network alone | Holt-Winters | ETS | SARIMA/ARIMA | last value |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const c of CASES) {
  const model: number[] = [];
  const alone: number[] = [];
  let base: ReturnType<Forecaster['evaluate']> | undefined;
  for (const seed of seeds) {
    for (const combine of ['auto', false] as const) {
      const f = new Forecaster({ lookback: c.lookback, horizon: c.horizon, ...(c.season !== undefined ? { season: c.season } : {}), combine, seed });
      await f.fit(c.y, { seed: seed + 100 });
      const first = base === undefined;
      const ev = f.evaluate(c.y, { holtWinters: first, ets: first, sarima: first });
      base ??= ev;
      (combine === 'auto' ? model : alone).push(ev.model.mae);
      f.dispose();
    }
  }
  const b = base!;
  console.log(`| ${c.label} | ${f4(mean(model))} | ${f4(mean(alone))} | ${f4(b.holtWinters?.mae)} | ${f4(b.ets?.mae)} | ${f4(b.sarima?.mae)} | ${f4(b.lastValue.mae)} |`);
}
// Worker threads a backend may hold would keep the process alive.
process.exit(0);
