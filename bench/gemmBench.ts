/**
 * GEMM micro-benchmark: GFLOP/s (2·M·N·K flops per product) of rnnkit's `gemm` and of
 * tfjs-cpu's matMul on square n×n·n×n products, plus a correctness check of ours
 * against a float64 reference. Each figure is the median over a few timed blocks, each
 * block long enough (~50 ms) that timer resolution does not matter.
 */
import { gemm } from '../src/backend/gemm.js';
import { Rng } from '../src/core/rng.js';
import { tfjsMatMulSeconds } from './frameworks.js';
import { median } from './stats.js';

export interface GemmResult {
  n: number;
  rnnkitGflops: number;
  tfjsGflops: number;
  maxAbsErr: number;
}

const BLOCK_SECONDS = 0.05;
const BLOCKS = 5;

function randomMatrix(rng: Rng, len: number): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

/** Repetitions of `run(reps)` per block so one block lasts about BLOCK_SECONDS. */
function calibrate(run: (reps: number) => number): number {
  let reps = 1;
  for (;;) {
    const s = run(reps);
    if (s >= BLOCK_SECONDS / 4 || reps >= 1 << 20) return Math.max(1, Math.round((reps * BLOCK_SECONDS) / Math.max(s, 1e-9)));
    reps *= 4;
  }
}

function gflops(run: (reps: number) => number, flopsPerRep: number): number {
  const reps = calibrate(run);
  const rates: number[] = [];
  for (let b = 0; b < BLOCKS; b++) rates.push((flopsPerRep * reps) / run(reps) / 1e9);
  return median(rates);
}

export function benchGemm(n: number): GemmResult {
  const rng = new Rng(7 + n);
  const a = randomMatrix(rng, n * n);
  const b = randomMatrix(rng, n * n);
  const c = new Float32Array(n * n);

  // correctness against a float64 i-k-j reference
  gemm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false);
  let maxAbsErr = 0;
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      for (let j = 0; j < n; j++) row[j] += aik * b[k * n + j]!;
    }
    for (let j = 0; j < n; j++) maxAbsErr = Math.max(maxAbsErr, Math.abs(row[j]! - c[i * n + j]!));
  }

  const flops = 2 * n * n * n;
  const ours = (reps: number): number => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) gemm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false);
    return (performance.now() - t0) / 1000;
  };
  const theirs = (reps: number): number => tfjsMatMulSeconds(n, a, b, reps);
  return { n, rnnkitGflops: gflops(ours, flops), tfjsGflops: gflops(theirs, flops), maxAbsErr };
}
