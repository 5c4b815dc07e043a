/**
 * `rnnkit timeseries` end to end (src/cli/main.ts through tsx in a child process): train on a
 * small CSV into a temp dir, forecast from it (csv and json), and every bad input — one line
 * on stderr, no stack trace, non-zero exit (2 usage, 1 bad input).
 */
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUserError, rnnkit, type Run } from './helpers/cli.js';

let dir = '';
const file = (name: string): string => join(dir, name);
const ROWS = 96;
const month = (i: number): string => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;
const value = (i: number): number => 100 + 0.1 * i + 3 * Math.sin((2 * Math.PI * i) / 12);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-ts-cli-'));
  // A quoted field with a comma and a quote: the CSV library must keep the columns straight.
  const lines = ['date,"level, ppm",note', ...Array.from({ length: ROWS }, (_, i) => `${month(i)},${value(i).toFixed(3)},"ok, ""fine"""`)];
  await writeFile(file('data.csv'), lines.join('\n') + '\n');
  const bad = [...lines];
  bad[5] = `${month(4)},abc,x`;
  await writeFile(file('text.csv'), bad.join('\n') + '\n');
  const gap = [...lines];
  gap[7] = `${month(6)},,x`;
  await writeFile(file('gap.csv'), gap.join('\n') + '\n');
  await writeFile(file('short.csv'), lines.slice(0, 20).join('\n') + '\n');
  const badDate = [...lines];
  badDate[3] = `someday,${value(2)},x`;
  await writeFile(file('baddate.csv'), badDate.join('\n') + '\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('train → DIR → forecast (csv and json), dated from the time column; --plot files', async () => {
  const model = file('model');
  const t = rnnkit('timeseries', 'train', file('data.csv'), '--target', 'level, ppm', '--time-column', 'date', '--lookback', '12', '--horizon', '3', '--season', '12', '--units', '8', '--epochs', '5', '--out', model, '--plot', file('test.svg'), '--metrics-json', file('metrics.json'));
  assert.equal(t.code, 0, t.stderr);
  assert.equal(t.stderr, '');
  // --metrics-json: the same figures as the printed table, for scripts.
  const metrics = JSON.parse(await readFile(file('metrics.json'), 'utf8')) as { model: Record<string, number>; baselines: Record<string, Record<string, number>>; horizon: number };
  assert.deepEqual(Object.keys(metrics.model), ['mae', 'rmse', 'mape', 'smape']);
  assert.deepEqual(Object.keys(metrics.baselines).slice(0, 2), ['last value', 'seasonal naive (12)']);
  assert.ok(Object.keys(metrics.baselines).some((k) => k.startsWith('Holt-Winters (')));
  assert.ok(Object.keys(metrics.baselines).includes('SARIMA(1,1,1)(0,1,1)12'), Object.keys(metrics.baselines).join(', '));
  assert.equal(metrics.horizon, 3);
  // The table prints 4 significant digits (this noise-free series is fitted almost exactly: 1e-14).
  const printed = Number(/^model\s+(\S+)/m.exec(t.stdout)![1]);
  assert.ok(Math.abs(printed - metrics.model.mae!) <= 5e-4 * Math.abs(metrics.model.mae!), `table ${printed} vs json ${metrics.model.mae}`);
  assert.match(t.stdout, /96 rows, target 'level, ppm'/);
  assert.match(t.stdout, /MAE\s+RMSE\s+MAPE %\s+sMAPE %/);
  assert.match(t.stdout, /^model\s+\d/m);
  assert.match(t.stdout, /^last value\s+\d/m);
  assert.match(t.stdout, /^seasonal naive \(12\)\s+\d/m);
  assert.match(t.stdout, /^Holt-Winters \((N|A|Ad),(N|A12|M12)\)\s+\d/m);
  assert.match(t.stdout, /^SARIMA\(1,1,1\)\(0,1,1\)12\s+\d/m);
  assert.match(t.stdout, /Model saved in/);
  // A time column of dates gives calendar covariates by default (monthly rows: the month of the year).
  assert.match(t.stdout, /^Calendar covariates from 'date': year \(1 sin\/cos pair\)$/m);
  // Test part: rows 77…95 (the last 19); history drawn up to the first test row.
  const points = (svg: string): Record<string, number> => Object.fromEntries([...svg.matchAll(/data-name="([^"]*)" data-points="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]));
  const testSvg = await readFile(file('test.svg'), 'utf8');
  assert.equal(points(testSvg).actual, 19);
  assert.ok(points(testSvg).forecast! >= 15, testSvg.slice(0, 200));
  // Holt-Winters drawn from the same origins as the model.
  const hw = Object.keys(points(testSvg)).find((k) => k.startsWith('Holt-Winters ('));
  assert.ok(hw !== undefined, Object.keys(points(testSvg)).join(', '));
  assert.equal(points(testSvg)[hw], points(testSvg).forecast);
  assert.equal(points(testSvg)['SARIMA(1,1,1)(0,1,1)12'], points(testSvg).forecast);
  assert.match(testSvg, /class="ylabel"[^>]*>level, ppm</);

  const f = rnnkit('timeseries', 'forecast', model, file('data.csv'), '--steps', '4');
  assert.equal(f.code, 0, f.stderr);
  const lines = f.stdout.trim().split('\n');
  assert.equal(lines[0], 'step,date,"level, ppm"'); // quoted: the name holds a comma
  assert.equal(lines.length, 5);
  assert.match(lines[1]!, /^1,2008-01-01,\d+\.\d+$/);
  assert.match(lines[4]!, /^4,2008-04-01,/);
  const p = rnnkit('timeseries', 'forecast', model, file('data.csv'), '--steps', '4', '--plot', file('fc.svg'));
  assert.equal(p.code, 0, p.stderr);
  assert.equal(points(await readFile(file('fc.svg'), 'utf8')).forecast, 5); // joined to the last observed point
  const j = rnnkit('timeseries', 'forecast', model, file('data.csv'), '--steps', '2', '--format', 'json');
  assert.equal(j.code, 0, j.stderr);
  const parsed = JSON.parse(j.stdout) as { target: string; forecast: { step: number; time: string; value: number }[] };
  assert.equal(parsed.target, 'level, ppm');
  assert.deepEqual(parsed.forecast.map((p) => p.time), ['2008-01-01', '2008-02-01']);
  // The first two csv values are the json ones.
  assert.equal(Number(lines[1]!.split(',').at(-1)), parsed.forecast[0]!.value);
  // Bad input to forecast.
  assertUserError(rnnkit('timeseries', 'forecast', file('nowhere'), file('data.csv')), 1, /model directory .*nowhere does not exist/);
  assertUserError(rnnkit('timeseries', 'forecast', model, file('data.csv'), '--steps', '0'), 2, /--steps must be an integer ≥ 1, got "0"/);
  // The calendar needs the file's time column.
  const noDates = (await readFile(file('data.csv'), 'utf8')).replace(/^date,/m, 'day,');
  await writeFile(file('nodates.csv'), noDates);
  assertUserError(rnnkit('timeseries', 'forecast', model, file('nodates.csv')), 1, /nodates\.csv: the model takes calendar covariates from the time column 'date', which this file lacks/);
});

test('a test part shorter than the horizon: refused before training (train scores whole windows there), naming the --test that fits; nothing written; evaluate the same', async () => {
  const model = file('model-shorttest');
  // 96 rows: a test part of 19 for a horizon of 20.
  const t = rnnkit('timeseries', 'train', file('data.csv'), '--target', 'level, ppm', '--time-column', 'date', '--lookback', '12', '--horizon', '20', '--units', '2', '--epochs', '1', '--out', model);
  assertUserError(t, 2, /^rnnkit: train: the test part \(--test 0\.2: 19 of 96 rows\) is shorter than the horizon \(20\): train scores whole windows of the horizon there; give --test 0\.21 or more, or a shorter --horizon$/m);
  assert.doesNotMatch(t.stdout, /Training/);
  await assert.rejects(readFile(join(model, 'model.json')));
  const ok = rnnkit('timeseries', 'train', file('data.csv'), '--target', 'level, ppm', '--time-column', 'date', '--lookback', '12', '--horizon', '20', '--test', '0.21', '--units', '2', '--epochs', '1', '--ensemble', '1', '--baselines', 'none', '--combine', 'none', '--out', model);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^Test part: last 21% of the rows, 1 window\(s\) × 20 step\(s\)$/m);
  // evaluate the same way, with the test fraction given.
  assertUserError(rnnkit('timeseries', 'evaluate', model, '--csv', file('data.csv'), '--test', '0.2'), 2, /^rnnkit: evaluate: the test part \(--test 0\.2: 19 of 96 rows\) is shorter than the horizon \(20\): evaluate scores whole windows of the horizon there; give --test 0\.21 or more$/);
});

test('a baseline left out for too few rows before the test part says so under the table and in --metrics-json', async () => {
  // 96 rows, 69 of them the test part: 27 rows before it, the airline SARIMA needs 30.
  const t = rnnkit('timeseries', 'train', file('data.csv'), '--target', 'level, ppm', '--time-column', 'date', '--lookback', '12', '--horizon', '3', '--season', '12', '--test', '0.72', '--units', '2', '--epochs', '1', '--ensemble', '1', '--combine', 'none', '--metrics-json', file('notes.json'));
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^Holt-Winters \(/m);
  assert.doesNotMatch(t.stdout, /^SARIMA/m);
  const note = 'SARIMA(1,1,1)(0,1,1)12 left out: it needs 30 rows before the test part, the series has 27';
  assert.ok(t.stdout.split('\n').includes(`Note: ${note}`), t.stdout);
  // And in --metrics-json, for scripts.
  assert.deepEqual(JSON.parse(await readFile(file('notes.json'), 'utf8')).baselineNotes, [note]);
});

test('--no-calendar, --reference, --ensemble: checked, kept in the model', async () => {
  const model = file('model-flags');
  const base = ['--target', 'level, ppm', '--time-column', 'date', '--lookback', '12', '--horizon', '2', '--season', '12', '--units', '2', '--epochs', '1'];
  const t = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--no-calendar', '--reference', 'seasonalLine', '--ensemble', '2', '--quantiles', '0.1,0.5,0.9', '--out', model, '--baselines', 'none', '--combine', 'none');
  assert.equal(t.code, 0, t.stderr);
  assert.doesNotMatch(t.stdout, /Calendar covariates/);
  assert.match(t.stdout, /^Interval 10%–90%: [\d.]+% of the test values inside \(nominal 80%\); below each quantile: 10% → [\d.]+%, 50% → [\d.]+%, 90% → [\d.]+%$/m);
  const meta = JSON.parse(await readFile(join(model, 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster as Record<string, unknown>;
  assert.deepEqual([meta.calendar, meta.reference, meta.ensemble, meta.season, meta.quantiles], [null, 'seasonalLine', 2, 12, [0.1, 0.5, 0.9]]);
  // Forecasting without the time column works: this model has no calendar.
  const noDates = (await readFile(file('data.csv'), 'utf8')).replace(/^date,/m, 'day,');
  await writeFile(file('nodates2.csv'), noDates);
  const f = rnnkit('timeseries', 'forecast', model, file('nodates2.csv'), '--steps', '3');
  assert.equal(f.code, 0, f.stderr);
  assert.equal(f.stdout.trim().split('\n').length, 4);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--reference', 'line', '--scaling', 'standard'), 2, /--reference measures windows from a reference, which needs --scaling relative \(got --scaling standard\)/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--reference', 'ets'), 2, /--reference must be one of last, line, holtWinters, seasonalLine, got "ets"/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--ensemble', '0'), 2, /--ensemble must be an integer ≥ 1, got "0"/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--workers', 'two'), 2, /--workers must be an integer ≥ 1, got "two"/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--features', 'note', '--covariates', 'note'), 2, /--covariates "note" is already a feature/);
  // A numeric extra column as a covariate, kept by name for forecasting.
  await writeFile(file('cov.csv'), ['date,v,x', ...Array.from({ length: ROWS }, (_, i) => `${month(i)},${value(i).toFixed(3)},${(i % 5) - 2}`)].join('\n') + '\n');
  const cov = rnnkit('timeseries', 'train', file('cov.csv'), '--target', 'v', '--covariates', 'x', '--lookback', '12', '--horizon', '2', '--units', '2', '--epochs', '1', '--ensemble', '1', '--out', file('model-cov'));
  assert.equal(cov.code, 0, cov.stderr);
  assert.match(cov.stdout, /features 'v', covariates 'x', lookback 12/);
  const covMeta = JSON.parse(await readFile(join(file('model-cov'), 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster as Record<string, unknown>;
  assert.deepEqual([covMeta.columns, covMeta.covariates], [['v', 'x'], [1]]);
  const fc = rnnkit('timeseries', 'forecast', file('model-cov'), file('cov.csv'), '--steps', '2');
  assert.equal(fc.code, 0, fc.stderr);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--quantiles', '0.1,0.9'), 2, /--quantiles must be increasing numbers in \(0, 1\) including 0\.5, e\.g\. 0\.1,0\.5,0\.9; got "0\.1,0\.9"/);
});

test('bad input: one line on stderr, non-zero exit', () => {
  const base = ['--lookback', '12', '--horizon', '3', '--epochs', '1', '--units', '4'];
  const train = (csv: string, ...extra: string[]): Run => rnnkit('timeseries', 'train', file(csv), '--target', 'level, ppm', ...base, ...extra);
  assertUserError(train('missing.csv'), 1, /missing\.csv does not exist/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), '--target', 'CO2', ...base), 1, /--target\/--features "CO2": no such column in .*; columns: date, level, ppm, note/);
  assertUserError(train('text.csv'), 1, /line 6, column 'level, ppm': "abc" is not a number/);
  assertUserError(train('gap.csv'), 1, /line 8, column 'level, ppm': missing value \(use --fill previous or --fill linear/);
  assertUserError(train('short.csv'), 1, /training part has 13 of 19 rows, too few for lookback 12 \+ horizon 3: at least 15 are needed \(22 rows in all\)/);
  assertUserError(train('baddate.csv', '--time-column', 'date'), 1, /line 4, column 'date': "someday" is not a date/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), '--target', 'level, ppm', '--lookback', '0', '--horizon', '3'), 2, /--lookback must be an integer ≥ 1, got "0"/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), '--target', 'level, ppm', '--lookback', '4', '--horizon', '2.5'), 2, /--horizon must be an integer ≥ 1, got "2\.5"/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), '--lookback', '4', '--horizon', '2'), 2, /--target is required/);
  // --fill makes the gap trainable.
  const filled = train('gap.csv', '--fill', 'linear');
  assert.equal(filled.code, 0, filled.stderr);
});
