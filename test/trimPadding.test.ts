/**
 * Padding trimming (src/models/trim.ts): fit, evaluate and predict on batches cut to their
 * unmasked span give what the full computation gives — exactly on the TypeScript kernels,
 * within 1e-6 on WebAssembly — for every recurrent cell, goBackwards, Bidirectional,
 * per-step targets and sample weights, left padding, Masking, a Seq2Seq-like graph with
 * attention; and models that must not be cut (Flatten after the RNN, dropout per step in
 * training, a stateful layer) are not. predict also sorts the samples by length into its batches
 * (the rows go back to their places), which these comparisons cover. Each case also checks that
 * some batch really was cut. fit's bucketByLength: the order function, exact resume, refusals.
 */
import { describe, it, afterEach } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { getBackend } from '../src/backend/kernels.js';
import { Sequential, input, layers, model, optimizers, setSeed, tensor, type Model, type Tensor } from '../src/index.js';
import { bucketOrder, planTrim, setPaddingTrim } from '../src/models/trim.js';
import { assertClose } from './helpers/check.js';

const exact = getBackend() === 'ts';
const N = 24;
const T = 14;

/** N rows of ids in [1, V) of lengths 1..maxLen, padded with 0 to T on the right (or the left). */
function ids(seed: number, V: number, maxLen: number, left = false, empty: readonly number[] = []): { x: Tensor; lens: number[] } {
  const rng = new Rng(seed);
  const lens: number[] = [];
  const data = new Float32Array(N * T);
  for (let b = 0; b < N; b++) {
    const len = empty.includes(b) ? 0 : 1 + rng.int(maxLen);
    lens.push(len);
    for (let t = 0; t < len; t++) data[b * T + (left ? T - len + t : t)] = 1 + rng.int(V - 1);
  }
  return { x: tensor(data, [N, T]), lens };
}

function perStepTargets(seed: number, lens: number[], classes: number): Tensor {
  const rng = new Rng(seed);
  return tensor(Float32Array.from({ length: N * T }, (_, i) => (i % T < lens[Math.floor(i / T)]! ? rng.int(classes) : 0)), [N, T]);
}

const engineOf = (m: Model): { trimmedBatches: number } => (m as unknown as { engine: { trimmedBatches: number } }).engine;

interface Run {
  evalBefore: number[];
  predBefore: Float32Array[];
  weights: Float32Array[];
  evalAfter: number[];
  predAfter: Float32Array[];
  trimmed: number;
}

/** Build (seeded), evaluate, predict, fit 2 epochs, evaluate and predict again, with trimming on or off. */
async function run(trim: boolean, build: () => Model, x: Tensor | Tensor[], y: Tensor | Tensor[], fitArgs: Record<string, unknown> = {}): Promise<Run> {
  setPaddingTrim(trim);
  setSeed(5);
  const m = build();
  const flat = (p: Tensor | Tensor[]): Float32Array[] => (Array.isArray(p) ? p : [p]).map((t) => t.data.slice());
  const evalBefore = m.evaluate(x, y, { batchSize: 8, verbose: 0, ...(fitArgs.sampleWeight === undefined ? {} : { sampleWeight: fitArgs.sampleWeight }) } as never);
  const predBefore = flat(m.predict(x, { batchSize: 8 }));
  await m.fit(x, y, { epochs: 2, batchSize: 8, seed: 3, verbose: 0, ...fitArgs });
  const evalAfter = m.evaluate(x, y, { batchSize: 8, verbose: 0 });
  const predAfter = flat(m.predict(x, { batchSize: 5 }));
  return { evalBefore, predBefore, weights: m.getWeights().map((w) => w.data.slice()), evalAfter, predAfter, trimmed: engineOf(m).trimmedBatches };
}

function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (exact) {
    assert.equal(a.length, b.length, what);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${what}: index ${i}: trimmed ${a[i]} vs full ${b[i]}`);
  } else assertClose(a, b, 1e-6, 1e-6, what);
}

/** Trimmed vs full: every loss, prediction and weight; and trimming happened (or, with expectTrim false, never). */
async function compare(build: () => Model, x: Tensor | Tensor[], y: Tensor | Tensor[], fitArgs: Record<string, unknown> = {}, expectTrim = true): Promise<void> {
  const full = await run(false, build, x, y, fitArgs);
  const cut = await run(true, build, x, y, fitArgs);
  assert.equal(full.trimmed, 0);
  if (expectTrim) assert.ok(cut.trimmed > 0, 'no batch was trimmed');
  else assert.equal(cut.trimmed, 0, 'a batch was trimmed');
  same(cut.evalBefore, full.evalBefore, 'evaluate before fit');
  cut.predBefore.forEach((p, i) => same(p, full.predBefore[i]!, `predict before fit, output ${i}`));
  cut.weights.forEach((w, i) => same(w, full.weights[i]!, `weight ${i} after fit`));
  same(cut.evalAfter, full.evalAfter, 'evaluate after fit');
  cut.predAfter.forEach((p, i) => same(p, full.predAfter[i]!, `predict after fit, output ${i}`));
}

afterEach(() => setPaddingTrim(true));

describe('padding trimming equals the full computation', () => {
  const V = 12;
  const { x, lens } = ids(1, V, 9);
  const yClass = tensor(Array.from({ length: N }, (_, i) => i % 3), [N]);

  for (const cell of ['lstm', 'gru', 'simpleRNN'] as const) {
    it(`${cell}: last output, sparse categorical cross-entropy, Adam`, async () => {
      const build = (): Model => {
        const m = new Sequential();
        m.add(layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [null] }));
        m.add(layers[cell]({ units: 6 }));
        m.add(layers.dense({ units: 3, activation: 'softmax' }));
        m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        return m;
      };
      await compare(build, x, yClass);
    });

    it(`${cell}: returnSequences with per-step targets and per-step sample weights`, async () => {
      const y = perStepTargets(2, lens, 4);
      const sw = tensor(Float32Array.from({ length: N * T }, (_, i) => 0.5 + (i % 3)), [N, T]);
      const build = (): Model => {
        const m = new Sequential();
        m.add(layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [null] }));
        m.add(layers[cell]({ units: 6, returnSequences: true }));
        m.add(layers.dense({ units: 4, activation: 'softmax' }));
        m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        return m;
      };
      await compare(build, x, y, { sampleWeight: sw });
    });
  }

  it('goBackwards (last output) and zeroOutputForMask sequences', async () => {
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [null] }));
      m.add(layers.lstm({ units: 6, returnSequences: true, zeroOutputForMask: true }));
      m.add(layers.gru({ units: 5, goBackwards: true }));
      m.add(layers.dense({ units: 3, activation: 'softmax' }));
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await compare(build, x, yClass);
  });

  it('Bidirectional sequences → TimeDistributed(Dense), per-step targets', async () => {
    const y = perStepTargets(4, lens, 3);
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [null] }));
      m.add(layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true }) }));
      m.add(layers.timeDistributed({ layer: layers.dense({ units: 3, activation: 'softmax' }) }));
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    await compare(build, x, y);
  });

  it('left padding, a fixed-length input, Bidirectional → masked global pooling', async () => {
    const left = ids(6, V, 9, true);
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [T] }));
      m.add(layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }) }));
      m.add(layers.globalMaxPooling1d({}));
      m.add(layers.dense({ units: 1, activation: 'sigmoid' }));
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    await compare(build, left.x, tensor(Array.from({ length: N }, (_, i) => [i % 2])));
  });

  it('Masking on float features, LSTM sequences, mse per step', async () => {
    const rng = new Rng(8);
    const data = new Float32Array(N * T * 3);
    for (let b = 0; b < N; b++) {
      const len = 1 + rng.int(8);
      for (let t = 0; t < len; t++) for (let f = 0; f < 3; f++) data[(b * T + t) * 3 + f] = rng.uniformIn(-1, 1);
    }
    const x3 = tensor(data, [N, T, 3]);
    const y3 = tensor(Float32Array.from({ length: N * T * 2 }, () => rng.uniformIn(-1, 1)), [N, T, 2]);
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.masking({ maskValue: 0, inputShape: [null, 3] }));
      m.add(layers.lstm({ units: 5, returnSequences: true }));
      m.add(layers.dense({ units: 2 }));
      m.compile({ optimizer: optimizers.rmsprop({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
      return m;
    };
    await compare(build, x3, y3);
  });

  it('a Seq2Seq-like graph: encoder states and attention over masked encoder outputs', async () => {
    const src = ids(9, V, 8);
    const tgt = ids(10, V, 10);
    const y = perStepTargets(11, tgt.lens, V);
    const build = (): Model => {
      const s = input({ shape: [null], name: 'source' });
      const t = input({ shape: [null], name: 'target_in' });
      const encEmb = layers.embedding({ inputDim: V, outputDim: 5, maskZero: true }).apply(s);
      const [enc, h, c] = layers.lstm({ units: 6, returnSequences: true, returnState: true }).apply(encEmb) as never as [never, never, never];
      const decEmb = layers.embedding({ inputDim: V, outputDim: 5, maskZero: true }).apply(t);
      const dec = layers.lstm({ units: 6, returnSequences: true }).apply(decEmb, { initialState: [h, c] } as never);
      const ctx = layers.attention({}).apply([dec, enc] as never);
      const joined = layers.concatenate({}).apply([dec, ctx] as never);
      const out = layers.dense({ units: V, activation: 'softmax' }).apply(joined);
      const m = model({ inputs: [s, t], outputs: out as never });
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    await compare(build, [src.x, tgt.x], y);
  });
});

describe('padding trimming: rows masked at every step', () => {
  const V = 12;
  const empty = [0, 5, 17, 18];
  const { x, lens } = ids(41, V, 9, false, empty);

  it('empty rows hold their initial states: a batch with one is still cut (Bidirectional sequences, per-step targets; LSTM last output)', async () => {
    const y = perStepTargets(42, lens, 3);
    const seq = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 4, maskZero: true, inputShape: [null] }));
      m.add(layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }) }));
      m.add(layers.dense({ units: 3, activation: 'softmax' }));
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    await compare(seq, x, y);
    const last = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 4, maskZero: true, inputShape: [null] }));
      m.add(layers.lstm({ units: 4, returnSequences: true }));
      m.add(layers.globalAveragePooling1d({}));
      m.add(layers.dense({ units: 2, activation: 'softmax' }));
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await compare(last, x, tensor(Array.from({ length: N }, (_, i) => i % 2), [N]));
  });

  it('attention over an input with empty rows: its batches holding one are not cut, and the results still equal', async () => {
    const tgt = ids(43, V, 10);
    const y = perStepTargets(44, tgt.lens, V);
    const build = (): Model => {
      const s = input({ shape: [null] });
      const t = input({ shape: [null] });
      // The values are the source embeddings themselves: an empty row's are the (nonzero) padding row at every step.
      const enc = layers.embedding({ inputDim: V, outputDim: 5, maskZero: true }).apply(s);
      const dec = layers.gru({ units: 5, returnSequences: true }).apply(layers.embedding({ inputDim: V, outputDim: 4, maskZero: true }).apply(t));
      const ctx = layers.attention({}).apply([dec, enc] as never);
      const out = layers.dense({ units: V, activation: 'softmax' }).apply(layers.concatenate({}).apply([dec, ctx] as never));
      const m = model({ inputs: [s, t], outputs: out as never });
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await compare(build, [x, tgt.x], y);
  });
});

describe('padding trimming: shared layers and fixed lengths', () => {
  it('one LSTM shared by a masked fixed-length input and an unmasked one, attention between them, add (merges read the cut length)', async () => {
    const rng = new Rng(13);
    const data = Float32Array.from({ length: N * T * 2 }, () => rng.uniform());
    for (let b = 0; b < N; b++) for (let t = 3 + (b % 7); t < T; t++) data.fill(0, (b * T + t) * 2, (b * T + t + 1) * 2);
    const xs = tensor(data, [N, T, 2]);
    const y = tensor(Float32Array.from({ length: N * T }, () => rng.int(3)), [N, T]);
    const build = (): Model => {
      const a = input({ shape: [T, 2] });
      const b = input({ shape: [T, 2] });
      const shared = layers.lstm({ units: 6, returnSequences: true });
      const ha = shared.apply(layers.masking({ maskValue: 0 }).apply(a)) as never;
      const hb = shared.apply(b) as never;
      const att = layers.attention({ useScale: true }).apply([ha, hb] as never);
      const merged = layers.add({}).apply([ha, att] as never);
      const m = model({ inputs: [a, b], outputs: layers.dense({ units: 3, activation: 'softmax' }).apply(merged) as never });
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    await compare(build, [xs, xs], y);
  });
});

describe('padding trimming: models it must not cut', () => {
  const V = 10;
  const { x } = ids(12, V, 6);
  const yClass = tensor(Array.from({ length: N }, (_, i) => i % 2), [N]);

  it('Flatten after the RNN (the output sees every step): no plan, nothing cut, same results', async () => {
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 4, maskZero: true, inputShape: [T] }));
      m.add(layers.simpleRNN({ units: 3, returnSequences: true }));
      m.add(layers.flatten({}));
      m.add(layers.dense({ units: 2, activation: 'softmax' }));
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    assert.equal(planTrim((build() as unknown as { graph: never }).graph), null);
    await compare(build, x, yClass, {}, false);
  });

  it('an unmasked output sequence (Embedding without maskZero after a stateful-free RNN) is not cut', async () => {
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 4, inputShape: [null] }));
      m.add(layers.gru({ units: 3 }));
      m.add(layers.dense({ units: 2, activation: 'softmax' }));
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await compare(build, x, yClass, {}, false);
  });

  it('a stateful LSTM (its state runs from batch to batch): predict neither cuts nor reorders', () => {
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 4, maskZero: true, batchInputShape: [4, T] }));
      m.add(layers.lstm({ units: 3, stateful: true }));
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      return m;
    };
    const preds = [false, true].map((on) => {
      setPaddingTrim(on);
      setSeed(2);
      const m = build();
      const p = m.predict(x, { batchSize: 4 }).data.slice();
      assert.equal(engineOf(m).trimmedBatches, 0);
      return p;
    });
    same(preds[1]!, preds[0]!, 'stateful predict');
  });

  it('Dropout on the sequence (draws per step): fit is not cut, predict is; results equal', async () => {
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 4, maskZero: true, inputShape: [null] }));
      m.add(layers.dropout({ rate: 0.3 }));
      m.add(layers.lstm({ units: 3 }));
      m.add(layers.dense({ units: 2, activation: 'softmax' }));
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await compare(build, x, yClass);
  });
});

describe('fit bucketByLength', () => {
  const V = 12;
  const { x, lens } = ids(21, V, 12);
  const y = perStepTargets(22, lens, 4);
  const build = (): Model => {
    const m = new Sequential();
    m.add(layers.embedding({ inputDim: V, outputDim: 4, maskZero: true, inputShape: [null] }));
    m.add(layers.gru({ units: 5, returnSequences: true }));
    m.add(layers.dense({ units: 4, activation: 'softmax' }));
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    return m;
  };

  it('bucketOrder: a permutation; each chunk sorted by length into batches, then the full batches shuffled; the partial batch stays last', () => {
    const n = 100;
    const lengths = Int32Array.from({ length: n }, (_, i) => (i * 37) % 23);
    const order = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
    const a = order.slice();
    bucketOrder(a, lengths, 3, new Rng(4));
    assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: n }, (_, i) => i));
    const b = order.slice();
    bucketOrder(b, lengths, 3, new Rng(4));
    assert.deepEqual(b, a, 'deterministic');
    // One chunk (32 batches of 3 = 96 samples, then 4): per chunk the batches' length ranges do not overlap.
    for (const [from, to] of [[0, 96], [96, 100]] as const) {
      const ranges: [number, number][] = [];
      for (let s = from; s < to; s += 3) {
        const ls = Array.from(a.subarray(s, Math.min(s + 3, to)), (i) => lengths[i]!);
        ranges.push([Math.min(...ls), Math.max(...ls)]);
      }
      ranges.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
      for (let r = 1; r < ranges.length; r++) assert.ok(ranges[r - 1]![1] <= ranges[r]![0], `overlapping batches ${JSON.stringify(ranges)}`);
    }
    assert.equal(lengths[a[99]!], Math.max(...Array.from(order.subarray(96), (i) => lengths[i]!)), 'the partial batch is the last chunk sorted, last');
    const unshuffled = order.slice();
    bucketOrder(unshuffled, lengths, 3, null);
    for (let i = 1; i < 96; i++) assert.ok(lengths[unshuffled[i - 1]!]! <= lengths[unshuffled[i]!]!, 'without shuffle each chunk is in length order');
  });

  it('a resumed fit (initialEpoch) trains exactly as an unbroken one; trimmed equals untrimmed', async () => {
    const fitArgs = { batchSize: 4, seed: 9, verbose: 0 as const, bucketByLength: true };
    setSeed(3);
    const whole = build();
    await whole.fit(x, y, { ...fitArgs, epochs: 3 });
    setSeed(3);
    const resumed = build();
    await resumed.fit(x, y, { ...fitArgs, epochs: 1 });
    await resumed.fit(x, y, { ...fitArgs, epochs: 3, initialEpoch: 1 });
    whole.getWeights().forEach((w, i) => same(w.data, resumed.getWeights()[i]!.data, `weight ${i}`));
    setSeed(3);
    const plain = build();
    await plain.fit(x, y, { ...fitArgs, epochs: 3, bucketByLength: false });
    assert.notDeepEqual(plain.getWeights()[0]!.data, whole.getWeights()[0]!.data, 'bucketing changes the batches');
    await compare(build, x, y, { bucketByLength: true, batchSize: 4 });
  });

  it('is refused for a model without trimmable padding, and must be a boolean', async () => {
    const m = new Sequential();
    m.add(layers.lstm({ units: 2, inputShape: [null, 3] }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x3 = tensor(new Float32Array(4 * 5 * 3), [4, 5, 3]);
    await assert.rejects(m.fit(x3, tensor(new Float32Array(8), [4, 2]), { bucketByLength: true, verbose: 0 }), /fit: bucketByLength needs a model whose padding can be trimmed/);
    await assert.rejects(build().fit(x, y, { bucketByLength: 'yes' as never, verbose: 0 }), /bucketByLength/);
  });
});

describe('padding trimming with worker threads', () => {
  it('workers: 2 (each shard cut on its own rows, the replicas pad their outputs back) trains as the untrimmed run', async () => {
    const V = 12;
    const { x, lens } = ids(31, V, 10);
    const y = perStepTargets(32, lens, 4);
    const build = (): Model => {
      const m = new Sequential();
      m.add(layers.embedding({ inputDim: V, outputDim: 4, maskZero: true, inputShape: [null] }));
      m.add(layers.lstm({ units: 5, returnSequences: true }));
      m.add(layers.dense({ units: 4, activation: 'softmax' }));
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const runs: { loss: number[]; acc: number[]; weights: Float32Array[]; trimmed: number }[] = [];
    for (const on of [false, true]) {
      setPaddingTrim(on);
      setSeed(7);
      const m = build();
      const h = await m.fit(x, y, { epochs: 2, batchSize: 12, seed: 5, verbose: 0, workers: 2 });
      runs.push({ loss: h.history.loss!, acc: h.history.acc ?? h.history.accuracy!, weights: m.getWeights().map((w) => w.data.slice()), trimmed: engineOf(m).trimmedBatches });
    }
    assert.ok(runs[1]!.trimmed > 0, 'the main thread cut its shards');
    // Each shard sums its gradient in its own order either way: within float32 rounding.
    assertClose(runs[1]!.loss, runs[0]!.loss, 1e-5, 1e-6, 'losses');
    assertClose(runs[1]!.acc, runs[0]!.acc, 0, 1e-9, 'accuracy');
    runs[1]!.weights.forEach((w, i) => assertClose(w, runs[0]!.weights[i]!, 1e-4, 1e-5, `weight ${i}`));
  });
});
