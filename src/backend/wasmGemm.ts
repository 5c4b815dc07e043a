/**
 * The WebAssembly SIMD GEMM (first step of the 'wasm' backend): same signature and
 * semantics as the TypeScript `gemmTs`, computed by the AssemblyScript kernel in
 * wasm/gemm.ts, whose binary is embedded (base64) in ./wasm/gemmWasm.ts — no file to
 * locate in Node or browsers, no node: imports.
 *
 * Per call the operands are copied into the module's linear memory — A compactly in
 * its stored orientation (the kernel reads A through strides, so transA costs
 * nothing extra), B as [K, N] row-major (transposed while copying when transB), C
 * only when accumulating — the kernel runs, and C is copied back. That is
 * O(M·K + K·N + M·N) float copies per O(M·N·K) product: cheap for the tall products
 * outside the time loop, noticeable for the per-step [B, H]·[H, G] products (the
 * recurrent weight matrix is re-copied every step). Arenas living in WASM memory
 * (issue 6) remove these copies.
 *
 * The kernel accumulates in f32 (the TS kernel in f64): results agree to ~1e-6
 * relative on the sizes RNNs use, not bit-for-bit.
 */
import { SMALL_M, gemmTs } from './gemm.js';
import { GEMM_WASM_BASE64 } from './wasm/gemmWasm.js';

interface GemmExports {
  readonly memory: WebAssembly.Memory;
  gemm(M: number, N: number, K: number, a: number, sai: number, sak: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
}

/** Operands start at this byte offset (the module keeps nothing of its own above 1 KiB). */
const BASE_BYTES = 65536;
const PAGE_BYTES = 65536;

let bytes: Uint8Array<ArrayBuffer> | null = null;
let mod: GemmExports | null = null;
let supported: boolean | null = null;
let heap = new Float32Array(0);

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function wasmBytes(): Uint8Array<ArrayBuffer> {
  if (bytes === null) bytes = decodeBase64(GEMM_WASM_BASE64);
  return bytes;
}

/**
 * Whether this engine runs the kernel: WebAssembly present and the SIMD module
 * validates (validating the kernel itself is the exact feature test).
 */
export function wasmGemmSupported(): boolean {
  if (supported === null) {
    try {
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(wasmBytes());
    } catch {
      supported = false;
    }
  }
  return supported;
}

function kernel(): GemmExports {
  if (mod === null) {
    if (!wasmGemmSupported()) throw new Error('rnnkit: WebAssembly SIMD is not available in this engine');
    const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes()), {});
    mod = instance.exports as unknown as GemmExports;
    heap = new Float32Array(mod.memory.buffer);
  }
  return mod;
}

/** Make the linear memory at least `floats` f32 long (float index), refreshing the view after a grow. */
function ensure(m: GemmExports, floats: number): Float32Array {
  const need = floats * 4;
  const have = m.memory.buffer.byteLength;
  if (have < need) {
    m.memory.grow(Math.ceil((Math.max(need, have * 1.5) - have) / PAGE_BYTES));
    heap = new Float32Array(m.memory.buffer);
  } else if (heap.buffer !== m.memory.buffer) heap = new Float32Array(m.memory.buffer);
  return heap;
}

const align4 = (n: number): number => (n + 3) & ~3;

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
  // Degenerate shapes, and the few-rows path (copying B in would cost as much as the product).
  if (M === 0 || N === 0 || K === 0 || (!transA && !transB && M <= SMALL_M)) {
    gemmTs(transA, transB, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
    return;
  }
  const m = kernel();
  const aP = BASE_BYTES / 4;
  const bP = aP + align4(M * K);
  const cP = bP + align4(K * N);
  const h = ensure(m, cP + M * N);
  let sai: number, sak: number;
  if (transA) {
    copyIn(h, aP, A, aOff, lda, K, M); // stored [K, M]: op(A)[i,k] at k*M + i
    sai = 1;
    sak = M;
  } else {
    copyIn(h, aP, A, aOff, lda, M, K);
    sai = K;
    sak = 1;
  }
  if (transB) {
    // stored [N, ldb]; the kernel wants [K, N]: transpose in panels of 16 columns
    // (16 source rows read in step, each destination row segment written contiguously)
    for (let j0 = 0; j0 < N; j0 += 16) {
      const j1 = Math.min(N, j0 + 16);
      for (let k = 0; k < K; k++) {
        const d = bP + k * N;
        for (let j = j0; j < j1; j++) h[d + j] = B[bOff + j * ldb + k]!;
      }
    }
  } else copyIn(h, bP, B, bOff, ldb, K, N);
  if (accumulate) copyIn(h, cP, C, cOff, ldc, M, N);
  m.gemm(M, N, K, aP * 4, sai, sak, bP * 4, N, cP * 4, N, accumulate ? 1 : 0);
  if (ldc === N) C.set(h.subarray(cP, cP + M * N), cOff);
  else
    for (let i = 0; i < M; i++) {
      const co = cOff + i * ldc;
      const ho = cP + i * N;
      for (let j = 0; j < N; j++) C[co + j] = h[ho + j]!;
    }
}
