/**
 * Prediction intervals in the forecast plots and `rnnkit timeseries evaluate`, on the built-in
 * CO2 series (vega-datasets) with small models trained here: the band's edges, read back from the
 * SVG through its y axis, are the outer quantiles Forecaster.predictQuantiles gives for the
 * plotted origins; evaluate reproduces train's test-part figures exactly (one protocol, one
 * report); bad input is one line on stderr.
 */
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Forecaster, forecastSvg, windowOrigins } from '../src/index.js';
import { ROOT, assertUserError, rnnkit } from './helpers/cli.js';

const CO2 = join(ROOT, 'node_modules', 'vega-datasets', 'data', 'co2-concentration.csv');
const SMALL = ['--target', 'CO2', '--time-column', 'Date', '--lookback', '24', '--horizon', '12', '--season', '12', '--units', '8', '--ensemble', '1'];
let dir = '';
const file = (name: string): string => join(dir, name);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-ts-eval-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Pairs "x,y" of an SVG points attribute. */
const pairs = (points: string): [number, number][] => points.trim().split(' ').map((p) => p.split(',').map(Number) as [number, number]);

/** The data value of a pixel row, from the first and last y tick (label at pixel y + 4). */
function yAxis(svg: string): (py: number) => number {
  const ticks = [...svg.matchAll(/<text class="ytick" x="[^"]*" y="([^"]*)"[^>]*>([^<]*)<\/text>/g)].map((m) => [Number(m[1]) - 4, Number(m[2])] as const);
  assert.ok(ticks.length >= 2, 'y ticks');
  const [[p0, v0], [p1, v1]] = [ticks[0]!, ticks.at(-1)!];
  return (py) => v0 + ((py - p0) * (v1 - v0)) / (p1 - p0);
}

const bands = (svg: string): { name: string; n: number; points: [number, number][] }[] =>
  [...svg.matchAll(/<polygon class="band" data-name="([^"]*)" data-points="(\d+)"[^>]* points="([^"]*)"/g)].map((m) => ({ name: m[1]!, n: Number(m[2]), points: pairs(m[3]!) }));

const line = (svg: string, name: string): [number, number][] => pairs(new RegExp(`<polyline class="series" data-name="${name}" [^>]* points="([^"]*)"`).exec(svg)![1]!);

test('forecastSvg: the interval as a band of 2 points per x, under the lines, named in the legend; bad ones refused by name', () => {
  const base = { historyX: [0, 1, 2, 3], historyY: [0, 1, 2, 3], forecastX: [4, 5, 6], forecastY: [4, 5, 6] };
  const svg = forecastSvg({ ...base, interval: { name: '80% interval', x: [4, 5, 6], lower: [3, 4, 5], upper: [5, 6, 8] } });
  const [b, ...rest] = bands(svg);
  assert.equal(rest.length, 0);
  assert.equal(b!.name, '80% interval');
  assert.equal(b!.n, 6);
  assert.equal(b!.points.length, 6);
  // Upper edge left to right, then the lower edge back: y pixels grow downwards.
  const y = yAxis(svg);
  assert.deepEqual(b!.points.map(([, py]) => Math.round(y(py) * 10) / 10), [5, 6, 8, 5, 4, 3]);
  assert.ok(svg.indexOf('class="band"') < svg.indexOf('class="series"'), 'band drawn under the lines');
  assert.match(svg, /class="legend"[\s\S]*fill-opacity="0.2"\/>\n<text[^>]*>80% interval<\/text>/);
  // The band's values count in the y range (8 is above every line).
  assert.ok(y(b!.points[2]![1]) <= Number([...svg.matchAll(/class="ytick"[^>]*>([^<]*)</g)].at(-1)![1]) + 1);
  assert.equal(bands(forecastSvg(base)).length, 0);
  const bad = (interval: unknown): unknown => forecastSvg({ ...base, interval } as never);
  assert.throws(() => bad({ name: 'i', x: [4, 5], lower: [1], upper: [2, 3] }), /plotForecast: interval 'i': 2 x values but 1 lower and 2 upper values/);
  assert.throws(() => bad({ name: 'i', x: [4, 5], lower: [1, NaN], upper: [2, 3] }), /plotForecast: interval 'i': point 1 is not finite \(x 5, lower NaN, upper 3\)/);
  assert.throws(() => bad({ name: 'i', x: [4], lower: [3], upper: [2] }), /plotForecast: interval 'i': point 0 has lower 3 above upper 2/);
  assert.throws(() => bad({ name: 'i', x: [4], lower: [1], upper: [2], level: 0.8 }), /plotForecast: interval: unknown option 'level'; supported options: name, x, lower, upper/);
  assert.throws(() => bad({ name: 'i', x: [4], lower: [1] }), /plotForecast: interval 'i': upper must be an array of numbers, got undefined/);
});

test('train --quantiles --plot: the band is the outer quantiles of predictQuantiles at the plotted origins; evaluate gives the same table, JSON and SVG; forecast --plot draws the interval too', async () => {
  const model = file('q');
  // No fitted baselines (this test is about the interval; ETS and SARIMA would cost seconds per call).
  const t = rnnkit('timeseries', 'train', CO2, ...SMALL, '--epochs', '2', '--quantiles', '0.1,0.5,0.9', '--out', model, '--plot', file('train.svg'), '--metrics-json', file('train.json'), '--baselines', 'none', '--combine', 'none');
  assert.equal(t.code, 0, t.stderr);
  const e = rnnkit('timeseries', 'evaluate', model, '--csv', CO2, '--plot', file('eval.svg'), '--metrics-json', file('eval.json'), '--baselines', 'none');
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /^Evaluating .* on .*co2-concentration\.csv: 741 rows, target 'CO2', lookback 24, horizon 12, quantiles 0\.1, 0\.5, 0\.9$/m);
  // The same test-part report, line for line, from the saved model.
  const report = (out: string): string => out.slice(out.indexOf('\nTest part:'), out.indexOf('\nMetrics written'));
  assert.match(report(t.stdout), /^Interval 10%–90%: [\d.]+% of the test values inside \(nominal 80%\)/m);
  assert.equal(report(e.stdout), report(t.stdout));
  assert.deepEqual(JSON.parse(await readFile(file('eval.json'), 'utf8')), JSON.parse(await readFile(file('train.json'), 'utf8')));
  const svg = await readFile(file('eval.svg'), 'utf8');
  assert.equal(svg, await readFile(file('train.svg'), 'utf8'));

  // The plotted origins: every 12th test window (non-overlapping), 137 windows → 12 blocks of 12 steps.
  const text = (await readFile(CO2, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const co2 = text.map((r) => Number(r[1]));
  const times = text.map((r) => Date.parse(r[0]!));
  const all = windowOrigins(co2.length, { lookback: 24, horizon: 12, targetStart: co2.length - Math.round(0.2 * co2.length) });
  assert.equal(all.length, 137);
  const origins = all.filter((_, k) => k % 12 === 0);
  const f = await Forecaster.load(model);
  const q = f.predictQuantiles(co2, origins, { times });
  const lower = origins.flatMap((_, n) => Array.from({ length: 12 }, (_, h) => q[(n * 12 + h) * 3]!));
  const median = origins.flatMap((_, n) => Array.from({ length: 12 }, (_, h) => q[(n * 12 + h) * 3 + 1]!));
  const upper = origins.flatMap((_, n) => Array.from({ length: 12 }, (_, h) => q[(n * 12 + h) * 3 + 2]!));

  const [band, ...more] = bands(svg);
  assert.equal(more.length, 0);
  assert.equal(band!.name, '80% interval');
  assert.match(svg, /class="legend"[\s\S]*>80% interval<\/text>/);
  assert.equal(band!.n, 2 * 144);
  assert.equal(band!.points.length, 2 * 144);
  const y = yAxis(svg);
  const top = band!.points.slice(0, 144);
  const bottom = band!.points.slice(144).reverse();
  const fc = line(svg, 'forecast');
  // Same x as the forecast line; edges at the quantiles to the SVG's 0.1 px (+ tick rounding).
  assert.deepEqual(top.map(([x]) => x), fc.map(([x]) => x));
  assert.deepEqual(bottom.map(([x]) => x), fc.map(([x]) => x));
  const px = Math.abs(y(0) - y(1));
  const tol = 0.15 * px;
  let width = 0;
  for (let i = 0; i < 144; i++) {
    const [hi, lo, mid] = [y(top[i]![1]), y(bottom[i]![1]), y(fc[i]![1])];
    assert.ok(Math.abs(hi - upper[i]!) <= tol, `point ${i}: band top ${hi} vs 0.9 quantile ${upper[i]} (±${tol})`);
    assert.ok(Math.abs(lo - lower[i]!) <= tol, `point ${i}: band bottom ${lo} vs 0.1 quantile ${lower[i]} (±${tol})`);
    assert.ok(Math.abs(mid - median[i]!) <= tol, `point ${i}: forecast ${mid} vs median ${median[i]}`);
    assert.ok(lo <= mid + tol && mid <= hi + tol, `point ${i}: forecast ${mid} outside [${lo}, ${hi}]`);
    width += (upper[i]! - lower[i]!) / 144;
  }
  // The check can tell the edges apart: the interval is many pixels wide on average.
  assert.ok(width > 10 * tol, `mean width ${width} vs tolerance ${tol}`);

  // forecast --plot: the interval from the last observed point over the network's 12 steps.
  const fp = rnnkit('timeseries', 'forecast', model, CO2, '--steps', '24', '--plot', file('fc.svg'));
  assert.equal(fp.code, 0, fp.stderr);
  const fsvg = await readFile(file('fc.svg'), 'utf8');
  const [fb] = bands(fsvg);
  assert.equal(fb!.name, '80% interval (first 12 steps)');
  assert.equal(fb!.n, 2 * 13);
  const fq = f.predictQuantiles(co2, [co2.length - 1], { times });
  const fy = yAxis(fsvg);
  const ftop = fb!.points.slice(0, 13);
  const fbottom = fb!.points.slice(13).reverse();
  const ftol = 0.15 * Math.abs(fy(0) - fy(1));
  assert.ok(Math.abs(fy(ftop[0]![1]) - co2.at(-1)!) <= ftol && Math.abs(fy(fbottom[0]![1]) - co2.at(-1)!) <= ftol, 'starts at the last value');
  for (let h = 0; h < 12; h++) {
    assert.ok(Math.abs(fy(ftop[h + 1]![1]) - fq[h * 3 + 2]!) <= ftol, `step ${h + 1}: top`);
    assert.ok(Math.abs(fy(fbottom[h + 1]![1]) - fq[h * 3]!) <= ftol, `step ${h + 1}: bottom`);
  }
  f.dispose();

  // Another test fraction and season: the protocol follows them.
  const e2 = rnnkit('timeseries', 'evaluate', model, CO2, '--test', '0.1', '--season', '6', '--baselines', 'holtWinters');
  assert.equal(e2.code, 0, e2.stderr);
  assert.match(e2.stdout, /^Test part: last 10% of the rows, 63 window\(s\) × 12 step\(s\)$/m);
  assert.match(e2.stdout, /^seasonal naive \(6\)\s+\d/m);
  assert.match(e2.stdout, /^Holt-Winters \([^)]*\)\s+\d/m);
  assert.doesNotMatch(e2.stdout, /^(ETS|S?ARIMA)/m);
});

test('a model without quantiles: no band, no interval line; evaluate refuses bad input by name', async () => {
  const model = file('plain');
  const t = rnnkit('timeseries', 'train', CO2, ...SMALL, '--epochs', '1', '--out', model, '--baselines', 'none', '--combine', 'none');
  assert.equal(t.code, 0, t.stderr);
  const e = rnnkit('timeseries', 'evaluate', model, '--csv', CO2, '--plot', file('plain.svg'), '--baselines', 'none');
  assert.equal(e.code, 0, e.stderr);
  // --baselines none: the naive rows only.
  assert.match(e.stdout, /^last value\s+\d/m);
  assert.doesNotMatch(e.stdout, /^(Holt-Winters|ETS|S?ARIMA)/m);
  assert.doesNotMatch(e.stdout, /Interval|quantiles/);
  assert.match(e.stdout, /^model\s+\d/m);
  const svg = await readFile(file('plain.svg'), 'utf8');
  assert.equal(bands(svg).length, 0);
  assert.doesNotMatch(svg, /<polygon|interval/);
  assert.equal(line(svg, 'forecast').length, 144);

  const help = rnnkit('timeseries', 'evaluate', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: rnnkit timeseries evaluate DIR --csv data\.csv/);
  assert.match(rnnkit('timeseries', '--help').stdout, /evaluate DIR --csv data\.csv/);
  assertUserError(rnnkit('timeseries', 'evaluate', model, '--csv', CO2, '--lookback', '12'), 2, /rnnkit timeseries evaluate: Unknown option '--lookback'/);
  assertUserError(rnnkit('timeseries', 'evaluate', model), 2, /rnnkit timeseries evaluate: --csv is required/);
  assertUserError(rnnkit('timeseries', 'evaluate'), 2, /expected a model directory/);
  assertUserError(rnnkit('timeseries', 'evaluate', model, CO2, '--csv', CO2), 2, /expected a model directory and one CSV file/);
  assertUserError(rnnkit('timeseries', 'evaluate', model, '--csv', CO2, '--test', '1'), 2, /--test must be a number in \(0, 1\), got "1"/);
  assertUserError(rnnkit('timeseries', 'evaluate', model, '--csv', CO2, '--season', '0'), 2, /--season must be an integer ≥ 1, got "0"/);
  assertUserError(rnnkit('timeseries', 'evaluate', model, '--csv', CO2, '--baselines', 'ets,arima'), 2, /rnnkit timeseries evaluate: --baselines: unknown baseline "arima"; give all, none, or some of holtWinters, ets, sarima/);
  assertUserError(rnnkit('timeseries', 'evaluate', file('nowhere'), '--csv', CO2), 1, /model directory .*nowhere does not exist/);
  // The model's column, by name.
  const co2 = await readFile(CO2, 'utf8');
  await writeFile(file('renamed.csv'), co2.replace(/^Date,CO2,/, 'Date,ppm,'));
  assertUserError(rnnkit('timeseries', 'evaluate', model, '--csv', file('renamed.csv')), 1, /renamed\.csv: the model needs the column 'CO2', which this file lacks; its columns: Date, ppm, adjusted CO2/);
  // Its calendar covariates need the time column.
  await writeFile(file('nodate.csv'), co2.replace(/^Date,/, 'Day,'));
  assertUserError(rnnkit('timeseries', 'evaluate', model, '--csv', file('nodate.csv')), 1, /nodate\.csv: the model takes calendar covariates from the time column 'Date', which this file lacks/);
  assertUserError(rnnkit('timeseries', 'evaluate', model, '--csv', file('nodate.csv'), '--time-column', 'When'), 1, /--time-column "When": no such column in .*nodate\.csv; columns: Day, CO2, adjusted CO2/);
});
