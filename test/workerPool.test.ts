/**
 * The persistent worker pool (src/models/workers/persistent.ts): predict and evaluate split
 * across it equal one thread (exactly where whole batches are split, within float32
 * rounding where rows are cut into smaller batches); one pool reused by fit, predict and a
 * second model; dispose frees a model's replicas; a worker that fails during predict or
 * evaluate fails the call naming the worker and the call, and the pool starts again at the
 * next call; a process with an idle pool exits by itself; option checks.
 */
import { after, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Rng, Sequential, layers, setSeed, shutdownWorkers, startWorkers, tensor, type Tensor } from '../src/index.js';
import { workerTestHooks } from '../src/models/workers/pool.js';
import { poolState, poolTestHooks, replicaCount } from '../src/models/workers/persistent.js';

after(() => shutdownWorkers());

const rng = new Rng(5);

/** Embedding(maskZero) → LSTM → Dense: padding trimming and predict's length sorting apply. */
function textModel(): Sequential {
  const m = new Sequential();
  m.add(layers.embedding({ inputDim: 20, outputDim: 8, maskZero: true, inputShape: [12] }));
  m.add(layers.lstm({ units: 16 }));
  m.add(layers.dense({ units: 3, activation: 'softmax' }));
  return m;
}

/** n token rows of random lengths 1…12, zero-padded at the end. */
function tokens(n: number): Tensor {
  const x = new Float32Array(n * 12);
  for (let i = 0; i < n; i++) {
    const len = 1 + rng.int(12);
    for (let t = 0; t < len; t++) x[i * 12 + t] = 1 + rng.int(19);
  }
  return tensor(x, [n, 12]);
}

function labels(n: number): Tensor {
  return tensor(Float32Array.from({ length: n }, () => rng.int(3)), [n]);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('worker pool: predict and evaluate equal one thread', () => {
  it('predict with 2 threads: the same outputs as 1 (whole batches: exactly; one batch cut in two: within float32 rounding)', async () => {
    setSeed(1);
    const m = textModel();
    const x = tokens(150);
    await startWorkers(1);
    const one = m.predict(x, { workers: 1, batchSize: 16 });
    const two = m.predict(x, { workers: 2, batchSize: 16 });
    assert.deepEqual(two.shape, one.shape);
    assert.equal(maxDiff(one.data, two.data), 0);
    assert.equal(replicaCount(m), 1);
    // 20 rows, batchSize 32: one batch, cut into two of 10.
    const small = tokens(20);
    const a = m.predict(small, { workers: 1 });
    const b = m.predict(small, { workers: 2 });
    assert.ok(maxDiff(a.data, b.data) <= 1e-6, `differs by ${maxDiff(a.data, b.data)}`);
    // Weights written after the replica was built reach it before the next split.
    m.setWeights(m.getWeights().map((w) => tensor(w.data.map((v) => v * 0.5), w.shape)));
    const c = m.predict(x, { workers: 1, batchSize: 16 });
    assert.ok(maxDiff(c.data, one.data) > 1e-4, 'the new weights change the outputs');
    assert.equal(maxDiff(c.data, m.predict(x, { workers: 2, batchSize: 16 }).data), 0);
    m.dispose();
  });

  it('a model with two inputs and two outputs (one of them a sequence)', async () => {
    setSeed(2);
    const a = layers.input({ shape: [6, 3] });
    const b = layers.input({ shape: [4] });
    const seq = layers.gru({ units: 5, returnSequences: true }).apply(a) as never;
    const last = layers.gru({ units: 5 }).apply(seq) as never;
    const joined = layers.concatenate().apply([last, layers.dense({ units: 5 }).apply(b) as never]) as never;
    const out = layers.dense({ units: 2 }).apply(joined) as never;
    const { model } = await import('../src/index.js');
    const m = model({ inputs: [a, b], outputs: [out, seq] });
    const n = 70;
    const xa = tensor(Float32Array.from({ length: n * 18 }, () => rng.uniform() - 0.5), [n, 6, 3]);
    const xb = tensor(Float32Array.from({ length: n * 4 }, () => rng.uniform()), [n, 4]);
    const one = m.predict([xa, xb], { workers: 1, batchSize: 8 }) as unknown as Tensor[];
    const two = m.predict([xa, xb], { workers: 2, batchSize: 8 }) as unknown as Tensor[];
    assert.equal(maxDiff(one[0]!.data, two[0]!.data), 0);
    assert.equal(maxDiff(one[1]!.data, two[1]!.data), 0);
    m.dispose();
  });

  it('evaluate with 2 threads: the same loss and metrics as 1, with sample weights and masks', () => {
    setSeed(3);
    const m = textModel();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', 'sparseCategoricalCrossentropy'] });
    const x = tokens(130);
    const y = labels(130);
    const sw = tensor(Float32Array.from({ length: 130 }, () => rng.uniform() * 2), [130]);
    const one = m.evaluate(x, y, { workers: 1, batchSize: 16, verbose: 0, sampleWeight: sw });
    const two = m.evaluate(x, y, { workers: 2, batchSize: 16, verbose: 0, sampleWeight: sw });
    assert.deepEqual(two, one);
    m.dispose();
  });

  it('evaluate of a sequence output (masked rows in the loss and the metrics)', () => {
    setSeed(4);
    const m = new Sequential();
    m.add(layers.embedding({ inputDim: 20, outputDim: 6, maskZero: true, inputShape: [12] }));
    m.add(layers.simpleRNN({ units: 8, returnSequences: true }));
    m.add(layers.timeDistributed({ layer: layers.dense({ units: 4, activation: 'softmax' }) }));
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = tokens(90);
    const y = tensor(Float32Array.from({ length: 90 * 12 }, () => rng.int(4)), [90, 12]);
    const one = m.evaluate(x, y, { workers: 1, batchSize: 8, verbose: 0 });
    const two = m.evaluate(x, y, { workers: 2, batchSize: 8, verbose: 0 });
    assert.deepEqual(two, one);
    m.dispose();
  });
});

describe('worker pool: lifecycle', () => {
  it('one pool serves fit, then predict, then a second model; dispose frees the model’s replicas', async () => {
    await startWorkers(1);
    const g = poolState()!.generation;
    setSeed(5);
    const m1 = textModel();
    m1.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = tokens(64);
    await m1.fit(x, labels(64), { epochs: 1, batchSize: 32, workers: 2, verbose: 0 });
    assert.deepEqual(poolState(), { generation: g, workers: 1, leased: false });
    const p1 = m1.predict(x, { workers: 2, batchSize: 16 });
    assert.equal(maxDiff(p1.data, m1.predict(x, { workers: 1, batchSize: 16 }).data), 0);
    const m2 = textModel();
    m2.predict(x, { workers: 2, batchSize: 16 });
    assert.equal(poolState()!.generation, g);
    assert.equal(replicaCount(m1), 1);
    assert.equal(replicaCount(m2), 1);
    m1.dispose();
    assert.equal(replicaCount(m1), 0);
    assert.equal(replicaCount(m2), 1);
    // m2 still predicts on the pool after m1's replicas went.
    assert.equal(maxDiff(m2.predict(x, { workers: 2, batchSize: 16 }).data, m2.predict(x, { workers: 1, batchSize: 16 }).data), 0);
    m2.dispose();
  });

  it("'auto' splits only once the pool runs, and only work big enough", { skip: availableParallelism() < 2 ? "'auto' uses one thread on one core" : false }, async () => {
    await shutdownWorkers();
    assert.equal(poolState(), null);
    setSeed(6);
    const big = new Sequential();
    big.add(layers.lstm({ units: 64, inputShape: [30, 16] }));
    big.add(layers.dense({ units: 2 }));
    const x = tensor(Float32Array.from({ length: 256 * 30 * 16 }, () => rng.uniform()), [256, 30, 16]);
    const first = big.predict(x); // starts the pool in the background, runs on one thread
    const state = poolState();
    assert.ok(state !== null && state.workers >= 1, 'the first auto predict starts the pool');
    await startWorkers(state.workers);
    assert.equal(replicaCount(big), 0);
    const second = big.predict(x);
    assert.equal(replicaCount(big), 1, 'the second auto predict splits');
    assert.equal(maxDiff(first.data, second.data), 0);
    const tiny = new Sequential();
    tiny.add(layers.simpleRNN({ units: 4, inputShape: [5, 1] }));
    tiny.predict(tensor(new Float32Array(64 * 5), [64, 5, 1]));
    assert.equal(replicaCount(tiny), 0, 'a tiny predict stays on one thread');
    big.dispose();
    tiny.dispose();
  });

  it('predict during a fit that borrows the pool: one thread for auto, an error for an explicit count', async () => {
    setSeed(10);
    const m = textModel();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const x = tokens(64);
    const seen: string[] = [];
    await m.fit(x, labels(64), {
      epochs: 1,
      batchSize: 32,
      workers: 2,
      verbose: 0,
      callbacks: {
        onBatchEnd: () => {
          assert.equal(poolState()?.leased, true);
          const one = m.predict(x, { workers: 1, batchSize: 16 });
          assert.equal(maxDiff(m.predict(x, { batchSize: 16 }).data, one.data), 0);
          assert.throws(() => m.predict(x, { workers: 2, batchSize: 16 }), /predict: workers: 2 cannot run while a fit is using the worker pool; use workers: 1 or 'auto'/);
          seen.push('batch');
        },
      },
    });
    assert.deepEqual(seen, ['batch', 'batch']);
    assert.equal(poolState()?.leased, false);
    m.dispose();
  });

  for (const kind of ['throw', 'exit'] as const) {
    it(`a worker that fails during predict (${kind}) fails predict, naming the worker; the next call starts a new pool`, async () => {
      setSeed(7);
      const m = textModel();
      const x = tokens(64);
      await startWorkers(1);
      const g = poolState()!.generation;
      poolTestHooks.fault = { worker: 1, kind };
      try {
        assert.throws(
          () => m.predict(x, { workers: 2, batchSize: 16 }),
          (e: Error) => {
            const why = kind === 'throw' ? 'injected fault' : 'the thread exited \\(exit code 7\\)';
            assert.match(e.message, new RegExp(`^Sequential '[^']+': predict: pool worker thread 1 \\(of 1\\) failed: ${why}; the worker pool was stopped and starts again at the next call$`));
            return true;
          },
        );
      } finally {
        poolTestHooks.fault = null;
      }
      assert.equal(poolState(), null);
      const again = m.predict(x, { workers: 2, batchSize: 16 });
      assert.ok(poolState()!.generation > g);
      assert.equal(maxDiff(again.data, m.predict(x, { workers: 1, batchSize: 16 }).data), 0);
      m.dispose();
    });
  }

  it('a worker that stops answering during evaluate fails evaluate at the stall deadline', async () => {
    setSeed(8);
    const m = textModel();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const x = tokens(64);
    const y = labels(64);
    await startWorkers(1);
    poolTestHooks.fault = { worker: 1, kind: 'hang' };
    const grace = workerTestHooks.stallGraceMs;
    workerTestHooks.stallGraceMs = 300;
    try {
      assert.throws(() => m.evaluate(x, y, { workers: 2, batchSize: 16, verbose: 0 }), /^Error: Sequential '[^']+': evaluate: pool worker thread 1 \(of 1\) failed: no result \d+\.\d s after the main thread finished its share; the worker pool was stopped/);
    } finally {
      poolTestHooks.fault = null;
      workerTestHooks.stallGraceMs = grace;
    }
    assert.deepEqual(m.evaluate(x, y, { workers: 2, batchSize: 16, verbose: 0 }), m.evaluate(x, y, { workers: 1, batchSize: 16, verbose: 0 }));
    m.dispose();
  });

  it('a process whose pool is idle exits by itself', async () => {
    const src = new URL('../src/index.ts', import.meta.url).href;
    const code = `
      const { Sequential, layers, tensor, startWorkers } = await import(${JSON.stringify(src)});
      const m = new Sequential();
      m.add(layers.lstm({ units: 8, inputShape: [5, 2] }));
      await startWorkers(1);
      const p = m.predict(tensor(new Float32Array(64 * 10), [64, 5, 2]), { workers: 2, batchSize: 16 });
      console.log(JSON.stringify({ rows: p.shape[0] }));
    `;
    // 60 s: a loaded machine needs several seconds to start tsx in the process and its worker.
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`the child did not end by itself (${err.killed ? 'killed after the timeout' : err.message})\n${stderr}`));
        else resolve(stdout);
      });
    });
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { rows: 64 });
  });
});

describe('worker pool: options', () => {
  it('refuses bad workers values and splits it cannot make, naming them', () => {
    setSeed(9);
    const m = textModel();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const x = tokens(40);
    assert.throws(() => m.predict(x, { workers: 0 }), /predict: workers must be a positive integer or 'auto', got 0/);
    assert.throws(() => m.evaluate(x, labels(40), { workers: 'all' as never, verbose: 0 }), /evaluate: workers must be a positive integer or 'auto', got "all"/);
    assert.throws(() => m.evaluate(x, labels(40), { workers: 3, verbose: 0, batchSize: 32 }), /evaluate: workers: 3 splits whole batches and this evaluate has 2; use workers: 1 or 'auto'/);
    const s = new Sequential();
    s.add(layers.lstm({ units: 4, stateful: true, batchInputShape: [8, 3, 2] }));
    assert.throws(() => s.predict(tensor(new Float32Array(16 * 6), [16, 3, 2]), { workers: 2, batchSize: 8 }), /predict: workers: 2 cannot split batches: .*stateful/);
    assert.equal(s.predict(tensor(new Float32Array(16 * 6), [16, 3, 2]), { batchSize: 8 }).shape[0], 16);
    m.dispose();
    s.dispose();
  });
});
