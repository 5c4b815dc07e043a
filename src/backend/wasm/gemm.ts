/**
 * The 'wasm' backend's GEMM: same signature and semantics as the TypeScript `gemmTs`,
 * computed by the SIMD kernel of wasm/kernels.ts.
 *
 * Operands that live in the module's memory (runtime.ts) are passed by address —
 * A through its strides in either orientation, B and C with their leading dimensions —
 * so the per-step products of the recurrent kernels copy nothing; A·Bᵀ with all three
 * resident runs the dot-product kernel (gemmNT) on B as stored. Any other operand is
 * copied into scratch memory first (and C copied back), a transposed B transposed there.
 *
 * The kernel accumulates in f32 (the TS kernel in f64), with fused multiply-adds where
 * the engine has relaxed SIMD: results agree to ~1e-6 relative, not bit for bit.
 */
import { SMALL_M, gemmTs } from '../ts/gemm.js';
import { addr, heapF32, isResident, scratch, wasmRuntime } from './runtime.js';

const align16 = (n: number): number => (n + 15) & ~15;

/** dst[d + r*cols + c] = src[s + r*ld + c] for a [rows, cols] block. */
function copyIn(dst: Float32Array, d: number, src: Float32Array, s: number, ld: number, rows: number, cols: number): void {
  if (ld === cols) {
    dst.set(src.subarray(s, s + rows * cols), d);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const so = s + r * ld;
    const dO = d + r * cols;
    for (let c = 0; c < cols; c++) dst[dO + c] = src[so + c]!;
  }
}

export function gemmWasm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  const residentC = isResident(C);
  // Degenerate shapes; and few rows of foreign operands (copying B in would cost as much as the product).
  if (M === 0 || N === 0 || K === 0 || (!residentC && !transA && !transB && M <= SMALL_M)) {
    gemmTs(transA, transB, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
    return;
  }
  const k = wasmRuntime().kernels;
  const residentA = isResident(A);
  if (transB && !transA && residentA && residentC && isResident(B)) {
    // both operands K-contiguous in place: the dot-product kernel, no transposed copy
    k.gemmNT(M, N, K, addr(A, aOff), lda, addr(B, bOff), ldb, addr(C, cOff), ldc, accumulate ? 1 : 0);
    return;
  }
  const residentB = !transB && isResident(B);
  // Scratch layout (floats): [A compact | B as [K, N] | C as [M, N]], each part only if needed.
  const aFloats = residentA ? 0 : align16(M * K);
  const bFloats = residentB ? 0 : align16(K * N);
  const cFloats = residentC ? 0 : M * N;
  const base = aFloats + bFloats + cFloats > 0 ? scratch(aFloats + bFloats + cFloats) : 0;
  const h = heapF32();
  const s0 = base / 4;
  let pa: number, sai: number, sak: number;
  if (residentA) {
    pa = addr(A, aOff);
    sai = transA ? 1 : lda;
    sak = transA ? lda : 1;
  } else {
    pa = base;
    if (transA) copyIn(h, s0, A, aOff, lda, K, M); // stored [K, M]: op(A)[i,k] at k*M + i
    else copyIn(h, s0, A, aOff, lda, M, K);
    sai = transA ? 1 : K;
    sak = transA ? M : 1;
  }
  let pb: number, ldbK: number;
  if (residentB) {
    pb = addr(B, bOff);
    ldbK = ldb;
  } else {
    pb = base + aFloats * 4;
    ldbK = N;
    if (!transB) copyIn(h, s0 + aFloats, B, bOff, ldb, K, N);
    else if (isResident(B)) k.transpose(pb, addr(B, bOff), ldb, N, K);
    else {
      // stored [N, ldb]; the kernel wants [K, N]: transpose in panels of 16 columns
      const d0 = s0 + aFloats;
      for (let j0 = 0; j0 < N; j0 += 16) {
        const j1 = Math.min(N, j0 + 16);
        for (let kk = 0; kk < K; kk++) {
          const d = d0 + kk * N;
          for (let j = j0; j < j1; j++) h[d + j] = B[bOff + j * ldb + kk]!;
        }
      }
    }
  }
  if (residentC) {
    k.gemm(M, N, K, pa, sai, sak, pb, ldbK, addr(C, cOff), ldc, accumulate ? 1 : 0);
    return;
  }
  const pc = base + (aFloats + bFloats) * 4;
  const c0 = pc / 4;
  if (accumulate) copyIn(h, c0, C, cOff, ldc, M, N);
  k.gemm(M, N, K, pa, sai, sak, pb, ldbK, pc, N, accumulate ? 1 : 0);
  if (ldc === N) C.set(h.subarray(c0, c0 + M * N), cOff);
  else
    for (let i = 0; i < M; i++) {
      const co = cOff + i * ldc;
      const ho = c0 + i * N;
      for (let j = 0; j < N; j++) C[co + j] = h[ho + j]!;
    }
}
