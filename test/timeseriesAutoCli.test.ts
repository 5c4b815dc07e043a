/**
 * `rnnkit timeseries train` automatic choices end to end: the season detected by default and
 * printed ("Season: 12 (detected)"), `--season none`, `--auto` printing its candidates and
 * choice and saving it with the model, `--budget` skipping candidates, and the refusals.
 */
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUserError, rnnkit } from './helpers/cli.js';

let dir = '';
const file = (name: string): string => join(dir, name);
const month = (i: number): string => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;
const value = (i: number): number => 100 + 0.1 * i + 3 * Math.sin((2 * Math.PI * i) / 12) + 0.3 * Math.sin(1.7 * i);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-ts-auto-'));
  await writeFile(file('data.csv'), ['date,level', ...Array.from({ length: 144 }, (_, i) => `${month(i)},${value(i).toFixed(3)}`)].join('\n') + '\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = ['--target', 'level', '--time-column', 'date', '--horizon', '3', '--units', '4', '--epochs', '2', '--ensemble', '1'];

test('the season is detected by default and printed; --season none switches it off', () => {
  const t = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--lookback', '12', '--baselines', 'none', '--combine', 'none');
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^Season: 12 \(detected\)$/m);
  assert.match(t.stdout, /^seasonal naive \(12\)\s+\d/m);
  const n = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--lookback', '12', '--season', 'none', '--baselines', 'none', '--combine', 'none');
  assert.equal(n.code, 0, n.stderr);
  assert.match(n.stdout, /^Season: none$/m);
  assert.doesNotMatch(n.stdout, /seasonal naive/);
  const g = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--lookback', '12', '--season', '6', '--baselines', 'none', '--combine', 'none');
  assert.match(g.stdout, /^Season: 6$/m);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--lookback', '12', '--season', 'yearly'), 2, /--season must be an integer ≥ 1, got "yearly"/);
});

test('--auto tries 1, 2 and 3 seasons on the validation part, prints and saves the choice; --budget skips', async () => {
  const model = file('model');
  const t = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--auto', '--out', model, '--baselines', 'none', '--combine', 'none');
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /lookback auto, horizon 3/);
  assert.match(t.stdout, /^Auto \(validation part, budget 300 s, [\d.]+ s spent\): lookback 12 → MAE [\d.]+ \(best epoch \d, [\d.]+ s\); lookback 24 → .*; lookback 36 → /m);
  const chose = /^Chose lookback (\d+) \(validation MAE ([\d.]+), best epoch \d\)$/m.exec(t.stdout);
  assert.ok(chose !== null, t.stdout);
  assert.match(t.stdout, /^Season: 12 \(detected\)$/m);
  const meta = JSON.parse(await readFile(join(model, 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster;
  assert.equal(meta.lookback, Number(chose[1]));
  assert.equal(meta.season, 12);
  assert.equal(meta.seasonDetected, true);
  assert.equal(meta.info.auto.lookback, Number(chose[1]));
  assert.deepEqual(meta.info.auto.trials.map((x: { lookback: number }) => x.lookback), [12, 24, 36]);
  assert.ok(meta.info.time !== undefined, 'the time column is still saved');
  // The saved model forecasts as any other.
  const f = rnnkit('timeseries', 'forecast', model, file('data.csv'), '--steps', '2');
  assert.equal(f.code, 0, f.stderr);
  const b = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--auto', '--budget', '0.001', '--baselines', 'none', '--combine', 'none');
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /skipped for the budget: lookback 24, 36/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--lookback', '12', '--budget', '5'), 2, /--budget is the time --auto may spend; without --auto leave it out/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--auto', '--budget', '0'), 2, /--budget must be a number of seconds > 0/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base), 2, /--lookback is required/);
});
