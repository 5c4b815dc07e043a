/**
 * "charlm" workload (issue 5): a character-level language model,
 *   Embedding(30, 16) → SimpleRNN(128, returnSequences) → Dense(30, softmax) per step,
 * sequences of 25 characters, batch 32, Adam 1e-3, sparse categorical cross-entropy.
 *
 * Training: s/batch, each batch one `fit({epochs: 1, batchSize: 32, shuffle: false})` call on
 * a distinct 32-sequence slice, both libraries from the same initial weights (rnnkit's,
 * injected into tfjs). Parity check first: the loss of batch 0 (before any update) and of
 * batch 1 (after one Adam step) must agree within 1e-3 relative.
 * Data: random character indices 1…29 (no padding, so neither side masks anything), targets
 * the next index of the same stream.
 *
 * Sampling: characters per second, one at a time, batch 1, drawing each next character
 * from the softmax in JS. rnnkit: `model.stream({batchSize: 1}).step([id])` (state carried,
 * O(1) per character). tfjs: what tfjs users do for O(1) sampling — a stateful copy of the
 * model built for batchInputShape [1, 1], `model.predict(tensor2d([[id]]))` then
 * `dataSync()` per character (tfjs's own lstm-text-generation example instead re-feeds the
 * whole window every step, which is slower still). The two must give the same
 * probabilities for the first steps (1e-5). Also the default TextGenerator
 * (LSTM(64), the `npm start` model) through `sampleMany`, rnnkit only.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { Rng, Sequential, TextGenerator, Vocabulary, layers, optimizers, sampleIndex, setSeed, tensor, type Tensor } from '../src/index.js';
import { median, relDiff } from './stats.js';

export const CHARLM = { V: 30, E: 16, H: 128, T: 25, B: 32, lr: 1e-3, batches: 12 } as const;
const LOSS_REL_TOL = 1e-3;
const PROB_ABS_TOL = 1e-5;

export interface CharlmResult {
  check: { batchLoss: { rnnkit: number; tfjs: number; rel: number }[]; probMaxAbsDiff: number; ok: boolean };
  /** Median s/batch. */
  trainRnnkit: number[];
  trainTfjs: number[];
  /** chars/s per run. */
  sampleRnnkit: number[];
  sampleTfjs: number[];
  sampleTextGenerator: number[];
}

function data(): { x: Float32Array; y: Float32Array; n: number } {
  const { T, V, B, batches } = CHARLM;
  const n = B * batches;
  const rng = new Rng(42);
  const stream = new Float32Array(n * T + 1);
  for (let i = 0; i < stream.length; i++) stream[i] = 1 + rng.int(V - 1);
  const x = new Float32Array(n * T);
  const y = new Float32Array(n * T);
  for (let s = 0; s < n; s++) for (let t = 0; t < T; t++) {
    x[s * T + t] = stream[s * T + t]!;
    y[s * T + t] = stream[s * T + t + 1]!;
  }
  return { x, y, n };
}

function rnnkitModel(): Sequential {
  const { V, E, H } = CHARLM;
  setSeed(1234);
  const m = new Sequential();
  m.add(layers.embedding({ inputDim: V, outputDim: E, inputShape: [null], seed: 1 }));
  m.add(layers.simpleRNN({ units: H, returnSequences: true, seed: 2 }));
  m.add(layers.dense({ units: V, activation: 'softmax', seed: 3 }));
  return m;
}

function tfjsModel(weights: readonly Tensor[], batchInputShape: [number | null, number | null] | null, stateful: boolean): tfl.Sequential {
  const { V, E, H } = CHARLM;
  const m = tfl.sequential();
  m.add(tfl.layers.embedding({ inputDim: V, outputDim: E, ...(batchInputShape === null ? { inputShape: [null] as unknown as number[] } : { batchInputShape: batchInputShape as number[] }) }));
  m.add(tfl.layers.simpleRNN({ units: H, returnSequences: true, stateful }));
  m.add(tfl.layers.dense({ units: V, activation: 'softmax' }));
  m.setWeights(weights.map((w) => tf.tensor(Float32Array.from(w.data), [...w.shape])));
  return m;
}

export async function runCharlm(note: (line: string) => void, rounds = 4): Promise<CharlmResult> {
  const { T, B, V, lr } = CHARLM;
  const d = data();
  const ours = rnnkitModel();
  ours.compile({ optimizer: optimizers.adam({ learningRate: lr }), loss: 'sparseCategoricalCrossentropy' });
  const init = ours.getWeights();
  const theirs = tfjsModel(init, null, false);
  theirs.compile({ optimizer: tf.train.adam(lr, 0.9, 0.999, 1e-7), loss: 'sparseCategoricalCrossentropy' });
  const xs: Tensor[] = [];
  const ys: Tensor[] = [];
  const txs: tf.Tensor[] = [];
  const tys: tf.Tensor[] = [];
  for (let k = 0; k < CHARLM.batches; k++) {
    const sl = (a: Float32Array): Float32Array => a.subarray(k * B * T, (k + 1) * B * T);
    xs.push(tensor(sl(d.x), [B, T]));
    ys.push(tensor(sl(d.y), [B, T]));
    txs.push(tf.tensor2d(sl(d.x), [B, T]));
    tys.push(tf.tensor3d(sl(d.y), [B, T, 1]));
  }
  const oursBatch = async (k: number): Promise<[number, number]> => {
    const t0 = performance.now();
    const h = await ours.fit(xs[k]!, ys[k]!, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
    return [(performance.now() - t0) / 1000, h.history.loss![0]!];
  };
  const theirsBatch = async (k: number): Promise<[number, number]> => {
    const t0 = performance.now();
    const h = await theirs.fit(txs[k]!, tys[k]!, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
    return [(performance.now() - t0) / 1000, h.history.loss![0] as number];
  };
  note('charlm: parity check (2 batches each)');
  const batchLoss: CharlmResult['check']['batchLoss'] = [];
  for (let k = 0; k < 2; k++) {
    const [, l1] = await oursBatch(k);
    const [, l2] = await theirsBatch(k);
    batchLoss.push({ rnnkit: l1, tfjs: l2, rel: relDiff(l1, l2) });
  }
  note(`charlm: timing training batches (${rounds} tfjs, ${rounds * 3} rnnkit, interleaved)`);
  const trainRnnkit: number[] = [];
  const trainTfjs: number[] = [];
  let k = 2;
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < 3; j++) trainRnnkit.push((await oursBatch(k++ % CHARLM.batches))[0]);
    trainTfjs.push((await theirsBatch(k++ % CHARLM.batches))[0]);
  }

  // Sampling: both from the same (initial) weights.
  note('charlm: sampling speed, batch 1');
  const sampler = ours;
  sampler.setWeights(init);
  const stateful = tfjsModel(init, [1, 1], true);
  const stream = sampler.stream({ batchSize: 1 });
  let probMaxAbsDiff = 0;
  for (const id of [1, 5, 9, 3]) {
    const a = stream.step(tensor([id], [1])).data;
    const p = stateful.predict(tf.tensor2d([[id]], [1, 1])) as tf.Tensor;
    const b = p.dataSync();
    p.dispose();
    for (let i = 0; i < V; i++) probMaxAbsDiff = Math.max(probMaxAbsDiff, Math.abs(a[i]! - b[i]!));
  }
  const scratch = new Float64Array(V);
  const rnnkitChars = (n: number): number => {
    const rng = new Rng(7);
    const x = tensor(new Float32Array(1), [1]);
    stream.reset();
    let id = 1;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      x.data[0] = id;
      id = sampleIndex(stream.step(x).data, 0, V, rng, {}, scratch);
    }
    return n / ((performance.now() - t0) / 1000);
  };
  const tfjsChars = (n: number): number => {
    const rng = new Rng(7);
    stateful.resetStates();
    let id = 1;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const input = tf.tensor2d([[id]], [1, 1]);
      const p = stateful.predict(input) as tf.Tensor;
      id = sampleIndex(p.dataSync(), 0, V, rng, {}, scratch);
      input.dispose();
      p.dispose();
    }
    return n / ((performance.now() - t0) / 1000);
  };
  rnnkitChars(2000);
  tfjsChars(200);
  const sampleRnnkit = [rnnkitChars(20000), rnnkitChars(20000), rnnkitChars(20000)];
  const sampleTfjs = [tfjsChars(2000), tfjsChars(2000)];
  // The default TextGenerator (what npm start trains): LSTM(64), vocabulary of the names (30).
  const gen = new TextGenerator({ vocab: Vocabulary.fromCorpus('abcdefghijklmnopqrstuvwxyz-'), seed: 1, units: 64 });
  const genChars = (): number => {
    const t0 = performance.now();
    const s = gen.sampleMany(400, { seed: 3, maxLength: 200 });
    const steps = s.reduce((a, x) => a + x.length + 1, 0); // each character plus the end-of-name step
    return steps / ((performance.now() - t0) / 1000);
  };
  genChars();
  const sampleTextGenerator = [genChars(), genChars(), genChars()];
  for (const t of [...txs, ...tys]) t.dispose();
  const ok = probMaxAbsDiff <= PROB_ABS_TOL && batchLoss.every((b) => Number.isFinite(b.rnnkit) && b.rel <= LOSS_REL_TOL);
  return { check: { batchLoss, probMaxAbsDiff, ok }, trainRnnkit, trainTfjs, sampleRnnkit, sampleTfjs, sampleTextGenerator };
}

export function formatCharlmCheck(c: CharlmResult['check']): string {
  const losses = c.batchLoss.map((b, i) => `batch ${i} loss rnnkit ${b.rnnkit.toFixed(6)} tfjs ${b.tfjs.toFixed(6)} (rel ${b.rel.toExponential(1)})`).join('; ');
  return `parity charlm: ${c.ok ? 'OK' : 'FAILED'} — ${losses}; sampling probabilities max |diff| ${c.probMaxAbsDiff.toExponential(1)}`;
}

export { median };
