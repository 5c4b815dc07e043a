/**
 * Data-parallel fit (`workers`): gradients from 2 (and 3) threads against one thread,
 * with sample weights, class weights, masks and an uneven split; fit histories and
 * weights with workers 2 vs 1; a failing worker thread, a throwing callback and
 * stopTraining end fit with every thread gone (checked in a child process that must
 * exit on its own); option checks; stateful layers refused.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Loss, Rng, Sequential, layers, losses, setSeed, tensor, type Tensor } from '../src/index.js';
import { CapturingSGD } from './helpers/optim.js';
import { Dense } from '../src/layers/index.js';
import { AUTO_MAX_SHARDS, estimateBatchFlops, resolveShards } from '../src/models/workers/pool.js';
import { shardScale, shardSize, shardStart } from '../src/models/workers/protocol.js';

/** Gradients of one batch: threads agree up to float32 rounding of differently ordered sums (× max(1, max |g|)). */
const GRAD_TOL = 1e-6;
/** Loss histories and weights over a few epochs (rounding differences grow a little with each update). */
const HISTORY_TOL = 1e-5;
const WEIGHT_TOL = 1e-4;


function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; at: number; scale: number } {
  assert.equal(a.length, b.length);
  let diff = 0;
  let at = -1;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    scale = Math.max(scale, Math.abs(a[i]!));
    if (d > diff) {
      diff = d;
      at = i;
    }
  }
  return { diff, at, scale };
}

function weightsDiff(a: Tensor[], b: Tensor[]): number {
  let m = 0;
  a.forEach((t, i) => (m = Math.max(m, maxDiff(t.data, b[i]!.data).diff)));
  return m;
}

const rng = new Rng(11);
const uniform = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform());
const ints = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, () => rng.int(k));

type Build = () => Sequential;
type FitExtra = Record<string, unknown>;

/** The gradient of every batch of one epoch (no shuffle) with `workers` threads. */
async function gradients(build: Build, x: Tensor, y: Tensor, batchSize: number, workers: number, extra: FitExtra = {}): Promise<Float32Array[]> {
  setSeed(3);
  const model = build();
  const opt = new CapturingSGD();
  model.compile({ optimizer: opt, loss: (extra.loss as string | undefined) ?? 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const { loss: _loss, ...fitArgs } = extra;
  await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, workers, ...fitArgs });
  return opt.captured;
}

async function compareGradients(label: string, build: Build, x: Tensor, y: Tensor, batchSize: number, workers: number, extra: FitExtra = {}): Promise<void> {
  const one = await gradients(build, x, y, batchSize, 1, extra);
  const many = await gradients(build, x, y, batchSize, workers, extra);
  assert.equal(many.length, one.length);
  let worst = { diff: 0, at: -1, scale: 0, batch: -1 };
  one.forEach((g, b) => {
    const d = maxDiff(g, many[b]!);
    if (d.diff >= worst.diff) worst = { ...d, batch: b };
  });
  console.log(`  ${label}: max |g(${workers} threads) − g(1 thread)| = ${worst.diff.toExponential(2)} (max |g| ${worst.scale.toExponential(2)})`);
  assert.ok(
    worst.diff <= GRAD_TOL * Math.max(1, worst.scale),
    `${label}: max difference ${worst.diff} at batch ${worst.batch}, index ${worst.at}: ${one[worst.batch]![worst.at]} vs ${many[worst.batch]![worst.at]}`,
  );
}

const T = 12;
const I = 5;
const lstmModel: Build = () => {
  const m = new Sequential();
  m.add(layers.lstm({ units: 16, inputShape: [T, I] }));
  m.add(layers.dense({ units: 4, activation: 'softmax' }));
  return m;
};
const xDense = tensor(uniform(40 * T * I), [40, T, I]);
const yDense = tensor(ints(40, 4), [40]);

// Masked sequences: token ids 1..9, right-padded with 0 to lengths 0..T (one all-padding row).
const nMasked = 24;
const tokens = new Float32Array(nMasked * T);
const stepWeights = new Float32Array(nMasked * T);
for (let s = 0; s < nMasked; s++) {
  const len = s === 5 ? 0 : 1 + rng.int(T);
  for (let t = 0; t < len; t++) tokens[s * T + t] = 1 + rng.int(9);
  for (let t = 0; t < T; t++) stepWeights[s * T + t] = 0.5 + rng.uniform();
}
const xTokens = tensor(tokens, [nMasked, T]);
const yTokens = tensor(ints(nMasked * T, 6), [nMasked, T]);
const maskedModel: Build = () => {
  const m = new Sequential();
  m.add(layers.embedding({ inputDim: 10, outputDim: 6, maskZero: true, inputShape: [T] }));
  m.add(layers.gru({ units: 12, returnSequences: true }));
  m.add(layers.timeDistributed({ layer: layers.dense({ units: 6, activation: 'softmax' }) }));
  return m;
};

describe('data-parallel fit: gradients', () => {
  it('LSTM → Dense softmax, sparse CE: 2 threads = 1 thread (even and uneven splits)', async () => {
    await compareGradients('LSTM, batches of 16', lstmModel, xDense, yDense, 16, 2);
    await compareGradients('LSTM, batches of 7 (4 + 3 rows, last batch 5)', lstmModel, xDense, yDense, 7, 2);
  });

  it('LSTM with class weights, a regularizer and a constraint, and 3 threads', async () => {
    await compareGradients('LSTM, class weights', lstmModel, xDense, yDense, 16, 2, { classWeight: { 0: 1, 1: 3, 2: 0.5, 3: 2 } });
    const regularized: Build = () => {
      const m = new Sequential();
      m.add(layers.lstm({ units: 16, inputShape: [T, I], kernelRegularizer: 'l2', recurrentConstraint: 'maxNorm' }));
      m.add(layers.dense({ units: 4, activation: 'softmax', kernelRegularizer: 'l1' }));
      return m;
    };
    await compareGradients('LSTM, l2/l1 regularizers and maxNorm', regularized, xDense, yDense, 16, 2);
    await compareGradients('LSTM, 3 threads', lstmModel, xDense, yDense, 10, 3);
  });

  it("Embedding maskZero → GRU sequences → TimeDistributed Dense, per-step sample weights, 'sum' reduction", async () => {
    await compareGradients('masked, per-step sample weights', maskedModel, xTokens, yTokens, 12, 2, { sampleWeight: tensor(stepWeights, [nMasked, T]) });
    await compareGradients('masked, unweighted, batches of 9', maskedModel, xTokens, yTokens, 9, 2);
    await compareGradients('masked, reduction sum', maskedModel, xTokens, yTokens, 12, 2, { loss: losses.sparseCategoricalCrossentropy({ reduction: 'sum' }) as never });
  });
});

describe('data-parallel fit: training', () => {
  it('3 epochs with workers 2 follow workers 1 (loss, accuracy, weights)', async () => {
    const run = async (workers: number): Promise<{ loss: number[]; acc: number[]; w: Tensor[] }> => {
      setSeed(5);
      const m = lstmModel();
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const h = await m.fit(xDense, yDense, { epochs: 3, batchSize: 8, verbose: 0, seed: 9, workers, validationSplit: 0.2 });
      return { loss: h.history.loss as number[], acc: h.history.accuracy as number[], w: m.getWeights() };
    };
    const a = await run(1);
    const b = await run(2);
    const lossDiff = maxDiff(a.loss, b.loss).diff;
    const wDiff = weightsDiff(a.w, b.w);
    console.log(`  3 epochs: max loss difference ${lossDiff.toExponential(2)}, max weight difference ${wDiff.toExponential(2)}`);
    assert.ok(lossDiff <= HISTORY_TOL, `losses ${a.loss} vs ${b.loss}`);
    assert.ok(maxDiff(a.acc, b.acc).diff <= 1 / 32 + 1e-12, `accuracy ${a.acc} vs ${b.acc} (at most one sample may flip)`);
    assert.ok(wDiff <= WEIGHT_TOL, `weights differ by ${wDiff}`);
  });

  it('dropout and recurrent dropout train with workers 2 (each shard its own masks)', async () => {
    setSeed(6);
    const m = new Sequential();
    m.add(layers.gru({ units: 12, inputShape: [T, I], dropout: 0.2, recurrentDropout: 0.2 }));
    m.add(layers.dropout({ rate: 0.3 }));
    m.add(layers.dense({ units: 4, activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const h = await m.fit(xDense, yDense, { epochs: 2, batchSize: 10, verbose: 0, seed: 2, workers: 2 });
    const l = h.history.loss as number[];
    assert.ok(l.every((v) => Number.isFinite(v) && v > 0.5 && v < 3), `losses ${l}`);
  });
});

const faultScript = fileURLToPath(new URL('./helpers/workerFault.ts', import.meta.url));

/** Run the fault script; it must exit by itself within the timeout (no thread left behind; 60 s because a loaded machine once needed more than 20 s to start tsx and train). */
function runFault(mode: string): Promise<{ error: string | null; batches: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', faultScript, mode], { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`${mode}: the child did not end cleanly (${err.killed ? 'killed after the timeout: hung' : err.message})\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as { error: string | null; batches: number });
    });
  });
}

describe('data-parallel fit: failures and lifecycle', () => {
  it('a worker thread that throws fails fit with its message, and the process exits', async () => {
    const r = await runFault('throw');
    assert.match(r.error ?? '', /^fit: worker thread 1 \(of 1\) failed: injected fault at batch 2$/);
  });

  it('a worker thread that exits fails fit, and the process exits', async () => {
    const r = await runFault('exit');
    assert.match(r.error ?? '', /^fit: worker thread 1 \(of 1\) failed: the thread exited unexpectedly \(exit code 7\)$/);
  });

  it('a worker thread that blocks mid-fit (no exit event, as in a browser) fails fit at the stall deadline, and the process exits', async () => {
    const r = await runFault('hang');
    assert.match(r.error ?? '', /^fit: 1 of 1 worker threads stopped responding \(no result 1\.\d s after the main thread finished its shard\)$/);
    assert.equal(r.batches, 1);
  });

  it('a worker thread that never answers fails fit at the startup deadline, and the process exits', async () => {
    const r = await runFault('silent');
    assert.match(r.error ?? '', /^fit: worker thread 1 \(of 1\) failed: it did not start within 2 s$/);
    assert.equal(r.batches, 0);
  });

  it('a throwing callback and stopTraining end fit with the threads stopped; a clean fit exits too', async () => {
    const [cb, stop, ok] = await Promise.all([runFault('callback'), runFault('stop'), runFault('ok')]);
    assert.equal(cb.error, 'callback failed on purpose');
    assert.deepEqual(stop, { error: null, batches: 2 });
    assert.deepEqual(ok, { error: null, batches: 8 });
  });
});

describe('data-parallel fit: options', () => {
  it('workers must be a positive integer or auto', async () => {
    const m = lstmModel();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    for (const bad of [0, -1, 1.5, NaN, '2', 'all', null, true]) {
      await assert.rejects(
        m.fit(xDense, yDense, { verbose: 0, workers: bad as never }),
        (e: Error) => e instanceof RangeError && /^fit: workers must be a positive integer or 'auto', got /.test(e.message),
        `workers: ${String(bad)}`,
      );
    }
  });

  it('a stateful layer refuses workers > 1 by name; auto trains on one thread', async () => {
    const build = (): Sequential => {
      const m = new Sequential();
      m.add(layers.lstm({ units: 4, stateful: true, batchInputShape: [8, T, I], name: 'carry' }));
      m.add(layers.dense({ units: 4, activation: 'softmax' }));
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await assert.rejects(build().fit(xDense, yDense, { batchSize: 8, verbose: 0, workers: 2 }), (e: Error) => e instanceof RangeError && /LSTM 'carry'.*stateful.*workers: 2/.test(e.message));
    const h = await build().fit(xDense, yDense, { batchSize: 8, verbose: 0, workers: 'auto' });
    assert.equal(h.history.loss!.length, 1);
  });

  it("'auto' picks 1 shard for small work, 2 for large", async () => {
    const sce = losses.sparseCategoricalCrossentropy();
    const compiled = <M extends Sequential>(m: M, loss: Loss = sce): M => {
      m.compile({ loss });
      return m;
    };
    const small = lstmModel();
    small.build([T, I]);
    assert.equal(resolveShards('auto', compiled(small), 32, [T]), 1, 'a tiny model stays on one thread');
    const big = new Sequential();
    big.add(layers.lstm({ units: 128, inputShape: [50, 16] }));
    big.add(layers.dense({ units: 10, activation: 'softmax' }));
    compiled(big);
    // 6·B·T·(I + H)·4H for the LSTM, 6·B·H·10 for the Dense
    assert.equal(estimateBatchFlops(big.graph, 64, [50]), 6 * 64 * 50 * (16 + 128) * 512 + 6 * 64 * 128 * 10);
    // The shard count never follows the machine's cores (it sets the gradient's float sums).
    assert.equal(resolveShards('auto', big, 64, [50]), AUTO_MAX_SHARDS);
    assert.equal(AUTO_MAX_SHARDS, 2);
    assert.equal(resolveShards('auto', big, 8, [50]), 1, 'batches of 8 are too small to split');
    const seed = new Sequential();
    seed.add(layers.simpleRNN({ units: 32, inputShape: [10, 1] }));
    seed.add(layers.dense({ units: 1, activation: 'sigmoid' }));
    assert.equal(resolveShards('auto', compiled(seed, losses.binaryCrossentropy()), 32, [10]), 1, 'the seed workload stays on one thread');
    assert.equal(resolveShards(4, big, 3, [50]), 3, 'capped at the batch size');
  });

  it('a layer class of its own is refused by name (even one keeping its parent className); auto picks 1', async () => {
    class MyDense extends Dense {}
    const m = new Sequential();
    m.add(layers.lstm({ units: 64, inputShape: [50, 16] }));
    m.add(new MyDense({ units: 4, name: 'mine' }));
    m.compile({ loss: losses.sparseCategoricalCrossentropy() });
    assert.throws(() => resolveShards(2, m, 64, [50]), /^RangeError: Dense 'mine': fit option workers: 2 needs rnnkit's own layer classes .* this one is MyDense$/);
    assert.equal(resolveShards('auto', m, 64, [50]), 1);
  });

  it('a loss the workers cannot rebuild is refused by name', async () => {
    const base = losses.meanSquaredError();
    const custom = Object.create(base, { className: { value: 'MyLoss' }, name: { value: 'my_loss' } });
    const m = lstmModel();
    m.build([T, I]);
    m.compile({ loss: custom });
    assert.throws(() => resolveShards(2, m, 8, [T]), /^RangeError: fit: workers: 2 needs a built-in loss .*'my_loss' \(MyLoss\) is not one$/);
    assert.equal(resolveShards('auto', m, 64, [T]), 1);
  });
});

describe('data-parallel fit: shards', () => {
  it('contiguous shards cover the batch, the first never smaller', () => {
    for (const [B, n] of [[64, 2], [7, 2], [10, 3], [2, 3], [1, 2]] as const) {
      let next = 0;
      for (let i = 0; i < n; i++) {
        assert.equal(shardStart(B, n, i), next);
        next += shardSize(B, n, i);
        assert.ok(shardSize(B, n, 0) >= shardSize(B, n, i));
      }
      assert.equal(next, B);
    }
  });

  it('shard scales sum to 1 without masks, and weight shards by valid rows with them', () => {
    assert.equal(shardScale('sum_over_batch_size', false, 32, 0, 64, 0), 0.5);
    assert.equal(shardScale('sum', true, 10, 3, 64, 20), 1);
    // With a mask the factor is ≈ validS / valid.
    assert.ok(Math.abs(shardScale('sum_over_batch_size', true, 30, 10, 60, 40) - 0.25) < 1e-6);
  });
});
