/**
 * classify: rnnkit's default text classifier (src/classify/textClassifier.ts, TextClassifier
 * with its defaults: vocabulary 20000, sequence length 200, Embedding(20000, 64, maskZero) →
 * Bidirectional(LSTM(32, returnSequences)) → GlobalMaxPooling1D over the real tokens →
 * Dense(1, sigmoid); Adam 1e-3, binary cross-entropy), against TensorFlow.js (tfjs-layers on
 * its wasm backend) and PyTorch (bench/torch_classify.py), all fed the same padded id batches
 * from the same initial weights (the TextClassifier's, seeded, copied into the others).
 *
 * Two rows per contestant:
 *   classify train     seconds per training batch of 32 (one Adam step), texts/s in the details
 *   classify predict   texts/s of prediction, batch 64, from ids (the sigmoid included)
 * plus 'rnnkit … (texts)' on predict: TextClassifier.probabilities(texts), the vectorizer
 * (standardize, split, vocabulary lookup, padding) included, on texts that encode to the same ids.
 *
 * Data (fixed seed): CLASSIFY.texts texts of a uniform 20..200 real tokens, then padding (id 0)
 * to 200; tokens Zipf-distributed over the vocabulary (rank r ∝ 1/r, as TextVectorizer orders its
 * vocabulary by frequency: frequent words get small ids) with CLASSIFY.oovRate out-of-vocabulary
 * tokens (id 1); random 0/1 labels. Texts: token id k is the word `w<k>`, the vocabulary
 * ['w2', …, 'w19999'] set with setVocabulary (the check asserts the vectorizer gives the ids).
 *
 * Contestants:
 *  - rnnkit on each selected backend; training also with each selected worker count.
 *  - tfjs-wasm: embedding (maskZero) → bidirectional(lstm, concat) → global max pooling → dense
 *    (sigmoid), LSTM recurrentActivation 'sigmoid' (Keras 3's, rnnkit's; tfjs defaults to
 *    hardSigmoid). Two stand-ins, each a few lines below: tfjs-wasm has no UnsortedSegmentSum
 *    kernel, so the stock Embedding cannot be trained there: BenchEmbedding is tf.gather forward
 *    (what the stock layer does) and a scatterND sum backward, with the same mask (id ≠ 0); and
 *    tfjs's GlobalMaxPooling1D ignores the mask (the maximum includes the padded steps, where
 *    tfjs's LSTM repeats the previous output — zeros for the backward direction, which reads the
 *    padding first), so the timed model uses MaskedGlobalMaxPooling1D (padded steps → −inf, then
 *    max), which makes its outputs rnnkit's. The stock model (tfl.layers.embedding maskZero +
 *    tfl.layers.globalMaxPooling1d) is run once on the check texts: its max|Δ| is reported on
 *    the tfjs predict row (tiny on this data: a unit's maximum over ≥ 20 real steps is almost
 *    never below the zeros). Speed-wise the two are the same (one elementwise select). tfjs-cpu is
 *    not run on this workload (its LSTM is several times slower than tfjs-wasm on the others).
 *  - PyTorch (1 thread, and each selected thread count): see bench/torch_classify.py — 'torch
 *    NT' runs both directions over all 200 steps as rnnkit does (the backward one over each row's
 *    tokens reversed), 'torch NT packed' a bidirectional nn.LSTM over pack_padded_sequence (skips
 *    the padded steps), 'torch NT naive' a bidirectional nn.LSTM over the padded batch as it is
 *    (its backward direction reads the padding first: other outputs, not checked).
 *
 * Check before timing (per contestant, against the first rnnkit row, the reference): the
 * predictions for the first CLASSIFY.checkTexts texts before training (max|Δ| ≤ 1e-5), then
 * training batch 0 (loss before any update) and batch 1 (after one Adam step), each one fit call
 * on one batch, losses within 1e-3 relative. They are also the warm-up.
 *
 * Timing (run.ts's method): predict — as many texts per run as fit in
 * predictBudgetSeconds / maxRuns at the speed of one batch (at least one batch), median of up to
 * maxRuns runs in predictBudgetSeconds (at least one); train —
 * one fit call over K further batches (distinct slices, no shuffling), each batch from the end
 * of the previous one to its own end (batch callbacks; PyTorch: around each optimizer step),
 * K = as many as fit in trainBudgetSeconds, at least minBatches; median s/batch.
 * GFLOP/s on the train rows: the matrix products of one batch over all 200 steps of both
 * directions (forward, weight gradients, dh), the same count for every row (the packed row does
 * fewer).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng, TextClassifier, losses, optimizers, tensor, useBackend, type Callback, type Tensor } from '../src/index.js';
import { getBackend, wasmSupported } from '../src/backend/kernels.js';
import { useTfjsBackend } from './frameworks.js';
import { UnitClock, budgetCount, maxAbsDiff, median, relDiff, timeOnce } from './stats.js';
import { runTorchScript, type TorchFound } from './torch.js';
import { DATA_SEED, WEIGHT_SEED, type Unit } from './workloads.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_classify.py');

export const CLASSIFY = {
  vocab: 20000,
  embeddingDim: 64,
  units: 32,
  T: 200,
  classes: ['negative', 'positive'],
  batchSize: 32,
  predictBatch: 64,
  minTokens: 20,
  maxTokens: 200,
  oovRate: 0.02,
  texts: 2048,
  learningRate: 1e-3,
  epsilon: 1e-7,
  seed: WEIGHT_SEED,
  dataSeed: DATA_SEED,
  checkTexts: 64,
  trainBudgetSeconds: 2.5,
  minBatches: 3,
  slowBatchSeconds: 12,
  predictBudgetSeconds: 2.4,
  maxRuns: 3,
} as const;

export const CLASSIFY_TRAIN = 'classify train';
export const CLASSIFY_PREDICT = 'classify predict';
export const CLASSIFY_TORCH_VARIANTS = ['exact', 'packed', 'naive'] as const;

export const CLASSIFY_TITLE =
  `TextClassifier defaults: ids [${CLASSIFY.T}] → Embedding(${CLASSIFY.vocab}, ${CLASSIFY.embeddingDim}, maskZero) → Bidirectional LSTM(${CLASSIFY.units}+${CLASSIFY.units}, returnSequences) → ` +
  `masked GlobalMaxPooling1D → Dense(1, sigmoid); Adam ${CLASSIFY.learningRate}, binary cross-entropy; train batch ${CLASSIFY.batchSize} (s/batch), predict batch ${CLASSIFY.predictBatch} (texts/s)`;

export interface ClassifyCheck {
  reference: string;
  losses: { value: number; reference: number; rel: number }[];
  outputsMaxAbsDiff: number;
  extra?: string;
  ok: boolean;
}

export interface ClassifyRow {
  workload: typeof CLASSIFY_TRAIN | typeof CLASSIFY_PREDICT;
  contestant: string;
  framework: 'rnnkit' | 'tfjs' | 'torch';
  ranOn: string;
  unit: Unit;
  status: 'ok' | 'n/a' | 'error';
  /** s/batch (train) or texts/s (predict); NaN when the row did not run. */
  value: number;
  times: number[];
  loss?: number;
  gflops?: number;
  note?: string;
  detail?: string;
  check?: ClassifyCheck;
}

export interface ClassifyResult {
  rows: ClassifyRow[];
  summary: string;
}

// ---------------------------------------------------------------- data

export interface ClassifyData {
  /** Padded ids [n, T] (float, as the models take them). */
  ids: Float32Array;
  /** 0/1 [n]. */
  labels: Float32Array;
  lengths: Int32Array;
  /** The same texts as words ('w<id>'; an out-of-vocabulary word for id 1). */
  texts: string[];
  vocabulary: string[];
  n: number;
}

const OOV_WORD = 'oov';

let cached: ClassifyData | null = null;

export function classifyData(): ClassifyData {
  if (cached !== null) return cached;
  const { vocab: V, T, texts: n } = CLASSIFY;
  const rng = new Rng(CLASSIFY.dataSeed);
  const ranks = V - 2; // ids 2..V-1
  const cdf = new Float64Array(ranks);
  let s = 0;
  for (let r = 0; r < ranks; r++) cdf[r] = s += 1 / (r + 1);
  const draw = (): number => {
    if (rng.uniform() < CLASSIFY.oovRate) return 1;
    const u = rng.uniform() * s;
    let lo = 0;
    let hi = ranks - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return 2 + lo;
  };
  const ids = new Float32Array(n * T);
  const lengths = new Int32Array(n);
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    const L = CLASSIFY.minTokens + rng.int(CLASSIFY.maxTokens - CLASSIFY.minTokens + 1);
    lengths[i] = L;
    const words: string[] = [];
    for (let t = 0; t < L; t++) {
      const id = draw();
      ids[i * T + t] = id;
      words.push(id === 1 ? OOV_WORD : `w${id}`);
    }
    texts.push(words.join(' '));
  }
  const labels = Float32Array.from({ length: n }, () => rng.int(2));
  const vocabulary = Array.from({ length: V - 2 }, (_, i) => `w${i + 2}`);
  cached = { ids, labels, lengths, texts, vocabulary, n };
  return cached;
}

/** Matrix-product FLOPs of one training batch (see the header): both directions, all T steps. */
export function classifyFlopsPerBatch(B: number = CLASSIFY.batchSize): number {
  const { T, embeddingDim: I, units: H } = CLASSIFY;
  const G = 4 * H;
  const direction = 2 * B * T * G * (I + H) * 2 + 2 * B * T * G * H;
  return 2 * direction + 3 * 2 * B * 2 * H;
}

// ---------------------------------------------------------------- contestants

interface Contestant {
  readonly label: string;
  ranOn(): string;
  /** Probabilities of the first `count` texts, batch `batch`. */
  predict(count: number, batch: number): Float32Array;
  /** One fit call on texts [start, start + count) as one batch; its loss (before the update). */
  fitSlice(start: number, count: number): Promise<number>;
  /** One fit call on texts [start, start + count), batch CLASSIFY.batchSize, each batch timed. */
  fitTimed(start: number, count: number): Promise<{ times: number[]; loss: number }>;
  dispose(): void;
}

class RnnkitContestant implements Contestant {
  readonly label: string;
  readonly clf: TextClassifier;
  private readonly slices = new Map<string, [Tensor, Tensor]>();

  constructor(
    private readonly d: ClassifyData,
    private readonly backendName: 'ts' | 'wasm',
    private readonly workers: number,
  ) {
    this.label = `rnnkit ${backendName} ${workers}w`;
    useBackend(backendName); // layers take their kernels when they are built
    this.clf = new TextClassifier({
      classes: CLASSIFY.classes,
      seed: CLASSIFY.seed,
      vectorizer: { maxTokens: CLASSIFY.vocab, outputSequenceLength: CLASSIFY.T, vocabulary: d.vocabulary },
    });
    // What TextClassifier.fit compiles for a binary classifier.
    this.clf.model.compile({ optimizer: optimizers.adam({ learningRate: CLASSIFY.learningRate, epsilon: CLASSIFY.epsilon }), loss: losses.binaryCrossentropy(), metrics: ['accuracy'] });
  }

  ranOn(): string {
    useBackend(this.backendName);
    return getBackend();
  }

  private slice(start: number, count: number): [Tensor, Tensor] {
    const key = `${start}:${count}`;
    let s = this.slices.get(key);
    if (s === undefined) {
      const T = CLASSIFY.T;
      s = [tensor(this.d.ids.subarray(start * T, (start + count) * T), [count, T]), tensor(this.d.labels.subarray(start, start + count), [count, 1])];
      this.slices.set(key, s);
    }
    return s;
  }

  predict(count: number, batch: number): Float32Array {
    useBackend(this.backendName);
    return Float32Array.from(this.clf.model.predict(this.slice(0, count)[0], { batchSize: batch, workers: this.workers }).data);
  }

  /** TextClassifier.probabilities on the texts: the positive class's column. */
  predictTexts(count: number, batch: number): Float32Array {
    useBackend(this.backendName);
    const p = this.clf.probabilities(this.d.texts.slice(0, count), { batchSize: batch });
    return Float32Array.from({ length: count }, (_, i) => p.data[2 * i + 1]!);
  }

  private async fit(start: number, count: number, batchSize: number, callbacks: Callback[]): Promise<number> {
    useBackend(this.backendName);
    const [x, y] = this.slice(start, count);
    const h = await this.clf.model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, workers: this.workers, callbacks });
    return h.history.loss![h.history.loss!.length - 1]!;
  }

  fitSlice(start: number, count: number): Promise<number> {
    return this.fit(start, count, count, []);
  }

  async fitTimed(start: number, count: number): Promise<{ times: number[]; loss: number }> {
    const clock = new UnitClock();
    const loss = await this.fit(start, count, CLASSIFY.batchSize, [{ onBatchBegin: () => clock.begin(), onBatchEnd: () => clock.end() }]);
    return { times: clock.times, loss };
  }

  weights(): { name: string; shape: number[]; data: Float32Array }[] {
    const names = this.clf.model.weightPaths();
    return this.clf.model.getWeights().map((w, i) => ({ name: names[i]!, shape: [...w.shape], data: Float32Array.from(w.data) }));
  }

  dispose(): void {
    this.slices.clear();
  }
}

/**
 * Embedding for tfjs-wasm (see the header): gather forward, as tfjs's Embedding; the gradient
 * of the table a scatterND sum (tfjs-wasm lacks UnsortedSegmentSum, which tf.gather's gradient
 * needs); mask: id ≠ 0 (maskZero).
 */
class BenchEmbedding extends tfl.layers.Layer {
  static className = 'BenchEmbedding';
  private embeddings: tfl.LayerVariable | null = null;

  constructor(
    private readonly V: number,
    private readonly E: number,
  ) {
    super({ name: 'embedding' });
    this.supportsMasking = true; // tfjs's executor asks only such layers for their output mask
  }

  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.V, this.E], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [...(s as tfl.Shape), this.E];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.notEqual(Array.isArray(inputs) ? inputs[0]! : inputs, 0);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const ids = tf.cast(Array.isArray(inputs) ? inputs[0]! : inputs, 'int32');
    const { V, E } = this;
    const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [i, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([i]);
      return {
        value: tf.gather(w, i),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.zerosLike(saved[0]!), tf.scatterND(tf.reshape(saved[0]!, [-1, 1]), tf.reshape(dy, [-1, E]), [V, E])],
      };
    }) as (i: tf.Tensor, w: tf.Tensor) => tf.Tensor;
    return lookup(ids, this.embeddings!.read());
  }
}

/** GlobalMaxPooling1D over the unmasked steps only (masked → −inf, then the maximum), as rnnkit's and Keras's. */
class MaskedGlobalMaxPooling1D extends tfl.layers.Layer {
  static className = 'MaskedGlobalMaxPooling1D';

  constructor() {
    super({ name: 'pool' });
    this.supportsMasking = true;
  }

  override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = s as tfl.Shape;
    return [shape[0]!, shape[2]!];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor; // no mask leaves the pooling
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const mask = kwargs['mask'] as tf.Tensor | undefined;
    if (mask === undefined || mask === null) return tf.max(x, 1);
    const keep = tf.broadcastTo(tf.expandDims(tf.cast(mask, 'bool'), 2), x.shape);
    return tf.max(tf.where(keep, x, tf.fill(x.shape, -Infinity)), 1);
  }
}

function buildTfjs(stock: boolean): tfl.Sequential {
  const { vocab: V, embeddingDim: E, units, T } = CLASSIFY;
  const m = tfl.sequential();
  m.add(stock ? tfl.layers.embedding({ inputDim: V, outputDim: E, maskZero: true, inputShape: [T] }) : tfl.layers.inputLayer({ inputShape: [T] }));
  if (!stock) m.add(new BenchEmbedding(V, E));
  // recurrentInitializer 'zeros': the weights are injected (skips tfjs's orthogonal QR).
  const lstm = tfl.layers.lstm({ units, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' });
  m.add(tfl.layers.bidirectional({ layer: lstm as never, mergeMode: 'concat' }));
  m.add(stock ? (tfl.layers.globalMaxPooling1d({}) as unknown as tfl.layers.Layer) : new MaskedGlobalMaxPooling1D());
  m.add(tfl.layers.dense({ units: 1, activation: 'sigmoid' }));
  return m;
}

class TfjsContestant implements Contestant {
  readonly label = 'tfjs-wasm';
  private readonly model: tfl.Sequential;
  private readonly slices = new Map<string, [tf.Tensor, tf.Tensor]>();

  constructor(
    private readonly d: ClassifyData,
    private readonly weights: readonly { shape: number[]; data: Float32Array }[],
  ) {
    this.model = buildTfjs(false);
    this.setWeights(this.model);
    this.model.compile({ optimizer: tf.train.adam(CLASSIFY.learningRate, 0.9, 0.999, CLASSIFY.epsilon), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  }

  private setWeights(m: tfl.LayersModel): void {
    const ts = this.weights.map((w) => tf.tensor(Float32Array.from(w.data), w.shape));
    m.setWeights(ts);
    tf.dispose(ts);
  }

  ranOn(): string {
    return tf.getBackend();
  }

  private slice(start: number, count: number): [tf.Tensor, tf.Tensor] {
    const key = `${start}:${count}`;
    let s = this.slices.get(key);
    if (s === undefined) {
      const T = CLASSIFY.T;
      s = [tf.tensor2d(this.d.ids.slice(start * T, (start + count) * T), [count, T]), tf.tensor2d(this.d.labels.slice(start, start + count), [count, 1])];
      this.slices.set(key, s);
    }
    return s;
  }

  private run(m: tfl.LayersModel, count: number, batch: number): Float32Array {
    const out = m.predict(this.slice(0, count)[0], { batchSize: batch }) as tf.Tensor;
    const data = Float32Array.from(out.dataSync() as Float32Array);
    out.dispose();
    return data;
  }

  predict(count: number, batch: number): Float32Array {
    return this.run(this.model, count, batch);
  }

  /** The stock layers' model (mask ignored by the pooling) on the same weights: its predictions. */
  predictStock(count: number, batch: number): Float32Array {
    const m = buildTfjs(true);
    this.setWeights(m);
    const p = this.run(m, count, batch);
    m.dispose();
    return p;
  }

  private async fit(start: number, count: number, batchSize: number, callbacks: tfl.CustomCallbackArgs): Promise<number> {
    const [x, y] = this.slice(start, count);
    const h = await this.model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, callbacks });
    const l = h.history.loss!;
    return Number(l[l.length - 1]);
  }

  fitSlice(start: number, count: number): Promise<number> {
    return this.fit(start, count, count, {});
  }

  async fitTimed(start: number, count: number): Promise<{ times: number[]; loss: number }> {
    const clock = new UnitClock();
    const loss = await this.fit(start, count, CLASSIFY.batchSize, { onBatchBegin: async () => clock.begin(), onBatchEnd: async () => clock.end() });
    return { times: clock.times, loss };
  }

  dispose(): void {
    for (const s of this.slices.values()) tf.dispose(s);
    this.slices.clear();
    this.model.dispose();
  }
}

// ---------------------------------------------------------------- measuring

interface Measured {
  checkOutputs: ArrayLike<number>;
  checkLosses: number[];
  predictTimes: number[];
  predictPerRun: number;
  trainTimes: number[];
  trainLoss: number;
  note?: string;
}

/** The check, then predict timing (unless `predict` is false), then train timing (see the header); torch_classify.py does the same. */
async function measure(c: Contestant, n: number, predict: boolean): Promise<Measured> {
  const { batchSize: B, predictBatch: PB, checkTexts: P, maxRuns } = CLASSIFY;
  const checkOutputs = c.predict(P, PB); // also the warm-up
  const predictTimes: number[] = [];
  let predictPerRun = 0;
  if (predict) {
    const t = await timeOnce(() => c.predict(PB, PB));
    predictPerRun = PB * budgetCount(t, CLASSIFY.predictBudgetSeconds / maxRuns, 1, Math.floor(n / PB));
    const runs = budgetCount((t * predictPerRun) / PB, CLASSIFY.predictBudgetSeconds, 1, maxRuns);
    for (let r = 0; r < runs; r++) predictTimes.push(await timeOnce(() => c.predict(predictPerRun, PB)));
  }
  const checkLosses: number[] = [];
  const t0 = await timeOnce(async () => checkLosses.push(await c.fitSlice(0, B)));
  if (t0 > CLASSIFY.slowBatchSeconds) return { checkOutputs, checkLosses, predictTimes, predictPerRun, trainTimes: [t0], trainLoss: checkLosses[0]!, note: '1 batch incl. warm-up (slow)' };
  const t1 = await timeOnce(async () => checkLosses.push(await c.fitSlice(B, B)));
  const K = budgetCount(t1, CLASSIFY.trainBudgetSeconds, CLASSIFY.minBatches, Math.floor(n / B) - 2);
  const r = await c.fitTimed(2 * B, K * B);
  return { checkOutputs, checkLosses, predictTimes, predictPerRun, trainTimes: r.times, trainLoss: r.loss };
}

interface Tolerances {
  loss: number;
  outputs: number;
}

function compare(m: { checkOutputs: ArrayLike<number>; checkLosses: number[] }, ref: Measured, reference: string, tol: Tolerances, withLosses: boolean): ClassifyCheck {
  const n = withLosses ? Math.min(m.checkLosses.length, ref.checkLosses.length) : 0;
  const ls = m.checkLosses.slice(0, n).map((value, i) => ({ value, reference: ref.checkLosses[i]!, rel: relDiff(value, ref.checkLosses[i]!) }));
  const outputsMaxAbsDiff = maxAbsDiff(m.checkOutputs, ref.checkOutputs);
  const ok = ls.every((l) => Number.isFinite(l.value) && l.rel <= tol.loss) && outputsMaxAbsDiff <= tol.outputs;
  return { reference, losses: ls, outputsMaxAbsDiff, ok };
}

const texts = (x: number): string => `${x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3)} texts/s`;

/** The train and (unless predict is false) predict rows of one measurement. */
function rowsOf(contestant: string, framework: ClassifyRow['framework'], ranOn: string, m: Measured, predict: boolean): ClassifyRow[] {
  const sPerBatch = median(m.trainTimes);
  const train: ClassifyRow = {
    workload: CLASSIFY_TRAIN,
    contestant,
    framework,
    ranOn,
    unit: 's/batch',
    status: 'ok',
    value: sPerBatch,
    times: m.trainTimes,
    loss: m.trainLoss,
    gflops: classifyFlopsPerBatch() / sPerBatch / 1e9,
    detail: texts(CLASSIFY.batchSize / sPerBatch),
  };
  if (m.note !== undefined) train.note = m.note;
  if (!predict) return [train];
  const rate = m.predictPerRun / median(m.predictTimes);
  return [
    train,
    { workload: CLASSIFY_PREDICT, contestant, framework, ranOn, unit: 'texts/s', status: 'ok', value: rate, times: m.predictTimes, detail: `${m.predictPerRun.toLocaleString('en-US')} texts per run` },
  ];
}

function naRows(contestant: string, framework: ClassifyRow['framework'], status: 'n/a' | 'error', note: string, predict = true): ClassifyRow[] {
  const row = (workload: ClassifyRow['workload'], unit: Unit): ClassifyRow => ({ workload, contestant, framework, ranOn: '', unit, status, value: NaN, times: [], note });
  return predict ? [row(CLASSIFY_TRAIN, 's/batch'), row(CLASSIFY_PREDICT, 'texts/s')] : [row(CLASSIFY_TRAIN, 's/batch')];
}

// ---------------------------------------------------------------- PyTorch

interface TorchClassifyRun {
  version: string;
  threads: number;
  results: Record<string, Partial<Measured> & { predictPerRun?: number; error?: string }>;
}

function writeTorchManifest(dir: string, d: ClassifyData, weights: readonly { name: string; shape: number[]; data: Float32Array }[]): object {
  const put = (file: string, a: Float32Array, shape: number[]): { file: string; shape: number[] } => {
    fs.writeFileSync(path.join(dir, file), new Uint8Array(a.buffer, a.byteOffset, a.byteLength)); // little-endian float32
    return { file, shape };
  };
  return {
    plan: { ...CLASSIFY, classes: undefined },
    model: { vocab: CLASSIFY.vocab, embeddingDim: CLASSIFY.embeddingDim, units: CLASSIFY.units },
    x: put('x.f32', d.ids, [d.n, CLASSIFY.T]),
    y: put('y.f32', d.labels, [d.n]),
    weights: weights.map((w, i) => ({ ...put(`w${i}.f32`, w.data, w.shape), name: w.name })),
    variants: CLASSIFY_TORCH_VARIANTS,
  };
}

// ---------------------------------------------------------------- the workload

export interface ClassifyOptions {
  backends: readonly ('ts' | 'wasm')[];
  workers: readonly number[];
  tfjsWasm: boolean;
  torch: TorchFound | null;
  torchThreads: readonly number[];
  tolerances: Tolerances;
  note: (line: string) => void;
}

/** rnnkit rows (each backend; training with each worker count), then tfjs-wasm, then PyTorch (a child process per thread count). */
export async function benchClassify(o: ClassifyOptions): Promise<ClassifyResult> {
  const d = classifyData();
  const rows: ClassifyRow[] = [];
  const refBox: { v: { label: string; m: Measured } | null } = { v: null }; // the first rnnkit row's
  let weights: { name: string; shape: number[]; data: Float32Array }[] | null = null;
  let vectorizerOk = 'n/a';
  const checkAgainstRef = (label: string, m: Measured, rs: ClassifyRow[]): void => {
    const ref = refBox.v;
    if (ref === null) {
      refBox.v = { label, m };
      return;
    }
    for (const r of rs) r.check = compare(m, ref.m, ref.label, o.tolerances, r.workload === CLASSIFY_TRAIN);
  };

  for (const b of o.backends) {
    for (const w of o.workers) {
      const label = `rnnkit ${b} ${w}w`;
      const predict = true; // predict splits across the worker pool too (workers on predict)
      if (b === 'wasm' && !wasmSupported()) {
        rows.push(...naRows(label, 'rnnkit', 'n/a', 'WebAssembly SIMD is not available', predict));
        continue;
      }
      o.note(`classify: ${label}`);
      let c: RnnkitContestant | null = null;
      try {
        c = new RnnkitContestant(d, b, w);
        weights ??= c.weights();
        // The texts row's check: before measure() trains the model.
        const textsCheck = w === o.workers[0] ? c.predictTexts(CLASSIFY.checkTexts, CLASSIFY.predictBatch) : null;
        const m = await measure(c, d.n, predict);
        const rs = rowsOf(label, 'rnnkit', c.ranOn(), m, predict);
        checkAgainstRef(label, m, rs);
        rows.push(...rs);
        if (textsCheck !== null) {
          // The same classifier from texts: TextClassifier.probabilities, the vectorizer included.
          const tl = `rnnkit ${b} (texts)`;
          const ids = c.clf.vectorizer.apply(d.texts.slice(0, CLASSIFY.checkTexts)).data;
          const same = maxAbsDiff(ids, d.ids.subarray(0, CLASSIFY.checkTexts * CLASSIFY.T)) === 0;
          vectorizerOk = same ? 'the vectorizer gives the ids exactly' : 'THE VECTORIZER DOES NOT GIVE THE IDS';
          const t = await timeOnce(() => c!.predictTexts(CLASSIFY.predictBatch, CLASSIFY.predictBatch));
          const count = CLASSIFY.predictBatch * budgetCount(t, CLASSIFY.predictBudgetSeconds / CLASSIFY.maxRuns, 1, Math.floor(d.n / CLASSIFY.predictBatch));
          const runs = budgetCount((t * count) / CLASSIFY.predictBatch, CLASSIFY.predictBudgetSeconds, 1, CLASSIFY.maxRuns);
          const times: number[] = [];
          for (let r = 0; r < runs; r++) times.push(await timeOnce(() => c!.predictTexts(count, CLASSIFY.predictBatch)));
          const row: ClassifyRow = {
            workload: CLASSIFY_PREDICT,
            contestant: tl,
            framework: 'rnnkit',
            ranOn: c.ranOn(),
            unit: 'texts/s',
            status: 'ok',
            value: count / median(times),
            times,
            detail: `TextClassifier.probabilities(texts), vectorizer included; ${count.toLocaleString('en-US')} texts per run`,
          };
          const ref = refBox.v!;
          row.check = compare({ checkOutputs: textsCheck, checkLosses: [] }, ref.m, ref.label, o.tolerances, false);
          if (!same) row.check = { ...row.check, extra: ` (${vectorizerOk})`, ok: false };
          rows.push(row);
        }
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        o.note(`classify ${label}: ERROR ${msg}`);
        rows.push(...naRows(label, 'rnnkit', 'error', msg, predict));
      } finally {
        c?.dispose();
      }
    }
  }
  if (weights === null) {
    // No rnnkit row ran: the initial weights still come from rnnkit's TextClassifier.
    useBackend('ts');
    const c = new RnnkitContestant(d, 'ts', 1);
    weights = c.weights();
  }

  let stockDiff = NaN;
  if (o.tfjsWasm) {
    o.note('classify: tfjs-wasm');
    let c: TfjsContestant | null = null;
    try {
      await useTfjsBackend('wasm');
      c = new TfjsContestant(d, weights);
      const m = await measure(c, d.n, true);
      const rs = rowsOf('tfjs-wasm', 'tfjs', c.ranOn(), m, true);
      checkAgainstRef('tfjs-wasm', m, rs);
      const stock = c.predictStock(CLASSIFY.checkTexts, CLASSIFY.predictBatch);
      stockDiff = refBox.v === null ? NaN : maxAbsDiff(stock, refBox.v.m.checkOutputs);
      const stockNote = `stock GlobalMaxPooling1D (mask ignored): initial predictions max|Δ| ${stockDiff.toExponential(1)} vs the reference`;
      rs[1]!.detail = `${rs[1]!.detail}; ${stockNote}`;
      rows.push(...rs);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      o.note(`classify tfjs-wasm: ERROR ${msg}`);
      rows.push(...naRows('tfjs-wasm', 'tfjs', 'error', msg));
    } finally {
      c?.dispose();
    }
  }

  if (o.torch !== null) {
    const variantLabel = (n: number, v: string): string => `torch ${n}T${v === 'exact' ? '' : ` ${v}`}`;
    if ('version' in o.torch) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bench-classify-'));
      try {
        const manifest = writeTorchManifest(dir, d, weights);
        for (const n of o.torchThreads) {
          o.note(`classify: PyTorch, ${n} thread${n > 1 ? 's' : ''}`);
          const ranOn = `${n} thread${n > 1 ? 's' : ''}`;
          let out: TorchClassifyRun | null = null;
          let failure = '';
          try {
            out = runTorchScript(o.torch.python, SCRIPT, dir, { threads: n, ...manifest }, n) as TorchClassifyRun;
          } catch (e) {
            failure = e instanceof Error ? e.message : String(e);
          }
          for (const v of CLASSIFY_TORCH_VARIANTS) {
            const label = variantLabel(n, v);
            const r = out?.results[v];
            if (r === undefined || r.error !== undefined || r.trainTimes === undefined || r.predictTimes === undefined) {
              rows.push(...naRows(label, 'torch', 'error', r?.error ?? (failure || 'no result')));
              continue;
            }
            const m: Measured = {
              checkOutputs: r.checkOutputs ?? [],
              checkLosses: r.checkLosses ?? [],
              predictTimes: r.predictTimes,
              predictPerRun: r.predictPerRun ?? 0,
              trainTimes: r.trainTimes,
              trainLoss: r.trainLoss ?? NaN,
              ...(r.note === undefined ? {} : { note: r.note }),
            };
            const rs = rowsOf(label, 'torch', ranOn, m, true);
            const rr = refBox.v;
            if (rr !== null) {
              if (v === 'naive') {
                const diff = maxAbsDiff(m.checkOutputs, rr.m.checkOutputs);
                for (const x of rs) x.note = `not checked: the backward direction reads the padding first (initial predictions max|Δ| ${diff.toExponential(1)} vs ${rr.label})`;
              } else for (const x of rs) x.check = compare(m, rr.m, rr.label, o.tolerances, x.workload === CLASSIFY_TRAIN);
            }
            if (v === 'packed') for (const x of rs) x.detail = `${x.detail}; pack_padded_sequence (skips the padded steps)`;
            rows.push(...rs);
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    } else {
      for (const n of o.torchThreads) for (const v of CLASSIFY_TORCH_VARIANTS) rows.push(...naRows(variantLabel(n, v), 'torch', 'n/a', 'not installed'));
    }
  }

  // Train rows first, then predict rows, each in run order.
  rows.sort((a, b) => (a.workload === b.workload ? 0 : a.workload === CLASSIFY_TRAIN ? -1 : 1));
  const lens = Array.from(d.lengths);
  const meanLen = lens.reduce((p, q) => p + q, 0) / lens.length;
  const summary =
    `classify: ${CLASSIFY_TITLE}. Data: ${d.n} synthetic texts of ${CLASSIFY.minTokens}..${CLASSIFY.maxTokens} real tokens (uniform; mean ${meanLen.toFixed(1)}, ${((100 * meanLen) / CLASSIFY.T).toFixed(0)}% of the ${CLASSIFY.T} steps), ` +
    `then padding; Zipf token ids, ${CLASSIFY.oovRate * 100}% out-of-vocabulary; random labels; seed ${CLASSIFY.dataSeed}; ${vectorizerOk}. Every contestant gets rnnkit's initial weights and the same padded id batches. ` +
    `tfjs-wasm: a gather/scatterND Embedding (the stock one has no gradient kernel on wasm) and a masked GlobalMaxPooling1D (tfjs's ignores the mask` +
    (Number.isFinite(stockDiff) ? `: the stock model's initial predictions differ by up to ${stockDiff.toExponential(1)}` : '') +
    `). torch NT: both directions over all ${CLASSIFY.T} steps as rnnkit (backward over each row reversed); packed: pack_padded_sequence; naive: bidirectional nn.LSTM over the padded batch (other outputs). ` +
    `GFLOP/s: ${(classifyFlopsPerBatch() / 1e9).toFixed(2)} GFLOP per batch (matrix products of both directions over all ${CLASSIFY.T} steps, forward + backward) / s per batch (bench/classifyBench.ts, bench/torch_classify.py).`;
  return { rows, summary };
}
