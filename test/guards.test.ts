/**
 * Guards a careless caller meets: non-finite values refused where they would spread
 * (setWeights, stream steps, targets, a diverging fit), one fit at a time per model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { Sequential, TextGenerator, Vocabulary, callbacks, layers, optimizers, setSeed, tensor, type Tensor } from '../src/index.js';

function small(): Sequential {
  const m = new Sequential({ layers: [layers.simpleRNN({ units: 4, inputShape: [3, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })] });
  return m;
}
const x = tensor(Array.from({ length: 16 }, (_, i) => [[i / 16, 1], [0.5, -i / 16], [1, 0]]));
const y = tensor(Array.from({ length: 16 }, (_, i) => [i % 2]));

test('setWeights and stream steps refuse NaN and Infinity, naming the weight and the index', () => {
  const m = small();
  const w = m.getWeights();
  const bad = w.map((t) => tensor(Array.from(t.data), t.shape));
  bad[1]!.data[2] = NaN;
  assert.throws(() => m.setWeights(bad), /setWeights: recurrent_kernel holds NaN at index 2; weights must be finite/);
  assert.deepEqual(Array.from(m.getWeights()[0]!.data), Array.from(w[0]!.data), 'nothing was written');
  const s = m.stream({ batchSize: 1 });
  assert.throws(() => s.step([[Infinity, 0]]), /holds Infinity at index 0; a stream takes finite values only/);
  const out = s.step([[0.1, 0.2]]) as Tensor;
  assert.ok(Number.isFinite(out.data[0]!), 'the stream still works');
});

test('targets: NaN refused (as before) for every loss, binary cross-entropy takes [0, 1] only', async () => {
  const m = small();
  m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
  const y2 = tensor(Array.from({ length: 16 }, (_, i) => [i === 5 ? 2 : 0]));
  await assert.rejects(m.fit(x, y2, { verbose: 0 }), /target 5 is 2; binary cross-entropy takes targets in \[0, 1\]/);
  const m2 = small();
  m2.compile({ optimizer: 'sgd', loss: 'mse' });
  const yn = tensor(Array.from({ length: 16 }, (_, i) => [i === 3 ? NaN : 0]));
  await assert.rejects(m2.fit(x, yn, { verbose: 0 }), /y contains NaN at \[3, 0\]; every value must be a finite number/);
  assert.throws(() => m2.evaluate(x, yn), /y contains NaN at \[3, 0\]/);
});

test('a diverging fit stops at the first non-finite step, naming it, with the weights from before it', async () => {
  for (const workers of [1, 2] as const) {
    const m = small();
    m.compile({ optimizer: optimizers.sgd({ learningRate: 1e10 }), loss: 'mse' });
    let before: Float32Array[] = [];
    const keep = { onBatchBegin: () => void (before = m.getWeights().map((t) => Float32Array.from(t.data))) };
    await assert.rejects(m.fit(x, tensor(Array.from({ length: 16 }, () => [1e3])), { epochs: 20, batchSize: 4, verbose: 0, callbacks: keep, workers }), (e: Error) => {
      assert.equal(e.name, 'NonFiniteError');
      assert.match(e.message, /fit stopped at epoch \d+, batch \d of 4: (the loss is (NaN|Infinity)|the gradient of '[\w/]+' holds (NaN|-?Infinity) at index \d+); this batch was not applied/);
      return true;
    });
    const after = m.getWeights();
    after.forEach((t, i) => {
      assert.ok(t.data.every(Number.isFinite), `weight ${i} finite (workers ${workers})`);
      assert.deepEqual(Array.from(t.data), Array.from(before[i]!), `weight ${i} as before the refused batch (workers ${workers})`);
    });
  }
});

test('one fit at a time: a second fit or an evaluate while one runs is refused; predict is allowed; afterwards both work', async () => {
  const m = small();
  m.compile({ optimizer: 'adam', loss: 'mse' });
  let inside: Error | null = null;
  let predicted = false;
  const probe = {
    onEpochEnd: async () => {
      try {
        m.evaluate(x, y, { verbose: 0 });
      } catch (e) {
        inside = e as Error;
      }
      predicted = Number.isFinite((m.predict(x) as Tensor).data[0]!);
    },
  };
  const first = m.fit(x, y, { epochs: 2, verbose: 0, callbacks: probe, yieldEvery: 'batch' });
  await assert.rejects(m.fit(x, y, { verbose: 0 }), /fit while fit is running on this model; await the running fit first/);
  await first;
  assert.match(String(inside), /evaluate while fit is running/);
  assert.ok(predicted);
  await m.fit(x, y, { verbose: 0 });
  assert.equal(m.evaluate(x, y, { verbose: 0 }).length, 1);
});

test('TextGenerator without a seed draws it from setSeed: reproducible, never negative', async () => {
  const run = async (): Promise<string> => {
    setSeed(123);
    const g = new TextGenerator({ vocab: Vocabulary.fromCorpus(['abc', 'bca']), units: 4, embeddingDim: 3 });
    await g.fit(['abc', 'bca', 'cab'], { epochs: 1, verbose: 0 });
    return g.sample({ maxLength: 8 });
  };
  for (let i = 0; i < 5; i++) assert.equal(await run(), await run());
});

test("require('rnnkit') from a CommonJS project works (the package's default export condition)", { skip: !existsSync(join(ROOT, 'dist', 'index.js')) && 'dist/ not built' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-cjs-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'rnnkit'));
  writeFileSync(join(dir, 'package.json'), '{}');
  const out = execFileSync(process.execPath, ['-e', "const r = require('rnnkit'); console.log(typeof r.Sequential, typeof r.loadModel)"], { cwd: dir, encoding: 'utf8' });
  assert.equal(out.trim(), 'function function');
  rmSync(dir, { recursive: true, force: true });
});

test("a monitor name that is not logged: the message says whether the name or the validation is missing", async () => {
  const m = small();
  m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
  await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, validationSplit: 0.25, callbacks: [callbacks.earlyStopping({ monitor: 'val_mean', mode: 'min' })] }), /monitor 'val_mean' is not in the epoch logs \(available: loss, mae, val_loss, val_mae\)$/);
  await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, validationSplit: 0.25, callbacks: [callbacks.earlyStopping({ monitor: 'val_ma', mode: 'min' })] }), /did you mean 'val_mae'\?/);
  await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [callbacks.earlyStopping({ monitor: 'val_loss' })] }), /pass validationSplit or validationData to fit/);
});

test('a fit with worker threads lets the process exit as soon as it returns', () => {
  const script = `import { Sequential, layers, tensor } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};
const m = new Sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(tensor([[1, 2], [3, 4], [5, 6], [7, 8]]), tensor([[1], [0], [1], [0]]), { epochs: 3, verbose: 0, workers: 2, batchSize: 4 });
const t0 = performance.now();
process.on('exit', () => console.log(Math.round(performance.now() - t0)));`;
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-exit-'));
  writeFileSync(join(dir, 'run.mts'), script);
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'run.mts')], { cwd: ROOT, encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  assert.ok(Number(out.trim()) < 300, `the process lingered ${out.trim()} ms after fit`);
});

test('messages print NaN and Infinity as themselves, not as null', () => {
  assert.throws(() => layers.dense({ units: NaN }), /units must be a positive integer, got NaN$/);
  assert.throws(() => layers.dropout({ rate: Infinity }), /rate must be a number in \[0, 1\), got Infinity$/);
  assert.throws(() => optimizers.adam({ learningRate: -Infinity }), /got -Infinity/);
});
