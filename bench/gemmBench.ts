/**
 * GEMM micro-benchmark: GFLOP/s (2·M·N·K flops per product) of rnnkit's GEMM on each backend
 * (through the backend's kernel table, with operands allocated where that backend keeps
 * them, as the layers do) and of tfjs's matMul on its cpu and wasm backends, on square
 * n×n·n×n products; rnnkit also on the LSTM(128) workload's shapes. Every result is checked
 * against a float64 product first (max |Δ|). Each figure is the median over a few timed
 * blocks, each long enough (~50 ms) that timer resolution does not matter.
 */
import { backend, useBackend } from '../src/backend/kernels.js';
import { Rng } from '../src/core/rng.js';
import { tfjsInfo, tfjsMatMul, tfjsMatMulSeconds, useTfjsBackend, type TfjsBackend } from './frameworks.js';
import { median } from './stats.js';

const BLOCK_SECONDS = 0.05;
const BLOCKS = 5;
export const GEMM_SIZES = [64, 256] as const;

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
 * the per-step recurrent product [64,128]·[128,512] (B transposed) and the input product
 * [3200,16]·[16,512] outside the loop; and one stream's (sampling's) step, the
 * single-row product [1,128]·[128,512] with the kernel as stored.
 */
export const LSTM_GEMM_SHAPES: readonly GemmShape[] = [
  { label: 'lstm step 64×512×128 (NT)', transA: false, transB: true, M: 64, N: 512, K: 128 },
  { label: 'lstm input 3200×512×16', transA: false, transB: false, M: 3200, N: 512, K: 16 },
  { label: 'stream step 1×512×128', transA: false, transB: false, M: 1, N: 512, K: 128 },
];

export interface GemmMeasurement {
  workload: string;
  contestant: string;
  /** The backend as read back from the library after the run. */
  ranOn: string;
  gflops: number;
  /** max |result − float64 product|. */
  maxAbsErr: number;
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

function randomMatrix(rng: Rng, into: Float32Array): Float32Array {
  for (let i = 0; i < into.length; i++) into[i] = rng.uniform() * 2 - 1;
  return into;
}

/** op(A)·op(B) in float64; A is [M,K] or (transA) [K,M], B is [K,N] or (transB) [N,K]. */
function reference(s: GemmShape, a: Float32Array, b: Float32Array): Float64Array {
  const { M, N, K, transA, transB } = s;
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const aik = transA ? a[k * M + i]! : a[i * K + k]!;
      for (let j = 0; j < N; j++) c[i * N + j] += aik * (transB ? b[j * K + k]! : b[k * N + j]!);
    }
  }
  return c;
}

function maxErr(c: ArrayLike<number>, ref: Float64Array): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(c[i]! - ref[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

function squareShape(n: number): GemmShape {
  return { label: `${n}³`, transA: false, transB: false, M: n, N: n, K: n };
}

function rnnkitGemm(name: 'ts' | 'wasm', s: GemmShape): GemmMeasurement {
  useBackend(name);
  const k = backend();
  const alloc = (k as { alloc?: (n: number) => Float32Array }).alloc ?? ((n: number) => new Float32Array(n));
  const { M, N, K, transA, transB } = s;
  const rng = new Rng(17 + M + N + K);
  const a = randomMatrix(rng, alloc(M * K));
  const b = randomMatrix(rng, alloc(K * N));
  const c = alloc(M * N);
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  k.gemm(transA, transB, M, N, K, a, 0, lda, b, 0, ldb, c, 0, N, false);
  const err = maxErr(c, reference(s, a, b));
  const run = (reps: number): number => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) k.gemm(transA, transB, M, N, K, a, 0, lda, b, 0, ldb, c, 0, N, false);
    return (performance.now() - t0) / 1000;
  };
  return { workload: `gemm ${s.label}`, contestant: `rnnkit ${name}`, ranOn: backend().name, gflops: gflops(run, 2 * M * N * K), maxAbsErr: err };
}

async function tfjsGemm(name: TfjsBackend, n: number): Promise<GemmMeasurement> {
  await useTfjsBackend(name);
  const s = squareShape(n);
  const rng = new Rng(17 + 3 * n);
  const a = randomMatrix(rng, new Float32Array(n * n));
  const b = randomMatrix(rng, new Float32Array(n * n));
  const err = maxErr(tfjsMatMul(n, a, b), reference(s, a, b));
  const rate = gflops((reps) => tfjsMatMulSeconds(n, a, b, reps), 2 * n * n * n);
  return { workload: `gemm ${s.label}`, contestant: `tfjs-${name}`, ranOn: tfjsInfo().backend, gflops: rate, maxAbsErr: err };
}

/** Square products on every given contestant, then the LSTM shapes on rnnkit's backends. */
export async function benchGemm(rnnkitBackends: readonly ('ts' | 'wasm')[], tfjsBackends: readonly TfjsBackend[], note: (line: string) => void): Promise<GemmMeasurement[]> {
  const out: GemmMeasurement[] = [];
  for (const n of GEMM_SIZES) {
    note(`gemm ${n}³`);
    for (const b of rnnkitBackends) out.push(rnnkitGemm(b, squareShape(n)));
    for (const b of tfjsBackends) out.push(await tfjsGemm(b, n));
  }
  for (const s of LSTM_GEMM_SHAPES) {
    note(`gemm ${s.label}`);
    for (const b of rnnkitBackends) out.push(rnnkitGemm(b, s));
  }
  return out;
}
