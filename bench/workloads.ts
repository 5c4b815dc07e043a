/**
 * The benchmark's workloads (issue 6), defined once and shared by every framework so that
 * all of them train on identical numbers from identical initial weights.
 *
 *   seed           SimpleRNN(32) → Dense(1, sigmoid); x ~ U(0,1) [1000, 10, 1], y random 0/1;
 *                  Adam 1e-3, binary cross-entropy, batch 32. Timed per epoch.
 *   seed-learn     the same with a learnable target: y = 1 when the sequence's sum > 5.
 *   lstm           LSTM(128) → Dense(10, softmax); x ~ U(0,1) [2048, 50, 16], y a random class
 *                  0..9; Adam 1e-3, sparse categorical cross-entropy, batch 64. Timed per batch.
 *   gru            GRU(128), same shapes. rnnkit and PyTorch run resetAfter true (Keras 3's
 *                  default, PyTorch's only form); tfjs has resetAfter false only, so its rows
 *                  run that variant.
 *   big            LSTM(512) → Dense(10, softmax); x [512, 100, 64], batch 64. Timed per batch,
 *                  also reported as GFLOP/s (see flopsPerBatch).
 *   gru256         GRU(256) resetAfter=true (tfjs rows: false) → Dense(10, softmax); x ~ U(0,1)
 *                  [2048, 64, 32], batch 128 (issue 18's GRU shape). Timed per batch, GFLOP/s.
 *   charlm         Embedding(30, 16) → LSTM(128, returnSequences) → Dense(30, softmax) per step;
 *                  random character ids 1..29, target the next id; seq 25, batch 32. Per batch.
 *   charlm-sample  the same model (initial weights) generating one character at a time, batch 1.
 *   charlm-sample-64  the same, 64 independent streams at once: each step feeds 64 ids (one
 *                  per stream) and draws 64 next ids, each row from its own probabilities.
 *   predict        LSTM(128) → Dense(10, softmax) inference on the lstm data, batch 64: seq/s.
 *   seq2seq        the Keras `lstm_seq2seq` example model: an LSTM(256) encoder reads one-hot
 *                  characters [16, 71] and returns its final [h, c]; they start an LSTM(256)
 *                  decoder (returnSequences) that reads one-hot characters [59, 93]; Dense(93,
 *                  softmax) on every decoder step; targets: the decoder input one step ahead
 *                  (teacher forcing), one-hot; categorical cross-entropy; RMSprop (Keras 3
 *                  defaults: 1e-3, ρ 0.9, ε 1e-7); batch 64, 768 random sequences. Per batch.
 *   gemm           fp32 matrix products (bench/gemmBench.ts): GFLOP/s.
 *   adam           one Adam update over 1,180,000 parameters (bench/adamBench.ts): ms/update.
 *   seq2seq-decode decoding with rnnkit's Seq2Seq (bench/seq2seqDecodeBench.ts; PyTorch:
 *                  bench/torch_decode.py): a grapheme-to-phoneme-sized model (28 letters → 39
 *                  phoneme tokens; Embedding(64) → Bidirectional LSTM(96+96) → LSTM(192)
 *                  decoder, dot attention, Dense(192, tanh) → Dense(softmax)), trained briefly
 *                  on synthetic pairs, translating held-out words: greedy and beam 5, one word
 *                  at a time and 64 at a time (four rows: seq2seq-decode greedy b1, greedy b64,
 *                  beam5 b1, beam5 b64): words/s. rnnkit and PyTorch only (tfjs has no such model).
 *   classify       rnnkit's default TextClassifier (bench/classifyBench.ts; PyTorch:
 *                  bench/torch_classify.py): Embedding(20000, 64, maskZero) → Bidirectional
 *                  LSTM(32+32) → masked GlobalMaxPooling1D → Dense(1, sigmoid) on padded ids
 *                  [200] (20..200 real tokens): one Adam step of batch 32 (classify train,
 *                  s/batch) and prediction at batch 64 (classify predict, texts/s); rnnkit,
 *                  tfjs-wasm and PyTorch.
 *   textgen-names  the names job end to end (bench/textgenBench.ts; PyTorch:
 *                  bench/torch_textgen.py): TextGenerator Embedding(32) → LSTM(128) → Dense on
 *                  the built-in names, batch 64, Adam 3e-3, 15 epochs (RNNKIT_BENCH_TEXTGEN_EPOCHS),
 *                  10% held out: wall time of the training (s/job) and held-out nats/char;
 *                  PyTorch pads each batch to its longest line.
 */
import { Rng } from '../src/core/rng.js';

export interface Dataset {
  /** [n, T, I] row-major; with an embedding, [n, T] token ids; an encoder–decoder's encoder input. */
  x: Float32Array;
  /** An encoder–decoder's decoder input, [n, decoder T, decoder I] (see ModelSpec.decoder). */
  decoderX?: Float32Array;
  /**
   * [n]: 0/1 targets or class indices; [n, T] when the model outputs every step; an
   * encoder–decoder's one-hot targets, [n, decoder T, classes].
   */
  y: Float32Array;
  n: number;
  T: number;
  I: number;
}

export type Cell = 'simpleRNN' | 'lstm' | 'gru';

export interface ModelSpec {
  cell: Cell;
  units: number;
  T: number;
  /** Features per step fed to the recurrent layer (the embedding dimension with an embedding). */
  I: number;
  /** null: Dense(1, sigmoid) + binary cross-entropy; k: Dense(k, softmax) + sparse categorical CE. */
  classes: number | null;
  /** GRU only: Keras 3's default is true; tfjs supports false only. */
  resetAfter?: boolean;
  /** Embedding(vocab, I) in front: x holds token ids. */
  embeddingVocab?: number;
  /** The recurrent layer returns every step and the Dense head runs per step (y per step). */
  returnSequences?: boolean;
  /**
   * An encoder–decoder (Keras lstm_seq2seq; cell 'lstm' only): the recurrent layer above is
   * the encoder (its input [T, I]; returnState), its final [h, c] the initial state of a
   * second LSTM(units), the decoder, over the decoder input [decoder.T, decoder.I]
   * (returnSequences); the Dense(classes, softmax) head runs on every decoder step, with
   * categorical cross-entropy on one-hot targets. The layers are named SEQ2SEQ_LAYERS in
   * every framework, so weights are matched by name.
   */
  decoder?: { T: number; I: number };
  /** Adam (default; β1 0.9, β2 0.999) or RMSprop (Keras 3's: ρ 0.9, no momentum, not centered). */
  optimizer?: 'adam' | 'rmsprop';
  learningRate: number;
  batchSize: number;
  /** The optimizer's ε (1e-7 in Keras, tfjs and rnnkit; where it is added differs, see run.ts). */
  epsilon: number;
  /** Seed for rnnkit's initializers; every other framework gets the same initial weights. */
  weightSeed: number;
}

export type Mode = 'epoch' | 'batch' | 'predict' | 'sample';
export type Unit = 's/epoch' | 's/batch' | 's/job' | 'seq/s' | 'chars/s' | 'words/s' | 'texts/s' | 'GFLOP/s' | 'ms/update';

/** A target of issue 6, checked on rnnkit's rows. */
export interface Target {
  label: string;
  /** Speed-up over a reference row (its time / ours, or our rate / its rate) must reach `min`… */
  vs?: 'torch 1T' | 'tfjs-wasm';
  /** …or a figure of our own row must reach `min`. */
  metric?: 'gflops' | 'value';
  min: number;
  /**
   * 'every' (default): judged on each rnnkit row. 'best': judged on the workload's fastest
   * rnnkit row only — what `workers: 'auto'` is meant to pick among the backends and worker
   * counts run. 'best-1w': the fastest rnnkit row with 1 worker (a one-thread target).
   */
  rows?: 'every' | 'best' | 'best-1w';
}

export interface Workload {
  name: string;
  /** --only selects by name or group (charlm selects charlm, charlm-sample and charlm-sample-64). */
  group: string;
  title: string;
  mode: Mode;
  unit: Unit;
  data(): Dataset;
  model: ModelSpec;
  /** tfjs lacks this model (GRU resetAfter true): its rows run this variant instead. */
  tfjsModel?: ModelSpec;
  /** Sampling workloads: independent streams generated at once (rows of one batch). Default 1. */
  sampleRows?: number;
  targets: Target[];
}

export const DATA_SEED = 42;
export const WEIGHT_SEED = 1234;

/**
 * x ~ U(0,1) [n, T, I]; y from `label(sequence)` or, when that is a number k, a random class
 * index 0..k-1 drawn after all of x (k = 2: random 0/1).
 */
export function makeDataset(seed: number, n: number, T: number, I: number, label: ((seq: Float32Array) => number) | number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * T * I);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const y = new Float32Array(n);
  for (let s = 0; s < n; s++) y[s] = typeof label === 'number' ? rng.int(label) : label(x.subarray(s * T * I, (s + 1) * T * I));
  return { x, y, n, T, I };
}

/** Random ids 1..V-1 (no padding, so nothing is masked) as one stream; y = the next id. */
export function makeCharDataset(seed: number, n: number, T: number, V: number): Dataset {
  const rng = new Rng(seed);
  const stream = new Float32Array(n * T + 1);
  for (let i = 0; i < stream.length; i++) stream[i] = 1 + rng.int(V - 1);
  return { x: stream.slice(0, n * T), y: stream.slice(1), n, T, I: 1 };
}

/**
 * Encoder–decoder data, one-hot: the encoder reads Te random characters of Ve; the decoder
 * reads the start character (id 0, the example's '\t') then Td − 1 random characters 1..Vd−1,
 * and its target is its own input one step ahead, ending with one more random character
 * (teacher forcing: each step's target is the next step's input).
 */
export function makeSeq2SeqDataset(seed: number, n: number, Te: number, Ve: number, Td: number, Vd: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * Te * Ve);
  for (let r = 0; r < n * Te; r++) x[r * Ve + rng.int(Ve)] = 1;
  const decoderX = new Float32Array(n * Td * Vd);
  const y = new Float32Array(n * Td * Vd);
  for (let s = 0; s < n; s++) {
    let id = 0;
    for (let t = 0; t < Td; t++) {
      const next = 1 + rng.int(Vd - 1);
      decoderX[(s * Td + t) * Vd + id] = 1;
      y[(s * Td + t) * Vd + next] = 1;
      id = next;
    }
  }
  return { x, decoderX, y, n, T: Te, I: Ve };
}

function sumAbove(threshold: number): (seq: Float32Array) => number {
  return (seq) => {
    let s = 0;
    for (let i = 0; i < seq.length; i++) s += seq[i]!;
    return s > threshold ? 1 : 0;
  };
}

function once<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

const base = { learningRate: 1e-3, epsilon: 1e-7, weightSeed: WEIGHT_SEED };
export const SEED_MODEL: ModelSpec = { ...base, cell: 'simpleRNN', units: 32, T: 10, I: 1, classes: null, batchSize: 32 };
export const W2 = { n: 2048, T: 50, I: 16, units: 128, classes: 10, batchSize: 64 } as const;
export const BIG = { n: 512, T: 100, I: 64, units: 512, classes: 10, batchSize: 64 } as const;
/** Issue 18's GRU workload: 32 features, 64 steps, batch 128, GRU(256). */
export const GRU256 = { n: 2048, T: 64, I: 32, units: 256, classes: 10, batchSize: 128 } as const;
/** Inference over long sequences (a day of sensor readings a minute apart, say): the predict model on 2,000 steps. */
export const LONG = { n: 128, T: 2000 } as const;
export const CHARLM = { V: 30, E: 16, H: 128, T: 25, B: 32, batches: 12 } as const;
/** lstm_seq2seq's sizes (its fra-eng data: 71 input and 93 target characters, at most 16 and 59 per line; latent 256). */
export const SEQ2SEQ = { encTokens: 71, decTokens: 93, latent: 256, Te: 16, Td: 59, B: 64, batches: 12 } as const;
/** The encoder–decoder's layer names, the same in rnnkit, tfjs and PyTorch (weights are matched by them). */
export const SEQ2SEQ_LAYERS = { encoder: 'encoder', decoder: 'decoder', head: 'head' } as const;

const w2Model = (cell: 'lstm' | 'gru', resetAfter?: boolean): ModelSpec => ({
  ...base,
  cell,
  units: W2.units,
  T: W2.T,
  I: W2.I,
  classes: W2.classes,
  batchSize: W2.batchSize,
  ...(resetAfter === undefined ? {} : { resetAfter }),
});
const seq2seqModel: ModelSpec = {
  ...base,
  cell: 'lstm',
  units: SEQ2SEQ.latent,
  T: SEQ2SEQ.Te,
  I: SEQ2SEQ.encTokens,
  classes: SEQ2SEQ.decTokens,
  decoder: { T: SEQ2SEQ.Td, I: SEQ2SEQ.decTokens },
  optimizer: 'rmsprop',
  batchSize: SEQ2SEQ.B,
};
const charModel: ModelSpec = { ...base, cell: 'lstm', units: CHARLM.H, T: CHARLM.T, I: CHARLM.E, classes: CHARLM.V, embeddingVocab: CHARLM.V, returnSequences: true, batchSize: CHARLM.B };

const seedData = once(() => makeDataset(DATA_SEED, 1000, SEED_MODEL.T, SEED_MODEL.I, 2));
const seedLearnData = once(() => makeDataset(DATA_SEED, 1000, SEED_MODEL.T, SEED_MODEL.I, sumAbove(5)));
const w2Data = once(() => makeDataset(DATA_SEED, W2.n, W2.T, W2.I, W2.classes));
const bigData = once(() => makeDataset(DATA_SEED, BIG.n, BIG.T, BIG.I, BIG.classes));
const gru256Data = once(() => makeDataset(DATA_SEED, GRU256.n, GRU256.T, GRU256.I, GRU256.classes));
const longData = once(() => makeDataset(DATA_SEED, LONG.n, LONG.T, W2.I, W2.classes));
const gru256Model = (resetAfter: boolean): ModelSpec => ({ ...base, cell: 'gru', units: GRU256.units, T: GRU256.T, I: GRU256.I, classes: GRU256.classes, batchSize: GRU256.batchSize, resetAfter });
const charData = once(() => makeCharDataset(DATA_SEED, CHARLM.B * CHARLM.batches, CHARLM.T, CHARLM.V));
const seq2seqData = once(() => makeSeq2SeqDataset(DATA_SEED, SEQ2SEQ.B * SEQ2SEQ.batches, SEQ2SEQ.Te, SEQ2SEQ.encTokens, SEQ2SEQ.Td, SEQ2SEQ.decTokens));

const torchTime = (x: number): Target => ({ label: `≤${x}× PyTorch 1T time`, vs: 'torch 1T', min: 1 / x });

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'seed',
    group: 'seed',
    title: 'SimpleRNN(32)→Dense(1,sigmoid), 1000×10×1, random labels, batch 32',
    mode: 'epoch',
    unit: 's/epoch',
    data: seedData,
    model: SEED_MODEL,
    targets: [{ label: 'faster than PyTorch 1T', vs: 'torch 1T', min: 1 }],
  },
  {
    name: 'seed-learn',
    group: 'seed-learn',
    title: 'the same, y = 1 when the sequence sum > 5',
    mode: 'epoch',
    unit: 's/epoch',
    data: seedLearnData,
    model: SEED_MODEL,
    targets: [],
  },
  {
    name: 'lstm',
    group: 'lstm',
    title: 'LSTM(128)→Dense(10,softmax), 2048×50×16, batch 64',
    mode: 'batch',
    unit: 's/batch',
    data: w2Data,
    model: w2Model('lstm'),
    targets: [torchTime(1.5), { label: '≥15× faster than tfjs-wasm', vs: 'tfjs-wasm', min: 15 }],
  },
  {
    name: 'gru',
    group: 'gru',
    title: 'GRU(128) resetAfter=true (tfjs rows: false)→Dense(10,softmax), 2048×50×16, batch 64',
    mode: 'batch',
    unit: 's/batch',
    data: w2Data,
    model: w2Model('gru', true),
    tfjsModel: w2Model('gru', false),
    targets: [torchTime(1.5)],
  },
  {
    name: 'big',
    group: 'big',
    title: `LSTM(512)→Dense(10,softmax), ${BIG.n}×${BIG.T}×${BIG.I}, batch 64`,
    mode: 'batch',
    unit: 's/batch',
    data: bigData,
    model: { ...base, cell: 'lstm', units: BIG.units, T: BIG.T, I: BIG.I, classes: BIG.classes, batchSize: BIG.batchSize },
    targets: [{ label: '≥40 GFLOP/s', metric: 'gflops', min: 40 }],
  },
  {
    name: 'gru256',
    group: 'gru256',
    title: `GRU(256) resetAfter=true (tfjs rows: false)→Dense(10,softmax), ${GRU256.n}×${GRU256.T}×${GRU256.I}, batch ${GRU256.batchSize}`,
    mode: 'batch',
    unit: 's/batch',
    data: gru256Data,
    model: gru256Model(true),
    tfjsModel: gru256Model(false),
    targets: [{ ...torchTime(1.3), label: 'one thread ≤1.3× PyTorch 1T time', rows: 'best-1w' }],
  },
  {
    name: 'charlm',
    group: 'charlm',
    title: 'Embedding(30,16)→LSTM(128, seq)→Dense(30,softmax), T 25, batch 32',
    mode: 'batch',
    unit: 's/batch',
    data: charData,
    model: charModel,
    targets: [{ label: '≥10× faster than tfjs-wasm', vs: 'tfjs-wasm', min: 10 }],
  },
  {
    name: 'charlm-sample',
    group: 'charlm',
    title: 'the charlm model generating one character at a time, batch 1',
    mode: 'sample',
    unit: 'chars/s',
    data: charData,
    model: charModel,
    targets: [{ label: '≥200,000 chars/s', metric: 'value', min: 200_000 }],
  },
  {
    name: 'charlm-sample-64',
    group: 'charlm',
    title: 'the charlm model generating 64 independent streams at once (64 ids per step, one draw per row)',
    mode: 'sample',
    unit: 'chars/s',
    data: charData,
    model: charModel,
    sampleRows: 64,
    targets: [{ label: '≥200,000 chars/s', metric: 'value', min: 200_000 }],
  },
  {
    name: 'predict',
    group: 'predict',
    title: 'LSTM(128)→Dense(10,softmax) inference, 2048×50×16, batch 64',
    mode: 'predict',
    unit: 'seq/s',
    data: w2Data,
    model: w2Model('lstm'),
    targets: [{ label: '≥3× PyTorch 1T seq/s', vs: 'torch 1T', min: 3 }, { label: 'default settings ≥1.3× PyTorch 1T (issue 18)', vs: 'torch 1T', min: 1.3, rows: 'best' }],
  },
  {
    name: 'predict-long',
    group: 'predict',
    title: `LSTM(128)→Dense(10,softmax) inference on long sequences, ${LONG.n}×${LONG.T}×${W2.I}, batch 64`,
    mode: 'predict',
    unit: 'seq/s',
    data: longData,
    model: { ...w2Model('lstm'), T: LONG.T },
    targets: [],
  },
  {
    name: 'seq2seq',
    group: 'seq2seq',
    title: `lstm_seq2seq: LSTM(256) encoder ${SEQ2SEQ.Te}×${SEQ2SEQ.encTokens} → [h, c] → LSTM(256) decoder ${SEQ2SEQ.Td}×${SEQ2SEQ.decTokens} → Dense(${SEQ2SEQ.decTokens},softmax) per step, RMSprop, batch 64`,
    mode: 'batch',
    unit: 's/batch',
    data: seq2seqData,
    model: seq2seqModel,
    targets: [
      { label: '≥15× faster than tfjs-wasm', vs: 'tfjs-wasm', min: 15 },
      { label: 'no slower than PyTorch 1T with workers auto', vs: 'torch 1T', min: 1, rows: 'best' },
    ],
  },
];

/** The rows outside WORKLOADS, each from its own file: bench/gemmBench.ts, bench/adamBench.ts, bench/seq2seqDecodeBench.ts, bench/classifyBench.ts, bench/onnxBench.ts, bench/textgenBench.ts. */
export const MICRO_NAMES = ['gemm', 'adam', 'seq2seq-decode', 'classify', 'onnx', 'textgen-names'] as const;

/** Names and groups accepted by --only. */
export const WORKLOAD_NAMES: readonly string[] = [...new Set([...WORKLOADS.flatMap((w) => [w.group, w.name]), ...MICRO_NAMES])];

/** Number of gates of a cell: the recurrent products are [B, H]·[H, gates·H]. */
export function gates(cell: Cell): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/**
 * Matrix-product FLOPs (2·M·N·K each) of one training batch, forward and backward:
 * input products x·W and recurrent products h·U over all T steps; backward, the recurrent
 * products dZ·Uᵀ (the gradient flowing to h_{t-1}) and the weight gradients xᵀ·dZ and hᵀ·dZ;
 * the Dense head forward, its weight gradient and its input gradient (once, or per step).
 * An encoder–decoder counts both recurrent layers (each over its own steps and input width)
 * and the head on every decoder step.
 * Not counted: the gradient with respect to the network's input (no framework computes it
 * for the first layer), elementwise gate math, the loss and the optimizer.
 */
export function flopsPerBatch(m: ModelSpec, B = m.batchSize): number {
  const G = gates(m.cell) * m.units;
  const recurrent = (T: number, I: number): number => 2 * B * T * G * (I + m.units) * 2 + 2 * B * T * G * m.units; // forward + weight gradients, + dh
  const out = m.classes ?? 1;
  if (m.decoder !== undefined) return recurrent(m.T, m.I) + recurrent(m.decoder.T, m.decoder.I) + 3 * 2 * B * m.decoder.T * m.units * out;
  const denseRows = m.returnSequences === true ? B * m.T : B;
  return recurrent(m.T, m.I) + 3 * 2 * denseRows * m.units * out;
}
