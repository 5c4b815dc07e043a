/**
 * Benchmark workloads, shared by both frameworks so they train on identical numbers.
 *
 * w1 "seed" (anchor-benchmarks.md): x ~ U(0,1) of shape [1000, 10, 1], y random 0/1 of
 * shape [1000, 1]; SimpleRNN(32) → Dense(1, sigmoid), Adam 1e-3, binary cross-entropy,
 * batch 32. "seed-learn" is the same with a learnable target: y = 1 when the sequence's
 * sum > 5.
 */
import { Rng } from '../src/core/rng.js';

export interface Dataset {
  /** [n, T, I], row-major. */
  x: Float32Array;
  /** [n, 1], row-major. */
  y: Float32Array;
  n: number;
  T: number;
  I: number;
}

export interface ModelSpec {
  units: number;
  T: number;
  I: number;
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

export const SEED_MODEL: ModelSpec = { units: 32, T: 10, I: 1, learningRate: 1e-3, batchSize: 32, epsilon: 1e-7, weightSeed: WEIGHT_SEED };

/** x ~ U(0,1) [n, T, I]; y from `label(sequence)` or, when null, random 0/1 drawn after all of x. */
export function makeDataset(seed: number, n: number, T: number, I: number, label: ((seq: Float32Array) => number) | null): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * T * I);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const y = new Float32Array(n);
  for (let s = 0; s < n; s++) y[s] = label === null ? rng.int(2) : label(x.subarray(s * T * I, (s + 1) * T * I));
  return { x, y, n, T, I };
}

function sumAbove(threshold: number): (seq: Float32Array) => number {
  return (seq) => {
    let s = 0;
    for (let i = 0; i < seq.length; i++) s += seq[i]!;
    return s > threshold ? 1 : 0;
  };
}

export function trainWorkloads(): TrainWorkload[] {
  return [
    {
      name: 'seed',
      description: 'SimpleRNN(32)→Dense(1,sigmoid), 1000×10×1, random labels, adam 1e-3, BCE, batch 32',
      data: makeDataset(DATA_SEED, 1000, 10, 1, null),
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

/** Names accepted by --only. */
export const WORKLOAD_NAMES = ['seed', 'seed-learn', 'predict', 'gemm'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
