/**
 * `rnnkit timeseries train --combine`: the default combines the network with the classical model
 * the validation part prefers and prints the choice; the saved model keeps it (`evaluate`
 * prints the same line and scores the same forecasts); `--combine none` is the network alone;
 * with --id-column a line per series (its own choice, or why it has none); the refusals. Short
 * non-seasonal series so the ETS and ARIMA fits cost little.
 */
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUserError, rnnkit } from './helpers/cli.js';

let dir = '';
const file = (name: string): string => join(dir, name);
// A slow wave plus a 7-row pattern, no season given (numeric time column: no calendar).
const value = (i: number): number => 50 + 3 * Math.sin(i / 15) + 2 * Math.sin((2 * Math.PI * i) / 7) + 0.4 * Math.sin(2.3 * i);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-ts-combine-'));
  await writeFile(file('data.csv'), ['t,level', ...Array.from({ length: 160 }, (_, i) => `${i},${value(i).toFixed(3)}`)].join('\n') + '\n');
  // Long format: x the series above, y a trend, z with a validation part shorter than horizon 3 (24 rows: 17 train, 2 validation).
  const rows = [...Array.from({ length: 160 }, (_, i) => `${i},x,${value(i).toFixed(3)}`), ...Array.from({ length: 160 }, (_, i) => `${i},y,${(20 + 0.3 * i + 0.4 * Math.sin(2.3 * i)).toFixed(3)}`), ...Array.from({ length: 24 }, (_, i) => `${i},z,${value(i + 50).toFixed(3)}`)];
  await writeFile(file('long.csv'), ['t,store,level', ...rows].join('\n') + '\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = ['--target', 'level', '--time-column', 't', '--lookback', '14', '--horizon', '3', '--season', 'none', '--units', '4', '--epochs', '2', '--ensemble', '1', '--baselines', 'none'];
const modelRow = (out: string): string => out.split('\n').find((l) => l.startsWith('model '))!;

test('the default prints the combination and saves it; evaluate prints and scores the same; --combine none is the network alone', async () => {
  const model = file('m');
  const t = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--out', model);
  assert.equal(t.code, 0, t.stderr);
  const line = t.stdout.split('\n').find((l) => l.startsWith('Combined with '));
  assert.ok(line !== undefined, t.stdout);
  assert.match(line, /^Combined with (ETS \([AM][AN]d?N\)|ARIMA\(1,1,1\)) \(re-fitted on the rows before the test part\): network weight per step (\d\.\d\d ){2}\d\.\d\d; validation MAE network [\d.]+, ETS [\d.]+, ARIMA [\d.]+, combined [\d.]+ \(16 rows × 3 steps\); classical fits [\d.]+ s$/);
  const meta = JSON.parse(await readFile(join(model, 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster;
  assert.equal(meta.combine, 'auto');
  assert.equal(meta.combination.weights.length, 3);
  const e = rnnkit('timeseries', 'evaluate', model, '--csv', file('data.csv'), '--baselines', 'none');
  assert.equal(e.code, 0, e.stderr);
  assert.ok(e.stdout.includes(line), e.stdout);
  assert.equal(modelRow(e.stdout), modelRow(t.stdout));
  // A model saved before the validation rows were: the windows it counted.
  const json = JSON.parse(await readFile(join(model, 'model.json'), 'utf8'));
  delete json.userDefinedMetadata.rnnkitForecaster.combination.validation.rows;
  await writeFile(join(model, 'model.json'), JSON.stringify(json));
  const old = rnnkit('timeseries', 'evaluate', model, '--csv', file('data.csv'), '--baselines', 'none');
  assert.equal(old.code, 0, old.stderr);
  assert.ok(old.stdout.includes(line.replace('(16 rows × 3 steps)', `(${meta.combination.validation.windows} windows)`)), old.stdout);

  const n = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--combine', 'none', '--out', file('n'));
  assert.equal(n.code, 0, n.stderr);
  assert.doesNotMatch(n.stdout, /Combin/);
  assert.equal(JSON.parse(await readFile(join(file('n'), 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster.combination, null);
});

test('--id-column: a combination line per series (its own choice, or why none); saved per series, evaluate prints and scores the same; --combine none: none', async () => {
  const model = file('many');
  const t = rnnkit('timeseries', 'train', file('long.csv'), ...base, '--id-column', 'store', '--out', model);
  assert.equal(t.code, 0, t.stderr);
  const lines = t.stdout.split('\n').filter((l) => l.startsWith("store '"));
  assert.equal(lines.length, 3, t.stdout);
  for (const [i, id] of ['x', 'y', 'z'].entries()) assert.match(lines[i]!, new RegExp(`^store '${id}': Combined with (ETS \\([AM][AN]d?N\\)|ARIMA\\(1,1,1\\)) \\(re-fitted on the rows before the test part\\): network weight per step (\\d\\.\\d\\d ){2}\\d\\.\\d\\d; validation MAE network [\\d.]+, ETS [\\d.]+, ARIMA [\\d.]+, combined [\\d.]+ \\(${id === 'z' ? 2 : 16} rows × 3 steps\\); classical fits [\\d.]+ s$`));
  const meta = JSON.parse(await readFile(join(model, 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster;
  assert.equal(meta.combine, 'auto');
  assert.deepEqual(['x', 'y', 'z'].map((id) => meta.series[id].combination?.weights.length ?? null), [3, 3, 3]);
  assert.notDeepEqual(meta.series.x.combination, meta.series.y.combination);
  // evaluate: the saved choices and the same scores.
  const e = rnnkit('timeseries', 'evaluate', model, '--csv', file('long.csv'), '--baselines', 'none');
  assert.equal(e.code, 0, e.stderr);
  assert.deepEqual(e.stdout.split('\n').filter((l) => l.startsWith("store '")), lines);
  const models = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('model '));
  assert.equal(models(t.stdout).length, 4);
  assert.deepEqual(models(e.stdout), models(t.stdout));

  const n = rnnkit('timeseries', 'train', file('long.csv'), ...base, '--id-column', 'store', '--combine', 'none', '--out', file('many-none'));
  assert.equal(n.code, 0, n.stderr);
  assert.doesNotMatch(n.stdout, /Combin/);
  const nm = JSON.parse(await readFile(join(file('many-none'), 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster;
  assert.deepEqual(['x', 'y', 'z'].map((id) => nm.series[id].combination), [null, null, null]);

  // No validation part: each series says why it has none.
  const v = rnnkit('timeseries', 'train', file('long.csv'), ...base, '--id-column', 'store', '--validation', '0', '--epochs', '1', '--out', file('many-noval'));
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(v.stdout.split('\n').filter((l) => l.startsWith("store '")), ['x', 'y', 'z'].map((id) => `store '${id}': Combination: none (no validation part: nothing to choose the weights on)`));
});

test('a seasonal random walk: combined with the seasonal naive forecast, its validation MAE printed, nothing re-fitted', async () => {
  // y_t = y_{t−6} + noise: the seasonal naive forecast beats ETS and SARIMA on the validation part.
  let r = 11;
  const u = (): number => ((r = (Math.imul(r, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
  const z: number[] = [50, 54, 49, 57, 52, 47];
  for (let t = 6; t < 240; t++) z.push(z[t - 6]! + 2 * u());
  await writeFile(file('walk.csv'), ['t,level', ...z.map((v, i) => `${i},${v.toFixed(4)}`)].join('\n') + '\n');
  const t = rnnkit('timeseries', 'train', file('walk.csv'), '--target', 'level', '--time-column', 't', '--lookback', '12', '--horizon', '3', '--season', '6', '--units', '4', '--epochs', '2', '--ensemble', '1', '--baselines', 'none', '--out', file('walk-model'));
  assert.equal(t.code, 0, t.stderr);
  const line = t.stdout.split('\n').find((l) => l.startsWith('Combined with '));
  assert.match(line ?? t.stdout, /^Combined with seasonal naive \(6\): network weight per step (\d\.\d\d ){2}\d\.\d\d; validation MAE network [\d.]+, ETS [\d.]+, SARIMA [\d.]+, seasonal naive [\d.]+, combined [\d.]+ \(24 rows × 3 steps\); classical fits [\d.]+ s$/);
});

test('refusals: an unknown --combine value', () => {
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--combine', 'yes'), 2, /--combine must be one of auto, none, got "yes"/);
});

test('a level shift in the test part: train prints how many windows the guard gave to the network alone, and --metrics-json has the count', async () => {
  // Calm wave, then 15 higher from row 140 (the test part starts at row 128).
  await writeFile(file('shift.csv'), ['t,level', ...Array.from({ length: 160 }, (_, i) => `${i},${(value(i) + (i >= 140 ? 15 : 0)).toFixed(3)}`)].join('\n') + '\n');
  const t = rnnkit('timeseries', 'train', file('shift.csv'), ...base, '--metrics-json', file('shift.json'));
  assert.equal(t.code, 0, t.stderr);
  const m = /^Guard: (\d+) of (\d+) window\(s\) forecast by the network alone \(the classical model off its data at their origin: three one-step errors in a row beyond its guard\)$/m.exec(t.stdout);
  assert.ok(m !== null, t.stdout);
  assert.ok(Number(m[1]) > 0 && Number(m[1]) < Number(m[2]), `guarded ${m[1]} of ${m[2]}`);
  assert.equal(JSON.parse(await readFile(file('shift.json'), 'utf8')).guarded, Number(m[1]));
  // A calm series: no such line.
  const c = rnnkit('timeseries', 'train', file('data.csv'), ...base);
  assert.equal(c.code, 0, c.stderr);
  assert.ok(!c.stdout.includes('Guard:'), c.stdout);
});
