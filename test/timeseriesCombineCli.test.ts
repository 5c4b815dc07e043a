/**
 * `rnnkit timeseries train --combine`: the default combines the network with the classical model
 * the validation part prefers and prints the choice; the saved model keeps it (`evaluate`
 * prints the same line and scores the same forecasts); `--combine none` is the network alone;
 * the refusals. A short non-seasonal series so the ETS and ARIMA fits cost little.
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
  assert.match(line, /^Combined with (ETS \([AM][AN]d?N\)|ARIMA\(1,1,1\)) \(re-fitted on the rows before the test part\): network weight per step (\d\.\d\d ){2}\d\.\d\d; validation MAE network [\d.]+, ETS [\d.]+, SARIMA [\d.]+, combined [\d.]+ \(\d+ windows\); classical fits [\d.]+ s$/);
  const meta = JSON.parse(await readFile(join(model, 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster;
  assert.equal(meta.combine, 'auto');
  assert.equal(meta.combination.weights.length, 3);
  const e = rnnkit('timeseries', 'evaluate', model, '--csv', file('data.csv'), '--baselines', 'none');
  assert.equal(e.code, 0, e.stderr);
  assert.ok(e.stdout.includes(line), e.stdout);
  assert.equal(modelRow(e.stdout), modelRow(t.stdout));

  const n = rnnkit('timeseries', 'train', file('data.csv'), ...base, '--combine', 'none', '--out', file('n'));
  assert.equal(n.code, 0, n.stderr);
  assert.doesNotMatch(n.stdout, /Combin/);
  assert.equal(JSON.parse(await readFile(join(file('n'), 'model.json'), 'utf8')).userDefinedMetadata.rnnkitForecaster.combination, null);
});

test('refusals: an unknown --combine value; --combine auto with --id-column', () => {
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--combine', 'yes'), 2, /--combine must be one of auto, none, got "yes"/);
  assertUserError(rnnkit('timeseries', 'train', file('data.csv'), ...base, '--combine', 'auto', '--id-column', 'store'), 2, /--combine auto combines one series with its classical model; with --id-column the network forecasts alone/);
});
