/**
 * Forecast combinations on CO2 (the protocol: lookback 24, horizon 12, season 12; test
 * part the last 20%, validation the 10% before it), scored on the VALIDATION part to decide and
 * on the test part to report. The figures behind the README's "also tried" sentence:
 *
 *   npx tsx tools/forecastCombos.ts lookbacks [seeds, e.g. 1,2,3]   the median and the mean of
 *       the default model at lookbacks 24, 36 and 48 (every model scored on the origins the
 *       longest one allows, so all on the same windows)
 *   npx tsx tools/forecastCombos.ts sarima [seeds]                  the default model averaged
 *       with SARIMA (1,1,1)(0,1,1)12 fitted on the training part (weights 0.25, 0.5, 0.75 on the
 *       network)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Forecaster, chronologicalSplit, forecastMetrics, windowOrigins } from '../src/index.js';
import { defaultSarimaSpec, fitSarima, sarimaRolling } from '../src/timeseries/sarima.js';

const DATA = join(dirname(dirname(createRequire(import.meta.url).resolve('vega-datasets'))), 'data');
const rows = parse(readFileSync(join(DATA, 'co2-concentration.csv'), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
const y = rows.map((r) => Number(r.CO2));
const times = rows.map((r) => Date.parse(r.Date!));
const mode = process.argv[2] ?? 'lookbacks';
if (mode !== 'lookbacks' && mode !== 'sarima') throw new Error(`unknown mode ${mode}; lookbacks or sarima`);
const seeds = (process.argv[3] ?? '1,2,3').split(',').map(Number);
const split = chronologicalSplit(y.length, { validation: 0.1, test: 0.2 });
const R = split.validationEnd;
const H = 12;
const Ls = mode === 'lookbacks' ? [24, 36, 48] : [24];
const Lmax = Math.max(...Ls);
const vO = windowOrigins(R, { lookback: Lmax, horizon: H, targetStart: split.trainEnd });
const tO = windowOrigins(y.length, { lookback: Lmax, horizon: H, targetStart: R });
const act = (o: number[]): Float64Array => Float64Array.from(o.flatMap((e) => Array.from({ length: H }, (_, h) => y[e + 1 + h]!)));
const [aV, aT] = [act(vO), act(tO)];
const mae = (a: Float64Array, p: Float64Array): string => forecastMetrics(a, p).mae.toFixed(4);
let sV: Float64Array | null = null;
let sT: Float64Array | null = null;
if (mode === 'sarima') {
  // Fitted on the training part only, as the network's Holt-Winters reference is, then rolled with fixed parameters.
  const m = fitSarima(y.slice(0, split.trainEnd), defaultSarimaSpec(12));
  sV = sarimaRolling(m, y.slice(0, R), vO, H);
  sT = sarimaRolling(m, y, tO, H);
  console.log(`SARIMA (training part): validation MAE ${mae(aV, sV)}, test MAE ${mae(aT, sT)}`);
}
for (const seed of seeds) {
  const pv: Float64Array[] = [];
  const pt: Float64Array[] = [];
  const out: string[] = [];
  for (const L of Ls) {
    const t0 = performance.now();
    // The network alone (as when these figures were taken): the combination with a classical model is measured by forecastSeries.ts.
    const f = new Forecaster({ lookback: L, horizon: H, season: 12, seed, combine: false });
    await f.fit(y, { seed: seed + 100, times });
    pv.push(f.predictFrom(y.slice(0, R), vO, H, { times: times.slice(0, R) }));
    pt.push(f.predictFrom(y, tO, H, { times }));
    out.push(`L${L} val ${mae(aV, pv.at(-1)!)} test ${mae(aT, pt.at(-1)!)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    f.dispose();
  }
  if (mode === 'lookbacks') {
    const med = (ps: Float64Array[]): Float64Array => ps[0]!.map((_, i) => ps.map((p) => p[i]!).sort((a, b) => a - b)[(ps.length - 1) >> 1]!);
    const mean = (ps: Float64Array[]): Float64Array => ps[0]!.map((_, i) => ps.reduce((a, p) => a + p[i]!, 0) / ps.length);
    out.push(`median val ${mae(aV, med(pv))} test ${mae(aT, med(pt))}`, `mean val ${mae(aV, mean(pv))} test ${mae(aT, mean(pt))}`);
  } else {
    for (const w of [0.25, 0.5, 0.75]) out.push(`w${w}: val ${mae(aV, pv[0]!.map((v, i) => w * v + (1 - w) * sV![i]!))} test ${mae(aT, pt[0]!.map((v, i) => w * v + (1 - w) * sT![i]!))}`);
  }
  console.log(`seed ${seed}: ${out.join(' | ')}`);
}
// Worker threads a backend may hold would keep the process alive.
process.exit(0);
