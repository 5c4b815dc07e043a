/**
 * Short seasonal series, as many users have them (four years of monthly sales): the first and
 * the last `--rows` rows (default 48) of each monthly and quarterly series of tools/forecastR.ts
 * (R's forecast, AER and MASS packages, written by tools/forecastR/export.R; needs R with
 * r-cran-forecast, r-cran-aer, r-cran-mass and `npm run build`). Each stretch is trained twice by
 * `rnnkit timeseries train` with default settings, lookback one season and horizon half of one:
 * with `--season auto` (the default: the season found on the training part, or none) and with
 * the season given. Prints per stretch the season found, the model's test MAE both ways and
 * rnnkit's best baseline with the season given; then how often the season was found and the
 * geometric mean of the MAE with `auto` over the MAE with the season given. About 4 minutes.
 *
 *   npx tsx tools/forecastShort.ts [--rows N] [--out DIR]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const { values } = parseArgs({ options: { rows: { type: 'string' }, out: { type: 'string' } } });
const N = Number(values.rows ?? 48);
if (!Number.isInteger(N) || N < 20) throw new Error(`--rows must be an integer ≥ 20, got ${values.rows}`);
const out = resolve(values.out ?? join(ROOT, 'bench/tmp/forecastShort'));
if (!existsSync(CLI)) throw new Error(`${CLI} not found: run npm run build first`);
mkdirSync(out, { recursive: true });

const csvRows = (file: string): Record<string, string>[] => parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
execFileSync('Rscript', [join(ROOT, 'tools/forecastR/export.R'), out], { stdio: ['ignore', 'ignore', 'inherit'] });
const specs = csvRows(join(out, 'specs.csv')).filter((s) => s.S === '12' || s.S === '4');

type Metrics = { model: { mae: number }; baselines: Record<string, { mae: number }> };
const train = (file: string, S: number, season: string, fill: boolean): { metrics: Metrics; found: string } => {
  const metricsFile = file.replace(/\.csv$/, `.${season}.json`);
  const args = [CLI, 'timeseries', 'train', file, '--target', 'value', '--time-column', 'date', '--lookback', String(S), '--horizon', String(S / 2), '--season', season, '--metrics-json', metricsFile];
  if (fill) args.push('--fill', 'linear');
  const stdout = execFileSync('node', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return { metrics: JSON.parse(readFileSync(metricsFile, 'utf8')) as Metrics, found: /^Season: (.*)$/m.exec(stdout)?.[1] ?? '?' };
};

const g = (x: number): string => x.toPrecision(4);
const ratios: number[] = [];
let found = 0;
console.log(`| stretch (${N} rows) | season found | model MAE, season auto | model MAE, season given | best baseline, season given | auto / given |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const s of specs) {
  const S = Number(s.S);
  const lines = readFileSync(join(out, `${s.name}.csv`), 'utf8').trim().split('\n');
  const [header, rows] = [lines[0]!, lines.slice(1)];
  if (rows.length < N + S) continue;
  for (const [tag, part] of [['first', rows.slice(0, N)], ['last', rows.slice(-N)]] as const) {
    const file = join(out, `${s.name}-${tag}${N}.csv`);
    writeFileSync(file, `${[header, ...part].join('\n')}\n`);
    const auto = train(file, S, 'auto', s.fill === 'TRUE');
    const given = train(file, S, String(S), s.fill === 'TRUE');
    const best = Object.entries(given.metrics.baselines).filter(([k]) => k !== 'last value').reduce((a, b) => (b[1].mae < a[1].mae ? b : a));
    const r = auto.metrics.model.mae / given.metrics.model.mae;
    ratios.push(r);
    if (auto.found === `${S} (detected)`) found++;
    console.log(`| ${s.name} ${tag} | ${auto.found} | ${g(auto.metrics.model.mae)} | ${g(given.metrics.model.mae)} | ${best[0]} ${g(best[1].mae)} | ${r.toFixed(3)} |`);
  }
}
const geo = Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length);
console.log(`\n${ratios.length} stretches: the season found on ${found}; model MAE with --season auto over with the season given, geometric mean ${geo.toFixed(3)}`);
