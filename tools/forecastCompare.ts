/**
 * The baseline comparison table of issue 19, in one run: CO2 monthly (lookback 24, horizon 12,
 * season 12) and Seattle daily maximum temperature (lookback 30, horizon 7); test part = the
 * last 20% of the rows, every origin; MAE of rnnkit's default forecaster (mean over the seeds),
 * our Holt-Winters and ETS (Forecaster.evaluate's baselines: fitted on the rows before the test
 * part, parameters then fixed), our SARIMA (defaultSarimaSpec: the airline model
 * (1,1,1)(0,1,1)m, or (1,1,1) without a season; fitSarima on the same rows, sarimaRolling over the
 * same origins), the last value, and — when /usr/bin/python3 has statsmodels — statsmodels' own
 * Holt-Winters, ETS and SARIMAX (the same orders) on the same protocol
 * (tools/statsmodels_baselines.py).
 *
 *   npx tsx tools/forecastCompare.ts [--seeds 1,2,3] [--only co2|seattle] [--no-statsmodels]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { Forecaster, defaultSarimaSpec, etsName, fitSarima, forecastMetrics, holtWintersName, sarimaName, sarimaRolling } from '../src/index.js';

const DATA = join(dirname(dirname(createRequire(import.meta.url).resolve('vega-datasets'))), 'data');
const SETS = {
  co2: { label: 'CO2 monthly (24/12, season 12)', file: 'co2-concentration.csv', time: 'Date', target: 'CO2', lookback: 24, horizon: 12, season: 12 as number | undefined },
  seattle: { label: 'Seattle max temp (30/7)', file: 'seattle-weather.csv', time: 'date', target: 'temp_max', lookback: 30, horizon: 7, season: undefined as number | undefined },
};
const { values } = parseArgs({ options: { seeds: { type: 'string', default: '1,2,3' }, only: { type: 'string' }, 'no-statsmodels': { type: 'boolean' } } });
const seeds = values.seeds!.split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds: integers separated by commas, got ${values.seeds}`);
if (values.only !== undefined && !(values.only in SETS)) throw new Error(`--only: co2 or seattle, got ${values.only}`);
const PY = '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), 'statsmodels_baselines.py');
const withStatsmodels = values['no-statsmodels'] !== true && existsSync(PY) && spawnSync(PY, ['-c', 'import statsmodels']).status === 0;

const f4 = (v: number | undefined): string => (v === undefined ? '—' : v.toFixed(3));
const table: string[][] = [];
const head = ['series', 'rnnkit default', 'Holt-Winters', 'ETS', 'SARIMA', 'last value', ...(withStatsmodels ? ['sm Holt-Winters', 'sm ETS', 'sm SARIMAX'] : [])];
const notes: string[] = [];
for (const [key, set] of Object.entries(SETS)) {
  if (values.only !== undefined && values.only !== key) continue;
  const rows = parse(readFileSync(join(DATA, set.file), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const y = rows.map((r) => Number(r[set.target]));
  const times = rows.map((r) => Date.parse(r[set.time]!));
  const maes: number[] = [];
  let hw: number | undefined;
  let ets: number | undefined;
  let last: number | undefined;
  let sarima: number | undefined;
  for (const seed of seeds) {
    const f = new Forecaster({ lookback: set.lookback, horizon: set.horizon, ...(set.season !== undefined ? { season: set.season } : {}), seed });
    await f.fit(y, { seed: seed + 100, times });
    const first = maes.length === 0;
    const ev = f.evaluate(y, { holtWinters: first, ets: first, ...(f.calendar === null ? {} : { times }) });
    maes.push(ev.model.mae);
    if (first) {
      hw = ev.holtWinters?.mae;
      ets = ev.ets?.mae;
      last = ev.lastValue.mae;
      const start = y.length - Math.round(0.2 * y.length);
      const sm = fitSarima(y.slice(0, start), defaultSarimaSpec(set.season));
      sarima = forecastMetrics(ev.actual, sarimaRolling(sm, y, ev.origins, set.horizon)).mae;
      notes.push(`${key}: SARIMA ${sarimaName(sm)}`);
      notes.push(`${key}: ${ev.windows} origins; Holt-Winters ${ev.holtWintersModel === undefined ? '—' : holtWintersName(ev.holtWintersModel)}, ETS ${ev.etsModel === undefined ? '—' : etsName(ev.etsModel)}`);
    }
    console.error(`${key} seed ${seed}: model MAE ${ev.model.mae.toFixed(4)}`);
  }
  const mean = maes.reduce((a, b) => a + b, 0) / maes.length;
  const row = [set.label, `${f4(mean)} (${maes.length} seed${maes.length > 1 ? 's' : ''}, ${f4(Math.min(...maes))}–${f4(Math.max(...maes))})`, f4(hw), f4(ets), f4(sarima), f4(last)];
  if (withStatsmodels) {
    const r = spawnSync(PY, [script, join(DATA, set.file), set.target, String(set.lookback), String(set.horizon), ...(set.season !== undefined ? [String(set.season)] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`statsmodels_baselines.py failed: ${r.stderr}`);
    const sm = JSON.parse(r.stdout) as Record<string, { model: string; mae: number }>;
    row.push(f4(sm['Holt-Winters']!.mae), f4(sm.ETS!.mae), f4(sm.SARIMAX!.mae));
    notes.push(`${key} statsmodels: Holt-Winters ${sm['Holt-Winters']!.model}, ETS ${sm.ETS!.model}, SARIMAX ${sm.SARIMAX!.model}`);
  }
  table.push(row);
}
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log('Test-part MAE (last 20% of the rows, every origin)');
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table) console.log(line(r));
for (const n of notes) console.log(n);
if (!withStatsmodels) console.log('(statsmodels columns left out: /usr/bin/python3 with statsmodels not found, or --no-statsmodels)');
