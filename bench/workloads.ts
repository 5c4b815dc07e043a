/**
 * Benchmark workloads, shared by both frameworks so they train on identical numbers.
 *
 * w1 "seed" (anchor-benchmarks.md): x ~ U(0,1) of shape [1000, 10, 1], y random 0/1 of
 * shape [1000, 1]; SimpleRNN(32) → Dense(1, sigmoid), Adam 1e-3, binary cross-entropy,
 * batch 32. "seed-learn" is the same with a learnable target: y = 1 when the sequence's
 * sum > 5.
 *
 * w2 "lstm" / "gru" (anchor-benchmarks.md): x ~ U(0,1) of shape [2048, 50, 16], y a
 * random class index 0..9 of shape [2048, 1]; LSTM(128) or GRU(128) → Dense(10, softmax),
 * Adam 1e-3, sparse categorical cross-entropy, batch 64 (32 batches per epoch).
 */
import { Rng } from '../src/core/rng.js';

export interface Dataset {
  /** [n, T, I], row-major. */
  x: Float32Array;
  /** [n, 1]: 0/1 targets, or class indices when the model has a softmax head. */
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
  I: number;
  /** null: Dense(1, sigmoid) + binary cross-entropy; k: Dense(k, softmax) + sparse categorical CE. */
  classes: number | null;
  /** GRU only: Keras 3's default is true; tfjs supports false only. */
  resetAfter?: boolean;
  learningRate: number;
  batchSize: number;
  /** Adam ε (default 1e-7 in Keras, tfjs and rnnkit; their placements differ, see run.ts). */
  epsilon: number;
  /** Seed for rnnkit's initializers; tfjs gets the same initial weights injected. */
  weightSeed: number;
}

export interface TrainWorkload {
  name: string;
  description: string;
  data: Dataset;
  model: ModelSpec;
}

export const DATA_SEED = 42;
export const WEIGHT_SEED = 1234;

export const SEED_MODEL: ModelSpec = { cell: 'simpleRNN', units: 32, T: 10, I: 1, classes: null, learningRate: 1e-3, batchSize: 32, epsilon: 1e-7, weightSeed: WEIGHT_SEED };

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

function sumAbove(threshold: number): (seq: Float32Array) => number {
  return (seq) => {
    let s = 0;
    for (let i = 0; i < seq.length; i++) s += seq[i]!;
    return s > threshold ? 1 : 0;
  };
}

export function seedWorkloads(): TrainWorkload[] {
  return [
    {
      name: 'seed',
      description: 'SimpleRNN(32)→Dense(1,sigmoid), 1000×10×1, random labels, adam 1e-3, BCE, batch 32',
      data: makeDataset(DATA_SEED, 1000, 10, 1, 2),
      model: SEED_MODEL,
    },
    {
      name: 'seed-learn',
      description: 'same, y = 1 when the sequence sum > 5',
      data: makeDataset(DATA_SEED, 1000, 10, 1, sumAbove(5)),
      model: SEED_MODEL,
    },
  ];
}

// ---------------------------------------------------------------- w2: LSTM / GRU

export const W2 = { n: 2048, T: 50, I: 16, units: 128, classes: 10, batchSize: 64 } as const;
/** Sequences predicted in the w2 throughput rows (batch 64). */
export const W2_PREDICT_N = 256;

function w2Model(cell: 'lstm' | 'gru', resetAfter?: boolean): ModelSpec {
  return {
    cell,
    units: W2.units,
    T: W2.T,
    I: W2.I,
    classes: W2.classes,
    ...(resetAfter === undefined ? {} : { resetAfter }),
    learningRate: 1e-3,
    batchSize: W2.batchSize,
    epsilon: 1e-7,
    weightSeed: WEIGHT_SEED,
  };
}

let w2Data: Dataset | null = null;
function w2Dataset(): Dataset {
  w2Data ??= makeDataset(DATA_SEED, W2.n, W2.T, W2.I, W2.classes);
  return w2Data;
}

export function lstmWorkload(): TrainWorkload {
  return {
    name: 'lstm',
    description: 'LSTM(128)→Dense(10,softmax), 2048×50×16, 10 random classes, adam 1e-3, sparse CE, batch 64',
    data: w2Dataset(),
    model: w2Model('lstm'),
  };
}

/** resetAfter false: the only variant tfjs has, so the one the ratio is taken on. */
export function gruWorkload(resetAfter: boolean): TrainWorkload {
  return {
    name: resetAfter ? 'gru (resetAfter true)' : 'gru',
    description: `GRU(128, resetAfter ${resetAfter})→Dense(10,softmax), 2048×50×16, 10 random classes, adam 1e-3, sparse CE, batch 64`,
    data: w2Dataset(),
    model: w2Model('gru', resetAfter),
  };
}

/** Names accepted by --only. */
export const WORKLOAD_NAMES = ['seed', 'seed-learn', 'predict', 'gemm', 'lstm', 'gru', 'charlm'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
