/**
 * GEMM micro-benchmark: GFLOP/s (2·M·N·K flops per product) of rnnkit's `gemm` and of
 * tfjs-cpu's matMul on square n×n·n×n products, plus a correctness check of ours
 * against a float64 reference. Each figure is the median over a few timed blocks, each
 * block long enough (~50 ms) that timer resolution does not matter. The WebAssembly SIMD
 * GEMM (useBackend('wasm'); per-call operand copies included) is timed beside the
 * TypeScript one, on the squares and on the LSTM(128) shapes (`benchGemmShape`).
 */
import { gemmTs } from '../src/backend/gemm.js';
import { gemmWasm, wasmGemmSupported } from '../src/backend/wasmGemm.js';
import { Rng } from '../src/core/rng.js';
import { tfjsMatMulSeconds } from './frameworks.js';
import { median } from './stats.js';

export interface GemmResult {
  n: number;
  rnnkitGflops: number;
  /** The WebAssembly SIMD GEMM; NaN where WebAssembly SIMD is missing. */
  wasmGflops: number;
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
  gemmTs(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false);
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
    for (let r = 0; r < reps; r++) gemmTs(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false);
    return (performance.now() - t0) / 1000;
  };
  const wasm = (reps: number): number => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) gemmWasm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false);
    return (performance.now() - t0) / 1000;
  };
  const theirs = (reps: number): number => tfjsMatMulSeconds(n, a, b, reps);
  return { n, rnnkitGflops: gflops(ours, flops), wasmGflops: wasmGemmSupported() ? gflops(wasm, flops) : NaN, tfjsGflops: gflops(theirs, flops), maxAbsErr };
}

export interface GemmShape {
  label: string;
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
}

/**
 * The LSTM(128) workload's products (batch 64, 50 steps, 16 features, G = 4·128):
 * the per-step recurrent product [64,128]·[128,512] (B with the transposed, packed
 * kernel, as lstm.ts calls it) and the input product [3200,16]·[16,512] outside the loop.
 */
export const LSTM_GEMM_SHAPES: readonly GemmShape[] = [
  { label: 'lstm step 64×512×128 (NT)', transA: false, transB: true, M: 64, N: 512, K: 128 },
  { label: 'lstm input 3200×512×16', transA: false, transB: false, M: 3200, N: 512, K: 16 },
];

export interface GemmShapeResult {
  shape: GemmShape;
  tsGflops: number;
  wasmGflops: number;
  /** max |wasm − ts| over C. */
  maxAbsDiff: number;
}

export function benchGemmShape(shape: GemmShape): GemmShapeResult {
  const { transA, transB, M, N, K } = shape;
  const rng = new Rng(17 + M + N + K);
  const a = randomMatrix(rng, M * K);
  const b = randomMatrix(rng, K * N);
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  const c1 = new Float32Array(M * N);
  const c2 = new Float32Array(M * N);
  gemmTs(transA, transB, M, N, K, a, 0, lda, b, 0, ldb, c1, 0, N, false);
  let maxAbsDiff = NaN;
  if (wasmGemmSupported()) {
    gemmWasm(transA, transB, M, N, K, a, 0, lda, b, 0, ldb, c2, 0, N, false);
    maxAbsDiff = 0;
    for (let i = 0; i < c1.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(c1[i]! - c2[i]!));
  }
  const timed = (f: typeof gemmTs) => (reps: number): number => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) f(transA, transB, M, N, K, a, 0, lda, b, 0, ldb, c2, 0, N, false);
    return (performance.now() - t0) / 1000;
  };
  const flops = 2 * M * N * K;
  return { shape, tsGflops: gflops(timed(gemmTs), flops), wasmGflops: wasmGemmSupported() ? gflops(timed(gemmWasm), flops) : NaN, maxAbsDiff };
}
