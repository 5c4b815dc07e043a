/**
 * fit's default (workers 'auto'): the shard count follows the model and the batch shapes,
 * the thread count the machine, and the thread count never changes the bits. A default fit
 * computed by 1 thread (the main thread computing both shards, as on a 1-core machine or a
 * page without isolation) equals the same fit by 2 threads bit for bit — weights, losses,
 * metrics — on a masked, trimmed text model and on a dense model with dropout, sample
 * weights and a validation split; a resumed fit (initialEpoch) equals an unbroken one; and
 * models that shards would train differently (trainable BatchNormalization, stateful
 * layers) get 1 shard under 'auto' and train exactly as workers: 1.
 */
import { describe, it, afterEach } from 'node:test';
import { strict as assert } from 'node:assert';
import { availableParallelism } from 'node:os';
import { Rng, Sequential, layers, optimizers, setSeed, tensor, type Model, type Tensor } from '../src/index.js';
import { workerTestHooks } from '../src/models/workers/checks.js';

const TWO_CORES = availableParallelism() >= 2;

const V = 20;
const N = 80;
const T = 20;

/** N lines of ids in [1, V) of lengths 2..T, right-padded with 0; targets: the next id (0 after the end). */
function lines(seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = new Float32Array(N * T);
  const y = new Float32Array(N * T);
  for (let b = 0; b < N; b++) {
    const len = 2 + rng.int(T - 1);
    for (let t = 0; t < len; t++) x[b * T + t] = 1 + rng.int(V - 1);
    for (let t = 0; t + 1 < len; t++) y[b * T + t] = x[b * T + t + 1]!;
  }
  return { x: tensor(x, [N, T]), y: tensor(y, [N, T]) };
}

/** Embedding(maskZero) → LSTM(32) sequences → Dense softmax: 2.2e7 training FLOPs per batch of 32, so 'auto' cuts 2 shards. */
function textModel(): Model {
  const m = new Sequential();
  m.add(layers.embedding({ inputDim: V, outputDim: 8, maskZero: true, inputShape: [null] }));
  m.add(layers.lstm({ units: 32, returnSequences: true }));
  m.add(layers.dense({ units: V, activation: 'softmax' }));
  m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

const F = 6;
const dense = ((): { x: Tensor; y: Tensor; sw: Tensor } => {
  const rng = new Rng(4);
  return {
    x: tensor(Float32Array.from({ length: N * T * F }, () => rng.uniform() * 2 - 1), [N, T, F]),
    y: tensor(Float32Array.from({ length: N }, () => rng.int(3)), [N]),
    sw: tensor(Float32Array.from({ length: N }, () => 0.5 + rng.uniform()), [N]),
  };
})();

/** LSTM(48) with dropout → Dropout → Dense softmax; unseeded layers (their dropout seeds come from setSeed). */
function dropoutModel(batchNorm = false): Model {
  const m = new Sequential();
  m.add(layers.lstm({ units: 48, dropout: 0.2, recurrentDropout: 0.1, inputShape: [T, F] }));
  if (batchNorm) m.add(layers.batchNormalization({}));
  m.add(layers.dropout({ rate: 0.3 }));
  m.add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

interface Run {
  history: Record<string, number[]>;
  weights: Float32Array[];
  shards: number;
  threads: number;
}

/** Build under setSeed(1), fit with these args (default workers unless given), with at most maxThreads threads. */
async function run(build: () => Model, x: Tensor, y: Tensor, args: Record<string, unknown>, maxThreads: number, resumeAt = 0): Promise<Run> {
  workerTestHooks.maxFitThreads = maxThreads;
  setSeed(1);
  const m = build();
  const history: Record<string, number[]> = {};
  const add = (h: Record<string, number[]>): void => {
    for (const [k, v] of Object.entries(h)) (history[k] ??= []).push(...v);
  };
  if (resumeAt > 0) add((await m.fit(x, y, { ...args, epochs: resumeAt, verbose: 0 })).history as Record<string, number[]>);
  add((await m.fit(x, y, { ...args, initialEpoch: resumeAt, verbose: 0 })).history as Record<string, number[]>);
  const last = workerTestHooks.lastFit!;
  return { history, weights: m.getWeights().map((w) => w.data.slice()), shards: last.shards, threads: last.threads };
}

function sameBits(a: Run, b: Run, what: string): void {
  assert.deepEqual(Object.keys(a.history).sort(), Object.keys(b.history).sort(), `${what}: history keys`);
  for (const k of Object.keys(a.history)) {
    const p = a.history[k]!;
    const q = b.history[k]!;
    assert.equal(p.length, q.length, `${what}: ${k}`);
    p.forEach((v, i) => assert.ok(Object.is(v, q[i]), `${what}: ${k}[${i}]: ${v} vs ${q[i]}`));
  }
  a.weights.forEach((w, i) => {
    const o = b.weights[i]!;
    assert.equal(w.length, o.length);
    for (let j = 0; j < w.length; j++) if (!Object.is(w[j], o[j])) assert.fail(`${what}: weight ${i}[${j}]: ${w[j]} vs ${o[j]}`);
  });
}

afterEach(() => {
  workerTestHooks.maxFitThreads = Infinity;
});

describe("fit's default: shards by the model, threads by the machine", () => {
  it('a masked text model (padding trimmed per shard): 1 thread = 2 threads, bit for bit', async () => {
    const { x, y } = lines(7);
    const args = { epochs: 3, batchSize: 32, seed: 5, validationSplit: 0.2 };
    const one = await run(textModel, x, y, args, 1);
    assert.equal(one.shards, 2, "'auto' cuts this model's batches into 2 shards");
    assert.equal(one.threads, 1);
    const two = await run(textModel, x, y, args, Infinity);
    assert.equal(two.shards, 2);
    if (TWO_CORES) assert.equal(two.threads, 2, 'a 2-core machine computes the shards on 2 threads');
    sameBits(one, two, '1 vs 2 threads');
    // and it trained (not a run that left the weights alone)
    assert.ok(one.history.loss![2]! < one.history.loss![0]!);
  });

  it('dropout, recurrent dropout, sample weights, shuffling: 1 thread = 2 threads, bit for bit', async () => {
    const args = { epochs: 2, batchSize: 40, seed: 3, sampleWeight: dense.sw };
    const one = await run(dropoutModel, dense.x, dense.y, args, 1);
    assert.equal(one.shards, 2);
    const two = await run(dropoutModel, dense.x, dense.y, args, Infinity);
    sameBits(one, two, '1 vs 2 threads');
  });

  it('a resumed fit (initialEpoch) trains as an unbroken one, on 1 or 2 threads', async () => {
    const { x, y } = lines(8);
    const args = { epochs: 3, batchSize: 32, seed: 6 };
    const whole = await run(textModel, x, y, args, Infinity);
    const resumed = await run(textModel, x, y, args, Infinity, 1);
    sameBits(whole, resumed, 'resumed (2 threads) vs unbroken');
    const resumedOne = await run(textModel, x, y, args, 1, 2);
    sameBits(whole, resumedOne, 'resumed (1 thread) vs unbroken (2 threads)');
  });

  it("a trainable BatchNormalization (batch statistics) gets 1 shard under 'auto': the default fit is workers: 1's", async () => {
    const args = { epochs: 2, batchSize: 40, seed: 3 };
    const auto = await run(() => dropoutModel(true), dense.x, dense.y, args, Infinity);
    assert.equal(auto.shards, 1);
    const one = await run(() => dropoutModel(true), dense.x, dense.y, { ...args, workers: 1 }, Infinity);
    sameBits(auto, one, "'auto' vs workers: 1");
    // the same model without BatchNormalization is cut: the rule is the layer, not the size
    assert.equal((await run(() => dropoutModel(false), dense.x, dense.y, { ...args, epochs: 1 }, 1)).shards, 2);
  });

  it("a stateful layer gets 1 shard under 'auto'", async () => {
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.lstm({ units: 48, stateful: true, batchInputShape: [40, T, F] }));
      m.add(layers.dense({ units: 3, activation: 'softmax' }));
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    const auto = await run(build, dense.x, dense.y, { epochs: 1, batchSize: 40, shuffle: false }, Infinity);
    assert.equal(auto.shards, 1);
  });
});
